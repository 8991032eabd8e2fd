/*
 * jsonw.c — a jansson tree written straight into a strbuf (see jsonw.h for
 * the exact output and why).
 *
 * Strings are copied in runs: bytes that need nothing are found with
 * strbuf's table (ASCII) or validated as whole UTF-8 sequences with
 * strbuf_utf8_len (jansson's rules: no overlong forms, no surrogates,
 * nothing above U+10FFFF), and each run
 * is appended with one strbuf_add.  Reals go through json_dumps itself, so
 * their digits can never drift from what jansson writes.
 */
#include "base/common.h"
#include "base/jsonw.h"

#include <stdlib.h>

static int add_string(strbuf_t *sb, const char *str, size_t n, bool markup)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	strbuf_grow(sb, n + 2);
	strbuf_addch(sb, '"');
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		for (;;) {
			if (j < n && s[j] < 0x80 &&
			    (strbuf_json_plain[s[j]] ||
			     (!markup && (s[j] == '<' || s[j] == '>' || s[j] == '&')))) {
				j++;
			} else if (j + 2 < n && s[j] >= 0xE1 && s[j] <= 0xEF && s[j] != 0xED &&
			           (s[j + 1] & 0xC0) == 0x80 && (s[j + 2] & 0xC0) == 0x80) {
				/* three bytes led by E1..EC or EE..EF are valid whatever
				 * their continuation bytes (no overlong form, no
				 * surrogate): Chinese text, without the full check */
				j += 3;
			} else if (j < n && s[j] >= 0x80) {
				size_t l = strbuf_utf8_len(s + j, n - j);
				if (l == 0)
					return -1;
				j += l;
			} else {
				break;
			}
		}
		if (j > i) {
			strbuf_add(sb, s + i, j - i);
			i = j;
			continue;
		}
		unsigned char c = s[i++];
		switch (c) {
		case '"': strbuf_add(sb, "\\\"", 2); break;
		case '\\': strbuf_add(sb, "\\\\", 2); break;
		case '\b': strbuf_add(sb, "\\b", 2); break;
		case '\f': strbuf_add(sb, "\\f", 2); break;
		case '\n': strbuf_add(sb, "\\n", 2); break;
		case '\r': strbuf_add(sb, "\\r", 2); break;
		case '\t': strbuf_add(sb, "\\t", 2); break;
		/* markup, as strbuf_add_json_text writes it (lower-case) */
		case '<': strbuf_add(sb, "\\u003c", 6); break;
		case '>': strbuf_add(sb, "\\u003e", 6); break;
		case '&': strbuf_add(sb, "\\u0026", 6); break;
		default: {
			/* the other control characters, as jansson writes them */
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF] };
			strbuf_add(sb, esc, sizeof(esc));
		}
		}
	}
	strbuf_addch(sb, '"');
	return 0;
}

static void add_int(strbuf_t *sb, json_int_t v)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	/* via the unsigned magnitude: INT64_MIN has no positive counterpart */
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		*--p = '-';
	strbuf_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

static int add_value(strbuf_t *sb, const json_t *j, bool sorted);

/* One member of an object being written in key order. */
struct member {
	const char *key;
	size_t len;
	const json_t *value;
};

/* jansson's order for JSON_SORT_KEYS: the keys' bytes, then the shorter first. */
static int member_cmp(const struct member *x, const struct member *y)
{
	int r = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
	return r ? r : (x->len > y->len) - (x->len < y->len);
}

static int member_qsort_cmp(const void *x, const void *y)
{
	return member_cmp(x, y);
}

#define SMALL_OBJECT 16

static int add_sorted_object(strbuf_t *sb, const json_t *j)
{
	size_t n = json_object_size(j);
	struct member small[SMALL_OBJECT];
	struct member *m = n <= SMALL_OBJECT ? small : xcalloc(n, sizeof(*m));
	size_t k = 0;
	for (void *it = json_object_iter((json_t *)j); it && k < n;
	     it = json_object_iter_next((json_t *)j, it), k++)
		m[k] = (struct member){ json_object_iter_key(it), json_object_iter_key_len(it),
			                    json_object_iter_value(it) };
	if (k > SMALL_OBJECT) {
		qsort(m, k, sizeof(*m), member_qsort_cmp);
	} else {
		/* insertion sort: an event's or a body's objects have a few members */
		for (size_t i = 1; i < k; i++) {
			struct member x = m[i];
			size_t p = i;
			for (; p > 0 && member_cmp(&m[p - 1], &x) > 0; p--)
				m[p] = m[p - 1];
			m[p] = x;
		}
	}
	int rc = 0;
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < k && rc == 0; i++) {
		if (i)
			strbuf_addch(sb, ',');
		rc = add_string(sb, m[i].key, m[i].len, false);
		if (rc == 0) {
			strbuf_addch(sb, ':');
			rc = add_value(sb, m[i].value, true);
		}
	}
	strbuf_addch(sb, '}');
	if (m != small)
		free(m);
	return rc;
}

