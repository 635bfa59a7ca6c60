/*
 * search.h - turning what a user types into a safe FTS5 query.
 *
 * Every whitespace-separated term becomes a quoted FTS5 string (so no user
 * text is ever FTS5 syntax); a term ending in '*' is a prefix query. Terms
 * are ANDed. Up to 16 terms of at most 100 bytes each.
 */
#ifndef CS_SEARCH_H
#define CS_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#define SEARCH_QUERY_MAX 2048

/* false when the query has no term or too many */
bool search_query_fts(const char *user, char *out, size_t n);

#endif
