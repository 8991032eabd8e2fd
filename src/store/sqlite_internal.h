/*
 * sqlite_internal.h — what the files of the SQLite engine share.
 *
 * Nothing outside src/store/ includes this, except tests/unit/test_store.c
 * for the two test seams at the end.
 *
 *   store_engine.h   the ops table every engine fills (store.c forwards to it)
 *   store_sqlite.c   connections, statement cache, error mapping, the writer
 *                    thread and its queue, readers, migrations, backup
 *   sqlite_schema.c  the migration scripts
 *   sqlite_people.c  orgs, users, memberships, sessions, API tokens
 *   sqlite_cases.c   cases, the case list, timeline, parties, attachments,
 *                    ratings
 *   sqlite_meta.c    audit log and the meta table
 *   sqlite_supervision.c  supervision orders and links between cases
 *   sqlite_outbox.c  the notification outbox, deadline alerts (case_alerts),
 *                    a unit's members
 *   sqlite_search.c  full-text search over cases (search_grams, search_notes)
 *   sqlite_indicators.c  case facts, indicator aggregates, workload, campaigns
 *
 * A store_conn_t is used by one thread only: the writer connection by the
 * writer thread (tx functions reach it through store_tx_conn()), each read
 * connection by the thread that opened it.  Hence SQLITE_OPEN_NOMUTEX and
 * no locking around statements.
 */
#ifndef PA_SQLITE_INTERNAL_H
#define PA_SQLITE_INTERNAL_H

#include "base/common.h"
#include "store/store_engine.h"
#include "store/sqlite_stmts.h"

#include <sqlite3.h>

/* Largest id list a case filter may carry (visibility, hidden accused). */
#define STORE_FILTER_IDS_MAX 512

enum sq_stmt_id {
#define SQ_ENUM(name, sql) SQ_##name,
	SQ_STATEMENTS(SQ_ENUM)
#undef SQ_ENUM
	SQ__COUNT
};

#define SQ_DYN_CACHE 48

struct store_conn {
	store_hdr_t hdr;                 /* &store_sqlite_engine */
	store_t *s;
	sqlite3 *db;
	bool writer;                     /* the writer connection: fault hook applies */
	sqlite3_stmt *stmts[SQ__COUNT];  /* prepared on first use */
	/* Statements built at run time (case lists: the WHERE depends on the
	 * filter), kept by their SQL text; replaced round robin. */
	struct { char *sql; const char *key; sqlite3_stmt *st; } dyn[SQ_DYN_CACHE];
	unsigned dyn_next;
	int read_depth;                  /* store_read_begin nesting */
	struct store_conn *prev, *next;  /* the store's list of read connections */
};

/* Prepares sql on c outside any cache (statements used once, or rarely);
 * the caller finalizes it with sqlite3_finalize. */
int sq_prepare(store_conn_t *c, const char *sql, sqlite3_stmt **st, pa_err_t *err);

/* A cached statement for SQL text built at run time (reset, bindings cleared).
 * The connection owns it: never finalize it; sq_done() after use. */
int sq_stmt_dyn(store_conn_t *c, const char *sql, size_t len, sqlite3_stmt **out);
/* The same for a string constant (its address is remembered, so a later call
 * finds it without comparing the text): for statements of store functions that
 * run often but are not in sqlite_stmts.h.  Release it with sq_done(), never
 * sqlite3_finalize().  Errors go to err. */
int sq_stmt_const(store_conn_t *c, const char *sql, sqlite3_stmt **out, pa_err_t *err);

typedef struct sq_batch sq_batch_t;

struct store_tx {
	store_hdr_t hdr;     /* &store_sqlite_engine */
	store_t *s;
	store_conn_t *conn;  /* the writer connection */
	pa_err_t *err;       /* the job's error record, never NULL */
	sq_batch_t *batch;   /* the running batch, or NULL (a raw job): sq_tx_batch */
};

/* The cached statement `id` of connection c (prepared on first use). */
int sq_stmt(store_conn_t *c, enum sq_stmt_id id, sqlite3_stmt **out, pa_err_t *err);
/* Steps st: SQ_ROW, SQ_DONE or a negative PA_E* code (mapped by sq_error). */
#define SQ_ROW 1
#define SQ_DONE 0
int sq_step(store_conn_t *c, sqlite3_stmt *st, pa_err_t *err);
/* Resets st and clears its bindings: call after every use. */
void sq_done(sqlite3_stmt *st);
/* Runs one statement that changes a single row; PA_ENOTFOUND when none. */
int sq_exec_one(store_conn_t *c, sqlite3_stmt *st, pa_err_t *err);
/* Runs SQL text (several statements allowed) outside the statement cache. */
int sq_exec(store_conn_t *c, const char *sql, pa_err_t *err);
/* Maps an SQLite result code to PA_E*, records it in err, logs what needs it. */
int sq_error(store_conn_t *c, int rc, pa_err_t *err, const char *what);
/* A failed bind (only SQLITE_TOOBIG or SQLITE_NOMEM can happen). */
int sq_bind_error(store_conn_t *c, int rc, pa_err_t *err);

