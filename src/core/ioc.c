/*
 * ioc.c - observables: refang, strict normalisation, extraction.
 *
 * See ioc.h for the contract and docs/internals/ioc.md for the rules. The
 * scanner is hand-written (no regex): one byte-class table, one pass over
 * the text split into words at white space and a few quoting characters,
 * and the per-type parsers below only on words that can hold an IOC.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/ioc.h"
#include "core/text.h"

/* Byte classes. */
#define C_DELIM 0x001 /* ends a word: space, controls, < > " ' ` | \ */
#define C_DIGIT 0x002
#define C_ALPHA 0x004 /* ASCII letters */
#define C_HEX   0x008
#define C_DOT   0x010
#define C_COLON 0x020
#define C_AT    0x040
#define C_BRACK 0x080 /* [ ] ( ) { } */
#define C_HI    0x100 /* bytes of multi-byte UTF-8 sequences */
#define C_HOST  0x200 /* letters, digits, '-', '_', '.' */
#define C_LOCAL 0x400 /* e-mail local part: C_HOST and '%', '+' */

/* clang-format off */
static const uint16_t cls[256] = {
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001, 0x001,
	0x001, 0x000, 0x001, 0x000, 0x000, 0x400, 0x000, 0x001,
	0x080, 0x080, 0x000, 0x400, 0x000, 0x600, 0x610, 0x000,
	0x60a, 0x60a, 0x60a, 0x60a, 0x60a, 0x60a, 0x60a, 0x60a,
	0x60a, 0x60a, 0x020, 0x000, 0x001, 0x000, 0x001, 0x000,
	0x040, 0x60c, 0x60c, 0x60c, 0x60c, 0x60c, 0x60c, 0x604,
	0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604,
	0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604,
	0x604, 0x604, 0x604, 0x080, 0x001, 0x080, 0x000, 0x600,
	0x001, 0x60c, 0x60c, 0x60c, 0x60c, 0x60c, 0x60c, 0x604,
	0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604,
	0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604, 0x604,
	0x604, 0x604, 0x604, 0x080, 0x001, 0x080, 0x000, 0x001,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
};
/* clang-format on */

static const char *const type_names[IOC_TYPE_COUNT] = {
    "ipv4", "ipv6",   "cidr", "domain", "url",      "email",     "md5",
    "sha1", "sha256", "asn",  "cve",    "filename", "user-agent"};

/* Names that are file extensions far more often than domains in prose:
 * "name.ext" with one of these is only reported when it was defanged. */
static const char ext_tlds[][4] = {"md", "mov", "py", "rs", "sh", "so", "zip"};

/* A reason for rejecting a value: pre, then num if has_num, then post. */
struct why {
	const char *pre;
	const char *post;
	unsigned long long num;
	bool has_num;
};

static bool
bad(struct why *w, const char *msg)
{
	w->pre = msg;
	w->post = "";
	w->has_num = false;
	return false;
}

static bool
badn(struct why *w, const char *pre, unsigned long long num, const char *post)
{
	w->pre = pre;
	w->post = post;
	w->num = num;
	w->has_num = true;
	return false;
}

static inline unsigned char
lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool
ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i] != '\0'; i++)
		if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return i == n && lit[i] == '\0';
}

static bool
iprefix(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; lit[i] != '\0'; i++)
		if (i >= n ||
		    lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

static bool
all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(cls[(unsigned char)s[i]] & C_HEX))
			return false;
	return true;
}

/* Decimal of v into p (at least 21 bytes); returns the length. */
static size_t
put_dec(char *p, unsigned long long v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Strict UTF-8 decode of one code point; 0 if invalid or truncated. */
static size_t
utf8_dec(const unsigned char *p, size_t n, uint32_t *cp_out)
{
	uint32_t cp, min;
	size_t len;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp_out = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		len = 2, cp = p[0] & 0x1f, min = 0x80;
	else if ((p[0] & 0xf0) == 0xe0)
		len = 3, cp = p[0] & 0x0f, min = 0x800;
	else if ((p[0] & 0xf8) == 0xf0)
		len = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_out = cp;
	return len;
}

/*
 * Letters accepted in internationalised domain labels, mapped to lower
 * case; 0 for anything else. This is a deliberate subset of UTS #46
 * (Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Devanagari, Thai,
 * Georgian, kana, CJK, Hangul) with simple case mapping only; labels with
 * other characters are not converted.
 */
static uint32_t
idn_map(uint32_t c)
{
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 0x20;
	if (c >= 0xdf && c <= 0xff && c != 0xf7)
		return c;
	if (c >= 0x100 && c <= 0x17f) {
		if ((c <= 0x137 || (c >= 0x14a && c <= 0x177)) && c % 2 == 0)
			return c + 1;
		if (((c >= 0x139 && c <= 0x148) ||
		     (c >= 0x179 && c <= 0x17e)) &&
		    c % 2 == 1)
			return c + 1;
		return c == 0x178 ? 0xff : c;
	}
	if (c >= 0x180 && c <= 0x24f)
		return c;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 0x20;
	if (c >= 0x3ac && c <= 0x3ce)
		return c;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	if (c >= 0x410 && c <= 0x42f)
		return c + 0x20;
	if (c >= 0x430 && c <= 0x45f)
		return c;
	if (c >= 0x531 && c <= 0x556)
		return c + 0x30;
	if ((c >= 0x561 && c <= 0x586) || (c >= 0x5d0 && c <= 0x5ea) ||
	    (c >= 0x620 && c <= 0x64a) || (c >= 0x660 && c <= 0x669) ||
	    (c >= 0x671 && c <= 0x6d3) || (c >= 0x900 && c <= 0x97f) ||
	    (c >= 0xe01 && c <= 0xe3a) || (c >= 0xe40 && c <= 0xe4e) ||
	    (c >= 0x10d0 && c <= 0x10fa) || (c >= 0x3041 && c <= 0x30ff) ||
	    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xac00 && c <= 0xd7a3))
		return c;
	return 0;
}

/* RFC 3492 bias adaptation. */
static uint32_t
puny_adapt(uint32_t delta, uint32_t npoints, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / 700 : delta / 2;
	delta += delta / npoints;
	while (delta > ((36 - 1) * 26) / 2) {
		delta /= 36 - 1;
		k += 36;
	}
	return k + (36 - 1 + 1) * delta / (delta + 38);
}

static char
puny_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + d - 26);
}

/* RFC 3492 encoding of cp[0..n) into out (cap bytes); false if too long. */
static bool
puny_encode(const uint32_t *cp, size_t n, char *out, size_t cap,
            size_t *len_out)
{
	uint32_t code = 0x80, delta = 0, bias = 72, h, b;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (cp[i] < 0x80) {
			if (o >= cap)
				return false;
			out[o++] = (char)cp[i];
		}
	}
	h = b = (uint32_t)o;
	if (b > 0) {
		if (o >= cap)
			return false;
		out[o++] = '-';
	}
	while (h < n) {
		uint32_t m = UINT32_MAX;

		for (size_t i = 0; i < n; i++)
			if (cp[i] >= code && cp[i] < m)
				m = cp[i];
		if ((m - code) > (UINT32_MAX - delta) / (h + 1))
			return false;
		delta += (m - code) * (h + 1);
		code = m;
		for (size_t i = 0; i < n; i++) {
			if (cp[i] < code && ++delta == 0)
				return false;
			if (cp[i] != code)
				continue;
			uint32_t q = delta;
			for (uint32_t k = 36;; k += 36) {
				uint32_t t = k <= bias        ? 1
				             : k >= bias + 26 ? 26
				                              : k - bias;
				if (q < t)
					break;
				if (o >= cap)
					return false;
				out[o++] = puny_digit(t + (q - t) % (36 - t));
				q = (q - t) / (36 - t);
			}
			if (o >= cap)
				return false;
			out[o++] = puny_digit(q);
			bias = puny_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		code++;
	}
	*len_out = o;
	return true;
}

