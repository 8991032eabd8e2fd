/*
 * crypto.c — keys, sealed personal data, lookup hashes, passwords, tokens,
 * normalization and masks (all cryptography is libsodium's).
 *
 * Keys.  A pa_keys_t lives in sodium_malloc'ed memory (guard pages, mlock'ed
 * where the limit allows) and is made read-only once the key file has been
 * parsed; keys_free() wipes it.  The parser (keys_load_text) is the only code
 * that reads outside input here, so it is strict and has a fuzz target
 * (fuzz/fuzz_keys.c): every line is blank, a comment, `pii <id> <key>` or
 * `lookup <key>`; ids are 1..2^32-1 and unique; keys are exactly 32 bytes of
 * canonical padded base64 and not all zeros; exactly one lookup key; at least
 * one and at most PA_KEYS_MAX pii keys.  Errors name the line but never
 * echo its text (it may be a key).
 *
 * Files.  keys_generate_file and keys_rotate_file write a temporary file in
 * the same directory (mkstemp, mode 0600), fsync it, rename it into place and
 * fsync the directory, so a crash leaves the old file or the new one, never a
 * torn one.  Generation renames with RENAME_NOREPLACE (or link() where the
 * file system lacks it), so it never replaces a file that appeared meanwhile.
 *
 * Sealing.  pii_seal encrypts with the newest pii key (the highest id) and a
 * random 192-bit nonce; the layout is in crypto.h.  pii_open picks the key by
 * the id in the blob, so rotated-out keys keep old data readable.
 *
 * Lookup hashes are BLAKE2b-256 keyed with the lookup key over
 * "pingan-lookup-v1", then the kind and the value, each length-prefixed.  The
 * value is normalized here as well (phone, id, query), which is idempotent, so
 * callers may pass raw input or already-normalized values alike.
 *
 * Masks work on code points: invalid UTF-8 bytes and control characters count
 * as one character each and are never shown (they become '*'), so a mask is
 * always valid UTF-8.  Leading and trailing ASCII whitespace is ignored.
 *   mask_name:    1 char → "*"; 2 chars → first + "*" (张*); 3 or more → first,
 *                 one '*' per hidden char, last (张*三, 欧**娜, J********h).
 *   mask_phone:   on the normalized digits: 11 or more → first 3, '*'s, last 4
 *                 (138****1234); fewer → '*'s then the last 2; unparseable
 *                 input → "****".
 *   mask_id_number: valid 15/18-char numbers → first 6, '*'s, last 4;
 *                 anything else → '*'s then the last 2 (at least 3 chars).
 *   mask_address: keeps the administrative prefix only — up to three levels
 *                 ending in 省/市/州/盟 (province, prefecture) and stopping at
 *                 the first county level 区/县/旗 — then "****" (福建省福州市
 *                 鼓楼区****).  It is a heuristic: 市场, 小区, 社区 and the like
 *                 are not levels, a level name longer than 8 characters ends
 *                 the prefix, and an address without one shows only "****".
 */
#include "base/common.h"

#include "core/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define KEY_BYTES 32
#define SEAL_VERSION 0x01
#define SEAL_NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_HEADER (1 + 4 + SEAL_NONCE)
#define SEAL_TAG crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEYS_TEXT_MAX (64 * 1024)       /* a key file is a few hundred bytes */
#define KEY_B64_MAX 64                  /* 32 bytes are 44 base64 chars */
#define PWHASH_OPSLIMIT 2ULL
#define PWHASH_MEMLIMIT ((size_t)19 * 1024 * 1024)
#define PHONE_DIGITS_MIN 5
#define PHONE_DIGITS_MAX 20
#define PHONE_NORM_MAX (PHONE_DIGITS_MAX + 2) /* "00" + country code + number */
#define ID_NORM_MAX 18
#define ADDR_LEVELS_MAX 3
#define ADDR_LEVEL_CHARS_MAX 8

_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == KEY_BYTES, "pii key size");
_Static_assert(crypto_generichash_KEYBYTES_MIN <= KEY_BYTES &&
               KEY_BYTES <= crypto_generichash_KEYBYTES_MAX, "lookup key size");
_Static_assert(crypto_hash_sha256_BYTES * 2 + 1 == PA_HASH_HEX, "hash hex size");

struct pii_key {
	uint32_t id;
	unsigned char key[KEY_BYTES];
};

struct pa_keys {
	size_t npii;
	uint32_t current;              /* highest pii id: seals new data */
	bool has_lookup;
	unsigned char lookup[KEY_BYTES];
	struct pii_key pii[PA_KEYS_MAX];
};

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int crypto_init(void)
{
	return sodium_init() < 0 ? PA_EINTERNAL : 0;
}

/* ---- UTF-8 ------------------------------------------------------------------ */

