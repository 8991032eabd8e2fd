/*
 * records.c (api) — a case's records, the decision on a proposed step, and
 * participating units: HTTP in, core/records.c calls, JSON out.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/records.h"

#include <errno.h>
#include <stdlib.h>

static int load_case(http_req_t *req, pa_case_t *cs)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such case");
	return cases_get(api_app(req), req->arena, api_principal(req), id, false, cs, &req->err);
}

static json_t *record_json(http_req_t *req, const wf_def_t *def, const pa_record_t *r)
{
	const wf_record_kind_t *rk = def ? wf_find_record_kind(def, r->kind) : NULL;
	json_t *fields = r->fields ? json_loads(r->fields, 0, NULL) : NULL;
	json_t *labels = json_object();
	/* enum codes with their labels, for display */
	for (size_t i = 0; rk && i < rk->nfields; i++) {
		const wf_field_t *f = &rk->fields[i];
		json_t *v = json_object_get(fields, f->name);
		if (f->type == WF_FIELD_ENUM && json_is_string(v))
			for (size_t k = 0; k < f->nvalues; k++)
				if (streq(f->values[k].code, json_string_value(v)))
					json_object_set_new(labels, f->name,
					                    json_string(wf_label(&f->values[k].label, req->lang)));
	}
	json_t *j = json_pack("{s:I, s:s, s:s, s:i, s:o, s:b, s:o, s:o}", "id", (json_int_t)r->id,
	                      "kind", r->kind, "kind_label",
	                      rk ? wf_label(&rk->label, req->lang) : r->kind, "version", r->version,
	                      "supersedes", r->supersedes_id ? json_integer(r->supersedes_id) : json_null(),
	                      "superseded", r->superseded, "fields", fields ? fields : json_object(),
	                      "field_labels", labels);
	json_object_set_new(j, "created_by", r->created_by_name ? json_string(r->created_by_name)
	                                                        : json_null());
	json_object_set_new(j, "org", api_org_ref(api_principal(req)->tree, r->org_id, req->lang));
	json_object_set_new(j, "created_at", api_time(api_app(req), r->created_at));
	json_object_set_new(j, "event_id", r->event_id ? json_integer(r->event_id) : json_null());
	return j;
}

static json_t *records_json(http_req_t *req, const pa_case_t *cs)
{
	pa_record_t *rs = NULL;
	size_t n = 0;
	json_t *arr = json_array();
	const wf_def_t *def = wf_registry_find(api_app(req)->wf, cs->type);
	pa_err_t err = { 0 };
	if (cases_records(api_app(req), req->arena, cs, &rs, &n, &err) == 0)
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, record_json(req, def, &rs[i]));
	return arr;
}

void api_case_records_into(http_req_t *req, json_t *j, const pa_case_t *cs)
{
	pa_app_t *app = api_app(req);
	pa_principal_t *p = api_principal(req);
	const wf_def_t *def = wf_registry_find(app->wf, cs->type);
	json_object_set_new(j, "records", records_json(req, cs));
	/* record kinds this user may add now */
	json_t *kinds = json_array();
	const wf_state_t *st = def ? wf_find_state(def, cs->state) : NULL;
	for (size_t i = 0; def && i < def->nrecords; i++) {
		const wf_record_kind_t *rk = &def->records[i];
		if (wf_record_allowed_in(rk, st) && cases_may_add_record(p, cs, def, rk))
			json_array_append_new(kinds, json_string(rk->name));
	}
	json_object_set_new(j, "record_kinds", kinds);
	json_t *d = cs->data ? json_loads(cs->data, 0, NULL) : NULL;
	json_t *pending = json_object_get(d, "pending_approval");
	if (json_is_object(pending)) {
		const char *action = json_string_value(json_object_get(pending, "action"));
		const wf_transition_t *t = def && action ? wf_find_transition(def, action) : NULL;
		json_t *pj = json_pack("{s:s?, s:s?, s:O, s:s?, s:o, s:b}", "action", action,
		                       "action_label", t ? wf_label(&t->label, req->lang) : NULL,
		                       "fields", json_object_get(pending, "fields"), "proposed_by",
		                       json_string_value(json_object_get(pending, "by_name")),
		                       "proposed_at",
		                       api_time(app, json_integer_value(json_object_get(pending, "at"))),
		                       "may_decide", cases_may_decide(app, p, cs));
		json_object_set_new(j, "pending_approval", pj);
	} else {
		json_object_set_new(j, "pending_approval", json_null());
	}
	json_t *parts = json_array(), *v;
	size_t k;
	json_array_foreach(json_object_get(d, "participants"), k, v) {
		pa_id_t org = json_integer_value(json_object_get(v, "org_id"));
		const char *kind = json_string_value(json_object_get(v, "kind"));
		const char *stage = json_string_value(json_object_get(v, "stage"));
		const wf_track_t *tr = def ? wf_find_track(def, kind) : NULL;
		int si = tr ? wf_track_stage(tr, stage) : -1;
		json_array_append_new(parts, json_pack("{s:o, s:s?, s:s?, s:s?, s:o}", "org",
		                                       api_org_ref(p->tree, org, req->lang), "kind", kind,
		                                       "stage", stage, "stage_label",
		                                       si >= 0 ? wf_label(&tr->stages[si].label, req->lang)
		                                               : NULL,
		                                       "since",
		                                       api_time(app, json_integer_value(
		                                                         json_object_get(v, "since")))));
	}
	json_object_set_new(j, "participants", def && def->ntracks ? parts
	                                                          : (json_decref(parts), json_null()));
	json_decref(d);
}

