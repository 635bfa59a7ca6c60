/*
 * sqlite_int.h - what the files of the SQLite backend share (private to
 * src/store/): the connection struct, statement helpers and the operations
 * each file implements for store_sqlite_ops.
 *
 * store_sqlite.c holds the connection, migrations and the ops table;
 * sqlite_auth.c users, sessions, tokens, throttles and idempotency keys;
 * sqlite_system.c the audit log, jobs and maintenance;
 * sqlite_constituency.c organisations, contacts and assets;
 * sqlite_incidents.c incidents, their journal and tasks;
 * sqlite_observables.c observables and their correlation.
 */
#ifndef CS_SQLITE_INT_H
#define CS_SQLITE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "store/event_pack.h"
#include "store/store.h"

#define NSTMT   256
#define BUSY_MS 10000

struct sq {
	struct store base;
	sqlite3 *db;
	char path[1024];
	bool oom;          /* an arena copy failed while reading rows */
	bool holds_writer; /* this connection holds the writer lock */
	char err[256];
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[NSTMT];
	int ncache;
	struct event_dict *dict; /* sqlite_events.c: one report's codes */
	uint8_t *pack;           /* sqlite_events.c: one packed line */
	size_t pack_cap;
};

static inline struct sq *
SQ(struct store *st)
{
	return (struct sq *)st;
}

enum cs_err sq_db_error(struct sq *s, const char *what);
sqlite3_stmt *sq_prep(struct sq *s, const char *sql);
enum cs_err sq_run(struct sq *s, sqlite3_stmt *st, const char *what);
void sq_done(sqlite3_stmt *st);
void sq_bind_str(sqlite3_stmt *st, int i, const char *v);
void sq_bind_time(sqlite3_stmt *st, int i, int64_t t);
const char *sq_col_str(struct sq *s, struct arena *a, sqlite3_stmt *st, int i);
int64_t sq_col_i64(sqlite3_stmt *st, int i);
enum cs_err sq_row_begin(struct sq *s, sqlite3_stmt *q, const char *what);
enum cs_err sq_row_end(struct sq *s, sqlite3_stmt *q);
enum cs_err sq_changed_one(struct sq *s, enum cs_err err);
/* feed_event rows (sqlite_events.c): one read with EVENT_COLS' columns
 * (id, report_id, org_id, stored_at, feed, tlp, org short name, data,
 * notify), then their stored forms turned into event lines. */
struct event_row;
void sq_event_row_read(struct sq *s, struct arena *a, sqlite3_stmt *q,
                       struct event_row *r);
enum cs_err sq_event_rows_unpack(struct sq *s, struct arena *a,
                                 struct event_row *rows, size_t n);

/* Collects up to limit rows of a prepared query into an arena array. */
#define COLLECT(s, a, q, T, items_out, n_out, limit, READ)                     \
	do {                                                                   \
		T *items_ = arena_alloc((a), sizeof(T) * (size_t)(limit));     \
		size_t n_ = 0;                                                 \
		int rc_;                                                       \
		if (items_ == NULL) {                                          \
			sq_done(q);                                            \
			return CS_E_TOOBIG;                                    \
		}                                                              \
		memset(items_, 0, sizeof(T) * (size_t)(limit));                \
		(s)->oom = false;                                              \
		while (n_ < (size_t)(limit) &&                                 \
		       (rc_ = sqlite3_step(q)) == SQLITE_ROW) {                \
			T *it_ = &items_[n_++];                                \
			READ;                                                  \
		}                                                              \
		sq_done(q);                                                    \
		if ((s)->oom)                                                  \
			return CS_E_TOOBIG;                                    \
		*(items_out) = items_;                                         \
		*(n_out) = n_;                                                 \
	} while (0)

enum cs_err sq_user_put(struct store *st, const struct user *u,
                        int64_t *id_out);
enum cs_err sq_user_get(struct store *st, struct arena *a, int64_t id,
                        const char *login, struct user *out);
enum cs_err sq_user_list(struct store *st, struct arena *a, int role,
                         const struct page *p, struct user **items_out,
                         size_t *n_out);
enum cs_err sq_user_update(struct store *st, const struct user *u, int64_t now);
enum cs_err sq_user_set_password(struct store *st, int64_t id,
                                 const char *pw_hash, int64_t now);
enum cs_err sq_user_touch_login(struct store *st, int64_t id, int64_t now);
enum cs_err sq_user_count_admins(struct store *st, int64_t *out);
enum cs_err sq_session_put(struct store *st, const char *hash,
                           const struct session *se);
