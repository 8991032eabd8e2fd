/*
 * indicators.c — facts per case, exact aggregates, the indicator catalogue,
 * drill-down, workload and campaigns (see indicators.h, docs/indicators.md).
 *
 * Facts.  The store calls on_case / on_event / on_rating inside the write
 * function of every change (store.h store_observer_t).  Each builds the
 * case's new facts from its previous facts and the new row:
 *   - a case leaving its type's acceptance (or handling) stage for the first
 *     time is done with it; late when it leaves after the due of the state it
 *     left, or was marked overdue there;
 *   - the handling time is the working days from registration to leaving the
 *     handling stage (calendar.c: the day of registration is not counted);
 *   - a named count is reached by entering one of its states or taking one of
 *     its transitions (on_event), and stays reached;
 *   - ratings add to per-level counts.
 * contrib() turns facts into what they add to the aggregates; the store
 * subtracts the old contribution and adds the new one in the same write.
 * Queries use contrib() too when they read facts directly, so both paths
 * count with one function.
 *
 * Periods.  A case counts in the period of its registration day (a cohort):
 * "of the cases registered from … to …, how many were handled on time".
 */
#include "base/common.h"
#include "core/indicators.h"
#include "core/audit.h"
#include "core/cases.h"
#include "base/keyindex.h"

#include <pthread.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* flag bits of pa_facts_t.flags; counts of the definition take bits 16… */
enum {
	F_CASES = 1 << 0,
	F_OPEN = 1 << 1,
	F_CLOSED = 1 << 2,
	F_OVERDUE = 1 << 3,
	F_ACC_DUE = 1 << 4,
	F_ACC_ON_TIME = 1 << 5,
	F_HND_DUE = 1 << 6,
	F_HND_ON_TIME = 1 << 7,
	F_HANDLED = 1 << 8,
	F_REPEAT = 1 << 9,
	F_RATED = 1 << 10,
	F_RATED_OK = 1 << 11,
	F_ACC_DONE = 1 << 12,
	F_ACC_LATE = 1 << 13,
	F_HND_LATE = 1 << 14,
};
#define F_COUNT0 16
#define COUNT_BIT(i) ((int64_t)1 << (F_COUNT0 + (i)))

static const char *const rating_codes[PA_RATING_LEVELS] = {
	"very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "very_dissatisfied",
};
static const int rating_points[PA_RATING_LEVELS] = { 100, 80, 60, 30, 0 };

/* ---- days ------------------------------------------------------------------------------ */

static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int month_of_day(int64_t day)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	return y * 100 + m;
}

static int64_t month_first_day(int month)
{
	return days_from_civil(month / 100, month % 100, 1);
}

static int month_next(int month)
{
	return month % 100 == 12 ? (month / 100 + 1) * 100 + 1 : month + 1;
}

int ind_parse_day(const char *s, int64_t *day)
{
	int y, m, d;
	char tail;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
	    y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
		return PA_EINVAL;
	int64_t v = days_from_civil(y, m, d);
	int cy, cm, cd;
	civil_from_days(v, &cy, &cm, &cd);
	if (cy != y || cm != m || cd != d)
		return PA_EINVAL;
	*day = v;
	return 0;
}

int64_t ind_day_of(pa_app_t *app, pa_time_t t)
{
	return calendar_local_day(app->cal, t);
}

const char *ind_day_text(arena_t *a, int64_t day)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	return arena_printf(a, "%04d-%02d-%02d", y, m, d);
}

int64_t ind_default_from(int64_t to_day)
{
	int y, m, d;
	civil_from_days(to_day, &y, &m, &d);
	m -= 11;
	if (m < 1) {
		m += 12;
		y--;
	}
	return days_from_civil(y, m, 1);
}

/* ---- facts ------------------------------------------------------------------------------ */

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (streq(list[i], s))
			return true;
	return false;
}

static bool data_flag(const char *data, const char *key)
{
	if (!data || !strstr(data, key))
		return false;
	json_t *j = json_loads(data, 0, NULL);
	bool v = json_is_true(json_object_get(j, key));
	json_decref(j);
	return v;
}

static pa_id_t street_of(pa_app_t *app, pa_id_t org_id)
{
	orgtree_t *t = orgcache_get(app->orgs);
	pa_id_t street = 0;
	for (const pa_org_t *o = orgtree_find(t, org_id); o; o = orgtree_find(t, o->parent_id)) {
		if (streq(o->kind, "street")) {
			street = o->id;
			break;
		}
		if (!o->parent_id)
			break;
	}
	orgtree_release(t);
	return street;
}

/* What facts add to the aggregates (and the derived flags, written back to f). */
static void contrib(const wf_def_t *def, pa_facts_t *f, arena_t *a, pa_ind_contrib_t *c)
{
	memset(c, 0, sizeof(*c));
	const wf_indicators_t *ind = def ? &def->indicators : NULL;
	int64_t fl = f->flags & ~(int64_t)(F_OPEN | F_CLOSED | F_OVERDUE | F_ACC_DUE | F_ACC_ON_TIME |
	                                    F_HND_DUE | F_HND_ON_TIME | F_HANDLED | F_RATED | F_RATED_OK);
	fl |= F_CASES;
	fl |= f->is_open ? F_OPEN : F_CLOSED;
	if (f->is_open && f->overdue)
		fl |= F_OVERDUE;
	bool in_acc = ind && in_list(ind->acceptance, ind->nacceptance, f->state);
	bool in_hnd = ind && in_list(ind->handling, ind->nhandling, f->state);
	if ((fl & F_ACC_DONE) || (in_acc && f->is_open && f->overdue))
		fl |= F_ACC_DUE;
	if ((fl & F_ACC_DONE) && !(fl & F_ACC_LATE))
		fl |= F_ACC_ON_TIME;
	if (f->wdays >= 0)
		fl |= F_HANDLED;
	if ((fl & F_HANDLED) || (in_hnd && f->is_open && f->overdue))
		fl |= F_HND_DUE;
	if ((fl & F_HANDLED) && !(fl & F_HND_LATE))
		fl |= F_HND_ON_TIME;
	int rated = 0, ok = 0;
	for (int i = 0; i < PA_RATING_LEVELS; i++) {
		rated += f->ratings[i];
		if (i < 3)
			ok += f->ratings[i];
	}
	if (rated)
		fl |= F_RATED;
	if (ok)
		fl |= F_RATED_OK;
	f->flags = fl;

	c->col[PA_IND_CASES] = 1;
	c->col[PA_IND_OPEN] = !!(fl & F_OPEN);
	c->col[PA_IND_CLOSED] = !!(fl & F_CLOSED);
	c->col[PA_IND_OVERDUE] = !!(fl & F_OVERDUE);
	c->col[PA_IND_ACC_DUE] = !!(fl & F_ACC_DUE);
	c->col[PA_IND_ACC_ON_TIME] = !!(fl & F_ACC_ON_TIME);
	c->col[PA_IND_HND_DUE] = !!(fl & F_HND_DUE);
	c->col[PA_IND_HND_ON_TIME] = !!(fl & F_HND_ON_TIME);
	c->col[PA_IND_HANDLED] = !!(fl & F_HANDLED);
	c->col[PA_IND_WDAYS_SUM] = f->wdays >= 0 ? f->wdays : 0;
	c->col[PA_IND_REPEAT] = !!(fl & F_REPEAT);
	for (int i = 0; i < PA_RATING_LEVELS; i++)
		c->col[PA_IND_R1 + i] = f->ratings[i];
	c->wdays = f->wdays < 0 ? -1 : f->wdays > IND_HIST_MAX ? IND_HIST_MAX : f->wdays;
	if (!ind || !a)
		return;
	c->metrics = arena_zalloc(a, (ind->ncounts + 2 * ind->nrates + 1) * sizeof(pa_metric_t));
	for (size_t i = 0; i < ind->ncounts; i++)
		if (fl & COUNT_BIT(i))
			c->metrics[c->nmetrics++] =
				(pa_metric_t){ arena_printf(a, "count.%s", ind->counts[i].name), 1 };
	for (size_t i = 0; i < ind->nrates; i++) {
		const wf_rate_t *r = &ind->rates[i];
		int den = streq(r->denominator, "cases") ? -1 : wf_find_count(def, r->denominator);
		int num = r->numerator ? wf_find_count(def, r->numerator) : -1;
		int exc = r->exclude ? wf_find_count(def, r->exclude) : -1;
		int wo = r->without ? wf_find_count(def, r->without) : -1;
		bool in_den = (den < 0 || (fl & COUNT_BIT(den))) && !(exc >= 0 && (fl & COUNT_BIT(exc)));
		if (!in_den)
			continue;
		c->metrics[c->nmetrics++] =
			(pa_metric_t){ arena_printf(a, "rate.%s.den", r->name), 1 };
		if ((num < 0 || (fl & COUNT_BIT(num))) && !(wo >= 0 && (fl & COUNT_BIT(wo))))
			c->metrics[c->nmetrics++] =
				(pa_metric_t){ arena_printf(a, "rate.%s.num", r->name), 1 };
	}
}

