/*
 * cmd_ops.c — `pingan audit`, `backup`, `workflow`, `config`, `version`.
 */
#include "base/common.h"
#include "cli/cli.h"
#include "core/audit.h"
#include "core/docgen.h"
#include "core/calendar.h"

#include <stdio.h>
#include <stdlib.h>

static void audit_progress(int64_t done, void *arg)
{
	int64_t total = *(int64_t *)arg;
	if (total > 0)
		cli_progress("verifying", (double)done / (double)total);
}

/* Issued documents (文书): each file still has the sha256 its row and its
 * audit record name (core/docgen.h).  Databases before schema 2 have none. */
static int verify_documents(pa_app_t *app, const pa_config_t *cfg)
{
	int version = 0;
	if (store_schema_version(app->store, &version) < 0 || version < 2)
		return EXIT_OK;
	docs_report_t rep;
	int rc = docgen_verify(store_reader(app->store), cfg->attachments_dir, &rep);
	if (rc == 0) {
		printf("documents intact: %lld issued documents verified\n", (long long)rep.checked);
		return EXIT_OK;
	}
	if (rc == PA_ECONFLICT) {
		printf("documents BROKEN: %lld of %lld fail; first: %s\n", (long long)rep.bad,
		       (long long)rep.checked, rep.first);
		return EXIT_FAIL;
	}
	fprintf(stderr, "pingan: could not check the documents (%s)\n", pa_strerror(rc));
	return EXIT_FAIL;
}

static const char audit_usage[] = "usage: pingan audit verify [--data DIR]\n"
                                  "       pingan audit tail [--data DIR] [-n N]";
static const cli_opt_t audit_opts[] = {
	{ "lines", 'n', true, "records to show (audit tail; default 20)" },
};

