/*
 * test_openapi.c - the embedded OpenAPI description and the route table
 * describe the same API: every route is documented with its method, and
 * every documented operation is routed.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/assets.h"
#include "http/router.h"

static const char *const http_methods[] = {
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
};

static int
load(void **state)
{
	const struct asset *a = asset_find("http/openapi.json");
	json_error_t e;
	json_t *doc;

	if (a == NULL) {
		fprintf(stderr, "http/openapi.json is not embedded\n");
		return -1;
	}
	doc = json_loadb((const char *)a->data, a->len, 0, &e);
	if (doc == NULL) {
		fprintf(stderr, "openapi.json:%d: %s\n", e.line, e.text);
		return -1;
	}
	*state = doc;
	return 0;
}

static int
unload(void **state)
{
	json_decref(*state);
	return 0;
}

static bool
is_method(const char *k)
{
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]);
	     i++)
		if (strcmp(k, http_methods[i]) == 0)
			return true;
	return false;
}

static void
lower(const char *in, char *out, size_t n)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static void
test_document_shape(void **state)
{
	json_t *doc = *state;
	const struct asset *a = asset_find("http/openapi.json");

	assert_non_null(a);
	assert_int_equal(strlen((const char *)a->data), a->len);
	assert_true(json_is_string(json_object_get(doc, "openapi")));
	assert_int_equal(
	    strncmp(json_string_value(json_object_get(doc, "openapi")), "3.",
	            2),
	    0);
	assert_true(json_is_object(json_object_get(doc, "info")));
	assert_true(json_is_object(json_object_get(doc, "paths")));
	assert_true(json_object_size(json_object_get(doc, "paths")) > 0);
}

/* The route table's "{*}" (the rest of the path) is OpenAPI's "{path}". */
static const char *
openapi_path(const char *pattern, char *buf, size_t n)
{
	const char *star = strstr(pattern, "{*}");

	if (star == NULL)
		return pattern;
	snprintf(buf, n, "%.*s{path}%s", (int)(star - pattern), pattern,
	         star + 3);
	return buf;
}

static void
test_every_route_documented(void **state)
{
	json_t *paths = json_object_get(*state, "paths");
	int missing = 0;

	for (size_t i = 0; i < router_count(); i++) {
		const struct route *r = router_route(i);
		char pbuf[256];
		const char *pat = openapi_path(r->pattern, pbuf, sizeof(pbuf));
		json_t *item = json_object_get(paths, pat);
		char m[16];

		lower(r->method, m, sizeof(m));
		if (!json_is_object(item) ||
		    !json_is_object(json_object_get(item, m))) {
			fprintf(
			    stderr,
			    "route %s %s is not in openapi.json (paths[\"%s\"]"
			    ".%s)\n",
			    r->method, pat, pat, m);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
}

static void
test_every_operation_routed(void **state)
{
	json_t *paths = json_object_get(*state, "paths"), *item;
	const char *path;
	int extra = 0, ops = 0;

	json_object_foreach(paths, path, item)
	{
		const char *k;
		json_t *op;

		assert_true(json_is_object(item));
		json_object_foreach(item, k, op)
		{
			bool found = false;

			if (!is_method(k))
				continue;
			ops++;
			for (size_t i = 0; i < router_count() && !found; i++) {
				const struct route *r = router_route(i);
				char m[16], pbuf[256];

				lower(r->method, m, sizeof(m));
				found = strcmp(openapi_path(r->pattern, pbuf,
				                            sizeof(pbuf)),
				               path) == 0 &&
				        strcmp(m, k) == 0;
			}
			if (!found) {
				fprintf(stderr,
				        "openapi.json documents %s %s, which "
				        "is not routed\n",
				        k, path);
				extra++;
			}
		}
	}
	assert_int_equal(extra, 0);
	assert_true(ops > 0);
}

static void
test_operations_have_responses(void **state)
{
	json_t *paths = json_object_get(*state, "paths"), *item;
	const char *path;

	json_object_foreach(paths, path, item)
	{
		const char *k;
		json_t *op;

		json_object_foreach(item, k, op)
		{
			json_t *resp;

			if (!is_method(k))
				continue;
			resp = json_object_get(op, "responses");
			if (!json_is_object(resp) ||
			    json_object_size(resp) == 0)
				fail_msg("%s %s has no responses", k, path);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_document_shape),
	    cmocka_unit_test(test_every_route_documented),
	    cmocka_unit_test(test_every_operation_routed),
	    cmocka_unit_test(test_operations_have_responses),
	};

	return cmocka_run_group_tests(tests, load, unload);
}
