/*
 * pg_mail.c - artefacts, correspondence threads and mail (the PostgreSQL
 * dialect of sqlite_mail.c).
 *
 * An artefact's bytes travel as a binary parameter and come back through
 * pg_col_bytes(). Inserts that may meet an existing row (an artefact seen
 * before, a second thread with one counterpart) say ON CONFLICT DO
 * NOTHING: a constraint violation would abort the whole PostgreSQL
 * transaction, where SQLite only fails the one statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg_int.h"

/* ---- artefacts ---- */

enum cs_err
pg_artefact_put(struct store *st, const struct artefact *f)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO artefact (sha256, size, content_type, data, "
	       "created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) "
	       "DO NOTHING");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if (f->size < 0 || (f->size > 0 && f->data == NULL)) {
		snprintf(p->err, sizeof(p->err), "artefact_put: no data");
		return CS_E_INVAL;
	}
	pg_bind_str(q, 1, f->sha256);
	pg_bind_i64(q, 2, f->size);
	pg_bind_str(q, 3, f->content_type);
	if ((err = pg_bind_bytes(q, 4, f->data, (size_t)f->size)) != CS_OK) {
		pg_done(q);
		snprintf(p->err, sizeof(p->err), "artefact_put: too big");
		return err;
	}
	pg_bind_i64(q, 5, f->created_at);
	return pg_run(p, q, "artefact_put");
}

enum cs_err
pg_artefact_get(struct store *st, struct arena *a, const char *sha256,
                bool with_data, struct artefact *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT sha256, size, content_type, created_at, CASE WHEN "
	       "$2::bigint <> 0 THEN data END FROM artefact WHERE sha256 = "
	       "$1::text");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, sha256);
	pg_bind_i64(q, 2, with_data);
	if ((err = pg_row_begin(p, q, "artefact_get")) != CS_OK)
		return err;
	memset(out, 0, sizeof(*out));
	out->sha256 = pg_col_str(p, a, q, 0);
	out->size = pg_col_i64(q, 1);
	out->content_type = pg_col_str(p, a, q, 2);
	out->created_at = pg_col_i64(q, 3);
	if (with_data) {
		size_t n;

		out->data = pg_col_bytes(p, a, q, 4, &n);
	}
	return pg_row_end(p, q);
}

/* ---- threads ---- */

#define THREAD_COLS                                                            \
	"id, incident_id, kind, counterpart, contact_id, language, subject, "  \
	"created_by, created_at"

static void
read_thread(struct pg *p, struct arena *a, struct pgstmt *q,
            struct mail_thread *t)
{
	memset(t, 0, sizeof(*t));
	t->id = pg_col_i64(q, 0);
	t->incident_id = pg_col_i64(q, 1);
	t->kind = pg_col_str(p, a, q, 2);
	t->counterpart = pg_col_str(p, a, q, 3);
	t->contact_id = pg_col_i64(q, 4);
	t->language = pg_col_str(p, a, q, 5);
	t->subject = pg_col_str(p, a, q, 6);
	t->created_by = pg_col_str(p, a, q, 7);
	t->created_at = pg_col_i64(q, 8);
}

