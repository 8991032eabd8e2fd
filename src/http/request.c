/*
 * request.c — what handlers use to read a request and fill a response.
 *
 * Reading: headers come straight from libmicrohttpd (case-insensitive);
 * query parameters and the body were collected by the glue (server.c) into
 * the request's arena before the handler runs.  Writing: the response body is
 * a heap strbuf (libmicrohttpd frees it), extra headers are pointers that must
 * live until the request completes — string literals or the request's arena.
 *
 * JSON output never carries a raw '<', '>' or '&': they are written as
 * \u003c, \u003e, \u0026, so a response can never be sniffed as markup.
 */
#include "base/common.h"
#include "base/jsonw.h"
#include "http/http.h"

#include <microhttpd.h>
#include <stdlib.h>

const char *http_header(const http_req_t *req, const char *name)
{
	if (!req || !req->mhd_conn || !name)
		return NULL;
	return MHD_lookup_connection_value((struct MHD_Connection *)req->mhd_conn, MHD_HEADER_KIND,
	                                   name);
}

const char *http_query(const http_req_t *req, const char *key)
{
	for (size_t i = 0; i < req->nquery; i++)
		if (streq(req->query[i].key, key))
			return req->query[i].value;
	return NULL;
}

const char *http_cookie(const http_req_t *req, const char *name)
{
	return http_cookie_parse(req->arena, http_header(req, "Cookie"), name);
}

int http_param_id(const http_req_t *req, size_t i, int64_t *out)
{
	*out = 0;
	/* req is const, so req->err stays empty: the glue renders "not-found"
	 * from the code alone */
	if (i >= req->nparams || !req->params[i])
		return PA_ENOTFOUND;
	const char *s = req->params[i];
	size_t n = strlen(s);
	/* 1..18 digits, no sign, no leading zero: one spelling per resource */
	if (n == 0 || n > 18 || s[0] == '0')
		goto bad;
	int64_t v = 0;
	for (size_t k = 0; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			goto bad;
		v = v * 10 + (s[k] - '0');
	}
	*out = v;
	return 0;
bad:
	return PA_ENOTFOUND;
}

int http_json_body(http_req_t *req, json_t **out)
{
	*out = NULL;
	if (!streq(req->content_type, "application/json"))
		return pa_fail(&req->err, PA_EMEDIATYPE, "unsupported-media-type", "body",
		               "the body must be application/json");
	if (!req->body || req->body_len == 0)
		return pa_fail(&req->err, PA_EINVAL, "bad-json", "body", "the body is empty");
	json_error_t jerr;
	json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return pa_fail(&req->err, PA_EINVAL, "bad-json", "body",
		               "invalid JSON at line %d, column %d: %s", jerr.line, jerr.column,
		               jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return pa_fail(&req->err, PA_EINVAL, "bad-json", "body",
		               "the body must be a JSON object");
	}
	*out = j;
	return 0;
}

void http_resp_header(http_resp_t *resp, const char *name, const char *value)
{
	if (resp->nheaders == HTTP_MAX_HEADERS) {
		log_error("http: more than %d response headers, dropping %s", HTTP_MAX_HEADERS, name);
		return;
	}
	resp->headers[resp->nheaders].key = name;
	resp->headers[resp->nheaders].value = value;
	resp->headers[resp->nheaders].value_len = value ? strlen(value) : 0;
	resp->nheaders++;
}

static void resp_drop_shared(http_resp_t *resp)
{
	if (resp->shared_release)
		resp->shared_release(resp->shared_ctx);
	resp->shared = NULL;
	resp->shared_len = 0;
	resp->shared_release = NULL;
	resp->shared_ctx = NULL;
}

void http_resp_json(http_resp_t *resp, int status, json_t *j)
{
	resp_drop_shared(resp);
	strbuf_reset(&resp->body);
	resp->content_type = "application/json; charset=utf-8";
	/* written straight into the body: json_dumps' bytes with "<>&" escaped
	 * (base/jsonw.h), without its buffer and a second pass */
	int rc = strbuf_add_json(&resp->body, j);
	json_decref(j);
	if (rc < 0) {
		/* only a NULL j or a string that is not UTF-8 gets here: a bug, not
		 * the client's fault */
		log_error("http: cannot serialize a JSON response");
		resp->status = 500;
		strbuf_reset(&resp->body);
		strbuf_adds(&resp->body, "{}");
		return;
	}
	resp->status = status;
}

void http_resp_shared(http_resp_t *resp, int status, const char *content_type, const char *text,
                      size_t len, void (*release)(void *ctx), void *ctx)
{
	resp_drop_shared(resp);
	strbuf_reset(&resp->body);
	resp->status = status;
	resp->content_type = content_type;
	resp->shared = text;
	resp->shared_len = len;
	resp->shared_release = release;
	resp->shared_ctx = ctx;
}

void http_resp_text(http_resp_t *resp, int status, const char *content_type, const char *text,
                    size_t len)
{
	resp_drop_shared(resp);
	resp->status = status;
	resp->content_type = content_type;
	strbuf_reset(&resp->body);
	if (text && len)
		strbuf_add(&resp->body, text, len);
}
