/*
 * workflow.c — case-type definitions: loading, validation, and the engine's
 * pure helpers.
 *
 * A definition is one YAML document (shape: workflow.h; the operator's guide:
 * docs/workflows.md).  Loading has three steps:
 *
 *   1. libyaml composes the whole document into a node tree
 *      (yaml_parser_load).  Every node keeps its start mark, so any problem
 *      found later can still name the file, line and column as well as the
 *      path ("workflows/petition.yaml:12:7: transitions.extend.to: ...").
 *   2. A schema-directed walk copies the tree into a wf_def_t allocated from
 *      the definition's own arena.  The walk never recurses generically: it
 *      visits exactly the keys the schema names, with every count bounded by
 *      a named limit, so YAML aliases (&fields / *fields) may share a block
 *      but cannot make the walk loop or explode.  Sections are read in
 *      dependency order — states (without their timeouts), notices,
 *      transitions (from/to/notice/owner/due_add checked where they are
 *      written), then the states' timeouts — so every reference is checked
 *      at the line that makes it.
 *   3. Whole-graph checks: every state is reachable from the initial one,
 *      every non-terminal state has a way out and a path to a terminal state,
 *      every notice placeholder can be filled by each transition that sends
 *      the notice, and a public action is unambiguous in every state.
 *
 * The first problem found is reported (pa_fail type "workflow", field = the
 * path) and nothing half-loaded escapes: the arena is freed on any error.
 *
 * The rest of the file is what the engine asks of a loaded definition:
 * lookups, checking an action's input (wf_validate_fields, declarative: the
 * transition's fields are the table), due and window times on top of
 * calendar_add, rendering notices, and the JSON view for the API.
 */
#include "base/common.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

#include "core/workflow.h"

/* Limits beyond the WF_MAX_* ones in workflow.h (documented in docs/workflows.md). */
#define WF_MAX_NAME 64               /* bytes in a state/transition/field/... name */
#define WF_MAX_NOTICES 128
#define WF_MAX_ENUM_VALUES 256
#define WF_MAX_TEXT_LIMIT (1 << 20)  /* largest `max` of a text field, in characters */
#define WF_MAX_TEMPLATE (32 * 1024)  /* bytes in one notice template */
/*
 * Work budget of one load, in scalar bytes read plus entries visited.  An
 * alias re-reads its whole block wherever it is used, so without a budget a
 * 700 KB file of aliases to one long string makes gigabytes of copies (the
 * "billion laughs").  A plain 1 MiB file stays far below the budget.
 */
#define WF_MAX_WORK (16 * WF_MAX_FILE)
/*
 * Deepest nesting of mappings and lists.  A definition needs 8 levels; the
 * limit also keeps libyaml's scanner away from its quadratic cost on deeply
 * nested flow collections ("[[[[...": minutes for 500,000 levels).
 */
#define WF_MAX_DEPTH 32

static const char *const known_roles[] = {
	"public", "system", "intake", "handler", "mediator", "grid_worker",
	"supervisor", "leader", "admin", "auditor",
};

static const char *const org_kinds[] = {
	"petition_office", "political_legal_committee", "police", "procuratorate", "court",
	"justice_bureau", "discipline_commission", "mediation_committee", "department",
	"government",
};

/* Placeholders every notice may use; the case service fills them. */
static const char *const builtin_placeholders[] = { "number", "date", "title", "unit", "due" };

/* Indexed by wf_field_type_t. */
static const char *const field_type_names[] = { "text", "int", "enum", "org", "date", "bool" };

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (streq(list[i], s))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */

/* Counts the code points of s[0..n); false when it is not valid UTF-8
 * (overlong forms, surrogates and values above U+10FFFF are invalid). */
static bool utf8_count(const char *s, size_t n, size_t *count)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t c = 0;
	while (p < end) {
		unsigned b = *p;
		size_t len;
		uint32_t cp;
		if (b < 0x80) {
			p++;
			c++;
			continue;
		} else if (b >= 0xC2 && b <= 0xDF) {
			len = 2;
			cp = b & 0x1F;
		} else if (b >= 0xE0 && b <= 0xEF) {
			len = 3;
			cp = b & 0x0F;
		} else if (b >= 0xF0 && b <= 0xF4) {
			len = 4;
			cp = b & 0x07;
		} else {
			return false;
		}
		if ((size_t)(end - p) < len)
			return false;
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		p += len;
		c++;
	}
	*count = c;
	return true;
}

/* ------------------------------------------------------------------ */
/* Notice templates                                                    */

enum tpl_kind { TPL_END, TPL_TEXT, TPL_VAR, TPL_BAD };

typedef struct tpl_tok {
	enum tpl_kind kind;
	const char *s;  /* TEXT: the literal; VAR: the name; BAD: rest of the template */
	size_t n;
} tpl_tok_t;

static bool is_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/*
 * Next token of a template: literal text, "{{" → "{", "}}" → "}", a lone "}"
 * as itself, or a placeholder {name} (name: lower-case letters, digits, _).
 * A "{" that does not start a well-formed placeholder is TPL_BAD.
 */
static tpl_tok_t tpl_next(const char *s, size_t *pos)
{
	tpl_tok_t t = { TPL_END, NULL, 0 };
	size_t i = *pos;
	if (!s[i])
		return t;
	if (s[i] == '{' && s[i + 1] == '{') {
		t.kind = TPL_TEXT, t.s = s + i, t.n = 1;
		*pos = i + 2;
	} else if (s[i] == '}') {
		t.kind = TPL_TEXT, t.s = s + i, t.n = 1;
		*pos = i + (s[i + 1] == '}' ? 2 : 1);
	} else if (s[i] == '{') {
		size_t j = i + 1;
		while (is_name_char(s[j]) && j - i <= WF_MAX_NAME)
			j++;
		if (s[j] != '}' || j == i + 1 || j - i - 1 > WF_MAX_NAME) {
			t.kind = TPL_BAD, t.s = s + i, t.n = strlen(s + i);
			*pos = i + t.n;
		} else {
			t.kind = TPL_VAR, t.s = s + i + 1, t.n = j - i - 1;
			*pos = j + 1;
		}
	} else {
		size_t j = i;
		while (s[j] && s[j] != '{' && s[j] != '}')
			j++;
		t.kind = TPL_TEXT, t.s = s + i, t.n = j - i;
		*pos = j;
	}
	return t;
}

/* ------------------------------------------------------------------ */
/* Loader                                                              */

enum { NT_TITLE_ZH, NT_TITLE_EN, NT_BODY_ZH, NT_BODY_EN, NT_NTPL };
static const char *const notice_tpl_paths[NT_NTPL] = { "title.zh", "title.en", "body.zh", "body.en" };

typedef struct loader {
	const char *src;
	pa_err_t *err;
	yaml_document_t *doc;
	wf_def_t *def;
	arena_t *tmp;                  /* paths and node tables; freed after loading */
	yaml_node_t *root;
	yaml_node_t **state_key;       /* per state: its key (for marks) */
	yaml_node_t **state_timeout;   /* per state: the timeout value, or NULL */
	yaml_node_t **state_hend;      /* per state: the handover_end value, or NULL */
	yaml_node_t **trans_handover;  /* per transition: the handover mapping, or NULL */
	yaml_node_t **trans_action;    /* per transition: public_action value, or NULL */
	yaml_node_t *(*notice_tpl)[NT_NTPL]; /* per notice: its template nodes */
	yaml_node_t **cat_due;         /* per category: its due overrides, read after the states */
	yaml_node_t **cat_service;     /* per category: its service_code node */
	size_t work;                   /* spent of WF_MAX_WORK */
} loader_t;

static int fail_at(loader_t *l, const yaml_node_t *n, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(loader_t *l, const yaml_node_t *n, const char *path, const char *fmt, ...)
{
	char msg[224];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t line = n ? n->start_mark.line + 1 : 1;
	size_t col = n ? n->start_mark.column + 1 : 1;
	if (path && *path)
		return pa_fail(l->err, PA_EINVAL, "workflow", path, "%s:%zu:%zu: %s: %s", l->src, line,
		               col, path, msg);
	return pa_fail(l->err, PA_EINVAL, "workflow", "", "%s:%zu:%zu: %s", l->src, line, col, msg);
}

/* Spends `units` of the work budget at node n; fails once it is exhausted. */
static int charge(loader_t *l, const yaml_node_t *n, const char *path, size_t units)
{
	if (l->work > WF_MAX_WORK || units > WF_MAX_WORK - l->work) {
		l->work = WF_MAX_WORK;
		return fail_at(l, n, path,
		               "the definition is too large once its aliases (*name) are expanded "
		               "(more than %d units of work)", WF_MAX_WORK);
	}
	l->work += units;
	return 0;
}

/* path.name, in the scratch arena; its bytes count as work (checked by the
 * next charge()) so aliases cannot make paths grow without bound either. */
static const char *join(loader_t *l, const char *path, const char *name)
{
	const char *p = path && *path ? arena_printf(l->tmp, "%s.%s", path, name)
	                              : arena_strdup(l->tmp, name);
	l->work += strlen(p) + 1;
	return p;
}

static yaml_node_t *node_at(loader_t *l, int index)
{
	return yaml_document_get_node(l->doc, index);
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "mapping";
	case YAML_SEQUENCE_NODE: return "list";
	default: return "single value";
	}
}

static size_t map_size(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static size_t seq_size(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static int want_scalar(loader_t *l, yaml_node_t *n, const char *path, const char **out)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_at(l, n, path, "expected a single value, found a %s", node_kind(n));
	const char *s = (const char *)n->data.scalar.value;
	int rc = charge(l, n, path, n->data.scalar.length + 1);
	if (rc)
		return rc;
	if (strlen(s) != n->data.scalar.length)
		return fail_at(l, n, path, "contains a NUL character");
	*out = s;
	return 0;
}

/* A non-empty string, copied into the definition's arena. */
static int want_string(loader_t *l, yaml_node_t *n, const char *path, const char **out)
{
	const char *s;
	int rc = want_scalar(l, n, path, &s);
	if (rc)
		return rc;
	if (!*s)
		return fail_at(l, n, path, "must not be empty");
	*out = arena_strdup(l->def->arena, s);
	return 0;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > WF_MAX_NAME || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_name_char(s[i]))
			return false;
	return true;
}

/* A name: lower-case letter, then lower-case letters, digits or _ (≤ 64). */
static int want_name(loader_t *l, yaml_node_t *n, const char *path, const char **out)
{
	const char *s;
	int rc = want_scalar(l, n, path, &s);
	if (rc)
		return rc;
	if (!valid_name(s))
		return fail_at(l, n, path,
		               "'%.64s' is not a valid name (a lower-case letter, then lower-case "
		               "letters, digits or _; at most %d)", s, WF_MAX_NAME);
	*out = arena_strdup(l->def->arena, s);
	return 0;
}

/* A category or enum code: letters, digits, _ . - (≤ 64), e.g. "0101". */
static int want_code(loader_t *l, yaml_node_t *n, const char *path, const char **out)
{
	const char *s;
	int rc = want_scalar(l, n, path, &s);
	if (rc)
		return rc;
	size_t len = strlen(s);
	bool ok = len > 0 && len <= WF_MAX_NAME;
	for (size_t i = 0; ok && i < len; i++) {
		char ch = s[i];
		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		     ch == '_' || ch == '.' || ch == '-';
	}
	if (!ok)
		return fail_at(l, n, path,
		               "'%.64s' is not a valid code (letters, digits, _ . -; at most %d)", s,
		               WF_MAX_NAME);
	*out = arena_strdup(l->def->arena, s);
	return 0;
}

static int want_bool(loader_t *l, yaml_node_t *n, const char *path, bool *out)
{
	const char *s;
	int rc = want_scalar(l, n, path, &s);
	if (rc)
		return rc;
	if (streq(s, "true"))
		*out = true;
	else if (streq(s, "false"))
		*out = false;
	else
		return fail_at(l, n, path, "expected true or false, found '%.64s'", s);
	return 0;
}

static int want_int(loader_t *l, yaml_node_t *n, const char *path, int64_t min, int64_t max,
                    int64_t *out)
{
	const char *s;
	int rc = want_scalar(l, n, path, &s);
	if (rc)
		return rc;
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	bool digits = *p != '\0';
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			digits = false;
	if (!digits)
		return fail_at(l, n, path, "expected a whole number, found '%.64s'", s);
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	if (errno == ERANGE || v < min || v > max)
		return fail_at(l, n, path, "%.32s is out of range (%" PRId64 " to %" PRId64 ")", s, min,
		               max);
	*out = v;
	return 0;
}

/*
 * Reads a mapping with a fixed set of keys into vals[] (and their key nodes
 * into keys[]), indexed like names[].  Unknown and duplicate keys are errors.
 */
static int read_map(loader_t *l, yaml_node_t *n, const char *path, const char *const *names,
                    size_t nnames, yaml_node_t **keys, yaml_node_t **vals)
{
	for (size_t i = 0; i < nnames; i++)
		keys[i] = vals[i] = NULL;
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(l, n, path, "expected a mapping (key: value), found a %s", node_kind(n));
	int rc = charge(l, n, path, map_size(n) + 1);
	if (rc)
		return rc;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(l, p->key), *v = node_at(l, p->value);
		const char *ks;
		if (!k || !v)
			return fail_at(l, n, path, "malformed mapping");
		rc = want_scalar(l, k, path, &ks);
		if (rc)
			return rc;
		size_t i = 0;
		while (i < nnames && !streq(names[i], ks))
			i++;
		if (i == nnames) {
			char expected[160] = "";
			size_t used = 0;
			for (size_t j = 0; j < nnames && used < sizeof(expected); j++) {
				int w = snprintf(expected + used, sizeof(expected) - used, "%s%s",
				                 j ? ", " : "", names[j]);
				if (w < 0)
					break;
				used += (size_t)w;
			}
			return fail_at(l, k, join(l, path, ks), "unknown key '%.64s' (expected %s)", ks,
			               expected);
		}
		if (vals[i])
			return fail_at(l, k, join(l, path, ks), "duplicate key '%s' (first at line %zu)",
			               names[i], keys[i]->start_mark.line + 1);
		keys[i] = k;
		vals[i] = v;
	}
	return 0;
}

static int missing(loader_t *l, yaml_node_t *map, const char *path, const char *key)
{
	return fail_at(l, map, join(l, path, key), "is required");
}

/*
 * A mapping keyed by names (states, transitions, fields, notices): checks the
 * node is a mapping with 1..max entries and that entry i's key is a valid
 * name not used by an earlier entry.  The caller iterates the pairs.
 */
static int check_named_map(loader_t *l, yaml_node_t *n, const char *path, size_t max,
                           const char *what, bool allow_empty)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(l, n, path, "expected a mapping of %s by name, found a %s", what,
		               node_kind(n));
	size_t count = map_size(n);
	if (count == 0 && !allow_empty)
		return fail_at(l, n, path, "no %s defined", what);
	if (count > max)
		return fail_at(l, n, path, "too many %s (%zu; at most %zu)", what, count, max);
	return charge(l, n, path, count * count / 2 + 1);  /* pair_name's duplicate checks */
}

