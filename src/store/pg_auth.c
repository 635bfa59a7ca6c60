/* pg_auth.c - users, sessions, API tokens, login throttles, idempotency
 * keys (the PostgreSQL dialect of sqlite_auth.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/text.h"
#include "store/pg_int.h"

/* A lookup value PostgreSQL would refuse (not UTF-8) matches no row, as
 * in SQLite, instead of failing the statement. */
static bool
lookup_ok(const char *s)
{
	return s == NULL || utf8_is_valid(s, strlen(s));
}

/* ---- users ---- */

#define USER_COLS                                                              \
	"id, login, name, email, role, org, pw_hash, disabled, version, "      \
	"created_at, updated_at, last_login_at"

#define USER_COLS_U                                                            \
	"u.id, u.login, u.name, u.email, u.role, u.org, u.pw_hash, "           \
	"u.disabled, u.version, u.created_at, u.updated_at, u.last_login_at"

static void
read_user(struct pg *p, struct arena *a, struct pgstmt *q, int c,
          struct user *u)
{
	const char *role = pg_col_text(q, c + 4);

	u->id = pg_col_i64(q, c + 0);
	u->login = pg_col_str(p, a, q, c + 1);
	u->name = pg_col_str(p, a, q, c + 2);
	u->email = pg_col_str(p, a, q, c + 3);
	if (role == NULL || !role_parse(role, &u->role))
		u->role = ROLE_VIEWER; /* unreachable: CHECK constraint */
	u->org = pg_col_str(p, a, q, c + 5);
	u->pw_hash = pg_col_str(p, a, q, c + 6);
	u->disabled = pg_col_i64(q, c + 7) != 0;
	u->version = pg_col_i64(q, c + 8);
	u->created_at = pg_col_i64(q, c + 9);
	u->updated_at = pg_col_i64(q, c + 10);
	u->last_login_at = pg_col_i64(q, c + 11);
}

enum cs_err
pg_user_put(struct store *st, const struct user *u, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO \"user\" (login, name, email, role, org, pw_hash, "
	       "disabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, "
	       "$6, $7, $8, $8) RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, u->login);
	pg_bind_str(q, 2, u->name ? u->name : "");
	pg_bind_str(q, 3, u->email ? u->email : "");
	pg_bind_str(q, 4, role_name(u->role));
	pg_bind_str(q, 5, u->org);
	pg_bind_str(q, 6, u->pw_hash);
	pg_bind_i64(q, 7, u->disabled);
	pg_bind_i64(q, 8, u->created_at);
	if ((err = pg_row_begin(p, q, "user_put")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_user_get(struct store *st, struct arena *a, int64_t id, const char *login,
            struct user *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q;
	enum cs_err err;

	if (login != NULL) {
		if (!lookup_ok(login))
			return CS_E_NOTFOUND;
		q = pg_prep(p, "SELECT " USER_COLS
		               " FROM \"user\" WHERE login = $1");
		if (q != NULL)
			pg_bind_str(q, 1, login);
	} else {
		q = pg_prep(p,
		            "SELECT " USER_COLS " FROM \"user\" WHERE id = $1");
		if (q != NULL)
			pg_bind_i64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = pg_row_begin(p, q, "user_get")) != CS_OK)
		return err;
	read_user(p, a, q, 0, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_user_list(struct store *st, struct arena *a, int role, const struct page *pa,
             struct user **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " USER_COLS " FROM \"user\" WHERE id > $1 AND "
	       "($2::text IS NULL OR role = $2::text) ORDER BY id LIMIT $3");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_str(q, 2, role >= 0 ? role_name((enum role)role) : NULL);
	pg_bind_i64(q, 3, pa->limit);
	PG_COLLECT(p, a, q, struct user, items_out, n_out, pa->limit,
	           read_user(p, a, q, 0, it_));
	return CS_OK;
}

enum cs_err
pg_user_update(struct store *st, const struct user *u, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE \"user\" SET name = $2, email = $3, role = $4, org = "
	       "$5, disabled = $6, updated_at = $7, version = version + 1 "
	       "WHERE id = $1 AND version = $8");
	struct pgstmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, u->id);
	pg_bind_str(q, 2, u->name);
	pg_bind_str(q, 3, u->email);
	pg_bind_str(q, 4, role_name(u->role));
	pg_bind_str(q, 5, u->org);
	pg_bind_i64(q, 6, u->disabled);
	pg_bind_i64(q, 7, now);
	pg_bind_i64(q, 8, u->version);
	if ((err = pg_run(p, q, "user_update")) != CS_OK)
		return err;
	if (p->last_changes == 1)
		return CS_OK;
	/* Tell a stale version from a vanished user. */
	if ((e = pg_prep(p, "SELECT 1 FROM \"user\" WHERE id = $1")) == NULL)
		return CS_E_DB;
	pg_bind_i64(e, 1, u->id);
	if (pg_step(p, e))
		err = CS_E_STALE;
	else
		err = pg_failed(e) ? CS_E_DB : CS_E_NOTFOUND;
	pg_done(e);
	return err;
}

enum cs_err
pg_user_set_password(struct store *st, int64_t id, const char *pw_hash,
                     int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "UPDATE \"user\" SET pw_hash = $2, updated_at = $3, "
	               "version = version + 1 WHERE id = $1");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_str(q, 2, pw_hash);
	pg_bind_i64(q, 3, now);
	return pg_changed_one(p, pg_run(p, q, "user_set_password"));
}

