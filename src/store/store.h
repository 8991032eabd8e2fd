/*
 * store.h — the one interface to persistent data.
 *
 * Only files under src/store/ know SQL.  Core code and handlers call the
 * typed functions below and never know which engine runs them: SQLite (the
 * default: a file under --data; store_sqlite.c, sqlite_*.c) or PostgreSQL
 * (a postgresql:// URL in the database setting; pg_*.c).
 *
 * Engines.  store.c forwards every function here to the engine of its first
 * argument through an ops table, store_engine_t (store_engine.h); each
 * engine's store, connection and transaction structs begin with a header
 * pointing at its table.  store_open() chooses the engine from the setting.
 *
 * HOW TO ADD A STORE FUNCTION (every one of these steps, in this order):
 *   1. Declare it below, in its section, with a comment saying what it
 *      returns and which errors it gives.  It returns int (0 or a negative
 *      PA_E*) and its first parameter is `store_conn_t *c` (a read) or
 *      `store_tx_t *tx` (a write, run inside store_write()).
 *   2. Add one X-macro line to STORE_CONN_FUNCS or STORE_TX_FUNCS in
 *      src/store/store_engine.h, e.g. for
 *          int store_widget_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_widget_t *out);
 *      the line
 *          X(widget_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_widget_t *out), \
 *            (c, a, id, out)) \
 *      The parameters must be exactly those of step 1 (the compiler checks
 *      it).  This line alone gives the ops member, the forwarding function
 *      store_widget_get() in store.c and both engines' prototypes and table
 *      entries: write no forwarding code by hand.
 *   3. Implement `int sq_widget_get(...)` in a src/store/sqlite_<area>.c
 *      (statements in sqlite_stmts.h or sq_prepare/sq_stmt_dyn; schema: a
 *      new migration in sqlite_schema.c), through the statement layer of
 *      sqlite_internal.h (sq_stmt, sq_bind_*, sq_step, sq_col_*, sq_done)
 *      and the sqlite3_* calls src/store/pgshim/sqlite3.h maps.
 *   4. PostgreSQL: nothing more when the SQL is plain SQL both engines
 *      understand.  CMake compiles every sqlite_<area>.c a second time
 *      through src/store/pg_shim.h, which makes sq_widget_get pg_widget_get
 *      (and your file's shared sq_ helpers pgsq_ ones), and pg_translate()
 *      adapts ?N, IFNULL, INDEXED BY, sum(<comparison>), WHERE 1, INSERT OR
 *      IGNORE and upsert column names; the migration is translated too
 *      (pg_schema.c: types, json_valid, triggers).  Avoid SQLite-only SQL
 *      (json_* functions, GLOB, FTS5, integers used as conditions — bind
 *      those with sq_bind_bool): if a file needs it, write
 *      src/store/pg_<area>.c by hand with the same functions (CMake then
 *      skips the second build of sqlite_<area>.c; pg_search.c is one) and a
 *      hand-written PostgreSQL migration in pg_schema.c's overrides.  A new
 *      helper of the statement layer itself (in store_sqlite.c) needs its
 *      twin in pg_layer.c.  `make test-pg` runs the API suite on a
 *      throwaway PostgreSQL: keep it green as well as `ctest`.
 *
 * Connections.  Reads run on a store_conn_t: store_reader() hands the
 * calling thread its own read connection (SQLite: opened lazily, statements
 * cached per connection; PostgreSQL: one of the process's pool), so readers
 * never block each other or the writer.
 *
 * Writes.  All writes go through store_write(): the caller's function runs
 * inside a transaction and store_write() returns only after its COMMIT is
 * durable, so an acknowledged write survives power loss.  A function
 * returning < 0 leaves nothing behind.  The function may read through
 * store_tx_conn(tx) and sees its own earlier writes.  SQLite runs every
 * writer on one thread, in a SAVEPOINT of a batch transaction (BEGIN
 * IMMEDIATE … COMMIT) that groups every write queued while the previous
 * commit was syncing — group commit; if that COMMIT fails every job in the
 * batch gets PA_EUNAVAIL.  A read-check-write inside one function is atomic
 * on both engines (PostgreSQL takes the row locks it needs: see pg_store.c).
 *
 * Strings and arrays returned by reads are allocated from the arena the
 * caller passes and live as long as it.  Times are pa_time_t (UTC seconds).
 * Errors: PA_ENOTFOUND for a missing row, PA_ECONFLICT for a uniqueness or
 * version conflict, PA_EUNAVAIL when the database is locked, full or gone.
 */
#ifndef PA_STORE_H
#define PA_STORE_H

#include "base/common.h"
#include "base/clock.h"

typedef int64_t pa_id_t;

/* due_at of a case with no current limit; sorts last. */
#define PA_NO_DUE INT64_MAX

#define STORE_MAX_BATCH 512        /* writes grouped into one commit */
#define STORE_LIST_MAX 500         /* largest page any list returns */

typedef struct store store_t;
typedef struct store_conn store_conn_t;
typedef struct store_tx store_tx_t;

typedef struct store_options {
	const char *path;        /* SQLite file, or a postgresql:// (postgres://) URL */
	int busy_timeout_ms;     /* default 5000 */
	bool read_only;          /* CLI readers (audit verify) */
	bool synchronous_normal; /* benchmarks only: NOT durable on power loss */
	int pool_size;           /* PostgreSQL: connections per process; 0 = default */
	/* SQLite's WAL cycle (store_sqlite.c, "Checkpoints"), for tests: pages
	 * between the checkpointer's passes, and the mark past which the writer
	 * checkpoints itself; 0 = the defaults (4,000 and 64,000) */
	int wal_ckpt_pages, wal_inline_pages;
} store_options_t;

/* Whether a database setting is a PostgreSQL URL (else a SQLite file). */
bool store_is_url(const char *db);

/* What an engine can do beyond the common interface (store_caps). */
#define STORE_CAP_SHARED       0x1  /* several processes may serve one database */
#define STORE_CAP_ADVISORY     0x2  /* advisory locks (one timer pass at a time) */
#define STORE_CAP_SKIP_LOCKED  0x4  /* SELECT … FOR UPDATE SKIP LOCKED */
#define STORE_CAP_NOTIFY       0x8  /* LISTEN/NOTIFY */

int store_open(const store_options_t *opt, store_t **out, pa_err_t *err);
void store_close(store_t *s);
/* "sqlite" or "postgresql". */
const char *store_engine_name(store_t *s);
unsigned store_caps(store_t *s);
/* Applies pending migrations; *from and *to report schema versions. */
int store_migrate(store_t *s, int *from, int *to, pa_err_t *err);
int store_schema_version(store_t *s, int *version);
/* Consistent online copy to dest (SQLite backup API), with progress 0..1. */
int store_backup(store_t *s, const char *dest, void (*progress)(double, void *), void *arg,
                 pa_err_t *err);

