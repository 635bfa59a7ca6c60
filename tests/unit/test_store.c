/*
 * test_store.c - the storage contract, run against the SQLite backend on a
 * temporary database file. Rows are tampered with through a second, plain
 * sqlite3 connection, the way an attacker with file access would.
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
#include <jansson.h>
#include <sqlite3.h>

#include "core/arena.h"
#include "core/audit.h"
#include "core/log.h"
#include "core/secret.h"
#include "store/store.h"

#include "store_fixture.h"

static int64_t
mkuser(struct fx *f, const char *login, enum role role, const char *org)
{
	struct user u = {
	    .login = login,
	    .name = "N",
	    .email = "",
	    .org = org,
	    .pw_hash = "x",
	    .role = role,
	    .created_at = 1000,
	};
	int64_t id = 0;

	assert_int_equal(store_call(f->st, user_put, &u, &id), CS_OK);
	assert_true(id > 0);
	return id;
}

/* ---- migrations ---- */

static void
count_report(const char *name, void *ctx)
{
	int *n = ctx;

	(void)name;
	(*n)++;
}

static void
test_migrate_once(void **state)
{
	struct fx *f = *state;
	struct migration m[16];
	size_t n = store_migrations("sqlite", m, 16);
	int applied = -1, reported = 0;

	/* setup applied all of them; nothing is left */
	assert_true(n >= 1);
	assert_int_equal(store_call(f->st, migrate, false, count_report,
	                            &reported, &applied),
	                 CS_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(reported, 0);
	assert_int_equal(
	    store_call(f->st, migrate, true, count_report, &reported, &applied),
	    CS_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(store_call0(f->st, ping), CS_OK);
}

static void
test_migrate_fresh_dry_run(void **state)
{
	struct fx *f = *state;
	struct store *st;
	char url[200];
	int applied = -1, reported = 0;
	struct migration m[16];
	size_t n = store_migrations("sqlite", m, 16);

	snprintf(url, sizeof(url), "sqlite:%s/fresh.db", f->dir);
	assert_int_equal(store_open(url, &st), CS_OK);
	assert_int_equal(
	    store_call(st, migrate, true, count_report, &reported, &applied),
	    CS_OK);
	assert_int_equal(applied, (int)n);
	assert_int_equal(reported, (int)n);
	/* a dry run changed nothing */
	reported = 0;
	assert_int_equal(
	    store_call(st, migrate, false, count_report, &reported, &applied),
	    CS_OK);
	assert_int_equal(applied, (int)n);
	assert_int_equal(
	    store_call(st, migrate, false, count_report, &reported, &applied),
	    CS_OK);
	assert_int_equal(applied, 0);
	store_close(st);
}

static void
test_migrate_tampered(void **state)
{
	struct fx *f = *state;
	int applied = -1;

	sql(f, "UPDATE schema_migrations SET sha256 = 'x'");
	assert_int_equal(
	    store_call(f->st, migrate, false, NULL, NULL, &applied),
	    CS_E_CONFLICT);
	assert_non_null(strstr(store_call0(f->st, errmsg), "0001"));
	assert_int_equal(store_call(f->st, migrate, true, NULL, NULL, &applied),
	                 CS_E_CONFLICT);
}

static void
test_migrate_newer_schema(void **state)
{
	struct fx *f = *state;
	int applied = -1;

	sql(f, "INSERT INTO schema_migrations VALUES (9999, '9999_future.sql', "
	       "'abc', 0)");
	assert_int_equal(
	    store_call(f->st, migrate, false, NULL, NULL, &applied),
	    CS_E_CONFLICT);
	assert_non_null(strstr(store_call0(f->st, errmsg), "newer"));
}

static void
test_migrations_list(void **state)
{
	struct migration m[16];
	size_t n = store_migrations("sqlite", m, 16);
	char sum[SECRET_SHA256_HEX];

	(void)state;
	assert_true(n >= 1);
	assert_int_equal(m[0].number, 1);
	assert_int_equal(strncmp(m[0].name, "0001", 4), 0);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(strstr(m[i].name, ".sql"));
		assert_int_equal(strlen(m[i].sha256), 64);
		sha256_hex(m[i].sql, strlen(m[i].sql), sum);
		assert_string_equal(sum, m[i].sha256);
		if (i > 0)
			assert_true(m[i].number > m[i - 1].number);
	}
	assert_int_equal(store_migrations("sqlite", m, 0), 0);
	assert_int_equal(store_migrations("nosuch", m, 16), 0);
}

static void
test_open_urls(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char path[200];

	/* a bare path is an SQLite file */
	snprintf(path, sizeof(path), "%s/bare.db", f->dir);
	assert_int_equal(store_open(path, &st), CS_OK);
	assert_true(store_call0(st, is_exclusive));
	store_close(st);
	assert_int_equal(store_open("sqlite:", &st), CS_E_INVAL);
	assert_int_equal(store_open("mysql://db.example/csirtd", &st),
	                 CS_E_INVAL);
	/* PostgreSQL: nothing listens on port 1 */
	assert_int_equal(
	    store_open("postgres://127.0.0.1:1/csirtd?connect_timeout=5", &st),
	    CS_E_IO);
	assert_int_equal(store_open("sqlite:/nonexistent-dir-cs/x/y.db", &st),
	                 CS_E_IO);
}

/* ---- users ---- */

static void
test_users(void **state)
{
	struct fx *f = *state;
	struct user u = {.login = "alice",
	                 .name = "Alice",
	                 .email = "alice@example.org",
	                 .pw_hash = "hash1",
	                 .role = ROLE_ADMIN,
	                 .created_at = 1000};
	struct user g, dup;
	int64_t id = 0, id2 = 0, admins = -1;

	assert_int_equal(store_call(f->st, user_put, &u, &id), CS_OK);
	assert_true(id > 0);
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "alice", &g),
	                 CS_OK);
	assert_int_equal(g.id, id);
	assert_string_equal(g.login, "alice");
	assert_string_equal(g.name, "Alice");
	assert_string_equal(g.email, "alice@example.org");
	assert_string_equal(g.pw_hash, "hash1");
	assert_null(g.org);
	assert_int_equal(g.role, ROLE_ADMIN);
	assert_false(g.disabled);
	assert_int_equal(g.version, 1);
	assert_int_equal(g.created_at, 1000);
	assert_int_equal(g.updated_at, 1000);
	assert_int_equal(g.last_login_at, 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(store_call(f->st, user_get, f->a, id, NULL, &g),
	                 CS_OK);
	assert_string_equal(g.login, "alice");
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "bob", &g),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, user_get, f->a, id + 100, NULL, &g),
	                 CS_E_NOTFOUND);

	/* duplicate login */
	dup = u;
	dup.name = "Other";
	assert_int_equal(store_call(f->st, user_put, &dup, &id2),
	                 CS_E_CONFLICT);

	/* update: right version bumps it, the old one is stale */
	assert_int_equal(store_call(f->st, user_get, f->a, id, NULL, &g),
	                 CS_OK);
	g.name = "Alice B";
	g.role = ROLE_HANDLER;
	assert_int_equal(store_call(f->st, user_update, &g, 2000), CS_OK);
	assert_int_equal(store_call(f->st, user_get, f->a, id, NULL, &g),
	                 CS_OK);
	assert_string_equal(g.name, "Alice B");
	assert_int_equal(g.role, ROLE_HANDLER);
	assert_int_equal(g.version, 2);
	assert_int_equal(g.updated_at, 2000);
	assert_int_equal(g.created_at, 1000);
	g.version = 1;
	g.name = "Stale";
	assert_int_equal(store_call(f->st, user_update, &g, 3000), CS_E_STALE);
	assert_int_equal(store_call(f->st, user_get, f->a, id, NULL, &g),
	                 CS_OK);
	assert_string_equal(g.name, "Alice B");
	assert_int_equal(g.version, 2);
	/* update of a user that does not exist */
	g.id = id + 100;
	assert_int_equal(store_call(f->st, user_update, &g, 3000),
	                 CS_E_NOTFOUND);

	/* password, last login, admin count */
	assert_int_equal(
	    store_call(f->st, user_set_password, id, "hash2", 4000), CS_OK);
	assert_int_equal(
	    store_call(f->st, user_set_password, id + 100, "h", 4000),
	    CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, user_touch_login, id, 4500), CS_OK);
	assert_int_equal(store_call(f->st, user_get, f->a, id, NULL, &g),
	                 CS_OK);
	assert_string_equal(g.pw_hash, "hash2");
	assert_int_equal(g.version, 4); /* a login changes the representation */
	assert_int_equal(g.last_login_at, 4500);
	assert_int_equal(store_call(f->st, user_count_admins, &admins), CS_OK);
	assert_int_equal(admins, 0);
	mkuser(f, "root", ROLE_ADMIN, NULL);
	id2 = mkuser(f, "root2", ROLE_ADMIN, NULL);
	assert_int_equal(store_call(f->st, user_count_admins, &admins), CS_OK);
	assert_int_equal(admins, 2);
	assert_int_equal(store_call(f->st, user_get, f->a, id2, NULL, &g),
	                 CS_OK);
	g.disabled = true;
	assert_int_equal(store_call(f->st, user_update, &g, 5000), CS_OK);
	assert_int_equal(store_call(f->st, user_count_admins, &admins), CS_OK);
	assert_int_equal(admins, 1);
}

