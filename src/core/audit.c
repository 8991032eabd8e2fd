/*
 * audit.c — the hash chain over the audit log.
 *
 * Serialization.  audit_compute_hash() feeds SHA-256 with, in order, the tag
 * "pingan-audit-v1", prev_hash, seq, at, actor, action, object and detail;
 * each field is an 8-byte big-endian length followed by its bytes, integers
 * written in decimal ASCII, NULL strings as empty.  Because every field
 * carries its length, no two different records serialize alike, and a hash
 * covers its predecessor's hash, so editing, removing or reordering any
 * record breaks every hash after it.
 *
 * Appending (audit_append) runs inside the caller's write transaction:
 * read the head (store_tx_audit_head), hash the new record with seq + 1 and
 * the head's hash, insert it; the store sets meta 'audit_head' to
 * "<seq>:<hash>" with it (SQLite: once per writer batch, at its end).
 * All three commit with the change they record, or none does.  The single
 * writer thread makes read-head-then-insert atomic; the store also refuses a
 * seq that is not max + 1.  A detail longer than AUDIT_DETAIL_MAX is replaced
 * by {"truncated":true,"bytes":N,"sha256":"…"} so a long reply text does not
 * fail the change it records; a detail that is not a JSON object is a bug
 * and fails with PA_EINTERNAL.
 *
 * Verification (audit_verify) walks the log in seq order, a page at a time,
 * and for each record checks, in this order: its seq is the next one (else
 * records are missing), its prev_hash is the previous record's hash (else
 * records were reordered or edited), and its hash recomputes from its
 * contents (else it was edited).  At the end the last record must be the one
 * meta 'audit_head' names, which catches records cut off the end.  A head
 * ahead of the last page read may be a write that committed meanwhile, so
 * the walk looks once more before calling records missing.
 */
#include "base/common.h"

#include "core/audit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <jansson.h>
#include <sodium.h>

#define AUDIT_TAG "pingan-audit-v1"
#define AUDIT_HEAD_KEY STORE_AUDIT_HEAD_KEY
#define AUDIT_VERIFY_PAGE STORE_LIST_MAX
#define AUDIT_HASH_HEX 64

static const char genesis_hash[AUDIT_HASH_HEX + 1] =
	"0000000000000000000000000000000000000000000000000000000000000000";

/* ---- the hash ------------------------------------------------------------------ */

static void put_field(crypto_hash_sha256_state *st, const void *p, size_t n)
{
	unsigned char len[8];
	uint64_t v = n;
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(v >> (56 - 8 * i));
	crypto_hash_sha256_update(st, len, sizeof(len));
	if (n)
		crypto_hash_sha256_update(st, p, n);
}

static void put_str(crypto_hash_sha256_state *st, const char *s)
{
	put_field(st, s ? s : "", s ? strlen(s) : 0);
}

static void put_int(crypto_hash_sha256_state *st, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
	put_field(st, buf, (size_t)n);
}

void audit_compute_hash(const pa_audit_rec_t *r, char out[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	put_str(&st, AUDIT_TAG);
	put_str(&st, r->prev_hash);
	put_int(&st, r->seq);
	put_int(&st, r->at);
	put_str(&st, r->actor);
	put_str(&st, r->action);
	put_str(&st, r->object);
	put_str(&st, r->detail);
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, AUDIT_HASH_HEX + 1, h, sizeof(h));
}

/* ---- appending ------------------------------------------------------------------ */

static bool is_json_object(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	bool ok = j && json_is_object(j);
	json_decref(j);
	return ok;
}

