/*
 * clock.h — the server's notion of "now".
 *
 * Everything that compares against a deadline asks pa_now(), never time().
 * Tests start the server with a controllable clock (serve --test-clock) and
 * move it forward through POST /api/test/clock; production never can.
 * Times are int64 seconds since the Unix epoch, UTC.
 */
#ifndef PA_CLOCK_H
#define PA_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef int64_t pa_time_t;

pa_time_t pa_now(void);
/* Monotonic microseconds, for latency measurement. */
int64_t pa_mono_us(void);

/* Test clock: when enabled, pa_now() = real time + offset. */
void pa_clock_enable_test(bool on);
bool pa_clock_is_test(void);
void pa_clock_set_offset(int64_t seconds);
int64_t pa_clock_offset(void);

/* RFC 3339 / ISO 8601 with the given UTC offset in minutes ("2026-11-29T18:00:00+08:00").
 * buf must hold 32 bytes; years are clamped to 0000..9999. */
void pa_time_format(pa_time_t t, int utc_offset_min, char buf[32]);
/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or with ±HH:MM; date-only means
 * midnight at utc_offset_min.  Returns 0 or PA_EINVAL. */
int pa_time_parse(const char *s, int utc_offset_min, pa_time_t *out);

#endif
