/*
 * links.c — links between cases (related) and merging (core/links.c holds
 * the rules).  The case detail lists a case's links with
 * api_case_links_json(): each link seen from this case (outgoing or
 * incoming), and only links whose other case the user may see.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/links.h"

static json_t *link_json(http_req_t *req, const pa_case_link_t *l, pa_id_t from_view,
                         const pa_case_t *other)
{
	pa_app_t *app = api_app(req);
	bool outgoing = l->from_case_id == from_view;
	const wf_def_t *def = wf_registry_find(app->wf, other->type);
	const wf_state_t *st = def ? wf_find_state(def, other->state) : NULL;
	json_t *c = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)other->id, "number",
	                      other->number, "title", other->title, "state", other->state,
	                      "state_label", st ? wf_label(&st->label, req->lang) : other->state,
	                      "is_open", other->is_open);
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(l->id));
	json_object_set_new(j, "kind", json_string(l->kind));
	json_object_set_new(j, "kind_label", json_string(link_kind_label(l->kind, outgoing, req->lang)));
	json_object_set_new(j, "direction", json_string(outgoing ? "outgoing" : "incoming"));
	json_object_set_new(j, "case", c);
	json_object_set_new(j, "note", l->note ? json_string(l->note) : json_null());
	json_object_set_new(j, "created_by",
	                    l->created_by ? json_pack("{s:I, s:s}", "id", (json_int_t)l->created_by, "name",
	                                              l->created_by_name ? l->created_by_name : "")
	                                  : json_null());
	json_object_set_new(j, "created_at", api_time(app, l->created_at));
	return j;
}

json_t *api_case_links_json(http_req_t *req, const pa_case_t *cs)
{
	pa_app_t *app = api_app(req);
	pa_principal_t *p = api_principal(req);
	pa_case_link_t *ls = NULL;
	size_t n = 0;
	pa_err_t err = { 0 };
	json_t *arr = json_array();
	if (cases_links(app, req->arena, cs, &ls, &n, &err) < 0)
		return arr;
	for (size_t i = 0; i < n; i++) {
		pa_id_t other_id = ls[i].from_case_id == cs->id ? ls[i].to_case_id : ls[i].from_case_id;
		pa_case_t other;
		/* a linked case the user may not see is not shown at all (authz rule 1) */
		if (store_case_get(store_reader(app->store), req->arena, other_id, &other) < 0 ||
		    !authz_can_see_case(p, &other))
			continue;
		json_array_append_new(arr, link_json(req, &ls[i], cs->id, &other));
	}
	return arr;
}

static int load_case(http_req_t *req, pa_case_t *cs)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such case");
	return cases_get(api_app(req), req->arena, api_principal(req), id, false, cs, &req->err);
}

/* The target of a link: by id or by number, visible to the user (else 422). */
static int load_target(http_req_t *req, json_t *body, pa_case_t *to)
{
	pa_app_t *app = api_app(req);
	json_t *id = json_object_get(body, "to_id");
	const char *number = NULL;
	int rc;
	if ((rc = api_get_string(req, body, "to_number", false, &number)) < 0)
		return rc;
	if ((id && !json_is_null(id)) == (number != NULL))
		return pa_fail(&req->err, PA_EINVAL, "validation", "to_id",
		               "give the other case as to_id or as to_number (one of them)");
	const char *field = number ? "to_number" : "to_id";
	if (!number && (!json_is_integer(id) || json_integer_value(id) <= 0))
		return pa_fail(&req->err, PA_EINVAL, "validation", "to_id",
		               "to_id must be a positive integer");
	store_conn_t *c = store_reader(app->store);
	rc = number ? (strlen(number) < 64 ? store_case_get_by_number(c, req->arena, number, to)
	                                   : PA_ENOTFOUND)
	            : store_case_get(c, req->arena, json_integer_value(id), to);
	if (rc == 0 && !authz_can_see_case(api_principal(req), to))
		rc = PA_ENOTFOUND;
	if (rc == PA_ENOTFOUND)
		return pa_fail(&req->err, PA_EUNPROCESSABLE, "unprocessable", field,
		               "no case with that %s that you can see", number ? "number" : "id");
	if (rc < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the case");
	return 0;
}

int h_case_link_create(http_req_t *req, http_resp_t *resp)
{
	pa_case_t from;
	int rc = load_case(req, &from);
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "to_id", "to_number", "kind", "note", NULL };
	const char *kind = NULL, *note = NULL;
	pa_case_t to;
	pa_case_link_t l;
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "kind", false, &kind)) < 0 ||
	    (rc = api_get_string(req, body, "note", false, &note)) < 0)
		goto out;
	/* staff make related links; merging has its own request, hand-over is a
	 * workflow step, repeats are found at intake */
	if (kind && !streq(kind, "related")) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "kind",
		             "kind must be related (merge with POST /api/v1/cases/{id}/merge)");
		goto out;
	}
	if ((rc = load_target(req, body, &to)) < 0)
		goto out;
	if ((rc = cases_link(api_app(req), req->arena, api_principal(req), &from, &to, "related", note,
	                     &l, &req->err)) == 0)
		http_resp_json(resp, 201, link_json(req, &l, from.id, &to));
out:
	json_decref(body);
	return rc;
}

int h_case_merge(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, &cs);
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "into_id", "reason", NULL };
	const char *reason = NULL;
	json_t *into = json_object_get(body, "into_id");
	pa_case_t out;
	pa_principal_t *p = api_principal(req);
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "reason", false, &reason)) < 0)
		goto out;
	if (!json_is_integer(into) || json_integer_value(into) <= 0) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "into_id",
		             "into_id must be the id of the surviving case");
		goto out;
	}
	if ((rc = cases_merge(api_app(req), req->arena, p, &cs, json_integer_value(into), reason, &out,
	                      &req->err)) == 0)
		http_resp_json(resp, 200, api_case_json(req, p->tree, &out));
out:
	json_decref(body);
	return rc;
}
