/*
 * attach.c — attachments: type by content, content-addressed storage.
 *
 * Sniffing.  attach_sniff looks only at the bytes: a table of magic numbers
 * (magics[]) for PDF, PNG, JPEG, GIF and WebP; a ZIP is an OOXML document
 * only when the names it lists — in its central directory and in the local
 * headers that can be walked from the start — include [Content_Types].xml
 * and either word/ (docx) or xl/ (xlsx), and no VBA project (docm/xlsm
 * carry macros); anything that is none of these is accepted only as plain
 * text: valid UTF-8, not empty, no NUL and no control characters but tab,
 * CR and LF.  Text whose first non-blank character is '<' is refused: HTML
 * and SVG are text, and a browser that guesses past our Content-Type would
 * run their scripts.  Everything else is NULL (the caller answers 415).
 *
 * Storage.  A blob lives at <dir>/<aa>/<sha256 hex>, aa being its first two
 * hex digits.  attach_store writes a temporary file (O_EXCL, in the same
 * directory so rename is atomic), fsyncs it, renames it into place and
 * fsyncs the directory; directories it creates are fsynced into their
 * parents.  Only then does it return, and only then does the caller commit
 * the row that points at the blob: an acknowledged attachment survives a
 * crash.  A blob already present with the right size is left alone, so
 * storing the same bytes twice is a no-op; two writers racing on the same
 * bytes rename identical files over each other, which is harmless.
 *
 * Names.  A sha256 argument that is not 64 lowercase hex digits never
 * reaches the file system: attach_open says PA_ENOTFOUND and attach_path
 * returns NULL, so no caller can build a path out of request input.
 *
 * Errors: a full disk or quota (ENOSPC, EDQUOT) is PA_EUNAVAIL ("unavailable",
 * 503, retry later); any other I/O failure is PA_EIO ("internal").  The
 * path goes to the log, not into the error detail a client may see.
 */
#include "base/common.h"
#include "core/attach.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ATTACH_ZIP_MAX_ENTRIES 20000  /* names read from one ZIP */
#define ATTACH_ZIP_COMMENT_MAX 65535  /* how far back the end record may be */
#define ATTACH_NAME_EXT_KEEP 16       /* an extension this short survives trimming */
#define ATTACH_TMP_TRIES 16           /* O_EXCL collisions before giving up */

#define MIME_TEXT "text/plain; charset=utf-8"
#define MIME_DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#define MIME_XLSX "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* ---- sniffing -------------------------------------------------------------- */

/* A type is known by up to two byte patterns at fixed offsets. */
static const struct magic {
	size_t off1;
	const char *bytes1;
	size_t off2;
	const char *bytes2; /* NULL when one pattern is enough */
	const char *mime;
} magics[] = {
	{ 0, "%PDF-", 0, NULL, "application/pdf" },
	{ 0, "\x89PNG\r\n\x1a\n", 0, NULL, "image/png" },
	{ 0, "\xFF\xD8\xFF", 0, NULL, "image/jpeg" },
	{ 0, "GIF87a", 0, NULL, "image/gif" },
	{ 0, "GIF89a", 0, NULL, "image/gif" },
	{ 0, "RIFF", 8, "WEBP", "image/webp" },
};

static bool bytes_at(const unsigned char *d, size_t len, size_t off, const char *pat)
{
	size_t n = strlen(pat);
	return off <= len && n <= len - off && memcmp(d + off, pat, n) == 0;
}

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* What the names in a ZIP say about it. */
struct zip_names {
	bool content_types, word, xl, macros;
	size_t count;
};

static bool name_is(const unsigned char *n, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(n, s, len) == 0;
}

static bool name_starts(const unsigned char *n, size_t len, const char *s)
{
	return len >= strlen(s) && memcmp(n, s, strlen(s)) == 0;
}

static void zip_note_name(struct zip_names *z, const unsigned char *n, size_t len)
{
	static const char vba[] = "vbaproject.bin";
	z->count++;
	if (name_is(n, len, "[Content_Types].xml"))
		z->content_types = true;
	if (name_starts(n, len, "word/"))
		z->word = true;
	if (name_starts(n, len, "xl/"))
		z->xl = true;
	if (len >= sizeof(vba) - 1 && strncasecmp((const char *)n + len - (sizeof(vba) - 1), vba,
	                                          sizeof(vba) - 1) == 0)
		z->macros = true;
}

/* Local file headers from the start, as far as their sizes say where the
 * next one is (an entry streamed with a data descriptor ends the walk). */
