/*
 * cli.c — the command table and shared option handling.
 */
#include "base/common.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct command {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "serve", cmd_serve, "serve the API and web assets" },
	{ "init", cmd_init, "create a data directory (with --demo: a demo district)" },
	{ "migrate", cmd_migrate, "apply pending database migrations" },
	{ "seed", cmd_seed, "generate realistic cases of every type (for benchmarks)" },
	{ "user", cmd_user, "staff accounts: add, list, passwd, disable, enable" },
	{ "org", cmd_org, "the org tree: list, add" },
	{ "audit", cmd_audit, "the audit log: verify, tail" },
	{ "backup", cmd_backup, "take a consistent online backup" },
	{ "restore", cmd_restore, "restore a backup (server stopped)" },
	{ "copy", cmd_copy, "copy a SQLite database into PostgreSQL, verified" },
	{ "calendar", cmd_calendar, "working-day calendars: check a file, compute a due time" },
	{ "workflow", cmd_workflow, "case-type definitions: check, show" },
	{ "outbox", cmd_outbox, "notifications: list, show, retry dead ones" },
	{ "export", cmd_export, "cases (or `export indicators`: indicator tables) as CSV or XLSX, audited" },
	{ "config", cmd_config, "list every setting with its default" },
	{ "version", cmd_version, "print the version" },
	{ "doc", cmd_doc, "document templates: render (with sample data), check, list" },
};

static const cli_opt_t common_opts[] = {
	{ "data", 'd', true, "data directory (default ./var; env PINGAN_DATA)" },
	{ "config", 'c', true, "configuration file (default <data>/pingan.yaml if present)" },
	{ "db", 0, true, "database: a SQLite file or a postgresql:// URL (default <data>/pingan.db; env PINGAN_DB)" },
	{ "help", 'h', false, "show this help" },
};

static void usage_main(FILE *f)
{
	fprintf(f, "usage: pingan <command> [options]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nRun 'pingan <command> --help' for a command's options.\n"
	           "Exit codes: 0 ok, 1 failed, 2 bad usage, 3 bad configuration.\n");
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (streq(argv[1], "--help") || streq(argv[1], "-h") || streq(argv[1], "help")) {
		usage_main(stdout);
		return EXIT_OK;
	}
	if (streq(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pingan: '%s' is not a pingan command. See 'pingan --help'.\n", argv[1]);
	return EXIT_USAGE;
}

static void print_opts(FILE *f, const cli_opt_t *opts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char left[64];
		if (opts[i].shortname)
			snprintf(left, sizeof(left), "-%c, --%s%s", opts[i].shortname, opts[i].name,
			         opts[i].has_arg ? " VALUE" : "");
		else
			snprintf(left, sizeof(left), "    --%s%s", opts[i].name, opts[i].has_arg ? " VALUE" : "");
		fprintf(f, "  %-28s %s\n", left, opts[i].help);
	}
}

static void usage(FILE *f, const char *text, const cli_opt_t *opts, size_t n)
{
	fprintf(f, "%s\nOptions:\n", text);
	print_opts(f, opts, n);
	print_opts(f, common_opts, ARRAY_SIZE(common_opts));
}

static const cli_opt_t *find_opt(const cli_opt_t *opts, size_t n, const char *name, char s, size_t *idx)
{
	for (size_t i = 0; i < n; i++)
		if ((name && streq(opts[i].name, name)) || (s && opts[i].shortname == s)) {
			*idx = i;
			return &opts[i];
		}
	return NULL;
}

int cli_parse(int argc, char **argv, const char *text, const cli_opt_t *opts, size_t nopts,
              cli_args_t *out)
{
	cli_opt_t all[32];
	size_t n = 0;
	for (size_t i = 0; i < nopts && n < 29; i++)
		all[n++] = opts[i];
	for (size_t i = 0; i < ARRAY_SIZE(common_opts); i++)
		all[n++] = common_opts[i];
	memset(out, 0, sizeof(*out));
	static cli_opt_t saved[32];
	memcpy(saved, all, sizeof(all));
	out->opts = saved;
	out->nopts = n;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const cli_opt_t *o = NULL;
		size_t idx = 0;
		const char *val = NULL;
		if (streq(a, "--")) {
			for (i++; i < argc && out->npos < ARRAY_SIZE(out->pos); i++)
				out->pos[out->npos++] = argv[i];
			break;
		}
		if (a[0] == '-' && a[1] == '-' && a[2]) {
			char name[64];
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			if (len >= sizeof(name))
				len = sizeof(name) - 1;
			memcpy(name, a + 2, len);
			name[len] = '\0';
			o = find_opt(all, n, name, 0, &idx);
			if (eq)
				val = eq + 1;
		} else if (a[0] == '-' && a[1] && !a[2]) {
			o = find_opt(all, n, NULL, a[1], &idx);
		} else {
			if (out->npos >= ARRAY_SIZE(out->pos)) {
				fprintf(stderr, "pingan: too many arguments\n");
				return EXIT_USAGE;
			}
			out->pos[out->npos++] = a;
			continue;
		}
		if (!o) {
			fprintf(stderr, "pingan: unknown option '%s'\n\n", a);
			usage(stderr, text, opts, nopts);
			return EXIT_USAGE;
		}
		if (streq(o->name, "help")) {
			usage(stdout, text, opts, nopts);
			return -1;
		}
		if (o->has_arg && !val) {
			if (i + 1 >= argc) {
				fprintf(stderr, "pingan: option '--%s' needs a value\n", o->name);
				return EXIT_USAGE;
			}
			val = argv[++i];
		} else if (!o->has_arg && val) {
			fprintf(stderr, "pingan: option '--%s' takes no value\n", o->name);
			return EXIT_USAGE;
		}
		out->seen[idx] = true;
		out->values[idx] = val ? val : "";
	}
	return 0;
}

