/*
 * test_workflow_records.c — the definition keys for records, approvals,
 * hand-over and participants (src/core/workflow.c), and the dispute and
 * joint_case definitions against PROCEDURES.md.
 *
 * First half: workflows/dispute.yaml and workflows/joint_case.yaml, table by
 * table (every transition's from-states and roles, every state's limit, the
 * records each step requires, the approvals), and the hand-over between
 * petition.yaml and dispute.yaml as the registry loads them.  Second half:
 * each new rule rejects a small inline definition with a message naming the
 * place, and the registry's cross-definition checks name the file.
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

static wf_registry_t *reg;
static const wf_def_t *dispute, *joint, *petition;

static int load_registry(void **state)
{
	const char *dir = getenv("PINGAN_SOURCE_DIR");
	char path[4096];
	pa_err_t err = { 0 };
	snprintf(path, sizeof(path), "%s/workflows", dir ? dir : ".");
	if (wf_registry_load_dir(path, &reg, &err)) {
		fprintf(stderr, "cannot load %s: %s\n", path, err.detail);
		return -1;
	}
	dispute = wf_registry_find(reg, "dispute");
	joint = wf_registry_find(reg, "joint_case");
	petition = wf_registry_find(reg, "petition");
	return dispute && joint && petition ? 0 : -1;
}

static int free_registry(void **state)
{
	wf_registry_free(reg);
	reg = NULL;
	return 0;
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

static const char *const all_roles[] = {
	"public", "system", "intake", "handler", "mediator", "grid_worker",
	"supervisor", "leader", "admin", "auditor",
};

typedef struct {
	const char *name, *from, *to, *roles, *requires, *approval;
} want_transition_t;

typedef struct {
	const char *name;
	int amount;
	due_unit_t unit;
	const char *timeout;
	bool terminal;
} want_state_t;

/* The definition has exactly these transitions, each from exactly its
 * states, by exactly its roles, requiring exactly its records. */
static void check_transitions(const wf_def_t *def, const want_transition_t *want, size_t n)
{
	assert_int_equal(def->ntransitions, n);
	for (size_t i = 0; i < n; i++) {
		const wf_transition_t *t = wf_find_transition(def, want[i].name);
		if (!t)
			fail_msg("%s: transition %s missing", def->type, want[i].name);
		assert_string_equal(t->to, want[i].to);
		for (size_t s = 0; s < def->nstates; s++) {
			bool w = in_csv(want[i].from, def->states[s].name);
			if (wf_transition_leaves(t, def->states[s].name) != w)
				fail_msg("%s.%s from %s: expected %s", def->type, t->name, def->states[s].name,
				         w ? "allowed" : "forbidden");
		}
		for (size_t r = 0; r < ARRAY_SIZE(all_roles); r++) {
			bool w = in_csv(want[i].roles, all_roles[r]);
			if (wf_transition_allows_role(t, all_roles[r]) != w)
				fail_msg("%s.%s by %s: expected %s", def->type, t->name, all_roles[r],
				         w ? "allowed" : "forbidden");
		}
		size_t nreq = 0;
		for (size_t k = 0; k < t->nrequires; k++, nreq++)
			if (!in_csv(want[i].requires, t->requires[k]))
				fail_msg("%s.%s requires %s unexpectedly", def->type, t->name, t->requires[k]);
		assert_int_equal(nreq, *want[i].requires ? 1 + (size_t)(strchr(want[i].requires, ',') != NULL) : 0);
		size_t nappr = 0;
		for (size_t k = 0; k < t->napproval_roles; k++, nappr++)
			assert_true(in_csv(want[i].approval, t->approval_roles[k]));
		assert_int_equal(nappr, *want[i].approval ? 1 : 0);
		assert_non_null(t->label.zh);
		assert_non_null(t->label.en);
		for (size_t f = 0; f < t->nfields; f++) {
			assert_non_null(t->fields[f].label.zh);
			assert_non_null(t->fields[f].label.en);
		}
	}
}

static void check_states(const wf_def_t *def, const want_state_t *want, size_t n)
{
	assert_int_equal(def->nstates, n);
	for (size_t i = 0; i < n; i++) {
		const wf_state_t *s = wf_find_state(def, want[i].name);
		if (!s)
			fail_msg("%s: state %s missing", def->type, want[i].name);
		assert_int_equal(s->terminal, want[i].terminal);
		assert_int_equal(s->has_due, want[i].amount > 0);
		if (want[i].amount) {
			assert_int_equal(s->due.amount, want[i].amount);
			assert_int_equal(s->due.unit, want[i].unit);
			assert_non_null(s->due.basis);
		}
		if (want[i].timeout)
			assert_string_equal(s->timeout, want[i].timeout);
		else
			assert_null(s->timeout);
		assert_non_null(s->label.en);
	}
}

/* ------------------------------------------------------------------ */
/* dispute.yaml                                                        */