static void
test_user_org_check(void **state)
{
	struct fx *f = *state;
	struct user u = {.login = "c1",
	                 .pw_hash = "x",
	                 .role = ROLE_CONSTITUENT,
	                 .created_at = 1};
	struct user g;
	int64_t id;

	/* a constituent needs an organisation ... */
	assert_int_equal(store_call(f->st, user_put, &u, &id), CS_E_CONFLICT);
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "c1", &g),
	                 CS_E_NOTFOUND);
	/* ... and only a constituent has one */
	u.role = ROLE_VIEWER;
	u.org = "acme";
	assert_int_equal(store_call(f->st, user_put, &u, &id), CS_E_CONFLICT);
	u.role = ROLE_CONSTITUENT;
	assert_int_equal(store_call(f->st, user_put, &u, &id), CS_OK);
	assert_int_equal(store_call(f->st, user_get, f->a, id, NULL, &g),
	                 CS_OK);
	assert_string_equal(g.org, "acme");
	assert_int_equal(g.role, ROLE_CONSTITUENT);
	/* an update cannot break the rule either */
	g.org = NULL;
	assert_int_equal(store_call(f->st, user_update, &g, 10), CS_E_CONFLICT);
}

static void
test_user_list(void **state)
{
	struct fx *f = *state;
	static const char *const logins[] = {"u1", "u2", "u3", "u4", "u5"};
	int64_t ids[5];
	struct user *items;
	size_t n = 99;
	struct page p = {.after = 0, .limit = 2};

	for (int i = 0; i < 5; i++)
		ids[i] = mkuser(f, logins[i],
		                i % 2 ? ROLE_VIEWER : ROLE_HANDLER, NULL);
	assert_int_equal(store_call(f->st, user_list, f->a, -1, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].id, ids[0]);
	assert_string_equal(items[1].login, "u2");
	p.after = items[1].id;
	assert_int_equal(store_call(f->st, user_list, f->a, -1, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].login, "u3");
	assert_string_equal(items[1].login, "u4");
	p.after = items[1].id;
	assert_int_equal(store_call(f->st, user_list, f->a, -1, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].login, "u5");
	p.after = items[0].id;
	assert_int_equal(store_call(f->st, user_list, f->a, -1, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 0);

	/* by role, keyset still by id */
	p.after = 0;
	p.limit = 10;
	assert_int_equal(
	    store_call(f->st, user_list, f->a, ROLE_VIEWER, &p, &items, &n),
	    CS_OK);
	assert_int_equal(n, 2);
	assert_string_equal(items[0].login, "u2");
	assert_string_equal(items[1].login, "u4");
	p.after = ids[1];
	assert_int_equal(
	    store_call(f->st, user_list, f->a, ROLE_VIEWER, &p, &items, &n),
	    CS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].login, "u4");
}

/* ---- sessions ---- */

