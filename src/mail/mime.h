/*
 * mime.h - inbound mail: one RFC 5322 message parsed with GMime into plain
 * UTF-8 data the intake understands.
 *
 * Everything is hostile: the parser bounds depth, parts, attachments and
 * sizes, converts every charset and transfer encoding to valid UTF-8 (bad
 * bytes become U+FFFD, never an error), turns HTML-only mails into readable
 * text (links kept as "text <url>", scripts and styles dropped), and keeps
 * nested message/rfc822 parts (a forwarded report) both as text, quoted
 * under their own headers, and as an attachment.
 *
 * OpenPGP: PGP/MIME (RFC 3156) and inline PGP are decrypted with the team
 * key in the gpg home set by pgp_init() and their signatures verified; the
 * outcome is reported, never hidden. With MIME_NO_CRYPTO gpg is not called
 * (encrypted content is then reported as undecryptable).
 *
 * Every returned pointer lives in the arena given to mime_parse(); the arena
 * must be able to hold about three times the message.
 */
#ifndef CS_MIME_H
#define CS_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

#define MIME_MAX_SIZE        (25u << 20) /* a whole raw message */
#define MIME_MAX_DEPTH       32          /* nested multiparts and messages */
#define MIME_MAX_PARTS       1000
#define MIME_MAX_ATTACHMENTS 100
#define MIME_MAX_TEXT        (4u << 20) /* readable text kept, then cut */

enum mime_flags {
	MIME_NO_CRYPTO =
	    1, /* never run gpg (fuzzing, tests of plain parsing) */
};

enum mime_sig {
	MIME_SIG_NONE,        /* not signed */
	MIME_SIG_GOOD,        /* valid signature by a key in the keyring */
	MIME_SIG_BAD,         /* the signature does not match the content */
	MIME_SIG_UNKNOWN_KEY, /* signed by a key we do not have */
	MIME_SIG_ERROR,       /* expired/revoked key or unverifiable */
};
const char *
mime_sig_name(enum mime_sig s); /* none good bad unknown_key error */

struct mime_attachment {
	const char *filename; /* base name only, UTF-8, no '/', "" if none */
	const char *content_type;  /* "type/subtype", lower case */
	const unsigned char *data; /* decoded bytes */
	size_t size;
	bool is_message; /* a message/rfc822 part (forwarded mail) */
};

struct mime_msg {
	/* Top-level headers decoded to UTF-8 (RFC 2047); "" when absent. */
	const char *message_id;  /* without < > */
	const char *in_reply_to; /* the first id, without < > */
	const char **references; /* without < >, in header order */
	size_t n_references;
	const char *from_addr; /* bare address of the first From mailbox */
	const char *from_name;
	const char *reply_to; /* bare address, "" when absent */
	const char **to;      /* bare addresses */
	size_t n_to;
	const char **cc;
	size_t n_cc;
	const char *subject;
	int64_t date;         /* epoch seconds, 0 when absent or unparsable */
	const char *language; /* Content-Language primary subtag, lower case */
	const char *headers;  /* every top-level header, "Name: value\n" */

	/* Loop protection (RFC 3834 and common practice). */
	bool auto_submitted; /* Auto-Submitted not "no", Precedence bulk/junk/
	                      * list, X-Autoreply, X-Autorespond,
	                      * X-Auto-Response-Suppress: All/OOF, List-Id */
	bool bounce;         /* multipart/report delivery-status, or from
	                      * MAILER-DAEMON/postmaster with an empty Return-Path */

	/* Body. */
	const char *text; /* readable UTF-8, at most MIME_MAX_TEXT bytes */
	bool html_only;   /* text was converted from HTML */
	struct mime_attachment *attachments;
	size_t n_attachments;

	/* OpenPGP. */
	bool encrypted; /* it was encrypted and has been decrypted */
	enum mime_sig signature;
	const char *signer_fpr; /* fingerprint of the signing key, or "" */
	const char *signer_uid; /* its primary user id, or "" */
};

/* Once per process, before threads (also called by mime_parse). */
void mime_init(void);

/* Parses raw bytes. CS_E_TOOBIG when len > MIME_MAX_SIZE; CS_E_INVAL with
 * a one-line reason in *why for a message that cannot be understood (no
 * headers, limits exceeded, encrypted but not decryptable, ...). The
 * caller keeps the raw bytes in every case. */
enum cs_err mime_parse(struct arena *a, const char *raw, size_t len,
                       unsigned flags, struct mime_msg *out, const char **why);

#endif
