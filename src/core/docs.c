/*
 * docs.c — document templates and PDF rendering (see docs.h).
 *
 * Loading.  A template file is read whole (at most DOC_TEMPLATE_FILE_MAX),
 * parsed by libyaml into a node graph, and walked once: the root must be a
 * mapping of known keys whose values have the expected shape (scalars,
 * sequences of scalars, mappings of scalars) — anything else is refused, so
 * aliases cannot multiply work.  Every text is then scanned for
 * placeholders; a name that is neither built in nor declared under fields:
 * is refused with the key's line and column.  The template keeps its own
 * copies of every string (one arena per template).
 *
 * Rendering.  docs_render() lays out each document in two passes: the first
 * turns the template's parts into a list of placed lines (a Pango layout
 * per paragraph, broken into lines, each line given a page and a position;
 * the QR code and seal block is kept whole), the second draws the pages with
 * their footers ("page x of y" needs the total).  Lines, not paragraphs, are
 * the unit of pagination, so a long opinion flows over pages.
 *
 * Fonts.  cairo's PDF backend subsets the font of every document it writes,
 * and to do so copies and parses the font's whole CFF table: with the
 * 65,000-glyph Noto CJK fonts that alone costs tens of milliseconds per
 * document.  So the first render builds, with hb-subset, a subset of Noto
 * Serif CJK SC Regular holding GB 2312, ASCII, Latin-1 and the
 * usual punctuation (~8,000 glyphs), writes it to the cache directory
 * (atomically, named after the source font's path, size and time), and
 * registers it in a private fontconfig configuration under the family
 * "Pingan Serif".  Layouts ask for "Pingan Serif, Noto Serif CJK SC, serif":
 * a character the subset lacks falls back to the full font.  A document uses
 * that one face: the header and the title are made bold by drawing their
 * glyphs twice, a hair apart, which keeps them text (searchable, copyable)
 * and saves the second font subset per document a bold face would cost.
 */
#include "base/common.h"
#include "core/docs.h"
#include "core/workflow.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <hb-subset.h>
#include <hb.h>
#include <pango/pangocairo.h>
#include <pango/pangofc-fontmap.h>
#include <qrencode.h>
#include <sodium.h>
#include <yaml.h>

/* ---- templates ----------------------------------------------------------------- */

const char *const docs_builtins[] = {
	"number",       /* case number XF-2026-000123 */
	"title",        /* the case's title */
	"case_type",    /* 信访 */
	"date",         /* date of the step, YYYY-MM-DD */
	"due",          /* the case's due date after the step */
	"unit",         /* the unit owning the case after the step */
	"issuer",       /* the issuing unit */
	"issuer_code",  /* its code */
	"issuer_abbr",  /* its 机关代字 (abbr), or its code when it has none */
	"doc_number",   /* 文号 */
	"year",
	"seq",
	"issue_date",   /* date of issue, written out in the locale */
	"petitioner",   /* the person it is addressed to */
	"tracking_url", /* the public tracking page */
	"version",      /* 1, 2, … (regenerations) */
	NULL,
};

bool docs_is_builtin(const char *name)
{
	for (size_t i = 0; docs_builtins[i]; i++)
		if (streq(name, docs_builtins[i]))
			return true;
	return false;
}

enum tkey {
	K_KIND, K_LOCALE, K_ADDRESSEE, K_FIELDS, K_HEADER, K_NUMBER, K_TITLE, K_RECIPIENT, K_BODY,
	K_BASIS, K_RIGHTS, K_SIGNATURES, K_SEAL, K_DATE_LINE, K_QR, K_QR_CAPTION, K_LABELS, K_SAMPLE,
	K__COUNT
};

static const char *const tkey_names[K__COUNT] = {
	"kind", "locale", "addressee", "fields", "header", "number", "title", "recipient", "body",
	"basis", "rights", "signatures", "seal", "date_line", "qr", "qr_caption", "labels", "sample",
};

enum tlabel { L_CASE, L_BASIS, L_RIGHTS, L_PAGE, L_DATE, L__COUNT };
static const char *const tlabel_names[L__COUNT] = { "case_number", "basis", "rights", "page", "date" };

struct doc_template {
	arena_t *arena;
	const char *source;
	const char *id;
	const char *kind;
	const char *locale;
	bool public;
	const char **fields;
	size_t nfields;
	const char *text[K__COUNT];        /* scalar keys; NULL when absent */
	const char *labels[L__COUNT];
	const char **signatures;
	size_t nsignatures;
	bool qr;
	json_t *sample;                     /* object of strings */
};

const char *doc_template_kind(const doc_template_t *t) { return t->kind; }
const char *doc_template_locale(const doc_template_t *t) { return t->locale; }
const char *doc_template_title(const doc_template_t *t) { return t->text[K_TITLE]; }
const char *doc_template_source(const doc_template_t *t) { return t->source; }
const char *doc_template_id(const doc_template_t *t) { return t->id; }
bool doc_template_public(const doc_template_t *t) { return t->public; }
const char *doc_template_text(const doc_template_t *t, const char *key)
{
	for (int i = 0; i < K__COUNT; i++)
		if (streq(tkey_names[i], key))
			return t->text[i];
	return NULL;
}
size_t doc_template_nfields(const doc_template_t *t) { return t->nfields; }
const char *doc_template_field(const doc_template_t *t, size_t i)
{
	return i < t->nfields ? t->fields[i] : NULL;
}

typedef struct tloader {
	const char *src;
	yaml_document_t *doc;
	doc_template_t *t;
	pa_err_t *err;
} tloader_t;

