/*
 * err.h — the one error convention.
 *
 * Every fallible function returns 0 on success or a negative PA_E* code and
 * hands results back through out-parameters.  When the caller passes a
 * pa_err_t, the failing function also records which input field was at fault
 * and a stable problem slug; the HTTP edge (http/problem.c) is the only place
 * that turns codes into status codes, in one table.  Allocation failure never
 * returns: xmalloc() aborts (see xalloc.h).
 */
#ifndef PA_ERR_H
#define PA_ERR_H

#include <stddef.h>

enum pa_errcode {
	PA_OK = 0,
	PA_EINVAL = -1,       /* bad input: 400, names a field */
	PA_ENOTFOUND = -2,    /* 404 (also: exists but not visible to you) */
	PA_EFORBIDDEN = -3,   /* 403: authenticated but not allowed */
	PA_ECONFLICT = -4,    /* 409: wrong state, duplicate, window closed */
	PA_EUNAUTH = -5,      /* 401: no or bad credentials */
	PA_ETOOLARGE = -6,    /* 413 */
	PA_EMEDIATYPE = -7,   /* 415 */
	PA_ERATE = -8,        /* 429 */
	PA_EUNAVAIL = -9,     /* 503: database locked/lost, disk full, shutting down */
	PA_EIO = -10,         /* 500-class I/O failure */
	PA_EINTERNAL = -11,   /* 500: a bug */
	PA_ECSRF = -12,       /* 403 with its own type */
	PA_ELOCKED = -13,     /* 429: account locked after failed logins */
	PA_EMETHOD = -14,     /* 405 */
	PA_EUNPROCESSABLE = -15, /* 422: well-formed but semantically refused */
};

/*
 * Details of a failure.  `type` is a stable slug that becomes the problem
 * document's type URI (e.g. "validation", "invalid-state", "window-closed");
 * `field` is a JSON path-ish name of the input at fault ("contact.phone"),
 * empty when none; `detail` is a human sentence in English used in logs and
 * as the problem's detail (titles are localized from `type`).
 */
typedef struct pa_err {
	int code;
	char type[48];
	char field[96];
	char detail[256];
	int retry_after;  /* seconds, for 429/503; 0 = none */
} pa_err_t;

/* Records the failure in `e` (which may be NULL) and returns `code`. */
int pa_fail(pa_err_t *e, int code, const char *type, const char *field,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void pa_err_clear(pa_err_t *e);

/* Short English name of a code, for logs ("EINVAL"). */
const char *pa_strerror(int code);

#endif
