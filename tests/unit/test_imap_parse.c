/*
 * test_imap_parse.c - imap.c's parsers of server replies (imap_parse.h):
 * "* SEARCH" lists, RFC822.SIZE, the BODY[] literal in the header stream
 * and what is kept of a literal cut short by a tag line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/imap_parse.h"

/* --- SEARCH -------------------------------------------------------------- */

/* Parses s (its strlen) and compares with want[0..n). */
static void
search_is(const char *s, bool over, size_t max, const uint32_t *want, size_t n)
{
	uint32_t *u = (uint32_t *)(uintptr_t)1;
	size_t got = imap_parse_search(s, strlen(s), over, &u, max);

	assert_int_equal(got, n);
	if (n == 0)
		assert_null(u);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(u[i], want[i]);
	free(u);
}

#define SEARCH_IS(s, over, max, ...)                                           \
	do {                                                                   \
		static const uint32_t w_[] = {__VA_ARGS__};                    \
		search_is(s, over, max, w_, sizeof(w_) / sizeof(w_[0]));       \
	} while (0)

static void
test_search_basic(void **state)
{
	(void)state;
	SEARCH_IS("* SEARCH 4 7 9\r\nA003 OK Search completed\r\n", false, 0, 4,
	          7, 9);
	/* bare LF, several lines, unsorted, duplicates, leading zeros */
	SEARCH_IS("* 3 EXISTS\n* SEARCH 9 4 9 007\n* SEARCH 4 1\n", false, 0, 1,
	          4, 7, 9);
	/* anything but a space between numbers separates them too */
	SEARCH_IS("* SEARCH 5,6\t8", false, 0, 5, 6, 8);
}

static void
test_search_empty(void **state)
{
	(void)state;
	search_is("* SEARCH\r\nA003 OK Search completed\r\n", false, 0, NULL,
	          0);
	search_is("* SEARCH", false, 0, NULL, 0);
	search_is("", false, 0, NULL, 0);
	search_is("* SEARC 1 2\r\n", false, 0, NULL, 0);
	/* only a line that starts with it */
	search_is(" * SEARCH 1\r\nA003 OK * SEARCH 2\r\n", false, 0, NULL, 0);
	search_is("* 3 EXISTS 4\r\n", false, 0, NULL, 0);
}

static void
test_search_limits(void **state)
{
	(void)state;
	/* 0 is no UID; over 32 bits, however long, is skipped */
	SEARCH_IS("* SEARCH 0 4294967295 4294967296 99999999999999999999 5\r\n",
	          false, 0, 5, 4294967295u);
	SEARCH_IS("* SEARCH 184467440737095516160000000001 3\r\n", false, 0, 3);
	/* max keeps the lowest UIDs */
	SEARCH_IS("* SEARCH 3 1 2 1\r\n", false, 2, 1, 2);
	SEARCH_IS("* SEARCH 3 1 2\r\n", false, 5, 1, 2, 3);
}

static void
test_search_cut_off(void **state)
{
	(void)state;
	/* over: the capture was full, so the last number may be cut off */
	SEARCH_IS("* SEARCH 4 7 12", true, 0, 4, 7);
	SEARCH_IS("* SEARCH 4 7 12", false, 0, 4, 7, 12);
	SEARCH_IS("* SEARCH 4 7 ", true, 0, 4, 7);
	SEARCH_IS("* SEARCH 4 7\r\n* SEARCH 8", true, 0, 4, 7);
	search_is("* SEARCH 4", true, 0, NULL, 0);
}

static void
test_search_length_not_nul(void **state)
{
	const char s[] = "* SEARCH 12 34";
	uint32_t *u;

	(void)state;
	/* the buffer ends at len, not at a NUL */
	assert_int_equal(imap_parse_search(s, 10, false, &u, 0), 1);
	assert_int_equal(u[0], 1);
	free(u);
	assert_int_equal(imap_parse_search(s, 10, true, &u, 0), 0);
	assert_null(u);
}

/* --- RFC822.SIZE -----------------------------------------------------------
 */

static bool
size_of(const char *s, size_t *v)
{
	*v = 4242;
	return imap_parse_size(s, strlen(s), v);
}

