/* sqlite_auth.c - users, sessions, API tokens, login throttles, idempotency
 * keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

/* ---- users ---- */

#define USER_COLS                                                              \
	"id, login, name, email, role, org, pw_hash, disabled, version, "      \
	"created_at, updated_at, last_login_at"

#define USER_COLS_U                                                            \
	"u.id, u.login, u.name, u.email, u.role, u.org, u.pw_hash, "           \
	"u.disabled, u.version, u.created_at, u.updated_at, u.last_login_at"

static void
read_user(struct sq *s, struct arena *a, sqlite3_stmt *q, int c, struct user *u)
{
	const char *role = (const char *)sqlite3_column_text(q, c + 4);

	u->id = sq_col_i64(q, c + 0);
	u->login = sq_col_str(s, a, q, c + 1);
	u->name = sq_col_str(s, a, q, c + 2);
	u->email = sq_col_str(s, a, q, c + 3);
	if (role == NULL || !role_parse(role, &u->role))
		u->role = ROLE_VIEWER; /* unreachable: CHECK constraint */
	u->org = sq_col_str(s, a, q, c + 5);
	u->pw_hash = sq_col_str(s, a, q, c + 6);
	u->disabled = sq_col_i64(q, c + 7) != 0;
	u->version = sq_col_i64(q, c + 8);
	u->created_at = sq_col_i64(q, c + 9);
	u->updated_at = sq_col_i64(q, c + 10);
	u->last_login_at = sq_col_i64(q, c + 11);
}

enum cs_err
sq_user_put(struct store *st, const struct user *u, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO user (login, name, email, role, org, pw_hash, "
	       "disabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	       "?6, ?7, ?8, ?8)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, u->login);
	sq_bind_str(q, 2, u->name ? u->name : "");
	sq_bind_str(q, 3, u->email ? u->email : "");
	sq_bind_str(q, 4, role_name(u->role));
	sq_bind_str(q, 5, u->org);
	sq_bind_str(q, 6, u->pw_hash);
	sqlite3_bind_int(q, 7, u->disabled);
	sqlite3_bind_int64(q, 8, u->created_at);
	if ((err = sq_run(s, q, "user_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_user_get(struct store *st, struct arena *a, int64_t id, const char *login,
            struct user *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err;

	if (login != NULL) {
		q = sq_prep(s,
		            "SELECT " USER_COLS " FROM user WHERE login = ?1");
		if (q != NULL)
			sq_bind_str(q, 1, login);
	} else {
		q = sq_prep(s, "SELECT " USER_COLS " FROM user WHERE id = ?1");
		if (q != NULL)
			sqlite3_bind_int64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = sq_row_begin(s, q, "user_get")) != CS_OK)
		return err;
	read_user(s, a, q, 0, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_user_list(struct store *st, struct arena *a, int role, const struct page *p,
             struct user **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " USER_COLS " FROM user WHERE id > ?1 "
	               "AND (?2 IS NULL OR role = ?2) ORDER BY id "
	               "LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2, role >= 0 ? role_name((enum role)role) : NULL);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct user, items_out, n_out, p->limit,
	        read_user(s, a, q, 0, it_));
	return CS_OK;
}

enum cs_err
sq_user_update(struct store *st, const struct user *u, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "UPDATE user SET name = ?2, email = ?3, role = ?4, org = ?5, "
	       "disabled = ?6, updated_at = ?7, version = version + 1 "
	       "WHERE id = ?1 AND version = ?8");
	sqlite3_stmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, u->id);
	sq_bind_str(q, 2, u->name);
	sq_bind_str(q, 3, u->email);
	sq_bind_str(q, 4, role_name(u->role));
	sq_bind_str(q, 5, u->org);
	sqlite3_bind_int(q, 6, u->disabled);
	sqlite3_bind_int64(q, 7, now);
	sqlite3_bind_int64(q, 8, u->version);
	if ((err = sq_run(s, q, "user_update")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1)
		return CS_OK;
	/* Tell a stale version from a vanished user. */
	if ((e = sq_prep(s, "SELECT 1 FROM user WHERE id = ?1")) == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(e, 1, u->id);
	err = sqlite3_step(e) == SQLITE_ROW ? CS_E_STALE : CS_E_NOTFOUND;
	sq_done(e);
	return err;
}

enum cs_err
sq_user_set_password(struct store *st, int64_t id, const char *pw_hash,
                     int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "UPDATE user SET pw_hash = ?2, updated_at = "
	               "?3, version = version + 1 WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sq_bind_str(q, 2, pw_hash);
	sqlite3_bind_int64(q, 3, now);
	return sq_changed_one(s, sq_run(s, q, "user_set_password"));
}

enum cs_err
sq_user_touch_login(struct store *st, int64_t id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "UPDATE user SET last_login_at = ?2, "
	                             "version = version + 1 WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return sq_run(s, q, "user_touch_login");
}

enum cs_err
sq_user_count_admins(struct store *st, int64_t *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT count(*) FROM user WHERE role = "
	                             "'admin' AND disabled = 0");

	if (q == NULL)
		return CS_E_DB;
	if (sqlite3_step(q) != SQLITE_ROW) {
		sq_done(q);
		return sq_db_error(s, "user_count_admins");
	}
	*out = sq_col_i64(q, 0);
	sq_done(q);
	return CS_OK;
}

/* ---- sessions ---- */

enum cs_err
sq_session_put(struct store *st, const char *hash, const struct session *se)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "INSERT INTO session VALUES (?1, ?2, ?3, "
	                             "?4, ?5)");

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, hash);
	sqlite3_bind_int64(q, 2, se->user_id);
	sqlite3_bind_int64(q, 3, se->created_at);
	sqlite3_bind_int64(q, 4, se->expires_at);
	sqlite3_bind_int64(q, 5, se->last_seen_at);
	return sq_run(s, q, "session_put");
}

