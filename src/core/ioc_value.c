/*
 * ioc_value.c - one observable of one type: parse, validate strictly and
 * write its canonical text (see ioc_internal.h and docs/internals/ioc.md).
 *
 * Addresses (IPv4, IPv6 with RFC 5952 output, CIDR), host names (LDH and
 * IDN labels to punycode), URLs, e-mail addresses, hashes, AS numbers and
 * CVE ids, and the special-purpose ranges that extraction may skip.
 */
#include <stdint.h>
#include <string.h>

#include "core/ioc_internal.h"
#include "core/text.h"

static bool
badn(struct ioc_why *w, const char *pre, unsigned long long num,
     const char *post)
{
	w->pre = pre;
	w->post = post;
	w->num = num;
	w->has_num = true;
	return false;
}

/* ---- text helpers, IDN and punycode ---- */

/* Decimal of v into p (at least 21 bytes); returns the length. */
size_t
ioc_put_dec(char *p, unsigned long long v)
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
size_t
ioc_utf8_dec(const unsigned char *p, size_t n, uint32_t *cp_out)
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
uint32_t
ioc_idn_map(uint32_t c)
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
          struct ioc_why *w)
{
	uint32_t cp[64];
	size_t ncp = 0, i = 0, len;

	while (i < n) {
		uint32_t c;
		size_t k = ioc_utf8_dec(s + i, n - i, &c);

		if (k == 0)
			return ioc_bad(w, "the domain is not valid UTF-8");
		if (ncp == 64)
			return ioc_bad(w, "a label is longer than 63 bytes");
		if (c < 0x80) {
			if (!(ioc_cls[c] & (C_ALPHA | C_DIGIT)) && c != '-')
				return ioc_bad(
				    w, "a host name may only hold letters, "
				       "digits and hyphens");
			c = ioc_lower((unsigned char)c);
		} else if ((c = ioc_idn_map(c)) == 0) {
			return ioc_bad(w, "the domain holds a character that "
			                  "cannot be converted to punycode");
		}
		cp[ncp++] = c;
		i += k;
	}
	memcpy(out, "xn--", 4);
	if (!puny_encode(cp, ncp, out + 4, 59, &len))
		return ioc_bad(w,
		               "a label is longer than 63 bytes in punycode");
	*len_out = len + 4;
	return true;
}

/* ---- addresses ---- */

bool
ioc_parse_ipv4(const char *s, size_t n, uint8_t a[4], struct ioc_why *w)
{
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		unsigned long long v = 0;
		size_t st = i;

		while (i < n && (ioc_cls[(unsigned char)s[i]] & C_DIGIT)) {
			if (i - st < 12)
				v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == st)
			return ioc_bad(w,
			               "an IPv4 address is four decimal octets "
			               "separated by dots");
		if (i - st >= 12)
			return ioc_bad(w, "an octet is out of range");
		if (v > 255)
			return badn(w, "octet ", v, " is out of range");
		if (i - st > 1 && s[st] == '0')
			return badn(w, "octet ", (unsigned long long)k + 1,
			            " has a leading zero");
		a[k] = (uint8_t)v;
		if (k < 3) {
			if (i >= n || s[i] != '.')
				return ioc_bad(
				    w, "an IPv4 address is four decimal "
				       "octets separated by dots");
			i++;
		}
	}
	if (i != n)
		return ioc_bad(w, "unexpected text after the IPv4 address");
	return true;
}

size_t
ioc_fmt_ipv4(char *p, const uint8_t a[4])
{
	size_t o = 0;

	for (int k = 0; k < 4; k++) {
		if (k)
			p[o++] = '.';
		o += ioc_put_dec(p + o, a[k]);
	}
	p[o] = '\0';
	return o;
}

