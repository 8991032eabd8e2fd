/*
 * sqlite_cases.c — cases, the case list, the timer's scan, the timeline,
 * parties, attachments and ratings.
 *
 * The case list is the one query built at run time: its WHERE has a term per
 * filter field, and the visibility and hidden-accused lists become
 * `IN (?, ?, …)` of their length (at most STORE_FILTER_IDS_MAX each).  Every
 * value is a bound parameter — but for the flags is_open and overdue,
 * written 0 or 1 (see case_filter_common()); the SQL text holds only fixed
 * fragments and question marks.  Order is (due_at, id); the keyset cursor is written
 * `due_at >= ? AND (due_at > ? OR id > ?)` — the same rows as
 * `due_at > ? OR (due_at = ? AND id > ?)`, but the first term gives the
 * planner a range to seek to in cases_inbox / cases_open_due instead of
 * scanning from the start of the unit's cases.  One row more than the limit
 * is fetched to tell whether another page exists.
 */
#include "base/common.h"
#include "store/sqlite_internal.h"

#include <stdlib.h>

/* ---- reading ---------------------------------------------------------------------- */

static void read_case(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_case_t *cs = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	cs->id = sq_col_int(&r);
	cs->number = sq_col_text(&r);
	cs->type = sq_col_text(&r);
	cs->category = sq_col_text(&r);
	cs->title = sq_col_text(&r);
	cs->body = sq_col_text(&r);
	cs->channel = sq_col_text(&r);
	cs->state = sq_col_text(&r);
	cs->is_open = sq_col_bool(&r);
	cs->intake_org_id = sq_col_int(&r);
	cs->owner_org_id = sq_col_int(&r);
	cs->assignee_id = sq_col_int(&r);
	cs->accused_org_id = sq_col_int(&r);
	cs->created_at = sq_col_int(&r);
	cs->updated_at = sq_col_int(&r);
	cs->state_entered_at = sq_col_int(&r);
	cs->due_at = sq_col_int(&r);
	cs->overdue = sq_col_bool(&r);
	cs->query_hash = sq_col_text(&r);
	cs->data = sq_col_text(&r);
	cs->version = (int)sq_col_int(&r);
	double lng;
	cs->has_point = sq_col_double_or_null(&r, &cs->lat);
	cs->has_point = sq_col_double_or_null(&r, &lng) && cs->has_point;
	cs->lng = lng;
	cs->address = sq_col_text(&r);
}

void sq_read_case(sqlite3_stmt *st, arena_t *a, pa_case_t *cs)
{
	read_case(st, a, cs);
}

static int case_get(store_conn_t *c, arena_t *a, enum sq_stmt_id id, pa_id_t key,
                    const char *number, pa_case_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_stmt(c, id, &st, NULL);
	if (rc < 0)
		return rc;
	if (number)
		sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
	else
		sqlite3_bind_int64(st, 1, key);
	rc = sq_read_one(c, st, a, read_case, out);
	sq_done(st);
	return rc;
}

int sq_case_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_case_t *out)
{
	return case_get(c, a, SQ_CASE_GET, id, NULL, out);
}

int sq_case_get_by_number(store_conn_t *c, arena_t *a, const char *number, pa_case_t *out)
{
	if (!number)
		return PA_EINVAL;
	return case_get(c, a, SQ_CASE_GET_BY_NUMBER, 0, number, out);
}

/* ---- the case list ------------------------------------------------------------------- */

void sq_query_init(struct list_query *q, size_t nparams)
{
	strbuf_init(&q->sql, 512);
	q->cap = nparams;
	q->params = xcalloc(q->cap, sizeof(*q->params));
	q->nparams = 0;
}

void sq_query_release(struct list_query *q)
{
	free(q->params);
	strbuf_release(&q->sql);
}

static void q_int(struct list_query *q, int64_t v)
{
	q->params[q->nparams++] = (struct list_param){ NULL, v };
}

static void q_text(struct list_query *q, const char *s)
{
	q->params[q->nparams++] = (struct list_param){ s, 0 };
}

void sq_query_int(struct list_query *q, int64_t v)
{
	q_int(q, v);
}

void sq_query_text(struct list_query *q, const char *s)
{
	q_text(q, s);
}

int sq_query_bind(store_conn_t *c, const struct list_query *q, sqlite3_stmt *st)
{
	sq_bind_t b = SQ_BIND(st);
	for (size_t i = 0; i < q->nparams; i++) {
		if (q->params[i].text)
			sq_bind_text(&b, q->params[i].text);
		else
			sq_bind_int(&b, q->params[i].value);
	}
	return b.rc ? sq_bind_error(c, b.rc, NULL) : 0;
}

static void q_id_list(struct list_query *q, const pa_id_t *ids, size_t n)
{
	strbuf_adds(&q->sql, "(");
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(&q->sql, i ? ", ?" : "?");
		q_int(q, ids[i]);
	}
	strbuf_adds(&q->sql, ")");
}

static void q_text_list(struct list_query *q, const char *const *s, size_t n)
{
	strbuf_adds(&q->sql, "(");
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(&q->sql, i ? ", ?" : "?");
		q_text(q, s[i]);
	}
	strbuf_adds(&q->sql, ")");
}

int sq_case_filter_check(const pa_case_filter_t *f)
{
	if (!f || sq_check_limit(f->limit) < 0)
		return PA_EINVAL;
	if (f->overdue < -1 || f->overdue > 1 || f->open < -1 || f->open > 1)
		return PA_EINVAL;
	if (!f->all_orgs && (f->nvisible > STORE_FILTER_IDS_MAX || (f->nvisible && !f->visible_orgs)))
		return PA_EINVAL;
	if (!f->all_orgs && (f->nmember > STORE_FILTER_IDS_MAX || (f->nmember && !f->member_orgs) ||
	                     f->nrestricted > STORE_FILTER_IDS_MAX ||
	                     (f->nrestricted && !f->restricted_types)))
		return PA_EINVAL;
	if (f->nhidden > STORE_FILTER_IDS_MAX || (f->nhidden && !f->hidden_accused))
		return PA_EINVAL;
	return 0;
}

static void case_filter_common(const pa_case_filter_t *f, struct list_query *q);

/* The order and the cursor of a list, on one branch or on the whole. */
static void list_cursor(const pa_case_filter_t *f, struct list_query *q)
{
	if (!f->has_cursor)
		return;
	if (f->by_id) {
		strbuf_adds(&q->sql, " AND id > ?");
		q_int(q, f->after_id);
	} else {
		strbuf_adds(&q->sql, " AND due_at >= ? AND (due_at > ? OR id > ?)");
		q_int(q, f->after_due);
		q_int(q, f->after_due);
		q_int(q, f->after_id);
	}
}

