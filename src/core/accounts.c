/*
 * accounts.c — see accounts.h.  Writes go through store_write() with a small
 * context struct each; every write also appends its audit record in the same
 * transaction.
 */
#include "base/common.h"
#include "core/accounts.h"
#include "core/audit.h"
#include "core/cases.h"

#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>

static const char *principal_actor(const pa_principal_t *by, arena_t *a)
{
	return by ? authz_actor(by, a) : "cli";
}

int accounts_check_username(const char *u, pa_err_t *err)
{
	size_t n = u ? strlen(u) : 0;
	if (n < 2 || n > USERNAME_MAX)
		return pa_fail(err, PA_EINVAL, "validation", "username",
		               "username must be 2 to %d characters", USERNAME_MAX);
	if (!isalnum((unsigned char)u[0]))
		return pa_fail(err, PA_EINVAL, "validation", "username",
		               "username must start with a letter or digit");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-'))
			return pa_fail(err, PA_EINVAL, "validation", "username",
			               "username may contain only a-z, 0-9, '.', '_' and '-'");
	}
	return 0;
}

/* ---- login --------------------------------------------------------------- */

/* Unknown names are checked against this hash, so a wrong name costs the
 * same argon2id work as a wrong password. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
	char pw[33];
	random_hex(pw, 16);
	password_hash(pw, dummy_hash, sizeof(dummy_hash));
}

struct login_tx {
	pa_app_t *app;
	arena_t *a;
	const char *username;
	const char *ip;
	pa_user_t *user;     /* NULL when unknown */
	bool ok;             /* password matched */
	pa_time_t now;
	login_result_t *out;
	bool locked_now;
};

static int login_tx_fn(store_tx_t *tx, void *arg)
{
	struct login_tx *l = arg;
	const pa_config_t *cfg = l->app->cfg;
	char detail[256];
	if (!l->user) {
		snprintf(detail, sizeof(detail), "{\"ip\":\"%s\",\"reason\":\"unknown user\"}", l->ip);
		return audit_append(tx, l->now, "public", "user.login_failed",
		                    arena_printf(l->a, "username:%s", l->username), detail);
	}
	pa_user_t u = *l->user;
	const char *object = arena_printf(l->a, "user:%lld", (long long)u.id);
	if (!l->ok) {
		u.failed_logins++;
		if (u.failed_logins >= cfg->login_max_failures) {
			u.locked_until = l->now + cfg->login_lockout_s;
			u.failed_logins = 0;
			l->locked_now = true;
		}
		int rc = store_tx_user_update(tx, &u);
		if (rc < 0)
			return rc;
		snprintf(detail, sizeof(detail), "{\"ip\":\"%s\",\"locked\":%s}", l->ip,
		         l->locked_now ? "true" : "false");
		return audit_append(tx, l->now, "public", l->locked_now ? "user.locked" : "user.login_failed",
		                    object, detail);
	}
	u.failed_logins = 0;
	u.locked_until = 0;
	int rc = store_tx_user_update(tx, &u);
	if (rc < 0)
		return rc;
	char token_hash[PA_HASH_HEX];
	sha256_hex(l->out->session_token, strlen(l->out->session_token), token_hash);
	pa_session_t s = {
		.token_hash = token_hash,
		.user_id = u.id,
		.csrf_token = l->out->csrf_token,
		.created_at = l->now,
		.expires_at = l->out->expires_at,
	};
	if ((rc = store_tx_session_insert(tx, &s)) < 0)
		return rc;
	snprintf(detail, sizeof(detail), "{\"ip\":\"%s\"}", l->ip);
	return audit_append(tx, l->now, arena_printf(l->a, "user:%lld %s", (long long)u.id, u.username),
	                    "user.login", object, detail);
}

