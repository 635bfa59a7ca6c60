/*
 * pg_int.h - what the files of the PostgreSQL backend share (private to
 * src/store/): the connection struct, statement helpers and the operations
 * each file implements for store_pg_ops.
 *
 * The helpers mirror sqlite_int.h so that a query reads the same in both
 * backends: pg_prep() returns a statement prepared once per connection
 * (cached by the address of its SQL literal), pg_bind_*() fill its
 * parameters ($1...), pg_step() runs it on the first call and then walks
 * its rows, pg_done() clears it. Values travel as text; integers are parsed
 * from the text result. Byte strings (bytea) go in as binary parameters
 * (pg_bind_bytes) and come back through pg_col_bytes. Booleans are stored as
 * integers 0/1 in both dialects so the reading code is shared in spirit.
 *
 * store_pg.c holds the connection, transactions, migrations and the ops
 * table; pg_auth.c users, sessions, tokens, throttles and idempotency keys;
 * pg_system.c the audit log, jobs and maintenance; pg_constituency.c
 * organisations, contacts and assets; pg_incidents.c incidents, journal,
 * tasks and links; pg_observables.c observables; pg_reports.c reports,
 * search and templates; pg_mail.c artefacts, correspondence threads and
 * mail.
 */
#ifndef CS_PG_INT_H
#define CS_PG_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libpq-fe.h>

#include "store/event_pack.h"
#include "store/store.h"

#define PG_NSTMT  256
#define PG_NPARAM 32

struct pgstmt {
	const char *sql; /* the literal it was prepared from (cache key) */
	char name[16];
	int nparam;
	const char *val[PG_NPARAM];
	int len[PG_NPARAM];      /* length of a binary parameter */
	int fmt[PG_NPARAM];      /* 1 for a binary parameter, else 0 */
	char num[PG_NPARAM][24]; /* text of integer parameters */
	PGresult *res;           /* after the first pg_step() */
	int row;                 /* the row pg_step() is on, -1 before */
};

struct pg {
	struct store base;
	PGconn *conn;
	bool oom;             /* an arena copy failed while reading rows */
	bool in_txn;          /* a transaction is open on this connection */
	int64_t last_changes; /* rows affected by the last pg_run() */
	char err[256];
	struct pgstmt cache[PG_NSTMT];
	int ncache;
	struct event_dict *dict; /* pg_events.c: one report's codes */
};

static inline struct pg *
PG(struct store *st)
{
	return (struct pg *)st;
}

/* Records the connection's error in p->err (and the log, unless it is a
 * constraint violation, which is CS_E_CONFLICT). */
enum cs_err pg_error(struct pg *p, const PGresult *res, const char *what);
struct pgstmt *pg_prep(struct pg *p, const char *sql);
void pg_bind_str(struct pgstmt *q, int i, const char *v); /* NULL → NULL */
void pg_bind_i64(struct pgstmt *q, int i, int64_t v);
void pg_bind_time(struct pgstmt *q, int i, int64_t t); /* 0 → NULL */
void pg_bind_null(struct pgstmt *q, int i);
/* n bytes (not copied: they must live until the statement ran) as a
 * binary parameter, for a bytea; CS_E_TOOBIG past what libpq can send */
enum cs_err pg_bind_bytes(struct pgstmt *q, int i, const void *data, size_t n);
/* Runs a statement and discards its rows; sets p->last_changes. */
enum cs_err pg_run(struct pg *p, struct pgstmt *q, const char *what);
/* First call executes; true while a row is ready. On an error false, and
 * pg_failed(q) tells (p->err says what). */
bool pg_step(struct pg *p, struct pgstmt *q);
bool pg_failed(const struct pgstmt *q);
void pg_done(struct pgstmt *q);
/* feed_event rows (pg_events.c): one read with EVENT_COLS' columns (id,
 * report_id, org_id, stored_at, feed, tlp, org short name, data, notify),
 * then their stored forms turned into event lines. */
struct event_row;
void pg_event_row_read(struct pg *p, struct arena *a, struct pgstmt *q,
                       struct event_row *r);
enum cs_err pg_event_rows_unpack(struct pg *p, struct arena *a,
                                 struct event_row *rows, size_t n);
