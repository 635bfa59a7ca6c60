/* test_search.c - user queries become safe FTS5 queries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/search.h"

static void
test_queries(void **state)
{
	char q[SEARCH_QUERY_MAX];

	(void)state;
	assert_true(search_query_fts("phishing bank", q, sizeof(q)));
	assert_string_equal(q, "\"phishing\" \"bank\"");
	assert_true(search_query_fts("  evil.com  ", q, sizeof(q)));
	assert_string_equal(q, "\"evil.com\"");
	assert_true(search_query_fts("phish*", q, sizeof(q)));
	assert_string_equal(q, "\"phish\"*");
	assert_true(search_query_fts("a\"b OR NEAR(x)", q, sizeof(q)));
	assert_string_equal(q, "\"a\"\"b\" \"OR\" \"NEAR(x)\"");
	assert_false(search_query_fts("", q, sizeof(q)));
	assert_false(search_query_fts("   ", q, sizeof(q)));
	assert_false(search_query_fts("*", q, sizeof(q)) &&
	             strcmp(q, "\"\"*") == 0);
	assert_false(search_query_fts("a b c d e f g h i j k l m n o p q", q,
	                              sizeof(q)));
	assert_false(search_query_fts("abc", q, 4));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
