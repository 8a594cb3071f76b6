// The one sync engine: the only code that calls /api/v1/sync, the attachment upload and the
// announcement files. Runs in the page and, for Background Sync, in the service worker; a Web
// Lock keeps the two from running at once. Rules (docs/adr/pwa-outbox-sync.md): an item leaves
// the outbox only on a 2xx answer carrying its own result; anything else is "retry later".
import { call, RetryLater, ApiError } from './api.js';
import { STORES, tx, get, getAll, getMeta, setMeta } from './db.js';
import { decrypt, decryptBytes, deviceKey, seal } from './crypto.js';
import * as outbox from './outbox.js';

const BATCH = 100;
const BATCH_BYTES = 1.5e6;
const CHUNK = 256 * 1024;
const POLL_MS = 5 * 60e3;
const MAX_BACKOFF_MS = 30 * 60e3;

let notify = () => {};
let timer = 0;
let failures = 0;
let running = null;
let again = false;
export const state = { syncing: false, nextAt: 0, error: null };

/** Sets the function told about progress: notify({type: 'state'|'progress'|'synced'|...}). */
export function setNotifier(fn) { notify = fn; }

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
  const token = await getMeta('token');
  if (!token) return false;
  state.syncing = true;
  notify({ type: 'state' });
  try {
    await pushAndPull(token);
    await uploadPhotos(token);
    await fetchFiles(token);
    failures = 0;
    state.error = null;
    await setMeta('lastSync', Date.now());
    schedule(POLL_MS);
    return true;
  } catch (e) {
    state.error = e.code || e.message;
    if (e instanceof ApiError && e.status === 401) {
      await setMeta('revoked', e.code);
      return false;
    }
    if (!(e instanceof RetryLater)) console.error('sync', reason, e);
    schedule(backoff(++failures, e.retryAfter));
    return false;
  } finally {
    state.syncing = false;
    notify({ type: 'synced', ok: !state.error });
  }
}

async function pushAndPull(token) {
  const key = await deviceKey();
  let cursor = (await getMeta('cursor')) ?? null;
  const queue = (await outbox.items()).filter((i) => i.payload && i.state !== 'attention');
  let more = true;
  while (queue.length || more) {
    const batch = [];
    const push = [];
    let bytes = 0;
    while (queue.length && batch.length < BATCH && bytes < BATCH_BYTES) {
      const item = queue.shift();
      batch.push(item);
      push.push(await decrypt(key, item.payload));
      bytes += item.payload.ct.byteLength;
    }
    await Promise.all(batch.map((i) => outbox.update(i.id, { state: 'sending' })));
    if (batch.length) notify({ type: 'state' });
    let res;
    try {
      res = await call('/api/v1/sync', { method: 'POST', token, json: { cursor, push } });
    } catch (e) {
      // Nothing is known about these items: they stay queued, unchanged.
      await Promise.all(batch.map((i) => outbox.update(i.id, { state: 'waiting' })));
      if (e instanceof ApiError && e.code === 'invalid_cursor' && cursor) {
        cursor = null; // pull everything again; applying a change twice is harmless
        queue.unshift(...batch);
        continue;
      }
      throw e;
    }
    await applyResults(batch, res.results || []);
    await applyChanges(res.changes || []);
    cursor = res.cursor;
    await setMeta('cursor', cursor);
    more = !!res.more;
  }
}

async function applyResults(batch, results) {
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const item of batch) {
    const r = byId.get(item.id);
    if (!r) await outbox.update(item.id, { state: 'waiting' });
    else if (r.status === 'created' || r.status === 'duplicate') await accepted(item, r);
    else if (item.type === 'receipt') await outbox.remove(item.id);
    else await outbox.update(item.id, { state: 'attention', error: r.error || { code: r.status } });
  }
}

