// The queue of items waiting for the server (docs/adr/pwa-outbox-sync.md). Ids are made once,
// here, at queue time: a retry re-sends the same id and the server answers "duplicate".
// The outbox copy is encrypted with the device key (sendable while every household is locked);
// the household's own copy is encrypted with its PIN key.
import * as store from './store.js';
import { deviceKey, encrypt, encryptBytes, lockUp, decryptBytes } from './crypto.js';
import { newMailbox } from './seal.js';

/** The item signed by a claimed household's session (keys.js loads then: not with the shell's first load). */
const signItem = async (session, item) => (session?.sign ? (await import('./keys.js')).signItem(session, item) : item);

const now = () => new Date().toISOString();

/** What the household's own copy says of the attachments: how many photos, and the recording's length. */
const attached = (files) => {
  const voice = files.find((p) => String(p.content_type).startsWith('audio/'));
  return { photos: files.length - (voice ? 1 : 0), voice_ms: voice ? voice.duration_ms || 1 : 0 };
};

/**
 * A tip's words as they leave the phone (issue 11): sealed at writing time to the commune's reading key when the
 * phone knows it (it comes with the tip key, server/commune_keys), so neither the queue, a copy of the phone nor
 * the server can read them; only the commune's officers open them. In clear for a commune without a key yet.
 * @param {{body: string, location?: string}} text @returns {Promise<object>} fields for the item
 */
async function tipWords(text) {
  const communeKey = (await store.getMeta('tipKey'))?.commune_key;
  if (!communeKey) return text;
  const { COMMUNE_TIP, sealTo } = await import('./seal-to.js');
  return { sealed: { key_version: communeKey.version, box: await sealTo(communeKey.public_key, text, COMMUNE_TIP) } };
}

/**
 * Queues a new report with its shrunk photos and its recording (an attachment of type audio/*, issue 16); in the same step the household's draft goes, or the
 * refused report it corrects.
 * @param {{key: CryptoKey}} session the unlocked household's session
 * @param {number} householdId
 * @param {{kind: string, category?: string, body: string, anonymous: boolean, location?: string,
 *          urgency: string, appointment_at?: string}} fields
 * @param {{bytes: ArrayBuffer, sha256: string, size: number, content_type: string}[]} photos
 * @param {string} [replaces] id of the refused report this one corrects
 * @returns {Promise<string>} the report id
 */
export async function queueReport(session, householdId, fields, photos, replaces) {
  const id = crypto.randomUUID();
  const createdAt = now();
  const attachments = photos.map((p) => ({ id: crypto.randomUUID(), sha256: p.sha256, size: p.size,
    content_type: p.content_type }));
  const { body, location = '', ...rest } = fields;
  const words = fields.kind === 'tip' ? await tipWords({ body, location }) : { body, location };
  // Signed now, while the household is unlocked (ADR 0005): the engine sends with every household locked.
  const payload = await signItem(session, { type: 'report', id, household_id: householdId, ...rest, ...words,
    created_at: createdAt, attachments });
  const key = await deviceKey();
  const [box, mine, blobs] = await Promise.all([
    encrypt(key, payload),
    lockUp(session, { ...fields, ...attached(photos) }),
    Promise.all(photos.map((p, i) => encryptBytes(key, p.bytes).then((data) => ({ id: attachments[i].id, data })))),
  ]);
  await store.queue({ id, type: 'report', householdId, state: 'waiting', createdAt, payload: box,
    attachments: attachments.map((a) => ({ ...a, received: 0, done: false })) }, {
    blobs, replaces, draftOf: replaces ? null : householdId,
    report: { id, householdId, createdAt, status: null, trackingCode: null, sealed: mine },
  });
  return id;
}

/** A delay in ms drawn uniformly from rules.tips (ADR 0004); before the rules say, 2 to 10 minutes. */
export async function tipDelay(urgent) {
  const tips = (await store.getMeta('rules'))?.rules?.tips;
  const span = (urgent ? tips?.urgent_delay_seconds : tips?.delay_seconds) || { min: 120, max: 600 };
  return 1e3 * (span.min + Math.random() * (span.max - span.min));
}

/**
 * Queues an anonymous tip (ADR 0004): not in the outbox but in the tip queue, sent alone after a random delay,
 * without the household's id, the phone's clock or its token. The household's copy (PIN key) keeps the mailbox
 * secret and key; the queue's copy of them (device key) lets the engine poll the mailbox while every household
 * is locked (issue 11 will seal it per household).
 * @returns {Promise<string>} the tip id
 */
