/*
 * test_search.c — the character grams of the short-query index
 * (base/grams.c), the search query parser and the highlighter
 * (core/search.c).  The index itself is tested through the real store in
 * tests/api/test_search.py.
 */
#include "base/common.h"
#include "base/grams.h"
#include "core/search.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

static void assert_grams(const char *text, const char *want)
{
	strbuf_t sb = STRBUF_INIT;
	grams_of(text, strlen(text), &sb);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

static void test_grams(void **state)
{
	(void)state;
	assert_grams("电梯故障", "电梯 梯故 故障 障");
	assert_grams("电", "电");
	assert_grams("", "");
	/* punctuation and spaces cut runs; full-width folds; case folds */
	assert_grams("路灯，坏了！ Gate５", "路灯 灯 坏了 了 ga at te e5 5");
	assert_grams("A区", "a区 区");
	/* invalid UTF-8 is dropped (it ends a run) */
	assert_grams("电\xff梯", "电 梯");
	/* emoji and CJK punctuation separate */
	assert_grams("好\xf0\x9f\x98\x80评「是」", "好 评 是");
}

struct parsed {
	pa_search_term_t *t;
	size_t n;
	int rc;
	pa_err_t err;
};

static struct parsed parse(arena_t *a, const char *q)
{
	struct parsed p = { 0 };
	p.rc = search_parse(a, q, &p.t, &p.n, &p.err);
	return p;
}

static void test_parse(void **state)
{
	(void)state;
	arena_t *a = arena_new();
	struct parsed p = parse(a, "路灯 电梯故障");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 2);
	assert_string_equal(p.t[0].text, "路灯");
	assert_true(p.t[0].is_short);
	assert_string_equal(p.t[1].text, "电梯故障");
	assert_false(p.t[1].is_short);

	/* punctuation separates; quotes make one literal term; spaces collapse */
	p = parse(a, "老年，食堂！ \"Gate   5\"");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.t[2].text, "Gate 5");
	assert_false(p.t[2].is_short);

	/* operators are words; short ones are folded */
	p = parse(a, "灯\" OR \"噪音");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 3);
	assert_string_equal(p.t[0].text, "灯");
	assert_string_equal(p.t[1].text, "or");
	assert_true(p.t[1].is_short);
	assert_string_equal(p.t[2].text, "噪音");

	/* a quote in a phrase of three characters stays in the literal term */
	p = parse(a, "\"a'b\"");
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.t[0].text, "a'b");

	/* repeats count once; full-width folds */
	p = parse(a, "Ｇａ ga GA");
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.t[0].text, "ga");

	/* errors name q */
	const char *bad[] = { "", "，。！", "\"\"", "a b c d e f g h i", "灯\x01", "\xff\xfe" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		p = parse(a, bad[i]);
		assert_int_equal(p.rc, PA_EINVAL);
		assert_string_equal(p.err.field, "q");
	}
	p = parse(a, NULL);
	assert_int_equal(p.rc, PA_EINVAL);
	strbuf_t long_q = STRBUF_INIT;
	for (int i = 0; i < SEARCH_QUERY_MAX + 1; i++)
		strbuf_adds(&long_q, "灯");
	p = parse(a, long_q.buf);
	assert_int_equal(p.rc, PA_EINVAL);
	strbuf_release(&long_q);
	arena_free(a);
}

static void test_highlight(void **state)
{
	(void)state;
	arena_t *a = arena_new();
	struct parsed p = parse(a, "井盖 script");
	bool found;
	const char *h = search_highlight(a, "<script>井盖</script> & '\"", p.t, p.n, false, &found);
	assert_true(found);
	assert_string_equal(h, "&lt;<mark>script</mark>&gt;<mark>井盖</mark>&lt;/<mark>script</mark>&gt; "
	                       "&amp; &#39;&quot;");
	h = search_highlight(a, "没有", p.t, p.n, false, &found);
	assert_false(found);
	assert_string_equal(h, "没有");
	/* an excerpt: SEARCH_SNIPPET_BEFORE characters before the first match */
	strbuf_t text = STRBUF_INIT;
	for (int i = 0; i < 100; i++)
		strbuf_adds(&text, "啊");
	strbuf_adds(&text, "井盖");
	for (int i = 0; i < 200; i++)
		strbuf_adds(&text, "哦");
	h = search_highlight(a, text.buf, p.t, p.n, true, &found);
	assert_true(found);
	strbuf_t want = STRBUF_INIT;
	strbuf_adds(&want, "…");
	for (int i = 0; i < SEARCH_SNIPPET_BEFORE; i++)
		strbuf_adds(&want, "啊");
	strbuf_adds(&want, "<mark>井盖</mark>");
	for (int i = 0; i < SEARCH_SNIPPET_CHARS - SEARCH_SNIPPET_BEFORE - 2; i++)
		strbuf_adds(&want, "哦");
	strbuf_adds(&want, "…");
	assert_string_equal(h, want.buf);
	strbuf_release(&want);
	strbuf_release(&text);
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grams),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_highlight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
