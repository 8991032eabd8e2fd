/*
 * workflow.h — case types as data, and the one engine that runs them all.
 *
 * A case type is a YAML definition file under workflows/ (petition.yaml is the
 * first).  wf_load_*() parses and validates it; the resulting wf_def_t is
 * immutable and lives until wf_def_free().  Nothing in C switches on a case
 * type's name: states, transitions, who may take them, required fields,
 * notices, deadlines, windows and timeouts all come from the definition.
 *
 * Definition shape (see workflows/petition.yaml for the full, commented one):
 *
 *   type: petition
 *   label: { zh: 信访, en: Petition }
 *   number_prefix: XF              # case numbers XF-2026-000123
 *   initial: registered            # state a new case starts in
 *   register: { roles: [intake, grid_worker], public: true }  # who may register; public submission
 *   contact: { role: informant, anonymous: true, sealed: true, reveal_roles: [intake] }
 *   location: required                 # none (default) | optional | required: point and/or address
 *   categories:
 *     - { code: grievance, label: {zh: 申诉求决, en: Grievance} }
 *     - { code: accusation, label: {...}, accusation: true }   # sealed from the accused unit
 *     - { code: "01", label: {...} }                            # a class (first level)
 *     - code: "0101"                                            # a subcategory of "01"
 *       parent: "01"
 *       service_code: "0101"                                    # Open311 service_code (unique)
 *       due: { dispatched: { amount: 4, unit: working_hours } } # its own limits per state
 *   states:
 *     registered:
 *       label: {...}
 *       due: { amount: 15, unit: calendar_days, from: case, basis: "信访工作条例 第22、23条" }
 *     replied:
 *       due: { amount: 30, unit: calendar_days, from: state, basis: "第35条" }
 *       timeout: close                 # transition the timer applies when due passes
 *       rating: true                   # the public may rate while in this state
 *     closed: { terminal: true }
 *   transitions:
 *     accept:
 *       from: [registered, forwarded]
 *       to: handling
 *       roles: [intake, handler]       # special roles: public, system
 *       notice: acceptance             # names an entry under notices:
 *       public: true                   # event shown on the public timeline
 *     forward:
 *       from: [registered]
 *       to: forwarded
 *       owner: field:org_id            # keep (default) | field:NAME | superior | intake | kind:KIND
 *                                      # | previous (the unit that owned it before the last change)
 *       fields:
 *         org_id: { type: org, required: true, label: {...} }
 *         reason: { type: text, required: true, max: 2000 }
 *     extend:
 *       from: [handling]
 *       to: handling
 *       once: true
 *       fields: { days: { type: int, min: 1, max: 30, required: true }, reason: {...} }
 *       due_add: { field: days, unit: calendar_days }
 *     object:
 *       window: { amount: 5, unit: working_days, from: state }   # only within this window
 *     request_review:
 *       roles: [public]
 *       public_action: review          # what POST /api/public/cases/{n}/review performs
 *   notices:
 *     acceptance:
 *       title: { zh: 受理告知书, en: Notice of acceptance }
 *       body:  { zh: "您的信访事项（{number}）已于{date}受理……", en: "..." }
 *
 * Field types: text (max = characters, default 4000), int (min, max), enum
 * (values: list of {code, label}), org (an org id; the engine's caller checks
 * it exists), date (YYYY-MM-DD), bool.
 * Validation errors name the file, line and column, or the path
 * ("transitions.extend.to: unknown state 'handled'").  The loader rejects:
 * unknown keys, unknown states in from/to/timeout, a state no transition
 * reaches (other than initial), a non-terminal state with no way out, a
 * transition with no roles, a timeout naming a transition that does not
 * leave that state or is not taken by `system`, a bad due (unit, amount out
 * of range), duplicate category codes, notices referenced but not defined,
 * a category parent not defined above it or itself a subcategory, duplicate
 * or misplaced service codes, category limits for unknown or terminal states,
 * notice placeholders that are neither built-in ({number}, {date}, {title},
 * {unit}, {due}) nor a field of every transition that uses the notice.
 */
#ifndef PA_WORKFLOW_H
#define PA_WORKFLOW_H

#include <jansson.h>

#include "base/common.h"
#include "base/clock.h"
#include "core/calendar.h"

#define WF_MAX_FILE (1 << 20)
#define WF_MAX_STATES 64
#define WF_MAX_TRANSITIONS 128
#define WF_MAX_FIELDS 32
#define WF_MAX_CATEGORIES 256
#define WF_MAX_RECORD_KINDS 32
#define WF_HANDOVER_DEPTH 8     /* hand-over ends that may trigger one another in one write */
#define WF_TEXT_DEFAULT_MAX 4000

