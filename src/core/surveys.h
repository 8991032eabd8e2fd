/*
 * surveys.h — the district's surveys (群众安全感, 执法满意度, 知晓率 …):
 * definition, invitations, answers, results.
 *
 * Life of a survey (one row of `surveys`):
 *
 *     draft ──open──▶ open ──close──▶ closed
 *
 *   define  surveys_create(): a definition (JSON, survey_def_parse) is
 *           checked and stored in state draft.
 *   invite  surveys_invite(): for a survey with access "token", a batch of
 *           one-time tokens (SURVEY_TOKEN_CHARS characters of Crockford
 *           base32, 60 bits), optionally tied to a place (community or
 *           street): the response then counts for that place.  Only the
 *           sha256 of a token is stored; the tokens are returned once, each
 *           with its link and the link's QR code (SVG) for printing.
 *   answer  surveys_answer(): the public posts answers (survey_answers_parse)
 *           while the survey is open.  With a token: the token is spent by a
 *           conditional UPDATE in the same write as the response, so a token
 *           answers once (a second use is PA_ECONFLICT).  With the open link:
 *           each client address may answer a survey rate.survey_per_minute
 *           times a minute (burst rate.survey_burst), else PA_ERATE, and the
 *           respondent names their place from the survey's place list.
 *           A response to a draft or closed survey is PA_ECONFLICT.
 *   close   surveys_close(): no more answers; results stay readable.
 *
 * Results (surveys_results): for each question, over the valid answers
 * (answers whose option is not `excluded`, such as 说不清): the rate (share
 * of `positive` options) with its Wilson score 95 % interval, and the score
 * (mean of the options' points) with its Student-t 95 % interval; overall,
 * per street and per community; the composite index (weighted mean of the
 * questions' values, see docs/surveys.md) with a normal-approximation
 * interval; and the trend over the earlier surveys of the same series.
 *
 * Surveys record answers and a place, never who answered: no name, phone
 * or address is asked, and the client address is used only by the rate
 * limiter, never stored.
 */
#ifndef PA_SURVEYS_H
#define PA_SURVEYS_H

#include <jansson.h>

#include "base/common.h"
#include "core/app.h"
#include "core/authz.h"

#define SURVEY_DEF_MAX_BYTES (256 * 1024) /* definition JSON */
#define SURVEY_MAX_QUESTIONS 100
#define SURVEY_MAX_SCALES 50
#define SURVEY_MAX_OPTIONS 20
#define SURVEY_MAX_PLACES 1000           /* places an open-link respondent chooses from */
#define SURVEY_ID_MAX 64                 /* characters of a question, scale or option id */
#define SURVEY_TEXT_MAX 2000             /* characters of a title, text or label */
#define SURVEY_POINTS_MAX 1000.0         /* points of an option: 0..this */
#define SURVEY_INVITE_MAX 1000           /* tokens per batch */
#define SURVEY_TOKEN_CHARS 12            /* Crockford base32: 60 bits */
#define SURVEY_LIST_MAX 200
#define SURVEY_TREND_MAX 12              /* earlier rounds in the trend */

/* ---- definitions ---------------------------------------------------------------------- */

typedef struct survey_option {
	const char *code;
	const char *label, *label_en;
	double points;     /* valid when has_points */
	bool has_points;
	bool positive;     /* counts towards the rate */
	bool excluded;     /* not a valid answer (说不清) */
} survey_option_t;

typedef struct survey_scale {
	const char *id;
	survey_option_t *options;
	size_t noptions;
	bool has_rate;     /* some option is positive */
	bool has_score;    /* every valid option has points */
} survey_scale_t;

typedef struct survey_question {
	const char *id;
	const char *text, *text_en;
	const survey_scale_t *scale;
	bool required;
	double weight;     /* in the composite index; 0 = not in it */
	bool index_rate;   /* the composite uses the rate (× 100), else the score */
} survey_question_t;

typedef struct survey_def {
	const char *series;  /* surveys of one series form the trend */
	const char *title, *title_en;
	const char *intro, *intro_en;
	const char *access;  /* token, open */
	survey_scale_t *scales;
	size_t nscales;
	survey_question_t *questions;
	size_t nquestions;
	pa_id_t *places;     /* orgs (streets, communities) open-link respondents choose from */
	size_t nplaces;
	json_t *normalized;  /* the definition as stored (owned; survey_def_free) */
} survey_def_t;

