/*
 * store_engine.h — the engine dispatch behind store.h.
 *
 * Only files under src/store/ include this.  Every engine (SQLite in
 * store_sqlite.c and sqlite_*.c, PostgreSQL in pg_*.c) fills one
 * store_engine_t, and its struct store, struct store_conn and struct
 * store_tx each begin with a store_hdr_t pointing at it.  store.c holds the
 * public store_* functions: each finds the engine through the header of its
 * first argument and calls the engine's entry of the same name.
 *
 * The typed reads and writes are listed once, below, as X-macro entries
 *
 *     X(name, (parameters), (arguments))
 *
 * where the first parameter is `store_conn_t *c` (STORE_CONN_FUNCS) or
 * `store_tx_t *tx` (STORE_TX_FUNCS) and the function returns int.  From
 * that one line come the ops member (`int (*name)(parameters)`), the
 * forwarding function store_<name> in store.c, the prototype of the SQLite
 * implementation sq_<name> (sqlite_internal.h) and of the PostgreSQL one
 * pg_<name> (pg_internal.h; the same source compiled through pg_shim.h),
 * and both engines' tables.  The prototype in
 * store.h must match the entry exactly: store.c includes both, so the
 * compiler checks it.
 */
#ifndef PA_STORE_ENGINE_H
#define PA_STORE_ENGINE_H

#include "store/store.h"

typedef struct store_engine store_engine_t;

/* The first member of every engine's struct store, store_conn and store_tx. */
typedef struct store_hdr {
	const store_engine_t *eng;
} store_hdr_t;

/* The engine of a store, connection or transaction (any of the three). */
#define STORE_ENGINE_OF(p) (((const store_hdr_t *)(const void *)(p))->eng)