static void
test_sessions(void **state)
{
	struct fx *f = *state;
	int64_t uid = mkuser(f, "sam", ROLE_VIEWER, NULL);
	int64_t uid2 = mkuser(f, "sue", ROLE_VIEWER, NULL);
	struct session se = {.user_id = uid,
	                     .created_at = 100,
	                     .expires_at = 200,
	                     .last_seen_at = 100};
	struct session got;
	struct user u;

	assert_int_equal(store_call(f->st, session_put, "h1", &se), CS_OK);
	/* the hash is the key */
	assert_int_equal(store_call(f->st, session_put, "h1", &se),
	                 CS_E_CONFLICT);
	assert_int_equal(store_call(f->st, session_get, f->a, "h1", &got, &u),
	                 CS_OK);
	assert_int_equal(got.user_id, uid);
	assert_int_equal(got.created_at, 100);
	assert_int_equal(got.expires_at, 200);
	assert_int_equal(got.last_seen_at, 100);
	assert_string_equal(u.login, "sam");
	assert_int_equal(u.id, uid);
	assert_int_equal(store_call(f->st, session_get, f->a, "h2", &got, &u),
	                 CS_E_NOTFOUND);

	assert_int_equal(store_call(f->st, session_touch, "h1", 150, 300),
	                 CS_OK);
	assert_int_equal(store_call(f->st, session_get, f->a, "h1", &got, &u),
	                 CS_OK);
	assert_int_equal(got.last_seen_at, 150);
	assert_int_equal(got.expires_at, 300);
	assert_int_equal(got.created_at, 100);

	assert_int_equal(store_call(f->st, session_delete, "h1"), CS_OK);
	assert_int_equal(store_call(f->st, session_get, f->a, "h1", &got, &u),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, session_delete, "h1"),
	                 CS_E_NOTFOUND);

	/* all of one user's sessions, and no one else's */
	assert_int_equal(store_call(f->st, session_put, "a1", &se), CS_OK);
	assert_int_equal(store_call(f->st, session_put, "a2", &se), CS_OK);
	se.user_id = uid2;
	assert_int_equal(store_call(f->st, session_put, "b1", &se), CS_OK);
	assert_int_equal(store_call(f->st, session_delete_user, uid), CS_OK);
	assert_int_equal(store_call(f->st, session_get, f->a, "a1", &got, &u),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, session_get, f->a, "a2", &got, &u),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, session_get, f->a, "b1", &got, &u),
	                 CS_OK);
	assert_string_equal(u.login, "sue");

	/* a session of an unknown user is refused by the foreign key */
	se.user_id = uid2 + 1000;
	assert_int_equal(store_call(f->st, session_put, "c1", &se),
	                 CS_E_CONFLICT);
}

/* ---- tokens ---- */

static void
test_tokens(void **state)
{
	struct fx *f = *state;
	int64_t uid = mkuser(f, "tina", ROLE_HANDLER, NULL);
	int64_t uid2 = mkuser(f, "tom", ROLE_HANDLER, NULL);
	struct token t = {.user_id = uid,
	                  .name = "ci",
	                  .prefix = "cst_abcdefgh",
	                  .created_at = 1000};
	struct token got, *items;
	struct user u;
	struct page p = {.after = 0, .limit = 10};
	int64_t id1, id2, id3;
	size_t n;

	assert_int_equal(store_call(f->st, token_put, &t, "th1", &id1), CS_OK);
	t.name = "backup";
	t.expires_at = 5000;
	assert_int_equal(store_call(f->st, token_put, &t, "th2", &id2), CS_OK);
	t.user_id = uid2;
	t.name = "other";
	assert_int_equal(store_call(f->st, token_put, &t, "th3", &id3), CS_OK);
	assert_true(id1 < id2 && id2 < id3);
	/* the hash is unique */
	assert_int_equal(store_call(f->st, token_put, &t, "th3", &id3),
	                 CS_E_CONFLICT);

	assert_int_equal(store_call(f->st, token_auth, f->a, "th1", &got, &u),
	                 CS_OK);
	assert_int_equal(got.id, id1);
	assert_int_equal(got.user_id, uid);
	assert_string_equal(got.name, "ci");
	assert_string_equal(got.prefix, "cst_abcdefgh");
	assert_string_equal(got.user_login, "tina");
	assert_int_equal(got.created_at, 1000);
	assert_int_equal(got.expires_at, 0);
	assert_int_equal(got.revoked_at, 0);
	assert_int_equal(got.last_used_at, 0);
	assert_string_equal(u.login, "tina");
	assert_int_equal(store_call(f->st, token_auth, f->a, "nope", &got, &u),
	                 CS_E_NOTFOUND);

	assert_int_equal(store_call(f->st, token_get, f->a, id2, &got), CS_OK);
	assert_string_equal(got.name, "backup");
	assert_int_equal(got.expires_at, 5000);
	assert_int_equal(store_call(f->st, token_get, f->a, id3 + 9, &got),
	                 CS_E_NOTFOUND);

	assert_int_equal(store_call(f->st, token_touch, id1, 1500), CS_OK);
	assert_int_equal(store_call(f->st, token_get, f->a, id1, &got), CS_OK);
	assert_int_equal(got.last_used_at, 1500);

	/* list: one user's, everybody's, paged */
	assert_int_equal(
	    store_call(f->st, token_list, f->a, uid, &p, &items, &n), CS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].id, id1);
	assert_int_equal(items[1].id, id2);
	assert_int_equal(store_call(f->st, token_list, f->a, 0, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 3);
	assert_string_equal(items[2].user_login, "tom");
	p.after = id1;
	p.limit = 1;
	assert_int_equal(store_call(f->st, token_list, f->a, 0, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].id, id2);

	/* revoke: the first time counts, again keeps the time */
	assert_int_equal(store_call(f->st, token_revoke, id1, 2000), CS_OK);
	assert_int_equal(store_call(f->st, token_revoke, id1, 3000), CS_OK);
	assert_int_equal(store_call(f->st, token_auth, f->a, "th1", &got, &u),
	                 CS_OK);
	assert_int_equal(got.revoked_at, 2000);
	assert_int_equal(store_call(f->st, token_revoke, id3 + 9, 2000),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, token_revoke_user, uid, 2500),
	                 CS_OK);
	assert_int_equal(store_call(f->st, token_get, f->a, id1, &got), CS_OK);
	assert_int_equal(got.revoked_at, 2000);
	assert_int_equal(store_call(f->st, token_get, f->a, id2, &got), CS_OK);
	assert_int_equal(got.revoked_at, 2500);
	assert_int_equal(store_call(f->st, token_get, f->a, id3, &got), CS_OK);
	assert_int_equal(got.revoked_at, 0);
}

