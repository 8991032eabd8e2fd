/*
 * accounts.h — staff accounts, login, sessions, API tokens.
 *
 * Login checks the argon2id hash; after login.max_failures wrong passwords
 * within a lockout window the account is locked for login.lockout_seconds
 * (the answer does not tell whether the name exists: unknown names are
 * checked against a dummy hash so timing matches).  A session is a random
 * 256-bit cookie value; the store keeps only its SHA-256, with a CSRF token
 * that every state-changing request must echo in X-CSRF-Token.  API tokens
 * ("pa_" + 64 hex) are for machine clients: sent as Authorization: Bearer,
 * stored hashed, shown once, revocable; they need no CSRF token because no
 * browser sends them by itself.  Every login, failure, lockout and account
 * change is audited.
 */
#ifndef PA_ACCOUNTS_H
#define PA_ACCOUNTS_H

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define SESSION_COOKIE "pingan_session"
#define API_TOKEN_PREFIX "pa_"
#define USERNAME_MAX 64
#define DISPLAY_NAME_MAX 100
#define MAX_ROLES_PER_USER 32

typedef struct login_result {
	char session_token[65];   /* cookie value */
	char csrf_token[65];
	pa_user_t user;
	pa_time_t expires_at;
} login_result_t;

int accounts_login(pa_app_t *app, arena_t *a, const char *username, const char *password,
                   const char *client_ip, login_result_t *out, pa_err_t *err);
int accounts_logout(pa_app_t *app, const char *session_token, const pa_principal_t *p,
                    pa_err_t *err);

/* Fills a staff principal from a session cookie or a bearer token;
 * PA_EUNAUTH when missing, expired, revoked or the user is disabled. */
int accounts_from_session(pa_app_t *app, arena_t *a, const char *session_token,
                          pa_principal_t *p, pa_err_t *err);
int accounts_from_token(pa_app_t *app, arena_t *a, const char *bearer, pa_principal_t *p,
                        pa_err_t *err);

/* Username: 2..64 of [a-z0-9._-], starting with a letter or digit. */
int accounts_check_username(const char *username, pa_err_t *err);

typedef struct user_input {
	const char *username;
	const char *display_name;
	const char *password;
	const pa_membership_t *roles;
	size_t nroles;
} user_input_t;

/* `by` is the acting admin (NULL for the CLI). */
int accounts_user_create(pa_app_t *app, arena_t *a, const pa_principal_t *by,
                         const user_input_t *in, pa_id_t *id, pa_err_t *err);
int accounts_user_set_password(pa_app_t *app, arena_t *a, const pa_principal_t *by,
                               pa_id_t user_id, const char *password, pa_err_t *err);
int accounts_user_set_disabled(pa_app_t *app, arena_t *a, const pa_principal_t *by,
                               pa_id_t user_id, bool disabled, pa_err_t *err);
int accounts_user_set_roles(pa_app_t *app, arena_t *a, const pa_principal_t *by,
                            pa_id_t user_id, const pa_membership_t *roles, size_t n,
                            pa_err_t *err);
/* Changes roles (when roles != NULL), the disabled flag (when disabled is 0
 * or 1; -1 keeps it) and clears a login lockout (unlock) in one write. */
int accounts_user_update(pa_app_t *app, arena_t *a, const pa_principal_t *by, pa_id_t user_id,
                         const pa_membership_t *roles, size_t n, int disabled, bool unlock,
                         pa_err_t *err);
/* Checks roles and orgs exist and each role is held in a unit. */
int accounts_check_roles(pa_app_t *app, const pa_membership_t *roles, size_t n, pa_err_t *err);

int accounts_token_create(pa_app_t *app, arena_t *a, const pa_principal_t *by, const char *name,
                          int ttl_days, char token_out[70], pa_id_t *id, pa_err_t *err);
int accounts_token_revoke(pa_app_t *app, arena_t *a, const pa_principal_t *by, pa_id_t id,
                          pa_err_t *err);

/* Orgs (admin). */
#define ORG_ABBR_MAX 16  /* characters of an org's 机关代字 */
int accounts_org_create(pa_app_t *app, arena_t *a, const pa_principal_t *by, const pa_org_t *org,
                        pa_id_t *id, pa_err_t *err);
/* Changes an org's names or abbreviation (NULL members stay); audited as
 * org.update.  *out (may be NULL) gets the org as changed. */
typedef struct org_patch {
	const char *name;
	const char *name_en;
	const char *abbr;
} org_patch_t;
int accounts_org_update(pa_app_t *app, arena_t *a, const pa_principal_t *by, pa_id_t id,
                        const org_patch_t *patch, pa_org_t *out, pa_err_t *err);

#endif
