/*
 * test_http_server.c — the HTTP glue end to end: a real libmicrohttpd server
 * on a free port with a small route table of test handlers, driven by
 * libcurl.  Needs libcurl at link time (-lcurl).
 */
#include "base/common.h"
#include "base/clock.h"
#include "http/http.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_JSON 1024
#define MAX_BODY (64 * 1024)

/* ---- handlers ---- */

static int h_ping(http_req_t *req, http_resp_t *resp)
{
	http_resp_json(resp, 200, json_pack("{s:b, s:s, s:s}", "ok", 1, "lang", req->lang, "ip",
	                                    req->client_ip));
	return 0;
}

static int h_echo(http_req_t *req, http_resp_t *resp)
{
	json_t *body;
	int rc = http_json_body(req, &body);
	if (rc < 0)
		return rc;
	http_resp_json(resp, 200, json_pack("{s:o}", "got", body));
	return 0;
}

static int h_upload(http_req_t *req, http_resp_t *resp)
{
	http_resp_json(resp, 200, json_pack("{s:I}", "len", (json_int_t)req->body_len));
	return 0;
}

static int h_part(http_req_t *req, http_resp_t *resp)
{
	int64_t id;
	int rc = http_param_id(req, 0, &id);
	if (rc < 0)
		return rc;
	http_resp_json(resp, 200, json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)id, "name",
	                                    req->params[1], "q", http_query(req, "q")));
	return 0;
}

static int h_delete(http_req_t *req, http_resp_t *resp)
{
	resp->status = 204;
	return 0;
}

static int h_staff(http_req_t *req, http_resp_t *resp)
{
	http_resp_json(resp, 200, json_pack("{s:s}", "user", (const char *)req->auth));
	return 0;
}

static int h_slow(http_req_t *req, http_resp_t *resp)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	http_resp_json(resp, 200, json_pack("{s:b}", "slow", 1));
	return 0;
}

static int h_fail(http_req_t *req, http_resp_t *resp)
{
	strbuf_adds(&resp->body, "half-written");
	return PA_EIO; /* err left empty: the glue takes the code */
}

static int h_conflict(http_req_t *req, http_resp_t *resp)
{
	return pa_fail(&req->err, PA_ECONFLICT, "invalid-state", "", "case is closed");
}

static int h_html(http_req_t *req, http_resp_t *resp)
{
	http_resp_json(resp, 200, json_pack("{s:s}", "t", "<b>&</b>"));
	return 0;
}

static int h_file(http_req_t *req, http_resp_t *resp)
{
	FILE *f = tmpfile();
	if (!f)
		return PA_EIO;
	fputs("hello file\n", f);
	fflush(f);
	int fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	resp->fd = fd; /* fd_size 0: the glue asks fstat */
	resp->content_type = "text/plain; charset=utf-8";
	http_resp_header(resp, "Cache-Control", "private, max-age=60");
	http_resp_header(resp, "X-Evil", "a\r\nSet-Cookie: pwned=1");
	http_resp_header(resp, "Bad Name", "x");
	http_resp_header(resp, "X-Good", arena_strdup(req->arena, "yes"));
	return 0;
}

/* A body owned by the handler's "cache" (a static string here), sent without
 * a copy; the glue releases it once per response. */
static const char shared_text[] = "{\"shared\":true}";
static atomic_int shared_releases;

static void shared_release(void *ctx)
{
	assert_ptr_equal(ctx, shared_text);
	atomic_fetch_add(&shared_releases, 1);
}

static int h_shared(http_req_t *req, http_resp_t *resp)
{
	http_resp_shared(resp, 200, "application/json; charset=utf-8", shared_text,
	                 sizeof(shared_text) - 1, shared_release, (void *)shared_text);
	http_resp_header(resp, "X-Shared", "yes");
	return 0;
}

/* Sets a shared body, then fails: the glue replaces it by a problem and
 * still releases the shared body. */
static int h_shared_fail(http_req_t *req, http_resp_t *resp)
{
	http_resp_shared(resp, 200, "application/json; charset=utf-8", shared_text,
	                 sizeof(shared_text) - 1, shared_release, (void *)shared_text);
	return pa_fail(&req->err, PA_ECONFLICT, "invalid-state", "", "case is closed");
}

