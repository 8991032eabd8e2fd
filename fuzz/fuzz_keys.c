/*
 * fuzz_keys.c — libFuzzer target for the key file parser (keys_load_text).
 *
 * The key file, or PINGAN_KEYS, is text from outside the server.  The parser
 * must never crash, leak or hand back keys on failure; what it accepts must
 * seal and open, and its error messages must be plain ASCII that never
 * echoes the input (a line may be a key).  The same bytes also go through the
 * normalizers and masks of core/crypto, whose output must be valid UTF-8.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc src/base/*.c src/core/crypto.c \
 *         fuzz/fuzz_keys.c -lsodium -o fuzz_keys
 *   ./fuzz_keys fuzz/corpus-keys fuzz/corpus/keys
 */
#include "base/common.h"

#include "core/crypto.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t v;
		int n;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xC2 && *p <= 0xDF)
			n = 2, v = *p & 0x1F;
		else if (*p >= 0xE0 && *p <= 0xEF)
			n = 3, v = *p & 0x0F;
		else if (*p >= 0xF0 && *p <= 0xF4)
			n = 4, v = *p & 0x07;
		else
			return false;
		for (int i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			v = (v << 6) | (p[i] & 0x3F);
		}
		if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
		    (v >= 0xD800 && v <= 0xDFFF))
			return false;
		p += n;
	}
	return true;
}

static void check_masks(const char *text)
{
	arena_t *a = arena_new();
	const char *out[] = {mask_name(a, text), mask_phone(a, text), mask_id_number(a, text),
	                     mask_address(a, text)};
	for (size_t i = 0; i < ARRAY_SIZE(out); i++)
		if (!out[i] || !valid_utf8(out[i]))
			abort();
	const char *norm[] = {pii_normalize_phone(a, text), pii_normalize_id_number(a, text),
	                      query_code_normalize(a, text)};
	for (size_t i = 0; i < ARRAY_SIZE(norm); i++)
		if (norm[i] && (!*norm[i] || strlen(norm[i]) > 22))
			abort();
	arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		if (crypto_init() != 0)
			abort();
		log_set_level(LOG_ERROR);
		ready = true;
	}
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';

	pa_keys_t *k = (pa_keys_t *)(uintptr_t)1;
	pa_err_t err;
	pa_err_clear(&err);
	int rc = keys_load_text(text, "fuzz", &k, &err);
	if (rc == 0) {
		arena_t *a = arena_new();
		pa_blob_t b;
		char *plain = NULL;
		char h[PA_HASH_HEX];
		if (!k || keys_current_id(k) == 0 || pii_seal(k, a, "party/f/name", "张三", &b) != 0 ||
		    pii_open(k, a, "party/f/name", b, &plain) != 0 || !streq(plain, "张三") ||
		    pii_open(k, a, "party/f/phone", b, &plain) != PA_EINVAL)
			abort();
		pii_lookup_hash(k, "phone", text, h);
		if (strlen(h) != 64)
			abort();
		arena_free(a);
		keys_free(k);
	} else {
		if (rc != PA_EINVAL || k != NULL || err.code != rc)
			abort();
		for (const char *p = err.detail; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7E)
				abort();
	}
	check_masks(text);
	free(text);
	return 0;
}
