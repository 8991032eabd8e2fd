/*
 * export.c — streamed CSV and XLSX exports of case lists (rules in
 * export.h, docs/exports.md).
 *
 * A job is a small state machine driven by its reader:
 *   header  → the BOM (CSV) and the header row are in the buffer;
 *   rows    → each call formats the next page of cases into the buffer when
 *             it is empty (next_page: a keyset walk by id, or the next
 *             offset of the search ranking), and hands out bytes;
 *   done    → the last page was short: nothing more.
 * The job owns its arenas (one for what lives as long as the job, one reset
 * per page), a reference to the org tree for unit names, and copies of the
 * visibility lists, so it outlives the request that opened it (HTTP streams
 * the body after the handler returned).
 */
#include "base/common.h"
#include "core/export.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/crypto.h"
#include "core/search.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <xlsxwriter.h>

enum { COL_COUNT = 13 };

static const char *const headers_zh[COL_COUNT] = {
	"编号", "类型", "类别", "标题", "状态", "渠道", "承办单位", "登记时间", "办理期限", "是否超期",
	"是否在办", "申请人", "联系电话",
};
static const char *const headers_en[COL_COUNT] = {
	"Number", "Type", "Category", "Title", "State", "Channel", "Owning unit", "Registered",
	"Due", "Overdue", "Open", "Petitioner", "Phone",
};

struct export_job {
	pa_app_t *app;
	arena_t *arena;        /* lives as long as the job */
	arena_t *page;         /* reset for each page */
	orgtree_t *tree;
	export_spec_t spec;
	const char *actor;
	bool en;
	pa_search_term_t *terms;
	size_t nterms;
	/* the walk */
	pa_id_t last_id;
	int offset;            /* search: ranked hits done */
	bool more;             /* another page may follow */
	bool started;
	bool finished;
	int64_t rows;
	int64_t total;         /* -1 = not counted */
	/* CSV output */
	strbuf_t out;
	size_t out_pos;
	pa_err_t err;
};

/* ---- opening ------------------------------------------------------------------------------- */

static bool may_unmask(pa_app_t *app, const pa_principal_t *p)
{
	if (p->kind == PRINCIPAL_SYSTEM)
		return true;
	if (p->kind != PRINCIPAL_STAFF)
		return false;
	const char *list = app->cfg->export_unmask_roles ? app->cfg->export_unmask_roles : "";
	for (size_t i = 0; i < p->nroles; i++) {
		const char *role = p->roles[i].role;
		size_t rl = strlen(role);
		for (const char *s = list; *s;) {
			while (*s == ' ' || *s == ',')
				s++;
			size_t n = strcspn(s, ", ");
			if (n == rl && strncmp(s, role, n) == 0)
				return true;
			s += n;
		}
	}
	return false;
}

int export_open(pa_app_t *app, const pa_principal_t *p, const char *actor,
                const export_spec_t *spec, export_job_t **out, pa_err_t *err)
{
	*out = NULL;
	if (spec->unmask && !may_unmask(app, p))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", "unmask",
		               "your role may not export personal data unmasked");
	export_job_t *j = xcalloc(1, sizeof(*j));
	j->app = app;
	j->arena = arena_new();
	j->page = arena_new();
	j->spec = *spec;
	j->actor = arena_strdup(j->arena, actor ? actor : authz_actor(p, j->arena));
	j->en = spec->lang && spec->lang[0] == 'e';
	j->spec.lang = j->en ? "en" : "zh-CN";
	j->spec.query = spec->query ? arena_strdup(j->arena, spec->query) : NULL;
	j->spec.filter.type = spec->filter.type ? arena_strdup(j->arena, spec->filter.type) : NULL;
	j->spec.filter.state = spec->filter.state ? arena_strdup(j->arena, spec->filter.state) : NULL;
	j->spec.filter.has_cursor = false;
	j->spec.filter.limit = EXPORT_PAGE;
	j->total = -1;
	j->more = true;
	strbuf_init(&j->out, 64 * 1024);
	int rc = 0;
	if (j->spec.query &&
	    (rc = search_parse(j->arena, j->spec.query, &j->terms, &j->nterms, err)) < 0)
		goto fail;
	authz_case_filter(p, j->arena, app->wf, &j->spec.filter);
	if (!j->spec.filter.all_orgs && j->spec.filter.nvisible == 0)
		j->more = false;  /* sees no unit */
	j->tree = orgcache_get(app->orgs);
	if (spec->count && j->more) {
		if (j->terms) {
			j->total = -1;  /* the search's window bounds it; counted as it goes */
		} else if ((rc = store_case_count(store_reader(app->store), &j->spec.filter, &j->total)) < 0) {
			rc = pa_fail(err, rc, "unavailable", NULL, "could not count the cases");
			goto fail;
		}
	} else if (spec->count) {
		j->total = 0;
	}
	*out = j;
	return 0;
