/*
 * outbound.h - mail csirtd sends: composed, signed (and encrypted) when it
 * is queued, stored as an artefact so the exact bytes sent are kept, and
 * handed to the SMTP relay by a durable "mail.send" job.
 *
 * A mail is marked sent only after the relay accepted it. The job may run
 * again after a crash between the relay's acceptance and that mark; the
 * message then goes out twice with the same Message-ID, which mail
 * clients fold into one (at least once, never lost).
 */
#ifndef CS_OUTBOUND_H
#define CS_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/config.h"
#include "core/users.h"
#include "mail/compose.h"
#include "store/store.h"

#define MAIL_LANGUAGES "en,es,ca,eu,fr"

/* Once per process after pgp_init(): finds or creates the team key when
 * [mail] sign is on. */
enum cs_err outbound_init(const struct config *cfg, char *why, size_t n);
/* The team key's fingerprint, "" when mail is not signed. */
const char *outbound_team_fpr(void);
/* The team's armoured public key, NULL when mail is not signed. Mail
 * encrypted to it alone (the team writing to itself) is encrypted once. */
const char *outbound_team_public(void);

/* A template of src/mail/templates/<language>.json filled with vars
 * (name, value pairs); unknown languages fall back to English. NULL when
 * the template does not exist. */
const char *outbound_template(struct arena *a, const char *language,
                              const char *key, const char *const *vars,
                              size_t n_vars);
/* The tag replies keep in their subject: "[<CODE> #<ref>]". */
const char *outbound_tag(struct arena *a, const char *team_code,
                         const char *ref);

struct outgoing {
	const char *to; /* one address */
	const char *subject, *text, *language;
	const char *in_reply_to;       /* without < >, or NULL */
	const char *const *references; /* oldest first */
	size_t n_references;
	bool auto_replied;
	const char *encrypt_key; /* armoured public key, or NULL */
	int64_t incident_id, thread_id, report_id, entry_id; /* 0 = none */
	const struct compose_attachment *attachments;        /* may be NULL */
	size_t n_attachments;
	bool auto_generated; /* a message no one wrote (a digest) */
};

/* A composed message: its exact bytes, ready to be stored. */
struct outbound_msg {
	const char *message_id; /* without < > */
	char *raw;
	size_t len;
	int64_t date;
};

/* Composes o (signed; encrypted to o->encrypt_key and the team key) into
 * the arena, outside any transaction: gpg's work. CS_E_INVAL with *why for
 * what cannot be composed. */
enum cs_err outbound_compose(struct arena *a, const struct config *cfg,
                             const struct outgoing *o, struct outbound_msg *out,
                             const char **why);
/* Stores a message composed from o and queues its sending, inside the
 * caller's write transaction (audited as mail.queue). */
enum cs_err outbound_store_txn(struct store *st, struct arena *a,
                               const struct config *cfg, const struct actor *by,
                               const struct outgoing *o,
                               const struct outbound_msg *msg,
                               struct mail *out);

/* Composes o, stores it and queues its sending, inside the caller's write
 * transaction. CS_E_INVAL with *why for what cannot be composed. */
enum cs_err outbound_queue_txn(struct store *st, struct arena *a,
                               const struct config *cfg, const struct actor *by,
                               const struct outgoing *o, struct mail *out,
                               const char **why);

struct thread_send {
	const char *template;  /* notify, request, resolution or reply */
	const char *text;      /* the handler's words */
	bool send_unencrypted; /* explicit override of the TLP rule */
};

/* Sends a message in thread thread_id of incident ref (as v reads it):
 * the template in the thread's language, signed, encrypted when the
 * counterpart's contact has a key; recorded as a correspondence entry
 * (shared with a constituent's thread, internal otherwise) and queued, in
 * one transaction. TLP:AMBER and above never leave unencrypted unless
 * send_unencrypted (audited): CS_E_CONFLICT with *why otherwise. */
enum cs_err outbound_thread_send(struct store *st, struct arena *a,
                                 const struct config *cfg,
                                 const struct actor *by, const struct viewer *v,
                                 const char *ref, int64_t thread_id,
                                 const struct thread_send *in, struct mail *out,
                                 const char **why);

/* The "mail.send" job kind (payload {"mail": id}): hands the stored
 * message to the relay; a 5xx answer fails it at once, anything else is
 * retried with backoff; sent or failed is recorded on the mail. */
struct job_run;
bool mail_send_valid(json_t *payload, const char **why);
enum cs_err mail_send_work(struct job_run *r);
enum cs_err mail_send_apply(struct job_run *r);
enum cs_err mail_send_failed(struct job_run *r);

#endif
