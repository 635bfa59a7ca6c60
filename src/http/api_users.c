/* api_users.c - accounts (admin), and reading one's own. */
#include <string.h>

#include "core/users.h"
#include "http/api_util.h"
#include "http/auth.h"
#include "http/csv_out.h"
#include "http/handlers.h"
#include "store/datadir.h"

static void
reply_user(struct request *req, int status, const struct user *u)
{
	req_add_header(req, "ETag", etag_of(req, u->version));
	reply_json(req, status, user_json(u));
}

/* The columns of user_json(): never the password hash. */
static void
reply_users_csv(struct request *req, const struct user *rows, size_t n,
                const struct page *p)
{
	static const char *const head[] = {
	    "id",  "login",    "name",       "email",      "role",
	    "org", "disabled", "created_at", "updated_at", "last_login_at"};
	static const char *const keep[] = {"role", NULL};
	struct csv_out c;

	csv_out_start(&c, req->a, head, 10);
	c.keep = keep;
	for (size_t i = 0; i < csv_out_shown(n, p); i++) {
		const struct user *u = &rows[i];
		const char *f[] = {csv_out_int(&c, u->id),
		                   u->login,
		                   u->name,
		                   u->email,
		                   role_name(u->role),
		                   u->org,
		                   u->disabled ? "true" : "false",
		                   csv_out_time(&c, u->created_at),
		                   csv_out_time(&c, u->updated_at),
		                   csv_out_time(&c, u->last_login_at)};

		csv_out_row(&c, f, 10);
	}
	csv_out_page(req, &c, "users.csv", n, p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_users_list(struct request *req)
{
	const char *rq = req_query(req, "role");
	struct user *rows;
	struct page p;
	size_t n;
	enum role role;
	enum cs_err err;
	json_t *items;
	bool csv;

	if (!page_from_query(req, &p) || !csv_out_wanted(req, &csv))
		return;
	if (rq != NULL && !role_parse(rq, &role)) {
		reply_problem(req, 400,
		              "role must be admin, handler, viewer or "
		              "constituent");
		return;
	}
	err = store_call(req_store(req), user_list, req->a, rq ? (int)role : -1,
	                 &p, &rows, &n);
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	if (csv) {
		reply_users_csv(req, rows, n, &p);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, user_json(&rows[i]));
	reply_page(req, items, n, &p, n >= 2 ? rows[n - 2].id : 0);
}

void
api_users_create(struct request *req)
{
	static const char *const known[] = {"login", "role", "password", "name",
	                                    "email", "org",  NULL};
	struct verrs ve = {0};
	struct user u = {0};
	const char *role, *password;
	char generated[32] = "", *loc;
	json_t *body, *out;
	enum cs_err err;

	if (!req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	u.login = field_str(body, "login", true, 64, &ve);
	role = field_str(body, "role", true, 32, &ve);
	password = field_str(body, "password", false, PASSWORD_MAX + 1, &ve);
	u.name = field_str(body, "name", false, 200, &ve);
	u.email = field_str(body, "email", false, 254, &ve);
	u.org = field_str(body, "org", false, 64, &ve);
	if (role != NULL && !role_parse(role, &u.role))
		verr_add(&ve, "role",
		         "must be admin, handler, viewer or constituent");
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	err = users_create(req_store(req), req->a, &req->actor, &u, password,
	                   generated, &ve);
	if (err == CS_OK) {
		u.login = arena_strdup(req->a, u.login);
		u.name = u.name ? arena_strdup(req->a, u.name) : "";
		u.email = u.email ? arena_strdup(req->a, u.email) : "";
		u.org = u.org ? arena_strdup(req->a, u.org) : NULL;
	}
	json_decref(body);
	if (err == CS_E_INVAL || err == CS_E_CONFLICT) {
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
		return;
	}
	if (err != CS_OK) {
		reply_err(req, err, NULL);
		return;
	}
	out = user_json(&u);
	if (generated[0] != '\0')
		json_object_set_new(out, "initial_password",
		                    json_string(generated));
	loc = arena_printf(req->a, "/api/v1/users/%s", u.login);
	if (loc != NULL)
		req_add_header(req, "Location", loc);
	req_add_header(req, "ETag", etag_of(req, u.version));
	reply_json(req, 201, out);
}

void
api_users_get(struct request *req)
{
	const char *login = req->params[0];
	struct user u;
	enum cs_err err;

	if (!auth_is_self_or_admin(req, login)) {
		reply_problem(req, 403, "you can read only your own account");
		return;
	}
	err = store_call(req_store(req), user_get, req->a, 0, login, &u);
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such user" : NULL);
		return;
	}
	reply_user(req, 200, &u);
}

void
api_users_update(struct request *req)
{
	static const char *const known[] = {
	    "name", "email", "role", "disabled", "org", "password", NULL};
	struct user_patch p = {.role = -1, .disabled = -1};
	struct verrs ve = {0};
	struct user u, before;
	const char *old_hash = NULL;
	const char *role;
	json_t *body;
	enum cs_err err;
	enum role r;

	if ((p.if_version = if_match_version(req)) < 0) {
		reply_err(req, CS_E_STALE, NULL);
		return;
	}
	if (!req_json_object(req, &body))
		return;
	fields_known(body, known, &ve);
	p.name = field_str(body, "name", false, 200, &ve);
	p.email = field_str(body, "email", false, 254, &ve);
	role = field_str(body, "role", false, 32, &ve);
	p.disabled = field_bool(body, "disabled", &ve);
	p.password = field_str(body, "password", false, PASSWORD_MAX + 1, &ve);
	if (json_object_get(body, "org") != NULL) {
		p.set_org = true;
		p.org = field_str(body, "org", false, 64, &ve);
	}
	if (role != NULL) {
		if (role_parse(role, &r))
			p.role = (int)r;
		else
			verr_add(&ve, "role",
			         "must be admin, handler, viewer or "
			         "constituent");
	}
	if (ve.n == 0 && json_object_size(body) == 0)
		verr_add(&ve, "body", "names no field to change");
	if (ve.n > 0) {
		reply_verrs(req, 400, &ve);
		json_decref(body);
		return;
	}
	if (p.password != NULL &&
	    store_call(req_store(req), user_get, req->a, 0, req->params[0],
	               &before) == CS_OK)
		old_hash = before.pw_hash;
	err = users_update(req_store(req), req->a, &req->actor, req->params[0],
	                   &p, &u, &ve);
	if (err == CS_OK && old_hash != NULL)
		datadir_forget_initial_password(req->srv->cfg.data_dir,
		                                old_hash);
	json_decref(body);
	if (err == CS_E_INVAL || (err == CS_E_CONFLICT && ve.n > 0)) {
		reply_verrs(req, err == CS_E_INVAL ? 400 : 409, &ve);
		return;
	}
	if (err != CS_OK) {
		reply_err(req, err,
		          err == CS_E_NOTFOUND ? "no such user" : NULL);
		return;
	}
	reply_user(req, 200, &u);
}

/* GET /api/v1/directory: who can own or follow an incident, for the
 * team's pickers. Logins, names, roles and organisations of enabled
 * users; no e-mail addresses, no hashes, nothing else. */
void
api_directory(struct request *req)
{
	struct page p = {.after = 0, .limit = 1000};
	json_t *items = json_array();

	for (;;) {
		struct user *rows;
		size_t n;
		enum cs_err err = store_call(req_store(req), user_list, req->a,
		                             -1, &p, &rows, &n);

		if (err != CS_OK) {
			json_decref(items);
			reply_err(req, err, NULL);
			return;
		}
		for (size_t i = 0; i < n; i++)
			if (!rows[i].disabled)
				json_array_append_new(
				    items,
				    json_pack(
				        "{s:s,s:s,s:s,s:o}", "login",
				        rows[i].login, "name", rows[i].name,
				        "role", role_name(rows[i].role), "org",
				        rows[i].org ? json_string(rows[i].org)
				                    : json_null()));
		if (n < (size_t)p.limit)
			break;
		p.after = rows[n - 1].id;
	}
	reply_json(req, 200, json_pack("{s:o}", "items", items));
}
