/*
 * open311.c — Open311 GeoReport v2 at /open311/v2/ (docs/open311.md,
 * described by docs/open311.yaml): discovery, services, service
 * definitions, POST and GET requests, one request, tokens, and the
 * servicerequestupdates extension.
 *
 * Every resource exists as <name>.json and <name>.xml; the extension picks
 * the format (application/json or text/xml, UTF-8).  The routes take the
 * last segment as a parameter ("requests.json") and the handler splits it,
 * because the route table matches whole segments.  Errors are the spec's,
 * not problem+json: a list of {code, description} in the request's format
 * with the HTTP status equal to the code (400, 403, 404; 429 and 503 as the
 * rest of the API has them).  Handlers here therefore always answer
 * themselves and return 0.
 *
 * One writer (o3w_t) produces both formats from the same calls: a JSON
 * array of objects or an XML root of elements.  Times are ISO 8601 with
 * the district's offset; ids and codes are always strings.
 *
 * The response cache.  Every GET answer is public and the same for every
 * client: it depends on the path, the query string and the language only.
 * A 200 answer is kept (o3_cache_*) under that key with the store's count of
 * committed write batches (store_stats) and the time it was made; it is
 * served again while no batch has committed since and it is younger than
 * OPEN311_CACHE_MAX_AGE seconds.  The count is read before the data, and a
 * batch is counted only once committed, so a kept answer never predates a
 * write it was checked against: any committed write — a new request, a
 * transition, the timer's marks — empties the cache in effect.  The age
 * bounds what the count cannot see: the "last 90 days" window moving on,
 * and writes made by another process on the same database (the CLI).  The
 * cache is OPEN311_CACHE_SLOTS slots (a hash of the key picks one; a new
 * answer replaces the slot's) holding at most OPEN311_CACHE_BYTES in all,
 * each slot under one of OPEN311_CACHE_LOCKS mutexes.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/accounts.h"
#include "core/cases.h"
#include "core/open311.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#define O3_SPEC "http://wiki.open311.org/GeoReport_v2"
#define O3_DEPTH 8

#define OPEN311_CACHE_SLOTS 4096
#define OPEN311_CACHE_LOCKS 64
#define OPEN311_CACHE_BYTES (32 * 1024 * 1024)  /* bodies kept, in all */
#define OPEN311_CACHE_ENTRY_MAX (2 * 1024 * 1024) /* a larger body is not kept */
#define OPEN311_CACHE_MAX_AGE 2                    /* seconds an answer is served */
#define OPEN311_CACHE_KEY_MAX 4096                 /* bytes of path + query + language */
#define OPEN311_GZIP_MIN 1024                      /* a smaller body is sent as it is */

/* ---- the response cache (see the top of the file) ------------------------------------------- */

/* A kept body, shared by the cache slot and by every response sending it
 * (http_resp_shared: no copy per request); freed by its last holder. */
typedef struct o3_blob {
	atomic_int refs;
	size_t len;
	char data[];
} o3_blob_t;

static o3_blob_t *o3_blob_new(const char *data, size_t len)
{
	o3_blob_t *b = xmalloc(sizeof(*b) + len + 1);
	atomic_init(&b->refs, 1);
	b->len = len;
	memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

static o3_blob_t *o3_blob_ref(o3_blob_t *b)
{
	atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
	return b;
}

static void o3_blob_unref(void *p)
{
	o3_blob_t *b = p;
	if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
		free(b);
}

typedef struct o3_cached {
	uint64_t hash;
	char *key;
	size_t key_len;
	int64_t generation;
	pa_time_t made_at;
	bool xml;
	o3_blob_t *body;
	o3_blob_t *gz;           /* the body gzipped, made on the first hit that accepts it */
	/* one answer made at a time per key (see o3_cached_get) */
	bool filling;
	uint64_t fill_hash;
	int64_t fill_generation;
} o3_cached_t;

static o3_cached_t o3_cache[OPEN311_CACHE_SLOTS];
static pthread_mutex_t o3_cache_mu[OPEN311_CACHE_LOCKS];
static pthread_cond_t o3_cache_cv[OPEN311_CACHE_LOCKS];
static pthread_once_t o3_cache_once = PTHREAD_ONCE_INIT;
static atomic_size_t o3_cache_bytes;

static void o3_cache_init(void)
{
	for (size_t i = 0; i < OPEN311_CACHE_LOCKS; i++) {
		pthread_mutex_init(&o3_cache_mu[i], NULL);
		pthread_cond_init(&o3_cache_cv[i], NULL);
	}
}

/* The key: path, language and every query pair as sent; NULL when too long. */
static const char *o3_cache_key(http_req_t *req, size_t *len, uint64_t *hash)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, req->path);
	strbuf_addch(&sb, '\x01');
	strbuf_adds(&sb, req->lang ? req->lang : "");
	for (size_t i = 0; i < req->nquery && sb.len <= OPEN311_CACHE_KEY_MAX; i++) {
		strbuf_addch(&sb, '\x01');
		strbuf_adds(&sb, req->query[i].key ? req->query[i].key : "");
		strbuf_addch(&sb, '\x02');
		if (req->query[i].value)
			strbuf_add(&sb, req->query[i].value, req->query[i].value_len);
	}
	if (sb.len > OPEN311_CACHE_KEY_MAX) {
		strbuf_release(&sb);
		return NULL;
	}
	uint64_t h = 1469598103934665603ULL;  /* FNV-1a */
	for (size_t i = 0; i < sb.len; i++)
		h = (h ^ (unsigned char)sb.buf[i]) * 1099511628211ULL;
	const char *k = arena_strndup(req->arena, sb.buf, sb.len);
	*len = sb.len;
	*hash = h;
	strbuf_release(&sb);
	return k;
}

