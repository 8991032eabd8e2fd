/*
 * test_similarity.c — character-bigram Jaccard similarity (core/similarity.c)
 * on Chinese, English and mixed texts.  Every expected value is worked by
 * hand in the comment next to it: the distinct bigrams of each normalized
 * text, their intersection and their union.
 */
#include "base/common.h"
#include "core/similarity.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#define EPS 1e-9

static void assert_sim(const char *a, const char *b, double want)
{
	double got = text_similarity(a, b);
	double back = text_similarity(b, a);
	if (got < want - EPS || got > want + EPS)
		fail_msg("similarity(\"%s\", \"%s\") = %.6f, want %.6f", a, b, got, want);
	if (back < got - EPS || back > got + EPS)
		fail_msg("not symmetric: %.6f vs %.6f for \"%s\" / \"%s\"", got, back, a, b);
}

static void test_chinese(void **state)
{
	/* identical */
	assert_sim("小区电梯故障", "小区电梯故障", 1.0);
	/* 小区 区电 电梯 梯故 故障 | 小区 区电 电梯 梯维 维修: ∩ 3, ∪ 7 */
	assert_sim("小区电梯故障", "小区电梯维修", 3.0 / 7.0);
	/* 电梯 梯坏 坏了 | 坏了 了电 电梯: ∩ 2 (电梯, 坏了), ∪ 4 — exactly the default threshold */
	assert_sim("电梯坏了", "坏了电梯", 0.5);
	/* nothing in common */
	assert_sim("拖欠工资", "噪音扰民", 0.0);
	/* punctuation and the ideographic space are dropped: both are 小区电梯故障 */
	assert_sim("小区，电梯　故障。", "小区电梯故障", 1.0);
	/* 【】 and ！ dropped: 噪音 音扰 扰民 in both */
	assert_sim("【噪音扰民】！", "噪音扰民", 1.0);
	/* a set, not a bag: 哈哈哈哈 has one distinct bigram, 哈哈 */
	assert_sim("哈哈哈哈", "哈哈", 1.0);
	/* 工资 资拖 拖欠 | 拖欠 欠工 工资: ∩ 2, ∪ 4 */
	assert_sim("工资拖欠", "拖欠工资", 0.5);
	/* 施工 工噪 噪音 音夜 夜间 间扰 扰民 (7) | 施工 工噪 噪音 音扰 扰民 (5):
	 * ∩ 4 (施工 工噪 噪音 扰民), ∪ 8 */
	assert_sim("施工噪音夜间扰民", "施工噪音扰民", 4.0 / 8.0);
}

static void test_english(void **state)
{
	/* ni ig gh ht | na ac ch ht: ∩ 1, ∪ 7 */
	assert_sim("night", "nacht", 1.0 / 7.0);
	/* case and punctuation: both are "helloworld" */
	assert_sim("Hello, World!", "hello world", 1.0);
	/* full-width letters fold to ASCII */
	assert_sim("ＡＢＣ", "abc", 1.0);
	/* ab bc | xy yz */
	assert_sim("abc", "xyz", 0.0);
	/* "brokenlift" br ro ok ke en nl li if ft (9) | "brokenlight" br ro ok ke en nl li ig gh ht (10):
	 * ∩ 7, ∪ 12 */
	assert_sim("broken lift", "broken light", 7.0 / 12.0);
}

static void test_mixed(void **state)
{
	/* wifi信号差: wi if fi i信 信号 号差 | wifi信号好: wi if fi i信 信号 号好: ∩ 5, ∪ 7 */
	assert_sim("WiFi信号差", "wifi 信号好", 5.0 / 7.0);
	/* digits count: 3号楼 → 3号 号楼 | 5号楼 → 5号 号楼: ∩ 1, ∪ 3 */
	assert_sim("3号楼", "5号楼", 1.0 / 3.0);
	/* full-width digits fold: ３号楼 = 3号楼 */
	assert_sim("３号楼", "3号楼", 1.0);
}

static void test_short_and_empty(void **state)
{
	assert_sim("", "", 0.0);
	assert_sim("", "电梯", 0.0);
	assert_sim("，。！", "", 0.0);         /* nothing left after normalization */
	assert_sim("梯", "梯", 1.0);           /* one character each, equal */
	assert_sim("梯", "电梯", 0.0);         /* no bigram on one side, not equal */
	assert_sim("a", "A", 1.0);
	assert_sim(NULL, "abc", 0.0);
}

static void test_invalid_utf8(void **state)
{
	/* a stray byte is one character of its own, never a crash */
	assert_sim("ab\xff", "ab\xff", 1.0);
	/* ab b? | ab: ∩ 1, ∪ 2 */
	assert_sim("ab\xff", "ab", 0.5);
	/* a truncated sequence */
	assert_sim("电\xe6\xa2", "电", 0.0);
}

static void test_long_texts_bounded(void **state)
{
	/* beyond SIMILARITY_TEXT_MAX characters only the start counts */
	size_t n = SIMILARITY_TEXT_MAX + 1000;
	char *a = malloc(n * 3 + 1), *b = malloc(n * 3 + 1);
	for (size_t i = 0; i < n; i++) {
		memcpy(a + 3 * i, i % 2 ? "电" : "梯", 3);
		memcpy(b + 3 * i, i < SIMILARITY_TEXT_MAX ? (i % 2 ? "电" : "梯") : "好", 3);
	}
	a[n * 3] = b[n * 3] = '\0';
	/* the first SIMILARITY_TEXT_MAX characters are the same: 梯电 电梯 in both */
	assert_sim(a, b, 1.0);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chinese),
		cmocka_unit_test(test_english),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_short_and_empty),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_long_texts_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
