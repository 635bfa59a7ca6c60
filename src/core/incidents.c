#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/incidents.h"
#include "core/taxonomy.h"
#include "core/text.h"

#define SET_MAX 64 /* members, organisations, tags per incident */

void
incident_input_init(struct incident_input *in)
{
	memset(in, 0, sizeof(*in));
	in->tlp = in->pap = in->impact = in->urgency = -1;
	in->status = in->resolution = -1;
}

static size_t
count(const char **list)
{
	size_t n = 0;

	while (list != NULL && list[n] != NULL)
		n++;
	return n;
}

/* A login that names an enabled user: of the team (admin or handler) for
 * owners and assignees, anyone for members (a constituent who is a member
 * reads a TLP:RED incident of its organisation). */
static enum cs_err
check_user(struct store *st, struct arena *a, const char *login,
           const char *field, bool team_only, int64_t *id_out, struct verrs *ve)
{
	struct user u;
	enum cs_err err = store_call(st, user_get, a, 0, login, &u);

	if (err == CS_E_NOTFOUND ||
	    (err == CS_OK &&
	     (u.disabled ||
	      (team_only && u.role != ROLE_ADMIN && u.role != ROLE_HANDLER))))
		return verr_add(ve, field,
		                team_only ? "names no enabled handler or admin"
		                          : "names no enabled user");
	if (err == CS_OK && id_out != NULL)
		*id_out = u.id;
	return err;
}

/* Checks what can be checked without the store. */
static void
validate(const struct incident_input *in, bool creating, struct verrs *ve)
{
	const struct rsit_type *t;
	const char *why;

	if (creating && in->title == NULL)
		verr_add(ve, "title", "is required");
	if (in->title != NULL &&
	    (in->title[0] == '\0' || !text_is_clean(in->title, 300)))
		verr_add(ve, "title",
		         "must be 1 to 300 bytes of text without control "
		         "characters");
	if (in->summary != NULL &&
	    !text_is_clean_multiline(in->summary, 100000))
		verr_add(ve, "summary", "must be at most 100000 bytes of text");
	if ((in->rsit_class || in->rsit_type) &&
	    rsit_check(in->rsit_class, in->rsit_type, &t, &why) != CS_OK)
		verr_add(ve, in->rsit_type ? "rsit_type" : "rsit_class", why);
	if (count(in->members) > SET_MAX)
		verr_add(ve, "members", "lists too many users");
	if (count(in->orgs) > SET_MAX)
		verr_add(ve, "orgs", "lists too many organisations");
	if (count(in->tags) > SET_MAX)
		verr_add(ve, "tags", "lists too many tags");
	for (size_t i = 0; in->tags && in->tags[i]; i++)
		if (!tag_valid(in->tags[i], &why)) {
			verr_add(ve, "tags", why);
			break;
		}
}

/* Resolves the member, organisation and owner names against the store. */
static enum cs_err
resolve(struct store *st, struct arena *a, const struct incident_input *in,
        struct incident *x, struct verrs *ve)
{
	struct org o;
	enum cs_err err;

	for (size_t i = 0; in->members && in->members[i]; i++)
		if ((err = check_user(st, a, in->members[i], "members", false,
		                      NULL, ve)) != CS_OK &&
		    err != CS_E_INVAL)
			return err;
	for (size_t i = 0; in->orgs && in->orgs[i]; i++) {
		err = store_call(st, org_get, a, 0, in->orgs[i], &o);
		if (err == CS_E_NOTFOUND)
			verr_add(ve, "orgs", "names an unknown organisation");
		else if (err != CS_OK)
			return err;
	}
	if (in->set_owner) {
		x->owner_id = 0;
		if (in->owner != NULL &&
		    (err = check_user(st, a, in->owner, "owner", true,
		                      &x->owner_id, ve)) != CS_OK &&
		    err != CS_E_INVAL)
			return err;
	}
	if (in->members)
		x->members = in->members;
	if (in->orgs)
		x->orgs = in->orgs;
	if (in->tags)
		x->tags = in->tags;
	return ve->n > 0 ? CS_E_INVAL : CS_OK;
}

