/*
 * store_pg.c - the PostgreSQL backend: several csirtd processes on one
 * database.
 *
 * One libpq connection per struct store (the pool in store.c sizes them).
 * Statements are prepared once per connection, named after their place in
 * the cache, and run with text parameters; a connection that dropped is
 * reset outside a transaction and its statements prepared again.
 *
 * Transactions keep the SQLite backend's guarantees across processes:
 * - a write transaction (store_begin(st, true)) first takes one
 *   transaction-scoped advisory lock, so writers queue cluster-wide exactly
 *   as they queue on SQLite's single writer; read-then-write sequences (the
 *   audit chain head, reference numbers, job claims) stay linear however
 *   many processes run, and the lock is released by COMMIT or ROLLBACK;
 * - a read transaction is REPEATABLE READ: one snapshot, as SQLite's.
 * Reads outside transactions and all reads in other processes run in
 * parallel; only writers queue.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/notify_int.h"
#include "store/pg_int.h"

#define MIGR_MAX 256
/* advisory lock keys ("csir" and "csim") */
#define WRITER_LOCK  "1668508018"
#define MIGRATE_LOCK "1668508013"

const struct store_ops store_pg_ops;

enum cs_err
pg_error(struct pg *p, const PGresult *res, const char *what)
{
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : NULL;
	size_t n;

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(p->conn);
	snprintf(p->err, sizeof(p->err), "%s: %s", what, msg);
	n = strlen(p->err);
	while (n > 0 && (p->err[n - 1] == '\n' || p->err[n - 1] == ' '))
		p->err[--n] = '\0';
	/* class 23: integrity constraint violation */
	if (state != NULL && strncmp(state, "23", 2) == 0)
		return CS_E_CONFLICT;
	log_warnx("msg=\"database error\" op=%s sqlstate=%s error=\"%s\"", what,
	          state ? state : "-", p->err);
	return CS_E_DB;
}

enum cs_err
pg_exec(struct pg *p, const char *sql)
{
	PGresult *res = PQexec(p->conn, sql);
	ExecStatusType rc = PQresultStatus(res);
	enum cs_err err = CS_OK;

	if (rc != PGRES_COMMAND_OK && rc != PGRES_TUPLES_OK)
		err = pg_error(p, res, "exec");
	PQclear(res);
	return err;
}

static void
forget_statements(struct pg *p)
{
	for (int i = 0; i < p->ncache; i++) {
		PQclear(p->cache[i].res);
		p->cache[i].res = NULL;
	}
	p->ncache = 0;
}

/* A connection that dropped comes back between transactions. */
static bool
ensure_connected(struct pg *p)
{
	if (PQstatus(p->conn) == CONNECTION_OK)
		return true;
	if (p->in_txn)
		return false;
	PQreset(p->conn);
	forget_statements(p);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		snprintf(p->err, sizeof(p->err), "connection: %s",
		         PQerrorMessage(p->conn));
		return false;
	}
	log_info("msg=\"database connection restored\"");
	return true;
}

/*
 * The parameters a statement uses: PostgreSQL infers each one's type from
 * its use, and a number left unused (a query that uses $1 and $20 only)
 * is declared text so the statement still prepares.
 */
static int
scan_params(const char *sql, Oid *types)
{
	bool used[PG_NPARAM + 1] = {false};
	int max = 0;

	for (const char *c = sql; *c != '\0'; c++) {
		if (*c == '\'') { /* skip a string literal */
			for (c++; *c != '\0' && *c != '\''; c++)
				;
			if (*c == '\0')
				break;
			continue;
		}
		if (*c == '$' && c[1] >= '1' && c[1] <= '9') {
			int n = (int)strtol(c + 1, NULL, 10);

			if (n > PG_NPARAM)
				fatalx(
				    "msg=\"too many parameters\" sql=\"%.60s\"",
				    sql);
			used[n] = true;
			if (n > max)
				max = n;
		}
	}
	for (int i = 1; i <= max; i++)
		types[i - 1] = used[i] ? 0 : 25; /* TEXTOID */
	return max;
}

