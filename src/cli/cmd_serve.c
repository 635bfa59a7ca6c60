/* cmd_serve.c - init, serve and migrate. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/secret.h"
#include "csirtd.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "core/audit.h"
#include "core/constituency.h"
#include "mail/mime.h"
#include "mail/outbound.h"
#include "mail/pgp.h"
#include "mail/poller.h"
#include "mail/smtp.h"
#include "jobs/jobs.h"
#include "pipeline/collect.h"
#include "pipeline/dropdir.h"
#include "pipeline/fetch.h"
#include "pipeline/pipeline.h"
#include "store/datadir.h"

static const char init_usage[] =
    "usage: csirtd init [--admin LOGIN]\n"
    "Creates the data directory and the database, and the first admin\n"
    "account, whose one-time password is printed once and kept in\n"
    "<data>/" DATADIR_PW_FILE " until it is changed.\n";

int
cmd_init(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"admin", required_argument, 0, 'a'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	const char *admin = "admin";
	struct user u = {0}, *rows;
	struct page p = {.after = 0, .limit = 1};
	struct verrs ve = {0};
	struct store *st = NULL;
	struct arena *a = arena_new(1 << 20);
	char pw[32], path[1100];
	size_t n = 0;
	int ch, rc = 1;

	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (ch == 'a')
			admin = optarg;
		else
			cli_usage(init_usage, ch == 'h' ? 0 : EXIT_USAGE);
	}
	if (optind != argc)
		cli_usage(init_usage, EXIT_USAGE);
	if (cli_mkdirs(c->cfg->data_dir) != 0) {
		fprintf(stderr, "csirtd: cannot create %s: %s\n",
		        c->cfg->data_dir, strerror(errno));
		goto out;
	}
	if (cli_open_store(c, &st) != 0)
		goto out;
	if (store_call(st, user_list, a, -1, &p, &rows, &n) != CS_OK)
		goto out;
	if (n > 0) {
		fprintf(stderr,
		        "csirtd: %s is already initialised (it has users); "
		        "use 'csirtd user' to manage them\n",
		        c->cfg->db_url);
		goto out;
	}
	u.login = admin;
	u.role = ROLE_ADMIN;
	u.name = "Administrator";
	if (users_create(st, a, &c->actor, &u, NULL, pw, &ve) != CS_OK) {
		cli_print_verrs("init", &ve);
		goto out;
	}
	if (datadir_write_initial_password(c->cfg->data_dir, pw, path,
	                                   sizeof(path)) != CS_OK) {
		fprintf(stderr, "csirtd: %s\n", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", c->cfg->data_dir,
	         DATADIR_PW_FILE);
	printf("csirtd initialised in %s\nlogin: %s\npassword: %s\n",
	       c->cfg->data_dir, admin, pw);
	fprintf(stderr,
	        "The password is shown once (and kept in %s until you change "
	        "it with 'csirtd user passwd %s').\n",
	        path, admin);
	rc = 0;
out:
	store_close(st);
	arena_free(a);
	return rc;
}

static const char serve_usage[] =
    "usage: csirtd serve [--listen HOST:PORT] [--threads N] [--workers N]\n"
    "Serves the API on HOST:PORT (default 127.0.0.1:8080) and runs the\n"
    "background jobs and the pipeline's collectors. SIGINT or SIGTERM\n"
    "stops it after the requests in flight have been answered; SIGHUP\n"
    "reloads the pipeline's rule file and ASN table.\n";

static void
report_migration(const char *name, void *ctx)
{
	(void)ctx;
	log_info("msg=\"applying migration\" name=%s", name);
}

int
cmd_serve(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"listen", required_argument, 0, 'l'},
	    {"threads", required_argument, 0, 't'},
	    {"workers", required_argument, 0, 'w'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	struct cs_server srv = {0};
	struct httpd *httpd = NULL;
	struct store *st = NULL;
	char err[512], lockpath[1100];
	sigset_t set;
	int ch, sig = SIGTERM, rc = 1, lockfd = -1, applied = 0;
	int64_t recovered = 0;
	struct poller *poller = NULL;
	struct dropdir *dropdir = NULL;
	struct fetcher *fetcher = NULL;

	while ((ch = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		const char *key = ch == 'l'   ? "listen"
		                  : ch == 't' ? "threads"
		                  : ch == 'w' ? "workers"
		                              : NULL;

		if (key == NULL)
			cli_usage(serve_usage, ch == 'h' ? 0 : EXIT_USAGE);
		if (config_set(c->cfg, key, optarg, "flag", err, sizeof(err)) !=
		    CS_OK) {
			fprintf(stderr, "csirtd: %s\n", err);
			return EXIT_USAGE;
		}
	}
	if (optind != argc)
		cli_usage(serve_usage, EXIT_USAGE);
	srv.cfg = *c->cfg;
	srv.login = (struct login_policy){
	    .max_failures = srv.cfg.login_max_failures,
	    .addr_max_failures = srv.cfg.address_max_failures,
	    .window = srv.cfg.login_window,
	    .lockout = srv.cfg.login_lockout,
	    .session_idle = srv.cfg.session_idle,
	    .session_max = srv.cfg.session_max,
	};
	/* With PostgreSQL, `init` ran once, maybe on another host: each
	 * process only needs its local data directory (GnuPG's home). */
	if (strncmp(srv.cfg.db_url, "postgres", 8) == 0 &&
	    cli_mkdirs(srv.cfg.data_dir) != 0) {
		fprintf(stderr, "csirtd: cannot create %s: %s\n",
		        srv.cfg.data_dir, strerror(errno));
		return 1;
	}
	{
		char home[1100], why[256];

		snprintf(home, sizeof(home), "%s/gnupg", srv.cfg.data_dir);
		mime_init();
		if (pgp_init(home, why, sizeof(why)) != CS_OK ||
		    outbound_init(&srv.cfg, why, sizeof(why)) != CS_OK ||
		    smtp_global_init() != CS_OK) {
			fprintf(stderr, "csirtd: OpenPGP: %s\n", why);
			return 1;
		}
	}
	srv.incidents.team_code = srv.cfg.team_code;
	if (!priority_matrix_parse(srv.cfg.priority_matrix,
	                           &srv.incidents.matrix) ||
	    !sla_policy_parse(srv.cfg.sla, &srv.incidents.sla)) {
		fprintf(stderr, "csirtd: bad [incidents] settings\n");
		return EXIT_USAGE; /* unreachable: checked when read */
	}
	if (!proxies_parse(srv.cfg.trusted_proxies, &srv.proxies, err,
	                   sizeof(err))) {
		fprintf(stderr, "csirtd: trusted_proxies: %s\n", err);
		return EXIT_USAGE; /* unreachable: checked when read */
	}
	srv.secure_cookies = srv.cfg.tls_cert[0] != '\0' ||
	                     strncmp(srv.cfg.public_url, "https://", 8) == 0;

	/* Signals are taken by sigwait() below, not by any thread. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* the one pipeline every collector and job runs reports through */
	{
		char why[PIPELINE_WHY_MAX];
		struct collect_config cc = {
		    .data_dir = srv.cfg.data_dir,
		    .report_max = srv.cfg.report_max,
		    .max_attempts = srv.cfg.job_max_attempts,
		};
		char cwhy[COLLECT_WHY_MAX];

		if (pipeline_open(&srv.cfg, &srv.pipeline, why) != CS_OK) {
			log_error("msg=\"the configured pipeline does not "
			          "load\" error=\"%s\"",
			          why);
			fprintf(stderr, "csirtd: pipeline: %s\n", why);
			goto out;
		}
		cc.pipeline = srv.pipeline;
		if (cli_mkdirs(srv.cfg.data_dir) != 0 ||
		    collect_new(&cc, &srv.collect, cwhy) != CS_OK) {
			log_error("msg=\"no spool for reports\" error=\"%s\"",
			          cwhy);
			goto out;
		}
	}

	if (store_open(srv.cfg.db_url, &st) != CS_OK) {
		log_error("msg=\"cannot open the database\" database=%s",
		          srv.cfg.db_url);
		goto out;
	}
	if (store_call0(st, is_exclusive)) {
		snprintf(lockpath, sizeof(lockpath), "%s/csirtd.lock",
		         srv.cfg.data_dir);
		lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
			log_error("msg=\"another csirtd serve uses this data "
			          "directory\" data=%s",
			          srv.cfg.data_dir);
			goto out;
		}
	}
	if (store_call(st, migrate, false, report_migration, NULL, &applied) !=
	    CS_OK) {
		log_error("msg=\"database schema\" error=\"%s\"",
		          store_call0(st, errmsg));
		goto out;
	}
	/* The only process on this database: jobs left running by a crash
	 * are ours and run again now. */
	if (store_call0(st, is_exclusive) &&
	    store_call(st, job_recover, &recovered) == CS_OK && recovered > 0)
		log_info("msg=\"jobs interrupted by a stop run again\" n=%lld",
		         (long long)recovered);
	store_close(st);
	st = NULL;

	if (store_pool_new(srv.cfg.db_url,
	                   srv.cfg.db_pool > 0
	                       ? srv.cfg.db_pool
	                       : srv.cfg.threads + srv.cfg.workers + 2,
	                   &srv.pool) != CS_OK) {
		log_error("msg=\"cannot open the database pool\"");
		goto out;
	}
	srv.metrics = metrics_new(router_count());
	srv.constituency = constituency_index_new();
	st = store_acquire(srv.pool);
	if (constituency_index_sync(srv.constituency, st) != CS_OK) {
		store_release(srv.pool, st);
		st = NULL;
		log_error("msg=\"cannot build the constituency index\"");
		goto out;
	}
	store_release(srv.pool, st);
	st = NULL;
	if (srv.cfg.workers > 0) {
		struct jobs_config jc = {
		    .database = srv.cfg.db_url,
		    .workers = srv.cfg.workers,
		    .lease = srv.cfg.job_lease,
		    .max_attempts = srv.cfg.job_max_attempts,
		    .idempotency_ttl = srv.cfg.idempotency_ttl,
		    .metrics = srv.metrics,
		    .app = &srv.cfg,
		    .pipeline = srv.pipeline,
		    .ci = srv.constituency,
		};
		jobs_start(&jc, &srv.jobs);
		collect_set_jobs(srv.collect, srv.jobs);
	}
	poller = poller_start(&srv.cfg);
	dropdir = dropdir_start(&srv.cfg, srv.collect, srv.pipeline);
	fetcher = fetcher_start(&srv.cfg, srv.collect, srv.pipeline);
	if (server_start(&srv, &httpd) != CS_OK)
		goto out;
	log_info("msg=listening url=%s://%s threads=%d workers=%d "
	         "database=%s version=%s",
	         srv.cfg.tls_cert[0] ? "https" : "http", srv.cfg.listen,
	         srv.cfg.threads, srv.cfg.workers, srv.cfg.db_url, CS_VERSION);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		char why[PIPELINE_WHY_MAX];

		if (pipeline_reload(srv.pipeline, why) != CS_OK)
			log_warnx("msg=\"pipeline reload refused; the running "
			          "rules stay\" error=\"%s\"",
			          why);
		else
			log_info("msg=\"pipeline reloaded\" signal=HUP");
	}
	log_info("msg=\"stopping\" signal=%s", sig == SIGINT ? "INT" : "TERM");
	server_stop(httpd);
	httpd = NULL;
	rc = 0;
