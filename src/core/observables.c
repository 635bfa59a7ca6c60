/* observables.c - see observables.h. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/clock.h"
#include "core/observables.h"
#include "core/text.h"

static enum cs_err
audit_observable(struct store *st, struct arena *a, const struct actor *by,
                 const char *action, const char *ref,
                 const struct observable *o, int64_t now)
{
	json_t *d = json_pack("{s:s,s:s,s:s}", "ref", ref, "type", o->type,
	                      "value", o->value);
	char idbuf[24];
	enum cs_err err;

	if (d == NULL)
		return CS_E_INTERNAL;
	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)o->id);
	err =
	    audit_append(st, a, now, by->name, action, "observable", idbuf, d);
	json_decref(d);
	return err;
}

/* Stores o (incident_id, type and value set) as seen now by `by`, with its
 * audit row when it is new. */
static enum cs_err
put(struct store *st, struct arena *a, const struct actor *by, const char *ref,
    struct observable *o, int64_t now, bool *created_out)
{
	enum cs_err err;

	o->first_seen = o->last_seen = o->created_at = now;
	o->created_by = by->name;
	if ((err = store_call(st, observable_put, o, &o->id, created_out)) !=
	    CS_OK)
		return err;
	if (*created_out)
		err = audit_observable(st, a, by, "observable.create", ref, o,
		                       now);
	return err;
}

enum cs_err
observables_add(struct store *st, struct arena *a, const struct actor *by,
                const struct viewer *v, const char *ref,
                const struct observable_input *in, struct observable *out,
                bool *created_out, struct verrs *ve)
{
	struct observable o = {0};
	struct incident x;
	enum ioc_type type;
	const char *why = NULL;
	char *norm = NULL;
	int64_t now = clock_now();
	enum cs_err err;

	if (in->type == NULL)
		verr_add(ve, "type", "is required");
	else if (ioc_type_parse(in->type, &type) != CS_OK)
		verr_add(ve, "type",
		         "must be ipv4, ipv6, cidr, domain, url, email, md5, "
		         "sha1, sha256, asn, cve, filename or user-agent");
	if (in->value == NULL || in->value[0] == '\0')
		verr_add(ve, "value", "is required");
	if (in->comment != NULL &&
	    !text_is_clean_multiline(in->comment, OBSERVABLE_COMMENT_MAX))
		verr_add(ve, "comment", "must be at most 2000 bytes of text");
	if (ve->n > 0)
		return CS_E_INVAL;
	if ((norm = arena_alloc(a, IOC_OUT_MAX)) == NULL)
		return CS_E_TOOBIG;
	err = ioc_normalise(type, in->value, norm, IOC_OUT_MAX, &why);
	if (err == CS_E_INVAL) {
		/* why may live in norm: it is arena memory, kept as is */
		return verr_add(ve, "value",
		                why ? why : "is not a valid value of its type");
	}
	if (err != CS_OK)
		return verr_add(ve, "value", "is too long");
	o.type = ioc_type_name(type);
	o.value = norm;
	o.to_ids = in->to_ids;
	o.tlp = in->tlp;
	o.comment = in->comment ? in->comment : "";
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK)
		goto out;
	o.incident_id = x.id;
	if ((err = put(st, a, by, x.ref, &o, now, created_out)) != CS_OK)
		goto out;
	err = store_call(st, observable_get, a, x.id, o.id, out);
out:
	return store_end(st, err);
}

enum cs_err
observables_remove(struct store *st, struct arena *a, const struct actor *by,
                   const struct viewer *v, const char *ref, int64_t id)
{
	struct observable o;
	struct incident x;
	int64_t now = clock_now();
	enum cs_err err;

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK ||
	    (err = store_call(st, observable_get, a, x.id, id, &o)) != CS_OK ||
	    (err = store_call(st, observable_delete, x.id, id)) != CS_OK)
		goto out;
	err = audit_observable(st, a, by, "observable.delete", x.ref, &o, now);
out:
	return store_end(st, err);
}

struct collect {
	struct arena *a;
	struct found *items;
	size_t n, total;
	bool oom;
};

static void
collect(void *ctx, enum ioc_type type, const char *normalised, size_t offset)
{
	struct collect *c = ctx;
	char *copy;

	(void)offset;
	c->total++;
	if (c->n >= OBSERVABLES_EXTRACT_MAX || c->oom)
		return;
	if ((copy = arena_strdup(c->a, normalised)) == NULL) {
		c->oom = true;
		return;
	}
	c->items[c->n].type = type;
	c->items[c->n].value = copy;
	c->items[c->n].id = 0;
	c->items[c->n].created = false;
	c->n++;
}

enum cs_err
observables_extract(struct store *st, struct arena *a, const struct actor *by,
                    const struct viewer *v, const char *ref, const char *text,
                    size_t len, const struct observables_extract_opts *opts,
                    bool attach, struct found **items_out, size_t *n_out,
                    bool *truncated_out)
{
	struct ioc_extract_opts xo = {0};
	struct collect c = {.a = a};
	struct incident x;
	int64_t now = clock_now();
	enum cs_err err;

	*items_out = NULL;
	*n_out = 0;
	*truncated_out = false;
	if (len > OBSERVABLES_TEXT_MAX)
		return CS_E_TOOBIG;
	c.items = arena_alloc(a, sizeof(*c.items) * OBSERVABLES_EXTRACT_MAX);
	if (c.items == NULL)
		return CS_E_TOOBIG;
	xo.types = opts->types;
	xo.skip_private = opts->skip_private;
	xo.own_domains = opts->own_domains;
	xo.n_own_domains = opts->n_own_domains;
	xo.arena = a;
	/* first the read check, so that a hidden incident costs no scan */
	if ((err = store_begin(st, attach)) != CS_OK)
		return err;
	if ((err = store_call(st, incident_get, a, v, ref, &x)) != CS_OK)
		goto out;
	(void)ioc_extract(text, len, &xo, collect, &c);
	if (c.oom) {
		err = CS_E_TOOBIG;
		goto out;
	}
	*truncated_out = c.total > c.n;
	if (attach && *truncated_out) {
		err = CS_E_TOOBIG;
		goto out;
	}
	for (size_t i = 0; attach && i < c.n; i++) {
		struct observable o = {.incident_id = x.id,
		                       .type = ioc_type_name(c.items[i].type),
		                       .value = c.items[i].value,
		                       .tlp = -1,
		                       .comment = ""};

		if ((err = put(st, a, by, x.ref, &o, now,
		               &c.items[i].created)) != CS_OK)
			goto out;
		c.items[i].id = o.id;
	}
	*items_out = c.items;
	*n_out = c.n;
out:
	return store_end(st, err);
}
