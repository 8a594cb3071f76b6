// The console's door to the officer API: the shared request() with the session cookie, the CSRF header on
// changes, and the signed-out handler on a 401.
import { request } from '../../lib/api.js';

let csrfToken = '';
let onSignedOut = () => {};

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
export async function api(path, { type, ...opts } = {}) {
  const headers = type ? { 'Content-Type': type } : {};
  if ((opts.method || 'GET') !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  try {
    return await request('/api/v1/officer' + path, { timeout: 0, ...opts, headers }); // uploads take their time
  } catch (error) {
    if (error.status === 401 && !path.startsWith('/login')) onSignedOut();
    throw error;
  }
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
