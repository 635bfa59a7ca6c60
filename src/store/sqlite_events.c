/* sqlite_events.c - feed reports, events and malformed records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

#define REPORT_COLS                                                            \
	"id, feed, report, source, sha256, size, state, records, events, "     \
	"stored, malformed, dropped, duplicates, error, spool, received_at, "  \
	"started_at, finished_at"

static void
read_report(struct sq *s, struct arena *a, sqlite3_stmt *q,
            struct feed_report *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sq_col_i64(q, 0);
	r->feed = sq_col_str(s, a, q, 1);
	r->report = sq_col_str(s, a, q, 2);
	r->source = sq_col_str(s, a, q, 3);
	r->sha256 = sq_col_str(s, a, q, 4);
	r->size = sq_col_i64(q, 5);
	r->state = sq_col_str(s, a, q, 6);
	r->records = sq_col_i64(q, 7);
	r->events = sq_col_i64(q, 8);
	r->stored = sq_col_i64(q, 9);
	r->malformed = sq_col_i64(q, 10);
	r->dropped = sq_col_i64(q, 11);
	r->duplicates = sq_col_i64(q, 12);
	r->error = sq_col_str(s, a, q, 13);
	r->spool = sq_col_str(s, a, q, 14);
	r->received_at = sq_col_i64(q, 15);
	r->started_at = sq_col_i64(q, 16);
	r->finished_at = sq_col_i64(q, 17);
}

enum cs_err
sq_feed_report_put(struct store *st, const struct feed_report *r,
                   int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO feed_report (feed, report, source, sha256, size, "
	       "state, error, spool, received_at, started_at, finished_at) "
	       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON "
	       "CONFLICT (feed, sha256) DO NOTHING");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, r->feed);
	sq_bind_str(q, 2, r->report ? r->report : "");
	sq_bind_str(q, 3, r->source);
	sq_bind_str(q, 4, r->sha256);
	sqlite3_bind_int64(q, 5, r->size);
	sq_bind_str(q, 6, r->state);
	sq_bind_str(q, 7, r->error);
	sq_bind_str(q, 8, r->spool);
	sqlite3_bind_int64(q, 9, r->received_at);
	sq_bind_time(q, 10, r->started_at);
	sq_bind_time(q, 11, r->finished_at);
	if ((err = sq_run(s, q, "feed_report_put")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 0)
		return CS_E_CONFLICT;
	*id_out = sqlite3_last_insert_rowid(s->db);
	return CS_OK;
}

enum cs_err
sq_feed_report_get(struct store *st, struct arena *a, int64_t id,
                   struct feed_report *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " REPORT_COLS " FROM feed_report WHERE id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = sq_row_begin(s, q, "feed_report_get")) != CS_OK)
		return err;
	read_report(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_feed_report_find(struct store *st, struct arena *a, const char *feed,
                    const char *sha256, struct feed_report *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT " REPORT_COLS " FROM feed_report "
	                             "WHERE feed = ?1 AND sha256 = ?2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, feed);
	sq_bind_str(q, 2, sha256);
	if ((err = sq_row_begin(s, q, "feed_report_find")) != CS_OK)
		return err;
	read_report(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_feed_report_list(struct store *st, struct arena *a, const char *feed,
                    const char *state, const struct page *p,
                    struct feed_report **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " REPORT_COLS " FROM feed_report WHERE (?1 = 0 OR id < "
	       "?1) AND (?2 IS NULL OR feed = ?2) AND (?3 IS NULL OR state = "
	       "?3) ORDER BY id DESC LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2, feed);
	sq_bind_str(q, 3, state);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct feed_report, items_out, n_out, p->limit,
	        read_report(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_feed_report_update(struct store *st, const struct feed_report *r,
                      int64_t expect_records)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "UPDATE feed_report SET state = ?2, records = ?3, events = ?4, "
	       "stored = ?5, malformed = ?6, dropped = ?7, duplicates = ?8, "
	       "error = ?9, spool = ?10, started_at = ?11, finished_at = ?12 "
	       "WHERE id = ?1 AND (?13 < 0 OR records = ?13)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, r->id);
	sq_bind_str(q, 2, r->state);
	sqlite3_bind_int64(q, 3, r->records);
	sqlite3_bind_int64(q, 4, r->events);
	sqlite3_bind_int64(q, 5, r->stored);
	sqlite3_bind_int64(q, 6, r->malformed);
	sqlite3_bind_int64(q, 7, r->dropped);
	sqlite3_bind_int64(q, 8, r->duplicates);
	sq_bind_str(q, 9, r->error);
	sq_bind_str(q, 10, r->spool);
	sq_bind_time(q, 11, r->started_at);
	sq_bind_time(q, 12, r->finished_at);
	sqlite3_bind_int64(q, 13, expect_records);
	err = sq_changed_one(s, sq_run(s, q, "feed_report_update"));
	return err == CS_E_NOTFOUND && expect_records >= 0 ? CS_E_STALE : err;
}

enum cs_err
sq_event_append(struct store *st, int64_t report_id, const char *feed,
                int64_t stored_at, const struct stored_event *ev, size_t n)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s,
	    "INSERT INTO feed_event (report_id, org_id, feed, time_source, "
	    "source_ip, source_asn, taxonomy, type, identifier, tlp, notify, "
	    "data, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	    "?10, ?11, ?12, ?13)");

	if (q == NULL)
		return CS_E_DB;
	for (size_t i = 0; i < n; i++) {
		const struct stored_event *e = &ev[i];
		int rc;

		/* the statement keeps its bindings between rows: every
		 * parameter is bound on every row */
		sqlite3_bind_int64(q, 1, report_id);
		if (e->org_id > 0)
			sqlite3_bind_int64(q, 2, e->org_id);
		else
			sqlite3_bind_null(q, 2);
		sqlite3_bind_text(q, 3, feed, -1, SQLITE_STATIC);
		if (e->has_time)
			sqlite3_bind_int64(q, 4, e->time_source);
		else
			sqlite3_bind_null(q, 4);
		if (e->has_ip)
			sqlite3_bind_blob(q, 5, e->source_ip, EVENT_IP_BYTES,
			                  SQLITE_STATIC);
		else
			sqlite3_bind_null(q, 5);
		if (e->source_asn > 0)
			sqlite3_bind_int64(q, 6, e->source_asn);
		else
			sqlite3_bind_null(q, 6);
		sq_bind_str(q, 7, e->taxonomy);
		sq_bind_str(q, 8, e->type);
		sq_bind_str(q, 9, e->identifier);
		sqlite3_bind_text(q, 10, e->tlp, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 11, e->notify);
		sqlite3_bind_text(q, 12, e->data, (int)e->data_len,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(q, 13, stored_at);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE) {
			enum cs_err err = sq_db_error(s, "event_append");

			sqlite3_clear_bindings(q);
			return err;
		}
	}
	sqlite3_clear_bindings(q);
	return CS_OK;
}

