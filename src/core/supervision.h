/*
 * supervision.h — supervision orders (督办): an order about one case, with a
 * reason, a required action and a due date, to the unit that owns the case.
 *
 * The state machine of an order (one row of supervision_orders):
 *
 *     open ──reply──▶ replied ──close──▶ closed
 *      │                 ▲
 *      └─timer─▶ overdue ┘ (a late reply)      open/overdue ──close──▶ closed
 *
 *   issue   supervision_issue(): a supervisor or leader whose oversight
 *           covers the case (authz rule 2) and who can see it; the order
 *           goes from that role's unit to the case's owning unit at the
 *           time of the write.
 *   reply   supervision_reply(): a member with a working role (intake,
 *           handler, mediator, grid_worker) of the unit the order went to,
 *           or of the unit that owns the case now.
 *   overdue supervision_timer_tick(): an open order whose due time passed is
 *           marked overdue and escalated exactly once — the UPDATE is
 *           conditional on the row still being open and never escalated, so
 *           two passes, two processes or a restart cannot do it twice.
 *           Escalation is an internal timeline event, an audit record and
 *           supervision_notify_escalation() (a webhook to the leaders).
 *   close   supervision_close(): a supervisor or leader covering the case
 *           (normally the issuer, after accepting the reply, or to withdraw).
 *
 * Every step writes the order, an internal event on the case's timeline and
 * an audit record in one store_write().  Who may see an order: whoever may
 * see its case (authz); the board lists the orders on the cases a user sees.
 */
#ifndef PA_SUPERVISION_H
#define PA_SUPERVISION_H

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define SUPERVISION_TEXT_MAX 2000      /* characters of reason, required action, close note */
#define SUPERVISION_REPLY_MAX 4000     /* characters of a reply */
#define SUPERVISION_DUE_MAX_DAYS 366   /* the due date is at most this far ahead */
#define SUPERVISION_TIMER_PAGE 200     /* orders escalated per write */

typedef struct supervision_input {
	const char *reason;
	const char *required_action;
	const char *due_date;          /* YYYY-MM-DD: due at the end of that local day */
} supervision_input_t;

/* open, replied, overdue, closed */
bool supervision_state_valid(const char *state);
const char *supervision_state_label(const char *state, const char *lang);

/* cs: a case p may see (cases_get). */
int supervision_issue(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                      const supervision_input_t *in, pa_supervision_t *out, pa_err_t *err);
/* An order whose case p may see (else PA_ENOTFOUND), with the case. */
int supervision_get(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                    pa_supervision_t *out, pa_case_t *cs, pa_err_t *err);
/* All orders of a case p may see, in id order. */
int supervision_of_case(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_supervision_t **out,
                        size_t *n, pa_err_t *err);
int supervision_reply(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                      const char *text, pa_supervision_t *out, pa_err_t *err);
int supervision_close(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                      const char *note, pa_supervision_t *out, pa_err_t *err);

/* The board: f->state, f->to_orgs, cursor and limit come from the caller;
 * `org` (0 = any) narrows to orders sent to that org or any unit under it;
 * the visibility members are set here from p. */
int supervision_board(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t org,
                      pa_supervision_filter_t *f, pa_supervision_t **out, size_t *n, bool *more,
                      pa_err_t *err);

/* One timer pass: marks open orders past due overdue and escalates each once. */
int supervision_timer_tick(pa_app_t *app, pa_time_t now, int *escalated, pa_err_t *err);

/*
 * Called inside the write that marks order o overdue (cs: its case as of
 * that write): queues one webhook message (templates/notify/
 * supervision_overdue.yaml, event "supervision.overdue") naming the leaders
 * of the unit the order went to and of the issuing unit.  A failure here
 * fails the escalation write, which the next timer pass retries.
 */
int supervision_notify_escalation(pa_app_t *app, store_tx_t *tx, arena_t *a,
                                  const pa_supervision_t *o, const pa_case_t *cs, pa_time_t now);

#endif
