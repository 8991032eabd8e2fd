/*
 * session.c — login, logout, who am I, API tokens.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/accounts.h"

#include <stdio.h>

static json_t *me_json(http_req_t *req, const pa_principal_t *p)
{
	json_t *roles = json_array();
	for (size_t i = 0; i < p->nroles; i++) {
		json_t *r = json_pack("{s:I, s:s, s:o}", "org_id", (json_int_t)p->roles[i].org_id, "role",
		                      p->roles[i].role, "org",
		                      api_org_ref(p->tree, p->roles[i].org_id, req->lang));
		json_array_append_new(roles, r);
	}
	return json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)p->user_id, "username", p->username,
	                 "display_name", p->display_name ? p->display_name : p->username, "roles", roles);
}

int h_session_create(http_req_t *req, http_resp_t *resp)
{
	json_t *body;
	int rc = http_json_body(req, &body);
	if (rc < 0)
		return rc;
	static const char *const allowed[] = { "username", "password", NULL };
	const char *username, *password;
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "username", true, &username)) < 0 ||
	    (rc = api_get_string(req, body, "password", true, &password)) < 0) {
		json_decref(body);
		return rc;
	}
	login_result_t lr;
	pa_app_t *app = api_app(req);
	rc = accounts_login(app, req->arena, username, password, req->client_ip, &lr, &req->err);
	json_decref(body);
	if (rc < 0)
		return rc;
	char cookie[256];
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
	         SESSION_COOKIE, lr.session_token, app->cfg->session_ttl_s,
	         app->cfg->cookie_secure ? "; Secure" : "");
	http_resp_header(resp, "Set-Cookie", arena_strdup(req->arena, cookie));
	pa_principal_t p = { .kind = PRINCIPAL_STAFF, .user_id = lr.user.id,
	                     .username = lr.user.username, .display_name = lr.user.display_name,
	                     .roles = lr.user.roles, .nroles = lr.user.nroles };
	orgtree_t *t = orgcache_get(app->orgs);
	p.tree = t;
	json_t *j = json_pack("{s:o, s:s, s:o}", "user", me_json(req, &p), "csrf_token", lr.csrf_token,
	                      "expires_at", api_time(app, lr.expires_at));
	orgtree_release(t);
	http_resp_json(resp, 200, j);
	return 0;
}

int h_session_get(http_req_t *req, http_resp_t *resp)
{
	pa_principal_t *p = api_principal(req);
	json_t *j = json_pack("{s:o}", "user", me_json(req, p));
	if (!p->via_token && p->csrf_token)
		json_object_set_new(j, "csrf_token", json_string(p->csrf_token));
	http_resp_json(resp, 200, j);
	return 0;
}

int h_session_delete(http_req_t *req, http_resp_t *resp)
{
	pa_principal_t *p = api_principal(req);
	const char *cookie = http_cookie(req, SESSION_COOKIE);
	if (p->via_token || !cookie)
		return pa_fail(&req->err, PA_EINVAL, "validation", NULL, "not a browser session");
	int rc = accounts_logout(api_app(req), cookie, p, &req->err);
	if (rc < 0)
		return rc;
	http_resp_header(resp, "Set-Cookie",
	                 SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	resp->status = 204;
	return 0;
}

int h_tokens_list(http_req_t *req, http_resp_t *resp)
{
	pa_principal_t *p = api_principal(req);
	pa_api_token_t *ts = NULL;
	size_t n = 0;
	int rc = store_tokens_list(store_reader(api_app(req)->store), req->arena, p->user_id, &ts, &n);
	if (rc < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not list tokens");
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, json_pack("{s:I, s:s, s:o, s:o, s:b}", "id", (json_int_t)ts[i].id,
		                                       "name", ts[i].name, "created_at",
		                                       api_time(api_app(req), ts[i].created_at), "expires_at",
		                                       api_time(api_app(req), ts[i].expires_at), "revoked",
		                                       ts[i].revoked));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

int h_tokens_create(http_req_t *req, http_resp_t *resp)
{
	json_t *body;
	int rc = http_json_body(req, &body);
	if (rc < 0)
		return rc;
	static const char *const allowed[] = { "name", "ttl_days", NULL };
	const char *name;
	json_t *ttl = json_object_get(body, "ttl_days");
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "name", true, &name)) < 0)
		goto out;
	if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	            json_integer_value(ttl) > 3650)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "ttl_days",
		             "ttl_days must be an integer from 0 (never expires) to 3650");
		goto out;
	}
	char token[70];
	pa_id_t id;
	rc = accounts_token_create(api_app(req), req->arena, api_principal(req), name,
	                           ttl ? (int)json_integer_value(ttl) : 90, token, &id, &req->err);
	if (rc == 0)
		http_resp_json(resp, 201, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name,
		                                    "token", token));
out:
	json_decref(body);
	return rc;
}

int h_tokens_delete(http_req_t *req, http_resp_t *resp)
{
	int64_t id;
	int rc = http_param_id(req, 0, &id);
	if (rc < 0)
		return pa_fail(&req->err, rc, "not-found", NULL, "no such token");
	if ((rc = accounts_token_revoke(api_app(req), req->arena, api_principal(req), id, &req->err)) < 0)
		return rc;
	resp->status = 204;
	return 0;
}
