/*
 * http.h — the HTTP edge: libmicrohttpd glue, routing, bodies, problems.
 *
 * The server is a libmicrohttpd daemon with its own thread pool.  For each
 * request the glue (http/server.c):
 *   1. creates the request's arena (reused per worker thread) and reads the
 *      body into it, refusing more than the route's limit with 413 — MHD
 *      calls the access handler several times and has no limit of its own;
 *   2. matches the route table (method + pattern with {param} segments):
 *      unknown path → 404, known path but other method → 405 with Allow;
 *   3. parses the query string (400 on malformed), picks the language from
 *      ?lang= or Accept-Language (zh-CN default, en), notes the client IP;
 *   4. applies the public rate limit to routes flagged ROUTE_RATELIMIT
 *      (429 + Retry-After), and the authenticate hook to ROUTE_STAFF routes;
 *   5. calls the handler.  A handler returns 0 after filling the response,
 *      or a negative PA_E* code with req->err filled; the glue then renders
 *      an application/problem+json document (RFC 9457) in the request's
 *      language — the one place where error codes become HTTP statuses.
 * Every response carries nosniff, no-store (API) and frame-deny headers.
 * Latency and status per route feed /metrics.
 *
 * The parsers (query strings, multipart bodies, cookies, Accept-Language)
 * take byte buffers, so fuzz targets call them without a socket.
 */
#ifndef PA_HTTP_H
#define PA_HTTP_H

#include <jansson.h>

#include "base/common.h"
#include "base/clock.h"

#define HTTP_MAX_PARAMS 4             /* {param} segments in a route */
#define HTTP_MAX_QUERY_PARAMS 64
#define HTTP_MAX_QUERY_BYTES 8192
#define HTTP_MAX_PATH_BYTES 2048
#define HTTP_MAX_HEADERS 16           /* extra response headers */
#define HTTP_MAX_PARTS 16             /* multipart parts */
#define HTTP_CONN_MEMORY (16 * 1024)  /* MHD per-connection memory: the request head, response headers and body chunks; libmicrohttpd zeroes all of it for every request (docs/performance.md) */
#define HTTP_DEFAULT_MAX_BODY (25 * 1024 * 1024)
#define HTTP_DEFAULT_MAX_JSON (1024 * 1024)

typedef struct http_kv {
	const char *key;
	const char *value;
	size_t value_len;
} http_kv_t;

typedef struct http_part {
	const char *name;          /* form field name */
	const char *filename;      /* NULL for plain fields */
	const char *content_type;  /* as sent; never trusted for files */
	const char *data;          /* NUL-terminated copy (binary-safe with len) */
	size_t len;
} http_part_t;

struct http_route;

typedef struct http_req {
	arena_t *arena;
	const char *method;
	const char *path;                  /* without query string, as sent */
	http_kv_t *query;
	size_t nquery;
	const char *body;                  /* NUL-terminated; NULL when empty */
	size_t body_len;
	const char *content_type;          /* media type only, lower-case; NULL when absent */
	const char *content_type_raw;      /* the whole header (for multipart boundary) */
	const char *client_ip;
	const char *lang;                  /* "zh-CN" or "en" */
	const char *params[HTTP_MAX_PARAMS];
	size_t nparams;
	const struct http_route *route;
	void *app;                         /* server-wide context (config.app) */
	void *auth;                        /* set by the authenticate hook */
	void *mhd_conn;                    /* struct MHD_Connection *, opaque */
	pa_err_t err;
} http_req_t;

typedef struct http_resp {
	int status;
	const char *content_type;
	strbuf_t body;
	http_kv_t headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	int fd;              /* >= 0: send this file instead of body (glue closes it) */
	int64_t fd_size;
	/* A streamed body (exports): when `stream` is set, the glue sends the
	 * headers, then calls stream(stream_ctx, buf, max) on the connection's
	 * worker thread for each chunk (chunked transfer encoding) until it
	 * returns 0 (end) or < 0 (error: the connection is closed); then, or
	 * when the client goes away, stream_free(stream_ctx) once.  The context
	 * must not use the request's arena, which is reset before the body is
	 * sent. */
	int64_t (*stream)(void *ctx, char *buf, size_t max);
	void (*stream_free)(void *ctx);
	void *stream_ctx;
	/* A body owned by someone else (a response cache), sent as it is without
	 * a copy (http_resp_shared): shared_release(shared_ctx) is called once
	 * when the connection is done with it, or when the response is dropped. */
	const char *shared;
	size_t shared_len;
	void (*shared_release)(void *ctx);
	void *shared_ctx;
} http_resp_t;

