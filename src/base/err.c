#include "base/common.h"
#include "base/messages.h"

#include <stdarg.h>
#include <stdio.h>

size_t pa_utf8_cut(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	/* walk back over continuation bytes to the lead byte of the last sequence */
	size_t i = len, back = 0;
	while (i > 0 && back < 4 && (p[i - 1] & 0xC0) == 0x80) {
		i--;
		back++;
	}
	if (i == 0)
		return back ? 0 : len;
	unsigned char lead = p[i - 1];
	size_t need = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
	            : (lead & 0xF8) == 0xF0 ? 4 : 1;
	return back + 1 >= need ? len : i - 1;
}

/* Formats into buf (size n) and, when the text did not fit, cuts it on a
 * character boundary instead of inside a multi-byte sequence. */
static void format_cut(char *buf, size_t n, const char *prefix, const char *fmt, va_list ap)
{
	size_t off = 0;
	buf[0] = '\0';
	if (prefix && *prefix) {
		int w = snprintf(buf, n, "%s", prefix);
		off = w < 0 ? 0 : (size_t)w < n ? (size_t)w : n - 1;
	}
	int w = vsnprintf(buf + off, n - off, fmt, ap);
	size_t len = off + (w < 0 ? 0 : (size_t)w);
	if (len >= n) {
		len = pa_utf8_cut(buf, n - 1);
		buf[len] = '\0';
	}
}

int pa_vfail(pa_err_t *e, int code, const char *type, const char *field, const char *prefix,
             const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	snprintf(e->type, sizeof(e->type), "%s", type ? type : "");
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	e->detail[0] = '\0';
	e->detail_zh[0] = '\0';
	if (fmt) {
		va_list ap2;
		va_copy(ap2, ap);
		format_cut(e->detail, sizeof(e->detail), prefix, fmt, ap);
		const char *zh = pa_message_zh(fmt);
		if (zh) {
			/* the catalog's formats are checked against their English ones
			 * by tests/unit/test_messages.c; the compiler cannot see them */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			format_cut(e->detail_zh, sizeof(e->detail_zh), prefix, zh, ap2);
#pragma GCC diagnostic pop
		} else {
			snprintf(e->detail_zh, sizeof(e->detail_zh), "%s", e->detail);
		}
		va_end(ap2);
	}
	return code;
}

int pa_fail(pa_err_t *e, int code, const char *type, const char *field, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = pa_vfail(e, code, type, field, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

void pa_err_clear(pa_err_t *e)
{
	if (e)
		memset(e, 0, sizeof(*e));
}

const char *pa_strerror(int code)
{
	switch (code) {
	case PA_OK: return "OK";
	case PA_EINVAL: return "EINVAL";
	case PA_ENOTFOUND: return "ENOTFOUND";
	case PA_EFORBIDDEN: return "EFORBIDDEN";
	case PA_ECONFLICT: return "ECONFLICT";
	case PA_EUNAUTH: return "EUNAUTH";
	case PA_ETOOLARGE: return "ETOOLARGE";
	case PA_EMEDIATYPE: return "EMEDIATYPE";
	case PA_ERATE: return "ERATE";
	case PA_EUNAVAIL: return "EUNAVAIL";
	case PA_EIO: return "EIO";
	case PA_EINTERNAL: return "EINTERNAL";
	case PA_ECSRF: return "ECSRF";
	case PA_ELOCKED: return "ELOCKED";
	case PA_EMETHOD: return "EMETHOD";
	case PA_EUNPROCESSABLE: return "EUNPROCESSABLE";
	}
	return "E?";
}
