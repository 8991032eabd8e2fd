/*
 * jsonw.h — a jansson tree written straight into a strbuf, as a response
 * (strbuf_add_json) or as stored text (strbuf_add_json_sorted).
 *
 * json_dumps() builds its text through a callback per token into a
 * buffer of its own, which the glue then copied once more into the
 * response while escaping '<', '>' and '&' (strbuf_add_json_text): a
 * tenth of a small staff request's instructions.  This writer walks the
 * tree once and appends to the caller's strbuf.  Its output is, byte for
 * byte, json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) followed by
 * strbuf_add_json_text() — tests/unit/test_jsonw.c and fuzz/fuzz_jsonw.c
 * compare the two — so responses stay what the tests and the OpenAPI file
 * check:
 *   - object members in the tree's order (jansson keeps insertion order);
 *   - strings: '"' and '\\' escaped, \b \f \n \r \t by name, every other
 *     control character as \u00XX (upper-case hex, as jansson writes it),
 *     '<' '>' '&' as \u003c \u003e \u0026, everything else (UTF-8) as is;
 *   - integers in decimal; reals exactly as jansson formats them (the rare
 *     case: jansson itself writes each one).
 */
#ifndef PA_JSONW_H
#define PA_JSONW_H

#include <jansson.h>

#include "base/arena.h"
#include "base/strbuf.h"

/* Appends j; 0, or -1 with sb as it was when a string or key is not valid
 * UTF-8 (json_dumps fails on those too) or j is NULL. */
int strbuf_add_json(strbuf_t *sb, const json_t *j);

/*
 * The text Pingan stores (event data, audit details, document vars, a
 * webhook's body): byte for byte json_dumps(j, JSON_COMPACT |
 * JSON_SORT_KEYS | JSON_ENCODE_ANY) — object members sorted by their keys'
 * bytes (the shorter of two keys that begin alike first, as jansson sorts
 * them), no markup escaping ('<', '>' and '&' as they are), the rest as
 * above.  Same return as strbuf_add_json().  An action stored four or five
 * such texts through json_dumps, a tenth of its request-side CPU.
 */
int strbuf_add_json_sorted(strbuf_t *sb, const json_t *j);
/* strbuf_add_json_sorted() of an object or array into a; NULL for any
 * other value or when the writer refuses it (json_dumps would fail too). */
const char *json_text_sorted(arena_t *a, const json_t *j);
/* The string s as strbuf_add_json_sorted() writes one (quoted, escaped as
 * json_dumps escapes it), for stored text written member by member without
 * a tree; -1 with sb as it was when s is not valid UTF-8. */
int strbuf_add_json_sorted_str(strbuf_t *sb, const char *s);

/*
 * An object of a few members written without a tree, as
 * strbuf_add_json_sorted() writes the object holding them: members sorted
 * by key (the caller lists them in any order; a later member with the same
 * key replaces an earlier one, as json_object_set does), each a string
 * (str; NULL writes null), an integer (JSONW_INT) or a tree (json; NULL
 * leaves the member out, as setting NULL in an object does).
 */
enum jsonw_kind { JSONW_STR, JSONW_INT, JSONW_JSON };
typedef struct jsonw_member {
	const char *key;
	enum jsonw_kind kind;
	const char *str;
	long long num;
	const json_t *json;
} jsonw_member_t;
#define JSONW_MEMBERS_MAX 32
/* Same return as strbuf_add_json(); -1 too for more than JSONW_MEMBERS_MAX members. */
int strbuf_add_json_members(strbuf_t *sb, const jsonw_member_t *m, size_t n);
/* strbuf_add_json_members() into a; NULL when it fails. */
const char *json_members_text(arena_t *a, const jsonw_member_t *m, size_t n);

#endif
