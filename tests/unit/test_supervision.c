/*
 * test_supervision.c — supervision orders (core/supervision.c) against a
 * real app (temporary data directory, real SQLite, demo orgs and users):
 * issuing, replying and the timer's escalation are all-or-nothing under
 * injected write faults (fail the Nth write statement, for every N), and
 * the escalation happens exactly once however often the timer runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app_fixture.h"
#include "base/common.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/demo.h"
#include "core/supervision.h"

#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <sys/stat.h>

static char dir[64];
static pa_config_t cfg;
static pa_app_t app;

static int setup(void **state)
{
	fixture_tmpdir(dir, sizeof(dir), "supervision");
	fixture_app_open(dir, &cfg, &app, NULL, 0);
	return 0;
}

static int teardown(void **state)
{
	app_close(&app);
	config_free(&cfg);
	return fixture_rmdir(dir);
}

static int64_t query_int(const char *sql)
{
	return fixture_query_int(cfg.database, sql);
}

static int64_t count(const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return fixture_query_int(cfg.database, sql);
}

/* A staff principal for a demo user; release *t after use. */
static void staff(arena_t *a, const char *username, pa_principal_t *p, orgtree_t **t)
{
	fixture_staff(&app, a, username, p, t);
}

static void new_case(arena_t *a, pa_case_t *cs)
{
	static const case_input_t petition = {
		.type = "petition", .category = "grievance", .title = "小区电梯长期故障",
		.body = "三号楼电梯停运两个月，物业不予维修。", .has_contact = true,
		.contact = { .name = "张三", .phone = "13800138000" },
	};
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	assert_int_equal(cases_create(&app, a, &pub, &petition, cs, code, &err), 0);
}

/* YYYY-MM-DD of now + days in the district's timezone. */
static const char *date_ahead(arena_t *a, int days)
{
	char buf[32];
	pa_time_format(pa_now() + (pa_time_t)days * 86400, cfg.utc_offset_min, buf);
	buf[10] = '\0';
	return arena_strdup(a, buf);
}

static void test_issue_and_reply_all_or_nothing(void **state)
{
	arena_t *a = arena_new();
	pa_case_t cs;
	new_case(a, &cs);
	pa_principal_t sup, xfj, handler_elsewhere;
	orgtree_t *t1, *t2, *t3;
	staff(a, "supervisor", &sup, &t1);
	staff(a, "xfj", &xfj, &t2);
	staff(a, "housing", &handler_elsewhere, &t3);
	supervision_input_t in = { .reason = "长期未处理", .required_action = "三日内报告",
		                       .due_date = date_ahead(a, 5) };
	pa_supervision_t o;
	pa_err_t err = { 0 };
	/* who may issue */
	assert_int_equal(supervision_issue(&app, a, &xfj, &cs, &in, &o, &err), PA_EFORBIDDEN);

	int64_t orders0 = count("supervision_orders"), events0 = count("events"), audit0 = count("audit");
	int failures = 0;
	for (int nth = 1; nth < 20; nth++) {
		pa_err_clear(&err);
		store_fault_inject(app.store, nth);
		int rc = supervision_issue(&app, a, &sup, &cs, &in, &o, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0)
			break;
		failures++;
		assert_int_equal(count("supervision_orders"), orders0);
		assert_int_equal(count("events"), events0);
		assert_int_equal(count("audit"), audit0);
	}
	assert_true(failures >= 3); /* order, event, audit */
	assert_int_equal(count("supervision_orders"), orders0 + 1);
	assert_string_equal(o.state, "open");
	assert_int_equal(o.to_org_id, cs.owner_org_id);
	assert_string_equal(o.issued_by_name, "赵督办");

	/* reply: another unit cannot see it; the owning unit replies, all or nothing */
	pa_supervision_t r;
	assert_int_equal(supervision_reply(&app, a, &handler_elsewhere, o.id, "x", &r, &err), PA_ENOTFOUND);
	assert_int_equal(supervision_reply(&app, a, &sup, o.id, "x", &r, &err), PA_EFORBIDDEN);
	events0 = count("events");
	audit0 = count("audit");
	failures = 0;
	for (int nth = 1; nth < 20; nth++) {
		pa_err_clear(&err);
		store_fault_inject(app.store, nth);
		int rc = supervision_reply(&app, a, &xfj, o.id, "已处理完毕", &r, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0)
			break;
		failures++;
		pa_supervision_t now;
		assert_int_equal(store_supervision_get(store_reader(app.store), a, o.id, &now), 0);
		assert_string_equal(now.state, "open");
		assert_null(now.reply_text);
		assert_int_equal(count("events"), events0);
		assert_int_equal(count("audit"), audit0);
	}
	assert_true(failures >= 3);
	assert_string_equal(r.state, "replied");
	assert_string_equal(r.reply_text, "已处理完毕");
	assert_string_equal(r.replied_by_name, "李信访");
	assert_int_equal(supervision_reply(&app, a, &xfj, o.id, "again", &r, &err), PA_ECONFLICT);

	audit_report_t rep;
	assert_int_equal(audit_verify(store_reader(app.store), &rep, NULL, NULL), 0);
	orgtree_release(t1);
	orgtree_release(t2);
	orgtree_release(t3);
	arena_free(a);
}

