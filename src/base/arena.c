/*
 * arena.c — bump allocator in linked blocks.
 *
 * Blocks are ARENA_BLOCK bytes; an allocation larger than ARENA_BIG gets a
 * block of its own, linked behind the current one so the current block keeps
 * serving small allocations.  arena_reset keeps the first block, which is
 * what a long-lived worker thread reuses between requests.
 */
#include "base/common.h"

#include <stdio.h>
#include <stdlib.h>

struct block {
	struct block *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct deferred {
	struct deferred *next;
	void (*fn)(void *);
	void *arg;
};

struct arena {
	struct deferred *deferred; /* allocated in the arena itself */
	struct block *head;  /* current small-allocation block */
	struct block *big;   /* dedicated big blocks */
	size_t total;
};

static struct block *block_new(size_t size)
{
	struct block *b = xmalloc(st_add(sizeof(*b), size));
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

arena_t *arena_new(void)
{
	arena_t *a = xcalloc(1, sizeof(*a));
	a->head = block_new(ARENA_BLOCK);
	return a;
}

static void free_chain(struct block *b)
{
	while (b) {
		struct block *n = b->next;
		free(b);
		b = n;
	}
}

static void run_deferred(arena_t *a)
{
	while (a->deferred) {
		struct deferred *d = a->deferred;
		a->deferred = d->next;
		d->fn(d->arg);
	}
}

void arena_defer(arena_t *a, void (*fn)(void *), void *arg)
{
	struct deferred *d = arena_alloc(a, sizeof(*d));
	d->fn = fn;
	d->arg = arg;
	d->next = a->deferred;
	a->deferred = d;
}

void arena_free(arena_t *a)
{
	if (!a)
		return;
	run_deferred(a);
	free_chain(a->head);
	free_chain(a->big);
	free(a);
}

void arena_reset(arena_t *a)
{
	run_deferred(a);
	struct block *first = a->head;
	while (first->next)
		first = first->next;
	/* keep the oldest (first allocated) block, free the rest */
	struct block *b = a->head;
	while (b != first) {
		struct block *n = b->next;
		free(b);
		b = n;
	}
	first->used = 0;
	a->head = first;
	free_chain(a->big);
	a->big = NULL;
	a->total = 0;
}

void *arena_alloc(arena_t *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	a->total += n;
	if (n > ARENA_BIG) {
		struct block *b = block_new(n);
		b->used = n;
		b->next = a->big;
		a->big = b;
		return b->data;
	}
	if (a->head->used + n > a->head->size) {
		struct block *b = block_new(ARENA_BLOCK);
		b->next = a->head;
		a->head = b;
	}
	void *p = a->head->data + a->head->used;
	a->head->used += n;
	return p;
}

void *arena_zalloc(arena_t *a, size_t n)
{
	void *p = arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *arena_strndup(arena_t *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_splice_int(arena_t *a, const char *before, long long n, const char *after)
{
	char num[24];
	int k = snprintf(num, sizeof(num), "%lld", n);
	size_t lb = strlen(before), la = strlen(after);
	char *p = arena_alloc(a, lb + (size_t)k + la + 1);
	memcpy(p, before, lb);
	memcpy(p + lb, num, (size_t)k);
	memcpy(p + lb + (size_t)k, after, la + 1);
	return p;
}

char *arena_strdup(arena_t *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

void *arena_memdup(arena_t *a, const void *p, size_t n)
{
	void *q = arena_alloc(a, n);
	memcpy(q, p, n);
	return q;
}

char *arena_vprintf(arena_t *a, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		n = 0;
	char *p = arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *arena_printf(arena_t *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

size_t arena_used(const arena_t *a)
{
	return a->total;
}
