/* api_incidents.c - incidents, their journal and their tasks. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/incidents.h"
#include "core/markdown.h"
#include "core/search.h"
#include "core/secret.h"
#include "http/csv_out.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/handlers.h"

static json_t *
list_json(const char **list)
{
	json_t *arr = json_array();

	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		json_array_append_new(arr, json_string(list[i]));
	return arr;
}

static json_t *
str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
api_incident_json(struct arena *a, const struct incident *x)
{
	const char *html = markdown_html(a, x->summary);
	int64_t now = clock_now();
	bool active = status_is_active(x->status);
	bool breached =
	    active && (x->resolve_due < now ||
	               (x->first_response_at == 0 && x->response_due < now));
	json_t *sla = json_pack(
	    "{s:o,s:o,s:o,s:o,s:b}", "response_due", json_time(x->response_due),
	    "resolve_due", json_time(x->resolve_due), "first_response_at",
	    json_time(x->first_response_at), "resolved_at",
	    json_time(x->resolved_at), "breached", breached);

	json_t *out = json_pack(
	    "{s:s,s:s,s:s,s:o,s:o,s:s,s:s,s:s,s:s,s:i,s:s,s:o,s:o,s:o,s:o,s:o,"
	    "s:o,s:s,s:o,s:o}",
	    "ref", x->ref, "title", x->title, "summary", x->summary,
	    "rsit_class", str_or_null(x->rsit_class), "rsit_type",
	    str_or_null(x->rsit_type), "tlp", tlp_name(x->tlp), "pap",
	    pap_name(x->pap), "impact", level_name(x->impact), "urgency",
	    level_name(x->urgency), "priority", x->priority, "status",
	    status_name(x->status), "resolution",
	    x->resolution != RES_NONE
	        ? json_string(resolution_name(x->resolution))
	        : json_null(),
	    "owner", str_or_null(x->owner), "members", list_json(x->members),
	    "orgs", list_json(x->orgs), "tags", list_json(x->tags), "sla", sla,
	    "created_by", x->created_by, "created_at", json_time(x->created_at),
	    "updated_at", json_time(x->updated_at));
	/* the summary rendered from Markdown in safe mode, ready for a page */
	json_object_set_new(out, "summary_html", json_string(html ? html : ""));
	return out;
}

static void
reply_incident(struct request *req, int status, const struct incident *x)
{
	req_add_header(req, "ETag", etag_of(req, x->version));
	reply_json(req, status, api_incident_json(req->a, x));
}

/* A JSON array of strings -> NULL-terminated arena array; absent -> NULL. */
static const char **
field_list(struct request *req, json_t *body, const char *name,
           struct verrs *ve)
{
	json_t *v = json_object_get(body, name), *it;
	const char **out;
	size_t i;

	if (v == NULL)
		return NULL;
	if (!json_is_array(v) || json_array_size(v) > 64) {
		verr_add(ve, name, "must be a list of at most 64 strings");
		return NULL;
	}
	out = arena_alloc(req->a, sizeof(*out) * (json_array_size(v) + 1));
	if (out == NULL)
		return NULL;
	json_array_foreach(v, i, it)
	{
		if (!json_is_string(it) || json_string_length(it) > 200 ||
		    strlen(json_string_value(it)) != json_string_length(it)) {
			verr_add(ve, name, "must be a list of strings");
			return NULL;
		}
		out[i] = json_string_value(it);
	}
	out[json_array_size(v)] = NULL;
	return out;
}

/* Reads a named enum field: parse() returns false on an unknown name. */
#define FIELD_ENUM(body, name, T, parse, out, msg, ve)                         \
	do {                                                                   \
		const char *s_ = field_str(body, name, false, 32, ve);         \
		T e_;                                                          \
		if (s_ != NULL) {                                              \
			if (parse(s_, &e_))                                    \
				(out) = (int)e_;                               \
			else                                                   \
				verr_add(ve, name, msg);                       \
		}                                                              \
	} while (0)

static const char *const incident_fields[] = {
    "title",  "summary", "rsit_class", "rsit_type",  "tlp",   "pap",
    "impact", "urgency", "status",     "resolution", "owner", "members",
    "orgs",   "tags",    "force",      NULL};

