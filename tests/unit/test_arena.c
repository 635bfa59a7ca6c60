/*
 * test_arena.c - the capped bump allocator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"

static void
test_cap_exact(void **state)
{
	struct arena *a = arena_new(4096);
	void *p;

	(void)state;
	p = arena_alloc(a, 4096);
	assert_non_null(p);
	memset(p, 0xab, 4096);
	assert_int_equal(arena_used(a), 4096);
	/* nothing more fits, not even one byte */
	p = arena_alloc(a, 1);
	assert_null(p);
	assert_int_equal(arena_used(a), 4096);
	arena_free(a);
}

static void
test_cap_plus_one(void **state)
{
	struct arena *a = arena_new(4096);
	void *p;

	(void)state;
	p = arena_alloc(a, 4097);
	assert_null(p);
	assert_int_equal(arena_used(a), 0);
	/* a refused allocation leaves the whole cap usable */
	p = arena_alloc(a, 4096);
	assert_non_null(p);
	arena_free(a);
}

static void
test_cap_many_small(void **state)
{
	struct arena *a = arena_new(4096);
	int ok = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		unsigned char *p = arena_alloc(a, 16);

		if (p == NULL)
			break;
		memset(p, i & 0xff, 16);
		ok++;
	}
	assert_int_equal(ok, 4096 / 16);
	assert_int_equal(arena_used(a), 4096);
	arena_free(a);
}

static void
test_alignment_and_zero(void **state)
{
	struct arena *a = arena_new(1 << 16);

	(void)state;
	for (size_t n = 0; n < 40; n++) {
		void *p = arena_alloc(a, n);

		assert_non_null(p);
		/* suitably aligned for any object, like malloc() */
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
	}
	arena_free(a);
}

static void
test_distinct_regions(void **state)
{
	struct arena *a = arena_new(1 << 20);
	unsigned char *p[64];

	(void)state;
	for (int i = 0; i < 64; i++) {
		p[i] = arena_alloc(a, 100);
		assert_non_null(p[i]);
		memset(p[i], i, 100);
	}
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < 100; j++)
			assert_int_equal(p[i][j], i);
	arena_free(a);
}

static void
test_strdup(void **state)
{
	struct arena *a = arena_new(1 << 12);
	char src[] = "hello, arena";
	char *s, *n;

	(void)state;
	s = arena_strdup(a, src);
	assert_non_null(s);
	assert_string_equal(s, "hello, arena");
	assert_ptr_not_equal(s, src);
	src[0] = 'J';
	assert_string_equal(s, "hello, arena");
	n = arena_strndup(a, "abcdef", 3);
	assert_non_null(n);
	assert_string_equal(n, "abc");
	s = arena_strdup(a, "");
	assert_non_null(s);
	assert_string_equal(s, "");
	arena_free(a);
}

static void
test_strdup_over_cap(void **state)
{
	struct arena *a = arena_new(64);
	char big[200];
	char *s;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = arena_strdup(a, big);
	assert_null(s);
	arena_free(a);
}

static void
test_printf(void **state)
{
	struct arena *a = arena_new(1 << 12);
	char *s;

	(void)state;
	s = arena_printf(a, "%s-%d-%05.1f", "abc", 42, 3.14159);
	assert_non_null(s);
	assert_string_equal(s, "abc-42-003.1");
	s = arena_printf(a, "%s", "");
	assert_non_null(s);
	assert_string_equal(s, "");
	arena_free(a);
}

static void
test_printf_over_cap(void **state)
{
	struct arena *a = arena_new(64);
	char *s;

	(void)state;
	s = arena_printf(a, "%0100d", 7);
	assert_null(s);
	s = arena_printf(a, "%d", 7);
	assert_non_null(s);
	assert_string_equal(s, "7");
	arena_free(a);
}

static void
test_reset_reuses(void **state)
{
	struct arena *a = arena_new(4096);
	void *p1, *p2;

	(void)state;
	p1 = arena_alloc(a, 4096);
	assert_non_null(p1);
	assert_null(arena_alloc(a, 1));
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	p2 = arena_alloc(a, 100);
	assert_non_null(p2);
	/* the kept chunk is handed out again from its start */
	assert_ptr_equal(p1, p2);
	assert_int_equal(arena_used(a), 112);
	arena_free(a);
}

static void
test_reset_after_many_chunks(void **state)
{
	struct arena *a = arena_new(1 << 20);

	(void)state;
	for (int round = 0; round < 3; round++) {
		size_t total = 0;

		for (int i = 0; i < 100; i++) {
			void *p = arena_alloc(a, 3000);

			assert_non_null(p);
			memset(p, round, 3000);
			total += 3008;
		}
		assert_int_equal(arena_used(a), total);
		arena_reset(a);
		assert_int_equal(arena_used(a), 0);
	}
	arena_free(a);
}

static void
test_large(void **state)
{
	size_t mb = 1 << 20;
	struct arena *a = arena_new(64 * mb);
	unsigned char *p, *q, *r;

	(void)state;
	p = arena_alloc(a, 10 * mb);
	assert_non_null(p);
	memset(p, 1, 10 * mb);
	q = arena_alloc(a, 20 * mb);
	assert_non_null(q);
	memset(q, 2, 20 * mb);
	r = arena_alloc(a, 5);
	assert_non_null(r);
	memset(r, 3, 5);
	assert_int_equal(p[10 * mb - 1], 1);
	assert_int_equal(q[0], 2);
	assert_int_equal(q[20 * mb - 1], 2);
	assert_true(arena_used(a) >= 30 * mb + 5);
	/* 34 MiB more would exceed the 64 MiB cap */
	assert_null(arena_alloc(a, 34 * mb));
	arena_free(a);
}

static void
test_huge_request(void **state)
{
	struct arena *a = arena_new(1 << 20);

	(void)state;
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - 8));
	assert_int_equal(arena_used(a), 0);
	arena_free(a);
}

static void
test_free_null(void **state)
{
	(void)state;
	arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cap_exact),
	    cmocka_unit_test(test_cap_plus_one),
	    cmocka_unit_test(test_cap_many_small),
	    cmocka_unit_test(test_alignment_and_zero),
	    cmocka_unit_test(test_distinct_regions),
	    cmocka_unit_test(test_strdup),
	    cmocka_unit_test(test_strdup_over_cap),
	    cmocka_unit_test(test_printf),
	    cmocka_unit_test(test_printf_over_cap),
	    cmocka_unit_test(test_reset_reuses),
	    cmocka_unit_test(test_reset_after_many_chunks),
	    cmocka_unit_test(test_large),
	    cmocka_unit_test(test_huge_request),
	    cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
