/*
 * test_mime.c - inbound mail parsing over the tricky messages in
 * the .eml files of tests/unit/mail (charsets, encodings, nesting, forwarded
 * reports, HTML-only phishing, loop protection) and the size limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/text.h"
#include "mail/mime.h"

struct fx {
	struct arena *a;
	char *raw;
	size_t len;
	struct mime_msg m;
	const char *why;
};

static char *
load(const char *name, size_t *len)
{
	const char *dir = getenv("CS_SOURCE_DIR");
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/unit/mail/%s",
	         dir != NULL ? dir : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* Parses a corpus file; the result must be clean whatever it says. */
static enum cs_err
parse(struct fx *fx, const char *name)
{
	enum cs_err err;

	fx->raw = load(name, &fx->len);
	fx->a = arena_new(16u << 20);
	err = mime_parse(fx->a, fx->raw, fx->len, MIME_NO_CRYPTO, &fx->m,
	                 &fx->why);
	assert_non_null(fx->m.text);
	assert_true(utf8_is_valid(fx->m.text, strlen(fx->m.text)));
	assert_true(utf8_is_valid(fx->m.subject, strlen(fx->m.subject)));
	assert_non_null(fx->why);
	return err;
}

static void
done(struct fx *fx)
{
	arena_free(fx->a);
	free(fx->raw);
}

static void
contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("\"%s\" not found in \"%s\"", needle, hay);
}

static void
test_latin1_labelled_utf8(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "latin1_as_utf8.eml"), CS_OK);
	assert_string_equal(fx.m.text, "Informe d'incidència: accés no "
	                               "autoritzat al servidor 192.0.2.10");
	assert_string_equal(fx.m.message_id, "latin1@example.net");
	assert_string_equal(fx.m.from_addr, "reporter@example.net");
	assert_string_equal(fx.m.from_name, "Reporter");
	assert_int_equal(fx.m.date, 1715673600);
	assert_false(fx.m.html_only);
	assert_int_equal(fx.m.signature, MIME_SIG_NONE);
	done(&fx);
}

static void
test_utf8_labelled_ascii(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "utf8_as_ascii.eml"), CS_OK);
	assert_string_equal(fx.m.text, "Gertakaria: zerbitzaria erasotua — "
	                               "sí, pasahitza aldatu behar da");
	done(&fx);
}

static void
test_legacy_charsets(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "iso2022jp.eml"), CS_OK);
	assert_string_equal(fx.m.subject, "報告");
	assert_string_equal(fx.m.text,
	                    "フィッシング報告: http://phish.example.jp/login");
	done(&fx);
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(parse(&fx, "cp1252.eml"), CS_OK);
	assert_string_equal(fx.m.text, "“Urgent”: pay € 100 now");
	done(&fx);
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(parse(&fx, "koi8r.eml"), CS_OK);
	assert_string_equal(fx.m.text, "Фишинговая атака на банк");
	done(&fx);
}

static void
test_transfer_encodings(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "qp.eml"), CS_OK);
	assert_string_equal(fx.m.text,
	                    "Petició d'ajuda: el nostre servidor web està "
	                    "compromes i envia correu brossa. \nLínia "
	                    "trencada");
	done(&fx);
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(parse(&fx, "base64_garbage.eml"), CS_OK);
	assert_string_equal(fx.m.text,
	                    "hello world from the base64 part, c'est l'été");
	done(&fx);
}

