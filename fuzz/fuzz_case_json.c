/*
 * fuzz_case_json.c — a request body as the API reads it: JSON parsing with
 * duplicate keys rejected, api_case_input() (members, types), then
 * cases_check_input() (type, category, lengths, encoding, channel, contact)
 * and every petition transition's field validation on the "fields" member.
 * The workflow definitions are loaded once from PINGAN_SOURCE_DIR (or the
 * source tree this was built from).
 */
#include "base/common.h"
#include "api/api.h"

#include <stdio.h>
#include <stdlib.h>

static wf_registry_t *reg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *src = getenv("PINGAN_SOURCE_DIR");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/workflows", src ? src : PINGAN_SHARE_DIR);
	pa_err_t err = { 0 };
	if (wf_registry_load_dir(dir, &reg, &err) < 0) {
		fprintf(stderr, "fuzz_case_json: %s\n", err.detail);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(body)) {
		json_decref(body);
		return 0;
	}
	http_req_t req = { 0 };
	req.arena = arena_new();
	req.lang = "zh-CN";
	for (int staff = 0; staff < 2; staff++) {
		case_input_t in = { 0 };
		pa_err_clear(&req.err);
		if (api_case_input(&req, body, staff, &in) == 0)
			cases_check_input(reg, &in, staff, NULL, NULL, &req.err);
	}
	json_t *fields = json_object_get(body, "fields");
	if (json_is_object(fields)) {
		const wf_def_t *def = wf_registry_find(reg, "petition");
		for (size_t i = 0; def && i < def->ntransitions; i++) {
			pa_err_t err = { 0 };
			wf_validate_fields(&def->transitions[i], fields, &err);
		}
	}
	arena_free(req.arena);
	json_decref(body);
	return 0;
}
