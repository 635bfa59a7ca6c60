// mail.js - the team's mail, in and out: the list at /ui/mail (filters
// by state and direction in the address, quarantine first as a quick
// filter, cursor pagination), and the parts of one mail that the incident
// page's correspondence shows too (direction, state, the OpenPGP badges,
// the attachments and the raw message).
//
// Attachments and raw messages are evidence: they are downloaded, never
// shown, and only handlers may fetch them, so viewers see no links.

import { get, qs } from '../api.js';
import { t } from '../i18n.js';
import {
  errorBox, field, h, incidentLink, link, loading, replace, rowKeys, select, time, tr,
} from '../dom.js';

export const MAIL_STATES = ['quarantined', 'received', 'ignored', 'queued', 'sent', 'failed'];
export const MAIL_STATE_KEYS = {
  received: 'ui.mail.state.received', ignored: 'ui.mail.state.ignored',
  quarantined: 'ui.mail.state.quarantined', queued: 'ui.mail.state.queued',
  sent: 'ui.mail.state.sent', failed: 'ui.mail.state.failed',
};
export const DIRECTION_KEYS = { in: 'ui.mail.dir.in', out: 'ui.mail.dir.out' };
const PAGE = 50;
// Cursors of the pages seen, per filter set, for "previous page".
const trail = new Map();

export function directionLabel(m) {
  return h('span', {
    class: ['mdir', `mdir-${m.direction}`], title: tr(DIRECTION_KEYS, m.direction),
    text: `${m.direction === 'in' ? '↓' : '↑'} ${tr(DIRECTION_KEYS, m.direction)}`,
  });
}

export function mailStateLabel(m) {
  return h('span', { class: ['mstate', `mstate-${m.state}`], text: tr(MAIL_STATE_KEYS, m.state) });
}

// A fingerprint, shortened to its last 16 digits (the long key ID).
function shortFpr(fpr) {
  const s = String(fpr || '').replace(/\s+/g, '');
  return s.length > 16 ? `…${s.slice(-16)}` : s;
}

// The lock of an encrypted mail and the state of its signature.
export function mailBadges(m) {
  const out = [];
  if (m.encrypted) {
    out.push(h('span', { class: 'badge badge-lock', title: t('ui.mail.encrypted_title') },
      h('span', { 'aria-hidden': 'true', text: '🔒 ' }), t('ui.mail.encrypted')));
  }
  if (m.signature === 'good') {
    out.push(h('span', { class: 'badge sig sig-good', title: m.signer || '' },
      t('ui.mail.sig_good'), ' ', h('code', { text: shortFpr(m.signer) })));
  } else if (m.signature === 'bad') {
    out.push(h('span', { class: 'badge sig sig-bad', title: m.signer || '', text: t('ui.mail.sig_bad') }));
  } else if (m.signature === 'unknown_key') {
    out.push(h('span', { class: 'badge sig sig-unknown', title: m.signer || '', text: t('ui.mail.sig_unknown') }));
  } else if (m.signature === 'error') {
    out.push(h('span', { class: 'badge sig sig-unknown', text: t('ui.mail.sig_error') }));
  }
  return out;
}

// The raw message and the attachments, as downloads (handlers only).
export function mailFiles(m, canDownload) {
  if (!canDownload) {
    return m.attachments.length ? h('p', { class: 'muted small',
      text: t('ui.mail.attachments_count', { n: m.attachments.length }) }) : null;
  }
  return h('ul', { class: 'mail-files' },
    m.attachments.map((a) => h('li', {}, h('a', {
      href: `/api/v1/mail/${m.id}/attachments/${a.n}`, download: a.filename || `attachment-${a.n}`,
      class: 'attachment', title: `${a.content_type} · SHA-256 ${a.sha256}`,
    }, a.filename || `attachment-${a.n}`), ' ',
    h('span', { class: 'muted small', text: t('ui.mail.bytes', { n: a.size }) }))),
    h('li', {}, h('a', {
      href: `/api/v1/mail/${m.id}/raw`, download: `mail-${m.id}.eml`, class: 'raw',
      text: t('ui.mail.raw'),
    })));
}

// Why a mail failed or was quarantined.
export function mailError(m) {
  if (!m.error || (m.state !== 'failed' && m.state !== 'quarantined')) return null;
  return h('p', { class: ['mail-error', m.state === 'failed' ? 'error' : 'notice'] },
    h('strong', { text: m.state === 'failed' ? t('ui.mail.failed_because') : t('ui.mail.quarantined_because') }),
    ' ', h('span', { text: m.error }));
}