static void
test_rfc2047_and_filenames(void **state)
{
	struct fx fx = {0};
	const struct mime_attachment *at;

	(void)state;
	assert_int_equal(parse(&fx, "rfc2047.eml"), CS_OK);
	assert_string_equal(fx.m.from_name, "José Martínez");
	assert_string_equal(fx.m.from_addr, "jose@example.es");
	contains(fx.m.subject, "Incidència: contrasenya filtrada - año");
	contains(fx.m.subject, "Gertakaria");
	assert_string_equal(fx.m.text, "Vegeu els adjunts.");
	assert_int_equal(fx.m.n_attachments, 3);
	at = fx.m.attachments;
	assert_string_equal(at[0].filename, "informe d'incidència.pdf");
	assert_string_equal(at[0].content_type, "application/pdf");
	assert_int_equal(at[0].size, 9);
	assert_memory_equal(at[0].data, "%PDF-1.4\n", 9);
	assert_string_equal(at[1].filename, "año.txt");
	assert_string_equal(at[1].content_type, "text/plain");
	assert_string_equal(at[2].filename, "gertakaria.txt");
	assert_false(at[2].is_message);
	done(&fx);
}

static void
test_deep_nesting(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "nested50.eml"), CS_E_INVAL);
	assert_string_equal(fx.why, "nesting deeper than 32 levels");
	assert_string_equal(fx.m.text, "");
	done(&fx);
}

static void
test_missing_headers(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "missing_headers.eml"), CS_OK);
	assert_string_equal(fx.m.from_addr, "");
	assert_string_equal(fx.m.from_name, "");
	assert_string_equal(fx.m.message_id, "");
	assert_string_equal(fx.m.in_reply_to, "");
	assert_string_equal(fx.m.reply_to, "");
	assert_int_equal(fx.m.date, 0);
	assert_int_equal(fx.m.n_to, 0);
	assert_int_equal(fx.m.n_references, 0);
	assert_string_equal(fx.m.subject, "no sender");
	assert_string_equal(fx.m.text, "Someone scanned 198.51.100.7.");
	done(&fx);
}

static void
test_forwarded_report(void **state)
{
	struct fx fx = {0};
	const struct mime_attachment *at;

	(void)state;
	assert_int_equal(parse(&fx, "forwarded.eml"), CS_OK);
	assert_string_equal(fx.m.text,
	                    "See the report below.\n\n"
	                    "---------- Forwarded message ----------\n"
	                    "From: Victim <victim@customer.example>\n"
	                    "Date: Wed, 15 May 2024 09:00:00 +0000\n"
	                    "Subject: Correu sospitós\n"
	                    "To: Analyst <analyst@partner.example>\n\n"
	                    "I got a mail asking for my password at "
	                    "http://login.bad.example/.");
	assert_int_equal(fx.m.n_attachments, 1);
	at = fx.m.attachments;
	assert_true(at[0].is_message);
	assert_string_equal(at[0].content_type, "message/rfc822");
	contains((const char *)at[0].data, "Message-ID: <inner1@customer");
	contains((const char *)at[0].data, "http://login.bad.example/");
	done(&fx);
}

static void
test_html_only_phishing(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "html_phish.eml"), CS_OK);
	assert_true(fx.m.html_only);
	assert_string_equal(
	    fx.m.text,
	    "Dear customer,\n\nYour account is locked. Please verify here "
	    "<http://paypa1.example.com/verify?id=1&x=2> & confirm.\n\n"
	    "Café €5 A");
	assert_null(strstr(fx.m.text, "alert"));
	assert_null(strstr(fx.m.text, "Hidden title"));
	assert_null(strstr(fx.m.text, "hidden.example"));
	done(&fx);
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(parse(&fx, "alternative.eml"), CS_OK);
	assert_false(fx.m.html_only);
	assert_string_equal(fx.m.text, "Plain version.");
	done(&fx);
}

