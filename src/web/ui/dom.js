// dom.js - building the page with DOM calls. Data is always text
// (textContent, attributes); the only markup from the server is an
// incident's summary_html, rendered by the API from Markdown in safe mode,
// and even that is copied element by element through an allowlist
// (safeHtml) before it reaches the page.

import { t, fmtDate, fmtDateTime, fmtRelative } from './i18n.js';

// h('a', {href: '/ui/', class: 'x', onclick: fn}, 'text', otherNode)
export function h(tag, attrs, ...children) {
  const el = tag.includes(':')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1])
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') {
      el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    } else if (k === 'text') {
      el.textContent = String(v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'value' && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')) {
      // the default too, so that a form knows what the user changed
      el.defaultValue = v;
      el.value = v;
    } else if (k === 'value' && 'value' in el && !(el instanceof SVGElement)) {
      el.value = v;
    } else if (k === 'checked' || k === 'selected' || k === 'disabled' ||
               k === 'hidden' || k === 'required' || k === 'multiple') {
      el[k] = Boolean(v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// A link inside the workspace (the router takes the click).
export function link(href, ...children) {
  return h('a', { href, 'data-link': '' }, ...children);
}

export function incidentLink(ref) {
  return link(`/ui/incidents/${encodeURIComponent(ref)}`, h('code', { class: 'ref', text: ref }));
}

// ---- labels ----

const TLP_CLASS = {
  CLEAR: 'tlp-clear', GREEN: 'tlp-green', AMBER: 'tlp-amber',
  'AMBER+STRICT': 'tlp-amber', RED: 'tlp-red',
};

// FIRST's TLP 2.0 label: the colour on black, "TLP:AMBER".
export function tlpLabel(tlp, prefix = 'TLP') {
  if (!tlp) return h('span', { class: 'muted', text: '—' });
  return h('span', {
    class: ['tlp', TLP_CLASS[tlp] || 'tlp-clear'],
    text: `${prefix}:${tlp}`,
  });
}

export function papLabel(pap) {
  return tlpLabel(pap, 'PAP');
}

export const STATUS_KEYS = {
  new: 'ui.status.new', open: 'ui.status.open', stalled: 'ui.status.stalled',
  resolved: 'ui.status.resolved', closed: 'ui.status.closed',
};
export const RESOLUTION_KEYS = {
  fixed: 'ui.resolution.fixed', mitigated: 'ui.resolution.mitigated',
  'false-positive': 'ui.resolution.false_positive',
  duplicate: 'ui.resolution.duplicate',
  'out-of-scope': 'ui.resolution.out_of_scope',
  'no-response': 'ui.resolution.no_response',
};
export const LEVEL_KEYS = {
  critical: 'ui.level.critical', high: 'ui.level.high',
  medium: 'ui.level.medium', low: 'ui.level.low',
};
export const REPORT_STATUS_KEYS = {
  new: 'ui.report_status.new', triaged: 'ui.report_status.triaged',
  merged: 'ui.report_status.merged', rejected: 'ui.report_status.rejected',
  spam: 'ui.report_status.spam',
};
export const SOURCE_KEYS = {
  web: 'ui.source.web', api: 'ui.source.api', email: 'ui.source.email',
  feed: 'ui.source.feed',
};
export const TLPS = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'];
export const PAPS = ['CLEAR', 'GREEN', 'AMBER', 'RED'];
export const LEVELS = ['critical', 'high', 'medium', 'low'];
export const STATUSES = ['new', 'open', 'stalled', 'resolved', 'closed'];
export const ACTIVE = ['new', 'open', 'stalled'];

export function tr(keys, value) {
  return keys[value] ? t(keys[value]) : String(value ?? '');
}

export function statusLabel(status) {
  return h('span', { class: ['status', `status-${status}`], text: tr(STATUS_KEYS, status) });
}

export function priorityLabel(p) {
  return h('span', {
    class: ['prio', `prio-${p}`],
    title: t('ui.priority.title', { n: p }),
    text: `P${p}`,
  });
}

// One SLA deadline: due (iso), done (iso of when it was met, or null).
export function slaClock(label, due, done, active) {
  const now = Date.now();
  const late = !done && active && new Date(due).getTime() < now;
  const soon = !done && active && !late && new Date(due).getTime() - now < 4 * 3600e3;
  let state;
  if (done) state = t('ui.sla.met', { when: fmtDateTime(done) });
  else if (!active) state = t('ui.sla.stopped');
  else if (late) state = t('ui.sla.overdue', { when: fmtRelative(due, now) });
  else state = t('ui.sla.due', { when: fmtRelative(due, now) });
  return h('div', { class: ['sla', late && 'sla-late', soon && 'sla-soon', done && 'sla-met'] },
    h('span', { class: 'sla-label', text: label }),
    h('time', { datetime: due, title: fmtDateTime(due), text: state }));
}

// The SLA cell of a list row: the next deadline of an active incident.
export function slaCell(x) {
  if (!ACTIVE.includes(x.status)) return h('span', { class: 'muted', text: '—' });
  const due = x.sla.first_response_at ? x.sla.resolve_due : x.sla.response_due;
  return h('time', {
    datetime: due,
    title: fmtDateTime(due),
    class: x.sla.breached ? 'sla-late' : '',
    text: x.sla.breached ? t('ui.sla.breached_short', { when: fmtRelative(due) })
      : fmtRelative(due),
  });
}

export function date(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  return h('time', { datetime: iso, title: fmtDateTime(iso), class: 'nowrap', text: fmtDate(iso) });
}

export function time(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  return h('time', { datetime: iso, title: iso, text: fmtDateTime(iso) });
}

// ---- forms ----

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled field: field(label, input, hint) (input gets an id if needed).
export function field(label, input, hint) {
  if (!input.id) input.id = nextId('f');
  const parts = [h('label', { for: input.id, text: label }), input];
  if (hint) {
    const hid = `${input.id}-hint`;
    input.setAttribute('aria-describedby', hid);
    parts.push(h('small', { id: hid, class: 'hint', text: hint }));
  }
  return h('div', { class: 'field', dataset: { field: input.name || '' } }, ...parts);
}

// <select> from [[value, label], ...]; the current value selected.
export function select(name, options, value, attrs = {}) {
  return h('select', { name, ...attrs },
    options.map(([v, label]) => h('option', { value: v, selected: v === value, text: label })));
}

// Marks the fields named in a problem's errors[], and says the rest.
export function showProblem(form, err, box) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const unplaced = [];
  for (const fe of err.fields || []) {
    const input = form.querySelector(`[name="${CSS.escape(fe.field || '')}"]`);
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      input.after(h('small', { class: 'field-error', text: fe.detail }));
    } else {
      unplaced.push(`${fe.field}: ${fe.detail}`);
    }
  }
  const msg = [err.message, ...unplaced].join(' — ');
  if (box) {
    box.hidden = false;
    replace(box, msg);
  } else {
    toast(msg, 'error');
  }
}

export function clearProblem(form, box) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  if (box) {
    box.hidden = true;
    clear(box);
  }
}

