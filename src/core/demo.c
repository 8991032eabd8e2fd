/*
 * demo.c — a small but complete district to try Pingan with, and a fast
 * generator of realistic cases for benchmarks: every loaded case type in a
 * district's mix (type_mix), Chinese titles and bodies, all units, leaf
 * categories, states and the past year, each case's limit as the engine
 * computes it (the category's own), grid events with a location, some
 * accusations naming a unit that never owns them.
 */
#include "base/common.h"
#include "core/demo.h"
#include "core/accounts.h"
#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>

static const struct demo_org {
	const char *code, *parent, *superior, *kind, *name, *name_en;
} demo_orgs[] = {
	{ "district", NULL, NULL, "district", "平安区", "Ping'an District" },
	{ "district-gov", "district", NULL, "government", "平安区人民政府", "District Government" },
	{ "district-xfj", "district", "district-gov", "petition_office", "平安区信访局", "District Petition Office" },
	{ "district-plc", "district", NULL, "political_legal_committee", "中共平安区委政法委员会",
	  "District Political-Legal Committee" },
	{ "district-police", "district", "district-gov", "police", "平安区公安分局", "District Police Bureau" },
	{ "district-procuratorate", "district", NULL, "procuratorate", "平安区人民检察院", "District Procuratorate" },
	{ "district-court", "district", NULL, "court", "平安区人民法院", "District Court" },
	{ "district-justice", "district", "district-gov", "justice_bureau", "平安区司法局", "District Justice Bureau" },
	{ "district-discipline", "district", NULL, "discipline_commission", "平安区纪委监委",
	  "District Discipline Commission" },
	{ "district-housing", "district", "district-gov", "department", "平安区住房和城乡建设局",
	  "District Housing and Construction Bureau" },
	{ "district-hrss", "district", "district-gov", "department", "平安区人力资源和社会保障局",
	  "District Human Resources and Social Security Bureau" },
	{ "district-market", "district", "district-gov", "department", "平安区市场监督管理局",
	  "District Market Regulation Bureau" },
	{ "district-mediation", "district", NULL, "mediation_committee", "平安区人民调解委员会",
	  "District Mediation Committee" },
	{ "chengguan", "district", NULL, "street", "城关街道", "Chengguan Subdistrict" },
	{ "chengguan-office", "chengguan", "district-gov", "government", "城关街道办事处", "Chengguan Subdistrict Office" },
	{ "chengguan-mediation", "chengguan", NULL, "mediation_committee", "城关街道人民调解委员会",
	  "Chengguan Mediation Committee" },
	{ "dongmen", "chengguan", NULL, "community", "东门社区", "Dongmen Community" },
	{ "dongmen-g1", "dongmen", NULL, "grid", "东门社区第一网格", "Dongmen Grid 1" },
	{ "dongmen-g2", "dongmen", NULL, "grid", "东门社区第二网格", "Dongmen Grid 2" },
	{ "ximen", "chengguan", NULL, "community", "西门社区", "Ximen Community" },
	{ "ximen-g1", "ximen", NULL, "grid", "西门社区第一网格", "Ximen Grid 1" },
	{ "hexi", "district", NULL, "street", "河西街道", "Hexi Subdistrict" },
	{ "hexi-office", "hexi", "district-gov", "government", "河西街道办事处", "Hexi Subdistrict Office" },
	{ "hexi-mediation", "hexi", NULL, "mediation_committee", "河西街道人民调解委员会", "Hexi Mediation Committee" },
	{ "binjiang", "hexi", NULL, "community", "滨江社区", "Binjiang Community" },
	{ "binjiang-g1", "binjiang", NULL, "grid", "滨江社区第一网格", "Binjiang Grid 1" },
};

/* 机关代字 of the units that issue documents: their numbers read 平信〔2026〕1号. */
static const struct {
	const char *code, *abbr;
} demo_abbrs[] = {
	{ "district-gov", "平政" },     { "district-xfj", "平信" },     { "district-plc", "平政法" },
	{ "district-police", "平公" },  { "district-procuratorate", "平检" },
	{ "district-court", "平法" },   { "district-justice", "平司" },
	{ "district-discipline", "平纪" }, { "district-housing", "平住建" },
	{ "district-hrss", "平人社" },  { "district-market", "平市监" },
	{ "district-mediation", "平调" }, { "chengguan-office", "城办" },
	{ "chengguan-mediation", "城调" }, { "hexi-office", "河办" }, { "hexi-mediation", "河调" },
};