static void reach_state_counts(const wf_def_t *def, pa_facts_t *f, const char *state)
{
	if (!def)
		return;
	const wf_indicators_t *ind = &def->indicators;
	for (size_t i = 0; i < ind->ncounts; i++)
		if (in_list(ind->counts[i].states, ind->counts[i].nstates, state))
			f->flags |= COUNT_BIT(i);
}

/* One scratch arena per writing thread, freed when the thread ends (the
 * key's destructor), so a store's writer thread leaves nothing behind. */
static _Thread_local arena_t *tl_arena;
static pthread_key_t arena_key;
static pthread_once_t arena_key_once = PTHREAD_ONCE_INIT;

static void arena_key_free(void *p)
{
	arena_free(p);
	tl_arena = NULL;
}

static void arena_key_make(void)
{
	if (pthread_key_create(&arena_key, arena_key_free) != 0)
		abort();
}

static arena_t *scratch(void)
{
	if (!tl_arena) {
		pthread_once(&arena_key_once, arena_key_make);
		tl_arena = arena_new();
		pthread_setspecific(arena_key, tl_arena);
	}
	arena_reset(tl_arena);
	return tl_arena;
}

static int put(store_tx_t *tx, const wf_def_t *def, arena_t *a, const pa_facts_t *prev,
               pa_facts_t *f)
{
	pa_ind_contrib_t old, cur;
	pa_facts_t p;
	if (prev) {
		p = *prev;
		contrib(def, &p, a, &old);
		/* the row as stored, for the store to find it again (case_facts_day's
		 * key holds the flags); contrib() derives the same ones unless the
		 * definition changed since */
		p.flags = prev->flags;
	}
	contrib(def, f, a, &cur);
	return store_tx_facts_put(tx, prev ? &p : NULL, prev ? &old : NULL, f, &cur);
}

static int on_case(store_tx_t *tx, void *ctx, const pa_case_t *cs, bool inserted)
{
	pa_app_t *app = ctx;
	arena_t *a = scratch();
	const wf_def_t *def = app->wf ? wf_registry_find(app->wf, cs->type) : NULL;
	const wf_indicators_t *ind = def ? &def->indicators : NULL;
	pa_facts_t prev, f;
	bool has_prev = false;
	if (!inserted) {
		int rc = store_tx_facts_get(tx, a, cs->id, &prev);
		if (rc < 0 && rc != PA_ENOTFOUND)
			return rc;
		has_prev = rc == 0;
	}
	if (has_prev) {
		f = prev;
	} else {
		memset(&f, 0, sizeof(f));
		f.case_id = cs->id;
		f.type = cs->type;
		f.category = cs->category ? cs->category : "";
		f.day = calendar_local_day(app->cal, cs->created_at);
		f.month = month_of_day(f.day);
		f.wdays = -1;
		f.closed_day = -1;
		f.flags = F_CASES;
	}
	if (cs->data) {
		if (data_flag(cs->data, "enterprise_related"))
			f.enterprise = true;
		if (data_flag(cs->data, "repeat"))
			f.flags |= F_REPEAT;
	}
	f.org_id = cs->owner_org_id;
	f.street_id = has_prev && prev.org_id == cs->owner_org_id ? prev.street_id
	                                                          : street_of(app, cs->owner_org_id);
	f.assignee_id = cs->assignee_id;
	pa_time_t at = cs->updated_at ? cs->updated_at : cs->created_at;
	if (has_prev && !streq(prev.state, cs->state) && ind) {
		bool late = at > prev.due_at || prev.overdue;
		if (in_list(ind->acceptance, ind->nacceptance, prev.state) &&
		    !in_list(ind->acceptance, ind->nacceptance, cs->state) && !(f.flags & F_ACC_DONE))
			f.flags |= F_ACC_DONE | (late ? F_ACC_LATE : 0);
		if (in_list(ind->handling, ind->nhandling, prev.state) &&
		    !in_list(ind->handling, ind->nhandling, cs->state) && f.wdays < 0) {
			f.wdays = calendar_working_days_between(app->cal, cs->created_at ? cs->created_at
			                                                                 : at, at);
			if (late)
				f.flags |= F_HND_LATE;
		}
	}
	reach_state_counts(def, &f, cs->state);
	f.state = cs->state;
	f.due_at = cs->due_at;
	f.is_open = cs->is_open;
	f.overdue = cs->overdue;
	if (!cs->is_open && f.closed_day < 0)
		f.closed_day = calendar_local_day(app->cal, at);
	else if (cs->is_open)
		f.closed_day = -1;
	return put(tx, def, a, has_prev ? &prev : NULL, &f);
}

/* Whether any definition counts a transition named action: when none does,
 * the event cannot change any case's facts, so its facts row is not read. */
static bool action_counted(const wf_registry_t *wf, const char *action)
{
	for (size_t d = 0; d < wf->ndefs; d++) {
		const wf_indicators_t *ind = &wf->defs[d]->indicators;
		for (size_t i = 0; i < ind->ncounts; i++)
			if (in_list(ind->counts[i].transitions, ind->counts[i].ntransitions, action))
				return true;
	}
	return false;
}

