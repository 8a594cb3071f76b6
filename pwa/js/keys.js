// A household's keys (docs/adr/0005-household-keys.md): wrap (PIN alone) wraps the sign key; KEK (wrap + the
// server's share) wraps every key that reads. No network here (household-keys.js).
import { toB64u } from './bytes.js';

const subtle = crypto.subtle;
const enc = new TextEncoder();
export const ITERATIONS = 100000;
const AES = { name: 'AES-GCM', length: 256 };
const BOX = { name: 'ECDH', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', namedCurve: 'P-256' };

async function hkdf(ikm, info, length = 256) {
  const base = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0),
    info: enc.encode(info) }, base, length));
}

/** PBKDF2(PIN, salt) then HKDF: check is sent as pin_check, wrap never leaves the phone. */
export async function pinValues(pin, salt, iterations = ITERATIONS) {
  const base = await subtle.importKey('raw', enc.encode(pin), 'PBKDF2', false, ['deriveBits']);
  const stretched = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, base, 256);
  const [check, wrap] = await Promise.all([hkdf(stretched, 'binhan pin check'), hkdf(stretched, 'binhan pin wrap')]);
  return { check, wrap };
}

const aesKey = (raw) => subtle.importKey('raw', raw, AES, false, ['encrypt', 'decrypt']);

/** KEK = HKDF-SHA256(wrap ‖ share, info "binhan household kek"), as an AES-GCM key. */
export async function kek(wrap, share) {
  const ikm = new Uint8Array(wrap.length + share.length);
  ikm.set(wrap);
  ikm.set(share, wrap.length);
  return aesKey(await hkdf(ikm, 'binhan household kek'));
}

async function seal(key, bytes) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return { iv, ct: await subtle.encrypt({ name: 'AES-GCM', iv }, key, bytes) };
}
const unseal = (key, box) => subtle.decrypt({ name: 'AES-GCM', iv: box.iv }, key, box.ct);

/** New key pairs for a PIN, before the claim; body is what the claim sends. */
export async function newKeys(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const [{ check, wrap }, box, sign] = await Promise.all([pinValues(pin, salt),
    subtle.generateKey(BOX, true, ['deriveBits']), subtle.generateKey(SIGN, true, ['sign', 'verify'])]);
  const [boxPublic, signPublic] = await Promise.all([subtle.exportKey('raw', box.publicKey),
    subtle.exportKey('raw', sign.publicKey)]);
  return { salt, check, wrap, box, sign, boxPublic, signPublic,
    body: { box_public_key: toB64u(boxPublic), sign_public_key: toB64u(signPublic), pin_check: toB64u(check) } };
}

/** The household record's keys once the claim gave the share (sign key under wrap; box and records keys under
 *  the KEK), and the open session. */
export async function sealKeys(fresh, share, keyId) {
  const records = await subtle.generateKey(AES, true, ['encrypt', 'decrypt']);
  const [wrapKey, k] = await Promise.all([aesKey(fresh.wrap), kek(fresh.wrap, share)]);
  const [signPkcs8, boxPkcs8, recordsRaw] = await Promise.all([subtle.exportKey('pkcs8', fresh.sign.privateKey),
    subtle.exportKey('pkcs8', fresh.box.privateKey), subtle.exportKey('raw', records)]);
  const keys = {
    v: 2, keyId, salt: fresh.salt, iterations: ITERATIONS, publicKey: fresh.boxPublic, signPublic: fresh.signPublic,
    wrappedSign: await seal(wrapKey, signPkcs8), wrappedBox: await seal(k, boxPkcs8),
    wrappedRecords: await seal(k, recordsRaw),
  };
  return { keys, session: await openAll(keys, fresh.wrap, share) };
}

/** The sign key with the PIN alone (offline), or null on a wrong PIN: an oracle for writing only (ADR 0005). */
export async function openSign(keys, wrap) {
  try {
    const pkcs8 = await unseal(await aesKey(wrap), keys.wrappedSign);
    const sign = await subtle.importKey('pkcs8', pkcs8, SIGN, false, ['sign']);
    return { v: 2, keyId: keys.keyId, sign, publicKey: keys.publicKey, key: null, privateKey: null };
  } catch {
    return null;
  }
}

/** The full session (writing and reading) from wrap and the server's share. Throws if either is wrong. */
export async function openAll(keys, wrap, share) {
  const writing = await openSign(keys, wrap);
  if (!writing) throw new Error('pin_wrong');
  const k = await kek(wrap, share);
  const [boxPkcs8, recordsRaw] = await Promise.all([unseal(k, keys.wrappedBox), unseal(k, keys.wrappedRecords)]);
  const [privateKey, key] = await Promise.all([subtle.importKey('pkcs8', boxPkcs8, BOX, false, ['deriveBits']),
    subtle.importKey('raw', recordsRaw, AES, false, ['encrypt', 'decrypt'])]);
  return { ...writing, privateKey, key };
}

/** JSON with keys sorted at every level and no whitespace (ADR 0005): Python's
 *  json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False). */
export function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map((x) => canonical(x ?? null)).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).filter((k) => v[k] !== undefined).sort()
      .map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

/** The item with its `signature`: ECDSA P-256/SHA-256 (r ‖ s, base64url) over canonical(item without signature). */
export async function signItem(session, item) {
  if (!session?.sign) return item;
  const { signature: _, ...rest } = item;
  const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, session.sign, enc.encode(canonical(rest)));
  return { ...rest, signature: toB64u(sig) };
}