fail:
	if (j->tree)
		orgtree_release(j->tree);
	strbuf_release(&j->out);
	arena_free(j->page);
	arena_free(j->arena);
	free(j);
	return rc;
}

/* ---- rows ---------------------------------------------------------------------------------- */

/* The next page of cases into *cs, *n; sets j->more. */
static int next_page(export_job_t *j, pa_case_t **cs, size_t *n)
{
	*cs = NULL;
	*n = 0;
	arena_reset(j->page);
	if (!j->more)
		return 0;
	store_conn_t *c = store_reader(j->app->store);
	pa_case_filter_t f = j->spec.filter;
	int rc;
	if (j->terms) {
		pa_search_query_t q = { .terms = j->terms, .nterms = j->nterms,
			                    .window = STORE_SEARCH_WINDOW_MAX, .offset = j->offset };
		pa_search_hit_t *hits;
		bool full;
		rc = store_case_search(c, j->page, &q, &f, &hits, n, &j->more, &full);
		if (rc == 0) {
			pa_case_t *arr = arena_alloc(j->page, (*n + 1) * sizeof(*arr));
			for (size_t i = 0; i < *n; i++)
				arr[i] = hits[i].cs;
			*cs = arr;
			j->offset += (int)*n;
		}
	} else {
		f.by_id = true;
		f.has_cursor = j->last_id > 0;
		f.after_id = j->last_id;
		rc = store_case_list(c, j->page, &f, cs, n, &j->more);
		if (rc == 0 && *n)
			j->last_id = (*cs)[*n - 1].id;
	}
	if (rc < 0)
		return pa_fail(&j->err, rc, "unavailable", NULL, "could not read the cases");
	return 0;
}

static const char *party_field(export_job_t *j, const pa_party_t *pt, const char *field,
                               pa_blob_t b)
{
	if (!b.len)
		return "";
	char *plain = NULL;
	const char *aad = arena_printf(j->page, "party/%s/%s", pt->uid, field);
	if (pii_open(j->app->keys, j->page, aad, b, &plain) < 0)
		return "?";
	return plain;
}

static void format_time(export_job_t *j, pa_time_t t, char buf[32])
{
	if (!t || t == PA_NO_DUE) {
		buf[0] = '\0';
		return;
	}
	pa_time_format(t, j->app->cfg->utc_offset_min, buf);
	buf[10] = ' ';
	buf[16] = '\0';  /* YYYY-MM-DD HH:MM */
}

