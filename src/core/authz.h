/*
 * authz.h — who may see and do what.
 *
 * A principal is the public, the system (timers), or a staff user with
 * roles held in orgs.  The rules, in order:
 *
 *  1. A case that accuses a unit (accused_org_id) is invisible to every
 *     member of that unit and of any unit below it — whatever their roles.
 *     No rule below can override this (XF art. 30, 46).
 *  2. supervisor and leader roles held in a unit see every case owned by
 *     any unit at or below that unit's place (a district-level supervisor
 *     sees the district).
 *  3. intake, handler, mediator and grid_worker roles see cases owned by the
 *     unit they hold the role in.
 *  4. admin and auditor roles see no case by themselves.
 *  5. A case limited to its participants (data.participants_only, set for
 *     types whose definition says `participants: { visibility:
 *     participants }`, i.e. joint cases) is seen only by those holding a
 *     role in its owning unit or in a participating unit — rule 2 does not
 *     reach it (rule 1 still applies).  Lists apply it in their query
 *     (authz_case_filter: the restricted types, the viewer's units, the
 *     table case_participants), so participants find it in their inboxes.
 *
 * An invisible case is answered 404, exactly as a missing one.  A
 * transition may be taken when the principal holds one of the transition's
 * roles in the owning unit (supervisor: over it, rule 2); `public` and
 * `system` are the public and the timer.
 */
#ifndef PA_AUTHZ_H
#define PA_AUTHZ_H

#include "base/common.h"
#include "core/orgs.h"
#include "core/workflow.h"
#include "store/store.h"

typedef enum principal_kind {
	PRINCIPAL_PUBLIC,
	PRINCIPAL_STAFF,
	PRINCIPAL_SYSTEM,
} principal_kind_t;

typedef struct pa_principal {
	principal_kind_t kind;
	pa_id_t user_id;
	const char *username;
	const char *display_name;
	pa_membership_t *roles;
	size_t nroles;
	bool via_token;          /* API token: no cookie, so no CSRF check */
	const char *csrf_token;  /* of the session */
	const char *client_ip;
	const orgtree_t *tree;   /* snapshot for this request */
} pa_principal_t;

extern const char *const pa_roles[];
extern const size_t pa_nroles;
bool role_valid(const char *role);

bool authz_has_role(const pa_principal_t *p, const char *role);
bool authz_has_role_in(const pa_principal_t *p, const char *role, pa_id_t org_id);
bool authz_can_see_case(const pa_principal_t *p, const pa_case_t *c);
/* Sets the visibility members of f (all_orgs / visible_orgs / hidden_accused,
 * and for rule 5 the restricted types of wf and p's member units), so that a
 * list or count lets through exactly the cases authz_can_see_case() allows
 * (wf NULL: rule 5 is left to the caller). */
void authz_case_filter(const pa_principal_t *p, arena_t *a, const wf_registry_t *wf,
                       pa_case_filter_t *f);
/* Whether p may take t on c; *as_role gets the role that allowed it. */
bool authz_may_take(const pa_principal_t *p, const pa_case_t *c, const wf_transition_t *t,
                    const char **as_role);
/* Whether p holds a role in a participating unit of c (org_id, or any when 0). */
bool authz_is_participant(const pa_principal_t *p, const pa_case_t *c, pa_id_t org_id);
/* "user:12 zhangsan", "public 127.0.0.1", "system" — for audit records. */
const char *authz_actor(const pa_principal_t *p, arena_t *a);
/* The first unit in which p holds role, or 0. */
pa_id_t authz_org_for_role(const pa_principal_t *p, const char *role);
/* The unit of a supervisor or leader role of p whose oversight (rule 2)
 * covers c's owning unit, or 0 — also 0 when c is hidden from p (rule 1).
 * Supervision orders are issued from that unit. */
pa_id_t authz_overseer_org(const pa_principal_t *p, const pa_case_t *c);
/* Whether p holds a working role (intake, handler, mediator, grid_worker) in org_id. */
bool authz_works_in(const pa_principal_t *p, pa_id_t org_id);

#endif
