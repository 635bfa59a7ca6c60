/*
 * test_dedup.c - windows, key variants, capacity eviction against a model,
 * aggregation (counts, first/last, emitted event), flush, expiry, bounds,
 * and correctness when every key collides in a tiny index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pipeline/dedup.h"

#define T0 1700000000LL

static const uint8_t HKEY[DEDUP_HASH_KEY_BYTES] = "0123456789abcdef";

struct fixture {
	struct event_batch *b;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->b = event_batch_new(1 << 22);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	event_batch_free(fx->b);
	free(fx);
	return 0;
}

static void
set(struct event_batch *b, struct event *ev, enum event_field f,
    const char *text)
{
	char why[EVENT_WHY_MAX];

	if (event_set_text(b, ev, f, text, strlen(text), why) != CS_OK)
		fail_msg("%s=%s: %s", event_field_name(f), text, why);
}

/* An event with source.ip, source.port (port NULL: absent),
 * classification.identifier and time.source. */
static struct event *
mk(struct event_batch *b, const char *ip, const char *port, const char *id,
   int64_t t)
{
	struct event *ev;

	assert_int_equal(event_new(b, &ev), CS_OK);
	set(b, ev, EF_SOURCE_IP, ip);
	if (port != NULL)
		set(b, ev, EF_SOURCE_PORT, port);
	set(b, ev, EF_CLASS_IDENTIFIER, id);
	set(b, ev, EF_FEED_NAME, "scan_http");
	event_set_time(ev, EF_TIME_SOURCE, t);
	return ev;
}

static struct dedup_config
base_config(void)
{
	struct dedup_config c = {0};
	char why[DEDUP_WHY_MAX];

	if (dedup_key_parse("source.ip, source.port,classification.identifier",
	                    &c, why) != CS_OK)
		fail_msg("%s", why);
	c.window = 3600;
	c.time_field = EF_TIME_SOURCE;
	c.capacity = 1000;
	c.mode = DEDUP_DROP;
	c.hash_key = HKEY;
	return c;
}

static struct dedup *
mkdedup(const struct dedup_config *c)
{
	struct dedup *d = NULL;
	char why[DEDUP_WHY_MAX];

	if (dedup_new(c, &d, why) != CS_OK)
		fail_msg("dedup_new: %s", why);
	return d;
}

static void
test_window(void **state)
{
	struct fixture *fx = *state;
	struct dedup_config c = base_config();
	struct dedup *d = mkdedup(&c);
	struct event_batch *b = fx->b;
	struct dedup_stats st;

	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0)),
	                 DEDUP_NEW);
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0 + 10)),
	    DEDUP_DUPLICATE);
	/* the last second of the window, and a late event before it */
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0 + 3599)),
	    DEDUP_DUPLICATE);
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0 - 500)),
	    DEDUP_DUPLICATE);
	/* the window closes after 3600 s: the next one opens */
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0 + 3600)),
	    DEDUP_NEW);
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0 + 7199)),
	    DEDUP_DUPLICATE);
	dedup_get_stats(d, &st);
	assert_int_equal(st.seen, 6);
	assert_int_equal(st.unique, 2);
	assert_int_equal(st.duplicates, 4);
	assert_int_equal(st.closed, 1);
	assert_int_equal(st.evictions, 0);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.capacity, 1000);
	assert_true(st.memory >= 1000 * 2 * 8);
	dedup_free(d);
}