struct pgstmt *
pg_prep(struct pg *p, const char *sql)
{
	struct pgstmt *q;
	Oid types[PG_NPARAM];
	PGresult *res;
	int n;

	if (!ensure_connected(p))
		return NULL;
	for (int i = 0; i < p->ncache; i++)
		if (p->cache[i].sql == sql)
			return &p->cache[i];
	if (p->ncache >= PG_NSTMT)
		fatalx("msg=\"statement cache full\" size=%d", PG_NSTMT);
	q = &p->cache[p->ncache];
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "s%d", p->ncache);
	n = scan_params(sql, types);
	res = PQprepare(p->conn, q->name, sql, n, types);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		(void)pg_error(p, res, "prepare");
		PQclear(res);
		return NULL;
	}
	PQclear(res);
	q->sql = sql;
	q->nparam = n;
	q->row = -1;
	p->ncache++;
	return q;
}

void
pg_bind_str(struct pgstmt *q, int i, const char *v)
{
	if (i >= 1 && i <= q->nparam) {
		q->val[i - 1] = v;
		q->fmt[i - 1] = 0;
	}
}

void
pg_bind_i64(struct pgstmt *q, int i, int64_t v)
{
	if (i < 1 || i > q->nparam)
		return;
	snprintf(q->num[i - 1], sizeof(q->num[i - 1]), "%lld", (long long)v);
	q->val[i - 1] = q->num[i - 1];
	q->fmt[i - 1] = 0;
}

enum cs_err
pg_bind_bytes(struct pgstmt *q, int i, const void *data, size_t n)
{
	if (n > (size_t)INT_MAX)
		return CS_E_TOOBIG;
	if (i >= 1 && i <= q->nparam) {
		/* not NULL even when empty: NULL would be SQL NULL */
		q->val[i - 1] = n > 0 ? (const char *)data : "";
		q->len[i - 1] = (int)n;
		q->fmt[i - 1] = 1;
	}
	return CS_OK;
}

void
pg_bind_time(struct pgstmt *q, int i, int64_t t)
{
	if (t == 0)
		pg_bind_null(q, i);
	else
		pg_bind_i64(q, i, t);
}

void
pg_bind_null(struct pgstmt *q, int i)
{
	if (i >= 1 && i <= q->nparam) {
		q->val[i - 1] = NULL;
		q->fmt[i - 1] = 0;
	}
}

void
pg_bind_viewer(struct pgstmt *q, const struct viewer *v)
{
	pg_bind_i64(q, 20, v->user_id);
	pg_bind_str(q, 21, role_name(v->role));
	pg_bind_str(q, 22, v->org ? v->org : "");
}

static enum cs_err
execute(struct pg *p, struct pgstmt *q, const char *what)
{
	ExecStatusType rc;

	PQclear(q->res);
	q->res = PQexecPrepared(p->conn, q->name, q->nparam, q->val, q->len,
	                        q->fmt, 0);
	rc = PQresultStatus(q->res);
	q->row = -1;
	if (rc == PGRES_COMMAND_OK || rc == PGRES_TUPLES_OK) {
		const char *t = PQcmdTuples(q->res);

		p->last_changes = (t && *t) ? strtoll(t, NULL, 10) : 0;
		return CS_OK;
	}
	return pg_error(p, q->res, what);
}

void
pg_done(struct pgstmt *q)
{
	PQclear(q->res);
	q->res = NULL;
	q->row = -1;
	for (int i = 0; i < q->nparam; i++) {
		q->val[i] = NULL;
		q->fmt[i] = 0;
	}
}

enum cs_err
pg_run(struct pg *p, struct pgstmt *q, const char *what)
{
	enum cs_err err = execute(p, q, what);

	pg_done(q);
	return err;
}

