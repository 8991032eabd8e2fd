/*
 * server.c — libmicrohttpd glue: one request's life from request line to
 * completion.
 *
 * libmicrohttpd (0.9.75) calls us at four points, and each owns one step:
 *
 *   uri_logged()   request line read: the raw request-target (path *and*
 *                  query, before MHD unescapes anything) is copied into a
 *                  fresh request state, which lives in the request's arena
 *                  and becomes MHD's per-request pointer (*con_cls).
 *   on_access()    called several times:
 *                    first, headers only  → begin(): match the route (the
 *                      body limit is max_json, or max_body for multipart
 *                      sent to a ROUTE_UPLOAD route), parse the query, pick the
 *                      language, note the client address; a Content-Length
 *                      over the limit is answered 413 at once, so the body is
 *                      never read;
 *                    then once per body chunk → kept in a heap strbuf, or
 *                      counted and dropped (no route, GET/HEAD, or over the
 *                      limit: the 413 waits for the end of the body, because
 *                      MHD cannot answer in the middle of one);
 *                    last, with no data   → finish(): 413/404/405/400, rate
 *                      limit, authenticate, handler, response — for a
 *                      write, on a thread of the write pool (below);
 *                    once more after a write's connection is resumed
 *                      → the pool's response is queued.
 *   on_completed() response sent or connection gone: body freed, arena reset
 *                  and handed back to the worker thread's cache.
 *   on_connection() counts open connections, for the graceful stop.
 *
 * Arenas: each worker thread caches one spare arena (a pthread key whose
 * destructor frees it when the thread ends).  A request takes the spare or a
 * new one and gives it back reset; several requests may be in progress on one
 * thread at once (MHD multiplexes connections), so an arena is never shared.
 *
 * The write pool.  A handler that writes sleeps in store_write() until its
 * batch's COMMIT is on disk, and group commit can only group the writes
 * that are waiting: with handlers on MHD's own threads that is at most one
 * per worker thread that is not serving something else — and MHD hands a
 * burst of new connections to a few of its threads, so 64 connections used
 * to give 3–9 writes per commit.  So a request whose method is not GET or
 * HEAD (and that passed the checks above) is handed to a pool of
 * `write_threads` threads instead: the MHD thread suspends the connection
 * (MHD_suspend_connection) and goes on serving others; a pool thread runs
 * the rate limit, authentication and handler and stores the response in
 * the request state, then resumes the connection, and MHD calls on_access
 * again on the connection's own thread, which queues the response.  Each
 * pool thread is a thread like a worker (its own arena cache and read
 * connection).  write_threads 0 runs writes on the MHD threads as before.
 *
 * Stopping: MHD_quiesce_daemon closes the listening socket; responses then say
 * "Connection: close"; we wait until no connection is open or no request is in
 * progress (idle keep-alive connections must not hold the stop for the whole
 * grace period), at most grace_ms; then the write pool runs what it was given
 * to the end (a suspended connection must be resumed before MHD stops) and
 * later writes run on the MHD threads; then MHD_stop_daemon.
 *
 * Routes are compiled once at start into segment arrays; matching is a linear
 * scan of literal and {param} segments against the percent-decoded path
 * segments.  A path segment whose decoding fails or yields '/', NUL or invalid
 * UTF-8 matches nothing.
 */
#include "base/common.h"
#include "http/http.h"
#include "core/ratelimit.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROUTE_MAX_SEGMENTS 16
#define DEFAULT_CONN_TIMEOUT_S 30

struct route_seg {
	const char *text; /* literal bytes (not NUL-terminated) */
	size_t len;
	bool param;
};

struct compiled_route {
	const http_route_t *route;
	size_t nseg;
	struct route_seg seg[ROUTE_MAX_SEGMENTS];
};

struct request_state;

/* The write pool (see the top of the file); mu guards the queue and flags. */
struct write_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* the pool's threads sleep here */
	pthread_cond_t idle_cv;  /* http_server_stop waits here for running == 0 */
	struct request_state *head, *tail;
	int running;             /* requests taken by a thread and not yet resumed */
	bool closing;            /* take no more requests; threads exit when drained */
	pthread_t *threads;
	int nthreads;            /* started */
};

struct http_server {
	struct MHD_Daemon *daemon;
	struct write_pool pool;
	http_server_config_t cfg;
	struct compiled_route *routes;
	size_t nroutes;
	ratelimit_t *limiter;
	int port;
	atomic_int open_conns;
	atomic_int in_flight;
	atomic_bool stopping;
	char csp[768]; /* Content-Security-Policy of the web app's pages */
};