enum cs_err
sq_session_get(struct store *st, struct arena *a, const char *hash,
               struct session *s_out, struct user *u_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT s.user_id, s.created_at, "
	               "s.expires_at, s.last_seen_at, " USER_COLS_U
	               " FROM session s JOIN user u ON u.id = "
	               "s.user_id WHERE s.hash = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, hash);
	if ((err = sq_row_begin(s, q, "session_get")) != CS_OK)
		return err;
	s_out->user_id = sq_col_i64(q, 0);
	s_out->created_at = sq_col_i64(q, 1);
	s_out->expires_at = sq_col_i64(q, 2);
	s_out->last_seen_at = sq_col_i64(q, 3);
	read_user(s, a, q, 4, u_out);
	return sq_row_end(s, q);
}

enum cs_err
sq_session_touch(struct store *st, const char *hash, int64_t seen,
                 int64_t expires)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "UPDATE session SET last_seen_at = ?2, "
	                             "expires_at = ?3 WHERE hash = ?1");

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, hash);
	sqlite3_bind_int64(q, 2, seen);
	sqlite3_bind_int64(q, 3, expires);
	return sq_run(s, q, "session_touch");
}

enum cs_err
sq_session_delete(struct store *st, const char *hash)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "DELETE FROM session WHERE hash = ?1");

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, hash);
	return sq_changed_one(s, sq_run(s, q, "session_delete"));
}

enum cs_err
sq_session_delete_user(struct store *st, int64_t user_id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "DELETE FROM session WHERE user_id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	return sq_run(s, q, "session_delete_user");
}

/* ---- tokens ---- */

#define TOKEN_COLS                                                             \
	"t.id, t.user_id, t.name, t.prefix, u.login, t.created_at, "           \
	"t.expires_at, t.last_used_at, t.revoked_at"