static void
test_size(void **state)
{
	size_t v;

	(void)state;
	assert_true(size_of("* 3 FETCH (UID 7 RFC822.SIZE 1234)\r\n", &v));
	assert_int_equal(v, 1234);
	assert_true(size_of("* 3 FETCH (RFC822.SIZE 0 UID 7)\r\n", &v));
	assert_int_equal(v, 0);
	assert_true(size_of("* 3 FETCH (UID 7 RFC822.SIZE 0012)", &v));
	assert_int_equal(v, 12);
	/* the digits end at len */
	assert_true(imap_parse_size("RFC822.SIZE 12345", 15, &v));
	assert_int_equal(v, 123);
}

static void
test_size_missing(void **state)
{
	size_t v;

	(void)state;
	assert_false(size_of("", &v));
	assert_false(size_of("* 3 FETCH (UID 7 FLAGS (\\Seen))\r\n", &v));
	assert_false(size_of("* 3 FETCH (UID 7 RFC822.SIZE NIL)\r\n", &v));
	assert_false(size_of("* 3 FETCH (UID 7 RFC822.SIZE -5)\r\n", &v));
	assert_false(size_of("* 3 FETCH (UID 7 RFC822.SIZE", &v));
	/* the key must be followed by at least one byte */
	assert_false(size_of("* 3 FETCH (UID 7 RFC822.SIZE ", &v));
	assert_false(size_of("RFC822.SIZE1234", &v));
	/* only the first key counts */
	assert_false(size_of("RFC822.SIZE x RFC822.SIZE 5", &v));
	assert_int_equal(v, 4242);
}

static void
test_size_overflow(void **state)
{
	char s[64];
	size_t v;

	(void)state;
	snprintf(s, sizeof(s), "RFC822.SIZE %zu)", (size_t)SIZE_MAX);
	assert_true(size_of(s, &v));
	assert_true(v == SIZE_MAX);
	snprintf(s, sizeof(s), "RFC822.SIZE %zu0)", (size_t)SIZE_MAX / 10);
	assert_true(size_of(s, &v));
	assert_true(v == SIZE_MAX / 10 * 10);
	/* SIZE_MAX / 10 followed by a digit that does not fit: this used to
	 * wrap around to a small size (18446744073709551619 read as 3) */
	for (int d = (int)(SIZE_MAX % 10) + 1; d <= 9; d++) {
		snprintf(s, sizeof(s), "RFC822.SIZE %zu%d)",
		         (size_t)SIZE_MAX / 10, d);
		assert_false(size_of(s, &v));
	}
	assert_false(size_of("RFC822.SIZE 99999999999999999999999)", &v));
	assert_false(size_of("RFC822.SIZE 184467440737095516150)", &v));
}

/* --- BODY[] literal --------------------------------------------------------
 */

struct found {
	enum imap_body r;
	size_t off, lit, avail;
};

static struct found
body_in(const char *s, size_t len, uint32_t uid)
{
	struct found f = {0};

	f.r = imap_find_body(s, len, uid, &f.off, &f.lit, &f.avail);
	return f;
}

static struct found
body(const char *s, uint32_t uid)
{
	return body_in(s, strlen(s), uid);
}

/* OK, and the literal is text */
static void
body_ok(const char *s, uint32_t uid, const char *text)
{
	struct found f = body(s, uid);

	assert_int_equal(f.r, IMAP_BODY_OK);
	assert_int_equal(f.lit, strlen(text));
	assert_int_equal(f.avail, f.lit);
	assert_memory_equal(s + f.off, text, f.lit);
}

