/* api_orgs.c - the constituency: organisations and their contacts. */
#include <stdio.h>
#include <string.h>

#include "core/orgs.h"
#include "http/csv_out.h"
#include "mail/pgp.h"
#include "core/log.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/handlers.h"

static json_t *
languages_json(const char *s)
{
	json_t *arr = json_array();
	const char *p = s;

	while (p != NULL && *p != '\0') {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		json_array_append_new(arr, json_stringn(p, n));
		p = comma ? comma + 1 : NULL;
	}
	return arr;
}

static json_t *
org_json(const struct org *o)
{
	json_t *j = json_pack(
	    "{s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o}", "id",
	    (json_int_t)o->id, "name", o->name, "short_name", o->short_name,
	    "sector", o->sector, "country", o->country, "languages",
	    languages_json(o->languages), "parent",
	    o->parent_short ? json_string(o->parent_short) : json_null(),
	    "notes", o->notes, "created_at", json_time(o->created_at),
	    "updated_at", json_time(o->updated_at));

	json_object_set_new(
	    j, "notify_interval",
	    json_string(o->notify_interval ? o->notify_interval : "daily"));
	json_object_set_new(j, "notify_test", json_boolean(o->notify_test));
	return j;
}

static json_t *
contact_json(const struct contact *c)
{
	json_t *o = json_pack(
	    "{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "id", (json_int_t)c->id,
	    "org_id", (json_int_t)c->org_id, "name", c->name, "email", c->email,
	    "phone", c->phone, "role", c->role, "language", c->language,
	    "created_at", json_time(c->created_at));

	json_object_set_new(o, "pgp_fingerprint",
	                    c->pgp_fingerprint ? json_string(c->pgp_fingerprint)
	                                       : json_null());
	return o;
}

/* "languages": ["ca", "es"] -> "ca,es" in the arena; NULL when absent. */
static const char *
field_languages(struct request *req, json_t *body, struct verrs *ve)
{
	json_t *v = json_object_get(body, "languages"), *it;
	size_t i, len = 0;
	char *out;

	if (v == NULL)
		return NULL;
	if (!json_is_array(v) || json_array_size(v) > 16) {
		verr_add(ve, "languages", "must be a list of ISO 639-1 codes");
		return NULL;
	}
	out = arena_alloc(req->a, json_array_size(v) * 3 + 1);
	if (out == NULL)
		return NULL;
	out[0] = '\0';
	json_array_foreach(v, i, it)
	{
		const char *code = json_string_value(it);

		if (code == NULL || strlen(code) != 2) {
			verr_add(ve, "languages",
			         "must be a list of ISO 639-1 codes");
			return NULL;
		}
		len +=
		    (size_t)snprintf(out + len, 4, "%s%s", i ? "," : "", code);
	}
	return out;
}