static int64_t o3_generation(http_req_t *req)
{
	int64_t commits = 0;
	store_stats(api_app(req)->store, &commits, NULL);
	return commits;
}

/* body gzipped into a malloc'd buffer; NULL when zlib fails. */
static char *o3_gzip(const char *body, size_t len, size_t *out_len)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	/* 15 + 16: a gzip wrapper (RFC 1952), not zlib's */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, (uLong)len);
	char *out = xmalloc(cap);
	z.next_in = (Bytef *)body;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	int zr = deflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	return out;
}

static bool o3_entry_fresh(const o3_cached_t *e, const char *key, size_t key_len, uint64_t hash,
                           int64_t generation, pa_time_t now)
{
	return e->key && e->hash == hash && e->key_len == key_len && e->generation == generation &&
	       now >= e->made_at && now - e->made_at < OPEN311_CACHE_MAX_AGE &&
	       memcmp(e->key, key, key_len) == 0;
}

static void o3_headers(http_resp_t *resp, bool gz)
{
	if (gz)
		http_resp_header(resp, "Content-Encoding", "gzip");
	http_resp_header(resp, "Vary", "Accept-Encoding");
}

static const char *o3_type(bool xml)
{
	return xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8";
}

/* Answers with blob b (the caller's reference passes to the response). */
static void o3_answer_blob(http_resp_t *resp, bool xml, o3_blob_t *b, bool gz)
{
	http_resp_shared(resp, 200, o3_type(xml), b->data, b->len, o3_blob_unref, b);
	o3_headers(resp, gz);
}

/* Answers from the cache when it holds a fresh answer for the key: the kept
 * body itself, referenced, not copied.  With gzip, the gzipped body (made
 * here once per kept answer, outside the lock). */
static bool o3_cache_get(http_resp_t *resp, const char *key, size_t key_len, uint64_t hash,
                         int64_t generation, bool gzip)
{
	size_t slot = hash % OPEN311_CACHE_SLOTS;
	pthread_mutex_t *mu = &o3_cache_mu[slot % OPEN311_CACHE_LOCKS];
	pa_time_t now = pa_now();
	pthread_mutex_lock(mu);
	o3_cached_t *e = &o3_cache[slot];
	if (!o3_entry_fresh(e, key, key_len, hash, generation, now)) {
		pthread_mutex_unlock(mu);
		return false;
	}
	bool xml = e->xml;
	if (!gzip || e->body->len < OPEN311_GZIP_MIN || e->gz) {
		bool gz = gzip && e->gz;
		o3_blob_t *b = o3_blob_ref(gz ? e->gz : e->body);
		pthread_mutex_unlock(mu);
		o3_answer_blob(resp, xml, b, gz);
		return true;
	}
	/* the first hit that takes gzip: compress the kept body, keep the result
	 * if the answer is still there */
	pa_time_t made_at = e->made_at;
	o3_blob_t *plain = o3_blob_ref(e->body);
	pthread_mutex_unlock(mu);
	size_t gz_len = 0;
	char *z = o3_gzip(plain->data, plain->len, &gz_len);
	if (!z) {
		o3_answer_blob(resp, xml, plain, false);
		return true;
	}
	o3_blob_t *gz = o3_blob_new(z, gz_len);
	free(z);
	o3_blob_unref(plain);
	o3_answer_blob(resp, xml, o3_blob_ref(gz), true);
	pthread_mutex_lock(mu);
	if (!e->gz && e->made_at == made_at && o3_entry_fresh(e, key, key_len, hash, generation, now) &&
	    atomic_load(&o3_cache_bytes) + gz_len <= OPEN311_CACHE_BYTES) {
		e->gz = gz;
		atomic_fetch_add(&o3_cache_bytes, gz_len);
		gz = NULL;
	}
	pthread_mutex_unlock(mu);
	o3_blob_unref(gz);
	return true;
}

/* Keeps resp's answer in the slot (when it is a 200 worth keeping) and
 * answers resp from the kept copy.  Returns the kept body (a reference the
 * caller releases), or NULL when the answer was not kept. */
static o3_blob_t *o3_cache_put(http_resp_t *resp, const char *key, size_t key_len, uint64_t hash,
                               int64_t generation, pa_time_t made_at)
{
	if (resp->status != 200 || resp->fd >= 0 || resp->stream || resp->shared ||
	    !resp->content_type || resp->body.len > OPEN311_CACHE_ENTRY_MAX)
		return NULL;
	size_t len = resp->body.len;
	if (atomic_load(&o3_cache_bytes) + len > OPEN311_CACHE_BYTES)
		return NULL;
	o3_blob_t *body = o3_blob_new(resp->body.buf, len);
	char *k = xmalloc(key_len + 1);
	memcpy(k, key, key_len);
	k[key_len] = '\0';
	bool xml = strncmp(resp->content_type, "text/xml", 8) == 0;
	size_t slot = hash % OPEN311_CACHE_SLOTS;
	pthread_mutex_t *mu = &o3_cache_mu[slot % OPEN311_CACHE_LOCKS];
	pthread_mutex_lock(mu);
	o3_cached_t *e = &o3_cache[slot];
	char *old_key = e->key;
	o3_blob_t *old_body = e->body, *old_gz = e->gz;
	size_t old_len = (old_body ? old_body->len : 0) + (old_gz ? old_gz->len : 0);
	e->hash = hash;
	e->key = k;
	e->key_len = key_len;
	e->generation = generation;
	e->made_at = made_at;
	e->xml = xml;
	e->body = o3_blob_ref(body);
	e->gz = NULL;
	atomic_fetch_add(&o3_cache_bytes, len);
	if (old_key)
		atomic_fetch_sub(&o3_cache_bytes, old_len);
	pthread_mutex_unlock(mu);
	free(old_key);
	o3_blob_unref(old_body);
	o3_blob_unref(old_gz);
	return body;
}

