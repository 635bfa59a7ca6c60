/*
 * domidx.h - the constituency domain index: registered domains to
 * organisation ids, looked up by the most specific registered parent.
 *
 * A registered domain matches itself and every name below it on a label
 * boundary: "example.com" matches "example.com" and "www.example.com", never
 * "badexample.com". A lookup returns the most specific registered domain.
 *
 * Names are normalised (ASCII lower case, one trailing dot removed) and
 * validated strictly before registration: labels of 1-63 letters, digits
 * and hyphens, no hyphen at either end of a label, at most 253 characters,
 * at least two labels. Internationalised names must be given in their
 * A-label (xn--) form; Unicode text is rejected with a reason (no punycode
 * here). Names looked up are held to the same rules except that
 * underscores are allowed and one label suffices ("_dmarc.example.com"
 * finds "example.com"); an invalid name simply matches nothing.
 *
 * Data structure: one open-addressing hash table (linear probing,
 * backward-shift deletion, load <= 1/2) keyed by the normalised name. A
 * lookup normalises into a stack buffer, hashes every label suffix in one
 * right-to-left pass and probes from the longest suffix down: at most one
 * probe sequence per label, no allocation.
 *
 * Ownership and limits: the index owns its names (heap, aborts on
 * exhaustion); max_entries bounds the number of domains (CS_E_TOOBIG), and
 * a domain carries at most DOMIDX_MAX_VALUES values.
 *
 * Concurrency: the same contract as cidr.h: const functions only read, so
 * concurrent lookups are safe while nobody writes; writers are excluded by
 * the owner's rwlock, or work on a domidx_clone() that is then published
 * with an atomic pointer swap (the old copy freed after a grace period).
 */
#ifndef CS_DOMIDX_H
#define CS_DOMIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define DOMIDX_NAME_MAX   253 /* characters, without the trailing dot */
#define DOMIDX_MAX_VALUES 8

struct domidx;

/* Validates and normalises a domain for registration into out (at least
 * DOMIDX_NAME_MAX + 1 bytes). On failure *why_out (may be NULL) points to a
 * static reason. */
bool domidx_normalise(const char *in, char *out, const char **why_out);

struct domidx *domidx_new(size_t max_entries);
void domidx_free(struct domidx *d);
struct domidx *domidx_clone(const struct domidx *d);

/* CS_E_INVAL for a name domidx_normalise() rejects, CS_E_CONFLICT if the
 * domain already has this value, CS_E_TOOBIG past the limits. */
enum cs_err domidx_add(struct domidx *d, const char *domain, int64_t value);
/* CS_E_NOTFOUND if the domain does not carry this value. */
enum cs_err domidx_remove(struct domidx *d, const char *domain, int64_t value);

/* The most specific registered domain equal to or above fqdn: returns how
 * many values it carries (0: none), copies at most cap of them, and the
 * domain into matched_out (DOMIDX_NAME_MAX + 1 bytes; may be NULL). */
size_t domidx_lookup(const struct domidx *d, const char *fqdn,
                     int64_t *values_out, size_t cap, char *matched_out);

size_t domidx_count(const struct domidx *d);
size_t domidx_memory(const struct domidx *d);

#endif
