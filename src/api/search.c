/*
 * search.c — full-text search and similar cases (docs/search.md).
 *
 *   GET  /api/v1/search/cases?q=…&<the inbox's filters>&cursor=N
 *   GET  /api/v1/cases/{id}/similar
 *   POST /api/v1/search/similar  {"title": …, "body": …}  (intake, before submitting)
 *
 * The search takes exactly the filters of GET /api/v1/cases (api_case_filter)
 * and pages by offset into the ranked window: the cursor is the offset of
 * the next page.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/search.h"

#include <stdio.h>
#include <stdlib.h>

/* Appends `"key":<json string>` after a member already written. */
static void put_member(strbuf_t *sb, const char *key, const char *value)
{
	strbuf_addf(sb, ",\"%s\":", key);
	strbuf_add_json_str(sb, value);
}

/* The case as the inbox shows it, plus the members in `extra` (already
 * written as ",…"). */
static void write_case_with(strbuf_t *sb, http_req_t *req, const pa_case_t *cs,
                            const char *extra)
{
	api_case_write(sb, req, api_principal(req)->tree, cs, false);
	strbuf_setlen(sb, sb->len - 1);  /* the closing brace */
	strbuf_adds(sb, extra);
	strbuf_addch(sb, '}');
}

int h_search_cases(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	pa_case_filter_t f;
	int rc = api_case_filter(req, &f);
	if (rc < 0)
		return rc;
	int64_t offset = 0;
	const char *cursor = http_query(req, "cursor");
	if (cursor && *cursor) {
		char *end;
		long long v = strtoll(cursor, &end, 10);
		if (*end || v < 0 || v >= STORE_SEARCH_WINDOW_MAX)
			return pa_fail(&req->err, PA_EINVAL, "validation", "cursor",
			               "cursor is not one this server gave");
		offset = v;
	}
	search_result_t *rs = NULL;
	size_t n = 0;
	bool more = false, full = false;
	if ((rc = cases_search(app, req->arena, api_principal(req), http_query(req, "q"), &f,
	                       (int)offset, &rs, &n, &more, &full, &req->err)) < 0)
		return rc;
	strbuf_t *sb = &resp->body;
	strbuf_grow(sb, n * 1200 + 64);
	strbuf_adds(sb, "{\"items\":[");
	strbuf_t extra = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		strbuf_reset(&extra);
		strbuf_addf(&extra, ",\"rank\":%.6f", rs[i].rank);
		put_member(&extra, "matched_in", rs[i].matched_in);
		put_member(&extra, "title_html", rs[i].title_html);
		put_member(&extra, "snippet_html", rs[i].snippet_html);
		write_case_with(sb, req, &rs[i].cs, extra.buf);
	}
	strbuf_release(&extra);
	if (more)
		strbuf_addf(sb, "],\"next_cursor\":\"%lld\"", (long long)(offset + (int64_t)n));
	else
		strbuf_adds(sb, "],\"next_cursor\":null");
	/* a full window is newest first, unranked (store_case_search) */
	strbuf_addf(sb, ",\"window_full\":%s,\"order\":\"%s\"}", full ? "true" : "false",
	            full ? "newest" : "relevance");
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
	return 0;
}

static void write_similar(http_req_t *req, http_resp_t *resp, const similar_case_t *sc, size_t n)
{
	strbuf_t *sb = &resp->body;
	strbuf_adds(sb, "{\"items\":[");
	char extra[64];
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		snprintf(extra, sizeof(extra), ",\"similarity\":%.3f", sc[i].similarity);
		write_case_with(sb, req, &sc[i].cs, extra);
	}
	strbuf_adds(sb, "]}");
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
}

int h_case_similar(http_req_t *req, http_resp_t *resp)
{
	int64_t id, limit;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such case");
	int rc;
	if ((rc = api_query_int(req, "limit", 10, 1, SIMILAR_MAX, &limit)) < 0)
		return rc;
	pa_case_t cs;
	if ((rc = cases_get(api_app(req), req->arena, api_principal(req), id, false, &cs,
	                    &req->err)) < 0)
		return rc;
	similar_case_t *sc;
	size_t n;
	if ((rc = cases_similar(api_app(req), req->arena, api_principal(req), cs.title, cs.body, cs.id,
	                        (int)limit, &sc, &n, &req->err)) < 0)
		return rc;
	write_similar(req, resp, sc, n);
	return 0;
}

int h_search_similar(http_req_t *req, http_resp_t *resp)
{
	json_t *body;
	int rc = http_json_body(req, &body);
	if (rc < 0)
		return rc;
	static const char *const allowed[] = { "title", "body", "limit", NULL };
	const char *title = NULL, *text = NULL;
	json_t *lim = json_object_get(body, "limit");
	int limit = 10;
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "title", true, &title)) < 0 ||
	    (rc = api_get_string(req, body, "body", false, &text)) < 0 ||
	    (rc = cases_check_text(title, "title", true, CASE_TITLE_MAX, &req->err)) < 0 ||
	    (rc = cases_check_text(text, "body", false, CASE_BODY_MAX, &req->err)) < 0)
		goto out;
	if (lim) {
		if (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
		    json_integer_value(lim) > SIMILAR_MAX) {
			rc = pa_fail(&req->err, PA_EINVAL, "validation", "limit",
			             "limit must be an integer from 1 to %d", SIMILAR_MAX);
			goto out;
		}
		limit = (int)json_integer_value(lim);
	}
	similar_case_t *sc;
	size_t n;
	if ((rc = cases_similar(api_app(req), req->arena, api_principal(req), title, text, 0, limit,
	                        &sc, &n, &req->err)) == 0)
		write_similar(req, resp, sc, n);
out:
	json_decref(body);
	return rc;
}