/* Copies a backup over the database at db_path (no store open; the server
 * must be stopped).  Refuses a damaged backup or one with a newer schema. */
int store_restore(const char *backup_path, const char *db_path,
                  void (*progress)(double, void *), void *arg, pa_err_t *err);

/* `pingan copy`: every table of the SQLite database at sqlite_path into the
 * PostgreSQL database at pg_url (migrated here; it must hold no district),
 * in one transaction, then the row counts compared table by table.
 * progress gets 0..1; *rows the rows copied.  src/store/pg_copy.c. */
int store_copy(const char *sqlite_path, const char *pg_url, void (*progress)(double, void *),
               void *arg, int64_t *rows, pa_err_t *err);

store_conn_t *store_reader(store_t *s);
/* Groups several reads on a reader connection into one read transaction (one
 * snapshot, one WAL read lock instead of one per statement).  Nests; a no-op
 * on the writer connection. */
int store_read_begin(store_conn_t *c);
void store_read_end(store_conn_t *c);

typedef int (*store_tx_fn)(store_tx_t *tx, void *ctx);
int store_write(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err);
/* store_write() for a function that makes every check that can refuse it
 * before its first write, and after that fails only when the store does
 * (I/O, a full disk, a bug).  SQLite runs it without the savepoint of its
 * own (no copy of each page it dirties into a sub-journal): when it fails
 * without having changed a row, nothing is undone and the batch goes on; when
 * it fails after changing one, the whole batch is rolled back and its other
 * jobs get PA_EUNAVAIL (retry), as when a COMMIT fails — never half-written
 * data.  PostgreSQL: the same as store_write(). */
int store_write_checked(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err);
store_conn_t *store_tx_conn(store_tx_t *tx);
/* Error details a tx function may fill for its caller. */
pa_err_t *store_tx_err(store_tx_t *tx);

/* Test hook: the nth write statement from now fails with PA_EIO (0 = off). */
void store_fault_inject(store_t *s, int nth);
/* Tests and benchmarks: batch COMMITs and write jobs run since store_open. */
void store_stats(store_t *s, int64_t *commits, int64_t *writes);

/* ---- organisations ------------------------------------------------------ */

typedef struct pa_org {
	pa_id_t id;
	pa_id_t parent_id;   /* 0 = root */
	pa_id_t superior_id; /* reviewing unit (复查/复核); 0 = parent's nearest unit */
	const char *code;    /* unique, e.g. "350102-xfj" */
	const char *name;
	const char *name_en;
	const char *kind;    /* district, street, community, grid, petition_office, ... */
	bool is_unit;        /* a unit handles cases; places group units */
	bool disabled;
	const char *abbr;    /* 机关代字 in document numbers, e.g. "平信"; "" = use code */
} pa_org_t;

int store_orgs_list(store_conn_t *c, arena_t *a, pa_org_t **out, size_t *n);
int store_org_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_org_t *out);
int store_tx_org_insert(store_tx_t *tx, const pa_org_t *org, pa_id_t *id);
int store_tx_org_update(store_tx_t *tx, const pa_org_t *org);
/* Bumped on every org change, so in-memory trees know to reload. */
int store_orgs_generation(store_conn_t *c, int64_t *gen);

/* ---- users, roles, sessions, tokens -------------------------------------- */

typedef struct pa_membership {
	pa_id_t org_id;
	const char *role;  /* intake, handler, mediator, grid_worker, supervisor, leader, admin, auditor */
} pa_membership_t;

typedef struct pa_user {
	pa_id_t id;
	const char *username;
	const char *display_name;
	const char *password_hash;  /* argon2id encoded string */
	bool disabled;
	int failed_logins;
	pa_time_t locked_until;
	pa_time_t created_at;
	pa_membership_t *roles;
	size_t nroles;
} pa_user_t;

int store_user_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_user_t *out);
int store_user_get_by_name(store_conn_t *c, arena_t *a, const char *username, pa_user_t *out);
int store_users_list(store_conn_t *c, arena_t *a, pa_user_t **out, size_t *n);
int store_tx_user_insert(store_tx_t *tx, const pa_user_t *u, pa_id_t *id);
/* Updates display_name, password_hash, disabled, failed_logins, locked_until. */
int store_tx_user_update(store_tx_t *tx, const pa_user_t *u);
/* Replaces the user's memberships with u->roles. */
int store_tx_user_set_roles(store_tx_t *tx, pa_id_t user_id, const pa_membership_t *roles,
                            size_t n);

typedef struct pa_session {
	const char *token_hash;  /* hex sha256 of the cookie value */
	pa_id_t user_id;
	const char *csrf_token;
	pa_time_t created_at;
	pa_time_t expires_at;
} pa_session_t;

int store_session_get(store_conn_t *c, arena_t *a, const char *token_hash, pa_session_t *out);
int store_tx_session_insert(store_tx_t *tx, const pa_session_t *s);
int store_tx_session_delete(store_tx_t *tx, const char *token_hash);
/* Ends all sessions of a user (password change, disable). */
int store_tx_sessions_delete_user(store_tx_t *tx, pa_id_t user_id);

typedef struct pa_api_token {
	pa_id_t id;
	pa_id_t user_id;
	const char *name;
	const char *token_hash;
	pa_time_t created_at;
	pa_time_t expires_at;  /* 0 = never */
	bool revoked;
} pa_api_token_t;

int store_token_get_by_hash(store_conn_t *c, arena_t *a, const char *token_hash,
                            pa_api_token_t *out);
int store_tokens_list(store_conn_t *c, arena_t *a, pa_id_t user_id, pa_api_token_t **out,
                      size_t *n);
int store_tx_token_insert(store_tx_t *tx, const pa_api_token_t *t, pa_id_t *id);
int store_tx_token_revoke(store_tx_t *tx, pa_id_t id, pa_id_t user_id);

/* ---- cases ----------------------------------------------------------------- */

typedef struct pa_case {
	pa_id_t id;
	const char *number;        /* XF-2026-000123 */
	const char *type;          /* workflow type */
	const char *category;
	const char *title;
	const char *body;
	const char *channel;       /* letter, visit, phone, web, grid, open311, hotline */
	const char *state;
	bool is_open;              /* state is not terminal */
	pa_id_t intake_org_id;     /* the unit that registered it */
	pa_id_t owner_org_id;      /* the unit that must act now */
	pa_id_t assignee_id;       /* 0 = none */
	pa_id_t accused_org_id;    /* 0 = none; never visible to it or units below it */
	pa_time_t created_at;
	pa_time_t updated_at;
	pa_time_t state_entered_at;
	pa_time_t due_at;          /* PA_NO_DUE when none */
	bool overdue;              /* set once by the timer when due_at passed */
	const char *query_hash;    /* keyed hash of the public query code */
	const char *data;          /* JSON object text: type-specific data, used "once" transitions */
	int version;               /* bumped on every update (optimistic check) */
	/* Where it happened (grid events; schema 8): a WGS-84 map point and/or
	 * an address of the place (not of a person: stored in clear). */
	bool has_point;
	double lat, lng;
	const char *address;       /* NULL = none */
} pa_case_t;

