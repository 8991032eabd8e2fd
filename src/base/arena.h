/*
 * arena.h — per-request memory (after h2o's mem pool and nginx's pools).
 *
 * A request (or a CLI command, or one timer pass) owns one arena; everything
 * it allocates comes from the arena and is released at once by arena_free().
 * Allocations are 16-byte aligned, never NULL, and cannot be freed one by
 * one.  Large allocations (> ARENA_BIG) get their own chunk so a 10 MiB
 * upload does not waste a block.  Not thread-safe: one arena, one thread.
 */
#ifndef PA_ARENA_H
#define PA_ARENA_H

#include <stdarg.h>
#include <stddef.h>

#define ARENA_BLOCK (16 * 1024)
#define ARENA_BIG (4 * 1024)

typedef struct arena arena_t;

arena_t *arena_new(void);
void arena_free(arena_t *a);
/* Frees all allocations but keeps the first block for reuse. */
void arena_reset(arena_t *a);

void *arena_alloc(arena_t *a, size_t n);
void *arena_zalloc(arena_t *a, size_t n);
char *arena_strdup(arena_t *a, const char *s);
char *arena_strndup(arena_t *a, const char *s, size_t n);
void *arena_memdup(arena_t *a, const void *p, size_t n);
/* before, the decimal n, after: what arena_printf("%s%lld%s") gives, by
 * copying (vsnprintf is slow on long strings: a webhook body is ~2 KB). */
char *arena_splice_int(arena_t *a, const char *before, long long n, const char *after);
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena_t *a, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Runs fn(arg) when the arena is next reset or freed (last registered runs
 * first) — how a request releases what it holds outside its arena. */
void arena_defer(arena_t *a, void (*fn)(void *), void *arg);

/* Bytes handed out so far (for tests and limits). */
size_t arena_used(const arena_t *a);

#endif
