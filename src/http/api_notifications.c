/*
 * api_notifications.c - event digests sent to organisations.
 *
 * GET /api/v1/notifications (filters org: short name, feed), newest first;
 * GET /api/v1/notifications/{id}; POST /api/v1/notifications/{id}/resend
 * ({"contact": id} optional); POST /api/v1/orgs/{id}/notify ({"feed":
 * name} optional): "send now", whatever the organisation's interval.
 *
 * Read rules: the team reads every notification; a constituent those of
 * its own organisation (another's answers 404). Handlers and admins act
 * (the route table says so). A notification's status is its mail's:
 * queued, sent or failed; "withheld" when no contact could receive its
 * events (no mail).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/api_util.h"
#include "http/auth.h"
#include "http/csv_out.h"
#include "http/handlers.h"
#include "jobs/jobs.h"
#include "pipeline/notify.h"

static const char *
status_of(const struct notification *n)
{
	if (n->address[0] == '\0')
		return "withheld";
	return n->mail_state ? n->mail_state : "unknown";
}

static json_t *
notification_json(const struct notification *n)
{
	json_t *o = json_pack(
	    "{s:I,s:s,s:I,s:s,s:s,s:I,s:I,s:I,s:b,s:s,s:s,s:o}", "id",
	    (json_int_t)n->id, "org", n->org_short, "org_id",
	    (json_int_t)n->org_id, "address", n->address, "feed", n->feed,
	    "first_event", (json_int_t)n->first_event, "last_event",
	    (json_int_t)n->last_event, "events", (json_int_t)n->events, "test",
	    n->test, "status", status_of(n), "created_by", n->created_by,
	    "created_at", json_time(n->created_at));

#define ID_OR_NULL(k, v)                                                       \
	json_object_set_new(o, k, (v) ? json_integer(v) : json_null())
	ID_OR_NULL("contact", n->contact_id);
	ID_OR_NULL("mail", n->mail_id);
	ID_OR_NULL("resent_from", n->resent_from);
#undef ID_OR_NULL
	json_object_set_new(o, "language",
	                    n->language[0] ? json_string(n->language)
	                                   : json_null());
	return o;
}

/* The notification of params[0] if the caller may read it. */
static bool
req_notification(struct request *req, struct notification *n)
{
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return false;
	err = store_call(req_store(req), notification_get, req->a, id, n);
	if (err == CS_OK && !auth_can_read_org(req, n->org_short))
		err = CS_E_NOTFOUND;
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such notification" : NULL);
		return false;
	}
	return true;
}

