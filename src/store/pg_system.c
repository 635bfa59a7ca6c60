/* pg_system.c - the audit log, durable jobs, maintenance (the PostgreSQL
 * dialect of sqlite_system.c). Backups are pg_dump's job. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/text.h"
#include "store/pg_int.h"

/* rows per round trip of a scan: bounds the memory a scan holds */
#define SCAN_BATCH 1000

/* ---- audit ---- */

#define AUDIT_COLS                                                             \
	"seq, at, actor, action, object_type, object_id, detail, prev_hash, "  \
	"hash"

static void
read_audit(struct pg *p, struct arena *a, struct pgstmt *q, struct audit_row *r)
{
	r->seq = pg_col_i64(q, 0);
	r->at = pg_col_i64(q, 1);
	r->actor = pg_col_str(p, a, q, 2);
	r->action = pg_col_str(p, a, q, 3);
	r->object_type = pg_col_str(p, a, q, 4);
	r->object_id = pg_col_str(p, a, q, 5);
	r->detail = pg_col_str(p, a, q, 6);
	r->prev_hash = pg_col_str(p, a, q, 7);
	r->hash = pg_col_str(p, a, q, 8);
}

enum cs_err
pg_audit_head(struct store *st, struct arena *a, int64_t *seq_out,
              const char **hash_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
	enum cs_err err;

	*seq_out = 0;
	*hash_out = NULL;
	if (q == NULL)
		return CS_E_DB;
	if ((err = pg_row_begin(p, q, "audit_head")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_OK : err;
	*seq_out = pg_col_i64(q, 0);
	*hash_out = pg_col_str(p, a, q, 1);
	return pg_row_end(p, q);
}

enum cs_err
pg_audit_insert(struct store *st, const struct audit_row *r)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "INSERT INTO audit (" AUDIT_COLS ") VALUES ($1, $2, "
	               "$3, $4, $5, $6, $7, $8, $9)");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, r->seq);
	pg_bind_i64(q, 2, r->at);
	pg_bind_str(q, 3, r->actor);
	pg_bind_str(q, 4, r->action);
	pg_bind_str(q, 5, r->object_type);
	pg_bind_str(q, 6, r->object_id);
	pg_bind_str(q, 7, r->detail);
	pg_bind_str(q, 8, r->prev_hash);
	pg_bind_str(q, 9, r->hash);
	return pg_run(p, q, "audit_insert");
}

enum cs_err
pg_audit_list(struct store *st, struct arena *a, const struct audit_filter *f,
              const struct page *pa, struct audit_row **items_out,
              size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " AUDIT_COLS " FROM audit WHERE seq > $1 AND ($2::text "
	       "IS NULL OR action = $2::text) AND ($3::text IS NULL OR actor = "
	       "$3::text) ORDER BY seq LIMIT $4");

	/* a filter that is not UTF-8 matches no row (PostgreSQL would
	 * refuse the statement) */
	if ((f->action != NULL &&
	     !utf8_is_valid(f->action, strlen(f->action))) ||
	    (f->actor != NULL && !utf8_is_valid(f->actor, strlen(f->actor)))) {
		if ((*items_out = arena_alloc(a, sizeof(**items_out))) == NULL)
			return CS_E_TOOBIG;
		memset(*items_out, 0, sizeof(**items_out));
		*n_out = 0;
		return CS_OK;
	}
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_str(q, 2, f->action);
	pg_bind_str(q, 3, f->actor);
	pg_bind_i64(q, 4, pa->limit);
	PG_COLLECT(p, a, q, struct audit_row, items_out, n_out, pa->limit,
	           read_audit(p, a, q, it_));
	return CS_OK;
}

/*
 * Every row in seq order, SCAN_BATCH rows per query (keyset on seq), so
 * memory stays bounded however long the log is. Rows are appended in seq
 * order by serialised writers, so a scan outside a transaction sees a
 * prefix of the chain; inside one, one snapshot.
 */
