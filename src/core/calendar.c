/*
 * calendar.c — working days, working hours and due-time arithmetic.
 *
 * Data.  A calendar is a fixed-size struct: the UTC offset, up to
 * CALENDAR_MAX_PERIODS working periods (seconds of the local day) and up to
 * CALENDAR_MAX_YEARS year records sorted by year.  A year record keeps four
 * bitmaps indexed by day of year (0..365): the national days off and working
 * days (from that year's YYYY.yaml) and the local ones (from override files),
 * plus a fifth, `working`, derived from them and the weekday by
 * year_derive():
 *
 *     working = local_work || (!local_off && (national_work ||
 *               (!national_off && Monday..Friday)))
 *
 * A year with no record (or a record that only holds local days) uses
 * Monday–Friday for everything the files do not say.  calendar_has_year()
 * is true only when a national file for the year was loaded.
 *
 * Hot path.  calendar_add() and calendar_is_working_day() never allocate:
 * a day_cursor walks the local days, finds each year's record by binary
 * search once per year it enters, and tests one bit per day.
 *
 * Loading.  load_buffer() parses one YAML document with libyaml's event API
 * (parse_document(): a top-level mapping of a few known keys, lists of dates
 * or { date: } / { from:, to: } entries), collecting the entries first
 * because `year:` may come after the lists.  apply() then checks them
 * against the declared year, rejects duplicates and days listed both ways,
 * and merges them into a *copy* of the calendar (the stage); only when
 * everything is valid is the stage copied back, so a failed load leaves the
 * calendar as it was.  calendar_load_dir() stages the whole directory the
 * same way.  Every error is "NAME:LINE:COLUMN: message" with 1-based
 * positions and the offending value quoted.
 *
 * Due arithmetic (see calendar.h): local dates are UTC + utc_offset_min.  A
 * limit in days does not count the event day, ends at 23:59:59 local of its
 * last day, and a last day that is a rest day moves to the next working day.
 * A limit in working hours starts counting at the event instant itself (or
 * the next working period) and ends at the exact second.
 */
#include "base/common.h"
#include "core/calendar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define STR2(x) #x
#define STR(x) STR2(x)

#define BITMAP_BYTES 46                /* 366 bits: one per day of a leap year */
#define MIN_YEAR 1970                  /* same range as pa_time_parse() */
#define MAX_YEAR 9999
#define MAX_START ((pa_time_t)253402300799) /* 9999-12-31T23:59:59Z */
#define SCAN_LIMIT_DAYS 1000000        /* no valid calendar needs more (see add_working_hours) */
#define MAX_OFFSET_MIN (14 * 60)
#define QUOTE_MAX 40                   /* bytes of an offending value quoted in errors */
#define QUOTE_BUF (QUOTE_MAX + 8)

struct period {
	int start, end; /* seconds since local midnight, start < end */
};

typedef struct cal_year {
	int year;
	bool national; /* a YYYY.yaml for this year was loaded */
	uint8_t national_off[BITMAP_BYTES];
	uint8_t national_work[BITMAP_BYTES];
	uint8_t local_off[BITMAP_BYTES];
	uint8_t local_work[BITMAP_BYTES];
	uint8_t working[BITMAP_BYTES]; /* derived by year_derive() */
} cal_year_t;

struct calendar {
	int utc_offset_min;
	int nperiods;
	struct period periods[CALENDAR_MAX_PERIODS];
	int nyears;
	cal_year_t years[CALENDAR_MAX_YEARS]; /* sorted by year */
};

/* ---- civil dates ------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
	int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = mm;
	*d = dd;
}

/* 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
static int weekday(int64_t days)
{
	int64_t w = (days + 4) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

static bool is_weekday(int64_t days)
{
	int w = weekday(days);
	return w >= 1 && w <= 5;
}

static void format_date(int64_t days, char buf[16])
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, 16, "%04d-%02d-%02d", y, m, d);
}

/* Strict "YYYY-MM-DD" within MIN_YEAR..MAX_YEAR. */
static bool parse_date(const char *s, size_t len, int64_t *days)
{
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return false;
	int v[3] = { 0, 0, 0 };
	static const int from[3] = { 0, 5, 8 }, width[3] = { 4, 2, 2 };
	for (int f = 0; f < 3; f++) {
		for (int i = 0; i < width[f]; i++) {
			char c = s[from[f] + i];
			if (c < '0' || c > '9')
				return false;
			v[f] = v[f] * 10 + (c - '0');
		}
	}
	if (v[0] < MIN_YEAR || v[0] > MAX_YEAR || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > month_days(v[0], v[1]))
		return false;
	*days = days_from_civil(v[0], v[1], v[2]);
	return true;
}

/* ---- year records -------------------------------------------------------- */

static bool bit_get(const uint8_t *bm, int i)
{
	return (bm[i >> 3] >> (i & 7)) & 1;
}

