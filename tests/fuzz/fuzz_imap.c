/*
 * fuzz_imap.c - imap.c's parsers of server replies (imap_parse.h): the
 * "* SEARCH" list, RFC822.SIZE and the BODY[] literal scanner.
 *
 * The input is what the server sent. Each parser gets the whole input and,
 * split at a point chosen by its last byte, the two halves as the stream
 * would arrive, each in a buffer of its own size so that ASan sees any read
 * past the end.
 *
 * Oracles besides the sanitizers:
 *   search  UIDs are > 0, strictly ascending, each written in the input;
 *           max keeps the first max; a prefix cut off (over) finds a
 *           subset of what the whole input finds
 *   size    reported exactly when digits follow the first "RFC822.SIZE "
 *           and their value fits a size_t, and then it is that value
 *   body    a literal lies inside the buffer, right after a line ending
 *           "{len}"; OK means ')' or ' ' follows it; a prefix's OK or
 *           PARTIAL is the whole input's literal too
 *   resync  keeps 1..avail bytes, ending one byte into the last line
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/imap_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

/* A copy in a buffer of exactly n bytes (one byte for n == 0). */
static char *
dup_exact(const uint8_t *p, size_t n)
{
	char *s = malloc(n > 0 ? n : 1);

	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, p, n);
	return s;
}

static bool
contains(const char *s, size_t len, const char *needle, size_t nl)
{
	return nl <= len && memmem(s, len, needle, nl) != NULL;
}

/* The UIDs of the whole input with no limit, for the prefix and max checks */
struct search {
	uint32_t *u;
	size_t n;
};

