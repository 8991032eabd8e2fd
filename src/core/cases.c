/*
 * cases.c — the case service (see cases.h).
 *
 * Shape of every write: validate the input outside the writer (cheap
 * checks, encryption, attachment files), then one store_write() whose
 * function re-reads the case on the writer connection, re-checks what
 * depends on its current state, and writes the case row, the timeline
 * events and the audit record.  The per-case JSON `data` column keeps what
 * the engine must remember between steps: the transitions that may happen
 * only once.
 */
#include "base/common.h"
#include "base/jsonw.h"
#include "core/cases.h"
#include "core/attach.h"
#include "core/audit.h"
#include "core/notify.h"
#include "core/docgen.h"
#include "core/links.h"

#include <math.h>
#include <stdio.h>
#include <unistd.h>

/* ---- small helpers -------------------------------------------------------- */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		if (*p < 0x80) { p++; continue; }
		int len = (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
		if (!len || (len == 2 && *p < 0xC2) || (*p > 0xF4))
			return false;
		for (int i = 1; i < len; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		if (len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
			return false;
		if (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
			return false;
		p += len;
	}
	return true;
}

/* Checks a text input: present when required, valid UTF-8, no NUL or
 * control characters except tab/newline, 1..max characters. */
static bool blank(const char *s)
{
	/* ASCII white space and the ideographic space U+3000 */
	while (*s) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		else if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x80)
			s += 3;
		else
			return false;
	}
	return true;
}

static int check_text(const char *s, const char *field, bool required, size_t max, pa_err_t *err)
{
	if (!s || blank(s)) {
		if (required)
			return pa_fail(err, PA_EINVAL, "validation", field, "%s is required", field);
		return 0;
	}
	if (!utf8_valid(s))
		return pa_fail(err, PA_EINVAL, "validation", field, "%s is not valid UTF-8", field);
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t' && *c != '\r')
			return pa_fail(err, PA_EINVAL, "validation", field,
			               "%s contains a control character", field);
	if (utf8_chars(s) > max)
		return pa_fail(err, PA_EINVAL, "validation", field, "%s is longer than %zu characters",
		               field, max);
	return 0;
}

int cases_check_text(const char *s, const char *field, bool required, size_t max, pa_err_t *err)
{
	return check_text(s, field, required, max, err);
}

static const struct { const char *code, *zh, *en; bool staff, public; } channels[] = {
	{ "letter", "来信", "Letter", true, false },
	{ "visit", "来访", "Visit", true, false },
	{ "phone", "来电", "Phone call", true, false },
	{ "hotline", "热线", "Hotline", true, false },
	{ "web", "网上信访", "Online", true, true },
	{ "grid", "网格上报", "Grid report", true, false },
	{ "open311", "Open311 接口", "Open311", true, false },
	/* a case opened by another case's hand-over transition (访调对接 ...) */
	{ "handover", "移交", "Hand-over", false, false },
};

const char *case_channel_label(const char *channel, const char *lang)
{
	for (size_t i = 0; i < ARRAY_SIZE(channels); i++)
		if (streq(channel, channels[i].code))
			return lang && lang[0] == 'e' ? channels[i].en : channels[i].zh;
	return channel;
}

static const struct { const char *code, *zh, *en; } rating_levels[] = {
	{ "very_satisfied", "非常满意", "Very satisfied" },
	{ "satisfied", "满意", "Satisfied" },
	{ "basically_satisfied", "基本满意", "Basically satisfied" },
	{ "dissatisfied", "不满意", "Dissatisfied" },
	{ "very_dissatisfied", "非常不满意", "Very dissatisfied" },
};

bool rating_level_valid(const char *level)
{
	for (size_t i = 0; i < ARRAY_SIZE(rating_levels); i++)
		if (streq(level, rating_levels[i].code))
			return true;
	return false;
}

const char *rating_level_label(const char *level, const char *lang)
{
	for (size_t i = 0; i < ARRAY_SIZE(rating_levels); i++)
		if (streq(level, rating_levels[i].code))
			return lang && lang[0] == 'e' ? rating_levels[i].en : rating_levels[i].zh;
	return level;
}

static const char *json_text(arena_t *a, json_t *j)
{
	/* json_dumps(JSON_COMPACT | JSON_SORT_KEYS)'s bytes (base/jsonw.h) */
	const char *r = json_text_sorted(a, j);
	if (!r)
		r = "{}";
	return r;
}