static void test_dispute_transitions(void **state)
{
	static const want_transition_t want[] = {
		{ "refer", "registered", "registered", "intake,handler", "", "" },
		{ "accept", "registered", "mediating", "mediator", "party", "" },
		{ "decline", "registered", "declined", "mediator", "", "" },
		{ "agree", "mediating", "agreed", "mediator", "agreement", "" },
		{ "fail", "mediating", "failed", "mediator", "", "" },
		{ "apply_confirmation", "agreed", "confirming", "mediator,handler", "", "" },
		{ "confirmation_window_passed", "agreed", "performing", "system", "", "" },
		{ "court_extends", "confirming", "confirming", "mediator,handler", "", "" },
		{ "court_decides", "confirming", "decided", "mediator,handler", "", "" },
		{ "follow_up", "agreed,performing,decided", "followed_up", "mediator", "follow_up", "" },
		{ "mediate_again", "followed_up", "mediating", "mediator", "", "" },
		{ "close", "followed_up", "closed", "mediator", "", "supervisor" },
	};
	check_transitions(dispute, want, ARRAY_SIZE(want));
}

static void test_dispute_states_and_limits(void **state)
{
	static const want_state_t want[] = {
		{ "registered", 0, 0, NULL, false },
		{ "mediating", 30, DUE_CALENDAR_DAYS, NULL, false },
		{ "agreed", 30, DUE_CALENDAR_DAYS, "confirmation_window_passed", false },
		{ "confirming", 18, DUE_CALENDAR_DAYS, NULL, false },
		{ "decided", 30, DUE_CALENDAR_DAYS, NULL, false },
		{ "performing", 30, DUE_CALENDAR_DAYS, NULL, false },
		{ "followed_up", 0, 0, NULL, false },
		{ "declined", 0, 0, NULL, true },
		{ "failed", 0, 0, NULL, true },
		{ "closed", 0, 0, NULL, true },
	};
	check_states(dispute, want, ARRAY_SIZE(want));
	/* the judicial-confirmation window (人民调解法 第33条) */
	const wf_transition_t *t = wf_find_transition(dispute, "apply_confirmation");
	assert_true(t->has_window);
	assert_int_equal(t->window.amount, 30);
	assert_int_equal(t->window.unit, DUE_CALENDAR_DAYS);
	assert_non_null(strstr(t->window.basis, "第33条"));
	/* the court's extension: once, 10 days */
	t = wf_find_transition(dispute, "court_extends");
	assert_true(t->once);
	assert_true(t->has_due_add);
	assert_int_equal(t->due_add_amount, 10);
	/* labour disputes: 15 days (劳动争议调解仲裁法 第14条) */
	const wf_state_t *med = wf_find_state(dispute, "mediating");
	for (size_t i = 0; i < 2; i++) {
		const wf_due_t *d = wf_category_state_due(dispute, i ? "wage_arrears" : "labour", med);
		assert_non_null(d);
		assert_int_equal(d->amount, 15);
		assert_non_null(strstr(d->basis, "第14条"));
	}
	assert_int_equal(wf_category_state_due(dispute, "contract", med)->amount, 30);
	assert_int_equal(dispute->ncategories, 16);
}

static void test_dispute_records(void **state)
{
	assert_int_equal(dispute->nrecords, 5);
	const wf_record_kind_t *ag = wf_find_record_kind(dispute, "agreement");
	assert_non_null(ag);
	/* the contents RT 28–30 require, all required; the signatures must be true */
	static const char *const required[] = { "parties", "dispute_facts", "points", "responsibilities",
		                                    "terms", "performance", "mediator", "signed_on" };
	for (size_t i = 0; i < ARRAY_SIZE(required); i++) {
		bool found = false;
		for (size_t k = 0; k < ag->nfields; k++)
			if (streq(ag->fields[k].name, required[i])) {
				found = true;
				assert_true(ag->fields[k].required);
			}
		if (!found)
			fail_msg("agreement lacks %s", required[i]);
	}
	size_t ntrue = 0;
	for (size_t k = 0; k < ag->nfields; k++)
		ntrue += ag->fields[k].must_be_true;
	assert_int_equal(ntrue, 3);
	/* sessions only while mediating; agreement while mediating or agreed */
	assert_true(wf_record_allowed_in(wf_find_record_kind(dispute, "session"),
	                                 wf_find_state(dispute, "mediating")));
	assert_false(wf_record_allowed_in(wf_find_record_kind(dispute, "session"),
	                                  wf_find_state(dispute, "registered")));
	assert_true(wf_record_allowed_in(ag, wf_find_state(dispute, "agreed")));
	assert_false(wf_record_allowed_in(ag, wf_find_state(dispute, "closed")));
	/* the risk report: 一般 / 较大 / 重大 and may_escalate, in any open state */
	const wf_record_kind_t *risk = wf_find_record_kind(dispute, "risk_report");
	assert_int_equal(risk->nstates, 0);
	assert_true(wf_record_allowed_in(risk, wf_find_state(dispute, "followed_up")));
	assert_string_equal(risk->fields[0].values[2].label.zh, "重大");

	/* a record's fields are checked like a step's */
	pa_err_t err = { 0 };
	json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "designation", "申请人 张某", "role", "applicant",
	                      "party_kind", "person", "consent", "consents");
	const wf_record_kind_t *party = wf_find_record_kind(dispute, "party");
	assert_int_equal(wf_validate_record(party, f, &err), 0);
	json_object_set_new(f, "consent", json_string("perhaps"));
	assert_int_equal(wf_validate_record(party, f, &err), PA_EINVAL);
	assert_string_equal(err.field, "fields.consent");
	json_object_set_new(f, "consent", json_string("consents"));
	json_object_set_new(f, "id_number", json_string("110105194912310021"));
	assert_int_equal(wf_validate_record(party, f, &err), PA_EINVAL);
	assert_string_equal(err.field, "fields.id_number");
	assert_non_null(strstr(err.detail, "unknown field for record 'party'"));
	json_decref(f);
}

