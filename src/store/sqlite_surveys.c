/*
 * sqlite_surveys.c — surveys, invitations, responses and their tallies.
 *
 * Statements are prepared per call (sq_prepare), as in sqlite_supervision.c:
 * survey steps are rare next to case traffic, and the one hot statement of
 * a response (the answer insert) runs a handful of times per write.  The
 * tally is one GROUP BY over survey_answers_tally, which covers it (the
 * query never touches the table).  A token is spent by a conditional UPDATE
 * (used_at IS NULL), so two concurrent uses cannot both win.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

#include <stdio.h>

#define SURVEY_COLS                                                                               \
	"s.id, s.series, s.title, s.access, s.state, s.definition, IFNULL(s.created_by, 0), "       \
	"s.created_at, IFNULL(s.opened_at, 0), IFNULL(s.closed_at, 0), "                           \
	"(SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id), "                     \
	"(SELECT count(*) FROM survey_invitations i WHERE i.survey_id = s.id), "                   \
	"(SELECT count(*) FROM survey_invitations i WHERE i.survey_id = s.id AND i.used_at IS NOT NULL)"

static void read_survey(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_survey_t *s = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	s->id = sq_col_int(&r);
	s->series = sq_col_text(&r);
	s->title = sq_col_text(&r);
	s->access = sq_col_text(&r);
	s->state = sq_col_text(&r);
	s->definition = sq_col_text(&r);
	s->created_by = sq_col_int(&r);
	s->created_at = sq_col_int(&r);
	s->opened_at = sq_col_int(&r);
	s->closed_at = sq_col_int(&r);
	s->responses = sq_col_int(&r);
	s->invitations = sq_col_int(&r);
	s->invitations_used = sq_col_int(&r);
}

/* Runs a bound write statement once and finalizes it. */
static int run_once(store_tx_t *tx, sqlite3_stmt *st, sq_bind_t *b)
{
	int rc = b->rc ? sq_bind_error(tx->conn, b->rc, tx->err) : sq_step(tx->conn, st, tx->err);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_survey_insert(store_tx_t *tx, const pa_survey_t *s, pa_id_t *id)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                    "INSERT INTO surveys(series, title, access, state, definition, created_by, "
	                    "created_at) VALUES (?1, ?2, ?3, 'draft', ?4, NULLIF(?5, 0), ?6)",
	                    &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, s->series);
	sq_bind_text(&b, s->title);
	sq_bind_text(&b, s->access);
	sq_bind_text(&b, s->definition);
	sq_bind_int(&b, s->created_by);
	sq_bind_int(&b, s->created_at);
	if ((rc = run_once(tx, st, &b)) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(tx->conn->db);
	return 0;
}

int sq_survey_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_survey_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(c, "SELECT " SURVEY_COLS " FROM surveys s WHERE s.id = ?1", &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sq_read_one(c, st, a, read_survey, out);
	sqlite3_finalize(st);
	return rc;
}

int sq_surveys_list(store_conn_t *c, arena_t *a, const char *state, const char *series,
                       pa_id_t before_id, int limit, pa_survey_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	int rc = sq_check_limit(limit);
	if (rc < 0)
		return rc;
	sqlite3_stmt *st;
	rc = sq_prepare(c,
	                "SELECT " SURVEY_COLS " FROM surveys s WHERE (?1 IS NULL OR s.state = ?1) "
	                "AND (?2 IS NULL OR s.series = ?2) AND (?3 = 0 OR s.id < ?3) "
	                "ORDER BY s.id DESC LIMIT ?4",
	                &st, NULL);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, state);
	sq_bind_text(&b, series);
	sq_bind_int(&b, before_id);
	sq_bind_int(&b, limit);
	sq_rows_t r = { .size = sizeof(pa_survey_t), .read = read_survey };
	rc = sq_collect(c, st, a, NULL, &r);
	sqlite3_finalize(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_tx_survey_set_state(store_tx_t *tx, pa_id_t id, const char *from, const char *to,
                              pa_time_t at)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                    "UPDATE surveys SET state = ?3, "
	                    "opened_at = CASE WHEN ?3 = 'open' THEN ?4 ELSE opened_at END, "
	                    "closed_at = CASE WHEN ?3 = 'closed' THEN ?4 ELSE closed_at END "
	                    "WHERE id = ?1 AND state = ?2",
	                    &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, id);
	sq_bind_text(&b, from);
	sq_bind_text(&b, to);
	sq_bind_int(&b, at);
	if ((rc = run_once(tx, st, &b)) < 0)
		return rc;
	return sqlite3_changes(tx->conn->db) == 1 ? 0 : PA_ENOTFOUND;
}

