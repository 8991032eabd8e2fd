/*
 * cases.c — staff case endpoints: inbox, register, detail, timeline,
 * actions, comments, reveal, attachments.  Shared with public.c:
 * api_case_request() reads a case submission as JSON or as multipart
 * (a "case" part holding the JSON, plus "files" parts).
 */
#include "base/common.h"
#include "api/api.h"
#include "base/jsonw.h"
#include "core/attach.h"

#include <stdio.h>
#include <stdlib.h>

int api_case_request(http_req_t *req, json_t **body, case_file_t **files, size_t *nfiles)
{
	*files = NULL;
	*nfiles = 0;
	if (!streq(req->content_type, "multipart/form-data"))
		return http_json_body(req, body);
	http_part_t *parts = NULL;
	size_t n = 0;
	int rc = http_multipart_parse(req->arena, req->content_type_raw, req->body, req->body_len, &parts,
	                              &n, &req->err);
	if (rc < 0)
		return rc;
	const http_part_t *cp = NULL;
	for (size_t i = 0; i < n; i++)
		if (streq(parts[i].name, "case") && !parts[i].filename)
			cp = &parts[i];
	if (!cp)
		return pa_fail(&req->err, PA_EINVAL, "validation", "case",
		               "a multipart submission needs a 'case' part holding the JSON");
	json_error_t jerr;
	*body = json_loadb(cp->data, cp->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(*body)) {
		json_decref(*body);
		*body = NULL;
		return pa_fail(&req->err, PA_EINVAL, "bad-json", "case", "the 'case' part is not a JSON object: %s",
		               jerr.text);
	}
	if ((rc = api_collect_files(req, parts, n, files, nfiles)) < 0) {
		json_decref(*body);
		*body = NULL;
	}
	return rc;
}

/* Reads the members of a case submission into `in` (strings point into body). */
/* location: { lat, lng, address } — lat and lng together or not at all. */
static int location_input(http_req_t *req, json_t *loc, case_input_t *in)
{
	static const char *const members[] = { "lat", "lng", "address", NULL };
	if (!loc || json_is_null(loc))
		return 0;
	if (!json_is_object(loc))
		return pa_fail(&req->err, PA_EINVAL, "validation", "location",
		               "location must be an object {lat, lng, address}");
	int rc = api_only_members(req, loc, members, "location");
	if (rc < 0)
		return rc;
	json_t *lat = json_object_get(loc, "lat"), *lng = json_object_get(loc, "lng");
	json_t *addr = json_object_get(loc, "address");
	bool has_lat = lat && !json_is_null(lat), has_lng = lng && !json_is_null(lng);
	if (has_lat != has_lng)
		return pa_fail(&req->err, PA_EINVAL, "validation", has_lat ? "location.lng" : "location.lat",
		               "a map point needs both lat and lng");
	if (has_lat) {
		if (!json_is_number(lat))
			return pa_fail(&req->err, PA_EINVAL, "validation", "location.lat",
			               "location.lat must be a number");
		if (!json_is_number(lng))
			return pa_fail(&req->err, PA_EINVAL, "validation", "location.lng",
			               "location.lng must be a number");
		in->has_point = true;
		in->lat = json_number_value(lat);
		in->lng = json_number_value(lng);
	}
	if (addr && !json_is_null(addr)) {
		if (!json_is_string(addr))
			return pa_fail(&req->err, PA_EINVAL, "validation", "location.address",
			               "location.address must be a string");
		in->address = json_string_value(addr);
	}
	return 0;
}

