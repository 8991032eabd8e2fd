/*
 * supervision.c — supervision orders (督办); the state machine and who may
 * take each step are in supervision.h.
 *
 * Shape of every step, as in cases.c: check the input and the principal
 * outside the writer, then one store_write() whose function re-reads what
 * it depends on (the case's owning unit at issue time; the order's state
 * through a conditional UPDATE), writes the order, an internal timeline
 * event on the case and the audit record.  Timeline events use their own
 * kinds (supervision_issued, supervision_replied, supervision_overdue,
 * supervision_closed) with data.order_id, so the timeline shows every step
 * without being mistaken for a workflow transition.
 */
#include "base/common.h"
#include "core/supervision.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/docgen.h"
#include "core/docs.h"
#include "core/notify.h"
#include "core/orgs.h"

#include <jansson.h>
#include <stdio.h>

static const struct { const char *code, *zh, *en; } states[] = {
	{ "open", "待回复", "Open" },
	{ "replied", "已回复", "Replied" },
	{ "overdue", "已超期", "Overdue" },
	{ "closed", "已办结", "Closed" },
};

bool supervision_state_valid(const char *state)
{
	for (size_t i = 0; i < ARRAY_SIZE(states); i++)
		if (streq(state, states[i].code))
			return true;
	return false;
}

const char *supervision_state_label(const char *state, const char *lang)
{
	for (size_t i = 0; i < ARRAY_SIZE(states); i++)
		if (streq(state, states[i].code))
			return lang && lang[0] == 'e' ? states[i].en : states[i].zh;
	return state;
}

static const char *json_text(arena_t *a, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	const char *r = arena_strdup(a, s ? s : "{}");
	free(s);
	json_decref(j);
	return r;
}

static const char *iso(pa_app_t *app, arena_t *a, pa_time_t t)
{
	char buf[32];
	pa_time_format(t, app->cfg->utc_offset_min, buf);
	return arena_strdup(a, buf);
}

/* Appends the step's internal timeline event and its audit record. */
static int record_step(store_tx_t *tx, arena_t *a, const pa_principal_t *p, pa_id_t case_id,
                       pa_id_t actor_org, const char *kind, const char *audit_action,
                       const char *text, json_t *data, pa_time_t now, pa_id_t *event_id)
{
	bool staff = p->kind == PRINCIPAL_STAFF;
	const char *d = json_text(a, data);
	pa_event_t ev = {
		.case_id = case_id, .at = now, .kind = kind,
		.actor_user_id = staff ? p->user_id : 0,
		.actor_name = staff ? p->display_name : "system", .actor_org_id = actor_org,
		.public = false, .text = text, .data = d,
	};
	pa_id_t ev_id;
	int rc = store_tx_event_insert(tx, &ev, &ev_id);
	if (rc < 0)
		return rc;
	if (event_id)
		*event_id = ev_id;
	return audit_append(tx, now, authz_actor(p, a), audit_action,
	                    arena_printf(a, "case:%lld", (long long)case_id), d);
}

/* ---- issue ---------------------------------------------------------------------------- */

struct issue_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	pa_supervision_t o;
};

/* The 督办通知书 to the unit, in both languages: its fields are the order's. */
static int queue_order_document(store_tx_t *tx, struct issue_tx *x, const pa_case_t *cs,
                                pa_id_t ev_id)
{
	const char *unit_zh = "", *unit_en = "";
	orgtree_t *t = orgcache_get(x->app->orgs);
	const pa_org_t *u = orgtree_find(t, x->o.to_org_id);
	if (u) {
		unit_zh = arena_strdup(x->a, u->name);
		unit_en = arena_strdup(x->a, u->name_en && *u->name_en ? u->name_en : u->name);
	}
	orgtree_release(t);
	char day[32];
	pa_time_format(x->o.due_at, x->app->cfg->utc_offset_min, day);
	int y = atoi(day), m = atoi(day + 5), d = atoi(day + 8);
	json_t *zh = json_pack("{s:s, s:s, s:s, s:s}", "target_unit", unit_zh, "reason", x->o.reason,
	                       "required_action", x->o.required_action, "order_due",
	                       docs_format_date(x->a, "zh-CN", y, m, d));
	json_t *en = json_pack("{s:s, s:s, s:s, s:s}", "target_unit", unit_en, "reason", x->o.reason,
	                       "required_action", x->o.required_action, "order_due",
	                       docs_format_date(x->a, "en", y, m, d));
	int rc = docgen_enqueue_tx(tx, x->app, x->a, cs, x->o.from_org_id, ev_id,
	                           "supervise", "supervision_order", zh, en,
	                           authz_actor(x->p, x->a), x->o.issued_at);
	json_decref(zh);
	json_decref(en);
	return rc;
}

