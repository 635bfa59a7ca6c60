/*
 * ioc_internal.h - what the parts of the observable engine share. Not an
 * interface for the rest of csirtd: that is ioc.h.
 *
 *   ioc.c          type names, ioc_normalise(), ioc_guess_type(), the
 *                  byte-class table
 *   ioc_value.c    one value of one type: parse, validate, canonical text
 *                  (addresses, names with IDN, URLs, e-mail, hashes, AS
 *                  numbers, CVE ids), special-purpose ranges
 *   ioc_refang.c   defang markers, in a whole value and in a word of text
 *   ioc_extract.c  the scanner behind ioc_extract()
 *   ioc_seen.c     the per-call set of values already emitted
 *   ioc_tld.c      the list of known top-level domains
 *
 * Every function here works on bytes with explicit lengths, allocates
 * nothing and keeps no state between calls. Output buffers are sized by
 * the caller as documented at each function.
 */
#ifndef CS_IOC_INTERNAL_H
#define CS_IOC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ioc.h"

struct arena;

/* Byte classes (ioc_cls[]). */
#define C_DELIM 0x001 /* ends a word: space, controls, < > " ' ` | \ */
#define C_DIGIT 0x002
#define C_ALPHA 0x004 /* ASCII letters */
#define C_HEX   0x008
#define C_DOT   0x010
#define C_COLON 0x020
#define C_AT    0x040
#define C_BRACK 0x080 /* [ ] ( ) { } */
#define C_HI    0x100 /* bytes of multi-byte UTF-8 sequences */
#define C_HOST  0x200 /* letters, digits, '-', '_', '.' */
#define C_LOCAL 0x400 /* e-mail local part: C_HOST and '%', '+' */
#define C_LDH   0x800 /* letters, digits, '-' */

extern const uint16_t ioc_cls[256];

static inline unsigned char
ioc_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* s[0..n) equals the lower-case literal lit, ignoring ASCII case. */
static inline bool
ioc_ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n && lit[i] != '\0'; i++)
		if (ioc_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return i == n && lit[i] == '\0';
}

/* s[0..n) starts with the lower-case literal lit, ignoring ASCII case. */
static inline bool
ioc_iprefix(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; lit[i] != '\0'; i++)
		if (i >= n ||
		    ioc_lower((unsigned char)s[i]) != (unsigned char)lit[i])
			return false;
	return true;
}

/* Decimal of v into p (at least 21 bytes, no NUL); returns the length. */
size_t ioc_put_dec(char *p, unsigned long long v);

/* Strict UTF-8 decode of one code point; 0 if invalid or truncated. */
size_t ioc_utf8_dec(const unsigned char *p, size_t n, uint32_t *cp_out);
/* The lower-case form of an IDN letter of the supported subset, else 0. */
uint32_t ioc_idn_map(uint32_t c);

/* A reason for rejecting a value: pre, then num if has_num, then post. */
struct ioc_why {
	const char *pre;
	const char *post;
	unsigned long long num;
	bool has_num;
};

static inline bool
ioc_bad(struct ioc_why *w, const char *msg)
{
	w->pre = msg;
	w->post = "";
	w->has_num = false;
	return false;
}

/* Where the host of a URL or the domain of an e-mail address sits in the
 * normalised text, and the address when the host is one. */
struct ioc_host {
	int kind; /* 0 name, 4 IPv4, 6 IPv6, -1 none */
	size_t off, len;
	uint8_t addr[16];
};

/*
 * Single values (ioc_value.c). Parsers return false with a reason in *w.
 * The fmt_ functions write a NUL and return the length: IPv4 at most 15
 * bytes, IPv6 45, CIDR 49. Name outputs: 256 bytes; URL: IOC_URL_MAX + 1.
 */
bool ioc_parse_ipv4(const char *s, size_t n, uint8_t a[4], struct ioc_why *w);
size_t ioc_fmt_ipv4(char *p, const uint8_t a[4]);
bool ioc_parse_ipv6(const char *s, size_t n, uint8_t a[16], struct ioc_why *w);
size_t ioc_fmt_ipv6(char *p, const uint8_t a[16]);
bool ioc_parse_cidr(const char *s, size_t n, uint8_t a[16], bool *v6_out,
                    unsigned *plen_out, struct ioc_why *w);