int h_case_records_list(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	http_resp_json(resp, 200, json_pack("{s:o}", "items", records_json(req, &cs)));
	return 0;
}

/*
 * GET /api/v1/records?type=T&kind=K[&FIELD=VALUE...][&owner_org=][&open=][&from=][&to=]
 * — the current records of one listed kind across the cases the user sees
 * (a dispute's risk reports for the political-legal committee), newest
 * first.  Any other query parameter names a field of the kind and the value
 * a record must hold: an enum's code, true/false for a bool, a whole number,
 * or the exact text or date.
 */
static const char *const records_list_params[] = { "type", "kind", "owner_org", "open", "from",
	                                               "to", "limit", "cursor", "lang", NULL };

static int match_value(http_req_t *req, const wf_field_t *fd, const char *v, json_t **out)
{
	const char *field = arena_printf(req->arena, "%s", fd->name);
	switch (fd->type) {
	case WF_FIELD_BOOL:
		if (streq(v, "true") || streq(v, "false")) {
			*out = json_boolean(streq(v, "true"));
			return 0;
		}
		return pa_fail(&req->err, PA_EINVAL, "validation", field, "%s must be true or false",
		               fd->name);
	case WF_FIELD_INT:
	case WF_FIELD_ORG: {
		char *end = NULL;
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (!*v || *end || errno)
			return pa_fail(&req->err, PA_EINVAL, "validation", field,
			               "%s must be a whole number", fd->name);
		*out = json_integer(x);
		return 0;
	}
	case WF_FIELD_ENUM:
		for (size_t i = 0; i < fd->nvalues; i++)
			if (streq(fd->values[i].code, v)) {
				*out = json_string(v);
				return 0;
			}
		return pa_fail(&req->err, PA_EINVAL, "validation", field, "'%s' is not a value of %s", v,
		               fd->name);
	default:
		*out = json_string(v);
		return 0;
	}
}

static int day_param(http_req_t *req, const char *key, bool end, pa_time_t *out)
{
	*out = 0;
	const char *v = http_query(req, key);
	if (!v || !*v)
		return 0;
	if (pa_time_parse(v, api_app(req)->cfg->utc_offset_min, out) < 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", key,
		               "%s must be a date (YYYY-MM-DD) or an ISO 8601 time", key);
	if (end && strlen(v) == 10)
		*out += 24 * 3600;  /* to=YYYY-MM-DD includes that day */
	return 0;
}

int h_records_list(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	pa_principal_t *p = api_principal(req);
	pa_record_filter_t f = { .type = http_query(req, "type"), .kind = http_query(req, "kind") };
	if (!f.type || !*f.type)
		return pa_fail(&req->err, PA_EINVAL, "validation", "type", "type is required");
	if (!f.kind || !*f.kind)
		return pa_fail(&req->err, PA_EINVAL, "validation", "kind", "kind is required");
	const wf_def_t *def = wf_registry_find(app->wf, f.type);
	const wf_record_kind_t *rk = def ? wf_find_record_kind(def, f.kind) : NULL;
	int64_t limit, org, cursor;
	int rc;
	if ((rc = api_query_int(req, "limit", API_DEFAULT_LIMIT, 1, STORE_LIST_MAX, &limit)) < 0 ||
	    (rc = api_query_int(req, "owner_org", 0, 0, INT64_MAX, &org)) < 0 ||
	    (rc = api_query_int(req, "cursor", 0, 0, INT64_MAX, &cursor)) < 0 ||
	    (rc = day_param(req, "from", false, &f.from)) < 0 ||
	    (rc = day_param(req, "to", true, &f.to)) < 0)
		return rc;
	f.limit = (int)limit;
	f.before_id = cursor;
	f.cases = (pa_case_filter_t){ .overdue = -1, .open = -1, .owner_org_id = org };
	const char *open = http_query(req, "open");
	if (open && *open && !streq(open, "any")) {
		if (!streq(open, "true") && !streq(open, "false"))
			return pa_fail(&req->err, PA_EINVAL, "validation", "open",
			               "open must be true, false or any");
		f.cases.open = streq(open, "true");
	}
	json_t *match = json_object();
	for (size_t i = 0; i < req->nquery && rk; i++) {
		const http_kv_t *kv = &req->query[i];
		bool known = false;
		for (const char *const *k = records_list_params; *k && !known; k++)
			known = streq(*k, kv->key);
		if (known)
			continue;
		const wf_field_t *fd = NULL;
		for (size_t k = 0; k < rk->nfields; k++)
			if (streq(rk->fields[k].name, kv->key))
				fd = &rk->fields[k];
		json_t *v = NULL;
		if (!fd)
			rc = pa_fail(&req->err, PA_EINVAL, "validation", kv->key,
			             "'%s' is neither a parameter nor a field of a %s record", kv->key,
			             rk->name);
		else
			rc = match_value(req, fd, kv->value, &v);
		if (rc < 0) {
			json_decref(match);
			return rc;
		}
		json_object_set_new(match, fd->name, v);
	}
	pa_record_row_t *rows = NULL;
	size_t n = 0;
	pa_id_t next = 0;
	rc = cases_records_list(app, req->arena, p, &f, match, &rows, &n, &next, &req->err);
	json_decref(match);
	if (rc < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = record_json(req, def, &rows[i].r);
		const wf_state_t *st = wf_find_state(def, rows[i].state);
		json_object_set_new(j, "case", json_pack("{s:I, s:s, s:s?, s:s, s:s, s:o}", "id",
		                                         (json_int_t)rows[i].r.case_id, "number",
		                                         rows[i].number, "title", rows[i].title, "state",
		                                         rows[i].state, "state_label",
		                                         st ? wf_label(&st->label, req->lang) : rows[i].state,
		                                         "owner_org",
		                                         api_org_ref(p->tree, rows[i].owner_org_id,
		                                                     req->lang)));
		json_array_append_new(items, j);
	}
	http_resp_json(resp, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
	                                    next ? json_sprintf("%lld", (long long)next) : json_null()));
	return 0;
}

