/*
 * sender.c — the outbox sender (see sender.h): passes, the thread, and the
 * three channels on libcurl.
 *
 * A pass is claim → deliver → finish.  The claim and the finish are each
 * one store_write; the deliveries in between run outside any transaction
 * (a slow receiver never holds the writer).  Outcomes are decided here and
 * written conditionally (store_tx_outbox_mark_*: only while the message is
 * still pending), so a message an operator changed meanwhile is left alone.
 */
#include "base/common.h"
#include "base/ticker.h"
#include "core/sender.h"
#include "core/notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- channels ---------------------------------------------------------------------------- */

struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t room = size * nmemb, left = u->len - u->off;
	size_t n = left < room ? left : room;
	memcpy(buf, u->data + u->off, n);
	u->off += n;
	return n;
}

/* Keeps the start of the answer for the error message; drops the rest. */
struct answer {
	char text[160];
	size_t len;
};

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nmemb;
	for (size_t i = 0; i < n && a->len + 1 < sizeof(a->text); i++) {
		unsigned char ch = (unsigned char)data[i];
		a->text[a->len++] = ch < 0x20 ? ' ' : (char)ch;
	}
	a->text[a->len] = '\0';
	return n;
}

static int progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	return notify_stopping(arg) ? 1 : 0;
}

static CURL *easy_new(pa_app_t *app, char *errbuf, struct answer *ans, const char *protocols)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	errbuf[0] = '\0';
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)app->cfg->notify_timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)app->cfg->notify_timeout_s);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, app->notify);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "pingan/" PINGAN_VERSION);
	return h;
}

/* Runs h; 0 when it worked (and, for HTTP, answered 2xx). */
static int perform(CURL *h, bool http, const char *errbuf, const struct answer *ans, char *error,
                   size_t errlen)
{
	CURLcode cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		snprintf(error, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return PA_EUNAVAIL;
	}
	if (http) {
		long status = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299) {
			snprintf(error, errlen, "HTTP %ld%s%.120s", status, ans->len ? ": " : "", ans->text);
			return PA_EUNAVAIL;
		}
	}
	return 0;
}

static int deliver_webhook(pa_app_t *app, const pa_outbox_t *m, char *error, size_t errlen)
{
	const pa_config_t *cfg = app->cfg;
	char errbuf[CURL_ERROR_SIZE];
	struct answer ans = { .len = 0 };
	CURL *h = easy_new(app, errbuf, &ans, "http,https");
	if (!h) {
		snprintf(error, errlen, "cannot start libcurl");
		return PA_EINTERNAL;
	}
	/* stored in UTF-8 (notify.c, webhook_body): posted, and signed, in ASCII */
	strbuf_t ascii = STRBUF_INIT;
	notify_json_ascii(&ascii, m->body ? m->body : "");
	const char *body = ascii.buf ? ascii.buf : "";
	char sig[65];
	notify_hmac_sha256_hex(cfg->notify_webhook_secret, strlen(cfg->notify_webhook_secret), body,
	                       strlen(body), sig);
	char line[200];
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
	snprintf(line, sizeof(line), "X-Pingan-Signature: sha256=%s", sig);
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Pingan-Event: %.64s", m->subject ? m->subject : "");
	hdrs = curl_slist_append(hdrs, line);
	snprintf(line, sizeof(line), "X-Pingan-Delivery: %.64s", m->uid ? m->uid : "");
	hdrs = curl_slist_append(hdrs, line);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, cfg->notify_webhook_url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	int rc = perform(h, true, errbuf, &ans, error, errlen);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	strbuf_release(&ascii);
	return rc;
}

