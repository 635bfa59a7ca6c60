/* test_markdown.c - summaries render as safe HTML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/markdown.h"

static void
test_render_and_sanitise(void **state)
{
	struct arena *a = arena_new(1 << 20);
	char *h;

	(void)state;
	h = markdown_html(
	    a, "# Phishing\n\n*urgent* see [ref](https://x.example/a)");
	assert_non_null(strstr(h, "<h1>Phishing</h1>"));
	assert_non_null(strstr(h, "<em>urgent</em>"));
	assert_non_null(strstr(h, "href=\"https://x.example/a\""));
	h = markdown_html(a, "<script>alert(1)</script>\n\nhi <img src=x "
	                     "onerror=alert(1)>");
	assert_null(strstr(h, "<script"));
	assert_null(strstr(h, "<img"));
	h = markdown_html(a, "[x](javascript:alert(1)) [y](vbscript:z)");
	assert_null(strstr(h, "javascript:"));
	assert_null(strstr(h, "vbscript:"));
	h = markdown_html(a, "`<b>code</b>`");
	assert_non_null(strstr(h, "&lt;b&gt;"));
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_and_sanitise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