/* A label with non-ASCII letters to "xn--..." in out (64 bytes). */
static bool
idn_label(const unsigned char *s, size_t n, char *out, size_t *len_out,
          struct why *w)
{
	uint32_t cp[64];
	size_t ncp = 0, i = 0, len;

	while (i < n) {
		uint32_t c;
		size_t k = utf8_dec(s + i, n - i, &c);

		if (k == 0)
			return bad(w, "the domain is not valid UTF-8");
		if (ncp == 64)
			return bad(w, "a label is longer than 63 bytes");
		if (c < 0x80) {
			if (!(cls[c] & (C_ALPHA | C_DIGIT)) && c != '-')
				return bad(w,
				           "a host name may only hold letters, "
				           "digits and hyphens");
			c = lower((unsigned char)c);
		} else if ((c = idn_map(c)) == 0) {
			return bad(w, "the domain holds a character that "
			              "cannot be converted to punycode");
		}
		cp[ncp++] = c;
		i += k;
	}
	memcpy(out, "xn--", 4);
	if (!puny_encode(cp, ncp, out + 4, 59, &len))
		return bad(w, "a label is longer than 63 bytes in punycode");
	*len_out = len + 4;
	return true;
}

/* ---- addresses ---- */

static bool
parse_ipv4(const char *s, size_t n, uint8_t a[4], struct why *w)
{
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		unsigned long long v = 0;
		size_t st = i;

		while (i < n && (cls[(unsigned char)s[i]] & C_DIGIT)) {
			if (i - st < 12)
				v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == st)
			return bad(w, "an IPv4 address is four decimal octets "
			              "separated by dots");
		if (i - st >= 12)
			return bad(w, "an octet is out of range");
		if (v > 255)
			return badn(w, "octet ", v, " is out of range");
		if (i - st > 1 && s[st] == '0')
			return badn(w, "octet ", (unsigned long long)k + 1,
			            " has a leading zero");
		a[k] = (uint8_t)v;
		if (k < 3) {
			if (i >= n || s[i] != '.')
				return bad(w, "an IPv4 address is four decimal "
				              "octets separated by dots");
			i++;
		}
	}
	if (i != n)
		return bad(w, "unexpected text after the IPv4 address");
	return true;
}

static size_t
fmt_ipv4(char *p, const uint8_t a[4])
{
	size_t o = 0;

	for (int k = 0; k < 4; k++) {
		if (k)
			p[o++] = '.';
		o += put_dec(p + o, a[k]);
	}
	p[o] = '\0';
	return o;
}

static bool
parse_ipv6(const char *s, size_t n, uint8_t a[16], struct why *w)
{
	uint16_t g[8];
	int ng = 0, dc = -1;
	size_t i = 0;

	if (memchr(s, '%', n) != NULL)
		return bad(w, "a zone index is not allowed in an IPv6 address");
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		dc = 0;
		i = 2;
	} else if (n > 0 && s[0] == ':') {
		return bad(w, "an IPv6 address cannot start with one colon");
	}
	while (i < n) {
		size_t st = i;
		unsigned v = 0;

		while (i < n && (cls[(unsigned char)s[i]] & C_HEX) &&
		       i - st < 5) {
			unsigned char c = lower((unsigned char)s[i]);

			v = v * 16 +
			    (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
			i++;
		}
		if (i < n && s[i] == '.') {
			uint8_t v4[4];

			if (ng > 6)
				return bad(w, "too many groups in the IPv6 "
				              "address");
			if (!parse_ipv4(s + st, n - st, v4, w))
				return false;
			g[ng++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[ng++] = (uint16_t)(v4[2] << 8 | v4[3]);
			i = n;
			break;
		}
		if (i == st)
			return bad(w, "an IPv6 address has an empty group");
		if (i - st > 4)
			return bad(w, "an IPv6 group has more than four hex "
			              "digits");
		if (ng == 8)
			return bad(w, "an IPv6 address has at most 8 groups");
		g[ng++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return bad(w,
			           "unexpected character in the IPv6 address");
		i++;
		if (i < n && s[i] == ':') {
			if (dc >= 0)
				return bad(w, "'::' appears twice in the IPv6 "
				              "address");
			dc = ng;
			i++;
		} else if (i == n) {
			return bad(w, "an IPv6 address cannot end with one "
			              "colon");
		}
	}
	if (dc < 0 && ng != 8)
		return bad(w, "an IPv6 address without '::' has 8 groups");
	if (dc >= 0 && ng > 7)
		return bad(w, "an IPv6 address has at most 8 groups");
	memset(a, 0, 16);
	for (int k = 0; k < ng; k++) {
		int pos = (dc >= 0 && k >= dc) ? k + (8 - ng) : k;

		a[2 * pos] = (uint8_t)(g[k] >> 8);
		a[2 * pos + 1] = (uint8_t)g[k];
	}
	return true;
}

/* RFC 5952 text of a (at most 45 bytes and a NUL). */
static size_t
fmt_ipv6(char *p, const uint8_t a[16])
{
	static const char hex[] = "0123456789abcdef";
	int best = -1, bestlen = 1, run = -1;
	size_t o = 0;
	uint16_t g[8];

	for (int k = 0; k < 8; k++)
		g[k] = (uint16_t)(a[2 * k] << 8 | a[2 * k + 1]);
	for (int k = 0; k <= 8; k++) {
		if (k < 8 && g[k] == 0) {
			if (run < 0)
				run = k;
		} else if (run >= 0) {
			if (k - run > bestlen) {
				best = run;
				bestlen = k - run;
			}
			run = -1;
		}
	}
	/* ::ffff:a.b.c.d keeps its dotted tail (RFC 5952 section 5) */
	if (best == 0 && bestlen == 5 && g[5] == 0xffff) {
		memcpy(p, "::ffff:", 7);
		return 7 + fmt_ipv4(p + 7, a + 12);
	}
	for (int k = 0; k < 8; k++) {
		if (k == best) {
			p[o++] = ':';
			if (k == 0)
				p[o++] = ':';
			k += bestlen - 1;
			continue;
		}
		bool lead = true;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (g[k] >> sh) & 0xf;

			if (d == 0 && lead && sh > 0)
				continue;
			lead = false;
			p[o++] = hex[d];
		}
		if (k < 7)
			p[o++] = ':';
	}
	p[o] = '\0';
	return o;
}

/* Parses "addr/len" into a (16 bytes), *v6_out and *plen_out. */
static bool
parse_cidr(const char *s, size_t n, uint8_t a[16], bool *v6_out,
           unsigned *plen_out, struct why *w)
{
	const char *slash = memchr(s, '/', n);
	size_t an, pn;
	unsigned long long plen = 0;
	unsigned max;

	if (slash == NULL)
		return bad(w, "a CIDR block needs a '/' and a prefix length");
	an = (size_t)(slash - s);
	pn = n - an - 1;
	*v6_out = memchr(s, ':', an) != NULL;
	memset(a, 0, 16);
	if (*v6_out ? !parse_ipv6(s, an, a, w) : !parse_ipv4(s, an, a, w))
		return false;
	if (pn == 0 || pn > 3)
		return bad(w, "the prefix length is one to three digits");
	for (size_t i = 0; i < pn; i++) {
		if (!(cls[(unsigned char)slash[1 + i]] & C_DIGIT))
			return bad(w, "the prefix length is not a number");
		plen = plen * 10 + (unsigned)(slash[1 + i] - '0');
	}
	if (pn > 1 && slash[1] == '0')
		return bad(w, "the prefix length has a leading zero");
	max = *v6_out ? 128 : 32;
	if (plen > max)
		return badn(w, "prefix length ", plen, " is out of range");
	for (unsigned bit = (unsigned)plen; bit < max; bit++)
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return bad(w, "host bits are set after the prefix "
			              "length");
	*plen_out = (unsigned)plen;
	return true;
}

static size_t
fmt_cidr(char *p, const uint8_t a[16], bool v6, unsigned plen)
{
	size_t o = v6 ? fmt_ipv6(p, a) : fmt_ipv4(p, a);

	p[o++] = '/';
	o += put_dec(p + o, plen);
	p[o] = '\0';
	return o;
}

/* ---- names ---- */

/* The TLD key: bytes, not NUL-terminated. */

/*
 * A host name to lower case (punycode for IDN labels), trailing dot
 * removed; LDH labels of 1-63 bytes, at least two, at most 253 bytes, the
 * last not all digits. out holds at least 256 bytes.
 */
static bool
norm_domain(const char *s, size_t n, char *out, size_t *len_out, struct why *w)
{
	size_t o = 0, i = 0, labels = 0;
	bool lastnum = false;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return bad(w, "the domain is empty");
	if (n > 1024)
		return bad(w, "the domain is longer than 253 bytes");
	while (i <= n) {
		size_t st = i, ll;
		bool hi = false, num = true;
		char lab[64];

		while (i < n && s[i] != '.') {
			unsigned char c = (unsigned char)s[i];

			if (c >= 0x80)
				hi = true;
			else if (!(cls[c] & C_DIGIT))
				num = false;
			i++;
		}
		ll = i - st;
		if (ll == 0)
			return bad(w, "the domain has an empty label");
		if (hi) {
			if (!idn_label((const unsigned char *)s + st, ll, lab,
			               &ll, w))
				return false;
			num = false;
		} else {
			if (ll > 63)
				return bad(w,
				           "a label is longer than 63 bytes");
			for (size_t k = 0; k < ll; k++) {
				unsigned char c = (unsigned char)s[st + k];

				if (!(cls[c] & (C_ALPHA | C_DIGIT)) && c != '-')
					return bad(w, "a host name may only "
					              "hold letters, digits, "
					              "hyphens and dots");
				lab[k] = (char)lower(c);
			}
		}
		if (lab[0] == '-' || lab[ll - 1] == '-')
			return bad(w, "a label cannot start or end with a "
			              "hyphen");
		if (o + ll + (o ? 1 : 0) > 253)
			return bad(w, "the domain is longer than 253 bytes");
		if (o)
			out[o++] = '.';
		memcpy(out + o, lab, ll);
		o += ll;
		labels++;
		lastnum = num;
		i++;
	}
	if (labels < 2)
		return bad(w, "a domain needs at least two labels");
	if (lastnum)
		return bad(w, "the top-level label is all digits");
	out[o] = '\0';
	*len_out = o;
	return true;
}

/* Where the host of a URL or the domain of an e-mail address sits. */
struct hostinfo {
	int kind; /* 0 name, 4 IPv4, 6 IPv6 */
	size_t off, len;
	uint8_t addr[16];
};

static const struct {
	const char *alias, *scheme;
} scheme_alias[] = {
    {"hxxp", "http"},   {"hxxps", "https"}, {"hxtp", "http"},
    {"hxtps", "https"}, {"hxxxp", "http"},  {"hxxxps", "https"},
    {"fxp", "ftp"},     {"ftx", "ftp"},     {"fxps", "ftps"},
};

/* The canonical scheme for s[0..n) (lower case or an alias), or NULL. */
static const char *
scheme_canon(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof(scheme_alias) / sizeof(scheme_alias[0]);
	     k++)
		if (ieq(s, n, scheme_alias[k].alias))
			return scheme_alias[k].scheme;
	return NULL;
}

