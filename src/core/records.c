/*
 * records.c — records, approvals and participants of a case (records.h).
 *
 * Each write follows cases.c: the checks that need no writer first (the
 * definition, the input, the principal's roles), then one store_write()
 * whose function re-reads the case on the writer connection, checks again
 * what may have changed meanwhile (state, a proposal decided, a
 * participant added), and writes the change, the timeline event and the
 * audit record together.  Approvals and participants live in the case's
 * JSON data (pending_approval, participants), written with the case row.
 */
#include "base/common.h"
#include "base/jsonw.h"
#include "core/records.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/links.h"
#include "core/notify.h"

#include <stdio.h>

static const char *json_text(arena_t *a, json_t *j)
{
	/* json_dumps(JSON_COMPACT | JSON_SORT_KEYS)'s bytes (base/jsonw.h) */
	const char *r = json_text_sorted(a, j);
	if (!r)
		r = "{}";
	return r;
}

static json_t *data_of(const pa_case_t *cs)
{
	json_t *d = cs->data ? json_loads(cs->data, 0, NULL) : NULL;
	if (!json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	return d;
}

/* p holds one of roles for cs: in its owning unit (overseers: over it), as
 * a transition's roles are checked. */
static bool holds_role_over(const pa_principal_t *p, const pa_case_t *cs, const char **roles,
                            size_t nroles)
{
	wf_transition_t probe = { .name = "", .roles = roles, .nroles = nroles };
	return p->kind == PRINCIPAL_STAFF && authz_may_take(p, cs, &probe, NULL);
}

/* p holds one of roles in a participating unit of cs. */
static bool holds_role_as_participant(const pa_principal_t *p, const pa_case_t *cs,
                                      const char **roles, size_t nroles)
{
	for (size_t i = 0; i < p->nroles; i++)
		for (size_t k = 0; k < nroles; k++)
			if (streq(p->roles[i].role, roles[k]) &&
			    authz_is_participant(p, cs, p->roles[i].org_id))
				return true;
	return false;
}

static const char *actor_name(const pa_principal_t *p)
{
	return p->kind == PRINCIPAL_STAFF ? p->display_name : p->kind == PRINCIPAL_PUBLIC ? "public"
	                                                                                 : "system";
}

/* ---- records ----------------------------------------------------------------------------- */

bool cases_may_add_record(const pa_principal_t *p, const pa_case_t *cs, const wf_def_t *def,
                          const wf_record_kind_t *rk)
{
	if (holds_role_over(p, cs, rk->roles, rk->nroles))
		return true;
	return def->ntracks && holds_role_as_participant(p, cs, rk->roles, rk->nroles);
}

struct record_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	const wf_def_t *def;
	const wf_record_kind_t *rk;
	const json_t *fields;
	pa_id_t case_id;
	pa_id_t supersedes;
	pa_id_t org_id;
	pa_time_t now;
	pa_record_t out;
};

static int record_alert_tx(store_tx_t *tx, struct record_tx *x, const pa_case_t *cs,
                           const pa_record_t *r);