enum cs_err
pg_user_touch_login(struct store *st, int64_t id, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "UPDATE \"user\" SET last_login_at = $2, "
	                              "version = version + 1 WHERE id = $1");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, now);
	return pg_run(p, q, "user_touch_login");
}

enum cs_err
pg_user_count_admins(struct store *st, int64_t *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT count(*) FROM \"user\" WHERE "
	                              "role = 'admin' AND disabled = 0");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if ((err = pg_row_begin(p, q, "user_count_admins")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	*out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

/* ---- sessions ---- */

enum cs_err
pg_session_put(struct store *st, const char *hash, const struct session *se)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "INSERT INTO session (hash, user_id, "
	                              "created_at, expires_at, last_seen_at) "
	                              "VALUES ($1, $2, $3, $4, $5)");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, hash);
	pg_bind_i64(q, 2, se->user_id);
	pg_bind_i64(q, 3, se->created_at);
	pg_bind_i64(q, 4, se->expires_at);
	pg_bind_i64(q, 5, se->last_seen_at);
	return pg_run(p, q, "session_put");
}

enum cs_err
pg_session_get(struct store *st, struct arena *a, const char *hash,
               struct session *s_out, struct user *u_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT s.user_id, s.created_at, s.expires_at, "
	               "s.last_seen_at, " USER_COLS_U
	               " FROM session s JOIN \"user\" u ON u.id = s.user_id "
	               "WHERE s.hash = $1");
	enum cs_err err;

	if (!lookup_ok(hash))
		return CS_E_NOTFOUND;
	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, hash);
	if ((err = pg_row_begin(p, q, "session_get")) != CS_OK)
		return err;
	s_out->user_id = pg_col_i64(q, 0);
	s_out->created_at = pg_col_i64(q, 1);
	s_out->expires_at = pg_col_i64(q, 2);
	s_out->last_seen_at = pg_col_i64(q, 3);
	read_user(p, a, q, 4, u_out);
	return pg_row_end(p, q);
}

enum cs_err
pg_session_touch(struct store *st, const char *hash, int64_t seen,
                 int64_t expires)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "UPDATE session SET last_seen_at = $2, "
	                              "expires_at = $3 WHERE hash = $1");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, hash);
	pg_bind_i64(q, 2, seen);
	pg_bind_i64(q, 3, expires);
	return pg_run(p, q, "session_touch");
}

enum cs_err
pg_session_delete(struct store *st, const char *hash)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "DELETE FROM session WHERE hash = $1");

	if (!lookup_ok(hash))
		return CS_E_NOTFOUND;
	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, hash);
	return pg_changed_one(p, pg_run(p, q, "session_delete"));
}

enum cs_err
pg_session_delete_user(struct store *st, int64_t user_id)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "DELETE FROM session WHERE user_id = $1");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, user_id);
	return pg_run(p, q, "session_delete_user");
}

/* ---- tokens ---- */

#define TOKEN_COLS                                                             \
	"t.id, t.user_id, t.name, t.prefix, u.login, t.created_at, "           \
	"t.expires_at, t.last_used_at, t.revoked_at"

static void
read_token(struct pg *p, struct arena *a, struct pgstmt *q, struct token *t)
{
	t->id = pg_col_i64(q, 0);
	t->user_id = pg_col_i64(q, 1);
	t->name = pg_col_str(p, a, q, 2);
	t->prefix = pg_col_str(p, a, q, 3);
	t->user_login = pg_col_str(p, a, q, 4);
	t->created_at = pg_col_i64(q, 5);
	t->expires_at = pg_col_i64(q, 6);
	t->last_used_at = pg_col_i64(q, 7);
	t->revoked_at = pg_col_i64(q, 8);
}

