/*
 * links.c — links between cases, merging, and repeat detection at intake
 * (see links.h for the kinds and their rules).
 *
 * Linking and merging follow the shape of cases.c: checks that need no
 * writer first (kinds, text, visibility, the accusation rule), then one
 * store_write() whose function re-reads both cases on the writer, re-checks
 * what may have changed (a case merged or closed meanwhile, a link made
 * meanwhile), and writes the link, the case change, internal events on both
 * timelines and the audit record together.
 *
 * Merging is not a workflow transition: it applies to every case type the
 * same way, so it lives here and not in the definitions.  A merged case
 * keeps its state (what was done before the merge stays true) but is no
 * longer open; data.merged_into names the survivor, and cases.c refuses
 * every transition on it.
 */
#include "base/common.h"
#include "base/jsonw.h"
#include "core/links.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/similarity.h"

#include <jansson.h>
#include <stdio.h>

static const struct {
	const char *kind;
	const char *out_zh, *out_en, *in_zh, *in_en;
} kinds[] = {
	{ "related", "关联案件", "Related case", "关联案件", "Related case" },
	{ "merged_into", "已合并至", "Merged into", "合并自", "Merged from" },
	{ "handover", "移交至", "Handed over to", "移交自", "Handed over from" },
	{ "repeat_of", "重复件，首件为", "Repeat of", "重复件", "Repeated by" },
};

bool link_kind_valid(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (streq(kind, kinds[i].kind))
			return true;
	return false;
}

const char *link_kind_label(const char *kind, bool outgoing, const char *lang)
{
	bool en = lang && lang[0] == 'e';
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (streq(kind, kinds[i].kind))
			return outgoing ? (en ? kinds[i].out_en : kinds[i].out_zh)
			                : (en ? kinds[i].in_en : kinds[i].in_zh);
	return kind;
}

static const char *json_text(arena_t *a, json_t *j)
{
	/* json_dumps(JSON_COMPACT | JSON_SORT_KEYS)'s bytes (base/jsonw.h) */
	const char *r = json_text_sorted(a, j);
	if (!r)
		r = "{}";
	json_decref(j);
	return r;
}

pa_id_t case_merged_into(const pa_case_t *cs)
{
	if (!cs->data || !strstr(cs->data, "merged_into"))
		return 0;
	json_t *d = json_loads(cs->data, 0, NULL);
	json_t *v = json_object_get(d, "merged_into");
	pa_id_t id = json_is_integer(v) ? json_integer_value(v) : 0;
	json_decref(d);
	return id;
}

/* A case that accuses a unit is never linked to a case of that unit (or below). */
static int check_accusation(pa_app_t *app, const pa_case_t *x, const pa_case_t *y, pa_err_t *err)
{
	orgtree_t *t = orgcache_get(app->orgs);
	bool crosses = (x->accused_org_id && orgtree_is_within(t, y->owner_org_id, x->accused_org_id)) ||
	               (y->accused_org_id && orgtree_is_within(t, x->owner_org_id, y->accused_org_id));
	orgtree_release(t);
	if (crosses)
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", NULL,
		               "a case that accuses a unit cannot be linked to a case of that unit");
	return 0;
}

static const char *actor_name(const pa_principal_t *p)
{
	return p->kind == PRINCIPAL_STAFF ? p->display_name
	       : p->kind == PRINCIPAL_PUBLIC ? "public" : "system";
}

/* One internal event on cs about the case at the other end of a link. */
static int link_event(store_tx_t *tx, arena_t *a, const pa_principal_t *p, const char *ev_kind,
                      const pa_case_t *cs, const pa_case_t *other, const char *kind,
                      bool outgoing, pa_id_t link_id, const char *note, pa_time_t now)
{
	json_t *d = json_pack("{s:I, s:s, s:s, s:I, s:s}", "link_id", (json_int_t)link_id, "kind", kind,
	                      "direction", outgoing ? "to" : "from", "case_id", (json_int_t)other->id,
	                      "number", other->number);
	pa_event_t ev = {
		.case_id = cs->id, .at = now, .kind = ev_kind,
		.actor_user_id = p->kind == PRINCIPAL_STAFF ? p->user_id : 0, .actor_name = actor_name(p),
		.actor_org_id = p->kind == PRINCIPAL_STAFF ? cs->owner_org_id : 0,
		.public = false, .text = note && *note ? note : NULL, .data = json_text(a, d),
	};
	pa_id_t id;
	return store_tx_event_insert(tx, &ev, &id);
}

