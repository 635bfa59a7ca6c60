/* sqlite_notify.c - event notifications: which organisations and feeds
 * are due, the cursors digests move, the events they carry and the
 * notifications sent (store version 12). */
#include <stdio.h>
#include <string.h>

#include "store/notify_int.h"
#include "store/sqlite_int.h"

enum cs_err
sq_notify_due(struct store *st, struct arena *a, int64_t now, int64_t settled,
              int64_t org_id, const struct page *p,
              struct notify_due **items_out, size_t *n_out)
{
	/* feeds come from feed_report (a few rows per feed and day); the
	 * EXISTS walks feed_event_org from the cursor on */
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT o.id, f.feed FROM org o JOIN (SELECT DISTINCT feed "
	       "FROM feed_report) f LEFT JOIN notify_cursor c ON c.org_id = "
	       "o.id AND c.feed = f.feed WHERE ((?3 = 0 AND "
	       "o.notify_interval <> 'never' AND (c.sent_at IS NULL OR "
	       "c.sent_at + " NOTIFY_WAIT_SQL " <= ?1)) OR o.id = ?3) AND "
	       "EXISTS (SELECT 1 FROM feed_event e WHERE e.org_id = o.id AND "
	       "e.id > coalesce(c.last_event, 0) AND e.feed = f.feed AND "
	       "e.notify = 1 AND e.tlp <> 'red' AND e.stored_at <= ?2) "
	       "ORDER BY o.id, f.feed LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, settled);
	sqlite3_bind_int64(q, 3, org_id);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct notify_due, items_out, n_out, p->limit, {
		it_->org_id = sq_col_i64(q, 0);
		it_->feed = sq_col_str(s, a, q, 1);
	});
	return CS_OK;
}

enum cs_err
sq_notify_cursor_get(struct store *st, int64_t org_id, const char *feed,
                     int64_t *last_out, int64_t *sent_at_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT last_event, sent_at FROM "
	                             "notify_cursor WHERE org_id = ?1 AND "
	                             "feed = ?2");
	enum cs_err err;

	*last_out = *sent_at_out = 0;
	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, org_id);
	sq_bind_str(q, 2, feed);
	err = sq_row_begin(s, q, "notify_cursor_get");
	if (err == CS_E_NOTFOUND)
		return CS_OK;
	if (err != CS_OK)
		return err;
	*last_out = sq_col_i64(q, 0);
	*sent_at_out = sq_col_i64(q, 1);
	return sq_row_end(s, q);
}

enum cs_err
sq_notify_cursor_set(struct store *st, int64_t org_id, const char *feed,
                     int64_t expect, int64_t last, int64_t sent_at)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err;

	if (expect == 0)
		/* the first digest of the pair, unless another made it */
		q = sq_prep(s,
		            "INSERT INTO notify_cursor (org_id, feed, "
		            "last_event, sent_at) VALUES (?1, ?2, ?4, ?5) "
		            "ON CONFLICT (org_id, feed) DO UPDATE SET "
		            "last_event = excluded.last_event, sent_at = "
		            "excluded.sent_at WHERE notify_cursor.last_event "
		            "= ?3");
	else
		q = sq_prep(s, "UPDATE notify_cursor SET last_event = ?4, "
		               "sent_at = ?5 WHERE org_id = ?1 AND feed = ?2 "
		               "AND last_event = ?3");
	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, org_id);
	sq_bind_str(q, 2, feed);
	sqlite3_bind_int64(q, 3, expect);
	sqlite3_bind_int64(q, 4, last);
	sqlite3_bind_int64(q, 5, sent_at);
	err = sq_changed_one(s, sq_run(s, q, "notify_cursor_set"));
	return err == CS_E_NOTFOUND ? CS_E_STALE : err;
}

