/*
 * config.c — the settings table and the layers that fill it.
 *
 * One row of settings[] per setting: the YAML key, the environment variable,
 * a type, where the value lives in pa_config_t, the default written as text,
 * the allowed range and a one-line help.  Everything else reads that table:
 * config_init, the YAML loader, the environment loader, config_set (flags),
 * config_describe (`pingan config`) and config_write_template (`pingan
 * init`); docs/configuration.md is the same table in prose.  Adding a setting
 * is adding a row (and a field in config.h, and a line in the docs).
 *
 * Layers, lowest first: defaults, the file, PINGAN_* variables, flags.  Each
 * layer replaces whole values.  config_init parses every default through the
 * same parser as any other value, so a default can never be something the
 * parser would refuse.  config_finalize then fills in the defaults that depend
 * on other settings (paths under data and share_dir, derived_paths[]) and
 * checks the rules that join two settings (size_rules[]).
 *
 * Fail closed: a value is parsed and range-checked when it is set, and a
 * refusal names the key and where the value came from ("pingan.yaml:4:8:
 * listen: expected HOST:PORT", "PINGAN_THREADS: must be 1..256").  The file
 * and the environment are applied to a copy, which replaces the caller's
 * config only when every value was good: a failed load changes nothing.  The
 * YAML loader refuses unknown keys, duplicate keys, a list or mapping where a
 * value belongs, aliases, more than one document, and files larger than
 * CONFIG_FILE_MAX.  Secret values (keys) are never echoed in messages.
 *
 * YAML shape: a dotted key is a nested mapping, `limits: {max_body: 25M}`.
 * `database` is both a value (the SQLite path) and the group of
 * `database.synchronous_normal`, so the path may also be written
 * `database: {path: ...}` (the row's key_alias); the template uses that form.
 */
#include "base/common.h"
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#ifndef PINGAN_SHARE_DIR
#define PINGAN_SHARE_DIR "."
#endif

#define KiB (INT64_C(1024))
#define MiB (INT64_C(1024) * 1024)
#define GiB (INT64_C(1024) * 1024 * 1024)

/* Hard limits of the loader itself. */
#define CONFIG_KEY_MAX 128        /* bytes of a dotted key */
#define CONFIG_PATH_MAX 4096      /* bytes of a path setting */
#define CONFIG_KEYS_MAX (64 * 1024) /* bytes of the inline key material */
#define CONFIG_DEPTH_MAX 4        /* nesting of YAML mappings */
#define CONFIG_NAME_SHOWN 80      /* bytes of the file name shown in a message */
#define WORKING_HOURS_MAX 8       /* ranges in working_hours */

enum setting_type {
	T_STR,      /* one line of UTF-8 text; min/max bound its length */
	T_TEXT,     /* secret, may span lines; min/max bound its length */
	T_INT,      /* int; min/max bound the value */
	T_SIZE,     /* int64 bytes with optional k/K, M, G suffix */
	T_BOOL,     /* true/false/yes/no/1/0 */
	T_LISTEN,   /* HOST:PORT or [IPV6]:PORT; also sets listen_host/listen_port */
	T_TIMEZONE, /* +HH:MM, -HH:MM or UTC; also sets utc_offset_min */
	T_ENUM,     /* one of `choices` ("a|b|c") */
	T_HOURS,    /* HH:MM-HH:MM[,HH:MM-HH:MM...], increasing */
	T_RATIO,    /* double, a decimal like 0.5 (at most 3 places); min/max in thousandths */
	T_URL,      /* empty, or an absolute http:// or https:// URL; a final '/' is dropped */
};

struct setting {
	const char *key;       /* YAML key, dotted for nested mappings */
	const char *env;       /* PINGAN_ + upper-cased key, '.' -> '_' */
	const char *env_alias; /* a short alternative name, or NULL */
	const char *key_alias; /* another key for the same value, or NULL */
	enum setting_type type;
	size_t offset;         /* into pa_config_t */
	const char *def;       /* default, as text */
	int64_t min, max;      /* value range (numbers) or length range (text) */
	const char *choices;   /* T_ENUM */
	const char *def_doc;   /* shown instead of def when the default is derived */
	const char *help;
};

#define OFF(field) offsetof(pa_config_t, field)

