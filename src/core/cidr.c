/*
 * cidr.c - strict address parsing, RFC 5952 formatting and the
 * longest-prefix-match index (patricia trie + 2^16 slot table per family).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "core/xmalloc.h"

#define SLOT_BITS  16
#define NSLOTS     (1u << SLOT_BITS)
#define XV_STRIDE  (CIDR_MAX_VALUES - 1)
#define MAX_BLOCKS ((size_t)INT32_MAX / 2) /* two nodes per block fit */

/*
 * Keys are 128 bits in two host-order words, most significant bit first;
 * an IPv4 key occupies the top 32 bits of w[0].
 */
struct key {
	uint64_t w[2];
};

/*
 * A trie node. Its prefix is k/plen (bits beyond plen are zero); child[b]
 * follows the nodes whose bit number plen is b. A node carries values
 * (nvals > 0: a registered block) or has two children (a branch); the
 * first value is inline, the rest in a block of the xv array.
 */
struct node {
	uint64_t k[2];
	int64_t v0;
	uint32_t child[2];
	uint32_t more; /* xv block, 0: none */
	uint8_t plen;
	uint8_t nvals;
};

/* The first trie node at depth >= SLOT_BITS on a slot's path, and the
 * most specific block shorter than SLOT_BITS covering the slot. */
struct slot {
	uint32_t node;
	uint32_t best;
};

struct fam {
	struct node *nodes; /* index 0 is the null node */
	uint32_t ncap, nused, nfree, nfree_count;
	uint32_t root;
	struct slot *slots;
	int64_t *xv; /* overflow values, XV_STRIDE per block, block 0 unused */
	uint32_t xcap, xused, xfree;
	uint8_t maxbits;
	size_t blocks;
};

struct cidr_index {
	size_t max_entries;
	struct fam f4, f6;
};

/* ---- bits ---------------------------------------------------------- */

static uint64_t
mask64(unsigned len)
{
	return len == 0 ? 0 : ~(uint64_t)0 << (64 - len);
}

static unsigned
bit_at(const uint64_t k[2], unsigned i)
{
	return (unsigned)(k[i >> 6] >> (63 - (i & 63))) & 1u;
}

static bool
prefix_eq(const uint64_t a[2], const uint64_t b[2], unsigned len)
{
	if (len <= 64)
		return ((a[0] ^ b[0]) & mask64(len)) == 0;
	return a[0] == b[0] && ((a[1] ^ b[1]) & mask64(len - 64)) == 0;
}

static unsigned
common_len(const uint64_t a[2], const uint64_t b[2])
{
	uint64_t x = a[0] ^ b[0];

	if (x != 0)
		return (unsigned)__builtin_clzll(x);
	x = a[1] ^ b[1];
	return x != 0 ? 64 + (unsigned)__builtin_clzll(x) : 128;
}

static void
key_mask(uint64_t k[2], unsigned len)
{
	if (len <= 64) {
		k[0] &= mask64(len);
		k[1] = 0;
	} else {
		k[1] &= mask64(len - 64);
	}
}

static uint64_t
load_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
key_from_addr(const struct ip_addr *a, struct key *k)
{
	if (a->family == 4) {
		k->w[0] = (uint64_t)a->b[0] << 56 | (uint64_t)a->b[1] << 48 |
		          (uint64_t)a->b[2] << 40 | (uint64_t)a->b[3] << 32;
		k->w[1] = 0;
	} else {
		k->w[0] = load_be64(a->b);
		k->w[1] = load_be64(a->b + 8);
	}
}

static void
addr_from_key(const uint64_t k[2], uint8_t family, struct ip_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == 4) {
		for (int i = 0; i < 4; i++)
			a->b[i] = (uint8_t)(k[0] >> (56 - 8 * i));
	} else {
		store_be64(a->b, k[0]);
		store_be64(a->b + 8, k[1]);
	}
}

