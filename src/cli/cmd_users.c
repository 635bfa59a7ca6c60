/* cmd_users.c - user and token administration. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/credentials.h"
#include "core/secret.h"
#include "store/datadir.h"

static const char user_usage[] =
    "usage: csirtd user add LOGIN --role ROLE [--org ORG] [--name NAME]\n"
    "                       [--email EMAIL] [--password-stdin]\n"
    "       csirtd user list [--json]\n"
    "       csirtd user passwd LOGIN [--password-stdin]\n"
    "       csirtd user disable LOGIN\n"
    "       csirtd user enable LOGIN\n"
    "Roles: admin, handler, viewer, constituent (needs --org).\n"
    "Without --password-stdin a password is generated and printed.\n";

static void
print_user_table(const struct user *u, size_t n)
{
	char t[CLOCK_RFC3339_MAX];

	printf("%-6s %-24s %-12s %-12s %-8s %s\n", "ID", "LOGIN", "ROLE", "ORG",
	       "STATE", "LAST LOGIN");
	for (size_t i = 0; i < n; i++) {
		if (u[i].last_login_at)
			clock_fmt(u[i].last_login_at, t);
		printf("%-6lld %-24s %-12s %-12s %-8s %s\n", (long long)u[i].id,
		       u[i].login, role_name(u[i].role),
		       u[i].org ? u[i].org : "-",
		       u[i].disabled ? "disabled" : "active",
		       u[i].last_login_at ? t : "never");
	}
}

static int
user_list(struct store *st, struct arena *a, bool as_json)
{
	struct page p = {.after = 0, .limit = 500};
	json_t *arr = json_array();
	struct user *rows;
	size_t n;

	if (!as_json)
		print_user_table(NULL, 0);
	do {
		arena_reset(a);
		if (store_call(st, user_list, a, -1, &p, &rows, &n) != CS_OK) {
			json_decref(arr);
			fprintf(stderr, "csirtd: cannot list users\n");
			return 1;
		}
		for (size_t i = 0; i < n; i++) {
			if (as_json)
				json_array_append_new(
				    arr,
				    json_pack("{s:I,s:s,s:s,s:s,s:s?,s:b}",
				              "id", (json_int_t)rows[i].id,
				              "login", rows[i].login, "name",
				              rows[i].name, "role",
				              role_name(rows[i].role), "org",
				              rows[i].org, "disabled",
				              rows[i].disabled));
			else
				print_user_table(&rows[i], 1) /* row only */;
		}
		if (n > 0)
			p.after = rows[n - 1].id;
	} while (n == (size_t)p.limit);
	if (as_json) {
		char *s = json_dumps(arr, JSON_INDENT(2));

		puts(s);
		free(s);
	}
	json_decref(arr);
	return 0;
}

