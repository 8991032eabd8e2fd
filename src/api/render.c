/*
 * render.c — the JSON shapes of the API (described in docs/openapi.yaml).
 * Times are ISO 8601 with the district's UTC offset; ids are integers;
 * every label comes in the request's language.
 */
#include "base/common.h"
#include "api/api.h"
#include "base/jsonw.h"

#include <errno.h>
#include <stdlib.h>

json_t *api_time(pa_app_t *app, pa_time_t t)
{
	if (t <= 0 || t == PA_NO_DUE)
		return json_null();
	char buf[32];
	pa_time_format(t, app->cfg->utc_offset_min, buf);
	return json_string(buf);
}

json_t *api_org_ref(const orgtree_t *t, pa_id_t id, const char *lang)
{
	if (!id)
		return json_null();
	const pa_org_t *o = orgtree_find(t, id);
	if (!o)
		return json_pack("{s:I}", "id", (json_int_t)id);
	const char *name = lang && lang[0] == 'e' && o->name_en && *o->name_en ? o->name_en : o->name;
	return json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name, "kind", o->kind);
}


/* The case shape, written straight into a buffer: lists render 50 of these
 * per request, and building jansson trees for them cost more than the query.
 * api_case_json() parses this output, so there is one definition of the
 * shape.  Strings go through strbuf_add_json_str (valid UTF-8, "<>&"
 * escaped). */
static void put_key(strbuf_t *sb, const char *key)
{
	if (sb->len && sb->buf[sb->len - 1] != '{')
		strbuf_addch(sb, ',');
	strbuf_addch(sb, '"');
	strbuf_adds(sb, key);
	strbuf_adds(sb, "\":");
}

static void put_str(strbuf_t *sb, const char *key, const char *v)
{
	put_key(sb, key);
	if (v)
		strbuf_add_json_str(sb, v);
	else
		strbuf_adds(sb, "null");
}

void api_time_write(strbuf_t *sb, pa_app_t *app, pa_time_t t)
{
	if (t <= 0 || t == PA_NO_DUE) {
		strbuf_adds(sb, "null");
		return;
	}
	char buf[32];
	pa_time_format(t, app->cfg->utc_offset_min, buf);
	strbuf_addch(sb, '"');
	strbuf_adds(sb, buf);
	strbuf_addch(sb, '"');
}

static void put_time(strbuf_t *sb, pa_app_t *app, const char *key, pa_time_t t)
{
	put_key(sb, key);
	api_time_write(sb, app, t);
}

static void put_bool(strbuf_t *sb, const char *key, bool v)
{
	put_key(sb, key);
	strbuf_adds(sb, v ? "true" : "false");
}

void api_org_ref_write(strbuf_t *sb, const orgtree_t *t, pa_id_t id, const char *lang)
{
	const pa_org_t *o = id ? orgtree_find(t, id) : NULL;
	if (!id) {
		strbuf_adds(sb, "null");
	} else if (!o) {
		strbuf_addf(sb, "{\"id\":%lld}", (long long)id);
	} else {
		const char *name = lang && lang[0] == 'e' && o->name_en && *o->name_en ? o->name_en : o->name;
		strbuf_addf(sb, "{\"id\":%lld,\"name\":", (long long)id);
		strbuf_add_json_str(sb, name);
		strbuf_adds(sb, ",\"kind\":");
		strbuf_add_json_str(sb, o->kind);
		strbuf_addch(sb, '}');
	}
}

static void put_org(strbuf_t *sb, const orgtree_t *t, const char *key, pa_id_t id, const char *lang)
{
	put_key(sb, key);
	api_org_ref_write(sb, t, id, lang);
}

void api_json_value_write(strbuf_t *sb, const json_t *v)
{
	if (strbuf_add_json(sb, v) < 0)
		strbuf_adds(sb, "null");
}

/* A shape written by one of the writers below, as a jansson tree for the
 * callers that still build documents with jansson. */
static json_t *parse_written(strbuf_t *sb, const char *what)
{
	json_error_t jerr;
	json_t *j = json_loadb(sb->buf, sb->len, 0, &jerr);
	if (!j) {
		log_error("render: %s rendered invalid JSON: %s", what, jerr.text);
		j = json_object();
	}
	strbuf_release(sb);
	return j;
}