/* The row's fields (strings in the page arena). */
static void row_fields(export_job_t *j, const pa_case_t *cs, const char *f[COL_COUNT])
{
	const char *lang = j->spec.lang;
	const wf_def_t *def = wf_registry_find(j->app->wf, cs->type);
	const wf_state_t *st = def ? wf_find_state(def, cs->state) : NULL;
	const wf_category_t *cat = def ? wf_find_category(def, cs->category) : NULL;
	const pa_org_t *o = orgtree_find(j->tree, cs->owner_org_id);
	char *created = arena_alloc(j->page, 32), *due = arena_alloc(j->page, 32);
	format_time(j, cs->created_at, created);
	format_time(j, cs->is_open ? cs->due_at : 0, due);
	bool overdue = cs->is_open && cs->due_at != PA_NO_DUE && (cs->overdue || cs->due_at < pa_now());
	f[0] = cs->number;
	f[1] = def ? wf_label(&def->label, lang) : cs->type;
	f[2] = cat ? wf_label(&cat->label, lang) : cs->category;
	f[3] = cs->title;
	f[4] = st ? wf_label(&st->label, lang) : cs->state;
	f[5] = case_channel_label(cs->channel, lang);
	f[6] = o ? (j->en && o->name_en && *o->name_en ? o->name_en : o->name) : "";
	f[7] = created;
	f[8] = due;
	f[9] = overdue ? (j->en ? "yes" : "是") : (j->en ? "no" : "否");
	f[10] = cs->is_open ? (j->en ? "yes" : "是") : (j->en ? "no" : "否");
	f[11] = "";
	f[12] = "";
	pa_party_t *ps = NULL;
	size_t np = 0;
	if (store_parties_list(store_reader(j->app->store), j->page, cs->id, &ps, &np) < 0)
		return;
	for (size_t i = 0; i < np; i++) {
		if (streq(ps[i].role, "informant"))
			continue;  /* never exported, not even masked */
		const char *name = party_field(j, &ps[i], "name", ps[i].name);
		const char *phone = party_field(j, &ps[i], "phone", ps[i].phone);
		f[11] = j->spec.unmask || !*name ? name : mask_name(j->page, name);
		f[12] = j->spec.unmask || !*phone ? phone : mask_phone(j->page, phone);
		break;
	}
}

/* ---- CSV ----------------------------------------------------------------------------------- */

static void csv_field(strbuf_t *sb, const char *s)
{
	if (!s)
		s = "";
	bool formula = s[0] && strchr("=+-@\t\r", s[0]);
	bool quote = formula || strpbrk(s, ",\"\r\n");
	if (quote)
		strbuf_addch(sb, '"');
	if (formula)
		strbuf_addch(sb, '\'');
	/* runs between quotes at once; each quote doubled */
	for (const char *p = s; *p;) {
		size_t run = strcspn(p, "\"");
		strbuf_add(sb, p, run);
		p += run;
		if (*p == '"') {
			strbuf_add(sb, "\"\"", 2);
			p++;
		}
	}
	if (quote)
		strbuf_addch(sb, '"');
}

static void csv_row(strbuf_t *sb, const char *const f[COL_COUNT])
{
	for (int i = 0; i < COL_COUNT; i++) {
		if (i)
			strbuf_addch(sb, ',');
		csv_field(sb, f[i]);
	}
	strbuf_adds(sb, "\r\n");
}

/* Refills the empty output buffer; false when there is nothing more. */
static bool csv_fill(export_job_t *j)
{
	strbuf_reset(&j->out);
	j->out_pos = 0;
	if (!j->started) {
		j->started = true;
		strbuf_adds(&j->out, "\xEF\xBB\xBF");
		csv_row(&j->out, j->en ? headers_en : headers_zh);
		return true;
	}
	while (j->out.len == 0 && j->more) {
		pa_case_t *cs;
		size_t n;
		/* a page and its parties in one read transaction: one WAL read
		 * lock per page, not one per statement (two per row) */
		store_conn_t *c = store_reader(j->app->store);
		store_read_begin(c);
		if (next_page(j, &cs, &n) < 0) {
			store_read_end(c);
			return false;
		}
		for (size_t i = 0; i < n; i++) {
			const char *f[COL_COUNT];
			row_fields(j, &cs[i], f);
			csv_row(&j->out, f);
			j->rows++;
		}
		store_read_end(c);
	}
	return j->out.len > 0;
}

