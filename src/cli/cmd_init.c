/*
 * cmd_init.c — `pingan init`, `pingan migrate`, `pingan seed`.
 */
#include "base/common.h"
#include "cli/cli.h"
#include "core/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static char *dirname_of(const char *path)
{
	char *d = xstrdup(path);
	char *slash = strrchr(d, '/');
	if (slash && slash != d)
		*slash = '\0';
	else if (slash)
		d[1] = '\0';
	else {
		free(d);
		d = xstrdup(".");
	}
	return d;
}

static void make_password(char out[32])
{
	char hex[13];
	random_hex(hex, 6);
	snprintf(out, 32, "Pa%s", hex);
}

static const cli_opt_t init_opts[] = {
	{ "demo", 0, false, "create the demo district and staff (passwords from PINGAN_ADMIN_PASSWORD / PINGAN_DEMO_PASSWORD, else generated and printed)" },
};

/* init on PostgreSQL: refuses a database that holds a Pingan schema already. */
static int pg_database_used(pa_config_t *cfg)
{
	store_options_t so = { .path = cfg->database, .pool_size = 1 };
	store_t *s = NULL;
	pa_err_t err = { 0 };
	if (store_open(&so, &s, &err) < 0) {
		cli_error(&err);
		return -1;
	}
	int version = 0;
	store_schema_version(s, &version);
	store_close(s);
	if (version > 0) {
		fprintf(stderr, "pingan: the PostgreSQL database holds a Pingan schema already (version %d); "
		                "nothing changed.\nUse 'pingan migrate' to upgrade it.\n", version);
		return -1;
	}
	return 0;
}

