/*
 * fuzz_ioc.c - the observable engine: extraction over the input as free
 * text, and normalisation of the input as a value of every type.
 *
 * Oracles besides the sanitizers: a value that normalised once normalises
 * to itself (for the types whose canonical text holds no defang markers),
 * and every extracted value of those types is its own normal form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
stable_type(enum ioc_type t)
{
	return t != IOC_URL && t != IOC_EMAIL && t != IOC_FILENAME &&
	       t != IOC_USER_AGENT;
}

static void
check(void *ctx, enum ioc_type type, const char *v, size_t offset)
{
	char out[IOC_OUT_MAX];
	const char *why;
	size_t len = *(const size_t *)ctx;

	if (offset >= len || v[0] == '\0')
		abort();
	if (!stable_type(type))
		return;
	if (ioc_normalise(type, v, out, sizeof(out), &why) != CS_OK ||
	    strcmp(out, v) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, out[IOC_OUT_MAX], again[IOC_OUT_MAX];
	const char *why;
	enum ioc_type t;

	if (size > 1 << 20)
		return 0;
	ioc_extract((const char *)data, size, NULL, check, &size);
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (unsigned i = 0; i < IOC_TYPE_COUNT; i++) {
		t = (enum ioc_type)i;
		if (ioc_normalise(t, s, out, sizeof(out), &why) != CS_OK) {
			if (why == NULL || why[0] == '\0')
				abort();
			continue;
		}
		if (stable_type(t) &&
		    (ioc_normalise(t, out, again, sizeof(again), &why) !=
		         CS_OK ||
		     strcmp(out, again) != 0))
			abort();
	}
	(void)ioc_guess_type(s, &t);
	free(s);
	return 0;
}
