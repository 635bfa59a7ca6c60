/*
 * pg_observables.c - observables of incidents and their correlation (the
 * PostgreSQL dialect of sqlite_observables.c).
 */
#include <stdint.h>
#include <string.h>

#include "store/pg_int.h"

#define OBSERVABLE_COLS                                                        \
	"id, incident_id, type, value, to_ids, tlp, comment, first_seen, "     \
	"last_seen, created_by, created_at"

static void
read_observable(struct pg *p, struct arena *a, struct pgstmt *q,
                struct observable *x)
{
	const char *t;
	enum tlp tlp;

	memset(x, 0, sizeof(*x));
	x->id = pg_col_i64(q, 0);
	x->incident_id = pg_col_i64(q, 1);
	x->type = pg_col_str(p, a, q, 2);
	x->value = pg_col_str(p, a, q, 3);
	x->to_ids = pg_col_i64(q, 4) != 0;
	x->tlp = -1;
	if ((t = pg_col_text(q, 5)) != NULL && tlp_parse(t, &tlp))
		x->tlp = (int)tlp;
	x->comment = pg_col_str(p, a, q, 6);
	x->first_seen = pg_col_i64(q, 7);
	x->last_seen = pg_col_i64(q, 8);
	x->created_by = pg_col_str(p, a, q, 9);
	x->created_at = pg_col_i64(q, 10);
}

/*
 * The same (incident, type, value) seen again moves last_seen of the
 * existing row. The UPDATE comes first: an INSERT that meets the row would
 * draw an id from the sequence all the same (SQLite reuses none either
 * way), and a conflict must not abort the transaction (ON CONFLICT DO
 * NOTHING, then the UPDATE again if a writer that does not hold the
 * writers' lock added the row meanwhile).
 */
static enum cs_err
seen_again(struct pg *p, const struct observable *x, int64_t *id_out)
{
	struct pgstmt *q = pg_prep(
	    p, "UPDATE observable SET last_seen = greatest(last_seen, "
	       "$4::bigint) WHERE incident_id = $1::bigint AND type = $2::text "
	       "AND value = $3::text RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, x->incident_id);
	pg_bind_str(q, 2, x->type);
	pg_bind_str(q, 3, x->value);
	pg_bind_i64(q, 4, x->last_seen);
	if ((err = pg_row_begin(p, q, "observable_seen")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_observable_put(struct store *st, const struct observable *x, int64_t *id_out,
                  bool *created_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q;
	enum cs_err err;

	*created_out = false;
	if ((err = seen_again(p, x, id_out)) != CS_E_NOTFOUND)
		return err;
	q = pg_prep(
	    p, "INSERT INTO observable (incident_id, type, value, to_ids, tlp, "
	       "comment, first_seen, last_seen, created_by, created_at) VALUES "
	       "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT "
	       "(incident_id, type, value) DO NOTHING RETURNING id");
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, x->incident_id);
	pg_bind_str(q, 2, x->type);
	pg_bind_str(q, 3, x->value);
	pg_bind_i64(q, 4, x->to_ids ? 1 : 0);
	pg_bind_str(q, 5, x->tlp >= 0 ? tlp_name((enum tlp)x->tlp) : NULL);
	pg_bind_str(q, 6, x->comment ? x->comment : "");
	pg_bind_i64(q, 7, x->first_seen);
	pg_bind_i64(q, 8, x->last_seen);
	pg_bind_str(q, 9, x->created_by);
	pg_bind_i64(q, 10, x->created_at);
	err = pg_row_begin(p, q, "observable_put");
	if (err == CS_OK) {
		*id_out = pg_col_i64(q, 0);
		*created_out = true;
		return pg_row_end(p, q);
	}
	if (err != CS_E_NOTFOUND)
		return err;
	err = seen_again(p, x, id_out);
	return err == CS_E_NOTFOUND ? CS_E_DB : err;
}

enum cs_err
pg_observable_get(struct store *st, struct arena *a, int64_t incident_id,
                  int64_t id, struct observable *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT " OBSERVABLE_COLS " FROM observable WHERE id = "
	               "$1::bigint AND incident_id = $2::bigint");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, incident_id);
	if ((err = pg_row_begin(p, q, "observable_get")) != CS_OK)
		return err;
	read_observable(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_observable_list(struct store *st, struct arena *a, int64_t incident_id,
                   const struct page *p, struct observable **items_out,
                   size_t *n_out)
{
	struct pg *g = PG(st);
	struct pgstmt *q = pg_prep(
	    g, "SELECT " OBSERVABLE_COLS " FROM observable WHERE incident_id = "
	       "$1::bigint AND id > $2::bigint ORDER BY id LIMIT $3::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, incident_id);
	pg_bind_i64(q, 2, p->after);
	pg_bind_i64(q, 3, p->limit);
	PG_COLLECT(g, a, q, struct observable, items_out, n_out, p->limit,
	           read_observable(g, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_observable_delete(struct store *st, int64_t incident_id, int64_t id)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "DELETE FROM observable WHERE id = "
	               "$1::bigint AND incident_id = $2::bigint");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, incident_id);
	return pg_changed_one(p, pg_run(p, q, "observable_delete"));
}

enum cs_err
pg_observable_correlate(struct store *st, struct arena *a,
                        const struct viewer *v, int64_t incident_id,
                        const struct observable *obs, size_t n, int max_each,
                        struct correlation **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT i.id, i.ref, i.title FROM observable o JOIN incident i "
	       "ON i.id = o.incident_id WHERE o.type = $1::text AND o.value = "
	       "$2::text AND o.incident_id <> $3::bigint AND " PG_VISIBLE
	       " ORDER BY i.id DESC LIMIT $4::bigint");
	struct correlation *out;
	size_t cap, k = 0;

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
	p->oom = false;
	for (size_t i = 0; i < n; i++) {
		pg_bind_str(q, 1, obs[i].type);
		pg_bind_str(q, 2, obs[i].value);
		pg_bind_i64(q, 3, incident_id);
		pg_bind_i64(q, 4, max_each);
		pg_bind_viewer(q, v);
		while (k < cap && pg_step(p, q)) {
			out[k].index = i;
			out[k].incident_id = pg_col_i64(q, 0);
			out[k].ref = pg_col_str(p, a, q, 1);
			out[k].title = pg_col_str(p, a, q, 2);
			k++;
		}
		if (q->res != NULL && pg_failed(q)) {
			pg_done(q); /* pg_step() has recorded the error */
			return CS_E_DB;
		}
		pg_done(q);
		if (p->oom)
			return CS_E_TOOBIG;
	}
	*items_out = out;
	*n_out = k;
	return CS_OK;
}