enum cs_err
pg_audit_scan(struct store *st, audit_scan_fn fn, void *ctx)
{
	struct pg *p = PG(st);
	struct arena *a = arena_new(1 << 20);
	enum cs_err err = CS_OK;
	int64_t after = INT64_MIN;
	int n = 0;

	do {
		struct pgstmt *q =
		    pg_prep(p, "SELECT " AUDIT_COLS " FROM audit WHERE seq > "
		               "$1 ORDER BY seq LIMIT $2");

		if (q == NULL) {
			err = CS_E_DB;
			break;
		}
		pg_bind_i64(q, 1, after);
		pg_bind_i64(q, 2, SCAN_BATCH);
		n = 0;
		while (err == CS_OK && pg_step(p, q)) {
			struct audit_row r;

			n++;
			arena_reset(a);
			p->oom = false;
			read_audit(p, a, q, &r);
			if (p->oom) {
				err = CS_E_TOOBIG;
				break;
			}
			after = r.seq;
			err = fn(ctx, &r);
		}
		if (err == CS_OK && pg_failed(q))
			err = CS_E_DB;
		pg_done(q);
	} while (err == CS_OK && n == SCAN_BATCH);
	arena_free(a);
	return err;
}

/* ---- jobs ---- */

#define JOB_COLS                                                               \
	"id, kind, payload, state, attempts, max_attempts, run_after, "        \
	"created_at, finished_at, lease_until, last_error"

static void
read_job(struct pg *p, struct arena *a, struct pgstmt *q, struct job *j)
{
	const char *state = pg_col_text(q, 3);

	j->id = pg_col_i64(q, 0);
	j->kind = pg_col_str(p, a, q, 1);
	j->payload = pg_col_str(p, a, q, 2);
	if (state == NULL || !job_state_parse(state, &j->state))
		j->state = JOB_FAILED; /* unreachable: CHECK constraint */
	j->attempts = (int)pg_col_i64(q, 4);
	j->max_attempts = (int)pg_col_i64(q, 5);
	j->run_after = pg_col_i64(q, 6);
	j->created_at = pg_col_i64(q, 7);
	j->finished_at = pg_col_i64(q, 8);
	j->lease_until = pg_col_i64(q, 9);
	j->last_error = pg_col_str(p, a, q, 10);
}

enum cs_err
pg_job_put(struct store *st, const struct job *j, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "INSERT INTO job (kind, payload, max_attempts, "
	               "run_after, created_at) VALUES ($1, $2, $3, $4, $5) "
	               "RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, j->kind);
	pg_bind_str(q, 2, j->payload ? j->payload : "{}");
	pg_bind_i64(q, 3, j->max_attempts);
	pg_bind_i64(q, 4, j->run_after);
	pg_bind_i64(q, 5, j->created_at);
	if ((err = pg_row_begin(p, q, "job_put")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

/* The row is locked by the claiming statement itself and rows other
 * claimers hold are skipped, so each job runs once however many
 * processes poll. */
enum cs_err
pg_job_claim(struct store *st, struct arena *a, int64_t now, int64_t lease,
             struct job *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE job SET state = 'running', attempts = attempts + 1, "
	       "lease_until = $1::bigint + $2::bigint WHERE id = (SELECT id "
	       "FROM job WHERE (state = 'queued' AND run_after <= $1::bigint) "
	       "OR (state = 'running' AND lease_until < $1::bigint) ORDER BY "
	       "run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
	       "RETURNING " JOB_COLS);
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, now);
	pg_bind_i64(q, 2, lease);
	if ((err = pg_row_begin(p, q, "job_claim")) != CS_OK)
		return err;
	read_job(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_job_done(struct store *st, int64_t id, int attempt, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "UPDATE job SET state = 'done', finished_at = $2, "
	               "last_error = NULL WHERE id = $1 AND state = 'running' "
	               "AND attempts = $3");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, now);
	pg_bind_i64(q, 3, attempt);
	/* NOTFOUND: the job was taken over (lease expired) meanwhile. */
	return pg_changed_one(p, pg_run(p, q, "job_done"));
}

enum cs_err
pg_job_retry(struct store *st, int64_t id, const char *error, int64_t run_after,
             bool dead, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE job SET state = CASE WHEN $4::bigint <> 0 THEN 'failed' "
	       "ELSE 'queued' END, last_error = $2, run_after = $3, "
	       "lease_until = 0, finished_at = CASE WHEN $4::bigint <> 0 THEN "
	       "$5::bigint END WHERE id = $1");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_str(q, 2, error);
	pg_bind_i64(q, 3, run_after);
	pg_bind_i64(q, 4, dead);
	pg_bind_i64(q, 5, now);
	return pg_changed_one(p, pg_run(p, q, "job_retry"));
}

