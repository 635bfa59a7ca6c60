/* cmd_admin.c - audit verify, backup, jobs and the effective config. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/cli.h"
#include "core/audit.h"
#include "core/clock.h"
#include "core/constituency.h"
#include "core/xmalloc.h"
#include "jobs/jobs.h"

static const char audit_usage[] =
    "usage: csirtd audit verify\n"
    "Checks the hash chain of the audit log and names every row that was\n"
    "changed, deleted or moved. Exit 0 when intact, 1 otherwise.\n";

static void
report(void *ctx, int64_t seq, const char *problem)
{
	(void)ctx;
	printf("seq %lld: %s\n", (long long)seq, problem);
}

static int
verify(struct store *st, const char *what)
{
	int64_t rows = 0, problems = 0;
	enum cs_err err = audit_verify(st, report, NULL, &rows, &problems);

	if (err != CS_OK) {
		fprintf(stderr, "csirtd: audit verify %s: %s\n", what,
		        cs_err_str(err));
		return 1;
	}
	if (problems > 0) {
		printf("audit chain BROKEN: %lld problem%s in %lld rows\n",
		       (long long)problems, problems == 1 ? "" : "s",
		       (long long)rows);
		return 1;
	}
	printf("audit chain OK: %lld rows\n", (long long)rows);
	return 0;
}

int
cmd_audit(struct cli *c, int argc, char **argv)
{
	struct store *st;
	int rc;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			cli_usage(audit_usage, 0);
	if (argc != 2 || strcmp(argv[1], "verify") != 0)
		cli_usage(audit_usage, EXIT_USAGE);
	if (cli_open_store(c, &st) != 0)
		return 1;
	rc = verify(st, c->cfg->db_url);
	store_close(st);
	return rc;
}

static const char backup_usage[] =
    "usage: csirtd backup DEST\n"
    "Writes a consistent copy of the database to the new file DEST, also\n"
    "while csirtd serve runs, and verifies the copy's audit chain. To\n"
    "restore, put DEST in place of <data>/csirtd.db while csirtd is "
    "stopped.\n";

int
cmd_backup(struct cli *c, int argc, char **argv)
{
	struct store *st = NULL, *copy = NULL;
	struct stat sb;
	enum cs_err err;
	int rc = 1;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			cli_usage(backup_usage, 0);
	if (argc != 2 || argv[1][0] == '-')
		cli_usage(backup_usage, EXIT_USAGE);
	if (stat(argv[1], &sb) == 0) {
		fprintf(stderr, "csirtd: %s exists; not overwriting it\n",
		        argv[1]);
		return 1;
	}
	if (cli_open_store(c, &st) != 0)
		return 1;
	if (st->ops->backup == NULL) {
		fprintf(stderr, "csirtd: this database is backed up with its "
		                "own tools (see docs/deployment.md)\n");
		goto out;
	}
	if ((err = store_call(st, backup, argv[1])) != CS_OK) {
		fprintf(stderr, "csirtd: backup: %s\n",
		        store_call0(st, errmsg));
		unlink(argv[1]);
		goto out;
	}
	if (store_open(argv[1], &copy) != CS_OK) {
		fprintf(stderr, "csirtd: cannot open the copy %s\n", argv[1]);
		goto out;
	}
	chmod(argv[1], 0600);
	if (verify(copy, argv[1]) != 0)
		goto out;
	printf("backup written to %s\n", argv[1]);
	rc = 0;
out:
	store_close(copy);
	store_close(st);
	return rc;
}

static const char job_usage[] =
    "usage: csirtd job enqueue KIND [--payload JSON] [--max-attempts N]\n"
    "       csirtd job list [--state STATE]\n"
    "Kinds: selftest (payload {\"sleep_ms\": N}) checks that workers run.\n";

int
cmd_job(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"payload", required_argument, 0, 'p'},
	    {"max-attempts", required_argument, 0, 'm'},
	    {"state", required_argument, 0, 's'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	const char *sub, *payload_text = NULL, *state_text = NULL;
	struct store *st = NULL;
	struct arena *a;
	struct verrs ve = {0};
	json_t *payload = NULL;
	json_error_t jerr;
	long max = c->cfg->job_max_attempts;
	char *end;
	int ch, rc = 1;
	enum job_state state;

	if (argc < 2)
		cli_usage(job_usage, EXIT_USAGE);
	sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		cli_usage(job_usage, 0);
	argc--, argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			payload_text = optarg;
			break;
		case 'm':
			max = strtol(optarg, &end, 10);
			if (*end != '\0' || max < 1 || max > 100)
				cli_usage(job_usage, EXIT_USAGE);
			break;
		case 's':
			state_text = optarg;
			break;
		case 'h':
			cli_usage(job_usage, 0);
			break;
		default:
			cli_usage(job_usage, EXIT_USAGE);
		}
	}
	if (strcmp(sub, "enqueue") == 0 ? optind != argc - 1
	    : strcmp(sub, "list") == 0  ? optind != argc
	                                : true)
		cli_usage(job_usage, EXIT_USAGE);
	if (state_text && !job_state_parse(state_text, &state)) {
		fprintf(stderr, "csirtd: state is queued, running, done or "
		                "failed\n");
		return EXIT_USAGE;
	}
	if (payload_text &&
	    (payload = json_loads(payload_text, 0, &jerr)) == NULL) {
		fprintf(stderr, "csirtd: --payload is not JSON: %s\n",
		        jerr.text);
		return EXIT_USAGE;
	}
	a = arena_new(16 << 20);
	if (cli_open_store(c, &st) != 0)
		goto out;
	if (strcmp(sub, "enqueue") == 0) {
		int64_t id;

		if (jobs_enqueue(st, a, &c->actor, argv[optind], payload,
		                 (int)max, &id, &ve) != CS_OK) {
			if (ve.n)
				cli_print_verrs("job enqueue", &ve);
			else
				fprintf(stderr, "csirtd: job enqueue failed\n");
			goto out;
		}
		printf("%lld\n", (long long)id);
		rc = 0;
	} else {
		struct page p = {.after = 0, .limit = 500};
		struct job *rows;
		size_t n;

		printf("%-8s %-16s %-8s %-8s %s\n", "ID", "KIND", "STATE",
		       "ATTEMPTS", "LAST ERROR");
		do {
			arena_reset(a);
			if (store_call(st, job_list, a,
			               state_text ? (int)state : -1, &p, &rows,
			               &n) != CS_OK)
				goto out;
			for (size_t i = 0; i < n; i++)
				printf("%-8lld %-16s %-8s %d/%-6d %s\n",
				       (long long)rows[i].id, rows[i].kind,
				       job_state_name(rows[i].state),
				       rows[i].attempts, rows[i].max_attempts,
				       rows[i].last_error ? rows[i].last_error
				                          : "");
			if (n > 0)
				p.after = rows[n - 1].id;
		} while (n == (size_t)p.limit);
		rc = 0;
	}
out:
	json_decref(payload);
	store_close(st);
	arena_free(a);
	return rc;
}

static const char config_usage[] =
    "usage: csirtd config\n"
    "Prints every setting with its effective value, section and\n"
    "environment variable.\n";

int
cmd_config(struct cli *c, int argc, char **argv)
{
	const struct config_item *items;
	size_t n = config_items(&items);

	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		cli_usage(config_usage, 0);
	if (argc != 1)
		cli_usage(config_usage, EXIT_USAGE);
	printf("# effective configuration%s%s\n",
	       c->config_path ? " from " : " (no file read)",
	       c->config_path ? c->config_path : "");
	for (size_t i = 0; i < n; i++) {
		char key[64], val[1100];

		if (i == 0 || strcmp(items[i].section, items[i - 1].section))
			printf("\n[%s]\n", items[i].section);
		snprintf(key, sizeof(key), "%s_%s", items[i].section,
		         items[i].key);
		/* server keys are flat: listen, data, ... */
		config_value(c->cfg,
		             strcmp(items[i].section, "server") == 0
		                 ? items[i].key
		                 : key,
		             val, sizeof(val));
		printf("# %s (%s)\n%s = %s\n", items[i].help, items[i].env,
		       items[i].key, val);
	}
	return 0;
}

