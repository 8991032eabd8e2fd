/*
 * sqlite_outbox.c — the outbox, deadline alerts and org members (schema
 * version 3; core/notify.c, core/sender.c and core/reminders.c use them).
 *
 * Kept in a file of its own with its SQL next to the code, like
 * sqlite_docs.c, so the shared statement list (sqlite_stmts.h) is untouched:
 * these statements are prepared on each call (once per timer or sender pass:
 * next to a network round trip, preparing costs nothing), except the insert,
 * which runs a few times per transition with a notice and is cached
 * (sq_stmt_const): preparing it was a tenth of an action's cost.
 *
 * What makes delivery safe is in the conditions of the writes:
 * - a claim moves next_attempt_at to the end of a lease, so a sender that
 *   dies mid-delivery leaves the message to be retried, never lost;
 * - mark_sent / mark_failed change a message only while it is pending, so a
 *   late result cannot resurrect or overwrite a message an operator changed;
 * - an insert with a dedupe key that exists already writes nothing
 *   (ON CONFLICT DO NOTHING), and case_alerts' primary key makes each
 *   reminder and escalation happen once.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

#include <stdlib.h>

#define OB_COLS                                                                           \
	"id, uid, created_at, kind, IFNULL(case_id, 0), channel, recipient, recipient_sealed, " \
	"lang, subject, body, dedupe_key, attempts, next_attempt_at, status, last_error, "      \
	"IFNULL(sent_at, 0), updated_at"

static void read_msg(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_outbox_t *m = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	m->id = sq_col_int(&r);
	m->uid = sq_col_text(&r);
	m->created_at = sq_col_int(&r);
	m->kind = sq_col_text(&r);
	m->case_id = sq_col_int(&r);
	m->channel = sq_col_text(&r);
	m->recipient = sq_col_text(&r);
	m->recipient_sealed = sq_col_blob(&r);
	m->lang = sq_col_text(&r);
	m->subject = sq_col_text(&r);
	m->body = sq_col_text(&r);
	m->dedupe_key = sq_col_text(&r);
	m->attempts = (int)sq_col_int(&r);
	m->next_attempt_at = sq_col_int(&r);
	m->status = sq_col_text(&r);
	m->last_error = sq_col_text(&r);
	m->sent_at = sq_col_int(&r);
	m->updated_at = sq_col_int(&r);
}

/* Runs st (bound by the caller) to its end, collecting messages; finalizes st. */
static int collect(store_conn_t *c, sqlite3_stmt *st, arena_t *a, pa_err_t *err,
                   pa_outbox_t **out, size_t *n)
{
	sq_rows_t r = { .size = sizeof(pa_outbox_t), .read = read_msg };
	int rc;
	rc = sq_collect(c, st, a, err, &r);
	sqlite3_finalize(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

/* Steps a bound write statement once and finalizes it; *changes gets the row count. */
static int run_write(store_conn_t *c, sqlite3_stmt *st, sq_bind_t *b, pa_err_t *err,
                     int64_t *changes)
{
	int rc = b->rc ? sq_bind_error(c, b->rc, err) : sq_step(c, st, err);
	if (rc >= 0 && changes)
		*changes = sqlite3_changes(c->db);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

static bool status_valid(const char *s)
{
	return streq(s, "pending") || streq(s, "sent") || streq(s, "dead");
}

/* ---- outbox ------------------------------------------------------------------------ */

int sq_tx_outbox_insert(store_tx_t *tx, const pa_outbox_t *m, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	if (id)
		*id = 0;
	if (!m->channel || !*m->channel || !m->recipient || !m->uid)
		return pa_fail(tx->err, PA_EINVAL, "validation", "outbox",
		               "a message needs a uid, a channel and a recipient");
	static const char sql[] =
		"INSERT INTO outbox(uid, created_at, kind, case_id, channel, recipient, "
		"recipient_sealed, lang, subject, body, dedupe_key, attempts, next_attempt_at, "
		"status, updated_at) VALUES (?1, ?2, ?3, NULLIF(?4, 0), ?5, ?6, ?7, ?8, ?9, ?10, "
		"?11, 0, ?12, 'pending', ?2) ON CONFLICT DO NOTHING";
	sqlite3_stmt *st;
	int rc = sq_stmt_const(c, sql, &st, tx->err);  /* cached: several per action */
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, m->uid);
	sq_bind_int(&b, m->created_at);
	sq_bind_text0(&b, m->kind);
	sq_bind_int(&b, m->case_id);
	sq_bind_text(&b, m->channel);
	sq_bind_text(&b, m->recipient);
	sq_bind_blob(&b, m->recipient_sealed);
	sq_bind_text(&b, m->lang ? m->lang : "zh-CN");
	sq_bind_text0(&b, m->subject);
	sq_bind_text0(&b, m->body);
	sq_bind_text(&b, m->dedupe_key);
	sq_bind_int(&b, m->next_attempt_at ? m->next_attempt_at : m->created_at);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	int64_t changes = rc >= 0 ? sqlite3_changes(c->db) : 0;
	sq_done(st);
	if (rc < 0)
		return rc;
	if (changes && id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_outbox_due(store_conn_t *c, arena_t *a, pa_time_t now, int limit, pa_outbox_t **out,
                     size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "SELECT " OB_COLS " FROM outbox WHERE status = 'pending' AND "
	              "next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
	              &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, limit);
	return collect(c, st, a, NULL, out, n);
}

static int cmp_due(const void *x, const void *y)
{
	const pa_outbox_t *a = x, *b = y;
	/* the claim set every next_attempt_at to the lease: order by age, then id */
	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return 0;
}

int sq_tx_outbox_claim(store_tx_t *tx, arena_t *a, pa_time_t now, pa_time_t lease_until,
                          int limit, pa_outbox_t **out, size_t *n)
{
	store_conn_t *c = tx->conn;
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return pa_fail(tx->err, PA_EINVAL, "validation", "limit", "bad claim limit");
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, "
	              "updated_at = ?1 WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' "
	              "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?3) "
	              "RETURNING " OB_COLS,
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, lease_until);
	sqlite3_bind_int(st, 3, limit);
	if ((rc = collect(c, st, a, tx->err, out, n)) < 0)
		return rc;
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), cmp_due);
	return 0;
}

