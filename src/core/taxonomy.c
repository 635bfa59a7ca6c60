#include <string.h>

#include "core/taxonomy.h"

/* RSIT (ENISA / TF-CSIRT Reference Security Incident Taxonomy), the
 * "machinev1" working copy, in the order of the official list. A unit test
 * compares this table with shared/data/rsit.tsv row by row. */
static const struct rsit_type types[] = {
    {"abusive-content", "Abusive Content", "spam", "Spam"},
    {"abusive-content", "Abusive Content", "harmful-speech", "Harmful Speech"},
    {"abusive-content", "Abusive Content", "violence",
     "(Child) Sexual Exploitation/Sexual/Violent Content"},
    {"malicious-code", "Malicious Code", "infected-system", "Infected System"},
    {"malicious-code", "Malicious Code", "c2-server", "C2 Server"},
    {"malicious-code", "Malicious Code", "malware-distribution",
     "Malware Distribution"},
    {"malicious-code", "Malicious Code", "malware-configuration",
     "Malware Configuration"},
    {"information-gathering", "Information Gathering", "scanner", "Scanning"},
    {"information-gathering", "Information Gathering", "sniffing", "Sniffing"},
    {"information-gathering", "Information Gathering", "social-engineering",
     "Social Engineering"},
    {"intrusion-attempts", "Intrusion Attempts", "ids-alert",
     "Exploitation of Known Vulnerabilities"},
    {"intrusion-attempts", "Intrusion Attempts", "brute-force",
     "Login Attempts"},
    {"intrusion-attempts", "Intrusion Attempts", "exploit",
     "New Attack Signature"},
    {"intrusions", "Intrusions", "privileged-account-compromise",
     "Privileged Account Compromise"},
    {"intrusions", "Intrusions", "unprivileged-account-compromise",
     "Unprivileged Account Compromise"},
    {"intrusions", "Intrusions", "application-compromise",
     "Application Compromise"},
    {"intrusions", "Intrusions", "system-compromise", "System Compromise"},
    {"intrusions", "Intrusions", "burglary", "Burglary"},
    {"availability", "Availability", "dos", "Denial of Service"},
    {"availability", "Availability", "ddos", "Distributed Denial of Service"},
    {"availability", "Availability", "misconfiguration", "Misconfiguration"},
    {"availability", "Availability", "sabotage", "Sabotage"},
    {"availability", "Availability", "outage", "Outage"},
    {"information-content-security", "Information Content Security",
     "unauthorised-information-access", "Unauthorised Access to Information"},
    {"information-content-security", "Information Content Security",
     "unauthorised-information-modification",
     "Unauthorised Modification of Information"},
    {"information-content-security", "Information Content Security",
     "data-loss", "Data Loss"},
    {"information-content-security", "Information Content Security",
     "data-leak", "Leak of Confidential Information"},
    {"fraud", "Fraud", "unauthorised-use-of-resources",
     "Unauthorised Use of Resources"},
    {"fraud", "Fraud", "copyright", "Copyright"},
    {"fraud", "Fraud", "masquerade", "Masquerade"},
    {"fraud", "Fraud", "phishing", "Phishing"},
    {"vulnerable", "Vulnerable", "weak-crypto", "Weak Cryptography"},
    {"vulnerable", "Vulnerable", "ddos-amplifier", "DDoS Amplifier"},
    {"vulnerable", "Vulnerable", "potentially-unwanted-accessible",
     "Potentially Unwanted Accessible Services"},
    {"vulnerable", "Vulnerable", "information-disclosure",
     "Information Disclosure"},
    {"vulnerable", "Vulnerable", "vulnerable-system", "Vulnerable System"},
    {"other", "Other", "other", "Uncategorised"},
    {"other", "Other", "undetermined", "Undetermined"},
    {"test", "Test", "test", "Test"},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

size_t
rsit_types(const struct rsit_type **out)
{
	*out = types;
	return NTYPES;
}

const struct rsit_type *
rsit_type_find(const char *type_id)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(types[i].type_id, type_id) == 0)
			return &types[i];
	return NULL;
}

bool
rsit_class_exists(const char *class_id)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(types[i].class_id, class_id) == 0)
			return true;
	return false;
}

enum cs_err
rsit_check(const char *class_id, const char *type_id,
           const struct rsit_type **out, const char **why)
{
	const struct rsit_type *t = NULL;

	if (type_id != NULL && (t = rsit_type_find(type_id)) == NULL) {
		*why = "is not an RSIT incident type";
		return CS_E_INVAL;
	}
	if (class_id != NULL && !rsit_class_exists(class_id)) {
		*why = "is not an RSIT incident class";
		return CS_E_INVAL;
	}
	if (t != NULL && class_id != NULL &&
	    strcmp(t->class_id, class_id) != 0) {
		*why = "the type does not belong to this class";
		return CS_E_INVAL;
	}
	*out = t;
	return CS_OK;
}