static int add_value(strbuf_t *sb, const json_t *j, bool sorted)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		if (sorted)
			return add_sorted_object(sb, j);
		strbuf_addch(sb, '{');
		bool first = true;
		for (void *it = json_object_iter((json_t *)j); it;
		     it = json_object_iter_next((json_t *)j, it)) {
			if (!first)
				strbuf_addch(sb, ',');
			first = false;
			if (add_string(sb, json_object_iter_key(it), json_object_iter_key_len(it), !sorted) < 0)
				return -1;
			strbuf_addch(sb, ':');
			if (add_value(sb, json_object_iter_value(it), sorted) < 0)
				return -1;
		}
		strbuf_addch(sb, '}');
		return 0;
	}
	case JSON_ARRAY: {
		strbuf_addch(sb, '[');
		size_t n = json_array_size(j);
		for (size_t i = 0; i < n; i++) {
			if (i)
				strbuf_addch(sb, ',');
			if (add_value(sb, json_array_get(j, i), sorted) < 0)
				return -1;
		}
		strbuf_addch(sb, ']');
		return 0;
	}
	case JSON_STRING:
		return add_string(sb, json_string_value(j), json_string_length(j), !sorted);
	case JSON_INTEGER:
		add_int(sb, json_integer_value(j));
		return 0;
	case JSON_REAL: {
		char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text)
			return -1;
		strbuf_adds(sb, text);
		free(text);
		return 0;
	}
	case JSON_TRUE:
		strbuf_add(sb, "true", 4);
		return 0;
	case JSON_FALSE:
		strbuf_add(sb, "false", 5);
		return 0;
	case JSON_NULL:
		strbuf_add(sb, "null", 4);
		return 0;
	}
	return -1;
}

int strbuf_add_json(strbuf_t *sb, const json_t *j)
{
	if (!j)
		return -1;
	size_t mark = sb->len;
	if (add_value(sb, j, false) < 0) {
		strbuf_setlen(sb, mark);
		return -1;
	}
	return 0;
}

int strbuf_add_json_sorted(strbuf_t *sb, const json_t *j)
{
	if (!j)
		return -1;
	size_t mark = sb->len;
	if (add_value(sb, j, true) < 0) {
		strbuf_setlen(sb, mark);
		return -1;
	}
	return 0;
}

const char *json_text_sorted(arena_t *a, const json_t *j)
{
	if (!json_is_object(j) && !json_is_array(j))
		return NULL;
	strbuf_t sb;
	strbuf_init(&sb, 512);
	const char *r = strbuf_add_json_sorted(&sb, j) == 0 ? arena_strndup(a, sb.buf, sb.len) : NULL;
	strbuf_release(&sb);
	return r;
}

int strbuf_add_json_sorted_str(strbuf_t *sb, const char *s)
{
	size_t mark = sb->len;
	if (add_string(sb, s, strlen(s), false) < 0) {
		strbuf_setlen(sb, mark);
		return -1;
	}
	return 0;
}

int strbuf_add_json_members(strbuf_t *sb, const jsonw_member_t *m, size_t n)
{
	if (n > JSONW_MEMBERS_MAX)
		return -1;
	/* the members' order by key, stable (a later duplicate follows) */
	const jsonw_member_t *o[JSONW_MEMBERS_MAX];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (m[i].kind == JSONW_JSON && !m[i].json)
			continue;
		size_t p = k++;
		for (; p > 0 && strcmp(o[p - 1]->key, m[i].key) > 0; p--)
			o[p] = o[p - 1];
		o[p] = &m[i];
	}
	size_t mark = sb->len;
	int rc = 0;
	bool first = true;
	strbuf_addch(sb, '{');
	for (size_t i = 0; i < k && rc == 0; i++) {
		if (i + 1 < k && streq(o[i + 1]->key, o[i]->key))
			continue; /* replaced by the later one */
		if (!first)
			strbuf_addch(sb, ',');
		first = false;
		rc = add_string(sb, o[i]->key, strlen(o[i]->key), false);
		strbuf_addch(sb, ':');
		if (rc < 0)
			break;
		switch (o[i]->kind) {
		case JSONW_STR:
			if (o[i]->str)
				rc = add_string(sb, o[i]->str, strlen(o[i]->str), false);
			else
				strbuf_add(sb, "null", 4);
			break;
		case JSONW_INT:
			add_int(sb, (json_int_t)o[i]->num);
			break;
		case JSONW_JSON:
			rc = add_value(sb, o[i]->json, true);
			break;
		}
	}
	strbuf_addch(sb, '}');
	if (rc < 0)
		strbuf_setlen(sb, mark);
	return rc;
}

const char *json_members_text(arena_t *a, const jsonw_member_t *m, size_t n)
{
	strbuf_t sb;
	strbuf_init(&sb, 512);
	const char *r = strbuf_add_json_members(&sb, m, n) == 0 ? arena_strndup(a, sb.buf, sb.len) : NULL;
	strbuf_release(&sb);
	return r;
}