/* Binds parameters ?1, ?2, … in order; the first failure sticks in rc. */
typedef struct sq_bind {
	sqlite3_stmt *st;
	int i;
	int rc;
} sq_bind_t;

#define SQ_BIND(stmt) { (stmt), 0, SQLITE_OK }

void sq_bind_int(sq_bind_t *b, int64_t v);
void sq_bind_bool(sq_bind_t *b, bool v);
void sq_bind_text(sq_bind_t *b, const char *s);   /* NULL binds NULL */
void sq_bind_text0(sq_bind_t *b, const char *s);  /* NULL binds '' */
void sq_bind_blob(sq_bind_t *b, pa_blob_t v);     /* length 0 binds NULL */
void sq_bind_double_or_null(sq_bind_t *b, bool present, double v);

/* Reads result columns 0, 1, … in order; strings and blobs go to the arena. */
typedef struct sq_row {
	sqlite3_stmt *st;
	int i;
	arena_t *a;
} sq_row_t;

#define SQ_ROW_READER(stmt, arena) { (stmt), 0, (arena) }

int64_t sq_col_int(sq_row_t *r);
bool sq_col_bool(sq_row_t *r);
const char *sq_col_text(sq_row_t *r);  /* NULL stays NULL */
pa_blob_t sq_col_blob(sq_row_t *r);
bool sq_col_double_or_null(sq_row_t *r, double *v);  /* false (and 0) for NULL */

/* Makes room for element n of an arena array, doubling its capacity. */
void *sq_grow(arena_t *a, void *arr, size_t n, size_t *cap, size_t size);
/* Reads the current row of st into *row (the caller's struct, behind void *). */
typedef void (*sq_read_fn)(sqlite3_stmt *st, arena_t *a, void *row);

/* Result rows collected into an arena array: the caller sets size, read and
 * limit (0: every row); sq_collect() fills rows, n and more. */
typedef struct sq_rows {
	size_t size;      /* of one element */
	sq_read_fn read;
	size_t limit;
	void *rows;       /* NULL when there are none */
	size_t n;
	bool more;        /* a row beyond limit was there */
} sq_rows_t;

/* Steps st to its end (or one row past limit), reading each row into r.
 * 0 or a PA_E* code; the caller releases st (sq_done or sqlite3_finalize). */
static inline int sq_collect(store_conn_t *c, sqlite3_stmt *st, arena_t *a, pa_err_t *err,
                             sq_rows_t *r)
{
	char *arr = NULL;
	size_t cap = 0;
	int rc;
	r->n = 0;
	r->more = false;
	while ((rc = sq_step(c, st, err)) == SQ_ROW) {
		if (r->limit && r->n == r->limit) {
			r->more = true;
			rc = SQ_DONE;
			break;
		}
		arr = sq_grow(a, arr, r->n, &cap, r->size);
		r->read(st, a, arr + r->n * r->size);
		r->n++;
	}
	r->rows = arr;
	return rc < 0 ? rc : 0;
}

/* Steps st once and reads its row into *row: 0, PA_ENOTFOUND when there is
 * none, or a PA_E* code.  The caller releases st. */
static inline int sq_read_one(store_conn_t *c, sqlite3_stmt *st, arena_t *a, sq_read_fn read,
                              void *row)
{
	int rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		read(st, a, row);
		return 0;
	}
	return rc == SQ_DONE ? PA_ENOTFOUND : rc;
}

/* 1..STORE_LIST_MAX, else PA_EINVAL. */
int sq_check_limit(int limit);

/* SQL built at run time with its parameters (the case list, search): the
 * text holds fixed fragments and question marks only; values are bound. */
struct list_param {
	const char *text;  /* bound as text when not NULL */
	int64_t value;
};

struct list_query {
	strbuf_t sql;
	struct list_param *params;
	size_t nparams, cap;
};

/* Parameters a case filter's WHERE may need, with room for 16 more. */
#define SQ_FILTER_PARAMS(f)                                                                        \
	(16 + ((f)->all_orgs ? 0 : (f)->nvisible + 2 * (f)->nrestricted + 2 * (f)->nmember) +       \
	 (f)->nhidden)
