/*
 * problem.c — where error codes become HTTP statuses and RFC 9457 problem
 * documents; nowhere else in the tree knows a status number.
 *
 * Two tables: PA_E* code → status (http_status_for), and problem slug →
 * localized title.  The slug in pa_err_t.type picks the title; an empty or
 * unknown slug falls back to the slug that belongs to the status, so a
 * problem document always has a type and title we ship translations for.
 * The detail is err->detail_zh (zh-CN, the default) or, for an English
 * request, err->detail; 5xx documents never carry the internal detail (that
 * goes to the log, in English).
 */
#include "base/common.h"
#include "http/http.h"

#include <stdio.h>

int http_status_for(int code)
{
	switch (code) {
	case PA_OK: return 200;
	case PA_EINVAL: return 400;
	case PA_EUNAUTH: return 401;
	case PA_EFORBIDDEN: return 403;
	case PA_ECSRF: return 403;
	case PA_ENOTFOUND: return 404;
	case PA_EMETHOD: return 405;
	case PA_ECONFLICT: return 409;
	case PA_ETOOLARGE: return 413;
	case PA_EMEDIATYPE: return 415;
	case PA_EUNPROCESSABLE: return 422;
	case PA_ERATE: return 429;
	case PA_ELOCKED: return 429;
	case PA_EUNAVAIL: return 503;
	default: return 500;
	}
}

struct problem_kind {
	const char *slug;
	int status; /* the status this slug is the fallback for, 0 = none */
	const char *zh;
	const char *en;
};

static const struct problem_kind kinds[] = {
	{ "validation", 400, "请求参数有误", "Invalid request field" },
	{ "bad-json", 0, "请求内容不是有效的 JSON", "The request body is not valid JSON" },
	{ "unauthenticated", 401, "需要登录", "Authentication required" },
	{ "forbidden", 403, "无权执行此操作", "You are not allowed to do this" },
	{ "csrf", 0, "缺少或错误的 CSRF 令牌", "Missing or wrong CSRF token" },
	{ "not-found", 404, "资源不存在", "Not found" },
	{ "method-not-allowed", 405, "不支持此请求方法", "Method not allowed" },
	{ "invalid-state", 0, "当前状态不允许此操作", "Not allowed in the current state" },
	{ "window-closed", 0, "已超过办理期限", "The time window for this has closed" },
	{ "once-only", 0, "此操作只能执行一次", "This can only be done once" },
	{ "token-used", 0, "此邀请码已使用", "This invitation has been used" },
	{ "survey-closed", 0, "调查未开放或已结束", "The survey is not open" },
	{ "record-required", 0, "缺少此操作所需的记录", "A record this step requires is missing" },
	{ "approval-pending", 0, "有待审批的操作，请先审批", "A proposed step waits for approval" },
	{ "conflict", 409, "与现有数据冲突", "Conflicts with the current data" },
	{ "too-large", 413, "请求内容过大", "Request body too large" },
	{ "unsupported-media-type", 415, "不支持的内容类型", "Unsupported media type" },
	{ "unprocessable", 422, "请求无法处理", "The request cannot be processed" },
	{ "rate-limited", 429, "请求过于频繁，请稍后再试", "Too many requests; try again later" },
	{ "account-locked", 0, "账户已被暂时锁定，请稍后再试",
	  "The account is temporarily locked; try again later" },
	{ "unavailable", 503, "服务暂时不可用，请稍后再试",
	  "Service temporarily unavailable; try again later" },
	{ "internal", 500, "服务器内部错误", "Internal server error" },
};

static const struct problem_kind *kind_by_slug(const char *slug)
{
	if (!slug || !*slug)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (streq(kinds[i].slug, slug))
			return &kinds[i];
	return NULL;
}

static const struct problem_kind *kind_by_status(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (kinds[i].status == status)
			return &kinds[i];
	if (status >= 500)
		return kind_by_slug("internal");
	return kind_by_slug("validation");
}

void http_problem(const http_req_t *req, http_resp_t *resp, const pa_err_t *err)
{
	int code = err && err->code ? err->code : PA_EINTERNAL;
	int status = http_status_for(code);
	const struct problem_kind *k = NULL;
	/* a 5xx keeps only the slug of its own status: a store failure reported
	 * as "unavailable" with an I/O code is a 500 and says "internal"; only a
	 * 503 (busy, lost, shutting down) says "unavailable" and asks for a retry */
	if (status < 500)
		k = kind_by_slug(err ? err->type : NULL);
	else if (err && (k = kind_by_slug(err->type)) && k->status != status)
		k = NULL;
	if (!k && code == PA_ECSRF)
		k = kind_by_slug("csrf");
	if (!k && code == PA_ELOCKED)
		k = kind_by_slug("account-locked");
	if (!k)
		k = kind_by_status(status);
	bool en = req && streq(req->lang, "en");

	resp->status = status;
	resp->content_type = "application/problem+json; charset=utf-8";
	strbuf_reset(&resp->body);
	strbuf_addf(&resp->body, "{\"type\":\"urn:pingan:problem:%s\",\"title\":", k->slug);
	strbuf_add_json_str(&resp->body, en ? k->en : k->zh);
	strbuf_addf(&resp->body, ",\"status\":%d", status);
	const char *detail = NULL;
	if (status == 503)
		detail = "The service is temporarily unavailable.";
	else if (status >= 500)
		detail = "An internal error occurred.";
	else if (err && err->detail[0])
		detail = en || !err->detail_zh[0] ? err->detail : err->detail_zh;
	if (detail) {
		strbuf_adds(&resp->body, ",\"detail\":");
		strbuf_add_json_str(&resp->body, detail);
	}
	if (status < 500 && err && err->field[0]) {
		strbuf_adds(&resp->body, ",\"field\":");
		strbuf_add_json_str(&resp->body, err->field);
	}
	if (req && req->path) {
		strbuf_adds(&resp->body, ",\"instance\":");
		strbuf_add_json_str(&resp->body, req->path);
	}
	strbuf_addch(&resp->body, '}');

	int retry = err ? err->retry_after : 0;
	if (retry <= 0 && (status == 429 || status == 503))
		retry = 1;
	if (retry > 0) {
		char *v;
		if (req && req->arena) {
			v = arena_printf(req->arena, "%d", retry);
		} else {
			/* no arena (unit tests): a static string per call site is fine */
			static _Thread_local char buf[16];
			snprintf(buf, sizeof(buf), "%d", retry);
			v = buf;
		}
		http_resp_header(resp, "Retry-After", v);
	}
}
