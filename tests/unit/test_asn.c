/*
 * test_asn.c - the pyasn table loader (errors with line numbers, bounds),
 * longest-prefix lookup on IPv4 and IPv6, absent-only enrichment and the
 * reload holder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pipeline/asn.h"

static const char TABLE[] = "; IP-ASN32-DAT file\n"
                            "; converted by hand\n"
                            "10.0.0.0/8\t100\n"
                            "10.1.0.0/16\t101\n"
                            "10.1.7.0/24\t107\r\n"
                            "\n"
                            "192.0.2.0/24\t4294967295\n"
                            "2001:db8::/32\t600\n"
                            "2001:db8:1::/48\t601\n";

static struct asn_table *
load(const char *text)
{
	struct asn_table *t = NULL;
	char why[ASN_WHY_MAX] = "";

	if (asn_table_load_text(text, strlen(text), 100, &t, why) != CS_OK)
		fail_msg("load: %s", why);
	return t;
}

static struct ip_addr
A(const char *text) {
	struct ip_addr a;

	if (!ip_parse(text, &a))
		fail_msg("ip_parse(%s)", text);
	return a;
}

static void
expect_match(const struct asn_table *t, const char *ip, uint32_t asn,
             const char *net)
{
	struct ip_addr a = A(ip);
	struct cidr m;
	char text[CIDR_TEXT_MAX];
	uint32_t got = 0;

	if (!asn_table_lookup(t, &a, &got, &m))
		fail_msg("%s: no match", ip);
	cidr_format(&m, text, sizeof(text));
	assert_int_equal(got, asn);
	assert_string_equal(text, net);
}

static void
test_longest_prefix(void **state)
{
	struct asn_table *t = load(TABLE);
	struct ip_addr a;
	uint32_t asn = 7;

	(void)state;
	assert_int_equal(asn_table_count(t), 6);
	expect_match(t, "10.200.0.1", 100, "10.0.0.0/8");
	expect_match(t, "10.1.200.1", 101, "10.1.0.0/16");
	expect_match(t, "10.1.7.255", 107, "10.1.7.0/24");
	expect_match(t, "10.1.8.0", 101, "10.1.0.0/16");
	expect_match(t, "192.0.2.9", 4294967295u, "192.0.2.0/24");
	expect_match(t, "2001:db8:ffff::1", 600, "2001:db8::/32");
	expect_match(t, "2001:db8:1:2::1", 601, "2001:db8:1::/48");
	/* an IPv4-mapped address is the IPv4 address */
	expect_match(t, "::ffff:10.1.7.1", 107, "10.1.7.0/24");
	a = A("11.0.0.1");
	assert_false(asn_table_lookup(t, &a, &asn, NULL));
	a = A("2001:db9::1");
	assert_false(asn_table_lookup(t, &a, &asn, NULL));
	assert_int_equal(asn, 7);
	assert_true(asn_table_memory(t) > 0);
	asn_table_unref(t);
}

static void
expect_error(const char *text, size_t max, enum cs_err want,
             const char *why_prefix)
{
	struct asn_table *t = NULL;
	char why[ASN_WHY_MAX] = "";

	assert_int_equal(asn_table_load_text(text, strlen(text), max, &t, why),
	                 want);
	assert_null(t);
	if (strncmp(why, why_prefix, strlen(why_prefix)) != 0)
		fail_msg("why \"%s\" does not start with \"%s\"", why,
		         why_prefix);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_error("10.0.0.0/8\t1\n10.0.0.1/8\t2\n", 10, CS_E_INVAL,
	             "2: bad prefix: host bits set");
	expect_error("; c\n10.0.0.0/8 1\n", 10, CS_E_INVAL, "2: no TAB");
	expect_error("10.0.0.0/33\t1\n", 10, CS_E_INVAL, "1: bad prefix");
	expect_error("10.0.0.0/8\t0\n", 10, CS_E_INVAL, "1: bad ASN \"0\"");
	expect_error("10.0.0.0/8\t4294967296\n", 10, CS_E_INVAL,
	             "1: bad ASN \"4294967296\"");
	expect_error("10.0.0.0/8\t99999999999\n", 10, CS_E_INVAL, "1: bad ASN");
	expect_error("10.0.0.0/8\tAS5\n", 10, CS_E_INVAL, "1: bad ASN");
	expect_error("10.0.0.0/8\t5 \n", 10, CS_E_INVAL, "1: bad ASN");
	expect_error("10.0.0.0/8\t-5\n", 10, CS_E_INVAL, "1: bad ASN");
	expect_error("10.0.0.0/8\t\n", 10, CS_E_INVAL, "1: bad ASN");
	expect_error("\n;\n 10.0.0.0/8\t5\n", 10, CS_E_INVAL, "3: bad prefix");
	expect_error("10.0.0.0/8\t5\n10.0.0.0/8\t6\n", 10, CS_E_INVAL,
	             "2: prefix 10.0.0.0/8 listed twice");
	expect_error("2001:db8::/32\t5\n2001:0db8::/32\t5\n", 10, CS_E_INVAL,
	             "2: prefix 2001:0db8::/32 listed twice");
	expect_error("2001:db8::1/32\t5\n", 10, CS_E_INVAL,
	             "1: bad prefix: host bits set");
	/* the bound: max prefixes load, one more does not */
	expect_error("1.0.0.0/8\t1\n2.0.0.0/8\t2\n3.0.0.0/8\t3\n", 2,
	             CS_E_TOOBIG, "3: more than 2 prefixes");
}