static json_t *case_data(const pa_case_t *cs)
{
	json_t *d = cs->data ? json_loads(cs->data, 0, NULL) : NULL;
	if (!json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	return d;
}

static bool once_used(const pa_case_t *cs, const char *name)
{
	json_t *d = case_data(cs);
	json_t *once = json_object_get(d, "once");
	bool used = false;
	size_t i;
	json_t *v;
	json_array_foreach(once, i, v)
		if (streq(json_string_value(v), name))
			used = true;
	json_decref(d);
	return used;
}

/* owner: previous — the unit that owned the case before its last change of
 * owner, kept in data.previous_owner_org_id (e.g. rework goes back to the
 * department that handled it). */
static pa_id_t previous_owner(const pa_case_t *cs)
{
	json_t *d = case_data(cs);
	pa_id_t id = json_integer_value(json_object_get(d, "previous_owner_org_id"));
	json_decref(d);
	return id;
}

static const char *remember_previous_owner(arena_t *a, const pa_case_t *nc, pa_id_t owner)
{
	json_t *d = case_data(nc);
	json_object_set_new(d, "previous_owner_org_id", json_integer(owner));
	const char *text = json_text(a, d);
	json_decref(d);
	return text;
}

static const wf_def_t *def_of(pa_app_t *app, const pa_case_t *cs)
{
	return wf_registry_find(app->wf, cs->type);
}

static const char *org_name(const orgtree_t *t, pa_id_t id, const char *lang)
{
	const pa_org_t *o = orgtree_find(t, id);
	if (!o)
		return "";
	if (lang && lang[0] == 'e' && o->name_en && *o->name_en)
		return o->name_en;
	return o->name;
}

static void local_year(pa_app_t *app, pa_time_t t, int *year)
{
	int m, d;
	calendar_local_date(app->cal, t, year, &m, &d);
}

/* ---- create ------------------------------------------------------------------ */

struct create_tx {
	pa_app_t *app;
	arena_t *a;
	const wf_def_t *def;
	pa_case_t cs;
	pa_party_t party;
	bool has_party;
	pa_attachment_t *files;
	size_t nfiles;
	const char *actor;
	const char *actor_name;
	pa_id_t actor_user;
	pa_id_t actor_org;
	pa_id_t repeat_of;         /* the earlier case this one repeats (links.h), 0 = none */
	double repeat_similarity;
};

static int create_tx_fn(store_tx_t *tx, void *arg)
{
	struct create_tx *x = arg;
	int year;
	local_year(x->app, x->cs.created_at, &year);
	int64_t seq;
	int rc = store_tx_next_number(tx, x->def->number_prefix, year, &seq);
	if (rc < 0)
		return rc;
	x->cs.number = arena_printf(x->a, "%s-%d-%06lld", x->def->number_prefix, year, (long long)seq);
	if ((rc = store_tx_case_insert(tx, &x->cs, &x->cs.id)) < 0)
		return rc;
	if (x->has_party) {
		x->party.case_id = x->cs.id;
		if ((rc = store_tx_party_insert(tx, &x->party, &x->party.id)) < 0)
			return rc;
	}
	if (x->repeat_of &&
	    (rc = cases_link_repeat_tx(tx, x->a, x->cs.id, x->repeat_of, x->repeat_similarity,
	                               x->cs.created_at)) < 0)
		return rc;
	pa_event_t ev = {
		.case_id = x->cs.id, .at = x->cs.created_at, .kind = "created", .to_state = x->cs.state,
		.actor_user_id = x->actor_user, .actor_name = x->actor_name, .actor_org_id = x->actor_org,
		.public = true, .text = NULL,
		.data = arena_printf(x->a, "{\"channel\":\"%s\"}", x->cs.channel),
	};
	pa_id_t ev_id;
	if ((rc = store_tx_event_insert(tx, &ev, &ev_id)) < 0)
		return rc;
	for (size_t i = 0; i < x->nfiles; i++) {
		x->files[i].case_id = x->cs.id;
		x->files[i].event_id = ev_id;
		if ((rc = store_tx_attachment_insert(tx, &x->files[i], &x->files[i].id)) < 0)
			return rc;
	}
	strbuf_t d = STRBUF_INIT;
	strbuf_adds(&d, "{\"number\":");
	strbuf_add_json_str(&d, x->cs.number);
	strbuf_addf(&d, ",\"type\":\"%s\",\"state\":\"%s\",\"owner_org_id\":%lld,\"attachments\":%zu",
	            x->cs.type, x->cs.state, (long long)x->cs.owner_org_id, x->nfiles);
	if (x->repeat_of)
		strbuf_addf(&d, ",\"repeat_of\":%lld", (long long)x->repeat_of);
	strbuf_addch(&d, '}');
	rc = audit_append(tx, x->cs.created_at, x->actor, "case.create",
	                  arena_printf(x->a, "case:%lld", (long long)x->cs.id), d.buf);
	strbuf_release(&d);
	return rc;
}

static int seal_contact(pa_app_t *app, arena_t *a, const case_contact_t *c, pa_party_t *p,
                        pa_err_t *err)
{
	char uid[33];
	ordered_uid(uid);
	p->uid = arena_strdup(a, uid);
	struct { const char *v; pa_blob_t *out; const char *f; } f[] = {
		{ c->name, &p->name, "name" },
		{ c->phone, &p->phone, "phone" },
		{ c->id_number, &p->id_number, "id_number" },
		{ c->address, &p->address, "address" },
		{ c->email, &p->email, "email" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!f[i].v || !*f[i].v)
			continue;
		const char *aad = arena_printf(a, "party/%s/%s", uid, f[i].f);
		int rc = pii_seal(app->keys, a, aad, f[i].v, f[i].out);
		if (rc < 0)
			return pa_fail(err, rc, "internal", NULL, "could not encrypt personal data");
	}
	return 0;
}

static int check_contact(arena_t *a, case_contact_t *c, const char **phone_norm,
                         const char **id_norm, pa_err_t *err)
{
	int rc;
	if ((rc = check_text(c->name, "contact.name", true, CONTACT_NAME_MAX, err)) < 0)
		return rc;
	if ((rc = check_text(c->address, "contact.address", false, CONTACT_ADDRESS_MAX, err)) < 0)
		return rc;
	*phone_norm = *id_norm = NULL;
	if (c->email && !blank(c->email)) {
		const char *e = c->email;
		while (*e == ' ' || *e == '\t')
			e++;
		size_t n = strlen(e);
		while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
			n--;
		c->email = arena_strndup(a, e, n);
		if (n > CONTACT_EMAIL_MAX || !notify_email_valid(c->email))
			return pa_fail(err, PA_EINVAL, "validation", "contact.email",
			               "contact.email is not an e-mail address");
	} else {
		c->email = NULL;
	}
	if (c->phone && *c->phone) {
		*phone_norm = pii_normalize_phone(a, c->phone);
		if (!*phone_norm)
			return pa_fail(err, PA_EINVAL, "validation", "contact.phone",
			               "contact.phone is not a phone number");
		c->phone = *phone_norm;
	}
	if (c->id_number && *c->id_number) {
		*id_norm = pii_normalize_id_number(a, c->id_number);
		if (!*id_norm)
			return pa_fail(err, PA_EINVAL, "validation", "contact.id_number",
			               "contact.id_number is not a valid resident ID number");
		c->id_number = *id_norm;
	}
	return 0;
}

static int store_files(pa_app_t *app, arena_t *a, const case_file_t *files, size_t n, bool public,
                       pa_attachment_t **out, pa_err_t *err)
{
	if (n > (size_t)app->cfg->max_files)
		return pa_fail(err, PA_ETOOLARGE, "too-large", "files", "at most %d attachments",
		               app->cfg->max_files);
	pa_attachment_t *at = arena_zalloc(a, (n + 1) * sizeof(*at));
	for (size_t i = 0; i < n; i++) {
		char field[32];
		snprintf(field, sizeof(field), "files[%zu]", i);
		if ((int64_t)files[i].len > app->cfg->max_file)
			return pa_fail(err, PA_ETOOLARGE, "too-large", field,
			               "an attachment may be at most %lld bytes",
			               (long long)app->cfg->max_file);
		const char *mime = attach_sniff(files[i].data, files[i].len);
		if (!mime)
			return pa_fail(err, PA_EMEDIATYPE, "unsupported-media-type", field,
			               "attachments must be PDF, PNG, JPEG, GIF, WebP, plain text, DOCX or XLSX");
		char sha[65];
		int rc = attach_store(app->cfg->attachments_dir, files[i].data, files[i].len, sha, err);
		if (rc < 0)
			return rc;
		at[i].sha256 = arena_strdup(a, sha);
		at[i].name = attach_clean_name(a, files[i].name ? files[i].name : "attachment");
		at[i].mime = mime;
		at[i].size = (int64_t)files[i].len;
		at[i].public = public;
		at[i].created_at = pa_now();
	}
	*out = at;
	return 0;
}

/* The type's location: rule; a point is a finite WGS-84 latitude/longitude. */
static int check_location(const wf_def_t *def, const case_input_t *in, pa_err_t *err)
{
	bool has_address = in->address && !blank(in->address);
	if (def->location == WF_LOCATION_NONE && (in->has_point || in->address))
		return pa_fail(err, PA_EINVAL, "validation", "location",
		               "a case of type '%s' has no location", def->type);
	if (def->location == WF_LOCATION_REQUIRED && !in->has_point && !has_address)
		return pa_fail(err, PA_EINVAL, "validation", "location",
		               "location is required: a map point (lat, lng), an address, or both");
	if (in->has_point) {
		if (!isfinite(in->lat) || in->lat < -90 || in->lat > 90)
			return pa_fail(err, PA_EINVAL, "validation", "location.lat",
			               "location.lat must be a latitude from -90 to 90");
		if (!isfinite(in->lng) || in->lng < -180 || in->lng > 180)
			return pa_fail(err, PA_EINVAL, "validation", "location.lng",
			               "location.lng must be a longitude from -180 to 180");
	}
	return check_text(in->address, "location.address", false, LOCATION_ADDRESS_MAX, err);
}

int cases_check_input(const wf_registry_t *wf, const case_input_t *in, bool staff,
                      const wf_def_t **def_out, const wf_category_t **cat_out, pa_err_t *err)
{
	int rc;
	if (!in->type || !*in->type)
		return pa_fail(err, PA_EINVAL, "validation", "type", "type is required");
	const wf_def_t *def = wf_registry_find(wf, in->type);
	if (!def)
		return pa_fail(err, PA_EINVAL, "validation", "type", "unknown case type '%s'", in->type);
	if (!staff && !def->public_submit)
		return pa_fail(err, PA_EINVAL, "validation", "type",
		               "a case of type '%s' cannot be submitted by the public", in->type);
	if (!in->category || !*in->category)
		return pa_fail(err, PA_EINVAL, "validation", "category", "category is required");
	const wf_category_t *cat = wf_find_category(def, in->category);
	if (!cat)
		return pa_fail(err, PA_EINVAL, "validation", "category", "unknown category '%s'",
		               in->category);
	if (cat->has_children)
		return pa_fail(err, PA_EINVAL, "validation", "category",
		               "category '%s' has subcategories: choose one of them", in->category);
	if ((rc = check_text(in->title, "title", true, CASE_TITLE_MAX, err)) < 0 ||
	    (rc = check_text(in->body, "body", true, CASE_BODY_MAX, err)) < 0)
		return rc;
	const char *channel = in->channel && *in->channel ? in->channel : "web";
	bool channel_ok = false;
	for (size_t i = 0; i < ARRAY_SIZE(channels); i++)
		if (streq(channel, channels[i].code))
			channel_ok = staff ? channels[i].staff : channels[i].public;
	if (!channel_ok)
		return pa_fail(err, PA_EINVAL, "validation", "channel", "channel '%s' is not allowed here",
		               channel);
	if ((rc = check_location(def, in, err)) < 0)
		return rc;
	if (in->accused_org_id && !cat->accusation)
		return pa_fail(err, PA_EINVAL, "validation", "accused_org_id",
		               "only an accusation names an accused unit");
	if (!in->has_contact && !staff && !cat->accusation && !def->contact_anonymous)
		return pa_fail(err, PA_EINVAL, "validation", "contact",
		               "contact is required (only accusations may be anonymous)");
	if (in->has_contact) {
		if ((rc = check_text(in->contact.name, "contact.name", true, CONTACT_NAME_MAX, err)) < 0 ||
		    (rc = check_text(in->contact.address, "contact.address", false, CONTACT_ADDRESS_MAX, err)) < 0 ||
		    (rc = check_text(in->contact.phone, "contact.phone", false, 40, err)) < 0 ||
		    (rc = check_text(in->contact.id_number, "contact.id_number", false, 40, err)) < 0)
			return rc;
	}
	if (def_out)
		*def_out = def;
	if (cat_out)
		*cat_out = cat;
	return 0;
}

int cases_create(pa_app_t *app, arena_t *a, const pa_principal_t *p, const case_input_t *in,
                 pa_case_t *out, char query_code[PA_QUERY_CODE_LEN + 1], pa_err_t *err)
{
	const wf_def_t *def;
	const wf_category_t *cat;
	int rc = cases_check_input(app->wf, in, p->kind == PRINCIPAL_STAFF, &def, &cat, err);
	if (rc < 0)
		return rc;
	const char *channel = in->channel && *in->channel ? in->channel : "web";

	orgtree_t *tree = orgcache_get(app->orgs);
	pa_id_t intake = 0;
	if (p->kind == PRINCIPAL_STAFF) {
		/* the unit where the user holds the first role the type lets register */
		for (size_t i = 0; i < def->nregister_roles && !intake; i++)
			intake = authz_org_for_role(p, def->register_roles[i]);
		if (!intake) {
			orgtree_release(tree);
			return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
			               "your roles may not register a %s", def->type);
		}
	} else {
		const pa_org_t *o = orgtree_find_code(tree, app->cfg->intake_org);
		intake = o ? o->id : 0;
		if (!intake) {
			orgtree_release(tree);
			log_error("intake_org '%s' does not exist: public submissions cannot be routed",
			          app->cfg->intake_org);
			return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL,
			               "submissions cannot be received right now");
		}
	}
	pa_id_t owner = intake;
	if (in->accused_org_id) {
		const pa_org_t *acc = orgtree_find(tree, in->accused_org_id);
		if (!acc || !acc->is_unit)
			rc = pa_fail(err, PA_EINVAL, "validation", "accused_org_id", "no unit with id %lld",
			             (long long)in->accused_org_id);
		else if (orgtree_is_within(tree, owner, in->accused_org_id)) {
			/* Never route an accusation to the unit it accuses (XF art. 30):
			 * it goes to the discipline commission instead. */
			owner = orgtree_nearest_kind(tree, owner, "discipline_commission");
			if (!owner || orgtree_is_within(tree, owner, in->accused_org_id))
				rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "accused_org_id",
				             "no unit outside the accused one can receive this accusation");
		}
	}
	orgtree_release(tree);
	if (rc < 0)
		return rc;

	struct create_tx x = { .app = app, .a = a, .def = def };
	case_contact_t contact = in->contact;
	if (in->has_contact) {
		const char *phone_norm, *id_norm;
		if ((rc = check_contact(a, &contact, &phone_norm, &id_norm, err)) < 0)
			return rc;
		if ((rc = seal_contact(app, a, &contact, &x.party, err)) < 0)
			return rc;
		if (phone_norm) {
			char *h = arena_alloc(a, PA_HASH_HEX);
			pii_lookup_hash(app->keys, "phone", phone_norm, h);
			x.party.phone_hash = h;
		}
		if (id_norm) {
			char *h = arena_alloc(a, PA_HASH_HEX);
			pii_lookup_hash(app->keys, "id", id_norm, h);
			x.party.id_hash = h;
		}
		x.party.role = def->contact_role;
		if (streq(in->lang, "zh-CN") || streq(in->lang, "en"))
			x.party.lang = in->lang;
		x.has_party = true;
	}
	if ((rc = store_files(app, a, in->files, in->nfiles, p->kind == PRINCIPAL_PUBLIC, &x.files,
	                      err)) < 0)
		return rc;
	x.nfiles = in->nfiles;

	pa_time_t now = pa_now();
	query_code_new(query_code);
	char *qhash = arena_alloc(a, PA_HASH_HEX);
	pii_lookup_hash(app->keys, "query", query_code, qhash);
	const wf_state_t *st = wf_find_state(def, def->initial);
	pa_time_t due = 0;
	if ((rc = wf_case_state_due(app->cal, def, cat->code, st, now, now, &due)) < 0)
		return pa_fail(err, rc, "internal", NULL, "could not compute the due time");
	x.cs = (pa_case_t){
		.type = def->type, .category = cat->code, .title = in->title, .body = in->body,
		.channel = channel, .state = st->name, .is_open = !st->terminal, .intake_org_id = intake,
		.owner_org_id = owner, .accused_org_id = in->accused_org_id, .created_at = now,
		.updated_at = now, .state_entered_at = now, .due_at = due ? due : PA_NO_DUE,
		.query_hash = qhash, .data = "{}", .version = 1,
		.has_point = in->has_point, .lat = in->lat, .lng = in->lng,
		.address = in->address && !blank(in->address) ? in->address : NULL,
	};
	x.actor = authz_actor(p, a);
	x.actor_name = p->kind == PRINCIPAL_STAFF ? p->display_name : "public";
	x.actor_user = p->kind == PRINCIPAL_STAFF ? p->user_id : 0;
	x.actor_org = p->kind == PRINCIPAL_STAFF ? intake : 0;
	/* Repeat detection (read-only, never refuses): the same party with a
	 * similar text within repeat.window_days gets a repeat_of link. */
	cases_find_repeat(app, a, in->title, in->body, x.party.phone_hash, x.party.id_hash, now,
	                  &x.repeat_of, &x.repeat_similarity);
	if (x.repeat_of || in->media_url || def->participants_only ||
	    in->enterprise_related) {
		json_t *d = json_object();
		if (x.repeat_of) {
			json_object_set_new(d, "repeat", json_true());
			json_object_set_new(d, "repeat_of", json_integer(x.repeat_of));
		}
		if (in->media_url)
			json_object_set_new(d, "media_url", json_string(in->media_url));
		if (def->participants_only) {  /* authz rule 5 */
			json_object_set_new(d, "participants", json_array());
			json_object_set_new(d, "participants_only", json_true());
		}
		if (in->enterprise_related)
			json_object_set_new(d, "enterprise_related", json_true());
		char *txt = json_dumps(d, JSON_COMPACT);
		x.cs.data = arena_strdup(a, txt ? txt : "{}");
		free(txt);
		json_decref(d);
	}
	/* Every check that can refuse a submission ran above; create_tx_fn fails
	 * only when the store does (its number comes from the writer batch and
	 * its writes are inserts of new rows), so it needs no savepoint of its
	 * own (store_write_checked): a failure after its first write takes its
	 * batch with it, never half of it. */
	if ((rc = store_write_checked(app->store, create_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.cs;
	return 0;
}

/* ---- read ------------------------------------------------------------------------ */

struct view_tx {
	const char *actor;
	const char *object;
	const char *action;
	const char *detail;
};

static int view_tx_fn(store_tx_t *tx, void *arg)
{
	struct view_tx *v = arg;
	return audit_append(tx, pa_now(), v->actor, v->action, v->object, v->detail);
}

int cases_get(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id, bool audit_view,
              pa_case_t *out, pa_err_t *err)
{
	int rc = store_case_get(store_reader(app->store), a, id, out);
	if (rc == 0 && !authz_can_see_case(p, out))
		rc = PA_ENOTFOUND;
	if (rc == PA_ENOTFOUND)
		return pa_fail(err, rc, "not-found", NULL, "no case %lld", (long long)id);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the case");
	if (audit_view && p->kind == PRINCIPAL_STAFF) {
		struct view_tx v = { authz_actor(p, a), arena_printf(a, "case:%lld", (long long)id),
		                     "case.view", NULL };
		if ((rc = store_write(app->store, view_tx_fn, &v, err)) < 0)
			return rc;
	}
	return 0;
}

int cases_get_public(pa_app_t *app, arena_t *a, const char *number, const char *code,
                     const char *client_ip, pa_case_t *out, pa_err_t *err)
{
	/* One answer for a wrong number and a wrong code, so numbers can't be probed. */
	const char *norm = code ? query_code_normalize(a, code) : NULL;
	int rc = PA_ENOTFOUND;
	if (norm && number && strlen(number) < 64)
		rc = store_case_get_by_number(store_reader(app->store), a, number, out);
	if (rc < 0 && rc != PA_ENOTFOUND)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the case");
	if (rc == 0) {
		char h[PA_HASH_HEX];
		pii_lookup_hash(app->keys, "query", norm, h);
		if (!out->query_hash || !ct_streq(h, out->query_hash))
			rc = PA_ENOTFOUND;
	}
	if (rc == PA_ENOTFOUND) {
		int retry = 0;
		char key[RATELIMIT_KEY_MAX];
		snprintf(key, sizeof(key), "code:%s", client_ip ? client_ip : "-");
		if (!ratelimit_take(app->code_rl, key, pa_mono_us() / 1000, &retry)) {
			err->retry_after = retry;
			return pa_fail(err, PA_ERATE, "rate-limited", "code",
			               "too many wrong query codes; try again later");
		}
		return pa_fail(err, PA_ENOTFOUND, "not-found", "code",
		               "no case with that number and query code");
	}
	return 0;
}

int cases_list(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_case_filter_t *f,
               pa_case_t **out, size_t *n, bool *more, pa_err_t *err)
{
	authz_case_filter(p, a, app->wf, f);
	if (!f->all_orgs && f->nvisible == 0) {
		*out = NULL;
		*n = 0;
		*more = false;
		return 0;
	}
	int rc = store_case_list(store_reader(app->store), a, f, out, n, more);
	if (rc < 0)
		return pa_fail(err, rc, rc == PA_EINVAL ? "validation" : "unavailable", NULL,
		               "could not list cases");
	/* authz rule 5 (cases limited to their participants) is not part of the
	 * SQL visibility filter: drop what the viewer may not see.  A page may
	 * come back shorter; its cursor still moves on. */
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (authz_can_see_case(p, &(*out)[i]))
			(*out)[k++] = (*out)[i];
	*n = k;
	return 0;
}

/* ---- transitions ------------------------------------------------------------------- */

pa_time_t cases_window_end(pa_app_t *app, const pa_case_t *cs, const wf_transition_t *t)
{
	return wf_window_end(app->cal, t, cs->created_at, cs->state_entered_at);
}

size_t cases_allowed_actions(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                             const pa_case_t *cs, const wf_transition_t ***out)
{
	const wf_def_t *def = def_of(app, cs);
	*out = NULL;
	if (!def || case_merged_into(cs))
		return 0;
	if (cs->data && strstr(cs->data, "\"pending_approval\""))
		return 0;  /* a proposal waits: it is decided first (records.h) */
	const wf_transition_t **list = arena_alloc(a, (def->ntransitions + 1) * sizeof(*list));
	size_t n = 0;
	pa_time_t now = pa_now();
	for (size_t i = 0; i < def->ntransitions; i++) {
		const wf_transition_t *t = &def->transitions[i];
		if (!wf_transition_leaves(t, cs->state) || !authz_may_take(p, cs, t, NULL))
			continue;
		if (t->once && once_used(cs, t->name))
			continue;
		if (!wf_window_open(app->cal, t, cs->created_at, cs->state_entered_at, now))
			continue;
		list[n++] = t;
	}
	*out = list;
	return n;
}

/*
 * What a step writes besides the case row, worked out in full: the
 * transition event's data, the audit record's detail, and for a step with a
 * notice its text, the notice event's data (around the transition event's
 * id, which only the write knows), the outbox messages (notify.h) and the
 * document (docgen.h).  step_prepare() makes it; step_write_tx() only
 * inserts.
 */
struct act_step {
	const char *event_data;
	const char *audit_detail;
	const wf_notice_t *nt;                 /* NULL: the step has no notice */
	const char *notice_text;
	const char *notice_data, *notice_data_after;   /* before and after the event id */
	notify_prepared_t *msgs;
	bool doc;
	pa_document_t d;
};

/*
 * A step prepared on the request's thread (plan_step) from the case as the
 * caller read it: everything in act_step depends only on the case row (its
 * version), the step, its fields, the principal, the time and the org
 * snapshot, and parties never change after intake — so when the writer
 * reads the same version and holds the same snapshot, the writer only
 * inserts; otherwise it prepares the step again itself.
 */
struct act_plan {
	bool ready;
	bool closes;               /* the step closes the case (handover_end_tx may follow) */
	int version;
	const orgtree_t *tree;     /* held by run_transition until the write returns */
	struct act_step step;
};

struct act_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	const wf_def_t *def;
	const wf_transition_t *t;
	const json_t *fields;
	pa_id_t case_id;
	int expected_version;
	pa_time_t now;
	pa_case_t out;
	pa_err_t *err;
	/* approvals (workflow `approval:`): propose records a pending proposal
	 * instead of taking the step; approved applies a pending one (the
	 * approver need not hold the step's roles; approval_data goes on the
	 * event).  See the "approvals" block below. */
	bool propose;
	bool approved;
	json_t *approval_data;
	int depth;                 /* nested hand-over ends (bounded by WF_HANDOVER_DEPTH) */
	struct act_plan plan;      /* made before the write (plan_step), used when it fits */
	const pa_case_t *read;     /* the case as the request read it (the plan's), or NULL */
};

static int ext_check_tx(store_tx_t *tx, struct act_tx *x, const pa_case_t *cs);
static int act_checks(store_tx_t *tx, struct act_tx *x, const pa_case_t *cs);
/* A step that requires records fills its notice and document from them too:
 * the fields of the current record of each required kind, under their own
 * names (the step's own fields win).  Enums give their label, org fields the
 * unit's name, as for a step's fields. */
static int record_vars(store_conn_t *c, struct act_tx *x, const orgtree_t *tree,
                       pa_id_t case_id, json_t *vzh, json_t *ven)
{
	pa_record_t *rs = NULL;
	size_t n = 0;
	int rc = store_records_of_case(c, x->a, case_id, &rs, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < x->t->nrequires; i++) {
		const wf_record_kind_t *rk = wf_find_record_kind(x->def, x->t->requires[i]);
		const pa_record_t *cur = NULL;
		for (size_t k = 0; k < n; k++)
			if (!rs[k].superseded && streq(rs[k].kind, x->t->requires[i]))
				cur = &rs[k];
		json_t *f = cur && rk ? json_loads(cur->fields, 0, NULL) : NULL;
		for (size_t k = 0; f && k < rk->nfields; k++) {
			const wf_field_t *fd = &rk->fields[k];
			json_t *v = json_object_get(f, fd->name);
			if (!v || json_object_get(vzh, fd->name))
				continue;
			for (int lang = 0; lang < 2; lang++) {
				json_t *vars = lang ? ven : vzh;
				const char *l = lang ? "en" : "zh-CN";
				if (fd->type == WF_FIELD_ENUM) {
					for (size_t m = 0; m < fd->nvalues; m++)
						if (streq(json_string_value(v), fd->values[m].code))
							json_object_set_new(vars, fd->name,
							                    json_string(wf_label(&fd->values[m].label, l)));
				} else if (fd->type == WF_FIELD_ORG && json_is_integer(v)) {
					json_object_set_new(vars, fd->name,
					                    json_string(org_name(tree, json_integer_value(v), l)));
				} else if (!json_is_boolean(v)) {
					json_object_set(vars, fd->name, v);
				}
			}
		}
		json_decref(f);
	}
	return 0;
}

static int propose_tx(store_tx_t *tx, struct act_tx *x, const pa_case_t *cs);
static int handover_open_tx(store_tx_t *tx, struct act_tx *x, const orgtree_t *tree,
                            const pa_case_t *from, pa_case_t *opened);
static int handover_end_tx(store_tx_t *tx, struct act_tx *x, const pa_case_t *ended);

/* Vars for notice templates: built-ins and the action's fields, enums as labels. */
static json_t *notice_vars(pa_app_t *app, const orgtree_t *tree, const wf_transition_t *t,
                           const pa_case_t *cs, const json_t *fields, pa_time_t now,
                           const char *lang)
{
	json_t *v = json_object();
	char buf[32];
	json_object_set_new(v, "number", json_string(cs->number));
	json_object_set_new(v, "title", json_string(cs->title));
	pa_time_format(now, app->cfg->utc_offset_min, buf);
	buf[10] = '\0';
	json_object_set_new(v, "date", json_string(buf));
	json_object_set_new(v, "unit", json_string(org_name(tree, cs->owner_org_id, lang)));
	if (cs->due_at != PA_NO_DUE) {
		pa_time_format(cs->due_at, app->cfg->utc_offset_min, buf);
		buf[10] = '\0';
		json_object_set_new(v, "due", json_string(buf));
	} else {
		json_object_set_new(v, "due", json_string(""));
	}
	for (size_t i = 0; i < t->nfields; i++) {
		const wf_field_t *f = &t->fields[i];
		json_t *val = json_object_get(fields, f->name);
		if (!val)
			continue;
		if (f->type == WF_FIELD_ENUM) {
			const char *code = json_string_value(val);
			for (size_t k = 0; k < f->nvalues; k++)
				if (streq(code, f->values[k].code))
					json_object_set_new(v, f->name,
					                    json_string(wf_label(&f->values[k].label, lang)));
		} else if (f->type == WF_FIELD_ORG && json_is_integer(val)) {
			json_object_set_new(v, f->name,
			                    json_string(org_name(tree, json_integer_value(val), lang)));
		} else {
			json_object_set(v, f->name, val);
		}
	}
	return v;
}

/*
 * Every unit an action names (org fields: a transfer's receiving authority,
 * not only the new owner) must exist, and is never the unit the case
 * accuses or one under it — a tip is never sent to whom it accuses.
 */
static int check_org_fields(arena_t *a, const orgtree_t *tree, const wf_transition_t *t,
                            const json_t *fields, const pa_case_t *cs, pa_err_t *err)
{
	for (size_t i = 0; i < t->nfields; i++) {
		const wf_field_t *f = &t->fields[i];
		json_t *v = f->type == WF_FIELD_ORG ? json_object_get(fields, f->name) : NULL;
		if (!json_is_integer(v))
			continue;
		pa_id_t id = json_integer_value(v);
		const pa_org_t *o = orgtree_find(tree, id);
		const char *field = arena_printf(a, "fields.%s", f->name);
		if (!o || !o->is_unit || o->disabled)
			return pa_fail(err, PA_EINVAL, "validation", field, "no active unit with id %lld",
			               (long long)id);
		if (cs->accused_org_id && orgtree_is_within(tree, id, cs->accused_org_id))
			return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", field,
			               "a case may never go to the unit it accuses, or a unit under it");
	}
	return 0;
}