/* {"lat":…,"lng":…,"address":…} with null members, or null when the case has no location. */
void api_location_write(strbuf_t *sb, const pa_case_t *cs)
{
	if (!cs->has_point && !cs->address) {
		strbuf_adds(sb, "null");
		return;
	}
	if (cs->has_point)
		strbuf_addf(sb, "{\"lat\":%.7f,\"lng\":%.7f,\"address\":", cs->lat, cs->lng);
	else
		strbuf_adds(sb, "{\"lat\":null,\"lng\":null,\"address\":");
	if (cs->address)
		strbuf_add_json_str(sb, cs->address);
	else
		strbuf_adds(sb, "null");
	strbuf_addch(sb, '}');
}

/*
 * "participation": for a viewer who sees the case as a participating unit
 * (a joint case in a police bureau's inbox), that unit's own stage track —
 * where it stands and since when; null for everyone else (the owning
 * unit's staff see every participant in the case detail).
 */
static void participation_write(strbuf_t *sb, http_req_t *req, const wf_def_t *def,
                                const pa_case_t *cs)
{
	put_key(sb, "participation");
	const pa_principal_t *p = api_principal(req);
	if (!def || !def->ntracks || !p || p->kind != PRINCIPAL_STAFF || !cs->data ||
	    !strstr(cs->data, "\"participants\"")) {
		strbuf_adds(sb, "null");
		return;
	}
	for (size_t i = 0; i < p->nroles; i++)
		if (p->roles[i].org_id == cs->owner_org_id) {
			strbuf_adds(sb, "null");
			return;
		}
	json_t *d = json_loads(cs->data, 0, NULL), *v, *mine = NULL;
	size_t k;
	json_array_foreach(json_object_get(d, "participants"), k, v) {
		pa_id_t org = json_integer_value(json_object_get(v, "org_id"));
		for (size_t i = 0; i < p->nroles && !mine; i++)
			if (org && p->roles[i].org_id == org)
				mine = v;
		if (mine)
			break;
	}
	if (!mine) {
		strbuf_adds(sb, "null");
		json_decref(d);
		return;
	}
	const char *kind = json_string_value(json_object_get(mine, "kind"));
	const char *stage = json_string_value(json_object_get(mine, "stage"));
	const wf_track_t *tr = kind ? wf_find_track(def, kind) : NULL;
	int si = tr && stage ? wf_track_stage(tr, stage) : -1;
	strbuf_addf(sb, "{\"org_id\":%lld",
	            (long long)json_integer_value(json_object_get(mine, "org_id")));
	put_str(sb, "kind", kind ? kind : "");
	put_str(sb, "stage", stage ? stage : "");
	put_str(sb, "stage_label", si >= 0 ? wf_label(&tr->stages[si].label, req->lang) : (stage ? stage : ""));
	put_time(sb, api_app(req), "since", json_integer_value(json_object_get(mine, "since")));
	/* the stage's limit, as the case's own: shown while the case is open */
	pa_time_t due = cs->is_open ? json_integer_value(json_object_get(mine, "due_at")) : 0;
	put_time(sb, api_app(req), "due_at", due);
	strbuf_adds(sb, due && due < pa_now() ? ",\"overdue\":true}" : ",\"overdue\":false}");
	json_decref(d);
}

