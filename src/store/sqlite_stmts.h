/*
 * sqlite_stmts.h — every fixed SQL statement of the SQLite engine, in one
 * place.
 *
 * SQ_STATEMENTS(X) expands to X(NAME, "sql") for each statement; the engine
 * turns the list into `enum sq_stmt_id` (SQ_NAME) and a table of SQL text.
 * Each connection prepares a statement the first time it is used
 * (SQLITE_PREPARE_PERSISTENT) and keeps it in its cache, indexed by that
 * enum, until the connection closes.  Only the case list builds SQL at run
 * time (its WHERE depends on the filter; see sqlite_cases.c).
 *
 * Parameters are numbered ?1, ?2, … in the order the code binds them (the
 * binder in sqlite_internal.h counts up from 1).  Ids that mean "none" when 0
 * are stored as NULL so foreign keys hold (NULLIF on the way in, IFNULL on
 * the way out); cases.accused_org_id is the exception: 0 there, because
 * `NOT IN (…)` must see a value.
 */
#ifndef PA_SQLITE_STMTS_H
#define PA_SQLITE_STMTS_H

#define SQ_ORG_COLS                                                                             \
	"id, IFNULL(parent_id, 0), IFNULL(superior_id, 0), code, name, name_en, kind, is_unit, " \
	"disabled, abbr"
#define SQ_USER_COLS                                                                      \
	"id, username, display_name, password_hash, disabled, failed_logins, locked_until, " \
	"created_at"
#define SQ_SESSION_COLS "token_hash, user_id, csrf_token, created_at, expires_at"
#define SQ_TOKEN_COLS "id, user_id, name, token_hash, created_at, expires_at, revoked"
#define SQ_CASE_COLS                                                                              \
	"id, number, type, category, title, body, channel, state, is_open, intake_org_id, "        \
	"owner_org_id, IFNULL(assignee_id, 0), accused_org_id, created_at, updated_at, "           \
	"state_entered_at, due_at, overdue, query_hash, data, version, lat, lng, address"
#define SQ_EVENT_COLS                                                                          \
	"id, case_id, at, kind, action, from_state, to_state, IFNULL(actor_user_id, 0), "       \
	"actor_name, IFNULL(actor_org_id, 0), public, text, data"
#define SQ_PARTY_COLS                                                                          \
	"id, case_id, uid, role, name, phone, id_number, address, phone_hash, id_hash, created_at, " \
	"email, lang"
#define SQ_ATTACHMENT_COLS                                                                     \
	"id, case_id, IFNULL(event_id, 0), sha256, name, mime, size, public, created_at, "         \
	"EXISTS (SELECT 1 FROM events e WHERE e.id = attachments.event_id AND e.kind = 'document')"
#define SQ_RATING_COLS "id, case_id, stage, level, comment, at"
#define SQ_AUDIT_COLS "seq, at, actor, action, object, detail, prev_hash, hash"

