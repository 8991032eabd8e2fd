/*
 * routes.c — everything the server answers, in one table.
 *
 * flags: ROUTE_STAFF needs a session cookie (with X-CSRF-Token on writes) or
 * an API token; ROUTE_RATELIMIT applies the per-address public limit;
 * ROUTE_UPLOAD raises the body limit to limits.max_body; ROUTE_TEST exists
 * only with the test clock on.  Role checks happen in core (authz), since
 * most depend on the case's owning unit, not only on the route.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/accounts.h"

#define S ROUTE_STAFF
#define P (ROUTE_PUBLIC | ROUTE_RATELIMIT)

const http_route_t api_routes[] = {
	{ "GET", "/healthz", ROUTE_PUBLIC, h_healthz, "healthz" },
	{ "GET", "/metrics", ROUTE_PUBLIC | ROUTE_TEXT, h_metrics, "metrics" },

	{ "POST", "/api/v1/session", P, h_session_create, "session_create" },
	{ "GET", "/api/v1/session", S, h_session_get, "session_get" },
	{ "DELETE", "/api/v1/session", S, h_session_delete, "session_delete" },
	{ "GET", "/api/v1/tokens", S, h_tokens_list, "tokens_list" },
	{ "POST", "/api/v1/tokens", S, h_tokens_create, "tokens_create" },
	{ "DELETE", "/api/v1/tokens/{id}", S, h_tokens_delete, "tokens_delete" },

	{ "GET", "/api/v1/orgs", S, h_orgs_list, "orgs_list" },
	{ "POST", "/api/v1/orgs", S, h_orgs_create, "orgs_create" },
	{ "PATCH", "/api/v1/orgs/{id}", S, h_orgs_update, "orgs_update" },
	{ "GET", "/api/v1/users", S, h_users_list, "users_list" },
	{ "POST", "/api/v1/users", S, h_users_create, "users_create" },
	{ "PATCH", "/api/v1/users/{id}", S, h_users_update, "users_update" },
	{ "POST", "/api/v1/users/{id}/password", S, h_users_password, "users_password" },

	{ "GET", "/api/v1/workflows", S, h_workflows_list, "workflows_list" },
	{ "GET", "/api/v1/workflows/{type}", S, h_workflows_get, "workflows_get" },
	{ "GET", "/api/v1/calendar", S, h_calendar_get, "calendar_get" },
	{ "GET", "/api/v1/calendar/due", S, h_calendar_due, "calendar_due" },

	{ "GET", "/api/v1/cases", S, h_cases_list, "cases_list" },
	{ "POST", "/api/v1/cases", S | ROUTE_UPLOAD, h_cases_create, "cases_create" },
	{ "GET", "/api/v1/cases/{id}", S, h_case_get, "case_get" },
	{ "GET", "/api/v1/cases/{id}/events", S, h_case_events, "case_events" },
	{ "GET", "/api/v1/cases/{id}/similar", S, h_case_similar, "case_similar" },
	/* full-text search: api/search.c */
	{ "GET", "/api/v1/search/cases", S, h_search_cases, "search_cases" },
	{ "POST", "/api/v1/search/similar", S, h_search_similar, "search_similar" },
	/* exports (CSV streamed, XLSX): api/export.c */
	{ "GET", "/api/v1/exports/cases", S | ROUTE_TEXT, h_export_cases, "export_cases" },
	{ "GET", "/api/v1/exports/indicators", S | ROUTE_TEXT, h_export_indicators,
	  "export_indicators" },
	{ "POST", "/api/v1/cases/{id}/actions/{action}", S, h_case_action, "case_action" },
	{ "POST", "/api/v1/cases/{id}/comments", S, h_case_comment, "case_comment" },
	{ "POST", "/api/v1/cases/{id}/parties/{party}/reveal", S, h_case_reveal, "case_reveal" },
	{ "POST", "/api/v1/cases/{id}/attachments", S | ROUTE_UPLOAD, h_case_attach, "case_attach" },
	{ "GET", "/api/v1/cases/{id}/attachments/{sha}", S | ROUTE_TEXT, h_case_attachment_get,
	  "case_attachment_get" },

	{ "GET", "/api/v1/audit", S, h_audit_list, "audit_list" },
	{ "GET", "/api/v1/audit/verify", S, h_audit_verify, "audit_verify" },

	{ "POST", "/api/public/cases", P | ROUTE_UPLOAD, h_public_case_create, "public_case_create" },
	{ "GET", "/api/public/cases/{number}", P, h_public_case_get, "public_case_get" },
	{ "POST", "/api/public/cases/{number}/rating", P, h_public_rating, "public_rating" },
	{ "POST", "/api/public/cases/{number}/review", P, h_public_review, "public_review" },
	{ "POST", "/api/public/cases/{number}/actions/{action}", P, h_public_case_action,
	  "public_case_action" },
	{ "GET", "/api/public/cases/{number}/attachments/{sha}", P | ROUTE_TEXT,
	  h_public_attachment_get, "public_attachment_get" },
	{ "GET", "/api/public/workflows/{type}", ROUTE_PUBLIC, h_public_workflow, "public_workflow" },
	{ "GET", "/api/public/units", ROUTE_PUBLIC, h_public_units, "public_units" },
	{ "GET", "/api/public/limits", ROUTE_PUBLIC, h_public_limits, "public_limits" },

	/* supervision orders (督办) and links between cases: api/supervision.c, api/links.c */
	{ "POST", "/api/v1/cases/{id}/supervision", S, h_case_supervision_create,
	  "case_supervision_create" },
	{ "GET", "/api/v1/cases/{id}/supervision", S, h_case_supervision_list, "case_supervision_list" },
	{ "GET", "/api/v1/supervision", S, h_supervision_list, "supervision_list" },
	{ "POST", "/api/v1/supervision/{id}/reply", S, h_supervision_reply, "supervision_reply" },
	{ "POST", "/api/v1/supervision/{id}/close", S, h_supervision_close, "supervision_close" },
	{ "POST", "/api/v1/cases/{id}/links", S, h_case_link_create, "case_link_create" },
	{ "POST", "/api/v1/cases/{id}/merge", S, h_case_merge, "case_merge" },

	/* records, approvals and participants (workflow records:, approval:, participants:): api/records.c */
	{ "GET", "/api/v1/records", S, h_records_list, "records_list" },
	{ "GET", "/api/v1/cases/{id}/records", S, h_case_records_list, "case_records_list" },
	{ "POST", "/api/v1/cases/{id}/records/{kind}", S, h_case_record_add, "case_record_add" },
	{ "POST", "/api/v1/cases/{id}/approval", S, h_case_approval, "case_approval" },
	{ "POST", "/api/v1/cases/{id}/participants", S, h_case_participant_add,
	  "case_participant_add" },
	{ "POST", "/api/v1/cases/{id}/participants/{org}/stage", S, h_case_participant_stage,
	  "case_participant_stage" },
	/* indicators, workload and campaigns (专项行动): api/indicators.c */
	{ "GET", "/api/v1/indicators", S, h_indicators, "indicators" },
	{ "GET", "/api/v1/indicators/workload", S, h_indicators_workload, "indicators_workload" },
	{ "GET", "/api/v1/indicators/{indicator}/cases", S, h_indicator_cases, "indicator_cases" },
	{ "GET", "/api/v1/campaigns", S, h_campaigns_list, "campaigns_list" },
	{ "POST", "/api/v1/campaigns", S, h_campaigns_create, "campaigns_create" },
	{ "GET", "/api/v1/campaigns/{id}", S, h_campaign_get, "campaign_get" },
	{ "GET", "/api/v1/campaigns/{id}/board", S, h_campaign_board, "campaign_board" },

	{ "POST", "/api/test/clock", ROUTE_TEST, h_test_clock, "test_clock" },
	{ "POST", "/api/test/tick", ROUTE_TEST, h_test_tick, "test_tick" },
	/* written documents (文书): api/documents.c */
	{ "GET", "/api/v1/cases/{id}/documents", S, h_case_documents_list, "case_documents_list" },
	{ "GET", "/api/v1/documents/{id}/pdf", S | ROUTE_TEXT, h_case_document_pdf, "document_pdf" },
	{ "POST", "/api/v1/documents/{id}/regenerate", S, h_case_document_regenerate,
	  "document_regenerate" },
	{ "GET", "/api/v1/documents/batch", S | ROUTE_TEXT, h_documents_batch, "documents_batch" },
	{ "GET", "/api/public/cases/{number}/documents", P, h_public_documents_list,
	  "public_documents_list" },
	{ "GET", "/api/public/cases/{number}/documents/{id}/pdf", P | ROUTE_TEXT,
	  h_public_document_pdf, "public_document_pdf" },
	/* surveys: api/surveys.c */
	{ "GET", "/api/v1/surveys", S, h_surveys_list, "surveys_list" },
	{ "POST", "/api/v1/surveys", S, h_surveys_create, "surveys_create" },
	{ "GET", "/api/v1/surveys/{id}", S, h_survey_get, "survey_get" },
	{ "POST", "/api/v1/surveys/{id}/open", S, h_survey_open, "survey_open" },
	{ "POST", "/api/v1/surveys/{id}/close", S, h_survey_close, "survey_close" },
	{ "POST", "/api/v1/surveys/{id}/invitations", S, h_survey_invite, "survey_invite" },
	{ "GET", "/api/v1/surveys/{id}/results", S, h_survey_results, "survey_results" },
	{ "GET", "/api/public/surveys/{id}", P, h_public_survey_get, "public_survey_get" },
	{ "POST", "/api/public/surveys/{id}/responses", P, h_public_survey_answer,
	  "public_survey_answer" },
};
const size_t api_nroutes = ARRAY_SIZE(api_routes);

