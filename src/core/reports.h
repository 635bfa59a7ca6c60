/*
 * reports.h - intake: reports, and their triage into incidents.
 *
 * A report is what came in (web form, API, e-mail, feed). Triage does one
 * of: open a new incident from it (status triaged), attach it to an
 * existing incident (merged), reject it, or mark it spam. Both incident
 * paths copy the report into the incident's journal as an internal entry.
 * Only a new report can be triaged; nothing is ever deleted.
 */
#ifndef CS_REPORTS_H
#define CS_REPORTS_H

#include "core/incidents.h"
#include "core/users.h"
#include "core/verr.h"
#include "store/store.h"

#define REPORT_BODY_MAX (1u << 20)

bool report_source_valid(const char *s);
bool report_status_valid(const char *s);

enum cs_err reports_create(struct store *st, struct arena *a,
                           const struct actor *by, struct report *r,
                           struct verrs *ve);
/* reports_create() inside the caller's write transaction, r already
 * valid (reports_check) */
enum cs_err reports_create_txn(struct store *st, struct arena *a,
                               const struct actor *by, struct report *r);
/* The checks of reports_create(): false with ve filled. */
bool reports_check(const struct report *r, struct verrs *ve);

#define REPORT_FILES_MAX 5

/* A file sent with a report (decoded bytes). */
struct report_file {
	const char *filename;     /* base name, clean text */
	const char *content_type; /* type/subtype, lower case */
	const unsigned char *data;
	size_t size;
};

/* reports_create() with files: each is stored as an artefact by its
 * SHA-256, attached to the report and listed at the end of its body (so
 * triage and the incident's journal show them), in one transaction. */
enum cs_err reports_create_files(struct store *st, struct arena *a,
                                 const struct actor *by, struct report *r,
                                 const struct report_file *f, size_t n,
                                 struct verrs *ve);

enum triage_action {
	TRIAGE_NEW_INCIDENT,
	TRIAGE_ATTACH,
	TRIAGE_REJECT,
	TRIAGE_SPAM,
};
bool triage_action_parse(const char *s, enum triage_action *out);

/* For TRIAGE_NEW_INCIDENT, in describes the incident (the title defaults
 * to the report's subject, the TLP to the report's); for TRIAGE_ATTACH,
 * ref names the incident. On success *incident_out is set for both. */
enum cs_err reports_triage(struct store *st, struct arena *a,
                           const struct incident_policy *pol,
                           const struct actor *by, const struct viewer *v,
                           int64_t id, enum triage_action action,
                           struct incident_input *in, const char *ref,
                           int64_t if_version, struct report *out,
                           struct incident *incident_out, struct verrs *ve,
                           const char **why);

#endif