#define STORE_CONN_FUNCS(X) \
	X(indicator_month_sums, (store_conn_t *c, arena_t *a, const pa_ind_filter_t *f, \
	  int month_from, int month_to, pa_ind_group_t **out, size_t *n), \
	  (c, a, f, month_from, month_to, out, n)) \
	X(indicator_metric_sums, (store_conn_t *c, arena_t *a, const pa_ind_filter_t *f, \
	  int month_from, int month_to, pa_ind_row_t **out, size_t *n), \
	  (c, a, f, month_from, month_to, out, n)) \
	X(indicator_days_sums, (store_conn_t *c, arena_t *a, const pa_ind_filter_t *f, \
	  int month_from, int month_to, pa_ind_row_t **out, size_t *n), \
	  (c, a, f, month_from, month_to, out, n)) \
	X(facts_scan, (store_conn_t *c, arena_t *a, const pa_ind_filter_t *f, int64_t day_from, \
	  int64_t day_to, int (*fn)(void *ctx, const pa_facts_t *row, int64_t n), void *ctx), \
	  (c, a, f, day_from, day_to, fn, ctx)) \
	X(facts_cases, (store_conn_t *c, arena_t *a, const pa_ind_filter_t *f, int64_t day_from, \
	  int64_t day_to, int64_t all, int64_t none, const pa_case_filter_t *vis, \
	  int64_t after_day, pa_id_t after_id, int limit, pa_case_t **out, int64_t **days, \
	  size_t *n, bool *more), \
	  (c, a, f, day_from, day_to, all, none, vis, after_day, after_id, limit, out, days, n, more)) \
	X(workload, (store_conn_t *c, arena_t *a, bool all_orgs, const pa_id_t *orgs, \
	  size_t norgs, bool by_assignee, pa_time_t now, pa_time_t soon, int64_t week, \
	  pa_workload_row_t **out, size_t *n), \
	  (c, a, all_orgs, orgs, norgs, by_assignee, now, soon, week, out, n)) \
	X(campaign_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_campaign_t *out), \
	  (c, a, id, out)) \
	X(campaigns_list, (store_conn_t *c, arena_t *a, pa_campaign_t **out, size_t *n), \
	  (c, a, out, n)) \
	X(orgs_list, (store_conn_t *c, arena_t *a, pa_org_t **out, size_t *n), (c, a, out, n)) \
	X(org_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_org_t *out), (c, a, id, out)) \
	X(orgs_generation, (store_conn_t *c, int64_t *gen), (c, gen)) \
	X(user_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_user_t *out), (c, a, id, out)) \
	X(user_get_by_name, (store_conn_t *c, arena_t *a, const char *username, pa_user_t *out), \
	  (c, a, username, out)) \
	X(users_list, (store_conn_t *c, arena_t *a, pa_user_t **out, size_t *n), (c, a, out, n)) \
	X(session_get, (store_conn_t *c, arena_t *a, const char *token_hash, pa_session_t *out), \
	  (c, a, token_hash, out)) \
	X(token_get_by_hash, (store_conn_t *c, arena_t *a, const char *token_hash, \
	  pa_api_token_t *out), (c, a, token_hash, out)) \
	X(tokens_list, (store_conn_t *c, arena_t *a, pa_id_t user_id, pa_api_token_t **out, \
	  size_t *n), (c, a, user_id, out, n)) \
	X(case_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_case_t *out), (c, a, id, out)) \
	X(case_get_by_number, (store_conn_t *c, arena_t *a, const char *number, pa_case_t *out), \
	  (c, a, number, out)) \
	X(case_list, (store_conn_t *c, arena_t *a, const pa_case_filter_t *f, pa_case_t **out, \
	  size_t *n, bool *more), (c, a, f, out, n, more)) \
	X(case_counts, (store_conn_t *c, pa_time_t now, int64_t *open, int64_t *overdue), \
	  (c, now, open, overdue)) \
	X(participant_due_scan, (store_conn_t *c, arena_t *a, pa_time_t now, int limit, \
	  pa_participant_due_t **out, size_t *n), (c, a, now, limit, out, n)) \
	X(due_scan, (store_conn_t *c, arena_t *a, pa_time_t now, pa_time_t after_due, \
	  pa_id_t after_id, int limit, pa_due_item_t **out, size_t *n), \
	  (c, a, now, after_due, after_id, limit, out, n)) \
	X(events_list, (store_conn_t *c, arena_t *a, pa_id_t case_id, pa_id_t after_id, \
	  int limit, bool public_only, pa_event_t **out, size_t *n), \
	  (c, a, case_id, after_id, limit, public_only, out, n)) \
	X(parties_list, (store_conn_t *c, arena_t *a, pa_id_t case_id, pa_party_t **out, \
	  size_t *n), (c, a, case_id, out, n)) \
	X(party_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_party_t *out), \
	  (c, a, id, out)) \
	X(cases_by_party_hash, (store_conn_t *c, arena_t *a, const char *kind, const char *hash, \
	  int limit, pa_id_t **out, size_t *n), (c, a, kind, hash, limit, out, n)) \
	X(attachments_list, (store_conn_t *c, arena_t *a, pa_id_t case_id, \
	  pa_attachment_t **out, size_t *n), (c, a, case_id, out, n)) \
	X(attachment_get, (store_conn_t *c, arena_t *a, pa_id_t case_id, const char *sha256, \
	  pa_attachment_t *out), (c, a, case_id, sha256, out)) \
	X(ratings_list, (store_conn_t *c, arena_t *a, pa_id_t case_id, pa_rating_t **out, \
	  size_t *n), (c, a, case_id, out, n)) \
	X(audit_list, (store_conn_t *c, arena_t *a, int64_t after_seq, int limit, \
	  pa_audit_rec_t **out, size_t *n), (c, a, after_seq, limit, out, n)) \
	X(meta_get, (store_conn_t *c, arena_t *a, const char *key, const char **value), \
	  (c, a, key, value)) \
	X(document_max_version, (store_conn_t *c, pa_id_t case_id, pa_id_t event_id, \
	  const char *kind, int *version), (c, case_id, event_id, kind, version)) \
	X(document_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_document_t *out), \
	  (c, a, id, out)) \
	X(documents_list, (store_conn_t *c, arena_t *a, pa_id_t case_id, pa_document_t **out, \
	  size_t *n), (c, a, case_id, out, n)) \
	X(documents_issued, (store_conn_t *c, arena_t *a, pa_id_t unit_org_id, pa_time_t from, \
	  pa_time_t to, int limit, pa_document_t **out, size_t *n), \
	  (c, a, unit_org_id, from, to, limit, out, n)) \
	X(documents_done_page, (store_conn_t *c, arena_t *a, pa_id_t after_id, int limit, \
	  pa_document_t **out, size_t *n), (c, a, after_id, limit, out, n)) \
	X(documents_counts, (store_conn_t *c, int64_t *queued, int64_t *done, int64_t *failed), \
	  (c, queued, done, failed)) \
	X(outbox_due, (store_conn_t *c, arena_t *a, pa_time_t now, int limit, pa_outbox_t **out, \
	  size_t *n), (c, a, now, limit, out, n)) \
	X(outbox_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_outbox_t *out), \
	  (c, a, id, out)) \
	X(outbox_list, (store_conn_t *c, arena_t *a, const char *status, pa_id_t before_id, \
	  int limit, pa_outbox_t **out, size_t *n), (c, a, status, before_id, limit, out, n)) \
	X(outbox_counts, (store_conn_t *c, int64_t *pending, int64_t *sent, int64_t *dead), \
	  (c, pending, sent, dead)) \
	X(reminder_scan, (store_conn_t *c, arena_t *a, pa_time_t now, int percent, \
	  pa_time_t after_due, pa_id_t after_id, int limit, pa_due_item_t **out, size_t *n), \
	  (c, a, now, percent, after_due, after_id, limit, out, n)) \
	X(escalation_scan, (store_conn_t *c, arena_t *a, pa_time_t now, pa_time_t after_due, \
	  pa_id_t after_id, int limit, pa_due_item_t **out, size_t *n), \
	  (c, a, now, after_due, after_id, limit, out, n)) \
	X(org_members, (store_conn_t *c, arena_t *a, pa_id_t org_id, pa_member_t **out, \
	  size_t *n), (c, a, org_id, out, n)) \
	X(supervision_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_supervision_t *out), \
	  (c, a, id, out)) \
	X(supervision_of_case, (store_conn_t *c, arena_t *a, pa_id_t case_id, \
	  pa_supervision_t **out, size_t *n), (c, a, case_id, out, n)) \
	X(supervision_list, (store_conn_t *c, arena_t *a, const pa_supervision_filter_t *f, \
	  pa_supervision_t **out, size_t *n, bool *more), (c, a, f, out, n, more)) \
	X(supervision_due_scan, (store_conn_t *c, arena_t *a, pa_time_t now, pa_id_t after_id, \
	  int limit, pa_supervision_t **out, size_t *n), (c, a, now, after_id, limit, out, n)) \
	X(links_of_case, (store_conn_t *c, arena_t *a, pa_id_t case_id, pa_case_link_t **out, \
	  size_t *n), (c, a, case_id, out, n)) \
	X(link_exists, (store_conn_t *c, pa_id_t a, pa_id_t b, const char *kind, \
	  bool either_way, bool *exists), (c, a, b, kind, either_way, exists)) \
	X(records_list, (store_conn_t *c, arena_t *a, const pa_record_filter_t *f, \
	  pa_record_row_t **out, size_t *n, bool *more), (c, a, f, out, n, more)) \
	X(records_of_case, (store_conn_t *c, arena_t *a, pa_id_t case_id, pa_record_t **out, \
	  size_t *n), (c, a, case_id, out, n)) \
	X(survey_get, (store_conn_t *c, arena_t *a, pa_id_t id, pa_survey_t *out), (c, a, id, out)) \
	X(surveys_list, (store_conn_t *c, arena_t *a, const char *state, const char *series, \
	  pa_id_t before_id, int limit, pa_survey_t **out, size_t *n), \
	  (c, a, state, series, before_id, limit, out, n)) \
	X(survey_invitation_get, (store_conn_t *c, pa_id_t survey, const char *token_hash, \
	  pa_id_t *place, bool *used), (c, survey, token_hash, place, used)) \
	X(survey_tally, (store_conn_t *c, arena_t *a, pa_id_t survey, pa_survey_tally_t **out, \
	  size_t *n), (c, a, survey, out, n)) \
	X(survey_place_counts, (store_conn_t *c, arena_t *a, pa_id_t survey, \
	  pa_survey_place_count_t **out, size_t *n), (c, a, survey, out, n)) \
	X(case_count, (store_conn_t *c, const pa_case_filter_t *f, int64_t *count), (c, f, count)) \
	X(case_search, (store_conn_t *c, arena_t *a, const pa_search_query_t *q, \
	  const pa_case_filter_t *f, pa_search_hit_t **out, size_t *n, bool *more, \
	  bool *window_full), (c, a, q, f, out, n, more, window_full)) \
	X(case_search_notes, (store_conn_t *c, arena_t *a, pa_id_t case_id, const char **notes), \
	  (c, a, case_id, notes)) \
	X(open311_requests, (store_conn_t *c, arena_t *a, const pa_open311_filter_t *f, \
	  pa_case_t **out, size_t *n), (c, a, f, out, n)) \
	X(open311_updates, (store_conn_t *c, arena_t *a, const char *type, pa_time_t from, \
	  pa_time_t to, int limit, pa_open311_update_t **out, size_t *n), \
	  (c, a, type, from, to, limit, out, n)) \
	/* end of STORE_CONN_FUNCS */

