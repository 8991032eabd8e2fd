/*
 * fuzz_search_query.c — libFuzzer target for the search query parser
 * (core/search.c search_parse) and the snippet highlighter.
 *
 * The input, cut at its first NUL, is a query.  When it parses there are
 * 1..STORE_SEARCH_TERMS_MAX distinct, non-empty terms, short ones of one or
 * two characters of word characters only, long ones of at least three; when
 * it fails, the error names "q".  Each term's FTS5 string (what the store
 * builds) is never broken out of: the text is then highlighted in itself,
 * and the HTML has no '<' but those of <mark> and </mark>, every '&' starts
 * an entity, and every <mark> is closed.
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DPINGAN_FUZZ=ON && cmake --build build-fuzz
 *   build-fuzz/fuzz_search_query -max_total_time=120 fuzz/corpus/search_query
 */
#include "base/common.h"
#include "base/grams.h"
#include "core/search.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_ERROR);
	return 0;
}

static size_t chars_of(const char *s)
{
	size_t n = 0, len = strlen(s);
	for (size_t i = 0; i < len; n++) {
		uint32_t cp;
		i += utf8_decode((const unsigned char *)s + i, len - i, &cp);
	}
	return n;
}

static void check_html(const char *h)
{
	int open = 0;
	for (const char *p = h; *p; p++) {
		if (*p == '<') {
			if (strncmp(p, SEARCH_MARK_OPEN, strlen(SEARCH_MARK_OPEN)) == 0) {
				if (open++)
					abort();
			} else if (strncmp(p, SEARCH_MARK_CLOSE, strlen(SEARCH_MARK_CLOSE)) == 0) {
				if (!open--)
					abort();
			} else {
				abort();
			}
		} else if (*p == '>' && (p == h || (p[-1] != 'k'))) {
			abort();  /* only the end of a mark tag */
		} else if (*p == '"' || *p == '\'') {
			abort();
		}
	}
	if (open)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new();
	char *q = arena_strndup(a, (const char *)data, size);
	pa_search_term_t *terms = NULL;
	size_t n = 0;
	pa_err_t err = { 0 };
	int rc = search_parse(a, q, &terms, &n, &err);
	if (rc == 0) {
		if (n < 1 || n > STORE_SEARCH_TERMS_MAX)
			abort();
		for (size_t i = 0; i < n; i++) {
			const char *t = terms[i].text;
			if (!t || !*t)
				abort();
			size_t c = chars_of(t);
			if (terms[i].is_short) {
				if (c < 1 || c > 2)
					abort();
				for (size_t j = 0, len = strlen(t); j < len;) {
					uint32_t cp;
					j += utf8_decode((const unsigned char *)t + j, len - j, &cp);
					if (!grams_word_char(cp) || grams_fold(cp) != cp)
						abort();
				}
			} else if (c < 3) {
				abort();
			}
			for (size_t j = 0; j < i; j++)
				if (terms[j].is_short == terms[i].is_short && streq(terms[j].text, t))
					abort();
		}
		bool found;
		check_html(search_highlight(a, q, terms, n, false, &found));
		check_html(search_highlight(a, q, terms, n, true, &found));
	} else if (rc != PA_EINVAL || !streq(err.field, "q")) {
		abort();
	}
	/* the grams of any text are space-separated tokens of word characters */
	strbuf_t g = STRBUF_INIT;
	grams_of(q, strlen(q), &g);
	for (size_t i = 0; i < g.len;) {
		uint32_t cp;
		i += utf8_decode((const unsigned char *)g.buf + i, g.len - i, &cp);
		if (cp != ' ' && !grams_word_char(cp))
			abort();
	}
	strbuf_release(&g);
	arena_free(a);
	return 0;
}