static int pair_name(loader_t *l, yaml_node_t *map, size_t i, const char *path,
                     yaml_node_t **key, yaml_node_t **val, const char **name)
{
	yaml_node_pair_t *p = map->data.mapping.pairs.start + i;
	*key = node_at(l, p->key);
	*val = node_at(l, p->value);
	if (!*key || !*val)
		return fail_at(l, map, path, "malformed mapping");
	int rc = want_name(l, *key, path, name);
	if (rc)
		return rc;
	for (size_t j = 0; j < i; j++) {
		yaml_node_t *other = node_at(l, map->data.mapping.pairs.start[j].key);
		if (other && other->type == YAML_SCALAR_NODE &&
		    streq((const char *)other->data.scalar.value, *name))
			return fail_at(l, *key, join(l, path, *name),
			               "duplicate key '%s' (first at line %zu)", *name,
			               other->start_mark.line + 1);
	}
	return 0;
}

static int parse_label(loader_t *l, yaml_node_t *n, const char *path, wf_label_t *out)
{
	static const char *const keys[] = { "zh", "en" };
	yaml_node_t *k[2], *v[2];
	int rc = read_map(l, n, path, keys, 2, k, v);
	if (rc)
		return rc;
	if (!v[0] && !v[1])
		return fail_at(l, n, path, "needs zh, en or both");
	out->zh = out->en = NULL;
	if (v[0] && (rc = want_string(l, v[0], join(l, path, "zh"), &out->zh)))
		return rc;
	if (v[1] && (rc = want_string(l, v[1], join(l, path, "en"), &out->en)))
		return rc;
	return 0;
}

/* An optional label; without one the name stands in for both languages. */
static int parse_opt_label(loader_t *l, yaml_node_t *n, const char *path, const char *name,
                           wf_label_t *out)
{
	if (n)
		return parse_label(l, n, path, out);
	out->zh = out->en = name;
	return 0;
}

static int parse_unit(loader_t *l, yaml_node_t *n, const char *path, due_unit_t *out)
{
	const char *s;
	int rc = want_scalar(l, n, path, &s);
	if (rc)
		return rc;
	if (due_unit_parse(s, out) != 0)
		return fail_at(l, n, path,
		               "unknown unit '%.64s' (expected calendar_days, working_days or "
		               "working_hours)", s);
	return 0;
}

/* A due or a window: { amount, unit, from, basis }. */
static int parse_due(loader_t *l, yaml_node_t *n, const char *path, wf_due_t *out)
{
	enum { K_AMOUNT, K_UNIT, K_FROM, K_BASIS, K_N };
	static const char *const keys[K_N] = { "amount", "unit", "from", "basis" };
	yaml_node_t *k[K_N], *v[K_N];
	int rc = read_map(l, n, path, keys, K_N, k, v);
	if (rc)
		return rc;
	if (!v[K_AMOUNT])
		return missing(l, n, path, "amount");
	if (!v[K_UNIT])
		return missing(l, n, path, "unit");
	int64_t amount;
	if ((rc = want_int(l, v[K_AMOUNT], join(l, path, "amount"), 1, CALENDAR_MAX_AMOUNT,
	                   &amount)))
		return rc;
	out->amount = (int)amount;
	if ((rc = parse_unit(l, v[K_UNIT], join(l, path, "unit"), &out->unit)))
		return rc;
	out->from = WF_FROM_STATE;
	if (v[K_FROM]) {
		const char *s;
		if ((rc = want_scalar(l, v[K_FROM], join(l, path, "from"), &s)))
			return rc;
		if (streq(s, "case"))
			out->from = WF_FROM_CASE;
		else if (!streq(s, "state"))
			return fail_at(l, v[K_FROM], join(l, path, "from"),
			               "expected case or state, found '%.64s'", s);
	}
	out->basis = NULL;
	if (v[K_BASIS] && (rc = want_string(l, v[K_BASIS], join(l, path, "basis"), &out->basis)))
		return rc;
	return 0;
}

static int name_list(loader_t *l, yaml_node_t *n, const char *path, size_t max,
                     yaml_node_t ***items, size_t *count);

/*
 * categories: a list of { code, label, accusation, parent, service_code, due }.
 * Two levels: a parent is a category listed above that has no parent itself.
 * A service_code (Open311) belongs to a leaf and is unique; a category's due
 * overrides are read by check_category_dues() once the states are known.
 */