static bool
is_mapped(const uint8_t b[16])
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0,    0,
	                                0, 0, 0, 0, 0xff, 0xff};

	return memcmp(b, pfx, sizeof(pfx)) == 0;
}

/* ---- parsing ------------------------------------------------------- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* [s, end) as a dotted quad; NULL or a reason. */
static const char *
parse_v4(const char *s, const char *end, uint8_t out[4])
{
	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		int nd = 0;

		if (part > 0) {
			if (s == end || *s != '.')
				return "an IPv4 address has four dotted parts";
			s++;
		}
		while (s < end && is_digit(*s) && nd < 4) {
			v = v * 10 + (unsigned)(*s - '0');
			nd++;
			s++;
		}
		if (nd == 0)
			return "an IPv4 address has four dotted decimal parts";
		if (nd > 1 && s[-nd] == '0')
			return "leading zero in an IPv4 octet";
		if (nd > 3 || v > 255)
			return "IPv4 octet above 255";
		out[part] = (uint8_t)v;
	}
	if (s != end)
		return "junk after the IPv4 address";
	return NULL;
}

/* [s, end) as RFC 4291 text; NULL or a reason. */
static const char *
parse_v6(const char *s, const char *end, uint8_t out[16])
{
	uint16_t g[8];
	int n = 0, dc = -1;
	const char *p = s;

	if (end - p >= 2 && p[0] == ':' && p[1] == ':') {
		dc = 0;
		p += 2;
	} else if (p < end && *p == ':') {
		return "an IPv6 address cannot start with a single colon";
	}
	while (p < end) {
		const char *q = p;
		unsigned v = 0;

		while (q < end && hexval(*q) >= 0 && q - p < 5)
			v = v << 4 | (unsigned)hexval(*q++);
		if (q < end && *q == '.') {
			uint8_t v4[4];
			const char *why;

			if (n > 6)
				return "too many groups in the IPv6 address";
			if ((why = parse_v4(p, end, v4)) != NULL)
				return why;
			g[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
			p = end;
			break;
		}
		if (q == p)
			return "empty or invalid IPv6 group";
		if (q - p > 4)
			return "IPv6 group longer than four hex digits";
		if (n == 8)
			return "too many groups in the IPv6 address";
		g[n++] = (uint16_t)v;
		p = q;
		if (p == end)
			break;
		if (*p != ':')
			return "invalid character in the IPv6 address";
		p++;
		if (p < end && *p == ':') {
			if (dc >= 0)
				return "more than one :: in the IPv6 address";
			dc = n;
			p++;
		} else if (p == end) {
			return "an IPv6 address cannot end with a single colon";
		}
	}
	if (dc < 0 && n != 8)
		return "an IPv6 address without :: has eight groups";
	if (dc >= 0 && n > 7)
		return "too many groups in the IPv6 address";
	memset(out, 0, 16);
	for (int i = 0; i < n; i++) {
		int pos = (dc >= 0 && i >= dc) ? 8 - (n - i) : i;

		out[2 * pos] = (uint8_t)(g[i] >> 8);
		out[2 * pos + 1] = (uint8_t)g[i];
	}
	return NULL;
}

/* One address in [s, end), mapped addresses left as IPv6. */
static const char *
parse_addr(const char *s, const char *end, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == end)
		return "empty address";
	for (const char *p = s; p < end; p++) {
		if (*p == ':') {
			out->family = 6;
			return parse_v6(s, end, out->b);
		}
	}
	out->family = 4;
	return parse_v4(s, end, out->b);
}

static void
set_why(char *why, size_t n, const char *msg)
{
	if (why != NULL && n > 0)
		snprintf(why, n, "%s", msg);
}

bool
ip_parse(const char *text, struct ip_addr *out)
{
	size_t len;

	if (text == NULL || (len = strlen(text)) == 0 || len > 45)
		return false;
	if (parse_addr(text, text + len, out) != NULL)
		return false;
	if (out->family == 6 && is_mapped(out->b)) {
		memmove(out->b, out->b + 12, 4);
		memset(out->b + 4, 0, 12);
		out->family = 4;
	}
	return true;
}

