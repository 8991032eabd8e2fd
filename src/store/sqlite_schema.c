/*
 * sqlite_schema.c — the schema, as a list of migrations.
 *
 * PRAGMA user_version holds the number of migrations applied.  sq_migrate
 * (store_sqlite.c) applies sq_migrations[v] for every v above it, each in its
 * own BEGIN IMMEDIATE … COMMIT together with the new user_version, with
 * foreign keys off during the script and `PRAGMA foreign_key_check` before
 * the COMMIT (the SQLite procedure for table rebuilds).  A migration, once
 * released, is never edited: change the schema by appending one.
 *
 * Conventions:
 * - times are INTEGER seconds since the epoch (UTC), booleans 0/1 with a
 *   CHECK, JSON columns are TEXT checked by json_valid;
 * - a reference that may be absent is NULL (the store maps it to 0), so the
 *   foreign key holds; cases.accused_org_id is 0 for none because the case
 *   list filters it with NOT IN;
 * - an index on a rowid table ends in the rowid implicitly, so
 *   cases_open_due (is_open, due_at) is ordered by (is_open, due_at, id) and
 *   serves `ORDER BY due_at, id` without a sort; cases_inbox names id after
 *   due_at for the same order, since columns follow it (migration 22;
 *   test_store checks the query plans);
 * - the timeline, the audit log and cases themselves are append-only
 *   (DESIGN.md: a submission can never be deleted; every step stays on its
 *   timeline): triggers refuse the statements that would break that.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

static const char migration_1[] =
	"CREATE TABLE meta (\n"
	"  key   TEXT PRIMARY KEY NOT NULL,\n"
	"  value TEXT NOT NULL\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO meta(key, value) VALUES ('orgs_generation', '0');\n"

	"CREATE TABLE orgs (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  parent_id   INTEGER REFERENCES orgs(id),\n"
	"  superior_id INTEGER REFERENCES orgs(id),\n"
	"  code        TEXT NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 64),\n"
	"  name        TEXT NOT NULL CHECK (length(name) >= 1),\n"
	"  name_en     TEXT NOT NULL DEFAULT '',\n"
	"  kind        TEXT NOT NULL CHECK (length(kind) >= 1),\n"
	"  is_unit     INTEGER NOT NULL DEFAULT 0 CHECK (is_unit IN (0, 1)),\n"
	"  disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1))\n"
	");\n"
	"CREATE INDEX orgs_parent ON orgs(parent_id);\n"
	/* in-memory org trees reload when this moves */
	"CREATE TRIGGER orgs_generation_insert AFTER INSERT ON orgs BEGIN\n"
	"  INSERT INTO meta(key, value) VALUES ('orgs_generation', '1')\n"
	"    ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;\n"
	"END;\n"
	"CREATE TRIGGER orgs_generation_update AFTER UPDATE ON orgs BEGIN\n"
	"  INSERT INTO meta(key, value) VALUES ('orgs_generation', '1')\n"
	"    ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;\n"
	"END;\n"

	"CREATE TABLE users (\n"
	"  id            INTEGER PRIMARY KEY,\n"
	"  username      TEXT NOT NULL UNIQUE COLLATE NOCASE\n"
	"                CHECK (length(username) BETWEEN 1 AND 64),\n"
	"  display_name  TEXT NOT NULL DEFAULT '',\n"
	"  password_hash TEXT NOT NULL DEFAULT '',\n"
	"  disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),\n"
	"  failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),\n"
	"  locked_until  INTEGER NOT NULL DEFAULT 0,\n"
	"  created_at    INTEGER NOT NULL\n"
	");\n"

	"CREATE TABLE memberships (\n"
	"  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  org_id  INTEGER NOT NULL REFERENCES orgs(id),\n"
	"  role    TEXT NOT NULL CHECK (length(role) >= 1),\n"
	"  PRIMARY KEY (user_id, org_id, role)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX memberships_org ON memberships(org_id, role);\n"

	"CREATE TABLE sessions (\n"
	"  token_hash TEXT PRIMARY KEY NOT NULL,\n"
	"  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  csrf_token TEXT NOT NULL,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  expires_at INTEGER NOT NULL\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX sessions_user ON sessions(user_id);\n"
	"CREATE INDEX sessions_expires ON sessions(expires_at);\n"

	"CREATE TABLE api_tokens (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
	"  name       TEXT NOT NULL DEFAULT '',\n"
	"  token_hash TEXT NOT NULL UNIQUE,\n"
	"  created_at INTEGER NOT NULL,\n"
	"  expires_at INTEGER NOT NULL DEFAULT 0,\n"
	"  revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))\n"
	");\n"
	"CREATE INDEX api_tokens_user ON api_tokens(user_id);\n"

	"CREATE TABLE counters (\n"
	"  prefix TEXT NOT NULL,\n"
	"  year   INTEGER NOT NULL,\n"
	"  value  INTEGER NOT NULL CHECK (value >= 1),\n"
	"  PRIMARY KEY (prefix, year)\n"
	") WITHOUT ROWID;\n"

	/* Which store query uses which index of cases (EXPLAIN QUERY PLAN):
	 * docs/performance.md, "Which query uses which index on cases" — keep
	 * it true when a query or an index changes. */
	"CREATE TABLE cases (\n"
	"  id               INTEGER PRIMARY KEY,\n"
	"  number           TEXT NOT NULL UNIQUE CHECK (length(number) >= 1),\n"
	"  type             TEXT NOT NULL CHECK (length(type) >= 1),\n"
	"  category         TEXT NOT NULL DEFAULT '',\n"
	"  title            TEXT NOT NULL DEFAULT '',\n"
	"  body             TEXT NOT NULL DEFAULT '',\n"
	"  channel          TEXT NOT NULL,\n"
	"  state            TEXT NOT NULL CHECK (length(state) >= 1),\n"
	"  is_open          INTEGER NOT NULL CHECK (is_open IN (0, 1)),\n"
	"  intake_org_id    INTEGER NOT NULL REFERENCES orgs(id),\n"
	"  owner_org_id     INTEGER NOT NULL REFERENCES orgs(id),\n"
	"  assignee_id      INTEGER REFERENCES users(id),\n"
	"  accused_org_id   INTEGER NOT NULL DEFAULT 0 CHECK (accused_org_id >= 0),\n"
	"  created_at       INTEGER NOT NULL,\n"
	"  updated_at       INTEGER NOT NULL,\n"
	"  state_entered_at INTEGER NOT NULL,\n"
	"  due_at           INTEGER NOT NULL,\n"
	"  overdue          INTEGER NOT NULL DEFAULT 0 CHECK (overdue IN (0, 1)),\n"
	"  query_hash       TEXT,\n"
	"  data             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),\n"
	"  version          INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)\n"
	");\n"
	/* a unit's inbox: owner_org_id = ? AND is_open = 1 ORDER BY due_at, id */
	"CREATE INDEX cases_inbox ON cases(owner_org_id, is_open, due_at);\n"
	/* lists over all orgs, and the timer's scan of open cases past due */
	"CREATE INDEX cases_open_due ON cases(is_open, due_at);\n"
	"CREATE INDEX cases_assignee ON cases(assignee_id, is_open, due_at);\n"
	"CREATE INDEX cases_type_state ON cases(type, state);\n"
	"CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases BEGIN\n"
	"  SELECT RAISE(ABORT, 'cases are never deleted');\n"
	"END;\n"

	"CREATE TABLE events (\n"
	"  id            INTEGER PRIMARY KEY,\n"
	"  case_id       INTEGER NOT NULL REFERENCES cases(id),\n"
	"  at            INTEGER NOT NULL,\n"
	"  kind          TEXT NOT NULL CHECK (length(kind) >= 1),\n"
	"  action        TEXT,\n"
	"  from_state    TEXT,\n"
	"  to_state      TEXT,\n"
	"  actor_user_id INTEGER REFERENCES users(id),\n"
	"  actor_name    TEXT NOT NULL DEFAULT '',\n"
	"  actor_org_id  INTEGER REFERENCES orgs(id),\n"
	"  public        INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),\n"
	"  text          TEXT,\n"
	"  data          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))\n"
	");\n"
	/* (case_id, id): the rowid ends the index */
	"CREATE INDEX events_case ON events(case_id);\n"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN\n"
	"  SELECT RAISE(ABORT, 'the timeline is append-only');\n"
	"END;\n"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN\n"
	"  SELECT RAISE(ABORT, 'the timeline is append-only');\n"
	"END;\n"

	/* name, phone, id_number, address: ciphertexts (core/crypto) */
	"CREATE TABLE parties (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  case_id    INTEGER NOT NULL REFERENCES cases(id),\n"
	"  uid        TEXT NOT NULL UNIQUE CHECK (length(uid) >= 1),\n"
	"  role       TEXT NOT NULL CHECK (length(role) >= 1),\n"
	"  name       BLOB,\n"
	"  phone      BLOB,\n"
	"  id_number  BLOB,\n"
	"  address    BLOB,\n"
	"  phone_hash TEXT,\n"
	"  id_hash    TEXT,\n"
	"  created_at INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX parties_case ON parties(case_id);\n"
	"CREATE INDEX parties_phone_hash ON parties(phone_hash) WHERE phone_hash IS NOT NULL;\n"
	"CREATE INDEX parties_id_hash ON parties(id_hash) WHERE id_hash IS NOT NULL;\n"

	"CREATE TABLE attachments (\n"
	"  id         INTEGER PRIMARY KEY,\n"
	"  case_id    INTEGER NOT NULL REFERENCES cases(id),\n"
	"  event_id   INTEGER REFERENCES events(id),\n"
	"  sha256     TEXT NOT NULL CHECK (length(sha256) = 64),\n"
	"  name       TEXT NOT NULL DEFAULT '',\n"
	"  mime       TEXT NOT NULL DEFAULT '',\n"
	"  size       INTEGER NOT NULL CHECK (size >= 0),\n"
	"  public     INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),\n"
	"  created_at INTEGER NOT NULL,\n"
	"  UNIQUE (case_id, sha256)\n"
	");\n"
	/* which cases still use a blob (garbage collection of attachments/) */
	"CREATE INDEX attachments_sha256 ON attachments(sha256);\n"

	"CREATE TABLE ratings (\n"
	"  id      INTEGER PRIMARY KEY,\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),\n"
	"  stage   TEXT NOT NULL CHECK (length(stage) >= 1),\n"
	"  level   TEXT NOT NULL CHECK (length(level) >= 1),\n"
	"  comment TEXT,\n"
	"  at      INTEGER NOT NULL,\n"
	"  UNIQUE (case_id, stage)\n"
	");\n"

	"CREATE TABLE audit (\n"
	"  seq       INTEGER PRIMARY KEY CHECK (seq >= 1),\n"
	"  at        INTEGER NOT NULL,\n"
	"  actor     TEXT NOT NULL,\n"
	"  action    TEXT NOT NULL CHECK (length(action) >= 1),\n"
	"  object    TEXT NOT NULL DEFAULT '',\n"
	"  detail    TEXT NOT NULL DEFAULT '{}',\n"
	"  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),\n"
	"  hash      TEXT NOT NULL CHECK (length(hash) = 64)\n"
	");\n"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN\n"
	"  SELECT RAISE(ABORT, 'the audit log is append-only');\n"
	"END;\n"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN\n"
	"  SELECT RAISE(ABORT, 'the audit log is append-only');\n"
	"END;\n"

	/* notifications, written in the transaction of the change that causes them */
	"CREATE TABLE outbox (\n"
	"  id              INTEGER PRIMARY KEY,\n"
	"  created_at      INTEGER NOT NULL,\n"
	"  channel         TEXT NOT NULL CHECK (length(channel) >= 1),\n"
	"  recipient       TEXT NOT NULL,\n"
	"  subject         TEXT NOT NULL DEFAULT '',\n"
	"  body            TEXT NOT NULL DEFAULT '',\n"
	"  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
	"  next_attempt_at INTEGER NOT NULL,\n"
	"  status          TEXT NOT NULL DEFAULT 'pending',\n"
	"  last_error      TEXT\n"
	");\n"
	"CREATE INDEX outbox_due ON outbox(status, next_attempt_at);\n";

