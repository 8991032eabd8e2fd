/*
 * sqlite_people.c — orgs, users and their memberships, sessions, API tokens.
 *
 * Every function follows one shape: take the cached statement, bind in
 * parameter order (sq_bind_*), step, read columns in select order
 * (sq_col_*), sq_done.  Reads pass no error record (callers get the code);
 * tx functions record details in sq_tx_err(tx).  orgs_generation is
 * bumped by triggers on orgs (sqlite_schema.c), so no path can forget it.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

/* ---- organisations ------------------------------------------------------------ */

static void read_org(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_org_t *o = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	o->id = sq_col_int(&r);
	o->parent_id = sq_col_int(&r);
	o->superior_id = sq_col_int(&r);
	o->code = sq_col_text(&r);
	o->name = sq_col_text(&r);
	o->name_en = sq_col_text(&r);
	o->kind = sq_col_text(&r);
	o->is_unit = sq_col_bool(&r);
	o->disabled = sq_col_bool(&r);
	o->abbr = sq_col_text(&r);
}

int sq_orgs_list(store_conn_t *c, arena_t *a, pa_org_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ORG_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	sq_rows_t r = { .size = sizeof(pa_org_t), .read = read_org };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_org_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_org_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ORG_GET, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sq_read_one(c, st, a, read_org, out);
	sq_done(st);
	return rc;
}

static void bind_org(sq_bind_t *b, const pa_org_t *org)
{
	sq_bind_int(b, org->parent_id);
	sq_bind_int(b, org->superior_id);
	sq_bind_text(b, org->code);
	sq_bind_text(b, org->name);
	sq_bind_text0(b, org->name_en);
	sq_bind_text(b, org->kind);
	sq_bind_bool(b, org->is_unit);
	sq_bind_bool(b, org->disabled);
	sq_bind_text0(b, org->abbr);
}

int sq_tx_org_insert(store_tx_t *tx, const pa_org_t *org, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ORG_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	bind_org(&b, org);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_tx_org_update(store_tx_t *tx, const pa_org_t *org)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ORG_UPDATE, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	bind_org(&b, org);
	sq_bind_int(&b, org->id);
	if (b.rc) {
		sq_done(st);
		return sq_bind_error(c, b.rc, tx->err);
	}
	return sq_exec_one(c, st, tx->err);
}

int sq_orgs_generation(store_conn_t *c, int64_t *gen)
{
	*gen = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ORGS_GENERATION, &st, NULL);
	if (rc < 0)
		return rc;
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW)
		*gen = sqlite3_column_int64(st, 0);
	sq_done(st);
	return rc < 0 ? rc : 0;
}

/* ---- users and memberships ---------------------------------------------------------- */

static void read_user(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_user_t *u = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	u->id = sq_col_int(&r);
	u->username = sq_col_text(&r);
	u->display_name = sq_col_text(&r);
	u->password_hash = sq_col_text(&r);
	u->disabled = sq_col_bool(&r);
	u->failed_logins = (int)sq_col_int(&r);
	u->locked_until = sq_col_int(&r);
	u->created_at = sq_col_int(&r);
	u->roles = NULL;
	u->nroles = 0;
}

static int load_roles(store_conn_t *c, arena_t *a, pa_user_t *u)
{
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ROLES_OF_USER, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, u->id);
	size_t cap = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		u->roles = sq_grow(a, u->roles, u->nroles, &cap, sizeof(*u->roles));
		sq_row_t r = SQ_ROW_READER(st, a);
		u->roles[u->nroles].org_id = sq_col_int(&r);
		u->roles[u->nroles].role = sq_col_text(&r);
		u->nroles++;
	}
	sq_done(st);
	return rc < 0 ? rc : 0;
}

static int user_get(store_conn_t *c, arena_t *a, enum sq_stmt_id id, sqlite3_int64 key,
                    const char *name, pa_user_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_stmt(c, id, &st, NULL);
	if (rc < 0)
		return rc;
	if (name)
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, key);
	rc = sq_read_one(c, st, a, read_user, out);
	sq_done(st);
	if (rc < 0)
		return rc;
	return load_roles(c, a, out);
}

int sq_user_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_user_t *out)
{
	return user_get(c, a, SQ_USER_GET, id, NULL, out);
}

int sq_user_get_by_name(store_conn_t *c, arena_t *a, const char *username, pa_user_t *out)
{
	if (!username)
		return PA_EINVAL;
	return user_get(c, a, SQ_USER_GET_BY_NAME, 0, username, out);
}

/* Users in id order; their memberships come from one query in user_id order. */
int sq_users_list(store_conn_t *c, arena_t *a, pa_user_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_USER_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	pa_user_t *users = NULL;
	size_t cnt = 0, cap = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		users = sq_grow(a, users, cnt, &cap, sizeof(*users));
		read_user(st, a, &users[cnt++]);
	}
	sq_done(st);
	if (rc < 0)
		return rc;

	rc = sq_stmt(c, SQ_ROLES_ALL, &st, NULL);
	if (rc < 0)
		return rc;
	pa_membership_t *roles = NULL;
	pa_id_t *owners = NULL;
	size_t nroles = 0, rcap = 0, ocap = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		roles = sq_grow(a, roles, nroles, &rcap, sizeof(*roles));
		owners = sq_grow(a, owners, nroles, &ocap, sizeof(*owners));
		sq_row_t r = SQ_ROW_READER(st, a);
		owners[nroles] = sq_col_int(&r);
		roles[nroles].org_id = sq_col_int(&r);
		roles[nroles].role = sq_col_text(&r);
		nroles++;
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	/* both lists ascend by user id: hand each user its run of memberships */
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		while (k < nroles && owners[k] < users[i].id)
			k++;
		size_t start = k;
		while (k < nroles && owners[k] == users[i].id)
			k++;
		if (k > start) {
			users[i].roles = &roles[start];
			users[i].nroles = k - start;
		}
	}
	*out = users;
	*n = cnt;
	return 0;
}

