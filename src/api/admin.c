/*
 * admin.c — orgs and users (admin role), workflow definitions (any staff).
 */
#include "base/common.h"
#include "api/api.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/docgen.h"

static int need_role(http_req_t *req, const char *role)
{
	if (!authz_has_role(api_principal(req), role))
		return pa_fail(&req->err, PA_EFORBIDDEN, "forbidden", NULL, "this needs the %s role", role);
	return 0;
}

int h_orgs_list(http_req_t *req, http_resp_t *resp)
{
	const orgtree_t *t = api_principal(req)->tree;
	json_t *items = json_array();
	for (size_t i = 0; i < orgtree_count(t); i++)
		json_array_append_new(items, api_org_json(orgtree_at(t, i), req->lang));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int get_id(http_req_t *req, json_t *obj, const char *key, pa_id_t *out)
{
	json_t *v = json_object_get(obj, key);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", key, "%s must be a positive integer", key);
	*out = json_integer_value(v);
	return 0;
}

int h_orgs_create(http_req_t *req, http_resp_t *resp)
{
	int rc = need_role(req, "admin");
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "code", "name", "name_en", "abbr", "kind", "parent_id",
		                                   "superior_id", NULL };
	pa_org_t o = { 0 };
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "code", true, &o.code)) < 0 ||
	    (rc = api_get_string(req, body, "name", true, &o.name)) < 0 ||
	    (rc = api_get_string(req, body, "name_en", false, &o.name_en)) < 0 ||
	    (rc = api_get_string(req, body, "abbr", false, &o.abbr)) < 0 ||
	    (rc = api_get_string(req, body, "kind", true, &o.kind)) < 0 ||
	    (rc = get_id(req, body, "parent_id", &o.parent_id)) < 0 ||
	    (rc = get_id(req, body, "superior_id", &o.superior_id)) < 0)
		goto out;
	pa_id_t id;
	rc = accounts_org_create(api_app(req), req->arena, api_principal(req), &o, &id, &req->err);
	if (rc == 0) {
		o.id = id;
		o.is_unit = org_kind_is_unit(o.kind);
		http_resp_json(resp, 201, api_org_json(&o, req->lang));
	}
out:
	json_decref(body);
	return rc;
}

int h_orgs_update(http_req_t *req, http_resp_t *resp)
{
	int rc = need_role(req, "admin");
	if (rc < 0)
		return rc;
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such org");
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "name", "name_en", "abbr", NULL };
	org_patch_t patch = { 0 };
	pa_org_t o;
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "name", false, &patch.name)) < 0 ||
	    (rc = api_get_string(req, body, "name_en", false, &patch.name_en)) < 0 ||
	    (rc = api_get_string(req, body, "abbr", false, &patch.abbr)) < 0)
		goto out;
	if (!patch.name && !patch.name_en && !patch.abbr) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", NULL,
		             "give at least one of name, name_en and abbr");
		goto out;
	}
	rc = accounts_org_update(api_app(req), req->arena, api_principal(req), id, &patch, &o,
	                         &req->err);
	if (rc == 0)
		http_resp_json(resp, 200, api_org_json(&o, req->lang));
out:
	json_decref(body);
	return rc;
}

