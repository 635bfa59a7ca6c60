/*
 * test_users.c - accounts (core/users.h) and credentials
 * (core/credentials.h) on a real SQLite store in a temporary directory.
 *
 * argon2id costs about 0.1 s per hash or verification; the comments count
 * them so the file stays well under 30.
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
#include "core/audit.h"
#include "core/clock.h"
#include "core/credentials.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/users.h"
#include "store/store.h"

#define PW  "correct horse battery"
#define PW2 "another long password"

#include "store_fixture.h"

static const struct actor cli = {.name = "cli:root", .user_id = 0};

static const struct login_policy policy = {
    .max_failures = 3,
    .addr_max_failures = 100,
    .window = 600,
    .lockout = 300,
    .session_idle = 3600,
    .session_max = 86400,
};

/* A user stored directly, without hashing: for tests that never log in. */
static int64_t
put_user(struct fx *f, const char *login, enum role role)
{
	struct user u = {.login = login,
	                 .pw_hash = "unusable",
	                 .role = role,
	                 .created_at = 1};
	int64_t id = 0;

	assert_int_equal(store_call(f->st, user_put, &u, &id), CS_OK);
	return id;
}

/* users_create with a known password: one hash. */
static int64_t
create(struct fx *f, const char *login, enum role role, const char *pw)
{
	struct user u = {.login = login, .role = role};
	struct verrs ve = {0};
	char gen[32];

	assert_int_equal(users_create(f->st, f->a, &cli, &u, pw, gen, &ve),
	                 CS_OK);
	assert_int_equal(ve.n, 0);
	assert_true(u.id > 0);
	return u.id;
}

static struct user_patch
patch(void)
{
	struct user_patch p = {.role = -1, .disabled = -1};

	return p;
}

static bool
has_field(const struct verrs *ve, const char *field)
{
	for (size_t i = 0; i < ve->n; i++)
		if (strcmp(ve->e[i].field, field) == 0)
			return true;
	return false;
}

/* Audit rows so far, checking the chain on the way. */
static int64_t
audit_rows(struct fx *f)
{
	int64_t rows = -1, problems = -1;

	assert_int_equal(audit_verify(f->st, NULL, NULL, &rows, &problems),
	                 CS_OK);
	assert_int_equal(problems, 0);
	return rows;
}

/* The action of the newest audit row. */
static const char *
last_action(struct fx *f, const char **object_id)
{
	struct audit_filter flt = {0};
	struct page p = {.after = 0, .limit = 500};
	struct audit_row *items;
	size_t n = 0;

	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &flt, &p, &items, &n), CS_OK);
	assert_true(n > 0);
	if (object_id != NULL)
		*object_id = items[n - 1].object_id;
	return items[n - 1].action;
}

/* ---- logins and fields: no hashing ---- */

static void
test_login_is_valid(void **state)
{
	static const char *const good[] = {"alice", "a",    "0day", "a.b-c_d",
	                                   "x9",    "a...", "b--"};
	static const char *const bad[] = {"",   "Alice", ".a",  "-a",
	                                  "_a", "a b",   "a/b", "a@b",
	                                  "é",  "a\n",   "ab:c"};
	char longest[66];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!login_is_valid(good[i]))
			fail_msg("\"%s\" refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (login_is_valid(bad[i]))
			fail_msg("\"%s\" accepted", bad[i]);
	memset(longest, 'a', sizeof(longest));
	longest[64] = '\0';
	assert_true(login_is_valid(longest));
	longest[64] = 'a';
	longest[65] = '\0';
	assert_false(login_is_valid(longest));
	assert_true(org_code_is_valid("ACME-1.x_y"));
	assert_false(org_code_is_valid(""));
	assert_false(org_code_is_valid("a b"));
}

