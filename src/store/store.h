/*
 * store.h - the storage interface.
 *
 * A backend is one file that fills a struct store_ops (OpenSMTPD's
 * table_backend): store_sqlite.c today, store_pg.c next. Operations are
 * domain operations, not generic SQL, so each backend owns its dialect and
 * SQL never leaves store_*.c.
 *
 * A struct store is one connection and is used by one thread at a time; a
 * struct store_pool hands connections to request threads and job workers.
 * Strings in returned rows are copied into the caller's arena. Write
 * transactions are begun with store_begin(st, true) and serialise writers
 * (BEGIN IMMEDIATE in SQLite), so read-then-write sequences inside them
 * (audit chain head, job claim) are safe.
 *
 * ops->version is append-only: add operations at the end and bump it.
 */
#ifndef CS_STORE_H
#define CS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/incident.h"

#define STORE_OPS_VERSION 12

enum role {
	ROLE_ADMIN,
	ROLE_HANDLER,
	ROLE_VIEWER,
	ROLE_CONSTITUENT,
};

struct user {
	int64_t id;
	const char *login;
	const char *name;  /* "" when unset */
	const char *email; /* "" when unset */
	const char *org;   /* NULL unless role is constituent */
	const char *pw_hash;
	enum role role;
	bool disabled;
	int64_t version; /* bumped by every update; the ETag */
	int64_t created_at, updated_at, last_login_at; /* 0 = never */
};

struct token {
	int64_t id, user_id;
	const char *name;
	const char *prefix; /* first characters, for recognising a token */
	const char *user_login;
	int64_t created_at, expires_at, last_used_at, revoked_at; /* 0 = none */
};

struct session {
	int64_t user_id;
	int64_t created_at, expires_at, last_seen_at;
};

struct audit_row {
	int64_t seq, at;
	const char *actor, *action, *object_type, *object_id;
	const char *detail; /* canonical JSON object text */
	const char *prev_hash, *hash;
};

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_NSTATES };

struct job {
	int64_t id;
	const char *kind;
	const char *payload; /* JSON text */
	enum job_state state;
	int attempts, max_attempts;
	int64_t run_after, created_at, finished_at, lease_until;
	const char *last_error; /* NULL when none */
};

struct idem {
	const char *req_hash;
	bool done;
	int status;
	const char *content_type, *body;
};

/* Keyset pagination: rows with a key greater than after, at most limit. */
struct page {
	int64_t after;
	int limit;
	int64_t after_key; /* a sorted list: the sort key of row "after" */
	/* set by a sorted list's handler: the next cursor carries the sort
	 * key of the last row shown */
	bool keyed;
	int64_t next_key;
};

struct audit_filter {
	const char *action, *actor; /* NULL = any */
};

/* constituency (version 2) */
struct org {
	int64_t id;
	int64_t parent_id; /* 0 = none */
	const char *name, *short_name, *sector, *country, *languages, *notes;
	const char *parent_short; /* read only: the parent's short name */
	int64_t version, created_at, updated_at;
	/* digests (version 12): immediate, hourly, daily, never; test mode
	 * sends them to the team instead */
	const char *notify_interval; /* NULL on put: daily */
	bool notify_test;
};

struct contact {
	int64_t id, org_id;
	const char *name, *email, *phone, *role, *language;
	const char *pgp_key, *pgp_fingerprint; /* NULL when it has none */
	int64_t created_at;
};

struct org_asset {
	int64_t id, org_id;
	const char *kind;  /* "cidr", "asn", "domain" */
	const char *value; /* canonical form */
	int64_t created_at;
};

/* incidents (version 3) */
struct incident {
	int64_t id;
	const char *ref, *title, *summary;
	const char *rsit_class, *rsit_type; /* NULL when unclassified */
	enum tlp tlp;
	enum pap pap;
	enum level impact, urgency;
	int priority;
	enum status status;
	enum resolution resolution;
	int64_t owner_id;  /* 0 = unassigned */
	const char *owner; /* read only: the owner's login */
	int64_t response_due, resolve_due, first_response_at, resolved_at;
	int64_t version, created_at, updated_at;
	const char *created_by;
	/* sets, as NULL-terminated arrays of logins / org short names / tags */
	const char **members, **orgs, **tags;
};

/* Who reads: the one input of every visibility rule. */
struct viewer {
	int64_t user_id;
	enum role role;
	const char *org; /* a constituent's organisation */
};

