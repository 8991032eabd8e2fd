/*
 * sqlite_supervision.c — supervision orders (督办) and links between cases.
 *
 * The statements of this file are prepared per call (sqlite3_prepare_v3,
 * then finalized) instead of living in the per-connection cache of
 * sqlite_stmts.h: they run a few times per supervision action or intake,
 * and keeping them here leaves the shared statement table alone.  The two
 * that every staff case detail runs (the orders and the links of a case)
 * are the exception: preparing each cost ~200,000 instructions, more than
 * the rest of the detail's SQL, so they are cached by their text's address
 * (sq_stmt_const).  Otherwise every function has
 * the shape of the other sqlite_*.c files: bind in parameter order
 * (sq_bind_*), step with sq_step (so the write fault hook applies), read
 * columns in select order (sq_col_*).
 *
 * Ids that mean "none" when 0 are stored as NULL (NULLIF in, IFNULL out).
 * State changes of an order are conditional UPDATEs (WHERE state IN …), so
 * a change that lost a race is seen as "no row changed", never applied twice.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

#define SUP_COLS                                                                                  \
	"o.id, o.case_id, o.from_org_id, o.to_org_id, o.issued_by, IFNULL(ui.display_name, ''), "   \
	"o.issued_at, o.reason, o.required_action, o.due_at, o.state, o.reply_text, "               \
	"IFNULL(o.replied_by, 0), ur.display_name, IFNULL(o.replied_at, 0), "                       \
	"IFNULL(o.escalated_at, 0), IFNULL(o.closed_by, 0), uc.display_name, IFNULL(o.closed_at, 0)"
#define SUP_FROM                                                                                  \
	" FROM supervision_orders o LEFT JOIN users ui ON ui.id = o.issued_by "                      \
	"LEFT JOIN users ur ON ur.id = o.replied_by LEFT JOIN users uc ON uc.id = o.closed_by"
#define LINK_COLS                                                                                 \
	"l.id, l.from_case_id, l.to_case_id, l.kind, IFNULL(l.created_by, 0), u.display_name, "     \
	"l.created_at, l.note"
#define LINK_FROM " FROM case_links l LEFT JOIN users u ON u.id = l.created_by"

/* ---- supervision orders ---------------------------------------------------------------- */

static void read_order(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_supervision_t *o = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	o->id = sq_col_int(&r);
	o->case_id = sq_col_int(&r);
	o->from_org_id = sq_col_int(&r);
	o->to_org_id = sq_col_int(&r);
	o->issued_by = sq_col_int(&r);
	o->issued_by_name = sq_col_text(&r);
	o->issued_at = sq_col_int(&r);
	o->reason = sq_col_text(&r);
	o->required_action = sq_col_text(&r);
	o->due_at = sq_col_int(&r);
	o->state = sq_col_text(&r);
	o->reply_text = sq_col_text(&r);
	o->replied_by = sq_col_int(&r);
	o->replied_by_name = sq_col_text(&r);
	o->replied_at = sq_col_int(&r);
	o->escalated_at = sq_col_int(&r);
	o->closed_by = sq_col_int(&r);
	o->closed_by_name = sq_col_text(&r);
	o->closed_at = sq_col_int(&r);
}

int sq_tx_supervision_insert(store_tx_t *tx, const pa_supervision_t *o, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	                 "INSERT INTO supervision_orders(case_id, from_org_id, to_org_id, issued_by, "
	                 "issued_at, reason, required_action, due_at, state) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open')",
	                 &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, o->case_id);
	sq_bind_int(&b, o->from_org_id);
	sq_bind_int(&b, o->to_org_id);
	sq_bind_int(&b, o->issued_by);
	sq_bind_int(&b, o->issued_at);
	sq_bind_text(&b, o->reason);
	sq_bind_text(&b, o->required_action);
	sq_bind_int(&b, o->due_at);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

/* Runs st (bound) and collects its rows, at most limit (0: all); finalizes st. */
static int collect_orders(store_conn_t *c, sqlite3_stmt *st, arena_t *a, size_t limit,
                          pa_supervision_t **out, size_t *n, bool *more)
{
	sq_rows_t r = { .size = sizeof(pa_supervision_t), .read = read_order, .limit = limit };
	int rc = sq_collect(c, st, a, NULL, &r);
	sqlite3_finalize(st);
	if (more && r.more)
		*more = true;
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_supervision_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_supervision_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "SELECT " SUP_COLS SUP_FROM " WHERE o.id = ?1", &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sq_read_one(c, st, a, read_order, out);
	sqlite3_finalize(st);
	return rc;
}

