/*
 * ioc_extract.c - ioc_extract(): observables in free text, in one pass.
 *
 * The text is cut into words at white space, controls and a few quoting
 * characters. Most words cannot hold an IOC: the splitter looks at eight
 * bytes at a time and only stops where a group holds a digit, '.', ':',
 * '@' or a bracket, or where a word may be 32 bytes or longer; there it
 * cuts words one by one and hands those that can hold an IOC to
 * scan_view(), which tries URL, IPv6, e-mail and host-name runs left to
 * right (docs/internals/ioc.md has the rules). Values are normalised by
 * ioc_value.c, filtered, deduplicated by ioc_seen.c and emitted.
 */
#include <stdint.h>
#include <string.h>

#include "core/ioc_internal.h"

/* Names that are file extensions far more often than domains in prose:
 * "name.ext" with one of these is only reported when it was defanged. */
static const char ext_tlds[][4] = {"md", "mov", "py", "rs", "sh", "so", "zip"};

/* Bytes that make a word worth a look ... */
#define C_TRIGGER (C_DOT | C_COLON | C_AT | C_DIGIT | C_BRACK)
/* ... but one without any of these is digits and punctuation, which is
 * nothing short of a hash ("25", "49722", "2024-05-01"). */
#define C_NOT_NUMBER (C_ALPHA | C_DOT | C_COLON | C_AT | C_BRACK | C_HI)
/* Words this long are looked at whatever they hold (hashes). */
#define LONG_WORD 32

static bool
all_hex(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(ioc_cls[s[i]] & C_HEX))
			return false;
	return true;
}

/*
 * Values wait in a short queue between normalisation and the set lookup,
 * so that the set's memory is fetched while the scanner goes on: a value's
 * slot is prefetched when it is queued, its key PEND_LAG values later, and
 * it is looked up (and emitted) when the queue is full. Emission order
 * and offsets are those of the text. Longer values skip the queue.
 */
#define PEND     8
#define PEND_LAG 4
#define PEND_MAX 120

struct pend {
	uint64_t hash;
	size_t off;
	size_t len;
	enum ioc_type type;
	char v[PEND_MAX + 1];
};

struct xctx {
	unsigned types;
	bool skip_private;
	const char *const *own;
	size_t n_own;
	void (*emit)(void *ctx, enum ioc_type type, const char *normalised,
	             size_t offset);
	void *ctx;
	size_t count;
	struct ioc_seen seen;
	struct pend pend[PEND];
	unsigned pend_head, npend; /* oldest entry, entries */
	/* the word being scanned: refanged copy and source offsets */
	char tok[IOC_TOKEN_MAX + 1];
	uint16_t map[IOC_TOKEN_MAX + 1];
	char norm[IOC_OUT_MAX + 64];
};

/* One word: bytes b[0..n), offset of b[i] in the text is base + map[i]. */
struct view {
	const unsigned char *b;
	size_t n;
	const uint16_t *map; /* NULL: identity */
	size_t base;
	unsigned flags;
	bool fanged; /* a defang marker was replaced */
};

static size_t
off_of(const struct view *v, size_t i)
{
	return v->base + (v->map != NULL ? v->map[i] : i);
}

static bool
own_domain(const struct xctx *x, const char *d, size_t n)
{
	for (size_t k = 0; k < x->n_own; k++) {
		const char *o = x->own[k];
		size_t ol = strlen(o);

		if (ol == 0 || ol > n)
			continue;
		if (memcmp(d + n - ol, o, ol) == 0 &&
		    (ol == n || d[n - ol - 1] == '.'))
			return true;
	}
	return false;
}

/* The oldest queued value: looked up, emitted if new. */
static void
pend_pop(struct xctx *x)
{
	struct pend *p = &x->pend[x->pend_head];

	x->pend_head = (x->pend_head + 1) % PEND;
	x->npend--;
	if (ioc_seen_add_hashed(&x->seen, p->type, p->v, p->len, p->hash)) {
		x->emit(x->ctx, p->type, p->v, p->off);
		x->count++;
	}
}

static void
pend_flush(struct xctx *x)
{
	while (x->npend > 0)
		pend_pop(x);
}

