/*
 * test_authz.c — the access rules of core/authz.h on a real org tree in a
 * real (temporary) SQLite store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/common.h"
#include "core/authz.h"
#include "core/orgs.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];
static store_t *st;
static orgcache_t *oc;
static pa_id_t district, xfj, housing, street, street_office, gov, discipline, police;

struct org_add {
	pa_org_t o;
	pa_id_t id;
};

static int add_fn(store_tx_t *tx, void *arg)
{
	struct org_add *x = arg;
	return store_tx_org_insert(tx, &x->o, &x->id);
}

static pa_id_t add(const char *code, const char *kind, pa_id_t parent, bool unit)
{
	struct org_add x = { .o = { .code = code, .name = code, .kind = kind, .parent_id = parent,
	                            .is_unit = unit } };
	pa_err_t err = { 0 };
	assert_int_equal(store_write(st, add_fn, &x, &err), 0);
	return x.id;
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/pa-authz-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/t.db", dir);
	store_options_t so = { .path = path, .busy_timeout_ms = 1000 };
	pa_err_t err = { 0 };
	assert_int_equal(store_open(&so, &st, &err), 0);
	int from, to;
	assert_int_equal(store_migrate(st, &from, &to, &err), 0);
	district = add("district", "district", 0, false);
	xfj = add("xfj", "petition_office", district, true);
	housing = add("housing", "department", district, true);
	gov = add("gov", "government", district, true);
	discipline = add("discipline", "discipline_commission", district, true);
	police = add("police", "police", district, true);
	street = add("street", "street", district, false);
	street_office = add("street-office", "government", street, true);
	oc = orgcache_new(st);
	return 0;
}

static int teardown(void **state)
{
	orgcache_free(oc);
	store_close(st);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static pa_principal_t staff(orgtree_t *t, pa_membership_t *roles, size_t n)
{
	pa_principal_t p = { .kind = PRINCIPAL_STAFF, .user_id = 7, .username = "u", .roles = roles,
	                     .nroles = n, .tree = t };
	return p;
}

static void test_handler_sees_own_unit_only(void **state)
{
	orgtree_t *t = orgcache_get(oc);
	pa_membership_t r[] = { { housing, "handler" } };
	pa_principal_t p = staff(t, r, 1);
	pa_case_t own = { .owner_org_id = housing }, other = { .owner_org_id = xfj };
	assert_true(authz_can_see_case(&p, &own));
	assert_false(authz_can_see_case(&p, &other));
	orgtree_release(t);
}

static void test_supervisor_sees_the_place_below(void **state)
{
	orgtree_t *t = orgcache_get(oc);
	pa_membership_t r[] = { { xfj, "supervisor" } };
	pa_principal_t p = staff(t, r, 1);
	pa_case_t a = { .owner_org_id = housing }, b = { .owner_org_id = street_office };
	assert_true(authz_can_see_case(&p, &a));
	assert_true(authz_can_see_case(&p, &b));
	/* a street-level supervisor does not see district units */
	pa_membership_t r2[] = { { street_office, "supervisor" } };
	pa_principal_t q = staff(t, r2, 1);
	assert_false(authz_can_see_case(&q, &a));
	assert_true(authz_can_see_case(&q, &b));
	orgtree_release(t);
}

static void test_accused_unit_never_sees(void **state)
{
	orgtree_t *t = orgcache_get(oc);
	pa_case_t c = { .owner_org_id = housing, .accused_org_id = housing };
	pa_membership_t r[] = { { housing, "handler" } };
	pa_principal_t p = staff(t, r, 1);
	assert_false(authz_can_see_case(&p, &c));
	/* even a supervisor inside the accused unit */
	pa_membership_t r2[] = { { housing, "supervisor" }, { housing, "leader" } };
	pa_principal_t q = staff(t, r2, 2);
	assert_false(authz_can_see_case(&q, &c));
	/* accusing a place hides the case from every unit under it */
	pa_case_t d = { .owner_org_id = discipline, .accused_org_id = street };
	pa_membership_t r3[] = { { street_office, "supervisor" } };
	pa_principal_t s = staff(t, r3, 1);
	assert_false(authz_can_see_case(&s, &d));
	/* others still see it */
	pa_membership_t r4[] = { { discipline, "handler" } };
	pa_principal_t u = staff(t, r4, 1);
	assert_true(authz_can_see_case(&u, &d));
	orgtree_release(t);
}

static void test_admin_and_auditor_see_no_case(void **state)
{
	orgtree_t *t = orgcache_get(oc);
	pa_membership_t r[] = { { xfj, "admin" }, { xfj, "auditor" } };
	pa_principal_t p = staff(t, r, 2);
	pa_case_t c = { .owner_org_id = xfj };
	assert_false(authz_can_see_case(&p, &c));
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .tree = t };
	assert_false(authz_can_see_case(&pub, &c));
	orgtree_release(t);
}

static void test_filter_lists(void **state)
{
	orgtree_t *t = orgcache_get(oc);
	arena_t *a = arena_new();
	pa_membership_t r[] = { { housing, "handler" }, { street_office, "supervisor" } };
	pa_principal_t p = staff(t, r, 2);
	pa_case_filter_t f = { 0 };
	authz_case_filter(&p, a, NULL, &f);
	assert_false(f.all_orgs);
	bool has_housing = false, has_office = false, has_xfj = false;
	for (size_t i = 0; i < f.nvisible; i++) {
		has_housing |= f.visible_orgs[i] == housing;
		has_office |= f.visible_orgs[i] == street_office;
		has_xfj |= f.visible_orgs[i] == xfj;
	}
	assert_true(has_housing && has_office);
	assert_false(has_xfj);
	bool hides_housing = false, hides_district = false, hides_street = false;
	for (size_t i = 0; i < f.nhidden; i++) {
		hides_housing |= f.hidden_accused[i] == housing;
		hides_district |= f.hidden_accused[i] == district;
		hides_street |= f.hidden_accused[i] == street;
	}
	assert_true(hides_housing && hides_district && hides_street);
	arena_free(a);
	orgtree_release(t);
}

static void test_superior_and_nearest_kind(void **state)
{
	orgtree_t *t = orgcache_get(oc);
	/* a street unit's superior is the government one place up */
	assert_int_equal(orgtree_superior(t, street_office), gov);
	/* a district unit has no place above: 0 (core falls back to intake) */
	assert_int_equal(orgtree_superior(t, housing), 0);
	assert_int_equal(orgtree_nearest_kind(t, street_office, "discipline_commission"), discipline);
	assert_int_equal(orgtree_nearest_kind(t, housing, "court"), 0);
	assert_true(orgtree_is_within(t, street_office, district));
	assert_false(orgtree_is_within(t, district, street_office));
	orgtree_release(t);
}

static void test_roles_valid(void **state)
{
	assert_true(role_valid("intake"));
	assert_true(role_valid("auditor"));
	assert_false(role_valid("public"));
	assert_false(role_valid("root"));
	assert_false(role_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handler_sees_own_unit_only),
		cmocka_unit_test(test_supervisor_sees_the_place_below),
		cmocka_unit_test(test_accused_unit_never_sees),
		cmocka_unit_test(test_admin_and_auditor_see_no_case),
		cmocka_unit_test(test_filter_lists),
		cmocka_unit_test(test_superior_and_nearest_kind),
		cmocka_unit_test(test_roles_valid),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
