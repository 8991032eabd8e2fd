/*
 * surveys.c — surveys (see surveys.h for the life of a survey).
 *
 * Parsing.  A definition and a response are JSON read by jansson with
 * duplicate keys refused; every object is checked against a list of known
 * members, so a misspelt key is an error, not a silent default.  The parsed
 * definition keeps pointers into the arena and indexes (question → scale,
 * answer → option) so results never look names up twice.
 *
 * Storage.  A response is one row of survey_responses (place, time, the
 * invitation it spent) and one row of survey_answers per answered question
 * (question id, option code, place copied), so results are one GROUP BY
 * (survey_tally: place × question × option → count) and the statistics
 * are computed here from counts: a rate from the counts of positive and
 * valid options, a mean and variance from Σ count·points and
 * Σ count·points².  Memory is bounded by places × questions × options,
 * whatever the number of responses.
 *
 * Statistics (docs/surveys.md gives the formulas with a worked example):
 *   rate   Wilson score interval, z = 1.959964;
 *   score  mean ± t(0.975, n−1) · s/√n, t exact from a table for n−1 ≤ 30
 *          and from the Cornish–Fisher expansion above (error < 1e-5);
 *   index  Σ wᵢ·vᵢ / Σ wᵢ over the weighted questions with valid answers,
 *          ± 1.96 · √Σ (wᵢ/Σw)²·seᵢ² — questions taken as independent.
 */
#include "base/common.h"
#include "core/surveys.h"
#include "core/audit.h"
#include "core/crypto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <qrencode.h>
#include <sodium.h>

#define Z975 1.959963984540054

/* ---- small JSON helpers ----------------------------------------------------------------- */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int only_members(json_t *obj, const char *const *allowed, const char *prefix,
                        pa_err_t *err)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (size_t i = 0; allowed[i]; i++)
			if (streq(key, allowed[i]))
				ok = true;
		if (!ok)
			return pa_fail(err, PA_EINVAL, "validation", prefix ? prefix : key,
			               "unknown member \"%.40s\"", key);
	}
	return 0;
}

/* A string member: NULL when absent (and not required). */
static int get_text(arena_t *a, json_t *obj, const char *key, bool required, size_t max,
                    const char *field, const char **out, pa_err_t *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return pa_fail(err, PA_EINVAL, "validation", field, "%s is required", field);
		return 0;
	}
	if (!json_is_string(v))
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must be a string", field);
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return pa_fail(err, PA_EINVAL, "validation", field, "%s contains a NUL character", field);
	size_t n = utf8_chars(s);
	if ((required && n == 0) || n > max)
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must have 1..%zu characters",
		               field, max);
	*out = arena_strdup(a, s);
	return 0;
}

static bool id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > SURVEY_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

static int get_id(arena_t *a, json_t *obj, const char *key, const char *field, const char **out,
                  pa_err_t *err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v) || !id_valid(json_string_value(v)))
		return pa_fail(err, PA_EINVAL, "validation", field,
		               "%s must be 1..%d characters of a-z, 0-9, _ and -", field, SURVEY_ID_MAX);
	*out = arena_strdup(a, json_string_value(v));
	return 0;
}

static int get_bool(json_t *obj, const char *key, bool def, const char *field, bool *out,
                    pa_err_t *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		*out = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must be true or false", field);
	*out = json_is_true(v);
	return 0;
}

static int get_number(json_t *obj, const char *key, double min, double max, const char *field,
                      bool *present, double *out, pa_err_t *err)
{
	json_t *v = json_object_get(obj, key);
	*present = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must be a number", field);
	double d = json_number_value(v);
	if (!isfinite(d) || d < min || d > max)
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must be %g..%g", field, min, max);
	*present = true;
	*out = d;
	return 0;
}

/* ---- definitions ---------------------------------------------------------------------------- */

static int parse_scale(arena_t *a, json_t *js, size_t si, survey_scale_t *sc, pa_err_t *err)
{
	static const char *const allowed[] = { "id", "options", NULL };
	static const char *const opt_allowed[] = { "code", "label", "label_en", "points",
		                                       "positive", "excluded", NULL };
	char field[96];
	int rc;
	snprintf(field, sizeof(field), "scales[%zu]", si);
	if (!json_is_object(js))
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must be an object", field);
	if ((rc = only_members(js, allowed, field, err)) < 0)
		return rc;
	snprintf(field, sizeof(field), "scales[%zu].id", si);
	if ((rc = get_id(a, js, "id", field, &sc->id, err)) < 0)
		return rc;
	json_t *opts = json_object_get(js, "options");
	snprintf(field, sizeof(field), "scales[%zu].options", si);
	if (!json_is_array(opts) || json_array_size(opts) < 2 ||
	    json_array_size(opts) > SURVEY_MAX_OPTIONS)
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must list 2..%d options", field,
		               SURVEY_MAX_OPTIONS);
	sc->noptions = json_array_size(opts);
	sc->options = arena_zalloc(a, sc->noptions * sizeof(*sc->options));
	size_t valid = 0, with_points = 0;
	for (size_t i = 0; i < sc->noptions; i++) {
		json_t *jo = json_array_get(opts, i);
		survey_option_t *o = &sc->options[i];
		snprintf(field, sizeof(field), "scales[%zu].options[%zu]", si, i);
		if (!json_is_object(jo))
			return pa_fail(err, PA_EINVAL, "validation", field, "%s must be an object", field);
		if ((rc = only_members(jo, opt_allowed, field, err)) < 0)
			return rc;
		snprintf(field, sizeof(field), "scales[%zu].options[%zu].code", si, i);
		if ((rc = get_id(a, jo, "code", field, &o->code, err)) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (streq(sc->options[k].code, o->code))
				return pa_fail(err, PA_EINVAL, "validation", field, "option code %s repeats",
				               o->code);
		snprintf(field, sizeof(field), "scales[%zu].options[%zu].label", si, i);
		if ((rc = get_text(a, jo, "label", true, SURVEY_TEXT_MAX, field, &o->label, err)) < 0)
			return rc;
		snprintf(field, sizeof(field), "scales[%zu].options[%zu].label_en", si, i);
		if ((rc = get_text(a, jo, "label_en", false, SURVEY_TEXT_MAX, field, &o->label_en, err)) < 0)
			return rc;
		snprintf(field, sizeof(field), "scales[%zu].options[%zu].points", si, i);
		if ((rc = get_number(jo, "points", 0, SURVEY_POINTS_MAX, field, &o->has_points,
		                     &o->points, err)) < 0)
			return rc;
		snprintf(field, sizeof(field), "scales[%zu].options[%zu].positive", si, i);
		if ((rc = get_bool(jo, "positive", false, field, &o->positive, err)) < 0)
			return rc;
		snprintf(field, sizeof(field), "scales[%zu].options[%zu].excluded", si, i);
		if ((rc = get_bool(jo, "excluded", false, field, &o->excluded, err)) < 0)
			return rc;
		if (o->excluded && (o->positive || o->has_points))
			return pa_fail(err, PA_EINVAL, "validation", field,
			               "an excluded option has neither points nor positive");
		if (!o->excluded) {
			valid++;
			if (o->has_points)
				with_points++;
			if (o->positive)
				sc->has_rate = true;
		}
	}
	if (valid == 0)
		return pa_fail(err, PA_EINVAL, "validation", field, "a scale needs a valid option");
	if (with_points && with_points != valid) {
		snprintf(field, sizeof(field), "scales[%zu].options", si);
		return pa_fail(err, PA_EINVAL, "validation", field,
		               "either every valid option has points or none has");
	}
	sc->has_score = with_points == valid;
	return 0;
}

