/*
 * test_compose.c - outbound mail with the real gpg: the team key, plain
 * messages read back with GMime, header injection, PGP/MIME signatures
 * checked with the gpg command line on the exact signed bytes, and
 * encryption to a key made by the gpg command line in a second home.
 */
/* GCC 12 reports a dangling pointer into read_text()'s result after
 * inlining g_file_get_contents(); the pointer is the heap copy it returns. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gmime/gmime.h>

#include "core/arena.h"
#include "mail/compose.h"
#include "mail/pgp.h"

#define TEAM_NAME "CSIRT Exemple"
#define TEAM_ADDR "csirt@example.org"
/* Tue, 14 Nov 2023 22:13:20 +0000 */
#define DATE 1700000000

static char team_home[] = "/tmp/cs-compose-team-XXXXXX";
static char rcpt_home[] = "/tmp/cs-compose-rcpt-XXXXXX";
static char other_home[] = "/tmp/cs-compose-other-XXXXXX";
static char work_dir[] = "/tmp/cs-compose-work-XXXXXX";
static struct pgp_key_info team;

/* ---- helpers ---- */

/* Runs argv (a NULL-terminated list) with stdout into out_path (or
 * /dev/null) and stderr into /dev/null; returns the exit status. */
static int
run_to(const char *out_path, const char *gnupghome, const char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int out = open(out_path != NULL ? out_path : "/dev/null",
		               O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int devnull = open("/dev/null", O_RDWR);

		if (out < 0 || devnull < 0)
			_exit(127);
		dup2(devnull, 0);
		dup2(out, 1);
		dup2(devnull, 2);
		size_t n = 0;
		char **v;

		while (argv[n] != NULL)
			n++;
		v = g_new0(char *, n + 1);
		for (size_t i = 0; i < n; i++)
			v[i] = g_strdup(argv[i]);
		if (gnupghome != NULL)
			setenv("GNUPGHOME", gnupghome, 1);
		execvp(v[0], v);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define RUN(...) run_to(NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_OUT(path, ...)                                                     \
	run_to(path, NULL, (const char *const[]){__VA_ARGS__, NULL})

static char *
path_in(const char *dir, const char *name)
{
	return g_strdup_printf("%s/%s", dir, name);
}

static void
write_bytes(const char *path, const char *data, size_t len)
{
	assert_true(g_file_set_contents(path, data, (gssize)len, NULL));
}

static char *
read_text(const char *path)
{
	gchar *s = NULL;
	gboolean ok = g_file_get_contents(path, &s, NULL, NULL);

	assert_true(ok);
	return s;
}

static GMimeMessage *
parse(const char *msg, size_t len)
{
	GMimeStream *stream =
	    g_mime_stream_mem_new_with_buffer(msg, (gssize)len);
	GMimeParser *parser = g_mime_parser_new_with_stream(stream);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);

	g_object_unref(parser);
	g_object_unref(stream);
	assert_non_null(m);
	return m;
}

/* Every LF follows a CR and every CR precedes an LF. */
static bool
all_crlf(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return false;
		if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
			return false;
	}
	return true;
}

/* The length of the longest line, without its CRLF. */
static size_t
max_line(const char *s)
{
	size_t max = 0;

	for (const char *eol; (eol = strstr(s, "\r\n")) != NULL; s = eol + 2)
		if ((size_t)(eol - s) > max)
			max = (size_t)(eol - s);
	return max;
}

/* The value of header name in the top-level header block, unfolded. */
static char *
raw_header(const char *msg, const char *name)
{
	char *key = g_strdup_printf("\r\n%s: ", name);
	const char *end = strstr(msg, "\r\n\r\n");
	const char *p = strstr(msg, key);
	GString *v = g_string_new(NULL);

	assert_non_null(end);
	if (p == NULL || p > end) {
		g_free(key);
		g_string_free(v, TRUE);
		return NULL;
	}
	p += strlen(key);
	for (;;) {
		const char *eol = strstr(p, "\r\n");

		g_string_append_len(v, p, eol - p);
		p = eol + 2;
		if (*p != ' ' && *p != '\t')
			break;
	}
	g_free(key);
	return g_string_free(v, FALSE);
}

/* The decoded text of a text/plain entity, without CRs, is want. */
static void
assert_text(GMimeObject *obj, const char *want)
{
	char *text;
	GString *s = g_string_new(NULL);

	assert_true(GMIME_IS_TEXT_PART(obj));
	assert_string_equal(
	    g_mime_object_get_content_type_parameter(obj, "charset"), "utf-8");
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(obj));
	for (const char *p = text; *p; p++)
		if (*p != '\r')
			g_string_append_c(s, *p);
	assert_string_equal(s->str, want);
	g_string_free(s, TRUE);
	g_free(text);
}

