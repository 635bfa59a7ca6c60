/*
 * domidx.c - domain suffix index: an open-addressing hash table probed
 * once per label suffix of the name looked up.
 */
#include <stdlib.h>
#include <string.h>

#include "core/domidx.h"
#include "core/xmalloc.h"

#define MAX_LABELS 128 /* 253 characters hold at most 127 labels */

struct ent {
	uint64_t hash; /* of the name, 0 never used: see name_hash() */
	char *name;    /* NULL: empty slot */
	int64_t v0;
	int64_t *more; /* values 1.., DOMIDX_MAX_VALUES - 1 of them */
	uint16_t len;
	uint8_t nvals;
};

struct domidx {
	struct ent *t;
	size_t cap; /* a power of two */
	size_t count;
	size_t max_entries;
	size_t name_bytes;
	size_t nmore; /* entries with a value block */
};

/* ---- names --------------------------------------------------------- */

/*
 * Normalises in into out (DOMIDX_NAME_MAX + 1 bytes). Lenient mode (for
 * lookups) also allows underscores, hyphens anywhere and one label.
 */
static bool
normalise(const char *in, char *out, size_t *len_out, bool lenient,
          const char **why_out)
{
	const char *why = NULL;
	size_t n, labels = 0, lab = 0;
	bool digits_only = true;

	if (in == NULL || (n = strnlen(in, DOMIDX_NAME_MAX + 2)) == 0) {
		why = "empty name";
		goto out;
	}
	if (in[n - 1] == '.')
		n--;
	if (n == 0) {
		why = "empty name";
		goto out;
	}
	if (n > DOMIDX_NAME_MAX) {
		why = "name longer than 253 characters";
		goto out;
	}
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)in[i] : '.';

		if (c == '.') {
			if (lab == 0) {
				why = "empty label (leading dot or two dots)";
				goto out;
			}
			if (lab > 63) {
				why = "label longer than 63 characters";
				goto out;
			}
			if (!lenient &&
			    (out[i - lab] == '-' || out[i - 1] == '-')) {
				why = "label starts or ends with a hyphen";
				goto out;
			}
			out[i] = '.';
			labels++;
			if (i < n) {
				lab = 0;
				digits_only = true;
			}
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c >= 0x80) {
			why = "non-ASCII name: give internationalised names in "
			      "their xn-- form";
			goto out;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || (lenient && c == '_'))) {
			why = "invalid character: labels hold letters, digits "
			      "and hyphens";
			goto out;
		}
		if (c < '0' || c > '9')
			digits_only = false;
		out[i] = (char)c;
		lab++;
	}
	out[n] = '\0';
	if (!lenient && labels < 2) {
		why = "a domain has at least two labels";
		goto out;
	}
	if (!lenient && digits_only) {
		why = "the last label is numeric (an IP address?)";
		goto out;
	}
	*len_out = n;
out:
	if (why_out != NULL)
		*why_out = why;
	return why == NULL;
}

bool
domidx_normalise(const char *in, char *out, const char **why_out)
{
	size_t n;

	return normalise(in, out, &n, false, why_out);
}

/* FNV-1a over the name from its last character to its first, so that
 * one pass yields the hash of every suffix; finished by mix(). */
#define HASH_SEED  UINT64_C(0xcbf29ce484222325)
#define HASH_PRIME UINT64_C(0x100000001b3)

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h | 1; /* never 0 */
}

static uint64_t
name_hash(const char *s, size_t n)
{
	uint64_t h = HASH_SEED;

	while (n-- > 0)
		h = (h ^ (unsigned char)s[n]) * HASH_PRIME;
	return mix(h);
}

/* ---- table --------------------------------------------------------- */

struct domidx *
domidx_new(size_t max_entries)
{
	struct domidx *d = xcalloc(1, sizeof(*d));

	d->max_entries = max_entries;
	d->cap = 16;
	d->t = xcalloc(d->cap, sizeof(*d->t));
	return d;
}

void
domidx_free(struct domidx *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->cap; i++) {
		free(d->t[i].name);
		free(d->t[i].more);
	}
	free(d->t);
	free(d);
}

struct domidx *
domidx_clone(const struct domidx *d)
{
	struct domidx *c = xcalloc(1, sizeof(*c));

	*c = *d;
	c->t = xcalloc(d->cap, sizeof(*c->t));
	for (size_t i = 0; i < d->cap; i++) {
		const struct ent *e = &d->t[i];

		if (e->name == NULL)
			continue;
		c->t[i] = *e;
		c->t[i].name = xstrdup(e->name);
		if (e->more != NULL) {
			c->t[i].more =
			    xmalloc((DOMIDX_MAX_VALUES - 1) * sizeof(int64_t));
			memcpy(c->t[i].more, e->more,
			       (DOMIDX_MAX_VALUES - 1) * sizeof(int64_t));
		}
	}
	return c;
}

static size_t
find(const struct domidx *d, const char *name, size_t len, uint64_t h)
{
	size_t mask = d->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		const struct ent *e = &d->t[i];

		if (e->name == NULL)
			return SIZE_MAX;
		if (e->hash == h && e->len == len &&
		    memcmp(e->name, name, len) == 0)
			return i;
	}
}

static size_t
free_slot(const struct domidx *d, uint64_t h)
{
	size_t mask = d->cap - 1, i = h & mask;

	while (d->t[i].name != NULL)
		i = (i + 1) & mask;
	return i;
}

