/*
 * reminders.c — deadline reminders and escalation (see reminders.h).
 *
 * Shape of a pass, per kind: scan candidates on a reader connection in
 * (due_at, id) pages (store_reminder_scan / store_escalation_scan leave out
 * cases that already have their alert), drop those in states with a timeout
 * (they stay candidates: a workflow may change), then one
 * store_write per page whose function re-reads each case on the writer
 * connection, re-checks the condition against the current row, and only
 * then inserts the case_alerts marker — if the marker was there already
 * (another pass or process got there first) nothing else is written.
 */
#include "base/common.h"
#include "core/reminders.h"
#include "core/audit.h"
#include "core/notify.h"

#include <stdio.h>
#include <stdlib.h>

enum alert_kind { ALERT_REMINDER, ALERT_ESCALATION };
static const char *const kind_names[] = { "reminder", "escalation" };

/* Roles told of a unit's cases that are late or about to be. */
static const char *const alert_roles[] = { "leader", "supervisor" };

struct alert_tx {
	pa_app_t *app;
	arena_t *a;
	enum alert_kind kind;
	const pa_due_item_t *items;
	size_t n;
	pa_time_t now;
	int percent;
	int done;
};

static bool has_timeout(pa_app_t *app, const char *type, const char *state)
{
	const wf_def_t *def = app->wf ? wf_registry_find(app->wf, type) : NULL;
	const wf_state_t *st = def ? wf_find_state(def, state) : NULL;
	return st && st->timeout;
}

static bool still_due(const struct alert_tx *x, const pa_case_t *cs)
{
	if (!cs->is_open || cs->due_at == PA_NO_DUE || has_timeout(x->app, cs->type, cs->state))
		return false;
	if (x->kind == ALERT_ESCALATION)
		return cs->due_at <= x->now;
	pa_time_t span = cs->due_at - cs->state_entered_at;
	return cs->due_at > x->now && span > 0 &&
	       (x->now - cs->state_entered_at) * 100 >= span * (pa_time_t)x->percent;
}

static bool alert_role(const char *role)
{
	for (size_t i = 0; i < ARRAY_SIZE(alert_roles); i++)
		if (streq(role, alert_roles[i]))
			return true;
	return false;
}

static int alert_one(store_tx_t *tx, struct alert_tx *x, const pa_case_t *cs)
{
	bool inserted = false;
	int rc = store_tx_alert_insert(tx, cs->id, kind_names[x->kind], cs->state, cs->due_at, x->now,
	                               &inserted);
	if (rc < 0 || !inserted)
		return rc;

	pa_member_t *all = NULL, *to;
	size_t nall = 0, nto = 0;
	if ((rc = store_org_members(store_tx_conn(tx), x->a, cs->owner_org_id, &all, &nall)) < 0)
		return rc;
	to = arena_zalloc(x->a, (nall + 1) * sizeof(*to));
	for (size_t i = 0; i < nall; i++)
		if (alert_role(all[i].role))
			to[nto++] = all[i];

	char due[32];
	pa_time_format(cs->due_at, x->app->cfg->utc_offset_min, due);
	json_t *d = json_object();
	json_object_set_new(d, "due_at", json_string(due));
	json_object_set_new(d, "state", json_string(cs->state));
	if (x->kind == ALERT_REMINDER)
		json_object_set_new(d, "percent", json_integer(x->percent));
	json_t *names = json_array();
	for (size_t i = 0; i < nto; i++)
		json_array_append_new(names, json_pack("{s:I, s:s, s:s}", "user_id",
		                                       (json_int_t)to[i].user_id, "username",
		                                       to[i].username, "role", to[i].role));
	json_object_set_new(d, "recipients", names);
	char *text = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	const char *data = arena_strdup(x->a, text ? text : "{}");
	free(text);

	pa_event_t ev = { .case_id = cs->id, .at = x->now, .kind = kind_names[x->kind],
		              .from_state = cs->state, .to_state = cs->state, .actor_name = "system",
		              .public = false, .data = data };
	pa_id_t ev_id;
	if ((rc = store_tx_event_insert(tx, &ev, &ev_id)) < 0)
		return rc;
	if ((rc = audit_append(tx, x->now, "system",
	                       x->kind == ALERT_REMINDER ? "case.reminder" : "case.escalation",
	                       arena_printf(x->a, "case:%lld", (long long)cs->id), data)) < 0)
		return rc;
	if ((rc = notify_tx_alert(x->app, tx, x->a, cs, kind_names[x->kind], to, nto, x->percent,
	                          x->now)) < 0)
		return rc;
	x->done++;
	return 0;
}

static int alert_tx_fn(store_tx_t *tx, void *arg)
{
	struct alert_tx *x = arg;
	for (size_t i = 0; i < x->n; i++) {
		pa_case_t cs;
		int rc = store_case_get(store_tx_conn(tx), x->a, x->items[i].id, &cs);
		if (rc < 0)
			return rc;
		/* re-checked on the writer: the case may have moved on since the scan */
		if (!still_due(x, &cs))
			continue;
		if ((rc = alert_one(tx, x, &cs)) < 0)
			return rc;
	}
	return 0;
}

static int pass(pa_app_t *app, enum alert_kind kind, pa_time_t now, int percent, int *done,
                pa_err_t *err)
{
	pa_time_t after_due = INT64_MIN;
	pa_id_t after = 0;
	int rc = 0;
	arena_t *a = arena_new();
	for (;;) {
		arena_reset(a);
		pa_due_item_t *items = NULL;
		size_t n = 0;
		store_conn_t *c = store_reader(app->store);
		rc = kind == ALERT_REMINDER
		         ? store_reminder_scan(c, a, now, percent, after_due, after, REMINDER_PAGE, &items, &n)
		         : store_escalation_scan(c, a, now, after_due, after, REMINDER_PAGE, &items, &n);
		if (rc < 0) {
			pa_fail(err, rc, "unavailable", NULL, "could not scan cases for %s",
			        kind_names[kind]);
			break;
		}
		if (n == 0)
			break;
		after = items[n - 1].id;
		after_due = items[n - 1].due_at;
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (!has_timeout(app, items[i].type, items[i].state))
				items[k++] = items[i];
		if (k) {
			struct alert_tx x = { .app = app, .a = a, .kind = kind, .items = items, .n = k,
				                  .now = now, .percent = percent };
			if ((rc = store_write(app->store, alert_tx_fn, &x, err)) < 0)
				break;
			*done += x.done;
		}
		if (n < REMINDER_PAGE)
			break;
	}
	arena_free(a);
	return rc;
}

int reminders_tick(pa_app_t *app, pa_time_t now, int *reminded, int *escalated, pa_err_t *err)
{
	*reminded = *escalated = 0;
	int percent = app->cfg->reminder_percent;
	int rc = 0;
	if (percent > 0)
		rc = pass(app, ALERT_REMINDER, now, percent, reminded, err);
	if (rc == 0)
		rc = pass(app, ALERT_ESCALATION, now, percent, escalated, err);
	return rc;
}