static const struct setting settings[] = {
	{ "data", "PINGAN_DATA", NULL, NULL, T_STR, OFF(data_dir), "./var", 1, CONFIG_PATH_MAX,
	  NULL, NULL, "directory for the database, keys and attachments" },
	{ "database", "PINGAN_DATABASE", "PINGAN_DB", "database.path", T_STR, OFF(database), "",
	  0, CONFIG_PATH_MAX, NULL, "<data>/pingan.db",
	  "SQLite database file, or a postgresql:// URL (docs/postgresql.md)" },
	{ "database.pool_size", "PINGAN_DATABASE_POOL_SIZE", NULL, NULL, T_INT, OFF(db_pool_size),
	  "16", 1, 256, NULL, NULL,
	  "PostgreSQL: connections each server process keeps to the database" },
	{ "database.synchronous_normal", "PINGAN_DATABASE_SYNCHRONOUS_NORMAL", NULL, NULL, T_BOOL,
	  OFF(sync_normal), "false", 0, 0, NULL, NULL,
	  "SQLite synchronous=NORMAL: may lose the last commits on power loss; benchmarks only" },
	{ "listen", "PINGAN_LISTEN", NULL, NULL, T_LISTEN, OFF(listen), "127.0.0.1:8080", 0, 0,
	  NULL, NULL, "address to serve on, HOST:PORT or [IPV6]:PORT; port 0 picks a free port" },
	{ "threads", "PINGAN_THREADS", NULL, NULL, T_INT, OFF(threads), "8", 1, 256, NULL, NULL,
	  "HTTP worker threads" },
	{ "write_threads", "PINGAN_WRITE_THREADS", NULL, NULL, T_INT, OFF(write_threads), "64", 0,
	  1024, NULL, NULL,
	  "threads that run writing requests (POST, PUT, PATCH, DELETE) while the HTTP threads "
	  "serve others; bounds the writes one group commit gathers; 0 = on the HTTP threads" },
	{ "keys_file", "PINGAN_KEYS_FILE", NULL, NULL, T_STR, OFF(keys_file), "", 0,
	  CONFIG_PATH_MAX, NULL, "<data>/keys/pingan.keys", "file holding the data-encryption keys" },
	{ "keys", "PINGAN_KEYS", NULL, NULL, T_TEXT, OFF(keys), "", 0, CONFIG_KEYS_MAX, NULL,
	  NULL, "the key file's content itself; overrides keys_file (secret, never echoed)" },
	{ "share_dir", "PINGAN_SHARE_DIR", NULL, NULL, T_STR, OFF(share_dir), PINGAN_SHARE_DIR, 1,
	  CONFIG_PATH_MAX, NULL, NULL, "installed data: holds workflows/ and calendars/" },
	{ "workflows_dir", "PINGAN_WORKFLOWS_DIR", NULL, NULL, T_STR, OFF(workflows_dir), "", 0,
	  CONFIG_PATH_MAX, NULL, "<share_dir>/workflows", "workflow definition files" },
	{ "calendars_dir", "PINGAN_CALENDARS_DIR", NULL, NULL, T_STR, OFF(calendars_dir), "", 0,
	  CONFIG_PATH_MAX, NULL, "<share_dir>/calendars", "working-day calendar files" },
	{ "web_dir", "PINGAN_WEB_DIR", NULL, NULL, T_STR, OFF(web_dir), "", 0,
	  CONFIG_PATH_MAX, NULL, "<share_dir>/web/dist", "built web assets (portal and console)" },
	{ "public_url", "PINGAN_PUBLIC_URL", NULL, NULL, T_URL, OFF(public_url), "", 0, 512, NULL,
	  "http://<listen>", "the address the public reaches the portal at (QR codes and links "
	  "in documents and messages point there), e.g. https://pingan.example.gov.cn" },
	{ "attachments_dir", "PINGAN_ATTACHMENTS_DIR", NULL, NULL, T_STR, OFF(attachments_dir), "",
	  0, CONFIG_PATH_MAX, NULL, "<data>/attachments", "stored attachment files" },
	{ "timezone", "PINGAN_TIMEZONE", NULL, NULL, T_TIMEZONE, OFF(timezone), "+08:00", 0, 0,
	  NULL, NULL, "fixed UTC offset of dates and deadlines" },
	{ "working_hours", "PINGAN_WORKING_HOURS", NULL, NULL, T_HOURS, OFF(working_hours),
	  "09:00-12:00,13:30-17:30", 0, 0, NULL, NULL,
	  "office hours of a working day, HH:MM-HH:MM ranges separated by commas" },
	{ "intake_org", "PINGAN_INTAKE_ORG", NULL, NULL, T_STR, OFF(intake_org), "district-xfj", 1,
	  64, NULL, NULL, "code of the org that receives public submissions" },
	{ "log_level", "PINGAN_LOG_LEVEL", NULL, NULL, T_ENUM, OFF(log_level), "info", 0, 0,
	  "debug|info|warn|error", NULL, "least severe level of log lines written" },
	{ "test_clock", "PINGAN_TEST_CLOCK", NULL, NULL, T_BOOL, OFF(test_clock), "false", 0, 0,
	  NULL, NULL, "let tests move the clock through the API; NEVER on in production" },
	{ "limits.max_body", "PINGAN_LIMITS_MAX_BODY", NULL, NULL, T_SIZE, OFF(max_body), "25M",
	  4 * KiB, 1 * GiB, NULL, NULL, "bytes of an upload request body" },
	{ "limits.max_json", "PINGAN_LIMITS_MAX_JSON", NULL, NULL, T_SIZE, OFF(max_json), "1M",
	  4 * KiB, 64 * MiB, NULL, NULL, "bytes of a JSON request body (at most max_body)" },
	{ "limits.max_file", "PINGAN_LIMITS_MAX_FILE", NULL, NULL, T_SIZE, OFF(max_file), "10M",
	  1 * KiB, 1 * GiB, NULL, NULL, "bytes of one attachment (at most max_body)" },
	{ "limits.max_files", "PINGAN_LIMITS_MAX_FILES", NULL, NULL, T_INT, OFF(max_files), "5", 0,
	  100, NULL, NULL, "attachments per submission" },
	{ "rate.public_per_minute", "PINGAN_RATE_PUBLIC_PER_MINUTE", NULL, NULL, T_INT,
	  OFF(public_rate), "60", 0, 100000, NULL, NULL,
	  "public requests per minute per client address (0 = off)" },
	{ "rate.public_burst", "PINGAN_RATE_PUBLIC_BURST", NULL, NULL, T_INT, OFF(public_burst),
	  "20", 1, 100000, NULL, NULL, "public requests allowed at once above the rate" },
	{ "rate.query_code_per_minute", "PINGAN_RATE_QUERY_CODE_PER_MINUTE", NULL, NULL, T_INT,
	  OFF(code_rate), "10", 1, 1000, NULL, NULL,
	  "wrong query codes per minute per client address (cannot be off)" },
	{ "rate.survey_per_minute", "PINGAN_RATE_SURVEY_PER_MINUTE", NULL, NULL, T_INT,
	  OFF(survey_rate), "2", 1, 100000, NULL, NULL,
	  "responses per minute per client address to one survey's open link" },
	{ "rate.survey_burst", "PINGAN_RATE_SURVEY_BURST", NULL, NULL, T_INT, OFF(survey_burst),
	  "3", 1, 100000, NULL, NULL, "open-link survey responses allowed at once above the rate" },
	{ "open311.jurisdiction_id", "PINGAN_OPEN311_JURISDICTION_ID", NULL, NULL, T_STR,
	  OFF(open311_jurisdiction), "", 0, 200, NULL, NULL,
	  "Open311 jurisdiction_id of this district (empty: any jurisdiction_id is accepted)" },
	{ "open311.contact", "PINGAN_OPEN311_CONTACT", NULL, NULL, T_STR, OFF(open311_contact), "",
	  0, 500, NULL, NULL, "who runs the Open311 endpoint, for its discovery document" },
	{ "login.max_failures", "PINGAN_LOGIN_MAX_FAILURES", NULL, NULL, T_INT,
	  OFF(login_max_failures), "5", 1, 100, NULL, NULL,
	  "failed logins before the account is locked" },
	{ "login.lockout_seconds", "PINGAN_LOGIN_LOCKOUT_SECONDS", NULL, NULL, T_INT,
	  OFF(login_lockout_s), "900", 1, 604800, NULL, NULL, "how long a locked account stays locked" },
	{ "session.ttl_seconds", "PINGAN_SESSION_TTL_SECONDS", NULL, NULL, T_INT, OFF(session_ttl_s),
	  "43200", 60, 2592000, NULL, NULL, "lifetime of a staff session" },
	{ "session.cookie_secure", "PINGAN_SESSION_COOKIE_SECURE", NULL, NULL, T_BOOL,
	  OFF(cookie_secure), "false", 0, 0, NULL, NULL,
	  "mark session cookies Secure (turn on behind HTTPS)" },
	{ "timer.interval_seconds", "PINGAN_TIMER_INTERVAL_SECONDS", NULL, NULL, T_INT,
	  OFF(timer_interval_s), "30", 1, 3600, NULL, NULL,
	  "how often deadline reminders, escalation and auto-close run" },
	{ "http.timeout_seconds", "PINGAN_HTTP_TIMEOUT_SECONDS", NULL, NULL, T_INT,
	  OFF(conn_timeout_s), "30", 1, 3600, NULL, NULL, "idle connection timeout" },
	{ "http.shutdown_grace_ms", "PINGAN_HTTP_SHUTDOWN_GRACE_MS", NULL, NULL, T_INT,
	  OFF(shutdown_grace_ms), "10000", 0, 600000, NULL, NULL,
	  "on SIGTERM, how long requests in flight may take to finish" },
	{ "repeat.window_days", "PINGAN_REPEAT_WINDOW_DAYS", NULL, NULL, T_INT,
	  OFF(repeat_window_days), "180", 0, 3650, NULL, NULL,
	  "repeat detection at intake: days back an earlier case of the same party counts (0 = off)" },
	{ "repeat.similarity", "PINGAN_REPEAT_SIMILARITY", NULL, NULL, T_RATIO,
	  OFF(repeat_similarity), "0.5", 0, 1000, NULL, NULL,
	  "repeat detection: least text similarity (character-bigram Jaccard) of a repeat" },
	{ "search.window", "PINGAN_SEARCH_WINDOW", NULL, NULL, T_INT, OFF(search_window), "500", 1,
	  5000, NULL, NULL,
	  "full-text search: matches examined (newest first) and ranked per query" },
	{ "export.unmask_roles", "PINGAN_EXPORT_UNMASK_ROLES", NULL, NULL, T_STR,
	  OFF(export_unmask_roles), "leader", 0, 200, NULL, NULL,
	  "roles (comma-separated) that may export personal data unmasked, when they ask" },
	{ "notify.templates_dir", "PINGAN_NOTIFY_TEMPLATES_DIR", NULL, NULL, T_STR,
	  OFF(notify_templates_dir), "", 0, CONFIG_PATH_MAX, NULL, "<share_dir>/templates/notify",
	  "notification templates (one YAML file per event, zh-CN and en)" },
	{ "notify.lang", "PINGAN_NOTIFY_LANG", NULL, NULL, T_ENUM, OFF(notify_lang), "zh-CN", 0, 0,
	  "zh-CN|en", NULL, "language of staff notifications, and of the public's when unknown" },
	{ "notify.webhook_url", "PINGAN_NOTIFY_WEBHOOK_URL", NULL, NULL, T_STR,
	  OFF(notify_webhook_url), "", 0, 2048, NULL, NULL,
	  "http(s) URL that receives staff notifications as signed JSON (empty = none)" },
	{ "notify.webhook_secret", "PINGAN_NOTIFY_WEBHOOK_SECRET", NULL, NULL, T_TEXT,
	  OFF(notify_webhook_secret), "", 0, 4096, NULL, NULL,
	  "key of the webhook's X-Pingan-Signature HMAC-SHA256 (secret, never echoed)" },
	{ "notify.smtp_url", "PINGAN_NOTIFY_SMTP_URL", NULL, NULL, T_STR, OFF(notify_smtp_url), "",
	  0, 2048, NULL, NULL, "mail server for e-mail, smtp://HOST:PORT or smtps://HOST:PORT (empty = none)" },
	{ "notify.smtp_from", "PINGAN_NOTIFY_SMTP_FROM", NULL, NULL, T_STR, OFF(notify_smtp_from),
	  "", 0, 320, NULL, NULL, "sender of e-mail, addr@example.org or Name <addr@example.org>" },
	{ "notify.smtp_user", "PINGAN_NOTIFY_SMTP_USER", NULL, NULL, T_STR, OFF(notify_smtp_user),
	  "", 0, 320, NULL, NULL, "user name at the mail server (empty = no login)" },
	{ "notify.smtp_password", "PINGAN_NOTIFY_SMTP_PASSWORD", NULL, NULL, T_TEXT,
	  OFF(notify_smtp_password), "", 0, 1024, NULL, NULL,
	  "password at the mail server (secret, never echoed)" },
	{ "notify.smtp_tls", "PINGAN_NOTIFY_SMTP_TLS", NULL, NULL, T_ENUM, OFF(notify_smtp_tls),
	  "try", 0, 0, "try|require|none", NULL,
	  "STARTTLS on smtp:// URLs: use it when offered, insist on it, or never" },
	{ "notify.sms_url", "PINGAN_NOTIFY_SMS_URL", NULL, NULL, T_STR, OFF(notify_sms_url), "", 0,
	  2048, NULL, NULL, "SMS gateway URL template with {phone} and {text} (empty = no SMS)" },
	{ "notify.sms_method", "PINGAN_NOTIFY_SMS_METHOD", NULL, NULL, T_ENUM, OFF(notify_sms_method),
	  "GET", 0, 0, "GET|POST", NULL, "how the SMS gateway is called" },
	{ "notify.sms_body", "PINGAN_NOTIFY_SMS_BODY", NULL, NULL, T_STR, OFF(notify_sms_body),
	  "phone={phone}&text={text}", 0, 2048, NULL, NULL,
	  "form body of a POST to the SMS gateway, with {phone} and {text}" },
	{ "notify.retry_base_seconds", "PINGAN_NOTIFY_RETRY_BASE_SECONDS", NULL, NULL, T_INT,
	  OFF(notify_retry_base_s), "60", 1, 86400, NULL, NULL,
	  "wait after a failed delivery; doubles after each further failure" },
	{ "notify.retry_max_seconds", "PINGAN_NOTIFY_RETRY_MAX_SECONDS", NULL, NULL, T_INT,
	  OFF(notify_retry_max_s), "21600", 1, 604800, NULL, NULL, "longest wait between two attempts" },
	{ "notify.max_attempts", "PINGAN_NOTIFY_MAX_ATTEMPTS", NULL, NULL, T_INT,
	  OFF(notify_max_attempts), "10", 1, 100, NULL, NULL,
	  "delivery attempts before a message is dead (see `pingan outbox`)" },
	{ "notify.timeout_seconds", "PINGAN_NOTIFY_TIMEOUT_SECONDS", NULL, NULL, T_INT,
	  OFF(notify_timeout_s), "15", 1, 300, NULL, NULL, "time one delivery may take" },
	{ "notify.interval_seconds", "PINGAN_NOTIFY_INTERVAL_SECONDS", NULL, NULL, T_INT,
	  OFF(notify_interval_s), "10", 1, 3600, NULL, NULL, "how often the sender looks for due messages" },
	{ "map.tile_url", "PINGAN_MAP_TILE_URL", NULL, NULL, T_URL, OFF(map_tile_url), "", 0, 2048,
	  NULL, NULL,
	  "map tiles for the portal's grid-event form, an http(s) URL template with {z}, {x}, {y} "
	  "(and optionally {s}); empty = no map, the place is typed" },
	{ "map.attribution", "PINGAN_MAP_ATTRIBUTION", NULL, NULL, T_STR, OFF(map_attribution), "",
	  0, 500, NULL, NULL, "credit line the tile provider requires, shown under the map as text" },
	{ "map.center", "PINGAN_MAP_CENTER", NULL, NULL, T_STR, OFF(map_center), "26.0745,119.2965", 3,
	  64, NULL, NULL,
	  "where the portal's map opens: LAT,LNG in decimal degrees (WGS-84), the district's centre" },
	{ "map.zoom", "PINGAN_MAP_ZOOM", NULL, NULL, T_INT, OFF(map_zoom), "13", 1, 19, NULL, NULL,
	  "zoom level the portal's map opens at (13: a few streets)" },
	{ "reminders.share_percent", "PINGAN_REMINDERS_SHARE_PERCENT", NULL, NULL, T_INT,
	  OFF(reminder_percent), "80", 0, 99, NULL, NULL,
	  "remind the owning unit's leaders and supervisors when this share of a limit has passed (0 = off)" },
};