/* ---- login throttling ---- */

static void
test_throttle_lock(void **state)
{
	struct fx *f = *state;
	int64_t until = -1;
	int failures = -1;

	assert_int_equal(
	    store_call(f->st, throttle_get, "user:x", 1000, &failures, &until),
	    CS_OK);
	assert_int_equal(failures, 0);
	assert_int_equal(until, 0);
	/* max 3 within 60 s, locked 300 s */
	assert_int_equal(store_call(f->st, throttle_fail, "user:x", 1000, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(until, 0);
	assert_int_equal(store_call(f->st, throttle_fail, "user:x", 1010, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(until, 0);
	assert_int_equal(store_call(f->st, throttle_fail, "user:x", 1020, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(until, 1320);
	assert_int_equal(
	    store_call(f->st, throttle_get, "user:x", 1030, &failures, &until),
	    CS_OK);
	assert_int_equal(failures, 0); /* locking starts the count over */
	assert_int_equal(until, 1320);
	/* other keys are independent */
	assert_int_equal(
	    store_call(f->st, throttle_get, "user:y", 1030, &failures, &until),
	    CS_OK);
	assert_int_equal(failures, 0);
	assert_int_equal(until, 0);
	/* clear forgets everything */
	assert_int_equal(store_call(f->st, throttle_clear, "user:x"), CS_OK);
	assert_int_equal(
	    store_call(f->st, throttle_get, "user:x", 1030, &failures, &until),
	    CS_OK);
	assert_int_equal(failures, 0);
	assert_int_equal(until, 0);
	/* max 1: the first failure locks */
	assert_int_equal(store_call(f->st, throttle_fail, "addr:1.2.3.4", 50,
	                            60, 1, 10, &until),
	                 CS_OK);
	assert_int_equal(until, 60);
}

static void
test_throttle_window(void **state)
{
	struct fx *f = *state;
	int64_t until = -1;
	int failures = -1;

	assert_int_equal(store_call(f->st, throttle_fail, "user:w", 1000, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(store_call(f->st, throttle_fail, "user:w", 1050, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(until, 0);
	/* the window (1000..1060) is over: counting starts again */
	assert_int_equal(store_call(f->st, throttle_fail, "user:w", 1061, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(until, 0);
	assert_int_equal(
	    store_call(f->st, throttle_get, "user:w", 1061, &failures, &until),
	    CS_OK);
	assert_int_equal(failures, 1);
	assert_int_equal(until, 0);
	assert_int_equal(store_call(f->st, throttle_fail, "user:w", 1062, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(until, 0);
	assert_int_equal(store_call(f->st, throttle_fail, "user:w", 1063, 60, 3,
	                            300, &until),
	                 CS_OK);
	assert_int_equal(until, 1363);
}

/*
 * store_sqlite.c documents throttle_fail as: "reaching max failures inside
 * [the window] locks the key and starts over". After the lockout has run
 * out, a single further failure inside the same window must therefore not
 * lock the key again.
 */
static void
test_throttle_starts_over_after_lock(void **state)
{
	struct fx *f = *state;
	int64_t until = -1;
	int failures = -1;

	/* window 1000 s, max 3, lockout 10 s */
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_call(f->st, throttle_fail, "user:s",
		                            100 + i, 1000, 3, 10, &until),
		                 CS_OK);
	assert_int_equal(until, 112);
	/* lockout over at 112; one more failure at 200, same window */
	assert_int_equal(store_call(f->st, throttle_fail, "user:s", 200, 1000,
	                            3, 10, &until),
	                 CS_OK);
	assert_int_equal(
	    store_call(f->st, throttle_get, "user:s", 200, &failures, &until),
	    CS_OK);
	if (until > 200)
		fail_msg("one failure after the lockout locked the key again "
		         "(failures=%d, locked_until=%lld): the count did not "
		         "start over",
		         failures, (long long)until);
}

/* ---- idempotency ---- */

static void
test_idempotency(void **state)
{
	struct fx *f = *state;
	struct idem ex;
	bool claimed = false;

	assert_int_equal(store_call(f->st, idem_claim, f->a, 1, "k1", "rh1",
	                            100, &claimed, &ex),
	                 CS_OK);
	assert_true(claimed);
	/* second claim: the pending one comes back */
	memset(&ex, 0, sizeof(ex));
	assert_int_equal(store_call(f->st, idem_claim, f->a, 1, "k1", "rh2",
	                            101, &claimed, &ex),
	                 CS_OK);
	assert_false(claimed);
	assert_false(ex.done);
	assert_string_equal(ex.req_hash, "rh1");
	/* keys are per user */
	assert_int_equal(store_call(f->st, idem_claim, f->a, 2, "k1", "rh3",
	                            102, &claimed, &ex),
	                 CS_OK);
	assert_true(claimed);

	assert_int_equal(store_call(f->st, idem_finish, 1, "k1", 201,
	                            "application/json", "{\"id\":7}"),
	                 CS_OK);
	memset(&ex, 0, sizeof(ex));
	assert_int_equal(store_call(f->st, idem_claim, f->a, 1, "k1", "rh1",
	                            103, &claimed, &ex),
	                 CS_OK);
	assert_false(claimed);
	assert_true(ex.done);
	assert_int_equal(ex.status, 201);
	assert_string_equal(ex.content_type, "application/json");
	assert_string_equal(ex.body, "{\"id\":7}");
	assert_string_equal(ex.req_hash, "rh1");

	/* release deletes a pending claim, never a finished one */
	assert_int_equal(store_call(f->st, idem_release, 1, "k1"), CS_OK);
	assert_int_equal(store_call(f->st, idem_claim, f->a, 1, "k1", "rh1",
	                            104, &claimed, &ex),
	                 CS_OK);
	assert_false(claimed);
	assert_true(ex.done);
	assert_int_equal(store_call(f->st, idem_claim, f->a, 1, "k2", "rh9",
	                            105, &claimed, &ex),
	                 CS_OK);
	assert_true(claimed);
	assert_int_equal(store_call(f->st, idem_release, 1, "k2"), CS_OK);
	assert_int_equal(store_call(f->st, idem_claim, f->a, 1, "k2", "rh9",
	                            106, &claimed, &ex),
	                 CS_OK);
	assert_true(claimed);
}

static void
test_purge(void **state)
{
	struct fx *f = *state;
	int64_t uid = mkuser(f, "pat", ROLE_VIEWER, NULL), n = -1;
	struct session se = {.user_id = uid,
	                     .created_at = 1,
	                     .expires_at = 50,
	                     .last_seen_at = 1};
	struct session got;
	struct user u;
	struct idem ex;
	bool claimed;

	assert_int_equal(store_call(f->st, session_put, "old", &se), CS_OK);
	se.expires_at = 500;
	assert_int_equal(store_call(f->st, session_put, "live", &se), CS_OK);
	assert_int_equal(store_call(f->st, idem_claim, f->a, uid, "old", "r",
	                            10, &claimed, &ex),
	                 CS_OK);
	assert_int_equal(store_call(f->st, idem_claim, f->a, uid, "new", "r",
	                            90, &claimed, &ex),
	                 CS_OK);
	assert_int_equal(store_call(f->st, purge, 100, 50, &n), CS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_call(f->st, session_get, f->a, "old", &got, &u),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, session_get, f->a, "live", &got, &u),
	                 CS_OK);
	assert_int_equal(store_call(f->st, idem_claim, f->a, uid, "old", "r",
	                            100, &claimed, &ex),
	                 CS_OK);
	assert_true(claimed);
	assert_int_equal(store_call(f->st, idem_claim, f->a, uid, "new", "r",
	                            100, &claimed, &ex),
	                 CS_OK);
	assert_false(claimed);
}

/* ---- audit ---- */

struct reports {
	int n;
	int64_t seq[16];
	char what[16][200];
};

static void
on_report(void *ctx, int64_t seq, const char *problem)
{
	struct reports *r = ctx;

	if (r->n < 16) {
		r->seq[r->n] = seq;
		snprintf(r->what[r->n], sizeof(r->what[0]), "%s", problem);
	}
	r->n++;
}

static bool
reported(const struct reports *r, int64_t seq)
{
	for (int i = 0; i < r->n && i < 16; i++)
		if (r->seq[i] == seq)
			return true;
	return false;
}

/* Appends n rows, seq 1..n, each in its own transaction. */
static void
append_rows(struct fx *f, int n)
{
	for (int i = 1; i <= n; i++) {
		char id[16];
		json_t *d = json_pack("{s:i,s:s}", "n", i, "z", "zz");

		snprintf(id, sizeof(id), "%d", i);
		assert_int_equal(store_begin(f->st, true), CS_OK);
		assert_int_equal(audit_append(f->st, f->a, 1000 + i, "tester",
		                              "test.event", "thing", id, d),
		                 CS_OK);
		assert_int_equal(store_commit(f->st), CS_OK);
		json_decref(d);
	}
}

static void
verify(struct fx *f, struct reports *r, int64_t want_rows,
       int64_t *problems_out)
{
	int64_t rows = -1;

	memset(r, 0, sizeof(*r));
	assert_int_equal(audit_verify(f->st, on_report, r, &rows, problems_out),
	                 CS_OK);
	assert_int_equal(rows, want_rows);
	assert_int_equal(*problems_out, r->n);
}

static void
test_audit_chain(void **state)
{
	struct fx *f = *state;
	struct audit_filter flt = {0};
	struct page p = {.after = 0, .limit = 10};
	struct audit_row *items;
	struct reports r;
	char h[65];
	int64_t problems = -1, seq = -1;
	const char *head = NULL;
	size_t n;
	json_t *d;

	verify(f, &r, 0, &problems);
	assert_int_equal(problems, 0);
	append_rows(f, 4);
	/* NULL detail is stored as {} and keys are sorted */
	d = json_pack("{s:i,s:i}", "b", 1, "a", 2);
	assert_int_equal(store_begin(f->st, true), CS_OK);
	assert_int_equal(audit_append(f->st, f->a, 2000, "tester", "test.null",
	                              "thing", "x", NULL),
	                 CS_OK);
	assert_int_equal(audit_append(f->st, f->a, 2001, "other", "test.sort",
	                              "thing", "y", d),
	                 CS_OK);
	assert_int_equal(store_commit(f->st), CS_OK);
	json_decref(d);

	verify(f, &r, 6, &problems);
	assert_int_equal(problems, 0);

	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &flt, &p, &items, &n), CS_OK);
	assert_int_equal(n, 6);
	assert_string_equal(items[0].prev_hash, AUDIT_GENESIS);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(items[i].seq, (int64_t)i + 1);
		audit_row_hash(&items[i], h);
		assert_string_equal(h, items[i].hash);
		if (i > 0)
			assert_string_equal(items[i].prev_hash,
			                    items[i - 1].hash);
	}
	assert_string_equal(items[0].detail, "{\"n\":1,\"z\":\"zz\"}");
	assert_string_equal(items[4].detail, "{}");
	assert_string_equal(items[5].detail, "{\"a\":2,\"b\":1}");
	assert_int_equal(items[3].at, 1004);
	assert_string_equal(items[3].object_id, "4");

	assert_int_equal(store_call(f->st, audit_head, f->a, &seq, &head),
	                 CS_OK);
	assert_int_equal(seq, 6);
	assert_string_equal(head, items[5].hash);

	/* filters */
	flt.actor = "other";
	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &flt, &p, &items, &n), CS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].action, "test.sort");
	flt.actor = NULL;
	flt.action = "test.event";
	p.after = 2;
	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &flt, &p, &items, &n), CS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].seq, 3);
	assert_int_equal(items[1].seq, 4);

	/* the seq is the key: an existing seq cannot be inserted again */
	assert_int_equal(store_call(f->st, audit_insert, &items[0]),
	                 CS_E_CONFLICT);
}

static void
test_audit_rollback(void **state)
{
	struct fx *f = *state;
	struct reports r;
	int64_t problems = -1, seq = -1;
	const char *head;

	append_rows(f, 2);
	assert_int_equal(store_begin(f->st, true), CS_OK);
	assert_int_equal(
	    audit_append(f->st, f->a, 5, "t", "gone", "thing", "1", NULL),
	    CS_OK);
	store_rollback(f->st);
	assert_int_equal(store_call(f->st, audit_head, f->a, &seq, &head),
	                 CS_OK);
	assert_int_equal(seq, 2);
	append_rows(f, 1);
	verify(f, &r, 3, &problems);
	assert_int_equal(problems, 0);
}

static void
test_audit_tamper_detail(void **state)
{
	struct fx *f = *state;
	struct reports r;
	int64_t problems = -1;

	append_rows(f, 4);
	sql(f, "UPDATE audit SET detail = '{\"n\":99,\"z\":\"zz\"}' "
	       "WHERE seq = 2");
	verify(f, &r, 4, &problems);
	assert_int_equal(problems, 1);
	assert_int_equal(r.seq[0], 2);
	assert_non_null(strstr(r.what[0], "changed"));
}

static void
test_audit_tamper_actor_time(void **state)
{
	struct fx *f = *state;
	struct reports r;
	int64_t problems = -1;

	append_rows(f, 4);
	sql(f, "UPDATE audit SET at = at + 1 WHERE seq = 1;"
	       "UPDATE audit SET actor = 'mallory' WHERE seq = 4");
	verify(f, &r, 4, &problems);
	assert_int_equal(problems, 2);
	assert_true(reported(&r, 1));
	assert_true(reported(&r, 4));
	assert_false(reported(&r, 2));
	assert_false(reported(&r, 3));
}

static void
test_audit_delete(void **state)
{
	struct fx *f = *state;
	struct reports r;
	int64_t problems = -1;

	append_rows(f, 5);
	sql(f, "DELETE FROM audit WHERE seq = 3");
	verify(f, &r, 4, &problems);
	assert_true(problems >= 1);
	assert_true(reported(&r, 3));
	assert_non_null(strstr(r.what[0], "missing"));
	assert_false(reported(&r, 1));
	assert_false(reported(&r, 2));
	assert_false(reported(&r, 5));
}

static void
test_audit_delete_range(void **state)
{
	struct fx *f = *state;
	struct reports r;
	int64_t problems = -1;

	append_rows(f, 6);
	sql(f, "DELETE FROM audit WHERE seq IN (2, 3, 4)");
	verify(f, &r, 3, &problems);
	assert_int_equal(problems, 1);
	assert_int_equal(r.seq[0], 2);
	assert_non_null(strstr(r.what[0], "2 to 4"));
}

static void
test_audit_swap(void **state)
{
	struct fx *f = *state;
	struct reports r;
	int64_t problems = -1;

	append_rows(f, 4);
	/* rows 2 and 3 trade places */
	sql(f, "UPDATE audit SET seq = 100 WHERE seq = 2;"
	       "UPDATE audit SET seq = 2 WHERE seq = 3;"
	       "UPDATE audit SET seq = 3 WHERE seq = 100");
	verify(f, &r, 4, &problems);
	assert_true(problems >= 2);
	assert_true(reported(&r, 2));
	assert_true(reported(&r, 3));
	assert_false(reported(&r, 1));
}

static void
test_audit_rechained_row(void **state)
{
	struct fx *f = *state;
	struct audit_filter flt = {0};
	struct page p = {.after = 0, .limit = 10};
	struct audit_row *items, forged;
	struct reports r;
	char h[65], q[400];
	int64_t problems = -1;
	size_t n;

	append_rows(f, 3);
	/* row 2 replaced by one with a correct own hash but a prev_hash
	 * that does not chain to row 1 */
	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &flt, &p, &items, &n), CS_OK);
	forged = items[1];
	forged.prev_hash = AUDIT_GENESIS;
	forged.actor = "mallory";
	audit_row_hash(&forged, h);
	snprintf(q, sizeof(q),
	         "UPDATE audit SET actor = 'mallory', prev_hash = '%s', "
	         "hash = '%s' WHERE seq = 2",
	         AUDIT_GENESIS, h);
	sql(f, q);
	verify(f, &r, 3, &problems);
	assert_true(problems >= 1);
	assert_true(reported(&r, 2));
	assert_false(reported(&r, 1));
}

/* ---- jobs ---- */

static int64_t
mkjob(struct fx *f, const char *kind, int64_t run_after)
{
	struct job j = {.kind = kind,
	                .payload = "{\"x\":1}",
	                .max_attempts = 3,
	                .run_after = run_after,
	                .created_at = run_after};
	int64_t id = 0;

	assert_int_equal(store_call(f->st, job_put, &j, &id), CS_OK);
	assert_true(id > 0);
	return id;
}

static void
test_job_claim_done(void **state)
{
	struct fx *f = *state;
	int64_t id = mkjob(f, "test", 1000);
	struct job j;

	assert_int_equal(store_call(f->st, job_get, f->a, id, &j), CS_OK);
	assert_int_equal(j.state, JOB_QUEUED);
	assert_int_equal(j.attempts, 0);
	assert_string_equal(j.payload, "{\"x\":1}");
	assert_null(j.last_error);
	/* not due yet */
	assert_int_equal(store_call(f->st, job_claim, f->a, 999, 60, &j),
	                 CS_E_NOTFOUND);
	memset(&j, 0, sizeof(j));
	assert_int_equal(store_call(f->st, job_claim, f->a, 1000, 60, &j),
	                 CS_OK);
	assert_int_equal(j.id, id);
	assert_int_equal(j.attempts, 1);
	assert_int_equal(j.state, JOB_RUNNING);
	assert_int_equal(j.lease_until, 1060);
	assert_string_equal(j.kind, "test");
	assert_int_equal(j.max_attempts, 3);
	/* held: nobody else gets it */
	assert_int_equal(store_call(f->st, job_claim, f->a, 1001, 60, &j),
	                 CS_E_NOTFOUND);
	/* done only by the claim that holds it */
	assert_int_equal(store_call(f->st, job_done, id, 2, 1010),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_done, id, 0, 1010),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_done, id, 1, 1010), CS_OK);
	assert_int_equal(store_call(f->st, job_get, f->a, id, &j), CS_OK);
	assert_int_equal(j.state, JOB_DONE);
	assert_int_equal(j.finished_at, 1010);
	/* a done job is not done twice nor claimed again */
	assert_int_equal(store_call(f->st, job_done, id, 1, 1011),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_claim, f->a, 99999, 60, &j),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_get, f->a, id + 1, &j),
	                 CS_E_NOTFOUND);
}

