/*
 * cases.h — the case service: create, read, act, rate, comment, reveal,
 * attach, and the timer pass.  One implementation for every case type: the
 * type's workflow definition decides states, transitions, roles, fields,
 * deadlines and notices.
 *
 * Every write runs as one store_write() function, so a case, its parties,
 * attachments links, timeline events and audit records commit together or
 * not at all.  Checks that depend on the case's current state are done
 * again inside that function, on the writer connection, so two concurrent
 * actions on one case cannot both succeed from the same state.
 */
#ifndef PA_CASES_H
#define PA_CASES_H

#include <jansson.h>

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define CASE_TITLE_MAX 200        /* characters */
#define CASE_BODY_MAX 20000       /* characters */
#define CASE_COMMENT_MAX 4000     /* characters */
#define CONTACT_NAME_MAX 50       /* characters */
#define CONTACT_ADDRESS_MAX 200   /* characters */
#define CONTACT_EMAIL_MAX 254     /* bytes (RFC 5321 path limit) */
#define LOCATION_ADDRESS_MAX 200  /* characters */
#define RATING_COMMENT_MAX 1000   /* characters */
#define TIMER_PAGE 200            /* due items handled per write */

typedef struct case_contact {
	const char *name;
	const char *phone;
	const char *id_number;
	const char *address;
	const char *email;         /* optional: notices are also sent there */
} case_contact_t;

typedef struct case_file {
	const char *name;
	const char *data;
	size_t len;
} case_file_t;

typedef struct case_input {
	const char *type;
	const char *category;
	const char *title;
	const char *body;
	const char *channel;       /* staff: letter, visit, phone, hotline, web, grid, open311; public: web */
	pa_id_t accused_org_id;    /* accusations only */
	bool has_contact;
	case_contact_t contact;
	const char *lang;          /* the submitter's language (zh-CN, en) for notices; NULL = default */
	bool enterprise_related;   /* 涉企: kept as data.enterprise_related (staff only) */
	case_file_t *files;
	size_t nfiles;
	/* where (the type's `location:`): a WGS-84 point and/or an address */
	bool has_point;
	double lat, lng;
	const char *address;
	const char *media_url;     /* Open311: a link to a photo, kept in the case's data; NULL = none */
} case_input_t;

/* Checks a text input as every case text is checked: present when required,
 * valid UTF-8, no control characters but tab and newlines, at most max
 * characters; the error names `field`. */
int cases_check_text(const char *s, const char *field, bool required, size_t max, pa_err_t *err);

/* Localized name of a channel. */
const char *case_channel_label(const char *channel, const char *lang);

/* The checks of a submission that need no database (the fuzz seam):
 * type, category, text lengths and encoding, channel, contact presence. */
int cases_check_input(const wf_registry_t *wf, const case_input_t *in, bool staff,
                      const wf_def_t **def, const wf_category_t **cat, pa_err_t *err);

int cases_create(pa_app_t *app, arena_t *a, const pa_principal_t *p, const case_input_t *in,
                 pa_case_t *out, char query_code[PA_QUERY_CODE_LEN + 1], pa_err_t *err);

/* A case the principal may see; PA_ENOTFOUND otherwise. Staff reads are audited
 * when `audit_view` is true. */
int cases_get(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id, bool audit_view,
              pa_case_t *out, pa_err_t *err);
/* The public's read: number + query code; wrong codes are rate-limited per address. */
int cases_get_public(pa_app_t *app, arena_t *a, const char *number, const char *code,
                     const char *client_ip, pa_case_t *out, pa_err_t *err);

int cases_list(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_case_filter_t *f,
               pa_case_t **out, size_t *n, bool *more, pa_err_t *err);

/* expected_version > 0: refuse with 409 (field "version") when the case has
 * changed since the caller read it — checked atomically with the write. */
int cases_transition(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_case_t *cs,
                     const char *action, const json_t *fields, int expected_version,
                     pa_case_t *out, pa_err_t *err);
/* Performs the public action (e.g. "review") available in the case's state. */
int cases_public_action(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_case_t *cs,
                        const char *public_action, const json_t *fields, pa_case_t *out,
                        pa_err_t *err);

/* Transitions p may take on cs now (allowed role, from this state, once
 * unused, window open). */
size_t cases_allowed_actions(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                             const pa_case_t *cs, const wf_transition_t ***out);
/* When the transition's window ends for cs (0 = no window). */
pa_time_t cases_window_end(pa_app_t *app, const pa_case_t *cs, const wf_transition_t *t);

/* Levels: very_satisfied, satisfied, basically_satisfied, dissatisfied, very_dissatisfied. */
bool rating_level_valid(const char *level);
const char *rating_level_label(const char *level, const char *lang);
int cases_rate(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
               const char *level, const char *comment, pa_err_t *err);

int cases_comment(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                  const char *text, pa_id_t *event_id, pa_err_t *err);

typedef struct party_clear {
	pa_id_t id;
	const char *role;
	const char *name;
	const char *phone;
	const char *id_number;
	const char *address;
	const char *email;
	bool sealed;               /* the type's sealed contact: no data unless revealed */
} party_clear_t;

/* Decrypts all parties of a case; masked unless `reveal` (which is audited).
 * A sealed contact (workflow contact.sealed) shows nothing but its role and
 * may be revealed only by contact.reveal_roles held in the case's intake
 * unit: PA_EFORBIDDEN otherwise, and the refusal is audited. */
int cases_parties(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                  bool reveal, pa_id_t only_party, party_clear_t **out, size_t *n, pa_err_t *err);

int cases_attach(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                 const case_file_t *files, size_t n, pa_attachment_t **out, pa_err_t *err);

/*
 * Inside a write: applies the step proposed in `pending` (the case's
 * data.pending_approval) to cs as approved by p — p need not hold the
 * step's roles; every other check of the step applies.  approval_data goes
 * on the step's event.  For core/records.c.
 */
int cases_apply_approved_tx(store_tx_t *tx, pa_app_t *app, arena_t *a, const pa_principal_t *p,
                            const pa_case_t *cs, const json_t *pending, json_t *approval_data,
                            pa_time_t now, pa_case_t *out);

/* One timer pass: applies timeouts and marks overdue items; safe to run
 * from several threads or processes — each item changes exactly once. */
int cases_timer_tick(pa_app_t *app, pa_time_t now, int *applied, int *marked, pa_err_t *err);

#endif