static int h_metrics(http_req_t *req, http_resp_t *resp)
{
	strbuf_t sb = STRBUF_INIT;
	http_metrics_render(&sb);
	http_resp_text(resp, 200, "text/plain; version=0.0.4", sb.buf, sb.len);
	strbuf_release(&sb);
	return 0;
}

static int authenticate(http_req_t *req)
{
	const char *tok = http_header(req, "x-test-token"); /* case-insensitive */
	if (!streq(tok, "letmein"))
		return pa_fail(&req->err, PA_EUNAUTH, "unauthenticated", "", "no session");
	req->auth = "alice";
	return 0;
}

static const http_route_t routes[] = {
	{ "GET", "/ping", ROUTE_PUBLIC, h_ping, "ping" },
	{ "POST", "/echo", ROUTE_PUBLIC, h_echo, "echo" },
	{ "POST", "/upload", ROUTE_UPLOAD, h_upload, "upload" },
	{ "GET", "/things/{id}/parts/{name}", ROUTE_PUBLIC, h_part, "part" },
	{ "DELETE", "/things/{id}", ROUTE_PUBLIC, h_delete, "thing_delete" },
	{ "PUT", "/things/{id}", ROUTE_PUBLIC, h_delete, "thing_put" },
	{ "GET", "/staff", ROUTE_STAFF, h_staff, "staff" },
	{ "GET", "/limited", ROUTE_RATELIMIT, h_ping, "limited" },
	{ "GET", "/slow", ROUTE_PUBLIC, h_slow, "slow" },
	{ "GET", "/fail", ROUTE_PUBLIC, h_fail, "fail" },
	{ "POST", "/conflict", ROUTE_PUBLIC, h_conflict, "conflict" },
	{ "GET", "/html", ROUTE_PUBLIC, h_html, "html" },
	{ "GET", "/test-only", ROUTE_TEST, h_ping, "test_only" },
	{ "GET", "/metrics", ROUTE_TEXT, h_metrics, "metrics" },
	{ "GET", "/file", ROUTE_TEXT, h_file, "file" },
	{ "GET", "/shared", ROUTE_PUBLIC, h_shared, "shared" },
	{ "GET", "/shared-fail", ROUTE_PUBLIC, h_shared_fail, "shared_fail" },
};

static http_server_t *start_server(int threads)
{
	http_server_config_t cfg = {
		.host = "127.0.0.1",
		.port = 0,
		.threads = threads,
		.max_body = MAX_BODY,
		.max_json = MAX_JSON,
		.conn_timeout_s = 10,
		.routes = routes,
		.nroutes = ARRAY_SIZE(routes),
		.authenticate = authenticate,
		.public_rate_per_min = 60,
		.public_rate_burst = 3,
	};
	http_server_t *srv = NULL;
	pa_err_t err;
	pa_err_clear(&err);
	if (http_server_start(&cfg, &srv, &err) < 0) {
		fprintf(stderr, "start: %s\n", err.detail);
		return NULL;
	}
	return srv;
}

/* ---- a small libcurl client ---- */

struct result {
	long status;
	strbuf_t body;
	strbuf_t headers;
	json_t *json;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	strbuf_add(ud, p, size * n);
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	strbuf_add(ud, p, size * n);
	return size * n;
}

struct upload {
	size_t left;
	char fill;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t k = size * n < u->left ? size * n : u->left;
	memset(p, u->fill, k);
	u->left -= k;
	return k;
}

struct request {
	const char *method;
	const char *path;
	const char *const *headers; /* NULL-terminated */
	const char *body;
	size_t body_len;
	size_t chunked_len; /* > 0: stream this many bytes chunked */
};

static int port;

static CURLcode perform(const struct request *rq, struct result *res)
{
	memset(res, 0, sizeof(*res));
	strbuf_init(&res->body, 0);
	strbuf_init(&res->headers, 0);
	CURL *c = curl_easy_init();
	char url[1024];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, rq->path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &res->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &res->headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	struct curl_slist *hl = NULL;
	for (size_t i = 0; rq->headers && rq->headers[i]; i++)
		hl = curl_slist_append(hl, rq->headers[i]);
	struct upload up = { rq->chunked_len, 'x' };
	if (streq(rq->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (rq->chunked_len) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &up);
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	} else if (rq->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)rq->body_len);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	} else if (!streq(rq->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (res->body.len)
		res->json = json_loadb(res->body.buf, res->body.len, 0, NULL);
	return cc;
}

static void result_free(struct result *res)
{
	strbuf_release(&res->body);
	strbuf_release(&res->headers);
	json_decref(res->json);
}

/* Value of the last response header `name` (headers of 100 Continue come
 * first), copied into buf; NULL when absent. */
static const char *header(const struct result *res, const char *name, char *buf, size_t size)
{
	const char *found = NULL;
	size_t nl = strlen(name);
	for (const char *line = res->headers.buf; *line;) {
		const char *end = strstr(line, "\r\n");
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(buf, size, "%.*s", (int)(len - (size_t)(v - line)), v);
			found = buf;
		}
		line += len + (end ? 2 : 0);
	}
	return found;
}