bool
cidr_parse(const char *text, struct cidr *out, char *why_out, size_t why_len)
{
	const char *slash, *end, *why;
	unsigned maxbits, len;
	struct cidr net;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (text == NULL || (n = strlen(text)) == 0) {
		set_why(why_out, why_len, "empty");
		return false;
	}
	if (n > 49) {
		set_why(why_out, why_len, "too long for a CIDR block");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)text[i] <= ' ' ||
		    (unsigned char)text[i] >= 0x7f) {
			set_why(why_out, why_len,
			        "whitespace or a control character");
			return false;
		}
	}
	end = text + n;
	slash = memchr(text, '/', n);
	if ((why = parse_addr(text, slash ? slash : end, &out->addr)) != NULL) {
		set_why(why_out, why_len, why);
		return false;
	}
	maxbits = out->addr.family == 4 ? 32 : 128;
	len = maxbits;
	if (slash != NULL) {
		const char *p = slash + 1;
		int nd = 0;

		len = 0;
		while (p < end && is_digit(*p) && nd < 4) {
			len = len * 10 + (unsigned)(*p++ - '0');
			nd++;
		}
		if (nd == 0 || p != end) {
			set_why(why_out, why_len,
			        "the prefix length is a decimal number");
			return false;
		}
		if (nd > 1 && slash[1] == '0') {
			set_why(why_out, why_len,
			        "leading zero in the prefix length");
			return false;
		}
		if (len > maxbits) {
			char msg[CIDR_WHY_MAX];

			snprintf(msg, sizeof(msg),
			         "prefix length above %u for an IPv%u block",
			         maxbits, (unsigned)out->addr.family);
			set_why(why_out, why_len, msg);
			return false;
		}
	}
	out->len = (uint8_t)len;
	net = *out;
	for (unsigned i = len; i < maxbits; i++)
		net.addr.b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	if (memcmp(&net, out, sizeof(net)) != 0) {
		char txt[CIDR_TEXT_MAX], msg[CIDR_WHY_MAX];

		*out = net;
		cidr_format(&net, txt, sizeof(txt));
		snprintf(msg, sizeof(msg), "host bits set: the network is %s",
		         txt);
		set_why(why_out, why_len, msg);
		return false;
	}
	return true;
}

/* ---- formatting ---------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, used;
};

static void sb_printf(struct sbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (sb->used >= sb->n)
		return;
	va_start(ap, fmt);
	r = vsnprintf(sb->p + sb->used, sb->n - sb->used, fmt, ap);
	va_end(ap);
	if (r > 0)
		sb->used += (size_t)r;
}

static void
format_addr(const struct ip_addr *a, struct sbuf *sb)
{
	unsigned g[8];
	int best = -1, bestlen = 0;

	if (a->family == 4) {
		sb_printf(sb, "%u.%u.%u.%u", a->b[0], a->b[1], a->b[2],
		          a->b[3]);
		return;
	}
	if (is_mapped(a->b)) {
		sb_printf(sb, "::ffff:%u.%u.%u.%u", a->b[12], a->b[13],
		          a->b[14], a->b[15]);
		return;
	}
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > bestlen && j - i >= 2) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			sb_printf(sb, "::");
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			sb_printf(sb, ":");
		sb_printf(sb, "%x", g[i]);
	}
}

void
ip_format(const struct ip_addr *a, char *out, size_t n)
{
	struct sbuf sb = {out, n, 0};

	if (n == 0)
		return;
	out[0] = '\0';
	format_addr(a, &sb);
}

void
cidr_format(const struct cidr *c, char *out, size_t n)
{
	struct sbuf sb = {out, n, 0};

	if (n == 0)
		return;
	out[0] = '\0';
	format_addr(&c->addr, &sb);
	sb_printf(&sb, "/%u", (unsigned)c->len);
}

bool
cidr_contains(const struct cidr *c, const struct ip_addr *a)
{
	struct key kc, ka;

	if (c->addr.family != a->family)
		return false;
	key_from_addr(&c->addr, &kc);
	key_from_addr(a, &ka);
	return prefix_eq(kc.w, ka.w, c->len);
}

/* ---- the index: storage -------------------------------------------- */

