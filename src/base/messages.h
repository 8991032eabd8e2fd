/*
 * messages.h — the zh-CN catalog of pa_fail formats (data in messages_zh.c).
 *
 * The key is the English printf format exactly as written at the pa_fail
 * call; the value is its zh-CN translation with the same conversion
 * specifiers in the same order (tests/unit/test_messages.c checks every
 * entry; tests/messages_coverage runs scripts/messages-missing --check so a
 * format without a translation fails the build's tests).  See docs/i18n.md.
 */
#ifndef PA_MESSAGES_H
#define PA_MESSAGES_H

#include <stddef.h>

struct pa_message {
	const char *en;
	const char *zh;
};

/* The catalog, sorted by strcmp of `en` (the unit test checks the order). */
extern const struct pa_message pa_messages_zh[];
extern const size_t pa_messages_zh_count;

/* The zh-CN format for English format `en`, or NULL when there is none. */
const char *pa_message_zh(const char *en);

/*
 * Length of the longest prefix of s[0..len) that does not end inside a UTF-8
 * sequence (what is left after cutting a string on a character boundary).
 */
size_t pa_utf8_cut(const char *s, size_t len);

#endif