static int record_tx_fn(store_tx_t *tx, void *arg)
{
	struct record_tx *x = arg;
	pa_err_t *err = store_tx_err(tx);
	store_conn_t *c = store_tx_conn(tx);
	pa_case_t cs;
	int rc = store_case_get(c, x->a, x->case_id, &cs);
	if (rc < 0)
		return rc;
	if (case_merged_into(&cs))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the case was merged into another case; add records there");
	if (!wf_record_allowed_in(x->rk, wf_find_state(x->def, cs.state)))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "a record '%s' cannot be added in state '%s'", x->rk->name, cs.state);
	int version = 1;
	if (x->supersedes) {
		pa_record_t *rs = NULL;
		size_t n = 0;
		if ((rc = store_records_of_case(c, x->a, cs.id, &rs, &n)) < 0)
			return rc;
		const pa_record_t *old = NULL;
		for (size_t i = 0; i < n && !old; i++)
			if (rs[i].id == x->supersedes)
				old = &rs[i];
		if (!old || !streq(old->kind, x->rk->name))
			return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "supersedes",
			               "no record '%s' %lld on this case", x->rk->name,
			               (long long)x->supersedes);
		if (old->superseded)
			return pa_fail(err, PA_ECONFLICT, "conflict", "supersedes",
			               "record %lld was already replaced by a later version; reload",
			               (long long)x->supersedes);
		version = old->version + 1;
	}
	json_t *ed = json_pack("{s:s, s:i, s:O}", "kind", x->rk->name, "version", version, "fields",
	                       (json_t *)x->fields);
	if (x->supersedes)
		json_object_set_new(ed, "supersedes", json_integer(x->supersedes));
	pa_event_t ev = {
		.case_id = cs.id, .at = x->now, .kind = "record", .action = NULL,
		.from_state = cs.state, .to_state = cs.state,
		.actor_user_id = x->p->kind == PRINCIPAL_STAFF ? x->p->user_id : 0,
		.actor_name = actor_name(x->p), .actor_org_id = x->org_id, .public = false,
		.data = json_text(x->a, ed),
	};
	json_decref(ed);
	pa_id_t ev_id;
	if ((rc = store_tx_event_insert(tx, &ev, &ev_id)) < 0)
		return rc;
	pa_record_t r = {
		.case_id = cs.id, .kind = x->rk->name, .version = version,
		.supersedes_id = x->supersedes, .fields = json_text(x->a, (json_t *)x->fields),
		.created_by = x->p->kind == PRINCIPAL_STAFF ? x->p->user_id : 0, .org_id = x->org_id,
		.created_at = x->now, .event_id = ev_id,
	};
	if ((rc = store_tx_record_insert(tx, &r, &r.id)) < 0) {
		if (rc == PA_ECONFLICT)
			return pa_fail(err, rc, "conflict", "supersedes",
			               "that version was replaced meanwhile; reload");
		return rc;
	}
	/* the audit record names the record, not its contents (they may hold
	 * personal data; the record itself is the evidence) */
	rc = audit_append(tx, x->now, authz_actor(x->p, x->a), "case.record",
	                  arena_printf(x->a, "case:%lld", (long long)cs.id),
	                  arena_printf(x->a, "{\"kind\":\"%s\",\"record_id\":%lld,\"version\":%d}",
	                               x->rk->name, (long long)r.id, version));
	if (rc < 0)
		return rc;
	if (wf_record_alerts(x->rk, x->fields) && (rc = record_alert_tx(tx, x, &cs, &r)) < 0)
		return rc;
	r.created_by_name = x->p->kind == PRINCIPAL_STAFF ? x->p->display_name : NULL;
	x->out = r;
	return 0;
}

/* "风险等级：重大；可能激化：是" — a record's fields in one language, for an alert. */
static const char *record_summary(arena_t *a, const wf_record_kind_t *rk, const json_t *fields,
                                  const char *lang)
{
	bool en = streq(lang, "en");
	strbuf_t sb = STRBUF_INIT;
	for (size_t i = 0; i < rk->nfields; i++) {
		const wf_field_t *f = &rk->fields[i];
		const json_t *v = json_object_get(fields, f->name);
		if (!v || json_is_null(v))
			continue;
		const char *text = NULL;
		char num[32];
		if (f->type == WF_FIELD_ENUM) {
			for (size_t k = 0; k < f->nvalues && !text; k++)
				if (streq(json_string_value(v), f->values[k].code))
					text = wf_label(&f->values[k].label, lang);
		} else if (f->type == WF_FIELD_BOOL) {
			text = json_is_true(v) ? (en ? "yes" : "是") : (en ? "no" : "否");
		} else if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			text = num;
		} else {
			text = json_string_value(v);
		}
		if (!text || !*text)
			continue;
		strbuf_addf(&sb, "%s%s%s%s", sb.len ? (en ? "; " : "；") : "",
		            wf_label(&f->label, lang), en ? ": " : "：", text);
	}
	const char *out = arena_strdup(a, sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return out;
}