static void list_order(const pa_case_filter_t *f, struct list_query *q, bool cursor)
{
	if (cursor)
		list_cursor(f, q);
	strbuf_adds(&q->sql, f->by_id ? " ORDER BY id LIMIT ?" : " ORDER BY due_at, id LIMIT ?");
	q_int(q, (int64_t)f->limit + 1);
}

/* The slices of a list (build_case_list). */
enum slice {
	SLICE_UNIT,        /* all of one unit's cases: a unit both visible and member, whose
	                    * OWNED and MEMBER slices together are every type */
	SLICE_OWNED,       /* one visible unit's cases of the unrestricted types */
	SLICE_MEMBER,      /* one member unit's cases of the restricted types */
	SLICE_PART_FEW,    /* restricted cases owned elsewhere that the member units take part
	                    * in, few: read through case_participants, then sorted */
	SLICE_PART_MANY,   /* the same, many: the open cases walked by deadline
	                    * (cases_open_due, whose entries hold the type), the
	                    * restricted types' participation probed */
	SLICE_NONE,        /* nothing (the unit asked for is not visible) */
};

/* One branch of a list: the first page of one slice of the visible cases;
 * k < 0: the only branch, which is the whole query. */
static void list_branch(const pa_case_filter_t *f, struct list_query *q, int k, enum slice sl,
                        pa_id_t org)
{
	const char *distinct = sl == SLICE_PART_FEW ? "DISTINCT " : "";
	if (k < 0)
		strbuf_addf(&q->sql, "SELECT %s" SQ_CASE_COLS " FROM ", distinct);
	else  /* a branch of the page's keys: (id, due_at), from cases_inbox alone */
		strbuf_addf(&q->sql, "%sSELECT * FROM (SELECT %sid, due_at FROM ", k ? " UNION ALL " : "",
		            distinct);
	switch (sl) {
	case SLICE_UNIT:
	case SLICE_OWNED:
	case SLICE_MEMBER:
		strbuf_adds(&q->sql, "cases WHERE cases.owner_org_id = ?");
		q_int(q, org);
		break;
	case SLICE_PART_FEW:
		/* CROSS JOIN keeps case_participants outside: SQLite does not reorder it */
		strbuf_adds(&q->sql, "case_participants CROSS JOIN cases ON cases.id = "
		                     "case_participants.case_id WHERE case_participants.org_id IN ");
		q_id_list(q, f->member_orgs, f->nmember);
		break;
	case SLICE_PART_MANY:
		/* a probe of case_participants' key per case, walking the open
		 * cases by deadline (cases_open_due: the type IN below is checked in
		 * its entries, so other types cost an index entry each, not a row);
		 * an IN list would first read all the units' participations, open
		 * or not */
		strbuf_adds(&q->sql, "cases WHERE EXISTS (SELECT 1 FROM case_participants p "
		                     "WHERE p.case_id = cases.id AND p.org_id IN ");
		q_id_list(q, f->member_orgs, f->nmember);
		strbuf_adds(&q->sql, ")");
		break;
	case SLICE_NONE:
		strbuf_adds(&q->sql, "cases WHERE 0");
		break;
	}
	if (sl == SLICE_PART_FEW || sl == SLICE_PART_MANY) {
		strbuf_adds(&q->sql, " AND cases.owner_org_id NOT IN ");
		q_id_list(q, f->member_orgs, f->nmember);
	}
	if (f->nrestricted && sl != SLICE_NONE && sl != SLICE_UNIT) {
		strbuf_adds(&q->sql, sl == SLICE_OWNED ? " AND cases.type NOT IN " : " AND cases.type IN ");
		q_text_list(q, f->restricted_types, f->nrestricted);
	}
	case_filter_common(f, q);
	list_order(f, q, true);
	if (k >= 0)
		strbuf_addf(&q->sql, ") AS b%d", k);
}

/*
 * Builds the query for f (already checked); the caller releases q.
 *
 * A viewer's list is a union of slices, one per visible unit (and for the
 * restricted types one per member unit, plus the cases they participate
 * in), each the first page of that slice in (due_at, id) order straight
 * from an index, merged and cut to the page.  So a page reads at most
 * (units + 1) × (limit + 1) rows whatever the size of the table — where one
 * query over "owner_org_id IN (...)" must either sort every open case of
 * those units or walk the whole deadline index past other units' cases.
 *
 * Merged slices read keys, not rows: each branch selects (id, due_at) of
 * its first page, answered by cases_inbox (owner_org_id, is_open, due_at,
 * id, type, accused_org_id) alone — the type and hidden-accused conditions
 * are in the index — and only the page's limit + 1 rows are then read from
 * the table (the CTE `page`, materialized so the join reads it once).  A
 * district supervisor's page of 26 slices read 26 × 51 whole rows before
 * (about 1,300 random table reads at a million cases); it reads 51 now.
 * A filter on other columns (state, assignee, overdue, due dates) makes a
 * branch read the table for it, as a single slice always does.
 *
 * A restricted type is rare, so its slice alone would walk all the unit's
 * open cases (index entries) for nothing; a unit that is both visible and
 * a member therefore gets one slice of every type (SLICE_UNIT, the union of
 * its OWNED and MEMBER slices), and only the member units outside the
 * visible ones get a MEMBER slice.
 */
#define LIST_BRANCHES_MAX 128  /* beyond, one query (SQLite allows 500 compound terms; a list
                                * of open and closed cases has two per slice) */

#define LIST_PART_FEW 2000  /* participations read one by one below this, else probed */