enum cs_err
sq_notify_events(struct store *st, struct arena *a, int64_t org_id,
                 const char *feed, int64_t after, int64_t upto, int64_t settled,
                 int64_t limit, struct event_row **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " NOTIFY_EVENT_COLS " FROM feed_event e JOIN org o ON "
	       "o.id = e.org_id WHERE e.org_id = ?1 AND e.id > ?3 AND (?4 = 0 "
	       "OR e.id <= ?4) AND e.feed = ?2 AND e.notify = 1 AND e.tlp <> "
	       "'red' AND (?5 = 0 OR e.stored_at <= ?5) ORDER BY e.id "
	       "LIMIT ?6");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, org_id);
	sq_bind_str(q, 2, feed);
	sqlite3_bind_int64(q, 3, after);
	sqlite3_bind_int64(q, 4, upto);
	sqlite3_bind_int64(q, 5, settled);
	sqlite3_bind_int64(q, 6, limit);
	COLLECT(s, a, q, struct event_row, items_out, n_out, limit,
	        sq_event_row_read(s, a, q, it_));
	/* the stored forms into their lines */
	return sq_event_rows_unpack(s, a, *items_out, *n_out);
}

enum cs_err
sq_notification_put(struct store *st, const struct notification *n,
                    int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO notification (org_id, contact_id, address, "
	       "language, feed, first_event, last_event, events, test, "
	       "mail_id, resent_from, created_by, created_at) VALUES (?1, ?2, "
	       "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, n->org_id);
	sq_bind_time(q, 2, n->contact_id);
	sq_bind_str(q, 3, n->address);
	sq_bind_str(q, 4, n->language);
	sq_bind_str(q, 5, n->feed);
	sqlite3_bind_int64(q, 6, n->first_event);
	sqlite3_bind_int64(q, 7, n->last_event);
	sqlite3_bind_int64(q, 8, n->events);
	sqlite3_bind_int(q, 9, n->test);
	sq_bind_time(q, 10, n->mail_id);
	sq_bind_time(q, 11, n->resent_from);
	sq_bind_str(q, 12, n->created_by);
	sqlite3_bind_int64(q, 13, n->created_at);
	if ((err = sq_run(s, q, "notification_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

static void
read_notification(struct sq *s, struct arena *a, sqlite3_stmt *q,
                  struct notification *n)
{
	n->id = sq_col_i64(q, 0);
	n->org_id = sq_col_i64(q, 1);
	n->contact_id = sq_col_i64(q, 2);
	n->org_short = sq_col_str(s, a, q, 3);
	n->address = sq_col_str(s, a, q, 4);
	n->language = sq_col_str(s, a, q, 5);
	n->feed = sq_col_str(s, a, q, 6);
	n->first_event = sq_col_i64(q, 7);
	n->last_event = sq_col_i64(q, 8);
	n->events = sq_col_i64(q, 9);
	n->test = sq_col_i64(q, 10) != 0;
	n->mail_id = sq_col_i64(q, 11);
	n->resent_from = sq_col_i64(q, 12);
	n->mail_state = sq_col_str(s, a, q, 13);
	n->created_by = sq_col_str(s, a, q, 14);
	n->created_at = sq_col_i64(q, 15);
}

enum cs_err
sq_notification_get(struct store *st, struct arena *a, int64_t id,
                    struct notification *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " NOTIFICATION_COLS NOTIFICATION_FROM "WHERE n.id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = sq_row_begin(s, q, "notification_get")) != CS_OK)
		return err;
	read_notification(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_notification_list(struct store *st, struct arena *a,
                     const struct notification_filter *f, const struct page *p,
                     struct notification **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " NOTIFICATION_COLS NOTIFICATION_FROM
	       "WHERE (?1 = 0 OR n.id < ?1) AND (?2 = 0 OR n.org_id = ?2) AND "
	       "(?3 IS NULL OR n.feed = ?3) ORDER BY n.id DESC LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sqlite3_bind_int64(q, 2, f->org_id);
	sq_bind_str(q, 3, f->feed);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct notification, items_out, n_out, p->limit,
	        read_notification(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_job_pending(struct store *st, const char *kind, const char *payload,
               bool *pending_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT 1 FROM job WHERE state IN ('queued', 'running') AND "
	       "kind = ?1 AND payload = ?2 LIMIT 1");
	enum cs_err err;

	*pending_out = false;
	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, kind);
	sq_bind_str(q, 2, payload);
	err = sq_row_begin(s, q, "job_pending");
	if (err == CS_E_NOTFOUND)
		return CS_OK;
	if (err != CS_OK)
		return err;
	*pending_out = true;
	return sq_row_end(s, q);
}