#define EVENT_COLS                                                             \
	"e.id, e.report_id, e.org_id, e.stored_at, e.feed, e.tlp, "            \
	"o.short_name, e.data, e.notify"
/* Every filter but the one the statement leads with. */
#define EVENT_WHERE                                                            \
	" (?1 = 0 OR e.id < ?1) AND (?2 = 0 OR (?2 = -1 AND e.org_id IS "      \
	"NULL) OR e.org_id = ?2) AND (?3 = 0 OR e.report_id = ?3) AND (?4 IS " \
	"NULL OR e.feed = ?4) AND (?5 IS NULL OR e.taxonomy = ?5) AND (?6 IS " \
	"NULL OR e.type = ?6) AND (?7 IS NULL OR e.identifier = ?7) AND (?8 "  \
	"IS NULL OR e.source_ip BETWEEN ?8 AND ?9) AND (?10 IS NULL OR "       \
	"e.time_source >= ?10) AND (?11 IS NULL OR e.time_source <= ?11) AND " \
	"(?12 = 0 OR e.tlp <> 'red') ORDER BY e.id DESC LIMIT ?13"
#define EVENT_FROM                                                             \
	"SELECT " EVENT_COLS " FROM feed_event e LEFT JOIN org o ON o.id = "   \
	"e.org_id "

static void
read_event(struct sq *s, struct arena *a, sqlite3_stmt *q, struct event_row *r)
{
	r->id = sq_col_i64(q, 0);
	r->report_id = sq_col_i64(q, 1);
	r->org_id = sq_col_i64(q, 2);
	r->stored_at = sq_col_i64(q, 3);
	r->feed = sq_col_str(s, a, q, 4);
	r->tlp = sq_col_str(s, a, q, 5);
	r->org_short = sq_col_str(s, a, q, 6);
	r->data = sq_col_str(s, a, q, 7);
	r->notify = sq_col_i64(q, 8) != 0;
}

