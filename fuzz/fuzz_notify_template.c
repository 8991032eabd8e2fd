/*
 * fuzz_notify_template.c — libFuzzer target for the notification template
 * loader (core/notify.c).
 *
 * The first byte picks the event (notice, reminder, escalation); the rest
 * is the YAML file, fed to notify_templates_load_buffer() (the loader's fuzz
 * seam).  When it loads, every part is rendered in both languages, with and
 * without values, and the set is freed, so LeakSanitizer catches anything
 * the loader or the renderer keeps.  The seed corpus is the shipped
 * templates (fuzz/corpus/notify_template, first byte prepended):
 *
 *   ./fuzz_notify_template -max_len=65536 fuzz/corpus/notify_template
 */
#include "base/common.h"

#include "core/notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const events[] = { "notice", "reminder", "escalation" };
	static const char *const parts[] = { "sms", "email.subject", "email.body", "webhook" };
	if (size < 1)
		return 0;
	const char *event = events[data[0] % 3];
	notify_templates_t *t = notify_templates_new();
	pa_err_t err;
	if (notify_templates_load_buffer(t, event, (const char *)data + 1, size - 1, "fuzz.yaml",
	                                 &err) == 0) {
		arena_t *a = arena_new();
		json_t *vars = json_pack("{s:s, s:s, s:i}", "number", "XF-2026-000001", "title", "标题",
		                         "percent", 80);
		for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
			notify_render(a, t, event, parts[i], "zh-CN", vars);
			notify_render(a, t, event, parts[i], "en", NULL);
		}
		json_decref(vars);
		arena_free(a);
	}
	notify_templates_free(t);
	return 0;
}
