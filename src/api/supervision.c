/*
 * supervision.c — supervision orders (督办): issue on a case, the case's
 * orders, the supervisors' board, reply and close (core/supervision.c holds
 * the rules).  The JSON shape of an order is api_supervision_json(), also
 * used by the case detail (cases.c).
 */
#include "base/common.h"
#include "api/api.h"
#include "core/supervision.h"

#include <stdio.h>

static json_t *user_ref(pa_id_t id, const char *name)
{
	if (!id)
		return json_null();
	return json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", name ? name : "");
}

json_t *api_supervision_json(http_req_t *req, const orgtree_t *t, const pa_supervision_t *o,
                             const pa_case_t *cs)
{
	pa_app_t *app = api_app(req);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(o->id));
	json_object_set_new(j, "case", cs ? json_pack("{s:I, s:s, s:s}", "id", (json_int_t)cs->id,
	                                              "number", cs->number, "title", cs->title)
	                                  : json_pack("{s:I}", "id", (json_int_t)o->case_id));
	json_object_set_new(j, "from_org", api_org_ref(t, o->from_org_id, req->lang));
	json_object_set_new(j, "to_org", api_org_ref(t, o->to_org_id, req->lang));
	json_object_set_new(j, "issued_by", user_ref(o->issued_by, o->issued_by_name));
	json_object_set_new(j, "issued_at", api_time(app, o->issued_at));
	json_object_set_new(j, "reason", json_string(o->reason));
	json_object_set_new(j, "required_action", json_string(o->required_action));
	json_object_set_new(j, "due_at", api_time(app, o->due_at));
	json_object_set_new(j, "state", json_string(o->state));
	json_object_set_new(j, "state_label", json_string(supervision_state_label(o->state, req->lang)));
	bool late = streq(o->state, "overdue") || (streq(o->state, "open") && o->due_at < pa_now());
	json_object_set_new(j, "overdue", json_boolean(late));
	json_object_set_new(j, "reply_text", o->reply_text ? json_string(o->reply_text) : json_null());
	json_object_set_new(j, "replied_by", user_ref(o->replied_by, o->replied_by_name));
	json_object_set_new(j, "replied_at", api_time(app, o->replied_at));
	json_object_set_new(j, "escalated_at", api_time(app, o->escalated_at));
	json_object_set_new(j, "closed_by", user_ref(o->closed_by, o->closed_by_name));
	json_object_set_new(j, "closed_at", api_time(app, o->closed_at));
	return j;
}

json_t *api_case_supervision_json(http_req_t *req, const orgtree_t *t, const pa_case_t *cs)
{
	pa_supervision_t *os = NULL;
	size_t n = 0;
	pa_err_t err = { 0 };
	json_t *arr = json_array();
	if (supervision_of_case(api_app(req), req->arena, cs, &os, &n, &err) == 0)
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, api_supervision_json(req, t, &os[i], cs));
	return arr;
}

static int load_case(http_req_t *req, pa_case_t *cs)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such case");
	return cases_get(api_app(req), req->arena, api_principal(req), id, false, cs, &req->err);
}

int h_case_supervision_create(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "reason", "required_action", "due_date", NULL };
	supervision_input_t in = { 0 };
	pa_supervision_t o;
	pa_principal_t *p = api_principal(req);
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0 &&
	    (rc = api_get_string(req, body, "reason", false, &in.reason)) == 0 &&
	    (rc = api_get_string(req, body, "required_action", false, &in.required_action)) == 0 &&
	    (rc = api_get_string(req, body, "due_date", false, &in.due_date)) == 0 &&
	    (rc = supervision_issue(api_app(req), req->arena, p, &cs, &in, &o, &req->err)) == 0)
		http_resp_json(resp, 201, api_supervision_json(req, p->tree, &o, &cs));
	json_decref(body);
	return rc;
}

int h_case_supervision_list(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	pa_supervision_t *os = NULL;
	size_t n = 0;
	if ((rc = supervision_of_case(api_app(req), req->arena, &cs, &os, &n, &req->err)) < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, api_supervision_json(req, api_principal(req)->tree, &os[i], &cs));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

int h_supervision_list(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	pa_principal_t *p = api_principal(req);
	pa_supervision_filter_t f = { 0 };
	int64_t limit, org;
	int rc;
	if ((rc = api_query_int(req, "limit", API_DEFAULT_LIMIT, 1, STORE_LIST_MAX, &limit)) < 0 ||
	    (rc = api_query_int(req, "org", 0, 0, INT64_MAX, &org)) < 0)
		return rc;
	f.limit = (int)limit;
	const char *state = http_query(req, "state");
	if (state && *state && !streq(state, "any")) {
		if (!supervision_state_valid(state))
			return pa_fail(&req->err, PA_EINVAL, "validation", "state",
			               "state must be open, replied, overdue, closed or any");
		f.state = state;
	}
	const char *cursor = http_query(req, "cursor");
	if (cursor && *cursor) {
		long long d, id;
		char tail;
		if (sscanf(cursor, "%lld.%lld%c", &d, &id, &tail) != 2 || id <= 0)
			return pa_fail(&req->err, PA_EINVAL, "validation", "cursor",
			               "cursor is not one this server gave");
		f.has_cursor = true;
		f.after_due = d;
		f.after_id = id;
	}
	pa_supervision_t *os = NULL;
	size_t n = 0;
	bool more = false;
	if ((rc = supervision_board(app, req->arena, p, org, &f, &os, &n, &more, &req->err)) < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		pa_case_t cs;
		bool have = store_case_get(store_reader(app->store), req->arena, os[i].case_id, &cs) == 0;
		json_array_append_new(items, api_supervision_json(req, p->tree, &os[i], have ? &cs : NULL));
	}
	json_t *out = json_pack("{s:o}", "items", items);
	if (more && n)
		json_object_set_new(out, "next_cursor",
		                    json_string(arena_printf(req->arena, "%lld.%lld",
		                                             (long long)os[n - 1].due_at,
		                                             (long long)os[n - 1].id)));
	else
		json_object_set_new(out, "next_cursor", json_null());
	http_resp_json(resp, 200, out);
	return 0;
}

/* reply and close: {text} / {note} on /api/v1/supervision/{id}/... */
static int order_step(http_req_t *req, http_resp_t *resp, const char *member, bool required,
                      int (*step)(pa_app_t *, arena_t *, const pa_principal_t *, pa_id_t,
                                  const char *, pa_supervision_t *, pa_err_t *))
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such supervision order");
	json_t *body = NULL;
	int rc;
	if (req->body_len || required) {
		if ((rc = http_json_body(req, &body)) < 0)
			return rc;
	} else {
		body = json_object();
	}
	const char *const allowed[] = { member, NULL };
	const char *text = NULL;
	pa_supervision_t o;
	pa_principal_t *p = api_principal(req);
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0 &&
	    (rc = api_get_string(req, body, member, false, &text)) == 0 &&
	    (rc = step(api_app(req), req->arena, p, id, text, &o, &req->err)) == 0) {
		pa_case_t cs;
		bool have = store_case_get(store_reader(api_app(req)->store), req->arena, o.case_id, &cs) == 0;
		http_resp_json(resp, 200, api_supervision_json(req, p->tree, &o, have ? &cs : NULL));
	}
	json_decref(body);
	return rc;
}

int h_supervision_reply(http_req_t *req, http_resp_t *resp)
{
	return order_step(req, resp, "text", true, supervision_reply);
}

int h_supervision_close(http_req_t *req, http_resp_t *resp)
{
	return order_step(req, resp, "note", false, supervision_close);
}
