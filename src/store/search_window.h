/*
 * search_window.h — what both engines' case search (sqlite_search.c,
 * pg_search.c) do the same way around their SQL: check the query, and rank
 * and page the window of matches they read.
 */
#ifndef PA_STORE_SEARCH_WINDOW_H
#define PA_STORE_SEARCH_WINDOW_H

#include "store/store.h"

/* PA_EINVAL unless q is well-formed (terms, window, offset). */
int store_search_query_check(const pa_search_query_t *q);

/* Orders the window's cnt hits — by rank (lower first; then newest case
 * first) when they are fewer than the window, else newest case first with
 * every rank 0 (store_case_search) — and answers the page of f->limit hits
 * after q->offset. */
void store_search_page(pa_search_hit_t *arr, size_t cnt, const pa_search_query_t *q,
                       const pa_case_filter_t *f, pa_search_hit_t **out, size_t *n, bool *more,
                       bool *window_full);

#endif
