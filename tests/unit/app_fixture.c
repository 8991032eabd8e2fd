/*
 * app_fixture.c — see app_fixture.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app_fixture.h"

#include "core/crypto.h"
#include "core/demo.h"
#include "core/orgs.h"
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

const char *fixture_source_dir(void)
{
	const char *s = getenv("PINGAN_SOURCE_DIR");
	return s ? s : ".";
}

void fixture_tmpdir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "/tmp/pa-%s-XXXXXX", name);
	if (!mkdtemp(buf))
		fail_msg("mkdtemp %s failed", buf);
}

int fixture_rmdir(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

void fixture_app_open(const char *data, pa_config_t *cfg, pa_app_t *app,
                      const fixture_setting_t *set, size_t nset)
{
	pa_err_t err = { 0 };
	mkdir(data, 0700);
	config_init(cfg);
	if (config_set(cfg, "data", data, "test", &err) < 0 ||
	    config_set(cfg, "share_dir", fixture_source_dir(), "test", &err) < 0)
		fail_msg("config: %s", err.detail);
	for (size_t i = 0; i < nset; i++)
		if (config_set(cfg, set[i].key, set[i].value, "test", &err) < 0)
			fail_msg("%s: %s", set[i].key, err.detail);
	if (config_finalize(cfg, &err) < 0)
		fail_msg("config_finalize: %s", err.detail);
	char keys[512];
	snprintf(keys, sizeof(keys), "%s/keys", data);
	mkdir(keys, 0700);
	assert_int_equal(crypto_init(), 0);
	if (keys_generate_file(cfg->keys_file, &err) < 0)
		fail_msg("keys: %s", err.detail);
	if (app_open(app, cfg, APP_MIGRATE, &err) < 0)
		fail_msg("app_open: %s", err.detail);
	if (demo_seed(app, "Admin-Pass-2026", "Demo-Pass-2026", &err) < 0)
		fail_msg("demo_seed: %s", err.detail);
}

int64_t fixture_query_int(const char *database, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(database, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

void fixture_staff(pa_app_t *app, arena_t *a, const char *username, pa_principal_t *p,
                   orgtree_t **tree)
{
	pa_user_t u;
	assert_int_equal(store_user_get_by_name(store_reader(app->store), a, username, &u), 0);
	*tree = orgcache_get(app->orgs);
	*p = (pa_principal_t){ .kind = PRINCIPAL_STAFF, .user_id = u.id, .username = u.username,
		                   .display_name = u.display_name, .roles = u.roles, .nroles = u.nroles,
		                   .tree = *tree };
}
