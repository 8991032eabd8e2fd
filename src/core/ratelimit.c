/*
 * ratelimit.c — token buckets in a fixed, set-associative table.
 *
 * RATELIMIT_SLOTS buckets are grouped into sets of RL_WAYS; a key's set is
 * chosen by SipHash-2-4 under a per-process random key, so a client cannot
 * aim its keys at someone else's set.  A bucket stores the 64-bit keyed hash
 * of its key rather than the key itself (24 bytes a bucket, 1.5 MiB a table,
 * allocated once).  Two keys sharing all 64 bits would share a bucket; with a
 * secret hash key that is as unlikely as guessing the key.
 *
 * Each set is guarded by one of RL_STRIPES mutexes (set index modulo the
 * stripe count), so threads working on different clients rarely meet.
 * Within a set a new key takes, in order: an empty way, a way whose bucket has
 * refilled completely (forgetting it loses nothing), or the way used least
 * recently.  Memory therefore never grows, and an eviction only forgives a
 * client when the table is under real pressure.
 *
 * Time is the caller's `now_ms` (monotonic milliseconds); a clock that steps
 * back is treated as no time passing.
 */
#include "base/common.h"
#include "core/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#define RL_WAYS 4
#define RL_SETS (RATELIMIT_SLOTS / RL_WAYS)
#define RL_STRIPES 256

struct rl_bucket {
	uint64_t key;    /* keyed hash; 0 = empty */
	int64_t last_ms; /* last refill */
	double tokens;
};

struct ratelimit {
	int per_minute;
	int burst;
	double per_ms; /* refill rate, tokens per millisecond */
	uint64_t k0, k1;
	pthread_mutex_t stripes[RL_STRIPES];
	struct rl_bucket *buckets; /* RATELIMIT_SLOTS, NULL when disabled */
};

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                    \
	do {                                                                        \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);           \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                              \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                              \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);           \
	} while (0)

/* SipHash-2-4 (Aumasson & Bernstein). */
static uint64_t siphash(uint64_t k0, uint64_t k1, const unsigned char *in, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
	uint64_t b = (uint64_t)len << 56;
	size_t full = len & ~(size_t)7;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = 0;
		for (int k = 7; k >= 0; k--)
			m = (m << 8) | in[i + (size_t)k];
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = full; i < len; i++)
		b |= (uint64_t)in[i] << (8 * (i - full));
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

ratelimit_t *ratelimit_new(int per_minute, int burst)
{
	ratelimit_t *rl = xcalloc(1, sizeof(*rl));
	rl->per_minute = per_minute > 0 ? per_minute : 0;
	rl->burst = burst > 0 ? burst : 1;
	if (rl->per_minute == 0)
		return rl; /* off: no table */
	rl->per_ms = rl->per_minute / 60000.0;
	uint64_t seed[2];
	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed[0] = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)rl;
		seed[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&seed;
	}
	rl->k0 = seed[0];
	rl->k1 = seed[1];
	for (size_t i = 0; i < RL_STRIPES; i++)
		pthread_mutex_init(&rl->stripes[i], NULL);
	rl->buckets = xcalloc(RATELIMIT_SLOTS, sizeof(*rl->buckets));
	return rl;
}

void ratelimit_free(ratelimit_t *rl)
{
	if (!rl)
		return;
	if (rl->buckets) {
		for (size_t i = 0; i < RL_STRIPES; i++)
			pthread_mutex_destroy(&rl->stripes[i]);
		free(rl->buckets);
	}
	free(rl);
}

static void refill(const ratelimit_t *rl, struct rl_bucket *b, int64_t now_ms)
{
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rl->per_ms;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last_ms = now_ms;
	}
}

bool ratelimit_take(ratelimit_t *rl, const char *key, int64_t now_ms, int *retry_after)
{
	if (retry_after)
		*retry_after = 0;
	if (!rl || !rl->buckets)
		return true;
	if (!key)
		key = "";
	uint64_t h = siphash(rl->k0, rl->k1, (const unsigned char *)key, strlen(key));
	if (h == 0)
		h = 1; /* 0 marks an empty way */
	size_t set = (size_t)(h % RL_SETS);
	struct rl_bucket *ways = &rl->buckets[set * RL_WAYS];
	pthread_mutex_t *mu = &rl->stripes[set % RL_STRIPES];

	pthread_mutex_lock(mu);
	struct rl_bucket *b = NULL;
	for (size_t i = 0; i < RL_WAYS && !b; i++)
		if (ways[i].key == h)
			b = &ways[i];
	if (!b) {
		struct rl_bucket *victim = NULL;
		for (size_t i = 0; i < RL_WAYS && !victim; i++)
			if (ways[i].key == 0)
				victim = &ways[i];
		for (size_t i = 0; i < RL_WAYS && !victim; i++) {
			refill(rl, &ways[i], now_ms);
			if (ways[i].tokens >= rl->burst)
				victim = &ways[i];
		}
		if (!victim) {
			victim = &ways[0];
			for (size_t i = 1; i < RL_WAYS; i++)
				if (ways[i].last_ms < victim->last_ms)
					victim = &ways[i];
		}
		b = victim;
		b->key = h;
		b->last_ms = now_ms;
		b->tokens = rl->burst;
	}
	refill(rl, b, now_ms);
	bool ok = b->tokens >= 1.0;
	double missing = 1.0 - b->tokens;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(mu);

	if (!ok && retry_after) {
		double secs = ceil(missing / rl->per_ms / 1000.0);
		*retry_after = secs < 1 ? 1 : secs > 86400 ? 86400 : (int)secs;
	}
	return ok;
}
