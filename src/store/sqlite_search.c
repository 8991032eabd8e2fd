/*
 * sqlite_search.c — full-text search over cases on SQLite FTS5.
 *
 * One FTS5 table, search_grams, holds one row per case (rowid = case id),
 * columns title, body and notes written as character grams (base/grams.h,
 * the SQL function pa_grams; tokenizer `ascii`, contentless, a one-character
 * prefix index).  The notes — the searchable texts of a case's timeline —
 * are kept in search_notes for the cases that have any; titles and bodies
 * are read from `cases` (they never change).  The writer keeps both in the
 * transaction of every case and event insert: the inserts queue the case
 * (sq_search_queue) and sq_search_index below indexes a whole batch after
 * its last job, with at most three statements (see "Indexing").  Until
 * migration 24 a second table, search_text, indexed the same texts as
 * trigrams for the long terms: a second insert and segment flush per batch
 * for what the grams find too (docs/search.md, "One index: grams").
 *
 * A query is a list of terms (core/search.c parses what users type).  Each
 * term becomes an FTS5 string — quoted, every quote doubled, so nothing a
 * user types is ever FTS5 syntax: a short term its gram ("电梯", or the
 * prefix "电" * for one character), a long one the phrase of its grams
 * ("噪音扰民" → "噪音 音扰 扰民"), so that one MATCH intersects the posting
 * lists of every term.  Its matches are read newest case first (ORDER BY
 * rowid DESC, which FTS5 serves without sorting), joined to `cases` by
 * primary key (CROSS JOIN keeps that order), filtered by the case filter's
 * WHERE (shared with the case list, sqlite_cases.c) and, for a long term
 * with spaces or punctuation (the grams keep neither), by the term in the
 * row's text, and cut at the window.  So the cost is bounded by the window
 * and by how many matches the filters reject, never by how many cases match
 * in all.  When every match fits in the window they are ranked by BM25
 * (rank_hits); a full window stays newest first (store_case_search in
 * store.h says why).
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
 * savepoint: one or two segments per batch, whatever its size.  The result
 * is the same as the triggers': a new case's title and body with the notes
 * of its timeline, and a case that gained notes gets them rebuilt from its
 * events (the first SEARCH_NOTES_MAX characters, in event order), its grams
 * deleted with the old values and inserted with the new. */

#define NOTES_OF(id)                                                                   \
	"coalesce((SELECT substr(group_concat(t, char(10)), 1, " SEARCH_NOTES_MAX ") FROM " \
	"(SELECT " SEARCH_EVENT_TEXT("e") " AS t FROM events e WHERE e.case_id = " id       \
	" ORDER BY e.id) WHERE t <> ''), '')"

/* The notes of a case as search_grams holds them ('' when it has none). */
#define NOTES_HELD(id) "coalesce((SELECT notes FROM search_notes WHERE case_id = " id "), '')"

static const char idx_grams_delete[] =
	"INSERT INTO search_grams(search_grams, rowid, title, body, notes) "
	"SELECT 'delete', c.id, pa_grams(c.title), pa_grams(c.body), pa_grams(" NOTES_HELD("c.id") ") "
	"FROM json_each(?1) j CROSS JOIN cases c ON c.id = j.value";
/* the notes of the cases in ?1 made again from their timelines (never
 * empty again once a case has a note: an event's text is not empty) */
static const char idx_notes_put[] =
	"INSERT INTO search_notes(case_id, notes) "
	"SELECT id, n FROM (SELECT j.value AS id, " NOTES_OF("j.value") " AS n FROM json_each(?1) j) "
	"WHERE n <> '' ON CONFLICT(case_id) DO UPDATE SET notes = excluded.notes";
static const char idx_grams_insert[] =
	"INSERT INTO search_grams(rowid, title, body, notes) "
	"SELECT c.id, pa_grams(c.title), pa_grams(c.body), pa_grams(" NOTES_HELD("c.id") ") "
	"FROM json_each(?1) j CROSS JOIN cases c ON c.id = j.value";

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
	if ((nnew || k) && rc == 0)
		rc = idx_run(c, idx_notes_put, &all, err);
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

/* A long term as a phrase of search_grams: the grams of its runs of word
 * characters in their order ("噪音扰民" → "噪音 音扰 扰民"), which follow each
 * other in a row's grams where its text holds the term.  The last run may go
 * on in the text, so its closing unigram is left out, or, when that run is
 * one character, becomes a prefix ("Gate 5" → "ga at te e 5" *).  *spans: the
 * term holds a character that is not a word character (a space,
 * punctuation), which the grams do not keep — the phrase then also matches
 * other separators there, and the caller checks the text itself. */
