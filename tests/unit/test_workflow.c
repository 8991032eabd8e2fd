/*
 * test_workflow.c — the workflow loader and engine helpers (src/core/workflow.c).
 *
 * The first half checks that workflows/petition.yaml says what
 * PROCEDURES.md says (tables of expected from-states, roles, flags), the
 * second half that each definition rule rejects a small inline definition
 * with a message naming the place (file:line:column and/or path).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/workflow.h"

static wf_def_t *petition;

static int load_petition(void **state)
{
	const char *dir = getenv("PINGAN_SOURCE_DIR");
	char path[4096];
	pa_err_t err = { 0 };
	snprintf(path, sizeof(path), "%s/workflows/petition.yaml", dir ? dir : ".");
	int rc = wf_load_file(path, &petition, &err);
	if (rc) {
		fprintf(stderr, "cannot load %s: %s\n", path, err.detail);
		return -1;
	}
	return 0;
}

static int free_petition(void **state)
{
	wf_def_free(petition);
	petition = NULL;
	return 0;
}

static const wf_transition_t *tr(const char *name)
{
	const wf_transition_t *t = wf_find_transition(petition, name);
	if (!t)
		fail_msg("transition %s missing", name);
	return t;
}

static const wf_state_t *st(const char *name)
{
	const wf_state_t *s = wf_find_state(petition, name);
	if (!s)
		fail_msg("state %s missing", name);
	return s;
}

static bool in_csv(const char *csv, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = csv; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* petition.yaml against PROCEDURES.md                                 */

static const char *const all_states[] = {
	"registered", "forwarded", "handling", "replied", "reviewing",
	"reviewed", "rechecking", "finalized", "refused", "closed",
	"in_mediation", "mediated",
};

static const char *const all_roles[] = {
	"public", "system", "intake", "handler", "mediator", "grid_worker",
	"supervisor", "leader", "admin", "auditor",
};

static const struct {
	const char *name, *from, *to, *roles;
} expected_transitions[] = {
	{ "accept", "registered,forwarded", "handling", "intake,handler" },
	{ "forward", "registered", "forwarded", "intake" },
	{ "assign", "registered", "forwarded", "intake" },
	{ "route_legal", "registered", "forwarded", "intake" },
	{ "object", "forwarded", "registered", "handler,intake" },
	{ "refuse", "registered,forwarded", "refused", "intake,handler" },
	{ "extend", "handling", "handling", "handler" },
	{ "reply", "handling,mediated", "replied", "handler" },
	{ "request_review", "replied,refused", "reviewing", "public" },
	{ "review_reply", "reviewing", "reviewed", "handler,supervisor" },
	{ "request_recheck", "reviewed", "rechecking", "public" },
	{ "recheck_reply", "rechecking", "finalized", "handler,supervisor" },
	{ "close", "replied,reviewed,refused", "closed", "system" },
	{ "hand_over", "handling", "in_mediation", "handler" },
	{ "mediation_ended", "in_mediation", "mediated", "system" },
	{ "take_back", "in_mediation", "handling", "handler,supervisor" },
};

static void test_petition_shape(void **state)
{
	assert_string_equal(petition->type, "petition");
	assert_string_equal(petition->number_prefix, "XF");
	assert_string_equal(petition->initial, "registered");
	assert_string_equal(petition->label.zh, "信访");
	assert_int_equal(petition->nstates, ARRAY_SIZE(all_states));
	assert_int_equal(petition->ntransitions, ARRAY_SIZE(expected_transitions));
	for (size_t i = 0; i < ARRAY_SIZE(all_states); i++)
		assert_non_null(wf_find_state(petition, all_states[i]));
	assert_null(wf_find_state(petition, "handled"));
	assert_null(wf_find_transition(petition, "nope"));
	assert_string_equal(petition->source + strlen(petition->source) - strlen("workflows/petition.yaml"),
	                    "workflows/petition.yaml");

	assert_int_equal(petition->ncategories, 3);
	assert_false(wf_find_category(petition, "suggestion")->accusation);
	assert_true(wf_find_category(petition, "accusation")->accusation);
	assert_false(wf_find_category(petition, "grievance")->accusation);
	assert_string_equal(wf_find_category(petition, "accusation")->label.zh, "检举控告");
	assert_null(wf_find_category(petition, "other"));

	/* every label has both languages */
	for (size_t i = 0; i < petition->nstates; i++) {
		assert_non_null(petition->states[i].label.zh);
		assert_non_null(petition->states[i].label.en);
	}
	for (size_t i = 0; i < petition->ntransitions; i++) {
		const wf_transition_t *t = &petition->transitions[i];
		assert_non_null(t->label.zh);
		assert_non_null(t->label.en);
		assert_string_not_equal(t->label.zh, t->name);
		for (size_t j = 0; j < t->nfields; j++) {
			assert_non_null(t->fields[j].label.zh);
			assert_non_null(t->fields[j].label.en);
		}
	}
}

/* Every transition may be taken from exactly its listed states. */
static void test_petition_from_states(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(expected_transitions); i++) {
		const wf_transition_t *t = tr(expected_transitions[i].name);
		assert_string_equal(t->to, expected_transitions[i].to);
		for (size_t s = 0; s < ARRAY_SIZE(all_states); s++) {
			bool want = in_csv(expected_transitions[i].from, all_states[s]);
			if (wf_transition_leaves(t, all_states[s]) != want)
				fail_msg("%s from %s: expected %s", t->name, all_states[s],
				         want ? "allowed" : "forbidden");
		}
	}
}

static void test_petition_roles(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(expected_transitions); i++) {
		const wf_transition_t *t = tr(expected_transitions[i].name);
		for (size_t r = 0; r < ARRAY_SIZE(all_roles); r++) {
			bool want = in_csv(expected_transitions[i].roles, all_roles[r]);
			if (wf_transition_allows_role(t, all_roles[r]) != want)
				fail_msg("%s by %s: expected %s", t->name, all_roles[r],
				         want ? "allowed" : "forbidden");
		}
	}
	assert_true(wf_transition_allows_role(tr("request_review"), "public"));
	assert_false(wf_transition_allows_role(tr("accept"), "public"));
	/* system takes close, and mediation_ended when a handed-over dispute ends */
	for (size_t i = 0; i < petition->ntransitions; i++) {
		const wf_transition_t *t = &petition->transitions[i];
		assert_int_equal(wf_transition_allows_role(t, "system"),
		                 streq(t->name, "close") || streq(t->name, "mediation_ended"));
	}
	assert_false(wf_transition_allows_role(tr("accept"), "nobody"));
}