#define STORE_TX_FUNCS(X) \
	X(tx_facts_get, (store_tx_t *tx, arena_t *a, pa_id_t case_id, pa_facts_t *out), \
	  (tx, a, case_id, out)) \
	X(tx_facts_put, (store_tx_t *tx, const pa_facts_t *prev, const pa_ind_contrib_t *old, \
	  const pa_facts_t *f, const pa_ind_contrib_t *cur), (tx, prev, old, f, cur)) \
	X(tx_campaign_insert, (store_tx_t *tx, const pa_campaign_t *cp, pa_id_t *id), \
	  (tx, cp, id)) \
	X(tx_org_insert, (store_tx_t *tx, const pa_org_t *org, pa_id_t *id), (tx, org, id)) \
	X(tx_org_update, (store_tx_t *tx, const pa_org_t *org), (tx, org)) \
	X(tx_user_insert, (store_tx_t *tx, const pa_user_t *u, pa_id_t *id), (tx, u, id)) \
	X(tx_user_update, (store_tx_t *tx, const pa_user_t *u), (tx, u)) \
	X(tx_user_set_roles, (store_tx_t *tx, pa_id_t user_id, const pa_membership_t *roles, \
	  size_t n), (tx, user_id, roles, n)) \
	X(tx_session_insert, (store_tx_t *tx, const pa_session_t *s), (tx, s)) \
	X(tx_session_delete, (store_tx_t *tx, const char *token_hash), (tx, token_hash)) \
	X(tx_sessions_delete_user, (store_tx_t *tx, pa_id_t user_id), (tx, user_id)) \
	X(tx_token_insert, (store_tx_t *tx, const pa_api_token_t *t, pa_id_t *id), (tx, t, id)) \
	X(tx_token_revoke, (store_tx_t *tx, pa_id_t id, pa_id_t user_id), (tx, id, user_id)) \
	X(tx_next_number, (store_tx_t *tx, const char *prefix, int year, int64_t *seq), \
	  (tx, prefix, year, seq)) \
	X(tx_case_insert, (store_tx_t *tx, const pa_case_t *cs, pa_id_t *id), (tx, cs, id)) \
	X(tx_case_update, (store_tx_t *tx, const pa_case_t *cs), (tx, cs)) \
	X(tx_event_insert, (store_tx_t *tx, const pa_event_t *ev, pa_id_t *id), (tx, ev, id)) \
	X(tx_party_insert, (store_tx_t *tx, const pa_party_t *p, pa_id_t *id), (tx, p, id)) \
	X(tx_attachment_insert, (store_tx_t *tx, const pa_attachment_t *at, pa_id_t *id), \
	  (tx, at, id)) \
	X(tx_rating_insert, (store_tx_t *tx, const pa_rating_t *r, pa_id_t *id), (tx, r, id)) \
	X(tx_audit_head, (store_tx_t *tx, arena_t *a, int64_t *seq, const char **hash), \
	  (tx, a, seq, hash)) \
	X(tx_audit_insert, (store_tx_t *tx, const pa_audit_rec_t *r), (tx, r)) \
	X(tx_meta_set, (store_tx_t *tx, const char *key, const char *value), (tx, key, value)) \
	X(tx_document_insert, (store_tx_t *tx, const pa_document_t *d, pa_id_t *id), \
	  (tx, d, id)) \
	X(tx_documents_claim, (store_tx_t *tx, arena_t *a, pa_time_t now, const char *claim, \
	  pa_time_t claim_until, int limit, pa_document_t **out, size_t *n), \
	  (tx, a, now, claim, claim_until, limit, out, n)) \
	X(tx_document_number, (store_tx_t *tx, pa_id_t id, const char *number, int year, \
	  int64_t seq), (tx, id, number, year, seq)) \
	X(tx_document_done, (store_tx_t *tx, const pa_document_t *d), (tx, d)) \
	X(tx_document_failed, (store_tx_t *tx, pa_id_t id, const char *claim, const char *error, \
	  bool give_up, pa_time_t retry_at), (tx, id, claim, error, give_up, retry_at)) \
	X(tx_outbox_insert, (store_tx_t *tx, const pa_outbox_t *m, pa_id_t *id), (tx, m, id)) \
	X(tx_outbox_claim, (store_tx_t *tx, arena_t *a, pa_time_t now, pa_time_t lease_until, \
	  int limit, pa_outbox_t **out, size_t *n), (tx, a, now, lease_until, limit, out, n)) \
	X(tx_outbox_mark_sent, (store_tx_t *tx, pa_id_t id, pa_time_t at), (tx, id, at)) \
	X(tx_outbox_mark_failed, (store_tx_t *tx, pa_id_t id, pa_time_t at, const char *error, \
	  bool dead, pa_time_t next_attempt_at), (tx, id, at, error, dead, next_attempt_at)) \
	X(tx_outbox_retry, (store_tx_t *tx, pa_id_t id, pa_time_t now), (tx, id, now)) \
	X(tx_outbox_retry_dead, (store_tx_t *tx, pa_time_t now, int64_t *count), \
	  (tx, now, count)) \
	X(tx_alert_insert, (store_tx_t *tx, pa_id_t case_id, const char *kind, \
	  const char *state, pa_time_t due_at, pa_time_t at, bool *inserted), \
	  (tx, case_id, kind, state, due_at, at, inserted)) \
	X(tx_supervision_insert, (store_tx_t *tx, const pa_supervision_t *o, pa_id_t *id), \
	  (tx, o, id)) \
	X(tx_supervision_reply, (store_tx_t *tx, pa_id_t id, const char *text, pa_id_t user, \
	  pa_time_t at), (tx, id, text, user, at)) \
	X(tx_supervision_close, (store_tx_t *tx, pa_id_t id, pa_id_t user, pa_time_t at), \
	  (tx, id, user, at)) \
	X(tx_supervision_mark_overdue, (store_tx_t *tx, pa_id_t id, pa_time_t at, \
	  bool *changed), (tx, id, at, changed)) \
	X(tx_link_insert, (store_tx_t *tx, const pa_case_link_t *l, pa_id_t *id), (tx, l, id)) \
	X(tx_record_insert, (store_tx_t *tx, const pa_record_t *r, pa_id_t *id), (tx, r, id)) \
	X(tx_case_participant_add, (store_tx_t *tx, pa_id_t case_id, pa_id_t org_id), \
	  (tx, case_id, org_id)) \
	X(tx_case_participant_due, (store_tx_t *tx, pa_id_t case_id, pa_id_t org_id, \
	  pa_time_t due_at), (tx, case_id, org_id, due_at)) \
	X(tx_participant_due_done, (store_tx_t *tx, pa_id_t case_id, pa_id_t org_id, \
	  pa_time_t due_at, bool overdue, bool *changed), \
	  (tx, case_id, org_id, due_at, overdue, changed)) \
	X(tx_survey_insert, (store_tx_t *tx, const pa_survey_t *s, pa_id_t *id), (tx, s, id)) \
	X(tx_survey_set_state, (store_tx_t *tx, pa_id_t id, const char *from, const char *to, \
	  pa_time_t at), (tx, id, from, to, at)) \
	X(tx_survey_state, (store_tx_t *tx, pa_id_t id, char *state, size_t size), \
	  (tx, id, state, size)) \
	X(tx_survey_next_batch, (store_tx_t *tx, pa_id_t survey, int64_t *batch), \
	  (tx, survey, batch)) \
	X(tx_survey_invitation_insert, (store_tx_t *tx, pa_id_t survey, int64_t batch, \
	  const char *token_hash, pa_id_t place, pa_time_t at), \
	  (tx, survey, batch, token_hash, place, at)) \
	X(tx_survey_invitation_use, (store_tx_t *tx, pa_id_t survey, const char *token_hash, \
	  pa_time_t at, pa_id_t *invitation, pa_id_t *place), \
	  (tx, survey, token_hash, at, invitation, place)) \
	X(tx_survey_response_insert, (store_tx_t *tx, pa_id_t survey, pa_id_t invitation, \
	  pa_id_t place, pa_time_t at, pa_id_t *id), (tx, survey, invitation, place, at, id)) \
	X(tx_survey_answer_insert, (store_tx_t *tx, pa_id_t response, pa_id_t survey, \
	  pa_id_t place, const char *question, const char *option), \
	  (tx, response, survey, place, question, option)) \
	/* end of STORE_TX_FUNCS */

