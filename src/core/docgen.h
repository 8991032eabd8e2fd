/*
 * docgen.h — issuing documents (文书): queue, generate, verify.
 *
 * Life of a document:
 *
 *   1. queued — inside the write of the step that produces it (cases.c,
 *      where the transition's notice is written), docgen_enqueue_tx()
 *      inserts a `documents` row: kind (the transition's notice), the
 *      issuing unit (the unit that took the step), and the step's values in
 *      zh-CN and en, frozen.  The row commits with the step or not at all.
 *   2. claimed — a generator thread (nice 19: requests come first) claims a
 *      batch of queued rows in one write; a row without a number gets its
 *      number (文号) there, from the counter of (issuing unit, year), so
 *      numbers are unique and a number, once given, stays with its document
 *      even if rendering has to be retried.  A claim is a lease: a row whose
 *      generator died is claimed again when the lease runs out.
 *   3. issued — the generator renders the PDFs (docs_render), stores them
 *      content-addressed as attachments are (<attachments>/<aa>/<sha256>,
 *      made durable for the whole batch before any row points at them),
 *      and in one write per batch, for each document: the PDF linked as a
 *      case attachment (public when the document is addressed to the
 *      public), a timeline event "document" naming the number and the PDF's
 *      sha256, an audit record "document.issue" with the sha256, and the
 *      row marked done.
 *
 * A done row never changes.  Regenerating inserts a new row (version + 1,
 * supersedes the old one) that goes through the same steps and gets a new
 * number; the old document stays.  docgen_verify() (run by `pingan audit
 * verify`) recomputes the sha256 of every issued document's file and
 * compares it with the row and with the hash-chained audit record, so a
 * changed file, or a row changed to match it, is detected.
 */
#ifndef PA_DOCGEN_H
#define PA_DOCGEN_H

#include <jansson.h>

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"
#include "store/store.h"

#define DOCGEN_THREADS 2          /* generator threads of `pingan serve` */
#define DOCGEN_BATCH 16           /* documents claimed per write */
#define DOCGEN_LEASE_S 300        /* a claim older than this is taken over */
#define DOCGEN_MAX_ATTEMPTS 5     /* renders of one document before it is failed */
#define DOCGEN_RETRY_S 60         /* wait after a failed render */
#define DOCGEN_IDLE_MS 1000       /* how often an idle generator looks for work */
#define DOCGEN_BUSY_WRITES 50     /* other writes per second that mean "busy" */
#define DOCGEN_BUSY_PAUSE_MS 2000 /* a generator's pause between batches when busy */
#define DOCGEN_BATCH_PRINT_MAX 500 /* documents in one batch print */
#define DOC_DEFAULT_LOCALE "zh-CN"

/*
 * Inside a write: queues document `kind` for the step recorded by event_id
 * on case cs (as it is after the step), issued by issuer_org.  vars_zh and
 * vars_en are the step's values (the workflow's notice variables).
 */
int docgen_enqueue_tx(store_tx_t *tx, pa_app_t *app, arena_t *a, const pa_case_t *cs,
                      pa_id_t issuer_org, pa_id_t event_id, const char *action, const char *kind,
                      const json_t *vars_zh, const json_t *vars_en, const char *actor,
                      pa_time_t now);
/* docgen_enqueue_tx() in two halves (an action prepares its document on the
 * request's thread, core/cases.c): the row, false when the kind has no
 * template (nothing to issue); then its insert in the write, with the
 * step's event. */
bool docgen_prepare(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_id_t issuer_org,
                    const char *action, const char *kind, const json_t *vars_zh,
                    const json_t *vars_en, const char *actor, pa_time_t now, pa_document_t *out);
int docgen_tx_insert(store_tx_t *tx, pa_app_t *app, const pa_document_t *d, pa_id_t event_id);

/* The public tracking page of case `number`: under public_url when set,
 * else http://<listen>. */
const char *docgen_tracking_url(pa_app_t *app, arena_t *a, const char *number);

typedef struct docgen docgen_t;

/* Starts `threads` generator threads (0 = DOCGEN_THREADS) and registers
 * them in app->docgen; docgen_stop() finishes the batches in hand. */
int docgen_start(pa_app_t *app, int threads, pa_err_t *err);
void docgen_stop(pa_app_t *app);
/* Wakes the generators (new work was queued). */
void docgen_kick(pa_app_t *app);

/* One batch in the calling thread: claims up to `limit`, renders, issues.
 * *issued counts the documents issued (tests, benchmarks, the CLI). */
int docgen_run_once(pa_app_t *app, int limit, int *issued, pa_err_t *err);

/* Queues a new version of document doc_id of case cs (in `locale`, or the
 * same locale when NULL).  Staff of the issuing or owning unit, or their
 * supervisors. */
int docgen_regenerate(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                      pa_id_t doc_id, const char *locale, pa_document_t *out, pa_err_t *err);

/* The documents addressed to the public that unit issued in [from, to), as
 * one PDF for printing and mailing (rendered again from their stored
 * values; the issued files stay the originals).  Only cases p may see. */
int docgen_batch_print(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t unit,
                       pa_time_t from, pa_time_t to, strbuf_t *pdf, int *ndocs, int *pages,
                       pa_err_t *err);

/* The values a document is rendered with (its frozen step values plus
 * number, dates, addressee, tracking URL). Caller owns the reference. */
json_t *docgen_vars(pa_app_t *app, arena_t *a, const pa_document_t *d, const pa_case_t *cs,
                    pa_time_t issued_at);

typedef struct docs_report {
	int64_t checked;       /* issued documents checked */
	int64_t bad;           /* how many failed */
	char first[240];       /* the first failure, in English */
} docs_report_t;

/* 0 when every issued document's file matches its row and its audit
 * record; PA_ECONFLICT when one does not (rep says which); < 0 on I/O error. */
int docgen_verify(store_conn_t *c, const char *attachments_dir, docs_report_t *rep);

#endif
