/*
 * sender.h — the thread that delivers the outbox.
 *
 * A pass (sender_pass) claims the messages that are due (store_tx_outbox_
 * claim: attempts + 1 and a lease, so a sender that dies mid-delivery
 * leaves them to be retried), delivers each through its channel, and
 * records the outcomes in one write: sent; or, on failure, pending again
 * after notify_backoff(attempts, notify.retry_base_seconds,
 * notify.retry_max_seconds); or dead once notify.max_attempts attempts
 * have failed (`pingan outbox retry` revives it).  Delivery is at least
 * once: a receiver may see a message twice after a crash, and tells by its
 * id (webhook X-Pingan-Delivery, e-mail Message-ID).
 *
 * Channels (libcurl):
 *   webhook  POST of the stored JSON to notify.webhook_url with
 *            X-Pingan-Signature: sha256=<hex HMAC-SHA256 of the body under
 *            notify.webhook_secret>, X-Pingan-Event and X-Pingan-Delivery;
 *            any 2xx is delivered.
 *   email    SMTP to notify.smtp_url (STARTTLS per notify.smtp_tls, login
 *            when notify.smtp_user is set): MAIL FROM notify.smtp_from,
 *            RCPT the recipient, DATA an RFC 5322 message.
 *   sms      the gateway template notify.sms_url (GET) or notify.sms_body
 *            (POST, form-encoded) with {phone} and {text}; any 2xx is sent.
 *
 * One pass at a time per process (a lock in app->notify): the thread, and
 * POST /api/test/tick in tests.  sender_stop() makes transfers in progress
 * give up at once; their messages are retried after the lease.
 */
#ifndef PA_SENDER_H
#define PA_SENDER_H

#include "core/app.h"

#define SENDER_BATCH 50             /* messages claimed per pass */
#define SENDER_LEASE_MIN_S 300      /* a claim lasts at least this, and 4 delivery timeouts */
#define SENDER_ERROR_MAX 300        /* bytes of last_error kept */

typedef struct sender_stats {
	int sent;
	int retry;   /* failed, to be retried */
	int dead;    /* failed for the last time */
} sender_stats_t;

/* One pass at `now`; passes until nothing due is left when `drain` (tests). */
int sender_pass(pa_app_t *app, pa_time_t now, bool drain, sender_stats_t *st, pa_err_t *err);

/* Delivers one message to `address` (the unsealed recipient; NULL for the
 * webhook).  0 or a negative code with error[] saying why. */
int sender_deliver(pa_app_t *app, const pa_outbox_t *m, const char *address, char *error,
                   size_t errlen);

typedef struct pa_sender pa_sender_t;

pa_sender_t *sender_start(pa_app_t *app, int interval_s);
void sender_stop(pa_sender_t *s);

#endif