enum cs_err
pg_token_put(struct store *st, const struct token *t, const char *hash,
             int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "INSERT INTO token (user_id, name, prefix, hash, "
	               "created_at, expires_at) VALUES ($1, $2, $3, $4, $5, "
	               "$6) RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, t->user_id);
	pg_bind_str(q, 2, t->name);
	pg_bind_str(q, 3, t->prefix);
	pg_bind_str(q, 4, hash);
	pg_bind_i64(q, 5, t->created_at);
	pg_bind_time(q, 6, t->expires_at);
	if ((err = pg_row_begin(p, q, "token_put")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_token_auth(struct store *st, struct arena *a, const char *hash,
              struct token *t_out, struct user *u_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT " TOKEN_COLS ", " USER_COLS_U
	                              " FROM token t JOIN \"user\" u ON u.id "
	                              "= t.user_id WHERE t.hash = $1");
	enum cs_err err;

	if (!lookup_ok(hash))
		return CS_E_NOTFOUND;
	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, hash);
	if ((err = pg_row_begin(p, q, "token_auth")) != CS_OK)
		return err;
	read_token(p, a, q, t_out);
	read_user(p, a, q, 9, u_out);
	return pg_row_end(p, q);
}

enum cs_err
pg_token_get(struct store *st, struct arena *a, int64_t id, struct token *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT " TOKEN_COLS " FROM token t JOIN \"user\" u ON "
	               "u.id = t.user_id WHERE t.id = $1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	if ((err = pg_row_begin(p, q, "token_get")) != CS_OK)
		return err;
	read_token(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_token_list(struct store *st, struct arena *a, int64_t user_id,
              const struct page *pa, struct token **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " TOKEN_COLS " FROM token t JOIN \"user\" u ON u.id = "
	       "t.user_id WHERE t.id > $1 AND ($2::bigint = 0 OR t.user_id = "
	       "$2::bigint) ORDER BY t.id LIMIT $3");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_i64(q, 2, user_id);
	pg_bind_i64(q, 3, pa->limit);
	PG_COLLECT(p, a, q, struct token, items_out, n_out, pa->limit,
	           read_token(p, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_token_revoke(struct store *st, int64_t id, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "UPDATE token SET revoked_at = coalesce(revoked_at, "
	               "$2::bigint) WHERE id = $1");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, now);
	return pg_changed_one(p, pg_run(p, q, "token_revoke"));
}

enum cs_err
pg_token_revoke_user(struct store *st, int64_t user_id, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "UPDATE token SET revoked_at = $2 WHERE "
	                              "user_id = $1 AND revoked_at IS NULL");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, user_id);
	pg_bind_i64(q, 2, now);
	return pg_run(p, q, "token_revoke_user");
}

enum cs_err
pg_token_touch(struct store *st, int64_t id, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "UPDATE token SET last_used_at = $2 WHERE id = $1");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, now);
	return pg_run(p, q, "token_touch");
}

/* ---- login throttling ---- */

/*
 * A key is "user:" or "addr:" and at most 80 bytes of the login or
 * address, cut without regard to UTF-8: a cut inside a character is not
 * text PostgreSQL accepts. Such a key is stored as "x:" and its bytes in
 * hexadecimal, which no other key can be, so that each key keeps a row of
 * its own as in SQLite.
 */
#define KEY_BUF (2 + 2 * 128 + 1) /* "x:", 128 bytes in hex, NUL */

static const char *
throttle_key(const char *key, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(key), o = 2;

	if (utf8_is_valid(key, n))
		return key;
	buf[0] = 'x';
	buf[1] = ':';
	for (size_t i = 0; i < n && o + 2 < KEY_BUF; i++) {
		buf[o++] = hex[(unsigned char)key[i] >> 4];
		buf[o++] = hex[(unsigned char)key[i] & 15];
	}
	buf[o] = '\0';
	return buf;
}

