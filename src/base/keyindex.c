/*
 * keyindex.c — see keyindex.h.
 */
#include "base/keyindex.h"

#include <stdint.h>
#include <string.h>

static uint64_t key_hash(const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)k[i]) * 1099511628211ULL;
	return h;
}

static void grow(keyindex_t *ix)
{
	size_t cap = ix->cap ? 2 * ix->cap : 64;
	size_t *slots = arena_zalloc(ix->a, cap * sizeof(*slots));
	for (size_t i = 0; i < ix->n; i++) {
		size_t j = key_hash(ix->keys[i], ix->lens[i]) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = i + 1;
	}
	ix->slots = slots;
	ix->cap = cap;
	size_t kcap = cap / 2;
	const char **keys = arena_alloc(ix->a, kcap * sizeof(*keys));
	size_t *lens = arena_alloc(ix->a, kcap * sizeof(*lens));
	if (ix->n) {
		memcpy(keys, ix->keys, ix->n * sizeof(*keys));
		memcpy(lens, ix->lens, ix->n * sizeof(*lens));
	}
	ix->keys = keys;
	ix->lens = lens;
	ix->keys_cap = kcap;
}

size_t keyindex_find(keyindex_t *ix, const char *key, size_t len, bool *fresh)
{
	if (2 * (ix->n + 1) > ix->cap)
		grow(ix);
	size_t j = key_hash(key, len) & (ix->cap - 1);
	for (; ix->slots[j]; j = (j + 1) & (ix->cap - 1)) {
		size_t i = ix->slots[j] - 1;
		if (ix->lens[i] == len && memcmp(ix->keys[i], key, len) == 0) {
			*fresh = false;
			return i;
		}
	}
	char *copy = arena_alloc(ix->a, len + 1);  /* keys may hold NUL bytes */
	memcpy(copy, key, len);
	copy[len] = '\0';
	ix->keys[ix->n] = copy;
	ix->lens[ix->n] = len;
	ix->slots[j] = ix->n + 1;
	*fresh = true;
	return ix->n++;
}
