/*
 * ioc_seen.c - the per-call set of (type, value) pairs that ioc_extract()
 * has already emitted.
 *
 * Open addressing with linear probing over a power-of-two table of 8-byte
 * slots: 31 bits of the value's 64-bit hash (the slot index is taken from
 * them too, so the table can grow without reading any key back) and a
 * 32-bit reference to the key. Keys are packed one after the other in
 * blocks of 1 KiB doubling to 64 KiB (type byte, 16-bit length, the
 * value), so a reference is a block number and an offset. A lookup that
 * finds its value reads one slot and one key; one that does not reads
 * slots only, unless 31 bits of hash collide. The table doubles at 75 %
 * load, and the table it outgrows becomes room for keys. Memory comes
 * from the arena, or else from the caller's buffer; when it runs out the
 * set stops growing and answers "new" for what it cannot hold.
 */
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/ioc_internal.h"

#define KEY_HDR     3     /* type, length (low byte first) */
#define BLOCK_FIRST 1024  /* key blocks double from here ... */
#define BLOCK_MAX   65536 /* ... to here: the offset is 16 bits */
#define BLOCKS_MAX  65536 /* the block number is 16 bits */
#define TAB_FIRST   64
#define TAG_BIT     0x80000000u /* set in every tag: 0 marks a free slot */

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* The table: the slot index is tag & (cap - 1). */
struct ioc_slot {
	uint32_t tag; /* 31 bits of the hash | TAG_BIT */
	uint32_t ref; /* block << 16 | offset */
};

void
ioc_seen_init(struct ioc_seen *s, struct arena *arena, void *buf, size_t buflen)
{
	size_t skip = buf != NULL ? (8 - (uintptr_t)buf % 8) % 8 : 0;

	memset(s, 0, sizeof(*s));
	s->arena = arena;
	if (buf != NULL && buflen > skip) {
		/* slots are 8 bytes wide: align the caller's buffer */
		s->buf = (unsigned char *)buf + skip;
		s->buflen = buflen - skip;
	}
	s->block_size = BLOCK_FIRST;
}

static void *
seen_alloc(struct ioc_seen *s, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (s->arena != NULL)
		return arena_alloc(s->arena, n);
	if (s->buflen - s->used < n)
		return NULL;
	p = s->buf + s->used;
	s->used += n;
	return p;
}

/*
 * A 64-bit hash of the type and the value, eight bytes at a time: each
 * word is folded in with a multiply and a shift, then the result is mixed
 * so that all of its bits depend on all of the input.
 */
uint64_t
ioc_seen_hash(enum ioc_type t, const char *v, size_t n)
{
	const uint64_t k = 0x9fb21c651e98df25ULL;
	uint64_t h = 0x243f6a8885a308d3ULL ^ ((uint64_t)t << 56) ^ n;
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, v, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
		v += 8;
		n -= 8;
	}
	if (n > 0) {
		w = 0;
		for (size_t i = 0; i < n; i++)
			w |= (uint64_t)(unsigned char)v[i] << (8 * i);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	return h;
}

static bool
key_eq(const struct ioc_seen *s, uint32_t ref, enum ioc_type t, const char *v,
       size_t n)
{
	const unsigned char *k =
	    (const unsigned char *)s->blocks[ref >> 16] + (ref & 0xffff);

	return k[0] == (unsigned char)t && (k[1] | (size_t)k[2] << 8) == n &&
	       memcmp(k + KEY_HDR, v, n) == 0;
}

static bool
seen_grow(struct ioc_seen *s)
{
	size_t ncap = s->cap ? s->cap * 2 : TAB_FIRST, mask = ncap - 1;
	struct ioc_slot *ot = s->tab, *nt;

	if (ncap > TAG_BIT || ncap > SIZE_MAX / sizeof(*nt) ||
	    (nt = seen_alloc(s, ncap * sizeof(*nt))) == NULL)
		return false;
	memset(nt, 0, ncap * sizeof(*nt));
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (ot[i].tag == 0)
			continue;
		for (j = ot[i].tag & mask; nt[j].tag != 0; j = (j + 1) & mask)
			;
		nt[j] = ot[i];
	}
	/* the old table becomes room for keys */
	s->spare = (char *)ot;
	s->spare_len = s->cap * sizeof(*ot);
	s->tab = nt;
	s->cap = ncap;
	return true;
}

/* Room for a block of keys of at least need bytes; its size in *size_out.
 * The table outgrown last is used first. */