/* Runs a GET handler through the cache.  One answer per key is made at a
 * time: a request that misses while another is making the same key's answer
 * for the same commit count waits for it rather than reading and rendering
 * the same rows again (a list of 1000 requests costs tens of milliseconds;
 * when the answer aged out under load, every connection used to make it at
 * once).  A waiter that finds no answer afterwards (the maker's was not
 * kept) makes its own. */
static int o3_cached_get(http_req_t *req, http_resp_t *resp,
                         int (*handler)(http_req_t *, http_resp_t *))
{
	size_t key_len = 0;
	uint64_t hash = 0;
	const char *key = o3_cache_key(req, &key_len, &hash);
	if (!key)
		return handler(req, resp);
	pthread_once(&o3_cache_once, o3_cache_init);
	bool gzip = http_accepts_gzip(http_header(req, "Accept-Encoding"));
	/* read before the data: see the top of the file */
	int64_t generation = o3_generation(req);
	pa_time_t made_at = pa_now();
	if (o3_cache_get(resp, key, key_len, hash, generation, gzip))
		return 0;
	size_t slot = hash % OPEN311_CACHE_SLOTS;
	pthread_mutex_t *mu = &o3_cache_mu[slot % OPEN311_CACHE_LOCKS];
	pthread_cond_t *cv = &o3_cache_cv[slot % OPEN311_CACHE_LOCKS];
	o3_cached_t *e = &o3_cache[slot];
	bool maker = false, waited = false;
	pthread_mutex_lock(mu);
	while (e->filling && e->fill_hash == hash && e->fill_generation == generation) {
		pthread_cond_wait(cv, mu);
		waited = true;
	}
	if (!e->filling) {
		e->filling = maker = true;
		e->fill_hash = hash;
		e->fill_generation = generation;
	}
	pthread_mutex_unlock(mu);
	if (waited && o3_cache_get(resp, key, key_len, hash, generation, gzip)) {
		if (maker) {
			pthread_mutex_lock(mu);
			e->filling = false;
			pthread_cond_broadcast(cv);
			pthread_mutex_unlock(mu);
		}
		return 0;
	}
	int rc = handler(req, resp);
	o3_blob_t *kept = NULL;
	if (rc == 0 && maker)
		kept = o3_cache_put(resp, key, key_len, hash, generation, made_at);
	if (maker) {
		pthread_mutex_lock(mu);
		e->filling = false;
		pthread_cond_broadcast(cv);
		pthread_mutex_unlock(mu);
	}
	if (rc < 0 || resp->status != 200) {
		o3_blob_unref(kept);
		return rc;
	}
	char *gz = NULL;
	size_t gz_len = 0;
	if (gzip && resp->body.len >= OPEN311_GZIP_MIN)
		gz = o3_gzip(resp->body.buf, resp->body.len, &gz_len);
	bool xml = strncmp(resp->content_type, "text/xml", 8) == 0;
	if (gz) {
		http_resp_text(resp, 200, o3_type(xml), gz, gz_len);
		o3_headers(resp, true);
		free(gz);
		o3_blob_unref(kept);
	} else if (kept) {
		o3_answer_blob(resp, xml, kept, false);  /* the kept copy: no second one */
	} else {
		o3_headers(resp, false);
	}
	return rc;
}

/* ---- the two-format writer ------------------------------------------------------------ */

typedef struct o3w {
	strbuf_t *sb;
	bool xml;
	int depth;
	bool more[O3_DEPTH];        /* JSON: a member was written at this level */
	const char *tag[O3_DEPTH];  /* XML: element to close */
} o3w_t;

static void w_comma(o3w_t *w)
{
	if (!w->xml && w->depth >= 0) {
		if (w->more[w->depth])
			strbuf_addch(w->sb, ',');
		w->more[w->depth] = true;
	}
}

static void w_key(o3w_t *w, const char *key)
{
	if (!w->xml && key) {
		strbuf_add_json_str(w->sb, key);
		strbuf_addch(w->sb, ':');
	}
}

static void w_open(o3w_t *w, const char *key, const char *tag, bool array)
{
	w_comma(w);
	if (w->xml) {
		strbuf_addf(w->sb, "<%s>", tag);
	} else {
		w_key(w, key);
		strbuf_addch(w->sb, array ? '[' : '{');
	}
	w->depth++;
	w->more[w->depth] = false;
	w->tag[w->depth] = tag;
}

static void w_close(o3w_t *w, bool array)
{
	if (w->xml)
		strbuf_addf(w->sb, "</%s>", w->tag[w->depth]);
	else
		strbuf_addch(w->sb, array ? ']' : '}');
	w->depth--;
}

/* The document: a JSON array, or the XML declaration and root element. */
static void w_begin(o3w_t *w, strbuf_t *sb, bool xml, const char *root)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
	w->xml = xml;
	if (xml)
		strbuf_adds(sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
	w->depth = -1;
	w_open(w, NULL, root, true);
}

static void w_str(o3w_t *w, const char *key, const char *v)
{
	w_comma(w);
	if (w->xml) {
		if (!v || !*v) {
			strbuf_addf(w->sb, "<%s/>", key);
			return;
		}
		strbuf_addf(w->sb, "<%s>", key);
		strbuf_add_xml_escaped(w->sb, v);
		strbuf_addf(w->sb, "</%s>", key);
	} else {
		w_key(w, key);
		if (v)
			strbuf_add_json_str(w->sb, v);
		else
			strbuf_adds(w->sb, "null");
	}
}