void api_case_write(strbuf_t *sb, http_req_t *req, const orgtree_t *t, const pa_case_t *cs,
                    bool with_body)
{
	pa_app_t *app = api_app(req);
	const wf_def_t *def = wf_registry_find(app->wf, cs->type);
	const wf_state_t *st = def ? wf_find_state(def, cs->state) : NULL;
	const wf_category_t *cat = def ? wf_find_category(def, cs->category) : NULL;
	pa_time_t now = pa_now();
	bool has_due = cs->due_at != PA_NO_DUE && cs->is_open;
	strbuf_addf(sb, "{\"id\":%lld", (long long)cs->id);
	put_str(sb, "number", cs->number);
	put_str(sb, "type", cs->type);
	put_str(sb, "type_label", def ? wf_label(&def->label, req->lang) : cs->type);
	put_str(sb, "category", cs->category);
	put_str(sb, "category_label", cat ? wf_label(&cat->label, req->lang) : cs->category);
	put_str(sb, "title", cs->title);
	if (with_body)
		put_str(sb, "body", cs->body);
	put_str(sb, "channel", cs->channel);
	put_str(sb, "channel_label", case_channel_label(cs->channel, req->lang));
	put_str(sb, "state", cs->state);
	put_str(sb, "state_label", st ? wf_label(&st->label, req->lang) : cs->state);
	put_key(sb, "is_open");
	strbuf_adds(sb, cs->is_open ? "true" : "false");
	put_org(sb, t, "intake_org", cs->intake_org_id, req->lang);
	put_org(sb, t, "owner_org", cs->owner_org_id, req->lang);
	put_key(sb, "assignee_id");
	if (cs->assignee_id)
		strbuf_addf(sb, "%lld", (long long)cs->assignee_id);
	else
		strbuf_adds(sb, "null");
	put_org(sb, t, "accused_org", cs->accused_org_id, req->lang);
	put_time(sb, app, "created_at", cs->created_at);
	put_time(sb, app, "updated_at", cs->updated_at);
	put_time(sb, app, "state_entered_at", cs->state_entered_at);
	put_time(sb, app, "due_at", has_due ? cs->due_at : 0);
	put_key(sb, "overdue");
	strbuf_adds(sb, has_due && (cs->overdue || cs->due_at < now) ? "true" : "false");
	put_key(sb, "due_soon");
	strbuf_adds(sb, has_due && cs->due_at >= now && cs->due_at - now < DUE_SOON_SECONDS ? "true" : "false");
	put_key(sb, "limit");
	/* the category's own limit where it has one (grid events) */
	const wf_due_t *due = def && st ? wf_category_state_due(def, cs->category, st) : NULL;
	if (due) {
		strbuf_addf(sb, "{\"amount\":%d,\"unit\":\"%s\"", due->amount, due_unit_name(due->unit));
		if (due->basis) {
			strbuf_adds(sb, ",\"basis\":");
			strbuf_add_json_str(sb, due->basis);
		}
		strbuf_addch(sb, '}');
	} else {
		strbuf_adds(sb, "null");
	}
	put_key(sb, "location");
	api_location_write(sb, cs);
	participation_write(sb, req, def, cs);
	strbuf_addf(sb, ",\"version\":%d}", cs->version);
}

json_t *api_case_json(http_req_t *req, const orgtree_t *t, const pa_case_t *cs)
{
	strbuf_t sb = STRBUF_INIT;
	api_case_write(&sb, req, t, cs, true);
	return parse_written(&sb, "a case");
}

/*
 * An event of the timeline.  The public view (public_view) shows what was
 * decided — the public fields of a public step, with enum values labelled —
 * not who inside which unit did it; staff see the actor and the raw data.
 * parts, when not NULL, gets where the public fields object was written and
 * whether it holds an opinion (the public tracking view lists those).
 */
void api_event_write(strbuf_t *sb, http_req_t *req, const wf_def_t *def, const pa_event_t *ev,
                     bool public_view, api_event_parts_t *parts)
{
	pa_app_t *app = api_app(req);
	if (parts)
		*parts = (api_event_parts_t){ 0 };
	strbuf_addf(sb, "{\"id\":%lld", (long long)ev->id);
	put_time(sb, app, "at", ev->at);
	put_str(sb, "kind", ev->kind);
	put_str(sb, "action", ev->action);
	const wf_transition_t *t = def && ev->action ? wf_find_transition(def, ev->action) : NULL;
	put_str(sb, "action_label", t ? wf_label(&t->label, req->lang) : NULL);
	put_str(sb, "from_state", ev->from_state);
	put_str(sb, "to_state", ev->to_state);
	const wf_state_t *to = def && ev->to_state ? wf_find_state(def, ev->to_state) : NULL;
	put_str(sb, "to_state_label", to ? wf_label(&to->label, req->lang) : NULL);
	bool notice = streq(ev->kind, "notice"), document = streq(ev->kind, "document");
	bool rating = streq(ev->kind, "rating");
	bool public_fields = t && t->public && t->nfields;
	/* the data is parsed only when something of it is shown */
	bool need = !public_view || notice || document || rating || public_fields;
	json_t *data = need && ev->data ? json_loads(ev->data, 0, NULL) : NULL;
	const char *text = ev->text;
	if (notice && data) {
		bool en = req->lang[0] == 'e';
		put_str(sb, "title", json_string_value(json_object_get(data, en ? "title_en" : "title")));
		if (en && json_string_value(json_object_get(data, "text_en")))
			text = json_string_value(json_object_get(data, "text_en"));
	} else if (document && data) {
		/* the document's own title (in the language it was issued in) */
		put_str(sb, "title", json_string_value(json_object_get(data, "title")));
	}
	put_str(sb, "text", text);
	if (public_view) {
		json_t *fields = json_object_get(data, "fields");
		if (public_fields && json_is_object(fields) && json_object_size(fields)) {
			put_key(sb, "fields");
			size_t off = sb->len;
			bool opinion = false;
			strbuf_addch(sb, '{');
			for (size_t i = 0; i < t->nfields; i++) {
				const wf_field_t *f = &t->fields[i];
				json_t *v = json_object_get(fields, f->name);
				if (!v || f->type == WF_FIELD_ORG)
					continue;
				if (f->type == WF_FIELD_ENUM) {
					size_t k = 0;
					while (k < f->nvalues && !streq(json_string_value(v), f->values[k].code))
						k++;
					if (k == f->nvalues)
						continue;
					put_key(sb, f->name);
					strbuf_adds(sb, "{\"code\":");
					strbuf_add_json_str(sb, f->values[k].code);
					put_str(sb, "label", wf_label(&f->values[k].label, req->lang));
					strbuf_addch(sb, '}');
				} else {
					put_key(sb, f->name);
					api_json_value_write(sb, v);
				}
				if (streq(f->name, "opinion"))
					opinion = true;
			}
			strbuf_addch(sb, '}');
			if (parts) {
				parts->fields_off = off;
				parts->fields_len = sb->len - off;
				parts->opinion = opinion;
			}
		}
		if (rating) {
			put_key(sb, "data");
			api_json_value_write(sb, data);
		}
	} else {
		put_str(sb, "actor_name", ev->actor_name);
		put_key(sb, "actor_user_id");
		if (ev->actor_user_id)
			strbuf_addf(sb, "%lld", (long long)ev->actor_user_id);
		else
			strbuf_adds(sb, "null");
		put_bool(sb, "public", ev->public);
		put_key(sb, "data");
		api_json_value_write(sb, data);
	}
	strbuf_addch(sb, '}');
	json_decref(data);
}