int cases_link_tx(store_tx_t *tx, arena_t *a, const pa_principal_t *p, const pa_case_t *from,
                  const pa_case_t *to, const char *kind, const char *note, pa_time_t now,
                  pa_id_t *link_id)
{
	pa_case_link_t l = { .from_case_id = from->id, .to_case_id = to->id, .kind = kind,
		                 .created_by = p->kind == PRINCIPAL_STAFF ? p->user_id : 0,
		                 .created_at = now, .note = note };
	pa_id_t id;
	int rc = store_tx_link_insert(tx, &l, &id);
	if (rc == PA_ECONFLICT)
		return pa_fail(store_tx_err(tx), rc, "conflict", NULL, "these cases are linked already");
	if (rc < 0)
		return rc;
	const char *ev_kind = streq(kind, "merged_into") ? "merge" : "link";
	if ((rc = link_event(tx, a, p, ev_kind, from, to, kind, true, id, note, now)) < 0 ||
	    (rc = link_event(tx, a, p, ev_kind, to, from, kind, false, id, note, now)) < 0)
		return rc;
	json_t *d = json_pack("{s:I, s:s, s:I}", "link_id", (json_int_t)id, "kind", kind, "to_case_id",
	                      (json_int_t)to->id);
	rc = audit_append(tx, now, authz_actor(p, a), streq(kind, "merged_into") ? "case.merge" : "case.link",
	                  arena_printf(a, "case:%lld", (long long)from->id), json_text(a, d));
	if (rc == 0 && link_id)
		*link_id = id;
	return rc;
}

/* ---- related and hand-over ----------------------------------------------------------------- */

struct link_tx {
	arena_t *a;
	const pa_principal_t *p;
	pa_id_t from_id, to_id;
	const char *kind;
	const char *note;
	pa_time_t now;
	pa_id_t link_id;
};

static int link_tx_fn(store_tx_t *tx, void *arg)
{
	struct link_tx *x = arg;
	store_conn_t *c = store_tx_conn(tx);
	bool exists = false;
	int rc = store_link_exists(c, x->from_id, x->to_id, x->kind, streq(x->kind, "related"), &exists);
	if (rc < 0)
		return rc;
	if (exists)
		return pa_fail(store_tx_err(tx), PA_ECONFLICT, "conflict", NULL,
		               "these cases are linked already");
	pa_case_t from, to;
	if ((rc = store_case_get(c, x->a, x->from_id, &from)) < 0 ||
	    (rc = store_case_get(c, x->a, x->to_id, &to)) < 0)
		return rc;
	return cases_link_tx(tx, x->a, x->p, &from, &to, x->kind, x->note, x->now, &x->link_id);
}

int cases_link(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *from,
               const pa_case_t *to, const char *kind, const char *note, pa_case_link_t *out,
               pa_err_t *err)
{
	int rc;
	if (!streq(kind, "related") && !streq(kind, "handover"))
		return pa_fail(err, PA_EINVAL, "validation", "kind",
		               "kind must be related (merging has its own request)");
	if (from->id == to->id)
		return pa_fail(err, PA_EINVAL, "validation", "to_id", "a case cannot be linked to itself");
	if (!authz_can_see_case(p, from) || !authz_can_see_case(p, to))
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "to_id",
		               "no case with that id or number that you can see");
	if ((rc = cases_check_text(note, "note", false, LINK_NOTE_MAX, err)) < 0 ||
	    (rc = check_accusation(app, from, to, err)) < 0)
		return rc;
	struct link_tx x = { .a = a, .p = p, .from_id = from->id, .to_id = to->id, .kind = kind,
		                 .note = note && *note ? note : NULL, .now = pa_now() };
	if ((rc = store_write(app->store, link_tx_fn, &x, err)) < 0)
		return rc;
	*out = (pa_case_link_t){ .id = x.link_id, .from_case_id = from->id, .to_case_id = to->id,
		                     .kind = kind, .created_by = p->kind == PRINCIPAL_STAFF ? p->user_id : 0,
		                     .created_by_name = actor_name(p), .created_at = x.now, .note = x.note };
	return 0;
}