bool
pg_step(struct pg *p, struct pgstmt *q)
{
	if (q->res == NULL && execute(p, q, "query") != CS_OK)
		return false; /* q->res holds the failed result */
	if (PQresultStatus(q->res) != PGRES_TUPLES_OK)
		return false;
	q->row++;
	return q->row < PQntuples(q->res);
}

bool
pg_failed(const struct pgstmt *q)
{
	ExecStatusType rc = q->res ? PQresultStatus(q->res) : PGRES_FATAL_ERROR;

	return rc != PGRES_TUPLES_OK && rc != PGRES_COMMAND_OK;
}

bool
pg_col_null(struct pgstmt *q, int i)
{
	return PQgetisnull(q->res, q->row, i);
}

const char *
pg_col_text(struct pgstmt *q, int i)
{
	if (PQgetisnull(q->res, q->row, i))
		return NULL;
	return PQgetvalue(q->res, q->row, i);
}

const char *
pg_col_str(struct pg *p, struct arena *a, struct pgstmt *q, int i)
{
	char *v;

	if (PQgetisnull(q->res, q->row, i))
		return NULL;
	v = arena_strndup(a, PQgetvalue(q->res, q->row, i),
	                  (size_t)PQgetlength(q->res, q->row, i));
	if (v == NULL)
		p->oom = true;
	return v;
}

/* Results are text: a bytea arrives escaped (hex, or the old escape format
 * under bytea_output = escape) and PQunescapeBytea reads both. */
const unsigned char *
pg_col_bytes(struct pg *p, struct arena *a, struct pgstmt *q, int i,
             size_t *n_out)
{
	unsigned char *raw, *v;
	size_t n = 0;

	*n_out = 0;
	if (PQgetisnull(q->res, q->row, i))
		return NULL;
	raw = PQunescapeBytea(
	    (const unsigned char *)PQgetvalue(q->res, q->row, i), &n);
	if (raw == NULL || (v = arena_alloc(a, n + 1)) == NULL) {
		PQfreemem(raw);
		p->oom = true;
		return NULL;
	}
	if (n > 0)
		memcpy(v, raw, n);
	v[n] = 0;
	PQfreemem(raw);
	*n_out = n;
	return v;
}

int64_t
pg_col_i64(struct pgstmt *q, int i)
{
	const char *v;

	if (PQgetisnull(q->res, q->row, i))
		return 0;
	v = PQgetvalue(q->res, q->row, i);
	if (*v == 't')
		return 1; /* a boolean expression */
	if (*v == 'f')
		return 0;
	return strtoll(v, NULL, 10);
}

enum cs_err
pg_row_begin(struct pg *p, struct pgstmt *q, const char *what)
{
	p->oom = false;
	if (pg_step(p, q))
		return CS_OK;
	if (pg_failed(q)) {
		enum cs_err err = pg_error(p, q->res, what);

		pg_done(q);
		return err;
	}
	pg_done(q);
	return CS_E_NOTFOUND;
}

enum cs_err
pg_row_end(struct pg *p, struct pgstmt *q)
{
	pg_done(q);
	return p->oom ? CS_E_TOOBIG : CS_OK;
}

enum cs_err
pg_changed_one(struct pg *p, enum cs_err err)
{
	if (err == CS_OK && p->last_changes == 0)
		return CS_E_NOTFOUND;
	return err;
}

/* ---- connection ---- */

static void pgb_rollback(struct store *st);

static void
pgb_close(struct store *st)
{
	struct pg *p = PG(st);

	pgb_rollback(st);
	forget_statements(p);
	PQfinish(p->conn);
	event_dict_free(p->dict);
	free(p);
}