static const char *const to_one[] = {"abuse@isp.example.net"};
static const char *const refs[] = {"first.1@example.com",
                                   "second.2@example.com"};

static struct compose_in
base_in(void)
{
	struct compose_in in = {
	    .from_name = "CSIRT Exemple — Équipe",
	    .from_addr = TEAM_ADDR,
	    .to = to_one,
	    .n_to = 1,
	    .subject = "Notificació d'incident — ñ",
	    .text = "Bon dia,\n\nHem detectat activitat maliciosa des de "
	            "192.0.2.7 — ñ.\nSalutacions\n",
	    .message_id = "20231114.abc123@csirt.example.org",
	    .in_reply_to = "second.2@example.com",
	    .references = refs,
	    .n_references = 2,
	    .language = "ca",
	    .date = DATE,
	};
	return in;
}

static char *
gpg_fpr(const char *home)
{
	char *list = path_in(work_dir, "list.txt");
	char *text, *line, *fpr = NULL;

	assert_int_equal(RUN_OUT(list, "gpg", "--homedir", home, "--batch",
	                         "--with-colons", "--list-keys"),
	                 0);
	text = read_text(list);
	{
		/* fpr:::::::::FINGERPRINT: */
		size_t at = (size_t)(strstr(text, "\nfpr:") - text);

		assert_true(at < strlen(text));
		line = text + at + 1;
	}
	for (int i = 0; i < 9; i++)
		line = strchr(line, ':') + 1;
	fpr = g_strndup(line, (gsize)(strchr(line, ':') - line));
	g_free(text);
	g_free(list);
	return fpr;
}

/* A key pair made by the gpg command line in home; its armoured public
 * key. With faked (a time in the past) the key expired a day after. */
static char *
gpg_make_key(const char *home, const char *uid, bool encr, const char *faked)
{
	char *exp = path_in(work_dir, "export.asc");
	const char *when = faked != NULL ? "1d" : "never";
	/* --faked-system-time is given the real time when not faking */
	char *now = g_strdup_printf("%lld", (long long)time(NULL));
	const char *at = faked != NULL ? faked : now;
	char *fpr, *armored;

	assert_int_equal(RUN("gpg", "--homedir", home, "--batch",
	                     "--passphrase", "", "--faked-system-time", at,
	                     "--quick-gen-key", uid, "ed25519", "sign", when),
	                 0);
	fpr = gpg_fpr(home);
	if (encr)
		assert_int_equal(RUN("gpg", "--homedir", home, "--batch",
		                     "--passphrase", "", "--faked-system-time",
		                     at, "--quick-add-key", fpr, "cv25519",
		                     "encr", when),
		                 0);
	assert_int_equal(RUN_OUT(exp, "gpg", "--homedir", home, "--batch",
	                         "--armor", "--export", fpr),
	                 0);
	armored = read_text(exp);
	g_free(now);
	g_free(fpr);
	g_free(exp);
	return armored;
}

/* ---- fixture ---- */

