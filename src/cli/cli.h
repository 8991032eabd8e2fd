/*
 * cli.h — `pingan <command>`: one file per command family, one table in
 * cli.c (after git's builtin/ and commands[]).
 *
 * Exit codes scripts can trust: 0 success, 1 the operation failed (e.g.
 * audit chain broken, database unavailable), 2 bad usage (unknown command
 * or option, missing argument), 3 bad configuration or data directory.
 */
#ifndef PA_CLI_H
#define PA_CLI_H

#include "base/common.h"
#include "core/app.h"
#include "core/config.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_CONFIG = 3 };

typedef struct cli_opt {
	const char *name;      /* long name without dashes */
	char shortname;        /* 0 = none */
	bool has_arg;
	const char *help;
} cli_opt_t;

/* Parsed options: values by name, plus positional arguments. */
typedef struct cli_args {
	const cli_opt_t *opts;
	size_t nopts;
	const char *values[32];
	bool seen[32];
	const char *pos[16];
	size_t npos;
} cli_args_t;

/* Parses argv against opts plus the common --data, --config, --help.
 * Prints usage on error and returns EXIT_USAGE; returns -1 after --help. */
int cli_parse(int argc, char **argv, const char *usage, const cli_opt_t *opts, size_t nopts,
              cli_args_t *out);
const char *cli_get(const cli_args_t *a, const char *name);
bool cli_has(const cli_args_t *a, const char *name);

/* Loads configuration: defaults, <data>/pingan.yaml or --config, env, then --data. */
int cli_config(const cli_args_t *a, pa_config_t *cfg);
/* cli_config() and then app_open() with flags; on failure prints why, frees
 * cfg and returns the exit code (EXIT_CONFIG for an app that will not open). */
int cli_open_app(const cli_args_t *a, pa_config_t *cfg, pa_app_t *app, unsigned flags);
/* Prints err to stderr as "pingan: <detail>". */
void cli_error(const pa_err_t *err);
/* Progress bar on a terminal (stderr), nothing otherwise. */
void cli_progress(const char *what, double fraction);

int cmd_serve(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_seed(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_org(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_copy(int argc, char **argv);
int cmd_calendar(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_workflow(int argc, char **argv);
int cmd_outbox(int argc, char **argv);
int cmd_export(int argc, char **argv);

int cmd_doc(int argc, char **argv);

int cli_main(int argc, char **argv);

#endif