enum cs_err sq_session_get(struct store *st, struct arena *a, const char *hash,
                           struct session *s_out, struct user *u_out);
enum cs_err sq_session_touch(struct store *st, const char *hash, int64_t seen,
                             int64_t expires);
enum cs_err sq_session_delete(struct store *st, const char *hash);
enum cs_err sq_session_delete_user(struct store *st, int64_t user_id);
enum cs_err sq_token_put(struct store *st, const struct token *t,
                         const char *hash, int64_t *id_out);
enum cs_err sq_token_auth(struct store *st, struct arena *a, const char *hash,
                          struct token *t_out, struct user *u_out);
enum cs_err sq_token_get(struct store *st, struct arena *a, int64_t id,
                         struct token *out);
enum cs_err sq_token_list(struct store *st, struct arena *a, int64_t user_id,
                          const struct page *p, struct token **items_out,
                          size_t *n_out);
enum cs_err sq_token_revoke(struct store *st, int64_t id, int64_t now);
enum cs_err sq_token_revoke_user(struct store *st, int64_t user_id,
                                 int64_t now);
enum cs_err sq_token_touch(struct store *st, int64_t id, int64_t now);
enum cs_err sq_throttle_get(struct store *st, const char *key, int64_t now,
                            int *failures_out, int64_t *locked_until_out);
enum cs_err sq_throttle_fail(struct store *st, const char *key, int64_t now,
                             int64_t window, int max, int64_t lockout,
                             int64_t *locked_until_out);
enum cs_err sq_throttle_clear(struct store *st, const char *key);
enum cs_err sq_idem_claim(struct store *st, struct arena *a, int64_t user_id,
                          const char *key, const char *req_hash, int64_t now,
                          bool *claimed_out, struct idem *existing_out);
enum cs_err sq_idem_finish(struct store *st, int64_t user_id, const char *key,
                           int status, const char *content_type,
                           const char *body);
enum cs_err sq_idem_release(struct store *st, int64_t user_id, const char *key);
enum cs_err sq_audit_head(struct store *st, struct arena *a, int64_t *seq_out,
                          const char **hash_out);
enum cs_err sq_audit_insert(struct store *st, const struct audit_row *r);
enum cs_err sq_audit_list(struct store *st, struct arena *a,
                          const struct audit_filter *f, const struct page *p,
                          struct audit_row **items_out, size_t *n_out);
enum cs_err sq_audit_scan(struct store *st, audit_scan_fn fn, void *ctx);
enum cs_err sq_job_put(struct store *st, const struct job *j, int64_t *id_out);
enum cs_err sq_job_claim(struct store *st, struct arena *a, int64_t now,
                         int64_t lease, struct job *out);
enum cs_err sq_job_done(struct store *st, int64_t id, int attempt, int64_t now);
enum cs_err sq_job_retry(struct store *st, int64_t id, const char *error,
                         int64_t run_after, bool dead, int64_t now);
enum cs_err sq_job_recover(struct store *st, int64_t *n_out);
enum cs_err sq_job_get(struct store *st, struct arena *a, int64_t id,
                       struct job *out);
enum cs_err sq_job_list(struct store *st, struct arena *a, int state,
                        const struct page *p, struct job **items_out,
                        size_t *n_out);
enum cs_err sq_job_counts(struct store *st, int64_t counts[JOB_NSTATES]);
enum cs_err sq_purge(struct store *st, int64_t now, int64_t idem_ttl,
                     int64_t *n_out);
enum cs_err sq_backup(struct store *st, const char *dest);
enum cs_err sq_org_put(struct store *st, const struct org *o, int64_t *id_out);
enum cs_err sq_org_get(struct store *st, struct arena *a, int64_t id,
                       const char *short_name, struct org *out);
enum cs_err sq_org_list(struct store *st, struct arena *a, const char *text,
                        const struct page *p, struct org **items_out,
                        size_t *n_out);
enum cs_err sq_org_update(struct store *st, const struct org *o, int64_t now);
enum cs_err sq_contact_put(struct store *st, const struct contact *c,
                           int64_t *id_out);
enum cs_err sq_contact_list(struct store *st, struct arena *a, int64_t org_id,
                            const struct page *p, struct contact **items_out,
                            size_t *n_out);
enum cs_err sq_contact_delete(struct store *st, int64_t org_id, int64_t id);
enum cs_err sq_asset_put(struct store *st, const struct org_asset *x,
                         int64_t *id_out);
