/* sqlite_mail.c - artefacts, correspondence threads and mail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

enum cs_err
sq_artefact_put(struct store *st, const struct artefact *f)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO artefact (sha256, size, content_type, data, "
	       "created_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sha256) "
	       "DO NOTHING");

	if (q == NULL)
		return CS_E_DB;
	if (f->size < 0 || (f->size > 0 && f->data == NULL)) {
		snprintf(s->err, sizeof(s->err), "artefact_put: no data");
		return CS_E_INVAL;
	}
	sq_bind_str(q, 1, f->sha256);
	sqlite3_bind_int64(q, 2, f->size);
	sq_bind_str(q, 3, f->content_type);
	sqlite3_bind_blob64(q, 4, f->size > 0 ? f->data : (const void *)"",
	                    (sqlite3_uint64)f->size, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, f->created_at);
	return sq_run(s, q, "artefact_put");
}

enum cs_err
sq_artefact_get(struct store *st, struct arena *a, const char *sha256,
                bool with_data, struct artefact *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT sha256, size, content_type, created_at, CASE WHEN ?2 "
	       "THEN data END FROM artefact WHERE sha256 = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, sha256);
	sqlite3_bind_int(q, 2, with_data);
	if ((err = sq_row_begin(s, q, "artefact_get")) != CS_OK)
		return err;
	memset(out, 0, sizeof(*out));
	out->sha256 = sq_col_str(s, a, q, 0);
	out->size = sq_col_i64(q, 1);
	out->content_type = sq_col_str(s, a, q, 2);
	out->created_at = sq_col_i64(q, 3);
	if (with_data) {
		size_t n = (size_t)sqlite3_column_bytes(q, 4);
		unsigned char *d = arena_alloc(a, n + 1);

		if (d == NULL) {
			sq_done(q);
			return CS_E_TOOBIG;
		}
		if (n > 0)
			memcpy(d, sqlite3_column_blob(q, 4), n);
		d[n] = 0;
		out->data = d;
	}
	return sq_row_end(s, q);
}

#define THREAD_COLS                                                            \
	"id, incident_id, kind, counterpart, contact_id, language, subject, "  \
	"created_by, created_at"

static void
read_thread(struct sq *s, struct arena *a, sqlite3_stmt *q,
            struct mail_thread *t)
{
	memset(t, 0, sizeof(*t));
	t->id = sq_col_i64(q, 0);
	t->incident_id = sq_col_i64(q, 1);
	t->kind = sq_col_str(s, a, q, 2);
	t->counterpart = sq_col_str(s, a, q, 3);
	t->contact_id = sq_col_i64(q, 4);
	t->language = sq_col_str(s, a, q, 5);
	t->subject = sq_col_str(s, a, q, 6);
	t->created_by = sq_col_str(s, a, q, 7);
	t->created_at = sq_col_i64(q, 8);
}

enum cs_err
sq_thread_put(struct store *st, const struct mail_thread *t, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s,
	    "INSERT INTO thread (incident_id, kind, counterpart, contact_id, "
	    "language, subject, created_by, created_at) VALUES (?1, ?2, ?3, "
	    "?4, ?5, ?6, ?7, ?8)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, t->incident_id);
	sq_bind_str(q, 2, t->kind);
	sq_bind_str(q, 3, t->counterpart);
	sq_bind_time(q, 4, t->contact_id);
	sq_bind_str(q, 5, t->language);
	sq_bind_str(q, 6, t->subject);
	sq_bind_str(q, 7, t->created_by);
	sqlite3_bind_int64(q, 8, t->created_at);
	if ((err = sq_run(s, q, "thread_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_thread_get(struct store *st, struct arena *a, int64_t incident_id,
              int64_t id, const char *counterpart, struct mail_thread *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " THREAD_COLS " FROM thread WHERE incident_id = ?1 AND "
	       "(CASE WHEN ?3 IS NULL THEN id = ?2 ELSE counterpart = ?3 END)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, id);
	sq_bind_str(q, 3, counterpart);
	if ((err = sq_row_begin(s, q, "thread_get")) != CS_OK)
		return err;
	read_thread(s, a, q, out);
	return sq_row_end(s, q);
}

#define THREADS_MAX 1000

enum cs_err
sq_thread_list(struct store *st, struct arena *a, int64_t incident_id,
               struct mail_thread **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT " THREAD_COLS " FROM thread "
	                             "WHERE incident_id = ?1 ORDER BY id");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	COLLECT(s, a, q, struct mail_thread, items_out, n_out, THREADS_MAX,
	        read_thread(s, a, q, it_));
	return CS_OK;
}

/* Files of a mail or a report: the same columns in two tables, numbered
 * from 1 in the order given. */
#define MAIL_ATTACH_SQL                                                        \
	"INSERT INTO mail_attachment (mail_id, seq, sha256, filename, "        \
	"content_type, size) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 "   \
	"FROM mail_attachment WHERE mail_id = ?1), ?2, ?3, ?4, ?5)"
#define REPORT_ATTACH_SQL                                                      \
	"INSERT INTO report_attachment (report_id, seq, sha256, filename, "    \
	"content_type, size) VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 "   \
	"FROM report_attachment WHERE report_id = ?1), ?2, ?3, ?4, ?5)"
