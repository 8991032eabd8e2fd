/*
 * parse.c — the HTTP edge's parsers: query strings, multipart/form-data,
 * Accept-Language and Cookie headers.
 *
 * Every parser takes a byte buffer and an arena, never a socket, so the fuzz
 * targets (fuzz/fuzz_query.c, fuzz/fuzz_multipart.c) call exactly the code the
 * server runs.  They fail closed: anything malformed is refused with
 * PA_EINVAL naming the input ("query" or "body") rather than guessed at, and
 * every count and size has a named limit (HTTP_MAX_QUERY_PARAMS,
 * HTTP_MAX_QUERY_BYTES, HTTP_MAX_PARTS, MULTIPART_MAX_HEADER_BLOCK).
 *
 * Decoded query strings and multipart names are valid UTF-8 without NUL, so
 * handlers may treat them as C strings; multipart data is binary-safe (length
 * plus a NUL-terminated arena copy).
 */
#include "base/common.h"
#include "http/http.h"

#include <stdlib.h>
#include <strings.h>

#define MULTIPART_MAX_HEADER_BLOCK (8 * 1024)
#define MULTIPART_MAX_BOUNDARY 70 /* RFC 2046 §5.1.1 */

/* ---- shared helpers ---- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len;
		unsigned cp;
		if ((c & 0xE0) == 0xC0) {
			len = 2;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len > n - i)
			return false;
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

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

/* Case-insensitive compare of s[0..n) with the NUL-terminated lit. */
static bool span_ieq(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	if (n != l)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s[i]) != lower((unsigned char)lit[i]))
			return false;
	return true;
}

/* ---- query strings (application/x-www-form-urlencoded) ---- */

/* Decodes s[0..n) into an arena string; '+' is a space.  Refuses bad
 * escapes, NUL and invalid UTF-8. */
static int form_decode(arena_t *a, const char *s, size_t n, char **out, size_t *outlen)
{
	char *d = arena_alloc(a, n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '+') {
			d[j++] = ' ';
		} else if (c == '%') {
			if (n - i < 3)
				return PA_EINVAL;
			int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return PA_EINVAL;
			d[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			d[j++] = (char)c;
		}
		if (d[j - 1] == '\0')
			return PA_EINVAL;
	}
	d[j] = '\0';
	if (!utf8_valid((const unsigned char *)d, j))
		return PA_EINVAL;
	*out = d;
	*outlen = j;
	return 0;
}

int http_query_parse(arena_t *a, const char *qs, size_t len, http_kv_t **out, size_t *n,
                     pa_err_t *err)
{
	*out = NULL;
	*n = 0;
	if (len > HTTP_MAX_QUERY_BYTES)
		return pa_fail(err, PA_EINVAL, "validation", "query",
		               "query string longer than %d bytes", HTTP_MAX_QUERY_BYTES);
	if (!qs || len == 0)
		return 0;

	/* count pieces first so the array is allocated once */
	size_t pieces = 1;
	for (size_t i = 0; i < len; i++)
		if (qs[i] == '&')
			pieces++;
	http_kv_t *kv = arena_alloc(a, sizeof(*kv) * (pieces < HTTP_MAX_QUERY_PARAMS
	                                                  ? pieces : HTTP_MAX_QUERY_PARAMS));
	size_t count = 0;
	size_t pos = 0;
	while (pos <= len) {
		const char *amp = memchr(qs + pos, '&', len - pos);
		size_t end = amp ? (size_t)(amp - qs) : len;
		const char *piece = qs + pos;
		size_t plen = end - pos;
		pos = end + 1;
		if (plen == 0)
			continue; /* "a=1&&b=2" */
		if (count == HTTP_MAX_QUERY_PARAMS)
			return pa_fail(err, PA_EINVAL, "validation", "query",
			               "more than %d query parameters", HTTP_MAX_QUERY_PARAMS);
		const char *eq = memchr(piece, '=', plen);
		size_t klen = eq ? (size_t)(eq - piece) : plen;
		char *key, *value;
		size_t key_len, value_len;
		if (form_decode(a, piece, klen, &key, &key_len) < 0)
			return pa_fail(err, PA_EINVAL, "validation", "query",
			               "malformed query parameter name");
		if (eq) {
			if (form_decode(a, eq + 1, plen - klen - 1, &value, &value_len) < 0)
				return pa_fail(err, PA_EINVAL, "validation", "query",
				               "malformed value of query parameter");
		} else {
			value = arena_strdup(a, "");
			value_len = 0;
		}
		kv[count].key = key;
		kv[count].value = value;
		kv[count].value_len = value_len;
		count++;
	}
	*out = kv;
	*n = count;
	return 0;
}

