/*
 * test_event_pack.c - the stored form of event lines: exact round trips,
 * lines kept as they are, dictionary limits, damaged forms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/event_pack.h"

/* Packs line with d, unpacks it with a copy of d as the store would load
 * it, and checks the line comes back; returns the packed size. */
static size_t
round_trip(struct event_dict *d, const char *line)
{
	size_t len = strlen(line), n, back_len;
	uint8_t *form = malloc(EVENT_PACK_ROOM(len));
	struct event_dict *loaded = event_dict_new();
	struct arena *a = arena_new(1 << 20);
	const char *back;

	event_pack(d, line, len, form, EVENT_PACK_ROOM(len), &n);
	assert_true(n <= len + (line[0] != '{'));
	/* what the store keeps and loads again */
	for (size_t i = 0; i < event_dict_count(d); i++) {
		const char *k, *v;
		size_t kn, vn;

		event_dict_get(d, i, &k, &kn, &v, &vn);
		assert_int_equal(
		    event_dict_load(loaded, (int64_t)i, k, kn, v, vn), CS_OK);
	}
	event_dict_mark_saved(d);
	assert_int_equal(event_unpack(loaded, form, n, a, &back, &back_len),
	                 CS_OK);
	assert_int_equal(back_len, len);
	assert_string_equal(back, line);
	free(form);
	event_dict_free(loaded);
	arena_free(a);
	return n;
}

static const char ev1[] =
    "{\"time.source\":\"2024-01-01T00:00:00+00:00\","
    "\"time.observation\":\"2026-12-08T01:23:14+00:00\","
    "\"source.ip\":\"198.51.100.7\",\"source.port\":80,"
    "\"classification.taxonomy\":\"vulnerable\","
    "\"feed.name\":\"Accessible-HTTP\","
    "\"feed.documentation\":\"https://www.shadowserver.org/what-we-do/"
    "network-reporting/accessible-http-report/\","
    "\"extra.s\":\"a, \\\"b\\\": {c}\\\\\",\"extra.f\":-1.5e-07,"
    "\"extra.b\":true,\"__type\":\"Event\"}";
static const char ev2[] =
    "{\"time.source\":\"2024-01-01T00:00:09+00:00\","
    "\"time.observation\":\"2026-12-08T01:23:14+00:00\","
    "\"source.ip\":\"198.51.100.8\",\"source.port\":80,"
    "\"classification.taxonomy\":\"vulnerable\","
    "\"feed.name\":\"Accessible-HTTP\","
    "\"feed.documentation\":\"https://www.shadowserver.org/what-we-do/"
    "network-reporting/accessible-http-report/\","
    "\"extra.new\":\"\\u0001\",\"extra.b\":false,\"__type\":\"Event\"}";

static void
test_round_trips(void **state)
{
	struct event_dict *d = event_dict_new();
	size_t first, second;

	(void)state;
	first = round_trip(d, ev1);
	second = round_trip(d, ev2);
	/* keys and the values they had are stored once: the first line is
	 * all codes, the next one carries what differs */
	assert_true(first < 16);
	assert_true(second < strlen(ev2) / 3);
	assert_int_equal(event_dict_count(d), 12);
	/* the same line again: nothing but codes */
	assert_int_equal(round_trip(d, ev2), second);
	round_trip(d, "{}");
	round_trip(d, "{\"a\":1}");
	round_trip(d, "{\"\":\"\"}");
	round_trip(d, "{\"a\\\"b\":null,\"a\\\"b\":\"x\"}");
	event_dict_free(d);
}

