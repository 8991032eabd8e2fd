/*
 * docs_bench.c — how fast Pingan renders and issues documents (文书).
 *
 *   docs_bench render SHARE_DIR CACHE_DIR N THREADS
 *       renders N single-page notices of acceptance (zh-CN, sample data,
 *       each with its own number) in THREADS threads, in memory: the
 *       renderer alone (Pango layout, cairo PDF with font subsetting, QR).
 *   docs_bench issue SHARE_DIR DATA_DIR N THREADS
 *       a fresh data directory (demo district), N petitions accepted (one
 *       notice each, queued with the step), then THREADS threads running the
 *       generators' loop (docgen_run_once) until all N are issued:
 *       numbering, rendering, storing the PDF durably, the attachment,
 *       timeline event and audit record — end to end.
 *
 * Prints one line per phase: "BENCH phase=… docs=N seconds=S docs_per_s=R".
 * Built by bench/docs_bench.sh against build/libpingan_lib.a.
 */
#include "base/common.h"
#include "core/cases.h"
#include "core/demo.h"
#include "core/docgen.h"
#include "core/docs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct render_arg {
	docs_t *docs;
	int from, to;
};

static void *render_worker(void *p)
{
	struct render_arg *r = p;
	const doc_template_t *t = docs_find(r->docs, "acceptance", "zh-CN", NULL);
	strbuf_t pdf = STRBUF_INIT;
	arena_t *a = arena_new();
	for (int i = r->from; i < r->to; i++) {
		json_t *vars = doc_template_sample(t);
		json_object_set_new(vars, "doc_number",
		                    json_string(doc_template_number(a, t, "district-xfj", "平信", 2026, i + 1)));
		doc_render_in_t in = { t, vars };
		int pages = 0;
		pa_err_t err = { 0 };
		if (docs_render(r->docs, &in, 1, &pdf, &pages, &err) < 0 || pages != 1) {
			fprintf(stderr, "render failed: %s (pages %d)\n", err.detail, pages);
			exit(1);
		}
		json_decref(vars);
	}
	strbuf_release(&pdf);
	arena_free(a);
	return NULL;
}

static int bench_render(const char *share, const char *cache, int n, int threads)
{
	char tpl[4096];
	snprintf(tpl, sizeof(tpl), "%s/templates/docs", share);
	docs_options_t o = { .templates_dir = tpl, .cache_dir = cache };
	docs_t *docs;
	pa_err_t err = { 0 };
	if (docs_open(&o, &docs, &err) < 0) {
		fprintf(stderr, "%s\n", err.detail);
		return 1;
	}
	/* warm-up: font subsets, font maps */
	struct render_arg warm = { docs, 0, 1 };
	render_worker(&warm);
	pthread_t th[64];
	struct render_arg args[64];
	if (threads < 1 || threads > 64)
		threads = 1;
	double t0 = now_s();
	for (int i = 0; i < threads; i++) {
		args[i] = (struct render_arg){ docs, n * i / threads, n * (i + 1) / threads };
		pthread_create(&th[i], NULL, render_worker, &args[i]);
	}
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double dt = now_s() - t0;
	printf("BENCH phase=render threads=%d docs=%d seconds=%.3f docs_per_s=%.1f\n", threads, n, dt,
	       n / dt);
	docs_close(docs);
	return 0;
}

static void *issue_worker(void *p)
{
	pa_app_t *app = p;
	for (;;) {
		int issued = 0;
		pa_err_t err = { 0 };
		if (docgen_run_once(app, DOCGEN_BATCH, &issued, &err) < 0) {
			fprintf(stderr, "%s\n", err.detail);
			exit(1);
		}
		if (issued == 0)
			return NULL;
	}
}

static int bench_issue(const char *share, const char *data, int n, int threads)
{
	pa_config_t cfg;
	config_init(&cfg);
	pa_err_t err = { 0 };
	char keys[4096];
	mkdir(data, 0700);
	snprintf(keys, sizeof(keys), "%s/keys", data);
	mkdir(keys, 0700);
	if (config_set(&cfg, "data", data, "bench", &err) < 0 ||
	    config_set(&cfg, "share_dir", share, "bench", &err) < 0 || config_finalize(&cfg, &err) < 0 ||
	    crypto_init() < 0 || keys_generate_file(cfg.keys_file, &err) < 0) {
		fprintf(stderr, "%s\n", err.detail);
		return 1;
	}
	pa_app_t app;
	if (app_open(&app, &cfg, APP_MIGRATE, &err) < 0 ||
	    demo_seed(&app, "Admin-Pass-2026", "Demo-Pass-2026", &err) < 0) {
		fprintf(stderr, "%s\n", err.detail);
		return 1;
	}
	arena_t *a = arena_new();
	pa_user_t u;
	store_user_get_by_name(store_reader(app.store), a, "intake", &u);
	orgtree_t *tree = orgcache_get(app.orgs);
	pa_principal_t staff = { .kind = PRINCIPAL_STAFF, .user_id = u.id, .username = u.username,
		                     .display_name = u.display_name, .roles = u.roles, .nroles = u.nroles,
		                     .tree = tree };
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	case_input_t in = { .type = "petition", .category = "grievance", .title = "小区电梯长期故障",
		                .body = "三号楼电梯停运两个月，物业不予维修。", .has_contact = true,
		                .contact = { .name = "张三", .phone = "13800138000" } };
	/* warm the renderer (font subsets) outside the measured time */
	{
		json_t *v = doc_template_sample(docs_find(app.docs, "acceptance", "zh-CN", NULL));
		doc_render_in_t ri = { docs_find(app.docs, "acceptance", "zh-CN", NULL), v };
		strbuf_t pdf = STRBUF_INIT;
		int pages;
		docs_render(app.docs, &ri, 1, &pdf, &pages, &err);
		strbuf_release(&pdf);
		json_decref(v);
	}
	arena_t *la = arena_new();
	for (int i = 0; i < n; i++) {
		arena_reset(la);
		pa_case_t cs, out;
		char code[PA_QUERY_CODE_LEN + 1];
		if (cases_create(&app, la, &pub, &in, &cs, code, &err) < 0 ||
		    cases_transition(&app, la, &staff, &cs, "accept", NULL, 0, &out, &err) < 0) {
			fprintf(stderr, "%s\n", err.detail);
			return 1;
		}
	}
	arena_free(la);
	/* The generators' loop (docgen_run_once), in THREADS threads of normal
	 * priority: `pingan serve` runs the same loop at nice 19, which on a
	 * busy machine measures the machine, not the pipeline. */
	double t0 = now_s();
	pthread_t th[64];
	if (threads < 1 || threads > 64)
		threads = 1;
	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, issue_worker, &app);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double dt = now_s() - t0;
	int64_t queued = 0, done = 0, failed = 0;
	store_documents_counts(store_reader(app.store), &queued, &done, &failed);
	printf("BENCH phase=issue threads=%d docs=%lld failed=%lld seconds=%.3f docs_per_s=%.1f\n",
	       threads, (long long)done, (long long)failed, dt, (double)done / dt);
	orgtree_release(tree);
	arena_free(a);
	app_close(&app);
	config_free(&cfg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: docs_bench render SHARE_DIR CACHE_DIR N THREADS\n"
		                "       docs_bench issue SHARE_DIR DATA_DIR N THREADS\n");
		return 2;
	}
	int n = atoi(argv[4]), threads = atoi(argv[5]);
	if (streq(argv[1], "render"))
		return bench_render(argv[2], argv[3], n, threads);
	if (streq(argv[1], "issue"))
		return bench_issue(argv[2], argv[3], n, threads);
	return 2;
}
