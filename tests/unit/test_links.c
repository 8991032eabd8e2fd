/*
 * test_links.c — links between cases (core/links.c) against a real app:
 * a related link and a merge are all-or-nothing under injected write
 * faults (fail the Nth write statement, for every N); a merged case takes
 * no more transitions; repeat detection finds the most similar earlier case
 * of the same party within the window, and its link is written with the new
 * case or not at all.
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
#include "core/links.h"

#include <stdio.h>
#include <stdlib.h>
#include <sqlite3.h>
#include <sys/stat.h>

static char dir[64];
static pa_config_t cfg;
static pa_app_t app;

static int setup(void **state)
{
	fixture_tmpdir(dir, sizeof(dir), "links");
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

/* A public petition by the party with this phone. */
static int submit(arena_t *a, const char *phone, const char *title, const char *body, pa_case_t *cs)
{
	case_input_t in = { .type = "petition", .category = "grievance", .title = title, .body = body,
		                .has_contact = true, .contact = { .name = "张三", .phone = phone } };
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	return cases_create(&app, a, &pub, &in, cs, code, &err);
}

/* A case of a party of its own (no repeat links). */
static void new_case(arena_t *a, pa_case_t *cs)
{
	static unsigned n;
	char phone[32];
	snprintf(phone, sizeof(phone), "1390000%04u", ++n % 10000);
	assert_int_equal(submit(a, phone, "建议增设社区老年食堂", "东门社区老年人较多。", cs), 0);
}

static int64_t links_of(pa_id_t case_id, const char *kind)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM case_links WHERE from_case_id = %lld AND kind = '%s'",
	         (long long)case_id, kind);
	return query_int(sql);
}

static void test_related_all_or_nothing(void **state)
{
	arena_t *a = arena_new();
	pa_case_t x, y;
	new_case(a, &x);
	new_case(a, &y);
	pa_principal_t xfj;
	orgtree_t *t;
	staff(a, "xfj", &xfj, &t);
	pa_case_link_t l;
	pa_err_t err = { 0 };
	assert_int_equal(cases_link(&app, a, &xfj, &x, &x, "related", NULL, &l, &err), PA_EINVAL);
	assert_int_equal(cases_link(&app, a, &xfj, &x, &y, "merged_into", NULL, &l, &err), PA_EINVAL);
	int64_t links0 = count("case_links"), events0 = count("events"), audit0 = count("audit");
	int failures = 0;
	for (int nth = 1; nth < 20; nth++) {
		pa_err_clear(&err);
		store_fault_inject(app.store, nth);
		int rc = cases_link(&app, a, &xfj, &x, &y, "related", "同一事项", &l, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0)
			break;
		failures++;
		assert_int_equal(count("case_links"), links0);
		assert_int_equal(count("events"), events0);
		assert_int_equal(count("audit"), audit0);
	}
	assert_true(failures >= 4); /* link, two events, audit */
	assert_int_equal(count("case_links"), links0 + 1);
	assert_int_equal(count("events"), events0 + 2);
	/* once, either way */
	assert_int_equal(cases_link(&app, a, &xfj, &y, &x, "related", NULL, &l, &err), PA_ECONFLICT);
	assert_int_equal(cases_link(&app, a, &xfj, &x, &y, "related", NULL, &l, &err), PA_ECONFLICT);
	/* a hand-over link is another kind between the same cases */
	assert_int_equal(cases_link(&app, a, &xfj, &x, &y, "handover", NULL, &l, &err), 0);
	pa_case_link_t *ls;
	size_t n;
	assert_int_equal(cases_links(&app, a, &y, &ls, &n, &err), 0);
	assert_int_equal(n, 2);
	orgtree_release(t);
	arena_free(a);
}

