/*
 * docgen.c — issuing documents (see docgen.h for the life of a document).
 *
 * Threads.  docgen_start() runs DOCGEN_THREADS generator threads in the
 * idle scheduling class (SCHED_IDLE; nice 19 where refused) and the idle
 * I/O class, so rendering takes the CPU, and storing the files the disk
 * time, that requests leave over.  Because a renderer still competes for
 * caches, memory and the writer, a generator also pauses DOCGEN_BUSY_PAUSE_MS
 * between batches while requests write more than DOCGEN_BUSY_WRITES times a
 * second (store_stats): under load documents wait, and catch up after.  Each loops over
 * process_batch(): one write claims up to DOCGEN_BATCH rows and numbers
 * them; the PDFs are rendered in the thread; the files are stored and made
 * durable together (store_files: the batch's fsyncs issued at once, which
 * the file system serves with about one journal commit, where one at a time
 * would force a commit each that the database's commits queue behind); one
 * write issues the whole batch (one commit, shared with whatever requests
 * are committing).  An idle generator sleeps
 * DOCGEN_IDLE_MS or until docgen_kick() (called when a step queues a
 * document).
 *
 * Numbers.  A document's number is allocated when it is first claimed, from
 * store_tx_next_number("doc:<unit id>", year): the counter and the number
 * commit together, the number is written on the row, and the schema refuses
 * to change it afterwards.  A failed render keeps the number for the retry;
 * a render that never succeeds leaves it unused but never reused.
 *
 * Errors.  A render or storage failure puts the row back in the queue
 * (attempts + 1, retried after DOCGEN_RETRY_S) and, after
 * DOCGEN_MAX_ATTEMPTS, marks it failed; staff see the status and can
 * regenerate.  A generator whose lease ran out cannot finish a row another
 * generator has taken over: finishing is conditional on the claim token.
 */
#include "base/common.h"
#include "base/jsonw.h"
#include "core/docgen.h"
#include "core/attach.h"
#include "core/audit.h"
#include "core/crypto.h"
#include "core/docs.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <qpdf/qpdfjob-c.h>
#include <qpdf/qpdflogger-c.h>
#include <sodium.h>

#define DOCGEN_VERIFY_PAGE 500
#define DOCGEN_NICE 19
#define DOCGEN_FSYNC_THREADS 8    /* fsyncs of one batch issued together */
/* <linux/ioprio.h> is not in every libc's headers: the ABI values */
#define DOCGEN_IOPRIO_WHO_PROCESS 1
#define DOCGEN_IOPRIO_CLASS_IDLE 3
#define DOCGEN_IOPRIO_CLASS_SHIFT 13

struct docgen {
	pa_app_t *app;
	pthread_t *threads;
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping;
	unsigned kicks;
};

/* ---- helpers -------------------------------------------------------------------- */

static void local_ymd(pa_app_t *app, pa_time_t t, int *y, int *m, int *d)
{
	char buf[32];
	pa_time_format(t, app->cfg->utc_offset_min, buf);
	*y = atoi(buf);
	*m = atoi(buf + 5);
	*d = atoi(buf + 8);
}

static const char *json_text(arena_t *a, json_t *j)
{
	/* json_dumps(JSON_COMPACT | JSON_SORT_KEYS)'s bytes (base/jsonw.h) */
	const char *r = json_text_sorted(a, j);
	if (!r)
		r = "{}";
	return r;
}

static const char *unit_code(pa_app_t *app, arena_t *a, pa_id_t id, const char **name_zh,
                             const char **name_en, const char **abbr)
{
	orgtree_t *t = orgcache_get(app->orgs);
	const pa_org_t *o = orgtree_find(t, id);
	const char *code = arena_strdup(a, o ? o->code : "");
	if (abbr)
		*abbr = arena_strdup(a, o && o->abbr && *o->abbr ? o->abbr : code);
	if (name_zh)
		*name_zh = arena_strdup(a, o ? o->name : "");
	if (name_en)
		*name_en = arena_strdup(a, o && o->name_en && *o->name_en ? o->name_en : o ? o->name : "");
	orgtree_release(t);
	return code;
}

const char *docgen_tracking_url(pa_app_t *app, arena_t *a, const char *number)
{
	const char *base = app->cfg->public_url;
	if (base && *base)
		return arena_printf(a, "%s/track/%s", base, number);
	return arena_printf(a, "http://%s/track/%s", app->cfg->listen, number);
}

/* ---- queueing --------------------------------------------------------------------- */

