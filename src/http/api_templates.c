/* api_templates.c - incident templates (playbooks) per RSIT type. */
#include <string.h>

#include "core/incident.h"
#include "core/taxonomy.h"
#include "core/templates.h"
#include "http/csv_out.h"
#include "http/api_util.h"
#include "http/handlers.h"

static json_t *
split_json(const char *s, char sep)
{
	json_t *arr = json_array();
	const char *p = s;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, sep);
		size_t n = e ? (size_t)(e - p) : strlen(p);

		if (n > 0)
			json_array_append_new(arr, json_stringn(p, n));
		p = e ? e + 1 : NULL;
	}
	return arr;
}

static json_t *
name_or_null(int v, const char *(*name)(int))
{
	return v >= 0 ? json_string(name(v)) : json_null();
}

static const char *
n_tlp(int v)
{
	return tlp_name((enum tlp)v);
}

static const char *
n_pap(int v)
{
	return pap_name((enum pap)v);
}

static const char *
n_level(int v)
{
	return level_name((enum level)v);
}

static json_t *
template_json(const struct incident_template *t)
{
	const struct rsit_type *r = rsit_type_find(t->rsit_type);

	return json_pack(
	    "{s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id",
	    (json_int_t)t->id, "rsit_type", t->rsit_type, "rsit_class",
	    r ? r->class_id : "", "name", t->name, "tlp",
	    name_or_null(t->tlp, n_tlp), "pap", name_or_null(t->pap, n_pap),
	    "impact", name_or_null(t->impact, n_level), "urgency",
	    name_or_null(t->urgency, n_level), "tags", split_json(t->tags, ','),
	    "tasks", split_json(t->tasks, '\n'), "created_at",
	    json_time(t->created_at), "updated_at", json_time(t->updated_at));
}

static const char **
str_list(struct request *req, json_t *body, const char *name, size_t max,
         struct verrs *ve)
{
	json_t *v = json_object_get(body, name), *it;
	const char **out;
	size_t i;

	if (v == NULL)
		return NULL;
	if (!json_is_array(v) || json_array_size(v) > max) {
		verr_add(ve, name, "must be a list of strings");
		return NULL;
	}
	if ((out = arena_alloc(req->a, sizeof(*out) *
	                                   (json_array_size(v) + 1))) == NULL)
		return NULL;
	json_array_foreach(v, i, it)
	{
		if (!json_is_string(it) ||
		    strlen(json_string_value(it)) != json_string_length(it)) {
			verr_add(ve, name, "must be a list of strings");
			return NULL;
		}
		out[i] = json_string_value(it);
	}
	out[json_array_size(v)] = NULL;
	return out;
}

static void
read_enums(json_t *body, struct incident_template *t, struct verrs *ve)
{
	const char *s;

	if ((s = field_str(body, "tlp", false, 20, ve)) != NULL) {
		enum tlp x;

		if (tlp_parse(s, &x))
			t->tlp = (int)x;
		else
			verr_add(ve, "tlp", "is not a TLP level");
	}
	if ((s = field_str(body, "pap", false, 20, ve)) != NULL) {
		enum pap x;

		if (pap_parse(s, &x))
			t->pap = (int)x;
		else
			verr_add(ve, "pap", "is not a PAP level");
	}
	if ((s = field_str(body, "impact", false, 20, ve)) != NULL) {
		enum level x;

		if (level_parse(s, &x))
			t->impact = (int)x;
		else
			verr_add(ve, "impact", "is not a level");
	}
	if ((s = field_str(body, "urgency", false, 20, ve)) != NULL) {
		enum level x;

		if (level_parse(s, &x))
			t->urgency = (int)x;
		else
			verr_add(ve, "urgency", "is not a level");
	}
}

static const char *const fields[] = {"rsit_type", "name",   "tlp",
                                     "pap",       "impact", "urgency",
                                     "tags",      "tasks",  NULL};