int sq_supervision_of_case(store_conn_t *c, arena_t *a, pa_id_t case_id,
                              pa_supervision_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	/* every staff case detail runs this: cached on the connection */
	static const char sql[] = "SELECT " SUP_COLS SUP_FROM " WHERE o.case_id = ?1 ORDER BY o.id";
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sq_rows_t r = { .size = sizeof(pa_supervision_t), .read = read_order };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

/* "(?, ?, …)" with n question marks. */
static void add_placeholders(strbuf_t *sql, size_t n)
{
	strbuf_adds(sql, "(");
	for (size_t i = 0; i < n; i++)
		strbuf_adds(sql, i ? ", ?" : "?");
	strbuf_adds(sql, ")");
}

static void bind_ids(sq_bind_t *b, const pa_id_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sq_bind_int(b, ids[i]);
}

int sq_supervision_list(store_conn_t *c, arena_t *a, const pa_supervision_filter_t *f,
                           pa_supervision_t **out, size_t *n, bool *more)
{
	*out = NULL;
	*n = 0;
	*more = false;
	if (!f || sq_check_limit(f->limit) < 0 || f->nto > STORE_FILTER_IDS_MAX ||
	    (f->nto && !f->to_orgs) || f->nhidden > STORE_FILTER_IDS_MAX ||
	    (f->nhidden && !f->hidden_accused) ||
	    (!f->all_orgs && (f->nvisible > STORE_FILTER_IDS_MAX || (f->nvisible && !f->visible_orgs))))
		return PA_EINVAL;
	if (!c)
		return PA_EUNAVAIL;
	if ((!f->all_orgs && f->nvisible == 0) || (f->to_orgs && f->nto == 0))
		return 0;

	/* The SQL has fixed fragments and question marks only; the values are bound
	 * below in the same order the fragments are appended. */
	strbuf_t sql = STRBUF_INIT;
	strbuf_adds(&sql, "SELECT " SUP_COLS SUP_FROM " JOIN cases cs ON cs.id = o.case_id WHERE 1");
	if (f->state)
		strbuf_adds(&sql, " AND o.state = ?");
	if (f->to_orgs) {
		strbuf_adds(&sql, " AND o.to_org_id IN ");
		add_placeholders(&sql, f->nto);
	}
	if (!f->all_orgs) {
		strbuf_adds(&sql, " AND cs.owner_org_id IN ");
		add_placeholders(&sql, f->nvisible);
	}
	if (f->nhidden) {
		strbuf_adds(&sql, " AND (cs.accused_org_id = 0 OR cs.accused_org_id NOT IN ");
		add_placeholders(&sql, f->nhidden);
		strbuf_adds(&sql, ")");
	}
	if (f->has_cursor)
		strbuf_adds(&sql, " AND o.due_at >= ? AND (o.due_at > ? OR o.id > ?)");
	strbuf_adds(&sql, " ORDER BY o.due_at, o.id LIMIT ?");

	sqlite3_stmt *st;
	int rc = sq_prepare(c, sql.buf, &st, NULL);
	if (rc < 0) {
		strbuf_release(&sql);
		return rc;
	}
	sq_bind_t b = SQ_BIND(st);
	if (f->state)
		sq_bind_text(&b, f->state);
	if (f->to_orgs)
		bind_ids(&b, f->to_orgs, f->nto);
	if (!f->all_orgs)
		bind_ids(&b, f->visible_orgs, f->nvisible);
	if (f->nhidden)
		bind_ids(&b, f->hidden_accused, f->nhidden);
	if (f->has_cursor) {
		sq_bind_int(&b, f->after_due);
		sq_bind_int(&b, f->after_due);
		sq_bind_int(&b, f->after_id);
	}
	sq_bind_int(&b, (int64_t)f->limit + 1);
	strbuf_release(&sql);
	if (b.rc) {
		sqlite3_finalize(st);
		return sq_bind_error(c, b.rc, NULL);
	}
	return collect_orders(c, st, a, (size_t)f->limit, out, n, more);
}

/* Runs a conditional single-row UPDATE; *changed tells whether a row changed. */
static int update_one(store_tx_t *tx, sqlite3_stmt *st, sq_bind_t *b, bool *changed)
{
	store_conn_t *c = tx->conn;
	int rc = b->rc ? sq_bind_error(c, b->rc, tx->err) : sq_step(c, st, tx->err);
	if (rc >= 0)
		*changed = sqlite3_changes(c->db) > 0;
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_supervision_reply(store_tx_t *tx, pa_id_t id, const char *text, pa_id_t user,
                               pa_time_t at)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                 "UPDATE supervision_orders SET state = 'replied', reply_text = ?1, "
	                 "replied_by = NULLIF(?2, 0), replied_at = ?3 "
	                 "WHERE id = ?4 AND state IN ('open', 'overdue')",
	                 &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, text);
	sq_bind_int(&b, user);
	sq_bind_int(&b, at);
	sq_bind_int(&b, id);
	bool changed = false;
	if ((rc = update_one(tx, st, &b, &changed)) < 0)
		return rc;
	return changed ? 0 : pa_fail(tx->err, PA_ECONFLICT, "invalid-state", NULL,
	                             "the order is no longer open");
}

