/*
 * test_store_events.c - stored events on the SQLite backend: lines come
 * back exactly through the packed form, each report with its own codes;
 * searches by address across the index's id ranges page like the other
 * filters; rows stored before packing and batches rolled back.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/arena.h"
#include "core/log.h"
#include "store/store.h"

#include "store_fixture.h"

#define MANY 140000 /* more than two of the address index's id ranges */

static int64_t
mkreport(struct fx *f, const char *sha)
{
	struct feed_report r = {
	    .feed = "shadowserver",
	    .report = "scan_http",
	    .source = "f.csv",
	    .sha256 = sha,
	    .state = "running",
	    .received_at = 1000,
	};
	int64_t id = 0;

	assert_int_equal(store_call(f->st, feed_report_put, &r, &id), CS_OK);
	return id;
}

/* The line of event i of report rep, and its address (10.x.y.z). */
static size_t
line_of(char *out, size_t cap, int rep, int i, uint8_t ip[EVENT_IP_BYTES])
{
	memset(ip, 0, EVENT_IP_BYTES);
	ip[10] = ip[11] = 0xff;
	ip[12] = 10;
	ip[13] = (uint8_t)(i % 7);
	ip[14] = (uint8_t)(i / 256 % 256);
	ip[15] = (uint8_t)(i % 256);
	return (size_t)snprintf(
	    out, cap,
	    "{\"time.source\":\"2024-01-01T00:00:%02d+00:00\","
	    "\"source.ip\":\"10.%d.%d.%d\",\"source.port\":%d,"
	    "\"feed.name\":\"Report %d\",%s\"extra.n\":%d,"
	    "\"__type\":\"Event\"}",
	    i % 60, ip[13], ip[14], ip[15], i % 3 ? 80 : 443, rep,
	    i % 5 ? "" : "\"extra.s\":\"a,\\\"b\\\":c\",", i);
}

/* Appends n events to report rep in batches of 1,000, one transaction. */
static void
append(struct fx *f, int64_t rep_id, int rep, int n)
{
	static struct stored_event ev[1000];
	static char text[1000][256];

	assert_int_equal(store_begin(f->st, true), CS_OK);
	for (int i = 0; i < n;) {
		size_t k = 0;

		for (; k < 1000 && i < n; k++, i++) {
			memset(&ev[k], 0, sizeof(ev[k]));
			ev[k].data_len = line_of(text[k], sizeof(text[k]), rep,
			                         i, ev[k].source_ip);
			ev[k].data = text[k];
			ev[k].has_ip = true;
			ev[k].has_time = true;
			ev[k].time_source = 1704067200 + i % 60;
			ev[k].tlp = "amber";
		}
		assert_int_equal(store_call(f->st, event_append, rep_id,
		                            "shadowserver", 2000, ev, k),
		                 CS_OK);
	}
	assert_int_equal(store_commit(f->st), CS_OK);
}