/* Version 2: written documents (文书) — see core/docgen.c.  A row is queued
 * in the transaction of the step that produces it (status pending), claimed
 * by a generator (rendering, with a lease and a claim token; its number 文号
 * is allocated then, per issuing unit and year, and kept if rendering has to
 * be retried), and finished in one write that links the stored PDF as a case
 * attachment (done).  Regenerating inserts a new row with the next version;
 * a done row never changes, and no row is ever deleted. */
static const char migration_2[] =
	"CREATE TABLE documents (\n"
	"  id            INTEGER PRIMARY KEY,\n"
	"  case_id       INTEGER NOT NULL REFERENCES cases(id),\n"
	"  event_id      INTEGER REFERENCES events(id),\n"
	"  kind          TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),\n"
	"  locale        TEXT NOT NULL CHECK (length(locale) BETWEEN 1 AND 16),\n"
	"  unit_org_id   INTEGER NOT NULL REFERENCES orgs(id),\n"
	"  version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),\n"
	"  supersedes    INTEGER REFERENCES documents(id),\n"
	"  public        INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1)),\n"
	"  status        TEXT NOT NULL DEFAULT 'pending'\n"
	"                CHECK (status IN ('pending', 'rendering', 'done', 'failed')),\n"
	"  vars          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vars)),\n"
	"  created_at    INTEGER NOT NULL,\n"
	"  requested_by  TEXT NOT NULL DEFAULT '',\n"
	"  number        TEXT,\n"
	"  year          INTEGER,\n"
	"  seq           INTEGER,\n"
	"  sha256        TEXT CHECK (sha256 IS NULL OR length(sha256) = 64),\n"
	"  size          INTEGER,\n"
	"  pages         INTEGER,\n"
	"  issued_at     INTEGER,\n"
	"  attachment_id INTEGER REFERENCES attachments(id),\n"
	"  issue_event_id INTEGER REFERENCES events(id),\n"
	"  template      TEXT,\n"
	"  claim         TEXT,\n"
	"  claim_until   INTEGER NOT NULL DEFAULT 0,\n"
	"  attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),\n"
	"  last_error    TEXT,\n"
	"  CHECK (status <> 'done' OR (number IS NOT NULL AND sha256 IS NOT NULL))\n"
	");\n"
	"CREATE INDEX documents_case ON documents(case_id);\n"
	/* the generator's queue: pending rows, and rendering rows whose lease ran out */
	"CREATE INDEX documents_queue ON documents(status, claim_until) WHERE status IN ('pending', 'rendering');\n"
	/* a number is given once per issuing unit and year */
	"CREATE UNIQUE INDEX documents_number ON documents(unit_org_id, year, seq) WHERE seq IS NOT NULL;\n"
	"CREATE UNIQUE INDEX documents_version ON documents(case_id, IFNULL(event_id, 0), kind, version);\n"
	/* the batch print: a unit's documents issued on one day */
	"CREATE INDEX documents_issued ON documents(unit_org_id, issued_at) WHERE status = 'done';\n"
	"CREATE TRIGGER documents_no_delete BEFORE DELETE ON documents BEGIN\n"
	"  SELECT RAISE(ABORT, 'documents are never deleted');\n"
	"END;\n"
	"CREATE TRIGGER documents_done_frozen BEFORE UPDATE ON documents WHEN OLD.status = 'done' BEGIN\n"
	"  SELECT RAISE(ABORT, 'an issued document never changes: regenerate it instead');\n"
	"END;\n"
	"CREATE TRIGGER documents_number_kept BEFORE UPDATE OF number, year, seq ON documents\n"
	"  WHEN OLD.seq IS NOT NULL AND (NEW.seq IS NOT OLD.seq OR NEW.year IS NOT OLD.year\n"
	"                              OR NEW.number IS NOT OLD.number) BEGIN\n"
	"  SELECT RAISE(ABORT, 'a document number is never changed or reused');\n"
	"END;\n";