static void test_petition_states(void **state)
{
	static const struct {
		const char *name;
		int amount;
		wf_from_t from;
		const char *timeout;
		bool rating, terminal;
	} want[] = {
		{ "registered", 15, WF_FROM_CASE, NULL, false, false },
		{ "forwarded", 15, WF_FROM_STATE, NULL, false, false },
		{ "handling", 60, WF_FROM_STATE, NULL, false, false },
		{ "replied", 30, WF_FROM_STATE, "close", true, false },
		{ "reviewing", 30, WF_FROM_STATE, NULL, false, false },
		{ "reviewed", 30, WF_FROM_STATE, "close", true, false },
		{ "rechecking", 30, WF_FROM_STATE, NULL, false, false },
		{ "finalized", 0, WF_FROM_STATE, NULL, true, true },
		{ "refused", 30, WF_FROM_STATE, "close", false, false },
		{ "closed", 0, WF_FROM_STATE, NULL, false, true },
		{ "in_mediation", 0, WF_FROM_STATE, NULL, false, false },
		{ "mediated", 15, WF_FROM_STATE, NULL, false, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const wf_state_t *s = st(want[i].name);
		assert_int_equal(s->terminal, want[i].terminal);
		assert_int_equal(s->rating, want[i].rating);
		assert_int_equal(s->has_due, want[i].amount > 0);
		if (want[i].amount) {
			assert_int_equal(s->due.amount, want[i].amount);
			assert_int_equal(s->due.unit, DUE_CALENDAR_DAYS);
			assert_int_equal(s->due.from, want[i].from);
			assert_non_null(s->due.basis);
			assert_non_null(strstr(s->due.basis, "信访工作条例"));
		}
		if (want[i].timeout)
			assert_string_equal(s->timeout, want[i].timeout);
		else
			assert_null(s->timeout);
	}
}

static void test_petition_flags(void **state)
{
	/* once: extend only */
	for (size_t i = 0; i < petition->ntransitions; i++)
		assert_int_equal(petition->transitions[i].once,
		                 streq(petition->transitions[i].name, "extend"));

	/* windows */
	const wf_transition_t *t = tr("object");
	assert_true(t->has_window);
	assert_int_equal(t->window.amount, 5);
	assert_int_equal(t->window.unit, DUE_WORKING_DAYS);
	assert_int_equal(t->window.from, WF_FROM_STATE);
	for (size_t i = 0; i < 2; i++) {
		t = tr(i ? "request_recheck" : "request_review");
		assert_true(t->has_window);
		assert_int_equal(t->window.amount, 30);
		assert_int_equal(t->window.unit, DUE_CALENDAR_DAYS);
		assert_int_equal(t->window.from, WF_FROM_STATE);
		assert_string_equal(t->public_action, "review");
		assert_string_equal(t->owner, "superior");
	}
	assert_false(tr("accept")->has_window);
	assert_false(tr("reply")->has_window);

	/* due_add */
	t = tr("extend");
	assert_true(t->has_due_add);
	assert_string_equal(t->due_add_field, "days");
	assert_int_equal(t->due_add_unit, DUE_CALENDAR_DAYS);
	assert_false(tr("reply")->has_due_add);

	/* owners */
	assert_string_equal(tr("forward")->owner, "field:org_id");
	assert_string_equal(tr("assign")->owner, "field:org_id");
	assert_string_equal(tr("route_legal")->owner, "kind:political_legal_committee");
	assert_string_equal(tr("object")->owner, "intake");
	assert_string_equal(tr("accept")->owner, "keep");
	assert_string_equal(tr("close")->owner, "keep");

	/* public timeline: everything but object and take_back */
	for (size_t i = 0; i < petition->ntransitions; i++)
		assert_int_equal(petition->transitions[i].public,
		                 !streq(petition->transitions[i].name, "object") &&
		                     !streq(petition->transitions[i].name, "take_back"));

	/* public actions */
	for (size_t i = 0; i < petition->ntransitions; i++) {
		const wf_transition_t *x = &petition->transitions[i];
		if (!streq(x->name, "request_review") && !streq(x->name, "request_recheck"))
			assert_null(x->public_action);
	}
	assert_ptr_equal(wf_find_public_action(petition, "replied", "review"), tr("request_review"));
	assert_ptr_equal(wf_find_public_action(petition, "reviewed", "review"), tr("request_recheck"));
	assert_null(wf_find_public_action(petition, "handling", "review"));
	assert_null(wf_find_public_action(petition, "replied", "rate"));

	/* notices */
	static const struct { const char *t, *notice; } notices[] = {
		{ "accept", "acceptance" }, { "forward", "forwarding" }, { "assign", "forwarding" },
		{ "route_legal", "forwarding" }, { "refuse", "refusal" }, { "extend", "extension" },
		{ "reply", "opinion" }, { "review_reply", "review_opinion" },
		{ "recheck_reply", "recheck_opinion" }, { "object", NULL }, { "close", NULL },
		{ "request_review", NULL }, { "request_recheck", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(notices); i++) {
		t = tr(notices[i].t);
		if (notices[i].notice) {
			assert_string_equal(t->notice, notices[i].notice);
			assert_non_null(wf_find_notice(petition, t->notice));
		} else {
			assert_null(t->notice);
		}
	}
	assert_int_equal(petition->nnotices, 7);
}

static void test_petition_fields(void **state)
{
	const wf_transition_t *t = tr("refuse");
	assert_int_equal(t->nfields, 2);
	assert_string_equal(t->fields[0].name, "reason");
	assert_int_equal(t->fields[0].type, WF_FIELD_TEXT);
	assert_true(t->fields[0].required);
	assert_int_equal(t->fields[0].max, 2000);
	assert_string_equal(t->fields[1].name, "legal_channel");
	assert_int_equal(t->fields[1].type, WF_FIELD_ENUM);
	assert_int_equal(t->fields[1].nvalues, 6);
	assert_string_equal(t->fields[1].values[2].code, "administrative_review");
	assert_string_equal(t->fields[1].values[2].label.zh, "行政复议");

	t = tr("extend");
	assert_int_equal(t->fields[0].type, WF_FIELD_INT);
	assert_int_equal(t->fields[0].min, 1);
	assert_int_equal(t->fields[0].max, 30);

	t = tr("forward");
	assert_int_equal(t->fields[0].type, WF_FIELD_ORG);
	assert_true(t->fields[0].required);
	assert_false(t->fields[1].required);

	static const char *const opinions[] = { "reply", "review_reply", "recheck_reply" };
	for (size_t i = 0; i < ARRAY_SIZE(opinions); i++) {
		t = tr(opinions[i]);
		assert_int_equal(t->nfields, 4);
		assert_string_equal(t->fields[0].name, "decision");
		assert_int_equal(t->fields[0].nvalues, 3);
		assert_string_equal(t->fields[1].name, "facts");
		assert_int_equal(t->fields[1].max, WF_TEXT_DEFAULT_MAX);
		assert_string_equal(t->fields[2].name, "basis");
		assert_int_equal(t->fields[2].max, 2000);
		assert_string_equal(t->fields[3].name, "opinion");
	}
	assert_int_equal(tr("accept")->nfields, 0);
	assert_int_equal(tr("close")->nfields, 0);
}

/* ------------------------------------------------------------------ */
/* wf_validate_fields                                                  */

static void expect_field_error(const char *transition, const char *json, const char *field,
                               const char *detail)
{
	json_error_t jerr;
	json_t *in = json_loads(json, 0, &jerr);
	if (!in)
		fail_msg("bad test JSON %s: %s", json, jerr.text);
	pa_err_t err = { 0 };
	int rc = wf_validate_fields(tr(transition), in, &err);
	json_decref(in);
	assert_int_equal(rc, PA_EINVAL);
	assert_string_equal(err.type, "validation");
	assert_string_equal(err.field, field);
	if (detail && !strstr(err.detail, detail))
		fail_msg("detail '%s' lacks '%s'", err.detail, detail);
}

static void expect_fields_ok(const char *transition, json_t *in)
{
	pa_err_t err = { 0 };
	int rc = wf_validate_fields(tr(transition), in, &err);
	if (rc)
		fail_msg("%s rejected: %s: %s", transition, err.field, err.detail);
	json_decref(in);
}

static char *repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *s = malloc(len * n + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * len, unit, len);
	s[len * n] = '\0';
	return s;
}

static void test_validate_fields(void **state)
{
	expect_fields_ok("accept", NULL);
	expect_fields_ok("accept", json_object());
	expect_fields_ok("refuse", json_pack("{s:s, s:s}", "reason", "不属于信访事项",
	                                     "legal_channel", "litigation"));
	expect_fields_ok("extend", json_pack("{s:i, s:s}", "days", 30, "reason", "需要现场调查"));
	expect_fields_ok("forward", json_pack("{s:i}", "org_id", 12));
	expect_fields_ok("forward", json_pack("{s:i, s:n}", "org_id", 12, "note"));
	expect_fields_ok("forward", json_pack("{s:i, s:s}", "org_id", 12, "note", "请办理"));

	expect_field_error("refuse", "{\"legal_channel\": \"litigation\"}", "fields.reason",
	                   "required");
	expect_field_error("refuse", "{\"reason\": \"  \", \"legal_channel\": \"litigation\"}",
	                   "fields.reason", "required");
	expect_field_error("refuse", "{\"reason\": null, \"legal_channel\": \"litigation\"}",
	                   "fields.reason", "required");
	expect_field_error("refuse", "{\"reason\": \"x\", \"legal_channel\": \"litigation\", "
	                   "\"colour\": \"red\"}", "fields.colour", "unknown");
	expect_field_error("refuse", "{\"reason\": 5, \"legal_channel\": \"litigation\"}",
	                   "fields.reason", "string");
	expect_field_error("refuse", "{\"reason\": \"x\", \"legal_channel\": \"court\"}",
	                   "fields.legal_channel", "court");
	expect_field_error("refuse", "{\"reason\": \"x\", \"legal_channel\": 1}",
	                   "fields.legal_channel", NULL);
	expect_field_error("extend", "{\"days\": 31, \"reason\": \"x\"}", "fields.days", "1 to 30");
	expect_field_error("extend", "{\"days\": 0, \"reason\": \"x\"}", "fields.days", "1 to 30");
	expect_field_error("extend", "{\"days\": \"5\", \"reason\": \"x\"}", "fields.days", "number");
	expect_field_error("extend", "{\"days\": 5.0, \"reason\": \"x\"}", "fields.days", "number");
	expect_field_error("forward", "{\"org_id\": true}", "fields.org_id", NULL);
	expect_field_error("forward", "{\"org_id\": 0}", "fields.org_id", NULL);
	expect_field_error("forward", "{\"org_id\": \"12\"}", "fields.org_id", "unit id");
	expect_field_error("forward", "{}", "fields.org_id", "required");

	pa_err_t err = { 0 };
	json_t *arr = json_array();
	assert_int_equal(wf_validate_fields(tr("accept"), arr, &err), PA_EINVAL);
	assert_string_equal(err.field, "fields");
	json_decref(arr);

	/* text length counts characters: 2000 汉字 (6000 bytes) fit in max 2000 */
	char *ok = repeat("信", 2000), *too_long = repeat("信", 2001);
	expect_fields_ok("refuse", json_pack("{s:s, s:s}", "reason", ok, "legal_channel", "other"));
	json_t *in = json_pack("{s:s, s:s}", "reason", too_long, "legal_channel", "other");
	err = (pa_err_t){ 0 };
	assert_int_equal(wf_validate_fields(tr("refuse"), in, &err), PA_EINVAL);
	assert_string_equal(err.field, "fields.reason");
	assert_non_null(strstr(err.detail, "2001 characters"));
	json_decref(in);
	free(ok);
	free(too_long);

	/* invalid UTF-8 (jansson only lets it in through the _nocheck calls) */
	static const char *const bad_utf8[] = {
		"\xff", "abc\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe4\xbf",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad_utf8); i++) {
		in = json_object();
		json_object_set_new(in, "reason", json_string_nocheck(bad_utf8[i]));
		json_object_set_new(in, "legal_channel", json_string("other"));
		err = (pa_err_t){ 0 };
		assert_int_equal(wf_validate_fields(tr("refuse"), in, &err), PA_EINVAL);
		assert_string_equal(err.field, "fields.reason");
		assert_non_null(strstr(err.detail, "UTF-8"));
		json_decref(in);
	}
	/* an embedded NUL */
	in = json_object();
	json_object_set_new(in, "reason", json_stringn("a\0b", 3));
	json_object_set_new(in, "legal_channel", json_string("other"));
	assert_int_equal(wf_validate_fields(tr("refuse"), in, &err), PA_EINVAL);
	assert_string_equal(err.field, "fields.reason");
	json_decref(in);
}