typedef struct wf_label {
	const char *zh;
	const char *en;
} wf_label_t;

typedef enum wf_from { WF_FROM_STATE = 0, WF_FROM_CASE = 1 } wf_from_t;

typedef struct wf_due {
	int amount;
	due_unit_t unit;
	wf_from_t from;     /* anchor: when the case entered the state, or was created */
	const char *basis;  /* legal basis, shown to people; may be NULL */
} wf_due_t;

typedef enum wf_field_type {
	WF_FIELD_TEXT, WF_FIELD_INT, WF_FIELD_ENUM, WF_FIELD_ORG, WF_FIELD_DATE, WF_FIELD_BOOL,
} wf_field_type_t;

typedef struct wf_enum_value {
	const char *code;
	wf_label_t label;
} wf_enum_value_t;

typedef struct wf_field {
	const char *name;
	wf_label_t label;
	wf_field_type_t type;
	bool required;
	int64_t min, max;          /* int: value range; text: max characters (min unused) */
	wf_enum_value_t *values;   /* enum */
	size_t nvalues;
	bool must_be_true;         /* bool: only true is accepted (a signature, a consent) */
} wf_field_t;

typedef struct wf_state {
	const char *name;
	wf_label_t label;
	bool terminal;
	bool has_due;
	wf_due_t due;
	const char *timeout;   /* transition name, or NULL */
	bool rating;
	/* system transition taken when the case handed over from this state
	 * reaches a terminal state (the case waits for the outcome); NULL = none */
	const char *handover_end;
} wf_state_t;

typedef struct wf_transition {
	const char *name;
	wf_label_t label;
	const char **from;
	size_t nfrom;
	const char *to;
	const char **roles;
	size_t nroles;
	wf_field_t *fields;
	size_t nfields;
	const char *notice;        /* NULL = none */
	bool public;               /* event visible on the public timeline */
	bool once;                 /* at most once per case */
	bool has_due_add;          /* extends the current due instead of recomputing */
	const char *due_add_field; /* int field holding the amount, or NULL */
	int due_add_amount;        /* used when due_add_field is NULL */
	due_unit_t due_add_unit;
	bool has_window;           /* may only be taken within this window */
	wf_due_t window;
	const char *owner;         /* "keep", "field:NAME", "superior", "intake", "previous", "kind:KIND" */
	const char *public_action; /* e.g. "review"; NULL */
	/* records that must exist (current, not superseded) before it is taken */
	const char **requires;
	size_t nrequires;
	/* approval: taking it only proposes it; one of these roles over the case
	 * approves (then it takes effect) or declines.  napproval_roles 0 = none. */
	const char **approval_roles;
	size_t napproval_roles;
	/* hand-over: taking it also opens a case of handover_type, linked from
	 * this one (kind handover); NULL = none */
	const char *handover_type;
	const char *handover_category;  /* a category code of that type, or "field:NAME" */
	const char *handover_owner;     /* "keep" (this case's owner), "field:NAME", "kind:KIND" */
} wf_transition_t;

/* A category's own limit for one state (overrides the state's due). */
typedef struct wf_category_due {
	const char *state;
	wf_due_t due;
} wf_category_due_t;
/* A kind of record kept on a case (a party, a mediation session, an
 * agreement, a consultation, a task, an asset ...): typed fields validated
 * like a transition's, added by the roles listed while the case is in one
 * of `states` (none listed = any non-terminal state). */
/* One condition of a record kind's alert: an enum field with one of codes,
 * or a bool field equal to boolean. */
typedef struct wf_alert_cond {
	const wf_field_t *field;
	const char **codes;        /* enum */
	size_t ncodes;
	bool boolean;              /* bool */
} wf_alert_cond_t;

typedef struct wf_record_kind {
	const char *name;
	wf_label_t label;
	const char **roles;
	size_t nroles;
	const char **states;
	size_t nstates;
	wf_field_t *fields;
	size_t nfields;
	/* `list: [roles]`: who lists the current records of this kind across the
	 * cases they see (GET /api/v1/records); none = not listed. */
	const char **list_roles;
	size_t nlist_roles;
	/* `alert: { when: {field: value}, to: { kind, roles } }`: a record meeting
	 * any condition tells the holders of roles in the nearest unit of that
	 * kind, through the outbox (event record_alert), in the record's write. */
	wf_alert_cond_t *alert_when;
	size_t nalert_when;
	const char *alert_kind;
	const char **alert_roles;
	size_t nalert_roles;
} wf_record_kind_t;

/* A participant's stage track (joint cases): an org kind and its stages in order. */
typedef struct wf_track {
	const char *kind;          /* org kind: police, procuratorate, court, ... */
	wf_label_t label;
	wf_enum_value_t *stages;
	size_t nstages;
	wf_due_t *stage_dues;      /* per stage: its limit, amount 0 when it has none */
} wf_track_t;

