/*
 * ioc.h - observables (IOCs): typing, refanging, strict normalisation and
 * extraction from free text.
 *
 * Pure C, no I/O, no global mutable state, no regex or PCRE: every parser
 * here is a hand-written scanner driven by a 256-entry byte-class table, so
 * that ioc_extract() runs in one pass over the text without allocating on
 * its hot path (see docs/internals/ioc.md for the rules and figures).
 *
 * Normalisation: ioc_normalise() first refangs (hxxp://, [.], (dot), [at],
 * " dot ", http__ ...; not for filename and user-agent), then validates the
 * value strictly for its type and writes its one canonical text form into
 * out. On CS_E_INVAL, *why (when why is not NULL) is a human reason; it is
 * written into out when it fits there (so it lives as long as out and is
 * overwritten by the next call on the same buffer), otherwise it is a
 * static string. CS_E_TOOBIG means out is too small for the result.
 *
 * Extraction: ioc_extract() calls emit once per distinct (type, value) in
 * the text, in order of first appearance, with the byte offset where the
 * value starts in the text. Values are normalised as ioc_normalise() would.
 * The set that removes duplicates lives in opts->arena, or else in
 * opts->scratch, or else in a 32 KiB buffer on the stack; when that memory
 * runs out, later values are still emitted but may repeat. Inputs are
 * bytes, not C strings: NULs are token separators.
 *
 * Limits: inputs to ioc_normalise() longer than IOC_INPUT_MAX bytes and
 * URLs longer than IOC_URL_MAX are invalid; in extraction, a word (run of
 * non-space bytes) longer than IOC_TOKEN_MAX is scanned without refanging.
 */
#ifndef CS_IOC_H
#define CS_IOC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct arena;

enum ioc_type {
	IOC_IPV4,
	IOC_IPV6,
	IOC_CIDR,
	IOC_DOMAIN,
	IOC_URL,
	IOC_EMAIL,
	IOC_MD5,
	IOC_SHA1,
	IOC_SHA256,
	IOC_ASN,
	IOC_CVE,
	IOC_FILENAME,
	IOC_USER_AGENT,
};

#define IOC_TYPE_COUNT 13
#define IOC_BIT(t)     (1u << (unsigned)(t))
/* The types ioc_extract() can find; filename and user-agent are not. */
#define IOC_EXTRACTABLE                                                        \
	(IOC_BIT(IOC_IPV4) | IOC_BIT(IOC_IPV6) | IOC_BIT(IOC_CIDR) |           \
	 IOC_BIT(IOC_DOMAIN) | IOC_BIT(IOC_URL) | IOC_BIT(IOC_EMAIL) |         \
	 IOC_BIT(IOC_MD5) | IOC_BIT(IOC_SHA1) | IOC_BIT(IOC_SHA256) |          \
	 IOC_BIT(IOC_ASN) | IOC_BIT(IOC_CVE))

#define IOC_INPUT_MAX 8192 /* bytes given to ioc_normalise() */
#define IOC_URL_MAX   4096 /* a normalised URL */
#define IOC_TOKEN_MAX 4096 /* a word refanged during extraction */
/* Room for any normalised value and for any reason text. */
#define IOC_OUT_MAX (IOC_URL_MAX + 1)

/* "ipv4" ... "user-agent"; "?" for a value outside the enum. */
const char *ioc_type_name(enum ioc_type type);
/* The inverse of ioc_type_name(); exact lower-case names only. */
enum cs_err ioc_type_parse(const char *name, enum ioc_type *type_out);

enum cs_err ioc_normalise(enum ioc_type type, const char *in, char *out,
                          size_t outlen, const char **why);

/*
 * The most specific type whose normaliser accepts the refanged value:
 * url, email, cidr, ipv4, ipv6, md5/sha1/sha256, cve, asn ("AS" prefix
 * needed), domain (known TLD), url without a scheme, user-agent
 * ("product/version"), filename. CS_E_INVAL when none fits.
 */
enum cs_err ioc_guess_type(const char *in, enum ioc_type *type_out);

/* True if the TLD (lower case, punycode for IDNs) is in the IANA list. */
bool ioc_tld_is_known(const char *tld, size_t len);

struct ioc_extract_opts {
	/* IOC_BIT() mask of the types to report; 0 means IOC_EXTRACTABLE. */
	unsigned types;
	/* Skip private, loopback, link-local, CGNAT, documentation,
	 * benchmarking, multicast and reserved addresses (also as URL hosts
	 * and CIDR networks) and private or documentation ASNs. */
	bool skip_private;
	/* The team's own domains (normalised, lower case): these and their
	 * subdomains are skipped as domains, URL hosts and e-mail domains. */
	const char *const *own_domains;
	size_t n_own_domains;
	/* Memory for the deduplication set (see the contract above). */
	struct arena *arena;
	void *scratch;
	size_t scratch_len;
};

/*
 * Returns the number of values emitted. opts may be NULL (defaults). The
 * normalised string passed to emit is only valid during the call. Uses
 * about 50 KiB of stack.
 */
size_t ioc_extract(const char *text, size_t len,
                   const struct ioc_extract_opts *opts,
                   void (*emit)(void *ctx, enum ioc_type type,
                                const char *normalised, size_t offset),
                   void *ctx);

#endif
