/*
 * fuzz_open311.c — the body of an Open311 POST requests (or POST
 * servicerequestupdates) as the server reads it: the form parser
 * (http_query_parse) and then open311_parse_request() (known fields, lat/long
 * pair and ranges, media_url, attributes, lengths) and open311_parse_update()
 * (required fields, status word, ISO 8601 time, media_url, lengths).
 */
#include "base/common.h"
#include "core/open311.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new();
	pa_err_t err = { 0 };
	http_kv_t *kv = NULL;
	size_t n = 0;
	char *body = arena_strndup(a, (const char *)data, size);
	if (http_query_parse(a, body, size, &kv, &n, &err) == 0) {
		open311_request_in_t in;
		open311_parse_request(a, kv, n, &in, &err);
		open311_update_in_t up;
		pa_err_t uerr = { 0 };
		open311_parse_update(a, kv, n, 480, &up, &uerr);
	}
	arena_free(a);
	return 0;
}