struct incident_filter {
	const char *status, *rsit_class, *rsit_type, *tag, *org;
	int tlp;            /* -1 any */
	int priority;       /* 0 any */
	int64_t owner_id;   /* 0 any; -1 unassigned */
	int64_t due_before; /* 0 any: active and resolve_due < this */
	const char *fts;    /* an FTS5 query (search.h), or NULL */
	int sort;           /* enum incident_sort */
};

/* Orders of incident_list; every one ends with the newest first. */
enum incident_sort {
	SORT_NEWEST,   /* id descending */
	SORT_PRIORITY, /* priority 1 first */
	SORT_DUE,      /* resolution deadline, soonest first */
	SORT_UPDATED,  /* last changed first */
};
/* The sort key incident_list orders x by (0 for SORT_NEWEST). */
int64_t incident_sort_key(const struct incident *x, int sort);

struct entry {
	int64_t id, incident_id;
	const char *kind, *visibility, *author, *body;
	int64_t created_at;
};

struct task {
	int64_t id, incident_id;
	const char *title;
	int64_t assignee_id;  /* 0 = none */
	const char *assignee; /* read only */
	int64_t due_at;
	const char *state;
	int64_t version, created_at, updated_at;
};

/* observables (version 4) */
struct observable {
	int64_t id, incident_id;
	const char *type;  /* ioc_type_name() */
	const char *value; /* canonical form (ioc_normalise) */
	bool to_ids;
	int tlp;             /* enum tlp, -1 = none of its own */
	const char *comment; /* "" when none */
	int64_t first_seen, last_seen;
	const char *created_by;
	int64_t created_at;
};

/* Another incident holding observable number index of a list. */
struct correlation {
	size_t index;
	int64_t incident_id;
	const char *ref, *title;
};

/* reports (version 5) */
struct report {
	int64_t id;
	const char *source; /* web, api, email, feed */
	const char *reporter, *subject, *body, *language;
	enum tlp tlp;
	const char *status;       /* new, triaged, merged, rejected, spam */
	int64_t incident_id;      /* 0 = none */
	const char *incident_ref; /* read only */
	int64_t received_at;
	const char *created_by, *triaged_by;
	int64_t triaged_at, version;
};

/* links between incidents (version 7), seen from one incident */
struct incident_link {
	int64_t id;
	const char *kind;        /* related, parent-of, child-of, duplicate-of,
	                            duplicated-by */
	const char *ref, *title; /* the other incident */
	const char *created_by;
	int64_t created_at;
};

/* incident templates (version 8); -1 = no default for an enum field */
struct incident_template {
	int64_t id;
	const char *rsit_type, *name;
	int tlp, pap, impact, urgency;
	const char *tags;  /* comma-separated */
	const char *tasks; /* one task title per line */
	int64_t version, created_at, updated_at;
};

/* full-text search (version 6) */
struct search_hit {
	const char *kind;         /* incident, report, entry, observable */
	const char *incident_ref; /* NULL for a report not attached */
	int64_t report_id;        /* for reports */
	const char *title, *snippet;
};

/* e-mail (version 9) */
struct artefact {
	const char *sha256; /* lower-case hex */
	int64_t size;
	const char *content_type;
	const unsigned char *data; /* NULL from artefact_get with no data */
	int64_t created_at;
};

struct mail_thread {
	int64_t id, incident_id;
	const char *kind;        /* reporter, constituent, third_party */
	const char *counterpart; /* e-mail address */
	int64_t contact_id;      /* 0 = none */
	const char *language, *subject, *created_by;
	int64_t created_at;
};

struct mail_attachment {
	const char *sha256, *filename, *content_type;
	int64_t size;
};

struct mail {
	int64_t id;
	const char *direction; /* in, out */
	const char *state;     /* received, ignored, quarantined, queued, sent,
	                          failed */
	const char *message_id, *in_reply_to, *sender;
	const char *recipients; /* comma-separated */
	const char *subject;
	const char *raw_sha256;                 /* NULL = none */
	int64_t incident_id;                    /* 0 = none */
	const char *incident_ref;               /* read only */
	int64_t thread_id, report_id, entry_id; /* 0 = none */
	bool encrypted, auto_reply;
	const char *signature; /* none, good, bad, unknown_key, error */
	const char *signer, *error, *created_by;
	int64_t created_at, sent_at;
	struct mail_attachment *attachments;
	size_t n_attachments;
};