static void
test_create_invalid(void **state)
{
	struct fx *f = *state;
	struct user u = {.login = "Bad Login", .role = ROLE_VIEWER};
	struct verrs ve = {0};
	char gen[32];

	/* every bad field is reported, before anything is hashed */
	u.email = "not-an-address";
	assert_int_equal(users_create(f->st, f->a, &cli, &u, "short", gen, &ve),
	                 CS_E_INVAL);
	assert_true(has_field(&ve, "login"));
	assert_true(has_field(&ve, "email"));
	assert_true(has_field(&ve, "password"));

	memset(&ve, 0, sizeof(ve));
	u = (struct user){.login = "carl", .role = ROLE_CONSTITUENT};
	assert_int_equal(users_create(f->st, f->a, &cli, &u, PW, gen, &ve),
	                 CS_E_INVAL);
	assert_true(has_field(&ve, "org"));

	memset(&ve, 0, sizeof(ve));
	u = (struct user){.login = "carl", .role = ROLE_VIEWER, .org = "acme"};
	assert_int_equal(users_create(f->st, f->a, &cli, &u, PW, gen, &ve),
	                 CS_E_INVAL);
	assert_true(has_field(&ve, "org"));

	memset(&ve, 0, sizeof(ve));
	u = (struct user){.login = "carl", .role = ROLE_VIEWER, .name = "a\tb"};
	assert_int_equal(users_create(f->st, f->a, &cli, &u, PW, gen, &ve),
	                 CS_E_INVAL);
	assert_true(has_field(&ve, "name"));
	assert_int_equal(audit_rows(f), 0);
}

/*
 * A name that is not UTF-8 (possible from the CLI: `csirtd user add x
 * --name $'\xff'`) must either be refused or be recorded: the audit row of
 * the change has to say what was created.
 */
static void
test_create_non_utf8_name(void **state) /* 1 hash */
{
	struct fx *f = *state;
	struct user u = {
	    .login = "utf", .name = "Bad \xff name", .role = ROLE_VIEWER};
	struct audit_filter flt = {0};
	struct page p = {.after = 0, .limit = 10};
	struct audit_row *items;
	struct verrs ve = {0};
	enum cs_err err;
	char gen[32];
	size_t n = 0;

	err = users_create(f->st, f->a, &cli, &u, PW, gen, &ve);
	if (err == CS_E_INVAL) {
		assert_true(has_field(&ve, "name"));
		return;
	}
	assert_int_equal(err, CS_OK);
	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &flt, &p, &items, &n), CS_OK);
	assert_int_equal(n, 1);
	if (strstr(items[0].detail, "\"login\":\"utf\"") == NULL)
		fail_msg("user created with a non-UTF-8 name, but its "
		         "user.create audit detail is %s",
		         items[0].detail);
}

static void
test_token_non_utf8_name(void **state) /* 0 hashes */
{
	struct fx *f = *state;
	struct user owner = {0};
	struct token t;
	struct verrs ve = {0};
	char secret[SECRET_TOKEN_MAX];
	enum cs_err err;
	const char *action;
	struct audit_filter flt = {0};
	struct page p = {.after = 0, .limit = 10};
	struct audit_row *items;
	size_t n = 0;

	owner.id = put_user(f, "una", ROLE_HANDLER);
	owner.login = "una";
	err = token_create(f->st, f->a, &cli, &owner, "ci \xc3", 0, secret, &t,
	                   &ve);
	if (err == CS_E_INVAL) {
		assert_true(has_field(&ve, "name"));
		return;
	}
	assert_int_equal(err, CS_OK);
	action = last_action(f, NULL);
	assert_string_equal(action, "token.create");
	assert_int_equal(
	    store_call(f->st, audit_list, f->a, &flt, &p, &items, &n), CS_OK);
	if (strstr(items[n - 1].detail, "\"user\":\"una\"") == NULL)
		fail_msg("token created with a non-UTF-8 name, but its "
		         "token.create audit detail is %s",
		         items[n - 1].detail);
}

/* ---- users_create / users_update ---- */

static void
test_create_generated(void **state) /* 1 hash, 1 verify */
{
	struct fx *f = *state;
	struct user u = {.login = "alice",
	                 .name = "Alice",
	                 .email = "alice@example.org",
	                 .role = ROLE_HANDLER};
	struct user g;
	struct verrs ve = {0};
	char gen[32] = "";
	const char *oid;

	assert_int_equal(users_create(f->st, f->a, &cli, &u, NULL, gen, &ve),
	                 CS_OK);
	assert_int_equal(strlen(gen), 20);
	assert_true(u.id > 0);
	assert_int_equal(u.version, 1);
	assert_null(u.pw_hash);
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "alice", &g),
	                 CS_OK);
	assert_int_equal(g.id, u.id);
	assert_int_equal(g.role, ROLE_HANDLER);
	assert_string_equal(g.email, "alice@example.org");
	assert_true(password_verify(g.pw_hash, gen));
	assert_int_equal(audit_rows(f), 1);
	assert_string_equal(last_action(f, &oid), "user.create");
	assert_int_equal(strtoll(oid, NULL, 10), u.id);
}

