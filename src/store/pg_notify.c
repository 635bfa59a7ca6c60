/* pg_notify.c - event notifications (store version 12), the PostgreSQL
 * dialect of sqlite_notify.c. Write transactions are serialised by
 * store_pg.c's advisory lock; the cursor's compare-and-set keeps a digest
 * that read the cursor before another moved it from sending (CS_E_STALE),
 * whatever the isolation. */
#include <stdio.h>
#include <string.h>

#include "core/text.h"
#include "store/notify_int.h"
#include "store/pg_int.h"

enum cs_err
pg_notify_due(struct store *st, struct arena *a, int64_t now, int64_t settled,
              int64_t org_id, const struct page *pa,
              struct notify_due **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT o.id, f.feed FROM org o CROSS JOIN (SELECT DISTINCT "
	       "feed FROM feed_report) f LEFT JOIN notify_cursor c ON "
	       "c.org_id = o.id AND c.feed = f.feed WHERE (($3::bigint = 0 AND "
	       "o.notify_interval <> 'never' AND (c.sent_at IS NULL OR "
	       "c.sent_at + " NOTIFY_WAIT_SQL " <= $1::bigint)) OR o.id = "
	       "$3::bigint) AND EXISTS (SELECT 1 FROM feed_event e WHERE "
	       "e.org_id = o.id AND e.id > coalesce(c.last_event, 0) AND "
	       "e.feed = f.feed AND e.notify = 1 AND e.tlp <> 'red' AND "
	       "e.stored_at <= $2::bigint) ORDER BY o.id, f.feed LIMIT $4");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, now);
	pg_bind_i64(q, 2, settled);
	pg_bind_i64(q, 3, org_id);
	pg_bind_i64(q, 4, pa->limit);
	PG_COLLECT(p, a, q, struct notify_due, items_out, n_out, pa->limit, {
		it_->org_id = pg_col_i64(q, 0);
		it_->feed = pg_col_str(p, a, q, 1);
	});
	return CS_OK;
}

enum cs_err
pg_notify_cursor_get(struct store *st, int64_t org_id, const char *feed,
                     int64_t *last_out, int64_t *sent_at_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT last_event, sent_at FROM "
	                              "notify_cursor WHERE org_id = $1 AND "
	                              "feed = $2");
	enum cs_err err;

	*last_out = *sent_at_out = 0;
	if (!utf8_is_valid(feed, strlen(feed)))
		return CS_OK;
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, org_id);
	pg_bind_str(q, 2, feed);
	err = pg_row_begin(p, q, "notify_cursor_get");
	if (err == CS_E_NOTFOUND)
		return CS_OK;
	if (err != CS_OK)
		return err;
	*last_out = pg_col_i64(q, 0);
	*sent_at_out = pg_col_i64(q, 1);
	return pg_row_end(p, q);
}

enum cs_err
pg_notify_cursor_set(struct store *st, int64_t org_id, const char *feed,
                     int64_t expect, int64_t last, int64_t sent_at)
{
	struct pg *p = PG(st);
	struct pgstmt *q;
	enum cs_err err;

	if (expect == 0)
		q = pg_prep(p,
		            "INSERT INTO notify_cursor (org_id, feed, "
		            "last_event, sent_at) VALUES ($1, $2, $4, $5) "
		            "ON CONFLICT (org_id, feed) DO UPDATE SET "
		            "last_event = excluded.last_event, sent_at = "
		            "excluded.sent_at WHERE notify_cursor.last_event "
		            "= $3::bigint");
	else
		q = pg_prep(p, "UPDATE notify_cursor SET last_event = $4, "
		               "sent_at = $5 WHERE org_id = $1 AND feed = $2 "
		               "AND last_event = $3::bigint");
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, org_id);
	pg_bind_str(q, 2, feed);
	pg_bind_i64(q, 3, expect);
	pg_bind_i64(q, 4, last);
	pg_bind_i64(q, 5, sent_at);
	err = pg_changed_one(p, pg_run(p, q, "notify_cursor_set"));
	return err == CS_E_NOTFOUND ? CS_E_STALE : err;
}

