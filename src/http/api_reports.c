/* api_reports.c - intake of reports and their triage. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/reports.h"
#include "http/csv_out.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/handlers.h"

/* The report's files, as "attachments". */
static void
add_attachments(struct request *req, json_t *o, int64_t id)
{
	struct mail_attachment *f = NULL;
	size_t n = 0;
	json_t *arr = json_array();

	if (store_call(req_store(req), report_attachments, req->a, id, &f,
	               &n) != CS_OK)
		n = 0;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    arr, json_pack("{s:I,s:s,s:s,s:s,s:I}", "n",
		                   (json_int_t)i + 1, "filename", f[i].filename,
		                   "content_type", f[i].content_type, "sha256",
		                   f[i].sha256, "size", (json_int_t)f[i].size));
	json_object_set_new(o, "attachments", arr);
}

static json_t *
report_json(const struct report *r)
{
	return json_pack(
	    "{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:s,s:o,s:o}", "id",
	    (json_int_t)r->id, "source", r->source, "reporter", r->reporter,
	    "subject", r->subject, "body", r->body, "language", r->language,
	    "tlp", tlp_name(r->tlp), "status", r->status, "incident",
	    r->incident_ref ? json_string(r->incident_ref) : json_null(),
	    "received_at", json_time(r->received_at), "created_by",
	    r->created_by, "triaged_by",
	    r->triaged_by ? json_string(r->triaged_by) : json_null(),
	    "triaged_at", json_time(r->triaged_at));
}