static void
test_job_order(void **state)
{
	struct fx *f = *state;
	int64_t late = mkjob(f, "late", 300);
	int64_t early = mkjob(f, "early", 100);
	int64_t early2 = mkjob(f, "early2", 100);
	struct job j;

	assert_int_equal(store_call(f->st, job_claim, f->a, 1000, 60, &j),
	                 CS_OK);
	assert_int_equal(j.id, early);
	assert_int_equal(store_call(f->st, job_claim, f->a, 1000, 60, &j),
	                 CS_OK);
	assert_int_equal(j.id, early2);
	assert_int_equal(store_call(f->st, job_claim, f->a, 1000, 60, &j),
	                 CS_OK);
	assert_int_equal(j.id, late);
}

static void
test_job_retry(void **state)
{
	struct fx *f = *state;
	int64_t id = mkjob(f, "test", 1000);
	struct job j;

	assert_int_equal(store_call(f->st, job_claim, f->a, 1000, 60, &j),
	                 CS_OK);
	assert_int_equal(
	    store_call(f->st, job_retry, id, "boom", 2000, false, 1001), CS_OK);
	assert_int_equal(store_call(f->st, job_get, f->a, id, &j), CS_OK);
	assert_int_equal(j.state, JOB_QUEUED);
	assert_string_equal(j.last_error, "boom");
	assert_int_equal(j.run_after, 2000);
	assert_int_equal(j.attempts, 1);
	assert_int_equal(j.finished_at, 0);
	/* not before run_after */
	assert_int_equal(store_call(f->st, job_claim, f->a, 1500, 60, &j),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_claim, f->a, 2000, 60, &j),
	                 CS_OK);
	assert_int_equal(j.id, id);
	assert_int_equal(j.attempts, 2);
	assert_int_equal(j.state, JOB_RUNNING);
	/* dead: failed for good */
	assert_int_equal(
	    store_call(f->st, job_retry, id, "fatal", 0, true, 2005), CS_OK);
	assert_int_equal(store_call(f->st, job_get, f->a, id, &j), CS_OK);
	assert_int_equal(j.state, JOB_FAILED);
	assert_string_equal(j.last_error, "fatal");
	assert_int_equal(j.finished_at, 2005);
	assert_int_equal(store_call(f->st, job_claim, f->a, 99999, 60, &j),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_retry, id + 5, "x", 0, false, 1),
	                 CS_E_NOTFOUND);
}

