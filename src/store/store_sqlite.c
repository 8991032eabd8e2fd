/*
 * store_sqlite.c — the SQLite engine: connections, the writer thread, group
 * commit, migrations and backup.  The typed reads and writes live in
 * sqlite_people.c, sqlite_cases.c and sqlite_meta.c.
 *
 * Connections.  One writer connection, owned by the writer thread, and one
 * read connection per (store, thread), opened by sq_reader() on first use
 * and found again through a pthread key of the store.  The store keeps a list
 * of its read connections so sq_close() can close them; a thread that
 * exits closes its own (the key's destructor).  Every connection is opened
 * SQLITE_OPEN_NOMUTEX and used by one thread only; each caches its prepared
 * statements in an array indexed by enum sq_stmt_id (sqlite_stmts.h).
 * Readers are SQLITE_OPEN_READONLY; in WAL mode they never block the writer
 * nor each other.
 *
 * Writes and group commit.  sq_write() puts a job {fn, ctx, result, done}
 * on the queue (s->mu guards it) and sleeps on the job's own condition
 * variable.  The writer thread loops:
 *
 *   wait until the queue is not empty (or the store is closing and it is)
 *   take up to STORE_MAX_BATCH jobs
 *   BEGIN IMMEDIATE
 *   for each job: SAVEPOINT job; fn(tx, ctx); < 0 → ROLLBACK TO job; RELEASE job
 *     (a job alone in its batch: no savepoint; < 0 → ROLLBACK, and done;
 *     a checked job, store_write_checked: no savepoint; < 0 after it changed
 *     a row → the whole batch is rolled back and fails with PA_EUNAVAIL)
 *     (after the last job, while the syncer is still busy: the jobs queued
 *     since, run the same way — take_more)
 *   write the rows the jobs deferred to the batch (sq_tx_batch)
 *   write the search rows the jobs queued (sqlite_search.c)
 *   COMMIT   (no fsync of the frames: see "Pipelined commit")
 *   hand the batch to the syncer, which marks every job done with its
 *   result and wakes its caller once the WAL is on disk
 *
 * No timer forms the batches: whatever was queued while the previous COMMIT
 * was syncing goes into the next one, and a batch that ends while the
 * syncer is still busy takes in what was queued meanwhile, so the batch
 * size follows the load and the writer never waits for more.
 * If the COMMIT fails (disk full, I/O error, busy) the batch is rolled back
 * and every job that had succeeded gets PA_EUNAVAIL; a job that had failed
 * keeps its own error.  SQLite may roll back the whole transaction by itself
 * after some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY);
 * the loop notices (autocommit is back on) and fails the batch the same way.
 *
 * Pipelined commit.  The writer connection runs with synchronous=NORMAL:
 * in WAL mode its COMMIT writes the batch's WAL frames without syncing them
 * (SQLite still syncs the WAL header when the log restarts, and the WAL and
 * the database around every checkpoint, so the files stay consistent).  The
 * batch then goes to the syncer thread (sync_head list), which fdatasync()s
 * its own descriptor of <path>-wal and only after that call returned 0
 * answers every batch it took — while the writer runs the next batch.  A
 * failed fdatasync aborts the process without answering (the page cache
 * cannot be trusted after one).  A batch that did not commit is answered by
 * the writer at once.  Without the WAL descriptor or the syncer thread the
 * writer keeps synchronous=FULL and answers after COMMIT.
 * docs/architecture.md gives the reasoning.
 *
 * A migration is a "raw" job: it runs alone, outside any batch, and manages
 * its own transactions.
 *
 * Checkpoints.  SQLite's automatic checkpoint runs inside the COMMIT that
 * takes the WAL past 1,000 pages: the writer copies the pages into the
 * database file and fsyncs it while every caller of the batch (and every
 * write queued behind it) waits — 5–9 % of the writer's CPU in a write load
 * and the worst latencies.  The writer connection turns it off and its WAL
 * hook wakes a checkpointer thread instead, which runs the same PASSIVE
 * checkpoint on a connection of its own while the writer goes on (WAL mode
 * lets one checkpoint run beside the writer), once per STORE_WAL_CKPT_PAGES
 * new pages (wal_hook).  Should the WAL still reach
 * STORE_WAL_INLINE_PAGES (the checkpointer starved of CPU or of moments
 * without readers), the writer checkpoints inline as before, so the WAL
 * stays bounded.
 *
 * Under a steady write load that inline checkpoint is how the WAL restarts
 * at all: SQLite reuses the log only at a write that finds every frame
 * copied, and the checkpointer's passes always overlap the writer's
 * commits.  Its cost is the database file's fdatasync, which writes the
 * pages the passes copied since the last one — a set of hot pages (index
 * leaves, table tails) that hardly grows with the cycle — so the cycle is
 * long (64,000 pages) and the stop rare.  The passes are 4,000 pages apart:
 * each syncs the WAL and copies the newest version of every page changed
 * since the last, and hot pages change many times in 4,000 frames, so
 * fewer, larger passes copy less and sync less (docs/performance.md,
 * session 11: against 1,000 and 16,000, actions ran 9–26 % faster at a
 * million cases).
 *
 * Shutdown.  sq_close() marks the store closing (later sq_write()
 * calls get PA_EUNAVAIL), lets the writer drain the queue, joins it, lets
 * the syncer answer what is left, joins it and the checkpointer, then
 * closes the read connections and last the writer connection (SQLite then
 * checkpoints and removes the WAL).  No other thread may use the store, or
 * exit holding one of its read connections, while sq_close() runs.
 *
 * Errors.  sq_error() maps SQLite codes: a UNIQUE or PRIMARY KEY violation →
 * PA_ECONFLICT (field = the column), a FOREIGN KEY violation → PA_EINVAL
 * (a reference to a row that does not exist), busy/locked/full/I-O/can't
 * open/corrupt/read-only → PA_EUNAVAIL (logged with SQLite's message),
 * anything else → PA_EINTERNAL (logged: it is a bug, e.g. a CHECK).
 */
#include "base/common.h"
#include "store/sqlite_internal.h"
#include "store/wal_buffer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define STORE_BUSY_TIMEOUT_MS 5000      /* default options.busy_timeout_ms */
#define STORE_WRITER_CACHE_KIB 8192     /* page cache of the writer connection */
#define STORE_READER_CACHE_KIB 1024     /* page cache of each read connection (one per HTTP thread) */
#define STORE_WAL_CKPT_PAGES 4000       /* the checkpointer runs once per this many new pages */
#define STORE_WAL_INLINE_PAGES 64000    /* the writer checkpoints itself past this */
#define STORE_WAL_FRAME_BYTES 4120      /* a 4 KiB page and its frame header */
#define STORE_WRITER_NICE (-10)       /* the writer's and the syncer's nice value, when allowed */
#define STORE_BACKUP_STEP_PAGES 256     /* pages copied per sqlite3_backup_step */
#define STORE_BACKUP_BUSY_RETRIES 1000  /* × 5 ms */

struct store_job {
	store_tx_fn fn;
	void *ctx;
	bool raw;             /* runs alone, outside a batch transaction (migrations) */
	bool checked;         /* store_write_checked: runs without a savepoint */
	atomic_uint done;     /* 1 once answered; the caller sleeps on it (a futex word) */
	int result;
	pa_err_t err;         /* what the tx function and the writer recorded */
	struct store_job *next;
};

struct store {
	store_hdr_t hdr;              /* &store_sqlite_engine */
	char *path;
	int busy_timeout_ms;
	bool read_only;
	bool synchronous_normal;

	store_conn_t *wconn;          /* used by the writer thread only (after start) */
	pthread_t writer;
	bool writer_started;

	/* the checkpointer (see "Checkpoints"); ckpt_mu guards the flags */
	sqlite3 *ckpt_db;
	pthread_t ckpt;
	bool ckpt_started;
	pthread_mutex_t ckpt_mu;
	pthread_cond_t ckpt_cv;
	bool ckpt_wanted, ckpt_stopping;
	int64_t checkpoints;           /* run by the checkpointer */
	int ckpt_woken_at;             /* WAL pages when the hook last woke it; writer thread only */
	int ckpt_pages, inline_pages;  /* STORE_WAL_CKPT_PAGES, STORE_WAL_INLINE_PAGES or the options' */
	int wal_last;                  /* WAL pages after the last COMMIT; writer thread only */
	atomic_llong wal_frames;       /* WAL frames the writer's COMMITs appended */