static void
apply_scalars(const struct incident_policy *pol,
              const struct incident_input *in, struct incident *x)
{
	if (in->title)
		x->title = in->title;
	if (in->summary)
		x->summary = in->summary;
	if (in->rsit_type) {
		const struct rsit_type *t = rsit_type_find(in->rsit_type);

		x->rsit_type = in->rsit_type;
		x->rsit_class = t ? t->class_id : in->rsit_class;
	} else if (in->rsit_class) {
		const struct rsit_type *t =
		    x->rsit_type ? rsit_type_find(x->rsit_type) : NULL;

		x->rsit_class = in->rsit_class;
		if (t != NULL && strcmp(t->class_id, in->rsit_class) != 0)
			x->rsit_type = NULL; /* the old type left its class */
	}
	if (in->tlp >= 0)
		x->tlp = (enum tlp)in->tlp;
	if (in->pap >= 0)
		x->pap = (enum pap)in->pap;
	if (in->impact >= 0)
		x->impact = (enum level)in->impact;
	if (in->urgency >= 0)
		x->urgency = (enum level)in->urgency;
	x->priority = priority_of(&pol->matrix, x->impact, x->urgency);
}

static enum cs_err
audit_incident(struct store *st, struct arena *a, const struct actor *by,
               const char *action, const struct incident *x, json_t *extra,
               int64_t now)
{
	json_t *d = json_pack("{s:s,s:s,s:s,s:i}", "ref", x->ref, "status",
	                      status_name(x->status), "tlp", tlp_name(x->tlp),
	                      "priority", x->priority);
	char idbuf[24];
	enum cs_err err;

	if (extra != NULL)
		json_object_update(d, extra);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)x->id);
	err = audit_append(st, a, now, by->name, action, "incident", idbuf, d);
	json_decref(d);
	return err;
}

static enum cs_err
status_entry(struct store *st, const struct actor *by, int64_t incident_id,
             const char *text, int64_t now)
{
	struct entry e = {.incident_id = incident_id,
	                  .kind = "status",
	                  .visibility = "internal",
	                  .author = by->name,
	                  .body = text,
	                  .created_at = now};
	int64_t id;

	return store_call(st, entry_put, &e, &id);
}

/* Fills what the caller left open from the template of the incident's
 * RSIT type, adds its tags, and lists its checklist as tasks to open. */
static enum cs_err
template_apply(struct arena *a, const struct incident_template *t,
               struct incident_input *in, const char ***tasks_out)
{
	size_t ntags = count(in->tags), extra = 0, ntasks = 0;
	const char **tags, **tasks;
	char *copy, *p;

