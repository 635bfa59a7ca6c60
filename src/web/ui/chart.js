// chart.js - a horizontal bar chart drawn as SVG elements (no library, no
// inline style: colours come from classes in app.css). The numbers are
// also in a table for screen readers.

import { h } from './dom.js';

// rows: [{label, value, href?}], title: the accessible name.
export function barChart(rows, { title, valueLabel, emptyText }) {
  if (rows.length === 0) return h('p', { class: 'muted', text: emptyText });
  const max = Math.max(1, ...rows.map((r) => r.value));
  const barH = 22;
  const gap = 8;
  const labelW = 260;
  const plotW = 420;
  const width = labelW + plotW + 60;
  const height = rows.length * (barH + gap) + gap;
  const svg = h('svg:svg', {
    class: 'chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': title,
    preserveAspectRatio: 'xMinYMin meet',
  }, h('svg:title', { text: title }));
  // vertical grid lines at quarters
  for (let i = 0; i <= 4; i++) {
    const x = labelW + (plotW * i) / 4;
    svg.append(h('svg:line', {
      class: 'chart-grid', x1: x, x2: x, y1: 0, y2: height,
    }));
  }
  rows.forEach((r, i) => {
    const y = gap + i * (barH + gap);
    const w = Math.max(r.value > 0 ? 2 : 0, (plotW * r.value) / max);
    const g = h('svg:g', { class: 'chart-row' });
    g.append(
      h('svg:text', {
        class: 'chart-label', x: labelW - 8, y: y + barH / 2, 'text-anchor': 'end',
        'dominant-baseline': 'central', text: r.label,
      }),
      h('svg:rect', {
        class: `chart-bar chart-bar-${i % 6}`, x: labelW, y, width: w, height: barH, rx: 3,
      }),
      h('svg:text', {
        class: 'chart-value', x: labelW + w + 6, y: y + barH / 2,
        'dominant-baseline': 'central', text: String(r.value),
      }),
    );
    if (r.href) {
      const a = h('svg:a', { href: r.href, 'data-link': '' });
      a.append(g);
      svg.append(a);
    } else {
      svg.append(g);
    }
  });
  const table = h('div', { class: 'sr-only' }, h('table', {},
    h('caption', { text: title }),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('th', { scope: 'row', text: r.label }),
      h('td', { text: `${r.value} ${valueLabel}` }))))));
  return h('figure', { class: 'chart-box' }, svg, table);
}