static int
setup(void **state)
{
	char why[256];
	enum cs_err err;

	(void)state;
	g_mime_init();
	if (mkdtemp(team_home) == NULL || mkdtemp(rcpt_home) == NULL ||
	    mkdtemp(other_home) == NULL || mkdtemp(work_dir) == NULL)
		return -1;
	if ((err = pgp_init(team_home, why, sizeof(why))) != CS_OK) {
		fprintf(stderr, "pgp_init: %s\n", why);
		return -1;
	}
	if ((err = pgp_team_key(TEAM_NAME, TEAM_ADDR, &team, why,
	                        sizeof(why))) != CS_OK) {
		fprintf(stderr, "pgp_team_key: %s\n", why);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	const char *dirs[] = {team_home, rcpt_home, other_home};

	(void)state;
	for (size_t i = 0; i < 3; i++)
		run_to(NULL, dirs[i],
		       (const char *const[]){"gpgconf", "--kill", "all", NULL});
	RUN("rm", "-rf", team_home, rcpt_home, other_home, work_dir);
	return 0;
}

/* ---- the team key ---- */

static void
test_team_key(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct pgp_key_info again, inspected;
	char why[256], *armored = NULL;

	(void)state;
	assert_int_equal(strlen(team.fingerprint), 40);
	for (size_t i = 0; i < 40; i++)
		assert_true(
		    g_ascii_isdigit(team.fingerprint[i]) ||
		    (team.fingerprint[i] >= 'A' && team.fingerprint[i] <= 'F'));
	assert_string_equal(team.uid, TEAM_NAME " <" TEAM_ADDR ">");
	assert_int_equal(team.expires, 0);

	/* found, not created again */
	assert_int_equal(
	    pgp_team_key(TEAM_NAME, TEAM_ADDR, &again, why, sizeof(why)),
	    CS_OK);
	assert_string_equal(again.fingerprint, team.fingerprint);

	assert_int_equal(
	    pgp_export_public(a, team.fingerprint, &armored, why, sizeof(why)),
	    CS_OK);
	assert_non_null(strstr(armored, "-----BEGIN PGP PUBLIC KEY BLOCK"));
	assert_null(strstr(armored, "PRIVATE"));
	assert_int_equal(pgp_key_inspect(armored, &inspected, why, sizeof(why)),
	                 CS_OK);
	assert_string_equal(inspected.fingerprint, team.fingerprint);
	assert_string_equal(inspected.uid, team.uid);

	/* bad user ids and fingerprints */
	assert_int_equal(
	    pgp_team_key("x\r\nBcc: y", TEAM_ADDR, &again, why, sizeof(why)),
	    CS_E_INVAL);
	assert_int_equal(
	    pgp_team_key(TEAM_NAME, "a <b@c>", &again, why, sizeof(why)),
	    CS_E_INVAL);
	assert_int_equal(
	    pgp_export_public(a, "not-a-fpr", &armored, why, sizeof(why)),
	    CS_E_INVAL);
	assert_int_equal(
	    pgp_export_public(a, "0123456789ABCDEF0123456789ABCDEF01234567",
	                      &armored, why, sizeof(why)),
	    CS_E_NOTFOUND);
	arena_free(a);
}

/* ---- plain messages ---- */

static const char long_subject[] =
    "Notificació d'incident — ñ: activitat maliciosa persistent des de "
    "diverses adreces del vostre rang, incloent-hi 192.0.2.7, 192.0.2.8 i "
    "198.51.100.23, amb connexions cap a servidors de comandament i control";
static const char long_text[] =
    "Una línia molt llarga que supera amb escreix els setanta-vuit caràcters "
    "permesos per línia en quoted-printable i que per tant s'ha de partir.\n"
    "From here on, a line that mbox would mangle.\n"
    "trailing spaces   \n";

static void
test_plain(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct compose_in in = base_in();
	const char *why = "unset";
	char *out, *h;
	size_t len;
	GMimeMessage *m;
	InternetAddressList *from;

	(void)state;
	in.auto_replied = true;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_OK);
	assert_null(why);
	assert_int_equal(strlen(out), len);
	assert_true(all_crlf(out, len));
	assert_true(max_line(out) <= 78);

	/* headers, raw */
	assert_true(strncmp(out, "From: ", 6) == 0);
	h = raw_header(out, "Subject");
	assert_non_null(h);
	assert_non_null(strcasestr(h, "=?utf-8?"));
	for (const char *p = h; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	g_free(h);
	h = raw_header(out, "Date");
	assert_string_equal(h, "Tue, 14 Nov 2023 22:13:20 +0000");
	g_free(h);
	h = raw_header(out, "Message-Id");
	assert_string_equal(h, "<20231114.abc123@csirt.example.org>");
	g_free(h);
	h = raw_header(out, "In-Reply-To");
	assert_string_equal(h, "<second.2@example.com>");
	g_free(h);
	h = raw_header(out, "References");
	assert_string_equal(h, "<first.1@example.com> <second.2@example.com>");
	g_free(h);
	h = raw_header(out, "MIME-Version");
	assert_string_equal(h, "1.0");
	g_free(h);
	h = raw_header(out, "Content-Language");
	assert_string_equal(h, "ca");
	g_free(h);
	h = raw_header(out, "Auto-Submitted");
	assert_string_equal(h, "auto-replied");
	g_free(h);
	h = raw_header(out, "To");
	assert_string_equal(h, "abuse@isp.example.net");
	g_free(h);
	h = raw_header(out, "Content-Transfer-Encoding");
	assert_string_equal(h, "quoted-printable");
	g_free(h);
	h = raw_header(out, "Content-Type");
	assert_non_null(strstr(h, "text/plain"));
	assert_non_null(strstr(h, "charset=utf-8"));
	g_free(h);
	/* the whole message is 7-bit */
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)out[i] < 0x80);

	/* read back with GMime: RFC 2047 and quoted-printable round-trip */
	m = parse(out, len);
	assert_string_equal(g_mime_message_get_subject(m),
	                    "Notificació d'incident — ñ");
	from = g_mime_message_get_from(m);
	assert_int_equal(internet_address_list_length(from), 1);
	assert_string_equal(internet_address_get_name(
	                        internet_address_list_get_address(from, 0)),
	                    "CSIRT Exemple — Équipe");
	assert_string_equal(
	    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
	        internet_address_list_get_address(from, 0))),
	    TEAM_ADDR);
	assert_text(g_mime_message_get_mime_part(m), in.text);
	g_object_unref(m);

	/* long lines are folded (headers) and soft-broken (body); a name
	 * with specials is quoted */
	in.subject = long_subject;
	in.text = long_text;
	in.from_name = "Team \"X\", Inc.";
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_OK);
	assert_true(all_crlf(out, len));
	assert_true(max_line(out) <= 78);
	m = parse(out, len);
	assert_string_equal(g_mime_message_get_subject(m), long_subject);
	from = g_mime_message_get_from(m);
	assert_string_equal(internet_address_get_name(
	                        internet_address_list_get_address(from, 0)),
	                    "Team \"X\", Inc.");
	assert_text(g_mime_message_get_mime_part(m), long_text);
	g_object_unref(m);

	/* no Auto-Submitted unless asked; no In-Reply-To when NULL */
	in.auto_replied = false;
	in.in_reply_to = NULL;
	in.n_references = 0;
	in.language = NULL;
	in.from_name = NULL;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_OK);
	assert_null(strstr(out, "Auto-Submitted"));
	assert_null(strstr(out, "In-Reply-To"));
	assert_null(strstr(out, "References"));
	assert_null(strstr(out, "Content-Language"));
	arena_free(a);
}

