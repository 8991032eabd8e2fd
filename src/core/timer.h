/*
 * timer.h — the server's background pass over due items.
 *
 * One thread wakes every timer.interval_seconds and runs
 * cases_timer_tick(): automatic transitions whose window passed (e.g. a
 * replied petition closes when nobody asked for review) and overdue marks;
 * then reminders_tick(): deadline reminders and escalations (reminders.h).
 * Each item's change is conditional on its current row inside the write
 * transaction, so a pass that runs twice, or after a restart, changes
 * nothing twice.
 */
#ifndef PA_TIMER_H
#define PA_TIMER_H

#include "core/app.h"

typedef struct pa_timer pa_timer_t;

pa_timer_t *timer_start(pa_app_t *app, int interval_s);
void timer_stop(pa_timer_t *t);

#endif
