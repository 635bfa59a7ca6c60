/*
 * pg_events.c - feed reports, events and malformed records (the PostgreSQL
 * dialect of sqlite_events.c).
 *
 * Events go in with COPY ... FROM STDIN in text format: one round trip per
 * batch instead of one per row. Values are escaped as COPY's text format
 * wants (backslash, tab, newline, carriage return), NULL is \N and the
 * address is bytea's hex form.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/pg_int.h"

#define REPORT_COLS                                                            \
	"id, feed, report, source, sha256, size, state, records, events, "     \
	"stored, malformed, dropped, duplicates, error, spool, received_at, "  \
	"started_at, finished_at"

static void
read_report(struct pg *p, struct arena *a, struct pgstmt *q,
            struct feed_report *r)
{
	memset(r, 0, sizeof(*r));
	r->id = pg_col_i64(q, 0);
	r->feed = pg_col_str(p, a, q, 1);
	r->report = pg_col_str(p, a, q, 2);
	r->source = pg_col_str(p, a, q, 3);
	r->sha256 = pg_col_str(p, a, q, 4);
	r->size = pg_col_i64(q, 5);
	r->state = pg_col_str(p, a, q, 6);
	r->records = pg_col_i64(q, 7);
	r->events = pg_col_i64(q, 8);
	r->stored = pg_col_i64(q, 9);
	r->malformed = pg_col_i64(q, 10);
	r->dropped = pg_col_i64(q, 11);
	r->duplicates = pg_col_i64(q, 12);
	r->error = pg_col_str(p, a, q, 13);
	r->spool = pg_col_str(p, a, q, 14);
	r->received_at = pg_col_i64(q, 15);
	r->started_at = pg_col_i64(q, 16);
	r->finished_at = pg_col_i64(q, 17);
}

enum cs_err
pg_feed_report_put(struct store *st, const struct feed_report *r,
                   int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO feed_report (feed, report, source, sha256, size, "
	       "state, error, spool, received_at, started_at, finished_at) "
	       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON "
	       "CONFLICT (feed, sha256) DO NOTHING RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, r->feed);
	pg_bind_str(q, 2, r->report ? r->report : "");
	pg_bind_str(q, 3, r->source);
	pg_bind_str(q, 4, r->sha256);
	pg_bind_i64(q, 5, r->size);
	pg_bind_str(q, 6, r->state);
	pg_bind_str(q, 7, r->error);
	pg_bind_str(q, 8, r->spool);
	pg_bind_i64(q, 9, r->received_at);
	pg_bind_time(q, 10, r->started_at);
	pg_bind_time(q, 11, r->finished_at);
	err = pg_row_begin(p, q, "feed_report_put");
	if (err == CS_E_NOTFOUND)
		return CS_E_CONFLICT;
	if (err != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_feed_report_get(struct store *st, struct arena *a, int64_t id,
                   struct feed_report *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT " REPORT_COLS " FROM feed_report WHERE id = $1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	if ((err = pg_row_begin(p, q, "feed_report_get")) != CS_OK)
		return err;
	read_report(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_feed_report_find(struct store *st, struct arena *a, const char *feed,
                    const char *sha256, struct feed_report *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT " REPORT_COLS " FROM feed_report "
	                              "WHERE feed = $1 AND sha256 = $2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, feed);
	pg_bind_str(q, 2, sha256);
	if ((err = pg_row_begin(p, q, "feed_report_find")) != CS_OK)
		return err;
	read_report(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_feed_report_list(struct store *st, struct arena *a, const char *feed,
                    const char *state, const struct page *pa,
                    struct feed_report **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " REPORT_COLS " FROM feed_report WHERE ($1::bigint = 0 "
	       "OR id < $1::bigint) AND ($2::text IS NULL OR feed = $2::text) "
	       "AND ($3::text IS NULL OR state = $3::text) ORDER BY id DESC "
	       "LIMIT $4::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_str(q, 2, feed);
	pg_bind_str(q, 3, state);
	pg_bind_i64(q, 4, pa->limit);
	PG_COLLECT(p, a, q, struct feed_report, items_out, n_out, pa->limit,
	           read_report(p, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_feed_report_update(struct store *st, const struct feed_report *r,
                      int64_t expect_records)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE feed_report SET state = $2, records = $3, events = $4, "
	       "stored = $5, malformed = $6, dropped = $7, duplicates = $8, "
	       "error = $9, spool = $10, started_at = $11, finished_at = $12 "
	       "WHERE id = $1 AND ($13::bigint < 0 OR records = $13::bigint)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, r->id);
	pg_bind_str(q, 2, r->state);
	pg_bind_i64(q, 3, r->records);
	pg_bind_i64(q, 4, r->events);
	pg_bind_i64(q, 5, r->stored);
	pg_bind_i64(q, 6, r->malformed);
	pg_bind_i64(q, 7, r->dropped);
	pg_bind_i64(q, 8, r->duplicates);
	pg_bind_str(q, 9, r->error);
	pg_bind_str(q, 10, r->spool);
	pg_bind_time(q, 11, r->started_at);
	pg_bind_time(q, 12, r->finished_at);
	pg_bind_i64(q, 13, expect_records);
	err = pg_changed_one(p, pg_run(p, q, "feed_report_update"));
	return err == CS_E_NOTFOUND && expect_records >= 0 ? CS_E_STALE : err;
}

/* ---- COPY of events ---- */