static const char *jstr(const struct result *res, const char *key)
{
	return json_string_value(json_object_get(res->json, key));
}

static void expect_problem(const struct result *res, int status, const char *slug)
{
	char buf[256];
	char type[128];
	assert_int_equal(res->status, status);
	assert_non_null(header(res, "Content-Type", buf, sizeof(buf)));
	assert_string_equal(buf, "application/problem+json; charset=utf-8");
	assert_non_null(res->json);
	snprintf(type, sizeof(type), "urn:pingan:problem:%s", slug);
	assert_string_equal(jstr(res, "type"), type);
	assert_int_equal(json_integer_value(json_object_get(res->json, "status")), status);
	assert_non_null(jstr(res, "title"));
}

static struct result get(const char *path)
{
	struct request rq = { .method = "GET", .path = path };
	struct result res;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	return res;
}

/* ---- fixtures ---- */

static http_server_t *server;

static int group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_set_level(LOG_ERROR);
	server = start_server(4);
	if (!server)
		return -1;
	port = http_server_port(server);
	return port > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	http_server_stop(server, 1000);
	curl_global_cleanup();
	return 0;
}

/* ---- tests ---- */

static void test_ok_and_headers(void **state)
{
	struct result res = get("/ping");
	char buf[256];
	assert_int_equal(res.status, 200);
	assert_true(json_is_true(json_object_get(res.json, "ok")));
	assert_string_equal(jstr(&res, "lang"), "zh-CN");
	assert_string_equal(jstr(&res, "ip"), "127.0.0.1");
	assert_string_equal(header(&res, "Content-Type", buf, sizeof(buf)),
	                    "application/json; charset=utf-8");
	assert_string_equal(header(&res, "X-Content-Type-Options", buf, sizeof(buf)), "nosniff");
	assert_string_equal(header(&res, "X-Frame-Options", buf, sizeof(buf)), "DENY");
	assert_string_equal(header(&res, "Referrer-Policy", buf, sizeof(buf)), "no-referrer");
	assert_string_equal(header(&res, "Cache-Control", buf, sizeof(buf)), "no-store");
	result_free(&res);

	/* a GET with a body is fine; the body is ignored */
	struct request rq = { .method = "GET", .path = "/ping", .body = "ignored", .body_len = 7 };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	result_free(&res);
}

static void test_not_found(void **state)
{
	char buf[256];
	struct result res = get("/nope?x=1");
	expect_problem(&res, 404, "not-found");
	assert_string_equal(jstr(&res, "title"), "资源不存在");
	assert_string_equal(jstr(&res, "instance"), "/nope");
	assert_string_equal(header(&res, "X-Content-Type-Options", buf, sizeof(buf)), "nosniff");
	result_free(&res);

	/* trailing slash, extra segment, a test route with the test clock off */
	const char *paths[] = { "/ping/", "/things/1/parts/x/y", "/test-only", "/things//parts/x",
	                        "/things/1/parts/a%2Fb", "/things/1/parts/a%00b", "/things/1/parts/%zz" };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		res = get(paths[i]);
		expect_problem(&res, 404, "not-found");
		result_free(&res);
	}
}

static void test_method_not_allowed(void **state)
{
	char buf[256];
	struct request rq = { .method = "DELETE", .path = "/ping" };
	struct result res;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 405, "method-not-allowed");
	assert_string_equal(header(&res, "Allow", buf, sizeof(buf)), "GET, HEAD");
	result_free(&res);

	rq = (struct request){ .method = "POST", .path = "/things/5" };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 405, "method-not-allowed");
	assert_string_equal(header(&res, "Allow", buf, sizeof(buf)), "DELETE, PUT");
	result_free(&res);

	rq = (struct request){ .method = "DELETE", .path = "/things/5" };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 204);
	result_free(&res);
}

