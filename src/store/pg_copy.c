/*
 * pg_copy.c — `pingan copy`: a district's SQLite database into an empty
 * PostgreSQL one.
 *
 * The target is migrated to the schema version of the source (both must be
 * the latest this binary knows: run `pingan migrate` on the source first)
 * and must hold no district yet.  Every table of the source is streamed with
 * COPY FROM STDIN, parents before children (the foreign keys of PRAGMA
 * foreign_key_list, ids in order for self-references), inside ONE
 * transaction: a copy that fails leaves the target as it was.  meta is
 * copied last, replacing the rows the migrations and the org triggers
 * wrote.  The identity sequences then continue after the largest id.  After
 * the COMMIT the row count of every table is compared; the caller
 * (cli/cmd_copy.c) then verifies the audit chain on the target.
 */
#include "base/common.h"
#include "store/pg_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#define COPY_TABLES_MAX 64
#define COPY_CHUNK (256 * 1024)

extern const int sq_schema_latest;

struct copy_table {
	char name[64];
	char deps[8][64];
	size_t ndeps;
	int64_t rows;
	bool done;
};

static int pq_ok(PGconn *pg, const char *sql, pa_err_t *err)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int rc = 0;
	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		rc = pa_fail(err, PA_EUNAVAIL, "copy-failed", "to", "PostgreSQL: %s (in %.80s)",
		             PQerrorMessage(pg), sql);
	PQclear(r);
	return rc;
}

static int64_t pq_count(PGconn *pg, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	PGresult *r = PQexec(pg, sql);
	int64_t n = -1;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

static int64_t sq_count(sqlite3 *db, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", table);
	sqlite3_stmt *st = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The source's tables with their foreign-key parents. */
static int read_tables(sqlite3 *db, struct copy_table *t, size_t *n, pa_err_t *err)
{
	*n = 0;
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db,
	                   /* not FTS5 tables nor their shadow tables, nor search_notes
	                    * (the notes of the search index): PostgreSQL's search_text
	                    * is filled by its triggers as rows arrive */
	                   "SELECT t.name FROM sqlite_schema t WHERE t.type = 'table' AND t.name NOT "
	                   "LIKE 'sqlite_%' AND t.name <> 'search_notes' "
	                   "AND t.sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND NOT EXISTS "
	                   "(SELECT 1 FROM sqlite_schema v WHERE v.type = 'table' AND v.sql LIKE "
	                   "'CREATE VIRTUAL TABLE%' AND t.name LIKE v.name || '\\_%' ESCAPE '\\') "
	                   "ORDER BY t.name",
	                   -1, &st, NULL);
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		if (*n == COPY_TABLES_MAX) {
			sqlite3_finalize(st);
			return pa_fail(err, PA_EINTERNAL, "internal", NULL, "too many tables to copy");
		}
		struct copy_table *ct = &t[(*n)++];
		memset(ct, 0, sizeof(*ct));
		snprintf(ct->name, sizeof(ct->name), "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < *n; i++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list('%s')",
		         t[i].name);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			continue;
		while (sqlite3_step(st) == SQLITE_ROW && t[i].ndeps < ARRAY_SIZE(t[i].deps)) {
			const char *p = (const char *)sqlite3_column_text(st, 0);
			if (p && strcmp(p, t[i].name) != 0)
				snprintf(t[i].deps[t[i].ndeps++], sizeof(t[i].deps[0]), "%s", p);
		}
		sqlite3_finalize(st);
		t[i].rows = sq_count(db, t[i].name);
	}
	return 0;
}

static bool deps_done(const struct copy_table *t, size_t n, const struct copy_table *x)
{
	for (size_t d = 0; d < x->ndeps; d++)
		for (size_t i = 0; i < n; i++)
			if (strcmp(t[i].name, x->deps[d]) == 0 && !t[i].done)
				return false;
	return true;
}

static void add_copy_text(strbuf_t *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		switch (c) {
		case '\\': strbuf_adds(b, "\\\\"); break;
		case '\t': strbuf_adds(b, "\\t"); break;
		case '\n': strbuf_adds(b, "\\n"); break;
		case '\r': strbuf_adds(b, "\\r"); break;
		default: strbuf_addch(b, c);
		}
	}
}

