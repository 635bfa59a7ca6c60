/*
 * cidr.h - IP addresses, CIDR blocks and the constituency lookup index.
 *
 * Parsing is strict: "10.0.0.0/8", "2001:db8::/32", a bare address meaning
 * /32 or /128. Rejected: prefix lengths out of range, octets above 255,
 * leading zeros in IPv4 octets or prefix lengths ("010.0.0.1", "/08"), host
 * bits set ("10.0.0.1/8": the reason names the network, 10.0.0.0/8),
 * whitespace, empty text, zone ids, fewer or more than four IPv4 parts,
 * trailing junk. IPv6 groups may carry leading zeros (RFC 4291). ip_parse()
 * turns an IPv4-mapped IPv6 address (::ffff:a.b.c.d) into the IPv4 address;
 * cidr_parse() keeps a mapped block as IPv6 text, and the index stores a
 * mapped block of length >= 96 as the equivalent IPv4 block, so an IPv4
 * address never matches any other IPv6 block (not even ::/0).
 * cidr_format() and ip_format() write the canonical form: dotted quad, or
 * IPv6 in RFC 5952 form (lower case, no leading zeros, the longest run of two
 * or more zero groups as "::", the first on a tie, ::ffff:a.b.c.d for mapped).
 *
 * The index maps blocks to organisation ids (up to CIDR_MAX_VALUES per
 * block: several organisations may register the same block) and answers
 * "which most specific block contains this address". Data structure: per
 * address family, a path-compressed binary (patricia) trie whose nodes live
 * in one array addressed by 32-bit indices, plus a direct table of 2^16
 * slots indexed by the first 16 address bits. A slot holds the best match
 * among the blocks shorter than /16 on its path and the first trie node at
 * depth >= 16, so a lookup is one slot read and a short trie walk (a few
 * nodes for realistic tables) instead of ~log2(n) dependent node reads: with
 * 200,000 IPv4 blocks this is the difference between cache misses at every
 * level and two or three. A multibit trie with leaf pushing was rejected:
 * updates expand prefixes and memory grows with sparse long prefixes; the
 * patricia trie keeps memory at <= 2 nodes per block and updates O(depth)
 * plus at most 2^(16-len) slot refreshes for a block shorter than /16.
 * See docs/internals/lookup.md.
 *
 * Ownership and limits: the index owns all its memory (xmalloc: exhaustion
 * aborts); max_entries bounds the number of distinct blocks (CS_E_TOOBIG
 * beyond it, and beyond CIDR_MAX_VALUES values for one block). Lookups
 * allocate nothing.
 *
 * Concurrency: cidr_index_lookup() and the other const functions only read;
 * any number of threads may call them at once on an index nobody modifies.
 * add/remove mutate in place (and may move the node array), so they must
 * not run concurrently with anything on the same index. The owner either
 * (a) wraps the index in a pthread_rwlock (lookups under the read lock), or
 * (b) RCU style: cidr_index_clone() the published index, modify the copy
 * under the owner's own lock, publish it with an atomic pointer store
 * (release), and free the old copy once no reader can still hold it.
 */
#ifndef CS_CIDR_H
#define CS_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define CIDR_MAX_VALUES 8  /* organisations per block */
#define CIDR_TEXT_MAX   64 /* enough for any formatted block, with NUL */
#define CIDR_WHY_MAX    96 /* enough for any cidr_parse() reason */

struct ip_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t b[16];  /* network order; IPv4 uses b[0..3], rest zero */
};

struct cidr {
	struct ip_addr addr; /* the network: host bits are zero */
	uint8_t len;         /* 0..32 or 0..128 */
};

struct cidr_index;

/* Strict parsers; on failure *out is unspecified, except for host bits set,
 * where cidr_parse() leaves the masked network in *out. why_out (may be
 * NULL) receives a reason of at most CIDR_WHY_MAX bytes. */
bool ip_parse(const char *text, struct ip_addr *out);
bool cidr_parse(const char *text, struct cidr *out, char *why_out,
                size_t why_len);
void ip_format(const struct ip_addr *a, char *out, size_t n);
void cidr_format(const struct cidr *c, char *out, size_t n);
bool cidr_contains(const struct cidr *c, const struct ip_addr *a);

struct cidr_index *cidr_index_new(size_t max_entries);
void cidr_index_free(struct cidr_index *idx);
/* A deep copy, for copy-on-write updates (see above). */
struct cidr_index *cidr_index_clone(const struct cidr_index *idx);

/* CS_E_CONFLICT if the block already has this value, CS_E_TOOBIG past
 * max_entries blocks or CIDR_MAX_VALUES values, CS_E_INVAL on a block with
 * host bits set or a bad length. */
enum cs_err cidr_index_add(struct cidr_index *idx, const struct cidr *c,
                           int64_t value);
/* CS_E_NOTFOUND if the block does not carry this value. */
enum cs_err cidr_index_remove(struct cidr_index *idx, const struct cidr *c,
                              int64_t value);

/* The most specific block containing addr: returns how many values it
 * carries (0: no block matches), copies at most cap of them to values_out
 * in the order they were added, and the block to matched_out (may be
 * NULL). */
size_t cidr_index_lookup(const struct cidr_index *idx,
                         const struct ip_addr *addr, int64_t *values_out,
                         size_t cap, struct cidr *matched_out);
/* The same on address text; CS_E_INVAL if it is not an address. */
enum cs_err cidr_index_lookup_text(const struct cidr_index *idx,
                                   const char *text, int64_t *values_out,
                                   size_t cap, size_t *n_out,
                                   struct cidr *matched_out);

size_t cidr_index_count(const struct cidr_index *idx);  /* blocks */
size_t cidr_index_memory(const struct cidr_index *idx); /* bytes held */

#endif