static void test_must_be_true(void **state)
{
	const wf_record_kind_t *ag = wf_find_record_kind(dispute, "agreement");
	json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b}", "parties", "甲、乙",
	                      "dispute_facts", "x", "points", "x", "responsibilities", "x", "terms", "x",
	                      "performance", "x", "mediator", "x", "signed_on", "2026-03-02",
	                      "signed_by_parties", 1, "signed_by_mediator", 1, "committee_seal", 1);
	pa_err_t err = { 0 };
	assert_int_equal(wf_validate_record(ag, f, &err), 0);
	json_object_set_new(f, "committee_seal", json_false());
	assert_int_equal(wf_validate_record(ag, f, &err), PA_EINVAL);
	assert_string_equal(err.field, "fields.committee_seal");
	assert_non_null(strstr(err.detail, "must be true"));
	json_object_del(f, "committee_seal");
	assert_int_equal(wf_validate_record(ag, f, &err), PA_EINVAL);
	assert_non_null(strstr(err.detail, "is required"));
	json_decref(f);
}

/* petition → dispute (访调对接), as the registry loads them */
static void test_petition_handover(void **state)
{
	const wf_transition_t *t = wf_find_transition(petition, "hand_over");
	assert_string_equal(t->handover_type, "dispute");
	assert_string_equal(t->handover_category, "field:dispute_category");
	assert_string_equal(t->handover_owner, "field:committee_id");
	assert_string_equal(t->to, "in_mediation");
	const wf_state_t *wait = wf_find_state(petition, "in_mediation");
	assert_string_equal(wait->handover_end, "mediation_ended");
	assert_false(wait->has_due);
	const wf_transition_t *end = wf_find_transition(petition, "mediation_ended");
	assert_true(wf_transition_allows_role(end, "system"));
	/* the outcome codes are the dispute's terminal states, exactly */
	const wf_field_t *outcome = &end->fields[0];
	assert_string_equal(outcome->name, "outcome");
	size_t terminal = 0;
	for (size_t i = 0; i < dispute->nstates; i++)
		terminal += dispute->states[i].terminal;
	assert_int_equal(outcome->nvalues, terminal);
	for (size_t i = 0; i < outcome->nvalues; i++)
		assert_true(wf_find_state(dispute, outcome->values[i].code)->terminal);
	/* every dispute category may be chosen, and only those */
	const wf_field_t *cat = &t->fields[1];
	assert_string_equal(cat->name, "dispute_category");
	assert_int_equal(cat->nvalues, dispute->ncategories);
	for (size_t i = 0; i < cat->nvalues; i++)
		assert_non_null(wf_find_category(dispute, cat->values[i].code));
}

/* ------------------------------------------------------------------ */
/* joint_case.yaml                                                     */

