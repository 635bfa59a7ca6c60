/* sqlite_incidents.c - incidents, their journal and tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

/* ---- incidents ---- */

#define INCIDENT_COLS                                                          \
	"i.id, i.ref, i.title, i.summary, i.rsit_class, i.rsit_type, i.tlp, "  \
	"i.pap, i.impact, i.urgency, i.priority, i.status, i.resolution, "     \
	"i.owner_id, ow.login, i.response_due, i.resolve_due, "                \
	"i.first_response_at, i.resolved_at, i.version, i.created_by, "        \
	"i.created_at, i.updated_at, "                                         \
	"(SELECT group_concat(u.login, ',') FROM (SELECT u.login FROM "        \
	"incident_member m JOIN user u ON u.id = m.user_id WHERE "             \
	"m.incident_id = i.id ORDER BY u.login) u), "                          \
	"(SELECT group_concat(o.short_name, ',') FROM (SELECT o.short_name "   \
	"FROM incident_org io JOIN org o ON o.id = io.org_id WHERE "           \
	"io.incident_id = i.id ORDER BY o.short_name) o), "                    \
	"(SELECT group_concat(t.tag, ',') FROM (SELECT tag FROM incident_tag " \
	"WHERE incident_id = i.id ORDER BY tag) t)"

void
sq_bind_viewer(sqlite3_stmt *q, const struct viewer *v)
{
	sqlite3_bind_int64(q, 20, v->user_id);
	sq_bind_str(q, 21, role_name(v->role));
	sq_bind_str(q, 22, v->org ? v->org : "");
}

/* "a,b,c" -> NULL-terminated array in the arena */
static const char **
split_list(struct sq *s, struct arena *a, sqlite3_stmt *q, int col)
{
	const char *text = (const char *)sqlite3_column_text(q, col);
	size_t n = 1, i = 0;
	const char **out;
	char *copy;

	if (text != NULL)
		for (const char *p = text; *p; p++)
			n += *p == ',';
	out = arena_alloc(a, sizeof(*out) * (n + 1));
	copy = text ? arena_strdup(a, text) : NULL;
	if (out == NULL || (text != NULL && copy == NULL)) {
		s->oom = true;
		return NULL;
	}
	if (copy != NULL && copy[0] != '\0') {
		char *p = copy;

		for (;;) {
			char *comma = strchr(p, ',');

			out[i++] = p;
			if (comma == NULL)
				break;
			*comma = '\0';
			p = comma + 1;
		}
	}
	out[i] = NULL;
	return out;
}

static void
read_incident(struct sq *s, struct arena *a, sqlite3_stmt *q,
              struct incident *x)
{
	const char *t;

	memset(x, 0, sizeof(*x));
	x->id = sq_col_i64(q, 0);
	x->ref = sq_col_str(s, a, q, 1);
	x->title = sq_col_str(s, a, q, 2);
	x->summary = sq_col_str(s, a, q, 3);
	x->rsit_class = sq_col_str(s, a, q, 4);
	x->rsit_type = sq_col_str(s, a, q, 5);
	if ((t = (const char *)sqlite3_column_text(q, 6)) != NULL)
		(void)tlp_parse(t, &x->tlp);
	if ((t = (const char *)sqlite3_column_text(q, 7)) != NULL)
		(void)pap_parse(t, &x->pap);
	if ((t = (const char *)sqlite3_column_text(q, 8)) != NULL)
		(void)level_parse(t, &x->impact);
	if ((t = (const char *)sqlite3_column_text(q, 9)) != NULL)
		(void)level_parse(t, &x->urgency);
	x->priority = sqlite3_column_int(q, 10);
	if ((t = (const char *)sqlite3_column_text(q, 11)) != NULL)
		(void)status_parse(t, &x->status);
	if ((t = (const char *)sqlite3_column_text(q, 12)) != NULL)
		(void)resolution_parse(t, &x->resolution);
	x->owner_id = sq_col_i64(q, 13);
	x->owner = sq_col_str(s, a, q, 14);
	x->response_due = sq_col_i64(q, 15);
	x->resolve_due = sq_col_i64(q, 16);
	x->first_response_at = sq_col_i64(q, 17);
	x->resolved_at = sq_col_i64(q, 18);
	x->version = sq_col_i64(q, 19);
	x->created_by = sq_col_str(s, a, q, 20);
	x->created_at = sq_col_i64(q, 21);
	x->updated_at = sq_col_i64(q, 22);
	x->members = split_list(s, a, q, 23);
	x->orgs = split_list(s, a, q, 24);
	x->tags = split_list(s, a, q, 25);
}

