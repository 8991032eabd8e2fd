/*
 * types_bench.c — issue 3's "How fast" on a database of generated cases of
 * every type (pingan seed): the timer's scan of due items, the inbox query,
 * and actions (a transition with its audit, outbox and timeline writes),
 * each beside a baseline measured in the same run.
 *
 *   types_bench SHARE_DIR DATA_DIR INBOX_QUERIES ACTIONS THREADS
 *
 * DATA_DIR holds a demo district seeded by `pingan seed` (the script does
 * it).  Phases, each printing one "BENCH phase=… key=value…" line:
 *
 *   scan       one cases_timer_tick() pass at now — the deadline timer's
 *              walk of the due items (open, not yet overdue, due_at <= now)
 *              with its writes (none are left on generated data) — and a
 *              second pass; baseline: the same walk as one bare SQL count
 *              on the index (scan_sql).
 *   inbox      INBOX_QUERIES cases_list() calls, the first page (50) of a
 *              unit's open cases by deadline, round robin over every demo
 *              user with a working role (their visibility rules applied):
 *              p50 / p99 / max latency; baseline: the very SQL cases_list()
 *              runs for each of those users (store_sqlite_case_list_sql_
 *              literal: visibility written in), run directly through the
 *              sqlite3 library on the same file; the longest user's query
 *              and its EXPLAIN QUERY PLAN go to stderr.
 *   actions    THREADS threads each accepting its share of ACTIONS
 *              registered petitions as the intake user through
 *              cases_transition(): state change, timeline event, notice
 *              event, outbox messages, document queued and audit record,
 *              durable (synchronous=FULL, group commit); its baseline is
 *              bench/action_rows.c, run by types_bench.sh on the same file
 *              afterwards: the writer's very statements as bare SQL in the
 *              real schema (it replaced a bare-SQL baseline of the same row
 *              count in simplified tables, which said nothing about what
 *              SQLite does with the server's indexes, triggers and rows).
 *              Besides the rate: commits, CPU per action (the process,
 *              and the writer thread), and per action the bytes written
 *              (wchar_kb: WAL frames and checkpoint copies, /proc/self/io)
 *              and those that reached the disks meanwhile (disk_kb,
 *              /proc/diskstats: the machine's, whoever wrote them).
 *
 * Built by bench/types_bench.sh against build/libpingan_lib.a.
 */
#include "base/common.h"
#include "core/cases.h"
#include "core/demo.h"

/* src/store/sqlite_internal.h: the inbox SQL with its parameters written in */
char *store_sqlite_case_list_sql_literal(store_conn_t *c, const pa_case_filter_t *f);

#include <dirent.h>
#include <unistd.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INBOX_PAGE 50

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time (user + system) of the whole process, in µs. */
static double cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* Bytes this process handed to write() and its kin (/proc/self/io wchar). */
static long long io_wchar(void)
{
	long long v = -1;
	FILE *f = fopen("/proc/self/io", "r");
	if (!f)
		return -1;
	char line[128];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "wchar: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Sectors (512 bytes) written to the machine's disks (/proc/diskstats, whole
 * disks only: a name under /sys/block that is not a loop or RAM device). */
static long long disk_sectors(void)
{
	FILE *f = fopen("/proc/diskstats", "r");
	if (!f)
		return -1;
	long long sum = 0;
	char line[512], name[64], path[128];
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		long long v[7];
		if (sscanf(line, "%u %u %63s %lld %lld %lld %lld %lld %lld %lld", &maj, &min, name, &v[0],
		           &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]) != 10)
			continue;
		if (strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s", name);
		if (access(path, F_OK) == 0)
			sum += v[6];
	}
	fclose(f);
	return sum;
}

/* CPU ticks (user + system) of each thread of this process: "TID TICKS" in
 * out[], at most max; returns how many. */