static enum cs_err
pgb_open(const char *url, struct store **out)
{
	struct pg *p = xcalloc(1, sizeof(*p));
	const char *conninfo = url;

	/* libpq reads postgres:// and postgresql:// URIs itself */
	p->base.ops = &store_pg_ops;
	p->conn = PQconnectdb(conninfo);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		char msg[256];
		size_t n;

		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(p->conn));
		n = strlen(msg);
		while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		log_warnx("msg=\"cannot connect to PostgreSQL\" error=\"%s\"",
		          msg);
		PQfinish(p->conn);
		free(p);
		return CS_E_IO;
	}
	/* times are integers; text is UTF-8; no statement waits forever on a
	 * lock held by a crashed client (its connection is closed by then) */
	if (pg_exec(p, "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'; "
	               "SET client_min_messages = warning") != CS_OK) {
		pgb_close(&p->base);
		return CS_E_DB;
	}
	*out = &p->base;
	return CS_OK;
}

static enum cs_err
pgb_begin(struct store *st, bool write)
{
	struct pg *p = PG(st);
	enum cs_err err;

	if (!ensure_connected(p))
		return CS_E_DB;
	err = pg_exec(
	    p, write ? "BEGIN; SELECT pg_advisory_xact_lock(" WRITER_LOCK ")"
	             : "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (err != CS_OK) {
		(void)pg_exec(p, "ROLLBACK");
		return err;
	}
	p->in_txn = true;
	return CS_OK;
}

static void
pgb_rollback(struct store *st)
{
	struct pg *p = PG(st);

	if (PQtransactionStatus(p->conn) != PQTRANS_IDLE &&
	    PQstatus(p->conn) == CONNECTION_OK)
		(void)pg_exec(p, "ROLLBACK");
	p->in_txn = false;
}

/* After a failed COMMIT the transaction is gone: whatever happens, no
 * transaction outlives pgb_commit(). */
static enum cs_err
pgb_commit(struct store *st)
{
	struct pg *p = PG(st);
	PGresult *res = PQexec(p->conn, "COMMIT");
	enum cs_err err = CS_OK;

	/* a COMMIT of an aborted transaction answers ROLLBACK */
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		err = pg_error(p, res, "commit");
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		snprintf(p->err, sizeof(p->err), "commit: rolled back");
		err = CS_E_DB;
	}
	PQclear(res);
	if (err != CS_OK)
		pgb_rollback(st);
	p->in_txn = false;
	return err;
}

static enum cs_err
pgb_ping(struct store *st)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT count(*) FROM schema_migrations");

	if (q == NULL)
		return CS_E_DB;
	return pg_run(p, q, "ping");
}

static const char *
pgb_errmsg(struct store *st)
{
	return PG(st)->err;
}

/* Other processes share the database: no data-directory lock, no
 * recovery of "running" jobs at start (their leases expire instead). */
static bool
pgb_is_exclusive(struct store *st)
{
	(void)st;
	return false;
}

/* ---- migrations ---- */

