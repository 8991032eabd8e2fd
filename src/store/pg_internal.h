/*
 * pg_internal.h — what the files of the PostgreSQL engine share.
 *
 *   pg_store.c    the pool of connections, statements (translation of the
 *                 store's SQL, prepared per connection), errors, reads,
 *                 store_write, migrations, open and close
 *   pg_schema.c   the migrations: the SQLite scripts of sqlite_schema.c,
 *                 translated, with hand-written versions where SQLite's
 *                 DDL has no direct equivalent
 *   pg_copy.c     `pingan copy`: SQLite → PostgreSQL, verified
 *   pg_shim.h     lets the typed functions of sqlite_<area>.c compile a
 *                 second time as pg_<area> functions (see there), with
 *                 pgshim/sqlite3.h standing in for <sqlite3.h>
 *   pg_layer.c    sqlite_internal.h's statement layer (sq_stmt, sq_bind_*,
 *                 sq_col_*, …) on PostgreSQL, as pgsq_*
 *
 * Handles and connections.  A store_conn_t here is a per-thread handle, not
 * a connection: it holds the thread's statement objects (SQL text and
 * bindings) and borrows a physical connection (pg_phys_t) from the
 * process's pool for as long as it needs one — one statement (its whole
 * result is fetched at once, then the connection goes back), a read
 * transaction (store_read_begin … store_read_end) or a write transaction
 * (store_write).  So a pool of `database.pool_size` connections serves any
 * number of threads.  Each physical connection prepares a statement the
 * first time it runs it there and remembers the name.
 */
#ifndef PA_PG_INTERNAL_H
#define PA_PG_INTERNAL_H

#include "base/common.h"
#include "store/store_engine.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#define PG_PREP_CACHE 512        /* statements prepared per physical connection */

typedef struct pg_phys {
	PGconn *conn;                /* NULL until connected; reset after a loss */
	bool broken;                 /* lost: reconnect before the next use */
	bool busy;                   /* lent to a handle */
	uint64_t prepared[PG_PREP_CACHE]; /* hashes of the SQL prepared here (name "s<hash>") */
	size_t nprepared;
} pg_phys_t;

typedef struct pg_stmt pg_stmt_t;

struct store_conn {
	store_hdr_t hdr;             /* &store_pg_engine */
	struct store_conn *db;       /* itself (the shim's sqlite3_changes(c->db)) */
	store_t *s;
	pg_phys_t *phys;             /* borrowed, or NULL */
	int read_depth;              /* store_read_begin nesting */
	bool writer;                 /* inside store_write: phys is the transaction's */
	int64_t changes;             /* rows changed by the last statement */
	int64_t last_id;             /* lastval() after an INSERT, when asked */
	pg_stmt_t **stmts;           /* fixed statements by id, created on first use */
	struct { char *sql; pg_stmt_t *st; } dyn[48];  /* as SQ_DYN_CACHE: the writer uses over 16 */
	unsigned dyn_next;
	struct store_conn *next;     /* the store's list of handles */
};

struct store_tx {
	store_hdr_t hdr;             /* &store_pg_engine */
	store_t *s;
	store_conn_t *conn;
	pa_err_t *err;
};

struct pg_stmt {
	store_conn_t *c;
	char *sql;                   /* PostgreSQL text ($1, $2, …) */
	uint64_t hash;               /* of sql: the prepared statement's name */
	bool owned;                  /* made by pg_prepare: pg_finalize frees it */
	bool write;                  /* not a SELECT: the fault hook counts it */
	int sql_params;              /* highest $N in sql */
	int nparams;                 /* highest parameter bound (or sql_params) */
	int cap;                     /* of the arrays below */
	size_t *offs;                /* value i at store + offs[i]; SIZE_MAX = NULL */
	int *lens;
	int *fmts;                   /* 0 text, 1 binary (bytea) */
	Oid *types;                  /* INT8OID for integers, BYTEAOID, 0 = inferred */
	char *store;                 /* one buffer holding the bound values */
	size_t store_len, store_cap;
	PGresult *res;               /* after the first step */
	int row, nrows;
};