const char *pg_col_str(struct pg *p, struct arena *a, struct pgstmt *q,
                       int i);                    /* NULL for NULL */
const char *pg_col_text(struct pgstmt *q, int i); /* not copied; NULL */
int64_t pg_col_i64(struct pgstmt *q, int i);      /* 0 for NULL */
bool pg_col_null(struct pgstmt *q, int i);
/* A bytea column copied into the arena with a NUL byte after its *n_out
 * bytes (not counted); NULL for NULL (*n_out 0) or when the arena is full
 * (p->oom set). */
const unsigned char *pg_col_bytes(struct pg *p, struct arena *a,
                                  struct pgstmt *q, int i, size_t *n_out);
/* Single-row queries, as sq_row_begin/sq_row_end. */
enum cs_err pg_row_begin(struct pg *p, struct pgstmt *q, const char *what);
enum cs_err pg_row_end(struct pg *p, struct pgstmt *q);
/* CS_E_NOTFOUND when err is CS_OK but the last pg_run() changed no row. */
enum cs_err pg_changed_one(struct pg *p, enum cs_err err);
/* Runs SQL text without parameters (DDL, transaction control). */
enum cs_err pg_exec(struct pg *p, const char *sql);

/* Collects up to limit rows of a prepared query into an arena array. */
#define PG_COLLECT(p, a, q, T, items_out, n_out, limit, READ)                  \
	do {                                                                   \
		T *items_ = arena_alloc((a), sizeof(T) * (size_t)(limit));     \
		size_t n_ = 0;                                                 \
		if (items_ == NULL) {                                          \
			pg_done(q);                                            \
			return CS_E_TOOBIG;                                    \
		}                                                              \
		memset(items_, 0, sizeof(T) * (size_t)(limit));                \
		(p)->oom = false;                                              \
		while (n_ < (size_t)(limit) && pg_step((p), (q))) {            \
			T *it_ = &items_[n_++];                                \
			READ;                                                  \
		}                                                              \
		if (pg_failed(q)) {                                            \
			pg_done(q);                                            \
			return CS_E_DB;                                        \
		}                                                              \
		pg_done(q);                                                    \
		if ((p)->oom)                                                  \
			return CS_E_TOOBIG;                                    \
		*(items_out) = items_;                                         \
		*(n_out) = n_;                                                 \
	} while (0)

/* Who may read an incident (the SQLite VISIBLE rule, in this dialect):
 * $20 viewer id, $21 role name, $22 constituent's organisation. */
#define PG_VISIBLE                                                             \
	"(($21::text <> 'constituent' AND (i.tlp <> 'RED' OR i.owner_id = "    \
	"$20::bigint OR EXISTS (SELECT 1 FROM incident_member m WHERE "        \
	"m.incident_id = i.id AND m.user_id = $20::bigint))) OR ($21::text = " \
	"'constituent' AND EXISTS (SELECT 1 FROM incident_org io JOIN org o "  \
	"ON o.id = io.org_id WHERE io.incident_id = i.id AND o.short_name = "  \
	"$22::text) AND (i.tlp <> 'RED' OR EXISTS (SELECT 1 FROM "             \
	"incident_member m WHERE m.incident_id = i.id AND m.user_id = "        \
	"$20::bigint))))"

/* Binds $20-$22 for PG_VISIBLE. */
void pg_bind_viewer(struct pgstmt *q, const struct viewer *v);

/* The operations, one per store_ops member (pg_auth.c, pg_system.c,
 * pg_constituency.c, pg_incidents.c, pg_observables.c, pg_reports.c). */
enum cs_err pg_user_put(struct store *st, const struct user *u,
                        int64_t *id_out);
enum cs_err pg_user_get(struct store *st, struct arena *a, int64_t id,
                        const char *login, struct user *out);
enum cs_err pg_user_list(struct store *st, struct arena *a, int role,
                         const struct page *p, struct user **items_out,
                         size_t *n_out);
enum cs_err pg_user_update(struct store *st, const struct user *u, int64_t now);
enum cs_err pg_user_set_password(struct store *st, int64_t id,
                                 const char *pw_hash, int64_t now);
