/*
 * similarity.h — how alike two texts are, for repeat detection at intake.
 *
 * text_similarity() is the Jaccard index of the two texts' sets of
 * character bigrams: |A ∩ B| / |A ∪ B|, from 0 (nothing in common) to 1
 * (the same bigrams).  Characters, not bytes or words, because Chinese has
 * no spaces between words: "小区电梯故障" and "小区电梯维修" share 小区, 区电
 * and 电梯 — 3 of 7 distinct bigrams, 3/7.
 *
 * Before the bigrams are taken each text is normalized: white space,
 * control characters and punctuation (ASCII, Latin-1, general punctuation,
 * CJK symbols and punctuation, full-width and vertical forms) are dropped;
 * full-width ASCII letters and digits become ASCII; ASCII letters become
 * lower case.  So "Hello, World!" and "hello world" are the same text
 * ("helloworld"), and bigrams span where punctuation was.  Only the first
 * SIMILARITY_TEXT_MAX characters that remain are compared.
 *
 * A text with fewer than two characters left has no bigram; then the
 * result is 1 when both normalized texts are equal and not empty, else 0.
 * The function is symmetric, needs no locale, and treats a byte that is
 * not valid UTF-8 as one character of its own.
 */
#ifndef PA_SIMILARITY_H
#define PA_SIMILARITY_H

#include "base/common.h"

#define SIMILARITY_TEXT_MAX 4000   /* characters compared, after normalization */

double text_similarity(const char *a, const char *b);

#endif
