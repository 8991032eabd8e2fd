/*
 * pg_layer.c — the statement layer of sqlite_internal.h (sq_stmt, sq_step,
 * sq_bind_*, sq_col_*, …) for PostgreSQL.  Compiled through pg_shim.h, so
 * every sq_<name> written here is pgsq_<name> in the object file: the
 * functions the second build of the sqlite_<area>.c files calls.
 */
#include "store/pg_shim.h"

#include <stdlib.h>

int sq_stmt(store_conn_t *c, enum sq_stmt_id id, sqlite3_stmt **out, pa_err_t *err)
{
	return pg_stmt_fixed(c, (int)id, pg_sq_sql[id], out, err);
}

int sq_stmt_dyn(store_conn_t *c, const char *sql, size_t len, sqlite3_stmt **out)
{
	return pg_stmt_dyn(c, sql, len, out);
}

int sq_stmt_const(store_conn_t *c, const char *sql, sqlite3_stmt **out, pa_err_t *err)
{
	return pg_stmt_const(c, sql, out, err);
}

int sq_prepare(store_conn_t *c, const char *sql, sqlite3_stmt **st, pa_err_t *err)
{
	return pg_prepare(c, sql, st, err);
}

int sq_step(store_conn_t *c, sqlite3_stmt *st, pa_err_t *err)
{
	return pg_step(c, st, err);
}

void sq_done(sqlite3_stmt *st)
{
	pg_done(st);
}

int sq_exec_one(store_conn_t *c, sqlite3_stmt *st, pa_err_t *err)
{
	return pg_exec_one(c, st, err);
}

int sq_exec(store_conn_t *c, const char *sql, pa_err_t *err)
{
	return pg_exec(c, sql, err);
}

int sq_error(store_conn_t *c, int rc, pa_err_t *err, const char *what)
{
	log_error("store: error %d in %s", rc, what ? what : "?");
	return pa_fail(err, PA_EINTERNAL, "internal", NULL, "database error %d", rc);
}

int sq_bind_error(store_conn_t *c, int rc, pa_err_t *err)
{
	return pa_fail(err, PA_EINTERNAL, "internal", NULL, "binding a parameter failed (%d)", rc);
}

void sq_bind_int(sq_bind_t *b, int64_t v)
{
	pg_bind_at_int(b->st, ++b->i, v);
}

/* untyped "1"/"0": PostgreSQL reads it as a boolean where the SQL uses the
 * parameter as a condition, and as a number where it is compared to one */
void sq_bind_bool(sq_bind_t *b, bool v)
{
	pg_bind_at_text(b->st, ++b->i, v ? "1" : "0");
}

void sq_bind_text(sq_bind_t *b, const char *s)
{
	pg_bind_at_text(b->st, ++b->i, s);
}

void sq_bind_text0(sq_bind_t *b, const char *s)
{
	pg_bind_at_text(b->st, ++b->i, s ? s : "");
}

void sq_bind_blob(sq_bind_t *b, pa_blob_t v)
{
	++b->i;
	if (v.len && v.data)
		pg_bind_at_blob(b->st, b->i, v.data, v.len);
	else
		pg_bind_at_null(b->st, b->i);
}

void sq_bind_double_or_null(sq_bind_t *b, bool present, double v)
{
	++b->i;
	if (present)
		pg_bind_at_double(b->st, b->i, v);
	else
		pg_bind_at_null(b->st, b->i);
}

int64_t sq_col_int(sq_row_t *r)
{
	return pg_column_int(r->st, r->i++);
}

bool sq_col_bool(sq_row_t *r)
{
	return pg_column_int(r->st, r->i++) != 0;
}

const char *sq_col_text(sq_row_t *r)
{
	const char *t = pg_column_text(r->st, r->i++);
	return t ? arena_strdup(r->a, t) : NULL;
}

pa_blob_t sq_col_blob(sq_row_t *r)
{
	return pg_column_blob(r->st, r->i++, r->a);
}

bool sq_col_double_or_null(sq_row_t *r, double *v)
{
	int i = r->i++;
	if (pg_column_null(r->st, i)) {
		*v = 0;
		return false;
	}
	*v = pg_column_double(r->st, i);
	return true;
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

pa_err_t *sq_tx_err(store_tx_t *tx)
{
	return pg_tx_err(tx);
}

store_conn_t *sq_tx_conn(store_tx_t *tx)
{
	return pg_tx_conn(tx);
}

store_conn_t *sq_reader(store_t *s)
{
	return pg_reader(s);
}

int sq_read_begin(store_conn_t *c)
{
	return pg_read_begin(c);
}

void sq_read_end(store_conn_t *c)
{
	pg_read_end(c);
}

/* Each PostgreSQL write is its own transaction: nothing is deferred to a
 * batch (sqlite_internal.h, "the writer batch"). */
sq_batch_t *sq_tx_batch(store_tx_t *tx)
{
	(void)tx;
	return NULL;
}
