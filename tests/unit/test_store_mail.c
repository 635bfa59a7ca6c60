/*
 * test_store_mail.c - the e-mail operations of the store (artefacts,
 * threads, mail), the same assertions on both backends: always on a
 * temporary SQLite file, and on a new PostgreSQL database when
 * CSIRTD_TEST_PG holds a server URL (postgres://user@host:port, see
 * scripts/pg-cluster.sh; tests/api/test_store_mail_unit.py runs this
 * binary so under the PostgreSQL suite). Every row is made through the
 * store's operations, so both backends run identical code.
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
#include <sqlite3.h>

#include "core/arena.h"
#include "core/log.h"
#include "store/store.h"

#include "store_fixture.h"

#define MFX_NAME "mail"
#include "store_fixture_both.h"

/* The first column of the first row of sql, read around the store. */
static long long
count(struct mfx *f, const char *sql)
{
	long long n = -1;

	if (f->pg) {
		PGconn *c = PQconnectdb(f->url);
		PGresult *r = PQexec(c, sql);

		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		else
			fail_msg("%s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
		PQfinish(c);
	} else {
		sqlite3 *db;
		sqlite3_stmt *q;

		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL),
		                 SQLITE_OK);
		if (sqlite3_step(q) == SQLITE_ROW)
			n = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	return n;
}

/* ---- fixtures made through the store ---- */

static int64_t
mkincident(struct mfx *f, const char **ref_out)
{
	struct incident x = {
	    .title = "Phishing wave",
	    .summary = "",
	    .tlp = TLP_AMBER,
	    .pap = PAP_AMBER,
	    .impact = LEVEL_MEDIUM,
	    .urgency = LEVEL_MEDIUM,
	    .priority = 3,
	    .status = STATUS_NEW,
	    .response_due = 2000,
	    .resolve_due = 9000,
	    .created_by = "alice",
	    .created_at = 1000,
	    .updated_at = 1000,
	};

	assert_int_equal(
	    store_call(f->st, incident_put, f->a, "CERT", 2026, &x), CS_OK);
	assert_true(x.id > 0);
	if (ref_out != NULL)
		*ref_out = x.ref;
	return x.id;
}

static void
mkartefact(struct mfx *f, const char *sha, const char *type,
           const unsigned char *data, int64_t size)
{
	struct artefact x = {.sha256 = sha,
	                     .size = size,
	                     .content_type = type,
	                     .data = data,
	                     .created_at = 1000};

	assert_int_equal(store_call(f->st, artefact_put, &x), CS_OK);
}

static int64_t
mkmail(struct mfx *f, const char *dir, const char *state, const char *msgid,
       int64_t incident_id, int64_t thread_id)
{
	struct mail m = {.direction = dir,
	                 .state = state,
	                 .message_id = msgid,
	                 .incident_id = incident_id,
	                 .thread_id = thread_id,
	                 .created_by = "system",
	                 .created_at = 1000};
	int64_t id = 0;

	assert_int_equal(store_call(f->st, mail_put, &m, &id), CS_OK);
	assert_true(id > 0);
	return id;
}

static const char SHA_A[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char SHA_B[] =
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char SHA_C[] =
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
static const char SHA_E[] =
    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";

/* ---- artefacts ---- */

static void
test_artefact(void **state)
{
	struct mfx *f = *state;
	static const unsigned char bin[] = {0x00, 0xff, 'a',  0x00, '\\',
	                                    'x',  '\n', 0x80, 0xfe, 0x00};
	unsigned char big[70000];
	struct artefact x;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + (i >> 8));
	mkartefact(f, SHA_A, "application/octet-stream", bin, sizeof(bin));
	/* the same hash again: stored once, the first one stays */
	mkartefact(f, SHA_A, "text/plain", (const unsigned char *)"x", 1);
	assert_int_equal(count(f, "SELECT count(*) FROM artefact"), 1);

	assert_int_equal(
	    store_call(f->st, artefact_get, f->a, SHA_A, false, &x), CS_OK);
	assert_string_equal(x.sha256, SHA_A);
	assert_int_equal(x.size, sizeof(bin));
	assert_string_equal(x.content_type, "application/octet-stream");
	assert_int_equal(x.created_at, 1000);
	assert_null(x.data);

	assert_int_equal(store_call(f->st, artefact_get, f->a, SHA_A, true, &x),
	                 CS_OK);
	assert_int_equal(x.size, sizeof(bin));
	assert_non_null(x.data);
	assert_memory_equal(x.data, bin, sizeof(bin));
	assert_int_equal(x.data[sizeof(bin)], 0);

	/* empty, and larger than one buffer of anything */
	mkartefact(f, SHA_E, "text/plain", NULL, 0);
	assert_int_equal(store_call(f->st, artefact_get, f->a, SHA_E, true, &x),
	                 CS_OK);
	assert_int_equal(x.size, 0);
	assert_non_null(x.data);
	assert_int_equal(x.data[0], 0);
	mkartefact(f, SHA_B, "message/rfc822", big, sizeof(big));
	assert_int_equal(store_call(f->st, artefact_get, f->a, SHA_B, true, &x),
	                 CS_OK);
	assert_int_equal(x.size, sizeof(big));
	assert_memory_equal(x.data, big, sizeof(big));
	assert_int_equal(x.data[sizeof(big)], 0);

	assert_int_equal(store_call(f->st, artefact_get, f->a, SHA_C, true, &x),
	                 CS_E_NOTFOUND);
	x = (struct artefact){.sha256 = SHA_C,
	                      .size = 3,
	                      .content_type = "text/plain",
	                      .created_at = 1};
	assert_int_equal(store_call(f->st, artefact_put, &x), CS_E_INVAL);
}

