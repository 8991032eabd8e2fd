/*
 * export.h — case lists as CSV and XLSX, streamed (docs/exports.md).
 *
 * An export job walks the cases a principal may see with the inbox's
 * filters (or the ranked hits of a search), one page of EXPORT_PAGE rows at
 * a time on a reader connection, and writes each page out before reading
 * the next: memory holds one page and one output buffer whatever the number
 * of rows.  Without a search the walk follows the primary key (`by_id`
 * keyset), one pass over the table.
 *
 * CSV is UTF-8 with a byte-order mark (Excel opens it as UTF-8), CRLF line
 * ends, RFC 4180 quoting (a field holding a comma, quote, CR or LF is
 * quoted, quotes doubled), and a field that a spreadsheet would run as a
 * formula (starting with = + - @ tab or CR) is prefixed with a quote (').
 * XLSX is written by libxlsxwriter in its constant-memory mode (rows go to a
 * temporary file as they are written) to a file; at most
 * EXPORT_XLSX_MAX_ROWS rows (Excel's limit).
 *
 * Personal data: the petitioner's (first non-informant party's) name and
 * phone are masked (张*, 138****5678) unless the job was opened with
 * unmask, which only a principal holding one of the roles of the
 * export.unmask_roles setting (or the CLI operator) may ask — others get
 * PA_EFORBIDDEN naming "unmask".  An informant's identity is never exported.
 *
 * Every export is audited when it ends (export_close): who, the format, the
 * filter and query, whether unmasked, how many rows, and whether it ran to
 * the end (a client that went away leaves an incomplete record).
 */
#ifndef PA_EXPORT_H
#define PA_EXPORT_H

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"
#include "core/indicators.h"

#define EXPORT_PAGE 500                 /* cases read per page */
#define EXPORT_XLSX_MAX_ROWS 1048575    /* Excel's 1048576 rows less the header */

typedef enum export_format { EXPORT_CSV, EXPORT_XLSX } export_format_t;

typedef struct export_spec {
	export_format_t format;
	pa_case_filter_t filter;  /* the inbox's filters; visibility is set from the principal */
	const char *query;        /* a search query (core/search.h), or NULL */
	bool unmask;              /* personal data in clear: see above */
	const char *lang;         /* labels and headers: zh-CN (default) or en */
	bool count;               /* count the rows first (progress bars) */
} export_spec_t;

typedef struct export_job export_job_t;

/* Checks the spec (a bad query is PA_EINVAL naming "q"; unmask as above)
 * and opens a job.  p: a staff principal, or a system one (the CLI, which
 * sees every case; its audit actor is `actor`). */
int export_open(pa_app_t *app, const pa_principal_t *p, const char *actor,
                const export_spec_t *spec, export_job_t **out, pa_err_t *err);

/* CSV: copies up to max bytes of the file into buf; 0 at the end, < 0 on
 * a failure (the job's error says which). */
int64_t export_csv_read(export_job_t *j, char *buf, size_t max);

/* XLSX: writes the whole file to path. */
int export_xlsx_write(export_job_t *j, const char *path);

/* Rows written so far, and the total when the spec asked to count (else -1). */
void export_progress(const export_job_t *j, int64_t *rows, int64_t *total);
const pa_err_t *export_error(const export_job_t *j);
/* Audits the export (rows, complete or not) and frees the job.  NULL is fine. */
int export_close(export_job_t *j, bool complete);

/* ---- indicator tables ------------------------------------------------------------------------
 *
 * Every (group, indicator) of an indicators query (core/indicators.h) as one
 * row: the period, the group (its key and its name: the type's, category's,
 * unit's or street's label, or the month as YYYY-MM), the indicator's name,
 * label and kind, its numerator, denominator (empty for a plain count), value
 * (empty when the denominator is 0) and formula — exactly the numbers of
 * GET /api/v1/indicators for the same query and principal.  A table is a few
 * thousand rows at most (groups × indicators), so it is made whole: CSV into
 * *csv (BOM, header, CRLF, the same quoting and formula guard as case
 * exports), XLSX to xlsx_path (numbers as numbers).  progress, when not NULL,
 * is called after each row with the rows done and the total.  Audited as
 * `indicators.export` (format, query, rows, complete). */
typedef struct export_ind_spec {
	export_format_t format;
	const ind_query_t *query;
	const char *lang;             /* zh-CN (default) or en */
	strbuf_t *csv;                /* CSV: the file is appended here */
	const char *xlsx_path;        /* XLSX: written here */
	void (*progress)(void *ctx, int64_t done, int64_t total);
	void *progress_ctx;
} export_ind_spec_t;

int export_indicators(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *actor,
                      const export_ind_spec_t *spec, int64_t *rows, pa_err_t *err);

/* "cases-20261129.csv" — the file name offered for a download. */
const char *export_file_name(arena_t *a, export_format_t f, pa_time_t now, int utc_offset_min);
/* "indicators-20261129.xlsx". */
const char *export_indicators_file_name(arena_t *a, export_format_t f, pa_time_t now,
                                        int utc_offset_min);

#endif