static bool id_in(const pa_id_t *ids, size_t n, pa_id_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* The end of a merged list: the page's keys cut from the branches, then its rows. */
static void list_page(const pa_case_filter_t *f, struct list_query *q)
{
	if (f->by_id)
		strbuf_adds(&q->sql, " ORDER BY id LIMIT ?");
	else
		strbuf_adds(&q->sql, " ORDER BY due_at, id LIMIT ?");
	q_int(q, (int64_t)f->limit + 1);
	strbuf_adds(&q->sql, ") SELECT " SQ_CASE_COLS " FROM page CROSS JOIN cases ON cases.id = page.page_id");
	strbuf_adds(&q->sql, f->by_id ? " ORDER BY page.page_id" : " ORDER BY page.page_due, page.page_id");
}

/* participations: how many (case, unit) rows the member units have in
 * case_participants, -1 when not counted (the dense form then).
 *
 * A list of open and closed cases together in (due_at, id) order (open=any,
 * not by id) reads every slice twice, its closed cases (is_open = 0) and
 * its open ones (is_open = 1): each of the deadline indexes (cases_open_due,
 * cases_inbox, cases_assignee) has is_open before
 * due_at, so either half is a range already in (due_at, id) order, and the
 * branches merge (SQLite: MERGE of the index scans, PostgreSQL: Merge
 * Append) with no sort.  One branch over both would sort every case of the
 * slice — over all units the whole table, half a second at a million cases
 * (docs/performance.md). */
static void build_case_list(const pa_case_filter_t *f, struct list_query *q, int64_t participations)
{
	bool by_open = f->open < 0 && !f->by_id;
	size_t halves = by_open ? 2 : 1;
	size_t per = 16 + f->nrestricted + f->nhidden + 2 * f->nmember;  /* params of one branch */
	sq_query_init(q, halves * ((f->all_orgs ? 1 : f->nvisible + f->nmember + 2) * per + 4 +
	                           SQ_FILTER_PARAMS(f)));
	pa_case_filter_t half[2] = { *f, *f };
	half[0].open = 0;
	half[1].open = 1;
	if (f->all_orgs || f->nvisible + f->nmember + 1 > LIST_BRANCHES_MAX) {
		if (!by_open) {
			strbuf_adds(&q->sql, "SELECT " SQ_CASE_COLS " FROM cases WHERE 1");
			sq_case_filter_where(f, q);
			list_order(f, q, true);
			return;
		}
		/* each half its own first page, then the compound's ORDER BY: a
		 * merge that reads each half only as far as the page needs.  The
		 * halves' own ORDER BY and LIMIT are for PostgreSQL, whose planner
		 * sorts a UNION ALL of the two ranges instead of merging them (its
		 * branch quals make no equivalence class, so the index order is not
		 * seen); limited, each is an index range read 51 rows deep. */
		for (int k = 0; k < 2; k++) {
			strbuf_addf(&q->sql, "%sSELECT * FROM (SELECT " SQ_CASE_COLS " FROM cases WHERE 1",
			            k ? " UNION ALL " : "");
			sq_case_filter_where(&half[k], q);
			list_order(&half[k], q, true);
			strbuf_addf(&q->sql, ") AS h%d", k);
		}
		strbuf_adds(&q->sql, " ORDER BY due_at, id LIMIT ?");
		q_int(q, (int64_t)f->limit + 1);
		return;
	}
	/* the slices first: one alone is the whole query, with no merge to sort */
	struct { enum slice sl; pa_id_t org; } sl[LIST_BRANCHES_MAX];
	int n = 0;
	bool split = f->nrestricted && f->nmember;  /* restricted types read by membership */
	for (size_t i = 0; i < f->nvisible; i++)
		if (!f->owner_org_id || f->owner_org_id == f->visible_orgs[i]) {
			bool both = split && id_in(f->member_orgs, f->nmember, f->visible_orgs[i]);
			sl[n].sl = both ? SLICE_UNIT : SLICE_OWNED;
			sl[n++].org = f->visible_orgs[i];
		}
	if (split) {
		for (size_t i = 0; i < f->nmember; i++)
			if ((!f->owner_org_id || f->owner_org_id == f->member_orgs[i]) &&
			    !id_in(f->visible_orgs, f->nvisible, f->member_orgs[i])) {
				sl[n].sl = SLICE_MEMBER;
				sl[n++].org = f->member_orgs[i];
			}
		if (participations != 0) {
			sl[n].sl = participations > 0 && participations <= LIST_PART_FEW ? SLICE_PART_FEW
			                                                                 : SLICE_PART_MANY;
			sl[n++].org = 0;
		}
	}
	if (n == 0) {  /* the owner asked for is not visible */
		sl[n].sl = SLICE_NONE;
		sl[n++].org = 0;
	}
	if (n == 1 && !by_open) {
		list_branch(f, q, -1, sl[0].sl, sl[0].org);
		return;
	}
	/* the page's keys first, merged from the slices' keys; then its rows */
	strbuf_adds(&q->sql, "WITH page(page_id, page_due) AS MATERIALIZED (");
	int b = 0;
	for (int k = 0; k < n; k++) {
		if (!by_open) {
			list_branch(f, q, b++, sl[k].sl, sl[k].org);
			continue;
		}
		list_branch(&half[0], q, b++, sl[k].sl, sl[k].org);
		list_branch(&half[1], q, b++, sl[k].sl, sl[k].org);
	}
	list_page(f, q);
}

int sq_case_count(store_conn_t *c, const pa_case_filter_t *f, int64_t *count)
{
	*count = 0;
	if (sq_case_filter_check(f) < 0)
		return PA_EINVAL;
	if (!f->all_orgs && f->nvisible == 0)
		return 0;
	struct list_query q;
	sq_query_init(&q, SQ_FILTER_PARAMS(f));
	strbuf_adds(&q.sql, "SELECT count(*) FROM cases WHERE 1");
	sq_case_filter_where(f, &q);
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt_dyn(c, q.sql.buf, q.sql.len, &st);
	if (rc < 0)
		st = NULL;
	else if ((rc = sq_query_bind(c, &q, st)) == 0 && (rc = sq_step(c, st, NULL)) == SQ_ROW)
		*count = sqlite3_column_int64(st, 0);
	if (st)
		sq_done(st);
	sq_query_release(&q);
	return rc < 0 ? rc : 0;
}

/* The filters of f other than visibility (type, state, owner, assignee,
 * open, overdue, due, accused units). */
static void case_filter_common(const pa_case_filter_t *f, struct list_query *q)
{
	if (f->type) {
		strbuf_adds(&q->sql, " AND type = ?");
		q_text(q, f->type);
	}
	if (f->state) {
		strbuf_adds(&q->sql, " AND state = ?");
		q_text(q, f->state);
	}
	if (f->owner_org_id) {
		strbuf_adds(&q->sql, " AND owner_org_id = ?");
		q_int(q, f->owner_org_id);
	}
	if (f->assignee_id) {
		strbuf_adds(&q->sql, " AND assignee_id = ?");
		q_int(q, f->assignee_id);
	}
	/* is_open and overdue as literals: both are in the WHERE of the partial
	 * index cases_due_pending, and a parameter there makes SQLite mark the
	 * statement to be prepared again on every new binding (it compares the
	 * bound value with the index's constant when planning) */
	if (f->open >= 0)
		strbuf_adds(&q->sql, f->open ? " AND is_open = 1" : " AND is_open = 0");
	if (f->overdue >= 0)
		strbuf_adds(&q->sql, f->overdue ? " AND overdue = 1" : " AND overdue = 0");
	if (f->due_before) {
		strbuf_adds(&q->sql, " AND due_at < ?");
		q_int(q, f->due_before);
	}
	if (f->due_after) {
		strbuf_adds(&q->sql, " AND due_at >= ?");
		q_int(q, f->due_after);
	}
	if (f->nhidden) {
		strbuf_adds(&q->sql, " AND (accused_org_id = 0 OR accused_org_id NOT IN ");
		q_id_list(q, f->hidden_accused, f->nhidden);
		strbuf_adds(&q->sql, ")");
	}
}

void sq_case_filter_where(const pa_case_filter_t *f, struct list_query *q)
{
	case_filter_common(f, q);
	if (!f->all_orgs && !f->nrestricted) {
		strbuf_adds(&q->sql, " AND owner_org_id IN ");
		q_id_list(q, f->visible_orgs, f->nvisible);
	} else if (!f->all_orgs) {
		/* authz rule 5: a restricted type's cases only by membership of the
		 * owning unit or of a participating one, never by oversight */
		strbuf_adds(&q->sql, " AND ((cases.owner_org_id IN ");
		q_id_list(q, f->visible_orgs, f->nvisible);
		strbuf_adds(&q->sql, " AND cases.type NOT IN ");
		q_text_list(q, f->restricted_types, f->nrestricted);
		strbuf_adds(&q->sql, ")");
		if (f->nmember) {
			strbuf_adds(&q->sql, " OR (cases.type IN ");
			q_text_list(q, f->restricted_types, f->nrestricted);
			strbuf_adds(&q->sql, " AND (cases.owner_org_id IN ");
			q_id_list(q, f->member_orgs, f->nmember);
			strbuf_adds(&q->sql, " OR cases.id IN (SELECT case_id FROM case_participants "
			                     "WHERE org_id IN ");
			q_id_list(q, f->member_orgs, f->nmember);
			strbuf_adds(&q->sql, ")))");
		}
		strbuf_adds(&q->sql, ")");
	}
}

/* How many participations the viewer's member units hold (the list's
 * participants' slice is read one way or the other by it), -1 if unknown. */
static int64_t participations(store_conn_t *c, const pa_case_filter_t *f)
{
	if (f->all_orgs || !f->nrestricted || !f->nmember || !c)
		return 0;
	struct list_query q;
	sq_query_init(&q, f->nmember + 1);
	/* counted up to one past LIST_PART_FEW: beyond, the number does not matter */
	strbuf_adds(&q.sql, "SELECT count(*) FROM (SELECT 1 FROM case_participants WHERE org_id IN ");
	q_id_list(&q, f->member_orgs, f->nmember);
	strbuf_addf(&q.sql, " LIMIT %d) AS few", LIST_PART_FEW + 1); /* PostgreSQL needs the alias */
	int64_t n = -1;
	sqlite3_stmt *st = NULL;
	if (sq_stmt_dyn(c, q.sql.buf, q.sql.len, &st) == 0) {
		if (sq_query_bind(c, &q, st) == 0 && sq_step(c, st, NULL) == SQ_ROW)
			n = sqlite3_column_int64(st, 0);
		sq_done(st);
	}
	sq_query_release(&q);
	return n;
}

char *store_sqlite_case_list_sql(const pa_case_filter_t *f)
{
	if (sq_case_filter_check(f) < 0 || (!f->all_orgs && f->nvisible == 0))
		return NULL;
	struct list_query q;
	build_case_list(f, &q, -1);
	free(q.params);
	return strbuf_detach(&q.sql, NULL);
}

char *store_sqlite_case_list_sql_literal(store_conn_t *c, const pa_case_filter_t *f)
{
	if (sq_case_filter_check(f) < 0 || (!f->all_orgs && f->nvisible == 0))
		return NULL;
	struct list_query q;
	build_case_list(f, &q, participations(c, f));
	strbuf_t out = STRBUF_INIT;
	size_t k = 0;
	for (const char *s = q.sql.buf; *s; s++) {
		if (*s != '?' || k >= q.nparams) {
			strbuf_addch(&out, *s);
			continue;
		}
		const struct list_param *pr = &q.params[k++];
		if (!pr->text) {
			strbuf_addf(&out, "%lld", (long long)pr->value);
			continue;
		}
		strbuf_addch(&out, '\'');
		for (const char *t = pr->text; *t; t++) {
			if (*t == '\'')
				strbuf_addch(&out, '\'');
			strbuf_addch(&out, *t);
		}
		strbuf_addch(&out, '\'');
	}
	sq_query_release(&q);
	return strbuf_detach(&out, NULL);
}

int sq_case_list(store_conn_t *c, arena_t *a, const pa_case_filter_t *f, pa_case_t **out,
                    size_t *n, bool *more)
{
	*out = NULL;
	*n = 0;
	*more = false;
	if (sq_case_filter_check(f) < 0)
		return PA_EINVAL;
	if (!c)
		return PA_EUNAVAIL;
	if (!f->all_orgs && f->nvisible == 0)
		return 0;  /* sees no unit */

	struct list_query q;
	build_case_list(f, &q, participations(c, f));
	sqlite3_stmt *st = NULL;
	int rc = sq_stmt_dyn(c, q.sql.buf, q.sql.len, &st);
	if (rc < 0) {
		st = NULL;
		goto out;
	}
	sq_bind_t b = SQ_BIND(st);
	for (size_t i = 0; i < q.nparams; i++) {
		if (q.params[i].text)
			sq_bind_text(&b, q.params[i].text);
		else
			sq_bind_int(&b, q.params[i].value);
	}
	if (b.rc) {
		rc = sq_bind_error(c, b.rc, NULL);
		goto out;
	}
	pa_case_t *arr = arena_alloc(a, st_mult((size_t)f->limit, sizeof(*arr)));
	size_t cnt = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW) {
		if (cnt == (size_t)f->limit) {
			*more = true;
			break;
		}
		read_case(st, a, &arr[cnt++]);
	}
	if (rc >= 0) {
		rc = 0;
		*out = arr;
		*n = cnt;
	}
out:
	if (st)
		sq_done(st);
	free(q.params);
	strbuf_release(&q.sql);
	return rc;
}

