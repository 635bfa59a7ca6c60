/*
 * incident.h - the rules of an incident, without I/O.
 *
 * TLP 2.0 and PAP levels, impact x urgency -> priority through a matrix the
 * team configures, the status lifecycle and its legal transitions, the
 * resolutions, SLA deadlines per priority, reference numbers
 * ("<TEAM>-<YEAR>-<6 digits>") and MITRE ATT&CK technique tags.
 *
 * Lifecycle (anything else is refused with the list of allowed targets):
 *   new -> open | resolved
 *   open -> stalled | resolved
 *   stalled -> open | resolved
 *   resolved -> closed | open (reopen)
 *   closed -> open (reopen)
 * Entering resolved needs a resolution; reopening clears it.
 */
#ifndef CS_INCIDENT_H
#define CS_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum tlp { TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED };
enum pap { PAP_CLEAR, PAP_GREEN, PAP_AMBER, PAP_RED };
enum level { LEVEL_CRITICAL, LEVEL_HIGH, LEVEL_MEDIUM, LEVEL_LOW };
enum status {
	STATUS_NEW,
	STATUS_OPEN,
	STATUS_STALLED,
	STATUS_RESOLVED,
	STATUS_CLOSED,
	STATUS_N
};
enum resolution {
	RES_NONE,
	RES_FIXED,
	RES_MITIGATED,
	RES_FALSE_POSITIVE,
	RES_DUPLICATE,
	RES_OUT_OF_SCOPE,
	RES_NO_RESPONSE,
};

#define PRIORITY_LEVELS 4 /* 1 (most urgent) to 4 */

/* Names are the API's: "AMBER+STRICT", "open", "false-positive", "high".
 * Parsers accept any case; TLP and PAP also a "TLP:"/"PAP:" prefix and the
 * TLP 1.0 name WHITE for CLEAR. */
const char *tlp_name(enum tlp t);
bool tlp_parse(const char *s, enum tlp *out);
const char *pap_name(enum pap p);
bool pap_parse(const char *s, enum pap *out);
const char *level_name(enum level l);
bool level_parse(const char *s, enum level *out);
const char *status_name(enum status s);
bool status_parse(const char *s, enum status *out);
const char *resolution_name(enum resolution r);
bool resolution_parse(const char *s, enum resolution *out);

/* priority[impact][urgency], 1..4 */
struct priority_matrix {
	unsigned char p[4][4];
};
void priority_matrix_default(struct priority_matrix *m);
/* "1122,1223,2234,2344": one group per impact level (critical..low), one
 * digit per urgency level (critical..low). */
bool priority_matrix_parse(const char *s, struct priority_matrix *out);
int priority_of(const struct priority_matrix *m, enum level impact,
                enum level urgency);

/* SLA: seconds to first response and to resolution, per priority 1..4. */
struct sla_policy {
	int64_t response[PRIORITY_LEVELS], resolve[PRIORITY_LEVELS];
};
void sla_policy_default(struct sla_policy *s);
/* "1h/1d,4h/3d,1d/7d,3d/30d": response/resolution per priority 1..4; each
 * response no longer than its resolution. */
bool sla_policy_parse(const char *text, struct sla_policy *out);

bool status_transition_ok(enum status from, enum status to);
/* The statuses reachable from s, as "open, resolved", for a 409 answer. */
void status_allowed(enum status s, char *out, size_t n);
bool status_is_active(enum status s); /* new, open or stalled */

/* "<code>-<year>-<000123>" */
void incident_ref_format(const char *code, int year, int64_t seq, char *out,
                         size_t n);
bool incident_ref_valid(const char *ref);

/* MITRE ATT&CK technique ids: T1566 or T1566.001 */
bool attack_technique_valid(const char *s);
/* Tags: 1..64 bytes of UTF-8 without controls or commas; "T1566"-like
 * tags must be valid technique ids. */
bool tag_valid(const char *s, const char **why);

#endif
