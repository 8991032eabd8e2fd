/*
 * calendars.c — the working calendar as the server loaded it (calendars/YYYY.yaml, override.yaml,
 * the working hours), for the console's admin page: a year's official days off and 调休 working
 * weekends, and the due time of a limit counted the way every case limit is (calendar_add).
 * Read-only: the calendar changes by editing its files (`pingan calendar check`, then a restart).
 */
#include "base/common.h"
#include "api/api.h"
#include "core/calendar.h"

#include <stdio.h>

#define YEAR_MIN 1970
#define YEAR_MAX 9999

/* 0 = Sunday … 6 = Saturday (Sakamoto's method, proleptic Gregorian). */
static int weekday(int y, int m, int d)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
	if (m < 3)
		y -= 1;
	return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static json_t *hhmm(int seconds)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%02d:%02d", seconds / 3600, seconds / 60 % 60);
	return json_string(buf);
}

static json_t *working_hours(const calendar_t *cal)
{
	int starts[CALENDAR_MAX_PERIODS], ends[CALENDAR_MAX_PERIODS];
	int n = calendar_periods(cal, starts, ends);
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:o, s:o}", "from", hhmm(starts[i]), "to",
		                                     hhmm(ends[i])));
	return arr;
}

/* GET /api/v1/calendar?year=YYYY (default: this year in the district's time) */
int h_calendar_get(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	int y0, m0, d0;
	calendar_local_date(app->cal, pa_now(), &y0, &m0, &d0);
	int64_t year;
	int rc = api_query_int(req, "year", y0, YEAR_MIN, YEAR_MAX, &year);
	if (rc < 0)
		return rc;
	int y = (int)year;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	json_t *off = json_array(), *work = json_array();
	int nworking = 0, ndays = 0;
	for (int m = 1; m <= 12; m++) {
		int dim = mdays[m - 1] + (m == 2 && leap(y));
		for (int d = 1; d <= dim; d++) {
			ndays++;
			bool working = calendar_is_working_day(app->cal, y, m, d);
			int wd = weekday(y, m, d);
			bool weekend = wd == 0 || wd == 6;
			nworking += working;
			char date[32];
			snprintf(date, sizeof(date), "%04d-%02d-%02d", y, m, d);
			if (!working && !weekend)
				json_array_append_new(off, json_string(date));
			else if (working && weekend)
				json_array_append_new(work, json_string(date));
		}
	}
	http_resp_json(resp, 200,
	               json_pack("{s:i, s:b, s:i, s:i, s:o, s:o, s:o, s:i}", "year", y, "national",
	                         calendar_has_year(app->cal, y), "days", ndays, "working_days",
	                         nworking, "days_off", off, "working_weekends", work,
	                         "working_hours", working_hours(app->cal), "utc_offset_minutes",
	                         calendar_utc_offset(app->cal)));
	return 0;
}

/* GET /api/v1/calendar/due?start=…&amount=N&unit=calendar_days|working_days|working_hours */
int h_calendar_due(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	const char *s = http_query(req, "start");
	pa_time_t start = pa_now();
	if (s && pa_time_parse(s, calendar_utc_offset(app->cal), &start) < 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", "start",
		               "start must be a date (YYYY-MM-DD) or a time (RFC 3339)");
	int64_t amount;
	int rc = api_query_int(req, "amount", -1, 0, CALENDAR_MAX_AMOUNT, &amount);
	if (rc < 0)
		return rc;
	if (amount < 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", "amount", "amount is required");
	const char *u = http_query(req, "unit");
	due_unit_t unit;
	if (!u || due_unit_parse(u, &unit) < 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", "unit",
		               "unit must be calendar_days, working_days or working_hours");
	pa_time_t due;
	if (calendar_add(app->cal, start, (int)amount, unit, &due) < 0)
		return pa_fail(&req->err, PA_EINVAL, "validation", "start",
		               "start is outside the years a limit can be counted in");
	http_resp_json(resp, 200,
	               json_pack("{s:o, s:I, s:s, s:o}", "start", api_time(app, start), "amount",
	                         (json_int_t)amount, "unit", due_unit_name(unit), "due",
	                         api_time(app, due)));
	return 0;
}