int accounts_login(pa_app_t *app, arena_t *a, const char *username, const char *password,
                   const char *client_ip, login_result_t *out, pa_err_t *err)
{
	if (!username || !*username)
		return pa_fail(err, PA_EINVAL, "validation", "username", "username is required");
	if (!password || !*password)
		return pa_fail(err, PA_EINVAL, "validation", "password", "password is required");
	if (strlen(username) > USERNAME_MAX || strlen(password) > PA_PASSWORD_MAX)
		return pa_fail(err, PA_EUNAUTH, "unauthenticated", NULL, "wrong username or password");

	memset(out, 0, sizeof(*out));
	pa_user_t user;
	int rc = store_user_get_by_name(store_reader(app->store), a, username, &user);
	if (rc < 0 && rc != PA_ENOTFOUND)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the account");
	pa_time_t now = pa_now();
	struct login_tx l = { .app = app, .a = a, .username = username, .ip = client_ip ? client_ip : "-",
	                      .user = rc == 0 ? &user : NULL, .now = now, .out = out };
	if (l.user && l.user->locked_until > now) {
		err->retry_after = (int)(l.user->locked_until - now);
		return pa_fail(err, PA_ELOCKED, "account-locked", NULL,
		               "too many failed logins; try again in %d minutes",
		               (int)((l.user->locked_until - now + 59) / 60));
	}
	pthread_once(&dummy_once, make_dummy_hash);
	bool ok = password_verify(l.user ? l.user->password_hash : dummy_hash, password);
	l.ok = ok && l.user && !l.user->disabled;
	if (l.ok) {
		random_hex(out->session_token, 32);
		random_hex(out->csrf_token, 32);
		out->expires_at = now + app->cfg->session_ttl_s;
		out->user = user;
	}
	pa_err_t werr = { 0 };
	rc = store_write(app->store, login_tx_fn, &l, &werr);
	if (rc < 0) {
		*err = werr;
		return rc;
	}
	if (l.locked_now) {
		err->retry_after = app->cfg->login_lockout_s;
		return pa_fail(err, PA_ELOCKED, "account-locked", NULL,
		               "too many failed logins; the account is locked for %d minutes",
		               app->cfg->login_lockout_s / 60);
	}
	if (!l.ok)
		return pa_fail(err, PA_EUNAUTH, "unauthenticated", NULL, "wrong username or password");
	return 0;
}

struct logout_tx {
	const char *hash;
	const char *actor;
	const char *object;
};

static int logout_tx_fn(store_tx_t *tx, void *arg)
{
	struct logout_tx *l = arg;
	int rc = store_tx_session_delete(tx, l->hash);
	if (rc < 0 && rc != PA_ENOTFOUND)
		return rc;
	return audit_append(tx, pa_now(), l->actor, "user.logout", l->object, NULL);
}

int accounts_logout(pa_app_t *app, const char *session_token, const pa_principal_t *p,
                    pa_err_t *err)
{
	char hash[PA_HASH_HEX];
	sha256_hex(session_token, strlen(session_token), hash);
	arena_t *a = arena_new();
	struct logout_tx l = { hash, authz_actor(p, a),
	                       arena_printf(a, "user:%lld", (long long)p->user_id) };
	int rc = store_write(app->store, logout_tx_fn, &l, err);
	arena_free(a);
	return rc;
}

static int fill_principal(pa_app_t *app, arena_t *a, pa_id_t user_id, pa_principal_t *p,
                          pa_err_t *err)
{
	pa_user_t u;
	int rc = store_user_get(store_reader(app->store), a, user_id, &u);
	if (rc == PA_ENOTFOUND || (rc == 0 && u.disabled))
		return pa_fail(err, PA_EUNAUTH, "unauthenticated", NULL, "the account is disabled");
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the account");
	p->kind = PRINCIPAL_STAFF;
	p->user_id = u.id;
	p->username = u.username;
	p->display_name = u.display_name;
	p->roles = u.roles;
	p->nroles = u.nroles;
	return 0;
}

