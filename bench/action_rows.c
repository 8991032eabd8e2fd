/*
 * action_rows.c — the storage floor of one action (issue 3): how fast can
 * plain SQLite run the statements the server's writer runs to accept a
 * petition, in the server's own schema, with the server's durability?
 *
 *   cc -O2 -o action_rows bench/action_rows.c -lsqlite3
 *   ./action_rows DB [SECONDS] [BATCH] [ACTIONS]
 *
 * DB is a database `pingan init --demo` + `pingan seed` made (bench/
 * types_bench.sh runs it on its data after the actions phase), so every
 * index, trigger and CHECK of the landed migrations is there.  Before the
 * measured time it registers ACTIONS (default 20,000, rounded up to a
 * multiple of 64) petitions of its own at the end of `cases`, registered
 * today, each with its case_facts row and counted in case_facts_day and
 * indicator_month — what bench/types_bench.c's actions phase starts from
 * (it creates its petitions through cases_create()).  Then it accepts them
 * (registered → handling), BATCH (default 16: what the server's writer
 * reaches at 64 threads, types_bench's commits) per BEGIN IMMEDIATE ...
 * COMMIT, in the order 64 threads would hand them over: the petitions split
 * into 64 ranges, one from each range in turn, so a batch holds petitions
 * from BATCH different ranges.  It stops after SECONDS (default 5) or when
 * the petitions run out.
 *
 * The statements are the writer's, captured from a real run
 * (cases_transition "accept" with a webhook and an SMS channel on, a
 * petitioner with a phone), their SQL copied from src/store/sqlite_stmts.h,
 * sqlite_indicators.c, sqlite_outbox.c and sqlite_docs.c — they must
 * follow those files when the schema or the writer changes:
 *
 *   per action   (SELECT the case row: only with ACTION_ROWS_SKIP set without
 *                  case_get — since bb617e1 the writer reads the case again
 *                  only when the request's prepared copy is stale)
 *                UPDATE cases (CASE_UPDATE: its six indexes on state, is_open, due_at)
 *                SELECT the case_facts row, upsert it (the indicator observer)
 *                INSERT events ×2: the transition, the notice (text and data
 *                  of the real sizes)
 *                INSERT outbox ×2: the SMS (a 56-byte sealed recipient) and
 *                  the unit's webhook (its JSON body, ~1,150
 *                  characters)
 *                INSERT documents: the acceptance notice queued (its vars)
 *                INSERT audit: chained, the server's checked INSERT ... SELECT
 *   per batch    SELECT the audit head; case_facts_day's net changes (the
 *                handling shape +k, the registered one −k: DELETE, then
 *                UPDATE); indicator_month; indicator_metric ×2; meta
 *                audit_head; COMMIT
 *
 * No HTTP, no JSON building, no workflow, no hashing or encryption (hashes
 * and sealed bytes are fixed), so this is what the writer could reach if the
 * server's own code cost nothing.  Like submission_rows.c: one thread, WAL,
 * synchronous=FULL, the writer connection's pragmas (its 8 MiB cache),
 * SQLite's automatic checkpoint every 1,000 WAL frames (inside COMMIT; the
 * server runs its checkpoints on a thread of their own).
 *
 * Output, one line:
 *
 *   rows actions=N seconds=S per_s=R commits=C batch=B commit_p50_us=A
 *        commit_p99_us=P cpu_us=U stmt_cpu_us=V commit_us=W commit_cpu_us=X
 *        ckpt_us=K wal_frames=F wchar=Y
 *
 * per action: cpu_us this process's user + system CPU, stmt_cpu_us the part
 * outside COMMIT (the statements: compare the server's writer thread, whose
 * fsync and checkpoints run on other threads); commit_us and
 * commit_cpu_us the wall and CPU time inside COMMIT (fsync and checkpoints
 * included); ckpt_us the wall time of the checkpoints; wal_frames the WAL
 * frames (4 KiB pages) its commits appended; wchar the bytes written
 * (/proc/self/io: WAL and checkpoints).
 *
 * To see what each part costs (docs/performance.md, "The storage floor of an
 * action"), the environment can leave parts out or change the setting:
 *
 *   ACTION_ROWS_SKIP   comma list of: case_get, case_update, facts,
 *                      transition, notice, sms, webhook, document, audit
 *                      (the audit row, head and meta), aggregates (the per-batch
 *                      rows); unset: case_get (set to "" for the stale-copy path)
 *   ACTION_ROWS_DROP   comma list of index names dropped before the run (the
 *                      file keeps the change: use a copy)
 *   ACTION_ROWS_SYNC   FULL (default), NORMAL or OFF
 *   ACTION_ROWS_CKPT   WAL frames between automatic checkpoints (default
 *                      1000; 0: none)
 *   ACTION_ROWS_PROFILE 1: a second line, "profile glue=… commit=…", the
 *                      thread CPU (µs per action) of each part, measured around
 *                      it (the laps themselves cost a few µs per action)
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define RANGES 64 /* types_bench's threads */
#define TZ_OFFSET (8 * 3600)

