/*
 * orgs.h - the constituency's organisations and their contacts.
 *
 * Validation and the audited operations on them; each runs in its own write
 * transaction with its audit row. An organisation's short name is its code
 * (the `org` of constituent users, 1-64 of letters, digits, '.', '_', '-');
 * its parent must exist and the parent chain may not loop. Countries are ISO
 * 3166-1 alpha-2 codes, languages ISO 639-1 lists ("ca,es").
 */
#ifndef CS_ORGS_H
#define CS_ORGS_H

#include "core/users.h"
#include "core/verr.h"
#include "store/store.h"

struct org_patch {
	const char *name, *short_name, *sector, *country, *languages, *notes;
	bool set_parent;
	const char *parent;          /* short name; NULL clears */
	const char *notify_interval; /* NULL = unchanged */
	int notify_test;             /* -1 = unchanged, 0, 1 */
	int64_t if_version;          /* 0 = no precondition */
};

/* immediate, hourly, daily or never */
bool org_notify_interval_valid(const char *s);

/* o->parent_short names the parent (or NULL); o is filled on success. */
enum cs_err orgs_create(struct store *st, struct arena *a,
                        const struct actor *by, struct org *o,
                        struct verrs *ve);
enum cs_err orgs_update(struct store *st, struct arena *a,
                        const struct actor *by, int64_t id,
                        const struct org_patch *p, struct org *out,
                        struct verrs *ve);

bool contact_role_valid(const char *role);
enum cs_err contacts_add(struct store *st, struct arena *a,
                         const struct actor *by, struct contact *c,
                         struct verrs *ve);
enum cs_err contacts_remove(struct store *st, struct arena *a,
                            const struct actor *by, int64_t org_id, int64_t id);

#endif