static void
read_input(struct request *req, json_t *body, struct incident_input *in,
           struct verrs *ve)
{
	incident_input_init(in);
	fields_known(body, incident_fields, ve);
	in->title = field_str(body, "title", false, 300, ve);
	in->summary = field_str(body, "summary", false, 100000, ve);
	in->rsit_class = field_str(body, "rsit_class", false, 64, ve);
	in->rsit_type = field_str(body, "rsit_type", false, 64, ve);
	FIELD_ENUM(body, "tlp", enum tlp, tlp_parse, in->tlp,
	           "must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED", ve);
	FIELD_ENUM(body, "pap", enum pap, pap_parse, in->pap,
	           "must be CLEAR, GREEN, AMBER or RED", ve);
	FIELD_ENUM(body, "impact", enum level, level_parse, in->impact,
	           "must be critical, high, medium or low", ve);
	FIELD_ENUM(body, "urgency", enum level, level_parse, in->urgency,
	           "must be critical, high, medium or low", ve);
	FIELD_ENUM(body, "status", enum status, status_parse, in->status,
	           "must be new, open, stalled, resolved or closed", ve);
	FIELD_ENUM(body, "resolution", enum resolution, resolution_parse,
	           in->resolution,
	           "must be fixed, mitigated, false-positive, duplicate, "
	           "out-of-scope or no-response",
	           ve);
	if (json_object_get(body, "owner") != NULL) {
		in->set_owner = true;
		in->owner = field_str(body, "owner", false, 64, ve);
	}
	in->members = field_list(req, body, "members", ve);
	in->orgs = field_list(req, body, "orgs", ve);
	in->tags = field_list(req, body, "tags", ve);
	in->force = field_bool(body, "force", ve) == 1;
}

void
api_incidents_create(struct request *req)
{
	struct incident_input in;
	struct verrs ve = {0};
	struct incident x;
	struct viewer v;
	json_t *body;
	enum cs_err err;
	char *loc;

	if (!req_json_object(req, &body))
		return;
	req_viewer(req, &v);
	read_input(req, body, &in, &ve);
	err = ve.n ? CS_E_INVAL
	           : incidents_create(req_store(req), req->a,
	                              &req->srv->incidents, &req->actor, &v,
	                              &in, &x, &ve);
	if (err == CS_E_INVAL) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	if (err != CS_OK) {
		json_decref(body);
		reply_err(req, err, NULL);
		return;
	}
	loc = arena_printf(req->a, "/api/v1/incidents/%s", x.ref);
	if (loc != NULL)
		req_add_header(req, "Location", loc);
	reply_incident(req, 201, &x);
	json_decref(body);
}

void
api_incidents_get(struct request *req)
{
	struct incident x;
	struct viewer v;
	enum cs_err err;

	req_viewer(req, &v);
	err = store_call(req_store(req), incident_get, req->a, &v,
	                 req->params[0], &x);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
		return;
	}
	reply_incident(req, 200, &x);
}

void
api_incidents_update(struct request *req)
{
	struct incident_input in;
	struct verrs ve = {0};
	struct incident x;
	struct viewer v;
	const char *why = NULL;
	json_t *body;
	enum cs_err err;

	req_viewer(req, &v);
	if (!req_json_object(req, &body))
		return;
	read_input(req, body, &in, &ve);
	if ((in.if_version = if_match_version(req)) < 0) {
		json_decref(body);
		reply_err(req, CS_E_STALE, NULL);
		return;
	}
	if (ve.n == 0 && json_object_size(body) == 0)
		verr_add(&ve, "body", "names no field to change");
	err = ve.n ? CS_E_INVAL
	           : incidents_update(req_store(req), req->a,
	                              &req->srv->incidents, &req->actor, &v,
	                              req->params[0], &in, &x, &ve, &why);
	if (err == CS_E_INVAL) {
		reply_verrs(req, 400, &ve);
	} else if (err == CS_E_CONFLICT && why != NULL) {
		reply_problem(req, 409, why);
	} else if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
	} else {
		reply_incident(req, 200, &x);
	}
	json_decref(body);
}

/* The same page as CSV; the cursor for the next page travels in the
 * Link header (RFC 8288) since a CSV body has no room for it. */
static void
reply_incidents_csv(struct request *req, const struct incident *rows, size_t n,
                    const struct page *p)
{
	static const char *const head[] = {
	    "ref",  "title", "status",     "resolution", "priority",
	    "tlp",  "pap",   "rsit_class", "rsit_type",  "owner",
	    "orgs", "tags",  "created_at", "updated_at", "resolve_due"};
	static const char *const keep[] = {
	    "status",     "rsit_class", "rsit_type", "tlp", "priority",
	    "owner",      "org",        "tag",       "q",   "sla",
	    "due_within", "sort",       NULL};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 15);
	c.keep = keep;
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct incident *x = &rows[i];
		const char *f[15];

		f[0] = x->ref;
		f[1] = x->title;
		f[2] = status_name(x->status);
		f[3] = x->resolution ? resolution_name(x->resolution) : "";
		f[4] = csv_out_int(&c, x->priority);
		f[5] = tlp_name(x->tlp);
		f[6] = pap_name(x->pap);
		f[7] = x->rsit_class;
		f[8] = x->rsit_type;
		f[9] = x->owner;
		f[10] = csv_out_join(&c, x->orgs);
		f[11] = csv_out_join(&c, x->tags);
		f[12] = csv_out_time(&c, x->created_at);
		f[13] = csv_out_time(&c, x->updated_at);
		f[14] = csv_out_time(&c, x->resolve_due);
		csv_out_row(&c, f, 15);
	}
	csv_out_page(req, &c, "incidents.csv", n, p,
	             n >= 2 ? rows[n - 2].id : 0);
}