static void
test_create_duplicate(void **state) /* 2 hashes */
{
	struct fx *f = *state;
	struct user u = {.login = "dup", .role = ROLE_VIEWER};
	struct verrs ve = {0};
	char gen[32];

	create(f, "dup", ROLE_VIEWER, PW);
	assert_int_equal(users_create(f->st, f->a, &cli, &u, PW2, gen, &ve),
	                 CS_E_CONFLICT);
	assert_int_equal(ve.n, 1);
	assert_string_equal(ve.e[0].field, "login");
	/* nothing half-done: still one user, one audit row */
	assert_int_equal(audit_rows(f), 1);
}

static void
test_last_admin(void **state) /* 2 hashes */
{
	struct fx *f = *state;
	struct user_patch p = patch();
	struct verrs ve = {0};
	struct user out, g;

	create(f, "root", ROLE_ADMIN, PW);

	p.disabled = 1;
	assert_int_equal(users_update(f->st, f->a, &cli, "root", &p, &out, &ve),
	                 CS_E_CONFLICT);
	assert_true(has_field(&ve, "disabled"));
	p = patch();
	p.role = ROLE_VIEWER;
	memset(&ve, 0, sizeof(ve));
	assert_int_equal(users_update(f->st, f->a, &cli, "root", &p, &out, &ve),
	                 CS_E_CONFLICT);
	assert_true(has_field(&ve, "role"));
	assert_int_equal(store_call(f->st, user_get, f->a, 0, "root", &g),
	                 CS_OK);
	assert_int_equal(g.role, ROLE_ADMIN);
	assert_false(g.disabled);
	assert_int_equal(g.version, 1);
	assert_int_equal(audit_rows(f), 1);

	/* a second admin makes it possible */
	create(f, "root2", ROLE_ADMIN, PW);
	p = patch();
	p.disabled = 1;
	memset(&ve, 0, sizeof(ve));
	assert_int_equal(users_update(f->st, f->a, &cli, "root", &p, &out, &ve),
	                 CS_OK);
	assert_true(out.disabled);
	assert_string_equal(last_action(f, NULL), "user.disable");
	/* now root2 is the last one */
	p = patch();
	p.role = ROLE_HANDLER;
	assert_int_equal(
	    users_update(f->st, f->a, &cli, "root2", &p, &out, &ve),
	    CS_E_CONFLICT);
	/* a disabled admin does not count and may be demoted */
	p = patch();
	p.role = ROLE_VIEWER;
	memset(&ve, 0, sizeof(ve));
	assert_int_equal(users_update(f->st, f->a, &cli, "root", &p, &out, &ve),
	                 CS_OK);
	assert_int_equal(out.role, ROLE_VIEWER);
	p = patch();
	p.disabled = 0;
	assert_int_equal(users_update(f->st, f->a, &cli, "root", &p, &out, &ve),
	                 CS_OK);
	assert_string_equal(last_action(f, NULL), "user.enable");
	assert_int_equal(audit_rows(f), 5);
}

static void
test_update_versions(void **state) /* 0 hashes */
{
	struct fx *f = *state;
	struct user_patch p = patch();
	struct verrs ve = {0};
	struct user out;

	put_user(f, "vera", ROLE_VIEWER);
	p.name = "Vera";
	p.if_version = 1;
	assert_int_equal(users_update(f->st, f->a, &cli, "vera", &p, &out, &ve),
	                 CS_OK);
	assert_int_equal(out.version, 2);
	assert_string_equal(out.name, "Vera");
	/* the same precondition again is stale now */
	p.name = "Vera 2";
	assert_int_equal(users_update(f->st, f->a, &cli, "vera", &p, &out, &ve),
	                 CS_E_STALE);
	p.if_version = 2;
	assert_int_equal(users_update(f->st, f->a, &cli, "vera", &p, &out, &ve),
	                 CS_OK);
	assert_string_equal(out.name, "Vera 2");
	assert_int_equal(out.version, 3);
	/* no precondition */
	p.if_version = 0;
	p.email = "vera@example.org";
	assert_int_equal(users_update(f->st, f->a, &cli, "vera", &p, &out, &ve),
	                 CS_OK);
	assert_int_equal(out.version, 4);
	assert_int_equal(
	    users_update(f->st, f->a, &cli, "nobody", &p, &out, &ve),
	    CS_E_NOTFOUND);
	/* invalid fields change nothing */
	p = patch();
	p.email = "a@b@c";
	assert_int_equal(users_update(f->st, f->a, &cli, "vera", &p, &out, &ve),
	                 CS_E_INVAL);
	assert_true(has_field(&ve, "email"));
	assert_int_equal(audit_rows(f), 3);
}

