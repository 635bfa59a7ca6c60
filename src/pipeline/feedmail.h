/*
 * feedmail.h - feed reports that arrive by e-mail: the attachments of a
 * message sent to a feed's address (Shadowserver, abuse.ch and most
 * national feeds mail their reports) run through the pipeline, each as a
 * report of its own. The MTA pipes such mail to `csirtd mailgate --feed
 * NAME` (docs/mail.md).
 *
 * Which attachments: every attachment whose name the feed can read — for
 * Shadowserver, a report kind detected from the file name; for the other
 * feeds, any attachment that is not a forwarded message. A ZIP attachment
 * (IntelMQ's extract_files) is opened with libzip and each file in it
 * counts as an attachment of that name: at most FEEDMAIL_ZIP_FILES files,
 * each at most FEEDMAIL_ZIP_FILE_MAX bytes uncompressed, never written to
 * disk under its own name. The source of each report is
 * "mail:<message-id>/<file name>".
 *
 * Exactly once: each report is known by its feed and content (ingest.h),
 * so a message delivered twice, or retried by the MTA after a failure,
 * stores nothing twice.
 */
#ifndef CS_FEEDMAIL_H
#define CS_FEEDMAIL_H

#include <stddef.h>
#include <stdint.h>

#include "mail/mime.h"
#include "pipeline/pipeline.h"

#define FEEDMAIL_ZIP_FILES    64
#define FEEDMAIL_ZIP_FILE_MAX (512u << 20)

struct feedmail_result {
	size_t reports; /* attachments run as reports */
	size_t already; /* of them, content already processed */
	size_t failed;  /* of them, refused by the parser (see the report) */
	size_t skipped; /* attachments the feed cannot read */
	int64_t events; /* stored by this message's reports */
};

/* Runs the message's readable attachments as reports of feed. A report the
 * parser refuses is recorded as failed and counted; the others go on.
 * CS_E_DB (or CS_E_IO) with why when the store failed: the caller should
 * have the message delivered again. */
enum cs_err feedmail_take(struct pipeline *p, struct store *st,
                          struct constituency_index *ci, const char *feed,
                          const struct mime_msg *m, struct feedmail_result *res,
                          char why[INGEST_WHY_MAX]);

#endif
