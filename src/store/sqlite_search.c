/*
 * sqlite_search.c — full-text search over cases on SQLite FTS5.
 *
 * Two FTS5 tables hold one row per case (rowid = case id), columns title,
 * body and notes (migration 10 in sqlite_schema.c).  The writer keeps them
 * in the transaction of every case and event insert: the inserts queue the
 * case (sq_search_queue) and sq_search_index below indexes a whole batch
 * after its last job, with at most four statements (see "Indexing"):
 *
 *   search_text   tokenizer `trigram`: any substring of three or more
 *                 characters, Chinese or not, case-insensitive;
 *   search_grams  tokenizer `ascii` over the character grams of the same
 *                 texts (base/grams.h, the SQL function pa_grams), for terms
 *                 of one or two characters, which trigrams cannot find.
 *                 Contentless: it is rebuilt from search_text's columns.
 *
 * A query is a list of terms (core/search.c parses what users type).  Each
 * term becomes an FTS5 string — the text between double quotes with every
 * quote doubled, so nothing a user types is ever FTS5 syntax: long terms on
 * search_text, short ones on search_grams ("电梯", or the prefix "电" * for
 * one character).  When a query has both, its long terms that are runs of
 * word characters go to search_grams too, as phrases of their bigrams
 * ("噪音扰民" → "噪音 音扰 扰民"), so that one MATCH intersects the posting
 * lists of every term.  The table of the long terms (else the grams) drives
 * the query: its matches are read newest case first (ORDER BY rowid DESC,
 * which FTS5 serves without sorting), joined to `cases` by primary key
 * (CROSS JOIN keeps that order), filtered by the case filter's WHERE (shared
 * with the case list, sqlite_cases.c) and, for short terms beside a long
 * term with punctuation or spaces, by the grams of the same row, and cut at
 * the window.  So the cost is bounded by the window and by how many matches
 * the filters reject, never by how many cases match in all.  When every
 * match fits in the window they are ranked by BM25 (rank_hits); a full
 * window stays newest first (store_case_search in store.h says why).
 */
#include "base/common.h"
#include "base/grams.h"
#include "store/search_window.h"
#include "store/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- pa_grams(text) ------------------------------------------------------------------- */

static void grams_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const unsigned char *t = sqlite3_value_text(argv[0]);
	if (!t) {
		sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
		return;
	}
	strbuf_t sb = STRBUF_INIT;
	grams_of((const char *)t, (size_t)sqlite3_value_bytes(argv[0]), &sb);
	size_t len;
	char *s = strbuf_detach(&sb, &len);
	sqlite3_result_text64(ctx, s, len, free, SQLITE_UTF8);
}

int sq_search_register(sqlite3 *db)
{
	return sqlite3_create_function_v2(db, "pa_grams", 1,
	                                  SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
	                                  grams_fn, NULL, NULL, NULL);
}

/* ---- indexing (the writer, once per batch) ------------------------------------------ */

/* Why once per batch and not per row (migration 10's triggers did it per
 * row until migration 14 dropped them): FTS5 writes its pending terms to
 * disk as a new segment at every savepoint and at the start of every
 * statement that opens a statement journal once the table is in the
 * transaction, and each job of a batch runs in a savepoint.  Per row, every
 * submission wrote two segments and paid for merging them — over half the
 * writer's time.  Here the statements run after every job has released its
 * savepoint: two to four segments per batch, whatever its size.  The result
 * is the same as the triggers': a new case's title and body with the notes
 * of its timeline, and a case that gained notes gets them rebuilt from its
 * events (the first SEARCH_NOTES_MAX characters, in event order), its grams
 * deleted with the old values and inserted with the new. */

#define NOTES_OF(id)                                                                   \
	"coalesce((SELECT substr(group_concat(t, char(10)), 1, " SEARCH_NOTES_MAX ") FROM " \
	"(SELECT " SEARCH_EVENT_TEXT("e") " AS t FROM events e WHERE e.case_id = " id       \
	" ORDER BY e.id) WHERE t <> ''), '')"