/* ---- threads ---- */

static void
test_thread(void **state)
{
	struct mfx *f = *state;
	int64_t inc = mkincident(f, NULL), other = mkincident(f, NULL);
	struct mail_thread t1 = {.incident_id = inc,
	                         .kind = "reporter",
	                         .counterpart = "alice@example.org",
	                         .language = "de",
	                         .subject = "[CERT] Phishing",
	                         .created_by = "bob",
	                         .created_at = 1100};
	struct mail_thread t2 = t1, t3 = t1, got, *items;
	size_t n;

	t2.kind = "third_party";
	t2.counterpart = "abuse@hoster.example";
	t2.language = "en";
	assert_int_equal(store_call(f->st, thread_put, &t1, &t1.id), CS_OK);
	assert_int_equal(store_call(f->st, thread_put, &t2, &t2.id), CS_OK);
	assert_true(t2.id > t1.id);
	/* the same counterpart on another incident is a thread of its own */
	t3.incident_id = other;
	assert_int_equal(store_call(f->st, thread_put, &t3, &t3.id), CS_OK);

	assert_int_equal(
	    store_call(f->st, thread_get, f->a, inc, t1.id, NULL, &got), CS_OK);
	assert_int_equal(got.id, t1.id);
	assert_int_equal(got.incident_id, inc);
	assert_string_equal(got.kind, "reporter");
	assert_string_equal(got.counterpart, "alice@example.org");
	assert_int_equal(got.contact_id, 0);
	assert_string_equal(got.language, "de");
	assert_string_equal(got.subject, "[CERT] Phishing");
	assert_string_equal(got.created_by, "bob");
	assert_int_equal(got.created_at, 1100);
	assert_int_equal(store_call(f->st, thread_get, f->a, inc, 0,
	                            "abuse@hoster.example", &got),
	                 CS_OK);
	assert_int_equal(got.id, t2.id);
	assert_string_equal(got.kind, "third_party");
	/* by id, only within its incident */
	assert_int_equal(
	    store_call(f->st, thread_get, f->a, other, t1.id, NULL, &got),
	    CS_E_NOTFOUND);
	assert_int_equal(
	    store_call(f->st, thread_get, f->a, inc, 0, "nobody@x.org", &got),
	    CS_E_NOTFOUND);

	assert_int_equal(store_call(f->st, thread_list, f->a, inc, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].id, t1.id);
	assert_int_equal(items[1].id, t2.id);
	assert_string_equal(items[1].counterpart, "abuse@hoster.example");

	/* a second thread with one counterpart; inside a write transaction
	 * the conflict leaves the transaction usable on both backends */
	assert_int_equal(store_call(f->st, thread_put, &t1, &t3.id),
	                 CS_E_CONFLICT);
	assert_int_equal(store_begin(f->st, true), CS_OK);
	assert_int_equal(store_call(f->st, thread_put, &t2, &t3.id),
	                 CS_E_CONFLICT);
	assert_int_equal(
	    store_call(f->st, thread_get, f->a, inc, t2.id, NULL, &got), CS_OK);
	assert_int_equal(store_commit(f->st), CS_OK);
	assert_int_equal(count(f, "SELECT count(*) FROM thread"), 3);
}

/* ---- mail ---- */

