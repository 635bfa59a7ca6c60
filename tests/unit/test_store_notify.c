/*
 * test_store_notify.c - the event notification operations of the store
 * (store version 12: due pairs, the cursor's compare-and-set, the events
 * a digest carries, notification rows, pending jobs), the same assertions
 * on both backends: always on a temporary SQLite file, and on a new
 * PostgreSQL database when CSIRTD_TEST_PG holds a server URL
 * (tests/api/test_store_notify_unit.py runs this binary so under the
 * PostgreSQL suite). Every row is made through the store's operations.
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
#include <libpq-fe.h>

#include "core/arena.h"
#include "core/log.h"
#include "store/store.h"

#include "store_fixture.h"

#define MFX_NAME "notify"
#include "store_fixture_both.h"

/* ---- fixtures made through the store ---- */

static int64_t
mkorg(struct mfx *f, const char *short_name, const char *interval)
{
	struct org o = {.name = short_name,
	                .short_name = short_name,
	                .notify_interval = interval,
	                .created_at = 1000,
	                .updated_at = 1000,
	                .version = 1};
	int64_t id = 0;

	assert_int_equal(store_call(f->st, org_put, &o, &id), CS_OK);
	return id;
}

static int64_t
mkreport(struct mfx *f, const char *feed, const char *sha)
{
	struct feed_report r = {.feed = feed,
	                        .report = "scan_http",
	                        .source = "file.csv",
	                        .sha256 = sha,
	                        .state = "done",
	                        .received_at = 1000};
	int64_t id = 0;

	assert_int_equal(store_call(f->st, feed_report_put, &r, &id), CS_OK);
	return id;
}

/* One event of org (0: none) stored at `at`. */
static void
mkevent(struct mfx *f, int64_t report, const char *feed, int64_t org,
        const char *tlp, bool notify, int64_t at, const char *ip)
{
	char data[128];
	struct stored_event e = {.org_id = org, .tlp = tlp, .notify = notify};

	snprintf(data, sizeof(data), "{\"source.ip\": \"%s\"}", ip);
	e.data = data;
	e.data_len = strlen(data);
	assert_int_equal(
	    store_call(f->st, event_append, report, feed, at, &e, 1), CS_OK);
}

static void
events(struct mfx *f, int64_t org, const char *feed, int64_t after,
       int64_t upto, int64_t settled, int64_t limit, const char *expect)
{
	struct event_row *ev;
	size_t n;
	char got[256] = "";

	assert_int_equal(store_call(f->st, notify_events, f->a, org, feed,
	                            after, upto, settled, limit, &ev, &n),
	                 CS_OK);
	for (size_t i = 0; i < n; i++) {
		const char *ip = strstr(ev[i].data, "10.0.0.");

		assert_non_null(ip);
		assert_true(ev[i].notify && strcmp(ev[i].tlp, "red") != 0);
		assert_true(i == 0 || ev[i].id > ev[i - 1].id);
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%c",
		         i ? "," : "", ip[7]);
	}
	assert_string_equal(got, expect);
}

static void
due(struct mfx *f, int64_t now, int64_t settled, int64_t org,
    const char *expect)
{
	struct page pg = {.limit = 100};
	struct notify_due *d;
	size_t n;
	char got[256] = "";

	assert_int_equal(
	    store_call(f->st, notify_due, f->a, now, settled, org, &pg, &d, &n),
	    CS_OK);
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
		         "%s%lld/%s", i ? "," : "", (long long)d[i].org_id,
		         d[i].feed);
	assert_string_equal(got, expect);
}

/* ---- tests ---- */

static void
test_cursor(void **state)
{
	struct mfx *f = *state;
	int64_t org = mkorg(f, "UNIV", NULL), last = -1, at = -1;

	assert_int_equal(
	    store_call(f->st, notify_cursor_get, org, "ss", &last, &at), CS_OK);
	assert_true(last == 0 && at == 0);
	/* the first digest creates it, only once */
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, org, "ss", 0, 10, 100), CS_OK);
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, org, "ss", 0, 20, 200),
	    CS_E_STALE);
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, org, "ss", 5, 20, 200),
	    CS_E_STALE);
	assert_int_equal(
	    store_call(f->st, notify_cursor_get, org, "ss", &last, &at), CS_OK);
	assert_true(last == 10 && at == 100);
	/* then it moves from where it is only */
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, org, "ss", 10, 20, 200),
	    CS_OK);
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, org, "ss", 10, 30, 300),
	    CS_E_STALE);
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, org, "ss", 20, 20, 250),
	    CS_OK);
	assert_int_equal(
	    store_call(f->st, notify_cursor_get, org, "ss", &last, &at), CS_OK);
	assert_true(last == 20 && at == 250);
	/* per feed */
	assert_int_equal(
	    store_call(f->st, notify_cursor_get, org, "other", &last, &at),
	    CS_OK);
	assert_true(last == 0 && at == 0);
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, org, "other", 0, 1, 100),
	    CS_OK);
}