enum cs_err
pg_thread_put(struct store *st, const struct mail_thread *t, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p,
	    "INSERT INTO thread (incident_id, kind, counterpart, contact_id, "
	    "language, subject, created_by, created_at) VALUES ($1, $2, $3, "
	    "$4, $5, $6, $7, $8) ON CONFLICT (incident_id, counterpart) DO "
	    "NOTHING RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, t->incident_id);
	pg_bind_str(q, 2, t->kind);
	pg_bind_str(q, 3, t->counterpart);
	pg_bind_time(q, 4, t->contact_id);
	pg_bind_str(q, 5, t->language);
	pg_bind_str(q, 6, t->subject);
	pg_bind_str(q, 7, t->created_by);
	pg_bind_i64(q, 8, t->created_at);
	if ((err = pg_row_begin(p, q, "thread_put")) != CS_OK) {
		if (err == CS_E_NOTFOUND) {
			snprintf(p->err, sizeof(p->err),
			         "thread_put: the incident has a thread with "
			         "this counterpart already");
			err = CS_E_CONFLICT;
		}
		return err;
	}
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_thread_get(struct store *st, struct arena *a, int64_t incident_id,
              int64_t id, const char *counterpart, struct mail_thread *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p,
	    "SELECT " THREAD_COLS " FROM thread WHERE incident_id = "
	    "$1::bigint AND (CASE WHEN $3::text IS NULL THEN id = $2::bigint "
	    "ELSE counterpart = $3::text END)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	pg_bind_i64(q, 2, id);
	pg_bind_str(q, 3, counterpart);
	if ((err = pg_row_begin(p, q, "thread_get")) != CS_OK)
		return err;
	read_thread(p, a, q, out);
	return pg_row_end(p, q);
}

#define THREADS_MAX 1000

enum cs_err
pg_thread_list(struct store *st, struct arena *a, int64_t incident_id,
               struct mail_thread **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT " THREAD_COLS " FROM thread "
	                              "WHERE incident_id = $1::bigint ORDER "
	                              "BY id LIMIT 1000");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	PG_COLLECT(p, a, q, struct mail_thread, items_out, n_out, THREADS_MAX,
	           read_thread(p, a, q, it_));
	return CS_OK;
}

/* ---- mail ---- */

/* Files of a mail or a report: the same columns in two tables, numbered
 * from 1 in the order given. */
#define MAIL_ATTACH_SQL                                                        \
	"INSERT INTO mail_attachment (mail_id, seq, sha256, filename, "        \
	"content_type, size) VALUES ($1::bigint, (SELECT COALESCE(MAX(seq), "  \
	"0) + 1 "                                                              \
	"FROM mail_attachment WHERE mail_id = $1::bigint), $2, $3, $4, $5)"
#define REPORT_ATTACH_SQL                                                      \
	"INSERT INTO report_attachment (report_id, seq, sha256, filename, "    \
	"content_type, size) VALUES ($1::bigint, (SELECT COALESCE(MAX(seq), "  \
	"0) + 1 "                                                              \
	"FROM report_attachment WHERE report_id = $1::bigint), $2, $3, $4, "   \
	"$5)"
#define MAIL_ATTACHMENTS_SQL                                                   \
	"SELECT sha256, filename, content_type, size FROM mail_attachment "    \
	"WHERE mail_id = $1::bigint ORDER BY seq"
#define REPORT_ATTACHMENTS_SQL                                                 \
	"SELECT sha256, filename, content_type, size FROM report_attachment "  \
	"WHERE report_id = $1::bigint ORDER BY seq"

static enum cs_err
put_attachments(struct pg *p, const char *sql, int64_t owner,
                const struct mail_attachment *f, size_t n)
{
	enum cs_err err;

	for (size_t i = 0; i < n; i++) {
		struct pgstmt *q = pg_prep(p, sql);

		if (q == NULL)
			return CS_E_DB;
		pg_bind_i64(q, 1, owner);
		pg_bind_str(q, 2, f[i].sha256);
		pg_bind_str(q, 3, f[i].filename);
		pg_bind_str(q, 4, f[i].content_type);
		pg_bind_i64(q, 5, f[i].size);
		if ((err = pg_run(p, q, "attachment_put")) != CS_OK)
			return err;
	}
	return CS_OK;
}

