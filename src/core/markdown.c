#include <stdlib.h>
#include <string.h>

#include <cmark.h>

#include "core/markdown.h"

char *
markdown_html(struct arena *a, const char *md)
{
	/* Without CMARK_OPT_UNSAFE, cmark 0.30 replaces raw HTML by a comment
	 * and drops unsafe link targets. */
	char *html = cmark_markdown_to_html(
	    md, strlen(md),
	    CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8 | CMARK_OPT_SMART);
	char *out;

	if (html == NULL)
		return NULL;
	out = arena_strdup(a, html);
	free(html);
	return out;
}
