/*
 * api_feeds.c - the configured feeds, reports uploaded to them, and the
 * pipeline's reload.
 *
 * GET /api/v1/feeds lists the feeds of the running pipeline with the state
 * and counts of each one's latest report.
 *
 * POST /api/v1/feeds/{name}/reports takes a report as the request body,
 * streamed to the spool as it arrives (never held in memory) and bounded by
 * [pipeline] report_max; ?report=KIND names a Shadowserver report kind and
 * ?filename= the file name the kind can be detected from. The feed and
 * the report kind are checked on the headers, before the body is taken.
 * The report is queued (collect.h) before the answer: 202 with its id and
 * a Location, or 200 with the known report when the feed has the content.
 *
 * POST /api/v1/pipeline/reload re-reads the rule file and the ASN table;
 * when either does not load, 422 names the file, line and column and the
 * running pipeline is unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/api_util.h"
#include "http/handlers.h"
#include "pipeline/collect.h"
#include "pipeline/pipeline.h"

struct upload {
	struct collect_spool *sp;
	const char *feed, *report, *filename;
	enum cs_err err; /* of a write: TOOBIG, IO */
};

static json_t *
latest_json(struct request *req, const char *feed)
{
	struct page p = {.after = 0, .limit = 1};
	struct feed_report *rows;
	size_t n = 0;

	if (store_call(req_store(req), feed_report_list, req->a, feed, NULL, &p,
	               &rows, &n) != CS_OK ||
	    n == 0)
		return json_null();
	return json_pack(
	    "{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o}", "id",
	    (json_int_t)rows[0].id, "state", rows[0].state, "source",
	    rows[0].source, "records", (json_int_t)rows[0].records, "events",
	    (json_int_t)rows[0].events, "stored", (json_int_t)rows[0].stored,
	    "malformed", (json_int_t)rows[0].malformed, "dropped",
	    (json_int_t)rows[0].dropped, "duplicates",
	    (json_int_t)rows[0].duplicates, "received_at",
	    json_time(rows[0].received_at), "finished_at",
	    json_time(rows[0].finished_at));
}

void
api_feeds_list(struct request *req)
{
	struct pipeline *pl = req->srv->pipeline;
	json_t *items = json_array();

	for (size_t i = 0; pl != NULL && i < pipeline_feed_count(pl); i++) {
		const char *name = pipeline_feed_name(pl, i);

		json_array_append_new(
		    items, json_pack("{s:s,s:s,s:o}", "name", name, "format",
		                     pipeline_feed_format(pl, i),
		                     "latest_report", latest_json(req, name)));
	}
	reply_json(req, 200, json_pack("{s:o}", "items", items));
}

static bool
upload_begin(struct request *req)
{
	struct collect *c = req->srv->collect;
	struct upload *u = arena_alloc(req->a, sizeof(*u));
	const char *len = req_header(req, "Content-Length");
	char why[COLLECT_WHY_MAX];
	enum cs_err err;

	if (u == NULL || c == NULL) {
		reply_problem(req, 503, "the pipeline is not running");
		return false;
	}
	memset(u, 0, sizeof(*u));
	u->feed = req->params[0];
	u->report = req_query(req, "report");
	u->filename = req_query(req, "filename");
	if (u->report != NULL && u->report[0] == '\0')
		u->report = NULL;
	if (u->filename != NULL &&
	    (u->filename[0] == '\0' || strlen(u->filename) > 255 ||
	     strchr(u->filename, '/') != NULL)) {
		reply_problem(req, 400,
		              "filename is a file name of 1 to 255 characters, "
		              "without '/'");
		return false;
	}
	err = collect_check(c, u->feed, u->report, u->filename, why);
	if (err != CS_OK) {
		reply_problem(req, err == CS_E_NOTFOUND ? 404 : 400,
		              arena_strdup(req->a, why));
		return false;
	}
	if (len != NULL && strtoll(len, NULL, 10) > collect_report_max(c)) {
		reply_problem(req, 413,
		              arena_printf(req->a,
		                           "the report is larger than %lld "
		                           "bytes ([pipeline] report_max)",
		                           (long long)collect_report_max(c)));
		return false;
	}
	if (collect_spool_open(c, &u->sp, why) != CS_OK) {
		log_warnx("msg=\"cannot spool an upload\" why=\"%s\"", why);
		reply_problem(req, 503, "the spool is not writable");
		return false;
	}
	req->stream_ctx = u;
	return true;
}

