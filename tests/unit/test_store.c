/*
 * test_store.c — the SQLite store: schema and migrations, every typed read
 * and write, the case list (filters, visibility, keyset paging, its query
 * plan), savepoint isolation inside a batch, fault injection, group commit,
 * durability across reopen, online backup, the audit log.
 *
 * Each test gets a fresh database in its own mkdtemp directory.
 */
#include "base/common.h"
#include "store/store.h"
#include "store/sqlite_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct fx {
	char dir[64];
	char path[128];
	store_t *s;
	arena_t *a;
	pa_err_t err;
	pa_id_t root, org_a, org_b, org_c;  /* district; units A, B (under root), C */
	pa_id_t user;
};

/* ---- helpers ------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static store_t *open_store(const char *path)
{
	store_options_t opt = { .path = path };
	store_t *s = NULL;
	pa_err_t err = { 0 };
	int rc = store_open(&opt, &s, &err);
	if (rc != 0)
		fail_msg("store_open: %s %s", pa_strerror(rc), err.detail);
	return s;
}

static int wr(struct fx *f, store_tx_fn fn, void *ctx)
{
	pa_err_clear(&f->err);
	return store_write(f->s, fn, ctx, &f->err);
}

static int64_t count_rows(store_t *s, const char *sql)
{
	sqlite3 *db = store_sqlite_db(store_reader(s));
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- tx functions used by many tests ------------------------------------------- */

struct org_ins {
	pa_org_t org;
	pa_id_t id;
};

static int tx_org_insert(store_tx_t *tx, void *p)
{
	struct org_ins *o = p;
	return store_tx_org_insert(tx, &o->org, &o->id);
}

static int tx_org_update(store_tx_t *tx, void *p)
{
	return store_tx_org_update(tx, p);
}

struct user_ins {
	pa_user_t u;
	pa_id_t id;
};

static int tx_user_insert(store_tx_t *tx, void *p)
{
	struct user_ins *u = p;
	return store_tx_user_insert(tx, &u->u, &u->id);
}

static int tx_user_update(store_tx_t *tx, void *p)
{
	return store_tx_user_update(tx, p);
}

struct case_ins {
	pa_case_t cs;
	pa_id_t id;
};

static int tx_case_insert(store_tx_t *tx, void *p)
{
	struct case_ins *c = p;
	return store_tx_case_insert(tx, &c->cs, &c->id);
}

static int tx_case_update(store_tx_t *tx, void *p)
{
	return store_tx_case_update(tx, p);
}

struct meta_set {
	const char *key, *value;
};

static int tx_meta_set(store_tx_t *tx, void *p)
{
	struct meta_set *m = p;
	return store_tx_meta_set(tx, m->key, m->value);
}

static pa_id_t add_org(struct fx *f, const char *code, pa_id_t parent, bool unit)
{
	struct org_ins o = { .org = { .parent_id = parent, .code = code, .name = code,
		                      .name_en = "en", .kind = unit ? "unit" : "district",
		                      .is_unit = unit } };
	int rc = wr(f, tx_org_insert, &o);
	if (rc != 0)
		fail_msg("org insert %s: %s", code, f->err.detail);
	return o.id;
}

static pa_case_t case_tmpl(struct fx *f, pa_id_t owner, pa_time_t due)
{
	static int seq;
	return (pa_case_t){
		.number = arena_printf(f->a, "XF-2026-%06d", ++seq),
		.type = "petition", .category = "housing", .title = "漏水", .body = "楼上漏水",
		.channel = "web", .state = "registered", .is_open = true,
		.intake_org_id = owner, .owner_org_id = owner,
		.created_at = 1000, .updated_at = 1000, .state_entered_at = 1000,
		.due_at = due, .data = "{}",
	};
}

static pa_id_t add_case(struct fx *f, pa_case_t cs)
{
	struct case_ins c = { .cs = cs };
	int rc = wr(f, tx_case_insert, &c);
	if (rc != 0)
		fail_msg("case insert: %s %s", pa_strerror(rc), f->err.detail);
	return c.id;
}

/* ---- fixtures ---------------------------------------------------------------------- */

static int fx_setup_empty(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pingan-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/pingan.db", f->dir);
	f->a = arena_new();
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	if (fx_setup_empty(state) != 0)
		return -1;
	struct fx *f = *state;
	f->s = open_store(f->path);
	int from, to;
	if (store_migrate(f->s, &from, &to, &f->err) != 0)
		return -1;
	f->root = add_org(f, "350102", 0, false);
	f->org_a = add_org(f, "350102-a", f->root, true);
	f->org_b = add_org(f, "350102-b", f->root, true);
	f->org_c = add_org(f, "350102-c", f->root, true);
	pa_membership_t roles[] = { { f->org_a, "handler" } };
	struct user_ins u = { .u = { .username = "handler1", .display_name = "Handler",
		                     .password_hash = "$argon2id$x", .created_at = 1000,
		                     .roles = roles, .nroles = 1 } };
	if (wr(f, tx_user_insert, &u) != 0)
		return -1;
	f->user = u.id;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->s);
	arena_free(f->a);
	rm_tree(f->dir);
	free(f);
	return 0;
}

/* ---- schema and migrations --------------------------------------------------------- */

