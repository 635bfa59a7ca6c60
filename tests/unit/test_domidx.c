/*
 * test_domidx.c - domain validation and the suffix index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/domidx.h"

static void
test_normalise_ok(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"example.com", "example.com"},
	    {"Example.COM.", "example.com"},
	    {"a.b.c.d.example.org", "a.b.c.d.example.org"},
	    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
	    {"1.2.3.example", "1.2.3.example"},
	    {"a-b.c-d", "a-b.c-d"},
	    {"123.com", "123.com"},
	};
	char out[DOMIDX_NAME_MAX + 1];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!domidx_normalise(cases[i].in, out, &why))
			fail_msg("%s: %s", cases[i].in, why);
		assert_null(why);
		assert_string_equal(out, cases[i].out);
	}
}

static void
test_normalise_reject(void **state)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
	    {"", "empty name"},
	    {".", "empty name"},
	    {"example..com", "empty label (leading dot or two dots)"},
	    {".example.com", "empty label (leading dot or two dots)"},
	    {"example.com..", "empty label (leading dot or two dots)"},
	    {"com", "a domain has at least two labels"},
	    {"-a.com", "label starts or ends with a hyphen"},
	    {"a-.com", "label starts or ends with a hyphen"},
	    {"a.-com", "label starts or ends with a hyphen"},
	    {"ex ample.com",
	     "invalid character: labels hold letters, digits and hyphens"},
	    {"_dmarc.example.com",
	     "invalid character: labels hold letters, digits and hyphens"},
	    {"exa*mple.com",
	     "invalid character: labels hold letters, digits and hyphens"},
	    {"b\xc3\xbc"
	     "cher.example",
	     "non-ASCII name: give internationalised names in their xn-- "
	     "form"},
	    {"192.0.2.1", "the last label is numeric (an IP address?)"},
	};
	char out[DOMIDX_NAME_MAX + 1];
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (domidx_normalise(cases[i].in, out, &why))
			fail_msg("accepted: %s", cases[i].in);
		assert_string_equal(why, cases[i].why);
	}
	assert_false(domidx_normalise(NULL, out, &why));
	assert_false(domidx_normalise("x.y", out, NULL) == false);
}

static void
test_lengths(void **state)
{
	char name[400], out[DOMIDX_NAME_MAX + 1];
	const char *why;

	(void)state;
	/* a 63-character label is fine, 64 is not */
	memset(name, 'a', 63);
	memcpy(name + 63, ".com", 5);
	assert_true(domidx_normalise(name, out, &why));
	memset(name, 'a', 64);
	memcpy(name + 64, ".com", 5);
	assert_false(domidx_normalise(name, out, &why));
	assert_string_equal(why, "label longer than 63 characters");

	/* 253 characters (plus a trailing dot) fine, 254 not */
	for (int i = 0; i < 253; i++)
		name[i] = (i % 2) ? '.' : 'a';
	name[253] = '\0';
	assert_true(domidx_normalise(name, out, &why));
	name[253] = '.';
	name[254] = '\0';
	assert_true(domidx_normalise(name, out, &why));
	assert_int_equal(strlen(out), 253);
	name[253] = 'a';
	name[252] = 'b';
	assert_false(domidx_normalise(name, out, &why));
	assert_string_equal(why, "name longer than 253 characters");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_false(domidx_normalise(name, out, &why));
}

static size_t
look(const struct domidx *d, const char *name, int64_t *v0, char *m)
{
	int64_t v[DOMIDX_MAX_VALUES];
	size_t n = domidx_lookup(d, name, v, DOMIDX_MAX_VALUES, m);

	if (n > 0 && v0 != NULL)
		*v0 = v[0];
	return n;
}

