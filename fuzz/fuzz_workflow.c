/*
 * fuzz_workflow.c — libFuzzer target for the workflow definition loader.
 *
 * Feeds the bytes to wf_load_buffer() (the loader's fuzz seam).  When a
 * definition loads, it also runs the helpers that walk it — the JSON view,
 * notice rendering, field validation with an empty input, and the records'
 * and participants' lookups — and frees it,
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
	/* records, participants' tracks and the lookups the engine makes on them */
	json_t *on = json_pack("{s:b}", "x", 1);
	for (size_t i = 0; i < def->nrecords; i++) {
		const wf_record_kind_t *rk = &def->records[i];
		wf_validate_record(rk, empty, &err);
		wf_validate_record(rk, on, &err);
		for (size_t s = 0; s < def->nstates; s++)
			wf_record_allowed_in(rk, &def->states[s]);
		if (wf_find_record_kind(def, rk->name) != rk)
			__builtin_trap();
	}
	for (size_t i = 0; i < def->ntracks; i++) {
		const wf_track_t *tr = &def->tracks[i];
		for (size_t s = 0; s < tr->nstages; s++)
			if (wf_track_stage(tr, tr->stages[s].code) < 0)
				__builtin_trap();
	}
	json_decref(on);
	json_decref(empty);
	json_decref(vars);
	arena_free(a);
	wf_def_free(def);
	return 0;
}