static enum cs_err
migrate_locked(struct pg *p, bool dry_run,
               void (*report)(const char *name, void *ctx), void *ctx,
               int *applied_out)
{
	static struct migration m[MIGR_MAX];
	size_t n = store_migrations("postgres", m, MIGR_MAX);
	struct pgstmt *q;
	enum cs_err err;
	int applied = 0, newest_known = n ? m[n - 1].number : 0;

	if ((err = pg_exec(p, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                      "version integer PRIMARY KEY, name text NOT "
	                      "NULL, sha256 text NOT NULL, applied_at bigint "
	                      "NOT NULL)")) != CS_OK)
		return err;
	if ((q = pg_prep(p, "SELECT coalesce(max(version), 0) FROM "
	                    "schema_migrations")) == NULL)
		return CS_E_DB;
	if (pg_step(p, q) && pg_col_i64(q, 0) > newest_known) {
		snprintf(p->err, sizeof(p->err),
		         "database schema %lld is newer than this csirtd "
		         "(knows %d)",
		         (long long)pg_col_i64(q, 0), newest_known);
		pg_done(q);
		return CS_E_CONFLICT;
	}
	pg_done(q);
	for (size_t i = 0; i < n; i++) {
		const char *sum = NULL;
		char num[16];

		if ((q = pg_prep(p, "SELECT sha256 FROM schema_migrations "
		                    "WHERE version = $1")) == NULL)
			return CS_E_DB;
		snprintf(num, sizeof(num), "%d", m[i].number);
		pg_bind_str(q, 1, num);
		if (pg_step(p, q))
			sum = pg_col_text(q, 0);
		if (sum != NULL && strcmp(sum, m[i].sha256) != 0) {
			snprintf(p->err, sizeof(p->err),
			         "migration %s was changed after it was "
			         "applied",
			         m[i].name);
			pg_done(q);
			return CS_E_CONFLICT;
		}
		pg_done(q);
		if (sum != NULL)
			continue;
		if (report != NULL)
			report(m[i].name, ctx);
		applied++;
		if (dry_run)
			continue;
		/* DDL is transactional: a migration applies whole or not */
		if ((err = pg_exec(p, "BEGIN")) != CS_OK)
			return err;
		if ((err = pg_exec(p, m[i].sql)) != CS_OK)
			goto fail;
		if ((q = pg_prep(p, "INSERT INTO schema_migrations VALUES ($1, "
		                    "$2, $3, extract(epoch FROM "
		                    "now())::bigint)")) == NULL) {
			err = CS_E_DB;
			goto fail;
		}
		pg_bind_str(q, 1, num);
		pg_bind_str(q, 2, m[i].name);
		pg_bind_str(q, 3, m[i].sha256);
		if ((err = pg_run(p, q, "migrate")) != CS_OK)
			goto fail;
		if ((err = pg_exec(p, "COMMIT")) != CS_OK)
			goto fail;
		log_info("msg=\"migration applied\" name=%s", m[i].name);
		continue;
	fail:
		(void)pg_exec(p, "ROLLBACK");
		return err;
	}
	*applied_out = applied;
	return CS_OK;
}

/* Processes starting together migrate one after the other: the first
 * applies, the others find nothing left to do. */
static enum cs_err
pgb_migrate(struct store *st, bool dry_run,
            void (*report)(const char *name, void *ctx), void *ctx,
            int *applied_out)
{
	struct pg *p = PG(st);
	enum cs_err err;

	if ((err = pg_exec(p, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")")) !=
	    CS_OK)
		return err;
	err = migrate_locked(p, dry_run, report, ctx, applied_out);
	(void)pg_exec(p, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")");
	return err;
}