/*
 * Parses and checks a definition (JSON text): every member known, ids
 * unique ([a-z0-9_], 1..SURVEY_ID_MAX), every question's scale defined,
 * points in 0..SURVEY_POINTS_MAX, at least one valid option per scale,
 * weights ≥ 0, a question weighted on its score only when its scale has
 * points (on its rate only when it has positive options).  `places` are
 * checked by the caller (they name orgs).  Strings live in `a`; call
 * survey_def_free() to drop `normalized`.  PA_EINVAL names the field.
 */
int survey_def_parse(arena_t *a, const char *text, size_t len, survey_def_t *out, pa_err_t *err);
void survey_def_free(survey_def_t *d);

/* One answer per question: answers[i] is the option index of question i, -1 = none. */
typedef struct survey_answers {
	int *answers;
	size_t n;
	pa_id_t place;   /* 0 = none given */
	const char *token;
} survey_answers_t;

/*
 * Parses a response body {"answers": {"<question>": "<option>"}, "place":
 * id, "token": "…"}: every question known, every option of the question's
 * scale, required questions answered.  PA_EINVAL names the field.
 */
int survey_answers_parse(arena_t *a, const survey_def_t *d, const char *text, size_t len,
                         survey_answers_t *out, pa_err_t *err);

/* ---- statistics (pure; unit-tested against hand-worked values) ------------------------------ */

typedef struct survey_interval {
	double value, low, high;
} survey_interval_t;

/* Wilson score interval of x successes in n (95 %); n = 0 gives zeros. */
survey_interval_t survey_wilson(int64_t x, int64_t n);
/* Two-sided 97.5 % quantile of Student's t with df degrees of freedom. */
double survey_t975(int64_t df);
/* Mean and t interval from the sum and the sum of squares of n values
 * (n = 1: low = high = value). */
survey_interval_t survey_mean_ci(int64_t n, double sum, double sumsq);

/* ---- the survey service ---------------------------------------------------------------------- */


bool surveys_may_manage(const pa_principal_t *p);
bool surveys_may_read(const pa_principal_t *p);

int surveys_create(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *def_text,
                   size_t len, pa_survey_t *out, pa_err_t *err);
/* p NULL: the public view (draft surveys are PA_ENOTFOUND). */
int surveys_get(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id, pa_survey_t *out,
                pa_err_t *err);
int surveys_list(pa_app_t *app, arena_t *a, const pa_principal_t *p, const char *state,
                 const char *series, pa_survey_t **out, size_t *n, pa_err_t *err);
/* to: "open" or "closed". */
int surveys_set_state(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                      const char *to, pa_survey_t *out, pa_err_t *err);

typedef struct survey_invite {
	const char *token;
} survey_invite_t;
int surveys_invite(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id, int count,
                   pa_id_t place, int64_t *batch, survey_invite_t **out, pa_err_t *err);

/* A public response; body is the JSON text of the request. */
int surveys_answer(pa_app_t *app, arena_t *a, pa_id_t id, const char *client_ip,
                   const char *body, size_t len, pa_id_t *response_id, pa_err_t *err);
/* Checks a token before the form is shown: PA_ENOTFOUND (rate-limited like a
 * wrong query code), PA_ECONFLICT when spent. */
int surveys_check_token(pa_app_t *app, arena_t *a, pa_id_t id, const char *client_ip,
                        const char *token, pa_id_t *place, pa_err_t *err);

/* Results as a JSON object (see docs/surveys.md for its shape). */
int surveys_results(pa_app_t *app, arena_t *a, const pa_principal_t *p, pa_id_t id,
                    const char *lang, json_t **out, pa_err_t *err);

/* The definition as the public sees it (labels in lang, no weights), with
 * the place list (id, name, street). */
json_t *surveys_public_json(pa_app_t *app, arena_t *a, const pa_survey_t *s, const char *lang);

/* An SVG image (black modules on white) of a QR code of text; NULL on failure. */
char *survey_qr_svg(arena_t *a, const char *text);

#endif
