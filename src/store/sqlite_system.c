/* sqlite_system.c - the audit log, durable jobs, maintenance, backup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

/* ---- audit ---- */

#define AUDIT_COLS                                                             \
	"seq, at, actor, action, object_type, object_id, detail, prev_hash, "  \
	"hash"

static void
read_audit(struct sq *s, struct arena *a, sqlite3_stmt *q, struct audit_row *r)
{
	r->seq = sq_col_i64(q, 0);
	r->at = sq_col_i64(q, 1);
	r->actor = sq_col_str(s, a, q, 2);
	r->action = sq_col_str(s, a, q, 3);
	r->object_type = sq_col_str(s, a, q, 4);
	r->object_id = sq_col_str(s, a, q, 5);
	r->detail = sq_col_str(s, a, q, 6);
	r->prev_hash = sq_col_str(s, a, q, 7);
	r->hash = sq_col_str(s, a, q, 8);
}

enum cs_err
sq_audit_head(struct store *st, struct arena *a, int64_t *seq_out,
              const char **hash_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
	int rc;

	if (q == NULL)
		return CS_E_DB;
	*seq_out = 0;
	*hash_out = NULL;
	s->oom = false;
	if ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		*seq_out = sq_col_i64(q, 0);
		*hash_out = sq_col_str(s, a, q, 1);
	} else if (rc != SQLITE_DONE) {
		sq_done(q);
		return sq_db_error(s, "audit_head");
	}
	sq_done(q);
	return s->oom ? CS_E_TOOBIG : CS_OK;
}

enum cs_err
sq_audit_insert(struct store *st, const struct audit_row *r)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "INSERT INTO audit (" AUDIT_COLS ") VALUES "
	               "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, r->seq);
	sqlite3_bind_int64(q, 2, r->at);
	sq_bind_str(q, 3, r->actor);
	sq_bind_str(q, 4, r->action);
	sq_bind_str(q, 5, r->object_type);
	sq_bind_str(q, 6, r->object_id);
	sq_bind_str(q, 7, r->detail);
	sq_bind_str(q, 8, r->prev_hash);
	sq_bind_str(q, 9, r->hash);
	return sq_run(s, q, "audit_insert");
}

enum cs_err
sq_audit_list(struct store *st, struct arena *a, const struct audit_filter *f,
              const struct page *p, struct audit_row **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " AUDIT_COLS " FROM audit WHERE seq "
	               "> ?1 AND (?2 IS NULL OR action = ?2) AND "
	               "(?3 IS NULL OR actor = ?3) ORDER BY seq "
	               "LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2, f->action);
	sq_bind_str(q, 3, f->actor);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct audit_row, items_out, n_out, p->limit,
	        read_audit(s, a, q, it_));
	return CS_OK;
}

enum cs_err
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
		return sq_db_error(s, "audit_scan");
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
		err = sq_db_error(s, "audit_scan");
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

	j->id = sq_col_i64(q, 0);
	j->kind = sq_col_str(s, a, q, 1);
	j->payload = sq_col_str(s, a, q, 2);
	if (state == NULL || !job_state_parse(state, &j->state))
		j->state = JOB_FAILED; /* unreachable: CHECK constraint */
	j->attempts = sqlite3_column_int(q, 4);
	j->max_attempts = sqlite3_column_int(q, 5);
	j->run_after = sq_col_i64(q, 6);
	j->created_at = sq_col_i64(q, 7);
	j->finished_at = sq_col_i64(q, 8);
	j->lease_until = sq_col_i64(q, 9);
	j->last_error = sq_col_str(s, a, q, 10);
}

enum cs_err
sq_job_put(struct store *st, const struct job *j, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "INSERT INTO job (kind, payload, "
	               "max_attempts, run_after, created_at) VALUES "
	               "(?1, ?2, ?3, ?4, ?5)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, j->kind);
	sq_bind_str(q, 2, j->payload ? j->payload : "{}");
	sqlite3_bind_int(q, 3, j->max_attempts);
	sqlite3_bind_int64(q, 4, j->run_after);
	sqlite3_bind_int64(q, 5, j->created_at);
	if ((err = sq_run(s, q, "job_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_job_claim(struct store *st, struct arena *a, int64_t now, int64_t lease,
             struct job *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
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
	if ((err = sq_row_begin(s, q, "job_claim")) != CS_OK)
		return err;
	read_job(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_job_done(struct store *st, int64_t id, int attempt, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "UPDATE job SET state = 'done', "
	               "finished_at = ?2, last_error = NULL WHERE "
	               "id = ?1 AND state = 'running' AND attempts "
	               "= ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_int(q, 3, attempt);
	/* NOTFOUND: the job was taken over (lease expired) meanwhile. */
	return sq_changed_one(s, sq_run(s, q, "job_done"));
}

enum cs_err
sq_job_retry(struct store *st, int64_t id, const char *error, int64_t run_after,
             bool dead, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "UPDATE job SET state = CASE WHEN ?4 THEN 'failed' ELSE "
	       "'queued' END, last_error = ?2, run_after = ?3, lease_until = "
	       "0, finished_at = CASE WHEN ?4 THEN ?5 END WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sq_bind_str(q, 2, error);
	sqlite3_bind_int64(q, 3, run_after);
	sqlite3_bind_int(q, 4, dead);
	sqlite3_bind_int64(q, 5, now);
	return sq_changed_one(s, sq_run(s, q, "job_retry"));
}

enum cs_err
sq_job_recover(struct store *st, int64_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "UPDATE job SET state = 'queued', "
	                             "lease_until = 0 WHERE state = 'running'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if ((err = sq_run(s, q, "job_recover")) == CS_OK)
		*n_out = sqlite3_changes(s->db);
	return err;
}

enum cs_err
sq_job_get(struct store *st, struct arena *a, int64_t id, struct job *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " JOB_COLS " FROM job WHERE id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = sq_row_begin(s, q, "job_get")) != CS_OK)
		return err;
	read_job(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_job_list(struct store *st, struct arena *a, int state, const struct page *p,
            struct job **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " JOB_COLS " FROM job WHERE id > ?1 "
	               "AND (?2 IS NULL OR state = ?2) ORDER BY id "
	               "LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2,
	            state >= 0 ? job_state_name((enum job_state)state) : NULL);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct job, items_out, n_out, p->limit,
	        read_job(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_job_counts(struct store *st, int64_t counts[JOB_NSTATES])
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT state, count(*) FROM job GROUP BY state");
	int rc;

	if (q == NULL)
		return CS_E_DB;
	for (int i = 0; i < JOB_NSTATES; i++)
		counts[i] = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		enum job_state js;
		const char *name = (const char *)sqlite3_column_text(q, 0);

		if (name != NULL && job_state_parse(name, &js))
			counts[js] = sq_col_i64(q, 1);
	}
	sq_done(q);
	return rc == SQLITE_DONE ? CS_OK : sq_db_error(s, "job_counts");
}

/* ---- maintenance ---- */

enum cs_err
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
		sqlite3_stmt *q = sq_prep(s, sql[i]);

		if (q == NULL)
			return CS_E_DB;
		sqlite3_bind_int64(q, 1, now);
		if (i == 1)
			sqlite3_bind_int64(q, 2, idem_ttl);
		if ((err = sq_run(s, q, "purge")) != CS_OK)
			return err;
		n += sqlite3_changes(s->db);
	}
	*n_out = n;
	return CS_OK;
}

enum cs_err
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