void
api_incidents_list(struct request *req)
{
	struct incident_filter f = {.tlp = -1};
	const char *q, *sla, *within;
	bool csv;
	struct incident *rows;
	struct viewer v;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;

	if (!page_from_query(req, &p))
		return;
	req_viewer(req, &v);
	f.status = req_query(req, "status");
	f.rsit_class = req_query(req, "rsit_class");
	f.rsit_type = req_query(req, "rsit_type");
	f.org = req_query(req, "org");
	f.tag = req_query(req, "tag");
	if (f.status != NULL) {
		enum status s;

		if (!status_parse(f.status, &s)) {
			reply_problem(req, 400, "unknown status");
			return;
		}
		f.status = status_name(s);
	}
	if ((q = req_query(req, "tlp")) != NULL) {
		enum tlp t;

		if (!tlp_parse(q, &t)) {
			reply_problem(req, 400, "unknown tlp");
			return;
		}
		f.tlp = (int)t;
	}
	if ((q = req_query(req, "priority")) != NULL) {
		if (strlen(q) != 1 || q[0] < '1' || q[0] > '4') {
			reply_problem(req, 400, "priority must be 1 to 4");
			return;
		}
		f.priority = q[0] - '0';
	}
	if ((q = req_query(req, "owner")) != NULL) {
		struct user u;

		if (strcmp(q, "none") == 0) {
			f.owner_id = -1;
		} else if (store_call(req_store(req), user_get, req->a, 0, q,
		                      &u) == CS_OK) {
			f.owner_id = u.id;
		} else {
			reply_problem(req, 400, "owner names no user");
			return;
		}
	}
	if ((q = req_query(req, "q")) != NULL) {
		char *fts = arena_alloc(req->a, SEARCH_QUERY_MAX);

		if (fts == NULL || strlen(q) > 1000 ||
		    !search_query_fts(q, fts, SEARCH_QUERY_MAX)) {
			reply_problem(req, 400, "q must hold 1 to 16 words");
			return;
		}
		f.fts = fts;
	}
	sla = req_query(req, "sla");
	within = req_query(req, "due_within");
	if (sla != NULL) {
		if (strcmp(sla, "breached") != 0) {
			reply_problem(req, 400, "sla must be breached");
			return;
		}
		f.due_before = clock_now();
	} else if (within != NULL) {
		int64_t d;

		if (!duration_parse(within, &d) || d <= 0) {
			reply_problem(req, 400,
			              "due_within is a duration such as 4h");
			return;
		}
		f.due_before = clock_now() + d;
	}
	if ((q = req_query(req, "sort")) != NULL) {
		static const char *const sorts[] = {[SORT_NEWEST] = "newest",
		                                    [SORT_PRIORITY] =
		                                        "priority",
		                                    [SORT_DUE] = "due",
		                                    [SORT_UPDATED] = "updated"};

		f.sort = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(q, sorts[i]) == 0)
				f.sort = i;
		if (f.sort < 0) {
			reply_problem(
			    req, 400,
			    "sort is newest, priority, due or updated");
			return;
		}
	}
	/* a cursor is only good for the order that made it */
	if (p.after != 0 && p.keyed != (f.sort != SORT_NEWEST)) {
		reply_problem(req, 400,
		              "cursor is not one this server gave out");
		return;
	}
	if (!csv_out_wanted(req, &csv))
		return;
	err = store_call(req_store(req), incident_list, req->a, &v, &f, &p,
	                 &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	p.keyed = f.sort != SORT_NEWEST;
	if (n >= 2)
		p.next_key = incident_sort_key(&rows[n - 2], f.sort);
	if (csv) {
		reply_incidents_csv(req, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items,
		                      api_incident_json(req->a, &rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

static json_t *
entry_json(const struct entry *e)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)e->id,
	                 "kind", e->kind, "visibility", e->visibility, "author",
	                 e->author, "body", e->body, "created_at",
	                 json_time(e->created_at));
}

static void
reply_entries_csv(struct request *req, const struct incident *x,
                  const struct entry *rows, size_t n, const struct page *p)
{
	static const char *const head[] = {"id",     "kind", "visibility",
	                                   "author", "body", "created_at"};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 6);
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct entry *e = &rows[i];
		const char *f[] = {csv_out_int(&c, e->id),
		                   e->kind,
		                   e->visibility,
		                   e->author,
		                   e->body,
		                   csv_out_time(&c, e->created_at)};

		csv_out_row(&c, f, 6);
	}
	csv_out_page(req, &c, csv_out_filename(&c, x->ref, "entries.csv"), n, p,
	             n >= 2 ? rows[n - 2].id : 0);
}

