/*
 * api_util.h - what API handlers share: JSON views of stored objects,
 * strict field readers, pagination cursors and ETags.
 *
 * Field readers add a per-field message to a struct verrs instead of
 * replying, so a request with several bad fields hears about all of them.
 * Unknown fields are errors: a typo must not silently do nothing.
 */
#ifndef CS_API_UTIL_H
#define CS_API_UTIL_H

#include <jansson.h>

#include "http/server.h"
#include "store/store.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500

json_t *json_time(int64_t t); /* RFC 3339 or null for 0 */
json_t *user_json(const struct user *u);
json_t *token_json(const struct token *t);
json_t *audit_json(const struct audit_row *r);
json_t *job_json(const struct job *j);

/* Reads ?limit= and ?cursor=; replies 400 and returns false when bad.
 * p->limit is one more than asked, to learn whether a next page exists. */
bool page_from_query(struct request *req, struct page *p);
/* The opaque cursor of the page after the row with id last_key (and, for
 * a keyed page, sort key p->next_key); out holds at least 64 bytes. */
void cursor_encode(const struct page *p, int64_t last_key, char *out);
/* Builds {"items": [...], "next_cursor": ...} from n fetched rows, of which
 * the extra one (if any) is dropped; last_key is the key of the last item
 * kept. Takes the reference to items. */
void reply_page(struct request *req, json_t *items, size_t n,
                const struct page *p, int64_t last_key);

/* Fields of a JSON object body. */
bool fields_known(json_t *obj, const char *const *known, struct verrs *ve);
const char *field_str(json_t *obj, const char *name, bool required, size_t max,
                      struct verrs *ve);
/* -1 absent, 0 false, 1 true */
int field_bool(json_t *obj, const char *name, struct verrs *ve);
/* absent: returns def */
int64_t field_int(json_t *obj, const char *name, int64_t min, int64_t max,
                  int64_t def, struct verrs *ve);

/* "v<version>" with quotes, arena-owned */
const char *etag_of(struct request *req, int64_t version);
/* Parses If-Match into a version: 0 when absent or "*"; -1 when it can match
 * nothing (then the write must fail with 412). */
int64_t if_match_version(struct request *req);
/* Who is asking, for the store's read rules. */
void req_viewer(const struct request *req, struct viewer *v);
/* The incident named by params[0], if the caller may read it; replies 404
 * (or the storage error) and returns false otherwise. */
bool req_incident(struct request *req, struct viewer *v, struct incident *x);
/* The organisation whose id is params[0], if the caller may read it. */
bool req_org(struct request *req, struct org *o);

/* Parses a decimal id path parameter; replies 404 when malformed. */
bool param_id(struct request *req, int i, int64_t *out);

struct report_file;
/* "attachments": [{"filename", "content_type", "data" (base64)}]: at most
 * REPORT_FILES_MAX files of at most max_total decoded bytes in all. */
bool report_files(struct request *req, json_t *body, size_t max_total,
                  struct report_file **out, size_t *n_out, struct verrs *ve);

#endif