int sq_tx_outbox_mark_sent(store_tx_t *tx, pa_id_t id, pa_time_t at)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE outbox SET status = 'sent', sent_at = ?2, updated_at = ?2, "
	              "last_error = NULL WHERE id = ?1 AND status = 'pending'",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, id);
	sq_bind_int(&b, at);
	int64_t changes = 0;
	if ((rc = run_write(c, st, &b, tx->err, &changes)) < 0)
		return rc;
	return changes ? 0 : pa_fail(tx->err, PA_ENOTFOUND, "not-found", NULL,
	                             "outbox message %lld is not pending", (long long)id);
}

int sq_tx_outbox_mark_failed(store_tx_t *tx, pa_id_t id, pa_time_t at, const char *error,
                                bool dead, pa_time_t next_attempt_at)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE outbox SET status = CASE WHEN ?4 THEN 'dead' ELSE 'pending' END, "
	              "last_error = ?3, next_attempt_at = ?5, updated_at = ?2 "
	              "WHERE id = ?1 AND status = 'pending'",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, id);
	sq_bind_int(&b, at);
	sq_bind_text0(&b, error);
	sq_bind_bool(&b, dead);
	sq_bind_int(&b, next_attempt_at);
	int64_t changes = 0;
	if ((rc = run_write(c, st, &b, tx->err, &changes)) < 0)
		return rc;
	return changes ? 0 : pa_fail(tx->err, PA_ENOTFOUND, "not-found", NULL,
	                             "outbox message %lld is not pending", (long long)id);
}