static bool
norm_host(const char *s, size_t n, char *out, size_t *len_out,
          struct hostinfo *hi, struct why *w)
{
	bool numeric = true;

	if (n > 0 && s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return bad(w, "an IPv6 host needs its closing ']'");
		if (!parse_ipv6(s + 1, n - 2, hi->addr, w))
			return false;
		hi->kind = 6;
		out[0] = '[';
		*len_out = 1 + fmt_ipv6(out + 1, hi->addr);
		out[(*len_out)++] = ']';
		out[*len_out] = '\0';
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!(cls[(unsigned char)s[i]] & (C_DIGIT | C_DOT)))
			numeric = false;
	if (numeric && n > 0 && s[n - 1] != '.') {
		memset(hi->addr, 0, sizeof(hi->addr));
		if (!parse_ipv4(s, n, hi->addr, w))
			return false;
		hi->kind = 4;
		*len_out = fmt_ipv4(out, hi->addr);
		return true;
	}
	hi->kind = 0;
	return norm_domain(s, n, out, len_out, w);
}

/* Path, query and fragment: no spaces or controls, valid UTF-8. */
static bool
rest_ok(const char *s, size_t n, struct why *w)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			return bad(w, "a URL cannot hold spaces or control "
			              "characters");
	}
	if (!utf8_is_valid(s, n))
		return bad(w, "the URL is not valid UTF-8");
	return true;
}

/*
 * scheme://[userinfo@]host[:port][/path][?query][#fragment]; a value
 * without "://" gets "http://". out holds IOC_URL_MAX + 1 bytes.
 */
static bool
norm_url(const char *s, size_t n, char *out, size_t *len_out,
         struct hostinfo *hi, struct why *w)
{
	size_t i = 0, o = 0, a, e, h, he, hl;
	const char *canon, *at = NULL;
	char host[260];
	unsigned long port = 0;
	bool has_port = false;

	if (n > 0 && (cls[(unsigned char)s[0]] & C_ALPHA))
		for (i = 1; i < n &&
		            ((cls[(unsigned char)s[i]] & (C_ALPHA | C_DIGIT)) ||
		             s[i] == '+' || s[i] == '-' || s[i] == '.');
		     i++)
			;
	if (i > 0 && i + 3 <= n && memcmp(s + i, "://", 3) == 0) {
		if (i > 32)
			return bad(w, "the URL scheme is too long");
		canon = scheme_canon(s, i);
		if (canon != NULL) {
			o = strlen(canon);
			memcpy(out, canon, o);
		} else {
			for (o = 0; o < i; o++)
				out[o] = (char)lower((unsigned char)s[o]);
		}
		i += 3;
	} else if (memmem(s, n, "://", 3) != NULL) {
		return bad(w, "the URL scheme is not valid");
	} else {
		memcpy(out, "http", 4);
		o = 4;
		i = 0;
	}
	memcpy(out + o, "://", 3);
	o += 3;
	a = i;
	for (e = a; e < n && s[e] != '/' && s[e] != '?' && s[e] != '#'; e++)
		if (s[e] == '@')
			at = s + e;
	h = a;
	if (at != NULL) {
		size_t ul = (size_t)(at - (s + a)) + 1;

		if (!rest_ok(s + a, ul, w))
			return false;
		if (o + ul > IOC_URL_MAX)
			return bad(w, "the URL is too long");
		memcpy(out + o, s + a, ul);
		o += ul;
		h = a + ul;
	}
	if (h < e && s[h] == '[') {
		const char *rb = memchr(s + h, ']', e - h);

		he = rb ? (size_t)(rb - s) + 1 : e;
	} else {
		const char *colon = memchr(s + h, ':', e - h);

		he = colon ? (size_t)(colon - s) : e;
	}
	if (he == h)
		return bad(w, "the URL has no host");
	if (he - h > 255 + 2)
		return bad(w, "the URL host is longer than 253 bytes");
	if (!norm_host(s + h, he - h, host, &hl, hi, w))
		return false;
	if (he < e) {
		if (s[he] != ':')
			return bad(w, "unexpected text after the URL host");
		for (size_t k = he + 1; k < e; k++) {
			if (!(cls[(unsigned char)s[k]] & C_DIGIT))
				return bad(w, "the URL port is not a number");
			if (k - he > 5)
				return bad(w, "the URL port is out of range");
			port = port * 10 + (unsigned)(s[k] - '0');
			has_port = true;
		}
		if (has_port && (port == 0 || port > 65535))
			return badn(w, "port ", port, " is out of range");
	}
	if (has_port &&
	    ((port == 80 && o == 7 && memcmp(out, "http", 4) == 0) ||
	     (port == 443 && o == 8 && memcmp(out, "https", 5) == 0)))
		has_port = false;
	if (!rest_ok(s + e, n - e, w))
		return false;
	if (o + hl + 7 + (n - e) > IOC_URL_MAX)
		return bad(w, "the URL is longer than 4096 bytes");
	hi->off = o;
	hi->len = hl;
	memcpy(out + o, host, hl);
	o += hl;
	if (has_port) {
		out[o++] = ':';
		o += put_dec(out + o, port);
	}
	memcpy(out + o, s + e, n - e);
	o += n - e;
	out[o] = '\0';
	*len_out = o;
	return true;
}