static void test_joint_case(void **state)
{
	static const want_transition_t want[] = {
		{ "start", "opened", "in_progress", "handler,supervisor", "consultation", "" },
		{ "withdraw", "opened", "withdrawn", "supervisor", "", "" },
		{ "extend", "in_progress", "in_progress", "handler,supervisor", "", "leader" },
		{ "conclude", "in_progress", "concluded", "handler", "", "supervisor" },
	};
	check_transitions(joint, want, ARRAY_SIZE(want));
	static const want_state_t states[] = {
		{ "opened", 10, DUE_WORKING_DAYS, NULL, false },
		{ "in_progress", 90, DUE_CALENDAR_DAYS, NULL, false },
		{ "concluded", 0, 0, NULL, true },
		{ "withdrawn", 0, 0, NULL, true },
	};
	check_states(joint, states, ARRAY_SIZE(states));
	assert_int_equal(wf_find_state(joint, "opened")->due.from, WF_FROM_CASE);
	assert_true(wf_find_transition(joint, "extend")->once);

	/* participants: visible to them only; the four tracks of PROCEDURES.md */
	assert_true(joint->participants_only);
	assert_int_equal(joint->ntracks, 4);
	static const struct { const char *kind, *stages; } tracks[] = {
		{ "police", "investigating,transferred_for_prosecution" },
		{ "procuratorate", "early_intervention,arrest_review,prosecution_review,prosecuted" },
		{ "court", "accepted,trial,judgment,enforcement" },
		{ "discipline_commission", "preliminary_check,investigation,transferred" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tracks); i++) {
		const wf_track_t *tr = wf_find_track(joint, tracks[i].kind);
		assert_non_null(tr);
		for (size_t s = 0; s < tr->nstages; s++) {
			assert_true(in_csv(tracks[i].stages, tr->stages[s].code));
			assert_int_equal(wf_track_stage(tr, tr->stages[s].code), (int)s);
		}
		assert_int_equal(wf_track_stage(tr, "nonsense"), -1);
	}
	assert_null(wf_find_track(joint, "department"));
	assert_null(wf_find_track(dispute, "police"));
	assert_false(dispute->participants_only);

	/* records: consultation, task (agency, due date), asset ledger */
	const wf_record_kind_t *asset = wf_find_record_kind(joint, "asset");
	assert_non_null(asset);
	assert_string_equal(asset->fields[0].name, "measure");
	assert_int_equal(asset->fields[0].nvalues, 4);
	assert_string_equal(asset->fields[0].values[3].label.zh, "追缴");
	const wf_record_kind_t *task = wf_find_record_kind(joint, "task");
	assert_int_equal(task->fields[0].type, WF_FIELD_ORG);
	assert_non_null(wf_find_record_kind(joint, "consultation"));
}

/* The JSON view carries the new keys. */
static void test_json_view(void **state)
{
	json_t *j = wf_def_to_json(joint);
	json_t *p = json_object_get(j, "participants");
	assert_string_equal(json_string_value(json_object_get(p, "visibility")), "participants");
	assert_int_equal(json_array_size(json_object_get(p, "tracks")), 4);
	assert_int_equal(json_array_size(json_object_get(j, "records")), 3);
	json_decref(j);
	j = wf_def_to_json(petition);
	json_t *tr = json_object_get(j, "transitions");
	bool seen = false;
	for (size_t i = 0; i < json_array_size(tr); i++) {
		json_t *t = json_array_get(tr, i);
		if (streq(json_string_value(json_object_get(t, "name")), "hand_over")) {
			seen = true;
			json_t *h = json_object_get(t, "handover");
			assert_string_equal(json_string_value(json_object_get(h, "type")), "dispute");
		}
	}
	assert_true(seen);
	assert_true(json_is_null(json_object_get(j, "participants")));
	json_decref(j);
}

/* ------------------------------------------------------------------ */
/* Definition errors for the new keys                                  */

#define HEAD \
	"type: demo\n" \
	"label: {zh: 演示, en: Demo}\n" \
	"number_prefix: DM\n" \
	"initial: open\n"

#define STATES \
	"states:\n" \
	"  open: {}\n" \
	"  done: {terminal: true}\n"

#define RECORDS \
	"records:\n" \
	"  note:\n" \
	"    roles: [handler]\n" \
	"    fields:\n" \
	"      text: {type: text, required: true}\n"

#define FINISH(extra) \
	"transitions:\n" \
	"  finish:\n" \
	"    from: [open]\n" \
	"    to: done\n" \
	"    roles: [handler]\n" extra

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
		fail_msg("%s\n%s", err.detail, yaml);
	return def;
}

static void test_valid_with_new_keys(void **state)
{
	wf_def_t *def = expect_ok(HEAD STATES RECORDS FINISH(
		"    requires: [note]\n"
		"    approval: {roles: [supervisor, leader]}\n"));
	const wf_transition_t *t = wf_find_transition(def, "finish");
	assert_int_equal(t->nrequires, 1);
	assert_string_equal(t->requires[0], "note");
	assert_int_equal(t->napproval_roles, 2);
	assert_string_equal(t->approval_roles[1], "leader");
	const wf_record_kind_t *rk = wf_find_record_kind(def, "note");
	assert_string_equal(rk->label.zh, "note");
	assert_int_equal(rk->nstates, 0);
	assert_null(wf_find_record_kind(def, "other"));
	assert_int_equal(def->ntracks, 0);
	wf_def_free(def);
}