#define MAIL_ATTACHMENTS_MAX 100

struct mail_filter {
	const char *state, *direction;  /* NULL = any */
	int64_t incident_id, thread_id; /* 0 = any */
};

/* the event pipeline (version 11) */
struct feed_report {
	int64_t id;
	const char *feed;   /* the feed's name */
	const char *report; /* the report kind within the feed, or "" */
	const char *source; /* file name, URL or message it came from */
	const char *sha256; /* of the content */
	int64_t size;
	const char *state; /* queued, running, done, failed */
	/* records: the checkpoint, records whose outcome is committed */
	int64_t records, events, stored, malformed, dropped, duplicates;
	const char *error; /* NULL when none */
	const char *spool; /* received content kept for processing, or NULL */
	int64_t received_at, started_at, finished_at; /* 0 = not yet */
};

#define EVENT_IP_BYTES 16

/* An event as stored: the columns filters use, and the event itself as
 * an IntelMQ JSON line. */
struct stored_event {
	int64_t org_id; /* 0: concerns no known organisation */
	int64_t time_source;
	bool has_time;
	bool has_ip; /* source_ip: 16 bytes, IPv4 as ::ffff:a.b.c.d */
	uint8_t source_ip[EVENT_IP_BYTES];
	int64_t source_asn;                       /* 0: none */
	const char *taxonomy, *type, *identifier; /* NULL: none */
	const char *tlp;
	bool notify;
	const char *data;
	size_t data_len;
};

struct event_row {
	int64_t id, report_id, org_id, stored_at;
	const char *feed, *tlp, *org_short; /* org_short NULL without org */
	const char *data; /* the IntelMQ line, NUL-terminated */
	size_t data_len;
	bool notify;
};

struct event_filter {
	int64_t org_id;    /* 0 = any, -1 = events of no organisation */
	int64_t report_id; /* 0 = any */
	const char *feed, *taxonomy, *type, *identifier; /* NULL = any */
	bool has_range; /* source_ip within lo..hi (16-byte form) */
	uint8_t ip_lo[EVENT_IP_BYTES], ip_hi[EVENT_IP_BYTES];
	int64_t since, until; /* time.source bounds, inclusive; 0 = open */
	bool hide_red;        /* leave TLP:RED events out */
};

struct feed_malformed {
	int64_t line;
	const char *reason;
};

/* event notifications (version 12) */
struct notification {
	int64_t id, org_id;
	int64_t contact_id;    /* 0: none (a given address, or the contact is
	                          gone) */
	const char *org_short; /* read only */
	const char *address, *language, *feed;
	int64_t first_event, last_event, events; /* ids and count mailed */
	bool test;
	int64_t mail_id, resent_from; /* 0 = none */
	const char *mail_state; /* read only: queued, sent, failed; NULL when
	                           the mail is gone */
	const char *created_by;
	int64_t created_at;
};

struct notification_filter {
	int64_t org_id;   /* 0 = any */
	const char *feed; /* NULL = any */
};

/* An organisation and feed with events its digests have not covered. */
struct notify_due {
	int64_t org_id;
	const char *feed;
};

struct store;
typedef enum cs_err (*audit_scan_fn)(void *ctx, const struct audit_row *row);

struct store_ops {
	const char *scheme;
	int version;

	enum cs_err (*open)(const char *url, struct store **out);
	void (*close)(struct store *);
	/* Applies pending embedded migrations, each in its own transaction.
	 * With dry_run, only lists them. *applied_out counts them. */
	enum cs_err (*migrate)(struct store *, bool dry_run,
	                       void (*report)(const char *name, void *ctx),
	                       void *ctx, int *applied_out);
	enum cs_err (*begin)(struct store *, bool write);
	enum cs_err (*commit)(struct store *);
	void (*rollback)(struct store *);
	enum cs_err (*ping)(struct store *);
	const char *(*errmsg)(struct store *);