/* The case after step x->t from cs: owner, state, limit, data (not yet
 * written).  Fails naming the field when the new owner is not allowed. */
static int next_case(struct act_tx *x, const orgtree_t *tree, const pa_case_t *cs, pa_case_t *nc,
                     pa_err_t *err)
{
	const wf_transition_t *t = x->t;
	*nc = *cs;
	int rc = 0;
	/* new owner */
	const char *owner = t->owner ? t->owner : "keep";
	pa_id_t new_owner = cs->owner_org_id;
	if (strncmp(owner, "field:", 6) == 0) {
		json_t *v = json_object_get(x->fields, owner + 6);
		new_owner = json_integer_value(v);
		const pa_org_t *o = orgtree_find(tree, new_owner);
		if (!o || !o->is_unit || o->disabled)
			rc = pa_fail(err, PA_EINVAL, "validation",
			             arena_printf(x->a, "fields.%s", owner + 6), "no active unit with id %lld",
			             (long long)new_owner);
	} else if (streq(owner, "intake")) {
		new_owner = cs->intake_org_id;
	} else if (streq(owner, "previous")) {
		new_owner = previous_owner(cs);
		if (!new_owner)
			rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", NULL,
			             "the case has had no other unit to send it back to");
	} else if (streq(owner, "superior")) {
		/* The reviewing unit: the owner's superior, else (top of the district)
		 * the petition office that registered it, else the government, else
		 * the discipline commission (XF art. 30) — never the owner itself,
		 * never an accused unit or one under it. */
		pa_id_t cand[4] = { orgtree_superior(tree, cs->owner_org_id), cs->intake_org_id,
			                orgtree_nearest_kind(tree, cs->owner_org_id, "government"),
			                orgtree_nearest_kind(tree, cs->owner_org_id, "discipline_commission") };
		new_owner = 0;
		for (size_t i = 0; i < ARRAY_SIZE(cand) && !new_owner; i++)
			if (cand[i] && cand[i] != cs->owner_org_id &&
			    !(cs->accused_org_id && orgtree_is_within(tree, cand[i], cs->accused_org_id)))
				new_owner = cand[i];
		if (!new_owner)
			rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", NULL,
			             "there is no unit above the handling unit to review this case");
	} else if (strncmp(owner, "kind:", 5) == 0) {
		new_owner = orgtree_nearest_kind(tree, cs->owner_org_id, owner + 5);
		if (!new_owner)
			rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", NULL,
			             "there is no %s unit to route this case to", owner + 5);
	}
	if (rc == 0 && cs->accused_org_id && orgtree_is_within(tree, new_owner, cs->accused_org_id))
		rc = pa_fail(err, PA_EUNPROCESSABLE, "unprocessable",
		             strncmp(owner, "field:", 6) == 0 ? arena_printf(x->a, "fields.%s", owner + 6)
		                                              : NULL,
		             "a case may never go to the unit it accuses, or a unit under it");
	if (rc == 0)
		rc = check_org_fields(x->a, tree, t, x->fields, cs, err);
	if (rc < 0)
		return rc;
	nc->owner_org_id = new_owner;
	if (new_owner != cs->owner_org_id)
		nc->assignee_id = 0;

	const wf_state_t *to = wf_find_state(x->def, t->to);
	nc->state = to->name;
	nc->is_open = !to->terminal;
	nc->updated_at = x->now;
	if (t->has_due_add) {
		int amount = t->due_add_field
		                 ? (int)json_integer_value(json_object_get(x->fields, t->due_add_field))
		                 : t->due_add_amount;
		pa_time_t base = cs->due_at != PA_NO_DUE ? cs->due_at : x->now;
		pa_time_t due;
		if ((rc = calendar_add(x->app->cal, base, amount, t->due_add_unit, &due)) < 0)
			return pa_fail(err, rc, "validation", NULL, "could not extend the due time");
		nc->due_at = due;
		nc->overdue = due <= x->now;
	} else if (!streq(t->to, cs->state)) {
		nc->state_entered_at = x->now;
		pa_time_t due = 0;
		wf_case_state_due(x->app->cal, x->def, cs->category, to, cs->created_at, x->now, &due);
		nc->due_at = due ? due : PA_NO_DUE;
		nc->overdue = false;
	}
	if (t->once || x->approved) {
		json_t *d = case_data(cs);
		if (t->once) {
			json_t *once = json_object_get(d, "once");
			if (!json_is_array(once)) {
				once = json_array();
				json_object_set_new(d, "once", once);
			}
			json_array_append_new(once, json_string(t->name));
		}
		json_object_del(d, "pending_approval");
		nc->data = json_text(x->a, d);
		json_decref(d);
	}
	if (new_owner != cs->owner_org_id)
		nc->data = remember_previous_owner(x->a, nc, cs->owner_org_id);
	return 0;
}

