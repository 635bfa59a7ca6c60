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
size_t router_count(void);
void router_route_name(size_t index, const char **method, const char **pattern);

#endif