	/* pipelined group commit (see "Pipelined commit"); sync_mu guards the list */
	bool pipelined;               /* the writer commits with synchronous=NORMAL */
	int wal_fd;                   /* <path>-wal, fdatasync()ed by the syncer; -1 without */
	pthread_t syncer;
	bool syncer_started;
	pthread_mutex_t sync_mu;
	pthread_cond_t sync_cv;       /* the syncer sleeps here */
	struct store_job *sync_head, *sync_tail; /* committed, not yet on disk */
	bool sync_stopping;
	atomic_bool sync_busy;        /* the syncer holds batches not yet answered (set under sync_mu) */

	pthread_mutex_t mu;           /* guards the queue, stopping and the counters */
	pthread_cond_t work_cv;       /* the writer sleeps here */
	struct store_job *head, *tail;
	bool stopping;
	int64_t commits;              /* successful batch COMMITs */
	int64_t writes;               /* jobs run */

	pthread_key_t reader_key;     /* this thread's read connection */
	pthread_mutex_t readers_mu;   /* guards the list below */
	store_conn_t *readers;

	/* Cases whose search rows the running batch must write (sq_search_queue);
	 * the writer thread's only. */
	struct search_queued { pa_id_t id; bool is_new; } *search_q;
	size_t nsearch_q, search_q_cap;

	sq_batch_t batch;             /* rows written once per batch; the writer thread's only */

	atomic_int fault_countdown;   /* sq_fault_inject */
	const store_observer_t *observer; /* store_set_observer; read by the writer only */
};

static void sq_set_observer(store_t *s, const store_observer_t *obs)
{
	s->observer = obs;
}

const store_observer_t *sq_store_observer(store_t *s)
{
	return s->observer;
}

/* The store whose writer thread this is, if any. */
static _Thread_local store_t *tl_writer_of;

static const char *const stmt_sql[SQ__COUNT] = {
#define SQ_SQL(name, sql) [SQ_##name] = sql,
	SQ_STATEMENTS(SQ_SQL)
#undef SQ_SQL
};

/* ---- errors ---------------------------------------------------------------- */

/* "UNIQUE constraint failed: ratings.case_id, ratings.stage" → "stage" */
static void conflict_field(const char *msg, char *out, size_t n)
{
	out[0] = '\0';
	const char *p = strstr(msg, "failed: ");
	if (!p)
		return;
	const char *dot = strrchr(p, '.');
	const char *col = dot ? dot + 1 : p + strlen("failed: ");
	snprintf(out, n, "%s", col);
}

int sq_error(store_conn_t *c, int rc, pa_err_t *err, const char *what)
{
	const char *msg = c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
	if (!what)
		what = "?";
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
			char field[96];
			conflict_field(msg, field, sizeof(field));
			return pa_fail(err, PA_ECONFLICT, "conflict", field,
			               "a record with this %s already exists", field[0] ? field : "key");
		}
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return pa_fail(err, PA_EINVAL, "invalid-reference", NULL,
			               "a referenced record does not exist");
		log_error("store: %s: %s (%d)", msg, what, rc);
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "constraint: %s", msg);
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_PROTOCOL:
	case SQLITE_NOLFS:
		log_warn("store: database unavailable: %s (%d) in %s", msg, rc, what);
		pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "database unavailable: %s", msg);
		if (err)
			err->retry_after = 1;
		return PA_EUNAVAIL;
	default:
		log_error("store: %s (%d) in %s", msg, rc, what);
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "database error: %s", msg);
	}
}

int sq_bind_error(store_conn_t *c, int rc, pa_err_t *err)
{
	if (rc == SQLITE_TOOBIG)
		return pa_fail(err, PA_ETOOLARGE, "too-large", NULL, "value too large to store");
	return sq_error(c, rc, err, "bind");
}

/* ---- statements ---------------------------------------------------------------- */

int sq_stmt(store_conn_t *c, enum sq_stmt_id id, sqlite3_stmt **out, pa_err_t *err)
{
	*out = NULL;
	if (!c)
		return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "no database connection");
	if (!c->stmts[id]) {
		int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                            &c->stmts[id], NULL);
		if (rc != SQLITE_OK) {
			c->stmts[id] = NULL;
			return sq_error(c, rc, err, stmt_sql[id]);
		}
	}
	*out = c->stmts[id];
	return 0;
}

/* Test hook: true when this write statement is the one to fail. */
static bool fault_fires(store_t *s)
{
	int n = atomic_load(&s->fault_countdown);
	while (n > 0 && !atomic_compare_exchange_weak(&s->fault_countdown, &n, n - 1))
		;
	return n == 1;
}

int sq_step(store_conn_t *c, sqlite3_stmt *st, pa_err_t *err)
{
	if (c->writer && !sqlite3_stmt_busy(st) && !sqlite3_stmt_readonly(st) && fault_fires(c->s))
		return pa_fail(err, PA_EIO, "io", NULL, "injected write fault");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return SQ_ROW;
	if (rc == SQLITE_DONE)
		return SQ_DONE;
	return sq_error(c, rc, err, sqlite3_sql(st));
}

void sq_done(sqlite3_stmt *st)
{
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int sq_exec_one(store_conn_t *c, sqlite3_stmt *st, pa_err_t *err)
{
	int rc = sq_step(c, st, err);
	if (rc >= 0 && sqlite3_changes(c->db) == 0)
		rc = pa_fail(err, PA_ENOTFOUND, "not-found", NULL, "no such record");
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_exec(store_conn_t *c, const char *sql, pa_err_t *err)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_error(c, rc, err, sql);
}

/* Runs a cached statement without the fault hook (transaction control). */
static int run_raw(store_conn_t *c, enum sq_stmt_id id, pa_err_t *err)
{
	sqlite3_stmt *st;
	int rc = sq_stmt(c, id, &st, err);
	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		rc = 0;
	else
		rc = sq_error(c, rc, err, stmt_sql[id]);
	sqlite3_reset(st);
	return rc;
}

/* ---- binding and reading ------------------------------------------------------------ */

static void bind_rc(sq_bind_t *b, int rc)
{
	if (rc != SQLITE_OK && b->rc == SQLITE_OK)
		b->rc = rc;
}

void sq_bind_int(sq_bind_t *b, int64_t v)
{
	bind_rc(b, sqlite3_bind_int64(b->st, ++b->i, v));
}

void sq_bind_bool(sq_bind_t *b, bool v)
{
	bind_rc(b, sqlite3_bind_int(b->st, ++b->i, v ? 1 : 0));
}

void sq_bind_text(sq_bind_t *b, const char *s)
{
	++b->i;
	bind_rc(b, s ? sqlite3_bind_text(b->st, b->i, s, -1, SQLITE_STATIC)
	             : sqlite3_bind_null(b->st, b->i));
}

void sq_bind_text0(sq_bind_t *b, const char *s)
{
	bind_rc(b, sqlite3_bind_text(b->st, ++b->i, s ? s : "", -1, SQLITE_STATIC));
}

void sq_bind_blob(sq_bind_t *b, pa_blob_t v)
{
	++b->i;
	bind_rc(b, v.len && v.data
	               ? sqlite3_bind_blob64(b->st, b->i, v.data, (sqlite3_uint64)v.len, SQLITE_STATIC)
	               : sqlite3_bind_null(b->st, b->i));
}

int64_t sq_col_int(sq_row_t *r)
{
	return sqlite3_column_int64(r->st, r->i++);
}

void sq_bind_double_or_null(sq_bind_t *b, bool present, double v)
{
	++b->i;
	bind_rc(b, present ? sqlite3_bind_double(b->st, b->i, v) : sqlite3_bind_null(b->st, b->i));
}

bool sq_col_double_or_null(sq_row_t *r, double *v)
{
	int i = r->i++;
	if (sqlite3_column_type(r->st, i) == SQLITE_NULL) {
		*v = 0;
		return false;
	}
	*v = sqlite3_column_double(r->st, i);
	return true;
}

bool sq_col_bool(sq_row_t *r)
{
	return sqlite3_column_int64(r->st, r->i++) != 0;
}

const char *sq_col_text(sq_row_t *r)
{
	int i = r->i++;
	const unsigned char *t = sqlite3_column_text(r->st, i);
	if (!t)
		return NULL;
	return arena_strndup(r->a, (const char *)t, (size_t)sqlite3_column_bytes(r->st, i));
}

pa_blob_t sq_col_blob(sq_row_t *r)
{
	int i = r->i++;
	const void *p = sqlite3_column_blob(r->st, i);
	int n = sqlite3_column_bytes(r->st, i);
	if (!p || n <= 0)
		return (pa_blob_t){ NULL, 0 };
	return (pa_blob_t){ arena_memdup(r->a, p, (size_t)n), (size_t)n };
}

void *sq_grow(arena_t *a, void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	size_t ncap = *cap ? st_mult(*cap, 2) : 16;
	void *p = arena_alloc(a, st_mult(ncap, size));
	if (n)
		memcpy(p, arr, st_mult(n, size));
	*cap = ncap;
	return p;
}

int sq_check_limit(int limit)
{
	return limit >= 1 && limit <= STORE_LIST_MAX ? 0 : PA_EINVAL;
}

/* ---- connections -------------------------------------------------------------------- */

int sq_prepare(store_conn_t *c, const char *sql, sqlite3_stmt **st, pa_err_t *err)
{
	*st = NULL;
	if (!c)
		return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "no database connection");
	int rc = sqlite3_prepare_v3(c->db, sql, -1, 0, st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return sq_error(c, rc, err, sql);
	}
	return 0;
}

