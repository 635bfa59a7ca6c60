/*
 * test_cidr.c - strict address parsing, RFC 5952 formatting and the
 * longest-prefix-match index, cross-checked against a linear scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/cidr.h"

static struct cidr
P(const char *text) {
	struct cidr c;
	char why[CIDR_WHY_MAX];

	if (!cidr_parse(text, &c, why, sizeof(why)))
		fail_msg("cidr_parse(%s): %s", text, why);
	return c;
}

static struct ip_addr
A(const char *text) {
	struct ip_addr a;

	if (!ip_parse(text, &a))
		fail_msg("ip_parse(%s) failed", text);
	return a;
}

/* The block matched for text, formatted, or "-" */
static const char *
match(const struct cidr_index *idx, const char *text, int64_t *first)
{
	static char buf[CIDR_TEXT_MAX];
	struct ip_addr a = A(text);
	struct cidr m;
	int64_t v[CIDR_MAX_VALUES];
	size_t n = cidr_index_lookup(idx, &a, v, CIDR_MAX_VALUES, &m);

	if (n == 0)
		return "-";
	if (first != NULL)
		*first = v[0];
	cidr_format(&m, buf, sizeof(buf));
	return buf;
}

static enum cs_err
add(struct cidr_index *idx, const char *text, int64_t v)
{
	struct cidr c = P(text);

	return cidr_index_add(idx, &c, v);
}

static enum cs_err
rm(struct cidr_index *idx, const char *text, int64_t v)
{
	struct cidr c = P(text);

	return cidr_index_remove(idx, &c, v);
}

static void
test_parse_ok(void **state)
{
	static const struct {
		const char *in, *canon;
	} cases[] = {
	    {"10.0.0.0/8", "10.0.0.0/8"},
	    {"0.0.0.0/0", "0.0.0.0/0"},
	    {"192.0.2.1", "192.0.2.1/32"},
	    {"255.255.255.255/32", "255.255.255.255/32"},
	    {"2001:db8::/32", "2001:db8::/32"},
	    {"2001:DB8:0000::/48", "2001:db8::/48"},
	    {"::/0", "::/0"},
	    {"::1", "::1/128"},
	    {"::", "::/128"},
	    {"fe80::1:2", "fe80::1:2/128"},
	    {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128"},
	    {"1::", "1::/128"},
	    {"::ffff:10.0.0.0/104", "::ffff:10.0.0.0/104"},
	    {"64:ff9b::192.0.2.33", "64:ff9b::c000:221/128"},
	};
	struct cidr c;
	char why[CIDR_WHY_MAX], out[CIDR_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cidr_parse(cases[i].in, &c, why, sizeof(why)))
			fail_msg("%s: %s", cases[i].in, why);
		cidr_format(&c, out, sizeof(out));
		assert_string_equal(out, cases[i].canon);
	}
	c = P("::ffff:10.0.0.0/104");
	assert_int_equal(c.addr.family, 6); /* kept as IPv6 text */
}

static void
test_parse_reject(void **state)
{
	static const char *const bad[] = {
	    "",
	    "10.0.0.0/33",
	    "300.1.1.1",
	    "256.0.0.0/8",
	    "010.0.0.1",
	    "10.0.0.01",
	    "1.2.3",
	    "1.2.3.4.5",
	    "1.2.3.4/",
	    "1.2.3.4/08",
	    "1.2.3.4/-1",
	    "1.2.3.4/+8",
	    "1.2.3.4/32x",
	    "1.2.3.4x",
	    " 10.0.0.0/8",
	    "10.0.0.0/8 ",
	    "10.0.0.0 /8",
	    "10.0.0.0\t/8",
	    "1..2.3",
	    ".1.2.3.4",
	    "1.2.3.4.",
	    "2001:db8::/129",
	    "2001:db8:::/32",
	    "2001::db8::1",
	    ":1::",
	    "1::2:",
	    "1:2:3:4:5:6:7:8:9",
	    "1:2:3:4:5:6:7",
	    "1:2:3:4:5:6:7:8::",
	    "12345::",
	    "g::1",
	    "fe80::1%eth0",
	    "::ffff:1.2.3",
	    "::ffff:01.2.3.4",
	    "1:2:3:4:5:6:7:1.2.3.4",
	    "/8",
	    "10.0.0.0/8/8",
	    "abc",
	    "10.0.0.0/1234",
	};
	struct cidr c;
	char why[CIDR_WHY_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (cidr_parse(bad[i], &c, why, sizeof(why)))
			fail_msg("accepted: \"%s\"", bad[i]);
		if (why[0] == '\0')
			fail_msg("no reason for \"%s\"", bad[i]);
	}
	assert_false(cidr_parse(NULL, &c, NULL, 0));
	assert_false(ip_parse("10.0.0.0/8", &(struct ip_addr){0}));
	assert_false(ip_parse("", &(struct ip_addr){0}));
	assert_false(ip_parse("010.1.1.1", &(struct ip_addr){0}));
}

