/*
 * search_window.c — see search_window.h.
 */
#include "base/common.h"
#include "store/search_window.h"

#include <stdlib.h>

int store_search_query_check(const pa_search_query_t *q)
{
	if (!q || !q->terms || q->nterms == 0 || q->nterms > STORE_SEARCH_TERMS_MAX)
		return PA_EINVAL;
	if (q->window < 1 || q->window > STORE_SEARCH_WINDOW_MAX || q->offset < 0)
		return PA_EINVAL;
	for (size_t i = 0; i < q->nterms; i++)
		if (!q->terms[i].text || !q->terms[i].text[0])
			return PA_EINVAL;
	return 0;
}

static int cmp_hit(const void *x, const void *y)
{
	const pa_search_hit_t *a = x, *b = y;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->cs.id > b->cs.id ? -1 : a->cs.id < b->cs.id;
}

void store_search_page(pa_search_hit_t *arr, size_t cnt, const pa_search_query_t *q,
                       const pa_case_filter_t *f, pa_search_hit_t **out, size_t *n, bool *more,
                       bool *window_full)
{
	*window_full = cnt == (size_t)q->window;
	if (*window_full || q->no_rank)
		for (size_t i = 0; i < cnt; i++)
			arr[i].rank = 0;  /* cmp_hit: newest first */
	if (cnt)
		qsort(arr, cnt, sizeof(*arr), cmp_hit);
	size_t from = (size_t)q->offset < cnt ? (size_t)q->offset : cnt;
	size_t take = cnt - from < (size_t)f->limit ? cnt - from : (size_t)f->limit;
	*out = arr ? arr + from : NULL;
	*n = take;
	*more = from + take < cnt;
}
