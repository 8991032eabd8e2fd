/*
 * audit.h — the tamper-evident audit log.
 *
 * Every state change and every staff read of personal data appends one
 * record inside the same write transaction as the change (so a change and
 * its record commit together or not at all).  Records form a hash chain:
 *
 *   hash(n) = SHA-256( "pingan-audit-v1" | prev_hash | seq | at | actor |
 *                      action | object | detail )
 *
 * with every field length-prefixed so no two different records serialize
 * alike.  prev_hash of record 1 is 64 zeros.  The chain's head (seq and hash)
 * is also written to meta 'audit_head', so cutting records off the end is
 * detected too.  audit_verify() walks the log in pages and reports the first
 * record whose seq is not the next, whose prev_hash is not its
 * predecessor's hash, or whose hash does not recompute.
 */
#ifndef PA_AUDIT_H
#define PA_AUDIT_H

#include "base/common.h"
#include "base/clock.h"
#include "store/store.h"

#define AUDIT_DETAIL_MAX 8192

/* Appends a record; detail is a JSON object text or NULL ("{}").  A detail
 * longer than AUDIT_DETAIL_MAX is recorded as {"truncated":true,"bytes":N,
 * "sha256":"<hex of the full text>"}; one that is not an object is PA_EINTERNAL. */
int audit_append(store_tx_t *tx, pa_time_t at, const char *actor, const char *action,
                 const char *object, const char *detail);

/* audit_append() for a detail written as a JSON object (an action's,
 * json_members_text() on the request's thread): it is not parsed again on
 * the writer's thread, where that parse was ~2 % of an action's time. */
int audit_append_object(store_tx_t *tx, pa_time_t at, const char *actor, const char *action,
                        const char *object, const char *detail);

void audit_compute_hash(const pa_audit_rec_t *r, char out[65]);

typedef struct audit_report {
	int64_t records;      /* records checked */
	int64_t first_bad;    /* seq (or position) of the first bad record, 0 = chain intact */
	char reason[200];     /* why it is bad, in English */
} audit_report_t;

/* 0 when intact, PA_ECONFLICT when broken (report says where), other < 0 on I/O error. */
int audit_verify(store_conn_t *c, audit_report_t *rep, void (*progress)(int64_t done, void *),
                 void *arg);

#endif