int64_t export_csv_read(export_job_t *j, char *buf, size_t max)
{
	if (j->err.code)
		return j->err.code;
	size_t done = 0;
	while (done < max) {
		if (j->out_pos == j->out.len && !csv_fill(j)) {
			if (j->err.code)
				return done ? (int64_t)done : j->err.code;
			j->finished = true;
			break;
		}
		size_t n = j->out.len - j->out_pos;
		if (n > max - done)
			n = max - done;
		memcpy(buf + done, j->out.buf + j->out_pos, n);
		j->out_pos += n;
		done += n;
	}
	return (int64_t)done;
}

/* ---- XLSX ---------------------------------------------------------------------------------- */

int export_xlsx_write(export_job_t *j, const char *path)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .use_zip64 = LXW_TRUE };
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	if (!wb)
		return pa_fail(&j->err, PA_EIO, "internal", NULL, "cannot create the workbook");
	lxw_worksheet *ws = workbook_add_worksheet(wb, j->en ? "Cases" : "案件");
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	const char *const *h = j->en ? headers_en : headers_zh;
	for (int i = 0; i < COL_COUNT; i++)
		worksheet_write_string(ws, 0, (lxw_col_t)i, h[i], bold);
	worksheet_set_column(ws, 0, 0, 18, NULL);
	worksheet_set_column(ws, 3, 3, 40, NULL);
	worksheet_set_column(ws, 6, 8, 18, NULL);
	int rc = 0;
	lxw_row_t row = 1;
	while (j->more && rc == 0) {
		pa_case_t *cs;
		size_t n;
		store_conn_t *reader = store_reader(j->app->store);
		store_read_begin(reader);  /* as for CSV: one read lock per page */
		if ((rc = next_page(j, &cs, &n)) < 0) {
			store_read_end(reader);
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (row > EXPORT_XLSX_MAX_ROWS) {
				j->more = false;
				rc = pa_fail(&j->err, PA_ETOOLARGE, "too-large", NULL,
				             "an XLSX sheet holds at most %d rows: narrow the filter or use CSV",
				             EXPORT_XLSX_MAX_ROWS);
				break;
			}
			const char *f[COL_COUNT];
			row_fields(j, &cs[i], f);
			for (int c = 0; c < COL_COUNT; c++)
				if (f[c] && *f[c])
					worksheet_write_string(ws, row, (lxw_col_t)c, f[c], NULL);
			row++;
			j->rows++;
		}
		store_read_end(reader);
	}
	lxw_error e = workbook_close(wb);
	if (rc == 0 && e != LXW_NO_ERROR)
		rc = pa_fail(&j->err, PA_EIO, "internal", NULL, "cannot write the workbook: %s",
		             lxw_strerror(e));
	if (rc == 0)
		j->finished = true;
	return rc;
}

/* ---- the end ------------------------------------------------------------------------------- */

void export_progress(const export_job_t *j, int64_t *rows, int64_t *total)
{
	*rows = j->rows;
	*total = j->total;
}

const pa_err_t *export_error(const export_job_t *j)
{
	return &j->err;
}

struct audit_tx {
	const char *actor;
	const char *detail;
};

static int audit_tx_fn(store_tx_t *tx, void *arg)
{
	struct audit_tx *x = arg;
	return audit_append(tx, pa_now(), x->actor, "case.export", "cases", x->detail);
}

static int ind_audit_fn(store_tx_t *tx, void *arg)
{
	struct audit_tx *x = arg;
	return audit_append(tx, pa_now(), x->actor, "indicators.export", "indicators", x->detail);
}