/* Version 3: notifications and deadline alerts — see core/notify.c,
 * core/sender.c and core/reminders.c.
 * - outbox: what a message is about (kind, case), the language it was
 *   rendered in, a random uid (the delivery id receivers see, and the
 *   associated data of the sealed recipient), the recipient's real address
 *   sealed like any personal data (`recipient` keeps only what people may
 *   see: a mask or "unit:<code>"), an optional dedupe key (a second insert
 *   with the same key is ignored), and when it was sent.  status is one of
 *   pending, sent, dead (enforced by triggers: ALTER TABLE cannot add a
 *   CHECK).
 * - parties: the contact's e-mail address (sealed) and the language the
 *   person wrote in, for the notices sent to them.
 * - case_alerts: one row per reminder and per escalation of a case's limit
 *   — the state it was in and that state's due time (a new state, or an
 *   extension, is a new limit) — inserted in the write that sends it: the
 *   primary key makes each fire exactly once, across timer passes, processes
 *   and restarts. */
static const char migration_3[] =
	"ALTER TABLE outbox ADD COLUMN uid TEXT;\n"
	"ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';\n"
	"ALTER TABLE outbox ADD COLUMN case_id INTEGER REFERENCES cases(id);\n"
	"ALTER TABLE outbox ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';\n"
	"ALTER TABLE outbox ADD COLUMN recipient_sealed BLOB;\n"
	"ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;\n"
	"ALTER TABLE outbox ADD COLUMN sent_at INTEGER;\n"
	"ALTER TABLE outbox ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE UNIQUE INDEX outbox_uid ON outbox(uid) WHERE uid IS NOT NULL;\n"
	"CREATE UNIQUE INDEX outbox_dedupe ON outbox(dedupe_key) WHERE dedupe_key IS NOT NULL;\n"
	"CREATE INDEX outbox_case ON outbox(case_id) WHERE case_id IS NOT NULL;\n"
	"CREATE TRIGGER outbox_status_insert BEFORE INSERT ON outbox\n"
	"  WHEN NEW.status NOT IN ('pending', 'sent', 'dead') BEGIN\n"
	"  SELECT RAISE(ABORT, 'outbox status must be pending, sent or dead');\n"
	"END;\n"
	"CREATE TRIGGER outbox_status_update BEFORE UPDATE OF status ON outbox\n"
	"  WHEN NEW.status NOT IN ('pending', 'sent', 'dead') BEGIN\n"
	"  SELECT RAISE(ABORT, 'outbox status must be pending, sent or dead');\n"
	"END;\n"

	"ALTER TABLE parties ADD COLUMN email BLOB;\n"
	"ALTER TABLE parties ADD COLUMN lang TEXT;\n"

	"CREATE TABLE case_alerts (\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),\n"
	"  kind    TEXT NOT NULL CHECK (kind IN ('reminder', 'escalation')),\n"
	"  state   TEXT NOT NULL,\n"
	"  due_at  INTEGER NOT NULL,\n"
	"  at      INTEGER NOT NULL,\n"
	"  PRIMARY KEY (case_id, kind, state, due_at)\n"
	") WITHOUT ROWID;\n"
	"CREATE TRIGGER case_alerts_no_change BEFORE UPDATE ON case_alerts BEGIN\n"
	"  SELECT RAISE(ABORT, 'an alert, once sent, stays sent');\n"
	"END;\n"
	"CREATE TRIGGER case_alerts_no_delete BEFORE DELETE ON case_alerts BEGIN\n"
	"  SELECT RAISE(ABORT, 'an alert, once sent, stays sent');\n"
	"END;\n";

/* Version 4: supervision orders (督办) and links between cases — see
 * core/supervision.c and core/links.c.
 * - supervision_orders: an order about one case to the unit that owned it
 *   when it was issued (to_org_id), from the issuer's unit (from_org_id).
 *   state moves open → replied | overdue → closed; overdue → replied is
 *   allowed (a late reply); escalated_at is set once, by the timer, in the
 *   write that marks the order overdue.  Never deleted.
 * - case_links: from_case_id → to_case_id of a kind: related, merged_into
 *   (the merged case points to the surviving one), handover (a case handed
 *   to a case of another type) or repeat_of (found at intake: the same
 *   party with a similar text).  One link per (from, to, kind); never
 *   deleted or changed. */
