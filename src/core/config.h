/*
 * config.h — settings: defaults, then the configuration file, then
 * PINGAN_* environment variables, then command-line flags (applied by the
 * CLI through config_set()).
 *
 * Every setting is one row of the table in config.c: its key (as written in
 * the YAML file), its environment variable (PINGAN_ + upper-cased key, dots
 * → underscores), type, default, allowed range and a one-line help text.
 * docs/configuration.md is that table in prose and `pingan config` prints
 * it.  A bad value — wrong type, out of range, unknown key in the file —
 * is refused with a message naming the key and where it came from
 * ("pingan.yaml:4:8: listen: expected HOST:PORT", "PINGAN_THREADS: must be
 * 1..256"), and the server does not start.
 *
 * With no file at all, `pingan serve` serves a working demo on
 * 127.0.0.1:8080 with its SQLite file under ./var/.
 */
#ifndef PA_CONFIG_H
#define PA_CONFIG_H

#include "base/common.h"

typedef struct pa_config {
	char *data_dir;          /* data: ./var */
	char *database;          /* database: SQLite path; default <data>/pingan.db */
	char *listen;            /* listen: 127.0.0.1:8080 */
	char *listen_host;       /* derived from listen */
	int listen_port;         /* derived from listen */
	int threads;             /* threads: HTTP worker threads, 8 */
	int write_threads;       /* write_threads: the HTTP write pool, 64 (0 = off) */
	char *keys_file;         /* keys_file: default <data>/keys/pingan.keys */
	char *keys;              /* keys: the key file's content (env PINGAN_KEYS), overrides keys_file */
	char *share_dir;         /* share_dir: where workflows/ and calendars/ live */
	char *workflows_dir;     /* workflows_dir: default <share>/workflows */
	char *calendars_dir;     /* calendars_dir: default <share>/calendars */
	char *public_url;        /* public_url: portal address for QR codes/links; "" = http://<listen> */
	char *web_dir;           /* web_dir: built web assets, default <share>/web/dist */
	char *attachments_dir;   /* attachments_dir: default <data>/attachments */
	char *timezone;          /* timezone: fixed offset "+08:00" */
	int utc_offset_min;      /* derived from timezone */
	char *working_hours;     /* working_hours: "09:00-12:00,13:30-17:30" */
	int64_t max_body;        /* limits.max_body: bytes of an upload request, 25 MiB */
	int64_t max_json;        /* limits.max_json: bytes of a JSON request, 1 MiB */
	int64_t max_file;        /* limits.max_file: bytes of one attachment, 10 MiB */
	int max_files;           /* limits.max_files: attachments per submission, 5 */
	int public_rate;         /* rate.public_per_minute: per client address, 60 (0 = off) */
	int public_burst;        /* rate.public_burst: 20 */
	int code_rate;           /* rate.query_code_per_minute: wrong query codes per address, 10 */
	int login_max_failures;  /* login.max_failures: 5 */
	int login_lockout_s;     /* login.lockout_seconds: 900 */
	int session_ttl_s;       /* session.ttl_seconds: 43200 */
	bool cookie_secure;      /* session.cookie_secure: false (true behind HTTPS) */
	int timer_interval_s;    /* timer.interval_seconds: 30 */
	char *intake_org;        /* intake_org: org code receiving public submissions */
	char *log_level;         /* log_level: info */
	bool test_clock;         /* test_clock: false — NEVER in production */
	int conn_timeout_s;      /* http.timeout_seconds: 30 */
	int shutdown_grace_ms;   /* http.shutdown_grace_ms: 10000 */
	int db_pool_size;        /* database.pool_size: PostgreSQL connections per process */
	bool sync_normal;        /* database.synchronous_normal: false — benchmarks only */
	int repeat_window_days;  /* repeat.window_days: repeat detection at intake, 180 (0 = off) */
	double repeat_similarity; /* repeat.similarity: least similarity of a repeat, 0.5 */
	int search_window;       /* search.window: matches ranked per search, 500 */
	char *export_unmask_roles; /* export.unmask_roles: roles that may export unmasked, "leader" */
	/* notifications (core/notify.c, core/sender.c) and deadline alerts (core/reminders.c) */
	char *notify_templates_dir;  /* notify.templates_dir: default <share>/templates/notify */
	char *notify_lang;           /* notify.lang: staff messages, and the public's when unknown */
	char *notify_webhook_url;    /* notify.webhook_url: "" = no webhook */
	char *notify_webhook_secret; /* notify.webhook_secret: HMAC-SHA256 key (secret) */
	char *notify_smtp_url;       /* notify.smtp_url: smtp://host:port or smtps://; "" = no e-mail */
	char *notify_smtp_from;      /* notify.smtp_from: "Name <addr@example.org>" */
	char *notify_smtp_user;      /* notify.smtp_user */
	char *notify_smtp_password;  /* notify.smtp_password (secret) */
	char *notify_smtp_tls;       /* notify.smtp_tls: try | require | none */
	char *notify_sms_url;        /* notify.sms_url: gateway URL template, {phone} {text}; "" = no SMS */
	char *notify_sms_method;     /* notify.sms_method: GET | POST */
	char *notify_sms_body;       /* notify.sms_body: POST body template */
	int notify_retry_base_s;     /* notify.retry_base_seconds: 60 */
	int notify_retry_max_s;      /* notify.retry_max_seconds: 21600 */
	int notify_max_attempts;     /* notify.max_attempts: 10, then the message is dead */
	int notify_timeout_s;        /* notify.timeout_seconds: 15, per delivery */
	int notify_interval_s;       /* notify.interval_seconds: 10, sender passes */
	int reminder_percent;        /* reminders.share_percent: 80 (0 = no reminders) */
	int survey_rate;         /* rate.survey_per_minute: open-link survey responses per address, 2 */
	int survey_burst;        /* rate.survey_burst: 3 */
	char *open311_jurisdiction; /* open311.jurisdiction_id: "" = any jurisdiction_id is accepted */
	char *open311_contact;   /* open311.contact: who runs the endpoint (discovery) */
	char *map_tile_url;      /* map.tile_url: portal map tiles, {z}/{x}/{y} template; "" = no map */
	char *map_attribution;   /* map.attribution: the tile provider's credit line */
	char *map_center;        /* map.center: "LAT,LNG" where the map opens */
	int map_zoom;            /* map.zoom: 13 */
	char *source;            /* path of the loaded file, or NULL */
} pa_config_t;