typedef struct pa_case_filter {
	const char *type;           /* NULL = any */
	const char *state;          /* NULL = any */
	pa_id_t owner_org_id;       /* 0 = any (still restricted by visibility) */
	pa_id_t assignee_id;        /* 0 = any */
	pa_time_t due_before;       /* 0 = any */
	pa_time_t due_after;        /* 0 = any; else due at or after it ("due soon") */
	int overdue;                /* -1 any, 0 no, 1 yes */
	int open;                   /* -1 any, 0 closed, 1 open */
	/* Visibility: all_orgs, or owner_org_id IN visible_orgs — except for
	 * cases of the restricted types (definitions with `participants:
	 * { visibility: participants }`, authz rule 5): those only when owned by
	 * one of member_orgs or with one of them among their participants
	 * (case_participants).  member_orgs: the units where the viewer holds a
	 * role that works on or oversees cases. */
	bool all_orgs;
	const pa_id_t *visible_orgs;
	size_t nvisible;
	const char *const *restricted_types;
	size_t nrestricted;
	const pa_id_t *member_orgs;
	size_t nmember;
	/* Never return cases whose accused_org_id is in this list. */
	const pa_id_t *hidden_accused;
	size_t nhidden;
	/* Keyset cursor: rows strictly after (after_due, after_id) in (due_at, id) order. */
	bool has_cursor;
	pa_time_t after_due;
	pa_id_t after_id;
	int limit;                  /* 1..STORE_LIST_MAX */
	/* Exports: id order instead, the cursor being after_id alone (a walk of
	 * the primary key, one pass over the table however many pages). */
	bool by_id;
} pa_case_filter_t;

int store_case_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_case_t *out);
int store_case_get_by_number(store_conn_t *c, arena_t *a, const char *number, pa_case_t *out);
/* Sorted by due_at then id (f->by_id: by id). *more tells whether another page exists. */
int store_case_list(store_conn_t *c, arena_t *a, const pa_case_filter_t *f, pa_case_t **out,
                    size_t *n, bool *more);
int store_case_counts(store_conn_t *c, pa_time_t now, int64_t *open, int64_t *overdue);
/* How many cases f lets through (its cursor and limit are ignored). */
int store_case_count(store_conn_t *c, const pa_case_filter_t *f, int64_t *count);

/* Next sequence number for (prefix, year), starting at 1. */
int store_tx_next_number(store_tx_t *tx, const char *prefix, int year, int64_t *seq);
int store_tx_case_insert(store_tx_t *tx, const pa_case_t *cs, pa_id_t *id);
/*
 * Writes state, is_open, owner, assignee, accused, due_at, overdue,
 * state_entered_at, updated_at and data where id matches and version equals
 * cs->version; bumps the version.  PA_ECONFLICT when the version moved.
 */
int store_tx_case_update(store_tx_t *tx, const pa_case_t *cs);

/* Cases the timer must act on: open, not yet marked overdue, due_at <= now,
 * in (due_at, id) order after the keyset (after_due, after_id).  A case the
 * timer marks overdue, or moves on by a timeout, leaves this set, so a pass
 * reads only pending work (partial index cases_due_pending). */
typedef struct pa_due_item {
	pa_id_t id;
	const char *type;
	const char *state;
	pa_time_t due_at;
	bool overdue;
} pa_due_item_t;
int store_due_scan(store_conn_t *c, arena_t *a, pa_time_t now, pa_time_t after_due,
                   pa_id_t after_id, int limit, pa_due_item_t **out, size_t *n);

/* ---- timeline ------------------------------------------------------------- */

typedef struct pa_event {
	pa_id_t id;
	pa_id_t case_id;
	pa_time_t at;
	const char *kind;        /* created, transition, comment, notice, rating, overdue, attachment, reveal */
	const char *action;      /* transition name, or NULL */
	const char *from_state;
	const char *to_state;
	pa_id_t actor_user_id;   /* 0 = the public or the system */
	const char *actor_name;  /* display name, "public" or "system" */
	pa_id_t actor_org_id;
	bool public;             /* shown on the public tracking page */
	const char *text;        /* comment or notice text */
	const char *data;        /* JSON object text (fields of the action, notice title, ...) */
} pa_event_t;

int store_tx_event_insert(store_tx_t *tx, const pa_event_t *ev, pa_id_t *id);
/* Events of a case in id order after after_id; public_only for the portal. */
int store_events_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_id_t after_id, int limit,
                      bool public_only, pa_event_t **out, size_t *n);

/* ---- parties (personal data, encrypted by core/crypto before it gets here) */

typedef struct pa_blob {
	const uint8_t *data;
	size_t len;
} pa_blob_t;

typedef struct pa_party {
	pa_id_t id;
	pa_id_t case_id;
	const char *uid;         /* random, the associated data of its ciphertexts */
	const char *role;        /* petitioner, informant, party, representative */
	pa_blob_t name;          /* ciphertexts; len 0 = absent */
	pa_blob_t phone;
	pa_blob_t id_number;
	pa_blob_t address;
	const char *phone_hash;  /* keyed hash for exact-match lookup, or NULL */
	const char *id_hash;
	pa_time_t created_at;
	pa_blob_t email;         /* ciphertext, like the fields above (schema 3) */
	const char *lang;        /* language the person wrote in (zh-CN, en), or NULL */
} pa_party_t;

int store_tx_party_insert(store_tx_t *tx, const pa_party_t *p, pa_id_t *id);
int store_parties_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_party_t **out, size_t *n);
int store_party_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_party_t *out);
/* Case ids with a party whose phone_hash (kind "phone"), id_hash (kind "id")
 * or either (kind NULL) equals hash, newest first (repeat check). */
int store_cases_by_party_hash(store_conn_t *c, arena_t *a, const char *kind, const char *hash,
                              int limit, pa_id_t **out, size_t *n);

/* ---- attachments ------------------------------------------------------------ */

typedef struct pa_attachment {
	pa_id_t id;          /* the case link's id */
	pa_id_t case_id;
	pa_id_t event_id;    /* 0 = none */
	const char *sha256;  /* hex; the blob's file name under attachments/ */
	const char *name;    /* the uploader's file name (display only) */
	const char *mime;    /* detected from content */
	int64_t size;
	bool public;         /* uploaded by the public, or sent to them */
	pa_time_t created_at;
	bool issued;         /* read only: a document the authority issued (its event's kind is
	                      * "document"), so sent out, not received */
} pa_attachment_t;