static int tfail(tloader_t *l, const yaml_node_t *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int tfail(tloader_t *l, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t line = n ? n->start_mark.line + 1 : 1;
	size_t col = n ? n->start_mark.column + 1 : 1;
	if (key && *key)
		return pa_fail(l->err, PA_EINVAL, "template", key, "%s:%zu:%zu: %s: %s", l->src, line, col,
		               key, msg);
	return pa_fail(l->err, PA_EINVAL, "template", "", "%s:%zu:%zu: %s", l->src, line, col, msg);
}

static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len > DOC_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		if (*p < 0x80) {
			if (*p == 0 || (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r'))
				return false;
			p++;
			continue;
		}
		int len = (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
		if (!len || (len == 2 && *p < 0xC2) || *p > 0xF4 || (size_t)(end - p) < (size_t)len)
			return false;
		for (int i = 1; i < len; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		if (len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
			return false;
		if (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
			return false;
		p += len;
	}
	return true;
}

static const char *scalar(tloader_t *l, yaml_node_t *n, const char *key, int *rc)
{
	*rc = 0;
	if (!n || n->type != YAML_SCALAR_NODE) {
		*rc = tfail(l, n, key, "expected text");
		return NULL;
	}
	size_t len = n->data.scalar.length;
	if (len > DOC_TEXT_MAX) {
		*rc = tfail(l, n, key, "longer than %d bytes", DOC_TEXT_MAX);
		return NULL;
	}
	if (!valid_utf8((const char *)n->data.scalar.value, len)) {
		*rc = tfail(l, n, key, "not valid UTF-8 text (or has control characters)");
		return NULL;
	}
	return arena_strndup(l->t->arena, (const char *)n->data.scalar.value, len);
}

static bool declared(const doc_template_t *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (streq(t->fields[i], name))
			return true;
	return false;
}

/*
 * Checks the placeholders of text.  `only`, when given, is the list of names
 * allowed (the number format); otherwise built-ins and declared fields.
 */
static int check_placeholders(tloader_t *l, yaml_node_t *n, const char *key, const char *text,
                              const char *const *only)
{
	for (const char *p = text; *p; p++) {
		if (*p == '}' && p[1] == '}') {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		if (p[1] == '{') {
			p++;
			continue;
		}
		const char *end = strchr(p + 1, '}');
		size_t len = end ? (size_t)(end - p - 1) : 0;
		if (!end || !valid_name(p + 1, len))
			return tfail(l, n, key,
			             "malformed placeholder near \"%.12s\" (write {name}, or {{ for a brace)", p);
		char name[DOC_NAME_MAX + 1];
		memcpy(name, p + 1, len);
		name[len] = '\0';
		bool ok = false;
		if (only) {
			for (size_t i = 0; only[i]; i++)
				ok = ok || streq(only[i], name);
			if (!ok)
				return tfail(l, n, key, "unknown placeholder {%s} (only {issuer_abbr}, {issuer_code}, {year}, {seq})",
				             name);
		} else if (!docs_is_builtin(name) && !declared(l->t, name)) {
			return tfail(l, n, key,
			             "unknown placeholder {%s}: declare it under fields: or use a built-in", name);
		}
		p = end;
	}
	return 0;
}

static const char *locale_of_name(const char *base, size_t *kind_len)
{
	/* "<kind>.<locale>.yaml" */
	const char *dot = strchr(base, '.');
	if (!dot)
		return NULL;
	*kind_len = (size_t)(dot - base);
	return dot + 1;
}

static int parse_root(tloader_t *l, yaml_node_t *root)
{
	doc_template_t *t = l->t;
	if (!root || root->type != YAML_MAPPING_NODE)
		return tfail(l, root, "", "a template is a mapping of keys (kind, locale, title, body, ...)");
	yaml_node_t *v[K__COUNT] = { 0 };
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *key = yaml_document_get_node(l->doc, pr->key);
		yaml_node_t *val = yaml_document_get_node(l->doc, pr->value);
		if (!key || key->type != YAML_SCALAR_NODE)
			return tfail(l, key, "", "keys must be plain names");
		const char *name = (const char *)key->data.scalar.value;
		int idx = -1;
		for (int i = 0; i < K__COUNT; i++)
			if (strlen(tkey_names[i]) == key->data.scalar.length && streq(tkey_names[i], name))
				idx = i;
		if (idx < 0)
			return tfail(l, key, "", "unknown key '%.40s'", name);
		if (v[idx])
			return tfail(l, key, tkey_names[idx], "given twice");
		v[idx] = val;
	}
	static const int required[] = { K_KIND, K_LOCALE, K_FIELDS, K_TITLE, K_BODY, K_BASIS };
	for (size_t i = 0; i < ARRAY_SIZE(required); i++)
		if (!v[required[i]])
			return tfail(l, root, tkey_names[required[i]], "missing (every template needs kind, "
			             "locale, fields, title, body and basis)");
	int rc;
	/* fields first: the placeholders of every text are checked against them */
	yaml_node_t *f = v[K_FIELDS];
	if (f->type == YAML_SCALAR_NODE && f->data.scalar.length == 0) {
		t->nfields = 0;
	} else if (f->type != YAML_SEQUENCE_NODE) {
		return tfail(l, f, "fields", "expected a list of field names, e.g. [reason, days]");
	} else {
		size_t cnt = (size_t)(f->data.sequence.items.top - f->data.sequence.items.start);
		if (cnt > DOC_FIELDS_MAX)
			return tfail(l, f, "fields", "more than %d fields", DOC_FIELDS_MAX);
		t->fields = arena_zalloc(t->arena, (cnt + 1) * sizeof(*t->fields));
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *it = yaml_document_get_node(l->doc, f->data.sequence.items.start[i]);
			if (!it || it->type != YAML_SCALAR_NODE ||
			    !valid_name((const char *)it->data.scalar.value, it->data.scalar.length))
				return tfail(l, it ? it : f, "fields",
				             "a field name is lower-case letters, digits and _ (at most %d)",
				             DOC_NAME_MAX);
			const char *name = arena_strdup(t->arena, (const char *)it->data.scalar.value);
			if (declared(t, name))
				return tfail(l, it, arena_printf(t->arena, "fields.%s", name), "listed twice");
			if (docs_is_builtin(name))
				return tfail(l, it, arena_printf(t->arena, "fields.%s", name),
				             "is a built-in placeholder: do not declare it");
			t->fields[t->nfields++] = name;
		}
	}
	/* plain texts */
	static const int texts[] = { K_KIND, K_LOCALE, K_ADDRESSEE, K_HEADER, K_NUMBER, K_TITLE,
		                         K_RECIPIENT, K_BODY, K_BASIS, K_RIGHTS, K_SEAL, K_DATE_LINE,
		                         K_QR_CAPTION };
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		int key = texts[i];
		if (!v[key])
			continue;
		t->text[key] = scalar(l, v[key], tkey_names[key], &rc);
		if (rc < 0)
			return rc;
	}
	if (!valid_name(t->text[K_KIND], strlen(t->text[K_KIND])))
		return tfail(l, v[K_KIND], "kind", "a kind is lower-case letters, digits and _");
	t->kind = t->text[K_KIND];
	if (!streq(t->text[K_LOCALE], "zh-CN") && !streq(t->text[K_LOCALE], "en"))
		return tfail(l, v[K_LOCALE], "locale", "must be zh-CN or en");
	t->locale = t->text[K_LOCALE];
	/* the file name, when it has the usual shape, must agree */
	const char *base = strrchr(l->src, '/');
	base = base ? base + 1 : l->src;
	size_t klen = 0;
	const char *loc = locale_of_name(base, &klen);
	size_t blen = strlen(base);
	if (loc && blen > 5 && streq(base + blen - 5, ".yaml")) {
		size_t llen = (size_t)(base + blen - 5 - loc);
		if (klen != strlen(t->kind) || strncmp(base, t->kind, klen) != 0)
			return tfail(l, v[K_KIND], "kind", "'%s' does not match the file name", t->kind);
		if (llen != strlen(t->locale) || strncmp(loc, t->locale, llen) != 0)
			return tfail(l, v[K_LOCALE], "locale", "'%s' does not match the file name", t->locale);
	}
	const char *addr = t->text[K_ADDRESSEE] ? t->text[K_ADDRESSEE] : "public";
	if (!streq(addr, "public") && !streq(addr, "unit"))
		return tfail(l, v[K_ADDRESSEE], "addressee", "must be public or unit");
	t->public = streq(addr, "public");
	bool zh = streq(t->locale, "zh-CN");
	if (!t->text[K_HEADER])
		t->text[K_HEADER] = "{issuer}";
	if (!t->text[K_NUMBER])
		t->text[K_NUMBER] = zh ? "{issuer_abbr}〔{year}〕{seq}号" : "{issuer_abbr} [{year}] No. {seq}";
	if (!t->text[K_SEAL])
		t->text[K_SEAL] = "{issuer}";
	if (!t->text[K_DATE_LINE])
		t->text[K_DATE_LINE] = "{issue_date}";
	if (!t->text[K_QR_CAPTION])
		t->text[K_QR_CAPTION] = zh ? "扫码查询办理进展（需查询码）" : "Scan to follow the case (query code needed)";
	/* qr: false | true | "text with placeholders" */
	t->qr = t->public;
	if (v[K_QR]) {
		const char *q = scalar(l, v[K_QR], "qr", &rc);
		if (rc < 0)
			return rc;
		if (streq(q, "false") || streq(q, "no")) {
			t->qr = false;
		} else if (streq(q, "true") || streq(q, "yes")) {
			t->qr = true;
		} else {
			t->qr = true;
			t->text[K_QR] = q;
		}
	}
	if (t->qr && !t->text[K_QR])
		t->text[K_QR] = "{tracking_url}";
	/* labels */
	static const char *const zh_labels[L__COUNT] = { "事项编号", "法律依据", "权利和期限告知",
		                                             "第 {page} 页 / 共 {pages} 页", "日期" };
	static const char *const en_labels[L__COUNT] = { "Case No.", "Legal basis",
		                                             "Your rights and time limits",
		                                             "Page {page} of {pages}", "Date" };
	for (int i = 0; i < L__COUNT; i++)
		t->labels[i] = zh ? zh_labels[i] : en_labels[i];
	if (v[K_LABELS]) {
		yaml_node_t *m = v[K_LABELS];
		if (m->type != YAML_MAPPING_NODE)
			return tfail(l, m, "labels", "expected a mapping (case_number, basis, rights, page, date)");
		for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
		     pr++) {
			yaml_node_t *key = yaml_document_get_node(l->doc, pr->key);
			yaml_node_t *val = yaml_document_get_node(l->doc, pr->value);
			int idx = -1;
			for (int i = 0; key && key->type == YAML_SCALAR_NODE && i < L__COUNT; i++)
				if (streq(tlabel_names[i], (const char *)key->data.scalar.value))
					idx = i;
			if (idx < 0)
				return tfail(l, key, "labels", "unknown label (case_number, basis, rights, page, date)");
			const char *path = arena_printf(t->arena, "labels.%s", tlabel_names[idx]);
			t->labels[idx] = scalar(l, val, path, &rc);
			if (rc < 0)
				return rc;
		}
	}
	/* signatures */
	if (v[K_SIGNATURES]) {
		yaml_node_t *s = v[K_SIGNATURES];
		if (s->type != YAML_SEQUENCE_NODE)
			return tfail(l, s, "signatures", "expected a list of labels");
		size_t cnt = (size_t)(s->data.sequence.items.top - s->data.sequence.items.start);
		if (cnt > DOC_SIGNATURES_MAX)
			return tfail(l, s, "signatures", "more than %d signature blocks", DOC_SIGNATURES_MAX);
		t->signatures = arena_zalloc(t->arena, (cnt + 1) * sizeof(*t->signatures));
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_t *it = yaml_document_get_node(l->doc, s->data.sequence.items.start[i]);
			const char *path = arena_printf(t->arena, "signatures[%zu]", i);
			t->signatures[i] = scalar(l, it, path, &rc);
			if (rc < 0)
				return rc;
			if ((rc = check_placeholders(l, it, path, t->signatures[i], NULL)) < 0)
				return rc;
			t->nsignatures = i + 1;
		}
	}
	/* placeholders of every text */
	static const int checked[] = { K_HEADER, K_TITLE, K_RECIPIENT, K_BODY, K_BASIS, K_RIGHTS,
		                           K_SEAL, K_DATE_LINE, K_QR, K_QR_CAPTION };
	for (size_t i = 0; i < ARRAY_SIZE(checked); i++) {
		int key = checked[i];
		if (t->text[key] && (rc = check_placeholders(l, v[key] ? v[key] : root, tkey_names[key],
		                                             t->text[key], NULL)) < 0)
			return rc;
	}
	static const char *const number_names[] = { "issuer_abbr", "issuer_code", "year", "seq", NULL };
	if ((rc = check_placeholders(l, v[K_NUMBER] ? v[K_NUMBER] : root, "number", t->text[K_NUMBER],
	                             number_names)) < 0)
		return rc;
	if (!strstr(t->text[K_NUMBER], "{seq}"))
		return tfail(l, v[K_NUMBER], "number", "must contain {seq}: numbers are never reused");
	for (int i = 0; i < L__COUNT; i++) {
		static const char *const page_names[] = { "page", "pages", NULL };
		const char *path = arena_printf(t->arena, "labels.%s", tlabel_names[i]);
		if ((rc = check_placeholders(l, v[K_LABELS] ? v[K_LABELS] : root, path, t->labels[i],
		                             i == L_PAGE ? page_names : (const char *const[]){ NULL })) < 0)
			return rc;
	}
	/* sample values */
	t->sample = json_object();
	if (v[K_SAMPLE]) {
		yaml_node_t *m = v[K_SAMPLE];
		if (m->type != YAML_MAPPING_NODE)
			return tfail(l, m, "sample", "expected a mapping of field: value");
		for (yaml_node_pair_t *pr = m->data.mapping.pairs.start; pr < m->data.mapping.pairs.top;
		     pr++) {
			yaml_node_t *key = yaml_document_get_node(l->doc, pr->key);
			yaml_node_t *val = yaml_document_get_node(l->doc, pr->value);
			if (!key || key->type != YAML_SCALAR_NODE ||
			    !valid_name((const char *)key->data.scalar.value, key->data.scalar.length))
				return tfail(l, key, "sample", "keys are field names");
			const char *name = (const char *)key->data.scalar.value;
			const char *path = arena_printf(t->arena, "sample.%s", name);
			if (!declared(t, name) && !docs_is_builtin(name))
				return tfail(l, key, path, "not a field of this template");
			const char *s = scalar(l, val, path, &rc);
			if (rc < 0)
				return rc;
			json_object_set_new(t->sample, name, json_string(s));
		}
	}
	return 0;
}

void docs_template_free(doc_template_t *t)
{
	if (!t)
		return;
	json_decref(t->sample);
	arena_free(t->arena);
}

int docs_template_parse(const char *buf, size_t len, const char *name, doc_template_t **out,
                        pa_err_t *err)
{
	*out = NULL;
	tloader_t l = { .src = name ? name : "template", .err = err };
	if (len > DOC_TEMPLATE_FILE_MAX)
		return pa_fail(err, PA_EINVAL, "template", "", "%s: larger than %d bytes", l.src,
		               DOC_TEMPLATE_FILE_MAX);
	yaml_parser_t p;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&p))
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "libyaml failed to initialize");
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &doc)) {
		int rc = pa_fail(err, PA_EINVAL, "template", "", "%s:%zu:%zu: %s", l.src,
		                 p.problem_mark.line + 1, p.problem_mark.column + 1,
		                 p.problem ? p.problem : "not valid YAML");
		yaml_parser_delete(&p);
		return rc;
	}
	doc_template_t *t = xcalloc(1, sizeof(*t));
	t->arena = arena_new();
	t->source = arena_strdup(t->arena, l.src);
	l.doc = &doc;
	l.t = t;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc = root ? parse_root(&l, root) : tfail(&l, NULL, "", "the file is empty");
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	if (rc < 0) {
		docs_template_free(t);
		free(t);
		return rc;
	}
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256(h, (const unsigned char *)buf, len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	t->id = arena_printf(t->arena, "%s@%s", t->source, hex);
	*out = t;
	return 0;
}

