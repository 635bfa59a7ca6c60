// app.js - the analysts' workspace at /ui/: sign-in, the page router
// (location.pathname), keyboard shortcuts and the language switcher.
//
// Plain ES modules, no framework, no build step. Each view
// (views/*.js) renders into a fresh element and may return
// {keys: {k: fn}} for its own shortcuts. Everything reaches the API
// through api.js; a session that ends brings back the sign-in dialog over
// the page, and the request that met the 401 runs again once the user is
// back, so nothing typed is lost.

import { api, onUnauthorized, setCsrf } from './api.js';
import {
  AUTONYMS, LANGS, applyI18n, chooseLang, currentLang, loadLang, rememberLang, t,
} from './i18n.js';
import { h, hasTypedText, replace, toast } from './dom.js';
import { dashboardView } from './views/dashboard.js';
import { incidentListView, newIncidentView } from './views/incidents.js';
import { incidentView } from './views/incident.js';
import { reportListView, reportView } from './views/reports.js';
import { constituencyView, orgView } from './views/constituency.js';
import { searchView } from './views/search.js';
import { mailListView } from './views/mail.js';

const main = document.getElementById('main');
// Set while this browser holds a session: without it the page shows the
// sign-in form at once instead of asking the API (and meeting a 401).
const SIGNED_IN = 'csirtd.ui.signed_in';
const state = {
  user: null,
  view: null, // what the current view returned
  gen: 0, // render generation: a slower, older render never wins
};

// ---- who may do what (the server decides; this only hides controls) ----

export function user() {
  return state.user;
}

export function can(what) {
  const role = state.user ? state.user.role : '';
  switch (what) {
  case 'write': return role === 'admin' || role === 'handler';
  case 'team': return role === 'admin' || role === 'handler' || role === 'viewer';
  default: return false;
  }
}

// ---- routing ----

const ROUTES = [
  [/^\/ui\/?$/, 'dashboard', dashboardView],
  [/^\/ui\/incidents\/?$/, 'incidents', incidentListView],
  [/^\/ui\/incidents\/new\/?$/, 'incidents', newIncidentView],
  [/^\/ui\/incidents\/([^/]+)\/?$/, 'incidents', incidentView],
  [/^\/ui\/reports\/?$/, 'reports', reportListView],
  [/^\/ui\/reports\/(\d+)\/?$/, 'reports', reportView],
  [/^\/ui\/constituency\/?$/, 'constituency', constituencyView],
  [/^\/ui\/constituency\/orgs\/(\d+)\/?$/, 'constituency', orgView],
  [/^\/ui\/mail\/?$/, 'mail', mailListView],
  [/^\/ui\/search\/?$/, '', searchView],
];

export function navigate(href, { replace: rep = false } = {}) {
  const u = new URL(href, location.href);
  // keep ?lang= only while it was asked for in the address
  if (rep) history.replaceState(null, '', u.pathname + u.search + u.hash);
  else history.pushState(null, '', u.pathname + u.search + u.hash);
  render();
}

function notFound(root) {
  replace(root, h('h1', { text: t('ui.notfound.title') }),
    h('p', {}, h('a', { href: '/ui/', 'data-link': '', text: t('ui.notfound.back') })));
}