static const char date_def[] =
	"type: demo\n"
	"label: {zh: 演示}\n"
	"number_prefix: DM\n"
	"initial: open\n"
	"states:\n"
	"  open: {}\n"
	"  done: {terminal: true}\n"
	"transitions:\n"
	"  finish:\n"
	"    from: open\n"
	"    to: done\n"
	"    roles: [handler]\n"
	"    fields:\n"
	"      on: {type: date, required: true}\n"
	"      flag: {type: bool}\n"
	"      count: {type: int}\n";

static void test_validate_dates_bools(void **state)
{
	wf_def_t *def;
	pa_err_t err = { 0 };
	assert_int_equal(wf_load_buffer(date_def, strlen(date_def), "d.yaml", &def, &err), 0);
	const wf_transition_t *t = wf_find_transition(def, "finish");
	assert_int_equal(t->fields[2].min, INT32_MIN);
	assert_int_equal(t->fields[2].max, INT32_MAX);
	assert_false(t->fields[1].required);
	static const struct { const char *json; bool ok; } cases[] = {
		{ "{\"on\": \"2026-02-28\"}", true },
		{ "{\"on\": \"2024-02-29\"}", true },
		{ "{\"on\": \"2026-02-29\"}", false },
		{ "{\"on\": \"2026-13-01\"}", false },
		{ "{\"on\": \"2026-1-01\"}", false },
		{ "{\"on\": \"2026-01-01T00:00:00Z\"}", false },
		{ "{\"on\": 20260101}", false },
		{ "{\"on\": \"2026-04-31\"}", false },
		{ "{\"on\": \"2026-01-01\", \"flag\": true}", true },
		{ "{\"on\": \"2026-01-01\", \"flag\": 1}", false },
		{ "{\"on\": \"2026-01-01\", \"count\": 2147483648}", false },
		{ "{\"on\": \"2026-01-01\", \"count\": -2147483648}", true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *in = json_loads(cases[i].json, 0, NULL);
		assert_non_null(in);
		err = (pa_err_t){ 0 };
		int rc = wf_validate_fields(t, in, &err);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: expected %s, got %s", cases[i].json, cases[i].ok ? "ok" : "error",
			         err.detail);
		json_decref(in);
	}
	wf_def_free(def);
}

/* ------------------------------------------------------------------ */
/* Dues, windows, notices, JSON                                        */

static void test_state_due(void **state)
{
	calendar_t *cal = calendar_new(480);
	pa_time_t created = 1772416800;           /* 2026-03-02 10:00 +08:00, a Monday */
	pa_time_t entered = created + 5 * 86400;  /* entered handling five days later */
	pa_time_t due, want;

	assert_int_equal(wf_state_due(cal, st("registered"), created, entered, &due), 0);
	assert_int_equal(calendar_add(cal, created, 15, DUE_CALENDAR_DAYS, &want), 0);
	assert_true(due == want);
	assert_true(due > created + 14 * 86400 && due <= created + 17 * 86400);

	assert_int_equal(wf_state_due(cal, st("handling"), created, entered, &due), 0);
	assert_int_equal(calendar_add(cal, entered, 60, DUE_CALENDAR_DAYS, &want), 0);
	assert_true(due == want);
	assert_true(due >= entered + 59 * 86400);

	/* the anchor matters: registered counts from the case, not the state */
	pa_time_t later;
	assert_int_equal(wf_state_due(cal, st("registered"), created, created + 10 * 86400, &later), 0);
	assert_int_equal(wf_state_due(cal, st("registered"), created, created, &due), 0);
	assert_true(later == due);
	/* ... and handling from the state, not the case */
	assert_int_equal(wf_state_due(cal, st("handling"), created, created, &due), 0);
	assert_true(due < want);

	due = 123;
	assert_int_equal(wf_state_due(cal, st("closed"), created, entered, &due), 0);
	assert_true(due == 0);
	calendar_free(cal);
}

static void test_windows(void **state)
{
	calendar_t *cal = calendar_new(480);
	pa_time_t created = 1772416800, entered = created + 86400;
	pa_time_t end, want;

	/* object: 5 working days from entering `forwarded` */
	const wf_transition_t *t = tr("object");
	end = wf_window_end(cal, t, created, entered);
	assert_int_equal(calendar_add(cal, entered, 5, DUE_WORKING_DAYS, &want), 0);
	assert_true(end == want);
	assert_true(wf_window_open(cal, t, created, entered, entered));
	assert_true(wf_window_open(cal, t, created, entered, end));
	assert_false(wf_window_open(cal, t, created, entered, end + 1));

	/* request_review: 30 calendar days from the opinion */
	t = tr("request_review");
	end = wf_window_end(cal, t, created, entered);
	assert_int_equal(calendar_add(cal, entered, 30, DUE_CALENDAR_DAYS, &want), 0);
	assert_true(end == want);
	assert_true(wf_window_open(cal, t, created, entered, end - 3600));
	assert_false(wf_window_open(cal, t, created, entered, end + 1));

	/* no window: always open, no end */
	t = tr("accept");
	assert_true(wf_window_end(cal, t, created, entered) == 0);
	assert_true(wf_window_open(cal, t, created, entered, entered + 1000 * 86400));
	calendar_free(cal);
}

