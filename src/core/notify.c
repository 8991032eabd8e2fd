/*
 * notify.c — notification templates, rendering, and the outbox messages
 * written inside a change's transaction (see notify.h).
 *
 * Templates.  events[] below is the one table of what can be notified: each
 * event names the placeholders the code fills for it and the template parts
 * its file must have.  A file is composed by libyaml into a node tree and
 * walked by shape (root → channel → [subject|body →] language), every key
 * checked against the table, so a mistake is reported with its line and
 * column and the server does not start with it.  The walk is bounded by the
 * fixed shape, so YAML aliases cannot make it loop.
 *
 * Messages.  notify_tx_notice() and notify_tx_alert() run inside a store
 * write function: they read what they need on the writer connection
 * (store_tx_conn), render, and insert outbox rows — the change and its
 * messages commit together or not at all.  Each message gets a random uid,
 * which receivers see as the delivery id (webhook JSON "id", e-mail
 * Message-ID) and which binds its sealed recipient (AAD
 * "outbox/<uid>/recipient").  A dedupe key per (cause, channel, recipient)
 * makes a repeated write harmless.
 *
 * The helpers at the end (HMAC, backoff, RFC 2047, the e-mail message, the
 * gateway URL) are pure and unit-tested; core/sender.c puts them on the wire.
 */
#include "base/common.h"
#include "base/jsonw.h"
#include "core/notify.h"

#include <dirent.h>
#include <inttypes.h>
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <yaml.h>

#define NOTIFY_NAME_MAX 32      /* bytes of a placeholder name */
#define NOTIFY_PARTIES_MAX 64   /* parties of one case told of a notice */

/* ---- the table of events ------------------------------------------------------------ */

enum part { P_SMS, P_EMAIL_SUBJECT, P_EMAIL_BODY, P_WEBHOOK, P_COUNT };
static const char *const part_names[P_COUNT] = { "sms", "email.subject", "email.body", "webhook" };
#define BIT(p) (1u << (p))

enum lang { L_ZH, L_EN, L_COUNT };
static const char *const lang_names[L_COUNT] = { "zh-CN", "en" };

static const char *const notice_vars[] = { "number", "title", "unit", "date", "due", "notice",
	                                       "notice_title", "notice_text", "action", "type" };
static const char *const alert_vars[] = { "number", "title", "unit", "state", "due", "percent",
	                                      "recipients", "type", "date" };
static const char *const supervision_vars[] = { "number", "title", "unit", "issuer", "due",
	                                            "reason", "required_action", "recipients",
	                                            "type", "date" };

static const char *const record_alert_vars[] = { "number", "title", "unit", "type", "record",
	                                             "summary", "recipients", "date" };

static const struct event_def {
	const char *name;
	const char *const *vars;
	size_t nvars;
	unsigned parts;    /* each is required */
} events[] = {
	{ "notice", notice_vars, ARRAY_SIZE(notice_vars),
	  BIT(P_SMS) | BIT(P_EMAIL_SUBJECT) | BIT(P_EMAIL_BODY) | BIT(P_WEBHOOK) },
	{ "reminder", alert_vars, ARRAY_SIZE(alert_vars), BIT(P_WEBHOOK) },
	{ "escalation", alert_vars, ARRAY_SIZE(alert_vars), BIT(P_WEBHOOK) },
	{ "supervision_overdue", supervision_vars, ARRAY_SIZE(supervision_vars), BIT(P_WEBHOOK) },
	{ "record_alert", record_alert_vars, ARRAY_SIZE(record_alert_vars), BIT(P_WEBHOOK) },
};
#define N_EVENTS ARRAY_SIZE(events)

struct notify_templates {
	arena_t *arena;
	bool loaded[N_EVENTS];
	const char *text[N_EVENTS][P_COUNT][L_COUNT];
};

static int event_index(const char *name)
{
	for (size_t i = 0; i < N_EVENTS; i++)
		if (streq(events[i].name, name))
			return (int)i;
	return -1;
}

static enum lang lang_of(const char *lang)
{
	return lang && lang[0] == 'e' && lang[1] == 'n' ? L_EN : L_ZH;
}

/* ---- template syntax ------------------------------------------------------------------ */

enum tok_kind { TOK_END, TOK_TEXT, TOK_VAR, TOK_BAD };

typedef struct tok {
	enum tok_kind kind;
	const char *s;
	size_t n;
} tok_t;

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* Literal text, "{{" → "{", "}}" → "}", a lone "}", or {name}; a "{" that
 * starts no well-formed placeholder is TOK_BAD (the rest of the text). */
static tok_t tok_next(const char *s, size_t *pos)
{
	tok_t t = { TOK_END, NULL, 0 };
	size_t i = *pos;
	if (!s[i])
		return t;
	if (s[i] == '{' && s[i + 1] == '{') {
		t = (tok_t){ TOK_TEXT, s + i, 1 };
		*pos = i + 2;
	} else if (s[i] == '}') {
		t = (tok_t){ TOK_TEXT, s + i, 1 };
		*pos = i + (s[i + 1] == '}' ? 2 : 1);
	} else if (s[i] == '{') {
		size_t j = i + 1;
		while (name_char(s[j]) && j - i <= NOTIFY_NAME_MAX)
			j++;
		if (s[j] != '}' || j == i + 1 || j - i - 1 > NOTIFY_NAME_MAX) {
			t = (tok_t){ TOK_BAD, s + i, strlen(s + i) };
			*pos = i + t.n;
		} else {
			t = (tok_t){ TOK_VAR, s + i + 1, j - i - 1 };
			*pos = j + 1;
		}
	} else {
		size_t j = i;
		while (s[j] && s[j] != '{' && s[j] != '}')
			j++;
		t = (tok_t){ TOK_TEXT, s + i, j - i };
		*pos = j;
	}
	return t;
}

static bool var_known(const struct event_def *e, const char *name, size_t n)
{
	for (size_t i = 0; i < e->nvars; i++)
		if (strlen(e->vars[i]) == n && memcmp(e->vars[i], name, n) == 0)
			return true;
	return false;
}

