/*
 * public.c — what the public uses without an account: submit, track with
 * number + query code, rate, ask for review, take the steps a definition
 * gives the role `public` (a grid event's reporter verifies the work or
 * sends it back); the definitions and unit list the portal's forms need.
 * Every route here is rate-limited per address, and a wrong query code
 * costs a token of its own limiter.
 *
 * The holder of a case's number and query code acts as the principal kind
 * PRINCIPAL_PUBLIC: core/authz.c lets it take exactly the transitions whose
 * roles list `public`, and core/cases.c applies every other check of a
 * step (state, window, once, fields) and writes the event and the audit
 * record ("public <address>") in the step's own write.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/attach.h"
#include "core/links.h"

int h_public_case_create(http_req_t *req, http_resp_t *resp)
{
	json_t *body = NULL;
	case_input_t in = { 0 };
	int rc = api_case_request(req, &body, &in.files, &in.nfiles);
	if (rc < 0)
		return rc;
	pa_principal_t *p = api_public_principal(req);
	if ((rc = api_case_input(req, body, false, &in)) == 0) {
		in.channel = "web";
		pa_case_t cs;
		char code[PA_QUERY_CODE_LEN + 1];
		rc = cases_create(api_app(req), req->arena, p, &in, &cs, code, &req->err);
		if (rc == 0) {
			const wf_def_t *def = wf_registry_find(api_app(req)->wf, cs.type);
			const wf_state_t *st = wf_find_state(def, cs.state);
			json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "number", cs.number, "query_code", code,
			                      "state", cs.state, "state_label", wf_label(&st->label, req->lang),
			                      "created_at", api_time(api_app(req), cs.created_at), "due_at",
			                      api_time(api_app(req), cs.due_at));
			json_object_set_new(j, "tracking_path",
			                    json_string(arena_printf(req->arena, "/track/%s?code=%s", cs.number, code)));
			http_resp_header(resp, "Location",
			                 arena_printf(req->arena, "/api/public/cases/%s", cs.number));
			http_resp_json(resp, 201, j);
		}
	}
	json_decref(body);
	return rc;
}

/* The case for number + code.  A merged case's number and code keep working:
 * the code is checked against the merged case, then the case it was merged
 * into stands in for it (its cs->number differs from the path's then). */
static int load_public(http_req_t *req, const char *code, pa_case_t *cs)
{
	const char *merged_from = NULL;
	int rc = cases_get_public(api_app(req), req->arena, req->params[0], code, req->client_ip, cs,
	                          &req->err);
	if (rc == 0)
		rc = cases_follow_merge(api_app(req), req->arena, cs, &merged_from, &req->err);
	return rc;
}

/* For acting (rating, review, downloads): a merged case's code shows the
 * surviving case but does not act on it — that case may be another
 * person's, with its own code. */
static int load_public_own(http_req_t *req, const char *code, pa_case_t *cs)
{
	int rc = load_public(req, code, cs);
	if (rc == 0 && !streq(cs->number, req->params[0]))
		return pa_fail(&req->err, PA_ECONFLICT, "invalid-state", NULL,
		               "this case was merged into %s; use that case's own query code to act on it",
		               cs->number);
	return rc;
}

static int public_case_get(http_req_t *req, http_resp_t *resp, const char *code);

/* The case as the holder of its code sees it, from one snapshot (case,
 * timeline, ratings, attachments under one read lock). */
static int public_case_view(http_req_t *req, http_resp_t *resp, const char *code)
{
	store_conn_t *c = store_reader(api_app(req)->store);
	store_read_begin(c);
	int rc = public_case_get(req, resp, code);
	store_read_end(c);
	return rc;
}

int h_public_case_get(http_req_t *req, http_resp_t *resp)
{
	return public_case_view(req, resp, http_query(req, "code"));
}

/* ,"key":"value" (null for NULL); the first member of an object is written by hand. */
static void put(strbuf_t *sb, const char *key, const char *v)
{
	strbuf_adds(sb, ",\"");
	strbuf_adds(sb, key);
	strbuf_adds(sb, "\":");
	if (v)
		strbuf_add_json_str(sb, v);
	else
		strbuf_adds(sb, "null");
}

