/*
 * mail_drive - drives smtp_send() and imap_poll() for the API tests.
 *
 *   mail_drive send URL FROM RCPT... < message
 *   mail_drive poll URL USER PASSWORD OUTDIR [max_size] [fail_after]
 *
 * Environment: MAIL_USER, MAIL_PASSWORD (send only), MAIL_TLS=1
 * (tls_required), MAIL_CA (ca_file), MAIL_TIMEOUT (seconds, default 20),
 * MAIL_HELO (send), MAIL_MAX_MESSAGES (poll).
 *
 * poll writes each delivered message to OUTDIR/N.eml, numbering on from the
 * files already there, and prints "message N len=L truncated=0|1" per
 * message and "delivered=N" at the end. With fail_after, deliveries after
 * the first fail_after return CS_E_DB, as a failed commit would.
 *
 * Exit status: 0 done, 75 temporary (CS_E_IO), 1 anything else, with the
 * reason on stderr; 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "core/err.h"
#include "mail/imap.h"
#include "mail/smtp.h"

#define INPUT_MAX (64u * 1024 * 1024)

struct sink {
	const char *dir;
	unsigned long next;
	long fail_after; /* < 0: never fail */
	long done;
};

static int
usage(void)
{
	fprintf(stderr, "usage: mail_drive send URL FROM RCPT... < message\n"
	                "       mail_drive poll URL USER PASSWORD OUTDIR "
	                "[max_size] [fail_after]\n");
	return 2;
}

static int
exit_code(enum cs_err err, const char *why)
{
	if (err == CS_OK)
		return 0;
	fprintf(stderr, "mail_drive: %s: %s\n", cs_err_str(err), why);
	return err == CS_E_IO ? 75 : 1;
}

static long
env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || v[0] == '\0')
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0) {
		fprintf(stderr, "mail_drive: bad %s\n", name);
		exit(2);
	}
	return n;
}

static bool
parse_size(const char *s, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		return false;
	*out = n;
	return true;
}

static const char *
env_str(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static int
do_send(int argc, char **argv)
{
	struct smtp_config c = {0};
	char why[512] = "";
	char *buf = NULL;
	size_t len = 0, n;
	enum cs_err err;

	if (argc < 5)
		return usage();
	buf = malloc(INPUT_MAX);
	if (buf == NULL)
		return 1;
	while ((n = fread(buf + len, 1, INPUT_MAX - len, stdin)) > 0)
		len += n;
	if (ferror(stdin) || len == INPUT_MAX) {
		fprintf(stderr, "mail_drive: cannot read the message\n");
		free(buf);
		return 1;
	}
	c.url = argv[2];
	c.user = env_str("MAIL_USER");
	c.password = env_str("MAIL_PASSWORD");
	c.tls_required = env_long("MAIL_TLS", 0) != 0;
	c.ca_file = env_str("MAIL_CA");
	c.timeout = env_long("MAIL_TIMEOUT", 20);
	c.helo = env_str("MAIL_HELO");
	err = smtp_send(&c, argv[3], (const char *const *)(argv + 4),
	                (size_t)(argc - 4), buf, len, why, sizeof(why));
	free(buf);
	if (err == CS_OK)
		printf("sent\n");
	return exit_code(err, why);
}

static unsigned long
count_eml(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned long n = 0;
	size_t l;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0)
			n++;
	}
	closedir(d);
	return n;
}

static enum cs_err
deliver(const char *raw, size_t len, bool truncated, void *arg)
{
	struct sink *s = arg;
	char path[4096];
	FILE *f;

	if (s->fail_after >= 0 && s->done >= s->fail_after)
		return CS_E_DB;
	snprintf(path, sizeof(path), "%s/%lu.eml", s->dir, s->next);
	if ((f = fopen(path, "wb")) == NULL)
		return CS_E_IO;
	if (fwrite(raw, 1, len, f) != len) {
		fclose(f);
		return CS_E_IO;
	}
	if (fclose(f) != 0)
		return CS_E_IO;
	printf("message %lu len=%zu truncated=%d\n", s->next, len,
	       truncated ? 1 : 0);
	s->next++;
	s->done++;
	return CS_OK;
}

static int
do_poll(int argc, char **argv)
{
	struct imap_config c = {0};
	struct sink s = {0};
	char why[512] = "";
	size_t delivered = 0;
	long max_size = 10L * 1024 * 1024;
	enum cs_err err;

	if (argc < 6 || argc > 8)
		return usage();
	if (argc >= 7 && !parse_size(argv[6], &max_size))
		return usage();
	s.fail_after = -1;
	if (argc == 8 && !parse_size(argv[7], &s.fail_after))
		return usage();
	s.dir = argv[5];
	s.next = count_eml(s.dir) + 1;
	c.url = argv[2];
	c.user = argv[3];
	c.password = argv[4];
	c.tls_required = env_long("MAIL_TLS", 0) != 0;
	c.ca_file = env_str("MAIL_CA");
	c.timeout = env_long("MAIL_TIMEOUT", 20);
	c.max_size = (size_t)max_size;
	c.max_messages = (size_t)env_long("MAIL_MAX_MESSAGES", 0);
	err = imap_poll(&c, deliver, &s, &delivered, why, sizeof(why));
	printf("delivered=%zu\n", delivered);
	return exit_code(err, why);
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2)
		return usage();
	if (smtp_global_init() != CS_OK) {
		fprintf(stderr, "mail_drive: curl_global_init failed\n");
		return 1;
	}
	if (strcmp(argv[1], "send") == 0)
		rc = do_send(argc, argv);
	else if (strcmp(argv[1], "poll") == 0)
		rc = do_poll(argc, argv);
	else
		rc = usage();
	curl_global_cleanup();
	fflush(stdout);
	return rc;
}