struct copybuf {
	char *b;
	size_t n, cap;
	bool oom;
};

static void
cb_put(struct copybuf *c, const char *s, size_t n)
{
	if (c->oom)
		return;
	if (c->n + n > c->cap) {
		size_t cap = c->cap ? c->cap : 64 * 1024;
		char *nb;

		while (cap < c->n + n)
			cap *= 2;
		if ((nb = realloc(c->b, cap)) == NULL) {
			c->oom = true;
			return;
		}
		c->b = nb;
		c->cap = cap;
	}
	memcpy(c->b + c->n, s, n);
	c->n += n;
}

static void
cb_text(struct copybuf *c, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc = NULL;

		switch (s[i]) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		cb_put(c, s + run, i - run);
		cb_put(c, esc, 2);
		run = i + 1;
	}
	cb_put(c, s + run, n - run);
}

static void
cb_str(struct copybuf *c, const char *s, char end)
{
	if (s == NULL)
		cb_put(c, "\\N", 2);
	else
		cb_text(c, s, strlen(s));
	cb_put(c, &end, 1);
}

static void
cb_int(struct copybuf *c, bool present, int64_t v, char end)
{
	char num[24];
	int n;

	if (!present) {
		cb_put(c, "\\N", 2);
	} else {
		n = snprintf(num, sizeof(num), "%lld", (long long)v);
		cb_put(c, num, (size_t)n);
	}
	cb_put(c, &end, 1);
}

static void
cb_ip(struct copybuf *c, const struct stored_event *e)
{
	static const char hex[] = "0123456789abcdef";
	char t[4 + 2 * EVENT_IP_BYTES];

	if (!e->has_ip) {
		cb_put(c, "\\N\t", 3);
		return;
	}
	memcpy(t, "\\\\x", 3); /* \\x: bytea's \x, with COPY's escape */
	for (size_t i = 0; i < EVENT_IP_BYTES; i++) {
		t[3 + 2 * i] = hex[e->source_ip[i] >> 4];
		t[4 + 2 * i] = hex[e->source_ip[i] & 15];
	}
	t[3 + 2 * EVENT_IP_BYTES] = '\t';
	cb_put(c, t, sizeof(t));
}

static void
cb_bytes(struct copybuf *c, const uint8_t *b, size_t n, char end)
{
	static const char hex[] = "0123456789abcdef";
	char t[256];
	size_t o = 0;

	cb_put(c, "\\\\x", 3); /* \\x: bytea's \x, with COPY's escape */
	for (size_t i = 0; i < n; i++) {
		t[o++] = hex[b[i] >> 4];
		t[o++] = hex[b[i] & 15];
		if (o == sizeof(t)) {
			cb_put(c, t, o);
			o = 0;
		}
	}
	cb_put(c, t, o);
	cb_put(c, &end, 1);
}