struct store_engine {
	const char *name;   /* "sqlite", "postgresql" */
	unsigned caps;      /* STORE_CAP_* (store.h) */

	int (*open)(const store_options_t *opt, store_t **out, pa_err_t *err);
	void (*close)(store_t *s);
	int (*migrate)(store_t *s, int *from, int *to, pa_err_t *err);
	int (*schema_version)(store_t *s, int *version);
	int (*backup)(store_t *s, const char *dest, void (*progress)(double, void *), void *arg,
	              pa_err_t *err);
	store_conn_t *(*reader)(store_t *s);
	int (*read_begin)(store_conn_t *c);
	void (*read_end)(store_conn_t *c);
	int (*write)(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err);
	int (*write_checked)(store_t *s, store_tx_fn fn, void *ctx, pa_err_t *err);
	store_conn_t *(*tx_conn)(store_tx_t *tx);
	pa_err_t *(*tx_err)(store_tx_t *tx);
	void (*fault_inject)(store_t *s, int nth);
	void (*stats)(store_t *s, int64_t *commits, int64_t *writes);
	void (*set_observer)(store_t *s, const store_observer_t *obs);

#define STORE_OP_MEMBER(name, params, args) int(*name) params;
	STORE_CONN_FUNCS(STORE_OP_MEMBER)
	STORE_TX_FUNCS(STORE_OP_MEMBER)
#undef STORE_OP_MEMBER
};

extern const store_engine_t store_sqlite_engine;
extern const store_engine_t store_pg_engine;

/* SQLite's file restore (store_restore forwards here for a file path). */
int sq_restore(const char *backup_path, const char *db_path,
               void (*progress)(double, void *), void *arg, pa_err_t *err);

#endif