int h_users_list(http_req_t *req, http_resp_t *resp)
{
	int rc = need_role(req, "admin");
	if (rc < 0)
		return rc;
	pa_user_t *us = NULL;
	size_t n = 0;
	if ((rc = store_users_list(store_reader(api_app(req)->store), req->arena, &us, &n)) < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not list users");
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, api_user_json(&us[i]));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

static int parse_roles(http_req_t *req, json_t *arr, pa_membership_t **out, size_t *n)
{
	if (!json_is_array(arr))
		return pa_fail(&req->err, PA_EINVAL, "validation", "roles",
		               "roles must be an array of {org_id, role}");
	size_t cnt = json_array_size(arr);
	if (cnt > MAX_ROLES_PER_USER)
		return pa_fail(&req->err, PA_EINVAL, "validation", "roles", "at most %d roles",
		               MAX_ROLES_PER_USER);
	pa_membership_t *m = arena_zalloc(req->arena, (cnt + 1) * sizeof(*m));
	for (size_t i = 0; i < cnt; i++) {
		json_t *r = json_array_get(arr, i);
		json_t *org = json_object_get(r, "org_id");
		json_t *role = json_object_get(r, "role");
		if (!json_is_object(r) || !json_is_integer(org) || !json_is_string(role) ||
		    json_object_size(r) != 2)
			return pa_fail(&req->err, PA_EINVAL, "validation",
			               arena_printf(req->arena, "roles[%zu]", i),
			               "each role is {\"org_id\": <integer>, \"role\": <string>}");
		m[i].org_id = json_integer_value(org);
		m[i].role = arena_strdup(req->arena, json_string_value(role));
	}
	*out = m;
	*n = cnt;
	return 0;
}

static int respond_user(http_req_t *req, http_resp_t *resp, int status, pa_id_t id)
{
	pa_user_t u;
	int rc = store_user_get(store_reader(api_app(req)->store), req->arena, id, &u);
	if (rc < 0)
		return pa_fail(&req->err, rc, rc == PA_ENOTFOUND ? "not-found" : "unavailable", NULL,
		               "could not read the user");
	http_resp_json(resp, status, api_user_json(&u));
	return 0;
}

int h_users_create(http_req_t *req, http_resp_t *resp)
{
	int rc = need_role(req, "admin");
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "username", "display_name", "password", "roles", NULL };
	user_input_t in = { 0 };
	pa_membership_t *roles = NULL;
	size_t nroles = 0;
	json_t *jr = json_object_get(body, "roles");
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "username", true, &in.username)) < 0 ||
	    (rc = api_get_string(req, body, "display_name", false, &in.display_name)) < 0 ||
	    (rc = api_get_string(req, body, "password", true, &in.password)) < 0 ||
	    (jr && (rc = parse_roles(req, jr, &roles, &nroles)) < 0))
		goto out;
	in.roles = roles;
	in.nroles = nroles;
	pa_id_t id;
	rc = accounts_user_create(api_app(req), req->arena, api_principal(req), &in, &id, &req->err);
	if (rc == 0)
		rc = respond_user(req, resp, 201, id);
out:
	json_decref(body);
	return rc;
}

int h_users_update(http_req_t *req, http_resp_t *resp)
{
	int rc = need_role(req, "admin");
	if (rc < 0)
		return rc;
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such user");
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "disabled", "roles", "unlock", NULL };
	json_t *dis = json_object_get(body, "disabled");
	json_t *unlock = json_object_get(body, "unlock");
	json_t *jr = json_object_get(body, "roles");
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0)
		goto out;
	if (unlock && !json_is_boolean(unlock)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "unlock", "unlock must be a boolean");
		goto out;
	}
	if (dis && !json_is_boolean(dis)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "disabled", "disabled must be a boolean");
		goto out;
	}
	if (dis && id == api_principal(req)->user_id && json_is_true(dis)) {
		rc = pa_fail(&req->err, PA_EUNPROCESSABLE, "unprocessable", "disabled",
		             "you cannot disable your own account");
		goto out;
	}
	pa_membership_t *roles = NULL;
	size_t n = 0;
	if (jr && (rc = parse_roles(req, jr, &roles, &n)) < 0)
		goto out;
	if ((rc = accounts_user_update(api_app(req), req->arena, api_principal(req), id, roles, n,
	                               dis ? json_is_true(dis) : -1, json_is_true(unlock), &req->err)) < 0)
		goto out;
	rc = respond_user(req, resp, 200, id);
out:
	json_decref(body);
	return rc;
}

int h_users_password(http_req_t *req, http_resp_t *resp)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such user");
	pa_principal_t *p = api_principal(req);
	int rc;
	if (id != p->user_id && (rc = need_role(req, "admin")) < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "password", NULL };
	const char *pw;
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0 &&
	    (rc = api_get_string(req, body, "password", true, &pw)) == 0)
		rc = accounts_user_set_password(api_app(req), req->arena, p, id, pw, &req->err);
	json_decref(body);
	if (rc == 0)
		resp->status = 204;
	return rc;
}