static void
test_body_ok(void **state)
{
	(void)state;
	body_ok("* 3 FETCH (UID 7 BODY[]<0> {5}\r\nhello)\r\nA6 OK done\r\n", 7,
	        "hello");
	/* more items after the literal */
	body_ok("* 3 FETCH (UID 7 BODY[]<0> {5}\r\nhello UID 7)\r\n", 7,
	        "hello");
	/* without a UID: only one message was asked for */
	body_ok("* 1 FETCH (BODY[]<0> {3}\r\nabc)\r\n", 99, "abc");
	/* bare LF, leading zeros, a CRLF inside the literal */
	body_ok("* 1 FETCH (UID 7 BODY[]<0> {007}\nab\r\ncde)\n", 7,
	        "ab\r\ncde");
	/* an empty literal: the message is shorter than announced */
	body_ok("* 3 FETCH (UID 7 BODY[]<120> {0}\r\n)\r\n", 7, "");
	/* the whole line needn't be the FETCH response's only line */
	body_ok("* 3 EXISTS\r\n* 3 FETCH (UID 7 FLAGS (\\Seen) BODY[]<0> "
	        "{2}\r\nhi)\r\n",
	        7, "hi");
	body_ok("* 3 FETCH (UID 4294967295 BODY[]<0> {1}\r\nx)\r\n", UINT32_MAX,
	        "x");
}

static void
test_body_uid(void **state)
{
	(void)state;
	/* UID 17 is not UID 7, nor UID 7 UID 77 */
	assert_int_equal(
	    body("* 3 FETCH (UID 17 BODY[]<0> {3}\r\nabc)\r\n", 7).r,
	    IMAP_BODY_NONE);
	assert_int_equal(
	    body("* 3 FETCH (UID 7 BODY[]<0> {3}\r\nabc)\r\n", 77).r,
	    IMAP_BODY_NONE);
	body_ok("* 3 FETCH (UID 17 BODY[]<0> {3}\r\nabc)\r\n"
	        "* 4 FETCH (UID 7 BODY[]<0> {3}\r\nxyz)\r\n",
	        7, "xyz");
	/* not a FETCH, not untagged, not BODY[] */
	assert_int_equal(body("* 3 STORE (UID 7 BODY[]<0> {1}\r\nx)\r\n", 7).r,
	                 IMAP_BODY_NONE);
	assert_int_equal(body("3 FETCH (UID 7 BODY[]<0> {1}\r\nx)\r\n", 7).r,
	                 IMAP_BODY_NONE);
	assert_int_equal(
	    body("* 3 FETCH (UID 7 BODY[HEADER] {1}\r\nx)\r\n", 7).r,
	    IMAP_BODY_NONE);
}

static void
test_body_skips_other_literals(void **state)
{
	static const char inner[] =
	    "* 3 FETCH (UID 7 BODY[]<0> {3}\r\nbad)\r\n";
	char s[256];

	(void)state;
	/* another message's literal that looks like our response */
	snprintf(s, sizeof(s),
	         "* 2 FETCH (UID 5 BODY[]<0> {%zu}\r\n%s)\r\n"
	         "* 1 FETCH (UID 5 BODY[HEADER] {3}\r\n{1}\r\n)\r\n"
	         "* 4 FETCH (UID 7 BODY[]<0> {4}\r\ngood)\r\n",
	         strlen(inner), inner);
	body_ok(s, 7, "good");
	/* a literal of a line not starting with "* " is skipped too */
	body_ok("A1 NO {5}\r\n* 3 \r\n* 4 FETCH (UID 7 BODY[]<0> {1}\r\nx)\r\n",
	        7, "x");
	/* someone else's literal longer than what arrived: nothing found */
	assert_int_equal(body("* 2 FETCH (UID 5 BODY[]<0> {900}\r\nshort\r\n"
	                      "* 3 FETCH (UID 7 BODY[]<0> {1}\r\nx)\r\n",
	                      7)
	                     .r,
	                 IMAP_BODY_NONE);
}