async function accepted(item, r) {
  const pending = (item.attachments || []).some((a) => !a.done);
  await tx([STORES.OUTBOX, STORES.REPORTS], 'readwrite', (s) => {
    // The device-key copy is deleted as soon as the server answered for it.
    if (pending) s.outbox.put({ ...item, payload: null, state: 'uploading', error: null });
    else s.outbox.delete(item.id);
    if (item.type !== 'report') return;
    const req = s.reports.get(item.id);
    req.onsuccess = () => req.result && s.reports.put({ ...req.result, trackingCode: r.tracking_code,
      status: req.result.status || 'new' });
  });
}

async function sealFor(householdId, value) {
  const h = await get(STORES.HOUSEHOLDS, householdId);
  return h?.keys ? seal(h.keys.publicKey, value) : null;
}

async function applyChanges(changes) {
  for (const c of changes) {
    if (c.type === 'report_status' || c.type === 'message') await applyReportChange(c);
    else if (c.type === 'announcement') {
      const old = await get(STORES.NEWS, c.id);
      await tx([STORES.NEWS], 'readwrite', (s) => s.announcements.put({ ...c, read: !!old?.read }));
    } else if (c.type === 'announcement_withdrawn') {
      await tx([STORES.NEWS, STORES.FILES], 'readwrite', (s) => {
        s.announcements.delete(c.id);
        s.files.delete(IDBKeyRange.bound(`${c.id}/`, `${c.id}/\uffff`));
      });
    } else if (c.type === 'group') await applyGroup(c.group);
  }
}

async function applyReportChange(c) {
  // The report_id -> household_id map is the reports store: it tells whom a change is for.
  const report = await get(STORES.REPORTS, c.report_id);
  if (!report) return;
  const isStatus = c.type === 'report_status';
  const at = isStatus ? c.changed_at : c.created_at;
  const value = isStatus
    ? { type: 'status', status: c.status, reason: c.reason || null, appointment_at: c.appointment_at || null }
    : { type: 'reply', body: c.body, messageId: c.id };
  const sealed = await sealFor(report.householdId, value);
  if (!sealed) return;
  const id = isStatus ? `st:${c.report_id}:${at}:${c.status}` : 'msg:' + c.id;
  await tx([STORES.REPORTS, STORES.EVENTS], 'readwrite', (s) => {
    s.events.get(id).onsuccess = (e) => {
      if (e.target.result) return; // already applied (overlapping pages)
      s.events.put({ id, reportId: report.id, householdId: report.householdId, at, sealed });
      s.reports.get(report.id).onsuccess = (g) => {
        const r = g.target.result;
        if (!r) return;
        if (isStatus && (!r.statusAt || at >= r.statusAt)) Object.assign(r, { status: c.status, statusAt: at });
        if (!isStatus) r.replies = (r.replies || 0) + 1;
        r.unseen = true;
        s.reports.put(r);
      };
    };
  });
}

async function applyGroup(group) {
  const existing = await getAll(STORES.HOUSEHOLDS);
  const ids = new Set(group.households.map((h) => h.id));
  await tx([STORES.META, STORES.HOUSEHOLDS], 'readwrite', (s) => {
    s.meta.put(group, 'group');
    for (const h of group.households) {
      const old = existing.find((o) => o.id === h.id);
      s.households.put({ ...old, id: h.id, name: h.name, removed: false });
    }
    existing.filter((o) => !ids.has(o.id)).forEach((o) => s.households.put({ ...o, removed: true }));
  });
}

async function uploadPhotos(token) {
  const key = await deviceKey();
  for (const item of await outbox.items()) {
    if (item.state !== 'uploading') continue;
    try {
      for (const att of item.attachments) {
        if (att.done) continue;
        const rec = await get(STORES.BLOBS, att.id);
        await uploadOne(token, item, att, new Uint8Array(await decryptBytes(key, rec.data)));
      }
    } catch (e) {
      if (e instanceof ApiError && e.status !== 401) continue; // marked "needs attention"; go on
      throw e;
    }
    await outbox.remove(item.id);
    notify({ type: 'state' });
  }
}

