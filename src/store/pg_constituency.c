/* pg_constituency.c - organisations, contacts, network assets (the
 * PostgreSQL dialect of sqlite_constituency.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/text.h"
#include "store/pg_int.h"

/* rows per round trip of asset_scan: bounds the memory a scan holds */
#define SCAN_BATCH 1000

/* A lookup value PostgreSQL would refuse (not UTF-8) matches no row, as
 * in SQLite, instead of failing the statement (and the transaction). */
static bool
lookup_ok(const char *s)
{
	return s == NULL || utf8_is_valid(s, strlen(s));
}

/* ---- constituency ---- */

#define ORG_COLS                                                               \
	"o.id, o.parent_id, o.name, o.short_name, o.sector, o.country, "       \
	"o.languages, o.notes, p.short_name, o.version, o.created_at, "        \
	"o.updated_at, o.notify_interval, o.notify_test"

static void
read_org(struct pg *p, struct arena *a, struct pgstmt *q, struct org *o)
{
	o->id = pg_col_i64(q, 0);
	o->parent_id = pg_col_i64(q, 1);
	o->name = pg_col_str(p, a, q, 2);
	o->short_name = pg_col_str(p, a, q, 3);
	o->sector = pg_col_str(p, a, q, 4);
	o->country = pg_col_str(p, a, q, 5);
	o->languages = pg_col_str(p, a, q, 6);
	o->notes = pg_col_str(p, a, q, 7);
	o->parent_short = pg_col_str(p, a, q, 8);
	o->version = pg_col_i64(q, 9);
	o->created_at = pg_col_i64(q, 10);
	o->updated_at = pg_col_i64(q, 11);
	o->notify_interval = pg_col_str(p, a, q, 12);
	o->notify_test = pg_col_i64(q, 13) != 0;
}

enum cs_err
pg_org_put(struct store *st, const struct org *o, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "INSERT INTO org (name, short_name, sector, country, languages, "
	       "parent_id, notes, created_at, updated_at, notify_interval, "
	       "notify_test) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, "
	       "coalesce($9, 'daily'), $10) RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_str(q, 1, o->name);
	pg_bind_str(q, 2, o->short_name);
	pg_bind_str(q, 3, o->sector ? o->sector : "");
	pg_bind_str(q, 4, o->country ? o->country : "");
	pg_bind_str(q, 5, o->languages ? o->languages : "");
	pg_bind_time(q, 6, o->parent_id);
	pg_bind_str(q, 7, o->notes ? o->notes : "");
	pg_bind_i64(q, 8, o->created_at);
	pg_bind_str(q, 9, o->notify_interval);
	pg_bind_i64(q, 10, o->notify_test);
	if ((err = pg_row_begin(p, q, "org_put")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_org_get(struct store *st, struct arena *a, int64_t id,
           const char *short_name, struct org *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q;
	enum cs_err err;

	if (short_name != NULL) {
		if (!lookup_ok(short_name))
			return CS_E_NOTFOUND;
		q = pg_prep(p,
		            "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON "
		            "p.id = o.parent_id WHERE o.short_name = $1");
		if (q != NULL)
			pg_bind_str(q, 1, short_name);
	} else {
		q = pg_prep(p,
		            "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON "
		            "p.id = o.parent_id WHERE o.id = $1");
		if (q != NULL)
			pg_bind_i64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = pg_row_begin(p, q, "org_get")) != CS_OK)
		return err;
	read_org(p, a, q, out);
	return pg_row_end(p, q);
}

/* SQLite's lower() folds ASCII letters only; so does PostgreSQL's under
 * the "C" collation, whatever the database's locale. strpos(), like
 * instr(), takes its argument literally (no LIKE wildcards). */
enum cs_err
pg_org_list(struct store *st, struct arena *a, const char *text,
            const struct page *pa, struct org **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON p.id = "
	       "o.parent_id WHERE o.id > $1 AND ($2::text IS NULL OR "
	       "strpos(lower(o.name COLLATE \"C\"), lower($2::text COLLATE "
	       "\"C\")) > 0 OR strpos(lower(o.short_name COLLATE \"C\"), "
	       "lower($2::text COLLATE \"C\")) > 0) ORDER BY o.id LIMIT $3");

	if (!lookup_ok(text)) {
		if ((*items_out = arena_alloc(a, sizeof(**items_out))) == NULL)
			return CS_E_TOOBIG;
		memset(*items_out, 0, sizeof(**items_out));
		*n_out = 0;
		return CS_OK;
	}
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, pa->after);
	pg_bind_str(q, 2, text);
	pg_bind_i64(q, 3, pa->limit);
	PG_COLLECT(p, a, q, struct org, items_out, n_out, pa->limit,
	           read_org(p, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_org_update(struct store *st, const struct org *o, int64_t now)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "UPDATE org SET name = $2, short_name = $3, sector = $4, "
	       "country = $5, languages = $6, parent_id = $7, notes = $8, "
	       "updated_at = $9, version = version + 1, notify_interval = "
	       "coalesce($11, notify_interval), notify_test = $12 WHERE id = "
	       "$1 AND version = $10");
	struct pgstmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, o->id);
	pg_bind_str(q, 2, o->name);
	pg_bind_str(q, 3, o->short_name);
	pg_bind_str(q, 4, o->sector);
	pg_bind_str(q, 5, o->country);
	pg_bind_str(q, 6, o->languages);
	pg_bind_time(q, 7, o->parent_id);
	pg_bind_str(q, 8, o->notes);
	pg_bind_i64(q, 9, now);
	pg_bind_i64(q, 10, o->version);
	pg_bind_str(q, 11, o->notify_interval);
	pg_bind_i64(q, 12, o->notify_test);
	if ((err = pg_run(p, q, "org_update")) != CS_OK)
		return err;
	if (p->last_changes == 1)
		return CS_OK;
	if ((e = pg_prep(p, "SELECT 1 FROM org WHERE id = $1")) == NULL)
		return CS_E_DB;
	pg_bind_i64(e, 1, o->id);
	if (pg_step(p, e))
		err = CS_E_STALE;
	else
		err = pg_failed(e) ? CS_E_DB : CS_E_NOTFOUND;
	pg_done(e);
	return err;
}

