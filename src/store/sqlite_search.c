/* sqlite_search.c - full-text search (FTS5) with the read rules applied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

static const char *const kinds[] = {"incident", "report", "entry",
                                    "observable"};

/*
 * A constituent: the organisation's token ("org<ID>", see migration 0010)
 * is intersected with the query inside FTS5, so only the organisation's
 * rows are walked; the row-level rules still apply to each of them.
 */
#define CONSTITUENT_SEARCH                                                     \
	"SELECT f.kind, i.ref, f.rowid / 4, CASE f.kind WHEN 2 THEN i.title "  \
	"ELSE f.title END, snippet(search, 1, '\u00ab', '\u00bb', '\u2026', "  \
	"16) FROM search f JOIN incident i ON i.id = f.incident WHERE "        \
	"search MATCH '{title body} : (' || ?1 || ') AND orgs : org' || "      \
	"coalesce((SELECT id FROM org WHERE short_name = ?22), 0) "            \
	"AND f.kind <> 1 AND EXISTS (SELECT 1 FROM incident_org io "           \
	"JOIN org o ON o.id = io.org_id WHERE io.incident_id = i.id "          \
	"AND o.short_name = ?22) AND (i.tlp <> 'RED' OR EXISTS (SELECT 1 "     \
	"FROM incident_member m WHERE m.incident_id = i.id "                   \
	"AND m.user_id = ?20)) AND (f.kind = 0 OR (f.kind = 2 AND EXISTS "     \
	"(SELECT 1 FROM entry e WHERE e.id = f.rowid / 4 "                     \
	"AND e.visibility = 'shared')) OR (f.kind = 3 AND EXISTS (SELECT 1 "   \
	"FROM observable o WHERE o.id = f.rowid / 4 AND (o.tlp IS NULL OR "    \
	"o.tlp <> 'RED')))) ORDER BY f.rowid DESC LIMIT ?2 OFFSET ?3"

enum cs_err
sq_search(struct store *st, struct arena *a, const struct viewer *v,
          const char *fts, const struct page *p, struct search_hit **items_out,
          size_t *n_out)
{
	struct sq *s = SQ(st);
	/* the incident-level rule is VISIBLE; what is inside an incident
	 * adds its own: internal entries and TLP:RED observables stay with
	 * the team, and so do reports */
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT f.kind, i.ref, f.rowid / 4, "
	       "CASE f.kind WHEN 2 THEN i.title ELSE f.title END, "
	       "snippet(search, 1, '\u00ab', '\u00bb', '\u2026', 16) "
	       "FROM search f LEFT JOIN incident i ON i.id = f.incident "
	       "WHERE search MATCH '{title body} : (' || ?1 || ')' AND ("
	       "(f.kind = 1 AND ?21 <> 'constituent') OR "
	       "(f.kind <> 1 AND i.id IS NOT NULL AND " VISIBLE
	       " AND (?21 <> 'constituent' OR f.kind = 0 OR "
	       "(f.kind = 2 AND EXISTS (SELECT 1 FROM entry e WHERE e.id = "
	       "f.rowid / 4 AND e.visibility = 'shared')) OR "
	       "(f.kind = 3 AND EXISTS (SELECT 1 FROM observable o WHERE o.id "
	       "= f.rowid / 4 AND (o.tlp IS NULL OR o.tlp <> 'RED')))))) "
	       "ORDER BY f.rowid DESC LIMIT ?2 OFFSET ?3");
	int rc;

	if (v->role == ROLE_CONSTITUENT)
		q = sq_prep(s, CONSTITUENT_SEARCH);
	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, fts);
	sqlite3_bind_int(q, 2, p->limit);
	sqlite3_bind_int64(q, 3, p->after);
	sq_bind_viewer(q, v);
	{
		struct search_hit *items =
		    arena_alloc(a, sizeof(*items) * (size_t)p->limit);
		size_t n = 0;

		if (items == NULL) {
			sq_done(q);
			return CS_E_TOOBIG;
		}
		s->oom = false;
		while (n < (size_t)p->limit &&
		       (rc = sqlite3_step(q)) == SQLITE_ROW) {
			struct search_hit *h = &items[n++];
			int kind = sqlite3_column_int(q, 0);

			memset(h, 0, sizeof(*h));
			h->kind = kinds[kind & 3];
			h->incident_ref = sq_col_str(s, a, q, 1);
			h->report_id = kind == 1 ? sq_col_i64(q, 2) : 0;
			h->title = sq_col_str(s, a, q, 3);
			h->snippet = sq_col_str(s, a, q, 4);
		}
		if (n < (size_t)p->limit && rc != SQLITE_DONE) {
			/* FTS5 refused the query (syntax) */
			enum cs_err err = sq_db_error(s, "search");

			sq_done(q);
			return err == CS_E_DB ? CS_E_INVAL : err;
		}
		sq_done(q);
		if (s->oom)
			return CS_E_TOOBIG;
		*items_out = items;
		*n_out = n;
	}
	return CS_OK;
}