static int flush_copy(PGconn *pg, strbuf_t *b, pa_err_t *err)
{
	if (b->len && PQputCopyData(pg, b->buf, (int)b->len) != 1)
		return pa_fail(err, PA_EUNAVAIL, "copy-failed", "to", "PostgreSQL: %s", PQerrorMessage(pg));
	strbuf_reset(b);
	return 0;
}

static int copy_table(sqlite3 *db, PGconn *pg, const struct copy_table *t, int64_t *done,
                      int64_t total, void (*progress)(double, void *), void *arg, pa_err_t *err)
{
	/* columns, in the source's order */
	strbuf_t cols = STRBUF_INIT, q = STRBUF_INIT, buf = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s') ORDER BY cid", t->name);
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		strbuf_addf(&cols, "%s%s", cols.len ? ", " : "", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;

	strbuf_addf(&q, "SELECT %s FROM \"%s\" ORDER BY rowid", cols.buf, t->name);
	if (sqlite3_prepare_v2(db, q.buf, -1, &st, NULL) != SQLITE_OK) {
		/* a WITHOUT ROWID table: its primary key orders it */
		strbuf_reset(&q);
		strbuf_addf(&q, "SELECT %s FROM \"%s\"", cols.buf, t->name);
		sqlite3_finalize(st);
		st = NULL;
		if (sqlite3_prepare_v2(db, q.buf, -1, &st, NULL) != SQLITE_OK) {
			int rc = pa_fail(err, PA_EINVAL, "copy-failed", "from", "%s: %s", t->name,
			                 sqlite3_errmsg(db));
			strbuf_release(&cols);
			strbuf_release(&q);
			return rc;
		}
	}
	strbuf_reset(&q);
	strbuf_addf(&q, "COPY %s (%s) FROM STDIN", t->name, cols.buf);
	PGresult *r = PQexec(pg, q.buf);
	int rc = 0;
	if (!r || PQresultStatus(r) != PGRES_COPY_IN)
		rc = pa_fail(err, PA_EUNAVAIL, "copy-failed", "to", "PostgreSQL: %s", PQerrorMessage(pg));
	PQclear(r);

	int ncol = sqlite3_column_count(st);
	int64_t n = 0;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < ncol; i++) {
			if (i)
				strbuf_addch(&buf, '\t');
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				strbuf_adds(&buf, "\\N");
				break;
			case SQLITE_INTEGER:
				strbuf_addf(&buf, "%lld", (long long)sqlite3_column_int64(st, i));
				break;
			case SQLITE_FLOAT:
				strbuf_addf(&buf, "%.17g", sqlite3_column_double(st, i));
				break;
			case SQLITE_BLOB: {
				const unsigned char *p = sqlite3_column_blob(st, i);
				int len = sqlite3_column_bytes(st, i);
				strbuf_adds(&buf, "\\\\x");
				for (int k = 0; k < len; k++)
					strbuf_addf(&buf, "%02x", p[k]);
				break;
			}
			default:
				add_copy_text(&buf, (const char *)sqlite3_column_text(st, i),
				              (size_t)sqlite3_column_bytes(st, i));
			}
		}
		strbuf_addch(&buf, '\n');
		n++;
		if (buf.len >= COPY_CHUNK) {
			rc = flush_copy(pg, &buf, err);
			(*done) += n;
			n = 0;
			if (progress && total > 0)
				progress((double)*done / (double)total, arg);
		}
	}
	sqlite3_finalize(st);
	if (rc == 0)
		rc = flush_copy(pg, &buf, err);
	*done += n;
	if (PQputCopyEnd(pg, rc == 0 ? NULL : "copy abandoned") != 1 && rc == 0)
		rc = pa_fail(err, PA_EUNAVAIL, "copy-failed", "to", "PostgreSQL: %s", PQerrorMessage(pg));
	while ((r = PQgetResult(pg)) != NULL) {
		if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pa_fail(err, PA_EINVAL, "copy-failed", "to", "table %s: %s", t->name,
			             PQresultErrorMessage(r));
		PQclear(r);
	}
	if (progress && total > 0)
		progress((double)*done / (double)total, arg);
	strbuf_release(&cols);
	strbuf_release(&q);
	strbuf_release(&buf);
	return rc;
}

