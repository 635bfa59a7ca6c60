/*
 * test_ioc_scan.c - the machinery behind ioc_extract(): the word splitter
 * at every alignment (it looks at the text eight bytes at a time), long
 * words without any digit, the de-duplication set as it grows (key
 * blocks, tables reused for keys, caller memory at any alignment) and the
 * queue between lookup and emission (order and offsets, long values).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/ioc.h"

/* Every emitted value as "type value @offset\n", growing as needed. */
struct found {
	char *text;
	size_t len, cap, n;
};

static void
collect(void *ctx, enum ioc_type type, const char *v, size_t offset)
{
	struct found *f = ctx;
	size_t need = strlen(v) + 48;
	int k;

	if (f->len + need > f->cap) {
		f->cap = (f->cap + need) * 2;
		f->text = realloc(f->text, f->cap);
		assert_non_null(f->text);
	}
	k = snprintf(f->text + f->len, f->cap - f->len, "%s %s @%zu\n",
	             ioc_type_name(type), v, offset);
	assert_true(k > 0 && (size_t)k < f->cap - f->len);
	f->len += (size_t)k;
	f->n++;
}

static void
found_free(struct found *f)
{
	free(f->text);
	memset(f, 0, sizeof(*f));
}

static size_t
run(const char *text, size_t len, const struct ioc_extract_opts *o,
    struct found *f)
{
	size_t n;

	found_free(f);
	n = ioc_extract(text, len, o, collect, f);
	assert_int_equal(n, f->n);
	return n;
}

/* Prose without anything that could start an IOC. */
static const char prose[] = "lorem ipsum dolor sit amet consectetur "
                            "adipiscing elit sed do eiusmod tempor ";

static void
test_alignment(void **state)
{
	static const struct {
		const char *in, *want; /* want without the offset */
		size_t skip;           /* where the value starts in in */
	} c[] = {
	    {"8.8.8.8", "ipv4 8.8.8.8", 0},
	    {"(evil.com)", "domain evil.com", 1},
	    {"evil[.]com", "domain evil.com", 0},
	    {"bob@evil.com", "email bob@evil.com", 0},
	    {"<http://evil.com/x>", "url http://evil.com/x", 1},
	    {"CVE-2021-44228", "cve CVE-2021-44228", 0},
	    {"2001:4860::8888", "ipv6 2001:4860::8888", 0},
	    /* words of 32 or more bytes without digits are looked at too */
	    {"abcdefabcdefabcdefabcdefabcdefab",
	     "md5 abcdefabcdefabcdefabcdefabcdefab", 0},
	    {"ABCDEFABCDEFABCDEFABCDEFABCDEFABCDEFABCD",
	     "sha1 abcdefabcdefabcdefabcdefabcdefabcdefabcd", 0},
	    {"abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd",
	     "sha256 "
	     "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd",
	     0},
	    {"abcdefabcdefabcdefabcdefabcdefa", NULL, 0},
	    {"abcdefabcdefabcdefabcdefabcdefabc", NULL, 0},
	};
	char text[512], want[256];
	struct found f = {0};

	(void)state;
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		for (size_t pad = 0; pad < 40; pad++) {
			for (size_t tail = 0; tail < 20; tail += 3) {
				size_t len = 0, vl = strlen(c[k].in);

				/* pad bytes of prose, a space, the value,
				 * a space and tail bytes of prose */
				memcpy(text, prose, pad);
				len = pad;
				text[len++] = ' ';
				memcpy(text + len, c[k].in, vl);
				len += vl;
				text[len++] = ' ';
				memcpy(text + len, prose, tail);
				len += tail;
				run(text, len, NULL, &f);
				if (c[k].want == NULL) {
					assert_int_equal(f.n, 0);
					continue;
				}
				snprintf(want, sizeof(want), "%s @%zu\n",
				         c[k].want, pad + 1 + c[k].skip);
				if (f.n != 1 || strcmp(f.text, want) != 0)
					fprintf(stderr, "pad %zu tail %zu: %s",
					        pad, tail,
					        f.n ? f.text : "nothing\n");
				assert_int_equal(f.n, 1);
				assert_string_equal(f.text, want);
			}
		}
	}
	found_free(&f);
}