static void
test_reply(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "reply.eml"), CS_OK);
	assert_string_equal(fx.m.message_id, "reply-42@example.cat");
	assert_string_equal(fx.m.in_reply_to, "ticket-42@csirt.example.org");
	assert_int_equal(fx.m.n_references, 2);
	assert_string_equal(fx.m.references[0], "first@example.cat");
	assert_string_equal(fx.m.references[1], "ticket-42@csirt.example.org");
	assert_string_equal(fx.m.from_addr, "Joan.Puig@example.cat");
	assert_string_equal(fx.m.from_name, "Joan Puig");
	assert_string_equal(fx.m.reply_to, "incidents@example.cat");
	assert_int_equal(fx.m.n_to, 2);
	assert_string_equal(fx.m.to[0], "csirt@example.org");
	assert_string_equal(fx.m.to[1], "other@example.org");
	assert_int_equal(fx.m.n_cc, 1);
	assert_string_equal(fx.m.cc[0], "boss@example.cat");
	assert_string_equal(fx.m.subject, "Re: [CSIRT #42] DDoS");
	assert_int_equal(fx.m.date, 1715948116);
	assert_string_equal(fx.m.language, "ca");
	assert_string_equal(fx.m.text, "Gràcies, ja està resolt.");
	contains(fx.m.headers, "In-Reply-To: <ticket-42@csirt.example.org>\n");
	contains(fx.m.headers, "Content-Language: ca-ES\n");
	assert_false(fx.m.auto_submitted);
	assert_false(fx.m.bounce);
	done(&fx);
}

static void
test_loop_protection(void **state)
{
	struct fx fx = {0};

	(void)state;
	assert_int_equal(parse(&fx, "autoreply.eml"), CS_OK);
	assert_true(fx.m.auto_submitted);
	assert_false(fx.m.bounce);
	assert_string_equal(fx.m.text, "I am out of the office.");
	done(&fx);
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(parse(&fx, "bounce.eml"), CS_OK);
	assert_true(fx.m.bounce);
	assert_string_equal(fx.m.from_addr, "MAILER-DAEMON@mx.example.org");
	assert_string_equal(fx.m.text, "Your message could not be delivered.");
	assert_int_equal(fx.m.n_attachments, 2);
	assert_string_equal(fx.m.attachments[0].content_type,
	                    "message/delivery-status");
	contains((const char *)fx.m.attachments[0].data, "Status: 5.1.1");
	done(&fx);
}

static void
test_path_traversal_filenames(void **state)
{
	struct fx fx = {0};
	const struct mime_attachment *at;

	(void)state;
	assert_int_equal(parse(&fx, "traversal.eml"), CS_OK);
	assert_int_equal(fx.m.n_attachments, 4);
	at = fx.m.attachments;
	assert_string_equal(at[0].filename, "passwd");
	assert_string_equal(at[0].content_type, "application/octet-stream");
	assert_int_equal(at[0].size, 10);
	assert_memory_equal(at[0].data, "root:x:0:0", 10);
	assert_string_equal(at[1].filename, "evil.exe");
	assert_string_equal(at[2].filename, "badname.png");
	assert_string_equal(at[3].filename, "");
	assert_string_equal(at[3].content_type, "image/gif");
	for (size_t i = 0; i < fx.m.n_attachments; i++)
		assert_null(strchr(at[i].filename, '/'));
	done(&fx);
}

static enum cs_err
parse_mem(struct arena *a, const char *s, size_t len, struct mime_msg *m,
          const char **why)
{
	return mime_parse(a, s, len, MIME_NO_CRYPTO, m, why);
}

static void
test_not_a_message(void **state)
{
	struct arena *a = arena_new(1 << 20);
	struct mime_msg m;
	const char *why;

	(void)state;
	assert_int_equal(parse_mem(a, "", 0, &m, &why), CS_E_INVAL);
	assert_string_equal(why, "not an RFC 5322 message");
	assert_int_equal(parse_mem(a, "hello world\nfoo\n", 16, &m, &why),
	                 CS_E_INVAL);
	assert_string_equal(why, "not an RFC 5322 message");
	assert_int_equal(parse_mem(a, "\x89PNG\r\n\x1a\n", 8, &m, &why),
	                 CS_E_INVAL);
	assert_int_equal(parse_mem(a, "Subject: x", 10, &m, &why), CS_OK);
	assert_string_equal(m.subject, "x");
	assert_string_equal(m.text, "");
	arena_free(a);
}