static int deliver_email(pa_app_t *app, const pa_outbox_t *m, const char *to, char *error,
                         size_t errlen)
{
	const pa_config_t *cfg = app->cfg;
	arena_t *a = arena_new();
	const char *from_name, *from_addr;
	strbuf_t msg = STRBUF_INIT;
	int rc = notify_parse_mailbox(a, cfg->notify_smtp_from, &from_name, &from_addr);
	if (rc == 0) {
		const char *domain = strchr(from_addr, '@');
		const char *mid = arena_printf(a, "%s%s", m->uid ? m->uid : "x", domain ? domain : "@pingan");
		rc = notify_email_message(&msg, cfg->notify_smtp_from, to, m->subject, m->body,
		                          m->created_at, mid);
	}
	if (rc < 0) {
		snprintf(error, errlen, "cannot compose the e-mail (check notify.smtp_from and the address)");
		strbuf_release(&msg);
		arena_free(a);
		return PA_EINVAL;
	}
	char errbuf[CURL_ERROR_SIZE];
	struct answer ans = { .len = 0 };
	CURL *h = easy_new(app, errbuf, &ans, "smtp,smtps");
	if (!h) {
		strbuf_release(&msg);
		arena_free(a);
		snprintf(error, errlen, "cannot start libcurl");
		return PA_EINTERNAL;
	}
	struct upload up = { msg.buf, msg.len, 0 };
	struct curl_slist *rcpt = curl_slist_append(NULL, arena_printf(a, "<%s>", to));
	curl_easy_setopt(h, CURLOPT_URL, cfg->notify_smtp_url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, arena_printf(a, "<%s>", from_addr));
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	long tls = streq(cfg->notify_smtp_tls, "require") ? (long)CURLUSESSL_ALL
	           : streq(cfg->notify_smtp_tls, "none")  ? (long)CURLUSESSL_NONE
	                                                  : (long)CURLUSESSL_TRY;
	curl_easy_setopt(h, CURLOPT_USE_SSL, tls);
	if (*cfg->notify_smtp_user) {
		curl_easy_setopt(h, CURLOPT_USERNAME, cfg->notify_smtp_user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->notify_smtp_password);
	}
	rc = perform(h, false, errbuf, &ans, error, errlen);
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	strbuf_release(&msg);
	arena_free(a);
	return rc;
}

static int deliver_sms(pa_app_t *app, const pa_outbox_t *m, const char *phone, char *error,
                       size_t errlen)
{
	const pa_config_t *cfg = app->cfg;
	char errbuf[CURL_ERROR_SIZE];
	struct answer ans = { .len = 0 };
	CURL *h = easy_new(app, errbuf, &ans, "http,https");
	if (!h) {
		snprintf(error, errlen, "cannot start libcurl");
		return PA_EINTERNAL;
	}
	strbuf_t url = STRBUF_INIT, body = STRBUF_INIT;
	notify_expand_gateway(&url, cfg->notify_sms_url, phone, m->body);
	curl_easy_setopt(h, CURLOPT_URL, url.buf);
	struct curl_slist *hdrs = NULL;
	if (streq(cfg->notify_sms_method, "POST")) {
		notify_expand_gateway(&body, cfg->notify_sms_body, phone, m->body);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/x-www-form-urlencoded");
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.buf);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	int rc = perform(h, true, errbuf, &ans, error, errlen);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	strbuf_release(&url);
	strbuf_release(&body);
	return rc;
}

int sender_deliver(pa_app_t *app, const pa_outbox_t *m, const char *address, char *error,
                   size_t errlen)
{
	error[0] = '\0';
	pthread_once(&curl_once, curl_init_once);
	if (!notify_channel_on(app->notify, m->channel)) {
		snprintf(error, errlen, "the %s channel is not configured", m->channel);
		return PA_EUNAVAIL;
	}
	if (streq(m->channel, "webhook"))
		return deliver_webhook(app, m, error, errlen);
	if (!address) {
		snprintf(error, errlen, "the message has no recipient address");
		return PA_EINVAL;
	}
	if (streq(m->channel, "email"))
		return deliver_email(app, m, address, error, errlen);
	return deliver_sms(app, m, address, error, errlen);
}

/* ---- passes ---------------------------------------------------------------------------------- */

struct claim_tx {
	arena_t *a;
	pa_time_t now, lease_until;
	pa_outbox_t *msgs;
	size_t n;
};

static int claim_tx_fn(store_tx_t *tx, void *arg)
{
	struct claim_tx *x = arg;
	return store_tx_outbox_claim(tx, x->a, x->now, x->lease_until, SENDER_BATCH, &x->msgs, &x->n);
}

struct outcome {
	pa_id_t id;
	bool done;       /* delivered */
	bool skipped;    /* not tried (stopping): the lease brings it back */
	bool dead;
	pa_time_t next;
	const char *error;
};

struct finish_tx {
	struct outcome *o;
	size_t n;
	pa_time_t now;
};