/* Defaults that depend on other settings, filled by config_finalize. */
static const struct {
	size_t field, base;
	const char *rel;
} derived_paths[] = {
	{ OFF(database), OFF(data_dir), "pingan.db" },
	{ OFF(keys_file), OFF(data_dir), "keys/pingan.keys" },
	{ OFF(attachments_dir), OFF(data_dir), "attachments" },
	{ OFF(workflows_dir), OFF(share_dir), "workflows" },
	{ OFF(calendars_dir), OFF(share_dir), "calendars" },
	{ OFF(web_dir), OFF(share_dir), "web/dist" },
	{ OFF(notify_templates_dir), OFF(share_dir), "templates/notify" },
};

/* Size limits that must not exceed another one. */
static const struct {
	const char *small, *large;
} size_rules[] = {
	{ "limits.max_file", "limits.max_body" },
	{ "limits.max_json", "limits.max_body" },
};

/* ---- small helpers ---------------------------------------------------- */

static char **str_field(pa_config_t *c, size_t off)
{
	return (char **)(void *)((char *)c + off);
}

static void *field_ptr(pa_config_t *c, const struct setting *s)
{
	return (char *)c + s->offset;
}

static bool is_string_type(enum setting_type t)
{
	return t == T_STR || t == T_TEXT || t == T_LISTEN || t == T_TIMEZONE || t == T_ENUM ||
	       t == T_HOURS || t == T_URL;
}

static void set_string(pa_config_t *c, size_t off, const char *v)
{
	char **p = str_field(c, off);
	free(*p);
	*p = xstrdup(v);
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static const struct setting *find_setting(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (streq(settings[i].key, key) || streq(settings[i].key_alias, key))
			return &settings[i];
	return NULL;
}

/* True when `key.` begins some setting's key: `key` names a YAML group. */
static bool is_group(const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const char *names[2] = { settings[i].key, settings[i].key_alias };
		for (size_t j = 0; j < 2; j++)
			if (names[j] && strncmp(names[j], key, n) == 0 && names[j][n] == '.')
				return true;
	}
	return false;
}

