/*
 * notify_int.h - the event notification operations (store version 12) of
 * both backends, private to src/store/: sqlite_notify.c and pg_notify.c
 * implement them for store_sqlite.c's and store_pg.c's ops tables.
 */
#ifndef CS_NOTIFY_INT_H
#define CS_NOTIFY_INT_H

#include "store/store.h"

/* How many seconds an interval waits after a digest, in SQL (o is the
 * organisation). */
#define NOTIFY_WAIT_SQL                                                        \
	"(CASE o.notify_interval WHEN 'hourly' THEN 3600 WHEN 'daily' THEN "   \
	"86400 ELSE 0 END)"

#define NOTIFICATION_COLS                                                      \
	"n.id, n.org_id, n.contact_id, o.short_name, n.address, n.language, "  \
	"n.feed, n.first_event, n.last_event, n.events, n.test, n.mail_id, "   \
	"n.resent_from, m.state, n.created_by, n.created_at"
#define NOTIFICATION_FROM                                                      \
	" FROM notification n JOIN org o ON o.id = n.org_id LEFT JOIN mail m " \
	"ON m.id = n.mail_id "
#define NOTIFY_EVENT_COLS                                                      \
	"e.id, e.report_id, e.org_id, e.stored_at, e.feed, e.tlp, "            \
	"o.short_name, e.data, e.notify"

enum cs_err sq_notify_due(struct store *st, struct arena *a, int64_t now,
                          int64_t settled, int64_t org_id, const struct page *p,
                          struct notify_due **items_out, size_t *n_out);
enum cs_err sq_notify_cursor_get(struct store *st, int64_t org_id,
                                 const char *feed, int64_t *last_out,
                                 int64_t *sent_at_out);
enum cs_err sq_notify_cursor_set(struct store *st, int64_t org_id,
                                 const char *feed, int64_t expect, int64_t last,
                                 int64_t sent_at);
enum cs_err sq_notify_events(struct store *st, struct arena *a, int64_t org_id,
                             const char *feed, int64_t after, int64_t upto,
                             int64_t settled, int64_t limit,
                             struct event_row **items_out, size_t *n_out);
enum cs_err sq_notification_put(struct store *st, const struct notification *n,
                                int64_t *id_out);
enum cs_err sq_notification_get(struct store *st, struct arena *a, int64_t id,
                                struct notification *out);
enum cs_err sq_notification_list(struct store *st, struct arena *a,
                                 const struct notification_filter *f,
                                 const struct page *p,
                                 struct notification **items_out,
                                 size_t *n_out);
enum cs_err sq_job_pending(struct store *st, const char *kind,
                           const char *payload, bool *pending_out);

enum cs_err pg_notify_due(struct store *st, struct arena *a, int64_t now,
                          int64_t settled, int64_t org_id, const struct page *p,
                          struct notify_due **items_out, size_t *n_out);
enum cs_err pg_notify_cursor_get(struct store *st, int64_t org_id,
                                 const char *feed, int64_t *last_out,
                                 int64_t *sent_at_out);
enum cs_err pg_notify_cursor_set(struct store *st, int64_t org_id,
                                 const char *feed, int64_t expect, int64_t last,
                                 int64_t sent_at);
enum cs_err pg_notify_events(struct store *st, struct arena *a, int64_t org_id,
                             const char *feed, int64_t after, int64_t upto,
                             int64_t settled, int64_t limit,
                             struct event_row **items_out, size_t *n_out);
enum cs_err pg_notification_put(struct store *st, const struct notification *n,
                                int64_t *id_out);
enum cs_err pg_notification_get(struct store *st, struct arena *a, int64_t id,
                                struct notification *out);
enum cs_err pg_notification_list(struct store *st, struct arena *a,
                                 const struct notification_filter *f,
                                 const struct page *p,
                                 struct notification **items_out,
                                 size_t *n_out);
enum cs_err pg_job_pending(struct store *st, const char *kind,
                           const char *payload, bool *pending_out);

#endif