static void
test_mail_put_get(void **state)
{
	struct mfx *f = *state;
	const char *ref;
	int64_t inc = mkincident(f, &ref), id, bare;
	struct mail_thread t = {.incident_id = inc,
	                        .kind = "constituent",
	                        .counterpart = "soc@org.example",
	                        .language = "en",
	                        .subject = "S",
	                        .created_by = "bob",
	                        .created_at = 1100};
	struct report r = {.source = "email",
	                   .reporter = "alice@example.org",
	                   .subject = "Phish",
	                   .body = "see attached",
	                   .language = "en",
	                   .tlp = TLP_GREEN,
	                   .received_at = 1050,
	                   .created_by = "system"};
	struct entry e = {.incident_id = inc,
	                  .kind = "correspondence",
	                  .visibility = "internal",
	                  .author = "system",
	                  .body = "mail in",
	                  .created_at = 1200};
	struct mail_attachment att[2] = {
	    {.sha256 = SHA_B,
	     .filename = "z-last.pdf",
	     .content_type = "application/pdf",
	     .size = 3},
	    {.sha256 = SHA_C,
	     .filename = "a-first.txt",
	     .content_type = "text/plain",
	     .size = 2},
	};
	struct mail m, got;

	mkartefact(f, SHA_A, "message/rfc822", (const unsigned char *)"raw", 3);
	mkartefact(f, SHA_B, "application/pdf", (const unsigned char *)"pdf",
	           3);
	mkartefact(f, SHA_C, "text/plain", (const unsigned char *)"hi", 2);
	assert_int_equal(store_call(f->st, thread_put, &t, &t.id), CS_OK);
	assert_int_equal(store_call(f->st, report_put, &r, &r.id), CS_OK);
	assert_int_equal(store_call(f->st, entry_put, &e, &e.id), CS_OK);
	m = (struct mail){.direction = "in",
	                  .state = "received",
	                  .message_id = "<m1@example.org>",
	                  .in_reply_to = "<m0@cert.example>",
	                  .sender = "soc@org.example",
	                  .recipients = "cert@cert.example,x@cert.example",
	                  .subject = "Re: [CERT-2026-000001] Phishing",
	                  .raw_sha256 = SHA_A,
	                  .incident_id = inc,
	                  .thread_id = t.id,
	                  .report_id = r.id,
	                  .entry_id = e.id,
	                  .encrypted = true,
	                  .auto_reply = false,
	                  .signature = "good",
	                  .signer = "0xABCDEF",
	                  .created_by = "system",
	                  .created_at = 1300,
	                  .attachments = att,
	                  .n_attachments = 2};
	assert_int_equal(store_call(f->st, mail_put, &m, &id), CS_OK);
	assert_int_equal(store_call(f->st, mail_get, f->a, id, &got), CS_OK);
	assert_int_equal(got.id, id);
	assert_string_equal(got.direction, "in");
	assert_string_equal(got.state, "received");
	assert_string_equal(got.message_id, "<m1@example.org>");
	assert_string_equal(got.in_reply_to, "<m0@cert.example>");
	assert_string_equal(got.sender, "soc@org.example");
	assert_string_equal(got.recipients, "cert@cert.example,x@cert.example");
	assert_string_equal(got.subject, "Re: [CERT-2026-000001] Phishing");
	assert_string_equal(got.raw_sha256, SHA_A);
	assert_int_equal(got.incident_id, inc);
	assert_string_equal(got.incident_ref, ref);
	assert_int_equal(got.thread_id, t.id);
	assert_int_equal(got.report_id, r.id);
	assert_int_equal(got.entry_id, e.id);
	assert_true(got.encrypted);
	assert_false(got.auto_reply);
	assert_string_equal(got.signature, "good");
	assert_string_equal(got.signer, "0xABCDEF");
	assert_string_equal(got.error, "");
	assert_string_equal(got.created_by, "system");
	assert_int_equal(got.created_at, 1300);
	assert_int_equal(got.sent_at, 0);
	assert_int_equal(got.n_attachments, 2);
	assert_string_equal(got.attachments[0].sha256, SHA_B);
	assert_string_equal(got.attachments[0].filename, "z-last.pdf");
	assert_string_equal(got.attachments[0].content_type, "application/pdf");
	assert_int_equal(got.attachments[0].size, 3);
	assert_string_equal(got.attachments[1].sha256, SHA_C);
	assert_string_equal(got.attachments[1].filename, "a-first.txt");
	assert_int_equal(got.attachments[1].size, 2);

	/* the defaults of a bare mail */
	bare = mkmail(f, "out", "queued", "<m2@cert.example>", 0, 0);
	assert_int_equal(store_call(f->st, mail_get, f->a, bare, &got), CS_OK);
	assert_null(got.raw_sha256);
	assert_null(got.incident_ref);
	assert_int_equal(got.incident_id, 0);
	assert_int_equal(got.thread_id, 0);
	assert_string_equal(got.in_reply_to, "");
	assert_string_equal(got.signature, "none");
	assert_false(got.encrypted);
	assert_int_equal(got.n_attachments, 0);
	assert_int_equal(store_call(f->st, mail_get, f->a, bare + 100, &got),
	                 CS_E_NOTFOUND);

	/* an attachment whose artefact is missing */
	att[0].sha256 = SHA_E;
	m.n_attachments = 1;
	assert_int_equal(store_call(f->st, mail_put, &m, &id), CS_E_CONFLICT);
	/* more attachments than mail_get reads back */
	m.n_attachments = MAIL_ATTACHMENTS_MAX + 1;
	assert_int_equal(store_call(f->st, mail_put, &m, &id), CS_E_TOOBIG);
}

