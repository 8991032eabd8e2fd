/*
 * submission_rows.c — the storage limit of a whole submission: how fast can
 * plain SQLite write the rows one public submission leaves, in the server's
 * own schema, with the server's durability setting?
 *
 *   cc -O2 -o submission_rows bench/submission_rows.c -lsqlite3
 *   ./submission_rows DB [SECONDS] [BATCH]
 *
 * DB is a database `pingan init --demo` made (bench/run.sh copies a fresh
 * one), so the schema — every index, trigger and the search table — is the
 * one the server writes, whatever migrations have landed.  Per submission,
 * as the server's writer does it (see the row counts before and after one
 * POST /api/public/cases in docs/performance.md):
 *
 *   cases        one row (and its indexes)
 *   parties      one row: name and phone as sealed blobs, the phone's keyed hash
 *   events       one row: the public "created" event
 *   audit        one row, chained to the previous one's hash
 *   case_facts   one row
 *   search_grams one document: the title's and the body's grams
 *
 * and once per commit (the writer batches these since session 6): the
 * case-number counter, the audit head in meta and the month's indicator row.
 * No HTTP, no JSON parsing, no validation, no encryption or hashing — the
 * blobs and hashes are fixed bytes — so this is what the writer could reach
 * if the server's own code cost nothing.
 *
 * Like sqlite_baseline.c: WAL mode, synchronous=FULL, one thread; BATCH
 * submissions (default 64) per BEGIN IMMEDIATE ... COMMIT.  Output, one line:
 *
 *   rows submissions=N seconds=S per_s=R commits=C commit_p50_us=A commit_p99_us=B cpu_us=U
 *
 * cpu_us: this process's user + system CPU per submission.
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

/* a submission as bench/submit.lua sends it */
static const char title_text[] = "小区电梯长期故障无人维修";
static const char body_text[] =
	"三号楼电梯停运两个月，物业公司以维修基金未到位为由不予维修，老人上下楼十分困难，"
	"多次向社区反映未果，请求有关部门督促物业尽快修复电梯并公开维修基金使用情况。";

static const char *const sql_text[] = {
#define S_CASE 0
	"INSERT INTO cases (number, type, category, title, body, channel, state, is_open, "
	"intake_org_id, owner_org_id, accused_org_id, created_at, updated_at, state_entered_at, "
	"due_at, query_hash, data) VALUES (?1, 'petition', 'grievance', ?2, ?3, 'web', "
	"'registered', 1, 3, 3, 0, ?4, ?4, ?4, ?5, ?6, '{}')",
#define S_PARTY 1
	"INSERT INTO parties (case_id, uid, role, name, phone, phone_hash, created_at, lang) "
	"VALUES (?1, ?2, 'petitioner', ?3, ?4, ?5, ?6, 'zh-CN')",
#define S_EVENT 2
	"INSERT INTO events (case_id, at, kind, to_state, actor_name, public, data) "
	"VALUES (?1, ?2, 'created', 'registered', 'public', 1, '{\"channel\":\"web\"}')",
#define S_AUDIT 3
	"INSERT INTO audit (seq, at, actor, action, object, detail, prev_hash, hash) "
	"VALUES (?1, ?2, 'public 127.0.0.1', 'case.create', ?3, ?4, ?5, ?6)",
#define S_FACTS 4
	"INSERT INTO case_facts (day, case_id, month, type, category, org_id, state, due_at, "
	"is_open, overdue, flags) VALUES (?1, ?2, ?3, 'petition', 'grievance', 3, 'registered', "
	"?4, 1, 0, 3)",
#define S_GRAMS 5
	"INSERT INTO search_grams (rowid, title, body, notes) VALUES (?1, ?2, ?3, '')",
#define S_COUNTER 6
	"INSERT INTO counters (prefix, year, value) VALUES ('XF', 2026, ?1) "
	"ON CONFLICT (prefix, year) DO UPDATE SET value = value + excluded.value",
#define S_HEAD 7
	"INSERT INTO meta (key, value) VALUES ('audit_head', ?1) "
	"ON CONFLICT (key) DO UPDATE SET value = excluded.value",
#define S_MONTH 8
	"INSERT INTO indicator_month (month, type, category, org_id, street_id, enterprise, "
	"cases, open) VALUES (202611, 'petition', 'grievance', 3, 0, 0, ?1, ?1) "
	"ON CONFLICT (month, type, category, org_id, street_id, enterprise) DO UPDATE SET "
	"cases = cases + excluded.cases, open = open + excluded.open",
#define S_BEGIN 9
	"BEGIN IMMEDIATE",
#define S_COMMIT 10
	"COMMIT",
};
#define NSTMT (sizeof(sql_text) / sizeof(sql_text[0]))