async function render() {
  if (!state.user) return;
  const gen = ++state.gen;
  const path = location.pathname;
  let match = null;
  let handler = notFound;
  let section = '';
  for (const [re, sec, fn] of ROUTES) {
    const m = path.match(re);
    if (m) {
      match = m.slice(1).map(decodeURIComponent);
      handler = fn;
      section = sec;
      break;
    }
  }
  for (const a of document.querySelectorAll('#nav a[data-nav]')) {
    if (a.dataset.nav === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const root = h('div', { class: 'view' });
  replace(main, root);
  state.view = null;
  const ctx = {
    root,
    params: match || [],
    query: new URLSearchParams(location.search),
    user: state.user,
    can,
    navigate,
    isCurrent: () => gen === state.gen,
    setTitle: (s) => {
      if (gen === state.gen) document.title = s ? `${s} · csirtd` : 'csirtd';
    },
  };
  try {
    const v = await handler(root, ctx);
    if (gen === state.gen) state.view = v || null;
  } catch (e) {
    if (gen !== state.gen) return;
    root.append(h('p', { class: 'error', role: 'alert', text: e.message || String(e) }));
  }
}

// Links marked data-link (and any /ui/ link) stay in the page.
document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey ||
      ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest('a[href]');
  if (!a || a.getAttribute('target') || a.hasAttribute('download')) return;
  const u = new URL(a.getAttribute('href'), location.href);
  if (u.origin !== location.origin || !u.pathname.startsWith('/ui')) return;
  ev.preventDefault();
  navigate(u.pathname + u.search + u.hash);
});
window.addEventListener('popstate', () => render());

// ---- sign-in ----

const loginDialog = document.getElementById('login-dialog');
const loginForm = document.getElementById('login-form');
const loginError = document.getElementById('login-error');
let loginWaiters = null; // promise resolvers while the dialog is up

// Takes a session from POST or GET /api/v1/session; true when it is
// another user than the one the page showed.
function applySession(data) {
  setCsrf(data.csrf_token);
  remember(true);
  const before = state.user ? state.user.login : null;
  state.user = data.user;
  showUser();
  return before !== null && before !== data.user.login;
}

function remember(on) {
  try {
    if (on) localStorage.setItem(SIGNED_IN, '1');
    else localStorage.removeItem(SIGNED_IN);
  } catch (e) {
    // no storage: the page asks the API each time
  }
}

function signedIn() {
  try {
    return localStorage.getItem(SIGNED_IN) !== null;
  } catch (e) {
    return true;
  }
}

function showUser() {
  const u = state.user;
  document.getElementById('who').textContent =
    t('ui.who', { name: u.name || u.login, role: roleName(u.role) });
  document.getElementById('nav-reports-item').hidden = !can('team');
  document.getElementById('nav-mail-item').hidden = !can('team');
  document.getElementById('top').hidden = false;
  document.body.dataset.role = u.role;
}

function roleName(role) {
  return {
    admin: t('ui.role.admin'),
    handler: t('ui.role.handler'),
    viewer: t('ui.role.viewer'),
    constituent: t('ui.role.constituent'),
  }[role] || role;
}

// Shows the sign-in dialog; resolves once signed in. expired: the session
// ended under an open page (say so, and keep the page).
function requireLogin(expired) {
  if (loginWaiters) return loginWaiters.promise;
  let resolve;
  const promise = new Promise((r) => { resolve = r; });
  loginWaiters = { promise, resolve };
  document.getElementById('login-expired').hidden = !expired;
  loginError.hidden = true;
  document.getElementById('login-password').value = '';
  if (!loginDialog.open) loginDialog.showModal();
  const name = document.getElementById('login-name');
  (name.value ? document.getElementById('login-password') : name).focus();
  return promise;
}

loginDialog.addEventListener('cancel', (ev) => ev.preventDefault());
loginForm.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = document.getElementById('login-submit');
  button.disabled = true;
  loginError.hidden = true;
  try {
    const { data } = await api('POST', '/session', {
      body: {
        login: document.getElementById('login-name').value.trim(),
        password: document.getElementById('login-password').value,
      },
      noReauth: true,
    });
    document.getElementById('login-password').value = '';
    const switched = applySession(data);
    loginDialog.close();
    const w = loginWaiters;
    loginWaiters = null;
    if (w) w.resolve(switched);
  } catch (e) {
    loginError.hidden = false;
    loginError.textContent = e.status === 401 ? t('ui.login.failed')
      : e.status === 429 ? t('ui.login.throttled') : e.message;
    document.getElementById('login-password').select();
  } finally {
    button.disabled = false;
  }
});

