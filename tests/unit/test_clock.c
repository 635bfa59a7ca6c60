/*
 * test_clock.c - durations and RFC 3339 formatting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"

static void
test_duration_ok(void **state)
{
	static const struct {
		const char *s;
		int64_t v;
	} ok[] = {
	    {"90", 90},     {"0", 0},           {"30s", 30},   {"15m", 900},
	    {"8h", 28800},  {"7d", 604800},     {"1d", 86400}, {"0s", 0},
	    {"3600", 3600}, {"365d", 31536000}, {"007m", 420},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = -12345;

		if (!duration_parse(ok[i].s, &v))
			fail_msg("duration_parse(\"%s\") rejected", ok[i].s);
		if (v != ok[i].v)
			fail_msg("duration_parse(\"%s\") = %lld, want %lld",
			         ok[i].s, (long long)v, (long long)ok[i].v);
	}
}

static void
test_duration_rejected(void **state)
{
	static const char *const bad[] = {
	    "",
	    "5x",
	    "-1",
	    "m",
	    "1.5h",
	    "h",
	    "s",
	    " 5",
	    "5 ",
	    "+5",
	    "5mm",
	    "5ms",
	    "5M",
	    "5H",
	    "5s ",
	    "1e3",
	    "0x10",
	    "99999999999999999999",
	    "9223372036854775807d",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 4242;

		if (duration_parse(bad[i], &v))
			fail_msg("duration_parse(\"%s\") accepted: %lld",
			         bad[i], (long long)v);
		/* a rejected value leaves the output alone */
		assert_int_equal(v, 4242);
	}
}

static void
test_clock_fmt(void **state)
{
	char out[CLOCK_RFC3339_MAX];

	(void)state;
	memset(out, 'x', sizeof(out));
	clock_fmt(0, out);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
	clock_fmt(1795000000, out);
	assert_string_equal(out, "2026-11-18T11:06:40Z");
	clock_fmt(951782400, out); /* a leap day */
	assert_string_equal(out, "2000-02-29T00:00:00Z");
	clock_fmt(253402300799, out);
	assert_string_equal(out, "9999-12-31T23:59:59Z");
	assert_int_equal(strlen(out) + 1, CLOCK_RFC3339_MAX);
}

static void
test_clock_now_sane(void **state)
{
	(void)state;
	/* after 2024-01-01 and monotonic time is non-negative */
	assert_true(clock_now() > 1704067200);
	assert_true(clock_mono() >= 0.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration_ok),
	    cmocka_unit_test(test_duration_rejected),
	    cmocka_unit_test(test_clock_fmt),
	    cmocka_unit_test(test_clock_now_sane),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
