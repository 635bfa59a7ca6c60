/* test_proxies.c - the client's address behind trusted reverse proxies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/proxies.h"

static const char *
client(const char *trusted, const char *peer, const char *xff)
{
	static char out[64];
	struct proxies p;
	char why[128];

	assert_true(proxies_parse(trusted, &p, why, sizeof(why)));
	proxies_client(&p, peer, xff, out, sizeof(out));
	return out;
}

static void
test_parse(void **state)
{
	struct proxies p;
	char why[128];

	(void)state;
	assert_true(proxies_parse("", &p, why, sizeof(why)));
	assert_int_equal(p.n, 0);
	assert_true(proxies_parse("127.0.0.1, 10.0.0.0/8 ::1 fd00::/8", &p, why,
	                          sizeof(why)));
	assert_int_equal(p.n, 4);
	assert_false(proxies_parse("10.0.0.0/33", &p, why, sizeof(why)));
	assert_non_null(strstr(why, "10.0.0.0/33"));
	assert_false(proxies_parse("proxy.example", &p, why, sizeof(why)));
	assert_false(proxies_parse("10.0.0.1/8", &p, why, sizeof(why)));
}

static void
test_untrusted_peer_is_the_client(void **state)
{
	(void)state;
	assert_string_equal(client("", "192.0.2.1", "198.51.100.7"),
	                    "192.0.2.1");
	assert_string_equal(client("10.0.0.0/8", "192.0.2.1", "198.51.100.7"),
	                    "192.0.2.1");
	assert_string_equal(client("10.0.0.0/8", "10.1.1.1", NULL), "10.1.1.1");
}

static void
test_rightmost_untrusted(void **state)
{
	(void)state;
	assert_string_equal(client("10.0.0.0/8", "10.1.1.1", "198.51.100.7"),
	                    "198.51.100.7");
	/* the client forged the left-most entry: ignored */
	assert_string_equal(
	    client("10.0.0.0/8", "10.1.1.1", "203.0.113.9, 198.51.100.7"),
	    "198.51.100.7");
	/* two proxies in a row */
	assert_string_equal(client("10.0.0.0/8", "10.1.1.1",
	                           "203.0.113.9,198.51.100.7 , 10.2.2.2"),
	                    "198.51.100.7");
	assert_string_equal(
	    client("::1 2001:db8::/32", "::1", "2001:db8::5, 2001:DB8:1::7"),
	    "2001:db8::5");
}

static void
test_garbage_stops_the_walk(void **state)
{
	(void)state;
	/* an unparsable hop: believe nothing left of it, keep what we had */
	assert_string_equal(client("10.0.0.0/8", "10.1.1.1", "unknown"),
	                    "10.1.1.1");
	assert_string_equal(
	    client("10.0.0.0/8", "10.1.1.1", "198.51.100.7, _hidden, 10.3.3.3"),
	    "10.3.3.3");
	assert_string_equal(client("10.0.0.0/8", "10.1.1.1", ""), "10.1.1.1");
	assert_string_equal(client("10.0.0.0/8", "10.1.1.1", " , "),
	                    "10.1.1.1");
	/* every hop trusted: the left-most one */
	assert_string_equal(client("10.0.0.0/8", "10.1.1.1", "10.9.9.9"),
	                    "10.9.9.9");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_untrusted_peer_is_the_client),
	    cmocka_unit_test(test_rightmost_untrusted),
	    cmocka_unit_test(test_garbage_stops_the_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