/* Filters, then deduplication and the callback (see struct pend). */
static void
put(struct xctx *x, enum ioc_type t, const char *v, size_t n,
    const struct ioc_host *hi, size_t off)
{
	struct pend *p;

	if (x->skip_private && hi != NULL &&
	    ((hi->kind == 4 && ioc_ipv4_special(hi->addr)) ||
	     (hi->kind == 6 && ioc_ipv6_special(hi->addr))))
		return;
	if (x->n_own > 0 && hi != NULL && hi->kind == 0 &&
	    own_domain(x, v + hi->off, hi->len))
		return;
	if (n > PEND_MAX) {
		pend_flush(x);
		if (ioc_seen_add(&x->seen, t, v, n)) {
			x->emit(x->ctx, t, v, off);
			x->count++;
		}
		return;
	}
	if (x->npend == PEND)
		pend_pop(x);
	p = &x->pend[(x->pend_head + x->npend++) % PEND];
	p->hash = ioc_seen_hash(t, v, n);
	p->off = off;
	p->len = n;
	p->type = t;
	memcpy(p->v, v, n);
	p->v[n] = '\0';
	ioc_seen_prefetch(&x->seen, p->hash);
	if (x->npend > PEND_LAG)
		ioc_seen_prefetch_key(
		    &x->seen,
		    x->pend[(x->pend_head + x->npend - 1 - PEND_LAG) % PEND]
		        .hash);
}

static bool
want(const struct xctx *x, enum ioc_type t)
{
	return (x->types & IOC_BIT(t)) != 0;
}

/* Where a URL starting at b[i] ends: the end of the word, less closing
 * punctuation that is not balanced inside the URL. */
static size_t
url_end(const unsigned char *b, size_t i, size_t n)
{
	size_t e = n;

	while (e > i) {
		unsigned char c = b[e - 1];
		unsigned char open = c == ')' ? '(' : c == ']' ? '[' : '{';
		long depth = 0;

		if (c == '.' || c == ',' || c == ';' || c == ':' || c == '!' ||
		    c == '?' || c == '*') {
			e--;
			continue;
		}
		if (c != ')' && c != ']' && c != '}')
			break;
		for (size_t k = i; k < e; k++) {
			if (b[k] == open)
				depth++;
			else if (b[k] == c)
				depth--;
		}
		if (depth >= 0)
			break;
		e--;
	}
	return e;
}

/* The URL at b[i..e); true if it was valid (emitted or filtered). */
static bool
try_url(struct xctx *x, const struct view *v, size_t i, size_t e)
{
	struct ioc_host hi;
	struct ioc_why w;
	size_t len;

	if (e - i > IOC_URL_MAX || !ioc_norm_url((const char *)v->b + i, e - i,
	                                         x->norm, &len, &hi, &w))
		return false;
	put(x, IOC_URL, x->norm, len, &hi, off_of(v, i));
	return true;
}

/*
 * What the last label of a name s[0..n) (no trailing dot) says before the
 * name is normalised: an ASCII label is a known TLD or not once in lower
 * case (so most dotted words that are not names are never normalised); a
 * label with other bytes is decided after punycode.
 */
enum tld_pre { TLD_UNKNOWN, TLD_KNOWN, TLD_LATER };

static enum tld_pre
tld_pre(const unsigned char *s, size_t n)
{
	char low[24];
	size_t i = n, tl;

	while (i > 0 && s[i - 1] != '.')
		i--;
	tl = n - i;
	for (size_t k = i; k < n; k++)
		if (s[k] >= 0x80)
			return TLD_LATER;
	if (tl < 2 || tl > sizeof(low))
		return TLD_UNKNOWN;
	for (size_t k = 0; k < tl; k++)
		low[k] = (char)ioc_lower(s[i + k]);
	return ioc_tld_is_known(low, tl) ? TLD_KNOWN : TLD_UNKNOWN;
}

/* The normalised name d[0..n) ends in a known TLD (already checked when
 * pre is TLD_KNOWN), and is not "name.ext" with a file-extension TLD
 * written plainly. */
static bool
tld_ok(const struct view *v, const char *d, size_t n, bool two_labels,
       enum tld_pre pre)
{
	size_t i = n;