int h_workflows_list(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	json_t *items = json_array();
	for (size_t i = 0; i < app->wf->ndefs; i++)
		json_array_append_new(items, wf_def_to_json(app->wf->defs[i]));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

int h_workflows_get(http_req_t *req, http_resp_t *resp)
{
	const wf_def_t *def = wf_registry_find(api_app(req)->wf, req->params[0]);
	if (!def)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no case type '%s'", req->params[0]);
	http_resp_json(resp, 200, wf_def_to_json(def));
	return 0;
}

int h_audit_list(http_req_t *req, http_resp_t *resp)
{
	int rc = need_role(req, "auditor");
	if (rc < 0)
		return rc;
	int64_t after, limit;
	if ((rc = api_query_int(req, "after", 0, 0, INT64_MAX, &after)) < 0 ||
	    (rc = api_query_int(req, "limit", 100, 1, STORE_LIST_MAX, &limit)) < 0)
		return rc;
	pa_audit_rec_t *recs = NULL;
	size_t n = 0;
	/* one more than asked tells whether another page exists */
	int fetch = limit < STORE_LIST_MAX ? (int)limit + 1 : (int)limit;
	if ((rc = store_audit_list(store_reader(api_app(req)->store), req->arena, after, fetch, &recs,
	                           &n)) < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the audit log");
	bool more = n > (size_t)limit || (fetch == limit && n == (size_t)limit);
	if (n > (size_t)limit)
		n = (size_t)limit;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *detail = recs[i].detail ? json_loads(recs[i].detail, 0, NULL) : NULL;
		json_array_append_new(items,
		                      json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:s, s:s}", "seq",
		                                (json_int_t)recs[i].seq, "at", api_time(api_app(req), recs[i].at),
		                                "actor", recs[i].actor, "action", recs[i].action, "object",
		                                recs[i].object, "detail", detail ? detail : json_null(),
		                                "prev_hash", recs[i].prev_hash, "hash", recs[i].hash));
	}
	json_t *j = json_pack("{s:o}", "items", items);
	if (more && n)
		json_object_set_new(j, "next_after", json_integer(recs[n - 1].seq));
	else
		json_object_set_new(j, "next_after", json_null());
	http_resp_json(resp, 200, j);
	return 0;
}

int h_audit_verify(http_req_t *req, http_resp_t *resp)
{
	int rc = need_role(req, "auditor");
	if (rc < 0)
		return rc;
	pa_app_t *app = api_app(req);
	audit_report_t rep = { 0 };
	rc = audit_verify(store_reader(app->store), &rep, NULL, NULL);
	if (rc < 0 && rc != PA_ECONFLICT)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the audit log");
	/* the issued documents too: each file must still hash to what its row
	 * and its audit record say (as `pingan audit verify` checks) */
	docs_report_t drep = { 0 };
	int drc = docgen_verify(store_reader(app->store), app->cfg->attachments_dir, &drep);
	if (drc < 0 && drc != PA_ECONFLICT)
		return pa_fail(&req->err, drc, "unavailable", NULL, "could not check the documents");
	json_t *docs = json_pack("{s:b, s:I, s:I, s:o}", "intact", drc == 0, "checked",
	                         (json_int_t)drep.checked, "bad", (json_int_t)drep.bad, "first_bad",
	                         drc == 0 ? json_null() : json_string(drep.first));
	http_resp_json(resp, 200,
	               json_pack("{s:b, s:I, s:o, s:s, s:o}", "intact", rc == 0 && drc == 0, "records",
	                         (json_int_t)rep.records, "first_bad",
	                         rep.first_bad ? json_integer(rep.first_bad) : json_null(), "reason",
	                         rc == 0 && drc != 0 ? "an issued document does not match its record"
	                                             : rep.reason,
	                         "documents", docs));
	return 0;
}