#define MAIL_ATTACHMENTS_SQL                                                   \
	"SELECT sha256, filename, content_type, size FROM mail_attachment "    \
	"WHERE mail_id = ?1 ORDER BY seq"
#define REPORT_ATTACHMENTS_SQL                                                 \
	"SELECT sha256, filename, content_type, size FROM report_attachment "  \
	"WHERE report_id = ?1 ORDER BY seq"

static enum cs_err
put_attachments(struct sq *s, const char *sql, int64_t owner,
                const struct mail_attachment *f, size_t n)
{
	enum cs_err err;

	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *q = sq_prep(s, sql);

		if (q == NULL)
			return CS_E_DB;
		sqlite3_bind_int64(q, 1, owner);
		sq_bind_str(q, 2, f[i].sha256);
		sq_bind_str(q, 3, f[i].filename);
		sq_bind_str(q, 4, f[i].content_type);
		sqlite3_bind_int64(q, 5, f[i].size);
		if ((err = sq_run(s, q, "attachment_put")) != CS_OK)
			return err;
	}
	return CS_OK;
}

static enum cs_err
collect_attachments(struct sq *s, struct arena *a, const char *sql,
                    int64_t owner, struct mail_attachment **items_out,
                    size_t *n_out)
{
	sqlite3_stmt *q = sq_prep(s, sql);

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, owner);
	COLLECT(s, a, q, struct mail_attachment, items_out, n_out,
	        MAIL_ATTACHMENTS_MAX, {
		        it_->sha256 = sq_col_str(s, a, q, 0);
		        it_->filename = sq_col_str(s, a, q, 1);
		        it_->content_type = sq_col_str(s, a, q, 2);
		        it_->size = sq_col_i64(q, 3);
	        });
	return CS_OK;
}

#define MAIL_COLS                                                              \
	"m.id, m.direction, m.state, m.message_id, m.in_reply_to, m.sender, "  \
	"m.recipients, m.subject, m.raw_sha256, m.incident_id, i.ref, "        \
	"m.thread_id, m.report_id, m.entry_id, m.encrypted, m.auto_reply, "    \
	"m.signature, m.signer, m.error, m.created_by, m.created_at, "         \
	"m.sent_at"

static void
read_mail(struct sq *s, struct arena *a, sqlite3_stmt *q, struct mail *m)
{
	memset(m, 0, sizeof(*m));
	m->id = sq_col_i64(q, 0);
	m->direction = sq_col_str(s, a, q, 1);
	m->state = sq_col_str(s, a, q, 2);
	m->message_id = sq_col_str(s, a, q, 3);
	m->in_reply_to = sq_col_str(s, a, q, 4);
	m->sender = sq_col_str(s, a, q, 5);
	m->recipients = sq_col_str(s, a, q, 6);
	m->subject = sq_col_str(s, a, q, 7);
	m->raw_sha256 = sq_col_str(s, a, q, 8);
	m->incident_id = sq_col_i64(q, 9);
	m->incident_ref = sq_col_str(s, a, q, 10);
	m->thread_id = sq_col_i64(q, 11);
	m->report_id = sq_col_i64(q, 12);
	m->entry_id = sq_col_i64(q, 13);
	m->encrypted = sq_col_i64(q, 14) != 0;
	m->auto_reply = sq_col_i64(q, 15) != 0;
	m->signature = sq_col_str(s, a, q, 16);
	m->signer = sq_col_str(s, a, q, 17);
	m->error = sq_col_str(s, a, q, 18);
	m->created_by = sq_col_str(s, a, q, 19);
	m->created_at = sq_col_i64(q, 20);
	m->sent_at = sq_col_i64(q, 21);
}

enum cs_err
sq_mail_put(struct store *st, const struct mail *m, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO mail (direction, state, message_id, in_reply_to, "
	       "sender, recipients, subject, raw_sha256, incident_id, "
	       "thread_id, report_id, entry_id, encrypted, auto_reply, "
	       "signature, signer, error, created_by, created_at, sent_at) "
	       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
	       "?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)");
	enum cs_err err;
	int64_t id;

	if (q == NULL)
		return CS_E_DB;
	/* mail_get reads back at most MAIL_ATTACHMENTS_MAX */
	if (m->n_attachments > MAIL_ATTACHMENTS_MAX) {
		snprintf(s->err, sizeof(s->err),
		         "mail_put: more than %d attachments",
		         MAIL_ATTACHMENTS_MAX);
		return CS_E_TOOBIG;
	}
	sq_bind_str(q, 1, m->direction);
	sq_bind_str(q, 2, m->state);
	sq_bind_str(q, 3, m->message_id);
	sq_bind_str(q, 4, m->in_reply_to ? m->in_reply_to : "");
	sq_bind_str(q, 5, m->sender ? m->sender : "");
	sq_bind_str(q, 6, m->recipients ? m->recipients : "");
	sq_bind_str(q, 7, m->subject ? m->subject : "");
	sq_bind_str(q, 8, m->raw_sha256);
	sq_bind_time(q, 9, m->incident_id);
	sq_bind_time(q, 10, m->thread_id);
	sq_bind_time(q, 11, m->report_id);
	sq_bind_time(q, 12, m->entry_id);
	sqlite3_bind_int(q, 13, m->encrypted);
	sqlite3_bind_int(q, 14, m->auto_reply);
	sq_bind_str(q, 15, m->signature ? m->signature : "none");
	sq_bind_str(q, 16, m->signer ? m->signer : "");
	sq_bind_str(q, 17, m->error ? m->error : "");
	sq_bind_str(q, 18, m->created_by);
	sqlite3_bind_int64(q, 19, m->created_at);
	sq_bind_time(q, 20, m->sent_at);
	if ((err = sq_run(s, q, "mail_put")) != CS_OK)
		return err;
	id = sqlite3_last_insert_rowid(s->db);
	if ((err = put_attachments(s, MAIL_ATTACH_SQL, id, m->attachments,
	                           m->n_attachments)) != CS_OK)
		return err;
	*id_out = id;
	return CS_OK;
}