int accounts_from_session(pa_app_t *app, arena_t *a, const char *token, pa_principal_t *p,
                          pa_err_t *err)
{
	if (!token || strlen(token) != 64)
		return pa_fail(err, PA_EUNAUTH, "unauthenticated", NULL, "please log in");
	char hash[PA_HASH_HEX];
	sha256_hex(token, 64, hash);
	pa_session_t s;
	/* the session, the account and its roles from one snapshot: one read
	 * transaction (one WAL read lock) instead of one per statement */
	store_conn_t *c = store_reader(app->store);
	store_read_begin(c);
	int rc = store_session_get(c, a, hash, &s);
	if (rc == PA_ENOTFOUND || (rc == 0 && s.expires_at <= pa_now()))
		rc = pa_fail(err, PA_EUNAUTH, "unauthenticated", NULL, "the session has expired; please log in");
	else if (rc < 0)
		rc = pa_fail(err, rc, "unavailable", NULL, "could not read the session");
	else
		rc = fill_principal(app, a, s.user_id, p, err);
	store_read_end(c);
	if (rc < 0)
		return rc;
	p->csrf_token = s.csrf_token;
	p->via_token = false;
	return 0;
}

int accounts_from_token(pa_app_t *app, arena_t *a, const char *bearer, pa_principal_t *p,
                        pa_err_t *err)
{
	size_t plen = strlen(API_TOKEN_PREFIX);
	if (!bearer || strncmp(bearer, API_TOKEN_PREFIX, plen) != 0 || strlen(bearer) != plen + 64)
		return pa_fail(err, PA_EUNAUTH, "unauthenticated", NULL, "invalid API token");
	char hash[PA_HASH_HEX];
	sha256_hex(bearer, strlen(bearer), hash);
	pa_api_token_t t;
	store_conn_t *c = store_reader(app->store);
	store_read_begin(c); /* as for a session: one snapshot */
	int rc = store_token_get_by_hash(c, a, hash, &t);
	if (rc == PA_ENOTFOUND || (rc == 0 && (t.revoked || (t.expires_at && t.expires_at <= pa_now()))))
		rc = pa_fail(err, PA_EUNAUTH, "unauthenticated", NULL, "invalid, expired or revoked API token");
	else if (rc < 0)
		rc = pa_fail(err, rc, "unavailable", NULL, "could not read the token");
	else
		rc = fill_principal(app, a, t.user_id, p, err);
	store_read_end(c);
	if (rc < 0)
		return rc;
	p->via_token = true;
	return 0;
}

/* ---- user administration --------------------------------------------------- */

int accounts_check_roles(pa_app_t *app, const pa_membership_t *roles, size_t n, pa_err_t *err)
{
	if (n > MAX_ROLES_PER_USER)
		return pa_fail(err, PA_EINVAL, "validation", "roles", "at most %d roles", MAX_ROLES_PER_USER);
	orgtree_t *t = orgcache_get(app->orgs);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char field[32];
		snprintf(field, sizeof(field), "roles[%zu]", i);
		const pa_org_t *o = orgtree_find(t, roles[i].org_id);
		if (!role_valid(roles[i].role))
			rc = pa_fail(err, PA_EINVAL, "validation", field, "unknown role '%s'",
			             roles[i].role ? roles[i].role : "");
		else if (!o)
			rc = pa_fail(err, PA_EINVAL, "validation", field, "no org with id %lld",
			             (long long)roles[i].org_id);
		else if (!o->is_unit)
			rc = pa_fail(err, PA_EINVAL, "validation", field,
			             "roles are held in units, and '%s' is a place", o->name);
	}
	orgtree_release(t);
	return rc;
}

struct user_tx {
	const pa_user_t *u;
	const pa_membership_t *roles;
	size_t nroles;
	bool set_roles;
	bool insert;
	bool end_sessions;
	pa_id_t id;
	const char *actor;
	const char *action;
	arena_t *a;
};