static const char notice_def[] =
	"type: demo\n"
	"label: {zh: 演示, en: Demo}\n"
	"number_prefix: DM\n"
	"initial: open\n"
	"states:\n"
	"  open: {}\n"
	"  done: {terminal: true}\n"
	"transitions:\n"
	"  finish:\n"
	"    from: open\n"
	"    to: done\n"
	"    roles: [handler]\n"
	"    notice: note\n"
	"    fields: {x: {type: text}, n: {type: int}, missing: {type: text}, flag: {type: bool}}\n"
	"notices:\n"
	"  note:\n"
	"    title: {zh: '{number}号通知', en: 'Notice {number}'}\n"
	"    body: {zh: 'A{{b}} {x}/{n}/{missing}/{flag}/{due} }', en: 'x={x}'}\n";

static void test_render_notice(void **state)
{
	wf_def_t *def;
	pa_err_t err = { 0 };
	int rc = wf_load_buffer(notice_def, strlen(notice_def), "n.yaml", &def, &err);
	if (rc)
		fail_msg("%s", err.detail);
	arena_t *a = arena_new();
	json_t *vars = json_pack("{s:s, s:s, s:i, s:b, s:n}", "number", "DM-2026-000001", "x", "X",
	                         "n", 5, "flag", 1, "due");
	char *title = NULL;
	char *body = wf_render_notice(a, wf_find_notice(def, "note"), "zh", vars, &title);
	assert_string_equal(title, "DM-2026-000001号通知");
	assert_string_equal(body, "A{b} X/5/// }");
	body = wf_render_notice(a, wf_find_notice(def, "note"), "en", vars, &title);
	assert_string_equal(title, "Notice DM-2026-000001");
	assert_string_equal(body, "x=X");
	body = wf_render_notice(a, wf_find_notice(def, "note"), "en", NULL, NULL);
	assert_string_equal(body, "x=");
	json_decref(vars);
	wf_def_free(def);

	/* the petition's refusal, with the enum's label as the case service passes it */
	vars = json_pack("{s:s, s:s, s:s, s:s}", "number", "XF-2026-000123", "title",
	                 "关于拆迁补偿的请求", "reason", "属于行政复议范围", "legal_channel", "行政复议");
	body = wf_render_notice(a, wf_find_notice(petition, "refusal"), "zh-CN", vars, &title);
	assert_string_equal(title, "信访事项不予受理告知书");
	assert_non_null(strstr(body, "XF-2026-000123"));
	assert_non_null(strstr(body, "关于拆迁补偿的请求"));
	assert_non_null(strstr(body, "理由：属于行政复议范围"));
	assert_non_null(strstr(body, "通过行政复议的法定途径"));
	assert_null(strstr(body, "{"));
	json_decref(vars);
	vars = json_pack("{s:s}", "legal_channel", "administrative review");
	body = wf_render_notice(a, wf_find_notice(petition, "refusal"), "en", vars, NULL);
	assert_non_null(strstr(body, "through administrative review"));
	json_decref(vars);

	/* opinion letters tell the petitioner about review; the re-review one is final */
	static const struct { const char *notice, *zh, *en; } letters[] = {
		{ "opinion", "30日内", "within 30 days" },
		{ "review_opinion", "30日内", "within 30 days" },
		{ "recheck_opinion", "终结", "final" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(letters); i++) {
		const wf_notice_t *n = wf_find_notice(petition, letters[i].notice);
		assert_non_null(strstr(wf_render_notice(a, n, "zh", NULL, NULL), letters[i].zh));
		assert_non_null(strstr(wf_render_notice(a, n, "en", NULL, NULL), letters[i].en));
	}
	arena_free(a);
}

static void test_def_to_json(void **state)
{
	json_t *j = wf_def_to_json(petition);
	assert_non_null(j);
	char *text = json_dumps(j, JSON_SORT_KEYS);
	json_decref(j);
	json_error_t jerr;
	j = json_loads(text, 0, &jerr);
	free(text);
	assert_non_null(j);

	assert_string_equal(json_string_value(json_object_get(j, "type")), "petition");
	assert_string_equal(json_string_value(json_object_get(j, "number_prefix")), "XF");
	assert_string_equal(json_string_value(json_object_get(j, "initial")), "registered");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "label"), "en")),
	                    "Petition");
	assert_int_equal(json_array_size(json_object_get(j, "categories")), 3);
	assert_int_equal(json_array_size(json_object_get(j, "states")), petition->nstates);

	json_t *trans = json_object_get(j, "transitions");
	assert_int_equal(json_array_size(trans), petition->ntransitions);
	for (size_t i = 0; i < ARRAY_SIZE(expected_transitions); i++) {
		json_t *found = NULL, *x;
		size_t k;
		json_array_foreach(trans, k, x)
			if (streq(json_string_value(json_object_get(x, "name")), expected_transitions[i].name))
				found = x;
		if (!found)
			fail_msg("transition %s missing from JSON", expected_transitions[i].name);
		const wf_transition_t *t = tr(expected_transitions[i].name);
		assert_string_equal(json_string_value(json_object_get(found, "to")), t->to);
		assert_int_equal(json_array_size(json_object_get(found, "from")), t->nfrom);
		assert_int_equal(json_array_size(json_object_get(found, "roles")), t->nroles);
		assert_int_equal(json_array_size(json_object_get(found, "fields")), t->nfields);
		assert_string_equal(json_string_value(json_object_get(found, "owner")), t->owner);
		assert_int_equal(json_is_true(json_object_get(found, "public")), t->public);
		assert_int_equal(json_is_true(json_object_get(found, "once")), t->once);
		assert_int_equal(!json_is_null(json_object_get(found, "window")), t->has_window);
		assert_int_equal(!json_is_null(json_object_get(found, "due_add")), t->has_due_add);
		static const char *const keys[] = { "label", "notice", "public_action" };
		for (size_t m = 0; m < ARRAY_SIZE(keys); m++)
			assert_non_null(json_object_get(found, keys[m]));
		if (streq(t->name, "extend")) {
			json_t *da = json_object_get(found, "due_add");
			assert_string_equal(json_string_value(json_object_get(da, "field")), "days");
			assert_string_equal(json_string_value(json_object_get(da, "unit")), "calendar_days");
			json_t *f0 = json_array_get(json_object_get(found, "fields"), 0);
			assert_int_equal(json_integer_value(json_object_get(f0, "min")), 1);
			assert_int_equal(json_integer_value(json_object_get(f0, "max")), 30);
			assert_string_equal(json_string_value(json_object_get(f0, "type")), "int");
			assert_true(json_is_true(json_object_get(f0, "required")));
		}
		if (streq(t->name, "object")) {
			json_t *w = json_object_get(found, "window");
			assert_int_equal(json_integer_value(json_object_get(w, "amount")), 5);
			assert_string_equal(json_string_value(json_object_get(w, "unit")), "working_days");
			assert_string_equal(json_string_value(json_object_get(w, "from")), "state");
		}
		if (streq(t->name, "refuse")) {
			json_t *f1 = json_array_get(json_object_get(found, "fields"), 1);
			json_t *values = json_object_get(f1, "values");
			assert_int_equal(json_array_size(values), 6);
			assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_array_get(values, 0), "label"), "zh")), "诉讼");
		}
	}
	json_t *s0 = json_array_get(json_object_get(j, "states"), 0);
	assert_string_equal(json_string_value(json_object_get(s0, "name")), "registered");
	assert_string_equal(json_string_value(json_object_get(json_object_get(s0, "due"), "from")),
	                    "case");
	json_t *closed = json_array_get(json_object_get(j, "states"), 9);
	assert_true(json_is_null(json_object_get(closed, "due")));
	assert_true(json_is_true(json_object_get(closed, "terminal")));
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Registry                                                            */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_registry(void **state)
{
	const char *src = getenv("PINGAN_SOURCE_DIR");
	char dir[4096];
	wf_registry_t *reg;
	pa_err_t err = { 0 };
	snprintf(dir, sizeof(dir), "%s/workflows", src ? src : ".");
	int rc = wf_registry_load_dir(dir, &reg, &err);
	if (rc)
		fail_msg("%s", err.detail);
	assert_non_null(wf_registry_find(reg, "petition"));
	assert_null(wf_registry_find(reg, "nope"));
	wf_registry_free(reg);

	char tmp[] = "/tmp/test_workflow.XXXXXX";
	assert_non_null(mkdtemp(tmp));
	char a[4200], b[4200], c[4200];
	snprintf(a, sizeof(a), "%s/a.yaml", tmp);
	snprintf(b, sizeof(b), "%s/b.yaml", tmp);
	snprintf(c, sizeof(c), "%s/notes.txt", tmp);
	write_file(a, date_def);
	write_file(c, "not a definition");
	rc = wf_registry_load_dir(tmp, &reg, &err);
	assert_int_equal(rc, 0);
	assert_int_equal(reg->ndefs, 1);
	wf_registry_free(reg);

	write_file(b, date_def);
	err = (pa_err_t){ 0 };
	assert_int_equal(wf_registry_load_dir(tmp, &reg, &err), PA_EINVAL);
	assert_null(reg);
	assert_non_null(strstr(err.detail, "a.yaml"));
	assert_non_null(strstr(err.detail, "b.yaml"));
	assert_non_null(strstr(err.detail, "'demo'"));

	write_file(b, "type: [\n");
	assert_int_equal(wf_registry_load_dir(tmp, &reg, &err), PA_EINVAL);
	assert_non_null(strstr(err.detail, "b.yaml:"));

	unlink(a);
	unlink(b);
	unlink(c);
	rmdir(tmp);
	assert_int_equal(wf_registry_load_dir(tmp, &reg, &err), PA_EIO);
}

