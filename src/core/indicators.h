/*
 * indicators.h — the numbers leaders look at (docs/indicators.md), kept exact
 * and fast, and campaigns (专项行动).
 *
 * Every case keeps one row of facts (store.h pa_facts_t) that the store's
 * observer updates in the transaction of each case change, timeline event and
 * rating; the same write moves pre-aggregated monthly counts.  A query sums
 * the whole months of its period from the aggregates and reads the facts of
 * the days at its edges, so the answer is exact for any period of days.
 *
 * What a case type counts comes from its definition's `indicators:` section
 * (acceptance and handling stages, named counts and rates); nothing here
 * switches on a type's name.
 */
#ifndef PA_INDICATORS_H
#define PA_INDICATORS_H

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define IND_MAX_LIST 64          /* types or categories in one query */
#define IND_MAX_DAYS 3660        /* longest period, in days */
#define IND_HIST_MAX 1000        /* handling times above count as this many working days */
#define IND_DUE_SOON_DAYS 3      /* "due soon" in the workload: within this many days */

/* Installs the observer that keeps facts and aggregates (app_open). */
void indicators_attach(pa_app_t *app);

typedef struct ind_query {
	int64_t from_day, to_day;     /* local days, inclusive */
	const char *types[IND_MAX_LIST];
	size_t ntypes;
	const char *categories[IND_MAX_LIST];
	size_t ncategories;
	pa_id_t org_id;               /* 0 = all visible; else that unit and the units below it */
	const pa_id_t *org_list;      /* campaign target units (each with its subtree); NULL = none */
	size_t norg_list;
	pa_id_t street_id;            /* 0 = any */
	int enterprise;               /* -1 any, 0, 1 */
	const char *group_by;         /* NULL, type, category, org, street, month */
} ind_query_t;

typedef struct ind_value {
	const char *name;             /* cases, on_time_acceptance, … or TYPE.RATE */
	const char *type;             /* the case type of a definition's rate, else NULL */
	const char *kind;             /* count, rate, score, days */
	const char *label;            /* in the request's language */
	const char *formula;          /* in the request's language */
	int64_t numerator;
	int64_t denominator;          /* -1 for a plain count */
	bool has_value;               /* false when the denominator is 0 */
	double value;                 /* ratio 0..1, score 0..100, days, or the count */
} ind_value_t;

typedef struct ind_group {
	const char *key;              /* "" without group_by; type, category, org id, street id, yyyymm */
	ind_value_t *values;
	size_t nvalues;
} ind_group_t;

typedef struct ind_result {
	ind_group_t *groups;
	size_t ngroups;
	bool exact_from_facts;        /* no whole month: everything came from the facts */
} ind_result_t;

/* Parses YYYY-MM-DD into a local day number. */
int ind_parse_day(const char *s, int64_t *day);
/* The local day of a time. */
int64_t ind_day_of(pa_app_t *app, pa_time_t t);
/* The default start of a period ending on to_day: the 1st of the month 11 months
 * earlier (twelve calendar months with to_day's). */
int64_t ind_default_from(int64_t to_day);
/* YYYY-MM-DD of a local day, in the arena. */
const char *ind_day_text(arena_t *a, int64_t day);

int indicators_compute(pa_app_t *app, arena_t *a, const pa_principal_t *p, const ind_query_t *q,
                       const char *lang, ind_result_t *out, pa_err_t *err);

/* For exports: every (group, indicator) of a computation, in order. */
int indicators_rows(pa_app_t *app, arena_t *a, const pa_principal_t *p, const ind_query_t *q,
                    const char *lang,
                    int (*fn)(void *ctx, const char *group, const ind_value_t *v), void *ctx,
                    pa_err_t *err);

/* The cases behind indicator `name`: its numerator (numerator true) or denominator,
 * visible to p, after the cursor (after_day, after_id). */
int indicators_cases(pa_app_t *app, arena_t *a, const pa_principal_t *p, const ind_query_t *q,
                     const char *name, bool numerator, int64_t after_day, pa_id_t after_id,
                     int limit, pa_case_t **out, int64_t **days, size_t *n, bool *more,
                     pa_err_t *err);

/* Workload per unit (by_handler false) or per handler, of the units p sees (or org_id's
 * subtree). */
int indicators_workload(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t org_id,
                        bool by_handler, pa_workload_row_t **out, size_t *n, pa_err_t *err);

/* ---- campaigns -------------------------------------------------------------------------- */

typedef struct campaign_input {
	const char *name;
	const char *description;
	const char *start_date;       /* YYYY-MM-DD */
	const char *end_date;
	json_t *types;                /* array of strings, may be NULL */
	json_t *categories;
	json_t *orgs;                 /* array of unit ids */
	json_t *goals;                /* object: indicator name -> number */
} campaign_input_t;

/* Supervisors and leaders create campaigns. */
int campaign_create(pa_app_t *app, arena_t *a, const pa_principal_t *p, const campaign_input_t *in,
                    pa_campaign_t *out, pa_err_t *err);
int campaign_get(pa_app_t *app, arena_t *a, pa_id_t id, pa_campaign_t *out, pa_err_t *err);
int campaigns_list(pa_app_t *app, arena_t *a, pa_campaign_t **out, size_t *n, pa_err_t *err);
/* The query a campaign stands for: its period (up to today), types, categories, units. */
int campaign_query(pa_app_t *app, arena_t *a, const pa_campaign_t *cp, ind_query_t *q,
                   pa_err_t *err);

#endif
