/*
 * store_sqlite.c - the embedded SQLite backend.
 *
 * One sqlite3 connection per struct store, opened in WAL mode with foreign
 * keys on, a busy timeout and synchronous=FULL (a commit that returned is on
 * disk); a new database gets 8 KiB pages. Statements are prepared once per
 * connection and cached by the address of their SQL text, which is always a
 * string literal of this file. Write transactions use BEGIN IMMEDIATE so two
 * writers never deadlock on a lock upgrade.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/notify_int.h"
#include "store/sqlite_int.h"

#define MIGR_MAX 256

const struct store_ops store_sqlite_ops;

enum cs_err
sq_db_error(struct sq *s, const char *what)
{
	int rc = sqlite3_extended_errcode(s->db);

	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return CS_E_CONFLICT;
	log_warnx("msg=\"database error\" op=%s error=\"%s\"", what,
	          sqlite3_errmsg(s->db));
	return CS_E_DB;
}

sqlite3_stmt *
sq_prep(struct sq *s, const char *sql)
{
	sqlite3_stmt *st;

	for (int i = 0; i < s->ncache; i++)
		if (s->cache[i].sql == sql)
			return s->cache[i].stmt;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
	                       NULL) != SQLITE_OK) {
		(void)sq_db_error(s, "prepare");
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
enum cs_err
sq_run(struct sq *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	enum cs_err err = CS_OK;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = sq_db_error(s, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

void
sq_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

void
sq_bind_str(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* 0 is stored as NULL for optional times. */
void
sq_bind_time(sqlite3_stmt *st, int i, int64_t t)
{
	if (t == 0)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, t);
}

const char *
sq_col_str(struct sq *s, struct arena *a, sqlite3_stmt *st, int i)
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

int64_t
sq_col_i64(sqlite3_stmt *st, int i)
{
	return sqlite3_column_int64(st, i);
}

/*
 * For single-row queries: steps q once. CS_OK means a row is ready to be
 * read, and sq_row_end() must follow; otherwise q is already reset and the
 * result is CS_E_NOTFOUND or a database error.
 */
enum cs_err
sq_row_begin(struct sq *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);
	enum cs_err err = CS_E_NOTFOUND;

	s->oom = false;
	if (rc == SQLITE_ROW)
		return CS_OK;
	if (rc != SQLITE_DONE)
		err = sq_db_error(s, what);
	sq_done(q);
	return err;
}

/* Finishes a sq_row_begin(): drains q (an UPDATE ... RETURNING must run to
 * completion) and reports an arena that ran out while copying. */
enum cs_err
sq_row_end(struct sq *s, sqlite3_stmt *q)
{
	while (sqlite3_step(q) == SQLITE_ROW)
		;
	sq_done(q);
	return s->oom ? CS_E_TOOBIG : CS_OK;
}