/* ------------------------------------------------------------------ */
/* Definition errors                                                   */

/* A small valid definition; the error tests below change one thing. */
#define HEAD \
	"type: demo\n" \
	"label: {zh: 演示, en: Demo}\n" \
	"number_prefix: DM\n" \
	"initial: open\n"

static const char valid_def[] =
	HEAD
	"states:\n"
	"  open:\n"
	"    due: {amount: 5, unit: working_days, basis: \"第5条\"}\n"
	"  done: {terminal: true}\n"
	"transitions:\n"
	"  finish:\n"
	"    from: [open]\n"
	"    to: done\n"
	"    roles: [handler]\n";

/* Loads `yaml` as "t.yaml"; the error must contain each non-NULL string. */
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

static void test_valid_minimal(void **state)
{
	wf_def_t *def;
	pa_err_t err = { 0 };
	int rc = wf_load_buffer(valid_def, strlen(valid_def), "t.yaml", &def, &err);
	if (rc)
		fail_msg("%s", err.detail);
	const wf_transition_t *t = wf_find_transition(def, "finish");
	assert_false(t->public);
	assert_false(t->once);
	assert_string_equal(t->owner, "keep");
	assert_null(t->notice);
	assert_string_equal(t->label.zh, "finish"); /* no label: the name stands in */
	assert_int_equal(def->ncategories, 0);
	assert_int_equal(def->nnotices, 0);
	assert_string_equal(def->source, "t.yaml");
	assert_int_equal(wf_find_state(def, "open")->due.from, WF_FROM_STATE);
	wf_def_free(def);
}

static void test_err_unknown_state_in_to(void **state)
{
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open: {}\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish:\n"
	                 "    from: [open]\n"
	                 "    to: handled\n"
	                 "    roles: [handler]\n",
	                 "transitions.finish.to", "t.yaml:11:9: transitions.finish.to: ",
	                 "unknown state 'handled'");
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open: {}\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish:\n"
	                 "    from: [open, nowhere]\n"
	                 "    to: done\n"
	                 "    roles: [handler]\n",
	                 "transitions.finish.from", "t.yaml:10:18:", "unknown state 'nowhere'");
}

static void test_err_missing_to_and_from(void **state)
{
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: [open]\n    roles: [handler]\n",
	                 "transitions.finish.to", "t.yaml:10:5:", "is required");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: []\n    to: done\n    roles: [handler]\n",
	                 "transitions.finish.from", "t.yaml:10:11:", "is empty");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    to: done\n    roles: [handler]\n",
	                 "transitions.finish.from", NULL, "is required");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: [open, open]\n    to: done\n"
	                 "    roles: [handler]\n",
	                 "transitions.finish.from", NULL, "listed twice");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: [open]\n    to: done\n"
	                 "    roles: [handler]\n"
	                 "  reopen:\n    from: [done]\n    to: open\n    roles: [handler]\n",
	                 "transitions.reopen.from", NULL, "'done' is terminal");
}

static void test_err_initial(void **state)
{
	expect_def_error("type: demo\nlabel: {zh: 演示}\nnumber_prefix: DM\n"
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: open, to: done, roles: [handler]}\n",
	                 "initial", "t.yaml:1:1: initial: ", "is required");
	expect_def_error("type: demo\nlabel: {zh: 演示}\nnumber_prefix: DM\ninitial: start\n"
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: open, to: done, roles: [handler]}\n",
	                 "initial", "t.yaml:4:10:", "unknown state 'start'");
}

static void test_err_unreachable(void **state)
{
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open: {}\n"
	                 "  limbo: {}\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open, limbo], to: done, roles: [handler]}\n",
	                 "states.limbo", "t.yaml:7:3:", "unreachable");
	/* reached only from a state that is itself unreachable */
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open: {}\n"
	                 "  a: {}\n"
	                 "  b: {}\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open, a, b], to: done, roles: [handler]}\n"
	                 "  ab: {from: [a], to: b, roles: [handler]}\n"
	                 "  ba: {from: [b], to: a, roles: [handler]}\n",
	                 "states.a", NULL, "unreachable");
}

static void test_err_dead_end(void **state)
{
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open: {}\n"
	                 "  stuck: {}\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler]}\n"
	                 "  park: {from: [open], to: stuck, roles: [handler]}\n"
	                 "  poke: {from: [stuck], to: stuck, roles: [handler]}\n",
	                 "states.stuck", "t.yaml:7:3:", "no way out");
	/* a loop with no exit to a terminal state */
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open: {}\n"
	                 "  a: {}\n"
	                 "  b: {}\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler]}\n"
	                 "  go: {from: [open], to: a, roles: [handler]}\n"
	                 "  ab: {from: [a], to: b, roles: [handler]}\n"
	                 "  ba: {from: [b], to: a, roles: [handler]}\n",
	                 "states.a", NULL, "never reach a terminal state");
}

static void test_err_no_roles(void **state)
{
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: [open]\n    to: done\n    roles: []\n",
	                 "transitions.finish.roles", "t.yaml:12:12:", "no roles");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: [open]\n    to: done\n",
	                 "transitions.finish.roles", "t.yaml:9:3:", "no roles");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: [open]\n    to: done\n"
	                 "    roles: [handler, janitor]\n",
	                 "transitions.finish.roles", "t.yaml:12:22:", "unknown role 'janitor'");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish:\n    from: [open]\n    to: done\n"
	                 "    roles: [handler, handler]\n",
	                 "transitions.finish.roles", NULL, "listed twice");
}

#define TIMEOUT_STATES \
	"states:\n" \
	"  open:\n" \
	"    due: {amount: 5, unit: calendar_days}\n" \
	"    timeout: %s\n" \
	"  done: {terminal: true}\n"

static void expect_timeout_error(const char *timeout, const char *transitions, const char *msg)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml), HEAD TIMEOUT_STATES "transitions:\n%s", timeout, transitions);
	expect_def_error(yaml, "states.open.timeout", "t.yaml:8:14:", msg);
}

