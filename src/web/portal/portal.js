// portal.js - the public portal: home, report form and the team's RFC 2350
// profile, rendered by location.pathname from GET /api/v1/public/team.
//
// Plain ES module, no framework, no build step. Everything is built with
// DOM calls and text nodes; no string is ever parsed as HTML: team data
// and translations are text, not markup. Strings come from /static/i18n/<lang>.json
// (flat "portal.*" keys); English fills any gap.

const LANGS = ['en', 'es', 'ca', 'eu', 'fr'];
// Each language in its own name, for the switcher.
const AUTONYMS = {
  en: 'English', es: 'Español', ca: 'Català', eu: 'Euskara', fr: 'Français',
};
const LANG_STORE = 'csirtd.portal.lang';
const TLPS = [
  { label: 'CLEAR', cls: 'tlp-clear', key: 'portal.tlp.clear' },
  { label: 'GREEN', cls: 'tlp-green', key: 'portal.tlp.green' },
  { label: 'AMBER', cls: 'tlp-amber', key: 'portal.tlp.amber' },
  { label: 'AMBER+STRICT', cls: 'tlp-amber', key: 'portal.tlp.amber_strict' },
  { label: 'RED', cls: 'tlp-red', key: 'portal.tlp.red' },
];
const GUIDES = [
  {
    id: 'phishing',
    title: 'portal.guides.phishing.title',
    intro: 'portal.guides.phishing.intro',
    steps: [
      'portal.guides.phishing.1', 'portal.guides.phishing.2',
      'portal.guides.phishing.3', 'portal.guides.phishing.4',
      'portal.guides.phishing.5', 'portal.guides.phishing.6',
    ],
  },
  {
    id: 'ransomware',
    title: 'portal.guides.ransomware.title',
    intro: 'portal.guides.ransomware.intro',
    steps: [
      'portal.guides.ransomware.1', 'portal.guides.ransomware.2',
      'portal.guides.ransomware.3', 'portal.guides.ransomware.4',
      'portal.guides.ransomware.5', 'portal.guides.ransomware.6',
    ],
  },
  {
    id: 'checklist',
    title: 'portal.guides.checklist.title',
    intro: 'portal.guides.checklist.intro',
    steps: [
      'portal.guides.checklist.1', 'portal.guides.checklist.2',
      'portal.guides.checklist.3', 'portal.guides.checklist.4',
      'portal.guides.checklist.5', 'portal.guides.checklist.6',
      'portal.guides.checklist.7',
    ],
  },
];
// The form's limits when the profile does not give them (the server's).
const DEFAULT_MAX = {
  name: 200, email: 254, description: 32768, when: 100,
  affected_systems: 4000,
};

let catalogue = {};
let fallback = {};
let lang = 'en';
let langFromQuery = false;

// ---- translation ----

// The string for key with {placeholders} filled from vars.
export function t(key, vars) {
  let s = catalogue[key];
  if (typeof s !== 'string' || s === '') s = fallback[key];
  if (typeof s !== 'string' || s === '') return key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name) =>
    (name in vars ? String(vars[name]) : m));
}

// Like t(), but placeholders may be DOM nodes (links): returns an array
// of strings and nodes to append.
function tNodes(key, vars) {
  const s = t(key);
  const out = [];
  let last = 0;
  s.replace(/\{(\w+)\}/g, (m, name, at) => {
    out.push(s.slice(last, at));
    out.push(name in vars ? vars[name] : m);
    last = at + m.length;
    return m;
  });
  out.push(s.slice(last));
  return out;
}

function remember(l) {
  try {
    localStorage.setItem(LANG_STORE, l);
  } catch (e) {
    // storage may be disabled: the choice then lasts for this page only
  }
}

function recall() {
  try {
    return localStorage.getItem(LANG_STORE);
  } catch (e) {
    return null;
  }
}

function primary(tag) {
  return String(tag || '').toLowerCase().split(/[-_]/)[0];
}

