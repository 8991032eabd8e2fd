/*
 * test_http_parse.c — the HTTP edge's byte-buffer parsers and tables:
 * query strings, multipart/form-data, Accept-Language, Cookie, the status
 * table, problem documents and JSON output escaping.
 */
#include "base/common.h"
#include "http/http.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

static int setup_arena(void **state)
{
	*state = arena_new();
	return 0;
}

static int teardown_arena(void **state)
{
	arena_free(*state);
	return 0;
}

static int parse_q(arena_t *a, const char *qs, http_kv_t **kv, size_t *n, pa_err_t *err)
{
	pa_err_clear(err);
	return http_query_parse(a, qs, strlen(qs), kv, n, err);
}

/* ---- query strings ---- */

static void test_query_basic(void **state)
{
	arena_t *a = *state;
	http_kv_t *kv;
	size_t n;
	pa_err_t err;
	assert_int_equal(parse_q(a, "a=1&b=two+words&c=%41%42%2b", &kv, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(kv[0].key, "a");
	assert_string_equal(kv[0].value, "1");
	assert_string_equal(kv[1].value, "two words");
	assert_int_equal(kv[1].value_len, 9);
	assert_string_equal(kv[2].value, "AB+");
}

static void test_query_empty_values_and_repeats(void **state)
{
	arena_t *a = *state;
	http_kv_t *kv;
	size_t n;
	pa_err_t err;
	assert_int_equal(parse_q(a, "flag&x=&&x=2&", &kv, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(kv[0].key, "flag");
	assert_string_equal(kv[0].value, "");
	assert_string_equal(kv[1].key, "x");
	assert_string_equal(kv[1].value, "");
	assert_int_equal(kv[1].value_len, 0);
	assert_string_equal(kv[2].key, "x");
	assert_string_equal(kv[2].value, "2");

	http_req_t req = { .arena = a, .query = kv, .nquery = n };
	assert_string_equal(http_query(&req, "x"), ""); /* the first one wins */
	assert_null(http_query(&req, "missing"));

	assert_int_equal(parse_q(a, "", &kv, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(http_query_parse(a, NULL, 0, &kv, &n, &err), 0);
	assert_int_equal(n, 0);
}

static void test_query_chinese(void **state)
{
	arena_t *a = *state;
	http_kv_t *kv;
	size_t n;
	pa_err_t err;
	assert_int_equal(parse_q(a, "name=%E5%BC%A0%E4%B8%89&%E5%9C%B0=x", &kv, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(kv[0].value, "张三");
	assert_int_equal(kv[0].value_len, 6);
	assert_string_equal(kv[1].key, "地");
	/* raw UTF-8 is fine too */
	assert_int_equal(parse_q(a, "q=平安", &kv, &n, &err), 0);
	assert_string_equal(kv[0].value, "平安");
}

static void test_query_bad(void **state)
{
	arena_t *a = *state;
	http_kv_t *kv;
	size_t n;
	pa_err_t err;
	const char *bad[] = {
		"a=%",        "a=%4",      "a=%zz",   "a=%G1", "%=1",
		"a=%00",      "a=b%00c",   "a=%E5%BC", /* truncated UTF-8 */
		"a=%C0%AF",   /* overlong '/' */
		"a=%ED%A0%80", /* surrogate */
		"a=%FF",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(parse_q(a, bad[i], &kv, &n, &err), PA_EINVAL);
		assert_int_equal(err.code, PA_EINVAL);
		assert_string_equal(err.field, "query");
		assert_string_equal(err.type, "validation");
	}
	/* an embedded NUL byte in the raw buffer */
	assert_int_equal(http_query_parse(a, "a=b\0c", 5, &kv, &n, &err), PA_EINVAL);
}

static void test_query_limits(void **state)
{
	arena_t *a = *state;
	http_kv_t *kv;
	size_t n;
	pa_err_t err;
	strbuf_t sb = STRBUF_INIT;
	for (int i = 0; i < HTTP_MAX_QUERY_PARAMS; i++)
		strbuf_addf(&sb, "%sk%d=%d", i ? "&" : "", i, i);
	assert_int_equal(parse_q(a, sb.buf, &kv, &n, &err), 0);
	assert_int_equal(n, HTTP_MAX_QUERY_PARAMS);
	assert_string_equal(kv[HTTP_MAX_QUERY_PARAMS - 1].key, "k63");
	strbuf_adds(&sb, "&one=more");
	assert_int_equal(parse_q(a, sb.buf, &kv, &n, &err), PA_EINVAL);
	assert_string_equal(err.field, "query");

	strbuf_reset(&sb);
	strbuf_adds(&sb, "a=");
	while (sb.len <= HTTP_MAX_QUERY_BYTES)
		strbuf_addch(&sb, 'x');
	assert_int_equal(parse_q(a, sb.buf, &kv, &n, &err), PA_EINVAL);
	strbuf_setlen(&sb, HTTP_MAX_QUERY_BYTES);
	assert_int_equal(parse_q(a, sb.buf, &kv, &n, &err), 0);
	strbuf_release(&sb);
}

/* ---- multipart ---- */

static void build_body(strbuf_t *sb, const char *boundary)
{
	static const char file[] = "PNG\0\r\n--not-the-boundary\r\n\0\xff\xfe end";
	strbuf_addf(sb, "preamble to ignore\r\n--%s\r\n", boundary);
	strbuf_adds(sb, "Content-Disposition: form-data; name=\"title\"\r\n\r\n");
	strbuf_adds(sb, "路灯坏了");
	strbuf_addf(sb, "\r\n--%s\r\n", boundary);
	strbuf_adds(sb, "content-disposition: form-data; name=body\r\n");
	strbuf_adds(sb, "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	strbuf_adds(sb, "line one\r\nline two");
	strbuf_addf(sb, "\r\n--%s\r\n", boundary);
	strbuf_adds(sb, "Content-Disposition: form-data; name=\"photo\"; "
	                "filename=\"a \\\"quoted\\\" name; x.png\"\r\n");
	strbuf_adds(sb, "Content-Type: image/png\r\n\r\n");
	strbuf_add(sb, file, sizeof(file) - 1);
	strbuf_addf(sb, "\r\n--%s--\r\nepilogue", boundary);
}

static void test_multipart_fields_and_file(void **state)
{
	arena_t *a = *state;
	static const char file[] = "PNG\0\r\n--not-the-boundary\r\n\0\xff\xfe end";
	strbuf_t sb = STRBUF_INIT;
	build_body(&sb, "XyZ123");
	http_part_t *parts;
	size_t n;
	pa_err_t err;
	pa_err_clear(&err);
	assert_int_equal(http_multipart_parse(a, "multipart/form-data; boundary=XyZ123", sb.buf,
	                                      sb.len, &parts, &n, &err),
	                 0);
	assert_int_equal(n, 3);
	assert_string_equal(parts[0].name, "title");
	assert_null(parts[0].filename);
	assert_null(parts[0].content_type);
	assert_string_equal(parts[0].data, "路灯坏了");
	assert_string_equal(parts[1].name, "body");
	assert_string_equal(parts[1].content_type, "text/plain; charset=utf-8");
	assert_string_equal(parts[1].data, "line one\r\nline two");
	assert_string_equal(parts[2].name, "photo");
	assert_string_equal(parts[2].filename, "a \"quoted\" name; x.png");
	assert_string_equal(parts[2].content_type, "image/png");
	assert_int_equal(parts[2].len, sizeof(file) - 1);
	assert_memory_equal(parts[2].data, file, sizeof(file) - 1);
	assert_int_equal(parts[2].data[parts[2].len], '\0');
	strbuf_release(&sb);
}

static void test_multipart_quoted_boundary(void **state)
{
	arena_t *a = *state;
	strbuf_t sb = STRBUF_INIT;
	build_body(&sb, "weird:boundary=with?chars");
	http_part_t *parts;
	size_t n;
	pa_err_t err;
	assert_int_equal(http_multipart_parse(a,
	                                      "Multipart/Form-Data; charset=utf-8; "
	                                      "BOUNDARY=\"weird:boundary=with?chars\"",
	                                      sb.buf, sb.len, &parts, &n, &err),
	                 0);
	assert_int_equal(n, 3);
	assert_string_equal(parts[1].data, "line one\r\nline two");
	strbuf_release(&sb);

	/* no preamble, empty data */
	const char *body = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n--b--";
	assert_int_equal(http_multipart_parse(a, "multipart/form-data; boundary=b", body,
	                                      strlen(body), &parts, &n, &err),
	                 0);
	assert_int_equal(n, 1);
	assert_int_equal(parts[0].len, 0);
	assert_string_equal(parts[0].data, "");
}

static void expect_bad_multipart(arena_t *a, const char *ct, const char *body, int code)
{
	http_part_t *parts;
	size_t n;
	pa_err_t err;
	pa_err_clear(&err);
	assert_int_equal(http_multipart_parse(a, ct, body, strlen(body), &parts, &n, &err), code);
	assert_int_equal(err.code, code);
	assert_string_equal(err.field, "body");
}

static void test_multipart_bad(void **state)
{
	arena_t *a = *state;
	const char *ok_ct = "multipart/form-data; boundary=b";
	const char *one = "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n--b--\r\n";

	expect_bad_multipart(a, "multipart/form-data", one, PA_EINVAL);      /* no boundary */
	expect_bad_multipart(a, "multipart/form-data; boundary=", one, PA_EINVAL);
	expect_bad_multipart(a, "multipart/form-data; boundary=\"b", one, PA_EINVAL);
	expect_bad_multipart(a, "text/plain; boundary=b", one, PA_EMEDIATYPE);
	expect_bad_multipart(a, NULL, one, PA_EMEDIATYPE);
	/* no closing delimiter */
	expect_bad_multipart(a, ok_ct,
	                     "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv\r\n", PA_EINVAL);
	expect_bad_multipart(a, ok_ct,
	                     "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nv", PA_EINVAL);
	expect_bad_multipart(a, ok_ct, "--b", PA_EINVAL);
	expect_bad_multipart(a, ok_ct, "", PA_EINVAL);
	expect_bad_multipart(a, ok_ct, "no delimiter at all", PA_EINVAL);
	/* part without a name */
	expect_bad_multipart(a, ok_ct, "--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--",
	                     PA_EINVAL);
	expect_bad_multipart(a, ok_ct, "--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--",
	                     PA_EINVAL);
	expect_bad_multipart(a, ok_ct, "--b\r\n\r\nv\r\n--b--", PA_EINVAL);
	/* not form-data, unterminated quoted name, repeated name */
	expect_bad_multipart(a, ok_ct,
	                     "--b\r\nContent-Disposition: attachment; name=x\r\n\r\nv\r\n--b--",
	                     PA_EINVAL);
	expect_bad_multipart(a, ok_ct,
	                     "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nv\r\n--b--",
	                     PA_EINVAL);
	expect_bad_multipart(a, ok_ct,
	                     "--b\r\nContent-Disposition: form-data; name=x; name=y\r\n\r\nv\r\n--b--",
	                     PA_EINVAL);
	/* garbage after a delimiter */
	expect_bad_multipart(a, ok_ct,
	                     "--bX\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n--b--",
	                     PA_EINVAL);

	/* header block over 8 KiB */
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "--b\r\nContent-Disposition: form-data; name=x\r\nX-Pad: ");
	for (int i = 0; i < 9000; i++)
		strbuf_addch(&sb, 'p');
	strbuf_adds(&sb, "\r\n\r\nv\r\n--b--");
	expect_bad_multipart(a, ok_ct, sb.buf, PA_EINVAL);
	strbuf_release(&sb);
}

static void test_multipart_too_many_parts(void **state)
{
	arena_t *a = *state;
	strbuf_t sb = STRBUF_INIT;
	for (int i = 0; i < HTTP_MAX_PARTS; i++)
		strbuf_addf(&sb, "--b\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\n%d\r\n", i,
		            i);
	strbuf_adds(&sb, "--b--\r\n");
	http_part_t *parts;
	size_t n;
	pa_err_t err;
	assert_int_equal(http_multipart_parse(a, "multipart/form-data; boundary=b", sb.buf, sb.len,
	                                      &parts, &n, &err),
	                 0);
	assert_int_equal(n, HTTP_MAX_PARTS);
	assert_string_equal(parts[HTTP_MAX_PARTS - 1].name, "f15");

	strbuf_reset(&sb);
	for (int i = 0; i <= HTTP_MAX_PARTS; i++)
		strbuf_addf(&sb, "--b\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\n%d\r\n", i,
		            i);
	strbuf_adds(&sb, "--b--\r\n");
	expect_bad_multipart(a, "multipart/form-data; boundary=b", sb.buf, PA_EINVAL);
	strbuf_release(&sb);
}

static void test_multipart_memory_linear(void **state)
{
	/* a header line full of empty quoted strings must not cost
	 * (line length)^2 of arena */
	arena_t *a = *state;
	strbuf_t sb = STRBUF_INIT;
	for (int p = 0; p < HTTP_MAX_PARTS; p++) {
		strbuf_addf(&sb, "--b\r\nContent-Disposition: form-data; name=f%d", p);
		for (int i = 0; i < 1300; i++)
			strbuf_adds(&sb, "; a=\"\"");
		strbuf_adds(&sb, "\r\n\r\nv\r\n");
	}
	strbuf_adds(&sb, "--b--");
	http_part_t *parts;
	size_t n;
	pa_err_t err;
	size_t before = arena_used(a);
	assert_int_equal(http_multipart_parse(a, "multipart/form-data; boundary=b", sb.buf, sb.len,
	                                      &parts, &n, &err),
	                 0);
	assert_int_equal(n, HTTP_MAX_PARTS);
	assert_true(arena_used(a) - before < 4 * sb.len);
	strbuf_release(&sb);
}

/* ---- Accept-Language, cookies ---- */

static void test_pick_lang(void **state)
{
	assert_true(http_accepts_gzip("gzip"));
	assert_true(http_accepts_gzip("br;q=1.0, GZip ;q=0.5"));
	assert_true(http_accepts_gzip("deflate, gzip;q=0.001"));
	assert_false(http_accepts_gzip(NULL));
	assert_false(http_accepts_gzip(""));
	assert_false(http_accepts_gzip("gzip;q=0"));
	assert_false(http_accepts_gzip("gzip; q=0.000, identity"));
	assert_false(http_accepts_gzip("x-gzip, deflate"));
	assert_false(http_accepts_gzip("deflate;q=0.5;gzip"));
	assert_string_equal(http_pick_lang("en-US,en;q=0.9"), "en");
	assert_string_equal(http_pick_lang("en"), "en");
	assert_string_equal(http_pick_lang("EN-gb"), "en");
	assert_string_equal(http_pick_lang("zh"), "zh-CN");
	assert_string_equal(http_pick_lang("zh-CN,zh;q=0.9,en;q=0.8"), "zh-CN");
	assert_string_equal(http_pick_lang("en;q=0.8, zh-CN;q=0.9"), "zh-CN");
	assert_string_equal(http_pick_lang("zh;q=0.5, en;q=0.6"), "en");
	assert_string_equal(http_pick_lang("fr-FR, en;q=0.5"), "en");
	assert_string_equal(http_pick_lang("fr"), "zh-CN");
	assert_string_equal(http_pick_lang("*"), "zh-CN");
	assert_string_equal(http_pick_lang("en;q=0"), "zh-CN");
	assert_string_equal(http_pick_lang("english"), "zh-CN");
	assert_string_equal(http_pick_lang("en;q=bogus"), "zh-CN");
	assert_string_equal(http_pick_lang(""), "zh-CN");
	assert_string_equal(http_pick_lang(NULL), "zh-CN");
	assert_string_equal(http_pick_lang(",,;;q=,"), "zh-CN");
}

static void test_cookie_parse(void **state)
{
	arena_t *a = *state;
	const char *h = "theme=dark; pa_session=abc123; csrf = \"tok en\" ;empty=; pa=short";
	assert_string_equal(http_cookie_parse(a, h, "pa_session"), "abc123");
	assert_string_equal(http_cookie_parse(a, h, "theme"), "dark");
	assert_string_equal(http_cookie_parse(a, h, "csrf"), "tok en");
	assert_string_equal(http_cookie_parse(a, h, "empty"), "");
	assert_string_equal(http_cookie_parse(a, h, "pa"), "short");
	assert_null(http_cookie_parse(a, h, "Theme")); /* names are case-sensitive */
	assert_null(http_cookie_parse(a, h, "session"));
	assert_null(http_cookie_parse(a, NULL, "x"));
	assert_null(http_cookie_parse(a, "novalue; x", "x"));
	assert_string_equal(http_cookie_parse(a, "a=1; a=2", "a"), "1");
}

/* ---- status table, problems, JSON output ---- */

static void test_status_table(void **state)
{
	assert_int_equal(http_status_for(PA_EINVAL), 400);
	assert_int_equal(http_status_for(PA_EUNAUTH), 401);
	assert_int_equal(http_status_for(PA_EFORBIDDEN), 403);
	assert_int_equal(http_status_for(PA_ECSRF), 403);
	assert_int_equal(http_status_for(PA_ENOTFOUND), 404);
	assert_int_equal(http_status_for(PA_EMETHOD), 405);
	assert_int_equal(http_status_for(PA_ECONFLICT), 409);
	assert_int_equal(http_status_for(PA_ETOOLARGE), 413);
	assert_int_equal(http_status_for(PA_EMEDIATYPE), 415);
	assert_int_equal(http_status_for(PA_EUNPROCESSABLE), 422);
	assert_int_equal(http_status_for(PA_ERATE), 429);
	assert_int_equal(http_status_for(PA_ELOCKED), 429);
	assert_int_equal(http_status_for(PA_EUNAVAIL), 503);
	assert_int_equal(http_status_for(PA_EIO), 500);
	assert_int_equal(http_status_for(PA_EINTERNAL), 500);
	assert_int_equal(http_status_for(-999), 500);
}

static json_t *problem_json(arena_t *a, const char *lang, const pa_err_t *err, http_resp_t *resp)
{
	http_req_t req = { .arena = a, .lang = lang, .path = "/api/v1/cases/7<x>" };
	memset(resp, 0, sizeof(*resp));
	strbuf_init(&resp->body, 0);
	resp->fd = -1;
	http_problem(&req, resp, err);
	json_error_t jerr;
	json_t *j = json_loadb(resp->body.buf, resp->body.len, 0, &jerr);
	assert_non_null(j);
	return j;
}

static const char *header_of(const http_resp_t *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (streq(resp->headers[i].key, name))
			return resp->headers[i].value;
	return NULL;
}

static void test_problem_documents(void **state)
{
	arena_t *a = *state;
	http_resp_t resp;
	pa_err_t err;

	pa_fail(&err, PA_ECSRF, "csrf", "", "token missing");
	json_t *j = problem_json(a, "zh-CN", &err, &resp);
	assert_int_equal(resp.status, 403);
	assert_string_equal(resp.content_type, "application/problem+json; charset=utf-8");
	assert_string_equal(json_string_value(json_object_get(j, "type")), "urn:pingan:problem:csrf");
	assert_string_equal(json_string_value(json_object_get(j, "title")), "缺少或错误的 CSRF 令牌");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 403);
	assert_string_equal(json_string_value(json_object_get(j, "detail")), "token missing");
	assert_null(json_object_get(j, "field"));
	assert_string_equal(json_string_value(json_object_get(j, "instance")), "/api/v1/cases/7<x>");
	assert_null(strchr(resp.body.buf, '<')); /* escaped as \u003c */
	json_decref(j);
	strbuf_release(&resp.body);

	pa_fail(&err, PA_EINVAL, "validation", "contact.phone", "not a phone number");
	j = problem_json(a, "en", &err, &resp);
	assert_int_equal(resp.status, 400);
	assert_string_equal(json_string_value(json_object_get(j, "title")), "Invalid request field");
	assert_string_equal(json_string_value(json_object_get(j, "field")), "contact.phone");
	json_decref(j);
	strbuf_release(&resp.body);

	pa_fail(&err, PA_ECONFLICT, "window-closed", "", NULL);
	j = problem_json(a, "zh-CN", &err, &resp);
	assert_int_equal(resp.status, 409);
	assert_string_equal(json_string_value(json_object_get(j, "title")), "已超过办理期限");
	assert_null(json_object_get(j, "detail"));
	json_decref(j);
	strbuf_release(&resp.body);

	/* unknown slug: falls back by status */
	pa_fail(&err, PA_ENOTFOUND, "no-such-slug", "", "gone");
	j = problem_json(a, "en", &err, &resp);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	                    "urn:pingan:problem:not-found");
	json_decref(j);
	strbuf_release(&resp.body);

	/* 500: no internals */
	pa_fail(&err, PA_EIO, "validation", "secret_column", "SQLITE_IOERR at /var/db.sqlite");
	j = problem_json(a, "en", &err, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	                    "urn:pingan:problem:internal");
	assert_null(strstr(resp.body.buf, "SQLITE"));
	assert_null(strstr(resp.body.buf, "secret_column"));
	json_decref(j);
	strbuf_release(&resp.body);

	/* a store failure called "unavailable" but coded as I/O is a 500 and
	 * says so; only a 503 says "unavailable" */
	pa_fail(&err, PA_EIO, "unavailable", NULL, "could not compute the indicators");
	j = problem_json(a, "en", &err, &resp);
	assert_int_equal(resp.status, 500);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	                    "urn:pingan:problem:internal");
	json_decref(j);
	strbuf_release(&resp.body);
	pa_fail(&err, PA_EUNAVAIL, "unavailable", NULL, "database is locked");
	j = problem_json(a, "en", &err, &resp);
	assert_int_equal(resp.status, 503);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	                    "urn:pingan:problem:unavailable");
	json_decref(j);
	strbuf_release(&resp.body);

	/* 429: Retry-After from the error, or 1 */
	pa_fail(&err, PA_ERATE, "rate-limited", "", "slow down");
	err.retry_after = 17;
	j = problem_json(a, "en", &err, &resp);
	assert_int_equal(resp.status, 429);
	assert_string_equal(header_of(&resp, "Retry-After"), "17");
	json_decref(j);
	strbuf_release(&resp.body);

	pa_err_clear(&err); /* pa_fail leaves retry_after alone */
	pa_fail(&err, PA_ELOCKED, "", "", NULL);
	j = problem_json(a, "zh-CN", &err, &resp);
	assert_string_equal(json_string_value(json_object_get(j, "type")),
	                    "urn:pingan:problem:account-locked");
	assert_string_equal(header_of(&resp, "Retry-After"), "1");
	json_decref(j);
	strbuf_release(&resp.body);

	pa_fail(&err, PA_EUNAVAIL, "", "", "database is locked");
	j = problem_json(a, "zh-CN", &err, &resp);
	assert_int_equal(resp.status, 503);
	assert_string_equal(header_of(&resp, "Retry-After"), "1");
	assert_null(strstr(resp.body.buf, "locked"));
	json_decref(j);
	strbuf_release(&resp.body);
}

static void test_resp_json_escapes(void **state)
{
	http_resp_t resp;
	memset(&resp, 0, sizeof(resp));
	strbuf_init(&resp.body, 0);
	json_t *j = json_pack("{s:s, s:i, s:s}", "html", "<script>a&b</script>", "n", 5, "名",
	                      "张三");
	http_resp_json(&resp, 201, j);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.content_type, "application/json; charset=utf-8");
	assert_string_equal(resp.body.buf, "{\"html\":\"\\u003cscript\\u003ea\\u0026b\\u003c/script"
	                                   "\\u003e\",\"n\":5,\"名\":\"张三\"}");
	json_t *back = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(back, "html")),
	                    "<script>a&b</script>");
	json_decref(back);
	strbuf_release(&resp.body);
}

static void test_json_body(void **state)
{
	arena_t *a = *state;
	json_t *j;
	http_req_t req = { .arena = a, .content_type = "application/json" };
	req.body = "{\"a\":1}";
	req.body_len = strlen(req.body);
	assert_int_equal(http_json_body(&req, &j), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "a")), 1);
	json_decref(j);

	req.body = "{\"a\":1,\n \"a\":2}";
	req.body_len = strlen(req.body);
	assert_int_equal(http_json_body(&req, &j), PA_EINVAL);
	assert_string_equal(req.err.type, "bad-json");
	assert_string_equal(req.err.field, "body");
	assert_non_null(strstr(req.err.detail, "line 2"));

	req.body = "{\"a\":1} trailing";
	req.body_len = strlen(req.body);
	assert_int_equal(http_json_body(&req, &j), PA_EINVAL);

	req.body = "[1]";
	req.body_len = 3;
	assert_int_equal(http_json_body(&req, &j), PA_EINVAL);

	req.body = NULL;
	req.body_len = 0;
	assert_int_equal(http_json_body(&req, &j), PA_EINVAL);
	assert_string_equal(req.err.field, "body");

	req.content_type = "text/plain";
	assert_int_equal(http_json_body(&req, &j), PA_EMEDIATYPE);
	assert_string_equal(req.err.type, "unsupported-media-type");
}