static int stmt_dyn(store_conn_t *c, const char *sql, size_t len, sqlite3_stmt **out,
                    pa_err_t *err)
{
	/* the same text at the same address (the string constants of the
	 * store's functions) is found without comparing it */
	for (size_t i = 0; i < SQ_DYN_CACHE; i++)
		if (c->dyn[i].key == sql && c->dyn[i].st) {
			*out = c->dyn[i].st;
			return 0;
		}
	for (size_t i = 0; i < SQ_DYN_CACHE; i++)
		if (c->dyn[i].sql && strcmp(c->dyn[i].sql, sql) == 0) {
			*out = c->dyn[i].st;
			return 0;
		}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(c->db, sql, (int)len, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_error(c, rc, err, sql);
	unsigned slot = c->dyn_next++ % SQ_DYN_CACHE;
	sqlite3_finalize(c->dyn[slot].st);
	free(c->dyn[slot].sql);
	c->dyn[slot].sql = xstrndup(sql, len);
	c->dyn[slot].key = NULL;
	c->dyn[slot].st = st;
	*out = st;
	return 0;
}

int sq_stmt_dyn(store_conn_t *c, const char *sql, size_t len, sqlite3_stmt **out)
{
	return stmt_dyn(c, sql, len, out, NULL);
}

int sq_stmt_const(store_conn_t *c, const char *sql, sqlite3_stmt **out, pa_err_t *err)
{
	*out = NULL;
	if (!c)
		return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "no database connection");
	int rc = stmt_dyn(c, sql, strlen(sql), out, err);
	if (rc == 0) {
		for (size_t i = 0; i < SQ_DYN_CACHE; i++)
			if (c->dyn[i].st == *out)
				c->dyn[i].key = sql;
	}
	return rc;
}

int sq_read_begin(store_conn_t *c)
{
	if (!c || c->writer)
		return 0; /* the writer reads inside its own transaction */
	if (c->read_depth++ > 0)
		return 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_READ_BEGIN, &st, NULL);
	if (rc == 0) {
		rc = sq_step(c, st, NULL);
		sq_done(st);
	}
	if (rc < 0)
		c->read_depth = 0;
	return rc < 0 ? rc : 0;
}

void sq_read_end(store_conn_t *c)
{
	if (!c || c->writer || c->read_depth == 0)
		return;
	if (--c->read_depth == 0) {
		sqlite3_stmt *st;
		if (sq_stmt(c, SQ_COMMIT, &st, NULL) == 0) {
			sq_step(c, st, NULL);
			sq_done(st);
		}
	}
}

static void conn_close(store_conn_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SQ__COUNT; i++)
		sqlite3_finalize(c->stmts[i]);
	for (size_t i = 0; i < SQ_DYN_CACHE; i++) {
		sqlite3_finalize(c->dyn[i].st);
		free(c->dyn[i].sql);
	}
	/* Statements still open here would be a leak — but FTS5 (the search
	 * tables) keeps statements of its own on the connection, which it
	 * finalizes when sqlite3_close disconnects it: never finalize others'
	 * statements.  A leak shows as SQLITE_BUSY; then close when they end. */
	int rc = sqlite3_close(c->db);
	if (rc != SQLITE_OK) {
		sqlite3_stmt *st = sqlite3_next_stmt(c->db, NULL);
		log_error("store: closing %s: %s (statement left open: %s)", c->s->path,
		          sqlite3_errstr(rc), st ? sqlite3_sql(st) : "none");
		sqlite3_close_v2(c->db);
	}
	free(c);
}

static int conn_pragmas(store_conn_t *c, bool writer, bool sync_normal, pa_err_t *err)
{
	char sql[256];
	if (!writer) {
		snprintf(sql, sizeof(sql),
		         "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -%d; "
		         "PRAGMA foreign_keys = ON;",
		         STORE_READER_CACHE_KIB);
		return sq_exec(c, sql, err);
	}
	/* journal_mode answers with the mode in effect: make sure it is WAL */
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = sq_error(c, rc, err, "PRAGMA journal_mode = WAL");
		sqlite3_finalize(st);
		return rc;
	}
	const char *mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || strcmp(mode, "wal") != 0) {
		rc = pa_fail(err, PA_EUNAVAIL, "unavailable", NULL,
		             "%s: cannot use write-ahead logging (journal mode %s)", c->s->path,
		             mode ? mode : "?");
		sqlite3_finalize(st);
		return rc;
	}
	sqlite3_finalize(st);
	/* journal_size_limit, what the WAL file is cut to when it restarts: a
	 * full cycle and one interval more, and the WAL header — so under load
	 * the file is reused, not cut and grown again (about 280 MB) */
	long long wal_limit =
		((long long)c->s->inline_pages + c->s->ckpt_pages) * STORE_WAL_FRAME_BYTES + 32;
	snprintf(sql, sizeof(sql),
	         "PRAGMA synchronous = %s; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
	         "PRAGMA cache_size = -%d; PRAGMA journal_size_limit = %lld;",
	         sync_normal ? "NORMAL" : "FULL", STORE_WRITER_CACHE_KIB, wal_limit);
	return sq_exec(c, sql, err);
}

static int conn_open(store_t *s, const char *path, bool writer, store_conn_t **out,
                     pa_err_t *err)
{
	*out = NULL;
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
	            (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
	sqlite3 *db = NULL;
	/* the writer's COMMIT writes its WAL frames in one go (wal_buffer.c) */
	const char *vfs = writer && wal_buffer_register() == SQLITE_OK ? WAL_BUFFER_VFS : NULL;
	int rc = sqlite3_open_v2(path, &db, flags, vfs);
	if (rc != SQLITE_OK) {
		const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
		log_warn("store: cannot open %s: %s", path, msg);
		pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "cannot open %s: %s", path, msg);
		sqlite3_close(db);
		return PA_EUNAVAIL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, s->busy_timeout_ms);
	store_conn_t *c = xcalloc(1, sizeof(*c));
	c->hdr.eng = &store_sqlite_engine;
	c->s = s;
	c->db = db;
	c->writer = writer;
	if ((rc = sq_search_register(db)) != SQLITE_OK) {
		pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "cannot register SQL functions: %s",
		        sqlite3_errstr(rc));
		conn_close(c);
		return PA_EUNAVAIL;
	}
	rc = conn_pragmas(c, writer, s->synchronous_normal, err);
	if (rc < 0) {
		conn_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

sqlite3 *store_sqlite_db(store_conn_t *c)
{
	return c ? c->db : NULL;
}

static int read_user_version(store_conn_t *c, int *version, pa_err_t *err)
{
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_USER_VERSION, &st, err);
	if (rc < 0)
		return rc;
	rc = sq_step(c, st, err);
	*version = rc == SQ_ROW ? sqlite3_column_int(st, 0) : 0;
	sq_done(st);
	return rc < 0 ? rc : 0;
}

