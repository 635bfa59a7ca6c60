/*
 * event_pack.c - the stored form of an event line; see event_pack.h.
 *
 * The packer splits the line into members with a scanner that only looks
 * for the grammar's own bytes ('"', ':', ',' and the braces); unpacking
 * writes exactly those bytes back around the same keys and values, so the
 * round trip is exact whatever the values hold. Key lookup first tries the
 * code after the previous member's (lines of a report list their keys in
 * the same order), then a hash table.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "store/event_pack.h"

#define KEY_MAX    256 /* longer keys are written in full in each row */
#define HASH_SLOTS (2 * EVENT_DICT_MAX)
#define RAW_MARK   0x00 /* a stored line that does not start with '{' */

struct dict_field {
	size_t koff, klen, voff, vlen;
};

struct event_dict {
	struct dict_field f[EVENT_DICT_MAX];
	size_t n, saved;
	uint16_t slot[HASH_SLOTS]; /* code + 1; 0: empty */
	char *text;                /* keys and values */
	size_t text_len, text_cap;
	size_t guess; /* the code the next member probably has */
};

struct event_dict *
event_dict_new(void)
{
	return xcalloc(1, sizeof(struct event_dict));
}

void
event_dict_free(struct event_dict *d)
{
	if (d == NULL)
		return;
	free(d->text);
	free(d);
}

void
event_dict_reset(struct event_dict *d)
{
	d->n = d->saved = 0;
	d->text_len = 0;
	d->guess = 0;
	memset(d->slot, 0, sizeof(d->slot));
}

size_t
event_dict_count(const struct event_dict *d)
{
	return d->n;
}

size_t
event_dict_saved(const struct event_dict *d)
{
	return d->saved;
}

void
event_dict_mark_saved(struct event_dict *d)
{
	d->saved = d->n;
}

void
event_dict_get(const struct event_dict *d, size_t i, const char **key,
               size_t *klen, const char **value, size_t *vlen)
{
	*key = d->text + d->f[i].koff;
	*klen = d->f[i].klen;
	*value = d->text + d->f[i].voff;
	*vlen = d->f[i].vlen;
}

static uint32_t
hash(const char *k, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)k[i]) * 16777619u;
	return h;
}

static bool
key_is(const struct event_dict *d, size_t code, const char *k, size_t n)
{
	return d->f[code].klen == n &&
	       memcmp(d->text + d->f[code].koff, k, n) == 0;
}

/* The code of key k, or -1. */
static long
lookup(struct event_dict *d, const char *k, size_t n)
{
	uint32_t i;

	if (d->guess < d->n && key_is(d, d->guess, k, n))
		return (long)d->guess;
	for (i = hash(k, n) % HASH_SLOTS; d->slot[i] != 0;
	     i = (i + 1) % HASH_SLOTS)
		if (key_is(d, d->slot[i] - 1u, k, n))
			return (long)(d->slot[i] - 1u);
	return -1;
}

static void
add(struct event_dict *d, const char *k, size_t klen, const char *v,
    size_t vlen)
{
	struct dict_field *f = &d->f[d->n];
	uint32_t i;

	if (d->text_cap - d->text_len < klen + vlen) {
		while (d->text_cap - d->text_len < klen + vlen)
			d->text_cap = d->text_cap ? d->text_cap * 2 : 4096;
		d->text = xrealloc(d->text, d->text_cap);
	}
	f->koff = d->text_len;
	f->klen = klen;
	memcpy(d->text + d->text_len, k, klen);
	d->text_len += klen;
	f->voff = d->text_len;
	f->vlen = vlen;
	memcpy(d->text + d->text_len, v, vlen);
	d->text_len += vlen;
	for (i = hash(k, klen) % HASH_SLOTS; d->slot[i] != 0;
	     i = (i + 1) % HASH_SLOTS)
		;
	d->slot[i] = (uint16_t)(d->n + 1);
	d->n++;
}