/* ---- multipart/form-data (RFC 7578, RFC 2046 §5.1) ---- */

/*
 * Reads an RFC 7230 quoted-string starting at s[*i] == '"' within s[0..n);
 * backslash escapes the next character.  Returns an arena copy, or NULL when
 * unterminated.
 */
static char *quoted_string(arena_t *a, const char *s, size_t n, size_t *i)
{
	/* measure first: allocating the rest of the line for every string would
	 * let a header full of "" cost quadratic memory */
	size_t k = *i + 1, len = 0;
	while (k < n && s[k] != '"') {
		if (s[k] == '\\' && ++k >= n)
			return NULL;
		k++;
		len++;
	}
	if (k >= n)
		return NULL;
	char *d = arena_alloc(a, len + 1);
	size_t j = 0;
	for (size_t p = *i + 1; p < k; p++) {
		if (s[p] == '\\')
			p++;
		d[j++] = s[p];
	}
	d[j] = '\0';
	*i = k + 1;
	return d;
}

static bool is_tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7F && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/*
 * Parses the parameters of a header value ("; a=b; c=\"d\"") starting at
 * s[*i].  Calls back for each; returns false on a syntax error.
 */
typedef bool (*param_fn)(void *ctx, const char *name, size_t name_len, const char *value);

static bool parse_params(arena_t *a, const char *s, size_t n, size_t i, param_fn fn, void *ctx)
{
	for (;;) {
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n)
			return true;
		if (s[i] != ';')
			return false;
		i++;
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n)
			return true; /* trailing ';' */
		size_t name_start = i;
		while (i < n && is_tchar((unsigned char)s[i]))
			i++;
		size_t name_len = i - name_start;
		while (i < n && is_ows(s[i]))
			i++;
		if (name_len == 0 || i == n || s[i] != '=')
			return false;
		i++;
		while (i < n && is_ows(s[i]))
			i++;
		const char *value;
		if (i < n && s[i] == '"') {
			value = quoted_string(a, s, n, &i);
			if (!value)
				return false;
		} else {
			size_t vs = i;
			while (i < n && is_tchar((unsigned char)s[i]))
				i++;
			if (i == vs)
				return false;
			value = arena_strndup(a, s + vs, i - vs);
		}
		if (!fn(ctx, s + name_start, name_len, value))
			return false;
	}
}

static bool boundary_param(void *ctx, const char *name, size_t name_len, const char *value)
{
	const char **boundary = ctx;
	if (span_ieq(name, name_len, "boundary")) {
		if (*boundary)
			return false; /* twice */
		*boundary = value;
	}
	return true;
}

struct disposition {
	const char *name;
	const char *filename;
	bool dup;
};

static bool disposition_param(void *ctx, const char *name, size_t name_len, const char *value)
{
	struct disposition *d = ctx;
	const char **slot = NULL;
	if (span_ieq(name, name_len, "name"))
		slot = &d->name;
	else if (span_ieq(name, name_len, "filename"))
		slot = &d->filename;
	else
		return true; /* filename* and extensions: ignored */
	if (*slot) {
		d->dup = true;
		return false;
	}
	*slot = value;
	return true;
}

/* Names and filenames: UTF-8 text without control characters. */
static bool clean_text(const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return false;
	return utf8_valid((const unsigned char *)s, n);
}

static int bad_body(pa_err_t *err, const char *what)
{
	return pa_fail(err, PA_EINVAL, "validation", "body", "malformed multipart body: %s", what);
}

/* Parses one part's header block hb[0..n) (CRLF-separated lines, no final
 * empty line). */
