/*
 * test_config.c — the settings layers: defaults, file, environment, flags,
 * and every way a value can be refused.
 */
#include "base/common.h"
#include "core/config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

/* Every variable a test may set, unset before and after each test. */
static const char *const test_env[] = {
	"PINGAN_DATA", "PINGAN_DATABASE", "PINGAN_DB", "PINGAN_LISTEN", "PINGAN_THREADS",
	"PINGAN_KEYS", "PINGAN_KEYS_FILE", "PINGAN_LIMITS_MAX_BODY", "PINGAN_LIMITS_MAX_FILE",
	"PINGAN_TIMEZONE", "PINGAN_LOG_LEVEL", "PINGAN_TEST_CLOCK", "PINGAN_INTAKE_ORG",
	"PINGAN_WORKING_HOURS", "PINGAN_SESSION_COOKIE_SECURE", "PINGAN_RATE_QUERY_CODE_PER_MINUTE",
	"PINGAN_BOGUS_SETTING",
};

static void clear_env(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(test_env); i++)
		unsetenv(test_env[i]);
}

static int setup(void **state)
{
	clear_env();
	return 0;
}

static int teardown(void **state)
{
	clear_env();
	return 0;
}

static char *write_file(const char *name, const char *text, size_t len)
{
	char *path = xmalloc(strlen(tmpdir) + strlen(name) + 2);
	snprintf(path, strlen(tmpdir) + strlen(name) + 2, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Loads `text` as the file "pingan.yaml" in the temporary directory. */
static int load_text(pa_config_t *c, const char *text, pa_err_t *err)
{
	char *path = write_file("pingan.yaml", text, strlen(text));
	int rc = config_load_file(c, path, err);
	free(path);
	return rc;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static void assert_config_equal(const pa_config_t *a, const pa_config_t *b)
{
	assert_string_equal(a->data_dir, b->data_dir);
	assert_string_equal(a->database, b->database);
	assert_string_equal(a->listen, b->listen);
	assert_string_equal(a->listen_host, b->listen_host);
	assert_int_equal(a->listen_port, b->listen_port);
	assert_int_equal(a->threads, b->threads);
	assert_int_equal(a->write_threads, b->write_threads);
	assert_string_equal(a->keys_file, b->keys_file);
	assert_string_equal(a->keys, b->keys);
	assert_string_equal(a->share_dir, b->share_dir);
	assert_string_equal(a->workflows_dir, b->workflows_dir);
	assert_string_equal(a->calendars_dir, b->calendars_dir);
	assert_string_equal(a->attachments_dir, b->attachments_dir);
	assert_string_equal(a->timezone, b->timezone);
	assert_int_equal(a->utc_offset_min, b->utc_offset_min);
	assert_string_equal(a->working_hours, b->working_hours);
	assert_int_equal(a->max_body, b->max_body);
	assert_int_equal(a->max_json, b->max_json);
	assert_int_equal(a->max_file, b->max_file);
	assert_int_equal(a->max_files, b->max_files);
	assert_int_equal(a->public_rate, b->public_rate);
	assert_int_equal(a->public_burst, b->public_burst);
	assert_int_equal(a->code_rate, b->code_rate);
	assert_int_equal(a->login_max_failures, b->login_max_failures);
	assert_int_equal(a->login_lockout_s, b->login_lockout_s);
	assert_int_equal(a->session_ttl_s, b->session_ttl_s);
	assert_int_equal(a->cookie_secure, b->cookie_secure);
	assert_int_equal(a->timer_interval_s, b->timer_interval_s);
	assert_string_equal(a->intake_org, b->intake_org);
	assert_string_equal(a->log_level, b->log_level);
	assert_int_equal(a->test_clock, b->test_clock);
	assert_int_equal(a->conn_timeout_s, b->conn_timeout_s);
	assert_int_equal(a->shutdown_grace_ms, b->shutdown_grace_ms);
	assert_int_equal(a->sync_normal, b->sync_normal);
}

static void test_defaults(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_string_equal(c.data_dir, "./var");
	assert_string_equal(c.database, "./var/pingan.db");
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.listen_host, "127.0.0.1");
	assert_int_equal(c.listen_port, 8080);
	assert_int_equal(c.threads, 8);
	assert_int_equal(c.write_threads, 64);
	assert_string_equal(c.keys_file, "./var/keys/pingan.keys");
	assert_string_equal(c.keys, "");
	/* share_dir comes from -DPINGAN_SHARE_DIR, which the build may not pass to tests */
	assert_true(c.share_dir[0] != '\0');
	char want[4200];
	snprintf(want, sizeof(want), "%s%sworkflows", c.share_dir,
	         c.share_dir[strlen(c.share_dir) - 1] == '/' ? "" : "/");
	assert_string_equal(c.workflows_dir, want);
	snprintf(want, sizeof(want), "%s%scalendars", c.share_dir,
	         c.share_dir[strlen(c.share_dir) - 1] == '/' ? "" : "/");
	assert_string_equal(c.calendars_dir, want);
	assert_string_equal(c.attachments_dir, "./var/attachments");
	assert_string_equal(c.timezone, "+08:00");
	assert_int_equal(c.utc_offset_min, 480);
	assert_string_equal(c.working_hours, "09:00-12:00,13:30-17:30");
	assert_int_equal(c.max_body, 25 * 1024 * 1024);
	assert_int_equal(c.max_json, 1024 * 1024);
	assert_int_equal(c.max_file, 10 * 1024 * 1024);
	assert_int_equal(c.max_files, 5);
	assert_int_equal(c.public_rate, 60);
	assert_int_equal(c.public_burst, 20);
	assert_int_equal(c.code_rate, 10);
	assert_int_equal(c.login_max_failures, 5);
	assert_int_equal(c.login_lockout_s, 900);
	assert_int_equal(c.session_ttl_s, 43200);
	assert_false(c.cookie_secure);
	assert_int_equal(c.timer_interval_s, 30);
	assert_string_equal(c.intake_org, "district-xfj");
	assert_string_equal(c.log_level, "info");
	assert_false(c.test_clock);
	assert_int_equal(c.conn_timeout_s, 30);
	assert_int_equal(c.shutdown_grace_ms, 10000);
	assert_false(c.sync_normal);
	assert_null(c.source);
	config_free(&c);
}

static void test_file_nested(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	int rc = load_text(&c,
	                   "# a district's settings\n"
	                   "data: /srv/pingan\n"
	                   "listen: 0.0.0.0:9000\n"
	                   "threads: 8\n"
	                   "timezone: \"-05:30\"\n"
	                   "log_level: debug\n"
	                   "limits:\n"
	                   "  max_body: 50M\n"
	                   "  max_file: 20M\n"
	                   "  max_files: 9\n"
	                   "rate: { public_per_minute: 0, query_code_per_minute: 3 }\n"
	                   "database:\n"
	                   "  path: /srv/db/pingan.db\n"
	                   "  synchronous_normal: yes\n"
	                   "session:\n"
	                   "  cookie_secure: true\n",
	                   &err);
	if (rc)
		fail_msg("%s", err.detail);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_string_equal(c.data_dir, "/srv/pingan");
	assert_string_equal(c.database, "/srv/db/pingan.db");
	assert_true(c.sync_normal);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 9000);
	assert_int_equal(c.threads, 8);
	assert_int_equal(c.utc_offset_min, -330);
	assert_string_equal(c.log_level, "debug");
	assert_int_equal(c.max_body, 50 * 1024 * 1024);
	assert_int_equal(c.max_file, 20 * 1024 * 1024);
	assert_int_equal(c.max_json, 1024 * 1024); /* untouched sibling keeps its default */
	assert_int_equal(c.max_files, 9);
	assert_int_equal(c.public_rate, 0);
	assert_int_equal(c.public_burst, 20);
	assert_int_equal(c.code_rate, 3);
	assert_true(c.cookie_secure);
	assert_string_equal(c.keys_file, "/srv/pingan/keys/pingan.keys");
	assert_string_equal(c.attachments_dir, "/srv/pingan/attachments");
	assert_non_null(c.source);
	assert_contains(c.source, "pingan.yaml");
	config_free(&c);
}

static void test_database_scalar_form(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	assert_int_equal(load_text(&c, "database: /tmp/x.db\n", &err), 0);
	assert_string_equal(c.database, "/tmp/x.db");
	/* the scalar and the mapping form of one key cannot both appear */
	assert_int_equal(load_text(&c, "database: /a.db\ndatabase: {synchronous_normal: true}\n",
	                           &err),
	                 PA_EINVAL);
	assert_contains(err.detail, "duplicate");
	config_free(&c);
}

static void test_empty_files(void **state)
{
	static const char *const texts[] = { "", "# only a comment\n", "---\n", "~\n", "---\n...\n" };
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		pa_config_t c, d;
		pa_err_t err;
		config_init(&c);
		config_init(&d);
		if (load_text(&c, texts[i], &err))
			fail_msg("%zu: %s", i, err.detail);
		assert_int_equal(config_finalize(&c, &err), 0);
		assert_int_equal(config_finalize(&d, &err), 0);
		assert_config_equal(&c, &d);
		config_free(&c);
		config_free(&d);
	}
}