/* Lines that are not a flat compact object are kept as they are. */
static void
test_kept_as_is(void **state)
{
	static const char *const lines[] = {
	    "{\"a\": 1}",
	    "{\"a\":{\"b\":1}}",
	    "{\"a\":[1]}",
	    "{\"a\":1,}",
	    "{\"a\":1",
	    "\"a\":1}",
	    "{\"a\"}",
	    "{\"a\":}",
	    "{\"a\":\"x}",
	    "{\"a\":1 ,\"b\":2}",
	    "{,}",
	    "{\"a\":1}\n",
	    "{\"a\":\"\\\\\"\"}",
	};
	struct event_dict *d = event_dict_new();

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t len = strlen(lines[i]), n;
		uint8_t form[64];

		event_pack(d, lines[i], len, form, sizeof(form), &n);
		if (lines[i][0] == '{') {
			assert_int_equal(n, len);
			assert_memory_equal(form, lines[i], len);
		} else {
			assert_int_equal(n, len + 1);
			assert_int_equal(form[0], 0);
		}
		round_trip(d, lines[i]);
	}
	event_dict_free(d);
}

/* Past EVENT_DICT_MAX keys, and for long keys and values, lines still
 * come back exactly. */
static void
test_limits(void **state)
{
	struct event_dict *d = event_dict_new();
	char line[8192], big[1200];

	(void)state;
	for (int i = 0; i < EVENT_DICT_MAX + 50; i++) {
		snprintf(line, sizeof(line),
		         "{\"extra.k%d\":%d,\"extra.common\":\"v\"}", i, i);
		round_trip(d, line);
	}
	assert_int_equal(event_dict_count(d), EVENT_DICT_MAX);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	event_dict_reset(d);
	snprintf(line, sizeof(line), "{\"extra.v\":\"%s\",\"extra.%.300s\":1}",
	         big, big);
	round_trip(d, line);
	round_trip(d, line);
	event_dict_free(d);
}

static void
test_damaged(void **state)
{
	struct event_dict *d = event_dict_new();
	struct arena *a = arena_new(1 << 16);
	const char *line;
	size_t len, n;
	uint8_t form[256];

	(void)state;
	event_pack(d, ev1, strlen(ev1), form, sizeof(form), &n);
	/* a reader without the report's codes */
	event_dict_reset(d);
	assert_int_equal(event_unpack(d, form, n, a, &line, &len),
	                 CS_E_NOTFOUND);
	/* cut short, unknown tags, unknown version, empty */
	event_pack(d, ev1, strlen(ev1), form, sizeof(form), &n);
	{
		static const uint8_t cut[] = {EVENT_PACK_VERSION, 0x05, 0x10,
		                              '1'};
		static const uint8_t tag3[] = {EVENT_PACK_VERSION, 0x03};
		static const uint8_t tag2[] = {EVENT_PACK_VERSION, 0x06, 0x00,
		                               0x00};
		static const uint8_t varint[] = {EVENT_PACK_VERSION, 0x85};

		assert_int_equal(
		    event_unpack(d, cut, sizeof(cut), a, &line, &len),
		    CS_E_INVAL);
		assert_int_equal(
		    event_unpack(d, tag3, sizeof(tag3), a, &line, &len),
		    CS_E_INVAL);
		assert_int_equal(
		    event_unpack(d, tag2, sizeof(tag2), a, &line, &len),
		    CS_E_INVAL);
		assert_int_equal(
		    event_unpack(d, varint, sizeof(varint), a, &line, &len),
		    CS_E_INVAL);
	}
	form[0] = 0x7f;
	assert_int_equal(event_unpack(d, form, n, a, &line, &len), CS_E_INVAL);
	assert_int_equal(event_unpack(d, form, 0, a, &line, &len), CS_E_INVAL);
	/* codes out of order or twice are refused at load */
	event_dict_reset(d);
	assert_int_equal(event_dict_load(d, 1, "a", 1, "1", 1), CS_E_INVAL);
	assert_int_equal(event_dict_load(d, 0, "a", 1, "1", 1), CS_OK);
	assert_int_equal(event_dict_load(d, 1, "a", 1, "2", 1), CS_E_INVAL);
	event_dict_free(d);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_kept_as_is),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
