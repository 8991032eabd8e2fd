/*
 * cmd_export.c — `pingan export`: cases as CSV or XLSX (docs/exports.md).
 *
 * The operator of the data directory sees every case (a system principal);
 * the export is audited with the actor "cli".  CSV goes to --out or to
 * standard output as it is read, one page at a time, so memory stays flat
 * however many rows; XLSX needs a file.  A progress bar shows on a terminal
 * (stderr), nothing otherwise.
 *
 * `pingan export indicators` writes the indicator table of a query (the
 * parameters of GET /api/v1/indicators) the same way, as the operator: every
 * unit's numbers.
 */
#include "base/common.h"
#include "cli/cli.h"
#include "core/export.h"
#include "core/indicators.h"
#include "core/workflow.h"

#include <stdio.h>
#include <stdlib.h>

static const cli_opt_t export_opts[] = {
	{ "format", 'f', true, "csv (default) or xlsx" },
	{ "out", 'o', true, "output file (CSV: default standard output; XLSX: required)" },
	{ "q", 'q', true, "only cases matching this search (docs/search.md)" },
	{ "type", 0, true, "only this case type" },
	{ "state", 0, true, "only cases in this state" },
	{ "open", 0, true, "true, false or any (default)" },
	{ "overdue", 0, true, "true, false or any (default)" },
	{ "unmask", 0, false, "personal data in clear (audited)" },
	{ "lang", 0, true, "zh-CN (default) or en: headers and labels" },
};

static int tri(const char *v, int *out)
{
	if (!v || streq(v, "any"))
		*out = -1;
	else if (streq(v, "true"))
		*out = 1;
	else if (streq(v, "false"))
		*out = 0;
	else
		return -1;
	return 0;
}

struct progress {
	export_job_t *job;
	int last;  /* per mille shown */
};

static void show(struct progress *pg, bool end)
{
	int64_t rows, total;
	export_progress(pg->job, &rows, &total);
	if (total <= 0)
		return;
	int pm = end ? 1000 : (int)(rows * 1000 / total);
	if (pm > 1000)
		pm = 1000;
	if (pm == pg->last)
		return;
	pg->last = pm;
	cli_progress("exporting", pm / 1000.0);
}

/* ---- pingan export indicators ------------------------------------------------------------ */

static const cli_opt_t ind_opts[] = {
	{ "format", 'f', true, "csv (default) or xlsx" },
	{ "out", 'o', true, "output file (CSV: default standard output; XLSX: required)" },
	{ "from", 0, true, "first registration day, YYYY-MM-DD (default: 1st of the month 11 months back)" },
	{ "to", 0, true, "last registration day, YYYY-MM-DD (default: today)" },
	{ "type", 0, true, "case types, comma-separated" },
	{ "category", 0, true, "categories, comma-separated" },
	{ "org", 0, true, "a unit id: that unit and the units under it" },
	{ "street", 0, true, "a street id" },
	{ "enterprise", 0, true, "true or false: enterprise-related cases only, or none" },
	{ "group-by", 0, true, "type, category, org, street or month" },
	{ "campaign", 0, true, "a campaign id: its period, types, categories and units" },
	{ "lang", 0, true, "zh-CN (default) or en: headers and labels" },
};

static int split_names(arena_t *a, const char *v, const char **out, size_t *n)
{
	*n = 0;
	if (!v)
		return 0;
	char *copy = arena_strdup(a, v);
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == IND_MAX_LIST)
			return -1;
		out[(*n)++] = t;
	}
	return 0;
}

static int id_arg(const char *v, int64_t *out)
{
	*out = 0;
	if (!v)
		return 0;
	char *end;
	long long x = strtoll(v, &end, 10);
	if (*v == '\0' || *end || x <= 0)
		return -1;
	*out = x;
	return 0;
}

static void ind_show(void *ctx, int64_t done, int64_t total)
{
	(void)ctx;
	cli_progress("exporting", total > 0 ? (double)done / (double)total : 1.0);
}