static void
test_nul_and_long_lines(void **state)
{
	char text[600];
	struct asn_table *t = NULL;
	char why[ASN_WHY_MAX];
	const char nul[] = "10.0.0.0/8\0junk\t5\n";

	(void)state;
	assert_int_equal(asn_table_load_text(nul, sizeof(nul) - 1, 10, &t, why),
	                 CS_E_INVAL);
	assert_string_equal(why, "1: NUL byte");
	/* 255 bytes is the longest line: a comment of that length passes */
	memset(text, ';', ASN_LINE_MAX - 1);
	memcpy(text + ASN_LINE_MAX - 1, "\n1.0.0.0/8\t1\n", 14);
	assert_int_equal(asn_table_load_text(text, strlen(text), 10, &t, why),
	                 CS_OK);
	assert_int_equal(asn_table_count(t), 1);
	asn_table_unref(t);
	t = NULL;
	memset(text, ';', ASN_LINE_MAX);
	memcpy(text + ASN_LINE_MAX, "\n", 2);
	assert_int_equal(asn_table_load_text(text, strlen(text), 10, &t, why),
	                 CS_E_INVAL);
	assert_string_equal(why, "1: line longer than 255 bytes");
}

static char *
write_tmp(const char *text, size_t n)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_asn.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

static void
test_load_file(void **state)
{
	struct asn_table *t = NULL;
	char why[ASN_WHY_MAX], *path, *big;
	size_t n = 0, cap = 200000 * 24;

	(void)state;
	path = write_tmp(TABLE, sizeof(TABLE) - 1);
	assert_int_equal(asn_table_load(path, 100, &t, why), CS_OK);
	assert_int_equal(asn_table_count(t), 6);
	expect_match(t, "10.1.7.1", 107, "10.1.7.0/24");
	asn_table_unref(t);
	unlink(path);

	/* many lines spanning read chunks; the last one without '\n' */
	big = malloc(cap);
	for (unsigned i = 0; i < 100000; i++)
		n += (size_t)snprintf(big + n, cap - n, "%u.%u.%u.0/24\t%u\n",
		                      1 + i / 65536, (i / 256) % 256, i % 256,
		                      i + 1);
	n += (size_t)snprintf(big + n, cap - n, "200.0.0.0/8\t77");
	path = write_tmp(big, n);
	t = NULL;
	assert_int_equal(asn_table_load(path, 200000, &t, why), CS_OK);
	assert_int_equal(asn_table_count(t), 100001);
	expect_match(t, "1.1.2.3", 256 + 2 + 1, "1.1.2.0/24");
	expect_match(t, "200.9.9.9", 77, "200.0.0.0/8");
	asn_table_unref(t);
	/* the error names the file and the line */
	t = NULL;
	assert_int_equal(asn_table_load(path, 1000, &t, why), CS_E_TOOBIG);
	assert_non_null(strstr(why, ":1001: more than 1000 prefixes"));
	assert_null(t);
	unlink(path);
	free(big);

	assert_int_equal(asn_table_load("/nonexistent/ipasn.dat", 10, &t, why),
	                 CS_E_IO);
	assert_non_null(strstr(why, "No such file"));
}

