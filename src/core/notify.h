/*
 * notify.h — notifications: templates, rendering, and the outbox messages a
 * change writes in its own transaction.
 *
 * Who is told what:
 *   - the public, of each notice (告知书) on their case, when they left a
 *     phone number (SMS) or an e-mail address (e-mail), in the language
 *     they wrote in;
 *   - the unit that owns a case, of the same notice, and of deadline
 *     reminders and escalations (core/reminders.c) addressed to its
 *     leaders and supervisors, through the webhook (signed JSON) — staff
 *     accounts hold no personal contact details; the receiving system (the
 *     district's OA or messaging platform) routes by unit and user.
 *
 * Messages are rows of the outbox written by the write function of the
 * change that causes them (store_write: they commit together or not at
 * all); core/sender.c delivers them later, with retries.  A channel whose
 * setting is empty (notify.webhook_url, notify.smtp_url, notify.sms_url) is
 * off: nothing is written for it.  The public's address is never written in
 * clear: it is decrypted from the party (crypto.h) inside the write and
 * sealed again for the outbox row (AAD "outbox/<uid>/recipient"); the row's
 * `recipient` shows a mask.
 *
 * Templates are data: <notify.templates_dir>/<event>.yaml, one file per
 * event (notice, reminder, escalation), each with the channels the event
 * uses and zh-CN and en for every text.  They are loaded and checked at
 * start like workflows: an unknown key, a missing language or channel, or a
 * placeholder the event does not provide is an error naming the file, line,
 * column and path ("templates/notify/notice.yaml:7:9: sms.en: unknown
 * placeholder {phone}").  Placeholders are {name}; "{{" and "}}" are literal
 * braces.
 */
#ifndef PA_NOTIFY_H
#define PA_NOTIFY_H

#include <jansson.h>

#include "base/common.h"
#include "core/app.h"

#define NOTIFY_FILE_MAX (256 * 1024)   /* bytes of one template file */
#define NOTIFY_TEMPLATE_MAX 8192       /* bytes of one template text */
#define NOTIFY_SMS_MAX 500             /* characters of one SMS text, cut beyond */
#define NOTIFY_RECIPIENTS_MAX 64       /* staff named in one reminder or escalation */

typedef struct notify_templates notify_templates_t;

/* Loads and checks one event's file held in memory (the fuzz and test seam). */
int notify_templates_load_buffer(notify_templates_t *t, const char *event, const char *buf,
                                 size_t len, const char *name, pa_err_t *err);
/* A set with no events loaded yet. */
notify_templates_t *notify_templates_new(void);
/* Loads every event's file from dir; each known event needs its file, any
 * other *.yaml there is an error. */
int notify_templates_load_dir(const char *dir, notify_templates_t **out, pa_err_t *err);
void notify_templates_free(notify_templates_t *t);
/*
 * Renders event/part in lang ("zh-CN" or "en"; anything else is zh-CN) with
 * vars (a JSON object of strings and integers; a missing one renders empty).
 * part: "sms", "email.subject", "email.body", "webhook".  NULL when the
 * event has no such part.
 */
char *notify_render(arena_t *a, const notify_templates_t *t, const char *event, const char *part,
                    const char *lang, const json_t *vars);

/* ---- the notifier: templates plus channel settings (one per process, app->notify) ---- */

typedef struct notify notify_t;

/* Loads the templates and checks the channel settings (URL schemes and
 * placeholders); errors name the setting. */
int notify_open(const pa_config_t *cfg, notify_t **out, pa_err_t *err);
void notify_close(notify_t *n);
const notify_templates_t *notify_templates(const notify_t *n);
bool notify_channel_on(const notify_t *n, const char *channel);

/*
 * In a write function, after the notice event: queues the notice for the
 * public (SMS, e-mail to each party that left an address) and the webhook
 * for the owning unit.  cs is the case after the step; title/text in both
 * languages as rendered for the timeline.  A party whose contact cannot be
 * decrypted is skipped (logged), never fails the step.
 */
typedef struct notify_notice {
	const char *notice;       /* the workflow's notice name */
	const char *action;       /* the transition */
	const char *title_zh, *text_zh, *title_en, *text_en;
	pa_id_t event_id;         /* the notice event */
} notify_notice_t;
int notify_tx_notice(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                     const notify_notice_t *nt, pa_time_t now);

/*
 * notify_tx_notice() in two halves, so that only the inserts run in the
 * write (core/cases.c prepares an action's messages on the request's thread
 * before it): notify_prepare_notice() reads the case's parties on c (they
 * never change after intake), renders every message and seals its
 * recipient into a; nt->event_id is not used, the notice event not being
 * written yet.  notify_tx_queue() inserts them in the write with the notice
 * event's id (their dedupe keys and the webhook's notice.event_id).
 */
typedef struct notify_prepared notify_prepared_t;
int notify_prepare_notice(pa_app_t *app, store_conn_t *c, arena_t *a, const pa_case_t *cs,
                          const notify_notice_t *nt, pa_time_t now, notify_prepared_t **out,
                          pa_err_t *err);