void
api_orgs_list(struct request *req)
{
	const char *q = req_query(req, "q");
	struct org *rows = NULL, own;
	struct page p;
	size_t n = 0;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	if (req->user.role == ROLE_CONSTITUENT) {
		/* a constituent's list is its own organisation */
		err = store_call(req_store(req), org_get, req->a, 0,
		                 req->user.org ? req->user.org : "", &own);
		if (err != CS_OK && err != CS_E_NOTFOUND) {
			reply_err(req, err, NULL);
			return;
		}
		if (err == CS_OK && p.after < own.id)
			rows = &own, n = 1;
	} else {
		if (q != NULL && (strlen(q) > 200 || q[0] == '\0')) {
			reply_problem(req, 400,
			              "q must be 1 to 200 characters");
			return;
		}
		err = store_call(req_store(req), org_list, req->a, q, &p, &rows,
		                 &n);
		if (err != CS_OK) {
			reply_err(req, err, NULL);
			return;
		}
	}
	if (csv) {
		static const char *const head[] = {
		    "id",      "short_name", "name",   "sector",
		    "country", "languages",  "parent", "updated_at"};
		static const char *const keep[] = {"q", NULL};
		struct csv_out c;

		csv_out_start(&c, req->a, head, 8);
		c.keep = keep;
		for (size_t i = 0; i < csv_out_shown(n, &p); i++) {
			const char *f[8];

			f[0] = csv_out_int(&c, rows[i].id);
			f[1] = rows[i].short_name, f[2] = rows[i].name;
			f[3] = rows[i].sector, f[4] = rows[i].country;
			f[5] = rows[i].languages, f[6] = rows[i].parent_short;
			f[7] = csv_out_time(&c, rows[i].updated_at);
			csv_out_row(&c, f, 8);
		}
		csv_out_page(req, &c, "organisations.csv", n, &p,
		             n >= 2 ? rows[n - 2].id : 0);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, org_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

static const char *const org_fields[] = {
    "name",   "short_name", "sector",          "country",     "languages",
    "parent", "notes",      "notify_interval", "notify_test", NULL};

void
api_orgs_create(struct request *req)
{
	struct verrs ve = {0};
	struct org o = {0};
	json_t *body;
	enum cs_err err;
	char *loc;

	if (!req_json_object(req, &body))
		return;
	fields_known(body, org_fields, &ve);
	o.name = field_str(body, "name", true, 200, &ve);
	o.short_name = field_str(body, "short_name", true, 64, &ve);
	o.sector = field_str(body, "sector", false, 64, &ve);
	o.country = field_str(body, "country", false, 2, &ve);
	o.languages = field_languages(req, body, &ve);
	o.parent_short = field_str(body, "parent", false, 64, &ve);
	o.notes = field_str(body, "notes", false, 20000, &ve);
	o.notify_interval = field_str(body, "notify_interval", false, 16, &ve);
	o.notify_test = field_bool(body, "notify_test", &ve) == 1;
	if (ve.n == 0)
		err = orgs_create(req_store(req), req->a, &req->actor, &o, &ve);
	else
		err = CS_E_INVAL;
	if (err == CS_E_INVAL || (err == CS_E_CONFLICT && ve.n > 0)) {
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
		json_decref(body);
		return;
	}
	json_decref(body);
	if (err == CS_OK)
		err =
		    store_call(req_store(req), org_get, req->a, o.id, NULL, &o);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	loc = arena_printf(req->a, "/api/v1/orgs/%lld", (long long)o.id);
	if (loc != NULL)
		req_add_header(req, "Location", loc);
	req_add_header(req, "ETag", etag_of(req, o.version));
	reply_json(req, 201, org_json(&o));
}

void
api_orgs_get(struct request *req)
{
	struct org o;

	if (!req_org(req, &o))
		return;
	req_add_header(req, "ETag", etag_of(req, o.version));
	reply_json(req, 200, org_json(&o));
}

void
api_orgs_update(struct request *req)
{
	struct org_patch p = {0};
	struct verrs ve = {0};
	struct org o;
	json_t *body;
	enum cs_err err;
	int64_t id;

	if (!param_id(req, 0, &id))
		return;
	if ((p.if_version = if_match_version(req)) < 0) {
		reply_err(req, CS_E_STALE, NULL);
		return;
	}
	if (!req_json_object(req, &body))
		return;
	fields_known(body, org_fields, &ve);
	p.name = field_str(body, "name", false, 200, &ve);
	p.short_name = field_str(body, "short_name", false, 64, &ve);
	p.sector = field_str(body, "sector", false, 64, &ve);
	p.country = field_str(body, "country", false, 2, &ve);
	p.languages = field_languages(req, body, &ve);
	p.notes = field_str(body, "notes", false, 20000, &ve);
	p.notify_interval = field_str(body, "notify_interval", false, 16, &ve);
	p.notify_test = field_bool(body, "notify_test", &ve);
	if (json_object_get(body, "parent") != NULL) {
		p.set_parent = true;
		p.parent = field_str(body, "parent", false, 64, &ve);
	}
	if (ve.n == 0 && json_object_size(body) == 0)
		verr_add(&ve, "body", "names no field to change");
	if (ve.n == 0)
		err = orgs_update(req_store(req), req->a, &req->actor, id, &p,
		                  &o, &ve);
	else
		err = CS_E_INVAL;
	if (err == CS_E_INVAL || (err == CS_E_CONFLICT && ve.n > 0)) {
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
		json_decref(body);
		return;
	}
	json_decref(body);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such organisation" : NULL);
		return;
	}
	req_add_header(req, "ETag", etag_of(req, o.version));
	reply_json(req, 200, org_json(&o));
}

static void
reply_contacts_csv(struct request *req, const struct org *o,
                   const struct contact *rows, size_t n, const struct page *p)
{
	static const char *const head[] = {
	    "id",   "org_id",   "name",       "email",          "phone",
	    "role", "language", "created_at", "pgp_fingerprint"};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 9);
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct contact *k = &rows[i];
		/* the fingerprint, never the key itself (as in JSON) */
		const char *f[] = {csv_out_int(&c, k->id),
		                   csv_out_int(&c, k->org_id),
		                   k->name,
		                   k->email,
		                   k->phone,
		                   k->role,
		                   k->language,
		                   csv_out_time(&c, k->created_at),
		                   k->pgp_fingerprint};

		csv_out_row(&c, f, 9);
	}
	csv_out_page(req, &c,
	             csv_out_filename(&c, o->short_name, "contacts.csv"), n, p,
	             n >= 2 ? rows[n - 2].id : 0);
}

