/* api_audit.c - reading the audit log (admin). */
#include "http/api_util.h"
#include "http/handlers.h"

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

	if (!page_from_query(req, &p))
		return;
	err = store_call(req_store(req), audit_list, req->a, &f, &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, audit_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].seq : 0);
}