/* The id of the transition event in the notice event's data: written in
 * the write, between the text before and after this mark. */
#define STEP_EVENT_MARK "\"event_id\":0"

/* Everything the step writes besides the case row (struct act_step), from
 * cs (before) and nc (after), reading on c what it needs (the records a
 * step requires, the parties); opened is the case a hand-over opened. */
static int step_prepare(struct act_tx *x, store_conn_t *c, const orgtree_t *tree,
                        const pa_case_t *cs, const pa_case_t *nc, const pa_case_t *opened,
                        struct act_step *s, pa_err_t *err)
{
	const wf_transition_t *t = x->t;
	memset(s, 0, sizeof(*s));
	/* the event's data, then the audit detail: the same members and three
	 * more, each written in key order without a tree (base/jsonw.h) */
	json_t *no_fields = x->fields ? NULL : json_object();
	jsonw_member_t m[12];
	size_t n = 0;
	m[n++] = (jsonw_member_t){ "fields", JSONW_JSON, .json = x->fields ? x->fields : no_fields };
	if (x->approval_data)
		m[n++] = (jsonw_member_t){ "approval", JSONW_JSON, .json = x->approval_data };
	if (nc->owner_org_id != cs->owner_org_id) {
		m[n++] = (jsonw_member_t){ "from_org_id", JSONW_INT, .num = cs->owner_org_id };
		m[n++] = (jsonw_member_t){ "to_org_id", JSONW_INT, .num = nc->owner_org_id };
	}
	char due[32];
	if (nc->due_at != cs->due_at && nc->due_at != PA_NO_DUE) {
		pa_time_format(nc->due_at, x->app->cfg->utc_offset_min, due);
		m[n++] = (jsonw_member_t){ "due_at", JSONW_STR, .str = due };
	}
	if (opened) {
		/* the case it opens: its number goes on this step's event, which the
		 * handler sees even when the new case belongs to another unit */
		m[n++] = (jsonw_member_t){ "handover_case", JSONW_STR, .str = opened->number };
		m[n++] = (jsonw_member_t){ "handover_case_id", JSONW_INT, .num = opened->id };
	}
	s->event_data = json_members_text(x->a, m, n);
	m[n++] = (jsonw_member_t){ "from", JSONW_STR, .str = cs->state };
	m[n++] = (jsonw_member_t){ "to", JSONW_STR, .str = nc->state };
	m[n++] = (jsonw_member_t){ "action", JSONW_STR, .str = t->name };
	s->audit_detail = json_members_text(x->a, m, n);
	json_decref(no_fields);
	if (!s->event_data)
		s->event_data = "{}";
	if (!s->audit_detail)
		s->audit_detail = "{}";
	if (!t->notice)
		return 0;