static void
test_injection(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct compose_in in;
	const char *why;
	char *out = NULL;
	size_t len = 0;
	static const char *const bad_to[][1] = {
	    {"x\r\nBcc: y@example.net"},
	    {"a@example.net, b@example.net"},
	    {"Name <a@example.net>"},
	    {"a@example.net\n"},
	    {"no-at-sign"},
	    {"a@@example.net"},
	    {"a@-example.net"},
	    {"a@exa mple.net"},
	    {".a@example.net"},
	    {""},
	};
	const struct compose_attachment bad_att = {
	    .filename = "x\r\nBcc: y",
	    .content_type = "text/plain",
	    .data = (const unsigned char *)"x",
	    .size = 1,
	};
	const struct compose_attachment bad_type = {
	    .filename = "x.txt",
	    .content_type = "text/plain\r\nBcc: y",
	    .data = (const unsigned char *)"x",
	    .size = 1,
	};
	static const char *const bad_refs[] = {"ok@example.com",
	                                       "x\r\nBcc: y@example.com"};

	(void)state;
#define EXPECT_INVAL()                                                         \
	do {                                                                   \
		why = NULL;                                                    \
		assert_int_equal(compose_mail(a, &in, &out, &len, &why),       \
		                 CS_E_INVAL);                                  \
		assert_non_null(why);                                          \
		assert_null(out);                                              \
	} while (0)

	in = base_in();
	in.subject = "x\r\nBcc: y";
	EXPECT_INVAL();
	in.subject = "x\nBcc: y";
	EXPECT_INVAL();
	in.subject = "x\rBcc: y";
	EXPECT_INVAL();
	in.subject = "not utf-8 \xff";
	EXPECT_INVAL();

	in = base_in();
	in.from_name = "Team\r\nBcc: y@example.net";
	EXPECT_INVAL();
	in = base_in();
	in.from_addr = "csirt@example.org\r\nBcc: y@example.net";
	EXPECT_INVAL();
	for (size_t i = 0; i < sizeof(bad_to) / sizeof(bad_to[0]); i++) {
		in = base_in();
		in.to = bad_to[i];
		EXPECT_INVAL();
	}
	in = base_in();
	in.message_id = "x\r\nBcc: y@example.com";
	EXPECT_INVAL();
	in = base_in();
	in.message_id = "<brackets@example.com>";
	EXPECT_INVAL();
	in = base_in();
	in.in_reply_to = "x\nBcc: y@example.com";
	EXPECT_INVAL();
	in = base_in();
	in.references = bad_refs;
	EXPECT_INVAL();
	in = base_in();
	in.language = "ca\r\nBcc: y";
	EXPECT_INVAL();
	in = base_in();
	in.attachments = &bad_att;
	in.n_attachments = 1;
	EXPECT_INVAL();
	in.attachments = &bad_type;
	EXPECT_INVAL();
	in = base_in();
	in.sign_fpr = "not a fingerprint";
	EXPECT_INVAL();
	in = base_in();
	in.n_to = 0;
	EXPECT_INVAL();
#undef EXPECT_INVAL
	arena_free(a);
}

