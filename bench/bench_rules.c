/*
 * bench_rules.c - rule evaluation throughput on one core: a 20-rule file
 * (equality, lists, single blocks and a 24-block list, ASN ranges, times,
 * regexes on typed fields and extras, exists/missing, not/or; actions
 * that tag, classify, set extras, set TLP, notify and drop) against
 * generated events in batches of 1024.
 *
 * The events are generated once (xorshift, fixed seed) into one batch and
 * evaluated round after round for about BENCH_RULES_SECONDS (default 3)
 * seconds; set actions are idempotent, so after the first round every
 * round does the same work. Prints events/s, p50/p99 per batch of 1024
 * and peak RSS; it never fails on a duration. BENCH_RULES_FILE evaluates
 * another rule file instead of the built-in one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pipeline/rules.h"

#define BATCH   1024
#define BATCHES 16 /* distinct batches of generated events */

static const char rules_text[] =
    "rule \"own scanners\" { if source.ip in [192.0.2.0/24, "
    "2001:db8:ffff::/48] then drop }\n"
    "rule \"telnet\" { if feed.name == \"Accessible-Telnet\" and "
    "source.port in [23, 2323] then classify "
    "intrusion-attempts/brute-force; tag \"telnet\"; tlp amber }\n"
    "rule \"rdp\" { if extra.tag =~ /rdp|ms-wbt/i and source.asn >= 64512 "
    "then set extra.note = \"private ASN\"; notify; incident \"RDP "
    "exposure\" }\n"
    "rule \"customers\" { if source.ip in [10.0.0.0/16, 10.1.0.0/16, "
    "10.2.0.0/16, 10.3.0.0/16, 10.4.0.0/16, 10.5.0.0/16, 10.6.0.0/16, "
    "10.7.0.0/16, 10.8.0.0/16, 10.9.0.0/16, 10.10.0.0/16, 10.11.0.0/16, "
    "172.16.0.0/12, 100.64.0.0/10, 198.18.0.0/15, 203.0.113.0/24, "
    "198.51.100.0/24, 11.0.0.0/8, 12.0.0.0/8, 13.0.0.0/8, 14.0.0.0/8, "
    "15.0.0.0/8, 2001:db8::/32, fd00::/8] then tag \"constituency\" }\n"
    "rule \"old\" { if time.source < \"2020-01-01T00:00:00Z\" then tag "
    "\"stale\" }\n"
    "rule \"http\" { if feed.name in [\"Accessible-HTTP\", "
    "\"Vulnerable-HTTP\", \"Open-Proxy\"] and not source.port in [80, "
    "443, 8080] then tag \"odd-port\" }\n"
    "rule \"dyn\" { if source.fqdn =~ /(dyn|pool|dsl|cable)[.-]/ then "
    "tag \"dynamic\" }\n"
    "rule \"no asn\" { if missing source.asn then set extra.asn_missing "
    "= true }\n"
    "rule \"big count\" { if extra.count > 1000 then notify }\n"
    "rule \"ssh\" { if destination.port == 22 or source.port == 22 then "
    "tag \"ssh\" }\n"
    "rule \"malware\" { if exists malware.name and malware.name in "
    "[\"mirai\", \"emotet\", \"qakbot\"] then classify "
    "malicious-code/infected-system; tlp red }\n"
    "rule \"cc\" { if source.geolocation.cc in [\"AT\", \"DE\", \"CH\"] "
    "then tag \"dach\" }\n"
    "rule \"not cc\" { if source.geolocation.cc != \"AT\" and exists "
    "source.geolocation.cc then set extra.foreign = 1 }\n"
    "rule \"ratio\" { if extra.ratio >= 0.9 then tag \"high-ratio\" }\n"
    "rule \"ipv6\" { if source.ip in ::/0 then tag \"ipv6\" }\n"
    "rule \"test feed\" { if feed.name =~ /^test/i then drop }\n"
    "rule \"udp\" { if protocol.transport == \"udp\" and source.port in "
    "[53, 123, 161, 1900, 11211] then classify "
    "vulnerable/ddos-amplifier; tag \"amplifier\" }\n"
    "rule \"asn range\" { if source.asn > 4200000000 or (source.asn >= "
    "64512 and source.asn <= 65534) then tag \"private-asn\" }\n"
    "rule \"url\" { if exists source.url and source.url !~ /^https:/ "
    "then tag \"cleartext\" }\n"
    "rule \"default\" { if missing classification.taxonomy then classify "
    "other/other; tlp green }\n";

static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
set(struct event_batch *b, struct event *ev, enum event_field f,
    const char *text)
{
	char why[EVENT_WHY_MAX];

	if (event_set_text(b, ev, f, text, strlen(text), why) != CS_OK) {
		fprintf(stderr, "bench_rules: %s\n", why);
		exit(1);
	}
}