/*
 * Decodes one UTF-8 sequence from the n > 0 bytes at s.  Returns its length,
 * or 0 when the bytes there are not valid UTF-8 (overlong, surrogate, beyond
 * U+10FFFF, truncated, stray continuation byte).
 */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2, v = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3, v = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

/* Like utf8_decode but always advances: an invalid byte is one step with
 * *cp = UINT32_MAX. */
static size_t utf8_step(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len = utf8_decode(s, n, cp);
	if (len == 0) {
		*cp = UINT32_MAX;
		return 1;
	}
	return len;
}

/* Full-width ASCII (０-９, Ａ-Ｚ, －, ＋, …) and the ideographic space, as typed
 * with Chinese input methods, folded to ASCII. */
static uint32_t fold_width(uint32_t cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		return cp - 0xFEE0;
	if (cp == 0x3000)
		return ' ';
	return cp;
}

/* The next code point of [*p, e), width-folded: 1 and *p advanced, 0 at the
 * end, -1 on a malformed UTF-8 sequence. */
static int next_folded(const unsigned char **p, const unsigned char *e, uint32_t *cp)
{
	if (*p >= e)
		return 0;
	size_t len = utf8_decode(*p, (size_t)(e - *p), cp);
	if (len == 0)
		return -1;
	*p += len;
	*cp = fold_width(*cp);
	return 1;
}

static bool is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f';
}

static bool is_dash(uint32_t cp)
{
	return cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0);
}

/* Trims ASCII whitespace; [*b, *e) is what remains. */
static void trim(const char *s, const unsigned char **b, const unsigned char **e)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *q = p + strlen(s);
	while (p < q && is_space(*p))
		p++;
	while (q > p && is_space(q[-1]))
		q--;
	*b = p;
	*e = q;
}

static size_t utf8_count(const unsigned char *p, const unsigned char *e)
{
	size_t n = 0;
	uint32_t cp;
	while (p < e) {
		p += utf8_step(p, (size_t)(e - p), &cp);
		n++;
	}
	return n;
}

/* Appends one character of a mask that is shown; what must not or cannot be
 * shown becomes '*'. */
static void put_shown(strbuf_t *sb, const unsigned char *p, size_t len, uint32_t cp)
{
	if (cp == UINT32_MAX || is_control(cp))
		strbuf_addch(sb, '*');
	else
		strbuf_add(sb, p, len);
}

static char *sb_to_arena(arena_t *a, strbuf_t *sb)
{
	char *s = arena_strndup(a, sb->buf, sb->len);
	strbuf_release(sb);
	return s;
}

/* Shows the first `first` and last `last` characters of [b, e), '*' for the
 * rest; the caller makes sure first + last < characters. */
static char *mask_chars(arena_t *a, const unsigned char *b, const unsigned char *e,
                        size_t first, size_t last)
{
	size_t n = utf8_count(b, e);
	strbuf_t sb = STRBUF_INIT;
	size_t i = 0;
	uint32_t cp;
	while (b < e) {
		size_t len = utf8_step(b, (size_t)(e - b), &cp);
		if (i < first || i + last >= n)
			put_shown(&sb, b, len, cp);
		else
			strbuf_addch(&sb, '*');
		b += len;
		i++;
	}
	return sb_to_arena(a, &sb);
}

/* ---- normalization ------------------------------------------------------------ */

/*
 * Phone numbers: digits (also full-width), with spaces, dashes, dots and
 * parentheses ignored, and a '+' only in front.  +86 / 0086 (and 86 before
 * an 11-digit mobile) are dropped; other international numbers are written
 * with the 00 prefix, as dialled from China ("+852 1234 5678" →
 * "0085212345678"), so every number has one spelling.  A domestic number
 * starting 13…19 is a mobile and must have 11 digits.
 */