	const wf_notice_t *nt = wf_find_notice(x->def, t->notice);
	json_t *vzh = notice_vars(x->app, tree, t, nc, x->fields, x->now, "zh-CN");
	json_t *ven = notice_vars(x->app, tree, t, nc, x->fields, x->now, "en");
	int rc = t->nrequires ? record_vars(c, x, tree, cs->id, vzh, ven) : 0;
	if (rc == 0) {
		char *title_zh = NULL, *title_en = NULL;
		char *body_zh = wf_render_notice(x->a, nt, "zh-CN", vzh, &title_zh);
		char *body_en = wf_render_notice(x->a, nt, "en", ven, &title_en);
		const jsonw_member_t nd[] = {
			{ "notice", JSONW_STR, .str = nt->name },
			{ "title", JSONW_STR, .str = title_zh ? title_zh : "" },
			{ "title_en", JSONW_STR, .str = title_en ? title_en : "" },
			{ "text_en", JSONW_STR, .str = body_en ? body_en : "" },
			{ "event_id", JSONW_INT, .num = 0 },
		};
		/* a quote inside a JSON string is escaped: the mark is the member itself */
		const char *text = json_members_text(x->a, nd, ARRAY_SIZE(nd));
		const char *at = text ? strstr(text, STEP_EVENT_MARK) : NULL;
		if (!at) {
			json_decref(vzh);
			json_decref(ven);
			return pa_fail(err, PA_EINTERNAL, "internal", NULL, "could not write the notice");
		}
		s->nt = nt;
		s->notice_text = body_zh;
		s->notice_data = arena_strndup(x->a, text, (size_t)(at - text) + strlen(STEP_EVENT_MARK) - 1);
		s->notice_data_after = at + strlen(STEP_EVENT_MARK);
		/* the public and the owning unit are told; the step's written document (文书) */
		notify_notice_t nn = { .notice = nt->name, .action = t->name, .title_zh = title_zh,
			                   .text_zh = body_zh, .title_en = title_en, .text_en = body_en };
		rc = notify_prepare_notice(x->app, c, x->a, nc, &nn, x->now, &s->msgs, err);
		if (rc == 0)
			s->doc = docgen_prepare(x->app, x->a, nc, cs->owner_org_id, t->name, nt->name, vzh,
			                        ven, authz_actor(x->p, x->a), x->now, &s->d);
	}
	json_decref(vzh);
	json_decref(ven);
	return rc;
}

/* The step's inserts: its event, its notice (event, outbox, document) and
 * its audit record, in that order. */
static int step_write_tx(store_tx_t *tx, struct act_tx *x, const pa_case_t *cs, const pa_case_t *nc,
                         const struct act_step *s)
{
	const char *actor_name = x->p->kind == PRINCIPAL_STAFF ? x->p->display_name
	                         : x->p->kind == PRINCIPAL_PUBLIC ? "public" : "system";
	pa_id_t actor_user = x->p->kind == PRINCIPAL_STAFF ? x->p->user_id : 0;
	pa_id_t actor_org = x->p->kind == PRINCIPAL_STAFF ? cs->owner_org_id : 0;
	pa_event_t ev = {
		.case_id = cs->id, .at = x->now, .kind = "transition", .action = x->t->name,
		.from_state = cs->state, .to_state = nc->state, .actor_user_id = actor_user,
		.actor_name = actor_name, .actor_org_id = actor_org, .public = x->t->public,
		.data = s->event_data,
	};
	pa_id_t ev_id;
	int rc = store_tx_event_insert(tx, &ev, &ev_id);
	if (rc == 0 && s->nt) {
		pa_event_t ne = {
			.case_id = cs->id, .at = x->now, .kind = "notice", .action = x->t->name,
			.actor_user_id = actor_user, .actor_name = actor_name, .actor_org_id = actor_org,
			.public = true, .text = s->notice_text,
			.data = arena_splice_int(x->a, s->notice_data, (long long)ev_id,
			                         s->notice_data_after),
		};
		pa_id_t ne_id;
		rc = store_tx_event_insert(tx, &ne, &ne_id);
		if (rc == 0)
			rc = notify_tx_queue(tx, x->a, s->msgs, ne_id);
		if (rc == 0 && s->doc)
			rc = docgen_tx_insert(tx, x->app, &s->d, ev_id);
	}
	if (rc == 0)
		rc = audit_append_object(tx, x->now, authz_actor(x->p, x->a), "case.transition",
		                         arena_printf(x->a, "case:%lld", (long long)cs->id),
		                         s->audit_detail);
	return rc;
}

/* The step on the case as cs_in has it.  With `ahead` (a prepared step, cs_in
 * the case as the request read it), any refusal before the case's UPDATE,
 * and that UPDATE finding another version, is ACT_STALE: nothing written,
 * the caller reads the case and decides on that.  Any other failure is the
 * job's. */
#define ACT_STALE 1
static int act_case(store_tx_t *tx, struct act_tx *x, const pa_case_t *cs_in, bool ahead)
{
	pa_err_t *err = store_tx_err(tx);
	const wf_transition_t *t = x->t;
	pa_case_t cs = *cs_in;
	int rc = act_checks(tx, x, &cs);
	if (rc < 0 && ahead) {
		pa_err_clear(err);
		return ACT_STALE;
	}
	if (rc < 0)
		return rc;
	if (x->propose)
		return propose_tx(tx, x, &cs);

	orgtree_t *tree = orgcache_get(x->app->orgs);
	pa_case_t nc;
	rc = next_case(x, tree, &cs, &nc, err);
	if (rc == 0)
		rc = store_tx_case_update(tx, &nc);
	if (rc < 0) {
		orgtree_release(tree);
		if (ahead && rc == PA_ECONFLICT) {  /* another version: nothing written */
			pa_err_clear(err);
			return ACT_STALE;
		}
		return rc;
	}
	nc.version++;
	const struct act_step *s = &x->plan.step;
	struct act_step here;
	if (!x->plan.ready || x->plan.version != cs.version || x->plan.tree != tree) {
		/* the case changed since the request read it (or nothing was
		 * prepared): work the step out here */
		pa_case_t opened = { 0 };
		if (t->handover_type)
			rc = handover_open_tx(tx, x, tree, &nc, &opened);
		if (rc == 0)
			rc = step_prepare(x, store_tx_conn(tx), tree, &cs, &nc,
			                  t->handover_type ? &opened : NULL, &here, err);
		s = &here;
	}
	orgtree_release(tree);
	if (rc == 0)
		rc = step_write_tx(tx, x, &cs, &nc, s);
	if (rc < 0)
		return rc;
	x->out = nc;
	if (!nc.is_open && cs.is_open)
		return handover_end_tx(tx, x, &nc);
	return 0;
}

/* A prepared step is tried on the case as the request read it: the case's
 * UPDATE (WHERE version = …) tells whether it is still that case, so the
 * writer reads the case again only when it is not (a read was ~3 % of the
 * writer's time per action, bench/types_bench.sh). */
static int act_tx_fn(store_tx_t *tx, void *arg)
{
	struct act_tx *x = arg;
	if (x->plan.ready && x->read && x->read->id == x->case_id) {
		int rc = act_case(tx, x, x->read, true);
		if (rc != ACT_STALE)
			return rc;
	}
	pa_case_t cs;
	int rc = store_case_get(store_tx_conn(tx), x->a, x->case_id, &cs);
	if (rc < 0)
		return rc;
	return act_case(tx, x, &cs, false);
}

/* What refuses the step on case cs, before anything is written. */
static int act_checks(store_tx_t *tx, struct act_tx *x, const pa_case_t *csp)
{
	pa_err_t *err = store_tx_err(tx);
	const wf_transition_t *t = x->t;
	const pa_case_t cs = *csp;
	int rc;
	if (x->expected_version > 0 && cs.version != x->expected_version)
		return pa_fail(err, PA_ECONFLICT, "conflict", "version",
		               "the case changed since you loaded it (now version %d); reload it",
		               cs.version);
	if (case_merged_into(&cs))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the case was merged into another case; act on that one");
	if (!wf_transition_leaves(t, cs.state))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "'%s' cannot be taken in state '%s'", t->name, cs.state);
	if (t->once && once_used(&cs, t->name))
		return pa_fail(err, PA_ECONFLICT, "once-only", NULL, "'%s' may be taken only once",
		               t->name);
	if (!wf_window_open(x->app->cal, t, cs.created_at, cs.state_entered_at, x->now))
		return pa_fail(err, PA_ECONFLICT, "window-closed", NULL,
		               "the time window for '%s' has closed", t->name);
	if (x->p->kind != PRINCIPAL_SYSTEM && !x->approved && !authz_may_take(x->p, &cs, t, NULL))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL, "you may not take '%s' on this case",
		               t->name);
	if ((rc = ext_check_tx(tx, x, &cs)) < 0)
		return rc;
	return 0;
}

