/*
 * cmd_outbox.c — `pingan outbox list | show | retry`: look into the
 * notification outbox and give dead messages another chance.
 *
 * Addresses stay sealed here: `recipient` is the mask stored with the
 * message.  A retry is a write (with an audit record) that makes the
 * message pending now with its attempts reset; a running server's sender
 * delivers it on its next pass.
 */
#include "base/common.h"
#include "cli/cli.h"
#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>

static const char outbox_usage[] =
	"usage: pingan outbox list [--status pending|sent|dead] [-n N]\n"
	"       pingan outbox show ID\n"
	"       pingan outbox retry ID | --all-dead\n"
	"Notifications waiting, sent and dead (given up after notify.max_attempts attempts).";

static const cli_opt_t outbox_opts[] = {
	{ "status", 's', true, "only messages in this status: pending, sent or dead (list)" },
	{ "lines", 'n', true, "messages to show, newest first (list; default 50)" },
	{ "all-dead", 0, false, "retry every dead message (retry)" },
};

static bool parse_id(const char *s, pa_id_t *id)
{
	char *end = NULL;
	long long v = s ? strtoll(s, &end, 10) : 0;
	if (!s || !*s || *end || v <= 0)
		return false;
	*id = v;
	return true;
}

static void time_text(const pa_config_t *cfg, pa_time_t t, char out[32])
{
	if (t <= 0) {
		snprintf(out, 32, "-");
		return;
	}
	pa_time_format(t, cfg->utc_offset_min, out);
}

static int do_list(pa_app_t *app, const pa_config_t *cfg, const cli_args_t *a)
{
	const char *status = cli_get(a, "status");
	if (status && !streq(status, "pending") && !streq(status, "sent") && !streq(status, "dead")) {
		fprintf(stderr, "pingan: --status must be pending, sent or dead\n");
		return EXIT_USAGE;
	}
	long n = cli_has(a, "lines") ? strtol(cli_get(a, "lines"), NULL, 10) : 50;
	if (n < 1 || n > STORE_LIST_MAX) {
		fprintf(stderr, "pingan: -n must be 1..%d\n", STORE_LIST_MAX);
		return EXIT_USAGE;
	}
	arena_t *ar = arena_new();
	pa_outbox_t *ms;
	size_t cnt;
	int64_t pending, sent, dead;
	store_conn_t *c = store_reader(app->store);
	if (store_outbox_list(c, ar, status, 0, (int)n, &ms, &cnt) < 0 ||
	    store_outbox_counts(c, &pending, &sent, &dead) < 0) {
		fprintf(stderr, "pingan: could not read the outbox\n");
		arena_free(ar);
		return EXIT_FAIL;
	}
	printf("%-6s %-7s %-7s %-10s %-8s %-22s %3s  %-25s %s\n", "ID", "STATUS", "CHANNEL", "KIND",
	       "CASE", "RECIPIENT", "TRY", "NEXT ATTEMPT / SENT", "LAST ERROR");
	for (size_t i = 0; i < cnt; i++) {
		const pa_outbox_t *m = &ms[i];
		char t[32];
		time_text(cfg, streq(m->status, "sent") ? m->sent_at
		               : streq(m->status, "dead") ? 0 : m->next_attempt_at, t);
		char case_id[24];
		snprintf(case_id, sizeof(case_id), m->case_id ? "%lld" : "-", (long long)m->case_id);
		printf("%-6lld %-7s %-7s %-10s %-8s %-22.22s %3d  %-25s %.60s\n", (long long)m->id,
		       m->status, m->channel, m->kind && *m->kind ? m->kind : "-", case_id, m->recipient,
		       m->attempts, t, m->last_error ? m->last_error : "");
	}
	printf("\n%lld pending, %lld sent, %lld dead\n", (long long)pending, (long long)sent,
	       (long long)dead);
	arena_free(ar);
	return EXIT_OK;
}