static void
test_mail_find(void **state)
{
	struct mfx *f = *state;
	int64_t inc = mkincident(f, NULL), other = mkincident(f, NULL);
	int64_t m1, m2, m3;
	struct mail got;

	m1 = mkmail(f, "out", "sent", "<x@cert.example>", inc, 0);
	m2 = mkmail(f, "out", "sent", "<x@cert.example>", other, 0);
	m3 = mkmail(f, "in", "ignored", "<x@cert.example>", 0, 0);
	assert_true(m1 < m2 && m2 < m3);
	(void)mkmail(f, "in", "received", "<y@example.org>", 0, 0);

	/* the newest linked one (to an incident or a report); the newer
	 * unlinked one does not count */
	assert_int_equal(
	    store_call(f->st, mail_find, f->a, "<x@cert.example>", &got),
	    CS_OK);
	assert_int_equal(got.id, m2);
	assert_int_equal(got.incident_id, other);
	assert_non_null(got.incident_ref);
	assert_int_equal(
	    store_call(f->st, mail_find, f->a, "<y@example.org>", &got),
	    CS_E_NOTFOUND);
	assert_int_equal(
	    store_call(f->st, mail_find, f->a, "<none@example.org>", &got),
	    CS_E_NOTFOUND);
}

/* Ids of a list, newest first, from page after with limit. */
static size_t
list_ids(struct mfx *f, const struct mail_filter *flt, int64_t after, int limit,
         int64_t *ids)
{
	struct page p = {.after = after, .limit = limit};
	struct mail *items;
	size_t n = 0;

	assert_int_equal(
	    store_call(f->st, mail_list, f->a, flt, &p, &items, &n), CS_OK);
	for (size_t i = 0; i < n; i++) {
		ids[i] = items[i].id;
		assert_int_equal(items[i].n_attachments, 0);
	}
	return n;
}

static void
test_mail_list(void **state)
{
	struct mfx *f = *state;
	int64_t inc = mkincident(f, NULL), other = mkincident(f, NULL);
	struct mail_thread t = {.incident_id = inc,
	                        .kind = "reporter",
	                        .counterpart = "a@example.org",
	                        .language = "en",
	                        .subject = "S",
	                        .created_by = "bob",
	                        .created_at = 1};
	int64_t m[6], ids[10];
	struct mail_filter all = {0}, flt;
	size_t n;

	assert_int_equal(store_call(f->st, thread_put, &t, &t.id), CS_OK);
	m[0] = mkmail(f, "in", "received", "<0@x>", inc, t.id);
	m[1] = mkmail(f, "out", "queued", "<1@x>", inc, t.id);
	m[2] = mkmail(f, "in", "quarantined", "<2@x>", 0, 0);
	m[3] = mkmail(f, "out", "sent", "<3@x>", other, 0);
	m[4] = mkmail(f, "in", "received", "<4@x>", other, 0);
	m[5] = mkmail(f, "out", "queued", "<5@x>", inc, 0);

	n = list_ids(f, &all, 0, 50, ids);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(ids[i], m[5 - i]);

	/* keyset paging: after = the last id of the page before */
	assert_int_equal(list_ids(f, &all, 0, 4, ids), 4);
	assert_int_equal(ids[0], m[5]);
	assert_int_equal(ids[3], m[2]);
	assert_int_equal(list_ids(f, &all, ids[3], 4, ids), 2);
	assert_int_equal(ids[0], m[1]);
	assert_int_equal(ids[1], m[0]);
	assert_int_equal(list_ids(f, &all, m[0], 4, ids), 0);

	flt = (struct mail_filter){.state = "received"};
	assert_int_equal(list_ids(f, &flt, 0, 50, ids), 2);
	assert_int_equal(ids[0], m[4]);
	assert_int_equal(ids[1], m[0]);
	flt = (struct mail_filter){.direction = "out"};
	assert_int_equal(list_ids(f, &flt, 0, 50, ids), 3);
	assert_int_equal(ids[0], m[5]);
	assert_int_equal(ids[1], m[3]);
	assert_int_equal(ids[2], m[1]);
	flt = (struct mail_filter){.incident_id = inc};
	assert_int_equal(list_ids(f, &flt, 0, 50, ids), 3);
	assert_int_equal(ids[0], m[5]);
	assert_int_equal(ids[2], m[0]);
	flt = (struct mail_filter){.thread_id = t.id};
	assert_int_equal(list_ids(f, &flt, 0, 50, ids), 2);
	assert_int_equal(ids[0], m[1]);
	assert_int_equal(ids[1], m[0]);
	flt = (struct mail_filter){
	    .state = "queued", .direction = "out", .incident_id = inc};
	assert_int_equal(list_ids(f, &flt, 0, 50, ids), 2);
	assert_int_equal(list_ids(f, &flt, 0, 1, ids), 1);
	assert_int_equal(ids[0], m[5]);
	assert_int_equal(list_ids(f, &flt, ids[0], 1, ids), 1);
	assert_int_equal(ids[0], m[1]);
	flt = (struct mail_filter){.state = "failed"};
	assert_int_equal(list_ids(f, &flt, 0, 50, ids), 0);
}

