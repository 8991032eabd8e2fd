/*
 * sqlite_baseline.c — the storage limit: how fast can plain SQLite insert
 * case-shaped rows on this disk with the server's durability setting?
 *
 *   cc -O2 -o sqlite_baseline bench/sqlite_baseline.c -lsqlite3
 *   ./sqlite_baseline DIR [SECONDS] [BATCH]
 *
 * DIR must be an existing directory on the same file system as the
 * server's data directory (bench/run.sh passes its temp dir).  Each phase
 * creates a fresh database there: WAL mode, synchronous=FULL (every COMMIT
 * fsyncs the WAL before it returns, as in the server), the cases table and
 * its indexes as in src/store/sqlite_schema.c (without the foreign keys), and
 * one prepared INSERT of a row shaped like a public submission (Chinese
 * title and body, a JSON data column, a query-code hash).
 *
 *   phase "single": one row per autocommit transaction, for SECONDS;
 *   phase "batch":  BATCH rows (default 64) per BEGIN IMMEDIATE ... COMMIT,
 *                   for SECONDS — what group commit can reach at best.
 *
 * Output, one line per phase, for bench/run.sh to parse:
 *
 *   single rows=N seconds=S rows_per_s=R commits=C commit_p50_us=A commit_p99_us=B
 *   batch  rows=...
 *
 * commit_p50/p99 are the latencies of whole transactions (BEGIN to COMMIT
 * returned), i.e. the best case an acknowledged write can wait.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char schema[] =
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
	"  intake_org_id    INTEGER NOT NULL,\n"
	"  owner_org_id     INTEGER NOT NULL,\n"
	"  assignee_id      INTEGER,\n"
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
	"CREATE INDEX cases_inbox ON cases(owner_org_id, is_open, due_at);\n"
	"CREATE INDEX cases_open_due ON cases(is_open, due_at);\n"
	"CREATE INDEX cases_assignee ON cases(assignee_id, is_open, due_at);\n"
	"CREATE INDEX cases_type_state ON cases(type, state);\n";

static const char insert_sql[] =
	"INSERT INTO cases (number, type, category, title, body, channel, state, is_open, "
	"intake_org_id, owner_org_id, accused_org_id, created_at, updated_at, state_entered_at, "
	"due_at, query_hash, data) VALUES (?1, 'petition', 'grievance', ?2, ?3, 'web', 'registered', 1, "
	"3, 3, 0, ?4, ?4, ?4, ?5, ?6, '{\"sla\":{\"unit\":\"calendar_days\",\"amount\":15}}')";

static const char body_text[] =
	"三号楼电梯停运两个月，物业公司以维修基金未到位为由不予维修，老人上下楼十分困难，"
	"多次向社区反映未果，请求有关部门督促物业尽快修复电梯并公开维修基金使用情况。";

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "sqlite_baseline: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "sqlite_baseline: %s: %s\n", sql, msg ? msg : "?");
		exit(1);
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t pct(const int64_t *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

static void run_phase(const char *dir, const char *name, double seconds, int batch)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/baseline-%s.db", dir, name);
	const char *suffix[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < 4; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}

	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK)
		die(db, path);
	exec(db, "PRAGMA journal_mode=WAL");
	exec(db, "PRAGMA synchronous=FULL");
	exec(db, "PRAGMA cache_size=-16384");
	exec(db, schema);

	sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
	if (sqlite3_prepare_v2(db, insert_sql, -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
		die(db, "prepare");

	size_t cap = 1 << 16, ncommits = 0;
	int64_t *lat = malloc(cap * sizeof(*lat));
	if (!lat)
		die(NULL, "out of memory");
	int64_t rows = 0;
	int64_t t0 = mono_us(), end = t0 + (int64_t)(seconds * 1e6), now = t0;
	unsigned rnd = 12345;
	while (now < end) {
		int64_t c0 = now;
		if (batch > 1 && sqlite3_step(begin) != SQLITE_DONE)
			die(db, "BEGIN");
		sqlite3_reset(begin);
		for (int i = 0; i < batch; i++) {
			char number[32], title[128], hash[65];
			rows++;
			snprintf(number, sizeof(number), "XF-2026-%06" PRId64, rows);
			snprintf(title, sizeof(title), "小区电梯长期故障 第%" PRId64 "号", rows);
			for (int k = 0; k < 64; k++) {
				rnd = rnd * 1103515245u + 12345u;
				hash[k] = "0123456789abcdef"[(rnd >> 16) & 15];
			}
			hash[64] = 0;
			int64_t created = 1790000000 + rows;
			sqlite3_bind_text(ins, 1, number, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ins, 2, title, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ins, 3, body_text, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 4, created);
			sqlite3_bind_int64(ins, 5, created + 15 * 86400);
			sqlite3_bind_text(ins, 6, hash, 64, SQLITE_TRANSIENT);
			if (sqlite3_step(ins) != SQLITE_DONE)
				die(db, "INSERT");
			sqlite3_reset(ins);
		}
		if (batch > 1 && sqlite3_step(commit) != SQLITE_DONE)
			die(db, "COMMIT");
		sqlite3_reset(commit);
		now = mono_us();
		if (ncommits == cap) {
			cap *= 2;
			int64_t *n2 = realloc(lat, cap * sizeof(*lat));
			if (!n2)
				die(NULL, "out of memory");
			lat = n2;
		}
		lat[ncommits++] = now - c0;
	}
	double secs = (double)(now - t0) / 1e6;
	qsort(lat, ncommits, sizeof(*lat), cmp_i64);
	printf("%s rows=%" PRId64 " seconds=%.2f rows_per_s=%.0f commits=%zu commit_p50_us=%" PRId64
	       " commit_p99_us=%" PRId64 "\n",
	       name, rows, secs, (double)rows / secs, ncommits, pct(lat, ncommits, 0.50),
	       pct(lat, ncommits, 0.99));
	fflush(stdout);
	free(lat);
	sqlite3_finalize(ins);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close(db);
	for (size_t i = 0; i < 4; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
		unlink(p);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s DIR [SECONDS] [BATCH]\n", argv[0]);
		return 2;
	}
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 5.0;
	int batch = argc > 3 ? atoi(argv[3]) : 64;
	if (seconds <= 0 || seconds > 600 || batch < 1 || batch > 100000) {
		fprintf(stderr, "sqlite_baseline: SECONDS must be in (0, 600], BATCH in 1..100000\n");
		return 2;
	}
	run_phase(argv[1], "single", seconds, 1);
	run_phase(argv[1], "batch", seconds, batch);
	return 0;
}
