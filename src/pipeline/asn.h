/*
 * asn.h - origin AS and routed prefix of an address, from a routing table.
 *
 * Input: a pyasn "ipasn" text table, one "prefix<TAB>asn" per line, as
 * written by pyasn_util_convert.py from a BGP RIB dump (and by
 * ../shared/tools/gen_shadowserver_csv.py --asn-db). Lines starting with ';'
 * are comments; empty lines are skipped; a trailing CR is tolerated. IPv4 and
 * IPv6 prefixes may be mixed. Parsing is strict and stops at the first bad
 * line with "LINE: reason": a prefix cidr_parse() refuses, a prefix with host
 * bits set (pyasn converts MRT NLRI, which carry exactly prefix-length bits,
 * so a real table never has them: one means a damaged or hand-edited file,
 * and guessing the intended network would hide that), an ASN that is not
 * decimal digits or lies outside 1..4294967295 (0 is reserved, RFC 7607), a
 * prefix listed twice, a line longer than ASN_LINE_MAX bytes, or more than
 * max_prefixes prefixes (CS_E_TOOBIG).
 *
 * Lookup is the longest-prefix match of core/cidr.h (a 2^16 direct table
 * plus a patricia trie; about 68 bytes per prefix, 65 MB for a million),
 * allocates nothing and only reads. asn_enrich() fills source.asn and
 * source.network from source.ip, and destination.asn from destination.ip, each
 * only when the event does not carry it already (a feed's own value wins).
 *
 * Ownership and reload: a table is immutable once loaded and reference
 * counted (asn_table_ref/unref; the loader's reference is the first). A
 * reload builds a whole new table and publishes it with asn_holder_swap_take();
 * the holder drops its reference to the old table, which is freed when the
 * last worker that acquired it releases it. Workers call asn_holder_acquire()
 * once per batch (a mutex-protected pointer copy plus an atomic increment)
 * and asn_table_unref() after the batch, so one batch always sees one table,
 * a swap never waits for lookups, and lookups never take a lock.
 */
#ifndef CS_ASN_H
#define CS_ASN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/err.h"
#include "pipeline/event.h"

#define ASN_MAX_PREFIXES (4u * 1024 * 1024) /* a sane max_prefixes */
#define ASN_LINE_MAX     256                /* bytes per line, with EOL */
#define ASN_WHY_MAX      192

struct asn_table;
struct asn_holder;

/* Loads the table at path. CS_E_IO if it cannot be read, CS_E_INVAL for a
 * bad line, CS_E_TOOBIG past max_prefixes; why names the path and line. */
enum cs_err asn_table_load(const char *path, size_t max_prefixes,
                           struct asn_table **out, char why[ASN_WHY_MAX]);
/* The same on text in memory (n bytes); why names the line. */
enum cs_err asn_table_load_text(const char *text, size_t n, size_t max_prefixes,
                                struct asn_table **out, char why[ASN_WHY_MAX]);
struct asn_table *asn_table_ref(struct asn_table *t);
void asn_table_unref(struct asn_table *t); /* NULL is fine */

/* The origin AS of the most specific prefix containing addr, and that
 * prefix (network_out may be NULL). false when no prefix matches. */
bool asn_table_lookup(const struct asn_table *t, const struct ip_addr *addr,
                      uint32_t *asn_out, struct cidr *network_out);
/* Fills absent source.asn, source.network and destination.asn; returns how
 * many fields it set. */
unsigned asn_enrich(const struct asn_table *t, struct event *ev);

size_t asn_table_count(const struct asn_table *t);  /* prefixes */
size_t asn_table_memory(const struct asn_table *t); /* bytes held */

/* Takes the caller's reference to initial (may be NULL: no table yet). */
struct asn_holder *asn_holder_new(struct asn_table *initial);
void asn_holder_free(struct asn_holder *h);
/* The current table with a new reference (NULL if none): release it with
 * asn_table_unref(). */
struct asn_table *asn_holder_acquire(struct asn_holder *h);
/* Publishes t (taking the caller's reference) and drops the old one. */
void asn_holder_swap_take(struct asn_holder *h, struct asn_table *t);

#endif
