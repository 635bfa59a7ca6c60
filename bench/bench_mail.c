/*
 * bench_mail.c - the e-mail paths: intake of plain and of PGP/MIME reports,
 * composing signed outbound mail, and handing it to an SMTP relay.
 *
 * Everything runs in a fresh data directory under $TMPDIR (SQLite store,
 * migrated; a gpg home holding the team key and a second "reporter" key):
 *   1. mail_intake() of N ~10 KB plain-text reports (BENCH_MAIL_N, default
 *      2000), each its own committed transaction, one arena per message;
 *   2. mail_intake() of N2 PGP/MIME reports of the same text, signed by
 *      the reporter and encrypted to the team key (BENCH_MAIL_PGP_N,
 *      default 200): gpg decrypts and verifies each one;
 *   3. compose_mail() of N3 signed outbound mails (BENCH_MAIL_COMPOSE_N,
 *      default 500), no network;
 *   4. with BENCH_SMTP_URL=smtp://host:port, smtp_send() of those N3 mails
 *      to that relay (bench/mail_bench.sh starts a sink for it).
 * Prints messages/s, p50/p99 per message, the CPU split between this
 * process and its gpg children, and peak RSS. Acknowledgements are off, so
 * intake needs no relay. Prints, never asserts a duration; exits 1 only
 * when a path fails outright (figures of failures measure nothing).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mail/compose.h"
#include "mail/intake.h"
#include "mail/mime.h"
#include "mail/outbound.h"
#include "mail/pgp.h"
#include "mail/smtp.h"
#include "store/store.h"

#define REPORTER_NAME "Reporter Bench"
#define REPORTER_ADDR "abuse@reporter.example.net"
#define BODY_SIZE     (10 * 1024)

static char dir[256];
static char gnupg[sizeof(dir) + 16];

static long
env_long(const char *name, long dflt)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return dflt;
	v = strtol(s, &end, 10);
	return *end == '\0' && v > 0 ? v : dflt;
}

/* A realistic abuse report body of about BODY_SIZE bytes: paragraphs of
 * prose with URLs, addresses, log lines; line `i` varies so every message
 * (and its raw hash) differs. */
static char *
report_text(long i)
{
	static const char *const para[] = {
	    "Hello,\n\nWe are the abuse desk of a hosting provider. Our "
	    "monitoring detected a phishing kit imitating an online banking "
	    "login page on a host in your constituency. The kit collects "
	    "credentials and forwards them to a drop address by e-mail. We "
	    "kindly ask you to notify the owner of the site and have the "
	    "content removed.\n",
	    "Phishing URL: hxxps://secure-login.example-bank.com.verify-"
	    "account.example.net/online/signin.php?session=8f2a9c\n"
	    "Landing page: https://203.0.113.45/~admin/wp-content/uploads/"
	    "2026/11/bank/index.html\n"
	    "Drop: https://paste.example.org/raw/Zx81kQ and "
	    "http://198.51.100.23:8080/gate.php\n",
	    "The server at 203.0.113.45 (AS64500) also scans SSH on our "
	    "network. Log excerpt, times in UTC:\n"
	    "2026-11-23T08:14:02Z sshd[41233]: Failed password for root from "
	    "203.0.113.45 port 52814 ssh2\n"
	    "2026-11-23T08:14:05Z sshd[41235]: Failed password for admin "
	    "from 203.0.113.45 port 52820 ssh2\n"
	    "2026-11-23T08:14:09Z sshd[41240]: Invalid user oracle from "
	    "203.0.113.45 port 52838\n"
	    "2026-11-23T08:15:44Z kernel: [UFW BLOCK] IN=eth0 SRC=2001:db8:"
	    "4f::17 DST=192.0.2.10 PROTO=TCP DPT=23\n",
	    "Related indicators: md5 44d88612fea8a8f36de82e1278abb02f, "
	    "sha256 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aab"
	    "f651fd0f, domains login-example-bank[.]com, cdn.update-check"
	    "[.]net, and the sender address billing@invoices.example.com "
	    "used in the lure. The kit was downloaded from "
	    "https://github.example.com/kits/bank-2026.zip at 07:58 UTC.\n",
	    "Please treat this report as TLP:AMBER. We can provide full "
	    "packet captures on request. If the site is not cleaned within "
	    "48 hours we will block the address range 203.0.113.0/24 at our "
	    "edge, which would affect other customers of that provider.\n",
	};
	char *out = xmalloc(BODY_SIZE + 2048);
	size_t o = 0;

	o += (size_t)snprintf(out + o, BODY_SIZE + 2048 - o,
	                      "Case %ld, observed by sensor s%ld.example.net "
	                      "at 10.%ld.%ld.%ld\n\n",
	                      i, i % 97, (i >> 16) & 255, (i >> 8) & 255,
	                      i & 255);
	for (size_t k = 0; o < BODY_SIZE; k++)
		o += (size_t)snprintf(
		    out + o, BODY_SIZE + 2048 - o, "%s\n",
		    para[k % (sizeof(para) / sizeof(para[0]))]);
	snprintf(out + o, BODY_SIZE + 2048 - o,
	         "Best regards,\nAbuse Desk, Example Hosting\n+34 900 000 "
	         "000\n");
	return out;
}