out:
	server_stop(httpd);
	fetcher_stop(fetcher);
	dropdir_stop(dropdir);
	poller_stop(poller);
	jobs_stop(srv.jobs);
	collect_free(srv.collect);
	pipeline_free(srv.pipeline);
	store_pool_free(srv.pool);
	metrics_free(srv.metrics);
	constituency_index_free(srv.constituency);
	store_close(st);
	if (lockfd >= 0)
		close(lockfd);
	if (rc == 0)
		log_info("msg=stopped");
	return rc;
}

static const char migrate_usage[] =
    "usage: csirtd migrate [--dry-run]\n"
    "       csirtd migrate --from sqlite:PATH --to postgres://...\n"
    "Applies the database migrations this csirtd carries (serve does it\n"
    "too); --dry-run lists the pending ones.\n"
    "With --from and --to, moves a whole installation from its SQLite\n"
    "database to an empty PostgreSQL database, in one transaction, then\n"
    "compares the row counts and verifies the audit chain there. Stop\n"
    "csirtd serve first.\n";

static void
print_migration(const char *name, void *ctx)
{
	printf("%s%s\n", *(bool *)ctx ? "pending: " : "applied: ", name);
}

static void
print_copied(const char *table, long long rows, void *ctx)
{
	(void)ctx;
	printf("copied: %-18s %lld rows\n", table, rows);
	fflush(stdout);
}

