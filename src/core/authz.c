#include "base/common.h"
#include "core/authz.h"

const char *const pa_roles[] = {
	"intake", "handler", "mediator", "grid_worker", "supervisor", "leader", "admin", "auditor",
};
const size_t pa_nroles = ARRAY_SIZE(pa_roles);

bool role_valid(const char *role)
{
	for (size_t i = 0; i < pa_nroles; i++)
		if (streq(role, pa_roles[i]))
			return true;
	return false;
}

static bool is_overseer(const char *role)
{
	return streq(role, "supervisor") || streq(role, "leader");
}

static bool is_worker(const char *role)
{
	return streq(role, "intake") || streq(role, "handler") || streq(role, "mediator") ||
	       streq(role, "grid_worker");
}

bool authz_has_role(const pa_principal_t *p, const char *role)
{
	if (p->kind != PRINCIPAL_STAFF)
		return false;
	for (size_t i = 0; i < p->nroles; i++)
		if (streq(p->roles[i].role, role))
			return true;
	return false;
}

bool authz_has_role_in(const pa_principal_t *p, const char *role, pa_id_t org_id)
{
	if (p->kind != PRINCIPAL_STAFF)
		return false;
	for (size_t i = 0; i < p->nroles; i++)
		if (p->roles[i].org_id == org_id && streq(p->roles[i].role, role))
			return true;
	return false;
}

pa_id_t authz_org_for_role(const pa_principal_t *p, const char *role)
{
	for (size_t i = 0; i < p->nroles; i++)
		if (streq(p->roles[i].role, role))
			return p->roles[i].org_id;
	return 0;
}

/* The place whose subtree an overseer role in org_id covers. */
static pa_id_t oversight_root(const orgtree_t *t, pa_id_t org_id)
{
	const pa_org_t *o = orgtree_find(t, org_id);
	if (!o)
		return 0;
	return o->is_unit && o->parent_id ? o->parent_id : o->id;
}

static bool accused_hidden(const pa_principal_t *p, const pa_case_t *c)
{
	if (!c->accused_org_id)
		return false;
	for (size_t i = 0; i < p->nroles; i++)
		if (orgtree_is_within(p->tree, p->roles[i].org_id, c->accused_org_id))
			return true;
	return false;
}

/*
 * Rule 5: a case of a type with `participants: { visibility: participants }`
 * (joint cases) carries data.participants_only; it is visible only to those
 * holding a role in its owning unit (the political-legal committee) or in a
 * participating unit (data.participants[].org_id) — not to overseers above.
 */
/* Roles that work on or oversee cases (not admin, auditor). */
static bool case_role(const char *role)
{
	return is_worker(role) || is_overseer(role);
}

static bool participants_hide(const pa_principal_t *p, const pa_case_t *c)
{
	if (!c->data || !strstr(c->data, "\"participants_only\":true"))
		return false;
	for (size_t i = 0; i < p->nroles; i++)
		if (p->roles[i].org_id == c->owner_org_id && case_role(p->roles[i].role))
			return false;
	json_t *d = json_loads(c->data, 0, NULL);
	json_t *parts = json_object_get(d, "participants"), *v;
	size_t k;
	bool hide = true;
	json_array_foreach(parts, k, v) {
		pa_id_t org = json_integer_value(json_object_get(v, "org_id"));
		for (size_t i = 0; i < p->nroles && hide; i++)
			if (org && p->roles[i].org_id == org && case_role(p->roles[i].role))
				hide = false;
	}
	json_decref(d);
	return hide;
}

bool authz_is_participant(const pa_principal_t *p, const pa_case_t *c, pa_id_t org_id)
{
	if (p->kind != PRINCIPAL_STAFF || !c->data || !strstr(c->data, "\"participants\""))
		return false;
	json_t *d = json_loads(c->data, 0, NULL);
	json_t *parts = json_object_get(d, "participants"), *v;
	size_t k;
	bool found = false;
	json_array_foreach(parts, k, v) {
		pa_id_t org = json_integer_value(json_object_get(v, "org_id"));
		if (org_id && org != org_id)
			continue;
		for (size_t i = 0; i < p->nroles && !found; i++)
			if (org && p->roles[i].org_id == org && case_role(p->roles[i].role))
				found = true;
	}
	json_decref(d);
	return found;
}

bool authz_can_see_case(const pa_principal_t *p, const pa_case_t *c)
{
	if (p->kind == PRINCIPAL_SYSTEM)
		return true;
	if (p->kind != PRINCIPAL_STAFF || accused_hidden(p, c))
		return false;
	if (c->data && strstr(c->data, "\"participants_only\":true"))
		return !participants_hide(p, c);
	for (size_t i = 0; i < p->nroles; i++) {
		const pa_membership_t *m = &p->roles[i];
		if (is_worker(m->role) && m->org_id == c->owner_org_id)
			return true;
		if (is_overseer(m->role)) {
			pa_id_t root = oversight_root(p->tree, m->org_id);
			if (root && orgtree_is_within(p->tree, c->owner_org_id, root))
				return true;
		}
	}
	return false;
}

static void add_id(pa_id_t *ids, size_t *n, size_t cap, pa_id_t id)
{
	for (size_t i = 0; i < *n; i++)
		if (ids[i] == id)
			return;
	if (*n < cap)
		ids[(*n)++] = id;
}