	/* users */
	enum cs_err (*user_put)(struct store *, const struct user *,
	                        int64_t *id_out);
	/* by id when login is NULL */
	enum cs_err (*user_get)(struct store *, struct arena *, int64_t id,
	                        const char *login, struct user *out);
	enum cs_err (*user_list)(struct store *, struct arena *, int role,
	                         const struct page *, struct user **items_out,
	                         size_t *n_out);
	/* Writes every mutable field of u; CS_E_STALE when u->version no longer
	 * matches, CS_E_NOTFOUND when the user is gone. */
	enum cs_err (*user_update)(struct store *, const struct user *u,
	                           int64_t now);
	enum cs_err (*user_set_password)(struct store *, int64_t id,
	                                 const char *pw_hash, int64_t now);
	enum cs_err (*user_touch_login)(struct store *, int64_t id,
	                                int64_t now);
	enum cs_err (*user_count_admins)(struct store *, int64_t *out);

	/* sessions, keyed by the SHA-256 of the cookie value */
	enum cs_err (*session_put)(struct store *, const char *hash,
	                           const struct session *);
	enum cs_err (*session_get)(struct store *, struct arena *,
	                           const char *hash, struct session *s_out,
	                           struct user *u_out);
	enum cs_err (*session_touch)(struct store *, const char *hash,
	                             int64_t seen, int64_t expires);
	enum cs_err (*session_delete)(struct store *, const char *hash);
	enum cs_err (*session_delete_user)(struct store *, int64_t user_id);

	/* API tokens, keyed by the SHA-256 of the token */
	enum cs_err (*token_put)(struct store *, const struct token *,
	                         const char *hash, int64_t *id_out);
	enum cs_err (*token_auth)(struct store *, struct arena *,
	                          const char *hash, struct token *t_out,
	                          struct user *u_out);
	enum cs_err (*token_get)(struct store *, struct arena *, int64_t id,
	                         struct token *out);
	/* user_id 0 = every user's tokens */
	enum cs_err (*token_list)(struct store *, struct arena *,
	                          int64_t user_id, const struct page *,
	                          struct token **items_out, size_t *n_out);
	enum cs_err (*token_revoke)(struct store *, int64_t id, int64_t now);
	enum cs_err (*token_revoke_user)(struct store *, int64_t user_id,
	                                 int64_t now);
	enum cs_err (*token_touch)(struct store *, int64_t id, int64_t now);

	/* failed-login throttling; key is "user:<login>" or "addr:<ip>" */
	enum cs_err (*throttle_get)(struct store *, const char *key,
	                            int64_t now, int *failures_out,
	                            int64_t *locked_until_out);
	enum cs_err (*throttle_fail)(struct store *, const char *key,
	                             int64_t now, int64_t window, int max,
	                             int64_t lockout,
	                             int64_t *locked_until_out);
	enum cs_err (*throttle_clear)(struct store *, const char *key);

	/* idempotency keys, scoped by user. claim inserts a pending row or
	 * returns the existing one in *existing_out (*claimed_out false). */
	enum cs_err (*idem_claim)(struct store *, struct arena *,
	                          int64_t user_id, const char *key,
	                          const char *req_hash, int64_t now,
	                          bool *claimed_out, struct idem *existing_out);
	enum cs_err (*idem_finish)(struct store *, int64_t user_id,
	                           const char *key, int status,
	                           const char *content_type, const char *body);
	enum cs_err (*idem_release)(struct store *, int64_t user_id,
	                            const char *key);

	/* audit log: hash-chained, append-only */
	enum cs_err (*audit_head)(struct store *, struct arena *,
	                          int64_t *seq_out, const char **hash_out);
	enum cs_err (*audit_insert)(struct store *, const struct audit_row *);
	enum cs_err (*audit_list)(struct store *, struct arena *,
	                          const struct audit_filter *,
	                          const struct page *,
	                          struct audit_row **items_out, size_t *n_out);
	enum cs_err (*audit_scan)(struct store *, audit_scan_fn fn, void *ctx);

	/* durable jobs */
	enum cs_err (*job_put)(struct store *, const struct job *,
	                       int64_t *id_out);
	/* Claims the oldest runnable job (queued and due, or running with an
	 * expired lease): state running, attempts + 1, lease_until set.
	 * CS_E_NOTFOUND when there is none. */
	enum cs_err (*job_claim)(struct store *, struct arena *, int64_t now,
	                         int64_t lease, struct job *out);
	/* done, if still held by the claim that counted this attempt */
	enum cs_err (*job_done)(struct store *, int64_t id, int attempt,
	                        int64_t now);
	/* back to queued at run_after, or failed when dead is true */
	enum cs_err (*job_retry)(struct store *, int64_t id, const char *error,
	                         int64_t run_after, bool dead, int64_t now);
	/* running jobs back to queued: used at start by an exclusive owner */
	enum cs_err (*job_recover)(struct store *, int64_t *n_out);
	enum cs_err (*job_get)(struct store *, struct arena *, int64_t id,
	                       struct job *out);
	/* state -1 = any */
	enum cs_err (*job_list)(struct store *, struct arena *, int state,
	                        const struct page *, struct job **items_out,
	                        size_t *n_out);
	enum cs_err (*job_counts)(struct store *, int64_t counts[JOB_NSTATES]);