static void
test_lines_come_back(void **state)
{
	struct fx *f = *state;
	int64_t r1 = mkreport(f, "a"), r2 = mkreport(f, "b");
	struct event_filter flt = {0};
	struct page p = {.limit = 200};
	struct event_row *rows;
	size_t n;
	char want[256];
	uint8_t ip[EVENT_IP_BYTES];

	append(f, r1, 1, 150);
	append(f, r2, 2, 150);
	for (int rep = 1; rep <= 2; rep++) {
		flt.report_id = rep == 1 ? r1 : r2;
		assert_int_equal(
		    store_call(f->st, event_list, f->a, &flt, &p, &rows, &n),
		    CS_OK);
		assert_int_equal(n, 150);
		for (size_t i = 0; i < n; i++) {
			/* newest first */
			size_t len = line_of(want, sizeof(want), rep,
			                     (int)(149 - i), ip);

			assert_int_equal(rows[i].data_len, len);
			assert_string_equal(rows[i].data, want);
			assert_int_equal(rows[i].report_id, flt.report_id);
		}
	}
	/* the keys and usual values are kept once per report */
	{
		sqlite3 *db;
		sqlite3_stmt *q;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(
		                     db,
		                     "SELECT count(*), max(length(data)) FROM "
		                     "feed_event",
		                     -1, &q, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(q, 0), 300);
		assert_true(sqlite3_column_int(q, 1) < 100);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
}

/* A row written before packing holds the line itself. */
static void
test_rows_stored_before(void **state)
{
	struct fx *f = *state;
	int64_t r1 = mkreport(f, "a");
	struct event_filter flt = {0};
	struct page p = {.limit = 10};
	struct event_row *rows;
	size_t n;
	char s[512];

	append(f, r1, 1, 3);
	snprintf(s, sizeof(s),
	         "INSERT INTO feed_event (report_id, feed, tlp, notify, data, "
	         "stored_at) VALUES (%lld, 'shadowserver', 'amber', 0, "
	         "CAST('{\"a\":1}' AS BLOB), 1)",
	         (long long)r1);
	sql(f, s);
	assert_int_equal(
	    store_call(f->st, event_list, f->a, &flt, &p, &rows, &n), CS_OK);
	assert_int_equal(n, 4);
	assert_string_equal(rows[0].data, "{\"a\":1}");
	assert_int_equal(rows[0].data_len, 7);
	assert_non_null(strstr(rows[1].data, "\"extra.n\":2,"));
}

/* Codes added by a batch that was rolled back are gone with it. */
static void
test_rollback(void **state)
{
	struct fx *f = *state;
	int64_t r1 = mkreport(f, "a");
	struct stored_event ev = {
	    .data = "{\"k\":\"v\",\"j\":2}", .data_len = 15, .tlp = "amber"};
	struct event_filter flt = {0};
	struct page p = {.limit = 10};
	struct event_row *rows;
	size_t n;

	assert_int_equal(store_begin(f->st, true), CS_OK);
	assert_int_equal(
	    store_call(f->st, event_append, r1, "shadowserver", 1, &ev, 1),
	    CS_OK);
	store_rollback(f->st);
	ev.data = "{\"j\":3,\"k\":\"w\"}";
	assert_int_equal(store_begin(f->st, true), CS_OK);
	assert_int_equal(
	    store_call(f->st, event_append, r1, "shadowserver", 1, &ev, 1),
	    CS_OK);
	assert_int_equal(store_commit(f->st), CS_OK);
	assert_int_equal(
	    store_call(f->st, event_list, f->a, &flt, &p, &rows, &n), CS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].data, "{\"j\":3,\"k\":\"w\"}");
}

/* Searching by address walks the index's id ranges newest first and
 * pages exactly like a scan of every event. */
static void
test_by_address_across_ranges(void **state)
{
	struct fx *f = *state;
	int64_t r1 = mkreport(f, "a");
	struct event_filter flt = {0};
	struct page p = {.limit = 101};
	struct event_row *rows;
	size_t n, seen = 0, want = 0;
	int64_t last = INT64_MAX;
	uint8_t ip[EVENT_IP_BYTES];
	char line[256];

	append(f, r1, 1, MANY);
	/* 10.3.0.0/16, and port 443 only (a residual filter) */
	memset(flt.ip_lo, 0, EVENT_IP_BYTES);
	flt.ip_lo[10] = flt.ip_lo[11] = 0xff;
	flt.ip_lo[12] = 10;
	flt.ip_lo[13] = 3;
	memcpy(flt.ip_hi, flt.ip_lo, EVENT_IP_BYTES);
	flt.ip_hi[14] = flt.ip_hi[15] = 0xff;
	flt.has_range = true;
	for (int i = 0; i < MANY; i++)
		if (i % 7 == 3)
			want++;
	for (;;) {
		arena_reset(f->a);
		assert_int_equal(
		    store_call(f->st, event_list, f->a, &flt, &p, &rows, &n),
		    CS_OK);
		for (size_t i = 0; i < n && i < 100; i++) {
			int k = (int)(rows[i].id - 1);

			assert_true(rows[i].id < last);
			last = rows[i].id;
			line_of(line, sizeof(line), 1, k, ip);
			assert_string_equal(rows[i].data, line);
			assert_int_equal(k % 7, 3);
			seen++;
		}
		if (n < 101)
			break;
		p.after = rows[99].id;
	}
	assert_int_equal(seen, want);
	/* one address, from the middle of the second range */
	{
		int k = 70003;

		line_of(line, sizeof(line), 1, k, flt.ip_lo);
		memcpy(flt.ip_hi, flt.ip_lo, EVENT_IP_BYTES);
		p.after = 0;
		arena_reset(f->a);
		assert_int_equal(
		    store_call(f->st, event_list, f->a, &flt, &p, &rows, &n),
		    CS_OK);
		/* 10.(k%7).(k/256%256).(k%256) repeats every 7*65536 */
		assert_int_equal(n, 1);
		assert_int_equal(rows[0].id, k + 1);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_lines_come_back),
	    T(test_rows_stored_before),
	    T(test_rollback),
	    T(test_by_address_across_ranges),
	};

	log_init(LOG_LVL_ERROR, false, "test_store_events");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