static int append(store_tx_t *tx, pa_time_t at, const char *actor, const char *action,
                  const char *object, const char *detail, bool object_known)
{
	pa_err_t *err = store_tx_err(tx);
	if (!actor || !*actor || !action || !*action)
		return pa_fail(err, PA_EINTERNAL, "internal", "", "audit record without actor or action");
	if (!object)
		object = "";
	if (!detail || !*detail)
		detail = "{}";

	arena_t *a = arena_new();
	int rc;
	size_t dlen = strlen(detail);
	if (dlen > AUDIT_DETAIL_MAX) {
		unsigned char h[crypto_hash_sha256_BYTES];
		char hex[AUDIT_HASH_HEX + 1];
		crypto_hash_sha256(h, (const unsigned char *)detail, dlen);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		log_warn("audit %s %s: detail of %zu bytes replaced by its hash", action, object, dlen);
		detail = arena_printf(a, "{\"truncated\":true,\"bytes\":%zu,\"sha256\":\"%s\"}", dlen, hex);
	} else if (!object_known && !is_json_object(detail)) {
		rc = pa_fail(err, PA_EINTERNAL, "internal", "", "audit %s: detail is not a JSON object",
		             action);
		goto out;
	}

	int64_t seq = 0;
	const char *prev = NULL;
	rc = store_tx_audit_head(tx, a, &seq, &prev);
	if (rc < 0)
		goto out;
	if (seq < 0 || seq == INT64_MAX || (seq > 0 && (!prev || strlen(prev) != AUDIT_HASH_HEX))) {
		rc = pa_fail(err, PA_EINTERNAL, "internal", "", "audit head %" PRId64 " is unusable", seq);
		goto out;
	}

	char hash[AUDIT_HASH_HEX + 1];
	pa_audit_rec_t r = {
		.seq = seq + 1,
		.at = at,
		.actor = actor,
		.action = action,
		.object = object,
		.detail = detail,
		.prev_hash = seq == 0 ? genesis_hash : prev,
		.hash = hash,
	};
	audit_compute_hash(&r, hash);
	/* moves meta 'audit_head' too */
	rc = store_tx_audit_insert(tx, &r);
out:
	arena_free(a);
	return rc;
}

int audit_append(store_tx_t *tx, pa_time_t at, const char *actor, const char *action,
                 const char *object, const char *detail)
{
	return append(tx, at, actor, action, object, detail, false);
}

int audit_append_object(store_tx_t *tx, pa_time_t at, const char *actor, const char *action,
                        const char *object, const char *detail)
{
	return append(tx, at, actor, action, object, detail, true);
}

/* ---- verification ------------------------------------------------------------------ */

