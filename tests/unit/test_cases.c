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

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>
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

/* An action prepared from a copy of the case that another write has since
 * moved (the timer's overdue mark here) is taken on the case as it is now:
 * the writer's UPDATE finds the other version and the writer reads the case
 * again, keeping what the other write changed. */
static void test_transition_on_a_stale_copy(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_case_t cs;
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	assert_int_equal(cases_create(&app, a, &pub, &petition, &cs, code, &err), 0);
	int applied, marked;
	assert_int_equal(cases_timer_tick(&app, cs.due_at + 3600, &applied, &marked, &err), 0);
	pa_case_t now;
	assert_int_equal(store_case_get(store_reader(app.store), a, cs.id, &now), 0);
	assert_true(now.overdue);
	assert_true(now.version > cs.version);
	assert_false(cs.overdue); /* the copy the action starts from */

	pa_principal_t staff;
	orgtree_t *t;
	fixture_staff(&app, a, "intake", &staff, &t);
	int64_t events0 = count("events"), audit0 = count("audit");
	pa_case_t out;
	assert_int_equal(cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &out, &err), 0);
	assert_string_equal(out.state, "handling");
	assert_int_equal(out.version, now.version + 1);
	pa_case_t after;
	assert_int_equal(store_case_get(store_reader(app.store), a, cs.id, &after), 0);
	assert_int_equal(after.version, now.version + 1);
	assert_string_equal(after.state, "handling");
	assert_int_equal(count("events"), events0 + 2); /* the step and its notice, once */
	assert_int_equal(count("audit"), audit0 + 1);
	/* the same stale copy again: the case has left "registered" */
	pa_err_clear(&err);
	assert_int_equal(cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &out, &err),
	                 PA_ECONFLICT);
	assert_int_equal(count("audit"), audit0 + 1);
	orgtree_release(t);
	arena_free(a);
}

/* ---- the writer batch: aggregates and the audit head written once per batch ---------- */

/* src/store/sqlite_internal.h: jobs waiting in the writer's queue */
size_t store_sqlite_queued(store_t *s);

#define BATCH_ACTIONS 8

static atomic_int holding;

/* Keeps the writer busy until want jobs wait behind it: they form the next batch. */
static int hold_fn(store_tx_t *tx, void *p)
{
	size_t want = *(size_t *)p;
	atomic_store(&holding, 1);
	while (store_sqlite_queued(app.store) < want)
		usleep(1000);
	return 0;
}

static void *hold_thread(void *p)
{
	pa_err_t err = { 0 };
	assert_int_equal(store_write(app.store, hold_fn, p, &err), 0);
	return NULL;
}

struct batch_act {
	pa_principal_t *who;
	pa_case_t cs;
	int rc;
};

static void *act_thread(void *p)
{
	struct batch_act *x = p;
	arena_t *a = arena_new();
	pa_case_t out;
	pa_err_t err = { 0 };
	x->rc = cases_transition(&app, a, x->who, &x->cs, "accept", NULL, 0, &out, &err);
	arena_free(a);
	return NULL;
}

/* Closes the case (its aggregates move, through the observer) and an audit
 * record is appended, then the job fails: none of it may count. */
static int failing_fn(store_tx_t *tx, void *p)
{
	pa_case_t cs = *(pa_case_t *)p;
	cs.state = "closed";
	cs.is_open = false;
	int rc = store_tx_case_update(tx, &cs);
	if (rc == 0)
		rc = audit_append(tx, cs.created_at, "test", "case.close", "case:x", "{}");
	return rc < 0 ? rc : PA_EINVAL;
}

static void *failing_thread(void *p)
{
	pa_err_t err = { 0 };
	assert_int_equal(store_write(app.store, failing_fn, p, &err), PA_EINVAL);
	return NULL;
}

/* rows of `kept` not in `derived` and the other way round */
static int64_t differ(const char *kept, const char *derived)
{
	char sql[4096];
	snprintf(sql, sizeof(sql),
	         "SELECT (SELECT count(*) FROM (%s EXCEPT %s)) + (SELECT count(*) FROM (%s EXCEPT %s))",
	         kept, derived, derived, kept);
	return fixture_query_int(cfg.database, sql);
}