static bool phone_normalize(const char *s, char out[PHONE_NORM_MAX + 1])
{
	char d[PHONE_DIGITS_MAX + 5];
	size_t n = 0;
	bool plus = false;
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *e = p + strlen(s);
	uint32_t cp;
	int more;

	while ((more = next_folded(&p, e, &cp)) > 0) {
		if (cp >= '0' && cp <= '9') {
			if (n >= sizeof(d) - 1)
				return false;
			d[n++] = (char)cp;
		} else if (cp == '+') {
			if (plus || n > 0)
				return false;
			plus = true;
		} else if (!(is_space(cp) || is_dash(cp) || cp == '(' || cp == ')' || cp == '.')) {
			return false;
		}
	}
	if (more < 0)
		return false;
	d[n] = '\0';

	const char *digits = d;
	bool international = false;
	if (plus) {
		if (n >= 2 && d[0] == '8' && d[1] == '6')
			digits += 2;
		else
			international = true;
	} else if (n >= 4 && memcmp(d, "0086", 4) == 0) {
		digits += 4;
	} else if (n == 13 && d[0] == '8' && d[1] == '6' && d[2] == '1') {
		digits += 2;
	} else if (n >= 2 && d[0] == '0' && d[1] == '0') {
		international = true;
		digits += 2;
	}

	size_t m = strlen(digits);
	if (m < PHONE_DIGITS_MIN || m > PHONE_DIGITS_MAX)
		return false;
	if (!international && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9' && m != 11)
		return false;
	size_t o = 0;
	if (international) {
		out[o++] = '0';
		out[o++] = '0';
	}
	memcpy(out + o, digits, m + 1);
	return true;
}

/* GB 11643-1999: weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 → X. */
static char id_check_digit(const char *id17)
{
	static const int weight[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (id17[i] - '0') * weight[i];
	int c = (12 - sum % 11) % 11;
	return c == 10 ? 'X' : (char)('0' + c);
}

/* Resident ID numbers: spaces ignored, x upper-cased; 15 digits, or 17 digits
 * and a check character that must match. */
static bool id_normalize(const char *s, char out[ID_NORM_MAX + 1])
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *e = p + strlen(s);
	uint32_t cp;
	int more;

	while ((more = next_folded(&p, e, &cp)) > 0) {
		if (is_space(cp))
			continue;
		if (cp == 'x')
			cp = 'X';
		if (!((cp >= '0' && cp <= '9') || cp == 'X') || n >= ID_NORM_MAX)
			return false;
		out[n++] = (char)cp;
	}
	if (more < 0)
		return false;
	out[n] = '\0';
	if (n != 15 && n != 18)
		return false;
	for (size_t i = 0; i < n - 1; i++)
		if (out[i] == 'X')
			return false;
	if (n == 15)
		return out[14] != 'X';
	return id_check_digit(out) == out[17];
}

/* Query codes: spaces and dashes ignored, upper-cased, O→0, I/L→1; exactly
 * PA_QUERY_CODE_LEN Crockford base32 characters. */
static bool query_normalize(const char *s, char out[PA_QUERY_CODE_LEN + 1])
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *e = p + strlen(s);
	uint32_t cp;
	int more;

	while ((more = next_folded(&p, e, &cp)) > 0) {
		if (is_space(cp) || is_dash(cp))
			continue;
		if (cp >= 'a' && cp <= 'z')
			cp -= 'a' - 'A';
		if (cp == 'O')
			cp = '0';
		else if (cp == 'I' || cp == 'L')
			cp = '1';
		if (cp == 0 || cp > 0x7F || !strchr(crockford, (int)cp) || n >= PA_QUERY_CODE_LEN)
			return false;
		out[n++] = (char)cp;
	}
	if (more < 0)
		return false;
	out[n] = '\0';
	return n == PA_QUERY_CODE_LEN;
}

char *pii_normalize_phone(arena_t *a, const char *s)
{
	char buf[PHONE_NORM_MAX + 1];
	if (!s || !phone_normalize(s, buf))
		return NULL;
	return arena_strdup(a, buf);
}

char *pii_normalize_id_number(arena_t *a, const char *s)
{
	char buf[ID_NORM_MAX + 1];
	if (!s || !id_normalize(s, buf))
		return NULL;
	return arena_strdup(a, buf);
}

char *query_code_normalize(arena_t *a, const char *s)
{
	char buf[PA_QUERY_CODE_LEN + 1];
	if (!s || !query_normalize(s, buf))
		return NULL;
	return arena_strdup(a, buf);
}

/* ---- masks ---------------------------------------------------------------------- */

char *mask_phone(arena_t *a, const char *s)
{
	char d[PHONE_NORM_MAX + 1];
	const unsigned char *b, *e;
	if (!s)
		return arena_strdup(a, "");
	trim(s, &b, &e);
	if (b == e)
		return arena_strdup(a, "");
	if (!phone_normalize(s, d))
		return arena_strdup(a, "****");
	size_t n = strlen(d);
	if (n >= 11)
		return arena_printf(a, "%.3s%.*s%s", d, (int)(n - 7), "*********************", d + n - 4);
	return arena_printf(a, "%.*s%s", (int)(n - 2), "*********************", d + n - 2);
}

char *mask_id_number(arena_t *a, const char *s)
{
	char id[ID_NORM_MAX + 1];
	const unsigned char *b, *e;
	if (!s)
		return arena_strdup(a, "");
	if (id_normalize(s, id)) {
		size_t n = strlen(id);
		return arena_printf(a, "%.6s%.*s%s", id, (int)(n - 10), "********", id + n - 4);
	}
	trim(s, &b, &e);
	size_t n = utf8_count(b, e);
	return mask_chars(a, b, e, 0, n >= 3 ? 2 : 0);
}

