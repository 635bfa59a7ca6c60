/*
 * fuzz_json.c - request bodies: JSON parsing (jansson, as the server calls
 * it) and the strict field readers every handler uses.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "http/api_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const known[] = {"login", "role", "password", "name",
	                                    "email", "org",  NULL};
	struct verrs ve = {0};
	json_error_t jerr;
	json_t *obj;

	if (size > 65536)
		return 0;
	obj =
	    json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL)
		return 0;
	if (json_is_object(obj)) {
		fields_known(obj, known, &ve);
		(void)field_str(obj, "login", true, 64, &ve);
		(void)field_str(obj, "password", false, 1025, &ve);
		(void)field_bool(obj, "disabled", &ve);
		(void)field_int(obj, "expires_in_days", 0, 3650, 0, &ve);
	}
	json_decref(obj);
	return 0;
}