int api_case_input(http_req_t *req, json_t *body, bool staff, case_input_t *in)
{
	static const char *const allowed_public[] = { "type", "category", "title", "body", "contact",
		                                          "accused_org_id", "location", NULL };
	static const char *const allowed_staff[] = { "type", "category", "title", "body", "contact",
		                                         "accused_org_id", "channel", "location",
		                                         "enterprise_related", NULL };
	static const char *const contact_members[] = { "name", "phone", "id_number", "address", "email",
		                                           NULL };
	int rc;
	if ((rc = api_only_members(req, body, staff ? allowed_staff : allowed_public, NULL)) < 0 ||
	    (rc = api_get_string(req, body, "type", true, &in->type)) < 0 ||
	    (rc = api_get_string(req, body, "category", true, &in->category)) < 0 ||
	    (rc = api_get_string(req, body, "title", true, &in->title)) < 0 ||
	    (rc = api_get_string(req, body, "body", true, &in->body)) < 0 ||
	    (staff && (rc = api_get_string(req, body, "channel", false, &in->channel)) < 0))
		return rc;
	json_t *ent = staff ? json_object_get(body, "enterprise_related") : NULL;
	if (ent && !json_is_null(ent)) {
		if (!json_is_boolean(ent))
			return pa_fail(&req->err, PA_EINVAL, "validation", "enterprise_related",
			               "enterprise_related must be true or false");
		in->enterprise_related = json_is_true(ent);
	}
	json_t *acc = json_object_get(body, "accused_org_id");
	if (acc && !json_is_null(acc)) {
		if (!json_is_integer(acc) || json_integer_value(acc) <= 0)
			return pa_fail(&req->err, PA_EINVAL, "validation", "accused_org_id",
			               "accused_org_id must be a positive integer");
		in->accused_org_id = json_integer_value(acc);
	}
	if ((rc = location_input(req, json_object_get(body, "location"), in)) < 0)
		return rc;
	json_t *c = json_object_get(body, "contact");
	if (c && !json_is_null(c)) {
		if (!json_is_object(c))
			return pa_fail(&req->err, PA_EINVAL, "validation", "contact", "contact must be an object");
		if ((rc = api_only_members(req, c, contact_members, "contact")) < 0)
			return rc;
		const char *keys[] = { "name", "phone", "id_number", "address", "email" };
		const char **dst[] = { &in->contact.name, &in->contact.phone, &in->contact.id_number,
			                   &in->contact.address, &in->contact.email };
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			json_t *v = json_object_get(c, keys[i]);
			if (v && !json_is_null(v) && !json_is_string(v))
				return pa_fail(&req->err, PA_EINVAL, "validation",
				               arena_printf(req->arena, "contact.%s", keys[i]), "contact.%s must be a string",
				               keys[i]);
			*dst[i] = json_string_value(v);
		}
		in->has_contact = true;
		/* the public is notified in the language it wrote in; staff register for others */
		if (!staff)
			in->lang = req->lang;
	}
	return 0;
}

static json_t *attachments_json(http_req_t *req, pa_id_t case_id)
{
	pa_attachment_t *ats = NULL;
	size_t n = 0;
	json_t *arr = json_array();
	if (store_attachments_list(store_reader(api_app(req)->store), req->arena, case_id, &ats, &n) == 0)
		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, api_attachment_json(&ats[i]));
	return arr;
}

int h_cases_create(http_req_t *req, http_resp_t *resp)
{
	json_t *body = NULL;
	case_input_t in = { 0 };
	int rc = api_case_request(req, &body, &in.files, &in.nfiles);
	if (rc < 0)
		return rc;
	pa_principal_t *p = api_principal(req);
	if ((rc = api_case_input(req, body, true, &in)) == 0) {
		if (!in.channel)
			in.channel = "visit";
		pa_case_t cs;
		char code[PA_QUERY_CODE_LEN + 1];
		rc = cases_create(api_app(req), req->arena, p, &in, &cs, code, &req->err);
		if (rc == 0) {
			json_t *j = api_case_json(req, p->tree, &cs);
			json_object_set_new(j, "query_code", json_string(code));
			json_object_set_new(j, "attachments", attachments_json(req, cs.id));
			http_resp_header(resp, "Location", arena_printf(req->arena, "/api/v1/cases/%lld",
			                                                (long long)cs.id));
			http_resp_json(resp, 201, j);
		}
	}
	json_decref(body);
	return rc;
}

static int parse_bool(http_req_t *req, const char *key, int *out)
{
	const char *v = http_query(req, key);
	if (!v || !*v || streq(v, "any"))
		return 0;
	if (streq(v, "true") || streq(v, "1"))
		*out = 1;
	else if (streq(v, "false") || streq(v, "0"))
		*out = 0;
	else
		return pa_fail(&req->err, PA_EINVAL, "validation", key, "%s must be true, false or any", key);
	return 0;
}

