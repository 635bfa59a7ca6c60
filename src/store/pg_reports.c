/*
 * pg_reports.c - incoming reports and their triage, full-text search with
 * the read rules applied, and incident templates (the PostgreSQL dialect
 * of sqlite_reports.c, sqlite_search.c and sqlite_templates.c).
 *
 * Search runs on the table of migrations 0006 and 0010: the FTS5 query of
 * search_query_fts() is handed to search_query() as a parameter, which
 * reads its terms and builds the tsquery from their words (the user's text
 * is never SQL, nor tsquery syntax), and search_snippet() stands for
 * FTS5's snippet() (for the rows returned only: PostgreSQL computes
 * costly output columns after LIMIT).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/pg_int.h"

/* ---- reports ---- */

#define REPORT_COLS                                                            \
	"r.id, r.source, r.reporter, r.subject, r.body, r.language, r.tlp, "   \
	"r.status, r.incident_id, i.ref, r.received_at, r.created_by, "        \
	"r.triaged_by, r.triaged_at, r.version"

static void
read_report(struct pg *p, struct arena *a, struct pgstmt *q, struct report *r)
{
	const char *t;

	memset(r, 0, sizeof(*r));
	r->id = pg_col_i64(q, 0);
	r->source = pg_col_str(p, a, q, 1);
	r->reporter = pg_col_str(p, a, q, 2);
	r->subject = pg_col_str(p, a, q, 3);
	r->body = pg_col_str(p, a, q, 4);
	r->language = pg_col_str(p, a, q, 5);
	if ((t = pg_col_text(q, 6)) != NULL)
		(void)tlp_parse(t, &r->tlp);
	r->status = pg_col_str(p, a, q, 7);
	r->incident_id = pg_col_i64(q, 8);
	r->incident_ref = pg_col_str(p, a, q, 9);
	r->received_at = pg_col_i64(q, 10);
	r->created_by = pg_col_str(p, a, q, 11);
	r->triaged_by = pg_col_str(p, a, q, 12);
	r->triaged_at = pg_col_i64(q, 13);
	r->version = pg_col_i64(q, 14);
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
pg_report_put(struct store *st, const struct report *r, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO report (source, reporter, subject, body, language, "
	       "tlp, received_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, "
	       "$7, $8) RETURNING id");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, r->source);
	pg_bind_str(q, 2, r->reporter ? r->reporter : "");
	pg_bind_str(q, 3, r->subject);
	pg_bind_str(q, 4, r->body);
	pg_bind_str(q, 5, r->language ? r->language : "");
	pg_bind_str(q, 6, tlp_name(r->tlp));
	pg_bind_i64(q, 7, r->received_at);
	pg_bind_str(q, 8, r->created_by);
	return insert_id(p, q, "report_put", id_out);
}