char *mask_name(arena_t *a, const char *s)
{
	const unsigned char *b, *e;
	if (!s)
		return arena_strdup(a, "");
	trim(s, &b, &e);
	size_t n = utf8_count(b, e);
	if (n == 0)
		return arena_strdup(a, "");
	if (n == 1)
		return arena_strdup(a, "*");
	return mask_chars(a, b, e, 1, n >= 3 ? 1 : 0);
}

enum {
	CP_SHENG = 0x7701,  /* 省 */
	CP_SHI = 0x5E02,    /* 市 */
	CP_ZHOU = 0x5DDE,   /* 州 */
	CP_MENG = 0x76DF,   /* 盟 */
	CP_QU = 0x533A,     /* 区 */
	CP_XIAN = 0x53BF,   /* 县 */
	CP_QI = 0x65D7,     /* 旗 */
	CP_CHANG = 0x573A,  /* 场, as in 市场 */
	CP_ZHI = 0x6CBB,    /* 治, as in 自治区 */
};

/* Characters before 区 that make it a place inside a town, not a district:
 * 小区 社区 园区 校区 景区 片区 街区 厂区. */
static bool qu_is_local(uint32_t before)
{
	static const uint32_t local[] = {0x5C0F, 0x793E, 0x56ED, 0x6821, 0x666F, 0x7247, 0x8857, 0x5382};
	for (size_t i = 0; i < ARRAY_SIZE(local); i++)
		if (before == local[i])
			return true;
	return false;
}

char *mask_address(arena_t *a, const char *s)
{
	const unsigned char *b, *e;
	if (!s)
		return arena_strdup(a, "");
	trim(s, &b, &e);
	if (b == e)
		return arena_strdup(a, "");

	/* Find the end of the administrative prefix. */
	const unsigned char *cut = b, *p = b;
	size_t levels = 0, seg = 0;
	uint32_t prev = 0, cp;
	while (p < e && levels < ADDR_LEVELS_MAX) {
		size_t len = utf8_step(p, (size_t)(e - p), &cp);
		const unsigned char *next = p + len;
		uint32_t after = 0;
		if (next < e)
			utf8_step(next, (size_t)(e - next), &after);
		seg++;
		if (seg > ADDR_LEVEL_CHARS_MAX || cp == UINT32_MAX || is_control(cp))
			break;
		bool region = cp == CP_QU && prev == CP_ZHI;  /* 自治区, a province */
		bool county = (cp == CP_QU && !region && !qu_is_local(prev)) || cp == CP_XIAN ||
		              cp == CP_QI;
		bool upper = cp == CP_SHENG || region || (cp == CP_SHI && after != CP_CHANG) ||
		             (cp == CP_ZHOU && after != CP_SHI) || cp == CP_MENG;
		if ((county || upper) && seg >= 2) {
			cut = next;
			levels++;
			seg = 0;
			if (county)
				break;
		}
		prev = cp;
		p = next;
	}

	strbuf_t sb = STRBUF_INIT;
	for (p = b; p < cut;) {
		size_t len = utf8_step(p, (size_t)(cut - p), &cp);
		put_shown(&sb, p, len, cp);
		p += len;
	}
	if (cut < e)
		strbuf_adds(&sb, "****");
	return sb_to_arena(a, &sb);
}

/* ---- key file ------------------------------------------------------------------ */

static pa_keys_t *keys_alloc(void)
{
	pa_keys_t *k = sodium_malloc(sizeof(*k));
	if (!k) {
		log_error("out of memory (sodium_malloc of %zu bytes)", sizeof(*k));
		abort();
	}
	sodium_memzero(k, sizeof(*k));
	return k;
}

void keys_free(pa_keys_t *k)
{
	if (k)
		sodium_free(k);  /* makes it writable, wipes and unmaps */
}

uint32_t keys_current_id(const pa_keys_t *k)
{
	return k ? k->current : 0;
}

static const struct pii_key *find_key(const pa_keys_t *k, uint32_t id)
{
	for (size_t i = 0; i < k->npii; i++)
		if (k->pii[i].id == id)
			return &k->pii[i];
	return NULL;
}

struct token {
	const char *p;
	size_t len;
};

static bool tok_is(const struct token *t, const char *word)
{
	return t->len == strlen(word) && memcmp(t->p, word, t->len) == 0;
}

static int bad_line(pa_err_t *err, const char *name, int line, const char *what)
{
	return pa_fail(err, PA_EINVAL, "config", "keys", "%s line %d: %s", name, line, what);
}