/* The raw message an MTA would hand over, with LF line ends. */
static char *
plain_message(long i, size_t *len)
{
	char *text = report_text(i), *raw;
	size_t cap = strlen(text) + 2048;
	int n;

	raw = xmalloc(cap);
	n = snprintf(
	    raw, cap,
	    "Return-Path: <" REPORTER_ADDR ">\n"
	    "Received: from mx1.reporter.example.net (mx1.reporter."
	    "example.net [198.51.100.7])\n\tby mail.example.org "
	    "(Postfix) with ESMTPS id 4Xk2%06lx\n\tfor "
	    "<csirt@example.org>; Mon, 23 Nov 2026 09:12:%02ld +0000\n"
	    "Received: from desk.reporter.example.net (desk [10.0.0.8])"
	    "\n\tby mx1.reporter.example.net with ESMTP id %ld;\n\tMon, "
	    "23 Nov 2026 09:12:00 +0000\n"
	    "From: " REPORTER_NAME " <" REPORTER_ADDR ">\n"
	    "To: CSIRT <csirt@example.org>\n"
	    "Subject: Phishing site and SSH scanning from 203.0.113.45 "
	    "(case %ld)\n"
	    "Date: Mon, 23 Nov 2026 09:12:00 +0000\n"
	    "Message-ID: <bench-%ld-%ld@reporter.example.net>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Content-Language: en\n"
	    "\n%s",
	    (unsigned long)i, i % 60, i, i, (long)getpid(), i, text);
	free(text);
	*len = (size_t)n;
	return raw;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Wall clock and CPU (self, waited-for children: the gpg processes gpgme
 * runs) at the start of a phase. */
struct mark {
	double wall, self, kids;
};

static double
tv(struct timeval t)
{
	return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static struct mark
mark_now(void)
{
	struct rusage s, c;

	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	return (struct mark){clock_mono(), tv(s.ru_utime) + tv(s.ru_stime),
	                     tv(c.ru_utime) + tv(c.ru_stime)};
}

static void
report(const char *label, const char *unit, double *lat, long n, struct mark m0)
{
	struct mark m1 = mark_now();
	struct rusage ru;
	double wall = m1.wall - m0.wall;

	qsort(lat, (size_t)n, sizeof(lat[0]), cmp_double);
	getrusage(RUSAGE_SELF, &ru);
	printf("  %-34s %6ld %s  %8.1f %s/s  p50 %7.2f ms  p99 %7.2f ms\n",
	       label, n, unit, (double)n / wall, unit, lat[n / 2] * 1e3,
	       lat[n * 99 / 100] * 1e3);
	printf("  %-34s wall %.2f s, CPU %.2f s here + %.2f s in gpg "
	       "children; peak RSS %.1f MiB\n",
	       "", wall, m1.self - m0.self, m1.kids - m0.kids,
	       (double)ru.ru_maxrss / 1024);
	fflush(stdout);
}

/* Takes in n raw messages, each in its own transaction and arena. */
static int
bench_intake(struct store *st, struct arena *a, const struct config *cfg,
             char **raw, const size_t *len, long n, const char *label)
{
	double *lat = xmalloc(sizeof(*lat) * (size_t)n);
	struct mark m0 = mark_now();
	long other = 0;

	for (long i = 0; i < n; i++) {
		struct intake_result res;
		enum cs_err err;
		double t;

		arena_reset(a);
		t = clock_mono();
		err = mail_intake(st, a, cfg, raw[i], len[i], false, "bench",
		                  &res);
		lat[i] = clock_mono() - t;
		if (err != CS_OK) {
			fprintf(stderr, "bench_mail: intake %ld failed: %s\n",
			        i, cs_err_str(err));
			free(lat);
			return 1;
		}
		if (strcmp(res.outcome, "report") != 0 && other++ == 0)
			fprintf(stderr,
			        "bench_mail: message %ld was taken in as %s "
			        "(%s)\n",
			        i, res.outcome, res.reason ? res.reason : "-");
	}
	report(label, "msgs", lat, n, m0);
	if (other > 0)
		printf("  (%ld of %ld messages were not taken in as reports: "
		       "figures are not those of the report path)\n",
		       other, n);
	free(lat);
	return 0;
}

/* Checks one PGP message decrypts and verifies as intended, so the timed
 * loop measures the crypto path and not a quarantine. */
static int
check_pgp(struct arena *a, const char *raw, size_t len)
{
	struct mime_msg m;
	const char *why = NULL;

	arena_reset(a);
	if (mime_parse(a, raw, len, 0, &m, &why) != CS_OK) {
		fprintf(stderr, "bench_mail: PGP message unreadable: %s\n",
		        why ? why : "?");
		return 1;
	}
	printf("  check: encrypted=%s signature=%s signer=%s, %zu bytes of "
	       "text\n",
	       m.encrypted ? "yes" : "no", mime_sig_name(m.signature),
	       m.signer_uid, strlen(m.text));
	if (!m.encrypted || m.signature != MIME_SIG_GOOD) {
		fprintf(stderr, "bench_mail: the PGP message did not decrypt "
		                "and verify\n");
		return 1;
	}
	return 0;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Stops the gpg-agent (and dirmngr) that gpgme started for our home. */
static void
kill_agent(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		setenv("GNUPGHOME", gnupg, 1);
		execlp("gpgconf", "gpgconf", "--kill", "all", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void
cleanup(void)
{
	kill_agent();
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
run(void)
{
	long n = env_long("BENCH_MAIL_N", 2000);
	long n2 = env_long("BENCH_MAIL_PGP_N", 200);
	long n3 = env_long("BENCH_MAIL_COMPOSE_N", 500);
	const char *smtp_url = getenv("BENCH_SMTP_URL");
	char url[sizeof(dir) + 32], why[256];
	const char *cwhy = NULL;
	struct config cfg;
	struct store *st;
	struct arena *a = arena_new(64u << 20);
	struct pgp_key_info reporter;
	char *team_pub, **raw, **out;
	size_t *len, *out_len;
	struct mark m0;
	double *lat, t;
	int applied, rc = 1;

	config_defaults(&cfg);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	snprintf(cfg.team_name, sizeof(cfg.team_name), "Bench CSIRT");
	snprintf(cfg.team_code, sizeof(cfg.team_code), "BENCH");
	snprintf(cfg.team_email, sizeof(cfg.team_email), "csirt@example.org");
	cfg.mail_ack = false; /* no relay needed for intake */
	cfg.mail_sign = true;

	snprintf(url, sizeof(url), "sqlite:%s/csirtd.db", dir);
	if (store_open(url, &st) != CS_OK ||
	    store_call(st, migrate, false, NULL, NULL, &applied) != CS_OK) {
		fprintf(stderr, "bench_mail: cannot open the store %s\n", url);
		return 1;
	}
	mime_init();
	t = clock_mono();
	if (pgp_init(gnupg, why, sizeof(why)) != CS_OK ||
	    outbound_init(&cfg, why, sizeof(why)) != CS_OK ||
	    pgp_team_key(REPORTER_NAME, REPORTER_ADDR, &reporter, why,
	                 sizeof(why)) != CS_OK ||
	    smtp_global_init() != CS_OK) {
		fprintf(stderr, "bench_mail: OpenPGP: %s\n", why);
		goto out_store;
	}
	if (pgp_export_public(a, outbound_team_fpr(), &team_pub, why,
	                      sizeof(why)) != CS_OK) {
		fprintf(stderr, "bench_mail: %s\n", why);
		goto out_store;
	}
	team_pub = xstrdup(team_pub);
	printf("e-mail paths, SQLite store in %s (synchronous=FULL)\n", dir);
	printf("  setup: team and reporter keys (Ed25519/Cv25519) in %.2f s\n",
	       clock_mono() - t);

	/* 1. plain reports */
	raw = xmalloc(sizeof(*raw) * (size_t)n);
	len = xmalloc(sizeof(*len) * (size_t)n);
	for (long i = 0; i < n; i++)
		raw[i] = plain_message(i, &len[i]);
	printf("intake of plain-text reports (%zu bytes each)\n", len[0]);
	if (bench_intake(st, a, &cfg, raw, len, n, "mail_intake, plain") != 0)
		goto out_plain;

	/* 2. signed and encrypted reports; the same text as plain, the
	 * PGP/MIME message is built by compose_mail() as a reporter's client
	 * would */
	{
		char **praw = xmalloc(sizeof(*praw) * (size_t)n2);
		size_t *plen = xmalloc(sizeof(*plen) * (size_t)n2);
		const char *const to[] = {cfg.team_email};
		const char *const keys[] = {team_pub};
		long built = 0;

		lat = xmalloc(sizeof(*lat) * (size_t)n2);
		m0 = mark_now();
		for (; built < n2; built++) {
			char *text = report_text(n + built), *msg;
			char mid[96], subj[128];
			struct compose_in in = {.from_name = REPORTER_NAME,
			                        .from_addr = REPORTER_ADDR,
			                        .to = to,
			                        .n_to = 1,
			                        .subject = subj,
			                        .text = text,
			                        .message_id = mid,
			                        .language = "en",
			                        .date = clock_now(),
			                        .sign_fpr =
			                            reporter.fingerprint,
			                        .encrypt_keys = keys,
			                        .n_encrypt_keys = 1};
			enum cs_err err;

			snprintf(mid, sizeof(mid),
			         "bench-pgp-%ld-%ld@reporter.example.net",
			         built, (long)getpid());
			snprintf(subj, sizeof(subj),
			         "Phishing site and SSH scanning (case %ld)",
			         n + built);
			arena_reset(a);
			t = clock_mono();
			err = compose_mail(a, &in, &msg, &plen[built], &cwhy);
			lat[built] = clock_mono() - t;
			free(text);
			if (err != CS_OK) {
				fprintf(stderr,
				        "bench_mail: compose (encrypted) "
				        "failed: %s\n",
				        cwhy ? cwhy : "?");
				break;
			}
			praw[built] = xmalloc(plen[built]);
			memcpy(praw[built], msg, plen[built]);
		}
		if (built == n2) {
			printf("signed and encrypted PGP/MIME reports (%zu "
			       "bytes each)\n",
			       plen[0]);
			report("compose_mail, sign+encrypt (build)", "msgs",
			       lat, n2, m0);
			if (check_pgp(a, praw[0], plen[0]) == 0 &&
			    bench_intake(st, a, &cfg, praw, plen, n2,
			                 "mail_intake, PGP/MIME") == 0)
				rc = 0;
		}
		for (long i = 0; i < built; i++)
			free(praw[i]);
		free(praw);
		free(plen);
		free(lat);
		if (rc != 0)
			goto out_plain;
		rc = 1;
	}

	/* 3. signed outbound mail, kept for 4. */
	out = xmalloc(sizeof(*out) * (size_t)n3);
	out_len = xmalloc(sizeof(*out_len) * (size_t)n3);
	lat = xmalloc(sizeof(*lat) * (size_t)n3);
	{
		const char *const to[] = {REPORTER_ADDR};
		const char *const refs[] = {"bench-0-1@reporter.example.net"};
		char *text = report_text(0);
		long built = 0;

		m0 = mark_now();
		for (; built < n3; built++) {
			char mid[96], *msg;
			struct compose_in in = {
			    .from_name = cfg.team_name,
			    .from_addr = cfg.team_email,
			    .to = to,
			    .n_to = 1,
			    .subject = "[BENCH #BENCH-2026-0001] Phishing site "
			               "and SSH scanning",
			    .text = text,
			    .message_id = mid,
			    .in_reply_to = refs[0],
			    .references = refs,
			    .n_references = 1,
			    .language = "en",
			    .date = clock_now(),
			    .sign_fpr = outbound_team_fpr()};
			enum cs_err err;

			snprintf(mid, sizeof(mid), "out-%ld-%ld@example.org",
			         built, (long)getpid());
			arena_reset(a);
			t = clock_mono();
			err =
			    compose_mail(a, &in, &msg, &out_len[built], &cwhy);
			lat[built] = clock_mono() - t;
			if (err != CS_OK) {
				fprintf(stderr,
				        "bench_mail: compose (signed) failed: "
				        "%s\n",
				        cwhy ? cwhy : "?");
				break;
			}
			out[built] = xmalloc(out_len[built]);
			memcpy(out[built], msg, out_len[built]);
		}
		free(text);
		if (built < n3) {
			for (long i = 0; i < built; i++)
				free(out[i]);
			goto out_out;
		}
	}
	printf("outbound mail, signed by the team key (%zu bytes each)\n",
	       out_len[0]);
	report("compose_mail, signed", "mails", lat, n3, m0);

	/* 4. to a relay */
	if (smtp_url != NULL && *smtp_url != '\0') {
		struct smtp_config sc = {.url = smtp_url,
		                         .tls_required = false,
		                         .timeout = 30,
		                         .helo = "bench.example.org"};
		const char *const rcpt[] = {REPORTER_ADDR};
		long sent = 0;

		m0 = mark_now();
		for (; sent < n3; sent++) {
			t = clock_mono();
			if (smtp_send(&sc, cfg.team_email, rcpt, 1, out[sent],
			              out_len[sent], why,
			              sizeof(why)) != CS_OK) {
				fprintf(stderr, "bench_mail: smtp_send: %s\n",
				        why);
				break;
			}
			lat[sent] = clock_mono() - t;
		}
		if (sent == n3) {
			printf("SMTP to %s, one connection per mail\n",
			       smtp_url);
			report("smtp_send, signed mails", "mails", lat, n3, m0);
			rc = 0;
		}
	} else {
		printf("smtp_send: skipped (set BENCH_SMTP_URL, or run "
		       "bench/mail_bench.sh)\n");
		rc = 0;
	}
	for (long i = 0; i < n3; i++)
		free(out[i]);
out_out:
	free(out);
	free(out_len);
	free(lat);
out_plain:
	for (long i = 0; i < n; i++)
		free(raw[i]);
	free(raw);
	free(len);
	free(team_pub);
out_store:
	store_close(st);
	arena_free(a);
	return rc;
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	log_init(LOG_LVL_WARN, false, "bench");
	/* short: gpg-agent's socket path lives under it */
	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 64)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/cs-mailbench-XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		perror("bench_mail: mkdtemp");
		return 1;
	}
	snprintf(gnupg, sizeof(gnupg), "%s/gnupg", dir);
	rc = run();
	cleanup();
	return rc;
}
