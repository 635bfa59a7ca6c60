/*
 * dedup.c - keyed fingerprints, a linear-probing index over an entry array
 * kept in window-start order (a doubly linked list through the entries),
 * and compact copies of first events for aggregation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/xmalloc.h"
#include "pipeline/dedup.h"

#define NIL        UINT32_MAX
#define STR_INLINE 64 /* longer key strings enter as their hash */
#define FP_BYTES   crypto_shorthash_siphashx24_BYTES
#define KEYBUF     (DEDUP_KEY_FIELDS_MAX * (4 + STR_INLINE + FP_BYTES))
#define WINDOW_MAX (10LL * 366 * 86400)
#define RECORD_MIN 128
#define NO_TIME    INT64_MIN

struct entry {
	uint64_t fp[2];
	int64_t start;       /* window start */
	int64_t first, last; /* event times seen; first > last: none */
	uint64_t count;
	uint32_t prev, next; /* window-start order; next also links free ones */
	uint32_t rec_len;    /* aggregate mode: bytes in the record */
};

/* An index slot: the entry and 32 more fingerprint bits, so that a probe
 * reads the entry array only on a likely match. */
struct slot {
	uint32_t idx; /* NIL: empty */
	uint32_t tag;
};

/* The emission batch is reset only when one more emission might not fit:
 * a reset clears the batch's string table, which costs more than an
 * emission. */
#define OUT_SLACK (1024 * 1024)

/* What one emission may take from the batch: the event and its extra
 * slots, the record's strings (a string of n bytes takes n + 2 bytes of
 * the record and at most n + 16 bytes of the arena, 16-byte aligned: at
 * most 8 times its record bytes) and the two time strings. */
static size_t
out_need(const struct dedup_config *c)
{
	return sizeof(struct event) + EVENT_EXTRA_MAX * sizeof(struct extra) +
	       8 * c->record_max + 1024;
}

struct dedup {
	struct dedup_config cfg;
	unsigned char hkey[crypto_shorthash_siphashx24_KEYBYTES];
	struct entry *e;
	struct slot *slots;
	uint32_t mask;
	uint32_t head, tail, free_head;
	unsigned char *records; /* capacity * record_max, aggregate mode */
	unsigned char *scratch; /* record_max */
	struct event_batch *out;
	int64_t clock;
	struct dedup_stats st;
};

enum cs_err
dedup_key_parse(const char *list, struct dedup_config *cfg,
                char why[DEDUP_WHY_MAX])
{
	const char *p = list, *end;
	char name[64];
	size_t n;
	enum event_field f;

	cfg->n_key = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		end = p + strcspn(p, ",");
		n = (size_t)(end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == 0 || n >= sizeof(name)) {
			snprintf(why, DEDUP_WHY_MAX,
			         "empty or overlong key name");
			return CS_E_INVAL;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		if (!event_field_lookup(name, &f)) {
			snprintf(why, DEDUP_WHY_MAX,
			         "%s: not a typed event field", name);
			return CS_E_INVAL;
		}
		if (cfg->n_key == DEDUP_KEY_FIELDS_MAX) {
			snprintf(why, DEDUP_WHY_MAX, "more than %d key fields",
			         DEDUP_KEY_FIELDS_MAX);
			return CS_E_INVAL;
		}
		cfg->key[cfg->n_key++] = f;
		if (*end == '\0')
			return CS_OK;
		p = end + 1;
	}
}

