/* api_jobs.c - the job queue (admin). */
#include <stdio.h>

#include "http/api_util.h"
#include "http/csv_out.h"
#include "http/handlers.h"
#include "jobs/jobs.h"

/* payload is its compact JSON text, as stored. */
static void
reply_jobs_csv(struct request *req, const struct job *rows, size_t n,
               const struct page *p)
{
	static const char *const head[] = {
	    "id",         "kind",         "state",     "payload",
	    "attempts",   "max_attempts", "run_after", "last_error",
	    "created_at", "finished_at"};
	static const char *const keep[] = {"state", NULL};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 10);
	c.keep = keep;
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct job *j = &rows[i];
		const char *f[] = {csv_out_int(&c, j->id),
		                   j->kind,
		                   job_state_name(j->state),
		                   j->payload ? j->payload : "{}",
		                   csv_out_int(&c, j->attempts),
		                   csv_out_int(&c, j->max_attempts),
		                   csv_out_time(&c, j->run_after),
		                   j->last_error,
		                   csv_out_time(&c, j->created_at),
		                   csv_out_time(&c, j->finished_at)};

		csv_out_row(&c, f, 10);
	}
	csv_out_page(req, &c, "jobs.csv", n, p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_jobs_list(struct request *req)
{
	const char *sq = req_query(req, "state");
	enum job_state state;
	struct job *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	if (sq != NULL && !job_state_parse(sq, &state)) {
		reply_problem(req, 400,
		              "state must be queued, running, done or failed");
		return;
	}
	err = store_call(req_store(req), job_list, req->a, sq ? (int)state : -1,
	                 &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_jobs_csv(req, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, job_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_jobs_create(struct request *req)
{
	static const char *const known[] = {"kind", "payload", "max_attempts",
	                                    NULL};
	struct verrs ve = {0};
	const char *kind;
	json_t *body, *payload;
	struct job j;
	int64_t id, max;
	enum cs_err err;
	char *loc;

	if (!req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	kind = field_str(body, "kind", true, 64, &ve);
	max = field_int(body, "max_attempts", 1, 100,
	                req->srv->cfg.job_max_attempts, &ve);
	payload = json_object_get(body, "payload");
	if (ve.n == 0)
		err = jobs_enqueue(req_store(req), req->a, &req->actor, kind,
		                   payload, (int)max, &id, &ve);
	else
		err = CS_E_INVAL;
	if (err == CS_E_INVAL) {
		reply_verrs(req, 400, &ve); /* field names may live in body */
		json_decref(body);
		return;
	}
	json_decref(body);
	if (err == CS_OK)
		err = store_call(req_store(req), job_get, req->a, id, &j);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	jobs_notify(req->srv->jobs);
	loc = arena_printf(req->a, "/api/v1/jobs/%lld", (long long)id);
	if (loc != NULL)
		req_add_header(req, "Location", loc);
	reply_json(req, 202, job_json(&j));
}

void
api_jobs_get(struct request *req)
{
	struct job j;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return;
	err = store_call(req_store(req), job_get, req->a, id, &j);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such job" : NULL);
		return;
	}
	reply_json(req, 200, job_json(&j));
}