static int check_not_too_new(int version, pa_err_t *err)
{
	if (version <= sq_schema_latest)
		return 0;
	return pa_fail(err, PA_EINVAL, "schema-too-new", "database",
	               "the database has schema version %d but this pingan knows versions up to "
	               "%d: use a newer pingan or restore a backup made by this one",
	               version, sq_schema_latest);
}

/* ---- readers ------------------------------------------------------------------------ */

static void reader_unlink(store_t *s, store_conn_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->readers = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* The key's destructor: a thread that exits closes its read connection. */
static void reader_release(void *p)
{
	store_conn_t *c = p;
	store_t *s = c->s;
	pthread_mutex_lock(&s->readers_mu);
	reader_unlink(s, c);
	pthread_mutex_unlock(&s->readers_mu);
	conn_close(c);
}

store_conn_t *sq_reader(store_t *s)
{
	if (!s)
		return NULL;
	/* inside a tx function: read what the transaction wrote */
	if (tl_writer_of == s)
		return s->wconn;
	store_conn_t *c = pthread_getspecific(s->reader_key);
	if (c)
		return c;
	if (conn_open(s, s->path, false, &c, NULL) < 0)
		return NULL;
	pthread_mutex_lock(&s->readers_mu);
	c->next = s->readers;
	if (s->readers)
		s->readers->prev = c;
	s->readers = c;
	pthread_mutex_unlock(&s->readers_mu);
	if (pthread_setspecific(s->reader_key, c) != 0) {
		reader_release(c);
		return NULL;
	}
	return c;
}

/* ---- the checkpointer ------------------------------------------------------------------ */

/* The writer connection's WAL hook (after each COMMIT, on the writer thread). */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	store_t *s = arg;
	/* a WAL that restarted holds only this COMMIT's frames */
	atomic_fetch_add_explicit(&s->wal_frames, pages >= s->wal_last ? pages - s->wal_last : pages,
	                          memory_order_relaxed);
	s->wal_last = pages;
	if (pages >= s->inline_pages) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		return SQLITE_OK;
	}
	/* Once per STORE_WAL_CKPT_PAGES new pages, not after every COMMIT past
	 * the mark: a PASSIVE checkpoint copies only the frames added since the
	 * last one but fsyncs the WAL each time (and the database file when it
	 * copied everything), and under a write load the WAL stays past the
	 * mark (readers keep it from restarting), so waking it per COMMIT meant
	 * a sync and a wake-up per batch.  A WAL that restarted (fewer pages
	 * than at the last wake) is past the mark again after
	 * STORE_WAL_CKPT_PAGES pages. */
	if (pages >= s->ckpt_pages &&
	    (pages <= s->ckpt_woken_at || pages - s->ckpt_woken_at >= s->ckpt_pages)) {
		s->ckpt_woken_at = pages;
		pthread_mutex_lock(&s->ckpt_mu);
		if (!s->ckpt_wanted) {
			s->ckpt_wanted = true;
			pthread_cond_signal(&s->ckpt_cv);
		}
		pthread_mutex_unlock(&s->ckpt_mu);
	}
	return SQLITE_OK;
}

static void *ckpt_main(void *arg)
{
	store_t *s = arg;
	pthread_setname_np(pthread_self(), "pa-checkpoint");
	pthread_mutex_lock(&s->ckpt_mu);
	for (;;) {
		while (!s->ckpt_wanted && !s->ckpt_stopping)
			pthread_cond_wait(&s->ckpt_cv, &s->ckpt_mu);
		if (s->ckpt_stopping)
			break;
		s->ckpt_wanted = false;
		pthread_mutex_unlock(&s->ckpt_mu);
		int rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL,
		                                   NULL);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("store: checkpoint: %s", sqlite3_errmsg(s->ckpt_db));
		pthread_mutex_lock(&s->ckpt_mu);
		s->checkpoints++;
	}
	pthread_mutex_unlock(&s->ckpt_mu);
	return NULL;
}

/* Opens the checkpointer's connection and starts it; on failure the writer
 * keeps SQLite's automatic checkpoint (nothing is lost but the speed). */
static void ckpt_start(store_t *s)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(s->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	        SQLITE_OK ||
	    sqlite3_busy_timeout(db, s->busy_timeout_ms) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
		log_warn("store: no checkpointer thread (%s): the writer checkpoints",
		         db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return;
	}
	s->ckpt_db = db;
	if (pthread_create(&s->ckpt, NULL, ckpt_main, s) != 0) {
		log_warn("store: cannot start the checkpointer thread: the writer checkpoints");
		sqlite3_close(db);
		s->ckpt_db = NULL;
		return;
	}
	s->ckpt_started = true;
	/* replaces the automatic checkpoint (sqlite3_wal_autocheckpoint's hook) */
	sqlite3_wal_hook(s->wconn->db, wal_hook, s);
}

static void ckpt_stop(store_t *s)
{
	if (!s->ckpt_started)
		return;
	pthread_mutex_lock(&s->ckpt_mu);
	s->ckpt_stopping = true;
	pthread_cond_signal(&s->ckpt_cv);
	pthread_mutex_unlock(&s->ckpt_mu);
	pthread_join(s->ckpt, NULL);
	s->ckpt_started = false;
	sqlite3_close(s->ckpt_db);
	s->ckpt_db = NULL;
}

/* ---- the writer ------------------------------------------------------------------------ */

void sq_search_queue(store_tx_t *tx, pa_id_t case_id, bool is_new)
{
	store_t *s = tx->s;
	if (s->nsearch_q == s->search_q_cap) {
		s->search_q_cap = s->search_q_cap ? 2 * s->search_q_cap : 64;
		s->search_q = xrealloc(s->search_q, st_mult(s->search_q_cap, sizeof(*s->search_q)));
	}
	s->search_q[s->nsearch_q++] = (struct search_queued){ case_id, is_new };
}

static int cmp_id(const void *x, const void *y)
{
	pa_id_t a = *(const pa_id_t *)x, b = *(const pa_id_t *)y;
	return a < b ? -1 : a > b;
}

static size_t sort_unique(pa_id_t *ids, size_t n)
{
	if (n < 2)
		return n;
	qsort(ids, n, sizeof(*ids), cmp_id);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	return k;
}

/* Writes the search rows of the cases the batch's jobs queued (sqlite_search.c). */
static int index_queued(store_t *s, pa_err_t *err)
{
	size_t n = s->nsearch_q;
	if (n == 0)
		return 0;
	pa_id_t *fresh = xmalloc(st_mult(n, sizeof(*fresh)));
	pa_id_t *noted = xmalloc(st_mult(n, sizeof(*noted)));
	size_t nnew = 0, nnotes = 0;
	for (size_t i = 0; i < n; i++) {
		if (s->search_q[i].is_new)
			fresh[nnew++] = s->search_q[i].id;
		else
			noted[nnotes++] = s->search_q[i].id;
	}
	s->nsearch_q = 0;
	int rc = sq_search_index(s->wconn, fresh, sort_unique(fresh, nnew), noted,
	                         sort_unique(noted, nnotes), err);
	free(fresh);
	free(noted);
	return rc;
}

/* Every job of the batch that has not failed on its own gets PA_EUNAVAIL. */
static void fail_batch(struct store_job *first, size_t n, const char *why)
{
	struct store_job *j = first;
	for (size_t i = 0; i < n; i++, j = j->next) {
		if (j->result < 0)
			continue;
		j->result = pa_fail(&j->err, PA_EUNAVAIL, "unavailable", NULL,
		                    "the write was not saved: %s", why);
		j->err.retry_after = 1;
	}
}

/* A bug in a tx function may leave a statement mid-step; that would block COMMIT. */
static void reset_busy_statements(store_conn_t *c)
{
	for (sqlite3_stmt *st = sqlite3_next_stmt(c->db, NULL); st; st = sqlite3_next_stmt(c->db, st)) {
		if (sqlite3_stmt_busy(st)) {
			log_warn("store: write function left a statement running: %s", sqlite3_sql(st));
			sqlite3_reset(st);
		}
	}
}

/* ---- the writer batch (sqlite_internal.h, "the writer batch") ---------------------------- */

sq_batch_t *sq_tx_batch(store_tx_t *tx)
{
	return tx->batch;
}

