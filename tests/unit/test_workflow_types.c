/*
 * test_workflow_types.c — the definition keys for the other case types
 * (src/core/workflow.c): two-level categories with their own limits and
 * Open311 service codes, register:, contact: (sealed informants) and
 * location:; and what workflows/grid_event.yaml and workflows/tip.yaml say
 * against PROCEDURES.md.  test_workflow.c covers the petition and the
 * original keys.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/workflow.h"

static wf_def_t *load_shipped(const char *name)
{
	const char *dir = getenv("PINGAN_SOURCE_DIR");
	char path[4096];
	pa_err_t err = { 0 };
	wf_def_t *def = NULL;
	snprintf(path, sizeof(path), "%s/workflows/%s", dir ? dir : ".", name);
	if (wf_load_file(path, &def, &err))
		fail_msg("cannot load %s: %s", path, err.detail);
	return def;
}

/* A transition's from-states, roles and to, as written in the table below. */
struct trow {
	const char *name, *from, *to, *roles, *owner;
};

static void join_list(char *buf, size_t cap, const char *const *items, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strncat(buf, i ? "," : "", cap - strlen(buf) - 1);
		strncat(buf, items[i], cap - strlen(buf) - 1);
	}
}

static void check_table(const wf_def_t *def, const struct trow *rows, size_t n)
{
	assert_int_equal(def->ntransitions, n);
	for (size_t i = 0; i < n; i++) {
		const wf_transition_t *t = wf_find_transition(def, rows[i].name);
		if (!t)
			fail_msg("transition %s missing", rows[i].name);
		char from[256], roles[256];
		join_list(from, sizeof(from), t->from, t->nfrom);
		join_list(roles, sizeof(roles), t->roles, t->nroles);
		if (strcmp(from, rows[i].from) || strcmp(t->to, rows[i].to) ||
		    strcmp(roles, rows[i].roles) || strcmp(t->owner, rows[i].owner))
			fail_msg("%s: %s -> %s by %s owner %s; expected %s -> %s by %s owner %s",
			         t->name, from, t->to, roles, t->owner, rows[i].from, rows[i].to,
			         rows[i].roles, rows[i].owner);
	}
}

/* ------------------------------------------------------------------ */
/* grid_event.yaml                                                     */

static void test_grid_event_shape(void **state)
{
	wf_def_t *def = load_shipped("grid_event.yaml");
	static const struct trow rows[] = {
		{ "file", "reported", "filed", "intake,handler,supervisor", "keep" },
		{ "reject", "reported", "invalid", "intake,handler,supervisor", "keep" },
		{ "dispatch", "filed", "dispatched", "intake,handler,supervisor", "field:org_id" },
		{ "return", "dispatched", "filed", "handler", "previous" },
		{ "report_back", "dispatched", "handled", "handler", "previous" },
		{ "verify", "handled", "closed", "public,grid_worker,intake,handler,supervisor", "keep" },
		{ "rework", "handled", "dispatched", "public,grid_worker,intake,handler,supervisor", "previous" },
		{ "evaluate", "closed", "evaluated", "supervisor,leader", "keep" },
		{ "archive", "closed", "evaluated", "system", "keep" },
	};
	check_table(def, rows, ARRAY_SIZE(rows));
	assert_string_equal(def->initial, "reported");
	assert_true(def->public_submit);
	assert_int_equal(def->nregister_roles, 2);
	assert_true(wf_register_allows_role(def, "grid_worker"));
	assert_true(wf_register_allows_role(def, "intake"));
	assert_false(wf_register_allows_role(def, "handler"));
	assert_int_equal(def->location, WF_LOCATION_REQUIRED);
	assert_false(def->contact_sealed);
	assert_string_equal(def->contact_role, "petitioner");
	/* the return window: 2 working hours from the dispatch */
	const wf_transition_t *ret = wf_find_transition(def, "return");
	assert_true(ret->has_window);
	assert_int_equal(ret->window.amount, 2);
	assert_int_equal(ret->window.unit, DUE_WORKING_HOURS);
	assert_string_equal(wf_find_state(def, "closed")->timeout, "archive");

	/* two levels: every subcategory's class is a class, every leaf has a
	 * unique service code, and classes have none */
	size_t leaves = 0;
	for (size_t i = 0; i < def->ncategories; i++) {
		const wf_category_t *c = &def->categories[i];
		if (c->parent) {
			const wf_category_t *p = wf_find_category(def, c->parent);
			assert_non_null(p);
			assert_null(p->parent);
			assert_true(p->has_children);
			assert_int_equal(strlen(c->code), 5);
			assert_true(strncmp(c->code, c->parent, 3) == 0);
		}
		if (!c->has_children) {
			leaves++;
			assert_non_null(c->service_code);
		} else {
			assert_null(c->service_code);
		}
	}
	assert_true(leaves >= 20);
	wf_def_free(def);
}

