/*
 * markdown.h - Markdown to HTML for summaries and guides, in safe mode.
 *
 * cmark (CommonMark) with raw HTML and dangerous URLs (javascript:, vbscript:,
 * file:, data: other than images) suppressed: what it returns may be put in
 * a page as is. The result is in the arena; NULL when the arena is full.
 */
#ifndef CS_MARKDOWN_H
#define CS_MARKDOWN_H

#include "core/arena.h"

char *markdown_html(struct arena *a, const char *md);

#endif