static void
test_job_done_clears_error(void **state)
{
	struct fx *f = *state;
	int64_t id = mkjob(f, "test", 10);
	struct job j;

	assert_int_equal(store_call(f->st, job_claim, f->a, 10, 60, &j), CS_OK);
	assert_int_equal(
	    store_call(f->st, job_retry, id, "once", 20, false, 11), CS_OK);
	assert_int_equal(store_call(f->st, job_claim, f->a, 20, 60, &j), CS_OK);
	assert_int_equal(store_call(f->st, job_done, id, 2, 21), CS_OK);
	assert_int_equal(store_call(f->st, job_get, f->a, id, &j), CS_OK);
	assert_int_equal(j.state, JOB_DONE);
	assert_null(j.last_error);
}

static void
test_job_recover(void **state)
{
	struct fx *f = *state;
	int64_t id = mkjob(f, "test", 10), id2 = mkjob(f, "test", 10), n = -1;
	struct job j;

	(void)id2;
	assert_int_equal(store_call(f->st, job_claim, f->a, 10, 1000, &j),
	                 CS_OK);
	assert_int_equal(j.id, id);
	assert_int_equal(store_call(f->st, job_recover, &n), CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_call(f->st, job_get, f->a, id, &j), CS_OK);
	assert_int_equal(j.state, JOB_QUEUED);
	assert_int_equal(j.lease_until, 0);
	assert_int_equal(j.attempts, 1);
	/* claimable again, long before the old lease ran out */
	assert_int_equal(store_call(f->st, job_claim, f->a, 11, 1000, &j),
	                 CS_OK);
	assert_int_equal(j.id, id);
	assert_int_equal(j.attempts, 2);
	assert_int_equal(store_call(f->st, job_recover, &n), CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_call(f->st, job_recover, &n), CS_OK);
	assert_int_equal(n, 0);
}