/* The record meets its kind's alert: the alert's roles in the unit of its
 * kind nearest the case's owner are told, in this write (workflow `alert:`). */
static int record_alert_tx(store_tx_t *tx, struct record_tx *x, const pa_case_t *cs,
                           const pa_record_t *r)
{
	orgtree_t *tree = orgcache_get(x->app->orgs);
	pa_id_t unit = orgtree_nearest_kind(tree, cs->owner_org_id, x->rk->alert_kind);
	orgtree_release(tree);
	if (!unit) {
		log_warn("records: no %s above unit %lld: the %s alert on case %lld goes to nobody",
		         x->rk->alert_kind, (long long)cs->owner_org_id, x->rk->name, (long long)cs->id);
		return 0;
	}
	pa_member_t *all = NULL;
	size_t nall = 0, nto = 0;
	int rc = store_org_members(store_tx_conn(tx), x->a, unit, &all, &nall);
	if (rc < 0)
		return rc;
	pa_member_t *to = arena_alloc(x->a, (nall + 1) * sizeof(*to));
	for (size_t i = 0; i < nall; i++)
		for (size_t k = 0; k < x->rk->nalert_roles; k++)
			if (streq(all[i].role, x->rk->alert_roles[k])) {
				to[nto++] = all[i];
				break;
			}
	notify_record_t nr = {
		.id = r->id, .kind = x->rk->name, .version = r->version, .fields = r->fields,
		.label_zh = wf_label(&x->rk->label, "zh-CN"), .label_en = wf_label(&x->rk->label, "en"),
		.summary_zh = record_summary(x->a, x->rk, x->fields, "zh-CN"),
		.summary_en = record_summary(x->a, x->rk, x->fields, "en"),
	};
	return notify_tx_record_alert(x->app, tx, x->a, cs, &nr, unit, to, nto, x->now);
}

/* org fields of a record name active units */
static int check_org_fields(pa_app_t *app, const wf_record_kind_t *rk, const json_t *fields,
                            arena_t *a, pa_err_t *err)
{
	orgtree_t *tree = orgcache_get(app->orgs);
	int rc = 0;
	for (size_t i = 0; i < rk->nfields && rc == 0; i++) {
		const wf_field_t *f = &rk->fields[i];
		json_t *v = json_object_get(fields, f->name);
		if (f->type != WF_FIELD_ORG || !json_is_integer(v))
			continue;
		const pa_org_t *o = orgtree_find(tree, json_integer_value(v));
		if (!o || !o->is_unit || o->disabled)
			rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable",
			             arena_printf(a, "fields.%s", f->name), "no active unit with id %lld",
			             (long long)json_integer_value(v));
	}
	orgtree_release(tree);
	return rc;
}

int cases_record_add(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                     const char *kind, const json_t *fields, pa_id_t supersedes, pa_record_t *out,
                     pa_err_t *err)
{
	const wf_def_t *def = wf_registry_find(app->wf, cs->type);
	const wf_record_kind_t *rk = def ? wf_find_record_kind(def, kind) : NULL;
	if (!rk)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "kind", "a %s keeps no record '%s'",
		               cs->type, kind);
	if (!cases_may_add_record(p, cs, def, rk))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "your roles do not allow adding a '%s' to this case", kind);
	int rc;
	json_t *empty = NULL;
	if (!fields)
		fields = empty = json_object();
	if ((rc = wf_validate_record(rk, fields, err)) < 0 ||
	    (rc = check_org_fields(app, rk, fields, a, err)) < 0) {
		json_decref(empty);
		return rc;
	}
	/* the unit it is added for: the owner, or the participant the user works in */
	pa_id_t org = cs->owner_org_id;
	if (!holds_role_over(p, cs, rk->roles, rk->nroles))
		for (size_t i = 0; i < p->nroles; i++)
			if (authz_is_participant(p, cs, p->roles[i].org_id)) {
				org = p->roles[i].org_id;
				break;
			}
	struct record_tx x = { .app = app, .a = a, .p = p, .def = def, .rk = rk, .fields = fields,
		                   .case_id = cs->id, .supersedes = supersedes, .org_id = org,
		                   .now = pa_now() };
	rc = store_write(app->store, record_tx_fn, &x, err);
	json_decref(empty);
	if (rc == 0)
		*out = x.out;
	return rc;
}