bool
ioc_parse_ipv6(const char *s, size_t n, uint8_t a[16], struct ioc_why *w)
{
	uint16_t g[8];
	int ng = 0, dc = -1;
	size_t i = 0;

	if (memchr(s, '%', n) != NULL)
		return ioc_bad(
		    w, "a zone index is not allowed in an IPv6 address");
	if (n >= 2 && s[0] == ':' && s[1] == ':') {
		dc = 0;
		i = 2;
	} else if (n > 0 && s[0] == ':') {
		return ioc_bad(w,
		               "an IPv6 address cannot start with one colon");
	}
	while (i < n) {
		size_t st = i;
		unsigned v = 0;

		while (i < n && (ioc_cls[(unsigned char)s[i]] & C_HEX) &&
		       i - st < 5) {
			unsigned char c = ioc_lower((unsigned char)s[i]);

			v = v * 16 +
			    (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
			i++;
		}
		if (i < n && s[i] == '.') {
			uint8_t v4[4];

			if (ng > 6)
				return ioc_bad(w, "too many groups in the IPv6 "
				                  "address");
			if (!ioc_parse_ipv4(s + st, n - st, v4, w))
				return false;
			g[ng++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[ng++] = (uint16_t)(v4[2] << 8 | v4[3]);
			i = n;
			break;
		}
		if (i == st)
			return ioc_bad(w, "an IPv6 address has an empty group");
		if (i - st > 4)
			return ioc_bad(w,
			               "an IPv6 group has more than four hex "
			               "digits");
		if (ng == 8)
			return ioc_bad(w,
			               "an IPv6 address has at most 8 groups");
		g[ng++] = (uint16_t)v;
		if (i == n)
			break;
		if (s[i] != ':')
			return ioc_bad(
			    w, "unexpected character in the IPv6 address");
		i++;
		if (i < n && s[i] == ':') {
			if (dc >= 0)
				return ioc_bad(w,
				               "'::' appears twice in the IPv6 "
				               "address");
			dc = ng;
			i++;
		} else if (i == n) {
			return ioc_bad(w, "an IPv6 address cannot end with one "
			                  "colon");
		}
	}
	if (dc < 0 && ng != 8)
		return ioc_bad(w, "an IPv6 address without '::' has 8 groups");
	if (dc >= 0 && ng > 7)
		return ioc_bad(w, "an IPv6 address has at most 8 groups");
	memset(a, 0, 16);
	for (int k = 0; k < ng; k++) {
		int pos = (dc >= 0 && k >= dc) ? k + (8 - ng) : k;

		a[2 * pos] = (uint8_t)(g[k] >> 8);
		a[2 * pos + 1] = (uint8_t)g[k];
	}
	return true;
}

/* RFC 5952 text of a (at most 45 bytes and a NUL). */
size_t
ioc_fmt_ipv6(char *p, const uint8_t a[16])
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
		return 7 + ioc_fmt_ipv4(p + 7, a + 12);
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
bool
ioc_parse_cidr(const char *s, size_t n, uint8_t a[16], bool *v6_out,
               unsigned *plen_out, struct ioc_why *w)
{
	const char *slash = memchr(s, '/', n);
	size_t an, pn;
	unsigned long long plen = 0;
	unsigned max;

	if (slash == NULL)
		return ioc_bad(w,
		               "a CIDR block needs a '/' and a prefix length");
	an = (size_t)(slash - s);
	pn = n - an - 1;
	*v6_out = memchr(s, ':', an) != NULL;
	memset(a, 0, 16);
	if (*v6_out ? !ioc_parse_ipv6(s, an, a, w)
	            : !ioc_parse_ipv4(s, an, a, w))
		return false;
	if (pn == 0 || pn > 3)
		return ioc_bad(w, "the prefix length is one to three digits");
	for (size_t i = 0; i < pn; i++) {
		if (!(ioc_cls[(unsigned char)slash[1 + i]] & C_DIGIT))
			return ioc_bad(w, "the prefix length is not a number");
		plen = plen * 10 + (unsigned)(slash[1 + i] - '0');
	}
	if (pn > 1 && slash[1] == '0')
		return ioc_bad(w, "the prefix length has a leading zero");
	max = *v6_out ? 128 : 32;
	if (plen > max)
		return badn(w, "prefix length ", plen, " is out of range");
	for (unsigned bit = (unsigned)plen; bit < max; bit++)
		if (a[bit / 8] & (0x80 >> (bit % 8)))
			return ioc_bad(w, "host bits are set after the prefix "
			                  "length");
	*plen_out = (unsigned)plen;
	return true;
}

size_t
ioc_fmt_cidr(char *p, const uint8_t a[16], bool v6, unsigned plen)
{
	size_t o = v6 ? ioc_fmt_ipv6(p, a) : ioc_fmt_ipv4(p, a);

	p[o++] = '/';
	o += ioc_put_dec(p + o, plen);
	p[o] = '\0';
	return o;
}

/* ---- names ---- */

/*
 * A host name to lower case (punycode for IDN labels), trailing dot
 * removed; LDH labels of 1-63 bytes, at least two, at most 253 bytes, the
 * last not all digits. out holds at least 256 bytes.
 */
bool
ioc_norm_domain(const char *s, size_t n, char *out, size_t *len_out,
                struct ioc_why *w)
{
	size_t o = 0, i = 0, labels = 0;
	bool lastnum = false;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0)
		return ioc_bad(w, "the domain is empty");
	if (n > 1024)
		return ioc_bad(w, "the domain is longer than 253 bytes");
	while (i <= n) {
		size_t st = i, ll;
		unsigned all = ~0u, any = 0; /* classes of the label's bytes */
		bool num;
		char lab[64];

		while (i < n && s[i] != '.') {
			unsigned c = ioc_cls[(unsigned char)s[i++]];

			all &= c;
			any |= c;
		}
		ll = i - st;
		if (ll == 0)
			return ioc_bad(w, "the domain has an empty label");
		num = (all & C_DIGIT) != 0;
		if (any & C_HI) {
			if (!idn_label((const unsigned char *)s + st, ll, lab,
			               &ll, w))
				return false;
			num = false;
			if (lab[0] == '-' || lab[ll - 1] == '-')
				return ioc_bad(w, "a label cannot start or end "
				                  "with a hyphen");
			if (o + ll + (o ? 1 : 0) > 253)
				return ioc_bad(w, "the domain is longer than "
				                  "253 bytes");
			if (o)
				out[o++] = '.';
			memcpy(out + o, lab, ll);
		} else {
			if (ll > 63)
				return ioc_bad(
				    w, "a label is longer than 63 bytes");
			if (!(all & C_LDH))
				return ioc_bad(w,
				               "a host name may only hold "
				               "letters, digits, hyphens and "
				               "dots");
			if (s[st] == '-' || s[i - 1] == '-')
				return ioc_bad(w, "a label cannot start or end "
				                  "with a hyphen");
			if (o + ll + (o ? 1 : 0) > 253)
				return ioc_bad(w, "the domain is longer than "
				                  "253 bytes");
			if (o)
				out[o++] = '.';
			for (size_t k = 0; k < ll; k++)
				out[o + k] =
				    (char)ioc_lower((unsigned char)s[st + k]);
		}
		o += ll;
		labels++;
		lastnum = num;
		i++;
	}
	if (labels < 2)
		return ioc_bad(w, "a domain needs at least two labels");
	if (lastnum)
		return ioc_bad(w, "the top-level label is all digits");
	out[o] = '\0';
	*len_out = o;
	return true;
}

/* ---- URLs and e-mail addresses ---- */

static const struct {
	const char *alias, *scheme;
} scheme_alias[] = {
    {"hxxp", "http"},   {"hxxps", "https"}, {"hxtp", "http"},
    {"hxtps", "https"}, {"hxxxp", "http"},  {"hxxxps", "https"},
    {"fxp", "ftp"},     {"ftx", "ftp"},     {"fxps", "ftps"},
};

/* The canonical scheme for s[0..n) (lower case or an alias), or NULL. */
const char *
ioc_scheme_canon(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof(scheme_alias) / sizeof(scheme_alias[0]);
	     k++)
		if (ioc_ieq(s, n, scheme_alias[k].alias))
			return scheme_alias[k].scheme;
	return NULL;
}