static void zip_walk_local(const unsigned char *d, size_t len, struct zip_names *z)
{
	size_t off = 0;
	while (z->count < ATTACH_ZIP_MAX_ENTRIES && off <= len && len - off >= 30 &&
	       le32(d + off) == 0x04034b50) {
		uint32_t flags = le16(d + off + 6), csize = le32(d + off + 18);
		size_t nlen = le16(d + off + 26), xlen = le16(d + off + 28);
		if (nlen > len - off - 30)
			return;
		zip_note_name(z, d + off + 30, nlen);
		if ((flags & 0x08) || csize == 0xFFFFFFFF)
			return;
		size_t next = off + 30 + nlen + xlen;
		if (next > len || csize > len - next)
			return;
		off = next + csize;
	}
}

/* The central directory, found through the end-of-central-directory record. */
static void zip_walk_central(const unsigned char *d, size_t len, struct zip_names *z)
{
	if (len < 22)
		return;
	size_t lowest = len - 22 > ATTACH_ZIP_COMMENT_MAX ? len - 22 - ATTACH_ZIP_COMMENT_MAX : 0;
	size_t eocd = len - 22;
	for (;; eocd--) {
		if (le32(d + eocd) == 0x06054b50)
			break;
		if (eocd == lowest)
			return;
	}
	size_t entries = le16(d + eocd + 10);
	size_t cd_size = le32(d + eocd + 12), cd_off = le32(d + eocd + 16);
	if (cd_off > eocd || cd_size > eocd - cd_off)
		return; /* also what ZIP64 (0xFFFFFFFF) looks like: not read */
	size_t off = cd_off, end = cd_off + cd_size;
	for (size_t i = 0; i < entries && z->count < ATTACH_ZIP_MAX_ENTRIES; i++) {
		if (end - off < 46 || le32(d + off) != 0x02014b50)
			return;
		size_t nlen = le16(d + off + 28), xlen = le16(d + off + 30), clen = le16(d + off + 32);
		if (nlen > end - off - 46)
			return;
		zip_note_name(z, d + off + 46, nlen);
		size_t step = 46 + nlen + xlen + clen;
		if (step > end - off)
			return;
		off += step;
	}
}

static const char *sniff_ooxml(const unsigned char *d, size_t len)
{
	struct zip_names z = { 0 };
	zip_walk_central(d, len, &z);
	zip_walk_local(d, len, &z);
	if (!z.content_types || z.macros || z.word == z.xl)
		return NULL;
	return z.word ? MIME_DOCX : MIME_XLSX;
}