static int part_headers(arena_t *a, const char *hb, size_t n, http_part_t *part, pa_err_t *err)
{
	if (memchr(hb, '\0', n))
		return bad_body(err, "NUL in part headers");
	struct disposition disp = { 0 };
	bool have_disp = false, have_type = false;
	size_t pos = 0;
	while (pos < n) {
		const char *line = hb + pos;
		const char *crlf = memmem(line, n - pos, "\r\n", 2);
		size_t llen = crlf ? (size_t)(crlf - line) : n - pos;
		pos += llen + (crlf ? 2 : 0);
		if (llen == 0 || is_ows(line[0]))
			return bad_body(err, "empty or folded header line");
		const char *colon = memchr(line, ':', llen);
		if (!colon || colon == line)
			return bad_body(err, "header line without a name");
		size_t name_len = (size_t)(colon - line);
		for (size_t k = 0; k < name_len; k++)
			if (!is_tchar((unsigned char)line[k]))
				return bad_body(err, "bad header name");
		size_t v = name_len + 1;
		while (v < llen && is_ows(line[v]))
			v++;
		size_t vend = llen;
		while (vend > v && is_ows(line[vend - 1]))
			vend--;
		if (span_ieq(line, name_len, "Content-Disposition")) {
			if (have_disp)
				return bad_body(err, "two Content-Disposition headers");
			have_disp = true;
			size_t t = v;
			while (t < vend && is_tchar((unsigned char)line[t]))
				t++;
			if (!span_ieq(line + v, t - v, "form-data"))
				return bad_body(err, "Content-Disposition is not form-data");
			if (!parse_params(a, line, vend, t, disposition_param, &disp))
				return bad_body(err, disp.dup ? "repeated Content-Disposition parameter"
				                              : "bad Content-Disposition parameters");
		} else if (span_ieq(line, name_len, "Content-Type")) {
			if (have_type)
				return bad_body(err, "two Content-Type headers");
			have_type = true;
			part->content_type = arena_strndup(a, line + v, vend - v);
		}
		/* other headers (Content-Transfer-Encoding etc.) are ignored */
	}
	if (!disp.name || disp.name[0] == '\0')
		return bad_body(err, "part without a name");
	if (!clean_text(disp.name) || (disp.filename && !clean_text(disp.filename)))
		return bad_body(err, "control characters or invalid UTF-8 in a part name");
	part->name = disp.name;
	part->filename = disp.filename;
	return 0;
}

/* The boundary parameter of a multipart/form-data Content-Type, or NULL. */
static int multipart_boundary(arena_t *a, const char *ct, const char **boundary, pa_err_t *err)
{
	*boundary = NULL;
	if (!ct)
		return pa_fail(err, PA_EMEDIATYPE, "unsupported-media-type", "body",
		               "expected multipart/form-data");
	size_t n = strlen(ct);
	size_t i = 0;
	while (i < n && is_ows(ct[i]))
		i++;
	size_t ts = i;
	while (i < n && ct[i] != ';' && !is_ows(ct[i]))
		i++;
	if (!span_ieq(ct + ts, i - ts, "multipart/form-data"))
		return pa_fail(err, PA_EMEDIATYPE, "unsupported-media-type", "body",
		               "expected multipart/form-data");
	const char *b = NULL;
	if (!parse_params(a, ct, n, i, boundary_param, &b))
		return pa_fail(err, PA_EINVAL, "validation", "body",
		               "malformed Content-Type parameters");
	if (!b || b[0] == '\0')
		return pa_fail(err, PA_EINVAL, "validation", "body", "multipart boundary missing");
	size_t bl = strlen(b);
	if (bl > MULTIPART_MAX_BOUNDARY)
		return pa_fail(err, PA_EINVAL, "validation", "body", "multipart boundary too long");
	for (size_t k = 0; k < bl; k++)
		if ((unsigned char)b[k] < 0x20 || (unsigned char)b[k] >= 0x7F)
			return pa_fail(err, PA_EINVAL, "validation", "body",
			               "bad character in multipart boundary");
	*boundary = b;
	return 0;
}

/*
 * Layout (RFC 2046): preamble, then "--B" at the start of the body or after a
 * CRLF; each delimiter is followed by optional whitespace and CRLF, the part's
 * headers, an empty line and the data, which ends at the next "\r\n--B".  The
 * close delimiter is "--B--"; the epilogue after it is ignored.
 */
