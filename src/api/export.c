/*
 * export.c — GET /api/v1/exports/cases: the inbox's (or a search's) cases as
 * CSV or XLSX (docs/exports.md; the job is core/export.c).
 *
 * CSV is streamed: the handler opens the job and returns; libmicrohttpd
 * then pulls the body chunk by chunk (http_resp_t.stream) on the
 * connection's worker thread, and the job is closed — audited — when the
 * last chunk went out or the client went away.  XLSX cannot be streamed (a
 * zip's directory comes last): it is written to an unlinked temporary file
 * under the data directory in libxlsxwriter's constant-memory mode, then
 * sent from that file.
 *
 * GET /api/v1/exports/indicators: the indicator table of the query the
 * indicator routes take (api_indicator_query), as CSV or XLSX — a few
 * thousand rows at most, so made whole and sent as one body or file.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static int64_t csv_chunk(void *ctx, char *buf, size_t max)
{
	return export_csv_read(ctx, buf, max);
}

static void csv_end(void *ctx)
{
	export_close(ctx, true);
}

static void disposition(http_req_t *req, http_resp_t *resp, export_format_t f)
{
	pa_app_t *app = api_app(req);
	const char *name = export_file_name(req->arena, f, pa_now(), app->cfg->utc_offset_min);
	http_resp_header(resp, "Content-Disposition",
	                 arena_printf(req->arena, "attachment; filename=\"%s\"", name));
}

static int send_xlsx(http_req_t *req, http_resp_t *resp, export_job_t *j)
{
	pa_app_t *app = api_app(req);
	char *path = arena_printf(req->arena, "%s/.export-XXXXXX", app->cfg->data_dir);
	int tmp = mkstemp(path);
	if (tmp < 0) {
		export_close(j, false);
		return pa_fail(&req->err, PA_EIO, "internal", NULL, "cannot create a temporary file: %s",
		               strerror(errno));
	}
	close(tmp);
	int rc = export_xlsx_write(j, path);
	if (rc < 0) {
		req->err = *export_error(j);
		unlink(path);
		export_close(j, false);
		return rc;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	export_close(j, true);
	if (fd < 0)
		return pa_fail(&req->err, PA_EIO, "internal", NULL, "cannot read the workbook back");
	resp->status = 200;
	resp->fd = fd;
	resp->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	disposition(req, resp, EXPORT_XLSX);
	return 0;
}

int h_export_cases(http_req_t *req, http_resp_t *resp)
{
	export_spec_t spec = { .lang = req->lang };
	int rc = api_case_filter(req, &spec.filter);
	if (rc < 0)
		return rc;
	const char *format = http_query(req, "format");
	if (!format || !*format || streq(format, "csv"))
		spec.format = EXPORT_CSV;
	else if (streq(format, "xlsx"))
		spec.format = EXPORT_XLSX;
	else
		return pa_fail(&req->err, PA_EINVAL, "validation", "format", "format must be csv or xlsx");
	const char *q = http_query(req, "q");
	spec.query = q && *q ? q : NULL;
	const char *unmask = http_query(req, "unmask");
	if (unmask && *unmask) {
		if (streq(unmask, "true") || streq(unmask, "1"))
			spec.unmask = true;
		else if (!streq(unmask, "false") && !streq(unmask, "0"))
			return pa_fail(&req->err, PA_EINVAL, "validation", "unmask", "unmask must be true or false");
	}
	export_job_t *j;
	if ((rc = export_open(api_app(req), api_principal(req), NULL, &spec, &j, &req->err)) < 0)
		return rc;
	if (spec.format == EXPORT_XLSX)
		return send_xlsx(req, resp, j);
	resp->status = 200;
	resp->content_type = "text/csv; charset=utf-8";
	disposition(req, resp, EXPORT_CSV);
	resp->stream = csv_chunk;
	resp->stream_free = csv_end;
	resp->stream_ctx = j;
	return 0;
}

int h_export_indicators(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	ind_query_t q;
	pa_campaign_t cp;
	bool has_cp;
	int rc = api_indicator_query(req, &q, &cp, &has_cp);
	if (rc < 0)
		return rc;
	export_ind_spec_t spec = { .query = &q, .lang = req->lang };
	const char *format = http_query(req, "format");
	if (!format || !*format || streq(format, "csv"))
		spec.format = EXPORT_CSV;
	else if (streq(format, "xlsx"))
		spec.format = EXPORT_XLSX;
	else
		return pa_fail(&req->err, PA_EINVAL, "validation", "format", "format must be csv or xlsx");
	int64_t rows;
	const char *name = export_indicators_file_name(req->arena, spec.format, pa_now(),
	                                               app->cfg->utc_offset_min);
	if (spec.format == EXPORT_CSV) {
		spec.csv = &resp->body;
		if ((rc = export_indicators(app, req->arena, api_principal(req), NULL, &spec, &rows,
		                            &req->err)) < 0) {
			strbuf_reset(&resp->body);
			return rc;
		}
		resp->status = 200;
		resp->content_type = "text/csv; charset=utf-8";
	} else {
		char *path = arena_printf(req->arena, "%s/.export-XXXXXX", app->cfg->data_dir);
		int tmp = mkstemp(path);
		if (tmp < 0)
			return pa_fail(&req->err, PA_EIO, "internal", NULL,
			               "cannot create a temporary file: %s", strerror(errno));
		close(tmp);
		spec.xlsx_path = path;
		rc = export_indicators(app, req->arena, api_principal(req), NULL, &spec, &rows, &req->err);
		int fd = rc == 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		unlink(path);
		if (rc < 0)
			return rc;
		if (fd < 0)
			return pa_fail(&req->err, PA_EIO, "internal", NULL, "cannot read the workbook back");
		resp->status = 200;
		resp->fd = fd;
		resp->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	}
	http_resp_header(resp, "Content-Disposition",
	                 arena_printf(req->arena, "attachment; filename=\"%s\"", name));
	return 0;
}
