/*
 * messages.c — lookup in the zh-CN catalog of pa_fail formats
 * (messages_zh.c holds the data; see messages.h).
 */
#include "base/messages.h"

#include <string.h>

const char *pa_message_zh(const char *en)
{
	if (!en)
		return NULL;
	size_t lo = 0, hi = pa_messages_zh_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(en, pa_messages_zh[mid].en);
		if (c == 0)
			return pa_messages_zh[mid].zh;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