	while (i > 0 && d[i - 1] != '.')
		i--;
	if (pre != TLD_KNOWN && !ioc_tld_is_known(d + i, n - i))
		return false;
	if (two_labels && !v->fanged && n - i <= 3) {
		for (size_t k = 0; k < sizeof(ext_tlds) / sizeof(ext_tlds[0]);
		     k++)
			if (ext_tlds[k][n - i] == '\0' &&
			    memcmp(ext_tlds[k], d + i, n - i) == 0)
				return false;
	}
	return true;
}

/* Bytes of a host-name run at b[i]: LDH, '_', '.', IDN letters. */
static inline size_t
host_char(const unsigned char *b, size_t i, size_t n)
{
	uint32_t cp;
	size_t k;

	if (ioc_cls[b[i]] & C_HOST)
		return 1;
	if (!(ioc_cls[b[i]] & C_HI))
		return 0;
	k = ioc_utf8_dec(b + i, n - i, &cp);
	return (k > 0 && ioc_idn_map(cp) != 0) ? k : 0;
}

/* The e-mail address whose local part is b[i..at); end in *end_out. */
static bool
try_email(struct xctx *x, const struct view *v, size_t i, size_t at,
          size_t *end_out)
{
	struct ioc_host hi;
	struct ioc_why w;
	size_t e = at + 1, len, k;
	enum tld_pre pre;

	while (e < v->n && (k = host_char(v->b, e, v->n)) > 0)
		e += k;
	while (e > at + 1 && (v->b[e - 1] == '.' || v->b[e - 1] == '-'))
		e--;
	if (e == at + 1 ||
	    (pre = tld_pre(v->b + at + 1, e - at - 1)) == TLD_UNKNOWN ||
	    !ioc_norm_email((const char *)v->b + i, e - i, x->norm, &len, &hi,
	                    &w) ||
	    !tld_ok(v, x->norm + hi.off, hi.len, false, pre))
		return false;
	put(x, IOC_EMAIL, x->norm, len, &hi, off_of(v, i));
	*end_out = e;
	return true;
}

/* An IPv6 address (or block) in the hex/colon/dot run b[i..j). */
static bool
try_ipv6(struct xctx *x, const struct view *v, size_t i, size_t j,
         size_t *end_out)
{
	const unsigned char *b = v->b;
	struct ioc_host hi;
	struct ioc_why w;
	size_t e = j, len;

	while (e > i && b[e - 1] == '.')
		e--;
	if (e - i >= 2 && b[e - 1] == ':' && b[e - 2] != ':')
		e--;
	if (e - i < 2 || e - i > 45 ||
	    !ioc_parse_ipv6((const char *)b + i, e - i, hi.addr, &w))
		return false;
	hi.kind = 6;
	if (e == j && j + 1 < v->n && b[j] == '/' &&
	    (ioc_cls[b[j + 1]] & C_DIGIT)) {
		size_t pe = j + 1;
		bool v6;
		unsigned plen;
		uint8_t net[16];

		while (pe < v->n && (ioc_cls[b[pe]] & C_DIGIT))
			pe++;
		if (!(ioc_cls[pe < v->n ? b[pe] : ' '] & (C_ALPHA | C_HOST)) &&
		    ioc_parse_cidr((const char *)b + i, pe - i, net, &v6, &plen,
		                   &w)) {
			*end_out = pe;
			if (!want(x, IOC_CIDR))
				return true;
			memcpy(hi.addr, net, 16);
			len = ioc_fmt_cidr(x->norm, net, true, plen);
			put(x, IOC_CIDR, x->norm, len, &hi, off_of(v, i));
			return true;
		}
	}
	*end_out = e;
	if (want(x, IOC_IPV6)) {
		len = ioc_fmt_ipv6(x->norm, hi.addr);
		put(x, IOC_IPV6, x->norm, len, &hi, off_of(v, i));
	}
	return true;
}

