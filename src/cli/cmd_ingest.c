/*
 * cmd_ingest.c - csirtd ingest --feed NAME [--report KIND] [--schema PATH]
 *                [--definition FILE] [--rules FILE] [--dry-run] FILE...
 *
 * Runs reports through the configured pipeline (pipeline/pipeline.h:
 * parse, enrich, rules, dedup) into the store (pipeline/ingest.h):
 * one line per file on stdout saying what was stored, malformed records
 * to stderr as FILE:LINE: reason. The same content is never stored twice:
 * a file already processed is reported as such, and one interrupted (a
 * crash, a kill) resumes where its last commit ended. Standard input is
 * spooled to a file in the data directory first, since a report is read
 * twice (its hash, then its records).
 *
 * --dry-run stores nothing and needs no database: every stage but the
 * constituency runs, the events that would be stored go to stdout as
 * IntelMQ JSON lines, the incidents the rules would open to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/xmalloc.h"
#include "pipeline/pipeline.h"

static const char usage_text[] =
    "usage: csirtd ingest --feed NAME [--report KIND] [--schema PATH]\n"
    "                     [--definition FILE] [--rules FILE] [--dry-run] "
    "FILE...\n"
    "  NAME is shadowserver or a generic feed of [pipeline] feeds (or of\n"
    "  --definition). FILE '-' reads standard input (Shadowserver then\n"
    "  needs --report). --schema and --rules replace [pipeline]\n"
    "  shadowserver_schema and rules. --dry-run stores nothing: it runs\n"
    "  the stages (routing table, geolocation, rules, dedup) and prints\n"
    "  the events that would be stored as IntelMQ JSON lines.\n";

struct out_ctx {
	const char *file;
	const char *last; /* rows of one event share its text */
	bool write_failed;
};

static void
print_row(void *ctx, const struct stored_event *ev)
{
	struct out_ctx *o = ctx;

	if (ev->data == o->last)
		return; /* the same event for another organisation */
	o->last = ev->data;
	if (fwrite(ev->data, 1, ev->data_len, stdout) != ev->data_len ||
	    putchar('\n') == EOF)
		o->write_failed = true;
}

static void
print_malformed(void *ctx, int64_t line, const char *reason)
{
	struct out_ctx *o = ctx;

	fprintf(stderr, "%s:%lld: %s\n", o->file, (long long)line, reason);
}

static void
print_incident(void *ctx, const char *title, uint64_t events, size_t orgs)
{
	struct out_ctx *o = ctx;

	fprintf(stderr,
	        "%s: would open incident \"%s\" (%llu events, %zu "
	        "organisations)\n",
	        o->file, title, (unsigned long long)events, orgs);
}