/* ---- merge ------------------------------------------------------------------------------------ */

struct merge_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	pa_id_t case_id, into_id;
	int version;
	const char *reason;
	pa_time_t now;
	pa_case_t out;
};

static int merge_tx_fn(store_tx_t *tx, void *arg)
{
	struct merge_tx *x = arg;
	pa_err_t *err = store_tx_err(tx);
	store_conn_t *c = store_tx_conn(tx);
	pa_case_t cs, into;
	int rc;
	if ((rc = store_case_get(c, x->a, x->case_id, &cs)) < 0 ||
	    (rc = store_case_get(c, x->a, x->into_id, &into)) < 0)
		return rc;
	if (case_merged_into(&cs) || !cs.is_open)
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "the case was closed or merged meanwhile");
	if (case_merged_into(&into))
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "into_id",
		               "case %s was merged meanwhile", into.number);
	if (x->version && cs.version != x->version)
		return pa_fail(err, PA_ECONFLICT, "conflict", "version",
		               "the case changed since you loaded it (now version %d); reload it",
		               cs.version);
	json_t *d = cs.data ? json_loads(cs.data, 0, NULL) : NULL;
	if (!json_is_object(d)) {
		json_decref(d);
		d = json_object();
	}
	json_object_set_new(d, "merged_into", json_integer(into.id));
	pa_case_t nc = cs;
	nc.is_open = false;
	nc.updated_at = x->now;
	nc.data = json_text(x->a, d);
	if ((rc = store_tx_case_update(tx, &nc)) < 0)
		return rc;
	nc.version++;
	if ((rc = cases_link_tx(tx, x->a, x->p, &cs, &into, "merged_into", x->reason, x->now, NULL)) < 0)
		return rc;
	x->out = nc;
	return 0;
}