static void
test_constituent_org(void **state) /* 0 hashes */
{
	struct fx *f = *state;
	struct user_patch p = patch();
	struct verrs ve = {0};
	struct user out;

	put_user(f, "cora", ROLE_VIEWER);
	p.role = ROLE_CONSTITUENT;
	assert_int_equal(users_update(f->st, f->a, &cli, "cora", &p, &out, &ve),
	                 CS_E_INVAL);
	assert_true(has_field(&ve, "org"));
	memset(&ve, 0, sizeof(ve));
	p.set_org = true;
	p.org = "acme";
	assert_int_equal(users_update(f->st, f->a, &cli, "cora", &p, &out, &ve),
	                 CS_OK);
	assert_string_equal(out.org, "acme");
	/* leaving the role drops the organisation */
	p = patch();
	p.role = ROLE_HANDLER;
	assert_int_equal(users_update(f->st, f->a, &cli, "cora", &p, &out, &ve),
	                 CS_OK);
	assert_null(out.org);
}

static void
test_audit_per_change(void **state) /* 2 hashes, 2 verifies */
{
	struct fx *f = *state;
	struct user_patch p = patch();
	struct verrs ve = {0};
	struct user out, g;
	struct session se = {.created_at = 1, .expires_at = 1LL << 40};
	int64_t id;
	struct session sg;
	struct user su;

	create(f, "admin", ROLE_ADMIN, PW);
	id = create(f, "hank", ROLE_HANDLER, PW);
	assert_int_equal(audit_rows(f), 2);
	assert_string_equal(last_action(f, NULL), "user.create");

	p.name = "Hank";
	assert_int_equal(users_update(f->st, f->a, &cli, "hank", &p, &out, &ve),
	                 CS_OK);
	assert_int_equal(audit_rows(f), 3);
	assert_string_equal(last_action(f, NULL), "user.update");

	/* a new password set by someone else ends the user's sessions */
	se.user_id = id;
	se.last_seen_at = 1;
	assert_int_equal(store_call(f->st, session_put, "sess-h", &se), CS_OK);
	p = patch();
	p.password = PW2;
	assert_int_equal(users_update(f->st, f->a, &cli, "hank", &p, &out, &ve),
	                 CS_OK);
	assert_int_equal(audit_rows(f), 4);
	assert_string_equal(last_action(f, NULL), "user.passwd");
	assert_int_equal(store_call(f->st, user_get, f->a, id, NULL, &g),
	                 CS_OK);
	assert_true(password_verify(g.pw_hash, PW2));
	assert_false(password_verify(g.pw_hash, PW));
	assert_int_equal(
	    store_call(f->st, session_get, f->a, "sess-h", &sg, &su),
	    CS_E_NOTFOUND);

	/* disabling ends the sessions too */
	assert_int_equal(store_call(f->st, session_put, "sess-h2", &se), CS_OK);
	p = patch();
	p.disabled = 1;
	assert_int_equal(users_update(f->st, f->a, &cli, "hank", &p, &out, &ve),
	                 CS_OK);
	assert_int_equal(audit_rows(f), 5);
	assert_string_equal(last_action(f, NULL), "user.disable");
	assert_int_equal(
	    store_call(f->st, session_get, f->a, "sess-h2", &sg, &su),
	    CS_E_NOTFOUND);

	/* a refused change writes nothing */
	p = patch();
	p.password = "short";
	memset(&ve, 0, sizeof(ve));
	assert_int_equal(users_update(f->st, f->a, &cli, "hank", &p, &out, &ve),
	                 CS_E_INVAL);
	assert_true(has_field(&ve, "password"));
	assert_int_equal(audit_rows(f), 5);
}