enum cs_err
event_dict_load(struct event_dict *d, int64_t code, const char *key,
                size_t klen, const char *value, size_t vlen)
{
	if (code != (int64_t)d->n || d->n >= EVENT_DICT_MAX || klen > KEY_MAX ||
	    vlen > EVENT_DICT_VALUE_MAX || lookup(d, key, klen) >= 0)
		return CS_E_INVAL;
	add(d, key, klen, value, vlen);
	d->saved = d->n;
	return CS_OK;
}

/* ---- packing ---- */

struct out {
	uint8_t *p;
	size_t n, cap;
	bool full;
};

static void
put(struct out *o, const void *s, size_t n)
{
	if (o->full || o->cap - o->n < n) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void
put_varint(struct out *o, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			b[n] |= 0x80;
		n++;
	} while (v != 0);
	put(o, b, n);
}

/* The end of the string whose opening quote is at s[-1]: the closing
 * quote, or NULL. */
static const char *
string_end(const char *s, const char *end)
{
	for (;;) {
		const char *q = memchr(s, '"', (size_t)(end - s));
		const char *b;

		if (q == NULL)
			return NULL;
		for (b = q; b > s && b[-1] == '\\'; b--)
			;
		if ((q - b) % 2 == 0)
			return q;
		s = q + 1;
	}
}

/* Packs the members of line; false when it is not a flat compact object
 * or the packed form would not be smaller. */
static bool
pack_members(struct event_dict *d, const char *line, size_t len, struct out *o)
{
	const char *p = line + 1, *end = line + len - 1; /* end: the '}' */

	if (len < 2 || line[0] != '{' || *end != '}')
		return false;
	put(o, (uint8_t[]){EVENT_PACK_VERSION}, 1);
	while (p < end) {
		const char *k, *ke, *v, *ve;
		long code;

		if (*p != '"' || (ke = string_end(p + 1, end)) == NULL)
			return false;
		k = p + 1;
		if (ke + 1 >= end || ke[1] != ':')
			return false;
		v = ke + 2;
		if (v >= end)
			return false;
		if (*v == '"') {
			if ((ve = string_end(v + 1, end)) == NULL)
				return false;
			ve++;
		} else {
			for (ve = v; ve < end && *ve != ','; ve++)
				if (*ve == '{' || *ve == '[' || *ve == '"' ||
				    *ve == ' ' || *ve == ':')
					return false;
			if (ve == v)
				return false;
		}
		if (ve < end && *ve != ',')
			return false;
		if (ve < end && ve + 1 == end)
			return false; /* a trailing comma */
		code = lookup(d, k, (size_t)(ke - k));
		if (code < 0 && d->n < EVENT_DICT_MAX && ke - k <= KEY_MAX) {
			size_t vl = (size_t)(ve - v);

			code = (long)d->n;
			add(d, k, (size_t)(ke - k), v,
			    vl <= EVENT_DICT_VALUE_MAX ? vl : 0);
		}
		if (code < 0) {
			put_varint(o, 2);
			put_varint(o, (uint64_t)(ke - k));
			put(o, k, (size_t)(ke - k));
			put_varint(o, (uint64_t)(ve - v));
			put(o, v, (size_t)(ve - v));
		} else if (d->f[code].vlen == (size_t)(ve - v) &&
		           memcmp(d->text + d->f[code].voff, v,
		                  (size_t)(ve - v)) == 0) {
			put_varint(o, (uint64_t)code << 2);
		} else {
			put_varint(o, (uint64_t)code << 2 | 1);
			put_varint(o, (uint64_t)(ve - v));
			put(o, v, (size_t)(ve - v));
		}
		if (code >= 0)
			d->guess = (size_t)code + 1;
		if (o->full)
			return false;
		p = ve < end ? ve + 1 : ve;
	}
	return true;
}