static int insert_roles(store_tx_t *tx, pa_id_t user_id, const pa_membership_t *roles, size_t n)
{
	store_conn_t *c = tx->conn;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st;
		int rc = sq_stmt(c, SQ_ROLE_INSERT, &st, tx->err);
		if (rc < 0)
			return rc;
		sq_bind_t b = SQ_BIND(st);
		sq_bind_int(&b, user_id);
		sq_bind_int(&b, roles[i].org_id);
		sq_bind_text(&b, roles[i].role);
		rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
		sq_done(st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Also inserts u->roles, if any. */
int sq_tx_user_insert(store_tx_t *tx, const pa_user_t *u, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_USER_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, u->username);
	sq_bind_text0(&b, u->display_name);
	sq_bind_text0(&b, u->password_hash);
	sq_bind_bool(&b, u->disabled);
	sq_bind_int(&b, u->failed_logins);
	sq_bind_int(&b, u->locked_until);
	sq_bind_int(&b, u->created_at);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	pa_id_t uid = sqlite3_last_insert_rowid(c->db);
	rc = insert_roles(tx, uid, u->roles, u->nroles);
	if (rc < 0)
		return rc;
	if (id)
		*id = uid;
	return 0;
}

int sq_tx_user_update(store_tx_t *tx, const pa_user_t *u)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_USER_UPDATE, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text0(&b, u->display_name);
	sq_bind_text0(&b, u->password_hash);
	sq_bind_bool(&b, u->disabled);
	sq_bind_int(&b, u->failed_logins);
	sq_bind_int(&b, u->locked_until);
	sq_bind_int(&b, u->id);
	if (b.rc) {
		sq_done(st);
		return sq_bind_error(c, b.rc, tx->err);
	}
	return sq_exec_one(c, st, tx->err);
}

int sq_tx_user_set_roles(store_tx_t *tx, pa_id_t user_id, const pa_membership_t *roles,
                            size_t n)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_USER_EXISTS, &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, user_id);
	rc = sq_step(c, st, tx->err);
	sq_done(st);
	if (rc == SQ_DONE)
		return pa_fail(tx->err, PA_ENOTFOUND, "not-found", "user_id", "no user %lld",
		               (long long)user_id);
	if (rc < 0)
		return rc;

	rc = sq_stmt(c, SQ_ROLES_DELETE, &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, user_id);
	rc = sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	return insert_roles(tx, user_id, roles, n);
}

/* ---- sessions ---------------------------------------------------------------------- */

int sq_session_get(store_conn_t *c, arena_t *a, const char *token_hash, pa_session_t *out)
{
	if (!token_hash)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_SESSION_GET, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		sq_row_t r = SQ_ROW_READER(st, a);
		out->token_hash = sq_col_text(&r);
		out->user_id = sq_col_int(&r);
		out->csrf_token = sq_col_text(&r);
		out->created_at = sq_col_int(&r);
		out->expires_at = sq_col_int(&r);
	} else if (rc == SQ_DONE) {
		rc = PA_ENOTFOUND;
	}
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_session_insert(store_tx_t *tx, const pa_session_t *s)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_SESSION_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, s->token_hash);
	sq_bind_int(&b, s->user_id);
	sq_bind_text(&b, s->csrf_token);
	sq_bind_int(&b, s->created_at);
	sq_bind_int(&b, s->expires_at);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_session_delete(store_tx_t *tx, const char *token_hash)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_SESSION_DELETE, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, token_hash);
	return sq_exec_one(c, st, tx->err);
}

int sq_tx_sessions_delete_user(store_tx_t *tx, pa_id_t user_id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_SESSIONS_DELETE_USER, &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, user_id);
	rc = sq_step(c, st, tx->err);
	sq_done(st);
	return rc < 0 ? rc : 0;
}

/* ---- API tokens ---------------------------------------------------------------------- */

static void read_token(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_api_token_t *t = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	t->id = sq_col_int(&r);
	t->user_id = sq_col_int(&r);
	t->name = sq_col_text(&r);
	t->token_hash = sq_col_text(&r);
	t->created_at = sq_col_int(&r);
	t->expires_at = sq_col_int(&r);
	t->revoked = sq_col_bool(&r);
}

int sq_token_get_by_hash(store_conn_t *c, arena_t *a, const char *token_hash,
                            pa_api_token_t *out)
{
	if (!token_hash)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_TOKEN_GET_BY_HASH, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, token_hash, -1, SQLITE_STATIC);
	rc = sq_read_one(c, st, a, read_token, out);
	sq_done(st);
	return rc;
}

int sq_tokens_list(store_conn_t *c, arena_t *a, pa_id_t user_id, pa_api_token_t **out,
                      size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_TOKENS_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, user_id);
	sq_rows_t r = { .size = sizeof(pa_api_token_t), .read = read_token };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_tx_token_insert(store_tx_t *tx, const pa_api_token_t *t, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_TOKEN_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, t->user_id);
	sq_bind_text0(&b, t->name);
	sq_bind_text(&b, t->token_hash);
	sq_bind_int(&b, t->created_at);
	sq_bind_int(&b, t->expires_at);
	sq_bind_bool(&b, t->revoked);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_tx_token_revoke(store_tx_t *tx, pa_id_t id, pa_id_t user_id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_TOKEN_REVOKE, &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, user_id);
	return sq_exec_one(c, st, tx->err);
}
