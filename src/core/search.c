/*
 * search.c — what users type into a search, the search itself, and similar
 * cases at intake (the rules are in search.h; the index is the store's:
 * store_case_search, sqlite_search.c).
 *
 * The parser only cuts and folds text: it never produces query syntax.  Each
 * term is handed to the store as text, and the store quotes it.  Snippets
 * are made here, in C, from the case's own fields, so the escaping is ours
 * and the same whichever index found the case.
 */
#include "base/common.h"
#include "base/grams.h"
#include "core/search.h"
#include "core/similarity.h"

#include <stdlib.h>

/* ---- the query parser ------------------------------------------------------------------- */

static bool is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x3000 || cp == 0xA0;
}

/* Adds the term in buf (a word or a phrase, as typed) to arr. */
static int add_term(arena_t *a, const char *buf, size_t len, pa_search_term_t *arr, size_t *n,
                    pa_err_t *err)
{
	size_t chars = 0, words = 0;
	strbuf_t folded = STRBUF_INIT;  /* the word characters, folded */
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		i += utf8_decode((const unsigned char *)buf + i, len - i, &cp);
		chars++;
		cp = grams_fold(cp);
		if (grams_word_char(cp)) {
			words++;
			utf8_encode(&folded, cp);
		}
	}
	int rc = 0;
	if (words == 0)
		goto out;  /* only punctuation: nothing to find */
	pa_search_term_t t;
	if (chars < 3) {
		t.is_short = true;
		t.text = arena_strdup(a, folded.buf);
	} else {
		t.is_short = false;
		t.text = arena_strndup(a, buf, len);
	}
	for (size_t i = 0; i < *n; i++)
		if (arr[i].is_short == t.is_short && streq(arr[i].text, t.text))
			goto out;
	if (*n == STORE_SEARCH_TERMS_MAX) {
		rc = pa_fail(err, PA_EINVAL, "validation", "q", "a search takes at most %d terms",
		             STORE_SEARCH_TERMS_MAX);
		goto out;
	}
	arr[(*n)++] = t;
out:
	strbuf_release(&folded);
	return rc;
}

int search_parse(arena_t *a, const char *q, pa_search_term_t **terms, size_t *n, pa_err_t *err)
{
	*terms = NULL;
	*n = 0;
	if (!q || !*q)
		return pa_fail(err, PA_EINVAL, "validation", "q", "q (what to search for) is required");
	const unsigned char *s = (const unsigned char *)q;
	size_t len = strlen(q), chars = 0;
	for (size_t i = 0; i < len; chars++) {
		uint32_t cp;
		i += utf8_decode(s + i, len - i, &cp);
		if (cp == GRAMS_INVALID)
			return pa_fail(err, PA_EINVAL, "validation", "q", "q is not valid UTF-8");
		if ((cp < 0x20 && !is_space(cp)) || cp == 0x7F)
			return pa_fail(err, PA_EINVAL, "validation", "q", "q holds control characters");
	}
	if (chars > SEARCH_QUERY_MAX)
		return pa_fail(err, PA_EINVAL, "validation", "q", "q is longer than %d characters",
		               SEARCH_QUERY_MAX);

	pa_search_term_t *arr = arena_alloc(a, STORE_SEARCH_TERMS_MAX * sizeof(*arr));
	size_t cnt = 0;
	strbuf_t term = STRBUF_INIT;
	int rc = 0;
	for (size_t i = 0; i < len && rc == 0;) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, len - i, &cp);
		strbuf_reset(&term);
		if (cp == '"') {
			/* a phrase: up to the next quote, spaces collapsed */
			i += k;
			bool space = false;
			while (i < len) {
				k = utf8_decode(s + i, len - i, &cp);
				i += k;
				if (cp == '"')
					break;
				if (is_space(cp)) {
					space = term.len > 0;
					continue;
				}
				if (space)
					strbuf_addch(&term, ' ');
				space = false;
				strbuf_add(&term, s + i - k, k);
			}
		} else if (grams_word_char(grams_fold(cp))) {
			while (i < len) {
				k = utf8_decode(s + i, len - i, &cp);
				if (!grams_word_char(grams_fold(cp)))
					break;
				strbuf_add(&term, s + i, k);
				i += k;
			}
		} else {
			i += k;
			continue;
		}
		rc = add_term(a, term.buf, term.len, arr, &cnt, err);
	}
	strbuf_release(&term);
	if (rc < 0)
		return rc;
	if (cnt == 0)
		return pa_fail(err, PA_EINVAL, "validation", "q",
		               "q has no letters, digits or characters to search for");
	*terms = arr;
	*n = cnt;
	return 0;
}

/* ---- highlighting ------------------------------------------------------------------------ */

