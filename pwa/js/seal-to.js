// Sealing to a public key on this device (the other half of seal.js, which opens): a tip's words to the commune's
// reading key (issue 11, ADR 0007) on the phone, a new commune key to the province's recovery key in the console.
// Loaded only when something is sealed: the shell's first load stays within its budget.
import { fromB64u, toB64u } from './bytes.js';
import { aesKey, EC } from './seal.js';

const subtle = crypto.subtle;
/** The HKDF info of a tip's text sealed to its commune's reading key (server/commune_keys). */
export const COMMUNE_TIP = 'binhan commune tip v1';
/** The HKDF info of a tip's photo or recording sealed to its commune's reading key (pwa/js/outbox.js). */
export const COMMUNE_FILE = 'binhan commune file v1';
/** The HKDF info of a report's photo or recording sealed to the server's queue key (server/queue_key.py). */
export const QUEUE_FILE = 'binhan queue file v1';
/** The HKDF info of a queued item sealed to the server's queue key (server/queue_key.py). */
export const QUEUE = 'binhan queue v1';

/**
 * Seals bytes to a P-256 public key, in the layout the server's sealing.py opens: ephemeral key ‖ nonce ‖ ciphertext.
 * @param {string} point base64url uncompressed public key @param {Uint8Array} bytes @param {string} info
 * @returns {Promise<Uint8Array>}
 */
export async function sealRaw(point, bytes, info) {
  const recipient = await subtle.importKey('raw', fromB64u(point), EC, false, []);
  const ephemeral = await subtle.generateKey(EC, true, ['deriveBits']);
  const shared = await subtle.deriveBits({ name: 'ECDH', public: recipient }, ephemeral.privateKey, 256);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const [epk, sealed] = await Promise.all([subtle.exportKey('raw', ephemeral.publicKey),
    aesKey(shared, info, 'encrypt').then((key) => subtle.encrypt({ name: 'AES-GCM', iv }, key, bytes))]);
  const out = new Uint8Array(65 + 12 + sealed.byteLength);
  out.set(new Uint8Array(epk)); out.set(iv, 65); out.set(new Uint8Array(sealed), 77);
  return out;
}

/** sealRaw, in base64url (for JSON). @returns {Promise<string>} */
export const sealBytes = async (point, bytes, info) => toB64u(await sealRaw(point, bytes, info));

/** Seals a JSON value (see sealBytes); openEntry opens it. */
export const sealTo = (point, value, info) => sealBytes(point, new TextEncoder().encode(JSON.stringify(value)), info);