static void
test_attachments(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct compose_in in = base_in();
	unsigned char bin[1000];
	const struct compose_attachment att[] = {
	    {"ioc list — ñ.csv", "text/csv",
	     (const unsigned char *)"ip\r\n192.0.2.7\r\n", 15},
	    {"sample.bin", "application/octet-stream", bin, sizeof(bin)},
	};
	const char *why;
	char *out;
	size_t len;
	GMimeMessage *m;
	GMimeMultipart *mixed;
	GMimeObject *top;

	(void)state;
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (unsigned char)(i * 7 + 3);
	in.attachments = att;
	in.n_attachments = 2;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_OK);
	assert_true(all_crlf(out, len));
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)out[i] < 0x80);
	m = parse(out, len);
	top = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_MULTIPART(top));
	mixed = GMIME_MULTIPART(top);
	assert_int_equal(g_mime_multipart_get_count(mixed), 3);
	assert_text(g_mime_multipart_get_part(mixed, 0), in.text);
	for (int i = 1; i < 3; i++) {
		GMimePart *p = GMIME_PART(g_mime_multipart_get_part(mixed, i));
		GMimeStream *dec = g_mime_stream_mem_new();
		GByteArray *ba;

		assert_string_equal(g_mime_part_get_filename(p),
		                    att[i - 1].filename);
		assert_int_equal(g_mime_part_get_content_encoding(p),
		                 GMIME_CONTENT_ENCODING_BASE64);
		assert_true(g_mime_data_wrapper_write_to_stream(
		                g_mime_part_get_content(p), dec) >= 0);
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(dec));
		assert_int_equal(ba->len, att[i - 1].size);
		assert_memory_equal(ba->data, att[i - 1].data, ba->len);
		g_object_unref(dec);
	}
	g_object_unref(m);
	arena_free(a);
}

/* ---- PGP/MIME ---- */

/* Splits a multipart/signed message (CRLF) into its first part's exact
 * bytes and the armoured signature. */
static void
split_signed(const char *msg, const char *boundary, char **part,
             size_t *part_len, char **sig)
{
	char *delim = g_strdup_printf("\r\n--%s\r\n", boundary);
	char *close = g_strdup_printf("\r\n--%s--", boundary);
	const char *hdr_end = strstr(msg, "\r\n\r\n");
	const char *start, *end, *sig_start, *sig_end;

	assert_non_null(hdr_end);
	start = strstr(hdr_end, delim);
	assert_non_null(start);
	start += strlen(delim);
	end = strstr(start, delim);
	assert_non_null(end);
	*part = g_strndup(start, (gsize)(end - start));
	*part_len = (size_t)(end - start);
	sig_start = strstr(end + strlen(delim), "\r\n\r\n");
	assert_non_null(sig_start);
	sig_start += 4;
	sig_end = strstr(sig_start, close);
	assert_non_null(sig_end);
	*sig = g_strndup(sig_start, (gsize)(sig_end - sig_start));
	g_free(delim);
	g_free(close);
}

