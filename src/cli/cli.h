/*
 * cli.h - the csirtd command line: one function per command.
 *
 * Each command gets the effective configuration (file < environment <
 * global flags) and its own argv (argv[0] is the command name). Exit codes:
 * 0 success, 1 runtime failure, 2 usage error; messages go to stderr and
 * results to stdout.
 */
#ifndef CS_CLI_H
#define CS_CLI_H

#include "core/config.h"
#include "core/users.h"
#include "store/store.h"

#define EXIT_USAGE 2

struct cli {
	struct config *cfg;
	const char *config_path; /* NULL when none was read */
	struct actor actor;      /* "cli:<unix user>" */
	char actor_name[80];
};

int cmd_init(struct cli *c, int argc, char **argv);
int cmd_serve(struct cli *c, int argc, char **argv);
int cmd_migrate(struct cli *c, int argc, char **argv);
int cmd_user(struct cli *c, int argc, char **argv);
int cmd_token(struct cli *c, int argc, char **argv);
int cmd_audit(struct cli *c, int argc, char **argv);
int cmd_backup(struct cli *c, int argc, char **argv);
int cmd_job(struct cli *c, int argc, char **argv);
int cmd_config(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_demo(struct cli *c, int argc, char **argv);
int cmd_mailgate(struct cli *c, int argc, char **argv);
int cmd_mail(struct cli *c, int argc, char **argv);
int cmd_ingest(struct cli *c, int argc, char **argv);

/* Opens the configured database and applies pending migrations. */
int cli_open_store(struct cli *c, struct store **out);
/* Reads a password from standard input (one line, newline stripped). */
int cli_read_password(char *buf, size_t n);
void cli_print_verrs(const char *what, const struct verrs *ve);
/* Handles -h/--help and unknown options uniformly. */
void cli_usage(const char *text, int code);
/* Creates the directory and its parents (0700 for the last). */
int cli_mkdirs(const char *path);

#endif
