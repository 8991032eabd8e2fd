/*
 * test_store_sync.c — the SQLite store's pipelined commit (store_sqlite.c,
 * "Pipelined commit"): a write is answered only after the fdatasync of the
 * WAL that covers it, by the syncer thread; a failed fdatasync aborts the
 * process and answers nothing.
 *
 * This program defines fdatasync() itself, so that the calls of the store
 * and of SQLite (libsqlite3 resolves the symbol to the executable's) come
 * here first: it counts the syncer's calls on the WAL and fails them when
 * told to.  The failing case runs in a forked child (before the child opens
 * any store, so it holds no threads of the parent), which must die of
 * SIGABRT inside store_write().
 */
#include "base/common.h"
#include "store/store.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int syncer_calls;   /* fdatasync calls made by the syncer thread */
static atomic_int fail_syncer;    /* 1: the syncer's next calls fail with EIO */

static bool on_syncer_thread(void)
{
	char name[16] = "";
	pthread_getname_np(pthread_self(), name, sizeof(name));
	return strcmp(name, "pa-syncer") == 0;
}

int fdatasync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	if (on_syncer_thread()) {
		atomic_fetch_add(&syncer_calls, 1);
		if (atomic_load(&fail_syncer)) {
			errno = EIO;
			return -1;
		}
	}
	return real(fd);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pingan-sync-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/pingan.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static store_t *open_migrated(const char *path)
{
	store_options_t opt = { .path = path };
	store_t *s = NULL;
	pa_err_t err = { 0 };
	if (store_open(&opt, &s, &err) != 0 || store_migrate(s, NULL, NULL, &err) != 0) {
		fprintf(stderr, "store: %s\n", err.detail);
		store_close(s);
		return NULL;
	}
	return s;
}

static int set_fn(store_tx_t *tx, void *ctx)
{
	return store_tx_meta_set(tx, "test.sync", ctx);
}

/* A write returns only after the syncer synced the WAL, and is read back. */
static void test_answer_after_sync(void **state)
{
	struct fx *f = *state;
	store_t *s = open_migrated(f->path);
	assert_non_null(s);
	pa_err_t err = { 0 };
	int before = atomic_load(&syncer_calls);
	assert_int_equal(store_write(s, set_fn, "one", &err), 0);
	assert_true(atomic_load(&syncer_calls) > before);
	arena_t *a = arena_new();
	const char *v = NULL;
	assert_int_equal(store_meta_get(store_reader(s), a, "test.sync", &v), 0);
	assert_string_equal(v, "one");
	arena_free(a);
	store_close(s);

	/* and it is there after reopening */
	s = open_migrated(f->path);
	assert_non_null(s);
	a = arena_new();
	assert_int_equal(store_meta_get(store_reader(s), a, "test.sync", &v), 0);
	assert_string_equal(v, "one");
	arena_free(a);
	store_close(s);
}

/* A failed fdatasync of the WAL aborts the process before the write is answered. */
static void test_failed_sync_aborts(void **state)
{
	struct fx *f = *state;
	store_t *s = open_migrated(f->path);  /* migrated with working syncs */
	assert_non_null(s);
	store_close(s);

	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child: its abort() is the expected end, so no core file */
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		store_t *cs = open_migrated(f->path);
		if (!cs)
			_exit(3);
		atomic_store(&fail_syncer, 1);
		pa_err_t cerr = { 0 };
		store_write(cs, set_fn, "never answered", &cerr);
		_exit(4);  /* store_write returned: the test fails */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status))
		fail_msg("the child exited %d instead of aborting", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);

	/* the database opens again (SQLite recovers the WAL) */
	s = open_migrated(f->path);
	assert_non_null(s);
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answer_after_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_sync_aborts, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
