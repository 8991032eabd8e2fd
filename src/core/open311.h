/*
 * open311.h — Open311 GeoReport v2 over the grid-event categories
 * (docs/open311.md; the HTTP side is api/open311.c).
 *
 * Services are the categories of the loaded workflow definitions that carry
 * a `service_code` (subcategories, e.g. grid_event's E0102 暴露垃圾): read
 * from the registry, never hard-coded, so a district that edits its
 * categories edits its Open311 services.  A service request is a case of
 * that category's type, registered through cases_create() by the staff
 * account behind the client's API key (an API token of a user who may
 * register the type: a grid worker or intake account the district issues
 * for the client), with channel "open311".  Requests are identified by
 * their case number ("WG-2026-000123"), always a string.
 *
 * Public data only: a request shows its service, status, the place (point,
 * address), its title as description, the responsible unit and times —
 * never the body, the reporter's contact, or staff names.
 */
#ifndef PA_OPEN311_H
#define PA_OPEN311_H

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"
#include "http/http.h"

#define OPEN311_MAX_RESULTS 1000        /* GET requests: the spec's suggested maximum */
#define OPEN311_DEFAULT_DAYS 90         /* GET requests without dates: the last 90 days */
#define OPEN311_MAX_IDS 100             /* ids in one service_request_id list */
#define OPEN311_MAX_CODES 100           /* codes in one service_code list */
#define OPEN311_DESCRIPTION_MAX 4000    /* characters of a description */
#define OPEN311_URL_MAX 2048            /* bytes of media_url */
#define OPEN311_TITLE_CHARS 40          /* a title made from the description */

/* One service: a category with a service_code. */
typedef struct open311_service {
	const char *code;
	const wf_def_t *def;
	const wf_category_t *cat;
	const wf_category_t *group;  /* its class, or NULL */
} open311_service_t;

/* All services of the registry, in definition order (arena). */
size_t open311_services(const wf_registry_t *reg, arena_t *a, open311_service_t **out);

/* A POST requests body (form fields), checked. */
typedef struct open311_request_in {
	const char *api_key;
	const char *jurisdiction_id;
	const char *service_code;
	bool has_point;
	double lat, lng;
	const char *address_string;
	const char *address_id;
	const char *email, *device_id, *account_id, *first_name, *last_name, *phone;
	const char *description;
	const char *media_url;
	/* attribute[<code>] values */
	const char *attr_title;
	const char *attr_lang;
} open311_request_in_t;

/*
 * Parses the form fields of POST requests (http_query_parse output): known
 * fields, lat/long as a pair of decimal degrees in range, media_url an
 * http(s) URL, attribute[title] and attribute[lang] (the service
 * definition's attributes), lengths.  Unknown attribute codes are refused;
 * other unknown fields are ignored, as the spec lets clients send extra
 * fields.  PA_EINVAL names the field.  The fuzz seam of fuzz_open311.
 */
int open311_parse_request(arena_t *a, const http_kv_t *kv, size_t n, open311_request_in_t *out,
                          pa_err_t *err);

/* Registers the request as a case; *number gets its case number. */
int open311_submit(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                   const open311_request_in_t *in, const char **number, pa_err_t *err);

/* A POST servicerequestupdates body (the extension's update from a client). */
typedef struct open311_update_in {
	const char *api_key;
	const char *jurisdiction_id;
	const char *service_request_id;
	const char *update_id;        /* the client's id of its update, optional */
	const char *updated_datetime; /* when the client made it, ISO 8601, optional */
	pa_time_t updated_at;         /* parsed, 0 when absent */
	const char *status;           /* OPEN, CLOSED, or an extended status (IN_PROGRESS, ...) */
	const char *description;
	const char *media_url;
	/* the poster's details: accepted as the extension sends them, never stored */
	const char *email, *first_name, *last_name, *title, *phone, *account_id;
} open311_update_in_t;

#define OPEN311_STATUS_MAX 32           /* bytes of an update's status token */
#define OPEN311_UPDATE_DESCRIPTION_MAX 1500  /* characters: with its header line the note
                                                stays within CASE_COMMENT_MAX */

/*
 * Parses the form fields of POST servicerequestupdates: service_request_id,
 * status (letters and underscores) and description required; update_id,
 * updated_datetime (ISO 8601 with zone), media_url (http(s)) optional;
 * lengths.  Unknown fields are ignored.  PA_EINVAL names the field.  A fuzz
 * seam of fuzz_open311.
 */
int open311_parse_update(arena_t *a, const http_kv_t *kv, size_t n, int utc_offset_min,
                         open311_update_in_t *out, pa_err_t *err);

/*
 * Records a client's update on the request it names, as an internal note on
 * the case's timeline (kind "comment": the status the client reported, its
 * update id and time, the media URL, then the description) written by the
 * staff account behind the API key.  It never moves the case: its state
 * changes only through its workflow in Pingan.  The request must be one the
 * account may see (PA_ENOTFOUND otherwise, as for a request that does not
 * exist).  *update_id gets the note's event id.
 */
int open311_post_update(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                        const open311_update_in_t *in, pa_id_t *update_id, pa_err_t *err);

#endif