int sq_tx_survey_state(store_tx_t *tx, pa_id_t id, char *state, size_t size)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn, "SELECT state FROM surveys WHERE id = ?1", &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sq_step(tx->conn, st, tx->err);
	if (rc == SQ_ROW)
		snprintf(state, size, "%s", (const char *)sqlite3_column_text(st, 0));
	else if (rc == SQ_DONE)
		rc = PA_ENOTFOUND;
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_survey_next_batch(store_tx_t *tx, pa_id_t survey, int64_t *batch)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                    "SELECT IFNULL(max(batch), 0) + 1 FROM survey_invitations WHERE survey_id = ?1",
	                    &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, survey);
	rc = sq_step(tx->conn, st, tx->err);
	if (rc == SQ_ROW)
		*batch = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_survey_invitation_insert(store_tx_t *tx, pa_id_t survey, int64_t batch,
                                      const char *token_hash, pa_id_t place, pa_time_t at)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                    "INSERT INTO survey_invitations(survey_id, batch, token_hash, place_id, "
	                    "created_at) VALUES (?1, ?2, ?3, NULLIF(?4, 0), ?5)",
	                    &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, survey);
	sq_bind_int(&b, batch);
	sq_bind_text(&b, token_hash);
	sq_bind_int(&b, place);
	sq_bind_int(&b, at);
	return run_once(tx, st, &b);
}

int sq_survey_invitation_get(store_conn_t *c, pa_id_t survey, const char *token_hash,
                                pa_id_t *place, bool *used)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	                    "SELECT IFNULL(place_id, 0), used_at IS NOT NULL FROM survey_invitations "
	                    "WHERE token_hash = ?1 AND survey_id = ?2",
	                    &st, NULL);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, token_hash);
	sq_bind_int(&b, survey);
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		*place = sqlite3_column_int64(st, 0);
		*used = sqlite3_column_int(st, 1) != 0;
	} else if (rc == SQ_DONE) {
		rc = PA_ENOTFOUND;
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_survey_invitation_use(store_tx_t *tx, pa_id_t survey, const char *token_hash,
                                   pa_time_t at, pa_id_t *invitation, pa_id_t *place)
{
	bool used = false;
	int rc = sq_survey_invitation_get(tx->conn, survey, token_hash, place, &used);
	if (rc < 0)
		return rc;
	if (used)
		return PA_ECONFLICT;
	sqlite3_stmt *st;
	rc = sq_prepare(tx->conn,
	                "UPDATE survey_invitations SET used_at = ?3 "
	                "WHERE token_hash = ?1 AND survey_id = ?2 AND used_at IS NULL RETURNING id",
	                &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, token_hash);
	sq_bind_int(&b, survey);
	sq_bind_int(&b, at);
	rc = b.rc ? sq_bind_error(tx->conn, b.rc, tx->err) : sq_step(tx->conn, st, tx->err);
	if (rc == SQ_ROW) {
		*invitation = sqlite3_column_int64(st, 0);
		/* finish the statement so the change is complete */
		while ((rc = sq_step(tx->conn, st, tx->err)) == SQ_ROW)
			;
	} else if (rc == SQ_DONE) {
		rc = PA_ECONFLICT;
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_survey_response_insert(store_tx_t *tx, pa_id_t survey, pa_id_t invitation,
                                    pa_id_t place, pa_time_t at, pa_id_t *id)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                    "INSERT INTO survey_responses(survey_id, invitation_id, place_id, created_at) "
	                    "VALUES (?1, NULLIF(?2, 0), NULLIF(?3, 0), ?4)",
	                    &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, survey);
	sq_bind_int(&b, invitation);
	sq_bind_int(&b, place);
	sq_bind_int(&b, at);
	if ((rc = run_once(tx, st, &b)) < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(tx->conn->db);
	return 0;
}

int sq_tx_survey_answer_insert(store_tx_t *tx, pa_id_t response, pa_id_t survey,
                                  pa_id_t place, const char *question, const char *option)
{
	sqlite3_stmt *st;
	int rc = sq_prepare(tx->conn,
	                    "INSERT INTO survey_answers(response_id, survey_id, place_id, question, "
	                    "option) VALUES (?1, ?2, NULLIF(?3, 0), ?4, ?5)",
	                    &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, response);
	sq_bind_int(&b, survey);
	sq_bind_int(&b, place);
	sq_bind_text(&b, question);
	sq_bind_text(&b, option);
	return run_once(tx, st, &b);
}

static void read_tally(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_survey_tally_t *t = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	t->place = sq_col_int(&r);
	t->question = sq_col_text(&r);
	t->option = sq_col_text(&r);
	t->count = sq_col_int(&r);
}

static void read_place_count(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_survey_place_count_t *pc = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	pc->place = sq_col_int(&r);
	pc->count = sq_col_int(&r);
}

int sq_survey_tally(store_conn_t *c, arena_t *a, pa_id_t survey, pa_survey_tally_t **out,
                       size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	                    "SELECT IFNULL(place_id, 0), question, option, count(*) FROM survey_answers "
	                    "WHERE survey_id = ?1 GROUP BY place_id, question, option",
	                    &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, survey);
	sq_rows_t r = { .size = sizeof(pa_survey_tally_t), .read = read_tally };
	rc = sq_collect(c, st, a, NULL, &r);
	sqlite3_finalize(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_survey_place_counts(store_conn_t *c, arena_t *a, pa_id_t survey,
                              pa_survey_place_count_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_prepare(c,
	                    "SELECT IFNULL(place_id, 0), count(*) FROM survey_responses "
	                    "WHERE survey_id = ?1 GROUP BY place_id",
	                    &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, survey);
	sq_rows_t r = { .size = sizeof(pa_survey_place_count_t), .read = read_place_count };
	rc = sq_collect(c, st, a, NULL, &r);
	sqlite3_finalize(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}