static enum cs_err
collect_attachments(struct pg *p, struct arena *a, const char *sql,
                    int64_t owner, struct mail_attachment **items_out,
                    size_t *n_out)
{
	struct pgstmt *q = pg_prep(p, sql);

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, owner);
	PG_COLLECT(p, a, q, struct mail_attachment, items_out, n_out,
	           MAIL_ATTACHMENTS_MAX, {
		           it_->sha256 = pg_col_str(p, a, q, 0);
		           it_->filename = pg_col_str(p, a, q, 1);
		           it_->content_type = pg_col_str(p, a, q, 2);
		           it_->size = pg_col_i64(q, 3);
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
read_mail(struct pg *p, struct arena *a, struct pgstmt *q, struct mail *m)
{
	memset(m, 0, sizeof(*m));
	m->id = pg_col_i64(q, 0);
	m->direction = pg_col_str(p, a, q, 1);
	m->state = pg_col_str(p, a, q, 2);
	m->message_id = pg_col_str(p, a, q, 3);
	m->in_reply_to = pg_col_str(p, a, q, 4);
	m->sender = pg_col_str(p, a, q, 5);
	m->recipients = pg_col_str(p, a, q, 6);
	m->subject = pg_col_str(p, a, q, 7);
	m->raw_sha256 = pg_col_str(p, a, q, 8);
	m->incident_id = pg_col_i64(q, 9);
	m->incident_ref = pg_col_str(p, a, q, 10);
	m->thread_id = pg_col_i64(q, 11);
	m->report_id = pg_col_i64(q, 12);
	m->entry_id = pg_col_i64(q, 13);
	m->encrypted = pg_col_i64(q, 14) != 0;
	m->auto_reply = pg_col_i64(q, 15) != 0;
	m->signature = pg_col_str(p, a, q, 16);
	m->signer = pg_col_str(p, a, q, 17);
	m->error = pg_col_str(p, a, q, 18);
	m->created_by = pg_col_str(p, a, q, 19);
	m->created_at = pg_col_i64(q, 20);
	m->sent_at = pg_col_i64(q, 21);
}

/* Runs an INSERT ... RETURNING id. */
static enum cs_err
insert_id(struct pg *p, struct pgstmt *q, const char *what, int64_t *id_out)
{
	enum cs_err err;

	if ((err = pg_row_begin(p, q, what)) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_mail_put(struct store *st, const struct mail *m, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO mail (direction, state, message_id, in_reply_to, "
	       "sender, recipients, subject, raw_sha256, incident_id, "
	       "thread_id, report_id, entry_id, encrypted, auto_reply, "
	       "signature, signer, error, created_by, created_at, sent_at) "
	       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
	       "$13, $14, $15, $16, $17, $18, $19, $20) RETURNING id");
	enum cs_err err;
	int64_t id;

	if (q == NULL)
		return CS_E_DB;
	if (m->n_attachments > MAIL_ATTACHMENTS_MAX) {
		snprintf(p->err, sizeof(p->err),
		         "mail_put: more than %d attachments",
		         MAIL_ATTACHMENTS_MAX);
		return CS_E_TOOBIG;
	}
	pg_bind_str(q, 1, m->direction);
	pg_bind_str(q, 2, m->state);
	pg_bind_str(q, 3, m->message_id);
	pg_bind_str(q, 4, m->in_reply_to ? m->in_reply_to : "");
	pg_bind_str(q, 5, m->sender ? m->sender : "");
	pg_bind_str(q, 6, m->recipients ? m->recipients : "");
	pg_bind_str(q, 7, m->subject ? m->subject : "");
	pg_bind_str(q, 8, m->raw_sha256);
	pg_bind_time(q, 9, m->incident_id);
	pg_bind_time(q, 10, m->thread_id);
	pg_bind_time(q, 11, m->report_id);
	pg_bind_time(q, 12, m->entry_id);
	pg_bind_i64(q, 13, m->encrypted ? 1 : 0);
	pg_bind_i64(q, 14, m->auto_reply ? 1 : 0);
	pg_bind_str(q, 15, m->signature ? m->signature : "none");
	pg_bind_str(q, 16, m->signer ? m->signer : "");
	pg_bind_str(q, 17, m->error ? m->error : "");
	pg_bind_str(q, 18, m->created_by);
	pg_bind_i64(q, 19, m->created_at);
	pg_bind_time(q, 20, m->sent_at);
	if ((err = insert_id(p, q, "mail_put", &id)) != CS_OK)
		return err;
	if ((err = put_attachments(p, MAIL_ATTACH_SQL, id, m->attachments,
	                           m->n_attachments)) != CS_OK)
		return err;
	*id_out = id;
	return CS_OK;
}

static enum cs_err
read_attachments(struct pg *p, struct arena *a, struct mail *m)
{
	return collect_attachments(p, a, MAIL_ATTACHMENTS_SQL, m->id,
	                           &m->attachments, &m->n_attachments);
}

enum cs_err
pg_mail_get(struct store *st, struct arena *a, int64_t id, struct mail *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT " MAIL_COLS " FROM mail m LEFT "
	                              "JOIN incident i ON i.id = "
	                              "m.incident_id WHERE m.id = $1::bigint");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	if ((err = pg_row_begin(p, q, "mail_get")) != CS_OK)
		return err;
	read_mail(p, a, q, out);
	if ((err = pg_row_end(p, q)) != CS_OK)
		return err;
	return read_attachments(p, a, out);
}

enum cs_err
pg_mail_find(struct store *st, struct arena *a, const char *message_id,
             struct mail *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " MAIL_COLS " FROM mail m LEFT JOIN incident i ON i.id "
	       "= m.incident_id WHERE m.message_id = $1::text AND "
	       "(m.incident_id IS NOT NULL OR m.report_id IS NOT NULL) ORDER "
	       "BY m.id DESC LIMIT 1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, message_id);
	if ((err = pg_row_begin(p, q, "mail_find")) != CS_OK)
		return err;
	read_mail(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_mail_list(struct store *st, struct arena *a, const struct mail_filter *f,
             const struct page *pa, struct mail **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p,
	    "SELECT " MAIL_COLS " FROM mail m LEFT JOIN incident i ON i.id "
	    "= m.incident_id WHERE ($1::bigint = 0 OR m.id < $1::bigint) AND "
	    "($2::text IS NULL OR m.state = $2::text) AND ($3::text IS NULL "
	    "OR m.direction = $3::text) AND ($4::bigint = 0 OR "
	    "m.incident_id = $4::bigint) AND ($5::bigint = 0 OR m.thread_id "
	    "= $5::bigint) ORDER BY m.id DESC LIMIT $6::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_str(q, 2, f->state);
	pg_bind_str(q, 3, f->direction);
	pg_bind_i64(q, 4, f->incident_id);
	pg_bind_i64(q, 5, f->thread_id);
	pg_bind_i64(q, 6, pa->limit);
	PG_COLLECT(p, a, q, struct mail, items_out, n_out, pa->limit,
	           read_mail(p, a, q, it_));
	/* a listed mail carries its attachments as mail_get gives them */
	for (size_t i = 0; i < *n_out; i++) {
		enum cs_err err = read_attachments(p, a, &(*items_out)[i]);

		if (err != CS_OK)
			return err;
	}
	return CS_OK;
}

enum cs_err
pg_mail_set_state(struct store *st, int64_t id, const char *state,
                  const char *error, int64_t sent_at)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE mail SET state = $2::text, error = COALESCE($3::text, "
	       "error), sent_at = CASE WHEN $4::bigint = 0 THEN sent_at ELSE "
	       "$4::bigint END WHERE id = $1::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_str(q, 2, state);
	pg_bind_str(q, 3, error);
	pg_bind_i64(q, 4, sent_at);
	return pg_changed_one(p, pg_run(p, q, "mail_set_state"));
}

enum cs_err
pg_report_attach(struct store *st, int64_t report_id,
                 const struct mail_attachment *f, size_t n)
{
	return put_attachments(PG(st), REPORT_ATTACH_SQL, report_id, f, n);
}

enum cs_err
pg_report_attachments(struct store *st, struct arena *a, int64_t report_id,
                      struct mail_attachment **items_out, size_t *n_out)
{
	return collect_attachments(PG(st), a, REPORT_ATTACHMENTS_SQL, report_id,
	                           items_out, n_out);
}

enum cs_err
pg_mail_by_raw(struct store *st, const char *sha256, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT id FROM mail WHERE raw_sha256 = "
	                              "$1::text AND direction = 'in' ORDER BY "
	                              "id LIMIT 1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, sha256);
	if ((err = pg_row_begin(p, q, "mail_by_raw")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}