static int user_tx_fn(store_tx_t *tx, void *arg)
{
	struct user_tx *x = arg;
	int rc;
	if (x->insert) {
		rc = store_tx_user_insert(tx, x->u, &x->id);
		if (rc == PA_ECONFLICT)
			return pa_fail(store_tx_err(tx), rc, "conflict", "username",
			               "the username '%s' is taken", x->u->username);
	} else {
		x->id = x->u->id;
		rc = store_tx_user_update(tx, x->u);
	}
	if (rc < 0)
		return rc;
	if (x->set_roles && (rc = store_tx_user_set_roles(tx, x->id, x->roles, x->nroles)) < 0)
		return rc;
	if (x->end_sessions && (rc = store_tx_sessions_delete_user(tx, x->id)) < 0)
		return rc;
	strbuf_t d = STRBUF_INIT;
	strbuf_adds(&d, "{\"username\":");
	strbuf_add_json_str(&d, x->u->username);
	if (x->set_roles) {
		strbuf_adds(&d, ",\"roles\":[");
		for (size_t i = 0; i < x->nroles; i++)
			strbuf_addf(&d, "%s{\"org_id\":%lld,\"role\":\"%s\"}", i ? "," : "",
			            (long long)x->roles[i].org_id, x->roles[i].role);
		strbuf_adds(&d, "]");
	}
	strbuf_adds(&d, "}");
	rc = audit_append(tx, pa_now(), x->actor, x->action,
	                  arena_printf(x->a, "user:%lld", (long long)x->id), d.buf);
	strbuf_release(&d);
	return rc;
}

int accounts_user_create(pa_app_t *app, arena_t *a, const pa_principal_t *by,
                         const user_input_t *in, pa_id_t *id, pa_err_t *err)
{
	int rc;
	if ((rc = accounts_check_username(in->username, err)) < 0)
		return rc;
	const char *dn = in->display_name && *in->display_name ? in->display_name : in->username;
	if (strlen(dn) > DISPLAY_NAME_MAX * 4)
		return pa_fail(err, PA_EINVAL, "validation", "display_name", "display name is too long");
	if ((rc = password_check_policy(in->password, err)) < 0)
		return rc;
	if ((rc = accounts_check_roles(app, in->roles, in->nroles, err)) < 0)
		return rc;
	char hash[crypto_pwhash_STRBYTES];
	if ((rc = password_hash(in->password, hash, sizeof(hash))) < 0)
		return pa_fail(err, rc, "internal", NULL, "could not hash the password");
	pa_user_t u = { .username = in->username, .display_name = dn, .password_hash = hash,
	                .created_at = pa_now() };
	struct user_tx x = { .u = &u, .roles = in->roles, .nroles = in->nroles, .set_roles = true,
	                     .insert = true, .actor = principal_actor(by, a), .action = "user.create",
	                     .a = a };
	if ((rc = store_write(app->store, user_tx_fn, &x, err)) < 0)
		return rc;
	if (id)
		*id = x.id;
	return 0;
}

static int load_user(pa_app_t *app, arena_t *a, pa_id_t id, pa_user_t *u, pa_err_t *err)
{
	int rc = store_user_get(store_reader(app->store), a, id, u);
	if (rc == PA_ENOTFOUND)
		return pa_fail(err, rc, "not-found", NULL, "no user with id %lld", (long long)id);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the user");
	return 0;
}

int accounts_user_set_password(pa_app_t *app, arena_t *a, const pa_principal_t *by,
                               pa_id_t user_id, const char *password, pa_err_t *err)
{
	pa_user_t u;
	int rc;
	if ((rc = password_check_policy(password, err)) < 0)
		return rc;
	if ((rc = load_user(app, a, user_id, &u, err)) < 0)
		return rc;
	char hash[crypto_pwhash_STRBYTES];
	if ((rc = password_hash(password, hash, sizeof(hash))) < 0)
		return pa_fail(err, rc, "internal", NULL, "could not hash the password");
	u.password_hash = hash;
	u.failed_logins = 0;
	u.locked_until = 0;
	struct user_tx x = { .u = &u, .end_sessions = true, .actor = principal_actor(by, a),
	                     .action = "user.password", .a = a };
	return store_write(app->store, user_tx_fn, &x, err);
}

