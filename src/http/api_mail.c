/*
 * api_mail.c - correspondence threads, messages in and out, quarantine,
 * and the observables a report suggests.
 *
 * Mail is the team's: constituents never read it here (their share of a
 * thread is the journal entry marked shared). A mail linked to an
 * incident is read only by whoever may read that incident, so TLP:RED
 * correspondence stays with the incident's members.
 */
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/ioc.h"
#include "core/text.h"
#include "http/api_util.h"
#include "http/csv_out.h"
#include "http/handlers.h"
#include "jobs/jobs.h"
#include "mail/outbound.h"

#define SUGGEST_MAX 500

static json_t *
thread_json(const struct mail_thread *t)
{
	return json_pack(
	    "{s:I,s:s,s:s,s:o,s:s,s:s,s:s,s:o}", "id", (json_int_t)t->id,
	    "kind", t->kind, "counterpart", t->counterpart, "contact",
	    t->contact_id ? json_integer(t->contact_id) : json_null(),
	    "language", t->language, "subject", t->subject, "created_by",
	    t->created_by, "created_at", json_time(t->created_at));
}

static json_t *
mail_json(const struct mail *m)
{
	json_t *o = json_pack(
	    "{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:b,s:b,s:s,s:s,"
	    "s:s,s:s,s:o,s:o}",
	    "id", (json_int_t)m->id, "direction", m->direction, "state",
	    m->state, "message_id", m->message_id, "in_reply_to",
	    m->in_reply_to, "sender", m->sender, "recipients", m->recipients,
	    "subject", m->subject, "incident",
	    m->incident_ref ? json_string(m->incident_ref) : json_null(),
	    "thread", m->thread_id ? json_integer(m->thread_id) : json_null(),
	    "report", m->report_id ? json_integer(m->report_id) : json_null(),
	    "entry", m->entry_id ? json_integer(m->entry_id) : json_null(),
	    "encrypted", m->encrypted, "auto_reply", m->auto_reply, "signature",
	    m->signature, "signer", m->signer, "error", m->error, "created_by",
	    m->created_by, "created_at", json_time(m->created_at), "sent_at",
	    json_time(m->sent_at));
	json_t *att = json_array();

	for (size_t i = 0; i < m->n_attachments; i++)
		json_array_append_new(
		    att,
		    json_pack("{s:I,s:s,s:s,s:s,s:I}", "n", (json_int_t)i + 1,
		              "filename", m->attachments[i].filename,
		              "content_type", m->attachments[i].content_type,
		              "sha256", m->attachments[i].sha256, "size",
		              (json_int_t)m->attachments[i].size));
	json_object_set_new(o, "attachments", att);
	return o;
}

/* The mail of path parameter i, if the caller may read it. */
static bool
req_mail(struct request *req, int i, struct mail *m)
{
	struct viewer v;
	struct incident x;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, i, &id))
		return false;
	err = store_call(req_store(req), mail_get, req->a, id, m);
	if (err == CS_OK && m->incident_ref != NULL) {
		req_viewer(req, &v);
		err = store_call(req_store(req), incident_get, req->a, &v,
		                 m->incident_ref, &x);
	}
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such mail" : NULL);
		return false;
	}
	return true;
}

