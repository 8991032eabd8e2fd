#include "base/common.h"
#include "core/app.h"
#include "core/indicators.h"
#include "core/notify.h"
#include "core/docs.h"

#include <sys/stat.h>

/* Document templates: <share>/templates/docs, unit overrides under
 * <data>/templates/<unit-code>/, font cache under <data>/cache/fonts. */
static int app_open_docs(pa_app_t *app, const pa_config_t *cfg, pa_err_t *err)
{
	arena_t *a = arena_new();
	docs_options_t o = {
		.templates_dir = arena_printf(a, "%s/templates/docs", cfg->share_dir),
		.overrides_dir = arena_printf(a, "%s/templates", cfg->data_dir),
		.cache_dir = arena_printf(a, "%s/cache/fonts", cfg->data_dir),
	};
	int rc = docs_open(&o, &app->docs, err);
	if (rc == 0)
		rc = docs_check_workflows(app->docs, app->wf, err);
	arena_free(a);
	return rc;
}

int app_open(pa_app_t *app, pa_config_t *cfg, unsigned flags, pa_err_t *err)
{
	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	int rc = crypto_init();
	if (rc < 0)
		return pa_fail(err, rc, "internal", NULL, "libsodium failed to initialize");

	struct stat st;
	if (!store_is_url(cfg->database) && stat(cfg->database, &st) != 0 && !(flags & APP_MIGRATE))
		return pa_fail(err, PA_ENOTFOUND, "config", "database",
		               "no database at %s (run `pingan init --data %s` first)", cfg->database,
		               cfg->data_dir);

	store_options_t so = {
		.path = cfg->database,
		.busy_timeout_ms = 5000,
		.read_only = (flags & APP_READ_ONLY) != 0,
		.synchronous_normal = cfg->sync_normal,
		.pool_size = cfg->db_pool_size,
	};
	if ((rc = store_open(&so, &app->store, err)) < 0)
		return rc;
	if (flags & APP_MIGRATE) {
		int from = 0, to = 0;
		if ((rc = store_migrate(app->store, &from, &to, err)) < 0)
			goto fail;
		if (from != to)
			log_info("database schema migrated from version %d to %d", from, to);
	}
	if (!(flags & APP_NO_KEYS)) {
		if (cfg->keys && *cfg->keys)
			rc = keys_load_text(cfg->keys, "PINGAN_KEYS", &app->keys, err);
		else
			rc = keys_load_file(cfg->keys_file, &app->keys, err);
		if (rc < 0)
			goto fail;
	}
	if (!(flags & APP_NO_DEFS)) {
		app->cal = calendar_new(cfg->utc_offset_min);
		if ((rc = calendar_set_working_hours(app->cal, cfg->working_hours, err)) < 0)
			goto fail;
		if ((rc = calendar_load_dir(app->cal, cfg->calendars_dir, err)) < 0)
			goto fail;
		if ((rc = wf_registry_load_dir(cfg->workflows_dir, &app->wf, err)) < 0)
			goto fail;
		if ((rc = notify_open(cfg, &app->notify, err)) < 0)
			goto fail;
		if ((rc = app_open_docs(app, cfg, err)) < 0)
			goto fail;
	}
	app->orgs = orgcache_new(app->store);
	app->code_rl = ratelimit_new(cfg->code_rate, cfg->code_rate);
	app->survey_rl = ratelimit_new(cfg->survey_rate, cfg->survey_burst);
	app->started_at = pa_now();
	if (app->cal && !(flags & APP_READ_ONLY))
		indicators_attach(app);
	return 0;
fail:
	app_close(app);
	return rc;
}

void app_close(pa_app_t *app)
{
	if (app->notify)
		notify_close(app->notify);
	if (app->docs)
		docs_close(app->docs);
	if (app->orgs)
		orgcache_free(app->orgs);
	if (app->code_rl)
		ratelimit_free(app->code_rl);
	if (app->survey_rl)
		ratelimit_free(app->survey_rl);
	if (app->wf)
		wf_registry_free(app->wf);
	if (app->cal)
		calendar_free(app->cal);
	if (app->keys)
		keys_free(app->keys);
	if (app->store)
		store_close(app->store);
	memset(app, 0, sizeof(*app));
}

const char *app_public_url(const pa_app_t *app, arena_t *a)
{
	const char *u = app->cfg->public_url;
	if (!u || !*u)
		return arena_printf(a, "http://%s", app->cfg->listen);
	size_t n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		n--;
	return arena_strndup(a, u, n);
}