int cmd_audit(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, audit_usage, audit_opts, ARRAY_SIZE(audit_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos != 1 || (!streq(a.pos[0], "verify") && !streq(a.pos[0], "tail"))) {
		fprintf(stderr, "%s\n", audit_usage);
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	pa_app_t app;
	if ((rc = cli_open_app(&a, &cfg, &app, APP_NO_KEYS | APP_NO_DEFS | APP_READ_ONLY)) != 0)
		return rc;
	arena_t *ar = arena_new();
	if (streq(a.pos[0], "verify")) {
		audit_report_t rep = { 0 };
		int64_t total = 0;
		const char *head = NULL;
		if (store_meta_get(store_reader(app.store), ar, "audit_head", &head) == 0 && head)
			total = strtoll(head, NULL, 10);
		rc = audit_verify(store_reader(app.store), &rep, audit_progress, &total);
		if (rc == 0) {
			printf("audit log intact: %lld records verified\n", (long long)rep.records);
			rc = verify_documents(&app, &cfg);
		} else if (rc == PA_ECONFLICT) {
			printf("audit log BROKEN at record %lld: %s\n", (long long)rep.first_bad, rep.reason);
			rc = EXIT_FAIL;
		} else {
			fprintf(stderr, "pingan: could not read the audit log (%s)\n", pa_strerror(rc));
			rc = EXIT_FAIL;
		}
	} else {
		long n = cli_has(&a, "lines") ? strtol(cli_get(&a, "lines"), NULL, 10) : 20;
		if (n < 1 || n > STORE_LIST_MAX)
			n = 20;
		const char *head = NULL;
		int64_t last = 0;
		if (store_meta_get(store_reader(app.store), ar, "audit_head", &head) == 0 && head)
			last = strtoll(head, NULL, 10);
		pa_audit_rec_t *recs;
		size_t cnt;
		if (store_audit_list(store_reader(app.store), ar, last > n ? last - n : 0, (int)n, &recs, &cnt) < 0) {
			fprintf(stderr, "pingan: could not read the audit log\n");
			rc = EXIT_FAIL;
		} else {
			for (size_t i = 0; i < cnt; i++) {
				char t[32];
				pa_time_format(recs[i].at, cfg.utc_offset_min, t);
				printf("%6lld %s %-28s %-18s %-12s %s\n", (long long)recs[i].seq, t, recs[i].actor,
				       recs[i].action, recs[i].object, recs[i].detail ? recs[i].detail : "");
			}
			rc = EXIT_OK;
		}
	}
	arena_free(ar);
	app_close(&app);
	config_free(&cfg);
	return rc;
}

static void backup_progress(double f, void *arg)
{
	cli_progress("backup", f);
}

int cmd_backup(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv,
	                   "usage: pingan backup [--data DIR] FILE\n"
	                   "Copies the database consistently while the server keeps running.\n"
	                   "Back up the key file (keys/pingan.keys) separately: the copy is useless without it.",
	                   NULL, 0, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos != 1) {
		fprintf(stderr, "usage: pingan backup [--data DIR] FILE\n");
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	pa_app_t app;
	if ((rc = cli_open_app(&a, &cfg, &app, APP_NO_KEYS | APP_NO_DEFS)) != 0)
		return rc;
	pa_err_t err = { 0 };
	int64_t t0 = pa_mono_us();
	if (store_backup(app.store, a.pos[0], backup_progress, NULL, &err) < 0) {
		cli_error(&err);
		rc = EXIT_FAIL;
	} else {
		printf("backup written to %s in %.2f s\n", a.pos[0], (double)(pa_mono_us() - t0) / 1e6);
		rc = EXIT_OK;
	}
	app_close(&app);
	config_free(&cfg);
	return rc;
}

/* Categories with their parent, Open311 service code and own limits. */
static void print_categories(const wf_def_t *def)
{
	if (!def->ncategories)
		return;
	printf("\nCategories:\n");
	for (size_t i = 0; i < def->ncategories; i++) {
		const wf_category_t *c = &def->categories[i];
		printf("  %s%-10s %s", c->parent ? "  " : "", c->code, c->label.zh ? c->label.zh : "");
		if (c->service_code)
			printf("  service_code %s", c->service_code);
		if (c->accusation)
			printf("  [accusation]");
		for (size_t k = 0; k < c->ndues; k++)
			printf("  %s: %d %s", c->dues[k].state, c->dues[k].due.amount,
			       due_unit_name(c->dues[k].due.unit));
		printf("\n");
	}
}

static void print_def(const wf_def_t *def, bool dot)
{
	if (dot) {
		printf("digraph \"%s\" {\n  rankdir=LR;\n  node [shape=box, fontname=\"Noto Sans CJK SC\"];\n", def->type);
		for (size_t i = 0; i < def->nstates; i++) {
			const wf_state_t *s = &def->states[i];
			printf("  \"%s\" [label=\"%s\\n%s\"%s];\n", s->name, s->name, s->label.zh ? s->label.zh : "",
			       s->terminal ? ", peripheries=2" : "");
		}
		for (size_t i = 0; i < def->ntransitions; i++) {
			const wf_transition_t *t = &def->transitions[i];
			for (size_t k = 0; k < t->nfrom; k++)
				printf("  \"%s\" -> \"%s\" [label=\"%s\"];\n", t->from[k], t->to, t->name);
		}
		printf("}\n");
		return;
	}
	printf("%s (%s / %s), numbers %s-YYYY-NNNNNN, starts in '%s'\n\nStates:\n", def->type,
	       def->label.zh ? def->label.zh : "", def->label.en ? def->label.en : "", def->number_prefix, def->initial);
	for (size_t i = 0; i < def->nstates; i++) {
		const wf_state_t *s = &def->states[i];
		printf("  %-12s %-10s", s->name, s->label.zh ? s->label.zh : "");
		if (s->has_due)
			printf(" limit %d %s from %s%s%s", s->due.amount, due_unit_name(s->due.unit),
			       s->due.from == WF_FROM_CASE ? "receipt" : "entering", s->due.basis ? " — " : "",
			       s->due.basis ? s->due.basis : "");
		if (s->timeout)
			printf(" (then: %s)", s->timeout);
		if (s->terminal)
			printf(" [terminal]");
		printf("\n");
	}
	printf("\nTransitions:\n");
	for (size_t i = 0; i < def->ntransitions; i++) {
		const wf_transition_t *t = &def->transitions[i];
		printf("  %-15s ", t->name);
		for (size_t k = 0; k < t->nfrom; k++)
			printf("%s%s", k ? "," : "", t->from[k]);
		printf(" -> %s  by ", t->to);
		for (size_t k = 0; k < t->nroles; k++)
			printf("%s%s", k ? "," : "", t->roles[k]);
		if (t->nfields) {
			printf("  fields:");
			for (size_t k = 0; k < t->nfields; k++)
				printf(" %s%s", t->fields[k].name, t->fields[k].required ? "*" : "");
		}
		printf("\n");
	}
	print_categories(def);
}

static const cli_opt_t wf_opts[] = {
	{ "dot", 0, false, "print a Graphviz graph (workflow show)" },
};

int cmd_workflow(int argc, char **argv)
{
	static const char usage[] = "usage: pingan workflow check FILE…\n"
	                            "       pingan workflow show TYPE [--dot]";
	cli_args_t a;
	int rc = cli_parse(argc, argv, usage, wf_opts, ARRAY_SIZE(wf_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos < 2 || (!streq(a.pos[0], "check") && !streq(a.pos[0], "show"))) {
		fprintf(stderr, "%s\n", usage);
		return EXIT_USAGE;
	}
	pa_err_t err = { 0 };
	if (streq(a.pos[0], "check")) {
		rc = EXIT_OK;
		for (size_t i = 1; i < a.npos; i++) {
			wf_def_t *def = NULL;
			if (wf_load_file(a.pos[i], &def, &err) < 0) {
				fprintf(stderr, "%s\n", err.detail);
				rc = EXIT_FAIL;
			} else {
				printf("%s: ok (%s: %zu states, %zu transitions, %zu categories)\n", a.pos[i], def->type,
				       def->nstates, def->ntransitions, def->ncategories);
				wf_def_free(def);
			}
		}
		return rc;
	}
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	wf_registry_t *reg = NULL;
	if (wf_registry_load_dir(cfg.workflows_dir, &reg, &err) < 0) {
		fprintf(stderr, "%s\n", err.detail);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	const wf_def_t *def = wf_registry_find(reg, a.pos[1]);
	if (!def) {
		fprintf(stderr, "pingan: no case type '%s' in %s\n", a.pos[1], cfg.workflows_dir);
		rc = EXIT_FAIL;
	} else {
		print_def(def, cli_has(&a, "dot"));
		rc = EXIT_OK;
	}
	wf_registry_free(reg);
	config_free(&cfg);
	return rc;
}

int cmd_config(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, "usage: pingan config [--template]", (const cli_opt_t[]){
		{ "template", 0, false, "print a commented configuration file" } }, 1, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	strbuf_t out = STRBUF_INIT;
	if (cli_has(&a, "template"))
		config_write_template(&out);
	else
		config_describe(&out);
	fwrite(out.buf, 1, out.len, stdout);
	strbuf_release(&out);
	return EXIT_OK;
}

int cmd_version(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, "usage: pingan version", NULL, 0, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	printf("pingan %s\n", PINGAN_VERSION);
	return EXIT_OK;
}

static void restore_progress(double f, void *arg)
{
	cli_progress("restore", f);
}

static const cli_opt_t restore_opts[] = {
	{ "force", 0, false, "replace an existing database" },
};

int cmd_restore(int argc, char **argv)
{
	static const char usage[] =
		"usage: pingan restore [--data DIR] [--force] FILE\n"
		"Stop the server first. Restores the key file and attachments separately (docs/operations.md).";
	cli_args_t a;
	int rc = cli_parse(argc, argv, usage, restore_opts, ARRAY_SIZE(restore_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos != 1) {
		fprintf(stderr, "%s\n", usage);
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	FILE *f = fopen(cfg.database, "r");
	if (f) {
		fclose(f);
		if (!cli_has(&a, "force")) {
			fprintf(stderr, "pingan: %s exists; add --force to replace it with %s\n", cfg.database, a.pos[0]);
			config_free(&cfg);
			return EXIT_FAIL;
		}
	}
	pa_err_t err = { 0 };
	if (store_restore(a.pos[0], cfg.database, restore_progress, NULL, &err) < 0) {
		cli_error(&err);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	printf("restored %s into %s; run 'pingan audit verify --data %s' to check it\n", a.pos[0],
	       cfg.database, cfg.data_dir);
	config_free(&cfg);
	return EXIT_OK;
}

int cmd_calendar(int argc, char **argv)
{
	static const char usage[] =
		"usage: pingan calendar check FILE…\n"
		"       pingan calendar due START AMOUNT UNIT   (UNIT: calendar_days, working_days, working_hours)\n"
		"       pingan calendar day DATE                (is DATE a working day?)";
	cli_args_t a;
	int rc = cli_parse(argc, argv, usage, NULL, 0, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos < 2 || (!streq(a.pos[0], "check") && !streq(a.pos[0], "due") && !streq(a.pos[0], "day")) ||
	    (streq(a.pos[0], "due") && a.npos != 4) || (streq(a.pos[0], "day") && a.npos != 2)) {
		fprintf(stderr, "%s\n", usage);
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	pa_err_t err = { 0 };
	calendar_t *cal = calendar_new(cfg.utc_offset_min);
	rc = EXIT_OK;
	if (streq(a.pos[0], "check")) {
		for (size_t i = 1; i < a.npos; i++) {
			if (calendar_load_file(cal, a.pos[i], &err) < 0) {
				fprintf(stderr, "%s\n", err.detail);
				rc = EXIT_FAIL;
			} else {
				printf("%s: ok\n", a.pos[i]);
			}
		}
	} else if (calendar_set_working_hours(cal, cfg.working_hours, &err) < 0 ||
	           calendar_load_dir(cal, cfg.calendars_dir, &err) < 0) {
		fprintf(stderr, "%s\n", err.detail);
		rc = EXIT_CONFIG;
	} else if (streq(a.pos[0], "day")) {
		pa_time_t t;
		int y, m, d;
		if (pa_time_parse(a.pos[1], cfg.utc_offset_min, &t) < 0) {
			fprintf(stderr, "pingan: '%s' is not a date (YYYY-MM-DD)\n", a.pos[1]);
			rc = EXIT_USAGE;
		} else {
			calendar_local_date(cal, t, &y, &m, &d);
			printf("%04d-%02d-%02d is %s%s\n", y, m, d,
			       calendar_is_working_day(cal, y, m, d) ? "a working day" : "a day off",
			       calendar_has_year(cal, y) ? "" : " (no calendar file for that year: Monday-Friday assumed)");
		}
	} else {
		pa_time_t start, due;
		due_unit_t unit;
		char *end;
		long amount = strtol(a.pos[2], &end, 10);
		if (pa_time_parse(a.pos[1], cfg.utc_offset_min, &start) < 0 || *end || amount < 0 ||
		    amount > CALENDAR_MAX_AMOUNT || due_unit_parse(a.pos[3], &unit) < 0) {
			fprintf(stderr, "pingan: bad START, AMOUNT (0..%d) or UNIT\n%s\n", CALENDAR_MAX_AMOUNT, usage);
			rc = EXIT_USAGE;
		} else if (calendar_add(cal, start, (int)amount, unit, &due) < 0) {
			fprintf(stderr, "pingan: cannot compute that due time\n");
			rc = EXIT_FAIL;
		} else {
			char s[32], d2[32];
			pa_time_format(start, cfg.utc_offset_min, s);
			pa_time_format(due, cfg.utc_offset_min, d2);
			printf("%s + %ld %s = %s\n", s, amount, due_unit_name(unit), d2);
		}
	}
	calendar_free(cal);
	config_free(&cfg);
	return rc;
}
