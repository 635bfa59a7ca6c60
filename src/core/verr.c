#include "core/verr.h"

enum cs_err
verr_add(struct verrs *ve, const char *field, const char *detail)
{
	if (ve != NULL && ve->n < VERR_MAX) {
		ve->e[ve->n].field = field;
		ve->e[ve->n].detail = detail;
		ve->n++;
	}
	return CS_E_INVAL;
}