/* Decodes the UTF-8 sequence at d[i]; returns its length, 0 if invalid. */
static size_t utf8_decode(const unsigned char *d, size_t len, size_t i, uint32_t *cp)
{
	unsigned char b = d[i];
	size_t n;
	uint32_t v;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if ((b & 0xE0) == 0xC0) {
		n = 2;
		v = b & 0x1F;
	} else if ((b & 0xF0) == 0xE0) {
		n = 3;
		v = b & 0x0F;
	} else if ((b & 0xF8) == 0xF0) {
		n = 4;
		v = b & 0x07;
	} else {
		return 0;
	}
	if (n > len - i)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((d[i + k] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (d[i + k] & 0x3F);
	}
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

/* C0 and C1 controls and DEL. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Blank characters a reader (or a browser) skips before the first real one. */
static bool is_blank(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0xA0 ||
	       cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 ||
	       cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

static bool is_plain_text(const unsigned char *d, size_t len)
{
	size_t i = bytes_at(d, len, 0, "\xEF\xBB\xBF") ? 3 : 0;
	if (i == len)
		return false;
	bool leading = true;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(d, len, i, &cp);
		if (n == 0)
			return false;
		if (is_control(cp) && cp != '\t' && cp != '\r' && cp != '\n')
			return false;
		if (leading && !is_blank(cp)) {
			if (cp == '<')
				return false; /* markup: HTML, SVG, XML */
			leading = false;
		}
		i += n;
	}
	return true;
}

static const char *const ext_pdf[] = { "pdf", NULL };
static const char *const ext_png[] = { "png", NULL };
static const char *const ext_jpeg[] = { "jpg", "jpeg", NULL };
static const char *const ext_gif[] = { "gif", NULL };
static const char *const ext_webp[] = { "webp", NULL };
static const char *const ext_text[] = { "txt", NULL };
static const char *const ext_docx[] = { "docx", NULL };
static const char *const ext_xlsx[] = { "xlsx", NULL };

static const attach_type_t types[] = {
	{ "application/pdf", ext_pdf }, { "image/png", ext_png },   { "image/jpeg", ext_jpeg },
	{ "image/gif", ext_gif },       { "image/webp", ext_webp }, { MIME_TEXT, ext_text },
	{ MIME_DOCX, ext_docx },        { MIME_XLSX, ext_xlsx },
};

const attach_type_t *attach_types(size_t *n)
{
	*n = ARRAY_SIZE(types);
	return types;
}

const char *attach_sniff(const void *data, size_t len)
{
	const unsigned char *d = data;
	if (!d || len == 0)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(magics); i++) {
		const struct magic *m = &magics[i];
		if (bytes_at(d, len, m->off1, m->bytes1) &&
		    (!m->bytes2 || bytes_at(d, len, m->off2, m->bytes2)))
			return m->mime;
	}
	if (bytes_at(d, len, 0, "PK\x03\x04"))
		return sniff_ooxml(d, len);
	return is_plain_text(d, len) ? MIME_TEXT : NULL;
}

/* ---- names ----------------------------------------------------------------- */

/* Invisible characters that change how a name reads: bidi overrides (the
 * "invoice\u202Efdp.exe" trick), marks, separators, the BOM. */
static bool is_format_char(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Byte offset of the first `count` characters of valid UTF-8 s. */
static size_t utf8_prefix(const char *s, size_t count)
{
	size_t i = 0;
	while (s[i] && count) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
		count--;
	}
	return i;
}

static size_t utf8_count(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

char *attach_clean_name(arena_t *a, const char *name)
{
	const char *base = name ? name : "";
	/* the last path component, for / and \ alike ('\\' and '/' never occur
	 * inside a multi-byte UTF-8 sequence) */
	for (const char *p = base; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;

	const unsigned char *in = (const unsigned char *)base;
	size_t len = strlen(base);
	char *out = arena_alloc(a, st_add(st_mult(len, 3), 1)); /* U+FFFD is 3 bytes for 1 */
	size_t o = 0, i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(in, len, i, &cp);
		if (n == 0) {
			cp = 0xFFFD;
			n = 1;
		}
		i += n;
		if (is_control(cp) || is_format_char(cp))
			continue;
		if (cp == '"')
			cp = '\''; /* keeps a naive filename="..." intact */
		o += utf8_encode(cp, out + o);
	}
	out[o] = '\0';

	/* no leading blanks; no trailing blanks or dots (Windows drops them) */
	size_t start = strspn(out, " ");
	while (o > start && (out[o - 1] == ' ' || out[o - 1] == '.'))
		out[--o] = '\0';
	char *clean = out + start;
	if (!*clean)
		return arena_strdup(a, "attachment");

	size_t chars = utf8_count(clean);
	if (chars <= ATTACH_NAME_MAX)
		return clean;
	/* too long: cut the stem on a character boundary, keep a short extension */
	const char *dot = strrchr(clean, '.');
	size_t ext_chars = dot && dot != clean ? utf8_count(dot) : 0;
	if (ext_chars == 0 || ext_chars > ATTACH_NAME_EXT_KEEP) {
		clean[utf8_prefix(clean, ATTACH_NAME_MAX)] = '\0';
		return clean;
	}
	size_t stem = utf8_prefix(clean, ATTACH_NAME_MAX - ext_chars);
	return arena_printf(a, "%.*s%s", (int)stem, clean, dot);
}

/* ---- storage ---------------------------------------------------------------- */

static bool sha_valid(const char *sha)
{
	if (!sha)
		return false;
	size_t i = 0;
	for (; sha[i]; i++)
		if (i >= 64 || !((sha[i] >= '0' && sha[i] <= '9') || (sha[i] >= 'a' && sha[i] <= 'f')))
			return false;
	return i == 64;
}

char *attach_path(arena_t *a, const char *dir, const char *sha256)
{
	if (!dir || !sha_valid(sha256))
		return NULL;
	return arena_printf(a, "%s/%.2s/%s", dir, sha256, sha256);
}

static int io_fail(pa_err_t *err, int e, const char *what, const char *path)
{
	log_error("attachments: %s %s: %s", what, path, strerror(e));
	if (e == ENOSPC || e == EDQUOT)
		return pa_fail(err, PA_EUNAVAIL, "unavailable", "",
		               "cannot store the attachment: %s", strerror(e));
	return pa_fail(err, PA_EIO, "internal", "", "cannot store the attachment: %s: %s", what,
	               strerror(e));
}

/* fsync a directory, so the entries made in it survive a crash. */
static int sync_dir(const char *path, pa_err_t *err)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return io_fail(err, errno, "open directory", path);
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	/* some file systems cannot sync a directory and say EINVAL */
	if (rc != 0 && e != EINVAL)
		return io_fail(err, e, "fsync directory", path);
	return 0;
}

/* The parent of path (a copy, path without trailing slash), "." when it has none. */
static char *parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* mkdir one directory (0750); an existing directory is fine.  A new one is
 * made durable by syncing its parent. */
static int make_dir(const char *path, pa_err_t *err)
{
	if (mkdir(path, 0750) == 0) {
		char *parent = parent_of(path);
		int rc = sync_dir(parent, err);
		free(parent);
		return rc;
	}
	int e = errno;
	struct stat st;
	if (e == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	return io_fail(err, e == EEXIST ? ENOTDIR : e, "mkdir", path);
}

/* mkdir -p */
static int make_dirs(const char *path, pa_err_t *err)
{
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	int rc = 0;
	for (char *s = p + 1; *s && rc == 0; s++) {
		if (*s != '/' || s[-1] == '/')
			continue;
		*s = '\0';
		rc = make_dir(p, err);
		*s = '/';
	}
	if (rc == 0)
		rc = make_dir(p, err);
	free(p);
	return rc;
}

static int write_all(int fd, const unsigned char *d, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, d, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		d += w;
		len -= (size_t)w;
	}
	return 0;
}

int attach_store(const char *dir, const void *data, size_t len, char sha256_out[65],
                 pa_err_t *err)
{
	static atomic_uint tmp_counter;
	static const unsigned char empty[1];
	if (!dir || !*dir)
		return pa_fail(err, PA_EINTERNAL, "internal", "", "no attachments directory");
	unsigned char hash[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(hash, data ? data : empty, len);
	sodium_bin2hex(sha256_out, 65, hash, sizeof(hash));

	strbuf_t sub = STRBUF_INIT, final = STRBUF_INIT, tmp = STRBUF_INIT;
	strbuf_addf(&sub, "%s/%.2s", dir, sha256_out);
	strbuf_addf(&final, "%s/%s", sub.buf, sha256_out);
	int rc, fd = -1;

	if ((rc = make_dirs(dir, err)) < 0 || (rc = make_dir(sub.buf, err)) < 0)
		goto out;
	struct stat st;
	if (stat(final.buf, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == len)
		goto out; /* already stored */

	for (int tries = 0; fd < 0; tries++) {
		strbuf_reset(&tmp);
		strbuf_addf(&tmp, "%s/.tmp-%.16s-%ld-%u", sub.buf, sha256_out, (long)getpid(),
		            atomic_fetch_add(&tmp_counter, 1));
		fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
		if (fd < 0 && (errno != EEXIST || tries + 1 == ATTACH_TMP_TRIES)) {
			rc = io_fail(err, errno, "create", tmp.buf);
			goto out;
		}
	}
	if (write_all(fd, data, len) != 0) {
		rc = io_fail(err, errno, "write", tmp.buf);
		goto out_unlink;
	}
	if (fsync(fd) != 0) {
		rc = io_fail(err, errno, "fsync", tmp.buf);
		goto out_unlink;
	}
	int closed = close(fd);
	fd = -1;
	if (closed != 0) {
		rc = io_fail(err, errno, "close", tmp.buf);
		goto out_unlink;
	}
	if (rename(tmp.buf, final.buf) != 0) {
		rc = io_fail(err, errno, "rename", final.buf);
		goto out_unlink;
	}
	rc = sync_dir(sub.buf, err);
	goto out;

out_unlink:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp.buf);
out:
	if (fd >= 0)
		close(fd);
	strbuf_release(&sub);
	strbuf_release(&final);
	strbuf_release(&tmp);
	return rc;
}

int attach_open(const char *dir, const char *sha256, int *fd, int64_t *size)
{
	if (!dir || !sha_valid(sha256))
		return PA_ENOTFOUND;
	strbuf_t path = STRBUF_INIT;
	strbuf_addf(&path, "%s/%.2s/%s", dir, sha256, sha256);
	int f = open(path.buf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int e = errno;
	if (f < 0) {
		if (e != ENOENT)
			log_error("attachments: open %s: %s", path.buf, strerror(e));
		strbuf_release(&path);
		return e == ENOENT ? PA_ENOTFOUND : PA_EIO;
	}
	struct stat st;
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
		log_error("attachments: %s is not a regular file", path.buf);
		close(f);
		strbuf_release(&path);
		return PA_EIO;
	}
	strbuf_release(&path);
	*fd = f;
	*size = (int64_t)st.st_size;
	return 0;
}
