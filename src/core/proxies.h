/*
 * proxies.h - the client's address behind trusted reverse proxies.
 *
 * When csirtd runs behind nginx or a load balancer, every request comes
 * from the proxy, so per-address limits (login throttling, the portal's
 * report limit) and the request log would all count the proxy. With
 * [server] trusted_proxies listing the proxies' addresses or networks, a
 * request whose peer is one of them is attributed to the right-most
 * address of X-Forwarded-For that is not itself a trusted proxy. Addresses
 * further left were written by the client and are never believed; an
 * unparsable entry stops the walk. A peer that is not trusted is the
 * client, whatever its headers say.
 */
#ifndef CS_PROXIES_H
#define CS_PROXIES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cidr.h"

#define PROXIES_MAX 32

struct proxies {
	struct cidr c[PROXIES_MAX];
	size_t n;
};

/* Addresses or CIDR blocks separated by spaces or commas; "" is none. */
bool proxies_parse(const char *text, struct proxies *out, char *why,
                   size_t why_len);
/* The client's address as text into out (at least 46 bytes). */
void proxies_client(const struct proxies *p, const char *peer,
                    const char *forwarded_for, char *out, size_t n);

#endif