static char *render(arena_t *a, const char *tpl, const json_t *vars)
{
	strbuf_t sb;
	strbuf_init(&sb, 2 * strlen(tpl) + 256);
	size_t pos = 0;
	for (tok_t t; (t = tok_next(tpl, &pos)).kind != TOK_END;) {
		if (t.kind != TOK_VAR) {
			strbuf_add(&sb, t.s, t.n);
			continue;
		}
		char name[NOTIFY_NAME_MAX + 1];
		size_t n = t.n < NOTIFY_NAME_MAX ? t.n : NOTIFY_NAME_MAX;
		memcpy(name, t.s, n);
		name[n] = '\0';
		json_t *v = json_is_object(vars) ? json_object_get(vars, name) : NULL;
		if (json_is_string(v))
			strbuf_adds(&sb, json_string_value(v));
		else if (json_is_integer(v))
			strbuf_addf(&sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	}
	char *out = arena_strndup(a, sb.buf, sb.len);
	strbuf_release(&sb);
	return out;
}

/* render() with the values of an event's placeholders in the order of its
 * vars[] (NULL: nothing) instead of a JSON object — a notice's messages are
 * rendered five times per action, and building and freeing the object was
 * most of it. */
static char *render_vals(arena_t *a, const char *tpl, const struct event_def *e,
                         const char *const *vals)
{
	strbuf_t sb;
	strbuf_init(&sb, 2 * strlen(tpl) + 256);
	size_t pos = 0;
	for (tok_t t; (t = tok_next(tpl, &pos)).kind != TOK_END;) {
		if (t.kind != TOK_VAR) {
			strbuf_add(&sb, t.s, t.n);
			continue;
		}
		for (size_t i = 0; i < e->nvars; i++)
			if (strlen(e->vars[i]) == t.n && memcmp(e->vars[i], t.s, t.n) == 0) {
				if (vals[i])
					strbuf_adds(&sb, vals[i]);
				break;
			}
	}
	char *out = arena_strndup(a, sb.buf, sb.len);
	strbuf_release(&sb);
	return out;
}

/* ---- loading ---------------------------------------------------------------------------- */

typedef struct loader {
	const char *src;
	const struct event_def *ev;
	yaml_document_t *doc;
	notify_templates_t *t;
	int ev_index;
	pa_err_t *err;
} loader_t;

static int fail_at(loader_t *l, const yaml_node_t *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(loader_t *l, const yaml_node_t *n, const char *path, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t line = n ? n->start_mark.line + 1 : 1, col = n ? n->start_mark.column + 1 : 1;
	if (path && *path)
		return pa_fail(l->err, PA_EINVAL, "notify", path, "%s:%zu:%zu: %s: %s", l->src, line,
		               col, path, msg);
	return pa_fail(l->err, PA_EINVAL, "notify", "", "%s:%zu:%zu: %s", l->src, line, col, msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int want_map(loader_t *l, const yaml_node_t *n, const char *path)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(l, n, path, "expected a mapping");
	return 0;
}

/* A template text: a string within the limit, well-formed, only known placeholders. */
static int read_text(loader_t *l, const yaml_node_t *n, const char *path, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, path, "expected a text");
	const char *s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length)
		return fail_at(l, n, path, "contains a NUL character");
	if (!*s)
		return fail_at(l, n, path, "must not be empty");
	if (n->data.scalar.length > NOTIFY_TEMPLATE_MAX)
		return fail_at(l, n, path, "longer than %d bytes", NOTIFY_TEMPLATE_MAX);
	size_t pos = 0;
	for (tok_t t; (t = tok_next(s, &pos)).kind != TOK_END;) {
		if (t.kind == TOK_BAD)
			return fail_at(l, n, path,
			               "malformed placeholder at \"%.20s\" (write {{ for a literal {)", t.s);
		if (t.kind == TOK_VAR && !var_known(l->ev, t.s, t.n)) {
			strbuf_t known = STRBUF_INIT;
			for (size_t i = 0; i < l->ev->nvars; i++)
				strbuf_addf(&known, "%s{%s}", i ? " " : "", l->ev->vars[i]);
			int rc = fail_at(l, n, path, "unknown placeholder {%.*s} (%s has %s)", (int)t.n, t.s,
			                 l->ev->name, known.buf);
			strbuf_release(&known);
			return rc;
		}
	}
	*out = arena_strdup(l->t->arena, s);
	return 0;
}

/* { zh-CN: text, en: text } for part p. */
static int read_langs(loader_t *l, const yaml_node_t *n, const char *path, enum part p)
{
	int rc = want_map(l, n, path);
	if (rc)
		return rc;
	const char **slot = l->t->text[l->ev_index][p];
	bool seen[L_COUNT] = { false };
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, pr->value);
		const char *key = scalar(k);
		int li = -1;
		for (int i = 0; key && i < L_COUNT; i++)
			if (streq(key, lang_names[i]))
				li = i;
		if (li < 0)
			return fail_at(l, k, path, "unknown language \"%s\" (write zh-CN and en)",
			               key ? key : "?");
		char sub[64];
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (seen[li])
			return fail_at(l, k, sub, "appears twice");
		seen[li] = true;
		if ((rc = read_text(l, v, sub, &slot[li])) != 0)
			return rc;
	}
	for (int i = 0; i < L_COUNT; i++)
		if (!seen[i])
			return fail_at(l, n, path, "missing the %s text", lang_names[i]);
	return 0;
}

static int parse_root(loader_t *l, const yaml_node_t *root)
{
	int rc = want_map(l, root, "");
	if (rc)
		return rc;
	unsigned seen = 0;
	bool seen_channel[3] = { false };
	static const char *const channels[] = { "sms", "email", "webhook" };
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, pr->value);
		const char *key = scalar(k);
		int ci = -1;
		for (int i = 0; key && i < 3; i++)
			if (streq(key, channels[i]))
				ci = i;
		unsigned allowed = l->ev->parts;
		bool ok = ci == 0 ? (allowed & BIT(P_SMS)) != 0
		          : ci == 1 ? (allowed & (BIT(P_EMAIL_SUBJECT) | BIT(P_EMAIL_BODY))) != 0
		          : ci == 2 ? (allowed & BIT(P_WEBHOOK)) != 0 : false;
		if (!ok) {
			strbuf_t list = STRBUF_INIT;
			if (allowed & BIT(P_SMS))
				strbuf_adds(&list, "sms ");
			if (allowed & BIT(P_EMAIL_BODY))
				strbuf_adds(&list, "email ");
			if (allowed & BIT(P_WEBHOOK))
				strbuf_adds(&list, "webhook ");
			strbuf_setlen(&list, list.len ? list.len - 1 : 0);
			rc = fail_at(l, k, "", "unknown key \"%s\" (a %s template has: %s)", key ? key : "?",
			             l->ev->name, list.buf);
			strbuf_release(&list);
			return rc;
		}
		if (seen_channel[ci])
			return fail_at(l, k, key, "appears twice");
		seen_channel[ci] = true;
		if (ci == 0) {
			rc = read_langs(l, v, "sms", P_SMS);
			seen |= BIT(P_SMS);
		} else if (ci == 2) {
			rc = read_langs(l, v, "webhook", P_WEBHOOK);
			seen |= BIT(P_WEBHOOK);
		} else {
			if ((rc = want_map(l, v, "email")) != 0)
				return rc;
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			     rc == 0 && q < v->data.mapping.pairs.top; q++) {
				yaml_node_t *k2 = yaml_document_get_node(l->doc, q->key);
				yaml_node_t *v2 = yaml_document_get_node(l->doc, q->value);
				const char *key2 = scalar(k2);
				enum part p;
				if (streq(key2, "subject"))
					p = P_EMAIL_SUBJECT;
				else if (streq(key2, "body"))
					p = P_EMAIL_BODY;
				else
					return fail_at(l, k2, "email", "unknown key \"%s\" (write subject and body)",
					               key2 ? key2 : "?");
				if (seen & BIT(p))
					return fail_at(l, k2, part_names[p], "appears twice");
				seen |= BIT(p);
				rc = read_langs(l, v2, part_names[p], p);
			}
		}
		if (rc)
			return rc;
	}
	for (int p = 0; p < P_COUNT; p++)
		if ((l->ev->parts & BIT(p)) && !(seen & BIT(p)))
			return fail_at(l, root, part_names[p], "missing: a %s template needs it",
			               l->ev->name);
	return 0;
}

static int yaml_failure(const yaml_parser_t *p, const char *name, pa_err_t *err)
{
	size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
	return pa_fail(err, PA_EINVAL, "notify", "", "%s:%zu:%zu: not YAML: %s%s%s", name, line, col,
	               p->context ? p->context : "", p->context ? " " : "",
	               p->problem ? p->problem : "cannot be parsed");
}

notify_templates_t *notify_templates_new(void)
{
	arena_t *a = arena_new();
	notify_templates_t *t = arena_zalloc(a, sizeof(*t));
	t->arena = a;
	return t;
}

void notify_templates_free(notify_templates_t *t)
{
	if (t)
		arena_free(t->arena);
}

