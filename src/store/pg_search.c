/*
 * pg_search.c — full-text search over cases on PostgreSQL with pg_trgm:
 * the PostgreSQL twin of sqlite_search.c (same functions, same results
 * contract), compiled through pg_shim.h so it shares the case filter's
 * WHERE and the case reader with the case list.
 *
 * search_text holds one row per case (title, body and notes: the searchable
 * texts of its timeline, as on SQLite), kept by triggers in the transaction
 * of every case and event insert (PostgreSQL migration 10 in pg_schema.c),
 * with a GIN trigram index (gin_trgm_ops) on the three columns.  A term
 * becomes `col ILIKE '%term%'` with %, _ and \ escaped, so nothing a user
 * types is pattern syntax; pg_trgm's index answers terms of three or more
 * characters.  Terms of one or two characters (the short-query path) give
 * trigrams no key: they are checked with the same ILIKE on the rows the
 * long terms (or, without any, the newest cases the filter lets through)
 * yield, the window bounding the work as on SQLite.  Matches are read
 * newest case first, cut at the window and ranked here: a term in the title
 * weighs 10, in the body 1, in the notes 0.5 (negated, so lower is better,
 * like SQLite's BM25).
 */
#include "store/pg_shim.h"
#include "store/search_window.h"

#include <stdlib.h>

/* '%' + s with \, % and _ escaped + '%', in the arena. */
static const char *like_pattern(arena_t *a, const char *s)
{
	strbuf_t sb = STRBUF_INIT;
	strbuf_addch(&sb, '%');
	for (; *s; s++) {
		if (*s == '\\' || *s == '%' || *s == '_')
			strbuf_addch(&sb, '\\');
		strbuf_addch(&sb, *s);
	}
	strbuf_addch(&sb, '%');
	const char *p = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return p;
}

static void term_match(struct list_query *q, const char *pat)
{
	strbuf_adds(&q->sql, "(s.st ILIKE ? OR s.sb ILIKE ? OR s.sn ILIKE ?)");
	sq_query_text(q, pat);
	sq_query_text(q, pat);
	sq_query_text(q, pat);
}

int sq_case_search(store_conn_t *c, arena_t *a, const pa_search_query_t *q,
                   const pa_case_filter_t *f, pa_search_hit_t **out, size_t *n, bool *more,
                   bool *window_full)
{
	*out = NULL;
	*n = 0;
	*more = false;
	*window_full = false;
	if (store_search_query_check(q) < 0 || sq_case_filter_check(f) < 0 || f->has_cursor)
		return PA_EINVAL;
	if (!c)
		return PA_EUNAVAIL;
	if (!f->all_orgs && f->nvisible == 0)
		return 0;
	bool has_long = false, has_short = false;
	for (size_t i = 0; i < q->nterms; i++)
		*(q->terms[i].is_short ? &has_short : &has_long) = true;
	if (q->any && has_long && has_short)
		return PA_EINVAL;  /* ANY takes terms of one kind */
	const char **pats = arena_alloc(a, q->nterms * sizeof(*pats));
	for (size_t i = 0; i < q->nterms; i++)
		pats[i] = like_pattern(a, q->terms[i].text);

	struct list_query lq;
	sq_query_init(&lq, SQ_FILTER_PARAMS(f) + 7 * q->nterms + 2);
	strbuf_adds(&lq.sql, "SELECT " SQ_CASE_COLS ", -(0");
	for (size_t i = 0; i < q->nterms; i++) {
		strbuf_adds(&lq.sql, " + CASE WHEN s.st ILIKE ? THEN 10 ELSE 0 END"
		                     " + CASE WHEN s.sb ILIKE ? THEN 1 ELSE 0 END"
		                     " + CASE WHEN s.sn ILIKE ? THEN 0.5 ELSE 0 END");
		sq_query_text(&lq, pats[i]);
		sq_query_text(&lq, pats[i]);
		sq_query_text(&lq, pats[i]);
	}
	strbuf_adds(&lq.sql, ") AS r FROM (SELECT case_id, title AS st, body AS sb, notes AS sn "
	                     "FROM search_text) s JOIN cases ON cases.id = s.case_id WHERE (");
	for (size_t i = 0; i < q->nterms; i++) {
		if (i)
			strbuf_adds(&lq.sql, q->any ? " OR " : " AND ");
		term_match(&lq, pats[i]);
	}
	strbuf_adds(&lq.sql, ")");
	sq_case_filter_where(f, &lq);
	strbuf_adds(&lq.sql, " ORDER BY s.case_id DESC LIMIT ?");
	sq_query_int(&lq, q->window);

	sqlite3_stmt *st = NULL;
	int rc = sq_stmt_dyn(c, lq.sql.buf, lq.sql.len, &st);
	if (rc < 0) {
		st = NULL;
		goto out;
	}
	if ((rc = sq_query_bind(c, &lq, st)) < 0)
		goto out;
	pa_search_hit_t *arr = NULL;
	size_t cnt = 0, cap = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		arr = sq_grow(a, arr, cnt, &cap, sizeof(*arr));
		sq_read_case(st, a, &arr[cnt].cs);
		arr[cnt].rank = sqlite3_column_double(st, sqlite3_column_count(st) - 1);
		cnt++;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	store_search_page(arr, cnt, q, f, out, n, more, window_full);
out:
	if (st)
		sq_done(st);
	sq_query_release(&lq);
	return rc;
}

int sq_case_search_notes(store_conn_t *c, arena_t *a, pa_id_t case_id, const char **notes)
{
	*notes = "";
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "SELECT notes FROM search_text WHERE case_id = ?1", &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		sq_row_t r = SQ_ROW_READER(st, a);
		const char *s = sq_col_text(&r);
		*notes = s ? s : "";
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

/* On SQLite the writer indexes a batch's cases after its last job (FTS5
 * writes a segment at every savepoint); here migration 10's triggers keep
 * search_text in the statement's own transaction, and GIN's pending list
 * makes a row's index entries cheap, so nothing is queued (PostgreSQL's
 * migration 14 keeps those triggers). */
void sq_search_queue(store_tx_t *tx, pa_id_t case_id, bool is_new)
{
	(void)tx;
	(void)case_id;
	(void)is_new;
}
