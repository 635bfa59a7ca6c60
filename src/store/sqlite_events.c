/* sqlite_events.c - feed reports, events and malformed records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/sqlite_int.h"

/* ids per range of the address index: (id >> 16) in migration 0014 */
#define EVENT_IP_CHUNK_BITS 16

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

/* Loads report_id's codes into the connection's dictionary. */
static enum cs_err
dict_load(struct sq *s, int64_t report_id)
{
	sqlite3_stmt *q = sq_prep(s, "SELECT code, name, value FROM feed_field "
	                             "WHERE report_id = ?1 ORDER BY code");
	enum cs_err err = CS_OK;
	int rc = SQLITE_DONE;

	if (q == NULL)
		return CS_E_DB;
	if (s->dict == NULL)
		s->dict = event_dict_new();
	event_dict_reset(s->dict);
	sqlite3_bind_int64(q, 1, report_id);
	while (err == CS_OK && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = event_dict_load(s->dict, sqlite3_column_int64(q, 0),
		                      (const char *)sqlite3_column_text(q, 1),
		                      (size_t)sqlite3_column_bytes(q, 1),
		                      (const char *)sqlite3_column_text(q, 2),
		                      (size_t)sqlite3_column_bytes(q, 2));
	if (err != CS_OK) {
		snprintf(s->err, sizeof(s->err),
		         "feed_field: report %lld has a damaged dictionary",
		         (long long)report_id);
		err = CS_E_DB;
	} else if (rc != SQLITE_DONE) {
		err = sq_db_error(s, "feed_field");
	}
	sq_done(q);
	return err;
}

/* Stores the codes the packer added. */
static enum cs_err
dict_save(struct sq *s, int64_t report_id)
{
	sqlite3_stmt *q = sq_prep(s, "INSERT INTO feed_field (report_id, code, "
	                             "name, value) VALUES (?1, ?2, ?3, ?4)");
	enum cs_err err = CS_OK;

	if (q == NULL)
		return CS_E_DB;
	for (size_t i = event_dict_saved(s->dict);
	     i < event_dict_count(s->dict) && err == CS_OK; i++) {
		const char *k, *v;
		size_t kn, vn;

		event_dict_get(s->dict, i, &k, &kn, &v, &vn);
		sqlite3_bind_int64(q, 1, report_id);
		sqlite3_bind_int64(q, 2, (int64_t)i);
		sqlite3_bind_text(q, 3, k, (int)kn, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, v, (int)vn, SQLITE_STATIC);
		err = sq_run(s, q, "feed_field");
	}
	if (err == CS_OK)
		event_dict_mark_saved(s->dict);
	return err;
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
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if (n == 0)
		return CS_OK;
	/* the dictionary as committed: a write transaction is the only
	 * writer (outside one, codes still go in before the rows using
	 * them, so no row ever names a code that is not stored) */
	if ((err = dict_load(s, report_id)) != CS_OK)
		return err;
	sqlite3_bind_int64(q, 1, report_id);
	sqlite3_bind_text(q, 3, feed, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 13, stored_at);
	for (size_t i = 0; i < n; i++) {
		const struct stored_event *e = &ev[i];
		size_t plen;
		int rc;

		/* one row of an organisation-matched event repeats the line
		 * of the row before: pack it once */
		if (i == 0 || e->data != ev[i - 1].data ||
		    e->data_len != ev[i - 1].data_len) {
			if (s->pack_cap < EVENT_PACK_ROOM(e->data_len)) {
				s->pack_cap = EVENT_PACK_ROOM(e->data_len) * 2;
				s->pack = xrealloc(s->pack, s->pack_cap);
			}
			event_pack(s->dict, e->data, e->data_len, s->pack,
			           s->pack_cap, &plen);
			sqlite3_bind_blob(q, 12, s->pack, (int)plen,
			                  SQLITE_STATIC);
			/* new codes go in before the first row using them */
			if (event_dict_count(s->dict) >
			        event_dict_saved(s->dict) &&
			    (err = dict_save(s, report_id)) != CS_OK)
				goto fail;
		}
		/* the statement keeps its bindings between rows: what is the
		 * same for the whole batch is bound once, before the loop */
		if (e->org_id > 0)
			sqlite3_bind_int64(q, 2, e->org_id);
		else
			sqlite3_bind_null(q, 2);
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
		if (i == 0 || e->tlp != ev[i - 1].tlp)
			sqlite3_bind_text(q, 10, e->tlp, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 11, e->notify);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_DONE) {
			err = sq_db_error(s, "event_append");
			goto fail;
		}
	}
fail:
	sqlite3_clear_bindings(q);
	return err;
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

void
sq_event_row_read(struct sq *s, struct arena *a, sqlite3_stmt *q,
                  struct event_row *r)
{
	char *form;

	r->id = sq_col_i64(q, 0);
	r->report_id = sq_col_i64(q, 1);
	r->org_id = sq_col_i64(q, 2);
	r->stored_at = sq_col_i64(q, 3);
	r->feed = sq_col_str(s, a, q, 4);
	r->tlp = sq_col_str(s, a, q, 5);
	r->org_short = sq_col_str(s, a, q, 6);
	/* the stored form, unpacked by sq_event_rows_unpack() */
	r->data_len = (size_t)sqlite3_column_bytes(q, 7);
	if ((form = arena_alloc(a, r->data_len + 1)) == NULL) {
		s->oom = true;
	} else {
		memcpy(form, sqlite3_column_blob(q, 7), r->data_len);
		form[r->data_len] = '\0';
	}
	r->data = form;
	r->notify = sq_col_i64(q, 8) != 0;
}

/* The rows' stored forms into their lines, with each report's codes. */
enum cs_err
sq_event_rows_unpack(struct sq *s, struct arena *a, struct event_row *rows,
                     size_t n)
{
	int64_t loaded = 0;
	enum cs_err err = CS_OK;

	for (size_t i = 0; i < n && err == CS_OK; i++) {
		struct event_row *r = &rows[i];
		const uint8_t *form = (const uint8_t *)r->data;

		if (r->data_len > 0 && form[0] == '{')
			continue; /* the line itself */
		if (r->report_id != loaded &&
		    (err = dict_load(s, r->report_id)) != CS_OK)
			break;
		loaded = r->report_id;
		err = event_unpack(s->dict, form, r->data_len, a, &r->data,
		                   &r->data_len);
		if (err == CS_E_TOOBIG)
			break;
		if (err != CS_OK) {
			snprintf(
			    s->err, sizeof(s->err),
			    "event %lld cannot be read from its stored form",
			    (long long)r->id);
			log_warnx("msg=\"%s\"", s->err);
			err = CS_E_DB;
		}
	}
	return err;
}

static void
bind_filter(sqlite3_stmt *q, const struct event_filter *f, const struct page *p,
            int limit)
{
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
	sqlite3_bind_int(q, 13, limit);
}

/*
 * By address: the index is (id >> EVENT_IP_CHUNK_BITS, source_ip), so
 * that storing a batch touches only the pages of the newest id range
 * instead of random pages all over an index as large as the table (see
 * migration 0014). The ranges are searched newest first, each one an index
 * range scan, until the page is full.
 */
static enum cs_err
list_by_ip(struct sq *s, struct arena *a, const struct event_filter *f,
           const struct page *p, struct event_row **items_out, size_t *n_out)
{
	static const char by_chunk[] =
	    EVENT_FROM "WHERE (e.id >> 16) = ?14 AND e.source_ip BETWEEN ?8 "
	               "AND ?9 AND" EVENT_WHERE;
	sqlite3_stmt *b = sq_prep(s, "SELECT min(id), max(id) FROM feed_event");
	sqlite3_stmt *q = sq_prep(s, by_chunk);
	struct event_row *items;
	int64_t lo = 0, hi = -1;
	size_t n = 0;
	int rc = SQLITE_DONE;

	if (b == NULL || q == NULL)
		return CS_E_DB;
	if (sqlite3_step(b) == SQLITE_ROW &&
	    sqlite3_column_type(b, 0) != SQLITE_NULL) {
		lo = sqlite3_column_int64(b, 0);
		hi = sqlite3_column_int64(b, 1);
	}
	sq_done(b);
	if (p->after > 0 && p->after - 1 < hi)
		hi = p->after - 1;
	items = arena_alloc(a, sizeof(*items) * (size_t)p->limit);
	if (items == NULL)
		return CS_E_TOOBIG;
	memset(items, 0, sizeof(*items) * (size_t)p->limit);
	s->oom = false;
	for (int64_t c = hi >> EVENT_IP_CHUNK_BITS;
	     hi >= lo && c >= lo >> EVENT_IP_CHUNK_BITS && n < (size_t)p->limit;
	     c--) {
		bind_filter(q, f, p, p->limit - (int)n);
		sqlite3_bind_int64(q, 14, c);
		while (n < (size_t)p->limit &&
		       (rc = sqlite3_step(q)) == SQLITE_ROW)
			sq_event_row_read(s, a, q, &items[n++]);
		sq_done(q);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return sq_db_error(s, "event_list");
	}
	if (s->oom)
		return CS_E_TOOBIG;
	*items_out = items;
	*n_out = n;
	return sq_event_rows_unpack(s, a, items, n);
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
	static const char by_id[] = EVENT_FROM "WHERE" EVENT_WHERE;
	struct sq *s = SQ(st);
	const char *sql = by_id;
	sqlite3_stmt *q;

	if (f->org_id > 0)
		sql = by_org;
	else if (f->report_id > 0)
		sql = by_report;
	else if (f->has_range)
		return list_by_ip(s, a, f, p, items_out, n_out);
	if ((q = sq_prep(s, sql)) == NULL)
		return CS_E_DB;
	bind_filter(q, f, p, p->limit);
	COLLECT(s, a, q, struct event_row, items_out, n_out, p->limit,
	        sq_event_row_read(s, a, q, it_));
	return sq_event_rows_unpack(s, a, *items_out, *n_out);
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