static void
fam_init(struct fam *f, uint8_t maxbits)
{
	memset(f, 0, sizeof(*f));
	f->maxbits = maxbits;
	f->ncap = 64;
	f->nodes = xcalloc(f->ncap, sizeof(*f->nodes));
	f->nused = 1;
	f->slots = xcalloc(NSLOTS, sizeof(*f->slots));
	f->xcap = 4;
	f->xv = xcalloc((size_t)f->xcap * XV_STRIDE, sizeof(*f->xv));
	f->xused = 1;
}

static void
fam_cleanup(struct fam *f)
{
	free(f->nodes);
	free(f->slots);
	free(f->xv);
}

/* Room for n more nodes, so that pointers into nodes[] stay valid for
 * the rest of an update. */
static void
node_reserve(struct fam *f, uint32_t n)
{
	if (f->nused + n <= f->ncap)
		return;
	f->ncap *= 2;
	f->nodes = xrealloc(f->nodes, (size_t)f->ncap * sizeof(*f->nodes));
}

static uint32_t
node_new(struct fam *f, const uint64_t k[2], unsigned plen)
{
	uint32_t n;
	struct node *nd;

	if (f->nfree != 0) {
		n = f->nfree;
		f->nfree = f->nodes[n].child[0];
		f->nfree_count--;
	} else {
		n = f->nused++;
	}
	nd = &f->nodes[n];
	memset(nd, 0, sizeof(*nd));
	nd->k[0] = k[0];
	nd->k[1] = k[1];
	key_mask(nd->k, plen);
	nd->plen = (uint8_t)plen;
	return n;
}

static void
node_del(struct fam *f, uint32_t n)
{
	memset(&f->nodes[n], 0, sizeof(f->nodes[n]));
	f->nodes[n].child[0] = f->nfree;
	f->nfree = n;
	f->nfree_count++;
}

static int64_t
val_get(const struct fam *f, const struct node *nd, unsigned i)
{
	return i == 0 ? nd->v0 : f->xv[(size_t)nd->more * XV_STRIDE + i - 1];
}

static void
val_set(struct fam *f, struct node *nd, unsigned i, int64_t v)
{
	if (i == 0)
		nd->v0 = v;
	else
		f->xv[(size_t)nd->more * XV_STRIDE + i - 1] = v;
}

static void
val_push(struct fam *f, struct node *nd, int64_t v)
{
	if (nd->nvals == 1) {
		uint32_t b;

		if (f->xfree != 0) {
			b = f->xfree;
			f->xfree = (uint32_t)f->xv[(size_t)b * XV_STRIDE];
		} else {
			if (f->xused == f->xcap) {
				f->xcap *= 2;
				f->xv = xrealloc(f->xv, (size_t)f->xcap *
				                            XV_STRIDE *
				                            sizeof(*f->xv));
			}
			b = f->xused++;
		}
		nd->more = b;
	}
	val_set(f, nd, nd->nvals, v);
	nd->nvals++;
}

static void
val_remove(struct fam *f, struct node *nd, unsigned i)
{
	for (unsigned j = i; j + 1 < nd->nvals; j++)
		val_set(f, nd, j, val_get(f, nd, j + 1));
	nd->nvals--;
	if (nd->nvals <= 1 && nd->more != 0) {
		f->xv[(size_t)nd->more * XV_STRIDE] = f->xfree;
		f->xfree = nd->more;
		nd->more = 0;
	}
}

/* ---- the index: slots ---------------------------------------------- */

