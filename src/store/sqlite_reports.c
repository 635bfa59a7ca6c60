/* sqlite_reports.c - incoming reports and their triage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

#define REPORT_COLS                                                            \
	"r.id, r.source, r.reporter, r.subject, r.body, r.language, r.tlp, "   \
	"r.status, r.incident_id, i.ref, r.received_at, r.created_by, "        \
	"r.triaged_by, r.triaged_at, r.version"

static void
read_report(struct sq *s, struct arena *a, sqlite3_stmt *q, struct report *r)
{
	const char *t;

	memset(r, 0, sizeof(*r));
	r->id = sq_col_i64(q, 0);
	r->source = sq_col_str(s, a, q, 1);
	r->reporter = sq_col_str(s, a, q, 2);
	r->subject = sq_col_str(s, a, q, 3);
	r->body = sq_col_str(s, a, q, 4);
	r->language = sq_col_str(s, a, q, 5);
	if ((t = (const char *)sqlite3_column_text(q, 6)) != NULL)
		(void)tlp_parse(t, &r->tlp);
	r->status = sq_col_str(s, a, q, 7);
	r->incident_id = sq_col_i64(q, 8);
	r->incident_ref = sq_col_str(s, a, q, 9);
	r->received_at = sq_col_i64(q, 10);
	r->created_by = sq_col_str(s, a, q, 11);
	r->triaged_by = sq_col_str(s, a, q, 12);
	r->triaged_at = sq_col_i64(q, 13);
	r->version = sq_col_i64(q, 14);
}

enum cs_err
sq_report_put(struct store *st, const struct report *r, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO report (source, reporter, subject, body, "
	       "language, tlp, received_at, created_by) VALUES (?1, ?2, ?3, "
	       "?4, ?5, ?6, ?7, ?8)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, r->source);
	sq_bind_str(q, 2, r->reporter ? r->reporter : "");
	sq_bind_str(q, 3, r->subject);
	sq_bind_str(q, 4, r->body);
	sq_bind_str(q, 5, r->language ? r->language : "");
	sq_bind_str(q, 6, tlp_name(r->tlp));
	sqlite3_bind_int64(q, 7, r->received_at);
	sq_bind_str(q, 8, r->created_by);
	if ((err = sq_run(s, q, "report_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_report_get(struct store *st, struct arena *a, int64_t id, struct report *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT " REPORT_COLS " FROM report r "
	                             "LEFT JOIN incident i ON i.id = "
	                             "r.incident_id WHERE r.id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = sq_row_begin(s, q, "report_get")) != CS_OK)
		return err;
	read_report(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_report_list(struct store *st, struct arena *a, const char *status,
               const char *source, const struct page *p,
               struct report **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " REPORT_COLS " FROM report r LEFT JOIN incident i ON "
	       "i.id = r.incident_id WHERE (?1 = 0 OR r.id < ?1) AND (?2 IS "
	       "NULL OR r.status = ?2) AND (?3 IS NULL OR r.source = ?3) "
	       "ORDER BY r.id DESC LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2, status);
	sq_bind_str(q, 3, source);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct report, items_out, n_out, p->limit,
	        read_report(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_report_triage(struct store *st, const struct report *r, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "UPDATE report SET status = ?2, incident_id = ?3, triaged_by = "
	       "?4, triaged_at = ?5, version = version + 1 WHERE id = ?1 AND "
	       "version = ?6");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, r->id);
	sq_bind_str(q, 2, r->status);
	sq_bind_time(q, 3, r->incident_id);
	sq_bind_str(q, 4, r->triaged_by);
	sqlite3_bind_int64(q, 5, now);
	sqlite3_bind_int64(q, 6, r->version);
	if ((err = sq_run(s, q, "report_triage")) != CS_OK)
		return err;
	return sqlite3_changes(s->db) == 1 ? CS_OK : CS_E_STALE;
}
