#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <csv.h>
#include <jansson.h>

#include "core/audit.h"
#include "core/cidr.h"
#include "core/clock.h"
#include "core/constituency.h"
#include "core/domidx.h"
#include "core/xmalloc.h"

#define INDEX_MAX_ENTRIES (4u << 20) /* blocks or domains */

static bool
asn_parse(const char *s, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if ((s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's'))
		s += 2;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > 4294967295ULL)
		return false;
	*out = (uint32_t)v;
	return true;
}

enum cs_err
asset_canonical(const char *kind, const char *value, char out[ASSET_VALUE_MAX],
                char *why_out, size_t why_len)
{
	const char *why = NULL;

	if (strcmp(kind, "cidr") == 0) {
		struct cidr c;

		if (!cidr_parse(value, &c, why_out, why_len))
			return CS_E_INVAL;
		cidr_format(&c, out, ASSET_VALUE_MAX);
		return CS_OK;
	}
	if (strcmp(kind, "asn") == 0) {
		uint32_t asn;

		if (!asn_parse(value, &asn)) {
			snprintf(why_out, why_len,
			         "is not an AS number (AS64500 or 64500, 1 to "
			         "4294967295)");
			return CS_E_INVAL;
		}
		snprintf(out, ASSET_VALUE_MAX, "AS%u", asn);
		return CS_OK;
	}
	if (strcmp(kind, "domain") == 0) {
		if (!domidx_normalise(value, out, &why)) {
			snprintf(why_out, why_len, "%s",
			         why ? why : "is not a domain name");
			return CS_E_INVAL;
		}
		return CS_OK;
	}
	snprintf(why_out, why_len, "kind must be cidr, asn or domain");
	return CS_E_INVAL;
}

static enum cs_err
audit_asset(struct store *st, struct arena *a, const struct actor *by,
            const char *action, int64_t id, json_t *d)
{
	char idbuf[24];
	enum cs_err err;

	snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id);
	err = audit_append(st, a, clock_now(), by->name, action, "asset", idbuf,
	                   d);
	json_decref(d);
	return err;
}

enum cs_err
assets_add(struct store *st, struct arena *a, const struct actor *by,
           struct org_asset *x, struct verrs *ve)
{
	char canon[ASSET_VALUE_MAX], why[128];
	enum cs_err err;

	if (x->kind == NULL || x->value == NULL ||
	    asset_canonical(x->kind, x->value, canon, why, sizeof(why)) !=
	        CS_OK) {
		char *msg = arena_strdup(
		    a,
		    x->kind && x->value ? why : "kind and value are required");

		return verr_add(ve, x->kind ? "value" : "kind",
		                msg ? msg : "is invalid");
	}
	if ((x->value = arena_strdup(a, canon)) == NULL)
		return CS_E_TOOBIG;
	x->created_at = clock_now();
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, asset_put, x, &x->id)) != CS_OK) {
		if (err == CS_E_CONFLICT)
			verr_add(ve, "value",
			         "is already an asset of this organisation");
		return store_end(st, err);
	}
	err = audit_asset(st, a, by, "asset.create", x->id,
	                  json_pack("{s:I,s:s,s:s}", "org_id",
	                            (json_int_t)x->org_id, "kind", x->kind,
	                            "value", x->value));
	return store_end(st, err);
}

enum cs_err
assets_remove(struct store *st, struct arena *a, const struct actor *by,
              int64_t org_id, int64_t id)
{
	struct org_asset x;
	enum cs_err err;

	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	if ((err = store_call(st, asset_get, a, org_id, id, &x)) != CS_OK ||
	    (err = store_call(st, asset_delete, org_id, id)) != CS_OK)
		return store_end(st, err);
	err =
	    audit_asset(st, a, by, "asset.delete", id,
	                json_pack("{s:I,s:s,s:s}", "org_id", (json_int_t)org_id,
	                          "kind", x.kind, "value", x.value));
	return store_end(st, err);
}

/* ---- CSV import ---- */

struct row {
	char *f[3];
	size_t nf;
	bool too_many;
};

struct import {
	struct store *st;
	struct arena *a;
	struct import_result *res;
	struct row row;
	size_t line;
	bool header_done;
	enum cs_err err; /* a storage failure stops everything */
	/* org short name -> id, for the previous row (files are grouped) */
	char last_org[72];
	int64_t last_org_id;
	bool store_phase;
};

/* msg is static or arena-owned; NULL (arena exhausted) is reported as
 * such. */