static int issue_tx_fn(store_tx_t *tx, void *arg)
{
	struct issue_tx *x = arg;
	pa_case_t cs;
	int rc = store_case_get(store_tx_conn(tx), x->a, x->o.case_id, &cs);
	if (rc < 0)
		return rc;
	/* the unit that owns the case now, on the writer: it may have moved
	 * since the request read it */
	if (!authz_overseer_org(x->p, &cs))
		return pa_fail(store_tx_err(tx), PA_ECONFLICT, "conflict", NULL,
		               "the case moved out of your oversight meanwhile; reload it");
	x->o.to_org_id = cs.owner_org_id;
	if ((rc = store_tx_supervision_insert(tx, &x->o, &x->o.id)) < 0)
		return rc;
	json_t *d = json_pack("{s:I, s:I, s:I, s:s, s:s}", "order_id", (json_int_t)x->o.id,
	                      "from_org_id", (json_int_t)x->o.from_org_id, "to_org_id",
	                      (json_int_t)x->o.to_org_id, "due_at", iso(x->app, x->a, x->o.due_at),
	                      "required_action", x->o.required_action);
	pa_id_t ev_id = 0;
	rc = record_step(tx, x->a, x->p, cs.id, x->o.from_org_id, "supervision_issued",
	                 "supervision.issue", x->o.reason, d, x->o.issued_at, &ev_id);
	if (rc < 0)
		return rc;
	/* the written order (督办通知书) to the unit: queued in this write */
	if ((rc = queue_order_document(tx, x, &cs, ev_id)) < 0)
		return rc;
	return store_supervision_get(store_tx_conn(tx), x->a, x->o.id, &x->o);
}

/* "YYYY-MM-DD" → the last second of that local day. */
static int parse_due_date(pa_app_t *app, const char *s, pa_time_t now, pa_time_t *due,
                          pa_err_t *err)
{
	pa_time_t midnight;
	if (!s || !*s)
		return pa_fail(err, PA_EINVAL, "validation", "due_date", "due_date is required");
	if (strlen(s) != 10 || pa_time_parse(s, app->cfg->utc_offset_min, &midnight) < 0)
		return pa_fail(err, PA_EINVAL, "validation", "due_date",
		               "due_date must be a date, YYYY-MM-DD");
	*due = midnight + 86400 - 1;
	if (*due <= now)
		return pa_fail(err, PA_EINVAL, "validation", "due_date",
		               "due_date must be today or later");
	if (*due > now + (pa_time_t)SUPERVISION_DUE_MAX_DAYS * 86400)
		return pa_fail(err, PA_EINVAL, "validation", "due_date",
		               "due_date may be at most %d days ahead", SUPERVISION_DUE_MAX_DAYS);
	return 0;
}

