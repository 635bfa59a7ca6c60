/*
 * test_event.c - the event model: typed fields, JSON round trips, refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "pipeline/event.h"

static const char full[] =
    "{\"time.source\":\"2024-01-01T00:00:00+00:00\","
    "\"time.observation\":\"2024-01-02T03:04:05+00:00\","
    "\"source.ip\":\"2001:db8::1\",\"source.port\":443,"
    "\"source.asn\":4294967295,\"source.network\":\"10.0.0.0/8\","
    "\"source.reverse_dns\":\"host.example.net\","
    "\"source.url\":\"http://example.net/a?b\","
    "\"source.geolocation.cc\":\"AT\",\"destination.ip\":\"192.0.2.1\","
    "\"destination.port\":0,\"protocol.transport\":\"tcp\","
    "\"classification.taxonomy\":\"vulnerable\","
    "\"classification.type\":\"vulnerable-system\","
    "\"feed.name\":\"Accessible-HTTP\",\"status\":\"online\","
    "\"extra.severity\":\"high\",\"extra.s\":\"x\\u00e9\\\"\","
    "\"extra.i\":-9223372036854775808,\"extra.f\":0.10000000000000001,"
    "\"extra.b\":true,\"extra.c\":false,\"extra.severity2\":3,"
    "\"__type\":\"Event\"}";

static void
test_round_trip(void **state)
{
	struct event_batch *b = event_batch_new(1 << 20);
	struct event *ev, *ev2;
	char why[EVENT_WHY_MAX], out[4096], out2[4096];
	size_t n, n2;

	(void)state;
	assert_int_equal(event_from_json(b, full, strlen(full), &ev, why),
	                 CS_OK);
	assert_true(event_has(ev, EF_SOURCE_PORT));
	assert_int_equal(ev->source_port, 443);
	assert_int_equal(ev->source_asn, 4294967295u);
	assert_int_equal(ev->time_source, 1704067200);
	assert_string_equal(ev->str[EF_SEVERITY], "high");
	assert_int_equal(event_get_extra(ev, "i")->u.i, INT64_MIN);
	assert_true(event_get_extra(ev, "b")->u.b);
	assert_int_equal(event_get_extra(ev, "f")->kind, XV_FLOAT);
	assert_int_equal(event_to_text(ev, out, sizeof(out), &n), CS_OK);
	assert_int_equal(event_from_json(b, out, n, &ev2, why), CS_OK);
	assert_int_equal(event_to_text(ev2, out2, sizeof(out2), &n2), CS_OK);
	assert_string_equal(out, out2);
	assert_non_null(strstr(out, "\"extra.f\":0.10000000000000001"));
	assert_non_null(strstr(out, "\"source.ip\":\"2001:db8::1\""));
	event_batch_free(b);
}

/* event_to_text writes what jansson would, for awkward values too */
static void
test_writer_matches_jansson(void **state)
{
	static const double reals[] = {
	    0.1,    3.0,         -2.5e-10, 1e300,  1e21,
	    1e-300, 123456789.0, -0.0,     5e-324, 1.7976931348623157e308};
	static const char *const strs[] = {
	    "x", "a\"b\\c/d", "\x01\x1f\b\f\n\r\t", "\x7f caf\xc3\xa9",
	    "\xe2\x80\xa8 \xf0\x9f\x98\x80",
	    /* longer than a word, escapes on and across word boundaries */
	    "01234567\"9abcdef\\ghijklmn\x01pqrstuvwxyz\xc3\xa9"
	    "ABCDEFGH\n",
	    "0123456789abcdefghijklmnopqrstuv\x1f",
	    "\"\"\"\"\"\"\"\"\"\x7f\xc2\x80"};
	struct event_batch *b = event_batch_new(1 << 20);
	char out[8192], why[EVENT_WHY_MAX];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		for (size_t j = 0; j < sizeof(strs) / sizeof(strs[0]); j++) {
			struct event *ev;
			struct extra_value v;
			json_t *o;
			char *d;

			event_batch_reset(b);
			assert_int_equal(event_new(b, &ev), CS_OK);
			assert_int_equal(event_set_text(b, ev, EF_SOURCE_URL,
			                                "http://a/", 9, why),
			                 CS_OK);
			assert_int_equal(
			    event_set_text(b, ev, EF_EVENT_DESCRIPTION_TEXT,
			                   strs[j], strlen(strs[j]), why),
			    CS_OK);
			assert_int_equal(
			    event_set_text(b, ev, EF_SEVERITY, "low", 3, why),
			    CS_OK);
			v.kind = XV_FLOAT;
			v.u.f = reals[i];
			assert_int_equal(event_set_extra(ev, "r", v), CS_OK);
			v.kind = XV_STRING;
			v.u.s = event_batch_intern(b, strs[j], strlen(strs[j]));
			assert_int_equal(
			    event_set_extra(
			        ev,
			        event_batch_intern(b, strs[j], strlen(strs[j])),
			        v),
			    CS_OK);
			/* an extra standing for a typed field: one key */
			v.u.s = "high";
			assert_int_equal(event_set_extra(ev, "severity", v),
			                 CS_OK);
			assert_int_equal(
			    event_to_text(ev, out, sizeof(out), &n), CS_OK);
			assert_non_null(o = event_to_json(ev));
			assert_non_null(
			    d = json_dumps(o,
			                   JSON_COMPACT | JSON_PRESERVE_ORDER));
			assert_string_equal(out, d);
			assert_int_equal(strlen(d), n);
			free(d);
			json_decref(o);
		}
	}
	/* too small a buffer is refused, not cut */
	{
		struct event *ev;

		event_batch_reset(b);
		assert_int_equal(event_new(b, &ev), CS_OK);
		assert_int_equal(
		    event_set_text(b, ev, EF_SOURCE_URL, "http://a/", 9, why),
		    CS_OK);
		assert_int_equal(event_to_text(ev, out, 20, &n), CS_E_TOOBIG);
		assert_int_equal(event_to_text(ev, out, 0, &n), CS_E_TOOBIG);
	}
	event_batch_free(b);
}

