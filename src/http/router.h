/*
 * router.h - the static route table.
 *
 * One row per (method, pattern): the handler and who may call it. Patterns
 * are literal segments and {param} segments matching one non-empty segment;
 * the values are passed to the handler in req->params. Access is decided
 * here, in one place, before any handler runs (http/auth.c).
 */
#ifndef CS_ROUTER_H
#define CS_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

struct request;

enum access {
	ACCESS_PUBLIC,  /* no authentication */
	ACCESS_USER,    /* any authenticated user; handlers narrow further */
	ACCESS_TEAM,    /* the team: admin, handler, viewer (read) */
	ACCESS_HANDLER, /* changes by the team: admin, handler */
	ACCESS_ADMIN,   /* the admin role */
};

#define ROUTE_PARAMS 4

/* A route whose body is streamed to the handler as it arrives rather than
 * collected (and bounded by max_body) first: uploads. begin() runs once the
 * headers are in and access is granted; data() gets each piece of the
 * body; handler() runs at its end unless begin() or data() replied (the
 * rest of the body is then read and dropped, and the connection closed
 * when that is large). cleanup() runs when the request ends, answered or
 * aborted. No Idempotency-Key replay for these routes. */
struct route_stream {
	bool (*begin)(struct request *req); /* false: replied */
	bool (*data)(struct request *req, const char *buf, size_t n);
	void (*cleanup)(struct request *req);
};

struct route {
	const char *method;
	const char *pattern;
	enum access access;
	void (*handler)(struct request *req);
};

/* Finds the route for a path. Returns its index and fills params (pointing
 * into the arena-owned copy in segbuf); when the path exists only for other
 * methods, returns -1 and writes the Allow list into allow. */
int router_match(const char *method, const char *path, char *segbuf,
                 size_t segbuf_len, const char *params[ROUTE_PARAMS],
                 char *allow, size_t allow_len);
const struct route *router_route(size_t index);
/* The stream functions of a streamed route; NULL: the body is collected. */
const struct route_stream *router_stream(size_t index);
size_t router_count(void);
void router_route_name(size_t index, const char **method, const char **pattern);

#endif