static void
test_parse_reasons(void **state)
{
	struct cidr c;
	char why[CIDR_WHY_MAX], out[CIDR_TEXT_MAX];

	(void)state;
	assert_false(cidr_parse("10.0.0.1/8", &c, why, sizeof(why)));
	assert_string_equal(why, "host bits set: the network is 10.0.0.0/8");
	cidr_format(&c, out, sizeof(out));
	assert_string_equal(out, "10.0.0.0/8");
	assert_false(cidr_parse("2001:db8::1/32", &c, why, sizeof(why)));
	assert_string_equal(why, "host bits set: the network is 2001:db8::/32");
	assert_false(cidr_parse("10.0.0.0/33", &c, why, sizeof(why)));
	assert_string_equal(why, "prefix length above 32 for an IPv4 block");
	assert_false(cidr_parse("010.0.0.1", &c, why, sizeof(why)));
	assert_string_equal(why, "leading zero in an IPv4 octet");
	assert_false(cidr_parse("300.1.1.1", &c, why, sizeof(why)));
	assert_string_equal(why, "IPv4 octet above 255");
	assert_false(cidr_parse("", &c, why, sizeof(why)));
	assert_string_equal(why, "empty");
	/* a short reason buffer truncates, never overflows */
	assert_false(cidr_parse("10.0.0.1/8", &c, why, 5));
	assert_string_equal(why, "host");
}

