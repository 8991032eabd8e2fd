/*
 * test_calendar.c — working days, 调休, due arithmetic and calendar files.
 *
 * The real calendars/2025.yaml and calendars/2026.yaml are loaded from
 * $PINGAN_SOURCE_DIR/calendars (or ./calendars).  Every expected due time is
 * a literal worked out by hand from the 2025/2026 tables in
 * /work/shared/PROCEDURES.md; the comment next to each says how.  All local
 * times are China time (UTC+8, offset +480 minutes).
 */
#include "base/common.h"
#include "core/calendar.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define CN 480

static const char *calendars_dir(void)
{
	static char path[2048];
	const char *src = getenv("PINGAN_SOURCE_DIR");
	snprintf(path, sizeof(path), "%s/calendars", src && *src ? src : ".");
	return path;
}

static calendar_t *load_real(void)
{
	calendar_t *cal = calendar_new(CN);
	pa_err_t err = { 0 };
	int rc = calendar_load_dir(cal, calendars_dir(), &err);
	if (rc != 0)
		print_error("loading %s: %s\n", calendars_dir(), err.detail);
	assert_int_equal(rc, 0);
	return cal;
}

static pa_time_t at(const char *iso)
{
	pa_time_t t;
	if (pa_time_parse(iso, CN, &t) != 0)
		fail_msg("bad time literal in test: %s", iso);
	return t;
}

#define assert_due(cal, start, amount, unit, want) \
	check_due(cal, start, amount, unit, want, __FILE__, __LINE__)

static void check_due(const calendar_t *cal, const char *start, int amount, due_unit_t unit,
                      const char *want, const char *file, int line)
{
	pa_time_t due = 0;
	int rc = calendar_add(cal, at(start), amount, unit, &due);
	if (rc != 0)
		fail_msg("%s:%d: calendar_add(%s, %d %s) failed: %d", file, line, start, amount,
		         due_unit_name(unit), rc);
	if (due != at(want)) {
		char got[32];
		pa_time_format(due, CN, got);
		fail_msg("%s:%d: %s + %d %s: want %s, got %s", file, line, start, amount,
		         due_unit_name(unit), want, got);
	}
}

#define assert_working(cal, y, m, d) assert_true(calendar_is_working_day(cal, y, m, d))
#define assert_rest(cal, y, m, d) assert_false(calendar_is_working_day(cal, y, m, d))

/* Loads `text` under `name` and expects exactly the error `want`. */
#define assert_load_error(cal, name, text, want) \
	check_load_error(cal, name, text, want, __FILE__, __LINE__)

static void check_load_error(calendar_t *cal, const char *name, const char *text, const char *want,
                             const char *file, int line)
{
	pa_err_t err = { 0 };
	int rc = calendar_load_buffer(cal, text, strlen(text), name, &err);
	if (rc != PA_EINVAL)
		fail_msg("%s:%d: load of %s returned %d, want PA_EINVAL", file, line, name, rc);
	if (strcmp(err.detail, want) != 0)
		fail_msg("%s:%d: error\n  got:  %s\n  want: %s", file, line, err.detail, want);
	assert_string_equal(err.type, "calendar");
}

/* ---- the national calendars ---------------------------------------------- */

static void test_national_days_off(void **state)
{
	calendar_t *cal = load_real();
	assert_true(calendar_has_year(cal, 2025));
	assert_true(calendar_has_year(cal, 2026));
	/* 2026 春节 02-15…02-23: Monday 02-16 is off, Tuesday 02-24 is back */
	assert_rest(cal, 2026, 2, 16);
	assert_rest(cal, 2026, 2, 15);
	assert_rest(cal, 2026, 2, 23);
	assert_working(cal, 2026, 2, 24);
	/* 元旦 01-01…01-03, then Monday 01-05 */
	assert_rest(cal, 2026, 1, 1);
	assert_rest(cal, 2026, 1, 2);
	assert_working(cal, 2026, 1, 5);
	/* 国庆节 10-01…10-07 (2026) and 10-01…10-08 (2025) */
	assert_rest(cal, 2026, 10, 7);
	assert_working(cal, 2026, 10, 8);
	assert_rest(cal, 2025, 10, 8);
	assert_working(cal, 2025, 10, 9);
	/* 2025 端午节 05-31…06-02: Monday 06-02 is off */
	assert_rest(cal, 2025, 6, 2);
	/* an ordinary week */
	assert_working(cal, 2026, 3, 4);
	assert_rest(cal, 2026, 3, 7);
	assert_rest(cal, 2026, 3, 8);
	/* not dates */
	assert_false(calendar_is_working_day(cal, 2026, 2, 30));
	assert_false(calendar_is_working_day(cal, 2026, 13, 1));
	calendar_free(cal);
}