int h_case_record_add(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	json_t *body = NULL;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "fields", "supersedes", NULL };
	json_t *fields = json_object_get(body, "fields");
	json_t *sup = json_object_get(body, "supersedes");
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0)
		goto out;
	if (!json_is_object(fields)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "fields", "fields must be an object");
		goto out;
	}
	if (sup && !json_is_null(sup) && (!json_is_integer(sup) || json_integer_value(sup) < 1)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "supersedes",
		             "supersedes must be the id of the record this version replaces");
		goto out;
	}
	pa_record_t r;
	rc = cases_record_add(api_app(req), req->arena, api_principal(req), &cs, req->params[1],
	                      fields, json_is_integer(sup) ? json_integer_value(sup) : 0, &r,
	                      &req->err);
	if (rc == 0) {
		const wf_def_t *def = wf_registry_find(api_app(req)->wf, cs.type);
		http_resp_json(resp, 201, record_json(req, def, &r));
	}
out:
	json_decref(body);
	return rc;
}

int h_case_approval(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	json_t *body = NULL;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "decision", "reason", NULL };
	const char *decision = NULL, *reason = NULL;
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "decision", true, &decision)) < 0 ||
	    (rc = api_get_string(req, body, "reason", false, &reason)) < 0)
		goto out;
	if (!streq(decision, "approve") && !streq(decision, "decline")) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "decision",
		             "decision must be approve or decline");
		goto out;
	}
	pa_case_t nc;
	pa_principal_t *p = api_principal(req);
	rc = cases_decide_approval(api_app(req), req->arena, p, &cs, streq(decision, "approve"),
	                           reason, &nc, &req->err);
	if (rc == 0) {
		json_t *j = api_case_json(req, p->tree, &nc);
		api_case_records_into(req, j, &nc);
		http_resp_json(resp, 200, j);
	}
out:
	json_decref(body);
	return rc;
}

static int org_id_member(http_req_t *req, json_t *body, int64_t *out)
{
	json_t *v = json_object_get(body, "org_id");
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return pa_fail(&req->err, PA_EINVAL, "validation", "org_id",
		               "org_id must be a unit id (a positive integer)");
	*out = json_integer_value(v);
	return 0;
}

int h_case_participant_add(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	json_t *body = NULL;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "org_id", NULL };
	int64_t org = 0;
	pa_case_t nc;
	pa_principal_t *p = api_principal(req);
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0 &&
	    (rc = org_id_member(req, body, &org)) == 0 &&
	    (rc = cases_participant_add(api_app(req), req->arena, p, &cs, org, &nc, &req->err)) == 0) {
		json_t *j = api_case_json(req, p->tree, &nc);
		api_case_records_into(req, j, &nc);
		http_resp_json(resp, 200, j);
	}
	json_decref(body);
	return rc;
}

int h_case_participant_stage(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	int64_t org;
	if (http_param_id(req, 1, &org) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", "org_id",
		               "that unit does not participate in this case");
	json_t *body = NULL;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "stage", "note", NULL };
	const char *stage = NULL, *note = NULL;
	pa_case_t nc;
	pa_principal_t *p = api_principal(req);
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0 &&
	    (rc = api_get_string(req, body, "stage", true, &stage)) == 0 &&
	    (rc = api_get_string(req, body, "note", false, &note)) == 0 &&
	    (rc = cases_participant_stage(api_app(req), req->arena, p, &cs, org, stage, note, &nc,
	                                  &req->err)) == 0) {
		json_t *j = api_case_json(req, p->tree, &nc);
		api_case_records_into(req, j, &nc);
		http_resp_json(resp, 200, j);
	}
	json_decref(body);
	return rc;
}