static void test_env_overrides_file(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	assert_int_equal(load_text(&c, "threads: 8\nlimits: {max_body: 50M}\ndata: /from/file\n", &err),
	                 0);
	setenv("PINGAN_THREADS", "4", 1);
	setenv("PINGAN_LIMITS_MAX_BODY", "30M", 1);
	setenv("PINGAN_DB", "/from/env.db", 1);
	setenv("PINGAN_KEYS", "line one\nline two\n", 1);
	setenv("PINGAN_BOGUS_SETTING", "ignored with a warning", 1);
	if (config_load_env(&c, &err))
		fail_msg("%s", err.detail);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.max_body, 30 * 1024 * 1024);
	assert_string_equal(c.data_dir, "/from/file");
	assert_string_equal(c.database, "/from/env.db");
	assert_string_equal(c.keys, "line one\nline two\n");

	/* a flag overrides the environment */
	assert_int_equal(config_set(&c, "threads", "2", "--threads", &err), 0);
	assert_int_equal(c.threads, 2);
	config_free(&c);
}

static void test_env_alias_conflict(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	setenv("PINGAN_DATABASE", "/a.db", 1);
	setenv("PINGAN_DB", "/a.db", 1);
	assert_int_equal(config_load_env(&c, &err), 0);
	assert_string_equal(c.database, "/a.db");
	setenv("PINGAN_DB", "/b.db", 1);
	assert_int_equal(config_load_env(&c, &err), PA_EINVAL);
	assert_string_equal(err.field, "database");
	assert_contains(err.detail, "PINGAN_DB");
	assert_contains(err.detail, "PINGAN_DATABASE");
	config_free(&c);
}

