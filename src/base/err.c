#include "base/common.h"

#include <stdarg.h>
#include <stdio.h>

int pa_fail(pa_err_t *e, int code, const char *type, const char *field, const char *fmt, ...)
{
	if (!e)
		return code;
	e->code = code;
	snprintf(e->type, sizeof(e->type), "%s", type ? type : "");
	snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
	e->detail[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
		va_end(ap);
	}
	return code;
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
