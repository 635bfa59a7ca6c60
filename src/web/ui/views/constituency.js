// constituency.js - whom the team serves: the organisations, one
// organisation with its contacts and network assets, and the lookup box
// (an IP address, AS number or domain -> the organisation that owns it,
// with its contacts).

import { del, get, getAll, post, qs } from '../api.js';
import { t } from '../i18n.js';
import {
  errorBox, field, h, link, loading, replace, rowKeys, section, select, showProblem, time,
  toast, tr,
} from '../dom.js';

const ROLE_KEYS = {
  security: 'ui.contact.security', abuse: 'ui.contact.abuse', management: 'ui.contact.management',
};

// What the lookup box was given: {ip|asn|domain: value}.
export function lookupParams(s) {
  const v = s.trim();
  if (/^(AS)?\d{1,10}$/i.test(v)) return { asn: v.toUpperCase().startsWith('AS') ? v.toUpperCase() : `AS${v}` };
  if (/^[\d.]+$/.test(v) || v.includes(':')) return { ip: v };
  return { domain: v.replace(/\[\.\]/g, '.').toLowerCase() };
}

function lookupBox() {
  const input = h('input', {
    name: 'q', id: 'lookup-input', autocomplete: 'off', spellcheck: 'false', required: true,
    placeholder: '198.51.100.37, AS64500, example.org', 'data-search': '',
  });
  const out = h('div', { id: 'lookup-result', 'aria-live': 'polite' });
  const f = h('form', { class: 'row inline-form', id: 'lookup-form', role: 'search' },
    field(t('ui.lookup.label'), input, t('ui.lookup.hint')),
    h('button', { type: 'submit', class: 'primary', text: t('ui.lookup.submit') }));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    replace(out, loading());
    try {
      const r = await get(`/lookup${qs(lookupParams(input.value))}`);
      replace(out, lookupResult(r));
    } catch (e) {
      replace(out, errorBox(e));
    }
  });
  return section(t('ui.lookup.title'), f, out);
}

function lookupResult(r) {
  if (!r.orgs.length) return h('p', { class: 'muted', text: t('ui.lookup.none', { q: r.query }) });
  return h('div', {},
    h('p', {}, t('ui.lookup.matched', { q: r.query, m: r.matched || '—' })),
    h('ul', { class: 'lookup-orgs' }, r.orgs.map((o) => h('li', {},
      link(`/ui/constituency/orgs/${o.id}`, h('strong', { text: o.name })), ' ',
      h('code', { text: o.short_name }), ' · ',
      link(`/ui/incidents${qs({ org: o.short_name })}`, t('ui.org.incidents')),
      o.contacts.length ? h('ul', { class: 'contacts' }, o.contacts.map((c) => h('li', {},
        h('span', { text: c.name || '' }), ' ',
        h('a', { href: `mailto:${c.email}`, text: c.email }), ' ',
        h('span', { class: 'muted', text: [tr(ROLE_KEYS, c.role), c.language].filter(Boolean).join(' · ') }))))
        : h('p', { class: 'muted', text: t('ui.org.no_contacts') })))));
}

export async function constituencyView(root, ctx) {
  ctx.setTitle(t('ui.nav.constituency'));
  const list = h('div', { id: 'org-list' }, loading());
  replace(root, h('h1', { text: t('ui.constituency.title') }), lookupBox(),
    section(t('ui.constituency.orgs'), list));
  let orgs;
  try {
    orgs = (await getAll('/orgs')).items;
  } catch (e) {
    replace(list, errorBox(e));
    return null;
  }
  if (!ctx.isCurrent()) return null;
  if (!orgs.length) {
    replace(list, h('p', { class: 'muted', text: t('ui.constituency.empty') }));
    return null;
  }
  const table = h('table', { class: 'list', id: 'org-table' },
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('ui.col.name') }),
      h('th', { scope: 'col', text: t('ui.col.short_name') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.sector') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.country') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.languages') }),
      h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.parent') }))),
    h('tbody', {}, orgs.map((o) => h('tr', {},
      h('td', {}, h('a', { href: `/ui/constituency/orgs/${o.id}`, 'data-link': '', class: 'row-link', text: o.name })),
      h('td', {}, h('code', { text: o.short_name })),
      h('td', { class: 'wide-only', text: o.sector || '—' }),
      h('td', { class: 'wide-only', text: o.country || '—' }),
      h('td', { class: 'wide-only', text: o.languages.join(', ') || '—' }),
      h('td', { class: 'wide-only', text: o.parent || '—' })))));
  replace(list, h('div', { class: 'table-wrap' }, table));
  return { keys: rowKeys(table) };
}

