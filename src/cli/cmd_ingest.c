/*
 * cmd_ingest.c - csirtd ingest --feed shadowserver [--schema PATH]
 *                [--report NAME] [--dry-run] FILE...
 *
 * Runs reports through the pipeline into the store (pipeline/ingest.h):
 * one line per file on stdout saying what was stored, malformed records
 * to stderr as FILE:LINE: reason. The same content is never stored twice:
 * a file already processed is reported as such, and one interrupted (a
 * crash, a kill) resumes where its last commit ended. Standard input is
 * spooled to a file in the data directory first, since a report is read
 * twice (its hash, then its records).
 *
 * --dry-run stores nothing: events go to stdout as IntelMQ JSON lines.
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
#include "pipeline/ingest.h"
#include "pipeline/shadowserver.h"

static const char usage_text[] =
    "usage: csirtd ingest --feed shadowserver [--schema PATH] "
    "[--report NAME]\n"
    "                     [--dry-run] FILE...\n"
    "  FILE '-' reads standard input (then --report is required).\n"
    "  --schema defaults to [pipeline] shadowserver_schema.\n";

struct out_ctx {
	const char *file;
	char line[64 * 1024];
	bool write_failed;
};

static void
print_event(const struct event *ev, void *ctx)
{
	struct out_ctx *o = ctx;
	size_t n;

	if (event_to_text(ev, o->line, sizeof(o->line), &n) != CS_OK) {
		fprintf(stderr, "%s: an event too large to print\n", o->file);
		return;
	}
	o->line[n++] = '\n';
	if (fwrite(o->line, 1, n, stdout) != n)
		o->write_failed = true;
}

static void
print_malformed(size_t line, const char *reason, void *ctx)
{
	struct out_ctx *o = ctx;

	fprintf(stderr, "%s:%zu: %s\n", o->file, line, reason);
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
store_file(struct cli *c, struct store *st, struct ingest_opts *o,
           const struct ss_report *r, const char *name, int fd,
           struct out_ctx *oc)
{
	struct ingest_parser p = ingest_shadowserver(r);
	struct ingest_result res;
	char why[INGEST_WHY_MAX];
	enum cs_err err;

	(void)c;
	(void)oc;
	err = ingest_fd(st, o, &p, fd, name, clock_now(), &res, why);
	if (err != CS_OK && res.report.id == 0) {
		fprintf(stderr, "%s: %s\n", name, why);
		return 1;
	}
	if (res.already_done) {
		printf("%s: already processed as report %lld\n", name,
		       (long long)res.report.id);
		return 0;
	}
	printf("%s: report %lld (%s) %s: %lld records, %lld events, %lld "
	       "stored, %lld malformed",
	       name, (long long)res.report.id, p.report,
	       err == CS_OK ? "done" : "failed", (long long)res.report.records,
	       (long long)res.report.events, (long long)res.report.stored,
	       (long long)res.report.malformed);
	if (res.resumed)
		printf(", resumed after %lld records", (long long)res.skipped);
	printf("\n");
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
	    {"dry-run", no_argument, 0, 'n'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	const char *feed = NULL, *schema_path = NULL, *report = NULL;
	struct ss_schema *schema = NULL;
	struct out_ctx *o = NULL;
	struct ss_stats total = {0};
	struct store *st = NULL;
	struct constituency_index *ci = NULL;
	struct ingest_opts io;
	bool dry_run = false;
	char why[SS_WHY_MAX];
	int ch, rc = 0;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			feed = optarg;
			break;
		case 's':
			schema_path = optarg;
			break;
		case 'r':
			report = optarg;
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
	if (schema_path == NULL && c->cfg->shadowserver_schema[0] != '\0')
		schema_path = c->cfg->shadowserver_schema;
	if (feed == NULL || strcmp(feed, "shadowserver") != 0 ||
	    optind >= argc) {
		fprintf(stderr, "csirtd ingest: --feed shadowserver and at "
		                "least one FILE are required\n");
		cli_usage(usage_text, EXIT_USAGE);
	}
	if (schema_path == NULL) {
		fprintf(stderr, "csirtd ingest: no schema: give --schema or "
		                "set [pipeline] shadowserver_schema\n");
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "-") == 0 && report == NULL) {
			fprintf(stderr, "csirtd ingest: reading standard "
			                "input needs --report\n");
			return EXIT_USAGE;
		}
	if (ss_schema_load(schema_path, &schema, why) != CS_OK) {
		fprintf(stderr, "csirtd ingest: schema: %s\n", why);
		return 1;
	}
	if (!dry_run) {
		enum cs_err err;

		if (cli_open_store(c, &st) != 0) {
			ss_schema_free(schema);
			return 1;
		}
		ci = constituency_index_new();
		if ((err = constituency_index_sync(ci, st)) != CS_OK) {
			fprintf(stderr, "csirtd ingest: constituency: %s\n",
			        cs_err_str(err));
			rc = 1;
			goto out;
		}
		memset(&io, 0, sizeof(io));
		io.feed = feed;
		io.tlp = c->cfg->event_tlp;
		io.ci = ci;
	}
	if ((o = malloc(sizeof(*o))) == NULL)
		abort();
	o->write_failed = false;
	for (int i = optind; i < argc && rc == 0; i++) {
		const struct ss_report *r;
		struct ss_sink sink = {print_event, print_malformed, NULL, o};
		struct ss_stats sst;
		bool is_stdin = strcmp(argv[i], "-") == 0;
		int fd;

		o->file = is_stdin ? "<stdin>" : argv[i];
		r = report ? ss_report_find(schema, report)
		           : ss_detect(schema, argv[i]);
		if (r == NULL) {
			fprintf(stderr, "%s: unknown report %s\n", o->file,
			        report ? report : "(from the file name)");
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
			rc = store_file(c, st, &io, r, o->file, fd, o);
			close(fd);
			continue;
		}
		if (ss_parse_fd(r, fd, clock_now(), &sink, &sst, why) !=
		    CS_OK) {
			fprintf(stderr, "%s: %s\n", o->file, why);
			rc = 1;
		}
		if (!is_stdin)
			close(fd);
		total.rows += sst.rows;
		total.events += sst.events;
		total.malformed += sst.malformed;
	}
	if (fflush(stdout) != 0 || o->write_failed) {
		fprintf(stderr, "csirtd ingest: writing to stdout failed\n");
		rc = 1;
	}
	if (dry_run)
		fprintf(stderr, "%zu events, %zu malformed, %zu rows\n",
		        total.events, total.malformed, total.rows);
out:
	free(o);
	if (ci != NULL)
		constituency_index_free(ci);
	if (st != NULL)
		store_close(st);
	ss_schema_free(schema);
	return rc;
}
