/*
 * sqlite_docs.c — the documents table (文书; schema version 2).
 *
 * Kept in a file of its own, with its SQL next to the code, so the rest of
 * the engine (sqlite_stmts.h and its statement cache) is untouched: these
 * statements are prepared on each call.  They run a few times per generated
 * document, a cost that does not show next to rendering a PDF.
 *
 * The rules the generator relies on are in the schema (sqlite_schema.c): a
 * done row never changes, a number once given is never changed, (unit, year,
 * seq) is unique, no row is deleted.  This file adds the conditions of each
 * write: a claimed row is finished or released only under its claim token,
 * so a generator whose lease ran out cannot overwrite the work of the one
 * that took the row over.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

#define SQ_DOC_COLS                                                                          \
	"id, case_id, IFNULL(event_id, 0), kind, locale, unit_org_id, version, "               \
	"IFNULL(supersedes, 0), public, status, vars, created_at, requested_by, number, "      \
	"IFNULL(year, 0), IFNULL(seq, 0), sha256, IFNULL(size, 0), IFNULL(pages, 0), "         \
	"IFNULL(issued_at, 0), IFNULL(attachment_id, 0), IFNULL(issue_event_id, 0), template, " \
	"claim, claim_until, attempts, last_error"

static void read_doc(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_document_t *d = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	d->id = sq_col_int(&r);
	d->case_id = sq_col_int(&r);
	d->event_id = sq_col_int(&r);
	d->kind = sq_col_text(&r);
	d->locale = sq_col_text(&r);
	d->unit_org_id = sq_col_int(&r);
	d->version = (int)sq_col_int(&r);
	d->supersedes = sq_col_int(&r);
	d->public = sq_col_bool(&r);
	d->status = sq_col_text(&r);
	d->vars = sq_col_text(&r);
	d->created_at = sq_col_int(&r);
	d->requested_by = sq_col_text(&r);
	d->number = sq_col_text(&r);
	d->year = (int)sq_col_int(&r);
	d->seq = sq_col_int(&r);
	d->sha256 = sq_col_text(&r);
	d->size = sq_col_int(&r);
	d->pages = (int)sq_col_int(&r);
	d->issued_at = sq_col_int(&r);
	d->attachment_id = sq_col_int(&r);
	d->issue_event_id = sq_col_int(&r);
	d->template_id = sq_col_text(&r);
	d->claim = sq_col_text(&r);
	d->claim_until = sq_col_int(&r);
	d->attempts = (int)sq_col_int(&r);
	d->last_error = sq_col_text(&r);
}

/* Runs st (bound by the caller) to the end, collecting rows into *out. */
static int collect(store_conn_t *c, sqlite3_stmt *st, arena_t *a, pa_err_t *err,
                   pa_document_t **out, size_t *n)
{
	sq_rows_t r = { .size = sizeof(pa_document_t), .read = read_doc };
	int rc;
	rc = sq_collect(c, st, a, err, &r);
	sqlite3_finalize(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_tx_document_insert(store_tx_t *tx, const pa_document_t *d, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	static const char sql[] =
		"INSERT INTO documents(case_id, event_id, kind, locale, unit_org_id, version, "
		"supersedes, public, status, vars, created_at, requested_by) "
		"VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6, NULLIF(?7, 0), ?8, 'pending', ?9, ?10, ?11)";
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, d->case_id);
	sq_bind_int(&b, d->event_id);
	sq_bind_text(&b, d->kind);
	sq_bind_text(&b, d->locale);
	sq_bind_int(&b, d->unit_org_id);
	sq_bind_int(&b, d->version > 0 ? d->version : 1);
	sq_bind_int(&b, d->supersedes);
	sq_bind_bool(&b, d->public);
	sq_bind_text(&b, d->vars ? d->vars : "{}");
	sq_bind_int(&b, d->created_at);
	sq_bind_text0(&b, d->requested_by);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_document_max_version(store_conn_t *c, pa_id_t case_id, pa_id_t event_id, const char *kind,
                               int *version)
{
	*version = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "SELECT IFNULL(MAX(version), 0) FROM documents WHERE case_id = ?1 "
	              "AND IFNULL(event_id, 0) = ?2 AND kind = ?3",
	              &st, NULL);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, case_id);
	sq_bind_int(&b, event_id);
	sq_bind_text(&b, kind);
	rc = b.rc ? sq_bind_error(c, b.rc, NULL) : sq_step(c, st, NULL);
	if (rc == SQ_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_document_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_document_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "SELECT " SQ_DOC_COLS " FROM documents WHERE id = ?1", &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sq_read_one(c, st, a, read_doc, out);
	sqlite3_finalize(st);
	return rc;
}

int sq_documents_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_document_t **out,
                         size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "SELECT " SQ_DOC_COLS " FROM documents WHERE case_id = ?1 ORDER BY id", &st,
	              NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	return collect(c, st, a, NULL, out, n);
}