static int parse_categories(loader_t *l, yaml_node_t *n)
{
	const char *path = "categories";
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(l, n, path, "expected a list of categories, found a %s", node_kind(n));
	size_t count = seq_size(n);
	if (count > WF_MAX_CATEGORIES)
		return fail_at(l, n, path, "too many categories (%zu; at most %d)", count,
		               WF_MAX_CATEGORIES);
	int rc = charge(l, n, path, count * count + 1);
	if (rc)
		return rc;
	wf_def_t *def = l->def;
	def->categories = arena_zalloc(def->arena, (count ? count : 1) * sizeof(wf_category_t));
	l->cat_due = arena_zalloc(l->tmp, (count ? count : 1) * sizeof(yaml_node_t *));
	l->cat_service = arena_zalloc(l->tmp, (count ? count : 1) * sizeof(yaml_node_t *));
	for (size_t i = 0; i < count; i++) {
		enum { K_CODE, K_LABEL, K_ACC, K_PARENT, K_SERVICE, K_DUE, K_N };
		static const char *const keys[K_N] = { "code", "label", "accusation", "parent",
			                                   "service_code", "due" };
		yaml_node_t *item = node_at(l, n->data.sequence.items.start[i]), *k[K_N], *v[K_N];
		const char *ipath = arena_printf(l->tmp, "categories[%zu]", i);
		if (!item)
			return fail_at(l, n, path, "malformed list");
		rc = read_map(l, item, ipath, keys, K_N, k, v);
		if (rc)
			return rc;
		wf_category_t *c = &def->categories[i];
		if (!v[K_CODE])
			return missing(l, item, ipath, "code");
		if ((rc = want_code(l, v[K_CODE], join(l, ipath, "code"), &c->code)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (streq(def->categories[j].code, c->code))
				return fail_at(l, v[K_CODE], join(l, ipath, "code"),
				               "duplicate category code '%s'", c->code);
		if (!v[K_LABEL])
			return missing(l, item, ipath, "label");
		if ((rc = parse_label(l, v[K_LABEL], join(l, ipath, "label"), &c->label)))
			return rc;
		if (v[K_ACC] && (rc = want_bool(l, v[K_ACC], join(l, ipath, "accusation"), &c->accusation)))
			return rc;
		if (v[K_PARENT]) {
			const char *ppath = join(l, ipath, "parent");
			if ((rc = want_code(l, v[K_PARENT], ppath, &c->parent)))
				return rc;
			wf_category_t *parent = NULL;
			for (size_t j = 0; j < i && !parent; j++)
				if (streq(def->categories[j].code, c->parent))
					parent = &def->categories[j];
			if (!parent)
				return fail_at(l, v[K_PARENT], ppath,
				               "parent '%s' is not a category listed above this one",
				               c->parent);
			if (parent->parent)
				return fail_at(l, v[K_PARENT], ppath,
				               "parent '%s' is itself a subcategory (categories have two "
				               "levels)", c->parent);
			if (parent->service_code)
				return fail_at(l, l->cat_service[parent - def->categories],
				               arena_printf(l->tmp, "categories[%zu].service_code",
				                            (size_t)(parent - def->categories)),
				               "category '%s' has subcategories, so its service code belongs "
				               "on them", parent->code);
			parent->has_children = true;
		}
		if (v[K_SERVICE]) {
			const char *spath = join(l, ipath, "service_code");
			if ((rc = want_code(l, v[K_SERVICE], spath, &c->service_code)))
				return rc;
			for (size_t j = 0; j < i; j++)
				if (streq(def->categories[j].service_code, c->service_code))
					return fail_at(l, v[K_SERVICE], spath,
					               "duplicate service code '%s' (also category '%s')",
					               c->service_code, def->categories[j].code);
			l->cat_service[i] = v[K_SERVICE];
		}
		l->cat_due[i] = v[K_DUE];
		def->ncategories = i + 1;
	}
	return 0;
}

/* Each category's due: { STATE: { amount, unit, from, basis }, ... }. */
static int check_category_dues(loader_t *l)
{
	wf_def_t *def = l->def;
	for (size_t i = 0; i < def->ncategories; i++) {
		yaml_node_t *n = l->cat_due[i];
		if (!n)
			continue;
		wf_category_t *c = &def->categories[i];
		const char *path = arena_printf(l->tmp, "categories[%zu].due", i);
		int rc = check_named_map(l, n, path, WF_MAX_STATES, "state limits", false);
		if (rc)
			return rc;
		size_t count = map_size(n);
		c->dues = arena_zalloc(def->arena, count * sizeof(wf_category_due_t));
		for (size_t j = 0; j < count; j++) {
			yaml_node_t *key, *val;
			wf_category_due_t *d = &c->dues[j];
			if ((rc = pair_name(l, n, j, path, &key, &val, &d->state)))
				return rc;
			const char *dpath = join(l, path, d->state);
			const wf_state_t *st = wf_find_state(def, d->state);
			if (!st)
				return fail_at(l, key, dpath, "unknown state '%s'", d->state);
			if (st->terminal)
				return fail_at(l, key, dpath,
				               "state '%s' is terminal: it has no limit", d->state);
			if ((rc = parse_due(l, val, dpath, &d->due)))
				return rc;
			c->ndues = j + 1;
		}
	}
	return 0;
}

/* register: { roles: [...], public: bool } — who may register a case. */
static int parse_register(loader_t *l, yaml_node_t *n)
{
	enum { K_ROLES, K_PUBLIC, K_N };
	static const char *const keys[K_N] = { "roles", "public" };
	yaml_node_t *k[K_N], *v[K_N], **items;
	size_t count;
	wf_def_t *def = l->def;
	int rc = read_map(l, n, "register", keys, K_N, k, v);
	if (rc)
		return rc;
	if (v[K_PUBLIC] && (rc = want_bool(l, v[K_PUBLIC], "register.public", &def->public_submit)))
		return rc;
	if (!v[K_ROLES])
		return missing(l, n, "register", "roles");
	if ((rc = name_list(l, v[K_ROLES], "register.roles", WF_MAX_REGISTER_ROLES, &items, &count)))
		return rc;
	if (count == 0 && !def->public_submit)
		return fail_at(l, v[K_ROLES], "register.roles",
		               "is empty and the public may not submit: no one could register a case");
	def->register_roles = arena_alloc(def->arena, (count ? count : 1) * sizeof(char *));
	def->nregister_roles = 0;
	for (size_t i = 0; i < count; i++) {
		const char *s;
		if ((rc = want_scalar(l, items[i], "register.roles", &s)))
			return rc;
		if (!in_list(known_roles, ARRAY_SIZE(known_roles), s) || streq(s, "public") ||
		    streq(s, "system"))
			return fail_at(l, items[i], "register.roles",
			               "'%.64s' is not a staff role (expected intake, handler, mediator, "
			               "grid_worker, supervisor, leader, admin or auditor; the public is "
			               "register.public)", s);
		for (size_t j = 0; j < i; j++)
			if (streq(def->register_roles[j], s))
				return fail_at(l, items[i], "register.roles", "role '%s' is listed twice", s);
		def->register_roles[i] = arena_strdup(def->arena, s);
		def->nregister_roles = i + 1;
	}
	return 0;
}

/* contact: { role, anonymous, sealed, reveal_roles } — the submitter's party. */
static int parse_contact(loader_t *l, yaml_node_t *n)
{
	enum { K_ROLE, K_ANON, K_SEALED, K_REVEAL, K_N };
	static const char *const keys[K_N] = { "role", "anonymous", "sealed", "reveal_roles" };
	yaml_node_t *k[K_N], *v[K_N], **items;
	size_t count;
	wf_def_t *def = l->def;
	int rc = read_map(l, n, "contact", keys, K_N, k, v);
	if (rc)
		return rc;
	if (v[K_ROLE] && (rc = want_name(l, v[K_ROLE], "contact.role", &def->contact_role)))
		return rc;
	if (v[K_ANON] &&
	    (rc = want_bool(l, v[K_ANON], "contact.anonymous", &def->contact_anonymous)))
		return rc;
	if (v[K_SEALED] && (rc = want_bool(l, v[K_SEALED], "contact.sealed", &def->contact_sealed)))
		return rc;
	if (v[K_REVEAL] && !def->contact_sealed)
		return fail_at(l, k[K_REVEAL], "contact.reveal_roles",
		               "applies to a sealed contact only (sealed: true)");
	if (def->contact_sealed && !v[K_REVEAL])
		return fail_at(l, n, "contact.reveal_roles",
		               "is required for a sealed contact: name the role that may see the "
		               "identity (e.g. [intake])");
	if (!v[K_REVEAL])
		return 0;
	if ((rc = name_list(l, v[K_REVEAL], "contact.reveal_roles", WF_MAX_REGISTER_ROLES, &items,
	                    &count)))
		return rc;
	if (count == 0)
		return fail_at(l, v[K_REVEAL], "contact.reveal_roles",
		               "is empty: a sealed identity no one may reveal could never be checked");
	def->reveal_roles = arena_alloc(def->arena, count * sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		const char *s;
		if ((rc = want_scalar(l, items[i], "contact.reveal_roles", &s)))
			return rc;
		if (!in_list(known_roles, ARRAY_SIZE(known_roles), s) || streq(s, "public") ||
		    streq(s, "system"))
			return fail_at(l, items[i], "contact.reveal_roles",
			               "'%.64s' is not a staff role", s);
		for (size_t j = 0; j < i; j++)
			if (streq(def->reveal_roles[j], s))
				return fail_at(l, items[i], "contact.reveal_roles", "role '%s' is listed twice",
				               s);
		def->reveal_roles[i] = arena_strdup(def->arena, s);
		def->nreveal_roles = i + 1;
	}
	return 0;
}

static int parse_location(loader_t *l, yaml_node_t *n)
{
	const char *s;
	int rc = want_scalar(l, n, "location", &s);
	if (rc)
		return rc;
	if (streq(s, "none"))
		l->def->location = WF_LOCATION_NONE;
	else if (streq(s, "optional"))
		l->def->location = WF_LOCATION_OPTIONAL;
	else if (streq(s, "required"))
		l->def->location = WF_LOCATION_REQUIRED;
	else
		return fail_at(l, n, "location", "expected none, optional or required, found '%.64s'", s);
	return 0;
}

static int parse_states(loader_t *l, yaml_node_t *n)
{
	const char *path = "states";
	int rc = check_named_map(l, n, path, WF_MAX_STATES, "states", false);
	if (rc)
		return rc;
	wf_def_t *def = l->def;
	size_t count = map_size(n);
	def->states = arena_zalloc(def->arena, count * sizeof(wf_state_t));
	l->state_key = arena_zalloc(l->tmp, count * sizeof(yaml_node_t *));
	l->state_timeout = arena_zalloc(l->tmp, count * sizeof(yaml_node_t *));
	l->state_hend = arena_zalloc(l->tmp, count * sizeof(yaml_node_t *));
	for (size_t i = 0; i < count; i++) {
		enum { K_LABEL, K_TERMINAL, K_DUE, K_TIMEOUT, K_RATING, K_HEND, K_N };
		static const char *const keys[K_N] = { "label", "terminal", "due", "timeout", "rating",
			                                   "handover_end" };
		yaml_node_t *key, *val, *k[K_N], *v[K_N];
		wf_state_t *s = &def->states[i];
		if ((rc = pair_name(l, n, i, path, &key, &val, &s->name)))
			return rc;
		const char *spath = join(l, path, s->name);
		l->state_key[i] = key;
		if ((rc = read_map(l, val, spath, keys, K_N, k, v)))
			return rc;
		if ((rc = parse_opt_label(l, v[K_LABEL], join(l, spath, "label"), s->name, &s->label)))
			return rc;
		if (v[K_TERMINAL] &&
		    (rc = want_bool(l, v[K_TERMINAL], join(l, spath, "terminal"), &s->terminal)))
			return rc;
		if (v[K_RATING] && (rc = want_bool(l, v[K_RATING], join(l, spath, "rating"), &s->rating)))
			return rc;
		if (v[K_DUE]) {
			if (s->terminal)
				return fail_at(l, k[K_DUE], join(l, spath, "due"),
				               "a terminal state has no due (nothing is left to do in it)");
			if ((rc = parse_due(l, v[K_DUE], join(l, spath, "due"), &s->due)))
				return rc;
			s->has_due = true;
		}
		if (v[K_TIMEOUT]) {
			const char *tpath = join(l, spath, "timeout");
			if (s->terminal)
				return fail_at(l, k[K_TIMEOUT], tpath, "a terminal state has no timeout");
			if (!s->has_due)
				return fail_at(l, k[K_TIMEOUT], tpath,
				               "state '%s' has a timeout but no due (the timeout is taken "
				               "when the due passes)", s->name);
			if ((rc = want_name(l, v[K_TIMEOUT], tpath, &s->timeout)))
				return rc;
			l->state_timeout[i] = v[K_TIMEOUT];
		}
		if (v[K_HEND]) {
			const char *hpath = join(l, spath, "handover_end");
			if (s->terminal)
				return fail_at(l, k[K_HEND], hpath, "a terminal state waits for nothing");
			if ((rc = want_name(l, v[K_HEND], hpath, &s->handover_end)))
				return rc;
			l->state_hend[i] = v[K_HEND];
		}
		def->nstates = i + 1;
	}
	return 0;
}

static int check_template(loader_t *l, yaml_node_t *n, const char *path)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t pos = 0;
	if (n->data.scalar.length > WF_MAX_TEMPLATE)
		return fail_at(l, n, path, "longer than %d bytes", WF_MAX_TEMPLATE);
	for (;;) {
		tpl_tok_t t = tpl_next(s, &pos);
		if (t.kind == TPL_END)
			return 0;
		if (t.kind == TPL_BAD)
			return fail_at(l, n, path,
			               "bad placeholder at '%.24s' (write {name}, or {{ for a literal {)",
			               t.s);
	}
}

static int parse_notices(loader_t *l, yaml_node_t *n)
{
	const char *path = "notices";
	int rc = check_named_map(l, n, path, WF_MAX_NOTICES, "notices", true);
	if (rc)
		return rc;
	wf_def_t *def = l->def;
	size_t count = map_size(n);
	def->notices = arena_zalloc(def->arena, (count ? count : 1) * sizeof(wf_notice_t));
	l->notice_tpl = arena_zalloc(l->tmp, (count ? count : 1) * sizeof(*l->notice_tpl));
	for (size_t i = 0; i < count; i++) {
		static const char *const keys[] = { "title", "body" };
		yaml_node_t *key, *val, *k[2], *v[2];
		wf_notice_t *no = &def->notices[i];
		if ((rc = pair_name(l, n, i, path, &key, &val, &no->name)))
			return rc;
		const char *npath = join(l, path, no->name);
		if ((rc = read_map(l, val, npath, keys, 2, k, v)))
			return rc;
		if (!v[0])
			return missing(l, val, npath, "title");
		if (!v[1])
			return missing(l, val, npath, "body");
		if ((rc = parse_label(l, v[0], join(l, npath, "title"), &no->title)) ||
		    (rc = parse_label(l, v[1], join(l, npath, "body"), &no->body)))
			return rc;
		/* Remember each template's node so placeholders can be checked
		 * against the transitions once they are read. */
		for (int which = 0; which < 2; which++) {
			yaml_node_t *lk[2], *lv[2];
			static const char *const lkeys[] = { "zh", "en" };
			read_map(l, v[which], "", lkeys, 2, lk, lv); /* already validated */
			for (int lang = 0; lang < 2; lang++) {
				int slot = which * 2 + lang;
				l->notice_tpl[i][slot] = lv[lang];
				if (lv[lang] &&
				    (rc = check_template(l, lv[lang],
				                         join(l, npath, notice_tpl_paths[slot]))))
					return rc;
			}
		}
		def->nnotices = i + 1;
	}
	return 0;
}

/* An enum's values (or a track's stages): a list of distinct {code, label};
 * with dues (a track's stages), each may also have a due: its limit. */
static int parse_enum_values(loader_t *l, yaml_node_t *vals, const char *vpath, wf_field_t *f,
                             wf_due_t **dues)
{
	int rc;
	if (vals->type != YAML_SEQUENCE_NODE)
		return fail_at(l, vals, vpath, "expected a list of {code, label}, found a %s",
		               node_kind(vals));
	size_t count = seq_size(vals);
	if (count == 0)
		return fail_at(l, vals, vpath, "an enum needs at least one value");
	if (count > WF_MAX_ENUM_VALUES)
		return fail_at(l, vals, vpath, "too many values (%zu; at most %d)", count,
		               WF_MAX_ENUM_VALUES);
	if ((rc = charge(l, vals, vpath, count * count / 2 + 1)))
		return rc;
	f->values = arena_zalloc(l->def->arena, count * sizeof(wf_enum_value_t));
	if (dues)
		*dues = arena_zalloc(l->def->arena, count * sizeof(wf_due_t));
	for (size_t i = 0; i < count; i++) {
		static const char *const vkeys[] = { "code", "label", "due" };
		yaml_node_t *item = node_at(l, vals->data.sequence.items.start[i]), *vk[3], *vv[3];
		const char *ipath = arena_printf(l->tmp, "%s[%zu]", vpath, i);
		if (!item)
			return fail_at(l, vals, vpath, "malformed list");
		if ((rc = read_map(l, item, ipath, vkeys, dues ? 3 : 2, vk, vv)))
			return rc;
		if (dues && vv[2] && (rc = parse_due(l, vv[2], join(l, ipath, "due"), &(*dues)[i])))
			return rc;
		wf_enum_value_t *ev = &f->values[i];
		if (!vv[0])
			return missing(l, item, ipath, "code");
		if (!vv[1])
			return missing(l, item, ipath, "label");
		if ((rc = want_code(l, vv[0], join(l, ipath, "code"), &ev->code)) ||
		    (rc = parse_label(l, vv[1], join(l, ipath, "label"), &ev->label)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (streq(f->values[j].code, ev->code))
				return fail_at(l, vv[0], join(l, ipath, "code"),
				               "duplicate value code '%s'", ev->code);
		f->nvalues = i + 1;
	}
	return 0;
}

static int parse_field(loader_t *l, yaml_node_t *val, const char *fpath, wf_field_t *f)
{
	enum { K_TYPE, K_LABEL, K_REQUIRED, K_MIN, K_MAX, K_VALUES, K_MUST_TRUE, K_N };
	static const char *const keys[K_N] = { "type", "label", "required", "min", "max", "values",
		                                   "must_be_true" };
	yaml_node_t *k[K_N], *v[K_N];
	int rc = read_map(l, val, fpath, keys, K_N, k, v);
	if (rc)
		return rc;
	if (!v[K_TYPE])
		return missing(l, val, fpath, "type");
	const char *type;
	if ((rc = want_scalar(l, v[K_TYPE], join(l, fpath, "type"), &type)))
		return rc;
	size_t ti = 0;
	while (ti < ARRAY_SIZE(field_type_names) && !streq(field_type_names[ti], type))
		ti++;
	if (ti == ARRAY_SIZE(field_type_names))
		return fail_at(l, v[K_TYPE], join(l, fpath, "type"),
		               "unknown field type '%.64s' (expected text, int, enum, org, date or "
		               "bool)", type);
	f->type = (wf_field_type_t)ti;
	if ((rc = parse_opt_label(l, v[K_LABEL], join(l, fpath, "label"), f->name, &f->label)))
		return rc;
	if (v[K_REQUIRED] &&
	    (rc = want_bool(l, v[K_REQUIRED], join(l, fpath, "required"), &f->required)))
		return rc;

	/* Which of min / max / values apply to this type. */
	bool allow_min = f->type == WF_FIELD_INT;
	bool allow_max = f->type == WF_FIELD_INT || f->type == WF_FIELD_TEXT;
	bool allow_values = f->type == WF_FIELD_ENUM;
	if (v[K_MIN] && !allow_min)
		return fail_at(l, k[K_MIN], join(l, fpath, "min"), "min does not apply to a %s field",
		               type);
	if (v[K_MAX] && !allow_max)
		return fail_at(l, k[K_MAX], join(l, fpath, "max"), "max does not apply to a %s field",
		               type);
	if (v[K_VALUES] && !allow_values)
		return fail_at(l, k[K_VALUES], join(l, fpath, "values"),
		               "values apply to enum fields only");
	/* must_be_true: a bool that must be given as true (a signature, a
	 * consent, a checked condition) */
	if (v[K_MUST_TRUE]) {
		const char *mpath = join(l, fpath, "must_be_true");
		if (f->type != WF_FIELD_BOOL)
			return fail_at(l, k[K_MUST_TRUE], mpath, "must_be_true applies to bool fields only");
		if ((rc = want_bool(l, v[K_MUST_TRUE], mpath, &f->must_be_true)))
			return rc;
		if (f->must_be_true && !f->required)
			return fail_at(l, k[K_MUST_TRUE], mpath,
			               "a field that must be true must also be required: true");
	}

	f->min = f->max = 0;
	if (f->type == WF_FIELD_TEXT) {
		f->max = WF_TEXT_DEFAULT_MAX;
		if (v[K_MAX] && (rc = want_int(l, v[K_MAX], join(l, fpath, "max"), 1,
		                               WF_MAX_TEXT_LIMIT, &f->max)))
			return rc;
	} else if (f->type == WF_FIELD_INT) {
		f->min = INT32_MIN;
		f->max = INT32_MAX;
		if (v[K_MIN] && (rc = want_int(l, v[K_MIN], join(l, fpath, "min"), INT32_MIN,
		                               INT32_MAX, &f->min)))
			return rc;
		if (v[K_MAX] && (rc = want_int(l, v[K_MAX], join(l, fpath, "max"), INT32_MIN,
		                               INT32_MAX, &f->max)))
			return rc;
		if (f->min > f->max)
			return fail_at(l, v[K_MAX] ? v[K_MAX] : v[K_MIN], join(l, fpath, "max"),
			               "max %" PRId64 " is below min %" PRId64, f->max, f->min);
	} else if (f->type == WF_FIELD_ENUM) {
		const char *vpath = join(l, fpath, "values");
		if (!v[K_VALUES])
			return missing(l, val, fpath, "values");
		return parse_enum_values(l, v[K_VALUES], vpath, f, NULL);
	}
	return 0;
}

static const wf_field_t *find_field_in(const wf_field_t *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(fields[i].name, name))
			return &fields[i];
	return NULL;
}

static const wf_field_t *find_field(const wf_transition_t *t, const char *name)
{
	return find_field_in(t->fields, t->nfields, name);
}

/* A mapping of fields by name (a transition's or a record kind's). */
static int parse_field_map(loader_t *l, yaml_node_t *n, const char *path, wf_field_t **out,
                           size_t *nout)
{
	int rc = check_named_map(l, n, path, WF_MAX_FIELDS, "fields", true);
	if (rc)
		return rc;
	size_t count = map_size(n);
	*out = arena_zalloc(l->def->arena, (count ? count : 1) * sizeof(wf_field_t));
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *key, *val;
		wf_field_t *f = &(*out)[i];
		if ((rc = pair_name(l, n, i, path, &key, &val, &f->name)))
			return rc;
		const char *fpath = join(l, path, f->name);
		if (in_list(builtin_placeholders, ARRAY_SIZE(builtin_placeholders), f->name))
			return fail_at(l, key, fpath,
			               "'%s' is reserved for the built-in notice placeholder {%s}; "
			               "choose another field name", f->name, f->name);
		if ((rc = parse_field(l, val, fpath, f)))
			return rc;
		*nout = i + 1;
	}
	return 0;
}

static int parse_fields(loader_t *l, yaml_node_t *n, const char *path, wf_transition_t *t)
{
	return parse_field_map(l, n, path, &t->fields, &t->nfields);
}

static int state_index(const wf_def_t *def, const char *name)
{
	for (size_t i = 0; i < def->nstates; i++)
		if (streq(def->states[i].name, name))
			return (int)i;
	return -1;
}

/* A state name that must exist: an error names the bad reference. */
static int want_state(loader_t *l, yaml_node_t *n, const char *path, const char **out)
{
	int rc = want_name(l, n, path, out);
	if (rc)
		return rc;
	if (state_index(l->def, *out) < 0)
		return fail_at(l, n, path, "unknown state '%s'", *out);
	return 0;
}

/* A list of names (or one name written alone). */
static int name_list(loader_t *l, yaml_node_t *n, const char *path, size_t max,
                     yaml_node_t ***items, size_t *count)
{
	if (n->type == YAML_SCALAR_NODE) {
		*items = arena_alloc(l->tmp, sizeof(yaml_node_t *));
		(*items)[0] = n;
		*count = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(l, n, path, "expected a list, found a %s", node_kind(n));
	*count = seq_size(n);
	if (*count > max)
		return fail_at(l, n, path, "too many entries (%zu; at most %zu)", *count, max);
	int rc = charge(l, n, path, *count * *count / 2 + 1);  /* duplicate checks */
	if (rc)
		return rc;
	*items = arena_alloc(l->tmp, (*count ? *count : 1) * sizeof(yaml_node_t *));
	for (size_t i = 0; i < *count; i++) {
		(*items)[i] = node_at(l, n->data.sequence.items.start[i]);
		if (!(*items)[i])
			return fail_at(l, n, path, "malformed list");
	}
	return 0;
}

static int parse_owner(loader_t *l, yaml_node_t *n, const char *path, wf_transition_t *t)
{
	const char *s;
	int rc = want_string(l, n, path, &s);
	if (rc)
		return rc;
	t->owner = s;
	if (streq(s, "keep") || streq(s, "intake") || streq(s, "superior") || streq(s, "previous"))
		return 0;
	if (!strncmp(s, "field:", 6)) {
		const wf_field_t *f = find_field(t, s + 6);
		if (!f || f->type != WF_FIELD_ORG)
			return fail_at(l, n, path, "'%.64s' is not an org field of this transition",
			               s + 6);
		if (!f->required)
			return fail_at(l, n, path,
			               "org field '%s' must be required: true to decide the owner",
			               f->name);
		return 0;
	}
	if (!strncmp(s, "kind:", 5)) {
		if (!in_list(org_kinds, ARRAY_SIZE(org_kinds), s + 5))
			return fail_at(l, n, path,
			               "unknown unit kind '%.64s' (expected petition_office, "
			               "political_legal_committee, police, procuratorate, court, "
			               "justice_bureau, discipline_commission, mediation_committee, "
			               "department or government)", s + 5);
		return 0;
	}
	return fail_at(l, n, path,
	               "unknown owner '%.64s' (expected keep, intake, superior, previous, "
	               "field:NAME or kind:KIND)", s);
}

static int parse_due_add(loader_t *l, yaml_node_t *n, const char *path, wf_transition_t *t)
{
	enum { K_FIELD, K_AMOUNT, K_UNIT, K_N };
	static const char *const keys[K_N] = { "field", "amount", "unit" };
	yaml_node_t *k[K_N], *v[K_N];
	int rc = read_map(l, n, path, keys, K_N, k, v);
	if (rc)
		return rc;
	if (!v[K_UNIT])
		return missing(l, n, path, "unit");
	if ((rc = parse_unit(l, v[K_UNIT], join(l, path, "unit"), &t->due_add_unit)))
		return rc;
	if (!v[K_FIELD] == !v[K_AMOUNT])
		return fail_at(l, n, path, "needs exactly one of field (an int field) or amount");
	if (v[K_FIELD]) {
		const char *fpath = join(l, path, "field");
		if ((rc = want_name(l, v[K_FIELD], fpath, &t->due_add_field)))
			return rc;
		const wf_field_t *f = find_field(t, t->due_add_field);
		if (!f || f->type != WF_FIELD_INT)
			return fail_at(l, v[K_FIELD], fpath, "'%s' is not an int field of this transition",
			               t->due_add_field);
		if (!f->required)
			return fail_at(l, v[K_FIELD], fpath, "int field '%s' must be required: true",
			               f->name);
		if (f->min < 0 || f->max > CALENDAR_MAX_AMOUNT)
			return fail_at(l, v[K_FIELD], fpath,
			               "int field '%s' must have min >= 0 and max <= %d to extend a due",
			               f->name, CALENDAR_MAX_AMOUNT);
	} else {
		int64_t amount;
		if ((rc = want_int(l, v[K_AMOUNT], join(l, path, "amount"), 1, CALENDAR_MAX_AMOUNT,
		                   &amount)))
			return rc;
		t->due_add_amount = (int)amount;
	}
	t->has_due_add = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Records, approvals, hand-over and participants                      */
/*
 * These keys extend a definition beyond states and transitions:
 *   records:       kinds of records kept on a case (typed fields, who adds
 *                  them, in which states);
 *   participants:  units that join a case, each with its own stage track,
 *                  and whether only they (and the owner) see it;
 *   transition requires / approval / handover, state handover_end.
 * Each is parsed where its section is read; references to another
 * definition (a hand-over's type and category) are checked once the whole
 * registry is loaded (wf_registry_check_refs).
 */

/* A non-empty list of distinct known roles; staff_only refuses public and system. */
static int parse_roles(loader_t *l, yaml_node_t *n, const char *path, bool staff_only,
                       const char ***out, size_t *nout)
{
	yaml_node_t **items;
	size_t count;
	int rc = name_list(l, n, path, ARRAY_SIZE(known_roles), &items, &count);
	if (rc)
		return rc;
	if (count == 0)
		return fail_at(l, n, path, "is empty: list at least one role");
	const char **roles = arena_alloc(l->def->arena, count * sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		const char *s;
		if ((rc = want_scalar(l, items[i], path, &s)))
			return rc;
		if (!in_list(known_roles, ARRAY_SIZE(known_roles), s))
			return fail_at(l, items[i], path,
			               "unknown role '%.64s' (expected public, system, intake, handler, "
			               "mediator, grid_worker, supervisor, leader, admin or auditor)", s);
		if (staff_only && (streq(s, "public") || streq(s, "system")))
			return fail_at(l, items[i], path, "role '%s' is not a staff role here", s);
		for (size_t j = 0; j < i; j++)
			if (streq(roles[j], s))
				return fail_at(l, items[i], path, "role '%s' is listed twice", s);
		roles[i] = arena_strdup(l->def->arena, s);
	}
	*out = roles;
	*nout = count;
	return 0;
}

static int parse_requires(loader_t *l, yaml_node_t *n, const char *path, wf_transition_t *t)
{
	yaml_node_t **items;
	size_t count;
	int rc = name_list(l, n, path, WF_MAX_RECORD_KINDS, &items, &count);
	if (rc)
		return rc;
	if (count == 0)
		return fail_at(l, n, path, "is empty: list the record kinds that must exist");
	t->requires = arena_alloc(l->def->arena, count * sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		const char *s;
		if ((rc = want_name(l, items[i], path, &s)))
			return rc;
		if (!wf_find_record_kind(l->def, s))
			return fail_at(l, items[i], path, "record kind '%s' is not defined under records",
			               s);
		for (size_t j = 0; j < i; j++)
			if (streq(t->requires[j], s))
				return fail_at(l, items[i], path, "record kind '%s' is listed twice", s);
		t->requires[i] = s;
		t->nrequires = i + 1;
	}
	return 0;
}

static int parse_approval(loader_t *l, yaml_node_t *n, const char *path, wf_transition_t *t)
{
	static const char *const keys[] = { "roles" };
	yaml_node_t *k[1], *v[1];
	int rc = read_map(l, n, path, keys, 1, k, v);
	if (rc)
		return rc;
	if (!v[0])
		return missing(l, n, path, "roles");
	if (wf_transition_allows_role(t, "public") || wf_transition_allows_role(t, "system"))
		return fail_at(l, n, path,
		               "a step the public or the timer takes cannot wait for an approval");
	return parse_roles(l, v[0], join(l, path, "roles"), true, &t->approval_roles,
	                   &t->napproval_roles);
}

static int parse_handover(loader_t *l, yaml_node_t *n, const char *path, wf_transition_t *t)
{
	enum { K_TYPE, K_CATEGORY, K_OWNER, K_N };
	static const char *const keys[K_N] = { "type", "category", "owner" };
	yaml_node_t *k[K_N], *v[K_N];
	int rc = read_map(l, n, path, keys, K_N, k, v);
	if (rc)
		return rc;
	if (!v[K_TYPE])
		return missing(l, n, path, "type");
	if (!v[K_CATEGORY])
		return missing(l, n, path, "category");
	if ((rc = want_name(l, v[K_TYPE], join(l, path, "type"), &t->handover_type)))
		return rc;
	const char *cpath = join(l, path, "category"), *c;
	if ((rc = want_string(l, v[K_CATEGORY], cpath, &c)))
		return rc;
	if (!strncmp(c, "field:", 6)) {
		const wf_field_t *f = find_field(t, c + 6);
		if (!f || (f->type != WF_FIELD_ENUM && f->type != WF_FIELD_TEXT) || !f->required)
			return fail_at(l, v[K_CATEGORY], cpath,
			               "'%.64s' is not a required enum or text field of this transition",
			               c + 6);
	} else if (!valid_name(c)) {
		return fail_at(l, v[K_CATEGORY], cpath,
		               "expected a category code of type '%s' or field:NAME, found '%.64s'",
		               t->handover_type, c);
	}
	t->handover_category = c;
	t->handover_owner = "keep";
	if (v[K_OWNER]) {
		/* the same forms as a transition's owner, except intake and superior */
		const char *opath = join(l, path, "owner"), *o;
		if ((rc = want_string(l, v[K_OWNER], opath, &o)))
			return rc;
		if (streq(o, "intake") || streq(o, "superior"))
			return fail_at(l, v[K_OWNER], opath,
			               "expected keep, field:NAME or kind:KIND for the new case's owner");
		wf_transition_t probe = *t;
		if ((rc = parse_owner(l, v[K_OWNER], opath, &probe)))
			return rc;
		t->handover_owner = probe.owner;
	}
	return 0;
}

/* States with handover_end wait for the case a hand-over opened: they are
 * the `to` of a hand-over transition, and the system leaves them. */
static int check_handover_ends(loader_t *l)
{
	wf_def_t *def = l->def;
	for (size_t i = 0; i < def->nstates; i++) {
		const wf_state_t *s = &def->states[i];
		if (!s->handover_end)
			continue;
		yaml_node_t *n = l->state_hend[i];
		const char *path = arena_printf(l->tmp, "states.%s.handover_end", s->name);
		const wf_transition_t *t = wf_find_transition(def, s->handover_end);
		if (!t)
			return fail_at(l, n, path, "unknown transition '%s'", s->handover_end);
		if (!wf_transition_leaves(t, s->name) || !wf_transition_allows_role(t, "system"))
			return fail_at(l, n, path,
			               "transition '%s' must leave state '%s' and allow the role 'system'",
			               t->name, s->name);
		bool fed = false;
		for (size_t j = 0; j < def->ntransitions && !fed; j++)
			fed = def->transitions[j].handover_type && streq(def->transitions[j].to, s->name);
		if (!fed)
			return fail_at(l, n, path,
			               "no hand-over transition leads to state '%s', so it would wait "
			               "for nothing", s->name);
	}
	return 0;
}

/*
 * alert: { when: { FIELD: VALUE, ... }, to: { kind: KIND, roles: [...] } }
 * VALUE: an enum field's code or list of codes, or a bool field's true or
 * false.  Any one condition met raises the alert.
 */
static int parse_alert(loader_t *l, yaml_node_t *n, const char *path, wf_record_kind_t *rk)
{
	enum { A_WHEN, A_TO, A_N };
	static const char *const keys[A_N] = { "when", "to" };
	yaml_node_t *k[A_N], *v[A_N];
	wf_def_t *def = l->def;
	int rc = read_map(l, n, path, keys, A_N, k, v);
	if (rc)
		return rc;
	if (!v[A_WHEN])
		return missing(l, n, path, "when");
	if (!v[A_TO])
		return missing(l, n, path, "to");
	const char *wpath = join(l, path, "when");
	if ((rc = check_named_map(l, v[A_WHEN], wpath, WF_MAX_FIELDS, "conditions", false)))
		return rc;
	size_t nc = map_size(v[A_WHEN]);
	rk->alert_when = arena_zalloc(def->arena, nc * sizeof(wf_alert_cond_t));
	for (size_t i = 0; i < nc; i++) {
		yaml_node_t *key, *val;
		const char *name;
		if ((rc = pair_name(l, v[A_WHEN], i, wpath, &key, &val, &name)))
			return rc;
		const char *cpath = join(l, wpath, name);
		wf_alert_cond_t *c = &rk->alert_when[i];
		for (size_t f = 0; f < rk->nfields; f++)
			if (streq(rk->fields[f].name, name))
				c->field = &rk->fields[f];
		if (!c->field)
			return fail_at(l, key, cpath, "'%s' is not a field of this record kind", name);
		if (c->field->type == WF_FIELD_BOOL) {
			if ((rc = want_bool(l, val, cpath, &c->boolean)))
				return rc;
		} else if (c->field->type == WF_FIELD_ENUM) {
			yaml_node_t **items;
			size_t ni;
			if ((rc = name_list(l, val, cpath, WF_MAX_ENUM_VALUES, &items, &ni)))
				return rc;
			if (ni == 0)
				return fail_at(l, val, cpath, "is empty: name at least one value");
			c->codes = arena_alloc(def->arena, ni * sizeof(char *));
			for (size_t j = 0; j < ni; j++) {
				const char *code;
				if ((rc = want_code(l, items[j], cpath, &code)))
					return rc;
				bool known = false;
				for (size_t m = 0; m < c->field->nvalues; m++)
					known = known || streq(c->field->values[m].code, code);
				if (!known)
					return fail_at(l, items[j], cpath, "'%s' is not a value of field '%s'",
					               code, name);
				c->codes[j] = code;
			}
			c->ncodes = ni;
		} else {
			return fail_at(l, key, cpath,
			               "an alert condition needs an enum or bool field; '%s' is neither",
			               name);
		}
		rk->nalert_when = i + 1;
	}
	const char *tpath = join(l, path, "to");
	static const char *const tkeys[] = { "kind", "roles" };
	yaml_node_t *tk[2], *tv[2];
	if ((rc = read_map(l, v[A_TO], tpath, tkeys, 2, tk, tv)))
		return rc;
	if (!tv[0])
		return missing(l, v[A_TO], tpath, "kind");
	if (!tv[1])
		return missing(l, v[A_TO], tpath, "roles");
	if ((rc = want_name(l, tv[0], join(l, tpath, "kind"), &rk->alert_kind)))
		return rc;
	if (!in_list(org_kinds, ARRAY_SIZE(org_kinds), rk->alert_kind))
		return fail_at(l, tv[0], join(l, tpath, "kind"), "unknown unit kind '%s'",
		               rk->alert_kind);
	return parse_roles(l, tv[1], join(l, tpath, "roles"), true, &rk->alert_roles,
	                   &rk->nalert_roles);
}

static int parse_records(loader_t *l, yaml_node_t *n)
{
	const char *path = "records";
	int rc = check_named_map(l, n, path, WF_MAX_RECORD_KINDS, "record kinds", true);
	if (rc)
		return rc;
	wf_def_t *def = l->def;
	size_t count = map_size(n);
	def->records = arena_zalloc(def->arena, (count ? count : 1) * sizeof(wf_record_kind_t));
	for (size_t i = 0; i < count; i++) {
		enum { K_LABEL, K_ROLES, K_STATES, K_FIELDS, K_LIST, K_ALERT, K_N };
		static const char *const keys[K_N] = { "label", "roles", "states", "fields", "list",
			                                   "alert" };
		yaml_node_t *key, *val, *k[K_N], *v[K_N];
		wf_record_kind_t *rk = &def->records[i];
		if ((rc = pair_name(l, n, i, path, &key, &val, &rk->name)))
			return rc;
		const char *rpath = join(l, path, rk->name);
		if ((rc = read_map(l, val, rpath, keys, K_N, k, v)))
			return rc;
		if ((rc = parse_opt_label(l, v[K_LABEL], join(l, rpath, "label"), rk->name,
		                          &rk->label)))
			return rc;
		if (!v[K_ROLES])
			return fail_at(l, key, join(l, rpath, "roles"),
			               "is required: a record kind no role may add is never used");
		if ((rc = parse_roles(l, v[K_ROLES], join(l, rpath, "roles"), true, &rk->roles,
		                      &rk->nroles)))
			return rc;
		if (!v[K_FIELDS])
			return missing(l, val, rpath, "fields");
		if ((rc = parse_field_map(l, v[K_FIELDS], join(l, rpath, "fields"), &rk->fields,
		                          &rk->nfields)))
			return rc;
		if (rk->nfields == 0)
			return fail_at(l, v[K_FIELDS], join(l, rpath, "fields"),
			               "a record needs at least one field");
		if (v[K_STATES]) {
			const char *spath = join(l, rpath, "states");
			yaml_node_t **items;
			size_t ns;
			if ((rc = name_list(l, v[K_STATES], spath, WF_MAX_STATES, &items, &ns)))
				return rc;
			if (ns == 0)
				return fail_at(l, v[K_STATES], spath,
				               "is empty: leave it out to allow every open state");
			rk->states = arena_alloc(def->arena, ns * sizeof(char *));
			for (size_t j = 0; j < ns; j++) {
				const char *s;
				if ((rc = want_state(l, items[j], spath, &s)))
					return rc;
				if (def->states[state_index(def, s)].terminal)
					return fail_at(l, items[j], spath,
					               "state '%s' is terminal: nothing is added to a finished "
					               "case", s);
				for (size_t m = 0; m < j; m++)
					if (streq(rk->states[m], s))
						return fail_at(l, items[j], spath, "state '%s' is listed twice", s);
				rk->states[j] = s;
				rk->nstates = j + 1;
			}
		}
		if (v[K_LIST] && (rc = parse_roles(l, v[K_LIST], join(l, rpath, "list"), true,
		                                   &rk->list_roles, &rk->nlist_roles)))
			return rc;
		if (v[K_ALERT] && (rc = parse_alert(l, v[K_ALERT], join(l, rpath, "alert"), rk)))
			return rc;
		def->nrecords = i + 1;
	}
	return 0;
}

static int parse_tracks(loader_t *l, yaml_node_t *n, const char *path)
{
	int rc = check_named_map(l, n, path, ARRAY_SIZE(org_kinds), "tracks", false);
	if (rc)
		return rc;
	wf_def_t *def = l->def;
	size_t count = map_size(n);
	def->tracks = arena_zalloc(def->arena, count * sizeof(wf_track_t));
	for (size_t i = 0; i < count; i++) {
		static const char *const keys[] = { "label", "stages" };
		yaml_node_t *key, *val, *k[2], *v[2];
		wf_track_t *tr = &def->tracks[i];
		if ((rc = pair_name(l, n, i, path, &key, &val, &tr->kind)))
			return rc;
		const char *tpath = join(l, path, tr->kind);
		if (!in_list(org_kinds, ARRAY_SIZE(org_kinds), tr->kind))
			return fail_at(l, key, tpath,
			               "unknown unit kind '%.64s' (expected petition_office, "
			               "political_legal_committee, police, procuratorate, court, "
			               "justice_bureau, discipline_commission, mediation_committee, "
			               "department or government)", tr->kind);
		if ((rc = read_map(l, val, tpath, keys, 2, k, v)))
			return rc;
		if ((rc = parse_opt_label(l, v[0], join(l, tpath, "label"), tr->kind, &tr->label)))
			return rc;
		if (!v[1])
			return missing(l, val, tpath, "stages");
		/* stages: a list of {code, label, due} in order, like an enum's values */
		wf_field_t probe = { .name = "stages", .type = WF_FIELD_ENUM };
		if ((rc = parse_enum_values(l, v[1], join(l, tpath, "stages"), &probe, &tr->stage_dues)))
			return rc;
		tr->stages = probe.values;
		tr->nstages = probe.nvalues;
		def->ntracks = i + 1;
	}
	return 0;
}

static int parse_participants(loader_t *l, yaml_node_t *n)
{
	enum { K_ROLES, K_VISIBILITY, K_TRACKS, K_N };
	static const char *const keys[K_N] = { "roles", "visibility", "tracks" };
	const char *path = "participants";
	yaml_node_t *k[K_N], *v[K_N];
	int rc = read_map(l, n, path, keys, K_N, k, v);
	if (rc)
		return rc;
	wf_def_t *def = l->def;
	if (!v[K_ROLES])
		return missing(l, n, path, "roles");
	if (!v[K_TRACKS])
		return missing(l, n, path, "tracks");
	if ((rc = parse_roles(l, v[K_ROLES], "participants.roles", true, &def->participant_roles,
	                      &def->nparticipant_roles)))
		return rc;
	if (v[K_VISIBILITY]) {
		const char *s;
		if ((rc = want_scalar(l, v[K_VISIBILITY], "participants.visibility", &s)))
			return rc;
		if (streq(s, "participants"))
			def->participants_only = true;
		else if (!streq(s, "units"))
			return fail_at(l, v[K_VISIBILITY], "participants.visibility",
			               "expected participants or units, found '%.64s'", s);
	}
	return parse_tracks(l, v[K_TRACKS], "participants.tracks");
}

static int parse_transition(loader_t *l, size_t idx, yaml_node_t *key, yaml_node_t *val,
                            const char *tpath, wf_transition_t *t)
{
	enum {
		K_LABEL, K_FROM, K_TO, K_ROLES, K_FIELDS, K_NOTICE, K_PUBLIC, K_ONCE, K_WINDOW,
		K_DUE_ADD, K_OWNER, K_ACTION, K_REQUIRES, K_APPROVAL, K_HANDOVER, K_N
	};
	static const char *const keys[K_N] = {
		"label", "from", "to", "roles", "fields", "notice", "public", "once", "window",
		"due_add", "owner", "public_action", "requires", "approval", "handover",
	};
	yaml_node_t *k[K_N], *v[K_N];
	wf_def_t *def = l->def;
	int rc = read_map(l, val, tpath, keys, K_N, k, v);
	if (rc)
		return rc;
	if ((rc = parse_opt_label(l, v[K_LABEL], join(l, tpath, "label"), t->name, &t->label)))
		return rc;

	/* from: known, distinct, non-terminal states */
	const char *fpath = join(l, tpath, "from");
	if (!v[K_FROM])
		return missing(l, val, tpath, "from");
	yaml_node_t **items;
	size_t count;
	if ((rc = name_list(l, v[K_FROM], fpath, WF_MAX_STATES, &items, &count)))
		return rc;
	if (count == 0)
		return fail_at(l, v[K_FROM], fpath, "is empty: list the states it may be taken from");
	t->from = arena_alloc(def->arena, count * sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		const char *s;
		if ((rc = want_state(l, items[i], fpath, &s)))
			return rc;
		for (size_t j = 0; j < i; j++)
			if (streq(t->from[j], s))
				return fail_at(l, items[i], fpath, "state '%s' is listed twice", s);
		if (def->states[state_index(def, s)].terminal)
			return fail_at(l, items[i], fpath,
			               "state '%s' is terminal: no transition may leave it", s);
		t->from[i] = s;
		t->nfrom = i + 1;
	}

	if (!v[K_TO])
		return missing(l, val, tpath, "to");
	if ((rc = want_state(l, v[K_TO], join(l, tpath, "to"), &t->to)))
		return rc;

	/* roles: known and distinct; at least one */
	const char *rpath = join(l, tpath, "roles");
	if (!v[K_ROLES])
		return fail_at(l, key, rpath, "is required: a transition with no roles can never be taken");
	if ((rc = name_list(l, v[K_ROLES], rpath, ARRAY_SIZE(known_roles), &items, &count)))
		return rc;
	if (count == 0)
		return fail_at(l, v[K_ROLES], rpath,
		               "is empty: a transition with no roles can never be taken");
	t->roles = arena_alloc(def->arena, count * sizeof(char *));
	for (size_t i = 0; i < count; i++) {
		const char *s;
		if ((rc = want_scalar(l, items[i], rpath, &s)))
			return rc;
		if (!in_list(known_roles, ARRAY_SIZE(known_roles), s))
			return fail_at(l, items[i], rpath,
			               "unknown role '%.64s' (expected public, system, intake, handler, "
			               "mediator, grid_worker, supervisor, leader, admin or auditor)", s);
		for (size_t j = 0; j < i; j++)
			if (streq(t->roles[j], s))
				return fail_at(l, items[i], rpath, "role '%s' is listed twice", s);
		t->roles[i] = arena_strdup(def->arena, s);
		t->nroles = i + 1;
	}

	if (v[K_FIELDS] && (rc = parse_fields(l, v[K_FIELDS], join(l, tpath, "fields"), t)))
		return rc;
	if (!t->fields)
		t->fields = arena_zalloc(def->arena, sizeof(wf_field_t));

	if (v[K_NOTICE]) {
		const char *npath = join(l, tpath, "notice");
		if ((rc = want_name(l, v[K_NOTICE], npath, &t->notice)))
			return rc;
		if (!wf_find_notice(def, t->notice))
			return fail_at(l, v[K_NOTICE], npath,
			               "notice '%s' is not defined under notices", t->notice);
	}
	if (v[K_PUBLIC] && (rc = want_bool(l, v[K_PUBLIC], join(l, tpath, "public"), &t->public)))
		return rc;
	if (v[K_ONCE] && (rc = want_bool(l, v[K_ONCE], join(l, tpath, "once"), &t->once)))
		return rc;
	if (v[K_WINDOW]) {
		if ((rc = parse_due(l, v[K_WINDOW], join(l, tpath, "window"), &t->window)))
			return rc;
		t->has_window = true;
	}
	if (v[K_DUE_ADD]) {
		const char *dpath = join(l, tpath, "due_add");
		if ((rc = parse_due_add(l, v[K_DUE_ADD], dpath, t)))
			return rc;
		if (!def->states[state_index(def, t->to)].has_due)
			return fail_at(l, k[K_DUE_ADD], dpath,
			               "state '%s' (the transition's to) has no due to extend", t->to);
	}
	t->owner = "keep";
	if (v[K_OWNER] && (rc = parse_owner(l, v[K_OWNER], join(l, tpath, "owner"), t)))
		return rc;
	if (v[K_ACTION]) {
		const char *apath = join(l, tpath, "public_action");
		if ((rc = want_name(l, v[K_ACTION], apath, &t->public_action)))
			return rc;
		if (!wf_transition_allows_role(t, "public"))
			return fail_at(l, v[K_ACTION], apath,
			               "a public action must allow the role 'public'");
		l->trans_action[idx] = v[K_ACTION];
	}
	if (v[K_REQUIRES] &&
	    (rc = parse_requires(l, v[K_REQUIRES], join(l, tpath, "requires"), t)))
		return rc;
	if (v[K_APPROVAL] &&
	    (rc = parse_approval(l, v[K_APPROVAL], join(l, tpath, "approval"), t)))
		return rc;
	if (v[K_HANDOVER]) {
		if ((rc = parse_handover(l, v[K_HANDOVER], join(l, tpath, "handover"), t)))
			return rc;
		l->trans_handover[idx] = v[K_HANDOVER];
	}
	return 0;
}

static int parse_transitions(loader_t *l, yaml_node_t *n)
{
	const char *path = "transitions";
	int rc = check_named_map(l, n, path, WF_MAX_TRANSITIONS, "transitions", false);
	if (rc)
		return rc;
	wf_def_t *def = l->def;
	size_t count = map_size(n);
	def->transitions = arena_zalloc(def->arena, count * sizeof(wf_transition_t));
	l->trans_action = arena_zalloc(l->tmp, count * sizeof(yaml_node_t *));
	l->trans_handover = arena_zalloc(l->tmp, count * sizeof(yaml_node_t *));
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *key, *val;
		wf_transition_t *t = &def->transitions[i];
		if ((rc = pair_name(l, n, i, path, &key, &val, &t->name)))
			return rc;
		if ((rc = parse_transition(l, i, key, val, join(l, path, t->name), t)))
			return rc;
		def->ntransitions = i + 1;
	}
	return 0;
}

static int check_timeouts(loader_t *l)
{
	wf_def_t *def = l->def;
	for (size_t i = 0; i < def->nstates; i++) {
		wf_state_t *s = &def->states[i];
		if (!s->timeout)
			continue;
		yaml_node_t *n = l->state_timeout[i];
		const char *path = arena_printf(l->tmp, "states.%s.timeout", s->name);
		const wf_transition_t *t = wf_find_transition(def, s->timeout);
		if (!t)
			return fail_at(l, n, path, "unknown transition '%s'", s->timeout);
		if (!wf_transition_leaves(t, s->name) || streq(t->to, s->name))
			return fail_at(l, n, path,
			               "transition '%s' does not leave state '%s' (its from must include "
			               "'%s' and its to must be another state)", t->name, s->name, s->name);
		if (!wf_transition_allows_role(t, "system"))
			return fail_at(l, n, path,
			               "transition '%s' lacks the role 'system', so the timer cannot take it",
			               t->name);
	}
	return 0;
}

/* Reachability, dead ends and the way to a terminal state. */
static int check_graph(loader_t *l)
{
	wf_def_t *def = l->def;
	size_t ns = def->nstates;
	bool reach[WF_MAX_STATES] = { false }, ends[WF_MAX_STATES] = { false };
	int init = state_index(def, def->initial);

	reach[init] = true;
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < def->ntransitions; i++) {
			const wf_transition_t *t = &def->transitions[i];
			int to = state_index(def, t->to);
			if (reach[to])
				continue;
			for (size_t j = 0; j < t->nfrom; j++)
				if (reach[state_index(def, t->from[j])]) {
					reach[to] = changed = true;
					break;
				}
		}
	}
	for (size_t i = 0; i < ns; i++)
		if (!reach[i])
			return fail_at(l, l->state_key[i], arena_printf(l->tmp, "states.%s", def->states[i].name),
			               "state '%s' is unreachable: no transition leads to it from the "
			               "initial state '%s'", def->states[i].name, def->initial);

	for (size_t i = 0; i < ns; i++) {
		const wf_state_t *s = &def->states[i];
		if (s->terminal)
			continue;
		bool out = false;
		for (size_t j = 0; j < def->ntransitions && !out; j++)
			out = wf_transition_leaves(&def->transitions[j], s->name) &&
			      !streq(def->transitions[j].to, s->name);
		if (!out)
			return fail_at(l, l->state_key[i], arena_printf(l->tmp, "states.%s", s->name),
			               "non-terminal state '%s' has no way out: add a transition from "
			               "it or mark it terminal: true", s->name);
	}

	for (size_t i = 0; i < ns; i++)
		ends[i] = def->states[i].terminal;
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < def->ntransitions; i++) {
			const wf_transition_t *t = &def->transitions[i];
			if (!ends[state_index(def, t->to)])
				continue;
			for (size_t j = 0; j < t->nfrom; j++) {
				int f = state_index(def, t->from[j]);
				if (!ends[f])
					ends[f] = changed = true;
			}
		}
	}
	for (size_t i = 0; i < ns; i++)
		if (!ends[i])
			return fail_at(l, l->state_key[i],
			               arena_printf(l->tmp, "states.%s", def->states[i].name),
			               "state '%s' can never reach a terminal state, so its cases could "
			               "never end", def->states[i].name);
	return 0;
}