static const char *const sql_text[] = {
#define S_BEGIN 0
	"BEGIN IMMEDIATE",
#define S_COMMIT 1
	"COMMIT",
	/* sqlite_stmts.h CASE_GET */
#define S_CASE_GET 2
	"SELECT id, number, type, category, title, body, channel, state, is_open, intake_org_id, "
	"owner_org_id, IFNULL(assignee_id, 0), accused_org_id, created_at, updated_at, "
	"state_entered_at, due_at, overdue, query_hash, data, version, lat, lng, address "
	"FROM cases WHERE id = ?1",
	/* sqlite_stmts.h CASE_UPDATE */
#define S_CASE_UPDATE 3
	"UPDATE cases SET state = ?1, is_open = ?2, owner_org_id = ?3, "
	"assignee_id = NULLIF(?4, 0), accused_org_id = ?5, due_at = ?6, overdue = ?7, "
	"state_entered_at = ?8, updated_at = ?9, data = IFNULL(?10, data), "
	"version = version + 1 WHERE id = ?11 AND version = ?12",
	/* sqlite_indicators.c sq_tx_facts_get, write_facts */
#define S_FACTS_GET 4
	"SELECT case_id, type, category, org_id, street_id, assignee_id, enterprise, day, month, "
	"state, due_at, is_open, overdue, flags, wdays, r1, r2, r3, r4, r5, closed_day "
	"FROM case_facts WHERE case_id = ?1",
#define S_FACTS_PUT 5
	"INSERT INTO case_facts(case_id, type, category, org_id, street_id, assignee_id, "
	"enterprise, day, month, state, due_at, is_open, overdue, flags, wdays, r1, r2, r3, r4, "
	"r5, closed_day) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) "
	"ON CONFLICT (day, case_id) DO UPDATE SET type = excluded.type, "
	"category = excluded.category, org_id = excluded.org_id, "
	"street_id = excluded.street_id, assignee_id = excluded.assignee_id, "
	"enterprise = excluded.enterprise, month = excluded.month, state = excluded.state, "
	"due_at = excluded.due_at, is_open = excluded.is_open, overdue = excluded.overdue, "
	"flags = excluded.flags, wdays = excluded.wdays, r1 = excluded.r1, r2 = excluded.r2, "
	"r3 = excluded.r3, r4 = excluded.r4, r5 = excluded.r5, closed_day = excluded.closed_day",
	/* sqlite_stmts.h EVENT_INSERT */
#define S_EVENT 6
	"INSERT INTO events(case_id, at, kind, action, from_state, to_state, actor_user_id, "
	"actor_name, actor_org_id, public, text, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	"NULLIF(?7, 0), ?8, NULLIF(?9, 0), ?10, ?11, IFNULL(?12, '{}'))",
	/* sqlite_outbox.c sq_tx_outbox_insert */
#define S_OUTBOX 7
	"INSERT INTO outbox(uid, created_at, kind, case_id, channel, recipient, "
	"recipient_sealed, lang, subject, body, dedupe_key, attempts, next_attempt_at, "
	"status, updated_at) VALUES (?1, ?2, ?3, NULLIF(?4, 0), ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11, 0, ?12, 'pending', ?2) ON CONFLICT DO NOTHING",
	/* sqlite_docs.c sq_tx_document_insert */
#define S_DOCUMENT 8
	"INSERT INTO documents(case_id, event_id, kind, locale, unit_org_id, version, "
	"supersedes, public, status, vars, created_at, requested_by) "
	"VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6, NULLIF(?7, 0), ?8, 'pending', ?9, ?10, ?11)",
	/* sqlite_stmts.h AUDIT_HEAD, AUDIT_INSERT */
#define S_AUDIT_HEAD 9
	"SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
#define S_AUDIT 10
	"INSERT INTO audit(seq, at, actor, action, object, detail, prev_hash, hash) "
	"SELECT ?1, ?2, ?3, ?4, ?5, IFNULL(?6, '{}'), ?7, ?8 "
	"WHERE ?1 = (SELECT IFNULL(max(seq), 0) + 1 FROM audit)",
	/* sqlite_indicators.c shape_write */
#define S_DAY_ADD 11
	"INSERT INTO case_facts_day(day, type, category, org_id, street_id, enterprise, "
	"state, is_open, overdue, flags, wdays, r1, r2, r3, r4, r5, month, n) VALUES (?1, "
	"?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
	"ON CONFLICT (day, type, category, org_id, street_id, enterprise, state, is_open, "
	"overdue, flags, wdays, r1, r2, r3, r4, r5) DO UPDATE SET n = case_facts_day.n + ?18",
#define S_DAY_DEL 12
	"DELETE FROM case_facts_day WHERE day = ?1 AND type = ?2 AND category = ?3 AND "
	"org_id = ?4 AND street_id = ?5 AND enterprise = ?6 AND state = ?7 AND is_open = ?8 AND "
	"overdue = ?9 AND flags = ?10 AND wdays = ?11 AND r1 = ?12 AND r2 = ?13 AND r3 = ?14 AND "
	"r4 = ?15 AND r5 = ?16 AND n = ?17",
#define S_DAY_DEC 13
	"UPDATE case_facts_day SET n = n - ?17 WHERE day = ?1 AND type = ?2 AND category = ?3 "
	"AND org_id = ?4 AND street_id = ?5 AND enterprise = ?6 AND state = ?7 AND is_open = ?8 "
	"AND overdue = ?9 AND flags = ?10 AND wdays = ?11 AND r1 = ?12 AND r2 = ?13 AND "
	"r3 = ?14 AND r4 = ?15 AND r5 = ?16 AND n > ?17",
	/* sqlite_indicators.c month_write, metric_write */