static void test_tiaoxiu_weekend_working_days(void **state)
{
	calendar_t *cal = load_real();
	assert_working(cal, 2026, 2, 14); /* Saturday before 春节 */
	assert_working(cal, 2026, 2, 28); /* Saturday after 春节 */
	assert_working(cal, 2025, 1, 26); /* Sunday before 春节 2025 */
	assert_working(cal, 2025, 2, 8);  /* Saturday */
	assert_working(cal, 2026, 1, 4);  /* Sunday after 元旦 */
	assert_working(cal, 2026, 10, 10);
	assert_working(cal, 2025, 10, 11);
	/* the weekend days next to them are still rest days */
	assert_rest(cal, 2026, 2, 7);
	assert_rest(cal, 2026, 3, 1);
	calendar_free(cal);
}

/* ---- calendar days ------------------------------------------------------- */

static void test_calendar_days(void **state)
{
	calendar_t *cal = load_real();
	/* 09-15 + 15 = 09-30, a Wednesday and a working day */
	assert_due(cal, "2026-09-15T10:00:00+08:00", 15, DUE_CALENDAR_DAYS,
	           "2026-09-30T23:59:59+08:00");
	/* 09-16 + 15 = 10-01, inside 国庆节 10-01…10-07: moves to Thursday 10-08 */
	assert_due(cal, "2026-09-16T10:00:00+08:00", 15, DUE_CALENDAR_DAYS,
	           "2026-10-08T23:59:59+08:00");
	/* 09-10 + 15 = 09-25 (中秋节, Fri), 09-26/27 off too: Monday 09-28 */
	assert_due(cal, "2026-09-10T10:00:00+08:00", 15, DUE_CALENDAR_DAYS,
	           "2026-09-28T23:59:59+08:00");
	/* 01-01 + 45 = 02-15, inside 春节 02-15…02-23: Tuesday 02-24 */
	assert_due(cal, "2026-01-01T09:00:00+08:00", 45, DUE_CALENDAR_DAYS,
	           "2026-02-24T23:59:59+08:00");
	/* 01-10 + 60 = 03-11 (Wednesday) */
	assert_due(cal, "2026-01-10T15:00:00+08:00", 60, DUE_CALENDAR_DAYS,
	           "2026-03-11T23:59:59+08:00");
	/* ends on a 调休 Saturday: that Saturday is a working day, no move */
	assert_due(cal, "2026-02-13T10:00:00+08:00", 1, DUE_CALENDAR_DAYS,
	           "2026-02-14T23:59:59+08:00");
	/* ends on an ordinary Saturday: Monday */
	assert_due(cal, "2026-03-06T10:00:00+08:00", 1, DUE_CALENDAR_DAYS,
	           "2026-03-09T23:59:59+08:00");
	/* across the year: 2025-12-20 + 12 = 2026-01-01 (元旦); 01-02, 01-03 off;
	 * Sunday 01-04 is a 调休 working day */
	assert_due(cal, "2025-12-20T10:00:00+08:00", 12, DUE_CALENDAR_DAYS,
	           "2026-01-04T23:59:59+08:00");
	/* 0 days: the end of the start day, moved likewise */
	assert_due(cal, "2026-03-04T10:00:00+08:00", 0, DUE_CALENDAR_DAYS,
	           "2026-03-04T23:59:59+08:00");
	assert_due(cal, "2026-03-07T10:00:00+08:00", 0, DUE_CALENDAR_DAYS,
	           "2026-03-09T23:59:59+08:00");
	calendar_free(cal);
}

/* ---- working days -------------------------------------------------------- */