static void grams_phrase(const char *term, strbuf_t *sb, bool *spans)
{
	const unsigned char *s = (const unsigned char *)term;
	size_t len = strlen(term);
	*spans = false;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		i += utf8_decode(s + i, len - i, &cp);
		if (cp == GRAMS_INVALID || !grams_word_char(grams_fold(cp)))
			*spans = true;
	}
	strbuf_t g = STRBUF_INIT;
	grams_of(term, len, &g);
	/* the last token is the closing unigram of the last run; the token before
	 * it belongs to the same run when it is a bigram (a run's tokens are its
	 * bigrams, then its unigram; a run of one character is the unigram) */
	size_t last = g.len;
	while (last > 0 && g.buf[last - 1] != ' ')
		last--;
	size_t prev = last > 0 ? last - 1 : 0;
	while (prev > 0 && g.buf[prev - 1] != ' ')
		prev--;
	uint32_t cp;
	bool prev_bigram = last > 0 &&
	                   utf8_decode((const unsigned char *)g.buf + prev, last - 1 - prev, &cp) <
	                           last - 1 - prev;
	strbuf_addch(sb, '"');
	if (prev_bigram)
		strbuf_add(sb, g.buf, last - 1);
	else
		strbuf_add(sb, g.buf, g.len);
	strbuf_addch(sb, '"');
	if (!prev_bigram)
		strbuf_adds(sb, " *");
	strbuf_release(&g);
}

/* The MATCH expression of q on search_grams: a short term is its gram
 * ("电梯"), or for one character the prefix of every gram it begins ("电" *);
 * a long term the phrase of its grams (grams_phrase).  Each long term that
 * spans runs is added to *check, the terms to find in the text itself. */
static void match_expr(const pa_search_query_t *q, strbuf_t *sb, const pa_search_term_t **check,
                       size_t *ncheck)
{
	*ncheck = 0;
	for (size_t i = 0; i < q->nterms; i++) {
		const pa_search_term_t *t = &q->terms[i];
		if (i)
			strbuf_adds(sb, q->any ? " OR " : " AND ");
		if (!t->is_short) {
			bool spans;
			grams_phrase(t->text, sb, &spans);
			if (spans)
				check[(*ncheck)++] = t;
			continue;
		}
		fts_string(sb, t->text);
		/* one character: every gram it begins */
		uint32_t cp;
		size_t len = strlen(t->text);
		if (len && utf8_decode((const unsigned char *)t->text, len, &cp) == len)
			strbuf_adds(sb, " *");
	}
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
static int rank_hits(store_conn_t *c, const char *match, pa_search_hit_t *arr, size_t cnt)
{
	qsort(arr, cnt, sizeof(*arr), cmp_id_desc);
	static const char sql[] =
		"SELECT rowid, bm25(search_grams, 10.0, 1.0, 0.5) FROM search_grams "
		"WHERE search_grams MATCH ?1 AND rowid BETWEEN ?2 AND ?3 ORDER BY rowid DESC";
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, NULL);
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
	bool has_long = false, has_short = false;
	for (size_t i = 0; i < q->nterms; i++) {
		has_long |= !q->terms[i].is_short;
		has_short |= q->terms[i].is_short;
	}
	if (q->any && has_long && has_short)
		return PA_EINVAL;  /* ANY takes terms of one kind */
	/* Every term on search_grams, so one MATCH intersects the posting lists
	 * of all of them, newest first, however common each is alone. */
	strbuf_t match = STRBUF_INIT;
	const pa_search_term_t *check[STORE_SEARCH_TERMS_MAX];
	size_t ncheck;
	match_expr(q, &match, check, &ncheck);
	struct list_query sq;
	sq_query_init(&sq, SQ_FILTER_PARAMS(f) + 2 + 3 * STORE_SEARCH_TERMS_MAX);
	strbuf_adds(&sq.sql, "SELECT " SQ_CASE_COLS " FROM (SELECT rowid AS sid FROM search_grams "
	                     "WHERE search_grams MATCH ? ORDER BY rowid DESC) AS s "
	                     "CROSS JOIN cases ON cases.id = s.sid WHERE 1");
	sq_query_text(&sq, match.buf);
	/* A long term with a space or punctuation, as typed, in the title, the
	 * body or the notes (ASCII letters in any case, as the highlighter
	 * reads them).  Of ANY's terms, one found by its grams is enough: the
	 * similar cases (the one caller) are scored on their text afterwards. */
	for (size_t i = 0; !q->any && i < ncheck; i++) {
		char *low = arena_strdup(a, check[i]->text);
		for (char *p = low; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		strbuf_adds(&sq.sql, " AND (instr(lower(cases.title), ?) > 0 OR instr(lower(cases.body), ?) > 0"
		                     " OR instr(lower(" NOTES_HELD("cases.id") "), ?) > 0)");
		for (int k = 0; k < 3; k++)
			sq_query_text(&sq, low);
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
		rc = rank_hits(c, match.buf, arr, cnt);
	if (rc == 0)
		store_search_page(arr, cnt, q, f, out, n, more, window_full);
out:
	if (st)
		sq_done(st);
	sq_query_release(&sq);
	strbuf_release(&match);
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