/* The template struct is freed by docs_template_free plus free(); keep one
 * entry point for callers. */
static void template_destroy(doc_template_t *t)
{
	docs_template_free(t);
	free(t);
}

char *doc_template_number(arena_t *a, const doc_template_t *t, const char *issuer_code,
                          const char *issuer_abbr, int year, int64_t seq)
{
	if (!issuer_code)
		issuer_code = "";
	json_t *v = json_pack("{s:s, s:s, s:I, s:I}", "issuer_code", issuer_code, "issuer_abbr",
	                      issuer_abbr && *issuer_abbr ? issuer_abbr : issuer_code, "year",
	                      (json_int_t)year, "seq", (json_int_t)seq);
	strbuf_t sb = STRBUF_INIT;
	const char *p = t->text[K_NUMBER];
	for (; *p; p++) {
		if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
			strbuf_addch(&sb, *p++);
			continue;
		}
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (!end) {
			strbuf_addch(&sb, *p);
			continue;
		}
		char name[DOC_NAME_MAX + 1];
		size_t n = (size_t)(end - p - 1);
		if (n > DOC_NAME_MAX)
			n = DOC_NAME_MAX;
		memcpy(name, p + 1, n);
		name[n] = '\0';
		json_t *x = json_object_get(v, name);
		if (json_is_string(x))
			strbuf_adds(&sb, json_string_value(x));
		else if (json_is_integer(x))
			strbuf_addf(&sb, "%lld", (long long)json_integer_value(x));
		p = end;
	}
	json_decref(v);
	char *r = arena_strdup(a, sb.buf);
	strbuf_release(&sb);
	return r;
}