void
api_entries_list(struct request *req)
{
	struct incident x;
	struct viewer v;
	struct entry *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv) ||
	    !req_incident(req, &v, &x))
		return;
	/* constituents never see internal entries, in JSON or in CSV */
	err = store_call(req_store(req), entry_list, req->a, x.id,
	                 req->user.role == ROLE_CONSTITUENT, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_entries_csv(req, &x, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, entry_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_entries_create(struct request *req)
{
	static const char *const known[] = {"kind", "visibility", "body", NULL};
	struct verrs ve = {0};
	struct entry e = {0};
	struct viewer v;
	json_t *body;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	req_viewer(req, &v);
	fields_known(body, known, &ve);
	e.kind = field_str(body, "kind", false, 32, &ve);
	e.visibility = field_str(body, "visibility", false, 32, &ve);
	e.body = field_str(body, "body", true, 1000000, &ve);
	if (e.kind == NULL)
		e.kind = "note";
	if (e.visibility == NULL)
		e.visibility = "internal";
	err = ve.n ? CS_E_INVAL
	           : entries_add(req_store(req), req->a, &req->actor, &v,
	                         req->params[0], &e, &ve);
	if (err == CS_E_INVAL)
		reply_verrs(req, 400, &ve);
	else if (err != CS_OK)
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
	else
		reply_json(req, 201, entry_json(&e));
	json_decref(body);
}

static json_t *
task_json(const struct task *t)
{
	return json_pack(
	    "{s:I,s:s,s:o,s:o,s:s,s:o,s:o}", "id", (json_int_t)t->id, "title",
	    t->title, "assignee", str_or_null(t->assignee), "due_at",
	    json_time(t->due_at), "state", t->state, "created_at",
	    json_time(t->created_at), "updated_at", json_time(t->updated_at));
}

static void
reply_tasks_csv(struct request *req, const struct incident *x,
                const struct task *rows, size_t n, const struct page *p)
{
	static const char *const head[] = {"id",        "title", "assignee",
	                                   "due_at",    "state", "created_at",
	                                   "updated_at"};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 7);
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct task *t = &rows[i];
		const char *f[] = {csv_out_int(&c, t->id),
		                   t->title,
		                   t->assignee,
		                   csv_out_time(&c, t->due_at),
		                   t->state,
		                   csv_out_time(&c, t->created_at),
		                   csv_out_time(&c, t->updated_at)};

		csv_out_row(&c, f, 7);
	}
	csv_out_page(req, &c, csv_out_filename(&c, x->ref, "tasks.csv"), n, p,
	             n >= 2 ? rows[n - 2].id : 0);
}