static void
read_token(struct sq *s, struct arena *a, sqlite3_stmt *q, struct token *t)
{
	t->id = sq_col_i64(q, 0);
	t->user_id = sq_col_i64(q, 1);
	t->name = sq_col_str(s, a, q, 2);
	t->prefix = sq_col_str(s, a, q, 3);
	t->user_login = sq_col_str(s, a, q, 4);
	t->created_at = sq_col_i64(q, 5);
	t->expires_at = sq_col_i64(q, 6);
	t->last_used_at = sq_col_i64(q, 7);
	t->revoked_at = sq_col_i64(q, 8);
}

enum cs_err
sq_token_put(struct store *st, const struct token *t, const char *hash,
             int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "INSERT INTO token (user_id, name, prefix, "
	               "hash, created_at, expires_at) VALUES (?1, "
	               "?2, ?3, ?4, ?5, ?6)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, t->user_id);
	sq_bind_str(q, 2, t->name);
	sq_bind_str(q, 3, t->prefix);
	sq_bind_str(q, 4, hash);
	sqlite3_bind_int64(q, 5, t->created_at);
	sq_bind_time(q, 6, t->expires_at);
	if ((err = sq_run(s, q, "token_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_token_auth(struct store *st, struct arena *a, const char *hash,
              struct token *t_out, struct user *u_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT " TOKEN_COLS ", " USER_COLS_U
	                             " FROM token t JOIN user u ON u.id = "
	                             "t.user_id WHERE t.hash = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, hash);
	if ((err = sq_row_begin(s, q, "token_auth")) != CS_OK)
		return err;
	read_token(s, a, q, t_out);
	read_user(s, a, q, 9, u_out);
	return sq_row_end(s, q);
}

enum cs_err
sq_token_get(struct store *st, struct arena *a, int64_t id, struct token *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " TOKEN_COLS " FROM token t JOIN "
	               "user u ON u.id = t.user_id WHERE t.id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = sq_row_begin(s, q, "token_get")) != CS_OK)
		return err;
	read_token(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_token_list(struct store *st, struct arena *a, int64_t user_id,
              const struct page *p, struct token **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " TOKEN_COLS " FROM token t JOIN "
	               "user u ON u.id = t.user_id WHERE t.id > ?1 "
	               "AND (?2 = 0 OR t.user_id = ?2) ORDER BY "
	               "t.id LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sqlite3_bind_int64(q, 2, user_id);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct token, items_out, n_out, p->limit,
	        read_token(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_token_revoke(struct store *st, int64_t id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "UPDATE token SET revoked_at = "
	                             "coalesce(revoked_at, ?2) WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return sq_changed_one(s, sq_run(s, q, "token_revoke"));
}

enum cs_err
sq_token_revoke_user(struct store *st, int64_t user_id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "UPDATE token SET revoked_at = ?2 WHERE "
	                             "user_id = ?1 AND revoked_at IS NULL");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_int64(q, 2, now);
	return sq_run(s, q, "token_revoke_user");
}

enum cs_err
sq_token_touch(struct store *st, int64_t id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "UPDATE token SET last_used_at = ?2 WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return sq_run(s, q, "token_touch");
}

/* ---- login throttling ---- */

enum cs_err
sq_throttle_get(struct store *st, const char *key, int64_t now,
                int *failures_out, int64_t *locked_until_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT failures, locked_until FROM "
	                             "login_throttle WHERE key = ?1");
	int rc;

	(void)now;
	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, key);
	*failures_out = 0;
	*locked_until_out = 0;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*failures_out = sqlite3_column_int(q, 0);
		*locked_until_out = sq_col_i64(q, 1);
	} else if (rc != SQLITE_DONE) {
		sq_done(q);
		return sq_db_error(s, "throttle_get");
	}
	sq_done(q);
	return CS_OK;
}

enum cs_err
sq_throttle_fail(struct store *st, const char *key, int64_t now, int64_t window,
                 int max, int64_t lockout, int64_t *locked_until_out)
{
	struct sq *s = SQ(st);
	/* A failure outside the window starts a new count. Reaching max
	 * failures inside it locks the key for lockout and starts the count
	 * over, so the next lock needs max new failures. */
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO login_throttle (key, failures, window_start, "
	       "locked_until) VALUES (?1, CASE WHEN ?3 <= 1 THEN 0 ELSE 1 END, "
	       "?2, CASE WHEN ?3 <= 1 THEN ?2 + ?5 ELSE 0 END) "
	       "ON CONFLICT (key) DO UPDATE SET "
	       "failures = CASE WHEN (CASE WHEN window_start + ?4 < ?2 THEN 1 "
	       "ELSE failures + 1 END) >= ?3 THEN 0 ELSE (CASE WHEN "
	       "window_start + ?4 < ?2 THEN 1 ELSE failures + 1 END) END, "
	       "locked_until = CASE WHEN (CASE WHEN window_start + ?4 < ?2 "
	       "THEN 1 ELSE failures + 1 END) >= ?3 THEN ?2 + ?5 ELSE "
	       "locked_until END, "
	       "window_start = CASE WHEN window_start + ?4 < ?2 THEN ?2 ELSE "
	       "window_start END "
	       "RETURNING locked_until");
	int rc;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, key);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int(q, 3, max);
	sqlite3_bind_int64(q, 4, window);
	sqlite3_bind_int64(q, 5, lockout);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sq_done(q);
		return sq_db_error(s, "throttle_fail");
	}
	*locked_until_out = sq_col_i64(q, 0);
	sq_done(q);
	return CS_OK;
}

enum cs_err
sq_throttle_clear(struct store *st, const char *key)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "DELETE FROM login_throttle WHERE key = ?1");

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, key);
	return sq_run(s, q, "throttle_clear");
}