int accounts_user_set_disabled(pa_app_t *app, arena_t *a, const pa_principal_t *by,
                               pa_id_t user_id, bool disabled, pa_err_t *err)
{
	pa_user_t u;
	int rc;
	if ((rc = load_user(app, a, user_id, &u, err)) < 0)
		return rc;
	u.disabled = disabled;
	struct user_tx x = { .u = &u, .end_sessions = disabled, .actor = principal_actor(by, a),
	                     .action = disabled ? "user.disable" : "user.enable", .a = a };
	return store_write(app->store, user_tx_fn, &x, err);
}

int accounts_user_set_roles(pa_app_t *app, arena_t *a, const pa_principal_t *by, pa_id_t user_id,
                            const pa_membership_t *roles, size_t n, pa_err_t *err)
{
	pa_user_t u;
	int rc;
	if ((rc = accounts_check_roles(app, roles, n, err)) < 0)
		return rc;
	if ((rc = load_user(app, a, user_id, &u, err)) < 0)
		return rc;
	struct user_tx x = { .u = &u, .roles = roles, .nroles = n, .set_roles = true,
	                     .actor = principal_actor(by, a), .action = "user.roles", .a = a };
	return store_write(app->store, user_tx_fn, &x, err);
}

int accounts_user_update(pa_app_t *app, arena_t *a, const pa_principal_t *by, pa_id_t user_id,
                         const pa_membership_t *roles, size_t n, int disabled, bool unlock,
                         pa_err_t *err)
{
	pa_user_t u;
	int rc;
	if (roles && (rc = accounts_check_roles(app, roles, n, err)) < 0)
		return rc;
	if ((rc = load_user(app, a, user_id, &u, err)) < 0)
		return rc;
	if (disabled >= 0)
		u.disabled = disabled == 1;
	if (unlock) {
		u.failed_logins = 0;
		u.locked_until = 0;
	}
	struct user_tx x = { .u = &u, .roles = roles, .nroles = n, .set_roles = roles != NULL,
	                     .end_sessions = disabled == 1, .actor = principal_actor(by, a),
	                     .action = "user.update", .a = a };
	return store_write(app->store, user_tx_fn, &x, err);
}

/* ---- API tokens --------------------------------------------------------------- */

struct token_tx {
	pa_api_token_t *t;
	bool revoke;
	pa_id_t id;
	const char *actor;
	arena_t *a;
};

static int token_tx_fn(store_tx_t *tx, void *arg)
{
	struct token_tx *x = arg;
	int rc = x->revoke ? store_tx_token_revoke(tx, x->t->id, x->t->user_id)
	                   : store_tx_token_insert(tx, x->t, &x->id);
	if (rc < 0)
		return rc;
	if (x->revoke)
		x->id = x->t->id;
	strbuf_t d = STRBUF_INIT;
	strbuf_adds(&d, "{\"name\":");
	strbuf_add_json_str(&d, x->t->name ? x->t->name : "");
	strbuf_adds(&d, "}");
	rc = audit_append(tx, pa_now(), x->actor, x->revoke ? "token.revoke" : "token.create",
	                  arena_printf(x->a, "token:%lld", (long long)x->id), d.buf);
	strbuf_release(&d);
	return rc;
}

int accounts_token_create(pa_app_t *app, arena_t *a, const pa_principal_t *by, const char *name,
                          int ttl_days, char token_out[70], pa_id_t *id, pa_err_t *err)
{
	if (!name || !*name || strlen(name) > 100)
		return pa_fail(err, PA_EINVAL, "validation", "name", "a token needs a name of 1 to 100 bytes");
	if (ttl_days < 0 || ttl_days > 3650)
		return pa_fail(err, PA_EINVAL, "validation", "ttl_days", "ttl_days must be 0..3650");
	char hex[65];
	random_hex(hex, 32);
	snprintf(token_out, 70, "%s%s", API_TOKEN_PREFIX, hex);
	char hash[PA_HASH_HEX];
	sha256_hex(token_out, strlen(token_out), hash);
	pa_time_t now = pa_now();
	pa_api_token_t t = { .user_id = by->user_id, .name = name, .token_hash = hash,
	                     .created_at = now, .expires_at = ttl_days ? now + ttl_days * 86400LL : 0 };
	struct token_tx x = { .t = &t, .actor = authz_actor(by, a), .a = a };
	int rc = store_write(app->store, token_tx_fn, &x, err);
	if (rc == 0 && id)
		*id = x.id;
	return rc;
}