static char *
new_block(struct ioc_seen *s, size_t need, size_t *size_out)
{
	size_t size;
	char *b;

	if (s->spare_len >= need) {
		size = s->spare_len < BLOCK_MAX ? s->spare_len : BLOCK_MAX;
		b = s->spare;
		s->spare += size;
		s->spare_len -= size;
	} else {
		size = s->block_size > need ? s->block_size : need;
		if ((b = seen_alloc(s, size)) != NULL) {
			if (s->block_size < BLOCK_MAX)
				s->block_size *= 2;
		} else {
			/* near the end: what the buffer has left, or just
			 * enough for this key */
			size = need;
			if (s->arena == NULL &&
			    ((s->buflen - s->used) & ~(size_t)7) > need)
				size = (s->buflen - s->used) & ~(size_t)7;
			if (size > BLOCK_MAX)
				size = BLOCK_MAX;
			if ((b = seen_alloc(s, size)) == NULL)
				return NULL;
		}
	}
	*size_out = size;
	return b;
}

/* Copies the key into the newest block (a new one if it is full); its
 * reference in *ref_out. */
static bool
store_key(struct ioc_seen *s, enum ioc_type t, const char *v, size_t n,
          uint32_t *ref_out)
{
	size_t need = KEY_HDR + n, size;
	char *k;

	if (need > BLOCK_MAX)
		return false;
	if (s->kleft < need) {
		if (s->nblocks == BLOCKS_MAX)
			return false;
		if (s->nblocks == s->blocks_cap) {
			size_t ncap = s->blocks_cap ? s->blocks_cap * 2 : 16;
			char **nb = seen_alloc(s, ncap * sizeof(*nb));

			if (nb == NULL)
				return false;
			if (s->nblocks > 0)
				memcpy(nb, s->blocks, s->nblocks * sizeof(*nb));
			s->blocks = nb;
			s->blocks_cap = ncap;
		}
		if ((k = new_block(s, need, &size)) == NULL)
			return false;
		s->blocks[s->nblocks++] = k;
		s->kp = k;
		s->kleft = size;
	}
	k = s->kp;
	k[0] = (char)t;
	k[1] = (char)(n & 0xff);
	k[2] = (char)(n >> 8);
	memcpy(k + KEY_HDR, v, n);
	*ref_out = (uint32_t)((s->nblocks - 1) << 16 |
	                      (size_t)(k - s->blocks[s->nblocks - 1]));
	s->kp += need;
	s->kleft -= need;
	return true;
}

static uint32_t
tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32) | TAG_BIT;
}

void
ioc_seen_prefetch(const struct ioc_seen *s, uint64_t h)
{
	if (s->cap > 0)
		PREFETCH(&s->tab[tag_of(h) & (s->cap - 1)]);
}

void
ioc_seen_prefetch_key(const struct ioc_seen *s, uint64_t h)
{
	uint32_t tag = tag_of(h);
	size_t j, mask = s->cap - 1;

	if (s->cap == 0)
		return;
	for (j = tag & mask; s->tab[j].tag != 0; j = (j + 1) & mask) {
		if (s->tab[j].tag == tag) {
			uint32_t ref = s->tab[j].ref;

			PREFETCH(s->blocks[ref >> 16] + (ref & 0xffff));
			return;
		}
	}
}

bool
ioc_seen_add(struct ioc_seen *s, enum ioc_type t, const char *v, size_t n)
{
	return ioc_seen_add_hashed(s, t, v, n, ioc_seen_hash(t, v, n));
}

bool
ioc_seen_add_hashed(struct ioc_seen *s, enum ioc_type t, const char *v,
                    size_t n, uint64_t h)
{
	uint32_t tag = tag_of(h), ref;
	struct ioc_slot *tab = s->tab;
	size_t j = 0, mask = s->cap - 1;

	if (s->cap > 0) {
		for (j = tag & mask; tab[j].tag != 0; j = (j + 1) & mask)
			if (tab[j].tag == tag && key_eq(s, tab[j].ref, t, v, n))
				return false;
	}
	if (s->full)
		return true;
	if ((s->n + 1) * 4 > s->cap * 3) {
		if (!seen_grow(s)) {
			s->full = true;
			return true;
		}
		tab = s->tab;
		mask = s->cap - 1;
		for (j = tag & mask; tab[j].tag != 0; j = (j + 1) & mask)
			;
	}
	if (!store_key(s, t, v, n, &ref)) {
		s->full = true;
		return true;
	}
	tab[j].tag = tag;
	tab[j].ref = ref;
	s->n++;
	return true;
}