/* Hashes and AS numbers among the '-', '_' and '.' separated pieces. */
static void
pieces(struct xctx *x, const struct view *v, size_t i, size_t j)
{
	static const enum ioc_type ht[] = {IOC_MD5, IOC_SHA1, IOC_SHA256};
	const unsigned char *b = v->b;
	struct ioc_host hi = {.kind = -1};
	size_t p = i;

	/* a hash is 32 hex digits or more, an AS number starts with 'A' */
	if (j - i < 32) {
		while (p < j && b[p] != 'A')
			p++;
		if (p == j)
			return;
		p = i;
	}
	while (p < j) {
		size_t q = p, pl;

		while (q < j && b[q] != '-' && b[q] != '_' && b[q] != '.')
			q++;
		pl = q - p;
		if (pl == 32 || pl == 40 || pl == 64) {
			enum ioc_type t = ht[pl == 32 ? 0 : pl == 40 ? 1 : 2];

			if (want(x, t) && all_hex(b + p, pl)) {
				for (size_t k = 0; k < pl; k++)
					x->norm[k] = (char)ioc_lower(b[p + k]);
				x->norm[pl] = '\0';
				put(x, t, x->norm, pl, &hi, off_of(v, p));
			}
		} else if (pl >= 3 && pl <= 12 && b[p] == 'A' &&
		           b[p + 1] == 'S' && want(x, IOC_ASN)) {
			unsigned long long asn;
			struct ioc_why w;

			if (ioc_parse_asn((const char *)b + p, pl, &asn, &w) &&
			    !(x->skip_private && ioc_asn_special(asn))) {
				size_t len;

				memcpy(x->norm, "AS", 2);
				len = 2 + ioc_put_dec(x->norm + 2, asn);
				x->norm[len] = '\0';
				put(x, IOC_ASN, x->norm, len, &hi,
				    off_of(v, p));
			}
		}
		p = q + 1;
	}
}

/* What scan_view() counted over a host run. */
struct run {
	size_t dots, digits;
	bool hi8; /* IDN letters */
};

/* A run of host characters b[i..j): IPv4, CIDR, domain, CVE, hashes,
 * AS numbers. Returns where scanning goes on. */
static size_t
host_run(struct xctx *x, const struct view *v, size_t i, size_t j, struct run r)
{
	const unsigned char *b = v->b;
	size_t e = j, dots = r.dots, len;
	enum tld_pre pre;
	bool numeric, hi8 = r.hi8;
	struct ioc_host hi;
	struct ioc_why w;

	/* leading and trailing '.', '-', '_' are punctuation */
	for (; i < e && (b[i] == '.' || b[i] == '-' || b[i] == '_'); i++)
		dots -= b[i] == '.';
	for (; e > i && (b[e - 1] == '.' || b[e - 1] == '-' || b[e - 1] == '_');
	     e--)
		dots -= b[e - 1] == '.';
	if (i == e)
		return j;
	numeric = dots + r.digits == e - i;
	if (dots == 0) {
		if (e - i >= 13 && (b[i] == 'C' || b[i] == 'c') &&
		    want(x, IOC_CVE) &&
		    ioc_norm_cve((const char *)b + i, e - i, x->norm, &len,
		                 &w)) {
			hi.kind = -1;
			put(x, IOC_CVE, x->norm, len, &hi, off_of(v, i));
			return j;
		}
		if (!hi8)
			pieces(x, v, i, e);
		return j;
	}
	if (numeric) {
		if (dots != 3 ||
		    !ioc_parse_ipv4((const char *)b + i, e - i, hi.addr, &w))
			return j;
		hi.kind = 4;
		/* a.b.c.d/nn */
		if (e == j && j + 1 < v->n && b[j] == '/' &&
		    (ioc_cls[b[j + 1]] & C_DIGIT)) {
			size_t pe = j + 1;
			uint8_t net[16];
			bool v6;
			unsigned plen;

			while (pe < v->n && (ioc_cls[b[pe]] & C_DIGIT))
				pe++;
			if (!(ioc_cls[pe < v->n ? b[pe] : ' '] &
			      (C_ALPHA | C_HOST)) &&
			    ioc_parse_cidr((const char *)b + i, pe - i, net,
			                   &v6, &plen, &w) &&
			    want(x, IOC_CIDR)) {
				memcpy(hi.addr, net, 16);
				len = ioc_fmt_cidr(x->norm, net, false, plen);
				put(x, IOC_CIDR, x->norm, len, &hi,
				    off_of(v, i));
				return pe;
			}
		}
		if (want(x, IOC_IPV4)) {
			/* strictly parsed, so already in canonical form */
			memcpy(x->norm, b + i, e - i);
			x->norm[e - i] = '\0';
			put(x, IOC_IPV4, x->norm, e - i, &hi, off_of(v, i));
		}
		return j;
	}
	if (want(x, IOC_DOMAIN) &&
	    (pre = tld_pre(b + i, e - i)) != TLD_UNKNOWN &&
	    ioc_norm_domain((const char *)b + i, e - i, x->norm, &len, &w) &&
	    tld_ok(v, x->norm, len, dots == 1, pre)) {
		hi.kind = 0;
		hi.off = 0;
		hi.len = len;
		put(x, IOC_DOMAIN, x->norm, len, &hi, off_of(v, i));
		return j;
	}
	if (!hi8)
		pieces(x, v, i, e);
	return j;
}