/* A bare value in a list (XML: <tag>v</tag>). */
static void w_item(o3w_t *w, const char *tag, const char *v)
{
	if (w->xml) {
		w_str(w, tag, v);
	} else {
		w_comma(w);
		strbuf_add_json_str(w->sb, v);
	}
}

static void w_raw(o3w_t *w, const char *key, const char *json, const char *text)
{
	w_comma(w);
	if (w->xml) {
		strbuf_addf(w->sb, "<%s>%s</%s>", key, text, key);
	} else {
		w_key(w, key);
		strbuf_adds(w->sb, json);
	}
}

static void w_bool(o3w_t *w, const char *key, bool v)
{
	w_raw(w, key, v ? "true" : "false", v ? "true" : "false");
}

static void w_int(o3w_t *w, const char *key, long long v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	w_raw(w, key, buf, buf);
}

static void w_time(o3w_t *w, pa_app_t *app, const char *key, pa_time_t t)
{
	if (!t || t == PA_NO_DUE) {
		w_str(w, key, NULL);
		return;
	}
	char buf[32];
	pa_time_format(t, app->cfg->utc_offset_min, buf);
	w_str(w, key, buf);
}

/* ---- requests and answers ----------------------------------------------------------------- */

typedef struct o3_target {
	const char *name;  /* "requests" */
	bool xml;
} o3_target_t;

/* "requests.json" → { "requests", false }; false when the extension is neither. */
static bool split_target(http_req_t *req, const char *file, o3_target_t *t)
{
	const char *dot = file ? strrchr(file, '.') : NULL;
	if (!dot || dot == file)
		return false;
	if (streq(dot, ".json"))
		t->xml = false;
	else if (streq(dot, ".xml"))
		t->xml = true;
	else
		return false;
	t->name = arena_strndup(req->arena, file, (size_t)(dot - file));
	return true;
}

static void send(http_resp_t *resp, int status, bool xml, strbuf_t *sb)
{
	http_resp_text(resp, status, xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8",
	               sb->buf, sb->len);
	strbuf_release(sb);
}

static int o3_error(http_req_t *req, http_resp_t *resp, bool xml, int status, const char *desc)
{
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	w_begin(&w, &sb, xml, "errors");
	w_open(&w, NULL, "error", false);
	w_int(&w, "code", status);
	w_str(&w, "description", desc);
	w_close(&w, false);
	w_close(&w, true);
	if (status == 429 && req->err.retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", req->err.retry_after);
		http_resp_header(resp, "Retry-After", arena_strdup(req->arena, ra));
	}
	send(resp, status, xml, &sb);
	return 0;
}

/* A core error in the spec's shape: its status, the field and the detail. */
static int o3_fail(http_req_t *req, http_resp_t *resp, bool xml)
{
	int status = http_status_for(req->err.code);
	if (status == 401)
		status = 403;
	const char *desc = req->err.field[0]
	                       ? arena_printf(req->arena, "%s: %s", req->err.field, req->err.detail)
	                       : req->err.detail;
	if (status >= 500) {
		desc = "the service is temporarily unavailable";
		if (status != 503)
			status = 500;
	}
	return o3_error(req, resp, xml, status, desc);
}

static const char *lbl(const wf_label_t *l, const char *lang)
{
	return wf_label(l, lang);
}

/* jurisdiction_id, when given, must be this district's (when one is set). */
static bool jurisdiction_ok(http_req_t *req, const char *given)
{
	const char *mine = api_app(req)->cfg->open311_jurisdiction;
	return !given || !*given || !mine || !*mine || streq(given, mine);
}

/* ---- discovery, services ------------------------------------------------------------------- */

