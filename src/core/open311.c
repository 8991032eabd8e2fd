/*
 * open311.c — Open311 GeoReport v2: services from the workflow registry,
 * the POST requests form parser, submission as a case (see open311.h).
 *
 * The form parser is declarative: a table of known fields with their
 * limits; attribute[<code>] fields go to the attributes the service
 * definition lists (title, lang).  Every check happens before the case
 * service sees the input, and cases_create() checks again what it always
 * checks (category, texts, location as the type's `location:` demands).
 */
#include "base/common.h"
#include "core/open311.h"
#include "core/cases.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

size_t open311_services(const wf_registry_t *reg, arena_t *a, open311_service_t **out)
{
	size_t n = 0, cap = 0;
	open311_service_t *arr = NULL;
	for (size_t d = 0; reg && d < reg->ndefs; d++) {
		const wf_def_t *def = reg->defs[d];
		for (size_t i = 0; i < def->ncategories; i++) {
			const wf_category_t *c = &def->categories[i];
			if (!c->service_code)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				open311_service_t *na = arena_alloc(a, cap * sizeof(*na));
				if (n)
					memcpy(na, arr, n * sizeof(*na));
				arr = na;
			}
			arr[n++] = (open311_service_t){
				.code = c->service_code, .def = def, .cat = c,
				.group = c->parent ? wf_find_category(def, c->parent) : NULL,
			};
		}
	}
	*out = arr;
	return n;
}

/* ---- the form ----------------------------------------------------------------------------- */

enum { F_TEXT, F_NUMBER };

static const struct form_field {
	const char *name;
	size_t off;
	size_t max;  /* characters */
} form_fields[] = {
#define FF(name, member, max) { name, offsetof(open311_request_in_t, member), max }
	FF("api_key", api_key, 200),
	FF("jurisdiction_id", jurisdiction_id, 200),
	FF("service_code", service_code, 64),
	FF("address_string", address_string, 200),
	FF("address_id", address_id, 200),
	FF("email", email, 254),
	FF("device_id", device_id, 200),
	FF("account_id", account_id, 200),
	FF("first_name", first_name, 50),
	FF("last_name", last_name, 50),
	FF("phone", phone, 40),
	FF("description", description, OPEN311_DESCRIPTION_MAX),
	FF("media_url", media_url, OPEN311_URL_MAX),
	FF("attribute[title]", attr_title, 200),
	FF("attribute[lang]", attr_lang, 8),
#undef FF
};

static int parse_degrees(const char *s, double min, double max, const char *field, double *out,
                         pa_err_t *err)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < min || v > max)
		return pa_fail(err, PA_EINVAL, "validation", field,
		               "%s must be decimal degrees from %g to %g", field, min, max);
	*out = v;
	return 0;
}