int
cmd_user(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"role", required_argument, 0, 'r'},
	    {"org", required_argument, 0, 'o'},
	    {"name", required_argument, 0, 'n'},
	    {"email", required_argument, 0, 'e'},
	    {"password-stdin", no_argument, 0, 'p'},
	    {"json", no_argument, 0, 'j'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	const char *sub, *role = NULL, *login = NULL;
	struct user u = {0}, before, after;
	struct user_patch patch = {.role = -1, .disabled = -1};
	struct verrs ve = {0};
	struct store *st = NULL;
	struct arena *a;
	char pw[PASSWORD_MAX + 2] = "", generated[32] = "";
	bool pw_stdin = false, as_json = false;
	int ch, rc = 1;
	enum cs_err err;

	if (argc < 2)
		cli_usage(user_usage, EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		cli_usage(user_usage, 0);
	/* options may come before or after the login: getopt permutes */
	sub = argv[1];
	argc--, argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			role = optarg;
			break;
		case 'o':
			u.org = optarg;
			break;
		case 'n':
			u.name = optarg;
			break;
		case 'e':
			u.email = optarg;
			break;
		case 'p':
			pw_stdin = true;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			cli_usage(user_usage, 0);
			break;
		default:
			cli_usage(user_usage, EXIT_USAGE);
		}
	}
	if (strcmp(sub, "list") == 0) {
		if (optind != argc)
			cli_usage(user_usage, EXIT_USAGE);
	} else if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0 ||
	           strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0) {
		if (optind != argc - 1)
			cli_usage(user_usage, EXIT_USAGE);
		login = argv[optind];
	} else {
		fprintf(stderr, "csirtd: unknown user command '%s'\n", sub);
		cli_usage(user_usage, EXIT_USAGE);
	}
	if (strcmp(sub, "add") == 0 && role == NULL) {
		fprintf(stderr, "csirtd: user add needs --role\n");
		return EXIT_USAGE;
	}
	if (role != NULL && !role_parse(role, &u.role)) {
		fprintf(stderr,
		        "csirtd: unknown role '%s' (admin, handler, "
		        "viewer, constituent)\n",
		        role);
		return EXIT_USAGE;
	}
	if (pw_stdin && cli_read_password(pw, sizeof(pw)) != 0)
		return 1;
	a = arena_new(16 << 20);
	if (cli_open_store(c, &st) != 0)
		goto out;
	if (strcmp(sub, "list") == 0) {
		rc = user_list(st, a, as_json);
		goto out;
	}
	if (strcmp(sub, "add") == 0) {
		u.login = login;
		err = users_create(st, a, &c->actor, &u, pw_stdin ? pw : NULL,
		                   generated, &ve);
		if (err != CS_OK) {
			if (ve.n > 0)
				cli_print_verrs("user add", &ve);
			else
				fprintf(stderr, "csirtd: user add: %s\n",
				        cs_err_str(err));
			goto out;
		}
		if (generated[0] != '\0')
			printf("%s\n", generated);
		else
			fprintf(stderr, "user %s added\n", login);
		rc = 0;
		goto out;
	}
	if (store_call(st, user_get, a, 0, login, &before) != CS_OK) {
		fprintf(stderr, "csirtd: no such user '%s'\n", login);
		goto out;
	}
	if (strcmp(sub, "passwd") == 0) {
		if (!pw_stdin)
			password_generate(generated);
		patch.password = pw_stdin ? pw : generated;
	} else {
		patch.disabled = strcmp(sub, "disable") == 0;
	}
	err = users_update(st, a, &c->actor, login, &patch, &after, &ve);
	if (err != CS_OK) {
		if (ve.n > 0)
			cli_print_verrs(sub, &ve);
		else
			fprintf(stderr, "csirtd: user %s: %s\n", sub,
			        cs_err_str(err));
		goto out;
	}
	if (strcmp(sub, "passwd") == 0) {
		datadir_forget_initial_password(c->cfg->data_dir,
		                                before.pw_hash);
		if (!pw_stdin)
			printf("%s\n", generated);
		else
			fprintf(stderr, "password of %s changed\n", login);
	} else {
		fprintf(stderr, "user %s %sd\n", login, sub);
	}
	rc = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(generated, sizeof(generated));
	store_close(st);
	arena_free(a);
	return rc;
}

static const char token_usage[] =
    "usage: csirtd token create LOGIN --name NAME [--expires DAYS]\n"
    "       csirtd token list [LOGIN]\n"
    "       csirtd token revoke ID\n"
    "create prints only the token: it is shown once and stored hashed.\n";

