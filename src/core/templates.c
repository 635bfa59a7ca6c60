#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/incident.h"
#include "core/taxonomy.h"
#include "core/templates.h"
#include "core/text.h"

/* list -> "a<sep>b" in the arena */
static const char *
join(struct arena *a, const char **list, char sep)
{
	size_t len = 1, o = 0;
	char *out;

	for (size_t i = 0; list && list[i]; i++)
		len += strlen(list[i]) + 1;
	if ((out = arena_alloc(a, len)) == NULL)
		return NULL;
	for (size_t i = 0; list && list[i]; i++) {
		size_t n = strlen(list[i]);

		if (i > 0)
			out[o++] = sep;
		memcpy(out + o, list[i], n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

enum cs_err
templates_save(struct store *st, struct arena *a, const struct actor *by,
               struct incident_template *t, const char **tags,
               const char **tasks, struct verrs *ve)
{
	const char *why;
	size_t n = 0;
	int64_t now = clock_now();
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	if (t->rsit_type == NULL || rsit_type_find(t->rsit_type) == NULL)
		verr_add(ve, "rsit_type", "is not an RSIT incident type");
	if (t->name == NULL || t->name[0] == '\0' ||
	    !text_is_clean(t->name, 200))
		verr_add(ve, "name", "must be 1 to 200 bytes of text");
	for (size_t i = 0; tags && tags[i]; i++)
		if (!tag_valid(tags[i], &why)) {
			verr_add(ve, "tags", why);
			break;
		}
	for (n = 0; tasks && tasks[n]; n++)
		if (tasks[n][0] == '\0' || !text_is_clean(tasks[n], 300)) {
			verr_add(ve, "tasks",
			         "each task is 1 to 300 bytes of text on one "
			         "line");
			break;
		}
	if (n > TEMPLATE_TASKS_MAX)
		verr_add(ve, "tasks", "lists more than 50 tasks");
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((tags && (t->tags = join(a, tags, ',')) == NULL) ||
	    (tasks && (t->tasks = join(a, tasks, '\n')) == NULL))
		return CS_E_TOOBIG;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	err = store_call(st, template_put, t, now, &t->id);
	if (err == CS_E_CONFLICT)
		verr_add(ve, "rsit_type", "has a template already");
	if (err == CS_OK) {
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)t->id);
		d = json_pack("{s:s,s:s}", "rsit_type", t->rsit_type, "name",
		              t->name);
		err = audit_append(st, a, now, by->name,
		                   t->version ? "template.update"
		                              : "template.create",
		                   "template", idbuf, d);
		json_decref(d);
	}
	return store_end(st, err);
}

enum cs_err
templates_delete(struct store *st, struct arena *a, const struct actor *by,
                 int64_t id)
{
	char idbuf[24];
	enum cs_err err;

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, template_delete, id)) == CS_OK) {
		snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
		err = audit_append(st, a, clock_now(), by->name,
		                   "template.delete", "template", idbuf, NULL);
	}
	return store_end(st, err);
}