int notify_tx_queue(store_tx_t *tx, arena_t *a, const notify_prepared_t *np, pa_id_t event_id);

/*
 * The body of a notice's webhook message as notify_prepare_notice() stores
 * it: JSON, compact, keys sorted at every level, in UTF-8 — written member
 * by member, the bytes a jansson tree dumped with JSON_COMPACT |
 * JSON_SORT_KEYS gave (tests/unit/test_notify.c compares them), since the
 * signature is over them.  cs is the case after the step, unit its owning
 * unit (NULL: empty code and names), text the rendered webhook template
 * (NULL: no "text" member).  The notice event's id goes between *before
 * and *after.  -1 when a text is not valid UTF-8.
 */
int notify_notice_body(pa_app_t *app, arena_t *a, const pa_case_t *cs, const pa_org_t *unit,
                       const notify_notice_t *nt, const char *uid, pa_time_t now, const char *text,
                       const char **before, const char **after);

/* In a write function: queues a reminder or an escalation ("reminder",
 * "escalation") about cs for `to` through the webhook. */
int notify_tx_alert(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                    const char *kind, const pa_member_t *to, size_t nto, int percent,
                    pa_time_t now);

/* In a write function: tells `to` (the leaders of the unit the order went
 * to) through the webhook that supervision order o on cs is overdue; once
 * per order (dedupe key supervision:<id>:overdue). */
int notify_tx_supervision_overdue(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                                  const pa_supervision_t *o, const pa_member_t *to, size_t nto,
                                  pa_time_t now);

/* A record that raised its kind's alert (workflow `alert:`), with its kind's
 * label and a "label: value" summary of its fields in both languages. */
typedef struct notify_record {
	pa_id_t id;
	const char *kind;
	int version;
	const char *fields;       /* JSON object text */
	const char *label_zh, *label_en;
	const char *summary_zh, *summary_en;
} notify_record_t;
/* In a write function: tells `to` (holders of the alert's roles in unit_id)
 * through the webhook, to unit_id, that record r was added to cs; once per
 * record (dedupe key record:<id>:alert). */
int notify_tx_record_alert(pa_app_t *app, store_tx_t *tx, arena_t *a, const pa_case_t *cs,
                           const notify_record_t *r, pa_id_t unit_id, const pa_member_t *to,
                           size_t nto, pa_time_t now);

/* The sender's lock: one pass at a time per process (sender.c). */
void notify_pass_lock(notify_t *n);
void notify_pass_unlock(notify_t *n);
/* Set by sender_stop(): deliveries in progress give up. */
void notify_set_stopping(notify_t *n, bool stopping);
bool notify_stopping(const notify_t *n);

/* ---- pure helpers (unit-tested) ----------------------------------------------------- */

/* Appends json (a JSON text) to out with every non-ASCII character
 * escaped — "\uXXXX" in upper case, a surrogate pair above U+FFFF: the
 * bytes jansson writes with JSON_ENSURE_ASCII, in one pass (jansson
 * formats each escape with snprintf).  A non-ASCII byte of a JSON text is
 * inside a string; a byte that starts no UTF-8 sequence is copied.  The
 * sender posts webhook bodies through it. */
void notify_json_ascii(strbuf_t *out, const char *json);

/* Hex HMAC-SHA256 of msg under key (any length; libsodium). */
void notify_hmac_sha256_hex(const char *key, size_t keylen, const void *msg, size_t len,
                            char out[65]);
/* Seconds to wait after the attempts-th failed attempt (1, 2, …): base·2^(attempts-1),
 * at most max_s. */
int64_t notify_backoff(int attempts, int base_s, int max_s);
/* Appends text as an RFC 2047 header value: as is when it is printable
 * ASCII, else UTF-8 "B" encoded-words of at most 75 characters, split only
 * between characters, joined by CRLF SP (folding). */
void notify_rfc2047(strbuf_t *out, const char *text);
/* Splits "Name <addr>" or "addr"; *name may be "". 0 or PA_EINVAL. */
int notify_parse_mailbox(arena_t *a, const char *s, const char **name, const char **addr);
/* A plausible e-mail address: local@domain.tld, printable ASCII, no spaces, at most 254 bytes. */
bool notify_email_valid(const char *s);
/* z***@example.org */
char *notify_mask_email(arena_t *a, const char *s);
/*
 * The RFC 5322 message of an e-mail: From, To, Subject (RFC 2047), Date
 * (RFC 5322, UTC), Message-ID, MIME-Version, text/plain UTF-8 in base64
 * lines of 76; CRLF line ends.
 */
int notify_email_message(strbuf_t *out, const char *from, const char *to, const char *subject,
                         const char *body, pa_time_t date, const char *message_id);
/* Expands {phone} and {text} in tpl, percent-encoded (RFC 3986 unreserved kept). */
void notify_expand_gateway(strbuf_t *out, const char *tpl, const char *phone, const char *text);
/* Checks a gateway template: only {phone} and {text}; why[] says what is wrong. */
bool notify_gateway_template_valid(const char *tpl, char *why, size_t whylen);

#endif
