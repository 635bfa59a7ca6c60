// search.js - full-text search over what the caller may read: incidents,
// reports, journal entries and observables (GET /api/v1/search), best
// match first, with the matching words marked.

import { get, qs } from '../api.js';
import { t } from '../i18n.js';
import { errorBox, h, link, loading, replace, rowKeys, snippet } from '../dom.js';

const KIND_KEYS = {
  incident: 'ui.search.kind_incident', report: 'ui.search.kind_report',
  entry: 'ui.search.kind_entry', observable: 'ui.search.kind_observable',
};

export async function searchView(root, ctx) {
  const q = (ctx.query.get('q') || '').trim();
  const cursor = ctx.query.get('cursor') || '';
  ctx.setTitle(t('ui.search.title'));
  const box = document.getElementById('global-search');
  if (box && box.value !== q) box.value = q;
  const results = h('div', { class: 'results' });
  replace(root, h('h1', { text: q ? t('ui.search.results', { q }) : t('ui.search.title') }), results);
  if (!q) {
    replace(results, h('p', { class: 'muted', text: t('ui.search.empty') }));
    return null;
  }
  replace(results, loading());
  let page;
  try {
    page = await get(`/search${qs({ q, limit: 50, cursor })}`);
  } catch (e) {
    replace(results, errorBox(e));
    return null;
  }
  if (!ctx.isCurrent()) return null;
  if (!page.items.length) {
    replace(results, h('p', { class: 'muted', text: t('ui.search.none') }));
    return null;
  }
  const table = h('table', { class: 'list', id: 'search-results' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('ui.col.kind') }),
      h('th', { scope: 'col', text: t('ui.col.title') }),
      h('th', { scope: 'col', text: t('ui.col.match') }))),
    h('tbody', {}, page.items.map((hit) => {
      let href = null;
      if (hit.incident) href = `/ui/incidents/${encodeURIComponent(hit.incident)}`;
      else if (hit.report && ctx.can('team')) href = `/ui/reports/${hit.report}`;
      const label = hit.title || hit.incident || (hit.report ? `#${hit.report}` : '—');
      return h('tr', {},
        h('td', { text: KIND_KEYS[hit.kind] ? t(KIND_KEYS[hit.kind]) : hit.kind }),
        h('td', { class: 'title-cell' },
          href ? h('a', { href, 'data-link': '', class: 'row-link' },
            hit.incident && !label.startsWith(hit.incident)
              ? [h('code', { class: 'ref', text: hit.incident }), ' '] : null, label)
            : label),
        h('td', {}, snippet(hit.snippet)));
    })));
  replace(results, h('div', { class: 'table-wrap' }, table),
    page.next_cursor ? h('nav', { class: 'pager', 'aria-label': t('ui.pager.label') },
      link(`/ui/search${qs({ q, cursor: page.next_cursor })}`, t('ui.pager.next'))) : null);
  return { keys: rowKeys(table) };
}