	/* housekeeping: expired sessions, idempotency keys, throttles */
	enum cs_err (*purge)(struct store *, int64_t now, int64_t idem_ttl,
	                     int64_t *n_out);
	/* consistent copy of the whole database to a new file */
	enum cs_err (*backup)(struct store *, const char *dest);
	/* true when only one process may use the database at a time */
	bool (*is_exclusive)(struct store *);

	/* ---- version 2: the constituency ---- */
	enum cs_err (*org_put)(struct store *, const struct org *,
	                       int64_t *id_out);
	/* by id when short_name is NULL */
	enum cs_err (*org_get)(struct store *, struct arena *, int64_t id,
	                       const char *short_name, struct org *out);
	/* q: case-insensitive substring of name or short name, or NULL */
	enum cs_err (*org_list)(struct store *, struct arena *, const char *q,
	                        const struct page *, struct org **items_out,
	                        size_t *n_out);
	/* CS_E_STALE when o->version no longer matches */
	enum cs_err (*org_update)(struct store *, const struct org *o,
	                          int64_t now);
	enum cs_err (*contact_put)(struct store *, const struct contact *,
	                           int64_t *id_out);
	enum cs_err (*contact_list)(struct store *, struct arena *,
	                            int64_t org_id, const struct page *,
	                            struct contact **items_out, size_t *n_out);
	enum cs_err (*contact_delete)(struct store *, int64_t org_id,
	                              int64_t id);
	enum cs_err (*asset_put)(struct store *, const struct org_asset *,
	                         int64_t *id_out);
	/* kind NULL = every kind */
	enum cs_err (*asset_list)(struct store *, struct arena *,
	                          int64_t org_id, const char *kind,
	                          const struct page *,
	                          struct org_asset **items_out, size_t *n_out);
	enum cs_err (*asset_get)(struct store *, struct arena *, int64_t org_id,
	                         int64_t id, struct org_asset *out);
	enum cs_err (*asset_delete)(struct store *, int64_t org_id, int64_t id);
	/* every asset, in id order, for building the lookup index */
	enum cs_err (*asset_scan)(struct store *,
	                          enum cs_err (*fn)(void *ctx,
	                                            const struct org_asset *),
	                          void *ctx);
	/* bumped by every asset change, by any process */
	enum cs_err (*asset_version)(struct store *, int64_t *out);

	/* ---- version 3: incidents ---- */
	/* Takes the next reference number of year, stores the incident with
	 * its sets and writes id and ref (arena) back into *inc. */
	enum cs_err (*incident_put)(struct store *, struct arena *,
	                            const char *team_code, int year,
	                            struct incident *inc);
	/* CS_E_NOTFOUND also when v may not read it (TLP, organisation) */
	enum cs_err (*incident_get)(struct store *, struct arena *,
	                            const struct viewer *v, const char *ref,
	                            struct incident *out);
	enum cs_err (*incident_list)(struct store *, struct arena *,
	                             const struct viewer *v,
	                             const struct incident_filter *f,
	                             const struct page *,
	                             struct incident **items_out,
	                             size_t *n_out);
	/* every scalar field and the sets; CS_E_STALE on version mismatch */
	enum cs_err (*incident_update)(struct store *, const struct incident *,
	                               int64_t now);
	enum cs_err (*entry_put)(struct store *, const struct entry *,
	                         int64_t *id_out);
	enum cs_err (*entry_list)(struct store *, struct arena *,
	                          int64_t incident_id, bool shared_only,
	                          const struct page *, struct entry **items_out,
	                          size_t *n_out);
	enum cs_err (*task_put)(struct store *, const struct task *,
	                        int64_t *id_out);
	enum cs_err (*task_get)(struct store *, struct arena *,
	                        int64_t incident_id, int64_t id,
	                        struct task *out);
	enum cs_err (*task_list)(struct store *, struct arena *,
	                         int64_t incident_id, const struct page *,
	                         struct task **items_out, size_t *n_out);
	enum cs_err (*task_update)(struct store *, const struct task *,
	                           int64_t now);
	/* open tasks of an incident become cancelled; count in n_out */
	enum cs_err (*task_cancel_open)(struct store *, int64_t incident_id,
	                                int64_t now, int64_t *n_out);
	enum cs_err (*task_count_open)(struct store *, int64_t incident_id,
	                               int64_t *n_out);

