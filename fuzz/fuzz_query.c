/*
 * fuzz_query.c — libFuzzer target for the query-string parser, plus the two
 * small header parsers that read the same kind of text (Accept-Language and
 * Cookie).
 *
 * The whole input is one query string.  When it parses, every key and value
 * must be NUL-free (strlen == value_len) and there are at most
 * HTTP_MAX_QUERY_PARAMS of them; when it fails, the error must name "query".
 * The input, cut at its first NUL, is then also read as an Accept-Language
 * value (the answer is always "zh-CN" or "en") and as a Cookie header.
 *
 *   clang -std=c17 -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined -Isrc \
 *     $(find src/base -name '*.c') src/http/parse.c fuzz/fuzz_query.c -o fuzz_query
 *   ./fuzz_query -max_total_time=120 fuzz/corpus/query
 */
#include "base/common.h"
#include "http/http.h"

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
	arena_t *a = arena_new();
	http_kv_t *kv = NULL;
	size_t n = 0;
	pa_err_t err = { 0 };
	int rc = http_query_parse(a, (const char *)data, size, &kv, &n, &err);
	if (rc == 0) {
		if (n > HTTP_MAX_QUERY_PARAMS)
			abort();
		for (size_t i = 0; i < n; i++)
			if (!kv[i].key || !kv[i].value || strlen(kv[i].value) != kv[i].value_len)
				abort();
	} else if (rc != PA_EINVAL || !streq(err.field, "query")) {
		abort();
	}

	char *text = arena_strndup(a, (const char *)data, size);
	const char *lang = http_pick_lang(text);
	if (!streq(lang, "zh-CN") && !streq(lang, "en"))
		abort();
	bool gz = http_accepts_gzip(text);
	if (gz && !strcasestr(text, "gzip"))
		abort();
	const char *v = http_cookie_parse(a, text, "pa_session");
	if (v && strlen(v) > size)
		abort();
	arena_free(a);
	return 0;
}