	if (in->tlp < 0)
		in->tlp = t->tlp;
	if (in->pap < 0)
		in->pap = t->pap;
	if (in->impact < 0)
		in->impact = t->impact;
	if (in->urgency < 0)
		in->urgency = t->urgency;
	for (p = (char *)(uintptr_t)t->tags; p && *p; p++)
		extra += *p == ',';
	if ((tags = arena_alloc(a, sizeof(*tags) * (ntags + extra + 2))) ==
	        NULL ||
	    (copy = arena_strdup(a, t->tags ? t->tags : "")) == NULL)
		return CS_E_TOOBIG;
	for (size_t i = 0; i < ntags; i++)
		tags[i] = in->tags[i];
	for (p = copy; *p;) {
		char *comma = strchr(p, ',');
		bool dup = false;

		if (comma)
			*comma = '\0';
		for (size_t i = 0; i < ntags; i++)
			dup = dup || strcmp(tags[i], p) == 0;
		if (*p && !dup)
			tags[ntags++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	tags[ntags] = NULL;
	in->tags = tags;
	for (p = (char *)(uintptr_t)t->tasks; p && *p; p++)
		ntasks += *p == '\n';
	if ((tasks = arena_alloc(a, sizeof(*tasks) * (ntasks + 2))) == NULL ||
	    (copy = arena_strdup(a, t->tasks ? t->tasks : "")) == NULL)
		return CS_E_TOOBIG;
	ntasks = 0;
	for (p = copy; *p;) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (*p)
			tasks[ntasks++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	tasks[ntasks] = NULL;
	*tasks_out = tasks;
	return CS_OK;
}

enum cs_err
incidents_create_txn(struct store *st, struct arena *a,
                     const struct incident_policy *pol, const struct actor *by,
                     const struct viewer *v, const struct incident_input *in,
                     struct incident *out, struct verrs *ve)
{
	struct incident x = {0};
	struct incident_template t;
	struct incident_input tin = *in;
	const char **tasks = NULL;
	int64_t now = clock_now();
	time_t tt = (time_t)now;
	struct tm tm;
	enum cs_err err;

	validate(in, true, ve);
	if (ve->n == 0 && in->rsit_type != NULL) {
		err = store_call(st, template_get, a, 0, in->rsit_type, &t);
		if (err == CS_OK &&
		    (err = template_apply(a, &t, &tin, &tasks)) != CS_OK)
			return err;
		if (err != CS_OK && err != CS_E_NOTFOUND)
			return err;
		in = &tin;
	}
	if (in->status >= 0 && in->status != STATUS_NEW)
		verr_add(ve, "status", "a new incident starts as new");
	if (in->resolution >= 0)
		verr_add(ve, "resolution", "a new incident has no resolution");
	if (ve->n > 0)
		return CS_E_INVAL;
	x.tlp = TLP_AMBER;
	x.pap = PAP_AMBER;
	x.impact = x.urgency = LEVEL_MEDIUM;
	x.summary = "";
	x.status = STATUS_NEW;
	apply_scalars(pol, in, &x);
	x.created_at = x.updated_at = now;
	x.created_by = by->name;
	x.response_due = now + pol->sla.response[x.priority - 1];
	x.resolve_due = now + pol->sla.resolve[x.priority - 1];
	gmtime_r(&tt, &tm);
	if ((err = resolve(st, a, in, &x, ve)) != CS_OK)
		return err;
	if (by->user_id != 0) {
		/* the creator is a member, so a TLP:RED incident stays
		 * readable by whoever opened it */
		size_t n = count(x.members);
		bool found = false;
		const char **m;

		for (size_t i = 0; i < n; i++)
			found = found || strcmp(x.members[i], by->name) == 0;
		if (!found) {
			if ((m = arena_alloc(a, sizeof(*m) * (n + 2))) == NULL)
				return CS_E_TOOBIG;
			for (size_t i = 0; i < n; i++)
				m[i] = x.members[i];
			m[n] = by->name;
			m[n + 1] = NULL;
			x.members = m;
		}
	}
	if ((err = store_call(st, incident_put, a, pol->team_code,
	                      tm.tm_year + 1900, &x)) != CS_OK)
		return err;
	if ((err = status_entry(st, by, x.id, "created", now)) != CS_OK)
		return err;
	for (size_t i = 0; tasks != NULL && tasks[i] != NULL; i++) {
		struct task tk = {.incident_id = x.id,
		                  .title = tasks[i],
		                  .state = "open",
		                  .created_at = now};

		if ((err = store_call(st, task_put, &tk, &tk.id)) != CS_OK)
			return err;
	}
	if ((err = audit_incident(st, a, by, "incident.create", &x, NULL,
	                          now)) != CS_OK)
		return err;
	err = store_call(st, incident_get, a, v, x.ref, out);
	if (err == CS_E_NOTFOUND) { /* e.g. TLP:RED without being a member */
		*out = x;
		err = CS_OK;
	}
	return err;
}

enum cs_err
incidents_create(struct store *st, struct arena *a,
                 const struct incident_policy *pol, const struct actor *by,
                 const struct viewer *v, const struct incident_input *in,
                 struct incident *out, struct verrs *ve)
{
	enum cs_err err;

	validate(in, true, ve);
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	return store_end(st,
	                 incidents_create_txn(st, a, pol, by, v, in, out, ve));
}

enum cs_err
incidents_update(struct store *st, struct arena *a,
                 const struct incident_policy *pol, const struct actor *by,
                 const struct viewer *v, const char *ref,
                 const struct incident_input *in, struct incident *out,
                 struct verrs *ve, const char **why)
{
	struct incident x, before;
	char text[200], allowed[100];
	int64_t now = clock_now(), open_tasks = 0, cancelled = 0;
	json_t *extra = NULL;
	enum cs_err err;

	validate(in, false, ve);
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK)
		goto out;
	if (in->if_version != 0 && in->if_version != x.version) {
		err = CS_E_STALE;
		goto out;
	}
	before = x;
	apply_scalars(pol, in, &x);
	if ((err = resolve(st, a, in, &x, ve)) != CS_OK)
		goto out;
	if (in->status >= 0 && (enum status)in->status != x.status) {
		enum status to = (enum status)in->status;

		if (!status_transition_ok(x.status, to)) {
			status_allowed(x.status, allowed, sizeof(allowed));
			*why =
			    arena_printf(a,
			                 "an incident cannot go from %s to "
			                 "%s; allowed: %s",
			                 status_name(x.status), status_name(to),
			                 allowed[0] ? allowed : "none");
			err = CS_E_CONFLICT;
			goto out;
		}
		if (to == STATUS_RESOLVED) {
			if (in->resolution < 0 && x.resolution == RES_NONE) {
				err = verr_add(ve, "resolution",
				               "is required to resolve: fixed, "
				               "mitigated, false-positive, "
				               "duplicate, out-of-scope or "
				               "no-response");
				goto out;
			}
			if ((err = store_call(st, task_count_open, x.id,
			                      &open_tasks)) != CS_OK)
				goto out;
			if (open_tasks > 0 && !in->force) {
				*why = arena_printf(
				    a,
				    "%lld task(s) are still open: close them "
				    "or resolve with \"force\": true to "
				    "cancel them",
				    (long long)open_tasks);
				err = CS_E_CONFLICT;
				goto out;
			}
			if (open_tasks > 0 &&
			    (err = store_call(st, task_cancel_open, x.id, now,
			                      &cancelled)) != CS_OK)
				goto out;
			x.resolved_at = now;
		}
		if (to == STATUS_OPEN && !status_is_active(x.status)) {
			x.resolution = RES_NONE; /* reopened */
			x.resolved_at = 0;
		}
		if (x.first_response_at == 0)
			x.first_response_at = now;
		snprintf(text, sizeof(text), "status %s -> %s%s%s",
		         status_name(x.status), status_name(to),
		         cancelled ? ", open tasks cancelled" : "",
		         to == STATUS_OPEN && !status_is_active(x.status)
		             ? " (reopened)"
		             : "");
		x.status = to;
		if ((err = status_entry(st, by, x.id, text, now)) != CS_OK)
			goto out;
		extra = json_pack("{s:s}", "from", status_name(before.status));
	}
	if (in->resolution >= 0) {
		if (x.status != STATUS_RESOLVED && x.status != STATUS_CLOSED) {
			err = verr_add(ve, "resolution",
			               "is set when resolving the incident");
			goto out;
		}
		x.resolution = (enum resolution)in->resolution;
	}
	if (x.priority != before.priority) {
		/* deadlines follow the new priority, from creation */
		x.response_due =
		    x.created_at + pol->sla.response[x.priority - 1];
		x.resolve_due = x.created_at + pol->sla.resolve[x.priority - 1];
	}
	if ((err = store_call(st, incident_update, &x, now)) != CS_OK)
		goto out;
	if ((err = audit_incident(st, a, by, "incident.update", &x, extra,
	                          now)) != CS_OK)
		goto out;
	err = store_call(st, incident_get, a, v, ref, out);
	if (err == CS_E_NOTFOUND) { /* the change hid it from the caller */
		x.version++;
		*out = x;
		err = CS_OK;
	}
out:
	json_decref(extra);
	return store_end(st, err);
}

enum cs_err
entries_add(struct store *st, struct arena *a, const struct actor *by,
            const struct viewer *v, const char *ref, struct entry *e,
            struct verrs *ve)
{
	enum cs_err err;

	if (e->kind == NULL || (strcmp(e->kind, "note") != 0 &&
	                        strcmp(e->kind, "correspondence") != 0))
		verr_add(ve, "kind", "must be note or correspondence");
	if (e->visibility == NULL || (strcmp(e->visibility, "internal") != 0 &&
	                              strcmp(e->visibility, "shared") != 0))
		verr_add(ve, "visibility", "must be internal or shared");
	if (e->body == NULL || e->body[0] == '\0' ||
	    !text_is_clean_multiline(e->body, 1000000))
		verr_add(ve, "body", "must be 1 byte to 1 MB of text");
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	return store_end(st, entries_add_txn(st, a, by, v, ref, e));
}

enum cs_err
entries_add_txn(struct store *st, struct arena *a, const struct actor *by,
                const struct viewer *v, const char *ref, struct entry *e)
{
	struct incident x;
	int64_t now = clock_now();
	char idbuf[24];
	json_t *d;
	bool changed = false;
	enum cs_err err;

	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK)
		return err;
	e->incident_id = x.id;
	e->author = by->name;
	e->created_at = now;
	if ((err = store_call(st, entry_put, e, &e->id)) != CS_OK)
		return err;
	if (strcmp(e->kind, "correspondence") == 0 &&
	    (x.status == STATUS_RESOLVED || x.status == STATUS_CLOSED)) {
		char text[80];

		snprintf(text, sizeof(text),
		         "status %s -> open (reopened by correspondence)",
		         status_name(x.status));
		x.status = STATUS_OPEN;
		x.resolution = RES_NONE;
		x.resolved_at = 0;
		changed = true;
		if ((err = status_entry(st, by, x.id, text, now)) != CS_OK)
			return err;
	}
	if (x.first_response_at == 0 && strcmp(e->visibility, "shared") == 0) {
		x.first_response_at = now;
		changed = true;
	}
	if (changed &&
	    (err = store_call(st, incident_update, &x, now)) != CS_OK)
		return err;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)e->id);
	d = json_pack("{s:s,s:s,s:s}", "ref", x.ref, "kind", e->kind,
	              "visibility", e->visibility);
	err = audit_append(st, a, now, by->name, "entry.create", "entry", idbuf,
	                   d);
	json_decref(d);
	return err;
}

