/*
 * fuzz_jsonw.c — libFuzzer target for the JSON writer (base/jsonw.h): a
 * differential check against jansson.
 *
 * The input is parsed as any JSON value (NUL allowed in strings); when it
 * parses, strbuf_add_json() must write exactly json_dumps(JSON_COMPACT |
 * JSON_ENCODE_ANY) followed by strbuf_add_json_text(), and that text must
 * parse back to an equal value; strbuf_add_json_sorted() exactly
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY).
 *
 *   clang -std=c17 -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined -Isrc \
 *     $(find src/base -name '*.c') fuzz/fuzz_jsonw.c -ljansson -o fuzz_jsonw
 *   ./fuzz_jsonw -max_total_time=120 fuzz/corpus/jsonw
 */
#include "base/common.h"
#include "base/jsonw.h"

#include <jansson.h>
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
	json_error_t jerr;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!j)
		return 0;
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	strbuf_t want = STRBUF_INIT, got = STRBUF_INIT;
	if (text)
		strbuf_add_json_text(&want, text, strlen(text));
	int rc = strbuf_add_json(&got, j);
	if ((rc == 0) != (text != NULL))
		abort();
	if (rc == 0) {
		if (got.len != want.len || memcmp(got.buf, want.buf, got.len) != 0)
			abort();
		json_t *back = json_loadb(got.buf, got.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (!back || !json_equal(back, j))
			abort();
		json_decref(back);
	}
	free(text);
	char *sorted = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	strbuf_t got_sorted = STRBUF_INIT;
	rc = strbuf_add_json_sorted(&got_sorted, j);
	if ((rc == 0) != (sorted != NULL))
		abort();
	if (rc == 0 && (got_sorted.len != strlen(sorted) || memcmp(got_sorted.buf, sorted, got_sorted.len) != 0))
		abort();
	free(sorted);
	strbuf_release(&got_sorted);
	strbuf_release(&want);
	strbuf_release(&got);
	json_decref(j);
	return 0;
}