static struct event *
gen_event(struct event_batch *b)
{
	static const char *const feeds[] = {
	    "Accessible-Telnet", "Accessible-HTTP", "Vulnerable-HTTP",
	    "Open-Proxy",        "Drone",           "Sinkhole-HTTP",
	    "Accessible-RDP",    "test-feed"};
	static const char *const tags[] = {"rdp", "MS-WBT-server", "ssh",
	                                   "http", "telnet"};
	static const char *const ccs[] = {"AT", "DE", "CH", "US", "NL"};
	static const char *const mw[] = {"mirai", "emotet", "andromeda"};
	static const int ports[] = {23, 2323, 80, 443, 8080, 22, 53, 123, 3389};
	struct event *ev;
	char buf[128];
	uint64_t r = rnd();
	struct extra_value v;

	if (event_new(b, &ev) != CS_OK) {
		fprintf(stderr, "bench_rules: batch memory exhausted\n");
		exit(1);
	}
	set(b, ev, EF_FEED_NAME, feeds[r % 8]);
	if (r % 50 == 0)
		snprintf(buf, sizeof(buf), "2001:db8:%x::%x",
		         (unsigned)(rnd() % 0x10000), (unsigned)(rnd() % 999));
	else
		snprintf(buf, sizeof(buf), "%u.%u.%u.%u",
		         (unsigned)(r >> 8) % 224 + 1,
		         (unsigned)(r >> 16) % 256, (unsigned)(r >> 24) % 256,
		         (unsigned)(r >> 32) % 256);
	set(b, ev, EF_SOURCE_IP, buf);
	snprintf(buf, sizeof(buf), "%d", ports[(r >> 40) % 9]);
	set(b, ev, EF_SOURCE_PORT, buf);
	if ((r >> 44) % 10 != 0) {
		snprintf(buf, sizeof(buf), "%u",
		         (unsigned)((r >> 45) % 3 == 0 ? 64512 + rnd() % 1000
		                                       : 1 + rnd() % 60000));
		set(b, ev, EF_SOURCE_ASN, buf);
	}
	snprintf(buf, sizeof(buf), "host-%u.%s.example.net",
	         (unsigned)(rnd() % 100000),
	         (r >> 48) % 4 == 0 ? "dyn" : "static");
	set(b, ev, EF_SOURCE_FQDN, buf);
	set(b, ev, EF_SOURCE_GEO_CC, ccs[(r >> 50) % 5]);
	set(b, ev, EF_PROTO_TRANSPORT, (r >> 53) % 3 == 0 ? "udp" : "tcp");
	snprintf(buf, sizeof(buf), "2024-01-%02uT%02u:00:00Z",
	         (unsigned)(rnd() % 28 + 1), (unsigned)(rnd() % 24));
	set(b, ev, EF_TIME_SOURCE, buf);
	if ((r >> 56) % 5 == 0)
		set(b, ev, EF_MALWARE_NAME, mw[(r >> 58) % 3]);
	if ((r >> 59) % 4 == 0)
		set(b, ev, EF_SOURCE_URL,
		    (r >> 61) % 2 ? "http://example.net/" : "https://x.test/");
	v.kind = XV_STRING;
	v.u.s = tags[rnd() % 5];
	if (event_set_extra(ev, "tag", v) != CS_OK)
		abort();
	v.kind = XV_INT;
	v.u.i = (int64_t)(rnd() % 2000);
	if (event_set_extra(ev, "count", v) != CS_OK)
		abort();
	v.kind = XV_FLOAT;
	v.u.f = (double)(rnd() % 1000) / 1000.0;
	if (event_set_extra(ev, "ratio", v) != CS_OK)
		abort();
	return ev;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(void)
{
	const char *file = getenv("BENCH_RULES_FILE");
	const char *secs = getenv("BENCH_RULES_SECONDS");
	double limit = secs != NULL ? strtod(secs, NULL) : 3.0;
	struct event_batch *b = event_batch_new(256u << 20);
	struct rules_ctx *ctx = rules_ctx_new();
	static struct event *evs[BATCHES][BATCH];
	double *lat, t0, total = 0;
	size_t n_lat = 0, cap_lat = 1 << 16, dropped = 0, matched = 0;
	struct rules *r;
	struct rusage ru;
	char why[RULES_WHY_MAX];
	enum cs_err err;

	err = file != NULL ? rules_load_file(file, &r, why)
	                   : rules_load_text("bench", rules_text,
	                                     sizeof(rules_text) - 1, &r, why);
	if (err != CS_OK) {
		fprintf(stderr, "bench_rules: %s\n", why);
		return 1;
	}
	for (size_t i = 0; i < BATCHES; i++)
		for (size_t j = 0; j < BATCH; j++)
			evs[i][j] = gen_event(b);
	lat = malloc(cap_lat * sizeof(*lat));
	if (lat == NULL)
		return 1;
	for (size_t round = 0; total < limit && n_lat < cap_lat; round++) {
		struct event **batch = evs[round % BATCHES];
		struct rule_outcome o;

		t0 = now();
		for (size_t j = 0; j < BATCH; j++) {
			if (rules_eval(r, ctx, b, batch[j], &o) != CS_OK) {
				fprintf(stderr, "bench_rules: eval failed\n");
				return 1;
			}
			dropped += o.drop;
			matched += o.n_matched;
		}
		t0 = now() - t0;
		total += t0;
		lat[n_lat++] = t0;
	}
	qsort(lat, n_lat, sizeof(*lat), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("%zu rules, %zu events in %zu batches of %d (%zu distinct "
	       "events)\n",
	       rules_count(r), n_lat * BATCH, n_lat, BATCH,
	       (size_t)BATCHES * BATCH);
	printf("one core: %.0f events/s; per batch of %d: p50 %.1f us, "
	       "p99 %.1f us\n",
	       (double)(n_lat * BATCH) / total, BATCH, lat[n_lat / 2] * 1e6,
	       lat[n_lat * 99 / 100] * 1e6);
	printf("%.2f matching rules per event, %.1f%% dropped\n",
	       (double)matched / (double)(n_lat * BATCH),
	       100.0 * (double)dropped / (double)(n_lat * BATCH));
	printf("peak RSS %.1f MiB (events: %.1f MiB of batch memory)\n",
	       (double)ru.ru_maxrss / 1024,
	       (double)event_batch_used(b) / (1 << 20));
	free(lat);
	rules_put(r);
	rules_ctx_free(ctx);
	event_batch_free(b);
	return 0;
}