static int finish_tx_fn(store_tx_t *tx, void *arg)
{
	struct finish_tx *x = arg;
	for (size_t i = 0; i < x->n; i++) {
		const struct outcome *o = &x->o[i];
		if (o->skipped)
			continue;
		int rc = o->done ? store_tx_outbox_mark_sent(tx, o->id, x->now)
		                 : store_tx_outbox_mark_failed(tx, o->id, x->now, o->error, o->dead, o->next);
		/* not pending any more: an operator changed it meanwhile; leave it */
		if (rc == PA_ENOTFOUND) {
			pa_err_clear(store_tx_err(tx));
			continue;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int one_batch(pa_app_t *app, pa_time_t now, sender_stats_t *st, size_t *claimed,
                     pa_err_t *err)
{
	const pa_config_t *cfg = app->cfg;
	arena_t *a = arena_new();
	int64_t lease = (int64_t)cfg->notify_timeout_s * 4;
	struct claim_tx c = { .a = a, .now = now,
		                  .lease_until = now + (lease > SENDER_LEASE_MIN_S ? lease : SENDER_LEASE_MIN_S) };
	int rc = store_write(app->store, claim_tx_fn, &c, err);
	*claimed = rc == 0 ? c.n : 0;
	if (rc < 0 || c.n == 0) {
		arena_free(a);
		return rc;
	}
	struct outcome *o = arena_zalloc(a, c.n * sizeof(*o));
	for (size_t i = 0; i < c.n; i++) {
		const pa_outbox_t *m = &c.msgs[i];
		o[i].id = m->id;
		if (notify_stopping(app->notify)) {
			o[i].skipped = true;
			continue;
		}
		char error[SENDER_ERROR_MAX];
		const char *address = NULL;
		int drc = 0;
		if (m->recipient_sealed.len) {
			char *plain = NULL;
			const char *aad = arena_printf(a, "outbox/%s/recipient", m->uid ? m->uid : "");
			if (!app->keys || pii_open(app->keys, a, aad, m->recipient_sealed, &plain) < 0) {
				snprintf(error, sizeof(error), "cannot decrypt the recipient");
				drc = PA_EINVAL;
			}
			address = plain;
		}
		if (drc == 0)
			drc = sender_deliver(app, m, address, error, sizeof(error));
		if (drc == 0) {
			o[i].done = true;
			st->sent++;
			log_info("outbox: message %lld (%s %s) delivered", (long long)m->id, m->channel,
			         m->kind ? m->kind : "");
			continue;
		}
		if (notify_stopping(app->notify)) {
			o[i].skipped = true;   /* interrupted, not failed */
			continue;
		}
		o[i].error = arena_strdup(a, error);
		o[i].dead = m->attempts >= cfg->notify_max_attempts;
		o[i].next = o[i].dead ? now
		                      : now + notify_backoff(m->attempts, cfg->notify_retry_base_s,
		                                             cfg->notify_retry_max_s);
		if (o[i].dead) {
			st->dead++;
			log_error("outbox: message %lld (%s to %s) is dead after %d attempts: %s "
			          "(see `pingan outbox show %lld`)",
			          (long long)m->id, m->channel, m->recipient, m->attempts, error,
			          (long long)m->id);
		} else {
			st->retry++;
			log_warn("outbox: message %lld (%s to %s) attempt %d failed: %s; next in %lld s",
			         (long long)m->id, m->channel, m->recipient, m->attempts, error,
			         (long long)(o[i].next - now));
		}
	}
	struct finish_tx f = { .o = o, .n = c.n, .now = now };
	rc = store_write(app->store, finish_tx_fn, &f, err);
	arena_free(a);
	return rc;
}

int sender_pass(pa_app_t *app, pa_time_t now, bool drain, sender_stats_t *st, pa_err_t *err)
{
	memset(st, 0, sizeof(*st));
	if (!app->notify)
		return 0;
	notify_pass_lock(app->notify);
	int rc;
	size_t claimed;
	do {
		rc = one_batch(app, now, st, &claimed, err);
	} while (rc == 0 && drain && claimed == SENDER_BATCH && !notify_stopping(app->notify));
	notify_pass_unlock(app->notify);
	return rc;
}

/* ---- the thread ---------------------------------------------------------------------------------- */

struct pa_sender {
	pa_app_t *app;
	pa_ticker_t *ticker;
};

static void sender_tick(void *arg)
{
	pa_sender_t *s = arg;
	sender_stats_t st;
	pa_err_t err = { 0 };
	if (sender_pass(s->app, pa_now(), true, &st, &err) < 0)
		log_warn("outbox: pass failed: %s", err.detail[0] ? err.detail : pa_strerror(err.code));
}

pa_sender_t *sender_start(pa_app_t *app, int interval_s)
{
	if (!app->notify)
		return NULL;
	pthread_once(&curl_once, curl_init_once);
	pa_sender_t *s = xcalloc(1, sizeof(*s));
	s->app = app;
	notify_set_stopping(app->notify, false);
	s->ticker = ticker_start("outbox sender", interval_s > 0 ? interval_s : 10, sender_tick, s);
	if (!s->ticker) {
		free(s);
		return NULL;
	}
	return s;
}

void sender_stop(pa_sender_t *s)
{
	if (!s)
		return;
	notify_set_stopping(s->app->notify, true);
	ticker_stop(s->ticker);
	free(s);
}
