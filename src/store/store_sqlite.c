/*
 * store_sqlite.c - the embedded SQLite backend.
 *
 * One sqlite3 connection per struct store, opened in WAL mode with foreign
 * keys on, a busy timeout and synchronous=FULL (a commit that returned is on
 * disk). Statements are prepared once per connection and cached by the
 * address of their SQL text, which is always a string literal of this file.
 * Write transactions use BEGIN IMMEDIATE so two writers never deadlock on a
 * lock upgrade.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/store.h"

#define NSTMT    96
#define BUSY_MS  10000
#define MIGR_MAX 256

struct sq {
	struct store base;
	sqlite3 *db;
	char path[1024];
	bool oom; /* an arena copy failed while reading rows */
	char err[256];
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[NSTMT];
	int ncache;
};

const struct store_ops store_sqlite_ops;

static struct sq *
SQ(struct store *st)
{
	return (struct sq *)st;
}

static enum cs_err
db_error(struct sq *s, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);

	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return CS_E_CONFLICT;
	log_warnx("msg=\"database error\" op=%s error=\"%s\"", what,
	          sqlite3_errmsg(s->db));
	return CS_E_DB;
}

static sqlite3_stmt *
prep(struct sq *s, const char *sql)
{
	sqlite3_stmt *st;

	for (int i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql)
			return s->cache[i].stmt;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	                       NULL) != SQLITE_OK) {
		(void)db_error(s, "prepare");
		return NULL;
	}
	if (s->ncache < NSTMT) {
		s->cache[s->ncache].sql = sql;
		s->cache[s->ncache].stmt = st;
		s->ncache++;
	} else {
		fatalx("msg=\"statement cache full\" size=%d", NSTMT);
	}
	return st;
}

/* Runs a statement that returns no rows. */
static enum cs_err
run(struct sq *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	enum cs_err err = CS_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = db_error(s, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static void
done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* 0 is stored as NULL for optional times. */
static void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

static const char *
col_str(struct sq *s, struct arena *a, sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	char *p;

	if (v == NULL)
		return NULL;
	p = arena_strndup(a, (const char *)v,
	                  (size_t)sqlite3_column_bytes(st, i));
	if (p == NULL)
		s->oom = true;
	return p;
}

static int64_t
col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int64(st, i);
}

/*
 * For single-row queries: steps q once. CS_OK means a row is ready to be
 * read, and row_end() must follow; otherwise q is already reset and the
 * result is CS_E_NOTFOUND or a database error.
 */
static enum cs_err
row_begin(struct sq *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	enum cs_err err = CS_E_NOTFOUND;

	s->oom = false;
	if (rc == SQLITE_ROW)
		return CS_OK;
	if (rc != SQLITE_DONE)
		err = db_error(s, what);
	done(q);
	return err;
}

/* Finishes a row_begin(): drains q (an UPDATE ... RETURNING must run to
 * completion) and reports an arena that ran out while copying. */
static enum cs_err
row_end(struct sq *s, sqlite3_stmt *q)
{
	while (sqlite3_step(q) == SQLITE_ROW)
		;
	done(q);
	return s->oom ? CS_E_TOOBIG : CS_OK;
}

/* ---- connection ---- */

static enum cs_err
exec(struct sq *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "%s", msg ? msg : "?");
		log_warnx("msg=\"database error\" error=\"%s\"", s->err);
		sqlite3_free(msg);
		return CS_E_DB;
	}
	return CS_OK;
}

static void
sq_close(struct store *st)
{
	struct sq *s = SQ(st);

	for (int i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].stmt);
	sqlite3_close(s->db);
	free(s);
}

static enum cs_err
sq_open(const char *url, struct store **out)
{
	struct sq *s = xcalloc(1, sizeof(*s));
	const char *path = url;
	enum cs_err err = CS_OK;

	if (strncmp(path, "sqlite:", 7) == 0)
		path += 7;
	if (*path == '\0' || strlen(path) >= sizeof(s->path)) {
		free(s);
		return CS_E_INVAL;
	}
	s->base.ops = &store_sqlite_ops;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (sqlite3_open_v2(path, &s->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                        SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		log_warnx("msg=\"cannot open database\" path=\"%s\" "
		          "error=\"%s\"",
		          path, sqlite3_errmsg(s->db));
		err = CS_E_IO;
		goto out;
	}
	sqlite3_busy_timeout(s->db, BUSY_MS);
	sqlite3_extended_result_codes(s->db, 1);
	if ((err = exec(s, "PRAGMA foreign_keys = ON")) != CS_OK)
		goto out;
	if (strcmp(path, ":memory:") != 0 &&
	    (err = exec(s, "PRAGMA journal_mode = WAL")) != CS_OK)
		goto out;
	err = exec(s, "PRAGMA synchronous = FULL");
out:
	if (err != CS_OK) {
		sq_close(&s->base);
		return err;
	}
	*out = &s->base;
	return CS_OK;
}

static enum cs_err
sq_begin(struct store *st, bool write)
{
	return exec(SQ(st), write ? "BEGIN IMMEDIATE" : "BEGIN");
}

static enum cs_err
sq_commit(struct store *st)
{
	return exec(SQ(st), "COMMIT");
}

static void
sq_rollback(struct store *st)
{
	struct sq *s = SQ(st);

	if (!sqlite3_get_autocommit(s->db))
		(void)exec(s, "ROLLBACK");
}

static enum cs_err
sq_ping(struct store *st)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT count(*) FROM schema_migrations");

	if (q == NULL)
		return CS_E_DB;
	return run(s, q, "ping");
}

static const char *
sq_errmsg(struct store *st)
{
	return SQ(st)->err;
}

static bool
sq_is_exclusive(struct store *st)
{
	(void)st;
	return true;
}

/* ---- migrations ---- */

static enum cs_err
sq_migrate(struct store *st, bool dry_run,
           void (*report)(const char *name, void *ctx), void *ctx,
           int *applied_out)
{
	struct sq *s = SQ(st);
	static struct migration m[MIGR_MAX];
	size_t n = store_migrations("sqlite", m, MIGR_MAX);
	sqlite3_stmt *q;
	enum cs_err err;
	int applied = 0, newest_known = n ? m[n - 1].number : 0;

	if ((err = exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
	                   "sha256 TEXT NOT NULL, applied_at INTEGER NOT "
	                   "NULL) STRICT")) != CS_OK)
		return err;
	if ((q = prep(s, "SELECT max(version) FROM schema_migrations")) == NULL)
		return CS_E_DB;
	if (sqlite3_step(q) == SQLITE_ROW && col_i64(q, 0) > newest_known) {
		snprintf(s->err, sizeof(s->err),
		         "database schema %lld is newer than this csirtd "
		         "(knows %d)",
		         (long long)col_i64(q, 0), newest_known);
		done(q);
		return CS_E_CONFLICT;
	}
	done(q);
	for (size_t i = 0; i < n; i++) {
		const char *sum = NULL;

		if ((q = prep(s, "SELECT sha256 FROM schema_migrations WHERE "
		                 "version = ?1")) == NULL)
			return CS_E_DB;
		sqlite3_bind_int(q, 1, m[i].number);
		if (sqlite3_step(q) == SQLITE_ROW)
			sum = (const char *)sqlite3_column_text(q, 0);
		if (sum != NULL && strcmp(sum, m[i].sha256) != 0) {
			snprintf(s->err, sizeof(s->err),
			         "migration %s was changed after it was "
			         "applied",
			         m[i].name);
			done(q);
			return CS_E_CONFLICT;
		}
		done(q);
		if (sum != NULL)
			continue;
		if (report != NULL)
			report(m[i].name, ctx);
		applied++;
		if (dry_run)
			continue;
		if ((err = exec(s, "BEGIN IMMEDIATE")) != CS_OK)
			return err;
		if ((err = exec(s, m[i].sql)) != CS_OK)
			goto fail;
		if ((q = prep(s, "INSERT INTO schema_migrations VALUES "
		                 "(?1, ?2, ?3, unixepoch())")) == NULL) {
			err = CS_E_DB;
			goto fail;
		}
		sqlite3_bind_int(q, 1, m[i].number);
		bind_str(q, 2, m[i].name);
		bind_str(q, 3, m[i].sha256);
		if ((err = run(s, q, "migrate")) != CS_OK)
			goto fail;
		if ((err = exec(s, "COMMIT")) != CS_OK)
			goto fail;
		log_info("msg=\"migration applied\" name=%s", m[i].name);
		continue;
	fail:
		sq_rollback(st);
		return err;
	}
	*applied_out = applied;
	return CS_OK;
}

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

	u->id = col_i64(q, c + 0);
	u->login = col_str(s, a, q, c + 1);
	u->name = col_str(s, a, q, c + 2);
	u->email = col_str(s, a, q, c + 3);
	if (role == NULL || !role_parse(role, &u->role))
		u->role = ROLE_VIEWER; /* unreachable: CHECK constraint */
	u->org = col_str(s, a, q, c + 5);
	u->pw_hash = col_str(s, a, q, c + 6);
	u->disabled = col_i64(q, c + 7) != 0;
	u->version = col_i64(q, c + 8);
	u->created_at = col_i64(q, c + 9);
	u->updated_at = col_i64(q, c + 10);
	u->last_login_at = col_i64(q, c + 11);
}

