/*
 * intake.h - one inbound message, from mailgate or an IMAP mailbox, into
 * the store.
 *
 * In one write transaction: the raw message and its attachments are
 * stored as artefacts and the message as a mail row, then
 *   - a reply (subject tag "[<CODE> #<ref>]", or In-Reply-To/References
 *     naming a mail of an incident) becomes a correspondence entry of that
 *     incident's thread with the sender (an automatic reply or a bounce
 *     only a note, so it never reopens an incident);
 *   - any other message becomes a new e-mail report, acknowledged to the
 *     reporter in their language when [mail] acknowledge is on;
 *   - automatic replies and bounces that belong nowhere are kept as
 *     "ignored" and answer nothing, so mail loops cannot start;
 *   - a message that cannot be understood is kept raw in quarantine with
 *     the reason.
 * The same raw message delivered twice (an IMAP flag lost in a crash) is
 * recognised by its hash and not processed again.
 *
 * CS_OK means the message is committed: only then may an MTA be told it
 * was delivered or an IMAP message be flagged.
 */
#ifndef CS_INTAKE_H
#define CS_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "store/store.h"

struct intake_result {
	const char *outcome; /* report, reply, ignored, quarantined,
	                        duplicate */
	int64_t mail_id, report_id;
	const char *incident_ref; /* for a reply */
	const char *reason;       /* for quarantine */
};

enum cs_err mail_intake(struct store *st, struct arena *a,
                        const struct config *cfg, const char *raw, size_t len,
                        bool truncated, const char *via,
                        struct intake_result *out);

#endif