static uint32_t fold_for(const pa_search_term_t *t, uint32_t cp)
{
	if (t->is_short)
		return grams_fold(cp);
	return cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp;
}

/* Bytes of s matched by t at its start, 0 when none. */
static size_t match_at(const unsigned char *s, size_t len, const pa_search_term_t *t)
{
	const unsigned char *p = (const unsigned char *)t->text;
	size_t plen = strlen(t->text), i = 0, j = 0;
	while (j < plen) {
		if (i >= len)
			return 0;
		uint32_t x, y;
		size_t kx = utf8_decode(s + i, len - i, &x);
		size_t ky = utf8_decode(p + j, plen - j, &y);
		if (fold_for(t, x) != fold_for(t, y))
			return 0;
		i += kx;
		j += ky;
	}
	return i;
}

static size_t longest_match(const unsigned char *s, size_t len, const pa_search_term_t *terms,
                            size_t n)
{
	size_t best = 0;
	for (size_t k = 0; k < n; k++) {
		size_t m = match_at(s, len, &terms[k]);
		if (m > best)
			best = m;
	}
	return best;
}

static void add_html(strbuf_t *sb, const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '&': strbuf_adds(sb, "&amp;"); break;
		case '<': strbuf_adds(sb, "&lt;"); break;
		case '>': strbuf_adds(sb, "&gt;"); break;
		case '"': strbuf_adds(sb, "&quot;"); break;
		case '\'': strbuf_adds(sb, "&#39;"); break;
		case '\n': case '\r': case '\t': strbuf_addch(sb, ' '); break;
		default: strbuf_addch(sb, s[i]);
		}
	}
}

static size_t next_char(const unsigned char *s, size_t len, size_t i)
{
	uint32_t cp;
	return i < len ? i + utf8_decode(s + i, len - i, &cp) : len;
}

const char *search_highlight(arena_t *a, const char *text, const pa_search_term_t *terms,
                             size_t n, bool excerpt, bool *found)
{
	*found = false;
	if (!text)
		text = "";
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), first = len;
	for (size_t i = 0; i < len; i = next_char(s, len, i))
		if (longest_match(s + i, len - i, terms, n)) {
			first = i;
			*found = true;
			break;
		}
	size_t start = 0, end = len;
	if (excerpt) {
		if (*found) {
			/* back SEARCH_SNIPPET_BEFORE characters from the first match */
			size_t back = 0;
			start = first;
			while (start > 0 && back < SEARCH_SNIPPET_BEFORE) {
				start--;
				while (start > 0 && (s[start] & 0xC0) == 0x80)
					start--;
				back++;
			}
		}
		end = start;
		for (int c = 0; c < SEARCH_SNIPPET_CHARS && end < len; c++)
			end = next_char(s, len, end);
	}
	strbuf_t sb = STRBUF_INIT;
	if (start > 0)
		strbuf_adds(&sb, "…");
	for (size_t i = start; i < end;) {
		size_t m = *found ? longest_match(s + i, len - i, terms, n) : 0;
		if (m) {
			strbuf_adds(&sb, SEARCH_MARK_OPEN);
			add_html(&sb, s + i, m);
			strbuf_adds(&sb, SEARCH_MARK_CLOSE);
			i += m;
		} else {
			size_t j = next_char(s, len, i);
			add_html(&sb, s + i, j - i);
			i = j;
		}
	}
	if (end < len)
		strbuf_adds(&sb, "…");
	const char *r = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return r;
}

/* ---- search ------------------------------------------------------------------------------- */

