/*
 * api.h — handlers: one file per resource, one route table (routes.c).
 *
 * Handlers translate HTTP to core calls and core results to JSON; they hold
 * no business rules.  Each handler gets the app from req->app and, on staff
 * routes, the principal from req->auth (set by api_authenticate).
 */
#ifndef PA_API_H
#define PA_API_H

#include <jansson.h>

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"
#include "core/cases.h"
#include "core/indicators.h"
#include "http/http.h"

#define API_DEFAULT_LIMIT 50
#define DUE_SOON_SECONDS (3 * 86400)

extern const http_route_t api_routes[];
extern const size_t api_nroutes;
/* Open311 GeoReport v2 (api/open311.c; docs/open311.yaml). */
extern const http_route_t open311_routes[];
/* api_routes then open311_routes: what `pingan serve` answers. */
const http_route_t *api_all_routes(size_t *n);

int api_authenticate(http_req_t *req);

static inline pa_app_t *api_app(http_req_t *req) { return req->app; }
static inline pa_principal_t *api_principal(http_req_t *req) { return req->auth; }
/* A public principal for this request (arena). */
pa_principal_t *api_public_principal(http_req_t *req);

/* ---- rendering (render.c) ---- */
json_t *api_time(pa_app_t *app, pa_time_t t);          /* ISO 8601 with the district offset, or null */
json_t *api_org_ref(const orgtree_t *t, pa_id_t id, const char *lang);
json_t *api_case_json(http_req_t *req, const orgtree_t *t, const pa_case_t *cs);
/* The same shape written into sb (lists: no jansson tree per row). */
void api_location_write(strbuf_t *sb, const pa_case_t *cs);
void api_case_write(strbuf_t *sb, http_req_t *req, const orgtree_t *t, const pa_case_t *cs,
                    bool with_body);
json_t *api_event_json(http_req_t *req, const wf_def_t *def, const pa_event_t *ev, bool public_view);
json_t *api_action_json(http_req_t *req, const pa_case_t *cs, const wf_transition_t *t);
/* The writers behind those shapes (each *_json above parses its writer's
 * output, so there is one definition of each shape): straight into sb,
 * strings through strbuf_add_json_str. */
typedef struct api_event_parts {
	size_t fields_off, fields_len;  /* the public fields object in sb; len 0: none */
	bool opinion;                   /* those fields hold an opinion */
} api_event_parts_t;
void api_event_write(strbuf_t *sb, http_req_t *req, const wf_def_t *def, const pa_event_t *ev,
                     bool public_view, api_event_parts_t *parts);
void api_action_write(strbuf_t *sb, http_req_t *req, const pa_case_t *cs, const wf_transition_t *t);
void api_attachment_write(strbuf_t *sb, const pa_attachment_t *at);
void api_time_write(strbuf_t *sb, pa_app_t *app, pa_time_t t);
void api_org_ref_write(strbuf_t *sb, const orgtree_t *t, pa_id_t id, const char *lang);
/* Any jansson value, compact, "<>&" escaped as http_resp_json does. */
void api_json_value_write(strbuf_t *sb, const json_t *v);
json_t *api_user_json(const pa_user_t *u);
json_t *api_org_json(const pa_org_t *o, const char *lang);
json_t *api_attachment_json(const pa_attachment_t *at);
/* Integer from a query parameter with a range; PA_EINVAL names it. */
int api_query_int(http_req_t *req, const char *key, int64_t def, int64_t min, int64_t max,
                  int64_t *out);
/* Reads "text" members: returns the string or NULL; wrong type → PA_EINVAL naming key. */
int api_get_string(http_req_t *req, json_t *obj, const char *key, bool required, const char **out);
/* Rejects members not in `allowed` (NULL-terminated) with 400 naming the first. */
int api_only_members(http_req_t *req, json_t *obj, const char *const *allowed, const char *prefix);
/* Stores files from multipart parts named "files" (or "file"). */
int api_collect_files(http_req_t *req, http_part_t *parts, size_t n, case_file_t **files,
                      size_t *nfiles);

/* The inbox's filters from the query string (type, state, owner_org,
 * assignee, open, overdue, due_before, limit): GET /api/v1/cases, search and
 * exports take the same. */
int api_case_filter(http_req_t *req, pa_case_filter_t *f);

/* The indicator routes' query (from, to, type, category, org, street, enterprise,
 * group_by, campaign: api/indicators.c); the indicator export takes the same. */
int api_indicator_query(http_req_t *req, ind_query_t *q, pa_campaign_t *cp, bool *has_campaign);

/* Shared by cases.c and public.c. */
int api_case_request(http_req_t *req, json_t **body, case_file_t **files, size_t *nfiles);
int api_case_input(http_req_t *req, json_t *body, bool staff, case_input_t *in);
int api_send_attachment(http_req_t *req, http_resp_t *resp, const pa_case_t *cs, const char *sha,
                        bool public_only);