/* Valid UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char b = s[i];
		size_t len;
		uint32_t cp;
		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xE0) == 0xC0) {
			len = 2;
			cp = b & 0x1F;
		} else if ((b & 0xF0) == 0xE0) {
			len = 3;
			cp = b & 0x0F;
		} else if ((b & 0xF8) == 0xF0) {
			len = 4;
			cp = b & 0x07;
		} else {
			return false;
		}
		if (len > n - i)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

static void format_size(int64_t v, char *buf, size_t n)
{
	if (v > 0 && v % GiB == 0)
		snprintf(buf, n, "%" PRId64 "G", v / GiB);
	else if (v > 0 && v % MiB == 0)
		snprintf(buf, n, "%" PRId64 "M", v / MiB);
	else if (v > 0 && v % KiB == 0)
		snprintf(buf, n, "%" PRId64 "K", v / KiB);
	else
		snprintf(buf, n, "%" PRId64, v);
}

/* "1..256", "4K..1G", "up to 4096 bytes" — the range as users write it. */
static void format_range(const struct setting *s, char *buf, size_t n)
{
	char lo[24], hi[24]; /* INT64_MIN is 20 characters */
	buf[0] = '\0';
	switch (s->type) {
	case T_INT:
		snprintf(buf, n, "%" PRId64 "..%" PRId64, s->min, s->max);
		break;
	case T_SIZE:
		format_size(s->min, lo, sizeof(lo));
		format_size(s->max, hi, sizeof(hi));
		snprintf(buf, n, "%s..%s", lo, hi);
		break;
	case T_STR:
	case T_TEXT:
		if (s->min > 0)
			snprintf(buf, n, "%" PRId64 "..%" PRId64 " bytes", s->min, s->max);
		else
			snprintf(buf, n, "up to %" PRId64 " bytes", s->max);
		break;
	case T_BOOL:
		snprintf(buf, n, "true|false");
		break;
	case T_URL:
		snprintf(buf, n, "http:// or https:// URL, up to %" PRId64 " bytes", s->max);
		break;
	case T_LISTEN:
		snprintf(buf, n, "port 0..65535");
		break;
	case T_TIMEZONE:
		snprintf(buf, n, "+HH:MM, -HH:MM or UTC; -12:00..+14:00");
		break;
	case T_ENUM:
		snprintf(buf, n, "%s", s->choices);
		break;
	case T_HOURS:
		snprintf(buf, n, "up to %d ranges", WORKING_HOURS_MAX);
		break;
	case T_RATIO:
		snprintf(buf, n, "%g..%g", (double)s->min / 1000, (double)s->max / 1000);
		break;
	}
}

/* ---- value parsers ---------------------------------------------------- */

/*
 * Each parser checks `text` and, only when it is good, stores it into c.
 * On refusal it writes the reason into why[] and returns PA_EINVAL.
 */
typedef int (*parse_fn)(pa_config_t *c, const struct setting *s, const char *text, char *why,
                        size_t whylen);

/* Decimal integer: optional '-', digits, nothing else. */
static bool parse_int64(const char *text, int64_t *out, const char **end)
{
	const char *p = text;
	bool neg = false;
	if (*p == '-') {
		neg = true;
		p++;
	}
	if (!is_digit(*p))
		return false;
	int64_t v = 0;
	for (; is_digit(*p); p++) {
		int d = *p - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? -v : v;
	*end = p;
	return true;
}

static int parse_string(pa_config_t *c, const struct setting *s, const char *text, char *why,
                        size_t whylen)
{
	size_t n = strlen(text);
	if ((int64_t)n < s->min) {
		snprintf(why, whylen, "must not be empty");
		return PA_EINVAL;
	}
	if ((int64_t)n > s->max) {
		snprintf(why, whylen, "longer than %" PRId64 " bytes", s->max);
		return PA_EINVAL;
	}
	if (!utf8_valid((const unsigned char *)text, n)) {
		snprintf(why, whylen, "not valid UTF-8");
		return PA_EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		bool ctl = *p < 0x20 || *p == 0x7f;
		bool allowed = s->type == T_TEXT && (*p == '\n' || *p == '\r' || *p == '\t');
		if (ctl && !allowed) {
			snprintf(why, whylen, "contains a control character");
			return PA_EINVAL;
		}
	}
	set_string(c, s->offset, text);
	return 0;
}

static int parse_int(pa_config_t *c, const struct setting *s, const char *text, char *why,
                     size_t whylen)
{
	int64_t v;
	const char *end;
	if (!parse_int64(text, &v, &end) || *end) {
		snprintf(why, whylen, "expected an integer");
		return PA_EINVAL;
	}
	if (v < s->min || v > s->max) {
		snprintf(why, whylen, "must be %" PRId64 "..%" PRId64, s->min, s->max);
		return PA_EINVAL;
	}
	*(int *)field_ptr(c, s) = (int)v;
	return 0;
}

static int parse_size(pa_config_t *c, const struct setting *s, const char *text, char *why,
                      size_t whylen)
{
	int64_t v, unit = 1;
	const char *end;
	if (!parse_int64(text, &v, &end))
		goto bad;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K': unit = KiB; end++; break;
	case 'M': unit = MiB; end++; break;
	case 'G': unit = GiB; end++; break;
	default: goto bad;
	}
	if (*end)
		goto bad;
	if (v > INT64_MAX / unit || v < INT64_MIN / unit)
		goto range;
	v *= unit;
	if (v < s->min || v > s->max)
		goto range;
	*(int64_t *)field_ptr(c, s) = v;
	return 0;
bad:
	snprintf(why, whylen, "expected a byte count like 512K, 25M or 1G");
	return PA_EINVAL;
range: {
	char range[64];
	format_range(s, range, sizeof(range));
	snprintf(why, whylen, "must be %s", range);
	return PA_EINVAL;
}
}

static int parse_bool(pa_config_t *c, const struct setting *s, const char *text, char *why,
                      size_t whylen)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{ "true", true }, { "yes", true }, { "1", true },
		{ "false", false }, { "no", false }, { "0", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (strcasecmp(text, words[i].word) == 0) {
			*(bool *)field_ptr(c, s) = words[i].value;
			return 0;
		}
	}
	snprintf(why, whylen, "expected true or false");
	return PA_EINVAL;
}

