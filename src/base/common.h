/*
 * common.h — what every Pingan source file includes first.
 */
#ifndef PA_COMMON_H
#define PA_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "base/xalloc.h"
#include "base/arena.h"
#include "base/strbuf.h"
#include "base/log.h"

#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#define PA_UNUSED(x) ((void)(x))

static inline bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

#include "base/banned.h"

#endif