static bool
task_state_valid(const char *s)
{
	return strcmp(s, "open") == 0 || strcmp(s, "done") == 0 ||
	       strcmp(s, "cancelled") == 0;
}

enum cs_err
tasks_add(struct store *st, struct arena *a, const struct actor *by,
          const struct viewer *v, const char *ref, struct task *t,
          const char *assignee, struct verrs *ve)
{
	struct incident x;
	int64_t now = clock_now();
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	if (t->title == NULL || t->title[0] == '\0' ||
	    !text_is_clean(t->title, 300))
		verr_add(ve, "title", "must be 1 to 300 bytes of text");
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK)
		goto out;
	t->assignee_id = 0;
	if (assignee != NULL &&
	    (err = check_user(st, a, assignee, "assignee", true,
	                      &t->assignee_id, ve)) != CS_OK)
		goto out;
	t->incident_id = x.id;
	t->state = "open";
	t->created_at = t->updated_at = now;
	t->version = 1;
	t->assignee = assignee;
	if ((err = store_call(st, task_put, t, &t->id)) != CS_OK)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)t->id);
	d = json_pack("{s:s,s:s}", "ref", x.ref, "title", t->title);
	err =
	    audit_append(st, a, now, by->name, "task.create", "task", idbuf, d);
	json_decref(d);