int sq_case_counts(store_conn_t *c, pa_time_t now, int64_t *open, int64_t *overdue)
{
	*open = *overdue = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_CASE_COUNTS, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	rc = sq_step(c, st, NULL);
	if (rc == SQ_ROW) {
		*open = sqlite3_column_int64(st, 0);
		*overdue = sqlite3_column_int64(st, 1);
	}
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_due_scan(store_conn_t *c, arena_t *a, pa_time_t now, pa_time_t after_due,
                   pa_id_t after_id, int limit, pa_due_item_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_DUE_SCAN, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, after_due);
	sqlite3_bind_int64(st, 3, after_id);
	sqlite3_bind_int(st, 4, limit);
	pa_due_item_t *arr = arena_alloc(a, st_mult((size_t)limit, sizeof(*arr)));
	size_t cnt = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW && cnt < (size_t)limit) {
		sq_row_t r = SQ_ROW_READER(st, a);
		arr[cnt].id = sq_col_int(&r);
		arr[cnt].type = sq_col_text(&r);
		arr[cnt].state = sq_col_text(&r);
		arr[cnt].due_at = sq_col_int(&r);
		arr[cnt].overdue = sq_col_bool(&r);
		cnt++;
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	*out = arr;
	*n = cnt;
	return 0;
}