static enum cs_err
sq_user_put(struct store *st, const struct user *u, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "INSERT INTO user (login, name, email, role, org, pw_hash, "
	       "disabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
	       "?6, ?7, ?8, ?8)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, u->login);
	bind_str(q, 2, u->name ? u->name : "");
	bind_str(q, 3, u->email ? u->email : "");
	bind_str(q, 4, role_name(u->role));
	bind_str(q, 5, u->org);
	bind_str(q, 6, u->pw_hash);
	sqlite3_bind_int(q, 7, u->disabled);
	sqlite3_bind_int64(q, 8, u->created_at);
	if ((err = run(s, q, "user_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_user_get(struct store *st, struct arena *a, int64_t id, const char *login,
            struct user *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err;

	if (login != NULL) {
		q = prep(s, "SELECT " USER_COLS " FROM user WHERE login = ?1");
		if (q != NULL)
			bind_str(q, 1, login);
	} else {
		q = prep(s, "SELECT " USER_COLS " FROM user WHERE id = ?1");
		if (q != NULL)
			sqlite3_bind_int64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = row_begin(s, q, "user_get")) != CS_OK)
		return err;
	read_user(s, a, q, 0, out);
	return row_end(s, q);
}

/* Collects up to limit rows of a prepared query into an arena array. */
#define COLLECT(s, a, q, T, items_out, n_out, limit, READ)                     \
	do {                                                                   \
		T *items_ = arena_alloc((a), sizeof(T) * (size_t)(limit));     \
		size_t n_ = 0;                                                 \
		int rc_;                                                       \
		if (items_ == NULL) {                                          \
			done(q);                                               \
			return CS_E_TOOBIG;                                    \
		}                                                              \
		memset(items_, 0, sizeof(T) * (size_t)(limit));                \
		(s)->oom = false;                                              \
		while (n_ < (size_t)(limit) &&                                 \
		       (rc_ = sqlite3_step(q)) == SQLITE_ROW) {                \
			T *it_ = &items_[n_++];                                \
			READ;                                                  \
		}                                                              \
		done(q);                                                       \
		if ((s)->oom)                                                  \
			return CS_E_TOOBIG;                                    \
		*(items_out) = items_;                                         \
		*(n_out) = n_;                                                 \
	} while (0)

static enum cs_err
sq_user_list(struct store *st, struct arena *a, int role, const struct page *p,
             struct user **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "SELECT " USER_COLS " FROM user WHERE id > ?1 "
	            "AND (?2 IS NULL OR role = ?2) ORDER BY id "
	            "LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	bind_str(q, 2, role >= 0 ? role_name((enum role)role) : NULL);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct user, items_out, n_out, p->limit,
	        read_user(s, a, q, 0, it_));
	return CS_OK;
}

static enum cs_err
changed_one(struct sq *s, enum cs_err err)
{
	if (err == CS_OK && sqlite3_changes(s->db) == 0)
		return CS_E_NOTFOUND;
	return err;
}

static enum cs_err
sq_user_update(struct store *st, const struct user *u, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "UPDATE user SET name = ?2, email = ?3, role = ?4, org = ?5, "
	       "disabled = ?6, updated_at = ?7, version = version + 1 "
	       "WHERE id = ?1 AND version = ?8");
	sqlite3_stmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, u->id);
	bind_str(q, 2, u->name);
	bind_str(q, 3, u->email);
	bind_str(q, 4, role_name(u->role));
	bind_str(q, 5, u->org);
	sqlite3_bind_int(q, 6, u->disabled);
	sqlite3_bind_int64(q, 7, now);
	sqlite3_bind_int64(q, 8, u->version);
	if ((err = run(s, q, "user_update")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1)
		return CS_OK;
	/* Tell a stale version from a vanished user. */
	if ((e = prep(s, "SELECT 1 FROM user WHERE id = ?1")) == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(e, 1, u->id);
	err = sqlite3_step(e) == SQLITE_ROW ? CS_E_STALE : CS_E_NOTFOUND;
	done(e);
	return err;
}

static enum cs_err
sq_user_set_password(struct store *st, int64_t id, const char *pw_hash,
                     int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE user SET pw_hash = ?2, updated_at = "
	                          "?3, version = version + 1 WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	bind_str(q, 2, pw_hash);
	sqlite3_bind_int64(q, 3, now);
	return changed_one(s, run(s, q, "user_set_password"));
}

static enum cs_err
sq_user_touch_login(struct store *st, int64_t id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE user SET last_login_at = ?2, "
	                          "version = version + 1 WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return run(s, q, "user_touch_login");
}

static enum cs_err
sq_user_count_admins(struct store *st, int64_t *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT count(*) FROM user WHERE role = "
	                          "'admin' AND disabled = 0");

	if (q == NULL)
		return CS_E_DB;
	if (sqlite3_step(q) != SQLITE_ROW) {
		done(q);
		return db_error(s, "user_count_admins");
	}
	*out = col_i64(q, 0);
	done(q);
	return CS_OK;
}

/* ---- sessions ---- */

static enum cs_err
sq_session_put(struct store *st, const char *hash, const struct session *se)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO session VALUES (?1, ?2, ?3, "
	                          "?4, ?5)");

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, hash);
	sqlite3_bind_int64(q, 2, se->user_id);
	sqlite3_bind_int64(q, 3, se->created_at);
	sqlite3_bind_int64(q, 4, se->expires_at);
	sqlite3_bind_int64(q, 5, se->last_seen_at);
	return run(s, q, "session_put");
}

static enum cs_err
sq_session_get(struct store *st, struct arena *a, const char *hash,
               struct session *s_out, struct user *u_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT s.user_id, s.created_at, "
	                          "s.expires_at, s.last_seen_at, " USER_COLS_U
	                          " FROM session s JOIN user u ON u.id = "
	                          "s.user_id WHERE s.hash = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, hash);
	if ((err = row_begin(s, q, "session_get")) != CS_OK)
		return err;
	s_out->user_id = col_i64(q, 0);
	s_out->created_at = col_i64(q, 1);
	s_out->expires_at = col_i64(q, 2);
	s_out->last_seen_at = col_i64(q, 3);
	read_user(s, a, q, 4, u_out);
	return row_end(s, q);
}

static enum cs_err
sq_session_touch(struct store *st, const char *hash, int64_t seen,
                 int64_t expires)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE session SET last_seen_at = ?2, "
	                          "expires_at = ?3 WHERE hash = ?1");

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, hash);
	sqlite3_bind_int64(q, 2, seen);
	sqlite3_bind_int64(q, 3, expires);
	return run(s, q, "session_touch");
}