static void
slot_fill(struct fam *f, uint32_t s)
{
	uint64_t k0 = (uint64_t)s << (64 - SLOT_BITS);
	uint32_t n = f->root, best = 0;

	while (n != 0) {
		const struct node *nd = &f->nodes[n];

		if (nd->plen >= SLOT_BITS)
			break;
		if (((nd->k[0] ^ k0) & mask64(nd->plen)) != 0) {
			n = 0;
			break;
		}
		if (nd->nvals != 0)
			best = n;
		n = nd->child[(k0 >> (63 - nd->plen)) & 1];
	}
	f->slots[s].node = n;
	f->slots[s].best = best;
}

/* Refresh every slot under k/len (one slot when len >= SLOT_BITS). */
static void
slots_refresh(struct fam *f, const uint64_t k[2], unsigned len)
{
	unsigned l = len < SLOT_BITS ? len : SLOT_BITS;
	uint32_t first = (uint32_t)((k[0] & mask64(l)) >> (64 - SLOT_BITS));
	uint32_t count = 1u << (SLOT_BITS - l);

	for (uint32_t s = first; s < first + count; s++)
		slot_fill(f, s);
}

/* ---- the index: operations ----------------------------------------- */

struct cidr_index *
cidr_index_new(size_t max_entries)
{
	struct cidr_index *idx = xcalloc(1, sizeof(*idx));

	idx->max_entries = max_entries < MAX_BLOCKS ? max_entries : MAX_BLOCKS;
	fam_init(&idx->f4, 32);
	fam_init(&idx->f6, 128);
	return idx;
}

void
cidr_index_free(struct cidr_index *idx)
{
	if (idx == NULL)
		return;
	fam_cleanup(&idx->f4);
	fam_cleanup(&idx->f6);
	free(idx);
}

/*
 * Copies src with its nodes renumbered in depth-first order, so that the
 * few nodes below one slot share cache lines; slots are recomputed.
 */
static void
fam_copy(struct fam *dst, const struct fam *src)
{
	uint32_t stack[2 * 129 + 2], *links[2 * 129 + 2];
	size_t sp = 0;

	*dst = *src;
	dst->ncap = src->nused - src->nfree_count + 2;
	dst->ncap = dst->ncap < 64 ? 64 : dst->ncap;
	dst->nodes = xcalloc(dst->ncap, sizeof(*dst->nodes));
	dst->nused = 1;
	dst->nfree = 0;
	dst->nfree_count = 0;
	dst->root = 0;
	if (src->root != 0) {
		stack[sp] = src->root;
		links[sp++] = &dst->root;
	}
	while (sp > 0) {
		uint32_t from = stack[--sp], to = dst->nused++;
		struct node *nd = &dst->nodes[to];

		*links[sp] = to;
		*nd = src->nodes[from];
		/* child 1 pushed first: child 0 is copied next */
		for (int c = 1; c >= 0; c--) {
			if (nd->child[c] == 0)
				continue;
			stack[sp] = nd->child[c];
			links[sp++] = &nd->child[c];
		}
	}
	dst->slots = xmalloc(NSLOTS * sizeof(*src->slots));
	for (uint32_t i = 0; i < NSLOTS; i++)
		slot_fill(dst, i);
	dst->xv = xmalloc((size_t)src->xcap * XV_STRIDE * sizeof(*src->xv));
	memcpy(dst->xv, src->xv,
	       (size_t)src->xused * XV_STRIDE * sizeof(*src->xv));
}

struct cidr_index *
cidr_index_clone(const struct cidr_index *idx)
{
	struct cidr_index *c = xcalloc(1, sizeof(*c));

	c->max_entries = idx->max_entries;
	fam_copy(&c->f4, &idx->f4);
	fam_copy(&c->f6, &idx->f6);
	return c;
}

/* Checks c and picks its family; IPv4-mapped blocks of length >= 96 become
 * IPv4 blocks. */
