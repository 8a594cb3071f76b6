// The one sync engine: push the outbox and pull the change feed in one round trip, then photos, files and
// rules. Runs in the page and, for Background Sync, in the service worker; a Web Lock keeps the two from
// running at once. Rules (docs/adr/pwa-outbox-sync.md): an item leaves the outbox only on a 2xx answer
// carrying its own result; anything else is "retry later".
import { request, ApiError } from '../lib/api.js';
import * as store from './store.js';
import { decrypt, deviceKey } from './crypto.js';
import { applyChanges } from './apply.js';
import { uploadPhotos } from './uploads.js';
import { fetchFiles, fetchVoices, refreshRules } from './downloads.js';

const BATCH = 100;
const BATCH_BYTES = 1.5e6;
const POLL_MS = 5 * 60e3;
const MAX_BACKOFF_MS = 30 * 60e3;

let notify = () => {};
let timer = 0;
let failures = 0;
let running = null;
let again = false;
export const state = { syncing: false, nextAt: 0, error: null };

/** Sets the function told about progress: notify({type: 'state'|'progress'|'synced'|...}). */
export function setNotifier(fn) {
  notify = fn;
}

let tipModule = null;
let smsModule = null;
/** The service worker hands its statically imported tips.js and sms.js here: a service worker may not import() a
 *  module, and the page loads them only when it first syncs (the shell's first-load budget). */
export const useModules = ({ tips, sms }) => { tipModule = tips; smsModule = sms; };

/** The anonymous tip engine (tips.js and its blind signatures): in the page, loaded by the first sync of an enrolled
 *  phone rather than with the shell (it is precached like the rest). */
async function tipEngine() {
  tipModule ??= await import('./tips.js');
  tipModule.setTipNotifier(notify);
  return tipModule;
}

/**
 * Runs one sync now (coalesced: a call during a run asks for one more run after it).
 * @param {string} [reason] for the console only
 * @returns {Promise<boolean>} true when everything went through
 */
export function syncNow(reason = 'manual') {
  if (running) { again = true; return running; }
  running = (async () => {
    let ok;
    do {
      again = false;
      ok = await (self.navigator.locks
        ? navigator.locks.request('binh-an-sync', () => run(reason))
        : run(reason));
    } while (again);
    return ok;
  })().finally(() => { running = null; });
  return running;
}

/** Delay before retry number n: exponential, capped, with jitter so phones don't stampede. */
export function backoff(n, retryAfterS = 0) {
  const base = Math.min(MAX_BACKOFF_MS, 10e3 * 2 ** Math.max(0, n - 1));
  return Math.max(retryAfterS * 1e3, base * (0.5 + Math.random() * 0.5));
}

function schedule(ms) {
  clearTimeout(timer);
  state.nextAt = Date.now() + ms;
  timer = setTimeout(() => syncNow('timer'), ms);
}

/** Starts the page's triggers: now, on `online`, on a timer. */
export function start() {
  addEventListener('online', () => syncNow('online'));
  return syncNow('start');
}

async function run(reason) {
  const token = await store.getMeta('token');
  if (!token) return false;
  state.syncing = true;
  notify({ type: 'state' });
  try {
    const tips = await tipEngine();
    await tips.migrateLegacy(); // an anonymous report queued by an older version never goes through /sync
    const pushed = await pushAndPull(token, tips);
    await uploadPhotos(token, notify);
    await fetchFiles(token);
    await fetchVoices(token);
    await refreshRules();
    // The SMS key and gateway number (issue 17): an older server without them must not stop the sync.
    smsModule ??= await import('./sms.js');
    await smsModule.refreshConfig(token).catch((e) => { if (e instanceof ApiError && e.status === 401) throw e; });
    failures = 0;
    state.error = null;
    await store.setMeta('lastSync', Date.now());
    await store.pruneSent();
    schedule(POLL_MS);
    // Anonymous tips: tokens now (authenticated); the tips themselves later, alone (tips.js).
    await tips.afterSync(token, pushed).catch((e) => console.warn('tips', e));
    return true;
  } catch (e) {
    state.error = e.code || e.message;
    if (e instanceof ApiError && e.status === 401) {
      await store.setMeta('revoked', e.code);
      return false;
    }
    if (!e.retryable) console.error('sync', reason, e);
    schedule(backoff(++failures, e.retryAfter));
    return false;
  } finally {
    state.syncing = false;
    notify({ type: 'synced', ok: !state.error });
  }
}

