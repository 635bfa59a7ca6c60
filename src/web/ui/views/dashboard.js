// dashboard.js - what needs the analyst now: their open incidents, the
// unassigned ones, new reports to triage, SLA deadlines breached and due
// soon, and the last 30 days by RSIT class. Counts come from the lists
// themselves (the API has no count endpoint): a page of 500 at a time.

import { getAll, qs } from '../api.js';
import { t, fmtNumber } from '../i18n.js';
import {
  ACTIVE, h, incidentLink, link, loading, priorityLabel, replace, section, slaCell,
  statusLabel, time, tlpLabel, tr, SOURCE_KEYS,
} from '../dom.js';
import { barChart } from '../chart.js';
import { RSIT_CLASSES } from '../rsit.js';

const MAX_PAGES = 4;

// Incidents of every active status matching params, newest first.
async function active(params) {
  const lists = await Promise.all(ACTIVE.map((status) =>
    getAll(`/incidents${qs({ ...params, status })}`, { maxPages: MAX_PAGES })));
  const items = lists.flatMap((l) => l.items);
  items.sort((a, b) => (a.ref < b.ref ? 1 : -1));
  return { items, more: lists.some((l) => l.more) };
}

function count(list) {
  return list.more ? `${fmtNumber(list.items.length)}+` : fmtNumber(list.items.length);
}

function card(id, label, list, href) {
  return h('li', { class: ['card', `card-${id}`], dataset: { card: id } },
    link(href,
      h('span', { class: 'count', dataset: { count: String(list.items.length) }, text: count(list) }),
      h('span', { class: 'card-label', text: label })));
}

function incidentTable(items, caption, emptyText) {
  if (items.length === 0) return h('p', { class: 'muted', text: emptyText });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('caption', { class: 'sr-only', text: caption }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('ui.col.ref') }),
      h('th', { scope: 'col', text: t('ui.col.title') }),
      h('th', { scope: 'col' }, h('abbr', { title: t('ui.col.priority'), text: 'P' })),
      h('th', { scope: 'col', text: t('ui.col.sla') }))),
    h('tbody', {}, items.slice(0, 10).map((x) => h('tr', {},
      h('td', {}, incidentLink(x.ref)),
      h('td', { class: 'title-cell' }, tlpLabel(x.tlp), x.title, ' ', statusLabel(x.status)),
      h('td', {}, priorityLabel(x.priority)),
      h('td', {}, slaCell(x)))))));
}

function more(list, href) {
  if (list.items.length <= 10) return null;
  return h('p', {}, link(href, t('ui.dashboard.all', { n: count(list) })));
}