/*
 * True when incident x already has exactly the organisations x->orgs:
 * rewriting them would needlessly rewrite the incident's search rows
 * (their orgs tokens, migration 0010).
 */
static bool
orgs_unchanged(struct sq *s, const struct incident *x)
{
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT o.short_name FROM incident_org io JOIN org o ON o.id = "
	       "io.org_id WHERE io.incident_id = ?1");
	size_t have = 0, want = 0;
	bool same = true;

	if (q == NULL)
		return false;
	sqlite3_bind_int64(q, 1, x->id);
	while (same && sqlite3_step(q) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		bool found = false;

		for (size_t i = 0; x->orgs != NULL && x->orgs[i] != NULL; i++)
			if (name != NULL && strcmp(x->orgs[i], name) == 0)
				found = true;
		same = found;
		have++;
	}
	sq_done(q);
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
put_sets(struct sq *s, const struct incident *x)
{
	static const char *const del[] = {
	    "DELETE FROM incident_member WHERE incident_id = ?1",
	    "DELETE FROM incident_org WHERE incident_id = ?1",
	    "DELETE FROM incident_tag WHERE incident_id = ?1",
	};
	static const char *const ins[] = {
	    "INSERT INTO incident_member SELECT ?1, id FROM user WHERE login = "
	    "?2",
	    "INSERT INTO incident_org SELECT ?1, id FROM org WHERE short_name "
	    "= ?2",
	    "INSERT OR IGNORE INTO incident_tag VALUES (?1, ?2)",
	};
	const char **const sets[] = {x->members, x->orgs, x->tags};
	enum cs_err err;

	for (int k = 0; k < 3; k++) {
		sqlite3_stmt *q;

		if (k == 1 && orgs_unchanged(s, x))
			continue;
		if ((q = sq_prep(s, del[k])) == NULL)
			return CS_E_DB;

		if (q == NULL)
			return CS_E_DB;
		sqlite3_bind_int64(q, 1, x->id);
		if ((err = sq_run(s, q, "incident_sets")) != CS_OK)
			return err;
		for (size_t i = 0; sets[k] != NULL && sets[k][i] != NULL; i++) {
			if ((q = sq_prep(s, ins[k])) == NULL)
				return CS_E_DB;
			sqlite3_bind_int64(q, 1, x->id);
			sq_bind_str(q, 2, sets[k][i]);
			err = sq_run(s, q, "incident_sets");
			if (err == CS_E_CONFLICT && k < 2)
				err = CS_OK; /* listed twice */
			if (err != CS_OK)
				return err;
			if (k < 2 && sqlite3_changes(s->db) == 0)
				snprintf(s->err, sizeof(s->err),
				         "%s %s vanished",
				         k == 0 ? "user" : "organisation",
				         sets[k][i]);
		}
	}
	return CS_OK;
}

static void
bind_incident(sqlite3_stmt *q, const struct incident *x)
{
	sq_bind_str(q, 2, x->title);
	sq_bind_str(q, 3, x->summary ? x->summary : "");
	sq_bind_str(q, 4, x->rsit_class);
	sq_bind_str(q, 5, x->rsit_type);
	sq_bind_str(q, 6, tlp_name(x->tlp));
	sq_bind_str(q, 7, pap_name(x->pap));
	sq_bind_str(q, 8, level_name(x->impact));
	sq_bind_str(q, 9, level_name(x->urgency));
	sqlite3_bind_int(q, 10, x->priority);
	sq_bind_str(q, 11, status_name(x->status));
	sq_bind_str(q, 12,
	            x->resolution != RES_NONE ? resolution_name(x->resolution)
	                                      : NULL);
	sq_bind_time(q, 13, x->owner_id);
	sqlite3_bind_int64(q, 14, x->response_due);
	sqlite3_bind_int64(q, 15, x->resolve_due);
	sq_bind_time(q, 16, x->first_response_at);
	sq_bind_time(q, 17, x->resolved_at);
}

