/*
 * compose.h - outbound mail: an RFC 5322 message built with GMime, signed
 * with the team key as PGP/MIME (RFC 3156, SHA-256) and encrypted to the
 * recipients' keys when they are given.
 *
 * The team key lives in the gpg home set by pgp_init(); pgp_team_key()
 * creates it on first use. Recipient keys are the armoured public keys
 * stored on contacts; they are imported into the team keyring when used
 * and trusted as the handler who stored them vouched for them.
 */
#ifndef CS_COMPOSE_H
#define CS_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"

struct compose_attachment {
	const char *filename;
	const char *content_type;
	const unsigned char *data;
	size_t size;
};

struct compose_in {
	const char *from_name; /* display name, UTF-8 (RFC 2047-encoded) */
	const char *from_addr;
	const char *const *to; /* bare addresses */
	size_t n_to;
	const char *subject;     /* UTF-8 */
	const char *text;        /* UTF-8 body: text/plain; charset=utf-8 */
	const char *message_id;  /* without < >; the caller makes it */
	const char *in_reply_to; /* without < >, or NULL */
	const char *const *references; /* without < >, oldest first */
	size_t n_references;
	const char *language; /* Content-Language, or NULL */
	int64_t date;         /* epoch seconds */
	bool auto_replied;    /* adds Auto-Submitted: auto-replied (RFC 3834) */
	const struct compose_attachment *attachments;
	size_t n_attachments;
	const char *sign_fpr; /* the team key's fingerprint, NULL: unsigned */
	const char *const *encrypt_keys; /* armoured public keys, or NULL */
	size_t n_encrypt_keys; /* > 0: encrypted (and signed if sign_fpr) */
	bool auto_generated;   /* adds Auto-Submitted: auto-generated (RFC
	                          3834), unless auto_replied */
};

/* Builds the whole message (headers and body, CRLF line ends) into the
 * arena. CS_E_INVAL with *why for a bad input (an unusable key, an
 * address with CR/LF, ...); CS_E_INTERNAL when gpg fails. */
enum cs_err compose_mail(struct arena *a, const struct compose_in *in,
                         char **out, size_t *out_len, const char **why);

#endif