/* Every category limit as the engine sees it (PROCEDURES.md examples:
 * exposed rubbish 4 working hours, illegal construction stop 4 working
 * hours / removal 20 working days). */
static void test_grid_event_limits(void **state)
{
	wf_def_t *def = load_shipped("grid_event.yaml");
	const wf_state_t *disp = wf_find_state(def, "dispatched");
	const wf_state_t *rep = wf_find_state(def, "reported");
	const wf_state_t *filed = wf_find_state(def, "filed");
	static const struct {
		const char *cat;
		int amount;
		due_unit_t unit;
	} want[] = {
		{ "E0101", 4, DUE_WORKING_HOURS }, { "E0102", 4, DUE_WORKING_HOURS },
		{ "E0103", 1, DUE_WORKING_DAYS },  { "E0104", 4, DUE_WORKING_HOURS },
		{ "E0201", 1, DUE_WORKING_DAYS },  { "E0202", 2, DUE_WORKING_DAYS },  /* the class's */
		{ "E0301", 4, DUE_WORKING_HOURS }, { "E0302", 20, DUE_WORKING_DAYS },
		{ "E0401", 4, DUE_WORKING_HOURS }, { "E0402", 4, DUE_WORKING_HOURS },
		{ "E0403", 4, DUE_WORKING_HOURS }, { "E0501", 2, DUE_WORKING_HOURS },
		{ "E0502", 2, DUE_WORKING_HOURS }, { "E0503", 2, DUE_WORKING_HOURS },
		{ "F0101", 2, DUE_WORKING_HOURS }, { "F0102", 3, DUE_WORKING_DAYS },
		{ "F0201", 4, DUE_WORKING_HOURS }, { "F0202", 2, DUE_WORKING_DAYS },
		{ "F0301", 2, DUE_WORKING_DAYS },  { "F0401", 4, DUE_WORKING_HOURS },
		{ "F0501", 1, DUE_WORKING_DAYS },  { "F0601", 5, DUE_WORKING_DAYS },  /* the state's */
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const wf_due_t *d = wf_category_state_due(def, want[i].cat, disp);
		if (!d || d->amount != want[i].amount || d->unit != want[i].unit)
			fail_msg("%s: dispatched limit %d/%d, expected %d/%d", want[i].cat,
			         d ? d->amount : -1, d ? (int)d->unit : -1, want[i].amount,
			         (int)want[i].unit);
	}
	/* emergencies are filed within 1 working hour of the report (from the case) */
	const wf_due_t *d = wf_category_state_due(def, "E0503", rep);
	assert_int_equal(d->amount, 1);
	assert_int_equal(d->unit, DUE_WORKING_HOURS);
	assert_int_equal(d->from, WF_FROM_CASE);
	assert_int_equal(wf_category_state_due(def, "E0503", filed)->amount, 1);
	/* other categories use the states' defaults */
	assert_ptr_equal(wf_category_state_due(def, "E0102", rep), &rep->due);
	assert_ptr_equal(wf_category_state_due(def, NULL, disp), &disp->due);
	assert_null(wf_category_state_due(def, "E0102", wf_find_state(def, "evaluated")));

	/* due times: 4 working hours from Monday 2026-03-02 16:00 (+08:00) end
	 * Tuesday 11:30 (09:00-12:00, 13:30-17:30); 20 working days from a
	 * Monday end four weeks later, at the day's end */
	calendar_t *cal = calendar_new(480);
	pa_time_t mon16 = 1772438400; /* 2026-03-02 16:00 +08:00 */
	pa_time_t due, want_due;
	assert_int_equal(wf_case_state_due(cal, def, "E0102", disp, mon16, mon16, &due), 0);
	assert_int_equal(pa_time_parse("2026-03-03T11:30:00+08:00", 480, &want_due), 0);
	assert_true(due == want_due);
	assert_int_equal(wf_case_state_due(cal, def, "E0302", disp, mon16, mon16, &due), 0);
	assert_int_equal(calendar_add(cal, mon16, 20, DUE_WORKING_DAYS, &want_due), 0);
	assert_true(due == want_due);
	assert_true(due > mon16 + 27 * 86400 && due < mon16 + 29 * 86400);
	/* the state's default where the category has none */
	assert_int_equal(wf_case_state_due(cal, def, "F0601", disp, mon16, mon16, &due), 0);
	assert_int_equal(calendar_add(cal, mon16, 5, DUE_WORKING_DAYS, &want_due), 0);
	assert_true(due == want_due);
	calendar_free(cal);
	wf_def_free(def);
}