/* Loads report_id's codes into the connection's dictionary. */
static enum cs_err
dict_load(struct pg *p, int64_t report_id)
{
	struct pgstmt *q = pg_prep(p, "SELECT code, name, value FROM "
	                              "feed_field WHERE report_id = $1 "
	                              "ORDER BY code");
	enum cs_err err = CS_OK;

	if (q == NULL)
		return CS_E_DB;
	if (p->dict == NULL)
		p->dict = event_dict_new();
	event_dict_reset(p->dict);
	pg_bind_i64(q, 1, report_id);
	while (err == CS_OK && pg_step(p, q)) {
		const char *k = pg_col_text(q, 1), *v = pg_col_text(q, 2);

		err = event_dict_load(p->dict, pg_col_i64(q, 0), k, strlen(k),
		                      v, strlen(v));
	}
	if (pg_failed(q)) {
		pg_done(q);
		return CS_E_DB;
	}
	pg_done(q);
	if (err != CS_OK) {
		snprintf(p->err, sizeof(p->err),
		         "feed_field: report %lld has a damaged dictionary",
		         (long long)report_id);
		return CS_E_DB;
	}
	return CS_OK;
}

/* Stores the codes the packer added. */
static enum cs_err
dict_save(struct pg *p, int64_t report_id)
{
	struct pgstmt *q = pg_prep(p, "INSERT INTO feed_field (report_id, "
	                              "code, name, value) VALUES ($1, $2, $3, "
	                              "$4)");
	enum cs_err err = CS_OK;

	if (q == NULL)
		return CS_E_DB;
	for (size_t i = event_dict_saved(p->dict);
	     i < event_dict_count(p->dict) && err == CS_OK; i++) {
		const char *k, *v;
		size_t kn, vn;
		char *kz, *vz;

		event_dict_get(p->dict, i, &k, &kn, &v, &vn);
		kz = xmalloc(kn + 1);
		vz = xmalloc(vn + 1);
		memcpy(kz, k, kn);
		kz[kn] = '\0';
		memcpy(vz, v, vn);
		vz[vn] = '\0';
		pg_bind_i64(q, 1, report_id);
		pg_bind_i64(q, 2, (int64_t)i);
		pg_bind_str(q, 3, kz);
		pg_bind_str(q, 4, vz);
		err = pg_run(p, q, "feed_field");
		free(kz);
		free(vz);
	}
	if (err == CS_OK)
		event_dict_mark_saved(p->dict);
	return err;
}

