/*
 * test_notify.c — notifications: template loading and validation, rendering
 * in both languages, the HMAC signature (RFC 4231 vectors), the retry
 * schedule, RFC 2047 subjects, the e-mail message, the SMS gateway URL; and,
 * against a real app (temporary data directory, real SQLite, the shipped
 * workflow and templates): the outbox rows a notice writes in its own
 * transaction (all or nothing under fault injection, addresses never in
 * clear), reminders and escalations exactly once, and the sender's retries,
 * dead letters and revival against a receiver that is down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "app_fixture.h"
#include "base/common.h"
#include "core/audit.h"
#include "core/cases.h"
#include "core/demo.h"
#include "core/notify.h"
#include "core/reminders.h"
#include "core/sender.h"

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define DAY 86400

static void assert_contains(const char *hay, const char *needle)
{
	if (!hay || !strstr(hay, needle))
		fail_msg("expected \"%s\" in \"%s\"", needle, hay ? hay : "(null)");
}

/* ---- templates ------------------------------------------------------------------------------ */

static const char good_alert[] =
	"webhook:\n"
	"  zh-CN: \"{unit}：{number} 已用去{percent}%（{{提醒}}）\"\n"
	"  en: \"{unit}: {number} used {percent}% ({{reminder}})\"\n";

static void test_template_valid_and_rendered(void **state)
{
	notify_templates_t *t = notify_templates_new();
	pa_err_t err = { 0 };
	if (notify_templates_load_buffer(t, "reminder", good_alert, strlen(good_alert), "r.yaml", &err))
		fail_msg("%s", err.detail);
	arena_t *a = arena_new();
	json_t *v = json_pack("{s:s, s:s, s:i}", "unit", "平安区信访局", "number", "XF-2026-000001",
	                      "percent", 80);
	assert_string_equal(notify_render(a, t, "reminder", "webhook", "zh-CN", v),
	                    "平安区信访局：XF-2026-000001 已用去80%（{提醒}）");
	assert_string_equal(notify_render(a, t, "reminder", "webhook", "en", v),
	                    "平安区信访局: XF-2026-000001 used 80% ({reminder})");
	/* an unknown language is zh-CN; a part the event has not got is NULL */
	assert_string_equal(notify_render(a, t, "reminder", "webhook", "fr", v),
	                    "平安区信访局：XF-2026-000001 已用去80%（{提醒}）");
	assert_null(notify_render(a, t, "reminder", "sms", "zh-CN", v));
	assert_null(notify_render(a, t, "escalation", "webhook", "zh-CN", v)); /* not loaded */
	json_decref(v);
	arena_free(a);
	notify_templates_free(t);
}

static void test_template_errors_name_file_and_placeholder(void **state)
{
	static const struct {
		const char *event, *text, *expect1, *expect2;
	} cases[] = {
		{ "reminder", "webhook:\n  zh-CN: \"{number}\"\n  en: \"{phone} x\"\n", "bad.yaml:3:7: webhook.en",
		  "unknown placeholder {phone}" },
		{ "reminder", "webhook:\n  zh-CN: \"x\"\n", "bad.yaml:2:3: webhook", "missing the en text" },
		{ "reminder", "webhook:\n  zh-CN: a\n  en: b\n  fr: c\n", "bad.yaml:4:3: webhook",
		  "unknown language \"fr\"" },
		{ "reminder", "sms:\n  zh-CN: a\n  en: b\nwebhook:\n  zh-CN: a\n  en: b\n", "bad.yaml:1:1:",
		  "unknown key \"sms\" (a reminder template has: webhook)" },
		{ "notice", "webhook:\n  zh-CN: a\n  en: b\n", "bad.yaml:1:1: sms", "missing" },
		{ "notice",
		  "sms: {zh-CN: a, en: b}\nwebhook: {zh-CN: a, en: b}\nemail:\n  subject: {zh-CN: a, en: b}\n"
		  "  body: {zh-CN: a, en: b}\n  footer: {zh-CN: a, en: b}\n",
		  "bad.yaml:6:3: email", "unknown key \"footer\"" },
		{ "reminder", "webhook:\n  zh-CN: \"{number\"\n  en: b\n", "webhook.zh-CN", "malformed placeholder" },
		{ "reminder", "webhook:\n  zh-CN: \"{Number}\"\n  en: b\n", "webhook.zh-CN", "malformed placeholder" },
		{ "reminder", "webhook:\n  zh-CN: \"\"\n  en: b\n", "webhook.zh-CN", "must not be empty" },
		{ "reminder", "webhook: [a, b]\n", "bad.yaml:1:10: webhook", "expected a mapping" },
		{ "reminder", "webhook: {zh-CN: a, en: b, zh-CN: c}\n", "webhook.zh-CN", "appears twice" },
		{ "reminder", "webhook: {zh-CN: a, en: [b]}\n", "webhook.en", "expected a text" },
		{ "reminder", "webhook: {zh-CN: a\n", "bad.yaml:", "not YAML" },
		{ "reminder", "", "bad.yaml:1:1:", "holds no templates" },
		{ "nonsense", good_alert, "bad.yaml", "no event \"nonsense\"" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		notify_templates_t *t = notify_templates_new();
		pa_err_t err = { 0 };
		int rc = notify_templates_load_buffer(t, cases[i].event, cases[i].text,
		                                      strlen(cases[i].text), "bad.yaml", &err);
		if (rc != PA_EINVAL)
			fail_msg("case %zu: expected an error, got %d", i, rc);
		assert_contains(err.detail, cases[i].expect1);
		assert_contains(err.detail, cases[i].expect2);
		notify_templates_free(t);
	}
}

static void test_shipped_templates(void **state)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/templates/notify", fixture_source_dir());
	notify_templates_t *t;
	pa_err_t err = { 0 };
	if (notify_templates_load_dir(dir, &t, &err))
		fail_msg("%s", err.detail);
	arena_t *a = arena_new();
	json_t *v = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "number", "XF-2026-000007",
	                      "title", "电梯故障", "unit", "平安区信访局", "notice_title", "信访事项受理告知书",
	                      "notice_text", "您反映的信访事项已受理。", "date", "2026-11-29", "due",
	                      "2027-01-28", "type", "信访");
	char *sms = notify_render(a, t, "notice", "sms", "zh-CN", v);
	assert_contains(sms, "XF-2026-000007");
	assert_contains(sms, "信访事项受理告知书");
	char *body = notify_render(a, t, "notice", "email.body", "zh-CN", v);
	assert_contains(body, "您反映的信访事项已受理。");
	assert_contains(body, "平安区信访局");
	json_object_set_new(v, "notice_title", json_string("Notice of acceptance"));
	json_object_set_new(v, "type", json_string("Petition"));
	assert_string_equal(notify_render(a, t, "notice", "email.subject", "en", v),
	                    "Notice of acceptance (XF-2026-000007)");
	assert_contains(notify_render(a, t, "notice", "sms", "en", v), "Your case XF-2026-000007");
	assert_non_null(notify_render(a, t, "reminder", "webhook", "en", v));
	assert_non_null(notify_render(a, t, "escalation", "webhook", "zh-CN", v));
	json_decref(v);
	arena_free(a);
	notify_templates_free(t);

	/* a directory with a file for no known event is refused, naming the file */
	char tmp[] = "/tmp/pa-notify-tpl-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp %s/*.yaml %s/ && cp %s/notice.yaml %s/noticee.yaml", dir, tmp,
	         dir, tmp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(notify_templates_load_dir(tmp, &t, &err), PA_EINVAL);
	assert_contains(err.detail, "noticee.yaml: no event \"noticee\"");
	/* and one without a known event's file too */
	snprintf(cmd, sizeof(cmd), "rm %s/noticee.yaml %s/escalation.yaml", tmp, tmp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(notify_templates_load_dir(tmp, &t, &err), PA_EINVAL);
	assert_contains(err.detail, "escalation.yaml: missing");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
}