int notify_templates_load_buffer(notify_templates_t *t, const char *event, const char *buf,
                                 size_t len, const char *name, pa_err_t *err)
{
	int ei = event_index(event);
	if (!name)
		name = "<buffer>";
	if (ei < 0)
		return pa_fail(err, PA_EINVAL, "notify", "", "%s: no event \"%s\" is notified", name,
		               event ? event : "?");
	if (len > NOTIFY_FILE_MAX)
		return pa_fail(err, PA_EINVAL, "notify", "", "%s: larger than %d bytes", name,
		               NOTIFY_FILE_MAX);
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser))
		return pa_fail(err, PA_EINTERNAL, "notify", "", "%s: cannot start the YAML parser", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)(buf ? buf : ""), buf ? len : 0);
	if (!yaml_parser_load(&parser, &doc)) {
		int rc = yaml_failure(&parser, name, err);
		yaml_parser_delete(&parser);
		return rc;
	}
	yaml_parser_delete(&parser);
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	/* write into a scratch copy of the slots: a failed load leaves t as it was */
	const char *saved[P_COUNT][L_COUNT];
	memcpy(saved, t->text[ei], sizeof(saved));
	memset(t->text[ei], 0, sizeof(saved));
	loader_t l = { .src = name, .ev = &events[ei], .doc = &doc, .t = t, .ev_index = ei, .err = err };
	int rc = root ? parse_root(&l, root)
	              : pa_fail(err, PA_EINVAL, "notify", "", "%s:1:1: the file holds no templates", name);
	yaml_document_delete(&doc);
	if (rc) {
		memcpy(t->text[ei], saved, sizeof(saved));
		return rc;
	}
	t->loaded[ei] = true;
	return 0;
}

static int read_file(const char *path, char **out, size_t *len, pa_err_t *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return pa_fail(err, PA_EIO, "notify", "", "%s: cannot open: %s", path, strerror(errno));
	char *buf = xmalloc(NOTIFY_FILE_MAX + 1);
	size_t n = fread(buf, 1, NOTIFY_FILE_MAX + 1, f);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return pa_fail(err, PA_EIO, "notify", "", "%s: cannot read", path);
	}
	*out = buf;
	*len = n;
	return 0;
}

int notify_templates_load_dir(const char *dir, notify_templates_t **out, pa_err_t *err)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return pa_fail(err, PA_EIO, "notify", "notify.templates_dir",
		               "%s: cannot open the notification templates: %s", dir, strerror(errno));
	notify_templates_t *t = notify_templates_new();
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		size_t n = strlen(e->d_name);
		if (n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0 || e->d_name[0] == '.')
			continue;
		char event[64];
		snprintf(event, sizeof(event), "%.*s", (int)(n - 5), e->d_name);
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (event_index(event) < 0) {
			rc = pa_fail(err, PA_EINVAL, "notify", "", "%s: no event \"%s\" is notified (the "
			             "events are notice, reminder, escalation, supervision_overdue and record_alert)", path, event);
			break;
		}
		char *buf = NULL;
		size_t len = 0;
		if ((rc = read_file(path, &buf, &len, err)) == 0) {
			rc = notify_templates_load_buffer(t, event, buf, len, path, err);
			free(buf);
		}
	}
	closedir(d);
	for (size_t i = 0; rc == 0 && i < N_EVENTS; i++)
		if (!t->loaded[i])
			rc = pa_fail(err, PA_EINVAL, "notify", "", "%s/%s.yaml: missing: every event needs "
			             "its templates", dir, events[i].name);
	if (rc) {
		notify_templates_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

char *notify_render(arena_t *a, const notify_templates_t *t, const char *event, const char *part,
                    const char *lang, const json_t *vars)
{
	int ei = event_index(event);
	if (!t || ei < 0 || !t->loaded[ei])
		return NULL;
	for (int p = 0; p < P_COUNT; p++)
		if (streq(part, part_names[p])) {
			const char *tpl = t->text[ei][p][lang_of(lang)];
			return tpl ? render(a, tpl, vars) : NULL;
		}
	return NULL;
}

/* ---- the notifier ------------------------------------------------------------------------ */

struct notify {
	const pa_config_t *cfg;
	notify_templates_t *tpl;
	pthread_mutex_t pass_mu;
	atomic_bool stopping;
};

static bool has_scheme(const char *url, const char *const *schemes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0 && url[strlen(schemes[i])])
			return true;
	return false;
}

static bool no_spaces(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return false;
	return true;
}

static int check_settings(const pa_config_t *c, pa_err_t *err)
{
	static const char *const http[] = { "http://", "https://" };
	static const char *const smtp[] = { "smtp://", "smtps://" };
	char why[160];
	if (*c->notify_webhook_url) {
		if (!has_scheme(c->notify_webhook_url, http, 2) || !no_spaces(c->notify_webhook_url))
			return pa_fail(err, PA_EINVAL, "config", "notify.webhook_url",
			               "notify.webhook_url: expected an http:// or https:// URL");
		if (!*c->notify_webhook_secret)
			return pa_fail(err, PA_EINVAL, "config", "notify.webhook_secret",
			               "notify.webhook_secret must be set when notify.webhook_url is: "
			               "receivers check the signature with it");
	}
	if (*c->notify_smtp_url) {
		if (!has_scheme(c->notify_smtp_url, smtp, 2) || !no_spaces(c->notify_smtp_url))
			return pa_fail(err, PA_EINVAL, "config", "notify.smtp_url",
			               "notify.smtp_url: expected smtp://HOST:PORT or smtps://HOST:PORT");
		arena_t *a = arena_new();
		const char *name, *addr;
		bool ok = notify_parse_mailbox(a, c->notify_smtp_from, &name, &addr) == 0 &&
		          notify_email_valid(addr);
		arena_free(a);
		if (!ok)
			return pa_fail(err, PA_EINVAL, "config", "notify.smtp_from",
			               "notify.smtp_from: expected addr@example.org or Name <addr@example.org> "
			               "(needed when notify.smtp_url is set)");
	}
	if (*c->notify_sms_url) {
		if (!has_scheme(c->notify_sms_url, http, 2) || !no_spaces(c->notify_sms_url))
			return pa_fail(err, PA_EINVAL, "config", "notify.sms_url",
			               "notify.sms_url: expected an http:// or https:// URL template");
		if (!notify_gateway_template_valid(c->notify_sms_url, why, sizeof(why)))
			return pa_fail(err, PA_EINVAL, "config", "notify.sms_url", "notify.sms_url: %s", why);
		if (!notify_gateway_template_valid(c->notify_sms_body, why, sizeof(why)))
			return pa_fail(err, PA_EINVAL, "config", "notify.sms_body", "notify.sms_body: %s", why);
	}
	return 0;
}

int notify_open(const pa_config_t *cfg, notify_t **out, pa_err_t *err)
{
	*out = NULL;
	int rc = check_settings(cfg, err);
	if (rc < 0)
		return rc;
	notify_templates_t *t;
	if ((rc = notify_templates_load_dir(cfg->notify_templates_dir, &t, err)) < 0)
		return rc;
	notify_t *n = xcalloc(1, sizeof(*n));
	n->cfg = cfg;
	n->tpl = t;
	pthread_mutex_init(&n->pass_mu, NULL);
	atomic_init(&n->stopping, false);
	*out = n;
	return 0;
}

void notify_close(notify_t *n)
{
	if (!n)
		return;
	notify_templates_free(n->tpl);
	pthread_mutex_destroy(&n->pass_mu);
	free(n);
}

const notify_templates_t *notify_templates(const notify_t *n)
{
	return n ? n->tpl : NULL;
}