static void test_size_suffixes(void **state)
{
	static const struct {
		const char *text;
		int64_t want; /* -1: refused */
	} cases[] = {
		{ "8192", 8192 },
		{ "512k", 512 * 1024 },
		{ "512K", 512 * 1024 },
		{ "2M", 2 * 1024 * 1024 },
		{ "1G", 1024 * 1024 * 1024 },
		{ "4K", 4096 },
		{ "1023", -1 },          /* below the 4K minimum */
		{ "2G", -1 },            /* above the 1G maximum */
		{ "1T", -1 },
		{ "1.5M", -1 },
		{ "M", -1 },
		{ "", -1 },
		{ "-1M", -1 },
		{ " 1M", -1 },
		{ "1M ", -1 },
		{ "1MB", -1 },
		{ "1m", -1 },
		{ "99999999999999999999", -1 },
		{ "9223372036854775807G", -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c;
		pa_err_t err;
		config_init(&c);
		int rc = config_set(&c, "limits.max_body", cases[i].text, "--max-body", &err);
		if (cases[i].want < 0) {
			if (rc != PA_EINVAL)
				fail_msg("\"%s\" was accepted", cases[i].text);
			assert_string_equal(err.field, "limits.max_body");
			assert_contains(err.detail, "--max-body: limits.max_body: ");
			assert_int_equal(c.max_body, 25 * 1024 * 1024);
		} else {
			if (rc)
				fail_msg("\"%s\": %s", cases[i].text, err.detail);
			assert_int_equal(c.max_body, cases[i].want);
		}
		config_free(&c);
	}
}

static void test_bool_forms(void **state)
{
	static const struct {
		const char *text;
		int want; /* -1: refused */
	} cases[] = {
		{ "true", 1 }, { "yes", 1 }, { "1", 1 }, { "TRUE", 1 }, { "Yes", 1 },
		{ "false", 0 }, { "no", 0 }, { "0", 0 }, { "False", 0 },
		{ "on", -1 }, { "", -1 }, { "2", -1 }, { "truee", -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c;
		pa_err_t err;
		config_init(&c);
		c.cookie_secure = !cases[i].want;
		int rc = config_set(&c, "session.cookie_secure", cases[i].text, NULL, &err);
		if (cases[i].want < 0) {
			assert_int_equal(rc, PA_EINVAL);
			assert_string_equal(err.field, "session.cookie_secure");
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(c.cookie_secure, cases[i].want);
		}
		config_free(&c);
	}
}

/* Each kind of bad value in a file: the message names file:line:col and the key. */
static void test_bad_values_file(void **state)
{
	static const struct {
		const char *yaml;
		const char *key;
		const char *where; /* line:col of the value */
		const char *why;
	} cases[] = {
		{ "threads: many\n", "threads", ":1:10: ", "expected an integer" },
		{ "threads: 0\n", "threads", ":1:10: ", "must be 1..256" },
		{ "threads: 257\n", "threads", ":1:10: ", "must be 1..256" },
		{ "# c\nlimits:\n  max_body: 10X\n", "limits.max_body", ":3:13: ", "byte count" },
		{ "limits:\n  max_files: 101\n", "limits.max_files", ":2:14: ", "0..100" },
		{ "test_clock: maybe\n", "test_clock", ":1:13: ", "true or false" },
		{ "listen: localhost\n", "listen", ":1:9: ", "expected HOST:PORT" },
		{ "listen: \"127.0.0.1:70000\"\n", "listen", ":1:9: ", "0..65535" },
		{ "timezone: \"+8\"\n", "timezone", ":1:11: ", "+HH:MM" },
		{ "log_level: verbose\n", "log_level", ":1:12: ", "debug|info|warn|error" },
		{ "data: \"\"\n", "data", ":1:7: ", "must not be empty" },
		{ "intake_org:\n", "intake_org", ":1:12: ", "must not be empty" },
		{ "data: \"a\\tb\"\n", "data", ":1:7: ", "control character" },
		{ "working_hours: \"17:00-09:00\"\n", "working_hours", ":1:16: ", "HH:MM-HH:MM" },
		{ "rate:\n  query_code_per_minute: 0\n", "rate.query_code_per_minute", ":2:26: ",
		  "1..1000" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c, d;
		pa_err_t err;
		config_init(&c);
		config_init(&d);
		int rc = load_text(&c, cases[i].yaml, &err);
		if (rc != PA_EINVAL)
			fail_msg("%s: accepted", cases[i].yaml);
		assert_string_equal(err.type, "config");
		assert_string_equal(err.field, cases[i].key);
		char want[128];
		snprintf(want, sizeof(want), "pingan.yaml%s%s: ", cases[i].where, cases[i].key);
		assert_contains(err.detail, want);
		assert_contains(err.detail, cases[i].why);
		assert_config_equal(&c, &d); /* a failed load changes nothing */
		assert_null(c.source);
		config_free(&c);
		config_free(&d);
	}
}

/* Each kind of bad value in the environment: the message names the variable. */
static void test_bad_values_env(void **state)
{
	static const struct {
		const char *var, *value, *key, *why;
	} cases[] = {
		{ "PINGAN_THREADS", "0", "threads", "PINGAN_THREADS: must be 1..256" },
		{ "PINGAN_THREADS", "16x", "threads", "PINGAN_THREADS: expected an integer" },
		{ "PINGAN_LIMITS_MAX_BODY", "lots", "limits.max_body", "PINGAN_LIMITS_MAX_BODY: " },
		{ "PINGAN_TEST_CLOCK", "sure", "test_clock", "PINGAN_TEST_CLOCK: expected true" },
		{ "PINGAN_LISTEN", "[::1]", "listen", "PINGAN_LISTEN: expected HOST:PORT" },
		{ "PINGAN_TIMEZONE", "CST", "timezone", "PINGAN_TIMEZONE: expected +HH:MM" },
		{ "PINGAN_LOG_LEVEL", "trace", "log_level", "PINGAN_LOG_LEVEL: must be one of" },
		{ "PINGAN_DATA", "", "data", "PINGAN_DATA: must not be empty" },
		{ "PINGAN_INTAKE_ORG", "a\nb", "intake_org", "PINGAN_INTAKE_ORG: contains a control" },
		{ "PINGAN_WORKING_HOURS", "9-5", "working_hours", "PINGAN_WORKING_HOURS: expected" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c, d;
		pa_err_t err;
		config_init(&c);
		config_init(&d);
		setenv("PINGAN_LISTEN", "127.0.0.1:1234", 1); /* a good value before the bad one */
		setenv(cases[i].var, cases[i].value, 1);
		int rc = config_load_env(&c, &err);
		if (rc != PA_EINVAL)
			fail_msg("%s=%s: accepted", cases[i].var, cases[i].value);
		assert_string_equal(err.type, "config");
		assert_string_equal(err.field, cases[i].key);
		assert_contains(err.detail, cases[i].why);
		assert_config_equal(&c, &d);
		clear_env();
		config_free(&c);
		config_free(&d);
	}
}

static void test_secret_not_echoed(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	setenv("PINGAN_KEYS", "topsecret\001", 1);
	assert_int_equal(config_load_env(&c, &err), PA_EINVAL);
	assert_string_equal(err.field, "keys");
	assert_null(strstr(err.detail, "topsecret"));
	/* other values are quoted back, truncated */
	assert_int_equal(config_set(&c, "threads", "abc", NULL, &err), PA_EINVAL);
	assert_contains(err.detail, "(got \"abc\")");
	config_free(&c);
}

static void test_unknown_keys(void **state)
{
	static const struct {
		const char *yaml, *where, *what;
	} cases[] = {
		{ "listen: 127.0.0.1:1\nthreds: 4\n", ":2:1: ", "unknown setting \"threds\"" },
		{ "limits:\n  max_bodies: 1M\n", ":2:3: ", "unknown setting \"max_bodies\"" },
		{ "limitz:\n  max_body: 1M\n", ":1:1: ", "unknown setting \"limitz\"" },
		{ "limits.max_body: 1M\n", ":1:1: ", "unknown setting" },
		{ "max_body: 1M\n", ":1:1: ", "unknown setting \"max_body\"" },
		{ "data:\n  path: x\n", ":2:3: ", "expected a single value, not a mapping" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c;
		pa_err_t err;
		config_init(&c);
		assert_int_equal(load_text(&c, cases[i].yaml, &err), PA_EINVAL);
		char want[64];
		snprintf(want, sizeof(want), "pingan.yaml%s", cases[i].where);
		assert_contains(err.detail, want);
		assert_contains(err.detail, cases[i].what);
		config_free(&c);
	}
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	assert_int_equal(config_set(&c, "nope", "1", "--nope", &err), PA_EINVAL);
	assert_contains(err.detail, "unknown setting");
	config_free(&c);
}

static void test_bad_structure(void **state)
{
	static const struct {
		const char *yaml, *where, *what;
	} cases[] = {
		{ "threads: 4\nthreads: 5\n", ":2:1: ", "threads: duplicate key" },
		{ "limits: {max_body: 1M}\nlimits: {max_file: 1M}\n", ":2:1: ", "limits: duplicate" },
		{ "limits:\n  max_body: 1M\n  max_body: 2M\n", ":3:3: ", "limits.max_body: duplicate" },
		{ "threads: [1, 2]\n", ":1:10: ", "threads: expected a single value, not a list" },
		{ "listen: {host: x}\n", ":1:9: ", "listen: expected a single value, not a mapping" },
		{ "limits: 5\n", ":1:9: ", "limits: expected a mapping of limits.* settings" },
		{ "limits:\n", ":1:8: ", "expected a mapping" },
		{ "a: &x 4\nthreads: *x\n", ":1:1: ", "unknown setting" },
		{ "threads: &x 4\nlisten: *x\n", ":2:9: ", "not an alias" },
		{ "- threads\n", ":1:1: ", "expected a mapping of settings, not a list" },
		{ "just text\n", ":1:1: ", "expected a mapping of settings" },
		{ "? [a]\n: 1\n", ":1:3: ", "expected a setting name, not a list" },
		{ "threads: 4\n---\nthreads: 5\n", ":2:1: ", "only one YAML document" },
		{ "threads: 4\nlisten: a: b\n", ":2:10: ", "mapping values are not allowed" },
		{ "listen: \"unterminated\n", ":2:1: ", "" },
		{ "threads: \"1\\06\"\n", ":1:10: ", "NUL" },
		{ "\"lis\\0ten\": 1\n", ":1:1: ", "unknown setting" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c;
		pa_err_t err;
		config_init(&c);
		int rc = load_text(&c, cases[i].yaml, &err);
		if (rc != PA_EINVAL)
			fail_msg("%zu: %s: rc %d", i, cases[i].yaml, rc);
		char want[64];
		snprintf(want, sizeof(want), "pingan.yaml%s", cases[i].where);
		assert_contains(err.detail, want);
		assert_contains(err.detail, cases[i].what);
		config_free(&c);
	}
}

static void test_file_limits(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);

	size_t n = CONFIG_FILE_MAX + 1;
	char *big = xmalloc(n);
	memset(big, '#', n);
	big[n - 1] = '\n';
	char *path = write_file("big.yaml", big, n);
	assert_int_equal(config_load_file(&c, path, &err), PA_ETOOLARGE);
	assert_contains(err.detail, "larger than");
	assert_int_equal(config_load_buffer(&c, big, n, "buf", &err), PA_ETOOLARGE);
	free(path);
	/* exactly the limit is fine: a comment */
	path = write_file("max.yaml", big + 1, n - 1);
	assert_int_equal(config_load_file(&c, path, &err), 0);
	free(path);
	free(big);

	char *missing = xmalloc(strlen(tmpdir) + 16);
	snprintf(missing, strlen(tmpdir) + 16, "%s/missing.yaml", tmpdir);
	assert_int_equal(config_load_file(&c, missing, &err), PA_ENOTFOUND);
	assert_contains(err.detail, "missing.yaml");
	free(missing);
	assert_int_not_equal(config_load_file(&c, tmpdir, &err), 0); /* a directory */

	/* a long file name is shortened from the left, keeping line:column */
	char longname[400];
	memset(longname, 'd', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname + sizeof(longname) - 13, "/pingan.yaml", 12);
	assert_int_equal(config_load_buffer(&c, "threads: 0\n", 11, longname, &err), PA_EINVAL);
	assert_contains(err.detail, "ddd/pingan.yaml:1:10: threads: must be 1..256");

	/* UTF-16 is not silently decoded; invalid UTF-8 is refused */
	assert_int_equal(config_load_buffer(&c, "\xff\xfet\0h\0", 6, "u16", &err), PA_EINVAL);
	assert_int_equal(config_load_buffer(&c, "intake_org: \xc3\x28\n", 15, "bad", &err),
	                 PA_EINVAL);
	config_free(&c);
}

static void test_listen_forms(void **state)
{
	static const struct {
		const char *text, *host;
		int port; /* -1: refused */
	} cases[] = {
		{ "127.0.0.1:8080", "127.0.0.1", 8080 },
		{ "0.0.0.0:65535", "0.0.0.0", 65535 },
		{ "localhost:0", "localhost", 0 },
		{ "pingan.example.gov.cn:443", "pingan.example.gov.cn", 443 },
		{ "[::1]:8080", "::1", 8080 },
		{ "[::]:80", "::", 80 },
		{ "[2001:db8::1]:9000", "2001:db8::1", 9000 },
		{ "[::ffff:192.0.2.1]:1", "::ffff:192.0.2.1", 1 },
		{ "::1:8080", NULL, -1 },
		{ "[::1]", NULL, -1 },
		{ "[::1]8080", NULL, -1 },
		{ "[::1]:", NULL, -1 },
		{ "[]:80", NULL, -1 },
		{ "[zz::1]:80", NULL, -1 },
		{ "[127.0.0.1]:80", NULL, -1 },
		{ "host:", NULL, -1 },
		{ ":8080", NULL, -1 },
		{ "host:http", NULL, -1 },
		{ "host:65536", NULL, -1 },
		{ "host:-1", NULL, -1 },
		{ "host:+80", NULL, -1 },
		{ "host:000080", NULL, -1 },
		{ "256.0.0.1:80", NULL, -1 },
		{ "bad_host:80", NULL, -1 },
		{ "-bad:80", NULL, -1 },
		{ "a..b:80", NULL, -1 },
		{ "host name:80", NULL, -1 },
		{ "", NULL, -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c;
		pa_err_t err;
		config_init(&c);
		int rc = config_set(&c, "listen", cases[i].text, "--listen", &err);
		if (cases[i].port < 0) {
			if (rc != PA_EINVAL)
				fail_msg("\"%s\" was accepted", cases[i].text);
			assert_string_equal(err.field, "listen");
			assert_contains(err.detail, "--listen: listen: ");
			assert_string_equal(c.listen, "127.0.0.1:8080");
			assert_string_equal(c.listen_host, "127.0.0.1");
		} else {
			if (rc)
				fail_msg("\"%s\": %s", cases[i].text, err.detail);
			assert_int_equal(config_finalize(&c, &err), 0);
			assert_string_equal(c.listen, cases[i].text);
			assert_string_equal(c.listen_host, cases[i].host);
			assert_int_equal(c.listen_port, cases[i].port);
		}
		config_free(&c);
	}
}

static void test_timezone_forms(void **state)
{
	static const struct {
		const char *text;
		int offset;
		bool ok;
	} cases[] = {
		{ "+08:00", 480, true }, { "-05:30", -330, true }, { "UTC", 0, true },
		{ "+00:00", 0, true },   { "-00:00", 0, true },    { "+05:45", 345, true },
		{ "+14:00", 840, true }, { "-12:00", -720, true },
		{ "8", 0, false },       { "+8:00", 0, false },    { "+08:60", 0, false },
		{ "+15:00", 0, false },  { "-12:30", 0, false },   { "GMT+8", 0, false },
		{ "utc", 0, false },     { "+0800", 0, false },    { "Asia/Shanghai", 0, false },
		{ "+08:00 ", 0, false }, { "", 0, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c;
		pa_err_t err;
		config_init(&c);
		int rc = config_set(&c, "timezone", cases[i].text, NULL, &err);
		if (!cases[i].ok) {
			if (rc != PA_EINVAL)
				fail_msg("\"%s\" was accepted", cases[i].text);
			assert_string_equal(err.field, "timezone");
			assert_int_equal(c.utc_offset_min, 480);
		} else {
			if (rc)
				fail_msg("\"%s\": %s", cases[i].text, err.detail);
			assert_int_equal(c.utc_offset_min, cases[i].offset);
			assert_string_equal(c.timezone, cases[i].text);
		}
		config_free(&c);
	}
}

/* repeat.similarity: a decimal 0..1 with at most 3 places (T_RATIO) */
static void test_ratio(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	assert_true(c.repeat_similarity == 0.5);
	assert_int_equal(c.repeat_window_days, 180);
	static const struct { const char *text; double want; } good[] = {
		{ "0.75", 0.75 }, { "1", 1.0 }, { "0", 0.0 }, { ".5", 0.5 }, { "0.125", 0.125 },
		{ "1.0", 1.0 }, { "0.333", 0.333 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (config_set(&c, "repeat.similarity", good[i].text, "--test", &err))
			fail_msg("%s: %s", good[i].text, err.detail);
		assert_true(c.repeat_similarity > good[i].want - 1e-9 && c.repeat_similarity < good[i].want + 1e-9);
	}
	static const char *const bad[] = { "1.5", "-0.1", "0.1234", "abc", "", ".", "0,5", "5e-1", "50%",
		                               "2" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		double before = c.repeat_similarity;
		if (config_set(&c, "repeat.similarity", bad[i], "--test", &err) != PA_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_string_equal(err.field, "repeat.similarity");
		assert_true(c.repeat_similarity == before);
	}
	assert_int_equal(load_text(&c, "repeat:\n  similarity: 0.6\n  window_days: 30\n", &err), 0);
	assert_true(c.repeat_similarity > 0.599 && c.repeat_similarity < 0.601);
	assert_int_equal(c.repeat_window_days, 30);
	assert_int_equal(load_text(&c, "repeat: {window_days: 4000}\n", &err), PA_EINVAL);
	assert_contains(err.detail, "must be 0..3650");
	config_free(&c);
}

static void test_public_url(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	assert_string_equal(c.public_url, "");
	static const struct { const char *text; const char *want; } good[] = {
		{ "https://pingan.example.gov.cn", "https://pingan.example.gov.cn" },
		{ "https://pingan.example.gov.cn/", "https://pingan.example.gov.cn" },
		{ "http://10.1.2.3:8080/pingan//", "http://10.1.2.3:8080/pingan" },
		{ "", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (config_set(&c, "public_url", good[i].text, "--test", &err))
			fail_msg("%s: %s", good[i].text, err.detail);
		assert_string_equal(c.public_url, good[i].want);
	}
	static const char *const bad[] = { "pingan.example.gov.cn", "ftp://x", "https://", "http:///x",
		                               "https://a b", "https://a\"b", "javascript:alert(1)",
		                               "https://平安.cn" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (config_set(&c, "public_url", bad[i], "--test", &err) != PA_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_string_equal(err.field, "public_url");
	}
	assert_int_equal(load_text(&c, "public_url: https://x.example/\n", &err), 0);
	assert_string_equal(c.public_url, "https://x.example");
	config_free(&c);
}

/* map.tile_url: a {z}/{x}/{y} template or nothing; its origin goes into the
 * pages' Content-Security-Policy (img-src). */
static void test_map_tiles(void **state)
{
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	assert_string_equal(c.map_tile_url, "");
	assert_string_equal(c.map_attribution, "");
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_int_equal(load_text(&c, "map:\n  tile_url: https://{s}.tiles.example.org/{z}/{x}/{y}.png\n"
	                               "  attribution: \"© 测绘地图 contributors\"\n", &err), 0);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_string_equal(c.map_attribution, "© 测绘地图 contributors");
	/* a template without its placeholders is refused, naming the key */
	assert_int_equal(config_set(&c, "map.tile_url", "https://tiles.example.org/map.png", "--test", &err), 0);
	assert_int_equal(config_finalize(&c, &err), PA_EINVAL);
	assert_string_equal(err.field, "map.tile_url");
	assert_int_equal(config_set(&c, "map.tile_url", "javascript:alert(1)//{z}{x}{y}", "--test", &err), PA_EINVAL);
	config_free(&c);

	/* map.center: LAT,LNG within range */
	double lat = 0, lng = 0;
	assert_true(config_map_center("26.0745,119.2965", &lat, &lng));
	assert_true(lat == 26.0745 && lng == 119.2965);
	assert_true(config_map_center("-33.9 , 18.4", &lat, &lng));
	assert_true(lat == -33.9 && lng == 18.4);
	static const char *const bad_centers[] = { "", "26.07", "91,10", "10,181", "a,b", "1,2,3", "nan,1", "1,2x" };
	for (size_t i = 0; i < ARRAY_SIZE(bad_centers); i++)
		if (config_map_center(bad_centers[i], &lat, &lng))
			fail_msg("\"%s\" was accepted", bad_centers[i]);
	config_init(&c);
	assert_int_equal(config_set(&c, "map.center", "91,10", "--test", &err), 0);
	assert_int_equal(config_finalize(&c, &err), PA_EINVAL);
	assert_string_equal(err.field, "map.center");
	config_free(&c);

	static const struct { const char *url, *origin; } cases[] = {
		{ "https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org" },
		{ "http://127.0.0.1:8099/tiles/{z}/{x}/{y}.png?k=1", "http://127.0.0.1:8099" },
		{ "https://{s}.tiles.example.org/{z}/{x}/{y}.png", "https://*.tiles.example.org" },
		{ "https://t{s}.example.org/{z}/{x}/{y}.png", "" },
		{ "", "" },
		{ "ftp://x/{z}/{x}/{y}", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char out[128];
		size_t n = config_map_tile_origin(cases[i].url, out, sizeof(out));
		assert_string_equal(out, cases[i].origin);
		assert_int_equal(n, strlen(cases[i].origin));
	}
	char small[8];
	assert_int_equal(config_map_tile_origin("https://tiles.example.org/{z}/{x}/{y}", small, sizeof(small)), 0);
	assert_string_equal(small, "");
}

static void test_working_hours(void **state)
{
	static const struct {
		const char *text;
		bool ok;
	} cases[] = {
		{ "09:00-17:00", true },
		{ "08:30-12:00,14:00-18:00", true },
		{ "00:00-24:00", true },
		{ "09:00-12:00,12:00-13:00", true },
		{ "09:00-09:00", false },
		{ "13:00-17:00,09:00-12:00", false },
		{ "09:00-12:00,11:00-13:00", false },
		{ "09:00-12:00,", false },
		{ "9:00-12:00", false },
		{ "09:00-25:00", false },
		{ "09:00 - 12:00", false },
		{ "01:00-02:00,02:00-03:00,03:00-04:00,04:00-05:00,05:00-06:00,06:00-07:00,"
		  "07:00-08:00,08:00-09:00,09:00-10:00",
		  false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		pa_config_t c;
		pa_err_t err;
		config_init(&c);
		int rc = config_set(&c, "working_hours", cases[i].text, NULL, &err);
		if (cases[i].ok != (rc == 0))
			fail_msg("\"%s\": rc %d", cases[i].text, rc);
		config_free(&c);
	}
}

static void test_finalize_rules(void **state)
{
	pa_config_t c;
	pa_err_t err;

	config_init(&c);
	assert_int_equal(config_set(&c, "limits.max_file", "30M", NULL, &err), 0);
	assert_int_equal(config_finalize(&c, &err), PA_EINVAL);
	assert_string_equal(err.field, "limits.max_file");
	assert_contains(err.detail, "limits.max_body");
	config_free(&c);

	config_init(&c);
	assert_int_equal(config_set(&c, "limits.max_body", "512K", NULL, &err), 0);
	assert_int_equal(config_set(&c, "limits.max_file", "256K", NULL, &err), 0);
	assert_int_equal(config_finalize(&c, &err), PA_EINVAL);
	assert_string_equal(err.field, "limits.max_json");
	config_free(&c);

	/* derived paths: no doubled slash, explicit values kept */
	config_init(&c);
	assert_int_equal(config_set(&c, "data", "/srv/p/", NULL, &err), 0);
	assert_int_equal(config_set(&c, "share_dir", "/usr/share/pingan", NULL, &err), 0);
	assert_int_equal(config_set(&c, "calendars_dir", "/etc/pingan/cal", NULL, &err), 0);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_string_equal(c.database, "/srv/p/pingan.db");
	assert_string_equal(c.workflows_dir, "/usr/share/pingan/workflows");
	assert_string_equal(c.calendars_dir, "/etc/pingan/cal");
	/* finalize twice is harmless */
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_string_equal(c.database, "/srv/p/pingan.db");
	config_free(&c);

	/* data cannot be emptied behind the parser's back */
	config_init(&c);
	c.data_dir[0] = '\0';
	assert_int_equal(config_finalize(&c, &err), PA_EINVAL);
	assert_string_equal(err.field, "data");
	config_free(&c);
}

/* Removes the '#' in front of each setting line of the template (see
 * template_row in config.c: settings are "#key:" or "#  key:"). */
static char *uncomment_template(const char *t)
{
	strbuf_t sb = STRBUF_INIT;
	while (*t) {
		size_t n = strcspn(t, "\n");
		bool setting = t[0] == '#' && (t[1] != ' ' || strncmp(t, "#  ", 3) == 0);
		if (setting)
			strbuf_add(&sb, t + 1, n - 1);
		else
			strbuf_add(&sb, t, n);
		strbuf_addch(&sb, '\n');
		t += n + (t[n] == '\n');
	}
	return strbuf_detach(&sb, NULL);
}

static void test_template_round_trip(void **state)
{
	strbuf_t t = STRBUF_INIT;
	config_write_template(&t);
	assert_contains(t.buf, "#limits:\n#  # ");
	assert_contains(t.buf, "#  max_body: 25M\n");
	assert_contains(t.buf, "#threads: 8\n");
	assert_contains(t.buf, "NEVER on in production");

	pa_config_t d, c;
	pa_err_t err;
	config_init(&d);
	assert_int_equal(config_finalize(&d, &err), 0);

	/* as written: nothing changes */
	config_init(&c);
	char *path = write_file("template.yaml", t.buf, t.len);
	if (config_load_file(&c, path, &err))
		fail_msg("%s", err.detail);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_config_equal(&c, &d);
	config_free(&c);
	free(path);

	/* every line uncommented: still the defaults, so each line shows its default */
	char *all = uncomment_template(t.buf);
	assert_contains(all, "\nlimits:\n");
	assert_contains(all, "\n  max_body: 25M\n");
	config_init(&c);
	if (config_load_buffer(&c, all, strlen(all), "uncommented", &err))
		fail_msg("%s", err.detail);
	assert_int_equal(config_finalize(&c, &err), 0);
	assert_config_equal(&c, &d);
	config_free(&c);

	/* and the uncommented template sets every key: changing one line changes one value */
	char *edit = strstr(all, "\nthreads: 8\n");
	assert_non_null(edit);
	memcpy(edit, "\nthreads: 5\n", 12);
	config_init(&c);
	assert_int_equal(config_load_buffer(&c, all, strlen(all), "edited", &err), 0);
	assert_int_equal(c.threads, 5);
	config_free(&c);

	free(all);
	config_free(&d);
	strbuf_release(&t);
}

static void test_describe(void **state)
{
	static const char *const expect[] = {
		"data", "PINGAN_DATA", "database", "PINGAN_DATABASE, PINGAN_DB", "listen",
		"PINGAN_LISTEN", "threads", "PINGAN_THREADS", "keys_file", "PINGAN_KEYS_FILE", "keys",
		"PINGAN_KEYS", "limits.max_body", "PINGAN_LIMITS_MAX_BODY", "25M", "1..256",
		"rate.query_code_per_minute", "PINGAN_RATE_QUERY_CODE_PER_MINUTE",
		"database.synchronous_normal", "PINGAN_DATABASE_SYNCHRONOUS_NORMAL", "<data>/pingan.db",
		"http.shutdown_grace_ms", "test_clock", "NEVER",
	};
	strbuf_t sb = STRBUF_INIT;
	config_describe(&sb);
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++)
		assert_contains(sb.buf, expect[i]);
	/* aligned: the ENVIRONMENT column starts at the same offset on every line */
	const char *line = sb.buf;
	long col = -1;
	while (*line) {
		const char *env = strstr(line, "PINGAN_");
		const char *eol = strchr(line, '\n');
		if (env && env < eol) {
			long here = (long)(env - line);
			if (col < 0)
				col = here;
			assert_int_equal(here, col);
		}
		line = eol + 1;
	}
	strbuf_release(&sb);
}

static void test_env_names(void **state)
{
	/* every key's variable is PINGAN_ + the key upper-cased, '.' -> '_':
	 * set each one to its default through the environment */
	static const char *const pairs[][2] = {
		{ "PINGAN_RATE_PUBLIC_BURST", "7" },
		{ "PINGAN_LOGIN_LOCKOUT_SECONDS", "60" },
		{ "PINGAN_HTTP_SHUTDOWN_GRACE_MS", "0" },
		{ "PINGAN_DATABASE_SYNCHRONOUS_NORMAL", "1" },
		{ "PINGAN_SHARE_DIR", "/opt/share" },
	};
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
		setenv(pairs[i][0], pairs[i][1], 1);
	int rc = config_load_env(&c, &err);
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++)
		unsetenv(pairs[i][0]);
	if (rc)
		fail_msg("%s", err.detail);
	assert_int_equal(c.public_burst, 7);
	assert_int_equal(c.login_lockout_s, 60);
	assert_int_equal(c.shutdown_grace_ms, 0);
	assert_true(c.sync_normal);
	assert_string_equal(c.share_dir, "/opt/share");
	config_free(&c);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pingan-test-config-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_database_scalar_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_overrides_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_alias_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_suffixes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bool_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_values_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_not_echoed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_structure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timezone_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_working_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ratio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_public_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_tiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalize_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_template_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_names, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	/* remove what the tests wrote */
	static const char *const files[] = { "pingan.yaml", "big.yaml", "max.yaml",
		                             "template.yaml" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
	return failed;
}
