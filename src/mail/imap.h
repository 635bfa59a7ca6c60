/*
 * imap.h - polling an IMAP mailbox (libcurl).
 *
 * imap_poll() lists the messages without \Seen (UID SEARCH UNSEEN), fetches
 * each (BODY.PEEK[], so fetching does not flag it) and hands it to
 * deliver(). Only when deliver() returns CS_OK, i.e. the message is
 * committed, is it flagged \Seen; anything else leaves it for the next
 * poll, so a crash or a database failure never loses a message.
 *
 * A message larger than max_size is fetched only up to max_size + 1 bytes
 * and delivered with truncated = true: the intake quarantines it with the
 * part it has, and the whole message stays on the server.
 */
#ifndef CS_IMAP_H
#define CS_IMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct imap_config {
	const char
	    *url; /* imaps://host:port/MAILBOX or imap://host:port/MAILBOX */
	const char *user;
	const char *password;
	bool tls_required; /* imap:// then needs STARTTLS */
	const char *ca_file;
	long timeout; /* seconds per command */
	size_t max_size;
	size_t max_messages; /* per poll, 0 = no limit */
};

typedef enum cs_err (*imap_deliver_fn)(const char *raw, size_t len,
                                       bool truncated, void *ctx);

enum cs_err imap_poll(const struct imap_config *c, imap_deliver_fn deliver,
                      void *ctx, size_t *delivered_out, char *why,
                      size_t why_len);

#endif
