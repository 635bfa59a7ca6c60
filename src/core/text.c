#include <string.h>

#include "core/text.h"

bool
utf8_is_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned cp, min;

		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, cp = c & 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			n = 2, cp = c & 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			n = 3, cp = c & 0x07, min = 0x10000;
		else
			return false;
		if ((size_t)(end - p) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += n + 1;
	}
	return true;
}

bool
text_is_clean(const char *s, size_t max_bytes)
{
	size_t n = strlen(s);

	if (n > max_bytes || !utf8_is_valid(s, n))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

bool
text_is_clean_multiline(const char *s, size_t max_bytes)
{
	size_t n = strlen(s);

	if (n > max_bytes || !utf8_is_valid(s, n))
		return false;
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t' &&
		     *s != '\r') ||
		    *s == 0x7f)
			return false;
	return true;
}

bool
email_is_valid(const char *s)
{
	const char *at = strchr(s, '@');

	return text_is_clean(s, 254) && at != NULL && at != s &&
	       at[1] != '\0' && strchr(at + 1, '@') == NULL &&
	       strchr(at + 1, '.') != NULL && strpbrk(s, " <>\"") == NULL;
}

bool
language_list_is_valid(const char *s)
{
	size_t n = 0;

	if (*s == '\0')
		return true;
	for (; *s; s++) {
		if (*s == ',') {
			if (n != 2)
				return false;
			n = 0;
		} else if (*s >= 'a' && *s <= 'z') {
			n++;
		} else {
			return false;
		}
	}
	return n == 2;
}
