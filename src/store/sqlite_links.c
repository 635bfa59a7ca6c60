/* sqlite_links.c - links between incidents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

enum cs_err
sq_link_put(struct store *st, int64_t from_id, int64_t to_id, const char *kind,
            const char *by, int64_t now, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "INSERT INTO incident_link (from_id, "
	                             "to_id, kind, created_by, created_at) "
	                             "VALUES (?1, ?2, ?3, ?4, ?5)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, from_id);
	sqlite3_bind_int64(q, 2, to_id);
	sq_bind_str(q, 3, kind);
	sq_bind_str(q, 4, by);
	sqlite3_bind_int64(q, 5, now);
	if ((err = sq_run(s, q, "link_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_link_list(struct store *st, struct arena *a, const struct viewer *v,
             int64_t incident_id, struct incident_link **items_out,
             size_t *n_out)
{
	struct sq *s = SQ(st);
	/* the other end of each link, named from this incident's side */
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT l.id, CASE WHEN l.kind = 'related' THEN 'related' "
	       "WHEN l.kind = 'parent' AND l.from_id = ?1 THEN 'parent-of' "
	       "WHEN l.kind = 'parent' THEN 'child-of' "
	       "WHEN l.from_id = ?1 THEN 'duplicate-of' "
	       "ELSE 'duplicated-by' END, i.ref, i.title, l.created_by, "
	       "l.created_at FROM incident_link l JOIN incident i ON i.id = "
	       "CASE WHEN l.from_id = ?1 THEN l.to_id ELSE l.from_id END "
	       "WHERE (l.from_id = ?1 OR l.to_id = ?1) AND " VISIBLE
	       " ORDER BY l.id LIMIT ?2");
	int limit = 500;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, incident_id);
	sqlite3_bind_int(q, 2, limit);
	sq_bind_viewer(q, v);
	COLLECT(s, a, q, struct incident_link, items_out, n_out, limit, {
		it_->id = sq_col_i64(q, 0);
		it_->kind = sq_col_str(s, a, q, 1);
		it_->ref = sq_col_str(s, a, q, 2);
		it_->title = sq_col_str(s, a, q, 3);
		it_->created_by = sq_col_str(s, a, q, 4);
		it_->created_at = sq_col_i64(q, 5);
	});
	return CS_OK;
}

enum cs_err
sq_link_delete(struct store *st, int64_t incident_id, int64_t id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "DELETE FROM incident_link WHERE id = ?1 "
	                             "AND (from_id = ?2 OR to_id = ?2)");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, incident_id);
	return sq_changed_one(s, sq_run(s, q, "link_delete"));
}