bool
ioc_scheme_is_web(const char *s, size_t n)
{
	return ioc_ieq(s, n, "http") || ioc_ieq(s, n, "https") ||
	       ioc_ieq(s, n, "ftp") || ioc_scheme_canon(s, n) != NULL;
}

static bool
norm_host(const char *s, size_t n, char *out, size_t *len_out,
          struct ioc_host *hi, struct ioc_why *w)
{
	bool numeric = true;

	if (n > 0 && s[0] == '[') {
		if (n < 2 || s[n - 1] != ']')
			return ioc_bad(w, "an IPv6 host needs its closing ']'");
		if (!ioc_parse_ipv6(s + 1, n - 2, hi->addr, w))
			return false;
		hi->kind = 6;
		out[0] = '[';
		*len_out = 1 + ioc_fmt_ipv6(out + 1, hi->addr);
		out[(*len_out)++] = ']';
		out[*len_out] = '\0';
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (!(ioc_cls[(unsigned char)s[i]] & (C_DIGIT | C_DOT)))
			numeric = false;
	if (numeric && n > 0 && s[n - 1] != '.') {
		memset(hi->addr, 0, sizeof(hi->addr));
		if (!ioc_parse_ipv4(s, n, hi->addr, w))
			return false;
		hi->kind = 4;
		*len_out = ioc_fmt_ipv4(out, hi->addr);
		return true;
	}
	hi->kind = 0;
	return ioc_norm_domain(s, n, out, len_out, w);
}

/* Path, query and fragment: no spaces or controls, valid UTF-8. */
static bool
rest_ok(const char *s, size_t n, struct ioc_why *w)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f)
			return ioc_bad(w, "a URL cannot hold spaces or control "
			                  "characters");
	}
	if (!utf8_is_valid(s, n))
		return ioc_bad(w, "the URL is not valid UTF-8");
	return true;
}