bool notify_channel_on(const notify_t *n, const char *channel)
{
	if (!n)
		return false;
	if (streq(channel, "webhook"))
		return *n->cfg->notify_webhook_url != '\0';
	if (streq(channel, "email"))
		return *n->cfg->notify_smtp_url != '\0';
	if (streq(channel, "sms"))
		return *n->cfg->notify_sms_url != '\0';
	return false;
}

void notify_pass_lock(notify_t *n)
{
	pthread_mutex_lock(&n->pass_mu);
}

void notify_pass_unlock(notify_t *n)
{
	pthread_mutex_unlock(&n->pass_mu);
}

void notify_set_stopping(notify_t *n, bool stopping)
{
	if (n)
		atomic_store(&n->stopping, stopping);
}

bool notify_stopping(const notify_t *n)
{
	return n && atomic_load(&((notify_t *)n)->stopping);
}

/* ---- messages ----------------------------------------------------------------------------- */

static const char *date_text(pa_app_t *app, pa_time_t t, arena_t *a, bool date_only)
{
	if (t == PA_NO_DUE || t <= 0)
		return "";
	char buf[32];
	pa_time_format(t, app->cfg->utc_offset_min, buf);
	if (date_only)
		buf[10] = '\0';
	return arena_strdup(a, buf);
}

static const char *unit_name(const pa_org_t *o, enum lang l)
{
	if (!o)
		return "";
	return l == L_EN && o->name_en && *o->name_en ? o->name_en : o->name;
}

static const char *state_label(pa_app_t *app, const pa_case_t *cs, enum lang l)
{
	const wf_def_t *def = app->wf ? wf_registry_find(app->wf, cs->type) : NULL;
	const wf_state_t *st = def ? wf_find_state(def, cs->state) : NULL;
	return st ? wf_label(&st->label, lang_names[l]) : cs->state;
}

static const char *type_label(pa_app_t *app, const pa_case_t *cs, enum lang l)
{
	const wf_def_t *def = app->wf ? wf_registry_find(app->wf, cs->type) : NULL;
	return def ? wf_label(&def->label, lang_names[l]) : cs->type;
}

/*
 * A case that accuses a unit is sealed from it (DESIGN: the informant and
 * the materials never reach the accused).  The webhook is one district-wide
 * endpoint whose routing Pingan does not control, so for such a case it
 * carries only the number, the state and the dates: no title, no notice
 * text.  The informant's own SMS and e-mail are not affected.
 */
static bool sealed(const pa_case_t *cs)
{
	return cs->accused_org_id != 0;
}

static json_t *case_json(pa_app_t *app, arena_t *a, const pa_case_t *cs)
{
	json_t *c = json_object();
	json_object_set_new(c, "sealed", json_boolean(sealed(cs)));
	json_object_set_new(c, "id", json_integer(cs->id));
	json_object_set_new(c, "number", json_string(cs->number));
	json_object_set_new(c, "type", json_string(cs->type));
	json_object_set_new(c, "category", json_string(cs->category ? cs->category : ""));
	json_object_set_new(c, "title",
	                    sealed(cs) ? json_null() : json_string(cs->title ? cs->title : ""));
	json_object_set_new(c, "state", json_string(cs->state));
	json_object_set_new(c, "due_at", cs->due_at == PA_NO_DUE
	                                     ? json_null()
	                                     : json_string(date_text(app, cs->due_at, a, false)));
	json_object_set_new(c, "state_entered_at",
	                    json_string(date_text(app, cs->state_entered_at, a, false)));
	return c;
}

static json_t *unit_json(const pa_org_t *o, pa_id_t id)
{
	return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "code", o ? o->code : "",
	                 "name", o ? o->name : "", "name_en", o && o->name_en ? o->name_en : "");
}

static void new_uid(arena_t *a, const char **uid)
{
	char buf[33];
	ordered_uid(buf);
	*uid = arena_strdup(a, buf);
}

static void put_u16(strbuf_t *sb, uint32_t u)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = { '\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15],
		          hex[u & 15] };
	strbuf_add(sb, e, sizeof(e));
}

void notify_json_ascii(strbuf_t *out, const char *json)
{
	const unsigned char *p = (const unsigned char *)json;
	size_t len = strlen(json), i = 0;
	strbuf_grow(out, len + len);
	while (i < len) {
		size_t k = i;
		while (k < len && p[k] < 0x80)
			k++;
		strbuf_add(out, json + i, k - i);
		if (k == len)
			break;
		uint32_t cp;
		size_t used;
		if (p[k] >= 0xF0 && p[k] < 0xF8 && k + 3 < len) {
			cp = (uint32_t)(p[k] & 7) << 18 | (uint32_t)(p[k + 1] & 63) << 12 |
			     (uint32_t)(p[k + 2] & 63) << 6 | (uint32_t)(p[k + 3] & 63);
			used = 4;
		} else if (p[k] >= 0xE0 && p[k] < 0xF0 && k + 2 < len) {
			cp = (uint32_t)(p[k] & 15) << 12 | (uint32_t)(p[k + 1] & 63) << 6 |
			     (uint32_t)(p[k + 2] & 63);
			used = 3;
		} else if (p[k] >= 0xC0 && p[k] < 0xE0 && k + 1 < len) {
			cp = (uint32_t)(p[k] & 31) << 6 | (uint32_t)(p[k + 1] & 63);
			used = 2;
		} else {
			/* not the start of a sequence: jansson never writes one */
			strbuf_add(out, json + k, 1);
			i = k + 1;
			continue;
		}
		if (cp >= 0x10000 && cp <= 0x10FFFF) {
			cp -= 0x10000;
			put_u16(out, 0xD800 | ((cp & 0xFFC00) >> 10));
			put_u16(out, 0xDC00 | (cp & 0x3FF));
		} else {
			put_u16(out, cp);
		}
		i = k + used;
	}
}

/* A webhook's body as it is stored: compact, keys sorted, in UTF-8 — the
 * sender escapes it to ASCII (notify_json_ascii) when it posts it, so what
 * is signed and sent is json_dumps(JSON_ENSURE_ASCII)'s bytes while the
 * outbox row is less than half as long for a notice in Chinese (a
 * character is 3 bytes here, 6 escaped; the rows of an action's notices
 * were a quarter of the pages each commit wrote).  NULL when jansson
 * fails. */
static const char *webhook_body(arena_t *a, const json_t *payload)
{
	return json_text_sorted(a, payload);  /* those bytes, without jansson's dump (base/jsonw.h) */
}

static int queue_webhook(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                         const char *kind, const pa_org_t *unit, json_t *payload, const char *uid,
                         const char *dedupe, pa_time_t now)
{
	const char *body = webhook_body(a, payload);
	if (!body)
		return pa_fail(store_tx_err(tx), PA_EINTERNAL, "internal", NULL,
		               "could not encode a webhook message");
	pa_outbox_t m = {
		.uid = uid, .created_at = now, .kind = kind, .case_id = cs->id, .channel = "webhook",
		.recipient = arena_printf(a, "unit:%s", unit ? unit->code : "?"),
		.lang = app->cfg->notify_lang, .subject = arena_printf(a, "case.%s", kind),
		.body = body, .dedupe_key = dedupe, .next_attempt_at = now,
	};
	pa_id_t id;
	return store_tx_outbox_insert(tx, &m, &id);
}

static const char *open_party_field(pa_app_t *app, arena_t *a, const pa_party_t *pt,
                                    const char *field, pa_blob_t b)
{
	if (!b.len || !app->keys)
		return NULL;
	char *plain = NULL;
	const char *aad = arena_printf(a, "party/%s/%s", pt->uid, field);
	if (pii_open(app->keys, a, aad, b, &plain) < 0) {
		log_warn("notify: party %lld: cannot decrypt its %s; not notified", (long long)pt->id,
		         field);
		return NULL;
	}
	return plain;
}

