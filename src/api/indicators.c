/*
 * indicators.c — GET /api/v1/indicators (the numbers, with numerator,
 * denominator and formula), GET /api/v1/indicators/{name}/cases (the cases
 * behind a number), GET /api/v1/indicators/workload, and campaigns
 * (/api/v1/campaigns, their board).  core/indicators.c holds the rules.
 *
 * Query parameters shared by the indicator routes and the indicator export
 * (api_indicator_query):
 *   from, to     YYYY-MM-DD, registration days, inclusive (default: the
 *                1st of the current month 11 months back … today)
 *   type, category   comma-separated lists
 *   org, street  unit / street ids; enterprise=true|false; group_by;
 *   campaign     a campaign id: its period, types, categories and units.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/indicators.h"

#include <stdio.h>

static int split_list(http_req_t *req, const char *key, const char **out, size_t *n)
{
	const char *v = http_query(req, key);
	*n = 0;
	if (!v || !*v)
		return 0;
	char *copy = arena_strdup(req->arena, v);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!*t)
			continue;
		if (*n == IND_MAX_LIST || strlen(t) > 64)
			return pa_fail(&req->err, PA_EINVAL, "validation", key,
			               "%s is a list of at most %d names", key, IND_MAX_LIST);
		out[(*n)++] = t;
	}
	return 0;
}

int api_indicator_query(http_req_t *req, ind_query_t *q, pa_campaign_t *cp, bool *has_campaign)
{
	pa_app_t *app = api_app(req);
	memset(q, 0, sizeof(*q));
	q->enterprise = -1;
	*has_campaign = false;
	int64_t campaign, org, street;
	int rc;
	if ((rc = api_query_int(req, "campaign", 0, 0, INT64_MAX, &campaign)) < 0 ||
	    (rc = api_query_int(req, "org", 0, 0, INT64_MAX, &org)) < 0 ||
	    (rc = api_query_int(req, "street", 0, 0, INT64_MAX, &street)) < 0)
		return rc;
	if (campaign) {
		if ((rc = campaign_get(app, req->arena, campaign, cp, &req->err)) < 0 ||
		    (rc = campaign_query(app, req->arena, cp, q, &req->err)) < 0)
			return rc;
		*has_campaign = true;
	} else {
		int64_t today = ind_day_of(app, pa_now());
		const char *from = http_query(req, "from"), *to = http_query(req, "to");
		q->to_day = today;
		if (to && *to && ind_parse_day(to, &q->to_day) < 0)
			return pa_fail(&req->err, PA_EINVAL, "validation", "to", "to must be YYYY-MM-DD");
		q->from_day = ind_default_from(q->to_day);
		if (from && *from && ind_parse_day(from, &q->from_day) < 0)
			return pa_fail(&req->err, PA_EINVAL, "validation", "from", "from must be YYYY-MM-DD");
		if ((rc = split_list(req, "type", q->types, &q->ntypes)) < 0 ||
		    (rc = split_list(req, "category", q->categories, &q->ncategories)) < 0)
			return rc;
		for (size_t i = 0; i < q->ntypes; i++)
			if (!wf_registry_find(app->wf, q->types[i]))
				return pa_fail(&req->err, PA_EINVAL, "validation", "type",
				               "unknown case type '%s'", q->types[i]);
	}
	if (org) {
		const pa_org_t *o = orgtree_find(api_principal(req)->tree, org);
		if (!o)
			return pa_fail(&req->err, PA_EINVAL, "validation", "org", "no unit %lld",
			               (long long)org);
		q->org_id = org;
	}
	q->street_id = street;
	const char *ent = http_query(req, "enterprise");
	if (ent && *ent) {
		if (streq(ent, "true") || streq(ent, "1"))
			q->enterprise = 1;
		else if (streq(ent, "false") || streq(ent, "0"))
			q->enterprise = 0;
		else
			return pa_fail(&req->err, PA_EINVAL, "validation", "enterprise",
			               "enterprise must be true or false");
	}
	const char *g = http_query(req, "group_by");
	q->group_by = g && *g ? g : NULL;
	return 0;
}

static json_t *value_json(const ind_value_t *v)
{
	json_t *j = json_object();
	json_object_set_new(j, "name", json_string(v->name));
	json_object_set_new(j, "type", v->type ? json_string(v->type) : json_null());
	json_object_set_new(j, "kind", json_string(v->kind));
	json_object_set_new(j, "label", json_string(v->label ? v->label : v->name));
	json_object_set_new(j, "formula", json_string(v->formula ? v->formula : ""));
	json_object_set_new(j, "numerator", json_integer(v->numerator));
	json_object_set_new(j, "denominator", v->denominator < 0 ? json_null()
	                                                         : json_integer(v->denominator));
	json_object_set_new(j, "value", v->has_value ? json_real(v->value) : json_null());
	return j;
}

static json_t *query_json(http_req_t *req, const ind_query_t *q)
{
	json_t *types = json_array(), *cats = json_array();
	for (size_t i = 0; i < q->ntypes; i++)
		json_array_append_new(types, json_string(q->types[i]));
	for (size_t i = 0; i < q->ncategories; i++)
		json_array_append_new(cats, json_string(q->categories[i]));
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "from",
	                 ind_day_text(req->arena, q->from_day), "to",
	                 ind_day_text(req->arena, q->to_day), "types", types, "categories", cats,
	                 "org", q->org_id ? json_integer(q->org_id) : json_null(), "street",
	                 q->street_id ? json_integer(q->street_id) : json_null(), "enterprise",
	                 q->enterprise < 0 ? json_null() : json_boolean(q->enterprise),
	                 "group_by", q->group_by ? json_string(q->group_by) : json_null());
}

static json_t *result_json(http_req_t *req, const ind_query_t *q, const ind_result_t *r)
{
	json_t *groups = json_array();
	for (size_t g = 0; g < r->ngroups; g++) {
		json_t *vals = json_array();
		for (size_t i = 0; i < r->groups[g].nvalues; i++)
			json_array_append_new(vals, value_json(&r->groups[g].values[i]));
		json_array_append_new(groups, json_pack("{s:s, s:o}", "key", r->groups[g].key,
		                                        "indicators", vals));
	}
	return json_pack("{s:o, s:o}", "query", query_json(req, q), "groups", groups);
}

int h_indicators(http_req_t *req, http_resp_t *resp)
{
	ind_query_t q;
	pa_campaign_t cp;
	bool has_cp;
	int rc = api_indicator_query(req, &q, &cp, &has_cp);
	if (rc < 0)
		return rc;
	ind_result_t r;
	if ((rc = indicators_compute(api_app(req), req->arena, api_principal(req), &q, req->lang, &r,
	                             &req->err)) < 0)
		return rc;
	http_resp_json(resp, 200, result_json(req, &q, &r));
	return 0;
}

int h_indicator_cases(http_req_t *req, http_resp_t *resp)
{
	const char *name = req->nparams > 0 ? req->params[0] : NULL;
	if (!name || strlen(name) > 160)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such indicator");
	ind_query_t q;
	pa_campaign_t cp;
	bool has_cp;
	int rc = api_indicator_query(req, &q, &cp, &has_cp);
	if (rc < 0)
		return rc;
	int64_t limit;
	if ((rc = api_query_int(req, "limit", API_DEFAULT_LIMIT, 1, STORE_LIST_MAX, &limit)) < 0)
		return rc;
	const char *part = http_query(req, "part");
	bool numerator = true;
	if (part && *part) {
		if (streq(part, "denominator"))
			numerator = false;
		else if (!streq(part, "numerator"))
			return pa_fail(&req->err, PA_EINVAL, "validation", "part",
			               "part must be numerator or denominator");
	}
	long long after_day = -1000000, after_id = 0;
	const char *cursor = http_query(req, "cursor");
	if (cursor && *cursor) {
		char tail;
		if (sscanf(cursor, "%lld.%lld%c", &after_day, &after_id, &tail) != 2 || after_id <= 0)
			return pa_fail(&req->err, PA_EINVAL, "validation", "cursor",
			               "cursor is not one this server gave");
	}
	pa_case_t *cases = NULL;
	int64_t *days = NULL;
	size_t n = 0;
	bool more = false;
	if ((rc = indicators_cases(api_app(req), req->arena, api_principal(req), &q, name, numerator,
	                           after_day, after_id, (int)limit, &cases, &days, &n, &more,
	                           &req->err)) < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, api_case_json(req, api_principal(req)->tree, &cases[i]));
	json_t *next = more && n ? json_string(arena_printf(req->arena, "%lld.%lld",
	                                                    (long long)days[n - 1],
	                                                    (long long)cases[n - 1].id))
	                         : json_null();
	http_resp_json(resp, 200, json_pack("{s:s, s:s, s:o, s:o}", "indicator", name, "part",
	                                    numerator ? "numerator" : "denominator", "items", items,
	                                    "next_cursor", next));
	return 0;
}

int h_indicators_workload(http_req_t *req, http_resp_t *resp)
{
	int64_t org;
	int rc = api_query_int(req, "org", 0, 0, INT64_MAX, &org);
	if (rc < 0)
		return rc;
	const char *by = http_query(req, "by");
	bool by_handler = false;
	if (by && *by) {
		if (streq(by, "handler"))
			by_handler = true;
		else if (!streq(by, "unit"))
			return pa_fail(&req->err, PA_EINVAL, "validation", "by", "by must be unit or handler");
	}
	pa_workload_row_t *rows = NULL;
	size_t n = 0;
	pa_principal_t *p = api_principal(req);
	if ((rc = indicators_workload(api_app(req), req->arena, p, org, by_handler, &rows, &n,
	                              &req->err)) < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		const pa_workload_row_t *w = &rows[i];
		json_t *closed = json_array();
		for (int k = 0; k < 4; k++)
			json_array_append_new(closed, json_integer(w->closed[k]));
		json_t *handler = by_handler && w->assignee_id
		                      ? json_pack("{s:I, s:s}", "id", (json_int_t)w->assignee_id, "name",
		                                  w->assignee_name ? w->assignee_name : "")
		                      : json_null();
		json_array_append_new(items, json_pack("{s:o, s:o, s:I, s:I, s:I, s:o}", "org",
		                                       api_org_ref(p->tree, w->org_id, req->lang),
		                                       "handler", handler, "open", (json_int_t)w->open,
		                                       "due_soon", (json_int_t)w->due_soon, "overdue",
		                                       (json_int_t)w->overdue, "closed_weeks", closed));
	}
	http_resp_json(resp, 200, json_pack("{s:s, s:i, s:o}", "by", by_handler ? "handler" : "unit",
	                                    "due_soon_days", IND_DUE_SOON_DAYS, "items", items));
	return 0;
}

/* ---- campaigns ---------------------------------------------------------------------------- */