/* One request, from its request line to completion. */
struct request_state {
	http_server_t *srv;
	arena_t *arena;
	http_req_t req;
	const char *raw_query;
	size_t raw_query_len;
	int64_t start_us;
	bool started;   /* begin() ran */
	bool responded; /* a response is queued */
	bool keep_body; /* store the body (else count and drop it) */
	bool too_large;
	size_t limit;
	size_t received;
	strbuf_t body;
	int match_rc;        /* 0, PA_ENOTFOUND or PA_EMETHOD */
	const char *allow;   /* for 405 */
	int query_rc;
	pa_err_t query_err;
	/* a request handed to the write pool */
	struct MHD_Connection *con;
	bool dispatched;
	bool ready;                  /* resp holds the answer (set under pool.mu) */
	http_resp_t resp;
	struct request_state *next;  /* in the pool's queue */
};

/* ---- per-thread arena cache ---- */

static pthread_key_t arena_key;
static pthread_once_t arena_key_once = PTHREAD_ONCE_INIT;

static void arena_key_free(void *p)
{
	arena_free(p);
}

static void arena_key_init(void)
{
	if (pthread_key_create(&arena_key, arena_key_free) != 0) {
		log_error("http: pthread_key_create failed");
		abort();
	}
}

static arena_t *arena_take(void)
{
	pthread_once(&arena_key_once, arena_key_init);
	arena_t *a = pthread_getspecific(arena_key);
	if (a) {
		pthread_setspecific(arena_key, NULL);
		return a;
	}
	return arena_new();
}

static void arena_give(arena_t *a)
{
	pthread_once(&arena_key_once, arena_key_init);
	if (pthread_getspecific(arena_key) == NULL) {
		arena_reset(a);
		pthread_setspecific(arena_key, a);
	} else {
		arena_free(a);
	}
}

/* ---- routes ---- */

static int compile_routes(http_server_t *srv, pa_err_t *err)
{
	srv->routes = xcalloc(srv->cfg.nroutes ? srv->cfg.nroutes : 1, sizeof(*srv->routes));
	for (size_t i = 0; i < srv->cfg.nroutes; i++) {
		const http_route_t *r = &srv->cfg.routes[i];
		struct compiled_route *c = &srv->routes[i];
		c->route = r;
		if (!r->method || !r->pattern || r->pattern[0] != '/' || !r->fn)
			return pa_fail(err, PA_EINVAL, "validation", "routes",
			               "route %zu: method, pattern starting with '/' and handler needed", i);
		const char *p = r->pattern + 1;
		size_t nparams = 0;
		for (;;) {
			const char *slash = strchr(p, '/');
			size_t len = slash ? (size_t)(slash - p) : strlen(p);
			if (c->nseg == ROUTE_MAX_SEGMENTS)
				return pa_fail(err, PA_EINVAL, "validation", "routes",
				               "route %s: more than %d segments", r->pattern,
				               ROUTE_MAX_SEGMENTS);
			struct route_seg *s = &c->seg[c->nseg++];
			s->text = p;
			s->len = len;
			if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
				s->param = true;
				if (++nparams > HTTP_MAX_PARAMS)
					return pa_fail(err, PA_EINVAL, "validation", "routes",
					               "route %s: more than %d parameters", r->pattern,
					               HTTP_MAX_PARAMS);
			} else if (memchr(p, '{', len) || memchr(p, '}', len)) {
				return pa_fail(err, PA_EINVAL, "validation", "routes",
				               "route %s: a {param} must be a whole segment", r->pattern);
			}
			if (!slash)
				break;
			p = slash + 1;
		}
	}
	srv->nroutes = srv->cfg.nroutes;
	return 0;
}

static bool utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
		                                                 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (len == 0 || len > n - i)
			return false;
		unsigned cp = len == 1 ? c : c & (0x7F >> len);
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes one path segment into the arena; NULL when it has a bad
 * escape, decodes to '/' or NUL, or is not UTF-8. */
static const char *decode_segment(arena_t *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = n - i >= 3 ? hex_digit(s[i + 1]) : -1;
			int lo = n - i >= 3 ? hex_digit(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return NULL;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '/' || c == '\0')
			return NULL;
		d[j++] = c;
	}
	d[j] = '\0';
	return utf8_ok((const unsigned char *)d, j) ? d : NULL;
}

static bool method_is(const char *m, const char *want)
{
	return streq(m, want);
}

/* Finds the route for method + path: 0 with req->route/params set,
 * PA_EMETHOD with *allow listing the methods the path has, or PA_ENOTFOUND. */