static void
print_audit_problem(void *ctx, int64_t seq, const char *problem)
{
	(void)ctx;
	fprintf(stderr, "csirtd: audit row %lld: %s\n", (long long)seq,
	        problem);
}

/* migrate --from --to: the data directory's lock keeps serve away while
 * the installation moves. */
static int
move_installation(struct cli *c, const char *from, const char *to)
{
	char lockpath[1100], err[512];
	struct store *st = NULL;
	int64_t rows = 0, problems = 0;
	int fd, rc = 1;

	snprintf(lockpath, sizeof(lockpath), "%s/csirtd.lock",
	         c->cfg->data_dir);
	fd = open(lockpath, O_RDWR | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
		fprintf(stderr,
		        "csirtd: csirtd serve is running on %s; stop "
		        "it first\n",
		        c->cfg->data_dir);
		close(fd);
		return 1;
	}
	if (store_copy(from, to, print_copied, NULL, err, sizeof(err)) !=
	    CS_OK) {
		fprintf(stderr, "csirtd: migrate: %s\n", err);
		goto out;
	}
	if (store_open(to, &st) != CS_OK ||
	    audit_verify(st, print_audit_problem, NULL, &rows, &problems) !=
	        CS_OK ||
	    problems > 0) {
		fprintf(stderr, "csirtd: migrate: the audit chain does not "
		                "verify on the destination\n");
		goto out;
	}
	printf("audit chain verified on the destination: %lld rows\n",
	       (long long)rows);
	printf("moved; set database = %s (without credentials in shared "
	       "files) and start csirtd serve\n",
	       "postgres://...");
	rc = 0;
out:
	store_close(st);
	if (fd >= 0)
		close(fd);
	return rc;
}