bool docgen_prepare(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_id_t issuer_org,
                    const char *action, const char *kind, const json_t *vars_zh,
                    const json_t *vars_en, const char *actor, pa_time_t now, pa_document_t *out)
{
	const docs_t *docs = app->docs;
	const doc_template_t *t = docs ? docs_find(docs, kind, DOC_DEFAULT_LOCALE, NULL) : NULL;
	if (docs && !t)
		return false; /* checked at start (docs_check_workflows); nothing to issue */
	/* {"action", "en", "zh-CN"} as json_text() of an object holding them
	 * wrote it (keys in that order), without building the object */
	strbuf_t sb;
	strbuf_init(&sb, 1024);
	strbuf_adds(&sb, "{\"action\":");
	bool ok = strbuf_add_json_sorted_str(&sb, action ? action : "") == 0;
	if (ok && json_is_object(vars_en)) {
		strbuf_adds(&sb, ",\"en\":");
		ok = strbuf_add_json_sorted(&sb, vars_en) == 0;
	}
	if (ok && json_is_object(vars_zh)) {
		strbuf_adds(&sb, ",\"zh-CN\":");
		ok = strbuf_add_json_sorted(&sb, vars_zh) == 0;
	}
	strbuf_addch(&sb, '}');
	*out = (pa_document_t){
		.case_id = cs->id, .kind = kind, .locale = DOC_DEFAULT_LOCALE,
		.unit_org_id = issuer_org ? issuer_org : cs->owner_org_id, .version = 1,
		.public = t ? doc_template_public(t) : true,
		.vars = ok ? arena_strndup(a, sb.buf, sb.len) : "{}", .created_at = now,
		.requested_by = actor,
	};
	strbuf_release(&sb);
	return true;
}

int docgen_tx_insert(store_tx_t *tx, pa_app_t *app, const pa_document_t *d, pa_id_t event_id)
{
	pa_document_t row = *d;
	row.event_id = event_id;
	pa_id_t id;
	int rc = store_tx_document_insert(tx, &row, &id);
	if (rc == 0)
		docgen_kick(app);
	return rc;
}

int docgen_enqueue_tx(store_tx_t *tx, pa_app_t *app, arena_t *a, const pa_case_t *cs,
                      pa_id_t issuer_org, pa_id_t event_id, const char *action, const char *kind,
                      const json_t *vars_zh, const json_t *vars_en, const char *actor,
                      pa_time_t now)
{
	pa_document_t d;
	if (!docgen_prepare(app, a, cs, issuer_org, action, kind, vars_zh, vars_en, actor, now, &d))
		return 0;
	return docgen_tx_insert(tx, app, &d, event_id);
}

/* ---- the values of a document ----------------------------------------------------- */

static const char *petitioner_name(pa_app_t *app, arena_t *a, pa_id_t case_id, bool zh)
{
	const char *fallback = zh ? "信访人" : "Petitioner";
	if (!app->keys)
		return fallback;
	pa_party_t *ps = NULL;
	size_t n = 0;
	if (store_parties_list(store_reader(app->store), a, case_id, &ps, &n) < 0)
		return fallback;
	for (size_t i = 0; i < n; i++) {
		if (!ps[i].name.len)
			continue;
		char *plain = NULL;
		const char *aad = arena_printf(a, "party/%s/name", ps[i].uid);
		if (pii_open(app->keys, a, aad, ps[i].name, &plain) == 0 && plain && *plain)
			return plain;
	}
	return fallback;
}

json_t *docgen_vars(pa_app_t *app, arena_t *a, const pa_document_t *d, const pa_case_t *cs,
                    pa_time_t issued_at)
{
	json_t *all = d->vars ? json_loads(d->vars, 0, NULL) : NULL;
	json_t *v = json_object_get(all, d->locale);
	v = json_is_object(v) ? json_deep_copy(v) : json_object();
	json_decref(all);
	bool zh = !streq(d->locale, "en");
	const char *name_zh = "", *name_en = "";
	const char *abbr = "";
	const char *code = unit_code(app, a, d->unit_org_id, &name_zh, &name_en, &abbr);
	json_object_set_new(v, "issuer", json_string(zh ? name_zh : name_en));
	json_object_set_new(v, "issuer_code", json_string(code));
	json_object_set_new(v, "issuer_abbr", json_string(abbr));
	json_object_set_new(v, "doc_number", json_string(d->number ? d->number : ""));
	json_object_set_new(v, "year", json_integer(d->year));
	json_object_set_new(v, "seq", json_integer(d->seq));
	json_object_set_new(v, "version", json_integer(d->version));
	int y, m, day;
	local_ymd(app, issued_at, &y, &m, &day);
	json_object_set_new(v, "issue_date", json_string(docs_format_date(a, d->locale, y, m, day)));
	if (cs) {
		if (!json_object_get(v, "number"))
			json_object_set_new(v, "number", json_string(cs->number));
		if (!json_object_get(v, "title"))
			json_object_set_new(v, "title", json_string(cs->title));
		const wf_def_t *def = app->wf ? wf_registry_find(app->wf, cs->type) : NULL;
		json_object_set_new(v, "case_type", json_string(def ? wf_label(&def->label, d->locale)
		                                                    : cs->type));
		/* a sealed identity (an informant) never goes into a document: the
		 * unit handling the case reads it */
		const char *to = def && def->contact_sealed ? (zh ? "举报人" : "Informant")
		                                            : petitioner_name(app, a, cs->id, zh);
		json_object_set_new(v, "petitioner", json_string(to));
		json_object_set_new(v, "tracking_url",
		                    json_string(docgen_tracking_url(app, a, cs->number)));
	}
	return v;
}

/* ---- claiming ------------------------------------------------------------------------- */

struct claim_tx {
	pa_app_t *app;
	arena_t *a;
	pa_time_t now;
	int limit;
	char claim[33];
	pa_document_t *docs;
	size_t n;
};