static void test_too_large(void **state)
{
	char *big = xmalloc(MAX_BODY + 2);
	memset(big, 'a', MAX_BODY + 1);
	big[0] = '{';
	big[MAX_BODY + 1] = '\0';
	struct result res;

	/* Content-Length over the JSON limit: refused before the body is read */
	const char *no_expect[] = { "Content-Type: application/json", "Expect:", NULL };
	const char *with_expect[] = { "Content-Type: application/json", NULL };
	struct request rq = { .method = "POST", .path = "/echo", .headers = no_expect,
	                      .body = big, .body_len = MAX_JSON + 1 };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 413, "too-large");
	assert_string_equal(jstr(&res, "field"), "body");
	result_free(&res);

	rq.headers = with_expect;
	rq.body_len = MAX_JSON * 8;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 413, "too-large");
	result_free(&res);

	/* an upload route has the larger limit, for multipart only */
	const char *multipart[] = { "Content-Type: multipart/form-data; boundary=b", "Expect:", NULL };
	rq = (struct request){ .method = "POST", .path = "/upload", .headers = no_expect,
	                       .body = big, .body_len = MAX_JSON + 1 };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 413, "too-large");
	result_free(&res);
	rq = (struct request){ .method = "POST", .path = "/upload", .headers = multipart,
	                       .body = big, .body_len = MAX_BODY };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(json_integer_value(json_object_get(res.json, "len")), MAX_BODY);
	result_free(&res);
	rq.body_len = MAX_BODY + 1;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 413, "too-large");
	result_free(&res);

	/* chunked: the limit is found while streaming; still a 413 */
	rq = (struct request){ .method = "POST", .path = "/echo", .headers = no_expect,
	                       .chunked_len = MAX_JSON * 3 };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 413, "too-large");
	result_free(&res);
	rq = (struct request){ .method = "POST", .path = "/upload", .headers = multipart,
	                       .chunked_len = MAX_BODY - 10 };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(json_integer_value(json_object_get(res.json, "len")), MAX_BODY - 10);
	result_free(&res);
	rq.chunked_len = MAX_BODY * 4;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 413, "too-large");
	result_free(&res);

	/* the server is still fine */
	res = get("/ping");
	assert_int_equal(res.status, 200);
	result_free(&res);
	free(big);
}

static void test_json_bodies(void **state)
{
	const char *text[] = { "Content-Type: text/plain", NULL };
	const char *json[] = { "Content-Type: Application/JSON; charset=utf-8", NULL };
	struct request rq = { .method = "POST", .path = "/echo", .headers = text,
	                      .body = "{\"a\":1}", .body_len = 7 };
	struct result res;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 415, "unsupported-media-type");
	result_free(&res);

	rq.headers = json;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res.json, "got"), "a")),
	                 1);
	result_free(&res);

	rq.body = "{\"a\":1,\n\"b\":}";
	rq.body_len = strlen(rq.body);
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 400, "bad-json");
	assert_string_equal(jstr(&res, "field"), "body");
	assert_non_null(strstr(jstr(&res, "detail"), "第 2 行")); /* zh-CN, the default */
	result_free(&res);

	rq.body = "";
	rq.body_len = 0;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 400, "bad-json");
	result_free(&res);
}

static void test_params_and_query(void **state)
{
	struct result res = get("/things/42/parts/%E5%BC%A0%20x?q=%E5%9C%B0+%E5%9D%80");
	assert_int_equal(res.status, 200);
	assert_int_equal(json_integer_value(json_object_get(res.json, "id")), 42);
	assert_string_equal(jstr(&res, "name"), "张 x");
	assert_string_equal(jstr(&res, "q"), "地 址");
	result_free(&res);

	res = get("/things/0042/parts/x");
	expect_problem(&res, 404, "not-found");
	result_free(&res);

	res = get("/things/42/parts/x?q=%ZZ");
	expect_problem(&res, 400, "validation");
	assert_string_equal(jstr(&res, "field"), "query");
	result_free(&res);
}

static void test_head(void **state)
{
	char buf[64];
	struct request rq = { .method = "HEAD", .path = "/ping" };
	struct result res;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.body.len, 0);
	assert_non_null(header(&res, "Content-Length", buf, sizeof(buf)));
	assert_true(atoi(buf) > 0);
	assert_string_equal(header(&res, "X-Frame-Options", buf, sizeof(buf)), "DENY");
	result_free(&res);
}

