/*
 * test_messages.c — the zh-CN catalog of pa_fail formats (base/messages.h):
 * sorted, every translation a printf format with exactly the conversions of
 * its English key, and pa_fail/pa_vfail/http_problem using it.  Which
 * formats in src/ lack a translation is checked by the messages.coverage
 * test (scripts/messages-missing --check).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/messages.h"
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_SPECS 16

/* Whether s[0..len) is well-formed UTF-8 (shortest forms, no surrogates). */
static bool pa_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
		         : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0 || (size_t)(end - p) < n || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4))
			return false;
		for (size_t k = 1; k < n; k++)
			if ((p[k] & 0xC0) != 0x80)
				return false;
		if (n == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0)))
			return false;
		if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
			return false;
		p += n;
	}
	return true;
}

/*
 * Splits printf format f into its conversion specifiers (each the full text
 * from '%' to the conversion character, "%%" left out).  Returns the count,
 * or -1 when a specifier is malformed, is %n, or there are too many.
 * *positional is set when any specifier uses "n$".
 */
static int specs_of(const char *f, char out[MAX_SPECS][32], bool *positional)
{
	int n = 0;
	*positional = false;
	for (const char *p = f; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		const char *s = p++;
		const char *d = p;
		while (*d >= '0' && *d <= '9')
			d++;
		if (*d == '$' && d > p) {
			*positional = true;
			p = d + 1;
		}
		while (*p && strchr("-+ #0'", *p))
			p++;
		if (*p == '*')
			p++;
		else
			while (*p >= '0' && *p <= '9')
				p++;
		if (*p == '.') {
			p++;
			if (*p == '*')
				p++;
			else
				while (*p >= '0' && *p <= '9')
					p++;
		}
		while (*p && strchr("hljztL", *p))
			p++;
		if (!*p || !strchr("diouxXeEfFgGaAcspn", *p) || *p == 'n')
			return -1;
		if (n == MAX_SPECS || (size_t)(p - s + 1) >= sizeof(out[0]))
			return -1;
		memcpy(out[n], s, (size_t)(p - s + 1));
		out[n][p - s + 1] = '\0';
		n++;
	}
	return n;
}

static void test_specs_parser(void **state)
{
	(void)state;
	char sp[MAX_SPECS][32];
	bool pos;
	assert_int_equal(specs_of("a %s b %.64s c %lld %zu %% %-5d %*d", sp, &pos), 6);
	assert_string_equal(sp[1], "%.64s");
	assert_string_equal(sp[2], "%lld");
	assert_string_equal(sp[5], "%*d");
	assert_false(pos);
	assert_int_equal(specs_of("%2$s %1$s", sp, &pos), 2);
	assert_true(pos);
	assert_int_equal(specs_of("x %n", sp, &pos), -1);
	assert_int_equal(specs_of("x %", sp, &pos), -1);
	assert_int_equal(specs_of("x %y", sp, &pos), -1);
}

static void test_catalog_sorted_and_unique(void **state)
{
	(void)state;
	assert_true(pa_messages_zh_count > 0);
	for (size_t i = 1; i < pa_messages_zh_count; i++) {
		if (strcmp(pa_messages_zh[i - 1].en, pa_messages_zh[i].en) >= 0)
			fail_msg("messages_zh.c: \"%s\" must come after \"%s\" (sorted by strcmp, no "
			         "repeats)",
			         pa_messages_zh[i - 1].en, pa_messages_zh[i].en);
	}
}