/* ------------------------------------------------------------------ */
/* tip.yaml                                                            */

static void test_tip_shape(void **state)
{
	wf_def_t *def = load_shipped("tip.yaml");
	static const struct trow rows[] = {
		{ "classify", "registered", "classified", "intake", "keep" },
		{ "assign_police", "classified", "verifying", "intake", "kind:police" },
		{ "assign_discipline", "classified", "verifying", "intake", "kind:discipline_commission" },
		{ "assign", "classified", "verifying", "intake", "field:org_id" },
		{ "extend", "verifying", "verifying", "handler,supervisor", "keep" },
		{ "conclude", "verifying", "concluded", "handler", "intake" },
		{ "transfer", "verifying", "transferred", "handler", "intake" },
		{ "hand_over_joint", "verifying", "transferred", "handler", "intake" },
		{ "feedback", "concluded,transferred", "fed_back", "intake", "keep" },
		{ "archive", "fed_back", "archived", "system,intake", "keep" },
	};
	check_table(def, rows, ARRAY_SIZE(rows));
	/* anonymous, sealed, revealed only by intake */
	assert_true(def->public_submit);
	assert_true(def->contact_anonymous);
	assert_true(def->contact_sealed);
	assert_string_equal(def->contact_role, "informant");
	assert_int_equal(def->nreveal_roles, 1);
	assert_true(wf_reveal_allows_role(def, "intake"));
	assert_int_equal(def->location, WF_LOCATION_NONE);
	/* every category may name the accused unit */
	for (size_t i = 0; i < def->ncategories; i++)
		assert_true(def->categories[i].accusation);
	/* hand-over into a joint case (协同案件) led by the committee */
	const wf_transition_t *ho = wf_find_transition(def, "hand_over_joint");
	assert_non_null(ho);
	assert_string_equal(ho->handover_type, "joint_case");
	assert_string_equal(ho->handover_category, "field:joint_category");
	assert_string_equal(ho->handover_owner, "field:committee_id");
	/* the outcomes (查实 / 部分属实 / 查否) and the transfer (移送) */
	const wf_transition_t *c = wf_find_transition(def, "conclude");
	assert_int_equal(c->fields[0].type, WF_FIELD_ENUM);
	assert_int_equal(c->fields[0].nvalues, 3);
	assert_string_equal(c->fields[0].values[0].label.zh, "查实");
	assert_string_equal(c->fields[0].values[1].label.zh, "部分属实");
	assert_string_equal(c->fields[0].values[2].label.zh, "查否");
	assert_string_equal(wf_find_transition(def, "transfer")->label.zh, "移送");
	/* the verification limit and its extension */
	const wf_state_t *v = wf_find_state(def, "verifying");
	assert_int_equal(v->due.amount, 30);
	assert_int_equal(v->due.unit, DUE_CALENDAR_DAYS);
	const wf_transition_t *ext = wf_find_transition(def, "extend");
	assert_true(ext->has_due_add);
	assert_true(ext->once);
	/* feedback is public, with a notice; the verification itself is not */
	assert_true(wf_find_transition(def, "feedback")->public);
	assert_string_equal(wf_find_transition(def, "feedback")->notice, "tip_feedback");
	assert_false(c->public);
	assert_string_equal(wf_find_state(def, "fed_back")->timeout, "archive");
	wf_def_free(def);
}

/* ------------------------------------------------------------------ */
/* Definition errors for the new keys                                  */

#define HEAD \
	"type: demo\n" \
	"label: {zh: 演示, en: Demo}\n" \
	"number_prefix: DM\n" \
	"initial: open\n"

#define TAIL \
	"states:\n" \
	"  open:\n" \
	"    due: {amount: 5, unit: working_days}\n" \
	"  done: {terminal: true}\n" \
	"transitions:\n" \
	"  finish: {from: [open], to: done, roles: [handler]}\n"