	/* ---- version 4: observables ---- */
	/* Inserts x; when (incident_id, type, value) is there already, only
	 * moves its last_seen to x->last_seen (if later). Writes the row's id
	 * and whether it was inserted. */
	enum cs_err (*observable_put)(struct store *,
	                              const struct observable *x,
	                              int64_t *id_out, bool *created_out);
	enum cs_err (*observable_get)(struct store *, struct arena *,
	                              int64_t incident_id, int64_t id,
	                              struct observable *out);
	/* in id order */
	enum cs_err (*observable_list)(struct store *, struct arena *,
	                               int64_t incident_id, const struct page *,
	                               struct observable **items_out,
	                               size_t *n_out);
	/* CS_E_NOTFOUND when there is no such observable on the incident */
	enum cs_err (*observable_delete)(struct store *, int64_t incident_id,
	                                 int64_t id);
	/* For each of the n observables (type, value), the incidents other
	 * than incident_id holding the same one that v may read (the
	 * incident_get rule), newest first, at most max_each per observable. */
	enum cs_err (*observable_correlate)(
	    struct store *, struct arena *, const struct viewer *v,
	    int64_t incident_id, const struct observable *obs, size_t n,
	    int max_each, struct correlation **items_out, size_t *n_out);

	/* ---- version 5: reports ---- */
	enum cs_err (*report_put)(struct store *, const struct report *,
	                          int64_t *id_out);
	enum cs_err (*report_get)(struct store *, struct arena *, int64_t id,
	                          struct report *out);
	/* newest first; status, source NULL = any */
	enum cs_err (*report_list)(struct store *, struct arena *,
	                           const char *status, const char *source,
	                           const struct page *,
	                           struct report **items_out, size_t *n_out);
	/* status, incident_id, triaged_by; CS_E_STALE on version mismatch */
	enum cs_err (*report_triage)(struct store *, const struct report *,
	                             int64_t now);

	/* ---- version 6: full-text search ---- */
	/* Hits v may read, newest first; p->after is an offset. Reports only
	 * for the team; internal entries and TLP:RED observables not for
	 * constituents. CS_E_INVAL for a query FTS5 refuses. */
	enum cs_err (*search)(struct store *, struct arena *,
	                      const struct viewer *v, const char *fts,
	                      const struct page *p,
	                      struct search_hit **items_out, size_t *n_out);

	/* ---- version 7: links between incidents ---- */
	/* kind is stored form: related (from < to), parent, duplicate */
	enum cs_err (*link_put)(struct store *, int64_t from_id, int64_t to_id,
	                        const char *kind, const char *by, int64_t now,
	                        int64_t *id_out);
	/* links of incident_id whose other end v may read */
	enum cs_err (*link_list)(struct store *, struct arena *,
	                         const struct viewer *v, int64_t incident_id,
	                         struct incident_link **items_out,
	                         size_t *n_out);
	enum cs_err (*link_delete)(struct store *, int64_t incident_id,
	                           int64_t id);

	/* ---- version 8: incident templates ---- */
	/* insert when t->id is 0, else update (CS_E_STALE on version) */
	enum cs_err (*template_put)(struct store *,
	                            const struct incident_template *t,
	                            int64_t now, int64_t *id_out);
	/* by id, or by RSIT type when rsit_type is not NULL */
	enum cs_err (*template_get)(struct store *, struct arena *, int64_t id,
	                            const char *rsit_type,
	                            struct incident_template *out);
	enum cs_err (*template_list)(struct store *, struct arena *,
	                             const struct page *,
	                             struct incident_template **items_out,
	                             size_t *n_out);
	enum cs_err (*template_delete)(struct store *, int64_t id);