static bool
upload_data(struct request *req, const char *buf, size_t n)
{
	struct upload *u = req->stream_ctx;

	if (u == NULL || u->sp == NULL)
		return false;
	if ((u->err = collect_spool_write(u->sp, buf, n)) == CS_OK)
		return true;
	collect_spool_abort(u->sp);
	u->sp = NULL;
	if (u->err == CS_E_TOOBIG)
		reply_problem(
		    req, 413,
		    arena_printf(
		        req->a,
		        "the report is larger than %lld bytes "
		        "([pipeline] report_max)",
		        (long long)collect_report_max(req->srv->collect)));
	else
		reply_problem(req, 503, "writing the spool failed");
	return false;
}

static void
upload_cleanup(struct request *req)
{
	struct upload *u = req->stream_ctx;

	if (u != NULL && u->sp != NULL) {
		collect_spool_abort(u->sp); /* the client went away */
		u->sp = NULL;
	}
}

const struct route_stream api_feeds_upload_stream = {upload_begin, upload_data,
                                                     upload_cleanup};

void
api_feeds_upload(struct request *req)
{
	struct upload *u = req->stream_ctx;
	struct collect_result res;
	char why[COLLECT_WHY_MAX], *loc;
	struct collect_spool *sp;
	enum cs_err err;
	json_t *body;

	if (u == NULL || u->sp == NULL) {
		reply_problem(req, 500, "no upload in progress");
		return;
	}
	sp = u->sp;
	u->sp = NULL; /* commit takes it */
	if (collect_spool_size(sp) == 0) {
		collect_spool_abort(sp);
		reply_problem(req, 400, "the report is empty");
		return;
	}
	err = collect_spool_commit(
	    req->srv->collect, req_store(req), sp, u->feed, u->report,
	    u->filename ? u->filename : "upload", &req->actor, &res, why);
	if (err != CS_OK) {
		reply_problem(req,
		              err == CS_E_NOTFOUND ? 404
		              : err == CS_E_INVAL  ? 400
		                                   : cs_err_http(err),
		              arena_strdup(req->a, why));
		return;
	}
	loc = arena_printf(req->a, "/api/v1/feed-reports/%lld",
	                   (long long)res.report_id);
	if (loc != NULL)
		req_add_header(req, "Location", loc);
	body = json_pack("{s:I,s:s,s:s,s:b,s:s,s:I}", "id",
	                 (json_int_t)res.report_id, "feed", u->feed, "state",
	                 res.state, "already", res.already, "sha256",
	                 res.sha256, "size", (json_int_t)res.size);
	if (!res.already)
		json_object_set_new(body, "job", json_integer(res.job_id));
	reply_json(req, res.already ? 200 : 202, body);
}

void
api_pipeline_reload(struct request *req)
{
	struct pipeline *pl = req->srv->pipeline;
	struct pipeline_info info;
	char why[PIPELINE_WHY_MAX];
	enum cs_err err;
	json_t *d;

	if (pl == NULL) {
		reply_problem(req, 503, "the pipeline is not running");
		return;
	}
	if ((err = pipeline_reload(pl, why)) != CS_OK) {
		log_warnx("msg=\"pipeline reload refused\" why=\"%s\"", why);
		reply_problem(req, 422, arena_strdup(req->a, why));
		return;
	}
	pipeline_info(pl, &info);
	d = json_pack("{s:I,s:I}", "rules", (json_int_t)info.rules,
	              "asn_prefixes", (json_int_t)info.asn_prefixes);
	if ((err = store_begin(req_store(req), true)) == CS_OK)
		err =
		    store_end(req_store(req),
		              audit_append(req_store(req), req->a, clock_now(),
		                           req->actor.name, "pipeline.reload",
		                           "pipeline", "pipeline", d));
	json_decref(d);
	if (err != CS_OK)
		log_warnx("msg=\"pipeline reload not audited\"");
	log_info("msg=\"pipeline reloaded\" rules=%zu asn_prefixes=%zu by=%s",
	         info.rules, info.asn_prefixes, req->actor.name);
	reply_json(req, 200,
	           json_pack("{s:I,s:I,s:I,s:b,s:b}", "feeds",
	                     (json_int_t)info.feeds, "rules",
	                     (json_int_t)info.rules, "asn_prefixes",
	                     (json_int_t)info.asn_prefixes, "geoip", info.geo,
	                     "dedup", info.dedup));
}