static void
read_contact(struct pg *p, struct arena *a, struct pgstmt *q, struct contact *c)
{
	c->id = pg_col_i64(q, 0);
	c->org_id = pg_col_i64(q, 1);
	c->name = pg_col_str(p, a, q, 2);
	c->email = pg_col_str(p, a, q, 3);
	c->phone = pg_col_str(p, a, q, 4);
	c->role = pg_col_str(p, a, q, 5);
	c->language = pg_col_str(p, a, q, 6);
	c->created_at = pg_col_i64(q, 7);
	c->pgp_key = pg_col_str(p, a, q, 8);
	c->pgp_fingerprint = pg_col_str(p, a, q, 9);
}

enum cs_err
pg_contact_put(struct store *st, const struct contact *c, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "INSERT INTO contact (org_id, name, email, phone, "
	               "role, language, created_at, pgp_key, pgp_fingerprint) "
	               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
	               "RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, c->org_id);
	pg_bind_str(q, 2, c->name ? c->name : "");
	pg_bind_str(q, 3, c->email);
	pg_bind_str(q, 4, c->phone ? c->phone : "");
	pg_bind_str(q, 5, c->role);
	pg_bind_str(q, 6, c->language ? c->language : "");
	pg_bind_i64(q, 7, c->created_at);
	pg_bind_str(q, 8, c->pgp_key);
	pg_bind_str(q, 9, c->pgp_fingerprint);
	if ((err = pg_row_begin(p, q, "contact_put")) != CS_OK)
		return err;
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_contact_list(struct store *st, struct arena *a, int64_t org_id,
                const struct page *pa, struct contact **items_out,
                size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT id, org_id, name, email, phone, role, "
	               "language, created_at, pgp_key, pgp_fingerprint FROM "
	               "contact WHERE org_id = $1 AND id > $2 ORDER BY id "
	               "LIMIT $3");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, org_id);
	pg_bind_i64(q, 2, pa->after);
	pg_bind_i64(q, 3, pa->limit);
	PG_COLLECT(p, a, q, struct contact, items_out, n_out, pa->limit,
	           read_contact(p, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_contact_delete(struct store *st, int64_t org_id, int64_t id)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "DELETE FROM contact WHERE id = $1 AND org_id = $2");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, org_id);
	return pg_changed_one(p, pg_run(p, q, "contact_delete"));
}

static void
read_asset(struct pg *p, struct arena *a, struct pgstmt *q, struct org_asset *x)
{
	x->id = pg_col_i64(q, 0);
	x->org_id = pg_col_i64(q, 1);
	x->kind = pg_col_str(p, a, q, 2);
	x->value = pg_col_str(p, a, q, 3);
	x->created_at = pg_col_i64(q, 4);
}

/*
 * A duplicate is CS_E_CONFLICT as in SQLite, but without an error: an
 * import adds many assets in one transaction and skips the duplicates,
 * and an error would abort the whole PostgreSQL transaction.
 */