const struct store_ops store_pg_ops = {
    .scheme = "postgres",
    .version = STORE_OPS_VERSION,
    .open = pgb_open,
    .close = pgb_close,
    .migrate = pgb_migrate,
    .begin = pgb_begin,
    .commit = pgb_commit,
    .rollback = pgb_rollback,
    .ping = pgb_ping,
    .errmsg = pgb_errmsg,
    .is_exclusive = pgb_is_exclusive,
    /* pg_auth.c */
    .user_put = pg_user_put,
    .user_get = pg_user_get,
    .user_list = pg_user_list,
    .user_update = pg_user_update,
    .user_set_password = pg_user_set_password,
    .user_touch_login = pg_user_touch_login,
    .user_count_admins = pg_user_count_admins,
    .session_put = pg_session_put,
    .session_get = pg_session_get,
    .session_touch = pg_session_touch,
    .session_delete = pg_session_delete,
    .session_delete_user = pg_session_delete_user,
    .token_put = pg_token_put,
    .token_auth = pg_token_auth,
    .token_get = pg_token_get,
    .token_list = pg_token_list,
    .token_revoke = pg_token_revoke,
    .token_revoke_user = pg_token_revoke_user,
    .token_touch = pg_token_touch,
    .throttle_get = pg_throttle_get,
    .throttle_fail = pg_throttle_fail,
    .throttle_clear = pg_throttle_clear,
    .idem_claim = pg_idem_claim,
    .idem_finish = pg_idem_finish,
    .idem_release = pg_idem_release,
    /* pg_system.c */
    .audit_head = pg_audit_head,
    .audit_insert = pg_audit_insert,
    .audit_list = pg_audit_list,
    .audit_scan = pg_audit_scan,
    .job_put = pg_job_put,
    .job_claim = pg_job_claim,
    .job_done = pg_job_done,
    .job_retry = pg_job_retry,
    .job_recover = pg_job_recover,
    .job_get = pg_job_get,
    .job_list = pg_job_list,
    .job_counts = pg_job_counts,
    .purge = pg_purge,
    .backup = pg_backup,
    /* pg_constituency.c */
    .org_put = pg_org_put,
    .org_get = pg_org_get,
    .org_list = pg_org_list,
    .org_update = pg_org_update,
    .contact_put = pg_contact_put,
    .contact_list = pg_contact_list,
    .contact_delete = pg_contact_delete,
    .asset_put = pg_asset_put,
    .asset_list = pg_asset_list,
    .asset_get = pg_asset_get,
    .asset_delete = pg_asset_delete,
    .asset_scan = pg_asset_scan,
    .asset_version = pg_asset_version,
    /* pg_incidents.c */
    .incident_put = pg_incident_put,
    .incident_get = pg_incident_get,
    .incident_list = pg_incident_list,
    .incident_update = pg_incident_update,
    .entry_put = pg_entry_put,
    .entry_list = pg_entry_list,
    .task_put = pg_task_put,
    .task_get = pg_task_get,
    .task_list = pg_task_list,
    .task_update = pg_task_update,
    .task_cancel_open = pg_task_cancel_open,
    .task_count_open = pg_task_count_open,
    .link_put = pg_link_put,
    .link_list = pg_link_list,
    .link_delete = pg_link_delete,
    /* pg_observables.c */
    .observable_put = pg_observable_put,
    .observable_get = pg_observable_get,
    .observable_list = pg_observable_list,
    .observable_delete = pg_observable_delete,
    .observable_correlate = pg_observable_correlate,
    /* pg_reports.c */
    .report_put = pg_report_put,
    .report_get = pg_report_get,
    .report_list = pg_report_list,
    .report_triage = pg_report_triage,
    .search = pg_search,
    .template_put = pg_template_put,
    .template_get = pg_template_get,
    .template_list = pg_template_list,
    .template_delete = pg_template_delete,
    /* pg_mail.c */
    .artefact_put = pg_artefact_put,
    .artefact_get = pg_artefact_get,
    .thread_put = pg_thread_put,
    .thread_get = pg_thread_get,
    .thread_list = pg_thread_list,
    .mail_put = pg_mail_put,
    .mail_get = pg_mail_get,
    .mail_find = pg_mail_find,
    .mail_list = pg_mail_list,
    .mail_set_state = pg_mail_set_state,
    .report_attach = pg_report_attach,
    .mail_by_raw = pg_mail_by_raw,
    .report_attachments = pg_report_attachments,
    .feed_report_put = pg_feed_report_put,
    .feed_report_get = pg_feed_report_get,
    .feed_report_find = pg_feed_report_find,
    .feed_report_list = pg_feed_report_list,
    .feed_report_update = pg_feed_report_update,
    .event_append = pg_event_append,
    .event_list = pg_event_list,
    .feed_malformed_add = pg_feed_malformed_add,
    .feed_malformed_list = pg_feed_malformed_list,
    .feed_expire = pg_feed_expire,
    .notify_due = pg_notify_due,
    .notify_cursor_get = pg_notify_cursor_get,
    .notify_cursor_set = pg_notify_cursor_set,
    .notify_events = pg_notify_events,
    .notification_put = pg_notification_put,
    .notification_get = pg_notification_get,
    .notification_list = pg_notification_list,
    .job_pending = pg_job_pending,
};