static void
import_error(struct import *im, const char *msg)
{
	struct import_result *r = im->res;

	if (r->nerrors < IMPORT_ERRORS_MAX) {
		r->errors[r->nerrors].line = im->line;
		r->errors[r->nerrors].message = msg ? msg : "invalid line";
	}
	r->nerrors++;
}

static void
on_field(void *data, size_t len, void *ctx)
{
	struct import *im = ctx;

	if (im->row.nf >= 3) {
		im->row.too_many = true;
		return;
	}
	im->row.f[im->row.nf++] =
	    arena_strndup(im->a, data ? (const char *)data : "", len);
}

static void
trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, n - i + 1);
}

static void
import_row(struct import *im)
{
	char canon[ASSET_VALUE_MAX], why[128];
	struct org_asset x = {0};
	struct org o;
	enum cs_err err;

	if (im->row.nf != 3 || im->row.too_many || im->row.f[0] == NULL ||
	    im->row.f[1] == NULL || im->row.f[2] == NULL) {
		if (!(im->row.nf == 1 && im->row.f[0] && im->row.f[0][0] == 0))
			import_error(im, "expected 3 fields: org,kind,value");
		return;
	}
	for (int i = 0; i < 3; i++)
		trim(im->row.f[i]);
	if (!im->header_done) {
		im->header_done = true;
		if (strcmp(im->row.f[0], "org") == 0 &&
		    strcmp(im->row.f[1], "kind") == 0 &&
		    strcmp(im->row.f[2], "value") == 0)
			return;
		import_error(
		    im, "the first line must be the header org,kind,value");
		return;
	}
	im->res->lines++;
	if (asset_canonical(im->row.f[1], im->row.f[2], canon, why,
	                    sizeof(why)) != CS_OK) {
		import_error(im, arena_strdup(im->a, why));
		return;
	}
	if (strcmp(im->last_org, im->row.f[0]) != 0) {
		err = store_call(im->st, org_get, im->a, 0, im->row.f[0], &o);
		if (err == CS_E_NOTFOUND) {
			import_error(
			    im, arena_printf(
			            im->a, "no organisation with short name %s",
			            im->row.f[0]));
			return;
		}
		if (err != CS_OK) {
			im->err = err;
			return;
		}
		snprintf(im->last_org, sizeof(im->last_org), "%.64s",
		         im->row.f[0]);
		im->last_org_id = o.id;
	}
	if (!im->store_phase)
		return;
	x.org_id = im->last_org_id;
	x.kind = im->row.f[1];
	x.value = canon;
	x.created_at = clock_now();
	err = store_call(im->st, asset_put, &x, &x.id);
	if (err == CS_OK)
		im->res->added++;
	else if (err == CS_E_CONFLICT)
		im->res->skipped++;
	else
		im->err = err;
}

static void
on_row(int c, void *ctx)
{
	struct import *im = ctx;

	(void)c;
	im->line++;
	if (im->err == CS_OK)
		import_row(im);
	memset(&im->row, 0, sizeof(im->row));
}

/* One pass over the CSV: validation only, or storing. */
static enum cs_err
import_pass(struct import *im, const char *csv, size_t len)
{
	struct csv_parser p;

	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return CS_E_INTERNAL;
	im->line = 0;
	im->header_done = false;
	im->last_org[0] = '\0';
	if (csv_parse(&p, csv, len, on_field, on_row, im) != len ||
	    csv_fini(&p, on_field, on_row, im) != 0) {
		im->line++;
		import_error(im, arena_printf(im->a, "malformed CSV: %s",
		                              csv_strerror(csv_error(&p))));
	}
	csv_free(&p);
	return im->err;
}

enum cs_err
assets_import(struct store *st, struct arena *a, const struct actor *by,
              const char *csv, size_t len, struct import_result *res)
{
	struct import im = {.st = st, .a = a, .res = res};
	enum cs_err err;

	memset(res, 0, sizeof(*res));
	if ((err = store_begin(st, true)) != CS_OK)
		return err;
	/* first pass: every line checked, nothing written */
	if ((err = import_pass(&im, csv, len)) != CS_OK)
		return store_end(st, err);
	if (res->nerrors > 0 || !im.header_done) {
		if (!im.header_done && res->nerrors == 0)
			import_error(&im, "the file is empty");
		return store_end(st, CS_E_INVAL);
	}
	/* second pass: store, in the same transaction */
	im.store_phase = true;
	res->lines = 0;
	if ((err = import_pass(&im, csv, len)) != CS_OK)
		return store_end(st, err);
	err = audit_asset(st, a, by, "asset.import", 0,
	                  json_pack("{s:I,s:I,s:I}", "lines",
	                            (json_int_t)res->lines, "added",
	                            (json_int_t)res->added, "skipped",
	                            (json_int_t)res->skipped));
	return store_end(st, err);
}