static int export_indicators_cmd(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv,
	                   "usage: pingan export indicators [--format csv|xlsx] [--out FILE] "
	                   "[--from D] [--to D] [--type T,..] [--category C,..] [--org ID] [--street ID] "
	                   "[--enterprise B] [--group-by G] [--campaign ID] [--lang L]",
	                   ind_opts, ARRAY_SIZE(ind_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	export_format_t format;
	const char *fmt = cli_get(&a, "format");
	if (!fmt || streq(fmt, "csv"))
		format = EXPORT_CSV;
	else if (streq(fmt, "xlsx"))
		format = EXPORT_XLSX;
	else {
		fprintf(stderr, "pingan: --format must be csv or xlsx\n");
		return EXIT_USAGE;
	}
	const char *out = cli_get(&a, "out");
	if (format == EXPORT_XLSX && (!out || streq(out, "-"))) {
		fprintf(stderr, "pingan: an XLSX export needs --out FILE\n");
		return EXIT_USAGE;
	}
	const char *lang = cli_get(&a, "lang");
	if (lang && !streq(lang, "zh-CN") && !streq(lang, "en")) {
		fprintf(stderr, "pingan: --lang must be zh-CN or en\n");
		return EXIT_USAGE;
	}
	int64_t org, street, campaign;
	if (id_arg(cli_get(&a, "org"), &org) < 0 || id_arg(cli_get(&a, "street"), &street) < 0 ||
	    id_arg(cli_get(&a, "campaign"), &campaign) < 0) {
		fprintf(stderr, "pingan: --org, --street and --campaign take a positive id\n");
		return EXIT_USAGE;
	}
	int enterprise;
	if (tri(cli_get(&a, "enterprise"), &enterprise) < 0) {
		fprintf(stderr, "pingan: --enterprise takes true, false or any\n");
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	pa_app_t app;
	if ((rc = cli_open_app(&a, &cfg, &app, 0)) != 0)
		return rc;
	pa_err_t err = { 0 };
	arena_t *ar = arena_new();
	strbuf_t csv = STRBUF_INIT;
	int status = EXIT_OK;
	ind_query_t q = { .enterprise = enterprise };
	if (campaign) {
		pa_campaign_t cp;
		if ((rc = campaign_get(&app, ar, campaign, &cp, &err)) < 0 ||
		    (rc = campaign_query(&app, ar, &cp, &q, &err)) < 0) {
			cli_error(&err);
			status = rc == PA_ENOTFOUND ? EXIT_USAGE : EXIT_FAIL;
			goto out;
		}
		q.enterprise = enterprise;
	} else {
		const char *from = cli_get(&a, "from"), *to = cli_get(&a, "to");
		q.to_day = ind_day_of(&app, pa_now());
		if ((to && ind_parse_day(to, &q.to_day) < 0) ||
		    (from && ind_parse_day(from, &q.from_day) < 0)) {
			fprintf(stderr, "pingan: --from and --to take YYYY-MM-DD\n");
			status = EXIT_USAGE;
			goto out;
		}
		if (!from)
			q.from_day = ind_default_from(q.to_day);
		if (split_names(ar, cli_get(&a, "type"), q.types, &q.ntypes) < 0 ||
		    split_names(ar, cli_get(&a, "category"), q.categories, &q.ncategories) < 0) {
			fprintf(stderr, "pingan: --type and --category take at most %d names\n", IND_MAX_LIST);
			status = EXIT_USAGE;
			goto out;
		}
		for (size_t i = 0; i < q.ntypes; i++)
			if (!wf_registry_find(app.wf, q.types[i])) {
				fprintf(stderr, "pingan: unknown case type '%s'\n", q.types[i]);
				status = EXIT_USAGE;
				goto out;
			}
	}
	q.org_id = org;
	q.street_id = street;
	q.group_by = cli_get(&a, "group-by");
	export_ind_spec_t spec = { .format = format, .query = &q, .lang = lang,
		                       .csv = &csv, .xlsx_path = out, .progress = ind_show };
	pa_principal_t sys = { .kind = PRINCIPAL_SYSTEM };
	int64_t rows = 0;
	if ((rc = export_indicators(&app, ar, &sys, "cli", &spec, &rows, &err)) < 0) {
		cli_error(&err);
		status = rc == PA_EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	if (format == EXPORT_CSV) {
		FILE *fp = out && !streq(out, "-") ? fopen(out, "wb") : stdout;
		if (!fp) {
			perror(out);
			status = EXIT_FAIL;
			goto out;
		}
		bool ok = fwrite(csv.buf, 1, csv.len, fp) == csv.len;
		if (fflush(fp) != 0)
			ok = false;
		if (fp != stdout && fclose(fp) != 0)
			ok = false;
		if (!ok) {
			perror(out ? out : "stdout");
			status = EXIT_FAIL;
			goto out;
		}
	}
	fprintf(stderr, "exported %lld indicator rows\n", (long long)rows);
out:
	strbuf_release(&csv);
	arena_free(ar);
	app_close(&app);
	config_free(&cfg);
	return status;
}

int cmd_export(int argc, char **argv)
{
	if (argc > 1 && streq(argv[1], "indicators"))
		return export_indicators_cmd(argc - 1, argv + 1);
	cli_args_t a;
	int rc = cli_parse(argc, argv,
	                   "usage: pingan export [--format csv|xlsx] [--out FILE] [--q TEXT] [--type T] "
	                   "[--state S] [--open B] [--overdue B] [--unmask] [--lang L]",
	                   export_opts, ARRAY_SIZE(export_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	export_spec_t spec = { .filter = { .open = -1, .overdue = -1 }, .count = true };
	const char *format = cli_get(&a, "format");
	if (!format || streq(format, "csv"))
		spec.format = EXPORT_CSV;
	else if (streq(format, "xlsx"))
		spec.format = EXPORT_XLSX;
	else {
		fprintf(stderr, "pingan: --format must be csv or xlsx\n");
		return EXIT_USAGE;
	}
	const char *out = cli_get(&a, "out");
	if (spec.format == EXPORT_XLSX && (!out || streq(out, "-"))) {
		fprintf(stderr, "pingan: an XLSX export needs --out FILE\n");
		return EXIT_USAGE;
	}
	if (tri(cli_get(&a, "open"), &spec.filter.open) < 0 ||
	    tri(cli_get(&a, "overdue"), &spec.filter.overdue) < 0) {
		fprintf(stderr, "pingan: --open and --overdue take true, false or any\n");
		return EXIT_USAGE;
	}
	const char *lang = cli_get(&a, "lang");
	if (lang && !streq(lang, "zh-CN") && !streq(lang, "en")) {
		fprintf(stderr, "pingan: --lang must be zh-CN or en\n");
		return EXIT_USAGE;
	}
	spec.lang = lang;
	spec.query = cli_get(&a, "q");
	spec.filter.type = cli_get(&a, "type");
	spec.filter.state = cli_get(&a, "state");
	spec.unmask = cli_has(&a, "unmask");

	pa_config_t cfg;
	pa_app_t app;
	if ((rc = cli_open_app(&a, &cfg, &app, 0)) != 0)
		return rc;
	pa_err_t err = { 0 };
	int status = EXIT_OK;
	export_job_t *job = NULL;
	FILE *fp = NULL;
	if (spec.filter.type && !wf_registry_find(app.wf, spec.filter.type)) {
		fprintf(stderr, "pingan: unknown case type '%s'\n", spec.filter.type);
		status = EXIT_USAGE;
		goto out;
	}
	pa_principal_t sys = { .kind = PRINCIPAL_SYSTEM };
	if ((rc = export_open(&app, &sys, "cli", &spec, &job, &err)) < 0) {
		cli_error(&err);
		status = rc == PA_EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	struct progress pg = { job, -1 };
	bool complete = false;
	if (spec.format == EXPORT_XLSX) {
		rc = export_xlsx_write(job, out);
		complete = rc == 0;
	} else {
		fp = out && !streq(out, "-") ? fopen(out, "wb") : stdout;
		if (!fp) {
			perror(out);
			status = EXIT_FAIL;
			goto out;
		}
		static char buf[256 * 1024];
		int64_t n;
		while ((n = export_csv_read(job, buf, sizeof(buf))) > 0) {
			if (fwrite(buf, 1, (size_t)n, fp) != (size_t)n) {
				perror(out ? out : "stdout");
				rc = PA_EIO;
				break;
			}
			show(&pg, false);
		}
		if (n < 0)
			rc = (int)n;
		if (fflush(fp) != 0 && rc == 0)
			rc = PA_EIO;
		complete = rc == 0;
	}
	if (rc < 0) {
		if (export_error(job)->code)
			cli_error(export_error(job));
		status = EXIT_FAIL;
	} else {
		show(&pg, true);
		int64_t rows, total;
		export_progress(job, &rows, &total);
		fprintf(stderr, "exported %lld cases\n", (long long)rows);
	}
	if (export_close(job, complete) < 0)
		status = EXIT_FAIL;
	job = NULL;
out:
	if (fp && fp != stdout)
		fclose(fp);
	export_close(job, false);
	app_close(&app);
	config_free(&cfg);
	return status;
}