static void
test_format_rfc5952(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"2001:db8::1", "2001:db8::1"},
	    {"::", "::"},
	    {"::1", "::1"},
	    {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
	    {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
	    {"2001:DB8::ABCD", "2001:db8::abcd"},
	    {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"}, /* one 0 */
	    {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},          /* longest */
	    {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},              /* first */
	    {"0:0:0:0:0:0:0:1", "::1"},
	    {"1:0:0:0:0:0:0:0", "1::"},
	    {"fe80:0:0:0:0:0:0:0", "fe80::"},
	    {"0:1:0:0:0:0:0:0", "0:1::"},
	};
	struct ip_addr a;
	char out[CIDR_TEXT_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		a = A(cases[i].in);
		ip_format(&a, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
	}
	/* truncation keeps a terminated string */
	a = A("2001:db8::1");
	ip_format(&a, out, 6);
	assert_string_equal(out, "2001:");
}

static void
test_mapped(void **state)
{
	struct cidr_index *idx = cidr_index_new(100);
	struct ip_addr a = A("::ffff:192.0.2.7");
	struct cidr m;
	int64_t v[4], got = 0;
	char out[CIDR_TEXT_MAX];

	(void)state;
	assert_int_equal(a.family, 4);
	ip_format(&a, out, sizeof(out));
	assert_string_equal(out, "192.0.2.7");
	a = A("::FFFF:c000:0207");
	assert_int_equal(a.family, 4);
	assert_int_equal(add(idx, "::/0", 1), CS_OK);
	/* IPv4 never matches an IPv6 block, not even ::/0 */
	assert_string_equal(match(idx, "192.0.2.7", NULL), "-");
	assert_string_equal(match(idx, "::ffff:192.0.2.7", NULL), "-");
	assert_string_equal(match(idx, "::192.0.2.7", NULL), "::/0");
	/* a mapped block is stored as the IPv4 block */
	assert_int_equal(add(idx, "::ffff:0:0/96", 2), CS_OK);
	assert_string_equal(match(idx, "192.0.2.7", &got), "0.0.0.0/0");
	assert_int_equal(got, 2);
	m = P("::ffff:192.0.2.0/120");
	assert_int_equal(cidr_index_add(idx, &m, 3), CS_OK);
	assert_string_equal(match(idx, "::ffff:192.0.2.9", &got),
	                    "192.0.2.0/24");
	assert_int_equal(got, 3);
	/* an address given as a raw mapped IPv6 struct is normalised too */
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.b[10] = a.b[11] = 0xff;
	a.b[12] = 192;
	a.b[14] = 2;
	assert_int_equal(cidr_index_lookup(idx, &a, v, 4, &m), 1);
	assert_int_equal(v[0], 3);
	assert_int_equal(rm(idx, "0.0.0.0/0", 2), CS_OK);
	assert_int_equal(cidr_index_count(idx), 2);
	cidr_index_free(idx);
}

static void
test_nested(void **state)
{
	struct cidr_index *idx = cidr_index_new(100);
	int64_t got = 0;
	struct cidr c;

	(void)state;
	assert_string_equal(match(idx, "10.1.2.3", NULL), "-");
	c = P("10.0.0.0/8");
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_OK);
	c = P("10.1.0.0/16");
	assert_int_equal(cidr_index_add(idx, &c, 2), CS_OK);
	c = P("10.1.2.0/24");
	assert_int_equal(cidr_index_add(idx, &c, 3), CS_OK);
	c = P("10.1.2.3");
	assert_int_equal(cidr_index_add(idx, &c, 4), CS_OK);
	c = P("10.128.0.0/9");
	assert_int_equal(cidr_index_add(idx, &c, 5), CS_OK);
	assert_int_equal(cidr_index_count(idx), 5);

	assert_string_equal(match(idx, "10.1.2.3", &got), "10.1.2.3/32");
	assert_int_equal(got, 4);
	assert_string_equal(match(idx, "10.1.2.4", &got), "10.1.2.0/24");
	assert_string_equal(match(idx, "10.1.3.4", &got), "10.1.0.0/16");
	assert_string_equal(match(idx, "10.2.3.4", &got), "10.0.0.0/8");
	assert_string_equal(match(idx, "10.200.3.4", &got), "10.128.0.0/9");
	assert_string_equal(match(idx, "11.0.0.0", NULL), "-");
	assert_string_equal(match(idx, "9.255.255.255", NULL), "-");

	/* removing an inner block restores the outer match */
	c = P("10.1.2.0/24");
	assert_int_equal(cidr_index_remove(idx, &c, 3), CS_OK);
	assert_int_equal(cidr_index_remove(idx, &c, 3), CS_E_NOTFOUND);
	assert_string_equal(match(idx, "10.1.2.4", &got), "10.1.0.0/16");
	assert_string_equal(match(idx, "10.1.2.3", &got), "10.1.2.3/32");
	c = P("10.1.0.0/16");
	assert_int_equal(cidr_index_remove(idx, &c, 2), CS_OK);
	assert_string_equal(match(idx, "10.1.2.4", &got), "10.0.0.0/8");
	c = P("10.0.0.0/8");
	assert_int_equal(cidr_index_remove(idx, &c, 1), CS_OK);
	assert_string_equal(match(idx, "10.1.2.4", &got), "-");
	assert_string_equal(match(idx, "10.1.2.3", &got), "10.1.2.3/32");
	/* a branch-only prefix is not a registered block */
	c = P("10.0.0.0/8");
	assert_int_equal(cidr_index_remove(idx, &c, 1), CS_E_NOTFOUND);
	c = P("10.1.2.3/32");
	assert_int_equal(cidr_index_remove(idx, &c, 4), CS_OK);
	c = P("10.128.0.0/9");
	assert_int_equal(cidr_index_remove(idx, &c, 5), CS_OK);
	assert_int_equal(cidr_index_count(idx), 0);
	assert_string_equal(match(idx, "10.200.3.4", NULL), "-");
	cidr_index_free(idx);
}

static void
test_extremes(void **state)
{
	struct cidr_index *idx = cidr_index_new(100);
	struct cidr c;
	int64_t got = 0;

	(void)state;
	c = P("0.0.0.0/0");
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_OK);
	c = P("::/0");
	assert_int_equal(cidr_index_add(idx, &c, 2), CS_OK);
	c = P("255.255.255.255/32");
	assert_int_equal(cidr_index_add(idx, &c, 3), CS_OK);
	c = P("0.0.0.0/32");
	assert_int_equal(cidr_index_add(idx, &c, 4), CS_OK);
	c = P("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_int_equal(cidr_index_add(idx, &c, 5), CS_OK);
	c = P("::/128");
	assert_int_equal(cidr_index_add(idx, &c, 6), CS_OK);
	c = P("2001:db8::1/128");
	assert_int_equal(cidr_index_add(idx, &c, 7), CS_OK);

	assert_string_equal(match(idx, "1.2.3.4", &got), "0.0.0.0/0");
	assert_int_equal(got, 1);
	assert_string_equal(match(idx, "255.255.255.255", &got),
	                    "255.255.255.255/32");
	assert_string_equal(match(idx, "255.255.255.254", &got), "0.0.0.0/0");
	assert_string_equal(match(idx, "0.0.0.0", &got), "0.0.0.0/32");
	assert_string_equal(match(idx, "0.0.0.1", &got), "0.0.0.0/0");
	assert_string_equal(match(idx, "2001:db8::1", &got), "2001:db8::1/128");
	assert_int_equal(got, 7);
	assert_string_equal(match(idx, "2001:db8::2", &got), "::/0");
	assert_int_equal(got, 2);
	assert_string_equal(match(idx, "::", &got), "::/128");
	assert_string_equal(
	    match(idx, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &got),
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	c = P("0.0.0.0/0");
	assert_int_equal(cidr_index_remove(idx, &c, 1), CS_OK);
	assert_string_equal(match(idx, "1.2.3.4", &got), "-");
	assert_string_equal(match(idx, "2001:db8::2", &got), "::/0");
	cidr_index_free(idx);
}

static void
test_values_and_limits(void **state)
{
	struct cidr_index *idx = cidr_index_new(3), *copy;
	struct cidr c = P("192.0.2.0/24"), m;
	struct ip_addr a = A("192.0.2.1");
	int64_t v[CIDR_MAX_VALUES + 2];
	size_t n;

	(void)state;
	for (int64_t i = 0; i < CIDR_MAX_VALUES; i++)
		assert_int_equal(cidr_index_add(idx, &c, 100 + i), CS_OK);
	assert_int_equal(cidr_index_add(idx, &c, 999), CS_E_TOOBIG);
	assert_int_equal(cidr_index_add(idx, &c, 100), CS_E_CONFLICT);
	assert_int_equal(cidr_index_count(idx), 1);
	n = cidr_index_lookup(idx, &a, v, CIDR_MAX_VALUES + 2, &m);
	assert_int_equal(n, CIDR_MAX_VALUES);
	for (int i = 0; i < CIDR_MAX_VALUES; i++)
		assert_int_equal(v[i], 100 + i);
	/* a short buffer still reports how many there are */
	v[1] = -1;
	assert_int_equal(cidr_index_lookup(idx, &a, v, 1, NULL),
	                 CIDR_MAX_VALUES);
	assert_int_equal(v[0], 100);
	assert_int_equal(v[1], -1);
	/* removal keeps the order of the others */
	assert_int_equal(cidr_index_remove(idx, &c, 103), CS_OK);
	assert_int_equal(cidr_index_remove(idx, &c, 103), CS_E_NOTFOUND);
	assert_int_equal(cidr_index_remove(idx, &c, 4242), CS_E_NOTFOUND);
	n = cidr_index_lookup(idx, &a, v, CIDR_MAX_VALUES, NULL);
	assert_int_equal(n, CIDR_MAX_VALUES - 1);
	assert_int_equal(v[2], 102);
	assert_int_equal(v[3], 104);

	/* max_entries counts blocks: at the limit, then limit + 1 */
	c = P("198.51.100.0/24");
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_OK);
	c = P("2001:db8::/32");
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_OK);
	assert_int_equal(cidr_index_count(idx), 3);
	c = P("203.0.113.0/24");
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_E_TOOBIG);
	c = P("2001:db8::/32");
	assert_int_equal(cidr_index_add(idx, &c, 2), CS_OK); /* not new */

	/* blocks that cannot be valid */
	memset(&c, 0, sizeof(c));
	c.addr.family = 4;
	c.len = 33;
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_E_INVAL);
	c.len = 8;
	c.addr.b[3] = 1; /* host bits */
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_E_INVAL);
	assert_int_equal(cidr_index_remove(idx, &c, 1), CS_E_INVAL);
	c.addr.family = 5;
	assert_int_equal(cidr_index_add(idx, &c, 1), CS_E_INVAL);
	a.family = 0;
	assert_int_equal(cidr_index_lookup(idx, &a, v, 1, NULL), 0);

	/* a clone is independent */
	copy = cidr_index_clone(idx);
	c = P("192.0.2.0/24");
	for (int64_t i = 0; i < CIDR_MAX_VALUES; i++)
		(void)cidr_index_remove(idx, &c, 100 + i);
	a = A("192.0.2.1");
	assert_int_equal(cidr_index_lookup(idx, &a, v, 1, NULL), 0);
	assert_int_equal(cidr_index_lookup(copy, &a, v, 1, NULL),
	                 CIDR_MAX_VALUES - 1);
	assert_true(cidr_index_memory(copy) > 0);
	cidr_index_free(copy);
	cidr_index_free(idx);
	cidr_index_free(NULL);
}

