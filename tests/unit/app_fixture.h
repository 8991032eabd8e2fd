/*
 * app_fixture.h — a real Pingan app for unit tests: a fresh data directory
 * under /tmp with its own key file, the SQLite store migrated, and the demo
 * district and staff seeded. The tests that drive core modules (cases,
 * links, supervision, notify, docs) against the real store share it instead
 * of each carrying its own copy of the set-up.
 */
#ifndef PINGAN_TEST_APP_FIXTURE_H
#define PINGAN_TEST_APP_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

typedef struct {
	const char *key, *value;
} fixture_setting_t;

/* The source tree (PINGAN_SOURCE_DIR, set by CTest), or "." when run by hand. */
const char *fixture_source_dir(void);

/* A new empty directory /tmp/pa-NAME-XXXXXX, its path written to buf. */
void fixture_tmpdir(char *buf, size_t size, const char *name);

/* Remove a directory made by fixture_tmpdir() and everything in it; 0 on success. */
int fixture_rmdir(const char *dir);

/* Open an app on data directory DATA (created if missing) with these settings on top of the defaults:
 * keys generated, schema migrated, demo district seeded (Admin-Pass-2026 / Demo-Pass-2026). Fails the
 * test on any error. Close with app_close() and config_free(). */
void fixture_app_open(const char *data, pa_config_t *cfg, pa_app_t *app,
                      const fixture_setting_t *set, size_t nset);

/* The first column of the first row of SQL, read through a separate read-only connection. */
int64_t fixture_query_int(const char *database, const char *sql);

/* A staff principal for the demo user USERNAME; release *tree (orgtree_release) after use. */
void fixture_staff(pa_app_t *app, arena_t *a, const char *username, pa_principal_t *p,
                   orgtree_t **tree);

#endif