static int thread_ticks(long long tid[], long long ticks[], int max)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		char path[64], buf[1024];
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		const char *p = strrchr(buf, ')');
		unsigned long long ut = 0, st = 0;
		/* after ") ": state and ten more fields, then utime and stime */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
		                &st) == 2) {
			tid[n] = atoll(e->d_name);
			ticks[n++] = (long long)(ut + st);
		}
	}
	closedir(d);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void die(const char *what, const pa_err_t *err)
{
	fprintf(stderr, "types_bench: %s: %s\n", what, err ? err->detail : "");
	exit(1);
}

static pa_principal_t principal(pa_app_t *app, arena_t *a, const char *username,
                                const orgtree_t *tree)
{
	pa_user_t u;
	if (store_user_get_by_name(store_reader(app->store), a, username, &u) < 0)
		die(username, NULL);
	return (pa_principal_t){ .kind = PRINCIPAL_STAFF, .user_id = u.id, .username = u.username,
		                     .display_name = u.display_name, .roles = u.roles,
		                     .nroles = u.nroles, .tree = tree };
}

/* ---- scan ------------------------------------------------------------------ */

static void bench_scan(pa_app_t *app, const char *db)
{
	pa_err_t err = { 0 };
	int applied = 0, marked = 0;
	pa_time_t now = pa_now();
	double t0 = now_s();
	if (cases_timer_tick(app, now, &applied, &marked, &err) < 0)
		die("timer", &err);
	double first = now_s() - t0;
	int applied2 = 0, marked2 = 0;
	t0 = now_s();
	if (cases_timer_tick(app, pa_now(), &applied2, &marked2, &err) < 0)
		die("timer", &err);
	double second = now_s() - t0;

	sqlite3 *s;
	sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(s, "SELECT count(*) FROM cases WHERE is_open = 1 AND overdue = 0 AND due_at <= ?1",
	                   -1, &st, NULL);
	sqlite3_bind_int64(st, 1, now);
	t0 = now_s();
	sqlite3_step(st);
	long long due = sqlite3_column_int64(st, 0);
	double sql = now_s() - t0;
	sqlite3_finalize(st);
	int64_t open = 0, overdue = 0;
	store_case_counts(store_reader(app->store), now, &open, &overdue);
	sqlite3_close(s);
	printf("BENCH phase=scan first_ms=%.1f second_ms=%.1f applied=%d marked=%d pending=%lld "
	       "open=%lld overdue=%lld sql_ms=%.2f\n", first * 1e3, second * 1e3, applied + applied2,
	       marked + marked2, due, (long long)open, (long long)overdue, sql * 1e3);
}

/* ---- inbox ------------------------------------------------------------------- */