typedef struct wf_category {
	const char *code;
	wf_label_t label;
	bool accusation;
	const char *parent;        /* code of its class (two levels at most); NULL = top level */
	bool has_children;         /* a class: cases take one of its subcategories */
	const char *service_code;  /* Open311 service_code (leaves only), or NULL */
	wf_category_due_t *dues;   /* per-state limits of this category */
	size_t ndues;
} wf_category_t;

/* Where a case is: none, optional, or required (a map point and/or an address). */
typedef enum wf_location { WF_LOCATION_NONE = 0, WF_LOCATION_OPTIONAL, WF_LOCATION_REQUIRED } wf_location_t;

#define WF_MAX_REGISTER_ROLES 8

typedef struct wf_notice {
	const char *name;
	wf_label_t title;
	wf_label_t body;
} wf_notice_t;

/*
 * What the indicators count for this type (core/indicators.c; docs/indicators.md).
 * Optional section `indicators:` of a definition:
 *
 *   indicators:
 *     acceptance: [registered, forwarded]  # leaving these states in time = accepted on time
 *     handling: [handling]                 # leaving these in time = handled on time; the
 *                                          # working days from registration = handling time
 *     counts:                              # named facts a case reaches at most once
 *       replied: { label: {...}, states: [replied] }           # entered one of these states
 *       reviewed: { label: {...}, transitions: [request_review] } # or took one of these
 *     rates:                               # numerator / denominator over counts
 *       review_rate: { label: {...}, numerator: reviewed, denominator: replied }
 *       # denominator `cases` = every case of the type; `exclude: NAME` leaves out
 *       # the cases that reached NAME from the denominator (and the numerator);
 *       # `without: NAME` counts in the numerator only cases that did not reach NAME
 *       # (numerator may then be left out: the denominator's cases without NAME)
 */
#define WF_MAX_COUNTS 40
#define WF_MAX_RATES 24

typedef struct wf_count {
	const char *name;
	wf_label_t label;
	const char **states;
	size_t nstates;
	const char **transitions;
	size_t ntransitions;
} wf_count_t;

typedef struct wf_rate {
	const char *name;
	wf_label_t label;
	const char *numerator;     /* a count name, or NULL (with `without`) */
	const char *denominator;   /* a count name, or "cases" */
	const char *exclude;       /* a count name, or NULL */
	const char *without;       /* numerator: cases of the denominator that did NOT reach it */
} wf_rate_t;

typedef struct wf_indicators {
	const char **acceptance;
	size_t nacceptance;
	const char **handling;
	size_t nhandling;
	wf_count_t *counts;
	size_t ncounts;
	wf_rate_t *rates;
	size_t nrates;
} wf_indicators_t;

typedef struct wf_def {
	const char *type;
	wf_label_t label;
	const char *number_prefix;
	const char *initial;
	const char *source;        /* file name it was loaded from */
	wf_state_t *states;
	size_t nstates;
	wf_transition_t *transitions;
	size_t ntransitions;
	wf_category_t *categories;
	size_t ncategories;
	wf_notice_t *notices;
	size_t nnotices;
	/* Who registers (register:): staff roles, and whether the public may
	 * submit through POST /api/public/cases. */
	const char **register_roles;
	size_t nregister_roles;
	bool public_submit;
	/* The submitter's party (contact:). */
	const char *contact_role;  /* party role: petitioner (default), informant, ... */
	bool contact_anonymous;    /* the public may leave contact out in every category */
	bool contact_sealed;       /* identity shown to nobody but reveal_roles of the registering unit */
	const char **reveal_roles;
	size_t nreveal_roles;
	wf_location_t location;    /* location: none | optional | required */
	wf_record_kind_t *records;
	size_t nrecords;
	/* participants (joint cases): units that join the case, each with its
	 * own stage track; with participants_only the case is visible to the
	 * owning unit and the participants only. */
	wf_track_t *tracks;
	size_t ntracks;
	const char **participant_roles;   /* who (in the owning unit) adds participants */
	size_t nparticipant_roles;
	bool participants_only;
	wf_indicators_t indicators; /* all empty when the definition has none */
	arena_t *arena;            /* owns everything above */
} wf_def_t;

typedef struct wf_registry {
	wf_def_t **defs;
	size_t ndefs;
} wf_registry_t;

/* Parse and validate one definition held in memory (fuzz seam). */
int wf_load_buffer(const char *buf, size_t len, const char *name, wf_def_t **out, pa_err_t *err);
int wf_load_file(const char *path, wf_def_t **out, pa_err_t *err);
void wf_def_free(wf_def_t *def);