static int match_route(http_server_t *srv, http_req_t *req, const char **allow)
{
	const char *path = req->path;
	*allow = NULL;
	if (!path || path[0] != '/' || strlen(path) > HTTP_MAX_PATH_BYTES)
		return PA_ENOTFOUND;

	const char *segs[ROUTE_MAX_SEGMENTS];
	size_t nseg = 0;
	const char *p = path + 1;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (nseg == ROUTE_MAX_SEGMENTS)
			return PA_ENOTFOUND;
		segs[nseg++] = decode_segment(req->arena, p, len);
		if (!slash)
			break;
		p = slash + 1;
	}

	bool test_on = pa_clock_is_test();
	bool head = method_is(req->method, "HEAD");
	const char *other[2 * 16]; /* methods the path has, for Allow */
	size_t nother = 0;
	for (size_t i = 0; i < srv->nroutes; i++) {
		const struct compiled_route *c = &srv->routes[i];
		if (c->nseg != nseg || ((c->route->flags & ROUTE_TEST) && !test_on))
			continue;
		const char *params[HTTP_MAX_PARAMS];
		size_t np = 0;
		bool ok = true;
		for (size_t s = 0; s < nseg && ok; s++) {
			if (!segs[s])
				ok = false;
			else if (!c->seg[s].param)
				ok = strlen(segs[s]) == c->seg[s].len &&
				     memcmp(segs[s], c->seg[s].text, c->seg[s].len) == 0;
			else if (segs[s][0] == '\0')
				ok = false;
			else
				params[np++] = segs[s];
		}
		if (!ok)
			continue;
		const char *rm = c->route->method;
		if (method_is(req->method, rm) || (head && method_is(rm, "GET"))) {
			req->route = c->route;
			memcpy(req->params, params, np * sizeof(params[0]));
			req->nparams = np;
			return 0;
		}
		/* the path exists with another method: remember it for Allow */
		const char *add[2] = { rm, method_is(rm, "GET") ? "HEAD" : NULL };
		for (size_t k = 0; k < 2 && add[k]; k++) {
			bool seen = false;
			for (size_t m = 0; m < nother && !seen; m++)
				seen = streq(other[m], add[k]);
			if (!seen && nother < ARRAY_SIZE(other))
				other[nother++] = add[k];
		}
	}
	if (nother == 0)
		return PA_ENOTFOUND;
	strbuf_t methods = STRBUF_INIT;
	for (size_t m = 0; m < nother; m++) {
		if (m)
			strbuf_adds(&methods, ", ");
		strbuf_adds(&methods, other[m]);
	}
	*allow = arena_strdup(req->arena, methods.buf);
	strbuf_release(&methods);
	return PA_EMETHOD;
}

/* ---- request state ---- */

static const char *client_ip(arena_t *a, struct MHD_Connection *con)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char buf[INET6_ADDRSTRLEN];
	if (!ci || !ci->client_addr)
		return "unknown";
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		if (inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf)))
			return arena_strdup(a, buf);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		/* an IPv4 client on a dual-stack socket is the IPv4 address */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			if (inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], buf, sizeof(buf)))
				return arena_strdup(a, buf);
		} else if (inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf))) {
			return arena_strdup(a, buf);
		}
	}
	return "unknown";
}

/* "Application/JSON ; charset=utf-8" → "application/json" */
static const char *media_type(arena_t *a, const char *raw)
{
	if (!raw)
		return NULL;
	while (*raw == ' ' || *raw == '\t')
		raw++;
	size_t n = strcspn(raw, ";");
	while (n && (raw[n - 1] == ' ' || raw[n - 1] == '\t'))
		n--;
	char *m = arena_strndup(a, raw, n);
	for (char *c = m; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c + ('a' - 'A'));
	return m;
}

static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *con)
{
	http_server_t *srv = cls;
	arena_t *a = arena_take();
	struct request_state *st = arena_zalloc(a, sizeof(*st));
	st->srv = srv;
	st->arena = a;
	st->start_us = pa_mono_us();
	strbuf_init(&st->body, 0);
	/* absolute-form ("http://host/path", RFC 9112 §3.2.2): keep the path */
	if (strncasecmp(uri, "http://", 7) == 0 || strncasecmp(uri, "https://", 8) == 0) {
		uri = strstr(uri, "://") + 3;
		uri += strcspn(uri, "/?");
	}
	size_t path_len = strcspn(uri, "?");
	st->req.path = path_len ? arena_strndup(a, uri, path_len) : "/";
	if (uri[path_len] == '?') {
		st->raw_query_len = strlen(uri + path_len + 1);
		st->raw_query = arena_strndup(a, uri + path_len + 1, st->raw_query_len);
	}
	atomic_fetch_add(&srv->in_flight, 1);
	return st;
}