static void test_err_bad_timeout(void **state)
{
	static const char ok_close[] =
		"  finish: {from: [open], to: done, roles: [handler]}\n"
		"  expire: {from: [open], to: done, roles: [system]}\n"
		"  touch: {from: [open], to: open, roles: [system]}\n";
	/* the good case loads */
	char yaml[2048];
	snprintf(yaml, sizeof(yaml), HEAD TIMEOUT_STATES "transitions:\n%s", "expire", ok_close);
	wf_def_t *def;
	pa_err_t err = { 0 };
	assert_int_equal(wf_load_buffer(yaml, strlen(yaml), "t.yaml", &def, &err), 0);
	assert_string_equal(wf_find_state(def, "open")->timeout, "expire");
	wf_def_free(def);

	expect_timeout_error("finish", ok_close, "lacks the role 'system'");
	expect_timeout_error("touch", ok_close, "does not leave state 'open'");
	expect_timeout_error("vanish", ok_close, "unknown transition 'vanish'");

	/* a timeout naming a transition from another state */
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open:\n"
	                 "    due: {amount: 5, unit: calendar_days}\n"
	                 "    timeout: expire\n"
	                 "  waiting: {}\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: waiting, roles: [handler]}\n"
	                 "  expire: {from: [waiting], to: done, roles: [system]}\n",
	                 "states.open.timeout", "t.yaml:8:14:", "does not leave state 'open'");

	/* a timeout without a due */
	expect_def_error(HEAD
	                 "states:\n"
	                 "  open:\n"
	                 "    timeout: expire\n"
	                 "  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  expire: {from: [open], to: done, roles: [system]}\n",
	                 "states.open.timeout", "t.yaml:7:5:", "no due");
}

static void test_err_bad_due(void **state)
{
	static const struct { const char *due, *field, *msg; } cases[] = {
		{ "{amount: 5, unit: fortnights}", "states.open.due.unit", "unknown unit 'fortnights'" },
		{ "{amount: 0, unit: calendar_days}", "states.open.due.amount", "out of range" },
		{ "{amount: 3651, unit: calendar_days}", "states.open.due.amount", "out of range" },
		{ "{amount: -1, unit: calendar_days}", "states.open.due.amount", "out of range" },
		{ "{amount: five, unit: calendar_days}", "states.open.due.amount", "whole number" },
		{ "{amount: 99999999999999999999, unit: calendar_days}", "states.open.due.amount",
		  "out of range" },
		{ "{unit: calendar_days}", "states.open.due.amount", "is required" },
		{ "{amount: 5}", "states.open.due.unit", "is required" },
		{ "{amount: 5, unit: calendar_days, from: birth}", "states.open.due.from",
		  "expected case or state" },
		{ "{amount: 5, unit: calendar_days, days: 5}", "states.open.due.days", "unknown key" },
		{ "15", "states.open.due", "expected a mapping" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml),
		         HEAD "states:\n  open:\n    due: %s\n  done: {terminal: true}\n"
		         "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
		         cases[i].due);
		expect_def_error(yaml, cases[i].field, "t.yaml:7:", cases[i].msg);
	}
	/* a terminal state has no due */
	expect_def_error(HEAD "states:\n  open: {}\n"
	                 "  done: {terminal: true, due: {amount: 5, unit: calendar_days}}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "states.done.due", NULL, "terminal");
	/* windows are checked the same way */
	expect_def_error(HEAD "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler],\n"
	                 "    window: {amount: 5, unit: weeks}}\n",
	                 "transitions.finish.window.unit", "t.yaml:10:31:", "unknown unit 'weeks'");
}

static void test_err_duplicate_category(void **state)
{
	expect_def_error(HEAD
	                 "categories:\n"
	                 "  - {code: noise, label: {zh: 噪音}}\n"
	                 "  - {code: noise, label: {zh: 噪声}}\n"
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "categories[1].code", "t.yaml:7:12:", "duplicate category code 'noise'");
	expect_def_error(HEAD
	                 "categories:\n"
	                 "  - {code: noise}\n"
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "categories[0].label", NULL, "is required");
}

static void test_err_undefined_notice(void **state)
{
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler], notice: farewell}\n",
	                 "transitions.finish.notice", "t.yaml:9:62:",
	                 "notice 'farewell' is not defined");
}

static void test_err_unknown_placeholder(void **state)
{
	static const char body[] =
		HEAD
		"states:\n  open: {}\n  done: {terminal: true}\n"
		"transitions:\n"
		"  finish: {from: [open], to: done, roles: [handler], notice: bye,\n"
		"           fields: {reason: {type: text}}}\n"
		"  drop: {from: [open], to: done, roles: [handler], notice: bye}\n"
		"notices:\n"
		"  bye:\n"
		"    title: {zh: 通知}\n"
		"    body: {zh: '{number}: {reason}'}\n";
	/* drop has no field `reason` */
	expect_def_error(body, "notices.bye.body.zh", "t.yaml:15:16:",
	                 "placeholder {reason} is neither built in");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler], notice: bye}\n"
	                 "notices:\n"
	                 "  bye: {title: {zh: '通知 {nubmer}'}, body: {zh: 'x'}}\n",
	                 "notices.bye.title.zh", NULL, "placeholder {nubmer}");
	/* malformed placeholders */
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler], notice: bye}\n"
	                 "notices:\n"
	                 "  bye: {title: {zh: '通知'}, body: {zh: '编号 {number'}}\n",
	                 "notices.bye.body.zh", NULL, "bad placeholder");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler], notice: bye}\n"
	                 "notices:\n"
	                 "  bye: {title: {zh: '通知'}, body: {zh: '编号 {Number}'}}\n",
	                 "notices.bye.body.zh", NULL, "bad placeholder");
	/* an unused notice can only use built-ins */
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler]}\n"
	                 "notices:\n"
	                 "  bye: {title: {zh: '通知'}, body: {zh: '{reason}'}}\n",
	                 "notices.bye.body.zh", NULL, "no transition sends");
	/* notices need a title and a body */
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [handler]}\n"
	                 "notices:\n"
	                 "  bye: {title: {zh: '通知'}}\n",
	                 "notices.bye.body", NULL, "is required");
}

static void test_err_unknown_key(void **state)
{
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish:\n"
	                 "    from: [open]\n"
	                 "    too: done\n"
	                 "    roles: [handler]\n",
	                 "transitions.finish.too", "t.yaml:11:5:", "unknown key 'too'");
	expect_def_error(HEAD "colour: red\n"
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "colour", "t.yaml:5:1: colour: ", "unknown key 'colour'");
	expect_def_error(HEAD
	                 "states:\n  open: {terminus: true}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "states.open.terminus", "t.yaml:6:10:", "unknown key 'terminus'");
	/* YAML merge keys are not supported: an unknown key, not a silent merge */
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {<<: {from: [open]}, to: done, roles: [handler]}\n",
	                 "transitions.finish.<<", NULL, "unknown key '<<'");
}

static void test_err_duplicate_key(void **state)
{
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish:\n"
	                 "    from: [open]\n"
	                 "    to: done\n"
	                 "    roles: [handler]\n"
	                 "    to: open\n",
	                 "transitions.finish.to", "t.yaml:13:5:", "duplicate key 'to' (first at line 11)");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n  open: {}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "states.open", "t.yaml:8:3:", "duplicate key 'open'");
	expect_def_error(HEAD "type: other\n"
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "type", "t.yaml:5:1:", "duplicate key 'type'");
	expect_def_error(HEAD
	                 "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: done, roles: [handler],\n"
	                 "    fields: {a: {type: text}, a: {type: int}}}\n",
	                 "transitions.finish.fields.a", NULL, "duplicate key 'a'");
}

static void test_err_not_yaml(void **state)
{
	expect_def_error("type: petition\nstates: [open,\n  done: x\n", "", "t.yaml:4:1:",
	                 "not YAML");
	expect_def_error("type: petition\n\tlabel: x\n", "", "t.yaml:2:", "not YAML");
	expect_def_error("type: \"unterminated\n", "", "t.yaml:", "not YAML");
	expect_def_error("a: *nothing\n", "", "t.yaml:1:4:", "not YAML");
	expect_def_error("type: x\xff\n", "", "t.yaml:1:8:", "not YAML");
	expect_def_error("", "", "t.yaml:1:1:", "no definition");
	expect_def_error("# only a comment\n", "", "t.yaml:1:1:", "no definition");
	expect_def_error("just words", "", "t.yaml:1:1:", "expected a mapping");
	expect_def_error("- a\n- b\n", "", "t.yaml:1:1:", "expected a mapping");
	char two[2048];
	snprintf(two, sizeof(two), "%s---\n%s", valid_def, valid_def);
	expect_def_error(two, "", "t.yaml:15:1:", "one YAML document");

	char *big = malloc(WF_MAX_FILE + 2);
	memset(big, '#', WF_MAX_FILE + 1);
	big[WF_MAX_FILE + 1] = '\0';
	expect_def_error(big, "", "t.yaml:", "larger than");
	free(big);
}

