/*
 * fuzz_calendar.c — libFuzzer target for the calendar file parser.
 *
 * Each input is one calendar or override document: it is loaded into a
 * fresh calendar with calendar_load_buffer() (the parser's byte-buffer
 * seam); when it loads, due times are computed in every unit from a few
 * starts so the loaded days and working hours are exercised too.  Short
 * inputs are also tried as a working-hours spec.  Nothing may leak, crash
 * or trip a sanitizer, and a failed load must leave a usable calendar.
 *
 *   clang -std=c17 -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined -Isrc \
 *     src/base/*.c src/core/calendar.c fuzz/fuzz_calendar.c -lyaml -o fuzz_calendar
 *   ./fuzz_calendar -max_total_time=120 fuzz/corpus/calendar
 */
#include "base/common.h"
#include "core/calendar.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_set_level(LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const pa_time_t starts[] = {
		1771999200, /* 2026-02-25T14:00:00+08:00 */
		1767196800, /* 2026-01-01T00:00:00+08:00 */
		1798732799, /* 2026-12-31T23:59:59+08:00 */
	};
	static const int amounts[] = { 0, 1, 15, 60 };

	calendar_t *cal = calendar_new(480);
	pa_err_t err = { 0 };
	int rc = calendar_load_buffer(cal, (const char *)data, size, "fuzz.yaml", &err);
	if (rc == 0 || size < 64) {
		for (size_t s = 0; s < ARRAY_SIZE(starts); s++) {
			for (size_t a = 0; a < ARRAY_SIZE(amounts); a++) {
				for (int u = DUE_CALENDAR_DAYS; u <= DUE_WORKING_HOURS; u++) {
					pa_time_t due = 0;
					/* invariants: a valid calendar always has an answer, never
					 * before the start, and working hours take at least as
					 * long as they count */
					if (calendar_add(cal, starts[s], amounts[a], (due_unit_t)u, &due) != 0 ||
					    due < starts[s] ||
					    (u == DUE_WORKING_HOURS && due - starts[s] < amounts[a] * 3600))
						abort();
				}
			}
		}
		(void)calendar_is_working_day(cal, 2026, 2, 16);
	}
	if (size < 64) {
		char spec[64];
		memcpy(spec, data, size);
		spec[size] = '\0';
		if (calendar_set_working_hours(cal, spec, &err) == 0) {
			pa_time_t due = 0;
			if (calendar_add(cal, starts[0], 8, DUE_WORKING_HOURS, &due) != 0 || due < starts[0])
				abort();
		}
	}
	calendar_free(cal);
	return 0;
}
