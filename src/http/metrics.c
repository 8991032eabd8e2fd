/*
 * metrics.c — request counters and latency histograms for /metrics
 * (Prometheus text format 0.0.4).
 *
 * Two fixed open-addressing tables, no locks: counters keyed by (route,
 * status) and histograms keyed by route.  A slot is claimed once with a
 * compare-and-swap (EMPTY → CLAIMING), its key written, then published
 * (READY) with a release store; after that only its atomic counters change,
 * so observing a request is a hash, a probe and a few relaxed atomic adds.
 * Slots are never freed: the key space is the route table (≤ 100 names) times
 * the statuses we answer, far below the table sizes.  When a table is full
 * the observation is dropped rather than blocking a request.
 */
#include "base/common.h"
#include "http/http.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define METRICS_ROUTE_MAX 64 /* route label bytes kept */
#define COUNTER_SLOTS 1024
#define HIST_SLOTS 256

enum { SLOT_EMPTY, SLOT_CLAIMING, SLOT_READY };

static const int64_t bucket_us[] = { 1000,   2500,   5000,   10000,   25000,  50000,
                                     100000, 250000, 500000, 1000000, 2500000 };
static const char *const bucket_le[] = { "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
                                         "0.1",   "0.25",   "0.5",   "1",    "2.5" };
#define NBUCKETS (ARRAY_SIZE(bucket_us) + 1) /* + Inf */

struct counter_slot {
	atomic_int state;
	int status;
	char route[METRICS_ROUTE_MAX];
	atomic_uint_fast64_t count;
};

struct hist_slot {
	atomic_int state;
	char route[METRICS_ROUTE_MAX];
	atomic_uint_fast64_t buckets[NBUCKETS]; /* not cumulative */
	atomic_int_fast64_t sum_us;
};

static struct counter_slot counters[COUNTER_SLOTS];
static struct hist_slot hists[HIST_SLOTS];

static uint64_t hash_str(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Waits out another thread's claim of a slot; claims are a few stores long. */
static int settled_state(atomic_int *state)
{
	int st;
	while ((st = atomic_load_explicit(state, memory_order_acquire)) == SLOT_CLAIMING)
		sched_yield();
	return st;
}

static struct counter_slot *counter_slot(const char *route, int status)
{
	uint64_t h = hash_str(route, 0xcbf29ce484222325ULL) ^ (uint64_t)(unsigned)status * 0x9E3779B97F4A7C15ULL;
	for (size_t i = 0; i < COUNTER_SLOTS; i++) {
		struct counter_slot *s = &counters[(h + i) & (COUNTER_SLOTS - 1)];
		if (settled_state(&s->state) == SLOT_EMPTY) {
			int expect = SLOT_EMPTY;
			if (atomic_compare_exchange_strong(&s->state, &expect, SLOT_CLAIMING)) {
				s->status = status;
				snprintf(s->route, sizeof(s->route), "%s", route);
				atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
				return s;
			}
			settled_state(&s->state); /* lost the race: wait for its key */
		}
		if (s->status == status && strcmp(s->route, route) == 0)
			return s;
	}
	return NULL;
}

static struct hist_slot *hist_slot(const char *route)
{
	uint64_t h = hash_str(route, 0xcbf29ce484222325ULL);
	for (size_t i = 0; i < HIST_SLOTS; i++) {
		struct hist_slot *s = &hists[(h + i) & (HIST_SLOTS - 1)];
		if (settled_state(&s->state) == SLOT_EMPTY) {
			int expect = SLOT_EMPTY;
			if (atomic_compare_exchange_strong(&s->state, &expect, SLOT_CLAIMING)) {
				snprintf(s->route, sizeof(s->route), "%s", route);
				atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
				return s;
			}
			settled_state(&s->state); /* lost the race: wait for its key */
		}
		if (strcmp(s->route, route) == 0)
			return s;
	}
	return NULL;
}

void http_metrics_observe(const char *route, int status, int64_t micros)
{
	char key[METRICS_ROUTE_MAX];
	snprintf(key, sizeof(key), "%s", route && *route ? route : "unmatched");
	if (micros < 0)
		micros = 0;
	struct counter_slot *c = counter_slot(key, status);
	if (c)
		atomic_fetch_add_explicit(&c->count, 1, memory_order_relaxed);
	struct hist_slot *hs = hist_slot(key);
	if (hs) {
		size_t b = 0;
		while (b < ARRAY_SIZE(bucket_us) && micros > bucket_us[b])
			b++;
		atomic_fetch_add_explicit(&hs->buckets[b], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&hs->sum_us, micros, memory_order_relaxed);
	}
}

/* Prometheus label value: backslash, quote and newline escaped. */
static void add_label(strbuf_t *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_addch(out, '\\');
		if (*s == '\n') {
			strbuf_adds(out, "\\n");
			continue;
		}
		strbuf_addch(out, *s);
	}
}