static void test_migrate_from_empty(void **state)
{
	struct fx *f = *state;
	f->s = open_store(f->path);
	int v = -1, from = -1, to = -1;
	assert_int_equal(store_schema_version(f->s, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(store_migrate(f->s, &from, &to, &f->err), 0);
	assert_int_equal(from, 0);
	assert_int_equal(to, sq_schema_latest);
	assert_true(to >= 1);
	assert_int_equal(store_schema_version(f->s, &v), 0);
	assert_int_equal(v, sq_schema_latest);
	/* again: nothing to do */
	assert_int_equal(store_migrate(f->s, &from, &to, &f->err), 0);
	assert_int_equal(from, sq_schema_latest);
	assert_int_equal(to, sq_schema_latest);
	int64_t gen = -1;
	assert_int_equal(store_orgs_generation(store_reader(f->s), &gen), 0);
	assert_int_equal(gen, 0);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM outbox"), 0);
	/* the schema survives reopening; foreign keys are back on */
	store_close(f->s);
	f->s = open_store(f->path);
	assert_int_equal(store_migrate(f->s, &from, &to, &f->err), 0);
	assert_int_equal(from, sq_schema_latest);
	assert_int_equal(count_rows(f->s, "PRAGMA foreign_keys"), 1);
}

static void test_schema_too_new(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	store_options_t opt = { .path = f->path };
	store_t *s = NULL;
	pa_err_t err = { 0 };
	assert_int_equal(store_open(&opt, &s, &err), PA_EINVAL);
	assert_null(s);
	assert_string_equal(err.type, "schema-too-new");
	assert_non_null(strstr(err.detail, "999"));
	opt.read_only = true;
	pa_err_clear(&err);
	assert_int_equal(store_open(&opt, &s, &err), PA_EINVAL);
	assert_string_equal(err.type, "schema-too-new");
}

static void test_open_errors(void **state)
{
	struct fx *f = *state;
	store_options_t opt = { .path = "/nonexistent-dir/x/pingan.db" };
	store_t *s = NULL;
	pa_err_t err = { 0 };
	assert_int_equal(store_open(&opt, &s, &err), PA_EUNAVAIL);
	assert_null(s);
	opt.path = ":memory:";
	assert_int_equal(store_open(&opt, &s, &err), PA_EINVAL);
	/* not a database */
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("this is not an SQLite database, just some text long enough to have a header......"
	      "................................................................................",
	      fp);
	fclose(fp);
	opt.path = f->path;
	assert_int_equal(store_open(&opt, &s, &err), PA_EUNAVAIL);
	assert_null(s);
}

/* ---- organisations ------------------------------------------------------------------- */

static void test_orgs(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	int64_t gen0 = 0, gen1 = 0;
	assert_int_equal(store_orgs_generation(c, &gen0), 0);
	assert_int_equal(gen0, 4);  /* four inserts in the fixture */

	struct org_ins o = { .org = { .parent_id = f->org_a, .superior_id = f->org_b,
		                      .code = "350102-a-1", .name = "一社区", .name_en = "Community 1",
		                      .kind = "community", .is_unit = false } };
	assert_int_equal(wr(f, tx_org_insert, &o), 0);
	pa_org_t got;
	assert_int_equal(store_org_get(c, f->a, o.id, &got), 0);
	assert_int_equal(got.id, o.id);
	assert_int_equal(got.parent_id, f->org_a);
	assert_int_equal(got.superior_id, f->org_b);
	assert_string_equal(got.code, "350102-a-1");
	assert_string_equal(got.name, "一社区");
	assert_string_equal(got.name_en, "Community 1");
	assert_string_equal(got.kind, "community");
	assert_false(got.is_unit);
	assert_false(got.disabled);
	assert_int_equal(store_org_get(c, f->a, f->root, &got), 0);
	assert_int_equal(got.parent_id, 0);
	assert_int_equal(got.superior_id, 0);

	/* duplicate code */
	struct org_ins dup = o;
	dup.org.name = "other";
	assert_int_equal(wr(f, tx_org_insert, &dup), PA_ECONFLICT);
	assert_string_equal(f->err.type, "conflict");
	assert_string_equal(f->err.field, "code");
	/* parent that does not exist */
	struct org_ins orphan = { .org = { .parent_id = 9999, .code = "x", .name = "x", .kind = "k" } };
	assert_int_equal(wr(f, tx_org_insert, &orphan), PA_EINVAL);
	assert_string_equal(f->err.type, "invalid-reference");

	/* update bumps the generation */
	pa_org_t upd = o.org;
	upd.id = o.id;
	upd.name = "一社区（改）";
	upd.disabled = true;
	assert_int_equal(wr(f, tx_org_update, &upd), 0);
	assert_int_equal(store_org_get(c, f->a, o.id, &got), 0);
	assert_string_equal(got.name, "一社区（改）");
	assert_true(got.disabled);
	assert_int_equal(store_orgs_generation(c, &gen1), 0);
	assert_int_equal(gen1, gen0 + 2);
	upd.id = 9999;
	assert_int_equal(wr(f, tx_org_update, &upd), PA_ENOTFOUND);

	pa_org_t *list;
	size_t n;
	assert_int_equal(store_orgs_list(c, f->a, &list, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 1; i < n; i++)
		assert_true(list[i - 1].id < list[i].id);
	assert_int_equal(list[4].id, o.id);
	assert_int_equal(store_org_get(c, f->a, 12345, &got), PA_ENOTFOUND);
}

/* ---- users, sessions, tokens --------------------------------------------------------- */

struct roles_set {
	pa_id_t user;
	const pa_membership_t *roles;
	size_t n;
};

static int tx_roles_set(store_tx_t *tx, void *p)
{
	struct roles_set *r = p;
	return store_tx_user_set_roles(tx, r->user, r->roles, r->n);
}

static void test_users(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	pa_user_t u;
	assert_int_equal(store_user_get(c, f->a, f->user, &u), 0);
	assert_string_equal(u.username, "handler1");
	assert_string_equal(u.display_name, "Handler");
	assert_string_equal(u.password_hash, "$argon2id$x");
	assert_int_equal(u.created_at, 1000);
	assert_int_equal(u.nroles, 1);
	assert_int_equal(u.roles[0].org_id, f->org_a);
	assert_string_equal(u.roles[0].role, "handler");
	/* names compare without case */
	assert_int_equal(store_user_get_by_name(c, f->a, "HANDLER1", &u), 0);
	assert_int_equal(u.id, f->user);
	assert_int_equal(store_user_get_by_name(c, f->a, "nobody", &u), PA_ENOTFOUND);
	assert_int_equal(store_user_get(c, f->a, 999, &u), PA_ENOTFOUND);

	struct user_ins dup = { .u = { .username = "Handler1", .created_at = 1 } };
	assert_int_equal(wr(f, tx_user_insert, &dup), PA_ECONFLICT);
	assert_string_equal(f->err.field, "username");

	struct user_ins u2 = { .u = { .username = "leader", .display_name = "L", .created_at = 2 } };
	struct user_ins u3 = { .u = { .username = "admin", .created_at = 3 } };
	assert_int_equal(wr(f, tx_user_insert, &u2), 0);
	assert_int_equal(wr(f, tx_user_insert, &u3), 0);
	pa_membership_t roles3[] = { { f->org_b, "admin" }, { f->root, "auditor" },
		                     { f->root, "admin" } };
	struct roles_set rs = { u3.id, roles3, 3 };
	assert_int_equal(wr(f, tx_roles_set, &rs), 0);
	/* replacing, not adding */
	pa_membership_t roles1[] = { { f->org_b, "intake" }, { f->org_a, "handler" } };
	rs = (struct roles_set){ f->user, roles1, 2 };
	assert_int_equal(wr(f, tx_roles_set, &rs), 0);
	rs = (struct roles_set){ 999, roles1, 1 };
	assert_int_equal(wr(f, tx_roles_set, &rs), PA_ENOTFOUND);
	/* a membership in a unit that does not exist leaves the old ones */
	pa_membership_t bad[] = { { f->org_a, "leader" }, { 4242, "handler" } };
	rs = (struct roles_set){ u2.id, bad, 2 };
	assert_int_equal(wr(f, tx_roles_set, &rs), PA_EINVAL);

	pa_user_t *list;
	size_t n;
	assert_int_equal(store_users_list(c, f->a, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].id, f->user);
	assert_int_equal(list[0].nroles, 2);
	assert_int_equal(list[0].roles[0].org_id, f->org_a);
	assert_string_equal(list[0].roles[0].role, "handler");
	assert_int_equal(list[0].roles[1].org_id, f->org_b);
	assert_string_equal(list[0].roles[1].role, "intake");
	assert_int_equal(list[1].id, u2.id);
	assert_int_equal(list[1].nroles, 0);
	assert_null(list[1].roles);
	assert_string_equal(list[1].display_name, "L");
	assert_int_equal(list[2].id, u3.id);
	assert_int_equal(list[2].nroles, 3);
	assert_string_equal(list[2].display_name, "");

	pa_user_t upd = { .id = u2.id, .display_name = "Leader Li", .password_hash = "h2",
		          .disabled = true, .failed_logins = 3, .locked_until = 5000 };
	assert_int_equal(wr(f, tx_user_update, &upd), 0);
	assert_int_equal(store_user_get(c, f->a, u2.id, &u), 0);
	assert_string_equal(u.display_name, "Leader Li");
	assert_string_equal(u.password_hash, "h2");
	assert_true(u.disabled);
	assert_int_equal(u.failed_logins, 3);
	assert_int_equal(u.locked_until, 5000);
	assert_string_equal(u.username, "leader");
	upd.id = 777;
	assert_int_equal(wr(f, tx_user_update, &upd), PA_ENOTFOUND);
}

struct sess_op {
	pa_session_t s;
	const char *del;
	pa_id_t del_user;
};

static int tx_session_insert(store_tx_t *tx, void *p)
{
	return store_tx_session_insert(tx, &((struct sess_op *)p)->s);
}

static int tx_session_delete(store_tx_t *tx, void *p)
{
	return store_tx_session_delete(tx, ((struct sess_op *)p)->del);
}

static int tx_sessions_delete_user(store_tx_t *tx, void *p)
{
	return store_tx_sessions_delete_user(tx, ((struct sess_op *)p)->del_user);
}

struct token_op {
	pa_api_token_t t;
	pa_id_t id;
	pa_id_t revoke_id, revoke_user;
};

static int tx_token_insert(store_tx_t *tx, void *p)
{
	struct token_op *t = p;
	return store_tx_token_insert(tx, &t->t, &t->id);
}

static int tx_token_revoke(store_tx_t *tx, void *p)
{
	struct token_op *t = p;
	return store_tx_token_revoke(tx, t->revoke_id, t->revoke_user);
}

static void test_sessions_tokens(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	struct sess_op s1 = { .s = { "aa11", f->user, "csrf1", 100, 200 } };
	struct sess_op s2 = { .s = { "bb22", f->user, "csrf2", 110, 210 } };
	assert_int_equal(wr(f, tx_session_insert, &s1), 0);
	assert_int_equal(wr(f, tx_session_insert, &s2), 0);
	assert_int_equal(wr(f, tx_session_insert, &s1), PA_ECONFLICT);
	struct sess_op bad = { .s = { "cc33", 4242, "c", 1, 2 } };
	assert_int_equal(wr(f, tx_session_insert, &bad), PA_EINVAL);
	pa_session_t got;
	assert_int_equal(store_session_get(c, f->a, "aa11", &got), 0);
	assert_string_equal(got.token_hash, "aa11");
	assert_int_equal(got.user_id, f->user);
	assert_string_equal(got.csrf_token, "csrf1");
	assert_int_equal(got.created_at, 100);
	assert_int_equal(got.expires_at, 200);
	struct sess_op del = { .del = "aa11" };
	assert_int_equal(wr(f, tx_session_delete, &del), 0);
	assert_int_equal(store_session_get(c, f->a, "aa11", &got), PA_ENOTFOUND);
	assert_int_equal(wr(f, tx_session_delete, &del), PA_ENOTFOUND);
	del.del_user = f->user;
	assert_int_equal(wr(f, tx_sessions_delete_user, &del), 0);
	assert_int_equal(store_session_get(c, f->a, "bb22", &got), PA_ENOTFOUND);

	struct token_op t1 = { .t = { .user_id = f->user, .name = "ci", .token_hash = "th1",
		                      .created_at = 5, .expires_at = 0 } };
	struct token_op t2 = { .t = { .user_id = f->user, .name = "311", .token_hash = "th2",
		                      .created_at = 6, .expires_at = 99 } };
	assert_int_equal(wr(f, tx_token_insert, &t1), 0);
	assert_int_equal(wr(f, tx_token_insert, &t2), 0);
	struct token_op t3 = t1;
	assert_int_equal(wr(f, tx_token_insert, &t3), PA_ECONFLICT);
	assert_string_equal(f->err.field, "token_hash");
	pa_api_token_t tok;
	assert_int_equal(store_token_get_by_hash(c, f->a, "th2", &tok), 0);
	assert_int_equal(tok.id, t2.id);
	assert_string_equal(tok.name, "311");
	assert_int_equal(tok.expires_at, 99);
	assert_false(tok.revoked);
	assert_int_equal(store_token_get_by_hash(c, f->a, "nope", &tok), PA_ENOTFOUND);
	struct token_op rv = { .revoke_id = t1.id, .revoke_user = f->user + 1 };
	assert_int_equal(wr(f, tx_token_revoke, &rv), PA_ENOTFOUND);
	rv.revoke_user = f->user;
	assert_int_equal(wr(f, tx_token_revoke, &rv), 0);
	pa_api_token_t *list;
	size_t n;
	assert_int_equal(store_tokens_list(c, f->a, f->user, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, t1.id);
	assert_true(list[0].revoked);
	assert_false(list[1].revoked);
	assert_int_equal(store_tokens_list(c, f->a, f->user + 100, &list, &n), 0);
	assert_int_equal(n, 0);
}

/* ---- cases ------------------------------------------------------------------------------- */

struct number_op {
	const char *prefix;
	int year;
	int64_t seq;
};

static int tx_next_number(store_tx_t *tx, void *p)
{
	struct number_op *o = p;
	return store_tx_next_number(tx, o->prefix, o->year, &o->seq);
}

static void test_cases_roundtrip(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	struct number_op no = { "XF", 2026, 0 };
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(wr(f, tx_next_number, &no), 0);
		assert_int_equal(no.seq, i);
	}
	no.year = 2027;
	assert_int_equal(wr(f, tx_next_number, &no), 0);
	assert_int_equal(no.seq, 1);
	no.prefix = "TJ";
	no.year = 2026;
	assert_int_equal(wr(f, tx_next_number, &no), 0);
	assert_int_equal(no.seq, 1);

	pa_case_t cs = {
		.number = "XF-2026-900001", .type = "petition", .category = "housing",
		.title = "小区漏水", .body = "楼上漏水三个月", .channel = "visit", .state = "registered",
		.is_open = true, .intake_org_id = f->org_a, .owner_org_id = f->org_b,
		.assignee_id = f->user, .accused_org_id = f->org_c, .created_at = 1700000000,
		.updated_at = 1700000001, .state_entered_at = 1700000002, .due_at = 1700086400,
		.overdue = false, .query_hash = "qh", .data = "{\"k\":1}",
	};
	pa_id_t id = add_case(f, cs);
	pa_case_t got;
	assert_int_equal(store_case_get(c, f->a, id, &got), 0);
	assert_int_equal(got.id, id);
	assert_string_equal(got.number, cs.number);
	assert_string_equal(got.type, "petition");
	assert_string_equal(got.category, "housing");
	assert_string_equal(got.title, "小区漏水");
	assert_string_equal(got.body, "楼上漏水三个月");
	assert_string_equal(got.channel, "visit");
	assert_string_equal(got.state, "registered");
	assert_true(got.is_open);
	assert_int_equal(got.intake_org_id, f->org_a);
	assert_int_equal(got.owner_org_id, f->org_b);
	assert_int_equal(got.assignee_id, f->user);
	assert_int_equal(got.accused_org_id, f->org_c);
	assert_int_equal(got.created_at, 1700000000);
	assert_int_equal(got.updated_at, 1700000001);
	assert_int_equal(got.state_entered_at, 1700000002);
	assert_int_equal(got.due_at, 1700086400);
	assert_false(got.overdue);
	assert_string_equal(got.query_hash, "qh");
	assert_string_equal(got.data, "{\"k\":1}");
	assert_int_equal(got.version, 1);
	assert_int_equal(store_case_get_by_number(c, f->a, cs.number, &got), 0);
	assert_int_equal(got.id, id);
	assert_int_equal(store_case_get_by_number(c, f->a, "XF-0", &got), PA_ENOTFOUND);
	assert_int_equal(store_case_get(c, f->a, id + 100, &got), PA_ENOTFOUND);

	/* defaults: no assignee, no accused, no limit, NULL data */
	pa_case_t bare = case_tmpl(f, f->org_a, PA_NO_DUE);
	bare.data = NULL;
	bare.query_hash = NULL;
	pa_id_t id2 = add_case(f, bare);
	assert_int_equal(store_case_get(c, f->a, id2, &got), 0);
	assert_int_equal(got.assignee_id, 0);
	assert_int_equal(got.accused_org_id, 0);
	assert_int_equal(got.due_at, PA_NO_DUE);
	assert_string_equal(got.data, "{}");
	assert_null(got.query_hash);

	/* duplicate number */
	struct case_ins dup = { .cs = cs };
	assert_int_equal(wr(f, tx_case_insert, &dup), PA_ECONFLICT);
	assert_string_equal(f->err.field, "number");
	/* invalid JSON data is refused by the schema */
	pa_case_t badjson = case_tmpl(f, f->org_a, 5);
	badjson.data = "{not json";
	struct case_ins bj = { .cs = badjson };
	assert_int_equal(wr(f, tx_case_insert, &bj), PA_EINTERNAL);

	/* update with the right version */
	pa_case_t upd = got;
	assert_int_equal(store_case_get(c, f->a, id, &upd), 0);
	upd.state = "handling";
	upd.owner_org_id = f->org_c;
	upd.assignee_id = 0;
	upd.accused_org_id = 0;
	upd.due_at = 1800000000;
	upd.overdue = true;
	upd.state_entered_at = 1700000100;
	upd.updated_at = 1700000100;
	upd.data = "{\"extended\":true}";
	upd.title = "ignored";
	assert_int_equal(wr(f, tx_case_update, &upd), 0);
	assert_int_equal(store_case_get(c, f->a, id, &got), 0);
	assert_int_equal(got.version, 2);
	assert_string_equal(got.state, "handling");
	assert_int_equal(got.owner_org_id, f->org_c);
	assert_int_equal(got.assignee_id, 0);
	assert_int_equal(got.accused_org_id, 0);
	assert_int_equal(got.due_at, 1800000000);
	assert_true(got.overdue);
	assert_int_equal(got.state_entered_at, 1700000100);
	assert_string_equal(got.data, "{\"extended\":true}");
	assert_string_equal(got.title, "小区漏水");  /* not an updated field */
	/* the same (now stale) version again */
	assert_int_equal(wr(f, tx_case_update, &upd), PA_ECONFLICT);
	assert_string_equal(f->err.type, "version-conflict");
	/* NULL data keeps the data */
	upd.version = 2;
	upd.data = NULL;
	upd.is_open = false;
	upd.state = "closed";
	assert_int_equal(wr(f, tx_case_update, &upd), 0);
	assert_int_equal(store_case_get(c, f->a, id, &got), 0);
	assert_string_equal(got.data, "{\"extended\":true}");
	assert_false(got.is_open);
	assert_int_equal(got.version, 3);
	upd.id = 99999;
	assert_int_equal(wr(f, tx_case_update, &upd), PA_ENOTFOUND);
}

/* A small world for the list tests. */
struct world {
	pa_id_t a_open_early, a_open_late, a_closed, a_overdue, a_nodue;
	pa_id_t b_dispute, b_accused_a, b_accused_c, c_tip, c_assigned;
};

static void make_world(struct fx *f, struct world *w)
{
	pa_case_t cs = case_tmpl(f, f->org_a, 100);
	w->a_open_early = add_case(f, cs);
	cs = case_tmpl(f, f->org_a, 500);
	w->a_open_late = add_case(f, cs);
	cs = case_tmpl(f, f->org_a, 50);
	cs.is_open = false;
	cs.state = "closed";
	w->a_closed = add_case(f, cs);
	cs = case_tmpl(f, f->org_a, 10);
	cs.overdue = true;
	cs.state = "handling";
	w->a_overdue = add_case(f, cs);
	cs = case_tmpl(f, f->org_a, PA_NO_DUE);
	w->a_nodue = add_case(f, cs);
	cs = case_tmpl(f, f->org_b, 300);
	cs.type = "dispute";
	cs.state = "mediating";
	w->b_dispute = add_case(f, cs);
	cs = case_tmpl(f, f->org_b, 200);
	cs.type = "tip";
	cs.accused_org_id = f->org_a;
	w->b_accused_a = add_case(f, cs);
	cs = case_tmpl(f, f->org_b, 250);
	cs.type = "tip";
	cs.accused_org_id = f->org_c;
	w->b_accused_c = add_case(f, cs);
	cs = case_tmpl(f, f->org_c, 400);
	cs.type = "tip";
	w->c_tip = add_case(f, cs);
	cs = case_tmpl(f, f->org_c, 450);
	cs.assignee_id = f->user;
	w->c_assigned = add_case(f, cs);
}

static size_t list_ids(struct fx *f, const pa_case_filter_t *flt, pa_id_t *ids, size_t max)
{
	pa_case_t *cases;
	size_t n;
	bool more;
	int rc = store_case_list(store_reader(f->s), f->a, flt, &cases, &n, &more);
	if (rc != 0)
		fail_msg("store_case_list: %s", pa_strerror(rc));
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		ids[i] = cases[i].id;
		if (i)
			assert_true(cases[i - 1].due_at < cases[i].due_at ||
			            (cases[i - 1].due_at == cases[i].due_at && cases[i - 1].id < cases[i].id));
	}
	return n;
}

static pa_case_filter_t any_filter(void)
{
	return (pa_case_filter_t){ .overdue = -1, .open = -1, .all_orgs = true,
		                   .limit = STORE_LIST_MAX };
}

static void test_case_list_filters(void **state)
{
	struct fx *f = *state;
	struct world w;
	make_world(f, &w);
	pa_id_t ids[64];
	pa_case_filter_t flt = any_filter();
	assert_int_equal(list_ids(f, &flt, ids, 64), 10);
	assert_int_equal(ids[0], w.a_overdue);   /* due 10 */
	assert_int_equal(ids[9], w.a_nodue);     /* PA_NO_DUE sorts last */

	flt = any_filter();
	flt.type = "tip";
	assert_int_equal(list_ids(f, &flt, ids, 64), 3);
	flt.state = "registered";
	assert_int_equal(list_ids(f, &flt, ids, 64), 3);
	flt.type = "dispute";
	assert_int_equal(list_ids(f, &flt, ids, 64), 0);
	flt.state = "mediating";
	assert_int_equal(list_ids(f, &flt, ids, 64), 1);
	assert_int_equal(ids[0], w.b_dispute);

	flt = any_filter();
	flt.owner_org_id = f->org_a;
	assert_int_equal(list_ids(f, &flt, ids, 64), 5);
	flt.open = 1;
	assert_int_equal(list_ids(f, &flt, ids, 64), 4);
	flt.open = 0;
	assert_int_equal(list_ids(f, &flt, ids, 64), 1);
	assert_int_equal(ids[0], w.a_closed);
	flt.open = -1;
	flt.overdue = 1;
	assert_int_equal(list_ids(f, &flt, ids, 64), 1);
	assert_int_equal(ids[0], w.a_overdue);
	flt.overdue = 0;
	assert_int_equal(list_ids(f, &flt, ids, 64), 4);

	flt = any_filter();
	flt.due_before = 300;  /* strictly before */
	assert_int_equal(list_ids(f, &flt, ids, 64), 5);
	flt.open = 1;
	assert_int_equal(list_ids(f, &flt, ids, 64), 4);

	flt = any_filter();
	flt.assignee_id = f->user;
	assert_int_equal(list_ids(f, &flt, ids, 64), 1);
	assert_int_equal(ids[0], w.c_assigned);

	/* visibility: only units B and C */
	pa_id_t vis[] = { f->org_b, f->org_c };
	flt = any_filter();
	flt.all_orgs = false;
	flt.visible_orgs = vis;
	flt.nvisible = 2;
	assert_int_equal(list_ids(f, &flt, ids, 64), 5);
	flt.owner_org_id = f->org_a;  /* asks for a unit it cannot see */
	assert_int_equal(list_ids(f, &flt, ids, 64), 0);
	flt.owner_org_id = f->org_c;
	assert_int_equal(list_ids(f, &flt, ids, 64), 2);
	flt.nvisible = 0;  /* sees nothing */
	assert_int_equal(list_ids(f, &flt, ids, 64), 0);

	/* hidden accused: unit A never sees the tip that accuses it */
	pa_id_t hide[] = { f->org_a };
	flt = any_filter();
	flt.owner_org_id = f->org_b;
	flt.hidden_accused = hide;
	flt.nhidden = 1;
	assert_int_equal(list_ids(f, &flt, ids, 64), 2);
	for (size_t i = 0; i < 2; i++)
		assert_true(ids[i] != w.b_accused_a);
	pa_id_t hide2[] = { f->org_a, f->org_c };
	flt.hidden_accused = hide2;
	flt.nhidden = 2;
	assert_int_equal(list_ids(f, &flt, ids, 64), 1);
	assert_int_equal(ids[0], w.b_dispute);
	flt.nhidden = 0;
	assert_int_equal(list_ids(f, &flt, ids, 64), 3);

	/* limits are checked */
	pa_case_t *cases;
	size_t n;
	bool more;
	store_conn_t *c = store_reader(f->s);
	flt = any_filter();
	flt.limit = 0;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), PA_EINVAL);
	flt.limit = STORE_LIST_MAX + 1;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), PA_EINVAL);
	flt.limit = 10;
	flt.overdue = 2;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), PA_EINVAL);
	flt = any_filter();
	pa_id_t *many = arena_zalloc(f->a, sizeof(pa_id_t) * (STORE_FILTER_IDS_MAX + 1));
	flt.all_orgs = false;
	flt.visible_orgs = many;
	flt.nvisible = STORE_FILTER_IDS_MAX + 1;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), PA_EINVAL);
	flt.nvisible = STORE_FILTER_IDS_MAX;
	many[0] = f->org_a;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), 0);
	assert_int_equal(n, 5);
	flt = any_filter();
	flt.hidden_accused = many;
	flt.nhidden = STORE_FILTER_IDS_MAX + 1;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), PA_EINVAL);
	/* a value that looks like SQL is only ever a value */
	flt = any_filter();
	flt.type = "petition' OR 1=1 --";
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), 0);
	assert_int_equal(n, 0);
}

