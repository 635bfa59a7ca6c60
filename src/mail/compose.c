/*
 * compose.c - outbound mail: builds an RFC 5322 message (headers, a UTF-8
 * text/plain body in quoted-printable, base64 attachments), signs it as
 * PGP/MIME multipart/signed with the team key (RFC 3156, micalg
 * pgp-sha256) and encrypts it to the recipients' keys (sign-then-encrypt,
 * RFC 3156 section 6.2) when they are given.
 *
 * Why GMime: it already parses inbound mail here, and it gets the fiddly
 * parts right - RFC 2047 encoded words and RFC 2231 parameters, header
 * folding, transfer encodings, the canonical CRLF form that is signed and
 * the exact bytes written afterwards - and its gpg context drives gpgme
 * for RFC 3156. Every input is checked here first: no CR, LF or other
 * control character reaches a header, and addresses are single addr-specs.
 * GObjects never leave this file; the result is copied into the arena.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>
#include <gpgme.h>

#include "mail/compose.h"
#include "mail/pgp.h"

/* Limits on what one message may hold. */
#define COMPOSE_TO_MAX         100
#define COMPOSE_REFERENCES_MAX 100
#define COMPOSE_ATTACH_MAX     32
#define COMPOSE_HEADER_MAX     998
#define COMPOSE_TEXT_MAX       (4 * 1024 * 1024)
#define COMPOSE_ATTACH_BYTES   (20 * 1024 * 1024)

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void
gmime_start(void)
{
	g_mime_init();
}

/* ---- input checks ---- */

/* Text for a header: no control characters (so no CR, LF; NUL ends a C
 * string), valid UTF-8, at most max bytes. */
static bool
header_text_is_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max || !g_utf8_validate(s, (gssize)n, NULL))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* RFC 5322 atext */
static bool
is_atext(unsigned char c)
{
	return g_ascii_isalnum(c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-atom: atext runs separated by single dots. */
static bool
dot_atom_is_ok(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' ? s[i + 1] == '.' : !is_atext(c))
			return false;
	}
	return true;
}

/* A host name: LDH labels of 1 to 63 characters. */
static bool
domain_is_ok(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (g_ascii_isalnum(c) || (c == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
	return true;
}

/* One bare addr-spec, local@domain, in its common dot-atom form. */
static bool
addr_is_ok(const char *s)
{
	const char *at = strrchr(s, '@');
	size_t n = strlen(s);

	if (at == NULL || n > 254 || at - s > 64)
		return false;
	return dot_atom_is_ok(s, (size_t)(at - s)) &&
	       domain_is_ok(at + 1, n - (size_t)(at - s) - 1);
}

/* A msg-id without its angle brackets: id-left "@" id-right, both
 * printable ASCII without space or brackets. */
static bool
msgid_is_ok(const char *s)
{
	size_t n = strlen(s);
	const char *at = strchr(s, '@');

	if (n == 0 || n > 250 || at == NULL || at == s || at[1] == '\0')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' ||
		    c == '"' || c == '\\' || c == '(' || c == ')' || c == '[' ||
		    c == ']' || c == ',' || c == ';' || c == ':')
			return false;
	}
	return true;
}

/* Content-Language: language tags separated by commas. */
static bool
language_is_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 100)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!g_ascii_isalnum(c) && c != '-' && c != ',' && c != ' ')
			return false;
	}
	return true;
}

/* RFC 2045 token */
static bool
token_is_ok(const char *s, size_t n)
{
	if (n == 0 || n > 127)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			return false;
	}
	return true;
}

static bool
content_type_is_ok(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash != NULL && token_is_ok(s, (size_t)(slash - s)) &&
	       token_is_ok(slash + 1, strlen(slash + 1)) &&
	       g_ascii_strncasecmp(s, "multipart/", 10) != 0 &&
	       g_ascii_strncasecmp(s, "message/", 8) != 0;
}