static void
test_signed(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct compose_in in = base_in();
	const struct compose_attachment att = {
	    "report.txt", "text/plain",
	    (const unsigned char *)"From the logs:\n  é\n", 19};
	const char *why;
	char *out, *part, *sig, *h;
	char *part_path = path_in(work_dir, "part.txt");
	char *sig_path = path_in(work_dir, "sig.asc");
	size_t len, part_len;
	GMimeMessage *m;
	GMimeObject *top;

	(void)state;
	in.text = long_text;
	in.sign_fpr = team.fingerprint;
	in.attachments = &att;
	in.n_attachments = 1;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_OK);
	assert_true(all_crlf(out, len));
	h = raw_header(out, "Content-Type");
	assert_non_null(strstr(h, "multipart/signed"));
	assert_non_null(strstr(h, "micalg=pgp-sha256"));
	assert_non_null(strstr(h, "application/pgp-signature"));
	g_free(h);

	m = parse(out, len);
	top = g_mime_message_get_mime_part(m);
	assert_true(GMIME_IS_MULTIPART_SIGNED(top));
	assert_string_equal(
	    g_mime_object_get_content_type_parameter(top, "micalg"),
	    "pgp-sha256");
	split_signed(out, g_mime_multipart_get_boundary(GMIME_MULTIPART(top)),
	             &part, &part_len, &sig);
	g_object_unref(m);
	/* the signed entity is 7-bit: quoted-printable and base64 */
	for (size_t i = 0; i < part_len; i++)
		assert_true((unsigned char)part[i] < 0x80);
	assert_non_null(strstr(part, "multipart/mixed"));
	/* RFC 3156 section 3: no line of the signed part starts "From " */
	assert_null(strstr(part, "\r\nFrom "));
	assert_non_null(strstr(part, "\r\n=46rom here on"));
	assert_non_null(strstr(sig, "-----BEGIN PGP SIGNATURE-----"));

	write_bytes(part_path, part, part_len);
	write_bytes(sig_path, sig, strlen(sig));
	assert_int_equal(RUN("gpg", "--homedir", team_home, "--batch",
	                     "--verify", sig_path, part_path),
	                 0);
	/* one byte changed: the signature no longer holds */
	part[part_len / 2] = part[part_len / 2] == 'x' ? 'y' : 'x';
	write_bytes(part_path, part, part_len);
	assert_int_not_equal(RUN("gpg", "--homedir", team_home, "--batch",
	                         "--verify", sig_path, part_path),
	                     0);

	/* signing with a key that is not there is a gpg failure */
	in.sign_fpr = "0123456789ABCDEF0123456789ABCDEF01234567";
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_E_INTERNAL);
	assert_non_null(why);

	g_free(part);
	g_free(sig);
	g_free(part_path);
	g_free(sig_path);
	arena_free(a);
}