enum cs_err
pg_asset_put(struct store *st, const struct org_asset *x, int64_t *id_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "INSERT INTO asset (org_id, kind, value, created_at) "
	               "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING "
	               "RETURNING id");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, x->org_id);
	pg_bind_str(q, 2, x->kind);
	pg_bind_str(q, 3, x->value);
	pg_bind_i64(q, 4, x->created_at);
	if ((err = pg_row_begin(p, q, "asset_put")) != CS_OK) {
		if (err == CS_E_NOTFOUND) {
			snprintf(p->err, sizeof(p->err),
			         "asset_put: the organisation has this asset "
			         "already");
			err = CS_E_CONFLICT;
		}
		return err;
	}
	*id_out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}

enum cs_err
pg_asset_list(struct store *st, struct arena *a, int64_t org_id,
              const char *kind, const struct page *pa,
              struct org_asset **items_out, size_t *n_out)
{
	struct pg *p = PG(st);
	struct pgstmt *q = pg_prep(
	    p, "SELECT id, org_id, kind, value, created_at FROM asset WHERE "
	       "org_id = $1 AND id > $2 AND ($3::text IS NULL OR kind = "
	       "$3::text) ORDER BY id LIMIT $4");

	if (!lookup_ok(kind)) {
		if ((*items_out = arena_alloc(a, sizeof(**items_out))) == NULL)
			return CS_E_TOOBIG;
		memset(*items_out, 0, sizeof(**items_out));
		*n_out = 0;
		return CS_OK;
	}
	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, org_id);
	pg_bind_i64(q, 2, pa->after);
	pg_bind_str(q, 3, kind);
	pg_bind_i64(q, 4, pa->limit);
	PG_COLLECT(p, a, q, struct org_asset, items_out, n_out, pa->limit,
	           read_asset(p, a, q, it_));
	return CS_OK;
}

enum cs_err
pg_asset_get(struct store *st, struct arena *a, int64_t org_id, int64_t id,
             struct org_asset *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT id, org_id, kind, value, created_at FROM asset "
	               "WHERE id = $1 AND org_id = $2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, org_id);
	if ((err = pg_row_begin(p, q, "asset_get")) != CS_OK)
		return err;
	read_asset(p, a, q, out);
	return pg_row_end(p, q);
}

enum cs_err
pg_asset_delete(struct store *st, int64_t org_id, int64_t id)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "DELETE FROM asset WHERE id = $1 AND org_id = $2");

	if (q == NULL)
		return CS_E_DB;
	pg_bind_i64(q, 1, id);
	pg_bind_i64(q, 2, org_id);
	return pg_changed_one(p, pg_run(p, q, "asset_delete"));
}

/* Every asset in id order, SCAN_BATCH rows per query (keyset on id), so
 * memory stays bounded however many assets there are. The strings fn
 * gets live until it returns. */
enum cs_err
pg_asset_scan(struct store *st,
              enum cs_err (*fn)(void *ctx, const struct org_asset *), void *ctx)
{
	struct pg *p = PG(st);
	enum cs_err err = CS_OK;
	int64_t after = INT64_MIN;
	int n = 0;

	do {
		struct pgstmt *q =
		    pg_prep(p, "SELECT id, org_id, kind, value, created_at "
		               "FROM asset WHERE id > $1 ORDER BY id LIMIT $2");

		if (q == NULL) {
			err = CS_E_DB;
			break;
		}
		pg_bind_i64(q, 1, after);
		pg_bind_i64(q, 2, SCAN_BATCH);
		n = 0;
		while (err == CS_OK && pg_step(p, q)) {
			struct org_asset x = {
			    .id = pg_col_i64(q, 0),
			    .org_id = pg_col_i64(q, 1),
			    .kind = pg_col_text(q, 2),
			    .value = pg_col_text(q, 3),
			    .created_at = pg_col_i64(q, 4),
			};

			n++;
			after = x.id;
			if (x.kind == NULL || x.value == NULL)
				continue;
			err = fn(ctx, &x);
		}
		if (err == CS_OK && pg_failed(q))
			err = CS_E_DB;
		pg_done(q);
	} while (err == CS_OK && n == SCAN_BATCH);
	return err;
}

enum cs_err
pg_asset_version(struct store *st, int64_t *out)
{
	struct pg *p = PG(st);
	struct pgstmt *q =
	    pg_prep(p, "SELECT version FROM asset_version WHERE id = 1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if ((err = pg_row_begin(p, q, "asset_version")) != CS_OK)
		return err;
	*out = pg_col_i64(q, 0);
	return pg_row_end(p, q);
}