static const char *demo_abbr(const char *code)
{
	for (size_t i = 0; i < ARRAY_SIZE(demo_abbrs); i++)
		if (streq(demo_abbrs[i].code, code))
			return demo_abbrs[i].abbr;
	return NULL;
}

const demo_user_t demo_users[] = {
	{ "admin", "系统管理员", "district-xfj", "admin" },
	{ "intake", "王登记", "district-xfj", "intake" },
	{ "xfj", "李信访", "district-xfj", "handler" },
	{ "supervisor", "赵督办", "district-xfj", "supervisor" },
	{ "auditor", "钱审计", "district-xfj", "auditor" },
	{ "leader", "孙区长", "district-gov", "leader" },
	{ "gov", "周政府", "district-gov", "handler" },
	{ "housing", "吴住建", "district-housing", "handler" },
	{ "hrss", "郑人社", "district-hrss", "handler" },
	{ "plc", "冯政法", "district-plc", "handler" },
	{ "police", "陈公安", "district-police", "handler" },
	{ "discipline", "褚纪委", "district-discipline", "handler" },
	{ "chengguan", "卫街道", "chengguan-office", "handler" },
	{ "mediator", "蒋调解", "chengguan-mediation", "mediator" },
	{ "grid", "沈网格", "chengguan-office", "grid_worker" },
	/* joint cases (协同案件): the committee opens and coordinates them, the
	 * agencies take part; disputes' risk reports reach the committee */
	{ "plcsup", "杨政法", "district-plc", "intake,supervisor" },
	{ "plcleader", "朱书记", "district-plc", "leader" },
	{ "procurator", "秦检察", "district-procuratorate", "handler" },
	{ "judge", "尤法官", "district-court", "handler" },
	{ "mediator2", "许调解", "hexi-mediation", "mediator" },
};
const size_t demo_nusers = ARRAY_SIZE(demo_users);

int demo_seed(pa_app_t *app, const char *admin_password, const char *staff_password, pa_err_t *err)
{
	arena_t *a = arena_new();
	int rc = 0;
	for (size_t i = 0; i < ARRAY_SIZE(demo_orgs) && rc == 0; i++) {
		const struct demo_org *d = &demo_orgs[i];
		orgtree_t *t = orgcache_get(app->orgs);
		const pa_org_t *parent = d->parent ? orgtree_find_code(t, d->parent) : NULL;
		const pa_org_t *sup = d->superior ? orgtree_find_code(t, d->superior) : NULL;
		pa_org_t o = { .code = d->code, .name = d->name, .name_en = d->name_en, .kind = d->kind,
		               .parent_id = parent ? parent->id : 0, .superior_id = sup ? sup->id : 0,
		               .abbr = demo_abbr(d->code) };
		orgtree_release(t);
		rc = accounts_org_create(app, a, NULL, &o, NULL, err);
	}
	for (size_t i = 0; i < demo_nusers && rc == 0; i++) {
		const demo_user_t *u = &demo_users[i];
		orgtree_t *t = orgcache_get(app->orgs);
		const pa_org_t *o = orgtree_find_code(t, u->org_code);
		pa_membership_t roles[4];
		size_t nr = 0;
		char buf[128];
		snprintf(buf, sizeof(buf), "%s", u->roles);
		char *save = NULL;
		for (char *r = strtok_r(buf, ",", &save); r && nr < 4; r = strtok_r(NULL, ",", &save))
			roles[nr++] = (pa_membership_t){ .org_id = o ? o->id : 0, .role = arena_strdup(a, r) };
		orgtree_release(t);
		user_input_t in = { .username = u->username, .display_name = u->display_name,
		                    .password = streq(u->username, "admin") ? admin_password : staff_password,
		                    .roles = roles, .nroles = nr };
		rc = accounts_user_create(app, a, NULL, &in, NULL, err);
	}
	arena_free(a);
	return rc;
}

/* ---- generator ------------------------------------------------------------ */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static const char *const places[] = { "东门社区", "西门社区", "滨江社区", "城关街道", "河西街道", "幸福小区",
	                                  "阳光花园", "建设路", "人民路", "解放大街" };