/* ---- writing cases --------------------------------------------------------------------- */

/* The counter's value now: the batch's last entry for (prefix, year), else
 * the row (0 when there is none). */
static int counter_value(store_tx_t *tx, sq_batch_t *b, const char *prefix, int year,
                         int64_t *value)
{
	for (size_t i = b->st.ncounters; i-- > 0;) {
		const sq_counter_t *k = &b->counters[i];
		if (k->year == year && strcmp(k->prefix, prefix) == 0) {
			*value = k->value;
			return 0;
		}
	}
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_COUNTER_GET, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t bd = SQ_BIND(st);
	sq_bind_text(&bd, prefix);
	sq_bind_int(&bd, year);
	rc = bd.rc ? sq_bind_error(c, bd.rc, tx->err) : sq_step(c, st, tx->err);
	*value = rc == SQ_ROW ? sqlite3_column_int64(st, 0) : 0;
	sq_done(st);
	return rc < 0 ? rc : 0;
}

/* Inside a writer batch a number is taken from the batch's copy of the
 * counter (read once per batch) and the row is written once, at the batch's
 * flush, with the last number taken.  A job that fails gives its numbers back
 * with its savepoint exactly as the row's own UPDATE did (run_batch restores
 * the batch's mark: the next job takes the same number), so numbers stay
 * gap-free as before.  Outside a batch (raw jobs; PostgreSQL) the row moves
 * at once. */
int sq_tx_next_number(store_tx_t *tx, const char *prefix, int year, int64_t *seq)
{
	store_conn_t *c = tx->conn;
	if (!prefix || !prefix[0])
		return pa_fail(tx->err, PA_EINVAL, "validation", "prefix", "no number prefix");
	sq_batch_t *b = sq_tx_batch(tx);
	if (b) {
		int64_t v;
		int rc = counter_value(tx, b, prefix, year, &v);
		if (rc < 0)
			return rc;
		if (b->st.ncounters == b->counters_cap) {
			b->counters_cap = b->counters_cap ? 2 * b->counters_cap : 64;
			b->counters = xrealloc(b->counters, st_mult(b->counters_cap, sizeof(*b->counters)));
		}
		sq_counter_t *k = &b->counters[b->st.ncounters++];
		k->prefix = arena_strdup(b->arena, prefix);
		k->year = year;
		k->value = v + 1;
		*seq = k->value;
		return 0;
	}
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_NEXT_NUMBER, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b2 = SQ_BIND(st);
	sq_bind_text(&b2, prefix);
	sq_bind_int(&b2, year);
	rc = b2.rc ? sq_bind_error(c, b2.rc, tx->err) : sq_step(c, st, tx->err);
	if (rc == SQ_ROW)
		*seq = sqlite3_column_int64(st, 0);
	else if (rc == SQ_DONE)
		rc = pa_fail(tx->err, PA_EINTERNAL, "internal", NULL, "counter returned no value");
	sq_done(st);
	return rc < 0 ? rc : 0;
}

