// i18n.js - the workspace's translations: /static/ui/i18n/<lang>.json,
// flat "ui.*" keys; English fills any gap, the key itself is the last
// resort. Translations are text, never markup.
//
// The language is, in order: ?lang= in the address, the choice remembered
// from the switcher, the first of navigator.languages we have, English.

export const LANGS = ['en', 'es', 'ca', 'eu', 'fr'];
// Each language in its own name, for the switcher.
export const AUTONYMS = {
  en: 'English', es: 'Español', ca: 'Català', eu: 'Euskara', fr: 'Français',
};
const STORE_KEY = 'csirtd.ui.lang';

let lang = 'en';
let catalogue = {};
let fallback = {};

export function currentLang() {
  return lang;
}

// The language to start with (see the head of this file).
export function chooseLang() {
  const q = new URLSearchParams(location.search).get('lang');
  if (q && LANGS.includes(q)) return q;
  try {
    const kept = localStorage.getItem(STORE_KEY);
    if (kept && LANGS.includes(kept)) return kept;
  } catch (e) {
    // storage may be disabled: fall through
  }
  for (const l of navigator.languages || [navigator.language || '']) {
    const base = String(l).toLowerCase().split('-')[0];
    if (LANGS.includes(base)) return base;
  }
  return 'en';
}

// Remembers the switcher's choice for the next visit.
export function rememberLang(l) {
  try {
    localStorage.setItem(STORE_KEY, l);
  } catch (e) {
    // not remembered; the choice still applies now
  }
}

async function fetchCatalogue(l) {
  const res = await fetch(`/static/ui/i18n/${l}.json`, {
    credentials: 'same-origin',
  });
  if (!res.ok) throw new Error(`no catalogue for ${l}`);
  return res.json();
}

// Loads the catalogue of l (and English as the fallback once).
export async function loadLang(l) {
  if (!LANGS.includes(l)) l = 'en';
  if (Object.keys(fallback).length === 0) {
    try {
      fallback = await fetchCatalogue('en');
    } catch (e) {
      fallback = {};
    }
  }
  try {
    catalogue = l === 'en' ? fallback : await fetchCatalogue(l);
    lang = l;
  } catch (e) {
    catalogue = fallback;
    lang = 'en';
  }
  document.documentElement.lang = lang;
  return lang;
}

// The string for key with {placeholders} filled from vars.
export function t(key, vars) {
  let s = catalogue[key];
  if (typeof s !== 'string' || s === '') s = fallback[key];
  if (typeof s !== 'string' || s === '') return key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, name) =>
    (name in vars ? String(vars[name]) : m));
}

// Translates the static parts of root: data-i18n (text),
// data-i18n-placeholder, data-i18n-aria-label and data-i18n-title.
export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    el.title = t(el.dataset.i18nTitle);
  }
}

// ---- dates and numbers in the current language ----

function locale() {
  return lang === 'en' ? 'en-GB' : lang;
}

export function fmtDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), {
    dateStyle: 'medium', timeStyle: 'short',
  }).format(d);
}

export function fmtDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(d);
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

// "in 3 hours", "2 days ago": the time from now to iso, in words.
export function fmtRelative(iso, now = Date.now()) {
  const d = new Date(iso).getTime();
  if (Number.isNaN(d)) return '';
  const diff = (d - now) / 1000;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  if (abs < 3600) return rtf.format(Math.round(diff / 60), 'minute');
  if (abs < 86400 * 2) return rtf.format(Math.round(diff / 3600), 'hour');
  return rtf.format(Math.round(diff / 86400), 'day');
}