static void
test_suffix_match(void **state)
{
	struct domidx *d = domidx_new(100);
	char m[DOMIDX_NAME_MAX + 1];
	int64_t v = 0;

	(void)state;
	assert_int_equal(look(d, "example.com", &v, m), 0);
	assert_int_equal(domidx_add(d, "Example.com.", 1), CS_OK);
	assert_int_equal(domidx_add(d, "dept.example.com", 2), CS_OK);
	assert_int_equal(domidx_add(d, "example.org", 3), CS_OK);
	assert_int_equal(domidx_add(d, "co.uk", 4), CS_OK);
	assert_int_equal(domidx_count(d), 4);

	assert_int_equal(look(d, "example.com", &v, m), 1);
	assert_int_equal(v, 1);
	assert_string_equal(m, "example.com");
	assert_int_equal(look(d, "WWW.Example.Com.", &v, m), 1);
	assert_string_equal(m, "example.com");
	assert_int_equal(look(d, "a.b.dept.example.com", &v, m), 1);
	assert_int_equal(v, 2);
	assert_string_equal(m, "dept.example.com");
	assert_int_equal(look(d, "xdept.example.com", &v, m), 1);
	assert_string_equal(m, "example.com");
	/* label boundary */
	assert_int_equal(look(d, "badexample.com", &v, m), 0);
	assert_string_equal(m, "");
	assert_int_equal(look(d, "example.com.evil.net", &v, m), 0);
	assert_int_equal(look(d, "com", &v, m), 0);
	assert_int_equal(look(d, "foo.co.uk", &v, m), 1);
	assert_int_equal(v, 4);
	/* lookups allow underscores and reject garbage */
	assert_int_equal(look(d, "_dmarc.example.org", &v, m), 1);
	assert_int_equal(v, 3);
	assert_int_equal(look(d, "a..example.org", &v, m), 0);
	assert_int_equal(look(d, "", &v, m), 0);
	assert_int_equal(look(d, NULL, &v, NULL), 0);
	assert_int_equal(look(d, "a b.example.org", &v, m), 0);

	/* removing the inner domain restores the outer match */
	assert_int_equal(domidx_remove(d, "dept.example.com", 2), CS_OK);
	assert_int_equal(domidx_remove(d, "dept.example.com", 2),
	                 CS_E_NOTFOUND);
	assert_int_equal(look(d, "a.b.dept.example.com", &v, m), 1);
	assert_int_equal(v, 1);
	assert_int_equal(domidx_remove(d, "example.com", 9), CS_E_NOTFOUND);
	assert_int_equal(domidx_remove(d, "example..com", 1), CS_E_INVAL);
	assert_int_equal(domidx_remove(d, "EXAMPLE.com", 1), CS_OK);
	assert_int_equal(look(d, "a.b.dept.example.com", &v, m), 0);
	assert_int_equal(domidx_count(d), 2);
	domidx_free(d);
	domidx_free(NULL);
}

static void
test_values_limits_clone(void **state)
{
	struct domidx *d = domidx_new(2), *c;
	int64_t v[DOMIDX_MAX_VALUES];

	(void)state;
	for (int64_t i = 0; i < DOMIDX_MAX_VALUES; i++)
		assert_int_equal(domidx_add(d, "example.net", 10 + i), CS_OK);
	assert_int_equal(domidx_add(d, "example.net", 99), CS_E_TOOBIG);
	assert_int_equal(domidx_add(d, "example.net", 10), CS_E_CONFLICT);
	assert_int_equal(domidx_add(d, "example..net", 10), CS_E_INVAL);
	assert_int_equal(domidx_lookup(d, "x.example.net", v, 3, NULL),
	                 DOMIDX_MAX_VALUES);
	assert_int_equal(v[2], 12);
	assert_int_equal(domidx_remove(d, "example.net", 10), CS_OK);
	assert_int_equal(
	    domidx_lookup(d, "x.example.net", v, DOMIDX_MAX_VALUES, NULL),
	    DOMIDX_MAX_VALUES - 1);
	assert_int_equal(v[0], 11);
	assert_int_equal(v[6], 17);
	/* max_entries counts domains: at the limit, then limit + 1 */
	assert_int_equal(domidx_add(d, "example.org", 1), CS_OK);
	assert_int_equal(domidx_add(d, "example.edu", 1), CS_E_TOOBIG);

	c = domidx_clone(d);
	assert_int_equal(domidx_remove(d, "example.org", 1), CS_OK);
	assert_int_equal(domidx_lookup(d, "example.org", v, 1, NULL), 0);
	assert_int_equal(domidx_lookup(c, "example.org", v, 1, NULL), 1);
	assert_int_equal(domidx_lookup(c, "a.example.net", v, 1, NULL),
	                 DOMIDX_MAX_VALUES - 1);
	assert_true(domidx_memory(c) > 0);
	domidx_free(c);
	domidx_free(d);
}

/* Many names, removals in random order: backward-shift deletion must keep
 * every remaining name reachable. */
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
test_churn(void **state)
{
	enum { N = 20000 };
	struct domidx *d = domidx_new(N);
	static char live[N];
	uint64_t s = 42;
	char name[64];
	int64_t v;

	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "h%d.example%d.com", i, i % 97);
		assert_int_equal(domidx_add(d, name, i), CS_OK);
		live[i] = 1;
	}
	for (int r = 0; r < N; r++) {
		int i = (int)(xs_next(&s) % N);

		if (!live[i])
			continue;
		snprintf(name, sizeof(name), "h%d.example%d.com", i, i % 97);
		assert_int_equal(domidx_remove(d, name, i), CS_OK);
		live[i] = 0;
	}
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "x.h%d.example%d.com", i, i % 97);
		v = -1;
		assert_int_equal(look(d, name, &v, NULL), live[i] ? 1 : 0);
		if (live[i])
			assert_int_equal(v, i);
	}
	domidx_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise_ok),
	    cmocka_unit_test(test_normalise_reject),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_suffix_match),
	    cmocka_unit_test(test_values_limits_clone),
	    cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