int api_case_filter(http_req_t *req, pa_case_filter_t *f)
{
	pa_app_t *app = api_app(req);
	*f = (pa_case_filter_t){ .overdue = -1, .open = 1 };
	int64_t limit, org, assignee;
	int rc;
	if ((rc = api_query_int(req, "limit", API_DEFAULT_LIMIT, 1, STORE_LIST_MAX, &limit)) < 0 ||
	    (rc = api_query_int(req, "owner_org", 0, 0, INT64_MAX, &org)) < 0 ||
	    (rc = api_query_int(req, "assignee", 0, 0, INT64_MAX, &assignee)) < 0 ||
	    (rc = parse_bool(req, "overdue", &f->overdue)) < 0)
		return rc;
	const char *open = http_query(req, "open");
	if (open && streq(open, "any"))
		f->open = -1;
	else if ((rc = parse_bool(req, "open", &f->open)) < 0)
		return rc;
	f->limit = (int)limit;
	f->owner_org_id = org;
	f->assignee_id = assignee;
	f->type = http_query(req, "type");
	f->state = http_query(req, "state");
	if (f->type && !*f->type)
		f->type = NULL;
	if (f->state && !*f->state)
		f->state = NULL;
	if (f->type && !wf_registry_find(app->wf, f->type))
		return pa_fail(&req->err, PA_EINVAL, "validation", "type", "unknown case type '%s'", f->type);
	const char *due_before = http_query(req, "due_before");
	if (due_before && *due_before &&
	    pa_time_parse(due_before, app->cfg->utc_offset_min, &f->due_before) < 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", "due_before",
		               "due_before must be a date (YYYY-MM-DD) or an ISO 8601 time");
	/* due_soon=true: what the case JSON marks due_soon — due from now to
	 * DUE_SOON_SECONDS ahead (the inbox's "due soon" view) */
	int due_soon = -1;
	if ((rc = parse_bool(req, "due_soon", &due_soon)) < 0)
		return rc;
	if (due_soon == 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", "due_soon", "due_soon must be true or any");
	if (due_soon == 1) {
		pa_time_t now = pa_now();
		f->due_after = now;
		if (!f->due_before || f->due_before > now + DUE_SOON_SECONDS)
			f->due_before = now + DUE_SOON_SECONDS;
	}
	return 0;
}

int h_cases_list(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	pa_principal_t *p = api_principal(req);
	pa_case_filter_t f;
	int rc = api_case_filter(req, &f);
	if (rc < 0)
		return rc;
	const char *cursor = http_query(req, "cursor");
	if (cursor && *cursor) {
		long long d, id;
		char tail;
		if (sscanf(cursor, "%lld.%lld%c", &d, &id, &tail) != 2 || id <= 0)
			return pa_fail(&req->err, PA_EINVAL, "validation", "cursor", "cursor is not one this server gave");
		f.has_cursor = true;
		f.after_due = d;
		f.after_id = id;
	}
	pa_case_t *cs = NULL;
	size_t n = 0;
	bool more = false;
	if ((rc = cases_list(app, req->arena, p, &f, &cs, &n, &more, &req->err)) < 0)
		return rc;
	strbuf_t *sb = &resp->body;
	strbuf_grow(sb, n * 900 + 64);
	strbuf_adds(sb, "{\"items\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		api_case_write(sb, req, p->tree, &cs[i], false);
	}
	if (more && n)
		strbuf_addf(sb, "],\"next_cursor\":\"%lld.%lld\"}", (long long)cs[n - 1].due_at,
		            (long long)cs[n - 1].id);
	else
		strbuf_adds(sb, "],\"next_cursor\":null}");
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
	return 0;
}

static int load_case(http_req_t *req, bool audit_view, pa_case_t *cs)
{
	int64_t id;
	if (http_param_id(req, 0, &id) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such case");
	return cases_get(api_app(req), req->arena, api_principal(req), id, audit_view, cs, &req->err);
}

static json_t *parties_json(const party_clear_t *ps, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:b}", "id",
		                                     (json_int_t)ps[i].id, "role", ps[i].role, "name", ps[i].name,
		                                     "phone", ps[i].phone, "id_number", ps[i].id_number,
		                                     "address", ps[i].address, "email", ps[i].email, "sealed",
		                                     ps[i].sealed));
	return arr;
}

/* ,"key":value — v written by strbuf_add_json and released; null if it cannot be. */
static void add_member(strbuf_t *sb, const char *key, json_t *v)
{
	strbuf_adds(sb, ",\"");
	strbuf_adds(sb, key);
	strbuf_adds(sb, "\":");
	if (strbuf_add_json(sb, v) < 0) {
		log_error("api: case detail member %s is not JSON", key);
		strbuf_adds(sb, "null");
	}
	json_decref(v);
}

/*
 * The staff case detail: the case as api_case_write writes it (no jansson
 * tree, no parse back), its closing brace taken off, then the members built
 * with jansson appended in the order they always had.  None of them is a
 * member the case writer writes, so the document is the one the jansson
 * tree gave (members, order and values).
 */