int sq_outbox_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_outbox_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "SELECT " OB_COLS " FROM outbox WHERE id = ?1", &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	pa_outbox_t *arr = NULL;
	size_t n = 0;
	if ((rc = collect(c, st, a, NULL, &arr, &n)) < 0)
		return rc;
	if (n == 0)
		return PA_ENOTFOUND;
	*out = arr[0];
	return 0;
}

int sq_outbox_list(store_conn_t *c, arena_t *a, const char *status, pa_id_t before_id,
                      int limit, pa_outbox_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0 || (status && !status_valid(status)))
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "SELECT " OB_COLS " FROM outbox WHERE (?1 IS NULL OR status = ?1) "
	              "AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3",
	              &st, NULL);
	if (rc < 0)
		return rc;
	if (status)
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, before_id);
	sqlite3_bind_int(st, 3, limit);
	return collect(c, st, a, NULL, out, n);
}

int sq_tx_outbox_retry(store_tx_t *tx, pa_id_t id, pa_time_t now)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2, "
	              "updated_at = ?2 WHERE id = ?1 AND status <> 'sent'",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, id);
	sq_bind_int(&b, now);
	int64_t changes = 0;
	if ((rc = run_write(c, st, &b, tx->err, &changes)) < 0)
		return rc;
	if (changes)
		return 0;
	arena_t *a = arena_new();
	pa_outbox_t m;
	rc = sq_outbox_get(c, a, id, &m);
	arena_free(a);
	if (rc == PA_ENOTFOUND)
		return pa_fail(tx->err, PA_ENOTFOUND, "not-found", "id", "no outbox message %lld",
		               (long long)id);
	if (rc < 0)
		return rc;
	return pa_fail(tx->err, PA_ECONFLICT, "conflict", "id",
	               "outbox message %lld was sent already", (long long)id);
}

int sq_tx_outbox_retry_dead(store_tx_t *tx, pa_time_t now, int64_t *count)
{
	store_conn_t *c = tx->conn;
	*count = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?1, "
	              "updated_at = ?1 WHERE status = 'dead'",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, now);
	return run_write(c, st, &b, tx->err, count);
}

int sq_outbox_counts(store_conn_t *c, int64_t *pending, int64_t *sent, int64_t *dead)
{
	*pending = *sent = *dead = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "SELECT IFNULL(sum(status = 'pending'), 0), IFNULL(sum(status = 'sent'), 0), "
	              "IFNULL(sum(status = 'dead'), 0) FROM outbox",
	              &st, NULL);
	if (rc < 0)
		return rc;
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		*pending = sqlite3_column_int64(st, 0);
		*sent = sqlite3_column_int64(st, 1);
		*dead = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

/* ---- deadline alerts ------------------------------------------------------------------- */

static void read_due_item(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_due_item_t *it = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	it->id = sq_col_int(&r);
	it->type = sq_col_text(&r);
	it->state = sq_col_text(&r);
	it->due_at = sq_col_int(&r);
	it->overdue = sq_col_bool(&r);
}

int sq_tx_alert_insert(store_tx_t *tx, pa_id_t case_id, const char *kind, const char *state,
                          pa_time_t due_at, pa_time_t at, bool *inserted)
{
	store_conn_t *c = tx->conn;
	*inserted = false;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "INSERT INTO case_alerts(case_id, kind, state, due_at, at) "
	              "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
	              &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, case_id);
	sq_bind_text(&b, kind);
	sq_bind_text(&b, state);
	sq_bind_int(&b, due_at);
	sq_bind_int(&b, at);
	int64_t changes = 0;
	if ((rc = run_write(c, st, &b, tx->err, &changes)) < 0)
		return rc;
	*inserted = changes > 0;
	return 0;
}