static int decode_key(const struct token *t, unsigned char key[KEY_BYTES], const char *name,
                      int line, pa_err_t *err)
{
	size_t len = 0;
	const char *end = NULL;
	if (t->len > KEY_B64_MAX ||
	    sodium_base642bin(key, KEY_BYTES, t->p, t->len, NULL, &len, &end,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != t->p + t->len || len != KEY_BYTES) {
		sodium_memzero(key, KEY_BYTES);
		return bad_line(err, name, line, "the key is not 32 bytes of base64");
	}
	if (sodium_is_zero(key, KEY_BYTES))
		return bad_line(err, name, line, "the key is all zeros");
	return 0;
}

static int parse_id(const struct token *t, uint32_t *id)
{
	uint64_t v = 0;
	if (t->len == 0 || t->len > 10 || t->p[0] == '0')
		return PA_EINVAL;
	for (size_t i = 0; i < t->len; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return PA_EINVAL;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > UINT32_MAX)
		return PA_EINVAL;
	*id = (uint32_t)v;
	return 0;
}

static int parse_line(pa_keys_t *k, const char *p, size_t len, const char *name, int line,
                      pa_err_t *err)
{
	struct token tok[4];
	size_t ntok = 0;
	const char *end = p + len;

	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if (c == '#')
			break;
		if (c == ' ' || c == '\t' || c == '\r') {
			p++;
			continue;
		}
		const char *start = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '#') {
			unsigned char d = (unsigned char)*p;
			if (d < 0x20 || d == 0x7F)
				return bad_line(err, name, line, "control character");
			p++;
		}
		if (ntok == ARRAY_SIZE(tok))
			return bad_line(err, name, line, "too many fields");
		tok[ntok].p = start;
		tok[ntok].len = (size_t)(p - start);
		ntok++;
	}
	if (ntok == 0)
		return 0;

	if (tok_is(&tok[0], "pii")) {
		uint32_t id;
		if (ntok != 3)
			return bad_line(err, name, line, "expected 'pii <id> <base64 key>'");
		if (parse_id(&tok[1], &id) < 0)
			return bad_line(err, name, line, "the key id is not a number from 1 to 4294967295");
		if (find_key(k, id))
			return bad_line(err, name, line, "duplicate pii key id");
		if (k->npii == PA_KEYS_MAX)
			return bad_line(err, name, line, "too many pii keys");
		struct pii_key *pk = &k->pii[k->npii];
		int rc = decode_key(&tok[2], pk->key, name, line, err);
		if (rc < 0)
			return rc;
		pk->id = id;
		k->npii++;
		if (id > k->current)
			k->current = id;
		return 0;
	}
	if (tok_is(&tok[0], "lookup")) {
		if (ntok != 2)
			return bad_line(err, name, line, "expected 'lookup <base64 key>'");
		if (k->has_lookup)
			return bad_line(err, name, line, "a second lookup key");
		int rc = decode_key(&tok[1], k->lookup, name, line, err);
		if (rc < 0)
			return rc;
		k->has_lookup = true;
		return 0;
	}
	return bad_line(err, name, line, "unknown entry (expected 'pii <id> <key>' or 'lookup <key>')");
}

int keys_load_text(const char *text, const char *name, pa_keys_t **out, pa_err_t *err)
{
	*out = NULL;
	if (!name)
		name = "keys";
	if (!text)
		return pa_fail(err, PA_EINVAL, "config", "keys", "%s: no key text", name);
	if (strnlen(text, KEYS_TEXT_MAX + 1) > KEYS_TEXT_MAX)
		return pa_fail(err, PA_EINVAL, "config", "keys", "%s: larger than %d bytes", name,
		               KEYS_TEXT_MAX);
	if (sodium_init() < 0)
		return pa_fail(err, PA_EINTERNAL, "internal", "", "libsodium failed to initialize");

	pa_keys_t *k = keys_alloc();
	const char *p = text;
	int line = 0;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		line++;
		int rc = parse_line(k, p, len, name, line, err);
		if (rc < 0) {
			keys_free(k);
			return rc;
		}
		p += len + (nl ? 1 : 0);
	}
	if (k->npii == 0 || !k->has_lookup) {
		const char *missing = k->npii == 0 ? "pii <id> <key>" : "lookup <key>";
		keys_free(k);
		return pa_fail(err, PA_EINVAL, "config", "keys", "%s: no '%s' line", name, missing);
	}
	sodium_mprotect_readonly(k);
	*out = k;
	return 0;
}