/* Forgets everything the batch recorded (its start, and after its end). */
static void batch_clear(sq_batch_t *b)
{
	memset(&b->st, 0, sizeof(b->st));
	if (b->arena)
		arena_reset(b->arena);
}

/* Writes what the batch's jobs recorded; the batch is cleared either way. */
static int batch_flush(store_t *s, pa_err_t *err)
{
	store_tx_t tx = { { &store_sqlite_engine }, s, s->wconn, err, NULL };
	int rc = sq_batch_flush_deltas(&tx, &s->batch);
	if (rc >= 0)
		rc = sq_batch_flush_audit(&tx, &s->batch);
	if (rc >= 0)
		rc = sq_batch_flush_counters(&tx, &s->batch);
	batch_clear(&s->batch);
	return rc;
}

static void batch_free(sq_batch_t *b)
{
	free(b->deltas);
	free(b->counters);
	if (b->arena)
		arena_free(b->arena);
	memset(b, 0, sizeof(*b));
}

static void run_job(store_t *s, struct store_job *j)
{
	if (!j->raw && !s->batch.arena)
		s->batch.arena = arena_new();
	store_tx_t tx = { { &store_sqlite_engine }, s, s->wconn, &j->err,
		              j->raw ? NULL : &s->batch };
	int rc = j->fn(&tx, j->ctx);
	reset_busy_statements(s->wconn);
	j->result = rc < 0 ? rc : 0;
}

/* While the syncer is still busy with earlier batches, a COMMIT now would
 * not be answered any sooner: its fdatasync could not start before the
 * running one ends.  So the batch takes in the jobs queued meanwhile
 * (ordinary ones, up to STORE_MAX_BATCH in all) and commits once the
 * syncer is free or nothing more is queued.  Larger batches share the pages
 * every COMMIT writes (the tails of the append-only tables, the interior
 * pages above them, the batch's aggregates), so each write costs the writer
 * less.  Appends the jobs taken after *last; returns the first, or NULL. */