/* Standard input into a spool file (unlinked: it goes when closed). */
static int
spool_stdin(struct cli *c)
{
	char path[1200], buf[64 * 1024];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/spool", c->cfg->data_dir);
	if (cli_mkdirs(path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/spool/ingest-XXXXXX",
	         c->cfg->data_dir);
	if ((fd = mkstemp(path)) < 0)
		return -1;
	unlink(path);
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(fd, buf, (size_t)n) != n) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int
store_file(struct pipeline *pl, struct store *st, struct constituency_index *ci,
           const char *feed, const struct ingest_parser *p, const char *name,
           int fd)
{
	struct ingest_result res;
	char why[INGEST_WHY_MAX];
	enum cs_err err;

	err =
	    pipeline_run(pl, st, ci, feed, p, fd, name, clock_now(), &res, why);
	if (err != CS_OK && res.report.id == 0) {
		fprintf(stderr, "%s: %s\n", name, why);
		return 1;
	}
	if (res.already_done) {
		printf("%s: already processed as report %lld\n", name,
		       (long long)res.report.id);
		return 0;
	}
	printf("%s: report %lld (%s%s%s) %s: %lld records, %lld events, %lld "
	       "stored, %lld malformed, %lld dropped, %lld duplicates",
	       name, (long long)res.report.id, feed, p->report[0] ? " " : "",
	       p->report, err == CS_OK ? "done" : "failed",
	       (long long)res.report.records, (long long)res.report.events,
	       (long long)res.report.stored, (long long)res.report.malformed,
	       (long long)res.report.dropped, (long long)res.report.duplicates);
	if (res.resumed)
		printf(", resumed after %lld records", (long long)res.skipped);
	printf("\n");
	for (size_t i = 0; i < res.incidents && i < INGEST_INCIDENTS_MAX; i++)
		printf("%s: opened incident %s\n", name, res.refs[i]);
	if (res.geo_errors > 0)
		fprintf(stderr,
		        "%s: %llu geolocation lookups failed (damaged "
		        "database?)\n",
		        name, (unsigned long long)res.geo_errors);
	if (err != CS_OK) {
		fprintf(stderr, "%s: %s\n", name, why);
		return 1;
	}
	return 0;
}

int
cmd_ingest(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"feed", required_argument, 0, 'f'},
	    {"schema", required_argument, 0, 's'},
	    {"report", required_argument, 0, 'r'},
	    {"definition", required_argument, 0, 'd'},
	    {"rules", required_argument, 0, 'R'},
	    {"dry-run", no_argument, 0, 'n'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	const char *feed = NULL, *report = NULL;
	const char *defs[16];
	size_t ndefs = 0;
	struct pipeline *pl = NULL;
	struct out_ctx *o = NULL;
	struct feed_report total = {0};
	struct store *st = NULL;
	struct constituency_index *ci = NULL;
	bool dry_run = false;
	char why[PIPELINE_WHY_MAX];
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			feed = optarg;
			break;
		case 's':
			snprintf(c->cfg->shadowserver_schema,
			         sizeof(c->cfg->shadowserver_schema), "%s",
			         optarg);
			break;
		case 'r':
			report = optarg;
			break;
		case 'd':
			if (ndefs == sizeof(defs) / sizeof(defs[0])) {
				fprintf(stderr,
				        "csirtd ingest: at most %zu "
				        "--definition\n",
				        ndefs);
				return EXIT_USAGE;
			}
			defs[ndefs++] = optarg;
			break;
		case 'R':
			snprintf(c->cfg->rules_file, sizeof(c->cfg->rules_file),
			         "%s", optarg);
			break;
		case 'n':
			dry_run = true;
			break;
		case 'h':
			cli_usage(usage_text, 0);
			break;
		default:
			cli_usage(usage_text, EXIT_USAGE);
		}
	}
	if (feed == NULL || optind >= argc) {
		fprintf(stderr, "csirtd ingest: --feed and at least one FILE "
		                "are required\n");
		cli_usage(usage_text, EXIT_USAGE);
	}
	if (strcmp(feed, PIPELINE_SHADOWSERVER) == 0 &&
	    c->cfg->shadowserver_schema[0] == '\0') {
		fprintf(stderr, "csirtd ingest: no schema: give --schema or "
		                "set [pipeline] shadowserver_schema\n");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "-") == 0 && report == NULL &&
		    strcmp(feed, PIPELINE_SHADOWSERVER) == 0) {
			fprintf(stderr, "csirtd ingest: reading standard "
			                "input needs --report\n");
			return EXIT_USAGE;
		}
	if (pipeline_open(c->cfg, &pl, why) != CS_OK) {
		fprintf(stderr, "csirtd ingest: %s\n", why);
		return 1;
	}
	for (size_t i = 0; i < ndefs; i++)
		if (pipeline_add_definition(pl, defs[i], why) != CS_OK) {
			fprintf(stderr, "csirtd ingest: %s\n", why);
			pipeline_free(pl);
			return 1;
		}
	if (!pipeline_feed_exists(pl, feed)) {
		struct ingest_parser unused;

		(void)pipeline_parser(pl, feed, NULL, NULL, &unused, why);
		fprintf(stderr, "csirtd ingest: %s\n", why);
		pipeline_free(pl);
		return EXIT_USAGE;
	}
	if (!dry_run) {
		enum cs_err err;

		if (cli_open_store(c, &st) != 0) {
			pipeline_free(pl);
			return 1;
		}
		ci = constituency_index_new();
		if ((err = constituency_index_sync(ci, st)) != CS_OK) {
			fprintf(stderr, "csirtd ingest: constituency: %s\n",
			        cs_err_str(err));
			rc = 1;
			goto out;
		}
	}
	o = xmalloc(sizeof(*o));
	o->write_failed = false;
	for (int i = optind; i < argc && rc == 0; i++) {
		struct ingest_parser p;
		bool is_stdin = strcmp(argv[i], "-") == 0;
		int fd;

		o->file = is_stdin ? "<stdin>" : argv[i];
		if (pipeline_parser(pl, feed, report, is_stdin ? "" : argv[i],
		                    &p, why) != CS_OK) {
			fprintf(stderr, "%s: %s\n", o->file, why);
			rc = 1;
			break;
		}
		if (is_stdin)
			fd = dry_run ? 0 : spool_stdin(c);
		else
			fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: %s\n", o->file, strerror(errno));
			rc = 1;
			break;
		}
		if (!dry_run) {
			rc = store_file(pl, st, ci, feed, &p, o->file, fd);
			close(fd);
			continue;
		}
		{
			struct ingest_dry dry = {print_row, print_malformed,
			                         print_incident, o, false};
			struct ingest_result res;
			char iwhy[INGEST_WHY_MAX];

			o->last = NULL;
			if (pipeline_run_dry(pl, NULL, feed, &p, &dry, fd,
			                     o->file, clock_now(), &res,
			                     iwhy) != CS_OK) {
				fprintf(stderr, "%s: %s\n", o->file, iwhy);
				rc = 1;
			}
			total.records += res.report.records;
			total.events += res.report.events;
			total.malformed += res.report.malformed;
			total.dropped += res.report.dropped;
			total.duplicates += res.report.duplicates;
			total.stored += res.report.stored;
		}
		if (!is_stdin)
			close(fd);
	}
	if (fflush(stdout) != 0 || o->write_failed) {
		fprintf(stderr, "csirtd ingest: writing to stdout failed\n");
		rc = 1;
	}
	if (dry_run)
		fprintf(stderr,
		        "%lld events, %lld malformed, %lld rows; %lld dropped, "
		        "%lld duplicates, %lld kept\n",
		        (long long)total.events, (long long)total.malformed,
		        (long long)total.records, (long long)total.dropped,
		        (long long)total.duplicates, (long long)total.stored);
out:
	free(o);
	if (ci != NULL)
		constituency_index_free(ci);
	if (st != NULL)
		store_close(st);
	pipeline_free(pl);
	return rc;
}