static void test_case_list_paging(void **state)
{
	struct fx *f = *state;
	/* 61 open cases in A, due in three equal groups, plus 4 with no limit, plus noise */
	pa_time_t dues[] = { 300, 100, 200 };
	for (int i = 0; i < 61; i++)
		add_case(f, case_tmpl(f, f->org_a, dues[i % 3]));
	for (int i = 0; i < 4; i++)
		add_case(f, case_tmpl(f, f->org_a, PA_NO_DUE));
	for (int i = 0; i < 7; i++)
		add_case(f, case_tmpl(f, f->org_b, 150));

	pa_case_filter_t flt = any_filter();
	flt.owner_org_id = f->org_a;
	flt.open = 1;
	flt.limit = 7;
	size_t total = 0, pages = 0;
	pa_time_t last_due = INT64_MIN;
	pa_id_t last_id = 0;
	store_conn_t *c = store_reader(f->s);
	for (;;) {
		pa_case_t *cases;
		size_t n;
		bool more;
		arena_reset(f->a);
		assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), 0);
		pages++;
		for (size_t i = 0; i < n; i++) {
			assert_int_equal(cases[i].owner_org_id, f->org_a);
			/* strictly after the previous row in (due_at, id) order */
			assert_true(cases[i].due_at > last_due ||
			            (cases[i].due_at == last_due && cases[i].id > last_id));
			last_due = cases[i].due_at;
			last_id = cases[i].id;
		}
		total += n;
		if (!more) {
			assert_true(n <= 7);
			break;
		}
		assert_int_equal(n, 7);
		flt.has_cursor = true;
		flt.after_due = last_due;
		flt.after_id = last_id;
	}
	assert_int_equal(total, 65);
	assert_int_equal(pages, 10);  /* 9 full pages and 2 rows */
	assert_int_equal(last_due, PA_NO_DUE);

	/* the pages ran one cached statement with new bindings each time, never
	 * prepared again (a parameter compared with a partial index's WHERE, as
	 * is_open = ? with cases_due_pending, would re-prepare it on each bind) */
	sqlite3 *db = store_sqlite_db(c);
	int lists = 0;
	for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
		if (!strstr(sqlite3_sql(st), "FROM cases WHERE"))
			continue;
		lists++;
		assert_int_equal(sqlite3_stmt_status(st, SQLITE_STMTSTATUS_REPREPARE, 0), 0);
	}
	assert_true(lists >= 2);  /* the first page's and the cursor's */

	/* exactly a page left: more is false */
	flt.has_cursor = false;
	flt.limit = 65;
	pa_case_t *cases;
	size_t n;
	bool more;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), 0);
	assert_int_equal(n, 65);
	assert_false(more);
	flt.limit = 64;
	assert_int_equal(store_case_list(c, f->a, &flt, &cases, &n, &more), 0);
	assert_true(more);
}

static char *query_plan(sqlite3 *db, const char *sql)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "EXPLAIN QUERY PLAN ");
	strbuf_adds(&sb, sql);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sb.buf, -1, &st, NULL), SQLITE_OK);
	strbuf_reset(&sb);
	while (sqlite3_step(st) == SQLITE_ROW) {
		strbuf_adds(&sb, (const char *)sqlite3_column_text(st, 3));
		strbuf_addch(&sb, '\n');
	}
	sqlite3_finalize(st);
	return strbuf_detach(&sb, NULL);
}

/* The monthly indicator tables summed by key in C (sqlite_indicators.c):
 * one row per (group, type, metric) whatever the order and the lengths of
 * the keys.  The key was once passed with the length of the row before
 * (an argument list read key.len before it called row_key): a unit's id
 * of another length split a key in two, and a key read with a shorter
 * length could merge two metrics (PostgreSQL's row order showed it: a
 * tip's verified counted as assigned). */