enum cs_err pg_user_touch_login(struct store *st, int64_t id, int64_t now);
enum cs_err pg_user_count_admins(struct store *st, int64_t *out);
enum cs_err pg_session_put(struct store *st, const char *hash,
                           const struct session *se);
enum cs_err pg_session_get(struct store *st, struct arena *a, const char *hash,
                           struct session *s_out, struct user *u_out);
enum cs_err pg_session_touch(struct store *st, const char *hash, int64_t seen,
                             int64_t expires);
enum cs_err pg_session_delete(struct store *st, const char *hash);
enum cs_err pg_session_delete_user(struct store *st, int64_t user_id);
enum cs_err pg_token_put(struct store *st, const struct token *t,
                         const char *hash, int64_t *id_out);
enum cs_err pg_token_auth(struct store *st, struct arena *a, const char *hash,
                          struct token *t_out, struct user *u_out);
enum cs_err pg_token_get(struct store *st, struct arena *a, int64_t id,
                         struct token *out);
enum cs_err pg_token_list(struct store *st, struct arena *a, int64_t user_id,
                          const struct page *p, struct token **items_out,
                          size_t *n_out);
enum cs_err pg_token_revoke(struct store *st, int64_t id, int64_t now);
enum cs_err pg_token_revoke_user(struct store *st, int64_t user_id,
                                 int64_t now);
enum cs_err pg_token_touch(struct store *st, int64_t id, int64_t now);
enum cs_err pg_throttle_get(struct store *st, const char *key, int64_t now,
                            int *failures_out, int64_t *locked_until_out);
enum cs_err pg_throttle_fail(struct store *st, const char *key, int64_t now,
                             int64_t window, int max, int64_t lockout,
                             int64_t *locked_until_out);
enum cs_err pg_throttle_clear(struct store *st, const char *key);
enum cs_err pg_idem_claim(struct store *st, struct arena *a, int64_t user_id,
                          const char *key, const char *req_hash, int64_t now,
                          bool *claimed_out, struct idem *existing_out);
enum cs_err pg_idem_finish(struct store *st, int64_t user_id, const char *key,
                           int status, const char *content_type,
                           const char *body);
enum cs_err pg_idem_release(struct store *st, int64_t user_id, const char *key);
enum cs_err pg_audit_head(struct store *st, struct arena *a, int64_t *seq_out,
                          const char **hash_out);
enum cs_err pg_audit_insert(struct store *st, const struct audit_row *r);
enum cs_err pg_audit_list(struct store *st, struct arena *a,
                          const struct audit_filter *f, const struct page *p,
                          struct audit_row **items_out, size_t *n_out);
enum cs_err pg_audit_scan(struct store *st, audit_scan_fn fn, void *ctx);
enum cs_err pg_job_put(struct store *st, const struct job *j, int64_t *id_out);
enum cs_err pg_job_claim(struct store *st, struct arena *a, int64_t now,
                         int64_t lease, struct job *out);
enum cs_err pg_job_done(struct store *st, int64_t id, int attempt, int64_t now);
enum cs_err pg_job_retry(struct store *st, int64_t id, const char *error,
                         int64_t run_after, bool dead, int64_t now);
enum cs_err pg_job_recover(struct store *st, int64_t *n_out);
enum cs_err pg_job_get(struct store *st, struct arena *a, int64_t id,
                       struct job *out);
enum cs_err pg_job_list(struct store *st, struct arena *a, int state,
                        const struct page *p, struct job **items_out,
                        size_t *n_out);
enum cs_err pg_job_counts(struct store *st, int64_t counts[JOB_NSTATES]);
enum cs_err pg_purge(struct store *st, int64_t now, int64_t idem_ttl,
                     int64_t *n_out);
enum cs_err pg_backup(struct store *st, const char *dest);
enum cs_err pg_org_put(struct store *st, const struct org *o, int64_t *id_out);
enum cs_err pg_org_get(struct store *st, struct arena *a, int64_t id,
                       const char *short_name, struct org *out);
enum cs_err pg_org_list(struct store *st, struct arena *a, const char *text,
                        const struct page *p, struct org **items_out,
                        size_t *n_out);
