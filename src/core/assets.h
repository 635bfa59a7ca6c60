/*
 * assets.h - files embedded into the binary at build time (tools/mkassets).
 *
 * The table is sorted by path; asset_find() is a binary search. Paths are
 * relative to src/ (e.g. "store/sql/sqlite/0001_init.sql",
 * "http/openapi.json"). Data is NUL-terminated; len does not count the NUL.
 */
#ifndef CS_ASSETS_H
#define CS_ASSETS_H

#include <stddef.h>

struct asset {
	const char *path;
	const char *mime;
	const char *etag;
	const unsigned char *data;
	size_t len;
};

extern const struct asset assets[];
extern const size_t assets_count;

const struct asset *asset_find(const char *path);
/* First index whose path starts with prefix, and how many follow. */
size_t asset_prefix(const char *prefix, size_t *count_out);

#endif