void
api_reports_list(struct request *req)
{
	const char *status = req_query(req, "status");
	const char *source = req_query(req, "source");
	struct report *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;

	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	if ((status && !report_status_valid(status)) ||
	    (source && !report_source_valid(source))) {
		reply_problem(req, 400,
		              "status is new, triaged, merged, rejected or "
		              "spam; source is web, api, email or feed");
		return;
	}
	err = store_call(req_store(req), report_list, req->a, status, source,
	                 &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		static const char *const head[] = {
		    "id",          "source",     "reporter",  "subject",
		    "language",    "tlp",        "status",    "incident",
		    "received_at", "triaged_by", "triaged_at"};
		static const char *const keep[] = {"status", "source", NULL};
		struct csv_out c;

		csv_out_init(&c, req->a);
		c.keep = keep;
		csv_out_row(&c, head, 11);
		for (size_t i = 0; i + 1 < (size_t)p.limit && i < n; i++) {
			const struct report *r = &rows[i];
			char id[24], rec[CLOCK_RFC3339_MAX],
			    tri[CLOCK_RFC3339_MAX] = "";
			const char *f[11];

			snprintf(id, sizeof(id), "%lld", (long long)r->id);
			clock_fmt(r->received_at, rec);
			if (r->triaged_at)
				clock_fmt(r->triaged_at, tri);
			f[0] = id, f[1] = r->source, f[2] = r->reporter;
			f[3] = r->subject, f[4] = r->language;
			f[5] = tlp_name(r->tlp), f[6] = r->status;
			f[7] = r->incident_ref, f[8] = rec;
			f[9] = r->triaged_by, f[10] = tri;
			csv_out_row(&c, f, 11);
		}
		csv_out_reply(req, &c, "reports.csv", n >= (size_t)p.limit,
		              n >= 2 ? rows[n - 2].id : 0);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, report_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_reports_create(struct request *req)
{
	static const char *const known[] = {
	    "reporter", "subject",     "body", "language",
	    "tlp",      "attachments", NULL};
	struct report_file *files;
	size_t nfiles;
	struct verrs ve = {0};
	struct report r = {0};
	const char *tlp;
	json_t *body;
	enum cs_err err;
	char *loc;

	if (!req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	r.source = "api";
	r.reporter = field_str(body, "reporter", false, 300, &ve);
	r.subject = field_str(body, "subject", true, 500, &ve);
	r.body = field_str(body, "body", true, REPORT_BODY_MAX, &ve);
	r.language = field_str(body, "language", false, 2, &ve);
	r.tlp = TLP_AMBER;
	if ((tlp = field_str(body, "tlp", false, 20, &ve)) != NULL &&
	    !tlp_parse(tlp, &r.tlp))
		verr_add(&ve, "tlp",
		         "must be CLEAR, GREEN, AMBER, AMBER+STRICT or RED");
	report_files(req, body, (size_t)req->srv->cfg.max_body, &files, &nfiles,
	             &ve);
	err = ve.n ? CS_E_INVAL
	           : reports_create_files(req_store(req), req->a, &req->actor,
	                                  &r, files, nfiles, &ve);
	if (err == CS_OK)
		err = store_call(req_store(req), report_get, req->a, r.id, &r);
	if (err == CS_E_INVAL)
		reply_verrs(req, 400, &ve);
	else if (err != CS_OK)
		reply_err(req, err, NULL);
	else {
		loc = arena_printf(req->a, "/api/v1/reports/%lld",
		                   (long long)r.id);
		if (loc != NULL)
			req_add_header(req, "Location", loc);
		json_t *o = report_json(&r);

		add_attachments(req, o, r.id);
		req_add_header(req, "ETag", etag_of(req, r.version));
		reply_json(req, 201, o);
	}
	json_decref(body);
}

void
api_reports_get(struct request *req)
{
	struct report r;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return;
	err = store_call(req_store(req), report_get, req->a, id, &r);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such report" : NULL);
		return;
	}
	{
		json_t *o = report_json(&r);

		add_attachments(req, o, r.id);
		req_add_header(req, "ETag", etag_of(req, r.version));
		reply_json(req, 200, o);
	}
}

void
api_reports_attachment(struct request *req)
{
	struct mail_attachment *f;
	struct artefact a;
	size_t n;
	int64_t id, k;
	enum cs_err err;
	const char *disp;

	if (!param_id(req, 0, &id) || !param_id(req, 1, &k))
		return;
	err =
	    store_call(req_store(req), report_attachments, req->a, id, &f, &n);
	if (err == CS_OK && (size_t)k > n)
		err = CS_E_NOTFOUND;
	if (err == CS_OK)
		err = store_call(req_store(req), artefact_get, req->a,
		                 f[k - 1].sha256, true, &a);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such attachment" : NULL);
		return;
	}
	/* evidence is downloaded, never rendered by the browser */
	disp = arena_printf(req->a, "attachment; filename=\"%s\"",
	                    f[k - 1].filename);
	if (disp != NULL)
		req_add_header(req, "Content-Disposition", disp);
	reply(req, 200, "application/octet-stream", (const char *)a.data,
	      (size_t)a.size);
}

void
api_reports_triage(struct request *req)
{
	static const char *const known[] = {
	    "action", "incident", "title", "summary", "rsit_type", "tlp",
	    "impact", "urgency",  "owner", "orgs",    "tags",      NULL};
	struct incident_input in;
	enum triage_action action;
	struct verrs ve = {0};
	struct incident x = {0};
	struct viewer v = {req->user.id, req->user.role, req->user.org};
	struct report r;
	const char *act, *ref, *why = NULL, *s;
	json_t *body, *out;
	int64_t id, ifv;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return;
	if ((ifv = if_match_version(req)) < 0) {
		reply_err(req, CS_E_STALE, NULL);
		return;
	}
	if (!req_json_object(req, &body))
		return;
	incident_input_init(&in);
	fields_known(body, known, &ve);
	act = field_str(body, "action", true, 20, &ve);
	ref = field_str(body, "incident", false, 40, &ve);
	in.title = field_str(body, "title", false, 300, &ve);
	in.summary = field_str(body, "summary", false, 100000, &ve);
	in.rsit_type = field_str(body, "rsit_type", false, 64, &ve);
	if ((s = field_str(body, "tlp", false, 20, &ve)) != NULL) {
		enum tlp t;

		if (tlp_parse(s, &t))
			in.tlp = (int)t;
		else
			verr_add(&ve, "tlp", "is not a TLP level");
	}
	if ((s = field_str(body, "impact", false, 20, &ve)) != NULL) {
		enum level l;

		if (level_parse(s, &l))
			in.impact = (int)l;
		else
			verr_add(&ve, "impact", "is not a level");
	}
	if ((s = field_str(body, "urgency", false, 20, &ve)) != NULL) {
		enum level l;

		if (level_parse(s, &l))
			in.urgency = (int)l;
		else
			verr_add(&ve, "urgency", "is not a level");
	}
	if (json_object_get(body, "owner") != NULL) {
		in.set_owner = true;
		in.owner = field_str(body, "owner", false, 64, &ve);
	}
	if (act != NULL && !triage_action_parse(act, &action))
		verr_add(&ve, "action",
		         "must be new-incident, attach, reject or spam");
	if (ve.n == 0 && json_object_get(body, "orgs") != NULL)
		verr_add(&ve, "orgs",
		         "set organisations on the incident after triage");
	if (ve.n == 0 && json_object_get(body, "tags") != NULL)
		verr_add(&ve, "tags", "set tags on the incident after triage");
	err = ve.n ? CS_E_INVAL
	           : reports_triage(req_store(req), req->a,
	                            &req->srv->incidents, &req->actor, &v, id,
	                            action, &in, ref, ifv, &r, &x, &ve, &why);
	if (err == CS_E_INVAL)
		reply_verrs(req, 400, &ve);
	else if (err == CS_E_CONFLICT && why != NULL)
		reply_problem(req, 409, why);
	else if (err != CS_OK)
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such report" : NULL);
	else {
		out = json_pack("{s:o}", "report", report_json(&r));
		if (x.ref != NULL)
			json_object_set_new(out, "incident",
			                    api_incident_json(req->a, &x));
		req_add_header(req, "ETag", etag_of(req, r.version));
		reply_json(req, 200, out);
	}
	json_decref(body);
}
