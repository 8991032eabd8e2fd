/*
 * xalloc.h — allocation that never returns NULL.
 *
 * Out of memory is not an error a request can recover from; like git's
 * xmalloc and Redis' zmalloc we log and abort in one place.
 */
#ifndef PA_XALLOC_H
#define PA_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Checked multiplication for sizes; aborts on overflow. */
size_t st_mult(size_t a, size_t b);
size_t st_add(size_t a, size_t b);

#endif