enum cs_err pg_org_update(struct store *st, const struct org *o, int64_t now);
enum cs_err pg_contact_put(struct store *st, const struct contact *c,
                           int64_t *id_out);
enum cs_err pg_contact_list(struct store *st, struct arena *a, int64_t org_id,
                            const struct page *p, struct contact **items_out,
                            size_t *n_out);
enum cs_err pg_contact_delete(struct store *st, int64_t org_id, int64_t id);
enum cs_err pg_asset_put(struct store *st, const struct org_asset *x,
                         int64_t *id_out);
enum cs_err pg_asset_list(struct store *st, struct arena *a, int64_t org_id,
                          const char *kind, const struct page *p,
                          struct org_asset **items_out, size_t *n_out);
enum cs_err pg_asset_get(struct store *st, struct arena *a, int64_t org_id,
                         int64_t id, struct org_asset *out);
enum cs_err pg_asset_delete(struct store *st, int64_t org_id, int64_t id);
enum cs_err pg_asset_scan(struct store *st,
                          enum cs_err (*fn)(void *ctx,
                                            const struct org_asset *),
                          void *ctx);
enum cs_err pg_asset_version(struct store *st, int64_t *out);
enum cs_err pg_incident_put(struct store *st, struct arena *a,
                            const char *team_code, int year,
                            struct incident *x);
enum cs_err pg_incident_get(struct store *st, struct arena *a,
                            const struct viewer *v, const char *ref,
                            struct incident *out);
enum cs_err pg_incident_list(struct store *st, struct arena *a,
                             const struct viewer *v,
                             const struct incident_filter *f,
                             const struct page *p, struct incident **items_out,
                             size_t *n_out);
enum cs_err pg_incident_update(struct store *st, const struct incident *x,
                               int64_t now);
enum cs_err pg_entry_put(struct store *st, const struct entry *x,
                         int64_t *id_out);
enum cs_err pg_entry_list(struct store *st, struct arena *a,
                          int64_t incident_id, bool shared_only,
                          const struct page *p, struct entry **items_out,
                          size_t *n_out);
enum cs_err pg_task_put(struct store *st, const struct task *x,
                        int64_t *id_out);
enum cs_err pg_task_get(struct store *st, struct arena *a, int64_t incident_id,
                        int64_t id, struct task *out);
enum cs_err pg_task_list(struct store *st, struct arena *a, int64_t incident_id,
                         const struct page *p, struct task **items_out,
                         size_t *n_out);
enum cs_err pg_task_update(struct store *st, const struct task *x, int64_t now);
enum cs_err pg_task_cancel_open(struct store *st, int64_t incident_id,
                                int64_t now, int64_t *n_out);
enum cs_err pg_task_count_open(struct store *st, int64_t incident_id,
                               int64_t *n_out);
enum cs_err pg_observable_put(struct store *st, const struct observable *x,
                              int64_t *id_out, bool *created_out);
enum cs_err pg_observable_get(struct store *st, struct arena *a,
                              int64_t incident_id, int64_t id,
                              struct observable *out);
enum cs_err pg_observable_list(struct store *st, struct arena *a,
                               int64_t incident_id, const struct page *p,
                               struct observable **items_out, size_t *n_out);
enum cs_err pg_observable_delete(struct store *st, int64_t incident_id,
                                 int64_t id);
enum cs_err pg_observable_correlate(struct store *st, struct arena *a,
                                    const struct viewer *v, int64_t incident_id,
                                    const struct observable *obs, size_t n,
                                    int max_each,
                                    struct correlation **items_out,
                                    size_t *n_out);
enum cs_err pg_report_put(struct store *st, const struct report *r,
                          int64_t *id_out);
enum cs_err pg_report_get(struct store *st, struct arena *a, int64_t id,
                          struct report *out);
enum cs_err pg_report_list(struct store *st, struct arena *a,
                           const char *status, const char *source,
                           const struct page *p, struct report **items_out,
                           size_t *n_out);
enum cs_err pg_report_triage(struct store *st, const struct report *r,
                             int64_t now);
enum cs_err pg_search(struct store *st, struct arena *a, const struct viewer *v,
                      const char *fts, const struct page *p,
                      struct search_hit **items_out, size_t *n_out);