int
cmd_migrate(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dry-run", no_argument, 0, 'n'},
	    {"from", required_argument, 0, 'f'},
	    {"to", required_argument, 0, 't'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	struct store *st;
	const char *from = NULL, *to = NULL;
	bool dry = false;
	int ch, applied = 0;

	while ((ch = getopt_long(argc, argv, "+hn", opts, NULL)) != -1) {
		if (ch == 'n')
			dry = true;
		else if (ch == 'f')
			from = optarg;
		else if (ch == 't')
			to = optarg;
		else
			cli_usage(migrate_usage, ch == 'h' ? 0 : EXIT_USAGE);
	}
	if (optind != argc || (from == NULL) != (to == NULL) ||
	    (from != NULL && dry))
		cli_usage(migrate_usage, EXIT_USAGE);
	if (from != NULL)
		return move_installation(c, from, to);
	if (store_open(c->cfg->db_url, &st) != CS_OK) {
		fprintf(stderr, "csirtd: cannot open %s\n", c->cfg->db_url);
		return 1;
	}
	if (store_call(st, migrate, dry, print_migration, &dry, &applied) !=
	    CS_OK) {
		fprintf(stderr, "csirtd: %s\n", store_call0(st, errmsg));
		store_close(st);
		return 1;
	}
	if (applied == 0)
		printf("the database schema is up to date\n");
	store_close(st);
	return 0;
}
