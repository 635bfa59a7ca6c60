/*
 * bench_pipeline.c - the event pipeline's hot path on one core, without
 * storage: a Shadowserver report through parse -> routing table -> rules
 * -> dedup -> constituency -> the stored form (the JSON line and row of
 * each event), exactly the code `csirtd ingest` runs (pipeline_run_dry()),
 * with the rows counted instead of written.
 *
 * Input (bench/shadowserver_bench.sh sets them): BENCH_PIPELINE_FILE, a report
 * made by ../shared/tools/gen_shadowserver_csv.py; BENCH_SHADOWSERVER_SCHEMA;
 * BENCH_ASN_DB, a pyasn table (optional). The constituency: 2,000
 * organisations with a /24 each, plus the generator's 198.18.0.0/16 by
 * CIDR and AS64501 by number, in a SQLite store in a temporary directory.
 * Rules: 12 rules of the kinds teams write (drop, classify, tag, TLP,
 * notify). Dedup: source.ip, source.port, classification.identifier over
 * one day.
 *
 * Prints, best of three runs each: parse only, then each stage added in
 * turn (rows counted, their JSON line not written), then the same with the
 * stored form of each row (the IntelMQ JSON line), events/s and MB/s;
 * and peak RSS. Never fails on a duration.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/constituency.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "pipeline/pipeline.h"

#define N_ORGS 2000
#define RUNS   3

static const char rules_text[] =
    "rule \"no tests\" { if classification.taxonomy == \"test\" then drop "
    "}\n"
    "rule \"https only\" { if source.port == 443 and extra.http_code == 200 "
    "then tag \"https\" }\n"
    "rule \"alt ports\" { if source.port in [8080, 8081, 8443, 8888] then "
    "tag \"alt-port\"; tlp green }\n"
    "rule \"cve\" { if extra.tag =~ /cve-20(17|21)-/ then classify "
    "vulnerable/vulnerable-system \"accessible-http\"; notify }\n"
    "rule \"log4j\" { if extra.tag =~ /cve-2021-44228/ then tag \"log4j\"; "
    "tlp amber }\n"
    "rule \"old servers\" { if extra.server =~ /^(mini_httpd|Apache\\/1\\.)/ "
    "then tag \"eol-server\" }\n"
    "rule \"private asn\" { if source.asn >= 64512 and source.asn <= 65534 "
    "then tag \"private-asn\" }\n"
    "rule \"research nets\" { if source.ip in [198.18.0.0/15, 100.64.0.0/10] "
    "then tag \"testnet\" }\n"
    "rule \"big pages\" { if extra.content_length > 100000 then tag "
    "\"big\" }\n"
    "rule \"errors\" { if extra.http_code >= 500 then notify no }\n"
    "rule \"government\" { if extra.source.sector == \"Government\" then "
    "tlp amber+strict }\n"
    "rule \"dynamic\" { if source.reverse_dns =~ /dyn|pool|dhcp/i then tag "
    "\"dynamic\" }\n";

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

struct counts {
	size_t rows, bytes;
};

static void
count_row(void *ctx, const struct stored_event *ev)
{
	struct counts *c = ctx;

	c->rows++;
	c->bytes += ev->data_len;
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "bench_pipeline: %s: %s\n", what, why);
	exit(1);
}

/* Organisations and assets in a fresh store; the index synced from it. */
static struct constituency_index *
constituency(const char *dir)
{
	static const struct actor by = {"bench", 0};
	struct store *st;
	struct arena *a = arena_new(64u << 20);
	struct import_result res;
	struct constituency_index *ci;
	size_t cap = (size_t)N_ORGS * 64 + 256, n = 0;
	char url[600], *csv = xmalloc(cap), name[32];
	int applied;
	enum cs_err err;

	snprintf(url, sizeof(url), "sqlite:%s/bench.db", dir);
	if ((err = store_open(url, &st)) != CS_OK ||
	    (err = store_call(st, migrate, false, NULL, NULL, &applied)) !=
	        CS_OK)
		die("store", cs_err_str(err));
	if ((err = store_begin(st, true)) != CS_OK)
		die("store", cs_err_str(err));
	for (int i = 0; i < N_ORGS + 2 && err == CS_OK; i++) {
		struct org o = {0};
		int64_t id;

		snprintf(name, sizeof(name), "ORG%d", i);
		o.name = o.short_name = name;
		o.languages = "en";
		err = store_call(st, org_put, &o, &id);
	}
	if ((err = store_end(st, err)) != CS_OK)
		die("organisations", cs_err_str(err));
	n += (size_t)snprintf(csv + n, cap - n, "org,kind,value\n");
	for (int i = 0; i < N_ORGS; i++)
		n += (size_t)snprintf(csv + n, cap - n,
		                      "ORG%d,cidr,%d.%d.%d.0/24\n", i,
		                      20 + i % 150, (i * 7) % 250, i % 250);
	n += (size_t)snprintf(csv + n, cap - n,
	                      "ORG%d,cidr,198.18.0.0/16\nORG%d,asn,64501\n",
	                      N_ORGS, N_ORGS + 1);
	if ((err = assets_import(st, a, &by, csv, n, &res)) != CS_OK)
		die("assets",
		    res.nerrors ? res.errors[0].message : cs_err_str(err));
	ci = constituency_index_new();
	if ((err = constituency_index_sync(ci, st)) != CS_OK)
		die("constituency", cs_err_str(err));
	store_close(st);
	arena_free(a);
	free(csv);
	return ci;
}