enum cs_err
pg_throttle_get(struct store *st, const char *key, int64_t now,
                int *failures_out, int64_t *locked_until_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT failures, locked_until FROM "
	                              "login_throttle WHERE key = $1");
	char buf[KEY_BUF];
	enum cs_err err;

	(void)now;
	*failures_out = 0;
	*locked_until_out = 0;
	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, throttle_key(key, buf));
	if ((err = pg_row_begin(p, q, "throttle_get")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_OK : err;
	*failures_out = (int)pg_col_i64(q, 0);
	*locked_until_out = pg_col_i64(q, 1);
	return pg_row_end(p, q);
}

enum cs_err
pg_throttle_fail(struct store *st, const char *key, int64_t now, int64_t window,
                 int max, int64_t lockout, int64_t *locked_until_out)
{
	struct pg *p = PG(st);
	/* A failure outside the window starts a new count. Reaching max
	 * failures inside it locks the key for lockout and starts the count
	 * over, so the next lock needs max new failures. */
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO login_throttle AS t (key, failures, window_start, "
	       "locked_until) VALUES ($1, CASE WHEN $3::bigint <= 1 THEN 0 "
	       "ELSE 1 END, $2::bigint, CASE WHEN $3::bigint <= 1 THEN "
	       "$2::bigint + $5::bigint ELSE 0 END) "
	       "ON CONFLICT (key) DO UPDATE SET "
	       "failures = CASE WHEN (CASE WHEN t.window_start + $4::bigint < "
	       "$2::bigint THEN 1 ELSE t.failures + 1 END) >= $3::bigint THEN "
	       "0 ELSE (CASE WHEN t.window_start + $4::bigint < $2::bigint "
	       "THEN 1 ELSE t.failures + 1 END) END, "
	       "locked_until = CASE WHEN (CASE WHEN t.window_start + "
	       "$4::bigint < $2::bigint THEN 1 ELSE t.failures + 1 END) >= "
	       "$3::bigint THEN $2::bigint + $5::bigint ELSE t.locked_until "
	       "END, "
	       "window_start = CASE WHEN t.window_start + $4::bigint < "
	       "$2::bigint THEN $2::bigint ELSE t.window_start END "
	       "RETURNING t.locked_until");
	char buf[KEY_BUF];
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, throttle_key(key, buf));
	pg_bind_i64(q, 2, now);
	pg_bind_i64(q, 3, max);
	pg_bind_i64(q, 4, window);
	pg_bind_i64(q, 5, lockout);
	if ((err = pg_row_begin(p, q, "throttle_fail")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	*locked_until_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_throttle_clear(struct store *st, const char *key)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "DELETE FROM login_throttle WHERE key = $1");
	char buf[KEY_BUF];

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, throttle_key(key, buf));
	return pg_run(p, q, "throttle_clear");
}

/* ---- idempotency ---- */

enum cs_err
pg_idem_claim(struct store *st, struct arena *a, int64_t user_id,
              const char *key, const char *req_hash, int64_t now,
              bool *claimed_out, struct idem *existing_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "INSERT INTO idempotency (user_id, key, req_hash, "
	               "created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO "
	               "NOTHING");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, user_id);
	pg_bind_str(q, 2, key);
	pg_bind_str(q, 3, req_hash);
	pg_bind_i64(q, 4, now);
	if ((err = pg_run(p, q, "idem_claim")) != CS_OK)
		return err;
	if (p->last_changes == 1) {
		*claimed_out = true;
		return CS_OK;
	}
	*claimed_out = false;
	q = pg_prep(p, "SELECT req_hash, done, status, content_type, body FROM "
	               "idempotency WHERE user_id = $1 AND key = $2");
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, user_id);
	pg_bind_str(q, 2, key);
	/* gone meanwhile (released): the claim is contested */
	if ((err = pg_row_begin(p, q, "idem_claim")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_CONFLICT : err;
	existing_out->req_hash = pg_col_str(p, a, q, 0);
	existing_out->done = pg_col_i64(q, 1) != 0;
	existing_out->status = (int)pg_col_i64(q, 2);
	existing_out->content_type = pg_col_str(p, a, q, 3);
	existing_out->body = pg_col_str(p, a, q, 4);
	return pg_row_end(p, q);
}

enum cs_err
pg_idem_finish(struct store *st, int64_t user_id, const char *key, int status,
               const char *content_type, const char *body)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "UPDATE idempotency SET done = 1, status = $3, "
	               "content_type = $4, body = $5 WHERE user_id = $1 AND "
	               "key = $2");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, user_id);
	pg_bind_str(q, 2, key);
	pg_bind_i64(q, 3, status);
	pg_bind_str(q, 4, content_type);
	pg_bind_str(q, 5, body ? body : "");
	return pg_run(p, q, "idem_finish");
}

enum cs_err
pg_idem_release(struct store *st, int64_t user_id, const char *key)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "DELETE FROM idempotency WHERE user_id = $1 AND key = "
	               "$2 AND done = 0");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, user_id);
	pg_bind_str(q, 2, key);
	return pg_run(p, q, "idem_release");
}
