/* api_assets.c - network assets of organisations, import and lookup. */
#include <stdio.h>
#include <string.h>

#include "core/constituency.h"
#include "http/csv_out.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/handlers.h"

static json_t *
asset_json(const struct org_asset *x)
{
	return json_pack("{s:I,s:I,s:s,s:s,s:o}", "id", (json_int_t)x->id,
	                 "org_id", (json_int_t)x->org_id, "kind", x->kind,
	                 "value", x->value, "created_at",
	                 json_time(x->created_at));
}

static void
reply_assets_csv(struct request *req, const struct org *o,
                 const struct org_asset *rows, size_t n, const struct page *p)
{
	static const char *const head[] = {"id", "org_id", "kind", "value",
	                                   "created_at"};
	static const char *const keep[] = {"kind", NULL};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 5);
	c.keep = keep;
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct org_asset *x = &rows[i];
		const char *f[] = {csv_out_int(&c, x->id),
		                   csv_out_int(&c, x->org_id), x->kind,
		                   x->value, csv_out_time(&c, x->created_at)};

		csv_out_row(&c, f, 5);
	}
	csv_out_page(req, &c, csv_out_filename(&c, o->short_name, "assets.csv"),
	             n, p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_assets_list(struct request *req)
{
	const char *kind = req_query(req, "kind");
	struct org_asset *rows;
	struct page p;
	struct org o;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!req_org(req, &o) || !page_from_query(req, &p) ||
	    !csv_out_wanted(req, &csv))
		return;
	if (kind != NULL && strcmp(kind, "cidr") != 0 &&
	    strcmp(kind, "asn") != 0 && strcmp(kind, "domain") != 0) {
		reply_problem(req, 400, "kind must be cidr, asn or domain");
		return;
	}
	err = store_call(req_store(req), asset_list, req->a, o.id, kind, &p,
	                 &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_assets_csv(req, &o, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, asset_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_assets_create(struct request *req)
{
	static const char *const known[] = {"kind", "value", NULL};
	struct verrs ve = {0};
	struct org_asset x = {0};
	struct org o;
	json_t *body;
	enum cs_err err;

	if (!req_org(req, &o) || !req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	x.org_id = o.id;
	x.kind = field_str(body, "kind", true, 16, &ve);
	x.value = field_str(body, "value", true, 300, &ve);
	err = ve.n ? CS_E_INVAL
	           : assets_add(req_store(req), req->a, &req->actor, &x, &ve);
	if (err == CS_E_INVAL || (err == CS_E_CONFLICT && ve.n > 0))
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
	else if (err != CS_OK)
		reply_err(req, err, NULL);
	else {
		x.kind = arena_strdup(req->a, x.kind);
		reply_json(req, 201, asset_json(&x));
	}
	json_decref(body);
}

void
api_assets_delete(struct request *req)
{
	struct org o;
	int64_t id;
	enum cs_err err;

	if (!req_org(req, &o) || !param_id(req, 1, &id))
		return;
	err = assets_remove(req_store(req), req->a, &req->actor, o.id, id);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such asset" : NULL);
		return;
	}
	reply(req, 204, "application/json", "", 0);
}

void
api_assets_import(struct request *req)
{
	const char *ct = req_header(req, "Content-Type");
	struct import_result *res = arena_alloc(req->a, sizeof(*res));
	json_t *errs;
	enum cs_err err;

	if (res == NULL) {
		reply_problem(req, 413, "out of request memory");
		return;
	}
	if (ct == NULL || strncasecmp(ct, "text/csv", 8) != 0) {
		reply_problem(req, 415,
		              "send the assets as text/csv: org,kind,value");
		return;
	}
	err = assets_import(req_store(req), req->a, &req->actor, req->body,
	                    req->body_len, res);
	if (err == CS_E_INVAL) {
		char *detail = arena_printf(req->a,
		                            "%zu line(s) are invalid; nothing "
		                            "was imported",
		                            res->nerrors);
		json_t *p = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type",
		                      "urn:csirtd:problem:validation", "title",
		                      "Bad Request", "status", 400, "detail",
		                      detail ? detail : "invalid lines",
		                      "instance", req->path);

		errs = json_array();
		for (size_t i = 0; i < res->nerrors && i < IMPORT_ERRORS_MAX;
		     i++)
			json_array_append_new(
			    errs,
			    json_pack("{s:s,s:I,s:s}", "field", "line", "line",
			              (json_int_t)res->errors[i].line, "detail",
			              res->errors[i].message));
		json_object_set_new(p, "errors", errs);
		reply_json(req, 400, p);
		req->ctype = "application/problem+json";
		return;
	}
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	reply_json(req, 200,
	           json_pack("{s:I,s:I,s:I}", "lines", (json_int_t)res->lines,
	                     "added", (json_int_t)res->added, "skipped",
	                     (json_int_t)res->skipped));
}

void
api_lookup(struct request *req)
{
	static const char *const kinds[] = {"ip", "asn", "domain"};
	const char *kind = NULL, *query = NULL;
	struct lookup_result r;
	char why[128];
	json_t *orgs;
	enum cs_err err;

	for (size_t i = 0; i < 3; i++) {
		const char *q = req_query(req, kinds[i]);

		if (q == NULL)
			continue;
		if (kind != NULL) {
			reply_problem(req, 400,
			              "give exactly one of ip, asn or domain");
			return;
		}
		kind = kinds[i];
		query = q;
	}
	if (kind == NULL) {
		reply_problem(req, 400, "give one of ip, asn or domain");
		return;
	}
	if ((err = constituency_index_sync(req->srv->constituency,
	                                   req_store(req))) != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	err = constituency_lookup(req->srv->constituency, kind, query, &r, why,
	                          sizeof(why));
	if (err == CS_E_INVAL) {
		struct verrs ve = {0};

		verr_add(&ve, kind, arena_strdup(req->a, why));
		reply_verrs(req, 400, &ve);
		return;
	}
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	orgs = json_array();
	for (size_t i = 0; i < r.n; i++) {
		struct contact *cs;
		struct page p = {.after = 0, .limit = 100};
		struct org o;
		size_t nc = 0;
		json_t *contacts = json_array();

		if (store_call(req_store(req), org_get, req->a, r.org_ids[i],
		               NULL, &o) != CS_OK ||
		    !auth_can_read_org(req, o.short_name)) {
			json_decref(contacts);
			continue; /* a constituent learns only of itself */
		}
		if (store_call(req_store(req), contact_list, req->a, o.id, &p,
		               &cs, &nc) == CS_OK)
			for (size_t k = 0; k < nc; k++)
				json_array_append_new(
				    contacts,
				    json_pack("{s:s,s:s,s:s,s:s}", "name",
				              cs[k].name, "email", cs[k].email,
				              "role", cs[k].role, "language",
				              cs[k].language));
		json_array_append_new(
		    orgs, json_pack("{s:I,s:s,s:s,s:o}", "id", (json_int_t)o.id,
		                    "name", o.name, "short_name", o.short_name,
		                    "contacts", contacts));
	}
	reply_json(req, 200,
	           json_pack("{s:s,s:s,s:o,s:o}", "kind", kind, "query", query,
	                     "matched",
	                     json_array_size(orgs) ? json_string(r.matched)
	                                           : json_null(),
	                     "orgs", orgs));
}