/* ?1 now, ?2 percent, ?3 lowest due_at, (?4, ?5) the cursor, ?6 limit. */
static int scan(store_conn_t *c, arena_t *a, const char *sql, pa_time_t now, int64_t percent,
                pa_time_t lowest_due, pa_time_t after_due, pa_id_t after_id, int limit,
                pa_due_item_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_prepare(c, sql, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, percent);
	sqlite3_bind_int64(st, 3, lowest_due > after_due ? lowest_due : after_due);
	sqlite3_bind_int64(st, 4, after_due);
	sqlite3_bind_int64(st, 5, after_id);
	sqlite3_bind_int(st, 6, limit);
	sq_rows_t r = { .size = sizeof(pa_due_item_t), .read = read_due_item };
	rc = sq_collect(c, st, a, NULL, &r);
	sqlite3_finalize(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

/*
 * Both scans walk cases_open_due (is_open, due_at, id) from the cursor: the
 * keyset `due_at >= ?3 AND (due_at > ?4 OR id > ?5)` gives the planner a
 * range to seek to, so a pass costs one walk over the candidates however
 * many pages it takes, and the correlated NOT EXISTS is a primary-key probe.
 */
int sq_reminder_scan(store_conn_t *c, arena_t *a, pa_time_t now, int percent,
                        pa_time_t after_due, pa_id_t after_id, int limit, pa_due_item_t **out,
                        size_t *n)
{
	if (percent < 1 || percent > 99)
		return PA_EINVAL;
	/* elapsed * 100 >= span * percent, in integers (no rounding surprises) */
	return scan(c, a,
	            "SELECT id, type, state, due_at, overdue FROM cases c "
	            "WHERE is_open = 1 AND due_at >= ?3 AND due_at > ?1 "
	            "AND due_at < 9223372036854775807 AND (due_at > ?4 OR id > ?5) "
	            "AND due_at > state_entered_at "
	            "AND (?1 - state_entered_at) * 100 >= (due_at - state_entered_at) * ?2 "
	            "AND NOT EXISTS (SELECT 1 FROM case_alerts x WHERE x.case_id = c.id "
	            "AND x.kind = 'reminder' AND x.state = c.state AND x.due_at = c.due_at) "
	            "ORDER BY due_at, id LIMIT ?6",
	            now, percent, now + 1, after_due, after_id, limit, out, n);
}

static void read_member(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_member_t *m = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	m->user_id = sq_col_int(&r);
	m->username = sq_col_text(&r);
	m->display_name = sq_col_text(&r);
	m->role = sq_col_text(&r);
}

int sq_escalation_scan(store_conn_t *c, arena_t *a, pa_time_t now, pa_time_t after_due,
                          pa_id_t after_id, int limit, pa_due_item_t **out, size_t *n)
{
	return scan(c, a,
	            "SELECT id, type, state, due_at, overdue FROM cases c "
	            "WHERE is_open = 1 AND due_at >= ?3 AND due_at <= ?1 AND ?2 = 0 "
	            "AND (due_at > ?4 OR id > ?5) "
	            "AND NOT EXISTS (SELECT 1 FROM case_alerts x WHERE x.case_id = c.id "
	            "AND x.kind = 'escalation' AND x.state = c.state AND x.due_at = c.due_at) "
	            "ORDER BY due_at, id LIMIT ?6",
	            now, 0, INT64_MIN, after_due, after_id, limit, out, n);
}

/* ---- org members ------------------------------------------------------------------------ */

int sq_org_members(store_conn_t *c, arena_t *a, pa_id_t org_id, pa_member_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	              "SELECT m.user_id, u.username, u.display_name, m.role FROM memberships m "
	              "JOIN users u ON u.id = m.user_id WHERE m.org_id = ?1 AND u.disabled = 0 "
	              "ORDER BY m.user_id, m.role",
	              &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, org_id);
	sq_rows_t r = { .size = sizeof(pa_member_t), .read = read_member };
	rc = sq_collect(c, st, a, NULL, &r);
	sqlite3_finalize(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}