export async function dashboardView(root, ctx) {
  ctx.setTitle(t('ui.nav.dashboard'));
  const me = ctx.user.login;
  const team = ctx.can('team');
  replace(root, h('h1', { text: t('ui.dashboard.title') }), loading());

  const since = Date.now() - 30 * 86400e3;
  const jobs = {
    mine: team ? active({ owner: me }) : active({}),
    unassigned: team ? active({ owner: 'none' }) : null,
    reports: team ? getAll('/reports?status=new', { maxPages: MAX_PAGES }) : null,
    breached: getAll('/incidents?sla=breached', { maxPages: MAX_PAGES }),
    soon: getAll('/incidents?due_within=24h', { maxPages: MAX_PAGES }),
    recent: getAll('/incidents', {
      maxPages: 10, stop: (x) => new Date(x.created_at).getTime() < since,
    }),
  };
  const keys = Object.keys(jobs);
  const done = await Promise.all(keys.map((k) => jobs[k]));
  const r = {};
  keys.forEach((k, i) => { r[k] = done[i]; });
  if (!ctx.isCurrent()) return null;
  // due soon: within 24 h and not already breached
  r.soon = { items: r.soon.items.filter((x) => !x.sla.breached), more: r.soon.more };

  const cards = h('ul', { class: 'cards', 'aria-label': t('ui.dashboard.counts') });
  if (team) {
    cards.append(
      card('mine', t('ui.dashboard.mine'), r.mine, `/ui/incidents${qs({ owner: me })}`),
      card('unassigned', t('ui.dashboard.unassigned'), r.unassigned,
        `/ui/incidents${qs({ owner: 'none' })}`),
      card('reports', t('ui.dashboard.reports'), r.reports, '/ui/reports'));
  } else {
    cards.append(card('mine', t('ui.dashboard.org_open'), r.mine, '/ui/incidents'));
  }
  cards.append(
    card('breached', t('ui.dashboard.breached'), r.breached, '/ui/incidents?sla=breached'),
    card('soon', t('ui.dashboard.soon'), r.soon, '/ui/incidents?due_within=24h'));

  // the last 30 days by RSIT class
  const byClass = new Map();
  for (const x of r.recent.items) {
    const c = x.rsit_class || '';
    byClass.set(c, (byClass.get(c) || 0) + 1);
  }
  const rows = RSIT_CLASSES.filter(([id]) => byClass.has(id)).map(([id, key]) => ({
    label: t(key), value: byClass.get(id), href: `/ui/incidents${qs({ rsit_class: id })}`,
  }));
  if (byClass.has('')) rows.push({ label: t('ui.rsit.none'), value: byClass.get('') });
  rows.sort((a, b) => b.value - a.value);
  const chart = section(t('ui.dashboard.chart', { n: fmtNumber(r.recent.items.length) }),
    barChart(rows, {
      title: t('ui.dashboard.chart_title'),
      valueLabel: t('ui.dashboard.incidents_unit'),
      emptyText: t('ui.dashboard.chart_empty'),
    }));
  chart.id = 'rsit-chart';

  const panels = h('div', { class: 'dash-grid' });
  panels.append(section(team ? t('ui.dashboard.mine') : t('ui.dashboard.org_open'),
    incidentTable(r.mine.items, t('ui.dashboard.mine'), t('ui.dashboard.none_mine')),
    more(r.mine, `/ui/incidents${qs({ owner: team ? me : '' })}`)));
  if (team) {
    panels.append(section(t('ui.dashboard.reports'), reportTable(r.reports.items),
      more(r.reports, '/ui/reports')));
  }
  panels.append(
    section(t('ui.dashboard.breached'),
      incidentTable(r.breached.items, t('ui.dashboard.breached'), t('ui.dashboard.none_breached')),
      more(r.breached, '/ui/incidents?sla=breached')),
    section(t('ui.dashboard.soon'),
      incidentTable(r.soon.items, t('ui.dashboard.soon'), t('ui.dashboard.none_soon')),
      more(r.soon, '/ui/incidents?due_within=24h')));
  if (team) {
    panels.append(section(t('ui.dashboard.unassigned'),
      incidentTable(r.unassigned.items, t('ui.dashboard.unassigned'), t('ui.dashboard.none_unassigned')),
      more(r.unassigned, `/ui/incidents${qs({ owner: 'none' })}`)));
  }
  panels.append(chart);
  replace(root, h('h1', { text: t('ui.dashboard.title') }), cards, panels);
  return null;
}

function reportTable(items) {
  if (items.length === 0) return h('p', { class: 'muted', text: t('ui.reports.none_new') });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('ui.col.received') }),
      h('th', { scope: 'col', text: t('ui.col.subject') }),
      h('th', { scope: 'col', text: t('ui.col.source') }),
      h('th', { scope: 'col', text: t('ui.col.tlp') }))),
    h('tbody', {}, items.slice(0, 10).map((rep) => h('tr', {},
      h('td', {}, time(rep.received_at)),
      h('td', { class: 'title-cell' }, link(`/ui/reports/${rep.id}`, rep.subject || t('ui.reports.no_subject'))),
      h('td', { text: tr(SOURCE_KEYS, rep.source) }),
      h('td', {}, tlpLabel(rep.tlp)))))));
}