// ?lang=, then the remembered choice, then the browser's languages, then
// the team's languages, then English.
function chooseLang(team) {
  const q = new URLSearchParams(location.search).get('lang');
  if (q && LANGS.includes(primary(q))) {
    langFromQuery = true;
    remember(primary(q));
    return primary(q);
  }
  const saved = recall();
  if (saved && LANGS.includes(saved)) return saved;
  const prefs = navigator.languages && navigator.languages.length
    ? navigator.languages : [navigator.language];
  for (const p of prefs) {
    if (LANGS.includes(primary(p))) return primary(p);
  }
  for (const l of (team && team.languages) || []) {
    if (LANGS.includes(primary(l))) return primary(l);
  }
  return 'en';
}

async function getJSON(url) {
  const r = await fetch(url, {
    credentials: 'omit', headers: { Accept: 'application/json' },
  });
  if (!r.ok) throw new Error(`${url}: ${r.status}`);
  return r.json();
}

async function loadCatalogues(l) {
  try {
    fallback = await getJSON('/static/i18n/en.json');
  } catch (e) {
    fallback = {};
  }
  if (l === 'en') {
    catalogue = fallback;
    return;
  }
  try {
    catalogue = await getJSON(`/static/i18n/${l}.json`);
  } catch (e) {
    catalogue = {};
  }
}

// ---- DOM helpers ----

// el('p', {class: 'x'}, 'text', node, ...): attributes are set with
// setAttribute, children appended as text nodes or nodes.
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return parent;
}

// A link inside the portal that keeps ?lang= when the page was opened
// with it (the choice is also remembered, when storage allows).
function pageHref(path) {
  return langFromQuery ? `${path}?lang=${lang}` : path;
}

function mailto(addr) {
  return el('a', { href: `mailto:${addr}` }, addr);
}

function tlpBadge(label) {
  const tl = TLPS.find((x) => x.label === label) || TLPS[2];
  return el('span', { class: `tlp ${tl.cls}` }, `TLP:${tl.label}`);
}

function langName(code) {
  try {
    const dn = new Intl.DisplayNames([lang], { type: 'language' });
    const n = dn.of(code);
    if (n && n !== code) return n;
  } catch (e) {
    // older browsers: fall through
  }
  return AUTONYMS[code] || code;
}

function has(v) {
  return typeof v === 'string' && v.trim() !== '';
}

// ---- the page frame ----

function applyStatic() {
  for (const e of document.querySelectorAll('[data-i18n]')) {
    e.textContent = t(e.getAttribute('data-i18n'));
  }
  for (const e of document.querySelectorAll('[data-i18n-aria-label]')) {
    e.setAttribute('aria-label', t(e.getAttribute('data-i18n-aria-label')));
  }
}

