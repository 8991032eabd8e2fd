/*
 * documents.c — written documents (文书) over HTTP: a case's documents for
 * staff (list, PDF, regenerate), the day's batch print of a unit, and the
 * documents addressed to the public, with the query code.  The rules live
 * in core/docgen.c; a document is visible to whoever may see its case, and
 * to the public only when it is addressed to them and issued.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/attach.h"
#include "core/docgen.h"
#include "core/docs.h"

#define DOCS_DATE_MAX 10 /* YYYY-MM-DD */

static json_t *document_json(http_req_t *req, const pa_document_t *d, const char *base,
                             bool public_view)
{
	pa_app_t *app = api_app(req);
	bool done = streq(d->status, "done");
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(d->id));
	json_object_set_new(j, "kind", json_string(d->kind));
	const char *title = d->kind;
	if (app->docs) {
		const doc_template_t *t = docs_find(app->docs, d->kind, d->locale, NULL);
		if (t)
			title = doc_template_title(t);
	}
	json_object_set_new(j, "title", json_string(title));
	json_object_set_new(j, "locale", json_string(d->locale));
	json_object_set_new(j, "version", json_integer(d->version));
	json_object_set_new(j, "status", json_string(d->status));
	json_object_set_new(j, "number", d->number && done ? json_string(d->number) : json_null());
	json_object_set_new(j, "sha256", done ? json_string(d->sha256) : json_null());
	json_object_set_new(j, "size", done ? json_integer(d->size) : json_null());
	json_object_set_new(j, "pages", done ? json_integer(d->pages) : json_null());
	json_object_set_new(j, "issued_at", done ? api_time(app, d->issued_at) : json_null());
	json_object_set_new(j, "public", json_boolean(d->public));
	json_object_set_new(j, "pdf_path", done ? json_string(arena_printf(req->arena, "%s/%lld/pdf", base,
	                                                                   (long long)d->id))
	                                        : json_null());
	if (!public_view) {
		json_object_set_new(j, "supersedes", d->supersedes ? json_integer(d->supersedes) : json_null());
		json_object_set_new(j, "event_id", d->event_id ? json_integer(d->event_id) : json_null());
		json_object_set_new(j, "created_at", api_time(app, d->created_at));
		json_object_set_new(j, "attempts", json_integer(d->attempts));
		json_object_set_new(j, "error", d->last_error ? json_string(d->last_error) : json_null());
	}
	return j;
}

static int load_staff_case(http_req_t *req, pa_case_t *cs)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such case");
	return cases_get(api_app(req), req->arena, api_principal(req), id, false, cs, &req->err);
}

/* The document params[param] of case cs (or, when cs is NULL, of any case;
 * *case_id gets its case). */
