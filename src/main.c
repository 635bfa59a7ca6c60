/*
 * main.c - csirtd [--config FILE] [--data DIR] COMMAND ...
 *
 * Builds the effective configuration (defaults < csirtd.conf < CSIRTD_*
 * environment < global flags) and runs one command of the table below.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "core/secret.h"

static const struct command {
	const char *name;
	int (*run)(struct cli *, int, char **);
	const char *help;
} commands[] = {
    {"init", cmd_init, "create the data directory, database and first admin"},
    {"serve", cmd_serve, "serve the API and run background jobs"},
    {"user", cmd_user, "add, list, disable users; set passwords"},
    {"token", cmd_token, "create, list and revoke API tokens"},
    {"audit", cmd_audit, "verify the audit log's hash chain"},
    {"backup", cmd_backup, "write a consistent copy of the database"},
    {"job", cmd_job, "enqueue and list background jobs"},
    {"import", cmd_import, "import constituency assets from CSV"},
    {"demo", cmd_demo, "load a sample installation to explore"},
    {"mailgate", cmd_mailgate, "take in one e-mail from the MTA (stdin)"},
    {"mail", cmd_mail, "poll the mailboxes once; print the team key"},
    {"ingest", cmd_ingest, "parse feed reports (--dry-run prints events)"},
    {"migrate", cmd_migrate, "apply or list database migrations"},
    {"config", cmd_config, "print the effective configuration"},
};

static void
usage(int code)
{
	FILE *f = code == 0 ? stdout : stderr;

	fprintf(f, "usage: csirtd [--config FILE] [--data DIR] COMMAND [ARGS]\n"
	           "       csirtd --version\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n'csirtd COMMAND --help' describes a command. The data "
	           "directory defaults to ./var\n(CSIRTD_DATA); the "
	           "configuration file to ./csirtd.conf when present\n"
	           "(CSIRTD_CONFIG). See docs/configuration.md.\n");
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, 0, 'c'},
	    {"data", required_argument, 0, 'd'},
	    {"version", no_argument, 0, 'V'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	static struct config cfg;
	struct cli cli = {.cfg = &cfg};
	const char *config_path = getenv("CSIRTD_CONFIG"), *data = NULL;
	bool config_required = config_path != NULL;
	struct passwd *pw;
	enum log_level level;
	char err[1200];
	int ch;

	while ((ch = getopt_long(argc, argv, "+hc:d:V", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			config_required = true;
			break;
		case 'd':
			data = optarg;
			break;
		case 'V':
			printf("csirtd %s\n", CS_VERSION);
			return 0;
		case 'h':
			usage(0);
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind >= argc)
		usage(EXIT_USAGE);
	umask(077); /* the database and files hold secrets */
	config_defaults(&cfg);
	if (config_path == NULL)
		config_path = "csirtd.conf";
	if (config_load_file(&cfg, config_path, config_required, err,
	                     sizeof(err)) != CS_OK ||
	    config_load_env(&cfg, err, sizeof(err)) != CS_OK ||
	    (data != NULL && config_set(&cfg, "data", data, "--data", err,
	                                sizeof(err)) != CS_OK) ||
	    config_finish(&cfg, err, sizeof(err)) != CS_OK) {
		fprintf(stderr, "csirtd: %s\n", err);
		return EXIT_USAGE;
	}
	if (access(config_path, R_OK) == 0)
		cli.config_path = config_path;
	if (!log_level_parse(cfg.log_level, &level))
		level = LOG_LVL_INFO;
	log_init(level, cfg.log_syslog, "csirtd");
	if (secret_init() != CS_OK) {
		fprintf(stderr, "csirtd: cannot initialise libsodium\n");
		return 1;
	}
	pw = getpwuid(getuid());
	snprintf(cli.actor_name, sizeof(cli.actor_name), "cli:%s",
	         pw ? pw->pw_name : "unknown");
	cli.actor.name = cli.actor_name;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int sub_argc = argc - optind;
			char **sub_argv = argv + optind;

			optind = 0; /* GNU getopt: full re-initialisation */
			return commands[i].run(&cli, sub_argc, sub_argv);
		}
	fprintf(stderr, "csirtd: unknown command '%s'\n", argv[optind]);
	usage(EXIT_USAGE);
}