static enum cs_err
check_config(const struct dedup_config *c, char why[DEDUP_WHY_MAX])
{
	if (c->n_key == 0 || c->n_key > DEDUP_KEY_FIELDS_MAX) {
		snprintf(why, DEDUP_WHY_MAX, "key: 1 to %d fields",
		         DEDUP_KEY_FIELDS_MAX);
		return CS_E_INVAL;
	}
	for (size_t i = 0; i < c->n_key; i++) {
		if ((unsigned)c->key[i] >= EF_COUNT) {
			snprintf(why, DEDUP_WHY_MAX, "key: bad field");
			return CS_E_INVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (c->key[j] == c->key[i]) {
				snprintf(why, DEDUP_WHY_MAX,
				         "key: %s listed twice",
				         event_field_name(c->key[i]));
				return CS_E_INVAL;
			}
	}
	if (c->window < 1 || c->window > WINDOW_MAX) {
		snprintf(why, DEDUP_WHY_MAX, "window: 1 to %lld seconds",
		         (long long)WINDOW_MAX);
		return CS_E_INVAL;
	}
	if (c->time_field != EF_TIME_SOURCE &&
	    c->time_field != EF_TIME_OBSERVATION) {
		snprintf(why, DEDUP_WHY_MAX,
		         "time field: time.source or time.observation");
		return CS_E_INVAL;
	}
	if (c->capacity < 1 || c->capacity > DEDUP_CAPACITY_MAX) {
		snprintf(why, DEDUP_WHY_MAX, "capacity: 1 to %u keys",
		         DEDUP_CAPACITY_MAX);
		return CS_E_INVAL;
	}
	if (c->mode != DEDUP_DROP && c->mode != DEDUP_AGGREGATE) {
		snprintf(why, DEDUP_WHY_MAX, "bad mode");
		return CS_E_INVAL;
	}
	if (c->mode == DEDUP_AGGREGATE &&
	    (c->emit == NULL || c->record_max < RECORD_MIN ||
	     c->record_max > DEDUP_RECORD_MAX)) {
		snprintf(why, DEDUP_WHY_MAX,
		         "aggregate mode: an emit callback and record_max of "
		         "%d to %u bytes",
		         RECORD_MIN, DEDUP_RECORD_MAX);
		return CS_E_INVAL;
	}
	return CS_OK;
}

static void
reset_table(struct dedup *d)
{
	for (uint32_t i = 0; i <= d->mask; i++)
		d->slots[i].idx = NIL;
	for (size_t i = 0; i < d->cfg.capacity; i++)
		d->e[i].next =
		    i + 1 < d->cfg.capacity ? (uint32_t)(i + 1) : NIL;
	d->free_head = 0;
	d->head = d->tail = NIL;
	d->st.entries = 0;
}

enum cs_err
dedup_new(const struct dedup_config *cfg, struct dedup **out,
          char why[DEDUP_WHY_MAX])
{
	struct dedup *d;
	size_t nslots = 2;
	enum cs_err err;

	if ((err = check_config(cfg, why)) != CS_OK)
		return err;
	if (sodium_init() < 0) {
		snprintf(why, DEDUP_WHY_MAX, "libsodium failed to initialise");
		return CS_E_INTERNAL;
	}
	d = xcalloc(1, sizeof(*d));
	d->cfg = *cfg;
	if (d->cfg.mode == DEDUP_DROP)
		d->cfg.record_max = 0;
	if (cfg->hash_key != NULL)
		memcpy(d->hkey, cfg->hash_key, sizeof(d->hkey));
	else
		randombytes_buf(d->hkey, sizeof(d->hkey));
	while (nslots < 2 * cfg->capacity)
		nslots *= 2;
	d->mask = (uint32_t)(nslots - 1);
	d->e = xcalloc(cfg->capacity, sizeof(*d->e));
	d->slots = xmalloc(nslots * sizeof(*d->slots));
	if (d->cfg.mode == DEDUP_AGGREGATE) {
		d->records = xmalloc(cfg->capacity * d->cfg.record_max);
		d->scratch = xmalloc(d->cfg.record_max);
		d->out = event_batch_new(OUT_SLACK + out_need(&d->cfg));
	}
	d->clock = NO_TIME;
	d->st.capacity = cfg->capacity;
	d->st.memory = sizeof(*d) + cfg->capacity * sizeof(*d->e) +
	               nslots * sizeof(*d->slots) +
	               (cfg->capacity + 1) * d->cfg.record_max +
	               (d->out != NULL ? OUT_SLACK + out_need(&d->cfg) : 0);
	reset_table(d);
	*out = d;
	return CS_OK;
}

void
dedup_free(struct dedup *d)
{
	if (d == NULL)
		return;
	sodium_memzero(d->hkey, sizeof(d->hkey));
	free(d->e);
	free(d->slots);
	free(d->records);
	free(d->scratch);
	if (d->out != NULL)
		event_batch_free(d->out);
	free(d);
}

/* ---- the key ---- */

static unsigned char *
put(unsigned char *p, const void *v, size_t n)
{
	memcpy(p, v, n);
	return p + n;
}

static size_t
key_bytes(const struct dedup *d, const struct event *ev,
          unsigned char buf[KEYBUF])
{
	unsigned char *p = buf;
	enum event_field f;
	const struct ip_addr *ip;
	const char *s;
	size_t n;
	uint16_t len;

	for (size_t i = 0; i < d->cfg.n_key; i++) {
		f = d->cfg.key[i];
		*p++ = (unsigned char)f;
		if (!event_has(ev, f)) {
			*p++ = 0;
			continue;
		}
		*p++ = 1;
		switch (f) {
		case EF_TIME_SOURCE:
			p = put(p, &ev->time_source, 8);
			break;
		case EF_TIME_OBSERVATION:
			p = put(p, &ev->time_observation, 8);
			break;
		case EF_SOURCE_IP:
		case EF_DEST_IP:
			ip = f == EF_SOURCE_IP ? &ev->source_ip : &ev->dest_ip;
			p = put(p, ip, sizeof(*ip));
			break;
		case EF_SOURCE_PORT:
			p = put(p, &ev->source_port, 2);
			break;
		case EF_DEST_PORT:
			p = put(p, &ev->dest_port, 2);
			break;
		case EF_SOURCE_ASN:
			p = put(p, &ev->source_asn, 4);
			break;
		case EF_DEST_ASN:
			p = put(p, &ev->dest_asn, 4);
			break;
		case EF_SOURCE_NETWORK:
			p = put(p, &ev->source_network.addr,
			        sizeof(ev->source_network.addr));
			*p++ = ev->source_network.len;
			break;
		default:
			s = ev->str[f] != NULL ? ev->str[f] : "";
			n = strlen(s);
			if (n <= STR_INLINE) {
				len = (uint16_t)n;
				p = put(put(p, &len, 2), s, n);
			} else {
				len = UINT16_MAX;
				p = put(p, &len, 2);
				crypto_shorthash_siphashx24(
				    p, (const unsigned char *)s, n, d->hkey);
				p += FP_BYTES;
			}
			break;
		}
	}
	return (size_t)(p - buf);
}

static void
fingerprint(const struct dedup *d, const struct event *ev, uint64_t fp[2])
{
	unsigned char buf[KEYBUF], out[FP_BYTES];

	crypto_shorthash_siphashx24(out, buf, key_bytes(d, ev, buf), d->hkey);
	memcpy(fp, out, sizeof(out));
}

/* ---- the index ---- */

static uint32_t
find(const struct dedup *d, const uint64_t fp[2])
{
	uint32_t i = (uint32_t)fp[0] & d->mask, tag = (uint32_t)(fp[0] >> 32);
	const struct slot *s;

	for (;; i = (i + 1) & d->mask) {
		s = &d->slots[i];
		if (s->idx == NIL)
			return NIL;
		if (s->tag == tag && d->e[s->idx].fp[0] == fp[0] &&
		    d->e[s->idx].fp[1] == fp[1])
			return s->idx;
	}
}

static void
slot_insert(struct dedup *d, uint32_t idx)
{
	const uint64_t fp0 = d->e[idx].fp[0];
	uint32_t i = (uint32_t)fp0 & d->mask;

	while (d->slots[i].idx != NIL)
		i = (i + 1) & d->mask;
	d->slots[i].idx = idx;
	d->slots[i].tag = (uint32_t)(fp0 >> 32);
}

/* Backward-shift deletion: entries after the hole move back when their
 * home slot is not cyclically within (hole, their slot]. */
static void
slot_remove(struct dedup *d, uint32_t idx)
{
	uint32_t i = (uint32_t)d->e[idx].fp[0] & d->mask, j, k;

	while (d->slots[i].idx != idx)
		i = (i + 1) & d->mask;
	for (j = i;;) {
		j = (j + 1) & d->mask;
		if (d->slots[j].idx == NIL)
			break;
		k = (uint32_t)d->e[d->slots[j].idx].fp[0] & d->mask;
		if (i < j ? (k <= i || k > j) : (k <= i && k > j)) {
			d->slots[i] = d->slots[j];
			i = j;
		}
	}
	d->slots[i].idx = NIL;
}

/* ---- window-start order ---- */

static void
list_append(struct dedup *d, uint32_t idx)
{
	d->e[idx].prev = d->tail;
	d->e[idx].next = NIL;
	if (d->tail != NIL)
		d->e[d->tail].next = idx;
	else
		d->head = idx;
	d->tail = idx;
}

static void
list_unlink(struct dedup *d, uint32_t idx)
{
	struct entry *e = &d->e[idx];

	if (e->prev != NIL)
		d->e[e->prev].next = e->next;
	else
		d->head = e->next;
	if (e->next != NIL)
		d->e[e->next].prev = e->prev;
	else
		d->tail = e->prev;
}

/* ---- compact event copies (aggregate mode) ---- */

struct wr {
	unsigned char *p, *end;
};

static bool
wr(struct wr *w, const void *v, size_t n)
{
	if ((size_t)(w->end - w->p) < n)
		return false;
	memcpy(w->p, v, n);
	w->p += n;
	return true;
}

static bool
wr_str(struct wr *w, const char *s)
{
	size_t n = strlen(s);
	uint16_t len = (uint16_t)n;

	return n <= EVENT_VALUE_MAX && wr(w, &len, 2) && wr(w, s, n);
}

/* Bytes written, 0 if the event does not fit in cap. */
static size_t
pack(const struct event *ev, unsigned char *buf, size_t cap)
{
	struct wr w = {buf, buf + cap};
	uint8_t f, end = 0xff, kind;
	uint16_t n = (uint16_t)ev->n_extra;
	const struct extra *x;
	bool ok;

	ok = wr(&w, &ev->present, 8) && wr(&w, &ev->time_source, 8) &&
	     wr(&w, &ev->time_observation, 8) &&
	     wr(&w, &ev->source_ip, sizeof(ev->source_ip)) &&
	     wr(&w, &ev->dest_ip, sizeof(ev->dest_ip)) &&
	     wr(&w, &ev->source_port, 2) && wr(&w, &ev->dest_port, 2) &&
	     wr(&w, &ev->source_asn, 4) && wr(&w, &ev->dest_asn, 4) &&
	     wr(&w, &ev->source_network, sizeof(ev->source_network));
	for (int i = 0; ok && i < EF_COUNT; i++) {
		if (ev->str[i] == NULL)
			continue;
		f = (uint8_t)i;
		ok = wr(&w, &f, 1) && wr_str(&w, ev->str[i]);
	}
	ok = ok && wr(&w, &end, 1) && wr(&w, &n, 2);
	for (size_t i = 0; ok && i < ev->n_extra; i++) {
		x = &ev->extra[i];
		kind = (uint8_t)x->v.kind;
		ok = wr_str(&w, x->key) && wr(&w, &kind, 1);
		if (!ok)
			break;
		switch (x->v.kind) {
		case XV_STRING:
			ok = wr_str(&w, x->v.u.s);
			break;
		case XV_INT:
			ok = wr(&w, &x->v.u.i, 8);
			break;
		case XV_FLOAT:
			ok = wr(&w, &x->v.u.f, 8);
			break;
		case XV_BOOL:
			ok = wr(&w, &x->v.u.b, 1);
			break;
		}
	}
	return ok ? (size_t)(w.p - buf) : 0;
}

struct rd {
	const unsigned char *p;
	struct event_batch *b;
	bool ok;
};

static void
rd(struct rd *r, void *v, size_t n)
{
	memcpy(v, r->p, n);
	r->p += n;
}

static const char *
rd_str(struct rd *r)
{
	uint16_t len;
	const char *s;

	rd(r, &len, 2);
	s = event_batch_intern(r->b, (const char *)r->p, len);
	r->p += len;
	if (s == NULL)
		r->ok = false;
	return s;
}

/* The inverse of pack(), into the batch; false at the batch's cap. */
static bool
unpack(const unsigned char *buf, struct event_batch *b, struct event *ev)
{
	struct rd r = {buf, b, true};
	struct extra_value v;
	const char *key;
	uint8_t f, kind;
	uint16_t n;

	rd(&r, &ev->present, 8);
	rd(&r, &ev->time_source, 8);
	rd(&r, &ev->time_observation, 8);
	rd(&r, &ev->source_ip, sizeof(ev->source_ip));
	rd(&r, &ev->dest_ip, sizeof(ev->dest_ip));
	rd(&r, &ev->source_port, 2);
	rd(&r, &ev->dest_port, 2);
	rd(&r, &ev->source_asn, 4);
	rd(&r, &ev->dest_asn, 4);
	rd(&r, &ev->source_network, sizeof(ev->source_network));
	for (rd(&r, &f, 1); f != 0xff; rd(&r, &f, 1))
		ev->str[f] = rd_str(&r);
	rd(&r, &n, 2);
	for (uint16_t i = 0; i < n && r.ok; i++) {
		key = rd_str(&r);
		rd(&r, &kind, 1);
		v.kind = (enum extra_kind)kind;
		switch (v.kind) {
		case XV_STRING:
			v.u.s = rd_str(&r);
			break;
		case XV_INT:
			rd(&r, &v.u.i, 8);
			break;
		case XV_FLOAT:
			rd(&r, &v.u.f, 8);
			break;
		case XV_BOOL:
			rd(&r, &v.u.b, 1);
			break;
		}
		if (r.ok && event_set_extra(ev, key, v) != CS_OK)
			r.ok = false;
	}
	return r.ok;
}

static void
set_time_extra(struct event_batch *b, struct event *ev, const char *key,
               int64_t t)
{
	char text[26];
	struct extra_value v = {.kind = XV_STRING};

	event_time_format(t, text);
	if ((v.u.s = event_batch_intern(b, text, strlen(text))) != NULL)
		(void)event_set_extra(ev, key, v);
}

static void
emit(struct dedup *d, uint32_t idx, enum dedup_reason reason)
{
	const struct entry *e = &d->e[idx];
	struct dedup_aggregate agg = {e->first, e->last, e->count, reason};
	struct extra_value v = {.kind = XV_INT, .u.i = (int64_t)e->count};
	struct event *ev;

	if (event_batch_used(d->out) > OUT_SLACK)
		event_batch_reset(d->out);
	/* the batch has room for one more emission: failing is a bug */
	if (event_new(d->out, &ev) != CS_OK ||
	    !unpack(d->records + (size_t)idx * d->cfg.record_max, d->out, ev))
		abort();
	if (e->first <= e->last) {
		set_time_extra(d->out, ev, "first_seen", e->first);
		set_time_extra(d->out, ev, "last_seen", e->last);
	}
	/* at EVENT_EXTRA_MAX extras, agg still carries the figures */
	(void)event_set_extra(ev, "count", v);
	d->cfg.emit(d->cfg.emit_ctx, ev, &agg);
	d->st.emitted++;
}

/* ---- entries ---- */

static void
entry_drop(struct dedup *d, uint32_t idx, enum dedup_reason reason)
{
	if (d->cfg.mode == DEDUP_AGGREGATE)
		emit(d, idx, reason);
	if (reason == DEDUP_EMIT_WINDOW)
		d->st.closed++;
	else if (reason == DEDUP_EMIT_EVICTED)
		d->st.evictions++;
	slot_remove(d, idx);
	list_unlink(d, idx);
	d->e[idx].next = d->free_head;
	d->free_head = idx;
	d->st.entries--;
}

static bool
window_closed(const struct dedup *d, const struct entry *e)
{
	return d->clock != NO_TIME && e->start <= d->clock - d->cfg.window;
}

static void
expire(struct dedup *d)
{
	while (d->head != NIL && window_closed(d, &d->e[d->head]))
		entry_drop(d, d->head, DEDUP_EMIT_WINDOW);
}

void
dedup_expire(struct dedup *d, int64_t now)
{
	if (now > d->clock && now >= EVENT_TIME_MIN)
		d->clock = now;
	expire(d);
}

static void
seen_at(struct entry *e, int64_t t)
{
	if (t == NO_TIME)
		return;
	if (t < e->first)
		e->first = t;
	if (t > e->last)
		e->last = t;
}

static enum dedup_verdict
push_fp(struct dedup *d, const struct event *ev, const uint64_t fp[2])
{
	uint32_t idx;
	struct entry *e;
	int64_t t = NO_TIME;
	size_t rec_len = 0;
	const enum event_field other = d->cfg.time_field == EF_TIME_SOURCE
	                                   ? EF_TIME_OBSERVATION
	                                   : EF_TIME_SOURCE;

	d->st.seen++;
	if (event_has(ev, d->cfg.time_field))
		t = d->cfg.time_field == EF_TIME_SOURCE ? ev->time_source
		                                        : ev->time_observation;
	else if (event_has(ev, other))
		t = other == EF_TIME_SOURCE ? ev->time_source
		                            : ev->time_observation;
	if (t != NO_TIME && t > d->clock)
		d->clock = t;
	expire(d);

	if ((idx = find(d, fp)) != NIL) {
		e = &d->e[idx];
		if (!window_closed(d, e)) {
			e->count++;
			seen_at(e, t);
			d->st.duplicates++;
			return d->cfg.mode == DEDUP_DROP ? DEDUP_DUPLICATE
			                                 : DEDUP_HELD;
		}
		/* out of order: a window behind the oldest open one */
		entry_drop(d, idx, DEDUP_EMIT_WINDOW);
	}

	if (d->cfg.mode == DEDUP_AGGREGATE &&
	    (rec_len = pack(ev, d->scratch, d->cfg.record_max)) == 0) {
		d->st.oversize++;
		return DEDUP_PASS;
	}
	if (d->free_head == NIL)
		entry_drop(d, d->head, DEDUP_EMIT_EVICTED);
	idx = d->free_head;
	e = &d->e[idx];
	d->free_head = e->next;
	e->fp[0] = fp[0];
	e->fp[1] = fp[1];
	e->start = t != NO_TIME ? t : d->clock;
	e->first = INT64_MAX;
	e->last = INT64_MIN;
	seen_at(e, t);
	e->count = 1;
	e->rec_len = (uint32_t)rec_len;
	if (rec_len > 0)
		memcpy(d->records + (size_t)idx * d->cfg.record_max, d->scratch,
		       rec_len);
	slot_insert(d, idx);
	list_append(d, idx);
	d->st.entries++;
	d->st.unique++;
	return d->cfg.mode == DEDUP_DROP ? DEDUP_NEW : DEDUP_HELD;
}

enum dedup_verdict
dedup_push(struct dedup *d, const struct event *ev)
{
	uint64_t fp[2];

	fingerprint(d, ev, fp);
	return push_fp(d, ev, fp);
}

#define GROUP 16

void
dedup_push_batch(struct dedup *d, const struct event *const *evs, size_t n,
                 enum dedup_verdict *verdicts_out)
{
	uint64_t fp[GROUP][2];
	uint32_t idx;
	size_t g;

	for (size_t at = 0; at < n; at += g) {
		g = n - at < GROUP ? n - at : GROUP;
		/* fingerprints first, prefetching their index slots ... */
		for (size_t i = 0; i < g; i++) {
			fingerprint(d, evs[at + i], fp[i]);
			__builtin_prefetch(
			    &d->slots[(uint32_t)fp[i][0] & d->mask]);
		}
		/* ... then the entries those slots name ... */
		for (size_t i = 0; i < g; i++) {
			idx = d->slots[(uint32_t)fp[i][0] & d->mask].idx;
			if (idx != NIL)
				__builtin_prefetch(&d->e[idx]);
		}
		/* ... then the pushes, in order (prefetches are only hints:
		 * an expiry in between may move things) */
		for (size_t i = 0; i < g; i++)
			verdicts_out[at + i] = push_fp(d, evs[at + i], fp[i]);
	}
}

void
dedup_flush(struct dedup *d)
{
	if (d->cfg.mode == DEDUP_AGGREGATE)
		for (uint32_t i = d->head; i != NIL; i = d->e[i].next)
			emit(d, i, DEDUP_EMIT_FLUSH);
	reset_table(d);
}

void
dedup_get_stats(const struct dedup *d, struct dedup_stats *out)
{
	*out = d->st;
}