static struct fam *
block_fam(struct cidr_index *idx, const struct cidr *c, struct key *k,
          unsigned *len_out)
{
	struct ip_addr a = c->addr;
	unsigned len = c->len;
	struct key m;

	if (a.family == 6 && len >= 96 && is_mapped(a.b)) {
		memmove(a.b, a.b + 12, 4);
		memset(a.b + 4, 0, 12);
		a.family = 4;
		len -= 96;
	}
	if ((a.family != 4 && a.family != 6) ||
	    len > (a.family == 4 ? 32u : 128u))
		return NULL;
	key_from_addr(&a, k);
	m = *k;
	key_mask(m.w, len);
	if (m.w[0] != k->w[0] || m.w[1] != k->w[1])
		return NULL; /* host bits set */
	*len_out = len;
	return a.family == 4 ? &idx->f4 : &idx->f6;
}

static uint32_t
find_exact(const struct fam *f, const uint64_t k[2], unsigned len)
{
	uint32_t n = f->root;

	while (n != 0) {
		const struct node *nd = &f->nodes[n];

		if (nd->plen > len || !prefix_eq(nd->k, k, nd->plen))
			return 0;
		if (nd->plen == len)
			return n;
		n = nd->child[bit_at(k, nd->plen)];
	}
	return 0;
}

static size_t
blocks(const struct cidr_index *idx)
{
	return idx->f4.blocks + idx->f6.blocks;
}

enum cs_err
cidr_index_add(struct cidr_index *idx, const struct cidr *c, int64_t value)
{
	struct key k;
	unsigned len, top;
	struct fam *f = block_fam(idx, c, &k, &len);
	uint32_t n, *link, target = 0;

	if (f == NULL)
		return CS_E_INVAL;
	if ((n = find_exact(f, k.w, len)) != 0 && f->nodes[n].nvals != 0) {
		const struct node *nd = &f->nodes[n];

		for (unsigned i = 0; i < nd->nvals; i++)
			if (val_get(f, nd, i) == value)
				return CS_E_CONFLICT;
		if (nd->nvals >= CIDR_MAX_VALUES)
			return CS_E_TOOBIG;
	} else if (blocks(idx) >= idx->max_entries) {
		return CS_E_TOOBIG;
	}
	node_reserve(f, 2);
	top = len;
	link = &f->root;
	for (;;) {
		struct node *nd;
		unsigned cl;

		if (*link == 0) {
			target = *link = node_new(f, k.w, len);
			break;
		}
		nd = &f->nodes[*link];
		cl = common_len(k.w, nd->k);
		cl = cl < len ? cl : len;
		cl = cl < nd->plen ? cl : nd->plen;
		if (cl == nd->plen && cl == len) {
			target = *link;
			break;
		}
		if (cl == nd->plen) {
			link = &nd->child[bit_at(k.w, nd->plen)];
			continue;
		}
		if (cl == len) {
			uint32_t x = node_new(f, k.w, len);

			f->nodes[x].child[bit_at(nd->k, len)] = *link;
			target = *link = x;
			break;
		} else {
			uint32_t b = node_new(f, k.w, cl);
			uint32_t y = node_new(f, k.w, len);

			f->nodes[b].child[bit_at(k.w, cl)] = y;
			f->nodes[b].child[bit_at(nd->k, cl)] = *link;
			*link = b;
			target = y;
			top = cl;
			break;
		}
	}
	if (f->nodes[target].nvals == 0)
		f->blocks++;
	val_push(f, &f->nodes[target], value);
	slots_refresh(f, k.w, top);
	return CS_OK;
}