static void
refused(const char *json, const char *reason)
{
	struct event_batch *b = event_batch_new(1 << 20);
	struct event *ev;
	char why[EVENT_WHY_MAX];

	assert_int_equal(event_from_json(b, json, strlen(json), &ev, why),
	                 CS_E_INVAL);
	if (strstr(why, reason) == NULL)
		fail_msg("%s: got reason %s", json, why);
	event_batch_free(b);
}

static void
test_refusals(void **state)
{
	(void)state;
	refused("[1]", "not a JSON object");
	refused("{\"__type\":\"Report\"}", "__type");
	refused("{\"source.ip\":\"1.2.3\",\"__type\":\"Event\"}", "source.ip");
	refused("{\"source.fqdn\":\"a..\",\"__type\":\"Event\"}",
	        "empty label");
	refused("{\"source.port\":65536,\"__type\":\"Event\"}", "source.port");
	refused("{\"source.port\":\"80\",\"__type\":\"Event\"}",
	        "not an integer");
	refused("{\"source.asn\":0,\"__type\":\"Event\"}", "source.asn");
	refused("{\"time.source\":\"2024-02-30T00:00:00+00:00\","
	        "\"__type\":\"Event\"}",
	        "time.source");
	refused("{\"source.url\":\"example.net\",\"__type\":\"Event\"}",
	        "source.url");
	refused("{\"source.geolocation.cc\":\"AUT\",\"__type\":\"Event\"}",
	        "country");
	refused("{\"source.reverse_dns\":\"1.2.3.4\",\"__type\":\"Event\"}",
	        "address");
	refused("{\"source.reverse_dns\":\"Host.example\",\"__type\":"
	        "\"Event\"}",
	        "canonical");
	refused("{\"source.network\":\"10.0.0.0/33\",\"__type\":\"Event\"}",
	        "source.network");
	refused("{\"classification.type\":\"Bad Type\",\"__type\":\"Event\"}",
	        "classification.type");
	refused("{\"extra.x\":[1],\"__type\":\"Event\"}", "extra.x");
	refused("{\"raw\":\"eA==\",\"__type\":\"Event\"}", "not supported");
}

