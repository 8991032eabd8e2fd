#include "base/common.h"
#include "base/ticker.h"
#include "core/timer.h"
#include "core/cases.h"
#include "core/records.h"
#include "core/reminders.h"
#include "core/supervision.h"

#include <stdlib.h>

struct pa_timer {
	pa_app_t *app;
	pa_ticker_t *ticker;
};

static void timer_pass(void *arg)
{
	pa_timer_t *t = arg;
	int applied = 0, marked = 0;
	pa_err_t err = { 0 };
	int64_t start = pa_mono_us();
	if (cases_timer_tick(t->app, pa_now(), &applied, &marked, &err) < 0)
		log_warn("timer: pass failed: %s", err.detail[0] ? err.detail : pa_strerror(err.code));
	else if (applied || marked)
		log_info("timer: %d automatic transitions, %d marked overdue (%lld ms)", applied, marked,
		         (long long)(pa_mono_us() - start) / 1000);
	int reminded = 0, escalated = 0;
	pa_err_clear(&err);
	if (reminders_tick(t->app, pa_now(), &reminded, &escalated, &err) < 0)
		log_warn("timer: reminders failed: %s",
		         err.detail[0] ? err.detail : pa_strerror(err.code));
	else if (reminded || escalated)
		log_info("timer: %d deadline reminders, %d escalations", reminded, escalated);
	int part_marked = 0;
	pa_err_clear(&err);
	if (records_timer_tick(t->app, pa_now(), &part_marked, &err) < 0)
		log_warn("timer: participants' limits failed: %s",
		         err.detail[0] ? err.detail : pa_strerror(err.code));
	else if (part_marked)
		log_info("timer: %d participant stages marked overdue", part_marked);
	int sup_escalated = 0;
	pa_err_clear(&err);
	if (supervision_timer_tick(t->app, pa_now(), &sup_escalated, &err) < 0)
		log_warn("timer: supervision pass failed: %s",
		         err.detail[0] ? err.detail : pa_strerror(err.code));
	else if (sup_escalated)
		log_info("timer: %d supervision orders overdue and escalated", sup_escalated);
}

pa_timer_t *timer_start(pa_app_t *app, int interval_s)
{
	pa_timer_t *t = xcalloc(1, sizeof(*t));
	t->app = app;
	t->ticker = ticker_start("timer", interval_s > 0 ? interval_s : 30, timer_pass, t);
	if (!t->ticker) {
		free(t);
		return NULL;
	}
	return t;
}

void timer_stop(pa_timer_t *t)
{
	if (!t)
		return;
	ticker_stop(t->ticker);
	free(t);
}