int sq_tx_documents_claim(store_tx_t *tx, arena_t *a, pa_time_t now, const char *claim,
                             pa_time_t claim_until, int limit, pa_document_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return pa_fail(tx->err, PA_EINVAL, "validation", "limit", "bad claim limit");
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	/* One statement: the writer runs alone, so select-then-update is atomic anyway. */
	int rc = sq_prepare(c,
	              "UPDATE documents SET status = 'rendering', claim = ?1, claim_until = ?2, "
	              "attempts = attempts + 1 WHERE id IN (SELECT id FROM documents "
	              "WHERE status IN ('pending', 'rendering') AND claim_until < ?3 "
	              "ORDER BY id LIMIT ?4) RETURNING " SQ_DOC_COLS,
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, claim);
	sq_bind_int(&b, claim_until);
	sq_bind_int(&b, now);
	sq_bind_int(&b, limit);
	if (b.rc) {
		sqlite3_finalize(st);
		return sq_bind_error(c, b.rc, tx->err);
	}
	return collect(c, st, a, tx->err, out, n);
}

int sq_tx_document_number(store_tx_t *tx, pa_id_t id, const char *number, int year, int64_t seq)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE documents SET number = ?1, year = ?2, seq = ?3 "
	              "WHERE id = ?4 AND seq IS NULL",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, number);
	sq_bind_int(&b, year);
	sq_bind_int(&b, seq);
	sq_bind_int(&b, id);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (sqlite3_changes(c->db) == 0)
		return pa_fail(tx->err, PA_ECONFLICT, "conflict", "number",
		               "document %lld already has a number", (long long)id);
	return 0;
}

int sq_tx_document_done(store_tx_t *tx, const pa_document_t *d)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE documents SET status = 'done', sha256 = ?1, size = ?2, pages = ?3, "
	              "issued_at = ?4, attachment_id = NULLIF(?5, 0), issue_event_id = NULLIF(?6, 0), "
	              "template = ?7, claim = NULL, last_error = NULL "
	              "WHERE id = ?8 AND status = 'rendering' AND claim = ?9",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, d->sha256);
	sq_bind_int(&b, d->size);
	sq_bind_int(&b, d->pages);
	sq_bind_int(&b, d->issued_at);
	sq_bind_int(&b, d->attachment_id);
	sq_bind_int(&b, d->issue_event_id);
	sq_bind_text(&b, d->template_id);
	sq_bind_int(&b, d->id);
	sq_bind_text(&b, d->claim);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (sqlite3_changes(c->db) == 0)
		return pa_fail(tx->err, PA_ENOTFOUND, "not-found", NULL,
		               "document %lld is no longer claimed by this generator", (long long)d->id);
	return 0;
}

int sq_tx_document_failed(store_tx_t *tx, pa_id_t id, const char *claim, const char *error,
                             bool give_up, pa_time_t retry_at)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE documents SET status = ?1, claim = NULL, claim_until = ?2, last_error = ?3 "
	              "WHERE id = ?4 AND status = 'rendering' AND claim = ?5",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, give_up ? "failed" : "pending");
	sq_bind_int(&b, retry_at);
	sq_bind_text0(&b, error);
	sq_bind_int(&b, id);
	sq_bind_text(&b, claim);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_documents_issued(store_conn_t *c, arena_t *a, pa_id_t unit_org_id, pa_time_t from,
                           pa_time_t to, int limit, pa_document_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "SELECT " SQ_DOC_COLS " FROM documents WHERE unit_org_id = ?1 AND status = 'done' "
	              "AND issued_at >= ?2 AND issued_at < ?3 ORDER BY issued_at, id LIMIT ?4",
	              &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, unit_org_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	sqlite3_bind_int(st, 4, limit);
	return collect(c, st, a, NULL, out, n);
}

int sq_documents_done_page(store_conn_t *c, arena_t *a, pa_id_t after_id, int limit,
                              pa_document_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "SELECT " SQ_DOC_COLS " FROM documents WHERE id > ?1 AND status = 'done' "
	              "ORDER BY id LIMIT ?2",
	              &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int(st, 2, limit);
	return collect(c, st, a, NULL, out, n);
}

int sq_documents_counts(store_conn_t *c, int64_t *queued, int64_t *done, int64_t *failed)
{
	*queued = *done = *failed = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "SELECT status, COUNT(*) FROM documents GROUP BY status", &st, NULL);
	if (rc < 0)
		return rc;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		int64_t k = sqlite3_column_int64(st, 1);
		if (streq(s, "done"))
			*done += k;
		else if (streq(s, "failed"))
			*failed += k;
		else
			*queued += k;
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}