static void
test_encrypted(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct compose_in in = base_in();
	char *rcpt_key =
	    gpg_make_key(rcpt_home, "Rcpt <r@example.net>", true, NULL);
	const char *keys[1] = {rcpt_key};
	char *team_pub, *out, *h, *plain;
	char reason[256];
	char *enc_path = path_in(work_dir, "enc.asc");
	char *pub_path = path_in(work_dir, "team.asc");
	char *plain_path = path_in(work_dir, "plain.txt");
	char *status_path = path_in(work_dir, "status.txt");
	const char *why, *begin, *end, *status;
	size_t len;
	GMimeMessage *m;

	(void)state;
	in.text = "Please patch host 192.0.2.7 today.\n";
	in.sign_fpr = team.fingerprint;
	in.encrypt_keys = keys;
	in.n_encrypt_keys = 1;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_OK);
	assert_true(all_crlf(out, len));
	assert_null(strstr(out, "Please patch"));
	h = raw_header(out, "Content-Type");
	assert_non_null(strstr(h, "multipart/encrypted"));
	assert_non_null(strstr(h, "application/pgp-encrypted"));
	g_free(h);
	m = parse(out, len);
	assert_true(
	    GMIME_IS_MULTIPART_ENCRYPTED(g_mime_message_get_mime_part(m)));
	/* the outer headers stay readable */
	assert_string_equal(g_mime_message_get_subject(m),
	                    "Notificació d'incident — ñ");
	g_object_unref(m);

	begin = strstr(out, "-----BEGIN PGP MESSAGE-----");
	end = strstr(out, "-----END PGP MESSAGE-----");
	assert_non_null(begin);
	assert_non_null(end);
	end += strlen("-----END PGP MESSAGE-----");
	write_bytes(enc_path, begin, (size_t)(end - begin));

	/* the recipient knows the team key, so the inner signature checks */
	assert_int_equal(pgp_export_public(a, team.fingerprint, &team_pub,
	                                   reason, sizeof(reason)),
	                 CS_OK);
	write_bytes(pub_path, team_pub, strlen(team_pub));
	assert_int_equal(
	    RUN("gpg", "--homedir", rcpt_home, "--batch", "--import", pub_path),
	    0);
	assert_int_equal(RUN("gpg", "--homedir", rcpt_home, "--batch",
	                     "--status-file", status_path, "--output",
	                     plain_path, "--decrypt", enc_path),
	                 0);
	plain = read_text(plain_path);
	assert_non_null(strstr(plain, "Please patch host 192.0.2.7 today."));
	assert_non_null(strstr(plain, "text/plain"));
	g_free(plain);
	plain = read_text(status_path);
	status = plain;
	assert_non_null(strstr(status, "DECRYPTION_OKAY"));
	assert_non_null(strstr(status, "GOODSIG"));
	assert_non_null(strstr(status, team.fingerprint));
	g_free(plain);

	/* encrypted without signing */
	in.sign_fpr = NULL;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_OK);
	assert_non_null(strstr(out, "-----BEGIN PGP MESSAGE-----"));

	g_free(rcpt_key);
	g_free(enc_path);
	g_free(pub_path);
	g_free(plain_path);
	g_free(status_path);
	arena_free(a);
}

static void
test_bad_keys(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct compose_in in = base_in();
	char *sign_only =
	    gpg_make_key(other_home, "Signer <s@example.net>", false, NULL);
	char *expired = NULL;
	const char *keys[2];
	const char *why;
	char *out;
	size_t len;

	(void)state;
	in.sign_fpr = team.fingerprint;
	in.encrypt_keys = keys;
	in.n_encrypt_keys = 1;

	keys[0] = "garbage";
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_E_INVAL);
	assert_non_null(why);
	keys[0] = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n"
	          "-----END PGP PUBLIC KEY BLOCK-----\n";
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_E_INVAL);
	assert_non_null(strstr(why, "encryption key 1"));
	keys[0] = sign_only;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_E_INVAL);
	assert_non_null(strstr(why, "encryption subkey"));

	/* made in 2020, expired the next day */
	run_to(NULL, other_home,
	       (const char *const[]){"gpgconf", "--kill", "all", NULL});
	RUN("rm", "-rf", other_home);
	assert_int_equal(mkdir(other_home, 0700), 0);
	expired = gpg_make_key(other_home, "Old <old@example.net>", true,
	                       "20200101T000000!");
	keys[0] = expired;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_E_INVAL);
	assert_non_null(strstr(why, "expired"));

	/* one bad key among good ones spoils the message */
	keys[0] = sign_only;
	keys[1] = expired;
	in.n_encrypt_keys = 2;
	assert_int_equal(compose_mail(a, &in, &out, &len, &why), CS_E_INVAL);

	g_free(sign_only);
	g_free(expired);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_team_key),
	    cmocka_unit_test(test_plain),
	    cmocka_unit_test(test_injection),
	    cmocka_unit_test(test_attachments),
	    cmocka_unit_test(test_signed),
	    cmocka_unit_test(test_encrypted),
	    cmocka_unit_test(test_bad_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