static int cmp_counter(const void *a, const void *b)
{
	const struct counter_slot *x = *(const struct counter_slot *const *)a;
	const struct counter_slot *y = *(const struct counter_slot *const *)b;
	int c = strcmp(x->route, y->route);
	return c ? c : (x->status > y->status) - (x->status < y->status);
}

static int cmp_hist(const void *a, const void *b)
{
	const struct hist_slot *x = *(const struct hist_slot *const *)a;
	const struct hist_slot *y = *(const struct hist_slot *const *)b;
	return strcmp(x->route, y->route);
}

void http_metrics_render(strbuf_t *out)
{
	struct counter_slot *cs[COUNTER_SLOTS];
	size_t nc = 0;
	for (size_t i = 0; i < COUNTER_SLOTS; i++)
		if (atomic_load_explicit(&counters[i].state, memory_order_acquire) == SLOT_READY)
			cs[nc++] = &counters[i];
	qsort(cs, nc, sizeof(cs[0]), cmp_counter);

	strbuf_adds(out, "# HELP pingan_http_requests_total HTTP requests answered, by route and status.\n"
	                 "# TYPE pingan_http_requests_total counter\n");
	for (size_t i = 0; i < nc; i++) {
		strbuf_adds(out, "pingan_http_requests_total{route=\"");
		add_label(out, cs[i]->route);
		strbuf_addf(out, "\",status=\"%d\"} %llu\n", cs[i]->status,
		            (unsigned long long)atomic_load_explicit(&cs[i]->count,
		                                                     memory_order_relaxed));
	}

	struct hist_slot *hs[HIST_SLOTS];
	size_t nh = 0;
	for (size_t i = 0; i < HIST_SLOTS; i++)
		if (atomic_load_explicit(&hists[i].state, memory_order_acquire) == SLOT_READY)
			hs[nh++] = &hists[i];
	qsort(hs, nh, sizeof(hs[0]), cmp_hist);

	strbuf_adds(out, "# HELP pingan_http_request_duration_seconds Time from request line to response, by route.\n"
	                 "# TYPE pingan_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < nh; i++) {
		/* count is the sum of the buckets, so +Inf == count even while
		 * other threads are adding */
		uint64_t cumulative = 0;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cumulative += atomic_load_explicit(&hs[i]->buckets[b], memory_order_relaxed);
			strbuf_adds(out, "pingan_http_request_duration_seconds_bucket{route=\"");
			add_label(out, hs[i]->route);
			strbuf_addf(out, "\",le=\"%s\"} %llu\n",
			            b < ARRAY_SIZE(bucket_le) ? bucket_le[b] : "+Inf",
			            (unsigned long long)cumulative);
		}
		int64_t sum = atomic_load_explicit(&hs[i]->sum_us, memory_order_relaxed);
		strbuf_adds(out, "pingan_http_request_duration_seconds_sum{route=\"");
		add_label(out, hs[i]->route);
		strbuf_addf(out, "\"} %lld.%06lld\n", (long long)(sum / 1000000),
		            (long long)(sum % 1000000));
		strbuf_adds(out, "pingan_http_request_duration_seconds_count{route=\"");
		add_label(out, hs[i]->route);
		strbuf_addf(out, "\"} %llu\n", (unsigned long long)cumulative);
	}
}