/* ---- credentials ---- */

static void
test_login_session(void **state) /* 1 hash, 1 verify */
{
	struct fx *f = *state;
	struct login_result r;
	struct user u;
	struct actor by;
	int64_t id = create(f, "lena", ROLE_VIEWER, PW), exp = 0;
	int64_t now = clock_now();
	char csrf[48];

	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    login_attempt(f->st, f->a, &policy, "lena", PW, "192.0.2.1", &r),
	    CS_OK);
	assert_int_equal(strncmp(r.session, SESSION_PREFIX, 4), 0);
	assert_int_equal(strlen(r.session), 4 + 43);
	assert_int_equal(r.user.id, id);
	assert_null(r.user.pw_hash);
	assert_true(r.expires_at >= now + policy.session_idle);
	assert_true(r.expires_at <= clock_now() + policy.session_idle);
	session_csrf(r.session, csrf);
	assert_string_equal(r.csrf, csrf);
	assert_string_equal(last_action(f, NULL), "session.login");

	assert_int_equal(
	    session_check(f->st, f->a, &policy, r.session, &u, &exp), CS_OK);
	assert_int_equal(u.id, id);
	assert_string_equal(u.login, "lena");
	assert_null(u.pw_hash);
	assert_true(exp > now);

	/* the stored row is keyed by the hash, not the cookie */
	{
		char hash[SECRET_SHA256_HEX];
		struct session se;
		struct user su;

		assert_int_equal(
		    store_call(f->st, session_get, f->a, r.session, &se, &su),
		    CS_E_NOTFOUND);
		sha256_hex(r.session, strlen(r.session), hash);
		assert_int_equal(
		    store_call(f->st, session_get, f->a, hash, &se, &su),
		    CS_OK);
	}

	/* wrong cookies */
	assert_int_equal(
	    session_check(f->st, f->a, &policy, "css_nope", &u, &exp),
	    CS_E_AUTH);
	assert_int_equal(
	    session_check(f->st, f->a, &policy, r.session + 4, &u, &exp),
	    CS_E_AUTH);

	/* an expired session is refused */
	sql(f, "UPDATE session SET expires_at = 1");
	assert_int_equal(
	    session_check(f->st, f->a, &policy, r.session, &u, &exp),
	    CS_E_AUTH);
	sql(f, "UPDATE session SET expires_at = 1 << 40");

	/* logout */
	by.name = "lena";
	by.user_id = id;
	assert_int_equal(session_end(f->st, f->a, &by, r.session), CS_OK);
	assert_string_equal(last_action(f, NULL), "session.logout");
	assert_int_equal(
	    session_check(f->st, f->a, &policy, r.session, &u, &exp),
	    CS_E_AUTH);
	assert_int_equal(audit_rows(f), 3);
}

static void
test_login_wrong(void **state) /* 1 hash, 2 verifies */
{
	struct fx *f = *state;
	struct login_result r;
	int failures = -1;
	int64_t until = -1;

	create(f, "walt", ROLE_VIEWER, PW);
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    login_attempt(f->st, f->a, &policy, "walt", PW2, "192.0.2.2", &r),
	    CS_E_AUTH);
	assert_int_equal(r.session[0], '\0');
	/* an unknown account looks the same */
	assert_int_equal(
	    login_attempt(f->st, f->a, &policy, "nobody", PW, "192.0.2.2", &r),
	    CS_E_AUTH);
	/* both count against the account and the address */
	assert_int_equal(
	    store_call(f->st, throttle_get, "user:walt", 0, &failures, &until),
	    CS_OK);
	assert_int_equal(failures, 1);
	assert_int_equal(store_call(f->st, throttle_get, "addr:192.0.2.2", 0,
	                            &failures, &until),
	                 CS_OK);
	assert_int_equal(failures, 2);
	assert_int_equal(audit_rows(f), 1);
}