/*
 * scheme://[userinfo@]host[:port][/path][?query][#fragment]; a value
 * without "://" gets "http://". out holds IOC_URL_MAX + 1 bytes.
 */
bool
ioc_norm_url(const char *s, size_t n, char *out, size_t *len_out,
             struct ioc_host *hi, struct ioc_why *w)
{
	size_t i = 0, o = 0, a, e, h, he, hl;
	const char *canon, *at = NULL;
	char host[260];
	unsigned long port = 0;
	bool has_port = false;

	if (n > 0 && (ioc_cls[(unsigned char)s[0]] & C_ALPHA))
		for (i = 1;
		     i < n &&
		     ((ioc_cls[(unsigned char)s[i]] & (C_ALPHA | C_DIGIT)) ||
		      s[i] == '+' || s[i] == '-' || s[i] == '.');
		     i++)
			;
	if (i > 0 && i + 3 <= n && memcmp(s + i, "://", 3) == 0) {
		if (i > 32)
			return ioc_bad(w, "the URL scheme is too long");
		canon = ioc_scheme_canon(s, i);
		if (canon != NULL) {
			o = strlen(canon);
			memcpy(out, canon, o);
		} else {
			for (o = 0; o < i; o++)
				out[o] = (char)ioc_lower((unsigned char)s[o]);
		}
		i += 3;
	} else if (memmem(s, n, "://", 3) != NULL) {
		return ioc_bad(w, "the URL scheme is not valid");
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
			return ioc_bad(w, "the URL is too long");
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
		return ioc_bad(w, "the URL has no host");
	if (he - h > 255 + 2)
		return ioc_bad(w, "the URL host is longer than 253 bytes");
	if (!norm_host(s + h, he - h, host, &hl, hi, w))
		return false;
	if (he < e) {
		if (s[he] != ':')
			return ioc_bad(w, "unexpected text after the URL host");
		for (size_t k = he + 1; k < e; k++) {
			if (!(ioc_cls[(unsigned char)s[k]] & C_DIGIT))
				return ioc_bad(w,
				               "the URL port is not a number");
			if (k - he > 5)
				return ioc_bad(w,
				               "the URL port is out of range");
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
		return ioc_bad(w, "the URL is longer than 4096 bytes");
	hi->off = o;
	hi->len = hl;
	memcpy(out + o, host, hl);
	o += hl;
	if (has_port) {
		out[o++] = ':';
		o += ioc_put_dec(out + o, port);
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
	return (ioc_cls[c] & (C_ALPHA | C_DIGIT)) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* local@domain: the local part kept as is, the domain normalised. */
bool
ioc_norm_email(const char *s, size_t n, char *out, size_t *len_out,
               struct ioc_host *hi, struct ioc_why *w)
{
	const char *at = memchr(s, '@', n);
	size_t ll, dl;

	if (at == NULL)
		return ioc_bad(w, "an e-mail address needs an '@'");
	ll = (size_t)(at - s);
	if (memchr(at + 1, '@', n - ll - 1) != NULL)
		return ioc_bad(w, "an e-mail address has one '@'");
	if (ll == 0)
		return ioc_bad(w, "the local part is empty");
	if (ll > 64)
		return ioc_bad(w, "the local part is longer than 64 bytes");
	if (s[0] == '"')
		return ioc_bad(w, "quoted local parts are not supported");
	for (size_t i = 0; i < ll; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (i == 0 || i == ll - 1 || s[i - 1] == '.')
				return ioc_bad(
				    w, "misplaced dot in the local part");
		} else if (!atext(c)) {
			return ioc_bad(w,
			               "the local part holds a character that "
			               "needs quoting");
		}
	}
	if (n - ll - 1 > 0 && at[1] == '[')
		return ioc_bad(w, "address literals are not supported");
	memcpy(out, s, ll);
	out[ll] = '@';
	if (!ioc_norm_domain(at + 1, n - ll - 1, out + ll + 1, &dl, w))
		return false;
	if (ll + 1 + dl > 254)
		return ioc_bad(w, "the address is longer than 254 bytes");
	hi->kind = 0;
	hi->off = ll + 1;
	hi->len = dl;
	*len_out = ll + 1 + dl;
	return true;
}

/* ---- hashes, AS numbers, CVE ids, files, user agents ---- */

static bool
norm_hash(const char *s, size_t n, size_t want, char *out, size_t *len_out,
          struct ioc_why *w)
{
	if (n != want)
		return badn(w, "expected ", want, " hex digits");
	for (size_t i = 0; i < n; i++) {
		if (!(ioc_cls[(unsigned char)s[i]] & C_HEX))
			return ioc_bad(w, "a hash is hex digits only");
		out[i] = (char)ioc_lower((unsigned char)s[i]);
	}
	out[n] = '\0';
	*len_out = n;
	return true;
}

bool
ioc_parse_asn(const char *s, size_t n, unsigned long long *v_out,
              struct ioc_why *w)
{
	unsigned long long v = 0;
	size_t i = 0;

	if (n >= 2 && ioc_lower((unsigned char)s[0]) == 'a' &&
	    ioc_lower((unsigned char)s[1]) == 's')
		i = 2;
	if (i == n)
		return ioc_bad(w, "an AS number needs digits");
	if (n - i > 10)
		return ioc_bad(w, "the AS number is out of range");
	if (s[i] == '0')
		return ioc_bad(w,
		               "the AS number is zero or has a leading zero");
	for (; i < n; i++) {
		if (!(ioc_cls[(unsigned char)s[i]] & C_DIGIT))
			return ioc_bad(w, "an AS number is \"AS\" and digits");
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 4294967295ULL)
		return badn(w, "AS number ", v, " is out of range");
	*v_out = v;
	return true;
}

/* CVE-YYYY-NNNN..., year 1999 on, 4 to 19 sequence digits. */
bool
ioc_norm_cve(const char *s, size_t n, char *out, size_t *len_out,
             struct ioc_why *w)
{
	unsigned long long year = 0;
	size_t sl;

	if (n < 13 || !ioc_iprefix(s, n, "cve-") || s[8] != '-')
		return ioc_bad(w, "a CVE id is CVE-YYYY-NNNN");
	for (size_t i = 4; i < 8; i++) {
		if (!(ioc_cls[(unsigned char)s[i]] & C_DIGIT))
			return ioc_bad(w, "a CVE id is CVE-YYYY-NNNN");
		year = year * 10 + (unsigned)(s[i] - '0');
	}
	if (year < 1999)
		return badn(w, "CVE year ", year, " is before 1999");
	sl = n - 9;
	if (sl > 19)
		return ioc_bad(w, "the CVE sequence number is too long");
	for (size_t i = 9; i < n; i++)
		if (!(ioc_cls[(unsigned char)s[i]] & C_DIGIT))
			return ioc_bad(w, "a CVE id is CVE-YYYY-NNNN");
	if (sl > 4 && s[9] == '0')
		return ioc_bad(w,
		               "a CVE sequence of more than four digits cannot "
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

bool
ioc_norm_typed(enum ioc_type t, const char *s, size_t n, char *out,
               size_t *len_out, struct ioc_host *hi, struct ioc_why *w)
{
	unsigned long long v;
	unsigned plen;
	bool v6;

	hi->kind = 0;
	switch (t) {
	case IOC_IPV4:
		memset(hi->addr, 0, sizeof(hi->addr));
		if (!ioc_parse_ipv4(s, n, hi->addr, w))
			return false;
		hi->kind = 4;
		*len_out = ioc_fmt_ipv4(out, hi->addr);
		return true;
	case IOC_IPV6:
		if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
			s++;
			n -= 2;
		}
		if (!ioc_parse_ipv6(s, n, hi->addr, w))
			return false;
		hi->kind = 6;
		*len_out = ioc_fmt_ipv6(out, hi->addr);
		return true;
	case IOC_CIDR:
		if (!ioc_parse_cidr(s, n, hi->addr, &v6, &plen, w))
			return false;
		hi->kind = v6 ? 6 : 4;
		*len_out = ioc_fmt_cidr(out, hi->addr, v6, plen);
		return true;
	case IOC_DOMAIN:
		return ioc_norm_domain(s, n, out, len_out, w);
	case IOC_URL:
		if (n > IOC_URL_MAX)
			return ioc_bad(w, "the URL is longer than 4096 bytes");
		return ioc_norm_url(s, n, out, len_out, hi, w);
	case IOC_EMAIL:
		return ioc_norm_email(s, n, out, len_out, hi, w);
	case IOC_MD5:
		return norm_hash(s, n, 32, out, len_out, w);
	case IOC_SHA1:
		return norm_hash(s, n, 40, out, len_out, w);
	case IOC_SHA256:
		return norm_hash(s, n, 64, out, len_out, w);
	case IOC_ASN:
		if (!ioc_parse_asn(s, n, &v, w))
			return false;
		memcpy(out, "AS", 2);
		*len_out = 2 + ioc_put_dec(out + 2, v);
		out[*len_out] = '\0';
		return true;
	case IOC_CVE:
		return ioc_norm_cve(s, n, out, len_out, w);
	case IOC_FILENAME:
		if (n == 0)
			return ioc_bad(w, "the file name is empty");
		if (n > 255)
			return ioc_bad(
			    w, "the file name is longer than 255 bytes");
		if (memchr(s, '/', n) != NULL)
			return ioc_bad(w, "a file name cannot hold '/'");
		if (memchr(s, '\0', n) != NULL || !printable(s, n))
			return ioc_bad(w, "a file name cannot hold control "
			                  "characters or invalid UTF-8");
		if ((n == 1 && s[0] == '.') ||
		    (n == 2 && s[0] == '.' && s[1] == '.'))
			return ioc_bad(w, "'.' and '..' are not file names");
		break;
	case IOC_USER_AGENT:
		if (n == 0)
			return ioc_bad(w, "the user agent is empty");
		if (n > 1024)
			return ioc_bad(
			    w, "the user agent is longer than 1024 bytes");
		if (memchr(s, '\0', n) != NULL || !printable(s, n))
			return ioc_bad(w, "a user agent cannot hold control "
			                  "characters or invalid UTF-8");
		break;
	default:
		return ioc_bad(w, "unknown observable type");
	}
	memcpy(out, s, n);
	out[n] = '\0';
	*len_out = n;
	return true;
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

bool
ioc_ipv4_special(const uint8_t a[4])
{
	for (size_t k = 0; k < sizeof(special4) / sizeof(special4[0]); k++)
		if (in_prefix(a, special4[k].net, special4[k].plen))
			return true;
	return false;
}

bool
ioc_ipv6_special(const uint8_t a[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
	                                   0, 0, 0, 0, 0xff, 0xff};

	if (memcmp(a, mapped, 12) == 0)
		return ioc_ipv4_special(a + 12);
	for (size_t k = 0; k < sizeof(special6) / sizeof(special6[0]); k++)
		if (in_prefix(a, special6[k].net, special6[k].plen))
			return true;
	return false;
}

/* AS 0, AS_TRANS, documentation, private use and reserved numbers. */
bool
ioc_asn_special(unsigned long long v)
{
	return v == 0 || v == 23456 || (v >= 64496 && v <= 131071) ||
	       v >= 4200000000ULL;
}