static void test_working_days_spring_festival(void **state)
{
	calendar_t *cal = load_real();
	/* Thu 2026-02-12: 02-13 Fri (1), 02-14 Sat 调休 (2), 02-15…02-23 off,
	 * 02-24 (3), 02-25 (4), 02-26 (5) */
	assert_due(cal, "2026-02-12T10:00:00+08:00", 5, DUE_WORKING_DAYS,
	           "2026-02-26T23:59:59+08:00");
	/* Fri 2025-01-24: 01-25 Sat no, 01-26 Sun 调休 (1), 01-27 (2),
	 * 01-28…02-04 off, 02-05 Wed (3) */
	assert_due(cal, "2025-01-24T10:00:00+08:00", 3, DUE_WORKING_DAYS,
	           "2025-02-05T23:59:59+08:00");
	/* 0 working days from inside the holiday: end of the first working day */
	assert_due(cal, "2026-02-16T10:00:00+08:00", 0, DUE_WORKING_DAYS,
	           "2026-02-24T23:59:59+08:00");
	calendar_free(cal);
}

static void test_working_days_across_year_boundary(void **state)
{
	calendar_t *cal = load_real();
	/* Mon 2025-12-29: 12-30 (1), 12-31 (2), 2026-01-01…01-03 off,
	 * Sun 01-04 调休 (3), 01-05 (4), 01-06 (5) */
	assert_due(cal, "2025-12-29T10:00:00+08:00", 5, DUE_WORKING_DAYS,
	           "2026-01-06T23:59:59+08:00");
	/* 15 working days from Wed 2025-12-31: 01-04 (1), 01-05…01-09 (2-6),
	 * 01-12…01-16 (7-11), 01-19…01-22 (12-15) */
	assert_due(cal, "2025-12-31T16:00:00+08:00", 15, DUE_WORKING_DAYS,
	           "2026-01-22T23:59:59+08:00");
	calendar_free(cal);
}

static void test_event_day_not_counted(void **state)
{
	calendar_t *cal = load_real();
	/* Monday 03-02, early or late: 1 day is Tuesday 03-03 */
	assert_due(cal, "2026-03-02T08:00:00+08:00", 1, DUE_WORKING_DAYS,
	           "2026-03-03T23:59:59+08:00");
	assert_due(cal, "2026-03-02T23:59:00+08:00", 1, DUE_WORKING_DAYS,
	           "2026-03-03T23:59:59+08:00");
	assert_due(cal, "2026-03-02T00:00:00+08:00", 1, DUE_CALENDAR_DAYS,
	           "2026-03-03T23:59:59+08:00");
	/* local date, not UTC: 2026-03-01T23:30Z is Monday 07:30 in China
	 * (in UTC it is still Sunday, whose next working day is Monday) */
	assert_due(cal, "2026-03-01T23:30:00Z", 1, DUE_WORKING_DAYS, "2026-03-03T23:59:59+08:00");
	/* Friday: the next working day is Monday */
	assert_due(cal, "2026-03-06T11:00:00+08:00", 1, DUE_WORKING_DAYS,
	           "2026-03-09T23:59:59+08:00");
	int y, m, d;
	calendar_local_date(cal, at("2026-03-01T23:30:00Z"), &y, &m, &d);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 3);
	assert_int_equal(d, 2);
	calendar_free(cal);
}

/* ---- working hours ------------------------------------------------------- */

static void test_working_hours_over_weekend(void **state)
{
	calendar_t *cal = load_real();
	/* Fri 11-27 16:30: 16:30-17:30 is 1 h; Monday 11-30 from 09:00 */
	assert_due(cal, "2026-11-27T16:30:00+08:00", 3, DUE_WORKING_HOURS,
	           "2026-11-30T11:00:00+08:00");
	/* 1 h + 3 h (09:00-12:00): ends exactly at the end of the period */
	assert_due(cal, "2026-11-27T16:30:00+08:00", 4, DUE_WORKING_HOURS,
	           "2026-11-30T12:00:00+08:00");
	/* 1 h + 3 h + 1 h from 13:30 */
	assert_due(cal, "2026-11-27T16:30:00+08:00", 5, DUE_WORKING_HOURS,
	           "2026-11-30T14:30:00+08:00");
	/* a whole day is 7 h: 09:00 + 7 h = 17:30; + 8 h = next day 10:00 */
	assert_due(cal, "2026-03-03T09:00:00+08:00", 7, DUE_WORKING_HOURS,
	           "2026-03-03T17:30:00+08:00");
	assert_due(cal, "2026-03-03T09:00:00+08:00", 8, DUE_WORKING_HOURS,
	           "2026-03-04T10:00:00+08:00");
	/* seconds are kept */
	assert_due(cal, "2026-03-03T10:15:30+08:00", 1, DUE_WORKING_HOURS,
	           "2026-03-03T11:15:30+08:00");
	/* before 国庆节: 17:00-17:30 on 09-30, then 10-08 09:00-09:30 */
	assert_due(cal, "2026-09-30T17:00:00+08:00", 1, DUE_WORKING_HOURS,
	           "2026-10-08T09:30:00+08:00");
	calendar_free(cal);
}

