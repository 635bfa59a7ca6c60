#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/orgs.h"
#include "core/text.h"

static bool
country_valid(const char *s)
{
	return s[0] == '\0' || (strlen(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' &&
	                        s[1] >= 'A' && s[1] <= 'Z');
}

bool
org_notify_interval_valid(const char *s)
{
	return strcmp(s, "immediate") == 0 || strcmp(s, "hourly") == 0 ||
	       strcmp(s, "daily") == 0 || strcmp(s, "never") == 0;
}

static void
validate(const struct org *o, struct verrs *ve)
{
	if (o->notify_interval != NULL &&
	    !org_notify_interval_valid(o->notify_interval))
		verr_add(ve, "notify_interval",
		         "must be immediate, hourly, daily or never");
	if (o->name == NULL || o->name[0] == '\0' ||
	    !text_is_clean(o->name, 200))
		verr_add(ve, "name",
		         "must be 1 to 200 bytes of text without control "
		         "characters");
	if (o->short_name == NULL || !org_code_is_valid(o->short_name))
		verr_add(ve, "short_name",
		         "must be 1 to 64 letters, digits, '.', '_' or '-'");
	if (o->sector != NULL && !text_is_clean(o->sector, 64))
		verr_add(ve, "sector", "must be at most 64 bytes of text");
	if (o->country != NULL && !country_valid(o->country))
		verr_add(ve, "country",
		         "must be an ISO 3166-1 alpha-2 code such as ES");
	if (o->languages != NULL && !language_list_is_valid(o->languages))
		verr_add(ve, "languages",
		         "must be ISO 639-1 codes separated by commas, such as "
		         "ca,es");
	if (o->notes != NULL && !text_is_clean_multiline(o->notes, 20000))
		verr_add(ve, "notes", "must be at most 20000 bytes of text");
}

/* Resolves o->parent_short into o->parent_id and refuses loops. */
static enum cs_err
resolve_parent(struct store *st, struct arena *a, struct org *o,
               struct verrs *ve)
{
	struct org p;
	enum cs_err err;
	int64_t id;

	o->parent_id = 0;
	if (o->parent_short == NULL)
		return CS_OK;
	err = store_call(st, org_get, a, 0, o->parent_short, &p);
	if (err == CS_E_NOTFOUND)
		return verr_add(ve, "parent", "no such organisation");
	if (err != CS_OK)
		return err;
	o->parent_id = p.id;
	/* walk up: the new parent may not be o itself or below it */
	for (int depth = 0; depth < 64; depth++) {
		if (o->id != 0 && p.id == o->id)
			return verr_add(ve, "parent",
			                "would make the organisation its own "
			                "ancestor");
		if ((id = p.parent_id) == 0)
			return CS_OK;
		if ((err = store_call(st, org_get, a, id, NULL, &p)) != CS_OK)
			return err;
	}
	return verr_add(ve, "parent", "the parent chain is too deep");
}

static json_t *
org_detail(const struct org *o)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:s,s:b}", "name", o->name,
	                 "short_name", o->short_name, "sector",
	                 o->sector ? o->sector : "", "country",
	                 o->country ? o->country : "", "languages",
	                 o->languages ? o->languages : "", "parent",
	                 o->parent_short, "notify_interval",
	                 o->notify_interval ? o->notify_interval : "daily",
	                 "notify_test", o->notify_test);
}

static enum cs_err
audit_org(struct store *st, struct arena *a, const struct actor *by,
          const char *action, const struct org *o, int64_t now)
{
	char idbuf[24];
	json_t *d = org_detail(o);
	enum cs_err err;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)o->id);
	err = audit_append(st, a, now, by->name, action, "org", idbuf, d);
	json_decref(d);
	return err;
}

enum cs_err
orgs_create(struct store *st, struct arena *a, const struct actor *by,
            struct org *o, struct verrs *ve)
{
	int64_t now = clock_now();
	enum cs_err err;

	validate(o, ve);
	if (ve->n > 0)
		return CS_E_INVAL;
	o->id = 0;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = resolve_parent(st, a, o, ve)) != CS_OK)
		goto out;
	o->created_at = o->updated_at = now;
	o->version = 1;
	if ((err = store_call(st, org_put, o, &o->id)) != CS_OK) {
		if (err == CS_E_CONFLICT)
			verr_add(ve, "short_name", "is already taken");
		goto out;
	}
	err = audit_org(st, a, by, "org.create", o, now);