static void test_authenticate(void **state)
{
	struct result res = get("/staff");
	expect_problem(&res, 401, "unauthenticated");
	result_free(&res);

	const char *hdr[] = { "X-Test-Token: letmein", NULL };
	struct request rq = { .method = "GET", .path = "/staff", .headers = hdr };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	assert_string_equal(jstr(&res, "user"), "alice");
	result_free(&res);
}

static void test_rate_limit(void **state)
{
	char buf[64];
	struct result res;
	for (int i = 0; i < 3; i++) {
		res = get("/limited");
		assert_int_equal(res.status, 200);
		result_free(&res);
	}
	res = get("/limited");
	expect_problem(&res, 429, "rate-limited");
	assert_non_null(header(&res, "Retry-After", buf, sizeof(buf)));
	assert_true(atoi(buf) >= 1);
	result_free(&res);
	/* other routes are not limited */
	res = get("/ping");
	assert_int_equal(res.status, 200);
	result_free(&res);
}

static void test_language(void **state)
{
	const char *en[] = { "Accept-Language: en-US,en;q=0.9", NULL };
	struct request rq = { .method = "GET", .path = "/nope", .headers = en };
	struct result res;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	expect_problem(&res, 404, "not-found");
	assert_string_equal(jstr(&res, "title"), "Not found");
	result_free(&res);

	res = get("/nope?lang=en");
	assert_string_equal(jstr(&res, "title"), "Not found");
	result_free(&res);

	/* ?lang wins over the header */
	rq.path = "/nope?lang=zh-CN";
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_string_equal(jstr(&res, "title"), "资源不存在");
	result_free(&res);

	struct request rq2 = { .method = "POST", .path = "/conflict?lang=en", .body = "",
	                       .body_len = 0 };
	assert_int_equal(perform(&rq2, &res), CURLE_OK);
	expect_problem(&res, 409, "invalid-state");
	assert_string_equal(jstr(&res, "title"), "Not allowed in the current state");
	assert_string_equal(jstr(&res, "detail"), "case is closed");
	result_free(&res);
}

static void test_errors_and_escaping(void **state)
{
	struct result res = get("/fail");
	expect_problem(&res, 500, "internal");
	assert_null(strstr(res.body.buf, "half-written"));
	result_free(&res);

	res = get("/html");
	assert_int_equal(res.status, 200);
	assert_null(strchr(res.body.buf, '<'));
	assert_null(strchr(res.body.buf, '&'));
	assert_string_equal(jstr(&res, "t"), "<b>&</b>");
	result_free(&res);

	res = get("/test-only");
	assert_int_equal(res.status, 404);
	result_free(&res);
	pa_clock_enable_test(true);
	res = get("/test-only");
	assert_int_equal(res.status, 200);
	result_free(&res);
	pa_clock_enable_test(false);
}

static void test_metrics(void **state)
{
	struct result res = get("/ping");
	result_free(&res);
	res = get("/metrics");
	char buf[128];
	assert_int_equal(res.status, 200);
	assert_string_equal(header(&res, "Content-Type", buf, sizeof(buf)),
	                    "text/plain; version=0.0.4");
	const char *b = res.body.buf;
	assert_non_null(strstr(b, "# TYPE pingan_http_requests_total counter\n"));
	assert_non_null(strstr(b, "pingan_http_requests_total{route=\"ping\",status=\"200\"} "));
	assert_non_null(strstr(b, "pingan_http_requests_total{route=\"unmatched\",status=\"404\"} "));
	assert_non_null(strstr(b, "pingan_http_requests_total{route=\"echo\",status=\"413\"} "));
	assert_non_null(strstr(b, "# TYPE pingan_http_request_duration_seconds histogram\n"));
	assert_non_null(strstr(b, "pingan_http_request_duration_seconds_bucket{route=\"ping\",le=\"0.001\"} "));
	assert_non_null(strstr(b, "pingan_http_request_duration_seconds_bucket{route=\"ping\",le=\"+Inf\"} "));
	assert_non_null(strstr(b, "pingan_http_request_duration_seconds_sum{route=\"ping\"} "));
	result_free(&res);
}