	/* ---- version 9: e-mail ---- */
	/* stores the artefact unless one with its hash exists */
	enum cs_err (*artefact_put)(struct store *, const struct artefact *);
	/* with_data false leaves out->data NULL */
	enum cs_err (*artefact_get)(struct store *, struct arena *,
	                            const char *sha256, bool with_data,
	                            struct artefact *out);
	/* inserts the thread; CS_E_CONFLICT when the incident has one with
	 * that counterpart */
	enum cs_err (*thread_put)(struct store *, const struct mail_thread *,
	                          int64_t *id_out);
	/* by id, or by counterpart when counterpart is not NULL */
	enum cs_err (*thread_get)(struct store *, struct arena *,
	                          int64_t incident_id, int64_t id,
	                          const char *counterpart,
	                          struct mail_thread *out);
	enum cs_err (*thread_list)(struct store *, struct arena *,
	                           int64_t incident_id,
	                           struct mail_thread **items_out,
	                           size_t *n_out);
	/* inserts the mail and its attachments (their artefacts exist) */
	enum cs_err (*mail_put)(struct store *, const struct mail *,
	                        int64_t *id_out);
	enum cs_err (*mail_get)(struct store *, struct arena *, int64_t id,
	                        struct mail *out);
	/* the newest mail with this Message-ID linked to an incident or a
	 * report */
	enum cs_err (*mail_find)(struct store *, struct arena *,
	                         const char *message_id, struct mail *out);
	/* newest first, without attachments */
	enum cs_err (*mail_list)(struct store *, struct arena *,
	                         const struct mail_filter *,
	                         const struct page *, struct mail **items_out,
	                         size_t *n_out);
	/* sets state, error, sent_at (0 = unchanged) */
	enum cs_err (*mail_set_state)(struct store *, int64_t id,
	                              const char *state, const char *error,
	                              int64_t sent_at);

	/* ---- version 10: report attachments ---- */
	/* appends n attachments (their artefacts exist) to a report */
	enum cs_err (*report_attach)(struct store *, int64_t report_id,
	                             const struct mail_attachment *f, size_t n);
	/* the inbound mail whose raw message has this hash */
	enum cs_err (*mail_by_raw)(struct store *, const char *sha256,
	                           int64_t *id_out);
	/* in order, at most MAIL_ATTACHMENTS_MAX */
	enum cs_err (*report_attachments)(struct store *, struct arena *,
	                                  int64_t report_id,
	                                  struct mail_attachment **items_out,
	                                  size_t *n_out);

	/* ---- version 11: the event pipeline ---- */
	/* CS_E_CONFLICT when the feed already has a report with this
	 * sha256 */
	enum cs_err (*feed_report_put)(struct store *,
	                               const struct feed_report *,
	                               int64_t *id_out);
	enum cs_err (*feed_report_get)(struct store *, struct arena *,
	                               int64_t id, struct feed_report *out);
	enum cs_err (*feed_report_find)(struct store *, struct arena *,
	                                const char *feed, const char *sha256,
	                                struct feed_report *out);
	/* feed NULL = every feed; state NULL = any; newest first */
	enum cs_err (*feed_report_list)(struct store *, struct arena *,
	                                const char *feed, const char *state,
	                                const struct page *,
	                                struct feed_report **items_out,
	                                size_t *n_out);
	/* state, counters, error, spool and times from *r; with
	 * expect_records >= 0, only while the stored checkpoint is that
	 * (CS_E_STALE otherwise) */
	enum cs_err (*feed_report_update)(struct store *,
	                                  const struct feed_report *r,
	                                  int64_t expect_records);
	/* appends n events of a report in one statement round; the lines
	 * are stored packed against the report's field codes, which go in
	 * with them (in a write transaction, together or not at all) */
	enum cs_err (*event_append)(struct store *, int64_t report_id,
	                            const char *feed, int64_t stored_at,
	                            const struct stored_event *ev, size_t n);
	/* newest first */
	enum cs_err (*event_list)(struct store *, struct arena *,
	                          const struct event_filter *,
	                          const struct page *,
	                          struct event_row **items_out, size_t *n_out);
	/* a record already listed for the line is kept */
	enum cs_err (*feed_malformed_add)(struct store *, int64_t report_id,
	                                  int64_t line, const char *reason);
	/* in line order */
	enum cs_err (*feed_malformed_list)(struct store *, struct arena *,
	                                   int64_t report_id,
	                                   const struct page *,
	                                   struct feed_malformed **items_out,
	                                   size_t *n_out);
	/* deletes the feed's reports received before `before`, with their
	 * events; counts what went */
	enum cs_err (*feed_expire)(struct store *, const char *feed,
	                           int64_t before, int64_t *reports_out,
	                           int64_t *events_out);

