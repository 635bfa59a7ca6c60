/*
 * bench_enrich.c - enrichment and dedup hot paths on one core.
 *
 * 1. ASN table: loads a pyasn text table through asn_table_load() and
 *    prints load time, prefixes, bytes held and the RSS it added. The table
 *    is BENCH_ASN_DB when set (bench/run.sh points it at one made by
 *    ../shared/tools/gen_shadowserver_csv.py --asn-db-filler 1000000), else
 *    one written here: 1,000,000 IPv4 prefixes (/16../24 weighted like the
 *    shared generator, plus /8../15) and 100,000 IPv6 prefixes (/29../48).
 * 2. asn_enrich() on 1,000,000 events (90% of source addresses inside a
 *    listed prefix, 10% uniform), in batches of 1,000 reused events.
 * 3. dedup_push() on 1,000,000 events with 10% duplicates (key source.ip,
 *    source.port, classification.identifier; one-day window over a day of
 *    time.source), drop mode with room for every key, then the same with
 *    a quarter of the room (evictions), then aggregate mode with a one-hour
 *    window.
 * 4. The ASN + dedup chain on the same events, and peak RSS.
 * Prints figures; never fails on a duration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/cidr.h"
#include "core/xmalloc.h"
#include "pipeline/asn.h"
#include "pipeline/dedup.h"

#define N_V4    1000000
#define N_V6    100000
#define N_EV    1000000
#define BATCH   1000
#define DUP_PCT 10

static uint64_t
xs(uint64_t *s)
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

static long
rss_kb(void)
{
	long pages = 0, resident = 0;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(fp);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static long
peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A set of (prefix, length) keys, to write each prefix once. */
struct set {
	uint64_t *k;
	size_t mask;
};

static bool
set_add(struct set *s, uint64_t key)
{
	size_t i = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & s->mask;

	key |= 1; /* 0 marks an empty slot; the length byte keeps bit 0 */
	for (; s->k[i] != 0; i = (i + 1) & s->mask)
		if (s->k[i] == key)
			return false;
	s->k[i] = key;
	return true;
}

static unsigned
v4_len(uint64_t *r)
{
	static const unsigned lens[] = {16, 19, 20, 21, 22, 22,
	                                23, 24, 24, 24, 24};
	unsigned x = (unsigned)(xs(r) % 100);

	if (x < 3)
		return 8 + (unsigned)(xs(r) % 8);
	return lens[xs(r) % (sizeof(lens) / sizeof(lens[0]))];
}

/* Writes the table, keeping the IPv4 prefixes for address sampling. */
static void
write_table(const char *path, uint32_t *pfx, uint8_t *plen)
{
	FILE *fp = fopen(path, "w");
	struct set s = {xcalloc(1u << 22, 8), (1u << 22) - 1};
	uint64_t r = 42, a;
	unsigned len, n = 0;

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	fputs("; IP-ASN32-DAT file\n; bench_enrich\n", fp);
	while (n < N_V4) {
		len = v4_len(&r);
		a = (1u << 24) + xs(&r) % ((223u << 24) - (1u << 24));
		a &= ~((1ULL << (32 - len)) - 1) & 0xffffffffu;
		if (!set_add(&s, a << 8 | len << 1))
			continue;
		pfx[n] = (uint32_t)a;
		plen[n++] = (uint8_t)len;
		fprintf(fp, "%u.%u.%u.%u/%u\t%u\n", (unsigned)(a >> 24) & 255,
		        (unsigned)(a >> 16) & 255, (unsigned)(a >> 8) & 255,
		        (unsigned)a & 255, len,
		        1 + (unsigned)(xs(&r) % 400000));
	}
	memset(s.k, 0, (s.mask + 1) * 8);
	for (n = 0; n < N_V6;) {
		len = 29 + (unsigned)(xs(&r) % 20);
		/* 2000::/4 .. 3fff::, the 48 top bits */
		a = (0x2000ULL << 32 | (xs(&r) & 0x1fffffffffffULL));
		a &= ~((1ULL << (48 - len)) - 1);
		if (!set_add(&s, a << 8 | len << 1))
			continue;
		n++;
		fprintf(fp, "%x:%x:%x::/%u\t%u\n", (unsigned)(a >> 32) & 0xffff,
		        (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xffff, len,
		        1 + (unsigned)(xs(&r) % 400000));
	}
	free(s.k);
	if (fclose(fp) != 0) {
		perror(path);
		exit(1);
	}
}

/* The IPv4 prefixes of a table file written elsewhere. */
static size_t
read_prefixes(const char *path, uint32_t *pfx, uint8_t *plen, size_t cap)
{
	FILE *fp = fopen(path, "r");
	char line[256], *tab;
	struct cidr c;
	size_t n = 0;

	if (fp == NULL)
		return 0;
	while (n < cap && fgets(line, sizeof(line), fp) != NULL) {
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		if (!cidr_parse(line, &c, NULL, 0) || c.addr.family != 4)
			continue;
		pfx[n] = (uint32_t)c.addr.b[0] << 24 |
		         (uint32_t)c.addr.b[1] << 16 |
		         (uint32_t)c.addr.b[2] << 8 | c.addr.b[3];
		plen[n++] = c.len;
	}
	fclose(fp);
	return n;
}

static void
set_v4(struct ip_addr *ip, uint32_t a)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = 4;
	ip->b[0] = (uint8_t)(a >> 24);
	ip->b[1] = (uint8_t)(a >> 16);
	ip->b[2] = (uint8_t)(a >> 8);
	ip->b[3] = (uint8_t)a;
}

