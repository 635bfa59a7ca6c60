/*
 * demo_data.h - the sample installation that `csirtd demo` loads
 * (cmd_demo.c), as constant tables in demo_data.c.
 *
 * A fictional regional CSIRT, the "CSIRT del Migjorn", and its
 * constituency. Every name and number is reserved for documentation:
 * IPv4 192.0.2.0/24, 198.51.100.0/24 and 203.0.113.0/24 (RFC 5737), IPv6
 * 2001:db8::/32 (RFC 3849), AS64496-64511 and AS65536-65551 (RFC 5398)
 * and domains under .example (RFC 2606). Attackers' addresses come from
 * 203.0.113.128/25 and 192.0.2.192/26, which no organisation holds.
 *
 * Texts of kinds and messages take placeholders that cmd_demo.c fills in:
 * {org} {code} {dom} {slug} (the organisation), {ip} (one of its hosts),
 * {ext} {ext2} (outside addresses), {n}, {sha256}, {md5}, {ref} and
 * {title}. Observables are "type value" lines, defanged as they arrive;
 * a leading '+' marks one for detection (to_ids).
 */
#ifndef CS_DEMO_DATA_H
#define CS_DEMO_DATA_H

#include <stdbool.h>

#include "store/store.h"

enum {
	O_XOT,
	O_NUVOL,
	O_VILAFRANCA,
	O_ERREKALDE,
	O_HOSP,
	O_UNI,
	O_AIGUES,
	O_GOV,
	N_ORGS
};
#define ORG(x) (1u << (x))

struct demo_org {
	const char *code, *name, *sector, *languages, *parent, *about;
	const char *domain, *slug;
	const char *net; /* its hosts are net + lo..hi */
	int lo, hi;
	bool essential; /* an essential entity (NIS2) */
};
extern const struct demo_org demo_orgs[N_ORGS];

struct demo_contact {
	int org;
	const char *name, *email, *role, *language;
};
#define DEMO_CONTACTS 20
extern const struct demo_contact demo_contacts[DEMO_CONTACTS];

/* CSV for assets_import(): org,kind,value */
extern const char demo_assets_csv[];

/* The handlers come first in demo_users[]. */
enum { H_MARTA, H_IKER, H_LUCIA, N_HANDLERS };

struct demo_user {
	const char *login, *name, *email;
	enum role role;
	int org; /* for constituents, else -1 */
};
#define DEMO_USERS 8
extern const struct demo_user demo_users[DEMO_USERS];

struct demo_kind {
	const char *type; /* RSIT type */
	unsigned orgs;    /* ORG() mask of those it fits; 0 = any */
	int weight, impact, urgency;
	const char *tags; /* comma-separated, besides "demo" */
	const char *title, *summary, *obs, *note;
	/* when it arrives as a report (else NULL) */
	const char *source, *reporter, *lang, *subject, *body;
};

enum {
	K_PHISH_WEBMAIL,
	K_PHISH_INVOICE,
	K_BOT,
	K_C2,
	K_MALDIST,
	K_SCAN,
	K_BRUTE,
	K_EXPLOIT,
	K_RANSOM,
	K_MAILBOX,
	K_PRIVACCOUNT,
	K_WEBSHELL,
	K_DDOS,
	K_AMPLIFIER,
	K_VULN,
	K_RDP,
	K_LEAK,
	K_RECORDS,
	K_SCADA,
	K_SPAM,
	K_MASQUERADE,
	K_MINER,
	K_DISCLOSURE,
	K_VISHING,
	K_UNDETERMINED,
	K_OUTAGE,
	N_KINDS
};
extern const struct demo_kind demo_kinds[N_KINDS];

/* Journal texts, one per language of demo_langs[]. */
#define DEMO_LANGS 5
extern const char *const demo_langs[DEMO_LANGS];        /* ca es eu en fr */
extern const char *const demo_msg_notify[DEMO_LANGS];   /* incident opened */
extern const char *const demo_msg_reply[DEMO_LANGS];    /* their answer */
extern const char *const demo_msg_waiting[DEMO_LANGS];  /* stalled */
extern const char *const demo_msg_resolved[DEMO_LANGS]; /* resolved */
extern const char *const demo_msg_back[DEMO_LANGS];     /* reopens it */

#define DEMO_INTERNAL_NOTES 8
extern const char *const demo_internal_notes[DEMO_INTERNAL_NOTES];
#define DEMO_EXTRA_TASKS 7
extern const char *const demo_extra_tasks[DEMO_EXTRA_TASKS];

/* Reports that never become incidents of their own. */
struct demo_report {
	const char *source, *reporter, *lang, *subject, *body;
};
#define DEMO_REJECTED 7
extern const struct demo_report demo_rejected[DEMO_REJECTED];
#define DEMO_SPAM 6
extern const struct demo_report demo_spam[DEMO_SPAM];

#endif