void
api_notifications_list(struct request *req)
{
	static const char *const keep[] = {"org", "feed", NULL};
	const char *org = req_query(req, "org");
	struct notification_filter f = {.feed = req_query(req, "feed")};
	struct notification *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	if (req->user.role == ROLE_CONSTITUENT && org == NULL)
		org = req->user.org;
	if (org != NULL) {
		struct org o;

		err = store_call(req_store(req), org_get, req->a, 0, org, &o);
		if (err == CS_OK && !auth_can_read_org(req, o.short_name))
			err = CS_E_NOTFOUND;
		if (err != CS_OK) {
			reply_err(req, err,
			          err == CS_E_NOTFOUND ? "no such organisation"
			                               : NULL);
			return;
		}
		f.org_id = o.id;
	} else if (req->user.role == ROLE_CONSTITUENT) {
		reply_problem(req, 403, "this account has no organisation");
		return;
	}
	err = store_call(req_store(req), notification_list, req->a, &f, &p,
	                 &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		static const char *const head[] = {
		    "id",          "org",        "feed",        "address",
		    "contact",     "language",   "first_event", "last_event",
		    "events",      "test",       "status",      "mail",
		    "resent_from", "created_by", "created_at"};
		struct csv_out c;

		csv_out_start(&c, req->a, head, 15);
		c.keep = keep;
		for (size_t i = 0; i < csv_out_shown(n, &p); i++) {
			const struct notification *x = &rows[i];
			const char *fl[] = {
			    csv_out_int(&c, x->id),
			    x->org_short,
			    x->feed,
			    x->address,
			    x->contact_id ? csv_out_int(&c, x->contact_id) : "",
			    x->language,
			    csv_out_int(&c, x->first_event),
			    csv_out_int(&c, x->last_event),
			    csv_out_int(&c, x->events),
			    x->test ? "true" : "false",
			    status_of(x),
			    x->mail_id ? csv_out_int(&c, x->mail_id) : "",
			    x->resent_from ? csv_out_int(&c, x->resent_from)
			                   : "",
			    x->created_by,
			    csv_out_time(&c, x->created_at)};

			csv_out_row(&c, fl, 15);
		}
		csv_out_page(req, &c, "notifications.csv", n, &p,
		             n >= 2 ? rows[n - 2].id : 0);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, notification_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_notifications_get(struct request *req)
{
	struct notification n;

	if (req_notification(req, &n))
		reply_json(req, 200, notification_json(&n));
}

/* Replies 409 and returns false when no relay is configured. */
static bool
relay_or_409(struct request *req)
{
	if (req->srv->cfg.smtp_url[0] != '\0')
		return true;
	reply_problem(req, 409,
	              "no SMTP relay is configured ([mail] smtp_url)");
	return false;
}

/* The body, or an empty object when there is none. */
static bool
optional_body(struct request *req, json_t **out)
{
	if (req->body_len == 0) {
		*out = json_object();
		return true;
	}
	return req_json_object(req, out);
}

void
api_notifications_resend(struct request *req)
{
	static const char *const known[] = {"contact", NULL};
	struct verrs ve = {0};
	struct notification n, out;
	const char *why = NULL;
	json_t *body;
	int64_t contact;
	enum cs_err err;
	char *loc;

	if (!req_notification(req, &n) || !relay_or_409(req) ||
	    !optional_body(req, &body))
		return;
	fields_known(body, known, &ve);
	contact = field_int(body, "contact", 1, INT64_MAX, 0, &ve);
	json_decref(body);
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		return;
	}
	err = notify_resend(req_store(req), req->a, &req->srv->cfg, &req->actor,
	                    n.id, contact, &out, &why);
	if (err == CS_E_INVAL && why != NULL) {
		verr_add(&ve, "contact", why);
		reply_verrs(req, 400, &ve);
		return;
	}
	if (err != CS_OK) {
		reply_err(req, err, why);
		return;
	}
	jobs_notify(req->srv->jobs);
	loc = arena_printf(req->a, "/api/v1/notifications/%lld",
	                   (long long)out.id);
	if (loc != NULL)
		req_add_header(req, "Location", loc);
	reply_json(req, 201, notification_json(&out));
}

void
api_orgs_notify(struct request *req)
{
	static const char *const known[] = {"feed", NULL};
	struct verrs ve = {0};
	struct org o;
	const char *feed, **feeds;
	int64_t *jobs;
	size_t n;
	json_t *body, *fl, *jl;
	enum cs_err err;

	if (!req_org(req, &o) || !relay_or_409(req) ||
	    !optional_body(req, &body))
		return;
	fields_known(body, known, &ve);
	feed = field_str(body, "feed", false, 64, &ve);
	if (feed != NULL && (feed = arena_strdup(req->a, feed)) == NULL) {
		json_decref(body);
		reply_err(req, CS_E_TOOBIG, NULL);
		return;
	}
	json_decref(body);
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		return;
	}
	err = notify_now(req_store(req), req->a, &req->srv->cfg, &req->actor,
	                 o.id, feed, &feeds, &jobs, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	jobs_notify(req->srv->jobs);
	fl = json_array();
	jl = json_array();
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(fl, json_string(feeds[i]));
		json_array_append_new(jl, jobs[i] ? json_integer(jobs[i])
		                                  : json_null());
	}
	reply_json(req, 202,
	           json_pack("{s:s,s:o,s:o}", "org", o.short_name, "feeds", fl,
	                     "jobs", jl));
}