#define RECORDS_LIST_ROUNDS 20  /* pages read to fill one page of matching records */

int cases_records_list(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                       pa_record_filter_t *f, const json_t *match, pa_record_row_t **out,
                       size_t *n, pa_id_t *next_before, pa_err_t *err)
{
	*out = NULL;
	*n = 0;
	*next_before = 0;
	const wf_def_t *def = f->type ? wf_registry_find(app->wf, f->type) : NULL;
	if (!def)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "type", "no case type '%s'",
		               f->type ? f->type : "");
	const wf_record_kind_t *rk = f->kind ? wf_find_record_kind(def, f->kind) : NULL;
	if (!rk || rk->nlist_roles == 0)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "kind",
		               "a %s keeps no listed record '%s'", def->type, f->kind ? f->kind : "");
	/* p as the holder of the list roles only */
	pa_principal_t lp = *p;
	lp.roles = arena_alloc(a, (p->nroles + 1) * sizeof(*lp.roles));
	lp.nroles = 0;
	for (size_t i = 0; p->kind == PRINCIPAL_STAFF && i < p->nroles; i++)
		for (size_t k = 0; k < rk->nlist_roles; k++)
			if (streq(p->roles[i].role, rk->list_roles[k])) {
				lp.roles[lp.nroles++] = p->roles[i];
				break;
			}
	if (lp.nroles == 0)
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "your roles do not allow listing '%s' records", rk->name);
	authz_case_filter(&lp, a, app->wf, &f->cases);
	pa_record_row_t *acc = arena_alloc(a, st_mult((size_t)f->limit, sizeof(*acc)));
	size_t k = 0;
	for (int round = 0; round < RECORDS_LIST_ROUNDS && k < (size_t)f->limit; round++) {
		pa_record_row_t *rows = NULL;
		size_t nr = 0;
		bool more = false;
		int rc = store_records_list(store_reader(app->store), a, f, &rows, &nr, &more);
		if (rc < 0)
			return pa_fail(err, rc, rc == PA_EINVAL ? "validation" : "unavailable", NULL,
			               "could not list the records");
		size_t i = 0;
		for (; i < nr && k < (size_t)f->limit; i++) {
			bool ok = true;
			if (match && json_object_size(match)) {
				json_t *fields = json_loads(rows[i].r.fields, 0, NULL);
				const char *name;
				json_t *want;
				json_object_foreach((json_t *)match, name, want)
					ok = ok && json_equal(json_object_get(fields, name), want);
				json_decref(fields);
			}
			if (ok)
				acc[k++] = rows[i];
			f->before_id = rows[i].r.id;
		}
		if (i < nr || more) {
			*next_before = f->before_id;
		} else {
			*next_before = 0;
			break;
		}
	}
	*out = acc;
	*n = k;
	return 0;
}

int cases_records(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_record_t **out, size_t *n,
                  pa_err_t *err)
{
	int rc = store_records_of_case(store_reader(app->store), a, cs->id, out, n);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the case's records");
	return 0;
}

/* ---- approvals ------------------------------------------------------------------------------ */

static const wf_transition_t *pending_step(pa_app_t *app, const pa_case_t *cs, json_t **pending)
{
	*pending = NULL;
	if (!cs->data || !strstr(cs->data, "\"pending_approval\""))
		return NULL;
	const wf_def_t *def = wf_registry_find(app->wf, cs->type);
	json_t *d = data_of(cs);
	json_t *pa = json_object_get(d, "pending_approval");
	const char *action = json_string_value(json_object_get(pa, "action"));
	const wf_transition_t *t = def && action ? wf_find_transition(def, action) : NULL;
	if (t)
		*pending = json_incref(pa);
	json_decref(d);
	return t;
}