static void
test_lockout(void **state) /* 1 hash, 4 verifies */
{
	struct fx *f = *state;
	struct login_result r;

	create(f, "lock", ROLE_VIEWER, PW);
	for (int i = 0; i < policy.max_failures; i++)
		assert_int_equal(login_attempt(f->st, f->a, &policy, "lock",
		                               PW2, "192.0.2.3", &r),
		                 CS_E_AUTH);
	/* locked: even the right password, from another address */
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    login_attempt(f->st, f->a, &policy, "lock", PW, "192.0.2.4", &r),
	    CS_E_LIMITED);
	assert_true(r.retry_after > 0);
	assert_true(r.retry_after <= policy.lockout);
	assert_int_equal(r.session[0], '\0');
	/* after the lockout (moved into the past) the password works */
	sql(f, "UPDATE login_throttle SET locked_until = 1, window_start = 1");
	assert_int_equal(
	    login_attempt(f->st, f->a, &policy, "lock", PW, "192.0.2.4", &r),
	    CS_OK);
}

static void
test_address_lockout(void **state) /* 1 hash, 2 verifies */
{
	struct fx *f = *state;
	struct login_policy pol = policy;
	struct login_result r;

	pol.addr_max_failures = 2;
	create(f, "addy", ROLE_VIEWER, PW);
	assert_int_equal(
	    login_attempt(f->st, f->a, &pol, "ghost1", PW, "198.51.100.7", &r),
	    CS_E_AUTH);
	assert_int_equal(
	    login_attempt(f->st, f->a, &pol, "ghost2", PW, "198.51.100.7", &r),
	    CS_E_AUTH);
	memset(&r, 0, sizeof(r));
	assert_int_equal(
	    login_attempt(f->st, f->a, &pol, "addy", PW, "198.51.100.7", &r),
	    CS_E_LIMITED);
	assert_true(r.retry_after > 0);
}

static void
test_login_disabled(void **state) /* 1 hash, 1 verify */
{
	struct fx *f = *state;
	struct user_patch p = patch();
	struct verrs ve = {0};
	struct login_result r;
	struct user out, u;
	int64_t exp;
	char cookie[SECRET_TOKEN_MAX], hash[SECRET_SHA256_HEX];
	struct session se = {.created_at = 1, .last_seen_at = 1};

	se.user_id = create(f, "dora", ROLE_VIEWER, PW);
	/* a live session, then the account is disabled */
	token_generate(SESSION_PREFIX, cookie);
	sha256_hex(cookie, strlen(cookie), hash);
	se.expires_at = clock_now() + 3600;
	assert_int_equal(store_call(f->st, session_put, hash, &se), CS_OK);
	assert_int_equal(session_check(f->st, f->a, &policy, cookie, &u, &exp),
	                 CS_OK);
	p.disabled = 1;
	assert_int_equal(users_update(f->st, f->a, &cli, "dora", &p, &out, &ve),
	                 CS_OK);
	assert_int_equal(
	    login_attempt(f->st, f->a, &policy, "dora", PW, "192.0.2.5", &r),
	    CS_E_AUTH);
	/* disabling deleted the session; a session left behind (written
	 * directly) is refused because the account is disabled */
	assert_int_equal(session_check(f->st, f->a, &policy, cookie, &u, &exp),
	                 CS_E_AUTH);
	assert_int_equal(store_call(f->st, session_put, hash, &se), CS_OK);
	assert_int_equal(session_check(f->st, f->a, &policy, cookie, &u, &exp),
	                 CS_E_AUTH);
}

