/*
 * taxonomy.h - the RSIT incident classification (ENISA / TF-CSIRT).
 *
 * Incidents are classified by an RSIT class and type, using the machine
 * identifiers ("intrusions", "system-compromise"). The class follows from
 * the type; rsit_check() validates a class, a type or both together.
 */
#ifndef CS_TAXONOMY_H
#define CS_TAXONOMY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct rsit_type {
	const char *class_id, *class_name, *type_id, *type_name;
};

size_t rsit_types(const struct rsit_type **out);
const struct rsit_type *rsit_type_find(const char *type_id);
bool rsit_class_exists(const char *class_id);
/* Either may be NULL. *out is the type (NULL when only a class was given).
 * On CS_E_INVAL, *why says what is wrong. */
enum cs_err rsit_check(const char *class_id, const char *type_id,
                       const struct rsit_type **out, const char **why);

#endif
