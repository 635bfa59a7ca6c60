/*
 * bench_lookup.c - the constituency lookup hot path on one core.
 *
 * Builds a cidr index of 200,000 random IPv4 blocks (/8../32, mostly
 * /16../24) and 20,000 IPv6 blocks, times 1,000,000 IPv4 and 1,000,000
 * IPv6 lookups in batches of 1,000 (half the addresses inside a registered
 * block, half uniform), then 1,000,000 domain lookups against 100,000
 * domains. Prints figures; never fails on a duration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/cidr.h"
#include "core/domidx.h"
#include "core/xmalloc.h"

#define N_V4     200000
#define N_V6     20000
#define N_LOOKUP 1000000
#define BATCH    1000
#define N_DOM    100000
#define NAME_SZ  64

static uint64_t
xs_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static unsigned
v4_len(uint64_t *s)
{
	unsigned r = (unsigned)(xs_next(s) % 100);

	if (r < 10)
		return 8 + (unsigned)(xs_next(s) % 8); /* /8../15 */
	if (r < 85)
		return 16 + (unsigned)(xs_next(s) % 9); /* /16../24 */
	return 25 + (unsigned)(xs_next(s) % 8);         /* /25../32 */
}

static void
mask(struct cidr *c)
{
	unsigned max = c->addr.family == 4 ? 32 : 128;

	for (unsigned i = c->len; i < max; i++)
		c->addr.b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

static void
random_block(uint64_t *s, int family, struct cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->addr.family = (uint8_t)family;
	for (unsigned i = 0; i < (family == 4 ? 4u : 16u); i++)
		c->addr.b[i] = (uint8_t)xs_next(s);
	if (family == 4) {
		c->len = (uint8_t)v4_len(s);
	} else {
		c->addr.b[0] = (uint8_t)(0x20 | (c->addr.b[0] & 0x0f));
		c->len = (uint8_t)(32 + xs_next(s) % 33); /* /32../64 */
	}
	mask(c);
}

static void
random_addrs(uint64_t *s, const struct cidr *blocks, size_t nblocks, int family,
             struct ip_addr *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ip_addr *a = &out[i];

		memset(a, 0, sizeof(*a));
		if (i % 2 == 0) {
			*a = blocks[xs_next(s) % nblocks].addr;
			a->b[family == 4 ? 3 : 15] ^= (uint8_t)xs_next(s);
		} else {
			a->family = (uint8_t)family;
			for (unsigned j = 0; j < (family == 4 ? 4u : 16u); j++)
				a->b[j] = (uint8_t)xs_next(s);
			if (family == 6)
				a->b[0] = (uint8_t)(0x20 | (a->b[0] & 0x0f));
		}
	}
}

static void
time_lookups(const char *label, const struct cidr_index *idx,
             const struct ip_addr *addrs, size_t n)
{
	double *samples = xcalloc(n / BATCH, sizeof(double));
	double total = 0;
	size_t hits = 0, ns = n / BATCH;
	int64_t sum = 0, v[CIDR_MAX_VALUES];

	for (size_t b = 0; b < ns; b++) {
		double t0 = now(), dt;

		for (size_t i = b * BATCH; i < (b + 1) * BATCH; i++) {
			size_t k = cidr_index_lookup(idx, &addrs[i], v,
			                             CIDR_MAX_VALUES, NULL);

			hits += k != 0;
			sum += k != 0 ? v[0] : 0;
		}
		dt = now() - t0;
		total += dt;
		samples[b] = dt * 1e9 / BATCH;
	}
	qsort(samples, ns, sizeof(double), cmp_double);
	printf("%s lookups: %zu in %.3f s = %.2f M/s; ns/lookup p50 %.1f p99 "
	       "%.1f; hits %.1f%% (checksum %lld)\n",
	       label, n, total, (double)n / total / 1e6, samples[ns / 2],
	       samples[ns * 99 / 100], 100.0 * (double)hits / (double)n,
	       (long long)sum);
	free(samples);
}

