/*
 * bench_shadowserver.c - parse-only throughput of the Shadowserver parser
 * on one core: CSV framing, converters and typed events, with a sink that
 * only counts (storage, enrichment and output are not in this figure).
 *
 * Input: BENCH_SHADOWSERVER_FILE (a report, e.g. made by
 * ../shared/tools/gen_shadowserver_csv.py; bench/shadowserver_bench.sh does
 * that) and BENCH_SHADOWSERVER_SCHEMA (Shadowserver's intelmq.json). The
 * report is read into memory first, so the figure is the parser's, not the
 * disk's; best of three runs. Prints events/s and MB/s by wall clock and by
 * the CPU time the process used (steadier on a machine other jobs share),
 * and peak RSS; it never fails on a duration.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/shadowserver.h"

static double
now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

int
main(void)
{
	const char *file = getenv("BENCH_SHADOWSERVER_FILE");
	const char *path = getenv("BENCH_SHADOWSERVER_SCHEMA");
	const char *name = getenv("BENCH_SHADOWSERVER_REPORT");
	char why[SS_WHY_MAX];
	struct ss_schema *schema;
	const struct ss_report *r;
	struct stat sb;
	struct rusage ru;
	char *data;
	double best = 0, best_cpu = 0;
	size_t events = 0;
	int fd;

	if (file == NULL || path == NULL) {
		printf("skipped: set BENCH_SHADOWSERVER_FILE and "
		       "BENCH_SHADOWSERVER_SCHEMA (bench/shadowserver_bench.sh "
		       "does)\n");
		return 0;
	}
	if (ss_schema_load(path, &schema, why) != CS_OK) {
		fprintf(stderr, "bench_shadowserver: %s\n", why);
		return 1;
	}
	r = name != NULL ? ss_report_find(schema, name)
	                 : ss_detect(schema, file);
	if (r == NULL) {
		fprintf(stderr, "bench_shadowserver: no report for %s\n", file);
		return 1;
	}
	if ((fd = open(file, O_RDONLY)) < 0 || fstat(fd, &sb) != 0 ||
	    (data = malloc((size_t)sb.st_size + 1)) == NULL ||
	    read(fd, data, (size_t)sb.st_size) != sb.st_size) {
		perror(file);
		return 1;
	}
	close(fd);
	for (int run = 0; run < 3; run++) {
		struct ss_sink sink = {count, bad, NULL, &events};
		struct ss_stats st;
		double t0, c0;

		events = 0;
		t0 = now(CLOCK_MONOTONIC);
		c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		if (ss_parse_buf(r, data, (size_t)sb.st_size, 0, &sink, &st,
		                 why) != CS_OK) {
			fprintf(stderr, "bench_shadowserver: %s\n", why);
			return 1;
		}
		t0 = now(CLOCK_MONOTONIC) - t0;
		c0 = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (run == 0 || t0 < best)
			best = t0;
		if (run == 0 || c0 < best_cpu)
			best_cpu = c0;
		if (run == 2)
			printf(
			    "report %s: %zu rows, %zu events, %zu malformed\n",
			    ss_report_name(r), st.rows, st.events,
			    st.malformed);
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("parse only, one core, best of 3: %.2f s, %.0f events/s, "
	       "%.1f MB/s\n",
	       best, (double)events / best,
	       (double)sb.st_size / best / (1 << 20));
	printf("by CPU time, best of 3: %.2f s, %.0f events/s, %.1f MB/s\n",
	       best_cpu, (double)events / best_cpu,
	       (double)sb.st_size / best_cpu / (1 << 20));
	printf("peak RSS %.1f MiB (the report itself: %.1f MiB)\n",
	       (double)ru.ru_maxrss / 1024, (double)sb.st_size / (1 << 20));
	free(data);
	ss_schema_free(schema);
	return 0;
}