/* {name} → value (strings as they are, numbers in decimal, absent → ""). */
static void expand(strbuf_t *sb, const char *text, const json_t *vars)
{
	for (const char *p = text; p && *p; p++) {
		if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
			strbuf_addch(sb, *p++);
			continue;
		}
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (!end || (size_t)(end - p - 1) > DOC_NAME_MAX) {
			strbuf_addch(sb, *p);
			continue;
		}
		char name[DOC_NAME_MAX + 1];
		size_t n = (size_t)(end - p - 1);
		memcpy(name, p + 1, n);
		name[n] = '\0';
		json_t *x = json_object_get(vars, name);
		if (json_is_string(x)) {
			const char *s = json_string_value(x);
			size_t sl = strlen(s);
			strbuf_add(sb, s, sl > DOC_VALUE_MAX ? DOC_VALUE_MAX : sl);
		} else if (json_is_integer(x)) {
			strbuf_addf(sb, "%lld", (long long)json_integer_value(x));
		}
		p = end;
	}
}

json_t *doc_template_sample(const doc_template_t *t)
{
	bool zh = streq(t->locale, "zh-CN");
	json_t *v = json_object();
	json_object_set_new(v, "number", json_string("XF-2026-000123"));
	json_object_set_new(v, "title", json_string(zh ? "小区电梯长期故障无人维修" : "Lift out of order for months"));
	json_object_set_new(v, "case_type", json_string(zh ? "信访" : "Petition"));
	json_object_set_new(v, "date", json_string("2026-03-05"));
	json_object_set_new(v, "due", json_string("2026-05-04"));
	json_object_set_new(v, "unit", json_string(zh ? "平安区住房和城乡建设局" : "District Housing Bureau"));
	json_object_set_new(v, "issuer", json_string(zh ? "平安区信访局" : "District Petition Bureau"));
	json_object_set_new(v, "issuer_code", json_string("district-xfj"));
	json_object_set_new(v, "issuer_abbr", json_string(zh ? "平信" : "PA-PB"));
	json_object_set_new(v, "year", json_integer(2026));
	json_object_set_new(v, "seq", json_integer(1));
	json_object_set_new(v, "issue_date", json_string(zh ? "2026年3月5日" : "5 March 2026"));
	json_object_set_new(v, "petitioner", json_string(zh ? "张三" : "Zhang San"));
	json_object_set_new(v, "tracking_url", json_string("http://127.0.0.1:8080/track/XF-2026-000123"));
	json_object_set_new(v, "version", json_integer(1));
	arena_t *a = arena_new();
	json_object_set_new(v, "doc_number",
	                    json_string(doc_template_number(a, t, "district-xfj",
	                                                    zh ? "平信" : "PA-PB", 2026, 1)));
	arena_free(a);
	for (size_t i = 0; i < t->nfields; i++)
		json_object_set_new(v, t->fields[i],
		                    json_string(zh ? "〔示例内容〕" : "[sample text]"));
	json_object_update(v, t->sample);
	return v;
}

/* ---- the registry -------------------------------------------------------------- */

struct tentry {
	char *unit;           /* NULL = the district's */
	doc_template_t *t;
};

struct docs {
	struct tentry *items;
	size_t n, cap;
	char *cache_dir;
};

static int read_file(const char *path, char **buf, size_t *len, pa_err_t *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pa_fail(err, PA_ENOTFOUND, "template", "", "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > DOC_TEMPLATE_FILE_MAX) {
		close(fd);
		return pa_fail(err, PA_EINVAL, "template", "", "%s: not a regular file of at most %d bytes",
		               path, DOC_TEMPLATE_FILE_MAX);
	}
	char *b = xmalloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

int docs_add_file(docs_t *d, const char *path, const char *unit_code, pa_err_t *err)
{
	if (d->n >= DOC_TEMPLATES_MAX)
		return pa_fail(err, PA_EINVAL, "template", "", "%s: more than %d templates", path,
		               DOC_TEMPLATES_MAX);
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, &buf, &len, err);
	if (rc < 0)
		return rc;
	doc_template_t *t;
	rc = docs_template_parse(buf, len, path, &t, err);
	free(buf);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < d->n; i++) {
		struct tentry *e = &d->items[i];
		if (streq(e->t->kind, t->kind) && streq(e->t->locale, t->locale) &&
		    ((!e->unit && !unit_code) || streq(e->unit, unit_code))) {
			/* a later file replaces an earlier one of the same kind and locale */
			template_destroy(e->t);
			e->t = t;
			return 0;
		}
	}
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->items = xrealloc(d->items, st_mult(d->cap, sizeof(*d->items)));
	}
	d->items[d->n++] = (struct tentry){ unit_code ? xstrdup(unit_code) : NULL, t };
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Loads every *.yaml of dir, in name order (so errors are reproducible). */
static int load_dir(docs_t *d, const char *dir, const char *unit_code, bool must_exist,
                    pa_err_t *err)
{
	DIR *dh = opendir(dir);
	if (!dh) {
		if (!must_exist && errno == ENOENT)
			return 0;
		return pa_fail(err, PA_ENOTFOUND, "template", "", "%s: %s", dir, strerror(errno));
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(dh))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] == '.' || len < 6 || !streq(e->d_name + len - 5, ".yaml"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xrealloc(names, st_mult(cap, sizeof(*names)));
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dh);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		if (rc == 0) {
			char *path = xmalloc(strlen(dir) + strlen(names[i]) + 2);
			snprintf(path, strlen(dir) + strlen(names[i]) + 2, "%s/%s", dir, names[i]);
			rc = docs_add_file(d, path, unit_code, err);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int docs_open(const docs_options_t *o, docs_t **out, pa_err_t *err)
{
	*out = NULL;
	docs_t *d = xcalloc(1, sizeof(*d));
	d->cache_dir = o->cache_dir ? xstrdup(o->cache_dir) : NULL;
	int rc = o->templates_dir ? load_dir(d, o->templates_dir, NULL, true, err) : 0;
	/* every district template has both locales */
	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		const doc_template_t *t = d->items[i].t;
		const char *other = streq(t->locale, "zh-CN") ? "en" : "zh-CN";
		if (!d->items[i].unit && !docs_find(d, t->kind, other, NULL))
			rc = pa_fail(err, PA_EINVAL, "template", "locale",
			             "%s: there is no %s.%s.yaml beside it: every kind needs zh-CN and en",
			             t->source, t->kind, other);
	}
	if (rc == 0 && o->overrides_dir) {
		DIR *dh = opendir(o->overrides_dir);
		if (dh) {
			struct dirent *e;
			char **units = NULL;
			size_t n = 0, cap = 0;
			while ((e = readdir(dh))) {
				if (e->d_name[0] == '.')
					continue;
				if (n == cap) {
					cap = cap ? cap * 2 : 16;
					units = xrealloc(units, st_mult(cap, sizeof(*units)));
				}
				units[n++] = xstrdup(e->d_name);
			}
			closedir(dh);
			if (n)
				qsort(units, n, sizeof(*units), cmp_str);
			for (size_t i = 0; i < n; i++) {
				char *path = xmalloc(strlen(o->overrides_dir) + strlen(units[i]) + 2);
				snprintf(path, strlen(o->overrides_dir) + strlen(units[i]) + 2, "%s/%s",
				         o->overrides_dir, units[i]);
				struct stat st;
				if (rc == 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
					rc = load_dir(d, path, units[i], false, err);
				free(path);
				free(units[i]);
			}
			free(units);
		}
		/* an override must replace a district template, or it would never be used */
		for (size_t i = 0; rc == 0 && i < d->n; i++)
			if (d->items[i].unit && !docs_find(d, d->items[i].t->kind, d->items[i].t->locale, NULL))
				rc = pa_fail(err, PA_EINVAL, "template", "kind",
				             "%s: no district template %s.%s.yaml to override", d->items[i].t->source,
				             d->items[i].t->kind, d->items[i].t->locale);
	}
	if (rc < 0) {
		docs_close(d);
		return rc;
	}
	*out = d;
	return 0;
}

void docs_close(docs_t *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].unit);
		template_destroy(d->items[i].t);
	}
	free(d->items);
	free(d->cache_dir);
	free(d);
}

