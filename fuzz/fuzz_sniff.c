/*
 * fuzz_sniff.c — libFuzzer target for attach_sniff and attach_clean_name.
 *
 * The same bytes are sniffed as an upload and cleaned as a file name; each
 * result is checked against the promises in attach.h with checks written
 * independently of attach.c, and a broken promise aborts:
 *   - text/plain is only ever valid UTF-8 with no NUL or stray control
 *     character, and never begins (after blanks and a BOM) with '<';
 *   - a clean name is non-empty, valid UTF-8, at most ATTACH_NAME_MAX
 *     characters, with no path separator, quote or control character.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     src/base/(all .c) src/core/attach.c fuzz/fuzz_sniff.c -lsodium -o fuzz_sniff
 *   ./fuzz_sniff -max_total_time=120 fuzz/corpus-sniff fuzz/corpus/sniff
 */
#include "base/common.h"
#include "core/attach.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the UTF-8 sequence at s, 0 if invalid (table-free on purpose:
 * a second opinion, not a copy of attach.c). */
static size_t seq_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const struct {
		unsigned char mask, lead;
		size_t len;
		uint32_t min;
	} forms[] = {
		{ 0x80, 0x00, 1, 0 }, { 0xE0, 0xC0, 2, 0x80 }, { 0xF0, 0xE0, 3, 0x800 },
		{ 0xF8, 0xF0, 4, 0x10000 },
	};
	for (size_t f = 0; f < 4; f++) {
		if ((s[0] & forms[f].mask) != forms[f].lead)
			continue;
		size_t len = forms[f].len;
		if (len > n)
			return 0;
		uint32_t v = s[0] & (unsigned char)~forms[f].mask;
		for (size_t k = 1; k < len; k++) {
			if ((s[k] & 0xC0) != 0x80)
				return 0;
			v = v << 6 | (s[k] & 0x3F);
		}
		if (v < forms[f].min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = v;
		return len;
	}
	return 0;
}

static void check_text(const uint8_t *d, size_t n)
{
	size_t i = 0;
	bool first = true;
	if (n == 0)
		abort();
	while (i < n) {
		uint32_t cp;
		size_t len = seq_len(d + i, n - i, &cp);
		if (len == 0)
			abort();
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F))
			abort();
		if (first && cp == '<')
			abort();
		if (cp != ' ' && cp != '\t' && cp != '\r' && cp != '\n' && cp != 0xFEFF)
			first = false;
		i += len;
	}
}

static void check_name(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, chars = 0;
	if (n == 0)
		abort();
	while (i < n) {
		uint32_t cp;
		size_t len = seq_len(p + i, n - i, &cp);
		if (len == 0)
			abort();
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == '/' || cp == '\\' || cp == '"' ||
		    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
			abort();
		i += len;
		chars++;
	}
	if (chars > ATTACH_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *mime = attach_sniff(data, size);
	if (mime && strcmp(mime, "text/plain; charset=utf-8") == 0)
		check_text(data, size);

	char *name = xmalloc(size + 1);
	memcpy(name, data, size);
	name[size] = '\0';
	arena_t *a = arena_new();
	check_name(attach_clean_name(a, name));
	arena_free(a);
	free(name);
	return 0;
}