json_t *api_event_json(http_req_t *req, const wf_def_t *def, const pa_event_t *ev, bool public_view)
{
	strbuf_t sb = STRBUF_INIT;
	api_event_write(&sb, req, def, ev, public_view, NULL);
	return parse_written(&sb, "an event");
}

static void field_write(strbuf_t *sb, const wf_field_t *f, const char *lang)
{
	static const char *types[] = { "text", "int", "enum", "org", "date", "bool" };
	strbuf_adds(sb, "{\"name\":");
	strbuf_add_json_str(sb, f->name);
	put_str(sb, "label", wf_label(&f->label, lang));
	put_str(sb, "type", types[f->type]);
	put_bool(sb, "required", f->required);
	if (f->type == WF_FIELD_INT) {
		strbuf_addf(sb, ",\"min\":%lld,\"max\":%lld", (long long)f->min, (long long)f->max);
	} else if (f->type == WF_FIELD_TEXT) {
		strbuf_addf(sb, ",\"max_length\":%lld", (long long)f->max);
	} else if (f->type == WF_FIELD_ENUM) {
		strbuf_adds(sb, ",\"values\":[");
		for (size_t i = 0; i < f->nvalues; i++) {
			strbuf_adds(sb, i ? ",{\"code\":" : "{\"code\":");
			strbuf_add_json_str(sb, f->values[i].code);
			put_str(sb, "label", wf_label(&f->values[i].label, lang));
			strbuf_addch(sb, '}');
		}
		strbuf_addch(sb, ']');
	}
	strbuf_addch(sb, '}');
}

void api_action_write(strbuf_t *sb, http_req_t *req, const pa_case_t *cs, const wf_transition_t *t)
{
	strbuf_adds(sb, "{\"name\":");
	strbuf_add_json_str(sb, t->name);
	put_str(sb, "label", wf_label(&t->label, req->lang));
	put_str(sb, "to", t->to);
	strbuf_adds(sb, ",\"fields\":[");
	for (size_t i = 0; i < t->nfields; i++) {
		if (i)
			strbuf_addch(sb, ',');
		field_write(sb, &t->fields[i], req->lang);
	}
	strbuf_addch(sb, ']');
	put_time(sb, api_app(req), "window_end", cases_window_end(api_app(req), cs, t));
	strbuf_adds(sb, ",\"requires\":[");
	for (size_t i = 0; i < t->nrequires; i++) {
		if (i)
			strbuf_addch(sb, ',');
		strbuf_add_json_str(sb, t->requires[i]);
	}
	strbuf_addch(sb, ']');
	put_bool(sb, "needs_approval", t->napproval_roles > 0);
	put_str(sb, "handover_type", t->handover_type);
	strbuf_addch(sb, '}');
}