void
api_tasks_list(struct request *req)
{
	struct incident x;
	struct viewer v;
	struct task *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv) ||
	    !req_incident(req, &v, &x))
		return;
	err =
	    store_call(req_store(req), task_list, req->a, x.id, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_tasks_csv(req, &x, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, task_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_tasks_create(struct request *req)
{
	static const char *const known[] = {"title", "assignee", NULL};
	struct verrs ve = {0};
	struct task t = {0};
	struct viewer v;
	const char *assignee;
	json_t *body;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	req_viewer(req, &v);
	fields_known(body, known, &ve);
	t.title = field_str(body, "title", true, 300, &ve);
	assignee = field_str(body, "assignee", false, 64, &ve);
	err = ve.n ? CS_E_INVAL
	           : tasks_add(req_store(req), req->a, &req->actor, &v,
	                       req->params[0], &t, assignee, &ve);
	if (err == CS_E_INVAL)
		reply_verrs(req, 400, &ve);
	else if (err != CS_OK)
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
	else {
		req_add_header(req, "ETag", etag_of(req, t.version));
		reply_json(req, 201, task_json(&t));
	}
	json_decref(body);
}

void
api_tasks_update(struct request *req)
{
	static const char *const known[] = {"title", "assignee", "state", NULL};
	struct verrs ve = {0};
	struct viewer v;
	struct task t;
	const char *title, *state, *assignee = NULL;
	bool set_assignee = false;
	int64_t id, ifv;
	json_t *body;
	enum cs_err err;

	if (!param_id(req, 1, &id))
		return;
	if ((ifv = if_match_version(req)) < 0) {
		reply_err(req, CS_E_STALE, NULL);
		return;
	}
	if (!req_json_object(req, &body))
		return;
	req_viewer(req, &v);
	fields_known(body, known, &ve);
	title = field_str(body, "title", false, 300, &ve);
	state = field_str(body, "state", false, 16, &ve);
	if (json_object_get(body, "assignee") != NULL) {
		set_assignee = true;
		assignee = field_str(body, "assignee", false, 64, &ve);
	}
	err = ve.n ? CS_E_INVAL
	           : tasks_update(req_store(req), req->a, &req->actor, &v,
	                          req->params[0], id, title, state,
	                          set_assignee, assignee, ifv, &t, &ve);
	if (err == CS_E_INVAL)
		reply_verrs(req, 400, &ve);
	else if (err != CS_OK)
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident or task"
		                               : NULL);
	else {
		req_add_header(req, "ETag", etag_of(req, t.version));
		reply_json(req, 200, task_json(&t));
	}
	json_decref(body);
}

static json_t *
link_json(const struct incident_link *l)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)l->id,
	                 "kind", l->kind, "ref", l->ref, "title", l->title,
	                 "created_by", l->created_by, "created_at",
	                 json_time(l->created_at));
}

/* Links are one page, whole: no cursor, no Link header. */
static void
reply_links_csv(struct request *req, const struct incident *x,
                const struct incident_link *rows, size_t n)
{
	static const char *const head[] = {"id",    "kind",       "ref",
	                                   "title", "created_by", "created_at"};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 6);
	for (size_t i = 0; i < n; i++) {
		const struct incident_link *l = &rows[i];
		const char *f[] = {csv_out_int(&c, l->id),
		                   l->kind,
		                   l->ref,
		                   l->title,
		                   l->created_by,
		                   csv_out_time(&c, l->created_at)};

		csv_out_row(&c, f, 6);
	}
	csv_out_reply(req, &c, csv_out_filename(&c, x->ref, "links.csv"), false,
	              0);
}

void
api_links_list(struct request *req)
{
	struct incident_link *rows;
	struct incident x;
	struct viewer v;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!csv_out_wanted(req, &csv) || !req_incident(req, &v, &x))
		return;
	err =
	    store_call(req_store(req), link_list, req->a, &v, x.id, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_links_csv(req, &x, rows, n);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, link_json(&rows[i]));
	reply_json(req, 200,
	           json_pack("{s:o,s:n}", "items", items, "next_cursor"));
}

void
api_links_create(struct request *req)
{
	static const char *const known[] = {"kind", "ref", NULL};
	struct incident_link *rows;
	struct verrs ve = {0};
	struct incident x;
	struct viewer v;
	const char *kind, *other;
	int64_t id = 0;
	size_t n = 0;
	json_t *body;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	req_viewer(req, &v);
	fields_known(body, known, &ve);
	kind = field_str(body, "kind", true, 32, &ve);
	other = field_str(body, "ref", true, 40, &ve);
	err = ve.n ? CS_E_INVAL
	           : links_add(req_store(req), req->a, &req->actor, &v,
	                       req->params[0], kind, other, &id, &ve);
	if (err == CS_OK)
		err = store_call(req_store(req), incident_get, req->a, &v,
		                 req->params[0], &x);
	if (err == CS_OK)
		err = store_call(req_store(req), link_list, req->a, &v, x.id,
		                 &rows, &n);
	if (err == CS_E_INVAL || (err == CS_E_CONFLICT && ve.n > 0))
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
	else if (err != CS_OK)
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
	else {
		json_t *out = NULL;

		for (size_t i = 0; i < n; i++)
			if (rows[i].id == id)
				out = link_json(&rows[i]);
		reply_json(req, 201, out ? out : json_pack("{s:I}", "id", id));
	}
	json_decref(body);
}

void
api_links_delete(struct request *req)
{
	struct viewer v;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 1, &id))
		return;
	req_viewer(req, &v);
	err = links_remove(req_store(req), req->a, &req->actor, &v,
	                   req->params[0], id);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident or link"
		                               : NULL);
		return;
	}
	reply(req, 204, "application/json", "", 0);
}