static void test_due_date_checks(void **state)
{
	arena_t *a = arena_new();
	pa_case_t cs;
	new_case(a, &cs);
	pa_principal_t sup;
	orgtree_t *t;
	staff(a, "supervisor", &sup, &t);
	static const struct { int days; const char *date; } bad[] = {
		{ -1, NULL }, { 367, NULL }, { 0, "" }, { 0, "tomorrow" }, { 0, "2026-13-01" },
		{ 0, "2026-01-01T00:00:00Z" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		supervision_input_t in = { .reason = "r", .required_action = "a",
			                       .due_date = bad[i].date ? bad[i].date : date_ahead(a, bad[i].days) };
		pa_supervision_t o;
		pa_err_t err = { 0 };
		assert_int_equal(supervision_issue(&app, a, &sup, &cs, &in, &o, &err), PA_EINVAL);
		assert_string_equal(err.field, "due_date");
	}
	supervision_input_t in = { .reason = "r", .required_action = "a", .due_date = date_ahead(a, 0) };
	pa_supervision_t o;
	pa_err_t err = { 0 };
	assert_int_equal(supervision_issue(&app, a, &sup, &cs, &in, &o, &err), 0);
	/* due at the last second of that local day */
	char buf[32];
	pa_time_format(o.due_at, cfg.utc_offset_min, buf);
	assert_string_equal(buf + 10, "T23:59:59+08:00");
	orgtree_release(t);
	arena_free(a);
}

static void test_escalation_exactly_once(void **state)
{
	arena_t *a = arena_new();
	pa_case_t cs;
	new_case(a, &cs);
	pa_principal_t sup;
	orgtree_t *t;
	staff(a, "supervisor", &sup, &t);
	supervision_input_t in = { .reason = "r", .required_action = "a", .due_date = date_ahead(a, 1) };
	pa_supervision_t o;
	pa_err_t err = { 0 };
	assert_int_equal(supervision_issue(&app, a, &sup, &cs, &in, &o, &err), 0);
	int esc = 0;
	/* not yet due */
	assert_int_equal(supervision_timer_tick(&app, o.due_at - 1, &esc, &err), 0);
	pa_supervision_t now;
	assert_int_equal(store_supervision_get(store_reader(app.store), a, o.id, &now), 0);
	assert_string_equal(now.state, "open");

	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE case_id = %lld AND kind = "
	         "'supervision_overdue'", (long long)cs.id);
	int64_t audit0 = count("audit");
	pa_time_t late = o.due_at + 60;
	/* an escalation that fails leaves the order open, to be escalated by the next pass */
	int failures = 0;
	for (int nth = 1; nth < 20; nth++) {
		pa_err_clear(&err);
		store_fault_inject(app.store, nth);
		int rc = supervision_timer_tick(&app, late, &esc, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0)
			break;
		failures++;
		assert_int_equal(store_supervision_get(store_reader(app.store), a, o.id, &now), 0);
		assert_string_equal(now.state, "open");
		assert_int_equal(now.escalated_at, 0);
		assert_int_equal(query_int(sql), 0);
		assert_int_equal(count("audit"), audit0);
	}
	assert_true(failures >= 3);
	assert_true(esc >= 1);
	assert_int_equal(store_supervision_get(store_reader(app.store), a, o.id, &now), 0);
	assert_string_equal(now.state, "overdue");
	assert_int_equal(now.escalated_at, late);
	/* again and again: nothing more */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(supervision_timer_tick(&app, late + 86400 * (i + 1), &esc, &err), 0);
		assert_int_equal(esc, 0);
	}
	assert_int_equal(query_int(sql), 1);
	assert_int_equal(store_supervision_get(store_reader(app.store), a, o.id, &now), 0);
	assert_int_equal(now.escalated_at, late);
	orgtree_release(t);
	arena_free(a);
}

static void test_board_visibility(void **state)
{
	arena_t *a = arena_new();
	pa_case_t cs;
	new_case(a, &cs);
	pa_principal_t sup, xfj, housing, admin;
	orgtree_t *t1, *t2, *t3, *t4;
	staff(a, "supervisor", &sup, &t1);
	staff(a, "xfj", &xfj, &t2);
	staff(a, "housing", &housing, &t3);
	staff(a, "admin", &admin, &t4);
	supervision_input_t in = { .reason = "r", .required_action = "a", .due_date = date_ahead(a, 3) };
	pa_supervision_t o;
	pa_err_t err = { 0 };
	assert_int_equal(supervision_issue(&app, a, &sup, &cs, &in, &o, &err), 0);
	struct { pa_principal_t *p; bool sees; } who[] = {
		{ &sup, true }, { &xfj, true }, { &housing, false }, { &admin, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(who); i++) {
		pa_supervision_filter_t f = { .limit = STORE_LIST_MAX };
		pa_supervision_t *os;
		size_t n;
		bool more;
		assert_int_equal(supervision_board(&app, a, who[i].p, 0, &f, &os, &n, &more, &err), 0);
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found = found || os[k].id == o.id;
		assert_int_equal(found, who[i].sees);
	}
	orgtree_release(t1);
	orgtree_release(t2);
	orgtree_release(t3);
	orgtree_release(t4);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_and_reply_all_or_nothing),
		cmocka_unit_test(test_due_date_checks),
		cmocka_unit_test(test_escalation_exactly_once),
		cmocka_unit_test(test_board_visibility),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
