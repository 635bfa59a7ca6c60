/*
 * cmd_ingest.c - csirtd ingest --feed shadowserver --schema PATH
 *                [--report NAME] [--dry-run] FILE...
 *
 * Parses reports into events. Events are not stored yet, so only
 * --dry-run works: events go to stdout as IntelMQ JSON lines, malformed
 * records to stderr as FILE:LINE: reason, and a summary per run.
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
#include "pipeline/shadowserver.h"

static const char usage_text[] =
    "usage: csirtd ingest --feed shadowserver --schema PATH [--report NAME]\n"
    "                     [--dry-run] FILE...\n"
    "  FILE '-' reads standard input (then --report is required).\n";

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
	bool dry_run = false;
	char why[SS_WHY_MAX];
	int ch, rc = 0;

	(void)c;
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
	if (feed == NULL || strcmp(feed, "shadowserver") != 0 ||
	    schema_path == NULL || optind >= argc) {
		fprintf(stderr, "csirtd ingest: --feed shadowserver, --schema "
		                "and at least one FILE are required\n");
		cli_usage(usage_text, EXIT_USAGE);
	}
	if (!dry_run) {
		fprintf(stderr, "csirtd ingest: storing events is not "
		                "available yet; use --dry-run\n");
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
	if ((o = malloc(sizeof(*o))) == NULL)
		abort();
	o->write_failed = false;
	for (int i = optind; i < argc && rc == 0; i++) {
		const struct ss_report *r;
		struct ss_sink sink = {print_event, print_malformed, NULL, o};
		struct ss_stats st;
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
		fd = is_stdin ? 0 : open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "%s: %s\n", o->file, strerror(errno));
			rc = 1;
			break;
		}
		if (ss_parse_fd(r, fd, clock_now(), &sink, &st, why) != CS_OK) {
			fprintf(stderr, "%s: %s\n", o->file, why);
			rc = 1;
		}
		if (!is_stdin)
			close(fd);
		total.rows += st.rows;
		total.events += st.events;
		total.malformed += st.malformed;
	}
	if (fflush(stdout) != 0 || o->write_failed) {
		fprintf(stderr, "csirtd ingest: writing to stdout failed\n");
		rc = 1;
	}
	fprintf(stderr, "%zu events, %zu malformed, %zu rows\n", total.events,
	        total.malformed, total.rows);
	free(o);
	ss_schema_free(schema);
	return rc;
}