/* A DNS name: labels of letters, digits and '-', not starting or ending with '-'. */
static bool hostname_valid(const char *h, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = h[i];
		if (ch == '.') {
			if (label == 0 || h[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		bool ok = is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          ch == '-';
		if (!ok || (label == 0 && ch == '-') || ++label > 63)
			return false;
	}
	return label > 0 && h[n - 1] != '-';
}

static int parse_listen(pa_config_t *c, const struct setting *s, const char *text, char *why,
                        size_t whylen)
{
	char host[256];
	const char *port;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		size_t n = close ? (size_t)(close - text - 1) : 0;
		if (!close || close[1] != ':' || n == 0 || n >= sizeof(host))
			goto bad;
		memcpy(host, text + 1, n);
		host[n] = '\0';
		unsigned char addr[16];
		if (inet_pton(AF_INET6, host, addr) != 1) {
			snprintf(why, whylen, "expected HOST:PORT (bad IPv6 address in brackets)");
			return PA_EINVAL;
		}
		port = close + 2;
	} else {
		const char *colon = strrchr(text, ':');
		size_t n = colon ? (size_t)(colon - text) : 0;
		if (!colon || n == 0 || n >= sizeof(host))
			goto bad;
		memcpy(host, text, n);
		host[n] = '\0';
		if (strchr(host, ':')) {
			snprintf(why, whylen, "expected HOST:PORT (write an IPv6 address as [::1]:8080)");
			return PA_EINVAL;
		}
		unsigned char addr[4];
		bool numeric = strspn(host, "0123456789.") == n;
		if (numeric ? inet_pton(AF_INET, host, addr) != 1 : !hostname_valid(host, n))
			goto bad;
		port = colon + 1;
	}
	int64_t p;
	const char *end;
	if (port[0] == '-' || !parse_int64(port, &p, &end) || *end || end - port > 5)
		goto bad;
	if (p > 65535) {
		snprintf(why, whylen, "port must be 0..65535");
		return PA_EINVAL;
	}
	set_string(c, s->offset, text);
	set_string(c, OFF(listen_host), host);
	c->listen_port = (int)p;
	return 0;
bad:
	snprintf(why, whylen, "expected HOST:PORT");
	return PA_EINVAL;
}

static bool two_digits(const char *p, int *out)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return false;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

static int parse_timezone(pa_config_t *c, const struct setting *s, const char *text, char *why,
                          size_t whylen)
{
	int hh, mm, offset;
	if (strcmp(text, "UTC") == 0) {
		offset = 0;
	} else {
		if ((text[0] != '+' && text[0] != '-') || strlen(text) != 6 || text[3] != ':' ||
		    !two_digits(text + 1, &hh) || !two_digits(text + 4, &mm) || mm > 59) {
			snprintf(why, whylen, "expected +HH:MM, -HH:MM or UTC");
			return PA_EINVAL;
		}
		offset = (text[0] == '-' ? -1 : 1) * (hh * 60 + mm);
		if (offset < -12 * 60 || offset > 14 * 60) {
			snprintf(why, whylen, "must be -12:00..+14:00");
			return PA_EINVAL;
		}
	}
	set_string(c, s->offset, text);
	c->utc_offset_min = offset;
	return 0;
}

static int parse_enum(pa_config_t *c, const struct setting *s, const char *text, char *why,
                      size_t whylen)
{
	size_t n = strlen(text);
	for (const char *p = s->choices; *p;) {
		size_t len = strcspn(p, "|");
		if (len == n && n > 0 && strncmp(p, text, n) == 0) {
			set_string(c, s->offset, text);
			return 0;
		}
		p += len;
		if (*p == '|')
			p++;
	}
	snprintf(why, whylen, "must be one of %s", s->choices);
	return PA_EINVAL;
}

/* "HH:MM" at p; minutes since midnight (24:00 allowed as an end). */
static bool parse_hhmm(const char *p, int *out)
{
	int hh, mm;
	if (!two_digits(p, &hh) || p[2] != ':' || !two_digits(p + 3, &mm) || mm > 59)
		return false;
	*out = hh * 60 + mm;
	return *out <= 24 * 60;
}

static int parse_hours(pa_config_t *c, const struct setting *s, const char *text, char *why,
                       size_t whylen)
{
	const char *p = text;
	int prev_end = -1, count = 0;
	for (;;) {
		int start, end;
		if (!parse_hhmm(p, &start) || p[5] != '-' || !parse_hhmm(p + 6, &end))
			goto bad;
		if (start >= end || start < prev_end || ++count > WORKING_HOURS_MAX)
			goto bad;
		prev_end = end;
		p += 11;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	set_string(c, s->offset, text);
	return 0;
bad:
	snprintf(why, whylen,
	         "expected up to %d increasing ranges HH:MM-HH:MM separated by commas",
	         WORKING_HOURS_MAX);
	return PA_EINVAL;
}

/* "0.5", "1", "0.75", ".5": a decimal with at most 3 places, no sign or exponent. */
static int parse_ratio(pa_config_t *c, const struct setting *s, const char *text, char *why,
                       size_t whylen)
{
	const char *p = text;
	int64_t whole = 0, frac = 0;
	int places = 0;
	bool digits = false;
	for (; is_digit(*p) && whole < 1000000; p++, digits = true)
		whole = whole * 10 + (*p - '0');
	if (*p == '.')
		for (p++; is_digit(*p) && places < 3; p++, places++, digits = true)
			frac = frac * 10 + (*p - '0');
	if (!digits || *p) {
		snprintf(why, whylen, "expected a decimal number like 0.5 (at most 3 decimal places)");
		return PA_EINVAL;
	}
	for (; places < 3; places++)
		frac *= 10;
	int64_t milli = whole * 1000 + frac;
	if (milli < s->min || milli > s->max) {
		char range[64];
		format_range(s, range, sizeof(range));
		snprintf(why, whylen, "must be %s", range);
		return PA_EINVAL;
	}
	*(double *)field_ptr(c, s) = (double)milli / 1000;
	return 0;
}

static int parse_url(pa_config_t *c, const struct setting *s, const char *text, char *why,
                     size_t whylen)
{
	size_t n = strlen(text);
	if (n == 0) {
		set_string(c, s->offset, "");
		return 0;
	}
	size_t scheme = strncmp(text, "https://", 8) == 0 ? 8 : strncmp(text, "http://", 7) == 0 ? 7 : 0;
	if (!scheme || n == scheme || text[scheme] == '/') {
		snprintf(why, whylen, "expected an address like https://pingan.example.gov.cn");
		return PA_EINVAL;
	}
	if ((int64_t)n > s->max) {
		snprintf(why, whylen, "longer than %" PRId64 " bytes", s->max);
		return PA_EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\') {
			snprintf(why, whylen, "contains a character a URL cannot hold (write it "
			         "percent-encoded)");
			return PA_EINVAL;
		}
	}
	while (n > scheme + 1 && text[n - 1] == '/')
		n--;
	char *v = xstrndup(text, n);
	set_string(c, s->offset, v);
	free(v);
	return 0;
}

static parse_fn parser_for(enum setting_type t)
{
	switch (t) {
	case T_STR:
	case T_TEXT: return parse_string;
	case T_INT: return parse_int;
	case T_SIZE: return parse_size;
	case T_BOOL: return parse_bool;
	case T_LISTEN: return parse_listen;
	case T_TIMEZONE: return parse_timezone;
	case T_ENUM: return parse_enum;
	case T_HOURS: return parse_hours;
	case T_RATIO: return parse_ratio;
	case T_URL: return parse_url;
	}
	return NULL;
}

/* The value as it may appear in a message: quoted, short, printable. */
static void quote_for_message(const char *v, char *buf, size_t n)
{
	size_t o = 0, i = 0;
	const size_t shown = 40;
	buf[o++] = '"';
	for (; v[i] && i < shown && o + 5 < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		buf[o++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (v[i] && o + 5 < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/*
 * Parses and stores one value.  `origin` says where it came from ("file:4:8",
 * "PINGAN_THREADS", "--threads"); when the origin already names the setting
 * (an environment variable) the key is not repeated.
 */
static int apply_value(pa_config_t *c, const struct setting *s, const char *text,
                       const char *origin, bool origin_names_key, pa_err_t *err)
{
	char why[160] = "";
	int rc = parser_for(s->type)(c, s, text, why, sizeof(why));
	if (rc == 0)
		return 0;
	char got[64] = "";
	if (s->type != T_TEXT) {
		char q[56];
		quote_for_message(text, q, sizeof(q));
		snprintf(got, sizeof(got), " (got %s)", q);
	}
	if (origin && origin_names_key)
		return pa_fail(err, rc, "config", s->key, "%s: %s%s", origin, why, got);
	if (origin)
		return pa_fail(err, rc, "config", s->key, "%s: %s: %s%s", origin, s->key, why, got);
	return pa_fail(err, rc, "config", s->key, "%s: %s%s", s->key, why, got);
}

/* ---- init, copy, free --------------------------------------------------- */

void config_init(pa_config_t *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		pa_err_t e;
		if (apply_value(c, &settings[i], settings[i].def, "default", false, &e) != 0) {
			/* a bad default is a bug in the table above */
			log_error("config: %s", e.detail);
			abort();
		}
	}
}

void config_free(pa_config_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (is_string_type(settings[i].type))
			free(*str_field(c, settings[i].offset));
	free(c->listen_host);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* A deep copy, so a load can be applied to it and thrown away on error. */
static void config_copy(pa_config_t *dst, const pa_config_t *src)
{
	*dst = *src;
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		if (!is_string_type(settings[i].type))
			continue;
		char **p = str_field(dst, settings[i].offset);
		if (*p)
			*p = xstrdup(*p);
	}
	if (dst->listen_host)
		dst->listen_host = xstrdup(dst->listen_host);
	if (dst->source)
		dst->source = xstrdup(dst->source);
}

static void config_replace(pa_config_t *c, pa_config_t *with)
{
	config_free(c);
	*c = *with;
}

int config_set(pa_config_t *c, const char *key, const char *value, const char *origin,
               pa_err_t *err)
{
	const struct setting *s = key ? find_setting(key) : NULL;
	if (!s)
		return pa_fail(err, PA_EINVAL, "config", key ? key : "", "%s%sunknown setting \"%s\"",
		               origin ? origin : "", origin ? ": " : "", key ? key : "");
	if (!value)
		return pa_fail(err, PA_EINVAL, "config", s->key, "%s%s%s: needs a value",
		               origin ? origin : "", origin ? ": " : "", s->key);
	return apply_value(c, s, value, origin, false, err);
}

/* ---- the YAML file ------------------------------------------------------ */

struct yaml_load {
	yaml_parser_t parser;
	pa_config_t *c;
	const char *name;
	pa_err_t *err;
};

static int yaml_fail_at(struct yaml_load *y, yaml_mark_t m, const char *field, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

static int yaml_fail_at(struct yaml_load *y, yaml_mark_t m, const char *field, const char *fmt,
                        ...)
{
	char what[192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return pa_fail(y->err, PA_EINVAL, "config", field, "%s:%zu:%zu: %s", y->name, m.line + 1,
	               m.column + 1, what);
}

static int next_event(struct yaml_load *y, yaml_event_t *ev)
{
	if (yaml_parser_parse(&y->parser, ev))
		return 0;
	yaml_parser_t *p = &y->parser;
	const char *problem = p->problem ? p->problem : "cannot parse";
	if (p->context)
		return pa_fail(y->err, PA_EINVAL, "config", "", "%s:%zu:%zu: %s %s", y->name,
		               p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
		               p->context);
	return pa_fail(y->err, PA_EINVAL, "config", "", "%s:%zu:%zu: %s", y->name,
	               p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
}

/* A plain empty, ~ or null scalar: YAML's null, read as the empty value. */
static bool is_null_scalar(const yaml_event_t *ev)
{
	if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)ev->data.scalar.value;
	return v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

static const char *event_name(yaml_event_type_t t)
{
	switch (t) {
	case YAML_MAPPING_START_EVENT: return "a mapping";
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_ALIAS_EVENT: return "an alias";
	default: return "something else";
	}
}

static int load_mapping(struct yaml_load *y, const char *prefix, int depth);

/* One key/value pair of a mapping; the key event has been read. */
static int load_pair(struct yaml_load *y, const char *prefix, int depth, yaml_event_t *key,
                     char (*seen)[CONFIG_KEY_MAX + 1], size_t *nseen)
{
	const char *k = (const char *)key->data.scalar.value;
	size_t klen = key->data.scalar.length;
	char full[CONFIG_KEY_MAX + 1];
	int n = snprintf(full, sizeof(full), "%s%s%s", prefix, *prefix ? "." : "", k);
	/* a dotted key must be written nested: `limits.max_body: 1M` at the top
	 * would dodge the duplicate check against `limits: {max_body: ...}` */
	bool known = strlen(k) == klen && !strchr(k, '.') && n > 0 && (size_t)n < sizeof(full) &&
	             (find_setting(full) || is_group(full));
	if (!known) {
		char shown[64];
		quote_for_message(k, shown, sizeof(shown));
		return yaml_fail_at(y, key->start_mark, n > 0 && (size_t)n < sizeof(full) ? full : "",
		                    "unknown setting %s", shown);
	}
	for (size_t i = 0; i < *nseen; i++)
		if (strcmp(seen[i], full) == 0)
			return yaml_fail_at(y, key->start_mark, full, "%s: duplicate key", full);
	memcpy(seen[(*nseen)++], full, (size_t)n + 1);

	yaml_event_t val;
	int rc = next_event(y, &val);
	if (rc)
		return rc;
	const struct setting *s = find_setting(full);
	if (val.type == YAML_MAPPING_START_EVENT && is_group(full)) {
		rc = depth + 1 < CONFIG_DEPTH_MAX
		         ? load_mapping(y, full, depth + 1)
		         : yaml_fail_at(y, val.start_mark, full, "%s: nested too deeply", full);
	} else if (val.type == YAML_SCALAR_EVENT && s) {
		const char *v = (const char *)val.data.scalar.value;
		if (strlen(v) != val.data.scalar.length) {
			rc = yaml_fail_at(y, val.start_mark, s->key, "%s: contains a NUL character",
			                  s->key);
		} else {
			char origin[CONFIG_NAME_SHOWN + 64];
			snprintf(origin, sizeof(origin), "%s:%zu:%zu", y->name, val.start_mark.line + 1,
			         val.start_mark.column + 1);
			rc = apply_value(y->c, s, is_null_scalar(&val) ? "" : v, origin, false, y->err);
		}
	} else if (s) {
		rc = yaml_fail_at(y, val.start_mark, full, "%s: expected a single value, not %s", full,
		                  event_name(val.type));
	} else {
		rc = yaml_fail_at(y, val.start_mark, full, "%s: expected a mapping of %s.* settings",
		                  full, full);
	}
	yaml_event_delete(&val);
	return rc;
}

/* Reads pairs until the end of the mapping whose start event was consumed. */
static int load_mapping(struct yaml_load *y, const char *prefix, int depth)
{
	/* each key is either a setting or a group, so a mapping holds no more
	 * distinct known keys than there are rows */
	char seen[ARRAY_SIZE(settings)][CONFIG_KEY_MAX + 1];
	size_t nseen = 0;
	for (;;) {
		yaml_event_t key;
		int rc = next_event(y, &key);
		if (rc)
			return rc;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			rc = yaml_fail_at(y, key.start_mark, prefix, "expected a setting name, not %s",
			                  event_name(key.type));
		} else if (nseen == ARRAY_SIZE(settings)) {
			rc = yaml_fail_at(y, key.start_mark, prefix, "%s", "too many keys");
		} else {
			rc = load_pair(y, prefix, depth, &key, seen, &nseen);
		}
		yaml_event_delete(&key);
		if (rc)
			return rc;
	}
}

/* stream-start, at most one document holding one mapping (or nothing), stream-end */
static int load_stream(struct yaml_load *y)
{
	yaml_event_t ev;
	int rc = next_event(y, &ev);
	if (rc)
		return rc;
	yaml_event_delete(&ev); /* STREAM-START */
	if ((rc = next_event(y, &ev)))
		return rc;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		return 0;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	if ((rc = next_event(y, &ev)))
		return rc;
	if (ev.type == YAML_MAPPING_START_EVENT)
		rc = load_mapping(y, "", 0);
	else if (!is_null_scalar(&ev))
		rc = yaml_fail_at(y, ev.start_mark, "", "expected a mapping of settings, not %s",
		                  ev.type == YAML_SCALAR_EVENT ? "a single value"
		                                               : event_name(ev.type));
	yaml_event_delete(&ev);
	if (rc)
		return rc;
	if ((rc = next_event(y, &ev)))
		return rc;
	yaml_event_delete(&ev); /* DOCUMENT-END */
	if ((rc = next_event(y, &ev)))
		return rc;
	if (ev.type != YAML_STREAM_END_EVENT)
		rc = yaml_fail_at(y, ev.start_mark, "", "%s", "only one YAML document is allowed");
	yaml_event_delete(&ev);
	return rc;
}

static void parser_open(struct yaml_load *y, const char *buf, size_t len)
{
	if (!yaml_parser_initialize(&y->parser))
		abort(); /* only fails when out of memory */
	yaml_parser_set_encoding(&y->parser, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)buf, len);
}

/* The whole stream is well-formed YAML.  Checked before any value is looked
 * at, because libyaml hands out the values before a syntax error further on,
 * and "listen: expected HOST:PORT" would be the wrong thing to tell someone
 * who forgot a quote on the next line. */
static int check_syntax(struct yaml_load *y)
{
	for (;;) {
		yaml_event_t ev;
		int rc = next_event(y, &ev);
		if (rc)
			return rc;
		bool end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (end)
			return 0;
	}
}

int config_load_buffer(pa_config_t *c, const char *buf, size_t len, const char *name,
                       pa_err_t *err)
{
	if (!name)
		name = "config";
	if (len > CONFIG_FILE_MAX)
		return pa_fail(err, PA_ETOOLARGE, "config", "", "%s: larger than %d bytes", name,
		               CONFIG_FILE_MAX);
	/* a long path would crowd the line:column out of the 256-byte detail */
	char shown[CONFIG_NAME_SHOWN + 4];
	size_t nlen = strlen(name);
	if (nlen > CONFIG_NAME_SHOWN) {
		snprintf(shown, sizeof(shown), "...%s", name + nlen - CONFIG_NAME_SHOWN);
		name = shown;
	}
	pa_config_t tmp;
	config_copy(&tmp, c);
	struct yaml_load y = { .c = &tmp, .name = name, .err = err };
	parser_open(&y, buf, len);
	int rc = check_syntax(&y);
	yaml_parser_delete(&y.parser);
	if (rc == 0) {
		parser_open(&y, buf, len);
		rc = load_stream(&y);
		yaml_parser_delete(&y.parser);
	}
	if (rc) {
		config_free(&tmp);
		return rc;
	}
	config_replace(c, &tmp);
	return 0;
}

int config_load_file(pa_config_t *c, const char *path, pa_err_t *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pa_fail(err, errno == ENOENT ? PA_ENOTFOUND : PA_EIO, "config", "", "%s: %s",
		               path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return pa_fail(err, PA_EIO, "config", "", "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return pa_fail(err, PA_EINVAL, "config", "", "%s: not a regular file", path);
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		close(fd);
		return pa_fail(err, PA_ETOOLARGE, "config", "", "%s: larger than %d bytes", path,
		               CONFIG_FILE_MAX);
	}
	/* read one byte more than allowed, in case the file grew since fstat */
	size_t cap = CONFIG_FILE_MAX + 1, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return pa_fail(err, PA_EIO, "config", "", "%s: %s", path, strerror(e));
		}
		if (r == 0 || (len += (size_t)r) == cap)
			break;
	}
	close(fd);
	int rc = config_load_buffer(c, buf, len, path, err);
	free(buf);
	if (rc == 0) {
		free(c->source);
		c->source = xstrdup(path);
	}
	return rc;
}

/* ---- the environment ---------------------------------------------------- */

/* PINGAN_* variables that are not settings: used by the test harnesses. */
/* Variables read by commands rather than settings: `pingan init --demo`
 * (passwords), `pingan user` (password), and the test harnesses. */
static const char *const env_not_settings[] = {
	"PINGAN_SOURCE_DIR", "PINGAN_BIN", "PINGAN_ADMIN_PASSWORD", "PINGAN_DEMO_PASSWORD",
	"PINGAN_PASSWORD", "PINGAN_TEST_FULL_DIR",
};

static bool env_known(const char *entry)
{
	size_t n = strcspn(entry, "=");
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const char *names[2] = { settings[i].env, settings[i].env_alias };
		for (size_t j = 0; j < 2; j++)
			if (names[j] && strlen(names[j]) == n && strncmp(names[j], entry, n) == 0)
				return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(env_not_settings); i++)
		if (strlen(env_not_settings[i]) == n && strncmp(env_not_settings[i], entry, n) == 0)
			return true;
	return false;
}

int config_load_env(pa_config_t *c, pa_err_t *err)
{
	pa_config_t tmp;
	config_copy(&tmp, c);
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(settings) && rc == 0; i++) {
		const struct setting *s = &settings[i];
		const char *v = getenv(s->env);
		const char *a = s->env_alias ? getenv(s->env_alias) : NULL;
		if (v && a && strcmp(v, a) != 0) {
			rc = pa_fail(err, PA_EINVAL, "config", s->key,
			             "%s and %s are both set, to different values", s->env, s->env_alias);
		} else if (v || a) {
			rc = apply_value(&tmp, s, v ? v : a, v ? s->env : s->env_alias, true, err);
		}
	}
	if (rc) {
		config_free(&tmp);
		return rc;
	}
	config_replace(c, &tmp);
	/* a misspelt variable would otherwise be ignored without a word */
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "PINGAN_", 7) == 0 && !env_known(*e))
			log_warn("config: ignoring unknown environment variable %.*s",
			         (int)strcspn(*e, "="), *e);
	return 0;
}