bool cases_may_decide(pa_app_t *app, const pa_principal_t *p, const pa_case_t *cs)
{
	json_t *pending;
	const wf_transition_t *t = pending_step(app, cs, &pending);
	bool ok = t && holds_role_over(p, cs, t->approval_roles, t->napproval_roles) &&
	          json_integer_value(json_object_get(pending, "by_user_id")) != p->user_id;
	json_decref(pending);
	return ok;
}

struct decide_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	pa_id_t case_id;
	int version;
	bool approve;
	const char *reason;
	pa_time_t now;
	pa_case_t out;
};

static int decide_tx_fn(store_tx_t *tx, void *arg)
{
	struct decide_tx *x = arg;
	pa_err_t *err = store_tx_err(tx);
	pa_case_t cs;
	int rc = store_case_get(store_tx_conn(tx), x->a, x->case_id, &cs);
	if (rc < 0)
		return rc;
	json_t *pending;
	const wf_transition_t *t = pending_step(x->app, &cs, &pending);
	if (!t || cs.version != x->version) {
		json_decref(pending);
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the proposal was decided or changed meanwhile; reload");
	}
	json_t *info = json_pack("{s:s, s:O, s:s, s:I, s:s?}", "decision",
	                         x->approve ? "approved" : "declined", "proposed_by",
	                         json_object_get(pending, "by_name"), "by_name",
	                         x->p->display_name ? x->p->display_name : "", "by_user_id",
	                         (json_int_t)x->p->user_id, "reason", x->reason);
	json_object_set(info, "proposed_by_user_id", json_object_get(pending, "by_user_id"));
	pa_event_t ev = {
		.case_id = cs.id, .at = x->now, .kind = x->approve ? "approval_approved" : "approval_declined",
		.action = t->name, .from_state = cs.state, .to_state = cs.state,
		.actor_user_id = x->p->user_id, .actor_name = x->p->display_name,
		.actor_org_id = cs.owner_org_id, .public = false, .text = x->reason,
		.data = json_text(x->a, info),
	};
	pa_id_t ev_id;
	if ((rc = store_tx_event_insert(tx, &ev, &ev_id)) < 0)
		goto out;
	if ((rc = audit_append(tx, x->now, authz_actor(x->p, x->a),
	                       x->approve ? "case.approval_approve" : "case.approval_decline",
	                       arena_printf(x->a, "case:%lld", (long long)cs.id),
	                       arena_printf(x->a, "{\"action\":\"%s\",\"event_id\":%lld}", t->name,
	                                    (long long)ev_id))) < 0)
		goto out;
	if (x->approve) {
		/* the step itself, with every check it has (state, records,
		 * window...) done again now */
		rc = cases_apply_approved_tx(tx, x->app, x->a, x->p, &cs, pending, info, x->now,
		                             &x->out);
	} else {
		pa_case_t nc = cs;
		json_t *d = data_of(&cs);
		json_object_del(d, "pending_approval");
		nc.data = json_text(x->a, d);
		json_decref(d);
		nc.updated_at = x->now;
		if ((rc = store_tx_case_update(tx, &nc)) == 0) {
			nc.version++;
			x->out = nc;
		}
	}
out:
	json_decref(info);
	json_decref(pending);
	return rc;
}