static bool
has_uid(const struct search *all, uint32_t v)
{
	size_t lo = 0, hi = all->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (all->u[mid] == v)
			return true;
		if (all->u[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void
check_uids(const char *s, size_t len, const uint32_t *u, size_t n)
{
	char dec[16];

	CHECK((n == 0) == (u == NULL));
	for (size_t i = 0; i < n; i++) {
		CHECK(u[i] > 0);
		CHECK(i == 0 || u[i - 1] < u[i]);
		if (i < 64) {
			int k = snprintf(dec, sizeof(dec), "%u", u[i]);

			CHECK(contains(s, len, dec, (size_t)k));
		}
	}
}

static void
search(const char *s, size_t len, struct search *all_out)
{
	uint32_t *u, *m;
	size_t n, nm, max = 1 + len % 3;

	n = imap_parse_search(s, len, false, &u, 0);
	check_uids(s, len, u, n);
	nm = imap_parse_search(s, len, false, &m, max);
	CHECK(nm == (n < max ? n : max));
	CHECK(nm == 0 || memcmp(m, u, nm * sizeof(*u)) == 0);
	free(m);
	/* the same bytes, as if the capture had overflowed here */
	nm = imap_parse_search(s, len, true, &m, 0);
	check_uids(s, len, m, nm);
	CHECK(nm <= n);
	for (size_t i = 0; i < nm; i++)
		CHECK(has_uid(&(struct search){u, n}, m[i]));
	free(m);
	if (all_out != NULL) {
		all_out->u = u;
		all_out->n = n;
	} else {
		free(u);
	}
}

/* A prefix of the stream, cut off: all it finds, the whole stream finds. */
static void
search_prefix(const char *s, size_t len, const struct search *all)
{
	uint32_t *u;
	size_t n = imap_parse_search(s, len, true, &u, 0);

	check_uids(s, len, u, n);
	for (size_t i = 0; i < n; i++)
		CHECK(has_uid(all, u[i]));
	free(u);
}

static void
size_oracle(const char *s, size_t len)
{
	static const char key[] = "RFC822.SIZE ";
	const size_t kl = sizeof(key) - 1;
	size_t got = 0, want = 0, j, i;
	bool ok, digits = false, fits = true, found = false;

	ok = imap_parse_size(s, len, &got);
	/* the first key with at least one byte after it */
	for (i = 0; i + kl < len; i++)
		if (memcmp(s + i, key, kl) == 0) {
			found = true;
			break;
		}
	if (found)
		for (j = i + kl; j < len && s[j] >= '0' && s[j] <= '9'; j++) {
			digits = true;
			if (__builtin_mul_overflow(want, 10, &want) ||
			    __builtin_add_overflow(want, (size_t)(s[j] - '0'),
			                           &want))
				fits = false;
		}
	CHECK(ok == (found && digits && fits));
	CHECK(!ok || got == want);
}

/* The "{n}" (optionally followed by CR) that ends the line before off. */
static void
check_literal_line(const char *s, size_t off, size_t lit)
{
	char dec[32];
	size_t e = off - 1, k;

	CHECK(off >= 1 && s[off - 1] == '\n');
	if (e > 0 && s[e - 1] == '\r')
		e--;
	k = (size_t)snprintf(dec, sizeof(dec), "{%zu}", lit);
	/* leading zeros are allowed: compare the value's digits only */
	CHECK(e >= k && s[e - 1] == '}');
	CHECK(memcmp(s + e - (k - 1), dec + 1, k - 1) == 0);
}

static void
resync(const char *lit, size_t avail)
{
	size_t keep = imap_resync_keep(lit, avail);

	CHECK(keep <= avail);
	if (avail == 0)
		return;
	CHECK(keep >= 1);
	CHECK(keep == 1 || lit[keep - 2] == '\n');
	for (size_t i = keep - 1; i + 1 < avail; i++)
		CHECK(lit[i] != '\n');
}

struct body {
	enum imap_body r;
	size_t off, lit, avail;
};

static struct body
body(const char *s, size_t len, uint32_t uid)
{
	struct body b = {0};

	b.r = imap_find_body(s, len, uid, &b.off, &b.lit, &b.avail);
	CHECK(b.r == IMAP_BODY_NONE || b.r == IMAP_BODY_OK ||
	      b.r == IMAP_BODY_PARTIAL);
	if (b.r == IMAP_BODY_NONE)
		return b;
	CHECK(b.off <= len);
	check_literal_line(s, b.off, b.lit);
	CHECK(b.avail <= b.lit && b.avail <= len - b.off);
	if (b.r == IMAP_BODY_OK) {
		CHECK(b.avail == b.lit && b.lit < len - b.off);
		CHECK(s[b.off + b.lit] == ')' || s[b.off + b.lit] == ' ');
	} else {
		CHECK(b.lit >= len - b.off ||
		      (s[b.off + b.lit] != ')' && s[b.off + b.lit] != ' '));
		CHECK(b.avail == (b.lit < len - b.off ? b.lit : len - b.off));
		resync(s + b.off, b.avail);
	}
	return b;
}

/* The UID of the first "UID n" in the input, else 7 (the seeds' UID). */
static uint32_t
pick_uid(const char *s, size_t len)
{
	const char *p = len >= 4 ? memmem(s, len, "UID ", 4) : NULL;
	uint64_t v = 0;

	if (p == NULL)
		return 7;
	for (p += 4; p < s + len && *p >= '0' && *p <= '9' && v <= UINT32_MAX;
	     p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v <= UINT32_MAX ? (uint32_t)v : 7;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *all, *head, *tail;
	size_t cut;
	uint32_t uid;
	struct search found;
	struct body b, h;

	if (size > 1 << 20)
		return 0;
	cut = size > 0 ? (size_t)data[size - 1] * (size + 1) / 256 : 0;
	all = dup_exact(data, size);
	head = dup_exact(data, cut);
	tail = dup_exact(data + cut, size - cut);
	uid = pick_uid(all, size);

	search(all, size, &found);
	search_prefix(head, cut, &found);
	search(tail, size - cut, NULL);
	free(found.u);

	size_oracle(all, size);
	size_oracle(head, cut);
	size_oracle(tail, size - cut);

	resync(all, size);
	for (int other = 0; other < 2; other++) {
		uint32_t u = uid + (uint32_t)other; /* and someone else's */

		b = body(all, size, u);
		h = body(head, cut, u);
		(void)body(tail, size - cut, u);
		/* what the first half shows stays so when the rest arrives */
		if (h.r == IMAP_BODY_OK)
			CHECK(b.r == IMAP_BODY_OK && b.off == h.off &&
			      b.lit == h.lit);
		if (h.r == IMAP_BODY_PARTIAL) {
			CHECK(b.r != IMAP_BODY_NONE && b.off == h.off &&
			      b.lit == h.lit && b.avail >= h.avail);
			/* the byte after the literal was already wrong */
			if (h.lit < cut - h.off)
				CHECK(b.r == IMAP_BODY_PARTIAL);
		}
	}
	free(all);
	free(head);
	free(tail);
	return 0;
}