static void
scan_view(struct xctx *x, const struct view *v)
{
	const unsigned char *b = v->b;
	size_t n = v->n, i = 0, j, k;

	while (i < n) {
		unsigned f = ioc_cls[b[i]];
		unsigned pf = i > 0 ? ioc_cls[b[i - 1]] : 0;

		/* scheme:// */
		if ((f & C_ALPHA) && !(pf & (C_ALPHA | C_DIGIT)) &&
		    (v->flags & C_COLON)) {
			for (j = i; j < n && (ioc_cls[b[j]] & C_ALPHA); j++)
				;
			if (j + 3 <= n && b[j] == ':' && b[j + 1] == '/' &&
			    b[j + 2] == '/' &&
			    ioc_scheme_is_web((const char *)b + i, j - i)) {
				size_t e = url_end(b, i, n);

				if (want(x, IOC_URL) && try_url(x, v, i, e)) {
					i = e;
					continue;
				}
				i = j + 3;
				continue;
			}
		}
		/* IPv6: a run of hex digits, colons and dots with 2+ colons */
		if ((f & (C_HEX | C_COLON)) && (v->flags & C_COLON) &&
		    !(pf & (C_ALPHA | C_DIGIT | C_COLON | C_DOT)) &&
		    (want(x, IOC_IPV6) || want(x, IOC_CIDR))) {
			size_t colons = 0;

			for (j = i; j < n &&
			            (ioc_cls[b[j]] & (C_HEX | C_COLON | C_DOT));
			     j++)
				colons += b[j] == ':';
			if (colons >= 2 &&
			    !(j < n && (ioc_cls[b[j]] & (C_ALPHA | C_DIGIT))) &&
			    try_ipv6(x, v, i, j, &k)) {
				i = k;
				continue;
			}
		}
		if ((k = host_char(b, i, n)) > 0) {
			struct run r = {0, 0, false};

			/* local@domain */
			if ((v->flags & C_AT) && want(x, IOC_EMAIL) &&
			    b[i] != '.') {
				for (j = i; j < n && (ioc_cls[b[j]] & C_LOCAL);
				     j++)
					;
				if (j < n && b[j] == '@' &&
				    try_email(x, v, i, j, &k)) {
					i = k;
					continue;
				}
			}
			for (j = i;; j += k) {
				unsigned c;

				while (j < n &&
				       ((c = ioc_cls[b[j]]) & C_HOST)) {
					r.dots += (c & C_DOT) != 0;
					r.digits += (c & C_DIGIT) != 0;
					j++;
				}
				if (j == n || (k = host_char(b, j, n)) == 0)
					break;
				r.hi8 = true;
			}
			i = host_run(x, v, i, j, r);
			continue;
		}
		i++;
	}
}

static void
word(struct xctx *x, const unsigned char *w, size_t n, size_t base,
     unsigned flags)
{
	struct view v = {w, n, NULL, base, flags, false};
	size_t o;

	if ((flags & C_BRACK) && n <= IOC_TOKEN_MAX &&
	    ioc_refang_word(w, n, x->tok, x->map, &o)) {
		v.fanged = true;
		v.b = (const unsigned char *)x->tok;
		v.n = o;
		v.map = x->map;
		/* markers may have added '.', ':' or '@' */
		for (size_t k = 0; k < o; k++)
			v.flags |= ioc_cls[(unsigned char)x->tok[k]];
	}
	scan_view(x, &v);
}

