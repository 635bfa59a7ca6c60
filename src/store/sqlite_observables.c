/* sqlite_observables.c - observables of incidents and their correlation. */
#include <stdint.h>
#include <string.h>

#include "store/sqlite_int.h"

#define OBSERVABLE_COLS                                                        \
	"id, incident_id, type, value, to_ids, tlp, comment, first_seen, "     \
	"last_seen, created_by, created_at"

static void
read_observable(struct sq *s, struct arena *a, sqlite3_stmt *q,
                struct observable *x)
{
	const char *t;
	enum tlp tlp;

	memset(x, 0, sizeof(*x));
	x->id = sq_col_i64(q, 0);
	x->incident_id = sq_col_i64(q, 1);
	x->type = sq_col_str(s, a, q, 2);
	x->value = sq_col_str(s, a, q, 3);
	x->to_ids = sqlite3_column_int(q, 4) != 0;
	x->tlp = -1;
	if ((t = (const char *)sqlite3_column_text(q, 5)) != NULL &&
	    tlp_parse(t, &tlp))
		x->tlp = (int)tlp;
	x->comment = sq_col_str(s, a, q, 6);
	x->first_seen = sq_col_i64(q, 7);
	x->last_seen = sq_col_i64(q, 8);
	x->created_by = sq_col_str(s, a, q, 9);
	x->created_at = sq_col_i64(q, 10);
}

enum cs_err
sq_observable_put(struct store *st, const struct observable *x, int64_t *id_out,
                  bool *created_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO observable (incident_id, type, value, to_ids, "
	       "tlp, comment, first_seen, last_seen, created_by, created_at) "
	       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT "
	       "(incident_id, type, value) DO NOTHING");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->incident_id);
	sq_bind_str(q, 2, x->type);
	sq_bind_str(q, 3, x->value);
	sqlite3_bind_int(q, 4, x->to_ids ? 1 : 0);
	sq_bind_str(q, 5, x->tlp >= 0 ? tlp_name((enum tlp)x->tlp) : NULL);
	sq_bind_str(q, 6, x->comment ? x->comment : "");
	sqlite3_bind_int64(q, 7, x->first_seen);
	sqlite3_bind_int64(q, 8, x->last_seen);
	sq_bind_str(q, 9, x->created_by);
	sqlite3_bind_int64(q, 10, x->created_at);
	if ((err = sq_run(s, q, "observable_put")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1) {
		*id_out = sqlite3_last_insert_rowid(s->db);
		*created_out = true;
		return CS_OK;
	}
	/* seen again: the existing row */
	q = sq_prep(s, "UPDATE observable SET last_seen = max(last_seen, ?4) "
	               "WHERE incident_id = ?1 AND type = ?2 AND value = ?3 "
	               "RETURNING id");
	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->incident_id);
	sq_bind_str(q, 2, x->type);
	sq_bind_str(q, 3, x->value);
	sqlite3_bind_int64(q, 4, x->last_seen);
	if ((err = sq_row_begin(s, q, "observable_seen")) != CS_OK)
		return err == CS_E_NOTFOUND ? CS_E_DB : err;
	*id_out = sq_col_i64(q, 0);
	*created_out = false;
	return sq_row_end(s, q);
}

enum cs_err
sq_observable_get(struct store *st, struct arena *a, int64_t incident_id,
                  int64_t id, struct observable *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " OBSERVABLE_COLS " FROM observable WHERE id = "
	               "?1 AND incident_id = ?2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, incident_id);
	if ((err = sq_row_begin(s, q, "observable_get")) != CS_OK)
		return err;
	read_observable(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_observable_list(struct store *st, struct arena *a, int64_t incident_id,
                   const struct page *p, struct observable **items_out,
                   size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT " OBSERVABLE_COLS " FROM observable WHERE "
	               "incident_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct observable, items_out, n_out, p->limit,
	        read_observable(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_observable_delete(struct store *st, int64_t incident_id, int64_t id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "DELETE FROM observable WHERE id = ?1 "
	                             "AND incident_id = ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, incident_id);
	return sq_changed_one(s, sq_run(s, q, "observable_delete"));
}

enum cs_err
sq_observable_correlate(struct store *st, struct arena *a,
                        const struct viewer *v, int64_t incident_id,
                        const struct observable *obs, size_t n, int max_each,
                        struct correlation **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s,
	    "SELECT i.id, i.ref, i.title FROM observable o JOIN incident i "
	    "ON i.id = o.incident_id WHERE o.type = ?1 AND o.value = ?2 AND "
	    "o.incident_id <> ?3 AND " VISIBLE " ORDER BY i.id DESC LIMIT ?4");
	struct correlation *out;
	size_t cap, k = 0;
	int rc;

	*items_out = NULL;
	*n_out = 0;
	if (q == NULL)
		return CS_E_DB;
	if (n == 0 || max_each <= 0)
		return CS_OK;
	if (n > SIZE_MAX / sizeof(*out) / (size_t)max_each)
		return CS_E_TOOBIG;
	cap = n * (size_t)max_each;
	if ((out = arena_alloc(a, sizeof(*out) * cap)) == NULL)
		return CS_E_TOOBIG;
	s->oom = false;
	for (size_t i = 0; i < n; i++) {
		rc = SQLITE_DONE;
		sq_bind_str(q, 1, obs[i].type);
		sq_bind_str(q, 2, obs[i].value);
		sqlite3_bind_int64(q, 3, incident_id);
		sqlite3_bind_int(q, 4, max_each);
		sq_bind_viewer(q, v);
		while (k < cap && (rc = sqlite3_step(q)) == SQLITE_ROW) {
			out[k].index = i;
			out[k].incident_id = sq_col_i64(q, 0);
			out[k].ref = sq_col_str(s, a, q, 1);
			out[k].title = sq_col_str(s, a, q, 2);
			k++;
		}
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			enum cs_err err =
			    sq_db_error(s, "observable_correlate");

			sq_done(q);
			return err;
		}
		sq_done(q);
		if (s->oom)
			return CS_E_TOOBIG;
	}
	*items_out = out;
	*n_out = k;
	return CS_OK;
}