const doc_template_t *docs_find(const docs_t *d, const char *kind, const char *locale,
                                const char *unit_code)
{
	const doc_template_t *base = NULL;
	if (!d || !kind || !locale)
		return NULL;
	for (size_t i = 0; i < d->n; i++) {
		const struct tentry *e = &d->items[i];
		if (!streq(e->t->kind, kind) || !streq(e->t->locale, locale))
			continue;
		if (e->unit && unit_code && streq(e->unit, unit_code))
			return e->t;
		if (!e->unit)
			base = e->t;
	}
	return base;
}

size_t docs_kinds(const docs_t *d, const char ***out)
{
	const char **k = xcalloc(d->n + 1, sizeof(*k));
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++) {
		if (d->items[i].unit)
			continue;
		bool seen = false;
		for (size_t j = 0; j < n; j++)
			seen = seen || streq(k[j], d->items[i].t->kind);
		if (!seen)
			k[n++] = d->items[i].t->kind;
	}
	qsort(k, n, sizeof(*k), cmp_str);
	*out = k;
	return n;
}

int docs_check_workflows(const docs_t *d, const struct wf_registry *wf, pa_err_t *err)
{
	static const char *const locales[] = { "zh-CN", "en" };
	for (size_t w = 0; wf && w < wf->ndefs; w++) {
		const wf_def_t *def = wf->defs[w];
		for (size_t i = 0; i < def->ntransitions; i++) {
			const wf_transition_t *tr = &def->transitions[i];
			if (!tr->notice)
				continue;
			for (size_t k = 0; k < ARRAY_SIZE(locales); k++)
				if (!docs_find(d, tr->notice, locales[k], NULL))
					return pa_fail(err, PA_EINVAL, "template", "notice",
					               "%s: transitions.%s.notice: no document template %s.%s.yaml",
					               def->source ? def->source : def->type, tr->name, tr->notice,
					               locales[k]);
			for (size_t j = 0; j < d->n; j++) {
				const doc_template_t *t = d->items[j].t;
				if (!streq(t->kind, tr->notice))
					continue;
				for (size_t f = 0; f < t->nfields; f++) {
					bool has = false;
					for (size_t q = 0; q < tr->nfields; q++)
						has = has || streq(tr->fields[q].name, t->fields[f]);
					/* or a field of a record the step requires (its
					 * current version fills the document) */
					for (size_t r = 0; r < tr->nrequires && !has; r++) {
						const wf_record_kind_t *rk = wf_find_record_kind(def, tr->requires[r]);
						for (size_t q = 0; rk && q < rk->nfields; q++)
							has = has || streq(rk->fields[q].name, t->fields[f]);
					}
					if (!has)
						return pa_fail(err, PA_EINVAL, "template",
						               "fields",
						               "%s: fields.%s: transition '%s' of %s has no field '%s'",
						               t->source, t->fields[f], tr->name, def->type, t->fields[f]);
				}
			}
		}
	}
	return 0;
}

char *docs_format_date(arena_t *a, const char *locale, int year, int month, int day)
{
	static const char *const months[] = { "January", "February", "March", "April", "May", "June",
		                                  "July", "August", "September", "October", "November",
		                                  "December" };
	if (streq(locale, "en") && month >= 1 && month <= 12)
		return arena_printf(a, "%d %s %d", day, months[month - 1], year);
	return arena_printf(a, "%d年%d月%d日", year, month, day);
}

/* ---- fonts --------------------------------------------------------------------- */

#define FONT_FAMILY "Pingan Serif"
#define FONT_FALLBACK "Noto Serif CJK SC"
#define FONT_LIST FONT_FAMILY ", " FONT_FALLBACK ", Noto Sans CJK SC, serif"
#define FONT_SUBSET_VERSION 1

static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;
static FcConfig *fonts_config;     /* the system's fonts plus our subsets */
static char *fonts_cache_dir;      /* set before fonts_once runs */
static pthread_mutex_t fonts_mu = PTHREAD_MUTEX_INITIALIZER;

static void add_gb2312(hb_set_t *u)
{
	iconv_t cd = iconv_open("UTF-32LE", "GB2312");
	if (cd == (iconv_t)-1) {
		hb_set_add_range(u, 0x4E00, 0x9FA5); /* no converter: all of the basic block */
		return;
	}
	for (int hi = 0xA1; hi <= 0xF7; hi++)
		for (int lo = 0xA1; lo <= 0xFE; lo++) {
			char in[2] = { (char)hi, (char)lo };
			unsigned char outb[4];
			char *ip = in, *op = (char *)outb;
			size_t il = 2, ol = 4;
			if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 && ol == 0)
				hb_set_add(u, (hb_codepoint_t)outb[0] | (hb_codepoint_t)outb[1] << 8 |
				                  (hb_codepoint_t)outb[2] << 16 | (hb_codepoint_t)outb[3] << 24);
		}
	iconv_close(cd);
}

/* Makes (or finds in the cache) the subset of `file`#index; returns its path. */
static char *make_subset(const char *file, int index, const char *tag)
{
	struct stat st;
	if (!fonts_cache_dir || stat(file, &st) != 0)
		return NULL;
	char key[512];
	snprintf(key, sizeof(key), "%s#%d:%lld:%lld:v%d", file, index, (long long)st.st_size,
	         (long long)st.st_mtime, FONT_SUBSET_VERSION);
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256(h, (const unsigned char *)key, strlen(key));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	size_t plen = strlen(fonts_cache_dir) + 64;
	char *path = xmalloc(plen);
	snprintf(path, plen, "%s/%s-%.16s.otf", fonts_cache_dir, tag, hex);
	if (stat(path, &st) == 0 && st.st_size > 0)
		return path;
	for (char *q = path + 1; *q; q++) /* mkdir -p of the cache directory */
		if (*q == '/') {
			*q = '\0';
			mkdir(path, 0750);
			*q = '/';
		}
	hb_blob_t *blob = hb_blob_create_from_file_or_fail(file);
	if (!blob) {
		free(path);
		return NULL;
	}
	hb_face_t *face = hb_face_create(blob, (unsigned)index);
	hb_subset_input_t *in = hb_subset_input_create_or_fail();
	hb_face_t *sub = NULL;
	if (in) {
		hb_set_t *u = hb_subset_input_unicode_set(in);
		static const hb_codepoint_t ranges[][2] = {
			{ 0x20, 0x7E }, { 0xA0, 0x17F }, { 0x2000, 0x206F }, { 0x2100, 0x214F },
			{ 0x2150, 0x218F }, { 0x2190, 0x21FF }, { 0x2460, 0x24FF }, { 0x2500, 0x257F },
			{ 0x25A0, 0x25FF }, { 0x2600, 0x26FF }, { 0x3000, 0x303F }, { 0xFE30, 0xFE4F },
			{ 0xFF00, 0xFFEF },
		};
		for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
			hb_set_add_range(u, ranges[i][0], ranges[i][1]);
		add_gb2312(u);
		/* no layout features: they would pull in thousands of variant glyphs */
		hb_set_clear(hb_subset_input_set(in, HB_SUBSET_SETS_LAYOUT_FEATURE_TAG));
		hb_subset_input_set_flags(in, hb_subset_input_get_flags(in) | HB_SUBSET_FLAGS_NO_HINTING);
		sub = hb_subset_or_fail(face, in);
		hb_subset_input_destroy(in);
	}
	char *result = NULL;
	if (sub) {
		hb_blob_t *ob = hb_face_reference_blob(sub);
		unsigned int len = 0;
		const char *data = hb_blob_get_data(ob, &len);
		char tmp[4200];
		snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		bool ok = fd >= 0 && len > 0;
		for (size_t off = 0; ok && off < len;) {
			ssize_t w = write(fd, data + off, len - off);
			if (w < 0 && errno == EINTR)
				continue;
			ok = w > 0;
			off += w > 0 ? (size_t)w : 0;
		}
		if (fd >= 0 && close(fd) != 0)
			ok = false;
		if (ok && rename(tmp, path) == 0) {
			result = path;
			path = NULL;
		} else {
			unlink(tmp);
		}
		hb_blob_destroy(ob);
		hb_face_destroy(sub);
	}
	hb_face_destroy(face);
	hb_blob_destroy(blob);
	free(path);
	return result;
}