out:
	return store_end(st, err);
}

enum cs_err
tasks_update(struct store *st, struct arena *a, const struct actor *by,
             const struct viewer *v, const char *ref, int64_t id,
             const char *title, const char *state, bool set_assignee,
             const char *assignee, int64_t if_version, struct task *out,
             struct verrs *ve)
{
	struct incident x;
	struct task t;
	int64_t now = clock_now();
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	if (title != NULL && (title[0] == '\0' || !text_is_clean(title, 300)))
		verr_add(ve, "title", "must be 1 to 300 bytes of text");
	if (state != NULL && !task_state_valid(state))
		verr_add(ve, "state", "must be open, done or cancelled");
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK ||
	    (err = store_call(st, task_get, a, x.id, id, &t)) != CS_OK)
		goto out;
	if (if_version != 0 && if_version != t.version) {
		err = CS_E_STALE;
		goto out;
	}
	if (title != NULL)
		t.title = title;
	if (state != NULL)
		t.state = state;
	if (set_assignee) {
		t.assignee_id = 0;
		if (assignee != NULL &&
		    (err = check_user(st, a, assignee, "assignee", true,
		                      &t.assignee_id, ve)) != CS_OK)
			goto out;
	}
	if ((err = store_call(st, task_update, &t, now)) != CS_OK)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)t.id);
	d = json_pack("{s:s,s:s,s:s}", "ref", x.ref, "title", t.title, "state",
	              t.state);
	err =
	    audit_append(st, a, now, by->name, "task.update", "task", idbuf, d);
	json_decref(d);
	if (err == CS_OK)
		err = store_call(st, task_get, a, x.id, id, out);