void
event_pack(struct event_dict *d, const char *line, size_t len, uint8_t *out,
           size_t cap, size_t *n_out)
{
	/* the packed form must be smaller than the line, or the line is
	 * stored as it is */
	struct out o = {out, 0, len < cap ? len : cap, false};

	d->guess = 0;
	if (pack_members(d, line, len, &o) && o.n < len) {
		*n_out = o.n;
		return;
	}
	if (len > 0 && line[0] == '{') {
		memcpy(out, line, len);
		*n_out = len;
		return;
	}
	/* not an object at all: marked, so that it is not read as packed */
	out[0] = RAW_MARK;
	memcpy(out + 1, line, len);
	*n_out = len + 1;
}

/* ---- unpacking ---- */

static bool
get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*p >= end)
			return false;
		b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

static bool
get_bytes(const uint8_t **p, const uint8_t *end, const char **s, size_t *n)
{
	uint64_t len;

	if (!get_varint(p, end, &len) || len > (uint64_t)(end - *p))
		return false;
	*s = (const char *)*p;
	*n = (size_t)len;
	*p += len;
	return true;
}

/* One member of the packed form; CS_OK with *done at the end. */
static enum cs_err
next_member(const struct event_dict *d, const uint8_t **p, const uint8_t *end,
            const char **k, size_t *kn, const char **v, size_t *vn)
{
	uint64_t tag, code;

	if (!get_varint(p, end, &tag))
		return CS_E_INVAL;
	code = tag >> 2;
	switch (tag & 3) {
	case 0:
	case 1:
		if (code >= d->n)
			return CS_E_NOTFOUND;
		*k = d->text + d->f[code].koff;
		*kn = d->f[code].klen;
		if ((tag & 3) == 0) {
			if (d->f[code].vlen == 0)
				return CS_E_INVAL;
			*v = d->text + d->f[code].voff;
			*vn = d->f[code].vlen;
			return CS_OK;
		}
		return get_bytes(p, end, v, vn) ? CS_OK : CS_E_INVAL;
	case 2:
		if (code != 0)
			return CS_E_INVAL;
		return get_bytes(p, end, k, kn) && get_bytes(p, end, v, vn)
		           ? CS_OK
		           : CS_E_INVAL;
	default:
		return CS_E_INVAL;
	}
}

enum cs_err
event_unpack(const struct event_dict *d, const uint8_t *p, size_t n,
             struct arena *a, const char **line_out, size_t *len_out)
{
	const uint8_t *end = p + n, *q;
	const char *k, *v;
	size_t kn, vn, len = 2, members = 0, o = 0;
	enum cs_err err;
	char *line;

	if (n > 0 && (p[0] == '{' || p[0] == RAW_MARK)) {
		/* the line as it is */
		size_t skip = p[0] == RAW_MARK;

		line = arena_strndup(a, (const char *)p + skip, n - skip);
		if (line == NULL)
			return CS_E_TOOBIG;
		*line_out = line;
		*len_out = n - skip;
		return CS_OK;
	}
	if (n == 0 || p[0] != EVENT_PACK_VERSION)
		return CS_E_INVAL;
	for (q = p + 1; q < end; members++) {
		if ((err = next_member(d, &q, end, &k, &kn, &v, &vn)) != CS_OK)
			return err;
		len += kn + vn + 3 + (members > 0);
	}
	if ((line = arena_alloc(a, len + 1)) == NULL)
		return CS_E_TOOBIG;
	line[o++] = '{';
	for (q = p + 1; q < end;) {
		(void)next_member(d, &q, end, &k, &kn, &v, &vn);
		if (o > 1)
			line[o++] = ',';
		line[o++] = '"';
		memcpy(line + o, k, kn);
		o += kn;
		line[o++] = '"';
		line[o++] = ':';
		memcpy(line + o, v, vn);
		o += vn;
	}
	line[o++] = '}';
	line[o] = '\0';
	*line_out = line;
	*len_out = o;
	return CS_OK;
}