static void
test_key_variants(void **state)
{
	struct fixture *fx = *state;
	struct event_batch *b = fx->b;
	struct dedup_config c = base_config();
	struct dedup *d = mkdedup(&c);
	struct event *ev;
	char url[200];

	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0)),
	                 DEDUP_NEW);
	/* each key field matters */
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.2", "80", "http", T0)),
	                 DEDUP_NEW);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "81", "http", T0)),
	                 DEDUP_NEW);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "80", "https", T0)),
	                 DEDUP_NEW);
	/* absent differs from 0 */
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", NULL, "http", T0)),
	                 DEDUP_NEW);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "0", "http", T0)),
	                 DEDUP_NEW);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", NULL, "http", T0)),
	                 DEDUP_DUPLICATE);
	/* IPv4 and the same bytes as IPv6 differ */
	assert_int_equal(dedup_push(d, mk(b, "::c000:201", "80", "http", T0)),
	                 DEDUP_NEW);
	/* fields outside the key do not matter */
	ev = mk(b, "192.0.2.1", "80", "http", T0 + 1);
	set(b, ev, EF_FEED_NAME, "other");
	set(b, ev, EF_SOURCE_ASN, "64500");
	assert_int_equal(dedup_push(d, ev), DEDUP_DUPLICATE);
	dedup_free(d);

	/* feed.name and a long URL in the key: long strings enter hashed,
	 * and still tell keys apart by their last byte */
	assert_int_equal(dedup_key_parse("feed.name,source.url", &c,
	                                 (char[DEDUP_WHY_MAX]){0}),
	                 CS_OK);
	d = mkdedup(&c);
	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "http://", 7);
	url[sizeof(url) - 1] = '\0';
	ev = mk(b, "192.0.2.1", "80", "http", T0);
	set(b, ev, EF_SOURCE_URL, url);
	assert_int_equal(dedup_push(d, ev), DEDUP_NEW);
	ev = mk(b, "192.0.2.9", "81", "x", T0);
	set(b, ev, EF_SOURCE_URL, url);
	assert_int_equal(dedup_push(d, ev), DEDUP_DUPLICATE);
	url[sizeof(url) - 2] = 'b';
	ev = mk(b, "192.0.2.1", "80", "http", T0);
	set(b, ev, EF_SOURCE_URL, url);
	assert_int_equal(dedup_push(d, ev), DEDUP_NEW);
	ev = mk(b, "192.0.2.1", "80", "http", T0);
	set(b, ev, EF_SOURCE_URL, url);
	set(b, ev, EF_FEED_NAME, "scan_dns");
	assert_int_equal(dedup_push(d, ev), DEDUP_NEW);
	dedup_free(d);
}

static void
test_time_field(void **state)
{
	struct fixture *fx = *state;
	struct event_batch *b = fx->b;
	struct dedup_config c = base_config();
	struct dedup *d;
	struct event *ev;

	c.time_field = EF_TIME_OBSERVATION;
	d = mkdedup(&c);
	ev = mk(b, "192.0.2.1", "80", "http", T0);
	event_set_time(ev, EF_TIME_OBSERVATION, T0 + 86400);
	assert_int_equal(dedup_push(d, ev), DEDUP_NEW);
	/* observed an hour later: a new window, though time.source is equal */
	ev = mk(b, "192.0.2.1", "80", "http", T0);
	event_set_time(ev, EF_TIME_OBSERVATION, T0 + 86400 + 3600);
	assert_int_equal(dedup_push(d, ev), DEDUP_NEW);
	/* without time.observation, time.source (far past: a late event) */
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0)),
	                 DEDUP_DUPLICATE);
	dedup_free(d);
}

static void
test_capacity_eviction(void **state)
{
	struct fixture *fx = *state;
	struct event_batch *b = fx->b;
	struct dedup_config c = base_config();
	struct dedup *d;
	struct dedup_stats st;
	char ip[32];

	c.capacity = 4;
	d = mkdedup(&c);
	for (int i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		assert_int_equal(dedup_push(d, mk(b, ip, "80", "http", T0 + i)),
		                 DEDUP_NEW);
	}
	dedup_get_stats(d, &st);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(st.entries, 4);
	/* the oldest key went: its duplicate passes again (and evicts .1) */
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.0", "80", "http", T0 + 5)), DEDUP_NEW);
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.4", "80", "http", T0 + 5)),
	    DEDUP_DUPLICATE);
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "80", "http", T0 + 5)), DEDUP_NEW);
	dedup_get_stats(d, &st);
	assert_int_equal(st.evictions, 3);
	assert_int_equal(st.entries, 4);
	dedup_free(d);
}