out:
	return store_end(st, err);
}

enum cs_err
links_add(struct store *st, struct arena *a, const struct actor *by,
          const struct viewer *v, const char *ref, const char *kind,
          const char *other_ref, int64_t *id_out, struct verrs *ve)
{
	struct incident x, y;
	int64_t from, to, now = clock_now();
	const char *stored;
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	if (kind == NULL ||
	    (strcmp(kind, "related") != 0 && strcmp(kind, "parent-of") != 0 &&
	     strcmp(kind, "child-of") != 0 &&
	     strcmp(kind, "duplicate-of") != 0))
		verr_add(ve, "kind",
		         "must be related, parent-of, child-of or "
		         "duplicate-of");
	if (other_ref == NULL)
		verr_add(ve, "ref", "names the other incident");
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK)
		goto out;
	err = store_call(st, incident_get, a, v, other_ref, &y);
	if (err == CS_E_NOTFOUND)
		err = verr_add(ve, "ref", "no such incident");
	if (err != CS_OK)
		goto out;
	if (x.id == y.id) {
		err = verr_add(ve, "ref", "an incident cannot link to itself");
		goto out;
	}
	from = x.id, to = y.id, stored = "related";
	if (strcmp(kind, "related") == 0) {
		if (from > to)
			from = y.id, to = x.id;
	} else if (strcmp(kind, "parent-of") == 0) {
		stored = "parent";
	} else if (strcmp(kind, "child-of") == 0) {
		stored = "parent", from = y.id, to = x.id;
	} else {
		stored = "duplicate";
	}
	err = store_call(st, link_put, from, to, stored, by->name, now, id_out);
	if (err == CS_E_CONFLICT) {
		verr_add(ve, "ref", "is already linked this way");
		goto out;
	}
	if (err != CS_OK)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)*id_out);
	d = json_pack("{s:s,s:s,s:s}", "ref", x.ref, "kind", kind, "other",
	              y.ref);
	err =
	    audit_append(st, a, now, by->name, "link.create", "link", idbuf, d);
	json_decref(d);
out:
	return store_end(st, err);
}

enum cs_err
links_remove(struct store *st, struct arena *a, const struct actor *by,
             const struct viewer *v, const char *ref, int64_t id)
{
	struct incident x;
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK ||
	    (err = store_call(st, link_delete, x.id, id)) != CS_OK)
		goto out;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	d = json_pack("{s:s}", "ref", x.ref);
	err = audit_append(st, a, clock_now(), by->name, "link.delete", "link",
	                   idbuf, d);
	json_decref(d);
out:
	return store_end(st, err);
}