static void bit_set(uint8_t *bm, int i)
{
	bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static int year_index(const calendar_t *cal, int year)
{
	int lo = 0, hi = cal->nyears - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (cal->years[mid].year == year)
			return mid;
		if (cal->years[mid].year < year)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static const cal_year_t *find_year(const calendar_t *cal, int year)
{
	int i = year_index(cal, year);
	return i < 0 ? NULL : &cal->years[i];
}

static void year_derive(cal_year_t *y)
{
	int64_t jan1 = days_from_civil(y->year, 1, 1);
	int n = is_leap(y->year) ? 366 : 365;
	memset(y->working, 0, sizeof(y->working));
	for (int i = 0; i < n; i++) {
		bool w = is_weekday(jan1 + i);
		if (bit_get(y->national_off, i))
			w = false;
		if (bit_get(y->national_work, i))
			w = true;
		if (bit_get(y->local_off, i))
			w = false;
		if (bit_get(y->local_work, i))
			w = true;
		if (w)
			bit_set(y->working, i);
	}
}

/* The record for `year`, inserted in order if missing; NULL when full. */
static cal_year_t *year_slot(calendar_t *cal, int year)
{
	int i = year_index(cal, year);
	if (i >= 0)
		return &cal->years[i];
	if (cal->nyears == CALENDAR_MAX_YEARS)
		return NULL;
	int at = cal->nyears;
	while (at > 0 && cal->years[at - 1].year > year)
		at--;
	memmove(&cal->years[at + 1], &cal->years[at],
	        (size_t)(cal->nyears - at) * sizeof(cal->years[0]));
	memset(&cal->years[at], 0, sizeof(cal->years[0]));
	cal->years[at].year = year;
	cal->nyears++;
	year_derive(&cal->years[at]);
	return &cal->years[at];
}

/* ---- walking local days (no allocation) ---------------------------------- */

typedef struct day_cursor {
	const calendar_t *cal;
	int64_t days;         /* local days since 1970-01-01 */
	int year;
	int doy;              /* 0-based day of year */
	int year_len;
	int wday;             /* 0 = Sunday */
	const cal_year_t *rec; /* NULL: Monday–Friday */
} day_cursor_t;

static void cursor_enter_year(day_cursor_t *c, int year)
{
	c->year = year;
	c->year_len = is_leap(year) ? 366 : 365;
	c->rec = find_year(c->cal, year);
}

static void cursor_init(day_cursor_t *c, const calendar_t *cal, int64_t days)
{
	int y, m, d;
	civil_from_days(days, &y, &m, &d);
	c->cal = cal;
	c->days = days;
	cursor_enter_year(c, y);
	c->doy = (int)(days - days_from_civil(y, 1, 1));
	c->wday = weekday(days);
}

static void cursor_next(day_cursor_t *c)
{
	c->days++;
	c->wday = c->wday == 6 ? 0 : c->wday + 1;
	if (++c->doy == c->year_len) {
		cursor_enter_year(c, c->year + 1);
		c->doy = 0;
	}
}

static bool cursor_working(const day_cursor_t *c)
{
	if (c->rec)
		return bit_get(c->rec->working, c->doy);
	return c->wday >= 1 && c->wday <= 5;
}

/* Moves the cursor forward to the first working day at or after it. */
static int cursor_to_working(day_cursor_t *c)
{
	for (int64_t n = 0; n < SCAN_LIMIT_DAYS; n++) {
		if (cursor_working(c))
			return 0;
		cursor_next(c);
	}
	return PA_EINVAL;
}

/* ---- public: construction and queries ------------------------------------ */

static void set_default_hours(calendar_t *cal)
{
	cal->nperiods = 2;
	cal->periods[0] = (struct period){ 9 * 3600, 12 * 3600 };
	cal->periods[1] = (struct period){ 13 * 3600 + 30 * 60, 17 * 3600 + 30 * 60 };
}

/* Returns NULL when the offset is outside ±14 hours (a configuration bug). */
calendar_t *calendar_new(int utc_offset_min)
{
	if (utc_offset_min < -MAX_OFFSET_MIN || utc_offset_min > MAX_OFFSET_MIN)
		return NULL;
	calendar_t *cal = xcalloc(1, sizeof(*cal));
	cal->utc_offset_min = utc_offset_min;
	set_default_hours(cal);
	return cal;
}

void calendar_free(calendar_t *cal)
{
	free(cal);
}

int calendar_utc_offset(const calendar_t *cal)
{
	return cal->utc_offset_min;
}

int calendar_periods(const calendar_t *cal, int starts[CALENDAR_MAX_PERIODS],
                     int ends[CALENDAR_MAX_PERIODS])
{
	for (int i = 0; i < cal->nperiods; i++) {
		starts[i] = cal->periods[i].start;
		ends[i] = cal->periods[i].end;
	}
	return cal->nperiods;
}

bool calendar_has_year(const calendar_t *cal, int year)
{
	const cal_year_t *y = find_year(cal, year);
	return y && y->national;
}

bool calendar_is_working_day(const calendar_t *cal, int year, int month, int day)
{
	if (year < MIN_YEAR || year > MAX_YEAR || month < 1 || month > 12 || day < 1 ||
	    day > month_days(year, month))
		return false;
	day_cursor_t c;
	cursor_init(&c, cal, days_from_civil(year, month, day));
	return cursor_working(&c);
}

void calendar_local_date(const calendar_t *cal, pa_time_t t, int *y, int *m, int *d)
{
	int64_t local = t + (int64_t)cal->utc_offset_min * 60;
	civil_from_days(floor_div(local, 86400), y, m, d);
}

int64_t calendar_local_day(const calendar_t *cal, pa_time_t t)
{
	return floor_div(t + (int64_t)cal->utc_offset_min * 60, 86400);
}

int calendar_working_days_between(const calendar_t *cal, pa_time_t start, pa_time_t end)
{
	int64_t from = calendar_local_day(cal, start), to = calendar_local_day(cal, end);
	if (to - from > CALENDAR_MAX_SPAN)
		to = from + CALENDAR_MAX_SPAN;
	int n = 0;
	if (to <= from)
		return 0;
	day_cursor_t c;
	cursor_init(&c, cal, from);
	for (int64_t d = from; d < to; d++) {
		cursor_next(&c);
		if (cursor_working(&c))
			n++;
	}
	return n;
}

int due_unit_parse(const char *s, due_unit_t *out)
{
	static const struct {
		const char *name;
		due_unit_t unit;
	} units[] = {
		{ "calendar", DUE_CALENDAR_DAYS },
		{ "calendar_days", DUE_CALENDAR_DAYS },
		{ "working_days", DUE_WORKING_DAYS },
		{ "working_hours", DUE_WORKING_HOURS },
	};
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (streq(s, units[i].name)) {
			*out = units[i].unit;
			return 0;
		}
	}
	return PA_EINVAL;
}

const char *due_unit_name(due_unit_t u)
{
	switch (u) {
	case DUE_CALENDAR_DAYS: return "calendar_days";
	case DUE_WORKING_DAYS: return "working_days";
	case DUE_WORKING_HOURS: return "working_hours";
	}
	return "unknown";
}

/* ---- due arithmetic ------------------------------------------------------ */

static pa_time_t end_of_local_day(const calendar_t *cal, int64_t days)
{
	return (days + 1) * 86400 - 1 - (int64_t)cal->utc_offset_min * 60;
}

/*
 * Loops are bounded by SCAN_LIMIT_DAYS: the longest legitimate walk is a
 * working-hours limit of CALENDAR_MAX_AMOUNT hours with a single one-minute
 * period (219,000 working days, about 307,000 days), plus at most
 * CALENDAR_MAX_YEARS years of days off.
 */
static int add_working_hours(const calendar_t *cal, int64_t local, int amount, pa_time_t *due)
{
	int64_t day = floor_div(local, 86400);
	int64_t sod = local - day * 86400;
	int64_t remaining = (int64_t)amount * 3600;
	day_cursor_t c;
	cursor_init(&c, cal, day);
	for (int64_t n = 0; n < SCAN_LIMIT_DAYS; n++) {
		if (cursor_working(&c)) {
			for (int i = 0; i < cal->nperiods; i++) {
				const struct period *p = &cal->periods[i];
				if (sod >= p->end)
					continue;
				int64_t begin = sod > p->start ? sod : p->start;
				int64_t avail = p->end - begin;
				if (remaining <= avail) {
					*due = c.days * 86400 + begin + remaining -
					       (int64_t)cal->utc_offset_min * 60;
					return 0;
				}
				remaining -= avail;
				sod = p->end;
			}
		}
		cursor_next(&c);
		sod = 0;
	}
	return PA_EINVAL;
}

int calendar_add(const calendar_t *cal, pa_time_t start, int amount, due_unit_t unit,
                 pa_time_t *due)
{
	if (!cal || !due || amount < 0 || amount > CALENDAR_MAX_AMOUNT || start < 0 ||
	    start > MAX_START)
		return PA_EINVAL;
	int64_t local = start + (int64_t)cal->utc_offset_min * 60;
	int64_t day = floor_div(local, 86400);
	day_cursor_t c;
	switch (unit) {
	case DUE_CALENDAR_DAYS:
		cursor_init(&c, cal, day + amount);
		break;
	case DUE_WORKING_DAYS:
		cursor_init(&c, cal, day);
		/* the event day is not counted: count working days after it */
		for (int left = amount; left > 0;) {
			cursor_next(&c);
			if (cursor_working(&c))
				left--;
			if (c.days - day > SCAN_LIMIT_DAYS)
				return PA_EINVAL;
		}
		break;
	case DUE_WORKING_HOURS:
		return add_working_hours(cal, local, amount, due);
	default:
		return PA_EINVAL;
	}
	if (cursor_to_working(&c))
		return PA_EINVAL;
	*due = end_of_local_day(cal, c.days);
	return 0;
}

/* ---- working hours ------------------------------------------------------- */

static bool parse_hhmm(const char **pp, int *minutes)
{
	const char *p = *pp;
	for (int i = 0; i < 5; i++) {
		if (i == 2 ? p[i] != ':' : (p[i] < '0' || p[i] > '9'))
			return false;
	}
	int h = (p[0] - '0') * 10 + (p[1] - '0');
	int m = (p[3] - '0') * 10 + (p[4] - '0');
	if (h > 24 || m > 59 || (h == 24 && m != 0))
		return false;
	*minutes = h * 60 + m;
	*pp = p + 5;
	return true;
}

static void skip_spaces(const char **pp)
{
	while (**pp == ' ')
		(*pp)++;
}

/* "09:00-12:00,13:30-17:30" into out[]; returns NULL or what is wrong. */
static const char *parse_hours(const char *s, struct period out[CALENDAR_MAX_PERIODS], int *nout)
{
	struct period tmp[CALENDAR_MAX_PERIODS];
	int n = 0;
	const char *p = s;
	for (;;) {
		int a, b;
		skip_spaces(&p);
		if (!parse_hhmm(&p, &a))
			return "expected HH:MM-HH:MM between 00:00 and 24:00";
		skip_spaces(&p);
		if (*p++ != '-')
			return "expected HH:MM-HH:MM between 00:00 and 24:00";
		skip_spaces(&p);
		if (!parse_hhmm(&p, &b))
			return "expected HH:MM-HH:MM between 00:00 and 24:00";
		if (a >= b)
			return "a period must end after it starts";
		if (n > 0 && a * 60 < tmp[n - 1].end)
			return "periods must be in ascending order and must not overlap";
		if (n == CALENDAR_MAX_PERIODS)
			return "more than " STR(CALENDAR_MAX_PERIODS) " periods";
		tmp[n].start = a * 60;
		tmp[n].end = b * 60;
		n++;
		skip_spaces(&p);
		if (*p == '\0')
			break;
		if (*p++ != ',')
			return "periods are separated by commas";
	}
	memcpy(out, tmp, (size_t)n * sizeof(tmp[0]));
	*nout = n;
	return NULL;
}

/* Copies at most QUOTE_MAX bytes of s for an error message: whole UTF-8
 * characters only, control characters as '?', "..." when cut. */
static const char *quote_value(const char *s, size_t len, char out[QUOTE_BUF])
{
	size_t n = 0, i = 0;
	while (i < len) {
		unsigned char ch = (unsigned char)s[i];
		size_t w = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;
		if (n + w > QUOTE_MAX || i + w > len)
			break;
		if (w == 1)
			out[n] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
		else
			memcpy(out + n, s + i, w);
		n += w;
		i += w;
	}
	out[n] = '\0';
	if (i < len)
		memcpy(out + n, "...", 4);
	return out;
}

int calendar_set_working_hours(calendar_t *cal, const char *spec, pa_err_t *err)
{
	char q[QUOTE_BUF];
	if (!spec)
		return pa_fail(err, PA_EINVAL, "calendar", NULL, "no working-hours spec");
	const char *problem = parse_hours(spec, cal->periods, &cal->nperiods);
	if (problem)
		return pa_fail(err, PA_EINVAL, "calendar", NULL,
		               "'%s' is not a valid working-hours spec: %s",
		               quote_value(spec, strlen(spec), q), problem);
	return 0;
}

/* ---- loading ------------------------------------------------------------- */

enum file_kind { KIND_ANY, KIND_YEAR, KIND_OVERRIDE };
enum entry_kind { ENTRY_OFF, ENTRY_WORK };

struct entry {
	enum entry_kind kind;
	int64_t from, to; /* local days since 1970-01-01, from <= to */
	yaml_mark_t from_mark, to_mark;
};

/* One file's days for one year, to catch duplicates and conflicts inside
 * the file before they are merged into the calendar. */
struct file_year {
	int year;
	uint8_t off[BITMAP_BYTES];
	uint8_t work[BITMAP_BYTES];
};

enum top_key { KEY_YEAR, KEY_SOURCE, KEY_HOURS, KEY_DAYS_OFF, KEY_WORKING_DAYS };
static const char *const top_keys[] = { "year", "source", "working_hours", "days_off",
	                                    "working_days" };

struct loader {
	const char *name;
	const char *buf;
	size_t len;
	pa_err_t *err;
	yaml_parser_t parser;
	yaml_event_t event;
	bool have_event;

	/* what the document said */
	unsigned seen; /* bit per top_key */
	yaml_mark_t doc_mark;
	int year;
	yaml_mark_t year_mark;
	yaml_mark_t hours_mark;
	int nperiods;
	struct period periods[CALENDAR_MAX_PERIODS];
	struct entry *entries;
	size_t nentries, alloc;

	/* apply() */
	int new_years; /* file years not yet in the calendar */
	int nfile_years;
	struct file_year file_years[CALENDAR_MAX_YEARS];
};

static int fail_at(struct loader *ld, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail_at(struct loader *ld, yaml_mark_t mark, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pa_fail(ld->err, PA_EINVAL, "calendar", NULL, "%s:%zu:%zu: %s", ld->name,
	               mark.line + 1, mark.column + 1, msg);
}

/* A reader error has a byte offset, not a mark: count lines ourselves. */
static yaml_mark_t mark_at_offset(const struct loader *ld, size_t offset)
{
	yaml_mark_t m = { 0, 0, 0 };
	for (size_t i = 0; i < offset && i < ld->len; i++) {
		unsigned char ch = (unsigned char)ld->buf[i];
		if (ch == '\n') {
			m.line++;
			m.column = 0;
		} else if ((ch & 0xc0) != 0x80) {
			m.column++;
		}
	}
	m.index = offset;
	return m;
}

static int yaml_error(struct loader *ld)
{
	const yaml_parser_t *p = &ld->parser;
	const char *problem = p->problem ? p->problem : "unknown error";
	switch (p->error) {
	case YAML_READER_ERROR:
		if (p->problem_value >= 0)
			return fail_at(ld, mark_at_offset(ld, p->problem_offset),
			               "not valid YAML: %s (byte 0x%02X)", problem,
			               (unsigned)p->problem_value);
		return fail_at(ld, mark_at_offset(ld, p->problem_offset), "not valid YAML: %s",
		               problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR:
		if (p->context)
			return fail_at(ld, p->problem_mark, "not valid YAML: %s started at %zu:%zu: %s",
			               p->context, p->context_mark.line + 1, p->context_mark.column + 1,
			               problem);
		return fail_at(ld, p->problem_mark, "not valid YAML: %s", problem);
	default:
		return fail_at(ld, p->problem_mark, "not valid YAML (libyaml error %d)", (int)p->error);
	}
}

static const char *ev_text(const struct loader *ld)
{
	return (const char *)ld->event.data.scalar.value;
}

static size_t ev_len(const struct loader *ld)
{
	return ld->event.data.scalar.length;
}

static int next_event(struct loader *ld)
{
	if (ld->have_event) {
		yaml_event_delete(&ld->event);
		ld->have_event = false;
	}
	if (!yaml_parser_parse(&ld->parser, &ld->event))
		return yaml_error(ld);
	ld->have_event = true;
	switch (ld->event.type) {
	case YAML_NO_EVENT:
		return fail_at(ld, ld->event.start_mark, "unexpected end of input");
	case YAML_ALIAS_EVENT:
		return fail_at(ld, ld->event.start_mark, "aliases (*name) are not allowed here");
	case YAML_SCALAR_EVENT:
		if (memchr(ev_text(ld), '\0', ev_len(ld)))
			return fail_at(ld, ld->event.start_mark, "a value contains a NUL character");
		return 0;
	default:
		return 0;
	}
}

static bool ev_is_null(const struct loader *ld)
{
	if (ld->event.type != YAML_SCALAR_EVENT ||
	    ld->event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = ev_text(ld);
	return ev_len(ld) == 0 || streq(s, "~") || streq(s, "null") || streq(s, "Null") ||
	       streq(s, "NULL");
}

/* What the current event is, for "expected X, found Y" messages. */
static const char *ev_describe(const struct loader *ld, char q[QUOTE_BUF])
{
	switch (ld->event.type) {
	case YAML_SCALAR_EVENT: {
		char v[QUOTE_BUF];
		quote_value(ev_text(ld), ev_len(ld), v);
		snprintf(q, QUOTE_BUF, "'%.*s'", QUOTE_MAX + 3, v);
		return q;
	}
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	default: return "nothing";
	}
}

static int expect_scalar(struct loader *ld, const char *what)
{
	int rc = next_event(ld);
	if (rc)
		return rc;
	if (ld->event.type != YAML_SCALAR_EVENT || ev_is_null(ld)) {
		char q[QUOTE_BUF];
		return fail_at(ld, ld->event.start_mark, "%s must be a single value, found %s", what,
		               ev_is_null(ld) ? "nothing" : ev_describe(ld, q));
	}
	return 0;
}

static int scalar_date(struct loader *ld, int64_t *days)
{
	if (!parse_date(ev_text(ld), ev_len(ld), days)) {
		char q[QUOTE_BUF];
		return fail_at(ld, ld->event.start_mark, "'%s' is not a valid date",
		               quote_value(ev_text(ld), ev_len(ld), q));
	}
	return 0;
}

static void push_entry(struct loader *ld, const struct entry *e)
{
	if (ld->nentries == ld->alloc) {
		ld->alloc = ld->alloc ? st_mult(ld->alloc, 2) : 16;
		ld->entries = xrealloc(ld->entries, st_mult(ld->alloc, sizeof(*e)));
	}
	ld->entries[ld->nentries++] = *e;
}

/* { name: ..., date: D } or { name: ..., from: D, to: D }; the mapping's
 * start event is current. */
static int parse_entry_map(struct loader *ld, enum entry_kind kind, const char *list)
{
	static const char *const keys[] = { "name", "date", "from", "to" };
	yaml_mark_t start = ld->event.start_mark;
	yaml_mark_t marks[4] = { { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } };
	int64_t values[4] = { 0, 0, 0, 0 };
	unsigned seen = 0;
	char q[QUOTE_BUF];
	int rc;
	for (;;) {
		if ((rc = next_event(ld)))
			return rc;
		if (ld->event.type == YAML_MAPPING_END_EVENT)
			break;
		if (ld->event.type != YAML_SCALAR_EVENT)
			return fail_at(ld, ld->event.start_mark,
			               "expected a key (name, date, from, to) in a %s entry, found %s",
			               list, ev_describe(ld, q));
		size_t k = 0;
		while (k < ARRAY_SIZE(keys) && !streq(ev_text(ld), keys[k]))
			k++;
		if (k == ARRAY_SIZE(keys))
			return fail_at(ld, ld->event.start_mark,
			               "unknown key '%s' in a %s entry (expected name, date, from, to)",
			               quote_value(ev_text(ld), ev_len(ld), q), list);
		if (seen & (1u << k))
			return fail_at(ld, ld->event.start_mark, "duplicate key '%s'", keys[k]);
		seen |= 1u << k;
		if ((rc = expect_scalar(ld, keys[k])))
			return rc;
		marks[k] = ld->event.start_mark;
		if (k > 0 && (rc = scalar_date(ld, &values[k])))
			return rc;
	}
	struct entry e = { .kind = kind };
	bool has_date = seen & 2, has_from = seen & 4, has_to = seen & 8;
	if (has_date && (has_from || has_to))
		return fail_at(ld, start, "an entry has either date: or from: and to:, not both");
	if (has_date) {
		e.from = e.to = values[1];
		e.from_mark = e.to_mark = marks[1];
	} else if (has_from && has_to) {
		if (values[3] < values[2]) {
			char a[16], b[16];
			format_date(values[3], a);
			format_date(values[2], b);
			return fail_at(ld, marks[3], "'%s' (to) is before '%s' (from)", a, b);
		}
		e.from = values[2];
		e.to = values[3];
		e.from_mark = marks[2];
		e.to_mark = marks[3];
	} else if (has_from || has_to) {
		return fail_at(ld, start, "an entry with %s: needs %s: too", has_from ? "from" : "to",
		               has_from ? "to" : "from");
	} else {
		return fail_at(ld, start, "an entry needs date: or from: and to:");
	}
	push_entry(ld, &e);
	return 0;
}

/* days_off: / working_days: — a list of dates or entries (or nothing). */
static int parse_list(struct loader *ld, enum entry_kind kind, const char *list)
{
	char q[QUOTE_BUF];
	int rc = next_event(ld);
	if (rc)
		return rc;
	if (ev_is_null(ld))
		return 0;
	if (ld->event.type != YAML_SEQUENCE_START_EVENT)
		return fail_at(ld, ld->event.start_mark, "%s must be a list, found %s", list,
		               ev_describe(ld, q));
	for (;;) {
		if ((rc = next_event(ld)))
			return rc;
		switch (ld->event.type) {
		case YAML_SEQUENCE_END_EVENT:
			return 0;
		case YAML_SCALAR_EVENT: {
			struct entry e = { .kind = kind };
			if ((rc = scalar_date(ld, &e.from)))
				return rc;
			e.to = e.from;
			e.from_mark = e.to_mark = ld->event.start_mark;
			push_entry(ld, &e);
			break;
		}
		case YAML_MAPPING_START_EVENT:
			if ((rc = parse_entry_map(ld, kind, list)))
				return rc;
			break;
		default:
			return fail_at(ld, ld->event.start_mark,
			               "a %s entry is a date, { date: } or { from:, to: }, found %s",
			               list, ev_describe(ld, q));
		}
	}
}

static int parse_year(struct loader *ld)
{
	int rc = expect_scalar(ld, "year");
	if (rc)
		return rc;
	const char *s = ev_text(ld);
	int y = 0;
	bool ok = ev_len(ld) == 4;
	for (size_t i = 0; ok && i < 4; i++) {
		ok = s[i] >= '0' && s[i] <= '9';
		y = y * 10 + (s[i] - '0');
	}
	if (!ok || y < MIN_YEAR || y > MAX_YEAR) {
		char q[QUOTE_BUF];
		return fail_at(ld, ld->event.start_mark, "'%s' is not a valid year",
		               quote_value(s, ev_len(ld), q));
	}
	ld->year = y;
	ld->year_mark = ld->event.start_mark;
	return 0;
}

static int parse_document(struct loader *ld)
{
	char q[QUOTE_BUF];
	int rc;
	if ((rc = next_event(ld)))
		return rc;
	if (ld->event.type != YAML_STREAM_START_EVENT)
		return fail_at(ld, ld->event.start_mark, "not a YAML stream");
	if ((rc = next_event(ld)))
		return rc;
	if (ld->event.type == YAML_STREAM_END_EVENT)
		return fail_at(ld, ld->event.start_mark, "empty file: expected year:, days_off:, ...");
	if ((rc = next_event(ld)))
		return rc;
	ld->doc_mark = ld->event.start_mark;
	if (ld->event.type != YAML_MAPPING_START_EVENT)
		return fail_at(ld, ld->event.start_mark,
		               "expected a mapping with year:, days_off:, ..., found %s",
		               ev_is_null(ld) ? "nothing" : ev_describe(ld, q));
	for (;;) {
		if ((rc = next_event(ld)))
			return rc;
		if (ld->event.type == YAML_MAPPING_END_EVENT)
			break;
		if (ld->event.type != YAML_SCALAR_EVENT)
			return fail_at(ld, ld->event.start_mark, "expected a key, found %s",
			               ev_describe(ld, q));
		size_t k = 0;
		while (k < ARRAY_SIZE(top_keys) && !streq(ev_text(ld), top_keys[k]))
			k++;
		if (k == ARRAY_SIZE(top_keys))
			return fail_at(ld, ld->event.start_mark,
			               "unknown key '%s' (expected year, source, working_hours, "
			               "days_off or working_days)",
			               quote_value(ev_text(ld), ev_len(ld), q));
		if (ld->seen & (1u << k))
			return fail_at(ld, ld->event.start_mark, "duplicate key '%s'", top_keys[k]);
		ld->seen |= 1u << k;
		switch ((enum top_key)k) {
		case KEY_YEAR:
			rc = parse_year(ld);
			break;
		case KEY_SOURCE:
			rc = expect_scalar(ld, "source");
			break;
		case KEY_HOURS: {
			if ((rc = expect_scalar(ld, "working_hours")))
				break;
			ld->hours_mark = ld->event.start_mark;
			const char *problem = parse_hours(ev_text(ld), ld->periods, &ld->nperiods);
			if (problem)
				rc = fail_at(ld, ld->event.start_mark,
				             "'%s' is not a valid working-hours spec: %s",
				             quote_value(ev_text(ld), ev_len(ld), q), problem);
			break;
		}
		case KEY_DAYS_OFF:
			rc = parse_list(ld, ENTRY_OFF, "days_off");
			break;
		case KEY_WORKING_DAYS:
			rc = parse_list(ld, ENTRY_WORK, "working_days");
			break;
		}
		if (rc)
			return rc;
	}
	if ((rc = next_event(ld)))
		return rc;
	if (ld->event.type != YAML_DOCUMENT_END_EVENT)
		return fail_at(ld, ld->event.start_mark, "expected the end of the document");
	if ((rc = next_event(ld)))
		return rc;
	if (ld->event.type != YAML_STREAM_END_EVENT)
		return fail_at(ld, ld->event.start_mark, "a calendar file holds one YAML document");
	return 0;
}

/* The file's record for `year`, counting years new to the calendar against
 * CALENDAR_MAX_YEARS; NULL (after failing) when there is no room. */
static struct file_year *file_year_slot(struct loader *ld, const calendar_t *stage, int year,
                                        yaml_mark_t mark)
{
	for (int i = 0; i < ld->nfile_years; i++) {
		if (ld->file_years[i].year == year)
			return &ld->file_years[i];
	}
	if (!find_year(stage, year))
		ld->new_years++;
	if (stage->nyears + ld->new_years > CALENDAR_MAX_YEARS ||
	    ld->nfile_years == CALENDAR_MAX_YEARS) {
		fail_at(ld, mark, "year %d would make more than " STR(CALENDAR_MAX_YEARS)
		        " years in the calendar", year);
		return NULL;
	}
	struct file_year *fy = &ld->file_years[ld->nfile_years++];
	memset(fy, 0, sizeof(*fy));
	fy->year = year;
	return fy;
}

static const char *const weekday_names[] = { "Sunday", "Monday", "Tuesday", "Wednesday",
	                                         "Thursday", "Friday", "Saturday" };

static int apply_entry(struct loader *ld, const calendar_t *stage, bool year_file,
                       const struct entry *e)
{
	char a[16];
	int fy, ty, m, d;
	civil_from_days(e->from, &fy, &m, &d);
	civil_from_days(e->to, &ty, &m, &d);
	if (year_file && fy != ld->year) {
		format_date(e->from, a);
		return fail_at(ld, e->from_mark, "'%s' is outside year %d", a, ld->year);
	}
	if (year_file && ty != ld->year) {
		format_date(e->to, a);
		return fail_at(ld, e->to_mark, "'%s' is outside year %d", a, ld->year);
	}
	if (ty - fy >= CALENDAR_MAX_YEARS)
		return fail_at(ld, e->to_mark, "a range spans more than " STR(CALENDAR_MAX_YEARS)
		               " years");
	struct file_year *rec = NULL;
	int64_t jan1 = 0;
	for (int64_t day = e->from; day <= e->to; day++) {
		int y;
		civil_from_days(day, &y, &m, &d);
		if (!rec || rec->year != y) {
			if (!(rec = file_year_slot(ld, stage, y, e->from_mark)))
				return PA_EINVAL;
			jan1 = days_from_civil(y, 1, 1);
		}
		int doy = (int)(day - jan1);
		uint8_t *mine = e->kind == ENTRY_OFF ? rec->off : rec->work;
		uint8_t *other = e->kind == ENTRY_OFF ? rec->work : rec->off;
		const char *problem = NULL;
		if (bit_get(other, doy))
			problem = "is both a day off and a working day";
		else if (bit_get(mine, doy))
			problem = "is listed twice";
		else if (year_file && e->kind == ENTRY_WORK && is_weekday(day))
			problem = "is a weekday: working_days lists weekend days made working days";
		if (problem) {
			format_date(day, a);
			return fail_at(ld, e->from_mark, "'%s' (%s) %s", a,
			               weekday_names[weekday(day)], problem);
		}
		bit_set(mine, doy);
	}
	return 0;
}

/* Checks what parse_document() collected and merges it into `stage`. */
static int apply(struct loader *ld, calendar_t *stage, enum file_kind expect, int expect_year)
{
	bool year_file = ld->seen & (1u << KEY_YEAR);
	int rc;
	if (expect == KIND_YEAR && !year_file)
		return fail_at(ld, ld->doc_mark, "missing 'year:' (expected year: %d)", expect_year);
	if (expect == KIND_YEAR && ld->year != expect_year)
		return fail_at(ld, ld->year_mark, "year %d does not match the file name (%d)",
		               ld->year, expect_year);
	if (expect == KIND_OVERRIDE && year_file)
		return fail_at(ld, ld->year_mark,
		               "an override file has no 'year:' (its dates may be in any year)");
	if (year_file) {
		if (!(ld->seen & (1u << KEY_SOURCE)))
			return fail_at(ld, ld->doc_mark,
			               "missing 'source:' (the notice these days come from)");
		if (ld->seen & (1u << KEY_HOURS))
			return fail_at(ld, ld->hours_mark,
			               "working_hours belongs in the override file, not a year file");
		if (calendar_has_year(stage, ld->year))
			return fail_at(ld, ld->year_mark, "year %d is already loaded", ld->year);
		if (!file_year_slot(ld, stage, ld->year, ld->year_mark))
			return PA_EINVAL;
	}
	for (size_t i = 0; i < ld->nentries; i++) {
		if ((rc = apply_entry(ld, stage, year_file, &ld->entries[i])))
			return rc;
	}
	for (int i = 0; i < ld->nfile_years; i++) {
		const struct file_year *fy = &ld->file_years[i];
		cal_year_t *y = year_slot(stage, fy->year);
		if (!y) /* cannot happen: file_year_slot() counted the room */
			return fail_at(ld, ld->doc_mark, "too many years");
		if (year_file) {
			y->national = true;
			memcpy(y->national_off, fy->off, BITMAP_BYTES);
			memcpy(y->national_work, fy->work, BITMAP_BYTES);
		} else {
			/* a later override wins over an earlier one */
			for (int b = 0; b < BITMAP_BYTES; b++) {
				y->local_off[b] = (uint8_t)((y->local_off[b] & ~fy->work[b]) | fy->off[b]);
				y->local_work[b] = (uint8_t)((y->local_work[b] & ~fy->off[b]) | fy->work[b]);
			}
		}
		year_derive(y);
	}
	if (ld->seen & (1u << KEY_HOURS)) {
		stage->nperiods = ld->nperiods;
		memcpy(stage->periods, ld->periods, sizeof(stage->periods));
	}
	return 0;
}

static int load_buffer(calendar_t *cal, const char *buf, size_t len, const char *name,
                       enum file_kind expect, int expect_year, pa_err_t *err)
{
	if (!name)
		name = "(buffer)";
	if (!cal || (!buf && len))
		return pa_fail(err, PA_EINVAL, "calendar", NULL, "%s: no calendar or no data", name);
	if (len > CALENDAR_MAX_FILE)
		return pa_fail(err, PA_EINVAL, "calendar", NULL,
		               "%s: %zu bytes is larger than the limit of %d bytes", name, len,
		               CALENDAR_MAX_FILE);
	struct loader *ld = xcalloc(1, sizeof(*ld));
	ld->name = name;
	ld->buf = buf ? buf : "";
	ld->len = len;
	ld->err = err;
	if (!yaml_parser_initialize(&ld->parser)) {
		free(ld);
		return pa_fail(err, PA_EINTERNAL, "calendar", NULL, "%s: libyaml failed to start",
		               name);
	}
	yaml_parser_set_input_string(&ld->parser, (const unsigned char *)ld->buf, len);
	calendar_t *stage = xmalloc(sizeof(*stage));
	memcpy(stage, cal, sizeof(*stage));
	int rc = parse_document(ld);
	if (!rc)
		rc = apply(ld, stage, expect, expect_year);
	if (!rc)
		memcpy(cal, stage, sizeof(*cal));
	if (ld->have_event)
		yaml_event_delete(&ld->event);
	yaml_parser_delete(&ld->parser);
	free(ld->entries);
	free(ld);
	free(stage);
	return rc;
}

int calendar_load_buffer(calendar_t *cal, const char *buf, size_t len, const char *name,
                         pa_err_t *err)
{
	return load_buffer(cal, buf, len, name, KIND_ANY, 0, err);
}

/* "2026.yaml" → 2026; -1 for any other name. */
static int year_file_name(const char *base)
{
	if (strlen(base) != 9 || strcmp(base + 4, ".yaml") != 0)
		return -1;
	int y = 0;
	for (int i = 0; i < 4; i++) {
		if (base[i] < '0' || base[i] > '9')
			return -1;
		y = y * 10 + (base[i] - '0');
	}
	return y;
}

static int read_file(const char *path, char **out, size_t *outlen, pa_err_t *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pa_fail(err, PA_EIO, "calendar", NULL, "%s: cannot open: %s", path,
		               strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pa_fail(err, PA_EIO, "calendar", NULL, "%s: not a regular file", path);
	}
	if (st.st_size > CALENDAR_MAX_FILE) {
		close(fd);
		return pa_fail(err, PA_EINVAL, "calendar", NULL,
		               "%s: %lld bytes is larger than the limit of %d bytes", path,
		               (long long)st.st_size, CALENDAR_MAX_FILE);
	}
	/* read one byte more than fstat said to notice a file that grew */
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			free(buf);
			return pa_fail(err, PA_EIO, "calendar", NULL, "%s: read failed: %s", path,
			               strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap)
			break;
	}
	close(fd);
	if (len == cap) {
		free(buf);
		return pa_fail(err, PA_EIO, "calendar", NULL, "%s: changed while being read", path);
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int calendar_load_file(calendar_t *cal, const char *path, pa_err_t *err)
{
	if (!cal || !path)
		return pa_fail(err, PA_EINVAL, "calendar", NULL, "no calendar or no path");
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	int year = year_file_name(base);
	enum file_kind kind = year >= 0 ? KIND_YEAR : streq(base, "override.yaml") ? KIND_OVERRIDE
	                                                                           : KIND_ANY;
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, &buf, &len, err);
	if (rc)
		return rc;
	rc = load_buffer(cal, buf, len, path, kind, year, err);
	free(buf);
	return rc;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static void log_loaded(const calendar_t *cal, const char *dir, bool has_override)
{
	strbuf_t loaded = STRBUF_INIT, missing = STRBUF_INIT;
	for (int i = 0; i < cal->nyears; i++) {
		if (cal->years[i].national)
			strbuf_addf(&loaded, "%s%d", loaded.len ? ", " : "", cal->years[i].year);
	}
	int y, m, d;
	calendar_local_date(cal, pa_now(), &y, &m, &d);
	for (int year = y; year <= y + 1; year++) {
		if (!calendar_has_year(cal, year))
			strbuf_addf(&missing, "%s%d", missing.len ? ", " : "", year);
	}
	const char *ovr = has_override ? " and override.yaml" : "";
	if (!loaded.len)
		log_warn("calendar: no year files in %s%s: every year falls back to Monday-Friday",
		         dir, ovr);
	else if (missing.len)
		log_warn("calendar: loaded years %s%s from %s; no file for %s: dates there fall "
		         "back to Monday-Friday",
		         loaded.buf, ovr, dir, missing.buf);
	else
		log_info("calendar: loaded years %s%s from %s", loaded.buf, ovr, dir);
	strbuf_release(&loaded);
	strbuf_release(&missing);
}

int calendar_load_dir(calendar_t *cal, const char *dir, pa_err_t *err)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return pa_fail(err, PA_EIO, "calendar", NULL, "%s: cannot open directory: %s", dir,
		               strerror(errno));
	int years[CALENDAR_MAX_YEARS];
	int nyears = 0;
	bool has_override = false;
	struct dirent *de;
	while ((de = readdir(dp))) {
		int y = year_file_name(de->d_name);
		if (y >= 0) {
			if (nyears == CALENDAR_MAX_YEARS) {
				closedir(dp);
				return pa_fail(err, PA_EINVAL, "calendar", NULL,
				               "%s: more than %d year files", dir, CALENDAR_MAX_YEARS);
			}
			years[nyears++] = y;
		} else if (streq(de->d_name, "override.yaml")) {
			has_override = true;
		}
	}
	closedir(dp);
	qsort(years, (size_t)nyears, sizeof(years[0]), cmp_int);

	/* all or nothing: load into a copy */
	calendar_t *stage = xmalloc(sizeof(*stage));
	memcpy(stage, cal, sizeof(*stage));
	strbuf_t path = STRBUF_INIT;
	size_t dirlen = strlen(dir);
	const char *sep = dirlen && dir[dirlen - 1] == '/' ? "" : "/";
	int rc = 0;
	for (int i = 0; i <= nyears && !rc; i++) {
		strbuf_reset(&path);
		if (i < nyears)
			strbuf_addf(&path, "%s%s%04d.yaml", dir, sep, years[i]);
		else if (has_override)
			strbuf_addf(&path, "%s%soverride.yaml", dir, sep);
		else
			break;
		rc = calendar_load_file(stage, path.buf, err);
	}
	strbuf_release(&path);
	if (!rc) {
		memcpy(cal, stage, sizeof(*cal));
		log_loaded(cal, dir, has_override);
	}
	free(stage);
	return rc;
}
