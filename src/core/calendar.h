/*
 * calendar.h — working days, working hours and due-time arithmetic.
 *
 * A calendar knows, for each local date, whether it is a working day:
 * Monday–Friday, minus official days off, plus weekend days made working days
 * (调休), from yearly calendar files (calendars/YYYY.yaml) and an optional
 * local override file.  Years with no file fall back to Monday–Friday and
 * calendar_load_dir() logs a warning naming the year.
 *
 * Due-time convention (民事诉讼法 art. 85): the day of the triggering event
 * is not counted; a limit in calendar days that ends on a rest day moves to
 * the next working day.  A limit in days ends at 23:59:59 local time of its
 * last day.  A limit in working hours counts only the working periods of
 * working days (default 09:00–12:00 and 13:30–17:30) and ends at the exact
 * minute.  All local dates use the district's fixed UTC offset (China has
 * no DST), so no time-zone database is consulted.
 */
#ifndef PA_CALENDAR_H
#define PA_CALENDAR_H

#include "base/common.h"
#include "base/clock.h"

typedef enum due_unit {
	DUE_CALENDAR_DAYS = 0,
	DUE_WORKING_DAYS = 1,
	DUE_WORKING_HOURS = 2,
} due_unit_t;

#define CALENDAR_MAX_PERIODS 4     /* working periods per day */
#define CALENDAR_MAX_YEARS 64      /* distinct years loaded */
#define CALENDAR_MAX_FILE (1 << 20) /* bytes per calendar file */
#define CALENDAR_MAX_AMOUNT 3650   /* largest limit in days (or hours) */

typedef struct calendar calendar_t;

/* A calendar with no files: Monday–Friday, default working hours. */
calendar_t *calendar_new(int utc_offset_min);
void calendar_free(calendar_t *cal);

/*
 * Loads every YYYY.yaml in `dir`, then `dir`/override.yaml when present
 * (local days off and working hours; it wins over the national files and
 * over the working_hours setting).
 * Errors name the file, line and column (from libyaml) or the bad value.
 */
int calendar_load_dir(calendar_t *cal, const char *dir, pa_err_t *err);
int calendar_load_file(calendar_t *cal, const char *path, pa_err_t *err);
/* Parses one calendar or override document held in memory (fuzz seam). */
int calendar_load_buffer(calendar_t *cal, const char *buf, size_t len, const char *name,
                         pa_err_t *err);

/* "09:00-12:00,13:30-17:30"; periods ascending, non-overlapping. */
int calendar_set_working_hours(calendar_t *cal, const char *spec, pa_err_t *err);

bool calendar_has_year(const calendar_t *cal, int year);
bool calendar_is_working_day(const calendar_t *cal, int year, int month, int day);
int calendar_utc_offset(const calendar_t *cal);
/* The working periods of a working day, in seconds since local midnight, ascending: fills up to
 * CALENDAR_MAX_PERIODS starts and ends and returns how many there are. */
int calendar_periods(const calendar_t *cal, int starts[CALENDAR_MAX_PERIODS],
                     int ends[CALENDAR_MAX_PERIODS]);

/* Parses "calendar" | "calendar_days" | "working_days" | "working_hours". */
int due_unit_parse(const char *s, due_unit_t *out);
const char *due_unit_name(due_unit_t u);

/*
 * The due time of a limit of `amount` units starting at `start`.
 * amount must be 0..CALENDAR_MAX_AMOUNT.
 */
int calendar_add(const calendar_t *cal, pa_time_t start, int amount, due_unit_t unit,
                 pa_time_t *due);

/* Local civil date of t: fills y/m/d. */
void calendar_local_date(const calendar_t *cal, pa_time_t t, int *y, int *m, int *d);

/* The local day of t as days since 1970-01-01 (for grouping by date). */
int64_t calendar_local_day(const calendar_t *cal, pa_time_t t);

/*
 * Working days from `start` to `end`, counted as a limit is (民事诉讼法
 * art. 85): the local day of `start` is not counted, every working day after
 * it up to and including the local day of `end` is.  0 when end is on the
 * same day as start or before it.  Spans longer than CALENDAR_MAX_SPAN days
 * are counted up to that many days.
 */
#define CALENDAR_MAX_SPAN 3660
int calendar_working_days_between(const calendar_t *cal, pa_time_t start, pa_time_t end);

#endif