// Whether the user typed something in root that no form has taken yet.
export function hasTypedText(root) {
  for (const el of root.querySelectorAll('input, textarea')) {
    if (el.type === 'checkbox' || el.type === 'radio' || el.type === 'hidden') continue;
    if (el.value !== el.defaultValue) return true;
  }
  return false;
}

// Ctrl+Enter (or Cmd+Enter) in any field of form submits it.
export function submitOnCtrlEnter(form) {
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  return form;
}

// ---- messages ----

export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const el = h('div', { class: ['toast', `toast-${kind}`], role: kind === 'error' ? 'alert' : null },
    h('span', { text: message }),
    h('button', {
      type: 'button', class: 'link', 'aria-label': t('ui.close'), text: '×',
      onclick: () => el.remove(),
    }));
  box.append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 12000 : 5000);
  return el;
}

export function loading() {
  return h('p', { class: 'muted loading', text: t('ui.loading') });
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert', text: err.message || String(err) });
}

export function section(title, ...children) {
  const id = nextId('s');
  return h('section', { class: 'panel', 'aria-labelledby': id },
    h('h2', { id, text: title }), ...children);
}

// ---- the server's sanitized HTML ----

const ALLOWED = new Set([
  'P', 'BR', 'HR', 'EM', 'STRONG', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL',
  'LI', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'A', 'DEL', 'TABLE', 'THEAD',
  'TBODY', 'TR', 'TH', 'TD', 'SPAN',
]);

function copySafe(src, dst) {
  for (const n of src.childNodes) {
    if (n.nodeType === Node.TEXT_NODE) {
      dst.append(document.createTextNode(n.nodeValue));
    } else if (n.nodeType === Node.ELEMENT_NODE) {
      if (!ALLOWED.has(n.tagName)) {
        copySafe(n, dst); // keep the text, drop the element
        continue;
      }
      const el = document.createElement(n.tagName.toLowerCase());
      if (n.tagName === 'A') {
        const href = n.getAttribute('href') || '';
        if (/^(https?:|mailto:|#|\/)/i.test(href)) el.setAttribute('href', href);
        el.setAttribute('rel', 'noopener noreferrer nofollow');
        el.setAttribute('target', '_blank');
      }
      copySafe(n, el);
      dst.append(el);
    }
  }
}

// The summary_html of the API (cmark, safe mode), copied through an
// allowlist of elements with no attributes but a link's href.
export function safeHtml(html) {
  const doc = new DOMParser().parseFromString(String(html || ''), 'text/html');
  const out = h('div', { class: 'markdown' });
  copySafe(doc.body, out);
  return out;
}

// "a, b , c" -> ['a', 'b', 'c']
export function splitList(s) {
  return String(s || '').split(',').map((x) => x.trim()).filter(Boolean);
}

// Text with «marks» from a search snippet, as text and <mark> nodes.
export function snippet(s) {
  const out = h('span', { class: 'snippet' });
  const parts = String(s || '').split(/[«»]/);
  parts.forEach((p, i) => {
    if (!p) return;
    out.append(i % 2 ? h('mark', { text: p }) : document.createTextNode(p));
  });
  return out;
}

// j/k over the rows of a list: moves the focus between their main links
// (Enter then follows the link). Returns the view's key map.
export function rowKeys(container) {
  const move = (step) => {
    const links = [...container.querySelectorAll('a.row-link')];
    if (links.length === 0) return;
    const i = links.indexOf(document.activeElement);
    const next = i < 0 ? (step > 0 ? 0 : links.length - 1)
      : Math.min(links.length - 1, Math.max(0, i + step));
    links[next].focus();
    links[next].closest('tr')?.scrollIntoView({ block: 'nearest' });
  };
  return { j: () => move(1), k: () => move(-1) };
}