enum cs_err
pg_event_append(struct store *st, int64_t report_id, const char *feed,
                int64_t stored_at, const struct stored_event *ev, size_t n)
{
	struct pg *p = PG(st);
	struct copybuf c = {0};
	PGresult *res;
	uint8_t *form = NULL;
	size_t form_cap = 0, form_len = 0;
	enum cs_err err = CS_OK;

	if (n == 0)
		return CS_OK;
	/* the dictionary as committed: writers of events queue on the
	 * store's write lock, so this transaction is the only one adding */
	if ((err = dict_load(p, report_id)) != CS_OK)
		return err;
	for (size_t i = 0; i < n; i++) {
		const struct stored_event *e = &ev[i];

		/* the rows of one event (one per organisation) share its
		 * line: pack it once */
		if (i == 0 || e->data != ev[i - 1].data ||
		    e->data_len != ev[i - 1].data_len) {
			if (form_cap < EVENT_PACK_ROOM(e->data_len)) {
				form_cap = EVENT_PACK_ROOM(e->data_len) * 2;
				form = xrealloc(form, form_cap);
			}
			event_pack(p->dict, e->data, e->data_len, form,
			           form_cap, &form_len);
		}
		cb_int(&c, true, report_id, '\t');
		cb_int(&c, e->org_id > 0, e->org_id, '\t');
		cb_str(&c, feed, '\t');
		cb_int(&c, e->has_time, e->time_source, '\t');
		cb_ip(&c, e);
		cb_int(&c, e->source_asn > 0, e->source_asn, '\t');
		cb_str(&c, e->taxonomy, '\t');
		cb_str(&c, e->type, '\t');
		cb_str(&c, e->identifier, '\t');
		cb_str(&c, e->tlp, '\t');
		cb_int(&c, true, e->notify, '\t');
		cb_bytes(&c, form, form_len, '\t');
		cb_int(&c, true, stored_at, '\n');
	}
	free(form);
	if (c.oom) {
		free(c.b);
		snprintf(p->err, sizeof(p->err), "event_append: out of memory");
		return CS_E_TOOBIG;
	}
	/* new codes go in before the rows using them */
	if ((err = dict_save(p, report_id)) != CS_OK) {
		free(c.b);
		return err;
	}
	res = PQexec(p->conn,
	             "COPY feed_event (report_id, org_id, feed, time_source, "
	             "source_ip, source_asn, taxonomy, type, identifier, tlp, "
	             "notify, data, stored_at) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		err = pg_error(p, res, "event_append");
		PQclear(res);
		free(c.b);
		return err;
	}
	PQclear(res);
	if (PQputCopyData(p->conn, c.b, (int)c.n) != 1 ||
	    PQputCopyEnd(p->conn, NULL) != 1) {
		snprintf(p->err, sizeof(p->err), "event_append: %s",
		         PQerrorMessage(p->conn));
		err = CS_E_DB;
	}
	free(c.b);
	while ((res = PQgetResult(p->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && err == CS_OK)
			err = pg_error(p, res, "event_append");
		PQclear(res);
	}
	return err;
}

#define EVENT_COLS                                                             \
	"e.id, e.report_id, e.org_id, e.stored_at, e.feed, e.tlp, "            \
	"o.short_name, e.data, e.notify"
#define EVENT_WHERE                                                            \
	" ($1::bigint = 0 OR e.id < $1::bigint) AND ($2::bigint = 0 OR "       \
	"($2::bigint = -1 AND e.org_id IS NULL) OR e.org_id = $2::bigint) "    \
	"AND ($3::bigint = 0 OR e.report_id = $3::bigint) AND ($4::text IS "   \
	"NULL OR e.feed = $4::text) AND ($5::text IS NULL OR e.taxonomy = "    \
	"$5::text) AND ($6::text IS NULL OR e.type = $6::text) AND ($7::text " \
	"IS NULL OR e.identifier = $7::text) AND ($8::bytea IS NULL OR "       \
	"e.source_ip BETWEEN $8::bytea AND $9::bytea) AND ($10::bigint IS "    \
	"NULL OR e.time_source >= $10::bigint) AND ($11::bigint IS NULL OR "   \
	"e.time_source <= $11::bigint) AND ($12::bigint = 0 OR e.tlp <> "      \
	"'red') ORDER BY e.id DESC LIMIT $13::bigint"
#define EVENT_FROM                                                             \
	"SELECT " EVENT_COLS " FROM feed_event e LEFT JOIN org o ON o.id = "   \
	"e.org_id "

void
pg_event_row_read(struct pg *p, struct arena *a, struct pgstmt *q,
                  struct event_row *r)
{
	r->id = pg_col_i64(q, 0);
	r->report_id = pg_col_i64(q, 1);
	r->org_id = pg_col_i64(q, 2);
	r->stored_at = pg_col_i64(q, 3);
	r->feed = pg_col_str(p, a, q, 4);
	r->tlp = pg_col_str(p, a, q, 5);
	r->org_short = pg_col_str(p, a, q, 6);
	/* the stored form, unpacked by pg_event_rows_unpack() */
	r->data = (const char *)pg_col_bytes(p, a, q, 7, &r->data_len);
	r->notify = pg_col_i64(q, 8) != 0;
}

/* The rows' stored forms into their lines, with each report's codes. */
enum cs_err
pg_event_rows_unpack(struct pg *p, struct arena *a, struct event_row *rows,
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
		    (err = dict_load(p, r->report_id)) != CS_OK)
			break;
		loaded = r->report_id;
		err = event_unpack(p->dict, form, r->data_len, a, &r->data,
		                   &r->data_len);
		if (err == CS_E_TOOBIG)
			break;
		if (err != CS_OK) {
			snprintf(
			    p->err, sizeof(p->err),
			    "event %lld cannot be read from its stored form",
			    (long long)r->id);
			log_warnx("msg=\"%s\"", p->err);
			err = CS_E_DB;
		}
	}
	return err;
}