int cases_search(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *query,
                 pa_case_filter_t *f, int offset, search_result_t **out, size_t *n, bool *more,
                 bool *window_full, pa_err_t *err)
{
	*out = NULL;
	*n = 0;
	*more = *window_full = false;
	pa_search_term_t *terms;
	size_t nt;
	int rc = search_parse(a, query, &terms, &nt, err);
	if (rc < 0)
		return rc;
	authz_case_filter(p, a, app->wf, f);
	if (!f->all_orgs && f->nvisible == 0)
		return 0;
	pa_search_query_t q = { .terms = terms, .nterms = nt, .window = app->cfg->search_window,
		                    .offset = offset };
	if (q.window < 1 || q.window > STORE_SEARCH_WINDOW_MAX)
		q.window = 500;
	pa_search_hit_t *hits;
	size_t nh;
	store_conn_t *c = store_reader(app->store);
	if ((rc = store_read_begin(c)) < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not search");
	rc = store_case_search(c, a, &q, f, &hits, &nh, more, window_full);
	if (rc < 0) {
		store_read_end(c);
		return pa_fail(err, rc, rc == PA_EINVAL ? "validation" : "unavailable", NULL,
		               "could not search");
	}
	search_result_t *res = arena_zalloc(a, (nh + 1) * sizeof(*res));
	for (size_t i = 0; i < nh; i++) {
		search_result_t *r = &res[i];
		r->cs = hits[i].cs;
		r->rank = hits[i].rank;
		bool in_title, in_body, in_notes = false;
		r->title_html = search_highlight(a, r->cs.title, terms, nt, false, &in_title);
		r->snippet_html = search_highlight(a, r->cs.body, terms, nt, true, &in_body);
		if (!in_title && !in_body) {
			const char *notes = "";
			if (store_case_search_notes(c, a, r->cs.id, &notes) == 0 && *notes) {
				const char *sn = search_highlight(a, notes, terms, nt, true, &in_notes);
				if (in_notes)
					r->snippet_html = sn;
			}
		}
		r->matched_in = in_title ? "title" : in_body ? "body" : in_notes ? "notes" : "body";
	}
	store_read_end(c);
	*out = res;
	*n = nh;
	return 0;
}

/* ---- similar cases ------------------------------------------------------------------------- */

/* Terms for the lookup: the title's word runs cut into three-character
 * pieces (or, for a title without one, its bigrams), at most
 * STORE_SEARCH_TERMS_MAX, any of which may match. */
static size_t similar_terms(arena_t *a, const char *title, pa_search_term_t *out)
{
	const unsigned char *s = (const unsigned char *)title;
	size_t len = strlen(title), n = 0;
	for (int pass = 0; pass < 2 && n == 0; pass++) {
		size_t want = pass == 0 ? 3 : 2;
		strbuf_t piece = STRBUF_INIT;
		size_t chars = 0;
		for (size_t i = 0; i <= len && n < STORE_SEARCH_TERMS_MAX;) {
			uint32_t cp = 0;
			size_t k = i < len ? utf8_decode(s + i, len - i, &cp) : 1;
			cp = grams_fold(cp);
			bool word = i < len && grams_word_char(cp);
			i += k;
			if (!word) {
				strbuf_reset(&piece);
				chars = 0;
				continue;
			}
			utf8_encode(&piece, cp);
			if (++chars == want) {
				bool dup = false;
				for (size_t j = 0; j < n && !dup; j++)
					dup = streq(out[j].text, piece.buf);
				if (!dup)
					out[n++] = (pa_search_term_t){ arena_strdup(a, piece.buf), want < 3 };
				strbuf_reset(&piece);
				chars = 0;
			}
		}
		strbuf_release(&piece);
	}
	return n;
}

static int cmp_similar(const void *x, const void *y)
{
	const similar_case_t *a = x, *b = y;
	if (a->similarity != b->similarity)
		return a->similarity > b->similarity ? -1 : 1;
	return a->cs.id > b->cs.id ? -1 : a->cs.id < b->cs.id;
}

int cases_similar(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *title,
                  const char *body, pa_id_t exclude, int limit, similar_case_t **out, size_t *n,
                  pa_err_t *err)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > SIMILAR_MAX)
		limit = SIMILAR_MAX;
	pa_search_term_t terms[STORE_SEARCH_TERMS_MAX];
	size_t nt = similar_terms(a, title ? title : "", terms);
	if (nt == 0)
		return 0;
	pa_case_filter_t f = { .overdue = -1, .open = -1, .limit = SIMILAR_WINDOW };
	authz_case_filter(p, a, app->wf, &f);
	if (!f.all_orgs && f.nvisible == 0)
		return 0;
	pa_search_query_t q = { .terms = terms, .nterms = nt, .any = true, .window = SIMILAR_WINDOW,
		                    .no_rank = true };
	pa_search_hit_t *hits;
	size_t nh;
	bool more, full;
	int rc = store_case_search(store_reader(app->store), a, &q, &f, &hits, &nh, &more, &full);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not look for similar cases");
	const char *text = arena_printf(a, "%s\n%s", title ? title : "", body ? body : "");
	similar_case_t *res = arena_zalloc(a, (nh + 1) * sizeof(*res));
	size_t k = 0;
	for (size_t i = 0; i < nh; i++) {
		if (hits[i].cs.id == exclude)
			continue;
		double sim = text_similarity(text, arena_printf(a, "%s\n%s", hits[i].cs.title,
		                                                hits[i].cs.body));
		if (sim <= 0)
			continue;
		res[k].cs = hits[i].cs;
		res[k].similarity = sim;
		k++;
	}
	if (k)
		qsort(res, k, sizeof(*res), cmp_similar);
	*out = res;
	*n = k < (size_t)limit ? k : (size_t)limit;
	return 0;
}