static void
grow(struct domidx *d)
{
	struct ent *old = d->t;
	size_t oldcap = d->cap;

	d->cap *= 2;
	d->t = xcalloc(d->cap, sizeof(*d->t));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].name != NULL)
			d->t[free_slot(d, old[i].hash)] = old[i];
	free(old);
}

static int64_t
val_get(const struct ent *e, unsigned i)
{
	return i == 0 ? e->v0 : e->more[i - 1];
}

enum cs_err
domidx_add(struct domidx *d, const char *domain, int64_t value)
{
	char name[DOMIDX_NAME_MAX + 1];
	size_t len, i;
	uint64_t h;
	struct ent *e;

	if (!normalise(domain, name, &len, false, NULL))
		return CS_E_INVAL;
	h = name_hash(name, len);
	if ((i = find(d, name, len, h)) != SIZE_MAX) {
		e = &d->t[i];
		for (unsigned j = 0; j < e->nvals; j++)
			if (val_get(e, j) == value)
				return CS_E_CONFLICT;
		if (e->nvals >= DOMIDX_MAX_VALUES)
			return CS_E_TOOBIG;
		if (e->more == NULL) {
			e->more =
			    xmalloc((DOMIDX_MAX_VALUES - 1) * sizeof(int64_t));
			d->nmore++;
		}
		e->more[e->nvals - 1] = value;
		e->nvals++;
		return CS_OK;
	}
	if (d->count >= d->max_entries)
		return CS_E_TOOBIG;
	if ((d->count + 1) * 2 > d->cap)
		grow(d);
	e = &d->t[free_slot(d, h)];
	e->hash = h;
	e->name = xstrdup(name);
	e->len = (uint16_t)len;
	e->v0 = value;
	e->nvals = 1;
	d->count++;
	d->name_bytes += len + 1;
	return CS_OK;
}

/* Backward-shift deletion keeps every probe sequence unbroken. */
static void
delete_at(struct domidx *d, size_t i)
{
	size_t mask = d->cap - 1, j = i;

	free(d->t[i].name);
	free(d->t[i].more);
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (d->t[j].name == NULL)
			break;
		home = d->t[j].hash & mask;
		/* the entry at j may move to i unless home lies in (i, j] */
		if (i <= j ? (home <= i || home > j)
		           : (home <= i && home > j)) {
			d->t[i] = d->t[j];
			i = j;
		}
	}
	memset(&d->t[i], 0, sizeof(d->t[i]));
}

enum cs_err
domidx_remove(struct domidx *d, const char *domain, int64_t value)
{
	char name[DOMIDX_NAME_MAX + 1];
	size_t len, i;
	unsigned j;
	struct ent *e;

	if (!normalise(domain, name, &len, false, NULL))
		return CS_E_INVAL;
	if ((i = find(d, name, len, name_hash(name, len))) == SIZE_MAX)
		return CS_E_NOTFOUND;
	e = &d->t[i];
	for (j = 0; j < e->nvals; j++)
		if (val_get(e, j) == value)
			break;
	if (j == e->nvals)
		return CS_E_NOTFOUND;
	if (e->nvals == 1) {
		d->name_bytes -= (size_t)e->len + 1;
		d->count--;
		if (e->more != NULL)
			d->nmore--;
		delete_at(d, i);
		return CS_OK;
	}
	for (; j + 1 < e->nvals; j++) {
		if (j == 0)
			e->v0 = e->more[0];
		else
			e->more[j - 1] = e->more[j];
	}
	e->nvals--;
	return CS_OK;
}

size_t
domidx_lookup(const struct domidx *d, const char *fqdn, int64_t *values_out,
              size_t cap, char *matched_out)
{
	char name[DOMIDX_NAME_MAX + 1];
	uint16_t start[MAX_LABELS];
	uint64_t hs[MAX_LABELS];
	size_t len, nst = 0;
	uint64_t h = HASH_SEED;

	if (matched_out != NULL)
		matched_out[0] = '\0';
	if (d->count == 0 || !normalise(fqdn, name, &len, true, NULL))
		return 0;
	for (size_t i = len; i-- > 0;) {
		h = (h ^ (unsigned char)name[i]) * HASH_PRIME;
		if (i == 0 || name[i - 1] == '.') {
			start[nst] = (uint16_t)i;
			hs[nst++] = h;
		}
	}
	/* longest suffix first; one-label suffixes are never registered */
	for (size_t k = nst; k-- > 1;) {
		size_t l = len - start[k], i;
		const struct ent *e;

		i = find(d, name + start[k], l, mix(hs[k]));
		if (i == SIZE_MAX)
			continue;
		e = &d->t[i];
		for (unsigned j = 0; j < e->nvals && j < cap; j++)
			values_out[j] = val_get(e, j);
		if (matched_out != NULL)
			memcpy(matched_out, e->name, (size_t)e->len + 1);
		return e->nvals;
	}
	return 0;
}

size_t
domidx_count(const struct domidx *d)
{
	return d->count;
}

size_t
domidx_memory(const struct domidx *d)
{
	return sizeof(*d) + d->cap * sizeof(*d->t) + d->name_bytes +
	       d->nmore * (DOMIDX_MAX_VALUES - 1) * sizeof(int64_t);
}