	/* ---- version 12: event notifications ---- */
	/* (organisation, feed) pairs that have events to notify: notify set,
	 * not TLP:RED, id past the pair's cursor, stored at or before
	 * settled. With org_id 0, of every organisation whose interval is not
	 * never and whose last digest of the feed is at least its interval
	 * old (immediate: any age; no digest yet: due); with org_id > 0, of
	 * that organisation whatever its interval. In (org, feed) order, at
	 * most p->limit after none (p->after unused). */
	enum cs_err (*notify_due)(struct store *, struct arena *, int64_t now,
	                          int64_t settled, int64_t org_id,
	                          const struct page *p,
	                          struct notify_due **items_out, size_t *n_out);
	/* the pair's cursor; 0 and 0 when it has none yet */
	enum cs_err (*notify_cursor_get)(struct store *, int64_t org_id,
	                                 const char *feed, int64_t *last_out,
	                                 int64_t *sent_at_out);
	/* compare-and-set: moves the cursor to last only while it is expect
	 * (0: no cursor yet); CS_E_STALE when another digest moved it */
	enum cs_err (*notify_cursor_set)(struct store *, int64_t org_id,
	                                 const char *feed, int64_t expect,
	                                 int64_t last, int64_t sent_at);
	/* The organisation's events of the feed to notify (notify set, not
	 * TLP:RED) with after < id <= upto (upto 0: no bound) stored at or
	 * before settled (0: any), in id order, at most limit. */
	enum cs_err (*notify_events)(struct store *, struct arena *,
	                             int64_t org_id, const char *feed,
	                             int64_t after, int64_t upto,
	                             int64_t settled, int64_t limit,
	                             struct event_row **items_out,
	                             size_t *n_out);
	enum cs_err (*notification_put)(struct store *,
	                                const struct notification *,
	                                int64_t *id_out);
	enum cs_err (*notification_get)(struct store *, struct arena *,
	                                int64_t id, struct notification *out);
	/* newest first */
	enum cs_err (*notification_list)(struct store *, struct arena *,
	                                 const struct notification_filter *,
	                                 const struct page *,
	                                 struct notification **items_out,
	                                 size_t *n_out);
	/* whether a job of this kind and payload text is queued or running */
	enum cs_err (*job_pending)(struct store *, const char *kind,
	                           const char *payload, bool *pending_out);
};

/* Every backend starts its connection struct with this. */
struct store {
	const struct store_ops *ops;
};

const char *role_name(enum role r);
bool role_parse(const char *s, enum role *out);
const char *job_state_name(enum job_state s);
bool job_state_parse(const char *s, enum job_state *out);

#define store_call(st, op, ...) ((st)->ops->op((st), __VA_ARGS__))
#define store_call0(st, op)     ((st)->ops->op((st)))

/* Opens one connection; url is "sqlite:/path/to.db" or a bare path. */
enum cs_err store_open(const char *url, struct store **out);
void store_close(struct store *st);
enum cs_err store_begin(struct store *st, bool write);
enum cs_err store_commit(struct store *st);
void store_rollback(struct store *st);
/* Commits when err is CS_OK, rolls back otherwise; returns the outcome. */
enum cs_err store_end(struct store *st, enum cs_err err);

/* Embedded migration files for a scheme, sorted by number. */
struct migration {
	int number;
	const char *name; /* file name */
	const char *sql;
	char sha256[65];
};
size_t store_migrations(const char *scheme, struct migration *out, size_t cap);

struct store_pool;
enum cs_err store_pool_new(const char *url, int size, struct store_pool **out);
void store_pool_free(struct store_pool *p);
struct store *store_acquire(struct store_pool *p);
void store_release(struct store_pool *p, struct store *st);

/*
 * Moves a whole installation from an SQLite database to an empty PostgreSQL
 * one (copy.c): both are migrated to the newest schema, every table is
 * copied in one destination transaction and its row count compared.
 * progress (may be NULL) is told each table and its rows. On failure
 * errbuf says why and the destination is left as it was.
 */
typedef void (*store_copy_fn)(const char *table, long long rows, void *ctx);
enum cs_err store_copy(const char *from, const char *to, store_copy_fn progress,
                       void *ctx, char *errbuf, size_t errlen);

#endif
