/* sqlite_templates.c - incident templates per RSIT type. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

#define TEMPLATE_COLS                                                          \
	"id, rsit_type, name, tlp, pap, impact, urgency, tags, tasks, "        \
	"version, created_at, updated_at"

static int
col_enum(sqlite3_stmt *q, int i, bool (*parse)(const char *, int *))
{
	const char *t = (const char *)sqlite3_column_text(q, i);
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
read_template(struct sq *s, struct arena *a, sqlite3_stmt *q,
              struct incident_template *t)
{
	t->id = sq_col_i64(q, 0);
	t->rsit_type = sq_col_str(s, a, q, 1);
	t->name = sq_col_str(s, a, q, 2);
	t->tlp = col_enum(q, 3, p_tlp);
	t->pap = col_enum(q, 4, p_pap);
	t->impact = col_enum(q, 5, p_level);
	t->urgency = col_enum(q, 6, p_level);
	t->tags = sq_col_str(s, a, q, 7);
	t->tasks = sq_col_str(s, a, q, 8);
	t->version = sq_col_i64(q, 9);
	t->created_at = sq_col_i64(q, 10);
	t->updated_at = sq_col_i64(q, 11);
}

enum cs_err
sq_template_put(struct store *st, const struct incident_template *t,
                int64_t now, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err;

	if (t->id == 0)
		q = sq_prep(s, "INSERT INTO incident_template (rsit_type, "
		               "name, tlp, pap, impact, urgency, tags, tasks, "
		               "created_at, updated_at) VALUES (?1, ?2, ?3, "
		               "?4, ?5, ?6, ?7, ?8, ?9, ?9)");
	else
		q = sq_prep(s, "UPDATE incident_template SET rsit_type = ?1, "
		               "name = ?2, tlp = ?3, pap = ?4, impact = ?5, "
		               "urgency = ?6, tags = ?7, tasks = ?8, "
		               "updated_at = ?9, version = version + 1 WHERE "
		               "id = ?10 AND version = ?11");
	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, t->rsit_type);
	sq_bind_str(q, 2, t->name);
	sq_bind_str(q, 3, t->tlp >= 0 ? tlp_name((enum tlp)t->tlp) : NULL);
	sq_bind_str(q, 4, t->pap >= 0 ? pap_name((enum pap)t->pap) : NULL);
	sq_bind_str(q, 5,
	            t->impact >= 0 ? level_name((enum level)t->impact) : NULL);
	sq_bind_str(
	    q, 6, t->urgency >= 0 ? level_name((enum level)t->urgency) : NULL);
	sq_bind_str(q, 7, t->tags ? t->tags : "");
	sq_bind_str(q, 8, t->tasks ? t->tasks : "");
	sqlite3_bind_int64(q, 9, now);
	if (t->id != 0) {
		sqlite3_bind_int64(q, 10, t->id);
		sqlite3_bind_int64(q, 11, t->version);
	}
	if ((err = sq_run(s, q, "template_put")) != CS_OK)
		return err;
	if (t->id == 0) {
		*id_out = sqlite3_last_insert_rowid(s->db);
		return CS_OK;
	}
	*id_out = t->id;
	return sqlite3_changes(s->db) == 1 ? CS_OK : CS_E_STALE;
}

enum cs_err
sq_template_get(struct store *st, struct arena *a, int64_t id,
                const char *rsit_type, struct incident_template *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err;

	if (rsit_type != NULL) {
		q = sq_prep(s, "SELECT " TEMPLATE_COLS " FROM "
		               "incident_template WHERE rsit_type = ?1");
		if (q != NULL)
			sq_bind_str(q, 1, rsit_type);
	} else {
		q = sq_prep(s, "SELECT " TEMPLATE_COLS " FROM "
		               "incident_template WHERE id = ?1");
		if (q != NULL)
			sqlite3_bind_int64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = sq_row_begin(s, q, "template_get")) != CS_OK)
		return err;
	read_template(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_template_list(struct store *st, struct arena *a, const struct page *p,
                 struct incident_template **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "SELECT " TEMPLATE_COLS " FROM "
	                             "incident_template WHERE id > ?1 ORDER "
	                             "BY id LIMIT ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sqlite3_bind_int(q, 2, p->limit);
	COLLECT(s, a, q, struct incident_template, items_out, n_out, p->limit,
	        read_template(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_template_delete(struct store *st, int64_t id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "DELETE FROM incident_template WHERE id = ?1");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	return sq_changed_one(s, sq_run(s, q, "template_delete"));
}