static bool
atext(unsigned char c)
{
	return (cls[c] & (C_ALPHA | C_DIGIT)) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* local@domain: the local part kept as is, the domain normalised. */
static bool
norm_email(const char *s, size_t n, char *out, size_t *len_out,
           struct hostinfo *hi, struct why *w)
{
	const char *at = memchr(s, '@', n);
	size_t ll, dl;

	if (at == NULL)
		return bad(w, "an e-mail address needs an '@'");
	ll = (size_t)(at - s);
	if (memchr(at + 1, '@', n - ll - 1) != NULL)
		return bad(w, "an e-mail address has one '@'");
	if (ll == 0)
		return bad(w, "the local part is empty");
	if (ll > 64)
		return bad(w, "the local part is longer than 64 bytes");
	if (s[0] == '"')
		return bad(w, "quoted local parts are not supported");
	for (size_t i = 0; i < ll; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (i == 0 || i == ll - 1 || s[i - 1] == '.')
				return bad(w,
				           "misplaced dot in the local part");
		} else if (!atext(c)) {
			return bad(w, "the local part holds a character that "
			              "needs quoting");
		}
	}
	if (n - ll - 1 > 0 && at[1] == '[')
		return bad(w, "address literals are not supported");
	memcpy(out, s, ll);
	out[ll] = '@';
	if (!norm_domain(at + 1, n - ll - 1, out + ll + 1, &dl, w))
		return false;
	if (ll + 1 + dl > 254)
		return bad(w, "the address is longer than 254 bytes");
	hi->kind = 0;
	hi->off = ll + 1;
	hi->len = dl;
	*len_out = ll + 1 + dl;
	return true;
}

static bool
norm_hash(const char *s, size_t n, size_t want, char *out, size_t *len_out,
          struct why *w)
{
	if (n != want)
		return badn(w, "expected ", want, " hex digits");
	for (size_t i = 0; i < n; i++) {
		if (!(cls[(unsigned char)s[i]] & C_HEX))
			return bad(w, "a hash is hex digits only");
		out[i] = (char)lower((unsigned char)s[i]);
	}
	out[n] = '\0';
	*len_out = n;
	return true;
}

static bool
parse_asn(const char *s, size_t n, unsigned long long *v_out, struct why *w)
{
	unsigned long long v = 0;
	size_t i = 0;

	if (n >= 2 && lower((unsigned char)s[0]) == 'a' &&
	    lower((unsigned char)s[1]) == 's')
		i = 2;
	if (i == n)
		return bad(w, "an AS number needs digits");
	if (n - i > 10)
		return bad(w, "the AS number is out of range");
	if (s[i] == '0')
		return bad(w, "the AS number is zero or has a leading zero");
	for (; i < n; i++) {
		if (!(cls[(unsigned char)s[i]] & C_DIGIT))
			return bad(w, "an AS number is \"AS\" and digits");
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 4294967295ULL)
		return badn(w, "AS number ", v, " is out of range");
	*v_out = v;
	return true;
}

/* CVE-YYYY-NNNN..., year 1999 on, 4 to 19 sequence digits. */
static bool
norm_cve(const char *s, size_t n, char *out, size_t *len_out, struct why *w)
{
	unsigned long long year = 0;
	size_t sl;

	if (n < 13 || !iprefix(s, n, "cve-") || s[8] != '-')
		return bad(w, "a CVE id is CVE-YYYY-NNNN");
	for (size_t i = 4; i < 8; i++) {
		if (!(cls[(unsigned char)s[i]] & C_DIGIT))
			return bad(w, "a CVE id is CVE-YYYY-NNNN");
		year = year * 10 + (unsigned)(s[i] - '0');
	}
	if (year < 1999)
		return badn(w, "CVE year ", year, " is before 1999");
	sl = n - 9;
	if (sl > 19)
		return bad(w, "the CVE sequence number is too long");
	for (size_t i = 9; i < n; i++)
		if (!(cls[(unsigned char)s[i]] & C_DIGIT))
			return bad(w, "a CVE id is CVE-YYYY-NNNN");
	if (sl > 4 && s[9] == '0')
		return bad(w, "a CVE sequence of more than four digits cannot "
		              "start with 0");
	memcpy(out, "CVE-", 4);
	memcpy(out + 4, s + 4, n - 4);
	out[n] = '\0';
	*len_out = n;
	return true;
}