enum cs_err
sq_incident_put(struct store *st, struct arena *a, const char *team_code,
                int year, struct incident *x)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "INSERT INTO ref_counter VALUES (?1, 1) ON "
	               "CONFLICT (year) DO UPDATE SET last = last + "
	               "1 RETURNING last");
	char ref[64];
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int(q, 1, year);
	if ((err = sq_row_begin(s, q, "incident_ref")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	incident_ref_format(team_code, year, sq_col_i64(q, 0), ref,
	                    sizeof(ref));
	if ((err = sq_row_end(s, q)) != CS_OK)
		return err;
	if ((x->ref = arena_strdup(a, ref)) == NULL)
		return CS_E_TOOBIG;
	q = sq_prep(s,
	            "INSERT INTO incident (ref, title, summary, rsit_class, "
	            "rsit_type, tlp, pap, impact, urgency, priority, status, "
	            "resolution, owner_id, response_due, resolve_due, "
	            "first_response_at, resolved_at, created_by, created_at, "
	            "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
	            "?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?19)");
	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, x->ref);
	bind_incident(q, x);
	sq_bind_str(q, 18, x->created_by);
	sqlite3_bind_int64(q, 19, x->created_at);
	if ((err = sq_run(s, q, "incident_put")) != CS_OK)
		return err;
	x->id = sqlite3_last_insert_rowid(s->db);
	x->version = 1;
	return put_sets(s, x);
}

enum cs_err
sq_incident_get(struct store *st, struct arena *a, const struct viewer *v,
                const char *ref, struct incident *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT " INCIDENT_COLS " FROM incident i "
	                             "LEFT JOIN user ow ON ow.id = i.owner_id "
	                             "WHERE i.ref = ?1 AND " VISIBLE);
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, ref);
	sq_bind_viewer(q, v);
	if ((err = sq_row_begin(s, q, "incident_get")) != CS_OK)
		return err;
	read_incident(s, a, q, out);
	return sq_row_end(s, q);
}

/* incident_list's filters after its keyset condition, then VISIBLE */
#define LIST_FILTERS                                                           \
	"AND (?2 IS NULL OR i.status = ?2) "                                   \
	"AND (?3 IS NULL OR i.rsit_class = ?3) "                               \
	"AND (?4 IS NULL OR i.rsit_type = ?4) "                                \
	"AND (?5 IS NULL OR i.tlp = ?5) "                                      \
	"AND (?6 = 0 OR i.priority = ?6) "                                     \
	"AND (?7 = 0 OR (?7 = -1 AND i.owner_id IS NULL) OR "                  \
	"i.owner_id = ?7) "                                                    \
	"AND (?8 IS NULL OR EXISTS (SELECT 1 FROM incident_org io JOIN "       \
	"org o ON o.id = io.org_id WHERE io.incident_id = i.id AND "           \
	"o.short_name = ?8)) "                                                 \
	"AND (?9 IS NULL OR EXISTS (SELECT 1 FROM incident_tag t WHERE "       \
	"t.incident_id = i.id AND t.tag = ?9)) "                               \
	"AND (?10 = 0 OR (i.status IN ('new', 'open', 'stalled') AND "         \
	"(i.resolve_due < ?10 OR (i.first_response_at IS NULL AND "            \
	"i.response_due < ?10)))) "                                            \
	"AND (?12 IS NULL OR i.id IN (SELECT incident FROM search WHERE "      \
	"search MATCH '{title body} : (' || ?12 || ')' AND (kind = 0 OR "      \
	"(?21 <> 'constituent' AND "                                           \
	"kind IN (2, 3))))) "                                                  \
	"AND " VISIBLE

#define LIST_FROM                                                              \
	"SELECT " INCIDENT_COLS " FROM incident i LEFT JOIN user ow ON "       \
	"ow.id = i.owner_id WHERE "