static void test_record_errors(void **state)
{
	expect_def_error(HEAD STATES "records:\n  note:\n    fields: {text: {type: text}}\n" FINISH(""),
	                 "records.note.roles", "t.yaml:", "is required: a record kind no role may add");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n" FINISH(""),
	                 "records.note.fields", "t.yaml:", "is required");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n    fields: {}\n" FINISH(""),
	                 "records.note.fields", NULL, "a record needs at least one field");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [public]\n    fields: {a: {type: bool}}\n"
	                 FINISH(""), "records.note.roles", NULL, "role 'public' is not a staff role here");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [clerk]\n    fields: {a: {type: bool}}\n"
	                 FINISH(""), "records.note.roles", NULL, "unknown role 'clerk'");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler, handler]\n"
	                 "    fields: {a: {type: bool}}\n" FINISH(""),
	                 "records.note.roles", NULL, "role 'handler' is listed twice");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n    states: [nowhere]\n"
	                 "    fields: {a: {type: bool}}\n" FINISH(""),
	                 "records.note.states", NULL, "unknown state 'nowhere'");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n    states: [done]\n"
	                 "    fields: {a: {type: bool}}\n" FINISH(""),
	                 "records.note.states", NULL, "state 'done' is terminal");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n    states: []\n"
	                 "    fields: {a: {type: bool}}\n" FINISH(""),
	                 "records.note.states", NULL, "is empty: leave it out");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n    colour: red\n"
	                 "    fields: {a: {type: bool}}\n" FINISH(""),
	                 "records.note.colour", NULL,
	                 "unknown key 'colour' (expected label, roles, states, fields, list, alert)");
	/* list and alert (a dispute's risk reports) */
#define RISK \
	"records:\n  risk:\n    roles: [mediator]\n" \
	"    fields:\n      level: {type: enum, required: true, values: [{code: low, label: {zh: 低}}, " \
	"{code: high, label: {zh: 高}}]}\n      escalates: {type: bool, required: true}\n" \
	"      facts: {type: text, required: true}\n"
	expect_def_error(HEAD STATES RISK "    list: [public]\n" FINISH(""), "records.risk.list", NULL,
	                 "public");
	expect_def_error(HEAD STATES RISK "    alert: {when: {level: [high]}}\n" FINISH(""),
	                 "records.risk.alert.to", NULL, "is required");
	expect_def_error(HEAD STATES RISK "    alert: {to: {kind: police, roles: [leader]}}\n" FINISH(""),
	                 "records.risk.alert.when", NULL, "is required");
	expect_def_error(HEAD STATES RISK
	                 "    alert: {when: {colour: red}, to: {kind: police, roles: [leader]}}\n" FINISH(""),
	                 "records.risk.alert.when.colour", NULL, "'colour' is not a field of this record kind");
	expect_def_error(HEAD STATES RISK
	                 "    alert: {when: {facts: x}, to: {kind: police, roles: [leader]}}\n" FINISH(""),
	                 "records.risk.alert.when.facts", NULL, "needs an enum or bool field");
	expect_def_error(HEAD STATES RISK
	                 "    alert: {when: {level: [urgent]}, to: {kind: police, roles: [leader]}}\n"
	                 FINISH(""),
	                 "records.risk.alert.when.level", NULL, "'urgent' is not a value of field 'level'");
	expect_def_error(HEAD STATES RISK
	                 "    alert: {when: {escalates: yes}, to: {kind: police, roles: [leader]}}\n"
	                 FINISH(""),
	                 "records.risk.alert.when.escalates", NULL, "expected true or false");
	expect_def_error(HEAD STATES RISK
	                 "    alert: {when: {level: high}, to: {kind: bakery, roles: [leader]}}\n" FINISH(""),
	                 "records.risk.alert.to.kind", NULL, "unknown unit kind 'bakery'");
	expect_def_error(HEAD STATES RISK
	                 "    alert: {when: {level: high}, to: {kind: police, roles: [system]}}\n" FINISH(""),
	                 "records.risk.alert.to.roles", NULL, NULL);
	{
		wf_def_t *d = expect_ok(HEAD STATES RISK "    list: [supervisor, leader]\n"
		                        "    alert: {when: {level: [high], escalates: true}, "
		                        "to: {kind: political_legal_committee, roles: [supervisor, leader]}}\n"
		                        FINISH(""));
		const wf_record_kind_t *rk = wf_find_record_kind(d, "risk");
		assert_int_equal(rk->nlist_roles, 2);
		assert_int_equal(rk->nalert_when, 2);
		assert_string_equal(rk->alert_kind, "political_legal_committee");
		json_t *f = json_pack("{s:s, s:b}", "level", "low", "escalates", 0);
		assert_false(wf_record_alerts(rk, f));
		json_object_set_new(f, "escalates", json_true());
		assert_true(wf_record_alerts(rk, f));
		json_object_set_new(f, "escalates", json_false());
		json_object_set_new(f, "level", json_string("high"));
		assert_true(wf_record_alerts(rk, f));
		json_decref(f);
		wf_def_free(d);
	}