static const char *const topics[] = {
	"小区物业不作为，电梯长期故障无人维修", "拖欠农民工工资三个月未发放", "施工噪音夜间扰民",
	"房屋拆迁补偿标准不合理", "邻里之间因排水问题发生纠纷", "企业排放污水污染河道",
	"医保报销流程繁琐，材料多次退回", "道路破损严重影响出行安全", "违法建设占用公共绿地",
	"学校周边交通拥堵，存在安全隐患", "反映某单位工作人员办事推诿", "要求落实退役军人优抚待遇",
	"商户占道经营影响通行", "宅基地确权登记问题", "供暖温度不达标",
};
static const char *const bodies[] = {
	"该问题已持续较长时间，多次向相关部门反映均未得到解决，严重影响了周边居民的正常生活。恳请有关部门尽快调查处理，并给予书面答复。",
	"本人及家人长期居住于此，近期情况愈发严重。我们曾与对方协商未果，希望政府部门依法依规处理，维护群众合法权益。",
	"据了解，类似问题在本区其他地方也有发生。建议加强日常监管，建立长效机制，避免问题反复出现。",
};

/*
 * The mix of case types a district sees (share of all cases, per mille), by
 * type name; a loaded type not listed gets DEMO_OTHER_SHARE.  Grid events
 * are the bulk of a district's matters, then petitions and disputes; tips
 * and joint cases are few.  Types not loaded are skipped.
 */
static const struct { const char *type; int share; } type_mix[] = {
	{ "grid_event", 450 }, { "petition", 300 }, { "dispute", 160 }, { "tip", 40 },
	{ "joint_case", 50 },
};
#define DEMO_OTHER_SHARE 50

/* Per-type titles; the generic topics serve types without their own. */
static const char *const grid_topics[] = {
	"暴露垃圾无人清运", "井盖缺失存在安全隐患", "路灯损坏夜间无照明", "占道经营影响通行",
	"违规张贴小广告", "施工工地夜间噪音扰民", "行道树倒伏阻断道路", "自来水管破裂路面积水",
};
static const char *const tip_topics[] = {
	"举报有人在农贸市场强揽生意、欺行霸市", "举报某村干部为非法采砂团伙充当保护伞",
	"举报地下赌场长期聚赌", "举报有人以暴力手段催收高利贷",
};

struct gen_type {
	const wf_def_t *def;
	const wf_category_t **cats;  /* leaf categories */
	size_t ncats;
	int share;
};

struct gen_tx {
	pa_app_t *app;
	arena_t *a;
	struct gen_type *types;
	size_t ntypes;
	int total_share;
	int64_t count;
	uint32_t *seed;
	pa_id_t *units;
	size_t nunits;
	pa_id_t intake;
	const orgtree_t *tree;
	pa_id_t committee;         /* the political-legal committee: owns joint cases */
	pa_time_t now;
};

static const struct gen_type *pick_type(struct gen_tx *g)
{
	int r = (int)(rnd(g->seed) % (uint32_t)g->total_share);
	for (size_t i = 0; i < g->ntypes; i++) {
		if (r < g->types[i].share)
			return &g->types[i];
		r -= g->types[i].share;
	}
	return &g->types[0];
}