static void test_working_hours_lunch_and_night(void **state)
{
	calendar_t *cal = load_real();
	/* lunch: starts at 13:30 */
	assert_due(cal, "2026-03-03T12:15:00+08:00", 2, DUE_WORKING_HOURS,
	           "2026-03-03T15:30:00+08:00");
	assert_due(cal, "2026-03-03T12:00:00+08:00", 1, DUE_WORKING_HOURS,
	           "2026-03-03T14:30:00+08:00");
	/* night: starts at 09:00 the next working day */
	assert_due(cal, "2026-03-03T22:00:00+08:00", 1, DUE_WORKING_HOURS,
	           "2026-03-04T10:00:00+08:00");
	assert_due(cal, "2026-03-04T06:00:00+08:00", 3, DUE_WORKING_HOURS,
	           "2026-03-04T12:00:00+08:00");
	/* Friday night before the 调休 Saturday 02-14: work resumes Saturday 09:00 */
	assert_due(cal, "2026-02-13T20:00:00+08:00", 2, DUE_WORKING_HOURS,
	           "2026-02-14T11:00:00+08:00");
	/* 0 hours: the start itself when inside a period, else the next start */
	assert_due(cal, "2026-03-03T10:15:00+08:00", 0, DUE_WORKING_HOURS,
	           "2026-03-03T10:15:00+08:00");
	assert_due(cal, "2026-03-03T22:00:00+08:00", 0, DUE_WORKING_HOURS,
	           "2026-03-04T09:00:00+08:00");
	calendar_free(cal);
}

