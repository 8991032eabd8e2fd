/*
 * test_surveys.c — the statistics and parsers of core/surveys.c.  Every
 * expected interval is worked by hand in the comment next to it (z =
 * 1.959964, t quantiles from the standard table).
 */
#include "base/common.h"
#include "core/surveys.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#define EPS 1e-5

static void near(double got, double want, const char *what)
{
	if (fabs(got - want) > EPS)
		fail_msg("%s = %.7f, want %.7f", what, got, want);
}

static void test_wilson(void **state)
{
	/* 7 of 9: p = 0.777778, z²/n = 0.426829, centre = 0.991193/1.426829 = 0.694682,
	 * half = 1.373643·√(0.0192044 + 0.0118563) = 0.242093 → (0.452589, 0.936775) */
	survey_interval_t r = survey_wilson(7, 9);
	near(r.value, 7.0 / 9.0, "value");
	near(r.low, 0.452589, "low");
	near(r.high, 0.936775, "high");
	/* 0 of 10: centre = (0 + 0.192074)/1.384150 = 0.138767, half = z/1.38415·√(0.00960369)
	 * = 0.138767 → (0, 0.277533) */
	r = survey_wilson(0, 10);
	near(r.low, 0.0, "low 0/10");
	near(r.high, 0.277533, "high 0/10");
	/* 50 of 100: centre 0.5, half = 1.959964/1.0384146·√(0.0025 + 0.0000960) = 0.096168 */
	r = survey_wilson(50, 100);
	near(r.low, 0.403832, "low 50/100");
	near(r.high, 0.596168, "high 50/100");
	r = survey_wilson(0, 0);
	near(r.value + r.low + r.high, 0, "empty");
}

static void test_t_quantiles(void **state)
{
	near(survey_t975(1), 12.706205, "t(1)");
	near(survey_t975(8), 2.306004, "t(8)");
	near(survey_t975(30), 2.042272, "t(30)");
	/* beyond the table: Cornish–Fisher against the published values */
	near(survey_t975(31), 2.039513, "t(31)");
	near(survey_t975(60), 2.000298, "t(60)");
	near(survey_t975(120), 1.979930, "t(120)");
	near(survey_t975(1000), 1.962339, "t(1000)");
	assert_true(isnan(survey_t975(0)));
}

static void test_mean_ci(void **state)
{
	/* 100,100,100,80,80,80,60,30,0: sum 630, Σx² = 30000 + 19200 + 3600 + 900 = 53700;
	 * mean 70, s² = (53700 - 9·4900)/8 = 1200, se = √(1200/9) = 11.547005,
	 * half = 2.306004·11.547005 = 26.627443 */
	survey_interval_t r = survey_mean_ci(9, 630, 53700);
	near(r.value, 70, "mean");
	near(r.low, 43.372557, "low");
	near(r.high, 96.627443, "high");
	r = survey_mean_ci(1, 80, 6400);
	near(r.low, 80, "n = 1");
	near(r.high, 80, "n = 1");
	/* all equal: zero width */
	r = survey_mean_ci(4, 240, 14400);
	near(r.high - r.low, 0, "constant");
}

static const char DEF[] =
	"{\"series\":\"s1\",\"title\":\"安全感\",\"scales\":[{\"id\":\"yn\",\"options\":["
	"{\"code\":\"yes\",\"label\":\"是\",\"positive\":true},{\"code\":\"no\",\"label\":\"否\"},"
	"{\"code\":\"unsure\",\"label\":\"说不清\",\"excluded\":true}]}],"
	"\"questions\":[{\"id\":\"q1\",\"text\":\"知道吗？\",\"scale\":\"yn\",\"weight\":1},"
	"{\"id\":\"q2\",\"text\":\"参与过吗？\",\"scale\":\"yn\",\"required\":false}]}";

static void test_definition(void **state)
{
	arena_t *a = arena_new();
	survey_def_t d;
	pa_err_t err = { 0 };
	assert_int_equal(survey_def_parse(a, DEF, strlen(DEF), &d, &err), 0);
	assert_int_equal(d.nquestions, 2);
	assert_string_equal(d.access, "token");
	assert_true(d.questions[0].index_rate);  /* no points: the index uses the rate */
	assert_true(d.scales[0].has_rate);
	assert_false(d.scales[0].has_score);

	survey_answers_t ans;
	const char *body = "{\"answers\":{\"q1\":\"unsure\"},\"token\":\"abc\"}";
	assert_int_equal(survey_answers_parse(a, &d, body, strlen(body), &ans, &err), 0);
	assert_int_equal(ans.answers[0], 2);
	assert_int_equal(ans.answers[1], -1);
	body = "{\"answers\":{\"q2\":\"yes\"}}";
	assert_int_equal(survey_answers_parse(a, &d, body, strlen(body), &ans, &err), PA_EINVAL);
	assert_string_equal(err.field, "answers.q1");
	body = "{\"answers\":{\"q1\":\"yes\",\"q1\":\"no\"}}";
	assert_int_equal(survey_answers_parse(a, &d, body, strlen(body), &ans, &err), PA_EINVAL);
	survey_def_free(&d);

	const char *bad[][2] = {
		{ "{\"series\":\"s\",\"title\":\"t\",\"scales\":[],\"questions\":[]}", "scales" },
		{ "{\"series\":\"S!\",\"title\":\"t\"}", "series" },
		{ "[1]", "definition" },
		{ "{\"series\":\"s\",\"title\":\"t\",\"scales\":[{\"id\":\"a\",\"options\":["
		  "{\"code\":\"x\",\"label\":\"x\",\"points\":1},{\"code\":\"y\",\"label\":\"y\"}]}],"
		  "\"questions\":[{\"id\":\"q\",\"text\":\"q\",\"scale\":\"a\"}]}", "scales[0].options" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		pa_err_clear(&err);
		assert_int_equal(survey_def_parse(a, bad[i][0], strlen(bad[i][0]), &d, &err), PA_EINVAL);
		assert_string_equal(err.field, bad[i][1]);
	}
	arena_free(a);
}

static void test_qr_svg(void **state)
{
	arena_t *a = arena_new();
	char *svg = survey_qr_svg(a, "http://127.0.0.1:8080/survey/1?t=ABCDEFGHJKMN");
	assert_non_null(svg);
	assert_true(strncmp(svg, "<svg", 4) == 0);
	assert_non_null(strstr(svg, "</svg>"));
	arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wilson),
		cmocka_unit_test(test_t_quantiles),
		cmocka_unit_test(test_mean_ci),
		cmocka_unit_test(test_definition),
		cmocka_unit_test(test_qr_svg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