static json_t *campaign_json(http_req_t *req, const pa_campaign_t *cp)
{
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(cp->id));
	json_object_set_new(j, "name", json_string(cp->name));
	json_object_set_new(j, "description", json_string(cp->description ? cp->description : ""));
	json_object_set_new(j, "start_date", json_string(ind_day_text(req->arena, cp->start_day)));
	json_object_set_new(j, "end_date", json_string(ind_day_text(req->arena, cp->end_day)));
	json_object_set_new(j, "types", json_loads(cp->types, 0, NULL));
	json_object_set_new(j, "categories", json_loads(cp->categories, 0, NULL));
	json_object_set_new(j, "orgs", json_loads(cp->orgs, 0, NULL));
	json_object_set_new(j, "goals", json_loads(cp->goals, 0, NULL));
	json_object_set_new(j, "created_at", api_time(api_app(req), cp->created_at));
	return j;
}

int h_campaigns_list(http_req_t *req, http_resp_t *resp)
{
	pa_campaign_t *cps = NULL;
	size_t n = 0;
	int rc = campaigns_list(api_app(req), req->arena, &cps, &n, &req->err);
	if (rc < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, campaign_json(req, &cps[i]));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

int h_campaigns_create(http_req_t *req, http_resp_t *resp)
{
	json_t *body;
	int rc = http_json_body(req, &body);
	if (rc < 0)
		return rc;
	static const char *const allowed[] = { "name", "description", "start_date", "end_date",
		                                   "types", "categories", "orgs", "goals", NULL };
	campaign_input_t in = { 0 };
	pa_campaign_t cp;
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0 &&
	    (rc = api_get_string(req, body, "name", false, &in.name)) == 0 &&
	    (rc = api_get_string(req, body, "description", false, &in.description)) == 0 &&
	    (rc = api_get_string(req, body, "start_date", true, &in.start_date)) == 0 &&
	    (rc = api_get_string(req, body, "end_date", true, &in.end_date)) == 0) {
		in.types = json_object_get(body, "types");
		in.categories = json_object_get(body, "categories");
		in.orgs = json_object_get(body, "orgs");
		in.goals = json_object_get(body, "goals");
		if ((rc = campaign_create(api_app(req), req->arena, api_principal(req), &in, &cp,
		                          &req->err)) == 0)
			http_resp_json(resp, 201, campaign_json(req, &cp));
	}
	json_decref(body);
	return rc;
}

