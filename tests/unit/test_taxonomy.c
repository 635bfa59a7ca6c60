/*
 * test_taxonomy.c - the built-in RSIT table equals the official data
 * (shared/data/rsit.tsv), row by row, and validation follows it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/taxonomy.h"

static void
test_table_matches_official_data(void **state)
{
	const char *dir = getenv("CS_SHARED_DIR");
	const struct rsit_type *t;
	size_t n = rsit_types(&t), row = 0;
	char path[1024], line[4096];
	FILE *f;

	(void)state;
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/data/rsit.tsv", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f)); /* header */
	assert_non_null(strstr(line, "class_id\tclass_name\ttype_id"));
	while (fgets(line, sizeof(line), f) != NULL) {
		char *cols[4], *p = line;

		if (line[0] == '\n')
			continue;
		for (int i = 0; i < 4; i++) {
			cols[i] = p;
			p = strchr(p, '\t');
			assert_non_null(p);
			*p++ = '\0';
		}
		assert_true(row < n);
		assert_string_equal(t[row].class_id, cols[0]);
		assert_string_equal(t[row].class_name, cols[1]);
		assert_string_equal(t[row].type_id, cols[2]);
		assert_string_equal(t[row].type_name, cols[3]);
		row++;
	}
	fclose(f);
	assert_int_equal(row, n);
}

static void
test_check(void **state)
{
	const struct rsit_type *t = NULL;
	const char *why = NULL;

	(void)state;
	assert_int_equal(rsit_check(NULL, "phishing", &t, &why), CS_OK);
	assert_string_equal(t->class_id, "fraud");
	assert_int_equal(
	    rsit_check("intrusions", "system-compromise", &t, &why), CS_OK);
	assert_int_equal(rsit_check("intrusions", NULL, &t, &why), CS_OK);
	assert_null(t);
	assert_int_equal(rsit_check("fraud", "system-compromise", &t, &why),
	                 CS_E_INVAL);
	assert_non_null(why);
	assert_int_equal(rsit_check(NULL, "phising", &t, &why), CS_E_INVAL);
	assert_int_equal(rsit_check("Fraud", NULL, &t, &why), CS_E_INVAL);
	assert_true(rsit_class_exists("vulnerable"));
	assert_false(rsit_class_exists("vulnerability"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_matches_official_data),
	    cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
