/*
 * test_base.c — arena, strbuf, clock parsing/formatting, error helper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/clock.h"
#include "base/keyindex.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int deferred_runs;
static void count_deferred(void *arg) { deferred_runs += *(int *)arg; }

static void test_arena(void **state)
{
	arena_t *a = arena_new();
	char *s = arena_strdup(a, "平安");
	assert_string_equal(s, "平安");
	void *big = arena_alloc(a, 100000);
	memset(big, 1, 100000);
	for (int i = 0; i < 10000; i++) {
		char *p = arena_printf(a, "%d", i);
		assert_int_equal(((uintptr_t)p) % 16, 0);
	}
	assert_string_equal(arena_splice_int(a, "{\"id\":", -42, ",\"平安\":1}"), "{\"id\":-42,\"平安\":1}");
	assert_string_equal(arena_splice_int(a, "", 9223372036854775807LL, ""), "9223372036854775807");
	int one = 1;
	arena_defer(a, count_deferred, &one);
	arena_reset(a);
	assert_int_equal(deferred_runs, 1);
	assert_int_equal(arena_used(a), 0);
	arena_defer(a, count_deferred, &one);
	arena_free(a);
	assert_int_equal(deferred_runs, 2);
}

static void test_strbuf(void **state)
{
	strbuf_t sb = STRBUF_INIT;
	assert_string_equal(sb.buf, "");
	strbuf_addf(&sb, "%s-%d", "a", 1);
	for (int i = 0; i < 1000; i++)
		strbuf_addch(&sb, 'x');
	assert_int_equal(sb.len, 1003);
	assert_int_equal(sb.buf[sb.len], '\0');
	strbuf_reset(&sb);
	strbuf_add_json_str(&sb, "<a href=\"x\">\n\x01\xff张");
	assert_string_equal(sb.buf, "\"\\u003ca href=\\\"x\\\"\\u003e\\n\\u0001\xEF\xBF\xBD张\"");
	strbuf_reset(&sb);
	strbuf_add_xml_escaped(&sb, "<b>&'\"");
	assert_string_equal(sb.buf, "&lt;b&gt;&amp;&#39;&quot;");
	size_t len;
	char *d = strbuf_detach(&sb, &len);
	assert_int_equal(len, strlen(d));
	free(d);
	strbuf_release(&sb);
}

/* strbuf_add_json_str against the JSON reader: every ASCII byte alone and in
 * a run, valid UTF-8 of each length, and invalid sequences (U+FFFD each). */