static const char import_usage[] =
    "usage: csirtd import assets FILE\n"
    "Imports network assets from CSV with the header org,kind,value (kind:\n"
    "cidr, asn or domain; org: an organisation's short name). All or\n"
    "nothing: every bad line is listed with its number and nothing is\n"
    "stored; assets already present are skipped. FILE - reads stdin.\n";

#define IMPORT_MAX (512u << 20)

static char *
read_all(FILE *f, size_t *len_out)
{
	size_t cap = 1 << 20, n = 0, r;
	char *buf = xmalloc(cap);

	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= IMPORT_MAX) {
				free(buf);
				return NULL;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	*len_out = n;
	return buf;
}

int
cmd_import(struct cli *c, int argc, char **argv)
{
	struct import_result *res = xcalloc(1, sizeof(*res));
	struct store *st = NULL;
	struct arena *a = arena_new(256u << 20);
	char *csv = NULL;
	size_t len = 0;
	FILE *f;
	enum cs_err err;
	int rc = 1;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			cli_usage(import_usage, 0);
	if (argc != 3 || strcmp(argv[1], "assets") != 0)
		cli_usage(import_usage, EXIT_USAGE);
	f = strcmp(argv[2], "-") == 0 ? stdin : fopen(argv[2], "rb");
	if (f == NULL) {
		fprintf(stderr, "csirtd: %s: %s\n", argv[2], strerror(errno));
		goto out;
	}
	csv = read_all(f, &len);
	if (f != stdin)
		fclose(f);
	if (csv == NULL) {
		fprintf(stderr, "csirtd: cannot read %s (at most %u MB)\n",
		        argv[2], IMPORT_MAX >> 20);
		goto out;
	}
	if (cli_open_store(c, &st) != 0)
		goto out;
	err = assets_import(st, a, &c->actor, csv, len, res);
	if (err == CS_E_INVAL) {
		for (size_t i = 0; i < res->nerrors && i < IMPORT_ERRORS_MAX;
		     i++)
			fprintf(stderr, "%s:%zu: %s\n", argv[2],
			        res->errors[i].line, res->errors[i].message);
		fprintf(stderr,
		        "csirtd: %zu invalid line(s); nothing was imported\n",
		        res->nerrors);
		goto out;
	}
	if (err != CS_OK) {
		fprintf(stderr, "csirtd: import: %s\n", cs_err_str(err));
		goto out;
	}
	printf("%zu lines: %zu assets added, %zu already present\n", res->lines,
	       res->added, res->skipped);
	rc = 0;
out:
	free(csv);
	free(res);
	store_close(st);
	arena_free(a);
	return rc;
}