function renderFrame(team, page) {
  const name = team ? team.name : 'CSIRT';
  const brand = document.getElementById('brand');
  brand.textContent = name;
  brand.setAttribute('href', pageHref('/'));
  for (const a of document.querySelectorAll('#nav a[data-page]')) {
    a.setAttribute('href', pageHref(a.getAttribute('href')));
    if (a.getAttribute('data-page') === page) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  const list = document.getElementById('lang-list');
  list.replaceChildren();
  for (const l of LANGS) {
    const params = new URLSearchParams(location.search);
    params.set('lang', l);
    const a = el('a', {
      href: `${location.pathname}?${params}`,
      lang: l,
      hreflang: l,
      'aria-current': l === lang ? 'true' : null,
    }, AUTONYMS[l]);
    a.addEventListener('click', () => remember(l));
    list.append(el('li', {}, a));
  }
  const foot = document.getElementById('footer-team');
  foot.replaceChildren(name);
}

// ---- home ----

function renderHome(main, team) {
  const name = team ? team.name : 'CSIRT';
  const hero = el('section', { class: 'hero', 'aria-labelledby': 'h-team' },
    el('h1', { id: 'h-team' }, name),
    el('p', { class: 'lead' }, t('portal.home.lead', { name })),
    el('p', {}, team && has(team.constituency)
      ? t('portal.home.serves', { constituency: team.constituency })
      : t('portal.home.serves_default')));
  main.append(hero);

  const cards = el('div', { class: 'cards' });
  cards.append(el('article', { class: 'card' },
    el('h3', {}, t('portal.home.how.form.title')),
    el('p', {}, t('portal.home.how.form.text')),
    el('p', {}, el('a', { class: 'button', href: pageHref('/report') },
      t('portal.home.how.form.link')))));
  const mail = el('article', { class: 'card' },
    el('h3', {}, t('portal.home.how.email.title')));
  if (team && has(team.email)) {
    mail.append(el('p', {}, tNodes('portal.home.how.email.text',
      { email: mailto(team.email) })));
    if (has(team.pgp_fingerprint)) {
      mail.append(el('p', {}, tNodes('portal.home.how.pgp',
        { fingerprint: el('code', { class: 'fpr' }, team.pgp_fingerprint) })));
    }
  } else {
    mail.append(el('p', {}, t('portal.home.how.email.none')));
  }
  if (team && has(team.phone)) {
    mail.append(el('p', {}, t('portal.home.how.phone', { phone: team.phone })));
  }
  if (team && has(team.hours)) {
    mail.append(el('p', {}, t('portal.home.how.hours', { hours: team.hours })));
  }
  cards.append(mail);
  if (team && has(team.security_txt)) {
    cards.append(el('article', { class: 'card' },
      el('h3', {}, t('portal.home.how.sectxt.title')),
      el('p', {}, tNodes('portal.home.how.sectxt.text',
        { link: el('a', { href: team.security_txt }, 'security.txt') }))));
  }
  main.append(el('section', { 'aria-labelledby': 'h-how' },
    el('h2', { id: 'h-how' }, t('portal.home.how.title')), cards));

  main.append(el('section', { 'aria-labelledby': 'h-adv' },
    el('h2', { id: 'h-adv' }, t('portal.advisories.title')),
    el('div', { class: 'empty' },
      el('p', { class: 'empty-title' }, t('portal.advisories.empty')),
      el('p', { class: 'muted' }, t('portal.advisories.empty_hint')))));

  const guides = el('section', { 'aria-labelledby': 'h-guides' },
    el('h2', { id: 'h-guides' }, t('portal.guides.title')),
    el('p', {}, t('portal.guides.lead')));
  for (const g of GUIDES) {
    guides.append(el('details', { class: 'guide', id: `guide-${g.id}` },
      el('summary', {}, t(g.title)),
      el('div', { class: 'guide-body' },
        el('p', {}, t(g.intro)),
        el('ol', {}, g.steps.map((k) => el('li', {}, t(k)))))));
  }
  main.append(guides);
}

// ---- report form ----

const FIELDS = [
  { name: 'name', label: 'portal.form.name', type: 'text', auto: 'name' },
  {
    name: 'email', label: 'portal.form.email', type: 'email',
    auto: 'email', hint: 'portal.form.email_hint',
  },
  {
    name: 'description', label: 'portal.form.description',
    type: 'textarea', rows: 8, required: true,
    hint: 'portal.form.description_hint',
  },
  {
    name: 'when', label: 'portal.form.when', type: 'datetime-local',
    hint: 'portal.form.when_hint',
  },
  {
    name: 'affected_systems', label: 'portal.form.affected',
    type: 'textarea', rows: 3, hint: 'portal.form.affected_hint',
  },
];

function bytes(s) {
  return new TextEncoder().encode(s).length;
}

// "2026-03-14T09:30" (the browser's local time) -> RFC 3339 with the
// offset that applied then.
function rfc3339Local(v) {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return v;
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, '0');
  const secs = v.length === 16 ? ':00' : '';
  return `${v}${secs}${sign}${pad(off / 60)}:${pad(off % 60)}`;
}