int h_campaign_get(http_req_t *req, http_resp_t *resp)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such campaign");
	pa_campaign_t cp;
	int rc = campaign_get(api_app(req), req->arena, id, &cp, &req->err);
	if (rc < 0)
		return rc;
	http_resp_json(resp, 200, campaign_json(req, &cp));
	return 0;
}

/* The progress board: the campaign's indicators overall and per unit, each goal with
 * whether it is met so far. */
int h_campaign_board(http_req_t *req, http_resp_t *resp)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such campaign");
	pa_app_t *app = api_app(req);
	pa_campaign_t cp;
	ind_query_t q;
	int rc;
	if ((rc = campaign_get(app, req->arena, id, &cp, &req->err)) < 0 ||
	    (rc = campaign_query(app, req->arena, &cp, &q, &req->err)) < 0)
		return rc;
	ind_result_t overall, by_unit;
	if ((rc = indicators_compute(app, req->arena, api_principal(req), &q, req->lang, &overall,
	                             &req->err)) < 0)
		return rc;
	ind_query_t qu = q;
	qu.group_by = "org";
	if ((rc = indicators_compute(app, req->arena, api_principal(req), &qu, req->lang, &by_unit,
	                             &req->err)) < 0)
		return rc;
	json_t *goals = json_array(), *g = json_loads(cp.goals, 0, NULL);
	const char *k;
	json_t *target;
	json_object_foreach(g, k, target) {
		const ind_value_t *v = NULL;
		for (size_t i = 0; overall.ngroups && i < overall.groups[0].nvalues; i++)
			if (streq(overall.groups[0].values[i].name, k))
				v = &overall.groups[0].values[i];
		bool lower_better = strstr(k, "days") || streq(k, "overdue_open") || streq(k, "repeat_rate");
		json_t *met = json_null();
		if (v && v->has_value)
			met = json_boolean(lower_better ? v->value <= json_number_value(target)
			                                : v->value >= json_number_value(target));
		json_array_append_new(goals, json_pack("{s:s, s:f, s:o, s:o}", "indicator", k, "target",
		                                       json_number_value(target), "value",
		                                       v && v->has_value ? json_real(v->value)
		                                                         : json_null(),
		                                       "met", met));
	}
	json_decref(g);
	json_t *j = result_json(req, &q, &overall);
	json_t *units = result_json(req, &qu, &by_unit);
	json_object_set_new(j, "campaign", campaign_json(req, &cp));
	json_object_set_new(j, "goals", goals);
	json_object_set(j, "units", json_object_get(units, "groups"));
	json_decref(units);
	http_resp_json(resp, 200, j);
	return 0;
}