// A 401 under an open page: sign in over it, then the request runs again.
// Someone else signing in gets a fresh page instead (other rights).
onUnauthorized(() => requireLogin(state.user !== null).then((switched) => {
  if (switched) setTimeout(render, 0);
}));

document.getElementById('logout-button').addEventListener('click', async () => {
  try {
    await api('DELETE', '/session', { noReauth: true });
  } catch (e) {
    // already gone: signing out is done either way
  }
  remember(false);
  state.user = null;
  state.gen++;
  document.getElementById('top').hidden = true;
  replace(main);
  await requireLogin(false);
  render();
});

// ---- languages ----

function fillLangSelect(sel) {
  replace(sel, LANGS.map((l) => h('option', {
    value: l, lang: l, selected: l === currentLang(), text: AUTONYMS[l],
  })));
}

async function switchLang(l) {
  // the page is drawn again in the new language: ask before typed text goes
  if (state.user && hasTypedText(main) && !window.confirm(t('ui.lang.unsaved'))) {
    fillLangSelect(document.getElementById('lang-select'));
    return;
  }
  rememberLang(l);
  await loadLang(l);
  const u = new URL(location.href);
  if (u.searchParams.has('lang')) {
    u.searchParams.set('lang', l);
    history.replaceState(null, '', u.pathname + u.search + u.hash);
  }
  applyI18n(document);
  fillLangSelect(document.getElementById('lang-select'));
  fillLangSelect(document.getElementById('login-lang'));
  if (state.user) {
    showUser();
    render();
  }
}

for (const id of ['lang-select', 'login-lang']) {
  document.getElementById(id).addEventListener('change', (ev) => switchLang(ev.target.value));
}

// ---- search box ----

document.getElementById('search-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const q = document.getElementById('global-search').value.trim();
  if (q) navigate(`/ui/search?q=${encodeURIComponent(q)}`);
});

// ---- keyboard ----

const helpDialog = document.getElementById('help-dialog');
let pendingG = 0;

function typing(el) {
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

document.addEventListener('keydown', (ev) => {
  if (ev.defaultPrevented || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (loginDialog.open || !state.user) return;
  if (ev.key === 'Escape' && typing(ev.target)) {
    ev.target.blur();
    return;
  }
  if (typing(ev.target) || helpDialog.open) return;
  const k = ev.key;
  if (pendingG && Date.now() - pendingG < 1500) {
    pendingG = 0;
    const to = {
      d: '/ui/', i: '/ui/incidents', r: '/ui/reports', c: '/ui/constituency', m: '/ui/mail',
    }[k];
    if (to && ((k !== 'r' && k !== 'm') || can('team'))) {
      ev.preventDefault();
      navigate(to);
    }
    return;
  }
  pendingG = 0;
  if (k === 'g') {
    pendingG = Date.now();
    return;
  }
  if (k === '?') {
    ev.preventDefault();
    helpDialog.showModal();
    return;
  }
  if (k === '/') {
    ev.preventDefault();
    const own = main.querySelector('[data-search]');
    const box = own || document.getElementById('global-search');
    box.focus();
    box.select();
    return;
  }
  if (k === 'n' && can('write')) {
    ev.preventDefault();
    navigate('/ui/incidents/new');
    return;
  }
  const keys = state.view && state.view.keys;
  if (keys && typeof keys[k] === 'function') {
    ev.preventDefault();
    keys[k](ev);
  }
});

document.getElementById('help-button').addEventListener('click', () => helpDialog.showModal());

// ---- start ----

async function start() {
  await loadLang(chooseLang());
  applyI18n(document);
  fillLangSelect(document.getElementById('lang-select'));
  fillLangSelect(document.getElementById('login-lang'));
  let data = null;
  if (signedIn()) {
    try {
      ({ data } = await api('GET', '/session', { noReauth: true }));
    } catch (e) {
      if (e.status !== 401) toast(e.message, 'error');
      remember(false);
    }
  }
  if (data) applySession(data);
  else await requireLogin(false);
  render();
}

start();
