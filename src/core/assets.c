#include <string.h>

#include "core/assets.h"

const struct asset *
asset_find(const char *path)
{
	size_t lo = 0, hi = assets_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, assets[mid].path);

		if (c == 0)
			return &assets[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

size_t
asset_prefix(const char *prefix, size_t *count_out)
{
	size_t plen = strlen(prefix), first = assets_count, n = 0;

	for (size_t i = 0; i < assets_count; i++) {
		if (strncmp(assets[i].path, prefix, plen) == 0) {
			if (n == 0)
				first = i;
			n++;
		} else if (n > 0) {
			break;
		}
	}
	*count_out = n;
	return first;
}
