/*
 * cmd_admin.c — `pingan user …` and `pingan org …`.
 */
#include "base/common.h"
#include "cli/cli.h"
#include "core/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int open_app(cli_args_t *a, pa_config_t *cfg, pa_app_t *app, unsigned flags)
{
	int rc = cli_config(a, cfg);
	if (rc)
		return rc;
	pa_err_t err = { 0 };
	if (app_open(app, cfg, flags | APP_NO_DEFS, &err) < 0) {
		cli_error(&err);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	return 0;
}

static void close_app(pa_config_t *cfg, pa_app_t *app)
{
	app_close(app);
	config_free(cfg);
}

/* Password from --password-stdin, PINGAN_PASSWORD, or generated (printed). */
static int read_password(const cli_args_t *a, char *buf, size_t len, bool *generated)
{
	*generated = false;
	if (cli_has(a, "password-stdin")) {
		if (!fgets(buf, (int)len, stdin)) {
			fprintf(stderr, "pingan: no password on standard input\n");
			return EXIT_USAGE;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		return 0;
	}
	const char *env = getenv("PINGAN_PASSWORD");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return 0;
	}
	char hex[13];
	random_hex(hex, 6);
	snprintf(buf, len, "Pa%s", hex);
	*generated = true;
	return 0;
}

/* "handler@district-xfj,intake@district-xfj" */
static int parse_roles(pa_app_t *app, arena_t *ar, const char *spec, pa_membership_t **out, size_t *n)
{
	*n = 0;
	*out = arena_zalloc(ar, 33 * sizeof(pa_membership_t));
	if (!spec || !*spec)
		return 0;
	char *copy = arena_strdup(ar, spec), *save = NULL;
	orgtree_t *t = orgcache_get(app->orgs);
	int rc = 0;
	for (char *item = strtok_r(copy, ",", &save); item && rc == 0; item = strtok_r(NULL, ",", &save)) {
		char *at = strchr(item, '@');
		if (!at) {
			fprintf(stderr, "pingan: role '%s' must be ROLE@ORGCODE\n", item);
			rc = EXIT_USAGE;
			break;
		}
		*at = '\0';
		const pa_org_t *o = orgtree_find_code(t, at + 1);
		if (!o) {
			fprintf(stderr, "pingan: no org with code '%s' (see 'pingan org list')\n", at + 1);
			rc = EXIT_USAGE;
			break;
		}
		if (*n >= 32) {
			fprintf(stderr, "pingan: too many roles\n");
			rc = EXIT_USAGE;
			break;
		}
		(*out)[(*n)++] = (pa_membership_t){ .org_id = o->id, .role = item };
	}
	orgtree_release(t);
	return rc;
}

static const cli_opt_t user_opts[] = {
	{ "roles", 'r', true, "ROLE@ORGCODE[,ROLE@ORGCODE…] (user add)" },
	{ "name", 'n', true, "display name (user add)" },
	{ "password-stdin", 0, false, "read the password from standard input (else PINGAN_PASSWORD, else generated)" },
};

static const char user_usage[] =
	"usage: pingan user add USERNAME --roles ROLE@ORG[,…] [--name NAME] [--password-stdin]\n"
	"       pingan user list\n"
	"       pingan user passwd USERNAME [--password-stdin]\n"
	"       pingan user disable USERNAME\n"
	"       pingan user enable USERNAME\n"
	"Roles: intake, handler, mediator, grid_worker, supervisor, leader, admin, auditor.";

int cmd_user(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, user_usage, user_opts, ARRAY_SIZE(user_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos < 1) {
		fprintf(stderr, "%s\n", user_usage);
		return EXIT_USAGE;
	}
	const char *sub = a.pos[0];
	bool needs_name = !streq(sub, "list");
	if (!streq(sub, "add") && !streq(sub, "list") && !streq(sub, "passwd") && !streq(sub, "disable") &&
	    !streq(sub, "enable")) {
		fprintf(stderr, "pingan: unknown subcommand 'user %s'\n%s\n", sub, user_usage);
		return EXIT_USAGE;
	}
	if (needs_name && a.npos != 2) {
		fprintf(stderr, "pingan: 'user %s' needs exactly one USERNAME\n", sub);
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	pa_app_t app;
	if ((rc = open_app(&a, &cfg, &app, 0)) != 0)
		return rc;
	arena_t *ar = arena_new();
	pa_err_t err = { 0 };
	rc = EXIT_OK;
	if (streq(sub, "list")) {
		pa_user_t *us;
		size_t n;
		if (store_users_list(store_reader(app.store), ar, &us, &n) < 0) {
			fprintf(stderr, "pingan: could not list users\n");
			rc = EXIT_FAIL;
		} else {
			orgtree_t *t = orgcache_get(app.orgs);
			printf("%-5s %-16s %-12s %-9s %s\n", "ID", "USERNAME", "NAME", "STATUS", "ROLES");
			for (size_t i = 0; i < n; i++) {
				printf("%-5lld %-16s %-12s %-9s ", (long long)us[i].id, us[i].username, us[i].display_name,
				       us[i].disabled ? "disabled" : "active");
				for (size_t k = 0; k < us[i].nroles; k++) {
					const pa_org_t *o = orgtree_find(t, us[i].roles[k].org_id);
					printf("%s%s@%s", k ? "," : "", us[i].roles[k].role, o ? o->code : "?");
				}
				printf("\n");
			}
			orgtree_release(t);
		}
	} else if (streq(sub, "add")) {
		pa_membership_t *roles;
		size_t nr;
		char pw[300];
		bool gen;
		if ((rc = parse_roles(&app, ar, cli_get(&a, "roles"), &roles, &nr)) == 0 &&
		    (rc = read_password(&a, pw, sizeof(pw), &gen)) == 0) {
			user_input_t in = { .username = a.pos[1], .display_name = cli_get(&a, "name"), .password = pw,
			                    .roles = roles, .nroles = nr };
			pa_id_t id;
			if (accounts_user_create(&app, ar, NULL, &in, &id, &err) < 0) {
				cli_error(&err);
				rc = err.code == PA_EINVAL ? EXIT_USAGE : EXIT_FAIL;
			} else {
				printf("created user %s (id %lld)\n", a.pos[1], (long long)id);
				if (gen)
					printf("password: %s\n", pw);
			}
		}
	} else {
		pa_user_t u;
		if (store_user_get_by_name(store_reader(app.store), ar, a.pos[1], &u) < 0) {
			fprintf(stderr, "pingan: no user '%s'\n", a.pos[1]);
			rc = EXIT_FAIL;
		} else if (streq(sub, "passwd")) {
			char pw[300];
			bool gen;
			if ((rc = read_password(&a, pw, sizeof(pw), &gen)) == 0) {
				if (accounts_user_set_password(&app, ar, NULL, u.id, pw, &err) < 0) {
					cli_error(&err);
					rc = EXIT_FAIL;
				} else {
					printf("password of %s changed; their sessions were ended\n", u.username);
					if (gen)
						printf("password: %s\n", pw);
				}
			}
		} else {
			bool dis = streq(sub, "disable");
			if (accounts_user_set_disabled(&app, ar, NULL, u.id, dis, &err) < 0) {
				cli_error(&err);
				rc = EXIT_FAIL;
			} else {
				printf("%s %s\n", dis ? "disabled" : "enabled", u.username);
			}
		}
	}
	arena_free(ar);
	close_app(&cfg, &app);
	return rc;
}

static const cli_opt_t org_opts[] = {
	{ "name", 'n', true, "name (org add)" },
	{ "name-en", 0, true, "English name (org add)" },
	{ "kind", 'k', true, "kind (org add): district street community grid government petition_office political_legal_committee police procuratorate court justice_bureau discipline_commission mediation_committee department" },
	{ "parent", 'p', true, "parent org code (org add)" },
	{ "superior", 0, true, "reviewing unit's code (org add)" },
	{ "abbr", 0, true, "short name in document numbers, 机关代字, e.g. 平信 (org add, org set)" },
};

static const char org_usage[] =
	"usage: pingan org list\n"
	"       pingan org add CODE --name NAME --kind KIND [--parent CODE] [--superior CODE] [--name-en NAME]\n"
	"                      [--abbr ABBR]\n"
	"       pingan org set CODE [--name NAME] [--name-en NAME] [--abbr ABBR]";

int cmd_org(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, org_usage, org_opts, ARRAY_SIZE(org_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (a.npos < 1 || (!streq(a.pos[0], "list") && !streq(a.pos[0], "add") &&
	                   !streq(a.pos[0], "set"))) {
		fprintf(stderr, "%s\n", org_usage);
		return EXIT_USAGE;
	}
	if (streq(a.pos[0], "add") && (a.npos != 2 || !cli_has(&a, "name") || !cli_has(&a, "kind"))) {
		fprintf(stderr, "pingan: 'org add' needs CODE, --name and --kind\n%s\n", org_usage);
		return EXIT_USAGE;
	}
	if (streq(a.pos[0], "set") &&
	    (a.npos != 2 || (!cli_has(&a, "name") && !cli_has(&a, "name-en") && !cli_has(&a, "abbr")))) {
		fprintf(stderr, "pingan: 'org set' needs CODE and at least one of --name, --name-en, "
		        "--abbr\n%s\n", org_usage);
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	pa_app_t app;
	if ((rc = open_app(&a, &cfg, &app, APP_NO_KEYS)) != 0)
		return rc;
	orgtree_t *t = orgcache_get(app.orgs);
	rc = EXIT_OK;
	if (streq(a.pos[0], "list")) {
		printf("%-5s %-24s %-28s %s\n", "ID", "CODE", "KIND", "NAME");
		for (size_t i = 0; i < orgtree_count(t); i++) {
			const pa_org_t *o = orgtree_at(t, i);
			int depth = 0;
			for (pa_id_t p = o->parent_id; p && depth < ORG_MAX_DEPTH; depth++) {
				const pa_org_t *po = orgtree_find(t, p);
				p = po ? po->parent_id : 0;
			}
			printf("%-5lld %-24s %-28s %*s%s\n", (long long)o->id, o->code, o->kind, depth * 2, "", o->name);
		}
	} else if (streq(a.pos[0], "set")) {
		const pa_org_t *o = orgtree_find_code(t, a.pos[1]);
		if (!o) {
			fprintf(stderr, "pingan: no org with code '%s'\n", a.pos[1]);
			rc = EXIT_USAGE;
		} else {
			org_patch_t patch = { .name = cli_get(&a, "name"), .name_en = cli_get(&a, "name-en"),
			                      .abbr = cli_get(&a, "abbr") };
			arena_t *ar = arena_new();
			pa_err_t err = { 0 };
			pa_org_t after;
			if (accounts_org_update(&app, ar, NULL, o->id, &patch, &after, &err) < 0) {
				cli_error(&err);
				rc = err.code == PA_EINVAL ? EXIT_USAGE : EXIT_FAIL;
			} else {
				printf("updated org %s (abbr %s)\n", after.code,
				       after.abbr && *after.abbr ? after.abbr : "-");
			}
			arena_free(ar);
		}
	} else {
		const pa_org_t *parent = cli_has(&a, "parent") ? orgtree_find_code(t, cli_get(&a, "parent")) : NULL;
		const pa_org_t *sup = cli_has(&a, "superior") ? orgtree_find_code(t, cli_get(&a, "superior")) : NULL;
		if ((cli_has(&a, "parent") && !parent) || (cli_has(&a, "superior") && !sup)) {
			fprintf(stderr, "pingan: no org with code '%s'\n",
			        cli_has(&a, "parent") && !parent ? cli_get(&a, "parent") : cli_get(&a, "superior"));
			rc = EXIT_USAGE;
		} else {
			pa_org_t o = { .code = a.pos[1], .name = cli_get(&a, "name"), .name_en = cli_get(&a, "name-en"),
			               .kind = cli_get(&a, "kind"), .parent_id = parent ? parent->id : 0,
			               .superior_id = sup ? sup->id : 0, .abbr = cli_get(&a, "abbr") };
			arena_t *ar = arena_new();
			pa_err_t err = { 0 };
			pa_id_t id;
			if (accounts_org_create(&app, ar, NULL, &o, &id, &err) < 0) {
				cli_error(&err);
				rc = err.code == PA_EINVAL ? EXIT_USAGE : EXIT_FAIL;
			} else {
				printf("created org %s (id %lld)\n", o.code, (long long)id);
			}
			arena_free(ar);
		}
	}
	orgtree_release(t);
	close_app(&cfg, &app);
	return rc;
}