export async function queueTip(session, householdId, fields, photos, replaces) {
  const id = crypto.randomUUID();
  const [mailbox, group, key] = await Promise.all([newMailbox(), store.getMeta('group'), deviceKey()]);
  const attachments = photos.map((p) => ({ id: crypto.randomUUID(), sha256: p.sha256, size: p.size,
    content_type: p.content_type }));
  const tip = { id, village_id: group?.village?.id, category: fields.category || 'other', urgency: fields.urgency,
    ...await tipWords({ body: fields.body, location: fields.location || '' }), attachments,
    mailbox: mailbox.announce };
  const secrets = { secret: mailbox.secret, jwk: mailbox.jwk };
  const [box, keys, mine, blobs, delayMs] = await Promise.all([
    encrypt(key, tip), encrypt(key, secrets),
    lockUp(session, { ...fields, anonymous: true, ...attached(photos), mailbox: secrets }),
    Promise.all(photos.map((p, i) => encryptBytes(key, p.bytes).then((data) => ({ id: attachments[i].id, data })))),
    tipDelay(fields.urgency === 'urgent'),
  ]);
  await store.queueTip({ id, state: 'waiting', queuedAt: Date.now(), delayMs, dueAt: null, box, keys,
    attachments: attachments.map((a) => ({ ...a, received: 0, done: false })), token: null, pending: [],
    trackingCode: null, since: null, pollAt: 0, closedAt: null }, {
    blobs, replaces, draftOf: replaces ? null : householdId,
    report: { id, householdId, createdAt: now(), status: null, trackingCode: null, sealed: mine, tip: true },
  });
  return id;
}

/**
 * Queues a follow-up on the household's anonymous tip: it goes through the tip's mailbox, never through /sync.
 * @returns {Promise<string>} the message id
 */
export async function queueTipMessage(session, householdId, tipId, body) {
  const id = crypto.randomUUID();
  const words = await tipWords({ body });
  const [box, mine, delay] = await Promise.all([encrypt(await deviceKey(), { type: 'message', id, ...words }),
    lockUp(session, { type: 'mine', body }), tipDelay(false)]);
  await store.queueTipItem(tipId, { id, box, dueAt: Date.now() + delay },
    { id: 'out:' + id, reportId: tipId, householdId, at: now(), sealed: mine, outboxId: id });
  return id;
}

/** Queues the "read" mark of an officer's reply on a tip, for its mailbox. */
export async function queueTipReceipt(tipId, messageId) {
  const id = crypto.randomUUID();
  const box = await encrypt(await deviceKey(), { type: 'receipt', id, target_id: messageId });
  await store.queueTipItem(tipId, { id, box, dueAt: Date.now() + await tipDelay(false) });
}

/**
 * Queues a follow-up message on one of the household's reports (sealed like the tip on a named tip: `tip`), and
 * keeps the household's copy.
 * @returns {Promise<string>} the message id
 */
export async function queueMessage(session, householdId, reportId, body, tip = false) {
  const id = crypto.randomUUID();
  const at = now();
  const words = tip ? await tipWords({ body }) : { body };
  const [box, mine] = await Promise.all([
    signItem(session, { type: 'message', id, report_id: reportId, ...words, created_at: at })
      .then(async (item) => encrypt(await deviceKey(), item)),
    lockUp(session, { type: 'mine', body }),
  ]);
  await store.queue({ id, type: 'message', householdId, state: 'waiting', createdAt: at, payload: box },
    { event: { id: 'out:' + id, reportId, householdId, at, sealed: mine, outboxId: id } });
  return id;
}

/** Queues a read receipt ("message" or "announcement"). No household named; the receipt of a reply to a report is
 *  signed by the report's household (session), an announcement's is not. */
export async function queueReceipt(target, targetId, session = null) {
  const id = crypto.randomUUID();
  const payload = await signItem(session, { type: 'receipt', id, target, target_id: targetId, read_at: now() });
  const box = await encrypt(await deviceKey(), payload);
  await store.queue({ id, type: 'receipt', householdId: null, state: 'waiting', createdAt: payload.read_at,
    payload: box });
}

/** Decrypts the queued bytes of one photo. @returns {Promise<ArrayBuffer|null>} */
export async function photoBytes(attachmentId) {
  const rec = await store.photo(attachmentId);
  return rec ? decryptBytes(await deviceKey(), rec.data) : null;
}
