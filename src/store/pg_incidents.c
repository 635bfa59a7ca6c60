/*
 * pg_incidents.c - incidents, their journal, tasks and links (the
 * PostgreSQL dialect of sqlite_incidents.c and sqlite_links.c).
 *
 * Lists of logins, organisations and tags are ordered COLLATE "C", the
 * byte order SQLite's BINARY collation gives, whatever the database's
 * locale. Sets are written with ON CONFLICT DO NOTHING: a constraint
 * violation would abort the whole PostgreSQL transaction, where SQLite
 * only fails the one statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/pg_int.h"

/* ---- incidents ---- */

#define INCIDENT_COLS                                                          \
	"i.id, i.ref, i.title, i.summary, i.rsit_class, i.rsit_type, i.tlp, "  \
	"i.pap, i.impact, i.urgency, i.priority, i.status, i.resolution, "     \
	"i.owner_id, ow.login, i.response_due, i.resolve_due, "                \
	"i.first_response_at, i.resolved_at, i.version, i.created_by, "        \
	"i.created_at, i.updated_at, "                                         \
	"(SELECT string_agg(u.login, ',' ORDER BY u.login COLLATE \"C\") "     \
	"FROM incident_member m JOIN \"user\" u ON u.id = m.user_id WHERE "    \
	"m.incident_id = i.id), "                                              \
	"(SELECT string_agg(o.short_name, ',' ORDER BY o.short_name COLLATE "  \
	"\"C\") FROM incident_org io JOIN org o ON o.id = io.org_id WHERE "    \
	"io.incident_id = i.id), "                                             \
	"(SELECT string_agg(t.tag, ',' ORDER BY t.tag COLLATE \"C\") FROM "    \
	"incident_tag t WHERE t.incident_id = i.id)"

/* "a,b,c" -> NULL-terminated array in the arena */
static const char **
split_list(struct pg *p, struct arena *a, struct pgstmt *q, int col)
{
	const char *text = pg_col_text(q, col);
	size_t n = 1, i = 0;
	const char **out;
	char *copy;

	if (text != NULL)
		for (const char *c = text; *c; c++)
			n += *c == ',';
	out = arena_alloc(a, sizeof(*out) * (n + 1));
	copy = text ? arena_strdup(a, text) : NULL;
	if (out == NULL || (text != NULL && copy == NULL)) {
		p->oom = true;
		return NULL;
	}
	if (copy != NULL && copy[0] != '\0') {
		char *c = copy;

		for (;;) {
			char *comma = strchr(c, ',');

			out[i++] = c;
			if (comma == NULL)
				break;
			*comma = '\0';
			c = comma + 1;
		}
	}
	out[i] = NULL;
	return out;
}

static void
read_incident(struct pg *p, struct arena *a, struct pgstmt *q,
              struct incident *x)
{
	const char *t;

	memset(x, 0, sizeof(*x));
	x->id = pg_col_i64(q, 0);
	x->ref = pg_col_str(p, a, q, 1);
	x->title = pg_col_str(p, a, q, 2);
	x->summary = pg_col_str(p, a, q, 3);
	x->rsit_class = pg_col_str(p, a, q, 4);
	x->rsit_type = pg_col_str(p, a, q, 5);
	if ((t = pg_col_text(q, 6)) != NULL)
		(void)tlp_parse(t, &x->tlp);
	if ((t = pg_col_text(q, 7)) != NULL)
		(void)pap_parse(t, &x->pap);
	if ((t = pg_col_text(q, 8)) != NULL)
		(void)level_parse(t, &x->impact);
	if ((t = pg_col_text(q, 9)) != NULL)
		(void)level_parse(t, &x->urgency);
	x->priority = (int)pg_col_i64(q, 10);
	if ((t = pg_col_text(q, 11)) != NULL)
		(void)status_parse(t, &x->status);
	if ((t = pg_col_text(q, 12)) != NULL)
		(void)resolution_parse(t, &x->resolution);
	x->owner_id = pg_col_i64(q, 13);
	x->owner = pg_col_str(p, a, q, 14);
	x->response_due = pg_col_i64(q, 15);
	x->resolve_due = pg_col_i64(q, 16);
	x->first_response_at = pg_col_i64(q, 17);
	x->resolved_at = pg_col_i64(q, 18);
	x->version = pg_col_i64(q, 19);
	x->created_by = pg_col_str(p, a, q, 20);
	x->created_at = pg_col_i64(q, 21);
	x->updated_at = pg_col_i64(q, 22);
	x->members = split_list(p, a, q, 23);
	x->orgs = split_list(p, a, q, 24);
	x->tags = split_list(p, a, q, 25);
}

