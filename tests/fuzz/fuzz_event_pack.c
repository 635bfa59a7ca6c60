/*
 * fuzz_event_pack.c - the stored form of event lines.
 *
 * The input is lines. Each line is packed with one dictionary (as the
 * lines of one report are) and must unpack to itself with a copy of that
 * dictionary as the store would load it; then the line's bytes are read
 * as a stored form, which may be refused but must not crash or read out
 * of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/event_pack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event_dict *d = event_dict_new(), *loaded = event_dict_new();
	struct arena *a = arena_new(1 << 22);
	uint8_t *form = malloc(EVENT_PACK_ROOM(size));
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p), n, back_len;
		const char *back;

		event_pack(d, p, len, form, EVENT_PACK_ROOM(len), &n);
		if (n > len + 1)
			abort();
		for (size_t i = event_dict_count(loaded);
		     i < event_dict_count(d); i++) {
			const char *k, *v;
			size_t kn, vn;

			event_dict_get(d, i, &k, &kn, &v, &vn);
			if (event_dict_load(loaded, (int64_t)i, k, kn, v, vn) !=
			    CS_OK)
				abort();
		}
		event_dict_mark_saved(d);
		if (event_unpack(loaded, form, n, a, &back, &back_len) !=
		        CS_OK ||
		    back_len != len || memcmp(back, p, len) != 0)
			abort();
		/* the same bytes as a stored form */
		(void)event_unpack(loaded, (const uint8_t *)p, len, a, &back,
		                   &back_len);
		arena_reset(a);
		p += len + (nl != NULL);
	}
	free(form);
	arena_free(a);
	event_dict_free(d);
	event_dict_free(loaded);
	return 0;
}
