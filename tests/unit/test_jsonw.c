/*
 * test_jsonw.c — strbuf_add_json() writes exactly what json_dumps(JSON_COMPACT
 * | JSON_ENCODE_ANY) followed by strbuf_add_json_text() wrote before it, and
 * strbuf_add_json_sorted() / json_text_sorted() exactly json_dumps(JSON_COMPACT
 * | JSON_SORT_KEYS | JSON_ENCODE_ANY):
 * fixed documents with every kind of value and escape, then a few thousand
 * random trees (strings from every byte, integers to the limits, reals of
 * every magnitude, nesting, empty containers), and refusing what jansson
 * refuses (invalid UTF-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/common.h"
#include "base/jsonw.h"

#include <float.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

/* The old way: jansson's text, then the markup escape. */
static void old_way(const json_t *j, strbuf_t *out)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(text);
	strbuf_add_json_text(out, text, strlen(text));
	free(text);
}

/* The stored text: jansson's, keys sorted, no markup escape. */
static void check_same_sorted(const json_t *j)
{
	char *want = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	assert_non_null(want);
	strbuf_t got = STRBUF_INIT;
	strbuf_adds(&got, "prefix:");
	assert_int_equal(strbuf_add_json_sorted(&got, j), 0);
	assert_int_equal(got.len, strlen(want) + 7);
	assert_memory_equal(got.buf + 7, want, strlen(want));
	if (json_is_object(j) || json_is_array(j)) {
		arena_t *a = arena_new();
		const char *t = json_text_sorted(a, j);
		assert_non_null(t);
		assert_string_equal(t, want);
		arena_free(a);
	}
	free(want);
	strbuf_release(&got);
}

static void check_same(const json_t *j)
{
	strbuf_t want = STRBUF_INIT, got = STRBUF_INIT;
	old_way(j, &want);
	strbuf_adds(&got, "prefix:");
	assert_int_equal(strbuf_add_json(&got, j), 0);
	assert_int_equal(got.len, want.len + 7);
	assert_memory_equal(got.buf + 7, want.buf, want.len);
	strbuf_release(&want);
	strbuf_release(&got);
	check_same_sorted(j);
}

