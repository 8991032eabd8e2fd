/*
 * fuzz_survey.c — the two survey parsers on outside input: the input as a
 * survey definition (survey_def_parse, what staff post), and the input as
 * a public response (survey_answers_parse) to a fixed definition with two
 * scales, an excluded answer and an optional question.  A definition that
 * parses is also used to parse the input as its own response.
 */
#include "base/common.h"
#include "core/surveys.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char DEF[] =
	"{\"series\":\"f\",\"title\":\"t\",\"access\":\"open\",\"scales\":["
	"{\"id\":\"yn\",\"options\":[{\"code\":\"yes\",\"label\":\"是\",\"positive\":true},"
	"{\"code\":\"no\",\"label\":\"否\"},{\"code\":\"unsure\",\"label\":\"说不清\",\"excluded\":true}]},"
	"{\"id\":\"sat\",\"options\":[{\"code\":\"a\",\"label\":\"a\",\"points\":100,\"positive\":true},"
	"{\"code\":\"b\",\"label\":\"b\",\"points\":0}]}],"
	"\"questions\":[{\"id\":\"q1\",\"text\":\"q\",\"scale\":\"yn\",\"weight\":1},"
	"{\"id\":\"q2\",\"text\":\"q\",\"scale\":\"sat\",\"required\":false,\"weight\":2}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_t *a = arena_new();
	pa_err_t err = { 0 };
	survey_def_t fixed, d;
	survey_answers_t ans;
	if (survey_def_parse(a, DEF, sizeof(DEF) - 1, &fixed, &err) < 0)
		abort();
	survey_answers_parse(a, &fixed, (const char *)data, size, &ans, &err);
	survey_def_free(&fixed);
	if (survey_def_parse(a, (const char *)data, size, &d, &err) == 0) {
		survey_answers_parse(a, &d, (const char *)data, size, &ans, &err);
		survey_def_free(&d);
	}
	arena_free(a);
	return 0;
}