/* A long word with no digit is split across many groups of eight. */
static void
test_long_words(void **state)
{
	char text[4096];
	struct found f = {0};
	size_t len;

	(void)state;
	/* a 2000-byte word of letters holds nothing */
	memset(text, 'q', 2000);
	run(text, 2000, NULL, &f);
	assert_int_equal(f.n, 0);
	/* ... but its hex pieces between '-' are hashes */
	len = 0;
	for (int i = 0; i < 20; i++) {
		memcpy(text + len, "abcdefabcdefabcdefabcdefabcdefab-", 33);
		text[len] = (char)('a' + i % 6);
		len += 33;
	}
	run(text, len, NULL, &f);
	assert_int_equal(f.n, 6);
	found_free(&f);
}

/* n distinct IPv4 addresses, in room for the text written twice. */
static char *
many_addresses(size_t n, size_t *len_out)
{
	char *t = malloc(n * 2 * 16 + 1);
	size_t len = 0;

	assert_non_null(t);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, 16, "%zu.%zu.%zu.1 ",
		                        1 + i / 65536, i / 256 % 256, i % 256);
	*len_out = len;
	return t;
}

static void
test_dedup_growth(void **state)
{
	struct arena *a = arena_new((size_t)64 << 20);
	struct ioc_extract_opts o = {.arena = a};
	struct found f = {0};
	size_t len, n = 50000;
	char *t;

	(void)state;
	/* the same value written again later is not emitted again */
	t = many_addresses(n, &len);
	memcpy(t + len, t, len);
	assert_int_equal(run(t, 2 * len, &o, &f), n);
	/* first appearances, in order, with their offsets */
	assert_true(strncmp(f.text, "ipv4 1.0.0.1 @0\nipv4 1.0.1.1 @8\n", 32) ==
	            0);
	assert_non_null(strstr(f.text, "\nipv4 1.195.79.1 @"));
	free(t);
	found_free(&f);
	arena_free(a);
}

/* Caller memory at any alignment; enough of it means no repeats. */
static void
test_dedup_scratch(void **state)
{
	unsigned char *mem = malloc(16384 + 8);
	struct ioc_extract_opts o = {0};
	struct found f = {0};
	size_t len;
	char *t = many_addresses(150, &len);

	(void)state;
	assert_non_null(mem);
	memcpy(t + len, t, len);
	for (size_t skew = 0; skew < 8; skew++) {
		o.scratch = mem + skew;
		o.scratch_len = 16384;
		assert_int_equal(run(t, 2 * len, &o, &f), 150);
	}
	/* too small for the first table: every value is emitted */
	o.scratch = mem + 3;
	o.scratch_len = 100;
	assert_int_equal(run(t, 2 * len, &o, &f), 300);
	o.scratch_len = 0;
	assert_int_equal(run(t, 2 * len, &o, &f), 300);
	free(t);
	/* several hundred values fit in the default stack memory */
	t = many_addresses(600, &len);
	memcpy(t + len, t, len);
	o.scratch = NULL;
	assert_int_equal(run(t, 2 * len, &o, &f), 600);
	free(t);
	free(mem);
	found_free(&f);
}

/* Values longer than the queue holds are emitted in text order too. */
static void
test_emit_order(void **state)
{
	char text[16384], url[1100];
	struct found f = {0};
	size_t len = 0;

	(void)state;
	memcpy(url, "http://evil.com/", 16);
	memset(url + 16, 'p', 1000);
	url[1016] = '\0';
	for (int i = 0; i < 6; i++) {
		len += (size_t)snprintf(text + len, sizeof(text) - len,
		                        "%d.2.3.4 x%d.example.com %s%d ", 9 + i,
		                        i, url, i);
	}
	run(text, len, NULL, &f);
	assert_int_equal(f.n, 18);
	/* each line starts with the type of the value next in the text */
	for (size_t i = 0, off = 0; i < 18; i++) {
		static const char *const types[] = {"ipv4 ", "domain ", "url "};

		assert_true(strncmp(f.text + off, types[i % 3],
		                    strlen(types[i % 3])) == 0);
		off = (size_t)(strchr(f.text + off, '\n') - f.text) + 1;
	}
	/* and the same value is reported once, long or short */
	memcpy(text + len, text, len);
	run(text, 2 * len, NULL, &f);
	assert_int_equal(f.n, 18);
	found_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alignment),
	    cmocka_unit_test(test_long_words),
	    cmocka_unit_test(test_dedup_growth),
	    cmocka_unit_test(test_dedup_scratch),
	    cmocka_unit_test(test_emit_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