void sq_query_init(struct list_query *q, size_t nparams);
void sq_query_release(struct list_query *q);
void sq_query_int(struct list_query *q, int64_t v);
void sq_query_text(struct list_query *q, const char *s);
/* Binds q's parameters to st in order. */
int sq_query_bind(store_conn_t *c, const struct list_query *q, sqlite3_stmt *st);
/* PA_EINVAL unless f is a valid case filter. */
int sq_case_filter_check(const pa_case_filter_t *f);
/* Appends " AND …" terms for f's fields and visibility (not its cursor) on
 * the columns of `cases`. */
void sq_case_filter_where(const pa_case_filter_t *f, struct list_query *q);
/* Reads SQ_CASE_COLS from column 0 of st. */
void sq_read_case(sqlite3_stmt *st, arena_t *a, pa_case_t *cs);
/* Registers the engine's SQL functions (pa_grams) on a new connection. */
int sq_search_register(sqlite3 *db);

/* The searchable text of timeline event e (an SQL expression over the row
 * alias e): its text and the text fields of a transition; notices and
 * documents are not notes.  Migration 10 and sq_search_index use it. */
#define SEARCH_EVENT_TEXT(e)                                                                      \
	"trim(coalesce(CASE WHEN " e ".kind IN ('notice', 'document') THEN NULL ELSE " e ".text END, " \
	"'') || char(10) || coalesce(CASE WHEN " e ".kind = 'transition' AND json_valid(" e           \
	".data) THEN (SELECT group_concat(value, char(10)) FROM json_each(" e                          \
	".data, '$.fields') WHERE type = 'text') END, ''), char(10))"
#define SEARCH_NOTES_MAX "20000" /* characters of notes kept per case (the first ones) */

/* The writer's search index (sqlite_search.c).  Case and event inserts do not
 * write search_grams and search_notes themselves: they queue the case id
 * (sq_search_queue, store_sqlite.c), and the writer indexes every queued
 * case of a batch with a few statements after the batch's last job, in the
 * same transaction, so the index commits or rolls back with the rows.  That
 * keeps FTS5 from writing a segment per job (it flushes its pending terms at
 * every savepoint, and each job runs in one).  is_new: the case was inserted
 * (else an event with text was added to it). */
void sq_search_queue(store_tx_t *tx, pa_id_t case_id, bool is_new);
/* Indexes the cases queued in a batch: new_ids were inserted (their rows are
 * added), note_ids gained notes (their notes are rebuilt from the timeline).
 * An id may be in both lists. */
int sq_search_index(store_conn_t *c, const pa_id_t *new_ids, size_t nnew, const pa_id_t *note_ids,
                    size_t nnotes, pa_err_t *err);

/* Migration scripts: sq_migrations[v] takes the schema from v-1 to v. */
extern const char *const sq_migrations[];
extern const int sq_schema_latest;

/* The engine's implementations of the store.h functions (store.c forwards). */
int sq_open(const store_options_t *opt, store_t **out, pa_err_t *err);
void sq_close(store_t *s);
int sq_migrate(store_t *s, int *from, int *to, pa_err_t *err);
int sq_schema_version(store_t *s, int *version);
int sq_backup(store_t *s, const char *dest, void (*progress)(double, void *), void *arg,
              pa_err_t *err);
store_conn_t *sq_reader(store_t *s);
int sq_read_begin(store_conn_t *c);
void sq_read_end(store_conn_t *c);
int sq_write(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err);
int sq_write_checked(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err);
store_conn_t *sq_tx_conn(store_tx_t *tx);
pa_err_t *sq_tx_err(store_tx_t *tx);
void sq_fault_inject(store_t *s, int nth);
void sq_stats(store_t *s, int64_t *commits, int64_t *writes);
#define SQ_DECLARE(name, params, args) int sq_##name params;
STORE_CONN_FUNCS(SQ_DECLARE)
STORE_TX_FUNCS(SQ_DECLARE)
#undef SQ_DECLARE

/* The observer of case writes (store_set_observer), or NULL; sqlite_indicators.c. */
const store_observer_t *sq_store_observer(store_t *s);
int sq_observe_case(store_tx_t *tx, const pa_case_t *cs, bool inserted);
int sq_observe_event(store_tx_t *tx, const pa_event_t *ev);
int sq_observe_rating(store_tx_t *tx, const pa_rating_t *r);