struct input {
	uint32_t *ip;
	uint16_t *port;
	int64_t *t;
};

/* N_EV events: DUP_PCT% repeat an earlier (ip, port); a day of time. */
static void
make_input(struct input *in, const uint32_t *pfx, const uint8_t *plen,
           size_t n_pfx)
{
	static const uint16_t ports[] = {80, 443, 8080, 8443, 8000, 81};
	uint64_t r = 7;
	size_t k;
	uint32_t a;

	in->ip = xmalloc(N_EV * sizeof(*in->ip));
	in->port = xmalloc(N_EV * sizeof(*in->port));
	in->t = xmalloc(N_EV * sizeof(*in->t));
	for (size_t i = 0; i < N_EV; i++) {
		in->t[i] = 1704067200 + (int64_t)(i * 86400 / N_EV);
		if (i > 0 && xs(&r) % 100 < DUP_PCT) {
			k = (size_t)(xs(&r) % i);
			in->ip[i] = in->ip[k];
			in->port[i] = in->port[k];
			continue;
		}
		if (n_pfx > 0 && xs(&r) % 10 != 0) {
			k = (size_t)(xs(&r) % n_pfx);
			a = pfx[k] |
			    (uint32_t)(xs(&r) & ((1ULL << (32 - plen[k])) - 1));
		} else {
			a = (uint32_t)xs(&r);
		}
		in->ip[i] = a;
		in->port[i] = ports[xs(&r) % 6];
	}
}

/* Refills the batch's events from the input at offset off. */
static void
fill(struct event **evs, const struct input *in, size_t off)
{
	for (size_t j = 0; j < BATCH; j++) {
		struct event *ev = evs[j];

		ev->present = 1ULL << EF_SOURCE_IP | 1ULL << EF_SOURCE_PORT |
		              1ULL << EF_CLASS_IDENTIFIER |
		              1ULL << EF_TIME_SOURCE;
		set_v4(&ev->source_ip, in->ip[off + j]);
		ev->source_port = in->port[off + j];
		ev->time_source = in->t[off + j];
		ev->str[EF_CLASS_IDENTIFIER] = "open-http";
	}
}

static size_t emitted;

static void
count_emit(void *ctx, struct event *ev, const struct dedup_aggregate *agg)
{
	(void)ctx;
	(void)ev;
	(void)agg;
	emitted++;
}

/* Runs dedup over the input; returns seconds. */
static double
run_dedup(struct dedup *d, struct event **evs, const struct input *in,
          const struct asn_table *t, bool batch, size_t *pass_out)
{
	double dt = 0, t0;
	size_t pass = 0;
	enum dedup_verdict v[BATCH];

	for (size_t off = 0; off < N_EV; off += BATCH) {
		fill(evs, in, off);
		t0 = now();
		if (t != NULL)
			for (size_t j = 0; j < BATCH; j++)
				asn_enrich(t, evs[j]);
		if (batch) {
			dedup_push_batch(d, (const struct event *const *)evs,
			                 BATCH, v);
		} else {
			for (size_t j = 0; j < BATCH; j++)
				v[j] = dedup_push(d, evs[j]);
		}
		dt += now() - t0;
		for (size_t j = 0; j < BATCH; j++)
			pass += v[j] == DEDUP_NEW || v[j] == DEDUP_PASS;
	}
	*pass_out = pass;
	return dt;
}

static void
print_dedup(const char *what, struct dedup *d, double dt, size_t pass)
{
	struct dedup_stats st;

	dedup_get_stats(d, &st);
	printf("%s: %.0f events/s (%.1f ns/event); unique %llu, duplicates "
	       "%llu, evictions %llu, windows closed %llu, emitted %llu, "
	       "forwarded %zu; %zu keys, %.1f MB\n",
	       what, N_EV / dt, dt * 1e9 / N_EV, (unsigned long long)st.unique,
	       (unsigned long long)st.duplicates,
	       (unsigned long long)st.evictions, (unsigned long long)st.closed,
	       (unsigned long long)st.emitted, pass, st.capacity,
	       st.memory / 1048576.0);
}