static const char migration_4[] =
	"CREATE TABLE supervision_orders (\n"
	"  id              INTEGER PRIMARY KEY,\n"
	"  case_id         INTEGER NOT NULL REFERENCES cases(id),\n"
	"  from_org_id     INTEGER NOT NULL REFERENCES orgs(id),\n"
	"  to_org_id       INTEGER NOT NULL REFERENCES orgs(id),\n"
	"  issued_by       INTEGER NOT NULL REFERENCES users(id),\n"
	"  issued_at       INTEGER NOT NULL,\n"
	"  reason          TEXT NOT NULL CHECK (length(reason) >= 1),\n"
	"  required_action TEXT NOT NULL CHECK (length(required_action) >= 1),\n"
	"  due_at          INTEGER NOT NULL,\n"
	"  state           TEXT NOT NULL DEFAULT 'open'\n"
	"                  CHECK (state IN ('open', 'replied', 'overdue', 'closed')),\n"
	"  reply_text      TEXT,\n"
	"  replied_by      INTEGER REFERENCES users(id),\n"
	"  replied_at      INTEGER,\n"
	"  escalated_at    INTEGER,\n"
	"  closed_by       INTEGER REFERENCES users(id),\n"
	"  closed_at       INTEGER,\n"
	"  CHECK (state NOT IN ('replied') OR reply_text IS NOT NULL)\n"
	");\n"
	"CREATE INDEX supervision_case ON supervision_orders(case_id);\n"
	/* the timer's scan (open, past due) and the board (by state, due_at) */
	"CREATE INDEX supervision_state_due ON supervision_orders(state, due_at);\n"
	"CREATE INDEX supervision_to_org ON supervision_orders(to_org_id, state);\n"
	"CREATE TRIGGER supervision_no_delete BEFORE DELETE ON supervision_orders BEGIN\n"
	"  SELECT RAISE(ABORT, 'supervision orders are never deleted');\n"
	"END;\n"
	"CREATE TRIGGER supervision_closed_frozen BEFORE UPDATE ON supervision_orders\n"
	"  WHEN OLD.state = 'closed' BEGIN\n"
	"  SELECT RAISE(ABORT, 'a closed supervision order never changes');\n"
	"END;\n"

	"CREATE TABLE case_links (\n"
	"  id           INTEGER PRIMARY KEY,\n"
	"  from_case_id INTEGER NOT NULL REFERENCES cases(id),\n"
	"  to_case_id   INTEGER NOT NULL REFERENCES cases(id),\n"
	"  kind         TEXT NOT NULL\n"
	"               CHECK (kind IN ('related', 'merged_into', 'handover', 'repeat_of')),\n"
	"  created_by   INTEGER REFERENCES users(id),\n"
	"  created_at   INTEGER NOT NULL,\n"
	"  note         TEXT,\n"
	"  CHECK (from_case_id <> to_case_id),\n"
	"  UNIQUE (from_case_id, to_case_id, kind)\n"
	");\n"
	"CREATE INDEX case_links_to ON case_links(to_case_id);\n"
	"CREATE TRIGGER case_links_no_update BEFORE UPDATE ON case_links BEGIN\n"
	"  SELECT RAISE(ABORT, 'case links never change');\n"
	"END;\n"
	"CREATE TRIGGER case_links_no_delete BEFORE DELETE ON case_links BEGIN\n"
	"  SELECT RAISE(ABORT, 'case links are never deleted');\n"
	"END;\n";

/* The timer's work list: open cases not yet marked overdue, by due time.
 * Once a case is marked overdue (or leaves its state) it leaves this index,
 * so a pass reads only what it has to act on. */
static const char migration_5[] =
	"CREATE INDEX cases_due_pending ON cases(due_at, id) WHERE is_open = 1 AND overdue = 0;\n";

/* Repeat detection walks a party hash's cases newest first without sorting. */
static const char migration_6[] =
	"CREATE INDEX parties_phone_case ON parties(phone_hash, case_id) WHERE phone_hash IS NOT NULL;\n"
	"CREATE INDEX parties_id_case ON parties(id_hash, case_id) WHERE id_hash IS NOT NULL;\n"
	"DROP INDEX parties_phone_hash;\n"
	"DROP INDEX parties_id_hash;\n";

/* Surveys (core/surveys.c): definitions, one-time invitations, responses and
 * their answers.  Responses and answers are append-only; an invitation
 * changes once, when it is spent (used_at), and never back. */
static const char migration_7[] =
	"CREATE TABLE surveys (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  series      TEXT NOT NULL CHECK (length(series) BETWEEN 1 AND 64),\n"
	"  title       TEXT NOT NULL,\n"
	"  access      TEXT NOT NULL CHECK (access IN ('token', 'open')),\n"
	"  state       TEXT NOT NULL CHECK (state IN ('draft', 'open', 'closed')),\n"
	"  definition  TEXT NOT NULL CHECK (json_valid(definition)),\n"
	"  created_by  INTEGER REFERENCES users(id),\n"
	"  created_at  INTEGER NOT NULL,\n"
	"  opened_at   INTEGER,\n"
	"  closed_at   INTEGER\n"
	");\n"
	"CREATE INDEX surveys_series ON surveys(series, id);\n"
	"CREATE TRIGGER surveys_no_delete BEFORE DELETE ON surveys BEGIN\n"
	"  SELECT RAISE(ABORT, 'surveys are never deleted');\n"
	"END;\n"
	"CREATE TABLE survey_invitations (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  survey_id   INTEGER NOT NULL REFERENCES surveys(id),\n"
	"  batch       INTEGER NOT NULL,\n"
	"  token_hash  TEXT NOT NULL UNIQUE,\n"
	"  place_id    INTEGER REFERENCES orgs(id),\n"
	"  created_at  INTEGER NOT NULL,\n"
	"  used_at     INTEGER\n"
	");\n"
	"CREATE INDEX survey_invitations_survey ON survey_invitations(survey_id, batch);\n"
	"CREATE TRIGGER survey_invitations_once BEFORE UPDATE ON survey_invitations\n"
	"  WHEN OLD.used_at IS NOT NULL BEGIN\n"
	"  SELECT RAISE(ABORT, 'a spent invitation never changes');\n"
	"END;\n"
	"CREATE TABLE survey_responses (\n"
	"  id            INTEGER PRIMARY KEY,\n"
	"  survey_id     INTEGER NOT NULL REFERENCES surveys(id),\n"
	"  invitation_id INTEGER UNIQUE REFERENCES survey_invitations(id),\n"
	"  place_id      INTEGER REFERENCES orgs(id),\n"
	"  created_at    INTEGER NOT NULL\n"
	");\n"
	"CREATE INDEX survey_responses_survey ON survey_responses(survey_id, place_id);\n"
	"CREATE TABLE survey_answers (\n"
	"  response_id INTEGER NOT NULL REFERENCES survey_responses(id),\n"
	"  survey_id   INTEGER NOT NULL REFERENCES surveys(id),\n"
	"  place_id    INTEGER REFERENCES orgs(id),\n"
	"  question    TEXT NOT NULL,\n"
	"  option      TEXT NOT NULL,\n"
	"  PRIMARY KEY (response_id, question)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX survey_answers_tally ON survey_answers(survey_id, place_id, question, option);\n"
	"CREATE TRIGGER survey_responses_no_update BEFORE UPDATE ON survey_responses BEGIN\n"
	"  SELECT RAISE(ABORT, 'responses never change');\n"
	"END;\n"
	"CREATE TRIGGER survey_responses_no_delete BEFORE DELETE ON survey_responses BEGIN\n"
	"  SELECT RAISE(ABORT, 'responses are never deleted');\n"
	"END;\n"
	"CREATE TRIGGER survey_answers_no_update BEFORE UPDATE ON survey_answers BEGIN\n"
	"  SELECT RAISE(ABORT, 'answers never change');\n"
	"END;\n"
	"CREATE TRIGGER survey_answers_no_delete BEFORE DELETE ON survey_answers BEGIN\n"
	"  SELECT RAISE(ABORT, 'answers are never deleted');\n"
	"END;\n";

