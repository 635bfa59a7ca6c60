/* api_system.c - service document, health, metrics, API description. */
#include <stdlib.h>
#include <string.h>

#include "core/assets.h"
#include "http/handlers.h"
#include "http/metrics.h"
#include "http/server.h"

void
api_root(struct request *req)
{
	reply_json(req, 200,
	           json_pack("{s:s,s:s,s:s,s:s,s:s}", "service", "csirtd",
	                     "version", CS_VERSION, "team",
	                     req->srv->cfg.team_name, "api",
	                     "/api/v1/openapi.json", "health", "/healthz"));
}

void
api_healthz(struct request *req)
{
	struct store *st = req_store(req);

	if (store_call0(st, ping) != CS_OK) {
		reply_problem(req, 503, "the database does not answer");
		return;
	}
	reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
}

void
api_metrics(struct request *req)
{
	int64_t counts[JOB_NSTATES];
	bool have = store_call(req_store(req), job_counts, counts) == CS_OK;
	char *text = metrics_render(req->srv->metrics, have ? counts : NULL);
	char *copy = arena_strdup(req->a, text);

	free(text);
	if (copy == NULL) {
		reply_problem(req, 500, "out of request memory");
		return;
	}
	reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", copy,
	      strlen(copy));
}

void
api_openapi(struct request *req)
{
	const struct asset *a = asset_find("http/openapi.json");
	const char *inm = req_header(req, "If-None-Match");

	if (a == NULL) {
		reply_problem(req, 404, "no API description was built in");
		return;
	}
	req->no_store = true;
	req_add_header(req, "ETag", a->etag);
	req_add_header(req, "Cache-Control", "no-cache");
	if (inm != NULL && strcmp(inm, a->etag) == 0) {
		reply(req, 304, a->mime, "", 0);
		return;
	}
	reply(req, 200, a->mime, (const char *)a->data, a->len);
}