int store_tx_attachment_insert(store_tx_t *tx, const pa_attachment_t *at, pa_id_t *id);
int store_attachments_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_attachment_t **out,
                           size_t *n);
int store_attachment_get(store_conn_t *c, arena_t *a, pa_id_t case_id, const char *sha256,
                         pa_attachment_t *out);

/* ---- ratings ------------------------------------------------------------------ */

typedef struct pa_rating {
	pa_id_t id;
	pa_id_t case_id;
	const char *stage;    /* the state rated (replied, reviewed, finalized) */
	const char *level;    /* very_satisfied, satisfied, basically_satisfied, dissatisfied, very_dissatisfied */
	const char *comment;
	pa_time_t at;
} pa_rating_t;

/* PA_ECONFLICT when the case already has a rating for that stage. */
int store_tx_rating_insert(store_tx_t *tx, const pa_rating_t *r, pa_id_t *id);
int store_ratings_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_rating_t **out, size_t *n);

/* ---- audit log (hash chain computed by core/audit.c) ----------------------------- */

typedef struct pa_audit_rec {
	int64_t seq;            /* 1, 2, 3, … */
	pa_time_t at;
	const char *actor;      /* "user:12 zhangsan", "public 1.2.3.4", "system" */
	const char *action;     /* case.create, case.transition, party.reveal, case.view, user.login, ... */
	const char *object;     /* "case:42", "user:3", ... */
	const char *detail;     /* JSON object text */
	const char *prev_hash;  /* hex; 64 zeros for the first record */
	const char *hash;       /* hex sha256 over prev_hash and the fields */
} pa_audit_rec_t;

/* seq and hash of the last record; seq 0 and hash NULL when empty. */
int store_tx_audit_head(store_tx_t *tx, arena_t *a, int64_t *seq, const char **hash);
/* Inserts r as the next record (else PA_ECONFLICT) and moves meta
 * STORE_AUDIT_HEAD_KEY to "<seq>:<hash>" in the same transaction (SQLite:
 * once per writer batch, at its end). */
int store_tx_audit_insert(store_tx_t *tx, const pa_audit_rec_t *r);
#define STORE_AUDIT_HEAD_KEY "audit_head"
/* Records with seq > after_seq in seq order (used by verify and the auditor view). */
int store_audit_list(store_conn_t *c, arena_t *a, int64_t after_seq, int limit,
                     pa_audit_rec_t **out, size_t *n);

/* ---- metadata and rate-limit-free counters ---------------------------------------- */

int store_meta_get(store_conn_t *c, arena_t *a, const char *key, const char **value);
int store_tx_meta_set(store_tx_t *tx, const char *key, const char *value);

/* ---- documents (文书; the generator is core/docgen.c) --------------------------------- */

typedef struct pa_document {
	pa_id_t id;
	pa_id_t case_id;
	pa_id_t event_id;         /* the step that produced it; 0 = none */
	const char *kind;         /* the template: acceptance, refusal, opinion, ... */
	const char *locale;       /* zh-CN, en */
	pa_id_t unit_org_id;      /* the issuing unit (its numbers) */
	int version;              /* 1, then +1 per regeneration */
	pa_id_t supersedes;       /* the version it replaces; 0 = none */
	bool public;              /* addressed to the public: a public attachment */
	const char *status;       /* pending, rendering, done, failed */
	const char *vars;         /* JSON object: the step's values, per locale */
	pa_time_t created_at;
	const char *requested_by; /* audit actor of the step or regeneration */
	const char *number;       /* 文号, NULL until claimed */
	int year;
	int64_t seq;
	const char *sha256;       /* of the PDF; NULL until done */
	int64_t size;
	int pages;
	pa_time_t issued_at;      /* 0 until done */
	pa_id_t attachment_id;
	pa_id_t issue_event_id;   /* the timeline event that records the issue */
	const char *template_id;  /* template source and its sha256 */
	const char *claim;        /* claim token while rendering */
	pa_time_t claim_until;
	int attempts;
	const char *last_error;
} pa_document_t;

int store_tx_document_insert(store_tx_t *tx, const pa_document_t *d, pa_id_t *id);
/* Highest version of (case, event, kind); 0 when none. */
int store_document_max_version(store_conn_t *c, pa_id_t case_id, pa_id_t event_id, const char *kind,
                               int *version);
int store_document_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_document_t *out);
int store_documents_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_document_t **out,
                         size_t *n);
/*
 * Claims up to `limit` documents to render: pending ones, and rendering ones
 * whose claim ran out (claim_until < now), oldest first; sets status
 * rendering, claim, claim_until and attempts + 1, and returns them.
 */
int store_tx_documents_claim(store_tx_t *tx, arena_t *a, pa_time_t now, const char *claim,
                             pa_time_t claim_until, int limit, pa_document_t **out, size_t *n);
/* Gives a claimed document its number; PA_ECONFLICT if it has one already. */
int store_tx_document_number(store_tx_t *tx, pa_id_t id, const char *number, int year,
                             int64_t seq);
/* Marks a claimed document done with sha256, size, pages, issued_at,
 * attachment_id, issue_event_id, template_id; PA_ENOTFOUND unless it is
 * still rendering under `claim`. */
int store_tx_document_done(store_tx_t *tx, const pa_document_t *d);
/* A render failed: back to pending after `retry_at`, or failed for good. */
int store_tx_document_failed(store_tx_t *tx, pa_id_t id, const char *claim, const char *error,
                             bool give_up, pa_time_t retry_at);
/* Done documents issued by a unit in [from, to), in issue order. */
int store_documents_issued(store_conn_t *c, arena_t *a, pa_id_t unit_org_id, pa_time_t from,
                           pa_time_t to, int limit, pa_document_t **out, size_t *n);
/* Done documents with id > after_id, in id order (verification). */
int store_documents_done_page(store_conn_t *c, arena_t *a, pa_id_t after_id, int limit,
                              pa_document_t **out, size_t *n);
/* Counts by status (pending + rendering, done, failed). */
int store_documents_counts(store_conn_t *c, int64_t *queued, int64_t *done, int64_t *failed);

/* ---- notifications: the outbox (core/notify.c fills it, core/sender.c delivers) ---- */

/*
 * A message is written in the transaction of the change that causes it
 * (status pending), claimed by a sender pass (attempts + 1, next_attempt_at
 * moved to the end of a lease so a crashed sender's claim expires), and
 * finished as sent, or failed: pending again with a later next_attempt_at,
 * or dead after the last attempt.  `pingan outbox retry` makes a dead one
 * pending again.  Rows are never deleted.
 */