enum cs_err
pg_report_get(struct store *st, struct arena *a, int64_t id, struct report *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT " REPORT_COLS " FROM report r LEFT JOIN "
	               "incident i ON i.id = r.incident_id WHERE r.id = "
	               "$1::bigint");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	if ((err = pg_row_begin(p, q, "report_get")) != CS_OK)
		return err;
	read_report(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_report_list(struct store *st, struct arena *a, const char *status,
               const char *source, const struct page *p,
               struct report **items_out, size_t *n_out)
{
	struct pg *g = PG(st);
	struct pgstmt *q = pg_prep(
	    g, "SELECT " REPORT_COLS " FROM report r LEFT JOIN incident i ON "
	       "i.id = r.incident_id WHERE ($1::bigint = 0 OR r.id < "
	       "$1::bigint) AND ($2::text IS NULL OR r.status = $2::text) AND "
	       "($3::text IS NULL OR r.source = $3::text) ORDER BY r.id DESC "
	       "LIMIT $4::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, p->after);
	pg_bind_str(q, 2, status);
	pg_bind_str(q, 3, source);
	pg_bind_i64(q, 4, p->limit);
	PG_COLLECT(g, a, q, struct report, items_out, n_out, p->limit,
	           read_report(g, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_report_triage(struct store *st, const struct report *r, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE report SET status = $2, incident_id = $3, triaged_by = "
	       "$4, triaged_at = $5, version = version + 1 WHERE id = $1 AND "
	       "version = $6");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, r->id);
	pg_bind_str(q, 2, r->status);
	pg_bind_time(q, 3, r->incident_id);
	pg_bind_str(q, 4, r->triaged_by);
	pg_bind_i64(q, 5, now);
	pg_bind_i64(q, 6, r->version);
	if ((err = pg_run(p, q, "report_triage")) != CS_OK)
		return err;
	return p->last_changes == 1 ? CS_OK : CS_E_STALE;
}

/* ---- search ---- */

static const char *const kinds[] = {"incident", "report", "entry",
                                    "observable"};

/*
 * The rows matching $1 (f) are found through the GIN index first, then
 * sorted newest first and read in that order, each joined to its incident
 * and to its text (t) only while LIMIT asks for more. The planner cannot
 * tell how many rows a tsquery held in a parameter matches: left to
 * itself it walks the table newest first until LIMIT rows match, which
 * reads the whole table for a rare word (where FTS5 reads that word's
 * rows only), or joins every incident by hash. The OFFSET 0 fences keep
 * the tsquery computed once (w) and the matches planned for all of them.
 * MATCHES, or MATCHES_FROM, more columns of w, MATCHES_ON, more
 * conditions on s, MATCHES_END.
 */
#define MATCHES_FROM                                                           \
	"(SELECT s.rowid, s.kind, s.incident, w.q FROM (SELECT "               \
	"search_query($1::text) AS q"
#define MATCHES_ON " OFFSET 0) w JOIN search s ON s.words @@ w.q"
#define MATCHES_END                                                            \
	" ORDER BY s.rowid DESC OFFSET 0) f JOIN search t ON t.rowid = "       \
	"f.rowid"
#define MATCHES MATCHES_FROM MATCHES_ON MATCHES_END

/*
 * The newest rows first: a common word matches most of them, and its
 * newest page is among the newest few thousand rows, which a backward walk
 * of the primary key reads in a millisecond, where the GIN path would
 * fetch and sort every match (hundreds of milliseconds for a word in 200k
 * rows). When the window does not fill the page, the GIN path answers: a
 * rarer word has few matches. Both give the same rows.
 */
#define RECENT_WINDOW "4096"
#define RECENT_ON                                                              \
	" OFFSET 0) w JOIN (SELECT rowid, kind, incident, words FROM search "  \
	"ORDER BY rowid DESC LIMIT " RECENT_WINDOW ") s ON s.words @@ w.q"

/* Who may read a hit inside an incident a constituent reads: shared
 * entries and observables not marked TLP:RED. */
#define CONSTITUENT_PARTS                                                      \
	"(f.kind = 0 OR (f.kind = 2 AND EXISTS (SELECT 1 FROM entry e WHERE "  \
	"e.id = f.rowid / 4 AND e.visibility = 'shared')) OR (f.kind = 3 AND " \
	"EXISTS (SELECT 1 FROM observable o WHERE o.id = f.rowid / 4 AND "     \
	"(o.tlp IS NULL OR o.tlp <> 'RED'))))"

/*
 * A constituent: the organisation's id is intersected with the query
 * inside the index (column orgs, migration 0010), so only the
 * organisation's rows are walked; the row-level rules still apply to each
 * of them.
 */
#define CONSTITUENT_SEARCH                                                     \
	"SELECT f.kind, i.ref, f.rowid / 4, CASE f.kind WHEN 2 THEN i.title "  \
	"ELSE t.title END, search_snippet(t.body, f.q) FROM " MATCHES_FROM     \
	", ARRAY[coalesce((SELECT id FROM org WHERE short_name = $22::text), " \
	"0)]::bigint[] AS org" MATCHES_ON " AND s.orgs @> w.org" MATCHES_END   \
	" JOIN incident i ON i.id = f.incident WHERE f.kind <> 1 AND EXISTS "  \
	"(SELECT 1 FROM incident_org io JOIN org o ON o.id = io.org_id WHERE " \
	"io.incident_id = i.id AND o.short_name = $22::text) AND (i.tlp <> "   \
	"'RED' OR EXISTS (SELECT 1 FROM incident_member m WHERE "              \
	"m.incident_id = i.id AND m.user_id = $20::bigint)) "                  \
	"AND " CONSTITUENT_PARTS " ORDER BY f.rowid DESC LIMIT $2::bigint "    \
	"OFFSET $3::bigint"

/* The team's rule (kinds 0-3), for TEAM_SEARCH(MATCHES or the recent
 * window). */
#define TEAM_SEARCH(FROM)                                                      \
	"SELECT f.kind, i.ref, f.rowid / 4, "                                  \
	"CASE f.kind WHEN 2 THEN i.title ELSE t.title END, "                   \
	"search_snippet(t.body, f.q) FROM " FROM                               \
	" LEFT JOIN incident i ON i.id = f.incident WHERE ("                   \
	"(f.kind = 1 AND $21::text <> 'constituent') OR "                      \
	"(f.kind <> 1 AND i.id IS NOT NULL AND " PG_VISIBLE                    \
	" AND ($21::text <> 'constituent' OR " CONSTITUENT_PARTS "))) "        \
	"ORDER BY f.rowid DESC LIMIT $2::bigint OFFSET $3::bigint"

/* Runs one search statement into items; *n_out rows. */
static enum cs_err
run_search(struct pg *g, struct arena *a, struct pgstmt *q,
           const struct viewer *v, const char *fts, const struct page *p,
           struct search_hit *items, size_t *n_out)
{
	size_t n = 0;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, fts);
	pg_bind_i64(q, 2, p->limit);
	pg_bind_i64(q, 3, p->after);
	pg_bind_viewer(q, v);
	g->oom = false;
	while (n < (size_t)p->limit && pg_step(g, q)) {
		struct search_hit *h = &items[n++];
		int kind = (int)pg_col_i64(q, 0);

		memset(h, 0, sizeof(*h));
		h->kind = kinds[kind & 3];
		h->incident_ref = pg_col_str(g, a, q, 1);
		h->report_id = kind == 1 ? pg_col_i64(q, 2) : 0;
		h->title = pg_col_str(g, a, q, 3);
		h->snippet = pg_col_str(g, a, q, 4);
	}
	if (q->res != NULL && pg_failed(q)) {
		/* search_query() refused the query (22023), as FTS5 refuses
		 * a syntax error; pg_step() has logged anything else */
		const char *state =
		    PQresultErrorField(q->res, PG_DIAG_SQLSTATE);
		enum cs_err err = CS_E_DB;

		if (state != NULL && strcmp(state, "22023") == 0)
			err = CS_E_INVAL;
		pg_done(q);
		return err;
	}
	pg_done(q);
	*n_out = n;
	return g->oom ? CS_E_TOOBIG : CS_OK;
}

enum cs_err
pg_search(struct store *st, struct arena *a, const struct viewer *v,
          const char *fts, const struct page *p, struct search_hit **items_out,
          size_t *n_out)
{
	struct pg *g = PG(st);
	struct search_hit *items;
	size_t n = 0;
	enum cs_err err;

	if ((items = arena_alloc(a, sizeof(*items) * (size_t)p->limit)) == NULL)
		return CS_E_TOOBIG;
	if (v->role == ROLE_CONSTITUENT) {
		/* the organisation's rows are few: the index intersects */
		err = run_search(g, a, pg_prep(g, CONSTITUENT_SEARCH), v, fts,
		                 p, items, &n);
	} else {
		/* the incident-level rule is PG_VISIBLE; what is inside an
		 * incident adds its own: internal entries and TLP:RED
		 * observables stay with the team, and so do reports */
		err = run_search(
		    g, a,
		    pg_prep(g, TEAM_SEARCH(MATCHES_FROM RECENT_ON MATCHES_END)),
		    v, fts, p, items, &n);
		if (err == CS_OK && n < (size_t)p->limit)
			err = run_search(g, a, pg_prep(g, TEAM_SEARCH(MATCHES)),
			                 v, fts, p, items, &n);
	}
	if (err != CS_OK)
		return err;
	*items_out = items;
	*n_out = n;
	return CS_OK;
}

/* ---- templates ---- */

#define TEMPLATE_COLS                                                          \
	"id, rsit_type, name, tlp, pap, impact, urgency, tags, tasks, "        \
	"version, created_at, updated_at"

static int
col_enum(struct pgstmt *q, int i, bool (*parse)(const char *, int *))
{
	const char *t = pg_col_text(q, i);
	int v;

	return t != NULL && parse(t, &v) ? v : -1;
}

static bool
p_tlp(const char *s, int *out)
{
	enum tlp t;

	if (!tlp_parse(s, &t))
		return false;
	*out = (int)t;
	return true;
}

static bool
p_pap(const char *s, int *out)
{
	enum pap p;

	if (!pap_parse(s, &p))
		return false;
	*out = (int)p;
	return true;
}

static bool
p_level(const char *s, int *out)
{
	enum level l;

	if (!level_parse(s, &l))
		return false;
	*out = (int)l;
	return true;
}

static void
read_template(struct pg *p, struct arena *a, struct pgstmt *q,
              struct incident_template *t)
{
	t->id = pg_col_i64(q, 0);
	t->rsit_type = pg_col_str(p, a, q, 1);
	t->name = pg_col_str(p, a, q, 2);
	t->tlp = col_enum(q, 3, p_tlp);
	t->pap = col_enum(q, 4, p_pap);
	t->impact = col_enum(q, 5, p_level);
	t->urgency = col_enum(q, 6, p_level);
	t->tags = pg_col_str(p, a, q, 7);
	t->tasks = pg_col_str(p, a, q, 8);
	t->version = pg_col_i64(q, 9);
	t->created_at = pg_col_i64(q, 10);
	t->updated_at = pg_col_i64(q, 11);
}

enum cs_err
pg_template_put(struct store *st, const struct incident_template *t,
                int64_t now, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q;
	enum cs_err err;

	if (t->id == 0)
		q = pg_prep(p, "INSERT INTO incident_template (rsit_type, "
		               "name, tlp, pap, impact, urgency, tags, tasks, "
		               "created_at, updated_at) VALUES ($1, $2, $3, "
		               "$4, $5, $6, $7, $8, $9, $9) RETURNING id");
	else
		q = pg_prep(p, "UPDATE incident_template SET rsit_type = $1, "
		               "name = $2, tlp = $3, pap = $4, impact = $5, "
		               "urgency = $6, tags = $7, tasks = $8, "
		               "updated_at = $9, version = version + 1 WHERE "
		               "id = $10 AND version = $11");
	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, t->rsit_type);
	pg_bind_str(q, 2, t->name);
	pg_bind_str(q, 3, t->tlp >= 0 ? tlp_name((enum tlp)t->tlp) : NULL);
	pg_bind_str(q, 4, t->pap >= 0 ? pap_name((enum pap)t->pap) : NULL);
	pg_bind_str(q, 5,
	            t->impact >= 0 ? level_name((enum level)t->impact) : NULL);
	pg_bind_str(
	    q, 6, t->urgency >= 0 ? level_name((enum level)t->urgency) : NULL);
	pg_bind_str(q, 7, t->tags ? t->tags : "");
	pg_bind_str(q, 8, t->tasks ? t->tasks : "");
	pg_bind_i64(q, 9, now);
	if (t->id == 0)
		return insert_id(p, q, "template_put", id_out);
	pg_bind_i64(q, 10, t->id);
	pg_bind_i64(q, 11, t->version);
	if ((err = pg_run(p, q, "template_put")) != CS_OK)
		return err;
	*id_out = t->id;
	return p->last_changes == 1 ? CS_OK : CS_E_STALE;
}

enum cs_err
pg_template_get(struct store *st, struct arena *a, int64_t id,
                const char *rsit_type, struct incident_template *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q;
	enum cs_err err;

	if (rsit_type != NULL) {
		q = pg_prep(p, "SELECT " TEMPLATE_COLS " FROM "
		               "incident_template WHERE rsit_type = $1::text");
		if (q != NULL)
			pg_bind_str(q, 1, rsit_type);
	} else {
		q = pg_prep(p, "SELECT " TEMPLATE_COLS " FROM "
		               "incident_template WHERE id = $1::bigint");
		if (q != NULL)
			pg_bind_i64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = pg_row_begin(p, q, "template_get")) != CS_OK)
		return err;
	read_template(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_template_list(struct store *st, struct arena *a, const struct page *p,
                 struct incident_template **items_out, size_t *n_out)
{
	struct pg *g = PG(st);
	struct pgstmt *q = pg_prep(g, "SELECT " TEMPLATE_COLS " FROM "
	                              "incident_template WHERE id > $1::bigint "
	                              "ORDER BY id LIMIT $2::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, p->after);
	pg_bind_i64(q, 2, p->limit);
	PG_COLLECT(g, a, q, struct incident_template, items_out, n_out,
	           p->limit, read_template(g, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_template_delete(struct store *st, int64_t id)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "DELETE FROM incident_template WHERE id = $1::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	return pg_changed_one(p, pg_run(p, q, "template_delete"));
}