/*
 * A reference model (a FIFO of keys by window start) against the table with
 * 4 entries and an 8-slot index: every probe sequence overlaps, so backward
 * shift deletion and eviction are exercised on long collision chains. With
 * a fixed hash key the run is reproducible; the check is exact agreement.
 */
static void
test_collisions_against_model(void **state)
{
	struct fixture *fx = *state;
	struct event_batch *b = fx->b;
	struct dedup_config c = base_config();
	struct dedup *d;
	struct dedup_stats st;
	int fifo[4], n = 0, k, at, dups = 0;
	uint64_t x = 88172645463325252ULL;
	char ip[32];
	enum dedup_verdict want, got;

	c.capacity = 4;
	d = mkdedup(&c);
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (int)(x % 9);
		for (at = 0; at < n && fifo[at] != k; at++)
			;
		if (at < n) {
			want = DEDUP_DUPLICATE;
			dups++;
		} else {
			want = DEDUP_NEW;
			if (n == 4) {
				memmove(fifo, fifo + 1, 3 * sizeof(int));
				n--;
			}
			fifo[n++] = k;
		}
		snprintf(ip, sizeof(ip), "198.51.100.%d", k);
		if (i % 256 == 0)
			event_batch_reset(b);
		got = dedup_push(d, mk(b, ip, "443", "x", T0));
		if (got != want)
			fail_msg("event %d key %d: got %d want %d", i, k, got,
			         want);
	}
	dedup_get_stats(d, &st);
	assert_int_equal(st.duplicates, dups);
	assert_int_equal(st.unique + st.duplicates, 20000);
	assert_int_equal(st.evictions, st.unique - 4);
	assert_true(dups > 1000 && st.evictions > 1000);
	dedup_free(d);

	/* a random key gives the same verdicts (only positions differ) */
	c.hash_key = NULL;
	d = mkdedup(&c);
	for (int i = 0; i < 8; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i % 4);
		assert_int_equal(dedup_push(d, mk(b, ip, "443", "x", T0)),
		                 i < 4 ? DEDUP_NEW : DEDUP_DUPLICATE);
	}
	dedup_free(d);
}

/* dedup_push_batch() gives the verdicts dedup_push() gives, on the same
 * stream (collisions, evictions, window closes inside a group). */
static void
test_batch_matches_single(void **state)
{
	struct fixture *fx = *state;
	struct event_batch *b = fx->b;
	struct dedup_config c = base_config();
	struct dedup *one, *many;
	struct dedup_stats s1, s2;
	const struct event *evs[200];
	enum dedup_verdict want[200], got[200];
	uint64_t x = 12345;
	char ip[32];

	c.capacity = 8;
	c.window = 60;
	one = mkdedup(&c);
	many = mkdedup(&c);
	for (int round = 0; round < 20; round++) {
		event_batch_reset(b);
		for (int i = 0; i < 200; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			snprintf(ip, sizeof(ip), "203.0.113.%d", (int)(x % 12));
			evs[i] =
			    mk(b, ip, "22", "ssh", T0 + round * 200 + i / 4);
			want[i] = dedup_push(one, evs[i]);
		}
		dedup_push_batch(many, evs, 200, got);
		assert_memory_equal(want, got, sizeof(want));
	}
	dedup_get_stats(one, &s1);
	dedup_get_stats(many, &s2);
	assert_int_equal(s1.duplicates, s2.duplicates);
	assert_int_equal(s1.evictions, s2.evictions);
	assert_int_equal(s1.closed, s2.closed);
	assert_true(s1.duplicates > 0 && s1.evictions > 0 && s1.closed > 0);
	dedup_free(one);
	dedup_free(many);
}

struct sink {
	int n;
	struct dedup_aggregate agg[16];
	char port[16][8];
	char first[16][32], last[16][32];
	int64_t count[16];
	char extra_note[16][16];
};