#define S_MONTH 14
	"INSERT INTO indicator_month(month, type, category, org_id, street_id, enterprise, "
	"cases, open, closed, overdue, acc_due, acc_on_time, hnd_due, hnd_on_time, handled, "
	"wdays_sum, repeat, r1, r2, r3, r4, r5) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	"?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) "
	"ON CONFLICT (month, type, category, org_id, street_id, enterprise) DO UPDATE SET "
	"cases = cases + ?7, open = open + ?8, closed = closed + ?9, overdue = overdue + ?10, "
	"acc_due = acc_due + ?11, acc_on_time = acc_on_time + ?12, hnd_due = hnd_due + ?13, "
	"hnd_on_time = hnd_on_time + ?14, handled = handled + ?15, wdays_sum = wdays_sum + ?16, "
	"repeat = repeat + ?17, r1 = r1 + ?18, r2 = r2 + ?19, r3 = r3 + ?20, r4 = r4 + ?21, "
	"r5 = r5 + ?22",
#define S_METRIC 15
	"INSERT INTO indicator_metric(month, type, category, org_id, street_id, enterprise, "
	"metric, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
	"ON CONFLICT (month, type, metric, category, org_id, street_id, enterprise) "
	"DO UPDATE SET n = n + ?8",
	/* sqlite_stmts.h META_SET */
#define S_META 16
	"INSERT INTO meta(key, value) VALUES (?1, ?2) "
	"ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	/* set-up only: sqlite_stmts.h CASE_INSERT */
#define S_CASE_INSERT 17
	"INSERT INTO cases(number, type, category, title, body, channel, state, is_open, "
	"intake_org_id, owner_org_id, assignee_id, accused_org_id, created_at, updated_at, "
	"state_entered_at, due_at, overdue, query_hash, data, version, lat, lng, address) "
	"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULLIF(?11, 0), ?12, ?13, ?14, ?15, "
	"?16, ?17, ?18, IFNULL(?19, '{}'), 1, ?20, ?21, ?22)",
};
#define NSTMT (sizeof(sql_text) / sizeof(sql_text[0]))

/* the shapes of the petition's facts (core/indicators.c flags as stored) */
#define FLAGS_REGISTERED 515
#define FLAGS_HANDLING 70195

static sqlite3 *db;
static sqlite3_stmt *st[NSTMT];
static int64_t wal_frames, wal_last, ckpt_us_total;
static int ckpt_every = 1000;