static int on_event(store_tx_t *tx, void *ctx, const pa_event_t *ev)
{
	pa_app_t *app = ctx;
	if (!ev->action || !streq(ev->kind, "transition") || !app->wf ||
	    !action_counted(app->wf, ev->action))
		return 0;
	arena_t *a = scratch();
	pa_facts_t prev;
	int rc = store_tx_facts_get(tx, a, ev->case_id, &prev);
	if (rc == PA_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	const wf_def_t *def = wf_registry_find(app->wf, prev.type);
	if (!def)
		return 0;
	pa_facts_t f = prev;
	for (size_t i = 0; i < def->indicators.ncounts; i++) {
		const wf_count_t *c = &def->indicators.counts[i];
		if (in_list(c->transitions, c->ntransitions, ev->action))
			f.flags |= COUNT_BIT(i);
	}
	if (f.flags == prev.flags)
		return 0;
	return put(tx, def, a, &prev, &f);
}

static int on_rating(store_tx_t *tx, void *ctx, const pa_rating_t *r)
{
	pa_app_t *app = ctx;
	int level = -1;
	for (int i = 0; i < PA_RATING_LEVELS; i++)
		if (streq(r->level, rating_codes[i]))
			level = i;
	if (level < 0)
		return 0;
	arena_t *a = scratch();
	pa_facts_t prev;
	int rc = store_tx_facts_get(tx, a, r->case_id, &prev);
	if (rc == PA_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	const wf_def_t *def = app->wf ? wf_registry_find(app->wf, prev.type) : NULL;
	pa_facts_t f = prev;
	f.ratings[level]++;
	return put(tx, def, a, &prev, &f);
}

void indicators_attach(pa_app_t *app)
{
	app->observer = (store_observer_t){ .case_written = on_case, .event_written = on_event,
		                                .rating_written = on_rating, .ctx = app };
	store_set_observer(app->store, &app->observer);
}

/* ---- the catalogue ---------------------------------------------------------------------- */

typedef struct catalogue_entry {
	const char *name, *kind;
	const char *zh, *en;
	const char *formula_zh, *formula_en;
	int64_t num_all, num_none;    /* drill-down masks */
	int64_t den_all;
	int num, den;                 /* the numbers: a column of the sums or one of V_* */
} catalogue_entry_t;

/* Numbers of a group beyond its summed columns (finish_group). */
enum {
	V_RATED = PA_IND_NCOLS,       /* ratings */
	V_RATED_OK,                   /* very satisfied, satisfied, basically satisfied */
	V_POINTS,                     /* rating points */
	V_P90,                        /* the ⌈0.9 n⌉-th handling time */
	V_NONE,                       /* a count: no denominator */
	V_N
};

static const catalogue_entry_t catalogue[] = {
	{ "cases", "count", "事项数", "Cases",
	  "登记日期在所选期间内的事项数", "cases registered in the period",
	  F_CASES, 0, 0, PA_IND_CASES, V_NONE },
	{ "closing_rate", "rate", "办结率", "Closing rate",
	  "已办结（终态）事项数 ÷ 事项数", "closed cases / cases",
	  F_CLOSED, 0, F_CASES, PA_IND_CLOSED, PA_IND_CASES },
	{ "overdue_open", "count", "超期未办结", "Overdue and open",
	  "未办结且已超过当前环节时限的事项数", "open cases past the limit of their current step",
	  F_OVERDUE, 0, 0, PA_IND_OVERDUE, V_NONE },
	{ "on_time_acceptance", "rate", "按时受理率", "On-time acceptance rate",
	  "在受理环节时限内离开受理环节的事项数 ÷ (已离开受理环节的事项数 + 仍在受理环节且已超期的事项数)",
	  "cases that left the acceptance step within its limit / (cases that left it + cases still in it past the limit)",
	  F_ACC_ON_TIME, 0, F_ACC_DUE, PA_IND_ACC_ON_TIME, PA_IND_ACC_DUE },
	{ "on_time_handling", "rate", "按期办结率", "On-time handling rate",
	  "在办理环节时限内办完的事项数 ÷ (已办完的事项数 + 仍在办理且已超期的事项数)",
	  "cases handled within the limit / (cases handled + cases still being handled past the limit)",
	  F_HND_ON_TIME, 0, F_HND_DUE, PA_IND_HND_ON_TIME, PA_IND_HND_DUE },
	{ "satisfaction_rate", "rate", "满意率", "Satisfaction rate",
	  "(非常满意 + 满意 + 基本满意) 评价数 ÷ 有效评价数",
	  "(very satisfied + satisfied + basically satisfied) ratings / ratings",
	  F_RATED_OK, 0, F_RATED, V_RATED_OK, V_RATED },
	{ "satisfaction_score", "score", "满意度得分", "Satisfaction score",
	  "评价分值之和 ÷ 有效评价数（非常满意100、满意80、基本满意60、不满意30、非常不满意0）",
	  "sum of rating points / ratings (very satisfied 100, satisfied 80, basically satisfied 60, dissatisfied 30, very dissatisfied 0)",
	  F_RATED, 0, F_RATED, V_POINTS, V_RATED },
	{ "repeat_rate", "rate", "重复信访率", "Repeat rate",
	  "被识别为重复件（同一当事人、相近内容）的事项数 ÷ 事项数",
	  "cases found to repeat an earlier one (same party, similar text) / cases",
	  F_REPEAT, 0, F_CASES, PA_IND_REPEAT, PA_IND_CASES },
	{ "mean_handling_days", "days", "平均办理时长（工作日）", "Mean handling time (working days)",
	  "已办完事项从登记到办完的工作日数之和 ÷ 已办完事项数（登记当日不计）",
	  "sum of working days from registration to handled / cases handled (the day of registration not counted)",
	  F_HANDLED, 0, F_HANDLED, PA_IND_WDAYS_SUM, PA_IND_HANDLED },
	{ "p90_handling_days", "days", "办理时长第90百分位（工作日）", "90th percentile handling time (working days)",
	  "已办完事项办理时长（工作日）从小到大排列后第 ⌈0.9 × n⌉ 个值",
	  "the ⌈0.9 × n⌉-th smallest handling time (working days) of the cases handled",
	  F_HANDLED, 0, F_HANDLED, V_P90, PA_IND_HANDLED },
};

/* ---- accumulation -------------------------------------------------------------------------- */

typedef struct acc_metric {
	const char *type, *metric;
	int64_t n;
} acc_metric_t;

typedef struct acc_group {
	const char *key;
	int64_t col[PA_IND_NCOLS];
	int64_t *hist;                /* IND_HIST_MAX + 1 buckets */
	acc_metric_t *metrics;
	size_t nmetrics, cap;
	bool types_seen_any;
} acc_group_t;

/* The facts of a period's edges come from the store by day and shape
 * (case_facts_day, with the number of cases of each) and are counted here
 * by shape again: what contrib() reads (type, state, flags, open, overdue,
 * handling days, ratings) and the row's group, across days and the
 * dimensions the group ignores.  contrib() (names, rates) runs once per
 * shape instead of once per case; the sums are the same. */
typedef struct acc_shape {
	pa_facts_t f;
	const char *key;
	int64_t n;
} acc_shape_t;

typedef struct acc {
	arena_t *a;
	acc_group_t *groups;
	size_t ngroups, cap;
	const char *group_by;
	pa_app_t *app;
	arena_t *tmp;                 /* per fact row */
	const char **types;           /* types seen, for their rates */
	size_t ntypes, tcap;
	keyindex_t shapes;            /* facts rows by shape (acc_fact) */
	acc_shape_t *shape;
	size_t shape_cap;
	int64_t sign;                 /* 1, or -1 while facts are taken off a month */
	bool used_months;             /* some numbers came from the monthly aggregates */
} acc_t;

static acc_group_t *acc_group(acc_t *x, const char *key)
{
	for (size_t i = 0; i < x->ngroups; i++)
		if (streq(x->groups[i].key, key))
			return &x->groups[i];
	if (x->ngroups == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 8;
		acc_group_t *g = arena_zalloc(x->a, cap * sizeof(*g));
		if (x->ngroups)
			memcpy(g, x->groups, x->ngroups * sizeof(*g));
		x->groups = g;
		x->cap = cap;
	}
	acc_group_t *g = &x->groups[x->ngroups++];
	memset(g, 0, sizeof(*g));
	g->key = arena_strdup(x->a, key);
	g->hist = arena_zalloc(x->a, (IND_HIST_MAX + 1) * sizeof(int64_t));
	return g;
}

static void acc_type(acc_t *x, const char *type)
{
	for (size_t i = 0; i < x->ntypes; i++)
		if (streq(x->types[i], type))
			return;
	if (x->ntypes == x->tcap) {
		size_t cap = x->tcap ? x->tcap * 2 : 8;
		const char **t = arena_zalloc(x->a, cap * sizeof(*t));
		if (x->ntypes)
			memcpy(t, x->types, x->ntypes * sizeof(*t));
		x->types = t;
		x->tcap = cap;
	}
	x->types[x->ntypes++] = arena_strdup(x->a, type);
}

static void acc_metric(acc_t *x, acc_group_t *g, const char *type, const char *metric, int64_t n)
{
	acc_type(x, type);
	for (size_t i = 0; i < g->nmetrics; i++)
		if (streq(g->metrics[i].type, type) && streq(g->metrics[i].metric, metric)) {
			g->metrics[i].n += n;
			return;
		}
	if (g->nmetrics == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		acc_metric_t *m = arena_zalloc(x->a, cap * sizeof(*m));
		if (g->nmetrics)
			memcpy(m, g->metrics, g->nmetrics * sizeof(*m));
		g->metrics = m;
		g->cap = cap;
	}
	g->metrics[g->nmetrics++] = (acc_metric_t){ arena_strdup(x->a, type),
		                                        arena_strdup(x->a, metric), n };
}

static const char *row_key(arena_t *a, const char *group_by, const pa_facts_t *f)
{
	if (!group_by || !*group_by)
		return "";
	if (streq(group_by, "type"))
		return f->type;
	if (streq(group_by, "category"))
		return f->category;
	if (streq(group_by, "org"))
		return arena_printf(a, "%lld", (long long)f->org_id);
	if (streq(group_by, "street"))
		return arena_printf(a, "%lld", (long long)f->street_id);
	return arena_printf(a, "%d", f->month);
}

/* Adds n cases of facts f (grouped under key) to x. */
static void acc_add(acc_t *x, const char *key, const pa_facts_t *row, int64_t n)
{
	pa_facts_t f = *row;
	const wf_def_t *def = x->app->wf ? wf_registry_find(x->app->wf, f.type) : NULL;
	arena_t *tmp = x->tmp;
	arena_reset(tmp);
	pa_ind_contrib_t c;
	contrib(def, &f, tmp, &c);
	acc_group_t *g = acc_group(x, key);
	if (c.wdays >= 0)
		g->hist[c.wdays] += n;
	acc_type(x, f.type);
	for (int i = 0; i < PA_IND_NCOLS; i++)
		g->col[i] += c.col[i] * n;
	for (size_t i = 0; i < c.nmetrics; i++)
		acc_metric(x, g, f.type, c.metrics[i].name, c.metrics[i].n * n);
}

static int acc_fact(void *ctx, const pa_facts_t *row, int64_t n)
{
	acc_t *x = ctx;
	/* the key: the texts, then the numbers' bytes, the group's among them
	 * (no formatting: this runs per row) */
	const char *gb = x->group_by ? x->group_by : "";
	bool text_group = streq(gb, "type") || streq(gb, "category");
	const char *group = text_group ? row_key(x->tmp, gb, row) : "";
	struct {
		int64_t group, flags;
		int wdays, ratings[PA_RATING_LEVELS];
		bool is_open, overdue;
	} nums;
	memset(&nums, 0, sizeof(nums));
	nums.group = streq(gb, "org") ? row->org_id : streq(gb, "street") ? row->street_id
	             : streq(gb, "month") ? row->month : 0;
	nums.flags = row->flags;
	nums.wdays = row->wdays;
	memcpy(nums.ratings, row->ratings, sizeof(nums.ratings));
	nums.is_open = row->is_open;
	nums.overdue = row->overdue;
	const char *texts[3] = { group, row->type ? row->type : "", row->state ? row->state : "" };
	size_t lens[3], len = sizeof(nums);
	for (int t = 0; t < 3; t++)
		len += (lens[t] = strlen(texts[t])) + 1;
	char buf[512];
	char *k = len <= sizeof(buf) ? buf : arena_alloc(x->tmp, len), *p = k;
	for (int t = 0; t < 3; t++) {
		memcpy(p, texts[t], lens[t]);
		p += lens[t];
		*p++ = '\x1f';
	}
	memcpy(p, &nums, sizeof(nums));
	bool fresh;
	size_t i = keyindex_find(&x->shapes, k, len, &fresh);
	if (fresh) {
		if (i == x->shape_cap) {
			size_t cap = x->shape_cap ? 2 * x->shape_cap : 64;
			acc_shape_t *arr = arena_alloc(x->a, cap * sizeof(*arr));
			if (i)
				memcpy(arr, x->shape, i * sizeof(*arr));
			x->shape = arr;
			x->shape_cap = cap;
		}
		acc_shape_t *s = &x->shape[i];
		s->f = *row;
		s->f.type = arena_strdup(x->a, row->type);
		s->f.state = arena_strdup(x->a, row->state);
		s->f.category = "";
		s->key = arena_strdup(x->a, row_key(x->tmp, gb, row));
		s->n = 0;
	}
	x->shape[i].n += x->sign * n;
	arena_reset(x->tmp);
	return 0;
}

/* ---- queries ---------------------------------------------------------------------------------- */

static bool type_allowed(const ind_query_t *q, const char *type)
{
	if (!q->ntypes)
		return true;
	return in_list(q->types, q->ntypes, type);
}

/* The store filter for q as seen by p; *none when p sees nothing. */
static int build_filter(pa_app_t *app, arena_t *a, const pa_principal_t *p, const ind_query_t *q,
                        pa_ind_filter_t *f, pa_case_filter_t *vis, bool *none, pa_err_t *err)
{
	memset(f, 0, sizeof(*f));
	memset(vis, 0, sizeof(*vis));
	*none = false;
	authz_case_filter(p, a, NULL, vis);
	f->types = q->ntypes ? q->types : NULL;
	f->ntypes = q->ntypes;
	f->categories = q->ncategories ? q->categories : NULL;
	f->ncategories = q->ncategories;
	f->street_id = q->street_id;
	f->enterprise = q->enterprise;
	f->group_by = q->group_by;
	const orgtree_t *tree = p->tree;
	orgtree_t *own = NULL;
	if (!tree)
		tree = own = orgcache_get(app->orgs);
	/* the units asked for: org_id's subtree, the campaign's units' subtrees, or all */
	pa_id_t *want = NULL;
	size_t nwant = 0;
	bool all = !q->org_id && !q->org_list;
	if (!all) {
		size_t cap = orgtree_count(tree) + 1;
		want = arena_alloc(a, cap * sizeof(pa_id_t));
		pa_id_t roots1[1] = { q->org_id };
		const pa_id_t *roots = q->org_id ? roots1 : q->org_list;
		size_t nroots = q->org_id ? 1 : q->norg_list;
		for (size_t r = 0; r < nroots; r++) {
			pa_id_t *sub = NULL;
			size_t ns = orgtree_subtree(tree, a, roots[r], &sub);
			for (size_t j = 0; j < ns; j++) {
				bool dup = false;
				for (size_t k = 0; k < nwant && !dup; k++)
					dup = want[k] == sub[j];
				if (!dup && nwant < cap)
					want[nwant++] = sub[j];
			}
		}
	}
	if (own)
		orgtree_release(own);
	if (vis->all_orgs) {
		f->all_orgs = all;
		f->orgs = want;
		f->norgs = nwant;
	} else if (all) {
		f->orgs = vis->visible_orgs;
		f->norgs = vis->nvisible;
	} else {
		pa_id_t *both = arena_alloc(a, (nwant + 1) * sizeof(pa_id_t));
		size_t nb = 0;
		for (size_t i = 0; i < nwant; i++)
			for (size_t j = 0; j < vis->nvisible; j++)
				if (want[i] == vis->visible_orgs[j]) {
					both[nb++] = want[i];
					break;
				}
		f->orgs = both;
		f->norgs = nb;
	}
	if (!f->all_orgs && f->norgs == 0)
		*none = true;
	if (!f->all_orgs && f->norgs > 512)
		return pa_fail(err, PA_EINVAL, "validation", "org", "too many units in one query");
	if (q->group_by && *q->group_by && !streq(q->group_by, "type") &&
	    !streq(q->group_by, "category") && !streq(q->group_by, "org") &&
	    !streq(q->group_by, "street") && !streq(q->group_by, "month"))
		return pa_fail(err, PA_EINVAL, "validation", "group_by",
		               "group_by must be type, category, org, street or month");
	return 0;
}

static int64_t metric_of(const acc_group_t *g, const char *type, const char *metric)
{
	for (size_t i = 0; i < g->nmetrics; i++)
		if (streq(g->metrics[i].type, type) && streq(g->metrics[i].metric, metric))
			return g->metrics[i].n;
	return 0;
}

static ind_value_t ratio(const char *name, const char *kind, int64_t num, int64_t den)
{
	ind_value_t v = { .name = name, .kind = kind, .numerator = num, .denominator = den };
	v.has_value = den > 0;
	v.value = den > 0 ? (double)num / (double)den : 0;
	return v;
}

static void finish_group(pa_app_t *app, arena_t *a, const acc_t *x, const acc_group_t *g,
                         const ind_query_t *q, const char *lang, ind_group_t *out)
{
	bool en = lang && lang[0] == 'e';
	size_t cap = ARRAY_SIZE(catalogue) + 1;
	for (size_t t = 0; t < x->ntypes; t++) {
		const wf_def_t *def = app->wf ? wf_registry_find(app->wf, x->types[t]) : NULL;
		if (def)
			cap += def->indicators.nrates;
	}
	ind_value_t *vals = arena_zalloc(a, cap * sizeof(*vals));
	size_t n = 0;
	int64_t nums[V_N];
	memcpy(nums, g->col, sizeof(g->col));
	nums[V_RATED] = nums[V_RATED_OK] = nums[V_POINTS] = nums[V_P90] = 0;
	for (int i = 0; i < PA_RATING_LEVELS; i++) {
		nums[V_RATED] += g->col[PA_IND_R1 + i];
		nums[V_POINTS] += g->col[PA_IND_R1 + i] * rating_points[i];
		if (i < 3)
			nums[V_RATED_OK] += g->col[PA_IND_R1 + i];
	}
	int64_t handled = 0;
	for (int d = 0; d <= IND_HIST_MAX; d++)
		handled += g->hist[d];
	if (handled) {
		int64_t k = (handled * 9 + 9) / 10, seen = 0;  /* ⌈0.9 n⌉ */
		for (int d = 0; d <= IND_HIST_MAX; d++) {
			seen += g->hist[d];
			if (seen >= k) {
				nums[V_P90] = d;
				break;
			}
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++) {
		const catalogue_entry_t *e = &catalogue[i];
		ind_value_t v;
		if (e->den == V_NONE)
			v = (ind_value_t){ .numerator = nums[e->num], .denominator = -1, .has_value = true,
			                   .value = (double)nums[e->num] };
		else if (e->num == V_P90)
			v = (ind_value_t){ .numerator = nums[V_P90], .denominator = handled,
			                   .has_value = handled > 0, .value = (double)nums[V_P90] };
		else
			v = ratio(e->name, e->kind, nums[e->num], nums[e->den]);
		v.name = e->name;
		v.kind = e->kind;
		v.label = en ? e->en : e->zh;
		v.formula = en ? e->formula_en : e->formula_zh;
		vals[n++] = v;
	}
	for (size_t t = 0; t < x->ntypes; t++) {
		const wf_def_t *def = app->wf ? wf_registry_find(app->wf, x->types[t]) : NULL;
		if (!def || !type_allowed(q, def->type))
			continue;
		for (size_t r = 0; r < def->indicators.nrates; r++) {
			const wf_rate_t *rt = &def->indicators.rates[r];
			int64_t num = metric_of(g, def->type, arena_printf(a, "rate.%s.num", rt->name));
			int64_t den = metric_of(g, def->type, arena_printf(a, "rate.%s.den", rt->name));
			ind_value_t v = ratio(arena_printf(a, "%s.%s", def->type, rt->name), "rate", num, den);
			v.type = def->type;
			v.label = arena_printf(a, "%s · %s", wf_label(&def->label, lang),
			                       wf_label(&rt->label, lang));
			const wf_label_t *nl = &rt->label;
			int ni = wf_find_count(def, rt->numerator);
			int di = streq(rt->denominator, "cases") ? -1 : wf_find_count(def, rt->denominator);
			int xi = rt->exclude ? wf_find_count(def, rt->exclude) : -1;
			const char *numl = ni >= 0 ? wf_label(&def->indicators.counts[ni].label, lang) : "";
			const char *denl = di >= 0 ? wf_label(&def->indicators.counts[di].label, lang)
			                           : (en ? "cases" : "事项数");
			const char *exl = xi >= 0 ? wf_label(&def->indicators.counts[xi].label, lang) : NULL;
			int wi = rt->without ? wf_find_count(def, rt->without) : -1;
			if (wi >= 0)
				numl = arena_printf(a, en ? "%s without %s" : "%s中未%s", *numl ? numl : denl,
				                    wf_label(&def->indicators.counts[wi].label, lang));
			(void)nl;
			v.formula = exl ? arena_printf(a, en ? "%s / %s (excluding %s)" : "%s ÷ %s（不含%s）",
			                               numl, denl, exl)
			                : arena_printf(a, en ? "%s / %s" : "%s ÷ %s", numl, denl);
			vals[n++] = v;
		}
	}
	out->key = g->key;
	out->values = vals;
	out->nvalues = n;
}

/* Adds the aggregates of months [m0, m1] (yyyymm) to x. */
static int acc_months(store_conn_t *c, acc_t *x, const pa_ind_filter_t *f, int m0, int m1)
{
	pa_ind_group_t *gs = NULL;
	pa_ind_row_t *rows = NULL;
	size_t ng = 0, nr = 0;
	int64_t sign = x->sign;
	x->used_months = true;
	int rc = store_indicator_month_sums(c, x->a, f, m0, m1, &gs, &ng);
	for (size_t i = 0; rc == 0 && i < ng; i++) {
		acc_group_t *g = acc_group(x, gs[i].group ? gs[i].group : "");
		acc_type(x, gs[i].type);
		for (int k = 0; k < PA_IND_NCOLS; k++)
			g->col[k] += sign * gs[i].col[k];
	}
	if (rc == 0)
		rc = store_indicator_metric_sums(c, x->a, f, m0, m1, &rows, &nr);
	for (size_t i = 0; rc == 0 && i < nr; i++)
		acc_metric(x, acc_group(x, rows[i].group ? rows[i].group : ""), rows[i].type,
		           rows[i].metric, sign * rows[i].n);
	if (rc == 0)
		rc = store_indicator_days_sums(c, x->a, f, m0, m1, &rows, &nr);
	for (size_t i = 0; rc == 0 && i < nr; i++) {
		acc_group_t *g = acc_group(x, rows[i].group ? rows[i].group : "");
		int64_t d = rows[i].val < 0 ? 0 : rows[i].val > IND_HIST_MAX ? IND_HIST_MAX : rows[i].val;
		g->hist[d] += sign * rows[i].n;
	}
	return rc;
}

/* Adds days [lo, hi] of one month to x: from their facts, or — when the
 * month's other days are fewer — as the month's aggregates less the facts of
 * its other days (the aggregates are the exact sums of the facts, so both
 * give the same numbers; the second reads fewer rows). */
static int acc_part_month(store_conn_t *c, acc_t *x, const pa_ind_filter_t *f, int64_t lo,
                          int64_t hi)
{
	int m = month_of_day(lo);
	int64_t first = month_first_day(m), last = month_first_day(month_next(m)) - 1;
	if (hi - lo + 1 <= (lo - first) + (last - hi) || month_of_day(hi) != m)
		return store_facts_scan(c, x->a, f, lo, hi, acc_fact, x);
	int rc = acc_months(c, x, f, m, m);
	x->sign = -1;
	if (rc == 0 && first < lo)
		rc = store_facts_scan(c, x->a, f, first, lo - 1, acc_fact, x);
	if (rc == 0 && hi < last)
		rc = store_facts_scan(c, x->a, f, hi + 1, last, acc_fact, x);
	x->sign = 1;
	return rc;
}

/* Groups in key order: numbers (units, streets, months) by value, names by bytes. */
static int cmp_group(const void *pa, const void *pb)
{
	const char *a = ((const acc_group_t *)pa)->key, *b = ((const acc_group_t *)pb)->key;
	char *ea, *eb;
	long long x = strtoll(a, &ea, 10), y = strtoll(b, &eb, 10);
	if (*a && *b && !*ea && !*eb && x != y)
		return x < y ? -1 : 1;
	return strcmp(a, b);
}

int indicators_compute(pa_app_t *app, arena_t *a, const pa_principal_t *p, const ind_query_t *q,
                       const char *lang, ind_result_t *out, pa_err_t *err)
{
	memset(out, 0, sizeof(*out));
	if (q->to_day < q->from_day)
		return pa_fail(err, PA_EINVAL, "validation", "to", "to is before from");
	if (q->to_day - q->from_day >= IND_MAX_DAYS)
		return pa_fail(err, PA_EINVAL, "validation", "from",
		               "a period may be at most %d days", IND_MAX_DAYS);
	pa_ind_filter_t f;
	pa_case_filter_t vis;
	bool none;
	int rc = build_filter(app, a, p, q, &f, &vis, &none, err);
	if (rc < 0)
		return rc;
	acc_t x = { .a = a, .group_by = q->group_by, .app = app, .shapes = KEYINDEX_INIT(a),
		        .sign = 1 };
	x.tmp = arena_new();
	arena_defer(a, (void (*)(void *))arena_free, x.tmp);
	if (!q->group_by || !*q->group_by)
		acc_group(&x, "");
	if (!none) {
		store_conn_t *c = store_reader(app->store);
		store_read_begin(c);
		/* Whole months inside [from, to] come from the aggregates.  No case is
		 * registered after today, so a period that reaches today covers the
		 * rest of its last month too: that month comes whole from the
		 * aggregates (a dashboard's "… to today" reads no facts at all). */
		int64_t to_day = q->to_day;
		if (to_day >= ind_day_of(app, pa_now()))
			to_day = month_first_day(month_next(month_of_day(to_day))) - 1;
		int m0 = month_of_day(q->from_day);
		if (month_first_day(m0) < q->from_day)
			m0 = month_next(m0);
		int m1 = m0;
		int last = -1;
		while (month_first_day(month_next(m1)) - 1 <= to_day) {
			last = m1;
			m1 = month_next(m1);
		}
		bool any_month = last >= 0;
		int64_t full_from = any_month ? month_first_day(m0) : to_day + 1;
		int64_t full_to = any_month ? month_first_day(month_next(last)) - 1 : to_day;
		if (any_month)
			rc = acc_months(c, &x, &f, m0, last);
		/* the edges (or the whole period when it holds no whole month): the
		 * part of a month from its facts, or the month less the rest of it */
		if (!any_month) {
			/* within one month, or the ends of two */
			int64_t split = month_first_day(month_next(month_of_day(q->from_day)));
			if (to_day < split) {
				rc = acc_part_month(c, &x, &f, q->from_day, to_day);
			} else {
				rc = acc_part_month(c, &x, &f, q->from_day, split - 1);
				if (rc == 0)
					rc = acc_part_month(c, &x, &f, split, to_day);
			}
			any_month = x.used_months;
		} else {
			if (rc == 0 && q->from_day < full_from)
				rc = acc_part_month(c, &x, &f, q->from_day, full_from - 1);
			if (rc == 0 && full_to < to_day)
				rc = acc_part_month(c, &x, &f, full_to + 1, to_day);
		}
		store_read_end(c);
		if (rc < 0)
			return pa_fail(err, rc, rc == PA_EINVAL ? "validation" : "unavailable", NULL,
			               "could not compute the indicators");
		for (size_t i = 0; i < x.shapes.n; i++)
			if (x.shape[i].n)
				acc_add(&x, x.shape[i].key, &x.shape[i].f, x.shape[i].n);
		out->exact_from_facts = !any_month;
		if (q->group_by && *q->group_by) {
			/* a group whose cases all fell outside the period (kept-at-zero
			 * aggregate rows, a month less its other days) has nothing to show */
			size_t k = 0;
			for (size_t i = 0; i < x.ngroups; i++)
				if (x.groups[i].col[PA_IND_CASES] != 0)
					x.groups[k++] = x.groups[i];
			x.ngroups = k;
		}
	}
	if (x.ngroups > 1)
		qsort(x.groups, x.ngroups, sizeof(*x.groups), cmp_group);
	out->groups = arena_zalloc(a, (x.ngroups + 1) * sizeof(ind_group_t));
	for (size_t i = 0; i < x.ngroups; i++)
		finish_group(app, a, &x, &x.groups[i], q, lang, &out->groups[i]);
	out->ngroups = x.ngroups;
	return 0;
}

int indicators_rows(pa_app_t *app, arena_t *a, const pa_principal_t *p, const ind_query_t *q,
                    const char *lang,
                    int (*fn)(void *ctx, const char *group, const ind_value_t *v), void *ctx,
                    pa_err_t *err)
{
	ind_result_t r;
	int rc = indicators_compute(app, a, p, q, lang, &r, err);
	for (size_t g = 0; rc == 0 && g < r.ngroups; g++)
		for (size_t i = 0; rc == 0 && i < r.groups[g].nvalues; i++)
			rc = fn(ctx, r.groups[g].key, &r.groups[g].values[i]);
	return rc;
}

int indicators_cases(pa_app_t *app, arena_t *a, const pa_principal_t *p, const ind_query_t *q0,
                     const char *name, bool numerator, int64_t after_day, pa_id_t after_id,
                     int limit, pa_case_t **out, int64_t **days, size_t *n, bool *more,
                     pa_err_t *err)
{
	*out = NULL;
	*n = 0;
	*more = false;
	ind_query_t q = *q0;
	int64_t all = 0, none_mask = 0;
	bool found = false;
	for (size_t i = 0; i < ARRAY_SIZE(catalogue) && !found; i++)
		if (streq(catalogue[i].name, name)) {
			found = true;
			all = numerator || !catalogue[i].den_all ? catalogue[i].num_all : catalogue[i].den_all;
			none_mask = numerator ? catalogue[i].num_none : 0;
		}
	const char *dot = strchr(name, '.');
	if (!found && dot && app->wf) {
		const char *type = arena_strndup(a, name, (size_t)(dot - name));
		const wf_def_t *def = wf_registry_find(app->wf, type);
		for (size_t r = 0; def && r < def->indicators.nrates && !found; r++) {
			const wf_rate_t *rt = &def->indicators.rates[r];
			if (!streq(rt->name, dot + 1))
				continue;
			found = true;
			int di = streq(rt->denominator, "cases") ? -1 : wf_find_count(def, rt->denominator);
			int ni = rt->numerator ? wf_find_count(def, rt->numerator) : -1;
			int xi = rt->exclude ? wf_find_count(def, rt->exclude) : -1;
			int wi = rt->without ? wf_find_count(def, rt->without) : -1;
			all = F_CASES | (di >= 0 ? COUNT_BIT(di) : 0) |
			      (numerator && ni >= 0 ? COUNT_BIT(ni) : 0);
			none_mask = (xi >= 0 ? COUNT_BIT(xi) : 0) |
			            (numerator && wi >= 0 ? COUNT_BIT(wi) : 0);
			q.types[0] = def->type;
			q.ntypes = 1;
			if (q0->ntypes && !in_list(q0->types, q0->ntypes, def->type))
				return 0;
		}
	}
	if (!found)
		return pa_fail(err, PA_ENOTFOUND, "not-found", "name", "no indicator '%s'", name);
	pa_ind_filter_t f;
	pa_case_filter_t vis;
	bool nothing;
	int rc = build_filter(app, a, p, &q, &f, &vis, &nothing, err);
	if (rc < 0 || nothing)
		return rc;
	f.group_by = NULL;
	rc = store_facts_cases(store_reader(app->store), a, &f, q.from_day, q.to_day, all, none_mask,
	                       &vis, after_day, after_id, limit, out, days, n, more);
	if (rc < 0)
		return pa_fail(err, rc, rc == PA_EINVAL ? "validation" : "unavailable", NULL,
		               "could not list the cases");
	/* the case-level rules (a joint case only to its participants, …) on top of the units */
	size_t kept = 0;
	for (size_t i = 0; i < *n; i++)
		if (authz_can_see_case(p, &(*out)[i])) {
			(*out)[kept] = (*out)[i];
			(*days)[kept++] = (*days)[i];
		}
	*n = kept;
	return 0;
}

int indicators_workload(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t org_id,
                        bool by_handler, pa_workload_row_t **out, size_t *n, pa_err_t *err)
{
	ind_query_t q = { .org_id = org_id, .enterprise = -1 };
	pa_ind_filter_t f;
	pa_case_filter_t vis;
	bool none;
	*out = NULL;
	*n = 0;
	int rc = build_filter(app, a, p, &q, &f, &vis, &none, err);
	if (rc < 0 || none)
		return rc;
	pa_time_t now = pa_now();
	int64_t today = calendar_local_day(app->cal, now);
	int64_t week = (today - 4) / 7;
	rc = store_workload(store_reader(app->store), a, f.all_orgs, f.orgs, f.norgs, by_handler, now,
	                    now + IND_DUE_SOON_DAYS * 86400, week, out, n);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the workload");
	return 0;
}

/* ---- campaigns ---------------------------------------------------------------------------- */

static int string_array(json_t *j, const char *field, size_t max, pa_err_t *err, bool ids)
{
	if (!j)
		return 0;
	if (!json_is_array(j) || json_array_size(j) > max)
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must be a list of at most %zu %s",
		               field, max, ids ? "unit ids" : "names");
	size_t i;
	json_t *v;
	json_array_foreach(j, i, v) {
		if (ids ? !json_is_integer(v) || json_integer_value(v) <= 0
		        : !json_is_string(v) || !*json_string_value(v) || strlen(json_string_value(v)) > 64)
			return pa_fail(err, PA_EINVAL, "validation", field, "%s[%zu] is not %s", field, i,
			               ids ? "a unit id" : "a name");
	}
	return 0;
}

struct campaign_tx {
	pa_campaign_t cp;
	const char *actor;
};

static int campaign_tx_fn(store_tx_t *tx, void *arg)
{
	struct campaign_tx *x = arg;
	int rc = store_tx_campaign_insert(tx, &x->cp, &x->cp.id);
	if (rc < 0)
		return rc;
	char obj[48];
	snprintf(obj, sizeof(obj), "campaign:%lld", (long long)x->cp.id);
	return audit_append(tx, x->cp.created_at, x->actor, "campaign.create", obj, "{}");
}

static bool is_catalogue_or_rate(pa_app_t *app, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(catalogue); i++)
		if (streq(catalogue[i].name, name))
			return true;
	const char *dot = strchr(name, '.');
	if (!dot || !app->wf)
		return false;
	for (size_t t = 0; t < app->wf->ndefs; t++) {
		const wf_def_t *d = app->wf->defs[t];
		if (strlen(d->type) != (size_t)(dot - name) || strncmp(d->type, name, (size_t)(dot - name)))
			continue;
		for (size_t r = 0; r < d->indicators.nrates; r++)
			if (streq(d->indicators.rates[r].name, dot + 1))
				return true;
	}
	return false;
}

int campaign_create(pa_app_t *app, arena_t *a, const pa_principal_t *p, const campaign_input_t *in,
                    pa_campaign_t *out, pa_err_t *err)
{
	if (p->kind != PRINCIPAL_STAFF ||
	    (!authz_has_role(p, "supervisor") && !authz_has_role(p, "leader")))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "creating a campaign needs the supervisor or leader role");
	int rc;
	if ((rc = cases_check_text(in->name, "name", true, 200, err)) < 0 ||
	    (rc = cases_check_text(in->description, "description", false, 4000, err)) < 0)
		return rc;
	int64_t start, end;
	if (ind_parse_day(in->start_date, &start) < 0)
		return pa_fail(err, PA_EINVAL, "validation", "start_date", "start_date must be YYYY-MM-DD");
	if (ind_parse_day(in->end_date, &end) < 0)
		return pa_fail(err, PA_EINVAL, "validation", "end_date", "end_date must be YYYY-MM-DD");
	if (end < start || end - start >= IND_MAX_DAYS)
		return pa_fail(err, PA_EINVAL, "validation", "end_date",
		               "end_date must be on or after start_date, within %d days", IND_MAX_DAYS);
	if ((rc = string_array(in->types, "types", IND_MAX_LIST, err, false)) < 0 ||
	    (rc = string_array(in->categories, "categories", IND_MAX_LIST, err, false)) < 0 ||
	    (rc = string_array(in->orgs, "orgs", 64, err, true)) < 0)
		return rc;
	size_t i;
	json_t *v;
	json_array_foreach(in->types, i, v)
		if (!wf_registry_find(app->wf, json_string_value(v)))
			return pa_fail(err, PA_EINVAL, "validation", "types", "unknown case type '%s'",
			               json_string_value(v));
	orgtree_t *t = orgcache_get(app->orgs);
	bool bad = false;
	json_array_foreach(in->orgs, i, v) {
		const pa_org_t *o = orgtree_find(t, json_integer_value(v));
		if (!o)
			bad = true;
	}
	orgtree_release(t);
	if (bad)
		return pa_fail(err, PA_EINVAL, "validation", "orgs", "orgs names an unknown unit");
	if (in->goals) {
		if (!json_is_object(in->goals) || json_object_size(in->goals) > 32)
			return pa_fail(err, PA_EINVAL, "validation", "goals",
			               "goals must be an object of at most 32 indicator targets");
		const char *k;
		json_object_foreach(in->goals, k, v) {
			if (!is_catalogue_or_rate(app, k))
				return pa_fail(err, PA_EINVAL, "validation", "goals", "no indicator '%s'", k);
			if (!json_is_number(v) || json_number_value(v) < 0)
				return pa_fail(err, PA_EINVAL, "validation", "goals",
				               "the goal of '%s' must be a number >= 0", k);
		}
	}
	struct campaign_tx x = { .actor = authz_actor(p, a) };
	char *s;
#define DUMP(j, dflt) ((s = (j) ? json_dumps((j), JSON_COMPACT) : NULL), \
	                   s ? arena_strdup(a, s) : (dflt))
	x.cp = (pa_campaign_t){ .name = in->name, .description = in->description ? in->description : "",
		                    .start_day = start, .end_day = end, .created_by = p->user_id,
		                    .created_at = pa_now() };
	x.cp.types = DUMP(in->types, "[]");
	free(s);
	x.cp.categories = DUMP(in->categories, "[]");
	free(s);
	x.cp.orgs = DUMP(in->orgs, "[]");
	free(s);
	x.cp.goals = DUMP(in->goals, "{}");
	free(s);