typedef struct pa_outbox {
	pa_id_t id;
	const char *uid;            /* random hex: the delivery id receivers see */
	pa_time_t created_at;
	const char *kind;           /* notice, reminder, escalation */
	pa_id_t case_id;            /* 0 = none */
	const char *channel;        /* webhook, email, sms */
	const char *recipient;      /* what people may see: a mask, or "unit:<code>" */
	pa_blob_t recipient_sealed; /* the address, sealed with AAD "outbox/<uid>/recipient"; len 0 = none */
	const char *lang;           /* zh-CN, en */
	const char *subject;
	const char *body;
	const char *dedupe_key;     /* NULL = none; a second message with the same key is dropped */
	int attempts;
	pa_time_t next_attempt_at;
	const char *status;         /* pending, sent, dead */
	const char *last_error;
	pa_time_t sent_at;          /* 0 until sent */
	pa_time_t updated_at;
} pa_outbox_t;

/* *id = 0 when a message with the same dedupe_key (or uid) exists: nothing is written. */
int store_tx_outbox_insert(store_tx_t *tx, const pa_outbox_t *m, pa_id_t *id);
/* Pending messages with next_attempt_at <= now, oldest first. */
int store_outbox_due(store_conn_t *c, arena_t *a, pa_time_t now, int limit, pa_outbox_t **out,
                     size_t *n);
/* Claims up to `limit` due messages: attempts + 1, next_attempt_at = lease_until; returns
 * them (with the new attempts) in (next_attempt_at, id) order of before the claim. */
int store_tx_outbox_claim(store_tx_t *tx, arena_t *a, pa_time_t now, pa_time_t lease_until,
                          int limit, pa_outbox_t **out, size_t *n);
/* PA_ENOTFOUND unless the message is still pending (claimed). */
int store_tx_outbox_mark_sent(store_tx_t *tx, pa_id_t id, pa_time_t at);
/* Pending again from next_attempt_at, or dead when `dead`; PA_ENOTFOUND unless pending. */
int store_tx_outbox_mark_failed(store_tx_t *tx, pa_id_t id, pa_time_t at, const char *error,
                                bool dead, pa_time_t next_attempt_at);
int store_outbox_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_outbox_t *out);
/* Newest first; status NULL = any; before_id 0 = from the newest. */
int store_outbox_list(store_conn_t *c, arena_t *a, const char *status, pa_id_t before_id,
                      int limit, pa_outbox_t **out, size_t *n);
/* A dead (or pending) message becomes pending now with attempts 0.
 * PA_ENOTFOUND: no such message; PA_ECONFLICT: it was sent already. */
int store_tx_outbox_retry(store_tx_t *tx, pa_id_t id, pa_time_t now);
/* Every dead message becomes pending now; *count says how many. */
int store_tx_outbox_retry_dead(store_tx_t *tx, pa_time_t now, int64_t *count);
int store_outbox_counts(store_conn_t *c, int64_t *pending, int64_t *sent, int64_t *dead);

/* ---- deadline alerts (core/reminders.c) ------------------------------------------------- */

/* Records that alert `kind` (reminder, escalation) about the limit (state, due_at) of a case
 * was sent; *inserted false when it had been already. */
int store_tx_alert_insert(store_tx_t *tx, pa_id_t case_id, const char *kind, const char *state,
                          pa_time_t due_at, pa_time_t at, bool *inserted);
/* Open cases with a limit still in the future of which at least `percent` % has passed
 * since they entered their state, and no reminder for that (state, due_at); in (due_at, id)
 * order after the cursor (after_due, after_id) — a walk along cases_open_due. */
int store_reminder_scan(store_conn_t *c, arena_t *a, pa_time_t now, int percent,
                        pa_time_t after_due, pa_id_t after_id, int limit, pa_due_item_t **out,
                        size_t *n);
/* Open cases whose due_at <= now and that have no escalation for that (state, due_at);
 * in (due_at, id) order after the cursor. */
int store_escalation_scan(store_conn_t *c, arena_t *a, pa_time_t now, pa_time_t after_due,
                          pa_id_t after_id, int limit, pa_due_item_t **out, size_t *n);

/* One membership of an active (not disabled) user in an org. */
typedef struct pa_member {
	pa_id_t user_id;
	const char *username;
	const char *display_name;
	const char *role;
} pa_member_t;

/* Active users with a membership in org_id, by user id then role. */
int store_org_members(store_conn_t *c, arena_t *a, pa_id_t org_id, pa_member_t **out, size_t *n);

/* ---- supervision orders (督办; core/supervision.c, SQL in sqlite_supervision.c) ---------- */

typedef struct pa_supervision {
	pa_id_t id;
	pa_id_t case_id;
	pa_id_t from_org_id;          /* the issuer's unit */
	pa_id_t to_org_id;            /* the case's owning unit when issued */
	pa_id_t issued_by;            /* user id */
	const char *issued_by_name;   /* display name (reads only) */
	pa_time_t issued_at;
	const char *reason;
	const char *required_action;
	pa_time_t due_at;
	const char *state;            /* open, replied, overdue, closed */
	const char *reply_text;       /* NULL until replied */
	pa_id_t replied_by;           /* 0 = none */
	const char *replied_by_name;
	pa_time_t replied_at;         /* 0 = none */
	pa_time_t escalated_at;       /* 0 = not escalated */
	pa_id_t closed_by;
	const char *closed_by_name;
	pa_time_t closed_at;
} pa_supervision_t;

typedef struct pa_supervision_filter {
	const char *state;            /* NULL = any */
	const pa_id_t *to_orgs;       /* NULL = any; else to_org_id IN (…) */
	size_t nto;
	/* Visibility of the order's case, as in pa_case_filter_t. */
	bool all_orgs;
	const pa_id_t *visible_orgs;
	size_t nvisible;
	const pa_id_t *hidden_accused;
	size_t nhidden;
	/* Keyset cursor over (due_at, id). */
	bool has_cursor;
	pa_time_t after_due;
	pa_id_t after_id;
	int limit;                    /* 1..STORE_LIST_MAX */
} pa_supervision_filter_t;

int store_tx_supervision_insert(store_tx_t *tx, const pa_supervision_t *o, pa_id_t *id);
int store_supervision_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_supervision_t *out);
/* All orders of a case, in id order. */
int store_supervision_of_case(store_conn_t *c, arena_t *a, pa_id_t case_id,
                              pa_supervision_t **out, size_t *n);
/* The board: orders matching f, by due_at then id; *more when another page exists. */
int store_supervision_list(store_conn_t *c, arena_t *a, const pa_supervision_filter_t *f,
                           pa_supervision_t **out, size_t *n, bool *more);
/* Sets state replied with the text, where the order is open or overdue;
 * PA_ECONFLICT otherwise. */
int store_tx_supervision_reply(store_tx_t *tx, pa_id_t id, const char *text, pa_id_t user,
                               pa_time_t at);
