/*
 * fuzz_config.c — libFuzzer target for the configuration parser.
 *
 * The input is loaded as a YAML file with config_load_buffer (then
 * finalized), and, when it holds a '=', also read as key=value through
 * config_set, which reaches each value parser directly (listen, sizes,
 * timezone, working hours...).  A refusal must name the config type; a
 * successful load must leave a config that finalize, describe and free
 * handle.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *     src/base/(all .c) src/core/config.c fuzz/fuzz_config.c -lyaml -o fuzz_config
 *   ./fuzz_config -max_total_time=120 fuzz/corpus-config fuzz/corpus/config
 */
#include "base/common.h"
#include "core/config.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(const pa_err_t *err)
{
	if (err->code >= 0 || strcmp(err->type, "config") != 0 || !memchr(err->detail, '\0', 256))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool quiet;
	if (!quiet) {
		log_set_level(LOG_ERROR); /* finalize warns about test_clock */
		quiet = true;
	}
	pa_config_t c;
	pa_err_t err;
	config_init(&c);
	if (config_load_buffer(&c, (const char *)data, size, "fuzz.yaml", &err) == 0) {
		if (config_finalize(&c, &err) != 0)
			check_refusal(&err);
	} else {
		check_refusal(&err);
	}
	config_free(&c);

	const uint8_t *eq = memchr(data, '=', size);
	if (eq) {
		size_t klen = (size_t)(eq - data);
		char *key = xstrndup((const char *)data, klen);
		char *value = xstrndup((const char *)eq + 1, size - klen - 1);
		config_init(&c);
		if (config_set(&c, key, value, "--fuzz", &err) != 0)
			check_refusal(&err);
		else if (config_finalize(&c, &err) != 0)
			check_refusal(&err);
		config_free(&c);
		free(key);
		free(value);
	}
	return 0;
}
