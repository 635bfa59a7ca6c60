/*
 * api_events.c - the event pipeline's results: events and feed reports.
 *
 * GET /api/v1/events lists stored events, newest first, as JSON, CSV or
 * JSON Lines (format=jsonl: the IntelMQ event lines as they are, for
 * IntelMQ and other tools). Filters: org (short name, or "none"), feed,
 * report (id), taxonomy, type, identifier, ip (an address or a CIDR
 * block), since/until (on time.source, RFC 3339).
 *
 * Read rules: a constituent sees its own organisation's events only (asking
 * for another organisation answers 404, as for the organisation itself);
 * TLP:RED events are for handlers and admins, the team members who may be
 * named on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/csv_out.h"
#include "http/handlers.h"
#include "pipeline/event.h"
#include "pipeline/ingest.h"

static bool
query_time(struct request *req, const char *name, int64_t *out)
{
	const char *v = req_query(req, name);

	*out = 0;
	if (v == NULL || v[0] == '\0')
		return true;
	if (!event_time_parse(v, strlen(v), out)) {
		reply_problem(req, 400,
		              arena_printf(req->a,
		                           "%s is a time such as "
		                           "2026-01-31T08:00:00Z",
		                           name));
		return false;
	}
	/* 0 means "open" to the store: the epoch itself is one second off */
	if (*out == 0)
		*out = 1;
	return true;
}

/* The filter the request asks for, narrowed to what the caller may read.
 * Replies and returns false on a bad filter. */
static bool
event_filter_from(struct request *req, struct event_filter *f)
{
	const char *org = req_query(req, "org");
	const char *ip = req_query(req, "ip");
	const char *report = req_query(req, "report");
	bool constituent = req->user.role == ROLE_CONSTITUENT;

	memset(f, 0, sizeof(*f));
	f->feed = req_query(req, "feed");
	f->taxonomy = req_query(req, "taxonomy");
	f->type = req_query(req, "type");
	f->identifier = req_query(req, "identifier");
	f->hide_red =
	    req->user.role != ROLE_ADMIN && req->user.role != ROLE_HANDLER;
	if (constituent && org == NULL)
		org = req->user.org;
	if (org != NULL && strcmp(org, "none") == 0 && !constituent) {
		f->org_id = -1;
	} else if (org != NULL) {
		struct org o;
		enum cs_err err =
		    store_call(req_store(req), org_get, req->a, 0, org, &o);

		if (err == CS_OK && !auth_can_read_org(req, o.short_name))
			err = CS_E_NOTFOUND;
		if (err != CS_OK) {
			reply_err(req, err,
			          err == CS_E_NOTFOUND ? "no such organisation"
			                               : NULL);
			return false;
		}
		f->org_id = o.id;
	} else if (constituent) {
		/* a constituent account without an organisation */
		reply_problem(req, 403, "this account has no organisation");
		return false;
	}
	if (report != NULL) {
		char *end;

		f->report_id = strtoll(report, &end, 10);
		if (*end != '\0' || f->report_id < 1) {
			reply_problem(req, 400, "report is a report id");
			return false;
		}
	}
	if (ip != NULL) {
		struct cidr c;
		char why[CIDR_WHY_MAX];

		if (!cidr_parse(ip, &c, why, sizeof(why))) {
			reply_problem(req, 400,
			              arena_printf(req->a,
			                           "ip is an address or a CIDR "
			                           "block: %s",
			                           why));
			return false;
		}
		ingest_cidr_range(&c, f->ip_lo, f->ip_hi);
		f->has_range = true;
	}
	if (!query_time(req, "since", &f->since) ||
	    !query_time(req, "until", &f->until))
		return false;
	return true;
}

static json_t *
event_row_json(const struct event_row *r)
{
	json_t *ev = json_loads(r->data, 0, NULL);

	return json_pack(
	    "{s:I,s:I,s:s?,s:s,s:s,s:b,s:o,s:o}", "id", (json_int_t)r->id,
	    "report", (json_int_t)r->report_id, "org", r->org_short, "feed",
	    r->feed, "tlp", r->tlp, "notify", r->notify, "stored_at",
	    json_time(r->stored_at), "event", ev ? ev : json_null());
}

static const char *
ev_str(json_t *ev, const char *key)
{
	return json_string_value(json_object_get(ev, key));
}

/* CSV columns: the row's own, then the event fields analysts filter on;
 * the whole event is the last column. */