/* Sets state closed where it is not closed yet; PA_ECONFLICT otherwise. */
int store_tx_supervision_close(store_tx_t *tx, pa_id_t id, pa_id_t user, pa_time_t at);
/* Sets state overdue and escalated_at where the order is still open and due_at <= at;
 * *changed tells whether it did (false: another pass did it, or it was replied). */
int store_tx_supervision_mark_overdue(store_tx_t *tx, pa_id_t id, pa_time_t at, bool *changed);
/* Open orders with due_at <= now and id > after_id, in id order (the timer). */
int store_supervision_due_scan(store_conn_t *c, arena_t *a, pa_time_t now, pa_id_t after_id,
                               int limit, pa_supervision_t **out, size_t *n);

/* ---- links between cases (core/links.c) ---------------------------------------------------- */

typedef struct pa_case_link {
	pa_id_t id;
	pa_id_t from_case_id;
	pa_id_t to_case_id;
	const char *kind;             /* related, merged_into, handover, repeat_of */
	pa_id_t created_by;           /* 0 = the system (repeat detection) */
	const char *created_by_name;  /* reads only */
	pa_time_t created_at;
	const char *note;
} pa_case_link_t;

/* PA_ECONFLICT when (from, to, kind) exists. */
int store_tx_link_insert(store_tx_t *tx, const pa_case_link_t *l, pa_id_t *id);
/* Links from or to the case, in id order. */
int store_links_of_case(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_case_link_t **out,
                        size_t *n);
/* Whether a link of kind exists from a to b (or, with either_way, from b to a). */
int store_link_exists(store_conn_t *c, pa_id_t a, pa_id_t b, const char *kind, bool either_way,
                      bool *exists);

/* ---- surveys (core/surveys.c; SQL in sqlite_surveys.c) ------------------------------------------ */

typedef struct pa_survey {
	pa_id_t id;
	const char *series;
	const char *title;
	const char *access;      /* token, open */
	const char *state;       /* draft, open, closed */
	const char *definition;  /* JSON text, checked by survey_def_parse */
	pa_id_t created_by;
	pa_time_t created_at, opened_at, closed_at;  /* 0 = not yet */
	int64_t responses;       /* reads only */
	int64_t invitations;
	int64_t invitations_used;
} pa_survey_t;

int store_tx_survey_insert(store_tx_t *tx, const pa_survey_t *s, pa_id_t *id);
int store_survey_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_survey_t *out);
/* Newest first; state and series NULL = any; before_id 0 = from the newest. */
int store_surveys_list(store_conn_t *c, arena_t *a, const char *state, const char *series,
                       pa_id_t before_id, int limit, pa_survey_t **out, size_t *n);
/* from → to, stamping opened_at or closed_at; PA_ENOTFOUND unless in `from`. */
int store_tx_survey_set_state(store_tx_t *tx, pa_id_t id, const char *from, const char *to,
                              pa_time_t at);
int store_tx_survey_state(store_tx_t *tx, pa_id_t id, char *state, size_t size);
int store_tx_survey_next_batch(store_tx_t *tx, pa_id_t survey, int64_t *batch);
int store_tx_survey_invitation_insert(store_tx_t *tx, pa_id_t survey, int64_t batch,
                                      const char *token_hash, pa_id_t place, pa_time_t at);
int store_survey_invitation_get(store_conn_t *c, pa_id_t survey, const char *token_hash,
                                pa_id_t *place, bool *used);
/* Spends a token: PA_ENOTFOUND when unknown, PA_ECONFLICT when spent already. */
int store_tx_survey_invitation_use(store_tx_t *tx, pa_id_t survey, const char *token_hash,
                                   pa_time_t at, pa_id_t *invitation, pa_id_t *place);
int store_tx_survey_response_insert(store_tx_t *tx, pa_id_t survey, pa_id_t invitation,
                                    pa_id_t place, pa_time_t at, pa_id_t *id);
int store_tx_survey_answer_insert(store_tx_t *tx, pa_id_t response, pa_id_t survey,
                                  pa_id_t place, const char *question, const char *option);

typedef struct pa_survey_tally {
	pa_id_t place;  /* 0 = none */
	const char *question;
	const char *option;
	int64_t count;
} pa_survey_tally_t;
/* Answers of a survey counted by (place, question, option). */
int store_survey_tally(store_conn_t *c, arena_t *a, pa_id_t survey, pa_survey_tally_t **out,
                       size_t *n);
typedef struct pa_survey_place_count {
	pa_id_t place;
	int64_t count;
} pa_survey_place_count_t;
/* Responses of a survey counted by place. */
int store_survey_place_counts(store_conn_t *c, arena_t *a, pa_id_t survey,
                              pa_survey_place_count_t **out, size_t *n);
/* ---- full-text search (docs/search.md; SQL in sqlite_search.c) ---------------------------- */

/*
 * Every case has one search document: its title, its body and its notes
 * (the searchable texts of its timeline), kept in step with the case and its
 * events by the store, in the transaction that writes them.  A term of three
 * or more characters matches as a substring (trigram index); a shorter one
 * through the gram index (base/grams.h).  Matches are examined newest case
 * first, filtered by the case filter (visibility included); the first
 * `window` that pass are ranked (BM25: title weighs 10, body 1, notes 0.5;
 * ties newest first) and the page [offset, offset + f->limit) of that
 * ranking is returned.
 */
#define STORE_SEARCH_TERMS_MAX 8
#define STORE_SEARCH_WINDOW_MAX 5000

typedef struct pa_search_term {
	const char *text;   /* folded (base/grams.h); the literal substring when !is_short */
	bool is_short;      /* fewer than three characters: the gram index */
} pa_search_term_t;

typedef struct pa_search_query {
	const pa_search_term_t *terms;
	size_t nterms;      /* 1..STORE_SEARCH_TERMS_MAX */
	bool any;           /* a case matches when ANY term does (similar cases); else ALL.
	                       ANY takes terms of one kind (all short or all long) */
	int window;         /* 1..STORE_SEARCH_WINDOW_MAX matches read, newest first */
	int offset;         /* matches skipped (paging) */
	bool no_rank;       /* the caller orders the hits itself (similar cases): no BM25 */
} pa_search_query_t;

typedef struct pa_search_hit {
	pa_case_t cs;
	double rank;        /* BM25 as SQLite's FTS5 gives it: lower is better; 0 when
	                       the hits are not ranked (a full window, no_rank) */
} pa_search_hit_t;

/* The hits of q among the cases f lets through (f's cursor must be unset),
 * at most q->window read newest first.  When they all fit (fewer than the
 * window), they are ranked (best first, ties newest first); when the window
 * filled (*window_full: older matches were not examined), ranking the newest
 * ones alone would put an arbitrary slice in relevance order, so they stay
 * newest first, unranked (rank 0).  *more: hits follow this page. */