enum cs_err
pg_notify_events(struct store *st, struct arena *a, int64_t org_id,
                 const char *feed, int64_t after, int64_t upto, int64_t settled,
                 int64_t limit, struct event_row **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " NOTIFY_EVENT_COLS " FROM feed_event e JOIN org o ON "
	       "o.id = e.org_id WHERE e.org_id = $1 AND e.id > $3::bigint AND "
	       "($4::bigint = 0 OR e.id <= $4::bigint) AND e.feed = $2 AND "
	       "e.notify = 1 AND e.tlp <> 'red' AND ($5::bigint = 0 OR "
	       "e.stored_at <= $5::bigint) ORDER BY e.id LIMIT $6");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, org_id);
	pg_bind_str(q, 2, feed);
	pg_bind_i64(q, 3, after);
	pg_bind_i64(q, 4, upto);
	pg_bind_i64(q, 5, settled);
	pg_bind_i64(q, 6, limit);
	PG_COLLECT(p, a, q, struct event_row, items_out, n_out, limit,
	           pg_event_row_read(p, a, q, it_));
	/* the stored forms into their lines */
	return pg_event_rows_unpack(p, a, *items_out, *n_out);
}

enum cs_err
pg_notification_put(struct store *st, const struct notification *n,
                    int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO notification (org_id, contact_id, address, "
	       "language, feed, first_event, last_event, events, test, "
	       "mail_id, resent_from, created_by, created_at) VALUES ($1, $2, "
	       "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, n->org_id);
	pg_bind_time(q, 2, n->contact_id);
	pg_bind_str(q, 3, n->address);
	pg_bind_str(q, 4, n->language);
	pg_bind_str(q, 5, n->feed);
	pg_bind_i64(q, 6, n->first_event);
	pg_bind_i64(q, 7, n->last_event);
	pg_bind_i64(q, 8, n->events);
	pg_bind_i64(q, 9, n->test);
	pg_bind_time(q, 10, n->mail_id);
	pg_bind_time(q, 11, n->resent_from);
	pg_bind_str(q, 12, n->created_by);
	pg_bind_i64(q, 13, n->created_at);
	if ((err = pg_row_begin(p, q, "notification_put")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

static void
read_notification(struct pg *p, struct arena *a, struct pgstmt *q,
                  struct notification *n)
{
	n->id = pg_col_i64(q, 0);
	n->org_id = pg_col_i64(q, 1);
	n->contact_id = pg_col_i64(q, 2);
	n->org_short = pg_col_str(p, a, q, 3);
	n->address = pg_col_str(p, a, q, 4);
	n->language = pg_col_str(p, a, q, 5);
	n->feed = pg_col_str(p, a, q, 6);
	n->first_event = pg_col_i64(q, 7);
	n->last_event = pg_col_i64(q, 8);
	n->events = pg_col_i64(q, 9);
	n->test = pg_col_i64(q, 10) != 0;
	n->mail_id = pg_col_i64(q, 11);
	n->resent_from = pg_col_i64(q, 12);
	n->mail_state = pg_col_str(p, a, q, 13);
	n->created_by = pg_col_str(p, a, q, 14);
	n->created_at = pg_col_i64(q, 15);
}

enum cs_err
pg_notification_get(struct store *st, struct arena *a, int64_t id,
                    struct notification *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " NOTIFICATION_COLS NOTIFICATION_FROM "WHERE n.id = $1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	if ((err = pg_row_begin(p, q, "notification_get")) != CS_OK)
		return err;
	read_notification(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_notification_list(struct store *st, struct arena *a,
                     const struct notification_filter *f, const struct page *pa,
                     struct notification **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " NOTIFICATION_COLS NOTIFICATION_FROM
	       "WHERE ($1::bigint = 0 OR n.id < $1::bigint) AND ($2::bigint = "
	       "0 OR n.org_id = $2::bigint) AND ($3::text IS NULL OR n.feed = "
	       "$3::text) ORDER BY n.id DESC LIMIT $4");

	if (f->feed != NULL && !utf8_is_valid(f->feed, strlen(f->feed))) {
		if ((*items_out = arena_alloc(a, sizeof(**items_out))) == NULL)
			return CS_E_TOOBIG;
		*n_out = 0;
		return CS_OK;
	}
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_i64(q, 2, f->org_id);
	pg_bind_str(q, 3, f->feed);
	pg_bind_i64(q, 4, pa->limit);
	PG_COLLECT(p, a, q, struct notification, items_out, n_out, pa->limit,
	           read_notification(p, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_job_pending(struct store *st, const char *kind, const char *payload,
               bool *pending_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT 1 FROM job WHERE state IN ('queued', 'running') AND "
	       "kind = $1 AND payload = $2 LIMIT 1");
	enum cs_err err;

	*pending_out = false;
	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, kind);
	pg_bind_str(q, 2, payload);
	err = pg_row_begin(p, q, "job_pending");
	if (err == CS_E_NOTFOUND)
		return CS_OK;
	if (err != CS_OK)
		return err;
	*pending_out = true;
	return pg_row_end(p, q);
}
