/*
 * surveys.c — survey handlers: staff define, open, close, list, invite and
 * read results; the public reads the form and answers (core/surveys.c holds
 * the rules).  docs/surveys.md describes the definition and the results.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/surveys.h"

static json_t *survey_json(http_req_t *req, const pa_survey_t *s, bool with_def)
{
	pa_app_t *app = api_app(req);
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:I, s:s}", "id",
	                      (json_int_t)s->id, "series", s->series, "title", s->title, "access",
	                      s->access, "state", s->state, "created_at", api_time(app, s->created_at),
	                      "opened_at", api_time(app, s->opened_at), "closed_at",
	                      api_time(app, s->closed_at), "responses", (json_int_t)s->responses,
	                      "invitations", (json_int_t)s->invitations, "invitations_used",
	                      (json_int_t)s->invitations_used, "link",
	                      arena_printf(req->arena, "%s/survey/%lld",
	                                   app_public_url(app, req->arena), (long long)s->id));
	if (with_def)
		json_object_set_new(j, "definition", json_loads(s->definition, 0, NULL));
	return j;
}

static int survey_id(http_req_t *req, pa_id_t *id)
{
	int64_t v;
	if (http_param_id(req, 0, &v) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such survey");
	*id = v;
	return 0;
}

int h_surveys_list(http_req_t *req, http_resp_t *resp)
{
	const char *state = http_query(req, "state");
	const char *series = http_query(req, "series");
	pa_survey_t *ss = NULL;
	size_t n = 0;
	int rc = surveys_list(api_app(req), req->arena, api_principal(req),
	                      state && *state ? state : NULL, series && *series ? series : NULL, &ss,
	                      &n, &req->err);
	if (rc < 0)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, survey_json(req, &ss[i], false));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

int h_surveys_create(http_req_t *req, http_resp_t *resp)
{
	json_t *body;
	int rc = http_json_body(req, &body);
	if (rc < 0)
		return rc;
	json_decref(body);
	pa_survey_t s;
	if ((rc = surveys_create(api_app(req), req->arena, api_principal(req), req->body,
	                         req->body_len, &s, &req->err)) < 0)
		return rc;
	http_resp_json(resp, 201, survey_json(req, &s, true));
	return 0;
}

int h_survey_get(http_req_t *req, http_resp_t *resp)
{
	pa_id_t id = 0;
	pa_survey_t s;
	int rc;
	if ((rc = survey_id(req, &id)) < 0 ||
	    (rc = surveys_get(api_app(req), req->arena, api_principal(req), id, &s, &req->err)) < 0)
		return rc;
	http_resp_json(resp, 200, survey_json(req, &s, true));
	return 0;
}

static int set_state(http_req_t *req, http_resp_t *resp, const char *to)
{
	pa_id_t id = 0;
	pa_survey_t s;
	int rc;
	if ((rc = survey_id(req, &id)) < 0 ||
	    (rc = surveys_set_state(api_app(req), req->arena, api_principal(req), id, to, &s,
	                            &req->err)) < 0)
		return rc;
	http_resp_json(resp, 200, survey_json(req, &s, false));
	return 0;
}

int h_survey_open(http_req_t *req, http_resp_t *resp)
{
	return set_state(req, resp, "open");
}

int h_survey_close(http_req_t *req, http_resp_t *resp)
{
	return set_state(req, resp, "closed");
}

int h_survey_invite(http_req_t *req, http_resp_t *resp)
{
	pa_id_t id = 0;
	int rc = survey_id(req, &id);
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "count", "place", NULL };
	json_t *jc = json_object_get(body, "count"), *jp = json_object_get(body, "place");
	int64_t count = 0, place = 0;
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0) {
		if (!json_is_integer(jc))
			rc = pa_fail(&req->err, PA_EINVAL, "validation", "count",
			             "count must be an integer 1..%d", SURVEY_INVITE_MAX);
		else if (jp && !json_is_null(jp) && (!json_is_integer(jp) || json_integer_value(jp) <= 0))
			rc = pa_fail(&req->err, PA_EINVAL, "validation", "place", "place must be an org id");
		count = json_integer_value(jc);
		place = json_integer_value(jp);
	}
	json_decref(body);
	if (rc < 0)
		return rc;
	if (count < 1 || count > SURVEY_INVITE_MAX)
		return pa_fail(&req->err, PA_EINVAL, "validation", "count", "count must be 1..%d",
		               SURVEY_INVITE_MAX);
	int64_t batch = 0;
	survey_invite_t *inv = NULL;
	pa_app_t *app = api_app(req);
	if ((rc = surveys_invite(app, req->arena, api_principal(req), id, (int)count, place, &batch,
	                         &inv, &req->err)) < 0)
		return rc;
	const char *base = app_public_url(app, req->arena);
	json_t *items = json_array();
	for (int64_t i = 0; i < count; i++) {
		const char *url = arena_printf(req->arena, "%s/survey/%lld?t=%s", base, (long long)id,
		                               inv[i].token);
		const char *svg = survey_qr_svg(req->arena, url);
		json_array_append_new(items, json_pack("{s:s, s:s, s:s?}", "token", inv[i].token, "url",
		                                       url, "qr_svg", svg));
	}
	http_resp_json(resp, 201, json_pack("{s:I, s:I, s:o}", "batch", (json_int_t)batch, "count",
	                                    (json_int_t)count, "invitations", items));
	return 0;
}

int h_survey_results(http_req_t *req, http_resp_t *resp)
{
	pa_id_t id = 0;
	json_t *out = NULL;
	int rc;
	if ((rc = survey_id(req, &id)) < 0 ||
	    (rc = surveys_results(api_app(req), req->arena, api_principal(req), id, req->lang, &out,
	                          &req->err)) < 0)
		return rc;
	http_resp_json(resp, 200, out);
	return 0;
}

int h_public_survey_get(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	pa_id_t id = 0;
	pa_survey_t s;
	int rc;
	if ((rc = survey_id(req, &id)) < 0 ||
	    (rc = surveys_get(app, req->arena, NULL, id, &s, &req->err)) < 0)
		return rc;
	const char *token = http_query(req, "token");
	pa_id_t place = 0;
	if (token && *token && streq(s.access, "token") &&
	    (rc = surveys_check_token(app, req->arena, id, req->client_ip, token, &place,
	                              &req->err)) < 0)
		return rc;
	json_t *j = surveys_public_json(app, req->arena, &s, req->lang);
	if (place) {
		orgtree_t *t = orgcache_get(app->orgs);
		json_object_set_new(j, "place", api_org_ref(t, place, req->lang));
		orgtree_release(t);
	}
	http_resp_json(resp, 200, j);
	return 0;
}

int h_public_survey_answer(http_req_t *req, http_resp_t *resp)
{
	pa_id_t id = 0, rid = 0;
	int rc = survey_id(req, &id);
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	json_decref(body);
	if ((rc = surveys_answer(api_app(req), req->arena, id, req->client_ip, req->body,
	                         req->body_len, &rid, &req->err)) < 0)
		return rc;
	http_resp_json(resp, 201, json_pack("{s:I, s:b}", "id", (json_int_t)rid, "recorded", 1));
	return 0;
}