static void test_fixed(void **state)
{
	(void)state;
	const char *docs[] = {
		"{}", "[]", "null", "true", "false", "0", "-1", "\"\"",
		"{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{\"e\":\"f\"},\"g\":true,\"h\":false}",
		"[9223372036854775807,-9223372036854775808,1.5,-0.0,1e300,2.5e-300,0.1,100.0,1e20,1e-5]",
		"{\"markup\":\"<script>alert('x') & </script>\",\"quote\":\"\\\"\\\\/\"}",
		"{\"ctl\":\"\\u0000\\u0001\\b\\f\\n\\r\\t\\u001f\\u007f\"}",
		"{\"zh\":\"平安 信访 矛盾纠纷 网格事件\",\"emoji\":\"\\ud83d\\ude00\",\"bmp\":\"\\uffff\\u0800\\u00e9\"}",
		"{\"z\":1,\"a\":2,\"m\":3}", /* insertion order, not sorted */
		"{\"key\":\"v\\u0000al\",\"<&>\":\"\"}", /* NUL in keys: the random trees */
		/* sorting: prefixes, bytes above 0x7F, nested (NUL in keys: the random trees) */
		"{\"ab\":1,\"a\":2,\"a~\":3,\"\":4,\"\u00e9\":5,\"z\":{\"y\":[{\"b\":1,\"a\":2}],\"x\":0}}",
		/* more members than the writer sorts in place */
		"{\"t\":1,\"s\":2,\"r\":3,\"q\":4,\"p\":5,\"o\":6,\"n\":7,\"m\":8,\"l\":9,\"k\":10,"
		"\"j\":11,\"i\":12,\"h\":13,\"g\":14,\"f\":15,\"e\":16,\"d\":17,\"c\":18,\"b\":19,\"a\":20}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
		json_error_t err;
		json_t *j = json_loads(docs[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (!j)
			print_error("%s: %s\n", docs[i], err.text);
		assert_non_null(j);
		check_same(j);
		json_decref(j);
	}
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A random valid UTF-8 string: ASCII of every kind (controls, markup,
 * quotes, NUL) and 2-, 3- and 4-byte characters. */
static json_t *random_string(void)
{
	char buf[256];
	size_t n = 0, want = next() % 40;
	while (n < want && n + 4 < sizeof(buf)) {
		unsigned r = (unsigned)(next() % 10);
		if (r < 6) {
			buf[n++] = (char)(next() % 128);
		} else {
			unsigned cp;
			if (r < 8) {
				cp = 0x80 + (unsigned)(next() % (0x800 - 0x80));
			} else if (r < 9) {
				do
					cp = 0x800 + (unsigned)(next() % (0x10000 - 0x800));
				while (cp >= 0xD800 && cp <= 0xDFFF);
			} else {
				cp = 0x10000 + (unsigned)(next() % (0x110000 - 0x10000));
			}
			if (cp < 0x800) {
				buf[n++] = (char)(0xC0 | (cp >> 6));
				buf[n++] = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				buf[n++] = (char)(0xE0 | (cp >> 12));
				buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
				buf[n++] = (char)(0x80 | (cp & 0x3F));
			} else {
				buf[n++] = (char)(0xF0 | (cp >> 18));
				buf[n++] = (char)(0x80 | ((cp >> 12) & 0x3F));
				buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F));
				buf[n++] = (char)(0x80 | (cp & 0x3F));
			}
		}
	}
	json_t *s = json_stringn(buf, n);
	assert_non_null(s);
	return s;
}

static json_t *random_value(int depth)
{
	unsigned r = (unsigned)(next() % (depth > 4 ? 6 : 8));
	switch (r) {
	case 0: return json_null();
	case 1: return json_boolean(next() & 1);
	case 2: {
		uint64_t v = next();
		switch (next() % 4) {
		case 0: return json_integer((json_int_t)v);
		case 1: return json_integer((json_int_t)(v % 1000) - 500);
		case 2: return json_integer(next() & 1 ? INT64_MAX : INT64_MIN);
		default: return json_integer(0);
		}
	}
	case 3: {
		double d;
		switch (next() % 4) {
		case 0: d = (double)(int64_t)next() / (double)(next() | 1); break;
		case 1: d = (double)(next() % 100000) / 100.0; break;
		case 2: { /* any finite bit pattern: every magnitude, subnormals too */
			uint64_t bits = next();
			memcpy(&d, &bits, sizeof(d));
			if (d != d || d - d != 0.0)
				d = 0.5; /* NaN or infinity: jansson refuses those */
			break;
		}
		default: d = next() & 1 ? DBL_MAX : DBL_MIN; break;
		}
		return json_real(d);
	}
	case 4:
	case 5: return random_string();
	case 6: {
		json_t *a = json_array();
		for (size_t i = 0, n = next() % 6; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (size_t i = 0, n = next() % 6; i < n; i++) {
			json_t *k = random_string();
			json_object_setn_new(o, json_string_value(k), json_string_length(k),
			                     random_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	}
}

static void test_random_trees(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++) {
		json_t *j = random_value(0);
		check_same(j);
		json_decref(j);
	}
}

static void test_refuses_what_jansson_refuses(void **state)
{
	(void)state;
	const char *bad[] = {
		"\xC0\x80",         /* overlong NUL */
		"\xED\xA0\x80",     /* a surrogate */
		"\xF4\x90\x80\x80", /* above U+10FFFF */
		"ok\xE4\xB8",       /* cut short */
		"\x80",             /* a lone continuation byte */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		json_t *j = json_pack("{s:[i,o]}", "k", 1, json_stringn_nocheck(bad[i], strlen(bad[i])));
		assert_null(json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY));
		strbuf_t sb = STRBUF_INIT;
		strbuf_adds(&sb, "kept");
		assert_int_equal(strbuf_add_json(&sb, j), -1);
		assert_string_equal(sb.buf, "kept"); /* nothing half-written */
		assert_int_equal(strbuf_add_json_sorted(&sb, j), -1);
		assert_string_equal(sb.buf, "kept");
		arena_t *a = arena_new();
		assert_null(json_text_sorted(a, j));
		arena_free(a);
		strbuf_release(&sb);
		json_decref(j);
	}
	strbuf_t sb = STRBUF_INIT;
	assert_int_equal(strbuf_add_json(&sb, NULL), -1);
	assert_int_equal(strbuf_add_json_sorted(&sb, NULL), -1);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
}

/* strbuf_add_json_members() writes what the object holding the same members
 * gives through json_dumps(JSON_COMPACT | JSON_SORT_KEYS). */
static void check_members(const jsonw_member_t *m, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		switch (m[i].kind) {
		case JSONW_STR:
			json_object_set_new(o, m[i].key, m[i].str ? json_string(m[i].str) : json_null());
			break;
		case JSONW_INT: json_object_set_new(o, m[i].key, json_integer(m[i].num)); break;
		case JSONW_JSON: json_object_set(o, m[i].key, (json_t *)m[i].json); break;
		}
	}
	char *want = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(want);
	arena_t *a = arena_new();
	const char *got = json_members_text(a, m, n);
	assert_non_null(got);
	assert_string_equal(got, want);
	arena_free(a);
	free(want);
	json_decref(o);
}

static void test_members(void **state)
{
	(void)state;
	json_t *fields = json_loads("{\"reason\":\"<材料不全> & \\\"补正\\\"\",\"days\":15,\"x\":[1,{\"b\":null,\"a\":1.5}]}",
	                            0, NULL);
	assert_non_null(fields);
	json_t *empty = json_object();
	const jsonw_member_t step[] = {
		{ "fields", JSONW_JSON, .json = fields },
		{ "approval", JSONW_JSON, .json = empty },
		{ "from_org_id", JSONW_INT, .num = 3 },
		{ "to_org_id", JSONW_INT, .num = -9223372036854775807LL - 1 },
		{ "due_at", JSONW_STR, .str = "2027-01-29T23:59:59+08:00" },
		{ "handover_case", JSONW_STR, .str = "TJ-2026-000001" },
		{ "handover_case_id", JSONW_INT, .num = 9223372036854775807LL },
		{ "from", JSONW_STR, .str = "registered" },
		{ "to", JSONW_STR, .str = "handling\n\t\x01" },
		{ "action", JSONW_STR, .str = "accept" },
	};
	for (size_t n = 0; n <= ARRAY_SIZE(step); n++)
		check_members(step, n);
	/* a later member replaces an earlier one with its key; a NULL tree is left out; NULL text is null */
	const jsonw_member_t odd[] = {
		{ "title", JSONW_STR, .str = "first" },
		{ "gone", JSONW_JSON, .json = NULL },
		{ "title", JSONW_STR, .str = "second" },
		{ "none", JSONW_STR, .str = NULL },
		{ "title", JSONW_INT, .num = 7 },
		{ "", JSONW_STR, .str = "empty key" },
		{ "\xC3\xA9", JSONW_STR, .str = "😀" },
	};
	check_members(odd, ARRAY_SIZE(odd));
	/* refused: not UTF-8, too many */
	arena_t *a = arena_new();
	const jsonw_member_t bad[] = { { "k", JSONW_STR, .str = "ok\xE4\xB8" } };
	assert_null(json_members_text(a, bad, 1));
	jsonw_member_t many[JSONW_MEMBERS_MAX + 1];
	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (jsonw_member_t){ "k", JSONW_INT, .num = (long long)i };
	assert_null(json_members_text(a, many, ARRAY_SIZE(many)));
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, "kept");
	assert_int_equal(strbuf_add_json_members(&sb, bad, 1), -1);
	assert_string_equal(sb.buf, "kept");
	strbuf_release(&sb);
	arena_free(a);
	json_decref(fields);
	json_decref(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed),
		cmocka_unit_test(test_random_trees),
		cmocka_unit_test(test_refuses_what_jansson_refuses),
		cmocka_unit_test(test_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