/* Every placeholder is built in or a field of each transition sending the notice. */
static int check_notice_placeholders(loader_t *l)
{
	wf_def_t *def = l->def;
	for (size_t i = 0; i < def->nnotices; i++) {
		const wf_notice_t *no = &def->notices[i];
		for (int slot = 0; slot < NT_NTPL; slot++) {
			yaml_node_t *n = l->notice_tpl[i][slot];
			if (!n)
				continue;
			const char *path = arena_printf(l->tmp, "notices.%s.%s", no->name,
			                                notice_tpl_paths[slot]);
			const char *s = (const char *)n->data.scalar.value;
			size_t pos = 0;
			for (tpl_tok_t tok; (tok = tpl_next(s, &pos)).kind != TPL_END;) {
				if (tok.kind != TPL_VAR)
					continue;
				char name[WF_MAX_NAME + 1];
				snprintf(name, sizeof(name), "%.*s", (int)tok.n, tok.s);
				if (in_list(builtin_placeholders, ARRAY_SIZE(builtin_placeholders), name))
					continue;
				bool used = false;
				int rc = charge(l, n, path, def->ntransitions + 1);
				if (rc)
					return rc;
				for (size_t j = 0; j < def->ntransitions; j++) {
					const wf_transition_t *t = &def->transitions[j];
					if (!streq(t->notice, no->name))
						continue;
					used = true;
					if (!find_field(t, name))
						return fail_at(l, n, path,
						               "placeholder {%s} is neither built in ({number}, "
						               "{date}, {title}, {unit}, {due}) nor a field of "
						               "transition '%s'", name, t->name);
				}
				if (!used)
					return fail_at(l, n, path,
					               "placeholder {%s} is not built in and no transition "
					               "sends notice '%s' to fill it", name, no->name);
			}
		}
	}
	return 0;
}

