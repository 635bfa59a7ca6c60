/*
 * fuzz_mime.c - the inbound mail parser, without gpg (MIME_NO_CRYPTO).
 *
 * Oracles besides the sanitizers: a parsed message has valid UTF-8 text
 * without NUL bytes, within MIME_MAX_TEXT, and attachments within the
 * limit with base-name-only file names; a rejection has a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/text.h"
#include "mail/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	struct mime_msg m;
	const char *why = NULL;
	size_t n;

	if (size > 1 << 20)
		return 0;
	a = arena_new(64u << 20);
	if (mime_parse(a, (const char *)data, size, MIME_NO_CRYPTO, &m, &why) !=
	    CS_OK) {
		if (why == NULL || why[0] == '\0')
			abort();
		arena_free(a);
		return 0;
	}
	n = strlen(m.text);
	if (n > MIME_MAX_TEXT || !utf8_is_valid(m.text, n) ||
	    !utf8_is_valid(m.subject, strlen(m.subject)) ||
	    !utf8_is_valid(m.headers, strlen(m.headers)) ||
	    m.n_attachments > MIME_MAX_ATTACHMENTS)
		abort();
	for (size_t i = 0; i < m.n_attachments; i++)
		if (strchr(m.attachments[i].filename, '/') != NULL ||
		    !utf8_is_valid(m.attachments[i].filename,
		                   strlen(m.attachments[i].filename)))
			abort();
	arena_free(a);
	return 0;
}