static int claim_tx_fn(store_tx_t *tx, void *arg)
{
	struct claim_tx *x = arg;
	int rc = store_tx_documents_claim(tx, x->a, x->now, x->claim, x->now + DOCGEN_LEASE_S,
	                                  x->limit, &x->docs, &x->n);
	if (rc < 0)
		return rc;
	int year, m, d;
	local_ymd(x->app, x->now, &year, &m, &d);
	for (size_t i = 0; i < x->n; i++) {
		pa_document_t *doc = &x->docs[i];
		if (doc->seq)
			continue;
		const char *abbr = NULL;
		const char *code = unit_code(x->app, x->a, doc->unit_org_id, NULL, NULL, &abbr);
		const doc_template_t *t = docs_find(x->app->docs, doc->kind, doc->locale, code);
		if (!t)
			continue; /* failed when rendered: no template */
		int64_t seq;
		if ((rc = store_tx_next_number(tx, arena_printf(x->a, "doc:%lld", (long long)doc->unit_org_id),
		                               year, &seq)) < 0)
			return rc;
		const char *number = doc_template_number(x->a, t, code, abbr, year, seq);
		if ((rc = store_tx_document_number(tx, doc->id, number, year, seq)) < 0)
			return rc;
		doc->number = number;
		doc->year = year;
		doc->seq = seq;
	}
	return 0;
}

/* ---- issuing ----------------------------------------------------------------------------- */

typedef struct job {
	pa_document_t doc;
	pa_case_t cs;
	const doc_template_t *tpl;
	strbuf_t pdf;
	int pages;
	pa_time_t issued_at;
	bool rendered;
	char sha[65];
	int result;
	char error[sizeof(((pa_err_t *)0)->detail)];
} job_t;

struct issue_tx {
	pa_app_t *app;
	arena_t *a;
	job_t *j;
	char sha[65];
};

static int issue_tx_fn(store_tx_t *tx, void *arg)
{
	struct issue_tx *x = arg;
	job_t *j = x->j;
	pa_document_t *d = &j->doc;
	bool zh = !streq(d->locale, "en");
	json_t *all = d->vars ? json_loads(d->vars, 0, NULL) : NULL;
	const char *action = json_string_value(json_object_get(all, "action"));
	const char *title = doc_template_title(j->tpl);
	json_t *data = json_object();
	json_object_set_new(data, "document_id", json_integer(d->id));
	json_object_set_new(data, "kind", json_string(d->kind));
	json_object_set_new(data, "title", json_string(title));
	json_object_set_new(data, "number", json_string(d->number));
	json_object_set_new(data, "version", json_integer(d->version));
	json_object_set_new(data, "locale", json_string(d->locale));
	json_object_set_new(data, "sha256", json_string(x->sha));
	json_object_set_new(data, "size", json_integer((json_int_t)j->pdf.len));
	json_object_set_new(data, "pages", json_integer(j->pages));
	if (d->supersedes)
		json_object_set_new(data, "supersedes", json_integer(d->supersedes));
	const char *text =
		zh ? arena_printf(x->a, "《%s》%s（第%d版）已出具，SHA-256：%s", title, d->number, d->version, x->sha)
		   : arena_printf(x->a, "%s %s (version %d) issued, SHA-256: %s", title, d->number, d->version,
		                  x->sha);
	pa_event_t ev = {
		.case_id = d->case_id, .at = j->issued_at, .kind = "document",
		.action = action && *action ? action : NULL, .actor_name = "system",
		.actor_org_id = d->unit_org_id, .public = d->public, .text = text,
		.data = json_text(x->a, data),
	};
	pa_id_t ev_id;
	int rc = store_tx_event_insert(tx, &ev, &ev_id);
	json_decref(all); /* action points into it */
	pa_attachment_t at = {
		.case_id = d->case_id, .event_id = ev_id, .sha256 = x->sha,
		.name = arena_printf(x->a, "%s-%s-v%d.pdf", title, d->number, d->version),
		.mime = "application/pdf", .size = (int64_t)j->pdf.len, .public = d->public,
		.created_at = j->issued_at,
	};
	at.name = attach_clean_name(x->a, at.name);
	if (rc == 0)
		rc = store_tx_attachment_insert(tx, &at, &at.id);
	if (rc == 0) {
		json_object_set_new(data, "requested_by", json_string(d->requested_by ? d->requested_by : ""));
		json_object_set_new(data, "template", json_string(doc_template_id(j->tpl)));
		rc = audit_append(tx, j->issued_at, "system", "document.issue",
		                  arena_printf(x->a, "case:%lld", (long long)d->case_id), json_text(x->a, data));
	}
	json_decref(data);
	if (rc == 0) {
		pa_document_t done = *d;
		done.sha256 = x->sha;
		done.size = (int64_t)j->pdf.len;
		done.pages = j->pages;
		done.issued_at = j->issued_at;
		done.attachment_id = at.id;
		done.issue_event_id = ev_id;
		done.template_id = doc_template_id(j->tpl);
		rc = store_tx_document_done(tx, &done);
	}
	return rc;
}

struct fail_tx {
	const pa_document_t *doc;
	const char *error;
};

