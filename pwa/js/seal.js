// A tip's mailbox keys (ADR 0004): a 32-byte secret that names the mailbox, and a P-256 key pair to which the
// server seals what officers write: sealed = ephemeral public key (65) ‖ nonce (12) ‖ AES-256-GCM ciphertext+tag,
// key = HKDF-SHA256(ECDH shared secret, salt empty, info "binhan mailbox v1").
import { fromB64u, toB64u, toHex } from './bytes.js';

const subtle = crypto.subtle;
export const EC = { name: 'ECDH', namedCurve: 'P-256' };
const MAILBOX = 'binhan mailbox v1';
/** The HKDF info of feed entries sealed to a household's box key (ADR 0005): same layout as a mailbox entry. */
export const HOUSEHOLD = 'binhan household v1';

/**
 * A new mailbox: what the phone keeps (secret, private key as JWK) and what the tip carries (verifier, public key).
 * @returns {Promise<{secret: string, jwk: JsonWebKey, announce: {verifier: string, public_key: string}}>}
 */
export async function newMailbox() {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const pair = await subtle.generateKey(EC, true, ['deriveBits']);
  const [raw, jwk, hash] = await Promise.all([subtle.exportKey('raw', pair.publicKey),
    subtle.exportKey('jwk', pair.privateKey), subtle.digest('SHA-256', secret)]);
  return { secret: toB64u(secret), jwk, announce: { verifier: toHex(hash), public_key: toB64u(raw) } };
}

/** The mailbox's private key (from its JWK) for openEntry; not extractable again. */
export const mailboxKey = (jwk) => subtle.importKey('jwk', jwk, EC, false, ['deriveBits']);

/** The AES-GCM key of a sealed entry: HKDF-SHA256 of the ECDH secret, empty salt, `info`. */
export const aesKey = async (shared, info, use) => subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256',
  salt: new Uint8Array(0), info: new TextEncoder().encode(info) },
await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']), { name: 'AES-GCM', length: 256 }, false, [use]);

/**
 * Opens one sealed mailbox entry (or, with info HOUSEHOLD, a household's feed entry).
 * @param {CryptoKey} privateKey @param {string} sealed base64url @param {string} [info] the HKDF info
 * @returns {Promise<object>} the entry's JSON; throws when it was not sealed to this key or was altered
 */
export async function openEntry(privateKey, sealed, info = MAILBOX) {
  return JSON.parse(new TextDecoder().decode(await openRaw(privateKey, fromB64u(sealed), info)));
}

/** Opens sealed bytes (ephemeral key ‖ nonce ‖ ciphertext, as seal-to.js sealRaw writes). @returns {Promise<ArrayBuffer>} */
export async function openRaw(privateKey, bytes, info) {
  const epk = await subtle.importKey('raw', bytes.subarray(0, 65), EC, false, []);
  const shared = await subtle.deriveBits({ name: 'ECDH', public: epk }, privateKey, 256);
  const key = await aesKey(shared, info, 'decrypt');
  return subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(65, 77) }, key, bytes.subarray(77));
}
