// The console's only door to the server: JSON in and out, the session cookie, and the CSRF header on changes.

let csrfToken = '';
let onSignedOut = () => {};

/** An error answer from the API, in the one JSON error shape ({error: {code, message, fields?}}). */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || `http_${status}`;
    this.fields = error?.fields || {};
  }
}

/** @param {string} token the CSRF token from sign-in or GET /me */
export function setCsrf(token) { csrfToken = token || ''; }

/** @param {() => void} handler called when the server says the session is gone (401) */
export function onUnauthorized(handler) { onSignedOut = handler; }

/**
 * Calls /api/v1/officer + path.
 * @param {string} path e.g. '/reports?status=new'
 * @param {{method?: string, json?: any, body?: BodyInit, type?: string, raw?: boolean}} [opts]
 * @returns {Promise<any>} the decoded JSON (null for 204), or the Response when opts.raw
 */
export async function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const headers = { Accept: 'application/json' };
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.type) {
    headers['Content-Type'] = opts.type;
  }
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch('/api/v1/officer' + path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { code: 'network', message: 'network' });
  }
  if (res.ok && opts.raw) return res;
  if (res.status === 204) return null;
  let data = null;
  try { data = await res.json(); } catch { /* not JSON */ }
  if (res.ok) return data;
  const error = new ApiError(res.status, data?.error);
  if (res.status === 401 && !path.startsWith('/login')) onSignedOut();
  throw error;
}

/** Builds a query string, leaving out empty values; arrays repeat the key. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? '?' + text : '';
}