static void test_catalog_specifiers_match(void **state)
{
	(void)state;
	int bad = 0;
	for (size_t i = 0; i < pa_messages_zh_count; i++) {
		const struct pa_message *m = &pa_messages_zh[i];
		char se[MAX_SPECS][32], sz[MAX_SPECS][32];
		bool pe, pz;
		int ne = specs_of(m->en, se, &pe), nz = specs_of(m->zh, sz, &pz);
		bool ok = ne >= 0 && nz == ne && pe == pz && *m->zh;
		for (int k = 0; ok && k < ne; k++)
			ok = streq(se[k], sz[k]);
		if (!ok) {
			print_error("messages_zh.c: \"%s\" -> \"%s\": the conversions differ, are "
			            "malformed or use %%n\n",
			            m->en, m->zh);
			bad++;
		}
		if (!pa_utf8_valid(m->zh, strlen(m->zh))) {
			print_error("messages_zh.c: \"%s\": the translation is not UTF-8\n", m->en);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_lookup(void **state)
{
	(void)state;
	for (size_t i = 0; i < pa_messages_zh_count; i++)
		assert_ptr_equal(pa_message_zh(pa_messages_zh[i].en), pa_messages_zh[i].zh);
	assert_null(pa_message_zh("no such English format, surely"));
	assert_null(pa_message_zh(""));
	assert_null(pa_message_zh(NULL));
}

static void test_fail_both_languages(void **state)
{
	(void)state;
	pa_err_t e;
	pa_err_clear(&e);
	assert_int_equal(pa_fail(&e, PA_EINVAL, "validation", "code", "code must be 1 to 64 bytes"),
	                 PA_EINVAL);
	assert_string_equal(e.detail, "code must be 1 to 64 bytes");
	assert_string_equal(e.detail_zh, "code 须为 1 至 64 字节");
	assert_string_equal(e.field, "code");

	pa_fail(&e, PA_EINVAL, "validation", "due_date", "due_date may be at most %d days ahead", 30);
	assert_string_equal(e.detail, "due_date may be at most 30 days ahead");
	assert_string_equal(e.detail_zh, "due_date 最多只能设在 30 天之后");

	/* not in the catalog: the zh-CN sentence is the English one */
	pa_fail(&e, PA_EINVAL, "validation", "", "a sentence nobody translated: %d", 7);
	assert_string_equal(e.detail, "a sentence nobody translated: 7");
	assert_string_equal(e.detail_zh, "a sentence nobody translated: 7");

	/* no format: both empty */
	pa_fail(&e, PA_ENOTFOUND, "not-found", "", NULL);
	assert_string_equal(e.detail, "");
	assert_string_equal(e.detail_zh, "");
	assert_int_equal(pa_fail(NULL, PA_EINVAL, "validation", "x", "is required"), PA_EINVAL);
}

static int vfail(pa_err_t *e, const char *prefix, const char *fmt, ...) PA_FAIL_FMT(3, 4);

static int vfail(pa_err_t *e, const char *prefix, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = pa_vfail(e, PA_EINVAL, "validation", "fields.amount", prefix, fmt, ap);
	va_end(ap);
	return rc;
}

static void test_vfail_prefix(void **state)
{
	(void)state;
	pa_err_t e;
	pa_err_clear(&e);
	assert_int_equal(vfail(&e, "fields.amount: ", "must be a whole number"), PA_EINVAL);
	assert_string_equal(e.detail, "fields.amount: must be a whole number");
	assert_string_equal(e.detail_zh, "fields.amount: 须为整数");
	vfail(&e, NULL, "must be a whole number");
	assert_string_equal(e.detail_zh, "须为整数");
}

static void test_utf8_cut(void **state)
{
	(void)state;
	const char *s = "ab平安"; /* 2 + 3 + 3 bytes */
	assert_int_equal(pa_utf8_cut(s, 8), 8);
	assert_int_equal(pa_utf8_cut(s, 7), 5);
	assert_int_equal(pa_utf8_cut(s, 6), 5);
	assert_int_equal(pa_utf8_cut(s, 5), 5);
	assert_int_equal(pa_utf8_cut(s, 3), 2);
	assert_int_equal(pa_utf8_cut(s, 2), 2);
	assert_int_equal(pa_utf8_cut(s, 0), 0);
	assert_int_equal(pa_utf8_cut("\xF0\x9F\x98\x80", 4), 4); /* a 4-byte emoji */
	assert_int_equal(pa_utf8_cut("\xF0\x9F\x98\x80", 3), 0);
	assert_int_equal(pa_utf8_cut("\x80\x80", 2), 0); /* only continuation bytes */
}

static void test_long_detail_cut_on_boundary(void **state)
{
	(void)state;
	/* a long Chinese argument overflows both buffers; each must stay UTF-8 */
	char arg[1200];
	size_t n = 0;
	while (n + 3 < sizeof(arg)) {
		memcpy(arg + n, "案", 3);
		n += 3;
	}
	arg[n] = '\0';
	for (int shift = 0; shift < 3; shift++) {
		pa_err_t e;
		pa_err_clear(&e);
		pa_fail(&e, PA_EINVAL, "validation", "category", "unknown category '%s'", arg + shift);
		assert_true(strlen(e.detail) < sizeof(e.detail));
		assert_true(strlen(e.detail) > sizeof(e.detail) - 5);
		assert_true(strlen(e.detail_zh) < sizeof(e.detail_zh));
		assert_true(strlen(e.detail_zh) > sizeof(e.detail_zh) - 5);
		assert_int_equal(strncmp(e.detail_zh, "未知的类别“", strlen("未知的类别“")), 0);
		/* the argument itself starts mid-character when shift > 0; the
		 * end of the sentence is what the cut is about */
		const char *tail_en = e.detail + strlen(e.detail) - 3;
		const char *tail_zh = e.detail_zh + strlen(e.detail_zh) - 3;
		assert_true(pa_utf8_valid(tail_en, 3));
		assert_true(pa_utf8_valid(tail_zh, 3));
		if (shift == 0) {
			assert_true(pa_utf8_valid(e.detail_zh, strlen(e.detail_zh)));
			assert_true(pa_utf8_valid(e.detail, strlen(e.detail)));
		}
	}
}

static void test_problem_language(void **state)
{
	(void)state;
	pa_err_t e;
	pa_err_clear(&e);
	pa_fail(&e, PA_EINVAL, "validation", "due_date", "due_date must be today or later");
	http_req_t req;
	memset(&req, 0, sizeof(req));
	req.path = "/api/v1/cases";
	http_resp_t resp;
	memset(&resp, 0, sizeof(resp));
	strbuf_init(&resp.body, 256);

	req.lang = "zh-CN";
	http_problem(&req, &resp, &e);
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(resp.body.buf, "\"detail\":\"due_date 不得早于今天\""));
	assert_non_null(strstr(resp.body.buf, "\"field\":\"due_date\""));

	req.lang = "en";
	http_problem(&req, &resp, &e);
	assert_non_null(strstr(resp.body.buf, "\"detail\":\"due_date must be today or later\""));

	/* a 5xx shows neither sentence */
	pa_fail(&e, PA_EUNAVAIL, "unavailable", "", "the write was not run: %s", "disk full");
	req.lang = "zh-CN";
	http_problem(&req, &resp, &e);
	assert_null(strstr(resp.body.buf, "disk full"));
	strbuf_release(&resp.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs_parser),
		cmocka_unit_test(test_catalog_sorted_and_unique),
		cmocka_unit_test(test_catalog_specifiers_match),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_fail_both_languages),
		cmocka_unit_test(test_vfail_prefix),
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_long_detail_cut_on_boundary),
		cmocka_unit_test(test_problem_language),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