static void test_working_hours_spec(void **state)
{
	calendar_t *cal = load_real();
	pa_err_t err = { 0 };
	assert_int_equal(calendar_set_working_hours(cal, "08:00-12:00, 14:00-18:00", &err), 0);
	/* 11:00-12:00 is 1 h, then 14:00-15:00 */
	assert_due(cal, "2026-03-03T11:00:00+08:00", 2, DUE_WORKING_HOURS,
	           "2026-03-03T15:00:00+08:00");

	static const struct {
		const char *spec, *detail;
	} bad[] = {
		{ "09:00-12:00,11:30-17:30",
		  "'09:00-12:00,11:30-17:30' is not a valid working-hours spec: periods must be in "
		  "ascending order and must not overlap" },
		{ "13:30-17:30,09:00-12:00",
		  "'13:30-17:30,09:00-12:00' is not a valid working-hours spec: periods must be in "
		  "ascending order and must not overlap" },
		{ "12:00-09:00",
		  "'12:00-09:00' is not a valid working-hours spec: a period must end after it starts" },
		{ "09:00-25:00",
		  "'09:00-25:00' is not a valid working-hours spec: expected HH:MM-HH:MM between "
		  "00:00 and 24:00" },
		{ "9-17",
		  "'9-17' is not a valid working-hours spec: expected HH:MM-HH:MM between 00:00 and "
		  "24:00" },
		{ "", "'' is not a valid working-hours spec: expected HH:MM-HH:MM between 00:00 and "
		      "24:00" },
		{ "01:00-02:00,03:00-04:00,05:00-06:00,07:00-08:00,09:00-10:00",
		  "'01:00-02:00,03:00-04:00,05:00-06:00,07:0...' is not a valid working-hours spec: "
		  "more than 4 periods" },
		{ "09:00-12:00;13:00-17:00",
		  "'09:00-12:00;13:00-17:00' is not a valid working-hours spec: periods are separated "
		  "by commas" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		pa_err_clear(&err);
		assert_int_equal(calendar_set_working_hours(cal, bad[i].spec, &err), PA_EINVAL);
		assert_string_equal(err.detail, bad[i].detail);
	}
	/* failures left the hours as they were */
	assert_due(cal, "2026-03-03T11:00:00+08:00", 2, DUE_WORKING_HOURS,
	           "2026-03-03T15:00:00+08:00");
	/* the whole day and touching periods are fine */
	assert_int_equal(calendar_set_working_hours(cal, "00:00-12:00,12:00-24:00", &err), 0);
	assert_due(cal, "2026-03-03T23:00:00+08:00", 2, DUE_WORKING_HOURS,
	           "2026-03-04T01:00:00+08:00");
	calendar_free(cal);
}

/* ---- fallback ------------------------------------------------------------ */

static void test_year_without_file_falls_back(void **state)
{
	calendar_t *cal = load_real();
	assert_false(calendar_has_year(cal, 2027));
	assert_false(calendar_has_year(cal, 2024));
	/* 2027-01-01 is a Friday; with no 2027 file it is a working day */
	assert_working(cal, 2027, 1, 1);
	assert_rest(cal, 2027, 1, 2);
	assert_due(cal, "2027-01-01T10:00:00+08:00", 1, DUE_WORKING_DAYS,
	           "2027-01-04T23:59:59+08:00");
	/* into 2027 from the last 2026 working days: 12-30 Wed + 3 =
	 * 12-31 (1), 2027-01-01 Fri (2), 01-04 Mon (3) */
	assert_due(cal, "2026-12-30T10:00:00+08:00", 3, DUE_WORKING_DAYS,
	           "2027-01-04T23:59:59+08:00");
	calendar_free(cal);

	/* a calendar with no files at all: Monday–Friday */
	cal = calendar_new(CN);
	assert_false(calendar_has_year(cal, 2026));
	assert_working(cal, 2026, 2, 16);
	assert_rest(cal, 2026, 2, 14);
	assert_int_equal(calendar_utc_offset(cal), CN);
	assert_due(cal, "2026-02-12T10:00:00+08:00", 5, DUE_WORKING_DAYS,
	           "2026-02-19T23:59:59+08:00");
	calendar_free(cal);
	assert_null(calendar_new(15 * 60));
}

/* ---- bad files ----------------------------------------------------------- */

static void test_bad_files_name_file_and_line(void **state)
{
	calendar_t *cal = calendar_new(CN);
	const char *n = "calendars/2026.yaml";

	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: \"x\"\n"
	                  "days_off:\n"
	                  "  - { name: 元旦, date: 2026-01-01 }\n"
	                  "  - 2026-02-30\n",
	                  "calendars/2026.yaml:5:5: '2026-02-30' is not a valid date");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - { name: 春节, from: 2026-02-14, to: 2026-02-16 }\n"
	                  "working_days:\n"
	                  "  - 2026-02-14\n",
	                  "calendars/2026.yaml:6:5: '2026-02-14' (Saturday) is both a day off and "
	                  "a working day");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "holidays:\n"
	                  "  - 2026-01-01\n",
	                  "calendars/2026.yaml:3:1: unknown key 'holidays' (expected year, source, "
	                  "working_hours, days_off or working_days)");
	/* columns count characters, not bytes (国庆节 is 9 bytes, 3 columns) */
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - { name: 国庆节, from: 2026-10-07, to: 2026-10-01 }\n",
	                  "calendars/2026.yaml:4:40: '2026-10-01' (to) is before '2026-10-07' "
	                  "(from)");
	assert_load_error(cal, "calendars/override.yaml",
	                  "# local hours\n"
	                  "working_hours: \"09:00-12:00,11:30-17:30\"\n",
	                  "calendars/override.yaml:2:16: '09:00-12:00,11:30-17:30' is not a valid "
	                  "working-hours spec: periods must be in ascending order and must not "
	                  "overlap");
	/* not YAML at all */
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off: [2026-01-01, 2026-01-02\n",
	                  "calendars/2026.yaml:4:1: not valid YAML: while parsing a flow sequence "
	                  "started at 3:11: did not find expected ',' or ']'");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "\tsource: x\n",
	                  "calendars/2026.yaml:2:1: not valid YAML: while scanning a plain scalar "
	                  "started at 1:7: found a tab character that violates indentation");
	assert_load_error(cal, n, "\x01\x02\x03garbage",
	                  "calendars/2026.yaml:1:1: not valid YAML: control characters are not "
	                  "allowed (byte 0x01)");
	assert_load_error(cal, n, "just some text\n",
	                  "calendars/2026.yaml:1:1: expected a mapping with year:, days_off:, ..., "
	                  "found 'just some text'");
	assert_load_error(cal, n, "",
	                  "calendars/2026.yaml:1:1: empty file: expected year:, days_off:, ...");
	/* a date outside the file's year */
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - { name: 元旦, from: 2025-12-31, to: 2026-01-01 }\n",
	                  "calendars/2026.yaml:4:23: '2025-12-31' is outside year 2026");
	/* year: may come last; the check still applies */
	assert_load_error(cal, n,
	                  "source: x\n"
	                  "working_days: [2027-01-02]\n"
	                  "year: 2026\n",
	                  "calendars/2026.yaml:2:16: '2027-01-02' is outside year 2026");
	/* unknown key inside an entry */
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - { name: 元旦, date: 2026-01-01, note: x }\n",
	                  "calendars/2026.yaml:4:35: unknown key 'note' in a days_off entry "
	                  "(expected name, date, from, to)");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - { name: 元旦, from: 2026-01-01 }\n",
	                  "calendars/2026.yaml:4:5: an entry with from: needs to: too");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "year: 2027\n",
	                  "calendars/2026.yaml:3:1: duplicate key 'year'");
	assert_load_error(cal, n,
	                  "year: twenty\n",
	                  "calendars/2026.yaml:1:7: 'twenty' is not a valid year");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - &d 2026-01-01\n"
	                  "working_days:\n"
	                  "  - *d\n",
	                  "calendars/2026.yaml:6:5: aliases (*name) are not allowed here");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "---\n"
	                  "year: 2027\n",
	                  "calendars/2026.yaml:3:1: a calendar file holds one YAML document");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "days_off: [2026-01-01]\n",
	                  "calendars/2026.yaml:1:1: missing 'source:' (the notice these days come "
	                  "from)");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "working_days: [2026-01-05]\n",
	                  "calendars/2026.yaml:3:16: '2026-01-05' (Monday) is a weekday: "
	                  "working_days lists weekend days made working days");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - { from: 2026-10-01, to: 2026-10-07 }\n"
	                  "  - 2026-10-05\n",
	                  "calendars/2026.yaml:5:5: '2026-10-05' (Monday) is listed twice");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "working_hours: \"08:00-17:00\"\n",
	                  "calendars/2026.yaml:3:16: working_hours belongs in the override file, "
	                  "not a year file");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off: 2026-01-01\n",
	                  "calendars/2026.yaml:3:11: days_off must be a list, found '2026-01-01'");
	assert_load_error(cal, n,
	                  "year: 2026\n"
	                  "source: x\n"
	                  "days_off:\n"
	                  "  - [2026-01-01]\n",
	                  "calendars/2026.yaml:4:5: a days_off entry is a date, { date: } or "
	                  "{ from:, to: }, found a list");

	/* none of the failed loads changed the calendar */
	assert_false(calendar_has_year(cal, 2026));
	assert_working(cal, 2026, 1, 1);
	assert_working(cal, 2026, 10, 5);
	assert_rest(cal, 2026, 2, 14);
	calendar_free(cal);
}

