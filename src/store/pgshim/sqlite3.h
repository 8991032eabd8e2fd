/*
 * pgshim/sqlite3.h — stands in for <sqlite3.h> when a sqlite_<area>.c file
 * is compiled a second time for PostgreSQL (src/store/pg_shim.h explains
 * the scheme).  Only the PostgreSQL builds have src/store/pgshim on their
 * include path.  It maps the sqlite3_* calls the typed store functions make
 * onto the statement layer of pg_store.c; a call missing here is a compile
 * error in the PostgreSQL build: add it (or move the SQL to a hand-written
 * pg_<area>.c).
 */
#ifndef PA_PGSHIM_SQLITE3_H
#define PA_PGSHIM_SQLITE3_H

#include "store/pg_internal.h"

typedef pg_stmt_t sqlite3_stmt;
typedef struct store_conn sqlite3;  /* c->db is the handle itself */
typedef int64_t sqlite3_int64;
typedef uint64_t sqlite3_uint64;
typedef struct pg_no_context sqlite3_context;
typedef struct pg_no_value sqlite3_value;

#define SQLITE_OK 0
#define SQLITE_INTEGER 1
#define SQLITE_FLOAT 2
#define SQLITE_TEXT 3
#define SQLITE_BLOB 4
#define SQLITE_NULL 5
#define SQLITE_ROW 100
#define SQLITE_DONE 101
#define SQLITE_STATIC ((void (*)(void *))0)
#define SQLITE_TRANSIENT ((void (*)(void *))-1)

static inline int sqlite3_bind_int64(sqlite3_stmt *st, int i, int64_t v)
{
	pg_bind_at_int(st, i, v);
	return SQLITE_OK;
}

static inline int sqlite3_bind_int(sqlite3_stmt *st, int i, int v)
{
	pg_bind_at_int(st, i, v);
	return SQLITE_OK;
}

static inline int sqlite3_bind_double(sqlite3_stmt *st, int i, double v)
{
	pg_bind_at_double(st, i, v);
	return SQLITE_OK;
}

static inline int sqlite3_bind_null(sqlite3_stmt *st, int i)
{
	pg_bind_at_null(st, i);
	return SQLITE_OK;
}

static inline int sqlite3_bind_text(sqlite3_stmt *st, int i, const char *s, int n,
                                    void (*destructor)(void *))
{
	(void)destructor;
	pg_bind_at_textn(st, i, s, n);
	return SQLITE_OK;
}

static inline int sqlite3_bind_blob(sqlite3_stmt *st, int i, const void *p, int n,
                                    void (*destructor)(void *))
{
	(void)destructor;
	pg_bind_at_blob(st, i, p, n > 0 ? (size_t)n : 0);
	return SQLITE_OK;
}

static inline int sqlite3_finalize(sqlite3_stmt *st)
{
	pg_finalize(st);
	return SQLITE_OK;
}

static inline int sqlite3_reset(sqlite3_stmt *st)
{
	pg_done(st);
	return SQLITE_OK;
}

#define sqlite3_column_int64(st, i) pg_column_int((st), (i))
#define sqlite3_column_int(st, i) ((int)pg_column_int((st), (i)))
#define sqlite3_column_double(st, i) pg_column_double((st), (i))
#define sqlite3_column_text(st, i) ((const unsigned char *)pg_column_text((st), (i)))
#define sqlite3_column_bytes(st, i) ((int)pg_column_bytes((st), (i)))
#define sqlite3_column_type(st, i) (pg_column_null((st), (i)) ? SQLITE_NULL : SQLITE_TEXT)
#define sqlite3_column_count(st) ((st)->res ? PQnfields((st)->res) : 0)
#define sqlite3_changes(db) ((int)pg_changes(db))
#define sqlite3_last_insert_rowid(db) pg_last_insert_id(db)

#endif
