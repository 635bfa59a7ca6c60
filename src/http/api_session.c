/* api_session.c - log in and out, the session, and the caller. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/credentials.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/handlers.h"

static void
set_cookie(struct request *req, const char *value, int64_t max_age)
{
	const char *c = arena_printf(
	    req->a, "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
	    SESSION_COOKIE, value, (long long)max_age,
	    req->srv->secure_cookies ? "; Secure" : "");

	if (c != NULL)
		req_add_header(req, "Set-Cookie", c);
}

void
api_session_create(struct request *req)
{
	static const char *const known[] = {"login", "password", NULL};
	struct login_result *res = arena_alloc(req->a, sizeof(*res));
	struct verrs ve = {0};
	const char *login, *password;
	json_t *body, *out;
	enum cs_err err;

	if (res == NULL) {
		reply_problem(req, 500, "out of request memory");
		return;
	}
	if (!req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	login = field_str(body, "login", true, 64, &ve);
	password = field_str(body, "password", true, PASSWORD_MAX, &ve);
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	memset(res, 0, sizeof(*res));
	err = login_attempt(req_store(req), req->a, &req->srv->login, login,
	                    password, req->addr, res);
	json_decref(body);
	if (err == CS_E_LIMITED) {
		char *ra =
		    arena_printf(req->a, "%lld", (long long)res->retry_after);

		if (ra != NULL)
			req_add_header(req, "Retry-After", ra);
		reply_problem(req, 429,
		              "too many failed logins; try again later");
		return;
	}
	if (err == CS_E_AUTH) {
		reply_problem(req, 401, "wrong login or password");
		return;
	}
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	set_cookie(req, res->session, res->expires_at - clock_now());
	out = json_pack("{s:s,s:o,s:o}", "csrf_token", res->csrf, "user",
	                user_json(&res->user), "expires_at",
	                json_time(res->expires_at));
	reply_json(req, 200, out);
}

void
api_session_get(struct request *req)
{
	char csrf[48];
	struct user u;
	int64_t expires;

	if (!req->via_cookie) {
		reply_problem(req, 404,
		              "no session: this request used an API token");
		return;
	}
	/* auth_request() validated it; read the expiry again for the view */
	if (session_check(req_store(req), req->a, &req->srv->login, req->cookie,
	                  &u, &expires) != CS_OK) {
		reply_problem(req, 401, "the session has ended");
		return;
	}
	session_csrf(req->cookie, csrf);
	reply_json(req, 200,
	           json_pack("{s:s,s:o,s:o}", "csrf_token", csrf, "user",
	                     user_json(&req->user), "expires_at",
	                     json_time(expires)));
}

void
api_session_delete(struct request *req)
{
	enum cs_err err;

	if (!req->via_cookie) {
		reply_problem(req, 404,
		              "no session: this request used an API token");
		return;
	}
	err = session_end(req_store(req), req->a, &req->actor, req->cookie);
	if (err != CS_OK && err != CS_E_NOTFOUND) {
		reply_err(req, err, NULL);
		return;
	}
	set_cookie(req, "", 0);
	reply(req, 204, "application/json", "", 0);
}

void
api_me(struct request *req)
{
	req_add_header(req, "ETag", etag_of(req, req->user.version));
	reply_json(req, 200, user_json(&req->user));
}