static int parse_question(arena_t *a, json_t *jq, size_t qi, survey_def_t *d,
                          survey_question_t *q, pa_err_t *err)
{
	static const char *const allowed[] = { "id", "text", "text_en", "scale", "required",
		                                   "weight", "index", NULL };
	char field[96];
	int rc;
	snprintf(field, sizeof(field), "questions[%zu]", qi);
	if (!json_is_object(jq))
		return pa_fail(err, PA_EINVAL, "validation", field, "%s must be an object", field);
	if ((rc = only_members(jq, allowed, field, err)) < 0)
		return rc;
	snprintf(field, sizeof(field), "questions[%zu].id", qi);
	if ((rc = get_id(a, jq, "id", field, &q->id, err)) < 0)
		return rc;
	for (size_t k = 0; k < qi; k++)
		if (streq(d->questions[k].id, q->id))
			return pa_fail(err, PA_EINVAL, "validation", field, "question id %s repeats", q->id);
	snprintf(field, sizeof(field), "questions[%zu].text", qi);
	if ((rc = get_text(a, jq, "text", true, SURVEY_TEXT_MAX, field, &q->text, err)) < 0)
		return rc;
	snprintf(field, sizeof(field), "questions[%zu].text_en", qi);
	if ((rc = get_text(a, jq, "text_en", false, SURVEY_TEXT_MAX, field, &q->text_en, err)) < 0)
		return rc;
	snprintf(field, sizeof(field), "questions[%zu].scale", qi);
	const char *scale;
	if ((rc = get_id(a, jq, "scale", field, &scale, err)) < 0)
		return rc;
	for (size_t k = 0; k < d->nscales; k++)
		if (streq(d->scales[k].id, scale))
			q->scale = &d->scales[k];
	if (!q->scale)
		return pa_fail(err, PA_EINVAL, "validation", field, "no scale %s", scale);
	snprintf(field, sizeof(field), "questions[%zu].required", qi);
	if ((rc = get_bool(jq, "required", true, field, &q->required, err)) < 0)
		return rc;
	bool has;
	snprintf(field, sizeof(field), "questions[%zu].weight", qi);
	if ((rc = get_number(jq, "weight", 0, 1000, field, &has, &q->weight, err)) < 0)
		return rc;
	if (!has)
		q->weight = 0;
	snprintf(field, sizeof(field), "questions[%zu].index", qi);
	json_t *ix = json_object_get(jq, "index");
	if (ix && !json_is_null(ix)) {
		if (!json_is_string(ix) ||
		    (!streq(json_string_value(ix), "rate") && !streq(json_string_value(ix), "score")))
			return pa_fail(err, PA_EINVAL, "validation", field, "%s must be rate or score", field);
		q->index_rate = streq(json_string_value(ix), "rate");
	} else {
		q->index_rate = !q->scale->has_score;
	}
	if (q->weight > 0 && q->index_rate && !q->scale->has_rate)
		return pa_fail(err, PA_EINVAL, "validation", field,
		               "the index uses the rate, but the scale has no positive option");
	if (q->weight > 0 && !q->index_rate && !q->scale->has_score)
		return pa_fail(err, PA_EINVAL, "validation", field,
		               "the index uses the score, but the scale has no points");
	return 0;
}

