/*
 * fuzz_doc_template.c — libFuzzer target for the document template loader.
 *
 * Feeds the bytes to docs_template_parse() (the loader's fuzz seam) under a
 * name that looks like a real template file, so the file-name checks run
 * too.  When a template loads, it also formats a document number and builds
 * the sample values (which expand every placeholder the template declares),
 * then frees it, so LeakSanitizer catches anything kept.  Rendering is not
 * fuzzed here: it only ever sees templates this loader accepted.
 *
 * Build with CMake (-DPINGAN_FUZZ=ON -DPINGAN_SANITIZE=ON, CC=clang; `make
 * fuzz`).  Run on the seed corpus:
 *
 *   ./fuzz_doc_template -max_len=65536 fuzz/corpus/doc_template
 */
#include "base/common.h"

#include "core/docs.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the first byte picks the file name the loader is told */
	static const char *const names[] = { "refusal.zh-CN.yaml", "templates/docs/opinion.en.yaml",
		                                 "unit/acceptance.zh-CN.yaml", "fuzz.yaml" };
	const char *name = names[size ? data[0] % ARRAY_SIZE(names) : 0];
	doc_template_t *t = NULL;
	pa_err_t err;
	if (docs_template_parse((const char *)data + (size ? 1 : 0), size ? size - 1 : 0, name, &t,
	                        &err) != 0)
		return 0;
	arena_t *a = arena_new();
	doc_template_number(a, t, "unit-code", "代字", 2026, 123456);
	json_decref(doc_template_sample(t));
	for (size_t i = 0; i < doc_template_nfields(t); i++)
		(void)doc_template_field(t, i);
	(void)doc_template_text(t, "body");
	arena_free(a);
	docs_template_free(t);
	free(t);
	return 0;
}