out:
	return store_end(st, err);
}

enum cs_err
orgs_update(struct store *st, struct arena *a, const struct actor *by,
            int64_t id, const struct org_patch *p, struct org *out,
            struct verrs *ve)
{
	int64_t now = clock_now();
	struct org o;
	enum cs_err err;

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, org_get, a, id, NULL, &o)) != CS_OK)
		goto out;
	if (p->if_version != 0 && p->if_version != o.version) {
		err = CS_E_STALE;
		goto out;
	}
#define SET(f)                                                                 \
	if (p->f != NULL)                                                      \
	o.f = p->f
	SET(name);
	SET(short_name);
	SET(sector);
	SET(country);
	SET(languages);
	SET(notes);
	SET(notify_interval);
#undef SET
	if (p->notify_test >= 0)
		o.notify_test = p->notify_test != 0;
	if (p->set_parent)
		o.parent_short = p->parent;
	validate(&o, ve);
	if (ve->n > 0) {
		err = CS_E_INVAL;
		goto out;
	}
	if ((err = resolve_parent(st, a, &o, ve)) != CS_OK)
		goto out;
	if ((err = store_call(st, org_update, &o, now)) != CS_OK) {
		if (err == CS_E_CONFLICT)
			verr_add(ve, "short_name", "is already taken");
		goto out;
	}
	if ((err = audit_org(st, a, by, "org.update", &o, now)) != CS_OK)
		goto out;
	err = store_call(st, org_get, a, id, NULL, out);
out:
	return store_end(st, err);
}

bool
contact_role_valid(const char *role)
{
	return strcmp(role, "security") == 0 || strcmp(role, "abuse") == 0 ||
	       strcmp(role, "management") == 0;
}

static bool
phone_valid(const char *s)
{
	return strlen(s) <= 40 && strspn(s, "0123456789 +-().") == strlen(s);
}

enum cs_err
contacts_add(struct store *st, struct arena *a, const struct actor *by,
             struct contact *c, struct verrs *ve)
{
	char idbuf[24];
	int64_t now = clock_now();
	json_t *d;
	enum cs_err err;

	if (c->email == NULL || !email_is_valid(c->email))
		verr_add(ve, "email", "is not an e-mail address");
	if (c->role == NULL || !contact_role_valid(c->role))
		verr_add(ve, "role", "must be security, abuse or management");
	if (c->name != NULL && !text_is_clean(c->name, 200))
		verr_add(ve, "name", "must be at most 200 bytes of text");
	if (c->phone != NULL && !phone_valid(c->phone))
		verr_add(ve, "phone",
		         "must be at most 40 digits, spaces and + - ( ) .");
	if (c->language != NULL && c->language[0] != '\0' &&
	    (!language_list_is_valid(c->language) || strlen(c->language) != 2))
		verr_add(ve, "language",
		         "must be an ISO 639-1 code such as eu");
	if (ve->n > 0)
		return CS_E_INVAL;
	c->created_at = now;
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, contact_put, c, &c->id)) != CS_OK) {
		if (err == CS_E_CONFLICT)
			verr_add(ve, "email",
			         "is already a contact of this organisation "
			         "with this role");
		return store_end(st, err);
	}
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)c->id);
	d = json_pack("{s:I,s:s,s:s}", "org_id", (json_int_t)c->org_id, "email",
	              c->email, "role", c->role);
	err = audit_append(st, a, now, by->name, "contact.create", "contact",
	                   idbuf, d);
	json_decref(d);
	return store_end(st, err);
}

enum cs_err
contacts_remove(struct store *st, struct arena *a, const struct actor *by,
                int64_t org_id, int64_t id)
{
	char idbuf[24];
	json_t *d;
	enum cs_err err;

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, contact_delete, org_id, id)) != CS_OK)
		return store_end(st, err);
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	d = json_pack("{s:I}", "org_id", (json_int_t)org_id);
	err = audit_append(st, a, clock_now(), by->name, "contact.delete",
	                   "contact", idbuf, d);
	json_decref(d);
	return store_end(st, err);
}
