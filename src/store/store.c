/*
 * store.c — the public store_* functions: each forwards to the engine of its
 * first argument (store_engine.h).  store_open() picks the engine from the
 * database setting: a postgresql:// or postgres:// URL selects PostgreSQL,
 * anything else is the path of a SQLite file.
 */
#include "base/common.h"
#include "store/store_engine.h"

#include <string.h>

bool store_is_url(const char *db)
{
	return db && (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0);
}

static const store_engine_t *engine_for(const char *db)
{
	return store_is_url(db) ? &store_pg_engine : &store_sqlite_engine;
}

int store_open(const store_options_t *opt, store_t **out, pa_err_t *err)
{
	*out = NULL;
	if (!opt || !opt->path || !opt->path[0])
		return pa_fail(err, PA_EINVAL, "validation", "database", "no database given");
	return engine_for(opt->path)->open(opt, out, err);
}

void store_close(store_t *s)
{
	if (s)
		STORE_ENGINE_OF(s)->close(s);
}

const char *store_engine_name(store_t *s)
{
	return STORE_ENGINE_OF(s)->name;
}

unsigned store_caps(store_t *s)
{
	return STORE_ENGINE_OF(s)->caps;
}

int store_restore(const char *backup_path, const char *db_path,
                  void (*progress)(double, void *), void *arg, pa_err_t *err)
{
	if (store_is_url(db_path))
		return pa_fail(err, PA_EINVAL, "validation", "database",
		               "restore a PostgreSQL database with its own tools (pg_restore)");
	return sq_restore(backup_path, db_path, progress, arg, err);
}

int store_migrate(store_t *s, int *from, int *to, pa_err_t *err)
{
	return STORE_ENGINE_OF(s)->migrate(s, from, to, err);
}

int store_schema_version(store_t *s, int *version)
{
	return STORE_ENGINE_OF(s)->schema_version(s, version);
}

int store_backup(store_t *s, const char *dest, void (*progress)(double, void *), void *arg,
                 pa_err_t *err)
{
	const store_engine_t *e = STORE_ENGINE_OF(s);
	if (!e->backup)
		return pa_fail(err, PA_EINVAL, "validation", "database",
		               "%s databases are backed up with the database's own tools", e->name);
	return e->backup(s, dest, progress, arg, err);
}

store_conn_t *store_reader(store_t *s)
{
	return s ? STORE_ENGINE_OF(s)->reader(s) : NULL;
}

int store_read_begin(store_conn_t *c)
{
	return c ? STORE_ENGINE_OF(c)->read_begin(c) : 0;
}

void store_read_end(store_conn_t *c)
{
	if (c)
		STORE_ENGINE_OF(c)->read_end(c);
}

int store_write(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err)
{
	if (!s)
		return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "no database");
	return STORE_ENGINE_OF(s)->write(s, fn, ctx, err);
}

int store_write_checked(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err)
{
	if (!s)
		return pa_fail(err, PA_EUNAVAIL, "unavailable", NULL, "no database");
	return STORE_ENGINE_OF(s)->write_checked(s, fn, ctx, err);
}

store_conn_t *store_tx_conn(store_tx_t *tx)
{
	return STORE_ENGINE_OF(tx)->tx_conn(tx);
}

pa_err_t *store_tx_err(store_tx_t *tx)
{
	return STORE_ENGINE_OF(tx)->tx_err(tx);
}

void store_fault_inject(store_t *s, int nth)
{
	STORE_ENGINE_OF(s)->fault_inject(s, nth);
}

void store_stats(store_t *s, int64_t *commits, int64_t *writes)
{
	STORE_ENGINE_OF(s)->stats(s, commits, writes);
}

void store_set_observer(store_t *s, const store_observer_t *obs)
{
	STORE_ENGINE_OF(s)->set_observer(s, obs);
}

/* The typed reads and writes.  A NULL connection (a reader that could not be
 * opened) means the database is unavailable. */
#define FORWARD_CONN(name, params, args)              \
	int store_##name params                       \
	{                                             \
		if (!c)                               \
			return PA_EUNAVAIL;           \
		return STORE_ENGINE_OF(c)->name args; \
	}
#define FORWARD_TX(name, params, args) \
	int store_##name params { return STORE_ENGINE_OF(tx)->name args; }

STORE_CONN_FUNCS(FORWARD_CONN)
STORE_TX_FUNCS(FORWARD_TX)