static void
bench_cidr(void)
{
	struct cidr_index *idx = cidr_index_new(N_V4 + N_V6), *copy;
	struct cidr *b4 = xcalloc(N_V4, sizeof(*b4));
	struct cidr *b6 = xcalloc(N_V6, sizeof(*b6));
	struct ip_addr *addrs = xcalloc(N_LOOKUP, sizeof(*addrs));
	uint64_t s = UINT64_C(0x2545f4914f6cdd1d);
	size_t lens[33] = {0};
	double t0;

	for (size_t i = 0; i < N_V4; i++) {
		random_block(&s, 4, &b4[i]);
		lens[b4[i].len]++;
	}
	for (size_t i = 0; i < N_V6; i++)
		random_block(&s, 6, &b6[i]);
	t0 = now();
	for (size_t i = 0; i < N_V4; i++)
		(void)cidr_index_add(idx, &b4[i], (int64_t)i);
	for (size_t i = 0; i < N_V6; i++)
		(void)cidr_index_add(idx, &b6[i], (int64_t)(N_V4 + i));
	printf("cidr build: %d IPv4 + %d IPv6 random blocks (%zu distinct) in "
	       "%.3f s; index memory %.1f MiB\n",
	       N_V4, N_V6, cidr_index_count(idx), now() - t0,
	       (double)cidr_index_memory(idx) / 1048576.0);
	printf("IPv4 lengths: /8-/15 %zu, /16-/24 %zu, /25-/32 %zu\n",
	       lens[8] + lens[9] + lens[10] + lens[11] + lens[12] + lens[13] +
	           lens[14] + lens[15],
	       lens[16] + lens[17] + lens[18] + lens[19] + lens[20] + lens[21] +
	           lens[22] + lens[23] + lens[24],
	       lens[25] + lens[26] + lens[27] + lens[28] + lens[29] + lens[30] +
	           lens[31] + lens[32]);

	random_addrs(&s, b4, N_V4, 4, addrs, N_LOOKUP);
	time_lookups("IPv4 (as built)", idx, addrs, N_LOOKUP);
	t0 = now();
	copy = cidr_index_clone(idx);
	printf("cidr clone (depth-first compaction): %.3f s\n", now() - t0);
	time_lookups("IPv4 (clone)", copy, addrs, N_LOOKUP);
	random_addrs(&s, b6, N_V6, 6, addrs, N_LOOKUP);
	time_lookups("IPv6 (as built)", idx, addrs, N_LOOKUP);
	time_lookups("IPv6 (clone)", copy, addrs, N_LOOKUP);
	cidr_index_free(copy);

	t0 = now();
	for (size_t i = 0; i < N_V4; i += 2)
		(void)cidr_index_remove(idx, &b4[i], (int64_t)i);
	printf("cidr remove: %d IPv4 blocks in %.3f s\n", N_V4 / 2, now() - t0);
	cidr_index_free(idx);
	free(addrs);
	free(b4);
	free(b6);
}

static void
bench_domains(void)
{
	static const char *const tlds[] = {"com",   "org", "net", "de",
	                                   "co.uk", "fr",  "nl",  "io"};
	struct domidx *d = domidx_new(N_DOM);
	char *names = xcalloc(N_DOM, NAME_SZ);
	char *queries = xcalloc(65536, NAME_SZ);
	double *samples = xcalloc(N_LOOKUP / BATCH, sizeof(double));
	uint64_t s = 7;
	size_t hits = 0, ns = N_LOOKUP / BATCH;
	int64_t v[DOMIDX_MAX_VALUES], sum = 0;
	double t0, total = 0;

	for (size_t i = 0; i < N_DOM; i++)
		snprintf(names + i * NAME_SZ, NAME_SZ, "%s%llx.%s",
		         i % 5 == 0 ? "dept." : "",
		         (unsigned long long)(xs_next(&s) & 0xffffffffff),
		         tlds[xs_next(&s) % 8]);
	t0 = now();
	for (size_t i = 0; i < N_DOM; i++)
		(void)domidx_add(d, names + i * NAME_SZ, (int64_t)i);
	printf("domain build: %d domains in %.3f s; index memory %.1f MiB\n",
	       N_DOM, now() - t0, (double)domidx_memory(d) / 1048576.0);
	for (size_t i = 0; i < 65536; i++) {
		const char *base = names + (xs_next(&s) % N_DOM) * NAME_SZ;

		if (i % 2 == 0)
			snprintf(queries + i * NAME_SZ, NAME_SZ,
			         "www.host%zu.%s", i, base);
		else
			snprintf(queries + i * NAME_SZ, NAME_SZ,
			         "mail.x%llx.example.%s",
			         (unsigned long long)(xs_next(&s) & 0xffffff),
			         tlds[i % 8]);
	}
	for (size_t b = 0; b < ns; b++) {
		double t1 = now(), dt;

		for (size_t i = b * BATCH; i < (b + 1) * BATCH; i++) {
			const char *q = queries + (i & 65535) * NAME_SZ;
			size_t k =
			    domidx_lookup(d, q, v, DOMIDX_MAX_VALUES, NULL);

			hits += k != 0;
			sum += k != 0 ? v[0] : 0;
		}
		dt = now() - t1;
		total += dt;
		samples[b] = dt * 1e9 / BATCH;
	}
	qsort(samples, ns, sizeof(double), cmp_double);
	printf("domain lookups: %d in %.3f s = %.2f M/s; ns/lookup p50 %.1f "
	       "p99 %.1f; hits %.1f%% (checksum %lld)\n",
	       N_LOOKUP, total, N_LOOKUP / total / 1e6, samples[ns / 2],
	       samples[ns * 99 / 100], 100.0 * (double)hits / N_LOOKUP,
	       (long long)sum);
	domidx_free(d);
	free(names);
	free(queries);
	free(samples);
}

int
main(void)
{
	struct rusage ru;

	bench_cidr();
	bench_domains();
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS %.1f MiB (including the benchmark's own arrays)\n",
	       (double)ru.ru_maxrss / 1024.0);
	return 0;
}