static void test_year_loaded_twice(void **state)
{
	calendar_t *cal = load_real();
	assert_load_error(cal, "again.yaml", "year: 2026\nsource: x\n",
	                  "again.yaml:1:7: year 2026 is already loaded");
	calendar_free(cal);
}

/* ---- limits -------------------------------------------------------------- */

static void test_amount_limits(void **state)
{
	calendar_t *cal = load_real();
	pa_time_t start = at("2026-03-04T10:00:00+08:00"), due = 0;
	for (int u = DUE_CALENDAR_DAYS; u <= DUE_WORKING_HOURS; u++) {
		assert_int_equal(calendar_add(cal, start, -1, (due_unit_t)u, &due), PA_EINVAL);
		assert_int_equal(calendar_add(cal, start, CALENDAR_MAX_AMOUNT + 1, (due_unit_t)u, &due),
		                 PA_EINVAL);
		assert_int_equal(calendar_add(cal, start, CALENDAR_MAX_AMOUNT, (due_unit_t)u, &due), 0);
		assert_true(due > start);
	}
	assert_int_equal(calendar_add(cal, start, 1, (due_unit_t)7, &due), PA_EINVAL);
	assert_int_equal(calendar_add(cal, -1, 1, DUE_CALENDAR_DAYS, &due), PA_EINVAL);
	/* 3650 calendar days from 2026-03-04 is 2036-03-01, a Saturday: Monday */
	assert_due(cal, "2026-03-04T10:00:00+08:00", 3650, DUE_CALENDAR_DAYS,
	           "2036-03-03T23:59:59+08:00");
	calendar_free(cal);
}