enum cs_err
sq_changed_one(struct sq *s, enum cs_err err)
{
	if (err == CS_OK && sqlite3_changes(s->db) == 0)
		return CS_E_NOTFOUND;
	return err;
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

static void sq_rollback(struct store *st);

static void
sq_close(struct store *st)
{
	struct sq *s = SQ(st);

	sq_rollback(st);
	for (int i = 0; i < s->ncache; i++)
		sqlite3_finalize(s->cache[i].stmt);
	sqlite3_close(s->db);
	event_dict_free(s->dict);
	free(s->pack);
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
	/* pages of 8 KiB for a new database (an existing one keeps its
	 * size): bulk event writes need half the WAL frames and write calls
	 * of 4 KiB pages (docs/performance.md); set before WAL, which fixes
	 * the size */
	if ((err = exec(s, "PRAGMA page_size = 8192")) != CS_OK)
		goto out;
	if (strcmp(path, ":memory:") != 0 &&
	    (err = exec(s, "PRAGMA journal_mode = WAL")) != CS_OK)
		goto out;
	if ((err = exec(s, "PRAGMA synchronous = FULL")) != CS_OK)
		goto out;
	/* room for the B-tree pages bulk writes touch (event batches):
	 * allocated as used, up to 64 MiB per connection */
	err = exec(s, "PRAGMA cache_size = -65536");
out:
	if (err != CS_OK) {
		sq_close(&s->base);
		return err;
	}
	*out = &s->base;
	return CS_OK;
}

/*
 * SQLite admits one writer at a time. Writers of this process queue on a
 * mutex instead of in SQLite's busy handler, whose sleeps (up to 100 ms)
 * would otherwise set the tail latency of every write under load; the busy
 * timeout still arbitrates with other processes (the CLI). A process-wide
 * lock is right here: the database file is what it protects.
 */
static pthread_mutex_t writer_lock = PTHREAD_MUTEX_INITIALIZER;

static void
writer_release(struct sq *s)
{
	if (s->holds_writer) {
		s->holds_writer = false;
		pthread_mutex_unlock(&writer_lock);
	}
}

static enum cs_err
sq_begin(struct store *st, bool write)
{
	struct sq *s = SQ(st);
	enum cs_err err;

	if (!write)
		return exec(s, "BEGIN");
	pthread_mutex_lock(&writer_lock);
	s->holds_writer = true;
	if ((err = exec(s, "BEGIN IMMEDIATE")) != CS_OK)
		writer_release(s);
	return err;
}

static void
sq_rollback(struct store *st)
{
	struct sq *s = SQ(st);

	if (!sqlite3_get_autocommit(s->db))
		(void)exec(s, "ROLLBACK");
	writer_release(s);
}

/* After a failed COMMIT the transaction is rolled back: whatever happens,
 * no transaction outlives sq_commit(). */
static enum cs_err
sq_commit(struct store *st)
{
	struct sq *s = SQ(st);
	enum cs_err err = exec(s, "COMMIT");

	if (err != CS_OK)
		sq_rollback(st);
	writer_release(s);
	return err;
}

static enum cs_err
sq_ping(struct store *st)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT count(*) FROM schema_migrations");

	if (q == NULL)
		return CS_E_DB;
	return sq_run(s, q, "ping");
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
	if ((q = sq_prep(s, "SELECT max(version) FROM schema_migrations")) ==
	    NULL)
		return CS_E_DB;
	if (sqlite3_step(q) == SQLITE_ROW && sq_col_i64(q, 0) > newest_known) {
		snprintf(s->err, sizeof(s->err),
		         "database schema %lld is newer than this csirtd "
		         "(knows %d)",
		         (long long)sq_col_i64(q, 0), newest_known);
		sq_done(q);
		return CS_E_CONFLICT;
	}
	sq_done(q);
	for (size_t i = 0; i < n; i++) {
		const char *sum = NULL;

		if ((q = sq_prep(s,
		                 "SELECT sha256 FROM schema_migrations WHERE "
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
			sq_done(q);
			return CS_E_CONFLICT;
		}
		sq_done(q);
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
		if ((q = sq_prep(s, "INSERT INTO schema_migrations VALUES "
		                    "(?1, ?2, ?3, unixepoch())")) == NULL) {
			err = CS_E_DB;
			goto fail;
		}
		sqlite3_bind_int(q, 1, m[i].number);
		sq_bind_str(q, 2, m[i].name);
		sq_bind_str(q, 3, m[i].sha256);
		if ((err = sq_run(s, q, "migrate")) != CS_OK)
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
    .observable_put = sq_observable_put,
    .observable_get = sq_observable_get,
    .observable_list = sq_observable_list,
    .observable_delete = sq_observable_delete,
    .observable_correlate = sq_observable_correlate,
    .report_put = sq_report_put,
    .report_get = sq_report_get,
    .report_list = sq_report_list,
    .report_triage = sq_report_triage,
    .search = sq_search,
    .link_put = sq_link_put,
    .link_list = sq_link_list,
    .link_delete = sq_link_delete,
    .template_put = sq_template_put,
    .template_get = sq_template_get,
    .template_list = sq_template_list,
    .template_delete = sq_template_delete,
    .artefact_put = sq_artefact_put,
    .artefact_get = sq_artefact_get,
    .thread_put = sq_thread_put,
    .thread_get = sq_thread_get,
    .thread_list = sq_thread_list,
    .mail_put = sq_mail_put,
    .mail_get = sq_mail_get,
    .mail_find = sq_mail_find,
    .mail_list = sq_mail_list,
    .mail_set_state = sq_mail_set_state,
    .report_attach = sq_report_attach,
    .mail_by_raw = sq_mail_by_raw,
    .report_attachments = sq_report_attachments,
    .feed_report_put = sq_feed_report_put,
    .feed_report_get = sq_feed_report_get,
    .feed_report_find = sq_feed_report_find,
    .feed_report_list = sq_feed_report_list,
    .feed_report_update = sq_feed_report_update,
    .event_append = sq_event_append,
    .event_list = sq_event_list,
    .feed_malformed_add = sq_feed_malformed_add,
    .feed_malformed_list = sq_feed_malformed_list,
    .feed_expire = sq_feed_expire,
    .notify_due = sq_notify_due,
    .notify_cursor_get = sq_notify_cursor_get,
    .notify_cursor_set = sq_notify_cursor_set,
    .notify_events = sq_notify_events,
    .notification_put = sq_notification_put,
    .notification_get = sq_notification_get,
    .notification_list = sq_notification_list,
    .job_pending = sq_job_pending,
};
