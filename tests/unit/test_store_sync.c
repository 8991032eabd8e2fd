/*
 * test_store_sync.c — the SQLite store's pipelined commit (store_sqlite.c,
 * "Pipelined commit"): a write is answered only after the fdatasync of the
 * WAL that covers it, by the syncer thread; a failed fdatasync aborts the
 * process and answers nothing.
 *
 * While the syncer is busy, the writer takes the writes queued meanwhile
 * into the batch it is running instead of committing it on its own; and
 * the writer and the syncer run ahead of other threads when the process may
 * raise their priority.
 *
 * This program defines fdatasync() itself, so that the calls of the store
 * and of SQLite (libsqlite3 resolves the symbol to the executable's) come
 * here first: it counts the syncer's calls on the WAL, fails them when
 * told to, and holds them while told to.  The failing case runs in a forked child (before the child opens
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
#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

size_t store_sqlite_queued(store_t *s);

static atomic_int syncer_calls;   /* fdatasync calls made by the syncer thread */
static atomic_int fail_syncer;    /* 1: the syncer's next calls fail with EIO */
static atomic_int hold_syncer;    /* 1: the syncer's calls wait until it is 0 again */
static atomic_int syncer_held;    /* calls waiting in hold_syncer */

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
		if (atomic_load(&hold_syncer)) {
			atomic_fetch_add(&syncer_held, 1);
			while (atomic_load(&hold_syncer))
				usleep(1000);
			atomic_fetch_sub(&syncer_held, 1);
		}
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

static void sleep_ms(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* A job that waits, inside the writer's batch, until its gate opens. */
struct gate {
	atomic_int entered, open;
};

static int gated_fn(store_tx_t *tx, void *ctx)
{
	struct gate *g = ctx;
	atomic_store(&g->entered, 1);
	while (!atomic_load(&g->open))
		sleep_ms(1);
	return store_tx_meta_set(tx, "test.gated", "yes");
}

struct job {
	store_t *s;
	store_tx_fn fn;
	void *ctx;
	int rc;
};

static void *job_thread(void *p)
{
	struct job *j = p;
	pa_err_t err = { 0 };
	j->rc = store_write(j->s, j->fn, j->ctx, &err);
	return NULL;
}

/* While the syncer is still syncing one batch, the next batch takes in the
 * writes queued behind it: they could not be answered sooner by a COMMIT of
 * their own.  Three batches' worth of writes, two COMMITs. */
static void test_batch_grows_while_syncing(void **state)
{
	struct fx *f = *state;
	store_t *s = open_migrated(f->path);
	assert_non_null(s);
	int64_t commits0, writes0, commits1, writes1;
	store_stats(s, &commits0, &writes0);

	/* A commits; its sync is held */
	atomic_store(&hold_syncer, 1);
	struct job ja = { s, set_fn, "a", -1 };
	pthread_t ta, tb, tc, td;
	assert_int_equal(pthread_create(&ta, NULL, job_thread, &ja), 0);
	while (atomic_load(&syncer_held) == 0)
		sleep_ms(1);

	/* B's batch starts and waits inside B while C and D queue */
	struct gate g = { 0 };
	struct job jb = { s, gated_fn, &g, -1 };
	assert_int_equal(pthread_create(&tb, NULL, job_thread, &jb), 0);
	while (!atomic_load(&g.entered))
		sleep_ms(1);
	struct job jc = { s, set_fn, "c", -1 }, jd = { s, set_fn, "d", -1 };
	assert_int_equal(pthread_create(&tc, NULL, job_thread, &jc), 0);
	assert_int_equal(pthread_create(&td, NULL, job_thread, &jd), 0);
	while (store_sqlite_queued(s) < 2)
		sleep_ms(1);

	/* B ends with the syncer still busy: C and D join B's batch */
	atomic_store(&g.open, 1);
	for (int i = 0; i < 5000 && store_sqlite_queued(s) > 0; i++)
		sleep_ms(1);
	size_t queued = store_sqlite_queued(s);
	int64_t mid_commits, mid_writes;
	sleep_ms(20);
	store_stats(s, &mid_commits, &mid_writes);
	int rc_a = ja.rc, rc_c = jc.rc;
	atomic_store(&hold_syncer, 0);  /* before any assertion: a failure must not leave it held */
	assert_int_equal(queued, 0);
	assert_int_equal(mid_writes - writes0, 4);
	assert_int_equal(mid_commits - commits0, 2);
	/* nobody is answered before the sync that covers them */
	assert_int_equal(rc_a, -1);
	assert_int_equal(rc_c, -1);

	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(tc, NULL);
	pthread_join(td, NULL);
	assert_int_equal(ja.rc, 0);
	assert_int_equal(jb.rc, 0);
	assert_int_equal(jc.rc, 0);
	assert_int_equal(jd.rc, 0);
	store_stats(s, &commits1, &writes1);
	assert_int_equal(writes1 - writes0, 4);
	assert_int_equal(commits1 - commits0, 2);
	arena_t *a = arena_new();
	const char *v = NULL;
	assert_int_equal(store_meta_get(store_reader(s), a, "test.gated", &v), 0);
	assert_string_equal(v, "yes");
	assert_int_equal(store_meta_get(store_reader(s), a, "test.sync", &v), 0);
	assert_true(strcmp(v, "c") == 0 || strcmp(v, "d") == 0);
	arena_free(a);
	store_close(s);
}

/* Can this process give a thread nice -10?  Asked of a thread of its own. */
static void *probe_thread(void *p)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	*(bool *)p = setpriority(PRIO_PROCESS, (id_t)tid, -10) == 0;
	return NULL;
}

/* The nice value of this process's thread named name; 99 when none is. */
static int thread_nice(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 99;
	int nice = 99;
	struct dirent *e;
	while ((e = readdir(d)) && nice == 99) {
		if (e->d_name[0] == '.')
			continue;
		char path[300], comm[32] = "";
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		FILE *fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(comm, sizeof(comm), fp))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(fp);
		if (strcmp(comm, name) == 0) {
			errno = 0;
			int v = getpriority(PRIO_PROCESS, (id_t)atoi(e->d_name));
			if (errno == 0)
				nice = v;
		}
	}
	closedir(d);
	return nice;
}

/* The writer and the syncer run at nice -10 where the process may set it
 * (CAP_SYS_NICE or RLIMIT_NICE), and at the process's own otherwise. */
static void test_writer_priority(void **state)
{
	struct fx *f = *state;
	bool may = false;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, probe_thread, &may), 0);
	pthread_join(t, NULL);
	errno = 0;
	int own = getpriority(PRIO_PROCESS, 0);
	assert_int_equal(errno, 0);
	store_t *s = open_migrated(f->path);
	assert_non_null(s);
	pa_err_t err = { 0 };
	assert_int_equal(store_write(s, set_fn, "nice", &err), 0);  /* both threads have run */
	int want = may && own > -10 ? -10 : own;
	assert_int_equal(thread_nice("pa-writer"), want);
	assert_int_equal(thread_nice("pa-syncer"), want);
	assert_int_equal(thread_nice("pa-checkpoint"), own);  /* background work keeps its place */
	print_message("writer and syncer at nice %d (the process: %d; may raise: %s)\n", want, own,
	              may ? "yes" : "no");
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answer_after_sync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_sync_aborts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_grows_while_syncing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_priority, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