enum cs_err
pg_job_recover(struct store *st, int64_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "UPDATE job SET state = 'queued', "
	               "lease_until = 0 WHERE state = 'running'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if ((err = pg_run(p, q, "job_recover")) == CS_OK)
		*n_out = p->last_changes;
	return err;
}

enum cs_err
pg_job_get(struct store *st, struct arena *a, int64_t id, struct job *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT " JOB_COLS " FROM job WHERE id = $1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	if ((err = pg_row_begin(p, q, "job_get")) != CS_OK)
		return err;
	read_job(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_job_list(struct store *st, struct arena *a, int state, const struct page *pa,
            struct job **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " JOB_COLS " FROM job WHERE id > $1 AND ($2::text IS "
	       "NULL OR state = $2::text) ORDER BY id LIMIT $3");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_str(q, 2,
	            state >= 0 ? job_state_name((enum job_state)state) : NULL);
	pg_bind_i64(q, 3, pa->limit);
	PG_COLLECT(p, a, q, struct job, items_out, n_out, pa->limit,
	           read_job(p, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_job_counts(struct store *st, int64_t counts[JOB_NSTATES])
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT state, count(*) FROM job GROUP BY state");
	enum cs_err err = CS_OK;

	if (q == NULL)
		return CS_E_DB;
	for (int i = 0; i < JOB_NSTATES; i++)
		counts[i] = 0;
	while (pg_step(p, q)) {
		enum job_state js;
		const char *name = pg_col_text(q, 0);

		if (name != NULL && job_state_parse(name, &js))
			counts[js] = pg_col_i64(q, 1);
	}
	if (pg_failed(q))
		err = CS_E_DB;
	pg_done(q);
	return err;
}

/* ---- maintenance ---- */

enum cs_err
pg_purge(struct store *st, int64_t now, int64_t idem_ttl, int64_t *n_out)
{
	struct pg *p = PG(st);
	static const char *const sql[] = {
	    "DELETE FROM session WHERE expires_at < $1",
	    "DELETE FROM idempotency WHERE created_at < $1::bigint - "
	    "$2::bigint",
	    "DELETE FROM login_throttle WHERE locked_until < $1::bigint AND "
	    "window_start < $1::bigint - 86400",
	};
	enum cs_err err;
	int64_t n = 0;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		struct pgstmt *q = pg_prep(p, sql[i]);

		if (q == NULL)
			return CS_E_DB;
		pg_bind_i64(q, 1, now);
		if (i == 1)
			pg_bind_i64(q, 2, idem_ttl);
		if ((err = pg_run(p, q, "purge")) != CS_OK)
			return err;
		n += p->last_changes;
	}
	*n_out = n;
	return CS_OK;
}

/* A consistent copy of a PostgreSQL database is pg_dump's (or a base
 * backup's) job, with the server's own tools. */
enum cs_err
pg_backup(struct store *st, const char *dest)
{
	struct pg *p = PG(st);

	(void)dest;
	snprintf(p->err, sizeof(p->err),
	         "a PostgreSQL database is backed up with its own tools: use "
	         "pg_dump (docs/deployment.md)");
	return CS_E_INVAL;
}