static int fail_tx_fn(store_tx_t *tx, void *arg)
{
	struct fail_tx *x = arg;
	bool give_up = x->doc->attempts >= DOCGEN_MAX_ATTEMPTS;
	return store_tx_document_failed(tx, x->doc->id, x->doc->claim, x->error, give_up,
	                                pa_now() + DOCGEN_RETRY_S);
}

static void release_doc(pa_app_t *app, const pa_document_t *doc, const char *why)
{
	log_warn("documents: document %lld (%s, case %lld) not issued: %s", (long long)doc->id,
	         doc->kind, (long long)doc->case_id, why);
	struct fail_tx f = { doc, why };
	pa_err_t err = { 0 };
	store_write(app->store, fail_tx_fn, &f, &err);
}

/* fsync()s of a list of descriptors, several at once: concurrent fsyncs
 * share the file system's journal commits, so a batch costs about one
 * commit instead of one per file. */
struct fsync_set {
	const int *fds;
	bool *failed;
	size_t n;
	atomic_size_t next;
};

static void *fsync_worker(void *arg)
{
	struct fsync_set *fs = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&fs->next, 1);
		if (i >= fs->n)
			return NULL;
		if (fs->fds[i] >= 0 && fsync(fs->fds[i]) != 0)
			fs->failed[i] = true;
	}
}

