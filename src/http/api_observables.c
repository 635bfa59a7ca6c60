/*
 * api_observables.c - observables (IOCs) of incidents: list, add, remove,
 * and extraction from free text.
 *
 * Reading follows the incident: whoever may read it (constituents
 * included) reads its observables, and each comes with the other incidents
 * holding the same one that the caller may read (at most CORR_MAX, newest
 * first). The team's own domains, skipped by extraction unless skip_own is
 * false, are the domain of the team e-mail address ([team] email) and its
 * subdomains; there is no separate setting.
 */
#include <string.h>

#include "core/observables.h"
#include "http/csv_out.h"
#include "http/api_util.h"
#include "http/handlers.h"

#define CORR_MAX 20 /* correlated incidents shown per observable */

/* c[*j ...] are the correlations of observable index (c is in index
 * order); moves *j past them. */
static json_t *
observable_json(const struct observable *o, size_t index,
                const struct correlation *c, size_t nc, size_t *j)
{
	json_t *corr = json_array();

	while (*j < nc && c[*j].index < index)
		(*j)++;
	for (; *j < nc && c[*j].index == index; (*j)++)
		json_array_append_new(corr,
		                      json_pack("{s:s,s:s}", "ref", c[*j].ref,
		                                "title", c[*j].title));
	return json_pack(
	    "{s:I,s:s,s:s,s:b,s:o,s:s,s:o,s:o,s:s,s:o,s:o}", "id",
	    (json_int_t)o->id, "type", o->type, "value", o->value, "to_ids",
	    o->to_ids, "tlp",
	    o->tlp >= 0 ? json_string(tlp_name((enum tlp)o->tlp)) : json_null(),
	    "comment", o->comment ? o->comment : "", "first_seen",
	    json_time(o->first_seen), "last_seen", json_time(o->last_seen),
	    "created_by", o->created_by, "created_at", json_time(o->created_at),
	    "correlations", corr);
}

/* An observable marked TLP:RED of its own stays with the team. */
static bool
hidden(const struct request *req, const struct observable *o)
{
	return req->user.role == ROLE_CONSTITUENT && o->tlp == TLP_RED;
}

/* "ref;ref" of the incidents correlated with observable index, moving *j
 * as observable_json() does. */
static const char *
correlations_cell(struct csv_out *c, size_t index,
                  const struct correlation *corr, size_t nc, size_t *j)
{
	const char **refs;
	size_t k = 0, end;

	while (*j < nc && corr[*j].index < index)
		(*j)++;
	for (end = *j; end < nc && corr[end].index == index; end++)
		;
	if ((refs = arena_alloc(c->a, sizeof(*refs) * (end - *j + 1))) ==
	    NULL) {
		c->oom = true;
		return "";
	}
	for (; *j < end; (*j)++)
		refs[k++] = corr[*j].ref;
	refs[k] = NULL;
	return csv_out_join(c, refs);
}

static void
reply_observables_csv(struct request *req, const struct incident *x,
                      const struct observable *rows, size_t n,
                      const struct page *p, const struct correlation *corr,
                      size_t nc)
{
	static const char *const head[] = {
	    "id",         "type",       "value",       "to_ids",
	    "tlp",        "comment",    "first_seen",  "last_seen",
	    "created_by", "created_at", "correlations"};
	struct csv_out c;
	size_t j = 0;

	csv_out_start(&c, req->a, head, 11);
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct observable *o = &rows[i];
		const char *f[11];

		if (hidden(req, o))
			continue;
		f[0] = csv_out_int(&c, o->id);
		f[1] = o->type;
		f[2] = o->value;
		f[3] = o->to_ids ? "true" : "false";
		f[4] = o->tlp >= 0 ? tlp_name((enum tlp)o->tlp) : "";
		f[5] = o->comment;
		f[6] = csv_out_time(&c, o->first_seen);
		f[7] = csv_out_time(&c, o->last_seen);
		f[8] = o->created_by;
		f[9] = csv_out_time(&c, o->created_at);
		f[10] = correlations_cell(&c, i, corr, nc, &j);
		csv_out_row(&c, f, 11);
	}
	csv_out_page(req, &c, csv_out_filename(&c, x->ref, "observables.csv"),
	             n, p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_observables_list(struct request *req)
{
	struct observable *rows;
	struct correlation *corr;
	struct incident x;
	struct viewer v;
	struct page p;
	size_t n, kept, nc, j = 0;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv) ||
	    !req_incident(req, &v, &x))
		return;
	err = store_call(req_store(req), observable_list, req->a, x.id, &p,
	                 &rows, &n);
	if (err == CS_OK) {
		/* not for the extra row that only tells a next page exists */
		kept = csv_out_shown(n, &p);
		err = store_call(req_store(req), observable_correlate, req->a,
		                 &v, x.id, rows, kept, CORR_MAX, &corr, &nc);
	}
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_observables_csv(req, &x, rows, n, &p, corr, nc);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++) {
		/* The extra row is appended whatever it holds: reply_page()
		 * drops the last item, which must be that one and not the last
		 * row of the page. */
		if (i < kept && hidden(req, &rows[i]))
			continue;
		json_array_append_new(
		    items, observable_json(&rows[i], i, corr, nc, &j));
	}
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_observables_create(struct request *req)
{
	static const char *const known[] = {"type", "value",   "to_ids",
	                                    "tlp",  "comment", NULL};
	struct observable_input in = {.tlp = -1};
	struct observable o;
	struct correlation *corr = NULL;
	struct verrs ve = {0};
	struct viewer v;
	const char *tlp;
	size_t nc = 0, j = 0;
	bool created = false;
	json_t *body;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	req_viewer(req, &v);
	fields_known(body, known, &ve);
	in.type = field_str(body, "type", true, 32, &ve);
	in.value = field_str(body, "value", true, IOC_INPUT_MAX, &ve);
	in.to_ids = field_bool(body, "to_ids", &ve) == 1;
	in.comment =
	    field_str(body, "comment", false, OBSERVABLE_COMMENT_MAX, &ve);
	if ((tlp = field_str(body, "tlp", false, 32, &ve)) != NULL) {
		enum tlp t;

		if (tlp_parse(tlp, &t))
			in.tlp = (int)t;
		else
			verr_add(&ve, "tlp",
			         "must be CLEAR, GREEN, AMBER, AMBER+STRICT or "
			         "RED");
	}
	err = ve.n ? CS_E_INVAL
	           : observables_add(req_store(req), req->a, &req->actor, &v,
	                             req->params[0], &in, &o, &created, &ve);
	if (err == CS_OK)
		err =
		    store_call(req_store(req), observable_correlate, req->a, &v,
		               o.incident_id, &o, 1, CORR_MAX, &corr, &nc);
	if (err == CS_E_INVAL)
		reply_verrs(req, 400, &ve);
	else if (err != CS_OK)
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
	else
		reply_json(req, created ? 201 : 200,
		           observable_json(&o, 0, corr, nc, &j));
	json_decref(body);
}