/* The issuing unit's short name (机关代字) for document numbers: 平信〔2026〕1号. */
static const char migration_8[] =
	"ALTER TABLE orgs ADD COLUMN abbr TEXT NOT NULL DEFAULT '' CHECK (length(abbr) <= 32);\n";
/* Version 13: indicators (core/indicators.c, docs/indicators.md) and campaigns.
 * - case_facts: one row per case with what the indicators need (dimensions,
 *   the last state and due seen, flags, handling time, ratings), keyed by
 *   (day, case_id) so a range of registration days is one sequential read.
 * - indicator_month: counters per month and dimensions; indicator_metric: the
 *   named counts of each type's definition; indicator_days: the handling-time
 *   histogram (working days) per month, type and unit (and, since
 *   migration 17, category and enterprise).
 * - indicator_workload: open and overdue cases per unit and assignee (0 =
 *   unassigned); indicator_closed: cases closed per week, unit and assignee.
 * All of them are written only by store_tx_facts_put, in the transaction of
 * the case change, so they stay exact.  Rows are kept at zero rather than
 * deleted.
 * - campaigns (专项行动): a named period over types, categories and units,
 *   with goals. */
static const char migration_13[] =
	"CREATE TABLE case_facts (\n"
	"  day         INTEGER NOT NULL,\n"
	"  case_id     INTEGER NOT NULL REFERENCES cases(id),\n"
	"  month       INTEGER NOT NULL,\n"
	"  type        TEXT NOT NULL,\n"
	"  category    TEXT NOT NULL,\n"
	"  org_id      INTEGER NOT NULL,\n"
	"  street_id   INTEGER NOT NULL DEFAULT 0,\n"
	"  assignee_id INTEGER NOT NULL DEFAULT 0,\n"
	"  enterprise  INTEGER NOT NULL DEFAULT 0 CHECK (enterprise IN (0, 1)),\n"
	"  state       TEXT NOT NULL,\n"
	"  due_at      INTEGER NOT NULL,\n"
	"  is_open     INTEGER NOT NULL CHECK (is_open IN (0, 1)),\n"
	"  overdue     INTEGER NOT NULL CHECK (overdue IN (0, 1)),\n"
	"  flags       INTEGER NOT NULL,\n"
	"  wdays       INTEGER NOT NULL DEFAULT -1,\n"
	"  r1 INTEGER NOT NULL DEFAULT 0, r2 INTEGER NOT NULL DEFAULT 0,\n"
	"  r3 INTEGER NOT NULL DEFAULT 0, r4 INTEGER NOT NULL DEFAULT 0,\n"
	"  r5 INTEGER NOT NULL DEFAULT 0,\n"
	"  closed_day  INTEGER NOT NULL DEFAULT -1,\n"
	"  PRIMARY KEY (day, case_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE UNIQUE INDEX case_facts_case ON case_facts(case_id);\n"
	"CREATE TABLE indicator_month (\n"
	"  month INTEGER NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL,\n"
	"  org_id INTEGER NOT NULL, street_id INTEGER NOT NULL, enterprise INTEGER NOT NULL,\n"
	"  cases INTEGER NOT NULL DEFAULT 0, open INTEGER NOT NULL DEFAULT 0,\n"
	"  closed INTEGER NOT NULL DEFAULT 0, overdue INTEGER NOT NULL DEFAULT 0,\n"
	"  acc_due INTEGER NOT NULL DEFAULT 0, acc_on_time INTEGER NOT NULL DEFAULT 0,\n"
	"  hnd_due INTEGER NOT NULL DEFAULT 0, hnd_on_time INTEGER NOT NULL DEFAULT 0,\n"
	"  handled INTEGER NOT NULL DEFAULT 0, wdays_sum INTEGER NOT NULL DEFAULT 0,\n"
	"  repeat INTEGER NOT NULL DEFAULT 0,\n"
	"  r1 INTEGER NOT NULL DEFAULT 0, r2 INTEGER NOT NULL DEFAULT 0,\n"
	"  r3 INTEGER NOT NULL DEFAULT 0, r4 INTEGER NOT NULL DEFAULT 0,\n"
	"  r5 INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (month, type, category, org_id, street_id, enterprise)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE indicator_metric (\n"
	"  month INTEGER NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL,\n"
	"  org_id INTEGER NOT NULL, street_id INTEGER NOT NULL, enterprise INTEGER NOT NULL,\n"
	"  metric TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (month, type, metric, category, org_id, street_id, enterprise)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE indicator_days (\n"
	"  month INTEGER NOT NULL, type TEXT NOT NULL, org_id INTEGER NOT NULL,\n"
	"  street_id INTEGER NOT NULL, wdays INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (month, type, org_id, street_id, wdays)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE indicator_workload (\n"
	"  org_id INTEGER NOT NULL, assignee_id INTEGER NOT NULL,\n"
	"  open INTEGER NOT NULL DEFAULT 0, overdue INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (org_id, assignee_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE indicator_closed (\n"
	"  week INTEGER NOT NULL, org_id INTEGER NOT NULL, assignee_id INTEGER NOT NULL,\n"
	"  n INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (week, org_id, assignee_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE TABLE campaigns (\n"
	"  id          INTEGER PRIMARY KEY,\n"
	"  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),\n"
	"  description TEXT NOT NULL DEFAULT '',\n"
	"  start_day   INTEGER NOT NULL,\n"
	"  end_day     INTEGER NOT NULL CHECK (end_day >= start_day),\n"
	"  types       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(types)),\n"
	"  categories  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(categories)),\n"
	"  orgs        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(orgs)),\n"
	"  goals       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(goals)),\n"
	"  created_by  INTEGER REFERENCES users(id),\n"
	"  created_at  INTEGER NOT NULL\n"
	");\n";