static void
test_encrypted_without_crypto(void **state)
{
	static const char msg[] =
	    "From: a@example.org\n"
	    "Content-Type: multipart/encrypted; "
	    "protocol=\"application/pgp-encrypted\"; boundary=E\n\n"
	    "--E\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
	    "--E\nContent-Type: application/octet-stream\n\n"
	    "-----BEGIN PGP MESSAGE-----\n\nhQ==\n"
	    "-----END PGP MESSAGE-----\n--E--\n";
	static const char inl[] = "From: a@example.org\n\n"
	                          "-----BEGIN PGP MESSAGE-----\n\nhQ==\n"
	                          "-----END PGP MESSAGE-----\n";
	struct arena *a = arena_new(1 << 20);
	struct mime_msg m;
	const char *why;

	(void)state;
	assert_int_equal(parse_mem(a, msg, sizeof(msg) - 1, &m, &why),
	                 CS_E_INVAL);
	assert_string_equal(why, "encrypted (not decrypted)");
	assert_false(m.encrypted);
	assert_int_equal(parse_mem(a, inl, sizeof(inl) - 1, &m, &why),
	                 CS_E_INVAL);
	assert_string_equal(why, "encrypted (not decrypted)");
	arena_free(a);
}

/* At MIME_MAX_SIZE the message parses; one byte more is CS_E_TOOBIG. The
 * body is multi-byte text, so the MIME_MAX_TEXT cut lands on a UTF-8
 * boundary. */
static void
test_size_limits(void **state)
{
	static const char head[] = "From: big@example.org\nSubject: big\n"
	                           "Content-Type: text/plain; charset=utf-8"
	                           "\n\n";
	size_t len = MIME_MAX_SIZE + 1, hl = sizeof(head) - 1;
	char *raw = malloc(len);
	struct arena *a = arena_new(128u << 20);
	struct mime_msg m;
	const char *why;
	size_t tl;

	(void)state;
	assert_non_null(raw);
	memcpy(raw, head, hl);
	for (size_t i = hl; i < len; i++) {
		size_t k = (i - hl) % 61;
		/* "é" (2 bytes) then "€" (3 bytes), a newline now and then */
		static const char unit[] = "\xC3\xA9\xE2\x82\xAC";
		raw[i] = k == 60 ? '\n' : unit[k % 5];
	}
	assert_int_equal(mime_parse(a, raw, len, MIME_NO_CRYPTO, &m, &why),
	                 CS_E_TOOBIG);
	assert_string_not_equal(why, "");
	assert_int_equal(mime_parse(a, raw, len - 1, MIME_NO_CRYPTO, &m, &why),
	                 CS_OK);
	tl = strlen(m.text);
	assert_true(tl <= MIME_MAX_TEXT);
	assert_true(tl > MIME_MAX_TEXT - 8);
	assert_true(utf8_is_valid(m.text, tl));
	assert_string_equal(m.subject, "big");
	arena_free(a);
	free(raw);
}

static void
test_attachment_limit(void **state)
{
	char *raw = malloc(64 * 1024);
	struct arena *a = arena_new(8u << 20);
	struct mime_msg m;
	const char *why;

	(void)state;
	assert_non_null(raw);
	for (int total = MIME_MAX_ATTACHMENTS;
	     total <= MIME_MAX_ATTACHMENTS + 1; total++) {
		size_t n = (size_t)snprintf(
		    raw, 64 * 1024,
		    "From: x@example.org\nContent-Type: multipart/mixed; "
		    "boundary=Z\n\n");
		for (int i = 0; i < total; i++)
			n += (size_t)snprintf(
			    raw + n, 64 * 1024 - n,
			    "--Z\nContent-Type: application/octet-stream\n"
			    "Content-Disposition: attachment; "
			    "filename=f%d.bin\n\n%d\n",
			    i, i);
		n += (size_t)snprintf(raw + n, 64 * 1024 - n, "--Z--\n");
		enum cs_err err =
		    mime_parse(a, raw, n, MIME_NO_CRYPTO, &m, &why);
		if (total == MIME_MAX_ATTACHMENTS) {
			assert_int_equal(err, CS_OK);
			assert_int_equal(m.n_attachments, MIME_MAX_ATTACHMENTS);
			assert_string_equal(m.attachments[99].filename,
			                    "f99.bin");
		} else {
			assert_int_equal(err, CS_E_INVAL);
			assert_string_equal(why, "more than 100 attachments");
		}
	}
	arena_free(a);
	free(raw);
}

