/*
 * smtp.h - handing one message to an SMTP relay (libcurl).
 *
 * smtp_send() returns CS_OK only when the relay accepted the message (its
 * reply to the end of DATA was 2xx). Any other outcome is an error the
 * caller may retry (CS_E_IO: connection, TLS, 4xx) or not (CS_E_INVAL: a
 * 5xx answer, a refused recipient), with the relay's words in why.
 */
#ifndef CS_SMTP_H
#define CS_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct smtp_config {
	const char *url;  /* smtp://host:port (STARTTLS) or smtps://host:port */
	const char *user; /* NULL or "": no AUTH */
	const char *password;
	bool tls_required; /* refuse to send without TLS (STARTTLS or smtps) */
	const char *ca_file; /* NULL: the system's trust store */
	long timeout;        /* seconds for the whole exchange */
	const char *helo;    /* name in EHLO, NULL: libcurl's default */
};

/* Once per process, before threads. */
enum cs_err smtp_global_init(void);

enum cs_err smtp_send(const struct smtp_config *c, const char *from_addr,
                      const char *const *rcpt, size_t n_rcpt, const char *data,
                      size_t len, char *why, size_t why_len);

#endif