int survey_def_parse(arena_t *a, const char *text, size_t len, survey_def_t *out, pa_err_t *err)
{
	static const char *const allowed[] = { "series", "title", "title_en", "intro", "intro_en",
		                                   "access", "scales", "questions", "places", NULL };
	memset(out, 0, sizeof(*out));
	if (len > SURVEY_DEF_MAX_BYTES)
		return pa_fail(err, PA_ETOOLARGE, "too-large", "definition",
		               "a definition has at most %d bytes", SURVEY_DEF_MAX_BYTES);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return pa_fail(err, PA_EINVAL, "bad-json", "definition", "line %d column %d: %s",
		               je.line, je.column, je.text);
	int rc = 0;
	if (!json_is_object(root)) {
		rc = pa_fail(err, PA_EINVAL, "validation", "definition", "a definition is an object");
		goto done;
	}
	if ((rc = only_members(root, allowed, NULL, err)) < 0 ||
	    (rc = get_id(a, root, "series", "series", &out->series, err)) < 0 ||
	    (rc = get_text(a, root, "title", true, SURVEY_TEXT_MAX, "title", &out->title, err)) < 0 ||
	    (rc = get_text(a, root, "title_en", false, SURVEY_TEXT_MAX, "title_en", &out->title_en,
	                   err)) < 0 ||
	    (rc = get_text(a, root, "intro", false, SURVEY_TEXT_MAX * 4, "intro", &out->intro, err)) < 0 ||
	    (rc = get_text(a, root, "intro_en", false, SURVEY_TEXT_MAX * 4, "intro_en",
	                   &out->intro_en, err)) < 0)
		goto done;
	json_t *acc = json_object_get(root, "access");
	if (!acc) {
		out->access = "token";
	} else if (json_is_string(acc) && (streq(json_string_value(acc), "token") ||
	                                   streq(json_string_value(acc), "open"))) {
		out->access = streq(json_string_value(acc), "open") ? "open" : "token";
	} else {
		rc = pa_fail(err, PA_EINVAL, "validation", "access", "access must be token or open");
		goto done;
	}
	json_t *scales = json_object_get(root, "scales");
	if (!json_is_array(scales) || json_array_size(scales) < 1 ||
	    json_array_size(scales) > SURVEY_MAX_SCALES) {
		rc = pa_fail(err, PA_EINVAL, "validation", "scales", "scales must list 1..%d scales",
		             SURVEY_MAX_SCALES);
		goto done;
	}
	out->nscales = json_array_size(scales);
	out->scales = arena_zalloc(a, out->nscales * sizeof(*out->scales));
	for (size_t i = 0; i < out->nscales; i++) {
		if ((rc = parse_scale(a, json_array_get(scales, i), i, &out->scales[i], err)) < 0)
			goto done;
		for (size_t k = 0; k < i; k++)
			if (streq(out->scales[k].id, out->scales[i].id)) {
				rc = pa_fail(err, PA_EINVAL, "validation", "scales", "scale id %s repeats",
				             out->scales[i].id);
				goto done;
			}
	}
	json_t *qs = json_object_get(root, "questions");
	if (!json_is_array(qs) || json_array_size(qs) < 1 ||
	    json_array_size(qs) > SURVEY_MAX_QUESTIONS) {
		rc = pa_fail(err, PA_EINVAL, "validation", "questions",
		             "questions must list 1..%d questions", SURVEY_MAX_QUESTIONS);
		goto done;
	}
	out->nquestions = json_array_size(qs);
	out->questions = arena_zalloc(a, out->nquestions * sizeof(*out->questions));
	for (size_t i = 0; i < out->nquestions; i++)
		if ((rc = parse_question(a, json_array_get(qs, i), i, out, &out->questions[i], err)) < 0)
			goto done;
	json_t *places = json_object_get(root, "places");
	if (places && !json_is_null(places)) {
		if (!json_is_array(places) || json_array_size(places) > SURVEY_MAX_PLACES) {
			rc = pa_fail(err, PA_EINVAL, "validation", "places",
			             "places must list at most %d org ids", SURVEY_MAX_PLACES);
			goto done;
		}
		out->nplaces = json_array_size(places);
		out->places = arena_zalloc(a, (out->nplaces + 1) * sizeof(pa_id_t));
		for (size_t i = 0; i < out->nplaces; i++) {
			json_t *v = json_array_get(places, i);
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				rc = pa_fail(err, PA_EINVAL, "validation", "places",
				             "places[%zu] must be an org id", i);
				goto done;
			}
			out->places[i] = json_integer_value(v);
		}
	}
done:
	if (rc < 0) {
		json_decref(root);
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->normalized = root;
	return 0;
}

void survey_def_free(survey_def_t *d)
{
	if (d->normalized)
		json_decref(d->normalized);
	d->normalized = NULL;
}

/* ---- answers --------------------------------------------------------------------------------- */

int survey_answers_parse(arena_t *a, const survey_def_t *d, const char *text, size_t len,
                         survey_answers_t *out, pa_err_t *err)
{
	static const char *const allowed[] = { "answers", "place", "token", NULL };
	memset(out, 0, sizeof(*out));
	json_error_t je;
	json_t *root = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return pa_fail(err, PA_EINVAL, "bad-json", NULL, "line %d column %d: %s", je.line,
		               je.column, je.text);
	int rc = 0;
	if (!json_is_object(root)) {
		rc = pa_fail(err, PA_EINVAL, "validation", NULL, "the body is a JSON object");
		goto done;
	}
	if ((rc = only_members(root, allowed, NULL, err)) < 0)
		goto done;
	json_t *ans = json_object_get(root, "answers");
	if (!json_is_object(ans)) {
		rc = pa_fail(err, PA_EINVAL, "validation", "answers", "answers must be an object");
		goto done;
	}
	out->n = d->nquestions;
	out->answers = arena_alloc(a, (d->nquestions + 1) * sizeof(int));
	for (size_t i = 0; i < d->nquestions; i++)
		out->answers[i] = -1;
	const char *key;
	json_t *v;
	json_object_foreach(ans, key, v) {
		size_t qi = d->nquestions;
		for (size_t i = 0; i < d->nquestions; i++)
			if (streq(d->questions[i].id, key))
				qi = i;
		if (qi == d->nquestions) {
			rc = pa_fail(err, PA_EINVAL, "validation", "answers",
			             "no question \"%.40s\" in this survey", key);
			goto done;
		}
		if (json_is_null(v))
			continue;
		const survey_scale_t *sc = d->questions[qi].scale;
		const char *code = json_string_value(v);
		int oi = -1;
		for (size_t k = 0; code && k < sc->noptions; k++)
			if (streq(sc->options[k].code, code))
				oi = (int)k;
		if (oi < 0) {
			rc = pa_fail(err, PA_EINVAL, "validation", arena_printf(a, "answers.%s", key),
			             "not an option of this question");
			goto done;
		}
		out->answers[qi] = oi;
	}
	for (size_t i = 0; i < d->nquestions; i++)
		if (d->questions[i].required && out->answers[i] < 0) {
			rc = pa_fail(err, PA_EINVAL, "validation",
			             arena_printf(a, "answers.%s", d->questions[i].id),
			             "this question needs an answer");
			goto done;
		}
	json_t *place = json_object_get(root, "place");
	if (place && !json_is_null(place)) {
		if (!json_is_integer(place) || json_integer_value(place) <= 0) {
			rc = pa_fail(err, PA_EINVAL, "validation", "place", "place must be an org id");
			goto done;
		}
		out->place = json_integer_value(place);
	}
	json_t *tok = json_object_get(root, "token");
	if (tok && !json_is_null(tok)) {
		if (!json_is_string(tok) || json_string_length(tok) > 64) {
			rc = pa_fail(err, PA_EINVAL, "validation", "token", "token must be a short string");
			goto done;
		}
		out->token = arena_strdup(a, json_string_value(tok));
	}
done:
	json_decref(root);
	return rc;
}

/* ---- statistics ------------------------------------------------------------------------------- */