/*
 * True when incident x already has exactly the organisations x->orgs:
 * rewriting them would needlessly rewrite the incident's search rows
 * (their orgs, migration 0010).
 */
static bool
orgs_unchanged(struct pg *p, const struct incident *x)
{
	struct pgstmt *q = pg_prep(
	    p, "SELECT o.short_name FROM incident_org io JOIN org o ON o.id = "
	       "io.org_id WHERE io.incident_id = $1::bigint");
	size_t have = 0, want = 0;
	bool same = true;

	if (q == NULL)
		return false;
	pg_bind_i64(q, 1, x->id);
	while (same && pg_step(p, q)) {
		const char *name = pg_col_text(q, 0);
		bool found = false;

		for (size_t i = 0; x->orgs != NULL && x->orgs[i] != NULL; i++)
			if (name != NULL && strcmp(x->orgs[i], name) == 0)
				found = true;
		same = found;
		have++;
	}
	if (pg_failed(q))
		same = false;
	pg_done(q);
	/* distinct names wanted */
	for (size_t i = 0; x->orgs != NULL && x->orgs[i] != NULL; i++) {
		bool dup = false;

		for (size_t k = 0; k < i; k++)
			if (strcmp(x->orgs[k], x->orgs[i]) == 0)
				dup = true;
		want += !dup;
	}
	return same && have == want;
}

/* Replaces the member, organisation and tag sets of incident id. */
static enum cs_err
put_sets(struct pg *p, const struct incident *x)
{
	static const char *const del[] = {
	    "DELETE FROM incident_member WHERE incident_id = $1::bigint",
	    "DELETE FROM incident_org WHERE incident_id = $1::bigint",
	    "DELETE FROM incident_tag WHERE incident_id = $1::bigint",
	};
	/* a name listed twice is written once */
	static const char *const ins[] = {
	    "INSERT INTO incident_member SELECT $1::bigint, id FROM \"user\" "
	    "WHERE login = $2::text ON CONFLICT DO NOTHING",
	    "INSERT INTO incident_org SELECT $1::bigint, id FROM org WHERE "
	    "short_name = $2::text ON CONFLICT DO NOTHING",
	    "INSERT INTO incident_tag VALUES ($1::bigint, $2::text) ON "
	    "CONFLICT DO NOTHING",
	};
	const char **const sets[] = {x->members, x->orgs, x->tags};
	enum cs_err err;

	for (int k = 0; k < 3; k++) {
		struct pgstmt *q;

		if (k == 1 && orgs_unchanged(p, x))
			continue;
		if ((q = pg_prep(p, del[k])) == NULL)
			return CS_E_DB;
		pg_bind_i64(q, 1, x->id);
		if ((err = pg_run(p, q, "incident_sets")) != CS_OK)
			return err;
		for (size_t i = 0; sets[k] != NULL && sets[k][i] != NULL; i++) {
			if ((q = pg_prep(p, ins[k])) == NULL)
				return CS_E_DB;
			pg_bind_i64(q, 1, x->id);
			pg_bind_str(q, 2, sets[k][i]);
			if ((err = pg_run(p, q, "incident_sets")) != CS_OK)
				return err;
			if (k < 2 && p->last_changes == 0)
				snprintf(p->err, sizeof(p->err),
				         "%s %s vanished",
				         k == 0 ? "user" : "organisation",
				         sets[k][i]);
		}
	}
	return CS_OK;
}

static void
bind_incident(struct pgstmt *q, const struct incident *x)
{
	pg_bind_str(q, 2, x->title);
	pg_bind_str(q, 3, x->summary ? x->summary : "");
	pg_bind_str(q, 4, x->rsit_class);
	pg_bind_str(q, 5, x->rsit_type);
	pg_bind_str(q, 6, tlp_name(x->tlp));
	pg_bind_str(q, 7, pap_name(x->pap));
	pg_bind_str(q, 8, level_name(x->impact));
	pg_bind_str(q, 9, level_name(x->urgency));
	pg_bind_i64(q, 10, x->priority);
	pg_bind_str(q, 11, status_name(x->status));
	pg_bind_str(q, 12,
	            x->resolution != RES_NONE ? resolution_name(x->resolution)
	                                      : NULL);
	pg_bind_time(q, 13, x->owner_id);
	pg_bind_i64(q, 14, x->response_due);
	pg_bind_i64(q, 15, x->resolve_due);
	pg_bind_time(q, 16, x->first_response_at);
	pg_bind_time(q, 17, x->resolved_at);
}

