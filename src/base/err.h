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

#include <stdarg.h>
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
 * as the problem's detail for English requests; `detail_zh` is the same
 * sentence in zh-CN, formatted from the catalog (base/messages.h) — or the
 * English one when the catalog has no translation — and is what a zh-CN
 * request sees (titles are localized from `type`).  Both are cut on a UTF-8
 * character boundary when too long.  pa_err_t is copied by value; copy the
 * whole struct so both sentences travel together.
 */
typedef struct pa_err {
	int code;
	char type[48];
	char field[96];
	char detail[256];
	char detail_zh[512]; /* a CJK character is 3 bytes */
	int retry_after;  /* seconds, for 429/503; 0 = none */
} pa_err_t;

/*
 * Records the failure in `e` (which may be NULL) and returns `code`.  `fmt`
 * is an English printf format and the key of the zh-CN catalog: keep it a
 * string literal so scripts/messages-missing finds it (docs/i18n.md).
 */
int pa_fail(pa_err_t *e, int code, const char *type, const char *field,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * For a function that takes a format and forwards it here: both sentences
 * are `prefix` (verbatim, not translated; may be NULL) followed by fmt
 * formatted in English and in zh-CN.  Declare such a wrapper with
 * PA_FAIL_FMT(fmt_index, first_arg_index) so the compiler checks its
 * formats and scripts/messages-missing collects them as it does pa_fail's.
 */
int pa_vfail(pa_err_t *e, int code, const char *type, const char *field, const char *prefix,
             const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
#define PA_FAIL_FMT(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))

void pa_err_clear(pa_err_t *e);

/* Short English name of a code, for logs ("EINVAL"). */
const char *pa_strerror(int code);

#endif