static void test_batch_aggregates_are_the_jobs_sums(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_user_t u;
	assert_int_equal(store_user_get_by_name(store_reader(app.store), a, "intake", &u), 0);
	orgtree_t *t = orgcache_get(app.orgs);
	pa_principal_t staff = { .kind = PRINCIPAL_STAFF, .user_id = u.id, .username = u.username,
	                         .display_name = u.display_name, .roles = u.roles, .nroles = u.nroles,
	                         .tree = t };
	struct batch_act acts[BATCH_ACTIONS];
	pa_case_t victim;
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	for (int i = 0; i < BATCH_ACTIONS; i++) {
		acts[i] = (struct batch_act){ .who = &staff };
		assert_int_equal(cases_create(&app, a, &pub, &petition, &acts[i].cs, code, &err), 0);
	}
	assert_int_equal(cases_create(&app, a, &pub, &petition, &victim, code, &err), 0);
	int64_t audit0 = count("audit"), commits0, writes0;
	store_stats(app.store, &commits0, &writes0);

	/* every action and the failing job wait behind one job: one batch */
	size_t want = BATCH_ACTIONS + 1;
	pthread_t hold, th[BATCH_ACTIONS], fail;
	atomic_store(&holding, 0);
	assert_int_equal(pthread_create(&hold, NULL, hold_thread, &want), 0);
	while (!atomic_load(&holding))
		usleep(1000);
	for (int i = 0; i < BATCH_ACTIONS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, act_thread, &acts[i]), 0);
	assert_int_equal(pthread_create(&fail, NULL, failing_thread, &victim), 0);
	pthread_join(hold, NULL);
	for (int i = 0; i < BATCH_ACTIONS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(acts[i].rc, 0);
	}
	pthread_join(fail, NULL);
	int64_t commits1, writes1;
	store_stats(app.store, &commits1, &writes1);
	assert_int_equal(commits1 - commits0, 2); /* the holding job's, then the batch's */
	assert_int_equal(writes1 - writes0, BATCH_ACTIONS + 2);

	/* the failed job left nothing: its case is as it was, its audit record is gone */
	pa_case_t now;
	assert_int_equal(store_case_get(store_reader(app.store), a, victim.id, &now), 0);
	assert_string_equal(now.state, victim.state);
	assert_int_equal(now.version, victim.version);
	assert_int_equal(count("audit"), audit0 + BATCH_ACTIONS);
	/* the chain and meta 'audit_head' (written once, at the batch's end) agree */
	audit_report_t rep;
	assert_int_equal(audit_verify(store_reader(app.store), &rep, NULL, NULL), 0);
	assert_int_equal(rep.first_bad, 0);
	assert_int_equal(rep.records, count("audit"));

	/* every aggregate is what the facts say, as when each job wrote its own */
	const char *shape = "day, month, type, category, org_id, street_id, enterprise, state, "
	                    "is_open, overdue, flags, wdays, r1, r2, r3, r4, r5";
	char kept[512], derived[512];
	snprintf(kept, sizeof(kept), "SELECT %s, n FROM case_facts_day", shape);
	snprintf(derived, sizeof(derived), "SELECT %s, count(*) FROM case_facts GROUP BY %s", shape,
	         shape);
	assert_int_equal(differ(kept, derived), 0);
	assert_int_equal(differ("SELECT org_id, assignee_id, open, overdue FROM indicator_workload "
	                        "WHERE open <> 0 OR overdue <> 0",
	                        "SELECT org_id, assignee_id, count(*), sum(overdue) FROM case_facts "
	                        "WHERE is_open GROUP BY 1, 2"),
	                 0);
	assert_int_equal(differ("SELECT month, type, category, org_id, street_id, enterprise, cases, "
	                        "open, closed, overdue FROM indicator_month WHERE cases <> 0",
	                        "SELECT month, type, category, org_id, street_id, enterprise, "
	                        "count(*), sum(is_open), sum(NOT is_open), sum(is_open AND overdue) "
	                        "FROM case_facts GROUP BY 1, 2, 3, 4, 5, 6"),
	                 0);
	orgtree_release(t);
	arena_free(a);
}

/* ---- the writer batch: case numbers taken from the batch, the counter written once ----- */

#define BATCH_CREATES 6

struct batch_create {
	pa_case_t cs;
	int rc;
};