function filterForm(query, onSubmit) {
  const any = t('ui.filter.any');
  const form = h('form', { class: 'row inline-form', id: 'mail-filters', role: 'search' },
    field(t('ui.mail.filter_state'), select('state',
      [['', any], ...MAIL_STATES.map((s) => [s, tr(MAIL_STATE_KEYS, s)])], query.get('state') || '')),
    field(t('ui.mail.filter_direction'), select('direction',
      [['', any], ['in', tr(DIRECTION_KEYS, 'in')], ['out', tr(DIRECTION_KEYS, 'out')]],
      query.get('direction') || '')));
  form.addEventListener('change', () => {
    const fd = new FormData(form);
    onSubmit({ state: fd.get('state'), direction: fd.get('direction') });
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    form.dispatchEvent(new Event('change'));
  });
  return form;
}

function whereCell(m) {
  if (m.incident) return incidentLink(m.incident);
  if (m.report) return link(`/ui/reports/${m.report}`, t('ui.mail.report', { id: m.report }));
  return h('span', { class: 'muted', text: '—' });
}

export async function mailListView(root, ctx) {
  ctx.setTitle(t('ui.nav.mail'));
  if (!ctx.can('team')) {
    replace(root, h('p', { class: 'error', text: t('ui.forbidden') }));
    return null;
  }
  const handler = ctx.can('write');
  const params = {};
  for (const k of ['state', 'direction']) if (ctx.query.get(k)) params[k] = ctx.query.get(k);
  const cursor = ctx.query.get('cursor') || '';
  const quick = [['quarantined', t('ui.mail.quick_quarantined')], ['failed', t('ui.mail.quick_failed')],
    ['', t('ui.mail.quick_all')]];
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('ui.mail.quick') },
    h('ul', {}, quick.map(([s, label]) => h('li', {}, h('a', {
      href: `/ui/mail${qs({ state: s })}`, 'data-link': '', dataset: { quick: s || 'all' },
      'aria-current': s === (params.state || '') && !params.direction ? 'page' : null,
      text: label,
    })))));
  const form = filterForm(ctx.query, (out) => ctx.navigate(`/ui/mail${qs(out)}`));
  const results = h('div', { class: 'results', 'aria-live': 'polite' }, loading());
  replace(root, h('h1', { text: t('ui.mail.title') }), tabs, form, results);

  let page;
  try {
    page = await get(`/mail${qs({ ...params, limit: PAGE, cursor })}`);
  } catch (e) {
    replace(results, errorBox(e));
    return null;
  }
  if (!ctx.isCurrent()) return null;

  const key = qs(params);
  const seen = trail.get(key) || [''];
  if (!seen.includes(cursor)) seen.push(cursor);
  trail.set(key, seen);
  const pos = seen.indexOf(cursor);
  const nav = h('nav', { class: 'pager', 'aria-label': t('ui.pager.label') },
    pos > 0 ? link(`/ui/mail${qs({ ...params, cursor: seen[pos - 1] })}`, t('ui.pager.prev')) : null,
    cursor ? link(`/ui/mail${qs(params)}`, t('ui.pager.first')) : null,
    page.next_cursor ? h('a', {
      href: `/ui/mail${qs({ ...params, cursor: page.next_cursor })}`,
      'data-link': '', rel: 'next', id: 'mail-next-page', text: t('ui.pager.next'),
    }) : null);

  if (page.items.length === 0) {
    replace(results, h('p', { class: 'muted', id: 'no-mail', text: t('ui.mail.none') }), nav);
    return null;
  }
  const table = h('table', { class: 'list', id: 'mail-table' },
    h('caption', { class: 'sr-only', text: t('ui.mail.title') }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('ui.col.received') }),
      h('th', { scope: 'col', text: t('ui.mail.col_direction') }),
      h('th', { scope: 'col', text: t('ui.col.status') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.mail.col_from_to') }),
      h('th', { scope: 'col', text: t('ui.col.subject') }),
      h('th', { scope: 'col', text: t('ui.mail.col_where') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.mail.col_openpgp') }))),
    h('tbody', {}, page.items.map((m) => h('tr', { dataset: { id: String(m.id), state: m.state } },
      h('td', {}, time(m.created_at)),
      h('td', {}, directionLabel(m)),
      h('td', {}, mailStateLabel(m)),
      h('td', { class: 'wide-only value-cell' },
        h('div', { text: m.sender || '—' }),
        h('div', { class: 'muted small', text: m.recipients ? `→ ${m.recipients}` : '' })),
      h('td', { class: 'title-cell' },
        m.incident || m.report ? h('a', {
          href: m.incident ? `/ui/incidents/${encodeURIComponent(m.incident)}` : `/ui/reports/${m.report}`,
          'data-link': '', class: 'row-link', text: m.subject || t('ui.reports.no_subject'),
        }) : h('span', { text: m.subject || t('ui.reports.no_subject') }),
        mailError(m), mailFiles(m, handler)),
      h('td', {}, whereCell(m)),
      h('td', { class: 'wide-only' }, mailBadges(m))))));
  replace(results,
    h('p', { class: 'muted count-line', text: t('ui.mail.shown', { n: page.items.length }) }),
    h('div', { class: 'table-wrap' }, table), nav);
  return { keys: rowKeys(table) };
}
