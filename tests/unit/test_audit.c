/*
 * test_audit.c — core/audit on the real SQLite store: the chain verifies when
 * intact, and every kind of tampering with the database file (done here with
 * sqlite3 directly, as someone with the file would) is found at the right
 * record.  Each test gets a fresh database.
 */
#include "base/common.h"

#include "core/audit.h"
#include "core/crypto.h"
#include "store/store.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#define T0 1764400000  /* 2025-11-29 */

struct fixture {
	char *dir;
	char *path;
	store_t *s;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void db_open(struct fixture *f)
{
	pa_err_t err = {0};
	store_options_t opt = {.path = f->path};
	if (store_open(&opt, &f->s, &err) != 0)
		fail_msg("store_open: %s", err.detail);
}

static void db_close(struct fixture *f)
{
	store_close(f->s);
	f->s = NULL;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/pingan-test-audit-XXXXXX";
	if (!mkdtemp(tmpl))
		return -1;
	f->dir = xstrdup(tmpl);
	size_t n = strlen(tmpl) + sizeof("/pingan.db");
	f->path = xmalloc(n);
	snprintf(f->path, n, "%s/pingan.db", tmpl);
	db_open(f);
	pa_err_t err = {0};
	int from, to;
	if (store_migrate(f->s, &from, &to, &err) != 0) {
		print_error("store_migrate: %s\n", err.detail);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->s)
		store_close(f->s);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

struct append_ctx {
	int from, count;
	const char *detail;  /* NULL: a small JSON object per record */
};

static int append_fn(store_tx_t *tx, void *ctx)
{
	struct append_ctx *x = ctx;
	char object[32], detail[64];
	for (int i = x->from; i < x->from + x->count; i++) {
		snprintf(object, sizeof(object), "case:%d", i);
		snprintf(detail, sizeof(detail), "{\"n\":%d,\"note\":\"查看\"}", i);
		int rc = audit_append(tx, T0 + i, i % 2 ? "user:3 zhangsan" : "system",
		                      i % 3 ? "case.view" : "party.reveal", object,
		                      x->detail ? x->detail : detail);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Appends records from..from+count-1, one write each when `separate`. */
static void append(struct fixture *f, int from, int count, bool separate)
{
	pa_err_t err = {0};
	if (separate) {
		for (int i = 0; i < count; i++) {
			struct append_ctx x = {from + i, 1, NULL};
			if (store_write(f->s, append_fn, &x, &err) != 0)
				fail_msg("store_write: %s", err.detail);
		}
	} else {
		struct append_ctx x = {from, count, NULL};
		if (store_write(f->s, append_fn, &x, &err) != 0)
			fail_msg("store_write: %s", err.detail);
	}
}

static void count_progress(int64_t done, void *arg)
{
	int64_t *last = arg;
	assert_true(done >= *last);
	*last = done;
}

static int verify(struct fixture *f, audit_report_t *rep)
{
	if (!f->s)
		db_open(f);
	int64_t progressed = 0;
	int rc = audit_verify(store_reader(f->s), rep, count_progress, &progressed);
	if (rc == 0)
		assert_int_equal(progressed, rep->records);
	return rc;
}

/* Runs SQL on the database file directly, with the store closed, after
 * dropping the append-only triggers as someone with the file can. */
static void tamper(struct fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tamper(struct fixture *f, const char *fmt, ...)
{
	if (f->s)
		db_close(f);
	char sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);

	sqlite3 *db;
	char *msg = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, "DROP TRIGGER IF EXISTS audit_no_update;"
	                          "DROP TRIGGER IF EXISTS audit_no_delete;", NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("tamper: %s: %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	assert_true(sqlite3_changes(db) > 0);
	sqlite3_close(db);
}

static void expect_broken(struct fixture *f, int64_t first_bad, const char *reason)
{
	audit_report_t rep;
	int rc = verify(f, &rep);
	if (rc != PA_ECONFLICT || rep.first_bad != first_bad || !strstr(rep.reason, reason))
		fail_msg("verify: rc %d, first_bad %" PRId64 ", reason \"%s\"; wanted %" PRId64
		         " and \"%s\"", rc, rep.first_bad, rep.reason, first_bad, reason);
}

static void expect_intact(struct fixture *f, int64_t records)
{
	audit_report_t rep;
	int rc = verify(f, &rep);
	if (rc != 0)
		fail_msg("verify: rc %d, first_bad %" PRId64 ", reason \"%s\"", rc, rep.first_bad,
		         rep.reason);
	assert_int_equal(rep.records, records);
	assert_int_equal(rep.first_bad, 0);
	assert_string_equal(rep.reason, "");
}

/* ---- the hash ------------------------------------------------------------------------ */

static void test_hash_format(void **state)
{
	pa_audit_rec_t r = {
		.seq = 1,
		.at = T0,
		.actor = "user:3 zhangsan",
		.action = "party.reveal",
		.object = "case:42",
		.detail = "{\"field\":\"phone\"}",
		.prev_hash = "0000000000000000000000000000000000000000000000000000000000000000",
	};
	char h1[65], h2[65];
	audit_compute_hash(&r, h1);
	assert_int_equal(strlen(h1), 64);
	/* Pinned (computed independently from the format in audit.c): changing the
	 * serialization would break every existing log. */
	assert_string_equal(h1, "ed268c3f287493dd02ddafcbe3494abe993eb725b5da034dec3669625d9e8d0e");

	/* Moving bytes between fields changes the hash (length prefixes). */
	pa_audit_rec_t s = r;
	s.actor = "user:3 zhangsanp";
	s.action = "arty.reveal";
	audit_compute_hash(&s, h2);
	assert_string_not_equal(h1, h2);
	s = r;
	s.object = "";
	s.detail = "case:42{\"field\":\"phone\"}";
	audit_compute_hash(&s, h2);
	assert_string_not_equal(h1, h2);
	/* Every field counts. */
	const char *other = "x";
	for (int i = 0; i < 7; i++) {
		s = r;
		switch (i) {
		case 0: s.seq = 2; break;
		case 1: s.at = T0 + 1; break;
		case 2: s.actor = other; break;
		case 3: s.action = other; break;
		case 4: s.object = other; break;
		case 5: s.detail = other; break;
		case 6: s.prev_hash = "1000000000000000000000000000000000000000000000000000000000000000"; break;
		}
		audit_compute_hash(&s, h2);
		assert_string_not_equal(h1, h2);
	}
	/* The stored hash itself is not an input. */
	s = r;
	s.hash = "whatever";
	audit_compute_hash(&s, h2);
	assert_string_equal(h1, h2);
}

/* ---- intact logs ------------------------------------------------------------------------ */

static void test_empty_log(void **state)
{
	expect_intact(*state, 0);
}

static void test_intact(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	expect_intact(f, 50);

	arena_t *a = arena_new();
	store_conn_t *c = store_reader(f->s);
	pa_audit_rec_t *recs;
	size_t n;
	assert_int_equal(store_audit_list(c, a, 0, 100, &recs, &n), 0);
	assert_int_equal(n, 50);
	assert_int_equal(recs[0].seq, 1);
	assert_string_equal(recs[0].prev_hash,
	                    "0000000000000000000000000000000000000000000000000000000000000000");
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(recs[i].seq, (int64_t)i + 1);
		assert_string_equal(recs[i].prev_hash, recs[i - 1].hash);
	}
	assert_string_equal(recs[6].object, "case:7");
	assert_string_equal(recs[6].detail, "{\"n\":7,\"note\":\"查看\"}");
	const char *head;
	assert_int_equal(store_meta_get(c, a, "audit_head", &head), 0);
	assert_string_equal(head, arena_printf(a, "50:%s", recs[49].hash));
	arena_free(a);

	/* Appending after a reopen continues the chain. */
	db_close(f);
	db_open(f);
	append(f, 51, 5, false);
	expect_intact(f, 55);
}

static void test_many_pages(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 1234, false);  /* one transaction: each append sees the previous */
	audit_report_t rep;
	int64_t calls = 0;
	assert_int_equal(audit_verify(store_reader(f->s), &rep, count_progress, &calls), 0);
	assert_int_equal(rep.records, 1234);
	assert_int_equal(calls, 1234);
	tamper(f, "UPDATE audit SET at = at + 1 WHERE seq = 1111");
	expect_broken(f, 1111, "record 1111: hash does not match its contents (edited?)");
}

struct bad_detail {
	const char *detail;
};

static int bad_detail_fn(store_tx_t *tx, void *ctx)
{
	struct bad_detail *x = ctx;
	return audit_append(tx, T0, "system", "case.view", "case:1", x->detail);
}

static void test_detail_rules(void **state)
{
	struct fixture *f = *state;
	pa_err_t err = {0};
	append(f, 1, 3, false);

	/* Not a JSON object: refused, and the write leaves nothing behind. */
	const char *bad[] = {"not json", "[1,2]", "\"s\"", "{\"a\":", "42"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct bad_detail x = {bad[i]};
		assert_int_equal(store_write(f->s, bad_detail_fn, &x, &err), PA_EINTERNAL);
	}
	expect_intact(f, 3);

	/* NULL and "" are "{}". */
	struct bad_detail x = {NULL};
	assert_int_equal(store_write(f->s, bad_detail_fn, &x, &err), 0);
	x.detail = "";
	assert_int_equal(store_write(f->s, bad_detail_fn, &x, &err), 0);

	/* Too long: recorded by its hash. */
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "{\"text\":\"");
	while (sb.len < AUDIT_DETAIL_MAX + 10)
		strbuf_adds(&sb, "答复意见");
	strbuf_adds(&sb, "\"}");
	x.detail = sb.buf;
	assert_int_equal(store_write(f->s, bad_detail_fn, &x, &err), 0);
	char hex[PA_HASH_HEX];
	sha256_hex(sb.buf, sb.len, hex);

	arena_t *a = arena_new();
	pa_audit_rec_t *recs;
	size_t n;
	assert_int_equal(store_audit_list(store_reader(f->s), a, 3, 10, &recs, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(recs[0].detail, "{}");
	assert_string_equal(recs[1].detail, "{}");
	assert_string_equal(recs[2].detail,
	                    arena_printf(a, "{\"truncated\":true,\"bytes\":%zu,\"sha256\":\"%s\"}",
	                                 sb.len, hex));
	strbuf_release(&sb);
	arena_free(a);
	expect_intact(f, 6);
}

/* ---- tampering ----------------------------------------------------------------------------- */

static void test_edit_detail(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	tamper(f, "UPDATE audit SET detail = '{\"n\":17,\"note\":\"nothing\"}' WHERE seq = 17");
	expect_broken(f, 17, "record 17: hash does not match its contents (edited?)");
}

static void test_edit_actor_of_first(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	tamper(f, "UPDATE audit SET actor = 'system' WHERE seq = 1");
	expect_broken(f, 1, "record 1: hash does not match its contents (edited?)");
}

/* Whoever edits a record and recomputes its hash (SHA-256 has no key) breaks
 * the link to the next record instead. */
static void test_edit_and_rehash(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	arena_t *a = arena_new();
	pa_audit_rec_t *recs;
	size_t n;
	assert_int_equal(store_audit_list(store_reader(f->s), a, 16, 1, &recs, &n), 0);
	assert_int_equal(n, 1);
	pa_audit_rec_t r = recs[0];
	r.detail = "{}";
	char h[65];
	audit_compute_hash(&r, h);
	tamper(f, "UPDATE audit SET detail = '{}', hash = '%s' WHERE seq = 17", h);
	arena_free(a);
	expect_broken(f, 18, "record 18: prev_hash does not match record 17 (reordered or edited)");
}

static void test_delete_middle(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	tamper(f, "DELETE FROM audit WHERE seq = 17");
	expect_broken(f, 17, "record 18 follows 16: record 17 missing");
}

static void test_delete_range(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	tamper(f, "DELETE FROM audit WHERE seq BETWEEN 20 AND 29");
	expect_broken(f, 20, "record 30 follows 19: records 20 to 29 missing");
}

static void test_delete_first(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	tamper(f, "DELETE FROM audit WHERE seq = 1");
	expect_broken(f, 1, "log starts at record 2: record 1 missing");
}

/* Renumbering after a deletion hides the gap but not the hashes. */
static void test_delete_and_renumber(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	tamper(f, "DELETE FROM audit WHERE seq = 17; UPDATE audit SET seq = seq - 1 WHERE seq > 17");
	expect_broken(f, 17, "record 17: prev_hash does not match record 16 (reordered or edited)");
}

static void test_swap_records(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	/* whole records, hashes and all, trade places */
	tamper(f, "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (20, 21);"
	          "UPDATE audit SET (at, actor, action, object, detail, prev_hash, hash) = "
	          "(SELECT at, actor, action, object, detail, prev_hash, hash FROM t "
	          " WHERE t.seq = 41 - audit.seq) WHERE seq IN (20, 21)");
	expect_broken(f, 20, "record 20: prev_hash does not match record 19 (reordered or edited)");
}

static void test_swap_contents(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	/* only what was recorded trades places; the chain columns stay */
	tamper(f, "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (20, 21);"
	          "UPDATE audit SET (at, actor, action, object, detail) = "
	          "(SELECT at, actor, action, object, detail FROM t "
	          " WHERE t.seq = 41 - audit.seq) WHERE seq IN (20, 21)");
	expect_broken(f, 20, "record 20: hash does not match its contents (edited?)");
}

static void test_delete_last(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 50, true);
	tamper(f, "DELETE FROM audit WHERE seq > 47");
	expect_broken(f, 48, "log ends at 47 but head says 50: records removed from the end");
}

static void test_delete_all(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 10, true);
	tamper(f, "DELETE FROM audit");
	expect_broken(f, 1, "log is empty but head says 10: records removed");
}

static void test_head_tampering(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 10, true);

	/* Cutting the end and moving the head back with it: the head's hash is
	 * that of the removed record. */
	tamper(f, "DELETE FROM audit WHERE seq > 8;"
	          "UPDATE meta SET value = '8:' || substr(value, 4) WHERE key = 'audit_head'");
	expect_broken(f, 8, "record 8: hash differs from the head's (last record replaced?)");

	tamper(f, "UPDATE meta SET value = 'garbage' WHERE key = 'audit_head'");
	expect_broken(f, 9, "meta 'audit_head' is not");

	tamper(f, "DELETE FROM meta WHERE key = 'audit_head'");
	expect_broken(f, 8, "log ends at 8 but meta 'audit_head' is missing");
}

static void test_head_behind(void **state)
{
	struct fixture *f = *state;
	append(f, 1, 10, true);
	tamper(f, "UPDATE meta SET value = (SELECT '7:' || hash FROM audit WHERE seq = 7) "
	          "WHERE key = 'audit_head'");
	expect_broken(f, 8, "log ends at 10 but head says 7");
}

int main(void)
{
	if (crypto_init() != 0)
		return 1;
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_format),
		cmocka_unit_test_setup_teardown(test_empty_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detail_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_detail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_actor_of_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_and_rehash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_middle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_and_renumber, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_last, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_tampering, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_behind, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