static void
test_depth_at_limit(void **state)
{
	char *raw = malloc(16 * 1024);
	struct arena *a = arena_new(4u << 20);
	struct mime_msg m;
	const char *why;

	(void)state;
	assert_non_null(raw);
	/* depth d: the top-level body is at 0, each multipart adds one */
	for (int levels = MIME_MAX_DEPTH; levels <= MIME_MAX_DEPTH + 1;
	     levels++) {
		size_t n = (size_t)snprintf(raw, 16 * 1024,
		                            "From: x@example.org\n"
		                            "Content-Type: multipart/mixed; "
		                            "boundary=b0\n\n");
		for (int i = 0; i < levels - 1; i++)
			n += (size_t)snprintf(
			    raw + n, 16 * 1024 - n,
			    "--b%d\nContent-Type: "
			    "multipart/mixed; boundary=b%d\n\n",
			    i, i + 1);
		n += (size_t)snprintf(raw + n, 16 * 1024 - n,
		                      "--b%d\nContent-Type: text/plain\n\n"
		                      "deep\n",
		                      levels - 1);
		for (int i = levels - 1; i >= 0; i--)
			n += (size_t)snprintf(raw + n, 16 * 1024 - n,
			                      "--b%d--\n", i);
		enum cs_err err =
		    mime_parse(a, raw, n, MIME_NO_CRYPTO, &m, &why);
		if (levels == MIME_MAX_DEPTH) {
			assert_int_equal(err, CS_OK);
			assert_string_equal(m.text, "deep");
		} else {
			assert_int_equal(err, CS_E_INVAL);
			assert_string_equal(why,
			                    "nesting deeper than 32 levels");
		}
	}
	arena_free(a);
	free(raw);
}

static void
test_sig_names(void **state)
{
	(void)state;
	assert_string_equal(mime_sig_name(MIME_SIG_NONE), "none");
	assert_string_equal(mime_sig_name(MIME_SIG_GOOD), "good");
	assert_string_equal(mime_sig_name(MIME_SIG_BAD), "bad");
	assert_string_equal(mime_sig_name(MIME_SIG_UNKNOWN_KEY), "unknown_key");
	assert_string_equal(mime_sig_name(MIME_SIG_ERROR), "error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_latin1_labelled_utf8),
	    cmocka_unit_test(test_utf8_labelled_ascii),
	    cmocka_unit_test(test_legacy_charsets),
	    cmocka_unit_test(test_transfer_encodings),
	    cmocka_unit_test(test_rfc2047_and_filenames),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_missing_headers),
	    cmocka_unit_test(test_forwarded_report),
	    cmocka_unit_test(test_html_only_phishing),
	    cmocka_unit_test(test_reply),
	    cmocka_unit_test(test_loop_protection),
	    cmocka_unit_test(test_path_traversal_filenames),
	    cmocka_unit_test(test_not_a_message),
	    cmocka_unit_test(test_encrypted_without_crypto),
	    cmocka_unit_test(test_size_limits),
	    cmocka_unit_test(test_attachment_limit),
	    cmocka_unit_test(test_depth_at_limit),
	    cmocka_unit_test(test_sig_names),
	};

	mime_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