/* Valid UTF-8 without C0, DEL or C1 controls. */
static bool
printable(const char *s, size_t n)
{
	if (!utf8_is_valid(s, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f ||
		    (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
			return false;
	}
	return true;
}

static bool
norm_typed(enum ioc_type t, const char *s, size_t n, char *out, size_t *len_out,
           struct hostinfo *hi, struct why *w)
{
	unsigned long long v;
	unsigned plen;
	bool v6;

	hi->kind = 0;
	switch (t) {
	case IOC_IPV4:
		memset(hi->addr, 0, sizeof(hi->addr));
		if (!parse_ipv4(s, n, hi->addr, w))
			return false;
		hi->kind = 4;
		*len_out = fmt_ipv4(out, hi->addr);
		return true;
	case IOC_IPV6:
		if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
			s++;
			n -= 2;
		}
		if (!parse_ipv6(s, n, hi->addr, w))
			return false;
		hi->kind = 6;
		*len_out = fmt_ipv6(out, hi->addr);
		return true;
	case IOC_CIDR:
		if (!parse_cidr(s, n, hi->addr, &v6, &plen, w))
			return false;
		hi->kind = v6 ? 6 : 4;
		*len_out = fmt_cidr(out, hi->addr, v6, plen);
		return true;
	case IOC_DOMAIN:
		return norm_domain(s, n, out, len_out, w);
	case IOC_URL:
		if (n > IOC_URL_MAX)
			return bad(w, "the URL is longer than 4096 bytes");
		return norm_url(s, n, out, len_out, hi, w);
	case IOC_EMAIL:
		return norm_email(s, n, out, len_out, hi, w);
	case IOC_MD5:
		return norm_hash(s, n, 32, out, len_out, w);
	case IOC_SHA1:
		return norm_hash(s, n, 40, out, len_out, w);
	case IOC_SHA256:
		return norm_hash(s, n, 64, out, len_out, w);
	case IOC_ASN:
		if (!parse_asn(s, n, &v, w))
			return false;
		memcpy(out, "AS", 2);
		*len_out = 2 + put_dec(out + 2, v);
		out[*len_out] = '\0';
		return true;
	case IOC_CVE:
		return norm_cve(s, n, out, len_out, w);
	case IOC_FILENAME:
		if (n == 0)
			return bad(w, "the file name is empty");
		if (n > 255)
			return bad(w, "the file name is longer than 255 bytes");
		if (memchr(s, '/', n) != NULL)
			return bad(w, "a file name cannot hold '/'");
		if (memchr(s, '\0', n) != NULL || !printable(s, n))
			return bad(w, "a file name cannot hold control "
			              "characters or invalid UTF-8");
		if ((n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return bad(w, "'.' and '..' are not file names");
		break;
	case IOC_USER_AGENT:
		if (n == 0)
			return bad(w, "the user agent is empty");
		if (n > 1024)
			return bad(w,
			           "the user agent is longer than 1024 bytes");
		if (memchr(s, '\0', n) != NULL || !printable(s, n))
			return bad(w, "a user agent cannot hold control "
			              "characters or invalid UTF-8");
		break;
	default:
		return bad(w, "unknown observable type");
	}
	memcpy(out, s, n);
	out[n] = '\0';
	*len_out = n;
	return true;
}

/* ---- refanging a single value ---- */

static const struct {
	const char *pat, *rep;
} fangs[] = {
    {"[.]", "."},
    {"(.)", "."},
    {"{.}", "."},
    {"[dot]", "."},
    {"(dot)", "."},
    {"{dot}", "."},
    {"[,]", "."},
    {"(,)", "."},
    {"[punto]", "."},
    {"(punto)", "."},
    {"[://]", "://"},
    {"[:]", ":"},
    {"(:)", ":"},
    {"{:}", ":"},
    {"[/]", "/"},
    {"(/)", "/"},
    {"{/}", "/"},
    {"[@]", "@"},
    {"(@)", "@"},
    {"{@}", "@"},
    {"[at]", "@"},
    {"(at)", "@"},
    {"{at}", "@"},
    {"[arroba]", "@"},
    {"(arroba)", "@"},
    {"\\.", "."},
    {"^.", "."},
    /* brackets left half-open by careless defanging */
    {"[dot", "."},
    {"dot]", "."},
    {"[.", "."},
    {".]", "."},
    {"[/", "/"},
};

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/* Characters next to which white space is dropped: "example .com /x". */
static bool
glue(unsigned char c)
{
	return c == '.' || c == '/' || c == '@' || c == ':';
}

/*
 * Refangs s[0..n) into out (n + 8 bytes): bracketed markers, " dot ",
 * " at ", white space around '.', '/', '@', ':', and the separator after
 * a web scheme (http__, http:__, http:\\). Returns the new length.
 */
static size_t
refang_value(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0, m, k;

	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	while (i < n && is_space((unsigned char)s[i]))
		i++;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		bool done = false;

		if (c == '[' || c == '(' || c == '{' || c == '\\' || c == '^' ||
		    c == '.' || c == 'd' || c == 'D') {
			for (k = 0; k < sizeof(fangs) / sizeof(fangs[0]); k++) {
				size_t pl = strlen(fangs[k].pat);

				if (pl <= n - i &&
				    ieq(s + i, pl, fangs[k].pat)) {
					size_t rl = strlen(fangs[k].rep);

					memcpy(out + o, fangs[k].rep, rl);
					o += rl;
					i += pl;
					done = true;
					break;
				}
			}
		} else if (is_space(c)) {
			size_t j = i, wl = 0;

			while (j < n && is_space((unsigned char)s[j]))
				j++;
			if (iprefix(s + j, n - j, "dot"))
				wl = 3;
			else if (iprefix(s + j, n - j, "at"))
				wl = 2;
			if (wl && j + wl < n &&
			    is_space((unsigned char)s[j + wl])) {
				out[o++] = wl == 3 ? '.' : '@';
				for (i = j + wl;
				     i < n && is_space((unsigned char)s[i]);
				     i++)
					;
				done = true;
			}
		}
		if (!done)
			out[o++] = s[i++];
	}
	/* drop white space glued to '.', '/', '@' or ':' */
	for (i = 0, m = 0; i < o;) {
		if (is_space((unsigned char)out[i])) {
			size_t j = i;

			while (j < o && is_space((unsigned char)out[j]))
				j++;
			if ((m > 0 && glue((unsigned char)out[m - 1])) ||
			    (j < o && glue((unsigned char)out[j]))) {
				i = j;
				continue;
			}
		}
		out[m++] = out[i++];
	}
	o = m;
	/* http__x, http:__x, http:\\x */
	for (k = 0; k < o && (cls[(unsigned char)out[k]] & C_ALPHA); k++)
		;
	if (k > 0 && (scheme_canon(out, k) != NULL || ieq(out, k, "http") ||
	              ieq(out, k, "https") || ieq(out, k, "ftp"))) {
		size_t sep = 0;

		if (o - k >= 3 && memcmp(out + k, ":__", 3) == 0)
			sep = 3;
		else if (o - k >= 3 && memcmp(out + k, ":\\\\", 3) == 0)
			sep = 3;
		else if (o - k >= 2 && memcmp(out + k, "__", 2) == 0)
			sep = 2;
		else if (o - k >= 2 && memcmp(out + k, ":\\", 2) == 0)
			sep = 2;
		if (sep) {
			memmove(out + k + 3, out + k + sep, o - k - sep);
			memcpy(out + k, "://", 3);
			o = o - sep + 3;
		}
	}
	out[o] = '\0';
	return o;
}

/* ---- public helpers ---- */

const char *
ioc_type_name(enum ioc_type type)
{
	if ((unsigned)type >= IOC_TYPE_COUNT)
		return "?";
	return type_names[type];
}

enum cs_err
ioc_type_parse(const char *name, enum ioc_type *type_out)
{
	for (unsigned t = 0; t < IOC_TYPE_COUNT; t++) {
		if (name != NULL && strcmp(name, type_names[t]) == 0) {
			*type_out = (enum ioc_type)t;
			return CS_OK;
		}
	}
	return CS_E_INVAL;
}

/* The reason text: in out when it fits, else a static string. */
static const char *
why_text(const struct why *w, char *out, size_t outlen)
{
	char num[24];
	size_t pl, nl, sl;

	if (w->pre == NULL)
		return "the value is invalid";
	if (!w->has_num)
		return w->pre;
	pl = strlen(w->pre);
	nl = put_dec(num, w->num);
	sl = strlen(w->post);
	if (out == NULL || pl + nl + sl + 1 > outlen)
		return "the value is invalid";
	memcpy(out, w->pre, pl);
	memcpy(out + pl, num, nl);
	memcpy(out + pl + nl, w->post, sl + 1);
	return out;
}

/* Copies in (at most IOC_INPUT_MAX bytes) to buf, refanged if the type
 * takes it. Returns false if in is too long. */
static bool
prepare(enum ioc_type type, const char *in, char *buf, size_t *n_out)
{
	size_t n = strnlen(in, IOC_INPUT_MAX + 1);

	if (n > IOC_INPUT_MAX)
		return false;
	if (type == IOC_FILENAME || type == IOC_USER_AGENT) {
		memcpy(buf, in, n);
		buf[n] = '\0';
		*n_out = n;
	} else {
		*n_out = refang_value(in, n, buf);
	}
	return true;
}

enum cs_err
ioc_normalise(enum ioc_type type, const char *in, char *out, size_t outlen,
              const char **why)
{
	char buf[IOC_INPUT_MAX + 16], res[IOC_OUT_MAX + 64];
	struct why w = {0};
	struct hostinfo hi;
	enum cs_err err = CS_E_INVAL;
	size_t n, rl;

	if ((unsigned)type >= IOC_TYPE_COUNT) {
		bad(&w, "unknown observable type");
		goto out;
	}
	if (in == NULL || !prepare(type, in, buf, &n)) {
		bad(&w, "the value is longer than 8192 bytes");
		goto out;
	}
	if (!norm_typed(type, buf, n, res, &rl, &hi, &w))
		goto out;
	if (out == NULL || rl + 1 > outlen) {
		err = CS_E_TOOBIG;
		bad(&w, "the output buffer is too small");
		goto out;
	}
	memcpy(out, res, rl + 1);
	err = CS_OK;
out:
	if (err != CS_OK && why != NULL)
		*why = why_text(&w, out, outlen);
	return err;
}

static bool
try_type(enum ioc_type t, const char *s, size_t n, char *res, size_t *len_out)
{
	struct why w;
	struct hostinfo hi;

	return norm_typed(t, s, n, res, len_out, &hi, &w);
}

static bool
last_label_known(const char *d, size_t n)
{
	size_t i = n;

	while (i > 0 && d[i - 1] != '.')
		i--;
	return ioc_tld_is_known(d + i, n - i);
}

enum cs_err
ioc_guess_type(const char *in, enum ioc_type *type_out)
{
	static const enum ioc_type simple[] = {IOC_IPV4, IOC_IPV6,   IOC_MD5,
	                                       IOC_SHA1, IOC_SHA256, IOC_CVE};
	char buf[IOC_INPUT_MAX + 16], res[IOC_OUT_MAX + 64];
	struct hostinfo hi;
	struct why w;
	size_t n, rl, k;

	if (in == NULL || !prepare(IOC_DOMAIN, in, buf, &n) || n == 0)
		return CS_E_INVAL;
	if (memmem(buf, n, "://", 3) != NULL) {
		if (!try_type(IOC_URL, buf, n, res, &rl))
			return CS_E_INVAL;
		*type_out = IOC_URL;
		return CS_OK;
	}
	if (memchr(buf, '@', n) != NULL &&
	    try_type(IOC_EMAIL, buf, n, res, &rl)) {
		*type_out = IOC_EMAIL;
		return CS_OK;
	}
	if (memchr(buf, '/', n) != NULL &&
	    try_type(IOC_CIDR, buf, n, res, &rl)) {
		*type_out = IOC_CIDR;
		return CS_OK;
	}
	for (k = 0; k < sizeof(simple) / sizeof(simple[0]); k++) {
		if (try_type(simple[k], buf, n, res, &rl)) {
			*type_out = simple[k];
			return CS_OK;
		}
	}
	if (iprefix(buf, n, "as") && try_type(IOC_ASN, buf, n, res, &rl)) {
		*type_out = IOC_ASN;
		return CS_OK;
	}
	if (try_type(IOC_DOMAIN, buf, n, res, &rl) &&
	    last_label_known(res, rl)) {
		*type_out = IOC_DOMAIN;
		return CS_OK;
	}
	if (memchr(buf, '/', n) != NULL &&
	    norm_url(buf, n, res, &rl, &hi, &w) &&
	    (hi.kind != 0 || last_label_known(res + hi.off, hi.len))) {
		*type_out = IOC_URL;
		return CS_OK;
	}
	/* product/version, as in "curl/8.5.0" or "Mozilla/5.0 (...)" */
	n = strnlen(in, IOC_INPUT_MAX + 1);
	for (k = 0;
	     k < n && ((cls[(unsigned char)in[k]] & C_HOST) || in[k] == '+');
	     k++)
		;
	if (k > 0 && k + 1 < n && in[k] == '/' &&
	    (cls[(unsigned char)in[k + 1]] & C_DIGIT) &&
	    try_type(IOC_USER_AGENT, in, n, res, &rl)) {
		*type_out = IOC_USER_AGENT;
		return CS_OK;
	}
	/* name.ext with a short alphanumeric extension */
	{
		const char *dot = memrchr(in, '.', n);
		size_t el = dot ? n - (size_t)(dot - in) - 1 : 0;

		if (dot != NULL && dot != in && el >= 1 && el <= 10 &&
		    memchr(in, ' ', n) == NULL &&
		    try_type(IOC_FILENAME, in, n, res, &rl)) {
			for (k = 0; k < el; k++)
				if (!(cls[(unsigned char)dot[1 + k]] &
				      (C_ALPHA | C_DIGIT)))
					return CS_E_INVAL;
			*type_out = IOC_FILENAME;
			return CS_OK;
		}
	}
	return CS_E_INVAL;
}

/* ---- special-purpose addresses and AS numbers ---- */

static bool
in_prefix(const uint8_t *a, const uint8_t *net, unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (memcmp(a, net, full) != 0)
		return false;
	return rem == 0 ||
	       ((a[full] ^ net[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

static const struct {
	uint8_t net[4];
	uint8_t plen;
} special4[] = {
    {{0, 0, 0, 0}, 8},       /* "this network" */
    {{10, 0, 0, 0}, 8},      /* RFC 1918 */
    {{100, 64, 0, 0}, 10},   /* CGNAT, RFC 6598 */
    {{127, 0, 0, 0}, 8},     /* loopback */
    {{169, 254, 0, 0}, 16},  /* link-local */
    {{172, 16, 0, 0}, 12},   /* RFC 1918 */
    {{192, 0, 0, 0}, 24},    /* IETF protocol assignments */
    {{192, 0, 2, 0}, 24},    /* TEST-NET-1 */
    {{192, 88, 99, 0}, 24},  /* 6to4 relay anycast (deprecated) */
    {{192, 168, 0, 0}, 16},  /* RFC 1918 */
    {{198, 18, 0, 0}, 15},   /* benchmarking */
    {{198, 51, 100, 0}, 24}, /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24},  /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4},     /* multicast */
    {{240, 0, 0, 0}, 4},     /* reserved, broadcast */
};

static const struct {
	uint8_t net[16];
	uint8_t plen;
} special6[] = {
    {{0}, 127},                        /* :: and ::1 */
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48}, /* local-use NAT64 */
    {{1, 0, 0, 0, 0, 0, 0, 0}, 64},    /* discard */
    {{0x20, 0x01, 0, 0x02, 0, 0}, 48}, /* benchmarking */
    {{0x20, 0x01, 0, 0x10}, 28},       /* ORCHID */
    {{0x20, 0x01, 0x0d, 0xb8}, 32},    /* documentation */
    {{0x3f, 0xff}, 20},                /* documentation */
    {{0xfc}, 7},                       /* ULA */
    {{0xfe, 0x80}, 10},                /* link-local */
    {{0xfe, 0xc0}, 10},                /* site-local */
    {{0xff}, 8},                       /* multicast */
};

static bool
ipv4_special(const uint8_t a[4])
{
	for (size_t k = 0; k < sizeof(special4) / sizeof(special4[0]); k++)
		if (in_prefix(a, special4[k].net, special4[k].plen))
			return true;
	return false;
}

static bool
ipv6_special(const uint8_t a[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
	                                   0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(a, mapped, 12) == 0)
		return ipv4_special(a + 12);
	for (size_t k = 0; k < sizeof(special6) / sizeof(special6[0]); k++)
		if (in_prefix(a, special6[k].net, special6[k].plen))
			return true;
	return false;
}

/* AS 0, AS_TRANS, documentation, private use and reserved numbers. */
static bool
asn_special(unsigned long long v)
{
	return v == 0 || v == 23456 || (v >= 64496 && v <= 131071) ||
	       v >= 4200000000ULL;
}

/* ---- the per-call set of values already emitted ---- */

/* Open addressing with linear probing; a slot holds the hash and length
 * next to the key (type byte, value, NUL), so a probe that misses reads
 * one cache line. */
struct slot {
	uint32_t hash;
	uint32_t len;
	const char *key; /* NULL: empty */
};

struct seen {
	struct slot *tab;
	size_t cap, n;
	struct arena *arena;
	unsigned char *buf;
	size_t buflen, used;
	bool full;
};

static void *
seen_alloc(struct seen *s, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (s->arena != NULL) {
		p = arena_alloc(s->arena, n);
		return p;
	}
	if (s->buflen - s->used < n)
		return NULL;
	p = s->buf + s->used;
	s->used += n;
	return p;
}

static bool
seen_grow(struct seen *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	struct slot *nt;

	if (ncap > SIZE_MAX / sizeof(*nt) ||
	    (nt = seen_alloc(s, ncap * sizeof(*nt))) == NULL)
		return false;
	memset(nt, 0, ncap * sizeof(*nt));
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (s->tab[i].key == NULL)
			continue;
		for (j = s->tab[i].hash & (ncap - 1); nt[j].key != NULL;
		     j = (j + 1) & (ncap - 1))
			;
		nt[j] = s->tab[i];
	}
	s->tab = nt;
	s->cap = ncap;
	return true;
}

/* True if (t, v) is new (or cannot be remembered any more). */
static bool
seen_add(struct seen *s, enum ioc_type t, const char *v, size_t n)
{
	uint32_t h = 0x811c9dc5u ^ (uint32_t)t;
	size_t j;
	char *key;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)v[i]) * 0x01000193u;
	h ^= h >> 15;
	if (s->cap > 0) {
		for (j = h & (s->cap - 1); s->tab[j].key != NULL;
		     j = (j + 1) & (s->cap - 1)) {
			const struct slot *sl = &s->tab[j];

			if (sl->hash == h && sl->len == n &&
			    (unsigned char)sl->key[0] == t &&
			    memcmp(sl->key + 1, v, n) == 0)
				return false;
		}
	}
	if (s->full)
		return true;
	if ((s->n + 1) * 4 > s->cap * 3 && !seen_grow(s)) {
		s->full = true;
		return true;
	}
	if ((key = seen_alloc(s, n + 2)) == NULL) {
		s->full = true;
		return true;
	}
	key[0] = (char)t;
	memcpy(key + 1, v, n);
	key[n + 1] = '\0';
	for (j = h & (s->cap - 1); s->tab[j].key != NULL;
	     j = (j + 1) & (s->cap - 1))
		;
	s->tab[j].hash = h;
	s->tab[j].len = (uint32_t)n;
	s->tab[j].key = key;
	s->n++;
	return true;
}

