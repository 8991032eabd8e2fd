/*
 * cmd_copy.c — `pingan copy --from SQLITE --to PGURL`: moves a district from
 * the embedded store to PostgreSQL (store_copy in src/store/pg_copy.c), then
 * verifies what arrived: the row count of every table (store_copy) and the
 * audit log's hash chain, read back from PostgreSQL.  The server must be
 * stopped (or not yet started on PostgreSQL) while it runs; the key file and
 * the attachments stay where they are: serve with the same --data and
 * `--db PGURL`.
 */
#include "base/common.h"
#include "cli/cli.h"
#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>

static const char copy_usage[] = "usage: pingan copy --from SQLITE_FILE --to postgresql://...";
static const cli_opt_t copy_opts[] = {
	{ "from", 0, true, "the SQLite database file to copy (run `pingan migrate` on it first)" },
	{ "to", 0, true, "the PostgreSQL database (an empty one) as a postgresql:// URL" },
};

static void copy_progress(double f, void *arg)
{
	cli_progress("copy", f);
}

static void verify_progress(int64_t done, void *arg)
{
	int64_t total = *(int64_t *)arg;
	if (total > 0)
		cli_progress("verify", (double)done / (double)total);
}

int cmd_copy(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, copy_usage, copy_opts, ARRAY_SIZE(copy_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	const char *from = cli_get(&a, "from"), *to = cli_get(&a, "to");
	if (!from || !to || a.npos != 0) {
		fprintf(stderr, "%s\n", copy_usage);
		return EXIT_USAGE;
	}
	pa_err_t err = { 0 };
	int64_t rows = 0;
	if (store_copy(from, to, copy_progress, NULL, &rows, &err) < 0) {
		cli_error(&err);
		return err.code == PA_EINVAL || err.code == PA_ECONFLICT ? EXIT_CONFIG : EXIT_FAIL;
	}
	printf("copied %lld rows; every table has as many rows as in %s\n", (long long)rows, from);

	store_options_t so = { .path = to, .read_only = true, .pool_size = 2 };
	store_t *s = NULL;
	if (store_open(&so, &s, &err) < 0) {
		cli_error(&err);
		return EXIT_FAIL;
	}
	arena_t *ar = arena_new();
	const char *head = NULL;
	int64_t total = 0;
	if (store_meta_get(store_reader(s), ar, "audit_head", &head) == 0 && head)
		total = strtoll(head, NULL, 10);
	audit_report_t rep = { 0 };
	rc = audit_verify(store_reader(s), &rep, verify_progress, &total);
	if (rc == 0) {
		printf("audit log intact in PostgreSQL: %lld records verified\n", (long long)rep.records);
		rc = EXIT_OK;
	} else if (rc == PA_ECONFLICT) {
		printf("audit log BROKEN at record %lld after the copy: %s\n", (long long)rep.first_bad,
		       rep.reason);
		rc = EXIT_FAIL;
	} else {
		fprintf(stderr, "pingan: could not read the copied audit log (%s)\n", pa_strerror(rc));
		rc = EXIT_FAIL;
	}
	arena_free(ar);
	store_close(s);
	return rc;
}