enum cs_err
pg_event_list(struct store *st, struct arena *a, const struct event_filter *f,
              const struct page *pa, struct event_row **items_out,
              size_t *n_out)
{
	/* as in SQLite: lead with the indexed term the filter allows */
	static const char by_org[] =
	    EVENT_FROM "WHERE e.org_id = $2::bigint AND" EVENT_WHERE;
	static const char by_report[] =
	    EVENT_FROM "WHERE e.report_id = $3::bigint AND" EVENT_WHERE;
	static const char by_ip[] = EVENT_FROM "WHERE e.source_ip BETWEEN "
	                                       "$8::bytea AND $9::bytea "
	                                       "AND" EVENT_WHERE;
	static const char by_id[] = EVENT_FROM "WHERE" EVENT_WHERE;
	struct pg *p = PG(st);
	const char *sql = by_id;
	struct pgstmt *q;
	enum cs_err err;

	if (f->org_id > 0)
		sql = by_org;
	else if (f->report_id > 0)
		sql = by_report;
	else if (f->has_range)
		sql = by_ip;
	if ((q = pg_prep(p, sql)) == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_i64(q, 2, f->org_id);
	pg_bind_i64(q, 3, f->report_id);
	pg_bind_str(q, 4, f->feed);
	pg_bind_str(q, 5, f->taxonomy);
	pg_bind_str(q, 6, f->type);
	pg_bind_str(q, 7, f->identifier);
	if (f->has_range) {
		if ((err = pg_bind_bytes(q, 8, f->ip_lo, EVENT_IP_BYTES)) !=
		        CS_OK ||
		    (err = pg_bind_bytes(q, 9, f->ip_hi, EVENT_IP_BYTES)) !=
		        CS_OK) {
			pg_done(q);
			return err;
		}
	} else {
		pg_bind_null(q, 8);
		pg_bind_null(q, 9);
	}
	pg_bind_time(q, 10, f->since);
	pg_bind_time(q, 11, f->until);
	pg_bind_i64(q, 12, f->hide_red);
	pg_bind_i64(q, 13, pa->limit);
	PG_COLLECT(p, a, q, struct event_row, items_out, n_out, pa->limit,
	           pg_event_row_read(p, a, q, it_));
	return pg_event_rows_unpack(p, a, *items_out, *n_out);
}

enum cs_err
pg_feed_malformed_add(struct store *st, int64_t report_id, int64_t line,
                      const char *reason)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO feed_malformed (report_id, line, reason) VALUES "
	       "($1, $2, $3) ON CONFLICT (report_id, line) DO NOTHING");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, report_id);
	pg_bind_i64(q, 2, line);
	pg_bind_str(q, 3, reason);
	return pg_run(p, q, "feed_malformed_add");
}

enum cs_err
pg_feed_malformed_list(struct store *st, struct arena *a, int64_t report_id,
                       const struct page *pa, struct feed_malformed **items_out,
                       size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT line, reason FROM feed_malformed WHERE report_id = $1 "
	       "AND line > $2 ORDER BY line LIMIT $3");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, report_id);
	pg_bind_i64(q, 2, pa->after);
	pg_bind_i64(q, 3, pa->limit);
	PG_COLLECT(p, a, q, struct feed_malformed, items_out, n_out, pa->limit,
	           (it_->line = pg_col_i64(q, 0),
	            it_->reason = pg_col_str(p, a, q, 1)));
	return CS_OK;
}

enum cs_err
pg_feed_expire(struct store *st, const char *feed, int64_t before,
               int64_t *reports_out, int64_t *events_out)
{
	struct pg *p = PG(st);
	struct pgstmt *ev = pg_prep(
	    p, "DELETE FROM feed_event WHERE report_id IN (SELECT id FROM "
	       "feed_report WHERE feed = $1 AND received_at < $2 AND state IN "
	       "('done', 'failed'))");
	struct pgstmt *rep = pg_prep(
	    p, "DELETE FROM feed_report WHERE feed = $1 AND received_at < $2 "
	       "AND state IN ('done', 'failed')");
	enum cs_err err;

	if (ev == NULL || rep == NULL)
		return CS_E_DB;
	pg_bind_str(ev, 1, feed);
	pg_bind_i64(ev, 2, before);
	if ((err = pg_run(p, ev, "feed_expire")) != CS_OK)
		return err;
	*events_out = p->last_changes;
	pg_bind_str(rep, 1, feed);
	pg_bind_i64(rep, 2, before);
	if ((err = pg_run(p, rep, "feed_expire")) != CS_OK)
		return err;
	*reports_out = p->last_changes;
	return CS_OK;
}