int supervision_issue(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                      const supervision_input_t *in, pa_supervision_t *out, pa_err_t *err)
{
	pa_id_t from = authz_overseer_org(p, cs);
	if (!from)
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "issuing a supervision order needs the supervisor or leader role over "
		               "the case's unit");
	int rc;
	pa_time_t now = pa_now(), due = 0;
	if ((rc = cases_check_text(in->reason, "reason", true, SUPERVISION_TEXT_MAX, err)) < 0 ||
	    (rc = cases_check_text(in->required_action, "required_action", true,
	                           SUPERVISION_TEXT_MAX, err)) < 0 ||
	    (rc = parse_due_date(app, in->due_date, now, &due, err)) < 0)
		return rc;
	struct issue_tx x = { .app = app, .a = a, .p = p };
	x.o = (pa_supervision_t){
		.case_id = cs->id, .from_org_id = from, .to_org_id = cs->owner_org_id,
		.issued_by = p->user_id, .issued_at = now, .reason = in->reason,
		.required_action = in->required_action, .due_at = due, .state = "open",
	};
	if ((rc = store_write(app->store, issue_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.o;
	return 0;
}

/* ---- read ----------------------------------------------------------------------------- */

int supervision_get(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                    pa_supervision_t *out, pa_case_t *cs, pa_err_t *err)
{
	int rc = store_supervision_get(store_reader(app->store), a, id, out);
	if (rc == 0) {
		rc = store_case_get(store_reader(app->store), a, out->case_id, cs);
		if (rc == 0 && !authz_can_see_case(p, cs))
			rc = PA_ENOTFOUND;
	}
	if (rc == PA_ENOTFOUND)
		return pa_fail(err, rc, "not-found", NULL, "no supervision order %lld", (long long)id);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the supervision order");
	return 0;
}

int supervision_of_case(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_supervision_t **out,
                        size_t *n, pa_err_t *err)
{
	int rc = store_supervision_of_case(store_reader(app->store), a, cs->id, out, n);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the supervision orders");
	return 0;
}

int supervision_board(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t org,
                      pa_supervision_filter_t *f, pa_supervision_t **out, size_t *n, bool *more,
                      pa_err_t *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	pa_case_filter_t vis = { 0 };
	authz_case_filter(p, a, NULL, &vis);
	f->all_orgs = vis.all_orgs;
	f->visible_orgs = vis.visible_orgs;
	f->nvisible = vis.nvisible;
	f->hidden_accused = vis.hidden_accused;
	f->nhidden = vis.nhidden;
	if (!f->all_orgs && f->nvisible == 0)
		return 0;
	if (org) {
		if (!orgtree_find(p->tree, org))
			return pa_fail(err, PA_EINVAL, "validation", "org", "no org with id %lld",
			               (long long)org);
		pa_id_t *sub = NULL;
		f->nto = orgtree_subtree(p->tree, a, org, &sub);
		f->to_orgs = sub;
	}
	int rc = store_supervision_list(store_reader(app->store), a, f, out, n, more);
	if (rc == PA_EINVAL)
		return pa_fail(err, rc, "validation", org ? "org" : NULL,
		               "too many units to filter by; narrow the board with org");
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not list supervision orders");
	return 0;
}

/* ---- reply and close --------------------------------------------------------------------- */

struct step_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	pa_supervision_t o;        /* in: id, case_id; out: the order after the step */
	pa_id_t actor_org;
	const char *text;
	pa_time_t now;
};

static int reply_tx_fn(store_tx_t *tx, void *arg)
{
	struct step_tx *x = arg;
	int rc = store_tx_supervision_reply(tx, x->o.id, x->text, x->p->user_id, x->now);
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:I}", "order_id", (json_int_t)x->o.id);
	if ((rc = record_step(tx, x->a, x->p, x->o.case_id, x->actor_org, "supervision_replied",
	                      "supervision.reply", x->text, d, x->now, NULL)) < 0)
		return rc;
	return store_supervision_get(store_tx_conn(tx), x->a, x->o.id, &x->o);
}