/* Fills defaults (no allocation failures: strings are heap copies). */
void config_init(pa_config_t *c);
void config_free(pa_config_t *c);
/* A configuration file larger than this is refused. */
#define CONFIG_FILE_MAX (1024 * 1024)

/* Loads a YAML file (unknown keys are errors). */
int config_load_file(pa_config_t *c, const char *path, pa_err_t *err);
/* The parser behind config_load_file, on a buffer (for the fuzz target);
 * `name` is what error messages call the source.  On error c is unchanged. */
int config_load_buffer(pa_config_t *c, const char *buf, size_t len, const char *name,
                       pa_err_t *err);
/* Applies PINGAN_* variables from the environment. */
int config_load_env(pa_config_t *c, pa_err_t *err);
/* Sets one key from text, as the file or a flag would ("listen", "127.0.0.1:9000"). */
int config_set(pa_config_t *c, const char *key, const char *value, const char *origin,
               pa_err_t *err);
/* Derives dependent paths and checks cross-field rules; call after loading. */
int config_finalize(pa_config_t *c, pa_err_t *err);
/* The origin ("https://tiles.example.org"; for a {s}. subdomain the
 * wildcard "https://" "*.tiles.example.org") the browser fetches tiles of map.tile_url from, for the
 * portal's Content-Security-Policy; its length, 0 (out = "") when the URL is
 * empty or its host is not plain. */
size_t config_map_tile_origin(const char *tile_url, char *out, size_t n);
/* map.center read: true and *lat, *lng for "LAT,LNG" within ±90 / ±180. */
bool config_map_center(const char *text, double *lat, double *lng);
/* Writes the settings table (key, env, default, help) for `pingan config`. */
void config_describe(strbuf_t *out);
/* A commented YAML file with every default, for `pingan init`. */
void config_write_template(strbuf_t *out);

#endif