int http_multipart_parse(arena_t *a, const char *content_type_header, const char *body,
                         size_t len, http_part_t **out, size_t *n, pa_err_t *err)
{
	*out = NULL;
	*n = 0;
	const char *boundary;
	int rc = multipart_boundary(a, content_type_header, &boundary, err);
	if (rc < 0)
		return rc;
	if (!body)
		len = 0;

	/* dl = "\r\n--B"; the first delimiter may lack the leading CRLF */
	size_t bl = strlen(boundary);
	size_t dl_len = bl + 4;
	char *dl = arena_alloc(a, dl_len + 1);
	memcpy(dl, "\r\n--", 4);
	memcpy(dl + 4, boundary, bl);
	dl[dl_len] = '\0';

	size_t pos;
	if (len >= dl_len - 2 && memcmp(body, dl + 2, dl_len - 2) == 0) {
		pos = dl_len - 2;
	} else {
		const char *first = len ? memmem(body, len, dl, dl_len) : NULL;
		if (!first)
			return bad_body(err, "no boundary delimiter");
		pos = (size_t)(first - body) + dl_len;
	}

	http_part_t *parts = arena_zalloc(a, sizeof(*parts) * HTTP_MAX_PARTS);
	size_t count = 0;
	for (;;) {
		/* just after a delimiter's boundary */
		if (len - pos >= 2 && body[pos] == '-' && body[pos + 1] == '-')
			break; /* close delimiter */
		while (pos < len && is_ows(body[pos]))
			pos++;
		if (len - pos < 2 || body[pos] != '\r' || body[pos + 1] != '\n')
			return bad_body(err, len - pos < 2 ? "no closing delimiter"
			                                   : "garbage after a boundary");
		pos += 2;
		if (count == HTTP_MAX_PARTS)
			return pa_fail(err, PA_EINVAL, "validation", "body",
			               "more than %d multipart parts", HTTP_MAX_PARTS);

		/* headers: up to the empty line */
		size_t hb_len;
		size_t data_start;
		if (len - pos >= 2 && body[pos] == '\r' && body[pos + 1] == '\n') {
			hb_len = 0;
			data_start = pos + 2;
		} else {
			size_t window = len - pos;
			if (window > MULTIPART_MAX_HEADER_BLOCK + 4)
				window = MULTIPART_MAX_HEADER_BLOCK + 4;
			const char *end = memmem(body + pos, window, "\r\n\r\n", 4);
			if (!end)
				return bad_body(err, window == len - pos ? "unterminated part headers"
				                                         : "part headers too large");
			hb_len = (size_t)(end - (body + pos));
			if (hb_len > MULTIPART_MAX_HEADER_BLOCK)
				return bad_body(err, "part headers too large");
			data_start = pos + hb_len + 4;
		}
		http_part_t *part = &parts[count];
		rc = part_headers(a, body + pos, hb_len, part, err);
		if (rc < 0)
			return rc;

		const char *next = memmem(body + data_start, len - data_start, dl, dl_len);
		if (!next)
			return bad_body(err, "no closing delimiter");
		size_t data_len = (size_t)(next - (body + data_start));
		char *data = arena_alloc(a, data_len + 1);
		memcpy(data, body + data_start, data_len);
		data[data_len] = '\0';
		part->data = data;
		part->len = data_len;
		count++;
		pos = data_start + data_len + dl_len;
	}
	*out = parts;
	*n = count;
	return 0;
}

/* ---- Accept-Language ---- */

/* Parses a qvalue ("0", "0.8", "1.000") into thousandths; -1 when malformed. */
static int qvalue(const char *s, size_t n)
{
	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	int q = (s[0] - '0') * 1000;
	if (n == 1)
		return q;
	if (s[1] != '.' || n > 5)
		return -1;
	int scale = 100;
	for (size_t i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		q += (s[i] - '0') * scale;
	}
	return q > 1000 ? -1 : q;
}

/*
 * Each language-range gets its q (default 1); English wins only when its
 * best q is strictly greater than Chinese's — "*" and anything unknown count
 * for the zh-CN default.
 */
