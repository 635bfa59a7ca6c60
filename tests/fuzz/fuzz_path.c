/*
 * fuzz_path.c - what a request line and headers feed into: route matching,
 * pagination cursors (base64url), durations, listen addresses, logins.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/secret.h"
#include "core/text.h"
#include "core/users.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "PATCH", "DELETE",
	                                      "HEAD"};
	const char *params[ROUTE_PARAMS];
	char *text, *segbuf, allow[64], host[64];
	unsigned char raw[64];
	size_t n;
	int64_t d;
	int port;

	if (size == 0 || size > 8192)
		return 0;
	text = malloc(size + 1);
	segbuf = malloc(size + 1);
	if (text == NULL || segbuf == NULL) {
		free(text);
		free(segbuf);
		return 0;
	}
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	(void)router_match(methods[data[0] % 5], text, segbuf, size + 1, params,
	                   allow, sizeof(allow));
	(void)b64url_decode(text, raw, sizeof(raw), &n);
	(void)duration_parse(text, &d);
	(void)listen_parse(text, host, sizeof(host), &port);
	(void)login_is_valid(text);
	(void)org_code_is_valid(text);
	(void)text_is_clean(text, 200);
	(void)utf8_is_valid((const char *)data, size);
	free(text);
	free(segbuf);
	return 0;
}
