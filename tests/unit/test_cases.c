/*
 * test_cases.c — the case service against a real app (temporary data
 * directory, real SQLite, real workflow and calendar files), with fault
 * injection in the style of SQLite's faultsim: fail the Nth write statement
 * of a submission or an action, for every N, and prove nothing
 * half-written is left behind.
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

#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <sys/stat.h>

static char dir[64];
static pa_config_t cfg;
static pa_app_t app;

static int setup(void **state)
{
	fixture_tmpdir(dir, sizeof(dir), "cases");
	fixture_app_open(dir, &cfg, &app, NULL, 0);
	return 0;
}

static int teardown(void **state)
{
	app_close(&app);
	config_free(&cfg);
	return fixture_rmdir(dir);
}

static int64_t count(const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return fixture_query_int(cfg.database, sql);
}

static const case_input_t petition = {
	.type = "petition", .category = "grievance", .title = "小区电梯长期故障",
	.body = "三号楼电梯停运两个月，物业不予维修。", .has_contact = true,
	.contact = { .name = "张三", .phone = "13800138000", .id_number = "11010519491231002X" },
};

static void test_create_is_all_or_nothing(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	int64_t cases0 = count("cases"), events0 = count("events"), parties0 = count("parties"),
	        audit0 = count("audit");
	int failures = 0;
	for (int nth = 1; nth < 40; nth++) {
		pa_case_t cs;
		char code[PA_QUERY_CODE_LEN + 1];
		pa_err_t err = { 0 };
		store_fault_inject(app.store, nth);
		int rc = cases_create(&app, a, &pub, &petition, &cs, code, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0)
			break; /* nth is past the last statement: the write completed */
		failures++;
		assert_int_equal(count("cases"), cases0);
		assert_int_equal(count("events"), events0);
		assert_int_equal(count("parties"), parties0);
		assert_int_equal(count("audit"), audit0);
	}
	assert_true(failures >= 4); /* number, case, party, event, audit… each failed once */
	assert_int_equal(count("cases"), cases0 + 1);
	audit_report_t rep;
	assert_int_equal(audit_verify(store_reader(app.store), &rep, NULL, NULL), 0);
	arena_free(a);
}

static void test_transition_is_all_or_nothing(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_case_t cs;
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	assert_int_equal(cases_create(&app, a, &pub, &petition, &cs, code, &err), 0);

	pa_user_t u;
	assert_int_equal(store_user_get_by_name(store_reader(app.store), a, "intake", &u), 0);
	orgtree_t *t = orgcache_get(app.orgs);
	pa_principal_t staff = { .kind = PRINCIPAL_STAFF, .user_id = u.id, .username = u.username,
	                         .display_name = u.display_name, .roles = u.roles, .nroles = u.nroles,
	                         .tree = t };
	int64_t events0 = count("events"), audit0 = count("audit");
	for (int nth = 1; nth < 40; nth++) {
		pa_case_t out;
		pa_err_clear(&err);
		store_fault_inject(app.store, nth);
		int rc = cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &out, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0) {
			assert_string_equal(out.state, "handling");
			break;
		}
		pa_case_t now;
		assert_int_equal(store_case_get(store_reader(app.store), a, cs.id, &now), 0);
		assert_string_equal(now.state, "registered");
		assert_int_equal(now.version, cs.version);
		assert_int_equal(count("events"), events0);
		assert_int_equal(count("audit"), audit0);
	}
	/* a second accept from the old state is refused: the state moved */
	pa_case_t out;
	pa_err_clear(&err);
	assert_int_equal(cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &out, &err), PA_ECONFLICT);
	orgtree_release(t);
	arena_free(a);
}

static void test_personal_data_not_in_clear(void **state)
{
	/* the phone, ID number and name never reach the database file in clear text */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "sqlite3 %s 'PRAGMA wal_checkpoint(FULL)' >/dev/null 2>&1; "
	         "cat %s %s-wal 2>/dev/null | grep -a -c -e 13800138000 -e 11010519491231002X -e 张三",
	         cfg.database, cfg.database, cfg.database);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char buf[32] = "";
	if (!fgets(buf, sizeof(buf), p))
		buf[0] = '0';
	pclose(p);
	assert_int_equal(atoi(buf), 0);
}

static void test_timer_marks_overdue_once(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_case_t cs;
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	assert_int_equal(cases_create(&app, a, &pub, &petition, &cs, code, &err), 0);
	int applied, marked;
	pa_time_t later = cs.due_at + 3600;
	assert_int_equal(cases_timer_tick(&app, later, &applied, &marked, &err), 0);
	assert_true(marked >= 1);
	int total = marked;
	assert_int_equal(cases_timer_tick(&app, later, &applied, &marked, &err), 0);
	assert_int_equal(marked, 0); /* exactly once */
	pa_case_t now;
	assert_int_equal(store_case_get(store_reader(app.store), a, cs.id, &now), 0);
	assert_true(now.overdue);
	assert_true(total >= 1);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_is_all_or_nothing),
		cmocka_unit_test(test_transition_is_all_or_nothing),
		cmocka_unit_test(test_personal_data_not_in_clear),
		cmocka_unit_test(test_timer_marks_overdue_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