static void test_fd_and_headers(void **state)
{
	char buf[128];
	struct result res = get("/file");
	assert_int_equal(res.status, 200);
	assert_string_equal(res.body.buf, "hello file\n");
	assert_string_equal(header(&res, "Content-Type", buf, sizeof(buf)),
	                    "text/plain; charset=utf-8");
	/* a handler may override a default header, never add a broken one */
	assert_string_equal(header(&res, "Cache-Control", buf, sizeof(buf)), "private, max-age=60");
	assert_string_equal(header(&res, "X-Good", buf, sizeof(buf)), "yes");
	assert_null(header(&res, "X-Evil", buf, sizeof(buf)));
	assert_null(header(&res, "Set-Cookie", buf, sizeof(buf)));
	assert_string_equal(header(&res, "X-Frame-Options", buf, sizeof(buf)), "DENY");
	result_free(&res);

	struct request rq = { .method = "HEAD", .path = "/file" };
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	assert_string_equal(header(&res, "Content-Length", buf, sizeof(buf)), "11");
	result_free(&res);
}

static void test_shared_body(void **state)
{
	char buf[128];
	int before = atomic_load(&shared_releases);
	for (int i = 0; i < 3; i++) {
		struct result res = get("/shared");
		assert_int_equal(res.status, 200);
		assert_string_equal(res.body.buf, shared_text);
		assert_string_equal(header(&res, "Content-Length", buf, sizeof(buf)), "15");
		assert_string_equal(header(&res, "X-Shared", buf, sizeof(buf)), "yes");
		assert_string_equal(header(&res, "X-Frame-Options", buf, sizeof(buf)), "DENY");
		result_free(&res);
	}
	struct request rq = { .method = "HEAD", .path = "/shared" };
	struct result res;
	assert_int_equal(perform(&rq, &res), CURLE_OK);
	assert_int_equal(res.status, 200);
	result_free(&res);
	res = get("/shared-fail");
	expect_problem(&res, 409, "invalid-state");
	result_free(&res);
	/* once per response, whether sent, sent without a body (HEAD) or replaced;
	 * MHD releases a sent one when the response is destroyed, after the
	 * client had it: wait for the last */
	for (int i = 0; i < 200 && atomic_load(&shared_releases) - before < 5; i++)
		usleep(10 * 1000);
	assert_int_equal(atomic_load(&shared_releases) - before, 5);
}

/* ---- graceful stop (its own server) ---- */

struct slow_call {
	int port;
	long status;
	CURLcode cc;
};

static void *slow_request(void *p)
{
	struct slow_call *sc = p;
	CURL *c = curl_easy_init();
	char url[128];
	strbuf_t body = STRBUF_INIT;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/slow", sc->port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	sc->cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &sc->status);
	curl_easy_cleanup(c);
	strbuf_release(&body);
	return NULL;
}

static void test_graceful_stop(void **state)
{
	http_server_t *srv = start_server(1); /* no pool: MHD's single internal thread */
	assert_non_null(srv);
	struct slow_call sc = { .port = http_server_port(srv) };

	/* an idle keep-alive connection must not hold the stop */
	CURL *idle = curl_easy_init();
	char url[128];
	strbuf_t body = STRBUF_INIT;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ping", sc.port);
	curl_easy_setopt(idle, CURLOPT_URL, url);
	curl_easy_setopt(idle, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(idle, CURLOPT_WRITEDATA, &body);
	assert_int_equal(curl_easy_perform(idle), CURLE_OK);

	pthread_t t;
	pthread_create(&t, NULL, slow_request, &sc);
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL); /* the slow handler is now sleeping */
	int64_t t0 = pa_mono_us();
	http_server_stop(srv, 5000);
	int64_t waited_ms = (pa_mono_us() - t0) / 1000;
	pthread_join(t, NULL);
	assert_int_equal(sc.cc, CURLE_OK);
	assert_int_equal(sc.status, 200);
	assert_true(waited_ms >= 100);  /* it did wait for the request */
	assert_true(waited_ms < 2000);  /* but not for the idle connection */

	/* nothing listens any more */
	struct result res;
	struct request rq = { .method = "GET", .path = "/ping" };
	int saved = port;
	port = sc.port;
	assert_int_not_equal(perform(&rq, &res), CURLE_OK);
	port = saved;
	result_free(&res);
	curl_easy_cleanup(idle);
	strbuf_release(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_and_headers),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_method_not_allowed),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_json_bodies),
		cmocka_unit_test(test_params_and_query),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_authenticate),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_language),
		cmocka_unit_test(test_errors_and_escaping),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_fd_and_headers),
		cmocka_unit_test(test_shared_body),
		cmocka_unit_test(test_graceful_stop),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
