/*
 * testing.c — routes that exist only when the server runs with the test
 * clock (serve --test-clock): move time forward and run the timer now, so
 * tests can see windows close and cases close by themselves; the tick also
 * runs the deadline alerts and one outbox delivery pass, synchronously.
 */
#include "base/common.h"
#include "api/api.h"
#include "core/records.h"
#include "core/reminders.h"
#include "core/sender.h"
#include "core/supervision.h"

int h_test_clock(http_req_t *req, http_resp_t *resp)
{
	json_t *body;
	int rc = http_json_body(req, &body);
	if (rc < 0)
		return rc;
	json_t *adv = json_object_get(body, "advance_seconds");
	json_t *set = json_object_get(body, "offset_seconds");
	if (adv && json_is_integer(adv))
		pa_clock_set_offset(pa_clock_offset() + json_integer_value(adv));
	else if (set && json_is_integer(set))
		pa_clock_set_offset(json_integer_value(set));
	else
		rc = pa_fail(&req->err, PA_EINVAL, "validation", "advance_seconds",
		             "give advance_seconds or offset_seconds as an integer");
	json_decref(body);
	if (rc == 0)
		http_resp_json(resp, 200, json_pack("{s:I, s:o}", "offset_seconds", (json_int_t)pa_clock_offset(),
		                                    "now", api_time(api_app(req), pa_now())));
	return rc;
}

int h_test_tick(http_req_t *req, http_resp_t *resp)
{
	int applied = 0, marked = 0, reminded = 0, escalated = 0;
	sender_stats_t st = { 0 };
	pa_time_t now = pa_now();
	int rc = cases_timer_tick(api_app(req), now, &applied, &marked, &req->err);
	/* the rest of what the server's threads do: deadline alerts, then one
	 * delivery pass over every due outbox message (notifications) */
	if (rc == 0)
		rc = reminders_tick(api_app(req), now, &reminded, &escalated, &req->err);
	int part_marked = 0;  /* participants' stages marked overdue */
	if (rc == 0)
		rc = records_timer_tick(api_app(req), now, &part_marked, &req->err);
	int sup_escalated = 0;  /* supervision orders marked overdue and escalated */
	if (rc == 0)
		rc = supervision_timer_tick(api_app(req), now, &sup_escalated, &req->err);
	if (rc == 0)
		rc = sender_pass(api_app(req), now, true, &st, &req->err);
	if (rc < 0)
		return rc;
	json_t *j = json_pack("{s:i, s:i, s:i, s:i, s:{s:i, s:i, s:i}}", "applied", applied,
	                      "marked_overdue", marked, "reminders", reminded, "escalations",
	                      escalated, "outbox", "sent", st.sent, "retry", st.retry, "dead",
	                      st.dead);
	json_object_set_new(j, "supervision_escalated", json_integer(sup_escalated));
	json_object_set_new(j, "participants_overdue", json_integer(part_marked));
	http_resp_json(resp, 200, j);
	return 0;
}
