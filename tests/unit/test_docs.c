/*
 * test_docs.c — documents (文书): template validation, rendering of every
 * kind in zh-CN and en checked through pdftotext and pdftoppm (Debian's
 * poppler-utils), and issuing against a real app: numbers unique under
 * concurrent generators, the timeline and audit records, regeneration,
 * and verification catching a changed file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app_fixture.h"
#include "base/common.h"
#include "core/attach.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/demo.h"
#include "core/docgen.h"
#include "core/docs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static docs_t *open_installed(void)
{
	char tpl[512], cache[128];
	snprintf(tpl, sizeof(tpl), "%s/templates/docs", fixture_source_dir());
	snprintf(cache, sizeof(cache), "%s/cache/fonts", dir);
	docs_options_t o = { .templates_dir = tpl, .cache_dir = cache };
	docs_t *d = NULL;
	pa_err_t err = { 0 };
	if (docs_open(&o, &d, &err) < 0)
		fail_msg("docs_open: %s", err.detail);
	return d;
}

static int setup_dir(void **state)
{
	fixture_tmpdir(dir, sizeof(dir), "docs");
	return 0;
}

static int teardown_dir(void **state)
{
	return fixture_rmdir(dir);
}

/* ---- validation ---------------------------------------------------------------------- */

#define GOOD_HEAD "kind: refusal\nlocale: zh-CN\n"