/* ---- pure helpers ------------------------------------------------------------------------------ */

/* notify_json_ascii gives jansson's JSON_ENSURE_ASCII bytes, and leaves ASCII alone */
static void test_json_ascii(void **state)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i}", "text", "您反映的“信访事项”已受理\n", "emoji",
	                      "\xF0\x9F\x98\x80 é", "quote", "a\"b\\c", "n", 1);
	char *utf8 = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	char *ascii = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	strbuf_t sb = STRBUF_INIT;
	notify_json_ascii(&sb, utf8);
	assert_string_equal(sb.buf, ascii);
	strbuf_reset(&sb);
	notify_json_ascii(&sb, ascii);
	assert_string_equal(sb.buf, ascii);
	strbuf_release(&sb);
	free(utf8);
	free(ascii);
	json_decref(j);
}

static void test_hmac_vectors(void **state)
{
	char hex[65];
	/* RFC 4231 test case 2 */
	notify_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 4231 test case 6: a key longer than the block */
	char key[131];
	memset(key, 0xaa, sizeof(key));
	const char *msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	notify_hmac_sha256_hex(key, sizeof(key), msg, strlen(msg), hex);
	assert_string_equal(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	notify_hmac_sha256_hex("", 0, "", 0, hex);
	assert_string_equal(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_backoff_schedule(void **state)
{
	static const int64_t expect[] = { 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600 };
	for (int i = 0; i < (int)ARRAY_SIZE(expect); i++)
		assert_int_equal(notify_backoff(i + 1, 60, 3600), expect[i]);
	assert_int_equal(notify_backoff(0, 60, 3600), 60);
	assert_int_equal(notify_backoff(1000000, 60, 21600), 21600); /* no overflow */
	assert_int_equal(notify_backoff(3, 1, 2), 2);
}

/* Decodes the encoded-words of a header value back to text. */
static char *decode_rfc2047(const char *v)
{
	static char out[4096];
	size_t o = 0;
	const char *p = v;
	while ((p = strstr(p, "=?UTF-8?B?"))) {
		p += 10;
		const char *end = strstr(p, "?=");
		assert_non_null(end);
		assert_true(end - p + 12 <= 75);
		size_t n = 0;
		assert_int_equal(sodium_base642bin((unsigned char *)out + o, sizeof(out) - o - 1, p,
		                                   (size_t)(end - p), NULL, &n, NULL,
		                                   sodium_base64_VARIANT_ORIGINAL),
		                 0);
		/* each word is whole UTF-8 on its own */
		out[o + n] = '\0';
		assert_true(n == 0 || ((unsigned char)out[o] & 0xC0) != 0x80);
		o += n;
		p = end + 2;
	}
	out[o] = '\0';
	return out;
}

static void test_rfc2047_subject(void **state)
{
	strbuf_t sb = STRBUF_INIT;
	notify_rfc2047(&sb, "Notice of acceptance (XF-2026-000001)");
	assert_string_equal(sb.buf, "Notice of acceptance (XF-2026-000001)");
	strbuf_reset(&sb);
	notify_rfc2047(&sb, "信访事项受理告知书");
	assert_string_equal(sb.buf, "=?UTF-8?B?5L+h6K6/5LqL6aG55Y+X55CG5ZGK55+l5Lmm?=");
	strbuf_reset(&sb);
	/* long: several words folded with CRLF SP, never split inside a character */
	const char *longer = "关于平安区东门社区幸福小区三号楼电梯长期故障无人维修问题的信访事项处理意见书（XF-2026-000123）";
	notify_rfc2047(&sb, longer);
	assert_contains(sb.buf, "?=\r\n =?UTF-8?B?");
	assert_string_equal(decode_rfc2047(sb.buf), longer);
	strbuf_reset(&sb);
	/* a line break cannot inject a header */
	notify_rfc2047(&sb, "主题\r\nBcc: x@example.org");
	assert_null(strstr(sb.buf, "\r\nBcc"));
	assert_string_equal(decode_rfc2047(sb.buf), "主题  Bcc: x@example.org");
	strbuf_reset(&sb);
	/* ASCII that looks like an encoded word is encoded itself */
	notify_rfc2047(&sb, "=?UTF-8?B?x?=");
	assert_string_equal(decode_rfc2047(sb.buf), "=?UTF-8?B?x?=");
	strbuf_release(&sb);
}

static void test_email_message(void **state)
{
	strbuf_t sb = STRBUF_INIT;
	assert_int_equal(notify_email_message(&sb, "平安区信访局 <noreply@pingan.example>", "zhang@example.org",
	                                      "受理告知书", "第一行\n第二行\n", 1796000000,
	                                      "abc123@pingan.example"),
	                 0);
	assert_contains(sb.buf, "From: =?UTF-8?B?");
	assert_contains(sb.buf, " <noreply@pingan.example>\r\n");
	assert_contains(sb.buf, "\r\nTo: zhang@example.org\r\n");
	assert_contains(sb.buf, "\r\nSubject: =?UTF-8?B?5Y+X55CG5ZGK55+l5Lmm?=\r\n");
	assert_contains(sb.buf, "\r\nDate: Mon, 30 Nov 2026 00:53:20 +0000");
	assert_contains(sb.buf, "\r\nMessage-ID: <abc123@pingan.example>\r\n");
	assert_contains(sb.buf, "Content-Type: text/plain; charset=UTF-8\r\n");
	const char *body = strstr(sb.buf, "\r\n\r\n");
	assert_non_null(body);
	body += 4;
	char plain[256];
	size_t n = 0;
	assert_int_equal(sodium_base642bin((unsigned char *)plain, sizeof(plain) - 1, body, strlen(body),
	                                   "\r\n", &n, NULL, sodium_base64_VARIANT_ORIGINAL),
	                 0);
	plain[n] = '\0';
	assert_string_equal(plain, "第一行\r\n第二行\r\n");
	/* every line ends in CRLF; no bare LF */
	for (const char *p = sb.buf; *p; p++)
		if (*p == '\n')
			assert_true(p > sb.buf && p[-1] == '\r');
	strbuf_reset(&sb);
	assert_int_equal(notify_email_message(&sb, "noreply@pingan.example", "not an address", "s", "b", 0,
	                                      "x@y"),
	                 PA_EINVAL);
	assert_int_equal(notify_email_message(&sb, "noreply@pingan.example", "a@b.org\r\nBcc: c@d.org", "s",
	                                      "b", 0, "x@y"),
	                 PA_EINVAL);
	strbuf_release(&sb);
}

static void test_addresses_and_gateway(void **state)
{
	assert_true(notify_email_valid("zhang.san+pa@example.org"));
	assert_true(notify_email_valid("a@b.cn"));
	assert_false(notify_email_valid("zhang"));
	assert_false(notify_email_valid("zhang@localhost"));
	assert_false(notify_email_valid("zh ang@example.org"));
	assert_false(notify_email_valid("a@@example.org"));
	assert_false(notify_email_valid(".a@example.org"));
	assert_false(notify_email_valid("a@example..org"));
	assert_false(notify_email_valid("张三@example.org"));
	arena_t *a = arena_new();
	assert_string_equal(notify_mask_email(a, "zhangsan@example.org"), "z***@example.org");
	const char *name, *addr;
	assert_int_equal(notify_parse_mailbox(a, "\"平安区 信访局\" <noreply@x.org>", &name, &addr), 0);
	assert_string_equal(name, "平安区 信访局");
	assert_string_equal(addr, "noreply@x.org");
	assert_int_equal(notify_parse_mailbox(a, " noreply@x.org ", &name, &addr), 0);
	assert_string_equal(name, "");
	assert_string_equal(addr, "noreply@x.org");
	assert_int_equal(notify_parse_mailbox(a, "x <a@b.org> trailing", &name, &addr), PA_EINVAL);
	arena_free(a);

	strbuf_t sb = STRBUF_INIT;
	notify_expand_gateway(&sb, "http://127.0.0.1:9/sms?to={phone}&text={text}&x={{1}}", "13800138000",
	                      "受理 A&B=1/~");
	assert_string_equal(sb.buf, "http://127.0.0.1:9/sms?to=13800138000&text=%E5%8F%97%E7%90%86%20A%26B%3D1%2F~&x={1}");
	strbuf_release(&sb);
	char why[160];
	assert_true(notify_gateway_template_valid("http://x/?p={phone}&t={text}", why, sizeof(why)));
	assert_false(notify_gateway_template_valid("http://x/?p={mobile}", why, sizeof(why)));
	assert_contains(why, "unknown placeholder {mobile}");
	assert_false(notify_gateway_template_valid("http://x/?p={phone", why, sizeof(why)));
}

/* ---- against a real app ---------------------------------------------------------------------------- */

static char dir[64];
static pa_config_t cfg;
static pa_app_t app;

static int app_setup(void **state)
{
	static const fixture_setting_t set[] = {
		/* port 1: nothing listens, so every delivery fails at once */
		{ "notify.webhook_url", "http://127.0.0.1:1/hook" },
		{ "notify.webhook_secret", "s3cret" },
		{ "notify.sms_url", "http://127.0.0.1:1/sms?to={phone}&text={text}" },
		{ "notify.smtp_url", "smtp://127.0.0.1:1" },
		{ "notify.smtp_from", "平安区信访局 <noreply@pingan.example>" },
		{ "notify.retry_base_seconds", "60" },
		{ "notify.max_attempts", "3" },
		{ "notify.timeout_seconds", "5" },
	};
	fixture_tmpdir(dir, sizeof(dir), "notify");
	fixture_app_open(dir, &cfg, &app, set, ARRAY_SIZE(set));
	assert_non_null(app.notify);
	return 0;
}

static int app_teardown(void **state)
{
	app_close(&app);
	config_free(&cfg);
	return fixture_rmdir(dir);
}

static int64_t query_int(const char *sql)
{
	return fixture_query_int(cfg.database, sql);
}

static const case_input_t petition = {
	.type = "petition", .category = "grievance", .title = "小区电梯长期故障",
	.body = "三号楼电梯停运两个月，物业不予维修。", .has_contact = true, .lang = "en",
	.contact = { .name = "张三", .phone = "13800138000", .email = "zhangsan@example.org" },
};


static void test_notice_queues_messages_atomically(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_case_t cs;
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	assert_int_equal(cases_create(&app, a, &pub, &petition, &cs, code, &err), 0);
	assert_int_equal(query_int("SELECT count(*) FROM outbox"), 0); /* no notice yet */

	pa_principal_t staff;
	orgtree_t *t;
	fixture_staff(&app, a, "intake", &staff, &t);
	int failures = 0;
	for (int nth = 1; nth < 60; nth++) {
		pa_case_t out;
		pa_err_clear(&err);
		store_fault_inject(app.store, nth);
		int rc = cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &out, &err);
		store_fault_inject(app.store, 0);
		if (rc == 0)
			break;
		failures++;
		assert_int_equal(query_int("SELECT count(*) FROM outbox"), 0);
	}
	assert_true(failures >= 6); /* case, events, audit, and each of the three messages */
	orgtree_release(t);

	/* one message per channel: SMS and e-mail to the petitioner, the webhook to the unit */
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'notice' "
	         "AND status = 'pending'", (long long)cs.id);
	assert_int_equal(query_int(sql), 3);
	pa_outbox_t *ms;
	size_t n;
	/* due at once, oldest first */
	assert_int_equal(store_outbox_due(store_reader(app.store), a, pa_now(), 10, &ms, &n), 0);
	assert_int_equal(n, 3);
	assert_true(ms[0].id < ms[1].id && ms[1].id < ms[2].id);
	assert_int_equal(store_outbox_due(store_reader(app.store), a, cs.created_at - 1, 10, &ms, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_list(store_reader(app.store), a, "pending", 0, 10, &ms, &n), 0);
	assert_int_equal(n, 3);
	bool seen_sms = false, seen_email = false, seen_hook = false;
	for (size_t i = 0; i < n; i++) {
		if (streq(ms[i].channel, "sms")) {
			seen_sms = true;
			assert_string_equal(ms[i].recipient, "138****8000");
			assert_string_equal(ms[i].lang, "en");  /* the petitioner wrote in English */
			assert_contains(ms[i].body, cs.number);
			char *plain = NULL;
			const char *aad = arena_printf(a, "outbox/%s/recipient", ms[i].uid);
			assert_int_equal(pii_open(app.keys, a, aad, ms[i].recipient_sealed, &plain), 0);
			assert_string_equal(plain, "13800138000");
		} else if (streq(ms[i].channel, "email")) {
			seen_email = true;
			assert_string_equal(ms[i].recipient, "z***@example.org");
			assert_contains(ms[i].subject, "Notice of acceptance");
			assert_contains(ms[i].body, "accepted");
		} else {
			seen_hook = true;
			assert_string_equal(ms[i].channel, "webhook");
			assert_string_equal(ms[i].recipient, "unit:district-xfj");
			json_t *j = json_loads(ms[i].body, 0, NULL);
			assert_non_null(j);
			assert_string_equal(json_string_value(json_object_get(j, "event")), "case.notice");
			assert_string_equal(json_string_value(json_object_get(j, "id")), ms[i].uid);
			assert_string_equal(json_string_value(json_object_get(json_object_get(j, "case"), "number")),
			                    cs.number);
			assert_string_equal(json_string_value(json_object_get(json_object_get(j, "notice"), "name")),
			                    "acceptance");
			json_decref(j);
		}
	}
	assert_true(seen_sms && seen_email && seen_hook);

	/* addresses never reach the database file in clear */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
	         "sqlite3 %s 'PRAGMA wal_checkpoint(FULL)' >/dev/null 2>&1; "
	         "cat %s %s-wal 2>/dev/null | grep -a -c -e 13800138000 -e zhangsan@example.org",
	         cfg.database, cfg.database, cfg.database);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char buf[32] = "";
	if (!fgets(buf, sizeof(buf), p))
		buf[0] = '0';
	pclose(p);
	assert_int_equal(atoi(buf), 0);
	arena_free(a);
}

static void test_sender_retries_then_dead_then_revived(void **state)
{
	pa_err_t err = { 0 };
	sender_stats_t st;
	pa_time_t now = pa_now();
	int64_t pending = query_int("SELECT count(*) FROM outbox WHERE status = 'pending'");
	assert_true(pending >= 3);
	/* attempt 1: everything fails (nothing listens), retried after 60 s */
	assert_int_equal(sender_pass(&app, now, true, &st, &err), 0);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.retry, pending);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE attempts = 1 AND status = 'pending' "
	                           "AND last_error <> ''"),
	                 pending);
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT min(next_attempt_at) - %lld FROM outbox", (long long)now);
	assert_int_equal(query_int(sql), 60);
	/* not due yet: nothing happens */
	assert_int_equal(sender_pass(&app, now + 59, true, &st, &err), 0);
	assert_int_equal(st.retry + st.sent + st.dead, 0);
	/* attempt 2 after 60 s, then 120 s to attempt 3, the last one */
	assert_int_equal(sender_pass(&app, now + 60, true, &st, &err), 0);
	assert_int_equal(st.retry, pending);
	snprintf(sql, sizeof(sql), "SELECT min(next_attempt_at) - %lld FROM outbox", (long long)(now + 60));
	assert_int_equal(query_int(sql), 120);
	assert_int_equal(sender_pass(&app, now + 180, true, &st, &err), 0);
	assert_int_equal(st.dead, pending);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE status = 'dead' AND attempts = 3"),
	                 pending);
	/* dead stays dead */
	assert_int_equal(sender_pass(&app, now + 100000, true, &st, &err), 0);
	assert_int_equal(st.retry + st.sent + st.dead, 0);

	arena_t *a = arena_new();
	pa_outbox_t *ms;
	size_t n;
	assert_int_equal(store_outbox_list(store_reader(app.store), a, "dead", 0, 10, &ms, &n), 0);
	assert_int_equal(n, pending);
	for (size_t i = 0; i < n; i++)
		assert_non_null(ms[i].last_error);
	arena_free(a);
}

