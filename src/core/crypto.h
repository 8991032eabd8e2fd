/*
 * crypto.h — secrets, personal data at rest, passwords, tokens (libsodium).
 *
 * Personal data (names, phone and ID numbers, addresses of parties) is
 * sealed with XChaCha20-Poly1305 (IETF AEAD).  The associated data is the
 * row's identity ("party/<uid>/<field>"), so a ciphertext copied into another
 * row or field does not decrypt.  A sealed value is
 *     0x01 | key_id (4 bytes, big-endian) | nonce (24) | ciphertext+tag
 * and the key id selects the key from the key file, so keys can be rotated:
 * new data uses the newest key, old data stays readable.
 *
 * Exact-match lookup of a phone or ID number at intake uses a keyed hash
 * (BLAKE2b keyed with the lookup key) of the normalized value — never the
 * clear text.  Public query codes are stored the same way.
 *
 * The key file (var/keys/pingan.keys, mode 0600, made by `pingan init`) is
 * text, one key per line:   pii <id> <base64 32 bytes>   |   lookup <base64 32 bytes>
 * '#' starts a comment.  PINGAN_KEYS (the file's content, for containers)
 * overrides the file.
 */
#ifndef PA_CRYPTO_H
#define PA_CRYPTO_H

#include "base/common.h"
#include "store/store.h"

#define PA_KEYS_MAX 32
#define PA_HASH_HEX 65           /* 64 hex digits + NUL */
#define PA_QUERY_CODE_LEN 10     /* Crockford base32: 50 bits */
#define PA_PASSWORD_MIN 10
#define PA_PASSWORD_MAX 256

typedef struct pa_keys pa_keys_t;

/* sodium_init(); call once at start.  0 or PA_EINTERNAL. */
int crypto_init(void);

int keys_load_file(const char *path, pa_keys_t **out, pa_err_t *err);
int keys_load_text(const char *text, const char *name, pa_keys_t **out, pa_err_t *err);
/* Writes a new key file (one pii key id 1, one lookup key) with mode 0600;
 * refuses to overwrite an existing file. */
int keys_generate_file(const char *path, pa_err_t *err);
/* Appends a new pii key with the next id (rotation). */
int keys_rotate_file(const char *path, pa_err_t *err);
void keys_free(pa_keys_t *k);
uint32_t keys_current_id(const pa_keys_t *k);

/* Seal / open one value.  `aad` is the row identity. */
int pii_seal(const pa_keys_t *k, arena_t *a, const char *aad, const char *plain, pa_blob_t *out);
/* PA_EINVAL for a forged, truncated or misplaced ciphertext; PA_ENOTFOUND for an unknown key id. */
int pii_open(const pa_keys_t *k, arena_t *a, const char *aad, pa_blob_t in, char **plain);

/* Keyed hash of `kind` ("phone", "id", "query") and a normalized value, hex.
 * The value is normalized here too (idempotent), so raw input hashes alike. */
void pii_lookup_hash(const pa_keys_t *k, const char *kind, const char *value, char out[PA_HASH_HEX]);

/* Normalization before hashing and validation: digits only for phones
 * (drops spaces, dashes, a leading +86); ID numbers upper-cased, 15 or 18
 * characters with the GB 11643 check digit for 18.  NULL when invalid. */
char *pii_normalize_phone(arena_t *a, const char *s);
char *pii_normalize_id_number(arena_t *a, const char *s);

/* Masks for lists: 138****1234, 110101********1234, 张*, 张*三, 福建省福州市****. UTF-8 aware.
 * Counted in code points; invalid bytes and control characters are never shown
 * (they become '*'), so a mask is always valid UTF-8; NULL or "" gives "".
 *   name:    1 char "*"; 2 chars first+"*" (张*); 3+ first, '*'s, last (张*三, 欧**娜).
 *   phone:   11+ digits first 3, '*'s, last 4; fewer '*'s and last 2; unparseable "****".
 *   id:      valid 15/18 first 6, '*'s, last 4; otherwise '*'s and last 2.
 *   address: the 省/市/区/县 prefix (at most 3 levels, up to the first county
 *            level) then "****"; "****" alone when there is no such prefix. */
char *mask_phone(arena_t *a, const char *s);
char *mask_id_number(arena_t *a, const char *s);
char *mask_name(arena_t *a, const char *s);
char *mask_address(arena_t *a, const char *s);

/* argon2id (crypto_pwhash_str), OWASP parameters (t=2, m=19 MiB). */
int password_hash(const char *password, char *out, size_t outlen);
bool password_verify(const char *hash, const char *password);
/* Length PA_PASSWORD_MIN..PA_PASSWORD_MAX, not all one character class. */
int password_check_policy(const char *password, pa_err_t *err);

/* Random bytes as lowercase hex (2*nbytes chars + NUL in out). */
void random_hex(char *out, size_t nbytes);
/* A unique row id for a UNIQUE column (party and outbox uids): 32 lowercase
 * hex chars, the first 12 the time in milliseconds, the other 20 random
 * (80 bits).  Ids made later sort later, so inserting one writes the last
 * page of the column's index, not a random page: with fully random ids every
 * row of a group commit dirtied a page of its own (14 of the 144 pages a
 * commit of ~40 submissions wrote).  Not secret: the time is the row's. */
void ordered_uid(char out[33]);
/* A new public query code (PA_QUERY_CODE_LEN Crockford base32 chars + NUL). */
void query_code_new(char out[PA_QUERY_CODE_LEN + 1]);
/* Normalizes user input of a query code (upper-case, O→0, I/L→1, drop spaces/dashes); NULL if invalid. */
char *query_code_normalize(arena_t *a, const char *s);

void sha256_hex(const void *data, size_t len, char out[PA_HASH_HEX]);
/* Constant-time equality of two NUL-terminated strings of equal length (false otherwise). */
bool ct_streq(const char *a, const char *b);

#endif