static struct store_job *take_more(store_t *s, struct store_job **last, size_t *n)
{
	if (!s->pipelined || *n >= STORE_MAX_BATCH ||
	    !atomic_load_explicit(&s->sync_busy, memory_order_acquire))
		return NULL;
	pthread_mutex_lock(&s->mu);
	struct store_job *more = s->head, *end = NULL;
	size_t k = 0;
	for (struct store_job *j = more; j && !j->raw && *n + k < STORE_MAX_BATCH; j = j->next) {
		end = j;
		k++;
	}
	if (!end) {
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	s->head = end->next;
	if (!s->head)
		s->tail = NULL;
	end->next = NULL;
	pthread_mutex_unlock(&s->mu);
	for (struct store_job *j = more; j; j = j->next)
		j->result = 0;
	(*last)->next = more;
	*last = end;
	*n += k;
	return more;
}

/* Runs the jobs linked from first to *last (*n of them) in one transaction,
 * with those take_more() adds; true when it committed. */
static bool run_batch(store_t *s, struct store_job *first, struct store_job **last, size_t *np)
{
	store_conn_t *c = s->wconn;
	pa_err_t err = { 0 };
	struct store_job *j;

	for (j = first; j; j = j->next)
		j->result = 0;
	/* A job alone in its batch runs without a savepoint: a failure rolls back
	 * the whole transaction instead.  Besides two statements, that saves the
	 * statement journals' cost: inside a savepoint, SQLite truncates the
	 * in-memory sub-journal back to each statement's start by walking it from
	 * its first 1 KiB chunk, so a large job (pingan seed's thousands of cases)
	 * paid for every statement in proportion to all it had written so far. */
	bool alone = *np == 1;  /* only the first job can be: take_more() runs after it */
	batch_clear(&s->batch);

	if (run_raw(c, SQ_BEGIN, &err) < 0) {
		fail_batch(first, *np, err.detail);
		return false;
	}
	bool broken = false;
	for (j = first; j; j = j->next ? j->next : broken ? NULL : take_more(s, last, np)) {
		if (j != first)
			alone = false;
		if (broken) {
			j->result = pa_fail(&j->err, PA_EUNAVAIL, "unavailable", NULL,
			                    "the write was not run: %s", err.detail);
			j->err.retry_after = 1;
			continue;
		}
		/* a checked job (store_write_checked) has no savepoint: see below */
		bool guarded = !alone && !j->checked;
		if (guarded && run_raw(c, SQ_SAVEPOINT, &j->err) < 0) {
			j->result = j->err.code;
			continue;
		}
		int64_t changes = sqlite3_total_changes64(c->db);
		size_t queued = s->nsearch_q;
		sq_batch_mark_t mark = s->batch.st;
		run_job(s, j);
		if (j->result < 0) {
			s->nsearch_q = queued;  /* its rows are rolled back below */
			s->batch.st = mark;     /* and so are its deferred ones */
		}
		if (sqlite3_get_autocommit(c->db)) {
			/* SQLite rolled the whole transaction back after an error */
			pa_fail(&err, PA_EUNAVAIL, "unavailable", NULL,
			        "the transaction was rolled back after an error");
			broken = true;
			continue;
		}
		if (alone) {
			if (j->result < 0) {
				/* nothing else to commit: roll the transaction back */
				s->nsearch_q = 0;
				batch_clear(&s->batch);
				run_raw(c, SQ_ROLLBACK, NULL);
				return false;
			}
			continue;
		}
		if (!guarded) {
			/* A checked job refused by its checks changed no row: nothing to
			 * undo.  One that failed after changing rows cannot be undone
			 * alone, so nothing of the batch is kept. */
			if (j->result < 0 && sqlite3_total_changes64(c->db) != changes) {
				log_warn("store: a checked write failed after writing (%s): its batch of "
				         "%zu is rolled back", j->err.detail, *np);
				pa_fail(&err, PA_EUNAVAIL, "unavailable", NULL,
				        "the transaction was rolled back after an error");
				broken = true;
			}
			continue;
		}
		if (j->result < 0 && run_raw(c, SQ_ROLLBACK_TO, &err) < 0)
			broken = true;
		if (!broken && run_raw(c, SQ_RELEASE, &err) < 0)
			broken = true;
	}
	/* after every savepoint is released: see sqlite_search.c, "indexing" */
	if (!broken && index_queued(s, &err) < 0)
		broken = true;
	s->nsearch_q = 0;
	/* the rows the jobs deferred to the batch (sqlite_internal.h) */
	if (!broken && batch_flush(s, &err) < 0)
		broken = true;
	batch_clear(&s->batch);
	if (broken) {
		if (!sqlite3_get_autocommit(c->db))
			run_raw(c, SQ_ROLLBACK, NULL);
		fail_batch(first, *np, err.detail);
		return false;
	}
	if (run_raw(c, SQ_COMMIT, &err) < 0) {
		if (!sqlite3_get_autocommit(c->db))
			run_raw(c, SQ_ROLLBACK, NULL);
		fail_batch(first, *np, err.detail);
		return false;
	}
	pthread_mutex_lock(&s->mu);
	s->commits++;
	pthread_mutex_unlock(&s->mu);
	return true;
}

/* ---- pipelined commit: the syncer ------------------------------------------------------- */

/* Marks the jobs linked from first done and wakes their callers: one
 * FUTEX_WAKE each and no lock, where a condition variable signalled under
 * s->mu woke each caller only to have it wait for s->mu (a second sleep and
 * wake-up per job, and the writer and new callers kept off s->mu meanwhile).
 * A caller may return (its job lives on its stack) as soon as it sees done,
 * so j->next is read first and nothing of j is touched after the store but
 * the wake on its address — a wake that finds nobody there, or a later
 * sleeper at the same address that then checks its own word and sleeps on,
 * is harmless. */
static void answer_jobs(store_t *s, struct store_job *first)
{
	(void)s;
	for (struct store_job *j = first, *next; j; j = next) {
		next = j->next;
		atomic_uint *w = &j->done;
		atomic_store_explicit(w, 1, memory_order_release);
		syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
}

/* Sleeps until answer_jobs() marks the caller's job done. */
static void wait_answer(struct store_job *j)
{
	while (atomic_load_explicit(&j->done, memory_order_acquire) == 0)
		syscall(SYS_futex, &j->done, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* Hands a committed batch to the syncer, which answers it once the WAL is on disk. */
static void sync_enqueue(store_t *s, struct store_job *first, struct store_job *last)
{
	pthread_mutex_lock(&s->sync_mu);
	if (s->sync_tail)
		s->sync_tail->next = first;
	else
		s->sync_head = first;
	s->sync_tail = last;
	atomic_store_explicit(&s->sync_busy, true, memory_order_release);
	pthread_cond_signal(&s->sync_cv);
	pthread_mutex_unlock(&s->sync_mu);
}

/* Puts the calling thread (the writer or the syncer) ahead of the rest.
 * Every write in the store waits for these two, and each keeps at most one
 * CPU busy; under a load that fills the CPUs they otherwise take turns with
 * the request threads whose work they are there to finish.  Lowering a nice
 * value needs CAP_SYS_NICE or an RLIMIT_NICE that allows it (systemd:
 * LimitNICE=-10, docs/operations.md); without, the thread keeps the
 * process's priority and the store says so once. */
static void raise_priority(const char *who)
{
	static atomic_bool told;
	int target = STORE_WRITER_NICE;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	errno = 0;
	int cur = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno != 0 || cur <= target)
		return;
	if (setpriority(PRIO_PROCESS, (id_t)tid, target) != 0 &&
	    !atomic_exchange(&told, true))
		log_info("store: the %s thread keeps nice %d (%s): under a full CPU load writes "
		         "slow down; allow nice %d (CAP_SYS_NICE, or LimitNICE=%d in the service "
		         "unit) to let it go first", who, cur, strerror(errno), target, target);
}

static void *syncer_main(void *arg)
{
	store_t *s = arg;
	pthread_setname_np(pthread_self(), "pa-syncer");
	raise_priority("syncer");
	pthread_mutex_lock(&s->sync_mu);
	for (;;) {
		while (!s->sync_head && !s->sync_stopping)
			pthread_cond_wait(&s->sync_cv, &s->sync_mu);
		if (!s->sync_head)
			break;  /* stopping and drained */
		struct store_job *first = s->sync_head;
		s->sync_head = s->sync_tail = NULL;
		pthread_mutex_unlock(&s->sync_mu);
		/* Every COMMIT of these batches returned before this call, so their
		 * WAL frames are in the page cache of the file this fd is open on.
		 * A failed fdatasync may have dropped dirty pages that a retry would
		 * report as clean: nothing written since the last good sync can be
		 * trusted to be on disk, and those writes must not be acknowledged
		 * — stop the process (PostgreSQL's rule since 2018).  On restart,
		 * SQLite recovers the WAL from what the disk really holds. */
		if (fdatasync(s->wal_fd) != 0) {
			log_error("store: fdatasync of %s-wal failed: %s; stopping without answering "
			          "the writes it should have made durable",
			          s->path, strerror(errno));
			abort();
		}
		answer_jobs(s, first);
		pthread_mutex_lock(&s->sync_mu);
		if (!s->sync_head)
			atomic_store_explicit(&s->sync_busy, false, memory_order_release);
	}
	pthread_mutex_unlock(&s->sync_mu);
	return NULL;
}

/* Turns pipelined commit on: opens the WAL file, puts the writer connection
 * to synchronous=NORMAL and starts the syncer.  If any step fails the writer
 * keeps synchronous=FULL (COMMIT syncs, the writer answers). */
static void pipeline_start(store_t *s)
{
	if (s->synchronous_normal)
		return;
	size_t len = strlen(s->path) + sizeof("-wal");
	char *wal = xmalloc(len);
	snprintf(wal, len, "%s-wal", s->path);
	s->wal_fd = open(wal, O_RDWR | O_CLOEXEC);
	if (s->wal_fd < 0) {
		log_warn("store: cannot open %s (%s): commits sync on the writer", wal, strerror(errno));
		free(wal);
		return;
	}
	free(wal);
	if (sqlite3_exec(s->wconn->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		close(s->wal_fd);
		s->wal_fd = -1;
		return;
	}
	if (pthread_create(&s->syncer, NULL, syncer_main, s) != 0) {
		log_warn("store: cannot start the syncer thread: commits sync on the writer");
		sqlite3_exec(s->wconn->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL);
		close(s->wal_fd);
		s->wal_fd = -1;
		return;
	}
	s->syncer_started = true;
	s->pipelined = true;
}

/* After the writer has stopped: answers what is left and stops the syncer. */
static void pipeline_stop(store_t *s)
{
	if (s->syncer_started) {
		pthread_mutex_lock(&s->sync_mu);
		s->sync_stopping = true;
		pthread_cond_signal(&s->sync_cv);
		pthread_mutex_unlock(&s->sync_mu);
		pthread_join(s->syncer, NULL);
		s->syncer_started = false;
	}
	s->pipelined = false;
	if (s->wal_fd >= 0) {
		close(s->wal_fd);
		s->wal_fd = -1;
	}
}

static void *writer_main(void *arg)
{
	store_t *s = arg;
	pthread_setname_np(pthread_self(), "pa-writer");
	raise_priority("writer");
	tl_writer_of = s;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->work_cv, &s->mu);
		if (!s->head)
			break;  /* closing and drained */

		/* take a raw job alone, else up to STORE_MAX_BATCH ordinary ones */
		struct store_job *first = s->head, *last = first;
		size_t n = 1;
		if (!first->raw) {
			while (last->next && !last->next->raw && n < STORE_MAX_BATCH) {
				last = last->next;
				n++;
			}
		}
		s->head = last->next;
		if (!s->head)
			s->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&s->mu);

		bool committed = true;
		if (first->raw) {
			run_job(s, first);
			if (s->nsearch_q) {
				/* a raw job (a migration) manages its own transactions:
				 * index what it inserted in one more */
				pa_err_t ierr = { 0 };
				if (run_raw(s->wconn, SQ_BEGIN, &ierr) < 0 || index_queued(s, &ierr) < 0 ||
				    run_raw(s->wconn, SQ_COMMIT, &ierr) < 0) {
					log_error("store: search rows of a raw write not indexed: %s",
					          ierr.detail);
					if (!sqlite3_get_autocommit(s->wconn->db))
						run_raw(s->wconn, SQ_ROLLBACK, NULL);
				}
				s->nsearch_q = 0;
			}
		} else {
			committed = run_batch(s, first, &last, &n);
		}

		pthread_mutex_lock(&s->mu);
		s->writes += (int64_t)n;
		pthread_mutex_unlock(&s->mu);
		/* A batch that committed is answered once its COMMIT is on disk: by
		 * COMMIT itself (synchronous=FULL), or by the syncer while this
		 * thread runs the next batch.  One that did not commit has nothing
		 * to wait for. */
		if (committed && s->pipelined)
			sync_enqueue(s, first, last);
		else
			answer_jobs(s, first);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	tl_writer_of = NULL;
	return NULL;
}

static int submit(store_t *s, store_tx_fn fn, void *ctx, bool raw, bool checked, pa_err_t *err)
{
	if (!s || !fn)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "sq_write without a function");
	if (tl_writer_of == s)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL,
		               "sq_write called from inside a write function");
	if (s->read_only || !s->writer_started)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "the store is read-only");

	struct store_job job = { .fn = fn, .ctx = ctx, .raw = raw, .checked = checked };
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "the store is closing");
	}
	if (s->tail)
		s->tail->next = &job;
	else
		s->head = &job;
	s->tail = &job;
	pthread_cond_signal(&s->work_cv);
	pthread_mutex_unlock(&s->mu);
	wait_answer(&job);

	if (job.result < 0) {
		if (job.err.code == 0)
			pa_fail(&job.err, job.result, "internal", NULL, "write failed: %s",
			        pa_strerror(job.result));
		job.err.code = job.result;
		if (err)
			*err = job.err;
	}
	return job.result;
}

int sq_write(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err)
{
	return submit(s, fn, ctx, false, false, err);
}

int sq_write_checked(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err)
{
	return submit(s, fn, ctx, false, true, err);
}

store_conn_t *sq_tx_conn(store_tx_t *tx)
{
	return tx->conn;
}

pa_err_t *sq_tx_err(store_tx_t *tx)
{
	return tx->err;
}

void sq_fault_inject(store_t *s, int nth)
{
	atomic_store(&s->fault_countdown, nth > 0 ? nth : 0);
}