/* Every identity column continues after its largest copied value. */
static int reset_sequences(PGconn *pg, pa_err_t *err)
{
	PGresult *r = PQexec(pg, "SELECT table_name, column_name FROM information_schema.columns "
	                         "WHERE is_identity = 'YES' AND table_schema = current_schema()");
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return pa_fail(err, PA_EUNAVAIL, "copy-failed", "to", "PostgreSQL: %s", PQerrorMessage(pg));
	}
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		char sql[512];
		snprintf(sql, sizeof(sql),
		         "SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(max(%s), 0) + 1, "
		         "false) FROM %s",
		         PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 1), PQgetvalue(r, i, 0));
		rc = pq_ok(pg, sql, err);
	}
	PQclear(r);
	return rc;
}

int store_copy(const char *sqlite_path, const char *pg_url, void (*progress)(double, void *),
               void *arg, int64_t *rows, pa_err_t *err)
{
	*rows = 0;
	if (!store_is_url(pg_url))
		return pa_fail(err, PA_EINVAL, "validation", "to", "--to must be a postgresql:// URL");
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(sqlite_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		int rc = pa_fail(err, PA_EINVAL, "validation", "from", "cannot open %s: %s", sqlite_path,
		                 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return rc;
	}
	int version = -1;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version != sq_schema_latest) {
		sqlite3_close(db);
		return pa_fail(err, PA_EINVAL, "validation", "from",
		               "%s has schema version %d, not %d: run `pingan migrate` on it first",
		               sqlite_path, version, sq_schema_latest);
	}

	/* the target: migrated, and empty */
	store_options_t so = { .path = pg_url, .pool_size = 1 };
	store_t *s = NULL;
	int rc = store_open(&so, &s, err);
	if (rc == 0)
		rc = store_migrate(s, NULL, NULL, err);
	if (s)
		store_close(s);
	if (rc < 0) {
		sqlite3_close(db);
		return rc;
	}
	PGconn *pg = PQconnectdb(pg_url);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		rc = pa_fail(err, PA_EUNAVAIL, "unavailable", "to", "cannot connect: %s",
		             pg ? PQerrorMessage(pg) : "out of memory");
		PQfinish(pg);
		sqlite3_close(db);
		return rc;
	}
	if (pq_count(pg, "orgs") != 0 || pq_count(pg, "users") != 0 || pq_count(pg, "cases") != 0) {
		rc = pa_fail(err, PA_ECONFLICT, "conflict", "to",
		             "the PostgreSQL database holds a district already: copy into an empty one");
		goto out;
	}

	struct copy_table *tables = xcalloc(COPY_TABLES_MAX, sizeof(*tables));
	size_t n = 0;
	rc = read_tables(db, tables, &n, err);
	int64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += tables[i].rows > 0 ? tables[i].rows : 0;
	int64_t done = 0;
	if (rc == 0)
		rc = pq_ok(pg, "BEGIN; SET LOCAL synchronous_commit = on", err);
	/* parents first; meta last, replacing what migrations and triggers wrote */
	for (size_t pass = 0; rc == 0 && pass < n; pass++) {
		bool progressed = false;
		for (size_t i = 0; rc == 0 && i < n; i++) {
			struct copy_table *t = &tables[i];
			if (t->done || strcmp(t->name, "meta") == 0 || !deps_done(tables, n, t))
				continue;
			rc = copy_table(db, pg, t, &done, total, progress, arg, err);
			t->done = true;
			progressed = true;
		}
		if (!progressed)
			break;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (strcmp(tables[i].name, "meta") == 0) {
			rc = pq_ok(pg, "DELETE FROM meta", err);
			if (rc == 0)
				rc = copy_table(db, pg, &tables[i], &done, total, progress, arg, err);
			tables[i].done = true;
		}
		if (rc == 0 && !tables[i].done)
			rc = pa_fail(err, PA_EINTERNAL, "copy-failed", "from",
			             "table %s has circular foreign keys", tables[i].name);
	}
	if (rc == 0)
		rc = reset_sequences(pg, err);
	if (rc == 0)
		rc = pq_ok(pg, "COMMIT", err);
	else
		pq_ok(pg, "ROLLBACK", NULL);
	/* verify: the same number of rows in every table */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		int64_t got = pq_count(pg, tables[i].name);
		if (got != tables[i].rows)
			rc = pa_fail(err, PA_EINTERNAL, "copy-failed", "to",
			             "table %s: %lld rows in SQLite, %lld in PostgreSQL", tables[i].name,
			             (long long)tables[i].rows, (long long)got);
	}
	if (rc == 0)
		*rows = done;
	free(tables);
out:
	PQfinish(pg);
	sqlite3_close(db);
	return rc;
}