/*
 * Open311 GeoReport v2 (api/open311.c), described by docs/open311.yaml
 * rather than docs/openapi.yaml: the spec's own paths, formats and error
 * shape.  The last segment carries the format ("requests.json"), so it is
 * a parameter here and the handler splits it.
 */
const http_route_t open311_routes[] = {
	{ "GET", "/open311/v2/{file}", P | ROUTE_TEXT, h_open311_get, "open311_get" },
	{ "POST", "/open311/v2/{file}", P | ROUTE_TEXT, h_open311_post, "open311_post" },
	{ "GET", "/open311/v2/services/{file}", P | ROUTE_TEXT, h_open311_service, "open311_service" },
	{ "GET", "/open311/v2/requests/{file}", P | ROUTE_TEXT, h_open311_request, "open311_request" },
	{ "GET", "/open311/v2/tokens/{file}", P | ROUTE_TEXT, h_open311_token, "open311_token" },
};

static http_route_t all_routes[ARRAY_SIZE(api_routes) + ARRAY_SIZE(open311_routes)];

const http_route_t *api_all_routes(size_t *n)
{
	/* filled by the first caller (`pingan serve`, before its threads start) */
	if (!all_routes[0].method) {
		memcpy(all_routes, api_routes, sizeof(api_routes));
		memcpy(all_routes + ARRAY_SIZE(api_routes), open311_routes, sizeof(open311_routes));
	}
	*n = ARRAY_SIZE(all_routes);
	return all_routes;
}