static bool share_state(const wf_transition_t *a, const wf_transition_t *b, const char **which)
{
	for (size_t i = 0; i < a->nfrom; i++)
		if (wf_transition_leaves(b, a->from[i])) {
			*which = a->from[i];
			return true;
		}
	return false;
}

static int check_public_actions(loader_t *l)
{
	wf_def_t *def = l->def;
	for (size_t i = 0; i < def->ntransitions; i++) {
		const wf_transition_t *b = &def->transitions[i];
		if (!b->public_action)
			continue;
		for (size_t j = 0; j < i; j++) {
			const wf_transition_t *a = &def->transitions[j];
			const char *state;
			if (streq(a->public_action, b->public_action) && share_state(a, b, &state))
				return fail_at(l, l->trans_action[i],
				               arena_printf(l->tmp, "transitions.%s.public_action", b->name),
				               "public action '%s' is ambiguous in state '%s': both '%s' and "
				               "'%s' perform it", b->public_action, state, a->name, b->name);
		}
	}
	return 0;
}

/* A list of state names (or of transition names), each of which must exist. */
static int ref_list(loader_t *l, yaml_node_t *n, const char *path, bool transitions,
                    const char ***out, size_t *count)
{
	yaml_node_t **items;
	int rc = name_list(l, n, path, transitions ? WF_MAX_TRANSITIONS : WF_MAX_STATES, &items,
	                   count);
	if (rc)
		return rc;
	*out = arena_zalloc(l->def->arena, (*count + 1) * sizeof(char *));
	for (size_t i = 0; i < *count; i++) {
		const char *ipath = arena_printf(l->tmp, "%s[%zu]", path, i);
		if (transitions) {
			if ((rc = want_name(l, items[i], ipath, &(*out)[i])))
				return rc;
			if (!wf_find_transition(l->def, (*out)[i]))
				return fail_at(l, items[i], ipath, "unknown transition '%s'", (*out)[i]);
		} else if ((rc = want_state(l, items[i], ipath, &(*out)[i]))) {
			return rc;
		}
	}
	return 0;
}