struct retry_ctx {
	pa_id_t id;
	pa_time_t now;
	int64_t count;
};

static int retry_one_fn(store_tx_t *tx, void *arg)
{
	struct retry_ctx *r = arg;
	return store_tx_outbox_retry(tx, r->id, r->now);
}

static int retry_all_fn(store_tx_t *tx, void *arg)
{
	struct retry_ctx *r = arg;
	return store_tx_outbox_retry_dead(tx, r->now, &r->count);
}

static int mark_sent_fn(store_tx_t *tx, void *arg)
{
	struct retry_ctx *r = arg;
	return store_tx_outbox_mark_sent(tx, r->id, r->now);
}

static void test_retry_revives_dead_messages(void **state)
{
	arena_t *a = arena_new();
	pa_err_t err = { 0 };
	pa_outbox_t *ms;
	size_t n;
	assert_int_equal(store_outbox_list(store_reader(app.store), a, "dead", 0, 10, &ms, &n), 0);
	assert_true(n >= 3);
	pa_time_t now = pa_now() + 1000;
	struct retry_ctx r = { .id = ms[0].id, .now = now };
	assert_int_equal(store_write(app.store, retry_one_fn, &r, &err), 0);
	pa_outbox_t m;
	assert_int_equal(store_outbox_get(store_reader(app.store), a, ms[0].id, &m), 0);
	assert_string_equal(m.status, "pending");
	assert_int_equal(m.attempts, 0);
	assert_int_equal(m.next_attempt_at, now);
	/* once sent, a message is not retried again */
	assert_int_equal(store_write(app.store, mark_sent_fn, &r, &err), 0);
	assert_int_equal(store_write(app.store, retry_one_fn, &r, &err), PA_ECONFLICT);
	r.id = 999999;
	assert_int_equal(store_write(app.store, retry_one_fn, &r, &err), PA_ENOTFOUND);
	/* all the dead ones at once */
	assert_int_equal(store_write(app.store, retry_all_fn, &r, &err), 0);
	assert_int_equal(r.count, (int64_t)n - 1);
	assert_int_equal(query_int("SELECT count(*) FROM outbox WHERE status = 'dead'"), 0);
	arena_free(a);
}