static bool
fpr_is_ok(const char *s)
{
	size_t n = strlen(s);

	if (n != 40 && n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit(s[i]))
			return false;
	return true;
}

static enum cs_err
check_input(const struct compose_in *in, const char **why)
{
	size_t total = 0;

	if (in->from_addr == NULL || !addr_is_ok(in->from_addr)) {
		*why = "the sender is not a single address (local@domain)";
		return CS_E_INVAL;
	}
	if (in->from_name != NULL && !header_text_is_ok(in->from_name, 200)) {
		*why = "the sender's name holds a line break or control "
		       "character, is not UTF-8 or is too long";
		return CS_E_INVAL;
	}
	if (in->n_to == 0 || in->to == NULL) {
		*why = "the message has no recipient";
		return CS_E_INVAL;
	}
	if (in->n_to > COMPOSE_TO_MAX) {
		*why = "too many recipients";
		return CS_E_TOOBIG;
	}
	for (size_t i = 0; i < in->n_to; i++)
		if (in->to[i] == NULL || !addr_is_ok(in->to[i])) {
			*why = "a recipient is not a single address "
			       "(local@domain)";
			return CS_E_INVAL;
		}
	if (in->subject == NULL ||
	    !header_text_is_ok(in->subject, COMPOSE_HEADER_MAX)) {
		*why = "the subject holds a line break or control character, "
		       "is not UTF-8 or is too long";
		return CS_E_INVAL;
	}
	if (in->message_id == NULL || !msgid_is_ok(in->message_id)) {
		*why = "the Message-ID is not id-left@id-right";
		return CS_E_INVAL;
	}
	if (in->in_reply_to != NULL && !msgid_is_ok(in->in_reply_to)) {
		*why = "In-Reply-To is not a message id";
		return CS_E_INVAL;
	}
	if (in->n_references > COMPOSE_REFERENCES_MAX) {
		*why = "too many references";
		return CS_E_TOOBIG;
	}
	for (size_t i = 0; i < in->n_references; i++)
		if (in->references == NULL || in->references[i] == NULL ||
		    !msgid_is_ok(in->references[i])) {
			*why = "a reference is not a message id";
			return CS_E_INVAL;
		}
	if (in->language != NULL && !language_is_ok(in->language)) {
		*why = "Content-Language is not a list of language tags";
		return CS_E_INVAL;
	}
	if (in->text == NULL ||
	    !g_utf8_validate(in->text, (gssize)strlen(in->text), NULL)) {
		*why = "the body is not UTF-8 text";
		return CS_E_INVAL;
	}
	if (strlen(in->text) > COMPOSE_TEXT_MAX) {
		*why = "the body is too long";
		return CS_E_TOOBIG;
	}
	if (in->n_attachments > COMPOSE_ATTACH_MAX) {
		*why = "too many attachments";
		return CS_E_TOOBIG;
	}
	for (size_t i = 0; i < in->n_attachments; i++) {
		const struct compose_attachment *at = &in->attachments[i];

		if (at->filename == NULL || at->filename[0] == '\0' ||
		    !header_text_is_ok(at->filename, 255) ||
		    strpbrk(at->filename, "/\\\t") != NULL) {
			*why = "an attachment's file name is empty, too long "
			       "or holds a path or control character";
			return CS_E_INVAL;
		}
		if (at->content_type == NULL ||
		    !content_type_is_ok(at->content_type)) {
			*why = "an attachment's content type is not "
			       "type/subtype";
			return CS_E_INVAL;
		}
		if (at->data == NULL && at->size > 0) {
			*why = "an attachment has no data";
			return CS_E_INVAL;
		}
		total += at->size;
		if (at->size > COMPOSE_ATTACH_BYTES ||
		    total > COMPOSE_ATTACH_BYTES) {
			*why = "the attachments are too big";
			return CS_E_TOOBIG;
		}
	}
	if (in->sign_fpr != NULL && !fpr_is_ok(in->sign_fpr)) {
		*why = "the signing key is not a fingerprint";
		return CS_E_INVAL;
	}
	if (in->n_encrypt_keys > COMPOSE_TO_MAX) {
		*why = "too many encryption keys";
		return CS_E_TOOBIG;
	}
	if (in->n_encrypt_keys > 0 && in->encrypt_keys == NULL) {
		*why = "the encryption keys are missing";
		return CS_E_INVAL;
	}
	return CS_OK;
}

