#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/credentials.h"
#include "core/log.h"
#include "core/text.h"

/* How often last-use times are written: auth stays a read on the hot path. */
#define TOUCH_EVERY 60

void
session_csrf(const char *cookie, char out[48])
{
	hmac_sha256_b64url(cookie, "csrf", out);
}

static enum cs_err
throttled(struct store *st, const char *key, int64_t now, int64_t *until)
{
	int failures;
	int64_t locked;
	enum cs_err err;

	if ((err = store_call(st, throttle_get, key, now, &failures,
	                      &locked)) != CS_OK)
		return err;
	if (locked > now && locked > *until)
		*until = locked;
	return CS_OK;
}

enum cs_err
login_attempt(struct store *st, struct arena *a, const struct login_policy *pol,
              const char *login, const char *password, const char *addr,
              struct login_result *out)
{
	char ukey[96], akey[96], hash[SECRET_SHA256_HEX], idbuf[24];
	struct session se;
	int64_t now = clock_now(), until = 0, u1 = 0, u2 = 0;
	enum cs_err err;
	bool ok;

	snprintf(ukey, sizeof(ukey), "user:%.80s", login);
	snprintf(akey, sizeof(akey), "addr:%.80s", addr);
	if ((err = throttled(st, ukey, now, &until)) != CS_OK ||
	    (err = throttled(st, akey, now, &until)) != CS_OK)
		return err;
	if (until > now) {
		out->retry_after = until - now;
		return CS_E_LIMITED;
	}
	err = store_call(st, user_get, a, 0, login, &out->user);
	if (err == CS_E_NOTFOUND) {
		password_verify_dummy(password);
		ok = false;
	} else if (err != CS_OK) {
		return err;
	} else {
		ok = password_verify(out->user.pw_hash, password) &&
		     !out->user.disabled;
	}
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if (!ok) {
		if ((err = store_call(st, throttle_fail, ukey, now, pol->window,
		                      pol->max_failures, pol->lockout, &u1)) !=
		        CS_OK ||
		    (err = store_call(st, throttle_fail, akey, now, pol->window,
		                      pol->addr_max_failures, pol->lockout,
		                      &u2)) != CS_OK)
			return store_end(st, err);
		if ((err = store_end(st, CS_OK)) != CS_OK)
			return err;
		log_info("msg=\"login failed\" login=\"%.64s\" addr=%s%s",
		         login_is_valid(login) ? login : "(invalid)", addr,
		         (u1 > now || u2 > now) ? " locked=yes" : "");
		return CS_E_AUTH;
	}
	token_generate(SESSION_PREFIX, out->session);
	sha256_hex(out->session, strlen(out->session), hash);
	se.user_id = out->user.id;
	se.created_at = se.last_seen_at = now;
	se.expires_at = now + pol->session_idle;
	if (se.expires_at > now + pol->session_max)
		se.expires_at = now + pol->session_max;
	out->expires_at = se.expires_at;
	session_csrf(out->session, out->csrf);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)out->user.id);
	if ((err = store_call(st, throttle_clear, ukey)) != CS_OK ||
	    (err = store_call(st, session_put, hash, &se)) != CS_OK ||
	    (err = store_call(st, user_touch_login, out->user.id, now)) !=
	        CS_OK)
		return store_end(st, err);
	{
		json_t *d = json_pack("{s:s}", "addr", addr);

		err = audit_append(st, a, now, out->user.login, "session.login",
		                   "user", idbuf, d);
		json_decref(d);
	}
	out->user.last_login_at = now;
	out->user.pw_hash = NULL;
	return store_end(st, err);
}

enum cs_err
session_check(struct store *st, struct arena *a, const struct login_policy *pol,
              const char *cookie, struct user *u_out, int64_t *expires_out)
{
	char hash[SECRET_SHA256_HEX];
	struct session se;
	int64_t now = clock_now(), expires;
	enum cs_err err;

	if (strncmp(cookie, SESSION_PREFIX, strlen(SESSION_PREFIX)) != 0 ||
	    strlen(cookie) >= SECRET_TOKEN_MAX)
		return CS_E_AUTH;
	sha256_hex(cookie, strlen(cookie), hash);
	err = store_call(st, session_get, a, hash, &se, u_out);
	if (err == CS_E_NOTFOUND)
		return CS_E_AUTH;
	if (err != CS_OK)
		return err;
	if (se.expires_at <= now || u_out->disabled)
		return CS_E_AUTH;
	*expires_out = se.expires_at;
	/* Slide the idle expiry, writing at most every TOUCH_EVERY seconds
	 * (a quarter of a short idle time), so reads stay reads. */
	if (now - se.last_seen_at >= (pol->session_idle / 4 < TOUCH_EVERY
	                                  ? pol->session_idle / 4
	                                  : TOUCH_EVERY)) {
		expires = now + pol->session_idle;
		if (expires > se.created_at + pol->session_max)
			expires = se.created_at + pol->session_max;
		if (store_call(st, session_touch, hash, now, expires) == CS_OK)
			*expires_out = expires;
	}
	u_out->pw_hash = NULL;
	return CS_OK;
}