enum cs_err pg_link_put(struct store *st, int64_t from_id, int64_t to_id,
                        const char *kind, const char *by, int64_t now,
                        int64_t *id_out);
enum cs_err pg_link_list(struct store *st, struct arena *a,
                         const struct viewer *v, int64_t incident_id,
                         struct incident_link **items_out, size_t *n_out);
enum cs_err pg_link_delete(struct store *st, int64_t incident_id, int64_t id);
enum cs_err pg_template_put(struct store *st, const struct incident_template *t,
                            int64_t now, int64_t *id_out);
enum cs_err pg_template_get(struct store *st, struct arena *a, int64_t id,
                            const char *rsit_type,
                            struct incident_template *out);
enum cs_err pg_template_list(struct store *st, struct arena *a,
                             const struct page *p,
                             struct incident_template **items_out,
                             size_t *n_out);
enum cs_err pg_template_delete(struct store *st, int64_t id);

/* pg_mail.c */
enum cs_err pg_artefact_put(struct store *st, const struct artefact *f);
enum cs_err pg_artefact_get(struct store *st, struct arena *a,
                            const char *sha256, bool with_data,
                            struct artefact *out);
enum cs_err pg_thread_put(struct store *st, const struct mail_thread *t,
                          int64_t *id_out);
enum cs_err pg_thread_get(struct store *st, struct arena *a,
                          int64_t incident_id, int64_t id,
                          const char *counterpart, struct mail_thread *out);
enum cs_err pg_thread_list(struct store *st, struct arena *a,
                           int64_t incident_id, struct mail_thread **items_out,
                           size_t *n_out);
enum cs_err pg_mail_put(struct store *st, const struct mail *m,
                        int64_t *id_out);
enum cs_err pg_mail_get(struct store *st, struct arena *a, int64_t id,
                        struct mail *out);
enum cs_err pg_mail_find(struct store *st, struct arena *a,
                         const char *message_id, struct mail *out);
enum cs_err pg_mail_list(struct store *st, struct arena *a,
                         const struct mail_filter *f, const struct page *p,
                         struct mail **items_out, size_t *n_out);
enum cs_err pg_mail_set_state(struct store *st, int64_t id, const char *state,
                              const char *error, int64_t sent_at);

enum cs_err pg_report_attach(struct store *st, int64_t report_id,
                             const struct mail_attachment *f, size_t n);
enum cs_err pg_report_attachments(struct store *st, struct arena *a,
                                  int64_t report_id,
                                  struct mail_attachment **items_out,
                                  size_t *n_out);

enum cs_err pg_mail_by_raw(struct store *st, const char *sha256,
                           int64_t *id_out);

enum cs_err pg_feed_report_put(struct store *st, const struct feed_report *r,
                               int64_t *id_out);
enum cs_err pg_feed_report_get(struct store *st, struct arena *a, int64_t id,
                               struct feed_report *out);
enum cs_err pg_feed_report_find(struct store *st, struct arena *a,
                                const char *feed, const char *sha256,
                                struct feed_report *out);
enum cs_err pg_feed_report_list(struct store *st, struct arena *a,
                                const char *feed, const char *state,
                                const struct page *p,
                                struct feed_report **items_out, size_t *n_out);
enum cs_err pg_feed_report_update(struct store *st, const struct feed_report *r,
                                  int64_t expect_records);
enum cs_err pg_event_append(struct store *st, int64_t report_id,
                            const char *feed, int64_t stored_at,
                            const struct stored_event *ev, size_t n);
enum cs_err pg_event_list(struct store *st, struct arena *a,
                          const struct event_filter *f, const struct page *p,
                          struct event_row **items_out, size_t *n_out);
enum cs_err pg_feed_malformed_add(struct store *st, int64_t report_id,
                                  int64_t line, const char *reason);
enum cs_err pg_feed_malformed_list(struct store *st, struct arena *a,
                                   int64_t report_id, const struct page *p,
                                   struct feed_malformed **items_out,
                                   size_t *n_out);
enum cs_err pg_feed_expire(struct store *st, const char *feed, int64_t before,
                           int64_t *reports_out, int64_t *events_out);

#endif