survey_interval_t survey_wilson(int64_t x, int64_t n)
{
	survey_interval_t r = { 0, 0, 0 };
	if (n <= 0)
		return r;
	double p = (double)x / (double)n, nn = (double)n, z2 = Z975 * Z975;
	double denom = 1 + z2 / nn;
	double centre = (p + z2 / (2 * nn)) / denom;
	double half = Z975 / denom * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
	r.value = p;
	r.low = fmax(0, centre - half);
	r.high = fmin(1, centre + half);
	return r;
}

double survey_t975(int64_t df)
{
	static const double table[30] = {
		12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851,
		2.364624252,  2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830,
		2.160368656,  2.144786688, 2.131449546, 2.119905299, 2.109815578, 2.100922040,
		2.093024054,  2.085963447, 2.079613845, 2.073873068, 2.068657610, 2.063898562,
		2.059538553,  2.055529439, 2.051830516, 2.048407142, 2.045229642, 2.042272456,
	};
	if (df < 1)
		return NAN;
	if (df <= 30)
		return table[df - 1];
	/* Cornish–Fisher expansion of t's quantile in powers of 1/df */
	double z = Z975, v = (double)df;
	double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z, z9 = z7 * z * z;
	double g1 = (z3 + z) / 4;
	double g2 = (5 * z5 + 16 * z3 + 3 * z) / 96;
	double g3 = (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / 384;
	double g4 = (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / 92160;
	return z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v);
}

survey_interval_t survey_mean_ci(int64_t n, double sum, double sumsq)
{
	survey_interval_t r = { 0, 0, 0 };
	if (n <= 0)
		return r;
	double nn = (double)n, mean = sum / nn;
	r.value = r.low = r.high = mean;
	if (n < 2)
		return r;
	double var = (sumsq - nn * mean * mean) / (nn - 1);
	if (var < 0)
		var = 0;
	double half = survey_t975(n - 1) * sqrt(var / nn);
	r.low = mean - half;
	r.high = mean + half;
	return r;
}

/* ---- the service ------------------------------------------------------------------------------- */

bool surveys_may_manage(const pa_principal_t *p)
{
	return p && p->kind == PRINCIPAL_STAFF &&
	       (authz_has_role(p, "admin") || authz_has_role(p, "leader") ||
	        authz_has_role(p, "supervisor"));
}

bool surveys_may_read(const pa_principal_t *p)
{
	return surveys_may_manage(p) || (p && p->kind == PRINCIPAL_STAFF && authz_has_role(p, "auditor"));
}

static const char *json_text(arena_t *a, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	const char *r = arena_strdup(a, s ? s : "{}");
	free(s);
	return r;
}

/* Places of a definition must be places (not units) of the org tree. */
static int check_places(const orgtree_t *t, const survey_def_t *d, pa_err_t *err)
{
	for (size_t i = 0; i < d->nplaces; i++) {
		const pa_org_t *o = orgtree_find(t, d->places[i]);
		if (!o || o->is_unit || o->disabled)
			return pa_fail(err, PA_EINVAL, "validation", "places",
			               "places[%zu]: no such place (street, community or grid)", i);
	}
	return 0;
}

struct def_tx {
	pa_app_t *app;
	arena_t *a;
	const pa_principal_t *p;
	const survey_def_t *d;
	const char *def_text;
	pa_id_t id;
	const char *to;
	pa_time_t now;
};

static int create_tx(store_tx_t *tx, void *ctx)
{
	struct def_tx *c = ctx;
	pa_survey_t s = {
		.series = c->d->series, .title = c->d->title, .access = c->d->access, .state = "draft",
		.definition = c->def_text, .created_by = c->p->user_id, .created_at = c->now,
	};
	int rc = store_tx_survey_insert(tx, &s, &c->id);
	if (rc < 0)
		return rc;
	return audit_append(tx, c->now, authz_actor(c->p, c->a), "survey.create",
	                    arena_printf(c->a, "survey:%lld", (long long)c->id),
	                    arena_printf(c->a, "{\"series\":\"%s\"}", c->d->series));
}

static int parse_checked(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *text,
                         size_t len, survey_def_t *d, const char **norm, pa_err_t *err)
{
	int rc = survey_def_parse(a, text, len, d, err);
	if (rc < 0)
		return rc;
	if ((rc = check_places(p->tree, d, err)) == 0)
		*norm = json_text(a, d->normalized);
	survey_def_free(d);
	return rc;
}

int surveys_create(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *def_text,
                   size_t len, pa_survey_t *out, pa_err_t *err)
{
	if (!surveys_may_manage(p))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "defining surveys needs the admin, leader or supervisor role");
	survey_def_t d;
	struct def_tx c = { .app = app, .a = a, .p = p, .d = &d, .now = pa_now() };
	int rc = parse_checked(app, a, p, def_text, len, &d, &c.def_text, err);
	if (rc < 0)
		return rc;
	if ((rc = store_write(app->store, create_tx, &c, err)) < 0)
		return rc;
	return surveys_get(app, a, p, c.id, out, err);
}

int surveys_get(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id, pa_survey_t *out,
                pa_err_t *err)
{
	if (p && !surveys_may_read(p))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL, "surveys are for survey managers");
	int rc = store_survey_get(store_reader(app->store), a, id, out);
	if (rc == PA_ENOTFOUND || (rc == 0 && !p && streq(out->state, "draft")))
		return pa_fail(err, PA_ENOTFOUND, "not-found", NULL, "no such survey");
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "the survey could not be read");
	return 0;
}

int surveys_list(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *state,
                 const char *series, pa_survey_t **out, size_t *n, pa_err_t *err)
{
	if (!surveys_may_read(p))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL, "surveys are for survey managers");
	if (state && !streq(state, "draft") && !streq(state, "open") && !streq(state, "closed"))
		return pa_fail(err, PA_EINVAL, "validation", "state", "state must be draft, open or closed");
	int rc = store_surveys_list(store_reader(app->store), a, state, series, 0, SURVEY_LIST_MAX,
	                            out, n);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "surveys could not be read");
	return 0;
}

