#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/secret.h"
#include "core/text.h"
#include "core/users.h"

bool
login_is_valid(const char *login)
{
	size_t n = strlen(login);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = login[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

bool
org_code_is_valid(const char *org)
{
	size_t n = strlen(org);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = org[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static void
validate_fields(const struct user *u, struct verrs *ve)
{
	if (u->name != NULL && !text_is_clean(u->name, 200))
		verr_add(ve, "name",
		         "must be at most 200 bytes of UTF-8 text without "
		         "control characters");
	if (u->email != NULL && u->email[0] != '\0' &&
	    !email_is_valid(u->email))
		verr_add(ve, "email", "is not an e-mail address");
	if (u->role == ROLE_CONSTITUENT) {
		if (u->org == NULL)
			verr_add(ve, "org",
			         "is required for the constituent role");
		else if (!org_code_is_valid(u->org))
			verr_add(ve, "org",
			         "must be an organisation code of 1 to 64 "
			         "letters, digits, '.', '_' or '-'");
	} else if (u->org != NULL) {
		verr_add(ve, "org", "is only for the constituent role");
	}
}

static json_t *
user_detail(const struct user *u)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:b}", "login", u->login,
	                 "name", u->name ? u->name : "", "email",
	                 u->email ? u->email : "", "role", role_name(u->role),
	                 "org", u->org, "disabled", u->disabled);
}

enum cs_err
users_create(struct store *st, struct arena *a, const struct actor *by,
             struct user *u, const char *password, char *generated_out,
             struct verrs *ve)
{
	char hash[SECRET_HASH_MAX], idbuf[24];
	const char *why;
	json_t *detail = NULL;
	enum cs_err err;
	int64_t id, now = clock_now();

	if (!login_is_valid(u->login))
		verr_add(ve, "login",
		         "must be 1 to 64 lower-case letters, digits, '.', "
		         "'_' or '-', starting with a letter or digit");
	validate_fields(u, ve);
	if (password != NULL && password_check(password, &why) != CS_OK)
		verr_add(ve, "password", why);
	if (ve->n > 0)
		return CS_E_INVAL;
	if (password == NULL) {
		password_generate(generated_out);
		password = generated_out;
	}
	if ((err = password_hash(password, hash)) != CS_OK)
		return err;
	u->pw_hash = hash;
	u->created_at = u->updated_at = now;
	u->version = 1;
	u->disabled = false;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, user_put, u, &id)) != CS_OK) {
		if (err == CS_E_CONFLICT)
			verr_add(ve, "login", "is already taken");
		goto out;
	}
	u->id = id;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	detail = user_detail(u);
	err = audit_append(st, a, now, by->name, "user.create", "user", idbuf,
	                   detail);
out:
	json_decref(detail);
	sodium_memzero(hash, sizeof(hash));
	u->pw_hash = NULL;
	return store_end(st, err);
}

enum cs_err
users_update(struct store *st, struct arena *a, const struct actor *by,
             const char *login, const struct user_patch *p, struct user *out,
             struct verrs *ve)
{
	char hash[SECRET_HASH_MAX], idbuf[24];
	const char *why, *action = "user.update";
	json_t *detail = NULL;
	struct user u, before;
	enum cs_err err;
	int64_t now = clock_now(), admins;

	if (p->password != NULL) {
		if (password_check(p->password, &why) != CS_OK)
			return verr_add(ve, "password", why);
		if ((err = password_hash(p->password, hash)) != CS_OK)
			return err;
	}
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, user_get, a, 0, login, &u)) != CS_OK)
		goto out;
	if (p->if_version != 0 && p->if_version != u.version) {
		err = CS_E_STALE;
		goto out;
	}
	before = u;
	if (p->name != NULL)
		u.name = p->name;
	if (p->email != NULL)
		u.email = p->email;
	if (p->role >= 0)
		u.role = (enum role)p->role;
	if (p->disabled >= 0)
		u.disabled = p->disabled != 0;
	if (p->set_org)
		u.org = p->org;
	else if (p->role >= 0 && u.role != ROLE_CONSTITUENT)
		u.org = NULL; /* leaving the constituent role drops the org */
	validate_fields(&u, ve);
	if (ve->n > 0) {
		err = CS_E_INVAL;
		goto out;
	}
	if (before.role == ROLE_ADMIN && !before.disabled &&
	    (u.role != ROLE_ADMIN || u.disabled)) {
		if ((err = store_call(st, user_count_admins, &admins)) != CS_OK)
			goto out;
		if (admins <= 1) {
			verr_add(ve, u.disabled ? "disabled" : "role",
			         "the last enabled admin cannot be disabled "
			         "or demoted");
			err = CS_E_CONFLICT;
			goto out;
		}
	}
	if ((err = store_call(st, user_update, &u, now)) != CS_OK)
		goto out;
	if (p->password != NULL &&
	    (err = store_call(st, user_set_password, u.id, hash, now)) != CS_OK)
		goto out;
	if (u.disabled && !before.disabled) {
		action = "user.disable";
		if ((err = store_call(st, session_delete_user, u.id)) != CS_OK)
			goto out;
	} else if (!u.disabled && before.disabled) {
		action = "user.enable";
	}
	if (p->password != NULL && p->name == NULL && p->email == NULL &&
	    p->role < 0 && p->disabled < 0 && !p->set_org) {
		action = "user.passwd";
		/* A new password ends every session but the caller's own is
		 * not known here; sessions of others are dropped. */
		if (by->user_id != u.id &&
		    (err = store_call(st, session_delete_user, u.id)) != CS_OK)
			goto out;
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)u.id);
	detail = user_detail(&u);
	if (p->password != NULL)
		json_object_set_new(detail, "password_changed", json_true());
	if ((err = audit_append(st, a, now, by->name, action, "user", idbuf,
	                        detail)) != CS_OK)
		goto out;
	err = store_call(st, user_get, a, u.id, NULL, out);
	out->pw_hash = NULL;
out:
	json_decref(detail);
	if (p->password != NULL)
		sodium_memzero(hash, sizeof(hash));
	return store_end(st, err);
}
