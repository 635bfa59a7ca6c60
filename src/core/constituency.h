/*
 * constituency.h - network assets of organisations and the lookup that
 * answers "whose is this IP, AS number or domain?".
 *
 * Assets are CIDR blocks (IPv4 and IPv6), AS numbers and domains, stored in
 * canonical form ("10.0.0.0/8", "2001:db8::/32", "AS64500", "example.org").
 * Changes are audited. Import takes CSV (org,kind,value with a header line),
 * all or nothing: every bad line is reported with its number and nothing is
 * stored; lines already present are skipped.
 *
 * struct constituency_index is the in-memory lookup (cidr.h, domidx.h and a
 * sorted ASN array) shared by all request threads. It follows the store's
 * asset_version: constituency_index_sync() rebuilds it outside any lock when
 * the version moved (a change by this or any other process, or the CLI) and
 * swaps it in under a write lock; lookups hold the read lock only for the
 * lookup itself.
 */
#ifndef CS_CONSTITUENCY_H
#define CS_CONSTITUENCY_H

#include <stddef.h>
#include <stdint.h>

#include "core/cidr.h"
#include "core/users.h"
#include "core/verr.h"
#include "store/store.h"

#define ASSET_VALUE_MAX   260
#define IMPORT_ERRORS_MAX 50

/* Canonical form of an asset, or CS_E_INVAL with the reason in why_out. */
enum cs_err asset_canonical(const char *kind, const char *value,
                            char out[ASSET_VALUE_MAX], char *why_out,
                            size_t why_len);

enum cs_err assets_add(struct store *st, struct arena *a,
                       const struct actor *by, struct org_asset *x,
                       struct verrs *ve);
enum cs_err assets_remove(struct store *st, struct arena *a,
                          const struct actor *by, int64_t org_id, int64_t id);

struct import_result {
	size_t lines, added, skipped;
	size_t nerrors; /* listed up to IMPORT_ERRORS_MAX */
	struct {
		size_t line;
		const char *message; /* arena */
	} errors[IMPORT_ERRORS_MAX];
};
/* CS_E_INVAL when any line is bad (see res->errors); nothing is stored. */
enum cs_err assets_import(struct store *st, struct arena *a,
                          const struct actor *by, const char *csv, size_t len,
                          struct import_result *res);

struct constituency_index;
struct constituency_index *constituency_index_new(void);
void constituency_index_free(struct constituency_index *ci);
/* Brings the index up to the store's asset version. */
enum cs_err constituency_index_sync(struct constituency_index *ci,
                                    struct store *st);

#define LOOKUP_MAX_ORGS 8
struct lookup_result {
	size_t n;
	int64_t org_ids[LOOKUP_MAX_ORGS];
	char matched[ASSET_VALUE_MAX]; /* the most specific asset */
};
/* kind: "ip", "asn", "domain". CS_E_INVAL for a malformed query. */
enum cs_err constituency_lookup(struct constituency_index *ci, const char *kind,
                                const char *query, struct lookup_result *out,
                                char *why_out, size_t why_len);
/* The organisations an event concerns, for the pipeline: those of the most
 * specific block holding ip (may be NULL); failing that, those of asn (0:
 * none); failing that, those of the most specific domain at or above fqdn
 * (normalised as events hold it; may be NULL). Returns how many were copied
 * (at most cap); 0 before the first sync. Allocates nothing. */
size_t constituency_match(struct constituency_index *ci,
                          const struct ip_addr *ip, uint32_t asn,
                          const char *fqdn, int64_t *orgs, size_t cap);
void constituency_index_stats(struct constituency_index *ci, size_t *blocks,
                              size_t *domains, size_t *asns, size_t *bytes);

#endif