static void resp_clear(http_resp_t *resp);

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	http_server_t *srv = cls;
	struct request_state *st = *con_cls;
	if (!st)
		return;
	*con_cls = NULL;
	if (st->dispatched && st->ready)
		resp_clear(&st->resp); /* answered by the pool, but the client had gone */
	strbuf_release(&st->body);
	arena_give(st->arena);
	atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	http_server_t *srv = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&srv->open_conns, 1);
	else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		atomic_fetch_sub(&srv->open_conns, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_warn("mhd: %s", buf);
}

/* ---- responses ---- */

static void resp_init(http_resp_t *resp)
{
	memset(resp, 0, sizeof(*resp));
	strbuf_init(&resp->body, 0);
	resp->fd = -1;
}

static void resp_clear(http_resp_t *resp)
{
	strbuf_release(&resp->body);
	if (resp->shared_release)
		resp->shared_release(resp->shared_ctx);
	if (resp->fd >= 0)
		close(resp->fd);
	if (resp->stream && resp->stream_free)
		resp->stream_free(resp->stream_ctx);
	resp_init(resp);
}

#define HTTP_STREAM_BLOCK (64 * 1024)  /* bytes asked of a stream per call */

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	http_resp_t *r = cls;
	int64_t n = r->stream(r->stream_ctx, buf, max);
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return (ssize_t)n;
}

static void stream_done(void *cls)
{
	http_resp_t *r = cls;
	if (r->stream_free)
		r->stream_free(r->stream_ctx);
	free(r);
}

static bool resp_has_header(const http_resp_t *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (resp->headers[i].key && strcasecmp(resp->headers[i].key, name) == 0)
			return true;
	return false;
}

/* A header a handler may send: token name, value without CR, LF or NUL
 * (no response splitting, whatever the handler copied from a request). */
static bool header_ok(const char *name, const char *value)
{
	if (!name || !*name || !value)
		return false;
	for (const char *c = name; *c; c++)
		if (*c <= ' ' || *c >= 0x7F || strchr("\"(),/:;<=>?@[\\]{}", *c))
			return false;
	return strpbrk(value, "\r\n") == NULL;
}

/* Queues resp (consuming its body or fd) and records metrics. */
static enum MHD_Result send_response(struct request_state *st, struct MHD_Connection *con,
                                     http_resp_t *resp)
{
	http_req_t *req = &st->req;
	int status = resp->status > 0 ? resp->status : 200;
	struct MHD_Response *r;
	if (resp->stream) {
		/* the callbacks outlive this response struct: give them a copy */
		http_resp_t *copy = xcalloc(1, sizeof(*copy));
		copy->stream = resp->stream;
		copy->stream_free = resp->stream_free;
		copy->stream_ctx = resp->stream_ctx;
		resp->stream = NULL;
		resp->stream_free = NULL;
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, HTTP_STREAM_BLOCK, stream_reader,
		                                      copy, stream_done);
		if (!r)
			stream_done(copy);
		strbuf_release(&resp->body);
	} else if (resp->fd >= 0) {
		struct stat sb;
		int64_t size = resp->fd_size;
		if (size <= 0 && fstat(resp->fd, &sb) == 0)
			size = (int64_t)sb.st_size;
		r = MHD_create_response_from_fd64((uint64_t)(size > 0 ? size : 0), resp->fd);
		if (!r)
			close(resp->fd);
		resp->fd = -1;
		strbuf_release(&resp->body);
	} else if (resp->shared && resp->shared_len) {
		/* the owner's bytes, released by MHD when it is done with them */
		r = MHD_create_response_from_buffer_with_free_callback_cls(
			resp->shared_len, (void *)resp->shared, resp->shared_release, resp->shared_ctx);
		if (!r && resp->shared_release)
			resp->shared_release(resp->shared_ctx);
		resp->shared = NULL;
		resp->shared_release = NULL;
		strbuf_release(&resp->body);
	} else if (resp->body.len == 0) {
		if (resp->shared_release)
			resp->shared_release(resp->shared_ctx);
		resp->shared = NULL;
		resp->shared_release = NULL;
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		strbuf_release(&resp->body);
	} else {
		size_t len;
		char *buf = strbuf_detach(&resp->body, &len);
		r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(buf);
	}
	st->responded = true;
	if (!r) {
		log_error("http: cannot create a response for %s %s", req->method, req->path);
		return MHD_NO;
	}

	static const struct {
		const char *name, *value;
	} defaults[] = {
		{ "X-Content-Type-Options", "nosniff" },
		{ "X-Frame-Options", "DENY" },
		{ "Referrer-Policy", "no-referrer" },
		{ "Cache-Control", "no-store" },
	};
	for (size_t i = 0; i < resp->nheaders; i++) {
		const http_kv_t *h = &resp->headers[i];
		if (!header_ok(h->key, h->value) ||
		    MHD_add_response_header(r, h->key, h->value) != MHD_YES)
			log_warn("http: bad response header %s on %s", h->key ? h->key : "(null)",
			         req->path);
	}
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		if (!resp_has_header(resp, defaults[i].name))
			MHD_add_response_header(r, defaults[i].name, defaults[i].value);
	if (!resp_has_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        resp->content_type ? resp->content_type
		                                           : "application/json; charset=utf-8");
	if (atomic_load(&st->srv->stopping))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");

	enum MHD_Result ret = MHD_queue_response(con, (unsigned)status, r);
	MHD_destroy_response(r);
	http_metrics_observe(req->route ? (req->route->name ? req->route->name
	                                                    : req->route->pattern)
	                                : NULL,
	                     status, pa_mono_us() - st->start_us);
	if (ret != MHD_YES)
		log_error("http: cannot queue the response for %s %s", req->method, req->path);
	return ret;
}