int store_case_search(store_conn_t *c, arena_t *a, const pa_search_query_t *q,
                      const pa_case_filter_t *f, pa_search_hit_t **out, size_t *n, bool *more,
                      bool *window_full);
/* The indexed notes of a case ("" when none), for snippets. */
int store_case_search_notes(store_conn_t *c, arena_t *a, pa_id_t case_id, const char **notes);
/* ---- indicators: per-case facts and pre-aggregated counts (core/indicators.c) ---------------
 *
 * Exactness.  Every write of a case, timeline event or rating calls the store's observer
 * (store_set_observer) inside the same write function, on the writer thread, before the
 * savepoint ends: core/indicators.c derives the case's facts and moves the aggregate rows
 * with store_tx_facts_put() in that transaction.  A write that fails rolls the aggregates
 * back with it, so the aggregates always equal what the facts table says.
 *
 * Tables (schema 13): case_facts (one row per case), indicator_month (counts per month and
 * dimensions: type, category, owning unit, street, enterprise-related, metric, value),
 * indicator_workload (open and overdue per unit and assignee) and indicator_closed (cases
 * closed per week, unit and assignee). */

typedef struct store_observer {
	int (*case_written)(store_tx_t *tx, void *ctx, const pa_case_t *cs, bool inserted);
	int (*event_written)(store_tx_t *tx, void *ctx, const pa_event_t *ev);
	int (*rating_written)(store_tx_t *tx, void *ctx, const pa_rating_t *r);
	void *ctx;
} store_observer_t;

/* Set before writes start; NULL turns it off.  The observer must outlive the store. */
void store_set_observer(store_t *s, const store_observer_t *obs);

#define PA_RATING_LEVELS 5

typedef struct pa_facts {
	pa_id_t case_id;
	const char *type;
	const char *category;
	pa_id_t org_id;           /* owning unit */
	pa_id_t street_id;        /* street (街道) of the owning unit; 0 = district level */
	pa_id_t assignee_id;      /* 0 = none */
	bool enterprise;          /* 涉企 */
	int64_t day;              /* local day of registration, days since 1970-01-01 */
	int month;                /* yyyymm of day */
	const char *state;        /* last state seen */
	pa_time_t due_at;         /* its due (PA_NO_DUE = none) */
	bool is_open;
	bool overdue;
	int64_t flags;            /* bits named in core/indicators.c */
	int wdays;                /* working days from registration to handled; -1 = not yet */
	int ratings[PA_RATING_LEVELS];  /* count per level, very_satisfied first */
	int64_t closed_day;       /* local day it closed; -1 = open */
} pa_facts_t;

/* Counters of indicator_month, one column each (the schema's order). */
enum pa_ind_col {
	PA_IND_CASES, PA_IND_OPEN, PA_IND_CLOSED, PA_IND_OVERDUE,
	PA_IND_ACC_DUE, PA_IND_ACC_ON_TIME, PA_IND_HND_DUE, PA_IND_HND_ON_TIME,
	PA_IND_HANDLED, PA_IND_WDAYS_SUM, PA_IND_REPEAT,
	PA_IND_R1, PA_IND_R2, PA_IND_R3, PA_IND_R4, PA_IND_R5,
	PA_IND_NCOLS
};

/* A named count of a case type's definition ("count.accepted", "rate.x.num", ...). */
typedef struct pa_metric {
	const char *name;
	int64_t n;
} pa_metric_t;

/* What one case adds to the aggregates. */
typedef struct pa_ind_contrib {
	int64_t col[PA_IND_NCOLS];
	int wdays;                 /* handling-time histogram bucket; -1 = none */
	pa_metric_t *metrics;
	size_t nmetrics;
} pa_ind_contrib_t;

int store_tx_facts_get(store_tx_t *tx, arena_t *a, pa_id_t case_id, pa_facts_t *out);
/* Writes f and moves the aggregates: minus `old` at prev's dimensions (prev NULL for a new
 * case), plus `cur` at f's.  Also moves the workload and weekly-closed counts. */
int store_tx_facts_put(store_tx_t *tx, const pa_facts_t *prev, const pa_ind_contrib_t *old,
                       const pa_facts_t *f, const pa_ind_contrib_t *cur);

typedef struct pa_ind_filter {
	const char *const *types;       /* NULL/0 = any */
	size_t ntypes;
	const char *const *categories;  /* NULL/0 = any */
	size_t ncategories;
	bool all_orgs;                  /* else org_id IN orgs (empty = nothing) */
	const pa_id_t *orgs;
	size_t norgs;
	pa_id_t street_id;              /* 0 = any */
	int enterprise;                 /* -1 any, 0 no, 1 yes */
	const char *group_by;           /* NULL, type, category, org, street, month */
} pa_ind_filter_t;

typedef struct pa_ind_group {
	const char *group;              /* the group's key as text ("" without group_by) */
	const char *type;
	int64_t col[PA_IND_NCOLS];
} pa_ind_group_t;

typedef struct pa_ind_row {
	const char *group;
	const char *type;
	const char *metric;             /* NULL for the histogram */
	int64_t val;                    /* histogram: working days */
	int64_t n;
} pa_ind_row_t;

/* Sums over months [month_from, month_to] (yyyymm) by (group, type): the counters, the
 * named metrics, and the handling-time histogram (by working days).  In no set order. */
int store_indicator_month_sums(store_conn_t *c, arena_t *a, const pa_ind_filter_t *f,
                               int month_from, int month_to, pa_ind_group_t **out, size_t *n);
int store_indicator_metric_sums(store_conn_t *c, arena_t *a, const pa_ind_filter_t *f,
                                int month_from, int month_to, pa_ind_row_t **out, size_t *n);
int store_indicator_days_sums(store_conn_t *c, arena_t *a, const pa_ind_filter_t *f,
                              int month_from, int month_to, pa_ind_row_t **out, size_t *n);
/* Calls fn for every shape of the facts of the cases registered on local days
 * [day_from, day_to] matching f, with the number n of cases that have it (case_facts_day:
 * the facts grouped by day, dimensions, state, open, overdue, flags, handling days and
 * ratings; the row's case_id, assignee_id and due_at are 0, closed_day -1).
 * The row's texts live until fn returns: fn copies what it keeps. */
int store_facts_scan(store_conn_t *c, arena_t *a, const pa_ind_filter_t *f, int64_t day_from,
                     int64_t day_to, int (*fn)(void *ctx, const pa_facts_t *row, int64_t n),
                     void *ctx);
/* The cases behind a number: facts rows on days [day_from, day_to] matching f with
 * (flags & all) == all and (flags & none) == 0 and not hidden by vis->hidden_accused
 * (f carries the visible units), after the keyset (after_day, after_id), in (day, case id)
 * order — registration order.  *days gets each case's day (for the next cursor). */
