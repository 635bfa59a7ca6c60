// reports.js - triage of what came in: the list of reports (new ones
// first), and one report with its indicators and the four ways out: a new
// incident, attached to an existing one, rejected, spam.
//
// Keys on a report: c (create: focus the form, Ctrl+Enter sends it),
// a (attach: focus the reference), x (reject), s (spam), j/k (next and
// previous report in the list).

import { api, get, post, qs } from '../api.js';
import { t } from '../i18n.js';
import {
  LEVEL_KEYS, LEVELS, REPORT_STATUS_KEYS, SOURCE_KEYS, TLPS, clearProblem, errorBox, field,
  h, incidentLink, link, loading, replace, rowKeys, select, showProblem, submitOnCtrlEnter,
  time, tlpLabel, toast, tr,
} from '../dom.js';
import { RSIT_CLASSES, RSIT_TYPES } from '../rsit.js';
import { previewIocs } from '../ioc.js';

const STATUSES = ['new', 'triaged', 'merged', 'rejected', 'spam'];

function reportStatus(s) {
  return h('span', { class: ['status', `rstatus-${s}`], text: tr(REPORT_STATUS_KEYS, s) });
}

export async function reportListView(root, ctx) {
  ctx.setTitle(t('ui.nav.reports'));
  if (!ctx.can('team')) {
    replace(root, h('p', { class: 'error', text: t('ui.forbidden') }));
    return null;
  }
  const status = ctx.query.has('status') ? ctx.query.get('status') : 'new';
  const cursor = ctx.query.get('cursor') || '';
  const tabs = h('nav', { class: 'tabs', 'aria-label': t('ui.reports.filter') },
    h('ul', {}, [...STATUSES, ''].map((s) => h('li', {}, h('a', {
      href: `/ui/reports${qs({ status: s || 'all' })}`, 'data-link': '',
      'aria-current': (s || 'all') === (status || 'all') ? 'page' : null,
      text: s ? tr(REPORT_STATUS_KEYS, s) : t('ui.reports.all'),
    })))));
  const results = h('div', { class: 'results' }, loading());
  replace(root, h('h1', { text: t('ui.reports.title') }), tabs, results);
  let page;
  try {
    page = await get(`/reports${qs({ status: status === 'all' ? '' : status, limit: 50, cursor })}`);
  } catch (e) {
    replace(results, errorBox(e));
    return null;
  }
  if (!ctx.isCurrent()) return null;
  if (page.items.length === 0) {
    replace(results, h('p', { class: 'muted', text: status === 'new' ? t('ui.reports.none_new') : t('ui.reports.none') }));
    return null;
  }
  const table = h('table', { class: 'list', id: 'report-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: '#' }),
      h('th', { scope: 'col', text: t('ui.col.subject') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.reporter') }),
      h('th', { scope: 'col', text: t('ui.col.source') }),
      h('th', { scope: 'col', text: t('ui.col.tlp') }),
      h('th', { scope: 'col', text: t('ui.col.status') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.received') }))),
    h('tbody', {}, page.items.map((r) => h('tr', { dataset: { id: String(r.id) } },
      h('td', { text: String(r.id) }),
      h('td', { class: 'title-cell' }, h('a', {
        href: `/ui/reports/${r.id}`,
        'data-link': '', class: 'row-link', text: r.subject || t('ui.reports.no_subject'),
      })),
      h('td', { class: 'wide-only', text: r.reporter }),
      h('td', { text: tr(SOURCE_KEYS, r.source) }),
      h('td', {}, tlpLabel(r.tlp)),
      h('td', {}, reportStatus(r.status), r.incident ? [' ', incidentLink(r.incident)] : null),
      h('td', { class: 'wide-only' }, time(r.received_at))))));
  replace(results, h('p', { class: 'muted', text: t('ui.reports.keys') }),
    h('div', { class: 'table-wrap' }, table),
    page.next_cursor ? h('nav', { class: 'pager', 'aria-label': t('ui.pager.label') },
      link(`/ui/reports${qs({ status, cursor: page.next_cursor })}`, t('ui.pager.next'))) : null);
  const keys = rowKeys(table);
  const first = table.querySelector('a.row-link');
  if (first && status === 'new') first.focus();
  return { keys };
}

// The neighbours of report id among the new ones (for j/k and after a
// decision): {next: older, prev: newer}.
async function neighbours(id) {
  const page = await get('/reports?status=new&limit=500');
  const ids = page.items.map((r) => r.id);
  const i = ids.indexOf(id);
  if (i < 0) return { next: ids.find((x) => x < id) ?? ids[0] ?? null, prev: null };
  return { next: ids[i + 1] ?? null, prev: ids[i - 1] ?? null };
}

function rsitOptions(none) {
  const opts = [['', none]];
  for (const [cls, key] of RSIT_CLASSES) {
    for (const [c, id, name] of RSIT_TYPES) {
      if (c === cls) opts.push([id, `${t(key)} › ${name}`]);
    }
  }
  return opts;
}

// The files sent with a report: downloads for handlers (evidence is never
// rendered), a count for viewers.
function reportFiles(rep, canDownload) {
  const files = rep.attachments || [];
  if (!files.length) return null;
  return h('section', { class: 'report-files', id: 'report-files', 'aria-labelledby': 'files-title' },
    h('h2', { id: 'files-title', text: t('ui.reports.files', { n: files.length }) }),
    canDownload ? h('ul', { class: 'mail-files' }, files.map((a) => h('li', {},
      h('a', {
        href: `/api/v1/reports/${rep.id}/attachments/${a.n}`, download: a.filename,
        class: 'attachment', title: `${a.content_type} · SHA-256 ${a.sha256}`,
      }, a.filename), ' ',
      h('span', { class: 'muted small', text: t('ui.mail.bytes', { n: a.size }) }))))
      : null);
}

export async function reportView(root, ctx) {
  const id = Number(ctx.params[0]);
  ctx.setTitle(`#${id}`);
  if (!ctx.can('team')) {
    replace(root, h('p', { class: 'error', text: t('ui.forbidden') }));
    return null;
  }
  replace(root, loading());
  let rep;
  let etag;
  try {
    ({ data: rep, etag } = await api('GET', `/reports/${id}`));
  } catch (e) {
    replace(root, errorBox(e.status === 404 ? { message: t('ui.reports.not_found') } : e));
    return null;
  }
  if (!ctx.isCurrent()) return null;
  ctx.setTitle(rep.subject || `#${id}`);
  const write = ctx.can('write');
  const open = rep.status === 'new';

  const iocs = previewIocs(`${rep.subject}\n${rep.body}`);
  const iocBox = h('section', { class: 'panel', id: 'ioc-preview', 'aria-labelledby': 'ioc-title' },
    h('h2', { id: 'ioc-title', text: t('ui.reports.iocs', { n: iocs.length }) }),
    iocs.length ? h('ul', { class: 'iocs' }, iocs.map((x) => h('li', {},
      h('span', { class: 'ioc-type', text: x.type }), ' ', h('code', { text: x.value }))))
      : h('p', { class: 'muted', text: t('ui.reports.no_iocs') }),
    h('p', { class: 'muted small', text: t('ui.reports.iocs_hint') }));

  const article = h('article', { class: 'report', id: 'report' },
    h('p', { class: 'ref' }, h('code', { text: `#${rep.id}` }), ' ', reportStatus(rep.status),
      rep.incident ? [' → ', incidentLink(rep.incident)] : null),
    h('h1', { id: 'report-subject', text: rep.subject || t('ui.reports.no_subject') }),
    h('dl', { class: 'facts inline-facts' },
      h('dt', { text: t('ui.col.reporter') }), h('dd', { text: rep.reporter || '—' }),
      h('dt', { text: t('ui.col.source') }), h('dd', { text: tr(SOURCE_KEYS, rep.source) }),
      h('dt', { text: t('ui.col.received') }), h('dd', {}, time(rep.received_at)),
      h('dt', { text: t('ui.col.tlp') }), h('dd', {}, tlpLabel(rep.tlp)),
      h('dt', { text: t('ui.col.language') }), h('dd', { text: rep.language || '—' }),
      rep.triaged_by ? [h('dt', { text: t('ui.reports.triaged_by') }),
        h('dd', {}, rep.triaged_by, ' ', time(rep.triaged_at))] : null),
    h('pre', { class: 'report-body', id: 'report-body', text: rep.body }),
    reportFiles(rep, write));

  let decide = null;
  const keys = {};
  if (open && write) {
    decide = triagePanel(rep, etag, ctx, keys);
  } else if (open) {
    decide = h('p', { class: 'muted', text: t('ui.reports.readonly') });
  }
  replace(root, h('div', { class: 'report-grid' },
    h('div', { class: 'main-col' }, article, iocBox),
    h('aside', { class: 'side-col', 'aria-label': t('ui.reports.triage') }, decide)));

  keys.j = async () => {
    const n = await neighbours(id);
    if (n.next) ctx.navigate(`/ui/reports/${n.next}`);
  };
  keys.k = async () => {
    const n = await neighbours(id);
    if (n.prev) ctx.navigate(`/ui/reports/${n.prev}`);
  };
  return { keys };
}

function triagePanel(rep, etag, ctx, keys) {
  const err = h('p', { class: 'error', role: 'alert', hidden: true, id: 'triage-error' });
  const title = h('input', { name: 'title', value: rep.subject, maxlength: 300, required: true });
  const rsit = select('rsit_type', rsitOptions(t('ui.field.unclassified')), '');
  const create = h('form', { class: 'stack', id: 'triage-form' },
    h('h2', { text: t('ui.triage.create') }),
    field(t('ui.field.title'), title),
    field(t('ui.field.rsit_type'), rsit),
    h('div', { class: 'three' },
      field(t('ui.field.tlp'), select('tlp', TLPS.map((x) => [x, `TLP:${x}`]), rep.tlp)),
      field(t('ui.field.impact'), select('impact', [['', t('ui.field.default')], ...LEVELS.map((l) => [l, tr(LEVEL_KEYS, l)])], '')),
      field(t('ui.field.urgency'), select('urgency', [['', t('ui.field.default')], ...LEVELS.map((l) => [l, tr(LEVEL_KEYS, l)])], ''))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'assign_me', checked: true }), t('ui.field.assign_me')),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'extract', checked: true }), t('ui.triage.extract')),
    h('button', { type: 'submit', class: 'primary', id: 'triage-create', 'aria-keyshortcuts': 'c',
      text: t('ui.triage.create_button') }));
  submitOnCtrlEnter(create);

  const ref = h('input', { name: 'incident', required: true, autocomplete: 'off', placeholder: 'CSIRT-2026-000001', id: 'attach-ref' });
  const attach = h('form', { class: 'stack', id: 'attach-form' },
    h('h2', { text: t('ui.triage.attach') }),
    field(t('ui.triage.attach_ref'), ref),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'extract', checked: true }), t('ui.triage.extract')),
    h('button', { type: 'submit', id: 'triage-attach', 'aria-keyshortcuts': 'a', text: t('ui.triage.attach_button') }));

  const reject = h('button', { type: 'button', class: 'secondary', id: 'triage-reject', 'aria-keyshortcuts': 'x',
    text: t('ui.triage.reject'), onclick: () => dismiss('reject') });
  const spam = h('button', { type: 'button', class: 'secondary danger', id: 'triage-spam', 'aria-keyshortcuts': 's',
    text: t('ui.triage.spam'), onclick: () => dismiss('spam') });

  const text = `${rep.subject}\n${rep.body}`;
  async function triage(body, form) {
    clearProblem(form || create, err);
    try {
      const r = await api('POST', `/reports/${rep.id}:triage`, { body, etag });
      return r.data;
    } catch (e) {
      if (e.status === 412) {
        toast(t('ui.triage.changed'), 'error');
        ctx.navigate(location.pathname, { replace: true });
      } else {
        showProblem(form || create, e, err);
      }
      return null;
    }
  }

  async function extractInto(incRef) {
    try {
      const r = await post(`/incidents/${encodeURIComponent(incRef)}/observables:extract`, { text, attach: true });
      return r.found.length;
    } catch (e) {
      toast(e.message, 'error');
      return 0;
    }
  }

  async function goNext() {
    const page = await get('/reports?status=new&limit=1');
    if (page.items.length) ctx.navigate(`/ui/reports/${page.items[0].id}`);
    else ctx.navigate('/ui/reports');
  }

  create.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(create);
    const body = { action: 'new-incident', title: String(fd.get('title')).trim(), tlp: fd.get('tlp') };
    for (const k of ['rsit_type', 'impact', 'urgency']) if (fd.get(k)) body[k] = fd.get(k);
    if (fd.get('assign_me')) body.owner = ctx.user.login;
    const button = create.querySelector('button[type=submit]');
    button.disabled = true;
    const out = await triage(body, create);
    button.disabled = false;
    if (!out) return;
    const incRef = out.incident.ref;
    let n = 0;
    if (fd.get('extract')) n = await extractInto(incRef);
    toast(t('ui.triage.created', { ref: incRef, n }));
    ctx.navigate(`/ui/incidents/${encodeURIComponent(incRef)}`);
  });

  attach.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(attach);
    const target = String(fd.get('incident')).trim();
    const out = await triage({ action: 'attach', incident: target }, attach);
    if (!out) return;
    let n = 0;
    if (fd.get('extract')) n = await extractInto(target);
    toast(t('ui.triage.attached', { ref: target, n }));
    await goNext();
  });

  async function dismiss(action) {
    const q = action === 'spam' ? t('ui.triage.confirm_spam') : t('ui.triage.confirm_reject');
    if (!window.confirm(q)) return;
    const out = await triage({ action });
    if (!out) return;
    toast(action === 'spam' ? t('ui.triage.spammed', { id: rep.id }) : t('ui.triage.rejected', { id: rep.id }));
    await goNext();
  }

  keys.c = () => rsit.focus();
  keys.a = () => ref.focus();
  keys.x = () => dismiss('reject');
  keys.s = () => dismiss('spam');

  return h('div', { class: 'triage panel', id: 'triage' },
    h('p', { class: 'muted small', text: t('ui.triage.keys') }),
    create, attach,
    h('div', { class: 'row dismiss' }, reject, spam),
    err);
}
