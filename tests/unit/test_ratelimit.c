/*
 * test_ratelimit.c — token buckets: burst, refusal with Retry-After, refill
 * driven by the now_ms argument, the off switch, bounded memory, threads.
 */
#include "base/common.h"
#include "core/ratelimit.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
/* from <sanitizer/allocator_interface.h>, which only clang ships */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

static size_t heap_in_use(void)
{
#ifdef HAVE_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

#define T0 1000000 /* an arbitrary monotonic start, ms */

static void test_burst_then_refusal(void **state)
{
	ratelimit_t *rl = ratelimit_new(60, 5); /* one a second, five at once */
	int retry = -1;
	for (int i = 0; i < 5; i++) {
		assert_true(ratelimit_take(rl, "203.0.113.7", T0, &retry));
		assert_int_equal(retry, 0);
	}
	assert_false(ratelimit_take(rl, "203.0.113.7", T0, &retry));
	assert_int_equal(retry, 1);
	/* another client is unaffected */
	assert_true(ratelimit_take(rl, "203.0.113.8", T0, &retry));
	ratelimit_free(rl);
}

static void test_retry_after(void **state)
{
	ratelimit_t *rl = ratelimit_new(2, 1); /* one token per 30 s */
	int retry = 0;
	assert_true(ratelimit_take(rl, "k", T0, &retry));
	assert_false(ratelimit_take(rl, "k", T0, &retry));
	assert_int_equal(retry, 30);
	assert_false(ratelimit_take(rl, "k", T0 + 10000, &retry));
	assert_int_equal(retry, 20);
	assert_false(ratelimit_take(rl, "k", T0 + 29500, &retry));
	assert_int_equal(retry, 1); /* rounds up, never 0 */
	assert_true(ratelimit_take(rl, "k", T0 + 30000, &retry));
	/* retry_after may be NULL */
	assert_false(ratelimit_take(rl, "k", T0 + 30000, NULL));
	ratelimit_free(rl);
}

static void test_refill_over_time(void **state)
{
	ratelimit_t *rl = ratelimit_new(60, 3);
	int retry;
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_take(rl, "k", T0, &retry));
	assert_false(ratelimit_take(rl, "k", T0, &retry));
	/* half a second: still nothing */
	assert_false(ratelimit_take(rl, "k", T0 + 500, &retry));
	/* one second after the start: exactly one token */
	assert_true(ratelimit_take(rl, "k", T0 + 1000, &retry));
	assert_false(ratelimit_take(rl, "k", T0 + 1000, &retry));
	/* a long pause refills only up to the burst */
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_take(rl, "k", T0 + 3600000, &retry));
	assert_false(ratelimit_take(rl, "k", T0 + 3600000, &retry));
	/* a clock that steps back gives nothing and takes nothing */
	assert_false(ratelimit_take(rl, "k", T0, &retry));
	assert_true(ratelimit_take(rl, "k", T0 + 3601000, &retry));
	ratelimit_free(rl);
}

static void test_off(void **state)
{
	ratelimit_t *rl = ratelimit_new(0, 1);
	int retry = -1;
	for (int i = 0; i < 10000; i++)
		assert_true(ratelimit_take(rl, "k", T0, &retry));
	assert_int_equal(retry, 0);
	ratelimit_free(rl);
	ratelimit_free(NULL);
}

static void test_many_keys_bounded(void **state)
{
	ratelimit_t *rl = ratelimit_new(60, 2);
	char key[64];
	int retry;
	/* warm up, then measure: a flood of new keys must not allocate */
	assert_true(ratelimit_take(rl, "victim", T0, &retry));
	assert_true(ratelimit_take(rl, "victim", T0, &retry));
	size_t before = heap_in_use();
	for (int i = 0; i < 4 * RATELIMIT_SLOTS; i++) {
		snprintf(key, sizeof(key), "198.51.%d.%d|XF-2026-%06d", (i >> 8) & 255, i & 255, i);
		assert_true(ratelimit_take(rl, key, T0 + 1, &retry));
	}
	size_t after = heap_in_use();
	assert_true(after <= before + 4096);
	/* long keys are fine too */
	char longkey[4 * RATELIMIT_KEY_MAX];
	memset(longkey, 'x', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	assert_true(ratelimit_take(rl, longkey, T0, &retry));
	ratelimit_free(rl);
}

static void test_eviction_prefers_refilled(void **state)
{
	/*
	 * A flood of one-shot keys must not reset a drained bucket: their own
	 * buckets refill within 100 ms and are evicted first, while the drained
	 * one needs 100 s.  (Sets are chosen by a random hash key, so this is
	 * probabilistic, but failing needs three flood keys in the drained key's
	 * set of four within 100 ms: about 1 in 10^7.)
	 */
	ratelimit_t *rl = ratelimit_new(600, 1000); /* 10 a second, burst 1000 */
	int retry;
	for (int i = 0; i < 1000; i++)
		assert_true(ratelimit_take(rl, "drained", T0, &retry));
	assert_false(ratelimit_take(rl, "drained", T0, &retry));
	char key[32];
	int64_t t = T0;
	for (int i = 0; i < RATELIMIT_SLOTS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		t = T0 + 2000 + i;
		assert_true(ratelimit_take(rl, key, t, &retry));
	}
	/* 67.5 s at 10/s: 675 tokens back, not a fresh 1000 */
	int granted = 0;
	for (int i = 0; i < 1000; i++)
		granted += ratelimit_take(rl, "drained", t, &retry);
	assert_int_equal(granted, (int)((t - T0) / 100));
	ratelimit_free(rl);
}

struct worker_arg {
	ratelimit_t *rl;
	int granted;
};

static void *worker(void *p)
{
	struct worker_arg *w = p;
	for (int i = 0; i < 1000; i++)
		if (ratelimit_take(w->rl, "shared", T0, NULL))
			w->granted++;
	return NULL;
}

static void test_threads(void **state)
{
	ratelimit_t *rl = ratelimit_new(60, 100);
	pthread_t t[4];
	struct worker_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct worker_arg){ rl, 0 };
		pthread_create(&t[i], NULL, worker, &args[i]);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += args[i].granted;
	}
	assert_int_equal(total, 100);
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_refusal),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_refill_over_time),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_many_keys_bounded),
		cmocka_unit_test(test_eviction_prefers_refilled),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
