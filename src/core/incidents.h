/*
 * incidents.h - creating and changing incidents, their journal and tasks.
 *
 * Every operation validates its whole input first (all field errors at
 * once), then runs in one write transaction with its audit row(s). Status
 * changes follow incident.h's lifecycle; each writes an internal "status"
 * journal entry, so reopening keeps the history. Resolving with open tasks
 * is refused (CS_E_CONFLICT) unless force is set, which cancels them. A
 * correspondence entry on a resolved or closed incident reopens it. The
 * first move out of "new", or the first shared entry, is the first
 * response for the SLA.
 *
 * Reading rights are the store's (struct viewer); callers check write
 * rights (the team's handlers and admins) before calling.
 */
#ifndef CS_INCIDENTS_H
#define CS_INCIDENTS_H

#include "core/incident.h"
#include "core/users.h"
#include "core/verr.h"
#include "store/store.h"

struct incident_policy {
	const char *team_code;
	struct priority_matrix matrix;
	struct sla_policy sla;
};

/* Fields a caller may set; NULL / -1 = not given. */
struct incident_input {
	const char *title, *summary, *rsit_class, *rsit_type;
	int tlp, pap, impact, urgency, status, resolution;
	bool set_owner;
	const char *owner;                    /* login; NULL unassigns */
	const char **members, **orgs, **tags; /* NULL = unchanged */
	bool force;         /* cascade: cancel open tasks when resolving */
	int64_t if_version; /* 0 = none */
};

void incident_input_init(struct incident_input *in);

enum cs_err incidents_create(struct store *st, struct arena *a,
                             const struct incident_policy *pol,
                             const struct actor *by, const struct viewer *v,
                             const struct incident_input *in,
                             struct incident *out, struct verrs *ve);
/* The same inside the caller's write transaction (triage of a report). */
enum cs_err incidents_create_txn(struct store *st, struct arena *a,
                                 const struct incident_policy *pol,
                                 const struct actor *by, const struct viewer *v,
                                 const struct incident_input *in,
                                 struct incident *out, struct verrs *ve);
/* On CS_E_CONFLICT for a transition, *why says what is allowed. */
enum cs_err incidents_update(struct store *st, struct arena *a,
                             const struct incident_policy *pol,
                             const struct actor *by, const struct viewer *v,
                             const char *ref, const struct incident_input *in,
                             struct incident *out, struct verrs *ve,
                             const char **why);

enum cs_err entries_add(struct store *st, struct arena *a,
                        const struct actor *by, const struct viewer *v,
                        const char *ref, struct entry *e, struct verrs *ve);
/* entries_add() inside the caller's write transaction, e already valid */
enum cs_err entries_add_txn(struct store *st, struct arena *a,
                            const struct actor *by, const struct viewer *v,
                            const char *ref, struct entry *e);
enum cs_err tasks_add(struct store *st, struct arena *a, const struct actor *by,
                      const struct viewer *v, const char *ref, struct task *t,
                      const char *assignee, struct verrs *ve);
/* state: "open", "done", "cancelled"; NULL fields unchanged */
enum cs_err tasks_update(struct store *st, struct arena *a,
                         const struct actor *by, const struct viewer *v,
                         const char *ref, int64_t id, const char *title,
                         const char *state, bool set_assignee,
                         const char *assignee, int64_t if_version,
                         struct task *out, struct verrs *ve);

/* kind: related, parent-of, child-of, duplicate-of (seen from ref) */
enum cs_err links_add(struct store *st, struct arena *a, const struct actor *by,
                      const struct viewer *v, const char *ref, const char *kind,
                      const char *other_ref, int64_t *id_out, struct verrs *ve);
enum cs_err links_remove(struct store *st, struct arena *a,
                         const struct actor *by, const struct viewer *v,
                         const char *ref, int64_t id);

#endif