static void
test_mail_set_state(void **state)
{
	struct mfx *f = *state;
	int64_t id = mkmail(f, "out", "queued", "<q@cert.example>", 0, 0);
	struct mail got;

	assert_int_equal(
	    store_call(f->st, mail_set_state, id, "sent", NULL, 5000), CS_OK);
	assert_int_equal(store_call(f->st, mail_get, f->a, id, &got), CS_OK);
	assert_string_equal(got.state, "sent");
	assert_string_equal(got.error, "");
	assert_int_equal(got.sent_at, 5000);
	/* sent_at 0 keeps it; an error is written */
	assert_int_equal(store_call(f->st, mail_set_state, id, "failed",
	                            "550 mailbox unavailable", 0),
	                 CS_OK);
	assert_int_equal(store_call(f->st, mail_get, f->a, id, &got), CS_OK);
	assert_string_equal(got.state, "failed");
	assert_string_equal(got.error, "550 mailbox unavailable");
	assert_int_equal(got.sent_at, 5000);
	/* a NULL error keeps the one there */
	assert_int_equal(
	    store_call(f->st, mail_set_state, id, "queued", NULL, 0), CS_OK);
	assert_int_equal(store_call(f->st, mail_get, f->a, id, &got), CS_OK);
	assert_string_equal(got.state, "queued");
	assert_string_equal(got.error, "550 mailbox unavailable");

	assert_int_equal(
	    store_call(f->st, mail_set_state, id + 1, "sent", NULL, 1),
	    CS_E_NOTFOUND);
	/* a state the schema does not know */
	assert_int_equal(store_call(f->st, mail_set_state, id, "lost", NULL, 0),
	                 CS_E_CONFLICT);
}

#define MAIL_TESTS(setup_fn)                                                   \
	{                                                                      \
		cmocka_unit_test_setup_teardown(test_artefact, setup_fn,       \
		                                teardown_any),                 \
		    cmocka_unit_test_setup_teardown(test_thread, setup_fn,     \
		                                    teardown_any),             \
		    cmocka_unit_test_setup_teardown(test_mail_put_get,         \
		                                    setup_fn, teardown_any),   \
		    cmocka_unit_test_setup_teardown(test_mail_find, setup_fn,  \
		                                    teardown_any),             \
		    cmocka_unit_test_setup_teardown(test_mail_list, setup_fn,  \
		                                    teardown_any),             \
		    cmocka_unit_test_setup_teardown(test_mail_set_state,       \
		                                    setup_fn, teardown_any),   \
	}

int
main(void)
{
	const struct CMUnitTest sqlite_tests[] = MAIL_TESTS(setup_sqlite);
	const struct CMUnitTest pg_tests[] = MAIL_TESTS(setup_pg);
	int failed;

	log_init(LOG_LVL_ERROR, false, "test_store_mail");
	failed =
	    cmocka_run_group_tests_name("sqlite", sqlite_tests, NULL, NULL);
	pg_base = getenv("CSIRTD_TEST_PG");
	if (pg_base != NULL && *pg_base != '\0')
		failed += cmocka_run_group_tests_name("postgres", pg_tests,
		                                      NULL, NULL);
	return failed;
}