/* One statement per order; ?13 is the sort key of the row ?1 */
static const char *const sq_incident_list_sql[] = {
    [SORT_NEWEST] = LIST_FROM "(?1 = 0 OR i.id < ?1) " LIST_FILTERS
                              " ORDER BY i.id DESC LIMIT ?11",
    [SORT_PRIORITY] = LIST_FROM
    "(?1 = 0 OR i.priority > ?13 OR (i.priority = ?13 AND i.id < ?1)) "
    "" LIST_FILTERS " ORDER BY i.priority, i.id DESC LIMIT ?11",
    [SORT_DUE] = LIST_FROM
    "(?1 = 0 OR i.resolve_due > ?13 OR (i.resolve_due = ?13 AND i.id < "
    "?1)) " LIST_FILTERS " ORDER BY i.resolve_due, i.id DESC LIMIT ?11",
    [SORT_UPDATED] = LIST_FROM
    "(?1 = 0 OR i.updated_at < ?13 OR (i.updated_at = ?13 AND i.id < "
    "?1)) " LIST_FILTERS " ORDER BY i.updated_at DESC, i.id DESC LIMIT "
    "?11",
};

enum cs_err
sq_incident_list(struct store *st, struct arena *a, const struct viewer *v,
                 const struct incident_filter *f, const struct page *p,
                 struct incident **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, sq_incident_list_sql[f->sort]);

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2, f->status);
	sq_bind_str(q, 3, f->rsit_class);
	sq_bind_str(q, 4, f->rsit_type);
	sq_bind_str(q, 5, f->tlp >= 0 ? tlp_name((enum tlp)f->tlp) : NULL);
	sqlite3_bind_int(q, 6, f->priority);
	sqlite3_bind_int64(q, 7, f->owner_id);
	sq_bind_str(q, 8, f->org);
	sq_bind_str(q, 9, f->tag);
	sqlite3_bind_int64(q, 10, f->due_before);
	sqlite3_bind_int(q, 11, p->limit);
	sq_bind_str(q, 12, f->fts);
	if (f->sort != SORT_NEWEST)
		sqlite3_bind_int64(q, 13, p->after_key);
	sq_bind_viewer(q, v);
	COLLECT(s, a, q, struct incident, items_out, n_out, p->limit,
	        read_incident(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_incident_update(struct store *st, const struct incident *x, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "UPDATE incident SET title = ?2, summary = ?3, rsit_class = ?4, "
	       "rsit_type = ?5, tlp = ?6, pap = ?7, impact = ?8, urgency = ?9, "
	       "priority = ?10, status = ?11, resolution = ?12, owner_id = "
	       "?13, response_due = ?14, resolve_due = ?15, first_response_at "
	       "= ?16, resolved_at = ?17, updated_at = ?18, version = version "
	       "+ 1 WHERE id = ?1 AND version = ?19");
	sqlite3_stmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->id);
	bind_incident(q, x);
	sqlite3_bind_int64(q, 18, now);
	sqlite3_bind_int64(q, 19, x->version);
	if ((err = sq_run(s, q, "incident_update")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1)
		return put_sets(s, x);
	if ((e = sq_prep(s, "SELECT 1 FROM incident WHERE id = ?1")) == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(e, 1, x->id);
	err = sqlite3_step(e) == SQLITE_ROW ? CS_E_STALE : CS_E_NOTFOUND;
	sq_done(e);
	return err;
}

static void
read_entry(struct sq *s, struct arena *a, sqlite3_stmt *q, struct entry *x)
{
	x->id = sq_col_i64(q, 0);
	x->incident_id = sq_col_i64(q, 1);
	x->kind = sq_col_str(s, a, q, 2);
	x->visibility = sq_col_str(s, a, q, 3);
	x->author = sq_col_str(s, a, q, 4);
	x->body = sq_col_str(s, a, q, 5);
	x->created_at = sq_col_i64(q, 6);
}

enum cs_err
sq_entry_put(struct store *st, const struct entry *x, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "INSERT INTO entry (incident_id, kind, "
	                             "visibility, author, body, created_at) "
	                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->incident_id);
	sq_bind_str(q, 2, x->kind);
	sq_bind_str(q, 3, x->visibility);
	sq_bind_str(q, 4, x->author);
	sq_bind_str(q, 5, x->body);
	sqlite3_bind_int64(q, 6, x->created_at);
	if ((err = sq_run(s, q, "entry_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_entry_list(struct store *st, struct arena *a, int64_t incident_id,
              bool shared_only, const struct page *p, struct entry **items_out,
              size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT id, incident_id, kind, visibility, "
	               "author, body, created_at FROM entry WHERE "
	               "incident_id = ?1 AND id > ?2 AND (?3 = 0 OR "
	               "visibility = 'shared') ORDER BY id LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, shared_only);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct entry, items_out, n_out, p->limit,
	        read_entry(s, a, q, it_));
	return CS_OK;
}

#define TASK_COLS                                                              \
	"t.id, t.incident_id, t.title, t.assignee_id, u.login, t.due_at, "     \
	"t.state, t.version, t.created_at, t.updated_at"

static void
read_task(struct sq *s, struct arena *a, sqlite3_stmt *q, struct task *x)
{
	x->id = sq_col_i64(q, 0);
	x->incident_id = sq_col_i64(q, 1);
	x->title = sq_col_str(s, a, q, 2);
	x->assignee_id = sq_col_i64(q, 3);
	x->assignee = sq_col_str(s, a, q, 4);
	x->due_at = sq_col_i64(q, 5);
	x->state = sq_col_str(s, a, q, 6);
	x->version = sq_col_i64(q, 7);
	x->created_at = sq_col_i64(q, 8);
	x->updated_at = sq_col_i64(q, 9);
}

enum cs_err
sq_task_put(struct store *st, const struct task *x, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "INSERT INTO task (incident_id, title, "
	               "assignee_id, due_at, state, created_at, "
	               "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	               "?6)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->incident_id);
	sq_bind_str(q, 2, x->title);
	sq_bind_time(q, 3, x->assignee_id);
	sq_bind_time(q, 4, x->due_at);
	sq_bind_str(q, 5, x->state ? x->state : "open");
	sqlite3_bind_int64(q, 6, x->created_at);
	if ((err = sq_run(s, q, "task_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_task_get(struct store *st, struct arena *a, int64_t incident_id, int64_t id,
            struct task *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " TASK_COLS " FROM task t LEFT JOIN "
	               "user u ON u.id = t.assignee_id WHERE t.id = "
	               "?1 AND t.incident_id = ?2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, incident_id);
	if ((err = sq_row_begin(s, q, "task_get")) != CS_OK)
		return err;
	read_task(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_task_list(struct store *st, struct arena *a, int64_t incident_id,
             const struct page *p, struct task **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " TASK_COLS " FROM task t LEFT JOIN "
	               "user u ON u.id = t.assignee_id WHERE "
	               "t.incident_id = ?1 AND t.id > ?2 ORDER BY "
	               "t.id LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct task, items_out, n_out, p->limit,
	        read_task(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_task_update(struct store *st, const struct task *x, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "UPDATE task SET title = ?3, assignee_id = "
	               "?4, due_at = ?5, state = ?6, updated_at = "
	               "?7, version = version + 1 WHERE id = ?1 AND "
	               "incident_id = ?2 AND version = ?8");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->id);
	sqlite3_bind_int64(q, 2, x->incident_id);
	sq_bind_str(q, 3, x->title);
	sq_bind_time(q, 4, x->assignee_id);
	sq_bind_time(q, 5, x->due_at);
	sq_bind_str(q, 6, x->state);
	sqlite3_bind_int64(q, 7, now);
	sqlite3_bind_int64(q, 8, x->version);
	if ((err = sq_run(s, q, "task_update")) != CS_OK)
		return err;
	return sqlite3_changes(s->db) == 1 ? CS_OK : CS_E_STALE;
}

enum cs_err
sq_task_cancel_open(struct store *st, int64_t incident_id, int64_t now,
                    int64_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "UPDATE task SET state = 'cancelled', "
	               "updated_at = ?2, version = version + 1 "
	               "WHERE incident_id = ?1 AND state = 'open'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, now);
	if ((err = sq_run(s, q, "task_cancel_open")) == CS_OK)
		*n_out = sqlite3_changes(s->db);
	return err;
}

enum cs_err
sq_task_count_open(struct store *st, int64_t incident_id, int64_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT count(*) FROM task WHERE "
	                             "incident_id = ?1 AND state = 'open'");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	if ((err = sq_row_begin(s, q, "task_count_open")) != CS_OK)
		return err;
	*n_out = sq_col_i64(q, 0);
	return sq_row_end(s, q);
}