/* ---- building ---- */

/* The body with LF line ends (GMime writes CRLF); a lone CR becomes LF. */
static char *
text_unix(const char *text)
{
	size_t n = strlen(text), j = 0;
	char *s = g_malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r') {
			if (text[i + 1] != '\n')
				s[j++] = '\n';
		} else {
			s[j++] = text[i];
		}
	}
	s[j] = '\0';
	return s;
}

/* The body as UTF-8 as given: g_mime_text_part_set_text() would pick the
 * smallest charset that fits (ISO-8859-1, say) and convert the text. */
static GMimeObject *
body_part(const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	char *unix_text = text_unix(text);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
	    unix_text, (gssize)strlen(unix_text));
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(
	    stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(GMIME_PART(tp), dw);
	g_mime_text_part_set_charset(tp, "utf-8");
	g_mime_part_set_content_encoding(
	    GMIME_PART(tp), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	g_object_unref(dw);
	g_object_unref(stream);
	g_free(unix_text);
	return GMIME_OBJECT(tp);
}

static GMimeObject *
attachment_part(const struct compose_attachment *at)
{
	const char *slash = strchr(at->content_type, '/');
	char *type =
	    g_strndup(at->content_type, (gsize)(slash - at->content_type));
	GMimePart *part = g_mime_part_new_with_type(type, slash + 1);
	GMimeStream *stream =
	    g_mime_stream_mem_new_with_buffer((const char *)at->data, at->size);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(
	    stream, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content(part, dw);
	g_mime_part_set_filename(part, at->filename);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	g_object_unref(dw);
	g_object_unref(stream);
	g_free(type);
	return GMIME_OBJECT(part);
}

/* The body alone, or multipart/mixed with the attachments after it. */
static GMimeObject *
content_entity(const struct compose_in *in)
{
	GMimeMultipart *mixed;
	GMimeObject *part;

	if (in->n_attachments == 0)
		return body_part(in->text);
	mixed = g_mime_multipart_new_with_subtype("mixed");
	part = body_part(in->text);
	g_mime_multipart_add(mixed, part);
	g_object_unref(part);
	for (size_t i = 0; i < in->n_attachments; i++) {
		part = attachment_part(&in->attachments[i]);
		g_mime_multipart_add(mixed, part);
		g_object_unref(part);
	}
	return GMIME_OBJECT(mixed);
}

static char *
angle(const char *id)
{
	return g_strdup_printf("<%s>", id);
}

static enum cs_err
set_headers(GMimeMessage *msg, const struct compose_in *in, const char **why)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GDateTime *date = g_date_time_new_from_unix_utc(in->date);
	char *v;

	if (date == NULL || in->date < 0) {
		if (date != NULL)
			g_date_time_unref(date);
		*why = "the date is out of range";
		return CS_E_INVAL;
	}
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
	                           in->from_name != NULL ? in->from_name : "",
	                           in->from_addr);
	for (size_t i = 0; i < in->n_to; i++)
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, "",
		                           in->to[i]);
	g_mime_message_set_subject(msg, in->subject, "utf-8");
	g_mime_message_set_date(msg, date);
	g_date_time_unref(date);
	g_mime_message_set_message_id(msg, in->message_id);
	if (in->in_reply_to != NULL) {
		v = angle(in->in_reply_to);
		g_mime_object_set_header(obj, "In-Reply-To", v, NULL);
		g_free(v);
	}
	if (in->n_references > 0) {
		GString *refs = g_string_new(NULL);

		for (size_t i = 0; i < in->n_references; i++)
			g_string_append_printf(refs, "%s<%s>", i > 0 ? " " : "",
			                       in->references[i]);
		g_mime_object_set_header(obj, "References", refs->str, NULL);
		g_string_free(refs, TRUE);
	}
	g_mime_object_set_header(obj, "MIME-Version", "1.0", NULL);
	if (in->language != NULL)
		g_mime_object_set_header(obj, "Content-Language", in->language,
		                         NULL);
	if (in->auto_replied)
		g_mime_object_set_header(obj, "Auto-Submitted", "auto-replied",
		                         NULL);
	else if (in->auto_generated)
		g_mime_object_set_header(obj, "Auto-Submitted",
		                         "auto-generated", NULL);
	return CS_OK;
}