const char *cli_get(const cli_args_t *a, const char *name)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (streq(a->opts[i].name, name) && a->seen[i])
			return a->values[i];
	return NULL;
}

bool cli_has(const cli_args_t *a, const char *name)
{
	return cli_get(a, name) != NULL;
}

void cli_error(const pa_err_t *err)
{
	fprintf(stderr, "pingan: %s\n", err->detail[0] ? err->detail : pa_strerror(err->code));
}

int cli_config(const cli_args_t *a, pa_config_t *cfg)
{
	pa_err_t err = { 0 };
	config_init(cfg);
	const char *data = cli_get(a, "data");
	const char *file = cli_get(a, "config");
	int rc = 0;
	if (data && (rc = config_set(cfg, "data", data, "--data", &err)) < 0)
		goto bad;
	/* The environment may move the data directory, which decides the default file. */
	if (!data && getenv("PINGAN_DATA") &&
	    (rc = config_set(cfg, "data", getenv("PINGAN_DATA"), "PINGAN_DATA", &err)) < 0)
		goto bad;
	if (file) {
		if ((rc = config_load_file(cfg, file, &err)) < 0)
			goto bad;
	} else {
		char path[4096];
		snprintf(path, sizeof(path), "%s/pingan.yaml", cfg->data_dir);
		struct stat st;
		if (stat(path, &st) == 0 && (rc = config_load_file(cfg, path, &err)) < 0)
			goto bad;
	}
	if ((rc = config_load_env(cfg, &err)) < 0)
		goto bad;
	if (data && (rc = config_set(cfg, "data", data, "--data", &err)) < 0)
		goto bad;
	if (cli_get(a, "db") && (rc = config_set(cfg, "database", cli_get(a, "db"), "--db", &err)) < 0)
		goto bad;
	if ((rc = config_finalize(cfg, &err)) < 0)
		goto bad;
	return 0;
bad:
	cli_error(&err);
	config_free(cfg);  /* callers return at once on failure */
	return EXIT_CONFIG;
}

int cli_open_app(const cli_args_t *a, pa_config_t *cfg, pa_app_t *app, unsigned flags)
{
	int rc = cli_config(a, cfg);
	if (rc != 0)
		return rc;
	pa_err_t err = { 0 };
	if (app_open(app, cfg, flags, &err) < 0) {
		cli_error(&err);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	return 0;
}

void cli_progress(const char *what, double fraction)
{
	if (!isatty(STDERR_FILENO))
		return;
	if (fraction < 0)
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	int width = 40, done = (int)(fraction * width);
	fprintf(stderr, "\r%-12s [", what);
	for (int i = 0; i < width; i++)
		fputc(i < done ? '#' : '.', stderr);
	fprintf(stderr, "] %3d%%%s", (int)(fraction * 100), fraction >= 1 ? "\n" : "");
	fflush(stderr);
}