static enum cs_err
read_attachments(struct sq *s, struct arena *a, struct mail *m)
{
	return collect_attachments(s, a, MAIL_ATTACHMENTS_SQL, m->id,
	                           &m->attachments, &m->n_attachments);
}

enum cs_err
sq_mail_get(struct store *st, struct arena *a, int64_t id, struct mail *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT " MAIL_COLS " FROM mail m LEFT "
	                             "JOIN incident i ON i.id = m.incident_id "
	                             "WHERE m.id = ?1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	if ((err = sq_row_begin(s, q, "mail_get")) != CS_OK)
		return err;
	read_mail(s, a, q, out);
	if ((err = sq_row_end(s, q)) != CS_OK)
		return err;
	return read_attachments(s, a, out);
}

enum cs_err
sq_mail_find(struct store *st, struct arena *a, const char *message_id,
             struct mail *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " MAIL_COLS " FROM mail m LEFT JOIN incident i ON i.id "
	       "= m.incident_id WHERE m.message_id = ?1 AND (m.incident_id IS "
	       "NOT NULL OR m.report_id IS NOT NULL) ORDER BY m.id DESC LIMIT "
	       "1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, message_id);
	if ((err = sq_row_begin(s, q, "mail_find")) != CS_OK)
		return err;
	read_mail(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_mail_list(struct store *st, struct arena *a, const struct mail_filter *f,
             const struct page *p, struct mail **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " MAIL_COLS " FROM mail m LEFT JOIN incident i ON i.id "
	       "= m.incident_id WHERE (?1 = 0 OR m.id < ?1) AND (?2 IS NULL OR "
	       "m.state = ?2) AND (?3 IS NULL OR m.direction = ?3) AND (?4 = 0 "
	       "OR m.incident_id = ?4) AND (?5 = 0 OR m.thread_id = ?5) ORDER "
	       "BY m.id DESC LIMIT ?6");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2, f->state);
	sq_bind_str(q, 3, f->direction);
	sqlite3_bind_int64(q, 4, f->incident_id);
	sqlite3_bind_int64(q, 5, f->thread_id);
	sqlite3_bind_int(q, 6, p->limit);
	COLLECT(s, a, q, struct mail, items_out, n_out, p->limit,
	        read_mail(s, a, q, it_));
	/* a listed mail carries its attachments as mail_get gives them */
	for (size_t i = 0; i < *n_out; i++) {
		enum cs_err err = read_attachments(s, a, &(*items_out)[i]);

		if (err != CS_OK)
			return err;
	}
	return CS_OK;
}

enum cs_err
sq_mail_set_state(struct store *st, int64_t id, const char *state,
                  const char *error, int64_t sent_at)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "UPDATE mail SET state = ?2, error = COALESCE(?3, error), "
	       "sent_at = CASE WHEN ?4 = 0 THEN sent_at ELSE ?4 END WHERE id = "
	       "?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sq_bind_str(q, 2, state);
	sq_bind_str(q, 3, error);
	sqlite3_bind_int64(q, 4, sent_at);
	return sq_changed_one(s, sq_run(s, q, "mail_set_state"));
}

enum cs_err
sq_report_attach(struct store *st, int64_t report_id,
                 const struct mail_attachment *f, size_t n)
{
	return put_attachments(SQ(st), REPORT_ATTACH_SQL, report_id, f, n);
}

enum cs_err
sq_report_attachments(struct store *st, struct arena *a, int64_t report_id,
                      struct mail_attachment **items_out, size_t *n_out)
{
	return collect_attachments(SQ(st), a, REPORT_ATTACHMENTS_SQL, report_id,
	                           items_out, n_out);
}

enum cs_err
sq_mail_by_raw(struct store *st, const char *sha256, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT id FROM mail WHERE raw_sha256 = "
	                             "?1 AND direction = 'in' ORDER BY id "
	                             "LIMIT 1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, sha256);
	if ((err = sq_row_begin(s, q, "mail_by_raw")) != CS_OK)
		return err;
	*id_out = sq_col_i64(q, 0);
	return sq_row_end(s, q);
}