json_t *api_action_json(http_req_t *req, const pa_case_t *cs, const wf_transition_t *t)
{
	strbuf_t sb = STRBUF_INIT;
	api_action_write(&sb, req, cs, t);
	return parse_written(&sb, "an action");
}

json_t *api_user_json(const pa_user_t *u)
{
	json_t *roles = json_array();
	for (size_t i = 0; i < u->nroles; i++)
		json_array_append_new(roles, json_pack("{s:I, s:s}", "org_id", (json_int_t)u->roles[i].org_id,
		                                       "role", u->roles[i].role));
	return json_pack("{s:I, s:s, s:s, s:b, s:o}", "id", (json_int_t)u->id, "username", u->username,
	                 "display_name", u->display_name ? u->display_name : u->username, "disabled",
	                 u->disabled, "roles", roles);
}

json_t *api_org_json(const pa_org_t *o, const char *lang)
{
	return json_pack("{s:I, s:o, s:o, s:s, s:s, s:s?, s:s, s:s, s:s, s:b, s:b}", "id",
	                 (json_int_t)o->id,
	                 "parent_id", o->parent_id ? json_integer(o->parent_id) : json_null(),
	                 "superior_id", o->superior_id ? json_integer(o->superior_id) : json_null(),
	                 "code", o->code, "name", o->name, "name_en", o->name_en, "abbr",
	                 o->abbr ? o->abbr : "", "kind", o->kind,
	                 "kind_label", org_kind_label(o->kind, lang), "is_unit", o->is_unit,
	                 "disabled", o->disabled);
}

/*
 * Which way a file went: "in" from the public (sent with a submission or
 * by the petitioner), "out" to the public (a document issued to them),
 * "internal" (staff files and documents not sent out).
 */
static const char *attachment_direction(const pa_attachment_t *at)
{
	if (!at->public)
		return "internal";
	return at->issued ? "out" : "in";
}

void api_attachment_write(strbuf_t *sb, const pa_attachment_t *at)
{
	strbuf_adds(sb, "{\"sha256\":");
	strbuf_add_json_str(sb, at->sha256);
	put_str(sb, "name", at->name);
	put_str(sb, "mime", at->mime);
	strbuf_addf(sb, ",\"size\":%lld", (long long)at->size);
	put_bool(sb, "public", at->public);
	put_str(sb, "direction", attachment_direction(at));
	strbuf_addch(sb, '}');
}

json_t *api_attachment_json(const pa_attachment_t *at)
{
	strbuf_t sb = STRBUF_INIT;
	api_attachment_write(&sb, at);
	return parse_written(&sb, "an attachment");
}

int api_query_int(http_req_t *req, const char *key, int64_t def, int64_t min, int64_t max,
                  int64_t *out)
{
	const char *v = http_query(req, key);
	if (!v || !*v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return pa_fail(&req->err, PA_EINVAL, "validation", key, "%s must be an integer from %lld to %lld",
		               key, (long long)min, (long long)max);
	*out = x;
	return 0;
}

int api_get_string(http_req_t *req, json_t *obj, const char *key, bool required, const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return pa_fail(&req->err, PA_EINVAL, "validation", key, "%s is required", key);
		return 0;
	}
	if (!json_is_string(v))
		return pa_fail(&req->err, PA_EINVAL, "validation", key, "%s must be a string", key);
	if (memchr(json_string_value(v), '\0', json_string_length(v)))
		return pa_fail(&req->err, PA_EINVAL, "validation", key, "%s contains a NUL character", key);
	*out = json_string_value(v);
	return 0;
}

int api_only_members(http_req_t *req, json_t *obj, const char *const *allowed, const char *prefix)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (streq(key, allowed[i]))
				ok = true;
		if (!ok)
			return pa_fail(&req->err, PA_EINVAL, "validation",
			               prefix ? arena_printf(req->arena, "%s.%s", prefix, key) : key,
			               "unknown member '%s'", key);
	}
	return 0;
}

int api_collect_files(http_req_t *req, http_part_t *parts, size_t n, case_file_t **files,
                      size_t *nfiles)
{
	case_file_t *f = arena_zalloc(req->arena, (n + 1) * sizeof(*f));
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!parts[i].filename)
			continue;
		if (!streq(parts[i].name, "files") && !streq(parts[i].name, "file"))
			return pa_fail(&req->err, PA_EINVAL, "validation", parts[i].name,
			               "files must be sent in parts named 'files'");
		f[k].name = parts[i].filename;
		f[k].data = parts[i].data;
		f[k].len = parts[i].len;
		k++;
	}
	*files = f;
	*nfiles = k;
	return 0;
}