/* Prepares the step on the request's thread (struct act_plan) from the case
 * as the caller read it, holding the org snapshot it used in *tree.  Any
 * failure leaves no plan: the write finds it again and reports it. */
static void plan_step(struct act_tx *x, const pa_case_t *cs, orgtree_t **tree)
{
	*tree = NULL;
	if (x->propose || x->t->handover_type || x->t->nrequires ||
	    (x->expected_version > 0 && cs->version != x->expected_version))
		return;
	pa_err_t scratch = { 0 };
	pa_case_t nc;
	*tree = orgcache_get(x->app->orgs);
	if (next_case(x, *tree, cs, &nc, &scratch) == 0 &&
	    step_prepare(x, store_reader(x->app->store), *tree, cs, &nc, NULL, &x->plan.step,
	                 &scratch) == 0) {
		x->plan.ready = true;
		x->plan.closes = !nc.is_open;
		x->plan.version = cs->version;
		x->plan.tree = *tree;
	}
}

/* ---- records, approvals and hand-over inside a transition ------------------------------ */
/*
 * What the workflow keys `requires`, `approval` and `handover` (and a
 * state's `handover_end`) add to act_tx_fn, kept apart from the core of the
 * step:
 *   ext_check_tx      refuses a step while a proposal waits for approval,
 *                     and a step whose required records are missing;
 *   propose_tx        instead of the step, records data.pending_approval and
 *                     an "approval_requested" event (cases_decide_approval
 *                     in records.c approves or declines it);
 *   handover_open_tx  opens the case of the hand-over's type, linked from
 *                     this one (links.c, kind handover), in the same write;
 *   handover_end_tx   when a case reaches a terminal state, every open case
 *                     that handed over to it and waits in a state with
 *                     handover_end takes that (system) step, with the fields
 *                     outcome (the terminal state) and handover_case (its
 *                     number) when the step declares them.
 */

static int ext_check_tx(store_tx_t *tx, struct act_tx *x, const pa_case_t *cs)
{
	pa_err_t *err = store_tx_err(tx);
	if (!x->approved && cs->data && strstr(cs->data, "\"pending_approval\""))
		return pa_fail(err, PA_ECONFLICT, "approval-pending", NULL,
		               "a proposed step waits for approval; approve or decline it first");
	if (x->t->nrequires == 0)
		return 0;
	pa_record_t *rs = NULL;
	size_t n = 0;
	int rc = store_records_of_case(store_tx_conn(tx), x->a, cs->id, &rs, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < x->t->nrequires; i++) {
		bool found = false;
		for (size_t k = 0; k < n && !found; k++)
			found = !rs[k].superseded && streq(rs[k].kind, x->t->requires[i]);
		if (!found) {
			const wf_record_kind_t *rk = wf_find_record_kind(x->def, x->t->requires[i]);
			return pa_fail(err, PA_ECONFLICT, "record-required",
			               arena_printf(x->a, "records.%s", x->t->requires[i]),
			               "'%s' needs a record '%s' (%s) first", x->t->name,
			               x->t->requires[i], rk ? wf_label(&rk->label, "zh") : "");
		}
	}
	return 0;
}

static int propose_tx(store_tx_t *tx, struct act_tx *x, const pa_case_t *cs)
{
	pa_case_t nc = *cs;
	json_t *d = case_data(cs);
	json_t *pending = json_pack("{s:s, s:O, s:I, s:s, s:I}", "action", x->t->name, "fields",
	                            x->fields ? (json_t *)x->fields : json_object(), "by_user_id",
	                            (json_int_t)x->p->user_id, "by_name",
	                            x->p->display_name ? x->p->display_name : "", "at",
	                            (json_int_t)x->now);
	json_object_set(d, "pending_approval", pending);
	nc.data = json_text(x->a, d);
	json_decref(d);
	nc.updated_at = x->now;
	int rc = store_tx_case_update(tx, &nc);
	if (rc < 0) {
		json_decref(pending);
		return rc;
	}
	nc.version++;
	json_t *ed = json_pack("{s:O, s:o}", "fields", json_object_get(pending, "fields"), "roles",
	                       json_array());
	for (size_t i = 0; i < x->t->napproval_roles; i++)
		json_array_append_new(json_object_get(ed, "roles"), json_string(x->t->approval_roles[i]));
	pa_event_t ev = {
		.case_id = cs->id, .at = x->now, .kind = "approval_requested", .action = x->t->name,
		.from_state = cs->state, .to_state = cs->state, .actor_user_id = x->p->user_id,
		.actor_name = x->p->display_name, .actor_org_id = cs->owner_org_id, .public = false,
		.data = json_text(x->a, ed),
	};
	json_decref(ed);
	json_decref(pending);
	pa_id_t ev_id;
	if ((rc = store_tx_event_insert(tx, &ev, &ev_id)) < 0)
		return rc;
	rc = audit_append(tx, x->now, authz_actor(x->p, x->a), "case.approval_request",
	                  arena_printf(x->a, "case:%lld", (long long)cs->id),
	                  arena_printf(x->a, "{\"action\":\"%s\",\"event_id\":%lld}", x->t->name,
	                               (long long)ev_id));
	if (rc == 0)
		x->out = nc;
	return rc;
}

int cases_apply_approved_tx(store_tx_t *tx, pa_app_t *app, arena_t *a, const pa_principal_t *p,
                            const pa_case_t *cs, const json_t *pending, json_t *approval_data,
                            pa_time_t now, pa_case_t *out)
{
	const wf_def_t *def = def_of(app, cs);
	const char *action = json_string_value(json_object_get(pending, "action"));
	const wf_transition_t *t = def && action ? wf_find_transition(def, action) : NULL;
	if (!t)
		return pa_fail(store_tx_err(tx), PA_ECONFLICT, "invalid-state", NULL,
		               "the proposed step no longer exists in the definition");
	json_t *fields = json_object_get(pending, "fields");
	struct act_tx x = { .app = app, .a = a, .p = p, .def = def, .t = t,
		                .fields = json_is_object(fields) ? fields : NULL, .case_id = cs->id,
		                .now = now, .err = store_tx_err(tx), .approved = true,
		                .approval_data = approval_data };
	json_t *empty = x.fields ? NULL : json_object();
	if (empty)
		x.fields = empty;
	int rc = act_tx_fn(tx, &x);
	json_decref(empty);
	if (rc == 0)
		*out = x.out;
	return rc;
}

static int handover_open_tx(store_tx_t *tx, struct act_tx *x, const orgtree_t *tree,
                            const pa_case_t *from, pa_case_t *opened)
{
	pa_err_t *err = store_tx_err(tx);
	const wf_transition_t *t = x->t;
	const wf_def_t *to_def = wf_registry_find(x->app->wf, t->handover_type);
	if (!to_def)
		return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "no case type '%s' is loaded",
		               t->handover_type);
	const char *category = t->handover_category;
	if (!strncmp(category, "field:", 6))
		category = json_string_value(json_object_get(x->fields, category + 6));
	const wf_category_t *cat = category ? wf_find_category(to_def, category) : NULL;
	if (!cat)
		return pa_fail(err, PA_EINVAL, "validation",
		               !strncmp(t->handover_category, "field:", 6)
		                   ? arena_printf(x->a, "fields.%s", t->handover_category + 6)
		                   : NULL,
		               "'%s' is not a category of a %s", category ? category : "",
		               to_def->type);
	pa_id_t owner = from->owner_org_id;
	const char *o = t->handover_owner;
	const char *ofield = NULL;
	if (!strncmp(o, "field:", 6)) {
		ofield = arena_printf(x->a, "fields.%s", o + 6);
		owner = json_integer_value(json_object_get(x->fields, o + 6));
		const pa_org_t *org = orgtree_find(tree, owner);
		if (!org || !org->is_unit || org->disabled)
			return pa_fail(err, PA_EINVAL, "validation", ofield, "no active unit with id %lld",
			               (long long)owner);
	} else if (!strncmp(o, "kind:", 5)) {
		owner = orgtree_nearest_kind(tree, from->owner_org_id, o + 5);
		if (!owner)
			return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", NULL,
			               "there is no %s unit to hand this case over to", o + 5);
	}
	if (from->accused_org_id && orgtree_is_within(tree, owner, from->accused_org_id))
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", ofield,
		               "a case may never go to the unit it accuses, or a unit under it");

	const wf_state_t *st = wf_find_state(to_def, to_def->initial);
	pa_time_t due = 0;
	wf_case_state_due(x->app->cal, to_def, cat->code, st, x->now, x->now, &due);
	/* Nobody holds the new case's query code: the public follows the case
	 * that was handed over, whose timeline records the outcome. */
	char code[PA_QUERY_CODE_LEN + 1];
	query_code_new(code);
	char *qhash = arena_alloc(x->a, PA_HASH_HEX);
	pii_lookup_hash(x->app->keys, "query", code, qhash);
	pa_case_t nc = {
		.type = to_def->type, .category = cat->code, .title = from->title, .body = from->body,
		.channel = "handover", .state = st->name, .is_open = !st->terminal,
		.intake_org_id = from->intake_org_id, .owner_org_id = owner,
		.accused_org_id = from->accused_org_id, .created_at = x->now, .updated_at = x->now,
		.state_entered_at = x->now, .due_at = due ? due : PA_NO_DUE, .query_hash = qhash,
		.version = 1,
	};
	nc.data = arena_printf(x->a, "{\"handover_from\":%lld%s}", (long long)from->id,
	                       to_def->participants_only ? ",\"participants\":[],\"participants_only\":true"
	                                                 : "");
	int year;
	local_year(x->app, x->now, &year);
	int64_t seq;
	int rc = store_tx_next_number(tx, to_def->number_prefix, year, &seq);
	if (rc < 0)
		return rc;
	nc.number = arena_printf(x->a, "%s-%d-%06lld", to_def->number_prefix, year, (long long)seq);
	if ((rc = store_tx_case_insert(tx, &nc, &nc.id)) < 0)
		return rc;
	pa_event_t ev = {
		.case_id = nc.id, .at = x->now, .kind = "created", .to_state = nc.state,
		.actor_user_id = x->p->kind == PRINCIPAL_STAFF ? x->p->user_id : 0,
		.actor_name = x->p->kind == PRINCIPAL_STAFF ? x->p->display_name : "system",
		.actor_org_id = x->p->kind == PRINCIPAL_STAFF ? from->owner_org_id : 0, .public = false,
		.data = arena_printf(x->a, "{\"channel\":\"handover\",\"handover_from\":%lld}",
		                     (long long)from->id),
	};
	pa_id_t ev_id;
	if ((rc = store_tx_event_insert(tx, &ev, &ev_id)) < 0)
		return rc;
	strbuf_t d = STRBUF_INIT;
	strbuf_adds(&d, "{\"number\":");
	strbuf_add_json_str(&d, nc.number);
	strbuf_addf(&d, ",\"type\":\"%s\",\"state\":\"%s\",\"owner_org_id\":%lld,\"handover_from\":%lld}",
	            nc.type, nc.state, (long long)nc.owner_org_id, (long long)from->id);
	rc = audit_append(tx, x->now, authz_actor(x->p, x->a), "case.create",
	                  arena_printf(x->a, "case:%lld", (long long)nc.id), d.buf);
	strbuf_release(&d);
	if (rc < 0)
		return rc;
	*opened = nc;
	return cases_link_tx(tx, x->a, x->p, from, &nc, "handover", t->name, x->now, NULL);
}