static void
test_lookup_text(void **state)
{
	struct cidr_index *idx = cidr_index_new(10);
	struct cidr c = P("2001:db8::/32"), m;
	struct ip_addr a;
	int64_t v[2];
	size_t n = 99;

	(void)state;
	assert_int_equal(cidr_index_add(idx, &c, 42), CS_OK);
	assert_int_equal(
	    cidr_index_lookup_text(idx, "2001:db8:1::5", v, 2, &n, &m), CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 42);
	assert_int_equal(m.len, 32);
	assert_int_equal(
	    cidr_index_lookup_text(idx, "2001:db9::5", v, 2, &n, NULL), CS_OK);
	assert_int_equal(n, 0);
	assert_int_equal(
	    cidr_index_lookup_text(idx, "2001:db8::/32", v, 2, &n, NULL),
	    CS_E_INVAL);
	a = A("2001:db8::9");
	assert_true(cidr_contains(&c, &a));
	a = A("10.0.0.1");
	assert_false(cidr_contains(&c, &a));
	cidr_index_free(idx);
}

/* ---- randomized cross-check against a linear scan ------------------- */

static uint64_t
xs_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void
random_block(uint64_t *s, struct cidr *c)
{
	unsigned max;

	memset(c, 0, sizeof(*c));
	c->addr.family = (xs_next(s) % 4 == 0) ? 6 : 4;
	max = c->addr.family == 4 ? 32 : 128;
	/* few distinct top bits, so blocks overlap and nest a lot */
	for (unsigned i = 0; i < max / 8; i++)
		c->addr.b[i] = (uint8_t)xs_next(s);
	c->addr.b[0] &= 0x83;
	c->addr.b[1] &= 0xf1;
	if (c->addr.family == 6 && c->addr.b[0] == 0)
		c->addr.b[0] = 0x80; /* keep clear of ::ffff:0:0/96 */
	c->len = (uint8_t)(xs_next(s) % (max + 1));
	for (unsigned i = c->len; i < max; i++)
		c->addr.b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

struct ref {
	struct cidr c;
	int64_t v;
	int live;
};

/* The longest live block containing a; its first-added live value. */
static int
ref_lookup(const struct ref *r, size_t n, const struct ip_addr *a,
           int64_t *v_out, size_t *count_out)
{
	int best = -1;

	*count_out = 0;
	for (size_t i = 0; i < n; i++) {
		if (!r[i].live || !cidr_contains(&r[i].c, a))
			continue;
		if (best < 0 || r[i].c.len > r[best].c.len) {
			best = (int)i;
			*v_out = r[i].v;
			*count_out = 1;
		} else if (r[i].c.len == r[best].c.len) {
			(*count_out)++;
		}
	}
	return best;
}

static void
cross_check(const struct cidr_index *idx, const struct ref *r, size_t n,
            uint64_t *s, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		struct ip_addr a;
		struct cidr m;
		int64_t v[CIDR_MAX_VALUES], rv = 0;
		size_t got, want;
		int best;

		memset(&a, 0, sizeof(a));
		if (i % 2 == 0) { /* inside some block */
			a = r[xs_next(s) % n].c.addr;
			for (unsigned j = 12; j < 16; j++)
				a.b[j] ^= (uint8_t)xs_next(s);
			if (a.family == 4)
				a.b[3] ^= (uint8_t)xs_next(s);
		} else {
			a.family = (xs_next(s) % 4 == 0) ? 6 : 4;
			for (unsigned j = 0; j < (a.family == 4 ? 4u : 16u);
			     j++)
				a.b[j] = (uint8_t)xs_next(s);
			a.b[0] &= 0x83;
			a.b[1] &= 0xf1;
			if (a.family == 6 && a.b[0] == 0)
				a.b[0] = 0x80;
		}
		if (a.family == 4)
			memset(a.b + 4, 0, 12);
		best = ref_lookup(r, n, &a, &rv, &want);
		got = cidr_index_lookup(idx, &a, v, CIDR_MAX_VALUES, &m);
		if (got != want) {
			char t[CIDR_TEXT_MAX], b[CIDR_TEXT_MAX] = "-";

			ip_format(&a, t, sizeof(t));
			if (best >= 0)
				cidr_format(&r[best].c, b, sizeof(b));
			fail_msg(
			    "round %d %s: %zu values, expected %zu from %s", i,
			    t, got, want, b);
		}
		if (best >= 0) {
			assert_int_equal(m.len, r[best].c.len);
			assert_memory_equal(&m.addr, &r[best].c.addr,
			                    sizeof(m.addr));
			/* the order of values changes with re-adds */
			for (size_t j = 0;; j++) {
				assert_true(j < got);
				if (v[j] == rv)
					break;
			}
		}
	}
}

