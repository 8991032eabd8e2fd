/*
 * ratelimit.h — token buckets keyed by a string (client address, or address
 * plus case number for query-code guessing).
 *
 * A bucket holds up to `burst` tokens and refills `per_minute` tokens per
 * minute.  Buckets live in a fixed-size hash table (RATELIMIT_SLOTS) guarded
 * by striped mutexes; when a slot is taken by another key the older bucket
 * is evicted, so memory is bounded whatever an attacker sends.  per_minute 0
 * disables the limiter (every check passes).
 */
#ifndef PA_RATELIMIT_H
#define PA_RATELIMIT_H

#include "base/common.h"

#define RATELIMIT_SLOTS 65536
#define RATELIMIT_KEY_MAX 96

typedef struct ratelimit ratelimit_t;

ratelimit_t *ratelimit_new(int per_minute, int burst);
void ratelimit_free(ratelimit_t *rl);
/* Takes one token for key; false when none is left, with *retry_after in seconds (≥1). */
bool ratelimit_take(ratelimit_t *rl, const char *key, int64_t now_ms, int *retry_after);

#endif