#undef RISK
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n"
	                 "    fields: {a: {type: text, min: 3}}\n" FINISH(""),
	                 "records.note.fields.a.min", NULL, "min does not apply to a text field");
	expect_def_error(HEAD STATES "records: [note]\n" FINISH(""), "records", "t.yaml:8:10: records:",
	                 "expected a mapping of record kinds by name");
	/* must_be_true */
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n"
	                 "    fields: {a: {type: text, must_be_true: true}}\n" FINISH(""),
	                 "records.note.fields.a.must_be_true", NULL, "must_be_true applies to bool fields only");
	expect_def_error(HEAD STATES "records:\n  note:\n    roles: [handler]\n"
	                 "    fields: {a: {type: bool, must_be_true: true}}\n" FINISH(""),
	                 "records.note.fields.a.must_be_true", NULL, "must also be required: true");
}

static void test_requires_and_approval_errors(void **state)
{
	expect_def_error(HEAD STATES RECORDS FINISH("    requires: [memo]\n"),
	                 "transitions.finish.requires", "t.yaml:", "record kind 'memo' is not defined under records");
	expect_def_error(HEAD STATES FINISH("    requires: note\n"),
	                 "transitions.finish.requires", NULL, "record kind 'note' is not defined");
	expect_def_error(HEAD STATES RECORDS FINISH("    requires: []\n"),
	                 "transitions.finish.requires", NULL, "is empty: list the record kinds");
	expect_def_error(HEAD STATES RECORDS FINISH("    requires: [note, note]\n"),
	                 "transitions.finish.requires", NULL, "record kind 'note' is listed twice");
	expect_def_error(HEAD STATES FINISH("    approval: {}\n"),
	                 "transitions.finish.approval.roles", NULL, "is required");
	expect_def_error(HEAD STATES FINISH("    approval: {roles: []}\n"),
	                 "transitions.finish.approval.roles", NULL, "is empty: list at least one role");
	expect_def_error(HEAD STATES FINISH("    approval: {roles: [system]}\n"),
	                 "transitions.finish.approval.roles", NULL, "role 'system' is not a staff role here");
	expect_def_error(HEAD STATES FINISH("    approval: {roles: [supervisor], by: x}\n"),
	                 "transitions.finish.approval.by", NULL, "unknown key 'by' (expected roles)");
	expect_def_error(HEAD STATES
	                 "transitions:\n  finish:\n    from: [open]\n    to: done\n    roles: [public]\n"
	                 "    approval: {roles: [supervisor]}\n",
	                 "transitions.finish.approval", NULL,
	                 "a step the public or the timer takes cannot wait for an approval");
}

#define WAIT_STATES \
	"states:\n" \
	"  open: {}\n" \
	"  waiting: {handover_end: back}\n" \
	"  done: {terminal: true}\n"

#define HANDOVER(extra) \
	"transitions:\n" \
	"  send:\n" \
	"    from: [open]\n" \
	"    to: waiting\n" \
	"    roles: [handler]\n" \
	"    fields:\n" \
	"      org: {type: org, required: true}\n" \
	"      kind: {type: enum, required: true, values: [{code: a, label: {zh: 甲}}]}\n" \
	"      note: {type: text}\n" \
	"    handover: " extra "\n" \
	"  back:\n" \
	"    from: [waiting]\n" \
	"    to: open\n" \
	"    roles: [system]\n" \
	"  finish:\n" \
	"    from: [open]\n" \
	"    to: done\n" \
	"    roles: [handler]\n"