const char *http_pick_lang(const char *al)
{
	if (!al)
		return "zh-CN";
	int q_en = 0, q_zh = 0;
	const char *p = al;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *item = p;
		p = comma ? comma + 1 : p + len;

		size_t i = 0;
		while (i < len && is_ows(item[i]))
			i++;
		size_t ts = i;
		while (i < len && item[i] != ';' && !is_ows(item[i]))
			i++;
		const char *tag = item + ts;
		size_t tag_len = i - ts;
		if (tag_len == 0)
			continue;
		int q = 1000;
		/* parameters: only q matters */
		while (i < len) {
			while (i < len && (is_ows(item[i]) || item[i] == ';'))
				i++;
			size_t ps = i;
			while (i < len && item[i] != ';')
				i++;
			size_t pe = i;
			while (pe > ps && is_ows(item[pe - 1]))
				pe--;
			if (pe - ps >= 2 && lower((unsigned char)item[ps]) == 'q' &&
			    item[ps + 1] == '=') {
				q = qvalue(item + ps + 2, pe - ps - 2);
				if (q < 0)
					q = 0; /* malformed: ignore this range */
			}
		}
		bool en = tag_len >= 2 && lower((unsigned char)tag[0]) == 'e' &&
		          lower((unsigned char)tag[1]) == 'n' && (tag_len == 2 || tag[2] == '-');
		if (en) {
			if (q > q_en)
				q_en = q;
		} else if (tag_len == 1 && tag[0] == '*') {
			if (q > q_zh)
				q_zh = q;
		} else {
			bool zh = tag_len >= 2 && lower((unsigned char)tag[0]) == 'z' &&
			          lower((unsigned char)tag[1]) == 'h' &&
			          (tag_len == 2 || tag[2] == '-');
			if (zh && q > q_zh)
				q_zh = q;
		}
	}
	return q_en > q_zh ? "en" : "zh-CN";
}

/* ---- Cookie header (RFC 6265 §5.4 syntax, lenient on spaces) ---- */

const char *http_cookie_parse(arena_t *a, const char *header, const char *name)
{
	if (!header || !name || !*name)
		return NULL;
	size_t name_len = strlen(name);
	const char *p = header;
	while (*p) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		const char *item = p;
		p = semi ? semi + 1 : p + len;

		size_t i = 0;
		while (i < len && is_ows(item[i]))
			i++;
		const char *eq = memchr(item + i, '=', len - i);
		if (!eq)
			continue;
		size_t ke = (size_t)(eq - item);
		while (ke > i && is_ows(item[ke - 1]))
			ke--;
		if (ke - i != name_len || memcmp(item + i, name, name_len) != 0)
			continue;
		size_t vs = (size_t)(eq - item) + 1, ve = len;
		while (vs < ve && is_ows(item[vs]))
			vs++;
		while (ve > vs && is_ows(item[ve - 1]))
			ve--;
		if (ve - vs >= 2 && item[vs] == '"' && item[ve - 1] == '"') {
			vs++;
			ve--;
		}
		return arena_strndup(a, item + vs, ve - vs);
	}
	return NULL;
}

/* "gzip" among Accept-Encoding's codings (case-insensitive), not with a
 * q-value of zero (q=0, q=0.0, q=0.000: RFC 9110 12.5.3, 12.4.2). */
bool http_accepts_gzip(const char *ae)
{
	while (ae && *ae) {
		while (*ae == ' ' || *ae == '\t' || *ae == ',')
			ae++;
		size_t n = strcspn(ae, ",;");
		size_t t = n;
		while (t > 0 && (ae[t - 1] == ' ' || ae[t - 1] == '\t'))
			t--;
		bool gzip = t == 4 && strncasecmp(ae, "gzip", 4) == 0;
		ae += n;
		bool q0 = false;
		while (*ae == ';') {
			const char *p = ae + 1;
			size_t m = strcspn(p, ",;");
			while (*p == ' ' || *p == '\t')
				p++;
			if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
				q0 = true;
				for (const char *d = p + 2; d < ae + 1 + m && *d != ' ' && *d != '\t'; d++)
					if (*d != '0' && *d != '.')
						q0 = false;
			}
			ae += 1 + m;
		}
		if (gzip)
			return !q0;
	}
	return false;
}