static void
test_tokens(void **state) /* 0 hashes */
{
	struct fx *f = *state;
	struct user owner = {0}, u;
	struct token t, got;
	struct verrs ve = {0};
	char secret[SECRET_TOKEN_MAX], other[SECRET_TOKEN_MAX];
	struct actor by = {.name = "tess"};
	int64_t rows;

	owner.id = put_user(f, "tess", ROLE_HANDLER);
	owner.login = "tess";
	by.user_id = owner.id;
	assert_int_equal(
	    token_create(f->st, f->a, &by, &owner, "ci", 0, secret, &t, &ve),
	    CS_OK);
	assert_int_equal(strncmp(secret, TOKEN_PREFIX, 4), 0);
	assert_int_equal(strlen(secret), 4 + 43);
	assert_true(t.id > 0);
	assert_int_equal(strlen(t.prefix), 12);
	assert_int_equal(strncmp(secret, t.prefix, 12), 0);
	assert_int_equal(t.expires_at, 0);
	assert_string_equal(last_action(f, NULL), "token.create");

	assert_int_equal(token_check(f->st, f->a, secret, &got, &u), CS_OK);
	assert_int_equal(got.id, t.id);
	assert_int_equal(u.id, owner.id);
	assert_null(u.pw_hash);

	/* wrong secrets */
	memcpy(other, secret, sizeof(other));
	other[10] = other[10] == 'A' ? 'B' : 'A';
	assert_int_equal(token_check(f->st, f->a, other, &got, &u), CS_E_AUTH);
	assert_int_equal(token_check(f->st, f->a, secret + 4, &got, &u),
	                 CS_E_AUTH);
	assert_int_equal(token_check(f->st, f->a, "", &got, &u), CS_E_AUTH);

	/* bad input */
	assert_int_equal(
	    token_create(f->st, f->a, &by, &owner, "", 0, other, &got, &ve),
	    CS_E_INVAL);
	assert_true(has_field(&ve, "name"));
	memset(&ve, 0, sizeof(ve));
	assert_int_equal(
	    token_create(f->st, f->a, &by, &owner, "x", -1, other, &got, &ve),
	    CS_E_INVAL);
	assert_int_equal(ve.n, 1);

	/* expired */
	memset(&ve, 0, sizeof(ve));
	assert_int_equal(token_create(f->st, f->a, &by, &owner, "short", 3600,
	                              other, &got, &ve),
	                 CS_OK);
	assert_true(got.expires_at > clock_now());
	assert_int_equal(token_check(f->st, f->a, other, &got, &u), CS_OK);
	sql(f, "UPDATE token SET expires_at = 1 WHERE name = 'short'");
	assert_int_equal(token_check(f->st, f->a, other, &got, &u), CS_E_AUTH);

	/* revoked: refused; revoking again changes nothing */
	rows = audit_rows(f);
	assert_int_equal(token_revoke(f->st, f->a, &by, t.id), CS_OK);
	assert_string_equal(last_action(f, NULL), "token.revoke");
	assert_int_equal(token_check(f->st, f->a, secret, &got, &u), CS_E_AUTH);
	assert_int_equal(token_revoke(f->st, f->a, &by, t.id), CS_OK);
	assert_int_equal(audit_rows(f), rows + 1);
	assert_int_equal(token_revoke(f->st, f->a, &by, t.id + 100),
	                 CS_E_NOTFOUND);
}

static void
test_token_disabled_owner(void **state) /* 0 hashes */
{
	struct fx *f = *state;
	struct user owner = {0}, u;
	struct token t, got;
	struct verrs ve = {0};
	char secret[SECRET_TOKEN_MAX];

	owner.id = put_user(f, "olga", ROLE_HANDLER);
	owner.login = "olga";
	assert_int_equal(
	    token_create(f->st, f->a, &cli, &owner, "t", 0, secret, &t, &ve),
	    CS_OK);
	assert_int_equal(token_check(f->st, f->a, secret, &got, &u), CS_OK);
	sql(f, "UPDATE user SET disabled = 1 WHERE login = 'olga'");
	assert_int_equal(token_check(f->st, f->a, secret, &got, &u), CS_E_AUTH);
}

static void
test_csrf(void **state)
{
	char a1[48], a2[48], b[48];
	char c1[SECRET_TOKEN_MAX], c2[SECRET_TOKEN_MAX];

	(void)state;
	token_generate(SESSION_PREFIX, c1);
	token_generate(SESSION_PREFIX, c2);
	session_csrf(c1, a1);
	session_csrf(c1, a2);
	session_csrf(c2, b);
	assert_string_equal(a1, a2);
	assert_string_not_equal(a1, b);
	assert_int_equal(strlen(a1), 43);
	/* not the cookie, nor derived from it by a prefix */
	assert_null(strstr(c1, a1));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_login_is_valid),
	    T(test_create_invalid),
	    T(test_create_non_utf8_name),
	    T(test_create_generated),
	    T(test_create_duplicate),
	    T(test_last_admin),
	    T(test_update_versions),
	    T(test_constituent_org),
	    T(test_audit_per_change),
	    T(test_login_session),
	    T(test_login_wrong),
	    T(test_lockout),
	    T(test_address_lockout),
	    T(test_login_disabled),
	    T(test_tokens),
	    T(test_token_disabled_owner),
	    T(test_token_non_utf8_name),
	    cmocka_unit_test(test_csrf),
	};

	log_init(LOG_LVL_ERROR, false, "test_users");
	if (secret_init() != CS_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