static void test_reminders_and_escalation_once(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_case_t cs;
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	assert_int_equal(cases_create(&app, a, &pub, &petition, &cs, code, &err), 0);
	int r, e;
	pa_time_t span = cs.due_at - cs.state_entered_at;
	pa_time_t at79 = cs.state_entered_at + span * 79 / 100, at80 = cs.state_entered_at + span * 80 / 100 + 1;

	/* before 80 %: nothing about this case */
	char sql[200];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM case_alerts WHERE case_id = %lld", (long long)cs.id);
	assert_int_equal(reminders_tick(&app, at79, &r, &e, &err), 0);
	assert_int_equal(query_int(sql), 0);
	/* at 80 %: one reminder, once */
	assert_int_equal(reminders_tick(&app, at80, &r, &e, &err), 0);
	assert_int_equal(query_int(sql), 1);
	assert_true(r >= 1);
	assert_int_equal(reminders_tick(&app, at80 + 3600, &r, &e, &err), 0);
	assert_int_equal(r, 0);
	assert_int_equal(query_int(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE case_id = %lld AND kind = 'reminder' "
	         "AND public = 0", (long long)cs.id);
	assert_int_equal(query_int(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'reminder' "
	         "AND channel = 'webhook' AND body LIKE '%%\"username\":\"supervisor\"%%'", (long long)cs.id);
	assert_int_equal(query_int(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit WHERE action = 'case.reminder' AND object = 'case:%lld'",
	         (long long)cs.id);
	assert_int_equal(query_int(sql), 1);

	/* past the due time: one escalation, once */
	pa_time_t late = cs.due_at + 60;
	assert_int_equal(reminders_tick(&app, late, &r, &e, &err), 0);
	assert_true(e >= 1);
	assert_int_equal(reminders_tick(&app, late + 7 * DAY, &r, &e, &err), 0);
	assert_int_equal(e, 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE case_id = %lld AND kind = 'escalation'",
	         (long long)cs.id);
	assert_int_equal(query_int(sql), 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM outbox WHERE case_id = %lld AND kind = 'escalation'",
	         (long long)cs.id);
	assert_int_equal(query_int(sql), 1);

	/* a new state entry is a new limit: accepted now, reminded again at 80 % of it */
	pa_principal_t staff;
	orgtree_t *t;
	fixture_staff(&app, a, "intake", &staff, &t);
	pa_case_t acc;
	assert_int_equal(cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &acc, &err), 0);
	orgtree_release(t);
	pa_time_t at80b = acc.state_entered_at + (acc.due_at - acc.state_entered_at) * 80 / 100 + 1;
	assert_int_equal(reminders_tick(&app, at80b, &r, &e, &err), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM case_alerts WHERE case_id = %lld AND kind = 'reminder'",
	         (long long)cs.id);
	assert_int_equal(query_int(sql), 2);
	audit_report_t rep;
	assert_int_equal(audit_verify(store_reader(app.store), &rep, NULL, NULL), 0);
	arena_free(a);
}

/*
 * An action prepares its messages, its document and its events' data on
 * the request's thread from the case the caller read (core/cases.c,
 * plan_step); when the write finds another version of the case, it
 * prepares them again itself.  Either way the rows carry the ids of the
 * events written with them, and the same data.
 */
static void test_action_prepared_before_or_in_the_write(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_case_t cs[2];
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	for (int i = 0; i < 2; i++)
		assert_int_equal(cases_create(&app, a, &pub, &petition, &cs[i], code, &err), 0);
	pa_principal_t staff;
	orgtree_t *t;
	fixture_staff(&app, a, "intake", &staff, &t);
	pa_case_t stale = cs[1], out;
	stale.version += 7; /* as read before changes the write will not find */
	assert_int_equal(cases_transition(&app, a, &staff, &cs[0], "accept", NULL, 0, &out, &err), 0);
	assert_int_equal(cases_transition(&app, a, &staff, &stale, "accept", NULL, 0, &out, &err), 0);
	orgtree_release(t);
	char sql[1024];
	for (int i = 0; i < 2; i++) {
		long long id = (long long)cs[i].id;
		/* the notice event names the transition event */
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM events e JOIN events n ON n.case_id = e.case_id "
		         "AND n.kind = 'notice' AND json_extract(n.data, '$.event_id') = e.id "
		         "WHERE e.case_id = %lld AND e.kind = 'transition'", id);
		assert_int_equal(query_int(sql), 1);
		/* each message's dedupe key, and the webhook's body, name the notice event */
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM outbox o JOIN events n ON n.case_id = o.case_id "
		         "AND n.kind = 'notice' WHERE o.case_id = %lld "
		         "AND o.dedupe_key LIKE 'notice:' || n.id || ':%%'", id);
		assert_int_equal(query_int(sql), 3);
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM outbox o JOIN events n ON n.case_id = o.case_id "
		         "AND n.kind = 'notice' WHERE o.case_id = %lld AND o.channel = 'webhook' "
		         "AND json_extract(o.body, '$.notice.event_id') = n.id "
		         "AND json_extract(o.body, '$.case.state') = 'handling'", id);
		assert_int_equal(query_int(sql), 1);
		/* the document belongs to the transition event */
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM documents d JOIN events e ON e.id = d.event_id "
		         "AND e.kind = 'transition' WHERE d.case_id = %lld", id);
		assert_int_equal(query_int(sql), 1);
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM audit WHERE object = 'case:%lld' AND action = 'case.transition' "
		         "AND json_extract(detail, '$.to') = 'handling'", id);
		assert_int_equal(query_int(sql), 1);
	}
	/* the same data either way */
	snprintf(sql, sizeof(sql),
	         "SELECT count(DISTINCT data) FROM events WHERE kind = 'transition' AND case_id IN (%lld, %lld)",
	         (long long)cs[0].id, (long long)cs[1].id);
	assert_int_equal(query_int(sql), 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(DISTINCT replace(json_remove(e.data, '$.event_id'), c.number, '')) "
	         "FROM events e JOIN cases c ON c.id = e.case_id "
	         "WHERE e.kind = 'notice' AND e.case_id IN (%lld, %lld)",
	         (long long)cs[0].id, (long long)cs[1].id);
	assert_int_equal(query_int(sql), 1); /* but for the case's number */
	audit_report_t rep;
	assert_int_equal(audit_verify(store_reader(app.store), &rep, NULL, NULL), 0);
	arena_free(a);
}