/* ---- the lookup index ---- */

struct asn_entry {
	uint32_t asn;
	int64_t org_id;
};

struct snapshot {
	struct cidr_index *cidr;
	struct domidx *dom;
	struct asn_entry *asns;
	size_t nasns, asn_cap;
	int64_t version;
};

struct constituency_index {
	pthread_rwlock_t lock;
	pthread_mutex_t sync; /* one rebuild at a time */
	struct snapshot *cur;
};

static void
snapshot_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	cidr_index_free(s->cidr);
	domidx_free(s->dom);
	free(s->asns);
	free(s);
}

static struct snapshot *
snapshot_new(void)
{
	struct snapshot *s = xcalloc(1, sizeof(*s));

	s->cidr = cidr_index_new(INDEX_MAX_ENTRIES);
	s->dom = domidx_new(INDEX_MAX_ENTRIES);
	return s;
}

static enum cs_err
add_asset(void *ctx, const struct org_asset *x)
{
	struct snapshot *s = ctx;
	enum cs_err err = CS_OK;

	if (strcmp(x->kind, "cidr") == 0) {
		struct cidr c;
		char why[96];

		if (cidr_parse(x->value, &c, why, sizeof(why)))
			err = cidr_index_add(s->cidr, &c, x->org_id);
	} else if (strcmp(x->kind, "domain") == 0) {
		err = domidx_add(s->dom, x->value, x->org_id);
	} else if (strcmp(x->kind, "asn") == 0) {
		uint32_t asn;

		if (asn_parse(x->value, &asn)) {
			if (s->nasns == s->asn_cap) {
				s->asn_cap = s->asn_cap ? s->asn_cap * 2 : 256;
				s->asns = xrealloc(
				    s->asns, s->asn_cap * sizeof(*s->asns));
			}
			s->asns[s->nasns].asn = asn;
			s->asns[s->nasns].org_id = x->org_id;
			s->nasns++;
		}
	}
	/* a value listed by more organisations than a block holds, or the
	 * same asset twice, does not stop the rebuild */
	return err == CS_E_CONFLICT || err == CS_E_TOOBIG ? CS_OK : err;
}

static int
asn_cmp(const void *a, const void *b)
{
	const struct asn_entry *x = a, *y = b;

	if (x->asn != y->asn)
		return x->asn < y->asn ? -1 : 1;
	return (x->org_id > y->org_id) - (x->org_id < y->org_id);
}

struct constituency_index *
constituency_index_new(void)
{
	struct constituency_index *ci = xcalloc(1, sizeof(*ci));

	pthread_rwlock_init(&ci->lock, NULL);
	pthread_mutex_init(&ci->sync, NULL);
	return ci;
}

void
constituency_index_free(struct constituency_index *ci)
{
	if (ci == NULL)
		return;
	snapshot_free(ci->cur);
	pthread_rwlock_destroy(&ci->lock);
	pthread_mutex_destroy(&ci->sync);
	free(ci);
}

enum cs_err
constituency_index_sync(struct constituency_index *ci, struct store *st)
{
	struct snapshot *s, *old;
	int64_t version;
	enum cs_err err;

	if ((err = store_call(st, asset_version, &version)) != CS_OK)
		return err;
	pthread_rwlock_rdlock(&ci->lock);
	old = ci->cur;
	if (old != NULL && old->version == version) {
		pthread_rwlock_unlock(&ci->lock);
		return CS_OK;
	}
	pthread_rwlock_unlock(&ci->lock);
	pthread_mutex_lock(&ci->sync);
	if (ci->cur != NULL && ci->cur->version == version) {
		pthread_mutex_unlock(&ci->sync); /* another thread did it */
		return CS_OK;
	}
	s = snapshot_new();
	s->version = version;
	/* read the version and the rows in one snapshot of the database */
	if ((err = store_begin(st, false)) == CS_OK) {
		if ((err = store_call(st, asset_version, &s->version)) == CS_OK)
			err = store_call(st, asset_scan, add_asset, s);
		store_rollback(st);
	}
	if (err != CS_OK) {
		pthread_mutex_unlock(&ci->sync);
		snapshot_free(s);
		return err;
	}
	if (s->nasns > 0)
		qsort(s->asns, s->nasns, sizeof(*s->asns), asn_cmp);
	pthread_rwlock_wrlock(&ci->lock);
	old = ci->cur;
	ci->cur = s;
	pthread_rwlock_unlock(&ci->lock);
	pthread_mutex_unlock(&ci->sync);
	snapshot_free(old);
	return CS_OK;
}

