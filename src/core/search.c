#include <string.h>

#include "core/search.h"

bool
search_query_fts(const char *user, char *out, size_t n)
{
	size_t o = 0, terms = 0;
	const char *p = user;

	if (n < 4)
		return false;
	for (;;) {
		const char *start;
		size_t len;
		bool prefix = false;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' &&
		       *p != '\r')
			p++;
		len = (size_t)(p - start);
		if (len > 1 && start[len - 1] == '*') {
			prefix = true;
			len--;
		}
		if (len == 0 || len > 100 || ++terms > 16)
			return false;
		/* "term" with quotes doubled, then optional '*' */
		if (o + 2 * len + 6 >= n)
			return false;
		if (o > 0)
			out[o++] = ' ';
		out[o++] = '"';
		for (size_t i = 0; i < len; i++) {
			if (start[i] == '"')
				out[o++] = '"';
			out[o++] = start[i];
		}
		out[o++] = '"';
		if (prefix)
			out[o++] = '*';
	}
	out[o] = '\0';
	return terms > 0;
}