static void
event_row_csv(struct csv_out *c, const struct event_row *r)
{
	json_t *ev = json_loads(r->data, 0, NULL);
	const char *fl[14];
	json_int_t port =
	    json_integer_value(json_object_get(ev, "source.port"));
	json_int_t asn = json_integer_value(json_object_get(ev, "source.asn"));

	fl[0] = csv_out_int(c, r->id);
	fl[1] = csv_out_int(c, r->report_id);
	fl[2] = r->org_short;
	fl[3] = r->feed;
	fl[4] = r->tlp;
	fl[5] = ev_str(ev, "time.source");
	fl[6] = ev_str(ev, "source.ip");
	fl[7] = port ? csv_out_int(c, port) : "";
	fl[8] = asn ? csv_out_int(c, asn) : "";
	fl[9] = ev_str(ev, "source.fqdn");
	fl[10] = ev_str(ev, "classification.taxonomy");
	fl[11] = ev_str(ev, "classification.type");
	fl[12] = ev_str(ev, "classification.identifier");
	fl[13] = r->data;
	csv_out_row(c, fl, 14);
	json_decref(ev);
}

void
api_events_list(struct request *req)
{
	static const char *const keep[] = {
	    "org", "feed",  "report", "taxonomy", "type", "identifier",
	    "ip",  "since", "until",  "format",   NULL};
	const char *format = req_query(req, "format");
	struct event_filter f;
	struct event_row *rows;
	struct page p;
	size_t n;
	enum cs_err err;

	if (format != NULL && strcmp(format, "json") != 0 &&
	    strcmp(format, "csv") != 0 && strcmp(format, "jsonl") != 0) {
		reply_problem(req, 400, "format is json, csv or jsonl");
		return;
	}
	if (!event_filter_from(req, &f) || !page_from_query(req, &p))
		return;
	err = store_call(req_store(req), event_list, req->a, &f, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (format != NULL && strcmp(format, "json") != 0) {
		static const char *const head[] = {
		    "id",         "report",      "org",       "feed",
		    "tlp",        "time_source", "source_ip", "source_port",
		    "source_asn", "source_fqdn", "taxonomy",  "type",
		    "identifier", "event"};
		bool jsonl = strcmp(format, "jsonl") == 0;
		size_t shown = csv_out_shown(n, &p);
		struct csv_out c;

		if (jsonl) {
			csv_out_init(&c, req->a);
			c.content_type = "application/x-ndjson";
		} else {
			csv_out_start(&c, req->a, head, 14);
		}
		c.keep = keep;
		for (size_t i = 0; i < shown; i++) {
			if (!jsonl) {
				event_row_csv(&c, &rows[i]);
				continue;
			}
			csv_out_raw(&c, rows[i].data, strlen(rows[i].data));
			csv_out_raw(&c, "\n", 1);
		}
		csv_out_page(req, &c, jsonl ? "events.jsonl" : "events.csv", n,
		             &p, shown ? rows[shown - 1].id : 0);
		return;
	}
	{
		json_t *items = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(items, event_row_json(&rows[i]));
		reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
	}
}

static json_t *
feed_report_json(const struct feed_report *r)
{
	return json_pack(
	    "{s:I,s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s?,s:o,"
	    "s:o,s:o}",
	    "id", (json_int_t)r->id, "feed", r->feed, "report", r->report,
	    "source", r->source, "sha256", r->sha256, "size",
	    (json_int_t)r->size, "state", r->state, "records",
	    (json_int_t)r->records, "events", (json_int_t)r->events, "stored",
	    (json_int_t)r->stored, "malformed", (json_int_t)r->malformed,
	    "dropped", (json_int_t)r->dropped, "duplicates",
	    (json_int_t)r->duplicates, "error", r->error, "received_at",
	    json_time(r->received_at), "started_at", json_time(r->started_at),
	    "finished_at", json_time(r->finished_at));
}

void
api_feed_reports_list(struct request *req)
{
	const char *state = req_query(req, "state");
	struct feed_report *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;

	if (state != NULL && strcmp(state, "queued") != 0 &&
	    strcmp(state, "running") != 0 && strcmp(state, "done") != 0 &&
	    strcmp(state, "failed") != 0) {
		reply_problem(req, 400,
		              "state is queued, running, done or failed");
		return;
	}
	if (!page_from_query(req, &p))
		return;
	err = store_call(req_store(req), feed_report_list, req->a,
	                 req_query(req, "feed"), state, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, feed_report_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_feed_reports_get(struct request *req)
{
	struct feed_report r;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return;
	err = store_call(req_store(req), feed_report_get, req->a, id, &r);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such feed report" : NULL);
		return;
	}
	reply_json(req, 200, feed_report_json(&r));
}

void
api_feed_reports_malformed(struct request *req)
{
	struct feed_report r;
	struct feed_malformed *rows;
	struct page p;
	int64_t id;
	size_t n;
	enum cs_err err;
	json_t *items;

	if (!param_id(req, 0, &id) || !page_from_query(req, &p))
		return;
	err = store_call(req_store(req), feed_report_get, req->a, id, &r);
	if (err == CS_OK)
		err = store_call(req_store(req), feed_malformed_list, req->a,
		                 id, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such feed report" : NULL);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items,
		                      json_pack("{s:I,s:s}", "line",
		                                (json_int_t)rows[i].line,
		                                "reason", rows[i].reason));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].line : 0);
}
