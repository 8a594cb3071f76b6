// The queue of items waiting for the server (docs/adr/pwa-outbox-sync.md). Ids are made once,
// here, at queue time: a retry re-sends the same id and the server answers "duplicate".
// The outbox copy is encrypted with the device key (sendable while every household is locked) and, inside it, sealed
// to the server's queue key once signed (issue 11: the device key is on any copy of the phone); photos and recordings
// are sealed too, a tip's to the commune's key (queuedFiles). The household's own copy is under its PIN key.
import { gzip } from '../lib/api.js';
import * as store from './store.js';
import { deviceKey, encrypt, encryptBytes, lockUp, lockUpBytes, decryptBytes, openBytes, sha256Hex } from './crypto.js';
import { addOwned, boxKey, dayOnly, householdDraft, ownership, sealedOwner } from './mine.js';
import { newMailbox } from './seal.js';
import { noteQueued, partsFor } from './sms.js';

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

const MAX_RECORDING_MS = 120000; // server/attachments/audio.py MAX_SECONDS

/**
 * Whom a report's files are sealed to at writing time (issue 11): a tip's to the commune's reading key when the
 * phone knows it, like its words (the server keeps ciphertext); any other's to the server's queue key (it opens
 * them once uploaded, then checks and cleans them). Null before the phone has the rules: queued as they are.
 */
async function fileRecipient(tip) {
  const communeKey = tip ? (await store.getMeta('tipKey'))?.commune_key : null;
  if (communeKey) {
    return { point: communeKey.public_key, info: 'COMMUNE_FILE', names: { key_version: communeKey.version }, commune: true };
  }
  const queueKey = (await store.getMeta('rules'))?.rules?.queue_key;
  return queueKey ? { point: queueKey.public_key, info: 'QUEUE_FILE', names: { key_id: queueKey.key_id } } : null;
}

/**
 * A report's photos and recording as the queue keeps them, and as it declares them: sealed (fileRecipient), so a
 * copy of the phone, which holds the device key, sees none of them; the declaration gives the sealed bytes' size
 * and SHA-256. The household keeps its own copy under its records key (the recording it plays back, the refused
 * report it fixes).
 * @param {object} session @param {{bytes: ArrayBuffer, sha256: string, size: number, content_type: string,
 *   duration_ms?: number}[]} files @param {boolean} tip
 * @returns {Promise<{attachments: object[], blobs: object[]}>}
 */
async function queuedFiles(session, files, tip) {
  const to = files.length ? await fileRecipient(tip) : null;
  const sealing = to ? await import('./seal-to.js') : null;
  const key = await deviceKey();
  const made = await Promise.all(files.map(async (f) => {
    const id = crypto.randomUUID();
    const plain = new Uint8Array(f.bytes);
    if (!sealing) {
      return { attachment: { id, sha256: f.sha256, size: f.size, content_type: f.content_type },
        blob: { id, data: await encryptBytes(key, plain) } };
    }
    const sealed = await sealing.sealRaw(to.point, plain, sealing[to.info]);
    const [sha256, data, own] = await Promise.all([sha256Hex(sealed), encryptBytes(key, sealed),
      lockUpBytes(session, plain)]);
    // The server counts a recording's length once it opens it; the commune's key it cannot open.
    const length = to.commune && f.duration_ms
      ? { duration_ms: Math.min(MAX_RECORDING_MS, Math.max(1, Math.round(f.duration_ms))) } : {};
    return { attachment: { id, sha256, size: sealed.byteLength, content_type: f.content_type, ...to.names, ...length },
      blob: { id, data, own } };
  }));
  return { attachments: made.map((m) => m.attachment), blobs: made.map((m) => m.blob) };
}

/**
 * An item as the outbox keeps it for /sync (issue 11): sealed to the server's queue key (rules.queue_key; the server
 * opens it at the edge of /sync), so a copy of the phone, which holds the device key, reads neither its words nor
 * its household. Left as it is when it is not signed yet (a household without keys: it is signed, and sealed, when
 * the household claims them, household-keys.js) or before the phone has the rules.
 * @param {object} item @param {boolean} final whether the item is as it will be sent (signed, or needs no signature)
 */
export async function forServer(item, final) {
  const key = (await store.getMeta('rules'))?.rules?.queue_key;
  if (!key || !final) return item;
  const { QUEUE, sealBytes } = await import('./seal-to.js');
  // Gzipped first: a sealed box does not compress on the way, and the words and keys of an item do (2G).
  const json = JSON.stringify(item);
  const bytes = new Uint8Array(self.CompressionStream ? await gzip(json) : new TextEncoder().encode(json));
  return { id: item.id, key_id: key.key_id, sealed: await sealBytes(key.public_key, bytes, QUEUE) };
}