/* Fields of a handover_end step: outcome and handover_case when it declares them. */
static json_t *handover_end_fields(const wf_transition_t *t, const pa_case_t *ended)
{
	json_t *f = json_object();
	for (size_t i = 0; i < t->nfields; i++) {
		const char *name = t->fields[i].name;
		if (streq(name, "outcome"))
			json_object_set_new(f, name, json_string(ended->state));
		else if (streq(name, "handover_case"))
			json_object_set_new(f, name, json_string(ended->number));
	}
	return f;
}

static int handover_end_tx(store_tx_t *tx, struct act_tx *x, const pa_case_t *ended)
{
	if (x->depth >= WF_HANDOVER_DEPTH)
		return 0;
	pa_case_link_t *ls = NULL;
	size_t n = 0;
	int rc = store_links_of_case(store_tx_conn(tx), x->a, ended->id, &ls, &n);
	if (rc < 0)
		return rc;
	pa_principal_t sys = { .kind = PRINCIPAL_SYSTEM };
	for (size_t i = 0; i < n; i++) {
		if (!streq(ls[i].kind, "handover") || ls[i].to_case_id != ended->id)
			continue;
		pa_case_t w;
		if ((rc = store_case_get(store_tx_conn(tx), x->a, ls[i].from_case_id, &w)) < 0)
			return rc;
		const wf_def_t *def = def_of(x->app, &w);
		const wf_state_t *st = def ? wf_find_state(def, w.state) : NULL;
		if (!w.is_open || !st || !st->handover_end || case_merged_into(&w))
			continue;
		const wf_transition_t *t = wf_find_transition(def, st->handover_end);
		json_t *fields = handover_end_fields(t, ended);
		pa_err_t ferr = { 0 };
		if (wf_validate_fields(t, fields, &ferr) != 0) {
			/* a definition mismatch must not block the ending case */
			log_warn("case %s: handover_end step '%s' refused its fields: %s", w.number,
			         t->name, ferr.detail);
			json_decref(fields);
			continue;
		}
		struct act_tx ax = { .app = x->app, .a = x->a, .p = &sys, .def = def, .t = t,
			                 .fields = fields, .case_id = w.id, .now = x->now,
			                 .err = store_tx_err(tx), .depth = x->depth + 1 };
		rc = act_tx_fn(tx, &ax);
		json_decref(fields);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int run_transition(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_case_t *cs,
                          const wf_def_t *def, const wf_transition_t *t, const json_t *fields,
                          int expected_version, pa_case_t *out, pa_err_t *err)
{
	json_t *empty = NULL;
	if (!fields)
		fields = empty = json_object();
	int rc = wf_validate_fields(t, fields, err);
	if (rc == 0) {
		struct act_tx x = { .app = app, .a = a, .p = p, .def = def, .t = t, .fields = fields,
		                    .case_id = cs->id, .expected_version = expected_version,
		                    .now = pa_now(), .err = err,
		                    .propose = t->napproval_roles > 0 && p->kind == PRINCIPAL_STAFF };
		orgtree_t *tree;
		plan_step(&x, cs, &tree);
		if (x.plan.ready)
			x.read = cs;
		/* A prepared step that leaves the case open makes every check that
		 * can refuse it before its first write (act_tx_fn): it needs no
		 * savepoint of its own (store_write_checked).  Should the case have
		 * changed meanwhile, the write prepares the step itself after
		 * updating the case; a failure there rolls back the whole batch. */
		if (x.plan.ready && !x.plan.closes)
			rc = store_write_checked(app->store, act_tx_fn, &x, err);
		else
			rc = store_write(app->store, act_tx_fn, &x, err);
		if (tree)
			orgtree_release(tree);
		if (rc == PA_ECONFLICT && !err->type[0])
			pa_fail(err, rc, "conflict", NULL, "the case changed meanwhile; reload and retry");
		if (rc == 0)
			*out = x.out;
	}
	json_decref(empty);
	return rc;
}

int cases_transition(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_case_t *cs,
                     const char *action, const json_t *fields, int expected_version,
                     pa_case_t *out, pa_err_t *err)
{
	const wf_def_t *def = def_of(app, cs);
	const wf_transition_t *t = def ? wf_find_transition(def, action) : NULL;
	if (!t)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "action", "no action '%s' for a %s",
		               action, cs->type);
	/* Role first (403), then state (409): a wrong role learns nothing about the state. */
	bool any_role = false;
	if (p->kind == PRINCIPAL_STAFF) {
		for (size_t i = 0; i < p->nroles && !any_role; i++)
			any_role = wf_transition_allows_role(t, p->roles[i].role);
		if (!any_role || (wf_transition_leaves(t, cs->state) && !authz_may_take(p, cs, t, NULL)))
			return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
			               "your roles do not allow '%s' on this case", action);
	} else if (!authz_may_take(p, cs, t, NULL)) {
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL, "'%s' is not yours to take", action);
	}
	if (case_merged_into(cs))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the case was merged into another case; act on that one");
	if (!wf_transition_leaves(t, cs->state))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "'%s' cannot be taken in state '%s'", action, cs->state);
	return run_transition(app, a, p, cs, def, t, fields, expected_version, out, err);
}

int cases_public_action(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_case_t *cs,
                        const char *public_action, const json_t *fields, pa_case_t *out,
                        pa_err_t *err)
{
	const wf_def_t *def = def_of(app, cs);
	const wf_transition_t *t = def ? wf_find_public_action(def, cs->state, public_action) : NULL;
	if (!t)
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "a %s cannot be requested in the case's current state", public_action);
	return run_transition(app, a, p, cs, def, t, fields, 0, out, err);
}

/* ---- rating, comments ------------------------------------------------------------------ */

struct rate_tx {
	const pa_case_t *cs;
	pa_rating_t r;
	const char *actor;
	arena_t *a;
};

static int rate_tx_fn(store_tx_t *tx, void *arg)
{
	struct rate_tx *x = arg;
	pa_case_t cur;
	int rc = store_case_get(store_tx_conn(tx), x->a, x->cs->id, &cur);
	if (rc < 0)
		return rc;
	if (!streq(cur.state, x->r.stage))
		return pa_fail(store_tx_err(tx), PA_ECONFLICT, "invalid-state", NULL,
		               "the case changed meanwhile");
	rc = store_tx_rating_insert(tx, &x->r, &x->r.id);
	if (rc == PA_ECONFLICT)
		return pa_fail(store_tx_err(tx), rc, "conflict", NULL,
		               "this step has already been rated");
	if (rc < 0)
		return rc;
	json_t *d = json_pack("{s:s, s:s}", "level", x->r.level, "stage", x->r.stage);
	pa_event_t ev = { .case_id = x->cs->id, .at = x->r.at, .kind = "rating",
	                  .actor_name = "public", .public = true, .text = x->r.comment,
	                  .data = json_text(x->a, d) };
	pa_id_t id;
	rc = store_tx_event_insert(tx, &ev, &id);
	if (rc == 0)
		rc = audit_append(tx, x->r.at, x->actor, "case.rate",
		                  arena_printf(x->a, "case:%lld", (long long)x->cs->id), json_text(x->a, d));
	json_decref(d);
	return rc;
}

int cases_rate(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
               const char *level, const char *comment, pa_err_t *err)
{
	int rc;
	if (!level || !rating_level_valid(level))
		return pa_fail(err, PA_EINVAL, "validation", "level",
		               "level must be one of very_satisfied, satisfied, basically_satisfied, "
		               "dissatisfied, very_dissatisfied");
	if ((rc = check_text(comment, "comment", false, RATING_COMMENT_MAX, err)) < 0)
		return rc;
	const wf_def_t *def = def_of(app, cs);
	const wf_state_t *st = def ? wf_find_state(def, cs->state) : NULL;
	if (!st || !st->rating)
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the case cannot be rated in its current state");
	struct rate_tx x = { .cs = cs, .actor = authz_actor(p, a), .a = a };
	x.r = (pa_rating_t){ .case_id = cs->id, .stage = cs->state, .level = level,
	                     .comment = comment && *comment ? comment : NULL, .at = pa_now() };
	return store_write(app->store, rate_tx_fn, &x, err);
}

struct comment_tx {
	pa_event_t ev;
	const char *actor;
	arena_t *a;
};

static int comment_tx_fn(store_tx_t *tx, void *arg)
{
	struct comment_tx *x = arg;
	int rc = store_tx_event_insert(tx, &x->ev, &x->ev.id);
	if (rc < 0)
		return rc;
	return audit_append(tx, x->ev.at, x->actor, "case.comment",
	                    arena_printf(x->a, "case:%lld", (long long)x->ev.case_id),
	                    arena_printf(x->a, "{\"event_id\":%lld}", (long long)x->ev.id));
}

int cases_comment(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                  const char *text, pa_id_t *event_id, pa_err_t *err)
{
	int rc = check_text(text, "text", true, CASE_COMMENT_MAX, err);
	if (rc < 0)
		return rc;
	struct comment_tx x = { .actor = authz_actor(p, a), .a = a };
	x.ev = (pa_event_t){ .case_id = cs->id, .at = pa_now(), .kind = "comment",
	                     .actor_user_id = p->user_id, .actor_name = p->display_name,
	                     .actor_org_id = cs->owner_org_id, .public = false, .text = text };
	if ((rc = store_write(app->store, comment_tx_fn, &x, err)) < 0)
		return rc;
	if (event_id)
		*event_id = x.ev.id;
	return 0;
}