int cases_merge(pa_app_t *app, arena_t *a, const pa_principal_t *p, const pa_case_t *cs,
                pa_id_t into_id, const char *reason, pa_case_t *out, pa_err_t *err)
{
	int rc;
	if (!authz_overseer_org(p, cs) && !authz_works_in(p, cs->owner_org_id))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "merging needs a role in the case's unit, or supervisor or leader over it");
	if (into_id == cs->id)
		return pa_fail(err, PA_EINVAL, "validation", "into_id",
		               "a case cannot be merged into itself");
	if ((rc = cases_check_text(reason, "reason", true, LINK_NOTE_MAX, err)) < 0)
		return rc;
	if (case_merged_into(cs))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL, "the case is merged already");
	if (!cs->is_open)
		return pa_fail(err, PA_ECONFLICT, "invalid-state", NULL,
		               "only an open case can be merged");
	pa_case_t into;
	rc = store_case_get(store_reader(app->store), a, into_id, &into);
	if (rc == 0 && !authz_can_see_case(p, &into))
		rc = PA_ENOTFOUND;
	if (rc == PA_ENOTFOUND)
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "into_id",
		               "no case %lld that you can see", (long long)into_id);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the case");
	if (!streq(into.type, cs->type))
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "into_id",
		               "a %s can only be merged into a %s (hand it over instead)", cs->type,
		               cs->type);
	if (case_merged_into(&into))
		return pa_fail(err, PA_EUNPROCESSABLE, "unprocessable", "into_id",
		               "case %s is itself merged; merge into the case it was merged into",
		               into.number);
	if ((rc = check_accusation(app, cs, &into, err)) < 0)
		return rc;
	struct merge_tx x = { .app = app, .a = a, .p = p, .case_id = cs->id, .into_id = into_id,
		                  .version = cs->version, .reason = reason, .now = pa_now() };
	if ((rc = store_write(app->store, merge_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.out;
	return 0;
}

int cases_follow_merge(pa_app_t *app, arena_t *a, pa_case_t *cs, const char **merged_from,
                       pa_err_t *err)
{
	*merged_from = NULL;
	const char *first = cs->number;
	for (int hop = 0; hop < LINK_MERGE_DEPTH; hop++) {
		pa_id_t next = case_merged_into(cs);
		if (!next)
			break;
		pa_case_t into;
		int rc = store_case_get(store_reader(app->store), a, next, &into);
		if (rc < 0)
			return pa_fail(err, rc == PA_ENOTFOUND ? PA_EINTERNAL : rc, "unavailable", NULL,
			               "could not read the case this one was merged into");
		*cs = into;
		*merged_from = first;
	}
	return 0;
}

int cases_links(pa_app_t *app, arena_t *a, const pa_case_t *cs, pa_case_link_t **out, size_t *n,
                pa_err_t *err)
{
	int rc = store_links_of_case(store_reader(app->store), a, cs->id, out, n);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the case's links");
	return 0;
}

/* ---- repeat detection at intake ----------------------------------------------------------------- */

static void add_candidates(pa_app_t *app, arena_t *a, const char *kind, const char *hash,
                           pa_id_t *ids, size_t *n)
{
	if (!hash)
		return;
	pa_id_t *found = NULL;
	size_t nf = 0;
	int rc = store_cases_by_party_hash(store_reader(app->store), a, kind, hash,
	                                   REPEAT_CANDIDATES_MAX, &found, &nf);
	if (rc < 0) {
		log_warn("repeat check: could not read earlier cases of the party (%s)", pa_strerror(rc));
		return;
	}
	for (size_t i = 0; i < nf; i++) {
		bool dup = false;
		for (size_t j = 0; j < *n && !dup; j++)
			dup = ids[j] == found[i];
		if (!dup)
			ids[(*n)++] = found[i];
	}
}

void cases_find_repeat(pa_app_t *app, arena_t *a, const char *title, const char *body,
                       const char *phone_hash, const char *id_hash, pa_time_t now,
                       pa_id_t *repeat_of, double *similarity)
{
	*repeat_of = 0;
	*similarity = 0;
	int days = app->cfg->repeat_window_days;
	if (days <= 0 || (!phone_hash && !id_hash))
		return;
	pa_id_t ids[2 * REPEAT_CANDIDATES_MAX];
	size_t n = 0;
	add_candidates(app, a, "phone", phone_hash, ids, &n);
	add_candidates(app, a, "id", id_hash, ids, &n);
	if (!n)
		return;
	pa_time_t since = now - (pa_time_t)days * 86400;
	const char *text = arena_printf(a, "%s\n%s", title ? title : "", body ? body : "");
	double best = -1;
	pa_time_t best_at = 0;
	for (size_t i = 0; i < n; i++) {
		pa_case_t cs;
		if (store_case_get(store_reader(app->store), a, ids[i], &cs) < 0)
			continue;
		if (cs.created_at < since || cs.created_at > now)
			continue;
		double s = text_similarity(text, arena_printf(a, "%s\n%s", cs.title, cs.body));
		/* the most similar; on a tie the most recent */
		if (s > best || (s == best && cs.created_at > best_at)) {
			best = s;
			best_at = cs.created_at;
			*repeat_of = cs.id;
		}
	}
	if (best < app->cfg->repeat_similarity) {
		*repeat_of = 0;
		return;
	}
	*similarity = best;
}

int cases_link_repeat_tx(store_tx_t *tx, arena_t *a, pa_id_t new_case, pa_id_t earlier,
                         double similarity, pa_time_t now)
{
	pa_case_link_t l = { .from_case_id = new_case, .to_case_id = earlier, .kind = "repeat_of",
		                 .created_at = now,
		                 .note = arena_printf(a, "similarity %.2f", similarity) };
	return store_tx_link_insert(tx, &l, NULL);
}
