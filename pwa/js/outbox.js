// The queue of items waiting for the server (docs/adr/pwa-outbox-sync.md). Ids are made once,
// here, at queue time: a retry re-sends the same id and the server answers "duplicate".
// The outbox copy is encrypted with the device key (sendable while every household is locked);
// the household's own copy is encrypted with its PIN key.
import { STORES, tx, getAll, get } from './db.js';
import { deviceKey, encrypt, encryptBytes, lockUp, decryptBytes } from './crypto.js';

const now = () => new Date().toISOString();

/**
 * Queues a new report with its shrunk photos.
 * @param {{key: CryptoKey}} session the unlocked household's session
 * @param {number} householdId
 * @param {{kind: string, category?: string, body: string, anonymous: boolean, location?: string,
 *          urgency: string, appointment_at?: string}} fields
 * @param {{bytes: ArrayBuffer, sha256: string, size: number, content_type: string}[]} photos
 * @returns {Promise<string>} the report id
 */
export async function queueReport(session, householdId, fields, photos) {
  const id = crypto.randomUUID();
  const createdAt = now();
  const attachments = photos.map((p) => ({ id: crypto.randomUUID(), sha256: p.sha256, size: p.size,
    content_type: p.content_type }));
  const payload = { type: 'report', id, household_id: householdId, ...fields, created_at: createdAt,
    attachments };
  const key = await deviceKey();
  const [box, mine, blobs] = await Promise.all([
    encrypt(key, payload),
    lockUp(session, { ...fields, photos: photos.length }),
    Promise.all(photos.map((p, i) => encryptBytes(key, p.bytes).then((data) => ({ id: attachments[i].id, data })))),
  ]);
  await tx([STORES.OUTBOX, STORES.BLOBS, STORES.REPORTS], 'readwrite', (s) => {
    s.outbox.put({ id, type: 'report', householdId, state: 'waiting', createdAt, payload: box,
      attachments: attachments.map((a) => ({ ...a, received: 0, done: false })) });
    blobs.forEach((b) => s.blobs.put(b));
    s.reports.put({ id, householdId, createdAt, status: null, trackingCode: null, sealed: mine });
  });
  return id;
}

/**
 * Queues a follow-up message on one of the household's reports, and keeps the household's copy.
 * @returns {Promise<string>} the message id
 */
export async function queueMessage(session, householdId, reportId, body) {
  const id = crypto.randomUUID();
  const at = now();
  const [box, mine] = await Promise.all([
    encrypt(await deviceKey(), { type: 'message', id, report_id: reportId, body, created_at: at }),
    lockUp(session, { type: 'mine', body }),
  ]);
  await tx([STORES.OUTBOX, STORES.EVENTS], 'readwrite', (s) => {
    s.outbox.put({ id, type: 'message', householdId, state: 'waiting', createdAt: at, payload: box });
    s.events.put({ id: 'out:' + id, reportId, householdId, at, sealed: mine, outboxId: id });
  });
  return id;
}

/** Queues a read receipt ("message" or "announcement"). Nothing secret: no household named. */
export async function queueReceipt(target, targetId) {
  const id = crypto.randomUUID();
  const payload = { type: 'receipt', id, target, target_id: targetId, read_at: now() };
  const box = await encrypt(await deviceKey(), payload);
  await tx([STORES.OUTBOX], 'readwrite', (s) => {
    s.outbox.put({ id, type: 'receipt', householdId: null, state: 'waiting', createdAt: payload.read_at,
      payload: box });
  });
}

/** @returns {Promise<object[]>} every queued item, oldest first. */
export async function items() {
  const all = await getAll(STORES.OUTBOX);
  return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Applies a change to one item in a single transaction (no-op if it is gone). */
export function update(id, patch) {
  return tx([STORES.OUTBOX], 'readwrite', (s) => {
    const req = s.outbox.get(id);
    req.onsuccess = () => { if (req.result) s.outbox.put({ ...req.result, ...patch }); };
  });
}

/** Removes an item and its photo bytes. */
export async function remove(id) {
  const item = await get(STORES.OUTBOX, id);
  await tx([STORES.OUTBOX, STORES.BLOBS], 'readwrite', (s) => {
    s.outbox.delete(id);
    (item?.attachments || []).forEach((a) => s.blobs.delete(a.id));
  });
}

/** Decrypts the queued bytes of one photo. @returns {Promise<ArrayBuffer|null>} */
export async function photoBytes(attachmentId) {
  const rec = await get(STORES.BLOBS, attachmentId);
  return rec ? decryptBytes(await deviceKey(), rec.data) : null;
}