static void test_indicator_sums_by_key(void **state)
{
	struct fx *f = *state;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO indicator_metric(month, type, category, org_id, street_id, enterprise, "
		"metric, n) VALUES "
		"(202612, 'tip', 'c1', 5, 0, 0, 'count.assigned', 1),"
		"(202612, 'tip', 'c1', 16, 0, 0, 'count.assigned', 1),"
		"(202612, 'tip', 'c2', 5, 0, 0, 'count.assigned', 1),"
		"(202612, 'tip', 'c1', 3, 0, 0, 'rate.verification_rate.den', 1),"
		"(202612, 'tip', 'c1', 5, 0, 0, 'rate.verification_rate.den', 1),"
		"(202612, 'tip', 'c1', 3, 0, 0, 'rate.verification_rate.num', 1),"
		"(202612, 'dispute', 'c1', 16, 0, 0, 'count.accepted', 3);"
		"INSERT INTO indicator_month(month, type, category, org_id, street_id, enterprise, "
		"cases) VALUES (202612, 'tip', 'c1', 5, 0, 0, 1), (202612, 'tip', 'c1', 16, 0, 0, 2),"
		"(202612, 'tip', 'c2', 5, 0, 0, 4), (202612, 'dispute', 'c1', 5, 0, 0, 8);",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	static const struct { const char *by, *group, *type, *metric; int64_t n; } want[] = {
		{ NULL, "", "tip", "count.assigned", 3 },
		{ NULL, "", "tip", "rate.verification_rate.den", 2 },
		{ NULL, "", "tip", "rate.verification_rate.num", 1 },
		{ NULL, "", "dispute", "count.accepted", 3 },
		{ "org", "5", "tip", "count.assigned", 2 },
		{ "org", "16", "tip", "count.assigned", 1 },
		{ "org", "3", "tip", "rate.verification_rate.den", 1 },
		{ "org", "5", "tip", "rate.verification_rate.den", 1 },
		{ "org", "3", "tip", "rate.verification_rate.num", 1 },
		{ "org", "16", "dispute", "count.accepted", 3 },
	};
	for (int g = 0; g < 2; g++) {
		const char *by = g ? "org" : NULL;
		pa_ind_filter_t flt = { .all_orgs = true, .enterprise = -1, .group_by = by };
		pa_ind_row_t *rows = NULL;
		size_t n = 0, expect = 0;
		assert_int_equal(store_indicator_metric_sums(store_reader(f->s), f->a, &flt, 202612,
		                                             202612, &rows, &n), 0);
		for (size_t w = 0; w < ARRAY_SIZE(want); w++) {
			if (!want[w].by != !by)
				continue;
			expect++;
			size_t found = 0;
			for (size_t i = 0; i < n; i++)
				if (streq(rows[i].group, want[w].group) && streq(rows[i].type, want[w].type) &&
				    streq(rows[i].metric, want[w].metric)) {
					found++;
					assert_int_equal(rows[i].n, want[w].n);
				}
			assert_int_equal(found, 1);
		}
		assert_int_equal(n, expect);

		pa_ind_group_t *gs = NULL;
		size_t ng = 0;
		assert_int_equal(store_indicator_month_sums(store_reader(f->s), f->a, &flt, 202612,
		                                            202612, &gs, &ng), 0);
		assert_int_equal(ng, g ? 3 : 2);  /* by org: (5, tip), (16, tip), (5, dispute) */
		for (size_t i = 0; i < ng; i++) {
			int64_t cases = gs[i].col[PA_IND_CASES];
			if (streq(gs[i].type, "dispute"))
				assert_int_equal(cases, 8);
			else if (!g)
				assert_int_equal(cases, 7);
			else
				assert_int_equal(cases, streq(gs[i].group, "5") ? 5 : 2);
		}
	}
}

static void test_case_list_query_plan(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 20; i++)
		add_case(f, case_tmpl(f, i % 2 ? f->org_a : f->org_b, 100 + i));
	sqlite3 *db = store_sqlite_db(store_reader(f->s));

	/* the inbox: owner_org_id = ? AND is_open = 1 ORDER BY due_at, id LIMIT 51 */
	pa_case_filter_t flt = { .owner_org_id = f->org_a, .open = 1, .overdue = -1,
		                 .all_orgs = true, .limit = 50 };
	char *sql = store_sqlite_case_list_sql(&flt);
	assert_non_null(sql);
	assert_non_null(strstr(sql, "owner_org_id = ?"));
	assert_non_null(strstr(sql, "LIMIT ?"));
	char *plan = query_plan(db, sql);
	assert_non_null(strstr(plan, "USING INDEX cases_inbox (owner_org_id=? AND is_open=?)"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
	free(sql);

	/* the assignee filter: the partial cases_assignee (assigned cases only,
	 * migration 27) serves it, `assignee_id = ?` implying NOT NULL */
	{
		pa_case_filter_t af = { .assignee_id = 7, .open = 1, .overdue = -1, .all_orgs = true,
			                .limit = 50 };
		char *asql = store_sqlite_case_list_sql(&af);
		assert_non_null(strstr(asql, "assignee_id = ?"));
		char *aplan = query_plan(db, asql);
		assert_non_null(strstr(aplan, "INDEX cases_assignee (assignee_id=? AND is_open=?)"));
		free(aplan);
		free(asql);
	}

	/* the same page after a cursor seeks into the index */
	flt.has_cursor = true;
	sql = store_sqlite_case_list_sql(&flt);
	plan = query_plan(db, sql);
	assert_non_null(strstr(plan, "cases_inbox (owner_org_id=? AND is_open=? AND due_at>?)"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
	free(sql);

	/* with a visibility list and hidden accused: one slice per unit, each
	 * the first page of keys from the inbox index alone (the hidden-accused
	 * condition is in it; only those pages are sorted, in the merge), then
	 * the merged page's rows by id: never a scan of the table */
	pa_id_t vis[] = { f->org_a, f->org_b, f->org_c };
	flt.all_orgs = false;
	flt.visible_orgs = vis;
	flt.nvisible = 3;
	flt.hidden_accused = vis;
	flt.nhidden = 1;
	flt.owner_org_id = 0;
	sql = store_sqlite_case_list_sql(&flt);
	assert_non_null(strstr(sql, "UNION ALL"));
	plan = query_plan(db, sql);
	assert_non_null(strstr(plan, "COVERING INDEX cases_inbox (owner_org_id=? AND is_open=?"));
	assert_null(strstr(plan, "USING INDEX cases_inbox"));
	assert_non_null(strstr(plan, "MATERIALIZE page"));
	assert_non_null(strstr(plan, "SEARCH cases USING INTEGER PRIMARY KEY (rowid=?)"));
	assert_null(strstr(plan, "SCAN cases"));
	free(plan);
	free(sql);
	/* the page is the same as the slices' rows merged by hand */
	{
		pa_case_t *rows = NULL;
		size_t nrows = 0;
		bool more = false;
		flt.limit = 7;
		assert_int_equal(store_case_list(store_reader(f->s), f->a, &flt, &rows, &nrows, &more), 0);
		assert_int_equal(nrows, 7);
		assert_true(more);
		/* the 20 cases above alternate between units B and A, due 100, 101, … */
		for (size_t i = 0; i < nrows; i++) {
			assert_int_equal(rows[i].due_at, 100 + (pa_time_t)i);
			assert_int_equal(rows[i].owner_org_id, i % 2 ? f->org_a : f->org_b);
			assert_non_null(rows[i].number);
			assert_string_equal(rows[i].title, "漏水");
		}
		flt.limit = 50;
	}

	/* a unit both visible and a member, with a restricted type: one slice of
	 * every type straight from the inbox index (a slice filtered by type
	 * would walk every open case of the unit), beside the participations'
	 * slice (not counted here: the probing form) */
	const char *restricted[] = { "joint_case" };
	pa_id_t mem[] = { f->org_a };
	flt = (pa_case_filter_t){ .open = 1, .overdue = -1, .limit = 50, .visible_orgs = vis,
		                  .nvisible = 1, .member_orgs = mem, .nmember = 1,
		                  .restricted_types = restricted, .nrestricted = 1 };
	sql = store_sqlite_case_list_sql(&flt);
	assert_null(strstr(sql, "type NOT IN"));
	assert_non_null(strstr(sql, "FROM cases WHERE cases.owner_org_id = ? AND is_open = 1 ORDER BY"));
	plan = query_plan(db, sql);
	/* the participations' branch walks all open cases by deadline, the
	 * restricted types picked out in the index entries (migration 28) */
	assert_non_null(strstr(plan, "SEARCH cases USING INDEX cases_open_due (is_open=?)"));
	assert_non_null(strstr(plan, "cases_inbox (owner_org_id=? AND is_open=?)"));
	assert_null(strstr(plan, "SCAN cases"));
	free(plan);
	free(sql);

	/* all orgs, open: the (is_open, due_at) index */
	flt = (pa_case_filter_t){ .open = 1, .overdue = -1, .all_orgs = true, .limit = 50 };
	sql = store_sqlite_case_list_sql(&flt);
	plan = query_plan(db, sql);
	assert_non_null(strstr(plan, "cases_open_due"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
	free(sql);

	/* all orgs, by type, and by type and state (migration 28): the same
	 * walk of cases_open_due, type and state checked in its entries — never
	 * a type's cases read through another index and sorted */
	for (int v = 0; v < 2; v++) {
		flt = (pa_case_filter_t){ .open = 1, .overdue = -1, .all_orgs = true, .limit = 50,
			                  .type = "petition", .state = v ? "accepted" : NULL };
		sql = store_sqlite_case_list_sql(&flt);
		plan = query_plan(db, sql);
		assert_non_null(strstr(plan, "INDEX cases_open_due (is_open=?)"));
		assert_null(strstr(plan, "TEMP B-TREE"));
		assert_null(strstr(plan, "cases_type_created"));
		free(plan);
		free(sql);
	}

	/* open and closed cases together (open=any), over all units: the closed
	 * and the open range of cases_open_due merged, each already in (due_at,
	 * id) order — never the table scanned and sorted — with or without
	 * due_before and a cursor */
	for (int v = 0; v < 4; v++) {
		flt = (pa_case_filter_t){ .open = -1, .overdue = -1, .all_orgs = true, .limit = 50 };
		flt.due_before = v & 1 ? 1000 : 0;
		flt.has_cursor = v & 2;
		sql = store_sqlite_case_list_sql(&flt);
		plan = query_plan(db, sql);
		assert_non_null(strstr(plan, "MERGE (UNION ALL)"));
		assert_non_null(strstr(plan, "cases_open_due (is_open=?"));
		assert_null(strstr(plan, "SCAN cases"));
		/* each half is its own first page (ORDER BY ... LIMIT, for
		 * PostgreSQL's sake): SQLite re-sorts those <= 51 rows of each
		 * co-routine, never more — a sort only right after the scan of a
		 * half */
		int sorts = 0, subq = 0;
		for (const char *p = plan; (p = strstr(p, "USE TEMP B-TREE")); p++)
			sorts++;
		for (const char *p = plan; (p = strstr(p, "SCAN h")); p++) {  /* the halves h0, h1 */
			subq++;
			const char *eol = strchr(p, '\n');
			assert_non_null(eol);
			assert_true(strncmp(eol + 1, "USE TEMP B-TREE FOR ORDER BY", 28) == 0);
		}
		assert_int_equal(subq, 2);
		assert_int_equal(sorts, subq);
		free(plan);
		free(sql);
	}

	/* open=any over a visibility list: each unit's closed and open cases
	 * from its two ranges of the inbox index, never a unit's cases sorted
	 * (only the branches' first pages are, in the merge, as above) */
	for (int v = 0; v < 4; v++) {
		flt = (pa_case_filter_t){ .open = -1, .overdue = -1, .limit = 50, .visible_orgs = vis,
			                  .nvisible = v < 2 ? 3 : 1 };
		flt.has_cursor = v & 1;
		sql = store_sqlite_case_list_sql(&flt);
		plan = query_plan(db, sql);
		assert_non_null(strstr(plan, "cases_inbox (owner_org_id=? AND is_open=?"));
		assert_null(strstr(plan, "cases_inbox (owner_org_id=?)"));
		assert_null(strstr(plan, "SCAN cases"));
		free(plan);
		free(sql);
	}

	/* and the rows are the same as one query over both, sorted */
	for (int i = 0; i < 6; i++) {
		pa_case_t cs = case_tmpl(f, i % 2 ? f->org_a : f->org_b, 100 + 3 * i);
		cs.is_open = false;
		cs.state = "closed";
		add_case(f, cs);
	}
	for (int all = 0; all < 2; all++) {
		flt = (pa_case_filter_t){ .open = -1, .overdue = -1, .limit = 4, .all_orgs = all,
			                  .visible_orgs = vis, .nvisible = all ? 0 : 3 };
		pa_time_t last_due = 0;
		pa_id_t last_id = 0;
		size_t total = 0, closed = 0;
		for (int page = 0; page < 20; page++) {
			pa_case_t *rows = NULL;
			size_t nrows = 0;
			bool more = false;
			assert_int_equal(store_case_list(store_reader(f->s), f->a, &flt, &rows, &nrows,
			                                 &more), 0);
			for (size_t i = 0; i < nrows; i++) {
				assert_true(rows[i].due_at > last_due ||
				            (rows[i].due_at == last_due && rows[i].id > last_id));
				last_due = rows[i].due_at;
				last_id = rows[i].id;
				closed += !rows[i].is_open;
			}
			total += nrows;
			if (!more)
				break;
			flt.has_cursor = true;
			flt.after_due = last_due;
			flt.after_id = last_id;
		}
		assert_int_equal(total, 26);
		assert_int_equal(closed, 6);
	}

	/* the timer's scan reads the partial index of pending work, with no sort */
	plan = query_plan(db, "SELECT id, type, state, due_at, overdue FROM cases INDEXED BY cases_due_pending "
	                      "WHERE is_open = 1 AND overdue = 0 AND due_at <= ?1 "
	                      "AND (due_at > ?2 OR (due_at = ?2 AND id > ?3)) ORDER BY due_at, id LIMIT ?4");
	assert_non_null(strstr(plan, "cases_due_pending"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
}

static void test_due_scan_counts(void **state)
{
	struct fx *f = *state;
	pa_case_t cs;
	pa_id_t past1 = add_case(f, case_tmpl(f, f->org_a, 100));
	cs = case_tmpl(f, f->org_b, 200);
	cs.overdue = true;
	pa_id_t past2 = add_case(f, cs);
	cs = case_tmpl(f, f->org_a, 150);
	cs.is_open = false;
	add_case(f, cs);                                  /* closed: never */
	pa_id_t at_now = add_case(f, case_tmpl(f, f->org_c, 1000));
	add_case(f, case_tmpl(f, f->org_a, 1001));        /* future */
	add_case(f, case_tmpl(f, f->org_a, PA_NO_DUE));   /* no limit */
	pa_id_t past3 = add_case(f, case_tmpl(f, f->org_a, 5));

	store_conn_t *c = store_reader(f->s);
	pa_due_item_t *items;
	size_t n;
	/* pending work only (past2 is already marked overdue), by due time */
	assert_int_equal(store_due_scan(c, f->a, 1000, INT64_MIN, 0, 100, &items, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(items[0].id, past3);
	assert_int_equal(items[1].id, past1);
	assert_false(items[1].overdue);
	assert_string_equal(items[1].type, "petition");
	assert_string_equal(items[1].state, "registered");
	assert_int_equal(items[1].due_at, 100);
	assert_int_equal(items[2].id, at_now);
	(void)past2;
	/* keyset paging by (due_at, id) */
	assert_int_equal(store_due_scan(c, f->a, 1000, INT64_MIN, 0, 2, &items, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_due_scan(c, f->a, 1000, items[1].due_at, items[1].id, 2, &items, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].id, at_now);
	assert_int_equal(store_due_scan(c, f->a, 1000, 1000, at_now, 2, &items, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_due_scan(c, f->a, 1000, INT64_MIN, 0, 0, &items, &n), PA_EINVAL);

	int64_t open, overdue;
	assert_int_equal(store_case_counts(c, 1000, &open, &overdue), 0);
	assert_int_equal(open, 6);
	assert_int_equal(overdue, 3);  /* due_at < now, so not the one due at 1000 */
}

/* ---- timeline, parties, attachments, ratings ------------------------------------------------ */

struct child_ins {
	pa_event_t ev;
	pa_party_t party;
	pa_attachment_t att;
	pa_rating_t rating;
	pa_id_t id;
};

static int tx_event_insert(store_tx_t *tx, void *p)
{
	struct child_ins *x = p;
	return store_tx_event_insert(tx, &x->ev, &x->id);
}

static int tx_party_insert(store_tx_t *tx, void *p)
{
	struct child_ins *x = p;
	return store_tx_party_insert(tx, &x->party, &x->id);
}

static int tx_attachment_insert(store_tx_t *tx, void *p)
{
	struct child_ins *x = p;
	return store_tx_attachment_insert(tx, &x->att, &x->id);
}

static int tx_rating_insert(store_tx_t *tx, void *p)
{
	struct child_ins *x = p;
	return store_tx_rating_insert(tx, &x->rating, &x->id);
}

static const char sha_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char sha_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

static void test_timeline(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	pa_id_t cid = add_case(f, case_tmpl(f, f->org_a, 100));
	pa_id_t other = add_case(f, case_tmpl(f, f->org_a, 100));
	pa_id_t evs[6];
	for (int i = 0; i < 6; i++) {
		struct child_ins x = { .ev = {
			.case_id = i == 5 ? other : cid, .at = 2000 + i,
			.kind = i == 0 ? "created" : "transition", .action = i ? "accept" : NULL,
			.from_state = i ? "registered" : NULL, .to_state = "handling",
			.actor_user_id = i % 2 ? f->user : 0, .actor_name = i % 2 ? "Handler" : "public",
			.actor_org_id = i % 2 ? f->org_a : 0, .public = i % 2 == 0,
			.text = i == 2 ? "已受理" : NULL, .data = i == 2 ? "{\"reason\":\"x\"}" : NULL } };
		assert_int_equal(wr(f, tx_event_insert, &x), 0);
		evs[i] = x.id;
	}
	pa_event_t *list;
	size_t n;
	assert_int_equal(store_events_list(c, f->a, cid, 0, 100, false, &list, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(list[0].id, evs[0]);
	assert_string_equal(list[0].kind, "created");
	assert_null(list[0].action);
	assert_null(list[0].from_state);
	assert_int_equal(list[0].actor_user_id, 0);
	assert_int_equal(list[0].actor_org_id, 0);
	assert_string_equal(list[0].actor_name, "public");
	assert_true(list[0].public);
	assert_string_equal(list[0].data, "{}");
	assert_int_equal(list[1].actor_user_id, f->user);
	assert_int_equal(list[1].actor_org_id, f->org_a);
	assert_false(list[1].public);
	assert_string_equal(list[2].text, "已受理");
	assert_string_equal(list[2].data, "{\"reason\":\"x\"}");
	assert_int_equal(list[2].at, 2002);
	assert_int_equal(store_events_list(c, f->a, cid, 0, 100, true, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(store_events_list(c, f->a, cid, evs[1], 2, false, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].id, evs[2]);
	assert_int_equal(list[1].id, evs[3]);
	assert_int_equal(store_events_list(c, f->a, cid, 0, 0, false, &list, &n), PA_EINVAL);
	/* an event of a case that does not exist */
	struct child_ins orphan = { .ev = { .case_id = 9999, .at = 1, .kind = "comment",
		                            .actor_name = "x" } };
	assert_int_equal(wr(f, tx_event_insert, &orphan), PA_EINVAL);
}

static void test_parties(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	pa_id_t c1 = add_case(f, case_tmpl(f, f->org_a, 100));
	pa_id_t c2 = add_case(f, case_tmpl(f, f->org_a, 100));
	static const uint8_t name[] = { 0x00, 0x01, 0xfe, 0xff, 0x00, 0x42 };
	static const uint8_t phone[] = { 9, 8, 7 };
	struct child_ins p1 = { .party = {
		.case_id = c1, .uid = "u1", .role = "petitioner", .name = { name, sizeof(name) },
		.phone = { phone, sizeof(phone) }, .phone_hash = "ph1", .id_hash = "ih1",
		.created_at = 77 } };
	struct child_ins p2 = { .party = { .case_id = c2, .uid = "u2", .role = "party",
		                           .phone_hash = "ph1", .created_at = 78 } };
	struct child_ins p3 = { .party = { .case_id = c2, .uid = "u3", .role = "party",
		                           .id_hash = "ph1", .created_at = 79 } };
	assert_int_equal(wr(f, tx_party_insert, &p1), 0);
	assert_int_equal(wr(f, tx_party_insert, &p2), 0);
	assert_int_equal(wr(f, tx_party_insert, &p3), 0);
	struct child_ins dup = p1;
	assert_int_equal(wr(f, tx_party_insert, &dup), PA_ECONFLICT);
	assert_string_equal(f->err.field, "uid");

	pa_party_t got;
	assert_int_equal(store_party_get(c, f->a, p1.id, &got), 0);
	assert_int_equal(got.case_id, c1);
	assert_string_equal(got.uid, "u1");
	assert_string_equal(got.role, "petitioner");
	assert_int_equal(got.name.len, sizeof(name));
	assert_memory_equal(got.name.data, name, sizeof(name));
	assert_int_equal(got.phone.len, sizeof(phone));
	assert_memory_equal(got.phone.data, phone, sizeof(phone));
	assert_int_equal(got.id_number.len, 0);
	assert_null(got.id_number.data);
	assert_int_equal(got.address.len, 0);
	assert_string_equal(got.phone_hash, "ph1");
	assert_string_equal(got.id_hash, "ih1");
	assert_int_equal(got.created_at, 77);
	assert_int_equal(store_party_get(c, f->a, 4242, &got), PA_ENOTFOUND);

	pa_party_t *list;
	size_t n;
	assert_int_equal(store_parties_list(c, f->a, c2, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].uid, "u2");
	assert_null(list[0].id_hash);
	assert_string_equal(list[1].uid, "u3");

	pa_id_t *cases;
	assert_int_equal(store_cases_by_party_hash(c, f->a, NULL, "ph1", 10, &cases, &n), 0);
	assert_int_equal(n, 2);  /* distinct cases, newest first */
	assert_int_equal(cases[0], c2);
	assert_int_equal(cases[1], c1);
	assert_int_equal(store_cases_by_party_hash(c, f->a, "phone", "ph1", 10, &cases, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cases[0], c2);
	assert_int_equal(store_cases_by_party_hash(c, f->a, "id", "ph1", 10, &cases, &n), 0);
	assert_int_equal(n, 1);  /* p3's id_hash only */
	assert_int_equal(cases[0], c2);
	assert_int_equal(store_cases_by_party_hash(c, f->a, NULL, "ih1", 10, &cases, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_cases_by_party_hash(c, f->a, "id", "ih1", 10, &cases, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_cases_by_party_hash(c, f->a, "phone", "ih1", 10, &cases, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_cases_by_party_hash(c, f->a, NULL, "ph1", 1, &cases, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_cases_by_party_hash(c, f->a, NULL, "none", 10, &cases, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_cases_by_party_hash(c, f->a, NULL, "", 10, &cases, &n), PA_EINVAL);
	assert_int_equal(store_cases_by_party_hash(c, f->a, "email", "ph1", 10, &cases, &n),
	                 PA_EINVAL);
}

static void test_attachments_ratings(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	pa_id_t cid = add_case(f, case_tmpl(f, f->org_a, 100));
	pa_id_t cid2 = add_case(f, case_tmpl(f, f->org_a, 100));
	struct child_ins ev = { .ev = { .case_id = cid, .at = 1, .kind = "attachment",
		                        .actor_name = "public" } };
	assert_int_equal(wr(f, tx_event_insert, &ev), 0);

	struct child_ins a1 = { .att = { .case_id = cid, .event_id = ev.id, .sha256 = sha_a,
		                         .name = "照片.jpg", .mime = "image/jpeg", .size = 12345,
		                         .public = true, .created_at = 9 } };
	struct child_ins a2 = { .att = { .case_id = cid, .sha256 = sha_b, .name = "doc.pdf",
		                         .mime = "application/pdf", .size = 0, .created_at = 10 } };
	struct child_ins a3 = { .att = { .case_id = cid2, .sha256 = sha_a, .name = "same blob",
		                         .mime = "image/jpeg", .size = 12345, .created_at = 11 } };
	assert_int_equal(wr(f, tx_attachment_insert, &a1), 0);
	assert_int_equal(wr(f, tx_attachment_insert, &a2), 0);
	assert_int_equal(wr(f, tx_attachment_insert, &a3), 0);
	struct child_ins dup = a1;
	assert_int_equal(wr(f, tx_attachment_insert, &dup), PA_ECONFLICT);
	pa_attachment_t got;
	assert_int_equal(store_attachment_get(c, f->a, cid, sha_a, &got), 0);
	assert_int_equal(got.id, a1.id);
	assert_int_equal(got.event_id, ev.id);
	assert_string_equal(got.name, "照片.jpg");
	assert_string_equal(got.mime, "image/jpeg");
	assert_int_equal(got.size, 12345);
	assert_true(got.public);
	assert_int_equal(got.created_at, 9);
	assert_int_equal(store_attachment_get(c, f->a, cid2, sha_b, &got), PA_ENOTFOUND);
	pa_attachment_t *atts;
	size_t n;
	assert_int_equal(store_attachments_list(c, f->a, cid, &atts, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(atts[1].event_id, 0);
	assert_false(atts[1].public);

	struct child_ins r1 = { .rating = { .case_id = cid, .stage = "replied",
		                            .level = "satisfied", .comment = "好", .at = 50 } };
	struct child_ins r2 = { .rating = { .case_id = cid, .stage = "reviewed",
		                            .level = "dissatisfied", .at = 60 } };
	assert_int_equal(wr(f, tx_rating_insert, &r1), 0);
	assert_int_equal(wr(f, tx_rating_insert, &r2), 0);
	struct child_ins again = { .rating = { .case_id = cid, .stage = "replied",
		                               .level = "very_satisfied", .at = 70 } };
	assert_int_equal(wr(f, tx_rating_insert, &again), PA_ECONFLICT);
	assert_string_equal(f->err.field, "stage");
	pa_rating_t *rs;
	assert_int_equal(store_ratings_list(c, f->a, cid, &rs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rs[0].stage, "replied");
	assert_string_equal(rs[0].level, "satisfied");
	assert_string_equal(rs[0].comment, "好");
	assert_int_equal(rs[0].at, 50);
	assert_null(rs[1].comment);
	assert_int_equal(store_ratings_list(c, f->a, cid2, &rs, &n), 0);
	assert_int_equal(n, 0);
}

/* ---- audit and meta --------------------------------------------------------------------------- */

struct audit_op {
	arena_t *a;
	int64_t seq;
	const char *hash;
	pa_audit_rec_t rec;
};

static int tx_audit_head(store_tx_t *tx, void *p)
{
	struct audit_op *o = p;
	return store_tx_audit_head(tx, o->a, &o->seq, &o->hash);
}

static int tx_audit_insert(store_tx_t *tx, void *p)
{
	return store_tx_audit_insert(tx, &((struct audit_op *)p)->rec);
}

static const char *hex64(arena_t *a, char ch)
{
	char *s = arena_alloc(a, 65);
	memset(s, ch, 64);
	s[64] = '\0';
	return s;
}

static void test_audit(void **state)
{
	struct fx *f = *state;
	struct audit_op o = { .a = f->a };
	assert_int_equal(wr(f, tx_audit_head, &o), 0);
	assert_int_equal(o.seq, 0);
	assert_null(o.hash);
	const char *prev = hex64(f->a, '0');
	for (int i = 1; i <= 3; i++) {
		o.rec = (pa_audit_rec_t){ .seq = i, .at = 100 + i, .actor = "user:1 handler1",
			                  .action = "case.view", .object = "case:1",
			                  .detail = i == 2 ? NULL : "{\"ip\":\"1.2.3.4\"}",
			                  .prev_hash = prev, .hash = hex64(f->a, (char)('a' + i)) };
		assert_int_equal(wr(f, tx_audit_insert, &o), 0);
		prev = o.rec.hash;
	}
	assert_int_equal(wr(f, tx_audit_head, &o), 0);
	assert_int_equal(o.seq, 3);
	assert_string_equal(o.hash, hex64(f->a, 'd'));
	/* not the next seq: refused */
	o.rec.seq = 5;
	assert_int_equal(wr(f, tx_audit_insert, &o), PA_ECONFLICT);
	o.rec.seq = 3;
	assert_int_equal(wr(f, tx_audit_insert, &o), PA_ECONFLICT);

	pa_audit_rec_t *recs;
	size_t n;
	store_conn_t *c = store_reader(f->s);
	assert_int_equal(store_audit_list(c, f->a, 1, 100, &recs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(recs[0].seq, 2);
	assert_int_equal(recs[0].at, 102);
	assert_string_equal(recs[0].actor, "user:1 handler1");
	assert_string_equal(recs[0].action, "case.view");
	assert_string_equal(recs[0].object, "case:1");
	assert_string_equal(recs[0].detail, "{}");
	assert_string_equal(recs[0].prev_hash, hex64(f->a, 'b'));
	assert_string_equal(recs[0].hash, hex64(f->a, 'c'));
	assert_string_equal(recs[1].detail, "{\"ip\":\"1.2.3.4\"}");
	assert_int_equal(store_audit_list(c, f->a, 0, 1, &recs, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(recs[0].seq, 1);
	assert_int_equal(store_audit_list(c, f->a, 0, 0, &recs, &n), PA_EINVAL);

	/* the table refuses changes even through raw SQL; so do cases */
	add_case(f, case_tmpl(f, f->org_a, 1));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit SET actor = 'x'", NULL, NULL, NULL),
	                     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM cases", NULL, NULL, NULL), SQLITE_OK);
	/* an outbox row's status is pending, sent or dead (migration 26's trigger) */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO outbox(uid, created_at, channel, recipient, "
	                                  "next_attempt_at) VALUES ('u1', 1, 'webhook', 'unit:a', 1)",
	                              NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE outbox SET status = 'sent' WHERE uid = 'u1'", NULL,
	                              NULL, NULL), SQLITE_OK);
	char *msg = NULL;
	assert_int_not_equal(sqlite3_exec(db, "UPDATE outbox SET status = 'lost' WHERE uid = 'u1'",
	                                  NULL, NULL, &msg), SQLITE_OK);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "outbox status must be pending, sent or dead"));
	sqlite3_free(msg);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM outbox WHERE status = 'sent'"), 1);
	sqlite3_close(db);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM audit"), 3);
}

static void test_meta(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	const char *v;
	assert_int_equal(store_meta_get(c, f->a, "install_id", &v), PA_ENOTFOUND);
	struct meta_set m = { "install_id", "abc" };
	assert_int_equal(wr(f, tx_meta_set, &m), 0);
	assert_int_equal(store_meta_get(c, f->a, "install_id", &v), 0);
	assert_string_equal(v, "abc");
	m.value = "def";
	assert_int_equal(wr(f, tx_meta_set, &m), 0);
	assert_int_equal(store_meta_get(c, f->a, "install_id", &v), 0);
	assert_string_equal(v, "def");
	m.value = NULL;
	assert_int_equal(wr(f, tx_meta_set, &m), PA_EINVAL);
}

/* ---- the writer: savepoints, faults, group commit ------------------------------------------- */

/* Holds the writer thread until released, so jobs pile up behind it. */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool entered, open;
};

static int tx_gate(store_tx_t *tx, void *p)
{
	struct gate *g = p;
	pthread_mutex_lock(&g->mu);
	g->entered = true;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	return 0;
}

struct gate_run {
	struct fx *f;
	struct gate *g;
	int rc;
};

static void *gate_thread(void *p)
{
	struct gate_run *r = p;
	r->rc = store_write(r->f->s, tx_gate, r->g, NULL);
	return NULL;
}

/* Inserts a case and an event, then fails. */
struct failing {
	pa_case_t cs;
	int rc;
	pa_err_t err;
};

static int tx_insert_then_fail(store_tx_t *tx, void *p)
{
	struct failing *x = p;
	pa_id_t id;
	int rc = store_tx_case_insert(tx, &x->cs, &id);
	if (rc < 0)
		return rc;
	pa_event_t ev = { .case_id = id, .at = 1, .kind = "comment", .actor_name = "public",
		              .text = "回滚的备注" };
	rc = store_tx_event_insert(tx, &ev, NULL);
	if (rc < 0)
		return rc;
	return pa_fail(store_tx_err(tx), PA_ECONFLICT, "invalid-state", "action",
	               "refused after writing");
}

struct writer_arg {
	store_t *s;
	store_tx_fn fn;
	void *ctx;
	int rc;
	pa_err_t err;
};

static void *writer_thread(void *p)
{
	struct writer_arg *w = p;
	w->rc = store_write(w->s, w->fn, w->ctx, &w->err);
	return NULL;
}

static void test_failed_job_leaves_nothing(void **state)
{
	struct fx *f = *state;
	/* alone */
	struct failing bad = { .cs = case_tmpl(f, f->org_a, 100) };
	assert_int_equal(wr(f, tx_insert_then_fail, &bad), PA_ECONFLICT);
	assert_string_equal(f->err.type, "invalid-state");
	assert_string_equal(f->err.field, "action");
	assert_string_equal(f->err.detail, "refused after writing");
	pa_case_t got;
	store_conn_t *c = store_reader(f->s);
	assert_int_equal(store_case_get_by_number(c, f->a, bad.cs.number, &got), PA_ENOTFOUND);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"), 0);

	/* in one batch with a job that succeeds: hold the writer, queue both, release */
	struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };
	struct gate_run gr = { f, &g, -1 };
	pthread_t gt;
	assert_int_equal(pthread_create(&gt, NULL, gate_thread, &gr), 0);
	pthread_mutex_lock(&g.mu);
	while (!g.entered)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);

	struct failing bad2 = { .cs = case_tmpl(f, f->org_a, 100) };
	struct case_ins good = { .cs = case_tmpl(f, f->org_a, 100) };
	struct writer_arg wa = { f->s, tx_insert_then_fail, &bad2, -1, { 0 } };
	struct writer_arg wb = { f->s, tx_case_insert, &good, -1, { 0 } };
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, writer_thread, &wa), 0);
	while (store_sqlite_queued(f->s) < 1)
		sleep_ms(1);
	assert_int_equal(pthread_create(&tb, NULL, writer_thread, &wb), 0);
	while (store_sqlite_queued(f->s) < 2)
		sleep_ms(1);
	int64_t commits0, writes0, commits1, writes1;
	store_stats(f->s, &commits0, &writes0);
	pthread_mutex_lock(&g.mu);
	g.open = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(gt, NULL);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_int_equal(gr.rc, 0);
	assert_int_equal(wa.rc, PA_ECONFLICT);
	assert_string_equal(wa.err.type, "invalid-state");
	assert_int_equal(wb.rc, 0);
	store_stats(f->s, &commits1, &writes1);
	assert_int_equal(writes1 - writes0, 3);
	assert_int_equal(commits1 - commits0, 2);  /* the gate's batch, then both jobs in one */
	assert_int_equal(store_case_get_by_number(c, f->a, bad2.cs.number, &got), PA_ENOTFOUND);
	assert_int_equal(store_case_get_by_number(c, f->a, good.cs.number, &got), 0);
	assert_int_equal(got.id, good.id);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"), 0);
	/* the batch's search rows: the good job's case only */
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM search_grams_docsize"), 1);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM search_grams_docsize WHERE id = %lld",
	         (long long)good.id);
	assert_int_equal(count_rows(f->s, sql), 1);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM search_grams "
	                                  "WHERE search_grams MATCH '\"回滚\"'"), 0);
}

/* Search rows are written once per batch by the writer (sqlite_search.c):
 * a new case's title and body, and a case's notes rebuilt when an event with
 * text is added — in event order, notices left out, search_notes and the
 * grams in step (one grams row per case: the old grams deleted). */
static int tx_case_and_note(store_tx_t *tx, void *p)
{
	struct case_ins *c = p;
	int rc = store_tx_case_insert(tx, &c->cs, &c->id);
	if (rc < 0)
		return rc;
	pa_event_t ev = { .case_id = c->id, .at = 2, .kind = "comment", .actor_name = "x",
		              .text = "当场登记" };
	return store_tx_event_insert(tx, &ev, NULL);
}

static int64_t grams_hits(struct fx *f, const char *term)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM search_grams WHERE search_grams MATCH '\"%s\"'",
	         term);
	return count_rows(f->s, sql);
}

static void test_search_rows(void **state)
{
	struct fx *f = *state;
	struct case_ins a = { .cs = case_tmpl(f, f->org_a, 100) };
	a.cs.title = "电梯故障";
	assert_int_equal(wr(f, tx_case_insert, &a), 0);
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM search_notes WHERE case_id = %lld",
	         (long long)a.id);
	assert_int_equal(count_rows(f->s, sql), 0);  /* no notes yet */
	assert_int_equal(grams_hits(f, "梯故"), 1);
	assert_int_equal(grams_hits(f, "漏水"), 1);

	struct child_ins n1 = { .ev = { .case_id = a.id, .at = 5, .kind = "comment",
		                            .actor_name = "x", .text = "已联系物业" } };
	struct child_ins n2 = { .ev = { .case_id = a.id, .at = 6, .kind = "notice",
		                            .actor_name = "x", .text = "通知不算备注" } };
	struct child_ins n3 = { .ev = { .case_id = a.id, .at = 7, .kind = "transition",
		                            .action = "reply", .actor_name = "x",
		                            .data = "{\"fields\":{\"opinion\":\"维修完毕\",\"n\":3}}" } };
	assert_int_equal(wr(f, tx_event_insert, &n1), 0);
	assert_int_equal(wr(f, tx_event_insert, &n2), 0);
	assert_int_equal(wr(f, tx_event_insert, &n3), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM search_notes WHERE case_id = %lld AND "
	         "notes = '已联系物业' || char(10) || '维修完毕'", (long long)a.id);
	assert_int_equal(count_rows(f->s, sql), 1);
	assert_int_equal(grams_hits(f, "物业"), 1);
	assert_int_equal(grams_hits(f, "完毕"), 1);
	assert_int_equal(grams_hits(f, "通知"), 0);
	assert_int_equal(grams_hits(f, "梯故"), 1);

	/* a case and its note in one write */
	struct case_ins b = { .cs = case_tmpl(f, f->org_a, 100) };
	assert_int_equal(wr(f, tx_case_and_note, &b), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM search_notes WHERE case_id = %lld AND "
	         "notes = '当场登记'", (long long)b.id);
	assert_int_equal(count_rows(f->s, sql), 1);
	assert_int_equal(grams_hits(f, "登记"), 1);

	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM search_notes"), 2);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM search_grams_docsize"), 2);
	/* a long term is the phrase of its grams */
	assert_int_equal(grams_hits(f, "联系 系物"), 1);
	assert_int_equal(grams_hits(f, "系联"), 0);
}

/* An event of a case that does not exist, with the foreign key check deferred to COMMIT. */
static int tx_orphan_deferred(store_tx_t *tx, void *p)
{
	sqlite3 *db = store_sqlite_db(store_tx_conn(tx));
	if (sqlite3_exec(db, "PRAGMA defer_foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		return PA_EINTERNAL;
	pa_event_t ev = { .case_id = 424242, .at = 1, .kind = "comment", .actor_name = "x" };
	return store_tx_event_insert(tx, &ev, NULL);
}

/* ---- store_write_checked: no savepoint of its own ------------------------------------- */

static int tx_refuse(store_tx_t *tx, void *p)
{
	(void)p;
	return pa_fail(store_tx_err(tx), PA_ECONFLICT, "invalid-state", "action", "refused first");
}

static void *checked_thread(void *p)
{
	struct writer_arg *w = p;
	w->rc = store_write_checked(w->s, w->fn, w->ctx, &w->err);
	return NULL;
}

/* Holds the writer, queues the jobs in order, lets them run as one batch. */
static void run_as_one_batch(struct fx *f, struct writer_arg *w, const bool *checked, size_t n)
{
	struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };
	struct gate_run gr = { f, &g, -1 };
	pthread_t gt, th[8];
	assert_true(n <= 8);
	assert_int_equal(pthread_create(&gt, NULL, gate_thread, &gr), 0);
	pthread_mutex_lock(&g.mu);
	while (!g.entered)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, checked[i] ? checked_thread : writer_thread,
		                                &w[i]),
		                 0);
		while (store_sqlite_queued(f->s) < i + 1)
			sleep_ms(1);
	}
	int64_t commits0, writes0, commits1, writes1;
	store_stats(f->s, &commits0, &writes0);
	pthread_mutex_lock(&g.mu);
	g.open = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(gt, NULL);
	for (size_t i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(gr.rc, 0);
	store_stats(f->s, &commits1, &writes1);
	assert_int_equal(writes1 - writes0, (int64_t)n + 1);  /* the gate's, then one batch */
}

static void test_checked_jobs(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	pa_case_t got;

	/* refused by its checks (no row changed), a checked job undoes nothing and
	 * its batch goes on: the others' rows stay, the failing guarded job's go */
	struct case_ins a = { .cs = case_tmpl(f, f->org_a, 100) };
	struct case_ins b = { .cs = case_tmpl(f, f->org_a, 100) };
	struct failing bad = { .cs = case_tmpl(f, f->org_a, 100) };
	struct writer_arg w1[4] = {
		{ f->s, tx_case_insert, &a, -1, { 0 } },
		{ f->s, tx_refuse, NULL, -1, { 0 } },
		{ f->s, tx_case_insert, &b, -1, { 0 } },
		{ f->s, tx_insert_then_fail, &bad, -1, { 0 } },
	};
	const bool checked1[4] = { false, true, true, false };
	run_as_one_batch(f, w1, checked1, 4);
	assert_int_equal(w1[0].rc, 0);
	assert_int_equal(w1[1].rc, PA_ECONFLICT);
	assert_string_equal(w1[1].err.detail, "refused first");
	assert_int_equal(w1[2].rc, 0);
	assert_int_equal(w1[3].rc, PA_ECONFLICT);
	assert_int_equal(store_case_get_by_number(c, f->a, a.cs.number, &got), 0);
	assert_int_equal(store_case_get_by_number(c, f->a, b.cs.number, &got), 0);
	assert_int_equal(store_case_get_by_number(c, f->a, bad.cs.number, &got), PA_ENOTFOUND);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"), 0);

	/* failing after it wrote, a checked job takes its whole batch with it: no
	 * half-written rows, the others are told to retry */
	struct case_ins d = { .cs = case_tmpl(f, f->org_a, 100) };
	struct case_ins e = { .cs = case_tmpl(f, f->org_a, 100) };
	struct failing bad2 = { .cs = case_tmpl(f, f->org_a, 100) };
	int64_t cases0 = count_rows(f->s, "SELECT count(*) FROM cases");
	struct writer_arg w2[3] = {
		{ f->s, tx_case_insert, &d, -1, { 0 } },
		{ f->s, tx_insert_then_fail, &bad2, -1, { 0 } },
		{ f->s, tx_case_insert, &e, -1, { 0 } },
	};
	const bool checked2[3] = { false, true, false };
	run_as_one_batch(f, w2, checked2, 3);
	assert_int_equal(w2[0].rc, PA_EUNAVAIL);
	assert_int_equal(w2[0].err.retry_after, 1);
	assert_int_equal(w2[1].rc, PA_ECONFLICT);
	assert_string_equal(w2[1].err.detail, "refused after writing");
	assert_int_equal(w2[2].rc, PA_EUNAVAIL);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM cases"), cases0);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"), 0);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM search_grams_docsize"), cases0);

	/* and the next batch is whole again */
	assert_int_equal(wr(f, tx_case_insert, &d), 0);
	assert_int_equal(store_case_get_by_number(c, f->a, d.cs.number, &got), 0);
}

static void test_commit_failure(void **state)
{
	struct fx *f = *state;
	struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false };
	struct gate_run gr = { f, &g, -1 };
	pthread_t gt;
	assert_int_equal(pthread_create(&gt, NULL, gate_thread, &gr), 0);
	pthread_mutex_lock(&g.mu);
	while (!g.entered)
		pthread_cond_wait(&g.cv, &g.mu);
	pthread_mutex_unlock(&g.mu);

	/* one batch: a good job, a job failing on its own, a job that makes COMMIT fail */
	struct case_ins good = { .cs = case_tmpl(f, f->org_a, 100) };
	struct failing bad = { .cs = case_tmpl(f, f->org_a, 100) };
	struct writer_arg w[3] = {
		{ f->s, tx_case_insert, &good, -1, { 0 } },
		{ f->s, tx_insert_then_fail, &bad, -1, { 0 } },
		{ f->s, tx_orphan_deferred, NULL, -1, { 0 } },
	};
	pthread_t th[3];
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, writer_thread, &w[i]), 0);
		while (store_sqlite_queued(f->s) < i + 1)
			sleep_ms(1);
	}
	pthread_mutex_lock(&g.mu);
	g.open = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(gt, NULL);
	for (size_t i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(gr.rc, 0);
	assert_int_equal(w[0].rc, PA_EUNAVAIL);
	assert_string_equal(w[0].err.type, "unavailable");
	assert_int_equal(w[1].rc, PA_ECONFLICT);  /* keeps its own error */
	assert_string_equal(w[1].err.type, "invalid-state");
	assert_int_equal(w[2].rc, PA_EUNAVAIL);
	pa_case_t got;
	store_conn_t *c = store_reader(f->s);
	assert_int_equal(store_case_get_by_number(c, f->a, good.cs.number, &got), PA_ENOTFOUND);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"), 0);
	/* and the store goes on */
	struct case_ins again = { .cs = case_tmpl(f, f->org_a, 100) };
	assert_int_equal(wr(f, tx_case_insert, &again), 0);
	assert_int_equal(store_case_get(c, f->a, again.id, &got), 0);
}

/* case + event + party in one write */
struct triple {
	pa_case_t cs;
	const char *uid;
};

static int tx_case_event_party(store_tx_t *tx, void *p)
{
	struct triple *t = p;
	pa_id_t id;
	int rc = store_tx_case_insert(tx, &t->cs, &id);
	if (rc < 0)
		return rc;
	pa_event_t ev = { .case_id = id, .at = 1, .kind = "created", .actor_name = "public" };
	rc = store_tx_event_insert(tx, &ev, NULL);
	if (rc < 0)
		return rc;
	pa_party_t party = { .case_id = id, .uid = t->uid, .role = "petitioner", .created_at = 1 };
	return store_tx_party_insert(tx, &party, NULL);
}

static void test_fault_injection(void **state)
{
	struct fx *f = *state;
	store_conn_t *c = store_reader(f->s);
	pa_case_t got;
	/* the 2nd statement (the event) fails: no case row */
	for (int nth = 1; nth <= 3; nth++) {
		struct triple t = { case_tmpl(f, f->org_a, 100), arena_printf(f->a, "uid-%d", nth) };
		store_fault_inject(f->s, nth);
		assert_int_equal(wr(f, tx_case_event_party, &t), PA_EIO);
		assert_int_equal(store_case_get_by_number(c, f->a, t.cs.number, &got), PA_ENOTFOUND);
		assert_int_equal(count_rows(f->s, "SELECT count(*) FROM cases"), 0);
		assert_int_equal(count_rows(f->s, "SELECT count(*) FROM events"), 0);
		assert_int_equal(count_rows(f->s, "SELECT count(*) FROM parties"), 0);
	}
	/* the hook turned itself off */
	struct triple ok = { case_tmpl(f, f->org_a, 100), "uid-ok" };
	assert_int_equal(wr(f, tx_case_event_party, &ok), 0);
	assert_int_equal(store_case_get_by_number(c, f->a, ok.cs.number, &got), 0);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM parties"), 1);
	/* reads do not count: the 1st write statement is still the one that fails —
	 * here the counter row, written at the batch's end (sq_tx_next_number reads
	 * the row; the batch's flush writes it), so the whole batch fails */
	store_fault_inject(f->s, 1);
	struct number_op no = { "XF", 2026, 0 };
	assert_int_equal(wr(f, tx_next_number, &no), PA_EUNAVAIL);
	assert_int_equal(wr(f, tx_next_number, &no), 0);
	assert_int_equal(no.seq, 1);
	store_fault_inject(f->s, 0);
}

/* store_write from inside a tx function must refuse, not deadlock */
struct nested {
	store_t *s;
	int inner_rc;
	bool saw_own_write;
	pa_case_t cs;
};

static int tx_noop(store_tx_t *tx, void *p)
{
	return 0;
}

static int tx_nested(store_tx_t *tx, void *p)
{
	struct nested *n = p;
	pa_err_t err = { 0 };
	n->inner_rc = store_write(n->s, tx_noop, NULL, &err);
	pa_id_t id;
	int rc = store_tx_case_insert(tx, &n->cs, &id);
	if (rc < 0)
		return rc;
	/* a reader asked for on the writer thread is the writer connection */
	arena_t *a = arena_new();
	pa_case_t got;
	n->saw_own_write = store_reader(n->s) == store_tx_conn(tx) &&
	                   store_case_get(store_reader(n->s), a, id, &got) == 0;
	arena_free(a);
	return 0;
}

static void test_write_from_writer_thread(void **state)
{
	struct fx *f = *state;
	struct nested n = { .s = f->s, .inner_rc = 1, .cs = case_tmpl(f, f->org_a, 1) };
	assert_int_equal(wr(f, tx_nested, &n), 0);
	assert_int_equal(n.inner_rc, PA_EINTERNAL);
	assert_true(n.saw_own_write);
}

/* Disk full in the middle of a batch: the failing job gets PA_EUNAVAIL, nothing half-written. */
static int tx_limit_pages(store_tx_t *tx, void *p)
{
	const char *sql = p;
	return sqlite3_exec(store_sqlite_db(store_tx_conn(tx)), sql, NULL, NULL, NULL) == SQLITE_OK
	               ? 0
	               : PA_EINTERNAL;
}

static void test_disk_full(void **state)
{
	struct fx *f = *state;
	int64_t pages = count_rows(f->s, "PRAGMA page_count");
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages + 2);
	assert_int_equal(wr(f, tx_limit_pages, sql), 0);
	uint8_t *big = xcalloc(1, 64 * 1024);
	pa_id_t cid = add_case(f, case_tmpl(f, f->org_a, 1));
	struct child_ins p = { .party = { .case_id = cid, .uid = "big", .role = "party",
		                          .name = { big, 64 * 1024 }, .created_at = 1 } };
	int rc = wr(f, tx_party_insert, &p);
	assert_int_equal(rc, PA_EUNAVAIL);
	assert_string_equal(f->err.type, "unavailable");
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM parties"), 0);
	assert_int_equal(wr(f, tx_limit_pages, "PRAGMA max_page_count = 1073741823"), 0);
	assert_int_equal(wr(f, tx_party_insert, &p), 0);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM parties"), 1);
	free(big);
}

#define GC_THREADS 8
#define GC_WRITES 200

struct gc_arg {
	store_t *s;
	int t;
	int failures;
};

static void *gc_thread(void *p)
{
	struct gc_arg *g = p;
	char key[32], value[32];
	for (int i = 0; i < GC_WRITES; i++) {
		snprintf(key, sizeof(key), "gc-%d-%d", g->t, i);
		snprintf(value, sizeof(value), "%d", i);
		struct meta_set m = { key, value };
		if (store_write(g->s, tx_meta_set, &m, NULL) != 0)
			g->failures++;
	}
	return NULL;
}

static void test_group_commit(void **state)
{
	struct fx *f = *state;
	int64_t commits0, writes0, commits, writes;
	store_stats(f->s, &commits0, &writes0);
	pthread_t th[GC_THREADS];
	struct gc_arg args[GC_THREADS];
	for (int t = 0; t < GC_THREADS; t++) {
		args[t] = (struct gc_arg){ f->s, t, 0 };
		assert_int_equal(pthread_create(&th[t], NULL, gc_thread, &args[t]), 0);
	}
	for (int t = 0; t < GC_THREADS; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(args[t].failures, 0);
	}
	store_stats(f->s, &commits, &writes);
	commits -= commits0;
	writes -= writes0;
	print_message("group commit: %lld writes in %lld commits (%.1f per commit)\n",
	              (long long)writes, (long long)commits, (double)writes / (double)commits);
	assert_int_equal(writes, GC_THREADS * GC_WRITES);
	assert_true(commits < writes);
	assert_int_equal(count_rows(f->s, "SELECT count(*) FROM meta WHERE key LIKE 'gc-%'"),
	                 GC_THREADS * GC_WRITES);
}

static void test_reopen(void **state)
{
	struct fx *f = *state;
	pa_case_t cs = case_tmpl(f, f->org_b, 4242);
	pa_id_t id = add_case(f, cs);
	struct meta_set m = { "k", "v" };
	assert_int_equal(wr(f, tx_meta_set, &m), 0);
	store_close(f->s);
	f->s = NULL;

	/* read-only, as the CLI opens it */
	store_options_t opt = { .path = f->path, .read_only = true };
	store_t *ro = NULL;
	assert_int_equal(store_open(&opt, &ro, &f->err), 0);
	pa_case_t got;
	assert_int_equal(store_case_get(store_reader(ro), f->a, id, &got), 0);
	assert_int_equal(store_write(ro, tx_meta_set, &m, NULL), PA_EINTERNAL);
	int from, to;
	assert_true(store_migrate(ro, &from, &to, NULL) < 0);
	store_close(ro);

	f->s = open_store(f->path);
	store_conn_t *c = store_reader(f->s);
	assert_int_equal(store_case_get(c, f->a, id, &got), 0);
	assert_string_equal(got.number, cs.number);
	assert_int_equal(got.due_at, 4242);
	const char *v;
	assert_int_equal(store_meta_get(c, f->a, "k", &v), 0);
	assert_string_equal(v, "v");
	pa_user_t u;
	assert_int_equal(store_user_get(c, f->a, f->user, &u), 0);
	assert_int_equal(u.nroles, 1);
}

/* readers on other threads: each gets its own connection, closed when it exits */
struct reader_arg {
	store_t *s;
	pa_id_t id;
	int ok;
};

static void *reader_thread(void *p)
{
	struct reader_arg *r = p;
	arena_t *a = arena_new();
	store_conn_t *c = store_reader(r->s);
	for (int i = 0; i < 50; i++) {
		pa_case_t got;
		if (c && c == store_reader(r->s) && store_case_get(c, a, r->id, &got) == 0)
			r->ok++;
		arena_reset(a);
	}
	arena_free(a);
	return NULL;
}

static void test_readers(void **state)
{
	struct fx *f = *state;
	pa_id_t id = add_case(f, case_tmpl(f, f->org_a, 1));
	store_conn_t *mine = store_reader(f->s);
	assert_ptr_equal(mine, store_reader(f->s));
	pthread_t th[4];
	struct reader_arg ra[4];
	for (int i = 0; i < 4; i++) {
		ra[i] = (struct reader_arg){ f->s, id, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, reader_thread, &ra[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ra[i].ok, 50);
	}
}

/* ---- backup ------------------------------------------------------------------------------------- */

struct bg_writer {
	store_t *s;
	pa_id_t case_id;
	atomic_bool stop;
	int written;
	int failures;
};

static int tx_add_event(store_tx_t *tx, void *p)
{
	struct bg_writer *w = p;
	pa_event_t ev = { .case_id = w->case_id, .at = 1, .kind = "comment", .actor_name = "bg",
		          .text = "background write" };
	return store_tx_event_insert(tx, &ev, NULL);
}

static void *bg_writer_thread(void *p)
{
	struct bg_writer *w = p;
	while (!atomic_load(&w->stop)) {
		if (store_write(w->s, tx_add_event, w, NULL) == 0)
			w->written++;
		else
			w->failures++;
	}
	return NULL;
}

struct progress {
	int calls;
	double last;
	bool monotonic;
};

static void on_progress(double p, void *arg)
{
	struct progress *pr = arg;
	if (p < pr->last || p < 0.0 || p > 1.0)
		pr->monotonic = false;
	pr->last = p;
	pr->calls++;
}

static int64_t count_in(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	int64_t n = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_type(st, 0) == SQLITE_TEXT
		            ? (strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0 ? 1 : 0)
		            : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

struct bulk {
	pa_id_t case_id;
	int n;
};

/* n parties of 8 KiB each, in one write */
static int tx_bulk_parties(store_tx_t *tx, void *p)
{
	struct bulk *b = p;
	uint8_t blob[8192];
	char uid[32];
	for (int i = 0; i < b->n; i++) {
		memset(blob, i & 0xff, sizeof(blob));
		snprintf(uid, sizeof(uid), "bk-%d", i);
		pa_party_t party = { .case_id = b->case_id, .uid = uid, .role = "party",
			             .address = { blob, sizeof(blob) }, .created_at = i };
		int rc = store_tx_party_insert(tx, &party, NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void test_backup(void **state)
{
	struct fx *f = *state;
	/* a few MiB, so the copy takes many steps */
	pa_id_t cid = add_case(f, case_tmpl(f, f->org_a, 1));
	struct bulk b = { cid, 400 };
	assert_int_equal(wr(f, tx_bulk_parties, &b), 0);

	struct bg_writer w = { .s = f->s, .case_id = cid };
	atomic_init(&w.stop, false);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, bg_writer_thread, &w), 0);
	while (count_rows(f->s, "SELECT count(*) FROM events") < 20)
		sleep_ms(1);
	int64_t events_before = count_rows(f->s, "SELECT count(*) FROM events");

	char dest[192];
	snprintf(dest, sizeof(dest), "%s/backup.db", f->dir);
	struct progress pr = { 0, 0.0, true };
	pa_err_t err = { 0 };
	int rc = store_backup(f->s, dest, on_progress, &pr, &err);
	int64_t events_after = count_rows(f->s, "SELECT count(*) FROM events");
	atomic_store(&w.stop, true);
	pthread_join(th, NULL);
	if (rc != 0)
		fail_msg("store_backup: %s", err.detail);
	assert_int_equal(w.failures, 0);
	assert_true(pr.calls >= 3);
	assert_true(pr.monotonic);
	assert_true(pr.last == 1.0);
	assert_int_equal(access(dest, F_OK), 0);
	char tmp[200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", dest);
	assert_int_not_equal(access(tmp, F_OK), 0);

	assert_int_equal(count_in(dest, "PRAGMA integrity_check"), 1);
	assert_int_equal(count_in(dest, "SELECT count(*) FROM parties"), 400);
	int64_t events_copy = count_in(dest, "SELECT count(*) FROM events");
	assert_true(events_copy >= events_before && events_copy <= events_after);
	print_message("backup during writes: %lld events copied (%lld..%lld), %d progress calls\n",
	              (long long)events_copy, (long long)events_before, (long long)events_after,
	              pr.calls);

	/* quiet store: the copy has exactly the same rows, and opens as a store */
	assert_int_equal(store_backup(f->s, dest, NULL, NULL, &err), 0);
	static const char *const tables[] = { "orgs", "users", "memberships", "cases", "events",
		                              "parties", "meta", "audit", "counters" };
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(count_in(dest, sql), count_rows(f->s, sql));
	}
	store_t *copy = open_store(dest);
	int v;
	assert_int_equal(store_schema_version(copy, &v), 0);
	assert_int_equal(v, sq_schema_latest);
	pa_case_t got;
	assert_int_equal(store_case_get(store_reader(copy), f->a, cid, &got), 0);
	store_close(copy);

	/* a destination that cannot be written */
	assert_int_equal(store_backup(f->s, "/nonexistent-dir/b.db", NULL, NULL, &err), PA_EIO);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_from_empty, fx_setup_empty, fx_teardown),
		cmocka_unit_test_setup_teardown(test_schema_too_new, fx_setup_empty, fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, fx_setup_empty, fx_teardown),
		cmocka_unit_test_setup_teardown(test_orgs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_users, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sessions_tokens, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cases_roundtrip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_case_list_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_case_list_paging, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_case_list_query_plan, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_indicator_sums_by_key, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_due_scan_counts, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_timeline, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_search_rows, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_parties, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_attachments_ratings, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_audit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_meta, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_failed_job_leaves_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_checked_jobs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fault_injection, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_write_from_writer_thread, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_group_commit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reopen, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_readers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_backup, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
