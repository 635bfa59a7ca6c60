/*
 * test_router.c - the static route table and path matching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

struct m {
	int rc;
	const char *params[ROUTE_PARAMS];
	char seg[512];
	char allow[128];
};

static int
do_match(struct m *m, const char *method, const char *path)
{
	memset(m, 0, sizeof(*m));
	memset(m->allow, 'x', sizeof(m->allow));
	m->rc = router_match(method, path, m->seg, sizeof(m->seg), m->params,
	                     m->allow, sizeof(m->allow));
	return m->rc;
}

/* Index of (method, pattern) in the table, -1 when absent. */
static int
route_index(const char *method, const char *pattern)
{
	for (size_t i = 0; i < router_count(); i++) {
		const struct route *r = router_route(i);

		if (strcmp(r->method, method) == 0 &&
		    strcmp(r->pattern, pattern) == 0)
			return (int)i;
	}
	return -1;
}

/* The pattern with each {param} replaced by "v<n>". */
static void
concrete(const char *pattern, char *out, size_t n)
{
	size_t o = 0;
	int np = 0;

	for (const char *p = pattern; *p && o + 4 < n; p++) {
		if (*p == '{') {
			o += (size_t)snprintf(out + o, n - o, "v%d", np++);
			while (*p && *p != '}')
				p++;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
}

static void
test_table_consistent(void **state)
{
	size_t n = router_count();

	(void)state;
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		const struct route *r = router_route(i);
		const char *m, *p;

		assert_non_null(r);
		assert_non_null(r->handler);
		assert_int_equal(r->pattern[0], '/');
		assert_true(strcmp(r->method, "GET") == 0 ||
		            strcmp(r->method, "POST") == 0 ||
		            strcmp(r->method, "PATCH") == 0 ||
		            strcmp(r->method, "PUT") == 0 ||
		            strcmp(r->method, "DELETE") == 0);
		router_route_name(i, &m, &p);
		assert_string_equal(m, r->method);
		assert_string_equal(p, r->pattern);
		/* no duplicates: the first match is the only match */
		assert_int_equal(route_index(r->method, r->pattern), (int)i);
	}
	assert_null(router_route(n));
	assert_null(router_route(n + 100));
}

static void
test_every_route_matches_itself(void **state)
{
	struct m m;
	char path[256];

	(void)state;
	for (size_t i = 0; i < router_count(); i++) {
		const struct route *r = router_route(i);
		int np = 0;

		concrete(r->pattern, path, sizeof(path));
		if (do_match(&m, r->method, path) != (int)i)
			fail_msg("%s %s matched %d, want %zu", r->method, path,
			         m.rc, i);
		for (const char *p = r->pattern; *p; p++) {
			char want[16];

			if (*p != '{')
				continue;
			snprintf(want, sizeof(want), "v%d", np);
			assert_non_null(m.params[np]);
			assert_string_equal(m.params[np], want);
			np++;
		}
		/* and with one trailing slash, except the root */
		if (strcmp(path, "/") != 0) {
			size_t len = strlen(path);

			path[len] = '/';
			path[len + 1] = '\0';
			if (do_match(&m, r->method, path) != (int)i)
				fail_msg("%s %s matched %d, want %zu",
				         r->method, path, m.rc, i);
		}
	}
}

static void
test_params(void **state)
{
	struct m m;
	int get = route_index("GET", "/api/v1/users/{login}");
	int patch = route_index("PATCH", "/api/v1/users/{login}");

	(void)state;
	assert_true(get >= 0 && patch >= 0);
	assert_int_equal(do_match(&m, "GET", "/api/v1/users/bob"), get);
	assert_string_equal(m.params[0], "bob");
	assert_int_equal(do_match(&m, "PATCH", "/api/v1/users/bob.x-1"), patch);
	assert_string_equal(m.params[0], "bob.x-1");
	assert_int_equal(do_match(&m, "GET", "/api/v1/users/bob/"), get);
	assert_string_equal(m.params[0], "bob");
	/* a param is one segment only */
	assert_int_equal(do_match(&m, "GET", "/api/v1/users/bob/x"), -2);
	assert_int_equal(do_match(&m, "DELETE", "/api/v1/tokens/42"),
	                 route_index("DELETE", "/api/v1/tokens/{id}"));
	assert_string_equal(m.params[0], "42");
	assert_int_equal(do_match(&m, "GET", "/api/v1/jobs/7"),
	                 route_index("GET", "/api/v1/jobs/{id}"));
	assert_string_equal(m.params[0], "7");
}

static void
test_trailing_slash(void **state)
{
	struct m m;
	int users = route_index("GET", "/api/v1/users");
	int root = route_index("GET", "/");

	(void)state;
	assert_true(users >= 0 && root >= 0);
	assert_int_equal(do_match(&m, "GET", "/api/v1/users"), users);
	assert_int_equal(do_match(&m, "GET", "/api/v1/users/"), users);
	assert_int_equal(do_match(&m, "GET", "/"), root);
	/* only one trailing slash is forgiven */
	assert_int_equal(do_match(&m, "GET", "/api/v1/me//"), -2);
}

static void
test_empty_segment(void **state)
{
	struct m m;

	(void)state;
	/* "/api/v1/users//" is users/ + an empty {login}: no route */
	assert_int_equal(do_match(&m, "GET", "/api/v1/users//"), -2);
	assert_int_equal(do_match(&m, "PATCH", "/api/v1/users//"), -2);
	assert_int_equal(do_match(&m, "GET", "/api//v1/users"), -2);
	assert_int_equal(do_match(&m, "GET", "//api/v1/users"), -2);
	assert_int_equal(do_match(&m, "DELETE", "/api/v1/tokens//"), -2);
}

static void
test_unknown(void **state)
{
	struct m m;

	(void)state;
	assert_int_equal(do_match(&m, "GET", "/nope"), -2);
	assert_string_equal(m.allow, "");
	assert_int_equal(do_match(&m, "GET", "/api/v1"), -2);
	assert_int_equal(do_match(&m, "GET", "/api/v1/users/bob/tokens"), -2);
	assert_int_equal(do_match(&m, "GET", "/API/V1/ME"), -2);
	assert_int_equal(do_match(&m, "GET", "/api/v1/me2"), -2);
	assert_int_equal(do_match(&m, "GET", "/api/v1/m"), -2);
	assert_int_equal(do_match(&m, "GET", "api/v1/me"), -2);
	assert_int_equal(do_match(&m, "GET", ""), -2);
	assert_int_equal(do_match(&m, "GET",
	                          "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/"
	                          "q/r/s/t"),
	                 -2);
}

static void
test_long_path(void **state)
{
	char path[600], seg[64], allow[64];
	const char *params[ROUTE_PARAMS];

	(void)state;
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	/* longer than the segment buffer: refused, no overflow */
	assert_int_equal(router_match("GET", path, seg, sizeof(seg), params,
	                              allow, sizeof(allow)),
	                 -2);
	/* exactly fitting */
	assert_int_equal(router_match("GET", "/api/v1/me", seg, 11, params,
	                              allow, sizeof(allow)),
	                 route_index("GET", "/api/v1/me"));
	assert_int_equal(router_match("GET", "/api/v1/me", seg, 10, params,
	                              allow, sizeof(allow)),
	                 -2);
}

static void
test_wrong_method(void **state)
{
	struct m m;

	(void)state;
	assert_int_equal(do_match(&m, "PUT", "/api/v1/session"), -1);
	assert_string_equal(m.allow, "POST, GET, DELETE");
	assert_int_equal(do_match(&m, "DELETE", "/api/v1/users"), -1);
	assert_string_equal(m.allow, "GET, POST");
	assert_int_equal(do_match(&m, "POST", "/api/v1/users/bob"), -1);
	assert_string_equal(m.allow, "GET, PATCH");
	assert_int_equal(do_match(&m, "GET", "/api/v1/tokens/1"), -1);
	assert_string_equal(m.allow, "DELETE");
	assert_int_equal(do_match(&m, "POST", "/healthz"), -1);
	assert_string_equal(m.allow, "GET");
	assert_int_equal(do_match(&m, "get", "/healthz"), -1);
}

static void
test_wrong_method_every_route(void **state)
{
	struct m m;
	char path[256];

	(void)state;
	for (size_t i = 0; i < router_count(); i++) {
		const struct route *r = router_route(i);

		concrete(r->pattern, path, sizeof(path));
		assert_int_equal(do_match(&m, "TRACE", path), -1);
		if (strstr(m.allow, r->method) == NULL)
			fail_msg("Allow for %s is \"%s\", lacks %s", path,
			         m.allow, r->method);
	}
}

static void
test_head(void **state)
{
	struct m m;

	(void)state;
	assert_int_equal(do_match(&m, "HEAD", "/api/v1/me"),
	                 route_index("GET", "/api/v1/me"));
	assert_int_equal(do_match(&m, "HEAD", "/api/v1/session"),
	                 route_index("GET", "/api/v1/session"));
	assert_int_equal(do_match(&m, "HEAD", "/api/v1/users/bob"),
	                 route_index("GET", "/api/v1/users/{login}"));
	assert_string_equal(m.params[0], "bob");
	/* no GET, no HEAD */
	assert_int_equal(do_match(&m, "HEAD", "/api/v1/tokens/3"), -1);
	assert_string_equal(m.allow, "DELETE");
}

/* "{*}" binds the rest of the path, slashes included, maybe empty. */
static void
test_rest_of_path(void **state)
{
	struct m m;

	(void)state;
	assert_true(do_match(&m, "GET", "/static/portal/css/site.css") >= 0);
	assert_string_equal(m.params[0], "portal/css/site.css");
	assert_true(do_match(&m, "GET", "/ui/incidents/CSIRT-2026-000001") >=
	            0);
	assert_string_equal(m.params[0], "incidents/CSIRT-2026-000001");
	assert_true(do_match(&m, "GET", "/ui") >= 0);
	assert_string_equal(m.params[0], "");
	assert_true(do_match(&m, "GET", "/ui/") >= 0);
	assert_string_equal(m.params[0], "");
	/* a wrong method is a 405 naming GET, and the path is intact for
	 * the routes tried after */
	assert_int_equal(do_match(&m, "POST", "/static/a/b.js"), -1);
	assert_string_equal(m.allow, "GET");
	assert_true(do_match(&m, "GET", "/api/v1/incidents/X-1/tasks") >= 0);
	assert_string_equal(m.params[0], "X-1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_consistent),
	    cmocka_unit_test(test_every_route_matches_itself),
	    cmocka_unit_test(test_rest_of_path),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_trailing_slash),
	    cmocka_unit_test(test_empty_segment),
	    cmocka_unit_test(test_unknown),
	    cmocka_unit_test(test_long_path),
	    cmocka_unit_test(test_wrong_method),
	    cmocka_unit_test(test_wrong_method_every_route),
	    cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