static void
collect(void *ctx, struct event *ev, const struct dedup_aggregate *agg)
{
	struct sink *s = ctx;
	const struct extra_value *v;
	int i = s->n++;

	assert_true(i < 16);
	s->agg[i] = *agg;
	snprintf(s->port[i], sizeof(s->port[i]), "%u", ev->source_port);
	v = event_get_extra(ev, "first_seen");
	snprintf(s->first[i], sizeof(s->first[i]), "%s",
	         v != NULL && v->kind == XV_STRING ? v->u.s : "-");
	v = event_get_extra(ev, "last_seen");
	snprintf(s->last[i], sizeof(s->last[i]), "%s",
	         v != NULL && v->kind == XV_STRING ? v->u.s : "-");
	v = event_get_extra(ev, "count");
	s->count[i] = v != NULL && v->kind == XV_INT ? v->u.i : -1;
	v = event_get_extra(ev, "note");
	snprintf(s->extra_note[i], sizeof(s->extra_note[i]), "%s",
	         v != NULL && v->kind == XV_STRING ? v->u.s : "-");
	assert_string_equal(ev->str[EF_CLASS_IDENTIFIER], "http");
	assert_string_equal(ev->str[EF_FEED_NAME], "scan_http");
}

static void
test_aggregate(void **state)
{
	struct fixture *fx = *state;
	struct event_batch *b = fx->b;
	struct dedup_config c = base_config();
	struct dedup *d;
	struct dedup_stats st;
	struct sink s = {0};
	struct event *ev;
	struct extra_value note = {.kind = XV_STRING, .u.s = "first"};
	char key[] = "source.ip,classification.identifier";

	assert_int_equal(dedup_key_parse(key, &c, (char[DEDUP_WHY_MAX]){0}),
	                 CS_OK);
	c.mode = DEDUP_AGGREGATE;
	c.record_max = 512;
	c.emit = collect;
	c.emit_ctx = &s;
	d = mkdedup(&c);

	/* key A: three events; the first one's data is what comes out */
	ev = mk(b, "192.0.2.1", "80", "http", T0 + 100);
	assert_int_equal(event_set_extra(ev, "note", note), CS_OK);
	assert_int_equal(dedup_push(d, ev), DEDUP_HELD);
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "81", "http", T0 + 50)),
	    DEDUP_HELD);
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.1", "82", "http", T0 + 2000)),
	    DEDUP_HELD);
	/* key B */
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.2", "25", "http", T0 + 3000)),
	    DEDUP_HELD);
	assert_int_equal(s.n, 0);
	/* the clock passes A's window end (start T0+100): A comes out */
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.2", "26", "http", T0 + 3700)),
	    DEDUP_HELD);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.agg[0].reason, DEDUP_EMIT_WINDOW);
	assert_int_equal(s.agg[0].count, 3);
	assert_int_equal(s.agg[0].first_seen, T0 + 50);
	assert_int_equal(s.agg[0].last_seen, T0 + 2000);
	assert_string_equal(s.port[0], "80");
	assert_string_equal(s.extra_note[0], "first");
	assert_string_equal(s.first[0], "2023-11-14T22:14:10+00:00");
	assert_string_equal(s.last[0], "2023-11-14T22:46:40+00:00");
	assert_int_equal(s.count[0], 3);

	/* an idle feed: expiry by wall time closes B */
	dedup_expire(d, T0 + 3000 + 3600);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.agg[1].count, 2);
	assert_string_equal(s.port[1], "25");
	assert_string_equal(s.extra_note[1], "-");

	/* flush emits what is held and empties the table */
	assert_int_equal(
	    dedup_push(d, mk(b, "192.0.2.3", "80", "http", T0 + 9000)),
	    DEDUP_HELD);
	dedup_flush(d);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.agg[2].reason, DEDUP_EMIT_FLUSH);
	assert_int_equal(s.agg[2].count, 1);
	assert_int_equal(s.agg[2].first_seen, s.agg[2].last_seen);
	dedup_flush(d);
	assert_int_equal(s.n, 3);
	dedup_get_stats(d, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.emitted, 3);
	assert_int_equal(st.closed, 2);
	assert_int_equal(st.seen, 6);
	dedup_free(d);
}