int export_close(export_job_t *j, bool complete)
{
	if (!j)
		return 0;
	const pa_case_filter_t *f = &j->spec.filter;
	json_t *filter = json_object();
	if (f->type)
		json_object_set_new(filter, "type", json_string(f->type));
	if (f->state)
		json_object_set_new(filter, "state", json_string(f->state));
	if (f->owner_org_id)
		json_object_set_new(filter, "owner_org", json_integer(f->owner_org_id));
	if (f->assignee_id)
		json_object_set_new(filter, "assignee", json_integer(f->assignee_id));
	if (f->open >= 0)
		json_object_set_new(filter, "open", json_boolean(f->open));
	if (f->overdue >= 0)
		json_object_set_new(filter, "overdue", json_boolean(f->overdue));
	if (f->due_before)
		json_object_set_new(filter, "due_before", json_integer(f->due_before));
	if (f->due_after)
		json_object_set_new(filter, "due_after", json_integer(f->due_after));
	json_t *d = json_pack("{s:s, s:o, s:b, s:I, s:b}", "format",
	                      j->spec.format == EXPORT_XLSX ? "xlsx" : "csv", "filter", filter, "unmask",
	                      j->spec.unmask, "rows", (json_int_t)j->rows, "complete",
	                      complete && j->finished);
	if (j->spec.query)
		json_object_set_new(d, "q", json_string(j->spec.query));
	char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	struct audit_tx x = { j->actor, detail ? detail : "{}" };
	pa_err_t err = { 0 };
	int rc = store_write(j->app->store, audit_tx_fn, &x, &err);
	if (rc < 0)
		log_error("export: could not audit an export by %s (%d rows): %s", j->actor,
		          (int)j->rows, err.detail);
	free(detail);
	orgtree_release(j->tree);
	strbuf_release(&j->out);
	arena_free(j->page);
	arena_free(j->arena);
	free(j);
	return rc;
}

const char *export_file_name(arena_t *a, export_format_t f, pa_time_t now, int utc_offset_min)
{
	char buf[32];
	pa_time_format(now, utc_offset_min, buf);
	return arena_printf(a, "cases-%.4s%.2s%.2s.%s", buf, buf + 5, buf + 8,
	                    f == EXPORT_XLSX ? "xlsx" : "csv");
}

/* ---- indicator tables ------------------------------------------------------------------------ */

enum { IND_COL_COUNT = 11 };

static const char *const ind_headers_zh[IND_COL_COUNT] = {
	"起始日", "截止日", "分组", "分组名称", "指标", "名称", "种类", "分子", "分母", "值", "公式",
};
static const char *const ind_headers_en[IND_COL_COUNT] = {
	"From", "To", "Group", "Group name", "Indicator", "Label", "Kind", "Numerator",
	"Denominator", "Value", "Formula",
};

/* The name of a group key under q->group_by, in lang. */
static const char *ind_group_name(pa_app_t *app, arena_t *a, const orgtree_t *tree,
                                  const ind_query_t *q, const char *key, bool en)
{
	const char *g = q->group_by;
	if (!g || !*g)
		return en ? "All" : "全部";
	const char *lang = en ? "en" : "zh-CN";
	if (streq(g, "type")) {
		const wf_def_t *def = app->wf ? wf_registry_find(app->wf, key) : NULL;
		return def ? wf_label(&def->label, lang) : key;
	}
	if (streq(g, "category")) {
		for (size_t d = 0; app->wf && d < app->wf->ndefs; d++) {
			const wf_category_t *cat = wf_find_category(app->wf->defs[d], key);
			if (cat)
				return wf_label(&cat->label, lang);
		}
		return key;
	}
	if (streq(g, "org") || streq(g, "street")) {
		const pa_org_t *o = orgtree_find(tree, (pa_id_t)strtoll(key, NULL, 10));
		if (!o)
			return streq(key, "0") ? (en ? "(none)" : "（无）") : key;
		return en && o->name_en && *o->name_en ? o->name_en : o->name;
	}
	if (streq(g, "month") && strlen(key) == 6)
		return arena_printf(a, "%.4s-%.2s", key, key + 4);
	return key;
}