static void test_handover_errors(void **state)
{
	wf_def_t *def = expect_ok(HEAD WAIT_STATES HANDOVER("{type: other, category: field:kind, owner: field:org}"));
	const wf_transition_t *t = wf_find_transition(def, "send");
	assert_string_equal(t->handover_type, "other");
	assert_string_equal(t->handover_owner, "field:org");
	wf_def_free(def);
	def = expect_ok(HEAD WAIT_STATES HANDOVER("{type: other, category: misc}"));
	assert_string_equal(wf_find_transition(def, "send")->handover_owner, "keep");
	wf_def_free(def);

	expect_def_error(HEAD WAIT_STATES HANDOVER("{category: misc}"), "transitions.send.handover.type",
	                 NULL, "is required");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other}"), "transitions.send.handover.category",
	                 NULL, "is required");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other, category: field:note}"),
	                 "transitions.send.handover.category", NULL,
	                 "'note' is not a required enum or text field of this transition");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other, category: field:missing}"),
	                 "transitions.send.handover.category", NULL, "'missing' is not a required enum");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other, category: \"Bad Code!\"}"),
	                 "transitions.send.handover.category", NULL, "expected a category code of type 'other'");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other, category: misc, owner: superior}"),
	                 "transitions.send.handover.owner", NULL, "expected keep, field:NAME or kind:KIND");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other, category: misc, owner: field:note}"),
	                 "transitions.send.handover.owner", NULL, "'note' is not an org field");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other, category: misc, owner: kind:bakery}"),
	                 "transitions.send.handover.owner", NULL, "unknown unit kind 'bakery'");
	expect_def_error(HEAD WAIT_STATES HANDOVER("{type: other, category: misc, to: x}"),
	                 "transitions.send.handover.to", NULL, "unknown key 'to' (expected type, category, owner)");

	/* handover_end */
	expect_def_error(HEAD "states:\n  open: {}\n  waiting: {handover_end: nope}\n  done: {terminal: true}\n"
	                 HANDOVER("{type: other, category: misc}"),
	                 "states.waiting.handover_end", "t.yaml:7:", "unknown transition 'nope'");
	expect_def_error(HEAD "states:\n  open: {}\n  waiting: {handover_end: finish}\n  done: {terminal: true}\n"
	                 HANDOVER("{type: other, category: misc}"),
	                 "states.waiting.handover_end", NULL,
	                 "transition 'finish' must leave state 'waiting' and allow the role 'system'");
	expect_def_error(HEAD "states:\n  open: {handover_end: finish}\n  waiting: {handover_end: back}\n"
	                 "  done: {terminal: true}\n" HANDOVER("{type: other, category: misc}"),
	                 "states.open.handover_end", NULL, "must leave state 'open' and allow the role 'system'");
	expect_def_error(HEAD "states:\n  open: {}\n  done: {terminal: true, handover_end: finish}\n"
	                 FINISH(""), "states.done.handover_end", NULL, "a terminal state waits for nothing");
	/* a waiting state no hand-over leads to */
	expect_def_error(HEAD "states:\n  open: {}\n  waiting: {handover_end: back}\n  done: {terminal: true}\n"
	                 "transitions:\n  send: {from: [open], to: waiting, roles: [handler]}\n"
	                 "  back: {from: [waiting], to: open, roles: [system]}\n"
	                 "  finish: {from: [open], to: done, roles: [handler]}\n",
	                 "states.waiting.handover_end", NULL,
	                 "no hand-over transition leads to state 'waiting', so it would wait for nothing");
}

static void test_participant_errors(void **state)
{
	wf_def_t *def = expect_ok(HEAD STATES
		"participants:\n  roles: [handler]\n  visibility: participants\n  tracks:\n"
		"    police: {stages: [{code: a, label: {zh: 甲}}, {code: b, label: {zh: 乙}}]}\n" FINISH(""));
	assert_true(def->participants_only);
	assert_int_equal(wf_track_stage(wf_find_track(def, "police"), "b"), 1);
	assert_int_equal(wf_find_track(def, "police")->stage_dues[0].amount, 0);  /* no limit */
	wf_def_free(def);

	/* a stage's due: a limit as a state's */
	def = expect_ok(HEAD STATES
		"participants:\n  roles: [handler]\n  tracks:\n"
		"    police: {stages: [{code: a, label: {zh: 甲}, due: {amount: 7, unit: working_days, "
		"basis: 第91条}}, {code: b, label: {zh: 乙}}]}\n" FINISH(""));
	const wf_track_t *tr = wf_find_track(def, "police");
	assert_int_equal(tr->stage_dues[0].amount, 7);
	assert_int_equal(tr->stage_dues[0].unit, DUE_WORKING_DAYS);
	assert_string_equal(tr->stage_dues[0].basis, "第91条");
	assert_int_equal(tr->stage_dues[1].amount, 0);
	wf_def_free(def);
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n"
	                 "  tracks: {police: {stages: [{code: a, label: {zh: 甲}, due: {amount: 0, unit: calendar_days}}]}}\n"
	                 FINISH(""), "participants.tracks.police.stages[0].due.amount", NULL, "");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n"
	                 "  tracks: {police: {stages: [{code: a, label: {zh: 甲}, due: {amount: 3, unit: fortnights}}]}}\n"
	                 FINISH(""), "participants.tracks.police.stages[0].due.unit", NULL, "");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n"
	                 "  tracks: {police: {stages: [{code: a, label: {zh: 甲}, until: tomorrow}]}}\n"
	                 FINISH(""), "participants.tracks.police.stages[0].until", NULL,
	                 "unknown key 'until' (expected code, label, due)");

	expect_def_error(HEAD STATES "participants:\n  tracks: {police: {stages: [{code: a, label: {zh: 甲}}]}}\n"
	                 FINISH(""), "participants.roles", NULL, "is required");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n" FINISH(""),
	                 "participants.tracks", NULL, "is required");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n  tracks: {}\n" FINISH(""),
	                 "participants.tracks", NULL, "no tracks defined");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n"
	                 "  tracks: {bakery: {stages: [{code: a, label: {zh: 甲}}]}}\n" FINISH(""),
	                 "participants.tracks.bakery", NULL, "unknown unit kind 'bakery'");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n  tracks: {police: {}}\n" FINISH(""),
	                 "participants.tracks.police.stages", NULL, "is required");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n  tracks: {police: {stages: []}}\n"
	                 FINISH(""), "participants.tracks.police.stages", NULL, "an enum needs at least one value");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n"
	                 "  tracks: {police: {stages: [{code: a, label: {zh: 甲}}, {code: a, label: {zh: 乙}}]}}\n"
	                 FINISH(""), "participants.tracks.police.stages[1].code", NULL, "duplicate value code 'a'");
	expect_def_error(HEAD STATES "participants:\n  roles: [handler]\n  visibility: secret\n"
	                 "  tracks: {police: {stages: [{code: a, label: {zh: 甲}}]}}\n" FINISH(""),
	                 "participants.visibility", NULL, "expected participants or units, found 'secret'");
}