static int state_tx(store_tx_t *tx, void *ctx)
{
	struct def_tx *c = ctx;
	const char *from = streq(c->to, "open") ? "draft" : "open";
	int rc = store_tx_survey_set_state(tx, c->id, from, c->to, c->now);
	if (rc == PA_ENOTFOUND && streq(c->to, "open"))
		return pa_fail(store_tx_err(tx), PA_ECONFLICT, "invalid-state", "state",
		               "only a draft survey can be opened");
	if (rc == PA_ENOTFOUND)
		return pa_fail(store_tx_err(tx), PA_ECONFLICT, "invalid-state", "state",
		               "only an open survey can be closed");
	if (rc < 0)
		return rc;
	return audit_append(tx, c->now, authz_actor(c->p, c->a),
	                    streq(c->to, "open") ? "survey.open" : "survey.close",
	                    arena_printf(c->a, "survey:%lld", (long long)c->id), "{}");
}

int surveys_set_state(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                      const char *to, pa_survey_t *out, pa_err_t *err)
{
	if (!surveys_may_manage(p))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "opening and closing surveys needs the admin, leader or supervisor role");
	pa_survey_t cur;
	int rc = surveys_get(app, a, p, id, &cur, err);
	if (rc < 0)
		return rc;
	struct def_tx c = { .app = app, .a = a, .p = p, .id = id, .to = to, .now = pa_now() };
	if ((rc = store_write(app->store, state_tx, &c, err)) < 0)
		return rc;
	return surveys_get(app, a, p, id, out, err);
}

/* ---- tokens -------------------------------------------------------------------------------------- */

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Upper-cases and maps the look-alikes Crockford allows (O→0, I/L→1), drops
 * spaces and dashes; NULL when anything else is left. */
static char *token_normalize(arena_t *a, const char *in)
{
	size_t n = strlen(in);
	char *out = arena_alloc(a, n + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = in[i];
		if (ch == '-' || ch == ' ')
			continue;
		if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		if (ch == 'O')
			ch = '0';
		else if (ch == 'I' || ch == 'L')
			ch = '1';
		if (!strchr(crockford, ch) || ch == 0)
			return NULL;
		out[k++] = ch;
	}
	out[k] = 0;
	return k == SURVEY_TOKEN_CHARS ? out : NULL;
}

static void token_hash(pa_id_t survey, const char *token, char out[PA_HASH_HEX])
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "survey:%lld:%s", (long long)survey, token);
	sha256_hex(buf, (size_t)n, out);
}

struct invite_tx {
	arena_t *a;
	const pa_principal_t *p;
	pa_id_t survey;
	pa_id_t place;
	int count;
	char (*hashes)[PA_HASH_HEX];
	int64_t batch;
	pa_time_t now;
};

static int invite_tx(store_tx_t *tx, void *ctx)
{
	struct invite_tx *c = ctx;
	int rc = store_tx_survey_next_batch(tx, c->survey, &c->batch);
	for (int i = 0; rc == 0 && i < c->count; i++)
		rc = store_tx_survey_invitation_insert(tx, c->survey, c->batch, c->hashes[i], c->place,
		                                       c->now);
	if (rc < 0)
		return rc;
	return audit_append(tx, c->now, authz_actor(c->p, c->a), "survey.invite",
	                    arena_printf(c->a, "survey:%lld", (long long)c->survey),
	                    arena_printf(c->a, "{\"batch\":%lld,\"count\":%d,\"place\":%lld}",
	                                 (long long)c->batch, c->count, (long long)c->place));
}

int surveys_invite(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id, int count,
                   pa_id_t place, int64_t *batch, survey_invite_t **out, pa_err_t *err)
{
	if (!surveys_may_manage(p))
		return pa_fail(err, PA_EFORBIDDEN, "forbidden", NULL,
		               "inviting needs the admin, leader or supervisor role");
	pa_survey_t s;
	int rc = surveys_get(app, a, p, id, &s, err);
	if (rc < 0)
		return rc;
	if (!streq(s.access, "token"))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", "access",
		               "this survey is answered by its open link, not by invitation");
	if (streq(s.state, "closed"))
		return pa_fail(err, PA_ECONFLICT, "invalid-state", "state", "the survey is closed");
	if (count < 1 || count > SURVEY_INVITE_MAX)
		return pa_fail(err, PA_EINVAL, "validation", "count", "count must be 1..%d",
		               SURVEY_INVITE_MAX);
	if (place) {
		const pa_org_t *o = orgtree_find(p->tree, place);
		if (!o || o->is_unit)
			return pa_fail(err, PA_EINVAL, "validation", "place",
			               "no such place (street, community or grid)");
	}
	struct invite_tx c = { .a = a, .p = p, .survey = id, .place = place, .count = count,
		                   .now = pa_now() };
	c.hashes = arena_alloc(a, (size_t)count * PA_HASH_HEX);
	survey_invite_t *inv = arena_zalloc(a, (size_t)count * sizeof(*inv));
	for (int i = 0; i < count; i++) {
		char *t = arena_alloc(a, SURVEY_TOKEN_CHARS + 1);
		for (int k = 0; k < SURVEY_TOKEN_CHARS; k++)
			t[k] = crockford[randombytes_uniform(32)];
		t[SURVEY_TOKEN_CHARS] = 0;
		inv[i].token = t;
		token_hash(id, t, c.hashes[i]);
	}
	if ((rc = store_write(app->store, invite_tx, &c, err)) < 0)
		return rc;
	*batch = c.batch;
	*out = inv;
	return 0;
}

static int token_guess(pa_app_t *app, arena_t *a, const char *ip, pa_err_t *err)
{
	int retry = 1;
	const char *key = arena_printf(a, "survey-token %s", ip ? ip : "-");
	if (!ratelimit_take(app->code_rl, key, pa_mono_us() / 1000, &retry)) {
		int rc = pa_fail(err, PA_ERATE, "rate-limited", "token", "too many wrong tokens");
		err->retry_after = retry;
		return rc;
	}
	return pa_fail(err, PA_ENOTFOUND, "not-found", "token", "no such invitation");
}

int surveys_check_token(pa_app_t *app, arena_t *a, pa_id_t id, const char *client_ip,
                        const char *token, pa_id_t *place, pa_err_t *err)
{
	char *norm = token ? token_normalize(a, token) : NULL;
	if (!norm)
		return token_guess(app, a, client_ip, err);
	char hash[PA_HASH_HEX];
	token_hash(id, norm, hash);
	bool used = false;
	int rc = store_survey_invitation_get(store_reader(app->store), id, hash, place, &used);
	if (rc == PA_ENOTFOUND)
		return token_guess(app, a, client_ip, err);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "the invitation could not be read");
	if (used)
		return pa_fail(err, PA_ECONFLICT, "token-used", "token", "this invitation was used");
	return 0;
}