/* Where a case happened: a WGS-84 point (both or neither) and the address
 * of the place (grid events; the workflow's `location:` key). */
static const char migration_9[] =
	"ALTER TABLE cases ADD COLUMN lat REAL CHECK (lat IS NULL OR (lat BETWEEN -90 AND 90));\n"
	"ALTER TABLE cases ADD COLUMN lng REAL CHECK (lng IS NULL OR (lng BETWEEN -180 AND 180));\n"
	"ALTER TABLE cases ADD COLUMN address TEXT;\n";

/* Full-text search (sqlite_search.c, docs/search.md).  search_text holds, per
 * case (rowid = case id), its title, body and notes — the searchable texts of
 * its timeline: comments, ratings, supervision and link notes, and the text
 * fields of transitions (replies, reasons); generated notices and documents
 * are not notes.  Personal data of parties is sealed and is never indexed.
 * search_grams indexes the same three columns as character grams
 * (base/grams.h) for queries under three characters; it is contentless and
 * is rewritten from search_text (delete with the old grams, insert the new)
 * when a case gains a note.  Triggers keep both in the transaction of the
 * write; pa_grams() is registered on every connection of the engine. */
/* SEARCH_EVENT_TEXT and SEARCH_NOTES_MAX: sqlite_internal.h (the writer's search index uses them too). */

static const char migration_10[] =
	"CREATE VIRTUAL TABLE search_text USING fts5(title, body, notes, tokenize = 'trigram');\n"
	"CREATE VIRTUAL TABLE search_grams USING fts5(title, body, notes, content = '', "
	"tokenize = 'ascii');\n"
	"INSERT INTO search_text(rowid, title, body, notes)\n"
	"  SELECT c.id, c.title, c.body, coalesce((SELECT substr(group_concat(t, char(10)), 1, "
	SEARCH_NOTES_MAX ") FROM (SELECT " SEARCH_EVENT_TEXT("e") " AS t FROM events e "
	"WHERE e.case_id = c.id ORDER BY e.id) WHERE t <> ''), '') FROM cases c;\n"
	"INSERT INTO search_grams(rowid, title, body, notes)\n"
	"  SELECT rowid, pa_grams(title), pa_grams(body), pa_grams(notes) FROM search_text;\n"
	"CREATE TRIGGER cases_search AFTER INSERT ON cases BEGIN\n"
	"  INSERT INTO search_text(rowid, title, body, notes) VALUES (NEW.id, NEW.title, NEW.body, '');\n"
	"  INSERT INTO search_grams(rowid, title, body, notes)\n"
	"    VALUES (NEW.id, pa_grams(NEW.title), pa_grams(NEW.body), '');\n"
	"END;\n"
	"CREATE TRIGGER events_search AFTER INSERT ON events\n"
	"WHEN " SEARCH_EVENT_TEXT("NEW") " <> '' BEGIN\n"
	"  INSERT INTO search_grams(search_grams, rowid, title, body, notes)\n"
	"    SELECT 'delete', rowid, pa_grams(title), pa_grams(body), pa_grams(notes)\n"
	"    FROM search_text WHERE rowid = NEW.case_id;\n"
	"  UPDATE search_text SET notes = substr(CASE WHEN notes = '' THEN '' ELSE notes || char(10) END\n"
	"    || " SEARCH_EVENT_TEXT("NEW") ", 1, " SEARCH_NOTES_MAX ") WHERE rowid = NEW.case_id;\n"
	"  INSERT INTO search_grams(rowid, title, body, notes)\n"
	"    SELECT rowid, pa_grams(title), pa_grams(body), pa_grams(notes)\n"
	"    FROM search_text WHERE rowid = NEW.case_id;\n"
	"END;\n";
/* Open311 GET requests walk a type's or a category's cases newest first
 * (the rowid ends each index, so ORDER BY created_at DESC, id DESC needs no
 * sort); servicerequestupdates reads the public steps by time. */
static const char migration_11[] =
	"CREATE INDEX cases_type_created ON cases(type, created_at);\n"
	"CREATE INDEX cases_category_created ON cases(category, created_at);\n"
	"CREATE INDEX events_public_at ON events(at) WHERE public = 1;\n";

/* Records kept on a case (core/records.c): appended, never changed; a new
 * version names the one it supersedes, and each is superseded at most once. */
static const char migration_12[] =
	"CREATE TABLE case_records (\n"
	"  id            INTEGER PRIMARY KEY,\n"
	"  case_id       INTEGER NOT NULL REFERENCES cases(id),\n"
	"  kind          TEXT NOT NULL CHECK (length(kind) >= 1),\n"
	"  version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),\n"
	"  supersedes_id INTEGER UNIQUE REFERENCES case_records(id),\n"
	"  fields        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),\n"
	"  created_by    INTEGER REFERENCES users(id),\n"
	"  org_id        INTEGER REFERENCES orgs(id),\n"
	"  created_at    INTEGER NOT NULL,\n"
	"  event_id      INTEGER REFERENCES events(id)\n"
	");\n"
	"CREATE INDEX case_records_case ON case_records(case_id, kind);\n"
	"CREATE TRIGGER case_records_no_update BEFORE UPDATE ON case_records BEGIN\n"
	"  SELECT RAISE(ABORT, 'case records never change: add a new version');\n"
	"END;\n"
	"CREATE TRIGGER case_records_no_delete BEFORE DELETE ON case_records BEGIN\n"
	"  SELECT RAISE(ABORT, 'case records are never deleted');\n"
	"END;\n";

/* The search index is written by the writer once per batch (sqlite_search.c,
 * "indexing"), no longer by a trigger per row: FTS5 wrote a segment at every
 * job's savepoint, over half of a submission's cost. */
static const char migration_14[] =
	"DROP TRIGGER cases_search;\n"
	"DROP TRIGGER events_search;\n";

/* The units participating in a case (authz rule 5: joint cases are listed
 * in their participants' inboxes).  The case's data keeps each one's stage;
 * this table is what lists and counts read.  Filled from the data of the
 * cases that already have participants. */
static const char migration_15[] =
	"CREATE TABLE case_participants (\n"
	"  case_id INTEGER NOT NULL REFERENCES cases(id),\n"
	"  org_id  INTEGER NOT NULL REFERENCES orgs(id),\n"
	"  PRIMARY KEY (case_id, org_id)\n"
	") WITHOUT ROWID;\n"
	"CREATE INDEX case_participants_org ON case_participants(org_id, case_id);\n"
	/* GET /api/v1/records: one kind's records across cases, newest first */
	"CREATE INDEX case_records_kind ON case_records(kind, id);\n"
	"INSERT OR IGNORE INTO case_participants(case_id, org_id)\n"
	"  SELECT c.id, CAST(json_extract(p.value, '$.org_id') AS INTEGER)\n"
	"  FROM cases c, json_each(c.data, '$.participants') p\n"
	"  WHERE c.data LIKE '%participants%'\n"
	"    AND CAST(json_extract(p.value, '$.org_id') AS INTEGER) IN (SELECT id FROM orgs);\n";