static enum cs_err
sq_session_delete(struct store *st, const char *hash)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "DELETE FROM session WHERE hash = ?1");

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, hash);
	return changed_one(s, run(s, q, "session_delete"));
}

static enum cs_err
sq_session_delete_user(struct store *st, int64_t user_id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "DELETE FROM session WHERE user_id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	return run(s, q, "session_delete_user");
}

/* ---- tokens ---- */

#define TOKEN_COLS                                                             \
	"t.id, t.user_id, t.name, t.prefix, u.login, t.created_at, "           \
	"t.expires_at, t.last_used_at, t.revoked_at"

static void
read_token(struct sq *s, struct arena *a, sqlite3_stmt *q, struct token *t)
{
	t->id = col_i64(q, 0);
	t->user_id = col_i64(q, 1);
	t->name = col_str(s, a, q, 2);
	t->prefix = col_str(s, a, q, 3);
	t->user_login = col_str(s, a, q, 4);
	t->created_at = col_i64(q, 5);
	t->expires_at = col_i64(q, 6);
	t->last_used_at = col_i64(q, 7);
	t->revoked_at = col_i64(q, 8);
}

static enum cs_err
sq_token_put(struct store *st, const struct token *t, const char *hash,
             int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO token (user_id, name, prefix, "
	                          "hash, created_at, expires_at) VALUES (?1, "
	                          "?2, ?3, ?4, ?5, ?6)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, t->user_id);
	bind_str(q, 2, t->name);
	bind_str(q, 3, t->prefix);
	bind_str(q, 4, hash);
	sqlite3_bind_int64(q, 5, t->created_at);
	bind_time(q, 6, t->expires_at);
	if ((err = run(s, q, "token_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_token_auth(struct store *st, struct arena *a, const char *hash,
              struct token *t_out, struct user *u_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " TOKEN_COLS ", " USER_COLS_U
	                          " FROM token t JOIN user u ON u.id = "
	                          "t.user_id WHERE t.hash = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, hash);
	if ((err = row_begin(s, q, "token_auth")) != CS_OK)
		return err;
	read_token(s, a, q, t_out);
	read_user(s, a, q, 9, u_out);
	return row_end(s, q);
}

static enum cs_err
sq_token_get(struct store *st, struct arena *a, int64_t id, struct token *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " TOKEN_COLS " FROM token t JOIN "
	                          "user u ON u.id = t.user_id WHERE t.id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = row_begin(s, q, "token_get")) != CS_OK)
		return err;
	read_token(s, a, q, out);
	return row_end(s, q);
}

static enum cs_err
sq_token_list(struct store *st, struct arena *a, int64_t user_id,
              const struct page *p, struct token **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " TOKEN_COLS " FROM token t JOIN "
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

static enum cs_err
sq_token_revoke(struct store *st, int64_t id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE token SET revoked_at = "
	                          "coalesce(revoked_at, ?2) WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return changed_one(s, run(s, q, "token_revoke"));
}

static enum cs_err
sq_token_revoke_user(struct store *st, int64_t user_id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE token SET revoked_at = ?2 WHERE "
	                          "user_id = ?1 AND revoked_at IS NULL");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	sqlite3_bind_int64(q, 2, now);
	return run(s, q, "token_revoke_user");
}

static enum cs_err
sq_token_touch(struct store *st, int64_t id, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "UPDATE token SET last_used_at = ?2 WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	return run(s, q, "token_touch");
}

/* ---- login throttling ---- */

static enum cs_err
sq_throttle_get(struct store *st, const char *key, int64_t now,
                int *failures_out, int64_t *locked_until_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT failures, locked_until FROM "
	                          "login_throttle WHERE key = ?1");
	int rc;

	(void)now;
	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, key);
	*failures_out = 0;
	*locked_until_out = 0;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*failures_out = sqlite3_column_int(q, 0);
		*locked_until_out = col_i64(q, 1);
	} else if (rc != SQLITE_DONE) {
		done(q);
		return db_error(s, "throttle_get");
	}
	done(q);
	return CS_OK;
}

static enum cs_err
sq_throttle_fail(struct store *st, const char *key, int64_t now, int64_t window,
                 int max, int64_t lockout, int64_t *locked_until_out)
{
	struct sq *s = SQ(st);
	/* A failure outside the window starts a new count. Reaching max
	 * failures inside it locks the key for lockout and starts the count
	 * over, so the next lock needs max new failures. */
	sqlite3_stmt *q = prep(
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
	bind_str(q, 1, key);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int(q, 3, max);
	sqlite3_bind_int64(q, 4, window);
	sqlite3_bind_int64(q, 5, lockout);
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		done(q);
		return db_error(s, "throttle_fail");
	}
	*locked_until_out = col_i64(q, 0);
	done(q);
	return CS_OK;
}

static enum cs_err
sq_throttle_clear(struct store *st, const char *key)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "DELETE FROM login_throttle WHERE key = ?1");

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, key);
	return run(s, q, "throttle_clear");
}

/* ---- idempotency ---- */

static enum cs_err
sq_idem_claim(struct store *st, struct arena *a, int64_t user_id,
              const char *key, const char *req_hash, int64_t now,
              bool *claimed_out, struct idem *existing_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO idempotency (user_id, key, "
	                          "req_hash, created_at) VALUES (?1, ?2, ?3, "
	                          "?4) ON CONFLICT DO NOTHING");
	enum cs_err err;
	int rc;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	bind_str(q, 2, key);
	bind_str(q, 3, req_hash);
	sqlite3_bind_int64(q, 4, now);
	if ((err = run(s, q, "idem_claim")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1) {
		*claimed_out = true;
		return CS_OK;
	}
	*claimed_out = false;
	q = prep(s, "SELECT req_hash, done, status, content_type, body FROM "
	            "idempotency WHERE user_id = ?1 AND key = ?2");
	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	bind_str(q, 2, key);
	s->oom = false;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		existing_out->req_hash = col_str(s, a, q, 0);
		existing_out->done = col_i64(q, 1) != 0;
		existing_out->status = sqlite3_column_int(q, 2);
		existing_out->content_type = col_str(s, a, q, 3);
		existing_out->body = col_str(s, a, q, 4);
		err = s->oom ? CS_E_TOOBIG : CS_OK;
	} else {
		err = rc == SQLITE_DONE ? CS_E_CONFLICT
		                        : db_error(s, "idem_claim");
	}
	done(q);
	return err;
}

static enum cs_err
sq_idem_finish(struct store *st, int64_t user_id, const char *key, int status,
               const char *content_type, const char *body)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE idempotency SET done = 1, status = "
	                          "?3, content_type = ?4, body = ?5 WHERE "
	                          "user_id = ?1 AND key = ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	bind_str(q, 2, key);
	sqlite3_bind_int(q, 3, status);
	bind_str(q, 4, content_type);
	bind_str(q, 5, body ? body : "");
	return run(s, q, "idem_finish");
}

static enum cs_err
sq_idem_release(struct store *st, int64_t user_id, const char *key)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "DELETE FROM idempotency WHERE user_id = ?1 "
	                          "AND key = ?2 AND done = 0");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, user_id);
	bind_str(q, 2, key);
	return run(s, q, "idem_release");
}

/* ---- audit ---- */

#define AUDIT_COLS                                                             \
	"seq, at, actor, action, object_type, object_id, detail, prev_hash, "  \
	"hash"

static void
read_audit(struct sq *s, struct arena *a, sqlite3_stmt *q, struct audit_row *r)
{
	r->seq = col_i64(q, 0);
	r->at = col_i64(q, 1);
	r->actor = col_str(s, a, q, 2);
	r->action = col_str(s, a, q, 3);
	r->object_type = col_str(s, a, q, 4);
	r->object_id = col_str(s, a, q, 5);
	r->detail = col_str(s, a, q, 6);
	r->prev_hash = col_str(s, a, q, 7);
	r->hash = col_str(s, a, q, 8);
}

