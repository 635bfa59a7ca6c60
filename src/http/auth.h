/*
 * auth.h - who is calling, and may they: the one place access is decided.
 *
 * A request authenticates with "Authorization: Bearer cst_..." (API token)
 * or the csirtd_session cookie. State-changing requests (anything but GET,
 * HEAD, OPTIONS) that rely on the cookie must carry X-CSRF-Token equal to the
 * session's CSRF token. auth_request() replies 401/403 itself and returns
 * false when the request may not go on.
 */
#ifndef CS_HTTP_AUTH_H
#define CS_HTTP_AUTH_H

#include <stdbool.h>

#include "http/router.h"
#include "http/server.h"

#define SESSION_COOKIE "csirtd_session"

bool auth_request(struct request *req, enum access access);
/* Admin, or the user named login: for "read your own" resources. */
bool auth_is_self_or_admin(const struct request *req, const char *login);

/* The team reads every organisation; a constituent only its own. */
bool auth_can_read_org(const struct request *req, const char *short_name);

#endif