int open311_parse_request(arena_t *a, const http_kv_t *kv, size_t n, open311_request_in_t *out,
                          pa_err_t *err)
{
	memset(out, 0, sizeof(*out));
	const char *lat = NULL, *lng = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value;
		if (!k || !v)
			continue;
		if (strlen(v) != kv[i].value_len)
			return pa_fail(err, PA_EINVAL, "validation", k, "%s contains a NUL character", k);
		if (streq(k, "lat") || streq(k, "long")) {
			const char **slot = streq(k, "lat") ? &lat : &lng;
			if (*slot)
				return pa_fail(err, PA_EINVAL, "validation", k, "%s is given twice", k);
			*slot = v;
			continue;
		}
		bool known = false;
		for (size_t f = 0; f < ARRAY_SIZE(form_fields); f++) {
			if (!streq(k, form_fields[f].name))
				continue;
			known = true;
			const char **slot = (const char **)((char *)out + form_fields[f].off);
			if (*slot)
				return pa_fail(err, PA_EINVAL, "validation", k, "%s is given twice", k);
			int rc = cases_check_text(v, k, false, form_fields[f].max, err);
			if (rc < 0)
				return rc;
			*slot = *v ? arena_strdup(a, v) : NULL;
		}
		if (!known && strncmp(k, "attribute[", 10) == 0)
			return pa_fail(err, PA_EINVAL, "validation", k,
			               "no such attribute (this service has title and lang)");
	}
	if (!out->service_code)
		return pa_fail(err, PA_EINVAL, "validation", "service_code", "service_code is required");
	if ((lat == NULL) != (lng == NULL))
		return pa_fail(err, PA_EINVAL, "validation", lat ? "long" : "lat",
		               "lat and long come together");
	if (lat) {
		int rc;
		if ((rc = parse_degrees(lat, -90, 90, "lat", &out->lat, err)) < 0 ||
		    (rc = parse_degrees(lng, -180, 180, "long", &out->lng, err)) < 0)
			return rc;
		out->has_point = true;
	}
	if (!out->has_point && !out->address_string && !out->address_id)
		return pa_fail(err, PA_EINVAL, "validation", "lat",
		               "a location is required: lat and long, or address_string");
	if (out->media_url && strncmp(out->media_url, "https://", 8) != 0 &&
	    strncmp(out->media_url, "http://", 7) != 0)
		return pa_fail(err, PA_EINVAL, "validation", "media_url",
		               "media_url must be an http:// or https:// URL");
	if (out->media_url)
		for (const char *p = out->media_url; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>')
				return pa_fail(err, PA_EINVAL, "validation", "media_url",
				               "media_url must be a URL without spaces or quotes");
	if (out->attr_lang && !streq(out->attr_lang, "zh-CN") && !streq(out->attr_lang, "en"))
		return pa_fail(err, PA_EINVAL, "validation", "attribute[lang]",
		               "attribute[lang] must be zh-CN or en");
	if (!out->description && !out->attr_title)
		return pa_fail(err, PA_EINVAL, "validation", "description",
		               "a description (or attribute[title]) is required");
	return 0;
}

/* The first OPEN311_TITLE_CHARS characters of the description, on one line. */
static const char *title_from(arena_t *a, const char *s)
{
	size_t chars = 0, i = 0;
	while (s[i] && chars < OPEN311_TITLE_CHARS) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
		i++;
		while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
	}
	char *t = arena_strndup(a, s, i);
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return t;
}

int open311_submit(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                   const open311_request_in_t *in, const char **number, pa_err_t *err)
{
	const wf_def_t *def = NULL;
	const wf_category_t *cat = wf_registry_find_service(app->wf, in->service_code, &def);
	if (!cat)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "service_code", "no such service_code");
	case_input_t ci = {
		.type = def->type,
		.category = cat->code,
		.title = in->attr_title ? in->attr_title : title_from(a, in->description),
		.body = in->description ? in->description : in->attr_title,
		.channel = "open311",
		.lang = in->attr_lang,
		.has_point = in->has_point,
		.lat = in->lat,
		.lng = in->lng,
		.address = in->address_string ? in->address_string : in->address_id,
		.media_url = in->media_url,
	};
	if (in->first_name || in->last_name || in->phone || in->email) {
		ci.has_contact = true;
		ci.contact.name = arena_printf(a, "%s%s%s", in->last_name ? in->last_name : "",
		                               in->last_name && in->first_name ? " " : "",
		                               in->first_name ? in->first_name : "");
		if (!*ci.contact.name)
			ci.contact.name = "-";
		ci.contact.phone = in->phone;
		ci.contact.email = in->email;
	}
	pa_case_t cs;
	char code[PA_QUERY_CODE_LEN + 1];
	int rc = cases_create(app, a, p, &ci, &cs, code, err);
	if (rc < 0)
		return rc;
	*number = cs.number;
	return 0;
}

/* ---- updates from clients (servicerequestupdates, POST) --------------------------------------- */

static const struct form_field update_fields[] = {
#define UF(name, member, max) { name, offsetof(open311_update_in_t, member), max }
	UF("api_key", api_key, 200),
	UF("jurisdiction_id", jurisdiction_id, 200),
	UF("service_request_id", service_request_id, 64),
	UF("update_id", update_id, 64),
	UF("updated_datetime", updated_datetime, 40),
	UF("status", status, OPEN311_STATUS_MAX),
	UF("description", description, OPEN311_UPDATE_DESCRIPTION_MAX),
	UF("media_url", media_url, OPEN311_URL_MAX),
	UF("email", email, 254),
	UF("first_name", first_name, 50),
	UF("last_name", last_name, 50),
	UF("title", title, 50),
	UF("phone", phone, 40),
	UF("account_id", account_id, 200),
#undef UF
};