/* Appends len bytes of sb from off: grown first, since growing moves the buffer. */
static void put_again(strbuf_t *sb, size_t off, size_t len)
{
	strbuf_grow(sb, len);
	memcpy(sb->buf + sb->len, sb->buf + off, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

/*
 * The public tracking view, written straight into the response (the most
 * requested public document: no jansson tree, no second serialization).
 * Its shape is PublicCase in docs/openapi.yaml; events, actions and
 * attachments come from the same writers as the staff views (render.c).
 */
static int public_case_get(http_req_t *req, http_resp_t *resp, const char *code)
{
	pa_case_t cs;
	int rc = load_public(req, code, &cs);
	if (rc < 0)
		return rc;
	pa_app_t *app = api_app(req);
	store_conn_t *c = store_reader(app->store);
	pa_event_t *evs = NULL;
	size_t n = 0;
	if ((rc = store_events_list(c, req->arena, cs.id, 0, STORE_LIST_MAX, true, &evs, &n)) < 0)
		return pa_fail(&req->err, rc, "unavailable", NULL, "could not read the timeline");
	pa_rating_t *rs = NULL;
	size_t nr = 0;
	if (store_ratings_list(c, req->arena, cs.id, &rs, &nr) < 0)
		nr = 0;
	pa_attachment_t *ats = NULL;
	size_t na = 0;
	if (store_attachments_list(c, req->arena, cs.id, &ats, &na) < 0)
		na = 0;

	const wf_def_t *def = wf_registry_find(app->wf, cs.type);
	const wf_state_t *st = def ? wf_find_state(def, cs.state) : NULL;
	const wf_category_t *cat = def ? wf_find_category(def, cs.category) : NULL;
	pa_principal_t *pub = api_public_principal(req);
	bool has_due = cs.due_at != PA_NO_DUE && cs.is_open;
	strbuf_t *sb = &resp->body;
	strbuf_reset(sb);
	strbuf_grow(sb, 1536 + n * 512);
	strbuf_adds(sb, "{\"number\":");
	strbuf_add_json_str(sb, cs.number);
	if (!streq(cs.number, req->params[0]))
		put(sb, "merged_from", req->params[0]);
	put(sb, "type", cs.type);
	put(sb, "type_label", def ? wf_label(&def->label, req->lang) : cs.type);
	put(sb, "category", cs.category);
	put(sb, "category_label", cat ? wf_label(&cat->label, req->lang) : cs.category);
	put(sb, "title", cs.title);
	put(sb, "state", cs.state);
	put(sb, "state_label", st ? wf_label(&st->label, req->lang) : cs.state);
	strbuf_adds(sb, cs.is_open ? ",\"is_open\":true,\"created_at\":" : ",\"is_open\":false,\"created_at\":");
	api_time_write(sb, app, cs.created_at);
	strbuf_adds(sb, ",\"handling_unit\":");
	api_org_ref_write(sb, pub->tree, cs.owner_org_id, req->lang);
	strbuf_adds(sb, ",\"due_at\":");
	api_time_write(sb, app, has_due ? cs.due_at : 0);
	const wf_due_t *lim = st ? wf_category_state_due(def, cs.category, st) : NULL;
	if (lim && cs.is_open) {
		strbuf_addf(sb, ",\"limit\":{\"amount\":%d,\"unit\":\"%s\"", lim->amount, due_unit_name(lim->unit));
		if (lim->basis)
			put(sb, "basis", lim->basis);
		strbuf_addch(sb, '}');
	} else {
		strbuf_adds(sb, ",\"limit\":null");
	}

	/* the timeline; notices and opinions repeat parts of it */
	size_t *ev_off = arena_alloc(req->arena, (n + 1) * sizeof(*ev_off));
	size_t *ev_end = arena_alloc(req->arena, (n + 1) * sizeof(*ev_end));
	api_event_parts_t *parts = arena_alloc(req->arena, (n + 1) * sizeof(*parts));
	strbuf_adds(sb, ",\"timeline\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addch(sb, ',');
		ev_off[i] = sb->len;
		api_event_write(sb, req, def, &evs[i], true, &parts[i]);
		ev_end[i] = sb->len;
	}
	strbuf_adds(sb, "],\"notices\":[");
	bool first = true;
	for (size_t i = 0; i < n; i++)
		if (streq(evs[i].kind, "notice")) {
			if (!first)
				strbuf_addch(sb, ',');
			first = false;
			put_again(sb, ev_off[i], ev_end[i] - ev_off[i]);
		}
	strbuf_adds(sb, "],\"opinions\":[");
	first = true;
	for (size_t i = 0; i < n; i++) {
		const pa_event_t *ev = &evs[i];
		if (!streq(ev->kind, "transition") || !parts[i].opinion)
			continue;
		const wf_transition_t *t = def && ev->action ? wf_find_transition(def, ev->action) : NULL;
		strbuf_adds(sb, first ? "{\"at\":" : ",{\"at\":");
		first = false;
		api_time_write(sb, app, ev->at);
		put(sb, "action", ev->action);
		put(sb, "action_label", t ? wf_label(&t->label, req->lang) : NULL);
		strbuf_adds(sb, ",\"fields\":");
		put_again(sb, parts[i].fields_off, parts[i].fields_len);
		strbuf_addch(sb, '}');
	}

	bool rated = false;
	strbuf_adds(sb, "],\"ratings\":[");
	for (size_t i = 0; i < nr; i++) {
		if (streq(rs[i].stage, cs.state))
			rated = true;
		strbuf_adds(sb, i ? ",{\"stage\":" : "{\"stage\":");
		strbuf_add_json_str(sb, rs[i].stage);
		put(sb, "level", rs[i].level);
		put(sb, "level_label", rating_level_label(rs[i].level, req->lang));
		strbuf_adds(sb, ",\"at\":");
		api_time_write(sb, app, rs[i].at);
		strbuf_addch(sb, '}');
	}
	strbuf_adds(sb, st && st->rating && !rated ? "],\"can_rate\":true" : "],\"can_rate\":false");

	const wf_transition_t *rt = def ? wf_find_public_action(def, cs.state, "review") : NULL;
	if (rt) {
		bool open = wf_window_open(app->cal, rt, cs.created_at, cs.state_entered_at, pa_now());
		strbuf_adds(sb, open ? ",\"review\":{\"available\":true" : ",\"review\":{\"available\":false");
		put(sb, "action", rt->name);
		put(sb, "label", wf_label(&rt->label, req->lang));
		strbuf_adds(sb, ",\"window_end\":");
		api_time_write(sb, app, cases_window_end(app, &cs, rt));
		strbuf_addch(sb, '}');
	} else {
		strbuf_adds(sb, ",\"review\":{\"available\":false}");
	}
	strbuf_adds(sb, ",\"attachments\":[");
	first = true;
	for (size_t i = 0; i < na; i++)
		if (ats[i].public) {
			if (!first)
				strbuf_addch(sb, ',');
			first = false;
			api_attachment_write(sb, &ats[i]);
		}

	/* What the holder of the code may do now: the same list and shape as a
	 * staff user's actions.  A merged case's code shows the surviving case
	 * but acts on nothing (load_public_own). */
	strbuf_adds(sb, "],\"actions\":[");
	if (streq(cs.number, req->params[0])) {
		const wf_transition_t **acts = NULL;
		size_t nacts = cases_allowed_actions(app, req->arena, pub, &cs, &acts);
		for (size_t i = 0; i < nacts; i++) {
			if (i)
				strbuf_addch(sb, ',');
			api_action_write(sb, req, &cs, acts[i]);
		}
	}
	strbuf_adds(sb, "]}");
	resp->status = 200;
	resp->content_type = "application/json; charset=utf-8";
	return 0;
}

static int public_body(http_req_t *req, const char *const *allowed, json_t **body, pa_case_t *cs)
{
	int rc = http_json_body(req, body);
	if (rc < 0)
		return rc;
	const char *code;
	if ((rc = api_only_members(req, *body, allowed, NULL)) < 0 ||
	    (rc = api_get_string(req, *body, "code", true, &code)) < 0 ||
	    (rc = load_public_own(req, code, cs)) < 0) {
		json_decref(*body);
		*body = NULL;
	}
	return rc;
}

int h_public_rating(http_req_t *req, http_resp_t *resp)
{
	static const char *const allowed[] = { "code", "level", "comment", NULL };
	json_t *body;
	pa_case_t cs;
	int rc = public_body(req, allowed, &body, &cs);
	if (rc < 0)
		return rc;
	const char *level, *comment;
	if ((rc = api_get_string(req, body, "level", true, &level)) == 0 &&
	    (rc = api_get_string(req, body, "comment", false, &comment)) == 0 &&
	    (rc = cases_rate(api_app(req), req->arena, api_public_principal(req), &cs, level, comment,
	                     &req->err)) == 0)
		http_resp_json(resp, 201, json_pack("{s:s, s:s}", "stage", cs.state, "level", level));
	json_decref(body);
	return rc;
}

int h_public_review(http_req_t *req, http_resp_t *resp)
{
	static const char *const allowed[] = { "code", "reason", NULL };
	json_t *body;
	pa_case_t cs;
	int rc = public_body(req, allowed, &body, &cs);
	if (rc < 0)
		return rc;
	json_t *fields = json_object();
	json_t *reason = json_object_get(body, "reason");
	if (reason)
		json_object_set(fields, "reason", reason);
	pa_case_t out;
	pa_principal_t *pub = api_public_principal(req);
	rc = cases_public_action(api_app(req), req->arena, pub, &cs, "review", fields, &out, &req->err);
	if (rc < 0 && streq(req->err.field, "fields.reason"))
		snprintf(req->err.field, sizeof(req->err.field), "reason");
	if (rc == 0) {
		const wf_def_t *def = wf_registry_find(api_app(req)->wf, out.type);
		const wf_state_t *st = wf_find_state(def, out.state);
		http_resp_json(resp, 200, json_pack("{s:s, s:s, s:s, s:o}", "number", out.number, "state",
		                                    out.state, "state_label", wf_label(&st->label, req->lang),
		                                    "due_at", api_time(api_app(req), out.due_at)));
	}
	json_decref(fields);
	json_decref(body);
	return rc;
}

/*
 * POST /api/public/cases/{number}/actions/{action} {code, fields}: the
 * holder of the case's code takes a step whose roles list `public`.  The
 * answer is the case as GET /api/public/cases/{number} shows it afterwards.
 * Errors are the staff route's: 404 for an unknown step (and for a wrong
 * number or code), 403 for a step not the public's, 409 for the wrong state
 * or a closed window, 400 naming `fields.<name>`.
 */
int h_public_case_action(http_req_t *req, http_resp_t *resp)
{
	static const char *const allowed[] = { "code", "fields", NULL };
	json_t *body;
	pa_case_t cs;
	int rc = public_body(req, allowed, &body, &cs);
	if (rc < 0)
		return rc;
	json_t *fields = json_object_get(body, "fields");
	if (fields && !json_is_object(fields)) {
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "fields", "fields must be an object");
	} else {
		pa_case_t out;
		rc = cases_transition(api_app(req), req->arena, api_public_principal(req), &cs,
		                      req->params[1], fields, 0, &out, &req->err);
		if (rc == 0)
			rc = public_case_view(req, resp, json_string_value(json_object_get(body, "code")));
	}
	json_decref(body);
	return rc;
}

int h_public_attachment_get(http_req_t *req, http_resp_t *resp)
{
	pa_case_t cs;
	int rc = load_public_own(req, http_query(req, "code"), &cs);
	if (rc < 0)
		return rc;
	return api_send_attachment(req, resp, &cs, req->params[1], true);
}

int h_public_workflow(http_req_t *req, http_resp_t *resp)
{
	const wf_def_t *def = wf_registry_find(api_app(req)->wf, req->params[0]);
	if (!def)
		return pa_fail(&req->err, PA_ENOTFOUND, "not-found", NULL, "no case type '%s'", req->params[0]);
	json_t *cats = json_array();
	for (size_t i = 0; i < def->ncategories; i++) {
		const wf_category_t *c = &def->categories[i];
		json_array_append_new(cats, json_pack("{s:s, s:s, s:b, s:s?, s:b}", "code", c->code, "label",
		                                      wf_label(&c->label, req->lang), "accusation", c->accusation,
		                                      "parent", c->parent, "leaf", !c->has_children));
	}
	json_t *states = json_array();
	for (size_t i = 0; i < def->nstates; i++) {
		const wf_state_t *s = &def->states[i];
		json_t *js = json_pack("{s:s, s:s, s:b}", "name", s->name, "label", wf_label(&s->label, req->lang),
		                       "terminal", s->terminal);
		if (s->has_due)
			json_object_set_new(js, "limit", json_pack("{s:i, s:s, s:s?}", "amount", s->due.amount, "unit",
			                                           due_unit_name(s->due.unit), "basis", s->due.basis));
		json_array_append_new(states, js);
	}
	static const char *const location_names[] = { "none", "optional", "required" };
	http_resp_json(resp, 200, json_pack("{s:s, s:s, s:o, s:o, s:b, s:b, s:s}", "type", def->type, "label",
	                                    wf_label(&def->label, req->lang), "categories", cats, "states",
	                                    states, "submit", def->public_submit, "anonymous",
	                                    def->contact_anonymous, "location", location_names[def->location]));
	return 0;
}

int h_public_units(http_req_t *req, http_resp_t *resp)
{
	pa_principal_t *pub = api_public_principal(req);
	json_t *items = json_array();
	for (size_t i = 0; i < orgtree_count(pub->tree); i++) {
		const pa_org_t *o = orgtree_at(pub->tree, i);
		if (o->is_unit && !o->disabled)
			json_array_append_new(items, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)o->id, "name",
			                                       req->lang[0] == 'e' && o->name_en && *o->name_en ? o->name_en : o->name,
			                                       "kind", o->kind));
	}
	http_resp_json(resp, 200, json_pack("{s:o}", "items", items));
	return 0;
}

