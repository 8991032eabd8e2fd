/*
 * sqlite_records.c — records kept on a case (table case_records).
 *
 * Rows are only ever inserted (triggers refuse UPDATE and DELETE).  A new
 * version of a record is a new row naming the one it supersedes; the UNIQUE
 * constraint on supersedes_id makes "supersede" happen at most once, so two
 * editors racing on one version cannot both win.  Statements are prepared
 * per call (sq_prepare), as in sqlite_supervision.c, except the records of
 * one case, which every staff case detail reads (sq_stmt_const).
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

int sq_tx_record_insert(store_tx_t *tx, const pa_record_t *r, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	static const char sql[] =
		"INSERT INTO case_records(case_id, kind, version, supersedes_id, fields, "
		"created_by, org_id, created_at, event_id) VALUES (?1, ?2, ?3, "
		"NULLIF(?4, 0), ?5, NULLIF(?6, 0), NULLIF(?7, 0), ?8, NULLIF(?9, 0))";
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, r->case_id);
	sq_bind_text(&b, r->kind);
	sq_bind_int(&b, r->version > 0 ? r->version : 1);
	sq_bind_int(&b, r->supersedes_id);
	sq_bind_text(&b, r->fields ? r->fields : "{}");
	sq_bind_int(&b, r->created_by);
	sq_bind_int(&b, r->org_id);
	sq_bind_int(&b, r->created_at);
	sq_bind_int(&b, r->event_id);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_tx_case_participant_add(store_tx_t *tx, pa_id_t case_id, pa_id_t org_id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "INSERT INTO case_participants(case_id, org_id) VALUES (?1, ?2)", &st,
	                    tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, case_id);
	sq_bind_int(&b, org_id);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_case_participant_due(store_tx_t *tx, pa_id_t case_id, pa_id_t org_id, pa_time_t due_at)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, "UPDATE case_participants SET stage_due_at = ?3, stage_overdue = 0 "
	                          "WHERE case_id = ?1 AND org_id = ?2", &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, case_id);
	sq_bind_int(&b, org_id);
	sq_bind_int(&b, due_at > 0 ? due_at : 0);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_participant_due_scan(store_conn_t *c, arena_t *a, pa_time_t now, int limit,
                            pa_participant_due_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	/* stage_overdue = 0 written out: the partial index's own term */
	int rc = sq_stmt_const(c, "SELECT case_id, org_id, stage_due_at FROM case_participants "
	                          "WHERE stage_due_at > 0 AND stage_overdue = 0 AND stage_due_at <= ?1 "
	                          "ORDER BY stage_due_at LIMIT ?2", &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, limit);
	pa_participant_due_t *arr = arena_alloc(a, st_mult((size_t)limit, sizeof(*arr)));
	size_t cnt = 0;
	while (cnt < (size_t)limit && (rc = sq_step(c, st, NULL)) == SQ_ROW) {
		arr[cnt].case_id = sqlite3_column_int64(st, 0);
		arr[cnt].org_id = sqlite3_column_int64(st, 1);
		arr[cnt].due_at = sqlite3_column_int64(st, 2);
		cnt++;
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	*out = arr;
	*n = cnt;
	return 0;
}

static void read_record(sqlite3_stmt *st, arena_t *a, void *elem)
{
	pa_record_t *r = elem;
	sq_row_t row = SQ_ROW_READER(st, a);
	r->id = sq_col_int(&row);
	r->case_id = sq_col_int(&row);
	r->kind = sq_col_text(&row);
	r->version = (int)sq_col_int(&row);
	r->supersedes_id = sq_col_int(&row);
	r->superseded = sq_col_bool(&row);
	r->fields = sq_col_text(&row);
	r->created_by = sq_col_int(&row);
	r->created_by_name = sq_col_text(&row);
	r->org_id = sq_col_int(&row);
	r->created_at = sq_col_int(&row);
	r->event_id = sq_col_int(&row);
}

