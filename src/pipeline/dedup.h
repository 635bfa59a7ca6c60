/*
 * dedup.h - bounded duplicate suppression and aggregation of events.
 *
 * Key: a list of up to DEDUP_KEY_FIELDS_MAX typed event fields (for example
 * source.ip, source.port, classification.identifier, feed.name); an absent
 * field is part of the key as "absent", distinct from any value. The key is
 * reduced to a 128-bit fingerprint by SipHash-2-4 (libsodium
 * crypto_shorthash_siphashx24) under a secret key drawn at creation, so a
 * hostile feed can neither predict which keys share a probe sequence (hash
 * flooding) nor craft two keys that compare equal. Keys are compared by
 * fingerprint: two different keys are mistaken for one only on a 128-bit
 * collision under the secret key. String values longer than 64 bytes enter
 * the key as their own keyed 128-bit hash.
 *
 * Window: a key's window opens at the time of the first event with that key
 * and lasts window seconds. Event time is time_field (time.source or
 * time.observation), falling back to the other time field, then to the
 * table's clock. The clock is the latest event time pushed (or given to
 * dedup_expire()); every push first closes the windows that end at or
 * before the clock, oldest first. An event whose key has an open window is
 * a duplicate (also when it is older than the window start: late events
 * count into the open window); otherwise it opens a new window.
 *
 * Bounds: capacity keys, fixed at creation; an open-addressing index (linear
 * probing, load <= 1/2, backward-shift deletion) over an entry array, plus
 * in aggregate mode record_max bytes per entry for the first event. When
 * all entries are in use, a new key evicts the entry whose window opened
 * first (stats.evictions): a later duplicate of an evicted key passes again
 * as new. Size capacity above the number of distinct keys one window of the
 * feed holds. Nothing is allocated per event: aggregate emission decodes
 * into an event batch owned by the table, reset when about 1 MB is used,
 * so its arena takes a new chunk at most once per ~100 emissions.
 *
 * Modes:
 * - DEDUP_DROP: dedup_push() says DEDUP_NEW (forward the event) or
 *   DEDUP_DUPLICATE (drop it).
 * - DEDUP_AGGREGATE: the table keeps the first event of each window and
 *   dedup_push() says DEDUP_HELD (the caller drops its event). When the
 *   window closes, the entry is evicted, or on dedup_flush(), emit() gets
 *   a copy of that first event with extra.first_seen and extra.last_seen
 *   (IntelMQ DateTime text: earliest and latest event time of the window)
 *   and extra.count (events in the window, integer), replacing any extras
 *   of those names, plus the same figures in struct dedup_aggregate. An
 *   event whose compact copy exceeds record_max (long URLs, many extras) is
 *   not aggregated: DEDUP_PASS, forward it as is (stats.oversize).
 *
 * Not thread-safe: one table per worker (or per feed).
 */
#ifndef CS_DEDUP_H
#define CS_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "pipeline/event.h"

#define DEDUP_KEY_FIELDS_MAX 8
#define DEDUP_CAPACITY_MAX   (1u << 26) /* keys */
#define DEDUP_RECORD_MAX     (64u * 1024)
#define DEDUP_HASH_KEY_BYTES 16
#define DEDUP_WHY_MAX        160

enum dedup_mode { DEDUP_DROP, DEDUP_AGGREGATE };
enum dedup_verdict { DEDUP_NEW, DEDUP_DUPLICATE, DEDUP_HELD, DEDUP_PASS };
enum dedup_reason { DEDUP_EMIT_WINDOW, DEDUP_EMIT_EVICTED, DEDUP_EMIT_FLUSH };

struct dedup_aggregate {
	int64_t first_seen, last_seen; /* earliest and latest event time */
	uint64_t count;                /* events in the window, >= 1 */
	enum dedup_reason reason;
};

/* ev is a fresh copy that lives until the callback returns: the callback
 * may change it, putting any new strings in a batch of its own. It must
 * not call into the table that emits. */
typedef void (*dedup_emit_fn)(void *ctx, struct event *ev,
                              const struct dedup_aggregate *agg);

struct dedup_config {
	enum event_field key[DEDUP_KEY_FIELDS_MAX];
	size_t n_key;                /* 1..DEDUP_KEY_FIELDS_MAX, no repeats */
	int64_t window;              /* seconds, >= 1 */
	enum event_field time_field; /* EF_TIME_SOURCE or EF_TIME_OBSERVATION */
	size_t capacity;             /* 1..DEDUP_CAPACITY_MAX */
	enum dedup_mode mode;
	size_t record_max;  /* DEDUP_AGGREGATE: 128..DEDUP_RECORD_MAX bytes */
	dedup_emit_fn emit; /* DEDUP_AGGREGATE: required */
	void *emit_ctx;
	/* NULL: a random key (the normal case); tests fix one */
	const uint8_t *hash_key; /* DEDUP_HASH_KEY_BYTES */
};

struct dedup_stats {
	uint64_t seen;       /* events pushed */
	uint64_t unique;     /* events that opened a window */
	uint64_t duplicates; /* events counted into an open window */
	uint64_t evictions;  /* entries dropped for room before their window
	                        closed */
	uint64_t closed;     /* windows closed by time */
	uint64_t emitted;    /* aggregates given to emit() */
	uint64_t oversize;   /* DEDUP_PASS verdicts */
	size_t entries, capacity;
	size_t memory; /* bytes held */
};

struct dedup;

/* Sets cfg->key from "source.ip,source.port,..." (IntelMQ names).
 * CS_E_INVAL naming the offending name. */
enum cs_err dedup_key_parse(const char *list, struct dedup_config *cfg,
                            char why[DEDUP_WHY_MAX]);
/* CS_E_INVAL with a reason on a bad configuration. */
enum cs_err dedup_new(const struct dedup_config *cfg, struct dedup **out,
                      char why[DEDUP_WHY_MAX]);
/* Emits nothing: dedup_flush() first to keep held aggregates. */
void dedup_free(struct dedup *d);

enum dedup_verdict dedup_push(struct dedup *d, const struct event *ev);
/* dedup_push() on n events in order, verdicts in verdicts_out[0..n):
 * the same results, faster on tables larger than the CPU caches (the
 * index slots and entries of a group of events are prefetched first). */
void dedup_push_batch(struct dedup *d, const struct event *const *evs, size_t n,
                      enum dedup_verdict *verdicts_out);
/* Advances the clock to now (never backwards) and closes the windows that
 * end at or before it: for an idle feed. */
void dedup_expire(struct dedup *d, int64_t now);
/* Emits every held aggregate (DEDUP_EMIT_FLUSH) and empties the table. */
void dedup_flush(struct dedup *d);
void dedup_get_stats(const struct dedup *d, struct dedup_stats *out);

#endif