static int broken(audit_report_t *rep, int64_t seq, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int broken(audit_report_t *rep, int64_t seq, const char *fmt, ...)
{
	va_list ap;
	rep->first_bad = seq > 0 ? seq : 1;
	va_start(ap, fmt);
	vsnprintf(rep->reason, sizeof(rep->reason), fmt, ap);
	va_end(ap);
	return PA_ECONFLICT;
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < AUDIT_HASH_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[AUDIT_HASH_HEX] == '\0';
}

/* Parses "<seq>:<64 hex>". */
static bool parse_head(const char *s, int64_t *seq, const char **hash)
{
	int64_t v = 0;
	const char *p = s;
	if (*p < '1' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (*p != ':' || !is_hex64(p + 1))
		return false;
	*seq = v;
	*hash = p + 1;
	return true;
}

/* Checks one record against its predecessor (last, last_hash). */
static int check_record(audit_report_t *rep, const pa_audit_rec_t *r, int64_t last,
                        const char *last_hash)
{
	int64_t want = last + 1;
	if (r->seq != want) {
		if (r->seq < want)
			return broken(rep, want, "record %" PRId64 " follows %" PRId64 ": out of order",
			              r->seq, last);
		if (last == 0 && r->seq == 2)
			return broken(rep, 1, "log starts at record 2: record 1 missing");
		if (last == 0)
			return broken(rep, 1, "log starts at record %" PRId64 ": records 1 to %" PRId64
			              " missing", r->seq, r->seq - 1);
		if (r->seq == want + 1)
			return broken(rep, want, "record %" PRId64 " follows %" PRId64 ": record %" PRId64
			              " missing", r->seq, last, want);
		return broken(rep, want, "record %" PRId64 " follows %" PRId64 ": records %" PRId64
		              " to %" PRId64 " missing", r->seq, last, want, r->seq - 1);
	}
	if (!r->prev_hash || strcmp(r->prev_hash, last_hash) != 0) {
		if (last == 0)
			return broken(rep, 1, "record 1: prev_hash is not the start of a chain "
			              "(64 zeros); records before it removed?");
		return broken(rep, r->seq, "record %" PRId64 ": prev_hash does not match record %" PRId64
		              " (reordered or edited)", r->seq, last);
	}
	char h[AUDIT_HASH_HEX + 1];
	audit_compute_hash(r, h);
	if (!r->hash || strcmp(r->hash, h) != 0)
		return broken(rep, r->seq, "record %" PRId64 ": hash does not match its contents "
		              "(edited?)", r->seq);
	return 0;
}

/* The last record (last, last_hash) must be what meta 'audit_head' names.
 * Returns 1 when the head is ahead and the log should be read once more. */
static int check_head(store_conn_t *c, arena_t *a, audit_report_t *rep, int64_t last,
                      const char *last_hash, bool may_retry)
{
	const char *head = NULL;
	int64_t hseq;
	const char *hhash;
	int rc = store_meta_get(c, a, AUDIT_HEAD_KEY, &head);
	if (rc == PA_ENOTFOUND || (rc == 0 && !head)) {
		if (last == 0)
			return 0;  /* empty log, never written */
		return broken(rep, last, "log ends at %" PRId64 " but meta 'audit_head' is missing "
		              "(removed?)", last);
	}
	if (rc < 0)
		return rc;
	if (!parse_head(head, &hseq, &hhash))
		return broken(rep, last + 1, "meta 'audit_head' is not \"<seq>:<hash>\" (edited?)");
	if (hseq > last && may_retry)
		return 1;
	if (hseq > last && last == 0)
		return broken(rep, 1, "log is empty but head says %" PRId64 ": records removed", hseq);
	if (hseq > last)
		return broken(rep, last + 1, "log ends at %" PRId64 " but head says %" PRId64
		              ": records removed from the end", last, hseq);
	if (hseq < last)
		return broken(rep, hseq + 1, "log ends at %" PRId64 " but head says %" PRId64
		              ": records added without updating the head", last, hseq);
	if (strcmp(hhash, last_hash) != 0)
		return broken(rep, last, "record %" PRId64 ": hash differs from the head's (last "
		              "record replaced?)", last);
	return 0;
}

int audit_verify(store_conn_t *c, audit_report_t *rep, void (*progress)(int64_t done, void *),
                 void *arg)
{
	memset(rep, 0, sizeof(*rep));
	arena_t *a = arena_new();
	int64_t last = 0, retried_at = -1;
	char last_hash[AUDIT_HASH_HEX + 1];
	int rc;

	memcpy(last_hash, genesis_hash, sizeof(last_hash));
	for (;;) {
		pa_audit_rec_t *recs = NULL;
		size_t n = 0;
		arena_reset(a);
		rc = store_audit_list(c, a, last, AUDIT_VERIFY_PAGE, &recs, &n);
		if (rc < 0)
			break;
		if (n == 0) {
			rc = check_head(c, a, rep, last, last_hash, retried_at != last);
			if (rc == 1) {
				retried_at = last;
				continue;
			}
			break;
		}
		for (size_t i = 0; i < n; i++) {
			rc = check_record(rep, &recs[i], last, last_hash);
			if (rc < 0)
				goto out;
			last = recs[i].seq;
			memcpy(last_hash, recs[i].hash, sizeof(last_hash));
			rep->records++;
		}
		if (progress)
			progress(rep->records, arg);
	}
out:
	arena_free(a);
	if (rc == 0) {
		rep->first_bad = 0;
		rep->reason[0] = '\0';
	}
	return rc;
}