/* ---- the writer batch: rows written once per batch (store_sqlite.c) -----------------------
 *
 * Some rows change in nearly every job the same way: the indicator aggregates
 * (a counter moved by a delta; sqlite_indicators.c) and the audit chain's head
 * (meta 'audit_head'; sqlite_meta.c).  Written per job, each is an UPSERT on a
 * page every job of the batch dirties again, and a page every job's savepoint
 * copies into its sub-journal first.  Inside a batch a write function records
 * the change in the batch instead (sq_tx_batch(tx) is not NULL); after the
 * batch's last job and before its COMMIT, sq_batch_flush() writes each key
 * once with the sum of its changes, so the rows are exactly what the jobs'
 * own writes would have left.  A job that fails has its changes dropped with
 * its savepoint (sq_batch_mark / sq_batch_undo); a batch that does not commit
 * drops them all.  Jobs of the same batch never read these rows (the
 * aggregates are read on reader connections only; the audit head is kept
 * here, see below).
 *
 * How to defer another kind of row (e.g. a submission's counters): add an
 * SQ_D_ kind, record it with sq_batch_add() where the row was written, and
 * give the kind its order and its write in sqlite_indicators.c (delta_cmp,
 * flush_group).  Raw jobs (migrations) and PostgreSQL (each write is its own
 * transaction: pg_layer.c's sq_tx_batch() is NULL) write at once. */
enum sq_delta_kind { SQ_D_SHAPE, SQ_D_MONTH, SQ_D_METRIC, SQ_D_DAYS, SQ_D_WORKLOAD, SQ_D_CLOSED };

typedef struct sq_delta {
	enum sq_delta_kind kind;
	pa_facts_t f;             /* the row's key (strings in the batch's arena) */
	const char *metric;       /* SQ_D_METRIC */
	int64_t k;                /* SQ_D_DAYS: working days; SQ_D_CLOSED: week */
	int64_t v[PA_IND_NCOLS];  /* what the change adds */
} sq_delta_t;

#define SQ_HASH_HEX 64

/* A case-number counter's value after a job of the batch took a number
 * (sq_tx_next_number): the batch's entries are a log, the last one for a
 * (prefix, year) is its value now; sq_batch_flush_counters() writes it. */
typedef struct sq_counter {
	const char *prefix;       /* in the batch's arena */
	int year;
	int64_t value;
} sq_counter_t;

typedef struct sq_batch_mark {
	size_t ndeltas;
	size_t ncounters;
	bool head_known;          /* head_seq/head_hash are the chain's head in this batch */
	bool head_dirty;          /* meta 'audit_head' must be written at the flush */
	int64_t head_seq;         /* 0 = empty log */
	char head_hash[SQ_HASH_HEX + 1];
} sq_batch_mark_t;

struct sq_batch {
	arena_t *arena;           /* the deltas' strings; reset after each batch */
	sq_delta_t *deltas;
	size_t cap;
	sq_counter_t *counters;
	size_t counters_cap;
	sq_batch_mark_t st;       /* deltas in use and the audit head */
};

/* The running batch of tx's writer, or NULL when tx writes at once. */
sq_batch_t *sq_tx_batch(store_tx_t *tx);
/* A new zeroed change at the end of b (sqlite_indicators.c). */
sq_delta_t *sq_batch_add(sq_batch_t *b, enum sq_delta_kind kind);
/* Write b's changes (sqlite_indicators.c) and the audit head (sqlite_meta.c). */
int sq_batch_flush_deltas(store_tx_t *tx, sq_batch_t *b);
int sq_batch_flush_audit(store_tx_t *tx, sq_batch_t *b);
/* Write the case-number counters the batch's jobs moved (sqlite_cases.c). */
int sq_batch_flush_counters(store_tx_t *tx, sq_batch_t *b);

/* Test seams (tests/unit/test_store.c). */
/* The SQL store_case_list would run for f (xmalloc'd), or NULL if f is invalid. */
char *store_sqlite_case_list_sql(const pa_case_filter_t *f);
/* The same with its parameters written in (numbers, quoted text): the query
 * to run as is in the sqlite3 shell (bench/types_bench.c prints it). */
char *store_sqlite_case_list_sql_literal(store_conn_t *c, const pa_case_filter_t *f);
/* The raw handle behind a connection. */
sqlite3 *store_sqlite_db(store_conn_t *c);
/* Jobs waiting in the writer's queue (not counting the batch running). */
size_t store_sqlite_queued(store_t *s);
/* Passes the checkpointer thread has run, and WAL frames the writer's
 * COMMITs appended, since the store opened (store_sqlite.c, "Checkpoints"). */
void store_sqlite_wal_stats(store_t *s, int64_t *passes, int64_t *frames);

#endif
