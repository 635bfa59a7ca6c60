// incidents.js - the incident list (filters, full-text search, sort,
// cursor pagination, CSV export) and the form that opens a new incident.
// The filters live in the address (/ui/incidents?status=open&tlp=RED), so
// a filtered list can be bookmarked, shared and reloaded.

import { get, getAll, post, qs } from '../api.js';
import { t } from '../i18n.js';
import {
  LEVEL_KEYS, LEVELS, PAPS, STATUS_KEYS, STATUSES, TLPS, clearProblem, field, h, link,
  loading, priorityLabel, replace, rowKeys, select, showProblem, slaCell, splitList,
  statusLabel, submitOnCtrlEnter, date, tlpLabel, toast, tr,
} from '../dom.js';
import { RSIT_CLASSES, RSIT_TYPES, classKey, typeName } from '../rsit.js';

const FILTERS = ['q', 'status', 'rsit_class', 'rsit_type', 'tlp', 'priority', 'owner',
  'org', 'tag', 'sla', 'due_within'];
const PAGE = 50;
// Cursors of the pages seen, per filter set, for "previous page".
const trail = new Map();

// The server sorts the whole list (and pages it in that order).
const SORTS = {
  newest: true, priority: true, due: true, updated: true,
};
const SORT_KEYS = {
  newest: 'ui.sort.newest', priority: 'ui.sort.priority', due: 'ui.sort.due',
  updated: 'ui.sort.updated',
};

let orgCache = null;
export async function orgList() {
  if (!orgCache) orgCache = getAll('/orgs').then((r) => r.items).catch((e) => {
    orgCache = null;
    throw e;
  });
  return orgCache;
}

function rsitTypeOptions(anyLabel) {
  const opts = [['', anyLabel]];
  for (const [cls, key] of RSIT_CLASSES) {
    for (const [c, id, name] of RSIT_TYPES) {
      if (c === cls) opts.push([id, `${t(key)} › ${name}`]);
    }
  }
  return opts;
}

