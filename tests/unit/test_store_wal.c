/*
 * test_store_wal.c — the SQLite store's WAL cycle (store_sqlite.c,
 * "Checkpoints"): under a steady write load with readers beside it, the
 * checkpointer thread runs once per interval of new WAL pages (not after
 * every COMMIT), and the writer's own checkpoint past the mark makes the
 * WAL restart, so the -wal file stays within a cycle's size instead of
 * growing with everything written.
 *
 * The store is opened with small marks (store_options_t.wal_ckpt_pages and
 * wal_inline_pages) so that a few megabytes of writes run several cycles.
 */
#include "base/common.h"
#include "base/arena.h"
#include "store/store.h"
#include "app_fixture.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

void store_sqlite_wal_stats(store_t *s, int64_t *passes, int64_t *frames);

#define CKPT_PAGES 100
#define INLINE_PAGES 400
#define WRITERS 16
#define JOBS_PER_WRITER 1000
#define VALUE_BYTES 900 /* a meta row that stays on its leaf page (meta is WITHOUT ROWID) */
#define FRAME_BYTES 4120 /* a 4 KiB page and its frame header */

struct fx {
	char dir[64];
	char path[128];
	char wal[136];
	store_t *s;
	atomic_int stop;
	atomic_llong wal_max;  /* the largest -wal size the sampler saw */
	atomic_int failed;
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	fixture_tmpdir(f->dir, sizeof(f->dir), "wal");
	snprintf(f->path, sizeof(f->path), "%s/pingan.db", f->dir);
	snprintf(f->wal, sizeof(f->wal), "%s-wal", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	fixture_rmdir(f->dir);
	free(f);
	return 0;
}

struct writer {
	struct fx *f;
	int id;
};

static int set_fn(store_tx_t *tx, void *ctx)
{
	const char **kv = ctx;
	return store_tx_meta_set(tx, kv[0], kv[1]);
}

static void *writer_thread(void *p)
{
	struct writer *w = p;
	char *value = xmalloc(VALUE_BYTES + 1);
	for (int i = 0; i < JOBS_PER_WRITER; i++) {
		char key[48];
		snprintf(key, sizeof(key), "test.wal.%d.%d", w->id, i);
		/* different bytes each time: nothing compresses or repeats */
		for (int k = 0; k < VALUE_BYTES; k++)
			value[k] = (char)('a' + (k * 7 + i * 13 + w->id) % 26);
		value[VALUE_BYTES] = '\0';
		const char *kv[2] = { key, value };
		pa_err_t err = { 0 };
		if (store_write(w->f->s, set_fn, kv, &err) != 0) {
			fprintf(stderr, "write %s: %s\n", key, err.detail);
			atomic_store(&w->f->failed, 1);
			break;
		}
	}
	free(value);
	return NULL;
}

/* Reads while the writers write, as request threads do: a read holds a
 * snapshot, which keeps a checkpoint from copying past it for a moment. */
static void *reader_thread(void *p)
{
	struct fx *f = p;
	arena_t *a = arena_new();
	while (!atomic_load(&f->stop)) {
		const char *v = NULL;
		store_meta_get(store_reader(f->s), a, "test.wal.0.0", &v);
		arena_reset(a);
		struct stat st;
		if (stat(f->wal, &st) == 0 && st.st_size > atomic_load(&f->wal_max))
			atomic_store(&f->wal_max, (long long)st.st_size);
		usleep(200);
	}
	arena_free(a);
	return NULL;
}

static void test_wal_cycle(void **state)
{
	struct fx *f = *state;
	store_options_t opt = { .path = f->path, .wal_ckpt_pages = CKPT_PAGES,
		                    .wal_inline_pages = INLINE_PAGES };
	pa_err_t err = { 0 };
	assert_int_equal(store_open(&opt, &f->s, &err), 0);
	assert_int_equal(store_migrate(f->s, NULL, NULL, &err), 0);
	int64_t passes0, frames0, passes1, frames1;
	store_sqlite_wal_stats(f->s, &passes0, &frames0);

	pthread_t rd, wr[WRITERS];
	struct writer w[WRITERS];
	assert_int_equal(pthread_create(&rd, NULL, reader_thread, f), 0);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ f, i };
		assert_int_equal(pthread_create(&wr[i], NULL, writer_thread, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(wr[i], NULL);
	atomic_store(&f->stop, 1);
	pthread_join(rd, NULL);
	assert_int_equal(atomic_load(&f->failed), 0);
	store_sqlite_wal_stats(f->s, &passes1, &frames1);
	int64_t passes = passes1 - passes0, frames = frames1 - frames0;

	/* everything written is there */
	arena_t *a = arena_new();
	const char *v = NULL;
	assert_int_equal(store_meta_get(store_reader(f->s), a, "test.wal.15.999", &v), 0);
	assert_non_null(v);
	assert_int_equal(strlen(v), VALUE_BYTES);
	arena_free(a);
	store_close(f->s);

	/* The writes came to many cycles' worth of WAL pages ... */
	long long written = (long long)WRITERS * JOBS_PER_WRITER * VALUE_BYTES;
	assert_true(written > 5LL * INLINE_PAGES * FRAME_BYTES);
	assert_true(frames > 20LL * INLINE_PAGES);
	/* ... yet the WAL stayed within a few cycles' size (the writer's own
	 * checkpoint is refused while the checkpointer runs one or a reader's
	 * snapshot is older, and COMMITs go on meanwhile): it restarted instead
	 * of growing with everything written, about 13,000 pages here */
	long long bound = 4LL * (INLINE_PAGES + CKPT_PAGES) * FRAME_BYTES;
	long long seen = atomic_load(&f->wal_max);
	if (seen > bound)
		fail_msg("the WAL reached %lld bytes; a cycle is at most %lld", seen, bound);
	assert_true(seen >= (long long)INLINE_PAGES * FRAME_BYTES / 2);
	/* the checkpointer ran once per interval of new WAL pages, not after
	 * every COMMIT: woken after each, it ran about twice as often.  A
	 * wake-up while it runs is merged into the next pass, and the writer's
	 * checkpoint restarts the count: 0.65-0.7 of one per interval here,
	 * under ASan and beside another test too */
	long long want = frames / CKPT_PAGES;
	if (passes < want / 4 || passes > want + want / 4 + 4)
		fail_msg("%lld checkpointer passes for %lld WAL pages, one per %d: expected about %lld",
		         (long long)passes, (long long)frames, CKPT_PAGES, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wal_cycle, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