/* A gpg or GMime failure as a reason in the arena. */
static const char *
error_why(struct arena *a, const char *what, const GError *gerr)
{
	const char *s = arena_printf(a, "%s: %s", what,
	                             gerr != NULL && gerr->message != NULL
	                                 ? gerr->message
	                                 : "unknown error");

	return s != NULL ? s : what;
}

/* Imports one armoured recipient key into the team keyring after
 * pgp_key_inspect() accepted it; its fingerprint goes to fpr_out. */
static enum cs_err
import_key(struct arena *a, const char *armored, size_t idx, char **fpr_out,
           const char **why)
{
	struct pgp_key_info info;
	char reason[256];
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t data = NULL;
	gpgme_import_result_t res;
	gpgme_error_t e;
	enum cs_err err;

	*fpr_out = NULL;
	if ((err = pgp_key_inspect(armored, &info, reason, sizeof(reason))) !=
	    CS_OK) {
		*why =
		    arena_printf(a, "encryption key %zu %s", idx + 1, reason);
		if (*why == NULL)
			*why = "an encryption key is unusable";
		return err;
	}
	err = CS_E_INTERNAL;
	if ((e = gpgme_new(&ctx)) != 0 ||
	    (e = gpgme_data_new_from_mem(&data, armored, strlen(armored), 0)) !=
	        0 ||
	    (e = gpgme_op_import(ctx, data)) != 0) {
		*why = arena_printf(a, "cannot import encryption key %zu: %s",
		                    idx + 1, gpgme_strerror(e));
		goto out;
	}
	res = gpgme_op_import_result(ctx);
	if (res == NULL || res->considered == 0 ||
	    res->considered != res->imported + res->unchanged) {
		*why = arena_printf(a, "gpg did not import encryption key %zu",
		                    idx + 1);
		goto out;
	}
	if ((*fpr_out = arena_strdup(a, info.fingerprint)) == NULL) {
		*why = "out of memory for the message";
		err = CS_E_TOOBIG;
		goto out;
	}
	err = CS_OK;
out:
	if (err != CS_OK && *why == NULL)
		*why = "cannot import an encryption key";
	gpgme_data_release(data);
	gpgme_release(ctx);
	return err;
}