export async function orgView(root, ctx) {
  const id = Number(ctx.params[0]);
  const write = ctx.can('write');
  replace(root, loading());
  let org;
  try {
    org = await get(`/orgs/${id}`);
  } catch (e) {
    replace(root, errorBox(e));
    return null;
  }
  if (!ctx.isCurrent()) return null;
  ctx.setTitle(org.name);
  const contacts = h('div', { id: 'contact-list' }, loading());
  const assets = h('div', { id: 'asset-list' }, loading());

  async function loadContacts() {
    try {
      const items = (await getAll(`/orgs/${id}/contacts`)).items;
      replace(contacts, items.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col', text: t('ui.col.name') }),
          h('th', { scope: 'col', text: t('ui.col.email') }),
          h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.phone') }),
          h('th', { scope: 'col', text: t('ui.col.role') }),
          h('th', { scope: 'col', class: 'wide-only', text: t('ui.col.language') }),
          h('th', { scope: 'col', class: 'wide-only', text: 'OpenPGP' }),
          write ? h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: t('ui.col.actions') })) : null)),
        h('tbody', {}, items.map((c) => h('tr', {},
          h('td', { text: c.name || '—' }),
          h('td', {}, h('a', { href: `mailto:${c.email}`, text: c.email })),
          h('td', { class: 'wide-only', text: c.phone || '—' }),
          h('td', { text: tr(ROLE_KEYS, c.role) }),
          h('td', { class: 'wide-only', text: c.language || '—' }),
          h('td', { class: 'wide-only' }, c.pgp_fingerprint ? h('code', { class: 'small', text: c.pgp_fingerprint }) : '—'),
          write ? h('td', {}, h('button', {
            type: 'button', class: 'link danger', text: t('ui.remove'),
            'aria-label': t('ui.contact.remove', { email: c.email }),
            onclick: async () => {
              if (!window.confirm(t('ui.contact.confirm_remove', { email: c.email }))) return;
              try {
                await del(`/orgs/${id}/contacts/${c.id}`);
                await loadContacts();
              } catch (e) {
                toast(e.message, 'error');
              }
            },
          })) : null)))))
        : h('p', { class: 'muted', text: t('ui.org.no_contacts') }));
    } catch (e) {
      replace(contacts, errorBox(e));
    }
  }

  async function loadAssets() {
    try {
      const items = (await getAll(`/orgs/${id}/assets`)).items;
      replace(assets, items.length ? h('ul', { class: 'assets' }, items.map((a) => h('li', {},
        h('span', { class: 'ioc-type', text: a.kind }), ' ', h('code', { text: a.value }),
        write ? h('button', {
          type: 'button', class: 'link danger', text: '×', 'aria-label': t('ui.asset.remove', { value: a.value }),
          onclick: async () => {
            try {
              await del(`/orgs/${id}/assets/${a.id}`);
              await loadAssets();
            } catch (e) {
              toast(e.message, 'error');
            }
          },
        }) : null)))
        : h('p', { class: 'muted', text: t('ui.org.no_assets') }));
    } catch (e) {
      replace(assets, errorBox(e));
    }
  }

  const contactSec = section(t('ui.org.contacts'), contacts);
  const assetSec = section(t('ui.org.assets'), assets);
  if (write) {
    const cf = h('form', { class: 'row inline-form', id: 'contact-form' },
      field(t('ui.col.name'), h('input', { name: 'name', autocomplete: 'off' })),
      field(t('ui.col.email'), h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' })),
      field(t('ui.col.role'), select('role', Object.keys(ROLE_KEYS).map((r) => [r, tr(ROLE_KEYS, r)]), 'security')),
      field(t('ui.col.language'), h('input', { name: 'language', maxlength: 2, size: 3, autocomplete: 'off' })),
      h('button', { type: 'submit', text: t('ui.add') }));
    cf.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(cf);
      const b = { email: String(fd.get('email')).trim(), role: fd.get('role') };
      for (const k of ['name', 'language']) if (String(fd.get(k)).trim()) b[k] = String(fd.get(k)).trim();
      try {
        await post(`/orgs/${id}/contacts`, b);
        cf.reset();
        await loadContacts();
      } catch (e) {
        showProblem(cf, e);
      }
    });
    contactSec.append(cf);
    const af = h('form', { class: 'row inline-form', id: 'asset-form' },
      field(t('ui.asset.kind'), select('kind', [['cidr', 'CIDR'], ['asn', 'ASN'], ['domain', t('ui.asset.domain')]], 'cidr')),
      field(t('ui.asset.value'), h('input', { name: 'value', required: true, autocomplete: 'off', spellcheck: 'false' })),
      h('button', { type: 'submit', text: t('ui.add') }));
    af.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(af);
      try {
        await post(`/orgs/${id}/assets`, { kind: fd.get('kind'), value: String(fd.get('value')).trim() });
        af.reset();
        await loadAssets();
      } catch (e) {
        showProblem(af, e);
      }
    });
    assetSec.append(af);
  }

  const facts = h('dl', { class: 'facts' },
    h('dt', { text: t('ui.col.short_name') }), h('dd', {}, h('code', { text: org.short_name })),
    h('dt', { text: t('ui.col.sector') }), h('dd', { text: org.sector || '—' }),
    h('dt', { text: t('ui.col.country') }), h('dd', { text: org.country || '—' }),
    h('dt', { text: t('ui.col.languages') }), h('dd', { text: org.languages.join(', ') || '—' }),
    h('dt', { text: t('ui.col.parent') }), h('dd', { text: org.parent || '—' }),
    h('dt', { text: t('ui.org.updated') }), h('dd', {}, time(org.updated_at)));
  replace(root,
    h('p', { class: 'ref' }, link('/ui/constituency', t('ui.nav.constituency'))),
    h('h1', { text: org.name }),
    h('div', { class: 'incident-grid' },
      h('div', { class: 'main-col' },
        section(t('ui.org.about'), facts, org.notes ? h('p', { class: 'pre', text: org.notes }) : null,
          h('p', {}, link(`/ui/incidents${qs({ org: org.short_name })}`, t('ui.org.incidents')))),
        contactSec),
      h('aside', { class: 'side-col' }, assetSec)));
  await Promise.all([loadContacts(), loadAssets()]);
  return null;
}
