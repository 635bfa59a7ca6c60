/*
 * rules.h - the event pipeline's rule language: filter, modify and route
 * events (docs/rules.md is the analysts' reference).
 *
 *   rule "telnet scanners" {
 *       if feed.name == "Accessible-Telnet" and source.port in [23, 2323]
 *       then classify intrusion-attempts/brute-force; tag "telnet"; tlp amber
 *   }
 *
 * Loading: rules_load_text()/rules_load_file() parse a whole file into an
 * immutable struct rules. Field names are resolved to enum event_field (or
 * an extra.* key) and every literal is checked against the field's type and
 * converted to its binary form (addresses, CIDR blocks, integers, times)
 * at load; regular expressions are compiled with PCRE2 (JIT when the CPU
 * has it). Any error refuses the whole file with "FILE:LINE:COL: message"
 * in why (lines and columns count from 1, columns in bytes); *out is then
 * left untouched.
 *
 * Evaluating: rules_eval() runs the rules in file order on one event. Every
 * matching rule's actions apply; drop discards the event and stops, stop
 * ends evaluation after the rule's actions. Actions that change the event
 * (set, classify) write it through event_set_text()/event_set_extra() with
 * the caller's batch; the others fill struct rule_outcome, which the caller
 * acts on (notify, incident, tags, TLP). Evaluation allocates nothing but
 * the strings a set action interns into the batch.
 *
 * Ownership and lifetime: a struct rules is reference counted (it starts
 * at 1, owned by whoever loaded it). The strings in a rule_outcome (tags,
 * incident title, rule names) live in the rules: they stay valid while the
 * caller holds its reference. Values written into events are interned in
 * the event's batch, so events never point into a rules set.
 *
 * Concurrency: a struct rules is immutable, so any number of threads may
 * evaluate the same set at once, each with its own struct rules_ctx (PCRE2
 * match data and match limits; one per thread, reused for every event).
 * struct rules_live publishes the running set: rules_live_get() returns a
 * counted reference (take it once per batch), rules_put() drops it, and
 * rules_live_swap() installs a new set atomically; the old one is freed
 * when its last reader puts it back. A failed load never reaches the
 * holder, so the running rules are never half-replaced.
 *
 * Limits (CS_E_TOOBIG or a load error naming the limit): see RULES_*_MAX.
 */
#ifndef CS_RULES_H
#define CS_RULES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "pipeline/event.h"

#define RULES_FILE_MAX    (1u << 20) /* bytes in a rule file */
#define RULES_MAX         4096       /* rules in a file */
#define RULES_DEPTH_MAX   32         /* nesting of parentheses and not */
#define RULES_TERMS_MAX   256        /* comparisons in one rule's condition */
#define RULES_LIST_MAX    1024       /* values in one [list] */
#define RULES_ACTIONS_MAX 32         /* actions in one rule */
#define RULES_REGEX_MAX   1024       /* bytes in one /regex/ */
#define RULES_NAME_MAX    200        /* bytes in a rule name, tag or title */
#define RULES_TAGS_MAX    16         /* distinct tags in one outcome */
#define RULES_MATCHED_MAX 8          /* rule names kept in one outcome */
#define RULES_WHY_MAX     512        /* enough for any load error */
/* PCRE2 match limit per regex evaluation (backtracking steps) */
#define RULES_MATCH_LIMIT 100000

enum rule_notify { RULE_NOTIFY_UNSET, RULE_NOTIFY_YES, RULE_NOTIFY_NO };

enum rule_tlp {
	RULE_TLP_NONE,
	RULE_TLP_CLEAR,
	RULE_TLP_GREEN,
	RULE_TLP_AMBER,
	RULE_TLP_AMBER_STRICT,
	RULE_TLP_RED,
};

/* What the matching rules decided beyond changing the event. Later rules
 * override notify, incident and tlp; tags accumulate (duplicates once). */
struct rule_outcome {
	bool drop;
	enum rule_notify notify;
	enum rule_tlp tlp;
	const char *incident; /* title, or NULL */
	size_t n_tags;
	const char *tags[RULES_TAGS_MAX];
	bool tags_truncated; /* more than RULES_TAGS_MAX distinct tags */
	size_t n_matched;    /* how many rules matched */
	/* the first RULES_MATCHED_MAX matching rules' names, in order */
	const char *matched[RULES_MATCHED_MAX];
	const char *last_rule; /* the last matching rule's name, or NULL */
	/* regex evaluations that failed (match limit): counted as no match */
	unsigned regex_errors;
};

struct rules;
struct rules_ctx;

/* Parses text (n bytes; name is used in messages) into a new set with one
 * reference. CS_E_INVAL or CS_E_TOOBIG with why filled on any error. */
enum cs_err rules_load_text(const char *name, const char *text, size_t n,
                            struct rules **out, char why[RULES_WHY_MAX]);
/* The same on a file; CS_E_IO if it cannot be read, CS_E_TOOBIG beyond
 * RULES_FILE_MAX. */
enum cs_err rules_load_file(const char *path, struct rules **out,
                            char why[RULES_WHY_MAX]);
size_t rules_count(const struct rules *r);
/* Takes another reference / drops one (frees the set at zero). */
void rules_get(struct rules *r);
void rules_put(struct rules *r);

/* Per-thread evaluation state; never shared between threads at once. */
struct rules_ctx *rules_ctx_new(void);
void rules_ctx_free(struct rules_ctx *ctx);

/* Runs the rules on ev and fills *out (reset first). CS_E_TOOBIG when a set
 * action reaches the batch's memory cap or EVENT_EXTRA_MAX; the event then
 * keeps the changes made so far and *out what was decided so far. */
enum cs_err rules_eval(const struct rules *r, struct rules_ctx *ctx,
                       struct event_batch *b, struct event *ev,
                       struct rule_outcome *out);

/* "clear", "green", "amber", "amber+strict", "red"; NULL for none. */
const char *rule_tlp_name(enum rule_tlp t);

/* The running rule set (embedded; _init/_cleanup). Starts empty: get
 * returns NULL until the first swap. */
struct rules_live {
	pthread_mutex_t lock;
	struct rules *cur;
};

void rules_live_init(struct rules_live *l);
void rules_live_cleanup(struct rules_live *l);
/* A counted reference to the current set (NULL if none); rules_put() it. */
struct rules *rules_live_get(struct rules_live *l);
/* Installs r (taking over the caller's reference) and drops the holder's
 * reference to the previous set. */
void rules_live_swap(struct rules_live *l, struct rules *r);

#endif
