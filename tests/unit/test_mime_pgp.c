/*
 * test_mime_pgp.c - OpenPGP in inbound mail: PGP/MIME encrypted, signed,
 * signed inside encrypted, inline encrypted and clear-signed, tampered
 * content, an unknown signer and a message we cannot decrypt.
 *
 * Keys are generated with the gpg command line in temporary homes: the
 * team home (team key and a sender key, given to pgp_init()) and a
 * stranger home whose key the team does not have. The agents are killed
 * and the homes removed at the end. Skipped when gpg is not installed.
 */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/arena.h"
#include "mail/mime.h"
#include "mail/pgp.h"

extern char **environ;

static char dir[64], team_home[128], other_home[128];
static char team_fpr[64], sender_fpr[64], stranger_fpr[64];
static bool have_gpg;

/* Runs argv with stdout to out_path (or /dev/null); true on exit 0. */
static bool
run(const char *const argv[], const char *out_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0;
	bool ok;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1,
	                                 out_path ? out_path : "/dev/null",
	                                 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* posix_spawnp takes char *const[]: the strings are not modified */
	ok = posix_spawnp(&pid, argv[0], &fa, NULL,
	                  (char *const *)(uintptr_t)argv, environ) == 0 &&
	     waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	     WEXITSTATUS(st) == 0;
	posix_spawn_file_actions_destroy(&fa);
	return ok;
}

/* gpg in home with the batch options, then up to 10 more arguments. */
static bool
gpg(const char *home, const char *out_path, ...)
{
	const char *argv[24] = {
	    "gpg",      "--homedir",    home,       "--batch",
	    "--yes",    "--quiet",      "--no-tty", "--pinentry-mode",
	    "loopback", "--passphrase", "",         "--trust-model",
	    "always"};
	size_t n = 13;
	va_list ap;
	const char *s;

	va_start(ap, out_path);
	while ((s = va_arg(ap, const char *)) != NULL && n < 23)
		argv[n++] = s;
	va_end(ap);
	argv[n] = NULL;
	return run(argv, out_path);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
spit(const char *path, const char *s)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(s, 1, strlen(s), f), strlen(s));
	fclose(f);
}

