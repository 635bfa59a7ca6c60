// rsit.js - the RSIT taxonomy (ENISA / TF-CSIRT Reference Security
// Incident Taxonomy), as the daemon knows it (src/core/taxonomy.c): the
// classes by translation key, the types under their official English
// names, which are the taxonomy's own labels.

export const RSIT_CLASSES = [
  ['abusive-content', 'ui.rsit.abusive_content'],
  ['malicious-code', 'ui.rsit.malicious_code'],
  ['information-gathering', 'ui.rsit.information_gathering'],
  ['intrusion-attempts', 'ui.rsit.intrusion_attempts'],
  ['intrusions', 'ui.rsit.intrusions'],
  ['availability', 'ui.rsit.availability'],
  ['information-content-security', 'ui.rsit.information_content_security'],
  ['fraud', 'ui.rsit.fraud'],
  ['vulnerable', 'ui.rsit.vulnerable'],
  ['other', 'ui.rsit.other'],
  ['test', 'ui.rsit.test'],
];

export const RSIT_TYPES = [
  ['abusive-content', 'spam', 'Spam'],
  ['abusive-content', 'harmful-speech', 'Harmful Speech'],
  ['abusive-content', 'violence', '(Child) Sexual Exploitation/Sexual/Violent Content'],
  ['malicious-code', 'infected-system', 'Infected System'],
  ['malicious-code', 'c2-server', 'C2 Server'],
  ['malicious-code', 'malware-distribution', 'Malware Distribution'],
  ['malicious-code', 'malware-configuration', 'Malware Configuration'],
  ['information-gathering', 'scanner', 'Scanning'],
  ['information-gathering', 'sniffing', 'Sniffing'],
  ['information-gathering', 'social-engineering', 'Social Engineering'],
  ['intrusion-attempts', 'ids-alert', 'Exploitation of Known Vulnerabilities'],
  ['intrusion-attempts', 'brute-force', 'Login Attempts'],
  ['intrusion-attempts', 'exploit', 'New Attack Signature'],
  ['intrusions', 'privileged-account-compromise', 'Privileged Account Compromise'],
  ['intrusions', 'unprivileged-account-compromise', 'Unprivileged Account Compromise'],
  ['intrusions', 'application-compromise', 'Application Compromise'],
  ['intrusions', 'system-compromise', 'System Compromise'],
  ['intrusions', 'burglary', 'Burglary'],
  ['availability', 'dos', 'Denial of Service'],
  ['availability', 'ddos', 'Distributed Denial of Service'],
  ['availability', 'misconfiguration', 'Misconfiguration'],
  ['availability', 'sabotage', 'Sabotage'],
  ['availability', 'outage', 'Outage'],
  ['information-content-security', 'unauthorised-information-access', 'Unauthorised Access to Information'],
  ['information-content-security', 'unauthorised-information-modification', 'Unauthorised Modification of Information'],
  ['information-content-security', 'data-loss', 'Data Loss'],
  ['information-content-security', 'data-leak', 'Leak of Confidential Information'],
  ['fraud', 'unauthorised-use-of-resources', 'Unauthorised Use of Resources'],
  ['fraud', 'copyright', 'Copyright'],
  ['fraud', 'masquerade', 'Masquerade'],
  ['fraud', 'phishing', 'Phishing'],
  ['vulnerable', 'weak-crypto', 'Weak Cryptography'],
  ['vulnerable', 'ddos-amplifier', 'DDoS Amplifier'],
  ['vulnerable', 'potentially-unwanted-accessible', 'Potentially Unwanted Accessible Services'],
  ['vulnerable', 'information-disclosure', 'Information Disclosure'],
  ['vulnerable', 'vulnerable-system', 'Vulnerable System'],
  ['other', 'other', 'Uncategorised'],
  ['other', 'undetermined', 'Undetermined'],
  ['test', 'test', 'Test'],
];

export function classKey(cls) {
  const c = RSIT_CLASSES.find(([id]) => id === cls);
  return c ? c[1] : null;
}

export function typeName(type) {
  const x = RSIT_TYPES.find(([, id]) => id === type);
  return x ? x[2] : type;
}