/* Reads the whole file into heap memory the caller wipes and frees. */
static int read_text_file(const char *path, char **out, size_t *outlen, pa_err_t *err)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int code = errno == ENOENT ? PA_ENOTFOUND : PA_EIO;
		return pa_fail(err, code, "config", "keys", "%s: %s", path, strerror(errno));
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pa_fail(err, PA_EIO, "config", "keys", "%s: not a regular file", path);
	}
	if (st.st_size > KEYS_TEXT_MAX) {
		close(fd);
		return pa_fail(err, PA_EINVAL, "config", "keys", "%s: larger than %d bytes", path,
		               KEYS_TEXT_MAX);
	}
	if (st.st_mode & 077)
		log_warn("%s: key file is readable by others (mode %03o); chmod 600 it", path,
		         (unsigned)(st.st_mode & 0777));
	size_t cap = (size_t)st.st_size + 1, len = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			sodium_memzero(buf, cap + 1);
			free(buf);
			return pa_fail(err, PA_EIO, "config", "keys", "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {  /* grew while we read: refuse rather than chase it */
			close(fd);
			sodium_memzero(buf, cap + 1);
			free(buf);
			return pa_fail(err, PA_EIO, "config", "keys", "%s: changed while being read", path);
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static void wipe_free(char *buf, size_t len)
{
	if (buf) {
		sodium_memzero(buf, len);
		free(buf);
	}
}

static int load_file_only(const char *path, pa_keys_t **out, pa_err_t *err)
{
	char *text;
	size_t len;
	int rc = read_text_file(path, &text, &len, err);
	if (rc < 0)
		return rc;
	if (strlen(text) != len) {
		wipe_free(text, len);
		return pa_fail(err, PA_EINVAL, "config", "keys", "%s: contains a NUL byte", path);
	}
	rc = keys_load_text(text, path, out, err);
	wipe_free(text, len);
	return rc;
}

int keys_load_file(const char *path, pa_keys_t **out, pa_err_t *err)
{
	const char *env = getenv("PINGAN_KEYS");
	*out = NULL;
	if (env && *env)
		return keys_load_text(env, "PINGAN_KEYS", out, err);
	return load_file_only(path, out, err);
}

static void fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) != 0)
			log_warn("fsync %s: %s", dir, strerror(errno));
		close(fd);
	}
	free(dir);
}

/*
 * Writes data to path through a temporary file in the same directory: mode
 * 0600, fsync, rename, fsync of the directory.  With replace false it never
 * replaces an existing path (PA_ECONFLICT).
 */
static int write_file_atomic(const char *path, const char *data, size_t len, bool replace,
                             pa_err_t *err)
{
	size_t plen = strlen(path);
	char *tmp = xmalloc(plen + sizeof(".tmp.XXXXXX"));
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return pa_fail(err, PA_EIO, "io", "keys", "cannot create a file next to %s: %s", path,
		               strerror(e));
	}
	const char *what = NULL;
	int e = 0;
	if (fchmod(fd, 0600) != 0) {
		what = "chmod";
		e = errno;
	}
	for (size_t off = 0; !what && off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			what = "write";
			e = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
	}
	if (!what && fsync(fd) != 0) {
		what = "fsync";
		e = errno;
	}
	if (close(fd) != 0 && !what) {
		what = "close";
		e = errno;
	}
	if (!what) {
		int r;
		if (replace) {
			r = rename(tmp, path);
		} else {
			r = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);
			if (r != 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
				r = link(tmp, path);  /* also fails with EEXIST, never replaces */
				if (r == 0)
					unlink(tmp);
			}
		}
		if (r != 0) {
			e = errno;
			unlink(tmp);
			free(tmp);
			if (e == EEXIST)
				return pa_fail(err, PA_ECONFLICT, "conflict", "keys",
				               "%s already exists; not overwriting it", path);
			return pa_fail(err, PA_EIO, "io", "keys", "rename to %s: %s", path, strerror(e));
		}
		free(tmp);
		fsync_dir_of(path);
		return 0;
	}
	unlink(tmp);
	free(tmp);
	return pa_fail(err, PA_EIO, "io", "keys", "%s %s: %s", what, path, strerror(e));
}