/* At most NOTIFY_SMS_MAX characters, cut on a character boundary. */
static char *cut_chars(arena_t *a, const char *s, size_t max)
{
	size_t chars = 0, i = 0;
	if (!s)
		return arena_strdup(a, "");
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80 && ++chars > max)
			break;
	}
	return arena_strndup(a, s, i);
}

/* A notice's placeholders, in notice_vars[] order. */
enum { NV_NUMBER, NV_TITLE, NV_UNIT, NV_DATE, NV_DUE, NV_NOTICE, NV_NOTICE_TITLE, NV_NOTICE_TEXT,
	   NV_ACTION, NV_TYPE, NV_COUNT };
_Static_assert(NV_COUNT == ARRAY_SIZE(notice_vars), "one value per notice placeholder");

static void notice_vals(pa_app_t *app, const pa_case_t *cs, const pa_org_t *unit,
                        const notify_notice_t *nt, enum lang l, const char *date, const char *due,
                        const char **v)
{
	v[NV_NUMBER] = cs->number;
	v[NV_TITLE] = cs->title ? cs->title : "";
	v[NV_UNIT] = unit_name(unit, l);
	v[NV_DATE] = date;
	v[NV_DUE] = due;
	v[NV_NOTICE] = nt->notice ? nt->notice : "";
	v[NV_ACTION] = nt->action ? nt->action : "";
	v[NV_TYPE] = type_label(app, cs, l);
	const char *title = l == L_EN ? nt->title_en : nt->title_zh;
	const char *text = l == L_EN ? nt->text_en : nt->text_zh;
	v[NV_NOTICE_TITLE] = title ? title : "";
	v[NV_NOTICE_TEXT] = text ? text : "";
}

/* A notice template's part in language l, rendered with v (NULL when the
 * templates have no such part). */
static char *render_notice(arena_t *a, const notify_templates_t *t, enum part p, enum lang l,
                           const char *const *v)
{
	int ei = event_index("notice");
	const char *tpl = t && ei >= 0 && t->loaded[ei] ? t->text[ei][p][l] : NULL;
	return tpl ? render_vals(a, tpl, &events[ei], v) : NULL;
}

static void add_str(strbuf_t *sb, const char *s, int *rc)
{
	if (strbuf_add_json_sorted_str(sb, s) < 0)
		*rc = -1;
}

int notify_notice_body(pa_app_t *app, arena_t *a, const pa_case_t *cs, const pa_org_t *unit,
                       const notify_notice_t *nt, const char *uid, pa_time_t now, const char *text,
                       const char **before, const char **after)
{
	enum lang l = lang_of(app->cfg->notify_lang);
	const char *text_zh = sealed(cs) ? NULL : nt->text_zh;
	const char *text_en = sealed(cs) ? NULL : nt->text_en;
	strbuf_t sb;
	strbuf_init(&sb, 2048);
	int rc = 0;
	/* members in key order, at every level (what JSON_SORT_KEYS wrote) */
	strbuf_adds(&sb, "{\"at\":");
	add_str(&sb, date_text(app, now, a, false), &rc);
	strbuf_adds(&sb, ",\"case\":{\"category\":");
	add_str(&sb, cs->category ? cs->category : "", &rc);
	strbuf_adds(&sb, ",\"due_at\":");
	if (cs->due_at == PA_NO_DUE)
		strbuf_adds(&sb, "null");
	else
		add_str(&sb, date_text(app, cs->due_at, a, false), &rc);
	strbuf_addf(&sb, ",\"id\":%lld,\"number\":", (long long)cs->id);
	add_str(&sb, cs->number, &rc);
	strbuf_adds(&sb, sealed(cs) ? ",\"sealed\":true,\"state\":" : ",\"sealed\":false,\"state\":");
	add_str(&sb, cs->state, &rc);
	strbuf_adds(&sb, ",\"state_entered_at\":");
	add_str(&sb, date_text(app, cs->state_entered_at, a, false), &rc);
	strbuf_adds(&sb, ",\"title\":");
	if (sealed(cs))
		strbuf_adds(&sb, "null");
	else
		add_str(&sb, cs->title ? cs->title : "", &rc);
	strbuf_adds(&sb, ",\"type\":");
	add_str(&sb, cs->type, &rc);
	strbuf_adds(&sb, "},\"event\":\"case.notice\",\"id\":");
	add_str(&sb, uid, &rc);
	strbuf_adds(&sb, ",\"lang\":");
	add_str(&sb, lang_names[l], &rc);
	strbuf_adds(&sb, ",\"notice\":{\"action\":");
	add_str(&sb, nt->action ? nt->action : "", &rc);
	strbuf_adds(&sb, ",\"event_id\":");
	size_t cut = sb.len;
	strbuf_adds(&sb, ",\"name\":");
	add_str(&sb, nt->notice ? nt->notice : "", &rc);
	strbuf_adds(&sb, ",\"text\":");
	if (text_zh)
		add_str(&sb, text_zh, &rc);
	else
		strbuf_adds(&sb, "null");
	strbuf_adds(&sb, ",\"text_en\":");
	if (text_en)
		add_str(&sb, text_en, &rc);
	else
		strbuf_adds(&sb, "null");
	strbuf_adds(&sb, ",\"title\":");
	add_str(&sb, nt->title_zh ? nt->title_zh : "", &rc);
	strbuf_adds(&sb, ",\"title_en\":");
	add_str(&sb, nt->title_en ? nt->title_en : "", &rc);
	strbuf_adds(&sb, "}");
	if (text) {
		strbuf_adds(&sb, ",\"text\":");
		add_str(&sb, text, &rc);
	}
	strbuf_adds(&sb, ",\"unit\":{\"code\":");
	add_str(&sb, unit ? unit->code : "", &rc);
	strbuf_addf(&sb, ",\"id\":%lld,\"name\":", (long long)cs->owner_org_id);
	add_str(&sb, unit ? unit->name : "", &rc);
	strbuf_adds(&sb, ",\"name_en\":");
	add_str(&sb, unit && unit->name_en ? unit->name_en : "", &rc);
	strbuf_adds(&sb, "}}");
	if (rc == 0) {
		*before = arena_strndup(a, sb.buf, cut);
		*after = arena_strndup(a, sb.buf + cut, sb.len - cut);
	}
	strbuf_release(&sb);
	return rc;
}

/*
 * A notice's messages, rendered and sealed before the write that queues
 * them (see notify.h).  The notice event's id is not known until then: it
 * goes into each dedupe key ("notice:<id>:sms:<party>") and into the
 * webhook body's notice.event_id, whose text is kept as the parts before
 * and after it (notify_notice_body).
 */

struct notify_msg {
	pa_outbox_t m;              /* everything but dedupe_key (and the webhook's body) */
	const char *dedupe_tail;    /* after "notice:<event id>" */
	const char *body_after;     /* webhook: the body after the event id (m.body before it) */
};

struct notify_prepared {
	size_t n;
	struct notify_msg *msgs;
};

static struct notify_msg *add_msg(arena_t *a, notify_prepared_t *np, size_t cap)
{
	if (!np->msgs)
		np->msgs = arena_alloc(a, cap * sizeof(*np->msgs));
	struct notify_msg *m = &np->msgs[np->n++];
	memset(m, 0, sizeof(*m));
	return m;
}