int store_facts_cases(store_conn_t *c, arena_t *a, const pa_ind_filter_t *f, int64_t day_from,
                      int64_t day_to, int64_t all, int64_t none, const pa_case_filter_t *vis,
                      int64_t after_day, pa_id_t after_id, int limit, pa_case_t **out,
                      int64_t **days, size_t *n, bool *more);

typedef struct pa_workload_row {
	pa_id_t org_id;
	pa_id_t assignee_id;      /* 0 = the unit's unassigned cases (per-unit rows: 0) */
	const char *assignee_name;
	int64_t open;
	int64_t due_soon;         /* open, not overdue, due within the window */
	int64_t overdue;
	int64_t closed[4];        /* closed in the week `week` - 3 … `week` */
} pa_workload_row_t;

/* Workload of the units in orgs (all when all_orgs), per unit (by_assignee false) or per
 * unit and assignee.  due_soon counts open cases with now < due_at <= soon. week: the
 * current week number (days since 1970-01-05 / 7). */
int store_workload(store_conn_t *c, arena_t *a, bool all_orgs, const pa_id_t *orgs,
                   size_t norgs, bool by_assignee, pa_time_t now, pa_time_t soon, int64_t week,
                   pa_workload_row_t **out, size_t *n);

/* ---- campaigns (专项行动; core/indicators.c) ---------------------------------------------- */

typedef struct pa_campaign {
	pa_id_t id;
	const char *name;
	const char *description;
	int64_t start_day;        /* local days, inclusive */
	int64_t end_day;
	const char *types;        /* JSON array of type names ([] = any) */
	const char *categories;   /* JSON array of category codes ([] = any) */
	const char *orgs;         /* JSON array of target unit ids ([] = every visible unit) */
	const char *goals;        /* JSON object: indicator name -> target value */
	pa_id_t created_by;
	pa_time_t created_at;
} pa_campaign_t;

int store_tx_campaign_insert(store_tx_t *tx, const pa_campaign_t *cp, pa_id_t *id);
int store_campaign_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_campaign_t *out);
/* Newest first. */
int store_campaigns_list(store_conn_t *c, arena_t *a, pa_campaign_t **out, size_t *n);

/* ---- Open311 (core/open311.c, api/open311.c; SQL at the end of sqlite_cases.c) ------------------------- */

#define STORE_OPEN311_MAX 1000

typedef struct pa_open311_filter {
	const char *type;                 /* with all_categories: the one case type */
	bool all_categories;              /* every service of `type` (categories checked per row) */
	const char *const *categories;    /* the services' categories (1..512) */
	size_t ncategories;
	const char *const *numbers;       /* service_request_id list; 0 = any */
	size_t nnumbers;
	int open;                         /* -1 any, 0 closed, 1 open */
	pa_time_t from, to;               /* created_at in [from, to] */
	int limit;                        /* 1..STORE_OPEN311_MAX */
} pa_open311_filter_t;

/* Cases matching f, newest first (created_at, id descending). */
int store_open311_requests(store_conn_t *c, arena_t *a, const pa_open311_filter_t *f,
                           pa_case_t **out, size_t *n);

typedef struct pa_open311_update {
	pa_id_t event_id;
	const char *number;
	const char *category;
	bool is_open;
	const char *state;      /* the state the step led to */
	pa_time_t at;
} pa_open311_update_t;

/* Public steps (created, transition) of cases of `type` with at in [from, to], oldest first. */
int store_open311_updates(store_conn_t *c, arena_t *a, const char *type, pa_time_t from,
                          pa_time_t to, int limit, pa_open311_update_t **out, size_t *n);
/* ---- records kept on a case (core/records.c) ------------------------------------------------ */

typedef struct pa_record {
	pa_id_t id;
	pa_id_t case_id;
	const char *kind;             /* a record kind of the case's definition */
	int version;                  /* 1, or 1 + the version it supersedes */
	pa_id_t supersedes_id;        /* 0 = a first version */
	bool superseded;              /* reads only: a later version replaced it */
	const char *fields;           /* JSON object text */
	pa_id_t created_by;           /* 0 = the system */
	const char *created_by_name;  /* reads only */
	pa_id_t org_id;               /* the unit it was added for; 0 = none */
	pa_time_t created_at;
	pa_id_t event_id;             /* the timeline event that records it */
} pa_record_t;

/* A unit joins a case as a participant (case_participants, which lists
 * and counts read for authz rule 5; the case's data keeps its stage).
 * PA_ECONFLICT when it already participates. */
int store_tx_case_participant_add(store_tx_t *tx, pa_id_t case_id, pa_id_t org_id);

/* A participant's stage limit: the due time of the stage it has entered
 * (0: the stage has none), not yet overdue. */
int store_tx_case_participant_due(store_tx_t *tx, pa_id_t case_id, pa_id_t org_id,
                                  pa_time_t due_at);
/* A participant stage whose limit has passed and that the timer has not
 * marked yet. */
typedef struct pa_participant_due {
	pa_id_t case_id;
	pa_id_t org_id;
	pa_time_t due_at;
} pa_participant_due_t;
/* Up to limit of them with stage_due_at <= now, earliest first (the timer
 * marks or clears each one it reads, so the next call reads the next). */
int store_participant_due_scan(store_conn_t *c, arena_t *a, pa_time_t now, int limit,
                               pa_participant_due_t **out, size_t *n);
/* The timer's mark, once: overdue (true) or the limit dropped (false, on a
 * closed case); *changed false when the row no longer has that due time or
 * was already marked (a stage moved on, another pass). */
int store_tx_participant_due_done(store_tx_t *tx, pa_id_t case_id, pa_id_t org_id,
                                  pa_time_t due_at, bool overdue, bool *changed);

/* PA_ECONFLICT when r->supersedes_id is already superseded. */
int store_tx_record_insert(store_tx_t *tx, const pa_record_t *r, pa_id_t *id);
/* Current records of one kind across cases (GET /api/v1/records): records
 * of `kind` on cases of `type` that are not superseded, on the cases that
 * `cases` lets through (its visibility, owner_org_id, open; its type, state,
 * cursor and limit are ignored), created in [from, to) (0: open), newest
 * first; before_id > 0 continues after a page. */
typedef struct pa_record_filter {
	const char *type;
	const char *kind;
	pa_case_filter_t cases;
	pa_time_t from, to;
	pa_id_t before_id;
	int limit;                    /* 1..STORE_LIST_MAX */
} pa_record_filter_t;

typedef struct pa_record_row {
	pa_record_t r;
	const char *number, *title, *state;
	pa_id_t owner_org_id;
} pa_record_row_t;

int store_records_list(store_conn_t *c, arena_t *a, const pa_record_filter_t *f,
                       pa_record_row_t **out, size_t *n, bool *more);

/* The case's records (every version), in id order. */
int store_records_of_case(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_record_t **out,
                          size_t *n);

#endif