/*
 * Cuts p[0..end) into words one by one and looks at those that can hold
 * an IOC, until a word ends at or after stop; p starts a word or is a
 * delimiter. Returns where it stopped: a delimiter, the start of a word
 * or end.
 */
static const unsigned char *
words(struct xctx *x, const unsigned char *text, const unsigned char *p,
      const unsigned char *stop, const unsigned char *end)
{
	while (p < end) {
		const unsigned char *st;
		unsigned fl = 0;

		while (p < end && (ioc_cls[*p] & C_DELIM))
			p++;
		if (p >= stop)
			break;
		st = p;
		while (end - p >= 4) {
			unsigned c = ioc_cls[p[0]] | ioc_cls[p[1]] |
			             ioc_cls[p[2]] | ioc_cls[p[3]];

			if (c & C_DELIM)
				break;
			fl |= c;
			p += 4;
		}
		while (p < end && !(ioc_cls[*p] & C_DELIM))
			fl |= ioc_cls[*p++];
		if (((fl & C_TRIGGER) && (fl & C_NOT_NUMBER)) ||
		    p - st >= LONG_WORD)
			word(x, st, (size_t)(p - st), (size_t)(st - text), fl);
		if (p >= stop)
			break;
	}
	return p;
}

/* Where the word that holds p starts; p itself if p is a delimiter. */
static const unsigned char *
word_start(const unsigned char *text, const unsigned char *p)
{
	if (ioc_cls[*p] & C_DELIM)
		return p;
	while (p > text && !(ioc_cls[p[-1]] & C_DELIM))
		p--;
	return p;
}

static void
split(struct xctx *x, const unsigned char *text, size_t len)
{
	const unsigned char *p = text, *end = text + len;
	unsigned solid = 0; /* groups in a row without a delimiter */

	while (end - p >= 8) {
		unsigned acc = ioc_cls[p[0]] | ioc_cls[p[1]] | ioc_cls[p[2]] |
		               ioc_cls[p[3]] | ioc_cls[p[4]] | ioc_cls[p[5]] |
		               ioc_cls[p[6]] | ioc_cls[p[7]];

		if (!(acc & C_TRIGGER)) {
			/* a word of LONG_WORD bytes or more spans three
			 * whole groups at least */
			solid = (acc & C_DELIM) ? 0 : solid + 1;
			if (solid < (LONG_WORD - 7) / 8) {
				p += 8;
				continue;
			}
		}
		p = words(x, text, word_start(text, p), p + 8, end);
		solid = 0;
	}
	if (p < end)
		words(x, text, word_start(text, p), end, end);
}

size_t
ioc_extract(const char *text, size_t len, const struct ioc_extract_opts *opts,
            void (*emit)(void *ctx, enum ioc_type type, const char *normalised,
                         size_t offset),
            void *ctx)
{
	static const struct ioc_extract_opts none = {0};
	_Alignas(16) unsigned char stackbuf[32768];
	struct xctx xs, *x = &xs;

	if (opts == NULL)
		opts = &none;
	if (opts->arena != NULL)
		ioc_seen_init(&x->seen, opts->arena, NULL, 0);
	else if (opts->scratch != NULL)
		ioc_seen_init(&x->seen, NULL, opts->scratch, opts->scratch_len);
	else
		ioc_seen_init(&x->seen, NULL, stackbuf, sizeof(stackbuf));
	x->types =
	    (opts->types ? opts->types : IOC_EXTRACTABLE) & IOC_EXTRACTABLE;
	x->skip_private = opts->skip_private;
	x->own = opts->own_domains;
	x->n_own = opts->own_domains != NULL ? opts->n_own_domains : 0;
	x->emit = emit;
	x->ctx = ctx;
	x->count = 0;
	x->pend_head = x->npend = 0;
	if (text == NULL || emit == NULL)
		return 0;
	split(x, (const unsigned char *)text, len);
	pend_flush(x);
	return x->count;
}