static int gen_tx_fn(store_tx_t *tx, void *arg)
{
	struct gen_tx *g = arg;
	for (int64_t i = 0; i < g->count; i++) {
		const struct gen_type *gt = pick_type(g);
		const wf_def_t *def = gt->def;
		uint32_t r = rnd(g->seed);
		/* a joint case is owned by the committee, its participants' only (authz rule 5) */
		bool joint = streq(def->type, "joint_case");
		pa_time_t created = g->now - (pa_time_t)(rnd(g->seed) % (365u * 86400u));
		const wf_state_t *st = &def->states[r % def->nstates];
		const wf_category_t *cat = gt->ncats ? gt->cats[rnd(g->seed) % gt->ncats] : NULL;
		const char *cat_code = cat ? cat->code : "";
		int year, m, d;
		calendar_local_date(g->app->cal, created, &year, &m, &d);
		int64_t seq;
		int rc = store_tx_next_number(tx, def->number_prefix, year, &seq);
		if (rc < 0)
			return rc;
		/* grid events move in hours, the others in days */
		uint32_t span = def->location != WF_LOCATION_NONE ? 2u * 86400u : 20u * 86400u;
		pa_time_t entered = created + (pa_time_t)(rnd(g->seed) % span);
		pa_time_t due = 0;
		wf_case_state_due(g->app->cal, def, cat_code, st, created, entered, &due);
		/* Leave the data as the server would have: a state whose window closes
		 * by itself has not passed it yet, and a late case is marked overdue —
		 * so the first timer pass has nothing to repair. */
		bool overdue = false;
		if (!st->terminal && due && due <= g->now) {
			if (st->timeout) {
				entered = g->now - (pa_time_t)(rnd(g->seed) % (5u * 86400u));
				if (entered < created)
					entered = created;
				wf_case_state_due(g->app->cal, def, cat_code, st, created, entered, &due);
			} else {
				overdue = true;
			}
		}
		/* the initial state is with the registering unit; later ones anywhere */
		pa_id_t owner = streq(st->name, def->initial) ? g->intake
		                                              : g->units[rnd(g->seed) % g->nunits];
		if (joint && g->committee)
			owner = g->committee;
		/* a sixth of accusations name a unit: never the owner or one above it */
		pa_id_t accused = 0;
		if (cat && cat->accusation && rnd(g->seed) % 6 == 0) {
			accused = g->units[rnd(g->seed) % g->nunits];
			if (orgtree_is_within(g->tree, owner, accused) ||
			    orgtree_is_within(g->tree, g->intake, accused))
				accused = 0;
		}
		const char *title;
		const char *channel = (rnd(g->seed) & 1) ? "web" : "visit";
		if (def->location != WF_LOCATION_NONE) {
			title = arena_printf(g->a, "%s%s", places[rnd(g->seed) % ARRAY_SIZE(places)],
			                     grid_topics[rnd(g->seed) % ARRAY_SIZE(grid_topics)]);
			channel = (rnd(g->seed) % 4) ? "grid" : "hotline";
		} else if (def->contact_sealed) {
			title = tip_topics[rnd(g->seed) % ARRAY_SIZE(tip_topics)];
			channel = (rnd(g->seed) % 3) ? "web" : "letter";
		} else {
			title = arena_printf(g->a, "%s%s", places[rnd(g->seed) % ARRAY_SIZE(places)],
			                     topics[rnd(g->seed) % ARRAY_SIZE(topics)]);
		}
		/* a joint case has one or two participating agencies, each at the
		 * first stage of its track: they find it in their inboxes */
		pa_id_t parts[2] = { 0, 0 };
		const char *joint_data = "{\"participants\":[],\"participants_only\":true}";
		if (joint && def->ntracks) {
			strbuf_t pd = STRBUF_INIT;
			strbuf_adds(&pd, "{\"participants\":[");
			size_t want = 1 + rnd(g->seed) % 2, got = 0, norg = orgtree_count(g->tree);
			for (size_t tries = 0; got < want && tries < 8 && norg; tries++) {
				const pa_org_t *o = orgtree_at(g->tree, rnd(g->seed) % norg);
				const wf_track_t *tr = o->is_unit && !o->disabled ? wf_find_track(def, o->kind) : NULL;
				if (!tr || o->id == parts[0] || o->id == owner)
					continue;
				strbuf_addf(&pd, "%s{\"org_id\":%lld,\"kind\":\"%s\",\"stage\":\"%s\",\"since\":%lld}",
				            got ? "," : "", (long long)o->id, tr->kind, tr->stages[0].code,
				            (long long)created);
				parts[got++] = o->id;
			}
			strbuf_adds(&pd, "],\"participants_only\":true}");
			joint_data = arena_strdup(g->a, pd.buf);
			strbuf_release(&pd);
		}
		char qh[PA_HASH_HEX];
		random_hex(qh, 32);
		pa_case_t cs = {
			.number = arena_printf(g->a, "%s-%d-%06lld", def->number_prefix, year, (long long)seq),
			.type = def->type, .category = cat_code, .title = title,
			.body = bodies[rnd(g->seed) % ARRAY_SIZE(bodies)],
			.channel = channel, .state = st->name, .is_open = !st->terminal,
			.intake_org_id = g->intake, .owner_org_id = owner, .accused_org_id = accused,
			.created_at = created, .updated_at = entered, .state_entered_at = entered,
			.due_at = due && !st->terminal ? due : PA_NO_DUE, .overdue = overdue,
			.query_hash = arena_strdup(g->a, qh),
			.data = joint ? joint_data : "{}", .version = 1,
		};
		if (def->location != WF_LOCATION_NONE) {
			/* around the district's centre, within about 5 km */
			cs.has_point = true;
			cs.lat = 26.0745 + ((double)(rnd(g->seed) % 10001) - 5000.0) / 100000.0;
			cs.lng = 119.2965 + ((double)(rnd(g->seed) % 10001) - 5000.0) / 100000.0;
			cs.address = arena_printf(g->a, "%s%u号附近", places[rnd(g->seed) % ARRAY_SIZE(places)],
			                          rnd(g->seed) % 200 + 1);
		}
		pa_id_t id;
		if ((rc = store_tx_case_insert(tx, &cs, &id)) < 0)
			return rc;
		for (size_t k = 0; k < 2 && parts[k]; k++)
			if ((rc = store_tx_case_participant_add(tx, id, parts[k])) < 0)
				return rc;
		pa_event_t ev = { .case_id = id, .at = created, .kind = "created", .to_state = st->name,
		                  .actor_name = "public", .public = true,
		                  .data = arena_printf(g->a, "{\"channel\":\"%s\"}", channel) };
		pa_id_t evid;
		if ((rc = store_tx_event_insert(tx, &ev, &evid)) < 0)
			return rc;
	}
	return 0;
}

