/*
 * cmd_mail.c - `csirtd mailgate` (one message on standard input, from the
 * MTA) and `csirtd mail` (poll the mailboxes once, print the team key).
 *
 * mailgate exits 0 only once the message is committed; any failure to
 * commit exits 75 (EX_TEMPFAIL) so the MTA keeps the message and retries.
 * A message csirtd cannot understand is still committed, in quarantine,
 * so bad input never bounces back to a reporter.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "core/arena.h"
#include "core/xmalloc.h"
#include "mail/intake.h"
#include "mail/mime.h"
#include "mail/outbound.h"
#include "mail/pgp.h"
#include "mail/poller.h"
#include "mail/smtp.h"
#include "pipeline/feedmail.h"

static const char mailgate_usage[] =
    "usage: csirtd mailgate [--via NAME] [--feed FEED]\n"
    "\n"
    "Reads one RFC 5322 message on standard input (as piped by the MTA)\n"
    "and takes it in: a reply to an incident joins its thread, anything\n"
    "else becomes a new report. Exit 0 once committed, 75 when the MTA\n"
    "should retry later.\n"
    "\n"
    "  --via NAME   recorded as the way the mail came (default mailgate)\n"
    "  --feed FEED  the message carries reports of this feed: each\n"
    "               attachment it can read (ZIP archives opened) goes\n"
    "               through the event pipeline; a message with none is\n"
    "               taken in as an ordinary e-mail report\n";

static const char mail_usage[] =
    "usage: csirtd mail poll | key\n"
    "\n"
    "  poll   fetch the unseen messages of the [mail] imap_url mailboxes\n"
    "         once and take them in (serve does this every imap_interval)\n"
    "  key    print the team's OpenPGP public key (created if needed)\n";

/* The mail side of a command: the team's gpg home and key. */
static int
mail_setup(struct cli *c, bool sending)
{
	char home[CONFIG_PATH + 16], why[256];

	if (cli_mkdirs(c->cfg->data_dir) != 0) {
		fprintf(stderr, "csirtd: cannot create %s: %s\n",
		        c->cfg->data_dir, strerror(errno));
		return 1;
	}
	snprintf(home, sizeof(home), "%s/gnupg", c->cfg->data_dir);
	mime_init();
	/* the team key is only needed to sign what is sent */
	if (pgp_init(home, why, sizeof(why)) != CS_OK ||
	    (sending && outbound_init(c->cfg, why, sizeof(why)) != CS_OK) ||
	    smtp_global_init() != CS_OK) {
		fprintf(stderr, "csirtd: OpenPGP: %s\n", why);
		return 1;
	}
	return 0;
}

