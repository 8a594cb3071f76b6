// Crypto at rest for a phone shared by several households (docs/adr/pwa-crypto-at-rest.md).
// PIN --PBKDF2--> AES-GCM key (memory only, while unlocked). Each household has an ECDH P-256
// key pair: public key in clear, private key wrapped by the PIN key. Records written while the
// household is locked (sync) are sealed to its public key; the outbox copy of a queued item uses
// a per-device non-extractable AES-GCM key so the sync engine can send with every household locked.
import { keepDeviceKey } from './store.js';

const subtle = crypto.subtle;
const enc = new TextEncoder();
const dec = new TextDecoder();
const AES = { name: 'AES-GCM', length: 256 };
const EC = { name: 'ECDH', namedCurve: 'P-256' };
export const PBKDF2_ITERATIONS = 250000;
const SEAL_INFO = enc.encode('binh-an seal v1');

const iv = () => crypto.getRandomValues(new Uint8Array(12));

/** AES-GCM encrypts bytes. @returns {Promise<{iv: Uint8Array, ct: ArrayBuffer}>} */
export async function encryptBytes(key, bytes) {
  const v = iv();
  return { iv: v, ct: await subtle.encrypt({ name: 'AES-GCM', iv: v }, key, bytes) };
}

/** Reverses encryptBytes; throws if the key is wrong or the data was altered. */
export const decryptBytes = (key, box) => subtle.decrypt({ name: 'AES-GCM', iv: box.iv }, key, box.ct);

/** Encrypts a JSON value with an AES-GCM key. */
export const encrypt = (key, value) => encryptBytes(key, enc.encode(JSON.stringify(value)));

/** Decrypts a JSON value written by encrypt. */
export const decrypt = async (key, box) => JSON.parse(dec.decode(await decryptBytes(key, box)));

async function pinKey(pin, salt, iterations) {
  const base = await subtle.importKey('raw', enc.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, AES, false,
    ['encrypt', 'decrypt']);
}

/**
 * Creates the household's keys for a new PIN.
 * @param {string} pin 4-6 digits
 * @returns {Promise<{keys: object, session: {key: CryptoKey, privateKey: CryptoKey}}>}
 *   keys go into the household record; session stays in memory.
 */
export async function setupPin(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await pinKey(pin, salt, PBKDF2_ITERATIONS);
  const pair = await subtle.generateKey(EC, true, ['deriveBits']);
  const pkcs8 = await subtle.exportKey('pkcs8', pair.privateKey);
  const keys = {
    salt, iterations: PBKDF2_ITERATIONS,
    publicKey: await subtle.exportKey('raw', pair.publicKey),
    wrappedKey: await encryptBytes(key, pkcs8),
  };
  return { keys, session: { key, privateKey: await importPrivate(pkcs8) } };
}

const importPrivate = (pkcs8) => subtle.importKey('pkcs8', pkcs8, EC, false, ['deriveBits']);

/**
 * Checks a PIN by unwrapping the household's private key (AES-GCM fails on a wrong PIN).
 * @returns {Promise<{key: CryptoKey, privateKey: CryptoKey}|null>} the session, or null.
 */
export async function unlock(keys, pin) {
  const key = await pinKey(pin, keys.salt, keys.iterations);
  try {
    return { key, privateKey: await importPrivate(await decryptBytes(key, keys.wrappedKey)) };
  } catch {
    return null;
  }
}

async function sealKey(privateKey, publicKey, epkRaw, usage) {
  const bits = await subtle.deriveBits({ name: 'ECDH', public: publicKey }, privateKey, 256);
  const ikm = await subtle.importKey('raw', bits, 'HKDF', false, ['deriveKey']);
  return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: epkRaw, info: SEAL_INFO }, ikm, AES,
    false, [usage]);
}

/**
 * Seals a JSON value to a household's public key (ephemeral ECDH + HKDF + AES-GCM), so only
 * its PIN can open it. Used for what arrives while the household is locked.
 * @param {ArrayBuffer} publicRaw the household's raw public key
 */
export const seal = (publicRaw, value) => sealBytesTo(publicRaw, enc.encode(JSON.stringify(value)));

async function sealBytesTo(publicRaw, bytes) {
  const pub = await subtle.importKey('raw', publicRaw, EC, false, []);
  const eph = await subtle.generateKey(EC, true, ['deriveBits']);
  const epk = await subtle.exportKey('raw', eph.publicKey);
  const box = await encryptBytes(await sealKey(eph.privateKey, pub, epk, 'encrypt'), bytes);
  return { epk, ...box };
}

/**
 * Opens a household record's bytes: sealed boxes (with epk) use the private key, the others the PIN key.
 * @param {{key: CryptoKey, privateKey: CryptoKey}} session @returns {Promise<ArrayBuffer>}
 */
export async function openBytes(session, box) {
  if (!box.epk) return decryptBytes(session.key, box);
  const pub = await subtle.importKey('raw', box.epk, EC, false, []);
  return decryptBytes(await sealKey(session.privateKey, pub, box.epk, 'decrypt'), box);
}

/** Opens a household record (a JSON value: see openBytes). */
export const open = async (session, box) => JSON.parse(dec.decode(await openBytes(session, box)));

/** Encrypts a household record's bytes while it is unlocked: its records key, or sealed to its box key when the
 *  session only writes (unlocked offline, ADR 0005: no share, no reading key). */
export const lockUpBytes = (session, bytes) => (session.key ? encryptBytes(session.key, bytes)
  : sealBytesTo(session.publicKey, bytes));

/** Encrypts a household record (a JSON value: see lockUpBytes). */
export const lockUp = (session, value) => lockUpBytes(session, enc.encode(JSON.stringify(value)));

let deviceKeyPromise = null;

/**
 * The per-device, non-extractable AES-GCM key for the outbox copy of queued items. Created once;
 * the page and the service worker may race, so the first one stored wins.
 * @returns {Promise<CryptoKey>}
 */
export function deviceKey() {
  if (!deviceKeyPromise) {
    deviceKeyPromise = subtle.generateKey(AES, false, ['encrypt', 'decrypt']).then(keepDeviceKey)
      .catch((e) => { deviceKeyPromise = null; throw e; });
  }
  return deviceKeyPromise;
}

/** Lowercase hex SHA-256 of bytes. */
export async function sha256Hex(bytes) {
  const h = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('');
}