static int seed_audit_fn(store_tx_t *tx, void *detail)
{
	return audit_append(tx, pa_now(), "cli", "seed.generate", "cases", detail);
}

int demo_generate(pa_app_t *app, int64_t n, uint32_t seed, void (*progress)(double), pa_err_t *err)
{
	arena_t *a = arena_new();
	const wf_registry_t *reg = app->wf;
	struct gen_type *types = arena_zalloc(a, (reg ? reg->ndefs : 0) * sizeof(*types) + sizeof(*types));
	size_t nt = 0;
	int total = 0;
	for (size_t i = 0; reg && i < reg->ndefs; i++) {
		const wf_def_t *def = reg->defs[i];
		struct gen_type *gt = &types[nt];
		gt->def = def;
		gt->share = DEMO_OTHER_SHARE;
		for (size_t k = 0; k < ARRAY_SIZE(type_mix); k++)
			if (streq(type_mix[k].type, def->type))
				gt->share = type_mix[k].share;
		gt->cats = arena_alloc(a, (def->ncategories + 1) * sizeof(*gt->cats));
		for (size_t k = 0; k < def->ncategories; k++)
			if (!def->categories[k].has_children)
				gt->cats[gt->ncats++] = &def->categories[k];
		total += gt->share;
		nt++;
	}
	if (!nt) {
		arena_free(a);
		return pa_fail(err, PA_ENOTFOUND, "config", NULL, "no workflow is loaded");
	}
	orgtree_t *t = orgcache_get(app->orgs);
	pa_id_t *units = arena_alloc(a, (orgtree_count(t) + 1) * sizeof(pa_id_t));
	size_t nu = 0;
	for (size_t i = 0; i < orgtree_count(t); i++)
		if (orgtree_at(t, i)->is_unit)
			units[nu++] = orgtree_at(t, i)->id;
	const pa_org_t *intake = orgtree_find_code(t, app->cfg->intake_org);
	pa_id_t intake_id = intake ? intake->id : (nu ? units[0] : 0);
	pa_id_t committee = 0;
	for (size_t i = 0; i < orgtree_count(t) && !committee; i++)
		if (streq(orgtree_at(t, i)->kind, "political_legal_committee"))
			committee = orgtree_at(t, i)->id;
	if (!nu) {
		orgtree_release(t);
		arena_free(a);
		return pa_fail(err, PA_ENOTFOUND, "config", NULL, "there are no units: run `pingan init --demo` first");
	}
	if (!seed)
		seed = 2463534242u;
	int rc = 0;
	const int64_t batch = 2000;
	for (int64_t done = 0; done < n && rc == 0;) {
		arena_t *ba = arena_new();
		struct gen_tx g = { .app = app, .a = ba, .types = types, .ntypes = nt, .total_share = total,
		                    .count = n - done < batch ? n - done : batch, .seed = &seed,
		                    .units = units, .nunits = nu, .intake = intake_id, .tree = t, .committee = committee,
		                    .now = pa_now() };
		rc = store_write(app->store, gen_tx_fn, &g, err);
		arena_free(ba);
		done += g.count;
		if (progress)
			progress((double)done / (double)n);
	}
	if (rc == 0) {
		char detail[64];
		snprintf(detail, sizeof(detail), "{\"generated\":%lld}", (long long)n);
		rc = store_write(app->store, seed_audit_fn, detail, err);
	}
	orgtree_release(t);
	arena_free(a);
	return rc;
}