int sq_tx_participant_due_done(store_tx_t *tx, pa_id_t case_id, pa_id_t org_id, pa_time_t due_at,
                               bool overdue, bool *changed)
{
	store_conn_t *c = tx->conn;
	*changed = false;
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, overdue ? "UPDATE case_participants SET stage_overdue = 1 "
	                                    "WHERE case_id = ?1 AND org_id = ?2 AND stage_due_at = ?3 "
	                                    "AND stage_overdue = 0"
	                                  : "UPDATE case_participants SET stage_due_at = 0 "
	                                    "WHERE case_id = ?1 AND org_id = ?2 AND stage_due_at = ?3 "
	                                    "AND stage_overdue = 0",
	                       &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, case_id);
	sq_bind_int(&b, org_id);
	sq_bind_int(&b, due_at);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	if (rc >= 0)
		*changed = sqlite3_changes(c->db) > 0;
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_records_of_case(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_record_t **out,
                          size_t *n)
{
	*out = NULL;
	*n = 0;
	/* every staff case detail runs this: cached on the connection */
	static const char sql[] =
		"SELECT r.id, r.case_id, r.kind, r.version, IFNULL(r.supersedes_id, 0), "
		"EXISTS (SELECT 1 FROM case_records s WHERE s.supersedes_id = r.id), "
		"r.fields, IFNULL(r.created_by, 0), u.display_name, IFNULL(r.org_id, 0), "
		"r.created_at, IFNULL(r.event_id, 0) FROM case_records r "
		"LEFT JOIN users u ON u.id = r.created_by WHERE r.case_id = ?1 ORDER BY r.id";
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sq_rows_t r = { .size = sizeof(pa_record_t), .read = read_record };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_records_list(store_conn_t *c, arena_t *a, const pa_record_filter_t *f,
                    pa_record_row_t **out, size_t *n, bool *more)
{
	*out = NULL;
	*n = 0;
	*more = false;
	if (!f || !f->type || !f->kind || sq_check_limit(f->limit) < 0)
		return PA_EINVAL;
	/* the case filter's own type, state, cursor and limit do not apply here */
	pa_case_filter_t cf = f->cases;
	cf.type = NULL;
	cf.state = NULL;
	cf.has_cursor = false;
	cf.limit = f->limit;
	if (sq_case_filter_check(&cf) < 0)
		return PA_EINVAL;
	if (!cf.all_orgs && cf.nvisible == 0)
		return 0;
	struct list_query q;
	sq_query_init(&q, SQ_FILTER_PARAMS(&cf) + 8);
	strbuf_adds(&q.sql,
	            "SELECT r.id, r.case_id, r.kind, r.version, r.fields, IFNULL(r.created_by, 0), "
	            "u.display_name, IFNULL(r.org_id, 0), r.created_at, IFNULL(r.event_id, 0), "
	            "cases.number, cases.title, cases.state, cases.owner_org_id "
	            "FROM case_records r CROSS JOIN cases ON cases.id = r.case_id "
	            "LEFT JOIN users u ON u.id = r.created_by "
	            "WHERE r.kind = ? AND cases.type = ? "
	            "AND NOT EXISTS (SELECT 1 FROM case_records s WHERE s.supersedes_id = r.id)");
	sq_query_text(&q, f->kind);
	sq_query_text(&q, f->type);
	if (f->from) {
		strbuf_adds(&q.sql, " AND r.created_at >= ?");
		sq_query_int(&q, f->from);
	}
	if (f->to) {
		strbuf_adds(&q.sql, " AND r.created_at < ?");
		sq_query_int(&q, f->to);
	}
	if (f->before_id) {
		strbuf_adds(&q.sql, " AND r.id < ?");
		sq_query_int(&q, f->before_id);
	}
	sq_case_filter_where(&cf, &q);
	strbuf_adds(&q.sql, " ORDER BY r.id DESC LIMIT ?");
	sq_query_int(&q, (int64_t)f->limit + 1);
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt_dyn(c, q.sql.buf, q.sql.len, &st);
	if (rc < 0) {
		st = NULL;
		goto out;
	}
	if ((rc = sq_query_bind(c, &q, st)) < 0)
		goto out;
	pa_record_row_t *arr = arena_alloc(a, st_mult((size_t)f->limit, sizeof(*arr)));
	size_t cnt = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		if (cnt == (size_t)f->limit) {
			*more = true;
			break;
		}
		sq_row_t row = SQ_ROW_READER(st, a);
		pa_record_row_t *x = &arr[cnt++];
		*x = (pa_record_row_t){ 0 };
		x->r.id = sq_col_int(&row);
		x->r.case_id = sq_col_int(&row);
		x->r.kind = sq_col_text(&row);
		x->r.version = (int)sq_col_int(&row);
		x->r.fields = sq_col_text(&row);
		x->r.created_by = sq_col_int(&row);
		x->r.created_by_name = sq_col_text(&row);
		x->r.org_id = sq_col_int(&row);
		x->r.created_at = sq_col_int(&row);
		x->r.event_id = sq_col_int(&row);
		x->number = sq_col_text(&row);
		x->title = sq_col_text(&row);
		x->state = sq_col_text(&row);
		x->owner_org_id = sq_col_int(&row);
	}
	if (rc >= 0) {
		rc = 0;
		*out = arr;
		*n = cnt;
	}
out:
	if (st)
		sq_done(st);
	sq_query_release(&q);
	return rc;
}