enum cs_err
session_end(struct store *st, struct arena *a, const struct actor *by,
            const char *cookie)
{
	char hash[SECRET_SHA256_HEX], idbuf[24];
	enum cs_err err;

	sha256_hex(cookie, strlen(cookie), hash);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)by->user_id);
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, session_delete, hash)) == CS_OK)
		err = audit_append(st, a, clock_now(), by->name,
		                   "session.logout", "user", idbuf, NULL);
	return store_end(st, err);
}

static bool
name_ok(const char *s)
{
	return s[0] != '\0' && text_is_clean(s, TOKEN_NAME_MAX);
}

enum cs_err
token_create(struct store *st, struct arena *a, const struct actor *by,
             const struct user *owner, const char *name, int64_t expires_in,
             char secret_out[SECRET_TOKEN_MAX], struct token *t_out,
             struct verrs *ve)
{
	char hash[SECRET_SHA256_HEX], prefix[16], idbuf[24];
	int64_t now = clock_now();
	json_t *d;
	enum cs_err err;

	if (!name_ok(name))
		verr_add(ve, "name",
		         "must be 1 to 100 characters without control "
		         "characters");
	if (expires_in < 0 || expires_in > 3650 * 86400LL)
		verr_add(ve, "expires_in_days", "must be 1 to 3650");
	if (ve->n > 0)
		return CS_E_INVAL;
	token_generate(TOKEN_PREFIX, secret_out);
	sha256_hex(secret_out, strlen(secret_out), hash);
	snprintf(prefix, sizeof(prefix), "%.12s", secret_out);
	memset(t_out, 0, sizeof(*t_out));
	t_out->user_id = owner->id;
	t_out->user_login = owner->login;
	t_out->name = name;
	t_out->prefix = arena_strdup(a, prefix);
	t_out->created_at = now;
	t_out->expires_at = expires_in > 0 ? now + expires_in : 0;
	if (t_out->prefix == NULL)
		return CS_E_TOOBIG;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, token_put, t_out, hash, &t_out->id)) != CS_OK)
		return store_end(st, err);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)t_out->id);
	d = json_pack("{s:s,s:s,s:s}", "name", name, "user", owner->login,
	              "prefix", prefix);
	err = audit_append(st, a, now, by->name, "token.create", "token", idbuf,
	                   d);
	json_decref(d);
	return store_end(st, err);
}

enum cs_err
token_check(struct store *st, struct arena *a, const char *secret,
            struct token *t_out, struct user *u_out)
{
	char hash[SECRET_SHA256_HEX];
	int64_t now = clock_now();
	enum cs_err err;

	if (strncmp(secret, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0 ||
	    strlen(secret) >= SECRET_TOKEN_MAX)
		return CS_E_AUTH;
	sha256_hex(secret, strlen(secret), hash);
	err = store_call(st, token_auth, a, hash, t_out, u_out);
	if (err == CS_E_NOTFOUND)
		return CS_E_AUTH;
	if (err != CS_OK)
		return err;
	if (t_out->revoked_at != 0 || u_out->disabled ||
	    (t_out->expires_at != 0 && t_out->expires_at <= now))
		return CS_E_AUTH;
	if (now - t_out->last_used_at >= TOUCH_EVERY &&
	    store_call(st, token_touch, t_out->id, now) == CS_OK)
		t_out->last_used_at = now;
	u_out->pw_hash = NULL;
	return CS_OK;
}

enum cs_err
token_revoke(struct store *st, struct arena *a, const struct actor *by,
             int64_t id)
{
	char idbuf[24];
	struct token t;
	json_t *d;
	enum cs_err err;
	int64_t now = clock_now();

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, token_get, a, id, &t)) != CS_OK)
		return store_end(st, err);
	if (t.revoked_at != 0) /* already revoked: nothing changes */
		return store_end(st, CS_OK);
	if ((err = store_call(st, token_revoke, id, now)) != CS_OK)
		return store_end(st, err);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	d = json_pack("{s:s,s:s}", "name", t.name, "user", t.user_login);
	err = audit_append(st, a, now, by->name, "token.revoke", "token", idbuf,
	                   d);
	json_decref(d);
	return store_end(st, err);
}
