/*
 * observables.h - observables (IOCs) of incidents: adding, removing and
 * extracting them from free text.
 *
 * Values are stored in the one canonical form ioc_normalise() writes, after
 * refanging (hxxp, [.], [at] ...), so the same indicator added twice, or
 * found by extraction and added by hand, is the same row: adding it again
 * is a sighting that only moves its last_seen. Correlation (the other
 * incidents holding an observable) is read through the store with the
 * caller's struct viewer, so it never names an incident the caller could
 * not read.
 *
 * Every change runs in one write transaction with its audit rows:
 * "observable.create" for each observable that is new (a sighting of an
 * existing one writes none: it changes no recorded fact but last_seen) and
 * "observable.delete". Reading rights are the store's (the incident must be
 * readable by v, else CS_E_NOTFOUND); callers check write rights (the
 * team's handlers and admins) before calling.
 *
 * Limits: a comment is at most OBSERVABLE_COMMENT_MAX bytes; extraction
 * reads at most OBSERVABLES_TEXT_MAX bytes and reports at most
 * OBSERVABLES_EXTRACT_MAX observables (more sets *truncated_out, and is
 * CS_E_TOOBIG when attaching, which then attaches nothing).
 */
#ifndef CS_OBSERVABLES_H
#define CS_OBSERVABLES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/ioc.h"
#include "core/users.h"
#include "core/verr.h"
#include "store/store.h"

#define OBSERVABLE_COMMENT_MAX  2000
#define OBSERVABLES_TEXT_MAX    (1 << 20)
#define OBSERVABLES_EXTRACT_MAX 1000

/* What a caller gives for a new observable; value is refanged and
 * normalised for type. tlp is an enum tlp or -1 (none of its own). */
struct observable_input {
	const char *type, *value, *comment;
	bool to_ids;
	int tlp;
};

/* Adds in->value to incident ref. *out is the stored row: the new one, or
 * the existing one with its last_seen moved (*created_out false). Field
 * errors ("type", "value", "comment") go into ve with CS_E_INVAL. */
enum cs_err observables_add(struct store *st, struct arena *a,
                            const struct actor *by, const struct viewer *v,
                            const char *ref, const struct observable_input *in,
                            struct observable *out, bool *created_out,
                            struct verrs *ve);

/* CS_E_NOTFOUND when the incident or the observable is not there. */
enum cs_err observables_remove(struct store *st, struct arena *a,
                               const struct actor *by, const struct viewer *v,
                               const char *ref, int64_t id);

struct observables_extract_opts {
	unsigned types;    /* IOC_BIT() mask; 0 = every extractable type */
	bool skip_private; /* see struct ioc_extract_opts */
	const char *const
	    *own_domains; /* normalised; skipped with subdomains */
	size_t n_own_domains;
};

struct found {
	enum ioc_type type;
	const char *value; /* normalised, arena-owned */
	int64_t id;        /* when attached: the observable's id */
	bool created;      /* when attached: it was new */
};

/*
 * Finds every observable in text (len bytes), in order of first
 * appearance, each once. With attach, adds them all to incident ref in one
 * write transaction (as observables_add would, without comment) and tells
 * for each whether it was new; without, only checks that v may read ref.
 * Items are arena-owned.
 */
enum cs_err observables_extract(struct store *st, struct arena *a,
                                const struct actor *by, const struct viewer *v,
                                const char *ref, const char *text, size_t len,
                                const struct observables_extract_opts *opts,
                                bool attach, struct found **items_out,
                                size_t *n_out, bool *truncated_out);

#endif
