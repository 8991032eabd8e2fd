/*
 * grams.c — folding and character grams for the short-query index
 * (the rules are in grams.h).
 */
#include "base/common.h"
#include "base/grams.h"

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0];
	size_t len;
	uint32_t v;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if ((b & 0xE0) == 0xC0) {
		len = 2;
		v = b & 0x1F;
	} else if ((b & 0xF0) == 0xE0) {
		len = 3;
		v = b & 0x0F;
	} else if ((b & 0xF8) == 0xF0) {
		len = 4;
		v = b & 0x07;
	} else {
		*cp = GRAMS_INVALID;
		return 1;
	}
	if (len > n) {
		*cp = GRAMS_INVALID;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = GRAMS_INVALID;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = GRAMS_INVALID;
		return 1;
	}
	*cp = v;
	return len;
}

void utf8_encode(strbuf_t *sb, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	strbuf_add(sb, b, n);
}

bool grams_word_char(uint32_t c)
{
	if (c == GRAMS_INVALID)
		return false;
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	return !((c >= 0x80 && c <= 0xBF) ||      /* C1 controls, Latin-1 punctuation and signs */
	         c == 0xD7 || c == 0xF7 ||        /* × ÷ */
	         (c >= 0x2000 && c <= 0x206F) ||  /* general punctuation, special spaces */
	         (c >= 0x20A0 && c <= 0x20CF) ||  /* currency signs */
	         (c >= 0x2100 && c <= 0x2BFF) ||  /* letterlike, arrows, math, box drawing, shapes */
	         (c >= 0x3000 && c <= 0x303F) ||  /* CJK symbols and punctuation: 、。「」【】 */
	         (c >= 0xE000 && c <= 0xF8FF) ||  /* private use */
	         (c >= 0xFE10 && c <= 0xFE1F) ||  /* vertical forms */
	         (c >= 0xFE30 && c <= 0xFE4F) ||  /* CJK compatibility forms */
	         (c >= 0xFF01 && c <= 0xFF0F) ||  /* full-width punctuation */
	         (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
	         (c >= 0xFF5B && c <= 0xFF65) ||
	         (c >= 0xFFF0 && c <= 0xFFFF) ||  /* specials, BOM-like */
	         c == 0xFEFF ||
	         (c >= 0x1F000 && c <= 0x1FAFF)); /* emoji and pictographs */
}

uint32_t grams_fold(uint32_t c)
{
	if (c >= 0xFF01 && c <= 0xFF5E)
		c -= 0xFEE0;
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c;
}

void grams_of(const char *s, size_t len, strbuf_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	uint32_t prev = 0;  /* the previous word character of the run, 0 = none */
	while (i < len) {
		uint32_t cp;
		i += utf8_decode(p + i, len - i, &cp);
		cp = grams_fold(cp);
		if (!grams_word_char(cp)) {
			if (prev) {
				if (out->len)
					strbuf_addch(out, ' ');
				utf8_encode(out, prev);
				prev = 0;
			}
			continue;
		}
		if (prev) {
			if (out->len)
				strbuf_addch(out, ' ');
			utf8_encode(out, prev);
			utf8_encode(out, cp);
		}
		prev = cp;
	}
	if (prev) {
		if (out->len)
			strbuf_addch(out, ' ');
		utf8_encode(out, prev);
	}
}