/* ---- the webhook body, as it was built before it was written member by member ---------------- */

static json_t *old_date(pa_time_t t, bool date_only)
{
	char buf[32] = "";
	if (t != PA_NO_DUE && t > 0)
		pa_time_format(t, cfg.utc_offset_min, buf);
	if (date_only)
		buf[10] = '\0';
	return json_string(buf);
}

static const char *old_lang(void)
{
	return cfg.notify_lang && strncmp(cfg.notify_lang, "en", 2) == 0 ? "en" : "zh-CN";
}

/* notify.c's case_json / unit_json / notice payload and webhook_body until
 * the body was written member by member: a jansson tree, json_dumps'd
 * compact and sorted (the event id in place) — malloc'd. */
static char *old_notice_body(const pa_case_t *cs, const pa_org_t *o, const notify_notice_t *nt,
                             const char *uid, pa_time_t now, const char *text, long long event_id)
{
	bool sealed = cs->accused_org_id != 0;
	json_t *c = json_object();
	json_object_set_new(c, "sealed", json_boolean(sealed));
	json_object_set_new(c, "id", json_integer(cs->id));
	json_object_set_new(c, "number", json_string(cs->number));
	json_object_set_new(c, "type", json_string(cs->type));
	json_object_set_new(c, "category", json_string(cs->category ? cs->category : ""));
	json_object_set_new(c, "title", sealed ? json_null() : json_string(cs->title ? cs->title : ""));
	json_object_set_new(c, "state", json_string(cs->state));
	json_object_set_new(c, "due_at", cs->due_at == PA_NO_DUE ? json_null() : old_date(cs->due_at, false));
	json_object_set_new(c, "state_entered_at", old_date(cs->state_entered_at, false));
	json_t *p = json_object();
	json_object_set_new(p, "id", json_string(uid));
	json_object_set_new(p, "event", json_string("case.notice"));
	json_object_set_new(p, "at", old_date(now, false));
	json_object_set_new(p, "lang", json_string(old_lang()));
	json_object_set_new(p, "text", json_string(text));
	json_object_set_new(p, "case", c);
	json_object_set_new(p, "unit", json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)cs->owner_org_id,
	                                         "code", o ? o->code : "", "name", o ? o->name : "",
	                                         "name_en", o && o->name_en ? o->name_en : ""));
	json_object_set_new(p, "notice",
	                    json_pack("{s:s, s:s, s:I, s:s, s:s?, s:s, s:s?}", "name",
	                              nt->notice ? nt->notice : "", "action", nt->action ? nt->action : "",
	                              "event_id", (json_int_t)event_id, "title",
	                              nt->title_zh ? nt->title_zh : "", "text", sealed ? NULL : nt->text_zh,
	                              "title_en", nt->title_en ? nt->title_en : "", "text_en",
	                              sealed ? NULL : nt->text_en));
	char *body = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	assert_non_null(body);
	return body;
}