static void add_subset_of(const char *style, const char *tag)
{
	FcPattern *want = FcNameParse((const FcChar8 *)FONT_FALLBACK);
	FcPatternAddString(want, FC_STYLE, (const FcChar8 *)style);
	FcConfigSubstitute(fonts_config, want, FcMatchPattern);
	FcDefaultSubstitute(want);
	FcResult res;
	FcPattern *m = FcFontMatch(fonts_config, want, &res);
	FcPatternDestroy(want);
	FcChar8 *family = NULL, *file = NULL;
	int index = 0;
	if (m && FcPatternGetString(m, FC_FAMILY, 0, &family) == FcResultMatch &&
	    streq((const char *)family, FONT_FALLBACK) &&
	    FcPatternGetString(m, FC_FILE, 0, &file) == FcResultMatch) {
		FcPatternGetInteger(m, FC_INDEX, 0, &index);
		char *path = make_subset((const char *)file, index, tag);
		if (path) {
			int count = 0;
			FcPattern *p = FcFreeTypeQuery((const FcChar8 *)path, 0, NULL, &count);
			if (p) {
				FcPatternDel(p, FC_FAMILY);
				FcPatternDel(p, FC_FAMILYLANG);
				FcPatternDel(p, FC_FULLNAME);
				FcPatternDel(p, FC_FULLNAMELANG);
				FcPatternDel(p, FC_POSTSCRIPT_NAME);
				FcPatternAddString(p, FC_FAMILY, (const FcChar8 *)FONT_FAMILY);
				FcFontSet *set = FcConfigGetFonts(fonts_config, FcSetApplication);
				if (!set) {
					/* the application set exists once something was added to it */
					FcConfigAppFontAddDir(fonts_config, (const FcChar8 *)"/nonexistent-pingan");
					set = FcConfigGetFonts(fonts_config, FcSetApplication);
				}
				if (!set || !FcFontSetAdd(set, p))
					FcPatternDestroy(p);
			}
			free(path);
		} else {
			log_warn("documents: could not make the font subset of %s; using the full font (slower)",
			         (const char *)file);
		}
	} else {
		log_warn("documents: font %s not found (install fonts-noto-cjk): Chinese may not render",
		         FONT_FALLBACK);
	}
	if (m)
		FcPatternDestroy(m);
}

static void fonts_init(void)
{
	fonts_config = FcInitLoadConfigAndFonts();
	if (!fonts_config)
		return;
	/* one face: headings are drawn bold by double striking (see docs_render),
	 * because every face in a PDF costs its own subsetting */
	add_subset_of("Regular", "serif-regular");
}

/* One Pango font map per rendering thread (Pango's objects are not shared
 * between threads), released when the thread exits. */
static pthread_key_t fontmap_key;
static pthread_once_t fontmap_key_once = PTHREAD_ONCE_INIT;

static void fontmap_release(void *p)
{
	g_object_unref(p);
}

static void fontmap_key_init(void)
{
	pthread_key_create(&fontmap_key, fontmap_release);
}

static PangoFontMap *thread_fontmap(docs_t *d)
{
	pthread_mutex_lock(&fonts_mu);
	if (!fonts_cache_dir && d && d->cache_dir)
		fonts_cache_dir = xstrdup(d->cache_dir);
	pthread_mutex_unlock(&fonts_mu);
	pthread_once(&fonts_once, fonts_init);
	pthread_once(&fontmap_key_once, fontmap_key_init);
	PangoFontMap *fm = pthread_getspecific(fontmap_key);
	if (!fm) {
		fm = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
		if (fm && fonts_config)
			pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(fm), fonts_config);
		pthread_setspecific(fontmap_key, fm);
	}
	return fm;
}

/* ---- layout -------------------------------------------------------------------- */

/* A4 in points, margins after GB/T 9704 (top 37 mm, bottom 35, left 28, right 26). */
#define PAGE_W 595.276
#define PAGE_H 841.890
#define MARGIN_TOP 105.0
#define MARGIN_BOTTOM 99.0
#define MARGIN_LEFT 79.0
#define MARGIN_RIGHT 74.0
#define TEXT_W (PAGE_W - MARGIN_LEFT - MARGIN_RIGHT)
#define FOOTER_Y (PAGE_H - 60.0)
#define SIZE_HEADER 22.0
#define SIZE_TITLE 18.0
#define SIZE_BODY 12.0
#define SIZE_SMALL 10.5
#define SIZE_FOOTER 9.0
#define QR_SIZE 78.0
#define SEAL_D 119.0   /* a 42 mm seal */
#define BLOCK_H 128.0  /* the QR code and seal block */

enum align { A_LEFT, A_CENTER, A_RIGHT };

typedef struct item {
	enum { IT_LINE, IT_RULE, IT_CLOSING } type;
	PangoLayout *layout;     /* owner of the line (IT_LINE) */
	PangoLayoutLine *line;
	double x, y;             /* baseline position (lines) or top (rule, closing) */
	double r, g, b;
	bool bold;               /* drawn again as a thin outline: a bold face costs a font */
	double size;
	int page;
	int doc;                 /* which document of the batch */
} item_t;

typedef struct flow {
	PangoContext *ctx;
	item_t *items;
	size_t n, cap;
	PangoLayout **layouts;
	size_t nlayouts, caplayouts;
	int page;                /* current page (0-based, across the batch) */
	double y;                /* current position on it */
	int doc;
} flow_t;

static void push_item(flow_t *f, item_t it)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 128;
		f->items = xrealloc(f->items, st_mult(f->cap, sizeof(*f->items)));
	}
	it.doc = f->doc;
	f->items[f->n++] = it;
}

static void keep_layout(flow_t *f, PangoLayout *l)
{
	if (f->nlayouts == f->caplayouts) {
		f->caplayouts = f->caplayouts ? f->caplayouts * 2 : 64;
		f->layouts = xrealloc(f->layouts, st_mult(f->caplayouts, sizeof(*f->layouts)));
	}
	f->layouts[f->nlayouts++] = l;
}

static void new_page(flow_t *f)
{
	f->page++;
	f->y = MARGIN_TOP;
}