static void test_json_str(void **state)
{
	strbuf_t sb = STRBUF_INIT;
	for (int c = 1; c < 0x80; c++) {
		char in[8] = { 'a', (char)c, (char)c, 'b', 0 };
		strbuf_reset(&sb);
		strbuf_add_json_str(&sb, in);
		json_t *j = json_loads(sb.buf, JSON_DECODE_ANY, NULL);
		assert_non_null(j);
		assert_string_equal(json_string_value(j), in);
		json_decref(j);
		/* never a raw character that markup or JSON would read */
		assert_null(strpbrk(sb.buf + 1, "<>&"));
		if (c < 0x20)
			assert_int_equal(memchr(sb.buf, c, sb.len), NULL);
	}
	static const struct { const char *in, *out; } cases[] = {
		{ "é·€😀张三 abc", "\"é·€😀张三 abc\"" },
		{ "\xC3", "\"\xEF\xBF\xBD\"" },                  /* cut short */
		{ "a\xE5\xBC" "b", "\"a\xEF\xBF\xBD\xEF\xBF\xBD" "b\"" }, /* each bad byte */
		{ "\xC0\xAF", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"" },     /* overlong */
		{ "\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"" }, /* surrogate */
		{ "x\x7fy", "\"x\x7fy\"" },
		{ "", "\"\"" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		strbuf_reset(&sb);
		strbuf_add_json_str(&sb, cases[i].in);
		assert_string_equal(sb.buf, cases[i].out);
	}
	strbuf_reset(&sb);
	strbuf_add_json_str(&sb, NULL);
	assert_string_equal(sb.buf, "\"\"");
	/* JSON text (a serialized value) with <>& escaped, the same value */
	strbuf_reset(&sb);
	const char *text = "{\"a\":\"<b>&\",\"n\":[1,2]}";
	strbuf_add_json_text(&sb, text, strlen(text));
	assert_string_equal(sb.buf, "{\"a\":\"\\u003cb\\u003e\\u0026\",\"n\":[1,2]}");
	strbuf_release(&sb);
}

static void test_time(void **state)
{
	pa_time_t t;
	assert_int_equal(pa_time_parse("2026-02-14", 480, &t), 0);
	char buf[32];
	pa_time_format(t, 480, buf);
	assert_string_equal(buf, "2026-02-14T00:00:00+08:00");
	pa_time_format(t, 0, buf);
	assert_string_equal(buf, "2026-02-13T16:00:00Z");
	assert_int_equal(pa_time_parse("2026-02-13T16:00:00Z", 480, &t), 0);
	pa_time_format(t, 480, buf);
	assert_string_equal(buf, "2026-02-14T00:00:00+08:00");
	assert_int_equal(pa_time_parse("2026-02-14T08:30:00+08:00", 0, &t), 0);
	pa_time_format(t, 0, buf);
	assert_string_equal(buf, "2026-02-14T00:30:00Z");
	assert_int_equal(pa_time_parse("2026-02-30", 480, &t), PA_EINVAL);
	assert_int_equal(pa_time_parse("2025-02-29", 480, &t), PA_EINVAL);
	assert_int_equal(pa_time_parse("2024-02-29", 480, &t), 0);
	assert_int_equal(pa_time_parse("2026-1-1", 480, &t), PA_EINVAL);
	assert_int_equal(pa_time_parse("2026-01-01T25:00:00Z", 480, &t), PA_EINVAL);
	assert_int_equal(pa_time_parse("2026-01-01Tjunk", 480, &t), PA_EINVAL);
	assert_int_equal(pa_time_parse("", 480, &t), PA_EINVAL);
}

/* The hand-written formatter agrees with gmtime_r over a wide range. */
static void test_time_format_matches_gmtime(void **state)
{
	uint32_t x = 2463534242u;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		pa_time_t t = (pa_time_t)(x % 4102444800u); /* 1970..2100 */
		int offs[] = { 0, 480, -300, 345 };
		int off = offs[i % 4];
		char got[32], want[128];
		pa_time_format(t, off, got);
		time_t local = (time_t)(t + off * 60);
		struct tm tm;
		gmtime_r(&local, &tm);
		if (off == 0)
			snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		else
			snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", tm.tm_year + 1900,
			         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
			         abs(off) / 60, abs(off) % 60);
		assert_string_equal(got, want);
		pa_time_t back;
		assert_int_equal(pa_time_parse(got, 0, &back), 0);
		assert_true(back == t);
	}
}

static void test_err(void **state)
{
	pa_err_t e = { 0 };
	assert_int_equal(pa_fail(&e, PA_EINVAL, "validation", "title", "%s is required", "title"), PA_EINVAL);
	assert_string_equal(e.field, "title");
	assert_string_equal(e.detail, "title is required");
	assert_int_equal(pa_fail(NULL, PA_ENOTFOUND, "x", NULL, NULL), PA_ENOTFOUND);
	assert_string_equal(pa_strerror(PA_ECONFLICT), "ECONFLICT");
}

static void test_keyindex(void **state)
{
	(void)state;
	arena_t *a = arena_new();
	keyindex_t ix = KEYINDEX_INIT(a);
	bool fresh;
	/* keys are bytes: a NUL inside one does not end it */
	assert_int_equal(keyindex_find(&ix, "a\0b", 3, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(keyindex_find(&ix, "a\0c", 3, &fresh), 1);
	assert_true(fresh);
	assert_int_equal(keyindex_find(&ix, "a", 1, &fresh), 2);
	assert_true(fresh);
	assert_int_equal(keyindex_find(&ix, "a\0b", 3, &fresh), 0);
	assert_false(fresh);
	assert_int_equal(keyindex_find(&ix, "", 0, &fresh), 3);
	assert_true(fresh);
	/* through several growths: every key keeps its number, in first-seen order */
	char key[32];
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			int len = snprintf(key, sizeof(key), "k%d", i);
			size_t n = keyindex_find(&ix, key, (size_t)len, &fresh);
			assert_int_equal(n, (size_t)i + 4);
			assert_int_equal(fresh, round == 0);
		}
	assert_int_equal(ix.n, 5004);
	assert_memory_equal(ix.keys[1], "a\0c", 4);
	assert_string_equal(ix.keys[4 + 4321], "k4321");
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_time_format_matches_gmtime),
		cmocka_unit_test(test_err),
		cmocka_unit_test(test_keyindex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