static void ind_row_fields(arena_t *a, const char *from, const char *to, const char *key,
                           const char *gname, const ind_value_t *v, const char *f[IND_COL_COUNT])
{
	f[0] = from;
	f[1] = to;
	f[2] = key;
	f[3] = gname;
	f[4] = v->name;
	f[5] = v->label ? v->label : v->name;
	f[6] = v->kind;
	f[7] = arena_printf(a, "%lld", (long long)v->numerator);
	f[8] = v->denominator < 0 ? "" : arena_printf(a, "%lld", (long long)v->denominator);
	f[9] = v->has_value ? arena_printf(a, "%.10g", v->value) : "";
	f[10] = v->formula ? v->formula : "";
}

static json_t *ind_query_json(arena_t *a, const ind_query_t *q)
{
	json_t *types = json_array(), *cats = json_array();
	for (size_t i = 0; i < q->ntypes; i++)
		json_array_append_new(types, json_string(q->types[i]));
	for (size_t i = 0; i < q->ncategories; i++)
		json_array_append_new(cats, json_string(q->categories[i]));
	json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "from", ind_day_text(a, q->from_day), "to",
	                      ind_day_text(a, q->to_day), "types", types, "categories", cats);
	if (q->org_id)
		json_object_set_new(j, "org", json_integer(q->org_id));
	if (q->norg_list)
		json_object_set_new(j, "units", json_integer((json_int_t)q->norg_list));
	if (q->street_id)
		json_object_set_new(j, "street", json_integer(q->street_id));
	if (q->enterprise >= 0)
		json_object_set_new(j, "enterprise", json_boolean(q->enterprise));
	if (q->group_by && *q->group_by)
		json_object_set_new(j, "group_by", json_string(q->group_by));
	return j;
}

static int ind_audit(pa_app_t *app, arena_t *a, const char *actor, const export_ind_spec_t *spec,
                     int64_t rows, bool complete)
{
	json_t *d = json_pack("{s:s, s:o, s:I, s:b}", "format",
	                      spec->format == EXPORT_XLSX ? "xlsx" : "csv", "query",
	                      ind_query_json(a, spec->query), "rows", (json_int_t)rows, "complete",
	                      complete);
	char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	struct audit_tx x = { actor, detail ? detail : "{}" };
	pa_err_t err = { 0 };
	int rc = store_write(app->store, ind_audit_fn, &x, &err);
	if (rc < 0)
		log_error("export: could not audit an indicator export by %s: %s", actor, err.detail);
	free(detail);
	return rc;
}

static int ind_write_xlsx(const export_ind_spec_t *spec, bool en, const char *const rows[][IND_COL_COUNT],
                          const ind_value_t *const *vals, size_t n, pa_err_t *err)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE };
	lxw_workbook *wb = workbook_new_opt(spec->xlsx_path, &opt);
	if (!wb)
		return pa_fail(err, PA_EIO, "internal", NULL, "cannot create the workbook");
	lxw_worksheet *ws = workbook_add_worksheet(wb, en ? "Indicators" : "指标");
	lxw_format *bold = workbook_add_format(wb);
	format_set_bold(bold);
	const char *const *h = en ? ind_headers_en : ind_headers_zh;
	for (int c = 0; c < IND_COL_COUNT; c++)
		worksheet_write_string(ws, 0, (lxw_col_t)c, h[c], bold);
	worksheet_set_column(ws, 0, 1, 12, NULL);
	worksheet_set_column(ws, 3, 5, 24, NULL);
	worksheet_set_column(ws, 10, 10, 60, NULL);
	for (size_t i = 0; i < n; i++) {
		lxw_row_t r = (lxw_row_t)(i + 1);
		const ind_value_t *v = vals[i];
		for (int c = 0; c < IND_COL_COUNT; c++) {
			if (c == 7)
				worksheet_write_number(ws, r, 7, (double)v->numerator, NULL);
			else if (c == 8 && v->denominator >= 0)
				worksheet_write_number(ws, r, 8, (double)v->denominator, NULL);
			else if (c == 9 && v->has_value)
				worksheet_write_number(ws, r, 9, v->value, NULL);
			else if (c != 8 && c != 9 && rows[i][c] && *rows[i][c])
				worksheet_write_string(ws, r, (lxw_col_t)c, rows[i][c], NULL);
		}
		if (spec->progress)
			spec->progress(spec->progress_ctx, (int64_t)i + 1, (int64_t)n);
	}
	lxw_error e = workbook_close(wb);
	if (e != LXW_NO_ERROR)
		return pa_fail(err, PA_EIO, "internal", NULL, "cannot write the workbook: %s",
		               lxw_strerror(e));
	return 0;
}

