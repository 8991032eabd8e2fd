/*
 * attach.h — attachments: type by content, content-addressed storage.
 *
 * A file's type is decided by its bytes, never by its name or the type the
 * client claims: an allow-list of PDF, PNG, JPEG, GIF, WebP, plain UTF-8
 * text (not markup: text starting with '<' is refused), and OOXML (a ZIP
 * holding [Content_Types].xml and exactly one of word/ (docx) or xl/ (xlsx),
 * and no macros, vbaProject.bin).  Anything else is refused (415).
 *
 * Files are stored once under <attachments_dir>/<aa>/<sha256>, where aa is
 * the first two hex digits: written to a temporary file, fsynced, renamed,
 * and the directory fsynced — before the database row that points at it is
 * committed, so an acknowledged attachment is durable.  Storing the same
 * bytes twice is a no-op.
 */
#ifndef PA_ATTACH_H
#define PA_ATTACH_H

#include "base/common.h"

#define ATTACH_NAME_MAX 255   /* characters of a displayed file name */

/* One accepted type: its MIME type and the usual file name extensions
 * (lower case, without the dot; NULL-terminated).  For clients that check
 * before sending; the server still decides by the bytes. */
typedef struct attach_type {
	const char *mime;
	const char *const *extensions;
} attach_type_t;

/* The accepted types (the allow-list above), *n of them. */
const attach_type_t *attach_types(size_t *n);

/* The MIME type of data, or NULL when not allowed. */
const char *attach_sniff(const void *data, size_t len);
/* A file name safe to show and to put in Content-Disposition (no path, no
 * control characters, at most ATTACH_NAME_MAX characters, valid UTF-8). */
char *attach_clean_name(arena_t *a, const char *name);
/* Stores data; fills sha256 hex (65 bytes). */
int attach_store(const char *dir, const void *data, size_t len, char sha256_out[65],
                 pa_err_t *err);
/* Opens a stored blob for reading; fills its size. PA_ENOTFOUND if absent. */
int attach_open(const char *dir, const char *sha256, int *fd, int64_t *size);
/* Path of a blob (arena). */
char *attach_path(arena_t *a, const char *dir, const char *sha256);

#endif