/* Replaces whatever the handler put in resp by the problem for rc. */
static void fail_response(struct request_state *st, http_resp_t *resp, int rc)
{
	http_req_t *req = &st->req;
	if (req->err.code == 0)
		req->err.code = rc < 0 ? rc : PA_EINTERNAL;
	resp_clear(resp);
	http_problem(req, resp, &req->err);
	if (resp->status >= 500)
		log_error("http: %s %s -> %d %s%s%s%s%s: %s", req->method, req->path, resp->status,
		          pa_strerror(req->err.code), req->err.type[0] ? " " : "", req->err.type,
		          req->err.field[0] ? " field " : "", req->err.field,
		          req->err.detail[0] ? req->err.detail : "(no detail)");
}

static enum MHD_Result send_error(struct request_state *st, struct MHD_Connection *con, int code)
{
	http_resp_t resp;
	resp_init(&resp);
	fail_response(st, &resp, code);
	if (code == PA_EMETHOD && st->allow)
		http_resp_header(&resp, "Allow", st->allow);
	return send_response(st, con, &resp);
}

static enum MHD_Result answer_error(struct request_state *st, struct MHD_Connection *con,
                                    int code, const char *type, const char *field,
                                    const char *fmt, ...) PA_FAIL_FMT(6, 7);

static enum MHD_Result answer_error(struct request_state *st, struct MHD_Connection *con,
                                    int code, const char *type, const char *field,
                                    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pa_vfail(&st->req.err, code, type, field, NULL, fmt, ap);
	va_end(ap);
	return send_error(st, con, code);
}

/* First call: headers are in, the body is not. */
static enum MHD_Result begin(struct request_state *st, struct MHD_Connection *con,
                             const char *method)
{
	http_server_t *srv = st->srv;
	http_req_t *req = &st->req;
	arena_t *a = st->arena;
	req->arena = a;
	req->method = arena_strdup(a, method);
	req->mhd_conn = con;
	req->app = srv->cfg.app;
	req->client_ip = client_ip(a, con);
	req->content_type_raw = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	                                                    MHD_HTTP_HEADER_CONTENT_TYPE);
	req->content_type = media_type(a, req->content_type_raw);

	st->query_rc = http_query_parse(a, st->raw_query, st->raw_query_len, &req->query,
	                                &req->nquery, &st->query_err);
	const char *lang = st->query_rc == 0 ? http_query(req, "lang") : NULL;
	req->lang = http_pick_lang(lang && *lang ? lang
	                                         : MHD_lookup_connection_value(
	                                                   con, MHD_HEADER_KIND,
	                                                   MHD_HTTP_HEADER_ACCEPT_LANGUAGE));

	st->match_rc = match_route(srv, req, &st->allow);
	/* an upload route takes max_body of multipart; JSON (or anything else)
	 * sent to it is still held to max_json */
	bool upload = st->match_rc == 0 && (req->route->flags & ROUTE_UPLOAD) &&
	              streq(req->content_type, "multipart/form-data");
	st->limit = upload ? srv->cfg.max_body : srv->cfg.max_json;
	/* bodies of GET/HEAD and of unknown routes are read and dropped */
	st->keep_body = st->match_rc == 0 && !method_is(method, "GET") && !method_is(method, "HEAD");

	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		uint64_t v = 0;
		bool over = false;
		for (const char *c = cl; *c >= '0' && *c <= '9'; c++) {
			if (v > (UINT64_MAX - 9) / 10) {
				over = true;
				break;
			}
			v = v * 10 + (uint64_t)(*c - '0');
		}
		if (over || v > st->limit) {
			/* answered before the body: MHD closes the connection after it */
			st->too_large = true;
			return answer_error(st, con, PA_ETOOLARGE, "too-large", "body",
			                    "the body is larger than allowed");
		}
		if (st->keep_body && v > 0)
			strbuf_grow(&st->body, v < 65536 ? (size_t)v : 65536);
	}
	return MHD_YES;
}