static void expect_def_error(const char *yaml, const char *field, const char *where,
                             const char *message)
{
	wf_def_t *def = (wf_def_t *)1;
	pa_err_t err = { 0 };
	int rc = wf_load_buffer(yaml, strlen(yaml), "t.yaml", &def, &err);
	if (rc == 0)
		fail_msg("accepted, expected '%s':\n%s", message, yaml);
	assert_int_equal(rc, PA_EINVAL);
	assert_null(def);
	assert_string_equal(err.type, "workflow");
	if (field && strcmp(err.field, field) != 0)
		fail_msg("field '%s', expected '%s' (%s)", err.field, field, err.detail);
	if (where && strncmp(err.detail, where, strlen(where)) != 0)
		fail_msg("detail '%s' does not start with '%s'", err.detail, where);
	if (message && !strstr(err.detail, message))
		fail_msg("detail '%s' lacks '%s'", err.detail, message);
}

static wf_def_t *expect_ok(const char *yaml)
{
	wf_def_t *def = NULL;
	pa_err_t err = { 0 };
	if (wf_load_buffer(yaml, strlen(yaml), "t.yaml", &def, &err))
		fail_msg("rejected: %s\n%s", err.detail, yaml);
	return def;
}

static void test_categories_two_levels(void **state)
{
	wf_def_t *def = expect_ok(HEAD
	                          "categories:\n"
	                          "  - {code: '01', label: {zh: 市容}, due: {open: {amount: 2, unit: working_days}}}\n"
	                          "  - {code: '0101', parent: '01', label: {zh: 垃圾}, service_code: s1,\n"
	                          "     due: {open: {amount: 4, unit: working_hours, basis: 本区}}}\n"
	                          "  - {code: '0102', parent: '01', label: {zh: 渣土}, service_code: s2}\n"
	                          "  - {code: '02', label: {zh: 其他}, service_code: s3}\n"
	                          TAIL);
	const wf_category_t *cls = wf_find_category(def, "01");
	assert_true(cls->has_children);
	assert_null(cls->parent);
	const wf_category_t *leaf = wf_find_category(def, "0101");
	assert_string_equal(leaf->parent, "01");
	assert_string_equal(leaf->service_code, "s1");
	assert_int_equal(leaf->ndues, 1);
	assert_string_equal(leaf->dues[0].due.basis, "本区");
	const wf_state_t *open = wf_find_state(def, "open");
	assert_int_equal(wf_category_state_due(def, "0101", open)->unit, DUE_WORKING_HOURS);
	assert_int_equal(wf_category_state_due(def, "0102", open)->amount, 2);  /* class */
	assert_int_equal(wf_category_state_due(def, "02", open)->amount, 5);    /* state */
	assert_false(wf_find_category(def, "02")->has_children);

	json_t *j = wf_def_to_json(def);
	json_t *cats = json_object_get(j, "categories");
	assert_int_equal(json_array_size(cats), 4);
	json_t *c1 = json_array_get(cats, 1);
	assert_string_equal(json_string_value(json_object_get(c1, "parent")), "01");
	assert_string_equal(json_string_value(json_object_get(c1, "service_code")), "s1");
	assert_true(json_is_true(json_object_get(c1, "leaf")));
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(c1, "due"), "open"), "amount")), 4);
	assert_true(json_is_false(json_object_get(json_array_get(cats, 0), "leaf")));
	assert_string_equal(json_string_value(json_object_get(j, "location")), "none");
	json_decref(j);
	wf_def_free(def);
}