static struct dedup *
mkdedup(size_t capacity, enum dedup_mode mode, int64_t window)
{
	struct dedup_config c = {0};
	struct dedup *d;
	char why[DEDUP_WHY_MAX];

	if (dedup_key_parse("source.ip,source.port,classification.identifier",
	                    &c, why) != CS_OK)
		goto fail;
	c.window = window;
	c.time_field = EF_TIME_SOURCE;
	c.capacity = capacity;
	c.mode = mode;
	c.record_max = 256;
	c.emit = count_emit;
	if (dedup_new(&c, &d, why) != CS_OK)
		goto fail;
	return d;
fail:
	fprintf(stderr, "dedup: %s\n", why);
	exit(1);
}

int
main(void)
{
	const char *db = getenv("BENCH_ASN_DB");
	char path[64] = "", why[ASN_WHY_MAX];
	uint32_t *pfx = xmalloc(N_V4 * sizeof(*pfx));
	uint8_t *plen = xmalloc(N_V4);
	size_t n_pfx, filled = 0, pass;
	struct asn_table *t;
	struct event_batch *b = event_batch_new(64u << 20);
	struct event **evs = xmalloc(BATCH * sizeof(*evs));
	struct input in;
	struct dedup *d;
	double t0, dt;
	long rss0;

	if (db == NULL) {
		int fd;

		snprintf(path, sizeof(path), "/tmp/bench_enrich.XXXXXX");
		if ((fd = mkstemp(path)) < 0) {
			perror("mkstemp");
			return 1;
		}
		close(fd);
		t0 = now();
		write_table(path, pfx, plen);
		n_pfx = N_V4;
		printf(
		    "table: generated %d IPv4 + %d IPv6 prefixes in %.2f s\n",
		    N_V4, N_V6, now() - t0);
		db = path;
	} else {
		n_pfx = read_prefixes(db, pfx, plen, N_V4);
		printf("table: %s\n", db);
	}

	rss0 = rss_kb();
	t0 = now();
	if (asn_table_load(db, ASN_MAX_PREFIXES, &t, why) != CS_OK) {
		fprintf(stderr, "asn_table_load: %s\n", why);
		return 1;
	}
	dt = now() - t0;
	if (path[0] != '\0')
		unlink(path);
	printf("asn load: %zu prefixes in %.2f s (%.0f prefixes/s); %.1f MB "
	       "held (%.1f bytes/prefix), RSS +%.1f MB\n",
	       asn_table_count(t), dt, asn_table_count(t) / dt,
	       asn_table_memory(t) / 1048576.0,
	       (double)asn_table_memory(t) / (double)asn_table_count(t),
	       (rss_kb() - rss0) / 1024.0);

	make_input(&in, pfx, plen, n_pfx);
	for (size_t j = 0; j < BATCH; j++)
		if (event_new(b, &evs[j]) != CS_OK) {
			fprintf(stderr, "event_new: batch cap\n");
			return 1;
		}

	dt = 0;
	for (size_t off = 0; off < N_EV; off += BATCH) {
		fill(evs, &in, off);
		t0 = now();
		for (size_t j = 0; j < BATCH; j++)
			filled += asn_enrich(t, evs[j]);
		dt += now() - t0;
	}
	printf("asn_enrich: %.0f events/s (%.1f ns/event), %zu fields "
	       "filled (asn + network) on %d events\n",
	       N_EV / dt, dt * 1e9 / N_EV, filled, N_EV);

	d = mkdedup(N_EV, DEDUP_DROP, 86400);
	dt = run_dedup(d, evs, &in, NULL, false, &pass);
	print_dedup("dedup_push (drop, room for all)", d, dt, pass);
	dedup_free(d);

	d = mkdedup(N_EV, DEDUP_DROP, 86400);
	dt = run_dedup(d, evs, &in, NULL, true, &pass);
	print_dedup("dedup_push_batch (drop, room for all)", d, dt, pass);
	dedup_free(d);

	d = mkdedup(N_EV / 4, DEDUP_DROP, 86400);
	dt = run_dedup(d, evs, &in, NULL, true, &pass);
	print_dedup("dedup_push_batch (drop, 1/4 room)", d, dt, pass);
	dedup_free(d);

	d = mkdedup(1u << 18, DEDUP_AGGREGATE, 3600);
	dt = run_dedup(d, evs, &in, NULL, true, &pass);
	dedup_flush(d);
	print_dedup("dedup_push_batch (aggregate, 1 h window)", d, dt, pass);
	dedup_free(d);

	d = mkdedup(N_EV, DEDUP_DROP, 86400);
	dt = run_dedup(d, evs, &in, t, true, &pass);
	print_dedup("asn_enrich + dedup_push_batch", d, dt, pass);
	dedup_free(d);

	printf("peak RSS: %.1f MB\n", peak_kb() / 1024.0);
	asn_table_unref(t);
	event_batch_free(b);
	free(evs);
	free(in.ip);
	free(in.port);
	free(in.t);
	free(pfx);
	free(plen);
	return 0;
}
