/*
 * fuzz_workflow.c — libFuzzer target for the workflow definition loader.
 *
 * Feeds the bytes to wf_load_buffer() (the loader's fuzz seam).  When a
 * definition loads, it also runs the helpers that walk it — the JSON view,
 * notice rendering and field validation with an empty input — and frees it,
 * so LeakSanitizer catches anything the loader or the helpers keep.
 *
 * Build with CMake (-DPINGAN_FUZZ=ON -DPINGAN_SANITIZE=ON, CC=clang) or by
 * hand: clang -fsanitize=fuzzer,address,undefined -Isrc, the src/base
 * sources, src/core/calendar.c, src/core/workflow.c and this file, linked
 * with -lyaml -ljansson -lm.  Run on the seed corpus:
 *
 *   ./fuzz_workflow -max_len=65536 fuzz/corpus/workflow
 */
#include "base/common.h"

#include "core/workflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wf_def_t *def;
	pa_err_t err;
	if (wf_load_buffer((const char *)data, size, "fuzz.yaml", &def, &err) != 0)
		return 0;

	json_decref(wf_def_to_json(def));

	arena_t *a = arena_new();
	json_t *vars = json_pack("{s:s, s:i}", "number", "XF-2026-000001", "days", 3);
	for (size_t i = 0; i < def->nnotices; i++) {
		char *title;
		wf_render_notice(a, &def->notices[i], "zh", vars, &title);
		wf_render_notice(a, &def->notices[i], "en", NULL, NULL);
	}
	json_t *empty = json_object();
	for (size_t i = 0; i < def->ntransitions; i++)
		wf_validate_fields(&def->transitions[i], empty, &err);
	json_decref(empty);
	json_decref(vars);
	arena_free(a);
	wf_def_free(def);
	return 0;
}