static const char idx_grams_delete[] =
	"INSERT INTO search_grams(search_grams, rowid, title, body, notes) "
	"SELECT 'delete', s.rowid, pa_grams(s.title), pa_grams(s.body), pa_grams(s.notes) "
	"FROM json_each(?1) j CROSS JOIN search_text s ON s.rowid = j.value";
static const char idx_notes_update[] =
	"UPDATE search_text SET notes = " NOTES_OF("search_text.rowid") " "
	"WHERE rowid IN (SELECT value FROM json_each(?1))";
static const char idx_text_insert[] =
	"INSERT INTO search_text(rowid, title, body, notes) "
	"SELECT c.id, c.title, c.body, " NOTES_OF("c.id") " "
	"FROM json_each(?1) j CROSS JOIN cases c ON c.id = j.value";
static const char idx_grams_insert[] =
	"INSERT INTO search_grams(rowid, title, body, notes) "
	"SELECT s.rowid, pa_grams(s.title), pa_grams(s.body), pa_grams(s.notes) "
	"FROM json_each(?1) j CROSS JOIN search_text s ON s.rowid = j.value";

static int idx_run(store_conn_t *c, const char *sql, const strbuf_t *ids, pa_err_t *err)
{
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, err);
	if (rc < 0)
		return rc;
	rc = sqlite3_bind_text(st, 1, ids->buf, (int)ids->len, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		rc = sq_bind_error(c, rc, err);
	} else {
		/* sqlite3_step, not sq_step: the fault hook counts the jobs' statements */
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? 0 : sq_error(c, rc, err, sql);
	}
	sq_done(st);
	return rc < 0 ? rc : 0;
}