/* Seals m's recipient address (AAD "outbox/<uid>/recipient"). */
static int seal_recipient(pa_app_t *app, arena_t *a, pa_outbox_t *m, const char *address,
                          pa_err_t *err)
{
	const char *aad = arena_printf(a, "outbox/%s/recipient", m->uid);
	int rc = pii_seal(app->keys, a, aad, address, &m->recipient_sealed);
	if (rc < 0)
		return pa_fail(err, rc, "internal", NULL, "could not encrypt a notification's recipient");
	return 0;
}

int notify_prepare_notice(pa_app_t *app, store_conn_t *c, arena_t *a, const pa_case_t *cs,
                          const notify_notice_t *nt, pa_time_t now, notify_prepared_t **out,
                          pa_err_t *err)
{
	notify_prepared_t *np = arena_alloc(a, sizeof(*np));
	memset(np, 0, sizeof(*np));
	*out = np;
	notify_t *n = app->notify;
	if (!n)
		return 0;
	bool sms = notify_channel_on(n, "sms"), email = notify_channel_on(n, "email");
	bool webhook = notify_channel_on(n, "webhook");
	if (!sms && !email && !webhook)
		return 0;
	orgtree_t *tree = orgcache_get(app->orgs);
	const pa_org_t *unit = orgtree_find(tree, cs->owner_org_id);
	int rc = 0;
	const char *date = date_text(app, now, a, true), *due = date_text(app, cs->due_at, a, true);
	const char *vals[L_COUNT][NV_COUNT];
	for (int l = 0; l < L_COUNT; l++)
		notice_vals(app, cs, unit, nt, (enum lang)l, date, due, vals[l]);

	/* the public: every party of the case that left a phone or an e-mail address */
	pa_party_t *ps = NULL;
	size_t nparties = 0;
	if ((sms || email) && app->keys && (rc = store_parties_list(c, a, cs->id, &ps, &nparties)) < 0)
		rc = pa_fail(err, rc, "unavailable", NULL, "could not read the parties");
	if (nparties > NOTIFY_PARTIES_MAX)
		nparties = NOTIFY_PARTIES_MAX;
	size_t cap = 2 * nparties + 1;
	const wf_def_t *def = app->wf ? wf_registry_find(app->wf, cs->type) : NULL;
	for (size_t i = 0; rc == 0 && i < nparties; i++) {
		const pa_party_t *pt = &ps[i];
		/* a sealed identity (a tip's informant) leaves not even a mask in the outbox */
		bool hide = def && def->contact_sealed && streq(pt->role, def->contact_role);
		enum lang l = lang_of(pt->lang && *pt->lang ? pt->lang : app->cfg->notify_lang);
		const char *phone = sms ? open_party_field(app, a, pt, "phone", pt->phone) : NULL;
		const char *addr = email ? open_party_field(app, a, pt, "email", pt->email) : NULL;
		if (phone) {
			struct notify_msg *m = add_msg(a, np, cap);
			m->m = (pa_outbox_t){
				.created_at = now, .kind = "notice", .case_id = cs->id, .channel = "sms",
				.recipient = hide ? "sealed" : mask_phone(a, phone), .lang = lang_names[l],
				.body = cut_chars(a, render_notice(a, n->tpl, P_SMS, l, vals[l]), NOTIFY_SMS_MAX),
				.next_attempt_at = now,
			};
			m->dedupe_tail = arena_printf(a, ":sms:%lld", (long long)pt->id);
			new_uid(a, &m->m.uid);
			rc = seal_recipient(app, a, &m->m, phone, err);
		}
		if (rc == 0 && addr) {
			struct notify_msg *m = add_msg(a, np, cap);
			m->m = (pa_outbox_t){
				.created_at = now, .kind = "notice", .case_id = cs->id, .channel = "email",
				.recipient = hide ? "sealed" : notify_mask_email(a, addr), .lang = lang_names[l],
				.subject = render_notice(a, n->tpl, P_EMAIL_SUBJECT, l, vals[l]),
				.body = render_notice(a, n->tpl, P_EMAIL_BODY, l, vals[l]),
				.next_attempt_at = now,
			};
			m->dedupe_tail = arena_printf(a, ":email:%lld", (long long)pt->id);
			new_uid(a, &m->m.uid);
			rc = seal_recipient(app, a, &m->m, addr, err);
		}
	}

	/* the owning unit, through the webhook: a case sealed from the unit it
	 * accuses has no title and no notice text in it */
	if (rc == 0 && webhook) {
		enum lang l = lang_of(app->cfg->notify_lang);
		const char *uid;
		new_uid(a, &uid);
		const char *hv[NV_COUNT];
		memcpy(hv, vals[l], sizeof(hv));
		if (sealed(cs))
			hv[NV_TITLE] = hv[NV_NOTICE_TEXT] = "";
		const char *text = render_notice(a, n->tpl, P_WEBHOOK, l, hv);
		const char *before = NULL, *after = NULL;
		if (notify_notice_body(app, a, cs, unit, nt, uid, now, text, &before, &after) < 0) {
			rc = pa_fail(err, PA_EINTERNAL, "internal", NULL, "could not encode a webhook message");
		} else {
			struct notify_msg *m = add_msg(a, np, cap);
			m->m = (pa_outbox_t){
				.uid = uid, .created_at = now, .kind = "notice", .case_id = cs->id,
				.channel = "webhook", .recipient = arena_printf(a, "unit:%s", unit ? unit->code : "?"),
				.lang = app->cfg->notify_lang, .subject = "case.notice", .body = before,
				.next_attempt_at = now,
			};
			m->dedupe_tail = ":webhook";
			m->body_after = after;
		}
	}
	orgtree_release(tree);
	return rc;
}