static void
test_enrich_absent_only(void **state)
{
	struct asn_table *t = load(TABLE);
	struct event_batch *b = event_batch_new(1 << 16);
	struct event *ev;
	char why[EVENT_WHY_MAX];
	struct cidr net;

	(void)state;
	/* nothing to look up */
	assert_int_equal(event_new(b, &ev), CS_OK);
	assert_int_equal(asn_enrich(t, ev), 0);
	assert_int_equal(ev->present, 0);

	/* both filled from the table, destination too */
	assert_int_equal(event_new(b, &ev), CS_OK);
	assert_int_equal(
	    event_set_text(b, ev, EF_SOURCE_IP, "10.1.7.9", 8, why), CS_OK);
	assert_int_equal(
	    event_set_text(b, ev, EF_DEST_IP, "2001:db8:1::5", 13, why), CS_OK);
	assert_int_equal(asn_enrich(t, ev), 3);
	assert_int_equal(ev->source_asn, 107);
	assert_true(event_has(ev, EF_SOURCE_NETWORK));
	assert_true(cidr_parse("10.1.7.0/24", &net, NULL, 0));
	assert_memory_equal(&ev->source_network, &net, sizeof(net));
	assert_true(event_has(ev, EF_DEST_ASN));
	assert_int_equal(ev->dest_asn, 601);
	/* a second pass changes nothing */
	assert_int_equal(asn_enrich(t, ev), 0);

	/* the feed's own ASN wins; the network is still filled */
	assert_int_equal(event_new(b, &ev), CS_OK);
	assert_int_equal(
	    event_set_text(b, ev, EF_SOURCE_IP, "10.1.7.9", 8, why), CS_OK);
	assert_int_equal(event_set_text(b, ev, EF_SOURCE_ASN, "64500", 5, why),
	                 CS_OK);
	assert_int_equal(asn_enrich(t, ev), 1);
	assert_int_equal(ev->source_asn, 64500);
	assert_memory_equal(&ev->source_network, &net, sizeof(net));

	/* the feed's own network wins; the ASN is filled */
	assert_int_equal(event_new(b, &ev), CS_OK);
	assert_int_equal(
	    event_set_text(b, ev, EF_SOURCE_IP, "10.1.7.9", 8, why), CS_OK);
	assert_int_equal(
	    event_set_text(b, ev, EF_SOURCE_NETWORK, "10.1.0.0/16", 11, why),
	    CS_OK);
	assert_int_equal(asn_enrich(t, ev), 1);
	assert_int_equal(ev->source_asn, 107);
	assert_int_equal(ev->source_network.len, 16);

	/* no match: nothing set */
	assert_int_equal(event_new(b, &ev), CS_OK);
	assert_int_equal(
	    event_set_text(b, ev, EF_SOURCE_IP, "172.16.0.1", 10, why), CS_OK);
	assert_int_equal(asn_enrich(t, ev), 0);
	assert_false(event_has(ev, EF_SOURCE_ASN));
	assert_false(event_has(ev, EF_SOURCE_NETWORK));

	event_batch_free(b);
	asn_table_unref(t);
}

static void
test_holder_swap(void **state)
{
	struct asn_holder *h = asn_holder_new(NULL);
	struct asn_table *t1, *t2, *r1, *r2;
	struct ip_addr a = A("10.1.7.1");
	uint32_t asn;

	(void)state;
	assert_null(asn_holder_acquire(h));
	t1 = load("10.0.0.0/8\t1\n");
	asn_holder_swap_take(h, t1);
	r1 = asn_holder_acquire(h); /* a worker's batch holds the old table */
	assert_ptr_equal(r1, t1);

	t2 = load("10.1.0.0/16\t2\n");
	asn_holder_swap_take(h, t2);
	r2 = asn_holder_acquire(h);
	assert_ptr_equal(r2, t2);
	/* the old table still answers for the batch that holds it (ASan
	 * would catch a use after free) */
	assert_true(asn_table_lookup(r1, &a, &asn, NULL));
	assert_int_equal(asn, 1);
	assert_true(asn_table_lookup(r2, &a, &asn, NULL));
	assert_int_equal(asn, 2);
	asn_table_unref(r1); /* frees t1 */
	asn_table_unref(r2);
	asn_holder_free(h); /* frees t2 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_longest_prefix),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_nul_and_long_lines),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_enrich_absent_only),
	    cmocka_unit_test(test_holder_swap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
