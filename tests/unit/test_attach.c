/*
 * test_attach.c — type sniffing from bytes, clean names, content-addressed
 * storage.
 */
#include "base/common.h"
#include "core/attach.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIME_DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define MIME_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#define MIME_TEXT "text/plain; charset=utf-8"

static char tmpdir[64];

#define SNIFF(lit) attach_sniff(lit, sizeof(lit) - 1)

static void assert_sniff(const char *got, const char *want)
{
	if (!want && got)
		fail_msg("accepted as %s", got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("sniffed %s, want %s", got ? got : "NULL", want);
}

/* ---- a minimal ZIP writer (stored entries) --------------------------------- */

static void put16(strbuf_t *b, unsigned v)
{
	strbuf_addch(b, (int)(v & 0xFF));
	strbuf_addch(b, (int)((v >> 8) & 0xFF));
}

static void put32(strbuf_t *b, uint32_t v)
{
	put16(b, v & 0xFFFF);
	put16(b, v >> 16);
}

/* names[] become entries holding "x"; with_central adds the central
 * directory and end record that a real archive has. */
static void make_zip(strbuf_t *b, const char *const *names, size_t n, bool with_central)
{
	uint32_t offsets[16];
	assert_true(n <= 16);
	for (size_t i = 0; i < n; i++) {
		offsets[i] = (uint32_t)b->len;
		put32(b, 0x04034b50);
		put16(b, 20);     /* version needed */
		put16(b, 0);      /* flags */
		put16(b, 0);      /* stored */
		put16(b, 0);      /* time */
		put16(b, 0x21);   /* date */
		put32(b, 0x8cdc1683); /* crc32("x") */
		put32(b, 1);      /* compressed size */
		put32(b, 1);      /* uncompressed size */
		put16(b, (unsigned)strlen(names[i]));
		put16(b, 0);      /* extra */
		strbuf_adds(b, names[i]);
		strbuf_addch(b, 'x');
	}
	if (!with_central)
		return;
	uint32_t cd = (uint32_t)b->len;
	for (size_t i = 0; i < n; i++) {
		put32(b, 0x02014b50);
		put16(b, 20);
		put16(b, 20);
		put16(b, 0);
		put16(b, 0);
		put16(b, 0);
		put16(b, 0x21);
		put32(b, 0x8cdc1683);
		put32(b, 1);
		put32(b, 1);
		put16(b, (unsigned)strlen(names[i]));
		put16(b, 0); /* extra */
		put16(b, 0); /* comment */
		put16(b, 0); /* disk */
		put16(b, 0); /* internal attributes */
		put32(b, 0); /* external attributes */
		put32(b, offsets[i]);
		strbuf_adds(b, names[i]);
	}
	uint32_t cd_size = (uint32_t)b->len - cd;
	put32(b, 0x06054b50);
	put16(b, 0);
	put16(b, 0);
	put16(b, (unsigned)n);
	put16(b, (unsigned)n);
	put32(b, cd_size);
	put32(b, cd);
	put16(b, 0);
}

static const char *sniff_zip(const char *const *names, size_t n, bool with_central)
{
	strbuf_t b = STRBUF_INIT;
	make_zip(&b, names, n, with_central);
	const char *mime = attach_sniff(b.buf, b.len);
	strbuf_release(&b);
	return mime;
}

/* ---- sniffing --------------------------------------------------------------- */

static void test_sniff_images_pdf(void **state)
{
	assert_sniff(SNIFF("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), "application/pdf");
	assert_sniff(SNIFF("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\1"), "image/png");
	assert_sniff(SNIFF("\xFF\xD8\xFF\xE0\0\x10JFIF\0"), "image/jpeg");
	assert_sniff(SNIFF("\xFF\xD8\xFF\xE1\0\x10" "Exif\0"), "image/jpeg");
	assert_sniff(SNIFF("GIF87a\1\0\1\0\0\0\0"), "image/gif");
	assert_sniff(SNIFF("GIF89a\1\0\1\0\x80\0\0"), "image/gif");
	assert_sniff(SNIFF("RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0"), "image/webp");

	/* almost */
	assert_sniff(SNIFF("%PDF"), MIME_TEXT); /* just text */
	assert_sniff(SNIFF("\x89PNG\r\n\x1a"), NULL);
	assert_sniff(SNIFF("\xFF\xD8"), NULL);
	assert_sniff(SNIFF("RIFF\x24\0\0\0WAVEfmt "), NULL);
	assert_sniff(SNIFF("RIFF\x1a\0\0"), NULL);
}

static void test_sniff_name_does_not_matter(void **state)
{
	/* a PNG uploaded as "scan.pdf" is a PNG: the name never reaches the sniffer,
	 * and cleaning the name does not change what the bytes are */
	static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	arena_t *a = arena_new();
	assert_string_equal(attach_clean_name(a, "scan.pdf"), "scan.pdf");
	assert_sniff(attach_sniff(png, sizeof(png) - 1), "image/png");
	/* and a PDF called photo.png is a PDF */
	assert_sniff(SNIFF("%PDF-1.4\n"), "application/pdf");
	arena_free(a);
}

static void test_sniff_ooxml(void **state)
{
	static const char *const docx[] = { "[Content_Types].xml", "_rels/.rels",
		                            "word/document.xml" };
	static const char *const xlsx[] = { "[Content_Types].xml", "xl/workbook.xml",
		                            "xl/worksheets/sheet1.xml" };
	static const char *const docx_late_ct[] = { "word/document.xml", "[Content_Types].xml" };
	static const char *const pptx[] = { "[Content_Types].xml", "ppt/presentation.xml" };
	static const char *const no_ct[] = { "word/document.xml", "xl/workbook.xml" };
	static const char *const plain_zip[] = { "readme.txt", "photo.jpg" };
	static const char *const both[] = { "[Content_Types].xml", "word/document.xml",
		                            "xl/workbook.xml" };
	static const char *const docm[] = { "[Content_Types].xml", "word/document.xml",
		                            "word/vbaProject.bin" };
	static const char *const xlsm[] = { "[Content_Types].xml", "xl/workbook.xml",
		                            "xl/VBAProject.bin" };
	static const char *const ct_prefix[] = { "[Content_Types].xml.bak", "word/document.xml" };

	assert_sniff(sniff_zip(docx, ARRAY_SIZE(docx), true), MIME_DOCX);
	assert_sniff(sniff_zip(docx, ARRAY_SIZE(docx), false), MIME_DOCX); /* local headers only */
	assert_sniff(sniff_zip(docx_late_ct, ARRAY_SIZE(docx_late_ct), true), MIME_DOCX);
	assert_sniff(sniff_zip(xlsx, ARRAY_SIZE(xlsx), true), MIME_XLSX);
	assert_sniff(sniff_zip(xlsx, ARRAY_SIZE(xlsx), false), MIME_XLSX);
	assert_sniff(sniff_zip(pptx, ARRAY_SIZE(pptx), true), NULL);
	assert_sniff(sniff_zip(no_ct, ARRAY_SIZE(no_ct), true), NULL);
	assert_sniff(sniff_zip(plain_zip, ARRAY_SIZE(plain_zip), true), NULL);
	assert_sniff(sniff_zip(both, ARRAY_SIZE(both), true), NULL);
	assert_sniff(sniff_zip(docm, ARRAY_SIZE(docm), true), NULL);
	assert_sniff(sniff_zip(xlsm, ARRAY_SIZE(xlsm), false), NULL);
	assert_sniff(sniff_zip(ct_prefix, ARRAY_SIZE(ct_prefix), true), NULL);

	/* the first local header alone names [Content_Types].xml; word/ comes from
	 * the central directory of a streamed archive (data descriptor flag set) */
	strbuf_t b = STRBUF_INIT;
	make_zip(&b, docx, ARRAY_SIZE(docx), true);
	b.buf[6] = 0x08;
	assert_sniff(attach_sniff(b.buf, b.len), MIME_DOCX);
	/* truncated archives are refused, never read past the end ("PK" alone is text) */
	for (size_t n = 4; n < b.len; n++) {
		const char *mime = attach_sniff(b.buf, n);
		assert_true(mime == NULL || strcmp(mime, MIME_DOCX) == 0);
	}
	strbuf_release(&b);

	assert_sniff(SNIFF("PK\x03\x04"), NULL);
	assert_sniff(SNIFF("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), NULL);
}

static void test_sniff_text(void **state)
{
	assert_sniff(SNIFF("hello\n"), MIME_TEXT);
	assert_sniff(SNIFF("x"), MIME_TEXT);
	assert_sniff(SNIFF("  \n"), MIME_TEXT);
	assert_sniff(SNIFF("姓名\t张三\r\n地址：某区某街道 1 号\r\n"), MIME_TEXT);
	assert_sniff(SNIFF("\xEF\xBB\xBF" "带 BOM 的文本"), MIME_TEXT);
	assert_sniff(SNIFF("emoji \xF0\x9F\x98\x80 ok"), MIME_TEXT);
	assert_sniff(SNIFF("a < b and b > c\n"), MIME_TEXT); /* '<' later is fine */
	assert_sniff(SNIFF("{\"json\": true}"), MIME_TEXT);
}

static void test_sniff_refused(void **state)
{
	/* markup, however it is dressed */
	assert_sniff(SNIFF("<!DOCTYPE html><script>alert(1)</script>"), NULL);
	assert_sniff(SNIFF("<html><body>hi</body></html>"), NULL);
	assert_sniff(SNIFF("\n\n   \t<script>alert(1)</script>"), NULL);
	assert_sniff(SNIFF("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>"), NULL);
	assert_sniff(SNIFF("<?xml version=\"1.0\"?><svg/>"), NULL);
	assert_sniff(SNIFF("\xEF\xBB\xBF<svg/>"), NULL);
	assert_sniff(SNIFF("\xEF\xBB\xBF \r\n<html>"), NULL);
	assert_sniff(SNIFF("\xE3\x80\x80<html>"), NULL);       /* ideographic space */
	assert_sniff(SNIFF("\xC2\xA0<html>"), NULL);           /* no-break space */
	assert_sniff(SNIFF("\xEF\xBB\xBF\xEF\xBB\xBF<b>"), NULL); /* two BOMs */

	/* binaries */
	assert_sniff(SNIFF("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0"), NULL);
	assert_sniff(SNIFF("\x7f" "ELF"), NULL);
	assert_sniff(SNIFF("MZ\x90\0\x03\0\0\0"), NULL);
	assert_sniff(SNIFF("#!/bin/sh\nrm -rf /\n\0"), NULL);

	/* not UTF-8, or not text */
	assert_sniff(SNIFF("caf\xE9"), NULL);              /* Latin-1 */
	assert_sniff(SNIFF("\xC3\x28"), NULL);             /* bad continuation */
	assert_sniff(SNIFF("\xC0\xAF"), NULL);             /* overlong '/' */
	assert_sniff(SNIFF("\xED\xA0\x80"), NULL);         /* surrogate */
	assert_sniff(SNIFF("\xF4\x90\x80\x80"), NULL);     /* above U+10FFFF */
	assert_sniff(SNIFF("ok \xE4\xBD"), NULL);          /* truncated */
	assert_sniff(SNIFF("\xC4\xE3\xBA\xC3"), NULL);     /* GBK 你好 */
	assert_sniff(SNIFF("a\0b"), NULL);
	assert_sniff(SNIFF("\x1b[31mred"), NULL);
	assert_sniff(SNIFF("del\x7f"), NULL);
	assert_sniff(SNIFF("c1 \xC2\x85 control"), NULL);
	assert_sniff(SNIFF("\xEF\xBB\xBF"), NULL);         /* only a BOM */
	assert_sniff(attach_sniff("", 0), NULL);
	assert_sniff(attach_sniff(NULL, 0), NULL);
}

/* ---- names ------------------------------------------------------------------ */

static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3
		         : (*p & 0xF8) == 0xF0 ? 4 : 0;
		if (n == 0)
			return false;
		for (size_t k = 1; k < n; k++)
			if ((p[k] & 0xC0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static size_t chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void test_clean_names(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "report.pdf", "report.pdf" },
		{ "../../etc/passwd", "passwd" },
		{ "/abs/path/x.png", "x.png" },
		{ "C:\\Users\\张三\\Desktop\\信访材料.docx", "信访材料.docx" },
		{ "a\nb\tc\r.txt", "abc.txt" },
		{ "\x1b[31mred.txt", "[31mred.txt" },
		{ "del\x7f.txt", "del.txt" },
		{ "c1\xC2\x85.txt", "c1.txt" },
		{ "invoice\xE2\x80\xAE" "fdp.exe", "invoicefdp.exe" }, /* U+202E */
		{ "\xEF\xBB\xBF" "bom.txt", "bom.txt" },
		{ "bad\xFF.txt", "bad\xEF\xBF\xBD.txt" },
		{ "say \"hi\".txt", "say 'hi'.txt" },
		{ "  spaced name.txt  ", "spaced name.txt" },
		{ "trailing. . .", "trailing" },
		{ "", "attachment" },
		{ ".", "attachment" },
		{ "..", "attachment" },
		{ "dir/", "attachment" },
		{ "   ", "attachment" },
		{ "\x01\x02", "attachment" },
		{ "照片 2026-11-29.jpg", "照片 2026-11-29.jpg" },
	};
	arena_t *a = arena_new();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got = attach_clean_name(a, cases[i].in);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("%zu: \"%s\" -> \"%s\", want \"%s\"", i, cases[i].in, got, cases[i].want);
	}
	assert_string_equal(attach_clean_name(a, NULL), "attachment");
	arena_free(a);
}

static void test_clean_long_names(void **state)
{
	arena_t *a = arena_new();
	strbuf_t sb = STRBUF_INIT;

	/* 300 three-byte characters and an extension: cut on a character
	 * boundary, extension kept */
	for (int i = 0; i < 300; i++)
		strbuf_adds(&sb, "中");
	strbuf_adds(&sb, ".pdf");
	const char *got = attach_clean_name(a, sb.buf);
	assert_true(utf8_ok(got));
	assert_int_equal(chars(got), ATTACH_NAME_MAX);
	assert_int_equal(strlen(got), (ATTACH_NAME_MAX - 4) * 3 + 4);
	assert_string_equal(got + strlen(got) - 4, ".pdf");

	/* no extension: the first ATTACH_NAME_MAX characters */
	strbuf_reset(&sb);
	for (int i = 0; i < 400; i++)
		strbuf_adds(&sb, i % 2 ? "é" : "\xF0\x9F\x98\x80");
	got = attach_clean_name(a, sb.buf);
	assert_true(utf8_ok(got));
	assert_int_equal(chars(got), ATTACH_NAME_MAX);
	assert_int_equal(memcmp(got, sb.buf, strlen(got)), 0);

	/* an "extension" too long to be one is not kept */
	strbuf_reset(&sb);
	for (int i = 0; i < 200; i++)
		strbuf_addch(&sb, 'a');
	strbuf_addch(&sb, '.');
	for (int i = 0; i < 100; i++)
		strbuf_addch(&sb, 'b');
	got = attach_clean_name(a, sb.buf);
	assert_int_equal(strlen(got), ATTACH_NAME_MAX);
	assert_int_equal(got[ATTACH_NAME_MAX - 1], 'b');
	assert_int_equal(got[200], '.');

	/* exactly the limit is untouched */
	strbuf_reset(&sb);
	for (int i = 0; i < ATTACH_NAME_MAX; i++)
		strbuf_adds(&sb, "文");
	assert_string_equal(attach_clean_name(a, sb.buf), sb.buf);

	strbuf_release(&sb);
	arena_free(a);
}

/* ---- storage ---------------------------------------------------------------- */

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void remove_tree(const char *path)
{
	DIR *d = opendir(path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *child = join(path, e->d_name);
			remove_tree(child);
			free(child);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

#define HELLO_SHA "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static void test_store_twice(void **state)
{
	char *dir = join(tmpdir, "store/nested/attachments"); /* made with mkdir -p */
	char sha[65], sha2[65];
	pa_err_t err;
	if (attach_store(dir, "hello", 5, sha, &err))
		fail_msg("%s", err.detail);
	assert_string_equal(sha, HELLO_SHA);
	assert_int_equal(attach_store(dir, "hello", 5, sha2, &err), 0);
	assert_string_equal(sha2, sha);

	char *sub = join(dir, "2c");
	assert_int_equal(count_entries(sub), 1); /* one blob, no temporary left over */
	arena_t *a = arena_new();
	const char *path = attach_path(a, dir, sha);
	assert_non_null(path);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 5);
	assert_int_equal(st.st_mode & 0027, 0); /* not group-writable, not for others */
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0027, 0);

	/* different bytes, another blob */
	assert_int_equal(attach_store(dir, "hello!", 6, sha2, &err), 0);
	assert_string_not_equal(sha2, sha);

	/* the empty file has a name too */
	assert_int_equal(attach_store(dir, NULL, 0, sha2, &err), 0);
	assert_string_equal(sha2, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	/* a damaged blob (wrong size) is rewritten */
	assert_int_equal(truncate(path, 2), 0);
	assert_int_equal(attach_store(dir, "hello", 5, sha2, &err), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(count_entries(sub), 1);

	arena_free(a);
	free(sub);
	free(dir);
}

static void test_open(void **state)
{
	char *dir = join(tmpdir, "open");
	char sha[65];
	pa_err_t err;
	static const char body[] = "%PDF-1.4\nsome bytes\n";
	assert_int_equal(attach_store(dir, body, sizeof(body) - 1, sha, &err), 0);

	int fd = -1;
	int64_t size = -1;
	assert_int_equal(attach_open(dir, sha, &fd, &size), 0);
	assert_true(fd >= 0);
	assert_int_equal(size, (int64_t)sizeof(body) - 1);
	char buf[64];
	assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(body) - 1);
	assert_memory_equal(buf, body, sizeof(body) - 1);
	close(fd);

	/* absent, or not a sha256 at all: never touches a path built from it */
	assert_int_equal(attach_open(dir, HELLO_SHA, &fd, &size), PA_ENOTFOUND);
	static const char *const bad[] = {
		"../../../../etc/passwd",
		"2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
		"2cf24dba",
		HELLO_SHA "0",
		"2c/../../../../../../etc/passwd0000000000000000000000000000000000",
		"",
	};
	arena_t *a = arena_new();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(attach_open(dir, bad[i], &fd, &size), PA_ENOTFOUND);
		assert_null(attach_path(a, dir, bad[i]));
	}
	assert_int_equal(attach_open(dir, NULL, &fd, &size), PA_ENOTFOUND);
	char *want = join(dir, "2c/" HELLO_SHA);
	assert_string_equal(attach_path(a, dir, HELLO_SHA), want);
	free(want);
	arena_free(a);
	free(dir);
}

static void test_store_errors(void **state)
{
	pa_err_t err;
	char sha[65];
	/* the directory cannot be made: a file is in the way */
	char *file = join(tmpdir, "a-file");
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	char *dir = join(file, "attachments");
	assert_int_equal(attach_store(dir, "x", 1, sha, &err), PA_EIO);
	assert_string_equal(err.type, "internal");
	assert_null(strstr(err.detail, tmpdir)); /* no server path in what a client sees */
	assert_null(strstr(err.detail_zh, tmpdir));
	free(dir);

	/* a read-only directory (root ignores permissions, so only as a user) */
	if (geteuid() != 0) {
		dir = join(tmpdir, "readonly");
		assert_int_equal(mkdir(dir, 0500), 0);
		assert_int_equal(attach_store(dir, "x", 1, sha, &err), PA_EIO);
		chmod(dir, 0700);
		free(dir);
	}
	free(file);
}

/* A full disk is 503 with retry, not 500: needs a small file system to fill,
 * which an unprivileged test cannot mount; /dev/full gives ENOSPC on write
 * but cannot hold a directory.  Checked when PINGAN_TEST_FULL_DIR names a
 * directory on a full file system. */
static void test_store_disk_full(void **state)
{
	const char *full = getenv("PINGAN_TEST_FULL_DIR");
	if (!full) {
		skip();
		return;
	}
	pa_err_t err;
	char sha[65];
	size_t n = 4 * 1024 * 1024;
	char *big = xcalloc(1, n);
	memcpy(big, "%PDF-", 5);
	int rc = attach_store(full, big, n, sha, &err);
	free(big);
	assert_int_equal(rc, PA_EUNAVAIL);
	assert_string_equal(err.type, "unavailable");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pingan-test-attach-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sniff_images_pdf),
		cmocka_unit_test(test_sniff_name_does_not_matter),
		cmocka_unit_test(test_sniff_ooxml),
		cmocka_unit_test(test_sniff_text),
		cmocka_unit_test(test_sniff_refused),
		cmocka_unit_test(test_clean_names),
		cmocka_unit_test(test_clean_long_names),
		cmocka_unit_test(test_store_twice),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_store_errors),
		cmocka_unit_test(test_store_disk_full),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	remove_tree(tmpdir);
	return failed;
}