enum cs_err
pg_incident_put(struct store *st, struct arena *a, const char *team_code,
                int year, struct incident *x)
{
	struct pg *p = PG(st);
	/* the year's row is locked until commit: no two writers draw the
	 * same number, advisory lock or not */
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO ref_counter VALUES ($1::bigint, 1) ON CONFLICT "
	       "(year) DO UPDATE SET last = ref_counter.last + 1 RETURNING "
	       "last");
	char ref[64];
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, year);
	if ((err = pg_row_begin(p, q, "incident_ref")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	incident_ref_format(team_code, year, pg_col_i64(q, 0), ref,
	                    sizeof(ref));
	if ((err = pg_row_end(p, q)) != CS_OK)
		return err;
	if ((x->ref = arena_strdup(a, ref)) == NULL)
		return CS_E_TOOBIG;
	q = pg_prep(p, "INSERT INTO incident (ref, title, summary, rsit_class, "
	               "rsit_type, tlp, pap, impact, urgency, priority, "
	               "status, resolution, owner_id, response_due, "
	               "resolve_due, first_response_at, resolved_at, "
	               "created_by, created_at, updated_at) VALUES ($1, $2, "
	               "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, "
	               "$15, $16, $17, $18, $19, $19) RETURNING id");
	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, x->ref);
	bind_incident(q, x);
	pg_bind_str(q, 18, x->created_by);
	pg_bind_i64(q, 19, x->created_at);
	if ((err = pg_row_begin(p, q, "incident_put")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	x->id = pg_col_i64(q, 0);
	if ((err = pg_row_end(p, q)) != CS_OK)
		return err;
	x->version = 1;
	return put_sets(p, x);
}

enum cs_err
pg_incident_get(struct store *st, struct arena *a, const struct viewer *v,
                const char *ref, struct incident *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " INCIDENT_COLS " FROM incident i LEFT JOIN \"user\" ow "
	       "ON ow.id = i.owner_id WHERE i.ref = $1::text AND " PG_VISIBLE);
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, ref);
	pg_bind_viewer(q, v);
	if ((err = pg_row_begin(p, q, "incident_get")) != CS_OK)
		return err;
	read_incident(p, a, q, out);
	return pg_row_end(p, q);
}

/*
 * q= (f->fts, an FTS5 query of search_query_fts()) is read by the
 * search_query() function of migration 0006; the team finds an incident
 * by its own row, its entries and its observables, a constituent by the
 * incident's row only (as in SQLite).
 */
/* incident_list's filters after its keyset condition, then PG_VISIBLE */
#define LIST_FILTERS                                                           \
	"AND ($2::text IS NULL OR i.status = $2::text) "                       \
	"AND ($3::text IS NULL OR i.rsit_class = $3::text) "                   \
	"AND ($4::text IS NULL OR i.rsit_type = $4::text) "                    \
	"AND ($5::text IS NULL OR i.tlp = $5::text) "                          \
	"AND ($6::bigint = 0 OR i.priority = $6::bigint) "                     \
	"AND ($7::bigint = 0 OR ($7::bigint = -1 AND i.owner_id IS "           \
	"NULL) OR i.owner_id = $7::bigint) "                                   \
	"AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM incident_org "         \
	"io JOIN org o ON o.id = io.org_id WHERE io.incident_id = i.id "       \
	"AND o.short_name = $8::text)) "                                       \
	"AND ($9::text IS NULL OR EXISTS (SELECT 1 FROM incident_tag t "       \
	"WHERE t.incident_id = i.id AND t.tag = $9::text)) "                   \
	"AND ($10::bigint = 0 OR (i.status IN ('new', 'open', "                \
	"'stalled') AND (i.resolve_due < $10::bigint OR "                      \
	"(i.first_response_at IS NULL AND i.response_due < "                   \
	"$10::bigint)))) "                                                     \
	"AND ($12::text IS NULL OR i.id IN (SELECT s.incident FROM "           \
	"(SELECT search_query($12::text) AS q OFFSET 0) w JOIN search "        \
	"s ON s.words @@ w.q WHERE s.kind = 0 OR ($21::text <> "               \
	"'constituent' AND s.kind IN (2, 3)))) "                               \
	"AND " PG_VISIBLE