static void test_file_limits(void **state)
{
	calendar_t *cal = calendar_new(CN);
	pa_err_t err = { 0 };

	/* larger than CALENDAR_MAX_FILE */
	size_t big = (size_t)CALENDAR_MAX_FILE + 1;
	char *buf = malloc(big);
	assert_non_null(buf);
	memset(buf, '#', big);
	assert_int_equal(calendar_load_buffer(cal, buf, big, "big.yaml", &err), PA_EINVAL);
	assert_string_equal(err.detail, "big.yaml: 1048577 bytes is larger than the limit of "
	                                "1048576 bytes");
	free(buf);

	/* more than CALENDAR_MAX_YEARS years: 65 one-day entries, 1970…2034 */
	char text[4096];
	int len = snprintf(text, sizeof(text), "days_off:\n");
	for (int y = 1970; y < 1970 + CALENDAR_MAX_YEARS + 1; y++)
		len += snprintf(text + len, sizeof(text) - (size_t)len, "  - %d-01-01\n", y);
	assert_load_error(cal, "override.yaml", text,
	                  "override.yaml:66:5: year 2034 would make more than 64 years in the "
	                  "calendar");
	/* exactly CALENDAR_MAX_YEARS years load */
	text[strlen(text) - strlen("  - 2034-01-01\n")] = '\0';
	assert_int_equal(calendar_load_buffer(cal, text, strlen(text), "override.yaml", &err), 0);
	assert_rest(cal, 2033, 1, 1);
	assert_false(calendar_has_year(cal, 2033)); /* local days only: no national file */
	/* now no year file fits */
	assert_load_error(cal, "2040.yaml", "year: 2040\nsource: x\n",
	                  "2040.yaml:1:7: year 2040 would make more than 64 years in the calendar");
	calendar_free(cal);

	cal = calendar_new(CN);
	assert_load_error(cal, "override.yaml",
	                  "days_off:\n  - { from: 1970-01-01, to: 2040-01-01 }\n",
	                  "override.yaml:2:29: a range spans more than 64 years");
	calendar_free(cal);
}

/* ---- directories and overrides ------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_file(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
}

static char *read_real(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", calendars_dir(), name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_load_dir_with_override(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pingan-calendar-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	write_file("2026.yaml", read_real("2026.yaml"));
	write_file("README.txt", "not a calendar\n");
	write_file("2026.yaml.orig", "not loaded\n");
	/* a local holiday on the 调休 Saturday 02-14 and on a Tuesday, a local
	 * working day on Sunday 03-01, and longer hours */
	write_file("override.yaml", "source: 某县通知\n"
	                            "working_hours: \"08:30-12:00,14:00-17:30\"\n"
	                            "days_off:\n"
	                            "  - { name: 本地节日, date: 2026-02-14 }\n"
	                            "  - 2026-03-03\n"
	                            "working_days: [2026-03-01]\n");
	calendar_t *cal = calendar_new(CN);
	pa_err_t err = { 0 };
	assert_int_equal(calendar_load_dir(cal, tmpdir, &err), 0);
	assert_true(calendar_has_year(cal, 2026));
	assert_false(calendar_has_year(cal, 2025));
	assert_rest(cal, 2026, 2, 14);    /* override wins over the national file */
	assert_rest(cal, 2026, 3, 3);
	assert_working(cal, 2026, 3, 1);
	assert_rest(cal, 2026, 2, 16);    /* national days still apply */
	assert_working(cal, 2026, 2, 28);
	/* Mon 03-02 17:00: 30 min, Tue off, Wed 03-04 08:30 + 30 min */
	assert_due(cal, "2026-03-02T17:00:00+08:00", 1, DUE_WORKING_HOURS,
	           "2026-03-04T09:00:00+08:00");
	calendar_free(cal);

	/* the override may not declare a year */
	write_file("override.yaml", "year: 2026\n");
	cal = calendar_new(CN);
	assert_int_equal(calendar_load_dir(cal, tmpdir, &err), PA_EINVAL);
	char want[512];
	snprintf(want, sizeof(want),
	         "%s/override.yaml:1:7: an override file has no 'year:' (its dates may be in any "
	         "year)",
	         tmpdir);
	assert_string_equal(err.detail, want);
	/* all or nothing: 2026.yaml loaded fine but is not kept */
	assert_false(calendar_has_year(cal, 2026));
	remove_file("override.yaml");

	/* a year file must declare the year of its name */
	write_file("2027.yaml", "year: 2026\nsource: x\n");
	assert_int_equal(calendar_load_dir(cal, tmpdir, &err), PA_EINVAL);
	snprintf(want, sizeof(want), "%s/2027.yaml:1:7: year 2026 does not match the file name (2027)",
	         tmpdir);
	assert_string_equal(err.detail, want);
	write_file("2027.yaml", "source: x\n");
	assert_int_equal(calendar_load_dir(cal, tmpdir, &err), PA_EINVAL);
	snprintf(want, sizeof(want), "%s/2027.yaml:1:1: missing 'year:' (expected year: 2027)",
	         tmpdir);
	assert_string_equal(err.detail, want);
	assert_false(calendar_has_year(cal, 2026));
	remove_file("2027.yaml");
	assert_int_equal(calendar_load_dir(cal, tmpdir, &err), 0);
	assert_true(calendar_has_year(cal, 2026));
	calendar_free(cal);

	remove_file("2026.yaml");
	remove_file("README.txt");
	remove_file("2026.yaml.orig");
	assert_int_equal(rmdir(tmpdir), 0);

	cal = calendar_new(CN);
	assert_int_equal(calendar_load_dir(cal, tmpdir, &err), PA_EIO);
	calendar_free(cal);
}