static int do_show(pa_app_t *app, const pa_config_t *cfg, const cli_args_t *a)
{
	pa_id_t id;
	if (a->npos != 2 || !parse_id(a->pos[1], &id)) {
		fprintf(stderr, "%s\n", outbox_usage);
		return EXIT_USAGE;
	}
	arena_t *ar = arena_new();
	pa_outbox_t m;
	int rc = store_outbox_get(store_reader(app->store), ar, id, &m);
	if (rc < 0) {
		fprintf(stderr, "pingan: %s\n", rc == PA_ENOTFOUND ? "no such outbox message"
		                                                   : "could not read the outbox");
		arena_free(ar);
		return EXIT_FAIL;
	}
	char created[32], next[32], sent[32], updated[32];
	time_text(cfg, m.created_at, created);
	time_text(cfg, m.next_attempt_at, next);
	time_text(cfg, m.sent_at, sent);
	time_text(cfg, m.updated_at, updated);
	printf("id:            %lld\n", (long long)m.id);
	printf("delivery id:   %s\n", m.uid ? m.uid : "-");
	printf("status:        %s\n", m.status);
	printf("channel:       %s\n", m.channel);
	printf("kind:          %s\n", m.kind && *m.kind ? m.kind : "-");
	printf("case:          %s\n", m.case_id ? arena_printf(ar, "%lld", (long long)m.case_id) : "-");
	printf("recipient:     %s%s\n", m.recipient,
	       m.recipient_sealed.len ? " (address encrypted)" : "");
	printf("language:      %s\n", m.lang ? m.lang : "-");
	printf("created:       %s\n", created);
	printf("attempts:      %d\n", m.attempts);
	printf("next attempt:  %s\n", streq(m.status, "pending") ? next : "-");
	printf("sent:          %s\n", sent);
	printf("updated:       %s\n", updated);
	printf("last error:    %s\n", m.last_error && *m.last_error ? m.last_error : "-");
	if (m.subject && *m.subject)
		printf("subject:       %s\n", m.subject);
	printf("body:\n%s\n", m.body ? m.body : "");
	arena_free(ar);
	return EXIT_OK;
}

struct retry_tx {
	pa_id_t id;        /* 0 = every dead message */
	int64_t count;
	pa_time_t now;
	arena_t *a;
};

static int retry_tx_fn(store_tx_t *tx, void *arg)
{
	struct retry_tx *x = arg;
	int rc;
	if (x->id) {
		rc = store_tx_outbox_retry(tx, x->id, x->now);
		x->count = rc == 0;
	} else {
		rc = store_tx_outbox_retry_dead(tx, x->now, &x->count);
	}
	if (rc < 0 || x->count == 0)
		return rc;
	return audit_append(tx, x->now, "cli", "outbox.retry",
	                    x->id ? arena_printf(x->a, "outbox:%lld", (long long)x->id) : "outbox",
	                    arena_printf(x->a, "{\"messages\":%lld}", (long long)x->count));
}

static int do_retry(pa_app_t *app, const cli_args_t *a)
{
	bool all = cli_has(a, "all-dead");
	pa_id_t id = 0;
	if ((all && a->npos != 1) || (!all && (a->npos != 2 || !parse_id(a->pos[1], &id)))) {
		fprintf(stderr, "%s\n", outbox_usage);
		return EXIT_USAGE;
	}
	arena_t *ar = arena_new();
	struct retry_tx x = { .id = id, .now = pa_now(), .a = ar };
	pa_err_t err = { 0 };
	int rc = store_write(app->store, retry_tx_fn, &x, &err);
	arena_free(ar);
	if (rc < 0) {
		cli_error(&err);
		return EXIT_FAIL;
	}
	if (all)
		printf("%lld dead message%s will be retried\n", (long long)x.count, x.count == 1 ? "" : "s");
	else
		printf("message %lld will be retried\n", (long long)id);
	return EXIT_OK;
}

int cmd_outbox(int argc, char **argv)
{
	cli_args_t a;
	int rc = cli_parse(argc, argv, outbox_usage, outbox_opts, ARRAY_SIZE(outbox_opts), &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	const char *sub = a.npos ? a.pos[0] : NULL;
	if (!streq(sub, "list") && !streq(sub, "show") && !streq(sub, "retry")) {
		if (sub)
			fprintf(stderr, "pingan: unknown subcommand 'outbox %s'\n", sub);
		fprintf(stderr, "%s\n", outbox_usage);
		return EXIT_USAGE;
	}
	/* usage first: a wrong command line never needs the data directory */
	pa_id_t id = 0;
	bool all = cli_has(&a, "all-dead");
	bool ok = streq(sub, "list") ? a.npos == 1
	          : streq(sub, "show") ? a.npos == 2 && parse_id(a.pos[1], &id)
	          : all ? a.npos == 1 : a.npos == 2 && parse_id(a.pos[1], &id);
	if (!ok) {
		fprintf(stderr, "%s\n", outbox_usage);
		return EXIT_USAGE;
	}
	const char *status = cli_get(&a, "status");
	if (status && !streq(status, "pending") && !streq(status, "sent") && !streq(status, "dead")) {
		fprintf(stderr, "pingan: --status must be pending, sent or dead\n");
		return EXIT_USAGE;
	}
	pa_config_t cfg;
	if ((rc = cli_config(&a, &cfg)) != 0)
		return rc;
	pa_err_t err = { 0 };
	pa_app_t app;
	unsigned flags = APP_NO_KEYS | APP_NO_DEFS | (streq(sub, "retry") ? 0 : APP_READ_ONLY);
	if (app_open(&app, &cfg, flags, &err) < 0) {
		cli_error(&err);
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	if (streq(sub, "list"))
		rc = do_list(&app, &cfg, &a);
	else if (streq(sub, "show"))
		rc = do_show(&app, &cfg, &a);
	else
		rc = do_retry(&app, &a);
	app_close(&app);
	config_free(&cfg);
	return rc;
}