#define LIST_FROM                                                              \
	"SELECT " INCIDENT_COLS " FROM incident i LEFT JOIN \"user\" ow "      \
	"ON ow.id = i.owner_id WHERE "

/* One statement per order; $13 is the sort key of the row $1 */
static const char *const pg_incident_list_sql[] = {
    [SORT_NEWEST] =
        LIST_FROM "($1::bigint = 0 OR i.id < $1::bigint) " LIST_FILTERS
                  " ORDER BY i.id DESC LIMIT $11::bigint",
    [SORT_PRIORITY] = LIST_FROM
    "($1::bigint = 0 OR i.priority > $13::bigint OR (i.priority = "
    "$13::bigint AND i.id < $1::bigint)) " LIST_FILTERS
    " ORDER BY i.priority, i.id DESC LIMIT $11::bigint",
    [SORT_DUE] = LIST_FROM
    "($1::bigint = 0 OR i.resolve_due > $13::bigint OR (i.resolve_due = "
    "$13::bigint AND i.id < $1::bigint)) " LIST_FILTERS
    " ORDER BY i.resolve_due, i.id DESC LIMIT $11::bigint",
    [SORT_UPDATED] = LIST_FROM
    "($1::bigint = 0 OR i.updated_at < $13::bigint OR (i.updated_at = "
    "$13::bigint AND i.id < $1::bigint)) " LIST_FILTERS
    " ORDER BY i.updated_at DESC, i.id DESC LIMIT $11::bigint",
};

enum cs_err
pg_incident_list(struct store *st, struct arena *a, const struct viewer *v,
                 const struct incident_filter *f, const struct page *p,
                 struct incident **items_out, size_t *n_out)
{
	struct pg *g = PG(st);
	struct pgstmt *q = pg_prep(g, pg_incident_list_sql[f->sort]);

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, p->after);
	pg_bind_str(q, 2, f->status);
	pg_bind_str(q, 3, f->rsit_class);
	pg_bind_str(q, 4, f->rsit_type);
	pg_bind_str(q, 5, f->tlp >= 0 ? tlp_name((enum tlp)f->tlp) : NULL);
	pg_bind_i64(q, 6, f->priority);
	pg_bind_i64(q, 7, f->owner_id);
	pg_bind_str(q, 8, f->org);
	pg_bind_str(q, 9, f->tag);
	pg_bind_i64(q, 10, f->due_before);
	pg_bind_i64(q, 11, p->limit);
	pg_bind_str(q, 12, f->fts);
	pg_bind_i64(q, 13, p->after_key);
	pg_bind_viewer(q, v);
	PG_COLLECT(g, a, q, struct incident, items_out, n_out, p->limit,
	           read_incident(g, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_incident_update(struct store *st, const struct incident *x, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE incident SET title = $2, summary = $3, rsit_class = $4, "
	       "rsit_type = $5, tlp = $6, pap = $7, impact = $8, urgency = $9, "
	       "priority = $10, status = $11, resolution = $12, owner_id = "
	       "$13, response_due = $14, resolve_due = $15, first_response_at "
	       "= $16, resolved_at = $17, updated_at = $18, version = version "
	       "+ 1 WHERE id = $1 AND version = $19");
	struct pgstmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, x->id);
	bind_incident(q, x);
	pg_bind_i64(q, 18, now);
	pg_bind_i64(q, 19, x->version);
	if ((err = pg_run(p, q, "incident_update")) != CS_OK)
		return err;
	if (p->last_changes == 1)
		return put_sets(p, x);
	if ((e = pg_prep(p, "SELECT 1 FROM incident WHERE id = $1")) == NULL)
		return CS_E_DB;
	pg_bind_i64(e, 1, x->id);
	err = pg_step(p, e) ? CS_E_STALE : CS_E_NOTFOUND;
	if (pg_failed(e))
		err = CS_E_DB; /* pg_step() has recorded it */
	pg_done(e);
	return err;
}