void
api_contacts_list(struct request *req)
{
	struct contact *rows;
	struct page p;
	struct org o;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!req_org(req, &o) || !page_from_query(req, &p) ||
	    !csv_out_wanted(req, &csv))
		return;
	err = store_call(req_store(req), contact_list, req->a, o.id, &p, &rows,
	                 &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_contacts_csv(req, &o, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, contact_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_contacts_create(struct request *req)
{
	static const char *const known[] = {
	    "name", "email", "phone", "role", "language", "pgp_key", NULL};
	struct pgp_key_info key;
	char why[160];
	struct verrs ve = {0};
	struct contact c = {0};
	struct org o;
	json_t *body;
	enum cs_err err;

	if (!req_org(req, &o) || !req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	c.org_id = o.id;
	c.name = field_str(body, "name", false, 200, &ve);
	c.email = field_str(body, "email", true, 254, &ve);
	c.phone = field_str(body, "phone", false, 40, &ve);
	c.role = field_str(body, "role", true, 16, &ve);
	c.language = field_str(body, "language", false, 2, &ve);
	c.pgp_key = field_str(body, "pgp_key", false, PGP_KEY_MAX, &ve);
	if (ve.n == 0 && c.pgp_key != NULL) {
		if (pgp_key_inspect(c.pgp_key, &key, why, sizeof(why)) != CS_OK)
			verr_add(&ve, "pgp_key", arena_strdup(req->a, why));
		else
			c.pgp_fingerprint =
			    arena_strdup(req->a, key.fingerprint);
	}
	if (ve.n == 0)
		err =
		    contacts_add(req_store(req), req->a, &req->actor, &c, &ve);
	else
		err = CS_E_INVAL;
	if (err == CS_E_INVAL || (err == CS_E_CONFLICT && ve.n > 0)) {
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
		json_decref(body);
		return;
	}
	if (err != CS_OK) {
		json_decref(body);
		reply_err(req, err, NULL);
		return;
	}
	/* the contact's signatures on mail to the team then verify */
	if (c.pgp_key != NULL &&
	    pgp_import(c.pgp_key, why, sizeof(why)) != CS_OK)
		log_warnx("msg=\"contact key not added to the keyring\" "
		          "contact=%lld why=\"%s\"",
		          (long long)c.id, why);
	c.name = c.name ? c.name : "";
	c.phone = c.phone ? c.phone : "";
	c.language = c.language ? c.language : "";
	reply_json(req, 201, contact_json(&c));
	json_decref(body);
}

void
api_contacts_delete(struct request *req)
{
	struct org o;
	int64_t id;
	enum cs_err err;

	if (!req_org(req, &o) || !param_id(req, 1, &id))
		return;
	err = contacts_remove(req_store(req), req->a, &req->actor, o.id, id);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such contact" : NULL);
		return;
	}
	reply(req, 204, "application/json", "", 0);
}
