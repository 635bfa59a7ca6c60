#include <string.h>
#include <strings.h>

#include "core/credentials.h"
#include "core/log.h"
#include "http/auth.h"

static bool
is_safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	       strcmp(m, "OPTIONS") == 0;
}

static bool
deny(struct request *req, enum cs_err err, bool bearer)
{
	if (err == CS_E_AUTH) {
		req_add_header(req, "WWW-Authenticate",
		               bearer ? "Bearer realm=\"csirtd\", "
		                        "error=\"invalid_token\""
		                      : "Bearer realm=\"csirtd\"");
		reply_problem(req, 401,
		              bearer ? "the API token is invalid, expired or "
		                       "revoked"
		                     : "authentication required: log in or "
		                       "send an API token");
	} else {
		reply_err(req, err, NULL);
	}
	return false;
}

bool
auth_request(struct request *req, enum access access)
{
	const char *authz = req_header(req, "Authorization");
	const char *cookie;
	struct token tok;
	enum cs_err err;
	int64_t expires;

	if (access == ACCESS_PUBLIC)
		return true;
	if (authz != NULL) {
		if (strncasecmp(authz, "Bearer ", 7) != 0)
			return deny(req, CS_E_AUTH, true);
		err = token_check(req_store(req), req->a, authz + 7, &tok,
		                  &req->user);
		if (err != CS_OK)
			return deny(req, err, true);
	} else if ((cookie = req_cookie(req, SESSION_COOKIE)) != NULL) {
		err = session_check(req_store(req), req->a, &req->srv->login,
		                    cookie, &req->user, &expires);
		if (err != CS_OK)
			return deny(req, err, false);
		req->via_cookie = true;
		req->cookie = cookie;
		if (!is_safe_method(req->method)) {
			const char *sent = req_header(req, "X-CSRF-Token");
			char want[48];

			session_csrf(cookie, want);
			if (sent == NULL || !secret_equal(sent, want)) {
				reply_problem(req, 403,
				              "missing or wrong X-CSRF-Token "
				              "header");
				return false;
			}
		}
	} else {
		return deny(req, CS_E_AUTH, false);
	}
	req->authed = true;
	req->actor.name = req->user.login;
	req->actor.user_id = req->user.id;
	switch (access) {
	case ACCESS_ADMIN:
		if (req->user.role != ROLE_ADMIN) {
			reply_problem(req, 403, "this needs the admin role");
			return false;
		}
		break;
	case ACCESS_HANDLER:
		if (req->user.role != ROLE_ADMIN &&
		    req->user.role != ROLE_HANDLER) {
			reply_problem(req, 403,
			              "this needs the handler or admin role");
			return false;
		}
		break;
	case ACCESS_TEAM:
		if (req->user.role == ROLE_CONSTITUENT) {
			reply_problem(req, 403,
			              "this is for members of the team");
			return false;
		}
		break;
	case ACCESS_PUBLIC:
	case ACCESS_USER:
		break;
	}
	return true;
}

bool
auth_can_read_org(const struct request *req, const char *short_name)
{
	if (req->user.role != ROLE_CONSTITUENT)
		return true;
	return req->user.org != NULL && strcmp(req->user.org, short_name) == 0;
}

bool
auth_is_self_or_admin(const struct request *req, const char *login)
{
	return req->user.role == ROLE_ADMIN ||
	       strcmp(req->user.login, login) == 0;
}