int wf_find_count(const wf_def_t *def, const char *name)
{
	for (size_t i = 0; name && i < def->indicators.ncounts; i++)
		if (streq(def->indicators.counts[i].name, name))
			return (int)i;
	return -1;
}

static int parse_indicators(loader_t *l, yaml_node_t *n)
{
	enum { I_ACCEPTANCE, I_HANDLING, I_COUNTS, I_RATES, I_N };
	static const char *const keys[I_N] = { "acceptance", "handling", "counts", "rates" };
	yaml_node_t *k[I_N], *v[I_N];
	wf_indicators_t *ind = &l->def->indicators;
	int rc = read_map(l, n, "indicators", keys, I_N, k, v);
	if (rc)
		return rc;
	if (v[I_ACCEPTANCE] && (rc = ref_list(l, v[I_ACCEPTANCE], "indicators.acceptance", false,
	                                      &ind->acceptance, &ind->nacceptance)))
		return rc;
	if (v[I_HANDLING] && (rc = ref_list(l, v[I_HANDLING], "indicators.handling", false,
	                                    &ind->handling, &ind->nhandling)))
		return rc;
	if (v[I_COUNTS]) {
		const char *path = "indicators.counts";
		if ((rc = check_named_map(l, v[I_COUNTS], path, WF_MAX_COUNTS, "counts", true)))
			return rc;
		size_t count = map_size(v[I_COUNTS]);
		ind->counts = arena_zalloc(l->def->arena, (count + 1) * sizeof(wf_count_t));
		for (size_t i = 0; i < count; i++) {
			enum { C_LABEL, C_STATES, C_TRANSITIONS, C_N };
			static const char *const ckeys[C_N] = { "label", "states", "transitions" };
			yaml_node_t *key, *val, *ck[C_N], *cv[C_N];
			wf_count_t *c = &ind->counts[i];
			if ((rc = pair_name(l, v[I_COUNTS], i, path, &key, &val, &c->name)))
				return rc;
			const char *cpath = join(l, path, c->name);
			if (streq(c->name, "cases"))
				return fail_at(l, key, cpath, "'cases' is the name of every case; pick another");
			if ((rc = read_map(l, val, cpath, ckeys, C_N, ck, cv)) ||
			    (rc = parse_opt_label(l, cv[C_LABEL], join(l, cpath, "label"), c->name,
			                          &c->label)))
				return rc;
			if (!cv[C_STATES] && !cv[C_TRANSITIONS])
				return fail_at(l, val, cpath, "needs states, transitions or both");
			if (cv[C_STATES] && (rc = ref_list(l, cv[C_STATES], join(l, cpath, "states"), false,
			                                   &c->states, &c->nstates)))
				return rc;
			if (cv[C_TRANSITIONS] &&
			    (rc = ref_list(l, cv[C_TRANSITIONS], join(l, cpath, "transitions"), true,
			                   &c->transitions, &c->ntransitions)))
				return rc;
			ind->ncounts = i + 1;
		}
	}
	if (v[I_RATES]) {
		const char *path = "indicators.rates";
		if ((rc = check_named_map(l, v[I_RATES], path, WF_MAX_RATES, "rates", true)))
			return rc;
		size_t count = map_size(v[I_RATES]);
		ind->rates = arena_zalloc(l->def->arena, (count + 1) * sizeof(wf_rate_t));
		for (size_t i = 0; i < count; i++) {
			enum { R_LABEL, R_NUM, R_DEN, R_EXCLUDE, R_WITHOUT, R_N };
			static const char *const rkeys[R_N] = { "label", "numerator", "denominator",
				                                    "exclude", "without" };
			yaml_node_t *key, *val, *rk[R_N], *rv[R_N];
			wf_rate_t *r = &ind->rates[i];
			if ((rc = pair_name(l, v[I_RATES], i, path, &key, &val, &r->name)))
				return rc;
			const char *rpath = join(l, path, r->name);
			if ((rc = read_map(l, val, rpath, rkeys, R_N, rk, rv)) ||
			    (rc = parse_opt_label(l, rv[R_LABEL], join(l, rpath, "label"), r->name,
			                          &r->label)))
				return rc;
			if (!rv[R_NUM] && !rv[R_WITHOUT])
				return missing(l, val, rpath, "numerator");
			if (!rv[R_DEN])
				return missing(l, val, rpath, "denominator");
			struct { yaml_node_t *n; const char *key; const char **out; bool cases; } refs[] = {
				{ rv[R_NUM], "numerator", &r->numerator, false },
				{ rv[R_DEN], "denominator", &r->denominator, true },
				{ rv[R_EXCLUDE], "exclude", &r->exclude, false },
				{ rv[R_WITHOUT], "without", &r->without, false },
			};
			for (size_t j = 0; j < ARRAY_SIZE(refs); j++) {
				if (!refs[j].n)
					continue;
				const char *rp = join(l, rpath, refs[j].key);
				if ((rc = want_name(l, refs[j].n, rp, refs[j].out)))
					return rc;
				if (!(refs[j].cases && streq(*refs[j].out, "cases")) &&
				    wf_find_count(l->def, *refs[j].out) < 0)
					return fail_at(l, refs[j].n, rp, "unknown count '%s'%s", *refs[j].out,
					               refs[j].cases ? " (expected a count or cases)" : "");
			}
			ind->nrates = i + 1;
		}
	}
	return 0;
}

static int parse_definition(loader_t *l)
{
	enum { D_TYPE, D_LABEL, D_PREFIX, D_INITIAL, D_CATEGORIES, D_STATES, D_TRANSITIONS,
	       D_NOTICES, D_REGISTER, D_CONTACT, D_LOCATION, D_RECORDS, D_PARTICIPANTS, D_INDICATORS, D_N };
	static const char *const keys[D_N] = {
		"type", "label", "number_prefix", "initial", "categories", "states", "transitions",
		"notices", "register", "contact", "location", "records", "participants", "indicators",
	};
	static const bool optional[D_N] = { [D_CATEGORIES] = true, [D_NOTICES] = true,
		                                [D_REGISTER] = true, [D_CONTACT] = true,
		                                [D_LOCATION] = true, [D_RECORDS] = true,
		                                [D_PARTICIPANTS] = true, [D_INDICATORS] = true };
	yaml_node_t *k[D_N], *v[D_N], *root = l->root;
	wf_def_t *def = l->def;
	int rc = read_map(l, root, "", keys, D_N, k, v);
	if (rc)
		return rc;
	for (int i = 0; i < D_N; i++)
		if (!v[i] && !optional[i])
			return missing(l, root, "", keys[i]);

	if ((rc = want_name(l, v[D_TYPE], "type", &def->type)) ||
	    (rc = parse_label(l, v[D_LABEL], "label", &def->label)))
		return rc;
	const char *prefix;
	if ((rc = want_string(l, v[D_PREFIX], "number_prefix", &prefix)))
		return rc;
	bool ok = strlen(prefix) <= 8 && prefix[0] >= 'A' && prefix[0] <= 'Z';
	for (const char *p = prefix; ok && *p; p++)
		ok = (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
	if (!ok)
		return fail_at(l, v[D_PREFIX], "number_prefix",
		               "'%.64s' is not a valid prefix (1-8 upper-case letters or digits, "
		               "starting with a letter)", prefix);
	def->number_prefix = prefix;

	def->categories = arena_zalloc(def->arena, sizeof(wf_category_t));
	if (v[D_CATEGORIES] && (rc = parse_categories(l, v[D_CATEGORIES])))
		return rc;
	if ((rc = parse_states(l, v[D_STATES])) || (rc = check_category_dues(l)))
		return rc;
	if ((rc = want_state(l, v[D_INITIAL], "initial", &def->initial)))
		return rc;
	static const char *const default_register[] = { "intake" };
	def->register_roles = (const char **)default_register;
	def->nregister_roles = 1;
	if (v[D_REGISTER] && (rc = parse_register(l, v[D_REGISTER])))
		return rc;
	def->contact_role = "petitioner";
	if (v[D_CONTACT] && (rc = parse_contact(l, v[D_CONTACT])))
		return rc;
	if (v[D_LOCATION] && (rc = parse_location(l, v[D_LOCATION])))
		return rc;
	def->notices = arena_zalloc(def->arena, sizeof(wf_notice_t));
	if (v[D_NOTICES] && (rc = parse_notices(l, v[D_NOTICES])))
		return rc;
	def->records = arena_zalloc(def->arena, sizeof(wf_record_kind_t));
	if (v[D_RECORDS] && (rc = parse_records(l, v[D_RECORDS])))
		return rc;
	def->tracks = arena_zalloc(def->arena, sizeof(wf_track_t));
	if (v[D_PARTICIPANTS] && (rc = parse_participants(l, v[D_PARTICIPANTS])))
		return rc;
	if ((rc = parse_transitions(l, v[D_TRANSITIONS])) || (rc = check_handover_ends(l)) ||
	    (rc = check_timeouts(l)) ||
	    (rc = check_graph(l)) || (rc = check_notice_placeholders(l)) ||
	    (rc = check_public_actions(l)))
		return rc;
	if (v[D_INDICATORS] && (rc = parse_indicators(l, v[D_INDICATORS])))
		return rc;
	return 0;
}

static int yaml_failure(const yaml_parser_t *p, const char *name, const char *buf, size_t len,
                        pa_err_t *err)
{
	size_t line, col;
	if (p->error == YAML_READER_ERROR) {
		/* the reader reports a byte offset, not a mark */
		size_t off = p->problem_offset < len ? p->problem_offset : len;
		line = 1, col = 1;
		for (size_t i = 0; i < off; i++) {
			if (buf[i] == '\n')
				line++, col = 1;
			else
				col++;
		}
	} else {
		line = p->problem_mark.line + 1;
		col = p->problem_mark.column + 1;
	}
	const char *problem = p->problem ? p->problem : "cannot be parsed";
	if (p->context)
		return pa_fail(err, PA_EINVAL, "workflow", "", "%s:%zu:%zu: not YAML: %s %s", name, line,
		               col, p->context, problem);
	return pa_fail(err, PA_EINVAL, "workflow", "", "%s:%zu:%zu: not YAML: %s", name, line, col,
	               problem);
}

/*
 * A first pass over the events, before composing the document: refuses
 * nesting deeper than WF_MAX_DEPTH while the scanner has only seen that much.
 */
static int check_depth(const char *buf, size_t len, const char *name, pa_err_t *err)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, rc = 0;
	if (!yaml_parser_initialize(&parser))
		return pa_fail(err, PA_EINTERNAL, "workflow", "", "%s: cannot start the YAML parser",
		               name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = yaml_failure(&parser, name, buf, len, err);
			break;
		}
		yaml_event_type_t type = ev.type;
		if (type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT) {
			if (++depth > WF_MAX_DEPTH) {
				rc = pa_fail(err, PA_EINVAL, "workflow", "",
				             "%s:%zu:%zu: nested more than %d levels deep", name,
				             ev.start_mark.line + 1, ev.start_mark.column + 1, WF_MAX_DEPTH);
				yaml_event_delete(&ev);
				break;
			}
		} else if (type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return rc;
}

int wf_load_buffer(const char *buf, size_t len, const char *name, wf_def_t **out, pa_err_t *err)
{
	*out = NULL;
	if (!name)
		name = "<buffer>";
	if (len > WF_MAX_FILE)
		return pa_fail(err, PA_EINVAL, "workflow", "",
		               "%s: larger than %d bytes; a definition is a short text file", name,
		               WF_MAX_FILE);

	if (!buf)
		buf = "", len = 0;
	int depth_rc = check_depth(buf, len, name, err);
	if (depth_rc)
		return depth_rc;

	yaml_parser_t parser;
	yaml_document_t doc, extra;
	if (!yaml_parser_initialize(&parser))
		return pa_fail(err, PA_EINTERNAL, "workflow", "", "%s: cannot start the YAML parser",
		               name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		int rc = yaml_failure(&parser, name, buf, len, err);
		yaml_parser_delete(&parser);
		return rc;
	}
	bool empty = yaml_document_get_root_node(&doc) == NULL;
	if (!empty) {
		if (!yaml_parser_load(&parser, &extra)) {
			int rc = yaml_failure(&parser, name, buf, len, err);
			yaml_document_delete(&doc);
			yaml_parser_delete(&parser);
			return rc;
		}
		yaml_node_t *second = yaml_document_get_root_node(&extra);
		if (second) {
			size_t line = second->start_mark.line + 1, col = second->start_mark.column + 1;
			yaml_document_delete(&extra);
			yaml_document_delete(&doc);
			yaml_parser_delete(&parser);
			return pa_fail(err, PA_EINVAL, "workflow", "",
			               "%s:%zu:%zu: a definition file holds one YAML document; found a "
			               "second one", name, line, col);
		}
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&parser);
	if (empty) {
		yaml_document_delete(&doc);
		return pa_fail(err, PA_EINVAL, "workflow", "", "%s:1:1: the file holds no definition",
		               name);
	}

	arena_t *arena = arena_new();
	wf_def_t *def = arena_zalloc(arena, sizeof(*def));
	def->arena = arena;
	def->source = arena_strdup(arena, name);
	loader_t l = {
		.src = name,
		.err = err,
		.doc = &doc,
		.def = def,
		.tmp = arena_new(),
		.root = yaml_document_get_root_node(&doc),
	};
	int rc = parse_definition(&l);
	arena_free(l.tmp);
	yaml_document_delete(&doc);
	if (rc) {
		arena_free(arena);
		return rc;
	}
	*out = def;
	return 0;
}

int wf_load_file(const char *path, wf_def_t **out, pa_err_t *err)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return pa_fail(err, PA_EIO, "workflow", "", "%s: cannot open: %s", path,
		               strerror(errno));
	size_t cap = 64 * 1024, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap > WF_MAX_FILE)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	bool failed = ferror(f);
	int saved = errno;
	fclose(f);
	if (failed) {
		free(buf);
		return pa_fail(err, PA_EIO, "workflow", "", "%s: cannot read: %s", path,
		               strerror(saved));
	}
	int rc = wf_load_buffer(buf, len, path, out, err);
	free(buf);
	return rc;
}