/* ---- journal ---- */

static void
read_entry(struct pg *p, struct arena *a, struct pgstmt *q, struct entry *x)
{
	x->id = pg_col_i64(q, 0);
	x->incident_id = pg_col_i64(q, 1);
	x->kind = pg_col_str(p, a, q, 2);
	x->visibility = pg_col_str(p, a, q, 3);
	x->author = pg_col_str(p, a, q, 4);
	x->body = pg_col_str(p, a, q, 5);
	x->created_at = pg_col_i64(q, 6);
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
pg_entry_put(struct store *st, const struct entry *x, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p,
	    "INSERT INTO entry (incident_id, kind, visibility, author, "
	    "body, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, x->incident_id);
	pg_bind_str(q, 2, x->kind);
	pg_bind_str(q, 3, x->visibility);
	pg_bind_str(q, 4, x->author);
	pg_bind_str(q, 5, x->body);
	pg_bind_i64(q, 6, x->created_at);
	return insert_id(p, q, "entry_put", id_out);
}

enum cs_err
pg_entry_list(struct store *st, struct arena *a, int64_t incident_id,
              bool shared_only, const struct page *p, struct entry **items_out,
              size_t *n_out)
{
	struct pg *g = PG(st);
	struct pgstmt *q = pg_prep(
	    g, "SELECT id, incident_id, kind, visibility, author, body, "
	       "created_at FROM entry WHERE incident_id = $1::bigint AND id > "
	       "$2::bigint AND ($3::bigint = 0 OR visibility = 'shared') "
	       "ORDER BY id LIMIT $4::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	pg_bind_i64(q, 2, p->after);
	pg_bind_i64(q, 3, shared_only);
	pg_bind_i64(q, 4, p->limit);
	PG_COLLECT(g, a, q, struct entry, items_out, n_out, p->limit,
	           read_entry(g, a, q, it_));
	return CS_OK;
}

/* ---- tasks ---- */

#define TASK_COLS                                                              \
	"t.id, t.incident_id, t.title, t.assignee_id, u.login, t.due_at, "     \
	"t.state, t.version, t.created_at, t.updated_at"

static void
read_task(struct pg *p, struct arena *a, struct pgstmt *q, struct task *x)
{
	x->id = pg_col_i64(q, 0);
	x->incident_id = pg_col_i64(q, 1);
	x->title = pg_col_str(p, a, q, 2);
	x->assignee_id = pg_col_i64(q, 3);
	x->assignee = pg_col_str(p, a, q, 4);
	x->due_at = pg_col_i64(q, 5);
	x->state = pg_col_str(p, a, q, 6);
	x->version = pg_col_i64(q, 7);
	x->created_at = pg_col_i64(q, 8);
	x->updated_at = pg_col_i64(q, 9);
}

enum cs_err
pg_task_put(struct store *st, const struct task *x, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO task (incident_id, title, assignee_id, due_at, "
	       "state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
	       "$6) RETURNING id");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, x->incident_id);
	pg_bind_str(q, 2, x->title);
	pg_bind_time(q, 3, x->assignee_id);
	pg_bind_time(q, 4, x->due_at);
	pg_bind_str(q, 5, x->state ? x->state : "open");
	pg_bind_i64(q, 6, x->created_at);
	return insert_id(p, q, "task_put", id_out);
}

enum cs_err
pg_task_get(struct store *st, struct arena *a, int64_t incident_id, int64_t id,
            struct task *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p,
	    "SELECT " TASK_COLS " FROM task t LEFT JOIN \"user\" u ON u.id = "
	    "t.assignee_id WHERE t.id = $1::bigint AND t.incident_id = "
	    "$2::bigint");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, incident_id);
	if ((err = pg_row_begin(p, q, "task_get")) != CS_OK)
		return err;
	read_task(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_task_list(struct store *st, struct arena *a, int64_t incident_id,
             const struct page *p, struct task **items_out, size_t *n_out)
{
	struct pg *g = PG(st);
	struct pgstmt *q = pg_prep(
	    g,
	    "SELECT " TASK_COLS " FROM task t LEFT JOIN \"user\" u ON u.id = "
	    "t.assignee_id WHERE t.incident_id = $1::bigint AND t.id > "
	    "$2::bigint ORDER BY t.id LIMIT $3::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	pg_bind_i64(q, 2, p->after);
	pg_bind_i64(q, 3, p->limit);
	PG_COLLECT(g, a, q, struct task, items_out, n_out, p->limit,
	           read_task(g, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_task_update(struct store *st, const struct task *x, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE task SET title = $3, assignee_id = $4, due_at = $5, "
	       "state = $6, updated_at = $7, version = version + 1 WHERE id = "
	       "$1 AND incident_id = $2 AND version = $8");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, x->id);
	pg_bind_i64(q, 2, x->incident_id);
	pg_bind_str(q, 3, x->title);
	pg_bind_time(q, 4, x->assignee_id);
	pg_bind_time(q, 5, x->due_at);
	pg_bind_str(q, 6, x->state);
	pg_bind_i64(q, 7, now);
	pg_bind_i64(q, 8, x->version);
	if ((err = pg_run(p, q, "task_update")) != CS_OK)
		return err;
	return p->last_changes == 1 ? CS_OK : CS_E_STALE;
}

enum cs_err
pg_task_cancel_open(struct store *st, int64_t incident_id, int64_t now,
                    int64_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE task SET state = 'cancelled', updated_at = $2, version "
	       "= version + 1 WHERE incident_id = $1 AND state = 'open'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	pg_bind_i64(q, 2, now);
	if ((err = pg_run(p, q, "task_cancel_open")) == CS_OK)
		*n_out = p->last_changes;
	return err;
}

enum cs_err
pg_task_count_open(struct store *st, int64_t incident_id, int64_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "SELECT count(*) FROM task WHERE "
	                              "incident_id = $1 AND state = 'open'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	if ((err = pg_row_begin(p, q, "task_count_open")) != CS_OK)
		return err;
	*n_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

/* ---- links ---- */

enum cs_err
pg_link_put(struct store *st, int64_t from_id, int64_t to_id, const char *kind,
            const char *by, int64_t now, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO incident_link (from_id, to_id, kind, created_by, "
	       "created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, from_id);
	pg_bind_i64(q, 2, to_id);
	pg_bind_str(q, 3, kind);
	pg_bind_str(q, 4, by);
	pg_bind_i64(q, 5, now);
	return insert_id(p, q, "link_put", id_out);
}

enum cs_err
pg_link_list(struct store *st, struct arena *a, const struct viewer *v,
             int64_t incident_id, struct incident_link **items_out,
             size_t *n_out)
{
	struct pg *p = PG(st);
	/* the other end of each link, named from this incident's side */
	struct pgstmt *q = pg_prep(
	    p, "SELECT l.id, CASE WHEN l.kind = 'related' THEN 'related' "
	       "WHEN l.kind = 'parent' AND l.from_id = $1::bigint THEN "
	       "'parent-of' WHEN l.kind = 'parent' THEN 'child-of' "
	       "WHEN l.from_id = $1::bigint THEN 'duplicate-of' "
	       "ELSE 'duplicated-by' END, i.ref, i.title, l.created_by, "
	       "l.created_at FROM incident_link l JOIN incident i ON i.id = "
	       "CASE WHEN l.from_id = $1::bigint THEN l.to_id ELSE l.from_id "
	       "END WHERE (l.from_id = $1::bigint OR l.to_id = $1::bigint) "
	       "AND " PG_VISIBLE " ORDER BY l.id LIMIT $2::bigint");
	int limit = 500;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	pg_bind_i64(q, 2, limit);
	pg_bind_viewer(q, v);
	PG_COLLECT(p, a, q, struct incident_link, items_out, n_out, limit, {
		it_->id = pg_col_i64(q, 0);
		it_->kind = pg_col_str(p, a, q, 1);
		it_->ref = pg_col_str(p, a, q, 2);
		it_->title = pg_col_str(p, a, q, 3);
		it_->created_by = pg_col_str(p, a, q, 4);
		it_->created_at = pg_col_i64(q, 5);
	});
	return CS_OK;
}

enum cs_err
pg_link_delete(struct store *st, int64_t incident_id, int64_t id)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(p, "DELETE FROM incident_link WHERE id = "
	                              "$1::bigint AND (from_id = $2::bigint OR "
	                              "to_id = $2::bigint)");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, incident_id);
	return pg_changed_one(p, pg_run(p, q, "link_delete"));
}
