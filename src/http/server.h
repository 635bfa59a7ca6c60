/*
 * server.h - the HTTP server (libmicrohttpd) and the request every handler
 * gets.
 *
 * All MHD glue is in server.c. A request owns an arena (capped by
 * request_memory) from which everything it builds comes; the completion
 * callback frees it in one go, releases the store connection, counts the
 * request in the metrics and writes one log line. Handlers answer with the
 * reply_* functions; errors are RFC 9457 problem documents.
 *
 * Shutdown: server_stop() stops accepting, waits for requests in flight to
 * finish (bounded), then closes the remaining connections.
 */
#ifndef CS_SERVER_H
#define CS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/users.h"
#include "core/verr.h"
#include "csirtd.h"
#include "http/router.h"
#include "store/store.h"

struct MHD_Connection;
struct httpd;

struct hdr {
	const char *name, *value;
};

#define REQ_HDRS 8

struct request {
	struct cs_server *srv;
	struct MHD_Connection *conn;
	struct arena *a;
	const char *method, *path;
	char addr[64];
	double t0;

	char *body; /* NUL-terminated, malloc'd, at most max_body */
	size_t body_len, body_cap;
	bool body_too_big;

	/* a streamed body (route_stream): the handler's state, and what was
	 * read and dropped after an early answer */
	const struct route_stream *stream;
	void *stream_ctx;
	uint64_t dropped;

	int route; /* index in the route table, -1 unmatched */
	const char *params[ROUTE_PARAMS];

	bool authed, via_cookie;
	struct user user;
	struct actor actor;
	const char *cookie; /* session cookie value when via_cookie */

	struct store *st; /* acquired on first use */

	int status;
	const char *ctype;
	const char *resp;
	size_t resp_len;
	struct hdr hdrs[REQ_HDRS];
	size_t nhdrs;
	bool replied, no_store;
	const char *csp;  /* Content-Security-Policy other than the API's */
	bool resp_static; /* resp lives as long as the process */
	bool counted;     /* in the metrics already */
};

enum cs_err server_start(struct cs_server *srv, struct httpd **out);
void server_stop(struct httpd *h);

/* request input */
const char *req_header(struct request *req, const char *name);
const char *req_query(struct request *req, const char *name);
const char *req_cookie(struct request *req, const char *name);
struct store *req_store(struct request *req);
/* Parses the body as a JSON object; replies 400/415 itself on failure. */
bool req_json_object(struct request *req, json_t **out);

/* response */
void req_add_header(struct request *req, const char *name, const char *value);
void reply(struct request *req, int status, const char *ctype, const char *body,
           size_t len);
/* Takes the reference to obj. */
void reply_json(struct request *req, int status, json_t *obj);
void reply_problem(struct request *req, int status, const char *detail);
void reply_verrs(struct request *req, int status, const struct verrs *ve);
/* Maps err to its status (the one place that does) with an optional
 * detail. */
void reply_err(struct request *req, enum cs_err err, const char *detail);
int cs_err_http(enum cs_err err);

#endif