int sq_tx_supervision_close(store_tx_t *tx, pa_id_t id, pa_id_t user, pa_time_t at)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                 "UPDATE supervision_orders SET state = 'closed', closed_by = NULLIF(?1, 0), "
	                 "closed_at = ?2 WHERE id = ?3 AND state <> 'closed'",
	                 &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, user);
	sq_bind_int(&b, at);
	sq_bind_int(&b, id);
	bool changed = false;
	if ((rc = update_one(tx, st, &b, &changed)) < 0)
		return rc;
	return changed ? 0 : pa_fail(tx->err, PA_ECONFLICT, "invalid-state", NULL,
	                             "the order is closed already");
}

int sq_tx_supervision_mark_overdue(store_tx_t *tx, pa_id_t id, pa_time_t at, bool *changed)
{
	*changed = false;
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                 "UPDATE supervision_orders SET state = 'overdue', escalated_at = ?1 "
	                 "WHERE id = ?2 AND state = 'open' AND due_at <= ?1 AND escalated_at IS NULL",
	                 &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, at);
	sq_bind_int(&b, id);
	return update_one(tx, st, &b, changed);
}

int sq_supervision_due_scan(store_conn_t *c, arena_t *a, pa_time_t now, pa_id_t after_id,
                               int limit, pa_supervision_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	                 "SELECT " SUP_COLS SUP_FROM " WHERE o.state = 'open' AND o.due_at <= ?1 "
	                 "AND o.id > ?2 ORDER BY o.id LIMIT ?3",
	                 &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int64(st, 3, limit);
	return collect_orders(c, st, a, 0, out, n, NULL);
}

/* ---- links ------------------------------------------------------------------------------ */

int sq_tx_link_insert(store_tx_t *tx, const pa_case_link_t *l, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	                 "INSERT INTO case_links(from_case_id, to_case_id, kind, created_by, "
	                 "created_at, note) VALUES (?1, ?2, ?3, NULLIF(?4, 0), ?5, ?6)",
	                 &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, l->from_case_id);
	sq_bind_int(&b, l->to_case_id);
	sq_bind_text(&b, l->kind);
	sq_bind_int(&b, l->created_by);
	sq_bind_int(&b, l->created_at);
	sq_bind_text(&b, l->note && *l->note ? l->note : NULL);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

static void read_link(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_case_link_t *l = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	l->id = sq_col_int(&r);
	l->from_case_id = sq_col_int(&r);
	l->to_case_id = sq_col_int(&r);
	l->kind = sq_col_text(&r);
	l->created_by = sq_col_int(&r);
	l->created_by_name = sq_col_text(&r);
	l->created_at = sq_col_int(&r);
	l->note = sq_col_text(&r);
}

int sq_links_of_case(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_case_link_t **out,
                        size_t *n)
{
	*out = NULL;
	*n = 0;
	/* every staff case detail runs this: cached on the connection */
	static const char sql[] = "SELECT " LINK_COLS LINK_FROM " WHERE l.from_case_id = ?1 "
	                          "UNION ALL SELECT " LINK_COLS LINK_FROM " WHERE l.to_case_id = ?1 "
	                          "ORDER BY 1";
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sq_rows_t r = { .size = sizeof(pa_case_link_t), .read = read_link };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_link_exists(store_conn_t *c, pa_id_t a, pa_id_t b, const char *kind, bool either_way,
                      bool *exists)
{
	*exists = false;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	                 "SELECT 1 FROM case_links WHERE kind = ?3 AND ((from_case_id = ?1 AND "
	                 "to_case_id = ?2) OR (?4 AND from_case_id = ?2 AND to_case_id = ?1)) LIMIT 1",
	                 &st, NULL);
	if (rc < 0)
		return rc;
	sq_bind_t bb = SQ_BIND(st);
	sq_bind_int(&bb, a);
	sq_bind_int(&bb, b);
	sq_bind_text(&bb, kind);
	sq_bind_bool(&bb, either_way);
	if (bb.rc) {
		sqlite3_finalize(st);
		return sq_bind_error(c, bb.rc, NULL);
	}
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW)
		*exists = true;
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}