/* ---- extraction ---- */

struct xctx {
	unsigned types;
	bool skip_private;
	const char *const *own;
	size_t n_own;
	void (*emit)(void *ctx, enum ioc_type type, const char *normalised,
	             size_t offset);
	void *ctx;
	size_t count;
	struct seen seen;
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

/* Filters, deduplication and the callback; false if filtered out. */
static void
put(struct xctx *x, enum ioc_type t, const char *v, size_t n,
    const struct hostinfo *hi, size_t off)
{
	if (x->skip_private && hi != NULL &&
	    ((hi->kind == 4 && ipv4_special(hi->addr)) ||
	     (hi->kind == 6 && ipv6_special(hi->addr))))
		return;
	if (x->n_own > 0 && hi != NULL && hi->kind == 0 &&
	    own_domain(x, v + hi->off, hi->len))
		return;
	if (!seen_add(&x->seen, t, v, n))
		return;
	x->emit(x->ctx, t, v, off);
	x->count++;
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
	struct hostinfo hi;
	struct why w;
	size_t len;

	if (e - i > IOC_URL_MAX ||
	    !norm_url((const char *)v->b + i, e - i, x->norm, &len, &hi, &w))
		return false;
	put(x, IOC_URL, x->norm, len, &hi, off_of(v, i));
	return true;
}

static bool
tld_ok(const struct view *v, const char *d, size_t n, bool two_labels)
{
	size_t i = n;

	while (i > 0 && d[i - 1] != '.')
		i--;
	if (!ioc_tld_is_known(d + i, n - i))
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

	if (cls[b[i]] & C_HOST)
		return 1;
	if (!(cls[b[i]] & C_HI))
		return 0;
	k = utf8_dec(b + i, n - i, &cp);
	return (k > 0 && idn_map(cp) != 0) ? k : 0;
}

/* The e-mail address whose local part is b[i..at); end in *end_out. */
static bool
try_email(struct xctx *x, const struct view *v, size_t i, size_t at,
          size_t *end_out)
{
	struct hostinfo hi;
	struct why w;
	size_t e = at + 1, len, k;

	while (e < v->n && (k = host_char(v->b, e, v->n)) > 0)
		e += k;
	while (e > at + 1 && (v->b[e - 1] == '.' || v->b[e - 1] == '-'))
		e--;
	if (e == at + 1 ||
	    !norm_email((const char *)v->b + i, e - i, x->norm, &len, &hi,
	                &w) ||
	    !tld_ok(v, x->norm + hi.off, hi.len, false))
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
	struct hostinfo hi;
	struct why w;
	size_t e = j, len;

	while (e > i && b[e - 1] == '.')
		e--;
	if (e - i >= 2 && b[e - 1] == ':' && b[e - 2] != ':')
		e--;
	if (e - i < 2 || e - i > 45 ||
	    !parse_ipv6((const char *)b + i, e - i, hi.addr, &w))
		return false;
	hi.kind = 6;
	if (e == j && j + 1 < v->n && b[j] == '/' &&
	    (cls[b[j + 1]] & C_DIGIT)) {
		size_t pe = j + 1;
		bool v6;
		unsigned plen;
		uint8_t net[16];

		while (pe < v->n && (cls[b[pe]] & C_DIGIT))
			pe++;
		if (!(cls[pe < v->n ? b[pe] : ' '] & (C_ALPHA | C_HOST)) &&
		    parse_cidr((const char *)b + i, pe - i, net, &v6, &plen,
		               &w)) {
			*end_out = pe;
			if (!want(x, IOC_CIDR))
				return true;
			memcpy(hi.addr, net, 16);
			len = fmt_cidr(x->norm, net, true, plen);
			put(x, IOC_CIDR, x->norm, len, &hi, off_of(v, i));
			return true;
		}
	}
	*end_out = e;
	if (want(x, IOC_IPV6)) {
		len = fmt_ipv6(x->norm, hi.addr);
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
	struct hostinfo hi = {.kind = -1};
	size_t p = i;

	while (p < j) {
		size_t q = p, pl;

		while (q < j && b[q] != '-' && b[q] != '_' && b[q] != '.')
			q++;
		pl = q - p;
		if (pl == 32 || pl == 40 || pl == 64) {
			enum ioc_type t = ht[pl == 32 ? 0 : pl == 40 ? 1 : 2];

			if (want(x, t) && all_hex((const char *)b + p, pl)) {
				for (size_t k = 0; k < pl; k++)
					x->norm[k] = (char)lower(b[p + k]);
				x->norm[pl] = '\0';
				put(x, t, x->norm, pl, &hi, off_of(v, p));
			}
		} else if (pl >= 3 && pl <= 12 && b[p] == 'A' &&
		           b[p + 1] == 'S' && want(x, IOC_ASN)) {
			unsigned long long asn;
			struct why w;

			if (parse_asn((const char *)b + p, pl, &asn, &w) &&
			    !(x->skip_private && asn_special(asn))) {
				size_t len;

				memcpy(x->norm, "AS", 2);
				len = 2 + put_dec(x->norm + 2, asn);
				x->norm[len] = '\0';
				put(x, IOC_ASN, x->norm, len, &hi,
				    off_of(v, p));
			}
		}
		p = q + 1;
	}
}

/* A run of host characters b[i..j): IPv4, CIDR, domain, CVE, hashes,
 * AS numbers. Returns where scanning goes on. */
static size_t
host_run(struct xctx *x, const struct view *v, size_t i, size_t j)
{
	const unsigned char *b = v->b;
	size_t e = j, dots = 0, len;
	bool numeric = true, hi8 = false;
	struct hostinfo hi;
	struct why w;

	while (i < e && (b[i] == '.' || b[i] == '-' || b[i] == '_'))
		i++;
	while (e > i && (b[e - 1] == '.' || b[e - 1] == '-' || b[e - 1] == '_'))
		e--;
	if (i == e)
		return j;
	for (size_t k = i; k < e; k++) {
		if (b[k] == '.')
			dots++;
		else if (!(cls[b[k]] & C_DIGIT))
			numeric = false;
		if (b[k] >= 0x80)
			hi8 = true;
	}
	if (dots == 0) {
		if (e - i >= 13 && (b[i] == 'C' || b[i] == 'c') &&
		    want(x, IOC_CVE) &&
		    norm_cve((const char *)b + i, e - i, x->norm, &len, &w)) {
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
		    !parse_ipv4((const char *)b + i, e - i, hi.addr, &w))
			return j;
		hi.kind = 4;
		/* a.b.c.d/nn */
		if (e == j && j + 1 < v->n && b[j] == '/' &&
		    (cls[b[j + 1]] & C_DIGIT)) {
			size_t pe = j + 1;
			uint8_t net[16];
			bool v6;
			unsigned plen;

			while (pe < v->n && (cls[b[pe]] & C_DIGIT))
				pe++;
			if (!(cls[pe < v->n ? b[pe] : ' '] &
			      (C_ALPHA | C_HOST)) &&
			    parse_cidr((const char *)b + i, pe - i, net, &v6,
			               &plen, &w) &&
			    want(x, IOC_CIDR)) {
				memcpy(hi.addr, net, 16);
				len = fmt_cidr(x->norm, net, false, plen);
				put(x, IOC_CIDR, x->norm, len, &hi,
				    off_of(v, i));
				return pe;
			}
		}
		if (want(x, IOC_IPV4)) {
			len = fmt_ipv4(x->norm, hi.addr);
			put(x, IOC_IPV4, x->norm, len, &hi, off_of(v, i));
		}
		return j;
	}
	if (want(x, IOC_DOMAIN) &&
	    norm_domain((const char *)b + i, e - i, x->norm, &len, &w) &&
	    tld_ok(v, x->norm, len, dots == 1)) {
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

static bool
scheme_ok(const unsigned char *s, size_t n)
{
	const char *c = (const char *)s;

	return ieq(c, n, "http") || ieq(c, n, "https") || ieq(c, n, "ftp") ||
	       scheme_canon(c, n) != NULL;
}

static void
scan_view(struct xctx *x, const struct view *v)
{
	const unsigned char *b = v->b;
	size_t n = v->n, i = 0, j, k;

	while (i < n) {
		unsigned f = cls[b[i]];
		unsigned pf = i > 0 ? cls[b[i - 1]] : 0;

		/* scheme:// */
		if ((f & C_ALPHA) && !(pf & (C_ALPHA | C_DIGIT)) &&
		    (v->flags & C_COLON)) {
			for (j = i; j < n && (cls[b[j]] & C_ALPHA); j++)
				;
			if (j + 3 <= n && b[j] == ':' && b[j + 1] == '/' &&
			    b[j + 2] == '/' && scheme_ok(b + i, j - i)) {
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

			for (j = i;
			     j < n && (cls[b[j]] & (C_HEX | C_COLON | C_DOT));
			     j++)
				colons += b[j] == ':';
			if (colons >= 2 &&
			    !(j < n && (cls[b[j]] & (C_ALPHA | C_DIGIT))) &&
			    try_ipv6(x, v, i, j, &k)) {
				i = k;
				continue;
			}
		}
		if ((k = host_char(b, i, n)) > 0) {
			/* local@domain */
			if ((v->flags & C_AT) && want(x, IOC_EMAIL) &&
			    b[i] != '.') {
				for (j = i; j < n && (cls[b[j]] & C_LOCAL); j++)
					;
				if (j < n && b[j] == '@' &&
				    try_email(x, v, i, j, &k)) {
					i = k;
					continue;
				}
			}
			for (j = i + k; j < n; j += k) {
				while (j < n && (cls[b[j]] & C_HOST))
					j++;
				if (j == n || (k = host_char(b, j, n)) == 0)
					break;
			}
			i = host_run(x, v, i, j);
			continue;
		}
		i++;
	}
}

/* Copies the word w[0..n) to x->tok with defang markers replaced; its
 * length in *len_out. True if a marker was replaced. */
static bool
refang_word(struct xctx *x, const unsigned char *w, size_t n, size_t *len_out)
{
	static const struct {
		const char *pat;
		size_t len;
		char rep;
	} marks[] = {
	    {"[.]", 3, '.'},   {"(.)", 3, '.'},   {"{.}", 3, '.'},
	    {"[dot]", 5, '.'}, {"(dot)", 5, '.'}, {"{dot}", 5, '.'},
	    {"[:]", 3, ':'},   {"[/]", 3, '/'},   {"[@]", 3, '@'},
	    {"(@)", 3, '@'},   {"{@}", 3, '@'},   {"[at]", 4, '@'},
	    {"(at)", 4, '@'},  {"{at}", 4, '@'},
	};
	size_t i = 0, o = 0;
	bool fanged = false;

	while (i < n) {
		unsigned char c = w[i];

		if ((c == '[' || c == '(' || c == '{') && i + 2 < n) {
			size_t k;

			if (c == '[' && n - i >= 5 &&
			    memcmp(w + i, "[://]", 5) == 0) {
				memcpy(x->tok + o, "://", 3);
				x->map[o] = x->map[o + 1] = x->map[o + 2] =
				    (uint16_t)i;
				o += 3;
				i += 5;
				fanged = true;
				continue;
			}
			for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
				size_t pl = marks[k].len;

				if (pl <= n - i &&
				    ieq((const char *)w + i, pl, marks[k].pat))
					break;
			}
			if (k < sizeof(marks) / sizeof(marks[0])) {
				x->tok[o] = marks[k].rep;
				x->map[o++] = (uint16_t)i;
				i += marks[k].len;
				fanged = true;
				continue;
			}
		}
		x->tok[o] = (char)c;
		x->map[o++] = (uint16_t)i++;
	}
	x->tok[o] = '\0';
	x->map[o] = (uint16_t)n;
	*len_out = o;
	return fanged;
}

static void
word(struct xctx *x, const unsigned char *w, size_t n, size_t base,
     unsigned flags)
{
	struct view v = {w, n, NULL, base, flags, false};

	if ((flags & C_BRACK) && n <= IOC_TOKEN_MAX) {
		size_t o;

		v.fanged = refang_word(x, w, n, &o);
		v.b = (const unsigned char *)x->tok;
		v.n = o;
		v.map = x->map;
		if (v.fanged) {
			/* markers may have added '.', ':' or '@' */
			for (size_t k = 0; k < o; k++)
				v.flags |= cls[(unsigned char)x->tok[k]];
		}
	}
	scan_view(x, &v);
}

size_t
ioc_extract(const char *text, size_t len, const struct ioc_extract_opts *opts,
            void (*emit)(void *ctx, enum ioc_type type, const char *normalised,
                         size_t offset),
            void *ctx)
{
	static const struct ioc_extract_opts none = {0};
	_Alignas(16) unsigned char stackbuf[32768];
	const unsigned char *p = (const unsigned char *)text, *end = p + len;
	struct xctx *x, xs;

	if (opts == NULL)
		opts = &none;
	x = &xs;
	memset(&x->seen, 0, sizeof(x->seen));
	x->types =
	    (opts->types ? opts->types : IOC_EXTRACTABLE) & IOC_EXTRACTABLE;
	x->skip_private = opts->skip_private;
	x->own = opts->own_domains;
	x->n_own = opts->own_domains != NULL ? opts->n_own_domains : 0;
	x->emit = emit;
	x->ctx = ctx;
	x->count = 0;
	if (opts->arena != NULL) {
		x->seen.arena = opts->arena;
	} else if (opts->scratch != NULL) {
		x->seen.buf = opts->scratch;
		x->seen.buflen = opts->scratch_len;
	} else {
		x->seen.buf = stackbuf;
		x->seen.buflen = sizeof(stackbuf);
	}
	if (text == NULL || emit == NULL)
		return 0;
	while (p < end) {
		const unsigned char *st;
		unsigned fl = 0;

		while (p < end && (cls[*p] & C_DELIM))
			p++;
		st = p;
		while (p < end && !(cls[*p] & C_DELIM))
			fl |= cls[*p++];
		if (p > st &&
		    ((fl & (C_DOT | C_COLON | C_AT | C_DIGIT | C_BRACK)) ||
		     p - st >= 32))
			word(x, st, (size_t)(p - st),
			     (size_t)(st - (const unsigned char *)text), fl);
	}
	return x->count;
}