static int discovery(http_req_t *req, http_resp_t *resp, bool xml)
{
	pa_app_t *app = api_app(req);
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	const char *base = app_public_url(app, req->arena);
	/* a bare object, not a list: discovery is one document */
	memset(&w, 0, sizeof(w));
	w.sb = &sb;
	w.xml = xml;
	w.depth = -1;
	if (xml)
		strbuf_adds(&sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
	w_open(&w, NULL, "discovery", false);
	w_time(&w, app, "changeset", app->started_at);
	w_str(&w, "contact", app->cfg->open311_contact);
	w_str(&w, "key_service", app->cfg->open311_contact);
	w_open(&w, "endpoints", "endpoints", true);
	w_open(&w, NULL, "endpoint", false);
	w_str(&w, "specification", O3_SPEC);
	w_str(&w, "url", arena_printf(req->arena, "%s/open311/v2", base));
	w_time(&w, app, "changeset", app->started_at);
	w_str(&w, "type", "production");
	w_open(&w, "formats", "formats", true);
	w_item(&w, "format", "application/json");
	w_item(&w, "format", "text/xml");
	w_close(&w, true);
	w_close(&w, false);
	w_close(&w, true);
	w_close(&w, false);
	send(resp, 200, xml, &sb);
	return 0;
}

static int services(http_req_t *req, http_resp_t *resp, bool xml)
{
	pa_app_t *app = api_app(req);
	open311_service_t *sv = NULL;
	size_t n = open311_services(app->wf, req->arena, &sv);
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	w_begin(&w, &sb, xml, "services");
	for (size_t i = 0; i < n; i++) {
		w_open(&w, NULL, "service", false);
		w_str(&w, "service_code", sv[i].code);
		w_str(&w, "service_name", lbl(&sv[i].cat->label, req->lang));
		w_str(&w, "description",
		      sv[i].group ? arena_printf(req->arena, "%s / %s", lbl(&sv[i].group->label, req->lang),
		                                 lbl(&sv[i].cat->label, req->lang))
		                  : lbl(&sv[i].cat->label, req->lang));
		w_bool(&w, "metadata", true);
		w_str(&w, "type", "realtime");
		w_str(&w, "keywords", arena_printf(req->arena, "%s,%s", sv[i].def->type, sv[i].cat->code));
		w_str(&w, "group", sv[i].group ? lbl(&sv[i].group->label, req->lang)
		                               : lbl(&sv[i].def->label, req->lang));
		w_close(&w, false);
	}
	w_close(&w, true);
	send(resp, 200, xml, &sb);
	return 0;
}

static int service_definition(http_req_t *req, http_resp_t *resp, bool xml, const char *code)
{
	pa_app_t *app = api_app(req);
	const wf_def_t *def = NULL;
	if (!wf_registry_find_service(app->wf, code, &def))
		return o3_error(req, resp, xml, 404, "no such service_code");
	bool en = streq(req->lang, "en");
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	memset(&w, 0, sizeof(w));
	w.sb = &sb;
	w.xml = xml;
	w.depth = -1;
	if (xml)
		strbuf_adds(&sb, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
	w_open(&w, NULL, "service_definition", false);
	w_str(&w, "service_code", code);
	w_open(&w, "attributes", "attributes", true);
	w_open(&w, NULL, "attribute", false);
	w_bool(&w, "variable", true);
	w_str(&w, "code", "title");
	w_str(&w, "datatype", "string");
	w_bool(&w, "required", false);
	w_str(&w, "datatype_description",
	      en ? "At most 200 characters" : "不超过200字");
	w_int(&w, "order", 1);
	w_str(&w, "description",
	      en ? "A short title of the problem (default: the start of the description)"
	         : "问题的简短标题（不填时取描述的开头）");
	w_close(&w, false);
	w_open(&w, NULL, "attribute", false);
	w_bool(&w, "variable", true);
	w_str(&w, "code", "lang");
	w_str(&w, "datatype", "singlevaluelist");
	w_bool(&w, "required", false);
	w_str(&w, "datatype_description", NULL);
	w_int(&w, "order", 2);
	w_str(&w, "description", en ? "Language of the replies" : "答复使用的语言");
	w_open(&w, "values", "values", true);
	w_open(&w, NULL, "value", false);
	w_str(&w, "key", "zh-CN");
	w_str(&w, "name", "中文");
	w_close(&w, false);
	w_open(&w, NULL, "value", false);
	w_str(&w, "key", "en");
	w_str(&w, "name", "English");
	w_close(&w, false);
	w_close(&w, true);
	w_close(&w, false);
	w_close(&w, true);
	w_close(&w, false);
	send(resp, 200, xml, &sb);
	return 0;
}

/* ---- requests ------------------------------------------------------------------------------- */

static const char *media_url_of(arena_t *a, const char *data)
{
	if (!data || !strstr(data, "\"media_url\""))
		return NULL;
	json_t *j = json_loads(data, 0, NULL);
	const char *u = json_string_value(json_object_get(j, "media_url"));
	const char *r = u ? arena_strdup(a, u) : NULL;
	json_decref(j);
	return r;
}

static void write_request(o3w_t *w, http_req_t *req, const orgtree_t *t, const pa_case_t *cs)
{
	pa_app_t *app = api_app(req);
	const wf_def_t *def = wf_registry_find(app->wf, cs->type);
	const wf_category_t *cat = def ? wf_find_category(def, cs->category) : NULL;
	const wf_state_t *st = def ? wf_find_state(def, cs->state) : NULL;
	const pa_org_t *owner = orgtree_find(t, cs->owner_org_id);
	bool en = streq(req->lang, "en");
	w_open(w, NULL, "request", false);
	w_str(w, "service_request_id", cs->number);
	w_str(w, "status", cs->is_open ? "open" : "closed");
	w_str(w, "status_notes", st ? lbl(&st->label, req->lang) : cs->state);
	w_str(w, "service_name", cat ? lbl(&cat->label, req->lang) : cs->category);
	w_str(w, "service_code", cat && cat->service_code ? cat->service_code : cs->category);
	w_str(w, "description", cs->title);
	w_str(w, "agency_responsible",
	      owner ? (en && owner->name_en && *owner->name_en ? owner->name_en : owner->name) : NULL);
	w_str(w, "service_notice", NULL);
	w_time(w, app, "requested_datetime", cs->created_at);
	w_time(w, app, "updated_datetime", cs->updated_at);
	w_time(w, app, "expected_datetime", cs->is_open ? cs->due_at : 0);
	w_str(w, "address", cs->address);
	w_str(w, "address_id", NULL);
	w_str(w, "zipcode", NULL);
	if (cs->has_point) {
		char lat[32], lng[32];
		snprintf(lat, sizeof(lat), "%.6f", cs->lat);
		snprintf(lng, sizeof(lng), "%.6f", cs->lng);
		w_raw(w, "lat", lat, lat);
		w_raw(w, "long", lng, lng);
	} else {
		w_str(w, "lat", NULL);
		w_str(w, "long", NULL);
	}
	w_str(w, "media_url", media_url_of(req->arena, cs->data));
	w_close(w, false);
}

/* Splits a comma list into at most max non-empty items; -1 when longer. */
static int split_list(arena_t *a, const char *s, size_t max, const char ***out)
{
	const char **items = arena_alloc(a, (max + 1) * sizeof(*items));
	int n = 0;
	const char *p = s;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		while (len && p[0] == ' ')
			p++, len--;
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			if ((size_t)n == max)
				return -1;
			items[n++] = arena_strndup(a, p, len);
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = items;
	return n;
}

static int request_list(http_req_t *req, http_resp_t *resp, bool xml, const char *one_id)
{
	pa_app_t *app = api_app(req);
	arena_t *a = req->arena;
	if (!jurisdiction_ok(req, http_query(req, "jurisdiction_id")))
		return o3_error(req, resp, xml, 404, "no such jurisdiction_id");
	open311_service_t *sv = NULL;
	size_t nsv = open311_services(app->wf, a, &sv);
	pa_open311_filter_t f = { .open = -1, .limit = OPEN311_MAX_RESULTS };
	const char **ids = NULL, **codes = NULL;
	int nids = 0, ncodes = 0;
	const char *q;
	if (one_id) {
		ids = arena_alloc(a, sizeof(*ids));
		ids[0] = one_id;
		nids = 1;
	} else if ((q = http_query(req, "service_request_id")) && *q) {
		if ((nids = split_list(a, q, OPEN311_MAX_IDS, &ids)) < 0)
			return o3_error(req, resp, xml, 400, "service_request_id: at most 100 ids");
	}
	pa_time_t now = pa_now();
	if (nids) {
		/* ids override every other parameter (the spec) */
		f.from = 0;
		f.to = INT64_MAX;
	} else {
		if ((q = http_query(req, "service_code")) && *q &&
		    (ncodes = split_list(a, q, OPEN311_MAX_CODES, &codes)) < 0)
			return o3_error(req, resp, xml, 400, "service_code: at most 100 codes");
		const char *sd = http_query(req, "start_date"), *ed = http_query(req, "end_date");
		pa_time_t from = 0, to = 0;
		if (sd && *sd && pa_time_parse(sd, app->cfg->utc_offset_min, &from) < 0)
			return o3_error(req, resp, xml, 400, "start_date: not an ISO 8601 time");
		if (ed && *ed && pa_time_parse(ed, app->cfg->utc_offset_min, &to) < 0)
			return o3_error(req, resp, xml, 400, "end_date: not an ISO 8601 time");
		const pa_time_t span = (pa_time_t)OPEN311_DEFAULT_DAYS * 86400;
		if (!to)
			to = from ? from + span : now;
		if (!from)
			from = to - span;
		if (to < from)
			return o3_error(req, resp, xml, 400, "end_date: before start_date");
		if (to - from > span)
			return o3_error(req, resp, xml, 400, "start_date: the range may span at most 90 days");
		f.from = from;
		f.to = to;
		if ((q = http_query(req, "status")) && *q) {
			const char **st = NULL;
			int nst = split_list(a, q, 2, &st);
			bool o = false, c = false;
			for (int i = 0; i < nst; i++) {
				if (streq(st[i], "open"))
					o = true;
				else if (streq(st[i], "closed"))
					c = true;
				else
					nst = -1;
			}
			if (nst < 0)
				return o3_error(req, resp, xml, 400, "status: open, closed or both");
			f.open = o && !c ? 1 : c && !o ? 0 : -1;
		}
	}
	/* the categories asked for, grouped by case type */
	const char **cats = arena_alloc(a, (nsv + 1) * sizeof(*cats));
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	w_begin(&w, &sb, xml, "service_requests");
	orgtree_t *t = orgcache_get(app->orgs);
	int left = OPEN311_MAX_RESULTS;
	int rc = 0;
	for (int code_i = 0; code_i < ncodes; code_i++) {
		const wf_def_t *d = NULL;
		if (!wf_registry_find_service(app->wf, codes[code_i], &d)) {
			rc = -1;
			break;
		}
	}
	if (rc < 0) {
		orgtree_release(t);
		strbuf_release(&sb);
		return o3_error(req, resp, xml, 404, "service_code: no such service");
	}
	for (size_t d = 0; app->wf && d < app->wf->ndefs && left > 0; d++) {
		const wf_def_t *def = app->wf->defs[d];
		size_t nc = 0;
		for (size_t i = 0; i < nsv; i++) {
			if (sv[i].def != def)
				continue;
			bool want = ncodes == 0;
			for (int k = 0; k < ncodes && !want; k++)
				want = streq(codes[k], sv[i].code);
			if (want)
				cats[nc++] = sv[i].cat->code;
		}
		if (nc == 0)
			continue;
		f.type = def->type;
		f.all_categories = ncodes == 0;
		f.categories = cats;
		f.ncategories = nc;
		f.numbers = ids;
		f.nnumbers = (size_t)nids;
		f.limit = left;
		pa_case_t *cs = NULL;
		size_t n = 0;
		if ((rc = store_open311_requests(store_reader(app->store), a, &f, &cs, &n)) < 0)
			break;
		for (size_t i = 0; i < n; i++)
			write_request(&w, req, t, &cs[i]);
		left -= (int)n;
	}
	orgtree_release(t);
	w_close(&w, true);
	if (rc < 0) {
		strbuf_release(&sb);
		return o3_error(req, resp, xml, 503, "the service is temporarily unavailable");
	}
	if (one_id && left == OPEN311_MAX_RESULTS) {
		strbuf_release(&sb);
		return o3_error(req, resp, xml, 404, "no such service request");
	}
	send(resp, 200, xml, &sb);
	return 0;
}

static int updates(http_req_t *req, http_resp_t *resp, bool xml)
{
	pa_app_t *app = api_app(req);
	if (!jurisdiction_ok(req, http_query(req, "jurisdiction_id")))
		return o3_error(req, resp, xml, 404, "no such jurisdiction_id");
	const char *sd = http_query(req, "start_date"), *ed = http_query(req, "end_date");
	pa_time_t from = 0, to = 0, now = pa_now();
	if (sd && *sd && pa_time_parse(sd, app->cfg->utc_offset_min, &from) < 0)
		return o3_error(req, resp, xml, 400, "start_date: not an ISO 8601 time");
	if (ed && *ed && pa_time_parse(ed, app->cfg->utc_offset_min, &to) < 0)
		return o3_error(req, resp, xml, 400, "end_date: not an ISO 8601 time");
	const pa_time_t span = (pa_time_t)OPEN311_DEFAULT_DAYS * 86400;
	if (!to)
		to = from ? from + span : now;
	if (!from)
		from = to - span;
	if (to < from || to - from > span)
		return o3_error(req, resp, xml, 400, "start_date: the range may span at most 90 days");
	open311_service_t *sv = NULL;
	size_t nsv = open311_services(app->wf, req->arena, &sv);
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	w_begin(&w, &sb, xml, "service_request_updates");
	int left = OPEN311_MAX_RESULTS;
	for (size_t d = 0; app->wf && d < app->wf->ndefs && left > 0; d++) {
		const wf_def_t *def = app->wf->defs[d];
		bool has = false;
		for (size_t i = 0; i < nsv && !has; i++)
			has = sv[i].def == def;
		if (!has)
			continue;
		pa_open311_update_t *up = NULL;
		size_t n = 0;
		if (store_open311_updates(store_reader(app->store), req->arena, def->type, from, to, left,
		                          &up, &n) < 0) {
			strbuf_release(&sb);
			return o3_error(req, resp, xml, 503, "the service is temporarily unavailable");
		}
		for (size_t i = 0; i < n; i++) {
			const wf_category_t *cat = wf_find_category(def, up[i].category);
			if (!cat || !cat->service_code)
				continue;
			const wf_state_t *st = wf_find_state(def, up[i].state);
			w_open(&w, NULL, "request_update", false);
			w_str(&w, "update_id", arena_printf(req->arena, "%lld", (long long)up[i].event_id));
			w_str(&w, "service_request_id", up[i].number);
			w_str(&w, "status", st && st->terminal ? "closed" : "open");
			w_time(&w, app, "updated_datetime", up[i].at);
			w_str(&w, "description", st ? lbl(&st->label, req->lang) : up[i].state);
			w_str(&w, "media_url", NULL);
			w_close(&w, false);
		}
		left -= (int)n;
	}
	w_close(&w, true);
	send(resp, 200, xml, &sb);
	return 0;
}

/* ---- POST requests ---------------------------------------------------------------------------- */

static void release_tree(void *t)
{
	orgtree_release(t);
}

/* The form body of an Open311 POST, parsed into key/value pairs. On failure the spec-shaped error is
 * already written and *rc holds the handler's result. */
static int read_form(http_req_t *req, http_resp_t *resp, bool xml, http_kv_t **kv, size_t *n,
                     int *rc)
{
	if (!req->content_type || !streq(req->content_type, "application/x-www-form-urlencoded")) {
		*rc = o3_error(req, resp, xml, 400, "the body must be application/x-www-form-urlencoded");
		return -1;
	}
	if (http_query_parse(req->arena, req->body ? req->body : "", req->body_len, kv, n,
	                     &req->err) < 0) {
		*rc = o3_error(req, resp, xml, 400, "the form body is malformed");
		return -1;
	}
	return 0;
}

/* The principal an api_key stands for, with the org tree the request sees. NULL when the key is
 * missing or invalid or the jurisdiction is not ours; the error is written and *rc holds the result. */
static pa_principal_t *key_principal(http_req_t *req, http_resp_t *resp, bool xml,
                                     const char *api_key, const char *jurisdiction, int *rc)
{
	pa_app_t *app = api_app(req);
	if (!api_key) {
		*rc = o3_error(req, resp, xml, 403, "api_key is required");
		return NULL;
	}
	if (!jurisdiction_ok(req, jurisdiction)) {
		*rc = o3_error(req, resp, xml, 404, "no such jurisdiction_id");
		return NULL;
	}
	pa_principal_t *p = arena_zalloc(req->arena, sizeof(*p));
	pa_err_t kerr = { 0 };
	if (accounts_from_token(app, req->arena, api_key, p, &kerr) < 0) {
		*rc = o3_error(req, resp, xml, kerr.code == PA_EUNAVAIL ? 503 : 403, "invalid api_key");
		return NULL;
	}
	p->client_ip = req->client_ip;
	orgtree_t *t = orgcache_get(app->orgs);
	arena_defer(req->arena, release_tree, t);
	p->tree = t;
	return p;
}

static int post_request(http_req_t *req, http_resp_t *resp, bool xml)
{
	pa_app_t *app = api_app(req);
	http_kv_t *kv = NULL;
	size_t n = 0;
	int rc = 0;
	if (read_form(req, resp, xml, &kv, &n, &rc) < 0)
		return rc;
	open311_request_in_t in;
	if (open311_parse_request(req->arena, kv, n, &in, &req->err) < 0)
		return o3_fail(req, resp, xml);
	pa_principal_t *p = key_principal(req, resp, xml, in.api_key, in.jurisdiction_id, &rc);
	if (!p)
		return rc;
	const char *number = NULL;
	if (open311_submit(app, req->arena, p, &in, &number, &req->err) < 0)
		return o3_fail(req, resp, xml);
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	w_begin(&w, &sb, xml, "service_requests");
	w_open(&w, NULL, "request", false);
	w_str(&w, "service_request_id", number);
	w_str(&w, "token", number);
	w_str(&w, "service_notice", NULL);
	w_str(&w, "account_id", NULL);
	w_close(&w, false);
	w_close(&w, true);
	send(resp, 200, xml, &sb);
	return 0;
}

/* ---- POST servicerequestupdates (the extension's updates from clients) ------------------------ */

static int post_update(http_req_t *req, http_resp_t *resp, bool xml)
{
	pa_app_t *app = api_app(req);
	http_kv_t *kv = NULL;
	size_t n = 0;
	int rc = 0;
	if (read_form(req, resp, xml, &kv, &n, &rc) < 0)
		return rc;
	open311_update_in_t in;
	if (open311_parse_update(req->arena, kv, n, app->cfg->utc_offset_min, &in, &req->err) < 0)
		return o3_fail(req, resp, xml);
	pa_principal_t *p = key_principal(req, resp, xml, in.api_key, in.jurisdiction_id, &rc);
	if (!p)
		return rc;
	pa_id_t id = 0;
	if (open311_post_update(app, req->arena, p, &in, &id, &req->err) < 0)
		return o3_fail(req, resp, xml);
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	w_begin(&w, &sb, xml, "service_request_updates");
	w_open(&w, NULL, "request_update", false);
	w_str(&w, "update_id", arena_printf(req->arena, "%lld", (long long)id));
	w_close(&w, false);
	w_close(&w, true);
	send(resp, 200, xml, &sb);
	return 0;
}

/* ---- routes ------------------------------------------------------------------------------------ */

static int open311_get_uncached(http_req_t *req, http_resp_t *resp)
{
	o3_target_t t;
	if (!split_target(req, req->params[0], &t))
		return o3_error(req, resp, false, 404, "no such resource (use .json or .xml)");
	if (streq(t.name, "discovery"))
		return discovery(req, resp, t.xml);
	if (streq(t.name, "services")) {
		if (!jurisdiction_ok(req, http_query(req, "jurisdiction_id")))
			return o3_error(req, resp, t.xml, 404, "no such jurisdiction_id");
		return services(req, resp, t.xml);
	}
	if (streq(t.name, "requests"))
		return request_list(req, resp, t.xml, NULL);
	if (streq(t.name, "servicerequestupdates"))
		return updates(req, resp, t.xml);
	return o3_error(req, resp, t.xml, 404, "no such resource");
}

int h_open311_post(http_req_t *req, http_resp_t *resp)
{
	o3_target_t t;
	if (!split_target(req, req->params[0], &t))
		return o3_error(req, resp, false, 404, "no such resource (use .json or .xml)");
	if (streq(t.name, "requests"))
		return post_request(req, resp, t.xml);
	if (streq(t.name, "servicerequestupdates"))
		return post_update(req, resp, t.xml);
	return o3_error(req, resp, t.xml, 404, "no such resource");
}

static int open311_service_uncached(http_req_t *req, http_resp_t *resp)
{
	o3_target_t t;
	if (!split_target(req, req->params[0], &t))
		return o3_error(req, resp, false, 404, "no such resource (use .json or .xml)");
	if (!jurisdiction_ok(req, http_query(req, "jurisdiction_id")))
		return o3_error(req, resp, t.xml, 404, "no such jurisdiction_id");
	return service_definition(req, resp, t.xml, t.name);
}

static int open311_request_uncached(http_req_t *req, http_resp_t *resp)
{
	o3_target_t t;
	if (!split_target(req, req->params[0], &t))
		return o3_error(req, resp, false, 404, "no such resource (use .json or .xml)");
	return request_list(req, resp, t.xml, t.name);
}

static int open311_token_uncached(http_req_t *req, http_resp_t *resp)
{
	o3_target_t t;
	if (!split_target(req, req->params[0], &t))
		return o3_error(req, resp, false, 404, "no such resource (use .json or .xml)");
	/* requests are created at once, so a token is the request's own id */
	pa_case_t cs;
	pa_app_t *app = api_app(req);
	int rc = store_case_get_by_number(store_reader(app->store), req->arena, t.name, &cs);
	const wf_def_t *def = rc == 0 ? wf_registry_find(app->wf, cs.type) : NULL;
	const wf_category_t *cat = def ? wf_find_category(def, cs.category) : NULL;
	if (rc == PA_ENOTFOUND || (rc == 0 && (!cat || !cat->service_code)))
		return o3_error(req, resp, t.xml, 404, "no such token");
	if (rc < 0)
		return o3_error(req, resp, t.xml, 503, "the service is temporarily unavailable");
	strbuf_t sb = STRBUF_INIT;
	o3w_t w;
	w_begin(&w, &sb, t.xml, "service_requests");
	w_open(&w, NULL, "request", false);
	w_str(&w, "service_request_id", cs.number);
	w_str(&w, "token", cs.number);
	w_close(&w, false);
	w_close(&w, true);
	send(resp, 200, t.xml, &sb);
	return 0;
}

/* ---- the GET routes, through the response cache ------------------------------------------------ */

int h_open311_get(http_req_t *req, http_resp_t *resp)
{
	return o3_cached_get(req, resp, open311_get_uncached);
}

int h_open311_service(http_req_t *req, http_resp_t *resp)
{
	return o3_cached_get(req, resp, open311_service_uncached);
}

int h_open311_request(http_req_t *req, http_resp_t *resp)
{
	return o3_cached_get(req, resp, open311_request_uncached);
}

int h_open311_token(http_req_t *req, http_resp_t *resp)
{
	return o3_cached_get(req, resp, open311_token_uncached);
}
