/*
 * issue5_scale.c — multiplies a seeded database K times, for issue 5's
 * benchmarks at a million cases (bench/issue5_bench.sh, BENCH_SCALE).
 *
 *   issue5_scale DB K
 *
 * `pingan seed` writes each case through the whole write path (workflow,
 * timeline, audit chain, search index, indicator facts), a few hundred a
 * second on a shared machine; a million would take hours.  The read side
 * does not care how the rows were written, so this tool copies the K - 1
 * times every row the read workloads touch, in one transaction:
 *
 *   cases        id + k·M (M = the largest case id), number "<number>-k";
 *   parties      id + k·P, the copy's case, uid "<uid>-k" (the sealed
 *                fields keep their bytes: their associated data names the
 *                original uid, so opening a copy fails and shows "?" — the
 *                same work as opening it);
 *   case_facts   the copy's case, the same day and dimensions;
 *   search_text  the copy's rowid, the same title, body and notes, and
 *   search_grams rebuilt from them with the server's own pa_grams();
 *   aggregates   indicator_month, indicator_metric, indicator_days,
 *                indicator_workload, indicator_closed: every counter × K —
 *                exact, since each copy has its original's facts.
 *   case_facts_day  made again from the copied facts (migration 21).
 *
 * Timelines (events), records, links and ratings rows are not copied (the
 * ratings are in the facts).  Triggers on cases and events are set aside
 * while copying and put back as they were.  Then ANALYZE.  Linked with
 * build/libpingan_lib.a for sq_search_register (pa_grams).
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static sqlite3 *db;

static void die(const char *what)
{
	fprintf(stderr, "issue5_scale: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void run(const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "issue5_scale: %s\n  in: %.300s\n", msg ? msg : "?", sql);
		exit(1);
	}
}

static int64_t one_int(const char *sql)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql);
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return v;
}

/* The columns of table: "a, b, c" into names, and for the SELECT side each column
 * replaced by its expression in subst (name=expr pairs, NULL-terminated). */
static void columns(const char *table, const char *const *subst, strbuf_t *names, strbuf_t *exprs,
                    bool multiply_counters, int64_t k)
{
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT name, pk FROM pragma_table_info('%s')", table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(sql);
	bool first = true;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int pk = sqlite3_column_int(st, 1);
		if (!first) {
			strbuf_adds(names, ", ");
			strbuf_adds(exprs, ", ");
		}
		first = false;
		strbuf_addf(names, "\"%s\"", name);
		const char *e = NULL;
		for (size_t i = 0; subst && subst[i]; i += 2)
			if (streq(subst[i], name))
				e = subst[i + 1];
		if (e)
			strbuf_adds(exprs, e);
		else if (multiply_counters && !pk)
			strbuf_addf(exprs, "\"%s\" * %lld", name, (long long)k);
		else
			strbuf_addf(exprs, "\"%s\"", name);
	}
	sqlite3_finalize(st);
}