int notify_tx_queue(store_tx_t *tx, arena_t *a, const notify_prepared_t *np, pa_id_t event_id)
{
	for (size_t i = 0; i < np->n; i++) {
		const struct notify_msg *nm = &np->msgs[i];
		pa_outbox_t m = nm->m;
		m.dedupe_key = arena_printf(a, "notice:%lld%s", (long long)event_id, nm->dedupe_tail);
		if (nm->body_after)
			m.body = arena_splice_int(a, m.body, (long long)event_id, nm->body_after);
		pa_id_t id;
		int rc = store_tx_outbox_insert(tx, &m, &id);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int notify_tx_notice(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                     const notify_notice_t *nt, pa_time_t now)
{
	notify_prepared_t *np;
	int rc = notify_prepare_notice(app, store_tx_conn(tx), a, cs, nt, now, &np, store_tx_err(tx));
	if (rc == 0)
		rc = notify_tx_queue(tx, a, np, nt->event_id);
	return rc;
}

/* The webhook's "recipients" array, and their names for the text (a person
 * with both roles is named once). */
static json_t *recipients(const pa_member_t *to, size_t nto, enum lang l, strbuf_t *names)
{
	json_t *rcpt = json_array();
	for (size_t i = 0; i < nto && i < NOTIFY_RECIPIENTS_MAX; i++) {
		json_array_append_new(rcpt, json_pack("{s:I, s:s, s:s, s:s}", "user_id",
		                                      (json_int_t)to[i].user_id, "username", to[i].username,
		                                      "display_name", to[i].display_name ? to[i].display_name : "",
		                                      "role", to[i].role));
		bool again = false;
		for (size_t k = 0; k < i; k++)
			again = again || to[k].user_id == to[i].user_id;
		if (!again)
			strbuf_addf(names, "%s%s", names->len ? (l == L_EN ? ", " : "、") : "",
			            to[i].display_name && *to[i].display_name ? to[i].display_name
			                                                       : to[i].username);
	}
	return rcpt;
}

int notify_tx_alert(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                    const char *kind, const pa_member_t *to, size_t nto, int percent,
                    pa_time_t now)
{
	notify_t *n = app->notify;
	if (!n || !notify_channel_on(n, "webhook"))
		return 0;
	orgtree_t *tree = orgcache_get(app->orgs);
	const pa_org_t *unit = orgtree_find(tree, cs->owner_org_id);
	enum lang l = lang_of(app->cfg->notify_lang);
	strbuf_t names = STRBUF_INIT;
	json_t *rcpt = recipients(to, nto, l, &names);
	json_t *v = json_object();
	json_object_set_new(v, "number", json_string(cs->number));
	json_object_set_new(v, "title", json_string(cs->title && !sealed(cs) ? cs->title : ""));
	json_object_set_new(v, "unit", json_string(unit_name(unit, l)));
	json_object_set_new(v, "state", json_string(state_label(app, cs, l)));
	json_object_set_new(v, "due", json_string(date_text(app, cs->due_at, a, false)));
	json_object_set_new(v, "percent", json_integer(percent));
	json_object_set_new(v, "recipients", json_string(names.buf));
	json_object_set_new(v, "type", json_string(type_label(app, cs, l)));
	json_object_set_new(v, "date", json_string(date_text(app, now, a, true)));
	strbuf_release(&names);

	const char *uid;
	new_uid(a, &uid);
	json_t *p = json_object();
	json_object_set_new(p, "id", json_string(uid));
	json_object_set_new(p, "event", json_string(streq(kind, "reminder") ? "case.reminder"
	                                                                    : "case.escalation"));
	json_object_set_new(p, "at", json_string(date_text(app, now, a, false)));
	json_object_set_new(p, "lang", json_string(lang_names[l]));
	json_object_set_new(p, "text", json_string(notify_render(a, n->tpl, kind, "webhook",
	                                                         lang_names[l], v)));
	json_object_set_new(p, "case", case_json(app, a, cs));
	json_object_set_new(p, "unit", unit_json(unit, cs->owner_org_id));
	json_object_set_new(p, "recipients", rcpt);
	if (streq(kind, "reminder"))
		json_object_set_new(p, "percent", json_integer(percent));
	int rc = queue_webhook(app, tx, a, cs, kind, unit, p, uid,
	                       arena_printf(a, "%s:%lld:%s:%lld:webhook", kind, (long long)cs->id,
	                                    cs->state, (long long)cs->due_at),
	                       now);
	json_decref(p);
	json_decref(v);
	orgtree_release(tree);
	return rc;
}

int notify_tx_supervision_overdue(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                                  const pa_supervision_t *o, const pa_member_t *to, size_t nto,
                                  pa_time_t now)
{
	notify_t *n = app->notify;
	if (!n || !notify_channel_on(n, "webhook"))
		return 0;
	orgtree_t *tree = orgcache_get(app->orgs);
	const pa_org_t *unit = orgtree_find(tree, o->to_org_id);
	const pa_org_t *issuer = orgtree_find(tree, o->from_org_id);
	enum lang l = lang_of(app->cfg->notify_lang);
	strbuf_t names = STRBUF_INIT;
	json_t *rcpt = recipients(to, nto, l, &names);
	json_t *v = json_object();
	json_object_set_new(v, "number", json_string(cs->number));
	json_object_set_new(v, "title", json_string(cs->title && !sealed(cs) ? cs->title : ""));
	json_object_set_new(v, "unit", json_string(unit_name(unit, l)));
	json_object_set_new(v, "issuer", json_string(unit_name(issuer, l)));
	json_object_set_new(v, "due", json_string(date_text(app, o->due_at, a, false)));
	json_object_set_new(v, "reason", json_string(o->reason ? o->reason : ""));
	json_object_set_new(v, "required_action",
	                    json_string(o->required_action ? o->required_action : ""));
	json_object_set_new(v, "recipients", json_string(names.buf));
	json_object_set_new(v, "type", json_string(type_label(app, cs, l)));
	json_object_set_new(v, "date", json_string(date_text(app, now, a, true)));
	strbuf_release(&names);

	const char *uid;
	new_uid(a, &uid);
	json_t *p = json_object();
	json_object_set_new(p, "id", json_string(uid));
	json_object_set_new(p, "event", json_string("supervision.overdue"));
	json_object_set_new(p, "at", json_string(date_text(app, now, a, false)));
	json_object_set_new(p, "lang", json_string(lang_names[l]));
	json_object_set_new(p, "text", json_string(notify_render(a, n->tpl, "supervision_overdue",
	                                                         "webhook", lang_names[l], v)));
	json_object_set_new(p, "case", case_json(app, a, cs));
	json_object_set_new(p, "unit", unit_json(unit, o->to_org_id));
	json_object_set_new(p, "order", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)o->id,
	                                          "due_at", date_text(app, o->due_at, a, false),
	                                          "state", o->state ? o->state : ""));
	json_object_set_new(p, "recipients", rcpt);
	/* one message per order: the order is escalated once */
	int rc = queue_webhook(app, tx, a, cs, "supervision_overdue", unit, p, uid,
	                       arena_printf(a, "supervision:%lld:overdue:webhook", (long long)o->id),
	                       now);
	json_decref(p);
	json_decref(v);
	orgtree_release(tree);
	return rc;
}

int notify_tx_record_alert(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                           const notify_record_t *r, pa_id_t unit_id, const pa_member_t *to,
                           size_t nto, pa_time_t now)
{
	notify_t *n = app->notify;
	if (!n || !notify_channel_on(n, "webhook"))
		return 0;
	orgtree_t *tree = orgcache_get(app->orgs);
	const pa_org_t *unit = orgtree_find(tree, unit_id);
	const pa_org_t *owner = orgtree_find(tree, cs->owner_org_id);
	enum lang l = lang_of(app->cfg->notify_lang);
	strbuf_t names = STRBUF_INIT;
	json_t *rcpt = recipients(to, nto, l, &names);
	json_t *v = json_object();
	json_object_set_new(v, "number", json_string(cs->number));
	json_object_set_new(v, "title", json_string(cs->title && !sealed(cs) ? cs->title : ""));
	json_object_set_new(v, "unit", json_string(unit_name(owner, l)));
	json_object_set_new(v, "type", json_string(type_label(app, cs, l)));
	json_object_set_new(v, "record", json_string(l == L_EN ? r->label_en : r->label_zh));
	json_object_set_new(v, "summary", json_string(l == L_EN ? r->summary_en : r->summary_zh));
	json_object_set_new(v, "recipients", json_string(names.buf));
	json_object_set_new(v, "date", json_string(date_text(app, now, a, true)));
	strbuf_release(&names);

	const char *uid;
	new_uid(a, &uid);
	json_t *p = json_object();
	json_object_set_new(p, "id", json_string(uid));
	json_object_set_new(p, "event", json_string("record.alert"));
	json_object_set_new(p, "at", json_string(date_text(app, now, a, false)));
	json_object_set_new(p, "lang", json_string(lang_names[l]));
	json_object_set_new(p, "text", json_string(notify_render(a, n->tpl, "record_alert", "webhook",
	                                                         lang_names[l], v)));
	json_object_set_new(p, "case", case_json(app, a, cs));
	json_object_set_new(p, "unit", unit_json(unit, unit_id));
	json_t *fields = r->fields ? json_loads(r->fields, 0, NULL) : NULL;
	json_object_set_new(p, "record", json_pack("{s:I, s:s, s:i, s:o}", "id", (json_int_t)r->id,
	                                           "kind", r->kind, "version", r->version, "fields",
	                                           fields ? fields : json_object()));
	json_object_set_new(p, "recipients", rcpt);
	/* one message per record version */
	int rc = queue_webhook(app, tx, a, cs, "record_alert", unit, p, uid,
	                       arena_printf(a, "record:%lld:alert:webhook", (long long)r->id), now);
	json_decref(p);
	json_decref(v);
	orgtree_release(tree);
	return rc;
}

