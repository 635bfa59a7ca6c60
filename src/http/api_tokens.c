/* api_tokens.c - API tokens: one's own, or anyone's for an admin. */
#include <string.h>

#include "core/credentials.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/csv_out.h"
#include "http/handlers.h"

/* The columns of token_json(): the prefix that recognises a token, never
 * the token or its hash. */
static void
reply_tokens_csv(struct request *req, const struct token *rows, size_t n,
                 const struct page *p)
{
	static const char *const head[] = {
	    "id",         "name",       "user",         "prefix",
	    "created_at", "expires_at", "last_used_at", "revoked_at"};
	static const char *const keep[] = {"user", NULL};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 8);
	c.keep = keep;
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct token *t = &rows[i];
		const char *f[] = {csv_out_int(&c, t->id),
		                   t->name,
		                   t->user_login,
		                   t->prefix,
		                   csv_out_time(&c, t->created_at),
		                   csv_out_time(&c, t->expires_at),
		                   csv_out_time(&c, t->last_used_at),
		                   csv_out_time(&c, t->revoked_at)};

		csv_out_row(&c, f, 8);
	}
	csv_out_page(req, &c, "tokens.csv", n, p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_tokens_list(struct request *req)
{
	const char *who = req_query(req, "user");
	int64_t user_id = req->user.id;
	struct token *rows;
	struct page p;
	struct user u;
	size_t n;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	if (who != NULL) {
		if (!auth_is_self_or_admin(req, who)) {
			reply_problem(req, 403,
			              "you can list only your own tokens");
			return;
		}
		err = store_call(req_store(req), user_get, req->a, 0, who, &u);
		if (err != CS_OK) {
			reply_err(req, err,
			          err == CS_E_NOTFOUND ? "no such user" : NULL);
			return;
		}
		user_id = u.id;
	}
	err = store_call(req_store(req), token_list, req->a, user_id, &p, &rows,
	                 &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_tokens_csv(req, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, token_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_tokens_create(struct request *req)
{
	static const char *const known[] = {"name", "expires_in_days", "user",
	                                    NULL};
	char secret[SECRET_TOKEN_MAX], *loc;
	struct verrs ve = {0};
	struct user owner = req->user;
	struct token t;
	const char *name, *who;
	int64_t days;
	json_t *body, *out;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	name = field_str(body, "name", true, TOKEN_NAME_MAX, &ve);
	days = field_int(body, "expires_in_days", 1, 3650, 0, &ve);
	who = field_str(body, "user", false, 64, &ve);
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	if (who != NULL && strcmp(who, req->user.login) != 0) {
		if (req->user.role != ROLE_ADMIN) {
			json_decref(body);
			reply_problem(req, 403,
			              "only an admin creates tokens for "
			              "others");
			return;
		}
		err = store_call(req_store(req), user_get, req->a, 0, who,
		                 &owner);
		if (err != CS_OK) {
			json_decref(body);
			if (err == CS_E_NOTFOUND) {
				verr_add(&ve, "user", "no such user");
				reply_verrs(req, 400, &ve);
			} else {
				reply_err(req, err, NULL);
			}
			return;
		}
	}
	name = arena_strdup(req->a, name);
	json_decref(body);
	if (name == NULL) {
		reply_problem(req, 500, "out of request memory");
		return;
	}
	err = token_create(req_store(req), req->a, &req->actor, &owner, name,
	                   days * 86400, secret, &t, &ve);
	if (err == CS_E_INVAL) {
		reply_verrs(req, 400, &ve);
		return;
	}
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	out = token_json(&t);
	json_object_set_new(out, "token", json_string(secret));
	loc = arena_printf(req->a, "/api/v1/tokens/%lld", (long long)t.id);
	if (loc != NULL)
		req_add_header(req, "Location", loc);
	reply_json(req, 201, out);
}

void
api_tokens_revoke(struct request *req)
{
	struct token t;
	int64_t id;
	enum cs_err err;

	if (!param_id(req, 0, &id))
		return;
	err = store_call(req_store(req), token_get, req->a, id, &t);
	/* Someone else's token is "not found": ids are not an oracle. */
	if (err == CS_E_NOTFOUND ||
	    (err == CS_OK && t.user_id != req->user.id &&
	     req->user.role != ROLE_ADMIN)) {
		reply_problem(req, 404, "no such token");
		return;
	}
	if (err == CS_OK)
		err = token_revoke(req_store(req), req->a, &req->actor, id);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	reply(req, 204, "application/json", "", 0);
}
