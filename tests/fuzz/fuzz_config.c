/* fuzz_config.c - csirtd.conf parsing and validation. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[512], *text;

	if (size > 65536)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	config_defaults(&c);
	if (config_load_string(&c, text, err, sizeof(err)) == CS_OK)
		(void)config_finish(&c, err, sizeof(err));
	free(text);
	return 0;
}
