// ioc.js - a first look at the indicators in a report's text, before it
// becomes an incident: refangs the usual defanging (hxxp, [.], (.), [@],
// [:]) and picks URLs, e-mail addresses, IP addresses, hashes, CVE ids, AS
// numbers and domain names. Only a preview: the server's extraction
// (observables:extract, run when the incident is created) is the one that
// counts, with its own rules for private ranges and the team's own assets.

export function refang(text) {
  return String(text || '')
    .replace(/h[xX]{2}p(s?)(\[:\]|:)?\/\//g, (m, s) => `http${s}://`)
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]/gi, '.')
    .replace(/\[@\]|\(@\)|\[at\]/gi, '@')
    .replace(/\[:\]/g, ':')
    .replace(/\[\/\]/g, '/');
}

const PATTERNS = [
  ['url', /\bhttps?:\/\/[^\s<>"'`)\]]+/gi],
  ['email', /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}\b/g],
  ['cve', /\bCVE-\d{4}-\d{4,7}\b/gi],
  ['sha256', /\b[a-fA-F0-9]{64}\b/g],
  ['sha1', /\b[a-fA-F0-9]{40}\b/g],
  ['md5', /\b[a-fA-F0-9]{32}\b/g],
  ['ipv4', /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\/\d{1,2})?\b/g],
  ['asn', /\bAS\d{1,10}\b/g],
  ['domain', /\b(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\b/g],
];

// [{type, value}] in the order found, each value once.
export function previewIocs(text) {
  let rest = refang(text);
  const out = [];
  const seen = new Set();
  for (const [type, re] of PATTERNS) {
    rest = rest.replace(re, (m) => {
      let value = m.replace(/[.,;:]+$/, '');
      let kind = type;
      if (type === 'ipv4' && value.includes('/')) kind = 'cidr';
      if (type === 'cve' || type === 'asn') value = value.toUpperCase();
      if (type === 'domain') {
        value = value.toLowerCase();
        // file names that look like domains: leave them out
        if (/\.(sql|txt|exe|zip|pdf|docx?|xlsx?|js|php|html?|aspx|jpg|png)$/.test(value)) return ' ';
      }
      const key = `${kind}\n${value}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ type: kind, value });
      }
      return ' '; // what a longer match took is not matched again
    });
  }
  return out;
}