/* Reads all of stdin, keeping at most max + 1 bytes. */
static char *
read_message(size_t max, size_t *len_out, bool *truncated)
{
	size_t cap = 64 * 1024, n = 0;
	char *buf = xmalloc(cap), sink[65536];

	*truncated = false;
	for (;;) {
		size_t got;

		if (n == cap && cap <= max) {
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		if (n < cap)
			got = fread(buf + n, 1, cap - n, stdin);
		else {
			got = fread(sink, 1, sizeof(sink), stdin);
			*truncated = *truncated || got > 0;
			got = 0;
			if (feof(stdin) || ferror(stdin))
				break;
			continue;
		}
		n += got;
		if (got == 0 && (feof(stdin) || ferror(stdin)))
			break;
	}
	if (ferror(stdin)) {
		free(buf);
		return NULL;
	}
	*len_out = n;
	return buf;
}

/* A feed's reports from the message's attachments. The exit code, or -1
 * when the message has nothing the feed can read. */
static int
feed_mail(struct cli *c, struct store *st, struct arena *a, const char *feed,
          const char *raw, size_t len)
{
	struct pipeline *pl = NULL;
	struct constituency_index *ci = NULL;
	struct feedmail_result res;
	struct mime_msg m;
	const char *mwhy = NULL;
	char why[PIPELINE_WHY_MAX];
	enum cs_err err;
	int rc = EX_TEMPFAIL;

	/* a configuration that does not load, or an unknown feed, is the
	 * operator's to fix: the MTA keeps the message meanwhile */
	if (pipeline_open(c->cfg, &pl, why) != CS_OK) {
		fprintf(stderr, "csirtd: pipeline: %s\n", why);
		return EX_TEMPFAIL;
	}
	if (!pipeline_feed_exists(pl, feed)) {
		fprintf(stderr,
		        "csirtd: no feed '%s'; the message is left "
		        "with the MTA\n",
		        feed);
		goto out;
	}
	if (mime_parse(a, raw, len, 0, &m, &mwhy) != CS_OK) {
		rc = -1; /* the intake quarantines it with its reason */
		goto out;
	}
	ci = constituency_index_new();
	if ((err = constituency_index_sync(ci, st)) != CS_OK) {
		fprintf(stderr, "csirtd: constituency: %s\n", cs_err_str(err));
		goto out;
	}
	if ((err = feedmail_take(pl, st, ci, feed, &m, &res, why)) != CS_OK) {
		fprintf(stderr, "csirtd: %s; try again later\n", why);
		goto out;
	}
	if (res.reports == 0) {
		rc = -1;
		goto out;
	}
	printf("feed=%s reports=%zu already=%zu failed=%zu skipped=%zu "
	       "events=%lld\n",
	       feed, res.reports, res.already, res.failed, res.skipped,
	       (long long)res.events);
	rc = 0;
out:
	if (ci != NULL)
		constituency_index_free(ci);
	pipeline_free(pl);
	return rc;
}

int
cmd_mailgate(struct cli *c, int argc, char **argv)
{
	const char *via = "mailgate", *feed = NULL;
	struct store *st = NULL;
	struct arena *a = NULL;
	struct intake_result res;
	char *raw = NULL;
	size_t len = 0;
	bool truncated;
	enum cs_err err;
	int rc = EX_TEMPFAIL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			cli_usage(mailgate_usage, 0);
		else if (strcmp(argv[i], "--via") == 0 && i + 1 < argc &&
		         argv[i + 1][0] != '\0' && strlen(argv[i + 1]) < 64)
			via = argv[++i];
		else if (strcmp(argv[i], "--feed") == 0 && i + 1 < argc &&
		         argv[i + 1][0] != '\0')
			feed = argv[++i];
		else
			cli_usage(mailgate_usage, EXIT_USAGE);
	}
	if ((raw = read_message((size_t)c->cfg->mail_max_size, &len,
	                        &truncated)) == NULL) {
		fprintf(stderr, "csirtd: cannot read the message: %s\n",
		        strerror(errno));
		goto out;
	}
	if (len == 0) {
		fprintf(stderr, "csirtd: no message on standard input\n");
		rc = EX_DATAERR;
		goto out;
	}
	if (len > (size_t)c->cfg->mail_max_size)
		truncated = true, len = (size_t)c->cfg->mail_max_size;
	if (mail_setup(c, c->cfg->mail_ack && c->cfg->smtp_url[0] != '\0') !=
	        0 ||
	    cli_open_store(c, &st) != 0)
		goto out;
	a = arena_new((size_t)c->cfg->mail_max_size * 4 + (16u << 20));
	if (feed != NULL && !truncated) {
		int frc = feed_mail(c, st, a, feed, raw, len);

		if (frc >= 0) {
			rc = frc;
			goto out;
		}
		/* nothing the feed can read: an ordinary e-mail report */
		arena_reset(a);
	}
	if ((err = mail_intake(st, a, c->cfg, raw, len, truncated, via,
	                       &res)) != CS_OK) {
		fprintf(stderr,
		        "csirtd: mail not taken in (%s); try again "
		        "later\n",
		        cs_err_str(err));
		goto out;
	}
	printf("%s mail=%lld", res.outcome, (long long)res.mail_id);
	if (res.report_id != 0)
		printf(" report=%s-R-%lld", c->cfg->team_code,
		       (long long)res.report_id);
	if (res.incident_ref != NULL)
		printf(" incident=%s", res.incident_ref);
	if (res.reason != NULL)
		printf(" reason=\"%s\"", res.reason);
	printf("\n");
	rc = 0;
out:
	free(raw);
	store_close(st);
	arena_free(a);
	return rc;
}

int
cmd_mail(struct cli *c, int argc, char **argv)
{
	struct store *st = NULL;
	char why[256];
	size_t n = 0;
	int rc = 1;

	if (argc >= 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		cli_usage(mail_usage, 0);
	if (argc != 2 ||
	    (strcmp(argv[1], "poll") != 0 && strcmp(argv[1], "key") != 0))
		cli_usage(mail_usage, EXIT_USAGE);
	if (strcmp(argv[1], "key") == 0) {
		struct arena *a;
		char *key;

		if (!c->cfg->mail_sign) {
			fprintf(stderr, "csirtd: mail signing is off ([mail] "
			                "sign)\n");
			return 1;
		}
		if (mail_setup(c, true) != 0)
			return 1;
		a = arena_new(1 << 20);
		if (pgp_export_public(a, outbound_team_fpr(), &key, why,
		                      sizeof(why)) == CS_OK) {
			fputs(key, stdout);
			rc = 0;
		} else
			fprintf(stderr, "csirtd: %s\n", why);
		arena_free(a);
		return rc;
	}
	if (c->cfg->imap_url[0] == '\0') {
		fprintf(stderr, "csirtd: no mailbox configured ([mail] "
		                "imap_url)\n");
		return 1;
	}
	if (mail_setup(c, c->cfg->mail_ack && c->cfg->smtp_url[0] != '\0') !=
	        0 ||
	    cli_open_store(c, &st) != 0)
		return 1;
	if (mail_poll_once(c->cfg, st, &n, why, sizeof(why)) == CS_OK) {
		printf("%zu message(s) taken in\n", n);
		rc = 0;
	} else
		fprintf(stderr, "csirtd: poll: %s (%zu message(s) taken in)\n",
		        why, n);
	store_close(st);
	return rc;
}
