/*
 * app.h — the long-lived objects of one Pingan process, named in one place.
 *
 * The CLI builds one pa_app_t from the configuration; the server hands it to
 * every request (http_req_t.app).  Nothing here is mutated after app_open()
 * except through the objects' own thread-safe interfaces (store, org cache,
 * rate limiters).
 */
#ifndef PA_APP_H
#define PA_APP_H

#include <stdatomic.h>
#include "base/common.h"
#include "core/calendar.h"
#include "core/config.h"
#include "core/crypto.h"
#include "core/orgs.h"
#include "core/ratelimit.h"
#include "core/workflow.h"
#include "store/store.h"

typedef struct pa_app {
	pa_config_t *cfg;
	store_t *store;
	pa_keys_t *keys;
	calendar_t *cal;
	wf_registry_t *wf;
	orgcache_t *orgs;
	ratelimit_t *code_rl;   /* wrong public query codes, per address */
	ratelimit_t *survey_rl; /* open-link survey responses, per survey and address */
	pa_time_t started_at;   /* when app_open ran (Open311 discovery's changeset) */
	struct docs *docs;      /* document templates (core/docs.h); NULL with APP_NO_DEFS */
	struct docgen *docgen;  /* document generator threads (core/docgen.h); serve only */
	struct notify *notify;  /* notification templates and channels (core/notify.h); NULL with APP_NO_DEFS */
	store_observer_t observer; /* keeps the indicator facts (core/indicators.c); not with APP_NO_DEFS */
	atomic_bool stopping;   /* serve got SIGTERM: long passes (the timer's) end at their next page */
} pa_app_t;

enum app_flags {
	APP_MIGRATE = 1 << 0,   /* apply pending migrations */
	APP_NO_KEYS = 1 << 1,   /* commands that never touch personal data */
	APP_READ_ONLY = 1 << 2,
	APP_NO_DEFS = 1 << 3,   /* skip workflows and calendars */
};

int app_open(pa_app_t *app, pa_config_t *cfg, unsigned flags, pa_err_t *err);
void app_close(pa_app_t *app);
/* The portal's base URL without a trailing slash: public_url, else http://<listen>. */
const char *app_public_url(const pa_app_t *app, arena_t *a);

#endif
