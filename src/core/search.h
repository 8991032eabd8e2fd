/*
 * search.h — full-text search over cases, and similar cases at intake.
 *
 * What users type (docs/search.md):
 *   - terms are separated by white space and punctuation; a case matches
 *     when it contains every term (in its title, body or notes);
 *   - "a quoted phrase" is one term, kept with its spaces and punctuation
 *     (a quote left open runs to the end);
 *   - letters are matched without regard to case, full-width ASCII as ASCII;
 *   - a term of three or more characters matches as a substring (trigram
 *     index); a shorter one — most Chinese words — through the gram index:
 *     two characters as that pair of adjacent characters, one character
 *     anywhere.
 * Nothing typed is query syntax: the store quotes every term (store.h), so
 * AND, OR, NEAR, *, ^, column filters and parentheses are plain text.
 *
 * Results are the cases the principal may see (authz_case_filter, exactly as
 * the inbox), with the inbox's filters, ranked (see store_case_search), with
 * the title and a snippet as HTML: every character escaped (& < > " '), and
 * each match wrapped in SEARCH_MARK_OPEN … SEARCH_MARK_CLOSE — the only
 * markup in them.
 */
#ifndef PA_SEARCH_H
#define PA_SEARCH_H

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define SEARCH_QUERY_MAX 200        /* characters of a query */
#define SEARCH_SNIPPET_CHARS 120    /* characters of text in a snippet */
#define SEARCH_SNIPPET_BEFORE 30    /* of them, before the first match */
#define SEARCH_MARK_OPEN "<mark>"
#define SEARCH_MARK_CLOSE "</mark>"
#define SIMILAR_MAX 20              /* similar cases returned at most */
#define SIMILAR_WINDOW 300          /* candidates compared (newest matches first) */

/* Parses a query into at most STORE_SEARCH_TERMS_MAX distinct terms (the
 * fuzz seam).  PA_EINVAL naming "q" when it is missing, too long, not UTF-8,
 * holds control characters, has nothing to search for or too many terms. */
int search_parse(arena_t *a, const char *q, pa_search_term_t **terms, size_t *n, pa_err_t *err);

/* `text` as HTML with every match of a term marked, cut to about
 * SEARCH_SNIPPET_CHARS characters around the first match when `excerpt`;
 * *found tells whether a term occurs. */
const char *search_highlight(arena_t *a, const char *text, const pa_search_term_t *terms,
                             size_t n, bool excerpt, bool *found);

typedef struct search_result {
	pa_case_t cs;
	double rank;
	const char *title_html;   /* the title, escaped and marked */
	const char *snippet_html; /* the excerpt of the first field with a match, escaped and marked */
	const char *matched_in;   /* title, body or notes */
} search_result_t;

/* Searches the cases p may see; f holds the inbox filters (its visibility
 * members are set here, its cursor must be unset, f->limit is the page). */
int cases_search(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *query,
                 pa_case_filter_t *f, int offset, search_result_t **out, size_t *n, bool *more,
                 bool *window_full, pa_err_t *err);

typedef struct similar_case {
	pa_case_t cs;
	double similarity;        /* text_similarity of title and body, 0..1 */
} similar_case_t;

/* Cases p may see whose title shares text with `title`, most similar first
 * (title and body compared by text_similarity); `exclude` is left out. */
int cases_similar(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *title,
                  const char *body, pa_id_t exclude, int limit, similar_case_t **out, size_t *n,
                  pa_err_t *err);

#endif