/* A one-character query is the prefix query "字" * on search_grams; without a
 * prefix index FTS5 merges the posting list of every gram that begins with
 * the character (thousands of bigrams for a common one), newest first, on
 * each query.  prefix = '1' keeps one posting list per first character
 * (FTS5 counts prefix lengths in characters).  The table is contentless, so
 * it is made again from search_text's columns. */
static const char migration_16[] =
	"DROP TABLE search_grams;\n"
	"CREATE VIRTUAL TABLE search_grams USING fts5(title, body, notes, content = '', "
	"tokenize = 'ascii', prefix = '1');\n"
	"INSERT INTO search_grams(rowid, title, body, notes)\n"
	"  SELECT rowid, pa_grams(title), pa_grams(body), pa_grams(notes) FROM search_text;\n";

/* The handling-time histogram by category and enterprise too: p90 of a
 * period grouped by category or filtered by category or enterprise read the
 * facts of the whole period (8-10 s at a million cases) because
 * indicator_days had neither dimension.  Made again from case_facts, with the
 * handling time capped as core/indicators.c caps it (IND_HIST_MAX = 1000). */
static const char migration_17[] =
	"DROP TABLE indicator_days;\n"
	"CREATE TABLE indicator_days (\n"
	"  month INTEGER NOT NULL, type TEXT NOT NULL, category TEXT NOT NULL,\n"
	"  org_id INTEGER NOT NULL, street_id INTEGER NOT NULL, enterprise INTEGER NOT NULL,\n"
	"  wdays INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0,\n"
	"  PRIMARY KEY (month, type, category, org_id, street_id, enterprise, wdays)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO indicator_days(month, type, category, org_id, street_id, enterprise, wdays, n)\n"
	"  SELECT month, type, category, org_id, street_id, enterprise,\n"
	"         CASE WHEN wdays > 1000 THEN 1000 ELSE wdays END, COUNT(*)\n"
	"  FROM case_facts WHERE wdays >= 0\n"
	"  GROUP BY month, type, category, org_id, street_id, enterprise,\n"
	"           CASE WHEN wdays > 1000 THEN 1000 ELSE wdays END;\n";

/* The timer's work list carries each case's unit and assignee too: the
 * workload's "due soon" (open, not yet overdue, due within days) is a range
 * of this index, and read from it alone it is one page walk — reading each
 * case's row for its unit cost 60-100 ms at a million cases (13 000 rows
 * due within three days).  The timer's order (due_at, id) is unchanged. */
static const char migration_18[] =
	"DROP INDEX cases_due_pending;\n"
	"CREATE INDEX cases_due_pending ON cases(due_at, id, owner_org_id, assignee_id)\n"
	"  WHERE is_open = 1 AND overdue = 0;\n";

/* A participating unit's stage limit (a joint case's track stage with a
 * `due`): when its current stage is due (0: no limit), and whether the timer
 * has marked it overdue; the index holds only the stages still to mark, so
 * the timer's scan reads what is due and nothing else. */
static const char migration_19[] =
	"ALTER TABLE case_participants ADD COLUMN stage_due_at INTEGER NOT NULL DEFAULT 0;\n"
	"ALTER TABLE case_participants ADD COLUMN stage_overdue INTEGER NOT NULL DEFAULT 0;\n"
	"CREATE INDEX case_participants_due ON case_participants(stage_due_at)\n"
	"  WHERE stage_due_at > 0 AND stage_overdue = 0;\n";

/* The restricted types' open cases by deadline: a participating unit's
 * slice of its inbox (sqlite_cases.c, SLICE_PART_MANY) walks them and probes
 * case_participants per case; along cases_open_due it walked every other
 * type's open cases too (20-30 ms at a million cases, 200 ms probing). */
static const char migration_20[] =
	"CREATE INDEX cases_type_open_due ON cases(type, is_open, due_at);\n";

/* The facts of each registration day counted by shape: the dimensions and
 * everything contrib() reads (core/indicators.c), with how many cases have
 * it.  A period's part of a month (its edges) is read here — a row per shape
 * and day instead of a row per case — and counted by shape as the facts
 * were.  store_tx_facts_put keeps it in the transaction of the case change
 * (the old shape -1, deleted at 0; the new one +1), and it is made here by
 * grouping case_facts: the facts grouped, exact. */
static const char migration_21[] =
	"CREATE TABLE case_facts_day (\n"
	"  day INTEGER NOT NULL, month INTEGER NOT NULL, type TEXT NOT NULL,\n"
	"  category TEXT NOT NULL, org_id INTEGER NOT NULL, street_id INTEGER NOT NULL,\n"
	"  enterprise INTEGER NOT NULL, state TEXT NOT NULL, is_open INTEGER NOT NULL,\n"
	"  overdue INTEGER NOT NULL, flags INTEGER NOT NULL, wdays INTEGER NOT NULL,\n"
	"  r1 INTEGER NOT NULL, r2 INTEGER NOT NULL, r3 INTEGER NOT NULL,\n"
	"  r4 INTEGER NOT NULL, r5 INTEGER NOT NULL, n INTEGER NOT NULL CHECK (n > 0),\n"
	"  PRIMARY KEY (day, type, category, org_id, street_id, enterprise, state, is_open,\n"
	"               overdue, flags, wdays, r1, r2, r3, r4, r5)\n"
	") WITHOUT ROWID;\n"
	"INSERT INTO case_facts_day(day, month, type, category, org_id, street_id, enterprise,\n"
	"                           state, is_open, overdue, flags, wdays, r1, r2, r3, r4, r5, n)\n"
	"  SELECT day, month, type, category, org_id, street_id, enterprise, state, is_open,\n"
	"         overdue, flags, wdays, r1, r2, r3, r4, r5, COUNT(*)\n"
	"  FROM case_facts\n"
	"  GROUP BY day, month, type, category, org_id, street_id, enterprise, state, is_open,\n"
	"           overdue, flags, wdays, r1, r2, r3, r4, r5;\n";
/* The inbox index covers a merged page's keys: a list of several units
 * (a district supervisor's 26) reads each unit's first page of (id, due_at)
 * from it, with the type and hidden-accused conditions, and then only the
 * rows of the merged page (sqlite_cases.c, build_case_list).  `id` follows
 * due_at, so the index still gives (due_at, id) order without a sort.  It
 * replaces the narrower index of the same name and prefix. */