void
api_observables_delete(struct request *req)
{
	struct viewer v;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 1, &id))
		return;
	req_viewer(req, &v);
	err = observables_remove(req_store(req), req->a, &req->actor, &v,
	                         req->params[0], id);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND
		              ? "no such incident or observable"
		              : NULL);
		return;
	}
	reply(req, 204, "application/json", "", 0);
}

/* "types": a list of extractable type names -> IOC_BIT() mask. */
static unsigned
field_types(json_t *body, struct verrs *ve)
{
	json_t *list = json_object_get(body, "types"), *it;
	unsigned mask = 0;
	size_t i;

	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > IOC_TYPE_COUNT) {
		verr_add(ve, "types", "must be a non-empty list of type names");
		return 0;
	}
	json_array_foreach(list, i, it)
	{
		enum ioc_type t;

		if (!json_is_string(it) ||
		    ioc_type_parse(json_string_value(it), &t) != CS_OK) {
			verr_add(ve, "types",
			         "must list ipv4, ipv6, cidr, domain, url, "
			         "email, md5, sha1, sha256, asn or cve");
			return 0;
		}
		if ((IOC_BIT(t) & IOC_EXTRACTABLE) == 0) {
			verr_add(ve, "types",
			         "filename and user-agent cannot be extracted "
			         "from text");
			return 0;
		}
		mask |= IOC_BIT(t);
	}
	return mask;
}

/* The domain of the team e-mail address, normalised, or NULL. */
static const char *
team_domain(struct request *req)
{
	const char *at = strrchr(req->srv->cfg.team_email, '@');
	char *out;

	if (at == NULL || at[1] == '\0' ||
	    (out = arena_alloc(req->a, IOC_OUT_MAX)) == NULL)
		return NULL;
	if (ioc_normalise(IOC_DOMAIN, at + 1, out, IOC_OUT_MAX, NULL) != CS_OK)
		return NULL;
	return out;
}

void
api_observables_extract(struct request *req)
{
	static const char *const known[] = {
	    "text", "attach", "skip_private", "skip_own", "types", NULL};
	struct observables_extract_opts opts = {0};
	struct verrs ve = {0};
	struct found *items;
	struct viewer v;
	const char *text, *own[1];
	size_t n = 0;
	bool attach, truncated = false;
	json_t *body, *found;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	req_viewer(req, &v);
	fields_known(body, known, &ve);
	text = field_str(body, "text", true, OBSERVABLES_TEXT_MAX, &ve);
	attach = field_bool(body, "attach", &ve) == 1;
	opts.skip_private = field_bool(body, "skip_private", &ve) != 0;
	opts.types = field_types(body, &ve);
	if (field_bool(body, "skip_own", &ve) != 0 &&
	    (own[0] = team_domain(req)) != NULL) {
		opts.own_domains = own;
		opts.n_own_domains = 1;
	}
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	err = observables_extract(req_store(req), req->a, &req->actor, &v,
	                          req->params[0], text, strlen(text), &opts,
	                          attach, &items, &n, &truncated);
	if (err == CS_E_TOOBIG && truncated) {
		reply_problem(req, 413,
		              "the text holds more than 1000 observables: "
		              "attach them in parts");
	} else if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident" : NULL);
	} else {
		found = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *f = json_pack("{s:s,s:s}", "type",
			                      ioc_type_name(items[i].type),
			                      "value", items[i].value);

			if (attach) {
				json_object_set_new(f, "id",
				                    json_integer(items[i].id));
				json_object_set_new(
				    f, "new", json_boolean(items[i].created));
			}
			json_array_append_new(found, f);
		}
		reply_json(req, 200,
		           json_pack("{s:o,s:b}", "found", found, "truncated",
		                     truncated));
	}
	json_decref(body);
}