static void test_err_categories(void **state)
{
	/* duplicate codes, also across levels */
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: '01', label: {zh: a}}\n"
	                 "  - {code: '01', parent: '01', label: {zh: b}}\n" TAIL,
	                 "categories[1].code", "t.yaml:7:12:", "duplicate category code '01'");
	/* a parent must be listed above */
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: '0101', parent: '01', label: {zh: b}}\n"
	                 "  - {code: '01', label: {zh: a}}\n" TAIL,
	                 "categories[0].parent", "t.yaml:6:28:",
	                 "parent '01' is not a category listed above this one");
	/* two levels only */
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: '01', label: {zh: a}}\n"
	                 "  - {code: '0101', parent: '01', label: {zh: b}}\n"
	                 "  - {code: '010101', parent: '0101', label: {zh: c}}\n" TAIL,
	                 "categories[2].parent", NULL,
	                 "parent '0101' is itself a subcategory (categories have two levels)");
	/* service codes: unique, and on leaves only */
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, service_code: '001'}\n"
	                 "  - {code: b, label: {zh: b}, service_code: '001'}\n" TAIL,
	                 "categories[1].service_code", "t.yaml:7:45:",
	                 "duplicate service code '001' (also category 'a')");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, service_code: '001'}\n"
	                 "  - {code: b, parent: a, label: {zh: b}}\n" TAIL,
	                 "categories[0].service_code", "t.yaml:6:45:",
	                 "category 'a' has subcategories, so its service code belongs on them");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, service_code: 'x y'}\n" TAIL,
	                 "categories[0].service_code", NULL, "'x y' is not a valid code");
	/* category limits: known, non-terminal states, valid dues */
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, due: {handling: {amount: 1, unit: working_days}}}\n" TAIL,
	                 "categories[0].due.handling", "t.yaml:6:37:", "unknown state 'handling'");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, due: {done: {amount: 1, unit: working_days}}}\n" TAIL,
	                 "categories[0].due.done", NULL, "state 'done' is terminal: it has no limit");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, due: {open: {amount: 0, unit: working_hours}}}\n" TAIL,
	                 "categories[0].due.open.amount", NULL, "0 is out of range");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, due: {open: {amount: 4, unit: hours}}}\n" TAIL,
	                 "categories[0].due.open.unit", NULL, "unknown unit 'hours'");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, due: {}}\n" TAIL,
	                 "categories[0].due", NULL, "no state limits defined");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, due: [open]}\n" TAIL,
	                 "categories[0].due", NULL, "expected a mapping of state limits by name");
	expect_def_error(HEAD "categories:\n"
	                 "  - {code: a, label: {zh: a}, limit: 3}\n" TAIL,
	                 "categories[0].limit", NULL, "unknown key 'limit'");
}

static void test_err_register_contact_location(void **state)
{
	expect_def_error(HEAD "register: {roles: [public]}\n" TAIL, "register.roles", "t.yaml:5:20:",
	                 "'public' is not a staff role");
	expect_def_error(HEAD "register: {roles: [clerk]}\n" TAIL, "register.roles", NULL,
	                 "'clerk' is not a staff role");
	expect_def_error(HEAD "register: {roles: [intake, intake]}\n" TAIL, "register.roles", NULL,
	                 "role 'intake' is listed twice");
	expect_def_error(HEAD "register: {roles: []}\n" TAIL, "register.roles", NULL,
	                 "is empty and the public may not submit");
	expect_def_error(HEAD "register: {public: true}\n" TAIL, "register.roles", NULL,
	                 "is required");
	expect_def_error(HEAD "register: {roles: [intake], public: yes}\n" TAIL, "register.public",
	                 NULL, "expected true or false, found 'yes'");
	expect_def_error(HEAD "contact: {sealed: true}\n" TAIL, "contact.reveal_roles",
	                 "t.yaml:5:10:", "is required for a sealed contact");
	expect_def_error(HEAD "contact: {reveal_roles: [intake]}\n" TAIL, "contact.reveal_roles",
	                 NULL, "applies to a sealed contact only");
	expect_def_error(HEAD "contact: {sealed: true, reveal_roles: []}\n" TAIL,
	                 "contact.reveal_roles", NULL, "is empty");
	expect_def_error(HEAD "contact: {sealed: true, reveal_roles: [system]}\n" TAIL,
	                 "contact.reveal_roles", NULL, "'system' is not a staff role");
	expect_def_error(HEAD "contact: {role: Informant}\n" TAIL, "contact.role", NULL,
	                 "'Informant' is not a valid name");
	expect_def_error(HEAD "contact: {hidden: true}\n" TAIL, "contact.hidden", NULL,
	                 "unknown key 'hidden'");
	expect_def_error(HEAD "location: sometimes\n" TAIL, "location", "t.yaml:5:11:",
	                 "expected none, optional or required, found 'sometimes'");
	expect_def_error(HEAD TAIL "  back: {from: [open], to: open, roles: [handler], owner: prior}\n",
	                 "transitions.back.owner", NULL,
	                 "unknown owner 'prior' (expected keep, intake, superior, previous");

	wf_def_t *def = expect_ok(HEAD "register: {roles: [], public: true}\n"
	                          "contact: {role: informant, anonymous: true, sealed: true, "
	                          "reveal_roles: [intake, supervisor]}\n"
	                          "location: optional\n" TAIL);
	assert_int_equal(def->nregister_roles, 0);
	assert_true(def->public_submit);
	assert_string_equal(def->contact_role, "informant");
	assert_true(def->contact_anonymous);
	assert_true(def->contact_sealed);
	assert_true(wf_reveal_allows_role(def, "supervisor"));
	assert_false(wf_reveal_allows_role(def, "handler"));
	assert_int_equal(def->location, WF_LOCATION_OPTIONAL);
	json_t *j = wf_def_to_json(def);
	assert_true(json_is_true(json_object_get(json_object_get(j, "contact"), "sealed")));
	assert_true(json_is_true(json_object_get(json_object_get(j, "register"), "public")));
	json_decref(j);
	wf_def_free(def);

	/* defaults: intake registers, the public may not, no location */
	def = expect_ok(HEAD TAIL);
	assert_int_equal(def->nregister_roles, 1);
	assert_true(wf_register_allows_role(def, "intake"));
	assert_false(def->public_submit);
	assert_false(def->contact_sealed);
	assert_int_equal(def->location, WF_LOCATION_NONE);
	wf_def_free(def);
}