static bool has_id(const pa_id_t *ids, size_t n, pa_id_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

int sq_search_index(store_conn_t *c, const pa_id_t *new_ids, size_t nnew, const pa_id_t *note_ids,
                    size_t nnotes, pa_err_t *err)
{
	strbuf_t fresh = STRBUF_INIT, noted = STRBUF_INIT, all = STRBUF_INIT;
	strbuf_addch(&fresh, '[');
	strbuf_addch(&noted, '[');
	for (size_t i = 0; i < nnew; i++)
		strbuf_addf(&fresh, "%s%lld", i ? "," : "", (long long)new_ids[i]);
	size_t k = 0;
	for (size_t i = 0; i < nnotes; i++) {
		/* a case inserted in this batch gets its notes with its row */
		if (nnew && has_id(new_ids, nnew, note_ids[i]))
			continue;
		strbuf_addf(&noted, "%s%lld", k++ ? "," : "", (long long)note_ids[i]);
	}
	strbuf_addch(&fresh, ']');
	strbuf_addch(&noted, ']');
	strbuf_addf(&all, "[%.*s%s%.*s]", (int)(fresh.len - 2), fresh.buf + 1,
	            nnew && k ? "," : "", (int)(noted.len - 2), noted.buf + 1);
	int rc = 0;
	if (k && rc == 0)
		rc = idx_run(c, idx_grams_delete, &noted, err);
	if (k && rc == 0)
		rc = idx_run(c, idx_notes_update, &noted, err);
	if (nnew && rc == 0)
		rc = idx_run(c, idx_text_insert, &fresh, err);
	if ((nnew || k) && rc == 0)
		rc = idx_run(c, idx_grams_insert, &all, err);
	strbuf_release(&fresh);
	strbuf_release(&noted);
	strbuf_release(&all);
	return rc;
}

/* ---- MATCH expressions ------------------------------------------------------------------ */

static void fts_string(strbuf_t *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

/* A long term as a phrase of search_grams: the bigrams of its characters
 * ("噪音扰民" → "噪音 音扰 扰民"), which follow each other in a row's grams
 * exactly where the text holds the term — inside one run of word
 * characters, as every character of the term is one.  False when the term
 * holds another character (a space, punctuation: it spans runs). */
static bool grams_phrase(const char *term, strbuf_t *sb)
{
	const unsigned char *s = (const unsigned char *)term;
	size_t len = strlen(term);
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		i += utf8_decode(s + i, len - i, &cp);
		if (cp == GRAMS_INVALID || !grams_word_char(grams_fold(cp)))
			return false;
	}
	strbuf_t g = STRBUF_INIT;
	grams_of(term, len, &g);
	/* the last token is the run's closing unigram: not part of the phrase */
	size_t end = g.len;
	while (end > 0 && g.buf[end - 1] != ' ')
		end--;
	bool ok = end > 0;
	if (ok) {
		strbuf_addch(sb, '"');
		strbuf_add(sb, g.buf, end - 1);
		strbuf_addch(sb, '"');
	}
	strbuf_release(&g);
	return ok;
}

/* The expression of q's short (is_short) or long terms; false when none.
 * With as_grams, the long terms as phrases of search_grams (grams_phrase);
 * false when one cannot be. */
static bool match_expr(const pa_search_query_t *q, bool is_short, bool as_grams, strbuf_t *sb)
{
	size_t k = 0;
	for (size_t i = 0; i < q->nterms; i++) {
		const pa_search_term_t *t = &q->terms[i];
		if (t->is_short != is_short)
			continue;
		if (k++)
			strbuf_adds(sb, q->any ? " OR " : " AND ");
		if (as_grams && !is_short) {
			if (!grams_phrase(t->text, sb))
				return false;
			continue;
		}
		fts_string(sb, t->text);
		if (is_short) {
			/* one character: every gram it begins */
			uint32_t cp;
			size_t len = strlen(t->text);
			if (len && utf8_decode((const unsigned char *)t->text, len, &cp) == len)
				strbuf_adds(sb, " *");
		}
	}
	return k > 0;
}

static int cmp_id_desc(const void *x, const void *y)
{
	const pa_search_hit_t *a = x, *b = y;
	return a->cs.id > b->cs.id ? -1 : a->cs.id < b->cs.id;
}

/* Ranking.  BM25's first call on a statement counts, for each phrase of the
 * MATCH, every case holding it (its IDF): a posting-list walk as long as the
 * term is common — 130,000 cases for 小区 at a million, 16 ms of the query's
 * 22 in the sqlite3 shell.  So the window is read without it, and ranked
 * only when every match fits in it (store_case_search: a full window stays
 * newest first): the same MATCH again over the window's rowid range, its
 * BM25 given to the hits by id (matches the filter rejected are skipped). */
static int rank_hits(store_conn_t *c, const char *drive, const char *match, pa_search_hit_t *arr,
                     size_t cnt)
{
	qsort(arr, cnt, sizeof(*arr), cmp_id_desc);
	char sql[256];
	snprintf(sql, sizeof(sql),
	         "SELECT rowid, bm25(%s, 10.0, 1.0, 0.5) FROM %s WHERE %s MATCH ?1 "
	         "AND rowid BETWEEN ?2 AND ?3 ORDER BY rowid DESC",
	         drive, drive, drive);
	sqlite3_stmt *st;
	int rc = sq_stmt_dyn(c, sql, strlen(sql), &st);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, match);
	sq_bind_int(&b, arr[cnt - 1].cs.id);
	sq_bind_int(&b, arr[0].cs.id);
	if (b.rc) {
		sq_done(st);
		return sq_bind_error(c, b.rc, NULL);
	}
	size_t i = 0;
	while (i < cnt && (rc = sq_step(c, st, NULL)) == SQ_ROW) {
		pa_id_t id = sqlite3_column_int64(st, 0);
		while (i < cnt && arr[i].cs.id > id)
			i++;
		if (i < cnt && arr[i].cs.id == id)
			arr[i++].rank = sqlite3_column_double(st, 1);
	}
	sq_done(st);
	return rc < 0 ? rc : 0;
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
	strbuf_t long_m = STRBUF_INIT, short_m = STRBUF_INIT;
	bool has_long = match_expr(q, false, false, &long_m);
	bool has_short = match_expr(q, true, false, &short_m);
	if (q->any && has_long && has_short) {
		strbuf_release(&long_m);
		strbuf_release(&short_m);
		return PA_EINVAL;  /* ANY takes terms of one kind */
	}
	/* Long and short terms together: all of them on search_grams when every
	 * long term is a run of word characters (its bigrams as a phrase) — one
	 * MATCH whose posting lists FTS5 intersects, newest first, however
	 * common each term is alone. */
	bool all_grams = false;
	if (has_long && has_short) {
		strbuf_t g = STRBUF_INIT;
		if (match_expr(q, false, true, &g)) {
			strbuf_reset(&long_m);
			strbuf_add(&long_m, short_m.buf, short_m.len);
			strbuf_adds(&long_m, " AND ");
			strbuf_add(&long_m, g.buf, g.len);
			all_grams = true;
			has_long = true;
		}
		strbuf_release(&g);
	}
	const char *drive = has_long && !all_grams ? "search_text" : "search_grams";
	bool mixed = has_long && has_short && !all_grams;
	struct list_query sq;
	sq_query_init(&sq, SQ_FILTER_PARAMS(f) + 4 + STORE_SEARCH_TERMS_MAX);
	/* Otherwise (a long term with a space or punctuation) the long ones drive
	 * (search_text), and each short one is looked for among the grams of the
	 * same row's text — the tokens search_grams holds for it, made again by
	 * pa_grams() — rather than by a MATCH on search_grams per row, which
	 * reads the short term's whole posting list for every candidate. */
	const char *match = has_long ? long_m.buf : short_m.buf;
	strbuf_addf(&sq.sql,
	            "SELECT " SQ_CASE_COLS " FROM (SELECT rowid AS sid%s FROM %s WHERE %s MATCH ? "
	            "ORDER BY rowid DESC) AS s CROSS JOIN cases ON cases.id = s.sid WHERE 1",
	            mixed ? ", ' ' || pa_grams(title) || ' ' || pa_grams(body) || ' ' || "
	                    "pa_grams(notes) || ' ' AS g"
	                  : "",
	            drive, drive);
	sq_query_text(&sq, match);
	for (size_t i = 0; mixed && i < q->nterms; i++) {
		const pa_search_term_t *t = &q->terms[i];
		if (!t->is_short)
			continue;
		/* a two-character term is a whole gram; one character begins grams */
		uint32_t cp;
		size_t len = strlen(t->text);
		bool one = len && utf8_decode((const unsigned char *)t->text, len, &cp) == len;
		strbuf_adds(&sq.sql, " AND instr(s.g, ?) > 0");
		sq_query_text(&sq, arena_printf(a, " %s%s", t->text, one ? "" : " "));
	}
	sq_case_filter_where(f, &sq);
	/* the subquery's ORDER BY goes when SQLite flattens it into this one
	 * (as it does without a computed column): the order is asked here, and
	 * FTS5 serves it without sorting */
	strbuf_adds(&sq.sql, " ORDER BY s.sid DESC LIMIT ?");
	sq_query_int(&sq, q->window);

	sqlite3_stmt *st = NULL;
	int rc = sq_stmt_dyn(c, sq.sql.buf, sq.sql.len, &st);
	if (rc < 0) {
		st = NULL;
		goto out;
	}
	if ((rc = sq_query_bind(c, &sq, st)) < 0)
		goto out;
	pa_search_hit_t *arr = NULL;
	size_t cnt = 0, cap = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		arr = sq_grow(a, arr, cnt, &cap, sizeof(*arr));
		sq_read_case(st, a, &arr[cnt].cs);
		arr[cnt].rank = 0;
		cnt++;
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if (cnt && cnt < (size_t)q->window && !q->no_rank)
		rc = rank_hits(c, drive, match, arr, cnt);
	if (rc == 0)
		store_search_page(arr, cnt, q, f, out, n, more, window_full);
out:
	if (st)
		sq_done(st);
	sq_query_release(&sq);
	strbuf_release(&long_m);
	strbuf_release(&short_m);
	return rc;
}

int sq_case_search_notes(store_conn_t *c, arena_t *a, pa_id_t case_id, const char **notes)
{
	*notes = "";
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_SEARCH_NOTES, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		sq_row_t r = SQ_ROW_READER(st, a);
		const char *s = sq_col_text(&r);
		*notes = s ? s : "";
	}
	sq_done(st);
	return rc < 0 ? rc : 0;
}