/* ---- finalize ------------------------------------------------------------ */

static const struct setting *setting_at(size_t offset)
{
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++)
		if (settings[i].offset == offset)
			return &settings[i];
	return NULL;
}

int config_finalize(pa_config_t *c, pa_err_t *err)
{
	const struct setting *data = setting_at(OFF(data_dir));
	if (!c->data_dir || !c->data_dir[0])
		return pa_fail(err, PA_EINVAL, "config", data->key, "%s: must not be empty",
		               data->key);

	for (size_t i = 0; i < ARRAY_SIZE(derived_paths); i++) {
		char **field = str_field(c, derived_paths[i].field);
		if (*field && **field)
			continue;
		const char *base = *str_field(c, derived_paths[i].base);
		const char *rel = derived_paths[i].rel;
		size_t blen = strlen(base);
		bool slash = blen > 0 && base[blen - 1] == '/';
		strbuf_t sb = STRBUF_INIT;
		strbuf_addf(&sb, "%s%s%s", base, slash ? "" : "/", rel);
		const struct setting *s = setting_at(derived_paths[i].field);
		int rc = apply_value(c, s, sb.buf, "derived", false, err);
		strbuf_release(&sb);
		if (rc)
			return rc;
	}

	/* listen_host/listen_port follow listen; re-derive in case a caller
	 * assigned the field directly */
	const struct setting *listen = setting_at(OFF(listen));
	char *text = xstrdup(c->listen ? c->listen : "");
	int rc = apply_value(c, listen, text, NULL, false, err);
	free(text);
	if (rc)
		return rc;

	for (size_t i = 0; i < ARRAY_SIZE(size_rules); i++) {
		const struct setting *small = find_setting(size_rules[i].small);
		const struct setting *large = find_setting(size_rules[i].large);
		int64_t sv = *(int64_t *)field_ptr(c, small), lv = *(int64_t *)field_ptr(c, large);
		if (sv > lv) {
			char a[32], b[32];
			format_size(sv, a, sizeof(a));
			format_size(lv, b, sizeof(b));
			return pa_fail(err, PA_EINVAL, "config", small->key,
			               "%s (%s) must not exceed %s (%s)", small->key, a, large->key, b);
		}
	}

	const struct setting *tiles = setting_at(OFF(map_tile_url));
	if (c->map_tile_url && c->map_tile_url[0] &&
	    (!strstr(c->map_tile_url, "{z}") || !strstr(c->map_tile_url, "{x}") ||
	     !strstr(c->map_tile_url, "{y}")))
		return pa_fail(err, PA_EINVAL, "config", tiles->key,
		               "%s: the URL template needs {z}, {x} and {y}", tiles->key);
	const struct setting *center = setting_at(OFF(map_center));
	double lat, lng;
	if (!config_map_center(c->map_center, &lat, &lng))
		return pa_fail(err, PA_EINVAL, "config", center->key,
		               "%s: expected LAT,LNG in decimal degrees, e.g. 26.0745,119.2965", center->key);

	if (c->test_clock)
		log_warn("config: test_clock is on: the clock can be moved through the API; "
		         "never run a production server like this");
	return 0;
}