static char *
path(const char *name)
{
	static char p[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Creates a key (and an encryption subkey when encr) for uid in home. */
static bool
make_key(const char *home, const char *uid, bool encr, char *fpr, size_t len)
{
	char *list, *line;

	if (!gpg(home, NULL, "--quick-gen-key", uid, "ed25519", "sign", "never",
	         NULL) ||
	    !gpg(home, path("keys.txt"), "--with-colons", "--list-keys", uid,
	         NULL))
		return false;
	list = slurp(path("keys.txt"));
	line = strstr(list, "\nfpr:");
	if (line == NULL) {
		free(list);
		return false;
	}
	line += 5;
	while (*line == ':')
		line++;
	snprintf(fpr, len, "%.40s", line);
	free(list);
	return !encr || gpg(home, NULL, "--quick-add-key", fpr, "cv25519",
	                    "encr", "never", NULL);
}

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	const char *const probe[] = {"gpg", "--version", NULL};
	char why[256];

	(void)state;
	mime_init();
	if (!run(probe, NULL)) {
		print_message("gpg is not installed: OpenPGP tests skipped\n");
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/csmime-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(team_home, sizeof(team_home), "%s/team", dir);
	snprintf(other_home, sizeof(other_home), "%s/other", dir);
	assert_int_equal(mkdir(team_home, 0700), 0);
	assert_int_equal(mkdir(other_home, 0700), 0);
	assert_true(make_key(team_home, "Team <team@example.org>", true,
	                     team_fpr, sizeof(team_fpr)));
	assert_true(make_key(team_home, "Sender <sender@example.net>", false,
	                     sender_fpr, sizeof(sender_fpr)));
	assert_true(make_key(other_home, "Stranger <stranger@example.com>",
	                     true, stranger_fpr, sizeof(stranger_fpr)));
	assert_int_equal(pgp_init(team_home, why, sizeof(why)), CS_OK);
	have_gpg = true;
	return 0;
}

static int
teardown(void **state)
{
	const char *const kill1[] = {"gpgconf", "--homedir", team_home,
	                             "--kill",  "all",       NULL};
	const char *const kill2[] = {"gpgconf", "--homedir", other_home,
	                             "--kill",  "all",       NULL};

	(void)state;
	if (!have_gpg)
		return 0;
	run(kill1, NULL);
	run(kill2, NULL);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

#define NEED_GPG()                                                             \
	do {                                                                   \
		if (!have_gpg)                                                 \
			skip();                                                \
	} while (0)

struct res {
	struct arena *a;
	struct mime_msg m;
	const char *why;
	enum cs_err err;
};

static void
parse(struct res *r, const char *raw)
{
	r->a = arena_new(4u << 20);
	r->err = mime_parse(r->a, raw, strlen(raw), 0, &r->m, &r->why);
}

/* A PGP/MIME encrypted message around an armoured block. */
static char *
encrypted_msg(const char *armored)
{
	static const char fmt[] =
	    "From: Sender <sender@example.net>\r\n"
	    "To: team@example.org\r\n"
	    "Subject: encrypted\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/encrypted; "
	    "protocol=\"application/pgp-encrypted\"; boundary=\"ENC\"\r\n\r\n"
	    "--ENC\r\nContent-Type: application/pgp-encrypted\r\n\r\n"
	    "Version: 1\r\n\r\n"
	    "--ENC\r\nContent-Type: application/octet-stream\r\n\r\n"
	    "%s\r\n--ENC--\r\n";
	size_t n = sizeof(fmt) + strlen(armored);
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, fmt, armored);
	return s;
}

/* A PGP/MIME signed message: content is signed by signer's key in home.
 * With body_only, just the multipart/signed entity (no message headers
 * besides its Content-Type). */
static char *
signed_msg(const char *home, const char *signer, const char *content,
           bool body_only)
{
	static const char fmt[] =
	    "%s"
	    "Content-Type: multipart/signed; micalg=pgp-sha256; "
	    "protocol=\"application/pgp-signature\"; boundary=\"SIG\"\r\n\r\n"
	    "--SIG\r\n%s\r\n"
	    "--SIG\r\nContent-Type: application/pgp-signature\r\n\r\n"
	    "%s\r\n--SIG--\r\n";
	const char *head = body_only ? ""
	                             : "From: Sender <sender@example.net>\r\n"
	                               "Subject: signed\r\n"
	                               "MIME-Version: 1.0\r\n";
	char *sig, *s;
	size_t n;

	spit(path("content.txt"), content);
	assert_true(gpg(home, NULL, "--armor", "--local-user", signer,
	                "--output", path("content.sig"), "--detach-sign",
	                path("content.txt"), NULL));
	sig = slurp(path("content.sig"));
	n = sizeof(fmt) + strlen(head) + strlen(content) + strlen(sig);
	s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, fmt, head, content, sig);
	free(sig);
	return s;
}

static const char signed_content[] =
    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    "Signed text: please block 203.0.113.5\r\n";

static void
test_encrypted_and_signed(void **state)
{
	struct res r;
	char *armored, *msg;

	(void)state;
	NEED_GPG();
	spit(path("inner.txt"), "Content-Type: text/plain; charset=utf-8\r\n"
	                        "\r\nSecret report: 192.0.2.1 is scanning "
	                        "us.\r\n");
	assert_true(gpg(team_home, NULL, "--armor", "--local-user", sender_fpr,
	                "--recipient", team_fpr, "--output", path("inner.asc"),
	                "--encrypt", "--sign", path("inner.txt"), NULL));
	armored = slurp(path("inner.asc"));
	msg = encrypted_msg(armored);
	parse(&r, msg);
	assert_int_equal(r.err, CS_OK);
	assert_true(r.m.encrypted);
	assert_string_equal(r.m.text, "Secret report: 192.0.2.1 is scanning "
	                              "us.");
	assert_int_equal(r.m.signature, MIME_SIG_GOOD);
	assert_string_equal(r.m.signer_fpr, sender_fpr);
	assert_string_equal(r.m.signer_uid, "Sender <sender@example.net>");
	assert_string_equal(r.m.subject, "encrypted");
	arena_free(r.a);
	free(msg);
	free(armored);
}

static void
test_signed_inside_encrypted(void **state)
{
	struct res r;
	char *inner, *armored, *msg;

	(void)state;
	NEED_GPG();
	inner = signed_msg(team_home, sender_fpr, signed_content, true);
	spit(path("signed.txt"), inner);
	assert_true(gpg(team_home, NULL, "--armor", "--recipient", team_fpr,
	                "--output", path("signed.asc"), "--encrypt",
	                path("signed.txt"), NULL));
	armored = slurp(path("signed.asc"));
	msg = encrypted_msg(armored);
	parse(&r, msg);
	assert_int_equal(r.err, CS_OK);
	assert_true(r.m.encrypted);
	assert_int_equal(r.m.signature, MIME_SIG_GOOD);
	assert_string_equal(r.m.signer_fpr, sender_fpr);
	assert_string_equal(r.m.text, "Signed text: please block 203.0.113.5");
	assert_int_equal(r.m.n_attachments, 0);
	arena_free(r.a);
	free(msg);
	free(armored);
	free(inner);
}

static void
test_signed(void **state)
{
	struct res r;
	char *msg, *p;

	(void)state;
	NEED_GPG();
	msg = signed_msg(team_home, sender_fpr, signed_content, false);
	parse(&r, msg);
	assert_int_equal(r.err, CS_OK);
	assert_false(r.m.encrypted);
	assert_int_equal(r.m.signature, MIME_SIG_GOOD);
	assert_string_equal(r.m.signer_fpr, sender_fpr);
	assert_string_equal(r.m.signer_uid, "Sender <sender@example.net>");
	assert_string_equal(r.m.text, "Signed text: please block 203.0.113.5");
	arena_free(r.a);

	/* one changed byte in the signed content */
	p = strstr(msg, "203.0.113.5");
	assert_non_null(p);
	p[10] = '6';
	parse(&r, msg);
	assert_int_equal(r.err, CS_OK);
	assert_int_equal(r.m.signature, MIME_SIG_BAD);
	assert_string_equal(r.m.text, "Signed text: please block 203.0.113.6");
	arena_free(r.a);

	/* MIME_NO_CRYPTO: present but unverified */
	r.a = arena_new(1 << 20);
	r.err = mime_parse(r.a, msg, strlen(msg), MIME_NO_CRYPTO, &r.m, &r.why);
	assert_int_equal(r.err, CS_OK);
	assert_int_equal(r.m.signature, MIME_SIG_ERROR);
	arena_free(r.a);
	free(msg);
}

static void
test_unknown_signer(void **state)
{
	struct res r;
	char *msg;

	(void)state;
	NEED_GPG();
	msg = signed_msg(other_home, stranger_fpr, signed_content, false);
	parse(&r, msg);
	assert_int_equal(r.err, CS_OK);
	assert_int_equal(r.m.signature, MIME_SIG_UNKNOWN_KEY);
	assert_string_equal(r.m.signer_uid, "");
	assert_string_equal(r.m.text, "Signed text: please block 203.0.113.5");
	arena_free(r.a);
	free(msg);
}

static void
test_not_for_us(void **state)
{
	struct res r;
	char *armored, *msg;

	(void)state;
	NEED_GPG();
	spit(path("secret.txt"), "Content-Type: text/plain\r\n\r\nnope\r\n");
	assert_true(gpg(other_home, NULL, "--armor", "--recipient",
	                stranger_fpr, "--output", path("secret.asc"),
	                "--encrypt", path("secret.txt"), NULL));
	armored = slurp(path("secret.asc"));
	msg = encrypted_msg(armored);
	parse(&r, msg);
	assert_int_equal(r.err, CS_E_INVAL);
	assert_true(strncmp(r.why, "cannot decrypt: ", 16) == 0);
	assert_true(strlen(r.why) > 16);
	assert_false(r.m.encrypted);
	arena_free(r.a);
	free(msg);

	/* the same, inline */
	msg = malloc(strlen(armored) + 64);
	assert_non_null(msg);
	snprintf(msg, strlen(armored) + 64, "From: x@example.com\r\n\r\n%s",
	         armored);
	parse(&r, msg);
	assert_int_equal(r.err, CS_E_INVAL);
	assert_true(strncmp(r.why, "cannot decrypt: ", 16) == 0);
	arena_free(r.a);
	free(msg);
	free(armored);
}

static void
test_inline(void **state)
{
	struct res r;
	char *armored, *msg;
	size_t n;

	(void)state;
	NEED_GPG();
	spit(path("inline.txt"), "Inline secret: evil.example.net\n");
	assert_true(gpg(team_home, NULL, "--armor", "--local-user", sender_fpr,
	                "--recipient", team_fpr, "--output", path("inline.asc"),
	                "--encrypt", "--sign", path("inline.txt"), NULL));
	armored = slurp(path("inline.asc"));
	n = strlen(armored) + 256;
	msg = malloc(n);
	assert_non_null(msg);
	snprintf(msg, n,
	         "From: Sender <sender@example.net>\r\nSubject: inline\r\n"
	         "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	         "Hello team,\r\n\r\n%s\r\nBye\r\n",
	         armored);
	parse(&r, msg);
	assert_int_equal(r.err, CS_OK);
	assert_true(r.m.encrypted);
	assert_string_equal(r.m.text, "Hello team,\n\nInline secret: "
	                              "evil.example.net\n\nBye");
	assert_int_equal(r.m.signature, MIME_SIG_GOOD);
	assert_string_equal(r.m.signer_fpr, sender_fpr);
	assert_string_equal(r.m.signer_uid, "Sender <sender@example.net>");
	arena_free(r.a);
	free(msg);
	free(armored);

	/* clear-signed */
	spit(path("clear.txt"), "Clear signed notice: 198.51.100.9\n");
	assert_true(gpg(team_home, NULL, "--local-user", sender_fpr, "--output",
	                path("clear.asc"), "--clearsign", path("clear.txt"),
	                NULL));
	armored = slurp(path("clear.asc"));
	n = strlen(armored) + 256;
	msg = malloc(n);
	assert_non_null(msg);
	snprintf(msg, n, "From: Sender <sender@example.net>\r\n\r\n%s",
	         armored);
	parse(&r, msg);
	assert_int_equal(r.err, CS_OK);
	assert_false(r.m.encrypted);
	assert_int_equal(r.m.signature, MIME_SIG_GOOD);
	assert_string_equal(r.m.signer_fpr, sender_fpr);
	assert_string_equal(r.m.text, "Clear signed notice: 198.51.100.9");
	arena_free(r.a);
	free(msg);
	free(armored);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encrypted_and_signed),
	    cmocka_unit_test(test_signed_inside_encrypted),
	    cmocka_unit_test(test_signed),
	    cmocka_unit_test(test_unknown_signer),
	    cmocka_unit_test(test_not_for_us),
	    cmocka_unit_test(test_inline),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