function fieldRow(f, max) {
  const id = `f-${f.name}`;
  const describedBy = [];
  const label = el('label', { for: id }, t(f.label), ' ',
    el('span', { class: f.required ? 'req' : 'opt' },
      t(f.required ? 'portal.form.required' : 'portal.form.optional')));
  const row = el('div', { class: 'field', id: `row-${f.name}` }, label);
  if (f.hint) {
    row.append(el('p', { class: 'hint', id: `${id}-hint` }, t(f.hint)));
    describedBy.push(`${id}-hint`);
  }
  row.append(el('p', { class: 'error', id: `${id}-error`, hidden: true }));
  const attrs = {
    id, name: f.name, 'aria-describedby': describedBy.join(' ') || null,
    required: f.required || null, 'aria-required': f.required ? 'true' : null,
  };
  let input;
  if (f.type === 'textarea') {
    input = el('textarea', { ...attrs, rows: f.rows, maxlength: max });
  } else {
    input = el('input', {
      ...attrs, type: f.type, autocomplete: f.auto || 'off',
      maxlength: f.type === 'datetime-local' ? null : max,
      spellcheck: f.type === 'email' ? 'false' : null,
    });
  }
  row.append(input);
  return row;
}

function tlpFieldset() {
  const fs = el('fieldset', { class: 'tlp-choice', 'aria-describedby': 'tlp-hint' },
    el('legend', {}, t('portal.form.tlp')),
    el('p', { class: 'hint', id: 'tlp-hint' }, t('portal.form.tlp_hint')));
  for (const tl of TLPS) {
    const id = `tlp-${tl.label.toLowerCase().replace('+', '-')}`;
    const input = el('input', {
      type: 'radio', name: 'tlp', id, value: tl.label,
      checked: tl.label === 'AMBER' || null,
    });
    fs.append(el('div', { class: 'radio' }, input,
      el('label', { for: id }, tlpBadge(tl.label), ' ', t(tl.key),
        tl.label === 'AMBER' ? ` ${t('portal.form.tlp_default')}` : '')));
  }
  return fs;
}

function setFieldError(form, name, msg) {
  const input = form.elements[name];
  const err = document.getElementById(`f-${name}-error`);
  if (!input || !err || !input.getAttribute) return false;
  const ids = (input.getAttribute('aria-describedby') || '')
    .split(' ').filter((x) => x && x !== err.id);
  if (msg) {
    err.textContent = msg;
    err.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    ids.unshift(err.id);
  } else {
    err.textContent = '';
    err.hidden = true;
    input.removeAttribute('aria-invalid');
  }
  if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
  else input.removeAttribute('aria-describedby');
  return true;
}

function showErrors(form, summary, errs) {
  for (const f of FIELDS) setFieldError(form, f.name, null);
  summary.replaceChildren();
  if (!errs.length) {
    summary.hidden = true;
    return;
  }
  const list = el('ul', {});
  for (const e of errs) {
    const known = setFieldError(form, e.field, e.message);
    const f = FIELDS.find((x) => x.name === e.field);
    const what = f ? t(f.label) : e.field;
    list.append(el('li', {}, known
      ? el('a', { href: `#f-${e.field}` }, `${what}: ${e.message}`)
      : `${what}: ${e.message}`));
  }
  summary.append(el('h2', { id: 'err-title' }, t('portal.form.err.summary')),
    list);
  summary.hidden = false;
  summary.focus();
}

// The server's field errors, in the page's language.
function errorText(field, detail) {
  if (/is required/.test(detail)) return t('portal.form.err.required');
  if (/at most|too long/.test(detail)) return t('portal.form.err.too_long');
  if (field === 'email') return t('portal.form.err.email');
  return t('portal.form.err.invalid');
}

function localCheck(form, max) {
  const errs = [];
  const v = (n) => form.elements[n].value;
  if (v('description').trim() === '') {
    errs.push({ field: 'description', message: t('portal.form.err.required') });
  }
  const email = v('email').trim();
  if (email !== '' && !/^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(email)) {
    errs.push({ field: 'email', message: t('portal.form.err.email') });
  }
  for (const f of FIELDS) {
    if (bytes(v(f.name)) > max[f.name]) {
      errs.push({ field: f.name, message: t('portal.form.err.too_long') });
    }
  }
  return errs;
}

