/*
 * demo.h — the demo district (orgs and staff) and the case generator used
 * by `pingan init --demo` and `pingan seed`.
 */
#ifndef PA_DEMO_H
#define PA_DEMO_H

#include "core/app.h"

typedef struct demo_user {
	const char *username;
	const char *display_name;
	const char *org_code;
	const char *roles;      /* comma-separated */
} demo_user_t;

extern const demo_user_t demo_users[];
extern const size_t demo_nusers;

/* Creates the demo org tree and staff.  admin_password for "admin",
 * staff_password for everyone else. */
int demo_seed(pa_app_t *app, const char *admin_password, const char *staff_password, pa_err_t *err);

/* Generates n realistic cases of every loaded type (a district's mix),
 * spread over units, categories, states and the past year; progress(fraction)
 * is called as it goes. */
int demo_generate(pa_app_t *app, int64_t n, uint32_t seed, void (*progress)(double), pa_err_t *err);

#endif