/* ---- describe and template ----------------------------------------------- */

static void default_text(const struct setting *s, char *buf, size_t n)
{
	if (s->def_doc)
		snprintf(buf, n, "%s", s->def_doc);
	else if (s->def[0] == '\0')
		snprintf(buf, n, "\"\"");
	else
		snprintf(buf, n, "%s", s->def);
}

static void env_text(const struct setting *s, char *buf, size_t n)
{
	if (s->env_alias)
		snprintf(buf, n, "%s, %s", s->env, s->env_alias);
	else
		snprintf(buf, n, "%s", s->env);
}

void config_describe(strbuf_t *out)
{
	size_t wkey = strlen("KEY"), wenv = strlen("ENVIRONMENT"), wdef = strlen("DEFAULT");
	char buf[256];
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct setting *s = &settings[i];
		size_t n = strlen(s->key);
		wkey = n > wkey ? n : wkey;
		env_text(s, buf, sizeof(buf));
		wenv = strlen(buf) > wenv ? strlen(buf) : wenv;
		default_text(s, buf, sizeof(buf));
		wdef = strlen(buf) > wdef ? strlen(buf) : wdef;
	}
	strbuf_addf(out, "%-*s  %-*s  %-*s  %s\n", (int)wkey, "KEY", (int)wenv, "ENVIRONMENT",
	            (int)wdef, "DEFAULT", "HELP");
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		const struct setting *s = &settings[i];
		char env[128], def[256], range[64];
		env_text(s, env, sizeof(env));
		default_text(s, def, sizeof(def));
		format_range(s, range, sizeof(range));
		strbuf_addf(out, "%-*s  %-*s  %-*s  %s (%s)", (int)wkey, s->key, (int)wenv, env,
		            (int)wdef, def, s->help, range);
		if (s->key_alias)
			strbuf_addf(out, "; also written %s", s->key_alias);
		strbuf_addch(out, '\n');
	}
}