function renderDone(main, team, res) {
  main.replaceChildren();
  const h = el('h1', { id: 'done-title', tabindex: '-1' },
    t('portal.form.done.title'));
  main.append(el('section', { class: 'done', 'aria-labelledby': 'done-title' },
    h,
    el('p', { class: 'lead' }, tNodes('portal.form.done.reference',
      { reference: el('strong', { class: 'ref' }, res.reference) })),
    el('p', {}, t('portal.form.done.next')),
    el('p', {}, el('a', { href: pageHref('/report') },
      t('portal.form.done.again')))));
  h.focus();
}

// Files travel as base64 in the JSON body; the server stores them by
// SHA-256 and never serves them to anyone but the team.
function filesRow(team) {
  const rep = (team && team.report) || {};
  const maxBytes = rep.attachment_max_bytes || 0;
  const maxFiles = rep.attachment_max_files || 5;
  if (maxBytes <= 0) return el('p', { class: 'notice' }, t('portal.form.attachments'));
  return el('div', { class: 'field' },
    el('label', { for: 'f-files' }, t('portal.form.files'),
      el('span', { class: 'opt' }, ` ${t('portal.form.optional')}`)),
    el('p', { class: 'hint', id: 'f-files-hint' }, t('portal.form.files_hint', {
      count: String(maxFiles), size: `${Math.floor(maxBytes / 1024)} KB`,
    })),
    el('input', {
      id: 'f-files', name: 'files', type: 'file', multiple: true,
      'aria-describedby': 'f-files-hint',
    }),
    el('p', { class: 'field-error', id: 'f-files-err', hidden: true }));
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

// The chosen files, or an error message when they break the limits.
async function chosenFiles(form, team) {
  const input = form.elements.files;
  if (!input || !input.files || input.files.length === 0) return { files: [] };
  const rep = (team && team.report) || {};
  const maxBytes = rep.attachment_max_bytes || 0;
  const maxFiles = rep.attachment_max_files || 5;
  const list = Array.from(input.files);
  const total = list.reduce((n, f) => n + f.size, 0);
  if (list.length > maxFiles || total > maxBytes) {
    return {
      error: t('portal.form.err.files', {
        count: String(maxFiles), size: `${Math.floor(maxBytes / 1024)} KB`,
      }),
    };
  }
  const files = [];
  for (const f of list) {
    files.push({
      filename: f.name,
      content_type: f.type || 'application/octet-stream',
      data: await readBase64(f),
    });
  }
  return { files };
}

function renderReport(main, team) {
  const max = { ...DEFAULT_MAX, ...((team && team.report && team.report.max_bytes) || {}) };
  main.append(el('h1', {}, t('portal.report.title')),
    el('p', { class: 'lead' }, t('portal.report.lead')));
  if (team && has(team.email)) {
    main.append(el('p', {}, tNodes('portal.report.urgent',
      { email: mailto(team.email) })));
  }
  if (team && has(team.phone)) {
    main.append(el('p', {}, t('portal.report.urgent_phone',
      { phone: team.phone })));
  }
  main.append(el('p', { class: 'muted' }, t('portal.report.privacy')));

  const summary = el('div', {
    class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true,
    'aria-labelledby': 'err-title',
  });
  const status = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const submit = el('button', { type: 'submit', class: 'button' },
    t('portal.form.submit'));
  const form = el('form', { class: 'report-form', novalidate: true },
  summary,
  el('fieldset', {}, el('legend', {}, t('portal.form.about_you')),
    fieldRow(FIELDS[0], max.name), fieldRow(FIELDS[1], max.email)),
  el('fieldset', {}, el('legend', {}, t('portal.form.incident')),
    fieldRow(FIELDS[2], max.description), fieldRow(FIELDS[3], max.when),
    fieldRow(FIELDS[4], max.affected_systems)),
  tlpFieldset(),
  filesRow(team),
  // The honeypot: hidden from sight and from assistive technology, out
  // of the tab order. People leave it empty; bots filling every field do
  // not, and the server then answers as usual but stores nothing.
  el('div', { class: 'hp', 'aria-hidden': 'true' },
    el('label', { for: 'f-website' }, t('portal.form.honeypot')),
    el('input', {
      id: 'f-website', name: 'website', type: 'text', tabindex: '-1',
      autocomplete: 'off',
    })),
  el('div', { class: 'actions' }, submit),
  status);
  main.append(form);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.textContent = '';
    const errs = localCheck(form, max);
    showErrors(form, summary, errs);
    if (errs.length) return;
    const val = (n) => form.elements[n].value;
    const body = {
      description: val('description'),
      tlp: (form.querySelector('input[name="tlp"]:checked') || {}).value || 'AMBER',
      language: lang,
      website: val('website'),
    };
    for (const n of ['name', 'email', 'affected_systems']) {
      if (val(n).trim() !== '') body[n] = val(n).trim();
    }
    if (val('when') !== '') body.when = rfc3339Local(val('when'));
    const chosen = await chosenFiles(form, team);
    const fileErr = form.querySelector('#f-files-err');
    if (fileErr) {
      fileErr.hidden = !chosen.error;
      fileErr.textContent = chosen.error || '';
    }
    if (chosen.error) {
      form.elements.files.focus();
      return;
    }
    if (chosen.files.length) body.attachments = chosen.files;
    submit.disabled = true;
    status.textContent = t('portal.form.sending');
    let r;
    try {
      r = await fetch('/api/v1/public/reports', {
        method: 'POST',
        credentials: 'omit',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      });
    } catch (e) {
      r = null;
    }
    submit.disabled = false;
    status.textContent = '';
    if (r && r.status === 201) {
      renderDone(main, team, await r.json());
      return;
    }
    if (r && r.status === 400) {
      let p = {};
      try {
        p = await r.json();
      } catch (e) {
        p = {};
      }
      const list = (p.errors || []).map((e) => ({
        field: e.field, message: errorText(e.field, e.detail || ''),
      }));
      if (list.length) {
        showErrors(form, summary, list);
        return;
      }
    }
    let msg = t('portal.form.err.network');
    if (r && r.status === 429) {
      const secs = parseInt(r.headers.get('Retry-After') || '600', 10);
      msg = t('portal.form.err.rate', { minutes: Math.max(1, Math.ceil(secs / 60)) });
    } else if (r && r.status === 413) {
      msg = t('portal.form.err.too_big');
    }
    summary.replaceChildren(el('p', {}, msg));
    summary.hidden = false;
    summary.focus();
  });
}