void sq_stats(store_t *s, int64_t *commits, int64_t *writes)
{
	pthread_mutex_lock(&s->mu);
	if (commits)
		*commits = s->commits;
	if (writes)
		*writes = s->writes;
	pthread_mutex_unlock(&s->mu);
}

void store_sqlite_wal_stats(store_t *s, int64_t *passes, int64_t *frames)
{
	pthread_mutex_lock(&s->ckpt_mu);
	*passes = s->checkpoints;
	pthread_mutex_unlock(&s->ckpt_mu);
	*frames = atomic_load_explicit(&s->wal_frames, memory_order_relaxed);
}

size_t store_sqlite_queued(store_t *s)
{
	size_t n = 0;
	pthread_mutex_lock(&s->mu);
	for (struct store_job *j = s->head; j; j = j->next)
		n++;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* ---- open and close ------------------------------------------------------------------- */

/* SQLite keeps memory statistics by default, under one process-wide mutex
 * taken by every allocation — and Debian's build has no lookaside, so a
 * query allocates often: 32 reader threads queue on that mutex.  Nothing
 * reads the statistics; turned off before SQLite initializes (a later call
 * fails harmlessly when something else initialized it first). */
static pthread_once_t sqlite_config_once = PTHREAD_ONCE_INIT;

static void sqlite_config(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int sq_open(const store_options_t *opt, store_t **out, pa_err_t *err)
{
	*out = NULL;
	if (!opt || !opt->path || !opt->path[0])
		return pa_fail(err, PA_EINVAL, "validation", "path", "no database path given");
	if (strcmp(opt->path, ":memory:") == 0 || strncmp(opt->path, "file:", 5) == 0)
		return pa_fail(err, PA_EINVAL, "validation", "path",
		               "the database must be a file shared by all connections");

	pthread_once(&sqlite_config_once, sqlite_config);
	store_t *s = xcalloc(1, sizeof(*s));
	s->hdr.eng = &store_sqlite_engine;
	s->path = xstrdup(opt->path);
	s->busy_timeout_ms = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : STORE_BUSY_TIMEOUT_MS;
	s->ckpt_pages = opt->wal_ckpt_pages > 0 ? opt->wal_ckpt_pages : STORE_WAL_CKPT_PAGES;
	s->inline_pages = opt->wal_inline_pages > 0 ? opt->wal_inline_pages : STORE_WAL_INLINE_PAGES;
	if (s->inline_pages < s->ckpt_pages)
		s->inline_pages = s->ckpt_pages;
	s->read_only = opt->read_only;
	s->synchronous_normal = opt->synchronous_normal;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work_cv, NULL);
	pthread_mutex_init(&s->readers_mu, NULL);
	pthread_mutex_init(&s->ckpt_mu, NULL);
	pthread_cond_init(&s->ckpt_cv, NULL);
	pthread_mutex_init(&s->sync_mu, NULL);
	pthread_cond_init(&s->sync_cv, NULL);
	s->wal_fd = -1;
	atomic_init(&s->fault_countdown, 0);
	atomic_init(&s->sync_busy, false);
	if (pthread_key_create(&s->reader_key, reader_release) != 0) {
		pthread_cond_destroy(&s->work_cv);
		pthread_mutex_destroy(&s->mu);
		pthread_mutex_destroy(&s->readers_mu);
		pthread_cond_destroy(&s->ckpt_cv);
		pthread_mutex_destroy(&s->ckpt_mu);
		pthread_cond_destroy(&s->sync_cv);
		pthread_mutex_destroy(&s->sync_mu);
		free(s->path);
		free(s);
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "out of thread-local keys");
	}

	int version = 0;
	int rc;
	if (s->read_only) {
		store_conn_t *c = sq_reader(s);
		rc = c ? read_user_version(c, &version, err)
		       : pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "cannot open %s", s->path);
	} else {
		rc = conn_open(s, s->path, true, &s->wconn, err);
		if (rc == 0)
			rc = read_user_version(s->wconn, &version, err);
	}
	if (rc == 0)
		rc = check_not_too_new(version, err);
	if (rc == 0 && !s->read_only) {
		/* signals are for the threads that handle them, never the writer */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		ckpt_start(s);
		pipeline_start(s);
		if (pthread_create(&s->writer, NULL, writer_main, s) != 0)
			rc = pa_fail(err, PA_EINTERNAL, "internal", NULL, "cannot start the writer thread");
		else
			s->writer_started = true;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (rc < 0) {
		sq_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void sq_close(store_t *s)
{
	if (!s)
		return;
	if (s->writer_started) {
		pthread_mutex_lock(&s->mu);
		s->stopping = true;
		pthread_cond_signal(&s->work_cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->writer, NULL);
	}
	pipeline_stop(s);
	ckpt_stop(s);
	/* after this no thread's exit runs reader_release for this store */
	pthread_key_delete(s->reader_key);
	pthread_mutex_lock(&s->readers_mu);
	while (s->readers) {
		store_conn_t *c = s->readers;
		reader_unlink(s, c);
		conn_close(c);
	}
	pthread_mutex_unlock(&s->readers_mu);
	conn_close(s->wconn);  /* the last connection checkpoints the WAL */
	pthread_mutex_destroy(&s->readers_mu);
	pthread_cond_destroy(&s->ckpt_cv);
	pthread_mutex_destroy(&s->ckpt_mu);
	pthread_cond_destroy(&s->sync_cv);
	pthread_mutex_destroy(&s->sync_mu);
	pthread_cond_destroy(&s->work_cv);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s->search_q);
	batch_free(&s->batch);
	free(s);
}

/* ---- migrations ------------------------------------------------------------------------- */

struct migrate_ctx {
	int from, to;
};

static int migrate_one(store_conn_t *c, int v, pa_err_t *err)
{
	int rc = run_raw(c, SQ_BEGIN, err);
	if (rc < 0)
		return rc;
	rc = sq_exec(c, sq_migrations[v], err);
	if (rc == 0) {
		/* the script ran with foreign keys off: check what it left */
		sqlite3_stmt *st = NULL;
		int src = sqlite3_prepare_v2(c->db, "PRAGMA foreign_key_check", -1, &st, NULL);
		if (src == SQLITE_OK)
			src = sqlite3_step(st);
		if (src == SQLITE_ROW)
			rc = pa_fail(err, PA_EINTERNAL, "migration-failed", NULL,
			             "migration %d leaves rows of %s with a broken foreign key", v,
			             (const char *)sqlite3_column_text(st, 0));
		else if (src != SQLITE_DONE)
			rc = sq_error(c, src, err, "PRAGMA foreign_key_check");
		sqlite3_finalize(st);
	}
	if (rc == 0) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
		rc = sq_exec(c, sql, err);
	}
	if (rc == 0)
		rc = run_raw(c, SQ_COMMIT, err);
	if (rc < 0) {
		if (!sqlite3_get_autocommit(c->db))
			run_raw(c, SQ_ROLLBACK, NULL);
		if (err && strcmp(err->type, "migration-failed") != 0) {
			char why[sizeof(err->detail)];
			snprintf(why, sizeof(why), "%s", err->detail);
			pa_fail(err, rc, "migration-failed", NULL, "migration %d failed: %.200s", v, why);
		}
	}
	return rc;
}

static int migrate_fn(store_tx_t *tx, void *arg)
{
	struct migrate_ctx *m = arg;
	store_conn_t *c = tx->conn;
	int cur;
	int rc = read_user_version(c, &cur, tx->err);
	if (rc < 0)
		return rc;
	m->from = m->to = cur;
	rc = check_not_too_new(cur, tx->err);
	if (rc < 0 || cur == sq_schema_latest)
		return rc;
	rc = sq_exec(c, "PRAGMA foreign_keys = OFF", tx->err);
	for (int v = cur + 1; rc == 0 && v <= sq_schema_latest; v++) {
		rc = migrate_one(c, v, tx->err);
		if (rc == 0) {
			m->to = v;
			log_info("store: %s: schema migrated to version %d", c->s->path, v);
		}
	}
	int rc2 = sq_exec(c, "PRAGMA foreign_keys = ON", rc < 0 ? NULL : tx->err);
	return rc < 0 ? rc : rc2;
}