static void
test_job_lease_expiry(void **state)
{
	struct fx *f = *state;
	int64_t id = mkjob(f, "test", 1000);
	struct job j;

	assert_int_equal(store_call(f->st, job_claim, f->a, 1000, 60, &j),
	                 CS_OK);
	assert_int_equal(j.lease_until, 1060);
	assert_int_equal(store_call(f->st, job_claim, f->a, 1060, 60, &j),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_claim, f->a, 1061, 60, &j),
	                 CS_OK);
	assert_int_equal(j.id, id);
	assert_int_equal(j.attempts, 2);
	assert_int_equal(j.lease_until, 1121);
	/* the first worker lost it; the second finishes */
	assert_int_equal(store_call(f->st, job_done, id, 1, 1070),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_call(f->st, job_done, id, 2, 1070), CS_OK);
}

static void
test_job_counts_list(void **state)
{
	struct fx *f = *state;
	int64_t counts[JOB_NSTATES];
	int64_t a = mkjob(f, "a", 1), b = mkjob(f, "b", 2);
	struct page p = {.after = 0, .limit = 10};
	struct job j, *items;
	size_t n;

	mkjob(f, "c", 3);
	mkjob(f, "d", 4000);
	assert_int_equal(store_call(f->st, job_claim, f->a, 10, 60, &j), CS_OK);
	assert_int_equal(j.id, a);
	assert_int_equal(store_call(f->st, job_done, a, 1, 11), CS_OK);
	assert_int_equal(store_call(f->st, job_claim, f->a, 10, 60, &j), CS_OK);
	assert_int_equal(j.id, b);
	assert_int_equal(store_call(f->st, job_retry, b, "x", 0, true, 12),
	                 CS_OK);
	assert_int_equal(store_call(f->st, job_claim, f->a, 10, 60, &j), CS_OK);
	assert_int_equal(store_call(f->st, job_counts, counts), CS_OK);
	assert_int_equal(counts[JOB_QUEUED], 1);
	assert_int_equal(counts[JOB_RUNNING], 1);
	assert_int_equal(counts[JOB_DONE], 1);
	assert_int_equal(counts[JOB_FAILED], 1);

	assert_int_equal(
	    store_call(f->st, job_list, f->a, JOB_FAILED, &p, &items, &n),
	    CS_OK);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].id, b);
	assert_int_equal(store_call(f->st, job_list, f->a, -1, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 4);
	p.after = items[1].id;
	p.limit = 1;
	assert_int_equal(store_call(f->st, job_list, f->a, -1, &p, &items, &n),
	                 CS_OK);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].kind, "c");
}