#define SQ_STATEMENTS(X)                                                                          \
	/* transaction control (writer connection only) */                                         \
	X(BEGIN, "BEGIN IMMEDIATE")                                                                 \
	X(COMMIT, "COMMIT")                                                                         \
	X(READ_BEGIN, "BEGIN")                                                                      \
	X(ROLLBACK, "ROLLBACK")                                                                     \
	X(SAVEPOINT, "SAVEPOINT job")                                                               \
	X(ROLLBACK_TO, "ROLLBACK TO job")                                                           \
	X(RELEASE, "RELEASE job")                                                                   \
	X(USER_VERSION, "PRAGMA user_version")                                                      \
	X(SEARCH_NOTES, "SELECT notes FROM search_notes WHERE case_id = ?1")                         \
                                                                                                  \
	/* organisations */                                                                        \
	X(ORG_LIST, "SELECT " SQ_ORG_COLS " FROM orgs ORDER BY id")                                 \
	X(ORG_GET, "SELECT " SQ_ORG_COLS " FROM orgs WHERE id = ?1")                                \
	X(ORG_INSERT,                                                                               \
	  "INSERT INTO orgs(parent_id, superior_id, code, name, name_en, kind, is_unit, disabled, "   \
	  "abbr) VALUES (NULLIF(?1, 0), NULLIF(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                \
	X(ORG_UPDATE,                                                                               \
	  "UPDATE orgs SET parent_id = NULLIF(?1, 0), superior_id = NULLIF(?2, 0), code = ?3, "     \
	  "name = ?4, name_en = ?5, kind = ?6, is_unit = ?7, disabled = ?8, abbr = ?9 "             \
	  "WHERE id = ?10")                                                                         \
	X(ORGS_GENERATION,                                                                          \
	  "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'orgs_generation'")                  \
                                                                                                  \
	/* users and memberships */                                                                \
	X(USER_GET, "SELECT " SQ_USER_COLS " FROM users WHERE id = ?1")                             \
	X(USER_GET_BY_NAME, "SELECT " SQ_USER_COLS " FROM users WHERE username = ?1")               \
	X(USER_LIST, "SELECT " SQ_USER_COLS " FROM users ORDER BY id")                              \
	X(USER_EXISTS, "SELECT 1 FROM users WHERE id = ?1")                                         \
	X(USER_INSERT,                                                                              \
	  "INSERT INTO users(username, display_name, password_hash, disabled, failed_logins, "      \
	  "locked_until, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                          \
	X(USER_UPDATE,                                                                              \
	  "UPDATE users SET display_name = ?1, password_hash = ?2, disabled = ?3, "                 \
	  "failed_logins = ?4, locked_until = ?5 WHERE id = ?6")                                    \
	X(ROLES_OF_USER,                                                                            \
	  "SELECT org_id, role FROM memberships WHERE user_id = ?1 ORDER BY org_id, role")          \
	X(ROLES_ALL, "SELECT user_id, org_id, role FROM memberships ORDER BY user_id, org_id, role") \
	X(ROLES_DELETE, "DELETE FROM memberships WHERE user_id = ?1")                               \
	X(ROLE_INSERT, "INSERT INTO memberships(user_id, org_id, role) VALUES (?1, ?2, ?3)")        \
                                                                                                  \
	/* sessions and API tokens */                                                              \
	X(SESSION_GET, "SELECT " SQ_SESSION_COLS " FROM sessions WHERE token_hash = ?1")            \
	X(SESSION_INSERT,                                                                           \
	  "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at) "          \
	  "VALUES (?1, ?2, ?3, ?4, ?5)")                                                            \
	X(SESSION_DELETE, "DELETE FROM sessions WHERE token_hash = ?1")                             \
	X(SESSIONS_DELETE_USER, "DELETE FROM sessions WHERE user_id = ?1")                          \
	X(TOKEN_GET_BY_HASH, "SELECT " SQ_TOKEN_COLS " FROM api_tokens WHERE token_hash = ?1")      \
	X(TOKENS_LIST, "SELECT " SQ_TOKEN_COLS " FROM api_tokens WHERE user_id = ?1 ORDER BY id")   \
	X(TOKEN_INSERT,                                                                             \
	  "INSERT INTO api_tokens(user_id, name, token_hash, created_at, expires_at, revoked) "     \
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                                        \
	X(TOKEN_REVOKE, "UPDATE api_tokens SET revoked = 1 WHERE id = ?1 AND user_id = ?2")        \
                                                                                                  \
	/* cases */                                                                                \
	X(NEXT_NUMBER,                                                                              \
	  "INSERT INTO counters(prefix, year, value) VALUES (?1, ?2, 1) "                           \
	  "ON CONFLICT (prefix, year) DO UPDATE SET value = value + 1 RETURNING value")            \
	X(COUNTER_GET, "SELECT value FROM counters WHERE prefix = ?1 AND year = ?2")                \
	X(COUNTER_SET,                                                                              \
	  "INSERT INTO counters(prefix, year, value) VALUES (?1, ?2, ?3) "                          \
	  "ON CONFLICT (prefix, year) DO UPDATE SET value = excluded.value")                        \
	X(CASE_GET, "SELECT " SQ_CASE_COLS " FROM cases WHERE id = ?1")                             \
	X(CASE_GET_BY_NUMBER, "SELECT " SQ_CASE_COLS " FROM cases WHERE number = ?1")               \
	X(CASE_EXISTS, "SELECT 1 FROM cases WHERE id = ?1")                                         \
	X(CASE_INSERT,                                                                              \
	  "INSERT INTO cases(number, type, category, title, body, channel, state, is_open, "        \
	  "intake_org_id, owner_org_id, assignee_id, accused_org_id, created_at, updated_at, "      \
	  "state_entered_at, due_at, overdue, query_hash, data, version, lat, lng, address) "       \
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULLIF(?11, 0), ?12, ?13, ?14, ?15, "   \
	  "?16, ?17, ?18, IFNULL(?19, '{}'), 1, ?20, ?21, ?22)")                                                                  \
	X(CASE_UPDATE,                                                                              \
	  "UPDATE cases SET state = ?1, is_open = ?2, owner_org_id = ?3, "                          \
	  "assignee_id = NULLIF(?4, 0), accused_org_id = ?5, due_at = ?6, overdue = ?7, "           \
	  "state_entered_at = ?8, updated_at = ?9, data = IFNULL(?10, data), "                      \
	  "version = version + 1 WHERE id = ?11 AND version = ?12")                                 \
	X(CASE_COUNTS,                                                                              \
	  "SELECT count(*), IFNULL(sum(due_at < ?1), 0) FROM cases WHERE is_open = 1")              \
	X(DUE_SCAN,                                                                                 \
	  "SELECT id, type, state, due_at, overdue FROM cases INDEXED BY cases_due_pending "       \
	  "WHERE is_open = 1 AND overdue = 0 AND due_at <= ?1 "                                     \
	  "AND (due_at > ?2 OR (due_at = ?2 AND id > ?3)) ORDER BY due_at, id LIMIT ?4")           \
                                                                                                  \
	/* timeline */                                                                             \
	X(EVENT_INSERT,                                                                             \
	  "INSERT INTO events(case_id, at, kind, action, from_state, to_state, actor_user_id, "     \
	  "actor_name, actor_org_id, public, text, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "          \
	  "NULLIF(?7, 0), ?8, NULLIF(?9, 0), ?10, ?11, IFNULL(?12, '{}'))")                         \
	X(EVENTS_LIST,                                                                              \
	  "SELECT " SQ_EVENT_COLS " FROM events WHERE case_id = ?1 AND id > ?2 "                    \
	  "AND (?3 = 0 OR public = 1) ORDER BY id LIMIT ?4")                                        \
                                                                                                  \
	/* parties */                                                                              \
	X(PARTY_INSERT,                                                                             \
	  "INSERT INTO parties(case_id, uid, role, name, phone, id_number, address, phone_hash, "   \
	  "id_hash, created_at, email, lang) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, " \
	  "?12)")                                                                                   \
	X(PARTIES_LIST, "SELECT " SQ_PARTY_COLS " FROM parties WHERE case_id = ?1 ORDER BY id")     \
	X(PARTY_GET, "SELECT " SQ_PARTY_COLS " FROM parties WHERE id = ?1")                         \
	/* one index walk each, newest first, no sort (migration 6's indexes) */             \
	X(CASES_BY_PHONE_HASH,                                                                      \
	  "SELECT case_id FROM parties INDEXED BY parties_phone_case WHERE phone_hash = ?1 "         \
	  "ORDER BY case_id DESC LIMIT ?2")                                                         \
	X(CASES_BY_ID_HASH,                                                                         \
	  "SELECT case_id FROM parties INDEXED BY parties_id_case WHERE id_hash = ?1 "               \
	  "ORDER BY case_id DESC LIMIT ?2")                                                         \
                                                                                                  \
	/* attachments and ratings */                                                              \
	X(ATTACHMENT_INSERT,                                                                        \
	  "INSERT INTO attachments(case_id, event_id, sha256, name, mime, size, public, "           \
	  "created_at) VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8)")                         \
	X(ATTACHMENTS_LIST,                                                                         \
	  "SELECT " SQ_ATTACHMENT_COLS " FROM attachments WHERE case_id = ?1 ORDER BY id")          \
	X(ATTACHMENT_GET,                                                                           \
	  "SELECT " SQ_ATTACHMENT_COLS " FROM attachments WHERE case_id = ?1 AND sha256 = ?2")      \
	X(RATING_INSERT,                                                                            \
	  "INSERT INTO ratings(case_id, stage, level, comment, at) VALUES (?1, ?2, ?3, ?4, ?5)")    \
	X(RATINGS_LIST, "SELECT " SQ_RATING_COLS " FROM ratings WHERE case_id = ?1 ORDER BY id")    \
                                                                                                  \
	/* audit log: seq must be the next one, so the chain has no gaps */                        \
	X(AUDIT_HEAD, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")                      \
	X(AUDIT_INSERT,                                                                             \
	  "INSERT INTO audit(seq, at, actor, action, object, detail, prev_hash, hash) "             \
	  "SELECT ?1, ?2, ?3, ?4, ?5, IFNULL(?6, '{}'), ?7, ?8 "                                    \
	  "WHERE ?1 = (SELECT IFNULL(max(seq), 0) + 1 FROM audit)")                                 \
	X(AUDIT_LIST, "SELECT " SQ_AUDIT_COLS " FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2")   \
                                                                                                  \
	/* metadata */                                                                             \
	X(META_GET, "SELECT value FROM meta WHERE key = ?1")                                        \
	X(META_SET,                                                                                 \
	  "INSERT INTO meta(key, value) VALUES (?1, ?2) "                                           \
	  "ON CONFLICT (key) DO UPDATE SET value = excluded.value")

#endif