static void die(const char *what)
{
	fprintf(stderr, "action_rows: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void run(sqlite3_stmt *s, const char *what)
{
	if (sqlite3_step(s) != SQLITE_DONE)
		die(what);
	sqlite3_reset(s);
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

/* bytes this process has written (write(2) and friends) */
static int64_t wchar(void)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	long long v = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %lld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Counts the frames each commit appends (the WAL restarts from 0 after a
 * checkpoint) and checkpoints as SQLite's own automatic checkpoint does
 * (sqlite3_wal_autocheckpoint installs a hook just like this one). */
static int wal_hook(void *arg, sqlite3 *d, const char *name, int frames)
{
	(void)arg;
	wal_frames += frames >= wal_last ? frames - wal_last : frames;
	wal_last = frames;
	if (ckpt_every > 0 && frames >= ckpt_every) {
		int64_t t0 = mono_us();
		sqlite3_wal_checkpoint_v2(d, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		ckpt_us_total += mono_us() - t0;
	}
	return SQLITE_OK;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !strncmp(p, name, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static void hex(char *out, unsigned *rnd, int len)
{
	for (int k = 0; k < len; k++) {
		*rnd = *rnd * 1103515245u + 12345u;
		out[k] = "0123456789abcdef"[(*rnd >> 16) & 15];
	}
	out[len] = 0;
}

/* an outbox uid as crypto.c ordered_uid() makes it: the time in ms (12 hex
 * digits), then 20 random ones — so the uid index grows at its end */
static void ordered_uid(char out[33], unsigned *rnd)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (int i = 11; i >= 0; i--, ms >>= 4)
		out[i] = "0123456789abcdef"[ms & 15];
	hex(out + 12, rnd, 20);
}

/* local (UTC+8) day number, its month as YYYYMM, its date text */
static int64_t local_day(int64_t t)
{
	return (t + TZ_OFFSET) / 86400;
}

static void local_text(int64_t t, const char *fmt, char *out, size_t cap)
{
	time_t tt = (time_t)(t + TZ_OFFSET);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, cap, fmt, &tm);
}

static int month_of(int64_t t)
{
	time_t tt = (time_t)(t + TZ_OFFSET);
	struct tm tm;
	gmtime_r(&tt, &tm);
	return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

/* binds a petition's facts shape (?1..?16) as shape_run() does */
static void bind_shape(sqlite3_stmt *s, int64_t day, const char *state, int64_t flags)
{
	sqlite3_bind_int64(s, 1, day);
	sqlite3_bind_text(s, 2, "petition", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, "grievance", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, 3);
	sqlite3_bind_int(s, 5, 0);
	sqlite3_bind_int(s, 6, 0);
	sqlite3_bind_text(s, 7, state, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 8, 1);
	sqlite3_bind_int(s, 9, 0);
	sqlite3_bind_int64(s, 10, flags);
	sqlite3_bind_int(s, 11, -1);
	for (int i = 12; i <= 16; i++)
		sqlite3_bind_int(s, i, 0);
}

static void put_facts(int64_t case_id, int64_t day, int month, const char *state,
                      int64_t due_at, int64_t flags)
{
	sqlite3_stmt *s = st[S_FACTS_PUT];
	sqlite3_bind_int64(s, 1, case_id);
	sqlite3_bind_text(s, 2, "petition", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, "grievance", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, 3);
	sqlite3_bind_int(s, 5, 0);
	sqlite3_bind_int(s, 6, 0);
	sqlite3_bind_int(s, 7, 0);
	sqlite3_bind_int64(s, 8, day);
	sqlite3_bind_int(s, 9, month);
	sqlite3_bind_text(s, 10, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, due_at);
	sqlite3_bind_int(s, 12, 1);
	sqlite3_bind_int(s, 13, 0);
	sqlite3_bind_int64(s, 14, flags);
	sqlite3_bind_int(s, 15, -1);
	for (int i = 16; i <= 20; i++)
		sqlite3_bind_int(s, i, 0);
	sqlite3_bind_int(s, 21, -1);
	run(s, "upsert case_facts");
}

static void month_add(int month, const int64_t delta[16])
{
	sqlite3_stmt *s = st[S_MONTH];
	sqlite3_bind_int(s, 1, month);
	sqlite3_bind_text(s, 2, "petition", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, "grievance", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 4, 3);
	sqlite3_bind_int(s, 5, 0);
	sqlite3_bind_int(s, 6, 0);
	for (int i = 0; i < 16; i++)
		sqlite3_bind_int64(s, 7 + i, delta[i]);
	run(s, "indicator_month");
}

static void day_add(int64_t day, int month, const char *state, int64_t flags, int64_t n)
{
	sqlite3_stmt *s = st[S_DAY_ADD];
	bind_shape(s, day, state, flags);
	sqlite3_bind_int(s, 17, month);
	sqlite3_bind_int64(s, 18, n);
	run(s, "case_facts_day +");
}

static int64_t one_int(const char *sql)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK || sqlite3_step(q) != SQLITE_ROW)
		die(sql);
	int64_t v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* ---- the petitions to accept --------------------------------------------------------- */

static const char body_text[] = "三号楼电梯停运两个月，物业不予维修。";

/* Registers n petitions as cases_create() leaves them for the writer's
 * accept: the case row and its facts, counted in the day's and the month's
 * aggregates (the party, events, search and audit rows a submission also
 * writes are not read by the action's statements). */
static int64_t reg_base; /* petition i is number XF-2026-F<reg_base + i + 1>, title …（压测i） */

static int64_t *register_petitions(int n, int64_t now)
{
	int64_t *ids = malloc((size_t)n * sizeof(*ids));
	if (!ids)
		exit(1);
	int64_t base = reg_base = one_int("SELECT coalesce(max(id), 0) FROM cases");
	int64_t day = local_day(now), due = (day + 16) * 86400 - TZ_OFFSET - 1;
	int month = month_of(now);
	unsigned rnd = 77;
	run(st[S_BEGIN], "BEGIN");
	for (int i = 0; i < n; i++) {
		char number[40], title[96], qhash[65];
		snprintf(number, sizeof(number), "XF-2026-F%07" PRId64, base + i + 1);
		snprintf(title, sizeof(title), "小区电梯长期故障无人维修（压测%d）", i);
		hex(qhash, &rnd, 64);
		sqlite3_stmt *s = st[S_CASE_INSERT];
		sqlite3_bind_text(s, 1, number, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 2, "petition", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, "grievance", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 4, title, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(s, 5, body_text, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, "web", -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, "registered", -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 8, 1);
		sqlite3_bind_int(s, 9, 3);
		sqlite3_bind_int(s, 10, 3);
		sqlite3_bind_int(s, 11, 0);
		sqlite3_bind_int(s, 12, 0);
		sqlite3_bind_int64(s, 13, now);
		sqlite3_bind_int64(s, 14, now);
		sqlite3_bind_int64(s, 15, now);
		sqlite3_bind_int64(s, 16, due);
		sqlite3_bind_int(s, 17, 0);
		sqlite3_bind_text(s, 18, qhash, 64, SQLITE_TRANSIENT);
		sqlite3_bind_null(s, 19);
		sqlite3_bind_null(s, 20);
		sqlite3_bind_null(s, 21);
		sqlite3_bind_null(s, 22);
		run(s, "INSERT cases");
		ids[i] = sqlite3_last_insert_rowid(db);
		put_facts(ids[i], day, month, "registered", due, FLAGS_REGISTERED);
	}
	day_add(day, month, "registered", FLAGS_REGISTERED, n);
	int64_t delta[16] = { n, n };  /* cases, open */
	month_add(month, delta);
	run(st[S_COMMIT], "COMMIT");
	if (sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
		die("checkpoint");
	wal_last = 0;
	return ids;
}

/* ---- the action ---------------------------------------------------------------------- */

/* ACTION_ROWS_PROFILE=1: the thread CPU of each part, per action (a lap
 * each side of a part: the bench's own C between parts is "glue") */
enum { P_GLUE, P_CASE_GET, P_CASE_UPDATE, P_FACTS, P_TRANSITION, P_NOTICE, P_SMS, P_WEBHOOK,
       P_DOCUMENT, P_AUDIT, P_AGGREGATES, P_BEGIN, P_COMMIT, NPART };
static const char *const part_name[NPART] = { "glue", "case_get", "case_update", "facts",
	                                          "transition", "notice", "sms", "webhook",
	                                          "document", "audit", "aggregates", "begin",
	                                          "commit" };
static bool profiling;
static int64_t part_ns[NPART], lap_mark;

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* the CPU since the last lap goes to part p */
static void lap(int p)
{
	if (!profiling)
		return;
	int64_t t = thread_cpu_ns();
	part_ns[p] += t - lap_mark;
	lap_mark = t;
}

struct skip {
	bool case_get, case_update, facts, transition, notice, sms, webhook, document, audit,
		aggregates;
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: action_rows DB [SECONDS] [BATCH] [ACTIONS]\n");
		return 2;
	}
	double seconds = argc > 2 ? atof(argv[2]) : 5;
	int batch = argc > 3 ? atoi(argv[3]) : 16;
	int nact = argc > 4 ? atoi(argv[4]) : 20000;
	if (seconds <= 0 || batch < 1 || nact < 1)
		return 2;
	nact = (nact + RANGES - 1) / RANGES * RANGES;
	const char *skips = getenv("ACTION_ROWS_SKIP"), *drops = getenv("ACTION_ROWS_DROP");
	if (!skips)
		skips = "case_get";
	const char *sync = getenv("ACTION_ROWS_SYNC");
	profiling = getenv("ACTION_ROWS_PROFILE") && atoi(getenv("ACTION_ROWS_PROFILE"));
	if (getenv("ACTION_ROWS_CKPT"))
		ckpt_every = atoi(getenv("ACTION_ROWS_CKPT"));
	struct skip sk = { listed(skips, "case_get"), listed(skips, "case_update"),
		               listed(skips, "facts"), listed(skips, "transition"),
		               listed(skips, "notice"), listed(skips, "sms"), listed(skips, "webhook"),
		               listed(skips, "document"), listed(skips, "audit"),
		               listed(skips, "aggregates") };
	if (!sync || (strcmp(sync, "NORMAL") && strcmp(sync, "OFF")))
		sync = "FULL";

	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		die(argv[1]);
	/* the server's writer connection (store_sqlite.c conn_pragmas), with
	 * FULL: the COMMIT syncs the WAL, as the server's COMMIT + syncer do */
	char pragmas[256];
	snprintf(pragmas, sizeof(pragmas),
	         "PRAGMA journal_mode = WAL; PRAGMA synchronous = %s; PRAGMA foreign_keys = ON; "
	         "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192; "
	         "PRAGMA journal_size_limit = 67108864;",
	         sync);
	if (sqlite3_exec(db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
		die("pragmas");
	sqlite3_wal_hook(db, wal_hook, NULL);
	for (const char *p = drops; p && *p;) {
		const char *e = strchr(p, ',');
		char sql[160];
		snprintf(sql, sizeof(sql), "DROP INDEX IF EXISTS \"%.*s\"",
		         (int)(e ? (size_t)(e - p) : strlen(p)), p);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			die(sql);
		p = e ? e + 1 : NULL;
	}
	for (size_t i = 0; i < NSTMT; i++)
		if (sqlite3_prepare_v3(db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
		    SQLITE_OK)
			die(sql_text[i]);

	int64_t now = (int64_t)time(NULL);
	int64_t *ids = register_petitions(nact, now);
	/* the order 64 threads hand them over in: one from each range in turn */
	int64_t *order = malloc((size_t)nact * sizeof(*order));
	if (!order)
		return 1;
	int per = nact / RANGES;
	for (int k = 0; k < nact; k++)
		order[k] = (k % RANGES) * per + k / RANGES;

	/* the sealed SMS recipient: version, key id, nonce, text, tag (56 bytes) */
	unsigned char sealed[56];
	memset(sealed, 0xa5, sizeof(sealed));
	sealed[0] = 1;

	size_t cap = 1 << 14, ncommits = 0;
	int64_t *lat = malloc(cap * sizeof(*lat));
	if (!lat)
		return 1;
	int64_t n = 0, c0 = cpu_us(), w0 = wchar(), t0 = mono_us();
	lap_mark = thread_cpu_ns();
	int64_t end = t0 + (int64_t)(seconds * 1e6), tnow = t0;
	int64_t commit_wall = 0, commit_cpu = 0;
	wal_frames = 0;
	ckpt_us_total = 0;
	unsigned rnd = 4242;
	char prev[65] = { 0 }, hash[65], head[100];
	int64_t seq = 0;
	while (tnow < end && n < nact) {
		int64_t b0 = tnow;
		int64_t at = (int64_t)time(NULL);
		/* the new due: 60 days, end of the local day — the same for the batch */
		int64_t due = (local_day(at) + 61) * 86400 - TZ_OFFSET - 1;
		char due_text[40], at_text[40], date_text[16], due_date[16];
		local_text(due, "%Y-%m-%dT%H:%M:%S+08:00", due_text, sizeof(due_text));
		local_text(at, "%Y-%m-%dT%H:%M:%S+08:00", at_text, sizeof(at_text));
		local_text(at, "%Y-%m-%d", date_text, sizeof(date_text));
		local_text(due, "%Y-%m-%d", due_date, sizeof(due_date));
		lap(P_GLUE);
		run(st[S_BEGIN], "BEGIN");
		lap(P_BEGIN);
		if (!sk.audit) {
			sqlite3_stmt *s = st[S_AUDIT_HEAD];
			if (sqlite3_step(s) != SQLITE_ROW)
				die("audit head");
			seq = sqlite3_column_int64(s, 0);
			snprintf(prev, sizeof(prev), "%s", (const char *)sqlite3_column_text(s, 1));
			sqlite3_reset(s);
			lap(P_AUDIT);
		}
		int k = 0;
		int64_t fday = local_day(now);
		int fmonth = month_of(now);
		for (; k < batch && n < nact; k++, n++) {
			int64_t id = ids[order[n]];
			/* the case as the request's thread read it (or, with case_get, again) */
			char number[40], title[128], data[256] = "{}";
			snprintf(number, sizeof(number), "XF-2026-F%07" PRId64, reg_base + order[n] + 1);
			snprintf(title, sizeof(title), "小区电梯长期故障无人维修（压测%" PRId64 "）", order[n]);
			int64_t version = 1;
			sqlite3_stmt *s;
			lap(P_GLUE);
			if (!sk.case_get) {
				s = st[S_CASE_GET];
				sqlite3_bind_int64(s, 1, id);
				if (sqlite3_step(s) != SQLITE_ROW)
					die("SELECT case");
				snprintf(number, sizeof(number), "%s", (const char *)sqlite3_column_text(s, 1));
				snprintf(title, sizeof(title), "%s", (const char *)sqlite3_column_text(s, 4));
				snprintf(data, sizeof(data), "%s", (const char *)sqlite3_column_text(s, 19));
				version = sqlite3_column_int64(s, 20);
				sqlite3_reset(s);
				lap(P_CASE_GET);
			}
			lap(P_GLUE);
			if (!sk.case_update) {
				s = st[S_CASE_UPDATE];
				sqlite3_bind_text(s, 1, "handling", -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 2, 1);
				sqlite3_bind_int(s, 3, 3);
				sqlite3_bind_int(s, 4, 0);
				sqlite3_bind_int(s, 5, 0);
				sqlite3_bind_int64(s, 6, due);
				sqlite3_bind_int(s, 7, 0);
				sqlite3_bind_int64(s, 8, at);
				sqlite3_bind_int64(s, 9, at);
				sqlite3_bind_text(s, 10, data, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(s, 11, id);
				sqlite3_bind_int64(s, 12, version);
				run(s, "UPDATE cases");
				if (sqlite3_changes(db) != 1)
					die("UPDATE cases changed no row");
				lap(P_CASE_UPDATE);
			}
			lap(P_GLUE);
			if (!sk.facts) {
				s = st[S_FACTS_GET];
				sqlite3_bind_int64(s, 1, id);
				if (sqlite3_step(s) != SQLITE_ROW)
					die("SELECT case_facts");
				fday = sqlite3_column_int64(s, 7);
				fmonth = sqlite3_column_int(s, 8);
				sqlite3_reset(s);
				put_facts(id, fday, fmonth, "handling", due, FLAGS_HANDLING);
				lap(P_FACTS);
			}
			/* the transition and the notice on the timeline */
			char text[1024], edata[2048];
			int64_t ev1 = 0, ev2 = 0;
			lap(P_GLUE);
			if (!sk.transition) {
				s = st[S_EVENT];
				snprintf(edata, sizeof(edata), "{\"due_at\":\"%s\",\"fields\":{}}", due_text);
				sqlite3_bind_int64(s, 1, id);
				sqlite3_bind_int64(s, 2, at);
				sqlite3_bind_text(s, 3, "transition", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 4, "accept", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 5, "registered", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 6, "handling", -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 7, 2);
				sqlite3_bind_text(s, 8, "王登记", -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 9, 3);
				sqlite3_bind_int(s, 10, 1);
				sqlite3_bind_null(s, 11);
				sqlite3_bind_text(s, 12, edata, -1, SQLITE_TRANSIENT);
				run(s, "INSERT events (transition)");
				ev1 = sqlite3_last_insert_rowid(db);
				lap(P_TRANSITION);
			}
			snprintf(text, sizeof(text),
			         "您反映的信访事项（编号：%s，“%s”）已于%s由平安区信访局受理。\n"
			         "我们将依法办理，并于%s前向您出具书面处理意见（《信访工作条例》第三十二条、第三十四条）。\n"
			         "您可以凭受理编号和查询码随时查询办理进展。\n",
			         number, title, date_text, due_date);
			char text_en[1024];
			snprintf(text_en, sizeof(text_en),
			         "Your petition %s (\\\"%s\\\") was accepted by District Petition Office on %s.\\n"
			         "It will be handled according to law and you will receive a written opinion by "
			         "%s (Regulations on Petitions, arts. 32 and 34).\\nYou can follow its progress at "
			         "any time with the case number and your query code.\\n",
			         number, title, date_text, due_date);
			lap(P_GLUE);
			if (!sk.notice) {
				s = st[S_EVENT];
				snprintf(edata, sizeof(edata),
				         "{\"event_id\":%" PRId64 ",\"notice\":\"acceptance\",\"text_en\":\"%s\","
				         "\"title\":\"信访事项受理告知书\",\"title_en\":\"Notice of acceptance\"}",
				         ev1, text_en);
				sqlite3_bind_int64(s, 1, id);
				sqlite3_bind_int64(s, 2, at);
				sqlite3_bind_text(s, 3, "notice", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 4, "accept", -1, SQLITE_STATIC);
				sqlite3_bind_null(s, 5);
				sqlite3_bind_null(s, 6);
				sqlite3_bind_int(s, 7, 2);
				sqlite3_bind_text(s, 8, "王登记", -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 9, 3);
				sqlite3_bind_int(s, 10, 1);
				sqlite3_bind_text(s, 11, text, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 12, edata, -1, SQLITE_TRANSIENT);
				run(s, "INSERT events (notice)");
				ev2 = sqlite3_last_insert_rowid(db);
				lap(P_NOTICE);
			}
			/* the outbox: the petitioner's SMS, the unit's webhook */
			char uid[33], key[64], recipient[24], body[4096];
			lap(P_GLUE);
			if (!sk.sms) {
				ordered_uid(uid, &rnd);
				snprintf(key, sizeof(key), "notice:%" PRId64 ":sms:%" PRId64, ev2, id);
				snprintf(recipient, sizeof(recipient), "139****%04d", (int)(n % 10000));
				snprintf(body, sizeof(body),
				         "【平安区】您的信访事项%s有新进展：信访事项受理告知书。"
				         "请凭受理编号和查询码登录网站查看全文。",
				         number);
				s = st[S_OUTBOX];
				sqlite3_bind_text(s, 1, uid, 32, SQLITE_TRANSIENT);
				sqlite3_bind_int64(s, 2, at);
				sqlite3_bind_text(s, 3, "notice", -1, SQLITE_STATIC);
				sqlite3_bind_int64(s, 4, id);
				sqlite3_bind_text(s, 5, "sms", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 6, recipient, -1, SQLITE_TRANSIENT);
				sqlite3_bind_blob(s, 7, sealed, sizeof(sealed), SQLITE_STATIC);
				sqlite3_bind_text(s, 8, "zh-CN", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 9, "", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 10, body, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 11, key, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(s, 12, at);
				run(s, "INSERT outbox (sms)");
				lap(P_SMS);
			}
			lap(P_GLUE);
			if (!sk.webhook) {
				ordered_uid(uid, &rnd);
				snprintf(key, sizeof(key), "notice:%" PRId64 ":webhook", ev2);
				snprintf(body, sizeof(body),
				         "{\"at\":\"%s\",\"case\":{\"category\":\"grievance\",\"due_at\":\"%s\","
				         "\"id\":%" PRId64 ",\"number\":\"%s\",\"sealed\":false,"
				         "\"state\":\"handling\",\"state_entered_at\":\"%s\",\"title\":\"%s\","
				         "\"type\":\"petition\"},\"event\":\"case.notice\",\"id\":\"%s\","
				         "\"lang\":\"zh-CN\",\"notice\":{\"action\":\"accept\",\"event_id\":%" PRId64
				         ",\"name\":\"acceptance\",\"text\":\"%s\",\"text_en\":\"%s\","
				         "\"title\":\"信访事项受理告知书\",\"title_en\":\"Notice of acceptance\"},"
				         "\"text\":\"【平安区信访局】信访事项%s（%s）已出具《信访事项受理告知书》，"
				         "办理期限：%s。\",\"unit\":{\"code\":\"district-xfj\",\"id\":3,"
				         "\"name\":\"平安区信访局\",\"name_en\":\"District Petition Office\"}}",
				         at_text, due_text, id, number, at_text, title, uid, ev2, text, text_en,
				         number, title, due_date);
				s = st[S_OUTBOX];
				sqlite3_bind_text(s, 1, uid, 32, SQLITE_TRANSIENT);
				sqlite3_bind_int64(s, 2, at);
				sqlite3_bind_text(s, 3, "notice", -1, SQLITE_STATIC);
				sqlite3_bind_int64(s, 4, id);
				sqlite3_bind_text(s, 5, "webhook", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 6, "unit:district-xfj", -1, SQLITE_STATIC);
				sqlite3_bind_null(s, 7);
				sqlite3_bind_text(s, 8, "zh-CN", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 9, "case.notice", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 10, body, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 11, key, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(s, 12, at);
				run(s, "INSERT outbox (webhook)");
				lap(P_WEBHOOK);
			}
			lap(P_GLUE);
			if (!sk.document) {
				char vars[1024];
				snprintf(vars, sizeof(vars),
				         "{\"action\":\"accept\",\"en\":{\"date\":\"%s\",\"due\":\"%s\","
				         "\"number\":\"%s\",\"title\":\"%s\",\"unit\":\"District Petition "
				         "Office\"},\"zh-CN\":{\"date\":\"%s\",\"due\":\"%s\",\"number\":\"%s\","
				         "\"title\":\"%s\",\"unit\":\"平安区信访局\"}}",
				         date_text, due_date, number, title, date_text, due_date, number, title);
				s = st[S_DOCUMENT];
				sqlite3_bind_int64(s, 1, id);
				sqlite3_bind_int64(s, 2, ev1);
				sqlite3_bind_text(s, 3, "acceptance", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 4, "zh-CN", -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 5, 3);
				sqlite3_bind_int(s, 6, 1);
				sqlite3_bind_int(s, 7, 0);
				sqlite3_bind_int(s, 8, 1);
				sqlite3_bind_text(s, 9, vars, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(s, 10, at);
				sqlite3_bind_text(s, 11, "user:2 intake", -1, SQLITE_STATIC);
				run(s, "INSERT documents");
				lap(P_DOCUMENT);
			}
			lap(P_GLUE);
			if (!sk.audit) {
				char object[40], detail[256];
				seq++;
				hex(hash, &rnd, 64);
				snprintf(object, sizeof(object), "case:%" PRId64, id);
				snprintf(detail, sizeof(detail),
				         "{\"action\":\"accept\",\"due_at\":\"%s\",\"fields\":{},"
				         "\"from\":\"registered\",\"to\":\"handling\"}",
				         due_text);
				s = st[S_AUDIT];
				sqlite3_bind_int64(s, 1, seq);
				sqlite3_bind_int64(s, 2, at);
				sqlite3_bind_text(s, 3, "user:2 intake", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 4, "case.transition", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 5, object, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 6, detail, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 7, prev, 64, SQLITE_TRANSIENT);
				sqlite3_bind_text(s, 8, hash, 64, SQLITE_TRANSIENT);
				run(s, "INSERT audit");
				if (sqlite3_changes(db) != 1)
					die("INSERT audit: not the next seq");
				memcpy(prev, hash, sizeof(prev));
				lap(P_AUDIT);
			}
		}
		/* the writer batch's rows: each once, with the sum of the batch's
		 * changes (every petition here is of the same day and shape) */
		lap(P_GLUE);
		if (!sk.aggregates) {
			day_add(fday, fmonth, "handling", FLAGS_HANDLING, k);
			sqlite3_stmt *s = st[S_DAY_DEL];
			bind_shape(s, fday, "registered", FLAGS_REGISTERED);
			sqlite3_bind_int(s, 17, k);
			run(s, "case_facts_day delete");
			if (sqlite3_changes(db) == 0) {
				s = st[S_DAY_DEC];
				bind_shape(s, fday, "registered", FLAGS_REGISTERED);
				sqlite3_bind_int(s, 17, k);
				run(s, "case_facts_day −");
				if (sqlite3_changes(db) != 1)
					die("case_facts_day: the registered shape is not there");
			}
			int64_t delta[16] = { 0, 0, 0, 0, k, k };  /* acc_due, acc_on_time */
			month_add(fmonth, delta);
			static const char *const metrics[] = { "count.accepted", "rate.acceptance_rate.num" };
			for (int m = 0; m < 2; m++) {
				s = st[S_METRIC];
				sqlite3_bind_int(s, 1, fmonth);
				sqlite3_bind_text(s, 2, "petition", -1, SQLITE_STATIC);
				sqlite3_bind_text(s, 3, "grievance", -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 4, 3);
				sqlite3_bind_int(s, 5, 0);
				sqlite3_bind_int(s, 6, 0);
				sqlite3_bind_text(s, 7, metrics[m], -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 8, k);
				run(s, "indicator_metric");
			}
			lap(P_AGGREGATES);
		}
		lap(P_GLUE);
		if (!sk.audit) {
			snprintf(head, sizeof(head), "%" PRId64 ":%s", seq, prev);
			sqlite3_stmt *s = st[S_META];
			sqlite3_bind_text(s, 1, "audit_head", -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, head, -1, SQLITE_TRANSIENT);
			run(s, "meta audit_head");
			lap(P_AUDIT);
		}
		int64_t cw = mono_us(), cc = thread_cpu_us();
		lap(P_GLUE);
		run(st[S_COMMIT], "COMMIT");
		lap(P_COMMIT);
		tnow = mono_us();
		commit_cpu += thread_cpu_us() - cc;
		commit_wall += tnow - cw;
		if (ncommits == cap) {
			cap *= 2;
			int64_t *l2 = realloc(lat, cap * sizeof(*lat));
			if (!l2)
				return 1;
			lat = l2;
		}
		lat[ncommits++] = tnow - b0;
	}
	double secs = (double)(tnow - t0) / 1e6, dn = (double)n;
	int64_t cpu = cpu_us() - c0, written = wchar() - w0;
	qsort(lat, ncommits, sizeof(*lat), cmp_i64);
	printf("rows actions=%" PRId64 " seconds=%.2f per_s=%.0f commits=%zu batch=%d "
	       "commit_p50_us=%" PRId64 " commit_p99_us=%" PRId64 " cpu_us=%.0f stmt_cpu_us=%.0f "
	       "commit_us=%.0f commit_cpu_us=%.0f ckpt_us=%.0f wal_frames=%.1f wchar=%.0f\n",
	       n, secs, dn / secs, ncommits, batch, lat[ncommits / 2],
	       lat[(size_t)(0.99 * (double)(ncommits - 1) + 0.5)], (double)cpu / dn,
	       (double)(cpu - commit_cpu) / dn, (double)commit_wall / dn, (double)commit_cpu / dn, (double)ckpt_us_total / dn,
	       (double)wal_frames / dn, (double)written / dn);
	if (profiling) {
		printf("profile");
		for (int p = 0; p < NPART; p++)
			printf(" %s=%.1f", part_name[p], (double)part_ns[p] / 1e3 / dn);
		printf("\n");
	}
	free(lat);
	free(order);
	free(ids);
	for (size_t i = 0; i < NSTMT; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	return 0;
}