static void test_merge_all_or_nothing(void **state)
{
	arena_t *a = arena_new();
	pa_case_t m, s;
	new_case(a, &m);
	new_case(a, &s);
	pa_principal_t xfj, housing;
	orgtree_t *t1, *t2;
	staff(a, "xfj", &xfj, &t1);
	staff(a, "housing", &housing, &t2);
	pa_case_t out;
	pa_err_t err = { 0 };
	assert_int_equal(cases_merge(&app, a, &housing, &m, s.id, "x", &out, &err), PA_EFORBIDDEN);
	assert_int_equal(cases_merge(&app, a, &xfj, &m, m.id, "x", &out, &err), PA_EINVAL);
	assert_int_equal(cases_merge(&app, a, &xfj, &m, s.id, "", &out, &err), PA_EINVAL);
	assert_int_equal(cases_merge(&app, a, &xfj, &m, 999999, "x", &out, &err), PA_EUNPROCESSABLE);
	int64_t links0 = count("case_links"), events0 = count("events"), audit0 = count("audit");
	int failures = 0;
	for (int nth = 1; nth < 20; nth++) {
		pa_err_clear(&err);
		store_fault_inject(app.store, nth);
		int rc = cases_merge(&app, a, &xfj, &m, s.id, "重复反映，合并办理", &out, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0)
			break;
		failures++;
		pa_case_t now;
		assert_int_equal(store_case_get(store_reader(app.store), a, m.id, &now), 0);
		assert_true(now.is_open);
		assert_int_equal(now.version, m.version);
		assert_int_equal(case_merged_into(&now), 0);
		assert_int_equal(count("case_links"), links0);
		assert_int_equal(count("events"), events0);
		assert_int_equal(count("audit"), audit0);
	}
	assert_true(failures >= 5); /* case, link, two events, audit */
	assert_false(out.is_open);
	assert_string_equal(out.state, m.state);
	assert_int_equal(case_merged_into(&out), s.id);
	assert_int_equal(links_of(m.id, "merged_into"), 1);
	/* no transition on a merged case; merging it again is refused */
	pa_principal_t intake;
	orgtree_t *t3;
	staff(a, "intake", &intake, &t3);
	pa_case_t after;
	assert_int_equal(cases_transition(&app, a, &intake, &out, "accept", NULL, 0, &after, &err), PA_ECONFLICT);
	const wf_transition_t **acts;
	assert_int_equal(cases_allowed_actions(&app, a, &intake, &out, &acts), 0);
	assert_int_equal(cases_merge(&app, a, &xfj, &out, s.id, "x", &after, &err), PA_ECONFLICT);
	/* the public side follows the merge */
	pa_case_t pub = out;
	const char *from = NULL;
	assert_int_equal(cases_follow_merge(&app, a, &pub, &from, &err), 0);
	assert_int_equal(pub.id, s.id);
	assert_string_equal(from, m.number);
	audit_report_t rep;
	assert_int_equal(audit_verify(store_reader(app.store), &rep, NULL, NULL), 0);
	orgtree_release(t1);
	orgtree_release(t2);
	orgtree_release(t3);
	arena_free(a);
}

static void test_repeat_detection(void **state)
{
	arena_t *a = arena_new();
	static const char *const elevator = "幸福小区3号楼电梯长期故障";
	static const char *const elevator_body = "电梯自三月起多次故障停运，物业一直未修复。";
	pa_case_t first, other_text, again, other_party;
	assert_int_equal(submit(a, "13911110101", elevator, elevator_body, &first), 0);
	assert_int_equal(submit(a, "13911110101", "建议增设社区老年食堂", "东门社区老年人较多。", &other_text), 0);
	assert_int_equal(links_of(other_text.id, "repeat_of"), 0);
	assert_int_equal(submit(a, "13911110102", elevator, elevator_body, &other_party), 0);
	assert_int_equal(links_of(other_party.id, "repeat_of"), 0);
	assert_int_equal(submit(a, "13911110101", elevator, "电梯自三月起多次故障停运，物业至今未修复。", &again), 0);
	assert_int_equal(links_of(again.id, "repeat_of"), 1);
	assert_non_null(strstr(again.data, "\"repeat\":true"));
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT to_case_id FROM case_links WHERE from_case_id = %lld",
	         (long long)again.id);
	assert_int_equal(query_int(sql), first.id);

	/* the finder itself: window and threshold from the configuration */
	char h[PA_HASH_HEX];
	pii_lookup_hash(app.keys, "phone", "13911110101", h);
	pa_id_t rep;
	double sim;
	cases_find_repeat(&app, a, elevator, elevator_body, h, NULL, pa_now(), &rep, &sim);
	assert_true(rep == first.id || rep == again.id);
	assert_true(sim >= 0.5 && sim <= 1.0);
	/* seen from far in the future, everything is outside the window */
	cases_find_repeat(&app, a, elevator, elevator_body, h, NULL, pa_now() + 181 * 86400, &rep, &sim);
	assert_int_equal(rep, 0);
	cfg.repeat_similarity = 1.0;
	cases_find_repeat(&app, a, elevator, "完全不同的正文内容", h, NULL, pa_now(), &rep, &sim);
	assert_int_equal(rep, 0);
	cfg.repeat_similarity = 0.5;
	cfg.repeat_window_days = 0;
	cases_find_repeat(&app, a, elevator, elevator_body, h, NULL, pa_now(), &rep, &sim);
	assert_int_equal(rep, 0);
	cfg.repeat_window_days = 180;
	cases_find_repeat(&app, a, elevator, elevator_body, NULL, NULL, pa_now(), &rep, &sim);
	assert_int_equal(rep, 0);

	/* the repeat link is part of the create write: a fault leaves neither */
	int64_t cases0 = count("cases"), links0 = count("case_links");
	int failures = 0;
	for (int nth = 1; nth < 30; nth++) {
		pa_case_t cs;
		store_fault_inject(app.store, nth);
		int rc = submit(a, "13911110101", elevator, elevator_body, &cs);
		store_fault_inject(app.store, 0);
		if (rc == 0) {
			assert_int_equal(links_of(cs.id, "repeat_of"), 1);
			break;
		}
		failures++;
		assert_int_equal(count("cases"), cases0);
		assert_int_equal(count("case_links"), links0);
	}
	assert_true(failures >= 5);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_related_all_or_nothing),
		cmocka_unit_test(test_merge_all_or_nothing),
		cmocka_unit_test(test_repeat_detection),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