static void
run(const char *label, struct config *cfg, struct constituency_index *ci,
    const char *file, double mb, bool text)
{
	struct pipeline *p;
	struct ingest_parser parser;
	struct ingest_dry dry = {count_row, NULL, NULL, NULL, !text};
	char why[PIPELINE_WHY_MAX];
	double best = 0;
	struct counts c = {0};
	struct ingest_result res;

	if (pipeline_open(cfg, &p, why) != CS_OK)
		die("pipeline", why);
	if (pipeline_parser(p, PIPELINE_SHADOWSERVER, NULL, file, &parser,
	                    why) != CS_OK)
		die("parser", why);
	for (int i = 0; i < RUNS; i++) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		char iwhy[INGEST_WHY_MAX];
		double t0, dt;

		if (fd < 0)
			die(file, strerror(errno));
		memset(&c, 0, sizeof(c));
		dry.ctx = &c;
		t0 = now();
		if (pipeline_run_dry(p, ci, PIPELINE_SHADOWSERVER, &parser,
		                     &dry, fd, file, 1700000000, &res,
		                     iwhy) != CS_OK)
			die("run", iwhy);
		dt = now() - t0;
		close(fd);
		if (best == 0 || dt < best)
			best = dt;
	}
	printf("%-44s %10.0f events/s %7.1f MB/s  (%lld events, %zu rows, "
	       "%lld dropped, %lld duplicates)\n",
	       label, (double)res.report.events / best, mb / best,
	       (long long)res.report.events, c.rows,
	       (long long)res.report.dropped, (long long)res.report.duplicates);
	pipeline_free(p);
}

int
main(void)
{
	const char *file = getenv("BENCH_PIPELINE_FILE");
	const char *schema = getenv("BENCH_SHADOWSERVER_SCHEMA");
	const char *asn = getenv("BENCH_ASN_DB");
	char dir[] = "/tmp/bench_pipeline-XXXXXX", rules[600];
	struct constituency_index *ci;
	struct config cfg;
	struct stat sb;
	FILE *fp;
	double mb;

	if (file == NULL || schema == NULL) {
		printf("skipped: run by bench/shadowserver_bench.sh (needs "
		       "BENCH_PIPELINE_FILE and BENCH_SHADOWSERVER_SCHEMA)\n");
		return 0;
	}
	if (stat(file, &sb) != 0)
		die(file, strerror(errno));
	mb = (double)sb.st_size / 1e6;
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", strerror(errno));
	snprintf(rules, sizeof(rules), "%s/rules.conf", dir);
	if ((fp = fopen(rules, "w")) == NULL ||
	    fwrite(rules_text, 1, sizeof(rules_text) - 1, fp) !=
	        sizeof(rules_text) - 1 ||
	    fclose(fp) != 0)
		die(rules, strerror(errno));
	log_init(LOG_LVL_WARN, false, "bench_pipeline");
	ci = constituency(dir);
	printf("input: %.0f MB; one core; best of %d\n", mb, RUNS);

	config_defaults(&cfg);
	snprintf(cfg.shadowserver_schema, sizeof(cfg.shadowserver_schema), "%s",
	         schema);
	run("parse", &cfg, NULL, file, mb, false);
	run("+ constituency", &cfg, ci, file, mb, false);
	if (asn != NULL) {
		snprintf(cfg.asn_table, sizeof(cfg.asn_table), "%s", asn);
		run("+ routing table (ASN, prefix)", &cfg, ci, file, mb, false);
	}
	snprintf(cfg.rules_file, sizeof(cfg.rules_file), "%s", rules);
	run("+ 12 rules", &cfg, ci, file, mb, false);
	snprintf(cfg.dedup_key, sizeof(cfg.dedup_key),
	         "source.ip,source.port,classification.identifier");
	run("+ dedup (drop, 1 day): every stage", &cfg, ci, file, mb, false);
	run("  + the stored form (JSON line, row)", &cfg, ci, file, mb, true);
	snprintf(cfg.dedup_mode, sizeof(cfg.dedup_mode), "aggregate");
	run("  the same with aggregation", &cfg, ci, file, mb, true);
	printf("peak RSS %ld MiB\n", peak_kb() / 1024);

	constituency_index_free(ci);
	unlink(rules);
	{
		char db[700];

		snprintf(db, sizeof(db), "%s/bench.db", dir);
		unlink(db);
		snprintf(db, sizeof(db), "%s/bench.db-wal", dir);
		unlink(db);
		snprintf(db, sizeof(db), "%s/bench.db-shm", dir);
		unlink(db);
	}
	rmdir(dir);
	return 0;
}
