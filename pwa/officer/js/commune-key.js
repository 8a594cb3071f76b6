// The commune's reading key for tips (issue 11, server/commune_keys) in the officer's browser. The head makes it
// here; the server only ever gets its private half wrapped (by the officers' passphrase, and to the province's
// recovery key). An officer unwraps it with the passphrase; it stays in this page's memory (not extractable, not
// stored) and opens the tips phones sealed to it. A reload forgets it.
import { api } from './api.js';
import { fromB64u, toB64u } from '../../js/bytes.js';
import { openEntry, openRaw } from '../../js/seal.js';
import { COMMUNE_FILE, COMMUNE_TIP, sealBytes } from '../../js/seal-to.js';

const subtle = crypto.subtle;
const EC = { name: 'ECDH', namedCurve: 'P-256' };
const ITERATIONS = 600000; // PBKDF2-SHA256, as server/commune_keys/wrapping.py
const RECOVERY = 'binhan commune key recovery v1';
export const MIN_PASSPHRASE = 12;

const opened = new Map(); // key version -> private CryptoKey

/** @returns {Promise<{recovery_public_key: string|null, keys: {version: number, passphrase_wrap: object}[]}>} */
export const keys = () => api('/commune-keys');

/** Whether this page holds an opened key. */
export const isOpen = () => opened.size > 0;

const wrappingKey = async (passphrase, salt, iterations, use) => subtle.deriveKey(
  { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
  await subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveKey']),
  { name: 'AES-GCM', length: 256 }, false, [use]);

const importPrivate = (pkcs8) => subtle.importKey('pkcs8', pkcs8, EC, false, ['deriveBits']);

/**
 * Makes a new version of the commune's key (the head): older versions stay for older tips.
 * @param {string} passphrase the officers' passphrase (at least MIN_PASSPHRASE characters)
 * @returns {Promise<number>} the new version
 */
export async function create(passphrase) {
  const { recovery_public_key: recovery } = await keys();
  const pair = await subtle.generateKey(EC, true, ['deriveBits']);
  const [pkcs8, point] = await Promise.all([subtle.exportKey('pkcs8', pair.privateKey),
    subtle.exportKey('raw', pair.publicKey)]);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wrapping = await wrappingKey(passphrase, salt, ITERATIONS, 'encrypt');
  const [ciphertext, recoveryWrap] = await Promise.all([subtle.encrypt({ name: 'AES-GCM', iv }, wrapping, pkcs8),
    recovery ? sealBytes(recovery, new Uint8Array(pkcs8), RECOVERY) : '']);
  const made = await api('/commune-keys', { method: 'POST', json: { public_key: toB64u(point),
    passphrase_wrap: { kdf: 'pbkdf2-sha256', iterations: ITERATIONS, salt: toB64u(salt), iv: toB64u(iv),
      ciphertext: toB64u(ciphertext) }, recovery_wrap: recoveryWrap } });
  opened.set(made.version, await importPrivate(pkcs8));
  return made.version;
}

/**
 * Opens every version the passphrase unwraps. @param {string} passphrase
 * @returns {Promise<boolean>} false when it opens none (a wrong passphrase)
 */
export async function unlock(passphrase) {
  for (const key of (await keys()).keys) {
    const w = key.passphrase_wrap;
    try {
      const wrapping = await wrappingKey(passphrase, fromB64u(w.salt), w.iterations, 'decrypt');
      const pkcs8 = await subtle.decrypt({ name: 'AES-GCM', iv: fromB64u(w.iv) }, wrapping, fromB64u(w.ciphertext));
      opened.set(key.version, await importPrivate(pkcs8));
    } catch { /* not this passphrase's: a version wrapped under another one */ }
  }
  return isOpen();
}

/** Forgets the opened keys (sign-out, "lock"). */
export const lock = () => opened.clear();

/**
 * Puts a sealed report's (or message's) words in place: body and location from the seal when this page holds its
 * key version, else `locked: true` (the screen says how to open it).
 * @param {{sealed?: {key_version: number, box: string}, body: string, location?: string}} record
 */
export async function reveal(record) {
  if (!record.sealed) return record;
  const key = opened.get(record.sealed.key_version);
  if (!key) return Object.assign(record, { locked: true });
  try {
    const words = await openEntry(key, record.sealed.box, COMMUNE_TIP);
    return Object.assign(record, { body: words.body || '', location: words.location || '', locked: false });
  } catch {
    return Object.assign(record, { locked: true });
  }
}

/** What each type's bytes start with: a sealed file is shown only as what it says it is (the server cannot check). */
const MAGIC = {
  'image/jpeg': [[0, [0xff, 0xd8, 0xff]]],
  'image/png': [[0, [0x89, 0x50, 0x4e, 0x47]]],
  'image/webp': [[0, [0x52, 0x49, 0x46, 0x46]], [8, [0x57, 0x45, 0x42, 0x50]]],
  'audio/webm': [[0, [0x1a, 0x45, 0xdf, 0xa3]]],
  'audio/ogg': [[0, [0x4f, 0x67, 0x67, 0x53]]],
};
const isA = (type, bytes) => (MAGIC[type] || []).length > 0
  && MAGIC[type].every(([at, magic]) => magic.every((b, i) => bytes[at + i] === b));

/** Whether this page can show a report's file: in clear, or sealed to a version it holds open. */
export const canOpen = (file) => file.key_version == null || opened.has(file.key_version);

/**
 * A file of a report as the browser may show it: a tip's sealed one (`key_version`) opened with this page's key
 * and checked to be the picture or sound it is declared as; the others as they came.
 * @param {{key_version?: number|null, content_type: string}} file @param {Blob} fetched @returns {Promise<Blob>}
 */
export async function openFile(file, fetched) {
  if (file.key_version == null) return fetched;
  const key = opened.get(file.key_version);
  if (!key) throw new Error('sealed to a key this page has not opened (check canOpen first)');
  const plain = new Uint8Array(await openRaw(key, new Uint8Array(await fetched.arrayBuffer()), COMMUNE_FILE));
  if (!isA(file.content_type, plain)) throw new Error('not the file it says it is');
  return new Blob([plain], { type: file.content_type });
}

/** A report with its thread revealed. */
export const revealReport = async (report) => {
  await Promise.all([reveal(report), ...(report.messages || []).map(reveal)]);
  return report;
};