/* The attachment limits a form checks before sending (the server still
 * checks every upload): limits.max_file, limits.max_files, limits.max_body
 * and the accepted types (core/attach.c); the map tiles of map.tile_url. */
int h_public_limits(http_req_t *req, http_resp_t *resp)
{
	const pa_config_t *cfg = api_app(req)->cfg;
	size_t n;
	const attach_type_t *ts = attach_types(&n);
	json_t *types = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *ext = json_array();
		for (const char *const *e = ts[i].extensions; *e; e++)
			json_array_append_new(ext, json_string(*e));
		json_array_append_new(types, json_pack("{s:s, s:o}", "mime", ts[i].mime, "extensions", ext));
	}
	json_t *att = json_pack("{s:I, s:i, s:I, s:o}", "max_file_bytes", (json_int_t)cfg->max_file,
	                        "max_files", cfg->max_files, "max_body_bytes", (json_int_t)cfg->max_body,
	                        "types", types);
	/* the portal's map (grid events): none unless map.tile_url is set */
	json_t *map = json_null();
	double lat, lng;
	if (cfg->map_tile_url && *cfg->map_tile_url && config_map_center(cfg->map_center, &lat, &lng))
		map = json_pack("{s:s, s:s, s:[f, f], s:i}", "tile_url", cfg->map_tile_url, "attribution",
		                cfg->map_attribution ? cfg->map_attribution : "", "center", lat, lng, "zoom",
		                cfg->map_zoom);
	http_resp_json(resp, 200, json_pack("{s:o, s:o}", "attachments", att, "map", map));
	return 0;
}