/* ---- transactions and backup ---- */

static void
test_transaction_rollback(void **state)
{
	struct fx *f = *state;
	struct user g;

	assert_int_equal(store_begin(f->st, true), CS_OK);
	mkuser(f, "ghost", ROLE_VIEWER, NULL);
	store_rollback(f->st);
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "ghost", &g),
	                 CS_E_NOTFOUND);
	assert_int_equal(store_begin(f->st, true), CS_OK);
	mkuser(f, "kept", ROLE_VIEWER, NULL);
	assert_int_equal(store_end(f->st, CS_OK), CS_OK);
	assert_int_equal(store_begin(f->st, true), CS_OK);
	mkuser(f, "dropped", ROLE_VIEWER, NULL);
	assert_int_equal(store_end(f->st, CS_E_INVAL), CS_E_INVAL);
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "kept", &g),
	                 CS_OK);
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "dropped", &g),
	                 CS_E_NOTFOUND);
}

static void
test_backup(void **state)
{
	struct fx *f = *state;
	char dest[200], url[220];
	struct store *b;
	struct user g;
	int applied = -1;
	int64_t id = mkuser(f, "bea", ROLE_ADMIN, NULL), rows = -1,
	        problems = -1;

	mkuser(f, "ben", ROLE_VIEWER, NULL);
	append_rows(f, 3);
	snprintf(dest, sizeof(dest), "%s/backup.db", f->dir);
	assert_int_equal(store_call(f->st, backup, dest), CS_OK);
	/* later changes are not in the copy */
	mkuser(f, "late", ROLE_VIEWER, NULL);

	snprintf(url, sizeof(url), "sqlite:%s", dest);
	assert_int_equal(store_open(url, &b), CS_OK);
	assert_int_equal(store_call(b, migrate, false, NULL, NULL, &applied),
	                 CS_OK);
	assert_int_equal(applied, 0);
	assert_int_equal(store_call(b, user_get, f->a, 0, "bea", &g), CS_OK);
	assert_int_equal(g.id, id);
	assert_int_equal(g.role, ROLE_ADMIN);
	assert_int_equal(store_call(b, user_get, f->a, 0, "ben", &g), CS_OK);
	assert_int_equal(store_call(b, user_get, f->a, 0, "late", &g),
	                 CS_E_NOTFOUND);
	assert_int_equal(audit_verify(b, NULL, NULL, &rows, &problems), CS_OK);
	assert_int_equal(rows, 3);
	assert_int_equal(problems, 0);
	store_close(b);

	/* an unwritable destination */
	assert_int_equal(
	    store_call(f->st, backup, "/nonexistent-dir-cs/x/backup.db"),
	    CS_E_IO);
}

static void
test_roles_states(void **state)
{
	enum role r;
	enum job_state s;

	(void)state;
	for (int i = ROLE_ADMIN; i <= ROLE_CONSTITUENT; i++) {
		assert_true(role_parse(role_name((enum role)i), &r));
		assert_int_equal(r, i);
	}
	assert_false(role_parse("Admin", &r));
	assert_false(role_parse("", &r));
	for (int i = 0; i < JOB_NSTATES; i++) {
		assert_true(
		    job_state_parse(job_state_name((enum job_state)i), &s));
		assert_int_equal(s, i);
	}
	assert_false(job_state_parse("gone", &s));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_migrate_once),
	    T(test_migrate_fresh_dry_run),
	    T(test_migrate_tampered),
	    T(test_migrate_newer_schema),
	    cmocka_unit_test(test_migrations_list),
	    T(test_open_urls),
	    T(test_users),
	    T(test_user_org_check),
	    T(test_user_list),
	    T(test_sessions),
	    T(test_tokens),
	    T(test_throttle_lock),
	    T(test_throttle_window),
	    T(test_throttle_starts_over_after_lock),
	    T(test_idempotency),
	    T(test_purge),
	    T(test_audit_chain),
	    T(test_audit_rollback),
	    T(test_audit_tamper_detail),
	    T(test_audit_tamper_actor_time),
	    T(test_audit_delete),
	    T(test_audit_delete_range),
	    T(test_audit_swap),
	    T(test_audit_rechained_row),
	    T(test_job_claim_done),
	    T(test_job_order),
	    T(test_job_retry),
	    T(test_job_done_clears_error),
	    T(test_job_recover),
	    T(test_job_lease_expiry),
	    T(test_job_counts_list),
	    T(test_transaction_rollback),
	    T(test_backup),
	    cmocka_unit_test(test_roles_states),
	};

	log_init(LOG_LVL_ERROR, false, "test_store");
	if (secret_init() != CS_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