int sq_batch_flush_counters(store_tx_t *tx, sq_batch_t *b)
{
	store_conn_t *c = tx->conn;
	for (size_t i = b->st.ncounters; i-- > 0;) {
		const sq_counter_t *k = &b->counters[i];
		bool later = false;  /* a later entry of the same counter was written */
		for (size_t j = i + 1; j < b->st.ncounters && !later; j++)
			later = b->counters[j].year == k->year && strcmp(b->counters[j].prefix, k->prefix) == 0;
		if (later)
			continue;
		sqlite3_stmt *st;
		int rc = sq_stmt(c, SQ_COUNTER_SET, &st, tx->err);
		if (rc < 0)
			return rc;
		sq_bind_t bd = SQ_BIND(st);
		sq_bind_text(&bd, k->prefix);
		sq_bind_int(&bd, k->year);
		sq_bind_int(&bd, k->value);
		rc = bd.rc ? sq_bind_error(c, bd.rc, tx->err) : sq_step(c, st, tx->err);
		sq_done(st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int sq_tx_case_insert(store_tx_t *tx, const pa_case_t *cs, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_CASE_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, cs->number);
	sq_bind_text(&b, cs->type);
	sq_bind_text0(&b, cs->category);
	sq_bind_text0(&b, cs->title);
	sq_bind_text0(&b, cs->body);
	sq_bind_text(&b, cs->channel);
	sq_bind_text(&b, cs->state);
	sq_bind_bool(&b, cs->is_open);
	sq_bind_int(&b, cs->intake_org_id);
	sq_bind_int(&b, cs->owner_org_id);
	sq_bind_int(&b, cs->assignee_id);
	sq_bind_int(&b, cs->accused_org_id);
	sq_bind_int(&b, cs->created_at);
	sq_bind_int(&b, cs->updated_at);
	sq_bind_int(&b, cs->state_entered_at);
	sq_bind_int(&b, cs->due_at);
	sq_bind_bool(&b, cs->overdue);
	sq_bind_text(&b, cs->query_hash);
	sq_bind_text(&b, cs->data);
	sq_bind_double_or_null(&b, cs->has_point, cs->lat);
	sq_bind_double_or_null(&b, cs->has_point, cs->lng);
	sq_bind_text(&b, cs->address);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	pa_case_t ins = *cs;
	ins.id = sqlite3_last_insert_rowid(c->db);
	if (id)
		*id = ins.id;
	sq_search_queue(tx, ins.id, true);
	return sq_observe_case(tx, &ins, true);
}

int sq_tx_case_update(store_tx_t *tx, const pa_case_t *cs)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_CASE_UPDATE, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_text(&b, cs->state);
	sq_bind_bool(&b, cs->is_open);
	sq_bind_int(&b, cs->owner_org_id);
	sq_bind_int(&b, cs->assignee_id);
	sq_bind_int(&b, cs->accused_org_id);
	sq_bind_int(&b, cs->due_at);
	sq_bind_bool(&b, cs->overdue);
	sq_bind_int(&b, cs->state_entered_at);
	sq_bind_int(&b, cs->updated_at);
	sq_bind_text(&b, cs->data);
	sq_bind_int(&b, cs->id);
	sq_bind_int(&b, cs->version);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	int changed = rc >= 0 ? sqlite3_changes(c->db) : 0;
	sq_done(st);
	if (rc < 0)
		return rc;
	if (changed)
		return sq_observe_case(tx, cs, false);

	/* nothing matched: a moved version or no such case */
	rc = sq_stmt(c, SQ_CASE_EXISTS, &st, tx->err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, cs->id);
	rc = sq_step(c, st, tx->err);
	sq_done(st);
	if (rc == SQ_ROW)
		return pa_fail(tx->err, PA_ECONFLICT, "version-conflict", "version",
		               "case %lld was changed by someone else", (long long)cs->id);
	if (rc == SQ_DONE)
		return pa_fail(tx->err, PA_ENOTFOUND, "not-found", NULL, "no case %lld",
		               (long long)cs->id);
	return rc;
}

/* ---- timeline ---------------------------------------------------------------------------- */

/* Whether SEARCH_EVENT_TEXT of ev may be non-empty (its case's notes then
 * change): text, or the text fields of a transition; never a notice or a
 * document.  A superset is harmless (the notes are rebuilt, unchanged). */
static bool event_may_have_notes(const pa_event_t *ev)
{
	if (!ev->kind || streq(ev->kind, "notice") || streq(ev->kind, "document"))
		return false;
	if (ev->text && ev->text[strspn(ev->text, "\n")]) /* trim(..., char(10)) */
		return true;
	if (!streq(ev->kind, "transition") || !ev->data)
		return false;
	/* A step without fields (accept, most steps) has nothing to index: its
	 * data is compact JSON (core/cases.c), so no fields reads "fields":{}.
	 * Re-indexing the case's notes for it was 15 % of the writer's time in
	 * an action (bench/types_bench.sh).  Any "fields" that is not empty (the
	 * step's, or one inside an approval's data) keeps the superset. */
	for (const char *f = strstr(ev->data, "\"fields\""); f; f = strstr(f + 8, "\"fields\""))
		if (strncmp(f + 8, ":{}", 3) != 0)
			return true;
	return false;
}

int sq_tx_event_insert(store_tx_t *tx, const pa_event_t *ev, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_EVENT_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, ev->case_id);
	sq_bind_int(&b, ev->at);
	sq_bind_text(&b, ev->kind);
	sq_bind_text(&b, ev->action);
	sq_bind_text(&b, ev->from_state);
	sq_bind_text(&b, ev->to_state);
	sq_bind_int(&b, ev->actor_user_id);
	sq_bind_text0(&b, ev->actor_name);
	sq_bind_int(&b, ev->actor_org_id);
	sq_bind_bool(&b, ev->public);
	sq_bind_text(&b, ev->text);
	sq_bind_text(&b, ev->data);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	if (event_may_have_notes(ev))
		sq_search_queue(tx, ev->case_id, false);
	return sq_observe_event(tx, ev);
}

int sq_events_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_id_t after_id, int limit,
                      bool public_only, pa_event_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (sq_check_limit(limit) < 0)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_EVENTS_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_int64(st, 2, after_id);
	sqlite3_bind_int(st, 3, public_only ? 1 : 0);
	sqlite3_bind_int(st, 4, limit);
	pa_event_t *arr = arena_alloc(a, st_mult((size_t)limit, sizeof(*arr)));
	size_t cnt = 0;
	while ((rc = sq_step(c, st, NULL)) == SQ_ROW && cnt < (size_t)limit) {
		sq_row_t r = SQ_ROW_READER(st, a);
		pa_event_t *ev = &arr[cnt++];
		ev->id = sq_col_int(&r);
		ev->case_id = sq_col_int(&r);
		ev->at = sq_col_int(&r);
		ev->kind = sq_col_text(&r);
		ev->action = sq_col_text(&r);
		ev->from_state = sq_col_text(&r);
		ev->to_state = sq_col_text(&r);
		ev->actor_user_id = sq_col_int(&r);
		ev->actor_name = sq_col_text(&r);
		ev->actor_org_id = sq_col_int(&r);
		ev->public = sq_col_bool(&r);
		ev->text = sq_col_text(&r);
		ev->data = sq_col_text(&r);
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	*out = arr;
	*n = cnt;
	return 0;
}

/* ---- parties ------------------------------------------------------------------------------- */

static void read_party(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_party_t *p = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	p->id = sq_col_int(&r);
	p->case_id = sq_col_int(&r);
	p->uid = sq_col_text(&r);
	p->role = sq_col_text(&r);
	p->name = sq_col_blob(&r);
	p->phone = sq_col_blob(&r);
	p->id_number = sq_col_blob(&r);
	p->address = sq_col_blob(&r);
	p->phone_hash = sq_col_text(&r);
	p->id_hash = sq_col_text(&r);
	p->created_at = sq_col_int(&r);
	p->email = sq_col_blob(&r);
	p->lang = sq_col_text(&r);
}