static void bench_inbox(pa_app_t *app, const char *db, int queries)
{
	arena_t *ua = arena_new(), *qa = arena_new();
	orgtree_t *tree = orgcache_get(app->orgs);
	pa_principal_t users[64];
	size_t nu = 0;
	for (size_t i = 0; i < demo_nusers && nu < ARRAY_SIZE(users); i++) {
		const char *r = demo_users[i].roles;
		if (strstr(r, "handler") || strstr(r, "intake") || strstr(r, "grid_worker") ||
		    strstr(r, "mediator") || strstr(r, "supervisor"))
			users[nu++] = principal(app, ua, demo_users[i].username, tree);
	}
	double *lat = xcalloc((size_t)queries, sizeof(double));
	/* per user too: query i is user i % nu's (i / nu)th */
	size_t per = ((size_t)queries + nu - 1) / nu;
	double *ulat = xcalloc(nu * per, sizeof(double));
	size_t rows = 0;
	pa_err_t err = { 0 };
	for (int i = 0; i < queries; i++) {
		arena_reset(qa);
		pa_case_filter_t f = { .overdue = -1, .open = 1, .limit = INBOX_PAGE };
		pa_case_t *out;
		size_t n;
		bool more;
		double t0 = now_s();
		if (cases_list(app, qa, &users[(size_t)i % nu], &f, &out, &n, &more, &err) < 0)
			die("inbox", &err);
		lat[i] = now_s() - t0;
		ulat[((size_t)i % nu) * per + (size_t)i / nu] = lat[i];
		rows += n;
	}
	qsort(lat, (size_t)queries, sizeof(double), cmp_double);
	/* each user's p50 / p99 and what the list reads for them (stderr) */
	for (size_t u = 0; u < nu; u++) {
		size_t k = (size_t)queries / nu + ((size_t)queries % nu > u);
		if (!k)
			continue;
		qsort(ulat + u * per, k, sizeof(double), cmp_double);
		pa_case_filter_t f = { .overdue = -1, .open = 1, .limit = INBOX_PAGE };
		authz_case_filter(&users[u], ua, app->wf, &f);
		const char *roles = "";
		for (size_t d = 0; d < demo_nusers; d++)
			if (streq(demo_users[d].username, users[u].username))
				roles = demo_users[d].roles;
		fprintf(stderr, "INBOX user=%s roles=%s units=%zu member_units=%zu queries=%zu p50_ms=%.3f "
		        "p99_ms=%.3f max_ms=%.3f\n", users[u].username, roles, f.all_orgs ? 0 : f.nvisible,
		        f.nmember, k, pct(ulat + u * per, k, 0.5) * 1e3, pct(ulat + u * per, k, 0.99) * 1e3,
		        ulat[u * per + k - 1] * 1e3);
	}
	free(ulat);

	/* baseline: the very SQL cases_list() runs for each user (its visibility
	 * rules written in as literals), prepared once and run straight on the
	 * file through the sqlite3 library, no Pingan code around it */
	sqlite3 *s;
	sqlite3_open_v2(db, &s, SQLITE_OPEN_READONLY, NULL);
	sqlite3_stmt **sts = xcalloc(nu, sizeof(*sts));
	size_t heaviest = 0, heaviest_len = 0;
	for (size_t u = 0; u < nu; u++) {
		pa_case_filter_t f = { .overdue = -1, .open = 1, .limit = INBOX_PAGE };
		authz_case_filter(&users[u], ua, app->wf, &f);
		char *sql = store_sqlite_case_list_sql_literal(store_reader(app->store), &f);
		if (!sql)
			continue;  /* sees no unit */
		if (strlen(sql) > heaviest_len) {
			heaviest = u;
			heaviest_len = strlen(sql);
		}
		if (sqlite3_prepare_v2(s, sql, -1, &sts[u], NULL) != SQLITE_OK)
			die(sqlite3_errmsg(s), NULL);
		if ((u == heaviest && getenv("TYPES_PLAN_ALL")) ||
		    streq(getenv("TYPES_PLAN_USER"), users[u].username)) {
			/* the query and its plan, for docs/performance.md */
			fprintf(stderr, "INBOX SQL (%s): %s\n", users[u].username, sql);
			char *eq = arena_printf(ua, "EXPLAIN QUERY PLAN %s", sql);
			sqlite3_stmt *ep;
			if (sqlite3_prepare_v2(s, eq, -1, &ep, NULL) == SQLITE_OK) {
				while (sqlite3_step(ep) == SQLITE_ROW)
					fprintf(stderr, "INBOX PLAN: %s\n", (const char *)sqlite3_column_text(ep, 3));
				sqlite3_finalize(ep);
			}
		}
		free(sql);
	}
	double *blat = xcalloc((size_t)queries, sizeof(double));
	size_t bq = 0;
	for (int i = 0; i < queries; i++) {
		sqlite3_stmt *st = sts[(size_t)i % nu];
		if (!st)
			continue;
		double t0 = now_s();
		while (sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_reset(st);
		blat[bq++] = now_s() - t0;
	}
	for (size_t u = 0; u < nu; u++)
		sqlite3_finalize(sts[u]);
	free(sts);
	sqlite3_close(s);
	qsort(blat, bq, sizeof(double), cmp_double);
	printf("BENCH phase=inbox queries=%d users=%zu rows=%zu p50_ms=%.3f p99_ms=%.3f max_ms=%.3f "
	       "sql_p50_ms=%.3f sql_p99_ms=%.3f sql_max_ms=%.3f\n", queries, nu, rows,
	       pct(lat, (size_t)queries, 0.5) * 1e3, pct(lat, (size_t)queries, 0.99) * 1e3,
	       lat[queries - 1] * 1e3, pct(blat, bq, 0.5) * 1e3, pct(blat, bq, 0.99) * 1e3,
	       bq ? blat[bq - 1] * 1e3 : 0.0);
	free(lat);
	free(blat);
	orgtree_release(tree);
	arena_free(qa);
	arena_free(ua);
}

/* ---- actions ------------------------------------------------------------------ */

struct act_arg {
	pa_app_t *app;
	const pa_principal_t *p;
	pa_id_t *ids;
	size_t from, to;
	int failed;
	pthread_barrier_t *ready, *start;
};

static void *act_worker(void *v)
{
	struct act_arg *w = v;
	/* like the server's long-lived HTTP threads, a worker has its read
	 * connection open before the clock starts (opening one, schema parse
	 * included, was ~30 µs per action at 4,000 actions) */
	store_reader(w->app->store);
	pthread_barrier_wait(w->ready);
	pthread_barrier_wait(w->start);
	arena_t *a = arena_new();
	for (size_t i = w->from; i < w->to; i++) {
		arena_reset(a);
		pa_err_t err = { 0 };
		pa_case_t cs, out;
		if (cases_get(w->app, a, w->p, w->ids[i], false, &cs, &err) < 0 ||
		    cases_transition(w->app, a, w->p, &cs, "accept", NULL, 0, &out, &err) < 0)
			w->failed++;
	}
	arena_free(a);
	return NULL;
}

static void bench_actions(pa_app_t *app, int n, int threads)
{
	arena_t *a = arena_new();
	orgtree_t *tree = orgcache_get(app->orgs);
	pa_principal_t intake = principal(app, a, "intake", tree);
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1", .tree = tree };
	pa_id_t *ids = xcalloc((size_t)n, sizeof(pa_id_t));
	pa_err_t err = { 0 };
	/* the petitions to accept: registered, with a contact (so the notice goes
	 * out by SMS as well as to the unit), created outside the measured time */
	arena_t *la = arena_new();
	for (int i = 0; i < n; i++) {
		arena_reset(la);
		char title[96], phone[16];
		snprintf(title, sizeof(title), "小区电梯长期故障无人维修（压测%d）", i);
		snprintf(phone, sizeof(phone), "139%08d", i);
		case_input_t in = { .type = "petition", .category = "grievance", .title = title,
			                .body = "三号楼电梯停运两个月，物业不予维修。", .has_contact = true,
			                .contact = { .name = "张三", .phone = phone } };
		pa_case_t cs;
		char code[PA_QUERY_CODE_LEN + 1];
		if (cases_create(app, la, &pub, &in, &cs, code, &err) < 0)
			die("create", &err);
		ids[i] = cs.id;
	}
	arena_free(la);
	int64_t c0, w0, c1, w1;
	store_stats(app->store, &c0, &w0);
	if (threads < 1 || threads > 256)
		threads = 1;
	pthread_t th[256];
	struct act_arg args[256];
	long long tid0[512], tk0[512], tid1[512], tk1[512];
	pthread_barrier_t ready, start;
	pthread_barrier_init(&ready, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
	for (int i = 0; i < threads; i++) {
		args[i] = (struct act_arg){ app, &intake, ids, (size_t)n * (size_t)i / (size_t)threads,
			                        (size_t)n * (size_t)(i + 1) / (size_t)threads, 0, &ready, &start };
		pthread_create(&th[i], NULL, act_worker, &args[i]);
	}
	/* the workers are there (and idle) in both snapshots: the writer is
	 * still the busiest thread by far */
	pthread_barrier_wait(&ready);
	int nt0 = thread_ticks(tid0, tk0, 512);
	double cpu0 = cpu_us();
	long long wchar0 = io_wchar(), disk0 = disk_sectors();
	double t0 = now_s();
	pthread_barrier_wait(&start);
	int failed = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(th[i], NULL);
		failed += args[i].failed;
	}
	double dt = now_s() - t0;
	double cpu = cpu_us() - cpu0;
	long long wchar1 = io_wchar(), disk1 = disk_sectors();
	pthread_barrier_destroy(&ready);
	pthread_barrier_destroy(&start);
	/* the busiest thread that was there before the workers: the writer */
	int nt1 = thread_ticks(tid1, tk1, 512);
	long long writer_ticks = 0;
	for (int i = 0; i < nt1; i++)
		for (int k = 0; k < nt0; k++)
			if (tid0[k] == tid1[i] && tk1[i] - tk0[k] > writer_ticks)
				writer_ticks = tk1[i] - tk0[k];
	double writer_us = (double)writer_ticks * 1e6 / (double)sysconf(_SC_CLK_TCK);
	store_stats(app->store, &c1, &w1);
	printf("BENCH phase=actions actions=%d threads=%d failed=%d seconds=%.3f per_s=%.1f "
	       "commits=%lld cpu_us=%.0f writer_cpu_us=%.0f wchar_kb=%.1f disk_kb=%.1f\n", n,
	       threads, failed, dt, (double)(n - failed) / dt, (long long)(c1 - c0), cpu / n,
	       writer_us / n, wchar0 < 0 || wchar1 < 0 ? -1.0 : (double)(wchar1 - wchar0) / 1024.0 / n,
	       disk0 < 0 || disk1 < 0 ? -1.0 : (double)(disk1 - disk0) * 512.0 / 1024.0 / n);
	free(ids);
	orgtree_release(tree);
	arena_free(a);
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: types_bench SHARE_DIR DATA_DIR INBOX_QUERIES ACTIONS THREADS\n");
		return 2;
	}
	const char *share = argv[1], *data = argv[2];
	int queries = atoi(argv[3]), actions = atoi(argv[4]), threads = atoi(argv[5]);
	if (queries < 1 || actions < 1)
		return 2;
	pa_config_t cfg;
	config_init(&cfg);
	pa_err_t err = { 0 };
	if (config_set(&cfg, "data", data, "bench", &err) < 0 ||
	    config_set(&cfg, "share_dir", share, "bench", &err) < 0 ||
	    /* channels on, so every notice writes outbox rows (nothing is sent:
	     * the sender thread does not run here) */
	    config_set(&cfg, "notify.webhook_url", "http://127.0.0.1:9/pingan", "bench", &err) < 0 ||
	    config_set(&cfg, "notify.webhook_secret", "types-bench-secret-0123456789", "bench", &err) < 0 ||
	    config_set(&cfg, "notify.sms_url", "http://127.0.0.1:9/sms", "bench", &err) < 0 ||
	    config_finalize(&cfg, &err) < 0 ||
	    crypto_init() < 0)
		die("config", &err);
	pa_app_t app;
	if (app_open(&app, &cfg, APP_MIGRATE, &err) < 0)
		die("open", &err);
	char db[4096];
	snprintf(db, sizeof(db), "%s/pingan.db", data);
	/* TYPES_PHASES: the phases to run, e.g. "inbox" (default all three) */
	const char *phases = getenv("TYPES_PHASES");
	if (!phases || strstr(phases, "scan"))
		bench_scan(&app, db);
	if (!phases || strstr(phases, "inbox"))
		bench_inbox(&app, db, queries);
	if (!phases || strstr(phases, "actions"))
		bench_actions(&app, actions, threads);
	app_close(&app);
	config_free(&cfg);
	return 0;
}
