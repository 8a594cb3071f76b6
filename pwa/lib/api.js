// The one way both front ends call the API (screens never call fetch): JSON in and out, gzip bodies, a
// timeout, and the one error shape ({error: {code, message, fields?}}, docs/adr/0001-error-shape.md) as ApiError.
// The phone authenticates with its device token and sends no cookie; the console uses its session cookie.

/** An error answer, or no answer (status 0, code 'network' or 'timeout'). */
export class ApiError extends Error {
  constructor(status, error, retryAfter = 0) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || `http_${status}`;
    this.fields = error?.fields || {};
    this.remaining = error?.remaining; // pin_wrong: the household's tries left today (ADR 0005)
    this.retryAfter = retryAfter;
  }

  /** True when the same request may succeed later: no answer, 5xx, 408, 409, 429, or a group's photo quota
   *  (413 quota_exceeded, with Retry-After): the item stays queued. */
  get retryable() {
    return this.status === 0 || this.status >= 500 || [408, 409, 429].includes(this.status)
      || (this.status === 413 && this.code === 'quota_exceeded');
  }
}

/** Gzips a text (or bytes). @returns {Promise<ArrayBuffer>} */
export async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

/**
 * Calls the API: resolves with the JSON of a 2xx answer (null for 204, and for a 304 to If-None-Match), or the
 * Response when opts.raw; throws ApiError otherwise (a 2xx answer cut short too). Timeout 30 s unless told (0: none).
 * @param {{method?: string, headers?: object, json?: any, body?: BodyInit, token?: string, raw?: boolean,
 *          timeout?: number}} [opts]
 */
export async function request(url, opts = {}) {
  const headers = { Accept: 'application/json', ...opts.headers };
  if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
    // The contract accepts gzip request bodies: one report's JSON shrinks by a third, most of a 2G upload.
    if (body.length > 200 && self.CompressionStream) { // gzip's framing is ~20 B: worth it from a few hundred
      body = await gzip(body);
      headers['Content-Encoding'] = 'gzip';
    }
  }
  const ctl = new AbortController();
  const timeout = opts.timeout ?? 30000;
  const timer = timeout && setTimeout(() => ctl.abort(), timeout);
  let res;
  try {
    res = await fetch(url, { method: opts.method || 'GET', headers, body, signal: ctl.signal, cache: 'no-store',
      credentials: url.startsWith('/api/v1/officer') ? 'same-origin' : 'omit' }); // only the console uses a cookie
  } catch (e) {
    throw new ApiError(0, { code: e.name === 'AbortError' ? 'timeout' : 'network' });
  } finally {
    clearTimeout(timer);
  }
  if (res.ok && opts.raw) return res;
  if (res.status === 204 || res.status === 304) return null;
  let data = null;
  try { data = await res.json(); } catch { /* cut body or not JSON */ }
  if (res.ok && data !== null) return data;
  if (res.ok) throw new ApiError(0, { code: 'cut_answer' });
  throw new ApiError(res.status, data?.error, Number(res.headers.get('Retry-After')) || 0);
}
