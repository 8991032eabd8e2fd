/*
 * fuzz_multipart.c — libFuzzer target for the multipart/form-data parser.
 *
 * The input's first line (up to the first '\n', without it) is the
 * Content-Type header value; the rest is the body, binary.  When it parses,
 * there are at most HTTP_MAX_PARTS parts, each named, each part's data lies
 * inside the body and is NUL-terminated at data[len]; when it fails, the
 * error must name "body".
 *
 *   clang -std=c17 -D_GNU_SOURCE -g -fsanitize=fuzzer,address,undefined -Isrc \
 *     $(find src/base -name '*.c') src/http/parse.c fuzz/fuzz_multipart.c -o fuzz_multipart
 *   ./fuzz_multipart -max_total_time=120 fuzz/corpus/multipart
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
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ct_len = nl ? (size_t)(nl - data) : size;
	size_t body_off = nl ? ct_len + 1 : size;

	arena_t *a = arena_new();
	char *ct = arena_strndup(a, (const char *)data, ct_len);
	/* the body in its own exact-size heap block, so ASan sees any overread */
	size_t body_len = size - body_off;
	char *body = malloc(body_len ? body_len : 1);
	memcpy(body, data + body_off, body_len);

	http_part_t *parts = NULL;
	size_t n = 0;
	pa_err_t err = { 0 };
	int rc = http_multipart_parse(a, ct, body, body_len, &parts, &n, &err);
	if (rc == 0) {
		if (n > HTTP_MAX_PARTS)
			abort();
		for (size_t i = 0; i < n; i++) {
			const http_part_t *p = &parts[i];
			if (!p->name || !p->name[0] || !p->data || p->data[p->len] != '\0' ||
			    p->len > body_len)
				abort();
		}
	} else if ((rc != PA_EINVAL && rc != PA_EMEDIATYPE) || !streq(err.field, "body")) {
		abort();
	}
	free(body);
	arena_free(a);
	return 0;
}