static void test_override_example_loads(void **state)
{
	calendar_t *cal = load_real();
	char path[4096];
	pa_err_t err = { 0 };
	snprintf(path, sizeof(path), "%s/override.example.yaml", calendars_dir());
	int rc = calendar_load_file(cal, path, &err);
	if (rc)
		print_error("%s\n", err.detail);
	assert_int_equal(rc, 0);
	assert_rest(cal, 2026, 4, 20);
	assert_rest(cal, 2027, 3, 15);
	assert_false(calendar_has_year(cal, 2027));
	calendar_free(cal);
}

static void test_due_unit_names(void **state)
{
	due_unit_t u;
	assert_int_equal(due_unit_parse("calendar", &u), 0);
	assert_int_equal(u, DUE_CALENDAR_DAYS);
	assert_int_equal(due_unit_parse("calendar_days", &u), 0);
	assert_int_equal(u, DUE_CALENDAR_DAYS);
	assert_int_equal(due_unit_parse("working_days", &u), 0);
	assert_int_equal(u, DUE_WORKING_DAYS);
	assert_int_equal(due_unit_parse("working_hours", &u), 0);
	assert_int_equal(u, DUE_WORKING_HOURS);
	assert_int_equal(due_unit_parse("days", &u), PA_EINVAL);
	assert_int_equal(due_unit_parse(NULL, &u), PA_EINVAL);
	assert_string_equal(due_unit_name(DUE_CALENDAR_DAYS), "calendar_days");
	assert_string_equal(due_unit_name(DUE_WORKING_DAYS), "working_days");
	assert_string_equal(due_unit_name(DUE_WORKING_HOURS), "working_hours");
}

int main(void)
{
	log_set_level(LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_national_days_off),
		cmocka_unit_test(test_tiaoxiu_weekend_working_days),
		cmocka_unit_test(test_calendar_days),
		cmocka_unit_test(test_working_days_spring_festival),
		cmocka_unit_test(test_working_days_across_year_boundary),
		cmocka_unit_test(test_event_day_not_counted),
		cmocka_unit_test(test_working_hours_over_weekend),
		cmocka_unit_test(test_working_hours_lunch_and_night),
		cmocka_unit_test(test_working_hours_spec),
		cmocka_unit_test(test_year_without_file_falls_back),
		cmocka_unit_test(test_bad_files_name_file_and_line),
		cmocka_unit_test(test_year_loaded_twice),
		cmocka_unit_test(test_amount_limits),
		cmocka_unit_test(test_file_limits),
		cmocka_unit_test(test_load_dir_with_override),
		cmocka_unit_test(test_override_example_loads),
		cmocka_unit_test(test_due_unit_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
