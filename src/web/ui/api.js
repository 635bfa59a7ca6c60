// api.js - every call to /api/v1 goes through api().
//
// The session cookie is HttpOnly: the page never sees it. What it keeps is
// the CSRF token from POST/GET /api/v1/session, sent as X-CSRF-Token on
// every POST, PATCH and DELETE. A 401 (the session ended) asks the
// application to sign in again (onUnauthorized) and then repeats the same
// request, so the caller, and whatever the user typed, never notice. A 403
// about the CSRF token (another tab signed in again) fetches the token once
// more and repeats the request.

let csrf = null;
let reauth = null;

export function setCsrf(token) {
  csrf = token;
}

// fn() returns a promise that settles once the user is signed in again.
export function onUnauthorized(fn) {
  reauth = fn;
}

// An RFC 9457 problem from the API (status 0: the network failed).
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.fields = Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

// Query string from an object, leaving out empty values.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null || v === '') continue;
    u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

async function send(method, path, opts) {
  const headers = { Accept: 'application/json' };
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  if (opts.etag) headers['If-Match'] = opts.etag;
  return fetch(`/api/v1${path}`, {
    method, headers, body, credentials: 'same-origin', cache: 'no-store',
  });
}

async function readBody(res) {
  const ct = res.headers.get('Content-Type') || '';
  if (!ct.includes('json')) return null;
  try {
    return await res.json();
  } catch (e) {
    return null;
  }
}

// api('GET', '/incidents?status=open') -> {data, etag, status}; throws
// ApiError. opts: body (JSON), etag (sent as If-Match), noReauth (for the
// login itself).
export async function api(method, path, opts = {}) {
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await send(method, path, opts);
    } catch (e) {
      throw new ApiError(0, { detail: String(e && e.message ? e.message : e) });
    }
    if (res.status === 401 && !opts.noReauth && reauth && attempt < 3) {
      await reauth();
      continue;
    }
    const data = await readBody(res);
    if (res.status === 403 && method !== 'GET' && attempt < 1 && data &&
        String(data.detail || '').includes('X-CSRF-Token')) {
      await refreshCsrf();
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, data);
    return { data, etag: res.headers.get('ETag'), status: res.status };
  }
}

// GET /api/v1/session again for the current token.
export async function refreshCsrf() {
  const { data } = await api('GET', '/session');
  csrf = data.csrf_token;
  return data;
}

export const get = (path) => api('GET', path).then((r) => r.data);
export const post = (path, body, opts = {}) =>
  api('POST', path, { ...opts, body }).then((r) => r.data);
export const patch = (path, body, etag) =>
  api('PATCH', path, { body, etag });
export const del = (path) => api('DELETE', path).then((r) => r.data);

// Every item of a list, following next_cursor (at most maxPages pages);
// stop(item) ends early (the list is newest first).
export async function getAll(path, { limit = 500, maxPages = 20, stop } = {}) {
  const out = [];
  let cursor = null;
  const sep = path.includes('?') ? '&' : '?';
  for (let i = 0; i < maxPages; i++) {
    let p = `${path}${sep}limit=${limit}`;
    if (cursor) p += `&cursor=${encodeURIComponent(cursor)}`;
    const page = await get(p);
    for (const it of page.items) {
      if (stop && stop(it)) return { items: out, more: false };
      out.push(it);
    }
    cursor = page.next_cursor;
    if (!cursor) return { items: out, more: false };
  }
  return { items: out, more: true };
}