size_t ioc_fmt_cidr(char *p, const uint8_t a[16], bool v6, unsigned plen);
bool ioc_norm_domain(const char *s, size_t n, char *out, size_t *len_out,
                     struct ioc_why *w);
bool ioc_norm_url(const char *s, size_t n, char *out, size_t *len_out,
                  struct ioc_host *hi, struct ioc_why *w);
bool ioc_norm_email(const char *s, size_t n, char *out, size_t *len_out,
                    struct ioc_host *hi, struct ioc_why *w);
bool ioc_norm_cve(const char *s, size_t n, char *out, size_t *len_out,
                  struct ioc_why *w);
bool ioc_parse_asn(const char *s, size_t n, unsigned long long *v_out,
                   struct ioc_why *w);
/* Any type; out holds IOC_OUT_MAX + 64 bytes. */
bool ioc_norm_typed(enum ioc_type t, const char *s, size_t n, char *out,
                    size_t *len_out, struct ioc_host *hi, struct ioc_why *w);
/* The canonical scheme for an alias such as "hxxp" (any case), or NULL. */
const char *ioc_scheme_canon(const char *s, size_t n);
/* A scheme the extractor and refanging recognise: http, https, ftp or an
 * alias, in any case. */
bool ioc_scheme_is_web(const char *s, size_t n);

/* Private, loopback, documentation ... (see ioc_extract_opts). */
bool ioc_ipv4_special(const uint8_t a[4]);
bool ioc_ipv6_special(const uint8_t a[16]);
bool ioc_asn_special(unsigned long long v);

/*
 * Refanging (ioc_refang.c). ioc_refang_value() takes a whole value
 * (n bytes; out holds n + 8) and returns the new length. ioc_refang_word()
 * replaces the bracketed markers of one word of free text w[0..n) (n at
 * most IOC_TOKEN_MAX; tok and map hold n + 1 entries): tok gets the
 * refanged bytes, map[i] the offset in w where tok[i] came from. It
 * returns false, writing nothing, when the word holds no marker.
 */
size_t ioc_refang_value(const char *s, size_t n, char *out);
bool ioc_refang_word(const unsigned char *w, size_t n, char *tok, uint16_t *map,
                     size_t *len_out);

/*
 * The set of (type, value) pairs already emitted (ioc_seen.c). Memory
 * comes from the arena when there is one, else from buf[0..buflen); once
 * it runs out, ioc_seen_add() answers "new" for everything it cannot
 * remember.
 */
struct ioc_slot;
struct ioc_seen {
	struct ioc_slot *tab; /* hash bits and key reference */
	size_t cap, n;
	char **blocks; /* key storage */
	size_t nblocks, blocks_cap;
	char *kp;     /* free room in the newest block */
	size_t kleft; /* bytes of it */
	size_t block_size;
	char *spare; /* the table before the last growth, for keys */
	size_t spare_len;
	struct arena *arena;
	unsigned char *buf;
	size_t buflen, used;
	bool full;
};

void ioc_seen_init(struct ioc_seen *s, struct arena *arena, void *buf,
                   size_t buflen);
/* True if (t, v[0..n)) was not in the set (or cannot be remembered). */
bool ioc_seen_add(struct ioc_seen *s, enum ioc_type t, const char *v, size_t n);
/*
 * The same in steps, so that a caller can overlap the memory latency of
 * several lookups: the hash, a hint to load the slot, a hint to load the
 * key it points to (once the slot is loaded), and the lookup itself.
 */
uint64_t ioc_seen_hash(enum ioc_type t, const char *v, size_t n);
void ioc_seen_prefetch(const struct ioc_seen *s, uint64_t h);
void ioc_seen_prefetch_key(const struct ioc_seen *s, uint64_t h);
bool ioc_seen_add_hashed(struct ioc_seen *s, enum ioc_type t, const char *v,
                         size_t n, uint64_t h);

#endif
