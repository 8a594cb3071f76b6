// Thin fetch wrapper. Only sync.js and the enrol screen use it (screens never call fetch).

/** A request that reached no answer, or an answer that means "retry later". */
export class RetryLater extends Error {
  constructor(message, retryAfter = 0) {
    super(message);
    this.retryAfter = retryAfter;
  }
}

/** An answer that will not change by retrying (4xx other than 409/429). */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || 'http_' + status;
    this.fields = error?.fields;
  }
}

async function gzip(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer();
}

/**
 * Calls the API. Resolves with the JSON (or raw Response when opts.raw) of a 2xx answer.
 * Throws RetryLater (message = error code) on network errors, timeouts, 5xx, 409 and 429;
 * ApiError otherwise.
 * @param {string} path e.g. '/api/v1/sync'
 * @param {{method?: string, token?: string, json?: any, body?: BodyInit, headers?: object,
 *          timeout?: number, raw?: boolean}} [opts]
 */
export async function call(path, opts = {}) {
  const headers = { Accept: 'application/json', ...opts.headers };
  if (opts.token) headers.Authorization = 'Bearer ' + opts.token;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
    // The contract accepts gzip request bodies; even one report's JSON shrinks by a third, which is
    // most of a 2G upload (50 kbit/s). Tiny bodies (a pull with no push) are not worth the header.
    if (body.length > 512 && self.CompressionStream) {
      body = await gzip(body);
      headers['Content-Encoding'] = 'gzip';
    }
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeout || 30000);
  let res;
  try {
    res = await fetch(path, { method: opts.method || 'GET', headers, body, signal: ctl.signal,
      cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    throw new RetryLater(e.name === 'AbortError' ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
  if (res.ok && opts.raw) return res;
  let data = null;
  try { data = await res.json(); } catch { /* cut body or not JSON */ }
  if (res.ok) {
    if (data === null) throw new RetryLater('cut answer');
    return data;
  }
  // 413 quota_exceeded: the group's photo storage is full for now; the item stays queued (Retry-After).
  if (res.status >= 500 || res.status === 429 || res.status === 409 || res.status === 408
      || (res.status === 413 && data?.error?.code === 'quota_exceeded')) {
    throw new RetryLater(data?.error?.code || 'http_' + res.status,
      Number(res.headers.get('Retry-After')) || 0);
  }
  throw new ApiError(res.status, data?.error);
}
