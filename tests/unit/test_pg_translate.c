/*
 * test_pg_translate.c — pg_translate() (src/store/pg_store.c), which adapts
 * the store's SQL (written once, for SQLite) to PostgreSQL.  Each case is a
 * statement shape the store really uses; a wrong translation shows up on
 * PostgreSQL only, as a 500, so the rules are pinned here too.
 */
#include "base/common.h"
#include "store/pg_internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

static void assert_translates(const char *sqlite_sql, const char *want, int want_params)
{
	int n = -1;
	char *got = pg_translate(sqlite_sql, strlen(sqlite_sql), &n);
	if (strcmp(got, want) != 0)
		fail_msg("pg_translate(\"%s\")\n  = \"%s\"\n want \"%s\"", sqlite_sql, got, want);
	assert_int_equal(n, want_params);
	free(got);
}

static void test_parameters(void **state)
{
	(void)state;
	assert_translates("SELECT a FROM t WHERE id = ?1 AND b = ?2 OR c = ?1",
	                  "SELECT a FROM t WHERE id = $1 AND b = $2 OR c = $1", 2);
	assert_translates("SELECT a FROM t WHERE id = ? AND b = ?",
	                  "SELECT a FROM t WHERE id = $1 AND b = $2", 2);
	/* an untyped parameter tested for NULL gets a type */
	assert_translates("SELECT 1 FROM t WHERE ?1 IS NULL OR x = ?1",
	                  "SELECT 1 FROM t WHERE $1::text IS NULL OR x = $1", 1);
	/* a ? inside a string literal is text */
	assert_translates("SELECT '?1' FROM t WHERE a = ?1", "SELECT '?1' FROM t WHERE a = $1", 1);
}

static void test_spellings(void **state)
{
	(void)state;
	assert_translates("SELECT IFNULL(a, 0) FROM t", "SELECT COALESCE(a, 0) FROM t", 0);
	assert_translates("SELECT CAST(v AS INTEGER) FROM t", "SELECT CAST(v AS BIGINT) FROM t", 0);
	assert_translates("SELECT a FROM t INDEXED BY t_a WHERE a = 1",
	                  "SELECT a FROM t  WHERE a = 1", 0);
	/* the rest of the statement is still translated */
	assert_translates("INSERT OR IGNORE INTO t(a) VALUES (?1)",
	                  "INSERT INTO t(a) VALUES ($1) ON CONFLICT DO NOTHING", 1);
	assert_translates("SELECT sum(a = 1) FROM t", "SELECT sum((a = 1)::int) FROM t", 0);
	/* SQLite's CROSS JOIN … ON (a join order hint); a real cross join stays */
	assert_translates("SELECT 1 FROM r CROSS JOIN cases ON cases.id = r.case_id",
	                  "SELECT 1 FROM r JOIN cases ON cases.id = r.case_id", 0);
	assert_translates("SELECT 1 FROM r CROSS JOIN cases c ON c.id = r.case_id",
	                  "SELECT 1 FROM r JOIN cases c ON c.id = r.case_id", 0);
	assert_translates("SELECT 1 FROM r CROSS JOIN cases WHERE cases.id = r.case_id",
	                  "SELECT 1 FROM r CROSS JOIN cases WHERE cases.id = r.case_id", 0);
}

/* SQLite's integer truth after WHERE, but not the left side of a comparison
 * (the workload query's "WHERE 1 = 1" followed by optional conditions). */
static void test_where_truth(void **state)
{
	(void)state;
	assert_translates("SELECT a FROM t WHERE 1", "SELECT a FROM t WHERE TRUE", 0);
	assert_translates("SELECT a FROM t WHERE 1 ORDER BY a",
	                  "SELECT a FROM t WHERE TRUE ORDER BY a", 0);
	assert_translates("SELECT a FROM t WHERE 1 = 1 AND b = 2",
	                  "SELECT a FROM t WHERE 1 = 1 AND b = 2", 0);
	assert_translates("SELECT a FROM t WHERE 10 = b", "SELECT a FROM t WHERE 10 = b", 0);
}

/* A bare column right of `=` in DO UPDATE SET is ambiguous on PostgreSQL (the
 * row or excluded): it becomes the table's, for every assigned column (the
 * indicators' month upsert sets sixteen). */
static void test_upsert_qualified(void **state)
{
	(void)state;
	assert_translates(
		"INSERT INTO w(k, n) VALUES (?1, ?2) ON CONFLICT (k) DO UPDATE SET n = n + ?2",
		"INSERT INTO w(k, n) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET n = w.n + $2", 2);
	assert_translates("INSERT INTO w(k, a, b) VALUES (?1, ?2, ?3) ON CONFLICT (k) DO UPDATE SET "
	                  "a = excluded.a, b = b + excluded.b",
	                  "INSERT INTO w(k, a, b) VALUES ($1, $2, $3) ON CONFLICT (k) DO UPDATE SET "
	                  "a = excluded.a, b = w.b + excluded.b",
	                  3);
	strbuf_t in = STRBUF_INIT, want = STRBUF_INIT;
	strbuf_adds(&in, "INSERT INTO m(k) VALUES (1) ON CONFLICT (k) DO UPDATE SET ");
	strbuf_adds(&want, "INSERT INTO m(k) VALUES (1) ON CONFLICT (k) DO UPDATE SET ");
	for (int i = 1; i <= 20; i++) {
		strbuf_addf(&in, "%sc%d = c%d + 1", i > 1 ? ", " : "", i, i);
		strbuf_addf(&want, "%sc%d = m.c%d + 1", i > 1 ? ", " : "", i, i);
	}
	assert_translates(in.buf, want.buf, 0);
	strbuf_release(&in);
	strbuf_release(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_spellings),
		cmocka_unit_test(test_where_truth),
		cmocka_unit_test(test_upsert_qualified),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