struct answer_tx {
	const survey_def_t *d;
	const survey_answers_t *ans;
	pa_id_t survey;
	const char *token_hash;  /* NULL for the open link */
	pa_id_t place;
	pa_time_t now;
	pa_id_t response_id;
};

static int answer_tx(store_tx_t *tx, void *ctx)
{
	struct answer_tx *c = ctx;
	pa_err_t *err = store_tx_err(tx);
	char state[16];
	int rc = store_tx_survey_state(tx, c->survey, state, sizeof(state));
	if (rc < 0)
		return rc;
	if (!streq(state, "open"))
		return pa_fail(err, PA_ECONFLICT, "survey-closed", NULL, "the survey is not open");
	pa_id_t inv = 0;
	if (c->token_hash) {
		pa_id_t tplace = 0;
		rc = store_tx_survey_invitation_use(tx, c->survey, c->token_hash, c->now, &inv, &tplace);
		if (rc == PA_ECONFLICT)
			return pa_fail(err, PA_ECONFLICT, "token-used", "token", "this invitation was used");
		if (rc == PA_ENOTFOUND)
			return pa_fail(err, PA_ENOTFOUND, "not-found", "token", "no such invitation");
		if (rc < 0)
			return rc;
		if (tplace)
			c->place = tplace;
	}
	if ((rc = store_tx_survey_response_insert(tx, c->survey, inv, c->place, c->now,
	                                          &c->response_id)) < 0)
		return rc;
	for (size_t i = 0; i < c->ans->n; i++) {
		if (c->ans->answers[i] < 0)
			continue;
		const survey_question_t *q = &c->d->questions[i];
		rc = store_tx_survey_answer_insert(tx, c->response_id, c->survey, c->place, q->id,
		                                   q->scale->options[c->ans->answers[i]].code);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_def(arena_t *a, const pa_survey_t *s, survey_def_t *d, pa_err_t *err)
{
	int rc = survey_def_parse(a, s->definition, strlen(s->definition), d, err);
	if (rc < 0)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "stored definition unreadable");
	return 0;
}

static bool place_allowed(const orgtree_t *t, const survey_def_t *d, pa_id_t place)
{
	const pa_org_t *o = orgtree_find(t, place);
	if (!o || o->is_unit || o->disabled)
		return false;
	if (d->nplaces == 0)
		return true;
	for (size_t i = 0; i < d->nplaces; i++)
		if (orgtree_is_within(t, place, d->places[i]))
			return true;
	return false;
}

int surveys_answer(pa_app_t *app, arena_t *a, pa_id_t id, const char *client_ip,
                   const char *body, size_t len, pa_id_t *response_id, pa_err_t *err)
{
	pa_survey_t s;
	int rc = surveys_get(app, a, NULL, id, &s, err);
	if (rc < 0)
		return rc;
	survey_def_t d;
	if ((rc = load_def(a, &s, &d, err)) < 0)
		return rc;
	survey_answers_t ans;
	struct answer_tx c = { .d = &d, .ans = &ans, .survey = id, .now = pa_now() };
	if ((rc = survey_answers_parse(a, &d, body, len, &ans, err)) < 0)
		goto done;
	if (!streq(s.state, "open")) {
		rc = pa_fail(err, PA_ECONFLICT, "survey-closed", NULL, "the survey is not open");
		goto done;
	}
	orgtree_t *t = orgcache_get(app->orgs);
	if (ans.place && !place_allowed(t, &d, ans.place))
		rc = pa_fail(err, PA_EINVAL, "validation", "place", "not a place of this survey");
	orgtree_release(t);
	if (rc < 0)
		goto done;
	c.place = ans.place;
	if (streq(s.access, "token")) {
		char *norm = ans.token ? token_normalize(a, ans.token) : NULL;
		if (!norm) {
			rc = ans.token ? token_guess(app, a, client_ip, err)
			               : pa_fail(err, PA_EINVAL, "validation", "token",
			                         "this survey is answered with an invitation token");
			goto done;
		}
		char *h = arena_alloc(a, PA_HASH_HEX);
		token_hash(id, norm, h);
		c.token_hash = h;
	} else {
		int retry = 1;
		const char *key = arena_printf(a, "survey:%lld %s", (long long)id,
		                               client_ip ? client_ip : "-");
		if (!ratelimit_take(app->survey_rl, key, pa_mono_us() / 1000, &retry)) {
			rc = pa_fail(err, PA_ERATE, "rate-limited", NULL,
			             "too many responses from this address; try again later");
			err->retry_after = retry;
			goto done;
		}
	}
	rc = store_write(app->store, answer_tx, &c, err);
	if (rc == PA_ENOTFOUND && c.token_hash)
		rc = token_guess(app, a, client_ip, err);
	if (rc == 0)
		*response_id = c.response_id;
done:
	survey_def_free(&d);
	return rc;
}

/* ---- results ------------------------------------------------------------------------------------- */

/* Counts of one question within one group. */
typedef struct qcount {
	int64_t *option;  /* per option index */
} qcount_t;

typedef struct group {
	pa_id_t org;      /* 0 = overall */
	int64_t responses;
	qcount_t *q;      /* per question */
} group_t;

typedef struct groups {
	group_t *g;
	size_t n, cap;
} groups_t;

static group_t *group_for(arena_t *a, groups_t *gs, const survey_def_t *d, pa_id_t org)
{
	for (size_t i = 0; i < gs->n; i++)
		if (gs->g[i].org == org)
			return &gs->g[i];
	if (gs->n == gs->cap) {
		size_t cap = gs->cap ? gs->cap * 2 : 16;
		group_t *ng = arena_zalloc(a, cap * sizeof(*ng));
		if (gs->n)
			memcpy(ng, gs->g, gs->n * sizeof(*ng));
		gs->g = ng;
		gs->cap = cap;
	}
	group_t *g = &gs->g[gs->n++];
	g->org = org;
	g->q = arena_zalloc(a, d->nquestions * sizeof(*g->q));
	for (size_t i = 0; i < d->nquestions; i++)
		g->q[i].option = arena_zalloc(a, d->questions[i].scale->noptions * sizeof(int64_t));
	return g;
}

static const char *label(const char *zh, const char *en, const char *lang)
{
	return lang && streq(lang, "en") && en && *en ? en : zh;
}

static json_t *interval_json(survey_interval_t iv, double scale)
{
	return json_pack("{s:f, s:f, s:f}", "value", iv.value * scale, "low", iv.low * scale, "high",
	                 iv.high * scale);
}

/* The statistics of one group; also fills *composite for the trend. */
static json_t *group_json(const survey_def_t *d, const group_t *g, const char *lang,
                          bool with_options, json_t **composite_out)
{
	json_t *qs = json_array();
	double wsum = 0, vsum = 0, varsum = 0;
	double *ws = calloc(d->nquestions + 1, sizeof(double));
	double *ses = calloc(d->nquestions + 1, sizeof(double));
	double *vs = calloc(d->nquestions + 1, sizeof(double));
	for (size_t i = 0; i < d->nquestions; i++) {
		const survey_question_t *q = &d->questions[i];
		const survey_scale_t *sc = q->scale;
		int64_t total = 0, excluded = 0, valid = 0, positive = 0;
		double sum = 0, sumsq = 0;
		json_t *opts = json_array();
		for (size_t k = 0; k < sc->noptions; k++) {
			const survey_option_t *o = &sc->options[k];
			int64_t cnt = g->q[i].option[k];
			total += cnt;
			if (o->excluded) {
				excluded += cnt;
			} else {
				valid += cnt;
				if (o->positive)
					positive += cnt;
				if (o->has_points) {
					sum += (double)cnt * o->points;
					sumsq += (double)cnt * o->points * o->points;
				}
			}
			if (with_options)
				json_array_append_new(opts, json_pack("{s:s, s:s, s:I}", "code", o->code, "label",
				                                      label(o->label, o->label_en, lang), "count",
				                                      (json_int_t)cnt));
		}
		json_t *jq = json_pack("{s:s, s:s, s:I, s:I, s:I}", "id", q->id, "text",
		                       label(q->text, q->text_en, lang), "answers", (json_int_t)total,
		                       "excluded", (json_int_t)excluded, "valid", (json_int_t)valid);
		if (with_options)
			json_object_set_new(jq, "options", opts);
		else
			json_decref(opts);
		survey_interval_t rate = survey_wilson(positive, valid);
		survey_interval_t score = survey_mean_ci(valid, sum, sumsq);
		json_object_set_new(jq, "rate",
		                    sc->has_rate && valid ? interval_json(rate, 1) : json_null());
		json_object_set_new(jq, "score",
		                    sc->has_score && valid ? interval_json(score, 1) : json_null());
		json_object_set_new(jq, "weight", json_real(q->weight));
		if (q->weight > 0 && valid > 0) {
			double v, se;
			if (q->index_rate) {
				double p = (double)positive / (double)valid;
				v = p * 100;
				se = 100 * sqrt(p * (1 - p) / (double)valid);
			} else {
				v = score.value;
				double var = valid > 1 ? (sumsq - (double)valid * v * v) / (double)(valid - 1) : 0;
				se = sqrt(fmax(var, 0) / (double)valid);
			}
			ws[i] = q->weight;
			vs[i] = v;
			ses[i] = se;
			wsum += q->weight;
		}
		json_array_append_new(qs, jq);
	}
	json_t *comp = json_null();
	if (wsum > 0) {
		for (size_t i = 0; i < d->nquestions; i++) {
			double w = ws[i] / wsum;
			vsum += w * vs[i];
			varsum += w * w * ses[i] * ses[i];
		}
		double half = Z975 * sqrt(varsum);
		comp = json_pack("{s:f, s:f, s:f}", "value", vsum, "low", vsum - half, "high", vsum + half);
	}
	free(ws);
	free(ses);
	free(vs);
	if (composite_out)
		*composite_out = json_incref(comp);
	return json_pack("{s:I, s:o, s:o}", "responses", (json_int_t)g->responses, "questions", qs,
	                 "composite", comp);
}

/* Tallies survey s into groups: [0] overall, then streets and communities. */
static int tally(pa_app_t *app, arena_t *a, const orgtree_t *t, const survey_def_t *d,
                 pa_id_t survey, groups_t *gs, pa_err_t *err)
{
	store_conn_t *conn = store_reader(app->store);
	pa_survey_tally_t *rows = NULL;
	size_t n = 0;
	int rc = store_survey_tally(conn, a, survey, &rows, &n);
	pa_survey_place_count_t *pc = NULL;
	size_t npc = 0;
	if (rc == 0)
		rc = store_survey_place_counts(conn, a, survey, &pc, &npc);
	if (rc < 0)
		return pa_fail(err, rc, "unavailable", NULL, "the responses could not be read");
	group_for(a, gs, d, 0);
	for (int pass = 0; pass < 2; pass++) {
		size_t cnt = pass ? n : npc;
		for (size_t i = 0; i < cnt; i++) {
			pa_id_t place = pass ? rows[i].place : pc[i].place;
			pa_id_t street = 0, community = 0;
			if (place) {
				pa_id_t *anc = NULL;
				size_t na = orgtree_ancestors(t, a, place, &anc);
				for (size_t k = 0; k < na; k++) {
					const pa_org_t *o = orgtree_find(t, anc[k]);
					if (o && streq(o->kind, "street") && !street)
						street = o->id;
					if (o && streq(o->kind, "community") && !community)
						community = o->id;
				}
			}
			group_t *targets[3] = { &gs->g[0], street ? group_for(a, gs, d, street) : NULL,
				                    community ? group_for(a, gs, d, community) : NULL };
			for (int k = 0; k < 3; k++) {
				group_t *g = targets[k];
				if (!g)
					continue;
				if (!pass) {
					g->responses += pc[i].count;
					continue;
				}
				for (size_t qi = 0; qi < d->nquestions; qi++) {
					if (!streq(d->questions[qi].id, rows[i].question))
						continue;
					const survey_scale_t *sc = d->questions[qi].scale;
					for (size_t oi = 0; oi < sc->noptions; oi++)
						if (streq(sc->options[oi].code, rows[i].option))
							g->q[qi].option[oi] += rows[i].count;
				}
			}
		}
	}
	return 0;
}

static json_t *survey_ref(pa_app_t *app, const pa_survey_t *s)
{
	char opened[32], closed[32];
	pa_time_format(s->opened_at, app->cfg->utc_offset_min, opened);
	pa_time_format(s->closed_at, app->cfg->utc_offset_min, closed);
	return json_pack("{s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)s->id, "title", s->title,
	                 "state", s->state, "opened_at",
	                 s->opened_at ? json_string(opened) : json_null(), "closed_at",
	                 s->closed_at ? json_string(closed) : json_null());
}

int surveys_results(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                    const char *lang, json_t **out, pa_err_t *err)
{
	pa_survey_t s;
	int rc = surveys_get(app, a, p, id, &s, err);
	if (rc < 0)
		return rc;
	survey_def_t d;
	if ((rc = load_def(a, &s, &d, err)) < 0)
		return rc;
	groups_t gs = { 0 };
	if ((rc = tally(app, a, p->tree, &d, id, &gs, err)) < 0) {
		survey_def_free(&d);
		return rc;
	}
	json_t *streets = json_array(), *communities = json_array();
	json_t *overall_comp = NULL;
	json_t *overall = group_json(&d, &gs.g[0], lang, true, &overall_comp);
	for (size_t i = 1; i < gs.n; i++) {
		const pa_org_t *o = orgtree_find(p->tree, gs.g[i].org);
		json_t *gj = group_json(&d, &gs.g[i], lang, true, NULL);
		json_object_set_new(gj, "org", json_pack("{s:I, s:s, s:s}", "id", (json_int_t)o->id,
		                                         "code", o->code, "name",
		                                         label(o->name, o->name_en, lang)));
		json_array_append_new(streq(o->kind, "street") ? streets : communities, gj);
	}
	/* the trend: earlier surveys of the series, oldest first, then this one */
	json_t *trend = json_array();
	pa_survey_t *earlier = NULL;
	size_t ne = 0;
	if (store_surveys_list(store_reader(app->store), a, NULL, d.series, id, SURVEY_TREND_MAX,
	                       &earlier, &ne) == 0) {
		json_t *prev = NULL;
		for (size_t k = ne; k-- > 0;) {
			if (streq(earlier[k].state, "draft"))
				continue;
			survey_def_t ed;
			pa_err_t e2 = { 0 };
			if (load_def(a, &earlier[k], &ed, &e2) < 0)
				continue;
			groups_t eg = { 0 };
			json_t *comp = NULL;
			if (tally(app, a, p->tree, &ed, earlier[k].id, &eg, &e2) == 0) {
				json_t *gj = group_json(&ed, &eg.g[0], lang, false, &comp);
				json_object_set_new(gj, "survey", survey_ref(app, &earlier[k]));
				json_array_append_new(trend, gj);
				if (prev)
					json_decref(prev);
				prev = comp;
			}
			survey_def_free(&ed);
		}
		json_t *self = group_json(&d, &gs.g[0], lang, false, NULL);
		json_object_set_new(self, "survey", survey_ref(app, &s));
		json_array_append_new(trend, self);
		double pv = prev && json_is_object(prev)
		                ? json_real_value(json_object_get(prev, "value")) : NAN;
		double cv = json_is_object(overall_comp)
		                ? json_real_value(json_object_get(overall_comp, "value")) : NAN;
		json_object_set_new(self, "composite_change",
		                    isfinite(pv) && isfinite(cv) ? json_real(cv - pv) : json_null());
		if (prev)
			json_decref(prev);
	}
	json_decref(overall_comp);
	*out = json_pack("{s:o, s:{s:f, s:s, s:s, s:s}, s:o, s:o, s:o, s:o}", "survey",
	                 survey_ref(app, &s), "method", "confidence", 0.95, "rate",
	                 "wilson", "score", "student-t", "composite", "normal-independent", "overall",
	                 overall, "streets", streets, "communities", communities, "trend", trend);
	survey_def_free(&d);
	return 0;
}

/* ---- public view and QR codes ---------------------------------------------------------------------- */

json_t *surveys_public_json(pa_app_t *app, arena_t *a, const pa_survey_t *s, const char *lang)
{
	survey_def_t d;
	pa_err_t err = { 0 };
	if (load_def(a, s, &d, &err) < 0)
		return json_null();
	json_t *qs = json_array();
	for (size_t i = 0; i < d.nquestions; i++) {
		const survey_question_t *q = &d.questions[i];
		json_t *opts = json_array();
		for (size_t k = 0; k < q->scale->noptions; k++) {
			const survey_option_t *o = &q->scale->options[k];
			json_array_append_new(opts, json_pack("{s:s, s:s}", "code", o->code, "label",
			                                      label(o->label, o->label_en, lang)));
		}
		json_array_append_new(qs, json_pack("{s:s, s:s, s:b, s:o}", "id", q->id, "text",
		                                    label(q->text, q->text_en, lang), "required",
		                                    q->required, "options", opts));
	}
	json_t *places = json_array();
	orgtree_t *t = orgcache_get(app->orgs);
	if (streq(s->access, "open")) {
		size_t n = orgtree_count(t);
		for (size_t i = 0; i < n; i++) {
			const pa_org_t *o = orgtree_at(t, i);
			if (o->is_unit || o->disabled || !streq(o->kind, "community") ||
			    !place_allowed(t, &d, o->id))
				continue;
			const pa_org_t *parent = orgtree_find(t, o->parent_id);
			json_array_append_new(places, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)o->id,
			                                        "name", label(o->name, o->name_en, lang),
			                                        "street", parent ? label(parent->name,
			                                                                 parent->name_en, lang)
			                                                         : ""));
		}
	}
	orgtree_release(t);
	json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)s->id, "title",
	                      label(d.title, d.title_en, lang), "intro",
	                      label(d.intro ? d.intro : "", d.intro_en, lang), "access", s->access,
	                      "state", s->state, "questions", qs, "places", places);
	survey_def_free(&d);
	return j;
}

char *survey_qr_svg(arena_t *a, const char *text)
{
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!qr)
		return NULL;
	int w = qr->width, quiet = 4, full = w + 2 * quiet;
	strbuf_t sb = STRBUF_INIT;
	strbuf_addf(&sb,
	            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	            "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
	            "<path fill=\"#000\" d=\"",
	            full, full, full, full);
	for (int r = 0; r < w; r++)
		for (int c = 0; c < w; c++)
			if (qr->data[r * w + c] & 1)
				strbuf_addf(&sb, "M%d %dh1v1h-1z", c + quiet, r + quiet);
	strbuf_adds(&sb, "\"/></svg>");
	QRcode_free(qr);
	char *out = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return out;
}
