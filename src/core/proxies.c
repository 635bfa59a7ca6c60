/* proxies.c - the client behind trusted reverse proxies; see proxies.h. */
#include <stdio.h>
#include <string.h>

#include "core/proxies.h"

bool
proxies_parse(const char *text, struct proxies *out, char *why, size_t why_len)
{
	const char *p = text;

	out->n = 0;
	while (*p != '\0') {
		char item[CIDR_TEXT_MAX], reason[CIDR_WHY_MAX];
		size_t len = strcspn(p, " ,\t");
		struct ip_addr a;

		if (len == 0) {
			p++;
			continue;
		}
		if (len >= sizeof(item)) {
			snprintf(why, why_len, "an address is too long");
			return false;
		}
		if (out->n == PROXIES_MAX) {
			snprintf(why, why_len, "at most %d proxies",
			         PROXIES_MAX);
			return false;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (ip_parse(item, &a)) {
			out->c[out->n].addr = a;
			out->c[out->n].len = a.family == 4 ? 32 : 128;
		} else if (!cidr_parse(item, &out->c[out->n], reason,
		                       sizeof(reason))) {
			snprintf(why, why_len, "%s: %s", item, reason);
			return false;
		}
		out->n++;
		p += len;
	}
	return true;
}

static bool
trusted(const struct proxies *p, const struct ip_addr *a)
{
	for (size_t i = 0; i < p->n; i++)
		if (cidr_contains(&p->c[i], a))
			return true;
	return false;
}

void
proxies_client(const struct proxies *p, const char *peer,
               const char *forwarded_for, char *out, size_t n)
{
	struct ip_addr a;
	const char *end;

	snprintf(out, n, "%s", peer);
	if (p->n == 0 || forwarded_for == NULL || !ip_parse(peer, &a) ||
	    !trusted(p, &a))
		return;
	/* right to left: each hop appended the address it saw */
	end = forwarded_for + strlen(forwarded_for);
	while (end > forwarded_for) {
		const char *start = end;
		char item[CIDR_TEXT_MAX];
		size_t len;

		while (start > forwarded_for && start[-1] != ',')
			start--;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		len = (size_t)(end - start);
		while (len > 0 &&
		       (start[len - 1] == ' ' || start[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(item))
			return;
		memcpy(item, start, len);
		item[len] = '\0';
		if (!ip_parse(item, &a))
			return; /* not an address: believe nothing further */
		ip_format(&a, out, n);
		if (!trusted(p, &a))
			return;
		end = start;
		while (end > forwarded_for && end[-1] != ',')
			end--;
		if (end > forwarded_for)
			end--; /* past the comma */
	}
}