static const char *static_type(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" }, { ".svg", "image/svg+xml" }, { ".png", "image/png" },
		{ ".jpg", "image/jpeg" }, { ".ico", "image/x-icon" }, { ".woff2", "font/woff2" },
		{ ".woff", "font/woff" }, { ".ttf", "font/ttf" }, { ".txt", "text/plain; charset=utf-8" },
		{ ".webmanifest", "application/manifest+json" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < ARRAY_SIZE(types); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* Serves a built asset; returns MHD_NO-equivalent false when there is none. */
static bool serve_static(struct request_state *st, struct MHD_Connection *con,
                         enum MHD_Result *ret)
{
	http_server_t *srv = st->srv;
	http_req_t *req = &st->req;
	const char *dir = srv->cfg.static_dir;
	const char *p = req->path;
	if (!dir || !*dir || !p || p[0] != '/' || strncmp(p, "/api/", 5) == 0 || strcmp(p, "/api") == 0 ||
	    (!method_is(req->method, "GET") && !method_is(req->method, "HEAD")))
		return false;
	/* Only plain asset names: no escapes, no dot segments, no backslashes. */
	if (strlen(p) > 512 || strchr(p, '%') || strchr(p, '\\') || strstr(p, "/.") || strstr(p, "//"))
		return false;
	const char *last = strrchr(p, '/');
	bool spa = !strchr(last, '.');
	const char *rel = spa ? "/index.html" : p;
	const char *type = static_type(rel);
	if (!type)
		return false;
	char path[1024];
	snprintf(path, sizeof(path), "%s%s", dir, rel);
	/* precompressed copy when the client takes gzip */
	const char *ae = MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	bool gz = false;
	int fd = -1;
	if (ae && strstr(ae, "gzip") && !spa) {
		char gzpath[1040];
		snprintf(gzpath, sizeof(gzpath), "%s.gz", path);
		fd = open(gzpath, O_RDONLY | O_CLOEXEC);
		gz = fd >= 0;
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	http_resp_t resp;
	resp_init(&resp);
	resp.status = 200;
	resp.fd = fd;
	resp.fd_size = (int64_t)sb.st_size;
	resp.content_type = type;
	if (gz)
		http_resp_header(&resp, "Content-Encoding", "gzip");
	http_resp_header(&resp, "Vary", "Accept-Encoding");
	if (strncmp(rel, "/assets/", 8) == 0) {
		http_resp_header(&resp, "Cache-Control", "public, max-age=31536000, immutable");
	} else {
		http_resp_header(&resp, "Cache-Control", "no-cache");
		if (strcmp(type, "text/html; charset=utf-8") == 0)
			http_resp_header(&resp, "Content-Security-Policy", srv->csp);
	}
	*ret = send_response(st, con, &resp);
	return true;
}

static bool pool_submit(http_server_t *srv, struct request_state *st, struct MHD_Connection *con);

/* Rate limit, authentication and the handler: fills resp. */
static void process(struct request_state *st, http_resp_t *resp)
{
	http_server_t *srv = st->srv;
	http_req_t *req = &st->req;
	const http_route_t *route = req->route;
	resp_init(resp);
	int rc = 0;
	if ((route->flags & ROUTE_RATELIMIT) && srv->limiter) {
		int retry = 0;
		if (!ratelimit_take(srv->limiter, req->client_ip, pa_mono_us() / 1000, &retry)) {
			rc = pa_fail(&req->err, PA_ERATE, "rate-limited", "",
			             "too many requests from this address");
			req->err.retry_after = retry;
		}
	}
	if (rc == 0 && (route->flags & ROUTE_STAFF)) {
		if (srv->cfg.authenticate) {
			rc = srv->cfg.authenticate(req);
		} else {
			log_error("http: %s needs authentication but no hook is set", route->pattern);
			rc = PA_EUNAUTH;
		}
	}
	if (rc == 0)
		rc = route->fn(req, resp);
	if (rc < 0)
		fail_response(st, resp, rc);
	else if (resp->status >= 500)
		log_error("http: %s %s -> %d", req->method, req->path, resp->status);
}

/* Last call: the whole body is in (or was dropped). */
static enum MHD_Result finish(struct request_state *st, struct MHD_Connection *con)
{
	http_server_t *srv = st->srv;
	http_req_t *req = &st->req;
	if (st->too_large)
		return answer_error(st, con, PA_ETOOLARGE, "too-large", "body",
		                    "the body is larger than allowed");
	if (st->match_rc == PA_EMETHOD)
		return answer_error(st, con, PA_EMETHOD, "method-not-allowed", "",
		                    "this path does not accept that method");
	if (st->match_rc != 0) {
		enum MHD_Result sret;
		if (serve_static(st, con, &sret))
			return sret;
		return answer_error(st, con, PA_ENOTFOUND, "not-found", "", "no such resource");
	}
	if (st->query_rc < 0) {
		req->err = st->query_err; /* whole struct: both sentences */
		return send_error(st, con, st->query_err.code);
	}
	if (st->keep_body && st->body.len) {
		req->body = st->body.buf;
		req->body_len = st->body.len;
	}

	if (!method_is(req->method, "GET") && !method_is(req->method, "HEAD") &&
	    pool_submit(srv, st, con))
		return MHD_YES;
	http_resp_t resp;
	process(st, &resp);
	return send_response(st, con, &resp);
}

/* ---- the write pool ---- */

/* Hands st to the pool and suspends its connection; false when the pool is
 * off or closing (the caller then runs the request itself). */
static bool pool_submit(http_server_t *srv, struct request_state *st, struct MHD_Connection *con)
{
	struct write_pool *p = &srv->pool;
	if (p->nthreads == 0)
		return false;
	pthread_mutex_lock(&p->mu);
	if (p->closing) {
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	/* suspended before any pool thread can see it (and resume it) */
	MHD_suspend_connection(con);
	st->con = con;
	st->dispatched = true;
	st->next = NULL;
	if (p->tail)
		p->tail->next = st;
	else
		p->head = st;
	p->tail = st;
	p->running++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return true;
}

static void *pool_main(void *arg)
{
	http_server_t *srv = arg;
	struct write_pool *p = &srv->pool;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->head && !p->closing)
			pthread_cond_wait(&p->cv, &p->mu);
		struct request_state *st = p->head;
		if (!st)
			break; /* closing and drained */
		p->head = st->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);

		http_resp_t resp;
		process(st, &resp);
		struct MHD_Connection *con = st->con;
		pthread_mutex_lock(&p->mu);
		st->resp = resp;
		st->ready = true;
		/* resumed under the lock: http_server_stop sees running == 0 only
		 * after every connection it waits for is resumed */
		MHD_resume_connection(con);
		if (--p->running == 0)
			pthread_cond_broadcast(&p->idle_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The connection of a request the pool answered is back: queue the answer. */
static enum MHD_Result pool_answer(struct request_state *st, struct MHD_Connection *con)
{
	struct write_pool *p = &st->srv->pool;
	pthread_mutex_lock(&p->mu);
	bool ready = st->ready;
	pthread_mutex_unlock(&p->mu);
	if (!ready)
		return MHD_YES; /* not yet: MHD calls again after the resume */
	st->dispatched = false;
	return send_response(st, con, &st->resp);
}

static void pool_start(http_server_t *srv, int n)
{
	struct write_pool *p = &srv->pool;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->idle_cv, NULL);
	if (n <= 0)
		return;
	p->threads = xcalloc((size_t)n, sizeof(*p->threads));
	/* signals are for the main thread, never the pool */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, pool_main, srv) != 0) {
			log_warn("http: started %d of %d write threads", i, n);
			break;
		}
		p->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Lets the pool finish what it was given, then joins its threads; requests
 * that arrive meanwhile run on the MHD threads. */
static void pool_stop(http_server_t *srv)
{
	struct write_pool *p = &srv->pool;
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->cv);
	while (p->running > 0)
		pthread_cond_wait(&p->idle_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	p->threads = NULL;
	p->nthreads = 0;
}

static void pool_free(http_server_t *srv)
{
	struct write_pool *p = &srv->pool;
	pthread_cond_destroy(&p->idle_cv);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *con, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
	struct request_state *st = *con_cls;
	if (!st)
		return MHD_NO; /* uri_logged() always runs first */
	if (!st->started) {
		st->started = true;
		return begin(st, con, method);
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (st->responded)
			return MHD_YES;
		st->received = st->received + n < st->received ? SIZE_MAX : st->received + n;
		if (st->received > st->limit) {
			st->too_large = true;
			strbuf_release(&st->body);
		} else if (st->keep_body) {
			strbuf_add(&st->body, upload_data, n);
		}
		return MHD_YES;
	}
	if (st->responded)
		return MHD_YES;
	if (st->dispatched)
		return pool_answer(st, con);
	return finish(st, con);
}

/* ---- start / stop ---- */

int http_server_start(const http_server_config_t *cfg, http_server_t **out, pa_err_t *err)
{
	*out = NULL;
	http_server_t *srv = xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	/* the map tiles' origin is the one outside source the pages may load */
	const char *tiles = cfg->img_src_extra && *cfg->img_src_extra ? cfg->img_src_extra : NULL;
	snprintf(srv->csp, sizeof(srv->csp),
	         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
	         "img-src 'self' data: blob:%s%.256s; connect-src 'self'; object-src 'none'; "
	         "base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
	         tiles ? " " : "", tiles ? tiles : "");
	if (!srv->cfg.max_body)
		srv->cfg.max_body = HTTP_DEFAULT_MAX_BODY;
	if (!srv->cfg.max_json)
		srv->cfg.max_json = HTTP_DEFAULT_MAX_JSON;
	if (srv->cfg.conn_timeout_s <= 0)
		srv->cfg.conn_timeout_s = DEFAULT_CONN_TIMEOUT_S;
	if (srv->cfg.threads < 1)
		srv->cfg.threads = 1;
	if (!srv->cfg.host || !*srv->cfg.host)
		srv->cfg.host = "127.0.0.1";
	int rc = compile_routes(srv, err);
	if (rc < 0)
		goto fail;
	if (cfg->port < 0 || cfg->port > 65535) {
		rc = pa_fail(err, PA_EINVAL, "validation", "port", "port %d out of range", cfg->port);
		goto fail;
	}

	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                          .ai_flags = AI_PASSIVE | AI_ADDRCONFIG };
	struct addrinfo *ai = NULL;
	int gai = getaddrinfo(srv->cfg.host, NULL, &hints, &ai);
	if (gai != 0 || !ai) {
		rc = pa_fail(err, PA_EINVAL, "validation", "host", "cannot resolve %s: %s",
		             srv->cfg.host, gai_strerror(gai));
		goto fail;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, ai->ai_addr, ai->ai_addrlen < sizeof(ss) ? ai->ai_addrlen : sizeof(ss));
	freeaddrinfo(ai);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (srv->cfg.write_threads > 0)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
#ifdef __linux__
	flags |= MHD_USE_EPOLL;
#else
	flags |= MHD_USE_AUTO;
#endif
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_port = htons((uint16_t)cfg->port);
		flags |= MHD_USE_IPv6;
		/* "::" means every address, IPv4 ones too */
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			flags |= MHD_USE_DUAL_STACK;
	} else {
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)cfg->port);
	}

	if (srv->cfg.public_rate_per_min > 0)
		srv->limiter = ratelimit_new(srv->cfg.public_rate_per_min, srv->cfg.public_rate_burst);
	pool_start(srv, srv->cfg.write_threads);

	srv->daemon = MHD_start_daemon(
		flags, (uint16_t)cfg->port, NULL, NULL, on_access, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, /* first, or MHD logs to stderr */
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv->cfg.threads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)srv->cfg.conn_timeout_s,
		MHD_OPTION_URI_LOG_CALLBACK, uri_logged, srv,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
		MHD_OPTION_END);
	if (!srv->daemon) {
		rc = pa_fail(err, PA_EIO, "internal", "", "cannot listen on %s port %d",
		             srv->cfg.host, cfg->port);
		pool_stop(srv);
		pool_free(srv);
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di && di->port ? di->port : cfg->port;
	log_info("http: listening on %s port %d (%d threads, %d write threads)", srv->cfg.host,
	         srv->port, srv->cfg.threads, srv->pool.nthreads);
	*out = srv;
	return 0;
fail:
	ratelimit_free(srv->limiter);
	free(srv->routes);
	free(srv);
	return rc;
}

int http_server_port(const http_server_t *srv)
{
	return srv ? srv->port : 0;
}

void http_server_stop(http_server_t *srv, int grace_ms)
{
	if (!srv)
		return;
	atomic_store(&srv->stopping, true);
	MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);
	if (lfd != MHD_INVALID_SOCKET)
		close(lfd);
	int64_t deadline = pa_mono_us() + (int64_t)(grace_ms > 0 ? grace_ms : 0) * 1000;
	while (atomic_load(&srv->open_conns) > 0 && atomic_load(&srv->in_flight) > 0 &&
	       pa_mono_us() < deadline) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	pool_stop(srv);
	if (atomic_load(&srv->in_flight) > 0)
		log_warn("http: stopping with %d requests still in progress",
		         atomic_load(&srv->in_flight));
	MHD_stop_daemon(srv->daemon);
	pool_free(srv);
	ratelimit_free(srv->limiter);
	free(srv->routes);
	free(srv);
}