static void check_body(arena_t *a, const pa_case_t *cs, const pa_org_t *o, const notify_notice_t *nt,
                       const char *text)
{
	pa_time_t now = 1796036377;
	const char *before = NULL, *after = NULL;
	assert_int_equal(notify_notice_body(&app, a, cs, o, nt, "01a22c1c39da9d9fe6291c25ed4ff4e2", now, text,
	                                    &before, &after), 0);
	const char *got = arena_printf(a, "%s%lld%s", before, 14003LL, after);
	char *want = old_notice_body(cs, o, nt, "01a22c1c39da9d9fe6291c25ed4ff4e2", now, text, 14003);
	assert_string_equal(got, want);
	free(want);
}

static void test_notice_body_as_before(void **state)
{
	arena_t *a = arena_new();
	const char *odd = "“引号”\"q\" \\ / <b>&amp;</b>\n\r\t\b\f\x01\x1f\x7f 😀 平安";
	pa_org_t unit = { .id = 3, .code = "district-xfj", .name = "平安区信访局",
		              .name_en = "District Petition Office" };
	pa_org_t no_en = { .id = 4, .code = "x<&>", .name = odd, .name_en = NULL };
	pa_case_t cs = {
		.id = 8001, .number = "XF-2026-004407", .type = "petition", .category = "grievance",
		.title = "小区电梯长期故障无人维修（压测0）", .state = "handling", .owner_org_id = 3,
		.state_entered_at = 1796036377, .due_at = 1801238399,
	};
	notify_notice_t nt = { .notice = "acceptance", .action = "accept", .title_zh = "受理告知书",
		                   .text_zh = "您反映的信访事项已受理。\n请凭查询码查询。",
		                   .title_en = "Notice of acceptance", .text_en = "Your petition was accepted." };
	check_body(a, &cs, &unit, &nt, "平安区信访局已受理 XF-2026-004407");
	/* every text with every escape */
	pa_case_t odd_case = cs;
	odd_case.title = odd;
	odd_case.category = odd;
	odd_case.number = odd;
	notify_notice_t odd_nt = { .notice = odd, .action = odd, .title_zh = odd, .text_zh = odd,
		                       .title_en = odd, .text_en = odd };
	check_body(a, &odd_case, &no_en, &odd_nt, odd);
	/* sealed from the unit it accuses: no title, no notice texts */
	pa_case_t tip = cs;
	tip.type = "tip";
	tip.accused_org_id = 9;
	check_body(a, &tip, &unit, &nt, "");
	/* what may be missing: no limit, no category or title, no unit, no texts, no rendered text */
	pa_case_t bare = { .id = 1, .number = "XF-2026-000001", .type = "petition", .state = "registered",
		               .due_at = PA_NO_DUE, .state_entered_at = 0 };
	notify_notice_t none = { 0 };
	check_body(a, &bare, NULL, &none, NULL);
	/* not valid UTF-8: refused, as json_dumps refused it */
	pa_case_t bad = cs;
	bad.title = "ok\xE4\xB8";
	const char *before = NULL, *after = NULL;
	assert_int_equal(notify_notice_body(&app, a, &bad, &unit, &nt, "u", 1, "t", &before, &after), -1);
	arena_free(a);
}

