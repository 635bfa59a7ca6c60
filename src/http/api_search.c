/* api_search.c - full-text search across what the caller may read. */
#include <stdio.h>
#include <string.h>

#include "core/search.h"
#include "core/secret.h"
#include "http/api_util.h"
#include "http/handlers.h"

void
api_search(struct request *req)
{
	const char *q = req_query(req, "q");
	struct viewer v = {req->user.id, req->user.role, req->user.org};
	char fts[SEARCH_QUERY_MAX];
	struct search_hit *hits;
	struct page p;
	size_t n;
	enum cs_err err;
	json_t *items, *next = json_null();

	if (!page_from_query(req, &p))
		return;
	if (q == NULL || strlen(q) > 1000 ||
	    !search_query_fts(q, fts, sizeof(fts))) {
		reply_problem(req, 400,
		              "q must hold 1 to 16 words (a trailing * "
		              "searches a prefix)");
		return;
	}
	err =
	    store_call(req_store(req), search, req->a, &v, fts, &p, &hits, &n);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_INVAL ? "the search query is not valid"
		                            : NULL);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n && i + 1 < (size_t)p.limit; i++) {
		json_t *h = json_pack(
		    "{s:s,s:o,s:s,s:s}", "kind", hits[i].kind, "incident",
		    hits[i].incident_ref ? json_string(hits[i].incident_ref)
		                         : json_null(),
		    "title", hits[i].title ? hits[i].title : "", "snippet",
		    hits[i].snippet ? hits[i].snippet : "");

		if (hits[i].report_id != 0)
			json_object_set_new(h, "report",
			                    json_integer(hits[i].report_id));
		json_array_append_new(items, h);
	}
	if (n >= (size_t)p.limit) {
		/* offsets, for a ranked list */
		char enc[64];

		cursor_encode(&p, p.after + p.limit - 1, enc);
		next = json_string(enc);
	}
	reply_json(req, 200,
	           json_pack("{s:o,s:o}", "items", items, "next_cursor", next));
}
