/*
 * orgs.c — immutable org-tree snapshots with a generation check.
 *
 * orgcache_get() reads the store's orgs generation (a meta row) at most once
 * per ORGCACHE_CHECK_MS; when it moved, it loads all orgs into a fresh
 * snapshot (sorted by id for binary search) and swaps it under a mutex.
 * Snapshots are refcounted so a request can keep using the tree it started
 * with.  Districts have hundreds to a few thousand orgs: a full reload is
 * cheap and rare.
 */
#include "base/common.h"
#include "core/orgs.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define ORGCACHE_CHECK_MS 1000

struct orgtree {
	atomic_int refs;
	arena_t *arena;
	pa_org_t *orgs;  /* sorted by id */
	size_t n;
};

struct orgcache {
	store_t *store;
	pthread_mutex_t mu;
	orgtree_t *cur;
	int64_t gen;
	int64_t checked_ms;
	bool dirty;
};

static const struct {
	const char *kind;
	bool unit;
	const char *zh, *en;
} org_kinds[] = {
	{ "district", false, "区县", "District" },
	{ "street", false, "街道/乡镇", "Street / town" },
	{ "community", false, "社区/村", "Community / village" },
	{ "grid", false, "网格", "Grid" },
	{ "government", true, "人民政府", "Government" },
	{ "petition_office", true, "信访部门", "Petition office" },
	{ "political_legal_committee", true, "政法委", "Political-legal committee" },
	{ "police", true, "公安", "Police" },
	{ "procuratorate", true, "检察院", "Procuratorate" },
	{ "court", true, "法院", "Court" },
	{ "justice_bureau", true, "司法局", "Justice bureau" },
	{ "discipline_commission", true, "纪委监委", "Discipline commission" },
	{ "mediation_committee", true, "人民调解委员会", "Mediation committee" },
	{ "department", true, "职能部门", "Department" },
};

bool org_kind_valid(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(org_kinds); i++)
		if (streq(kind, org_kinds[i].kind))
			return true;
	return false;
}

bool org_kind_is_unit(const char *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(org_kinds); i++)
		if (streq(kind, org_kinds[i].kind))
			return org_kinds[i].unit;
	return false;
}

const char *org_kind_label(const char *kind, const char *lang)
{
	for (size_t i = 0; i < ARRAY_SIZE(org_kinds); i++)
		if (streq(kind, org_kinds[i].kind))
			return (lang && lang[0] == 'e') ? org_kinds[i].en : org_kinds[i].zh;
	return kind;
}