static void test_err_fields(void **state)
{
	static const struct { const char *fields, *field, *msg; } cases[] = {
		{ "{a: {type: blob}}", "transitions.finish.fields.a.type", "unknown field type 'blob'" },
		{ "{a: {required: true}}", "transitions.finish.fields.a.type", "is required" },
		{ "{a: {type: text, min: 1}}", "transitions.finish.fields.a.min", "does not apply" },
		{ "{a: {type: text, max: 0}}", "transitions.finish.fields.a.max", "out of range" },
		{ "{a: {type: int, min: 5, max: 1}}", "transitions.finish.fields.a.max", "below min" },
		{ "{a: {type: int, max: 2147483648}}", "transitions.finish.fields.a.max", "out of range" },
		{ "{a: {type: bool, max: 1}}", "transitions.finish.fields.a.max", "does not apply" },
		{ "{a: {type: enum}}", "transitions.finish.fields.a.values", "is required" },
		{ "{a: {type: enum, values: []}}", "transitions.finish.fields.a.values", "at least one" },
		{ "{a: {type: enum, values: [{code: x, label: {zh: 甲}}, {code: x, label: {zh: 乙}}]}}",
		  "transitions.finish.fields.a.values[1].code", "duplicate value code 'x'" },
		{ "{a: {type: enum, values: [{code: x}]}}", "transitions.finish.fields.a.values[0].label",
		  "is required" },
		{ "{a: {type: text, values: [{code: x, label: {zh: 甲}}]}}",
		  "transitions.finish.fields.a.values", "enum fields only" },
		{ "{a: {type: text, required: yes}}", "transitions.finish.fields.a.required",
		  "true or false" },
		{ "{date: {type: date}}", "transitions.finish.fields.date", "reserved" },
		{ "{Reason: {type: text}}", "transitions.finish.fields", "not a valid name" },
		{ "[reason]", "transitions.finish.fields", "expected a mapping" },
		{ "{a: {type: text, label: 说明}}", "transitions.finish.fields.a.label", "expected a mapping" },
		{ "{a: {type: text, label: {}}}", "transitions.finish.fields.a.label", "needs zh" },
		{ "{a: {type: text, label: {zh: ''}}}", "transitions.finish.fields.a.label.zh", "empty" },
		{ "{a: {type: text, label: {fr: texte}}}", "transitions.finish.fields.a.label.fr",
		  "unknown key 'fr'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml),
		         HEAD "states:\n  open: {}\n  done: {terminal: true}\n"
		         "transitions:\n  finish:\n    from: [open]\n    to: done\n    roles: [handler]\n"
		         "    fields: %s\n", cases[i].fields);
		expect_def_error(yaml, cases[i].field, "t.yaml:13:", cases[i].msg);
	}
}

static void test_err_owner_due_add_action(void **state)
{
	static const struct { const char *extra, *field, *msg; } cases[] = {
		{ "owner: boss", "transitions.finish.owner", "unknown owner 'boss'" },
		{ "owner: 'field:missing'", "transitions.finish.owner", "not an org field" },
		{ "owner: 'field:n'", "transitions.finish.owner", "not an org field" },
		{ "owner: 'field:org_opt'", "transitions.finish.owner", "must be required" },
		{ "owner: 'kind:bakery'", "transitions.finish.owner", "unknown unit kind 'bakery'" },
		{ "due_add: {field: note, unit: calendar_days}", "transitions.finish.due_add.field",
		  "not an int field" },
		{ "due_add: {field: missing, unit: calendar_days}", "transitions.finish.due_add.field",
		  "not an int field" },
		{ "due_add: {field: wide, unit: calendar_days}", "transitions.finish.due_add.field",
		  "max <= 3650" },
		{ "due_add: {field: n, amount: 3, unit: calendar_days}", "transitions.finish.due_add",
		  "exactly one" },
		{ "due_add: {unit: calendar_days}", "transitions.finish.due_add", "exactly one" },
		{ "due_add: {field: n}", "transitions.finish.due_add.unit", "is required" },
		{ "public_action: review", "transitions.finish.public_action", "role 'public'" },
		{ "once: 1", "transitions.finish.once", "true or false" },
		{ "notice: Bye", "transitions.finish.notice", "not a valid name" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char yaml[2048];
		snprintf(yaml, sizeof(yaml),
		         HEAD "states:\n  open: {due: {amount: 3, unit: working_days}}\n"
		         "  done: {terminal: true}\n"
		         "transitions:\n  finish:\n    from: [open]\n    to: open\n    roles: [handler]\n"
		         "    fields:\n"
		         "      org: {type: org, required: true}\n"
		         "      org_opt: {type: org}\n"
		         "      n: {type: int, min: 1, max: 10, required: true}\n"
		         "      wide: {type: int, required: true}\n"
		         "      note: {type: text}\n"
		         "    %s\n"
		         "  end: {from: [open], to: done, roles: [handler]}\n", cases[i].extra);
		expect_def_error(yaml, cases[i].field, "t.yaml:19:", cases[i].msg);
	}
	/* the same transition with good values loads */
	static const char *const good[] = {
		"owner: 'field:org'", "owner: 'kind:court'", "owner: superior", "owner: intake",
		"due_add: {field: n, unit: working_days}", "due_add: {amount: 10, unit: calendar_days}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char yaml[2048];
		snprintf(yaml, sizeof(yaml),
		         HEAD "states:\n  open: {due: {amount: 3, unit: working_days}}\n"
		         "  done: {terminal: true}\n"
		         "transitions:\n  finish:\n    from: [open]\n    to: open\n    roles: [handler]\n"
		         "    fields:\n"
		         "      org: {type: org, required: true}\n"
		         "      n: {type: int, min: 1, max: 10, required: true}\n"
		         "    %s\n"
		         "  end: {from: [open], to: done, roles: [handler]}\n", good[i]);
		wf_def_t *def;
		pa_err_t err = { 0 };
		if (wf_load_buffer(yaml, strlen(yaml), "t.yaml", &def, &err))
			fail_msg("%s: %s", good[i], err.detail);
		wf_def_free(def);
	}
	/* due_add into a state with no due */
	expect_def_error(HEAD "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n  finish: {from: [open], to: open, roles: [handler],\n"
	                 "    due_add: {amount: 3, unit: calendar_days}}\n"
	                 "  end: {from: [open], to: done, roles: [handler]}\n",
	                 "transitions.finish.due_add", NULL, "no due to extend");
	/* one public action performed by two transitions in one state */
	expect_def_error(HEAD "states:\n  open: {}\n  done: {terminal: true}\n"
	                 "transitions:\n"
	                 "  finish: {from: [open], to: done, roles: [public], public_action: go}\n"
	                 "  end: {from: [open], to: done, roles: [public], public_action: go}\n",
	                 "transitions.end.public_action", "t.yaml:10:65:", "ambiguous");
}

static void test_err_names_and_values(void **state)
{
	expect_def_error("type: Demo\nlabel: {zh: x}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {open: {}}\ntransitions: {}\n",
	                 "type", "t.yaml:1:7:", "not a valid name");
	expect_def_error("type: demo\nlabel: {zh: x}\nnumber_prefix: dm\ninitial: open\n"
	                 "states: {open: {}}\ntransitions: {}\n",
	                 "number_prefix", "t.yaml:3:16:", "not a valid prefix");
	expect_def_error("type: demo\nlabel: {zh: x}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {}\ntransitions: {}\n",
	                 "states", "t.yaml:5:9:", "no states");
	expect_def_error("type: demo\nlabel: {zh: x}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {open: {}}\ntransitions: {}\n",
	                 "transitions", "t.yaml:6:14:", "no transitions");
	expect_def_error("type: demo\nlabel: {zh: x}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {open: {terminal: maybe}}\ntransitions: {}\n",
	                 "states.open.terminal", "t.yaml:5:27:", "true or false");
	expect_def_error("type: demo\nlabel: {zh: \"a\\0b\"}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {open: {}}\ntransitions: {}\n",
	                 "label.zh", "t.yaml:2:13:", "NUL");
	expect_def_error("type: demo\nlabel: {zh: x}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {open: {}}\ntransitions: {}\ncategories: {a: b}\n",
	                 "categories", "t.yaml:7:13:", "expected a list");
	expect_def_error("type: demo\nlabel: {zh: x}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {open: {}}\ntransitions: {}\ncategories: [{code: 'a b', label: {zh: x}}]\n",
	                 "categories[0].code", NULL, "not a valid code");
	expect_def_error("type: demo\nlabel: {zh: x}\nnumber_prefix: DM\ninitial: open\n"
	                 "states: {open: {}}\ntransitions: {}\n[a]: b\n",
	                 "", "t.yaml:7:1:", "expected a single value");
}

/* Every WF_MAX_* limit: one past it is refused, the limit itself is fine. */
static char *many_states(size_t n)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb, HEAD "states:\n  open: {}\n");
	for (size_t i = 1; i + 1 < n; i++)
		strbuf_addf(&sb, "  s%zu: {}\n", i);
	strbuf_addf(&sb, "  done: {terminal: true}\ntransitions:\n");
	strbuf_addf(&sb, "  finish: {from: [open");
	for (size_t i = 1; i + 1 < n; i++)
		strbuf_addf(&sb, ", s%zu", i);
	strbuf_addf(&sb, "], to: done, roles: [handler]}\n");
	for (size_t i = 1; i + 1 < n; i++)
		strbuf_addf(&sb, "  to_s%zu: {from: [open], to: s%zu, roles: [handler]}\n", i, i);
	return strbuf_detach(&sb, NULL);
}