void wf_def_free(wf_def_t *def)
{
	if (def)
		arena_free(def->arena);
}

/* ------------------------------------------------------------------ */
/* Registry                                                            */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int wf_registry_load_dir(const char *dir, wf_registry_t **out, pa_err_t *err)
{
	*out = NULL;
	DIR *d = opendir(dir);
	if (!d)
		return pa_fail(err, PA_EIO, "workflow", "", "%s: cannot open directory: %s", dir,
		               strerror(errno));
	char **names = NULL;
	size_t nnames = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5, ".yaml") != 0)
			continue;
		if (nnames == cap) {
			cap = cap ? cap * 2 : 8;
			names = xrealloc(names, st_mult(cap, sizeof(char *)));
		}
		names[nnames++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (nnames)
		qsort(names, nnames, sizeof(char *), cmp_names);

	wf_registry_t *reg = xcalloc(1, sizeof(*reg));
	reg->defs = xcalloc(nnames ? nnames : 1, sizeof(wf_def_t *));
	int rc = 0;
	for (size_t i = 0; i < nnames && rc == 0; i++) {
		strbuf_t path = STRBUF_INIT;
		strbuf_addf(&path, "%s/%s", dir, names[i]);
		wf_def_t *def;
		rc = wf_load_file(path.buf, &def, err);
		strbuf_release(&path);
		if (rc)
			break;
		const wf_def_t *other = wf_registry_find(reg, def->type);
		if (other) {
			rc = pa_fail(err, PA_EINVAL, "workflow", "type",
			             "%s: type '%s' is already defined in %s", def->source, def->type,
			             other->source);
			wf_def_free(def);
			break;
		}
		for (size_t j = 0; j < def->ncategories && rc == 0; j++) {
			const wf_def_t *holder;
			const wf_category_t *c = wf_registry_find_service(reg, def->categories[j].service_code,
			                                                  &holder);
			if (c)
				rc = pa_fail(err, PA_EINVAL, "workflow",
				             arena_printf(def->arena, "categories[%zu].service_code", j),
				             "%s: categories[%zu].service_code: service code '%s' is already "
				             "used by category '%s' of %s", def->source, j, c->service_code,
				             c->code, holder->source);
		}
		if (rc) {
			wf_def_free(def);
			break;
		}
		reg->defs[reg->ndefs++] = def;
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (rc) {
		wf_registry_free(reg);
		return rc;
	}
	if (!reg->ndefs)
		log_warn("workflows: no *.yaml definition in %s", dir);
	if ((rc = wf_registry_check_refs(reg, err))) {
		wf_registry_free(reg);
		return rc;
	}
	*out = reg;
	return 0;
}

void wf_registry_free(wf_registry_t *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->ndefs; i++)
		wf_def_free(reg->defs[i]);
	free(reg->defs);
	free(reg);
}