static void
reply_mails(struct request *req, const struct mail_filter *f, bool csv,
            const char *filename)
{
	struct mail *rows;
	struct page p;
	struct viewer v;
	size_t n;
	enum cs_err err;
	json_t *items;

	if (!page_from_query(req, &p))
		return;
	err = store_call(req_store(req), mail_list, req->a, f, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	/* mail of incidents the caller may not read is left out */
	req_viewer(req, &v);
	for (size_t i = 0; i < n; i++) {
		struct incident x;

		if (rows[i].incident_ref != NULL &&
		    store_call(req_store(req), incident_get, req->a, &v,
		               rows[i].incident_ref, &x) != CS_OK)
			rows[i].state = NULL; /* hidden */
	}
	if (csv) {
		static const char *const head[] = {
		    "id",      "direction",  "state",     "message_id",
		    "sender",  "recipients", "subject",   "incident",
		    "report",  "encrypted",  "signature", "created_at",
		    "sent_at", "error"};
		static const char *const keep[] = {"state", "direction",
		                                   "incident", NULL};
		struct csv_out c;

		csv_out_start(&c, req->a, head, 14);
		c.keep = keep;
		for (size_t i = 0; i < csv_out_shown(n, &p); i++) {
			const struct mail *m = &rows[i];
			const char *fl[14];

			if (m->state == NULL)
				continue;
			fl[0] = csv_out_int(&c, m->id), fl[1] = m->direction;
			fl[2] = m->state, fl[3] = m->message_id;
			fl[4] = m->sender, fl[5] = m->recipients;
			fl[6] = m->subject, fl[7] = m->incident_ref;
			fl[8] =
			    m->report_id ? csv_out_int(&c, m->report_id) : "";
			fl[9] = m->encrypted ? "true" : "false";
			fl[10] = m->signature;
			fl[11] = csv_out_time(&c, m->created_at);
			fl[12] = csv_out_time(&c, m->sent_at);
			fl[13] = m->error;
			csv_out_row(&c, fl, 14);
		}
		csv_out_page(req, &c, filename, n, &p,
		             n >= 2 ? rows[n - 2].id : 0);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		if (rows[i].state != NULL || i + 1 == n)
			json_array_append_new(items, mail_json(&rows[i]));
		else
			json_array_append_new(items, json_null());
	/* hidden rows are dropped after paging so the cursor stays exact */
	for (size_t i = json_array_size(items); i-- > 0;)
		if (json_is_null(json_array_get(items, i)))
			json_array_remove(items, i);
	reply_page(req, items, json_array_size(items), &p,
	           n >= 2 ? rows[n - 2].id : 0);
}

void
api_mail_list(struct request *req)
{
	const char *state = req_query(req, "state");
	const char *dir = req_query(req, "direction");
	const char *ref = req_query(req, "incident");
	struct mail_filter f = {.state = state, .direction = dir};
	static const char *const states[] = {
	    "received", "ignored", "quarantined", "queued", "sent", "failed"};
	bool csv, ok = state == NULL;

	if (!csv_out_wanted(req, &csv))
		return;
	for (size_t i = 0; state != NULL && i < 6; i++)
		ok = ok || strcmp(state, states[i]) == 0;
	if (!ok || (dir != NULL && strcmp(dir, "in") != 0 &&
	            strcmp(dir, "out") != 0)) {
		reply_problem(
		    req, 400,
		    "state is received, ignored, quarantined, queued, "
		    "sent or failed; direction is in or out");
		return;
	}
	if (ref != NULL) {
		struct viewer v;
		struct incident x;
		enum cs_err err;

		req_viewer(req, &v);
		err = store_call(req_store(req), incident_get, req->a, &v, ref,
		                 &x);
		if (err != CS_OK) {
			reply_err(req, err, "no such incident");
			return;
		}
		f.incident_id = x.id;
	}
	reply_mails(req, &f, csv, "mail.csv");
}

void
api_mail_get(struct request *req)
{
	struct mail m;

	if (req_mail(req, 0, &m))
		reply_json(req, 200, mail_json(&m));
}

static void
reply_artefact(struct request *req, const char *sha, const char *type,
               const char *filename)
{
	struct artefact f;
	enum cs_err err;
	const char *disp;

	err = store_call(req_store(req), artefact_get, req->a, sha, true, &f);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	/* evidence is downloaded, never rendered by the browser */
	disp = arena_printf(req->a, "attachment; filename=\"%s\"", filename);
	if (disp != NULL)
		req_add_header(req, "Content-Disposition", disp);
	req_add_header(req, "X-Content-Type-Options", "nosniff");
	(void)type;
	reply(req, 200, "application/octet-stream", (const char *)f.data,
	      (size_t)f.size);
}

/* A file name safe in a quoted header value. */
static const char *
safe_name(struct arena *a, const char *name)
{
	char *s = arena_strdup(a, name);

	for (char *p = s; p != NULL && *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    (unsigned char)*p >= 0x7f)
			*p = '_';
	return s && s[0] ? s : "attachment";
}

void
api_mail_raw(struct request *req)
{
	struct mail m;

	if (!req_mail(req, 0, &m))
		return;
	if (m.raw_sha256 == NULL) {
		reply_problem(req, 404, "this mail has no stored message");
		return;
	}
	reply_artefact(req, m.raw_sha256, "message/rfc822",
	               arena_printf(req->a, "mail-%lld.eml", (long long)m.id));
}

void
api_mail_attachment(struct request *req)
{
	struct mail m;
	int64_t n;

	if (!req_mail(req, 0, &m) || !param_id(req, 1, &n))
		return;
	if (n > (int64_t)m.n_attachments) {
		reply_problem(req, 404, "no such attachment");
		return;
	}
	reply_artefact(req, m.attachments[n - 1].sha256,
	               m.attachments[n - 1].content_type,
	               safe_name(req->a, m.attachments[n - 1].filename));
}

void
api_threads_list(struct request *req)
{
	struct viewer v;
	struct incident x;
	struct mail_thread *t;
	size_t n;
	enum cs_err err;
	json_t *items;

	if (!req_incident(req, &v, &x))
		return;
	err = store_call(req_store(req), thread_list, req->a, x.id, &t, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, thread_json(&t[i]));
	reply_json(req, 200, json_pack("{s:o}", "items", items));
}

/* The contact id of an organisation's contact, with its e-mail and
 * language, for a thread opened from it. */
static bool
thread_contact(struct request *req, const char *org, int64_t id,
               struct mail_thread *t, struct verrs *ve)
{
	struct org o;
	struct contact *c;
	struct page pg = {.limit = 1000};
	size_t n;

	if (store_call(req_store(req), org_get, req->a, 0, org, &o) != CS_OK ||
	    store_call(req_store(req), contact_list, req->a, o.id, &pg, &c,
	               &n) != CS_OK) {
		verr_add(ve, "org", "no such organisation");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (c[i].id == id) {
			t->contact_id = id;
			t->counterpart = c[i].email;
			if (c[i].language != NULL && strlen(c[i].language) >= 2)
				t->language =
				    arena_strndup(req->a, c[i].language, 2);
			return true;
		}
	verr_add(ve, "contact", "no such contact in that organisation");
	return false;
}

void
api_threads_create(struct request *req)
{
	static const char *const known[] = {
	    "kind", "address", "org", "contact", "language", "subject", NULL};
	struct verrs ve = {0};
	struct viewer v;
	struct incident x;
	struct mail_thread t = {0};
	const char *org, *lang;
	int64_t contact;
	json_t *body;
	enum cs_err err;

	if (!req_incident(req, &v, &x) || !req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	t.kind = field_str(body, "kind", true, 20, &ve);
	if (t.kind != NULL && strcmp(t.kind, "reporter") != 0 &&
	    strcmp(t.kind, "constituent") != 0 &&
	    strcmp(t.kind, "third_party") != 0)
		verr_add(&ve, "kind",
		         "must be reporter, constituent or third_party");
	t.counterpart = field_str(body, "address", false, 254, &ve);
	org = field_str(body, "org", false, 64, &ve);
	contact = field_int(body, "contact", 1, INT64_MAX, 0, &ve);
	lang = field_str(body, "language", false, 2, &ve);
	t.subject = field_str(body, "subject", false, 500, &ve);
	t.language = "en";
	if (ve.n == 0 && (org != NULL) != (contact != 0))
		verr_add(&ve, "contact", "org and contact go together");
	else if (ve.n == 0 && org != NULL) {
		if (t.counterpart != NULL)
			verr_add(&ve, "address",
			         "give either address or org and contact");
		else
			thread_contact(req, org, contact, &t, &ve);
	} else if (ve.n == 0 &&
	           (t.counterpart == NULL || !email_is_valid(t.counterpart)))
		verr_add(&ve, "address", "must be an e-mail address");
	if (lang != NULL) {
		if (strlen(lang) != 2 || strstr(MAIL_LANGUAGES, lang) == NULL)
			verr_add(&ve, "language",
			         "must be one of " MAIL_LANGUAGES);
		else
			t.language = lang;
	}
	if (t.subject != NULL && !text_is_clean(t.subject, 500))
		verr_add(&ve, "subject", "must be one line of text");
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	t.incident_id = x.id;
	if (t.subject == NULL || t.subject[0] == '\0')
		t.subject = x.title;
	t.created_by = req->actor.name;
	t.created_at = clock_now();
	if ((err = store_begin(req_store(req), true)) == CS_OK) {
		err = store_call(req_store(req), thread_put, &t, &t.id);
		if (err == CS_OK) {
			char idbuf[24];
			json_t *d = json_pack("{s:s,s:s,s:s}", "ref", x.ref,
			                      "counterpart", t.counterpart,
			                      "kind", t.kind);

			snprintf(idbuf, sizeof(idbuf), "%lld", (long long)t.id);
			err = audit_append(req_store(req), req->a, t.created_at,
			                   req->actor.name, "thread.create",
			                   "thread", idbuf, d);
			json_decref(d);
		}
		err = store_end(req_store(req), err);
	}
	if (err == CS_E_CONFLICT)
		reply_problem(
		    req, 409,
		    "the incident has a thread with this counterpart");
	else if (err != CS_OK)
		reply_err(req, err, NULL);
	else
		reply_json(req, 201, thread_json(&t));
	json_decref(body);
}

void
api_thread_messages_list(struct request *req)
{
	struct viewer v;
	struct incident x;
	struct mail_thread t;
	struct mail_filter f = {0};
	int64_t id;
	bool csv;
	enum cs_err err;

	if (!csv_out_wanted(req, &csv) || !req_incident(req, &v, &x) ||
	    !param_id(req, 1, &id))
		return;
	err =
	    store_call(req_store(req), thread_get, req->a, x.id, id, NULL, &t);
	if (err != CS_OK) {
		reply_err(req, err, "no such thread");
		return;
	}
	f.thread_id = t.id;
	reply_mails(req, &f, csv, "thread.csv");
}

void
api_thread_messages_send(struct request *req)
{
	static const char *const known[] = {"template", "text",
	                                    "send_unencrypted", NULL};
	struct verrs ve = {0};
	struct thread_send in = {0};
	struct viewer v;
	struct mail m;
	const char *why = NULL;
	int64_t id;
	int unenc;
	json_t *body;
	enum cs_err err;

	if (!param_id(req, 1, &id) || !req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	in.template = field_str(body, "template", false, 20, &ve);
	in.text = field_str(body, "text", false, 100000, &ve);
	unenc = field_bool(body, "send_unencrypted", &ve);
	in.send_unencrypted = unenc == 1;
	if (in.text != NULL && !text_is_clean_multiline(in.text, 100000))
		verr_add(&ve, "text",
		         "must be text without control characters");
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	req_viewer(req, &v);
	err = outbound_thread_send(req_store(req), req->a, &req->srv->cfg,
	                           &req->actor, &v, req->params[0], id, &in, &m,
	                           &why);
	if (err == CS_OK)
		err = store_call(req_store(req), mail_get, req->a, m.id, &m);
	if (err == CS_OK) {
		if (req->srv->jobs != NULL)
			jobs_notify(req->srv->jobs);
		reply_json(req, 202, mail_json(&m));
	} else if (err == CS_E_INVAL)
		reply_problem(req, 400, why ? why : "bad message");
	else if (err == CS_E_CONFLICT)
		reply_problem(req, 409, why ? why : "cannot send");
	else
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such incident or thread"
		                               : NULL);
	json_decref(body);
}

struct suggest {
	json_t *items;
};

static void
suggest_emit(void *ctx, enum ioc_type type, const char *value, size_t off)
{
	struct suggest *s = ctx;

	(void)off;
	if (json_array_size(s->items) < SUGGEST_MAX)
		json_array_append_new(s->items, json_pack("{s:s,s:s}", "type",
		                                          ioc_type_name(type),
		                                          "value", value));
}

void
api_reports_observables(struct request *req)
{
	struct report r;
	struct ioc_extract_opts o = {.skip_private = true};
	struct suggest s;
	const char *own[1], *at = strrchr(req->srv->cfg.team_email, '@');
	char *dom;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return;
	err = store_call(req_store(req), report_get, req->a, id, &r);
	if (err != CS_OK) {
		reply_err(req, err, "no such report");
		return;
	}
	if (at != NULL && (dom = arena_alloc(req->a, IOC_OUT_MAX)) != NULL &&
	    ioc_normalise(IOC_DOMAIN, at + 1, dom, IOC_OUT_MAX, NULL) ==
	        CS_OK) {
		own[0] = dom;
		o.own_domains = own;
		o.n_own_domains = 1;
	}
	o.arena = req->a;
	s.items = json_array();
	ioc_extract(r.body, strlen(r.body), &o, suggest_emit, &s);
	reply_json(req, 200, json_pack("{s:o}", "items", s.items));
}
