#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

int
cli_open_store(struct cli *c, struct store **out)
{
	struct store *st;
	enum cs_err err;
	int applied = 0;

	if ((err = store_open(c->cfg->db_url, &st)) != CS_OK) {
		fprintf(stderr, "csirtd: cannot open the database %s: %s\n",
		        c->cfg->db_url, cs_err_str(err));
		return 1;
	}
	if ((err = store_call(st, migrate, false, NULL, NULL, &applied)) !=
	    CS_OK) {
		fprintf(stderr, "csirtd: database schema: %s\n",
		        store_call0(st, errmsg));
		store_close(st);
		return 1;
	}
	*out = st;
	return 0;
}

int
cli_read_password(char *buf, size_t n)
{
	size_t len;

	if (fgets(buf, (int)n, stdin) == NULL) {
		fprintf(stderr, "csirtd: no password on standard input\n");
		return 1;
	}
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len == n - 1 && !feof(stdin)) {
		fprintf(stderr, "csirtd: the password is too long\n");
		return 1;
	}
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return 0;
}

void
cli_print_verrs(const char *what, const struct verrs *ve)
{
	for (size_t i = 0; i < ve->n; i++)
		fprintf(stderr, "csirtd: %s: %s %s\n", what, ve->e[i].field,
		        ve->e[i].detail);
}

void
cli_usage(const char *text, int code)
{
	fputs(text, code == 0 ? stdout : stderr);
	exit(code);
}

int
cli_mkdirs(const char *path)
{
	char buf[1024];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}