/* Service codes are unique across the definitions of one registry. */
static void test_registry_service_codes(void **state)
{
	char tmp[] = "/tmp/pingan-wft-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	char a[512], b[512];
	snprintf(a, sizeof(a), "%s/a.yaml", tmp);
	snprintf(b, sizeof(b), "%s/b.yaml", tmp);
	FILE *f = fopen(a, "w");
	fputs(HEAD "categories:\n  - {code: x, label: {zh: x}, service_code: '100'}\n" TAIL, f);
	fclose(f);
	f = fopen(b, "w");
	fputs("type: other\nlabel: {zh: 其他}\nnumber_prefix: OT\ninitial: open\n"
	      "categories:\n  - {code: y, label: {zh: y}, service_code: '100'}\n" TAIL, f);
	fclose(f);
	wf_registry_t *reg = NULL;
	pa_err_t err = { 0 };
	assert_int_equal(wf_registry_load_dir(tmp, &reg, &err), PA_EINVAL);
	assert_null(reg);
	assert_string_equal(err.field, "categories[0].service_code");
	if (!strstr(err.detail, "service code '100' is already used by category 'x'"))
		fail_msg("%s", err.detail);
	f = fopen(b, "w");
	fputs("type: other\nlabel: {zh: 其他}\nnumber_prefix: OT\ninitial: open\n"
	      "categories:\n  - {code: y, label: {zh: y}, service_code: '101'}\n" TAIL, f);
	fclose(f);
	assert_int_equal(wf_registry_load_dir(tmp, &reg, &err), 0);
	const wf_def_t *holder = NULL;
	const wf_category_t *c = wf_registry_find_service(reg, "101", &holder);
	assert_non_null(c);
	assert_string_equal(c->code, "y");
	assert_string_equal(holder->type, "other");
	assert_null(wf_registry_find_service(reg, "102", NULL));
	wf_registry_free(reg);
	unlink(a);
	unlink(b);
	rmdir(tmp);
}

/* The shipped directory loads as one registry (service codes unique). */
static void test_shipped_registry(void **state)
{
	const char *dir = getenv("PINGAN_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/workflows", dir ? dir : ".");
	wf_registry_t *reg = NULL;
	pa_err_t err = { 0 };
	if (wf_registry_load_dir(path, &reg, &err))
		fail_msg("%s", err.detail);
	const wf_def_t *def = NULL;
	const wf_category_t *c = wf_registry_find_service(reg, "E0102", &def);
	assert_non_null(c);
	assert_string_equal(def->type, "grid_event");
	wf_registry_free(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid_event_shape),
		cmocka_unit_test(test_grid_event_limits),
		cmocka_unit_test(test_tip_shape),
		cmocka_unit_test(test_categories_two_levels),
		cmocka_unit_test(test_err_categories),
		cmocka_unit_test(test_err_register_contact_location),
		cmocka_unit_test(test_registry_service_codes),
		cmocka_unit_test(test_shipped_registry),
	};
	return cmocka_run_group_tests_name("workflow types", tests, NULL, NULL);
}