static void
test_random_cross_check(void **state)
{
	enum { NBLOCKS = 5000, NADDR = 50000 };
	struct ref *r = calloc(NBLOCKS, sizeof(*r));
	struct cidr_index *idx = cidr_index_new(NBLOCKS);
	uint64_t s = UINT64_C(0x9e3779b97f4a7c15);
	size_t live = 0;

	(void)state;
	assert_non_null(r);
	for (size_t i = 0; i < NBLOCKS; i++) {
		enum cs_err err;

		random_block(&s, &r[i].c);
		r[i].v = (int64_t)i;
		err = cidr_index_add(idx, &r[i].c, r[i].v);
		/* a block may come up again: it takes a second value */
		assert_true(err == CS_OK || err == CS_E_TOOBIG);
		r[i].live = err == CS_OK;
	}
	for (size_t i = 0; i < NBLOCKS; i++)
		live += r[i].live != 0;
	assert_true(cidr_index_count(idx) <= live);
	cross_check(idx, r, NBLOCKS, &s, NADDR);

	/* remove two thirds in random order, check, add half back */
	for (size_t i = 0; i < NBLOCKS; i++) {
		size_t j = xs_next(&s) % NBLOCKS;

		if (r[j].live && xs_next(&s) % 3 != 0) {
			assert_int_equal(
			    cidr_index_remove(idx, &r[j].c, r[j].v), CS_OK);
			r[j].live = 0;
		}
	}
	cross_check(idx, r, NBLOCKS, &s, NADDR / 2);
	for (size_t i = 0; i < NBLOCKS; i += 2) {
		if (!r[i].live) {
			enum cs_err err = cidr_index_add(idx, &r[i].c, r[i].v);

			assert_true(err == CS_OK || err == CS_E_TOOBIG);
			r[i].live = err == CS_OK;
		}
	}
	cross_check(idx, r, NBLOCKS, &s, NADDR / 2);
	/* and everything away: the index is empty again */
	for (size_t i = 0; i < NBLOCKS; i++) {
		if (r[i].live)
			assert_int_equal(
			    cidr_index_remove(idx, &r[i].c, r[i].v), CS_OK);
		r[i].live = 0;
	}
	assert_int_equal(cidr_index_count(idx), 0);
	cross_check(idx, r, 1, &s, 1000);
	cidr_index_free(idx);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ok),
	    cmocka_unit_test(test_parse_reject),
	    cmocka_unit_test(test_parse_reasons),
	    cmocka_unit_test(test_format_rfc5952),
	    cmocka_unit_test(test_mapped),
	    cmocka_unit_test(test_nested),
	    cmocka_unit_test(test_extremes),
	    cmocka_unit_test(test_values_and_limits),
	    cmocka_unit_test(test_lookup_text),
	    cmocka_unit_test(test_random_cross_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