/** Pushes the outbox and pulls the feed; true if named items went (officers see those to the second). */
async function pushAndPull(token, tips) {
  let pushed = false;
  const key = await deviceKey();
  let cursor = (await store.getMeta('cursor')) ?? null;
  const queue = (await store.outboxItems()).filter((i) => i.payload && i.state !== 'attention');
  const holding = Date.now() < await tips.namedHoldUntil(); // an anonymous tip left within the quiet hour
  let more = true;
  while (queue.length || more) {
    const batch = [];
    const push = [];
    let bytes = 0;
    while (queue.length && batch.length < BATCH && bytes < BATCH_BYTES) {
      const item = queue.shift();
      const payload = await decrypt(key, item.payload);
      if (holding && !(item.urgent || payload.urgency === 'urgent')) continue; // it goes after the quiet hour; urgent ones now
      batch.push(item);
      push.push(payload);
      bytes += item.payload.ct.byteLength;
    }
    await Promise.all(batch.map((i) => store.updateItem(i.id, { state: 'sending' })));
    if (batch.length) notify({ type: 'state' });
    let res;
    try {
      // Compact results: one per pushed item, in push order, without echoing each UUID (2.4 KB of 100 items).
      res = await request('/api/v1/sync', { method: 'POST', token, json: { cursor, push, results: 'compact' } });
    } catch (e) {
      // Nothing is known about these items: they stay queued, unchanged.
      await Promise.all(batch.map((i) => store.updateItem(i.id, { state: 'waiting' })));
      if (e.code === 'invalid_cursor' && !e.retryable && cursor) {
        cursor = null; // pull everything again; applying a change twice is harmless
        queue.unshift(...batch);
        continue;
      }
      throw e;
    }
    await applyResults(batch, res.results || []);
    // Officers see named items to the second: an anonymous tip keeps out of the hour around them (tips.js).
    if (batch.length) {
      pushed = true;
      await store.setMeta('lastNamedPush', Date.now());
    }
    await applyChanges(res.changes || []);
    if ((res.changes || []).some((c) => c.type === 'restored')) {
      // The server went back to a backup: what it confirmed since may be gone; send it all again now.
      await store.requeueSent(batch.map((i) => i.id));
      const sending = new Set(queue.map((i) => i.id));
      queue.push(...(await store.outboxItems()).filter((i) => i.payload && i.state === 'waiting'
        && !sending.has(i.id)));
    }
    cursor = res.cursor;
    await store.setMeta('cursor', cursor);
    more = !!res.more;
  }
  return pushed;
}

async function applyResults(batch, results) {
  for (const [i, item] of batch.entries()) {
    // Results come in push order; a rejected one also names its item. Anything that does not line up is
    // treated as unanswered: the item stays queued and goes again (the server answers "duplicate").
    const r = results.length === batch.length && (results[i].id ?? item.id) === item.id ? results[i] : null;
    if (!r) await store.updateItem(item.id, { state: 'waiting' });
    else if (r.status === 'created' || r.status === 'duplicate') await store.markSent(item, r.tracking_code);
    else if (item.type === 'receipt') await store.removeItem(item.id);
    else await store.updateItem(item.id, { state: 'attention', error: r.error || { code: r.status } });
  }
}

/** @returns {Promise<number|undefined>} when the last full sync finished (ms since epoch). */
export const lastSync = () => store.getMeta('lastSync');