static const struct bad_template {
	const char *name;
	const char *yaml;
	const char *want[3];    /* substrings of the message */
} bad_templates[] = {
	{ "refusal.zh-CN.yaml",
	  GOOD_HEAD "fields: [reason]\ntitle: t\nbody: \"理由：{reasn}\"\nbasis: b\n",
	  { "refusal.zh-CN.yaml:5", "body", "{reasn}" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: [reason]\ntitle: t\nbasis: b\n",
	  { "refusal.zh-CN.yaml", "body", "missing" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: [reason]\ntitle: t\nbody: x\nbasis: b\ncolour: red\n",
	  { "refusal.zh-CN.yaml:7", "unknown key", "colour" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: reason\ntitle: t\nbody: x\nbasis: b\n",
	  { "refusal.zh-CN.yaml:3", "fields", "list" } },
	{ "dir/refusal.zh-CN.yaml", "kind: opinion\nlocale: zh-CN\nfields: []\ntitle: t\nbody: x\nbasis: b\n",
	  { "dir/refusal.zh-CN.yaml", "kind", "file name" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: []\ntitle: t\nbody: x\nbasis: b\nnumber: \"{year}号\"\n",
	  { "refusal.zh-CN.yaml", "number", "{seq}" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: []\ntitle: t\nbody: x\nbasis: b\nnumber: \"{unit}{seq}\"\n",
	  { "refusal.zh-CN.yaml", "number", "{unit}" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: []\ntitle: \"{title\"\nbody: x\nbasis: b\n",
	  { "refusal.zh-CN.yaml:4", "title", "malformed placeholder" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: [reason]\ntitle: t\nbody: x\nbasis: b\nsample: { days: 3 }\n",
	  { "refusal.zh-CN.yaml", "sample.days", "not a field" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: [reason, reason]\ntitle: t\nbody: x\nbasis: b\n",
	  { "refusal.zh-CN.yaml", "fields.reason", "twice" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: [number]\ntitle: t\nbody: x\nbasis: b\n",
	  { "refusal.zh-CN.yaml", "fields.number", "built-in" } },
	{ "refusal.zh-CN.yaml", "kind: refusal\nlocale: fr\nfields: []\ntitle: t\nbody: x\nbasis: b\n",
	  { "refusal.zh-CN.yaml:2", "locale", "zh-CN or en" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: []\ntitle: [a, b]\nbody: x\nbasis: b\n",
	  { "refusal.zh-CN.yaml:4", "title", "expected text" } },
	{ "refusal.zh-CN.yaml", GOOD_HEAD "fields: []\ntitle: t\nbody: x\nbasis: b\nsignatures: [\"{who}\"]\n",
	  { "refusal.zh-CN.yaml", "signatures[0]", "{who}" } },
	{ "refusal.zh-CN.yaml", "- a\n- b\n", { "refusal.zh-CN.yaml:1", "mapping", NULL } },
	{ "refusal.zh-CN.yaml", "kind: [\n", { "refusal.zh-CN.yaml", NULL, NULL } },
};

static void test_bad_templates_are_refused_naming_template_and_field(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_templates); i++) {
		const struct bad_template *b = &bad_templates[i];
		doc_template_t *t = NULL;
		pa_err_t err = { 0 };
		int rc = docs_template_parse(b->yaml, strlen(b->yaml), b->name, &t, &err);
		if (rc != PA_EINVAL)
			fail_msg("case %zu: expected PA_EINVAL, got %d (%s)", i, rc, err.detail);
		assert_null(t);
		for (size_t k = 0; k < ARRAY_SIZE(b->want) && b->want[k]; k++)
			if (!strstr(err.detail, b->want[k]))
				fail_msg("case %zu: message \"%s\" lacks \"%s\"", i, err.detail, b->want[k]);
	}
}

static void test_good_template_parses(void **state)
{
	const char *y = GOOD_HEAD "fields: [reason]\ntitle: \"{{不予受理}}\"\nbody: \"理由：{reason}，{number}\"\n"
	                          "basis: b\nsample: { reason: 无 }\n";
	doc_template_t *t = NULL;
	pa_err_t err = { 0 };
	assert_int_equal(docs_template_parse(y, strlen(y), "x/refusal.zh-CN.yaml", &t, &err), 0);
	assert_string_equal(doc_template_kind(t), "refusal");
	assert_int_equal(doc_template_nfields(t), 1);
	assert_true(doc_template_public(t));
	arena_t *a = arena_new();
	assert_string_equal(doc_template_number(a, t, "xfj", NULL, 2026, 12), "xfj〔2026〕12号");
	assert_string_equal(doc_template_number(a, t, "xfj", "", 2026, 12), "xfj〔2026〕12号");
	assert_string_equal(doc_template_number(a, t, "xfj", "平信", 2026, 12), "平信〔2026〕12号");
	arena_free(a);
	docs_template_free(t);
	free(t);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_templates_checked_against_the_workflow(void **state)
{
	docs_t *d = open_installed();
	char wfdir[512];
	snprintf(wfdir, sizeof(wfdir), "%s/workflows", fixture_source_dir());
	wf_registry_t *wf = NULL;
	pa_err_t err = { 0 };
	assert_int_equal(wf_registry_load_dir(wfdir, &wf, &err), 0);
	assert_int_equal(docs_check_workflows(d, wf, &err), 0);
	/* a template that needs a field the step does not have */
	char path[256];
	snprintf(path, sizeof(path), "%s/refusal.zh-CN.yaml", dir);
	write_text(path, GOOD_HEAD "fields: [reason, appeal_court]\ntitle: t\nbody: \"{reason}{appeal_court}\"\n"
	                           "basis: b\n");
	assert_int_equal(docs_add_file(d, path, NULL, &err), 0);
	assert_int_equal(docs_check_workflows(d, wf, &err), PA_EINVAL);
	assert_non_null(strstr(err.detail, "refusal.zh-CN.yaml"));
	assert_non_null(strstr(err.detail, "appeal_court"));
	assert_non_null(strstr(err.detail, "refuse"));
	wf_registry_free(wf);
	docs_close(d);
	/* a kind with zh-CN and no en is refused at load */
	char tdir[128];
	snprintf(tdir, sizeof(tdir), "%s/only-zh", dir);
	mkdir(tdir, 0700);
	snprintf(path, sizeof(path), "%s/refusal.zh-CN.yaml", tdir);
	write_text(path, GOOD_HEAD "fields: []\ntitle: t\nbody: x\nbasis: b\n");
	docs_options_t o = { .templates_dir = tdir };
	docs_t *d2 = NULL;
	assert_int_equal(docs_open(&o, &d2, &err), PA_EINVAL);
	assert_non_null(strstr(err.detail, "refusal.en.yaml"));
}

/* ---- rendering ------------------------------------------------------------------------ */

/* s without white space (pdftotext breaks lines and may space glyphs). */
static char *squeeze(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;
	for (; *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t' && *s != '\f')
			*o++ = *s;
	*o = '\0';
	return out;
}

static char *run_capture(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	strbuf_t sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		strbuf_add(&sb, buf, n);
	assert_int_equal(pclose(p), 0);
	return strbuf_detach(&sb, NULL);
}

static void write_pdf(const char *path, const strbuf_t *pdf)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(pdf->buf, 1, pdf->len, f), pdf->len);
	fclose(f);
}

/* Dark pixels of the first page rendered in grey at 40 dpi. */
static long dark_pixels(const char *pdf_path, long *total)
{
	char cmd[1200], pgm[512];
	snprintf(pgm, sizeof(pgm), "%s.page", pdf_path);
	snprintf(cmd, sizeof(cmd), "pdftoppm -r 40 -gray -f 1 -l 1 -singlefile %s %s", pdf_path, pgm);
	assert_int_equal(system(cmd), 0);
	strncat(pgm, ".pgm", sizeof(pgm) - strlen(pgm) - 1);
	FILE *f = fopen(pgm, "rb");
	assert_non_null(f);
	int w = 0, h = 0, max = 0;
	assert_int_equal(fscanf(f, "P5 %d %d %d", &w, &h, &max), 3);
	fgetc(f);
	long dark = 0;
	*total = (long)w * h;
	for (long i = 0; i < *total; i++) {
		int c = fgetc(f);
		assert_true(c != EOF);
		if (c < 128)
			dark++;
	}
	fclose(f);
	return dark;
}

static void expect_in(const char *text, const char *value, const char *what, const char *kind,
                      const char *locale)
{
	char *v = squeeze(value);
	if (*v && !strstr(text, v))
		fail_msg("%s.%s: the PDF's text lacks %s \"%s\"", kind, locale, what, value);
	free(v);
}

static void test_every_kind_renders_with_its_fields(void **state)
{
	docs_t *d = open_installed();
	const char **kinds = NULL;
	size_t n = docs_kinds(d, &kinds);
	assert_true(n >= 9);
	static const char *const needed[] = { "acceptance", "forwarding", "refusal", "extension",
		                                  "opinion", "review_opinion", "recheck_opinion",
		                                  "mediation_agreement", "supervision_order" };
	for (size_t i = 0; i < ARRAY_SIZE(needed); i++) {
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found = found || streq(kinds[k], needed[i]);
		if (!found)
			fail_msg("no template for %s", needed[i]);
	}
	static const char *const locales[] = { "zh-CN", "en" };
	arena_t *a = arena_new();
	for (size_t k = 0; k < n; k++)
		for (size_t l = 0; l < 2; l++) {
			const doc_template_t *t = docs_find(d, kinds[k], locales[l], NULL);
			assert_non_null(t);
			json_t *vars = doc_template_sample(t);
			bool zh = l == 0;
			/* distinct values, so each field is found in the text */
			for (size_t f = 0; f < doc_template_nfields(t); f++) {
				const char *name = doc_template_field(t, f);
				json_object_set_new(vars, name, json_string(arena_printf(a, zh ? "值%s甲" : "val-%s-A", name)));
			}
			const char *docnum = doc_template_number(a, t, "test-unit", NULL, 2026, 4711);
			json_object_set_new(vars, "doc_number", json_string(docnum));
			json_object_set_new(vars, "number", json_string("XF-2026-004242"));
			json_object_set_new(vars, "issuer", json_string(zh ? "测试区信访局" : "Test Petition Bureau"));
			json_object_set_new(vars, "issue_date", json_string(zh ? "2026年3月7日" : "7 March 2026"));
			strbuf_t pdf = STRBUF_INIT;
			int pages = 0;
			pa_err_t err = { 0 };
			doc_render_in_t in = { t, vars };
			if (docs_render(d, &in, 1, &pdf, &pages, &err) < 0)
				fail_msg("%s.%s: %s", kinds[k], locales[l], err.detail);
			assert_true(pages >= 1 && pages <= 3);
			assert_memory_equal(pdf.buf, "%PDF-", 5);
			char path[256];
			snprintf(path, sizeof(path), "%s/%s.%s.pdf", dir, kinds[k], locales[l]);
			write_pdf(path, &pdf);
			char cmd[512];
			snprintf(cmd, sizeof(cmd), "pdftotext -enc UTF-8 %s -", path);
			char *raw = run_capture(cmd);
			char *text = squeeze(raw);
			/* the header, number, date, case number, title, basis, rights, every field */
			expect_in(text, json_string_value(json_object_get(vars, "issuer")), "the issuer", kinds[k], locales[l]);
			expect_in(text, docnum, "the document number", kinds[k], locales[l]);
			expect_in(text, "XF-2026-004242", "the case number", kinds[k], locales[l]);
			expect_in(text, json_string_value(json_object_get(vars, "issue_date")), "the date", kinds[k], locales[l]);
			expect_in(text, doc_template_title(t), "the title", kinds[k], locales[l]);
			for (size_t f = 0; f < doc_template_nfields(t); f++)
				expect_in(text, json_string_value(json_object_get(vars, doc_template_field(t, f))),
				          doc_template_field(t, f), kinds[k], locales[l]);
			/* the legal basis and the rights: their literal text up to the first placeholder */
			static const char *const parts[] = { "basis", "rights" };
			for (size_t p = 0; p < ARRAY_SIZE(parts); p++) {
				const char *src = doc_template_text(t, parts[p]);
				if (!src)
					continue;
				size_t len = strcspn(src, "{\n");
				char *lit = arena_strndup(a, src, len > 60 ? 60 : len);
				/* stop at a UTF-8 boundary */
				size_t ll = strlen(lit);
				while (ll && ((unsigned char)lit[ll - 1] & 0xC0) == 0x80)
					ll--;
				if (ll && (unsigned char)lit[ll - 1] >= 0xC0)
					ll--;
				lit[ll] = '\0';
				expect_in(text, lit, parts[p], kinds[k], locales[l]);
			}
			if (doc_template_public(t) && !strstr(raw, zh ? "扫码" : "Scan"))
				fail_msg("%s.%s: no QR caption", kinds[k], locales[l]);
			long total = 0, dark = dark_pixels(path, &total);
			if (dark < 500 || dark > total / 2)
				fail_msg("%s.%s: first page has %ld dark pixels of %ld", kinds[k], locales[l], dark, total);
			free(raw);
			free(text);
			strbuf_release(&pdf);
			json_decref(vars);
		}
	free(kinds);
	arena_free(a);
	docs_close(d);
}

static void test_batch_render_and_page_numbers(void **state)
{
	docs_t *d = open_installed();
	doc_render_in_t in[3];
	json_t *vars[3];
	static const char *const kinds[] = { "acceptance", "refusal", "opinion" };
	for (int i = 0; i < 3; i++) {
		in[i].tpl = docs_find(d, kinds[i], "zh-CN", NULL);
		vars[i] = doc_template_sample(in[i].tpl);
		in[i].vars = vars[i];
	}
	strbuf_t pdf = STRBUF_INIT;
	int pages = 0;
	pa_err_t err = { 0 };
	assert_int_equal(docs_render(d, in, 3, &pdf, &pages, &err), 0);
	assert_true(pages >= 3);
	char path[128];
	snprintf(path, sizeof(path), "%s/batch.pdf", dir);
	write_pdf(path, &pdf);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "pdfinfo %s | grep -c '^Pages: *%d$'", path, pages);
	char *out = run_capture(cmd);
	assert_int_equal(atoi(out), 1);
	free(out);
	for (int i = 0; i < 3; i++)
		json_decref(vars[i]);
	strbuf_release(&pdf);
	docs_close(d);
}

/* ---- issuing against a real app ---------------------------------------------------------- */

static pa_config_t cfg;
static pa_app_t app;

static void app_up(void)
{
	char data[128];
	snprintf(data, sizeof(data), "%s/data", dir);
	fixture_app_open(data, &cfg, &app, NULL, 0);
}

static void app_down(void)
{
	app_close(&app);
	config_free(&cfg);
}

static int64_t scalar_sql(const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(cfg.database, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static const case_input_t petition = {
	.type = "petition", .category = "grievance", .title = "小区电梯长期故障",
	.body = "三号楼电梯停运两个月，物业不予维修。", .has_contact = true,
	.contact = { .name = "张三", .phone = "13800138000" },
};

static void *generator(void *arg)
{
	int *total = arg;
	for (;;) {
		int issued = 0;
		pa_err_t err = { 0 };
		if (docgen_run_once(&app, 4, &issued, &err) < 0)
			fail_msg("docgen_run_once: %s", err.detail);
		if (issued == 0)
			break;
		__atomic_add_fetch(total, issued, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

#define NCASES 24
#define NGEN 4

static void test_issue_numbers_unique_and_verified(void **state)
{
	app_up();
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_user_t u;
	assert_int_equal(store_user_get_by_name(store_reader(app.store), a, "intake", &u), 0);
	orgtree_t *tree = orgcache_get(app.orgs);
	pa_principal_t staff = { .kind = PRINCIPAL_STAFF, .user_id = u.id, .username = u.username,
		                     .display_name = u.display_name, .roles = u.roles, .nroles = u.nroles,
		                     .tree = tree };
	pa_case_t first = { 0 };
	for (int i = 0; i < NCASES; i++) {
		pa_case_t cs, out;
		char code[PA_QUERY_CODE_LEN + 1];
		pa_err_t err = { 0 };
		assert_int_equal(cases_create(&app, a, &pub, &petition, &cs, code, &err), 0);
		if (i % 3 == 2) {
			json_t *f = json_pack("{s:s, s:s}", "reason", "属于劳动争议", "legal_channel", "arbitration");
			assert_int_equal(cases_transition(&app, a, &staff, &cs, "refuse", f, 0, &out, &err), 0);
			json_decref(f);
		} else {
			assert_int_equal(cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &out, &err), 0);
		}
		if (i == 0)
			first = cs;
	}
	/* the steps queued one document each, in their own writes */
	assert_int_equal(scalar_sql("SELECT count(*) FROM documents WHERE status = 'pending'"), NCASES);
	/* several generators at once */
	pthread_t th[NGEN];
	int total = 0;
	for (int i = 0; i < NGEN; i++)
		assert_int_equal(pthread_create(&th[i], NULL, generator, &total), 0);
	for (int i = 0; i < NGEN; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(total, NCASES);
	assert_int_equal(scalar_sql("SELECT count(*) FROM documents WHERE status = 'done'"), NCASES);
	assert_int_equal(scalar_sql("SELECT count(DISTINCT number) FROM documents"), NCASES);
	assert_int_equal(scalar_sql("SELECT count(DISTINCT seq) FROM documents"), NCASES);
	/* numbers of one unit and year run 1..n without a gap */
	assert_int_equal(scalar_sql("SELECT max(seq) FROM documents"), NCASES);
	/* each issue is on the timeline with its sha256, and in the audit log */
	assert_int_equal(scalar_sql("SELECT count(*) FROM events e JOIN documents d ON d.issue_event_id = e.id "
	                            "WHERE e.kind = 'document' AND instr(e.text, d.sha256) > 0 "
	                            "AND json_extract(e.data, '$.sha256') = d.sha256"), NCASES);
	assert_int_equal(scalar_sql("SELECT count(*) FROM audit a JOIN documents d "
	                            "ON json_extract(a.detail, '$.document_id') = d.id "
	                            "WHERE a.action = 'document.issue' AND json_extract(a.detail, '$.sha256') = d.sha256"),
	                 NCASES);
	assert_int_equal(scalar_sql("SELECT count(*) FROM attachments WHERE mime = 'application/pdf' AND public = 1"),
	                 NCASES);
	audit_report_t arep;
	assert_int_equal(audit_verify(store_reader(app.store), &arep, NULL, NULL), 0);
	docs_report_t rep;
	assert_int_equal(docgen_verify(store_reader(app.store), cfg.attachments_dir, &rep), 0);
	assert_int_equal(rep.checked, NCASES);

	/* regenerating makes a new version with a new number; the old one stays */
	pa_document_t *ds;
	size_t nd;
	assert_int_equal(store_documents_list(store_reader(app.store), a, first.id, &ds, &nd), 0);
	assert_int_equal(nd, 1);
	pa_document_t regen;
	pa_err_t err = { 0 };
	pa_case_t cur;
	assert_int_equal(store_case_get(store_reader(app.store), a, first.id, &cur), 0);
	assert_int_equal(docgen_regenerate(&app, a, &staff, &cur, ds[0].id, "en", &regen, &err), 0);
	assert_int_equal(regen.version, 2);
	int issued = 0;
	assert_int_equal(docgen_run_once(&app, 4, &issued, &err), 0);
	assert_int_equal(issued, 1);
	pa_document_t v2;
	assert_int_equal(store_document_get(store_reader(app.store), a, regen.id, &v2), 0);
	assert_string_equal(v2.status, "done");
	assert_int_equal(v2.seq, NCASES + 1);
	assert_int_equal(v2.supersedes, ds[0].id);
	pa_document_t v1;
	assert_int_equal(store_document_get(store_reader(app.store), a, ds[0].id, &v1), 0);
	assert_string_equal(v1.sha256, ds[0].sha256);

	/* a changed file is detected, and named */
	char *path = attach_path(a, cfg.attachments_dir, v1.sha256);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, 200, SEEK_SET);
	fputc('X', f);
	fclose(f);
	assert_int_equal(docgen_verify(store_reader(app.store), cfg.attachments_dir, &rep), PA_ECONFLICT);
	assert_int_equal(rep.bad, 1);
	char want[64];
	snprintf(want, sizeof(want), "document %lld", (long long)v1.id);
	assert_non_null(strstr(rep.first, want));
	assert_non_null(strstr(rep.first, v1.number));

	orgtree_release(tree);
	arena_free(a);
	app_down();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_templates_are_refused_naming_template_and_field),
		cmocka_unit_test(test_good_template_parses),
		cmocka_unit_test(test_templates_checked_against_the_workflow),
		cmocka_unit_test(test_every_kind_renders_with_its_fields),
		cmocka_unit_test(test_batch_render_and_page_numbers),
		cmocka_unit_test(test_issue_numbers_unique_and_verified),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