int supervision_reply(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                      const char *text, pa_supervision_t *out, pa_err_t *err)
{
	pa_supervision_t o;
	pa_case_t cs;
	int rc = supervision_get(app, a, p, id, &o, &cs, err);
	if (rc < 0)
		return rc;
	pa_id_t unit = authz_works_in(p, o.to_org_id) ? o.to_org_id
	               : authz_works_in(p, cs.owner_org_id) ? cs.owner_org_id : 0;
	if (!unit)
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "only the unit the order went to, or that owns the case, replies");
	if ((rc = cases_check_text(text, "text", true, SUPERVISION_REPLY_MAX, err)) < 0)
		return rc;
	if (!streq(o.state, "open") && !streq(o.state, "overdue"))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the order is %s; only an open or overdue order is replied to", o.state);
	struct step_tx x = { .app = app, .a = a, .p = p, .o = o, .actor_org = unit, .text = text,
		                 .now = pa_now() };
	if ((rc = store_write(app->store, reply_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.o;
	return 0;
}

static int close_tx_fn(store_tx_t *tx, void *arg)
{
	struct step_tx *x = arg;
	int rc = store_tx_supervision_close(tx, x->o.id, x->p->user_id, x->now);
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:I, s:s}", "order_id", (json_int_t)x->o.id, "from_state", x->o.state);
	if ((rc = record_step(tx, x->a, x->p, x->o.case_id, x->actor_org, "supervision_closed",
	                      "supervision.close", x->text, d, x->now, NULL)) < 0)
		return rc;
	return store_supervision_get(store_tx_conn(tx), x->a, x->o.id, &x->o);
}

int supervision_close(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                      const char *note, pa_supervision_t *out, pa_err_t *err)
{
	pa_supervision_t o;
	pa_case_t cs;
	int rc = supervision_get(app, a, p, id, &o, &cs, err);
	if (rc < 0)
		return rc;
	pa_id_t unit = authz_overseer_org(p, &cs);
	if (!unit)
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "closing a supervision order needs the supervisor or leader role over "
		               "the case's unit");
	if ((rc = cases_check_text(note, "note", false, SUPERVISION_TEXT_MAX, err)) < 0)
		return rc;
	if (streq(o.state, "closed"))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL, "the order is closed already");
	struct step_tx x = { .app = app, .a = a, .p = p, .o = o, .actor_org = unit,
		                 .text = note && *note ? note : NULL, .now = pa_now() };
	if ((rc = store_write(app->store, close_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.o;
	return 0;
}

/* ---- the timer: overdue and escalation ----------------------------------------------------- */

int supervision_notify_escalation(pa_app_t *app, store_tx_t *tx, arena_t *a,
                                  const pa_supervision_t *o, const pa_case_t *cs, pa_time_t now)
{
	/* the leaders of the unit the order went to, and of the unit that issued
	 * it (the issuer's side learns its order went unanswered), told in this
	 * write; the webhook also goes to the unit itself */
	pa_id_t orgs[2] = { o->to_org_id, o->from_org_id };
	pa_member_t *to = NULL;
	size_t nto = 0, cap = 0;
	for (int k = 0; k < 2; k++) {
		if (!orgs[k] || (k == 1 && orgs[1] == orgs[0]))
			continue;
		pa_member_t *all = NULL;
		size_t nall = 0;
		int rc = store_org_members(store_tx_conn(tx), a, orgs[k], &all, &nall);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < nall; i++) {
			if (!streq(all[i].role, "leader"))
				continue;
			if (nto == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				pa_member_t *grown = arena_alloc(a, ncap * sizeof(*grown));
				if (nto)
					memcpy(grown, to, nto * sizeof(*grown));
				to = grown;
				cap = ncap;
			}
			to[nto++] = all[i];
		}
	}
	return notify_tx_supervision_overdue(app, tx, a, cs, o, to, nto, now);
}

struct tick_tx {
	pa_app_t *app;
	arena_t *a;
	pa_supervision_t *items;
	size_t n;
	pa_time_t now;
	int escalated;
};

static int tick_tx_fn(store_tx_t *tx, void *arg)
{
	struct tick_tx *x = arg;
	pa_principal_t sys = { .kind = PRINCIPAL_SYSTEM };
	for (size_t i = 0; i < x->n; i++) {
		pa_supervision_t *o = &x->items[i];
		bool changed = false;
		int rc = store_tx_supervision_mark_overdue(tx, o->id, x->now, &changed);
		if (rc < 0)
			return rc;
		if (!changed)
			continue;  /* replied, closed or escalated meanwhile */
		pa_case_t cs;
		if ((rc = store_case_get(store_tx_conn(tx), x->a, o->case_id, &cs)) < 0)
			return rc;
		json_t *d = json_pack("{s:I, s:I, s:s}", "order_id", (json_int_t)o->id, "to_org_id",
		                      (json_int_t)o->to_org_id, "due_at", iso(x->app, x->a, o->due_at));
		if ((rc = record_step(tx, x->a, &sys, o->case_id, 0, "supervision_overdue",
		                      "supervision.overdue", NULL, d, x->now, NULL)) < 0)
			return rc;
		o->state = "overdue";
		o->escalated_at = x->now;
		if ((rc = supervision_notify_escalation(x->app, tx, x->a, o, &cs, x->now)) < 0)
			return rc;
		x->escalated++;
	}
	return 0;
}

int supervision_timer_tick(pa_app_t *app, pa_time_t now, int *escalated, pa_err_t *err)
{
	*escalated = 0;
	pa_id_t after = 0;
	int rc = 0;
	arena_t *a = arena_new();
	for (;;) {
		arena_reset(a);
		pa_supervision_t *items = NULL;
		size_t n = 0;
		rc = store_supervision_due_scan(store_reader(app->store), a, now, after,
		                                SUPERVISION_TIMER_PAGE, &items, &n);
		if (rc < 0) {
			pa_fail(err, rc, "unavailable", NULL, "could not scan supervision orders");
			break;
		}
		if (n == 0)
			break;
		after = items[n - 1].id;
		struct tick_tx x = { .app = app, .a = a, .items = items, .n = n, .now = now };
		if ((rc = store_write(app->store, tick_tx_fn, &x, err)) < 0)
			break;
		*escalated += x.escalated;
		if (n < SUPERVISION_TIMER_PAGE)
			break;
	}
	arena_free(a);
	return rc;
}