/* Wraps *entity in multipart/signed or multipart/encrypted as asked. */
static enum cs_err
protect(struct arena *a, const struct compose_in *in, GMimeObject **entity,
        const char **why)
{
	GMimeCryptoContext *ctx = NULL;
	GPtrArray *rcpts = NULL;
	GError *gerr = NULL;
	GMimeObject *wrapped = NULL;
	const char *micalg;
	enum cs_err err = CS_OK;

	if (in->sign_fpr == NULL && in->n_encrypt_keys == 0)
		return CS_OK;
	ctx = g_mime_gpg_context_new();
	if (in->n_encrypt_keys > 0) {
		rcpts = g_ptr_array_new();
		for (size_t i = 0; i < in->n_encrypt_keys; i++) {
			char *fpr;

			if ((err = import_key(a, in->encrypt_keys[i], i, &fpr,
			                      why)) != CS_OK)
				goto out;
			g_ptr_array_add(rcpts, fpr);
		}
		wrapped = (GMimeObject *)g_mime_multipart_encrypted_encrypt(
		    ctx, *entity, in->sign_fpr != NULL, in->sign_fpr,
		    GMIME_ENCRYPT_ALWAYS_TRUST, rcpts, &gerr);
		if (wrapped == NULL) {
			*why = error_why(a, "cannot encrypt", gerr);
			err = CS_E_INTERNAL;
			goto out;
		}
	} else {
		wrapped = (GMimeObject *)g_mime_multipart_signed_sign(
		    ctx, *entity, in->sign_fpr, &gerr);
		if (wrapped == NULL) {
			*why = error_why(a, "cannot sign", gerr);
			err = CS_E_INTERNAL;
			goto out;
		}
		/* gpg signs with SHA-256 for Ed25519 keys; make sure */
		micalg =
		    g_mime_object_get_content_type_parameter(wrapped, "micalg");
		if (micalg == NULL ||
		    g_ascii_strcasecmp(micalg, "pgp-sha256") != 0) {
			*why = arena_printf(
			    a, "gpg signed with %s, not pgp-sha256",
			    micalg != NULL ? micalg : "?");
			if (*why == NULL)
				*why = "gpg did not sign with SHA-256";
			err = CS_E_INTERNAL;
			goto out;
		}
	}
	g_object_unref(*entity);
	*entity = wrapped;
	wrapped = NULL;
out:
	if (wrapped != NULL)
		g_object_unref(wrapped);
	if (gerr != NULL)
		g_error_free(gerr);
	if (rcpts != NULL)
		g_ptr_array_free(rcpts, TRUE);
	if (ctx != NULL)
		g_object_unref(ctx);
	return err;
}

static enum cs_err
serialize(struct arena *a, GMimeMessage *msg, char **out, size_t *out_len,
          const char **why)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *stream = g_mime_stream_mem_new();
	GByteArray *bytes;
	enum cs_err err = CS_OK;

	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, stream) < 0) {
		*why = "cannot write the message";
		err = CS_E_INTERNAL;
		goto out;
	}
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream));
	if ((*out = arena_strndup(a, (const char *)bytes->data, bytes->len)) ==
	    NULL) {
		*why = "the message is too big";
		err = CS_E_TOOBIG;
		goto out;
	}
	*out_len = bytes->len;
out:
	g_object_unref(stream);
	g_mime_format_options_free(fo);
	return err;
}

enum cs_err
compose_mail(struct arena *a, const struct compose_in *in, char **out,
             size_t *out_len, const char **why)
{
	GMimeMessage *msg = NULL;
	GMimeObject *entity = NULL;
	enum cs_err err;

	*out = NULL;
	*out_len = 0;
	*why = NULL;
	if ((err = check_input(in, why)) != CS_OK)
		return err;
	pthread_once(&gmime_once, gmime_start);
	msg = g_mime_message_new(FALSE);
	if ((err = set_headers(msg, in, why)) != CS_OK)
		goto out;
	entity = content_entity(in);
	/* 7bit-safe, as RFC 3156 wants what is signed (and plain messages
	 * alike): the body is quoted-printable, attachments base64. When
	 * signing, GMime also encodes a line starting "From " (=46rom). */
	g_mime_object_encode(entity, GMIME_ENCODING_CONSTRAINT_7BIT);
	if ((err = protect(a, in, &entity, why)) != CS_OK)
		goto out;
	g_mime_message_set_mime_part(msg, entity);
	err = serialize(a, msg, out, out_len, why);
out:
	if (entity != NULL)
		g_object_unref(entity);
	g_object_unref(msg);
	return err;
}
