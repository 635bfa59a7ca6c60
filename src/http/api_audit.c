/* api_audit.c - reading the audit log (admin). */
#include "http/api_util.h"
#include "http/csv_out.h"
#include "http/handlers.h"

/* detail is the canonical JSON text the hash chain covers. */
static void
reply_audit_csv(struct request *req, const struct audit_row *rows, size_t n,
                const struct page *p)
{
	static const char *const head[] = {"seq",    "at",          "actor",
	                                   "action", "object_type", "object_id",
	                                   "detail", "prev_hash",   "hash"};
	static const char *const keep[] = {"action", "actor", NULL};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 9);
	c.keep = keep;
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct audit_row *r = &rows[i];
		const char *f[] = {csv_out_int(&c, r->seq),
		                   csv_out_time(&c, r->at),
		                   r->actor,
		                   r->action,
		                   r->object_type,
		                   r->object_id,
		                   r->detail ? r->detail : "{}",
		                   r->prev_hash,
		                   r->hash};

		csv_out_row(&c, f, 9);
	}
	csv_out_page(req, &c, "audit.csv", n, p, n >= 2 ? rows[n - 2].seq : 0);
}

void
api_audit_list(struct request *req)
{
	struct audit_filter f = {req_query(req, "action"),
	                         req_query(req, "actor")};
	struct audit_row *rows;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	err = store_call(req_store(req), audit_list, req->a, &f, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_audit_csv(req, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, audit_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].seq : 0);
}