enum http_route_flags {
	ROUTE_PUBLIC = 0,
	ROUTE_STAFF = 1 << 0,      /* authenticate hook must accept */
	ROUTE_RATELIMIT = 1 << 1,  /* public per-address rate limit */
	ROUTE_TEST = 1 << 2,       /* only served when the test clock is on */
	ROUTE_UPLOAD = 1 << 3,     /* body limit is max_body instead of max_json */
	ROUTE_TEXT = 1 << 4,       /* response is not JSON (metrics, files) */
};

typedef int (*http_handler_fn)(http_req_t *req, http_resp_t *resp);

typedef struct http_route {
	const char *method;
	const char *pattern;   /* "/api/v1/cases/{id}/actions/{action}" */
	unsigned flags;
	http_handler_fn fn;
	const char *name;      /* metrics label, e.g. "case_get" */
} http_route_t;

typedef struct http_server_config {
	const char *host;      /* "127.0.0.1" */
	int port;              /* 0 = any free port */
	int threads;
	int write_threads;     /* the write pool (server.c); 0 = writes on the MHD threads */
	size_t max_body;       /* ROUTE_UPLOAD routes */
	size_t max_json;       /* every other route */
	int conn_timeout_s;
	const http_route_t *routes;
	size_t nroutes;
	/* Called for ROUTE_STAFF routes before the handler; 0 or PA_E* with req->err. */
	int (*authenticate)(http_req_t *req);
	/* Built web assets (the portal at /, the console at /console/): GET/HEAD
	 * of a path no route matches, outside /api/, is served from here; paths
	 * without a file extension get index.html (client-side routing).  NULL
	 * or a missing directory: 404 as for any unknown path. */
	const char *static_dir;
	/* One more origin the web app's pages may load images from (the map
	 * tiles: "https://tiles.example.org"); NULL or "" = none. */
	const char *img_src_extra;
	int public_rate_per_min;   /* 0 = off */
	int public_rate_burst;
	void *app;
} http_server_config_t;

typedef struct http_server http_server_t;

int http_server_start(const http_server_config_t *cfg, http_server_t **out, pa_err_t *err);
int http_server_port(const http_server_t *srv);
/* Stops accepting, waits up to grace_ms for requests in flight, then stops. */
void http_server_stop(http_server_t *srv, int grace_ms);

/* ---- request helpers ---- */
const char *http_header(const http_req_t *req, const char *name);
const char *http_query(const http_req_t *req, const char *key);
const char *http_cookie(const http_req_t *req, const char *name);
/* Decimal id from params[i]; PA_ENOTFOUND when not a positive integer. */
int http_param_id(const http_req_t *req, size_t i, int64_t *out);

/* Parses the body as a JSON object: 415 unless application/json, 400 with
 * type "bad-json" and the position on a syntax error or duplicate key. */
int http_json_body(http_req_t *req, json_t **out);

/* ---- response helpers ---- */
void http_resp_header(http_resp_t *resp, const char *name, const char *value);
/* Serializes j (compact, ensure_ascii off, "<>&" escaped) and decrefs it. */
void http_resp_json(http_resp_t *resp, int status, json_t *j);
void http_resp_text(http_resp_t *resp, int status, const char *content_type, const char *text,
                    size_t len);
/* Answers status with body [text, text + len) without copying it: the
 * bytes must stay unchanged until release(ctx), which the glue calls once
 * when the connection is done with them (or at once when the response is
 * replaced or dropped).  Replaces any body resp had. */
void http_resp_shared(http_resp_t *resp, int status, const char *content_type, const char *text,
                      size_t len, void (*release)(void *ctx), void *ctx);
/* Fills resp with the problem document for err in lang. */
void http_problem(const http_req_t *req, http_resp_t *resp, const pa_err_t *err);
/* HTTP status for a PA_E* code (the one table). */
int http_status_for(int code);

/* ---- parsers (fuzz seams) ---- */
int http_query_parse(arena_t *a, const char *qs, size_t len, http_kv_t **out, size_t *n,
                     pa_err_t *err);
int http_multipart_parse(arena_t *a, const char *content_type_header, const char *body,
                         size_t len, http_part_t **out, size_t *n, pa_err_t *err);
/* "zh-CN" or "en" from an Accept-Language header value. */
const char *http_pick_lang(const char *accept_language);
/* Whether an Accept-Encoding header (NULL: absent) takes gzip. */
bool http_accepts_gzip(const char *accept_encoding);
/* Value of cookie `name` in a Cookie header, arena-copied, or NULL. */
const char *http_cookie_parse(arena_t *a, const char *header, const char *name);

/* ---- metrics ---- */
void http_metrics_render(strbuf_t *out);
/* Counts one answered request of `route` (NULL: no route matched) with its status and
 * latency; called by the glue for every response. */
void http_metrics_observe(const char *route, int status, int64_t micros);

#endif