int accounts_token_revoke(pa_app_t *app, arena_t *a, const pa_principal_t *by, pa_id_t id,
                          pa_err_t *err)
{
	pa_api_token_t t = { .id = id, .user_id = by->user_id, .name = "" };
	struct token_tx x = { .t = &t, .revoke = true, .actor = authz_actor(by, a), .a = a };
	int rc = store_write(app->store, token_tx_fn, &x, err);
	if (rc == PA_ENOTFOUND)
		return pa_fail(err, rc, "not-found", NULL, "no token %lld of yours", (long long)id);
	return rc;
}

/* ---- orgs ------------------------------------------------------------------------ */

struct org_tx {
	const pa_org_t *org;
	pa_id_t id;
	const char *actor;
	arena_t *a;
};

static int org_tx_fn(store_tx_t *tx, void *arg)
{
	struct org_tx *x = arg;
	int rc = store_tx_org_insert(tx, x->org, &x->id);
	if (rc == PA_ECONFLICT)
		return pa_fail(store_tx_err(tx), rc, "conflict", "code", "the org code '%s' is taken",
		               x->org->code);
	if (rc < 0)
		return rc;
	strbuf_t d = STRBUF_INIT;
	strbuf_adds(&d, "{\"code\":");
	strbuf_add_json_str(&d, x->org->code);
	strbuf_adds(&d, ",\"name\":");
	strbuf_add_json_str(&d, x->org->name);
	strbuf_adds(&d, "}");
	rc = audit_append(tx, pa_now(), x->actor, "org.create",
	                  arena_printf(x->a, "org:%lld", (long long)x->id), d.buf);
	strbuf_release(&d);
	return rc;
}

/* The 机关代字: up to ORG_ABBR_MAX characters of text, no braces (it goes into
 * a number template), no control characters or spaces. */
static int check_abbr(const char *abbr, pa_err_t *err)
{
	if (!abbr)
		return 0;
	int rc = cases_check_text(abbr, "abbr", false, ORG_ABBR_MAX, err);
	if (rc < 0)
		return rc;
	for (const unsigned char *p = (const unsigned char *)abbr; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '{' || *p == '}')
			return pa_fail(err, PA_EINVAL, "validation", "abbr",
			               "abbr may not contain spaces, control characters or braces");
	return 0;
}

struct org_update_tx {
	pa_id_t id;
	const org_patch_t *patch;
	const char *actor;
	arena_t *a;
	pa_org_t after;
};

static int org_update_tx_fn(store_tx_t *tx, void *arg)
{
	struct org_update_tx *x = arg;
	pa_org_t o;
	int rc = store_org_get(store_tx_conn(tx), x->a, x->id, &o);
	if (rc == PA_ENOTFOUND)
		return pa_fail(store_tx_err(tx), rc, "not-found", NULL, "no org with id %lld",
		               (long long)x->id);
	if (rc < 0)
		return rc;
	strbuf_t d = STRBUF_INIT;
	strbuf_adds(&d, "{\"code\":");
	strbuf_add_json_str(&d, o.code);
	if (x->patch->name) {
		strbuf_adds(&d, ",\"name\":");
		strbuf_add_json_str(&d, x->patch->name);
		o.name = x->patch->name;
	}
	if (x->patch->name_en) {
		strbuf_adds(&d, ",\"name_en\":");
		strbuf_add_json_str(&d, x->patch->name_en);
		o.name_en = x->patch->name_en;
	}
	if (x->patch->abbr) {
		strbuf_adds(&d, ",\"abbr\":");
		strbuf_add_json_str(&d, x->patch->abbr);
		o.abbr = x->patch->abbr;
	}
	strbuf_adds(&d, "}");
	if ((rc = store_tx_org_update(tx, &o)) == 0)
		rc = audit_append(tx, pa_now(), x->actor, "org.update",
		                  arena_printf(x->a, "org:%lld", (long long)x->id), d.buf);
	strbuf_release(&d);
	x->after = o;
	return rc;
}

