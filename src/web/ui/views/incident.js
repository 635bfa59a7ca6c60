// incident.js - one incident: header (reference, status, TLP, PAP,
// priority, SLA clocks), summary, classification, journal, correspondence
// (the e-mail threads and their messages), observables with their
// correlations, tasks, links, members and history.
//
// Edits are PATCHes with If-Match: the ETag of the version the form was
// opened on. A 412 means someone else changed the incident meanwhile: the
// page then shows their version, says which fields they changed, and keeps
// what the user typed in the form; saving again applies the user's own
// changes on top of the new version.

import { api, del, get, getAll, patch, post } from '../api.js';
import { t } from '../i18n.js';
import {
  ACTIVE, LEVEL_KEYS, LEVELS, PAPS, RESOLUTION_KEYS, STATUS_KEYS, TLPS, clearProblem,
  errorBox, field, h, incidentLink, link, loading, papLabel, priorityLabel, replace,
  safeHtml, section, select, showProblem, slaClock, splitList, statusLabel,
  submitOnCtrlEnter, time, tlpLabel, toast, tr,
} from '../dom.js';
import { RSIT_CLASSES, RSIT_TYPES, classKey, typeName } from '../rsit.js';
import { orgList } from './incidents.js';
import {
  directionLabel, mailBadges, mailError, mailFiles, mailStateLabel,
} from './mail.js';

// The lifecycle (src/core/incident.c): where each status may go.
const NEXT = {
  new: ['open', 'resolved'],
  open: ['stalled', 'resolved'],
  stalled: ['open', 'resolved'],
  resolved: ['closed', 'open'],
  closed: ['open'],
};
const MOVE_KEYS = {
  open: 'ui.move.open', stalled: 'ui.move.stalled', resolved: 'ui.move.resolved',
  closed: 'ui.move.closed',
};
const ENTRY_KIND_KEYS = {
  note: 'ui.entry.note', status: 'ui.entry.status', correspondence: 'ui.entry.correspondence',
};
const TASK_STATE_KEYS = {
  open: 'ui.task.open', done: 'ui.task.done', cancelled: 'ui.task.cancelled',
};
const LINK_KIND_KEYS = {
  related: 'ui.link.related', 'parent-of': 'ui.link.parent_of', 'child-of': 'ui.link.child_of',
  'duplicate-of': 'ui.link.duplicate_of', 'duplicated-by': 'ui.link.duplicated_by',
};
const FIELD_KEYS = {
  title: 'ui.field.title', summary: 'ui.field.summary', status: 'ui.field.status',
  resolution: 'ui.field.resolution', rsit_type: 'ui.field.rsit_type', tlp: 'ui.field.tlp',
  pap: 'ui.field.pap', impact: 'ui.field.impact', urgency: 'ui.field.urgency',
  owner: 'ui.field.owner', orgs: 'ui.field.orgs', tags: 'ui.field.tags',
  members: 'ui.field.members',
};
const OBS_TYPES = ['ipv4', 'ipv6', 'cidr', 'domain', 'url', 'email', 'md5', 'sha1', 'sha256',
  'asn', 'cve', 'filename', 'user-agent'];
const THREAD_KIND_KEYS = {
  reporter: 'ui.thread.kind.reporter', constituent: 'ui.thread.kind.constituent',
  third_party: 'ui.thread.kind.third_party',
};
const TEMPLATE_KEYS = {
  reply: 'ui.thread.template.reply', notify: 'ui.thread.template.notify',
  request: 'ui.thread.template.request', resolution: 'ui.thread.template.resolution',
};
const MAIL_LANGS = ['en', 'es', 'ca', 'eu', 'fr'];
// The fields of the edit form, as the API names them.
const EDITABLE = ['title', 'summary', 'status', 'resolution', 'rsit_type', 'tlp', 'pap',
  'impact', 'urgency', 'owner', 'orgs', 'tags'];

// A field's value in comparable form.
function norm(k, v) {
  if (k === 'orgs' || k === 'tags' || k === 'members') return [...(v || [])].sort().join('\n');
  if (v === null || v === undefined) return '';
  return String(v);
}

