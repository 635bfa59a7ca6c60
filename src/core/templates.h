/*
 * templates.h - incident templates: per RSIT type, default TLP, PAP,
 * impact and urgency, tags, and a task checklist (the playbook) applied
 * when an incident of that type is opened or triaged. One template per type.
 */
#ifndef CS_TEMPLATES_H
#define CS_TEMPLATES_H

#include "core/users.h"
#include "core/verr.h"
#include "store/store.h"

#define TEMPLATE_TASKS_MAX 50

/* Validates and stores t (insert when t->id is 0, else update with
 * t->version as the precondition); audited. tags and tasks are given as
 * NULL-terminated lists and stored joined. */
enum cs_err templates_save(struct store *st, struct arena *a,
                           const struct actor *by, struct incident_template *t,
                           const char **tags, const char **tasks,
                           struct verrs *ve);
enum cs_err templates_delete(struct store *st, struct arena *a,
                             const struct actor *by, int64_t id);

#endif