int accounts_org_update(pa_app_t *app, arena_t *a, const pa_principal_t *by, pa_id_t id,
                        const org_patch_t *patch, pa_org_t *out, pa_err_t *err)
{
	int rc;
	if (patch->name && (!*patch->name || strlen(patch->name) > 400))
		return pa_fail(err, PA_EINVAL, "validation", "name", "name must be 1 to 100 characters");
	if (patch->name_en && strlen(patch->name_en) > 400)
		return pa_fail(err, PA_EINVAL, "validation", "name_en",
		               "name_en must be at most 400 bytes");
	if ((rc = check_abbr(patch->abbr, err)) < 0)
		return rc;
	struct org_update_tx x = { .id = id, .patch = patch, .actor = principal_actor(by, a), .a = a };
	if ((rc = store_write(app->store, org_update_tx_fn, &x, err)) < 0)
		return rc;
	orgcache_invalidate(app->orgs);
	if (out)
		*out = x.after;
	return 0;
}

int accounts_org_create(pa_app_t *app, arena_t *a, const pa_principal_t *by, const pa_org_t *org,
                        pa_id_t *id, pa_err_t *err)
{
	if (!org->code || !*org->code || strlen(org->code) > 64)
		return pa_fail(err, PA_EINVAL, "validation", "code", "code must be 1 to 64 bytes");
	for (const char *c = org->code; *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_' || *c == '.'))
			return pa_fail(err, PA_EINVAL, "validation", "code",
			               "code may contain only letters, digits, '-', '_' and '.'");
	if (!org->name || !*org->name || strlen(org->name) > 400)
		return pa_fail(err, PA_EINVAL, "validation", "name", "name must be 1 to 100 characters");
	if (!org_kind_valid(org->kind))
		return pa_fail(err, PA_EINVAL, "validation", "kind", "unknown org kind '%s'",
		               org->kind ? org->kind : "");
	int rc = check_abbr(org->abbr, err);
	if (rc < 0)
		return rc;
	orgtree_t *t = orgcache_get(app->orgs);
	if (org->parent_id) {
		const pa_org_t *p = orgtree_find(t, org->parent_id);
		if (!p)
			rc = pa_fail(err, PA_EINVAL, "validation", "parent_id", "no org with id %lld",
			             (long long)org->parent_id);
		else if (p->is_unit)
			rc = pa_fail(err, PA_EINVAL, "validation", "parent_id",
			             "orgs are placed under places, and '%s' is a unit", p->name);
	} else if (orgtree_count(t) > 0) {
		rc = pa_fail(err, PA_EINVAL, "validation", "parent_id",
		             "only the first org (the district) may have no parent");
	}
	if (rc == 0 && org->superior_id && !orgtree_find(t, org->superior_id))
		rc = pa_fail(err, PA_EINVAL, "validation", "superior_id", "no org with id %lld",
		             (long long)org->superior_id);
	orgtree_release(t);
	if (rc < 0)
		return rc;
	pa_org_t o = *org;
	o.is_unit = org_kind_is_unit(org->kind);
	struct org_tx x = { .org = &o, .actor = principal_actor(by, a), .a = a };
	if ((rc = store_write(app->store, org_tx_fn, &x, err)) < 0)
		return rc;
	orgcache_invalidate(app->orgs);
	if (id)
		*id = x.id;
	return 0;
}
