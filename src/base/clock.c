#include "base/common.h"
#include "base/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static atomic_bool test_clock;
static _Atomic int64_t clock_offset;

pa_time_t pa_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t t = (int64_t)ts.tv_sec;
	if (atomic_load(&test_clock))
		t += atomic_load(&clock_offset);
	return t;
}

int64_t pa_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void pa_clock_enable_test(bool on) { atomic_store(&test_clock, on); }
bool pa_clock_is_test(void) { return atomic_load(&test_clock); }
void pa_clock_set_offset(int64_t seconds) { atomic_store(&clock_offset, seconds); }
int64_t pa_clock_offset(void) { return atomic_load(&clock_offset); }

/* civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm) */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* Hot path (every time in every JSON response): no gmtime, no snprintf. */
void pa_time_format(pa_time_t t, int utc_offset_min, char buf[32])
{
	int64_t local = t + (int64_t)utc_offset_min * 60;
	int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t secs = local - days * 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0)
		y = 0;
	if (y > 9999)
		y = 9999;
	char *p = buf;
	p = put2(p, (unsigned)(y / 100));
	p = put2(p, (unsigned)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (unsigned)(secs / 3600));
	*p++ = ':';
	p = put2(p, (unsigned)(secs / 60 % 60));
	*p++ = ':';
	p = put2(p, (unsigned)(secs % 60));
	if (utc_offset_min == 0) {
		*p++ = 'Z';
	} else {
		unsigned off = (unsigned)(utc_offset_min < 0 ? -utc_offset_min : utc_offset_min) % 6000u;
		*p++ = utc_offset_min < 0 ? '-' : '+';
		p = put2(p, off / 60);
		*p++ = ':';
		p = put2(p, off % 60);
	}
	*p = '\0';
}

/* days since 1970-01-01 of a civil date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int pa_time_parse(const char *s, int utc_offset_min, pa_time_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0;
	size_t n = strlen(s);
	if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return PA_EINVAL;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return PA_EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return PA_EINVAL;
	int off = utc_offset_min;
	if (n > 10) {
		if ((s[10] != 'T' && s[10] != ' ') || n < 19 || digits(s + 11, 2, &h) || s[13] != ':' ||
		    digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
			return PA_EINVAL;
		if (h > 23 || mi > 59 || se > 60)
			return PA_EINVAL;
		const char *z = s + 19;
		if (*z == '.') { /* fraction ignored */
			z++;
			while (*z >= '0' && *z <= '9')
				z++;
		}
		if (*z == 'Z' && z[1] == '\0') {
			off = 0;
		} else if ((*z == '+' || *z == '-') && strlen(z) == 6 && z[3] == ':') {
			int oh, om;
			if (digits(z + 1, 2, &oh) || digits(z + 4, 2, &om) || oh > 14 || om > 59)
				return PA_EINVAL;
			off = (oh * 60 + om) * (*z == '-' ? -1 : 1);
		} else if (*z != '\0') {
			return PA_EINVAL;
		}
	}
	int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
	*out = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)off * 60;
	return 0;
}
