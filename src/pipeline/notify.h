/*
 * notify.h - event notifications: digests of an organisation's new events
 * to its contacts, through the durable outbound mail queue.
 *
 * Each (organisation, feed) pair has a cursor: the last event a digest
 * covered. Worker 0 ticks every [notify] tick and enqueues a
 * "notify.digest" job for each pair that is due (its organisation's
 * interval has passed since the pair's last digest and it has events past
 * the cursor) and has no such job pending. The job composes one digest
 * per contact outside any transaction (digest.h: the contact's language,
 * CSV attached, signed, encrypted when the contact has a key, the TLP
 * rule); then, in the transaction that completes it, it moves the cursor
 * by compare-and-set from where it read it, queues the digests and
 * records a notification row per digest, so that a crash neither sends a
 * digest twice nor skips events, and two processes sharing a database
 * cannot both send the same events. A digest carries at most [notify]
 * max_events events and DIGEST_CSV_MAX bytes of CSV; a full one is
 * followed at once by the next.
 *
 * Digests go to the organisation's security and abuse contacts. Events
 * none of them may receive (no such contact, TLP:AMBER events and no
 * contact with a key) are recorded as a withheld
 * notification (no address, no mail) that a handler can resend to a
 * contact. In test mode digests go to the team's own address, marked as
 * tests, and the cursor moves as for real ones.
 */
#ifndef CS_NOTIFY_H
#define CS_NOTIFY_H

#include <jansson.h>

#include "core/config.h"
#include "core/users.h"
#include "store/store.h"

#define NOTIFY_JOB "notify.digest"

/* Enqueues the jobs of the pairs due at now; *n_out counts them. Nothing
 * without an SMTP relay ([mail] smtp_url). */
enum cs_err notify_tick(struct store *st, struct arena *a,
                        const struct config *cfg, int64_t now, size_t *n_out);

/* A handler's "send now": enqueues a job for each feed (or only feed,
 * when not NULL) with events of the organisation past its cursor,
 * whatever its interval; audited as org.notify. The feeds (arena) and
 * job ids are written out, *n_out of each (at most 64). */
enum cs_err notify_now(struct store *st, struct arena *a,
                       const struct config *cfg, const struct actor *by,
                       int64_t org_id, const char *feed,
                       const char ***feeds_out, int64_t **jobs_out,
                       size_t *n_out);

/* Queues the events of notification id again (those of its range that
 * are still stored and that the recipient may receive), to contact_id
 * (a contact of the organisation: a real digest) or, with 0, to the
 * notification's own contact (a test one again if it was a test), and
 * records a new notification with resent_from. CS_E_INVAL (bad contact)
 * or CS_E_CONFLICT (nothing may go) with *why. */
enum cs_err notify_resend(struct store *st, struct arena *a,
                          const struct config *cfg, const struct actor *by,
                          int64_t id, int64_t contact_id,
                          struct notification *out, const char **why);

/* The job kind (payload {"org": id, "feed": name[, "by": login]}): work
 * reads the events and composes the digests outside any transaction;
 * apply moves the cursor by compare-and-set and stores, queues and
 * records them in the transaction that completes the job. */
struct job_run;
bool notify_digest_valid(json_t *payload, const char **why);
enum cs_err notify_digest_work(struct job_run *r);
enum cs_err notify_digest_apply(struct job_run *r);
void notify_digest_cleanup(struct job_run *r);

#endif
