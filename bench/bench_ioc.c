/*
 * bench_ioc.c - throughput of ioc_extract() on ~100 MB of mixed text.
 *
 * The text is generated in memory from a fixed-seed xorshift64* generator:
 * prose, syslog and web-server lines with addresses and URLs, defanged
 * indicators, hashes and e-mail headers. One core, one call over the whole
 * buffer (best of three), dedup set in an arena. Prints MB/s, the values
 * found by type and the peak RSS; it never fails on a duration.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/arena.h"
#include "core/ioc.h"

#define TARGET_BYTES (100u << 20)

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rng() % n);
}

static const char *const words[] = {
    "the",     "incident", "report",  "was",      "received", "from",
    "a",       "customer", "about",   "phishing", "mail",     "with",
    "an",      "attached", "invoice", "and",      "we",       "have",
    "blocked", "sender",   "after",   "analysis", "of",       "its",
    "payload", "which",    "tried",   "to",       "contact",  "server",
    "please",  "confirm",  "whether", "any",      "user",     "clicked",
    "on",      "link",     "in",      "message",  "Regards,", "Team.",
    "network", "traffic",  "shows",   "beacons",  "every",    "minute",
    "(see",    "ticket)",  "e.g.",    "version",  "update",   "patched",
    "systems", "remain",   "exposed", "until",    "Monday.",  "Thanks,",
};

static const char *const tlds[] = {"com", "net",  "org", "ru",  "cn",
                                   "de",  "info", "io",  "xyz", "top"};

struct buf {
	char *p;
	size_t len, cap;
};

static void
emit_bytes(struct buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
puts_(struct buf *b, const char *s)
{
	emit_bytes(b, s, strlen(s));
}

static void putf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		emit_bytes(b, tmp,
		           (size_t)n < sizeof(tmp) ? (size_t)n
		                                   : sizeof(tmp) - 1);
}

/* Addresses and names come from pools so that values repeat. */
static void
ip(char *out, size_t n)
{
	uint32_t v = (uint32_t)(pick(50000) * 2654435761u);

	snprintf(out, n, "%u.%u.%u.%u", (v >> 24) | 1, (v >> 16) & 255,
	         (v >> 8) & 255, v & 255);
}

static void
domain(char *out, size_t n)
{
	unsigned d = pick(20000);

	snprintf(out, n, "%s%u-%s.%s", words[d % 60], d, words[(d / 60) % 60],
	         tlds[d % 10]);
	for (char *c = out; *c; c++)
		if (*c == '(' || *c == ')' || *c == ',' || *c == '.')
			if (c[1] == '\0' || strchr(c + 1, '.') != NULL)
				*c = 'x';
}

static void
hex(char *out, unsigned n)
{
	static const char h[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++)
		out[i] = h[pick(16)];
	out[n] = '\0';
}

static void
gen(struct buf *b)
{
	char a[64], d[128], h[65];

	while (b->len + 1024 < b->cap) {
		unsigned kind = pick(100);

		if (kind < 50) {
			unsigned n = 8 + pick(20);

			for (unsigned i = 0; i < n; i++) {
				puts_(b, words[pick(60)]);
				emit_bytes(b, " ", 1);
			}
			emit_bytes(b, "\n", 1);
		} else if (kind < 65) {
			ip(a, sizeof(a));
			putf(b,
			     "May %2u 12:%02u:%02u host sshd[%u]: Failed "
			     "password "
			     "for root from %s port %u ssh2\n",
			     1 + pick(28), pick(60), pick(60), pick(65536), a,
			     1024 + pick(60000));
		} else if (kind < 75) {
			ip(a, sizeof(a));
			domain(d, sizeof(d));
			putf(b,
			     "%s - - [01/May/2024:12:00:00 +0000] \"GET "
			     "/index.php?id=%u HTTP/1.1\" 200 %u "
			     "\"http://%s/ref\" \"Mozilla/5.0 (X11; Linux "
			     "x86_64)\"\n",
			     a, pick(1000), pick(100000), d);
		} else if (kind < 85) {
			ip(a, sizeof(a));
			domain(d, sizeof(d));
			putf(b,
			     "Received: from mx.%s (mx.%s [%s])\r\nFrom: "
			     "\"Billing\" <billing%u@%s>\r\nMessage-ID: "
			     "<%u.%u@mail.%s>\r\n",
			     d, d, a, pick(100), d, pick(100000), pick(1000),
			     d);
		} else if (kind < 93) {
			domain(d, sizeof(d));
			ip(a, sizeof(a));
			for (char *c = d; *c; c++)
				if (*c == '.') {
					memmove(c + 3, c + 1,
					        strlen(c + 1) + 1);
					memcpy(c, "[.]", 3);
					break;
				}
			putf(b,
			     "IOC: hxxp://%s/gate.php and %s and admin[at]%s\n",
			     d, a, d);
		} else {
			hex(h, kind < 96 ? 32 : kind < 98 ? 40 : 64);
			putf(b,
			     "sample %s detected as Trojan (CVE-20%02u-%u)\n",
			     h, 10 + pick(14), 1000 + pick(50000));
		}
	}
}

struct counts {
	size_t by_type[IOC_TYPE_COUNT];
	size_t total;
};

static void
count(void *ctx, enum ioc_type type, const char *v, size_t offset)
{
	struct counts *c = ctx;

	(void)v;
	(void)offset;
	c->by_type[type]++;
	c->total++;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	struct buf b = {malloc(TARGET_BYTES), 0, TARGET_BYTES};
	struct counts c;
	struct rusage ru;
	double best = 1e9, runs[3];

	if (b.p == NULL)
		return 1;
	gen(&b);
	for (int run = 0; run < 3; run++) {
		struct arena *a = arena_new((size_t)512 << 20);
		struct ioc_extract_opts o = {.arena = a};
		double t0, dt;

		memset(&c, 0, sizeof(c));
		t0 = now();
		ioc_extract(b.p, b.len, &o, count, &c);
		dt = now() - t0;
		runs[run] = dt;
		if (dt < best)
			best = dt;
		if (run == 0)
			printf("dedup set: %.1f MB in the arena\n",
			       (double)arena_used(a) / (1 << 20));
		arena_free(a);
	}
	printf("text: %.1f MB, best of 3: %.3f s, %.0f MB/s "
	       "(runs: %.3f %.3f %.3f s)\n",
	       (double)b.len / (1 << 20), best,
	       (double)b.len / (1 << 20) / best, runs[0], runs[1], runs[2]);
	printf("distinct values: %zu\n", c.total);
	for (unsigned t = 0; t < IOC_TYPE_COUNT; t++)
		if (c.by_type[t] > 0)
			printf("  %-10s %zu\n", ioc_type_name((enum ioc_type)t),
			       c.by_type[t]);
	getrusage(RUSAGE_SELF, &ru);
	printf("peak RSS: %.1f MB\n", (double)ru.ru_maxrss / 1024);
	free(b.p);
	return 0;
}