static int load_document(http_req_t *req, size_t param, const pa_case_t *cs, pa_document_t *d)
{
	int64_t id;
	int rc = http_param_id(req, param, &id);
	if (rc == 0)
		rc = store_document_get(store_reader(api_app(req)->store), req->arena, id, d);
	if (rc == 0 && cs && d->case_id != cs->id)
		rc = PA_ENOTFOUND;
	if (rc == PA_ENOTFOUND)
		return pa_fail(&req->err, rc, "not-found", NULL, "no such document");
	if (rc < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the document");
	return 0;
}

/* Staff: the document params[0] and its case, if the principal may see it. */
static int load_staff_document(http_req_t *req, pa_document_t *d, pa_case_t *cs)
{
	int rc = load_document(req, 0, NULL, d);
	if (rc == 0 &&
	    cases_get(api_app(req), req->arena, api_principal(req), d->case_id, false, cs, &req->err) < 0)
		rc = pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such document");
	return rc;
}

static int send_pdf(http_req_t *req, http_resp_t *resp, const pa_document_t *d)
{
	if (!streq(d->status, "done")) {
		req->err.retry_after = 2;
		return pa_fail(&req->err, PA_ECONFLICT, "invalid-state", NULL,
		               "the document is %s; try again shortly", d->status);
	}
	int fd;
	int64_t size;
	int rc = attach_open(api_app(req)->cfg->attachments_dir, d->sha256, &fd, &size);
	if (rc < 0)
		return pa_fail(&req->err, rc == PA_ENOTFOUND ? PA_EIO : rc, "internal", NULL,
		               "the document's file is missing");
	resp->status = 200;
	resp->fd = fd;
	resp->fd_size = size;
	resp->content_type = "application/pdf";
	/* ASCII file name: <kind>-<id>-v<version>.pdf (the number has CJK brackets) */
	http_resp_header(resp, "Content-Disposition",
	                 arena_printf(req->arena, "attachment; filename=\"%s-%lld-v%d.pdf\"", d->kind,
	                              (long long)d->id, d->version));
	http_resp_header(resp, "Content-Security-Policy", "default-src 'none'; sandbox");
	http_resp_header(resp, "X-Content-SHA256", d->sha256);
	return 0;
}

int h_case_documents_list(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_staff_case(req, &cs);
	if (rc < 0)
		return rc;
	pa_document_t *ds = NULL;
	size_t n = 0;
	if ((rc = store_documents_list(store_reader(api_app(req)->store), req->arena, cs.id, &ds, &n)) < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the documents");
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, document_json(req, &ds[i], "/api/v1/documents", false));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

int h_case_document_pdf(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	pa_document_t d;
	int rc = load_staff_document(req, &d, &cs);
	return rc < 0 ? rc : send_pdf(req, resp, &d);
}

int h_case_document_regenerate(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	pa_document_t old;
	int rc = load_staff_document(req, &old, &cs);
	if (rc < 0)
		return rc;
	json_t *body = NULL;
	const char *locale = NULL;
	if (req->body_len) {
		static const char *const allowed[] = { "locale", NULL };
		if ((rc = http_json_body(req, &body)) < 0)
			return rc;
		if ((rc = api_only_members(req, body, allowed, NULL)) < 0 ||
		    (rc = api_get_string(req, body, "locale", false, &locale)) < 0) {
			json_decref(body);
			return rc;
		}
	}
	pa_document_t d;
	rc = docgen_regenerate(api_app(req), req->arena, api_principal(req), &cs, old.id, locale, &d,
	                       &req->err);
	json_decref(body);
	if (rc < 0)
		return rc;
	http_resp_header(resp, "Location",
	                 arena_printf(req->arena, "/api/v1/cases/%lld/documents", (long long)cs.id));
	http_resp_json(resp, 202, document_json(req, &d, "/api/v1/documents", false));
	return 0;
}

int h_documents_batch(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	pa_principal_t *p = api_principal(req);
	int64_t unit;
	int rc = api_query_int(req, "unit", 0, 1, INT64_MAX, &unit);
	if (rc < 0)
		return rc;
	if (!unit)
		return pa_fail(&req->err, PA_EINVAL, "validation", "unit", "unit is required");
	const char *date = http_query(req, "date");
	pa_time_t from;
	if (!date || strlen(date) != DOCS_DATE_MAX ||
	    pa_time_parse(date, app->cfg->utc_offset_min, &from) < 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", "date", "date must be YYYY-MM-DD");
	static const char *const roles[] = { "intake", "handler", "mediator", "supervisor", "leader" };
	bool member = false;
	for (size_t i = 0; i < ARRAY_SIZE(roles); i++)
		member = member || authz_has_role_in(p, roles[i], unit);
	if (!member)
		return pa_fail(&req->err, PA_EFORBIDDEN, "forbidden", "unit",
		               "only staff of the unit may print its documents");
	strbuf_t pdf = STRBUF_INIT;
	int ndocs = 0, pages = 0;
	rc = docgen_batch_print(app, req->arena, p, unit, from, from + 86400, &pdf, &ndocs, &pages,
	                        &req->err);
	if (rc == 0) {
		http_resp_text(resp, 200, "application/pdf", pdf.buf, pdf.len);
		http_resp_header(resp, "Content-Disposition",
		                 arena_printf(req->arena, "attachment; filename=\"documents-%lld-%s.pdf\"",
		                              (long long)unit, date));
		http_resp_header(resp, "X-Documents", arena_printf(req->arena, "%d", ndocs));
		http_resp_header(resp, "X-Pages", arena_printf(req->arena, "%d", pages));
	}
	strbuf_release(&pdf);
	return rc;
}

static int load_public_case(http_req_t *req, pa_case_t *cs)
{
	return cases_get_public(api_app(req), req->arena, req->params[0], http_query(req, "code"),
	                        req->client_ip, cs, &req->err);
}

int h_public_documents_list(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_public_case(req, &cs);
	if (rc < 0)
		return rc;
	pa_document_t *ds = NULL;
	size_t n = 0;
	if ((rc = store_documents_list(store_reader(api_app(req)->store), req->arena, cs.id, &ds, &n)) < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the documents");
	const char *base = arena_printf(req->arena, "/api/public/cases/%s/documents", cs.number);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		if (ds[i].public && streq(ds[i].status, "done"))
			json_array_append_new(items, document_json(req, &ds[i], base, true));
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

int h_public_document_pdf(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	pa_document_t d;
	int rc = load_public_case(req, &cs);
	if (rc == 0)
		rc = load_document(req, 1, &cs, &d);
	if (rc == 0 && (!d.public || !streq(d.status, "done")))
		rc = pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such document on this case");
	return rc < 0 ? rc : send_pdf(req, resp, &d);
}