function filterForm(query, orgs, me, onSubmit) {
  const v = (k) => query.get(k) || '';
  const any = t('ui.filter.any');
  const q = h('input', {
    name: 'q', type: 'search', value: v('q'), 'data-search': '',
    placeholder: t('ui.filter.q_placeholder'),
  });
  const owner = h('input', {
    name: 'owner', value: v('owner'), list: 'owner-options', autocomplete: 'off',
    placeholder: t('ui.filter.owner_hint'),
  });
  const form = h('form', { class: 'filters', id: 'filters', role: 'search' },
    field(t('ui.filter.q'), q),
    field(t('ui.filter.status'), select('status',
      [['', any], ...STATUSES.map((s) => [s, tr(STATUS_KEYS, s)])], v('status'))),
    field(t('ui.filter.rsit_class'), select('rsit_class',
      [['', any], ...RSIT_CLASSES.map(([id, key]) => [id, t(key)])], v('rsit_class'))),
    field(t('ui.filter.rsit_type'), select('rsit_type', rsitTypeOptions(any), v('rsit_type'))),
    field(t('ui.filter.tlp'), select('tlp', [['', any], ...TLPS.map((x) => [x, `TLP:${x}`])], v('tlp'))),
    field(t('ui.filter.priority'), select('priority',
      [['', any], ...[1, 2, 3, 4].map((p) => [String(p), `P${p}`])], v('priority'))),
    field(t('ui.filter.owner'), owner),
    h('datalist', { id: 'owner-options' },
      h('option', { value: me, text: t('ui.filter.owner_me') }),
      h('option', { value: 'none', text: t('ui.filter.owner_none') })),
    field(t('ui.filter.org'), select('org',
      [['', any], ...orgs.map((o) => [o.short_name, `${o.short_name} — ${o.name}`])], v('org'))),
    field(t('ui.filter.tag'), h('input', { name: 'tag', value: v('tag'), autocomplete: 'off' })),
    field(t('ui.filter.sla'), select('sla_state', [
      ['', any], ['breached', t('ui.filter.sla_breached')],
      ['24h', t('ui.filter.sla_24h')], ['4h', t('ui.filter.sla_4h')],
    ], query.get('sla') === 'breached' ? 'breached' : v('due_within'))),
    field(t('ui.filter.sort'), select('sort',
      Object.keys(SORTS).map((k) => [k, t(SORT_KEYS[k])]), v('sort') || 'newest',
      { title: t('ui.filter.sort_hint') })),
    h('div', { class: 'row filter-buttons' },
      h('button', { type: 'submit', class: 'primary', text: t('ui.filter.apply') }),
      link('/ui/incidents', t('ui.filter.reset'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const out = {};
    for (const k of FILTERS) {
      const val = String(fd.get(k) || '').trim();
      if (val) out[k] = val;
    }
    const sla = fd.get('sla_state');
    if (sla === 'breached') out.sla = 'breached';
    else if (sla) out.due_within = sla;
    if (fd.get('sort') && fd.get('sort') !== 'newest') out.sort = fd.get('sort');
    onSubmit(out);
  });
  // a change of a select applies at once; text fields on Enter
  form.addEventListener('change', (ev) => {
    if (ev.target.tagName === 'SELECT') form.requestSubmit();
  });
  return form;
}

export async function incidentListView(root, ctx) {
  ctx.setTitle(t('ui.nav.incidents'));
  const query = ctx.query;
  const me = ctx.user.login;
  const params = {};
  for (const k of FILTERS) if (query.get(k)) params[k] = query.get(k);
  if (params.owner === 'me') params.owner = me;
  const cursor = query.get('cursor') || '';
  const sort = SORTS[query.get('sort')] ? query.get('sort') : 'newest';
  const heading = h('div', { class: 'page-head' },
    h('h1', { text: t('ui.incidents.title') }),
    ctx.can('write') ? link('/ui/incidents/new', t('ui.incidents.new')) : null);
  replace(root, heading, loading());

  let orgs = [];
  try {
    orgs = await orgList();
  } catch (e) {
    orgs = [];
  }
  const form = filterForm(query, orgs, me, (out) => ctx.navigate(`/ui/incidents${qs(out)}`));
  const results = h('div', { class: 'results', 'aria-live': 'polite' }, loading());
  replace(root, heading, form, results);

  let page;
  try {
    page = await get(`/incidents${qs({ ...params, ...(sort !== 'newest' ? { sort } : {}), limit: PAGE, cursor })}`);
  } catch (e) {
    replace(results, h('p', { class: 'error', role: 'alert', text: e.message }));
    return null;
  }
  if (!ctx.isCurrent()) return null;
  const items = page.items.slice();

  const key = qs({ ...params, sort });
  const seen = trail.get(key) || [''];
  const at = seen.indexOf(cursor);
  if (at < 0) seen.push(cursor);
  trail.set(key, seen);
  const pos = seen.indexOf(cursor);
  const extra = sort !== 'newest' ? { sort } : {};
  const nav = h('nav', { class: 'pager', 'aria-label': t('ui.pager.label') },
    pos > 0 ? link(`/ui/incidents${qs({ ...params, ...extra, cursor: seen[pos - 1] })}`,
      t('ui.pager.prev')) : null,
    cursor ? link(`/ui/incidents${qs({ ...params, ...extra })}`, t('ui.pager.first')) : null,
    page.next_cursor ? h('a', {
      href: `/ui/incidents${qs({ ...params, ...extra, cursor: page.next_cursor })}`,
      'data-link': '', rel: 'next', id: 'next-page', text: t('ui.pager.next'),
    }) : null,
    h('a', {
      href: `/api/v1/incidents${qs({ ...params, ...(sort !== 'newest' ? { sort } : {}), limit: 500, format: 'csv' })}`,
      download: 'incidents.csv', class: 'csv', id: 'csv-export', text: t('ui.incidents.csv'),
    }));

  if (items.length === 0) {
    replace(results, h('p', { class: 'muted', id: 'no-results', text: t('ui.incidents.none') }), nav);
    return { keys: {} };
  }
  const table = h('table', { class: 'list', id: 'incident-table' },
    h('caption', { class: 'sr-only', text: t('ui.incidents.title') }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('ui.col.ref') }),
      h('th', { scope: 'col', text: t('ui.col.title') }),
      h('th', { scope: 'col', text: t('ui.col.status') }),
      h('th', { scope: 'col', text: t('ui.col.tlp') }),
      h('th', { scope: 'col', text: t('ui.col.priority') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.rsit') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.owner') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.orgs') }),
      h('th', { scope: 'col', text: t('ui.col.sla') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.updated') }))),
    h('tbody', {}, items.map((x) => h('tr', { dataset: { ref: x.ref } },
      h('td', {}, h('a', {
        href: `/ui/incidents/${encodeURIComponent(x.ref)}`, 'data-link': '', class: 'row-link',
      }, h('code', { class: 'ref', text: x.ref }))),
      h('td', { class: 'title-cell', text: x.title }),
      h('td', {}, statusLabel(x.status)),
      h('td', {}, tlpLabel(x.tlp)),
      h('td', {}, priorityLabel(x.priority)),
      h('td', { class: 'wide-only', title: x.rsit_class ? t(classKey(x.rsit_class) || x.rsit_class) : '' },
        x.rsit_type ? typeName(x.rsit_type) : '—'),
      h('td', { class: 'wide-only', text: x.owner || '—' }),
      h('td', { class: 'wide-only', text: x.orgs.join(', ') || '—' }),
      h('td', {}, slaCell(x)),
      h('td', { class: 'wide-only' }, date(x.updated_at))))));
  replace(results,
    h('p', { class: 'muted count-line', text: t('ui.incidents.shown', { n: items.length }) }),
    h('div', { class: 'table-wrap' }, table), nav);
  return { keys: rowKeys(table) };
}

// ---- a new incident ----

export async function newIncidentView(root, ctx) {
  ctx.setTitle(t('ui.new.title'));
  if (!ctx.can('write')) {
    replace(root, h('p', { class: 'error', text: t('ui.forbidden') }));
    return null;
  }
  replace(root, h('h1', { text: t('ui.new.title') }), loading());
  let orgs = [];
  try {
    orgs = await orgList();
  } catch (e) {
    orgs = [];
  }
  const title = h('input', { name: 'title', required: true, maxlength: 300, autocomplete: 'off' });
  const orgSel = h('select', { name: 'orgs', multiple: true, size: Math.min(6, Math.max(3, orgs.length)) },
    orgs.map((o) => h('option', { value: o.short_name, text: `${o.short_name} — ${o.name}` })));
  const err = h('p', { class: 'error', role: 'alert', hidden: true });
  const form = h('form', { class: 'stack form-grid', id: 'new-incident-form' },
    field(t('ui.field.title'), title),
    field(t('ui.field.rsit_type'), select('rsit_type', rsitTypeOptions(t('ui.field.unclassified')), '')),
    field(t('ui.field.tlp'), select('tlp', [['', t('ui.field.default')], ...TLPS.map((x) => [x, `TLP:${x}`])], '')),
    field(t('ui.field.pap'), select('pap', [['', t('ui.field.default')], ...PAPS.map((x) => [x, `PAP:${x}`])], '')),
    field(t('ui.field.impact'), select('impact', [['', t('ui.field.default')], ...LEVELS.map((l) => [l, tr(LEVEL_KEYS, l)])], '')),
    field(t('ui.field.urgency'), select('urgency', [['', t('ui.field.default')], ...LEVELS.map((l) => [l, tr(LEVEL_KEYS, l)])], '')),
    field(t('ui.field.orgs'), orgSel, t('ui.field.orgs_hint')),
    field(t('ui.field.tags'), h('input', { name: 'tags', autocomplete: 'off' }), t('ui.field.tags_hint')),
    field(t('ui.field.summary'), h('textarea', { name: 'summary', rows: 6 }), t('ui.field.summary_hint')),
    h('div', { class: 'field' }, h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: 'assign_me', checked: true }),
      t('ui.field.assign_me'))),
    err,
    h('div', { class: 'row' },
      h('button', { type: 'submit', class: 'primary', text: t('ui.new.submit') }),
      link('/ui/incidents', t('ui.cancel'))));
  submitOnCtrlEnter(form);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearProblem(form, err);
    const fd = new FormData(form);
    const body = { title: String(fd.get('title')).trim() };
    for (const k of ['rsit_type', 'tlp', 'pap', 'impact', 'urgency', 'summary']) {
      const v = String(fd.get(k) || '').trim();
      if (v) body[k] = v;
    }
    const chosen = [...orgSel.selectedOptions].map((o) => o.value);
    if (chosen.length) body.orgs = chosen;
    const tags = splitList(fd.get('tags'));
    if (tags.length) body.tags = tags;
    if (fd.get('assign_me')) body.owner = ctx.user.login;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const x = await post('/incidents', body);
      toast(t('ui.new.created', { ref: x.ref }));
      ctx.navigate(`/ui/incidents/${encodeURIComponent(x.ref)}`);
    } catch (e) {
      showProblem(form, e, err);
    } finally {
      button.disabled = false;
    }
  });
  replace(root, h('h1', { text: t('ui.new.title') }), form);
  title.focus();
  return null;
}