// A part of the edit form that spans all its columns.
function wide(el) {
  el.classList.add('wide');
  return el;
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

// Who may own or follow an incident, for the pickers (handlers only; the
// list is fetched once per page load).
let directory = null;
function userDirectory() {
  if (!directory) directory = get('/directory').then((r) => r.items).catch(() => {
    directory = null;
    return [];
  });
  return directory;
}

function fillUsers(list, keep) {
  userDirectory().then((users) => {
    replace(list, users.filter(keep).map((u) => h('option', {
      value: u.login,
      text: u.org ? `${u.name || u.login} (${u.org})` : (u.name || u.login),
    })));
  });
}

export async function incidentView(root, ctx) {
  const ref = ctx.params[0];
  const write = ctx.can('write');
  const team = ctx.can('team');
  const base = `/incidents/${encodeURIComponent(ref)}`;
  ctx.setTitle(ref);
  replace(root, loading());

  let inc;
  let etag;
  try {
    ({ data: inc, etag } = await api('GET', base));
  } catch (e) {
    replace(root, h('h1', { text: ref }),
      errorBox(e.status === 404 ? { message: t('ui.incident.not_found') } : e));
    return null;
  }
  if (!ctx.isCurrent()) return null;
  ctx.setTitle(`${inc.ref} ${inc.title}`);

  // ---- the parts of the page ----
  const head = h('header', { class: 'incident-head', id: 'incident-head' });
  const conflict = h('div', { class: 'conflict', id: 'conflict', role: 'alert', hidden: true });
  const editBox = h('div', { id: 'edit-box' });
  const summary = section(t('ui.incident.summary'));
  summary.id = 'summary';
  const classification = section(t('ui.incident.classification'));
  const journal = section(t('ui.incident.journal'));
  journal.id = 'journal';
  const correspondence = team ? section(t('ui.incident.correspondence')) : null;
  if (correspondence) correspondence.id = 'correspondence';
  const observables = section(t('ui.incident.observables'));
  observables.id = 'observables';
  const tasks = team ? section(t('ui.incident.tasks')) : null;
  if (tasks) tasks.id = 'tasks';
  const links = section(t('ui.incident.links'));
  links.id = 'links';
  const members = section(t('ui.incident.members'));
  members.id = 'members';
  const history = section(t('ui.incident.history'));
  history.id = 'history';
  const body = (sec) => {
    // a section's content after its heading
    while (sec.childNodes.length > 1) sec.removeChild(sec.lastChild);
    return sec;
  };

  let entries = [];
  let editing = null; // {form, base: the incident it was opened on}

  function setIncident(x, tag) {
    inc = x;
    if (tag) etag = tag;
    renderHead();
    renderSummary();
    renderClassification();
    renderMembers();
    renderHistory();
  }

  // ---- header ----
  function renderHead() {
    const active = ACTIVE.includes(inc.status);
    const actions = h('div', { class: 'actions' });
    if (write) {
      actions.append(h('button', {
        type: 'button', id: 'edit-button', 'aria-keyshortcuts': 'e',
        text: t('ui.incident.edit'), onclick: () => openEdit(),
      }));
      for (const to of NEXT[inc.status] || []) {
        actions.append(h('button', {
          type: 'button', class: 'secondary', dataset: { move: to },
          text: t(MOVE_KEYS[to]),
          onclick: () => (to === 'resolved' || to === 'closed' ? openEdit({ status: to }) : move(to)),
        }));
      }
    }
    replace(head,
      h('p', { class: 'ref' }, h('code', { id: 'incident-ref', text: inc.ref }),
        h('span', { class: 'muted', text: ` · ${t('ui.incident.opened', { who: inc.created_by })} ` }),
        time(inc.created_at)),
      h('h1', { id: 'incident-title', text: inc.title }),
      h('div', { class: 'badges' },
        statusLabel(inc.status),
        inc.resolution ? h('span', { class: 'muted', text: tr(RESOLUTION_KEYS, inc.resolution) }) : null,
        tlpLabel(inc.tlp), papLabel(inc.pap), priorityLabel(inc.priority),
        h('span', { class: 'muted', text: t('ui.incident.impact_urgency', {
          impact: tr(LEVEL_KEYS, inc.impact), urgency: tr(LEVEL_KEYS, inc.urgency),
        }) }),
        h('span', { class: 'owner', text: inc.owner ? t('ui.incident.owner', { who: inc.owner })
          : t('ui.incident.no_owner') })),
      h('div', { class: 'sla-clocks', id: 'sla' },
        slaClock(t('ui.sla.response'), inc.sla.response_due, inc.sla.first_response_at, active),
        slaClock(t('ui.sla.resolve'), inc.sla.resolve_due, inc.sla.resolved_at, active)),
      actions);
  }

  function renderSummary() {
    body(summary);
    if (inc.summary_html) summary.append(safeHtml(inc.summary_html));
    else if (inc.summary) summary.append(h('p', { class: 'pre', text: inc.summary }));
    else summary.append(h('p', { class: 'muted', text: t('ui.incident.no_summary') }));
  }

  function renderClassification() {
    body(classification);
    const dl = h('dl', { class: 'facts' });
    const row = (k, ...v) => dl.append(h('dt', { text: k }), h('dd', {}, ...v));
    row(t('ui.field.rsit_class'), inc.rsit_class ? t(classKey(inc.rsit_class) || inc.rsit_class) : '—');
    row(t('ui.field.rsit_type'), inc.rsit_type ? typeName(inc.rsit_type) : '—');
    row(t('ui.field.impact'), tr(LEVEL_KEYS, inc.impact));
    row(t('ui.field.urgency'), tr(LEVEL_KEYS, inc.urgency));
    row(t('ui.field.priority'), priorityLabel(inc.priority));
    row(t('ui.field.orgs'), inc.orgs.length ? inc.orgs.map((o, i) => [i ? ', ' : '',
      link(`/ui/incidents?org=${encodeURIComponent(o)}`, o)]) : '—');
    row(t('ui.field.tags'), inc.tags.length ? h('ul', { class: 'tags' }, inc.tags.map((tg) =>
      h('li', {}, link(`/ui/incidents?tag=${encodeURIComponent(tg)}`, tg)))) : '—');
    classification.append(dl);
  }

  // ---- edits ----
  async function move(to) {
    try {
      const r = await patch(base, { status: to }, etag);
      setIncident(r.data, r.etag);
      await loadJournal();
      toast(t('ui.incident.moved', { status: tr(STATUS_KEYS, to) }));
    } catch (e) {
      if (e.status === 412) await reloadAfterConflict();
      else toast(e.message, 'error');
    }
  }

  function openEdit(preset) {
    if (editing) {
      if (preset && preset.status) editing.form.elements.status.value = preset.status;
      editing.form.elements.title.focus();
      return;
    }
    editing = { base: inc, form: null };
    const f = h('form', { class: 'edit-form', id: 'edit-form' });
    const err = h('p', { class: 'error', role: 'alert', hidden: true });
    const statusOpts = [inc.status, ...(NEXT[inc.status] || [])].map((s) => [s, tr(STATUS_KEYS, s)]);
    const resolution = select('resolution', [['', '—'],
      ...Object.keys(RESOLUTION_KEYS).map((r) => [r, tr(RESOLUTION_KEYS, r)])], inc.resolution || '');
    const force = h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'force' }),
      t('ui.incident.force'));
    f.append(
      h('h2', { class: 'wide', text: t('ui.incident.editing', { ref: inc.ref }) }),
      wide(field(t('ui.field.title'), h('input', { name: 'title', value: inc.title, required: true, maxlength: 300 }))),
      field(t('ui.field.status'), select('status', statusOpts, preset && preset.status ? preset.status : inc.status)),
      field(t('ui.field.resolution'), resolution),
      h('div', { class: 'field' }, force),
      field(t('ui.field.rsit_type'), select('rsit_type', rsitOptions(t('ui.field.unclassified')), inc.rsit_type || '')),
      field(t('ui.field.tlp'), select('tlp', TLPS.map((x) => [x, `TLP:${x}`]), inc.tlp)),
      field(t('ui.field.pap'), select('pap', PAPS.map((x) => [x, `PAP:${x}`]), inc.pap)),
      field(t('ui.field.impact'), select('impact', LEVELS.map((l) => [l, tr(LEVEL_KEYS, l)]), inc.impact)),
      field(t('ui.field.urgency'), select('urgency', LEVELS.map((l) => [l, tr(LEVEL_KEYS, l)]), inc.urgency)),
      field(t('ui.field.owner'), h('input', { name: 'owner', value: inc.owner || '', autocomplete: 'off', list: 'user-options' }),
        t('ui.field.owner_hint')),
      h('datalist', { id: 'user-options' }),
      field(t('ui.field.orgs'), h('input', { name: 'orgs', value: inc.orgs.join(', '), autocomplete: 'off', list: 'org-options' }),
        t('ui.field.orgs_hint_text')),
      h('datalist', { id: 'org-options' }),
      field(t('ui.field.tags'), h('input', { name: 'tags', value: inc.tags.join(', '), autocomplete: 'off' }),
        t('ui.field.tags_hint')),
      wide(field(t('ui.field.summary'), h('textarea', { name: 'summary', rows: 8, value: inc.summary }),
        t('ui.field.summary_hint'))),
      wide(err),
      h('div', { class: 'row wide' },
        h('button', { type: 'submit', class: 'primary', id: 'save-button', text: t('ui.save') }),
        h('button', { type: 'button', id: 'cancel-edit', text: t('ui.cancel'), onclick: closeEdit })));
    const syncResolution = () => {
      const s = f.elements.status.value;
      const show = s === 'resolved' || s === 'closed';
      resolution.closest('.field').hidden = !show;
      force.closest('.field').hidden = s !== 'resolved';
    };
    f.elements.status.addEventListener('change', syncResolution);
    syncResolution();
    orgList().then((orgs) => {
      replace(f.querySelector('#org-options'), orgs.map((o) => h('option', { value: o.short_name, text: o.name })));
    }).catch(() => {});
    fillUsers(f.querySelector('#user-options'), (u) => u.role !== 'constituent');
    submitOnCtrlEnter(f);
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      save(err);
    });
    editing.form = f;
    replace(editBox, f);
    if (preset && preset.status) {
      syncResolution();
      resolution.focus();
    } else {
      f.elements.title.focus();
    }
  }

  function closeEdit() {
    editing = null;
    replace(editBox);
    conflict.hidden = true;
    document.getElementById('edit-button')?.focus();
  }

  // What the form says, field by field, as the API takes it.
  function formValues(f) {
    const v = {};
    for (const k of EDITABLE) {
      const el = f.elements[k];
      let val = el.value;
      if (k === 'orgs' || k === 'tags') val = splitList(val);
      else if (k === 'owner') val = val.trim() || null;
      else if (k === 'title') val = val.trim();
      else if (k === 'rsit_type' || k === 'resolution') val = val || null;
      v[k] = val;
    }
    if (v.status !== 'resolved' && v.status !== 'closed') v.resolution = editing.base.resolution;
    return v;
  }

  async function save(err) {
    const f = editing.form;
    clearProblem(f, err);
    const want = formValues(f);
    const changes = {};
    for (const k of EDITABLE) {
      if (norm(k, want[k]) !== norm(k, editing.base[k])) changes[k] = want[k];
    }
    if (changes.rsit_type === null) delete changes.rsit_type; // cannot unset
    if (changes.resolution === null) delete changes.resolution;
    if (f.elements.force.checked && changes.status === 'resolved') changes.force = true;
    if (Object.keys(changes).length === 0) {
      closeEdit();
      return;
    }
    const button = f.querySelector('#save-button');
    button.disabled = true;
    try {
      const r = await patch(base, changes, etag);
      closeEdit();
      setIncident(r.data, r.etag);
      if (changes.status) await loadJournal();
      toast(t('ui.incident.saved'));
    } catch (e) {
      if (e.status === 412) await reloadAfterConflict();
      else showProblem(f, e, err);
    } finally {
      button.disabled = false;
    }
  }

  // The fields the user changed in the edit form.
  function touched() {
    if (!editing) return [];
    const want = formValues(editing.form);
    return EDITABLE.filter((k) => norm(k, want[k]) !== norm(k, editing.base[k]));
  }

  // Someone else changed the incident: show their version, keep the form.
  async function reloadAfterConflict() {
    const mine = touched();
    let fresh;
    let tag;
    try {
      ({ data: fresh, etag: tag } = await api('GET', base));
    } catch (e) {
      toast(e.message, 'error');
      return;
    }
    const old = editing ? editing.base : inc;
    const theirs = [...EDITABLE, 'members'].filter((k) => norm(k, old[k]) !== norm(k, fresh[k]));
    setIncident(fresh, tag);
    if (editing) {
      // fields the user did not touch follow the new version
      const f = editing.form;
      for (const k of EDITABLE) {
        if (mine.includes(k)) continue;
        const el = f.elements[k];
        const nv = fresh[k];
        el.value = Array.isArray(nv) ? nv.join(', ') : (nv ?? '');
      }
      editing.base = fresh;
      f.elements.status.dispatchEvent(new Event('change'));
    }
    replace(conflict,
      h('strong', { text: t('ui.conflict.title') }),
      h('p', { text: editing ? t('ui.conflict.kept') : t('ui.conflict.reloaded') }),
      theirs.length ? h('p', {}, t('ui.conflict.fields'), ' ',
        theirs.map((k, i) => [i ? ', ' : '', h('span', {
          class: mine.includes(k) ? 'both' : '', text: t(FIELD_KEYS[k]),
        })])) : null,
      theirs.some((k) => mine.includes(k)) ? h('p', { text: t('ui.conflict.both') }) : null,
      h('button', { type: 'button', class: 'link', text: t('ui.close'), onclick: () => { conflict.hidden = true; } }));
    conflict.hidden = false;
    conflict.scrollIntoView({ block: 'nearest' });
  }

  // ---- members ----
  function renderMembers() {
    body(members);
    const list = h('ul', { class: 'members' }, inc.members.map((m) => h('li', {},
      h('span', { text: m }),
      m === inc.owner ? h('span', { class: 'muted', text: ` (${t('ui.incident.owner_short')})` }) : null,
      write ? h('button', {
        type: 'button', class: 'link danger', 'aria-label': t('ui.incident.remove_member', { who: m }),
        text: '×', onclick: () => setMembers(inc.members.filter((x) => x !== m)),
      }) : null)));
    members.append(inc.members.length ? list : h('p', { class: 'muted', text: '—' }));
    if (write) {
      const input = h('input', { name: 'member', autocomplete: 'off', required: true, list: 'member-options' });
      const options = h('datalist', { id: 'member-options' });
      fillUsers(options, (u) => !inc.members.includes(u.login));
      const f = h('form', { class: 'row inline-form' },
        field(t('ui.incident.add_member'), input), options,
        h('button', { type: 'submit', text: t('ui.add') }));
      f.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const who = input.value.trim();
        if (who && !inc.members.includes(who)) setMembers([...inc.members, who]);
      });
      members.append(f);
    }
  }

  async function setMembers(list) {
    try {
      const r = await patch(base, { members: list }, etag);
      setIncident(r.data, r.etag);
      if (editing) editing.base = { ...editing.base, members: r.data.members };
    } catch (e) {
      if (e.status === 412) await reloadAfterConflict();
      else toast(e.message, 'error');
    }
  }

  // ---- history: the status changes of the journal ----
  function renderHistory() {
    body(history);
    const items = entries.filter((e) => e.kind === 'status');
    const ol = h('ol', { class: 'history' },
      items.map((e) => h('li', {}, time(e.created_at), ' ',
        h('span', { class: 'who', text: e.author }), ': ',
        h('span', { text: e.body }))),
      h('li', {}, time(inc.updated_at), ' ', h('span', { class: 'muted', text: t('ui.incident.last_change') })));
    history.append(ol);
  }

  // ---- journal ----
  const journalList = h('ol', { class: 'journal', id: 'journal-list' });
  async function loadJournal() {
    try {
      entries = (await getAll(`${base}/entries`)).items;
    } catch (e) {
      replace(journalList, h('li', {}, errorBox(e)));
      return;
    }
    renderHistory();
    const shown = entries.filter((e) => e.kind !== 'status');
    replace(journalList, shown.length ? shown.map(entryItem)
      : h('li', { class: 'muted', text: t('ui.journal.empty') }));
  }

  function entryItem(e) {
    const internal = e.visibility === 'internal';
    return h('li', {
      class: ['entry', internal ? 'entry-internal' : 'entry-shared', `entry-${e.kind}`],
      dataset: { id: String(e.id), visibility: e.visibility },
    },
    h('div', { class: 'entry-meta' },
      h('span', { class: ['vis', internal ? 'vis-internal' : 'vis-shared'],
        text: internal ? t('ui.journal.internal') : t('ui.journal.shared') }),
      h('span', { class: 'kind', text: tr(ENTRY_KIND_KEYS, e.kind) }),
      h('span', { class: 'who', text: e.author }),
      time(e.created_at)),
    h('div', { class: 'entry-body pre', text: e.body }));
  }

  function journalForm() {
    const text = h('textarea', { name: 'body', rows: 4, required: true, id: 'journal-body' });
    const err = h('p', { class: 'error', role: 'alert', hidden: true });
    const f = h('form', { class: 'stack', id: 'journal-form' },
      field(t('ui.journal.new'), text, t('ui.journal.hint')),
      h('div', { class: 'row' },
        field(t('ui.journal.kind'), select('kind', [['note', t('ui.entry.note')],
          ['correspondence', t('ui.entry.correspondence')]], 'note')),
        h('fieldset', { class: 'radios' },
          h('legend', { text: t('ui.journal.visibility') }),
          h('label', { class: 'check' }, h('input', { type: 'radio', name: 'visibility', value: 'internal', checked: true }),
            t('ui.journal.internal')),
          h('label', { class: 'check' }, h('input', { type: 'radio', name: 'visibility', value: 'shared' }),
            t('ui.journal.shared'))),
        h('button', { type: 'submit', class: 'primary', id: 'journal-submit', text: t('ui.journal.add') })),
      err);
    submitOnCtrlEnter(f);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(f, err);
      const fd = new FormData(f);
      const button = f.querySelector('#journal-submit');
      button.disabled = true;
      try {
        await post(`${base}/entries`, {
          body: String(fd.get('body')), kind: fd.get('kind'), visibility: fd.get('visibility'),
        });
        text.value = '';
        await loadJournal();
        const r = await api('GET', base); // a correspondence may reopen it
        if (!editing) setIncident(r.data, r.etag);
        toast(t('ui.journal.added'));
      } catch (e) {
        showProblem(f, e, err);
      } finally {
        button.disabled = false;
      }
    });
    return f;
  }

  // ---- correspondence: the e-mail threads ----
  const threadBox = h('div', { id: 'thread-list' });
  async function loadThreads() {
    let items;
    try {
      items = (await get(`${base}/threads`)).items;
    } catch (e) {
      replace(threadBox, errorBox(e));
      return;
    }
    if (items.length === 0) {
      replace(threadBox, h('p', { class: 'muted', id: 'no-threads', text: t('ui.thread.empty') }));
      return;
    }
    const views = items.map(threadView);
    replace(threadBox, views.map((v) => v.el));
    await Promise.all(views.map((v) => v.load()));
  }

  // One thread: its counterpart, its messages and (handlers) the form that
  // sends the next one.
  function threadView(th) {
    const path = `${base}/threads/${th.id}/messages`;
    const list = h('ol', { class: 'mails' }, h('li', {}, loading()));
    const el = h('article', { class: 'thread', dataset: { thread: String(th.id) } },
      h('h3', {},
        h('span', { class: 'kind', text: tr(THREAD_KIND_KEYS, th.kind) }), ' ',
        h('span', { class: 'counterpart', text: th.counterpart }), ' ',
        h('span', { class: 'muted small', text: `(${th.language})` })),
      h('p', { class: 'thread-subject muted', text: th.subject }),
      list,
      write ? sendForm(th, () => load()) : null);
    async function load() {
      let items;
      try {
        items = (await getAll(path, { limit: 100 })).items;
      } catch (e) {
        replace(list, h('li', {}, errorBox(e)));
        return;
      }
      replace(list, items.length ? items.map(mailItem)
        : h('li', { class: 'muted', text: t('ui.thread.no_messages') }));
    }
    return { el, load };
  }

  function mailItem(m) {
    return h('li', {
      class: ['mail', `mail-${m.direction}`, `mail-${m.state}`],
      dataset: { id: String(m.id), state: m.state, direction: m.direction },
    },
    h('div', { class: 'entry-meta' },
      directionLabel(m), mailStateLabel(m), mailBadges(m),
      h('span', { class: 'who', text: m.direction === 'in' ? m.sender : m.recipients }),
      time(m.sent_at || m.created_at)),
    h('div', { class: 'mail-subject', text: m.subject }),
    mailError(m),
    mailFiles(m, write));
  }

  function sendForm(th, reload) {
    const text = h('textarea', { name: 'text', rows: 4 });
    const err = h('p', { class: 'error', role: 'alert', hidden: true });
    const unencBox = h('input', { type: 'checkbox', name: 'send_unencrypted' });
    const keyProblem = h('div', { class: 'notice key-problem', role: 'alert', hidden: true },
      h('p', { class: 'key-detail' }),
      h('label', { class: 'check' }, unencBox, t('ui.thread.send_unencrypted')));
    const f = h('form', { class: 'stack send-form', dataset: { thread: String(th.id) } },
      h('div', { class: 'row' },
        field(t('ui.thread.template'), select('template',
          Object.keys(TEMPLATE_KEYS).map((k) => [k, tr(TEMPLATE_KEYS, k)]), 'reply'))),
      field(t('ui.thread.text'), text, t('ui.thread.text_hint')),
      keyProblem,
      err,
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary send-button', text: t('ui.thread.send') })));
    submitOnCtrlEnter(f);
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(f, err);
      const b = { template: f.elements.template.value, text: text.value };
      if (!keyProblem.hidden && unencBox.checked) b.send_unencrypted = true;
      const button = f.querySelector('.send-button');
      button.disabled = true;
      try {
        await post(`${base}/threads/${th.id}/messages`, b);
        text.value = '';
        keyProblem.hidden = true;
        unencBox.checked = false;
        toast(t('ui.thread.queued', { to: th.counterpart }));
        await Promise.all([reload(), loadJournal()]);
        const r = await api('GET', base); // the first response stops a clock
        if (!editing) setIncident(r.data, r.etag);
      } catch (e) {
        if (e.status === 409 && /OpenPGP/.test(e.message)) {
          // TLP:AMBER and up, and no key for the counterpart: say so, and
          // let the handler choose, explicitly, to send it in the clear
          replace(keyProblem.querySelector('.key-detail'), e.message);
          keyProblem.hidden = false;
          unencBox.focus();
        } else {
          showProblem(f, e, err);
        }
      } finally {
        button.disabled = false;
      }
    });
    return f;
  }

  // Opens a thread: to an address, or to a contact of one of the
  // incident's organisations.
  function threadForm() {
    const err = h('p', { class: 'error', role: 'alert', hidden: true });
    const address = h('input', { name: 'address', type: 'email', autocomplete: 'off', spellcheck: 'false' });
    const orgSel = select('org', [['', '—'], ...inc.orgs.map((o) => [o, o])], '');
    const contactSel = select('contact', [['', '—']], '');
    const byAddress = h('div', { class: 'row to-address' }, field(t('ui.thread.address'), address));
    const byContact = h('div', { class: 'row to-contact', hidden: true },
      field(t('ui.thread.org'), orgSel), field(t('ui.thread.contact'), contactSel));
    const radio = (value, label, checked) => h('label', { class: 'check' },
      h('input', { type: 'radio', name: 'to', value, checked, disabled: value === 'contact' && !inc.orgs.length }),
      label);
    const f = h('form', { class: 'stack', id: 'thread-form' },
      h('div', { class: 'row' },
        field(t('ui.thread.kind'), select('kind',
          Object.keys(THREAD_KIND_KEYS).map((k) => [k, tr(THREAD_KIND_KEYS, k)]), 'third_party')),
        field(t('ui.thread.language'), select('language',
          [['', t('ui.thread.language_auto')], ...MAIL_LANGS.map((l) => [l, l])], '')),
        h('fieldset', { class: 'radios' },
          h('legend', { text: t('ui.thread.to') }),
          radio('address', t('ui.thread.to_address'), true),
          radio('contact', t('ui.thread.to_contact'), false))),
      byAddress, byContact,
      field(t('ui.thread.subject'), h('input', { name: 'subject', autocomplete: 'off', maxlength: 500 }),
        t('ui.thread.subject_hint')),
      err,
      h('div', { class: 'row' },
        h('button', { type: 'submit', id: 'thread-submit', text: t('ui.thread.open') })));
    const sync = () => {
      const toContact = f.elements.to.value === 'contact';
      byAddress.hidden = toContact;
      byContact.hidden = !toContact;
    };
    for (const r of f.querySelectorAll('input[name=to]')) r.addEventListener('change', sync);
    orgSel.addEventListener('change', async () => {
      replace(contactSel, h('option', { value: '', text: '—' }));
      if (!orgSel.value) return;
      try {
        const org = (await orgList()).find((o) => o.short_name === orgSel.value);
        if (!org) return;
        const items = (await getAll(`/orgs/${org.id}/contacts`)).items;
        replace(contactSel, h('option', { value: '', text: '—' }), items.map((c) => h('option', {
          value: String(c.id),
          text: [c.name, `<${c.email}>`, c.language, c.pgp_fingerprint ? 'OpenPGP' : '']
            .filter(Boolean).join(' '),
        })));
      } catch (e) {
        toast(e.message, 'error');
      }
    });
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(f, err);
      const fd = new FormData(f);
      const b = { kind: fd.get('kind') };
      if (fd.get('to') === 'contact') {
        b.org = fd.get('org');
        if (fd.get('contact')) b.contact = Number(fd.get('contact'));
      } else {
        b.address = String(fd.get('address')).trim();
      }
      for (const k of ['language', 'subject']) {
        const v = String(fd.get(k) || '').trim();
        if (v) b[k] = v;
      }
      const button = f.querySelector('#thread-submit');
      button.disabled = true;
      try {
        const th = await post(`${base}/threads`, b);
        f.reset();
        sync();
        await loadThreads();
        toast(t('ui.thread.opened', { to: th.counterpart }));
      } catch (e) {
        showProblem(f, e, err);
      } finally {
        button.disabled = false;
      }
    });
    return h('details', { class: 'adders', id: 'thread-adder' },
      h('summary', { text: t('ui.thread.new') }), f);
  }

  // ---- observables ----
  const obsBox = h('div', { id: 'observable-list' });
  async function loadObservables() {
    let items;
    try {
      items = (await getAll(`${base}/observables`)).items;
    } catch (e) {
      replace(obsBox, errorBox(e));
      return;
    }
    if (items.length === 0) {
      replace(obsBox, h('p', { class: 'muted', text: t('ui.observables.empty') }));
      return;
    }
    replace(obsBox, h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'observable-table' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: t('ui.col.type') }),
        h('th', { scope: 'col', text: t('ui.col.value') }),
        h('th', { scope: 'col', text: t('ui.col.ids') }),
        h('th', { scope: 'col', text: t('ui.col.tlp') }),
        h('th', { scope: 'col', text: t('ui.col.correlations') }),
        write ? h('th', { scope: 'col', class: 'sr-only-col' }, h('span', { class: 'sr-only', text: t('ui.col.actions') })) : null)),
      h('tbody', {}, items.map((o) => h('tr', { dataset: { id: String(o.id) } },
        h('td', { text: o.type }),
        h('td', { class: 'value-cell' }, h('code', { text: o.value }),
          o.comment ? h('div', { class: 'muted small', text: o.comment }) : null),
        h('td', { text: o.to_ids ? t('ui.yes') : t('ui.no') }),
        h('td', {}, o.tlp ? tlpLabel(o.tlp) : h('span', { class: 'muted', text: t('ui.observables.inherits') })),
        h('td', { class: 'correlations' }, o.correlations.length
          ? o.correlations.map((c, i) => [i ? ' ' : '', h('span', { class: 'corr', title: c.title }, incidentLink(c.ref))])
          : h('span', { class: 'muted', text: '—' })),
        write ? h('td', {}, h('button', {
          type: 'button', class: 'link danger', text: t('ui.remove'),
          'aria-label': t('ui.observables.remove', { value: o.value }),
          onclick: async () => {
            if (!window.confirm(t('ui.observables.confirm_remove', { value: o.value }))) return;
            try {
              await del(`${base}/observables/${o.id}`);
              await loadObservables();
            } catch (e) {
              toast(e.message, 'error');
            }
          },
        })) : null))))));
  }

  function observableForms() {
    const value = h('input', { name: 'value', required: true, autocomplete: 'off', spellcheck: 'false', id: 'observable-value' });
    const err = h('p', { class: 'error', role: 'alert', hidden: true });
    const add = h('form', { class: 'row inline-form', id: 'observable-form' },
      field(t('ui.col.type'), select('type', OBS_TYPES.map((x) => [x, x]), 'ipv4')),
      field(t('ui.col.value'), value),
      field(t('ui.observables.comment'), h('input', { name: 'comment', autocomplete: 'off', maxlength: 2000 })),
      h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'to_ids' }), t('ui.observables.to_ids')),
      h('button', { type: 'submit', id: 'observable-submit', text: t('ui.add') }),
      err);
    add.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(add, err);
      const fd = new FormData(add);
      const b = { type: fd.get('type'), value: String(fd.get('value')).trim(), to_ids: fd.get('to_ids') === 'on' };
      const c = String(fd.get('comment') || '').trim();
      if (c) b.comment = c;
      try {
        await post(`${base}/observables`, b);
        add.reset();
        await loadObservables();
        value.focus();
        toast(t('ui.observables.added'));
      } catch (e) {
        showProblem(add, e, err);
      }
    });
    const text = h('textarea', { name: 'text', rows: 3, required: true });
    const xerr = h('p', { class: 'error', role: 'alert', hidden: true });
    const extract = h('form', { class: 'stack', id: 'extract-form' },
      field(t('ui.observables.extract_label'), text, t('ui.observables.extract_hint')),
      h('div', { class: 'row' }, h('button', { type: 'submit', text: t('ui.observables.extract') })),
      xerr);
    submitOnCtrlEnter(extract);
    extract.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearProblem(extract, xerr);
      try {
        const r = await post(`${base}/observables:extract`, { text: text.value, attach: true });
        const fresh = r.found.filter((x) => x.new).length;
        toast(t('ui.observables.extracted', { n: r.found.length, added: fresh }));
        text.value = '';
        await loadObservables();
      } catch (e) {
        showProblem(extract, e, xerr);
      }
    });
    return h('details', { class: 'adders', open: true },
      h('summary', { text: t('ui.observables.add_title') }), add, extract);
  }

  // ---- tasks ----
  const taskBox = h('div', { id: 'task-list' });
  async function loadTasks() {
    let items;
    try {
      items = (await getAll(`${base}/tasks`)).items;
    } catch (e) {
      replace(taskBox, errorBox(e));
      return;
    }
    replace(taskBox, items.length ? h('ul', { class: 'tasks' }, items.map((tk) => {
      const box = h('input', {
        type: 'checkbox', checked: tk.state === 'done', disabled: !write || tk.state === 'cancelled',
        'aria-label': t('ui.task.toggle', { title: tk.title }),
        onchange: async () => {
          try {
            await api('PATCH', `${base}/tasks/${tk.id}`, { body: { state: box.checked ? 'done' : 'open' } });
            await loadTasks();
          } catch (e) {
            box.checked = !box.checked;
            toast(e.message, 'error');
          }
        },
      });
      return h('li', { class: ['task', `task-${tk.state}`] },
        h('label', { class: 'check' }, box, h('span', { text: tk.title })),
        h('span', { class: 'muted small', text: [tr(TASK_STATE_KEYS, tk.state), tk.assignee].filter(Boolean).join(' · ') }));
    })) : h('p', { class: 'muted', text: t('ui.task.empty') }));
  }

  function taskForm() {
    const title = h('input', { name: 'title', required: true, autocomplete: 'off' });
    const f = h('form', { class: 'row inline-form', id: 'task-form' },
      field(t('ui.task.new'), title),
      field(t('ui.task.assignee'), h('input', { name: 'assignee', autocomplete: 'off' })),
      h('button', { type: 'submit', text: t('ui.add') }));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(f);
      const b = { title: String(fd.get('title')).trim() };
      const a = String(fd.get('assignee') || '').trim();
      if (a) b.assignee = a;
      try {
        await post(`${base}/tasks`, b);
        f.reset();
        await loadTasks();
      } catch (e) {
        showProblem(f, e);
      }
    });
    return f;
  }

  // ---- links ----
  const linkBox = h('div', { id: 'link-list' });
  async function loadLinks() {
    let items;
    try {
      items = (await getAll(`${base}/links`)).items;
    } catch (e) {
      replace(linkBox, errorBox(e));
      return;
    }
    replace(linkBox, items.length ? h('ul', { class: 'links' }, items.map((l) => h('li', {},
      h('span', { class: 'muted', text: `${tr(LINK_KIND_KEYS, l.kind)} ` }),
      incidentLink(l.ref), ' ', h('span', { text: l.title }),
      write ? h('button', {
        type: 'button', class: 'link danger', text: '×', 'aria-label': t('ui.link.remove', { ref: l.ref }),
        onclick: async () => {
          try {
            await del(`${base}/links/${l.id}`);
            await loadLinks();
          } catch (e) {
            toast(e.message, 'error');
          }
        },
      }) : null))) : h('p', { class: 'muted', text: t('ui.link.empty') }));
  }

  function linkForm() {
    const f = h('form', { class: 'row inline-form', id: 'link-form' },
      field(t('ui.link.kind'), select('kind', ['related', 'parent-of', 'child-of', 'duplicate-of']
        .map((k) => [k, tr(LINK_KIND_KEYS, k)]), 'related')),
      field(t('ui.link.ref'), h('input', { name: 'ref', required: true, autocomplete: 'off', placeholder: 'CSIRT-2026-000001' })),
      h('button', { type: 'submit', text: t('ui.add') }));
    f.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const fd = new FormData(f);
      try {
        await post(`${base}/links`, { kind: fd.get('kind'), ref: String(fd.get('ref')).trim() });
        f.reset();
        await loadLinks();
      } catch (e) {
        showProblem(f, e);
      }
    });
    return f;
  }

  // ---- put it together ----
  journal.append(journalList);
  if (write) journal.append(journalForm());
  if (correspondence) {
    correspondence.append(threadBox);
    if (write) correspondence.append(threadForm());
  }
  observables.append(obsBox);
  if (write) observables.append(observableForms());
  if (tasks) {
    tasks.append(taskBox);
    if (write) tasks.append(taskForm());
  }
  links.append(linkBox);
  if (write) links.append(linkForm());
  setIncident(inc, etag);
  replace(root, head, conflict, editBox,
    h('div', { class: 'incident-grid' },
      h('div', { class: 'main-col' }, summary, journal, correspondence, observables),
      h('aside', { class: 'side-col', 'aria-label': t('ui.incident.details') },
        classification, tasks, links, members, history)));
  await Promise.all([loadJournal(), correspondence ? loadThreads() : null, loadObservables(),
    tasks ? loadTasks() : null, loadLinks()]);

  return {
    keys: write ? {
      e: () => openEdit(),
      m: () => document.getElementById('journal-body')?.focus(),
      o: () => document.getElementById('observable-value')?.focus(),
    } : {},
  };
}