void authz_case_filter(const pa_principal_t *p, arena_t *a, const wf_registry_t *wf,
                       pa_case_filter_t *f)
{
	f->all_orgs = false;
	f->visible_orgs = NULL;
	f->nvisible = 0;
	f->hidden_accused = NULL;
	f->nhidden = 0;
	f->restricted_types = NULL;
	f->nrestricted = 0;
	f->member_orgs = NULL;
	f->nmember = 0;
	if (p->kind == PRINCIPAL_SYSTEM) {
		f->all_orgs = true;
		return;
	}
	if (p->kind != PRINCIPAL_STAFF)
		return;
	size_t cap = orgtree_count(p->tree) + p->nroles + 1;
	pa_id_t *vis = arena_alloc(a, cap * sizeof(pa_id_t));
	size_t nvis = 0;
	size_t hcap = p->nroles * (ORG_MAX_DEPTH + 1) + 1;
	pa_id_t *hid = arena_alloc(a, hcap * sizeof(pa_id_t));
	size_t nhid = 0;
	for (size_t i = 0; i < p->nroles; i++) {
		const pa_membership_t *m = &p->roles[i];
		if (is_worker(m->role)) {
			add_id(vis, &nvis, cap, m->org_id);
		} else if (is_overseer(m->role)) {
			pa_id_t root = oversight_root(p->tree, m->org_id);
			pa_id_t *sub = NULL;
			size_t ns = root ? orgtree_subtree(p->tree, a, root, &sub) : 0;
			for (size_t j = 0; j < ns; j++)
				add_id(vis, &nvis, cap, sub[j]);
		}
		pa_id_t *anc = NULL;
		size_t na = orgtree_ancestors(p->tree, a, m->org_id, &anc);
		for (size_t j = 0; j < na; j++)
			add_id(hid, &nhid, hcap, anc[j]);
	}
	f->visible_orgs = vis;
	f->nvisible = nvis;
	f->hidden_accused = hid;
	f->nhidden = nhid;

	/* rule 5 in the query: the restricted types, and the units whose
	 * members see such a case (as participants_hide() decides one case) */
	size_t nt = wf ? wf->ndefs : 0, nr = 0, nm = 0;
	const char **types = arena_alloc(a, (nt + 1) * sizeof(*types));
	for (size_t i = 0; i < nt; i++)
		if (wf->defs[i]->participants_only)
			types[nr++] = wf->defs[i]->type;
	pa_id_t *mem = arena_alloc(a, (p->nroles + 1) * sizeof(pa_id_t));
	for (size_t i = 0; i < p->nroles; i++)
		if (case_role(p->roles[i].role))
			add_id(mem, &nm, p->nroles, p->roles[i].org_id);
	f->restricted_types = types;
	f->nrestricted = nr;
	f->member_orgs = mem;
	f->nmember = nm;
}

bool authz_may_take(const pa_principal_t *p, const pa_case_t *c, const wf_transition_t *t,
                    const char **as_role)
{
	if (p->kind == PRINCIPAL_PUBLIC) {
		if (wf_transition_allows_role(t, "public")) {
			if (as_role)
				*as_role = "public";
			return true;
		}
		return false;
	}
	if (p->kind == PRINCIPAL_SYSTEM) {
		if (wf_transition_allows_role(t, "system")) {
			if (as_role)
				*as_role = "system";
			return true;
		}
		return false;
	}
	if (accused_hidden(p, c))
		return false;
	for (size_t i = 0; i < p->nroles; i++) {
		const pa_membership_t *m = &p->roles[i];
		if (!wf_transition_allows_role(t, m->role))
			continue;
		bool ok = false;
		if (is_overseer(m->role)) {
			pa_id_t root = oversight_root(p->tree, m->org_id);
			ok = root && orgtree_is_within(p->tree, c->owner_org_id, root);
		} else {
			ok = m->org_id == c->owner_org_id;
		}
		if (ok) {
			if (as_role)
				*as_role = m->role;
			return true;
		}
	}
	return false;
}

pa_id_t authz_overseer_org(const pa_principal_t *p, const pa_case_t *c)
{
	if (p->kind != PRINCIPAL_STAFF || accused_hidden(p, c))
		return 0;
	for (size_t i = 0; i < p->nroles; i++) {
		const pa_membership_t *m = &p->roles[i];
		if (!is_overseer(m->role))
			continue;
		pa_id_t root = oversight_root(p->tree, m->org_id);
		if (root && orgtree_is_within(p->tree, c->owner_org_id, root))
			return m->org_id;
	}
	return 0;
}

bool authz_works_in(const pa_principal_t *p, pa_id_t org_id)
{
	if (p->kind != PRINCIPAL_STAFF)
		return false;
	for (size_t i = 0; i < p->nroles; i++)
		if (p->roles[i].org_id == org_id && is_worker(p->roles[i].role))
			return true;
	return false;
}

const char *authz_actor(const pa_principal_t *p, arena_t *a)
{
	switch (p->kind) {
	case PRINCIPAL_STAFF:
		return arena_printf(a, "user:%lld %s", (long long)p->user_id,
		                    p->username ? p->username : "");
	case PRINCIPAL_PUBLIC:
		return arena_printf(a, "public %s", p->client_ip ? p->client_ip : "-");
	case PRINCIPAL_SYSTEM:
		break;
	}
	return "system";
}