int sq_tx_party_insert(store_tx_t *tx, const pa_party_t *p, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_PARTY_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, p->case_id);
	sq_bind_text(&b, p->uid);
	sq_bind_text(&b, p->role);
	sq_bind_blob(&b, p->name);
	sq_bind_blob(&b, p->phone);
	sq_bind_blob(&b, p->id_number);
	sq_bind_blob(&b, p->address);
	sq_bind_text(&b, p->phone_hash);
	sq_bind_text(&b, p->id_hash);
	sq_bind_int(&b, p->created_at);
	sq_bind_blob(&b, p->email);
	sq_bind_text(&b, p->lang);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_parties_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_party_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_PARTIES_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sq_rows_t r = { .size = sizeof(pa_party_t), .read = read_party };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_party_get(store_conn_t *c, arena_t *a, pa_id_t id, pa_party_t *out)
{
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_PARTY_GET, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sq_read_one(c, st, a, read_party, out);
	sq_done(st);
	return rc;
}

int sq_cases_by_party_hash(store_conn_t *c, arena_t *a, const char *kind, const char *hash,
                           int limit, pa_id_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!hash || !hash[0] || sq_check_limit(limit) < 0)
		return PA_EINVAL;
	bool phone = !kind || streq(kind, "phone"), id = !kind || streq(kind, "id");
	if (!phone && !id)
		return PA_EINVAL;
	/* A hash is a phone's or an ID number's (they are keyed differently, so
	 * never both): the caller that knows which walks one index (the repeat
	 * check of every submission: one read statement less); without a kind,
	 * both, merged newest first without repeats. */
	pa_id_t *arr = arena_alloc(a, st_mult((size_t)limit * 2, sizeof(*arr)));
	size_t cnt = 0;
	static const enum sq_stmt_id ids[] = { SQ_CASES_BY_PHONE_HASH, SQ_CASES_BY_ID_HASH };
	int rc = 0;
	for (size_t k = 0; k < ARRAY_SIZE(ids) && rc >= 0; k++) {
		if (!(k == 0 ? phone : id))
			continue;
		sqlite3_stmt *st;
		if ((rc = sq_stmt(c, ids[k], &st, NULL)) < 0)
			return rc;
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, limit);
		while ((rc = sq_step(c, st, NULL)) == SQ_ROW)
			arr[cnt++] = sqlite3_column_int64(st, 0);
		sq_done(st);
	}
	if (rc < 0)
		return rc;
	/* newest first, unique, at most limit */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && arr[j] > arr[j - 1]; j--) {
			pa_id_t t = arr[j];
			arr[j] = arr[j - 1];
			arr[j - 1] = t;
		}
	size_t u = 0;
	for (size_t i = 0; i < cnt && u < (size_t)limit; i++)
		if (u == 0 || arr[u - 1] != arr[i])
			arr[u++] = arr[i];
	*out = arr;
	*n = u;
	return 0;
}

/* ---- attachments ------------------------------------------------------------------------------ */

static void read_attachment(sqlite3_stmt *st, arena_t *a, void *row)
{
	pa_attachment_t *at = row;
	sq_row_t r = SQ_ROW_READER(st, a);
	at->id = sq_col_int(&r);
	at->case_id = sq_col_int(&r);
	at->event_id = sq_col_int(&r);
	at->sha256 = sq_col_text(&r);
	at->name = sq_col_text(&r);
	at->mime = sq_col_text(&r);
	at->size = sq_col_int(&r);
	at->public = sq_col_bool(&r);
	at->created_at = sq_col_int(&r);
	at->issued = sq_col_bool(&r);
}

int sq_tx_attachment_insert(store_tx_t *tx, const pa_attachment_t *at, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ATTACHMENT_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, at->case_id);
	sq_bind_int(&b, at->event_id);
	sq_bind_text(&b, at->sha256);
	sq_bind_text0(&b, at->name);
	sq_bind_text0(&b, at->mime);
	sq_bind_int(&b, at->size);
	sq_bind_bool(&b, at->public);
	sq_bind_int(&b, at->created_at);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return 0;
}

int sq_attachments_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_attachment_t **out,
                           size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ATTACHMENTS_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sq_rows_t r = { .size = sizeof(pa_attachment_t), .read = read_attachment };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

int sq_attachment_get(store_conn_t *c, arena_t *a, pa_id_t case_id, const char *sha256,
                         pa_attachment_t *out)
{
	if (!sha256)
		return PA_EINVAL;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_ATTACHMENT_GET, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sqlite3_bind_text(st, 2, sha256, -1, SQLITE_STATIC);
	rc = sq_read_one(c, st, a, read_attachment, out);
	sq_done(st);
	return rc;
}

/* ---- ratings --------------------------------------------------------------------------------- */

static void read_rating(sqlite3_stmt *st, arena_t *a, void *elem)
{
	pa_rating_t *r = elem;
	sq_row_t row = SQ_ROW_READER(st, a);
	r->id = sq_col_int(&row);
	r->case_id = sq_col_int(&row);
	r->stage = sq_col_text(&row);
	r->level = sq_col_text(&row);
	r->comment = sq_col_text(&row);
	r->at = sq_col_int(&row);
}

int sq_tx_rating_insert(store_tx_t *tx, const pa_rating_t *r, pa_id_t *id)
{
	store_conn_t *c = tx->conn;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_RATING_INSERT, &st, tx->err);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, r->case_id);
	sq_bind_text(&b, r->stage);
	sq_bind_text(&b, r->level);
	sq_bind_text(&b, r->comment);
	sq_bind_int(&b, r->at);
	rc = b.rc ? sq_bind_error(c, b.rc, tx->err) : sq_step(c, st, tx->err);
	sq_done(st);
	if (rc < 0)
		return rc;
	if (id)
		*id = sqlite3_last_insert_rowid(c->db);
	return sq_observe_rating(tx, r);
}

int sq_ratings_list(store_conn_t *c, arena_t *a, pa_id_t case_id, pa_rating_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st;
	int rc = sq_stmt(c, SQ_RATINGS_LIST, &st, NULL);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, case_id);
	sq_rows_t r = { .size = sizeof(pa_rating_t), .read = read_rating };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

/* ---- Open311 lists (api/open311.c) ------------------------------------------------------------
 *
 * GET requests lists cases newest first (created_at DESC, id DESC) within a
 * window.  Two shapes, each a walk of one index that stops at the limit:
 *   - every service of a type (no service_code filter): type = ? on
 *     cases_type_created (type, created_at), the categories checked per row
 *     (`(category || '') IN …`: an expression, which no index serves, so the
 *     planner stays on the type's index);
 *   - some services: category IN (…) on cases_category_created (category,
 *     created_at) — one category walks in order, a few are merged by a sort
 *     of what the window holds for them.
 * The statements are built from the filter's shape (how many codes, ids,
 * status) and cached per connection (sq_stmt_dyn), so a poller's repeated
 * query is prepared once.  servicerequestupdates reads the public steps by
 * time (events_public_at).
 */