/* ---- idempotency ---- */

enum cs_err
sq_idem_claim(struct store *st, struct arena *a, int64_t user_id,
              const char *key, const char *req_hash, int64_t now,
              bool *claimed_out, struct idem *existing_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "INSERT INTO idempotency (user_id, key, "
	               "req_hash, created_at) VALUES (?1, ?2, ?3, "
	               "?4) ON CONFLICT DO NOTHING");
	enum cs_err err;
	int rc;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	sq_bind_str(q, 2, key);
	sq_bind_str(q, 3, req_hash);
	sqlite3_bind_int64(q, 4, now);
	if ((err = sq_run(s, q, "idem_claim")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1) {
		*claimed_out = true;
		return CS_OK;
	}
	*claimed_out = false;
	q = sq_prep(s, "SELECT req_hash, done, status, content_type, body FROM "
	               "idempotency WHERE user_id = ?1 AND key = ?2");
	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	sq_bind_str(q, 2, key);
	s->oom = false;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		existing_out->req_hash = sq_col_str(s, a, q, 0);
		existing_out->done = sq_col_i64(q, 1) != 0;
		existing_out->status = sqlite3_column_int(q, 2);
		existing_out->content_type = sq_col_str(s, a, q, 3);
		existing_out->body = sq_col_str(s, a, q, 4);
		err = s->oom ? CS_E_TOOBIG : CS_OK;
	} else {
		err = rc == SQLITE_DONE ? CS_E_CONFLICT
		                        : sq_db_error(s, "idem_claim");
	}
	sq_done(q);
	return err;
}

enum cs_err
sq_idem_finish(struct store *st, int64_t user_id, const char *key, int status,
               const char *content_type, const char *body)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "UPDATE idempotency SET done = 1, status = "
	               "?3, content_type = ?4, body = ?5 WHERE "
	               "user_id = ?1 AND key = ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	sq_bind_str(q, 2, key);
	sqlite3_bind_int(q, 3, status);
	sq_bind_str(q, 4, content_type);
	sq_bind_str(q, 5, body ? body : "");
	return sq_run(s, q, "idem_finish");
}

enum cs_err
sq_idem_release(struct store *st, int64_t user_id, const char *key)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "DELETE FROM idempotency WHERE user_id = ?1 "
	               "AND key = ?2 AND done = 0");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	sq_bind_str(q, 2, key);
	return sq_run(s, q, "idem_release");
}