int h_case_get(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, true, &cs);
	if (rc < 0)
		return rc;
	pa_app_t *app = api_app(req);
	pa_principal_t *p = api_principal(req);
	party_clear_t *ps = NULL;
	size_t np = 0;
	if ((rc = cases_parties(app, req->arena, p, &cs, false, 0, &ps, &np, &req->err)) < 0)
		return rc;
	strbuf_t *sb = &resp->body;
	strbuf_reset(sb);
	strbuf_grow(sb, 8192);
	api_case_write(sb, req, p->tree, &cs, true);
	strbuf_setlen(sb, sb->len - 1); /* the case's '}': its other members follow */
	add_member(sb, "parties", parties_json(ps, np));
	const wf_transition_t **acts = NULL;
	size_t na = cases_allowed_actions(app, req->arena, p, &cs, &acts);
	json_t *actions = json_array();
	for (size_t i = 0; i < na; i++)
		json_array_append_new(actions, api_action_json(req, &cs, acts[i]));
	add_member(sb, "actions", actions);
	add_member(sb, "attachments", attachments_json(req, cs.id));
	pa_rating_t *rs = NULL;
	size_t nr = 0;
	json_t *ratings = json_array();
	if (store_ratings_list(store_reader(app->store), req->arena, cs.id, &rs, &nr) == 0)
		for (size_t i = 0; i < nr; i++)
			json_array_append_new(ratings, json_pack("{s:s, s:s, s:s, s:s?, s:o}", "stage", rs[i].stage,
			                                         "level", rs[i].level, "level_label",
			                                         rating_level_label(rs[i].level, req->lang), "comment",
			                                         rs[i].comment, "at", api_time(app, rs[i].at)));
	add_member(sb, "ratings", ratings);
	add_member(sb, "supervision", api_case_supervision_json(req, p->tree, &cs));
	add_member(sb, "links", api_case_links_json(req, &cs));
	json_t *more = json_object();
	api_case_records_into(req, more, &cs);
	const char *key;
	json_t *v;
	json_object_foreach(more, key, v)
		add_member(sb, key, json_incref(v));
	json_decref(more);
	strbuf_addch(sb, '}');
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
	return 0;
}

int h_case_events(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, false, &cs);
	if (rc < 0)
		return rc;
	int64_t after, limit;
	if ((rc = api_query_int(req, "after", 0, 0, INT64_MAX, &after)) < 0 ||
	    (rc = api_query_int(req, "limit", 50, 1, STORE_LIST_MAX, &limit)) < 0)
		return rc;
	pa_event_t *evs = NULL;
	size_t n = 0;
	int fetch = limit < STORE_LIST_MAX ? (int)limit + 1 : (int)limit;
	if ((rc = store_events_list(store_reader(api_app(req)->store), req->arena, cs.id, after, fetch,
	                            false, &evs, &n)) < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the timeline");
	bool more = n > (size_t)limit || (fetch == limit && n == (size_t)limit);
	if (n > (size_t)limit)
		n = (size_t)limit;
	const wf_def_t *def = wf_registry_find(api_app(req)->wf, cs.type);
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, api_event_json(req, def, &evs[i], false));
	json_t *j = json_pack("{s:o}", "items", items);
	json_object_set_new(j, "next_after", more && n ? json_integer(evs[n - 1].id) : json_null());
	http_resp_json(resp, 200, j);
	return 0;
}

int h_case_action(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, false, &cs);
	if (rc < 0)
		return rc;
	json_t *body = NULL;
	if (req->body_len) {
		if ((rc = http_json_body(req, &body)) < 0)
			return rc;
	} else {
		body = json_object();
	}
	static const char *const allowed[] = { "fields", "version", NULL };
	json_t *fields = json_object_get(body, "fields");
	json_t *version = json_object_get(body, "version");
	if ((rc = api_only_members(req, body, allowed, NULL)) < 0)
		goto out;
	if (fields && !json_is_object(fields)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "fields", "fields must be an object");
		goto out;
	}
	if (version && (!json_is_integer(version) || json_integer_value(version) < 1 ||
	                json_integer_value(version) > INT32_MAX)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "version", "version must be a positive integer");
		goto out;
	}
	pa_case_t out;
	pa_principal_t *p = api_principal(req);
	rc = cases_transition(api_app(req), req->arena, p, &cs, req->params[1], fields,
	                      version ? (int)json_integer_value(version) : 0, &out, &req->err);
	if (rc == 0) {
		/* a step that needs approval was only proposed: 202, pending_approval set */
		json_t *j = api_case_json(req, p->tree, &out);
		api_case_records_into(req, j, &out);
		bool proposed = json_is_object(json_object_get(j, "pending_approval"));
		http_resp_json(resp, proposed ? 202 : 200, j);
	}