/* Appends "<prefix><base64 of 32 fresh random bytes>\n" to sb. */
static void add_new_key(strbuf_t *sb, const char *prefix)
{
	unsigned char key[KEY_BYTES];
	char b64[sodium_base64_ENCODED_LEN(KEY_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	randombytes_buf(key, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	strbuf_addf(sb, "%s%s\n", prefix, b64);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
}

static void wipe_strbuf(strbuf_t *sb)
{
	if (sb->alloc)
		sodium_memzero(sb->buf, sb->alloc);
	strbuf_release(sb);
}

int keys_generate_file(const char *path, pa_err_t *err)
{
	struct stat st;
	if (sodium_init() < 0)
		return pa_fail(err, PA_EINTERNAL, "internal", "", "libsodium failed to initialize");
	if (lstat(path, &st) == 0)
		return pa_fail(err, PA_ECONFLICT, "conflict", "keys",
		               "%s already exists; not overwriting it", path);

	char when[32];
	pa_time_format(pa_now(), 0, when);
	strbuf_t sb = STRBUF_INIT;
	strbuf_grow(&sb, 512);  /* one allocation, so no key bytes are left in a freed buffer */
	strbuf_addf(&sb,
	            "# Pingan keys, generated %s.  Keep this file secret (mode 0600) and back it up:\n"
	            "# without it the personal data in the database cannot be read.\n"
	            "# pii <id> <key>: seals personal data; the highest id seals new data, older\n"
	            "#   ids keep old data readable after a rotation.\n"
	            "# lookup <key>: keyed hashes for exact-match search; never change it.\n",
	            when);
	add_new_key(&sb, "pii 1 ");
	add_new_key(&sb, "lookup ");
	int rc = write_file_atomic(path, sb.buf, sb.len, false, err);
	wipe_strbuf(&sb);
	return rc;
}

int keys_rotate_file(const char *path, pa_err_t *err)
{
	char *text;
	size_t len;
	pa_keys_t *k;
	int rc = read_text_file(path, &text, &len, err);
	if (rc < 0)
		return rc;
	rc = keys_load_text(text, path, &k, err);
	if (rc < 0) {
		wipe_free(text, len);
		return rc;
	}
	uint32_t next = k->current + 1;
	bool full = k->npii >= PA_KEYS_MAX || k->current == UINT32_MAX;
	keys_free(k);
	if (full) {
		wipe_free(text, len);
		return pa_fail(err, PA_ECONFLICT, "conflict", "keys",
		               "%s: no room for another pii key (at most %d)", path, PA_KEYS_MAX);
	}

	char when[32], prefix[32];
	pa_time_format(pa_now(), 0, when);
	snprintf(prefix, sizeof(prefix), "pii %u ", (unsigned)next);
	strbuf_t sb = STRBUF_INIT;
	strbuf_grow(&sb, len + 256);
	strbuf_add(&sb, text, len);
	wipe_free(text, len);
	if (sb.len > 0 && sb.buf[sb.len - 1] != '\n')
		strbuf_addch(&sb, '\n');
	strbuf_addf(&sb, "# rotated %s\n", when);
	add_new_key(&sb, prefix);
	rc = write_file_atomic(path, sb.buf, sb.len, true, err);
	wipe_strbuf(&sb);
	return rc;
}

/* ---- sealing ------------------------------------------------------------------- */

int pii_seal(const pa_keys_t *k, arena_t *a, const char *aad, const char *plain, pa_blob_t *out)
{
	out->data = NULL;
	out->len = 0;
	if (!k || !aad || !plain)
		return PA_EINVAL;
	const struct pii_key *key = find_key(k, k->current);
	if (!key)
		return PA_EINTERNAL;

	size_t plen = strlen(plain);
	size_t n = st_add(st_add(SEAL_HEADER, plen), SEAL_TAG);
	uint8_t *b = arena_alloc(a, n);
	b[0] = SEAL_VERSION;
	b[1] = (uint8_t)(key->id >> 24);
	b[2] = (uint8_t)(key->id >> 16);
	b[3] = (uint8_t)(key->id >> 8);
	b[4] = (uint8_t)key->id;
	randombytes_buf(b + 5, SEAL_NONCE);
	unsigned long long clen = 0;
	crypto_aead_xchacha20poly1305_ietf_encrypt(b + SEAL_HEADER, &clen, (const uint8_t *)plain,
	                                           plen, (const uint8_t *)aad, strlen(aad), NULL,
	                                           b + 5, key->key);
	out->data = b;
	out->len = SEAL_HEADER + (size_t)clen;
	return 0;
}

int pii_open(const pa_keys_t *k, arena_t *a, const char *aad, pa_blob_t in, char **plain)
{
	*plain = NULL;
	if (!k || !aad || !in.data || in.len < SEAL_HEADER + SEAL_TAG || in.data[0] != SEAL_VERSION)
		return PA_EINVAL;
	uint32_t id = (uint32_t)in.data[1] << 24 | (uint32_t)in.data[2] << 16 |
	              (uint32_t)in.data[3] << 8 | in.data[4];
	const struct pii_key *key = find_key(k, id);
	if (!key)
		return PA_ENOTFOUND;

	size_t clen = in.len - SEAL_HEADER;
	char *p = arena_alloc(a, clen - SEAL_TAG + 1);
	unsigned long long mlen = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt((uint8_t *)p, &mlen, NULL, in.data + SEAL_HEADER,
	                                               clen, (const uint8_t *)aad, strlen(aad),
	                                               in.data + 5, key->key) != 0)
		return PA_EINVAL;
	p[mlen] = '\0';
	if (memchr(p, '\0', (size_t)mlen))  /* never sealed by pii_seal */
		return PA_EINVAL;
	*plain = p;
	return 0;
}

/* ---- hashes and tokens ------------------------------------------------------------ */

static void hash_update_field(crypto_generichash_state *st, const char *s)
{
	uint64_t n = strlen(s);
	unsigned char len[8];
	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(n >> (56 - 8 * i));
	crypto_generichash_update(st, len, sizeof(len));
	crypto_generichash_update(st, (const unsigned char *)s, n);
}

void pii_lookup_hash(const pa_keys_t *k, const char *kind, const char *value, char out[PA_HASH_HEX])
{
	char norm[PHONE_NORM_MAX + ID_NORM_MAX + PA_QUERY_CODE_LEN + 1];
	const char *v = value ? value : "";
	unsigned char h[32];
	crypto_generichash_state st;

	if (!k) {
		log_error("pii_lookup_hash without keys");
		abort();
	}
	if (!kind)
		kind = "";
	if ((streq(kind, "phone") && phone_normalize(v, norm)) ||
	    (streq(kind, "id") && id_normalize(v, norm)) ||
	    (streq(kind, "query") && query_normalize(v, norm)))
		v = norm;
	crypto_generichash_init(&st, k->lookup, KEY_BYTES, sizeof(h));
	hash_update_field(&st, "pingan-lookup-v1");
	hash_update_field(&st, kind);
	hash_update_field(&st, v);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, PA_HASH_HEX, h, sizeof(h));
	sodium_memzero(norm, sizeof(norm));
	sodium_memzero(&st, sizeof(st));
}

void sha256_hex(const void *data, size_t len, char out[PA_HASH_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, PA_HASH_HEX, h, sizeof(h));
}

bool ct_streq(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	size_t n = strlen(a);
	if (strlen(b) != n)
		return false;
	return sodium_memcmp(a, b, n) == 0;
}

void ordered_uid(char out[33])
{
	static const char hex[] = "0123456789abcdef";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (int i = 11; i >= 0; i--, ms >>= 4)
		out[i] = hex[ms & 15];
	random_hex(out + 12, 10);
}

void random_hex(char *out, size_t nbytes)
{
	unsigned char buf[32];
	for (size_t done = 0; done < nbytes;) {
		size_t n = nbytes - done < sizeof(buf) ? nbytes - done : sizeof(buf);
		randombytes_buf(buf, n);
		sodium_bin2hex(out + 2 * done, 2 * n + 1, buf, n);
		done += n;
	}
	out[2 * nbytes] = '\0';
	sodium_memzero(buf, sizeof(buf));
}

void query_code_new(char out[PA_QUERY_CODE_LEN + 1])
{
	for (int i = 0; i < PA_QUERY_CODE_LEN; i++)
		out[i] = crockford[randombytes_uniform(32)];
	out[PA_QUERY_CODE_LEN] = '\0';
}

/* ---- passwords ------------------------------------------------------------------- */

int password_hash(const char *password, char *out, size_t outlen)
{
	if (!password || !out || outlen < crypto_pwhash_STRBYTES)
		return PA_EINVAL;
	size_t n = strlen(password);
	if (n > PA_PASSWORD_MAX)
		return PA_EINVAL;
	/* argon2id pinned, not crypto_pwhash_str's default, so a library
	 * upgrade cannot change the algorithm under us. */
	if (crypto_pwhash_str_alg(out, password, n, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		return PA_EINTERNAL;  /* out of memory for the 19 MiB */
	return 0;
}

bool password_verify(const char *hash, const char *password)
{
	if (!hash || !password)
		return false;
	size_t n = strlen(password);
	if (n > PA_PASSWORD_MAX || strnlen(hash, crypto_pwhash_STRBYTES) >= crypto_pwhash_STRBYTES)
		return false;
	return crypto_pwhash_str_verify(hash, password, n) == 0;
}

int password_check_policy(const char *password, pa_err_t *err)
{
	if (!password)
		return pa_fail(err, PA_EINVAL, "validation", "password", "a password is required");
	const unsigned char *p = (const unsigned char *)password;
	size_t n = strlen(password);
	if (n > PA_PASSWORD_MAX)
		return pa_fail(err, PA_EINVAL, "validation", "password",
		               "the password is longer than %d bytes", PA_PASSWORD_MAX);
	size_t chars = 0;
	bool lower = false, upper = false, digit = false, other = false;
	for (size_t i = 0; i < n; chars++) {
		uint32_t cp;
		size_t len = utf8_decode(p + i, n - i, &cp);
		if (len == 0)
			return pa_fail(err, PA_EINVAL, "validation", "password",
			               "the password is not valid UTF-8");
		if (is_control(cp))
			return pa_fail(err, PA_EINVAL, "validation", "password",
			               "the password contains a control character");
		i += len;
		if (cp >= 'a' && cp <= 'z')
			lower = true;
		else if (cp >= 'A' && cp <= 'Z')
			upper = true;
		else if (cp >= '0' && cp <= '9')
			digit = true;
		else
			other = true;
	}
	if (chars < PA_PASSWORD_MIN)
		return pa_fail(err, PA_EINVAL, "validation", "password",
		               "the password must have at least %d characters", PA_PASSWORD_MIN);
	if ((int)lower + (int)upper + (int)digit + (int)other < 2)
		return pa_fail(err, PA_EINVAL, "validation", "password",
		               "the password uses only one kind of character; mix letters, digits or "
		               "symbols");
	return 0;
}
