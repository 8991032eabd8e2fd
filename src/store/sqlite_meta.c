/*
 * sqlite_meta.c — the audit log and the meta table.
 *
 * The store keeps the audit chain's shape, core/audit.c its hashes: a record
 * is inserted only as the next seq (so the chain has no gaps even if two
 * callers raced — they cannot, one writer runs at a time, but a bug could),
 * and triggers refuse UPDATE and DELETE on the table.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

#include <stdio.h>

/* Within a writer batch (sqlite_internal.h) the head is read once and then
 * kept in the batch: every record is inserted here, so the batch knows the
 * head after each; meta 'audit_head' is written once, at the batch's flush. */
static void remember_head(sq_batch_t *b, int64_t seq, const char *hash)
{
	if (!b || (seq > 0 && (!hash || strlen(hash) != SQ_HASH_HEX)))
		return;  /* an odd head is read again, for core/audit.c to refuse */
	b->st.head_known = true;
	b->st.head_seq = seq;
	memcpy(b->st.head_hash, seq > 0 ? hash : "", seq > 0 ? SQ_HASH_HEX + 1 : 1);
}

int sq_tx_audit_head(store_tx_t *tx, arena_t *a, int64_t *seq, const char **hash)
{
	*seq = 0;
	*hash = NULL;
	sq_batch_t *b = sq_tx_batch(tx);
	if (b && b->st.head_known) {
		*seq = b->st.head_seq;
		*hash = *seq > 0 ? arena_strdup(a, b->st.head_hash) : NULL;
		return 0;
	}
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_AUDIT_HEAD, &st, tx->err);
	if (rc < 0)
		return rc;
	rc = sq_step(c, st, tx->err);
	if (rc == SQ_ROW) {
		sq_row_t r = SQ_ROW_READER(st, a);
		*seq = sq_col_int(&r);
		*hash = sq_col_text(&r);
	}
	sq_done(st);
	if (rc >= 0)
		remember_head(b, *seq, *hash);
	return rc < 0 ? rc : 0;
}

static int write_head(store_tx_t *tx, int64_t seq, const char *hash)
{
	char head[24 + 1 + SQ_HASH_HEX + 1];
	snprintf(head, sizeof(head), "%lld:%s", (long long)seq, hash);
	return sq_tx_meta_set(tx, STORE_AUDIT_HEAD_KEY, head);
}

int sq_batch_flush_audit(store_tx_t *tx, sq_batch_t *b)
{
	if (!b->st.head_dirty)
		return 0;
	return write_head(tx, b->st.head_seq, b->st.head_hash);
}

int sq_tx_audit_insert(store_tx_t *tx, const pa_audit_rec_t *r)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_AUDIT_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, r->seq);
	sq_bind_int(&b, r->at);
	sq_bind_text(&b, r->actor);
	sq_bind_text(&b, r->action);
	sq_bind_text0(&b, r->object);
	sq_bind_text(&b, r->detail);
	sq_bind_text(&b, r->prev_hash);
	sq_bind_text(&b, r->hash);
	if (b.rc) {
		sq_done(st);
		return sq_bind_error(c, b.rc, tx->err);
	}
	rc = sq_exec_one(c, st, tx->err);
	if (rc == PA_ENOTFOUND)
		return pa_fail(tx->err, PA_ECONFLICT, "conflict", "seq",
		               "audit record %lld is not the next in the chain", (long long)r->seq);
	if (rc < 0)
		return rc;
	sq_batch_t *bt = sq_tx_batch(tx);
	if (!bt || !r->hash || strlen(r->hash) != SQ_HASH_HEX)
		return write_head(tx, r->seq, r->hash);
	remember_head(bt, r->seq, r->hash);
	bt->st.head_dirty = true;
	return 0;
}

int sq_audit_list(store_conn_t *c, arena_t *a, int64_t after_seq, int limit,
                     pa_audit_rec_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_AUDIT_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, after_seq);
	sqlite3_bind_int(st, 2, limit);
	pa_audit_rec_t *arr = arena_alloc(a, st_mult((size_t)limit, sizeof(*arr)));
	size_t cnt = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW && cnt < (size_t)limit) {
		sq_row_t row = SQ_ROW_READER(st, a);
		pa_audit_rec_t *r = &arr[cnt++];
		r->seq = sq_col_int(&row);
		r->at = sq_col_int(&row);
		r->actor = sq_col_text(&row);
		r->action = sq_col_text(&row);
		r->object = sq_col_text(&row);
		r->detail = sq_col_text(&row);
		r->prev_hash = sq_col_text(&row);
		r->hash = sq_col_text(&row);
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	*out = arr;
	*n = cnt;
	return 0;
}

int sq_meta_get(store_conn_t *c, arena_t *a, const char *key, const char **value)
{
	*value = NULL;
	if (!key)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_META_GET, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		sq_row_t r = SQ_ROW_READER(st, a);
		*value = sq_col_text(&r);
	} else if (rc == SQ_DONE) {
		rc = PA_ENOTFOUND;
	}
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_tx_meta_set(store_tx_t *tx, const char *key, const char *value)
{
	store_conn_t *c = tx->conn;
	if (!key || !value)
		return pa_fail(tx->err, PA_EINVAL, "validation", key ? "value" : "key",
		               "meta key and value are required");
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_META_SET, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, key);
	sq_bind_text(&b, value);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	return rc < 0 ? rc : 0;
}