static void
test_events_and_due(void **state)
{
	struct mfx *f = *state;
	int64_t univ = mkorg(f, "UNIV", "immediate");
	int64_t hosp = mkorg(f, "HOSP", "hourly");
	int64_t off = mkorg(f, "OFF", "never");
	int64_t rep = mkreport(f, "ss", "aa");
	int64_t rep2 = mkreport(f, "other", "bb");
	struct event_row *ev;
	size_t n;
	int64_t first;

	mkevent(f, rep, "ss", univ, "green", true, 1000, "10.0.0.1");
	mkevent(f, rep, "ss", univ, "red", true, 1000, "10.0.0.2");
	mkevent(f, rep, "ss", univ, "amber", false, 1000, "10.0.0.3");
	mkevent(f, rep, "ss", univ, "amber", true, 1000, "10.0.0.4");
	mkevent(f, rep, "ss", 0, "green", true, 1000, "10.0.0.5");
	mkevent(f, rep, "ss", hosp, "clear", true, 1000, "10.0.0.6");
	mkevent(f, rep2, "other", univ, "green", true, 2000, "10.0.0.7");
	mkevent(f, rep, "ss", univ, "green", true, 3000, "10.0.0.8");
	mkevent(f, rep, "ss", off, "green", true, 1000, "10.0.0.9");
	/* notify set, not red, in id order; bounds */
	events(f, univ, "ss", 0, 0, 0, 100, "1,4,8");
	events(f, univ, "ss", 0, 0, 2999, 100, "1,4");
	events(f, univ, "ss", 0, 0, 0, 2, "1,4");
	events(f, univ, "other", 0, 0, 0, 100, "7");
	assert_int_equal(store_call(f->st, notify_events, f->a, univ, "ss", 0,
	                            0, 0, 1, &ev, &n),
	                 CS_OK);
	first = ev[0].id;
	events(f, univ, "ss", first, 0, 0, 100, "4,8");
	events(f, univ, "ss", first - 1, first + 3, 0, 100, "1,4");
	/* due: no digest yet, any interval but never; settled bounds */
	due(f, 5000, 5000, 0, "1/other,1/ss,2/ss");
	due(f, 5000, 1500, 0, "1/ss,2/ss");
	due(f, 5000, 5000, off, "3/ss");
	due(f, 5000, 5000, hosp, "2/ss");
	/* UNIV's ss digest covered everything: not due; HOSP sent an hour
	 * ago less a second: not due yet */
	assert_int_equal(store_call(f->st, notify_events, f->a, univ, "ss", 0,
	                            0, 0, 100, &ev, &n),
	                 CS_OK);
	assert_int_equal(store_call(f->st, notify_cursor_set, univ, "ss", 0,
	                            ev[n - 1].id, 5000),
	                 CS_OK);
	assert_int_equal(store_call(f->st, notify_events, f->a, hosp, "ss", 0,
	                            0, 0, 100, &ev, &n),
	                 CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(
	    store_call(f->st, notify_cursor_set, hosp, "ss", 0, ev[0].id, 5000),
	    CS_OK);
	due(f, 8600, 8600, 0, "1/other");
	mkevent(f, rep, "ss", hosp, "clear", true, 5000, "10.0.0.5");
	due(f, 8599, 8599, 0, "1/other");
	due(f, 8600, 8600, 0, "1/other,2/ss");
	due(f, 8600, 8600, univ, "1/other");
	/* a new event makes an immediate organisation due at once */
	mkevent(f, rep, "ss", univ, "amber+strict", true, 6000, "10.0.0.0");
	due(f, 6001, 6001, 0, "1/other,1/ss");
	/* a red one does not */
	mkevent(f, rep2, "other", hosp, "red", true, 6000, "10.0.0.1");
	due(f, 9000, 9000, hosp, "2/ss");
}

static void
test_notifications(void **state)
{
	struct mfx *f = *state;
	int64_t univ = mkorg(f, "UNIV", NULL), hosp = mkorg(f, "HOSP", NULL);
	struct notification x = {.org_id = univ,
	                         .address = "a@univ.example",
	                         .language = "ca",
	                         .feed = "ss",
	                         .first_event = 3,
	                         .last_event = 9,
	                         .events = 5,
	                         .test = true,
	                         .created_by = "system",
	                         .created_at = 1000},
	                    y, *items;
	struct notification_filter fl = {0};
	struct page pg = {.limit = 10};
	int64_t ids[4];
	size_t n;

	assert_int_equal(store_call(f->st, notification_put, &x, &ids[0]),
	                 CS_OK);
	x.resent_from = ids[0];
	x.test = false;
	x.address = "b@univ.example";
	assert_int_equal(store_call(f->st, notification_put, &x, &ids[1]),
	                 CS_OK);
	x.org_id = hosp;
	x.resent_from = 0;
	assert_int_equal(store_call(f->st, notification_put, &x, &ids[2]),
	                 CS_OK);
	x.feed = "other";
	x.address = "";
	assert_int_equal(store_call(f->st, notification_put, &x, &ids[3]),
	                 CS_OK);
	assert_int_equal(store_call(f->st, notification_get, f->a, ids[0], &y),
	                 CS_OK);
	assert_string_equal(y.org_short, "UNIV");
	assert_string_equal(y.address, "a@univ.example");
	assert_string_equal(y.language, "ca");
	assert_true(y.test && y.first_event == 3 && y.last_event == 9 &&
	            y.events == 5 && y.mail_id == 0 && y.contact_id == 0 &&
	            y.resent_from == 0 && y.mail_state == NULL);
	assert_int_equal(store_call(f->st, notification_get, f->a, ids[1], &y),
	                 CS_OK);
	assert_true(!y.test && y.resent_from == ids[0]);
	assert_int_equal(store_call(f->st, notification_get, f->a, 999999, &y),
	                 CS_E_NOTFOUND);
	/* newest first; filters; keyset pages */
	assert_int_equal(
	    store_call(f->st, notification_list, f->a, &fl, &pg, &items, &n),
	    CS_OK);
	assert_int_equal(n, 4);
	assert_true(items[0].id == ids[3] && items[3].id == ids[0]);
	fl.org_id = univ;
	assert_int_equal(
	    store_call(f->st, notification_list, f->a, &fl, &pg, &items, &n),
	    CS_OK);
	assert_int_equal(n, 2);
	fl.org_id = hosp;
	fl.feed = "other";
	assert_int_equal(
	    store_call(f->st, notification_list, f->a, &fl, &pg, &items, &n),
	    CS_OK);
	assert_true(n == 1 && items[0].id == ids[3]);
	fl = (struct notification_filter){0};
	pg.after = ids[2];
	assert_int_equal(
	    store_call(f->st, notification_list, f->a, &fl, &pg, &items, &n),
	    CS_OK);
	assert_true(n == 2 && items[0].id == ids[1]);
}

static void
test_job_pending(void **state)
{
	struct mfx *f = *state;
	struct job j = {.kind = "notify.digest",
	                .payload = "{\"feed\":\"ss\",\"org\":1}",
	                .max_attempts = 3,
	                .created_at = 1000,
	                .run_after = 1000},
	           c;
	bool pending = true;
	int64_t id;

	assert_int_equal(store_call(f->st, job_pending, "notify.digest",
	                            j.payload, &pending),
	                 CS_OK);
	assert_false(pending);
	assert_int_equal(store_call(f->st, job_put, &j, &id), CS_OK);
	assert_int_equal(store_call(f->st, job_pending, "notify.digest",
	                            j.payload, &pending),
	                 CS_OK);
	assert_true(pending);
	assert_int_equal(store_call(f->st, job_pending, "notify.digest",
	                            "{\"feed\":\"ss\",\"org\":2}", &pending),
	                 CS_OK);
	assert_false(pending);
	assert_int_equal(
	    store_call(f->st, job_pending, "mail.send", j.payload, &pending),
	    CS_OK);
	assert_false(pending);
	/* running is pending; done is not */
	assert_int_equal(store_call(f->st, job_claim, f->a, 2000, 60, &c),
	                 CS_OK);
	assert_int_equal(store_call(f->st, job_pending, "notify.digest",
	                            j.payload, &pending),
	                 CS_OK);
	assert_true(pending);
	assert_int_equal(store_call(f->st, job_done, c.id, c.attempts, 2001),
	                 CS_OK);
	assert_int_equal(store_call(f->st, job_pending, "notify.digest",
	                            j.payload, &pending),
	                 CS_OK);
	assert_false(pending);
}

#define NOTIFY_TESTS(setup_fn)                                                 \
	{                                                                      \
		cmocka_unit_test_setup_teardown(test_cursor, setup_fn,         \
		                                teardown_any),                 \
		    cmocka_unit_test_setup_teardown(test_events_and_due,       \
		                                    setup_fn, teardown_any),   \
		    cmocka_unit_test_setup_teardown(test_notifications,        \
		                                    setup_fn, teardown_any),   \
		    cmocka_unit_test_setup_teardown(test_job_pending,          \
		                                    setup_fn, teardown_any),   \
	}

int
main(void)
{
	const struct CMUnitTest sqlite_tests[] = NOTIFY_TESTS(setup_sqlite);
	const struct CMUnitTest pg_tests[] = NOTIFY_TESTS(setup_pg);
	int failed;

	log_init(LOG_LVL_ERROR, false, "test_store_notify");
	failed =
	    cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
	pg_base = getenv("CSIRTD_TEST_PG");
	if (pg_base != NULL && *pg_base != '\0')
		failed += cmocka_run_group_tests_name("postgres", pg_tests,
		                                      NULL, NULL);
	return failed;
}