enum cs_err
sq_event_list(struct store *st, struct arena *a, const struct event_filter *f,
              const struct page *p, struct event_row **items_out, size_t *n_out)
{
	/* The statement leads with the most selective indexed term so that
	 * SQLite walks that index; the rest are residual conditions. */
	static const char by_org[] =
	    EVENT_FROM "WHERE e.org_id = ?2 AND" EVENT_WHERE;
	static const char by_report[] =
	    EVENT_FROM "WHERE e.report_id = ?3 AND" EVENT_WHERE;
	static const char by_ip[] =
	    EVENT_FROM "WHERE e.source_ip BETWEEN ?8 AND ?9 AND" EVENT_WHERE;
	static const char by_id[] = EVENT_FROM "WHERE" EVENT_WHERE;
	struct sq *s = SQ(st);
	const char *sql = by_id;
	sqlite3_stmt *q;

	if (f->org_id > 0)
		sql = by_org;
	else if (f->report_id > 0)
		sql = by_report;
	else if (f->has_range)
		sql = by_ip;
	if ((q = sq_prep(s, sql)) == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sqlite3_bind_int64(q, 2, f->org_id);
	sqlite3_bind_int64(q, 3, f->report_id);
	sq_bind_str(q, 4, f->feed);
	sq_bind_str(q, 5, f->taxonomy);
	sq_bind_str(q, 6, f->type);
	sq_bind_str(q, 7, f->identifier);
	if (f->has_range) {
		sqlite3_bind_blob(q, 8, f->ip_lo, EVENT_IP_BYTES,
		                  SQLITE_TRANSIENT);
		sqlite3_bind_blob(q, 9, f->ip_hi, EVENT_IP_BYTES,
		                  SQLITE_TRANSIENT);
	}
	sq_bind_time(q, 10, f->since);
	sq_bind_time(q, 11, f->until);
	sqlite3_bind_int(q, 12, f->hide_red);
	sqlite3_bind_int(q, 13, p->limit);
	COLLECT(s, a, q, struct event_row, items_out, n_out, p->limit,
	        read_event(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_feed_malformed_add(struct store *st, int64_t report_id, int64_t line,
                      const char *reason)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO feed_malformed (report_id, line, reason) VALUES "
	       "(?1, ?2, ?3) ON CONFLICT (report_id, line) DO NOTHING");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, report_id);
	sqlite3_bind_int64(q, 2, line);
	sq_bind_str(q, 3, reason);
	return sq_run(s, q, "feed_malformed_add");
}

enum cs_err
sq_feed_malformed_list(struct store *st, struct arena *a, int64_t report_id,
                       const struct page *p, struct feed_malformed **items_out,
                       size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT line, reason FROM feed_malformed WHERE report_id = ?1 "
	       "AND line > ?2 ORDER BY line LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, report_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct feed_malformed, items_out, n_out, p->limit,
	        (it_->line = sq_col_i64(q, 0),
	         it_->reason = sq_col_str(s, a, q, 1)));
	return CS_OK;
}

enum cs_err
sq_feed_expire(struct store *st, const char *feed, int64_t before,
               int64_t *reports_out, int64_t *events_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *ev = sq_prep(
	    s, "DELETE FROM feed_event WHERE report_id IN (SELECT id FROM "
	       "feed_report WHERE feed = ?1 AND received_at < ?2 AND state IN "
	       "('done', 'failed'))");
	sqlite3_stmt *rep = sq_prep(
	    s, "DELETE FROM feed_report WHERE feed = ?1 AND received_at < ?2 "
	       "AND state IN ('done', 'failed')");
	enum cs_err err;

	if (ev == NULL || rep == NULL)
		return CS_E_DB;
	sq_bind_str(ev, 1, feed);
	sqlite3_bind_int64(ev, 2, before);
	if ((err = sq_run(s, ev, "feed_expire")) != CS_OK)
		return err;
	*events_out = sqlite3_changes(s->db);
	sq_bind_str(rep, 1, feed);
	sqlite3_bind_int64(rep, 2, before);
	if ((err = sq_run(s, rep, "feed_expire")) != CS_OK)
		return err;
	*reports_out = sqlite3_changes(s->db);
	return CS_OK;
}