int main(int argc, char **argv)
{
	if (argc != 3 || atoi(argv[2]) < 2) {
		fprintf(stderr, "usage: issue5_scale DB K   (K >= 2: the database holds K times its cases)\n");
		return 2;
	}
	int64_t K = atoll(argv[2]);
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		die(argv[1]);
	if (sq_search_register(db) != SQLITE_OK)
		die("pa_grams");
	sqlite3_busy_timeout(db, 60000);
	run("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;");
	int64_t M = one_int("SELECT max(id) FROM cases");
	int64_t P = one_int("SELECT IFNULL(max(id), 0) FROM parties");
	int64_t n0 = one_int("SELECT count(*) FROM cases");
	fprintf(stderr, "issue5_scale: %lld cases (largest id %lld) × %lld\n", (long long)n0,
	        (long long)M, (long long)K);
	run("BEGIN IMMEDIATE");
	/* the triggers, set aside and put back as they were */
	strbuf_t triggers = STRBUF_INIT;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
	                           "tbl_name IN ('cases', 'events', 'parties', 'case_facts')",
	                       -1, &st, NULL) != SQLITE_OK)
		die("triggers");
	strbuf_t drops = STRBUF_INIT;
	while (sqlite3_step(st) == SQLITE_ROW) {
		strbuf_addf(&triggers, "%s;\n", (const char *)sqlite3_column_text(st, 1));
		strbuf_addf(&drops, "DROP TRIGGER \"%s\";\n", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	if (drops.len)
		run(drops.buf);
	char buf[512];
	snprintf(buf, sizeof(buf),
	         "CREATE TEMP TABLE copies(k INTEGER PRIMARY KEY);"
	         "WITH RECURSIVE r(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM r WHERE k < %lld) "
	         "INSERT INTO copies SELECT k FROM r;",
	         (long long)(K - 1));
	run(buf);

	char id_case[96], id_party[96];
	snprintf(id_case, sizeof(id_case), "c.id + copies.k * %lld", (long long)M);
	snprintf(id_party, sizeof(id_party), "c.id + copies.k * %lld", (long long)P);
	char case_of[96];
	snprintf(case_of, sizeof(case_of), "c.case_id + copies.k * %lld", (long long)M);
	struct {
		const char *table;
		const char *subst[8];
	} copies[] = {
		{ "cases", { "id", id_case, "number", "c.number || '-' || copies.k", NULL } },
		{ "parties", { "id", id_party, "case_id", case_of, "uid", "c.uid || '-' || copies.k", NULL } },
		{ "case_facts", { "case_id", case_of, NULL } },
	};
	for (size_t i = 0; i < ARRAY_SIZE(copies); i++) {
		strbuf_t names = STRBUF_INIT, exprs = STRBUF_INIT, sql = STRBUF_INIT;
		columns(copies[i].table, copies[i].subst, &names, &exprs, false, 0);
		strbuf_addf(&sql, "INSERT INTO %s (%s) SELECT %s FROM copies CROSS JOIN %s c%s",
		            copies[i].table, names.buf, exprs.buf, copies[i].table,
		            streq(copies[i].table, "cases") ? " WHERE c.id <= " : "");
		if (streq(copies[i].table, "cases"))
			strbuf_addf(&sql, "%lld", (long long)M);
		fprintf(stderr, "issue5_scale: copying %s\n", copies[i].table);
		run(sql.buf);
		strbuf_release(&names);
		strbuf_release(&exprs);
		strbuf_release(&sql);
	}
	fprintf(stderr, "issue5_scale: search index\n");
	snprintf(buf, sizeof(buf),
	         "INSERT INTO search_text(rowid, title, body, notes) SELECT s.rowid + copies.k * %lld, "
	         "s.title, s.body, s.notes FROM copies CROSS JOIN search_text s WHERE s.rowid <= %lld",
	         (long long)M, (long long)M);
	run(buf);
	snprintf(buf, sizeof(buf),
	         "INSERT INTO search_grams(rowid, title, body, notes) SELECT rowid, pa_grams(title), "
	         "pa_grams(body), pa_grams(notes) FROM search_text WHERE rowid > %lld",
	         (long long)M);
	run(buf);
	const char *aggregates[] = { "indicator_month", "indicator_metric", "indicator_days",
		                         "indicator_workload", "indicator_closed" };
	for (size_t i = 0; i < ARRAY_SIZE(aggregates); i++) {
		strbuf_t names = STRBUF_INIT, exprs = STRBUF_INIT, sql = STRBUF_INIT;
		columns(aggregates[i], NULL, &names, &exprs, true, K);
		strbuf_addf(&sql, "CREATE TEMP TABLE agg AS SELECT %s FROM %s; DELETE FROM %s; "
		                  "INSERT INTO %s (%s) SELECT * FROM agg; DROP TABLE agg;",
		            exprs.buf, aggregates[i], aggregates[i], aggregates[i], names.buf);
		run(sql.buf);
		strbuf_release(&names);
		strbuf_release(&exprs);
		strbuf_release(&sql);
	}
	/* the facts of each day by shape: made again from the copied facts, as
	 * migration 21 makes it */
	run("DELETE FROM case_facts_day");
	run("INSERT INTO case_facts_day(day, month, type, category, org_id, street_id, enterprise, "
	    "state, is_open, overdue, flags, wdays, r1, r2, r3, r4, r5, n) SELECT day, month, type, "
	    "category, org_id, street_id, enterprise, state, is_open, overdue, flags, wdays, r1, r2, "
	    "r3, r4, r5, COUNT(*) FROM case_facts GROUP BY day, month, type, category, org_id, "
	    "street_id, enterprise, state, is_open, overdue, flags, wdays, r1, r2, r3, r4, r5");
	if (triggers.len)
		run(triggers.buf);
	run("COMMIT");
	fprintf(stderr, "issue5_scale: ANALYZE\n");
	run("ANALYZE");
	fprintf(stderr, "issue5_scale: %lld cases\n", (long long)one_int("SELECT count(*) FROM cases"));
	strbuf_release(&triggers);
	strbuf_release(&drops);
	sqlite3_close(db);
	return 0;
}
