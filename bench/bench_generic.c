/*
 * bench_generic.c - parse-only throughput of the generic feed parser on
 * one core: a million generated Feodo-like CSV rows and a million
 * generated sensor JSON lines, parsed from memory with a sink that only
 * counts (storage, enrichment and output are not in these figures).
 *
 * Prints events/s and MB/s (best of three runs) and peak RSS: once after
 * the inputs are generated and once after parsing, so the difference is
 * what parsing added (the inputs themselves are held in memory). It never
 * fails on a duration. BENCH_GENERIC_ROWS overrides the row count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "pipeline/generic.h"

static const char csv_def[] =
    "{\"name\":\"feodo-ipblocklist\",\"provider\":\"abuse.ch\","
    "\"format\":\"csv\",\"documentation\":\"https://feodotracker.abuse.ch/\","
    "\"csv\":{\"comment\":\"#\"},\"fields\":{\"first_seen_utc\":"
    "\"time.source\",\"dst_ip\":\"source.ip\",\"dst_port\":\"source.port\","
    "\"malware\":\"malware.name\",\"c2_status\":\"extra.status\"},"
    "\"constants\":{\"classification.taxonomy\":\"malicious-code\","
    "\"classification.type\":\"c2-server\"},\"required\":[\"source.ip\"]}";

static const char json_def[] =
    "{\"name\":\"sensor\",\"provider\":\"CERT\",\"format\":\"jsonl\","
    "\"time_format\":\"epoch\",\"fields\":{\"ts\":\"time.source\","
    "\"/src/ip\":\"source.ip\",\"/src/port\":\"source.port\","
    "\"/dst/ip\":\"destination.ip\",\"/dst/port\":\"destination.port\","
    "\"proto\":\"protocol.transport\",\"sig\":\"extra.signature\"},"
    "\"constants\":{\"classification.taxonomy\":\"intrusion-attempts\","
    "\"classification.type\":\"brute-force\"},\"required\":[\"source.ip\"]}";

static const char *const malware[] = {"Dridex", "Emotet", "QakBot", "TrickBot",
                                      "BumbleBee"};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
count(struct event *ev, struct event_batch *b, void *ctx)
{
	(void)b;
	(void)ev;
	(*(size_t *)ctx)++;
}

static void
bad(size_t line, const char *reason, void *ctx)
{
	(void)line;
	(void)reason;
	(void)ctx;
}

static char *
gen_csv(size_t rows, size_t *len_out)
{
	size_t cap = rows * 96 + 256, len = 0;
	char *s = malloc(cap);

	if (s == NULL)
		abort();
	len += (size_t)snprintf(s, cap,
	                        "# abuse.ch Feodo Tracker (generated)\n"
	                        "first_seen_utc,dst_ip,dst_port,c2_status,"
	                        "last_online,malware\n");
	for (size_t i = 0; i < rows; i++)
		len += (size_t)snprintf(
		    s + len, cap - len,
		    "2024-%02zu-%02zu %02zu:%02zu:%02zu,%zu.%zu.%zu.%zu,%zu,%s,"
		    "2024-05-01,%s\n",
		    i % 12 + 1, i % 28 + 1, i % 24, i % 60, (i / 60) % 60,
		    i % 223 + 1, (i >> 8) % 256, (i >> 16) % 256, i % 254 + 1,
		    1024 + i % 60000, i % 3 ? "online" : "offline",
		    malware[i % 5]);
	*len_out = len;
	return s;
}

static char *
gen_json(size_t rows, size_t *len_out)
{
	size_t cap = rows * 192 + 64, len = 0;
	char *s = malloc(cap);

	if (s == NULL)
		abort();
	for (size_t i = 0; i < rows; i++)
		len += (size_t)snprintf(
		    s + len, cap - len,
		    "{\"ts\":%zu,\"src\":{\"ip\":\"198.51.%zu.%zu\",\"port\":"
		    "%zu},\"dst\":{\"ip\":\"192.0.2.%zu\",\"port\":22},"
		    "\"proto\":\"TCP\",\"sig\":\"ssh brute force %zu\","
		    "\"sensor\":\"s%zu\"}\n",
		    1700000000 + i, (i >> 8) % 256, i % 256, 1024 + i % 60000,
		    i % 254 + 1, i % 17, i % 4);
	*len_out = len;
	return s;
}

static int
bench(const char *what, const char *def_text, const char *data, size_t len,
      size_t rows)
{
	char why[GEN_WHY_MAX];
	struct feed_def *d;
	double best = 0;
	size_t events = 0;
	struct ss_stats st;

	if (feed_def_load_text(def_text, strlen(def_text), &d, why) != CS_OK) {
		fprintf(stderr, "bench_generic: %s\n", why);
		return 1;
	}
	for (int run = 0; run < 3; run++) {
		struct ss_sink sink = {count, bad, NULL, &events};
		double t0, dt;

		events = 0;
		t0 = now();
		if (generic_parse_buf(d, data, len, 1700000000, &sink, &st,
		                      why) != CS_OK) {
			fprintf(stderr, "bench_generic: %s: %s\n", what, why);
			feed_def_free(d);
			return 1;
		}
		dt = now() - t0;
		if (best == 0 || dt < best)
			best = dt;
	}
	printf("%-5s %zu rows, %zu events, %zu malformed: %.0f events/s, "
	       "%.1f MB/s (best of 3: %.3f s)\n",
	       what, rows, events, st.malformed, (double)events / best,
	       (double)len / best / 1e6, best);
	feed_def_free(d);
	return 0;
}

int
main(void)
{
	const char *env = getenv("BENCH_GENERIC_ROWS");
	size_t rows = env ? strtoul(env, NULL, 10) : 1000000, clen, jlen;
	char *csv, *json;
	long rss_inputs;
	int rc;

	if (rows == 0)
		rows = 1000000;
	csv = gen_csv(rows, &clen);
	json = gen_json(rows, &jlen);
	rss_inputs = peak_rss_kb();
	printf("inputs: CSV %.1f MB, JSON Lines %.1f MB in memory\n",
	       (double)clen / 1e6, (double)jlen / 1e6);
	rc = bench("csv", csv_def, csv, clen, rows) ||
	     bench("jsonl", json_def, json, jlen, rows);
	printf("peak RSS: %ld KiB with the inputs generated, %ld KiB after "
	       "parsing (+%ld KiB)\n",
	       rss_inputs, peak_rss_kb(), peak_rss_kb() - rss_inputs);
	free(csv);
	free(json);
	return rc;
}
