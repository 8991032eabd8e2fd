/*
 * records.h — what a case keeps besides its state: records, approvals of
 * proposed steps, and participating units with their own stage tracks.
 * All three are declared in the case type's definition (workflow.h:
 * `records:`, a transition's `approval:`, `participants:`); nothing here
 * knows a case type by name.
 *
 *  - A record (a party, a mediation session, an agreement, a consultation,
 *    a task, an asset ...) is a row of case_records with the typed fields
 *    of its kind, validated like a transition's fields.  Records are never
 *    changed: a new version supersedes an old one (at most once).  Adding
 *    one writes the row, an internal timeline event and an audit record in
 *    one write.  A transition may `require` a current record of a kind.
 *  - A transition with `approval: { roles: [...] }` taken by staff only
 *    proposes it (cases.c: data.pending_approval, an "approval_requested"
 *    event).  One of the roles over the case — never the proposer —
 *    approves it (the step then takes effect, with every check of the step
 *    done again) or declines it with a reason.  While a proposal waits, the
 *    case takes no other step.
 *  - Participants (data.participants: org, its kind's track, stage) are
 *    added by the definition's participant roles in the owning unit; a
 *    participant's own staff (or those roles) move its stage forward along
 *    its track.  With `visibility: participants` only the owning unit and
 *    the participants see the case (authz rule 5).
 */
#ifndef PA_RECORDS_H
#define PA_RECORDS_H

#include <jansson.h>

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define RECORD_REASON_MAX 2000   /* characters of a decline reason or a stage note */

/* Adds a record of kind to cs (supersedes: 0, or the id of the current
 * version it replaces).  404 unknown kind, 403 role, 409 state or an
 * already superseded version, 400 fields. */
int cases_record_add(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                     const char *kind, const json_t *fields, pa_id_t supersedes, pa_record_t *out,
                     pa_err_t *err);
/* All records of cs, every version, in id order. */
/*
 * The current records of one kind across the cases p may see, for the
 * roles the kind lists (`list:`; 404 when the type or kind is unknown or
 * the kind is not listed, 403 when p holds none of its roles).  Only p's
 * memberships with those roles decide which cases (authz rules 1, 2, 3, 5).
 * f->type and f->kind name the kind; f->cases may carry owner_org_id and
 * open; match (NULL: none) maps field names to the values a record must
 * hold (json_equal).  Pages of f->limit: *next_before is the cursor of the
 * next page (0: none); a page may be shorter when match drops records.
 */
int cases_records_list(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                       pa_record_filter_t *f, const json_t *match, pa_record_row_t **out,
                       size_t *n, pa_id_t *next_before, pa_err_t *err);
int cases_records(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_record_t **out, size_t *n,
                  pa_err_t *err);
/* Whether p may add records of kind rk on cs. */
bool cases_may_add_record(const pa_principal_t *p, const pa_case_t *cs, const wf_def_t *def,
                          const wf_record_kind_t *rk);

/* Approves (approve true) or declines (reason required) the proposal
 * waiting on cs.  *out is the case afterwards. */
int cases_decide_approval(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                          bool approve, const char *reason, pa_case_t *out, pa_err_t *err);
/* Whether p may decide the proposal waiting on cs (false when none). */
bool cases_may_decide(pa_app_t *app, const pa_principal_t *p, const pa_case_t *cs);

/* Adds unit org_id (whose kind has a track) as a participant, at its first stage. */
int cases_participant_add(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                          pa_id_t org_id, pa_case_t *out, pa_err_t *err);
/* Moves participant org_id to a later stage of its track. */
int cases_participant_stage(pa_app_t *app, arena_t *a, const pa_principal_t *p,
                            const pa_case_t *cs, pa_id_t org_id, const char *stage,
                            const char *note, pa_case_t *out, pa_err_t *err);

/* The timer's pass over participants' stage limits (a track stage's `due`):
 * each stage past its limit is marked overdue once, with an internal
 * timeline event (participant_overdue) and an audit record; *marked counts
 * them. */
int records_timer_tick(pa_app_t *app, pa_time_t now, int *marked, pa_err_t *err);

#endif
