/* sqlite_constituency.c - organisations, contacts, network assets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/sqlite_int.h"

/* ---- constituency ---- */

#define ORG_COLS                                                               \
	"o.id, o.parent_id, o.name, o.short_name, o.sector, o.country, "       \
	"o.languages, o.notes, p.short_name, o.version, o.created_at, "        \
	"o.updated_at, o.notify_interval, o.notify_test"

static void
read_org(struct sq *s, struct arena *a, sqlite3_stmt *q, struct org *o)
{
	o->id = sq_col_i64(q, 0);
	o->parent_id = sq_col_i64(q, 1);
	o->name = sq_col_str(s, a, q, 2);
	o->short_name = sq_col_str(s, a, q, 3);
	o->sector = sq_col_str(s, a, q, 4);
	o->country = sq_col_str(s, a, q, 5);
	o->languages = sq_col_str(s, a, q, 6);
	o->notes = sq_col_str(s, a, q, 7);
	o->parent_short = sq_col_str(s, a, q, 8);
	o->version = sq_col_i64(q, 9);
	o->created_at = sq_col_i64(q, 10);
	o->updated_at = sq_col_i64(q, 11);
	o->notify_interval = sq_col_str(s, a, q, 12);
	o->notify_test = sq_col_i64(q, 13) != 0;
}