static void
test_time(void **state)
{
	int64_t t;
	char out[26];

	(void)state;
	assert_true(event_time_parse("2024-01-01 00:00:00 UTC", 23, &t));
	assert_int_equal(t, 1704067200);
	assert_true(event_time_parse("2024-01-01T01:00:00+01:00", 25, &t));
	assert_int_equal(t, 1704067200);
	assert_true(event_time_parse("2024-02-29T00:00:00.123Z", 24, &t));
	assert_false(event_time_parse("2023-02-29 00:00:00", 19, &t));
	assert_false(event_time_parse("2024-01-01 24:00:00", 19, &t));
	assert_false(event_time_parse("2024-01-01 00:00:00 CET", 23, &t));
	event_time_format(1704067200, out);
	assert_string_equal(out, "2024-01-01T00:00:00+00:00");
	/* early years keep four digits, so the text reads back */
	assert_true(event_time_parse("0735-01-02 00:00:00", 19, &t));
	event_time_format(t, out);
	assert_string_equal(out, "0735-01-02T00:00:00+00:00");
	/* outside years 1-9999 once in UTC: refused */
	assert_false(event_time_parse("0001-01-01T00:00:00+01:00", 25, &t));
	assert_false(event_time_parse("0000-06-01 00:00:00", 19, &t));
	assert_true(event_time_parse("9999-12-31T23:59:59Z", 20, &t));
	assert_false(event_time_parse("9999-12-31T23:59:59-01:00", 25, &t));
}

/* The hand-written formatter agrees with gmtime_r() over the whole range
 * (days either side of every era boundary, leap days, random seconds). */
static void
test_time_format_matches_gmtime(void **state)
{
	static const int64_t fixed[] = {EVENT_TIME_MIN,
	                                EVENT_TIME_MAX,
	                                0,
	                                -1,
	                                86399,
	                                86400,
	                                951782400,
	                                951868799,
	                                4107456000,
	                                -2203891200,
	                                -62135596800 + 86400 * 59,
	                                253402300799 - 86400 * 306};
	uint64_t r = 0x9E3779B97F4A7C15ULL;
	char got[26], want[64];

	(void)state;
	for (size_t i = 0; i < 2000000 + sizeof(fixed) / sizeof(fixed[0]);
	     i++) {
		int64_t t;
		time_t tt;
		struct tm tm;

		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			t = fixed[i];
		} else {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			t = EVENT_TIME_MIN +
			    (int64_t)(r % (uint64_t)(EVENT_TIME_MAX -
			                             EVENT_TIME_MIN + 1));
		}
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		snprintf(want, sizeof(want),
		         "%04d-%02d-%02dT%02d:%02d:%02d+00:00",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		         tm.tm_hour, tm.tm_min, tm.tm_sec);
		event_time_format(t, got);
		if (strcmp(got, want) != 0)
			fail_msg("%lld: got %s, want %s", (long long)t, got,
			         want);
	}
	/* out of range clamps */
	event_time_format(EVENT_TIME_MAX + 1, got);
	assert_string_equal(got, "9999-12-31T23:59:59+00:00");
	event_time_format(EVENT_TIME_MIN - 1, got);
	assert_string_equal(got, "0001-01-01T00:00:00+00:00");
}

static void
test_intern(void **state)
{
	struct event_batch *b = event_batch_new(1 << 20);
	const char *a = event_batch_intern(b, "tcpx", 3),
	           *c = event_batch_intern(b, "tcp", 3);

	(void)state;
	assert_ptr_equal(a, c);
	assert_string_equal(a, "tcp");
	event_batch_reset(b);
	assert_int_equal(event_batch_used(b), 0);
	event_batch_free(b);
}

/* The first 3,072 distinct strings of a batch are kept (the same pointer
 * for the same content, nothing allocated again); later ones are copied
 * each time. A reset forgets them all. */
static void
test_intern_kept(void **state)
{
	struct event_batch *b = event_batch_new(1 << 24);
	const char *first, *q;
	char s[32];
	bool kept;
	size_t used;
	int n;

	(void)state;
	first = event_batch_intern_kept(b, "v0", 2, &kept);
	assert_true(kept);
	for (int i = 1; i < 3072; i++) {
		n = snprintf(s, sizeof(s), "v%d", i);
		q = event_batch_intern_kept(b, s, (size_t)n, &kept);
		assert_true(kept);
		assert_string_equal(q, s);
	}
	used = event_batch_used(b);
	assert_ptr_equal(event_batch_intern_kept(b, "v0", 2, &kept), first);
	assert_true(kept);
	assert_int_equal(event_batch_used(b), used);
	q = event_batch_intern_kept(b, "new", 3, &kept);
	assert_false(kept);
	assert_ptr_not_equal(event_batch_intern(b, "new", 3), q);
	assert_true(event_batch_used(b) > used);
	event_batch_reset(b);
	q = event_batch_intern_kept(b, "new", 3, &kept);
	assert_true(kept);
	assert_ptr_equal(event_batch_intern(b, "new", 3), q);
	event_batch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_writer_matches_jansson),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_time_format_matches_gmtime),
	    cmocka_unit_test(test_intern),
	    cmocka_unit_test(test_intern_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
