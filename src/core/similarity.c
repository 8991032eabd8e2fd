/*
 * similarity.c — character-bigram Jaccard similarity (see similarity.h).
 *
 * Each text becomes an array of code points (normalized), then a sorted
 * array of distinct bigrams packed into 64 bits (first << 32 | second);
 * the intersection of two sorted sets is one merge pass.  Memory is two
 * arrays per text, freed before returning; nothing is kept between calls.
 */
#include "base/common.h"
#include "core/similarity.h"

#include <stdlib.h>

/* Decodes one UTF-8 sequence at s; returns its length (>= 1).  A byte that
 * does not start a valid sequence is one character of its own, mapped to
 * the private range U+10FF00.. so it never equals real text. */
static size_t decode(const unsigned char *s, uint32_t *cp)
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
		goto invalid;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			goto invalid;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
	    v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		goto invalid;
	*cp = v;
	return len;
invalid:
	*cp = 0x10FF00u + b;
	return 1;
}

static bool ascii_punct(uint32_t c)
{
	return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
	       (c >= 0x7B && c <= 0x7E);
}

/* Dropped before comparing: space, controls and punctuation. */
static bool ignorable(uint32_t c)
{
	return c <= 0x20 || c == 0x7F || ascii_punct(c) ||
	       (c >= 0x80 && c <= 0xBF) ||      /* C1 controls, Latin-1 punctuation and signs */
	       (c >= 0x2000 && c <= 0x206F) ||  /* general punctuation, special spaces */
	       (c >= 0x3000 && c <= 0x303F) ||  /* CJK symbols and punctuation: 、。「」【】… */
	       (c >= 0xFE10 && c <= 0xFE1F) ||  /* vertical forms */
	       (c >= 0xFE30 && c <= 0xFE4F) ||  /* CJK compatibility forms */
	       c == 0xFEFF;                     /* byte order mark */
}

/* Full-width ASCII (U+FF01..U+FF5E) to ASCII, then ASCII letters to lower case. */
static uint32_t fold(uint32_t c)
{
	if (c >= 0xFF01 && c <= 0xFF5E)
		c -= 0xFEE0;
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	return c;
}

/* The normalized characters of s (at most SIMILARITY_TEXT_MAX); xmalloc'd. */
static uint32_t *normalize(const char *s, size_t *n)
{
	size_t len = s ? strlen(s) : 0;
	size_t cap = len < SIMILARITY_TEXT_MAX ? len : SIMILARITY_TEXT_MAX;
	uint32_t *out = xmalloc((cap + 1) * sizeof(*out));
	size_t k = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p && k < cap) {
		uint32_t c;
		p += decode(p, &c);
		c = fold(c);
		if (!ignorable(c))
			out[k++] = c;
	}
	*n = k;
	return out;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorted distinct bigrams of chars[0..n); xmalloc'd (NULL when n < 2). */
static uint64_t *bigrams(const uint32_t *chars, size_t n, size_t *nb)
{
	*nb = 0;
	if (n < 2)
		return NULL;
	uint64_t *b = xmalloc((n - 1) * sizeof(*b));
	for (size_t i = 0; i + 1 < n; i++)
		b[i] = (uint64_t)chars[i] << 32 | chars[i + 1];
	qsort(b, n - 1, sizeof(*b), cmp_u64);
	size_t k = 0;
	for (size_t i = 0; i < n - 1; i++)
		if (k == 0 || b[k - 1] != b[i])
			b[k++] = b[i];
	*nb = k;
	return b;
}

double text_similarity(const char *a, const char *b)
{
	size_t na, nb;
	uint32_t *ca = normalize(a, &na);
	uint32_t *cb = normalize(b, &nb);
	size_t ka, kb;
	uint64_t *ba = bigrams(ca, na, &ka);
	uint64_t *bb = bigrams(cb, nb, &kb);
	double r;
	if (ka == 0 || kb == 0) {
		r = na > 0 && na == nb && memcmp(ca, cb, na * sizeof(*ca)) == 0 ? 1.0 : 0.0;
	} else {
		size_t i = 0, j = 0, common = 0;
		while (i < ka && j < kb) {
			if (ba[i] == bb[j]) {
				common++;
				i++;
				j++;
			} else if (ba[i] < bb[j]) {
				i++;
			} else {
				j++;
			}
		}
		r = (double)common / (double)(ka + kb - common);
	}
	free(ca);
	free(cb);
	free(ba);
	free(bb);
	return r;
}