static sqlite3 *db;
static sqlite3_stmt *st[NSTMT];

static void die(const char *what)
{
	fprintf(stderr, "submission_rows: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
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

static int64_t cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	       ru.ru_stime.tv_usec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Appends the grams of a text of CJK characters as grams.h rule 3 makes
 * them (one run: bigrams, then the last character alone); separators (，。)
 * end a run. */
static void grams(const char *s, char *out, size_t cap)
{
	size_t o = 0, n = strlen(s);
	const char *run[256];
	size_t nrun = 0;
	for (size_t i = 0; i <= n;) {
		bool sep = i == n || !strncmp(s + i, "，", 3) || !strncmp(s + i, "。", 3);
		if (sep) {
			for (size_t k = 0; k < nrun; k++) {
				size_t len = k + 1 < nrun ? 6 : 3;
				if (o + len + 1 >= cap)
					break;
				if (o)
					out[o++] = ' ';
				memcpy(out + o, run[k], len);
				o += len;
			}
			nrun = 0;
			i += i == n ? 1 : 3;
			continue;
		}
		if (nrun < 256)
			run[nrun++] = s + i;
		i += 3;  /* every character of the texts above is three bytes */
	}
	out[o] = 0;
}

static void hex(char *out, unsigned *rnd)
{
	for (int k = 0; k < 64; k++) {
		*rnd = *rnd * 1103515245u + 12345u;
		out[k] = "0123456789abcdef"[(*rnd >> 16) & 15];
	}
	out[64] = 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: submission_rows DB [SECONDS] [BATCH]\n");
		return 2;
	}
	double seconds = argc > 2 ? atof(argv[2]) : 5;
	int batch = argc > 3 ? atoi(argv[3]) : 64;
	if (seconds <= 0 || batch < 1)
		return 2;
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		die(argv[1]);
	/* the server's writer connection, minus the pipelined fsync: FULL syncs
	 * the WAL in COMMIT, as the server's COMMIT + syncer together do */
	if (sqlite3_exec(db,
	                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	                 "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; "
	                 "PRAGMA cache_size = -16384;",
	                 NULL, NULL, NULL) != SQLITE_OK)
		die("pragmas");
	for (size_t i = 0; i < NSTMT; i++)
		if (sqlite3_prepare_v3(db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &st[i], NULL) !=
		    SQLITE_OK)
			die(sql_text[i]);

	char title_grams[1024], body_grams[4096];
	grams(title_text, title_grams, sizeof(title_grams));
	grams(body_text, body_grams, sizeof(body_grams));
	/* sealed contact: 24-byte nonce + text + 16-byte tag, as crypto.c seals */
	unsigned char name_blob[24 + 6 + 16 + 2], phone_blob[24 + 11 + 16 + 2];
	memset(name_blob, 0x5a, sizeof(name_blob));
	memset(phone_blob, 0xa5, sizeof(phone_blob));

	sqlite3_stmt *q = NULL;
	int64_t case_id = 0, seq = 0;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM cases", -1, &q, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		die("max(id)");
	case_id = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(seq), 0) FROM audit", -1, &q, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW)
		die("max(seq)");
	seq = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);

	size_t cap = 1 << 16, ncommits = 0;
	int64_t *lat = malloc(cap * sizeof(*lat));
	if (!lat)
		return 1;
	int64_t n = 0, c0 = cpu_us(), t0 = mono_us(), end = t0 + (int64_t)(seconds * 1e6), now = t0;
	unsigned rnd = 4242;
	char prev[65], hash[65], qhash[65], phash[65];
	hex(prev, &rnd);
	while (now < end) {
		int64_t b0 = now;
		run(st[S_BEGIN], "BEGIN");
		for (int i = 0; i < batch; i++) {
			char number[32], uid[40], object[40], detail[160];
			n++;
			case_id++;
			seq++;
			int64_t at = 1796000000 + n;
			snprintf(number, sizeof(number), "XF-2026-B%07" PRId64, n);
			hex(qhash, &rnd);
			sqlite3_stmt *s = st[S_CASE];
			sqlite3_bind_text(s, 1, number, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 2, title_text, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 3, body_text, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 4, at);
			sqlite3_bind_int64(s, 5, at + 15 * 86400);
			sqlite3_bind_text(s, 6, qhash, 64, SQLITE_TRANSIENT);
			run(s, "INSERT cases");
			case_id = sqlite3_last_insert_rowid(db);

			snprintf(uid, sizeof(uid), "p%016" PRIx64 "%08x", (uint64_t)n, rnd);
			hex(phash, &rnd);
			s = st[S_PARTY];
			sqlite3_bind_int64(s, 1, case_id);
			sqlite3_bind_text(s, 2, uid, -1, SQLITE_TRANSIENT);
			sqlite3_bind_blob(s, 3, name_blob, sizeof(name_blob), SQLITE_STATIC);
			sqlite3_bind_blob(s, 4, phone_blob, sizeof(phone_blob), SQLITE_STATIC);
			sqlite3_bind_text(s, 5, phash, 64, SQLITE_TRANSIENT);
			sqlite3_bind_int64(s, 6, at);
			run(s, "INSERT parties");

			s = st[S_EVENT];
			sqlite3_bind_int64(s, 1, case_id);
			sqlite3_bind_int64(s, 2, at);
			run(s, "INSERT events");

			snprintf(object, sizeof(object), "case:%" PRId64, case_id);
			snprintf(detail, sizeof(detail),
			         "{\"number\":\"%s\",\"type\":\"petition\",\"state\":\"registered\","
			         "\"owner_org_id\":3,\"attachments\":0}",
			         number);
			hex(hash, &rnd);
			s = st[S_AUDIT];
			sqlite3_bind_int64(s, 1, seq);
			sqlite3_bind_int64(s, 2, at);
			sqlite3_bind_text(s, 3, object, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 4, detail, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 5, prev, 64, SQLITE_TRANSIENT);
			sqlite3_bind_text(s, 6, hash, 64, SQLITE_TRANSIENT);
			run(s, "INSERT audit");
			memcpy(prev, hash, sizeof(prev));

			s = st[S_FACTS];
			sqlite3_bind_int64(s, 1, at / 86400);
			sqlite3_bind_int64(s, 2, case_id);
			sqlite3_bind_int64(s, 3, 202611);
			sqlite3_bind_int64(s, 4, at + 15 * 86400);
			run(s, "INSERT case_facts");

			s = st[S_GRAMS];
			sqlite3_bind_int64(s, 1, case_id);
			sqlite3_bind_text(s, 2, title_grams, -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 3, body_grams, -1, SQLITE_STATIC);
			run(s, "INSERT search_grams");
		}
		char head[100];
		snprintf(head, sizeof(head), "%" PRId64 ":%s", seq, prev);
		sqlite3_bind_int(st[S_COUNTER], 1, batch);
		run(st[S_COUNTER], "counters");
		sqlite3_bind_text(st[S_HEAD], 1, head, -1, SQLITE_TRANSIENT);
		run(st[S_HEAD], "audit head");
		sqlite3_bind_int(st[S_MONTH], 1, batch);
		run(st[S_MONTH], "indicator_month");
		run(st[S_COMMIT], "COMMIT");
		now = mono_us();
		if (ncommits == cap) {
			cap *= 2;
			int64_t *l2 = realloc(lat, cap * sizeof(*lat));
			if (!l2)
				return 1;
			lat = l2;
		}
		lat[ncommits++] = now - b0;
	}
	double secs = (double)(now - t0) / 1e6;
	int64_t cpu = cpu_us() - c0;
	qsort(lat, ncommits, sizeof(*lat), cmp_i64);
	printf("rows submissions=%" PRId64 " seconds=%.2f per_s=%.0f commits=%zu commit_p50_us=%" PRId64
	       " commit_p99_us=%" PRId64 " cpu_us=%.0f\n",
	       n, secs, (double)n / secs, ncommits, lat[ncommits / 2],
	       lat[(size_t)(0.99 * (double)(ncommits - 1) + 0.5)], (double)cpu / (double)n);
	free(lat);
	for (size_t i = 0; i < NSTMT; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	return 0;
}