#undef DUMP
	if ((rc = store_write(app->store, campaign_tx_fn, &x, err)) < 0)
		return rc;
	*out = x.cp;
	return 0;
}

int campaign_get(pa_app_t *app, arena_t *a, pa_id_t id, pa_campaign_t *out, pa_err_t *err)
{
	int rc = store_campaign_get(store_reader(app->store), a, id, out);
	if (rc == PA_ENOTFOUND)
		return pa_fail(err, rc, "not-found", NULL, "no campaign %lld", (long long)id);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not read the campaign");
	return 0;
}

int campaigns_list(pa_app_t *app, arena_t *a, pa_campaign_t **out, size_t *n, pa_err_t *err)
{
	int rc = store_campaigns_list(store_reader(app->store), a, out, n);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "could not list campaigns");
	return 0;
}

int campaign_query(pa_app_t *app, arena_t *a, const pa_campaign_t *cp, ind_query_t *q,
                   pa_err_t *err)
{
	memset(q, 0, sizeof(*q));
	q->enterprise = -1;
	q->from_day = cp->start_day;
	int64_t today = calendar_local_day(app->cal, pa_now());
	q->to_day = cp->end_day < today ? cp->end_day : today;
	if (q->to_day < q->from_day)
		q->to_day = q->from_day;
	json_t *types = json_loads(cp->types, 0, NULL), *cats = json_loads(cp->categories, 0, NULL),
	       *orgs = json_loads(cp->orgs, 0, NULL);
	size_t i;
	json_t *v;
	json_array_foreach(types, i, v)
		if (q->ntypes < IND_MAX_LIST)
			q->types[q->ntypes++] = arena_strdup(a, json_string_value(v));
	json_array_foreach(cats, i, v)
		if (q->ncategories < IND_MAX_LIST)
			q->categories[q->ncategories++] = arena_strdup(a, json_string_value(v));
	if (json_array_size(orgs)) {
		pa_id_t *ids = arena_alloc(a, json_array_size(orgs) * sizeof(pa_id_t));
		json_array_foreach(orgs, i, v)
			ids[i] = json_integer_value(v);
		q->org_list = ids;
		q->norg_list = json_array_size(orgs);
	}
	json_decref(types);
	json_decref(cats);
	json_decref(orgs);
	(void)err;
	return 0;
}
