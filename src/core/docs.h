/*
 * docs.h — written documents (文书): templates as data, and PDF rendering.
 *
 * A template is a YAML file, one per document kind and locale:
 * <share>/templates/docs/<kind>.<locale>.yaml (the district's), and a unit
 * may override any of them with <data>/templates/<unit-code>/<kind>.<locale>.yaml.
 * docs_open() loads and validates every file once, at start; a bad file is
 * refused with "<file>:<line>:<column>: <key>: <why>" naming the template and
 * the key or field, and Pingan does not start.  docs/documents.md is the
 * reference of every key; in short:
 *
 *   kind: refusal                  # must match the file name
 *   locale: zh-CN                  # zh-CN | en, must match the file name
 *   addressee: public              # public (sent to the person: public
 *                                  # attachment, QR code) | unit (internal)
 *   fields: [reason, legal_channel]  # values the step must supply
 *   title: 信访事项不予受理告知书
 *   recipient: "{petitioner}："
 *   body: |                        # paragraphs, one per line
 *     ……理由：{reason}
 *   basis: "《信访工作条例》第二十八条、第三十一条"
 *   rights: |                      # the person's rights and time limits
 *     ……
 *   signatures: [当事人（签名）, 人民调解员（签名）]   # signature blocks
 *   sample: { reason: "……" }       # sample data for `pingan doc render`
 *
 * Placeholders {name} are the built-ins (docs_builtins) or names declared
 * under fields:; anything else is refused at load ("unknown placeholder").
 * {{ and }} are literal braces.  Values are inserted as plain text: nothing
 * in them is markup.
 *
 * Rendering (docs_render) lays the document out with Pango on A4 (margins
 * of GB/T 9704), Chinese line breaking and punctuation rules from Pango, and
 * writes a PDF with cairo into memory: the issuing unit's header in red, the
 * document number (文号) under it, a red rule, the title, the case number,
 * the recipient, the body, the legal basis, rights and time limits,
 * signature blocks, the seal area with the issuing unit and date, a QR code
 * (libqrencode) to the public tracking page, and page numbers.  The fonts
 * are Noto Serif CJK (fonts-noto-cjk); because cairo subsets the whole font
 * file for every PDF it writes, the first render makes a subset of it that
 * covers GB 2312 and the usual punctuation (HarfBuzz hb-subset), caches it
 * under the cache directory, and uses it ahead of the full font — a
 * character outside it still comes from the full font.  Each thread that
 * renders keeps its own Pango font map.
 */
#ifndef PA_DOCS_H
#define PA_DOCS_H

#include <jansson.h>

#include "base/common.h"

#define DOC_TEMPLATE_FILE_MAX (64 * 1024)  /* bytes of one template file */
#define DOC_TEXT_MAX (16 * 1024)           /* bytes of one text key */
#define DOC_FIELDS_MAX 64                  /* names under fields: */
#define DOC_SIGNATURES_MAX 8               /* signature blocks */
#define DOC_NAME_MAX 40                    /* bytes of a placeholder or kind name */
#define DOC_VALUE_MAX (64 * 1024)          /* bytes of one value when rendering */
#define DOC_PAGES_MAX 60                   /* pages of one document */
#define DOC_TEMPLATES_MAX 512              /* template files loaded */

typedef struct doc_template doc_template_t;
typedef struct docs docs_t;

/* Placeholders every document may use, NULL-terminated. */
extern const char *const docs_builtins[];
bool docs_is_builtin(const char *name);

/* Parses and validates one template held in memory (the fuzz seam).  `name`
 * is what messages call it; when it looks like "<kind>.<locale>.yaml" (any
 * directory before it) kind and locale must match it. */
int docs_template_parse(const char *buf, size_t len, const char *name, doc_template_t **out,
                        pa_err_t *err);
void docs_template_free(doc_template_t *t);

const char *doc_template_kind(const doc_template_t *t);
const char *doc_template_locale(const doc_template_t *t);
const char *doc_template_title(const doc_template_t *t);
const char *doc_template_source(const doc_template_t *t);   /* file name */
/* "<source>@<sha256 of the file>": which template made a document. */
const char *doc_template_id(const doc_template_t *t);
bool doc_template_public(const doc_template_t *t);
/* The raw text of a key (title, body, basis, rights, header, number, …), or NULL. */
const char *doc_template_text(const doc_template_t *t, const char *key);
size_t doc_template_nfields(const doc_template_t *t);
const char *doc_template_field(const doc_template_t *t, size_t i);
/* The document number from the template's format ({issuer_abbr}, {issuer_code},
 * {year}, {seq}); an empty or NULL issuer_abbr falls back to the code. */
char *doc_template_number(arena_t *a, const doc_template_t *t, const char *issuer_code,
                          const char *issuer_abbr, int year, int64_t seq);
/* Sample values for every placeholder the template uses (the template's
 * sample: first, then made-up ones), for `pingan doc render` and tests. */
json_t *doc_template_sample(const doc_template_t *t);

typedef struct docs_options {
	const char *templates_dir;  /* <share>/templates/docs */
	const char *overrides_dir;  /* <data>/templates: one directory per unit code; may be absent */
	const char *cache_dir;      /* where the font subsets are kept; NULL = use the full fonts */
} docs_options_t;

int docs_open(const docs_options_t *o, docs_t **out, pa_err_t *err);
void docs_close(docs_t *d);
/* Loads one more template file into d (tests, `pingan doc render --template`). */
int docs_add_file(docs_t *d, const char *path, const char *unit_code, pa_err_t *err);

/* The template for kind and locale: the unit's override if it has one,
 * else the district's; NULL when neither exists. */
const doc_template_t *docs_find(const docs_t *d, const char *kind, const char *locale,
                                const char *unit_code);
/* Kinds with a district template, for listings. */
size_t docs_kinds(const docs_t *d, const char ***out);

/* One document to render: the template and the values of its placeholders
 * (a JSON object of strings or numbers; a missing value renders empty). */
typedef struct doc_render_in {
	const doc_template_t *tpl;
	const json_t *vars;
} doc_render_in_t;

/* Renders n documents, one after the other, into one PDF (n = 1 for a
 * document, more for a batch print); *pages counts all pages. */
int docs_render(docs_t *d, const doc_render_in_t *in, size_t n, strbuf_t *pdf, int *pages,
                pa_err_t *err);

/*
 * Checks the workflows against the templates: every notice a transition names
 * has a template in zh-CN and en (the district's and every unit override),
 * and every field a template declares is a field of every transition that
 * produces it.  Errors name the template (or workflow) and the field.
 */
struct wf_registry;
int docs_check_workflows(const docs_t *d, const struct wf_registry *wf, pa_err_t *err);

/* "2026年3月5日" (zh-CN) or "5 March 2026" (en) for a local date. */
char *docs_format_date(arena_t *a, const char *locale, int year, int month, int day);

#endif