/* Cross-definition checks run when a directory is loaded. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define OTHER(categories, terminal) \
	"type: other\nlabel: {zh: 其他}\nnumber_prefix: OT\ninitial: new\n" \
	"categories: " categories "\n" \
	"states:\n  new: {}\n  " terminal ": {terminal: true}\n" \
	"transitions:\n  end: {from: [new], to: " terminal ", roles: [handler]}\n"

static void expect_registry_error(const char *demo, const char *other, const char *message)
{
	char dir[] = "/tmp/pa-wfreg-XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_file(dir, "demo.yaml", demo);
	if (other)
		write_file(dir, "other.yaml", other);
	wf_registry_t *r = (wf_registry_t *)1;
	pa_err_t err = { 0 };
	int rc = wf_registry_load_dir(dir, &r, &err);
	char path[4096];
	snprintf(path, sizeof(path), "%s/demo.yaml", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/other.yaml", dir);
	unlink(path);
	rmdir(dir);
	if (!message) {
		if (rc)
			fail_msg("%s", err.detail);
		wf_registry_free(r);
		return;
	}
	if (rc == 0)
		fail_msg("accepted, expected '%s'", message);
	assert_null(r);
	if (!strstr(err.detail, message))
		fail_msg("detail '%s' lacks '%s'", err.detail, message);
	if (!strstr(err.detail, "demo.yaml: transitions."))
		fail_msg("detail '%s' does not name the file and path", err.detail);
}

#define DEMO_WITH_OUTCOME(values) \
	HEAD WAIT_STATES \
	"transitions:\n" \
	"  send:\n" \
	"    from: [open]\n" \
	"    to: waiting\n" \
	"    roles: [handler]\n" \
	"    handover: {type: other, category: misc}\n" \
	"  back:\n" \
	"    from: [waiting]\n" \
	"    to: open\n" \
	"    roles: [system]\n" \
	"    fields:\n" \
	"      outcome: {type: enum, required: true, values: " values "}\n" \
	"      handover_case: {type: text, required: true}\n" \
	"  finish: {from: [open], to: done, roles: [handler]}\n"

static void test_registry_refs(void **state)
{
	const char *demo = HEAD WAIT_STATES HANDOVER("{type: other, category: field:kind}");
	expect_registry_error(demo, OTHER("[{code: a, label: {zh: 甲}}]", "over"), NULL);
	expect_registry_error(demo, NULL, "handover.type: no definition of type 'other'");
	expect_registry_error(demo, OTHER("[{code: b, label: {zh: 乙}}]", "over"),
	                      "fields.kind: 'a' is not a category of type 'other'");
	expect_registry_error(HEAD WAIT_STATES HANDOVER("{type: other, category: zz}"),
	                      OTHER("[{code: b, label: {zh: 乙}}]", "over"),
	                      "handover.category: type 'other' has no category 'zz'");
	expect_registry_error(DEMO_WITH_OUTCOME("[{code: over, label: {zh: 完}}]"),
	                      OTHER("[{code: misc, label: {zh: 杂}}]", "over"), NULL);
	expect_registry_error(DEMO_WITH_OUTCOME("[{code: finished, label: {zh: 完}}]"),
	                      OTHER("[{code: misc, label: {zh: 杂}}]", "over"),
	                      "fields.outcome: 'over' (a terminal state of type 'other') is not one of its codes");
}

int main(void)
{
	const struct CMUnitTest defs[] = {
		cmocka_unit_test(test_dispute_transitions),
		cmocka_unit_test(test_dispute_states_and_limits),
		cmocka_unit_test(test_dispute_records),
		cmocka_unit_test(test_must_be_true),
		cmocka_unit_test(test_petition_handover),
		cmocka_unit_test(test_joint_case),
		cmocka_unit_test(test_json_view),
	};
	const struct CMUnitTest errors[] = {
		cmocka_unit_test(test_valid_with_new_keys),
		cmocka_unit_test(test_record_errors),
		cmocka_unit_test(test_requires_and_approval_errors),
		cmocka_unit_test(test_handover_errors),
		cmocka_unit_test(test_participant_errors),
		cmocka_unit_test(test_registry_refs),
	};
	int failed = cmocka_run_group_tests_name("definitions", defs, load_registry, free_registry);
	failed += cmocka_run_group_tests_name("errors", errors, NULL, NULL);
	return failed ? 1 : 0;
}