enum cs_err
constituency_lookup(struct constituency_index *ci, const char *kind,
                    const char *query, struct lookup_result *out, char *why_out,
                    size_t why_len)
{
	struct snapshot *s;
	enum cs_err err = CS_OK;

	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&ci->lock);
	s = ci->cur;
	if (s == NULL) {
		pthread_rwlock_unlock(&ci->lock);
		return CS_E_INTERNAL;
	}
	if (strcmp(kind, "ip") == 0) {
		struct ip_addr ip;
		struct cidr m;

		if (!ip_parse(query, &ip)) {
			snprintf(why_out, why_len, "is not an IP address");
			err = CS_E_INVAL;
		} else {
			out->n = cidr_index_lookup(s->cidr, &ip, out->org_ids,
			                           LOOKUP_MAX_ORGS, &m);
			if (out->n > 0)
				cidr_format(&m, out->matched,
				            sizeof(out->matched));
		}
	} else if (strcmp(kind, "domain") == 0) {
		char norm[DOMIDX_NAME_MAX + 2];
		const char *why = NULL;

		if (!domidx_normalise(query, norm, &why)) {
			snprintf(why_out, why_len, "%s",
			         why ? why : "is not a domain name");
			err = CS_E_INVAL;
		} else {
			out->n = domidx_lookup(s->dom, norm, out->org_ids,
			                       LOOKUP_MAX_ORGS, out->matched);
		}
	} else if (strcmp(kind, "asn") == 0) {
		struct asn_entry key = {0, 0};
		size_t lo = 0, hi = s->nasns;

		if (!asn_parse(query, &key.asn)) {
			snprintf(why_out, why_len, "is not an AS number");
			err = CS_E_INVAL;
		} else {
			while (lo < hi) { /* first entry with this asn */
				size_t mid = lo + (hi - lo) / 2;

				if (s->asns[mid].asn < key.asn)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (; lo < s->nasns && s->asns[lo].asn == key.asn &&
			       out->n < LOOKUP_MAX_ORGS;
			     lo++)
				out->org_ids[out->n++] = s->asns[lo].org_id;
			if (out->n > 0)
				snprintf(out->matched, sizeof(out->matched),
				         "AS%u", key.asn);
		}
	} else {
		snprintf(why_out, why_len, "give one of ip, asn or domain");
		err = CS_E_INVAL;
	}
	if (out->n > LOOKUP_MAX_ORGS)
		out->n = LOOKUP_MAX_ORGS;
	pthread_rwlock_unlock(&ci->lock);
	return err;
}

static size_t
asn_orgs(const struct snapshot *s, uint32_t asn, int64_t *orgs, size_t cap)
{
	size_t lo = 0, hi = s->nasns, n = 0;

	while (lo < hi) { /* first entry with this asn */
		size_t mid = lo + (hi - lo) / 2;

		if (s->asns[mid].asn < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->nasns && s->asns[lo].asn == asn && n < cap; lo++)
		orgs[n++] = s->asns[lo].org_id;
	return n;
}

size_t
constituency_match(struct constituency_index *ci, const struct ip_addr *ip,
                   uint32_t asn, const char *fqdn, int64_t *orgs, size_t cap)
{
	struct snapshot *s;
	size_t n = 0;

	pthread_rwlock_rdlock(&ci->lock);
	if ((s = ci->cur) != NULL) {
		if (ip != NULL)
			n = cidr_index_lookup(s->cidr, ip, orgs, cap, NULL);
		if (n == 0 && asn != 0)
			n = asn_orgs(s, asn, orgs, cap);
		if (n == 0 && fqdn != NULL)
			n = domidx_lookup(s->dom, fqdn, orgs, cap, NULL);
	}
	pthread_rwlock_unlock(&ci->lock);
	return n < cap ? n : cap;
}

void
constituency_index_stats(struct constituency_index *ci, size_t *blocks,
                         size_t *domains, size_t *asns, size_t *bytes)
{
	pthread_rwlock_rdlock(&ci->lock);
	if (ci->cur == NULL) {
		*blocks = *domains = *asns = *bytes = 0;
	} else {
		*blocks = cidr_index_count(ci->cur->cidr);
		*domains = domidx_count(ci->cur->dom);
		*asns = ci->cur->nasns;
		*bytes = cidr_index_memory(ci->cur->cidr) +
		         domidx_memory(ci->cur->dom) +
		         ci->cur->asn_cap * sizeof(struct asn_entry);
	}
	pthread_rwlock_unlock(&ci->lock);
}