/* ---- pure helpers -------------------------------------------------------------------------- */

void notify_hmac_sha256_hex(const char *key, size_t keylen, const void *msg, size_t len,
                            char out[65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 65, mac, sizeof(mac));
}

int64_t notify_backoff(int attempts, int base_s, int max_s)
{
	int64_t d = base_s > 0 ? base_s : 1;
	for (int i = 1; i < attempts && d < max_s; i++)
		d *= 2;
	return d < max_s ? d : max_s;
}

static bool plain_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

void notify_rfc2047(strbuf_t *out, const char *text)
{
	if (plain_ascii(text) && !strstr(text, "=?")) {
		strbuf_adds(out, text);
		return;
	}
	/* 75 = "=?UTF-8?B?" (10) + base64 + "?=" (2): 63 base64 characters, so at most 45
	 * bytes of UTF-8 per word, cut before a continuation byte never inside a character */
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0;
	bool first = true;
	while (i < len) {
		size_t n = len - i < 45 ? len - i : 45;
		while (n > 0 && i + n < len && (s[i + n] & 0xC0) == 0x80)
			n--;
		if (n == 0)
			n = len - i < 45 ? len - i : 45;
		/* control characters (CR, LF, ...) never reach a header: they become spaces */
		unsigned char chunk[45];
		for (size_t k = 0; k < n; k++)
			chunk[k] = s[i + k] < 0x20 || s[i + k] == 0x7f ? ' ' : s[i + k];
		char b64[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof(b64), chunk, n, sodium_base64_VARIANT_ORIGINAL);
		strbuf_addf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
		first = false;
		i += n;
	}
}

int notify_parse_mailbox(arena_t *a, const char *s, const char **name, const char **addr)
{
	*name = "";
	*addr = NULL;
	if (!s)
		return PA_EINVAL;
	while (*s == ' ' || *s == '\t')
		s++;
	const char *lt = strchr(s, '<');
	if (!lt) {
		size_t n = strlen(s);
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		*addr = arena_strndup(a, s, n);
		return **addr ? 0 : PA_EINVAL;
	}
	const char *gt = strchr(lt, '>');
	if (!gt || gt[1] != '\0')
		return PA_EINVAL;
	size_t n = (size_t)(lt - s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			return PA_EINVAL;
	*name = arena_strndup(a, s, n);
	*addr = arena_strndup(a, lt + 1, (size_t)(gt - lt - 1));
	return 0;
}

bool notify_email_valid(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	const char *at = strchr(s, '@');
	if (n < 5 || n > 254 || !at || strchr(at + 1, '@'))
		return false;
	size_t local = (size_t)(at - s);
	if (local < 1 || local > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = s; p < at; p++) {
		unsigned char ch = (unsigned char)*p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		          (ch && strchr("!#$%&'*+/=?^_`{|}~.-", ch));
		if (!ok || (ch == '.' && p[1] == '.'))
			return false;
	}
	const char *d = at + 1;
	if (!strchr(d, '.') || d[0] == '.' || d[0] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
		return false;
	for (const char *p = d; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		          ch == '-' || ch == '.';
		if (!ok || (ch == '.' && (p[1] == '.' || p[1] == '-' || p[-1] == '-')))
			return false;
	}
	return true;
}

char *notify_mask_email(arena_t *a, const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	if (!at || at == s)
		return arena_strdup(a, "****");
	return arena_printf(a, "%c***%s", s[0], at);
}

static void add_base64_lines(strbuf_t *out, const unsigned char *data, size_t len)
{
	/* 57 bytes make one line of 76 base64 characters */
	for (size_t i = 0; i < len; i += 57) {
		size_t n = len - i < 57 ? len - i : 57;
		char line[sodium_base64_ENCODED_LEN(57, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(line, sizeof(line), data + i, n, sodium_base64_VARIANT_ORIGINAL);
		strbuf_adds(out, line);
		strbuf_adds(out, "\r\n");
	}
}

int notify_email_message(strbuf_t *out, const char *from, const char *to, const char *subject,
                         const char *body, pa_time_t date, const char *message_id)
{
	arena_t *a = arena_new();
	const char *from_name, *from_addr;
	int rc = 0;
	if (notify_parse_mailbox(a, from, &from_name, &from_addr) < 0 || !notify_email_valid(from_addr) ||
	    !notify_email_valid(to) || !message_id || !no_spaces(message_id) || strchr(message_id, '>')) {
		rc = PA_EINVAL;
		goto done;
	}
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)date;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strbuf_adds(out, "From: ");
	if (*from_name) {
		if (plain_ascii(from_name) && !strpbrk(from_name, "()<>[]:;@\\,.\""))
			strbuf_adds(out, from_name);
		else if (plain_ascii(from_name))
			strbuf_addf(out, "\"%s\"", from_name);
		else
			notify_rfc2047(out, from_name);
		strbuf_addf(out, " <%s>\r\n", from_addr);
	} else {
		strbuf_addf(out, "%s\r\n", from_addr);
	}
	strbuf_addf(out, "To: %s\r\n", to);
	strbuf_adds(out, "Subject: ");
	notify_rfc2047(out, subject ? subject : "");
	strbuf_addf(out, "\r\nDate: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	            tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	strbuf_addf(out, "Message-ID: <%s>\r\n", message_id);
	strbuf_adds(out, "MIME-Version: 1.0\r\n"
	                 "Content-Type: text/plain; charset=UTF-8\r\n"
	                 "Content-Transfer-Encoding: base64\r\n"
	                 "\r\n");
	/* the body with CRLF line ends, then base64 */
	strbuf_t crlf = STRBUF_INIT;
	for (const char *p = body ? body : ""; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n')
			strbuf_addch(&crlf, '\r');
		strbuf_addch(&crlf, *p);
	}
	add_base64_lines(out, (const unsigned char *)crlf.buf, crlf.len);
	strbuf_release(&crlf);
done:
	arena_free(a);
	return rc;
}

static void add_percent_encoded(strbuf_t *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			strbuf_addch(out, *p);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[*p >> 4]);
			strbuf_addch(out, hex[*p & 15]);
		}
	}
}

void notify_expand_gateway(strbuf_t *out, const char *tpl, const char *phone, const char *text)
{
	size_t pos = 0;
	for (tok_t t; (t = tok_next(tpl, &pos)).kind != TOK_END;) {
		if (t.kind == TOK_VAR && t.n == 5 && memcmp(t.s, "phone", 5) == 0)
			add_percent_encoded(out, phone ? phone : "");
		else if (t.kind == TOK_VAR && t.n == 4 && memcmp(t.s, "text", 4) == 0)
			add_percent_encoded(out, text ? text : "");
		else if (t.kind == TOK_TEXT)
			strbuf_add(out, t.s, t.n);
	}
}

bool notify_gateway_template_valid(const char *tpl, char *why, size_t whylen)
{
	size_t pos = 0;
	for (tok_t t; (t = tok_next(tpl, &pos)).kind != TOK_END;) {
		if (t.kind == TOK_BAD) {
			snprintf(why, whylen, "malformed placeholder at \"%.20s\" (write {{ for a literal {)",
			         t.s);
			return false;
		}
		if (t.kind == TOK_VAR && !((t.n == 5 && memcmp(t.s, "phone", 5) == 0) ||
		                           (t.n == 4 && memcmp(t.s, "text", 4) == 0))) {
			snprintf(why, whylen, "unknown placeholder {%.*s} (only {phone} and {text})", (int)t.n,
			         t.s);
			return false;
		}
	}
	return true;
}
