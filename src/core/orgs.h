/*
 * orgs.h — the org tree in memory.
 *
 * Places (district → street/town → community/village → grid) and units
 * (petition office, police, ...) form one tree by parent_id.  Access rules
 * ask ancestor and subtree questions on every request, so the tree is held
 * in memory as an immutable snapshot; when the store's orgs generation
 * changes, orgtree_current() builds a new snapshot and swaps it in (readers
 * holding the old one keep it until they release it).
 */
#ifndef PA_ORGS_H
#define PA_ORGS_H

#include "base/common.h"
#include "store/store.h"

#define ORG_MAX_DEPTH 16

typedef struct orgtree orgtree_t;

/* Kinds: places and units. */
bool org_kind_valid(const char *kind);
bool org_kind_is_unit(const char *kind);
/* Localized kind label. */
const char *org_kind_label(const char *kind, const char *lang);

typedef struct orgcache orgcache_t;
orgcache_t *orgcache_new(store_t *s);
void orgcache_free(orgcache_t *oc);
/* The current snapshot, refcounted; release with orgtree_release(). */
orgtree_t *orgcache_get(orgcache_t *oc);
void orgtree_release(orgtree_t *t);
/* Forces a rebuild on the next get (after the caller changed orgs). */
void orgcache_invalidate(orgcache_t *oc);

const pa_org_t *orgtree_find(const orgtree_t *t, pa_id_t id);
const pa_org_t *orgtree_find_code(const orgtree_t *t, const char *code);
size_t orgtree_count(const orgtree_t *t);
const pa_org_t *orgtree_at(const orgtree_t *t, size_t i);
/* true when `id` is `ancestor` or below it. */
bool orgtree_is_within(const orgtree_t *t, pa_id_t id, pa_id_t ancestor);
/* All org ids at or below root (arena). */
size_t orgtree_subtree(const orgtree_t *t, arena_t *a, pa_id_t root, pa_id_t **out);
/* `id` and all its ancestors (arena). */
size_t orgtree_ancestors(const orgtree_t *t, arena_t *a, pa_id_t id, pa_id_t **out);
/* The unit that reviews `unit_id`'s decisions: superior_id, else the nearest
 * unit of kind "government" or "petition_office" at the parent place, else 0. */
pa_id_t orgtree_superior(const orgtree_t *t, pa_id_t unit_id);
/* The nearest unit of `kind` at the same place as `unit_id` or above. */
pa_id_t orgtree_nearest_kind(const orgtree_t *t, pa_id_t unit_id, const char *kind);

#endif