enum cs_err sq_asset_list(struct store *st, struct arena *a, int64_t org_id,
                          const char *kind, const struct page *p,
                          struct org_asset **items_out, size_t *n_out);
enum cs_err sq_asset_get(struct store *st, struct arena *a, int64_t org_id,
                         int64_t id, struct org_asset *out);
enum cs_err sq_asset_delete(struct store *st, int64_t org_id, int64_t id);
enum cs_err sq_asset_scan(struct store *st,
                          enum cs_err (*fn)(void *ctx,
                                            const struct org_asset *),
                          void *ctx);
enum cs_err sq_asset_version(struct store *st, int64_t *out);
enum cs_err sq_incident_put(struct store *st, struct arena *a,
                            const char *team_code, int year,
                            struct incident *x);
enum cs_err sq_incident_get(struct store *st, struct arena *a,
                            const struct viewer *v, const char *ref,
                            struct incident *out);
enum cs_err sq_incident_list(struct store *st, struct arena *a,
                             const struct viewer *v,
                             const struct incident_filter *f,
                             const struct page *p, struct incident **items_out,
                             size_t *n_out);
enum cs_err sq_incident_update(struct store *st, const struct incident *x,
                               int64_t now);
enum cs_err sq_entry_put(struct store *st, const struct entry *x,
                         int64_t *id_out);
enum cs_err sq_entry_list(struct store *st, struct arena *a,
                          int64_t incident_id, bool shared_only,
                          const struct page *p, struct entry **items_out,
                          size_t *n_out);
enum cs_err sq_task_put(struct store *st, const struct task *x,
                        int64_t *id_out);
enum cs_err sq_task_get(struct store *st, struct arena *a, int64_t incident_id,
                        int64_t id, struct task *out);
enum cs_err sq_task_list(struct store *st, struct arena *a, int64_t incident_id,
                         const struct page *p, struct task **items_out,
                         size_t *n_out);
enum cs_err sq_task_update(struct store *st, const struct task *x, int64_t now);
enum cs_err sq_task_cancel_open(struct store *st, int64_t incident_id,
                                int64_t now, int64_t *n_out);
enum cs_err sq_task_count_open(struct store *st, int64_t incident_id,
                               int64_t *n_out);

/* Who may read an incident, in SQL: the one place the read rule lives, for
 * a query where i is the incident. ?20 viewer id, ?21 viewer role, ?22 a
 * constituent's organisation, bound by sq_bind_viewer(). The team reads
 * everything but TLP:RED incidents it neither owns nor is a member of; a
 * constituent reads the incidents of its own organisation, and TLP:RED
 * ones only as a member. */
#define VISIBLE                                                                \
	"((?21 <> 'constituent' AND (i.tlp <> 'RED' OR i.owner_id = ?20 OR "   \
	"EXISTS (SELECT 1 FROM incident_member m WHERE m.incident_id = i.id "  \
	"AND m.user_id = ?20))) OR (?21 = 'constituent' AND EXISTS (SELECT 1 " \
	"FROM incident_org io JOIN org o ON o.id = io.org_id WHERE "           \
	"io.incident_id = i.id AND o.short_name = ?22) AND (i.tlp <> 'RED' "   \
	"OR EXISTS (SELECT 1 FROM incident_member m WHERE m.incident_id = "    \
	"i.id AND m.user_id = ?20))))"

void sq_bind_viewer(sqlite3_stmt *q, const struct viewer *v);
enum cs_err sq_observable_put(struct store *st, const struct observable *x,
                              int64_t *id_out, bool *created_out);
enum cs_err sq_observable_get(struct store *st, struct arena *a,
                              int64_t incident_id, int64_t id,
                              struct observable *out);
enum cs_err sq_observable_list(struct store *st, struct arena *a,
                               int64_t incident_id, const struct page *p,
                               struct observable **items_out, size_t *n_out);
enum cs_err sq_observable_delete(struct store *st, int64_t incident_id,
                                 int64_t id);
enum cs_err sq_observable_correlate(struct store *st, struct arena *a,
                                    const struct viewer *v, int64_t incident_id,
                                    const struct observable *obs, size_t n,
                                    int max_each,
                                    struct correlation **items_out,
                                    size_t *n_out);

enum cs_err sq_report_put(struct store *st, const struct report *r,
                          int64_t *id_out);
enum cs_err sq_report_get(struct store *st, struct arena *a, int64_t id,
                          struct report *out);