static void
reply_templates_csv(struct request *req, const struct incident_template *rows,
                    size_t n, const struct page *p)
{
	static const char *const head[] = {
	    "id",   "rsit_type", "rsit_class", "name",
	    "tlp",  "pap",       "impact",     "urgency",
	    "tags", "tasks",     "created_at", "updated_at"};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 12);
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct incident_template *t = &rows[i];
		const struct rsit_type *r = rsit_type_find(t->rsit_type);
		const char *f[12];

		f[0] = csv_out_int(&c, t->id);
		f[1] = t->rsit_type;
		f[2] = r ? r->class_id : "";
		f[3] = t->name;
		f[4] = t->tlp >= 0 ? n_tlp(t->tlp) : "";
		f[5] = t->pap >= 0 ? n_pap(t->pap) : "";
		f[6] = t->impact >= 0 ? n_level(t->impact) : "";
		f[7] = t->urgency >= 0 ? n_level(t->urgency) : "";
		f[8] = csv_out_split(&c, t->tags, ',');
		f[9] = csv_out_split(&c, t->tasks, '\n');
		f[10] = csv_out_time(&c, t->created_at);
		f[11] = csv_out_time(&c, t->updated_at);
		csv_out_row(&c, f, 12);
	}
	csv_out_page(req, &c, "templates.csv", n, p,
	             n >= 2 ? rows[n - 2].id : 0);
}

void
api_templates_list(struct request *req)
{
	struct incident_template *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	err = store_call(req_store(req), template_list, req->a, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_templates_csv(req, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, template_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

static void
save(struct request *req, struct incident_template *t, int status)
{
	struct verrs ve = {0};
	const char **tags, **tasks;
	json_t *body;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	fields_known(body, fields, &ve);
	if (json_object_get(body, "rsit_type") || t->id == 0)
		t->rsit_type = field_str(body, "rsit_type", true, 64, &ve);
	if (json_object_get(body, "name") || t->id == 0)
		t->name = field_str(body, "name", true, 200, &ve);
	read_enums(body, t, &ve);
	tags = str_list(req, body, "tags", 64, &ve);
	tasks = str_list(req, body, "tasks", TEMPLATE_TASKS_MAX + 1, &ve);
	err = ve.n ? CS_E_INVAL
	           : templates_save(req_store(req), req->a, &req->actor, t,
	                            tags, tasks, &ve);
	if (err == CS_OK)
		err = store_call(req_store(req), template_get, req->a, t->id,
		                 NULL, t);
	if (err == CS_E_INVAL || (err == CS_E_CONFLICT && ve.n > 0))
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
	else if (err != CS_OK)
		reply_err(req, err, NULL);
	else {
		req_add_header(req, "ETag", etag_of(req, t->version));
		reply_json(req, status, template_json(t));
	}
	json_decref(body);
}

void
api_templates_create(struct request *req)
{
	struct incident_template t = {
	    .tlp = -1, .pap = -1, .impact = -1, .urgency = -1};

	save(req, &t, 201);
}

static bool
template_from_param(struct request *req, struct incident_template *t)
{
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return false;
	err = store_call(req_store(req), template_get, req->a, id, NULL, t);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such template" : NULL);
		return false;
	}
	return true;
}

void
api_templates_get(struct request *req)
{
	struct incident_template t;

	if (!template_from_param(req, &t))
		return;
	req_add_header(req, "ETag", etag_of(req, t.version));
	reply_json(req, 200, template_json(&t));
}

void
api_templates_update(struct request *req)
{
	struct incident_template t;
	int64_t ifv = if_match_version(req);

	if (ifv < 0) {
		reply_err(req, CS_E_STALE, NULL);
		return;
	}
	if (!template_from_param(req, &t))
		return;
	if (ifv != 0 && ifv != t.version) {
		reply_err(req, CS_E_STALE, NULL);
		return;
	}
	save(req, &t, 200);
}

void
api_templates_delete(struct request *req)
{
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return;
	err = templates_delete(req_store(req), req->a, &req->actor, id);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such template" : NULL);
		return;
	}
	reply(req, 204, "application/json", "", 0);
}
