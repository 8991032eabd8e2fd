#include "base/common.h"
#include "api/api.h"

int h_healthz(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	int version = 0;
	int rc = store_schema_version(app->store, &version);
	if (rc < 0)
		return pa_fail(&req->err, PA_EUNAVAIL, "unavailable", NULL, "the database is not reachable");
	http_resp_json(resp, 200, json_pack("{s:s, s:s, s:i}", "status", "ok", "version", PINGAN_VERSION,
	                                    "schema", version));
	return 0;
}

int h_metrics(http_req_t *req, http_resp_t *resp)
{
	pa_app_t *app = api_app(req);
	strbuf_t out = STRBUF_INIT;
	http_metrics_render(&out);
	int64_t open = 0, overdue = 0;
	if (store_case_counts(store_reader(app->store), pa_now(), &open, &overdue) == 0) {
		strbuf_addf(&out,
		            "# HELP pingan_cases_open Cases not in a terminal state.\n"
		            "# TYPE pingan_cases_open gauge\npingan_cases_open %lld\n"
		            "# HELP pingan_cases_overdue Open cases past their due time.\n"
		            "# TYPE pingan_cases_overdue gauge\npingan_cases_overdue %lld\n",
		            (long long)open, (long long)overdue);
	}
	int64_t pending = 0, sent = 0, dead = 0;
	if (store_outbox_counts(store_reader(app->store), &pending, &sent, &dead) == 0) {
		strbuf_addf(&out,
		            "# HELP pingan_outbox_messages Notifications in the outbox, by status "
		            "(dead: given up; see `pingan outbox`).\n"
		            "# TYPE pingan_outbox_messages gauge\n"
		            "pingan_outbox_messages{status=\"pending\"} %lld\n"
		            "pingan_outbox_messages{status=\"sent\"} %lld\n"
		            "pingan_outbox_messages{status=\"dead\"} %lld\n",
		            (long long)pending, (long long)sent, (long long)dead);
	}
	int64_t commits = 0, writes = 0;
	store_stats(app->store, &commits, &writes);
	strbuf_addf(&out,
	            "# HELP pingan_store_commits_total Write transactions committed (group commit: "
	            "each holds one or more writes).\n"
	            "# TYPE pingan_store_commits_total counter\npingan_store_commits_total %lld\n"
	            "# HELP pingan_store_writes_total Writes run by the store's writer.\n"
	            "# TYPE pingan_store_writes_total counter\npingan_store_writes_total %lld\n",
	            (long long)commits, (long long)writes);
	http_resp_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", out.buf, out.len);
	strbuf_release(&out);
	return 0;
}