int cmd_init(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, "usage: pingan init --data DIR [--demo]", init_opts,
	                   ARRAY_SIZE(init_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	pa_err_t err = { 0 };
	struct stat st;
	bool pg = store_is_url(cfg.database);
	if (pg && pg_database_used(&cfg) != 0) {
		config_free(&cfg);
		return EXIT_FAIL;
	}
	if (!pg && stat(cfg.database, &st) == 0) {
		fprintf(stderr, "pingan: %s already holds a database (%s); nothing changed.\n"
		                "Use 'pingan migrate' to upgrade it, or choose another --data.\n",
		        cfg.data_dir, cfg.database);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	char *keys_dir = dirname_of(cfg.keys_file);
	char *db_dir = dirname_of(pg ? cfg.keys_file : cfg.database);
	if (mkdir_p(cfg.data_dir, 0750) < 0 || mkdir_p(keys_dir, 0700) < 0 || mkdir_p(db_dir, 0750) < 0 ||
	    mkdir_p(cfg.attachments_dir, 0750) < 0) {
		fprintf(stderr, "pingan: cannot create %s: %s\n", cfg.data_dir, strerror(errno));
		free(keys_dir);
		free(db_dir);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	free(keys_dir);
	free(db_dir);
	if (stat(cfg.keys_file, &st) != 0 && !(cfg.keys && *cfg.keys)) {
		if ((rc = crypto_init()) < 0 || (rc = keys_generate_file(cfg.keys_file, &err)) < 0) {
			cli_error(&err);
			config_free(&cfg);
			return EXIT_FAIL;
		}
		printf("created key file %s (keep it secret and back it up: without it personal data cannot be read)\n",
		       cfg.keys_file);
	}
	char conf_path[4096];
	snprintf(conf_path, sizeof(conf_path), "%s/pingan.yaml", cfg.data_dir);
	if (stat(conf_path, &st) != 0) {
		strbuf_t t = STRBUF_INIT;
		config_write_template(&t);
		FILE *f = fopen(conf_path, "wx");
		if (f) {
			fwrite(t.buf, 1, t.len, f);
			fclose(f);
		}
		strbuf_release(&t);
	}
	pa_app_t app;
	if ((rc = app_open(&app, &cfg, APP_MIGRATE, &err)) < 0) {
		cli_error(&err);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	printf("created database %s\n", pg ? "(PostgreSQL)" : cfg.database);
	if (cli_has(&a, "demo")) {
		char admin_pw[32], staff_pw[32];
		const char *env_admin = getenv("PINGAN_ADMIN_PASSWORD");
		const char *env_staff = getenv("PINGAN_DEMO_PASSWORD");
		make_password(admin_pw);
		make_password(staff_pw);
		const char *apw = env_admin && *env_admin ? env_admin : admin_pw;
		const char *spw = env_staff && *env_staff ? env_staff : staff_pw;
		if ((rc = demo_seed(&app, apw, spw, &err)) < 0) {
			cli_error(&err);
			app_close(&app);
			config_free(&cfg);
			return EXIT_FAIL;
		}
		printf("created the demo district with %zu staff accounts:\n", demo_nusers);
		for (size_t i = 0; i < demo_nusers; i++)
			printf("  %-11s %-8s %s @ %s\n", demo_users[i].username, demo_users[i].display_name,
			       demo_users[i].roles, demo_users[i].org_code);
		printf("password of admin: %s\n", env_admin && *env_admin ? "(from PINGAN_ADMIN_PASSWORD)" : admin_pw);
		printf("password of the other demo staff: %s\n",
		       env_staff && *env_staff ? "(from PINGAN_DEMO_PASSWORD)" : staff_pw);
	}
	app_close(&app);
	config_free(&cfg);
	return EXIT_OK;
}

int cmd_migrate(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, "usage: pingan migrate [--data DIR]", NULL, 0, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	pa_err_t err = { 0 };
	store_options_t so = { .path = cfg.database, .busy_timeout_ms = 5000 };
	store_t *s = NULL;
	struct stat st;
	if (!store_is_url(cfg.database) && stat(cfg.database, &st) != 0) {
		fprintf(stderr, "pingan: no database at %s (run 'pingan init --data %s')\n", cfg.database, cfg.data_dir);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	int from = 0, to = 0;
	if ((rc = store_open(&so, &s, &err)) < 0 || (rc = store_migrate(s, &from, &to, &err)) < 0) {
		cli_error(&err);
		if (s)
			store_close(s);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	if (from == to)
		printf("schema is up to date (version %d)\n", to);
	else
		printf("migrated schema from version %d to %d\n", from, to);
	store_close(s);
	config_free(&cfg);
	return EXIT_OK;
}

static void seed_progress(double f)
{
	cli_progress("generating", f);
}

static const cli_opt_t seed_opts[] = {
	{ "cases", 'n', true, "number of petitions to generate (default 1000)" },
	{ "seed", 0, true, "random seed (default fixed, so runs are repeatable)" },
};

int cmd_seed(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, "usage: pingan seed [--data DIR] [--cases N]", seed_opts,
	                   ARRAY_SIZE(seed_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	long long n = 1000, seed = 0;
	char *end;
	if (cli_has(&a, "cases")) {
		n = strtoll(cli_get(&a, "cases"), &end, 10);
		if (*end || n < 1 || n > 100000000) {
			fprintf(stderr, "pingan: --cases must be 1..100000000\n");
			return EXIT_USAGE;
		}
	}
	if (cli_has(&a, "seed")) {
		seed = strtoll(cli_get(&a, "seed"), &end, 10);
		if (*end || seed < 0 || seed > UINT32_MAX) {
			fprintf(stderr, "pingan: --seed must be 0..4294967295\n");
			return EXIT_USAGE;
		}
	}
	pa_config_t cfg;
	pa_app_t app;
	if ((rc = cli_open_app(&a, &cfg, &app, 0)) != 0)
		return rc;
	pa_err_t err = { 0 };
	int64_t t0 = pa_mono_us();
	rc = demo_generate(&app, n, (uint32_t)seed, seed_progress, &err);
	if (rc < 0)
		cli_error(&err);
	else
		printf("generated %lld cases in %.1f s\n", n, (double)(pa_mono_us() - t0) / 1e6);
	app_close(&app);
	config_free(&cfg);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}