// ---- about: the RFC 2350 profile ----

function dl(rows) {
  const d = el('dl', { class: 'facts' });
  for (const [term, value] of rows) {
    d.append(el('dt', {}, term), el('dd', {}, value));
  }
  return d;
}

function orNot(v) {
  return has(v) ? v : el('span', { class: 'muted' }, t('portal.not_set'));
}

function section(id, title, ...children) {
  return el('section', { 'aria-labelledby': id }, el('h2', { id }, title),
    ...children);
}

function renderAbout(main, team) {
  const tm = team || {};
  const name = tm.name || 'CSIRT';
  // a node can be in one place only: one link for each use
  const email = () => (has(tm.email) ? mailto(tm.email) : orNot(null));
  const base = has(tm.public_url) ? tm.public_url.replace(/\/+$/, '') : location.origin;
  const languages = (tm.languages || []).map(langName).join(', ');
  const keys = has(tm.pgp_fingerprint)
    ? [el('code', { class: 'fpr' }, tm.pgp_fingerprint), el('br', {}),
      t('portal.about.contact.keys_hint')]
    : orNot(null);

  main.append(el('h1', {}, t('portal.about.heading', { name })),
    el('p', { class: 'lead' }, t('portal.about.lead')));

  main.append(section('s-doc', t('portal.about.doc.title'), dl([
    [t('portal.about.doc.updated'), t('portal.about.doc.updated_value')],
    [t('portal.about.doc.distribution'), t('portal.about.doc.distribution_value')],
    [t('portal.about.doc.location'), el('a', { href: `${base}/about` }, `${base}/about`)],
    [t('portal.about.doc.auth'), t('portal.about.doc.auth_value')],
  ])));

  main.append(section('s-contact', t('portal.about.contact.title'), dl([
    [t('portal.about.contact.name'), name],
    [t('portal.about.contact.address'), orNot(tm.address)],
    [t('portal.about.contact.timezone'), orNot(tm.timezone)],
    [t('portal.about.contact.phone'), orNot(tm.phone)],
    [t('portal.about.contact.email'), email()],
    [t('portal.about.contact.keys'), keys],
    [t('portal.about.contact.languages'), orNot(languages)],
    [t('portal.about.contact.hours'),
      has(tm.hours) ? tm.hours : t('portal.about.contact.hours_default')],
  ])));

  main.append(section('s-charter', t('portal.about.charter.title'), dl([
    [t('portal.about.charter.mission'),
      has(tm.mission) ? tm.mission : t('portal.about.charter.mission_default')],
    [t('portal.about.charter.constituency'),
      has(tm.constituency) ? tm.constituency
        : t('portal.about.charter.constituency_default')],
    [t('portal.about.charter.sponsorship'), orNot(tm.sponsorship)],
    [t('portal.about.charter.authority'), t('portal.about.charter.authority_default')],
  ])));

  const tlpList = el('ul', { class: 'tlp-list' }, TLPS.map((tl) =>
    el('li', {}, tlpBadge(tl.label), ' ', t(tl.key))));
  main.append(section('s-policies', t('portal.about.policies.title'),
    el('h3', {}, t('portal.about.policies.types')),
    el('p', {}, t('portal.about.policies.types_value')),
    el('h3', {}, t('portal.about.policies.cooperation')),
    el('p', {}, t('portal.about.policies.cooperation_value')),
    tlpList,
    el('h3', {}, t('portal.about.policies.communication')),
    el('p', {}, t('portal.about.policies.communication_value',
      { languages: languages || '—' }))));

  main.append(section('s-services', t('portal.about.services.title'),
    el('h3', {}, t('portal.about.services.response')),
    el('ul', {},
      el('li', {}, t('portal.about.services.triage')),
      el('li', {}, t('portal.about.services.coordination')),
      el('li', {}, t('portal.about.services.resolution'))),
    el('h3', {}, t('portal.about.services.proactive')),
    el('ul', {},
      el('li', {}, t('portal.about.services.advisories')),
      el('li', {}, t('portal.about.services.guides')))));

  const formLink = el('a', { href: pageHref('/report') }, t('portal.about.forms.link'));
  main.append(section('s-forms', t('portal.about.forms.title'),
    el('p', {}, has(tm.email)
      ? tNodes('portal.about.forms.value', { form: formLink, email: email() })
      : tNodes('portal.about.forms.value_noemail', { form: formLink }))));

  main.append(section('s-disclaimer', t('portal.about.disclaimer.title'),
    el('p', {}, t('portal.about.disclaimer.value', { name }))));
}

// ---- start ----

const PAGES = {
  '/': { id: 'home', title: 'portal.nav.home', render: renderHome },
  '/report': { id: 'report', title: 'portal.nav.report', render: renderReport },
  '/about': { id: 'about', title: 'portal.nav.about', render: renderAbout },
};

async function main() {
  let team = null;
  try {
    team = await getJSON('/api/v1/public/team');
  } catch (e) {
    team = null;
  }
  lang = chooseLang(team);
  await loadCatalogues(lang);
  document.documentElement.lang = lang;
  applyStatic();

  const path = location.pathname.replace(/\/+$/, '') || '/';
  const page = PAGES[path] || PAGES['/'];
  renderFrame(team, page.id);
  document.title = `${t(page.title)} · ${team ? team.name : 'CSIRT'}`;

  const root = document.getElementById('main');
  root.replaceChildren();
  if (!team) {
    root.append(el('p', { class: 'notice', role: 'alert' }, t('portal.error.team')));
  }
  page.render(root, team);
}

main();
