/*
 * test_wal_buffer.c — the writer's WAL-buffering VFS (store/wal_buffer.c).
 *
 * What it must keep true: when COMMIT returns, the transaction's frames are
 * in the WAL file (a copy of the files taken then recovers them), whatever
 * the transaction's size; frames SQLite rewrites or spills before the commit,
 * rollbacks and WAL restarts leave the same database a plain connection
 * sees; and a write the file system refuses fails the COMMIT, leaving
 * nothing of the transaction.
 */
#include "store/wal_buffer.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

struct fx {
	char dir[64];
	char path[96];
	sqlite3 *db;  /* through the VFS */
};

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static int64_t int_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void assert_intact(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/pingan-walbuf.XXXXXX");
	if (!f || !mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/t.db", f->dir);
	if (wal_buffer_register() != SQLITE_OK ||
	    sqlite3_open_v2(f->path, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    WAL_BUFFER_VFS) != SQLITE_OK)
		return -1;
	/* frames stay in the WAL (no automatic checkpoint), as the server's
	 * writer leaves them to its checkpointer */
	exec_ok(f->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
	               "PRAGMA wal_autocheckpoint = 0; "
	               "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v BLOB); "
	               "CREATE INDEX t_k ON t (k);");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sqlite3_close(f->db);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(in >= 0 && out >= 0);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

/* The database and WAL files as they are now, opened by a plain connection
 * (which recovers the WAL): the rows and the sum of k it finds. */
static void files_now(struct fx *f, int64_t *rows, int64_t *sum)
{
	char db[128], wal[128], cdb[128], cwal[128];
	snprintf(db, sizeof(db), "%s", f->path);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	snprintf(cdb, sizeof(cdb), "%s/copy.db", f->dir);
	snprintf(cwal, sizeof(cwal), "%s/copy.db-wal", f->dir);
	unlink(cwal);
	char shm[128];
	snprintf(shm, sizeof(shm), "%s/copy.db-shm", f->dir);
	unlink(shm);
	copy_file(db, cdb);
	copy_file(wal, cwal);
	sqlite3 *c = NULL;
	assert_int_equal(sqlite3_open_v2(cdb, &c, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	*rows = int_of(c, "SELECT count(*) FROM t");
	*sum = int_of(c, "SELECT IFNULL(sum(k), 0) FROM t");
	assert_intact(c);
	sqlite3_close(c);
}

/* inserts n rows of size bytes with k = first .. first + n - 1, in one transaction */
static int insert_rows(sqlite3 *db, int first, int n, int size)
{
	char sql[160];
	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE r(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM r WHERE i < %d) "
	         "INSERT INTO t (k, v) SELECT i, randomblob(%d) FROM r",
	         first, first + n - 1, size);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int64_t sum_to(int64_t n)
{
	return n * (n + 1) / 2;
}

static void test_commit_is_in_the_file(void **state)
{
	struct fx *f = *state;
	const char *name = NULL;
	assert_int_equal(sqlite3_file_control(f->db, "main", SQLITE_FCNTL_VFSNAME, &name), SQLITE_OK);
	assert_non_null(name);
	assert_non_null(strstr(name, WAL_BUFFER_VFS));
	sqlite3_free((void *)name);

	/* one row, a few pages, then past the buffer (248 KiB) and the 124 KiB writes */
	static const struct { int n, size; } tx[] = { { 1, 10 }, { 40, 300 }, { 3000, 900 },
	                                              { 7, 5000 }, { 1, 10 } };
	int64_t rows = 0;
	for (size_t i = 0; i < sizeof(tx) / sizeof(tx[0]); i++) {
		assert_int_equal(insert_rows(f->db, (int)rows + 1, tx[i].n, tx[i].size), SQLITE_OK);
		rows += tx[i].n;
		int64_t got = -1, sum = -1;
		files_now(f, &got, &sum);
		assert_int_equal(got, rows);
		assert_int_equal(sum, sum_to(rows));
	}
}

/* What a database holds, in one line: compared between the file under test
 * and a reference database that ran the same statements. */
static void digest(sqlite3 *db, char *out, size_t size)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT count(*), IFNULL(sum(k), 0), "
	                                    "IFNULL(sum(length(v)), 0), IFNULL(sum(unicode(v) * id), 0) "
	                                    "FROM t",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(out, size, "%lld %lld %lld %lld", (long long)sqlite3_column_int64(st, 0),
	         (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
	         (long long)sqlite3_column_int64(st, 3));
	sqlite3_finalize(st);
}

/* runs sql on both databases */
static void both(sqlite3 *a, sqlite3 *b, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	exec_ok(a, sql);
	exec_ok(b, sql);
}

/* n rows of `size` characters, the letter set by k and round */
#define ROWS_SQL                                                                                \
	"WITH RECURSIVE r(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM r WHERE i < %d) "          \
	"INSERT INTO t (k, v) SELECT i, replace(hex(zeroblob(%d)), '00', char(65 + (i + %d) %% 26)) " \
	"FROM r"

/* A small page cache spills a transaction's pages to the WAL before COMMIT,
 * and SQLite then writes some of those frames again in place (and their
 * checksums): the writes that do not follow the run.  The database must be
 * what a reference database running the same statements holds. */
static void test_spills_rollbacks_and_restarts(void **state)
{
	struct fx *f = *state;
	sqlite3 *plain = NULL, *ref = NULL;
	assert_int_equal(sqlite3_open_v2(f->path, &plain, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open(":memory:", &ref), SQLITE_OK);
	exec_ok(ref, "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v BLOB); "
	             "CREATE INDEX t_k ON t (k);");
	exec_ok(f->db, "PRAGMA cache_size = 8");

	int rows = 0;
	char want[128], got[128];
	for (int round = 0; round < 6; round++) {
		both(f->db, ref, "BEGIN");
		both(f->db, ref, ROWS_SQL, rows + 1, rows + 1500, 200, round);
		/* the pages just spilled, written again */
		both(f->db, ref,
		     "UPDATE t SET v = replace(hex(zeroblob(201 + %d)), '00', char(97 + k %% 26)) "
		     "WHERE k > %d OR id %% 7 = %d",
		     round, rows, round);
		both(f->db, ref, "COMMIT");
		rows += 1500;

		/* a spilled transaction rolled back leaves nothing */
		exec_ok(f->db, "BEGIN");
		exec_ok(f->db, "UPDATE t SET k = k + 1, v = 'x'");
		assert_int_equal(insert_rows(f->db, 1000000, 1500, 200), SQLITE_OK);
		exec_ok(f->db, "ROLLBACK");

		digest(ref, want, sizeof(want));
		digest(f->db, got, sizeof(got));
		assert_string_equal(got, want);
		digest(plain, got, sizeof(got));
		assert_string_equal(got, want);
		int64_t n = -1, sum = -1;
		files_now(f, &n, &sum);
		assert_int_equal(n, rows);

		/* every other round the WAL starts again from its beginning */
		if (round % 2 == 1) {
			exec_ok(plain, "PRAGMA wal_checkpoint(RESTART)");
			both(f->db, ref, ROWS_SQL, rows + 1, rows + 5, 100, round);
			rows += 5;
			files_now(f, &n, &sum);
			assert_int_equal(n, rows);
		}
	}
	assert_intact(plain);
	assert_intact(f->db);
	sqlite3_close(plain);
	sqlite3_close(ref);
}

/* The file system refuses the COMMIT's frames (a file size limit: EFBIG, as
 * a full disk gives ENOSPC): COMMIT fails, the transaction is gone, and the
 * connection goes on. */
static void test_refused_write_fails_the_commit(void **state)
{
	struct fx *f = *state;
	assert_int_equal(insert_rows(f->db, 1, 10, 100), SQLITE_OK);
	struct stat st;
	char wal[128];
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &st), 0);

	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = (rlim_t)st.st_size + 20000;  /* a few frames more */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int rc = insert_rows(f->db, 11, 400, 1000);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_not_equal(rc, SQLITE_OK);
	assert_true(sqlite3_get_autocommit(f->db));

	assert_int_equal(int_of(f->db, "SELECT count(*) FROM t"), 10);
	sqlite3 *plain = NULL;
	assert_int_equal(sqlite3_open_v2(f->path, &plain, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(int_of(plain, "SELECT count(*) FROM t"), 10);
	sqlite3_close(plain);

	assert_int_equal(insert_rows(f->db, 11, 400, 1000), SQLITE_OK);
	int64_t got = -1, sum = -1;
	files_now(f, &got, &sum);
	assert_int_equal(got, 410);
	assert_int_equal(sum, sum_to(410));
	assert_intact(f->db);
}

/* Writes straight to the VFS's file methods, as SQLite makes them to a WAL
 * (a temporary file opened with the WAL flag), checked against an image of
 * what the file must hold: runs that follow one another, a write inside the
 * buffered run (a frame SQLite writes again in place), one that does not
 * follow it, a commit frame's header and page, one longer than the buffer. */
static void test_writes_at_the_file_level(void **state)
{
	(void)state;
	assert_int_equal(wal_buffer_register(), SQLITE_OK);
	sqlite3_vfs *vfs = sqlite3_vfs_find(WAL_BUFFER_VFS);
	assert_non_null(vfs);
	sqlite3_file *file = calloc(1, (size_t)vfs->szOsFile);
	int out = 0;
	assert_int_equal(vfs->xOpen(vfs, NULL, file,
	                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL |
	                                SQLITE_OPEN_DELETEONCLOSE,
	                            &out),
	                 SQLITE_OK);
	const sqlite3_io_methods *m = file->pMethods;
	enum { SIZE = 4 << 20 };  /* the writes below end at 3.3 MiB */
	unsigned char *image = calloc(1, SIZE), *back = calloc(1, SIZE), *data = malloc(SIZE);
	for (size_t i = 0; i < SIZE; i++)
		data[i] = (unsigned char)(i * 7 + i / 4096);
	size_t end = 0;
#define W(off, len, src)                                                                  \
	do {                                                                                 \
		assert_true((size_t)(off) + (len) <= SIZE);                                  \
		assert_int_equal(m->xWrite(file, (src), (int)(len), (off)), SQLITE_OK);      \
		memcpy(image + (off), (src), (len));                                         \
		if ((size_t)(off) + (len) > end)                                             \
			end = (size_t)(off) + (len);                                         \
	} while (0)
#define CHECK()                                                                           \
	do {                                                                                 \
		sqlite3_int64 sz = -1;                                                       \
		assert_int_equal(m->xFileSize(file, &sz), SQLITE_OK);                        \
		assert_int_equal(sz, (sqlite3_int64)end);                                    \
		assert_int_equal(m->xRead(file, back, (int)end, 0), SQLITE_OK);              \
		assert_memory_equal(back, image, end);                                       \
	} while (0)

	unsigned char hdr[24] = { 0 }, commit_hdr[24] = { 0 };
	commit_hdr[7] = 9;  /* database size after the commit: a commit frame */
	W(0, 32, data);                             /* the WAL header */
	for (int i = 0; i < 5; i++) {               /* frames that follow one another */
		W(32 + i * 4120, 24, hdr);
		W(32 + i * 4120 + 24, 4096, data + i * 4096);
	}
	W(32 + 1 * 4120 + 24, 4096, data + 50000); /* a frame's page again, inside the run */
	W(32 + 5 * 4120, 24, commit_hdr);           /* the commit frame: written out with its page */
	W(32 + 5 * 4120 + 24, 4096, data + 7);
	CHECK();
	W(32 + 6 * 4120, 24, hdr);                  /* a run, then a write before it */
	W(32 + 6 * 4120 + 24, 4096, data + 99);
	W(32 + 2 * 4120 + 24, 4096, data + 12345);
	W(32 + 7 * 4120, 24, hdr);
	CHECK();
	W(32, 24, commit_hdr);                      /* a commit header alone (a checksum rewritten) */
	CHECK();
	size_t from = end;
	for (size_t off = from; off < from + 300 * 4120; off += 4120)  /* past the buffer */
		W(off, 4120, data + off % 4096);
	CHECK();
	W(end, (size_t)(2 << 20), data);            /* one write longer than the buffer */
	CHECK();
	assert_int_equal(m->xTruncate(file, 32), SQLITE_OK);
	end = 32;
	W(32, 24, hdr);                             /* the WAL started again */
	W(56, 4096, data + 3);
	assert_int_equal(m->xSync(file, SQLITE_SYNC_NORMAL), SQLITE_OK);
	CHECK();
#undef W
#undef CHECK
	assert_int_equal(m->xClose(file), SQLITE_OK);
	free(file);
	free(image);
	free(back);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_at_the_file_level),
		cmocka_unit_test_setup_teardown(test_commit_is_in_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spills_rollbacks_and_restarts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_write_fails_the_commit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