static void test_param_id(void **state)
{
	http_req_t req = { .nparams = 1 };
	int64_t id;
	const char *good[] = { "1", "42", "999999999999999999" };
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		req.params[0] = good[i];
		assert_int_equal(http_param_id(&req, 0, &id), 0);
		assert_int_equal(id, strtoll(good[i], NULL, 10));
	}
	const char *bad[] = { "0", "007", "-1", "+1", "1a", "", "1000000000000000000", " 1" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		req.params[0] = bad[i];
		assert_int_equal(http_param_id(&req, 0, &id), PA_ENOTFOUND);
	}
	assert_int_equal(http_param_id(&req, 1, &id), PA_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_query_basic, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_query_empty_values_and_repeats, setup_arena,
		                                teardown_arena),
		cmocka_unit_test_setup_teardown(test_query_chinese, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_query_bad, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_query_limits, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_multipart_fields_and_file, setup_arena,
		                                teardown_arena),
		cmocka_unit_test_setup_teardown(test_multipart_quoted_boundary, setup_arena,
		                                teardown_arena),
		cmocka_unit_test_setup_teardown(test_multipart_bad, setup_arena, teardown_arena),
		cmocka_unit_test_setup_teardown(test_multipart_too_many_parts, setup_arena,
		                                teardown_arena),
		cmocka_unit_test_setup_teardown(test_multipart_memory_linear, setup_arena,
		                                teardown_arena),
		cmocka_unit_test(test_pick_lang),
		cmocka_unit_test_setup_teardown(test_cookie_parse, setup_arena, teardown_arena),
		cmocka_unit_test(test_status_table),
		cmocka_unit_test_setup_teardown(test_problem_documents, setup_arena, teardown_arena),
		cmocka_unit_test(test_resp_json_escapes),
		cmocka_unit_test_setup_teardown(test_json_body, setup_arena, teardown_arena),
		cmocka_unit_test(test_param_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
