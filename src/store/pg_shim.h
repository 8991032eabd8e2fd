/*
 * pg_shim.h — compiles the typed functions of a sqlite_<area>.c file a
 * second time, for PostgreSQL.
 *
 * The store's typed reads and writes are written once, in SQL that both
 * engines understand (sqlite_stmts.h and the files' own statements), against
 * the statement layer of sqlite_internal.h (sq_stmt, sq_bind_*, sq_step,
 * sq_col_*, sq_done, …) and a few sqlite3_* calls.  For the PostgreSQL
 * build, CMake generates build/gen/pg_<area>.c = `#include
 * "store/pg_shim.h"` + `#include "store/sqlite_<area>.c"` for every
 * sqlite_<area>.c without a hand-written src/store/pg_<area>.c, and compiles
 * it with src/store/pgshim first on the include path, so that:
 *
 *   - <sqlite3.h> is pgshim/sqlite3.h: sqlite3_stmt is pg_stmt_t and the
 *     sqlite3_* calls go to pg_store.c (SQL translated by pg_translate);
 *   - sqlite_internal.h is the real one (its structs store_conn/store_tx
 *     renamed out of the way: the PostgreSQL ones of pg_internal.h apply);
 *   - pg_names.h (generated from store_engine.h and sqlite_internal.h)
 *     renames every store function sq_<name> to pg_<name>, and every other
 *     sq_<name> function sqlite_internal.h declares to pgsq_<name>: the
 *     statement layer, implemented for PostgreSQL in pg_layer.c, and the
 *     helpers the area files share (compiled twice like the rest).
 *
 * So a helper added to sqlite_internal.h needs nothing here unless it is
 * part of the statement layer (defined in store_sqlite.c): then pg_layer.c
 * needs its pgsq_ twin, or the PostgreSQL build fails to link.
 */
#ifndef PA_PG_SHIM_H
#define PA_PG_SHIM_H

#include "base/common.h"
#include "store/pg_internal.h"
#include <sqlite3.h> /* pgshim/sqlite3.h */
#include "pg_names.h"

#define store_conn pg_unused_sqlite_conn
#define store_tx pg_unused_sqlite_tx
#define store_sqlite_case_list_sql pg_case_list_sql
#define store_sqlite_case_list_sql_literal pg_case_list_sql_literal
#define store_sqlite_db pgsq_unused_db
#define store_sqlite_queued pgsq_unused_queued
#define store_sqlite_wal_stats pgsq_unused_wal_stats
#include "store/sqlite_internal.h"
#undef store_conn
#undef store_tx

/* the SQL text of a fixed statement (pg_layer.c) */
extern const char *const pg_sq_sql[];

#endif