static PangoLayout *make_layout(flow_t *f, const char *text, double size, bool bold,
                                enum align al, double width, double indent)
{
	PangoLayout *l = pango_layout_new(f->ctx);
	PangoFontDescription *fd = pango_font_description_from_string(FONT_LIST);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	(void)bold; /* one face per document: see draw (bold is an outline over the text) */
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, al == A_CENTER ? PANGO_ALIGN_CENTER
	                              : al == A_RIGHT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
	pango_layout_set_justify(l, al == A_LEFT);
	pango_layout_set_indent(l, (int)(indent * PANGO_SCALE));
	pango_layout_set_spacing(l, (int)(size * 0.45 * PANGO_SCALE));
	PangoAttrList *attrs = pango_attr_list_new();
	pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
	pango_layout_set_attributes(l, attrs);
	pango_attr_list_unref(attrs);
	pango_layout_set_text(l, text, -1);
	keep_layout(f, l);
	return l;
}

/* Places the lines of a paragraph, breaking pages between lines. */
static void place(flow_t *f, const char *text, double size, bool bold, enum align al,
                  double indent, double r, double g, double b, double space_after)
{
	PangoLayout *l = make_layout(f, text, size, bold, al, TEXT_W, indent);
	PangoLayoutIter *it = pango_layout_get_iter(l);
	double spacing = size * 0.45;
	for (;;) {
		PangoRectangle logical;
		pango_layout_iter_get_line_extents(it, NULL, &logical);
		double h = (double)logical.height / PANGO_SCALE;
		if (f->y + h > PAGE_H - MARGIN_BOTTOM)
			new_page(f);
		int baseline = pango_layout_iter_get_baseline(it);
		item_t item = { .type = IT_LINE, .layout = l, .line = pango_layout_iter_get_line_readonly(it),
			            .x = MARGIN_LEFT + (double)logical.x / PANGO_SCALE,
			            .y = f->y + (double)(baseline - logical.y) / PANGO_SCALE, .r = r, .g = g,
			            .b = b, .bold = bold, .size = size, .page = f->page };
		push_item(f, item);
		f->y += h;
		if (!pango_layout_iter_next_line(it))
			break;
		f->y += spacing;
	}
	pango_layout_iter_free(it);
	f->y += space_after;
}

/* Each line of text as its own paragraph (blank lines are skipped). */
static void place_paragraphs(flow_t *f, const char *text, double size, double indent,
                             double space_after)
{
	const char *p = text;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *para = xstrndup(p, len);
		bool empty = true;
		for (size_t i = 0; i < len; i++)
			if (para[i] != ' ' && para[i] != '\t' && para[i] != '\r')
				empty = false;
		if (!empty)
			place(f, para, size, false, A_LEFT, indent, 0, 0, 0, size * 0.45);
		free(para);
		p = nl ? nl + 1 : NULL;
	}
	f->y += space_after;
}

static char *expanded(const char *text, const json_t *vars)
{
	strbuf_t sb = STRBUF_INIT;
	expand(&sb, text, vars);
	return strbuf_detach(&sb, NULL);
}

typedef struct closing {
	char *seal;
	char *date;
	char *qr_text;
	char *qr_caption;
} closing_t;

/* Lays out one document; closing blocks are returned for drawing. */
static void flow_document(flow_t *f, const doc_template_t *t, const json_t *vars, closing_t *cl)
{
	char *s;
	f->y = MARGIN_TOP - 40;
	s = expanded(t->text[K_HEADER], vars);
	place(f, s, SIZE_HEADER, true, A_CENTER, 0, 0.78, 0, 0, 6);
	free(s);
	const char *num = json_string_value(json_object_get(vars, "doc_number"));
	place(f, num ? num : "", SIZE_BODY, false, A_CENTER, 0, 0, 0, 0, 4);
	push_item(f, (item_t){ .type = IT_RULE, .y = f->y, .page = f->page, .r = 0.78 });
	f->y += 22;
	s = expanded(t->text[K_TITLE], vars);
	place(f, s, SIZE_TITLE, true, A_CENTER, 0, 0, 0, 0, 10);
	free(s);
	const char *cnum = json_string_value(json_object_get(vars, "number"));
	char *meta = xmalloc(strlen(t->labels[L_CASE]) + (cnum ? strlen(cnum) : 0) + 8);
	snprintf(meta, strlen(t->labels[L_CASE]) + (cnum ? strlen(cnum) : 0) + 8, "%s：%s",
	         t->labels[L_CASE], cnum ? cnum : "");
	place(f, meta, SIZE_SMALL, false, A_RIGHT, 0, 0.25, 0.25, 0.25, 12);
	free(meta);
	if (t->text[K_RECIPIENT]) {
		s = expanded(t->text[K_RECIPIENT], vars);
		place(f, s, SIZE_BODY, false, A_LEFT, 0, 0, 0, 0, SIZE_BODY * 0.45);
		free(s);
	}
	s = expanded(t->text[K_BODY], vars);
	place_paragraphs(f, s, SIZE_BODY, SIZE_BODY * 2, 6);
	free(s);
	strbuf_t sb = STRBUF_INIT;
	strbuf_adds(&sb, t->labels[L_BASIS]);
	strbuf_adds(&sb, streq(t->locale, "en") ? ": " : "：");
	expand(&sb, t->text[K_BASIS], vars);
	place_paragraphs(f, sb.buf, SIZE_BODY, SIZE_BODY * 2, 6);
	strbuf_release(&sb);
	if (t->text[K_RIGHTS]) {
		place(f, t->labels[L_RIGHTS], SIZE_BODY, true, A_LEFT, 0, 0, 0, 0, SIZE_BODY * 0.45);
		s = expanded(t->text[K_RIGHTS], vars);
		place_paragraphs(f, s, SIZE_BODY, SIZE_BODY * 2, 6);
		free(s);
	}
	for (size_t i = 0; i < t->nsignatures; i++) {
		strbuf_t sig = STRBUF_INIT;
		expand(&sig, t->signatures[i], vars);
		strbuf_addf(&sig, streq(t->locale, "en") ? ": ______________    %s: __________"
		                                          : "：______________    %s：__________",
		            t->labels[L_DATE]);
		if (i == 0)
			f->y += 10;
		place(f, sig.buf, SIZE_BODY, false, A_LEFT, 0, 0, 0, 0, 18);
		strbuf_release(&sig);
	}
	/* the closing block: seal area and date on the right, QR code on the left */
	f->y += 8;
	/* the block may use the bottom margin, down to the footer */
	if (f->y + BLOCK_H > FOOTER_Y - 8)
		new_page(f);
	cl->seal = expanded(t->text[K_SEAL], vars);
	cl->date = expanded(t->text[K_DATE_LINE], vars);
	cl->qr_text = t->qr && t->text[K_QR] ? expanded(t->text[K_QR], vars) : NULL;
	cl->qr_caption = expanded(t->text[K_QR_CAPTION], vars);
	push_item(f, (item_t){ .type = IT_CLOSING, .y = f->y, .page = f->page });
	f->y += BLOCK_H;
}

static void draw_qr(cairo_t *cr, const char *text, double x, double y, double size)
{
	QRcode *qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (!qr)
		return;
	int w = qr->width, quiet = 2, full = w + 2 * quiet;
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, full, full);
	unsigned char *px = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img);
	cairo_surface_flush(img);
	for (int r = 0; r < full; r++)
		for (int c = 0; c < full; c++) {
			bool dark = r >= quiet && c >= quiet && r < quiet + w && c < quiet + w &&
			            (qr->data[(r - quiet) * w + (c - quiet)] & 1);
			uint32_t v = dark ? 0x000000 : 0xFFFFFF;
			memcpy(px + r * stride + c * 4, &v, 4);
		}
	cairo_surface_mark_dirty(img);
	cairo_save(cr);
	cairo_translate(cr, x, y);
	cairo_scale(cr, size / full, size / full);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
	cairo_paint(cr);
	cairo_restore(cr);
	cairo_surface_destroy(img);
	QRcode_free(qr);
}