static int check_media_url(const char *url, pa_err_t *err)
{
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		return pa_fail(err, PA_EINVAL, "validation", "media_url",
		               "media_url must be an http:// or https:// URL");
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == '<' || *p == '>')
			return pa_fail(err, PA_EINVAL, "validation", "media_url",
			               "media_url must be a URL without spaces or quotes");
	return 0;
}

int open311_parse_update(arena_t *a, const http_kv_t *kv, size_t n, int utc_offset_min,
                         open311_update_in_t *out, pa_err_t *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].key, *v = kv[i].value;
		if (!k || !v)
			continue;
		if (strlen(v) != kv[i].value_len)
			return pa_fail(err, PA_EINVAL, "validation", k, "%s contains a NUL character", k);
		for (size_t f = 0; f < ARRAY_SIZE(update_fields); f++) {
			if (!streq(k, update_fields[f].name))
				continue;
			const char **slot = (const char **)((char *)out + update_fields[f].off);
			if (*slot)
				return pa_fail(err, PA_EINVAL, "validation", k, "%s is given twice", k);
			int rc = cases_check_text(v, k, false, update_fields[f].max, err);
			if (rc < 0)
				return rc;
			*slot = *v ? arena_strdup(a, v) : NULL;
		}
	}
	if (!out->service_request_id)
		return pa_fail(err, PA_EINVAL, "validation", "service_request_id",
		               "service_request_id is required");
	if (!out->status)
		return pa_fail(err, PA_EINVAL, "validation", "status", "status is required");
	for (const char *p = out->status; *p; p++)
		if (!isalpha((unsigned char)*p) && *p != '_')
			return pa_fail(err, PA_EINVAL, "validation", "status",
			               "status must be a word such as OPEN or CLOSED");
	if (!out->description)
		return pa_fail(err, PA_EINVAL, "validation", "description", "description is required");
	if (out->updated_datetime &&
	    pa_time_parse(out->updated_datetime, utc_offset_min, &out->updated_at) < 0)
		return pa_fail(err, PA_EINVAL, "validation", "updated_datetime",
		               "updated_datetime must be an ISO 8601 time");
	if (out->media_url) {
		int rc = check_media_url(out->media_url, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int open311_post_update(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                        const open311_update_in_t *in, pa_id_t *update_id, pa_err_t *err)
{
	*update_id = 0;
	pa_case_t found;
	int rc = store_case_get_by_number(store_reader(app->store), a, in->service_request_id, &found);
	if (rc == PA_ENOTFOUND)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "service_request_id",
		               "no such service request");
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the case");
	const wf_def_t *def = wf_registry_find(app->wf, found.type);
	const wf_category_t *cat = def ? wf_find_category(def, found.category) : NULL;
	if (!cat || !cat->service_code)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "service_request_id",
		               "no such service request");
	/* the visibility rules of the case service: a case the account cannot see does not exist */
	pa_case_t cs;
	pa_err_t gerr = { 0 };
	if ((rc = cases_get(app, a, p, found.id, false, &cs, &gerr)) < 0) {
		if (rc == PA_ENOTFOUND || rc == PA_EFORBIDDEN)
			return pa_fail(err, PA_ENOTFOUND, "not-found", "service_request_id",
			               "no such service request");
		*err = gerr;
		return rc;
	}
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb, "Open311 %s", in->status);
	if (in->update_id)
		strbuf_addf(&sb, " · update %s", in->update_id);
	if (in->updated_datetime)
		strbuf_addf(&sb, " · %s", in->updated_datetime);
	if (in->media_url)
		strbuf_addf(&sb, " · %s", in->media_url);
	strbuf_addf(&sb, "\n%s", in->description);
	const char *text = arena_strndup(a, sb.buf, sb.len);
	strbuf_release(&sb);
	return cases_comment(app, a, p, &cs, text, update_id, err);
}