int
cmd_token(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"name", required_argument, 0, 'n'},
	    {"expires", required_argument, 0, 'x'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	const char *sub, *name = NULL;
	long days = 0;
	struct store *st = NULL;
	struct arena *a;
	struct verrs ve = {0};
	char secret[SECRET_TOKEN_MAX], *end;
	int ch, rc = 1;
	enum cs_err err;

	if (argc < 2)
		cli_usage(token_usage, EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		cli_usage(token_usage, 0);
	sub = argv[1];
	argc--, argv++;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 'x':
			days = strtol(optarg, &end, 10);
			if (*end != '\0' || days < 1 || days > 3650) {
				fprintf(stderr, "csirtd: --expires takes 1 to "
				                "3650 days\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			cli_usage(token_usage, 0);
			break;
		default:
			cli_usage(token_usage, EXIT_USAGE);
		}
	}
	if ((strcmp(sub, "create") == 0 && (optind != argc - 1 || !name)) ||
	    (strcmp(sub, "revoke") == 0 && optind != argc - 1) ||
	    (strcmp(sub, "list") == 0 && argc - optind > 1) ||
	    (strcmp(sub, "create") != 0 && strcmp(sub, "revoke") != 0 &&
	     strcmp(sub, "list") != 0))
		cli_usage(token_usage, EXIT_USAGE);
	a = arena_new(16 << 20);
	if (cli_open_store(c, &st) != 0)
		goto out;
	if (strcmp(sub, "create") == 0) {
		struct user owner;
		struct token t;

		if (store_call(st, user_get, a, 0, argv[optind], &owner) !=
		    CS_OK) {
			fprintf(stderr, "csirtd: no such user '%s'\n",
			        argv[optind]);
			goto out;
		}
		err = token_create(st, a, &c->actor, &owner, name,
		                   (int64_t)days * 86400, secret, &t, &ve);
		if (err != CS_OK) {
			if (ve.n)
				cli_print_verrs("token create", &ve);
			else
				fprintf(stderr, "csirtd: token create: %s\n",
				        cs_err_str(err));
			goto out;
		}
		printf("%s\n", secret);
		sodium_memzero(secret, sizeof(secret));
		rc = 0;
	} else if (strcmp(sub, "revoke") == 0) {
		long long id = strtoll(argv[optind], &end, 10);

		if (*end != '\0' || id <= 0) {
			fprintf(stderr, "csirtd: a token id is a number\n");
			rc = EXIT_USAGE;
			goto out;
		}
		err = token_revoke(st, a, &c->actor, id);
		if (err != CS_OK) {
			fprintf(stderr, "csirtd: token revoke: %s\n",
			        err == CS_E_NOTFOUND ? "no such token"
			                             : cs_err_str(err));
			goto out;
		}
		fprintf(stderr, "token %lld revoked\n", id);
		rc = 0;
	} else {
		struct page p = {.after = 0, .limit = 500};
		struct token *rows;
		struct user owner = {0};
		size_t n;
		char t1[CLOCK_RFC3339_MAX], t2[CLOCK_RFC3339_MAX];

		if (optind < argc &&
		    store_call(st, user_get, a, 0, argv[optind], &owner) !=
		        CS_OK) {
			fprintf(stderr, "csirtd: no such user '%s'\n",
			        argv[optind]);
			goto out;
		}
		printf("%-6s %-16s %-20s %-14s %-20s %-20s %s\n", "ID", "USER",
		       "NAME", "PREFIX", "LAST USED", "EXPIRES", "STATE");
		do {
			if (store_call(st, token_list, a, owner.id, &p, &rows,
			               &n) != CS_OK)
				goto out;
			for (size_t i = 0; i < n; i++) {
				const struct token *t = &rows[i];
				const char *state = "active";

				if (t->revoked_at)
					state = "revoked";
				else if (t->expires_at &&
				         t->expires_at <= clock_now())
					state = "expired";
				if (t->last_used_at)
					clock_fmt(t->last_used_at, t1);
				if (t->expires_at)
					clock_fmt(t->expires_at, t2);
				printf("%-6lld %-16s %-20s %-14s %-20s %-20s "
				       "%s\n",
				       (long long)t->id, t->user_login, t->name,
				       t->prefix,
				       t->last_used_at ? t1 : "never",
				       t->expires_at ? t2 : "never", state);
			}
			if (n > 0)
				p.after = rows[n - 1].id;
		} while (n == (size_t)p.limit);
		rc = 0;
	}
out:
	store_close(st);
	arena_free(a);
	return rc;
}
