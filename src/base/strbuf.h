/*
 * strbuf.h — growable string (after git's strbuf.h).
 *
 * Invariants: `buf` is never NULL and always NUL-terminated, `len` excludes
 * the NUL, `len < alloc` once anything was allocated.  A strbuf initialized
 * with STRBUF_INIT points at a shared empty string until the first append.
 * Heap-backed (not arena) because bodies can be large and are handed to
 * libmicrohttpd, which frees them with free().
 */
#ifndef PA_STRBUF_H
#define PA_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
} strbuf_t;

extern char strbuf_slopbuf[];
#define STRBUF_INIT { 0, 0, strbuf_slopbuf }

void strbuf_init(strbuf_t *sb, size_t hint);
void strbuf_release(strbuf_t *sb);
/* Returns the buffer (caller frees with free()) and reinitializes sb. */
char *strbuf_detach(strbuf_t *sb, size_t *len);
void strbuf_grow(strbuf_t *sb, size_t extra);
void strbuf_reset(strbuf_t *sb);
void strbuf_setlen(strbuf_t *sb, size_t len);

void strbuf_add(strbuf_t *sb, const void *data, size_t len);
void strbuf_adds(strbuf_t *sb, const char *s);
void strbuf_addch(strbuf_t *sb, int c);
void strbuf_addf(strbuf_t *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(strbuf_t *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* 1 for the ASCII bytes that go into a JSON string as they are: printable
 * ASCII other than '"', '\\' and the "<>&" written as \u003c, \u003e, \u0026
 * (shared by strbuf_add_json_str and jsonw.c). */
extern const unsigned char strbuf_json_plain[128];
/* Length of the valid UTF-8 sequence at s (n > 0 bytes left; 1 for ASCII),
 * 0 if invalid: no overlong forms, no surrogates, nothing above U+10FFFF. */
size_t strbuf_utf8_len(const unsigned char *s, size_t n);
/* Appends s as a JSON string literal, with quotes; invalid UTF-8 becomes U+FFFD. */
void strbuf_add_json_str(strbuf_t *sb, const char *s);
/* Appends JSON text (a serialized value) with '<', '>' and '&' written as
 * \u003c, \u003e, \u0026, as strbuf_add_json_str writes them: outside
 * strings JSON has none of these characters, so the text stays the same value. */
void strbuf_add_json_text(strbuf_t *sb, const char *text, size_t n);
/* Appends s escaped for XML/HTML text and attribute values. */
void strbuf_add_xml_escaped(strbuf_t *sb, const char *s);

#endif