static int cmp_org(const void *a, const void *b)
{
	const pa_org_t *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static orgtree_t *load_tree(store_t *s)
{
	orgtree_t *t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	t->arena = arena_new();
	pa_org_t *orgs = NULL;
	size_t n = 0;
	if (store_orgs_list(store_reader(s), t->arena, &orgs, &n) < 0) {
		log_error("orgs: could not load the org tree");
		n = 0;
	}
	t->orgs = orgs;
	t->n = n;
	if (n)
		qsort(t->orgs, n, sizeof(pa_org_t), cmp_org);
	return t;
}

orgcache_t *orgcache_new(store_t *s)
{
	orgcache_t *oc = xcalloc(1, sizeof(*oc));
	oc->store = s;
	pthread_mutex_init(&oc->mu, NULL);
	oc->dirty = true;
	oc->gen = -1;
	return oc;
}

void orgtree_release(orgtree_t *t)
{
	if (t && atomic_fetch_sub(&t->refs, 1) == 1) {
		arena_free(t->arena);
		free(t);
	}
}

void orgcache_free(orgcache_t *oc)
{
	if (!oc)
		return;
	orgtree_release(oc->cur);
	pthread_mutex_destroy(&oc->mu);
	free(oc);
}

void orgcache_invalidate(orgcache_t *oc)
{
	pthread_mutex_lock(&oc->mu);
	oc->dirty = true;
	pthread_mutex_unlock(&oc->mu);
}

orgtree_t *orgcache_get(orgcache_t *oc)
{
	pthread_mutex_lock(&oc->mu);
	int64_t now_ms = pa_mono_us() / 1000;
	if (!oc->dirty && oc->cur && now_ms - oc->checked_ms >= ORGCACHE_CHECK_MS) {
		int64_t gen = 0;
		oc->checked_ms = now_ms;
		if (store_orgs_generation(store_reader(oc->store), &gen) == 0 && gen != oc->gen)
			oc->dirty = true;
	}
	if (oc->dirty || !oc->cur) {
		int64_t gen = 0;
		store_orgs_generation(store_reader(oc->store), &gen);
		orgtree_t *t = load_tree(oc->store);
		orgtree_release(oc->cur);
		oc->cur = t;
		oc->gen = gen;
		oc->dirty = false;
		oc->checked_ms = now_ms;
	}
	orgtree_t *t = oc->cur;
	atomic_fetch_add(&t->refs, 1);
	pthread_mutex_unlock(&oc->mu);
	return t;
}

const pa_org_t *orgtree_find(const orgtree_t *t, pa_id_t id)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->orgs[mid].id == id)
			return &t->orgs[mid];
		if (t->orgs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const pa_org_t *orgtree_find_code(const orgtree_t *t, const char *code)
{
	for (size_t i = 0; i < t->n; i++)
		if (streq(t->orgs[i].code, code))
			return &t->orgs[i];
	return NULL;
}

size_t orgtree_count(const orgtree_t *t) { return t->n; }
const pa_org_t *orgtree_at(const orgtree_t *t, size_t i) { return i < t->n ? &t->orgs[i] : NULL; }

bool orgtree_is_within(const orgtree_t *t, pa_id_t id, pa_id_t ancestor)
{
	for (int depth = 0; id && depth <= ORG_MAX_DEPTH; depth++) {
		if (id == ancestor)
			return true;
		const pa_org_t *o = orgtree_find(t, id);
		if (!o)
			return false;
		id = o->parent_id;
	}
	return false;
}

size_t orgtree_subtree(const orgtree_t *t, arena_t *a, pa_id_t root, pa_id_t **out)
{
	pa_id_t *ids = arena_alloc(a, (t->n + 1) * sizeof(pa_id_t));
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		if (orgtree_is_within(t, t->orgs[i].id, root))
			ids[n++] = t->orgs[i].id;
	*out = ids;
	return n;
}

size_t orgtree_ancestors(const orgtree_t *t, arena_t *a, pa_id_t id, pa_id_t **out)
{
	pa_id_t *ids = arena_alloc(a, (ORG_MAX_DEPTH + 1) * sizeof(pa_id_t));
	size_t n = 0;
	while (id && n <= ORG_MAX_DEPTH) {
		const pa_org_t *o = orgtree_find(t, id);
		if (!o)
			break;
		ids[n++] = id;
		id = o->parent_id;
	}
	*out = ids;
	return n;
}

/* The nearest unit of `kind` among the children of place `place_id`. */
static pa_id_t unit_at_place(const orgtree_t *t, pa_id_t place_id, const char *kind, pa_id_t not)
{
	for (size_t i = 0; i < t->n; i++) {
		const pa_org_t *o = &t->orgs[i];
		if (o->parent_id == place_id && o->is_unit && !o->disabled && o->id != not &&
		    streq(o->kind, kind))
			return o->id;
	}
	return 0;
}

pa_id_t orgtree_superior(const orgtree_t *t, pa_id_t unit_id)
{
	const pa_org_t *u = orgtree_find(t, unit_id);
	if (!u)
		return 0;
	if (u->superior_id && orgtree_find(t, u->superior_id))
		return u->superior_id;
	/* The place a unit belongs to is its parent; the superior sits one place up. */
	const pa_org_t *place = orgtree_find(t, u->parent_id);
	if (!place)
		return 0;
	pa_id_t up = place->parent_id;
	if (!up)
		return 0;
	pa_id_t id = unit_at_place(t, up, "government", 0);
	if (!id)
		id = unit_at_place(t, up, "petition_office", 0);
	return id;
}

pa_id_t orgtree_nearest_kind(const orgtree_t *t, pa_id_t unit_id, const char *kind)
{
	const pa_org_t *u = orgtree_find(t, unit_id);
	if (!u)
		return 0;
	pa_id_t place = u->is_unit ? u->parent_id : u->id;
	for (int depth = 0; place && depth <= ORG_MAX_DEPTH; depth++) {
		pa_id_t id = unit_at_place(t, place, kind, 0);
		if (id)
			return id;
		const pa_org_t *p = orgtree_find(t, place);
		if (!p)
			break;
		place = p->parent_id;
	}
	return 0;
}