int sq_migrate(store_t *s, int *from, int *to, pa_err_t *err)
{
	struct migrate_ctx m = { 0, 0 };
	int rc = submit(s, migrate_fn, &m, true, false, err);
	if (from)
		*from = m.from;
	if (to)
		*to = m.to;
	return rc;
}

int sq_schema_version(store_t *s, int *version)
{
	*version = 0;
	return read_user_version(sq_reader(s), version, NULL);
}

/* ---- backup -------------------------------------------------------------------------------- */

static int fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int fsync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return fsync_path(".", true);
	if (slash == path)
		return fsync_path("/", true);
	char *dir = xstrndup(path, (size_t)(slash - path));
	int rc = fsync_path(dir, true);
	free(dir);
	return rc;
}

/*
 * The copy is made through a fresh read connection holding one read
 * transaction from start to end: it copies that snapshot while the writer
 * goes on committing (without it, every commit would restart the copy).
 */
static int backup_copy(store_conn_t *src, const char *tmp, void (*progress)(double, void *),
                       void *arg, pa_err_t *err)
{
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(tmp, &dst,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = pa_fail(err, PA_EIO, "io", "dest", "cannot create %s: %s", tmp,
		             dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		sqlite3_close(dst);
		return rc;
	}
	rc = sq_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema;", err);
	if (rc < 0) {
		sqlite3_close(dst);
		return rc;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src->db, "main");
	if (!b) {
		rc = pa_fail(err, PA_EIO, "io", "dest", "cannot start the backup: %s",
		             sqlite3_errmsg(dst));
		sq_exec(src, "COMMIT", NULL);
		sqlite3_close(dst);
		return rc;
	}
	int busy = 0;
	do {
		rc = sqlite3_backup_step(b, STORE_BACKUP_STEP_PAGES);
		if (progress && rc != SQLITE_DONE) {
			int total = sqlite3_backup_pagecount(b);
			int left = sqlite3_backup_remaining(b);
			progress(total > 0 ? (double)(total - left) / total : 0.0, arg);
		}
		if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && busy++ < STORE_BACKUP_BUSY_RETRIES) {
			sqlite3_sleep(5);
			rc = SQLITE_OK;
		}
	} while (rc == SQLITE_OK);
	int frc = sqlite3_backup_finish(b);
	sq_exec(src, "COMMIT", NULL);
	if (rc == SQLITE_DONE && frc != SQLITE_OK)
		rc = frc;
	if (rc != SQLITE_DONE) {
		rc = pa_fail(err, (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR ? PA_EIO
		                                                                             : PA_EUNAVAIL,
		             "backup-failed", NULL, "backup failed: %s", sqlite3_errstr(rc));
		sqlite3_close(dst);
		return rc;
	}
	rc = sqlite3_close(dst);
	if (rc != SQLITE_OK)
		return pa_fail(err, PA_EIO, "io", "dest", "closing %s: %s", tmp, sqlite3_errstr(rc));
	return 0;
}

int sq_backup(store_t *s, const char *dest, void (*progress)(double, void *), void *arg,
                 pa_err_t *err)
{
	if (!s || !dest || !dest[0])
		return pa_fail(err, PA_EINVAL, "validation", "dest", "no backup file given");
	strbuf_t tmp = STRBUF_INIT;
	strbuf_addf(&tmp, "%s.tmp", dest);
	if (unlink(tmp.buf) != 0 && errno != ENOENT) {
		int rc = pa_fail(err, PA_EIO, "io", "dest", "cannot remove %s: %s", tmp.buf,
		                 strerror(errno));
		strbuf_release(&tmp);
		return rc;
	}

	store_conn_t *src = NULL;
	int rc = conn_open(s, s->path, false, &src, err);
	if (rc == 0)
		rc = backup_copy(src, tmp.buf, progress, arg, err);
	conn_close(src);

	if (rc == 0 && fsync_path(tmp.buf, false) != 0)
		rc = pa_fail(err, PA_EIO, "io", "dest", "fsync %s: %s", tmp.buf, strerror(errno));
	if (rc == 0 && rename(tmp.buf, dest) != 0)
		rc = pa_fail(err, PA_EIO, "io", "dest", "rename to %s: %s", dest, strerror(errno));
	if (rc == 0 && fsync_parent(dest) != 0)
		rc = pa_fail(err, PA_EIO, "io", "dest", "fsync the directory of %s: %s", dest,
		             strerror(errno));
	if (rc < 0)
		unlink(tmp.buf);
	else if (progress)
		progress(1.0, arg);
	strbuf_release(&tmp);
	return rc;
}

/* ---- restore ---------------------------------------------------------------- */

/*
 * Copies a backup over the database at db_path with the backup API (the
 * destination keeps its WAL mode and locking), after checking that the
 * backup is a sound SQLite file whose schema this binary knows.  The server
 * must be stopped: its in-memory caches would not see the change.
 */
int sq_restore(const char *backup_path, const char *db_path,
                  void (*progress)(double, void *), void *arg, pa_err_t *err)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc = sqlite3_open_v2(backup_path, &src, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		rc = pa_fail(err, PA_EINVAL, "validation", "backup", "cannot open %s: %s", backup_path,
		             src ? sqlite3_errmsg(src) : sqlite3_errstr(rc));
		sqlite3_close(src);
		return rc;
	}
	sqlite3_stmt *st = NULL;
	int version = -1;
	bool ok = false;
	if (sqlite3_prepare_v2(src, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = sqlite3_column_text(st, 0) && strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	if (ok && sqlite3_prepare_v2(src, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!ok || version < 1) {
		sqlite3_close(src);
		return pa_fail(err, PA_EINVAL, "validation", "backup",
		               "%s is not a sound Pingan backup (integrity check failed or no schema)",
		               backup_path);
	}
	if (version > sq_schema_latest) {
		sqlite3_close(src);
		return pa_fail(err, PA_EINVAL, "schema-too-new", "backup",
		               "%s has schema version %d, newer than this binary knows (%d)", backup_path,
		               version, sq_schema_latest);
	}
	rc = sqlite3_open_v2(db_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(dst, "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; "
		                       "PRAGMA synchronous = FULL;", NULL, NULL, NULL);
	sqlite3_backup *b = rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", src, "main") : NULL;
	if (!b) {
		rc = pa_fail(err, PA_EUNAVAIL, "unavailable", "database", "cannot write %s: %s", db_path,
		             dst ? sqlite3_errmsg(dst) : "open failed");
		sqlite3_close(dst);
		sqlite3_close(src);
		return rc;
	}
	do {
		rc = sqlite3_backup_step(b, STORE_BACKUP_STEP_PAGES);
		if (progress && rc == SQLITE_OK) {
			int total = sqlite3_backup_pagecount(b), left = sqlite3_backup_remaining(b);
			progress(total > 0 ? (double)(total - left) / total : 0.0, arg);
		}
	} while (rc == SQLITE_OK);
	int frc = sqlite3_backup_finish(b);
	if (rc == SQLITE_DONE)
		rc = frc == SQLITE_OK ? sqlite3_exec(dst, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL)
		                      : frc;
	int result = 0;
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		result = pa_fail(err, PA_EUNAVAIL, "unavailable", "database",
		                 "restore into %s failed: %s (is a server still running on it?)", db_path,
		                 sqlite3_errstr(rc));
	else if (progress)
		progress(1.0, arg);
	sqlite3_close(dst);
	sqlite3_close(src);
	return result;
}

/* ---- the engine table ------------------------------------------------------------------ */

const store_engine_t store_sqlite_engine = {
	.name = "sqlite",
	.caps = 0,
	.open = sq_open,
	.close = sq_close,
	.migrate = sq_migrate,
	.schema_version = sq_schema_version,
	.backup = sq_backup,
	.reader = sq_reader,
	.read_begin = sq_read_begin,
	.read_end = sq_read_end,
	.write = sq_write,
	.write_checked = sq_write_checked,
	.tx_conn = sq_tx_conn,
	.tx_err = sq_tx_err,
	.fault_inject = sq_fault_inject,
	.stats = sq_stats,
	.set_observer = sq_set_observer,
#define SQ_OP(name, params, args) .name = sq_##name,
	STORE_CONN_FUNCS(SQ_OP)
	STORE_TX_FUNCS(SQ_OP)
#undef SQ_OP
};