int cases_decide_approval(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                          bool approve, const char *reason, pa_case_t *out, pa_err_t *err)
{
	json_t *pending;
	const wf_transition_t *t = pending_step(app, cs, &pending);
	if (!t)
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "no proposed step waits for approval on this case");
	bool own = json_integer_value(json_object_get(pending, "by_user_id")) == p->user_id;
	json_decref(pending);
	if (!holds_role_over(p, cs, t->approval_roles, t->napproval_roles))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "your roles do not allow deciding on '%s'", t->name);
	if (own)
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "a proposal is decided by someone other than who proposed it");
	int rc = cases_check_text(reason, "reason", !approve, RECORD_REASON_MAX, err);
	if (rc < 0)
		return rc;
	struct decide_tx x = { .app = app, .a = a, .p = p, .case_id = cs->id, .version = cs->version,
		                   .approve = approve, .reason = reason && *reason ? reason : NULL,
		                   .now = pa_now() };
	if ((rc = store_write(app->store, decide_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.out;
	return 0;
}

/* ---- participants ----------------------------------------------------------------------------- */

struct part_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	const wf_def_t *def;
	pa_id_t case_id;
	pa_id_t org_id;
	const char *org_kind;
	const char *stage;      /* NULL: add */
	const char *note;
	pa_time_t now;
	pa_case_t out;
};

static int part_tx_fn(store_tx_t *tx, void *arg)
{
	struct part_tx *x = arg;
	pa_err_t *err = store_tx_err(tx);
	pa_case_t cs;
	int rc = store_case_get(store_tx_conn(tx), x->a, x->case_id, &cs);
	if (rc < 0)
		return rc;
	if (!cs.is_open || case_merged_into(&cs))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the case is closed: its participants no longer change");
	const wf_track_t *tr = wf_find_track(x->def, x->org_kind);
	json_t *d = data_of(&cs);
	json_t *parts = json_object_get(d, "participants"), *v, *mine = NULL;
	if (!json_is_array(parts)) {
		parts = json_array();
		json_object_set_new(d, "participants", parts);
	}
	size_t k;
	json_array_foreach(parts, k, v)
		if (json_integer_value(json_object_get(v, "org_id")) == x->org_id)
			mine = v;
	/* a copy: d (which holds the string) is released on the error paths */
	const char *from_stage = mine ? json_string_value(json_object_get(mine, "stage")) : NULL;
	from_stage = from_stage ? arena_strdup(x->a, from_stage) : NULL;
	const char *to_stage = x->stage ? x->stage : tr->stages[0].code;
	/* the limit of the stage it enters, if the track gives it one */
	pa_time_t due_at = 0;
	int si = wf_track_stage(tr, to_stage);
	const wf_due_t *due = si >= 0 && tr->stage_dues ? &tr->stage_dues[si] : NULL;
	if (due && due->amount > 0 &&
	    (rc = calendar_add(x->app->cal, due->from == WF_FROM_CASE ? cs.created_at : x->now,
	                       due->amount, due->unit, &due_at)) < 0) {
		json_decref(d);
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "could not compute the due time");
	}
	if (!x->stage) {
		if (mine) {
			json_decref(d);
			return pa_fail(err, PA_ECONFLICT, "conflict", "org_id",
			               "that unit already participates");
		}
		mine = json_pack("{s:I, s:s, s:s, s:I}", "org_id", (json_int_t)x->org_id, "kind",
		                 tr->kind, "stage", to_stage, "since", (json_int_t)x->now);
		json_array_append_new(parts, mine);
	} else {
		if (!mine) {
			json_decref(d);
			return pa_fail(err, PA_ENOTFOUND, "not-found", "org_id",
			               "that unit does not participate in this case");
		}
		if (wf_track_stage(tr, x->stage) <= wf_track_stage(tr, from_stage)) {
			json_decref(d);
			return pa_fail(err, PA_ECONFLICT, "invalid-state", "stage",
			               "stage '%s' does not come after the current stage '%s'", x->stage,
			               from_stage ? from_stage : "");
		}
		if (!from_stage)
			from_stage = "";
		json_object_set_new(mine, "stage", json_string(to_stage));
		json_object_set_new(mine, "since", json_integer(x->now));
	}
	if (due_at)
		json_object_set_new(mine, "due_at", json_integer(due_at));
	else
		json_object_del(mine, "due_at");
	if (x->def->participants_only)
		json_object_set_new(d, "participants_only", json_true());
	pa_case_t nc = cs;
	nc.data = json_text(x->a, d);
	json_decref(d);
	nc.updated_at = x->now;
	if ((rc = store_tx_case_update(tx, &nc)) < 0)
		return rc;
	/* the participants' inboxes list it from now on (authz rule 5) */
	if (!x->stage && (rc = store_tx_case_participant_add(tx, cs.id, x->org_id)) < 0)
		return rc;
	/* the timer's row: this stage's limit, not yet overdue */
	if ((rc = store_tx_case_participant_due(tx, cs.id, x->org_id, due_at)) < 0)
		return rc;
	nc.version++;
	json_t *ed = json_pack("{s:I, s:s, s:s, s:s?, s:s?}", "org_id", (json_int_t)x->org_id, "kind",
	                       tr->kind, "stage", to_stage, "from_stage", x->stage ? from_stage : NULL,
	                       "note", x->note);
	if (due_at)
		json_object_set_new(ed, "due_at", json_integer(due_at));
	pa_event_t ev = {
		.case_id = cs.id, .at = x->now, .kind = x->stage ? "participant_stage" : "participant_added",
		.from_state = cs.state, .to_state = cs.state, .actor_user_id = x->p->user_id,
		.actor_name = x->p->display_name, .actor_org_id = x->org_id, .public = false,
		.text = x->note, .data = json_text(x->a, ed),
	};
	pa_id_t ev_id;
	rc = store_tx_event_insert(tx, &ev, &ev_id);
	if (rc == 0)
		rc = audit_append(tx, x->now, authz_actor(x->p, x->a),
		                  x->stage ? "case.participant_stage" : "case.participant_add",
		                  arena_printf(x->a, "case:%lld", (long long)cs.id), ev.data);
	json_decref(ed);
	if (rc == 0)
		x->out = nc;
	return rc;
}