out:
	json_decref(body);
	return rc;
}

int h_case_comment(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, false, &cs);
	if (rc < 0)
		return rc;
	json_t *body;
	if ((rc = http_json_body(req, &body)) < 0)
		return rc;
	static const char *const allowed[] = { "text", NULL };
	const char *text;
	pa_id_t id = 0;
	if ((rc = api_only_members(req, body, allowed, NULL)) == 0 &&
	    (rc = api_get_string(req, body, "text", true, &text)) == 0 &&
	    (rc = cases_comment(api_app(req), req->arena, api_principal(req), &cs, text, &id, &req->err)) == 0)
		http_resp_json(resp, 201, json_pack("{s:I}", "id", (json_int_t)id));
	json_decref(body);
	return rc;
}

int h_case_reveal(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, false, &cs);
	if (rc < 0)
		return rc;
	int64_t party;
	if (http_param_id(req, 1, &party) < 0)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such party");
	party_clear_t *ps;
	size_t n;
	if ((rc = cases_parties(api_app(req), req->arena, api_principal(req), &cs, true, party, &ps, &n,
	                        &req->err)) < 0)
		return rc;
	json_t *arr = parties_json(ps, n);
	json_t *one = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	http_resp_json(resp, 200, one);
	return 0;
}

int h_case_attach(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, false, &cs);
	if (rc < 0)
		return rc;
	if (!streq(req->content_type, "multipart/form-data"))
		return pa_fail(&req->err, PA_EMEDIATYPE, "unsupported-media-type", NULL,
		               "attachments are sent as multipart/form-data");
	http_part_t *parts;
	size_t n;
	if ((rc = http_multipart_parse(req->arena, req->content_type_raw, req->body, req->body_len, &parts,
	                               &n, &req->err)) < 0)
		return rc;
	case_file_t *files;
	size_t nf;
	if ((rc = api_collect_files(req, parts, n, &files, &nf)) < 0)
		return rc;
	pa_attachment_t *ats;
	if ((rc = cases_attach(api_app(req), req->arena, api_principal(req), &cs, files, nf, &ats,
	                       &req->err)) < 0)
		return rc;
	json_t *arr = json_array();
	for (size_t i = 0; i < nf; i++)
		json_array_append_new(arr, api_attachment_json(&ats[i]));
	http_resp_json(resp, 201, json_pack("{s:o}", "items", arr));
	return 0;
}

int api_send_attachment(http_req_t *req, http_resp_t *resp, const pa_case_t *cs, const char *sha,
                        bool public_only)
{
	pa_app_t *app = api_app(req);
	pa_attachment_t at;
	int rc = store_attachment_get(store_reader(app->store), req->arena, cs->id, sha, &at);
	if (rc < 0 || (public_only && !at.public))
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no such attachment");
	int fd;
	int64_t size;
	if ((rc = attach_open(app->cfg->attachments_dir, at.sha256, &fd, &size)) < 0)
		return pa_fail(&req->err, rc == PA_ENOTFOUND ? PA_EIO : rc, "internal", NULL,
		               "the attachment's file is missing");
	resp->status = 200;
	resp->fd = fd;
	resp->fd_size = size;
	resp->content_type = at.mime;
	strbuf_t cd = STRBUF_INIT;
	strbuf_adds(&cd, "attachment; filename=\"attachment\"; filename*=UTF-8''");
	for (const unsigned char *c = (const unsigned char *)at.name; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    *c == '.' || *c == '-' || *c == '_')
			strbuf_addch(&cd, *c);
		else
			strbuf_addf(&cd, "%%%02X", *c);
	}
	http_resp_header(resp, "Content-Disposition", arena_strdup(req->arena, cd.buf));
	http_resp_header(resp, "Content-Security-Policy", "default-src 'none'; sandbox");
	strbuf_release(&cd);
	return 0;
}

int h_case_attachment_get(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_case(req, false, &cs);
	if (rc < 0)
		return rc;
	return api_send_attachment(req, resp, &cs, req->params[1], false);
}
