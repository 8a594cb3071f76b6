// The phone's door to the API (the shared request() with its device token). Only the sync engine's
// modules use it: screens never call fetch.
import { request } from '../lib/api.js';

export { ApiError } from '../lib/api.js';

/**
 * Calls the API as this phone: bearer token, no cookies, gzip bodies, 30 s unless told.
 * @param {string} path e.g. '/api/v1/sync'
 * @param {{token?: string} & Parameters<typeof request>[1]} [opts]
 */
export function call(path, { token, ...opts } = {}) {
  const headers = token ? { ...opts.headers, Authorization: 'Bearer ' + token } : opts.headers;
  return request(path, { timeout: 30000, ...opts, headers, gzip: true, credentials: 'omit' });
}
