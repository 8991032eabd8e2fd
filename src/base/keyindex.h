/*
 * keyindex.h — numbers byte-string keys 0, 1, 2 … in the order they are
 * first seen: a hash table (open addressing, FNV-1a) whose memory comes
 * from an arena.  For summing rows by key in C (the indicators), where a
 * GROUP BY in SQL would sort every row.
 *
 *   keyindex_t ix = KEYINDEX_INIT(arena);
 *   size_t i = keyindex_find(&ix, key, len, &fresh);  // fresh: i == ix.n - 1, new
 *
 * Keys are bytes (NUL bytes too), copied into the arena (ix.keys[i], with
 * a NUL after them).  Not
 * thread-safe; nothing to free beyond the arena.
 */
#ifndef PA_KEYINDEX_H
#define PA_KEYINDEX_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"

typedef struct keyindex {
	arena_t *a;
	size_t *slots;       /* 1 + the key's number, 0 = empty */
	size_t cap;          /* a power of two, kept at most half full */
	const char **keys;   /* by number */
	size_t *lens;
	size_t n, keys_cap;
} keyindex_t;

#define KEYINDEX_INIT(arena) { .a = (arena) }

/* The number of key (len bytes); *fresh when it was added by this call. */
size_t keyindex_find(keyindex_t *ix, const char *key, size_t len, bool *fresh);

#endif