/* Loads every *.yaml in dir; two files with one type is an error. */
int wf_registry_load_dir(const char *dir, wf_registry_t **out, pa_err_t *err);
void wf_registry_free(wf_registry_t *reg);
const wf_def_t *wf_registry_find(const wf_registry_t *reg, const char *type);

const wf_state_t *wf_find_state(const wf_def_t *def, const char *name);
const wf_transition_t *wf_find_transition(const wf_def_t *def, const char *name);
const wf_category_t *wf_find_category(const wf_def_t *def, const char *code);
/* The category with this Open311 service_code across all types (codes are
 * unique in a registry); *def gets its type.  NULL when none. */
const wf_category_t *wf_registry_find_service(const wf_registry_t *reg, const char *service_code,
                                              const wf_def_t **def);
/* The limit of `state` for a case of category `category`: the category's own,
 * else its class's, else the state's; NULL when there is none. */
const wf_due_t *wf_category_state_due(const wf_def_t *def, const char *category,
                                      const wf_state_t *state);
bool wf_register_allows_role(const wf_def_t *def, const char *role);
bool wf_reveal_allows_role(const wf_def_t *def, const char *role);
const wf_notice_t *wf_find_notice(const wf_def_t *def, const char *name);
/* Index of a count of the indicators section, or -1. */
int wf_find_count(const wf_def_t *def, const char *name);
bool wf_transition_leaves(const wf_transition_t *t, const char *state);
bool wf_transition_allows_role(const wf_transition_t *t, const char *role);
/* The transition with this public_action that leaves `state`, or NULL. */
const wf_transition_t *wf_find_public_action(const wf_def_t *def, const char *state,
                                             const char *action);

/*
 * Checks an action's input object against the transition's fields: unknown
 * members, missing required fields, wrong JSON types, out-of-range values,
 * unknown enum codes, bad dates.  On error names the field ("fields.days").
 */
int wf_validate_fields(const wf_transition_t *t, const json_t *fields, pa_err_t *err);
/* The same check for a record of kind rk (errors name "fields.NAME"). */
int wf_validate_record(const wf_record_kind_t *rk, const json_t *fields, pa_err_t *err);

const wf_record_kind_t *wf_find_record_kind(const wf_def_t *def, const char *name);
const wf_track_t *wf_find_track(const wf_def_t *def, const char *org_kind);
/* Index of stage in the track, -1 when it is not one of its stages. */
int wf_track_stage(const wf_track_t *tr, const char *stage);
/* Whether a record of kind rk with these fields meets one of its alert
 * conditions (false when rk has no alert). */
bool wf_record_alerts(const wf_record_kind_t *rk, const json_t *fields);
/* Whether record kind rk may be added in state. */
bool wf_record_allowed_in(const wf_record_kind_t *rk, const wf_state_t *state);
/*
 * Checks what one definition refers to in the others (hand-over types and
 * their categories): run after all of a registry's definitions are loaded.
 */
int wf_registry_check_refs(const wf_registry_t *reg, pa_err_t *err);

/* The due time of `state` for a case created at `created` that entered the
 * state at `entered`; *due = 0 when the state has no limit. */
int wf_state_due(const calendar_t *cal, const wf_state_t *state, pa_time_t created,
                 pa_time_t entered, pa_time_t *due);
/* The same, with the category's own limit when it has one (what the engine uses). */
int wf_case_state_due(const calendar_t *cal, const wf_def_t *def, const char *category,
                      const wf_state_t *state, pa_time_t created, pa_time_t entered,
                      pa_time_t *due);
/* Whether `now` is within the transition's window (true when it has none). */
bool wf_window_open(const calendar_t *cal, const wf_transition_t *t, pa_time_t created,
                    pa_time_t entered, pa_time_t now);
/* The end of the transition's window (0 when it has none). */
pa_time_t wf_window_end(const calendar_t *cal, const wf_transition_t *t, pa_time_t created,
                        pa_time_t entered);

/*
 * Renders a notice in "zh" or "en": placeholders {name} are replaced by
 * vars[name] (a JSON object of strings/numbers; missing → empty).  The
 * result is plain text (HTML-escaping is the renderer's job).
 */
char *wf_render_notice(arena_t *a, const wf_notice_t *n, const char *lang, const json_t *vars,
                       char **title_out);

/* The definition as JSON for the API / console (labels, states, transitions,
 * fields, categories). Caller owns the reference. */
json_t *wf_def_to_json(const wf_def_t *def);

/* Label in the language ("en" or anything else → zh). */
static inline const char *wf_label(const wf_label_t *l, const char *lang)
{
	if (lang && lang[0] == 'e' && lang[1] == 'n' && l->en)
		return l->en;
	return l->zh ? l->zh : l->en;
}

#endif
