/*
 * reminders.h — deadline reminders and escalation (催办、超期督办).
 *
 * One pass, run by the timer thread after cases_timer_tick() (and by
 * POST /api/test/tick):
 *
 *   reminder    an open case whose elapsed share of its current limit
 *               (due_at − state_entered_at) reached reminders.share_percent;
 *   escalation  an open case whose due_at has passed;
 *
 * each once per limit: per (case, state, due_at).  A new state, or an
 * extension (a new due time), is a new limit and may be reminded and
 * escalated again; a state re-entered with the same due time (a limit
 * counted from the case's registration) is the same limit.
 *
 * Both go to the owning unit's leaders and supervisors (their memberships
 * in that unit) through the webhook (core/notify.h), and are recorded on the
 * case's internal timeline (kind reminder / escalation) and in the audit log
 * — all in one write that also inserts the case_alerts row, whose primary
 * key makes each alert fire exactly once across passes, processes and
 * restarts.  States the timer moves on by itself (a `timeout`, such as the
 * public's review window) are not the unit's to hurry and get neither.
 */
#ifndef PA_REMINDERS_H
#define PA_REMINDERS_H

#include "core/app.h"

#define REMINDER_PAGE 200   /* cases handled per write */

int reminders_tick(pa_app_t *app, pa_time_t now, int *reminded, int *escalated, pa_err_t *err);

#endif