/** Whether the household's session signs its items (a household with keys: ADR 0005). */
const signs = (session) => !!session?.sign;

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
  const { attachments, blobs } = await queuedFiles(session, photos, fields.kind === 'tip');
  const { body, location = '', ...rest } = fields;
  const words = fields.kind === 'tip' ? await tipWords({ body, location }) : { body, location };
  // Signed now, while the household is unlocked (ADR 0005): the engine sends with every household locked.
  const payload = await signItem(session, { type: 'report', id, household_id: householdId, ...rest, ...words,
    created_at: createdAt, attachments });
  // Its SMS parts are written now, while the item is in clear: the queue keeps it sealed (sms.js).
  const sealed = await forServer(payload, signs(session));
  const smsParts = sealed === payload ? null : await partsFor(payload).catch(() => null);
  const [box, mine, whose] = await Promise.all([encrypt(await deviceKey(), sealed),
    lockUp(session, { ...fields, ...attached(photos) }), ownership(householdId, createdAt)]);
  addOwned(session, householdId, id, createdAt);
  // The queued item names its report only, and its record's household is sealed (mine.js).
  await store.queue({ id, type: 'report', state: 'waiting', createdAt, payload: box,
    urgent: fields.urgency === 'urgent', smsParts, attachments: attachments.map((a) => ({ ...a, received: 0, done: false })) }, {
    blobs, replaces, draftOf: replaces ? null : (await householdDraft(session))?.id,
    report: { id, ...whose, status: null, trackingCode: null, sealed: mine },
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
 * without the household's id, the phone's clock or its token. The household's copy keeps the mailbox's secret and
 * private key; the queue keeps only the secret (device key), so the engine polls the mailbox while every household
 * is locked and files what comes sealed, for the household alone to open (issue 11). Nothing on the phone names
 * the tip's household in clear: its record's owner is sealed.
 * @returns {Promise<string>} the tip id
 */
export async function queueTip(session, householdId, fields, photos, replaces) {
  const id = crypto.randomUUID();
  const createdAt = now();
  const urgent = fields.urgency === 'urgent';
  const [mailbox, group, key] = await Promise.all([newMailbox(), store.getMeta('group'), deviceKey()]);
  const { attachments, blobs } = await queuedFiles(session, photos, true);
  const tip = { id, village_id: group?.village?.id, category: fields.category || 'other', urgency: fields.urgency,
    ...await tipWords({ body: fields.body, location: fields.location || '' }), attachments,
    mailbox: mailbox.announce };
  const secrets = { secret: mailbox.secret, jwk: mailbox.jwk };
  // Sealed to the server like a named item (its words too, when the commune has no reading key yet); its SMS
  // parts are written now, while it is in clear.
  const sealed = await forServer(tip, true);
  const smsParts = sealed === tip ? null : await partsFor(tip).catch(() => null);
  const [box, keys, mine, delayMs, whose] = await Promise.all([
    encrypt(key, sealed), encrypt(key, { secret: mailbox.secret }),
    lockUp(session, { ...fields, anonymous: true, ...attached(photos), mailbox: secrets }),
    tipDelay(urgent), boxKey(householdId).then((key) => sealedOwner(key, householdId, createdAt)),
  ]);
  addOwned(session, householdId, id, createdAt);
  noteQueued(id); // the queue keeps no moment of writing: the page remembers it (an urgent tip's SMS offer)
  await store.queueTip({ id, state: 'waiting', queuedAt: null, delayMs, urgent,
    smsParts, dueAt: null, box, keys,
    attachments: attachments.map((a) => ({ ...a, received: 0, done: false })), token: null, pending: [],
    trackingCode: null, since: null, pollAt: 0, closedAt: null }, {
    blobs, replaces, draftOf: replaces ? null : (await householdDraft(session))?.id,
    report: { id, ...whose, status: null, trackingCode: null, sealed: mine, tip: true },
  });
  return id;
}

/**
 * Queues a follow-up on the household's anonymous tip: it goes through the tip's mailbox, never through /sync.
 * @returns {Promise<string>} the message id
 */
export async function queueTipMessage(session, householdId, tipId, body) {
  const id = crypto.randomUUID();
  const at = now();
  const words = await tipWords({ body });
  const item = await forServer({ type: 'message', id, ...words }, true);
  const [box, mine, delay] = await Promise.all([encrypt(await deviceKey(), item),
    lockUp(session, { type: 'mine', body, written_at: at }), tipDelay(false)]);
  // The tip's household and the moment of writing: sealed; the event keeps the day (report.js shows the moment).
  await store.queueTipItem(tipId, { id, box, dueAt: Date.now() + delay },
    { id: 'out:' + id, reportId: tipId, at: dayOnly(at), sealed: mine, outboxId: id });
  return id;
}

/** Queues the "read" mark of an officer's reply on a tip, for its mailbox. */
export async function queueTipReceipt(tipId, messageId) {
  const id = crypto.randomUUID();
  const box = await encrypt(await deviceKey(), await forServer({ type: 'receipt', id, target_id: messageId }, true));
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
      .then((item) => forServer(item, signs(session))).then(async (item) => encrypt(await deviceKey(), item)),
    lockUp(session, { type: 'mine', body }),
  ]);
  await store.queue({ id, type: 'message', reportId, state: 'waiting', createdAt: at, payload: box },
    { event: { id: 'out:' + id, reportId, at, sealed: mine, outboxId: id } });
  return id;
}

/** Queues a read receipt ("message" or "announcement"). No household named; the receipt of a reply to a report is
 *  signed by the report's household (session), an announcement's is not. */
export async function queueReceipt(target, targetId, session = null) {
  const id = crypto.randomUUID();
  const payload = await signItem(session, { type: 'receipt', id, target, target_id: targetId, read_at: now() });
  const box = await encrypt(await deviceKey(), await forServer(payload, !session || signs(session)));
  await store.queue({ id, type: 'receipt', state: 'waiting', createdAt: payload.read_at,
    payload: box });
}

/**
 * The queued bytes of one photo or recording as the household made them: its own copy of a sealed file (a session
 * that reads opens it), else the queue's copy (queued before the phone had a key). @returns {Promise<ArrayBuffer|null>}
 */
export async function photoBytes(attachmentId, session) {
  const rec = await store.photo(attachmentId);
  if (!rec) return null;
  if (rec.own) return session ? openBytes(session, rec.own).catch(() => null) : null;
  return decryptBytes(await deviceKey(), rec.data);
}