static void *create_thread(void *p)
{
	struct batch_create *x = p;
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	arena_t *a = arena_new();
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	x->rc = cases_create(&app, a, &pub, &petition, &x->cs, code, &err);
	x->cs.number = x->rc == 0 ? xstrdup(x->cs.number) : NULL;
	arena_free(a);
	return NULL;
}

struct number_key {
	char prefix[32];
	int year;
};

/* Takes a number of the petitions' counter and one of a counter nobody else
 * uses, then fails: both must be given back. */
static int number_then_fail_fn(store_tx_t *tx, void *p)
{
	const struct number_key *k = p;
	int64_t seq;
	int rc = store_tx_next_number(tx, k->prefix, k->year, &seq);
	if (rc == 0)
		rc = store_tx_next_number(tx, "zz-unused", k->year, &seq);
	return rc < 0 ? rc : PA_EINVAL;
}

static void *number_fail_thread(void *p)
{
	pa_err_t err = { 0 };
	assert_int_equal(store_write(app.store, number_then_fail_fn, p, &err), PA_EINVAL);
	return NULL;
}

/* "<prefix>-<year>-<seq>" */
static int64_t number_seq(const char *number, struct number_key *k)
{
	const char *dash = strrchr(number, '-');
	assert_non_null(dash);
	const char *ydash = dash - 5;
	assert_true(ydash > number && *ydash == '-');
	if (k) {
		snprintf(k->prefix, sizeof(k->prefix), "%.*s", (int)(ydash - number), number);
		k->year = atoi(ydash + 1);
	}
	return strtoll(dash + 1, NULL, 10);
}

static void test_batch_numbers_are_gap_free(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	pa_case_t first;
	assert_int_equal(cases_create(&app, a, &pub, &petition, &first, code, &err), 0);
	struct number_key k;
	int64_t s0 = number_seq(first.number, &k);
	int64_t commits0, writes0;
	store_stats(app.store, &commits0, &writes0);

	/* the creations and a job that takes numbers, then fails, in one batch */
	size_t want = BATCH_CREATES + 1;
	pthread_t hold, th[BATCH_CREATES], fail;
	struct batch_create cr[BATCH_CREATES];
	memset(cr, 0, sizeof(cr));
	atomic_store(&holding, 0);
	assert_int_equal(pthread_create(&hold, NULL, hold_thread, &want), 0);
	while (!atomic_load(&holding))
		usleep(1000);
	for (int i = 0; i < BATCH_CREATES; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, create_thread, &cr[i]), 0);
		if (i == BATCH_CREATES / 2)
			assert_int_equal(pthread_create(&fail, NULL, number_fail_thread, &k), 0);
	}
	pthread_join(hold, NULL);
	bool seen[BATCH_CREATES] = { false };
	for (int i = 0; i < BATCH_CREATES; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(cr[i].rc, 0);
		int64_t d = number_seq(cr[i].cs.number, NULL) - s0;
		assert_true(d >= 1 && d <= BATCH_CREATES); /* no gap where the failed job's was */
		assert_false(seen[d - 1]);
		seen[d - 1] = true;
		free((char *)cr[i].cs.number);
	}
	pthread_join(fail, NULL);
	int64_t commits1, writes1;
	store_stats(app.store, &commits1, &writes1);
	assert_int_equal(commits1 - commits0, 2); /* the holding job's, then the batch's */

	/* the counter row was written with the batch's last number; the failed
	 * job's other counter was never written */
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT value FROM counters WHERE prefix = '%s' AND year = %d",
	         k.prefix, k.year);
	assert_int_equal(fixture_query_int(cfg.database, sql), s0 + BATCH_CREATES);
	assert_int_equal(fixture_query_int(cfg.database,
	                                   "SELECT count(*) FROM counters WHERE prefix = 'zz-unused'"),
	                 0);
	pa_case_t next;
	assert_int_equal(cases_create(&app, a, &pub, &petition, &next, code, &err), 0);
	assert_int_equal(number_seq(next.number, NULL), s0 + BATCH_CREATES + 1);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_is_all_or_nothing),
		cmocka_unit_test(test_transition_is_all_or_nothing),
		cmocka_unit_test(test_personal_data_not_in_clear),
		cmocka_unit_test(test_timer_marks_overdue_once),
		cmocka_unit_test(test_transition_on_a_stale_copy),
		cmocka_unit_test(test_batch_aggregates_are_the_jobs_sums),
		cmocka_unit_test(test_batch_numbers_are_gap_free),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