static void fsync_all(const int *fds, bool *failed, size_t n)
{
	struct fsync_set fs = { .fds = fds, .failed = failed, .n = n };
	atomic_init(&fs.next, 0);
	pthread_t th[DOCGEN_FSYNC_THREADS];
	size_t started = 0;
	for (size_t i = 1; i < n && i < DOCGEN_FSYNC_THREADS; i++)
		if (pthread_create(&th[started], NULL, fsync_worker, &fs) == 0)
			started++;
	fsync_worker(&fs);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

/*
 * Stores the rendered files of a batch content-addressed, as attach_store()
 * does (<dir>/<aa>/<sha256>: a temporary file, fsynced, renamed into place,
 * the directory fsynced), with the fsyncs of the batch done together: each
 * lone fsync forces a journal commit that the database's own commits then
 * queue behind.  Only after the directories are synced (the renames are
 * durable) are the rows that point at the files written.
 */
static void store_files(pa_app_t *app, arena_t *a, job_t *jobs, size_t n)
{
	static atomic_uint tmp_counter;
	const char *dir = app->cfg->attachments_dir;
	char **tmp = arena_zalloc(a, (n + 1) * sizeof(*tmp));
	char **final = arena_zalloc(a, (n + 1) * sizeof(*final));
	const char **sub = arena_zalloc(a, (n + 1) * sizeof(*sub));
	int *fds = arena_alloc(a, (n + 1) * sizeof(*fds));
	bool *failed = arena_zalloc(a, (n + 1) * sizeof(*failed));
	mkdir(dir, 0750);
	for (size_t i = 0; i < n; i++) {
		job_t *j = &jobs[i];
		fds[i] = -1;
		if (!j->rendered)
			continue;
		unsigned char h[crypto_hash_sha256_BYTES];
		crypto_hash_sha256(h, (const unsigned char *)j->pdf.buf, j->pdf.len);
		sodium_bin2hex(j->sha, sizeof(j->sha), h, sizeof(h));
		final[i] = attach_path(a, dir, j->sha);
		sub[i] = arena_printf(a, "%s/%.2s", dir, j->sha);
		mkdir(sub[i], 0750);
		struct stat st;
		if (final[i] && stat(final[i], &st) == 0 && (size_t)st.st_size == j->pdf.len)
			continue; /* the same bytes are stored already */
		tmp[i] = arena_printf(a, "%s/.tmp-doc-%.16s-%ld-%u", sub[i], j->sha, (long)getpid(),
		                      atomic_fetch_add(&tmp_counter, 1));
		int fd = open(tmp[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
		bool ok = fd >= 0;
		for (size_t off = 0; ok && off < j->pdf.len;) {
			ssize_t w = write(fd, j->pdf.buf + off, j->pdf.len - off);
			if (w < 0 && errno == EINTR)
				continue;
			ok = w > 0;
			off += w > 0 ? (size_t)w : 0;
		}
		if (ok) {
			fds[i] = fd;
		} else {
			snprintf(j->error, sizeof(j->error), "could not write the document's file (%s)",
			         strerror(errno));
			j->result = errno == ENOSPC || errno == EDQUOT ? PA_EUNAVAIL : PA_EIO;
			if (fd >= 0)
				close(fd);
			unlink(tmp[i]);
			tmp[i] = NULL;
		}
	}
	fsync_all(fds, failed, n);
	/* into place; then the directories that changed, each once */
	int *dfds = arena_alloc(a, (n + 1) * sizeof(*dfds));
	bool *dfailed = arena_zalloc(a, (n + 1) * sizeof(*dfailed));
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		job_t *j = &jobs[i];
		if (fds[i] >= 0 && close(fds[i]) != 0)
			failed[i] = true;
		if (!tmp[i])
			continue;
		if (failed[i] || rename(tmp[i], final[i]) != 0) {
			snprintf(j->error, sizeof(j->error), "could not store the document's file (%s)",
			         strerror(errno));
			j->result = PA_EIO;
			unlink(tmp[i]);
			tmp[i] = NULL;
			continue;
		}
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = tmp[k] && streq(sub[k], sub[i]);
		if (!seen)
			dfds[nd++] = open(sub[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	/* a new <aa> directory must be durable in the attachments directory too */
	dfds[nd++] = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fsync_all(dfds, dfailed, nd);
	bool dirs_ok = true;
	for (size_t k = 0; k < nd; k++) {
		if (dfds[k] < 0 || dfailed[k])
			dirs_ok = false;
		if (dfds[k] >= 0)
			close(dfds[k]);
	}
	if (!dirs_ok)
		for (size_t i = 0; i < n; i++)
			if (tmp[i] && jobs[i].result == 0) {
				snprintf(jobs[i].error, sizeof(jobs[i].error), "could not sync the directory");
				jobs[i].result = PA_EIO;
			}
}

struct batch_tx {
	pa_app_t *app;
	arena_t *a;
	job_t *jobs;
	size_t n;
};

/* Every stored document of the batch in one write (one commit). */
static int batch_tx_fn(store_tx_t *tx, void *arg)
{
	struct batch_tx *b = arg;
	for (size_t i = 0; i < b->n; i++) {
		if (!b->jobs[i].rendered || b->jobs[i].result < 0)
			continue;
		struct issue_tx x = { .app = b->app, .a = b->a, .j = &b->jobs[i] };
		memcpy(x.sha, b->jobs[i].sha, sizeof(x.sha));
		int rc = issue_tx_fn(tx, &x);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Issues the stored documents: one write for the batch; if it fails, one
 * write each, so one bad document does not hold back the others. */
static void issue_batch(pa_app_t *app, arena_t *a, job_t *jobs, size_t n)
{
	pa_err_t err = { 0 };
	struct batch_tx b = { app, a, jobs, n };
	if (store_write(app->store, batch_tx_fn, &b, &err) == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		job_t *j = &jobs[i];
		if (!j->rendered || j->result < 0)
			continue;
		struct batch_tx one = { app, a, j, 1 };
		pa_err_clear(&err);
		int rc = store_write(app->store, batch_tx_fn, &one, &err);
		if (rc < 0) {
			j->result = rc;
			snprintf(j->error, sizeof(j->error), "%s", err.detail[0] ? err.detail : pa_strerror(rc));
		}
	}
}

static int process_batch(pa_app_t *app, int limit, int *issued, pa_err_t *err)
{
	*issued = 0;
	arena_t *a = arena_new();
	struct claim_tx c = { .app = app, .a = a, .now = pa_now(), .limit = limit };
	random_hex(c.claim, 16);
	int rc = store_write(app->store, claim_tx_fn, &c, err);
	if (rc < 0 || c.n == 0) {
		arena_free(a);
		return rc;
	}
	job_t *jobs = xcalloc(c.n, sizeof(*jobs));
	for (size_t i = 0; i < c.n; i++) {
		job_t *j = &jobs[i];
		j->doc = c.docs[i];
		j->pdf = (strbuf_t)STRBUF_INIT;
		j->issued_at = pa_now();
		pa_err_t rerr = { 0 };
		int r = store_case_get(store_reader(app->store), a, j->doc.case_id, &j->cs);
		const char *code = unit_code(app, a, j->doc.unit_org_id, NULL, NULL, NULL);
		j->tpl = docs_find(app->docs, j->doc.kind, j->doc.locale, code);
		if (r < 0) {
			snprintf(j->error, sizeof(j->error), "case %lld unreadable", (long long)j->doc.case_id);
		} else if (!j->tpl) {
			snprintf(j->error, sizeof(j->error), "no template %s.%s", j->doc.kind, j->doc.locale);
		} else if (!j->doc.number) {
			snprintf(j->error, sizeof(j->error), "no number");
		} else {
			json_t *vars = docgen_vars(app, a, &j->doc, &j->cs, j->issued_at);
			doc_render_in_t in = { j->tpl, vars };
			if (docs_render(app->docs, &in, 1, &j->pdf, &j->pages, &rerr) == 0)
				j->rendered = true;
			else
				snprintf(j->error, sizeof(j->error), "%s", rerr.detail);
			json_decref(vars);
		}
	}
	store_files(app, a, jobs, c.n);
	issue_batch(app, a, jobs, c.n);
	for (size_t i = 0; i < c.n; i++) {
		job_t *j = &jobs[i];
		if (j->rendered && j->result == 0)
			(*issued)++;
		else
			release_doc(app, &j->doc, j->error[0] ? j->error : "failed");
		strbuf_release(&j->pdf);
	}
	free(jobs);
	arena_free(a);
	return 0;
}

int docgen_run_once(pa_app_t *app, int limit, int *issued, pa_err_t *err)
{
	*issued = 0;
	if (!app->docs)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "document templates are not loaded");
	if (limit < 1 || limit > STORE_LIST_MAX)
		limit = DOCGEN_BATCH;
	return process_batch(app, limit, issued, err);
}

/* ---- threads ------------------------------------------------------------------------------- */

static void *generator_main(void *arg)
{
	docgen_t *g = arg;
	/* Linux: nice and I/O priority are per thread (and inherited by the
	 * threads that store the files): requests and the writer come first,
	 * for the CPU and for the disk (the files' fsyncs go in the idle class) */
	pid_t tid = (pid_t)syscall(SYS_gettid);
	/* SCHED_IDLE: any runnable request thread preempts it at once (nice 19
	 * alone still takes its slice first); if refused, nice 19 */
	struct sched_param sp = { .sched_priority = 0 };
	if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
		setpriority(PRIO_PROCESS, (id_t)tid, DOCGEN_NICE);
	syscall(SYS_ioprio_set, DOCGEN_IOPRIO_WHO_PROCESS, tid,
	        DOCGEN_IOPRIO_CLASS_IDLE << DOCGEN_IOPRIO_CLASS_SHIFT);
	int64_t commits0, writes0, t0 = pa_mono_us();
	store_stats(g->app->store, &commits0, &writes0);
	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		unsigned seen = g->kicks;
		pthread_mutex_unlock(&g->mu);
		int issued = 0;
		pa_err_t err = { 0 };
		int rc = process_batch(g->app, DOCGEN_BATCH, &issued, &err);
		if (rc < 0)
			log_warn("documents: generator: %s", err.detail[0] ? err.detail : pa_strerror(rc));
		/* Busy: the store's other writes (requests) per second since the
		 * last look.  Documents are not urgent; under load the generator
		 * pauses between batches and catches up when it is quiet. */
		int64_t commits, writes, t = pa_mono_us();
		store_stats(g->app->store, &commits, &writes);
		int64_t others = writes - writes0 - (issued ? 2 : 1);
		bool busy = t > t0 && others * 1000000 / (t - t0) > DOCGEN_BUSY_WRITES;
		writes0 = writes;
		t0 = t;
		int wait_ms = busy ? DOCGEN_BUSY_PAUSE_MS : issued == 0 ? DOCGEN_IDLE_MS : 0;
		pthread_mutex_lock(&g->mu);
		if (wait_ms && !g->stopping && (busy || g->kicks == seen)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += wait_ms / 1000;
			ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			/* a kick ends an idle wait, not a busy one (stop ends both) */
			do {
				if (pthread_cond_timedwait(&g->cv, &g->mu, &ts) != 0)
					break;
			} while (busy && !g->stopping);
		}
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int docgen_start(pa_app_t *app, int threads, pa_err_t *err)
{
	if (!app->docs)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "document templates are not loaded");
	docgen_t *g = xcalloc(1, sizeof(*g));
	g->app = app;
	g->nthreads = threads > 0 ? threads : DOCGEN_THREADS;
	g->threads = xcalloc((size_t)g->nthreads, sizeof(pthread_t));
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	app->docgen = g;
	int started = 0;
	for (int i = 0; i < g->nthreads; i++)
		if (pthread_create(&g->threads[started], NULL, generator_main, g) == 0)
			started++;
	g->nthreads = started;
	if (!started) {
		docgen_stop(app);
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "could not start the document generator");
	}
	return 0;
}

void docgen_stop(pa_app_t *app)
{
	docgen_t *g = app->docgen;
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = true;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
	for (int i = 0; i < g->nthreads; i++)
		pthread_join(g->threads[i], NULL);
	app->docgen = NULL;
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g->threads);
	free(g);
}

void docgen_kick(pa_app_t *app)
{
	docgen_t *g = app ? app->docgen : NULL;
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->kicks++;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

/* ---- regeneration ---------------------------------------------------------------------------- */

struct regen_tx {
	pa_app_t *app;
	arena_t *a;
	pa_document_t doc;   /* the new row */
	const char *actor;
	pa_time_t now;
};

static int regen_tx_fn(store_tx_t *tx, void *arg)
{
	struct regen_tx *x = arg;
	int v = 0;
	int rc = store_document_max_version(store_tx_conn(tx), x->doc.case_id, x->doc.event_id,
	                                    x->doc.kind, &v);
	if (rc < 0)
		return rc;
	x->doc.version = v + 1;
	if ((rc = store_tx_document_insert(tx, &x->doc, &x->doc.id)) < 0)
		return rc;
	json_t *d = json_pack("{s:I, s:I, s:s, s:s, s:i}", "document_id", (json_int_t)x->doc.id,
	                      "supersedes", (json_int_t)x->doc.supersedes, "kind", x->doc.kind,
	                      "locale", x->doc.locale, "version", x->doc.version);
	rc = audit_append(tx, x->now, x->actor, "document.regenerate",
	                  arena_printf(x->a, "case:%lld", (long long)x->doc.case_id), json_text(x->a, d));
	json_decref(d);
	return rc;
}

static bool may_manage(const pa_principal_t *p, const pa_case_t *cs, pa_id_t unit)
{
	static const char *const roles[] = { "intake", "handler", "mediator", "supervisor", "leader" };
	if (p->kind != PRINCIPAL_STAFF || !authz_can_see_case(p, cs))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		if (authz_has_role_in(p, roles[i], unit) || authz_has_role_in(p, roles[i], cs->owner_org_id))
			return true;
	/* a supervisor or leader above sees the case (rule 2 of authz.h) */
	return authz_has_role(p, "supervisor") || authz_has_role(p, "leader");
}

int docgen_regenerate(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                      pa_id_t doc_id, const char *locale, pa_document_t *out, pa_err_t *err)
{
	pa_document_t old;
	int rc = store_document_get(store_reader(app->store), a, doc_id, &old);
	if (rc == PA_ENOTFOUND || (rc == 0 && old.case_id != cs->id))
		return pa_fail(err, PA_ENOTFOUND, "not-found", NULL, "no document %lld on this case",
		               (long long)doc_id);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the document");
	if (!may_manage(p, cs, old.unit_org_id))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "only staff of the issuing or owning unit may regenerate a document");
	if (locale && !streq(locale, "zh-CN") && !streq(locale, "en"))
		return pa_fail(err, PA_EINVAL, "validation", "locale", "locale must be zh-CN or en");
	if (!streq(old.status, "done") && !streq(old.status, "failed"))
		return pa_fail(err, PA_ECONFLICT, "conflict", NULL,
		               "the document is still being generated; regenerate it once it is issued");
	const char *loc = arena_strdup(a, locale ? locale : old.locale);
	const char *code = unit_code(app, a, old.unit_org_id, NULL, NULL, NULL);
	if (!docs_find(app->docs, old.kind, loc, code))
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "locale",
		               "there is no %s template in %s", old.kind, loc);
	struct regen_tx x = { .app = app, .a = a, .actor = authz_actor(p, a), .now = pa_now() };
	x.doc = (pa_document_t){
		.case_id = cs->id, .event_id = old.event_id, .kind = old.kind, .locale = loc,
		.unit_org_id = old.unit_org_id, .supersedes = old.id, .public = old.public,
		.vars = old.vars, .created_at = x.now, .requested_by = x.actor,
	};
	if ((rc = store_write(app->store, regen_tx_fn, &x, err)) < 0)
		return rc;
	docgen_kick(app);
	if ((rc = store_document_get(store_reader(app->store), a, x.doc.id, out)) < 0)
		*out = x.doc;
	return 0;
}

/* ---- batch print ----------------------------------------------------------------------------- */

static int read_whole(const char *path, strbuf_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return PA_EIO;
	char buf[65536];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		strbuf_add(out, buf, (size_t)r);
	close(fd);
	return r < 0 ? PA_EIO : 0;
}

static int qpdf_collect(char const *data, size_t len, void *udata)
{
	strbuf_t *sb = udata;
	if (sb->len < 1000)
		strbuf_add(sb, data, len);
	return 0;
}

/*
 * The issued files themselves, page for page, as one PDF (qpdf's page
 * selection: `qpdf --empty --pages A B ... -- OUT`): what is printed is
 * exactly what was issued and hashed, even if a template changed since.
 * qpdf writes to a file; it is read back and removed.
 */
static int merge_issued(const char *const *paths, size_t n, const char *tmp_dir, strbuf_t *pdf,
                        pa_err_t *err)
{
	char out[PATH_MAX];
	snprintf(out, sizeof(out), "%s/.batch-XXXXXX", tmp_dir);
	int fd = mkstemp(out);
	if (fd < 0)
		return pa_fail(err, PA_EIO, "internal", NULL, "cannot create a temporary file in %s: %s",
		               tmp_dir, strerror(errno));
	close(fd);
	const char **argv = xcalloc(n + 6, sizeof(*argv));
	size_t k = 0;
	argv[k++] = "qpdf";
	argv[k++] = "--empty";
	argv[k++] = "--pages";
	for (size_t i = 0; i < n; i++)
		argv[k++] = paths[i];
	argv[k++] = "--";
	argv[k++] = out;
	argv[k] = NULL;
	strbuf_t msg = STRBUF_INIT;
	qpdfjob_handle job = qpdfjob_init();
	qpdflogger_handle log = qpdflogger_create();
	qpdflogger_set_info(log, qpdf_log_dest_discard, NULL, NULL);
	qpdflogger_set_warn(log, qpdf_log_dest_custom, qpdf_collect, &msg);
	qpdflogger_set_error(log, qpdf_log_dest_custom, qpdf_collect, &msg);
	qpdfjob_set_logger(job, log);
	int code = qpdfjob_initialize_from_argv(job, argv);
	if (code == 0)
		code = qpdfjob_run(job);
	qpdfjob_cleanup(&job);
	qpdflogger_cleanup(&log);
	free(argv);
	int rc = 0;
	/* 0 = done, 3 = done with warnings */
	if (code != 0 && code != 3)
		rc = pa_fail(err, PA_EIO, "internal", NULL, "could not put the documents together: %.200s",
		             msg.len ? msg.buf : "qpdf failed");
	else
		rc = read_whole(out, pdf) < 0
		         ? pa_fail(err, PA_EIO, "internal", NULL, "cannot read back the batch PDF")
		         : 0;
	strbuf_release(&msg);
	unlink(out);
	return rc;
}

int docgen_batch_print(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t unit,
                       pa_time_t from, pa_time_t to, strbuf_t *pdf, int *ndocs, int *pages,
                       pa_err_t *err)
{
	*ndocs = *pages = 0;
	pa_document_t *ds = NULL;
	size_t n = 0;
	int rc = store_documents_issued(store_reader(app->store), a, unit, from, to,
	                                DOCGEN_BATCH_PRINT_MAX, &ds, &n);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the documents");
	const char **paths = arena_zalloc(a, (n + 1) * sizeof(*paths));
	size_t k = 0;
	int npages = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ds[i].public || !ds[i].sha256)
			continue;
		pa_case_t cs;
		if (store_case_get(store_reader(app->store), a, ds[i].case_id, &cs) < 0 ||
		    !authz_can_see_case(p, &cs))
			continue;
		paths[k++] = attach_path(a, app->cfg->attachments_dir, ds[i].sha256);
		npages += ds[i].pages;
	}
	if (k == 0)
		return pa_fail(err, PA_ENOTFOUND, "not-found", NULL,
		               "the unit issued no documents to the public on that day");
	if ((rc = merge_issued(paths, k, app->cfg->attachments_dir, pdf, err)) < 0)
		return rc;
	*ndocs = (int)k;
	*pages = npages;
	return 0;
}

/* ---- verification ---------------------------------------------------------------------------- */

struct issued_rec {
	pa_id_t doc;
	char sha[65];
};

static int cmp_rec(const void *a, const void *b)
{
	pa_id_t x = ((const struct issued_rec *)a)->doc, y = ((const struct issued_rec *)b)->doc;
	return x < y ? -1 : x > y;
}

static int file_sha256(const char *path, char out[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? PA_ENOTFOUND : PA_EIO;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	unsigned char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return PA_EIO;
		}
		if (r == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)r);
	}
	close(fd);
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, 65, h, sizeof(h));
	return 0;
}

