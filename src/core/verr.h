/*
 * verr.h - per-field validation errors.
 *
 * Validators add one message per offending field and return CS_E_INVAL; the
 * HTTP layer turns the list into RFC 9457 "errors" and the CLI prints it.
 * Field names and messages must be static or arena-owned strings.
 */
#ifndef CS_VERR_H
#define CS_VERR_H

#include <stddef.h>

#include "core/err.h"

#define VERR_MAX 16

struct verrs {
	size_t n;
	struct {
		const char *field;
		const char *detail;
	} e[VERR_MAX];
};

/* Records the error (dropping it past VERR_MAX) and returns CS_E_INVAL. */
enum cs_err verr_add(struct verrs *ve, const char *field, const char *detail);

#endif