static int participant_org(pa_app_t *app, arena_t *a, const wf_def_t *def, pa_id_t org_id,
                           const char **kind, pa_err_t *err)
{
	orgtree_t *tree = orgcache_get(app->orgs);
	const pa_org_t *o = orgtree_find(tree, org_id);
	int rc = 0;
	if (!o || !o->is_unit || o->disabled)
		rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "org_id",
		             "no active unit with id %lld", (long long)org_id);
	else if (!wf_find_track(def, o->kind))
		rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "org_id",
		             "a %s has no stage track in a %s", o->kind, def->type);
	else
		*kind = arena_strdup(a, o->kind);
	orgtree_release(tree);
	return rc;
}

int cases_participant_add(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                          pa_id_t org_id, pa_case_t *out, pa_err_t *err)
{
	const wf_def_t *def = wf_registry_find(app->wf, cs->type);
	if (!def || !def->ntracks)
		return pa_fail(err, PA_ENOTFOUND, "not-found", NULL, "a %s has no participants",
		               cs->type);
	if (!holds_role_over(p, cs, def->participant_roles, def->nparticipant_roles))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "your roles do not allow adding participants to this case");
	struct part_tx x = { .app = app, .a = a, .p = p, .def = def, .case_id = cs->id,
		                 .org_id = org_id, .now = pa_now() };
	int rc = participant_org(app, a, def, org_id, &x.org_kind, err);
	if (rc < 0)
		return rc;
	if (cs->accused_org_id) {
		orgtree_t *tree = orgcache_get(app->orgs);
		bool within = orgtree_is_within(tree, org_id, cs->accused_org_id);
		orgtree_release(tree);
		if (within)
			return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "org_id",
			               "a case may never go to the unit it accuses, or a unit under it");
	}
	if ((rc = store_write(app->store, part_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.out;
	return 0;
}

int cases_participant_stage(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                            const pa_case_t *cs, pa_id_t org_id, const char *stage,
                            const char *note, pa_case_t *out, pa_err_t *err)
{
	const wf_def_t *def = wf_registry_find(app->wf, cs->type);
	if (!def || !def->ntracks)
		return pa_fail(err, PA_ENOTFOUND, "not-found", NULL, "a %s has no participants",
		               cs->type);
	if (!authz_is_participant(p, cs, org_id) &&
	    !holds_role_over(p, cs, def->participant_roles, def->nparticipant_roles))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "only the unit itself or the case's coordinators move its stage");
	struct part_tx x = { .app = app, .a = a, .p = p, .def = def, .case_id = cs->id,
		                 .org_id = org_id, .stage = stage, .now = pa_now() };
	int rc = participant_org(app, a, def, org_id, &x.org_kind, err);
	if (rc < 0)
		return rc;
	if (wf_track_stage(wf_find_track(def, x.org_kind), stage) < 0)
		return pa_fail(err, PA_EINVAL, "validation", "stage",
		               "'%s' is not a stage of a %s's track", stage ? stage : "", x.org_kind);
	if ((rc = cases_check_text(note, "note", false, RECORD_REASON_MAX, err)) < 0)
		return rc;
	x.note = note && *note ? note : NULL;
	if ((rc = store_write(app->store, part_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.out;
	return 0;
}

/* ---- participants' stage limits: the timer ------------------------------------------------- */

#define PARTICIPANT_TIMER_PAGE 200

struct part_due_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_participant_due_t *items;
	size_t n;
	pa_time_t now;
	int marked;
};

/* Each participant stage read is marked once: overdue with an internal
 * timeline event and an audit record on an open case, its limit dropped on
 * a closed one.  The mark is conditional on the row (the same due time, not
 * yet marked), so a stage that moved on meanwhile, or another pass, leaves
 * it alone. */
static int part_due_tx_fn(store_tx_t *tx, void *arg)
{
	struct part_due_tx *x = arg;
	for (size_t i = 0; i < x->n; i++) {
		const pa_participant_due_t *it = &x->items[i];
		pa_case_t cs;
		int rc = store_case_get(store_tx_conn(tx), x->a, it->case_id, &cs);
		if (rc < 0)
			return rc;
		bool open = cs.is_open && !case_merged_into(&cs);
		bool changed = false;
		if ((rc = store_tx_participant_due_done(tx, it->case_id, it->org_id, it->due_at, open,
		                                        &changed)) < 0)
			return rc;
		if (!changed || !open)
			continue;
		char due[32];
		pa_time_format(it->due_at, x->app->cfg->utc_offset_min, due);
		const char *data = arena_printf(x->a, "{\"org_id\":%lld,\"due_at\":\"%s\"}",
		                                (long long)it->org_id, due);
		pa_event_t ev = { .case_id = cs.id, .at = x->now, .kind = "participant_overdue",
		                  .from_state = cs.state, .to_state = cs.state, .actor_name = "system",
		                  .actor_org_id = it->org_id, .public = false, .data = data };
		pa_id_t id;
		if ((rc = store_tx_event_insert(tx, &ev, &id)) < 0 ||
		    (rc = audit_append(tx, x->now, "system", "case.participant_overdue",
		                       arena_printf(x->a, "case:%lld", (long long)cs.id), data)) < 0)
			return rc;
		x->marked++;
	}
	return 0;
}

int records_timer_tick(pa_app_t *app, pa_time_t now, int *marked, pa_err_t *err)
{
	*marked = 0;
	int rc = 0;
	arena_t *a = arena_new();
	for (;;) {
		arena_reset(a);
		pa_participant_due_t *items = NULL;
		size_t n = 0;
		rc = store_participant_due_scan(store_reader(app->store), a, now, PARTICIPANT_TIMER_PAGE,
		                                &items, &n);
		if (rc < 0) {
			rc = pa_fail(err, rc, "unavailable", NULL, "could not read the participants' limits");
			break;
		}
		if (n == 0)
			break;
		struct part_due_tx x = { .app = app, .a = a, .items = items, .n = n, .now = now };
		if ((rc = store_write(app->store, part_due_tx_fn, &x, err)) < 0)
			break;
		*marked += x.marked;
		/* every row read was marked or cleared: the next scan reads the next ones */
		if (n < PARTICIPANT_TIMER_PAGE || atomic_load(&app->stopping))
			break;
	}
	arena_free(a);
	return rc;
}