static const char migration_22[] =
	"DROP INDEX cases_inbox;\n"
	"CREATE INDEX cases_inbox ON cases(owner_org_id, is_open, due_at, id, type, accused_org_id);\n";

/* documents_version (case_id, …) serves every read by case; documents_case
 * was one more b-tree entry at a random place for each document queued —
 * an action's step writes one (docs/performance.md, "Actions"). */
static const char migration_23[] =
	"DROP INDEX documents_case;\n";

/* One full-text index instead of two (docs/search.md, "One index: grams").
 * Every term, of any length, is matched on search_grams: a long one as the
 * phrase of its grams, so search_text's trigram index only cost the writer
 * a second FTS5 insert and segment flush per batch (a fifth of its time per
 * submission).  What search_text held besides its index: the titles and
 * bodies (cases has them, and they never change) and the notes, which
 * search_notes keeps now for the cases that have any — the grams of a case
 * that gains a note are deleted with the old values read from there. */
static const char migration_24[] =
	"CREATE TABLE search_notes (\n"
	"  case_id INTEGER PRIMARY KEY REFERENCES cases(id),\n"
	"  notes   TEXT NOT NULL CHECK (notes <> '')\n"
	");\n"
	"INSERT INTO search_notes(case_id, notes)\n"
	"  SELECT rowid, notes FROM search_text WHERE notes <> '';\n"
	"DROP TABLE search_text;\n";

/* The deadline indexes in (due_at, id) order on PostgreSQL too.  SQLite's
 * end in the rowid implicitly, so cases_open_due, cases_assignee and
 * cases_type_open_due already serve `ORDER BY due_at, id` of one is_open
 * value, and the open-and-closed list merges two such ranges without a sort
 * (sqlite_cases.c, 37d1602); PostgreSQL's lack the id and sorted instead
 * (pg_schema.c has the real text). */
static const char migration_25[] =
	"-- PostgreSQL only (pg_schema.c): SQLite's indexes end in the rowid already\n";

/* The outbox's status rule without per-row overhead (SQLite only).  A
 * trigger runs as a sub-program per row, and `x NOT IN` a list of more
 * than two constants builds an ephemeral b-tree of the list every time the
 * statement runs: ~10 µs per insert, two inserts per action (the unit's
 * webhook and the person's SMS), ~6 % of the writer's time in an action
 * (bench/types_bench.sh).  The store's one INSERT INTO outbox
 * (sqlite_outbox.c) writes the literal 'pending', so the insert trigger
 * could never fire; the update trigger stays, its test written as
 * comparisons.  PostgreSQL keeps both (its WHEN is evaluated without a
 * function call and without a list table): pg_schema.c. */
static const char migration_26[] =
	"DROP TRIGGER outbox_status_insert;\n"
	"DROP TRIGGER outbox_status_update;\n"
	"CREATE TRIGGER outbox_status_update BEFORE UPDATE OF status ON outbox\n"
	"  WHEN NEW.status <> 'pending' AND NEW.status <> 'sent' AND NEW.status <> 'dead' BEGIN\n"
	"  SELECT RAISE(ABORT, 'outbox status must be pending, sent or dead');\n"
	"END;\n";

/* cases_assignee holds only assigned cases.  Its one reader is the list's
 * assignee filter (`assignee_id = ?`, which implies NOT NULL, so the
 * partial index serves it); an unassigned case's steps (acceptance, most of
 * a petition's first stage) moved an entry nobody reads: one of the six
 * index entries each step moves, ~1/12 of the pages an action writes at
 * 1M cases (bench/action_rows.c).  PostgreSQL: the same, ending in id
 * (pg_schema.c). */
static const char migration_27[] =
	"DROP INDEX cases_assignee;\n"
	"CREATE INDEX cases_assignee ON cases(assignee_id, is_open, due_at)\n"
	"  WHERE assignee_id IS NOT NULL;\n";

/* Two fewer index entries moved by every step of a case.  A step changes
 * state and due_at, and each index holding either moves an entry: six did,
 * each ~1–1.7 of the ~13 WAL pages an action writes at a million cases and
 * ~25–30 µs of its UPDATE (docs/performance.md).  cases_open_due now carries
 * type and state after its key, and cases_type_open_due (type, is_open,
 * due_at) and cases_type_state (type, state) go: the lists over all units
 * filtered by type, or by type and state, and the restricted types' slice
 * walk cases_open_due in (due_at, id) order and check type and state in the
 * index entry, never in the row (SQLite tests index-only terms before it
 * reads the row).  A filter on a type or state with few open cases walks
 * more entries for a page than before; the unit inboxes (cases_inbox) and
 * the timer (cases_due_pending) are unchanged.  PostgreSQL keeps its
 * indexes (pg_schema.c). */
static const char migration_28[] =
	"DROP INDEX cases_type_state;\n"
	"DROP INDEX cases_type_open_due;\n"
	"DROP INDEX cases_open_due;\n"
	"CREATE INDEX cases_open_due ON cases(is_open, due_at, id, type, state);\n";

const char *const sq_migrations[] = {
	NULL,         /* version 0: empty database */
	migration_1,
	migration_2,  /* documents (文书) */
	migration_3,  /* notifications: outbox columns, contact e-mail, case_alerts */
	migration_4,  /* supervision orders (督办), case links */
	migration_5,  /* the timer's partial index */
	migration_6,  /* party hash indexes that also order by case */
	migration_7,  /* surveys */
	migration_8,  /* orgs.abbr, the 机关代字 of document numbers */
	migration_9,  /* case location: lat, lng, address */
	migration_10, /* full-text search: search_text, search_grams */
	migration_11, /* Open311 request and update lists */
	migration_12, /* case records (parties, sessions, agreements, tasks, assets ...) */
	migration_13, /* indicators: case facts, aggregates, workload; campaigns */
	migration_14, /* search rows written per batch by the writer, not by triggers */
	migration_15, /* case participants, for the participants' inboxes; records by kind */
	migration_16, /* search_grams with a one-character prefix index */
	migration_17, /* indicator_days by category and enterprise */
	migration_18, /* cases_due_pending covers the workload's due-soon counts */
	migration_19, /* participants' stage limits */
	migration_20, /* restricted types' open cases by deadline */
	migration_21, /* case_facts_day: the facts of each day by shape */
	migration_22, /* the inbox index covers the keys of a merged page */
	migration_23, /* documents_case dropped: documents_version leads with case_id */
	migration_24, /* one full-text index: search_text goes, search_notes keeps the notes */
	migration_25, /* PostgreSQL: the deadline indexes end in id */
	migration_26, /* SQLite: the outbox's status rule without a list table per row */
	migration_27, /* cases_assignee: assigned cases only */
	migration_28, /* cases_open_due carries type and state; two state / due indexes go */
};

const int sq_schema_latest = (int)ARRAY_SIZE(sq_migrations) - 1;