static void draw_text(cairo_t *cr, PangoContext *ctx, const char *text, double size, bool bold,
                      double x, double y, double width, enum align al)
{
	PangoLayout *l = pango_layout_new(ctx);
	PangoFontDescription *fd = pango_font_description_from_string(FONT_LIST);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(l, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(l, (int)(width * PANGO_SCALE));
	pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(l, al == A_CENTER ? PANGO_ALIGN_CENTER
	                              : al == A_RIGHT ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
	pango_layout_set_text(l, text, -1);
	cairo_move_to(cr, x, y);
	pango_cairo_show_layout(cr, l);
	g_object_unref(l);
}

static void draw_closing(cairo_t *cr, PangoContext *ctx, const closing_t *cl, double y)
{
	/* seal area: a dashed 42 mm circle over the issuer and date, right side */
	double cx = PAGE_W - MARGIN_RIGHT - SEAL_D / 2 - 10, cy = y + SEAL_D / 2 + 6;
	cairo_save(cr);
	cairo_set_source_rgb(cr, 0.85, 0.55, 0.55);
	cairo_set_line_width(cr, 0.8);
	double dash[] = { 4.0, 3.0 };
	cairo_set_dash(cr, dash, 2, 0);
	cairo_new_path(cr);
	cairo_arc(cr, cx, cy, SEAL_D / 2, 0, 2 * G_PI);
	cairo_stroke(cr);
	cairo_restore(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	double w = 220;
	draw_text(cr, ctx, cl->seal, SIZE_BODY, false, cx - w / 2, cy - 24, w, A_CENTER);
	draw_text(cr, ctx, cl->date, SIZE_BODY, false, cx - w / 2, cy + 4, w, A_CENTER);
	if (cl->qr_text && *cl->qr_text) {
		draw_qr(cr, cl->qr_text, MARGIN_LEFT, y + 8, QR_SIZE);
		draw_text(cr, ctx, cl->qr_caption, SIZE_FOOTER, false, MARGIN_LEFT, y + 12 + QR_SIZE, 160,
		          A_LEFT);
	}
}

static cairo_status_t pdf_write(void *closure, const unsigned char *data, unsigned int len)
{
	strbuf_add(closure, data, len);
	return CAIRO_STATUS_SUCCESS;
}

int docs_render(docs_t *d, const doc_render_in_t *in, size_t n, strbuf_t *pdf, int *pages,
                pa_err_t *err)
{
	*pages = 0;
	if (n == 0)
		return pa_fail(err, PA_EINVAL, "validation", NULL, "nothing to render");
	PangoFontMap *fm = thread_fontmap(d);
	if (!fm)
		return pa_fail(err, PA_EINTERNAL, "internal", NULL, "Pango could not start");
	strbuf_reset(pdf);
	cairo_surface_t *surf = cairo_pdf_surface_create_for_stream(pdf_write, pdf, PAGE_W, PAGE_H);
	cairo_t *cr = cairo_create(surf);
	flow_t f = { 0 };
	f.ctx = pango_font_map_create_context(fm);
	pango_cairo_update_context(cr, f.ctx);
	pango_cairo_context_set_resolution(f.ctx, 72.0);
	closing_t *cl = xcalloc(n, sizeof(*cl));
	int *first_page = xcalloc(n + 1, sizeof(int));
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const doc_template_t *t = in[i].tpl;
		pango_context_set_language(f.ctx, pango_language_from_string(
		                                      streq(t->locale, "en") ? "en" : "zh-cn"));
		if (i > 0)
			new_page(&f);
		else
			f.page = 0;
		f.doc = (int)i;
		first_page[i] = f.page;
		flow_document(&f, t, in[i].vars, &cl[i]);
		if (f.page - first_page[i] + 1 > DOC_PAGES_MAX)
			rc = pa_fail(err, PA_ETOOLARGE, "too-large", NULL, "%s: more than %d pages",
			             t->kind, DOC_PAGES_MAX);
	}
	first_page[n] = f.page + 1;
	if (rc == 0) {
		/* second pass: draw page by page, with "page x of y" per document */
		size_t k = 0;
		for (int pg = 0; pg <= f.page; pg++) {
			int doc = 0;
			while ((size_t)doc + 1 < n && first_page[doc + 1] <= pg)
				doc++;
			for (; k < f.n && f.items[k].page == pg; k++) {
				item_t *it = &f.items[k];
				if (it->type == IT_LINE) {
					cairo_set_source_rgb(cr, it->r, it->g, it->b);
					cairo_move_to(cr, it->x, it->y);
					pango_cairo_show_layout_line(cr, it->line);
					if (it->bold) {
						/* faux bold: the same glyphs again, a hair to the right (a bold
						 * face would cost a second font subset per document; an outline
						 * costs more still).  Text extractors drop the duplicate. */
						cairo_move_to(cr, it->x + it->size * 0.04, it->y);
						pango_cairo_show_layout_line(cr, it->line);
					}
				} else if (it->type == IT_RULE) {
					cairo_set_source_rgb(cr, 0.78, 0, 0);
					cairo_set_line_width(cr, 1.5);
					cairo_move_to(cr, MARGIN_LEFT, it->y + 6);
					cairo_line_to(cr, PAGE_W - MARGIN_RIGHT, it->y + 6);
					cairo_stroke(cr);
				} else {
					draw_closing(cr, f.ctx, &cl[it->doc], it->y);
				}
			}
			const doc_template_t *t = in[doc].tpl;
			json_t *pv = json_pack("{s:i, s:i}", "page", pg - first_page[doc] + 1, "pages",
			                       first_page[doc + 1] - first_page[doc]);
			strbuf_t foot = STRBUF_INIT;
			const char *num = json_string_value(json_object_get(in[doc].vars, "doc_number"));
			if (num && *num)
				strbuf_addf(&foot, "%s    ", num);
			expand(&foot, t->labels[L_PAGE], pv);
			json_decref(pv);
			cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
			draw_text(cr, f.ctx, foot.buf, SIZE_FOOTER, false, MARGIN_LEFT, FOOTER_Y, TEXT_W,
			          A_CENTER);
			strbuf_release(&foot);
			cairo_show_page(cr);
		}
		*pages = f.page + 1;
	}
	for (size_t i = 0; i < f.nlayouts; i++)
		g_object_unref(f.layouts[i]);
	free(f.layouts);
	free(f.items);
	for (size_t i = 0; i < n; i++) {
		free(cl[i].seal);
		free(cl[i].date);
		free(cl[i].qr_text);
		free(cl[i].qr_caption);
	}
	free(cl);
	free(first_page);
	g_object_unref(f.ctx);
	cairo_destroy(cr);
	cairo_surface_finish(surf);
	cairo_status_t st = cairo_surface_status(surf);
	cairo_surface_destroy(surf);
	if (rc == 0 && st != CAIRO_STATUS_SUCCESS)
		rc = pa_fail(err, PA_EINTERNAL, "internal", NULL, "cairo: %s", cairo_status_to_string(st));
	return rc;
}

#if defined(__SANITIZE_ADDRESS__)
/* fontconfig, Pango, GLib and cairo keep process-wide caches that they never
 * free; they are not leaks of ours. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\nleak:libpango\nleak:libglib\nleak:libgobject\n"
	       "leak:libcairo.so\nleak:libharfbuzz\nleak:libfreetype\nleak:libpixman\n";
}
#endif