static void bad(docs_report_t *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bad(docs_report_t *rep, const char *fmt, ...)
{
	if (rep->bad++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(rep->first, sizeof(rep->first), fmt, ap);
		va_end(ap);
	}
}

int docgen_verify(store_conn_t *c, const char *attachments_dir, docs_report_t *rep)
{
	memset(rep, 0, sizeof(*rep));
	arena_t *a = arena_new();
	/* what the audit chain says was issued */
	struct issued_rec *recs = NULL;
	size_t nrec = 0, cap = 0;
	int64_t after = 0;
	int rc = 0;
	for (;;) {
		arena_reset(a);
		pa_audit_rec_t *rs = NULL;
		size_t n = 0;
		if ((rc = store_audit_list(c, a, after, DOCGEN_VERIFY_PAGE, &rs, &n)) < 0 || n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			if (!streq(rs[i].action, "document.issue"))
				continue;
			json_t *d = json_loads(rs[i].detail ? rs[i].detail : "{}", 0, NULL);
			const char *sha = json_string_value(json_object_get(d, "sha256"));
			json_int_t id = json_integer_value(json_object_get(d, "document_id"));
			if (sha && strlen(sha) == 64 && id > 0) {
				if (nrec == cap) {
					cap = cap ? cap * 2 : 256;
					recs = xrealloc(recs, st_mult(cap, sizeof(*recs)));
				}
				recs[nrec].doc = id;
				memcpy(recs[nrec].sha, sha, 65);
				nrec++;
			}
			json_decref(d);
		}
		after = rs[n - 1].seq;
		if (n < DOCGEN_VERIFY_PAGE)
			break;
	}
	if (nrec)
		qsort(recs, nrec, sizeof(*recs), cmp_rec);
	/* every issued document: its audit record and its file */
	pa_id_t last = 0;
	while (rc == 0) {
		arena_reset(a);
		pa_document_t *ds = NULL;
		size_t n = 0;
		if ((rc = store_documents_done_page(c, a, last, DOCGEN_VERIFY_PAGE, &ds, &n)) < 0 || n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			pa_document_t *d = &ds[i];
			rep->checked++;
			struct issued_rec key = { .doc = d->id };
			struct issued_rec *r = nrec ? bsearch(&key, recs, nrec, sizeof(*recs), cmp_rec) : NULL;
			if (!r) {
				bad(rep, "document %lld (%s, case %lld) has no document.issue audit record",
				    (long long)d->id, d->number, (long long)d->case_id);
				continue;
			}
			if (!streq(r->sha, d->sha256)) {
				bad(rep, "document %lld (%s, case %lld): its row says sha256 %.16s…, the audit log %.16s…",
				    (long long)d->id, d->number, (long long)d->case_id, d->sha256, r->sha);
				continue;
			}
			char *path = attach_path(a, attachments_dir, d->sha256);
			char got[65];
			int fr = path ? file_sha256(path, got) : PA_ENOTFOUND;
			if (fr == PA_ENOTFOUND)
				bad(rep, "document %lld (%s, case %lld): its file %.16s… is missing", (long long)d->id,
				    d->number, (long long)d->case_id, d->sha256);
			else if (fr < 0)
				bad(rep, "document %lld (%s, case %lld): its file cannot be read", (long long)d->id,
				    d->number, (long long)d->case_id);
			else if (!streq(got, d->sha256))
				bad(rep, "document %lld (%s, case %lld) was changed: the file's sha256 is %.16s…, "
				    "recorded %.16s…", (long long)d->id, d->number, (long long)d->case_id, got,
				    d->sha256);
		}
		last = ds[n - 1].id;
		if (n < DOCGEN_VERIFY_PAGE)
			break;
	}
	free(recs);
	arena_free(a);
	if (rc < 0)
		return rc;
	return rep->bad ? PA_ECONFLICT : 0;
}