static void add_placeholders(strbuf_t *sb, int *next, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, i ? ", ?%d" : "?%d", (*next)++);
}

/* Requests named by id: each number is one probe of the unique index on
 * number (one statement, cached), the other terms checked here — no list of
 * categories for SQLite to build into a table on every call, and no plan
 * that walks (type, created_at) until it meets the ids. */
static int cmp_newest(const void *x, const void *y)
{
	const pa_case_t *a = x, *b = y;
	if (a->created_at != b->created_at)
		return a->created_at > b->created_at ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id ? 1 : 0;
}

static int open311_by_numbers(store_conn_t *c, arena_t *a, const pa_open311_filter_t *f,
                              pa_case_t **out, size_t *n)
{
	static const char sql[] = "SELECT " SQ_CASE_COLS " FROM cases WHERE number = ?1";
	sqlite3_stmt *st;
	int rc = sq_stmt_dyn(c, sql, sizeof(sql) - 1, &st);
	if (rc < 0)
		return rc;
	pa_case_t *arr = arena_alloc(a, (f->nnumbers + 1) * sizeof(*arr));
	size_t cnt = 0;
	for (size_t i = 0; i < f->nnumbers && rc >= 0; i++) {
		bool dup = false;
		for (size_t k = 0; k < i && !dup; k++)
			dup = streq(f->numbers[k], f->numbers[i]);
		if (dup)
			continue;
		sqlite3_reset(st);
		if ((rc = sqlite3_bind_text(st, 1, f->numbers[i], -1, SQLITE_STATIC)) != SQLITE_OK) {
			rc = sq_bind_error(c, rc, NULL);
			break;
		}
		if ((rc = sq_step(c, st, NULL)) != SQ_ROW)
			continue;  /* no such number (or an error, returned below) */
		pa_case_t cs;
		read_case(st, a, &cs);
		bool ok = cs.created_at >= f->from && cs.created_at <= f->to &&
		          (f->open < 0 || cs.is_open == (f->open == 1)) &&
		          (!f->all_categories || streq(cs.type, f->type));
		bool listed = false;
		for (size_t k = 0; ok && k < f->ncategories && !listed; k++)
			listed = streq(cs.category, f->categories[k]);
		if (!ok || !listed)
			continue;
		arr[cnt++] = cs;
	}
	sq_done(st);
	if (rc < 0)
		return rc;
	qsort(arr, cnt, sizeof(*arr), cmp_newest);
	*out = arr;
	*n = cnt < (size_t)f->limit ? cnt : (size_t)f->limit;
	return 0;
}

int sq_open311_requests(store_conn_t *c, arena_t *a, const pa_open311_filter_t *f,
                        pa_case_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	int rc;
	if (f->limit < 1 || f->limit > STORE_OPEN311_MAX || f->ncategories == 0 ||
	    f->ncategories > STORE_FILTER_IDS_MAX || f->nnumbers > STORE_FILTER_IDS_MAX ||
	    (f->all_categories && !f->type))
		return PA_EINVAL;
	if (f->nnumbers)
		return open311_by_numbers(c, a, f, out, n);
	strbuf_t sql = STRBUF_INIT;
	int p = 1;
	strbuf_adds(&sql, "SELECT " SQ_CASE_COLS " FROM cases WHERE ");
	if (f->all_categories) {
		/* an expression, not the column: the planner keeps to (type, created_at) */
		strbuf_addf(&sql, "type = ?%d AND (category || '') IN (", p++);
	} else {
		strbuf_adds(&sql, "category IN (");
	}
	add_placeholders(&sql, &p, f->ncategories);
	strbuf_addf(&sql, ") AND created_at BETWEEN ?%d AND ?%d", p, p + 1);
	p += 2;
	if (f->open >= 0)  /* a literal: see case_filter_common() */
		strbuf_adds(&sql, f->open ? " AND is_open = 1" : " AND is_open = 0");
	strbuf_addf(&sql, " ORDER BY created_at DESC, id DESC LIMIT ?%d", p++);
	sqlite3_stmt *st;
	rc = sq_stmt_dyn(c, sql.buf, sql.len, &st);
	strbuf_release(&sql);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	if (f->all_categories)
		sq_bind_text(&b, f->type);
	for (size_t i = 0; i < f->ncategories; i++)
		sq_bind_text(&b, f->categories[i]);
	sq_bind_int(&b, f->from);
	sq_bind_int(&b, f->to);
	sq_bind_int(&b, f->limit);
	if (b.rc) {
		sq_done(st);
		return sq_bind_error(c, b.rc, NULL);
	}
	sq_rows_t r = { .size = sizeof(pa_case_t), .read = read_case };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}

static void read_open311_update(sqlite3_stmt *st, arena_t *a, void *elem)
{
	pa_open311_update_t *u = elem;
	sq_row_t r = SQ_ROW_READER(st, a);
	u->event_id = sq_col_int(&r);
	u->number = sq_col_text(&r);
	u->category = sq_col_text(&r);
	u->is_open = sq_col_bool(&r);
	u->state = sq_col_text(&r);
	u->at = sq_col_int(&r);
}

int sq_open311_updates(store_conn_t *c, arena_t *a, const char *type, pa_time_t from,
                       pa_time_t to, int limit, pa_open311_update_t **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (limit < 1 || limit > STORE_OPEN311_MAX)
		return PA_EINVAL;
	static const char sql[] =
		"SELECT e.id, c.number, c.category, c.is_open, IFNULL(e.to_state, c.state), e.at "
		"FROM events e JOIN cases c ON c.id = e.case_id "
		"WHERE e.public = 1 AND e.at BETWEEN ?1 AND ?2 AND c.type = ?3 "
		"AND e.kind IN ('created', 'transition') ORDER BY e.at, e.id LIMIT ?4";
	sqlite3_stmt *st;
	int rc = sq_stmt_dyn(c, sql, sizeof(sql) - 1, &st);
	if (rc < 0)
		return rc;
	sq_bind_t b = SQ_BIND(st);
	sq_bind_int(&b, from);
	sq_bind_int(&b, to);
	sq_bind_text(&b, type);
	sq_bind_int(&b, limit);
	sq_rows_t r = { .size = sizeof(pa_open311_update_t), .read = read_open311_update };
	rc = sq_collect(c, st, a, NULL, &r);
	sq_done(st);
	*out = r.rows;
	*n = r.n;
	return rc;
}