/* Handlers, by file. */
int h_healthz(http_req_t *, http_resp_t *);
int h_metrics(http_req_t *, http_resp_t *);
int h_session_create(http_req_t *, http_resp_t *);
int h_session_get(http_req_t *, http_resp_t *);
int h_session_delete(http_req_t *, http_resp_t *);
int h_tokens_list(http_req_t *, http_resp_t *);
int h_tokens_create(http_req_t *, http_resp_t *);
int h_tokens_delete(http_req_t *, http_resp_t *);
int h_orgs_list(http_req_t *, http_resp_t *);
int h_orgs_create(http_req_t *, http_resp_t *);
int h_orgs_update(http_req_t *, http_resp_t *);
int h_users_list(http_req_t *, http_resp_t *);
int h_users_create(http_req_t *, http_resp_t *);
int h_users_update(http_req_t *, http_resp_t *);
int h_users_password(http_req_t *, http_resp_t *);
int h_workflows_list(http_req_t *, http_resp_t *);
int h_workflows_get(http_req_t *, http_resp_t *);
int h_calendar_get(http_req_t *, http_resp_t *);
int h_calendar_due(http_req_t *, http_resp_t *);
int h_cases_list(http_req_t *, http_resp_t *);
int h_search_cases(http_req_t *, http_resp_t *);
int h_export_cases(http_req_t *, http_resp_t *);
int h_export_indicators(http_req_t *, http_resp_t *);
int h_search_similar(http_req_t *, http_resp_t *);
int h_case_similar(http_req_t *, http_resp_t *);
int h_cases_create(http_req_t *, http_resp_t *);
int h_case_get(http_req_t *, http_resp_t *);
int h_case_events(http_req_t *, http_resp_t *);
int h_case_action(http_req_t *, http_resp_t *);
int h_case_comment(http_req_t *, http_resp_t *);
int h_case_reveal(http_req_t *, http_resp_t *);
int h_case_attach(http_req_t *, http_resp_t *);
int h_case_attachment_get(http_req_t *, http_resp_t *);
int h_audit_list(http_req_t *, http_resp_t *);
int h_audit_verify(http_req_t *, http_resp_t *);
int h_public_case_create(http_req_t *, http_resp_t *);
int h_public_case_get(http_req_t *, http_resp_t *);
int h_public_rating(http_req_t *, http_resp_t *);
int h_public_review(http_req_t *, http_resp_t *);
int h_public_case_action(http_req_t *, http_resp_t *);
int h_public_attachment_get(http_req_t *, http_resp_t *);
int h_public_workflow(http_req_t *, http_resp_t *);
int h_public_units(http_req_t *, http_resp_t *);
int h_public_limits(http_req_t *, http_resp_t *);
int h_case_documents_list(http_req_t *, http_resp_t *);
int h_case_document_pdf(http_req_t *, http_resp_t *);
int h_case_document_regenerate(http_req_t *, http_resp_t *);
int h_documents_batch(http_req_t *, http_resp_t *);
int h_public_documents_list(http_req_t *, http_resp_t *);
int h_public_document_pdf(http_req_t *, http_resp_t *);
/* supervision orders and links between cases: supervision.c, links.c */
int h_case_supervision_create(http_req_t *, http_resp_t *);
int h_case_supervision_list(http_req_t *, http_resp_t *);
int h_supervision_list(http_req_t *, http_resp_t *);
int h_supervision_reply(http_req_t *, http_resp_t *);
int h_supervision_close(http_req_t *, http_resp_t *);
int h_case_link_create(http_req_t *, http_resp_t *);
int h_case_merge(http_req_t *, http_resp_t *);
/* The case detail's "supervision" and "links" arrays. */
json_t *api_supervision_json(http_req_t *req, const orgtree_t *t, const pa_supervision_t *o,
                             const pa_case_t *cs);
json_t *api_case_supervision_json(http_req_t *req, const orgtree_t *t, const pa_case_t *cs);
json_t *api_case_links_json(http_req_t *req, const pa_case_t *cs);
/* surveys: surveys.c */
int h_surveys_list(http_req_t *, http_resp_t *);
int h_surveys_create(http_req_t *, http_resp_t *);
int h_survey_get(http_req_t *, http_resp_t *);
int h_survey_open(http_req_t *, http_resp_t *);
int h_survey_close(http_req_t *, http_resp_t *);
int h_survey_invite(http_req_t *, http_resp_t *);
int h_survey_results(http_req_t *, http_resp_t *);
int h_public_survey_get(http_req_t *, http_resp_t *);
int h_public_survey_answer(http_req_t *, http_resp_t *);
/* Open311: open311.c */
int h_open311_get(http_req_t *, http_resp_t *);
int h_open311_post(http_req_t *, http_resp_t *);
int h_open311_service(http_req_t *, http_resp_t *);
int h_open311_request(http_req_t *, http_resp_t *);
int h_open311_token(http_req_t *, http_resp_t *);
/* records, approvals and participants: records.c */
int h_case_records_list(http_req_t *, http_resp_t *);
int h_case_record_add(http_req_t *, http_resp_t *);
int h_records_list(http_req_t *, http_resp_t *);
int h_case_approval(http_req_t *, http_resp_t *);
int h_case_participant_add(http_req_t *, http_resp_t *);
int h_case_participant_stage(http_req_t *, http_resp_t *);
/* The case detail's "records", "pending_approval" and "participants" members. */
void api_case_records_into(http_req_t *req, json_t *j, const pa_case_t *cs);
/* indicators, workload, campaigns: indicators.c */
int h_indicators(http_req_t *, http_resp_t *);
int h_indicators_workload(http_req_t *, http_resp_t *);
int h_indicator_cases(http_req_t *, http_resp_t *);
int h_campaigns_list(http_req_t *, http_resp_t *);
int h_campaigns_create(http_req_t *, http_resp_t *);
int h_campaign_get(http_req_t *, http_resp_t *);
int h_campaign_board(http_req_t *, http_resp_t *);
int h_test_clock(http_req_t *, http_resp_t *);
int h_test_tick(http_req_t *, http_resp_t *);

#endif