static void release_tree(void *t)
{
	orgtree_release(t);
}

int api_authenticate(http_req_t *req)
{
	pa_app_t *app = api_app(req);
	pa_principal_t *p = arena_zalloc(req->arena, sizeof(*p));
	const char *authz = http_header(req, "Authorization");
	int rc;
	if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
		rc = accounts_from_token(app, req->arena, authz + 7, p, &req->err);
	} else {
		const char *cookie = http_cookie(req, SESSION_COOKIE);
		rc = accounts_from_session(app, req->arena, cookie, p, &req->err);
		if (rc == 0 && !streq(req->method, "GET") && !streq(req->method, "HEAD")) {
			const char *csrf = http_header(req, "X-CSRF-Token");
			if (!csrf || !p->csrf_token || !ct_streq(csrf, p->csrf_token))
				return pa_fail(&req->err, PA_ECSRF, "csrf", "X-CSRF-Token",
				               "state-changing requests need the session's X-CSRF-Token header");
		}
	}
	if (rc < 0)
		return rc;
	p->client_ip = req->client_ip;
	orgtree_t *t = orgcache_get(app->orgs);
	arena_defer(req->arena, release_tree, t);
	p->tree = t;
	req->auth = p;
	return 0;
}

pa_principal_t *api_public_principal(http_req_t *req)
{
	pa_principal_t *p = arena_zalloc(req->arena, sizeof(*p));
	p->kind = PRINCIPAL_PUBLIC;
	p->client_ip = req->client_ip;
	orgtree_t *t = orgcache_get(api_app(req)->orgs);
	arena_defer(req->arena, release_tree, t);
	p->tree = t;
	return p;
}