enum cs_err sq_report_list(struct store *st, struct arena *a,
                           const char *status, const char *source,
                           const struct page *p, struct report **items_out,
                           size_t *n_out);
enum cs_err sq_report_triage(struct store *st, const struct report *r,
                             int64_t now);

enum cs_err sq_search(struct store *st, struct arena *a, const struct viewer *v,
                      const char *fts, const struct page *p,
                      struct search_hit **items_out, size_t *n_out);

enum cs_err sq_link_put(struct store *st, int64_t from_id, int64_t to_id,
                        const char *kind, const char *by, int64_t now,
                        int64_t *id_out);
enum cs_err sq_link_list(struct store *st, struct arena *a,
                         const struct viewer *v, int64_t incident_id,
                         struct incident_link **items_out, size_t *n_out);
enum cs_err sq_link_delete(struct store *st, int64_t incident_id, int64_t id);

enum cs_err sq_template_put(struct store *st, const struct incident_template *t,
                            int64_t now, int64_t *id_out);
enum cs_err sq_template_get(struct store *st, struct arena *a, int64_t id,
                            const char *rsit_type,
                            struct incident_template *out);
enum cs_err sq_template_list(struct store *st, struct arena *a,
                             const struct page *p,
                             struct incident_template **items_out,
                             size_t *n_out);
enum cs_err sq_template_delete(struct store *st, int64_t id);

enum cs_err sq_artefact_put(struct store *st, const struct artefact *f);
enum cs_err sq_artefact_get(struct store *st, struct arena *a,
                            const char *sha256, bool with_data,
                            struct artefact *out);
enum cs_err sq_thread_put(struct store *st, const struct mail_thread *t,
                          int64_t *id_out);
enum cs_err sq_thread_get(struct store *st, struct arena *a,
                          int64_t incident_id, int64_t id,
                          const char *counterpart, struct mail_thread *out);
enum cs_err sq_thread_list(struct store *st, struct arena *a,
                           int64_t incident_id, struct mail_thread **items_out,
                           size_t *n_out);
enum cs_err sq_mail_put(struct store *st, const struct mail *m,
                        int64_t *id_out);
enum cs_err sq_mail_get(struct store *st, struct arena *a, int64_t id,
                        struct mail *out);
enum cs_err sq_mail_find(struct store *st, struct arena *a,
                         const char *message_id, struct mail *out);
enum cs_err sq_mail_list(struct store *st, struct arena *a,
                         const struct mail_filter *f, const struct page *p,
                         struct mail **items_out, size_t *n_out);
enum cs_err sq_mail_set_state(struct store *st, int64_t id, const char *state,
                              const char *error, int64_t sent_at);

enum cs_err sq_report_attach(struct store *st, int64_t report_id,
                             const struct mail_attachment *f, size_t n);
enum cs_err sq_report_attachments(struct store *st, struct arena *a,
                                  int64_t report_id,
                                  struct mail_attachment **items_out,
                                  size_t *n_out);

enum cs_err sq_mail_by_raw(struct store *st, const char *sha256,
                           int64_t *id_out);

enum cs_err sq_feed_report_put(struct store *st, const struct feed_report *r,
                               int64_t *id_out);
enum cs_err sq_feed_report_get(struct store *st, struct arena *a, int64_t id,
                               struct feed_report *out);
enum cs_err sq_feed_report_find(struct store *st, struct arena *a,
                                const char *feed, const char *sha256,
                                struct feed_report *out);
enum cs_err sq_feed_report_list(struct store *st, struct arena *a,
                                const char *feed, const char *state,
                                const struct page *p,
                                struct feed_report **items_out, size_t *n_out);
enum cs_err sq_feed_report_update(struct store *st, const struct feed_report *r,
                                  int64_t expect_records);
enum cs_err sq_event_append(struct store *st, int64_t report_id,
                            const char *feed, int64_t stored_at,
                            const struct stored_event *ev, size_t n);
enum cs_err sq_event_list(struct store *st, struct arena *a,
                          const struct event_filter *f, const struct page *p,
                          struct event_row **items_out, size_t *n_out);
enum cs_err sq_feed_malformed_add(struct store *st, int64_t report_id,
                                  int64_t line, const char *reason);
enum cs_err sq_feed_malformed_list(struct store *st, struct arena *a,
                                   int64_t report_id, const struct page *p,
                                   struct feed_malformed **items_out,
                                   size_t *n_out);
enum cs_err sq_feed_expire(struct store *st, const char *feed, int64_t before,
                           int64_t *reports_out, int64_t *events_out);

#endif
