/*
 * grams.h — the character grams of the short-query search index.
 *
 * The trigram index (FTS5 `trigram`) cannot find a pattern of fewer than
 * three characters, and Chinese words are often one or two.  So every text
 * indexed for search is also written, as grams, into a second FTS5 table
 * (tokenizer `ascii`, which splits only at ASCII spaces and punctuation):
 *
 *   1. characters are folded: full-width ASCII (Ａ, １) becomes ASCII, ASCII
 *      letters become lower case;
 *   2. the text is cut into runs of word characters; everything else —
 *      white space, ASCII punctuation, the punctuation and symbol blocks of
 *      Unicode (、。「」…), emoji — separates runs;
 *   3. each run c1 c2 … cn gives the bigrams c1c2, c2c3, …, c(n-1)cn and the
 *      unigram cn, separated by spaces: "电梯故障" → "电梯 梯故 故障 障".
 *
 * A two-character query "电梯" is then the token 电梯; a one-character query
 * "电" is the prefix query 电* — every occurrence of 电 starts a bigram or is
 * the unigram at a run's end.  Every gram token holds only word characters,
 * none of them an ASCII separator, so the `ascii` tokenizer sees exactly the
 * tokens written here, on both the indexing and the query side.
 *
 * Invalid UTF-8 bytes are dropped.  Pure functions, no allocation but the
 * output buffer; used by the store (the SQL function pa_grams) and by the
 * query parser (core/search.c).
 */
#ifndef PA_GRAMS_H
#define PA_GRAMS_H

#include "base/common.h"

/* Decodes one character of s (n > 0 bytes left) into *cp; returns the bytes
 * used (1 for an invalid byte, with *cp = GRAMS_INVALID). */
#define GRAMS_INVALID 0xFFFFFFFFu
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Appends cp as UTF-8. */
void utf8_encode(strbuf_t *sb, uint32_t cp);

/* Whether cp belongs to a word (see rule 2 above). */
bool grams_word_char(uint32_t cp);
/* Rule 1. */
uint32_t grams_fold(uint32_t cp);

/* Appends the grams of s[0..len) to out (rule 3), separated by spaces. */
void grams_of(const char *s, size_t len, strbuf_t *out);

#endif