static enum cs_err
sq_audit_head(struct store *st, struct arena *a, int64_t *seq_out,
              const char **hash_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
	int rc;

	if (q == NULL)
		return CS_E_DB;
	*seq_out = 0;
	*hash_out = NULL;
	s->oom = false;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*seq_out = col_i64(q, 0);
		*hash_out = col_str(s, a, q, 1);
	} else if (rc != SQLITE_DONE) {
		done(q);
		return db_error(s, "audit_head");
	}
	done(q);
	return s->oom ? CS_E_TOOBIG : CS_OK;
}

static enum cs_err
sq_audit_insert(struct store *st, const struct audit_row *r)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO audit (" AUDIT_COLS ") VALUES "
	                          "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, r->seq);
	sqlite3_bind_int64(q, 2, r->at);
	bind_str(q, 3, r->actor);
	bind_str(q, 4, r->action);
	bind_str(q, 5, r->object_type);
	bind_str(q, 6, r->object_id);
	bind_str(q, 7, r->detail);
	bind_str(q, 8, r->prev_hash);
	bind_str(q, 9, r->hash);
	return run(s, q, "audit_insert");
}

static enum cs_err
sq_audit_list(struct store *st, struct arena *a, const struct audit_filter *f,
              const struct page *p, struct audit_row **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " AUDIT_COLS " FROM audit WHERE seq "
	                          "> ?1 AND (?2 IS NULL OR action = ?2) AND "
	                          "(?3 IS NULL OR actor = ?3) ORDER BY seq "
	                          "LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	bind_str(q, 2, f->action);
	bind_str(q, 3, f->actor);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct audit_row, items_out, n_out, p->limit,
	        read_audit(s, a, q, it_));
	return CS_OK;
}

static enum cs_err
sq_audit_scan(struct store *st, audit_scan_fn fn, void *ctx)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	struct arena *a = arena_new(1 << 20);
	enum cs_err err = CS_OK;
	int rc;

	/* A dedicated statement: the scan may outlive other cached uses. */
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT " AUDIT_COLS " FROM audit ORDER BY seq",
	                       -1, &q, NULL) != SQLITE_OK) {
		arena_free(a);
		return db_error(s, "audit_scan");
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct audit_row r;

		arena_reset(a);
		s->oom = false;
		read_audit(s, a, q, &r);
		if (s->oom) {
			err = CS_E_TOOBIG;
			break;
		}
		if ((err = fn(ctx, &r)) != CS_OK)
			break;
	}
	if (err == CS_OK && rc != SQLITE_DONE)
		err = db_error(s, "audit_scan");
	sqlite3_finalize(q);
	arena_free(a);
	return err;
}

/* ---- jobs ---- */

#define JOB_COLS                                                               \
	"id, kind, payload, state, attempts, max_attempts, run_after, "        \
	"created_at, finished_at, lease_until, last_error"

static void
read_job(struct sq *s, struct arena *a, sqlite3_stmt *q, struct job *j)
{
	const char *state = (const char *)sqlite3_column_text(q, 3);

	j->id = col_i64(q, 0);
	j->kind = col_str(s, a, q, 1);
	j->payload = col_str(s, a, q, 2);
	if (state == NULL || !job_state_parse(state, &j->state))
		j->state = JOB_FAILED; /* unreachable: CHECK constraint */
	j->attempts = sqlite3_column_int(q, 4);
	j->max_attempts = sqlite3_column_int(q, 5);
	j->run_after = col_i64(q, 6);
	j->created_at = col_i64(q, 7);
	j->finished_at = col_i64(q, 8);
	j->lease_until = col_i64(q, 9);
	j->last_error = col_str(s, a, q, 10);
}

static enum cs_err
sq_job_put(struct store *st, const struct job *j, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO job (kind, payload, "
	                          "max_attempts, run_after, created_at) VALUES "
	                          "(?1, ?2, ?3, ?4, ?5)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, j->kind);
	bind_str(q, 2, j->payload ? j->payload : "{}");
	sqlite3_bind_int(q, 3, j->max_attempts);
	sqlite3_bind_int64(q, 4, j->run_after);
	sqlite3_bind_int64(q, 5, j->created_at);
	if ((err = run(s, q, "job_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_job_claim(struct store *st, struct arena *a, int64_t now, int64_t lease,
             struct job *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "UPDATE job SET state = 'running', attempts = attempts + 1, "
	       "lease_until = ?1 + ?2 WHERE id = (SELECT id FROM job WHERE "
	       "(state = 'queued' AND run_after <= ?1) OR (state = 'running' "
	       "AND lease_until < ?1) ORDER BY run_after, id LIMIT 1) "
	       "RETURNING " JOB_COLS);
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, lease);
	if ((err = row_begin(s, q, "job_claim")) != CS_OK)
		return err;
	read_job(s, a, q, out);
	return row_end(s, q);
}

static enum cs_err
sq_job_done(struct store *st, int64_t id, int attempt, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE job SET state = 'done', "
	                          "finished_at = ?2, last_error = NULL WHERE "
	                          "id = ?1 AND state = 'running' AND attempts "
	                          "= ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int(q, 3, attempt);
	/* NOTFOUND: the job was taken over (lease expired) meanwhile. */
	return changed_one(s, run(s, q, "job_done"));
}

static enum cs_err
sq_job_retry(struct store *st, int64_t id, const char *error, int64_t run_after,
             bool dead, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "UPDATE job SET state = CASE WHEN ?4 THEN 'failed' ELSE "
	       "'queued' END, last_error = ?2, run_after = ?3, lease_until = "
	       "0, finished_at = CASE WHEN ?4 THEN ?5 END WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	bind_str(q, 2, error);
	sqlite3_bind_int64(q, 3, run_after);
	sqlite3_bind_int(q, 4, dead);
	sqlite3_bind_int64(q, 5, now);
	return changed_one(s, run(s, q, "job_retry"));
}

static enum cs_err
sq_job_recover(struct store *st, int64_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE job SET state = 'queued', "
	                          "lease_until = 0 WHERE state = 'running'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if ((err = run(s, q, "job_recover")) == CS_OK)
		*n_out = sqlite3_changes(s->db);
	return err;
}

static enum cs_err
sq_job_get(struct store *st, struct arena *a, int64_t id, struct job *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " JOB_COLS " FROM job WHERE id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = row_begin(s, q, "job_get")) != CS_OK)
		return err;
	read_job(s, a, q, out);
	return row_end(s, q);
}

static enum cs_err
sq_job_list(struct store *st, struct arena *a, int state, const struct page *p,
            struct job **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " JOB_COLS " FROM job WHERE id > ?1 "
	                          "AND (?2 IS NULL OR state = ?2) ORDER BY id "
	                          "LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	bind_str(q, 2,
	         state >= 0 ? job_state_name((enum job_state)state) : NULL);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct job, items_out, n_out, p->limit,
	        read_job(s, a, q, it_));
	return CS_OK;
}

static enum cs_err
sq_job_counts(struct store *st, int64_t counts[JOB_NSTATES])
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "SELECT state, count(*) FROM job GROUP BY state");
	int rc;

	if (q == NULL)
		return CS_E_DB;
	for (int i = 0; i < JOB_NSTATES; i++)
		counts[i] = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		enum job_state js;
		const char *name = (const char *)sqlite3_column_text(q, 0);

		if (name != NULL && job_state_parse(name, &js))
			counts[js] = col_i64(q, 1);
	}
	done(q);
	return rc == SQLITE_DONE ? CS_OK : db_error(s, "job_counts");
}

/* ---- maintenance ---- */

static enum cs_err
sq_purge(struct store *st, int64_t now, int64_t idem_ttl, int64_t *n_out)
{
	struct sq *s = SQ(st);
	static const char *const sql[] = {
	    "DELETE FROM session WHERE expires_at < ?1",
	    "DELETE FROM idempotency WHERE created_at < ?1 - ?2",
	    "DELETE FROM login_throttle WHERE locked_until < ?1 AND "
	    "window_start < ?1 - 86400",
	};
	enum cs_err err;
	int64_t n = 0;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *q = prep(s, sql[i]);

		if (q == NULL)
			return CS_E_DB;
		sqlite3_bind_int64(q, 1, now);
		if (i == 1)
			sqlite3_bind_int64(q, 2, idem_ttl);
		if ((err = run(s, q, "purge")) != CS_OK)
			return err;
		n += sqlite3_changes(s->db);
	}
	*n_out = n;
	return CS_OK;
}