const wf_def_t *wf_registry_find(const wf_registry_t *reg, const char *type)
{
	for (size_t i = 0; reg && i < reg->ndefs; i++)
		if (streq(reg->defs[i]->type, type))
			return reg->defs[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                             */

const wf_state_t *wf_find_state(const wf_def_t *def, const char *name)
{
	for (size_t i = 0; i < def->nstates; i++)
		if (streq(def->states[i].name, name))
			return &def->states[i];
	return NULL;
}

const wf_transition_t *wf_find_transition(const wf_def_t *def, const char *name)
{
	for (size_t i = 0; i < def->ntransitions; i++)
		if (streq(def->transitions[i].name, name))
			return &def->transitions[i];
	return NULL;
}

const wf_category_t *wf_find_category(const wf_def_t *def, const char *code)
{
	for (size_t i = 0; i < def->ncategories; i++)
		if (streq(def->categories[i].code, code))
			return &def->categories[i];
	return NULL;
}

const wf_category_t *wf_registry_find_service(const wf_registry_t *reg, const char *service_code,
                                              const wf_def_t **def)
{
	for (size_t i = 0; reg && service_code && i < reg->ndefs; i++)
		for (size_t j = 0; j < reg->defs[i]->ncategories; j++)
			if (streq(reg->defs[i]->categories[j].service_code, service_code)) {
				if (def)
					*def = reg->defs[i];
				return &reg->defs[i]->categories[j];
			}
	return NULL;
}

static const wf_due_t *category_own_due(const wf_category_t *c, const char *state)
{
	for (size_t i = 0; c && i < c->ndues; i++)
		if (streq(c->dues[i].state, state))
			return &c->dues[i].due;
	return NULL;
}

const wf_due_t *wf_category_state_due(const wf_def_t *def, const char *category,
                                      const wf_state_t *state)
{
	if (!state || state->terminal)
		return NULL;
	const wf_category_t *c = category ? wf_find_category(def, category) : NULL;
	const wf_due_t *d = category_own_due(c, state->name);
	if (!d && c && c->parent)
		d = category_own_due(wf_find_category(def, c->parent), state->name);
	if (!d && state->has_due)
		d = &state->due;
	return d;
}

bool wf_register_allows_role(const wf_def_t *def, const char *role)
{
	for (size_t i = 0; i < def->nregister_roles; i++)
		if (streq(def->register_roles[i], role))
			return true;
	return false;
}

bool wf_reveal_allows_role(const wf_def_t *def, const char *role)
{
	for (size_t i = 0; i < def->nreveal_roles; i++)
		if (streq(def->reveal_roles[i], role))
			return true;
	return false;
}

const wf_notice_t *wf_find_notice(const wf_def_t *def, const char *name)
{
	for (size_t i = 0; i < def->nnotices; i++)
		if (streq(def->notices[i].name, name))
			return &def->notices[i];
	return NULL;
}

bool wf_transition_leaves(const wf_transition_t *t, const char *state)
{
	for (size_t i = 0; i < t->nfrom; i++)
		if (streq(t->from[i], state))
			return true;
	return false;
}

bool wf_transition_allows_role(const wf_transition_t *t, const char *role)
{
	for (size_t i = 0; i < t->nroles; i++)
		if (streq(t->roles[i], role))
			return true;
	return false;
}

const wf_transition_t *wf_find_public_action(const wf_def_t *def, const char *state,
                                             const char *action)
{
	for (size_t i = 0; i < def->ntransitions; i++) {
		const wf_transition_t *t = &def->transitions[i];
		if (streq(t->public_action, action) && wf_transition_leaves(t, state))
			return t;
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Checking an action's fields                                         */

static bool valid_date(const char *s, size_t n)
{
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (size_t i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static int field_fail(pa_err_t *err, const char *name, const char *fmt, ...) PA_FAIL_FMT(3, 4);

/* "fields.<name>: <fmt>", the sentence in both languages (err.h) */
static int field_fail(pa_err_t *err, const char *name, const char *fmt, ...)
{
	char path[WF_MAX_NAME + 16], prefix[WF_MAX_NAME + 18];
	snprintf(path, sizeof(path), "fields.%.*s", WF_MAX_NAME, name);
	snprintf(prefix, sizeof(prefix), "%s: ", path);
	va_list ap;
	va_start(ap, fmt);
	int rc = pa_vfail(err, PA_EINVAL, "validation", path, prefix, fmt, ap);
	va_end(ap);
	return rc;
}

static int check_value(const wf_field_t *f, const json_t *v, pa_err_t *err)
{
	switch (f->type) {
	case WF_FIELD_TEXT: {
		if (!json_is_string(v))
			return field_fail(err, f->name, "must be a string");
		const char *s = json_string_value(v);
		size_t n = json_string_length(v), chars;
		if (strlen(s) != n)
			return field_fail(err, f->name, "must not contain NUL characters");
		if (!utf8_count(s, n, &chars))
			return field_fail(err, f->name, "is not valid UTF-8");
		if (f->required && blank(s))
			return field_fail(err, f->name, "is required and must not be blank");
		if ((int64_t)chars > f->max)
			return field_fail(err, f->name, "is %zu characters long; at most %" PRId64
			                  " are allowed", chars, f->max);
		return 0;
	}
	case WF_FIELD_INT: {
		if (!json_is_integer(v))
			return field_fail(err, f->name, "must be a whole number");
		json_int_t x = json_integer_value(v);
		if (x < f->min || x > f->max)
			return field_fail(err, f->name, "must be from %" PRId64 " to %" PRId64, f->min,
			                  f->max);
		return 0;
	}
	case WF_FIELD_ENUM: {
		if (!json_is_string(v))
			return field_fail(err, f->name, "must be a string (one of the field's codes)");
		const char *s = json_string_value(v);
		for (size_t i = 0; i < f->nvalues; i++)
			if (streq(f->values[i].code, s) && strlen(s) == json_string_length(v))
				return 0;
		return field_fail(err, f->name, "'%.64s' is not one of the allowed codes", s);
	}
	case WF_FIELD_ORG:
		/* whether the unit exists is the caller's check (it holds the org tree) */
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return field_fail(err, f->name, "must be a unit id (a positive whole number)");
		return 0;
	case WF_FIELD_DATE:
		if (!json_is_string(v) || !valid_date(json_string_value(v), json_string_length(v)))
			return field_fail(err, f->name, "must be a date YYYY-MM-DD");
		return 0;
	case WF_FIELD_BOOL:
		if (!json_is_boolean(v))
			return field_fail(err, f->name, "must be true or false");
		if (f->must_be_true && !json_is_true(v))
			return field_fail(err, f->name, "must be true");
		return 0;
	}
	return field_fail(err, f->name, "has an unknown type");
}

/* Checks input against a list of fields; `what` names the action or record kind. */
static int validate_field_list(const wf_field_t *list, size_t nlist, const char *what_kind,
                               const char *what, const json_t *fields, pa_err_t *err)
{
	if (fields && json_is_null(fields))
		fields = NULL;
	if (fields && !json_is_object(fields))
		return pa_fail(err, PA_EINVAL, "validation", "fields", "fields: must be an object");
	if (fields) {
		const char *key;
		json_t *val;
		json_object_foreach((json_t *)fields, key, val) {
			if (!find_field_in(list, nlist, key))
				return field_fail(err, key, "unknown field for %s '%s'", what_kind, what);
		}
	}
	for (size_t i = 0; i < nlist; i++) {
		const wf_field_t *f = &list[i];
		json_t *v = fields ? json_object_get(fields, f->name) : NULL;
		if (!v || json_is_null(v)) {
			if (f->required)
				return field_fail(err, f->name, "is required");
			continue;
		}
		int rc = check_value(f, v, err);
		if (rc)
			return rc;
	}
	return 0;
}

int wf_validate_fields(const wf_transition_t *t, const json_t *fields, pa_err_t *err)
{
	return validate_field_list(t->fields, t->nfields, "action", t->name, fields, err);
}

int wf_validate_record(const wf_record_kind_t *rk, const json_t *fields, pa_err_t *err)
{
	return validate_field_list(rk->fields, rk->nfields, "record", rk->name, fields, err);
}

const wf_record_kind_t *wf_find_record_kind(const wf_def_t *def, const char *name)
{
	for (size_t i = 0; name && i < def->nrecords; i++)
		if (streq(def->records[i].name, name))
			return &def->records[i];
	return NULL;
}

const wf_track_t *wf_find_track(const wf_def_t *def, const char *org_kind)
{
	for (size_t i = 0; org_kind && i < def->ntracks; i++)
		if (streq(def->tracks[i].kind, org_kind))
			return &def->tracks[i];
	return NULL;
}

int wf_track_stage(const wf_track_t *tr, const char *stage)
{
	for (size_t i = 0; stage && i < tr->nstages; i++)
		if (streq(tr->stages[i].code, stage))
			return (int)i;
	return -1;
}

bool wf_record_allowed_in(const wf_record_kind_t *rk, const wf_state_t *state)
{
	if (!state || state->terminal)
		return false;
	if (rk->nstates == 0)
		return true;
	for (size_t i = 0; i < rk->nstates; i++)
		if (streq(rk->states[i], state->name))
			return true;
	return false;
}

bool wf_record_alerts(const wf_record_kind_t *rk, const json_t *fields)
{
	for (size_t i = 0; i < rk->nalert_when; i++) {
		const wf_alert_cond_t *c = &rk->alert_when[i];
		const json_t *v = json_object_get(fields, c->field->name);
		if (c->field->type == WF_FIELD_BOOL) {
			if (json_is_boolean(v) && json_is_true(v) == c->boolean)
				return true;
		} else if (json_is_string(v)) {
			for (size_t k = 0; k < c->ncodes; k++)
				if (streq(json_string_value(v), c->codes[k]))
					return true;
		}
	}
	return false;
}

int wf_registry_check_refs(const wf_registry_t *reg, pa_err_t *err)
{
	for (size_t d = 0; d < reg->ndefs; d++) {
		const wf_def_t *def = reg->defs[d];
		for (size_t i = 0; i < def->ntransitions; i++) {
			const wf_transition_t *t = &def->transitions[i];
			if (!t->handover_type)
				continue;
			const wf_def_t *to = wf_registry_find(reg, t->handover_type);
			if (!to)
				return pa_fail(err, PA_EINVAL, "workflow", "handover.type",
				               "%s: transitions.%s.handover.type: no definition of type '%s'",
				               def->source, t->name, t->handover_type);
			if (strncmp(t->handover_category, "field:", 6) != 0 &&
			    !wf_find_category(to, t->handover_category))
				return pa_fail(err, PA_EINVAL, "workflow", "handover.category",
				               "%s: transitions.%s.handover.category: type '%s' has no "
				               "category '%s'", def->source, t->name, to->type,
				               t->handover_category);
			if (!strncmp(t->handover_category, "field:", 6)) {
				/* every code of an enum field must be a category of the target */
				const wf_field_t *f = find_field(t, t->handover_category + 6);
				for (size_t k = 0; f && f->type == WF_FIELD_ENUM && k < f->nvalues; k++)
					if (!wf_find_category(to, f->values[k].code))
						return pa_fail(err, PA_EINVAL, "workflow", "handover.category",
						               "%s: transitions.%s.fields.%s: '%s' is not a "
						               "category of type '%s'", def->source, t->name,
						               f->name, f->values[k].code, to->type);
			}
			/* the waiting state's step records the outcome: an enum outcome
			 * must know every terminal state of the other type */
			const wf_state_t *wait = wf_find_state(def, t->to);
			const wf_transition_t *end = wait && wait->handover_end
			                                 ? wf_find_transition(def, wait->handover_end)
			                                 : NULL;
			const wf_field_t *of = end ? find_field(end, "outcome") : NULL;
			for (size_t k = 0; of && k < to->nstates; k++) {
				if (!to->states[k].terminal)
					continue;
				bool known = of->type != WF_FIELD_ENUM;
				for (size_t m = 0; !known && m < of->nvalues; m++)
					known = streq(of->values[m].code, to->states[k].name);
				if (!known)
					return pa_fail(err, PA_EINVAL, "workflow", "handover_end",
					               "%s: transitions.%s.fields.outcome: '%s' (a terminal "
					               "state of type '%s') is not one of its codes",
					               def->source, end->name, to->states[k].name, to->type);
			}
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Dues and windows                                                    */

static int due_from(const calendar_t *cal, const wf_due_t *d, pa_time_t created,
                    pa_time_t entered, pa_time_t *out)
{
	pa_time_t anchor = d->from == WF_FROM_CASE ? created : entered;
	return calendar_add(cal, anchor, d->amount, d->unit, out);
}

int wf_state_due(const calendar_t *cal, const wf_state_t *state, pa_time_t created,
                 pa_time_t entered, pa_time_t *due)
{
	*due = 0;
	if (!state->has_due)
		return 0;
	return due_from(cal, &state->due, created, entered, due);
}

int wf_case_state_due(const calendar_t *cal, const wf_def_t *def, const char *category,
                      const wf_state_t *state, pa_time_t created, pa_time_t entered,
                      pa_time_t *due)
{
	*due = 0;
	const wf_due_t *d = wf_category_state_due(def, category, state);
	if (!d)
		return 0;
	return due_from(cal, d, created, entered, due);
}

pa_time_t wf_window_end(const calendar_t *cal, const wf_transition_t *t, pa_time_t created,
                        pa_time_t entered)
{
	pa_time_t end;
	if (!t->has_window || due_from(cal, &t->window, created, entered, &end) != 0)
		return 0;
	return end;
}

bool wf_window_open(const calendar_t *cal, const wf_transition_t *t, pa_time_t created,
                    pa_time_t entered, pa_time_t now)
{
	if (!t->has_window)
		return true;
	pa_time_t end = wf_window_end(cal, t, created, entered);
	return end != 0 && now <= end;  /* fail closed when the end cannot be computed */
}

/* ------------------------------------------------------------------ */
/* Notices                                                             */

static char *render(arena_t *a, const char *tpl, const json_t *vars)
{
	if (!tpl)
		tpl = "";
	/* room for the text and a few values: no growing on the way (a
	 * notice's title and body are rendered in two languages per action) */
	strbuf_t sb;
	strbuf_init(&sb, 2 * strlen(tpl) + 256);
	size_t pos = 0;
	for (tpl_tok_t t; (t = tpl_next(tpl, &pos)).kind != TPL_END;) {
		if (t.kind != TPL_VAR) {
			strbuf_add(&sb, t.s, t.n);
			continue;
		}
		char name[WF_MAX_NAME + 1];
		size_t n = t.n < WF_MAX_NAME ? t.n : WF_MAX_NAME;
		memcpy(name, t.s, n);
		name[n] = '\0';
		json_t *v = json_is_object(vars) ? json_object_get(vars, name) : NULL;
		if (json_is_string(v))
			strbuf_add(&sb, json_string_value(v), strlen(json_string_value(v)));
		else if (json_is_integer(v))
			strbuf_addf(&sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	}
	char *out = arena_strndup(a, sb.buf, sb.len);
	strbuf_release(&sb);
	return out;
}

char *wf_render_notice(arena_t *a, const wf_notice_t *n, const char *lang, const json_t *vars,
                       char **title_out)
{
	if (title_out)
		*title_out = render(a, wf_label(&n->title, lang), vars);
	return render(a, wf_label(&n->body, lang), vars);
}

/* ------------------------------------------------------------------ */
/* JSON view                                                           */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *label_json(const wf_label_t *l)
{
	return json_pack("{s:o, s:o}", "zh", str_or_null(l->zh), "en", str_or_null(l->en));
}

static json_t *due_json(const wf_due_t *d)
{
	return json_pack("{s:i, s:s, s:s, s:o}", "amount", d->amount, "unit",
	                 due_unit_name(d->unit), "from", d->from == WF_FROM_CASE ? "case" : "state",
	                 "basis", str_or_null(d->basis));
}

static json_t *field_json(const wf_field_t *f)
{
	json_t *values = json_array();
	for (size_t i = 0; i < f->nvalues; i++)
		json_array_append_new(values, json_pack("{s:s, s:o}", "code", f->values[i].code,
		                                        "label", label_json(&f->values[i].label)));
	json_t *min = f->type == WF_FIELD_INT ? json_integer(f->min) : json_null();
	json_t *max = f->type == WF_FIELD_INT || f->type == WF_FIELD_TEXT ? json_integer(f->max)
	                                                                   : json_null();
	json_t *j = json_pack("{s:s, s:o, s:s, s:b, s:o, s:o, s:o}", "name", f->name, "label",
	                      label_json(&f->label), "type", field_type_names[f->type], "required",
	                      f->required, "min", min, "max", max, "values", values);
	if (f->must_be_true)
		json_object_set_new(j, "must_be_true", json_true());
	return j;
}

static json_t *transition_json(const wf_transition_t *t)
{
	json_t *from = json_array(), *roles = json_array(), *fields = json_array();
	for (size_t i = 0; i < t->nfrom; i++)
		json_array_append_new(from, json_string(t->from[i]));
	for (size_t i = 0; i < t->nroles; i++)
		json_array_append_new(roles, json_string(t->roles[i]));
	for (size_t i = 0; i < t->nfields; i++)
		json_array_append_new(fields, field_json(&t->fields[i]));
	json_t *due_add = json_null();
	if (t->has_due_add)
		due_add = json_pack("{s:o, s:o, s:s}", "field", str_or_null(t->due_add_field),
		                    "amount", t->due_add_field ? json_null()
		                                               : json_integer(t->due_add_amount),
		                    "unit", due_unit_name(t->due_add_unit));
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(t->name));
	json_object_set_new(o, "label", label_json(&t->label));
	json_object_set_new(o, "from", from);
	json_object_set_new(o, "to", json_string(t->to));
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "notice", str_or_null(t->notice));
	json_object_set_new(o, "public", json_boolean(t->public));
	json_object_set_new(o, "once", json_boolean(t->once));
	json_object_set_new(o, "window", t->has_window ? due_json(&t->window) : json_null());
	json_object_set_new(o, "due_add", due_add);
	json_object_set_new(o, "owner", json_string(t->owner));
	json_object_set_new(o, "public_action", str_or_null(t->public_action));
	json_t *req = json_array(), *appr = json_array();
	for (size_t i = 0; i < t->nrequires; i++)
		json_array_append_new(req, json_string(t->requires[i]));
	for (size_t i = 0; i < t->napproval_roles; i++)
		json_array_append_new(appr, json_string(t->approval_roles[i]));
	json_object_set_new(o, "requires", req);
	json_object_set_new(o, "approval", t->napproval_roles ? json_pack("{s:o}", "roles", appr)
	                                                      : (json_decref(appr), json_null()));
	json_object_set_new(o, "handover",
	                    t->handover_type ? json_pack("{s:s, s:s, s:s}", "type", t->handover_type,
	                                                 "category", t->handover_category, "owner",
	                                                 t->handover_owner)
	                                     : json_null());
	return o;
}

/* records and participants of the JSON view */
static json_t *ext_json(const wf_def_t *def)
{
	json_t *recs = json_array();
	for (size_t i = 0; i < def->nrecords; i++) {
		const wf_record_kind_t *rk = &def->records[i];
		json_t *roles = json_array(), *states = json_array(), *fields = json_array();
		for (size_t k = 0; k < rk->nroles; k++)
			json_array_append_new(roles, json_string(rk->roles[k]));
		for (size_t k = 0; k < rk->nstates; k++)
			json_array_append_new(states, json_string(rk->states[k]));
		for (size_t k = 0; k < rk->nfields; k++)
			json_array_append_new(fields, field_json(&rk->fields[k]));
		json_t *list = json_array(), *alert = json_null();
		for (size_t k = 0; k < rk->nlist_roles; k++)
			json_array_append_new(list, json_string(rk->list_roles[k]));
		if (rk->nalert_when) {
			json_t *when = json_object(), *to = json_array();
			for (size_t k = 0; k < rk->nalert_when; k++) {
				const wf_alert_cond_t *c = &rk->alert_when[k];
				json_t *val;
				if (c->field->type == WF_FIELD_BOOL) {
					val = json_boolean(c->boolean);
				} else {
					val = json_array();
					for (size_t m = 0; m < c->ncodes; m++)
						json_array_append_new(val, json_string(c->codes[m]));
				}
				json_object_set_new(when, c->field->name, val);
			}
			for (size_t k = 0; k < rk->nalert_roles; k++)
				json_array_append_new(to, json_string(rk->alert_roles[k]));
			alert = json_pack("{s:o, s:{s:s, s:o}}", "when", when, "to", "kind", rk->alert_kind,
			                  "roles", to);
		}
		json_array_append_new(recs, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
		                                      rk->name, "label", label_json(&rk->label), "roles",
		                                      roles, "states", states, "fields", fields, "list",
		                                      list, "alert", alert));
	}
	json_t *parts = json_null();
	if (def->ntracks) {
		json_t *roles = json_array(), *tracks = json_array();
		for (size_t k = 0; k < def->nparticipant_roles; k++)
			json_array_append_new(roles, json_string(def->participant_roles[k]));
		for (size_t k = 0; k < def->ntracks; k++) {
			const wf_track_t *tr = &def->tracks[k];
			json_t *stages = json_array();
			for (size_t m = 0; m < tr->nstages; m++)
				json_array_append_new(stages, json_pack("{s:s, s:o}", "code",
				                                        tr->stages[m].code, "label",
				                                        label_json(&tr->stages[m].label)));
			json_array_append_new(tracks, json_pack("{s:s, s:o, s:o}", "kind", tr->kind,
			                                        "label", label_json(&tr->label),
			                                        "stages", stages));
		}
		parts = json_pack("{s:o, s:s, s:o}", "roles", roles, "visibility",
		                  def->participants_only ? "participants" : "units", "tracks", tracks);
	}
	return json_pack("{s:o, s:o}", "records", recs, "participants", parts);
}

json_t *wf_def_to_json(const wf_def_t *def)
{
	json_t *cats = json_array(), *states = json_array(), *trans = json_array();
	for (size_t i = 0; i < def->ncategories; i++) {
		const wf_category_t *c = &def->categories[i];
		json_t *dues = json_object();
		for (size_t j = 0; j < c->ndues; j++)
			json_object_set_new(dues, c->dues[j].state, due_json(&c->dues[j].due));
		json_array_append_new(cats, json_pack("{s:s, s:o, s:b, s:o, s:b, s:o, s:o}", "code",
		                                      c->code, "label", label_json(&c->label),
		                                      "accusation", c->accusation, "parent",
		                                      str_or_null(c->parent), "leaf", !c->has_children,
		                                      "service_code", str_or_null(c->service_code),
		                                      "due", dues));
	}
	for (size_t i = 0; i < def->nstates; i++) {
		const wf_state_t *s = &def->states[i];
		json_array_append_new(states, json_pack("{s:s, s:o, s:b, s:o, s:o, s:b}", "name",
		                                        s->name, "label", label_json(&s->label),
		                                        "terminal", s->terminal, "due",
		                                        s->has_due ? due_json(&s->due) : json_null(),
		                                        "timeout", str_or_null(s->timeout), "rating",
		                                        s->rating));
	}
	for (size_t i = 0; i < def->ntransitions; i++)
		json_array_append_new(trans, transition_json(&def->transitions[i]));
	static const char *const location_names[] = { "none", "optional", "required" };
	json_t *reg_roles = json_array();
	for (size_t i = 0; i < def->nregister_roles; i++)
		json_array_append_new(reg_roles, json_string(def->register_roles[i]));
	json_t *reveal = json_array();
	for (size_t i = 0; i < def->nreveal_roles; i++)
		json_array_append_new(reveal, json_string(def->reveal_roles[i]));
	json_t *ext = ext_json(def);
	for (size_t i = 0; i < def->nstates; i++)
		json_object_set_new(json_array_get(states, i), "handover_end",
		                    str_or_null(def->states[i].handover_end));
	json_t *j = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:o}", "type", def->type, "label",
	                      label_json(&def->label), "number_prefix", def->number_prefix, "initial",
	                      def->initial, "categories", cats, "states", states, "transitions", trans);
	json_object_set_new(j, "register", json_pack("{s:o, s:b}", "roles", reg_roles, "public",
	                                             def->public_submit));
	json_object_set_new(j, "contact", json_pack("{s:s, s:b, s:b, s:o}", "role", def->contact_role,
	                                            "anonymous", def->contact_anonymous, "sealed",
	                                            def->contact_sealed, "reveal_roles", reveal));
	json_object_set_new(j, "location", json_string(location_names[def->location]));
	json_object_update(j, ext);
	json_decref(ext);
	return j;
}