extern const store_engine_t store_pg_engine;

/* The engine's own parts of the store.h interface. */
store_conn_t *pg_reader(store_t *s);
int pg_read_begin(store_conn_t *c);
void pg_read_end(store_conn_t *c);
store_conn_t *pg_tx_conn(store_tx_t *tx);
pa_err_t *pg_tx_err(store_tx_t *tx);

/* The typed functions (sqlite_<area>.c compiled through pg_shim.h). */
#define PG_DECLARE(name, params, args) int pg_##name params;
STORE_CONN_FUNCS(PG_DECLARE)
STORE_TX_FUNCS(PG_DECLARE)
#undef PG_DECLARE
char *pg_case_list_sql(const pa_case_filter_t *f);

/* Statement layer, mirroring the sq_* helpers of sqlite_internal.h. */
int pg_stmt_fixed(store_conn_t *c, int id, const char *sqlite_sql, pg_stmt_t **out,
                  pa_err_t *err);
int pg_stmt_dyn(store_conn_t *c, const char *sql, size_t len, pg_stmt_t **out);
int pg_stmt_const(store_conn_t *c, const char *sql, pg_stmt_t **out, pa_err_t *err);
int pg_prepare(store_conn_t *c, const char *sql, pg_stmt_t **out, pa_err_t *err);
void pg_finalize(pg_stmt_t *st);
int pg_step(store_conn_t *c, pg_stmt_t *st, pa_err_t *err);
void pg_done(pg_stmt_t *st);
int pg_exec_one(store_conn_t *c, pg_stmt_t *st, pa_err_t *err);
int pg_exec(store_conn_t *c, const char *sql, pa_err_t *err);
int64_t pg_changes(store_conn_t *c);
int64_t pg_last_insert_id(store_conn_t *c);

void pg_bind_at_int(pg_stmt_t *st, int i, int64_t v);
void pg_bind_at_text(pg_stmt_t *st, int i, const char *s);   /* NULL binds NULL */
void pg_bind_at_blob(pg_stmt_t *st, int i, const void *p, size_t n);
void pg_bind_at_null(pg_stmt_t *st, int i);
void pg_bind_at_textn(pg_stmt_t *st, int i, const char *s, int n);  /* n < 0: strlen */
void pg_bind_at_double(pg_stmt_t *st, int i, double v);
int64_t pg_column_int(pg_stmt_t *st, int i);
const char *pg_column_text(pg_stmt_t *st, int i);  /* valid until pg_done */
bool pg_column_null(pg_stmt_t *st, int i);
double pg_column_double(pg_stmt_t *st, int i);
size_t pg_column_bytes(pg_stmt_t *st, int i);
pa_blob_t pg_column_blob(pg_stmt_t *st, int i, arena_t *a);

/* SQLite dialect → PostgreSQL: ?N → $N, IFNULL → COALESCE, INDEXED BY
 * dropped, CAST(… AS INTEGER) → BIGINT.  xmalloc'd. */
char *pg_translate(const char *sql, size_t len, int *nparams);
/* A migration script of sqlite_schema.c, translated (DDL rules besides). */
char *pg_translate_ddl(const char *sql);

/* Migrations: pg_migration(v) is the script taking the schema from v-1 to v
 * (xmalloc'd), for v in 1..sq_schema_latest. */
char *pg_migration(int v);
extern const int sq_schema_latest;

/* Whether s is a PostgreSQL store. */
int pg_is_pg(store_t *s);
/* The store's observer of case writes (store_set_observer); what
 * sqlite_indicators.c's sq_store_observer() becomes on PostgreSQL. */
const store_observer_t *pgsq_store_observer(store_t *s);

#endif