static char *many_transitions(size_t n)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb, HEAD "states:\n  open: {}\n  done: {terminal: true}\ntransitions:\n");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "  t%zu: {from: [open], to: done, roles: [handler]}\n", i);
	return strbuf_detach(&sb, NULL);
}

static char *many_fields(size_t n)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb, HEAD "states:\n  open: {}\n  done: {terminal: true}\ntransitions:\n"
	            "  finish:\n    from: [open]\n    to: done\n    roles: [handler]\n    fields:\n");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "      f%zu: {type: text}\n", i);
	return strbuf_detach(&sb, NULL);
}

static char *many_categories(size_t n)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb, HEAD "states:\n  open: {}\n  done: {terminal: true}\ntransitions:\n"
	            "  finish: {from: [open], to: done, roles: [handler]}\ncategories:\n");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "  - {code: '%04zu', label: {zh: 类%zu}}\n", i, i);
	return strbuf_detach(&sb, NULL);
}

static void test_limits(void **state)
{
	static const struct {
		char *(*make)(size_t);
		size_t max;
		const char *field;
	} limits[] = {
		{ many_states, WF_MAX_STATES, "states" },
		{ many_transitions, WF_MAX_TRANSITIONS, "transitions" },
		{ many_fields, WF_MAX_FIELDS, "transitions.finish.fields" },
		{ many_categories, WF_MAX_CATEGORIES, "categories" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		char *yaml = limits[i].make(limits[i].max);
		wf_def_t *def;
		pa_err_t err = { 0 };
		if (wf_load_buffer(yaml, strlen(yaml), "t.yaml", &def, &err))
			fail_msg("%s at the limit: %s", limits[i].field, err.detail);
		wf_def_free(def);
		free(yaml);
		yaml = limits[i].make(limits[i].max + 1);
		expect_def_error(yaml, limits[i].field, "t.yaml:", "too many");
		free(yaml);
	}
}

/* Aliases may share a block of fields; a cycle through an alias is harmless. */
static void test_aliases(void **state)
{
	static const char shared[] =
		HEAD
		"states:\n  open: {}\n  done: {terminal: true}\n"
		"transitions:\n"
		"  finish: {from: [open], to: done, roles: [handler], fields: &f {why: {type: text, required: true}}}\n"
		"  drop: {from: [open], to: done, roles: [handler], fields: *f}\n";
	wf_def_t *def;
	pa_err_t err = { 0 };
	if (wf_load_buffer(shared, strlen(shared), "t.yaml", &def, &err))
		fail_msg("%s", err.detail);
	assert_string_equal(wf_find_transition(def, "drop")->fields[0].name, "why");
	wf_def_free(def);

	expect_def_error(HEAD "states: &s {open: *s}\ntransitions: {}\n", "states.open.open",
	                 "t.yaml:5:13:", "unknown key 'open'");
}

/* Inputs built to make the loader slow or huge are refused quickly. */
static void test_err_expansion(void **state)
{
	/* "billion laughs": 128 x 34 aliases to one 500 KB label */
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb, "type: demo\nlabel: {zh: &s \"");
	for (int i = 0; i < 500000; i++)
		strbuf_addch(&sb, 'A');
	strbuf_addf(&sb, "\"}\nnumber_prefix: DM\ninitial: open\n"
	            "states:\n  open: {}\n  done: {terminal: true}\ntransitions:\n");
	for (int t = 0; t < WF_MAX_TRANSITIONS; t++) {
		strbuf_addf(&sb, "  t%d: {from: [open], to: done, roles: [handler], "
		            "label: {zh: *s, en: *s}, fields: {", t);
		for (int f = 0; f < WF_MAX_FIELDS; f++)
			strbuf_addf(&sb, "%sf%d: {type: text, label: {zh: *s, en: *s}}", f ? ", " : "", f);
		strbuf_addf(&sb, "}}\n");
	}
	expect_def_error(sb.buf, NULL, "t.yaml:2:13:", "too large once its aliases");
	strbuf_release(&sb);

	/* deep flow nesting (libyaml's scanner is quadratic in it) */
	char *deep = malloc(200002 + 16);
	size_t n = 0;
	n += (size_t)snprintf(deep, 16, "type: ");
	for (int i = 0; i < 100000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 100000; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	expect_def_error(deep, "", "t.yaml:1:", "nested more than 32 levels");
	free(deep);

	/* an over-long notice template */
	char *body = repeat("x", 40000);
	strbuf_addf(&sb, HEAD "states:\n  open: {}\n  done: {terminal: true}\n"
	            "transitions:\n  finish: {from: [open], to: done, roles: [handler]}\n"
	            "notices:\n  bye: {title: {zh: x}, body: {zh: '%s'}}\n", body);
	expect_def_error(sb.buf, "notices.bye.body.zh", "t.yaml:11:36:", "longer than 32768 bytes");
	strbuf_release(&sb);
	free(body);
}

int main(void)
{
	const struct CMUnitTest petition_tests[] = {
		cmocka_unit_test(test_petition_shape),
		cmocka_unit_test(test_petition_from_states),
		cmocka_unit_test(test_petition_roles),
		cmocka_unit_test(test_petition_states),
		cmocka_unit_test(test_petition_flags),
		cmocka_unit_test(test_petition_fields),
		cmocka_unit_test(test_validate_fields),
		cmocka_unit_test(test_validate_dates_bools),
		cmocka_unit_test(test_state_due),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_render_notice),
		cmocka_unit_test(test_def_to_json),
		cmocka_unit_test(test_registry),
	};
	const struct CMUnitTest definition_tests[] = {
		cmocka_unit_test(test_valid_minimal),
		cmocka_unit_test(test_err_unknown_state_in_to),
		cmocka_unit_test(test_err_missing_to_and_from),
		cmocka_unit_test(test_err_initial),
		cmocka_unit_test(test_err_unreachable),
		cmocka_unit_test(test_err_dead_end),
		cmocka_unit_test(test_err_no_roles),
		cmocka_unit_test(test_err_bad_timeout),
		cmocka_unit_test(test_err_bad_due),
		cmocka_unit_test(test_err_duplicate_category),
		cmocka_unit_test(test_err_undefined_notice),
		cmocka_unit_test(test_err_unknown_placeholder),
		cmocka_unit_test(test_err_unknown_key),
		cmocka_unit_test(test_err_duplicate_key),
		cmocka_unit_test(test_err_not_yaml),
		cmocka_unit_test(test_err_fields),
		cmocka_unit_test(test_err_owner_due_add_action),
		cmocka_unit_test(test_err_names_and_values),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_err_expansion),
	};
	int failed = cmocka_run_group_tests_name("petition.yaml", petition_tests, load_petition,
	                                         free_petition);
	failed += cmocka_run_group_tests_name("definition errors", definition_tests, NULL, NULL);
	return failed ? 1 : 0;
}