static enum cs_err
sq_backup(struct store *st, const char *dest)
{
	struct sq *s = SQ(st);
	sqlite3 *out = NULL;
	sqlite3_backup *b;
	enum cs_err err = CS_OK;
	int rc;

	if (sqlite3_open_v2(dest, &out,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "%s: %s", dest,
		         sqlite3_errmsg(out));
		sqlite3_close(out);
		return CS_E_IO;
	}
	sqlite3_busy_timeout(out, BUSY_MS);
	b = sqlite3_backup_init(out, "main", s->db, "main");
	if (b == NULL) {
		snprintf(s->err, sizeof(s->err), "%s", sqlite3_errmsg(out));
		sqlite3_close(out);
		return CS_E_IO;
	}
	/* Copy in steps; a writer in another connection restarts the copy,
	 * so the result is one consistent snapshot. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(s->err, sizeof(s->err), "backup: %s",
		         sqlite3_errstr(rc));
		err = CS_E_IO;
	}
	if (sqlite3_close(out) != SQLITE_OK)
		err = CS_E_IO;
	return err;
}

/* ---- constituency ---- */

#define ORG_COLS                                                               \
	"o.id, o.parent_id, o.name, o.short_name, o.sector, o.country, "       \
	"o.languages, o.notes, p.short_name, o.version, o.created_at, "        \
	"o.updated_at"

static void
read_org(struct sq *s, struct arena *a, sqlite3_stmt *q, struct org *o)
{
	o->id = col_i64(q, 0);
	o->parent_id = col_i64(q, 1);
	o->name = col_str(s, a, q, 2);
	o->short_name = col_str(s, a, q, 3);
	o->sector = col_str(s, a, q, 4);
	o->country = col_str(s, a, q, 5);
	o->languages = col_str(s, a, q, 6);
	o->notes = col_str(s, a, q, 7);
	o->parent_short = col_str(s, a, q, 8);
	o->version = col_i64(q, 9);
	o->created_at = col_i64(q, 10);
	o->updated_at = col_i64(q, 11);
}

static enum cs_err
sq_org_put(struct store *st, const struct org *o, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "INSERT INTO org (name, short_name, sector, country, languages, "
	       "parent_id, notes, created_at, updated_at) VALUES (?1, ?2, ?3, "
	       "?4, ?5, ?6, ?7, ?8, ?8)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, o->name);
	bind_str(q, 2, o->short_name);
	bind_str(q, 3, o->sector ? o->sector : "");
	bind_str(q, 4, o->country ? o->country : "");
	bind_str(q, 5, o->languages ? o->languages : "");
	bind_time(q, 6, o->parent_id);
	bind_str(q, 7, o->notes ? o->notes : "");
	sqlite3_bind_int64(q, 8, o->created_at);
	if ((err = run(s, q, "org_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_org_get(struct store *st, struct arena *a, int64_t id,
           const char *short_name, struct org *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err;

	if (short_name != NULL) {
		q = prep(s, "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON "
		            "p.id = o.parent_id WHERE o.short_name = ?1");
		if (q != NULL)
			bind_str(q, 1, short_name);
	} else {
		q = prep(s, "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON "
		            "p.id = o.parent_id WHERE o.id = ?1");
		if (q != NULL)
			sqlite3_bind_int64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = row_begin(s, q, "org_get")) != CS_OK)
		return err;
	read_org(s, a, q, out);
	return row_end(s, q);
}

static enum cs_err
sq_org_list(struct store *st, struct arena *a, const char *text,
            const struct page *p, struct org **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON p.id = "
	       "o.parent_id WHERE o.id > ?1 AND (?2 IS NULL OR instr(lower("
	       "o.name), lower(?2)) > 0 OR instr(lower(o.short_name), "
	       "lower(?2)) > 0) ORDER BY o.id LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	bind_str(q, 2, text);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct org, items_out, n_out, p->limit,
	        read_org(s, a, q, it_));
	return CS_OK;
}

static enum cs_err
sq_org_update(struct store *st, const struct org *o, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "UPDATE org SET name = ?2, short_name = ?3, sector = ?4, "
	            "country = ?5, languages = ?6, parent_id = ?7, notes = ?8, "
	            "updated_at = ?9, version = version + 1 WHERE id = ?1 AND "
	            "version = ?10");
	sqlite3_stmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, o->id);
	bind_str(q, 2, o->name);
	bind_str(q, 3, o->short_name);
	bind_str(q, 4, o->sector);
	bind_str(q, 5, o->country);
	bind_str(q, 6, o->languages);
	bind_time(q, 7, o->parent_id);
	bind_str(q, 8, o->notes);
	sqlite3_bind_int64(q, 9, now);
	sqlite3_bind_int64(q, 10, o->version);
	if ((err = run(s, q, "org_update")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1)
		return CS_OK;
	if ((e = prep(s, "SELECT 1 FROM org WHERE id = ?1")) == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(e, 1, o->id);
	err = sqlite3_step(e) == SQLITE_ROW ? CS_E_STALE : CS_E_NOTFOUND;
	done(e);
	return err;
}

static void
read_contact(struct sq *s, struct arena *a, sqlite3_stmt *q, struct contact *c)
{
	c->id = col_i64(q, 0);
	c->org_id = col_i64(q, 1);
	c->name = col_str(s, a, q, 2);
	c->email = col_str(s, a, q, 3);
	c->phone = col_str(s, a, q, 4);
	c->role = col_str(s, a, q, 5);
	c->language = col_str(s, a, q, 6);
	c->created_at = col_i64(q, 7);
}

static enum cs_err
sq_contact_put(struct store *st, const struct contact *c, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO contact (org_id, name, email, "
	                          "phone, role, language, created_at) VALUES "
	                          "(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, c->org_id);
	bind_str(q, 2, c->name ? c->name : "");
	bind_str(q, 3, c->email);
	bind_str(q, 4, c->phone ? c->phone : "");
	bind_str(q, 5, c->role);
	bind_str(q, 6, c->language ? c->language : "");
	sqlite3_bind_int64(q, 7, c->created_at);
	if ((err = run(s, q, "contact_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_contact_list(struct store *st, struct arena *a, int64_t org_id,
                const struct page *p, struct contact **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT id, org_id, name, email, phone, "
	                          "role, language, created_at FROM contact "
	                          "WHERE org_id = ?1 AND id > ?2 ORDER BY id "
	                          "LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, org_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct contact, items_out, n_out, p->limit,
	        read_contact(s, a, q, it_));
	return CS_OK;
}

static enum cs_err
sq_contact_delete(struct store *st, int64_t org_id, int64_t id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "DELETE FROM contact WHERE id = ?1 AND org_id = ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, org_id);
	return changed_one(s, run(s, q, "contact_delete"));
}

static void
read_asset(struct sq *s, struct arena *a, sqlite3_stmt *q, struct org_asset *x)
{
	x->id = col_i64(q, 0);
	x->org_id = col_i64(q, 1);
	x->kind = col_str(s, a, q, 2);
	x->value = col_str(s, a, q, 3);
	x->created_at = col_i64(q, 4);
}

static enum cs_err
sq_asset_put(struct store *st, const struct org_asset *x, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO asset (org_id, kind, value, "
	                          "created_at) VALUES (?1, ?2, ?3, ?4)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->org_id);
	bind_str(q, 2, x->kind);
	bind_str(q, 3, x->value);
	sqlite3_bind_int64(q, 4, x->created_at);
	if ((err = run(s, q, "asset_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_asset_list(struct store *st, struct arena *a, int64_t org_id,
              const char *kind, const struct page *p,
              struct org_asset **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT id, org_id, kind, value, created_at "
	                          "FROM asset WHERE org_id = ?1 AND id > ?2 "
	                          "AND (?3 IS NULL OR kind = ?3) ORDER BY id "
	                          "LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, org_id);
	sqlite3_bind_int64(q, 2, p->after);
	bind_str(q, 3, kind);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct org_asset, items_out, n_out, p->limit,
	        read_asset(s, a, q, it_));
	return CS_OK;
}

static enum cs_err
sq_asset_get(struct store *st, struct arena *a, int64_t org_id, int64_t id,
             struct org_asset *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT id, org_id, kind, value, created_at "
	                          "FROM asset WHERE id = ?1 AND org_id = ?2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, org_id);
	if ((err = row_begin(s, q, "asset_get")) != CS_OK)
		return err;
	read_asset(s, a, q, out);
	return row_end(s, q);
}

static enum cs_err
sq_asset_delete(struct store *st, int64_t org_id, int64_t id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "DELETE FROM asset WHERE id = ?1 AND org_id = ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, org_id);
	return changed_one(s, run(s, q, "asset_delete"));
}

static enum cs_err
sq_asset_scan(struct store *st,
              enum cs_err (*fn)(void *ctx, const struct org_asset *), void *ctx)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err = CS_OK;
	int rc;

	/* a dedicated statement: fn may use the cached ones */
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT id, org_id, kind, value, created_at "
	                       "FROM asset ORDER BY id",
	                       -1, &q, NULL) != SQLITE_OK)
		return db_error(s, "asset_scan");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct org_asset x = {
		    .id = col_i64(q, 0),
		    .org_id = col_i64(q, 1),
		    .kind = (const char *)sqlite3_column_text(q, 2),
		    .value = (const char *)sqlite3_column_text(q, 3),
		    .created_at = col_i64(q, 4),
		};

		if (x.kind == NULL || x.value == NULL)
			continue;
		if ((err = fn(ctx, &x)) != CS_OK)
			break;
	}
	if (err == CS_OK && rc != SQLITE_DONE)
		err = db_error(s, "asset_scan");
	sqlite3_finalize(q);
	return err;
}

static enum cs_err
sq_asset_version(struct store *st, int64_t *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "SELECT version FROM asset_version WHERE id = 1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if ((err = row_begin(s, q, "asset_version")) != CS_OK)
		return err;
	*out = col_i64(q, 0);
	return row_end(s, q);
}

/* ---- incidents ---- */

/* Who may read an incident, in SQL: the one place the read rule lives.
 * ?20 viewer id, ?21 viewer role, ?22 a constituent's organisation. The team
 * reads everything but TLP:RED incidents it neither owns nor is a member
 * of; a constituent reads the incidents of its own organisation, and
 * TLP:RED ones only as a member. */
#define VISIBLE                                                                \
	"((?21 <> 'constituent' AND (i.tlp <> 'RED' OR i.owner_id = ?20 OR "   \
	"EXISTS (SELECT 1 FROM incident_member m WHERE m.incident_id = i.id "  \
	"AND m.user_id = ?20))) OR (?21 = 'constituent' AND EXISTS (SELECT 1 " \
	"FROM incident_org io JOIN org o ON o.id = io.org_id WHERE "           \
	"io.incident_id = i.id AND o.short_name = ?22) AND (i.tlp <> 'RED' "   \
	"OR EXISTS (SELECT 1 FROM incident_member m WHERE m.incident_id = "    \
	"i.id AND m.user_id = ?20))))"

#define INCIDENT_COLS                                                          \
	"i.id, i.ref, i.title, i.summary, i.rsit_class, i.rsit_type, i.tlp, "  \
	"i.pap, i.impact, i.urgency, i.priority, i.status, i.resolution, "     \
	"i.owner_id, ow.login, i.response_due, i.resolve_due, "                \
	"i.first_response_at, i.resolved_at, i.version, i.created_by, "        \
	"i.created_at, i.updated_at, "                                         \
	"(SELECT group_concat(u.login, ',') FROM (SELECT u.login FROM "        \
	"incident_member m JOIN user u ON u.id = m.user_id WHERE "             \
	"m.incident_id = i.id ORDER BY u.login) u), "                          \
	"(SELECT group_concat(o.short_name, ',') FROM (SELECT o.short_name "   \
	"FROM incident_org io JOIN org o ON o.id = io.org_id WHERE "           \
	"io.incident_id = i.id ORDER BY o.short_name) o), "                    \
	"(SELECT group_concat(t.tag, ',') FROM (SELECT tag FROM incident_tag " \
	"WHERE incident_id = i.id ORDER BY tag) t)"

static void
bind_viewer(sqlite3_stmt *q, const struct viewer *v)
{
	sqlite3_bind_int64(q, 20, v->user_id);
	bind_str(q, 21, role_name(v->role));
	bind_str(q, 22, v->org ? v->org : "");
}

/* "a,b,c" -> NULL-terminated array in the arena */
static const char **
split_list(struct sq *s, struct arena *a, sqlite3_stmt *q, int col)
{
	const char *text = (const char *)sqlite3_column_text(q, col);
	size_t n = 1, i = 0;
	const char **out;
	char *copy;

	if (text != NULL)
		for (const char *p = text; *p; p++)
			n += *p == ',';
	out = arena_alloc(a, sizeof(*out) * (n + 1));
	copy = text ? arena_strdup(a, text) : NULL;
	if (out == NULL || (text != NULL && copy == NULL)) {
		s->oom = true;
		return NULL;
	}
	if (copy != NULL && copy[0] != '\0') {
		char *p = copy;

		for (;;) {
			char *comma = strchr(p, ',');

			out[i++] = p;
			if (comma == NULL)
				break;
			*comma = '\0';
			p = comma + 1;
		}
	}
	out[i] = NULL;
	return out;
}

static void
read_incident(struct sq *s, struct arena *a, sqlite3_stmt *q,
              struct incident *x)
{
	const char *t;

	memset(x, 0, sizeof(*x));
	x->id = col_i64(q, 0);
	x->ref = col_str(s, a, q, 1);
	x->title = col_str(s, a, q, 2);
	x->summary = col_str(s, a, q, 3);
	x->rsit_class = col_str(s, a, q, 4);
	x->rsit_type = col_str(s, a, q, 5);
	if ((t = (const char *)sqlite3_column_text(q, 6)) != NULL)
		(void)tlp_parse(t, &x->tlp);
	if ((t = (const char *)sqlite3_column_text(q, 7)) != NULL)
		(void)pap_parse(t, &x->pap);
	if ((t = (const char *)sqlite3_column_text(q, 8)) != NULL)
		(void)level_parse(t, &x->impact);
	if ((t = (const char *)sqlite3_column_text(q, 9)) != NULL)
		(void)level_parse(t, &x->urgency);
	x->priority = sqlite3_column_int(q, 10);
	if ((t = (const char *)sqlite3_column_text(q, 11)) != NULL)
		(void)status_parse(t, &x->status);
	if ((t = (const char *)sqlite3_column_text(q, 12)) != NULL)
		(void)resolution_parse(t, &x->resolution);
	x->owner_id = col_i64(q, 13);
	x->owner = col_str(s, a, q, 14);
	x->response_due = col_i64(q, 15);
	x->resolve_due = col_i64(q, 16);
	x->first_response_at = col_i64(q, 17);
	x->resolved_at = col_i64(q, 18);
	x->version = col_i64(q, 19);
	x->created_by = col_str(s, a, q, 20);
	x->created_at = col_i64(q, 21);
	x->updated_at = col_i64(q, 22);
	x->members = split_list(s, a, q, 23);
	x->orgs = split_list(s, a, q, 24);
	x->tags = split_list(s, a, q, 25);
}

/* Replaces the member, organisation and tag sets of incident id. */
static enum cs_err
put_sets(struct sq *s, const struct incident *x)
{
	static const char *const del[] = {
	    "DELETE FROM incident_member WHERE incident_id = ?1",
	    "DELETE FROM incident_org WHERE incident_id = ?1",
	    "DELETE FROM incident_tag WHERE incident_id = ?1",
	};
	static const char *const ins[] = {
	    "INSERT INTO incident_member SELECT ?1, id FROM user WHERE login = "
	    "?2",
	    "INSERT INTO incident_org SELECT ?1, id FROM org WHERE short_name "
	    "= ?2",
	    "INSERT OR IGNORE INTO incident_tag VALUES (?1, ?2)",
	};
	const char **const sets[] = {x->members, x->orgs, x->tags};
	enum cs_err err;

	for (int k = 0; k < 3; k++) {
		sqlite3_stmt *q = prep(s, del[k]);

		if (q == NULL)
			return CS_E_DB;
		sqlite3_bind_int64(q, 1, x->id);
		if ((err = run(s, q, "incident_sets")) != CS_OK)
			return err;
		for (size_t i = 0; sets[k] != NULL && sets[k][i] != NULL; i++) {
			if ((q = prep(s, ins[k])) == NULL)
				return CS_E_DB;
			sqlite3_bind_int64(q, 1, x->id);
			bind_str(q, 2, sets[k][i]);
			err = run(s, q, "incident_sets");
			if (err == CS_E_CONFLICT && k < 2)
				err = CS_OK; /* listed twice */
			if (err != CS_OK)
				return err;
			if (k < 2 && sqlite3_changes(s->db) == 0)
				snprintf(s->err, sizeof(s->err),
				         "%s %s vanished",
				         k == 0 ? "user" : "organisation",
				         sets[k][i]);
		}
	}
	return CS_OK;
}

static void
bind_incident(sqlite3_stmt *q, const struct incident *x)
{
	bind_str(q, 2, x->title);
	bind_str(q, 3, x->summary ? x->summary : "");
	bind_str(q, 4, x->rsit_class);
	bind_str(q, 5, x->rsit_type);
	bind_str(q, 6, tlp_name(x->tlp));
	bind_str(q, 7, pap_name(x->pap));
	bind_str(q, 8, level_name(x->impact));
	bind_str(q, 9, level_name(x->urgency));
	sqlite3_bind_int(q, 10, x->priority);
	bind_str(q, 11, status_name(x->status));
	bind_str(q, 12,
	         x->resolution != RES_NONE ? resolution_name(x->resolution)
	                                   : NULL);
	bind_time(q, 13, x->owner_id);
	sqlite3_bind_int64(q, 14, x->response_due);
	sqlite3_bind_int64(q, 15, x->resolve_due);
	bind_time(q, 16, x->first_response_at);
	bind_time(q, 17, x->resolved_at);
}

static enum cs_err
sq_incident_put(struct store *st, struct arena *a, const char *team_code,
                int year, struct incident *x)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO ref_counter VALUES (?1, 1) ON "
	                          "CONFLICT (year) DO UPDATE SET last = last + "
	                          "1 RETURNING last");
	char ref[64];
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int(q, 1, year);
	if ((err = row_begin(s, q, "incident_ref")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	incident_ref_format(team_code, year, col_i64(q, 0), ref, sizeof(ref));
	if ((err = row_end(s, q)) != CS_OK)
		return err;
	if ((x->ref = arena_strdup(a, ref)) == NULL)
		return CS_E_TOOBIG;
	q = prep(s, "INSERT INTO incident (ref, title, summary, rsit_class, "
	            "rsit_type, tlp, pap, impact, urgency, priority, status, "
	            "resolution, owner_id, response_due, resolve_due, "
	            "first_response_at, resolved_at, created_by, created_at, "
	            "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	            "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19)");
	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, x->ref);
	bind_incident(q, x);
	bind_str(q, 18, x->created_by);
	sqlite3_bind_int64(q, 19, x->created_at);
	if ((err = run(s, q, "incident_put")) != CS_OK)
		return err;
	x->id = sqlite3_last_insert_rowid(s->db);
	x->version = 1;
	return put_sets(s, x);
}

static enum cs_err
sq_incident_get(struct store *st, struct arena *a, const struct viewer *v,
                const char *ref, struct incident *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " INCIDENT_COLS " FROM incident i "
	                          "LEFT JOIN user ow ON ow.id = i.owner_id "
	                          "WHERE i.ref = ?1 AND " VISIBLE);
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	bind_str(q, 1, ref);
	bind_viewer(q, v);
	if ((err = row_begin(s, q, "incident_get")) != CS_OK)
		return err;
	read_incident(s, a, q, out);
	return row_end(s, q);
}

static enum cs_err
sq_incident_list(struct store *st, struct arena *a, const struct viewer *v,
                 const struct incident_filter *f, const struct page *p,
                 struct incident **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "SELECT " INCIDENT_COLS " FROM incident i LEFT JOIN user ow ON "
	       "ow.id = i.owner_id WHERE (?1 = 0 OR i.id < ?1) "
	       "AND (?2 IS NULL OR i.status = ?2) "
	       "AND (?3 IS NULL OR i.rsit_class = ?3) "
	       "AND (?4 IS NULL OR i.rsit_type = ?4) "
	       "AND (?5 IS NULL OR i.tlp = ?5) "
	       "AND (?6 = 0 OR i.priority = ?6) "
	       "AND (?7 = 0 OR (?7 = -1 AND i.owner_id IS NULL) OR "
	       "i.owner_id = ?7) "
	       "AND (?8 IS NULL OR EXISTS (SELECT 1 FROM incident_org io JOIN "
	       "org o ON o.id = io.org_id WHERE io.incident_id = i.id AND "
	       "o.short_name = ?8)) "
	       "AND (?9 IS NULL OR EXISTS (SELECT 1 FROM incident_tag t WHERE "
	       "t.incident_id = i.id AND t.tag = ?9)) "
	       "AND (?10 = 0 OR (i.status IN ('new', 'open', 'stalled') AND "
	       "(i.resolve_due < ?10 OR (i.first_response_at IS NULL AND "
	       "i.response_due < ?10)))) "
	       "AND " VISIBLE " ORDER BY i.id DESC LIMIT ?11");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	bind_str(q, 2, f->status);
	bind_str(q, 3, f->rsit_class);
	bind_str(q, 4, f->rsit_type);
	bind_str(q, 5, f->tlp >= 0 ? tlp_name((enum tlp)f->tlp) : NULL);
	sqlite3_bind_int(q, 6, f->priority);
	sqlite3_bind_int64(q, 7, f->owner_id);
	bind_str(q, 8, f->org);
	bind_str(q, 9, f->tag);
	sqlite3_bind_int64(q, 10, f->due_before);
	sqlite3_bind_int(q, 11, p->limit);
	bind_viewer(q, v);
	COLLECT(s, a, q, struct incident, items_out, n_out, p->limit,
	        read_incident(s, a, q, it_));
	return CS_OK;
}

static enum cs_err
sq_incident_update(struct store *st, const struct incident *x, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(
	    s, "UPDATE incident SET title = ?2, summary = ?3, rsit_class = ?4, "
	       "rsit_type = ?5, tlp = ?6, pap = ?7, impact = ?8, urgency = ?9, "
	       "priority = ?10, status = ?11, resolution = ?12, owner_id = "
	       "?13, response_due = ?14, resolve_due = ?15, first_response_at "
	       "= ?16, resolved_at = ?17, updated_at = ?18, version = version "
	       "+ 1 WHERE id = ?1 AND version = ?19");
	sqlite3_stmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->id);
	bind_incident(q, x);
	sqlite3_bind_int64(q, 18, now);
	sqlite3_bind_int64(q, 19, x->version);
	if ((err = run(s, q, "incident_update")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1)
		return put_sets(s, x);
	if ((e = prep(s, "SELECT 1 FROM incident WHERE id = ?1")) == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(e, 1, x->id);
	err = sqlite3_step(e) == SQLITE_ROW ? CS_E_STALE : CS_E_NOTFOUND;
	done(e);
	return err;
}

static void
read_entry(struct sq *s, struct arena *a, sqlite3_stmt *q, struct entry *x)
{
	x->id = col_i64(q, 0);
	x->incident_id = col_i64(q, 1);
	x->kind = col_str(s, a, q, 2);
	x->visibility = col_str(s, a, q, 3);
	x->author = col_str(s, a, q, 4);
	x->body = col_str(s, a, q, 5);
	x->created_at = col_i64(q, 6);
}

static enum cs_err
sq_entry_put(struct store *st, const struct entry *x, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO entry (incident_id, kind, "
	                          "visibility, author, body, created_at) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->incident_id);
	bind_str(q, 2, x->kind);
	bind_str(q, 3, x->visibility);
	bind_str(q, 4, x->author);
	bind_str(q, 5, x->body);
	sqlite3_bind_int64(q, 6, x->created_at);
	if ((err = run(s, q, "entry_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_entry_list(struct store *st, struct arena *a, int64_t incident_id,
              bool shared_only, const struct page *p, struct entry **items_out,
              size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    prep(s, "SELECT id, incident_id, kind, visibility, "
	            "author, body, created_at FROM entry WHERE "
	            "incident_id = ?1 AND id > ?2 AND (?3 = 0 OR "
	            "visibility = 'shared') ORDER BY id LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, shared_only);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct entry, items_out, n_out, p->limit,
	        read_entry(s, a, q, it_));
	return CS_OK;
}

#define TASK_COLS                                                              \
	"t.id, t.incident_id, t.title, t.assignee_id, u.login, t.due_at, "     \
	"t.state, t.version, t.created_at, t.updated_at"

static void
read_task(struct sq *s, struct arena *a, sqlite3_stmt *q, struct task *x)
{
	x->id = col_i64(q, 0);
	x->incident_id = col_i64(q, 1);
	x->title = col_str(s, a, q, 2);
	x->assignee_id = col_i64(q, 3);
	x->assignee = col_str(s, a, q, 4);
	x->due_at = col_i64(q, 5);
	x->state = col_str(s, a, q, 6);
	x->version = col_i64(q, 7);
	x->created_at = col_i64(q, 8);
	x->updated_at = col_i64(q, 9);
}

static enum cs_err
sq_task_put(struct store *st, const struct task *x, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "INSERT INTO task (incident_id, title, "
	                          "assignee_id, due_at, state, created_at, "
	                          "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	                          "?6)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->incident_id);
	bind_str(q, 2, x->title);
	bind_time(q, 3, x->assignee_id);
	bind_time(q, 4, x->due_at);
	bind_str(q, 5, x->state ? x->state : "open");
	sqlite3_bind_int64(q, 6, x->created_at);
	if ((err = run(s, q, "task_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static enum cs_err
sq_task_get(struct store *st, struct arena *a, int64_t incident_id, int64_t id,
            struct task *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " TASK_COLS " FROM task t LEFT JOIN "
	                          "user u ON u.id = t.assignee_id WHERE t.id = "
	                          "?1 AND t.incident_id = ?2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, incident_id);
	if ((err = row_begin(s, q, "task_get")) != CS_OK)
		return err;
	read_task(s, a, q, out);
	return row_end(s, q);
}

static enum cs_err
sq_task_list(struct store *st, struct arena *a, int64_t incident_id,
             const struct page *p, struct task **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT " TASK_COLS " FROM task t LEFT JOIN "
	                          "user u ON u.id = t.assignee_id WHERE "
	                          "t.incident_id = ?1 AND t.id > ?2 ORDER BY "
	                          "t.id LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct task, items_out, n_out, p->limit,
	        read_task(s, a, q, it_));
	return CS_OK;
}

static enum cs_err
sq_task_update(struct store *st, const struct task *x, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE task SET title = ?3, assignee_id = "
	                          "?4, due_at = ?5, state = ?6, updated_at = "
	                          "?7, version = version + 1 WHERE id = ?1 AND "
	                          "incident_id = ?2 AND version = ?8");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->id);
	sqlite3_bind_int64(q, 2, x->incident_id);
	bind_str(q, 3, x->title);
	bind_time(q, 4, x->assignee_id);
	bind_time(q, 5, x->due_at);
	bind_str(q, 6, x->state);
	sqlite3_bind_int64(q, 7, now);
	sqlite3_bind_int64(q, 8, x->version);
	if ((err = run(s, q, "task_update")) != CS_OK)
		return err;
	return sqlite3_changes(s->db) == 1 ? CS_OK : CS_E_STALE;
}

static enum cs_err
sq_task_cancel_open(struct store *st, int64_t incident_id, int64_t now,
                    int64_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "UPDATE task SET state = 'cancelled', "
	                          "updated_at = ?2, version = version + 1 "
	                          "WHERE incident_id = ?1 AND state = 'open'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, now);
	if ((err = run(s, q, "task_cancel_open")) == CS_OK)
		*n_out = sqlite3_changes(s->db);
	return err;
}

static enum cs_err
sq_task_count_open(struct store *st, int64_t incident_id, int64_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = prep(s, "SELECT count(*) FROM task WHERE "
	                          "incident_id = ?1 AND state = 'open'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	if ((err = row_begin(s, q, "task_count_open")) != CS_OK)
		return err;
	*n_out = col_i64(q, 0);
	return row_end(s, q);
}

const struct store_ops store_sqlite_ops = {
    .scheme = "sqlite",
    .version = STORE_OPS_VERSION,
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .ping = sq_ping,
    .errmsg = sq_errmsg,
    .user_put = sq_user_put,
    .user_get = sq_user_get,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .user_set_password = sq_user_set_password,
    .user_touch_login = sq_user_touch_login,
    .user_count_admins = sq_user_count_admins,
    .session_put = sq_session_put,
    .session_get = sq_session_get,
    .session_touch = sq_session_touch,
    .session_delete = sq_session_delete,
    .session_delete_user = sq_session_delete_user,
    .token_put = sq_token_put,
    .token_auth = sq_token_auth,
    .token_get = sq_token_get,
    .token_list = sq_token_list,
    .token_revoke = sq_token_revoke,
    .token_revoke_user = sq_token_revoke_user,
    .token_touch = sq_token_touch,
    .throttle_get = sq_throttle_get,
    .throttle_fail = sq_throttle_fail,
    .throttle_clear = sq_throttle_clear,
    .idem_claim = sq_idem_claim,
    .idem_finish = sq_idem_finish,
    .idem_release = sq_idem_release,
    .audit_head = sq_audit_head,
    .audit_insert = sq_audit_insert,
    .audit_list = sq_audit_list,
    .audit_scan = sq_audit_scan,
    .job_put = sq_job_put,
    .job_claim = sq_job_claim,
    .job_done = sq_job_done,
    .job_retry = sq_job_retry,
    .job_recover = sq_job_recover,
    .job_get = sq_job_get,
    .job_list = sq_job_list,
    .job_counts = sq_job_counts,
    .purge = sq_purge,
    .backup = sq_backup,
    .is_exclusive = sq_is_exclusive,
    .org_put = sq_org_put,
    .org_get = sq_org_get,
    .org_list = sq_org_list,
    .org_update = sq_org_update,
    .contact_put = sq_contact_put,
    .contact_list = sq_contact_list,
    .contact_delete = sq_contact_delete,
    .asset_put = sq_asset_put,
    .asset_list = sq_asset_list,
    .asset_get = sq_asset_get,
    .asset_delete = sq_asset_delete,
    .asset_scan = sq_asset_scan,
    .asset_version = sq_asset_version,
    .incident_put = sq_incident_put,
    .incident_get = sq_incident_get,
    .incident_list = sq_incident_list,
    .incident_update = sq_incident_update,
    .entry_put = sq_entry_put,
    .entry_list = sq_entry_list,
    .task_put = sq_task_put,
    .task_get = sq_task_get,
    .task_list = sq_task_list,
    .task_update = sq_task_update,
    .task_cancel_open = sq_task_cancel_open,
    .task_count_open = sq_task_count_open,
};