static void
test_body_partial(void **state)
{
	struct found f;
	const char *s;

	(void)state;
	/* fewer bytes than announced */
	s = "* 3 FETCH (UID 7 BODY[]<0> {4096}\r\nFrom: a\r\n";
	f = body(s, 7);
	assert_int_equal(f.r, IMAP_BODY_PARTIAL);
	assert_int_equal(f.lit, 4096);
	assert_int_equal(f.avail, 9);
	assert_int_equal(f.off + f.avail, strlen(s));
	/* all bytes, but not the rest of the response */
	f = body("* 3 FETCH (UID 7 BODY[]<0> {5}\r\nhello", 7);
	assert_int_equal(f.r, IMAP_BODY_PARTIAL);
	assert_int_equal(f.avail, 5);
	/* the literal is not followed by ')' or ' ' */
	f = body("* 3 FETCH (UID 7 BODY[]<0> {5}\r\nhelloX)\r\n", 7);
	assert_int_equal(f.r, IMAP_BODY_PARTIAL);
	assert_int_equal(f.lit, 5);
	assert_int_equal(f.avail, 5);
	/* the header line came, nothing after it */
	f = body("* 3 FETCH (UID 7 BODY[]<0> {5}\r\n", 7);
	assert_int_equal(f.r, IMAP_BODY_PARTIAL);
	assert_int_equal(f.avail, 0);
}

/* The stream as it arrives, byte by byte: nothing until the line ending
 * "{n}" is complete, then PARTIAL with every byte so far, then OK. */
static void
test_body_split_across_chunks(void **state)
{
	static const char s[] = "* 2 OK [UNSEEN 3]\r\n"
	                        "* 3 FETCH (UID 7 BODY[]<0> {12}\r\n"
	                        "Subject: x\r\n"
	                        ")\r\nA6 OK done\r\n";
	const size_t len = sizeof(s) - 1;
	const size_t off = (size_t)(strstr(s, "Subject") - s);

	(void)state;
	for (size_t n = 0; n <= len; n++) {
		char *chunk = malloc(n > 0 ? n : 1);
		struct found f;

		memcpy(chunk, s, n);
		f = body_in(chunk, n, 7);
		if (n < off) {
			assert_int_equal(f.r, IMAP_BODY_NONE);
		} else if (n <= off + 12) {
			assert_int_equal(f.r, IMAP_BODY_PARTIAL);
			assert_int_equal(f.off, off);
			assert_int_equal(f.lit, 12);
			assert_int_equal(f.avail, n - off);
		} else {
			assert_int_equal(f.r, IMAP_BODY_OK);
			assert_int_equal(f.off, off);
			assert_int_equal(f.avail, 12);
		}
		free(chunk);
	}
}

static void
test_body_bad_literals(void **state)
{
	static const char *const bad[] = {
	    "* 3 FETCH (UID 7 BODY[]<0> {\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {}\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> 1}\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {1\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {1x}\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {-1}\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {1} \r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {1}\r\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {99999999999999999999999}\r\nx)\r\n",
	    "* 3 FETCH (UID 7 BODY[]<0> {1}", /* no line end */
	    "}\r\n",
	    "{1}\r\n",
	    "",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(body(bad[i], 7).r, IMAP_BODY_NONE);
}

/* --- resync ----------------------------------------------------------------
 */

static size_t
keep(const char *s)
{
	return imap_resync_keep(s, strlen(s));
}

static void
test_resync_keep(void **state)
{
	(void)state;
	assert_int_equal(imap_resync_keep("", 0), 0);
	assert_int_equal(keep("x"), 1);
	assert_int_equal(keep("no line end"), 1);
	/* one byte into the tag line that ended the response early */
	assert_int_equal(keep("Subject: x\r\n\r\nA6 OK done\r\n"), 15);
	assert_int_equal(keep("a\nb\nA6 OK\n"), 5);
	/* the final LF ends the last line; it starts no line of its own */
	assert_int_equal(keep("abc\n"), 1);
	assert_int_equal(keep("x\n\n"), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_search_basic),
	    cmocka_unit_test(test_search_empty),
	    cmocka_unit_test(test_search_limits),
	    cmocka_unit_test(test_search_cut_off),
	    cmocka_unit_test(test_search_length_not_nul),
	    cmocka_unit_test(test_size),
	    cmocka_unit_test(test_size_missing),
	    cmocka_unit_test(test_size_overflow),
	    cmocka_unit_test(test_body_ok),
	    cmocka_unit_test(test_body_uid),
	    cmocka_unit_test(test_body_skips_other_literals),
	    cmocka_unit_test(test_body_partial),
	    cmocka_unit_test(test_body_split_across_chunks),
	    cmocka_unit_test(test_body_bad_literals),
	    cmocka_unit_test(test_resync_keep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