async function uploadOne(token, item, att, bytes) {
  const url = `/api/v1/attachments/${att.id}`;
  // A first try starts at 0 without asking (one round trip less on 2G); after a cut, ask what arrived.
  // If the server already holds bytes, it answers offset_mismatch and we ask then.
  let st = att.received ? await call(url, { token }) : { received: 0, complete: false };
  let restarts = 0;
  while (!st.complete) {
    const offset = st.received;
    try {
      st = await call(`${url}?offset=${offset}`, { method: 'PATCH', token, timeout: 60000,
        body: bytes.subarray(offset, offset + CHUNK), headers: { 'Content-Type': 'application/octet-stream' } });
    } catch (e) {
      if (e instanceof RetryLater && e.message === 'offset_mismatch' && restarts++ < 5) {
        st = await call(url, { token }); // the server holds a different count: resume from it
        continue;
      }
      if (e instanceof ApiError && e.code === 'checksum_mismatch' && restarts++ < 2) {
        st = { received: 0, complete: false }; // the server dropped what it held
        continue;
      }
      if (e instanceof ApiError) await outbox.update(item.id, { state: 'attention', error: { code: e.code, message: e.message } });
      if (e instanceof RetryLater && e.message === 'quota_exceeded') await outbox.update(item.id, { error: { code: e.message } });
      throw e;
    }
    att.received = st.received;
    await outbox.update(item.id, { attachments: item.attachments, error: null });
    notify({ type: 'progress', id: item.id });
  }
  att.done = true;
  att.received = att.size;
  await tx([STORES.OUTBOX, STORES.BLOBS], 'readwrite', (s) => {
    s.outbox.put({ ...item, attachments: item.attachments });
    s.blobs.delete(att.id);
  });
}

async function fetchFiles(token) {
  const have = new Set((await getAll(STORES.FILES)).map((f) => f.key));
  for (const a of await getAll(STORES.NEWS)) {
    for (const f of a.files || []) {
      const k = `${a.id}/${f.id}`;
      if (have.has(k)) continue;
      let blob;
      try {
        const res = await call(`/api/v1/announcements/${a.id}/files/${f.id}`, { token, raw: true, timeout: 120000 });
        blob = await res.blob();
      } catch (e) {
        if (e instanceof ApiError && e.status !== 401) continue; // gone (withdrawn): not worth a retry loop
        // One file the server cannot give now must not hold back the rest, nor push every sync into backoff:
        // the next sync tries it again.
        if (e instanceof RetryLater) continue;
        throw e;
      }
      await tx([STORES.FILES], 'readwrite', (s) => s.files.put({ key: k, blob, name: f.name, type: f.content_type }));
    }
  }
}

/** @returns {Promise<number|undefined>} when the last full sync finished (ms since epoch). */
export const lastSync = () => getMeta('lastSync');

/**
 * The enrolment body, with a request id kept per code: if the answer to an enrolment is lost on a bad
 * link, tapping "Enrol" again with the same code repeats the same request and the server re-issues the
 * token instead of answering "code already used".
 * @param {string} code
 */
async function enrolRequest(code) {
  const kept = await getMeta('enrolRequest');
  if (kept?.code === code) return kept;
  const fresh = { code, request_id: crypto.randomUUID() };
  await setMeta('enrolRequest', fresh);
  return fresh;
}

/**
 * Enrols this phone in its group with a one-time code: keeps the device token, the group and
 * its households, and the first cursor. Throws ApiError/RetryLater from api.js.
 * @param {string} code as typed; the server ignores dashes, spaces and case
 */
export async function enrol(code) {
  const res = await call('/api/v1/enrol', { method: 'POST', json: await enrolRequest(code.trim()) });
  await deviceKey();
  await tx([STORES.META], 'readwrite', (s) => {
    s.meta.put(res.device_token, 'token');
    s.meta.put(res.cursor ?? null, 'cursor');
    s.meta.delete('revoked');
    s.meta.delete('enrolRequest');
  });
  await applyGroup(res.group);
  syncNow('enrolled');
}