static void
test_aggregate_eviction_and_oversize(void **state)
{
	struct fixture *fx = *state;
	struct event_batch *b = fx->b;
	struct dedup_config c = base_config();
	struct dedup *d;
	struct dedup_stats st;
	struct sink s = {0};
	struct event *ev;
	char url[400];

	c.mode = DEDUP_AGGREGATE;
	c.record_max = 256;
	c.capacity = 2;
	c.emit = collect;
	c.emit_ctx = &s;
	d = mkdedup(&c);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "1", "http", T0)),
	                 DEDUP_HELD);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "1", "http", T0)),
	                 DEDUP_HELD);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "2", "http", T0)),
	                 DEDUP_HELD);
	assert_int_equal(dedup_push(d, mk(b, "192.0.2.1", "3", "http", T0)),
	                 DEDUP_HELD);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.agg[0].reason, DEDUP_EMIT_EVICTED);
	assert_int_equal(s.agg[0].count, 2);
	assert_string_equal(s.port[0], "1");

	/* too big to keep a copy of: passed through, table untouched */
	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "http://", 7);
	url[sizeof(url) - 1] = '\0';
	ev = mk(b, "192.0.2.1", "9", "http", T0);
	set(b, ev, EF_SOURCE_URL, url);
	assert_int_equal(dedup_push(d, ev), DEDUP_PASS);
	dedup_get_stats(d, &st);
	assert_int_equal(st.oversize, 1);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.evictions, 1);
	assert_int_equal(s.n, 1);
	dedup_flush(d);
	assert_int_equal(s.n, 3);
	dedup_free(d);
}

static void
test_config_errors(void **state)
{
	struct dedup_config c = base_config(), bad;
	struct dedup *d = NULL;
	char why[DEDUP_WHY_MAX];

	(void)state;
	assert_int_equal(dedup_key_parse("source.ip,source.nope", &c, why),
	                 CS_E_INVAL);
	assert_string_equal(why, "source.nope: not a typed event field");
	assert_int_equal(dedup_key_parse("source.ip,,feed.name", &c, why),
	                 CS_E_INVAL);
	assert_int_equal(
	    dedup_key_parse("source.ip,source.port,source.asn,feed.name,"
	                    "feed.provider,source.fqdn,source.url,"
	                    "destination.ip,destination.port",
	                    &c, why),
	    CS_E_INVAL);
	assert_string_equal(why, "more than 8 key fields");

	c = base_config();
	bad = c;
	bad.key[1] = bad.key[0];
	assert_int_equal(dedup_new(&bad, &d, why), CS_E_INVAL);
	assert_string_equal(why, "key: source.ip listed twice");
	bad = c;
	bad.window = 0;
	assert_int_equal(dedup_new(&bad, &d, why), CS_E_INVAL);
	bad = c;
	bad.capacity = 0;
	assert_int_equal(dedup_new(&bad, &d, why), CS_E_INVAL);
	bad = c;
	bad.capacity = DEDUP_CAPACITY_MAX + 1;
	assert_int_equal(dedup_new(&bad, &d, why), CS_E_INVAL);
	bad = c;
	bad.time_field = EF_SOURCE_IP;
	assert_int_equal(dedup_new(&bad, &d, why), CS_E_INVAL);
	bad = c;
	bad.mode = DEDUP_AGGREGATE;
	bad.record_max = 512;
	assert_int_equal(dedup_new(&bad, &d, why), CS_E_INVAL); /* no emit */
	assert_null(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_window, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_key_variants, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_time_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_capacity_eviction, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_collisions_against_model,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch_matches_single, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_aggregate, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_aggregate_eviction_and_oversize, setup, teardown),
	    cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