static char *query_text(const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(cfg.database, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *t = (const char *)sqlite3_column_text(st, 0);
	char *r = strdup(t ? t : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return r;
}

/*
 * An action's messages end to end: each stored body is what the notice's
 * placeholders as a JSON object (the way they were built before) render to,
 * and the webhook's body what the jansson tree dumped.
 */
static void test_action_messages_as_before(void **state)
{
	arena_t *a = arena_new();
	pa_principal_t pub = { .kind = PRINCIPAL_PUBLIC, .client_ip = "127.0.0.1" };
	pa_case_t cs, out;
	char code[PA_QUERY_CODE_LEN + 1];
	pa_err_t err = { 0 };
	case_input_t in = petition;
	in.title = "电梯 \"故障\" <三号楼> & 四号楼\t😀";
	assert_int_equal(cases_create(&app, a, &pub, &in, &cs, code, &err), 0);
	pa_principal_t staff;
	orgtree_t *t;
	fixture_staff(&app, a, "intake", &staff, &t);
	assert_int_equal(cases_transition(&app, a, &staff, &cs, "accept", NULL, 0, &out, &err), 0);
	const pa_org_t *unit = orgtree_find(t, out.owner_org_id);
	assert_non_null(unit);
	long long id = (long long)cs.id;
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT id FROM events WHERE case_id = %lld AND kind = 'notice'", id);
	long long ev = (long long)query_int(sql);
	snprintf(sql, sizeof(sql), "SELECT at FROM events WHERE id = %lld", ev);
	pa_time_t now = query_int(sql);
	const char *cols[] = { "text", "json_extract(data, '$.title')", "json_extract(data, '$.title_en')",
		                   "json_extract(data, '$.text_en')", "json_extract(data, '$.notice')", "action" };
	char *v[ARRAY_SIZE(cols)];
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++) {
		snprintf(sql, sizeof(sql), "SELECT %s FROM events WHERE id = %lld", cols[i], ev);
		v[i] = query_text(sql);
	}
	notify_notice_t nt = { .notice = v[4], .action = v[5], .title_zh = v[1], .text_zh = v[0],
		                   .title_en = v[2], .text_en = v[3] };
	/* notify.c's notice_vars_for until the values went into an array */
	const wf_def_t *def = wf_registry_find(app.wf, "petition");
	assert_non_null(def);
	json_t *vars[2];
	for (int l = 0; l < 2; l++) {
		bool en = l == 1;
		json_t *j = json_object();
		json_object_set_new(j, "number", json_string(out.number));
		json_object_set_new(j, "title", json_string(out.title));
		json_object_set_new(j, "unit", json_string(en ? unit->name_en : unit->name));
		json_object_set_new(j, "date", old_date(now, true));
		json_object_set_new(j, "due", old_date(out.due_at, true));
		json_object_set_new(j, "notice", json_string(nt.notice));
		json_object_set_new(j, "action", json_string(nt.action));
		json_object_set_new(j, "type", json_string(wf_label(&def->label, en ? "en" : "zh-CN")));
		json_object_set_new(j, "notice_title", json_string(en ? nt.title_en : nt.title_zh));
		json_object_set_new(j, "notice_text", json_string(en ? nt.text_en : nt.text_zh));
		vars[l] = j;
	}
	const notify_templates_t *tpl = notify_templates(app.notify);
	struct { const char *channel, *col, *part; int lang; } want[] = {
		{ "sms", "body", "sms", 1 },  /* the petitioner wrote in English */
		{ "email", "subject", "email.subject", 1 },
		{ "email", "body", "email.body", 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		snprintf(sql, sizeof(sql), "SELECT %s FROM outbox WHERE case_id = %lld AND channel = '%s'",
		         want[i].col, id, want[i].channel);
		char *got = query_text(sql);
		assert_string_equal(got, notify_render(a, tpl, "notice", want[i].part,
		                                       want[i].lang ? "en" : "zh-CN", vars[want[i].lang]));
		free(got);
	}
	int hl = streq(old_lang(), "en");
	const char *text = notify_render(a, tpl, "notice", "webhook", old_lang(), vars[hl]);
	snprintf(sql, sizeof(sql), "SELECT uid FROM outbox WHERE case_id = %lld AND channel = 'webhook'", id);
	char *uid = query_text(sql);
	snprintf(sql, sizeof(sql), "SELECT body FROM outbox WHERE case_id = %lld AND channel = 'webhook'", id);
	char *body = query_text(sql);
	char *old = old_notice_body(&out, unit, &nt, uid, now, text, ev);
	assert_string_equal(body, old);
	free(old);
	free(body);
	free(uid);
	for (size_t i = 0; i < ARRAY_SIZE(cols); i++)
		free(v[i]);
	json_decref(vars[0]);
	json_decref(vars[1]);
	orgtree_release(t);
	arena_free(a);
}

static void test_bad_channel_settings_refused(void **state)
{
	static const struct { const char *k, *v, *field; } bad[] = {
		{ "notify.webhook_url", "ftp://x/y", "notify.webhook_url" },
		{ "notify.sms_url", "http://x/?to={mobile}", "notify.sms_url" },
		{ "notify.smtp_from", "nobody", "notify.smtp_from" },
		{ "notify.smtp_url", "http://mail", "notify.smtp_url" },
		{ "notify.webhook_secret", "", "notify.webhook_secret" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		pa_config_t c;
		pa_err_t err = { 0 };
		config_init(&c);
		assert_int_equal(config_set(&c, "share_dir", fixture_source_dir(), "test", &err), 0);
		assert_int_equal(config_set(&c, "notify.webhook_url", "http://127.0.0.1:1/", "test", &err), 0);
		assert_int_equal(config_set(&c, "notify.webhook_secret", "k", "test", &err), 0);
		assert_int_equal(config_set(&c, "notify.smtp_url", "smtp://127.0.0.1:1", "test", &err), 0);
		assert_int_equal(config_set(&c, "notify.smtp_from", "a@b.org", "test", &err), 0);
		assert_int_equal(config_set(&c, bad[i].k, bad[i].v, "test", &err), 0);
		assert_int_equal(config_finalize(&c, &err), 0);
		notify_t *n = NULL;
		assert_int_equal(notify_open(&c, &n, &err), PA_EINVAL);
		assert_string_equal(err.field, bad[i].field);
		config_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_template_valid_and_rendered),
		cmocka_unit_test(test_template_errors_name_file_and_placeholder),
		cmocka_unit_test(test_shipped_templates),
		cmocka_unit_test(test_json_ascii),
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_rfc2047_subject),
		cmocka_unit_test(test_email_message),
		cmocka_unit_test(test_addresses_and_gateway),
		cmocka_unit_test(test_bad_channel_settings_refused),
	};
	const struct CMUnitTest with_app[] = {
		cmocka_unit_test(test_notice_queues_messages_atomically),
		cmocka_unit_test(test_sender_retries_then_dead_then_revived),
		cmocka_unit_test(test_retry_revives_dead_messages),
		cmocka_unit_test(test_reminders_and_escalation_once),
		cmocka_unit_test(test_action_prepared_before_or_in_the_write),
		cmocka_unit_test(test_notice_body_as_before),
		cmocka_unit_test(test_action_messages_as_before),
	};
	if (sodium_init() < 0)
		return 1;
	int failed = cmocka_run_group_tests(pure, NULL, NULL);
	return failed + cmocka_run_group_tests(with_app, app_setup, app_teardown);
}