/* A YAML double-quoted scalar. */
static void add_yaml_quoted(strbuf_t *out, const char *v)
{
	strbuf_addch(out, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_addf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addf(out, "\\x%02x", *p);
		else
			strbuf_addch(out, *p);
	}
	strbuf_addch(out, '"');
}

/* The key the template writes a setting under (the alias when the key is
 * also a group, so `database` appears as `database: {path: ...}`). */
static const char *template_key(const struct setting *s)
{
	return s->key_alias && is_group(s->key) ? s->key_alias : s->key;
}

static size_t group_len(const char *key)
{
	const char *dot = strchr(key, '.');
	return dot ? (size_t)(dot - key) : 0;
}

static void template_row(strbuf_t *out, const struct setting *s, const char *indent)
{
	const char *key = template_key(s);
	const char *leaf = key + (group_len(key) ? group_len(key) + 1 : 0);
	char range[64];
	format_range(s, range, sizeof(range));
	/* top-level comments are "# text", nested ones "#  # text", settings
	 * "#key: value" and "#  key: value": removing one '#' from a setting
	 * line (and its group line) gives valid YAML */
	const char *note = *indent ? "#  # " : "# ";
	char first = s->help[0];
	if (first >= 'a' && first <= 'z')
		first = (char)(first - 'a' + 'A');
	strbuf_addf(out, "%s%c%s (%s).\n", note, first, s->help + 1, range);
	strbuf_addf(out, "%senv %s", note, s->env);
	if (s->env_alias)
		strbuf_addf(out, " or %s", s->env_alias);
	if (s->def_doc)
		strbuf_addf(out, "; empty means %s", s->def_doc);
	strbuf_addch(out, '\n');
	strbuf_addf(out, "#%s%s: ", indent, leaf);
	if (is_string_type(s->type))
		add_yaml_quoted(out, s->def);
	else
		strbuf_adds(out, s->def);
	strbuf_addch(out, '\n');
}

void config_write_template(strbuf_t *out)
{
	strbuf_adds(out,
	            "# Pingan configuration (YAML).\n"
	            "#\n"
	            "# Every setting is listed below with its default, commented out: as it\n"
	            "# stands this file changes nothing.  To change a setting, remove the '#'\n"
	            "# in front of it (and in front of its group line, such as \"#limits:\").\n"
	            "# Layers, later wins: defaults, this file, PINGAN_* environment\n"
	            "# variables, command-line flags.  Unknown keys are errors.\n"
	            "# Sizes take a K, M or G suffix (1024-based).  See docs/configuration.md.\n");
	bool done[ARRAY_SIZE(settings)] = { false };
	for (size_t i = 0; i < ARRAY_SIZE(settings); i++) {
		if (done[i])
			continue;
		const char *key = template_key(&settings[i]);
		size_t g = group_len(key);
		strbuf_addch(out, '\n');
		if (!g) {
			template_row(out, &settings[i], "");
			done[i] = true;
			continue;
		}
		/* a group: every row under it, wherever it sits in the table */
		strbuf_addf(out, "#%.*s:\n", (int)g, key);
		for (size_t j = i; j < ARRAY_SIZE(settings); j++) {
			const char *other = template_key(&settings[j]);
			if (done[j] || group_len(other) != g || strncmp(other, key, g) != 0)
				continue;
			template_row(out, &settings[j], "  ");
			done[j] = true;
		}
	}
}

/* ---- derived values ------------------------------------------------------ */

size_t config_map_tile_origin(const char *tile_url, char *out, size_t n)
{
	if (n)
		out[0] = '\0';
	if (!tile_url || !*tile_url || n == 0)
		return 0;
	size_t scheme = strncmp(tile_url, "https://", 8) == 0 ? 8 : strncmp(tile_url, "http://", 7) == 0 ? 7 : 0;
	if (!scheme)
		return 0;
	const char *host = tile_url + scheme;
	size_t hlen = strcspn(host, "/?#");
	/* {s}.tiles.example.org: one host per subdomain letter */
	bool sub = strncmp(host, "{s}.", 4) == 0;
	if (sub) {
		host += 4;
		hlen -= 4;
	}
	if (hlen == 0 || memchr(host, '{', hlen) || memchr(host, '}', hlen))
		return 0;
	int w = snprintf(out, n, "%.*s%s%.*s", (int)scheme, tile_url, sub ? "*." : "", (int)hlen, host);
	if (w < 0 || (size_t)w >= n) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)w;
}

bool config_map_center(const char *text, double *lat, double *lng)
{
	if (!text || !*text)
		return false;
	const char *p = text;
	char *end;
	errno = 0;
	double a = strtod(p, &end);
	if (end == p || errno)
		return false;
	for (p = end; *p == ' '; p++)
		;
	if (*p++ != ',')
		return false;
	for (; *p == ' '; p++)
		;
	double b = strtod(p, &end);
	if (end == p || errno || *end)
		return false;
	if (!isfinite(a) || !isfinite(b) || a < -90 || a > 90 || b < -180 || b > 180)
		return false;
	*lat = a;
	*lng = b;
	return true;
}
