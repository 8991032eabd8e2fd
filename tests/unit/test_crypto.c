/*
 * test_crypto.c — core/crypto: sealing, rotation, lookup hashes,
 * normalization, masks, passwords, query codes and the key file.
 */
#include "base/common.h"

#include "core/crypto.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* A key file text with pii keys filled with byte values `pii_fill` (ids 1..npii)
 * and a lookup key filled with `lookup_fill`. */
static char *key_text(int npii, unsigned char pii_fill, unsigned char lookup_fill)
{
	strbuf_t sb = STRBUF_INIT;
	unsigned char key[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	strbuf_adds(&sb, "# test keys\n\n");
	for (int i = 1; i <= npii; i++) {
		memset(key, pii_fill + i, sizeof(key));
		sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
		strbuf_addf(&sb, "pii %d %s   # key %d\n", i, b64, i);
	}
	memset(key, lookup_fill, sizeof(key));
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
	strbuf_addf(&sb, "lookup\t%s\n", b64);
	return strbuf_detach(&sb, NULL);
}

static pa_keys_t *load_keys(int npii, unsigned char pii_fill, unsigned char lookup_fill)
{
	char *text = key_text(npii, pii_fill, lookup_fill);
	pa_keys_t *k = NULL;
	pa_err_t err = {0};
	int rc = keys_load_text(text, "test", &k, &err);
	if (rc != 0)
		fail_msg("keys_load_text: %s", err.detail);
	free(text);
	return k;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static char *temp_dir(void)
{
	char tmpl[] = "/tmp/pingan-test-crypto-XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return xstrdup(d);
}

static void remove_dir(char *dir)
{
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* ---- sealing --------------------------------------------------------------- */

static void test_seal_roundtrip(void **state)
{
	arena_t *a = arena_new();
	pa_keys_t *k = load_keys(1, 0x10, 0x77);
	const char *values[] = {"张三", "", "13800138000", "福建省福州市鼓楼区五四路100号",
	                        "a longer value with \"quotes\" and\nnewlines"};
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		pa_blob_t b;
		char *plain = NULL;
		assert_int_equal(pii_seal(k, a, "party/u1/name", values[i], &b), 0);
		assert_int_equal(b.len, 1 + 4 + 24 + strlen(values[i]) + 16);
		assert_int_equal(b.data[0], 0x01);
		assert_int_equal(b.data[4], 1);
		assert_int_equal(pii_open(k, a, "party/u1/name", b, &plain), 0);
		assert_string_equal(plain, values[i]);
	}
	/* Two seals of one value differ (random nonce). */
	pa_blob_t b1, b2;
	assert_int_equal(pii_seal(k, a, "x", "same", &b1), 0);
	assert_int_equal(pii_seal(k, a, "x", "same", &b2), 0);
	assert_int_equal(b1.len, b2.len);
	assert_memory_not_equal(b1.data, b2.data, b1.len);
	keys_free(k);
	arena_free(a);
}

static void test_open_rejects_tampering(void **state)
{
	arena_t *a = arena_new();
	pa_keys_t *k = load_keys(1, 0x10, 0x77);
	pa_blob_t b;
	char *plain = (char *)"unchanged";
	assert_int_equal(pii_seal(k, a, "party/u1/phone", "13800138000", &b), 0);

	/* Copied into another row or field. */
	assert_int_equal(pii_open(k, a, "party/u2/phone", b, &plain), PA_EINVAL);
	assert_null(plain);
	assert_int_equal(pii_open(k, a, "party/u1/name", b, &plain), PA_EINVAL);
	assert_int_equal(pii_open(k, a, "", b, &plain), PA_EINVAL);

	/* Any flipped bit outside the key id: forged. */
	uint8_t *copy = arena_memdup(a, b.data, b.len);
	pa_blob_t t = {copy, b.len};
	for (size_t i = 0; i < b.len; i++) {
		if (i >= 1 && i <= 4)
			continue;
		copy[i] ^= 0x01;
		assert_int_equal(pii_open(k, a, "party/u1/phone", t, &plain), PA_EINVAL);
		copy[i] ^= 0x01;
	}
	/* A flipped key id names a key we do not have. */
	copy[4] ^= 0x40;
	assert_int_equal(pii_open(k, a, "party/u1/phone", t, &plain), PA_ENOTFOUND);
	copy[4] ^= 0x40;
	assert_int_equal(pii_open(k, a, "party/u1/phone", t, &plain), 0);
	assert_string_equal(plain, "13800138000");

	/* Truncated anywhere, including below the header. */
	for (size_t n = 0; n < b.len; n++) {
		pa_blob_t cut = {b.data, n};
		assert_int_equal(pii_open(k, a, "party/u1/phone", cut, &plain), PA_EINVAL);
	}
	pa_blob_t none = {NULL, 0};
	assert_int_equal(pii_open(k, a, "party/u1/phone", none, &plain), PA_EINVAL);

	/* Another key set cannot open it. */
	pa_keys_t *other = load_keys(1, 0x50, 0x77);
	assert_int_equal(pii_open(other, a, "party/u1/phone", b, &plain), PA_EINVAL);
	keys_free(other);
	keys_free(k);
	arena_free(a);
}

static void test_rotation(void **state)
{
	arena_t *a = arena_new();
	char *dir = temp_dir();
	char *path = arena_printf(a, "%s/pingan.keys", dir);
	pa_err_t err = {0};
	pa_keys_t *k1, *k2;

	unsetenv("PINGAN_KEYS");
	assert_int_equal(keys_generate_file(path, &err), 0);
	assert_int_equal(keys_load_file(path, &k1, &err), 0);
	assert_int_equal(keys_current_id(k1), 1);

	pa_blob_t old;
	char lookup1[PA_HASH_HEX], lookup2[PA_HASH_HEX];
	assert_int_equal(pii_seal(k1, a, "party/p/name", "李四", &old), 0);
	pii_lookup_hash(k1, "phone", "13800138000", lookup1);

	assert_int_equal(keys_rotate_file(path, &err), 0);
	assert_int_equal(keys_load_file(path, &k2, &err), 0);
	assert_int_equal(keys_current_id(k2), 2);

	char *plain;
	assert_int_equal(pii_open(k2, a, "party/p/name", old, &plain), 0);
	assert_string_equal(plain, "李四");

	pa_blob_t fresh;
	assert_int_equal(pii_seal(k2, a, "party/p/name", "王五", &fresh), 0);
	static const uint8_t id2[5] = {0x01, 0, 0, 0, 2};
	assert_memory_equal(fresh.data, id2, 5);
	assert_int_equal(pii_open(k2, a, "party/p/name", fresh, &plain), 0);
	assert_string_equal(plain, "王五");
	/* The old key set does not know key 2. */
	assert_int_equal(pii_open(k1, a, "party/p/name", fresh, &plain), PA_ENOTFOUND);

	/* The lookup key never rotates: existing hashes still match. */
	pii_lookup_hash(k2, "phone", "13800138000", lookup2);
	assert_string_equal(lookup1, lookup2);

	/* Rotate again; the file stays 0600. */
	keys_free(k2);
	assert_int_equal(keys_rotate_file(path, &err), 0);
	assert_int_equal(keys_load_file(path, &k2, &err), 0);
	assert_int_equal(keys_current_id(k2), 3);
	assert_int_equal(pii_open(k2, a, "party/p/name", old, &plain), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	keys_free(k1);
	keys_free(k2);
	remove_dir(dir);
	arena_free(a);
}

static void test_rotation_limit(void **state)
{
	arena_t *a = arena_new();
	char *dir = temp_dir();
	char *path = arena_printf(a, "%s/pingan.keys", dir);
	pa_err_t err = {0};
	assert_int_equal(keys_generate_file(path, &err), 0);
	for (int i = 2; i <= PA_KEYS_MAX; i++)
		assert_int_equal(keys_rotate_file(path, &err), 0);
	assert_int_equal(keys_rotate_file(path, &err), PA_ECONFLICT);
	pa_keys_t *k;
	assert_int_equal(keys_load_file(path, &k, &err), 0);
	assert_int_equal(keys_current_id(k), PA_KEYS_MAX);
	keys_free(k);
	remove_dir(dir);
	arena_free(a);
}

/* ---- lookup hashes and normalization ----------------------------------------------- */

static void test_lookup_hash(void **state)
{
	pa_keys_t *k = load_keys(1, 0x10, 0x77);
	pa_keys_t *other = load_keys(1, 0x10, 0x78);
	char h1[PA_HASH_HEX], h2[PA_HASH_HEX], h3[PA_HASH_HEX], h4[PA_HASH_HEX];

	pii_lookup_hash(k, "phone", "138 0013 8000", h1);
	pii_lookup_hash(k, "phone", "+86 13800138000", h2);
	pii_lookup_hash(k, "phone", "13800138000", h3);
	assert_int_equal(strlen(h1), 64);
	assert_string_equal(h1, h2);
	assert_string_equal(h1, h3);
	pii_lookup_hash(k, "phone", "0086-138-0013-8000", h2);
	assert_string_equal(h1, h2);
	pii_lookup_hash(k, "phone", "１３８００１３８０００", h2);  /* full-width digits */
	assert_string_equal(h1, h2);

	/* Another number, another kind, another key: all differ. */
	pii_lookup_hash(k, "phone", "13800138001", h2);
	assert_string_not_equal(h1, h2);
	pii_lookup_hash(k, "id", "13800138000", h2);
	assert_string_not_equal(h1, h2);
	pii_lookup_hash(other, "phone", "13800138000", h4);
	assert_string_not_equal(h1, h4);

	/* ID numbers: case and spaces do not matter. */
	pii_lookup_hash(k, "id", "11010519491231002x", h1);
	pii_lookup_hash(k, "id", "110105 19491231 002X", h2);
	assert_string_equal(h1, h2);
	/* Query codes: normalized too. */
	pii_lookup_hash(k, "query", "abcd-efgh-jk", h1);
	pii_lookup_hash(k, "query", "ABCDEFGHJK", h2);
	assert_string_equal(h1, h2);
	keys_free(k);
	keys_free(other);
}

static void test_normalize_phone(void **state)
{
	arena_t *a = arena_new();
	assert_string_equal(pii_normalize_phone(a, "138 0013 8000"), "13800138000");
	assert_string_equal(pii_normalize_phone(a, "+86 138-0013-8000"), "13800138000");
	assert_string_equal(pii_normalize_phone(a, "+8613800138000"), "13800138000");
	assert_string_equal(pii_normalize_phone(a, "8613800138000"), "13800138000");
	assert_string_equal(pii_normalize_phone(a, "(0591) 8765-4321"), "059187654321");
	assert_string_equal(pii_normalize_phone(a, "0591.87654321"), "059187654321");
	assert_string_equal(pii_normalize_phone(a, "+852 1234 5678"), "0085212345678");
	assert_string_equal(pii_normalize_phone(a, "00852 1234 5678"), "0085212345678");
	assert_string_equal(pii_normalize_phone(a, "12345"), "12345");
	assert_null(pii_normalize_phone(a, ""));
	assert_null(pii_normalize_phone(a, "1380013800"));    /* mobile with 10 digits */
	assert_null(pii_normalize_phone(a, "138001380001"));  /* and with 12 */
	assert_null(pii_normalize_phone(a, "1234"));
	assert_null(pii_normalize_phone(a, "138-0013-800a"));
	assert_null(pii_normalize_phone(a, "138+00138000"));
	assert_null(pii_normalize_phone(a, "+86"));
	assert_null(pii_normalize_phone(a, "123456789012345678901"));
	assert_null(pii_normalize_phone(a, "\xff\xfe"));
	assert_null(pii_normalize_phone(a, NULL));
	arena_free(a);
}

static void test_id_number(void **state)
{
	arena_t *a = arena_new();
	assert_string_equal(pii_normalize_id_number(a, "11010519491231002X"), "11010519491231002X");
	assert_string_equal(pii_normalize_id_number(a, "11010519491231002x"), "11010519491231002X");
	assert_string_equal(pii_normalize_id_number(a, " 110105 19491231 002x "),
	                    "11010519491231002X");
	assert_string_equal(pii_normalize_id_number(a, "440304199001011233"), "440304199001011233");
	assert_string_equal(pii_normalize_id_number(a, "350102198001010011"), "350102198001010011");
	assert_string_equal(pii_normalize_id_number(a, "110101900307803"), "110101900307803");
	/* Wrong check digit. */
	assert_null(pii_normalize_id_number(a, "110105194912310021"));
	assert_null(pii_normalize_id_number(a, "440304199001011234"));
	/* Shape. */
	assert_null(pii_normalize_id_number(a, "11010519491231002"));
	assert_null(pii_normalize_id_number(a, "11010519491231002X0"));
	assert_null(pii_normalize_id_number(a, "1101051949123X002X"));
	assert_null(pii_normalize_id_number(a, "11010190030780X"));
	assert_null(pii_normalize_id_number(a, "11010519491231002Y"));
	assert_null(pii_normalize_id_number(a, ""));
	assert_null(pii_normalize_id_number(a, NULL));
	arena_free(a);
}

/* ---- masks ------------------------------------------------------------------------- */

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
		if (n == 0 || (n == 2 && *p < 0xC2))
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void test_mask_phone_id(void **state)
{
	arena_t *a = arena_new();
	assert_string_equal(mask_phone(a, "13800131234"), "138****1234");
	assert_string_equal(mask_phone(a, "+86 138 0013 1234"), "138****1234");
	assert_string_equal(mask_phone(a, "87654321"), "******21");
	assert_string_equal(mask_phone(a, "12345"), "***45");
	assert_string_equal(mask_phone(a, "0591-87654321"), "059*****4321");
	assert_string_equal(mask_phone(a, "not a phone"), "****");
	assert_string_equal(mask_phone(a, ""), "");
	assert_string_equal(mask_phone(a, "   "), "");
	assert_string_equal(mask_phone(a, NULL), "");

	assert_string_equal(mask_id_number(a, "11010119900307803X"), "110101********803X");
	/* A wrong check digit is not an ID number: only the last 2 are shown. */
	assert_string_equal(mask_id_number(a, "110101199003071234"), "****************34");
	assert_string_equal(mask_id_number(a, "11010519491231002x"), "110105********002X");
	assert_string_equal(mask_id_number(a, "440304199001011233"), "440304********1233");
	assert_string_equal(mask_id_number(a, "110101900307803"), "110101*****7803");
	assert_string_equal(mask_id_number(a, "E12345678"), "*******78");
	assert_string_equal(mask_id_number(a, "12"), "**");
	assert_string_equal(mask_id_number(a, ""), "");
	assert_string_equal(mask_id_number(a, NULL), "");
	arena_free(a);
}

static void test_mask_name(void **state)
{
	arena_t *a = arena_new();
	assert_string_equal(mask_name(a, "张"), "*");
	assert_string_equal(mask_name(a, "张三"), "张*");
	assert_string_equal(mask_name(a, "张小三"), "张*三");
	assert_string_equal(mask_name(a, "欧阳娜娜"), "欧**娜");
	assert_string_equal(mask_name(a, "阿卜杜·热合曼"), "阿*****曼");
	assert_string_equal(mask_name(a, "  李四 "), "李*");
	assert_string_equal(mask_name(a, "John Smith"), "J********h");
	assert_string_equal(mask_name(a, "Al"), "A*");
	assert_string_equal(mask_name(a, "X"), "*");
	assert_string_equal(mask_name(a, "𠮷野家"), "𠮷*家");  /* 4-byte character */
	assert_string_equal(mask_name(a, ""), "");
	assert_string_equal(mask_name(a, "   "), "");
	assert_string_equal(mask_name(a, NULL), "");

	/* Invalid UTF-8 is never shown, and the mask is always valid UTF-8. */
	const char *bad[] = {"\xff", "\xff\xfe", "\xe5\xbc\xa0\xff", "\xe5\xbc", "\xe5\xbc\xa0\xe4",
	                     "\xc0\x80\xe5\xbc\xa0", "\xed\xa0\x80x", "\xf4\x90\x80\x80yz",
	                     "a\001b"};
	const char *want[] = {"*", "**", "张*", "**", "张*", "**张", "***x", "*****z", "a*b"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *m = mask_name(a, bad[i]);
		assert_true(valid_utf8(m));
		assert_string_equal(m, want[i]);
		assert_true(valid_utf8(mask_address(a, bad[i])));
		assert_true(valid_utf8(mask_id_number(a, bad[i])));
		assert_true(valid_utf8(mask_phone(a, bad[i])));
	}
	arena_free(a);
}

static void test_mask_address(void **state)
{
	arena_t *a = arena_new();
	assert_string_equal(mask_address(a, "福建省福州市五四路100号"), "福建省福州市****");
	assert_string_equal(mask_address(a, "福建省福州市鼓楼区五四路100号"), "福建省福州市鼓楼区****");
	assert_string_equal(mask_address(a, "北京市朝阳区建国路88号"), "北京市朝阳区****");
	assert_string_equal(mask_address(a, "福建省福州市福清市音西街道1号"), "福建省福州市福清市****");
	assert_string_equal(mask_address(a, "广东省广州市天河区体育西路"), "广东省广州市天河区****");
	assert_string_equal(mask_address(a, "新疆维吾尔自治区乌鲁木齐市天山区解放北路1号"),
	                    "新疆维吾尔自治区乌鲁木齐市天山区****");
	/* Not administrative levels. */
	assert_string_equal(mask_address(a, "福州市温泉小区3号楼"), "福州市****");
	assert_string_equal(mask_address(a, "台江区南门兜菜市场2号"), "台江区****");
	assert_string_equal(mask_address(a, "五一广场菜市场东门"), "****");
	assert_string_equal(mask_address(a, "12 Main Street, Springfield"), "****");
	/* All prefix: nothing to hide. */
	assert_string_equal(mask_address(a, "福建省福州市"), "福建省福州市");
	assert_string_equal(mask_address(a, ""), "");
	assert_string_equal(mask_address(a, NULL), "");
	assert_string_equal(mask_address(a, "\xff\xfe省福州市"), "****");
	arena_free(a);
}

/* ---- passwords, codes, tokens ------------------------------------------------------- */

static void test_password(void **state)
{
	char hash[crypto_pwhash_STRBYTES];
	assert_int_equal(password_hash("correct horse 7", hash, sizeof(hash)), 0);
	assert_true(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_true(password_verify(hash, "correct horse 7"));
	assert_false(password_verify(hash, "correct horse 8"));
	assert_false(password_verify(hash, ""));
	assert_false(password_verify("", "correct horse 7"));
	assert_false(password_verify("$argon2id$garbage", "correct horse 7"));
	assert_false(password_verify(NULL, "x"));
	assert_false(password_verify(hash, NULL));

	char hash2[crypto_pwhash_STRBYTES];
	assert_int_equal(password_hash("correct horse 7", hash2, sizeof(hash2)), 0);
	assert_string_not_equal(hash, hash2);  /* salted */
	assert_int_equal(password_hash("x", hash2, 10), PA_EINVAL);

	pa_err_t err = {0};
	assert_int_equal(password_check_policy("Tr0ub4dor&3x", &err), 0);
	assert_int_equal(password_check_policy("correct horse", &err), 0);  /* letters + space */
	assert_int_equal(password_check_policy("密码是很长的密码abc", &err), 0);
	assert_int_equal(password_check_policy("short1A", &err), PA_EINVAL);
	assert_string_equal(err.field, "password");
	assert_non_null(strstr(err.detail, "10"));
	assert_int_equal(password_check_policy("alllowercaseletters", &err), PA_EINVAL);
	assert_non_null(strstr(err.detail, "one kind"));
	assert_int_equal(password_check_policy("12345678901234", &err), PA_EINVAL);
	assert_int_equal(password_check_policy("ABCDEFGHIJKL", &err), PA_EINVAL);
	assert_int_equal(password_check_policy("密码密码密码密码密码", &err), PA_EINVAL);
	assert_int_equal(password_check_policy("abcdefghij\xff", &err), PA_EINVAL);
	assert_int_equal(password_check_policy("abcdefghij\t1", &err), PA_EINVAL);
	assert_int_equal(password_check_policy(NULL, &err), PA_EINVAL);
	char longpw[PA_PASSWORD_MAX + 2];
	memset(longpw, 'a', sizeof(longpw));
	longpw[0] = '1';
	longpw[PA_PASSWORD_MAX] = '\0';
	assert_int_equal(password_check_policy(longpw, &err), 0);
	longpw[PA_PASSWORD_MAX] = 'a';
	longpw[PA_PASSWORD_MAX + 1] = '\0';
	assert_int_equal(password_check_policy(longpw, &err), PA_EINVAL);
}

static int cmp_code(const void *x, const void *y)
{
	return strcmp(x, y);
}

static void test_query_codes(void **state)
{
	arena_t *a = arena_new();
	static char codes[1000][PA_QUERY_CODE_LEN + 1];
	for (int i = 0; i < 1000; i++) {
		query_code_new(codes[i]);
		assert_int_equal(strlen(codes[i]), PA_QUERY_CODE_LEN);
		for (int j = 0; j < PA_QUERY_CODE_LEN; j++)
			assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", codes[i][j]));
		/* A fresh code is already normal. */
		assert_string_equal(query_code_normalize(a, codes[i]), codes[i]);
	}
	qsort(codes, 1000, sizeof(codes[0]), cmp_code);
	for (int i = 1; i < 1000; i++)
		assert_string_not_equal(codes[i - 1], codes[i]);

	arena_free(a);
}

static void test_query_code_normalize(void **state)
{
	arena_t *a = arena_new();
	assert_string_equal(query_code_normalize(a, "abcd-efgh-jk"), "ABCDEFGHJK");
	assert_string_equal(query_code_normalize(a, "ABCD EFGH JK"), "ABCDEFGHJK");
	assert_string_equal(query_code_normalize(a, "oOiIlL-2345"), "0011112345");
	assert_string_equal(query_code_normalize(a, "ｏｏｉｉ２３４５６７"), "0011234567");
	assert_null(query_code_normalize(a, "ABCDEFGHJ"));    /* 9 */
	assert_null(query_code_normalize(a, "ABCDEFGHJKM"));  /* 11 */
	assert_null(query_code_normalize(a, "ABCDEFGHJU"));   /* U is not Crockford */
	assert_null(query_code_normalize(a, "ABCDEFGHJ!"));
	assert_null(query_code_normalize(a, "ABCDEFGHJ\xff"));
	assert_null(query_code_normalize(a, ""));
	assert_null(query_code_normalize(a, NULL));
	arena_free(a);
}

static void test_tokens_and_hashes(void **state)
{
	char hex[2 * 100 + 1];
	random_hex(hex, 100);
	assert_int_equal(strlen(hex), 200);
	for (int i = 0; i < 200; i++)
		assert_non_null(strchr("0123456789abcdef", hex[i]));
	char hex2[2 * 16 + 1];
	random_hex(hex2, 16);
	assert_int_equal(strlen(hex2), 32);
	assert_true(strncmp(hex, hex2, 32) != 0);
	char none[1];
	random_hex(none, 0);
	assert_string_equal(none, "");

	char h[PA_HASH_HEX];
	sha256_hex("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256_hex("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	assert_true(ct_streq("abc", "abc"));
	assert_true(ct_streq("", ""));
	assert_false(ct_streq("abc", "abd"));
	assert_false(ct_streq("abc", "abcd"));
	assert_false(ct_streq("abcd", "abc"));
	assert_false(ct_streq(NULL, "abc"));
	assert_false(ct_streq("abc", NULL));
	assert_false(ct_streq(NULL, NULL));
}

/* ---- key file -------------------------------------------------------------------- */

static void expect_key_error(const char *text, const char *needle)
{
	pa_keys_t *k = (pa_keys_t *)(uintptr_t)1;
	pa_err_t err = {0};
	assert_int_equal(keys_load_text(text, "pingan.keys", &k, &err), PA_EINVAL);
	assert_null(k);
	if (!strstr(err.detail, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err.detail, needle);
}

static void test_key_file_errors(void **state)
{
	const char *k1 = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";  /* 32 × 0x01 */
	const char *k2 = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
	arena_t *a = arena_new();
#define T(...) arena_printf(a, __VA_ARGS__)
	expect_key_error(T("# keys\npii 1 %s\nbogus %s\nlookup %s\n", k1, k1, k2), "pingan.keys line 3:");
	expect_key_error(T("pii 1 %s\n\n\nlookup notbase64!\n", k1), "line 4: the key is not 32 bytes");
	expect_key_error(T("pii 1 %s\nlookup %.40s\n", k1, k2), "line 2: the key is not 32 bytes");
	expect_key_error(T("pii 1 %s\nlookup %sAA\n", k1, k2), "line 2:");
	expect_key_error(T("pii 0 %s\nlookup %s\n", k1, k2), "line 1: the key id");
	expect_key_error(T("pii 01 %s\nlookup %s\n", k1, k2), "line 1: the key id");
	expect_key_error(T("pii -1 %s\nlookup %s\n", k1, k2), "line 1: the key id");
	expect_key_error(T("pii 4294967296 %s\nlookup %s\n", k1, k2), "line 1: the key id");
	expect_key_error(T("pii x %s\nlookup %s\n", k1, k2), "line 1: the key id");
	expect_key_error(T("pii 1\nlookup %s\n", k2), "line 1: expected 'pii");
	expect_key_error(T("pii 1 %s extra\nlookup %s\n", k1, k2), "line 1: expected 'pii");
	expect_key_error(T("pii 1 %s\npii 1 %s\nlookup %s\n", k1, k2, k2), "line 2: duplicate");
	expect_key_error(T("pii 1 %s\nlookup %s\nlookup %s\n", k1, k2, k1), "line 3: a second lookup");
	expect_key_error(T("pii 1 %s\nlookup\n", k1), "line 2: expected 'lookup");
	expect_key_error(T("pii 1 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nlookup %s\n", k2),
	                 "line 1: the key is all zeros");
	expect_key_error(T("pii 1 %s\r\nlookup %s\x01\n", k1, k2), "line 2: control character");
	expect_key_error(T("lookup %s\n", k2), "no 'pii");
	expect_key_error(T("pii 1 %s\n", k1), "no 'lookup");
	expect_key_error("", "no 'pii");
	/* A key never appears in an error message. */
	expect_key_error(T("pii 1 %s\n%s\nlookup %s\n", k1, k2, k1), "line 2: unknown entry");
	pa_err_t err = {0};
	pa_keys_t *k;
	assert_int_equal(keys_load_text(T("pii 1 %s\n%s\n", k1, k2), "x", &k, &err), PA_EINVAL);
	assert_null(strstr(err.detail, k2));

	/* Good: comments, CRLF, tabs, ids out of order, no final newline. */
	assert_int_equal(keys_load_text(T("# c\r\n\tpii 7 %s # newest\r\npii 3 %s\r\nlookup %s", k1, k2,
	                                  k2),
	                                "x", &k, &err),
	                 0);
	assert_int_equal(keys_current_id(k), 7);
	keys_free(k);
	/* Too many pii keys. */
	strbuf_t sb = STRBUF_INIT;
	for (int i = 1; i <= PA_KEYS_MAX + 1; i++)
		strbuf_addf(&sb, "pii %d %s\n", i, k1);
	strbuf_addf(&sb, "lookup %s\n", k2);
	expect_key_error(sb.buf, T("line %d: too many pii keys", PA_KEYS_MAX + 1));
	strbuf_release(&sb);
#undef T
	arena_free(a);
}

static void test_key_file_generate(void **state)
{
	arena_t *a = arena_new();
	char *dir = temp_dir();
	char *path = arena_printf(a, "%s/pingan.keys", dir);
	pa_err_t err = {0};
	pa_keys_t *k;

	unsetenv("PINGAN_KEYS");
	assert_int_equal(keys_load_file(path, &k, &err), PA_ENOTFOUND);
	mode_t old = umask(0);  /* the file is 0600 whatever the umask */
	assert_int_equal(keys_generate_file(path, &err), 0);
	umask(old);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keys_load_file(path, &k, &err), 0);
	assert_int_equal(keys_current_id(k), 1);

	/* Refuses to overwrite; the file is unchanged and no temp file is left. */
	struct stat st2;
	assert_int_equal(keys_generate_file(path, &err), PA_ECONFLICT);
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	assert_int_equal(st.st_mtime, st2.st_mtime);
	char *other = arena_printf(a, "%s/other.keys", dir);
	FILE *f = fopen(other, "w");
	assert_non_null(f);
	fputs("not keys\n", f);
	fclose(f);
	assert_int_equal(keys_generate_file(other, &err), PA_ECONFLICT);
	f = fopen(other, "r");
	char line[32] = "";
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "not keys\n");
	int entries = 0;
	DIR *d = opendir(dir);
	while (readdir(d))
		entries++;
	closedir(d);
	assert_int_equal(entries, 4);  /* . .. pingan.keys other.keys */

	/* Two generated files hold different keys. */
	char *path2 = arena_printf(a, "%s/second.keys", dir);
	pa_keys_t *k2;
	assert_int_equal(keys_generate_file(path2, &err), 0);
	assert_int_equal(keys_load_file(path2, &k2, &err), 0);
	char h1[PA_HASH_HEX], h2[PA_HASH_HEX];
	pii_lookup_hash(k, "phone", "13800138000", h1);
	pii_lookup_hash(k2, "phone", "13800138000", h2);
	assert_string_not_equal(h1, h2);
	pa_blob_t b;
	char *plain;
	assert_int_equal(pii_seal(k, a, "r", "v", &b), 0);
	assert_int_equal(pii_open(k2, a, "r", b, &plain), PA_EINVAL);

	/* No directory: an I/O error, nothing created. */
	assert_int_equal(keys_generate_file(arena_printf(a, "%s/missing/x.keys", dir), &err), PA_EIO);

	/* PINGAN_KEYS overrides the file. */
	char *text = key_text(2, 0x30, 0x40);
	setenv("PINGAN_KEYS", text, 1);
	pa_keys_t *ke;
	assert_int_equal(keys_load_file(path, &ke, &err), 0);
	assert_int_equal(keys_current_id(ke), 2);
	unsetenv("PINGAN_KEYS");
	free(text);

	keys_free(ke);
	keys_free(k);
	keys_free(k2);
	remove_dir(dir);
	arena_free(a);
}

int main(void)
{
	if (crypto_init() != 0)
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seal_roundtrip),
		cmocka_unit_test(test_open_rejects_tampering),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_limit),
		cmocka_unit_test(test_lookup_hash),
		cmocka_unit_test(test_normalize_phone),
		cmocka_unit_test(test_id_number),
		cmocka_unit_test(test_mask_phone_id),
		cmocka_unit_test(test_mask_name),
		cmocka_unit_test(test_mask_address),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_query_codes),
		cmocka_unit_test(test_query_code_normalize),
		cmocka_unit_test(test_tokens_and_hashes),
		cmocka_unit_test(test_key_file_errors),
		cmocka_unit_test(test_key_file_generate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