int export_indicators(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *actor,
                      const export_ind_spec_t *spec, int64_t *rows, pa_err_t *err)
{
	*rows = 0;
	bool en = spec->lang && spec->lang[0] == 'e';
	const char *lang = en ? "en" : "zh-CN";
	if (!actor)
		actor = authz_actor(p, a);
	if ((spec->format == EXPORT_CSV && !spec->csv) ||
	    (spec->format == EXPORT_XLSX && !spec->xlsx_path))
		return pa_fail(err, PA_EINVAL, "validation", "format", "no output for the export");
	ind_result_t r;
	int rc = indicators_compute(app, a, p, spec->query, lang, &r, err);
	if (rc < 0)
		return rc;
	size_t n = 0;
	for (size_t g = 0; g < r.ngroups; g++)
		n += r.groups[g].nvalues;
	const char *(*fields)[IND_COL_COUNT] = arena_alloc(a, (n + 1) * sizeof(*fields));
	const ind_value_t **vals = arena_alloc(a, (n + 1) * sizeof(*vals));
	const char *from = ind_day_text(a, spec->query->from_day);
	const char *to = ind_day_text(a, spec->query->to_day);
	orgtree_t *tree = orgcache_get(app->orgs);
	size_t k = 0;
	for (size_t g = 0; g < r.ngroups; g++) {
		const char *key = r.groups[g].key;
		const char *gname = ind_group_name(app, a, tree, spec->query, key, en);
		for (size_t i = 0; i < r.groups[g].nvalues; i++, k++) {
			vals[k] = &r.groups[g].values[i];
			ind_row_fields(a, from, to, key, gname, vals[k], fields[k]);
		}
	}
	orgtree_release(tree);
	if (spec->format == EXPORT_XLSX) {
		rc = ind_write_xlsx(spec, en, (const char *const(*)[IND_COL_COUNT])fields, vals, n, err);
	} else {
		strbuf_t *sb = spec->csv;
		strbuf_adds(sb, "\xEF\xBB\xBF");
		const char *const *h = en ? ind_headers_en : ind_headers_zh;
		for (int c = 0; c < IND_COL_COUNT; c++) {
			if (c)
				strbuf_addch(sb, ',');
			csv_field(sb, h[c]);
		}
		strbuf_adds(sb, "\r\n");
		for (size_t i = 0; i < n; i++) {
			for (int c = 0; c < IND_COL_COUNT; c++) {
				if (c)
					strbuf_addch(sb, ',');
				csv_field(sb, fields[i][c]);
			}
			strbuf_adds(sb, "\r\n");
			if (spec->progress)
				spec->progress(spec->progress_ctx, (int64_t)i + 1, (int64_t)n);
		}
	}
	*rows = rc == 0 ? (int64_t)n : 0;
	int arc = ind_audit(app, a, actor, spec, *rows, rc == 0);
	if (rc == 0 && arc < 0)
		rc = pa_fail(err, arc, "unavailable", NULL, "could not audit the export");
	return rc;
}

const char *export_indicators_file_name(arena_t *a, export_format_t f, pa_time_t now,
                                        int utc_offset_min)
{
	char buf[32];
	pa_time_format(now, utc_offset_min, buf);
	return arena_printf(a, "indicators-%.4s%.2s%.2s.%s", buf, buf + 5, buf + 8,
	                    f == EXPORT_XLSX ? "xlsx" : "csv");
}