enum cs_err
cidr_index_remove(struct cidr_index *idx, const struct cidr *c, int64_t value)
{
	struct key k;
	unsigned len, top, i;
	struct fam *f = block_fam(idx, c, &k, &len);
	uint32_t n, *link, *plink = NULL;
	struct node *nd;

	if (f == NULL)
		return CS_E_INVAL;
	link = &f->root;
	for (;;) {
		if ((n = *link) == 0)
			return CS_E_NOTFOUND;
		nd = &f->nodes[n];
		if (nd->plen > len || !prefix_eq(nd->k, k.w, nd->plen))
			return CS_E_NOTFOUND;
		if (nd->plen == len)
			break;
		plink = link;
		link = &nd->child[bit_at(k.w, nd->plen)];
	}
	for (i = 0; i < nd->nvals; i++)
		if (val_get(f, nd, i) == value)
			break;
	if (i == nd->nvals)
		return CS_E_NOTFOUND;
	val_remove(f, nd, i);
	if (nd->nvals != 0)
		return CS_OK;
	f->blocks--;
	top = len;
	if (nd->child[0] != 0 && nd->child[1] != 0) {
		/* stays as a branch */
	} else if (nd->child[0] != 0 || nd->child[1] != 0) {
		*link = nd->child[0] != 0 ? nd->child[0] : nd->child[1];
		node_del(f, n);
	} else {
		*link = 0;
		node_del(f, n);
		if (plink != NULL) {
			uint32_t p = *plink;
			struct node *pn = &f->nodes[p];

			if (pn->nvals == 0) {
				*plink = pn->child[0] != 0 ? pn->child[0]
				                           : pn->child[1];
				top = pn->plen;
				node_del(f, p);
			}
		}
	}
	slots_refresh(f, k.w, top);
	return CS_OK;
}

size_t
cidr_index_lookup(const struct cidr_index *idx, const struct ip_addr *addr,
                  int64_t *values_out, size_t cap, struct cidr *matched_out)
{
	const struct fam *f;
	const struct node *nd;
	struct ip_addr a4;
	struct key k;
	uint32_t n, best;
	size_t nv;

	if (addr->family == 6 && is_mapped(addr->b)) {
		memset(&a4, 0, sizeof(a4));
		a4.family = 4;
		memcpy(a4.b, addr->b + 12, 4);
		addr = &a4;
	}
	if (addr->family == 4)
		f = &idx->f4;
	else if (addr->family == 6)
		f = &idx->f6;
	else
		return 0;
	key_from_addr(addr, &k);
	n = f->slots[k.w[0] >> (64 - SLOT_BITS)].node;
	best = f->slots[k.w[0] >> (64 - SLOT_BITS)].best;
	while (n != 0) {
		nd = &f->nodes[n];
		if (!prefix_eq(nd->k, k.w, nd->plen))
			break;
		if (nd->nvals != 0)
			best = n;
		if (nd->plen == f->maxbits)
			break;
		n = nd->child[bit_at(k.w, nd->plen)];
	}
	if (best == 0)
		return 0;
	nd = &f->nodes[best];
	nv = nd->nvals;
	for (size_t i = 0; i < nv && i < cap; i++)
		values_out[i] = val_get(f, nd, (unsigned)i);
	if (matched_out != NULL) {
		addr_from_key(nd->k, addr->family, &matched_out->addr);
		matched_out->len = nd->plen;
	}
	return nv;
}

enum cs_err
cidr_index_lookup_text(const struct cidr_index *idx, const char *text,
                       int64_t *values_out, size_t cap, size_t *n_out,
                       struct cidr *matched_out)
{
	struct ip_addr a;

	*n_out = 0;
	if (!ip_parse(text, &a))
		return CS_E_INVAL;
	*n_out = cidr_index_lookup(idx, &a, values_out, cap, matched_out);
	return CS_OK;
}

size_t
cidr_index_count(const struct cidr_index *idx)
{
	return blocks(idx);
}

static size_t
fam_memory(const struct fam *f)
{
	return (size_t)f->ncap * sizeof(*f->nodes) +
	       NSLOTS * sizeof(*f->slots) +
	       (size_t)f->xcap * XV_STRIDE * sizeof(*f->xv);
}

size_t
cidr_index_memory(const struct cidr_index *idx)
{
	return sizeof(*idx) + fam_memory(&idx->f4) + fam_memory(&idx->f6);
}
