/*
 * sqlite_open311.c — the reads behind Open311 GET requests and
 * servicerequestupdates.
 *
 * GET requests lists cases newest first (created_at DESC, id DESC) within a
 * window.  Two shapes, each a walk of one index that stops at the limit:
 *   - every service of a type (no service_code filter): type = ? on
 *     cases_type_created (type, created_at), the categories checked per row
 *     (`+category`: an expression the planner does not take an index for);
 *   - some services: category IN (…) on cases_category_created (category,
 *     created_at) — one category walks in order, a few are merged by a sort
 *     of what the window holds for them.
 * The statements are built from the filter's shape (how many codes, ids,
 * status) and cached per connection (sq_stmt_dyn), so a poller's repeated
 * query is prepared once.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

static void add_placeholders(strbuf_t *sb, int *next, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, i ? ", ?%d" : "?%d", (*next)++);
}

int sq_open311_requests(store_conn_t *c, arena_t *a, const pa_open311_filter_t *f,
                        pa_case_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	int rc;
	if (f->limit < 1 || f->limit > STORE_OPEN311_MAX || f->ncategories == 0 ||
	    f->ncategories > STORE_FILTER_IDS_MAX || f->nnumbers > STORE_FILTER_IDS_MAX ||
	    (f->all_categories && !f->type))
		return PA_EINVAL;
	strbuf_t sql = STRBUF_INIT;
	int p = 1;
	strbuf_adds(&sql, "SELECT " SQ_CASE_COLS " FROM cases WHERE ");
	if (f->all_categories) {
		/* the unary + keeps the planner on (type, created_at) */
		strbuf_addf(&sql, "type = ?%d AND +category IN (", p++);
	} else {
		strbuf_adds(&sql, "category IN (");
	}
	add_placeholders(&sql, &p, f->ncategories);
	strbuf_addf(&sql, ") AND created_at BETWEEN ?%d AND ?%d", p, p + 1);
	p += 2;
	if (f->open >= 0)
		strbuf_addf(&sql, " AND is_open = ?%d", p++);
	if (f->nnumbers) {
		strbuf_adds(&sql, " AND number IN (");
		add_placeholders(&sql, &p, f->nnumbers);
		strbuf_adds(&sql, ")");
	}
	strbuf_addf(&sql, " ORDER BY created_at DESC, id DESC LIMIT ?%d", p++);
	sqlite3_stmt *st;
	rc = sq_stmt_dyn(c, sql.buf, sql.len, &st);
	strbuf_release(&sql);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	if (f->all_categories)
		sq_bind_text(&b, f->type);
	for (size_t i = 0; i < f->ncategories; i++)
		sq_bind_text(&b, f->categories[i]);
	sq_bind_int(&b, f->from);
	sq_bind_int(&b, f->to);
	if (f->open >= 0)
		sq_bind_int(&b, f->open);
	for (size_t i = 0; i < f->nnumbers; i++)
		sq_bind_text(&b, f->numbers[i]);
	sq_bind_int(&b, f->limit);
	if (b.rc) {
		sq_done(st);
		return sq_bind_error(c, b.rc, NULL);
	}
	pa_case_t *arr = NULL;
	size_t cnt = 0, cap = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		arr = sq_grow(a, arr, cnt, &cap, sizeof(*arr));
		sq_case_row(st, a, &arr[cnt++]);
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	*out = arr;
	*n = cnt;
	return 0;
}

int sq_open311_updates(store_conn_t *c, arena_t *a, const char *type, pa_time_t from,
                       pa_time_t to, int limit, pa_open311_update_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_OPEN311_MAX)
		return PA_EINVAL;
	static const char sql[] =
		"SELECT e.id, c.number, c.category, c.is_open, IFNULL(e.to_state, c.state), e.at "
		"FROM events e JOIN cases c ON c.id = e.case_id "
		"WHERE e.public = 1 AND e.at BETWEEN ?1 AND ?2 AND c.type = ?3 "
		"AND e.kind IN ('created', 'transition') ORDER BY e.at, e.id LIMIT ?4";
	sqlite3_stmt *st;
	int rc = sq_stmt_dyn(c, sql, sizeof(sql) - 1, &st);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, from);
	sq_bind_int(&b, to);
	sq_bind_text(&b, type);
	sq_bind_int(&b, limit);
	pa_open311_update_t *arr = NULL;
	size_t cnt = 0, cap = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		arr = sq_grow(a, arr, cnt, &cap, sizeof(*arr));
		sq_row_t r = SQ_ROW_READER(st, a);
		arr[cnt].event_id = sq_col_int(&r);
		arr[cnt].number = sq_col_text(&r);
		arr[cnt].category = sq_col_text(&r);
		arr[cnt].is_open = sq_col_bool(&r);
		arr[cnt].state = sq_col_text(&r);
		arr[cnt].at = sq_col_int(&r);
		cnt++;
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	*out = arr;
	*n = cnt;
	return 0;
}