/* ---- parties ------------------------------------------------------------------------------ */

static const char *open_field(pa_app_t *app, arena_t *a, const pa_party_t *pt, const char *field,
                              pa_blob_t b)
{
	if (!b.len)
		return NULL;
	char *plain = NULL;
	const char *aad = arena_printf(a, "party/%s/%s", pt->uid, field);
	if (pii_open(app->keys, a, aad, b, &plain) < 0)
		return "?";
	return plain;
}

/* The submitter's party of a type whose contact is sealed (a tip's informant). */
static bool party_sealed(const wf_def_t *def, const pa_party_t *pt)
{
	return def && def->contact_sealed && streq(pt->role, def->contact_role);
}

/* contact.reveal_roles held in the unit that registered the case. */
static bool may_reveal_sealed(const wf_def_t *def, const pa_principal_t *p, const pa_case_t *cs)
{
	if (p->kind != PRINCIPAL_STAFF)
		return false;
	for (size_t i = 0; i < def->nreveal_roles; i++)
		if (authz_has_role_in(p, def->reveal_roles[i], cs->intake_org_id))
			return true;
	return false;
}

int cases_parties(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                  bool reveal, pa_id_t only_party, party_clear_t **out, size_t *n, pa_err_t *err)
{
	pa_party_t *ps = NULL;
	size_t np = 0;
	int rc = store_parties_list(store_reader(app->store), a, cs->id, &ps, &np);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the parties");
	const wf_def_t *def = def_of(app, cs);
	party_clear_t *res = arena_zalloc(a, (np + 1) * sizeof(*res));
	size_t k = 0;
	for (size_t i = 0; i < np; i++) {
		if (only_party && ps[i].id != only_party)
			continue;
		party_clear_t *c = &res[k++];
		c->id = ps[i].id;
		c->role = ps[i].role;
		c->sealed = party_sealed(def, &ps[i]);
		if (c->sealed && !reveal)
			continue;  /* nothing of a sealed identity, not even masked */
		if (c->sealed && !may_reveal_sealed(def, p, cs)) {
			struct view_tx v = { authz_actor(p, a), arena_printf(a, "case:%lld", (long long)cs->id),
			                     "party.reveal_refused",
			                     arena_printf(a, "{\"party\":%lld}", (long long)ps[i].id) };
			if ((rc = store_write(app->store, view_tx_fn, &v, err)) < 0)
				return rc;
			return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
			               "the informant's identity is sealed: only the unit that registered "
			               "the case may reveal it");
		}
		const char *name = open_field(app, a, &ps[i], "name", ps[i].name);
		const char *phone = open_field(app, a, &ps[i], "phone", ps[i].phone);
		const char *idn = open_field(app, a, &ps[i], "id_number", ps[i].id_number);
		const char *addr = open_field(app, a, &ps[i], "address", ps[i].address);
		const char *email = open_field(app, a, &ps[i], "email", ps[i].email);
		if (reveal) {
			c->name = name, c->phone = phone, c->id_number = idn, c->address = addr;
			c->email = email;
		} else {
			c->name = name ? mask_name(a, name) : NULL;
			c->phone = phone ? mask_phone(a, phone) : NULL;
			c->id_number = idn ? mask_id_number(a, idn) : NULL;
			c->address = addr ? mask_address(a, addr) : NULL;
			c->email = email ? notify_mask_email(a, email) : NULL;
		}
	}
	if (only_party && k == 0)
		return pa_fail(err, PA_ENOTFOUND, "not-found", NULL, "no such party on this case");
	if (reveal) {
		strbuf_t d = STRBUF_INIT;
		strbuf_adds(&d, "{\"parties\":[");
		for (size_t i = 0; i < k; i++)
			strbuf_addf(&d, "%s%lld", i ? "," : "", (long long)res[i].id);
		strbuf_adds(&d, "]}");
		struct view_tx v = { authz_actor(p, a), arena_printf(a, "case:%lld", (long long)cs->id),
		                     "party.reveal", arena_strdup(a, d.buf) };
		strbuf_release(&d);
		if ((rc = store_write(app->store, view_tx_fn, &v, err)) < 0)
			return rc;
	}
	*out = res;
	*n = k;
	return 0;
}

/* ---- attachments ----------------------------------------------------------------------------- */

struct attach_tx {
	pa_attachment_t *files;
	size_t n;
	pa_event_t ev;
	const char *actor;
	arena_t *a;
};

static int attach_tx_fn(store_tx_t *tx, void *arg)
{
	struct attach_tx *x = arg;
	int rc = store_tx_event_insert(tx, &x->ev, &x->ev.id);
	for (size_t i = 0; rc == 0 && i < x->n; i++) {
		x->files[i].case_id = x->ev.case_id;
		x->files[i].event_id = x->ev.id;
		rc = store_tx_attachment_insert(tx, &x->files[i], &x->files[i].id);
		if (rc == PA_ECONFLICT)
			return pa_fail(store_tx_err(tx), rc, "conflict", "files",
			               "this file is already attached to the case");
	}
	if (rc == 0)
		rc = audit_append(tx, x->ev.at, x->actor, "case.attach",
		                  arena_printf(x->a, "case:%lld", (long long)x->ev.case_id), x->ev.data);
	return rc;
}

int cases_attach(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                 const case_file_t *files, size_t n, pa_attachment_t **out, pa_err_t *err)
{
	if (n == 0)
		return pa_fail(err, PA_EINVAL, "validation", "files", "no file was sent");
	pa_attachment_t *at = NULL;
	int rc = store_files(app, a, files, n, false, &at, err);
	if (rc < 0)
		return rc;
	strbuf_t d = STRBUF_INIT;
	strbuf_adds(&d, "{\"sha256\":[");
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&d, "%s\"%s\"", i ? "," : "", at[i].sha256);
	strbuf_adds(&d, "]}");
	struct attach_tx x = { .files = at, .n = n, .actor = authz_actor(p, a), .a = a };
	x.ev = (pa_event_t){ .case_id = cs->id, .at = pa_now(), .kind = "attachment",
	                     .actor_user_id = p->user_id, .actor_name = p->display_name,
	                     .actor_org_id = cs->owner_org_id, .public = false,
	                     .data = arena_strdup(a, d.buf) };
	strbuf_release(&d);
	if ((rc = store_write(app->store, attach_tx_fn, &x, err)) < 0)
		return rc;
	*out = at;
	return 0;
}

/* ---- timer ------------------------------------------------------------------------------------- */

struct timer_tx {
	pa_app_t *app;
	arena_t *a;
	pa_due_item_t *items;
	size_t n;
	pa_time_t now;
	int applied, marked;
};

static int timer_tx_fn(store_tx_t *tx, void *arg)
{
	struct timer_tx *x = arg;
	pa_principal_t sys = { .kind = PRINCIPAL_SYSTEM };
	for (size_t i = 0; i < x->n; i++) {
		pa_case_t cs;
		int rc = store_case_get(store_tx_conn(tx), x->a, x->items[i].id, &cs);
		if (rc < 0)
			return rc;
		/* Re-check on the writer: another process or pass may have done it. */
		if (!cs.is_open || cs.due_at > x->now)
			continue;
		const wf_def_t *def = def_of(x->app, &cs);
		const wf_state_t *st = def ? wf_find_state(def, cs.state) : NULL;
		if (st && st->timeout) {
			const wf_transition_t *t = wf_find_transition(def, st->timeout);
			struct act_tx ax = { .app = x->app, .a = x->a, .p = &sys, .def = def, .t = t,
			                     .fields = NULL, .case_id = cs.id, .now = x->now };
			json_t *empty = json_object();
			ax.fields = empty;
			rc = act_tx_fn(tx, &ax);
			json_decref(empty);
			if (rc < 0)
				return rc;
			x->applied++;
		} else if (!cs.overdue) {
			cs.overdue = true;
			if ((rc = store_tx_case_update(tx, &cs)) < 0)
				return rc;
			char due[32];
			pa_time_format(cs.due_at, x->app->cfg->utc_offset_min, due);
			pa_event_t ev = { .case_id = cs.id, .at = x->now, .kind = "overdue",
			                  .from_state = cs.state, .to_state = cs.state,
			                  .actor_name = "system", .public = false,
			                  .data = arena_printf(x->a, "{\"due_at\":\"%s\"}", due) };
			pa_id_t id;
			if ((rc = store_tx_event_insert(tx, &ev, &id)) < 0)
				return rc;
			if ((rc = audit_append(tx, x->now, "system", "case.overdue",
			                       arena_printf(x->a, "case:%lld", (long long)cs.id), ev.data)) < 0)
				return rc;
			x->marked++;
		}
	}
	return 0;
}

int cases_timer_tick(pa_app_t *app, pa_time_t now, int *applied, int *marked, pa_err_t *err)
{
	*applied = *marked = 0;
	pa_id_t after = 0;
	pa_time_t after_due = INT64_MIN;
	int rc = 0;
	arena_t *a = arena_new();
	for (;;) {
		arena_reset(a);
		pa_due_item_t *items = NULL;
		size_t n = 0;
		rc = store_due_scan(store_reader(app->store), a, now, after_due, after, TIMER_PAGE, &items, &n);
		if (rc < 0 || n == 0)
			break;
		after = items[n - 1].id;
		after_due = items[n - 1].due_at;
		/* Skip items with nothing to do (already overdue, no timeout). */
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			const wf_def_t *def = wf_registry_find(app->wf, items[i].type);
			const wf_state_t *st = def ? wf_find_state(def, items[i].state) : NULL;
			if ((st && st->timeout) || !items[i].overdue)
				items[k++] = items[i];
		}
		if (k) {
			struct timer_tx x = { .app = app, .a = a, .items = items, .n = k, .now = now };
			rc = store_write(app->store, timer_tx_fn, &x, err);
			if (rc < 0)
				break;
			*applied += x.applied;
			*marked += x.marked;
		}
		if (n < TIMER_PAGE)
			break;
		/* each page is its own transaction: what is left is due at the next
		 * start, so a stopping server need not work through a backlog first */
		if (atomic_load(&app->stopping))
			break;
	}
	arena_free(a);
	return rc;
}
