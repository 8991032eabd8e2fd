/*
 * cmd_serve.c — `pingan serve`: open the app, start HTTP and the timer,
 * wait for SIGTERM/SIGINT, then stop accepting, let requests in flight
 * finish, flush and exit 0.
 */
#include "base/common.h"
#include "api/api.h"
#include "cli/cli.h"
#include "core/timer.h"
#include "core/sender.h"
#include "core/docgen.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static const cli_opt_t opts[] = {
	{ "listen", 'l', true, "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 = any free port)" },
	{ "threads", 't', true, "HTTP worker threads" },
	{ "test-clock", 0, false, "enable /api/test/* to move time (tests only; never in production)" },
};

int cmd_serve(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, "usage: pingan serve [--data DIR] [--listen HOST:PORT]", opts,
	                   ARRAY_SIZE(opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	pa_err_t err = { 0 };
	if ((cli_has(&a, "listen") && config_set(&cfg, "listen", cli_get(&a, "listen"), "--listen", &err) < 0) ||
	    (cli_has(&a, "threads") && config_set(&cfg, "threads", cli_get(&a, "threads"), "--threads", &err) < 0) ||
	    (cli_has(&a, "test-clock") && config_set(&cfg, "test_clock", "true", "--test-clock", &err) < 0) ||
	    config_finalize(&cfg, &err) < 0) {
		cli_error(&err);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	log_set_level(streq(cfg.log_level, "debug") ? LOG_DEBUG
	              : streq(cfg.log_level, "warn") ? LOG_WARN
	              : streq(cfg.log_level, "error") ? LOG_ERROR : LOG_INFO);
	int64_t t0 = pa_mono_us();
	/* Every worker thread would otherwise get its own malloc arena: with 32
	 * threads that is most of the resident memory and buys nothing here. */
	mallopt(M_ARENA_MAX, 2);

	/* Signals are taken by sigwait below; block them before any thread starts. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	pa_app_t app;
	if ((rc = app_open(&app, &cfg, APP_MIGRATE, &err)) < 0) {
		cli_error(&err);
		config_free(&cfg);
		return rc == PA_EUNAVAIL ? EXIT_FAIL : EXIT_CONFIG;
	}
	if (cfg.test_clock) {
		pa_clock_enable_test(true);
		log_warn("TEST CLOCK ENABLED: /api/test/* can move time. Never run production like this.");
	}
	size_t nroutes = 0;
	const http_route_t *routes = api_all_routes(&nroutes);
	char tile_origin[300];
	config_map_tile_origin(cfg.map_tile_url, tile_origin, sizeof(tile_origin));
	http_server_config_t hc = {
		.host = cfg.listen_host, .port = cfg.listen_port, .threads = cfg.threads,
		.write_threads = cfg.write_threads,
		.max_body = (size_t)cfg.max_body, .max_json = (size_t)cfg.max_json,
		.conn_timeout_s = cfg.conn_timeout_s, .routes = routes, .nroutes = nroutes,
		.authenticate = api_authenticate, .static_dir = cfg.web_dir,
		.img_src_extra = tile_origin,
		.public_rate_per_min = cfg.public_rate,
		.public_rate_burst = cfg.public_burst, .app = &app,
	};
	http_server_t *srv = NULL;
	if ((rc = http_server_start(&hc, &srv, &err)) < 0) {
		cli_error(&err);
		app_close(&app);
		config_free(&cfg);
		return EXIT_FAIL;
	}
	pa_timer_t *timer = timer_start(&app, cfg.timer_interval_s);
	/* notifications: the outbox is delivered next to the timer */
	pa_sender_t *sender = sender_start(&app, cfg.notify_interval_s);
	/* written documents (文书) are rendered off the request threads */
	if (docgen_start(&app, 0, &err) < 0)
		log_warn("documents will not be generated: %s", err.detail);
	const char *host = cfg.listen_host;
	bool v6 = strchr(host, ':') != NULL;
	printf("pingan %s listening on http://%s%s%s:%d (data %s, started in %lld ms)\n", PINGAN_VERSION,
	       v6 ? "[" : "", host, v6 ? "]" : "", http_server_port(srv), cfg.data_dir,
	       (long long)(pa_mono_us() - t0) / 1000);
	fflush(stdout);

	int sig = 0;
	sigwait(&sigs, &sig);
	log_info("received %s: stopping (requests in flight may finish)", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	/* stop accepting first: the timer's pass or a notification being sent
	 * may take a while to end, and nothing new should arrive meanwhile */
	atomic_store(&app.stopping, true);
	http_server_stop(srv, cfg.shutdown_grace_ms);
	timer_stop(timer);
	sender_stop(sender);
	docgen_stop(&app);
	app_close(&app);
	config_free(&cfg);
	log_info("stopped cleanly");
	return EXIT_OK;
}