enum cs_err
sq_org_put(struct store *st, const struct org *o, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "INSERT INTO org (name, short_name, sector, country, languages, "
	       "parent_id, notes, created_at, updated_at, notify_interval, "
	       "notify_test) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, "
	       "coalesce(?9, 'daily'), ?10)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sq_bind_str(q, 1, o->name);
	sq_bind_str(q, 2, o->short_name);
	sq_bind_str(q, 3, o->sector ? o->sector : "");
	sq_bind_str(q, 4, o->country ? o->country : "");
	sq_bind_str(q, 5, o->languages ? o->languages : "");
	sq_bind_time(q, 6, o->parent_id);
	sq_bind_str(q, 7, o->notes ? o->notes : "");
	sqlite3_bind_int64(q, 8, o->created_at);
	sq_bind_str(q, 9, o->notify_interval);
	sqlite3_bind_int(q, 10, o->notify_test);
	if ((err = sq_run(s, q, "org_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_org_get(struct store *st, struct arena *a, int64_t id,
           const char *short_name, struct org *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err;

	if (short_name != NULL) {
		q = sq_prep(s,
		            "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON "
		            "p.id = o.parent_id WHERE o.short_name = ?1");
		if (q != NULL)
			sq_bind_str(q, 1, short_name);
	} else {
		q = sq_prep(s,
		            "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON "
		            "p.id = o.parent_id WHERE o.id = ?1");
		if (q != NULL)
			sqlite3_bind_int64(q, 1, id);
	}
	if (q == NULL)
		return CS_E_DB;
	if ((err = sq_row_begin(s, q, "org_get")) != CS_OK)
		return err;
	read_org(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_org_list(struct store *st, struct arena *a, const char *text,
            const struct page *p, struct org **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "SELECT " ORG_COLS " FROM org o LEFT JOIN org p ON p.id = "
	       "o.parent_id WHERE o.id > ?1 AND (?2 IS NULL OR instr(lower("
	       "o.name), lower(?2)) > 0 OR instr(lower(o.short_name), "
	       "lower(?2)) > 0) ORDER BY o.id LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, p->after);
	sq_bind_str(q, 2, text);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct org, items_out, n_out, p->limit,
	        read_org(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_org_update(struct store *st, const struct org *o, int64_t now)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(
	    s, "UPDATE org SET name = ?2, short_name = ?3, sector = ?4, "
	       "country = ?5, languages = ?6, parent_id = ?7, notes = ?8, "
	       "updated_at = ?9, version = version + 1, notify_interval = "
	       "coalesce(?11, notify_interval), notify_test = ?12 WHERE id = "
	       "?1 AND version = ?10");
	sqlite3_stmt *e;
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, o->id);
	sq_bind_str(q, 2, o->name);
	sq_bind_str(q, 3, o->short_name);
	sq_bind_str(q, 4, o->sector);
	sq_bind_str(q, 5, o->country);
	sq_bind_str(q, 6, o->languages);
	sq_bind_time(q, 7, o->parent_id);
	sq_bind_str(q, 8, o->notes);
	sqlite3_bind_int64(q, 9, now);
	sqlite3_bind_int64(q, 10, o->version);
	sq_bind_str(q, 11, o->notify_interval);
	sqlite3_bind_int(q, 12, o->notify_test);
	if ((err = sq_run(s, q, "org_update")) != CS_OK)
		return err;
	if (sqlite3_changes(s->db) == 1)
		return CS_OK;
	if ((e = sq_prep(s, "SELECT 1 FROM org WHERE id = ?1")) == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(e, 1, o->id);
	err = sqlite3_step(e) == SQLITE_ROW ? CS_E_STALE : CS_E_NOTFOUND;
	sq_done(e);
	return err;
}

static void
read_contact(struct sq *s, struct arena *a, sqlite3_stmt *q, struct contact *c)
{
	c->id = sq_col_i64(q, 0);
	c->org_id = sq_col_i64(q, 1);
	c->name = sq_col_str(s, a, q, 2);
	c->email = sq_col_str(s, a, q, 3);
	c->phone = sq_col_str(s, a, q, 4);
	c->role = sq_col_str(s, a, q, 5);
	c->language = sq_col_str(s, a, q, 6);
	c->created_at = sq_col_i64(q, 7);
	c->pgp_key = sq_col_str(s, a, q, 8);
	c->pgp_fingerprint = sq_col_str(s, a, q, 9);
}

enum cs_err
sq_contact_put(struct store *st, const struct contact *c, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "INSERT INTO contact (org_id, name, email, "
	               "phone, role, language, created_at, pgp_key, "
	               "pgp_fingerprint) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
	               "?8, ?9)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, c->org_id);
	sq_bind_str(q, 2, c->name ? c->name : "");
	sq_bind_str(q, 3, c->email);
	sq_bind_str(q, 4, c->phone ? c->phone : "");
	sq_bind_str(q, 5, c->role);
	sq_bind_str(q, 6, c->language ? c->language : "");
	sqlite3_bind_int64(q, 7, c->created_at);
	sq_bind_str(q, 8, c->pgp_key);
	sq_bind_str(q, 9, c->pgp_fingerprint);
	if ((err = sq_run(s, q, "contact_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_contact_list(struct store *st, struct arena *a, int64_t org_id,
                const struct page *p, struct contact **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT id, org_id, name, email, phone, "
	               "role, language, created_at, pgp_key, "
	               "pgp_fingerprint FROM contact "
	               "WHERE org_id = ?1 AND id > ?2 ORDER BY id "
	               "LIMIT ?3");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, org_id);
	sqlite3_bind_int64(q, 2, p->after);
	sqlite3_bind_int(q, 3, p->limit);
	COLLECT(s, a, q, struct contact, items_out, n_out, p->limit,
	        read_contact(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_contact_delete(struct store *st, int64_t org_id, int64_t id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "DELETE FROM contact WHERE id = ?1 AND org_id = ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, org_id);
	return sq_changed_one(s, sq_run(s, q, "contact_delete"));
}

static void
read_asset(struct sq *s, struct arena *a, sqlite3_stmt *q, struct org_asset *x)
{
	x->id = sq_col_i64(q, 0);
	x->org_id = sq_col_i64(q, 1);
	x->kind = sq_col_str(s, a, q, 2);
	x->value = sq_col_str(s, a, q, 3);
	x->created_at = sq_col_i64(q, 4);
}

enum cs_err
sq_asset_put(struct store *st, const struct org_asset *x, int64_t *id_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q = sq_prep(s, "INSERT INTO asset (org_id, kind, value, "
	                             "created_at) VALUES (?1, ?2, ?3, ?4)");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, x->org_id);
	sq_bind_str(q, 2, x->kind);
	sq_bind_str(q, 3, x->value);
	sqlite3_bind_int64(q, 4, x->created_at);
	if ((err = sq_run(s, q, "asset_put")) == CS_OK)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return err;
}

enum cs_err
sq_asset_list(struct store *st, struct arena *a, int64_t org_id,
              const char *kind, const struct page *p,
              struct org_asset **items_out, size_t *n_out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT id, org_id, kind, value, created_at "
	               "FROM asset WHERE org_id = ?1 AND id > ?2 "
	               "AND (?3 IS NULL OR kind = ?3) ORDER BY id "
	               "LIMIT ?4");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, org_id);
	sqlite3_bind_int64(q, 2, p->after);
	sq_bind_str(q, 3, kind);
	sqlite3_bind_int(q, 4, p->limit);
	COLLECT(s, a, q, struct org_asset, items_out, n_out, p->limit,
	        read_asset(s, a, q, it_));
	return CS_OK;
}

enum cs_err
sq_asset_get(struct store *st, struct arena *a, int64_t org_id, int64_t id,
             struct org_asset *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT id, org_id, kind, value, created_at "
	               "FROM asset WHERE id = ?1 AND org_id = ?2");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, org_id);
	if ((err = sq_row_begin(s, q, "asset_get")) != CS_OK)
		return err;
	read_asset(s, a, q, out);
	return sq_row_end(s, q);
}

enum cs_err
sq_asset_delete(struct store *st, int64_t org_id, int64_t id)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "DELETE FROM asset WHERE id = ?1 AND org_id = ?2");

	if (q == NULL)
		return CS_E_DB;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, org_id);
	return sq_changed_one(s, sq_run(s, q, "asset_delete"));
}

enum cs_err
sq_asset_scan(struct store *st,
              enum cs_err (*fn)(void *ctx, const struct org_asset *), void *ctx)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q;
	enum cs_err err = CS_OK;
	int rc;

	/* a dedicated statement: fn may use the cached ones */
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT id, org_id, kind, value, created_at "
	                       "FROM asset ORDER BY id",
	                       -1, &q, NULL) != SQLITE_OK)
		return sq_db_error(s, "asset_scan");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct org_asset x = {
		    .id = sq_col_i64(q, 0),
		    .org_id = sq_col_i64(q, 1),
		    .kind = (const char *)sqlite3_column_text(q, 2),
		    .value = (const char *)sqlite3_column_text(q, 3),
		    .created_at = sq_col_i64(q, 4),
		};

		if (x.kind == NULL || x.value == NULL)
			continue;
		if ((err = fn(ctx, &x)) != CS_OK)
			break;
	}
	if (err == CS_OK && rc != SQLITE_DONE)
		err = sq_db_error(s, "asset_scan");
	sqlite3_finalize(q);
	return err;
}

enum cs_err
sq_asset_version(struct store *st, int64_t *out)
{
	struct sq *s = SQ(st);
	sqlite3_stmt *q =
	    sq_prep(s, "SELECT version FROM asset_version WHERE id = 1");
	enum cs_err err;

	if (q == NULL)
		return CS_E_DB;
	if ((err = sq_row_begin(s, q, "asset_version")) != CS_OK)
		return err;
	*out = sq_col_i64(q, 0);
	return sq_row_end(s, q);
}
