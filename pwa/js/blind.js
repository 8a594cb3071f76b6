// The phone's half of RFC 9474 blind RSA signatures, variant RSABSSA-SHA384-PSS-Deterministic (ADR 0004):
// EMSA-PSS-Encode (SHA-384, MGF1-SHA-384, 48-byte salt), blind with a random r, finalize with r^-1 mod n, and a
// WebCrypto check of the final signature. BigInt arithmetic; 2048-bit keys (~20 ms per token on a cheap phone).
import { fromHex, toHex } from './bytes.js';

const subtle = crypto.subtle;
const H_LEN = 48;
export const SALT_LEN = 48;
const PSS = { name: 'RSA-PSS', hash: 'SHA-384' };

const sha384 = async (bytes) => new Uint8Array(await subtle.digest('SHA-384', bytes));
const toInt = (bytes) => BigInt('0x' + (toHex(bytes) || '0'));
/** The big-endian bytes of x, left-padded to len. */
const toBytes = (x, len) => fromHex(x.toString(16).padStart(len * 2, '0'));
const concat = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { out.set(p, at); return at + p.length; }, 0);
  return out;
};

/** base^exp mod m (square and multiply). */
export function modPow(base, exp, m) {
  let result = 1n;
  base %= m;
  for (; exp > 0n; exp >>= 1n) {
    if (exp & 1n) result = (result * base) % m;
    base = (base * base) % m;
  }
  return result;
}

/** a^-1 mod m (extended Euclid); throws when a and m are not coprime. */
export function modInverse(a, m) {
  let [r0, r1, t0, t1] = [m, ((a % m) + m) % m, 0n, 1n];
  while (r1) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((t0 % m) + m) % m;
}

/** Reads one DER element at `at`: {tag, start, end} of its contents. */
function derElement(der, at) {
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  if (start + len > der.length) throw new Error('bad DER');
  return { tag, start, end: start + len };
}

/**
 * The RSA modulus and exponent of a SubjectPublicKeyInfo (DER): SEQUENCE { algorithm, BIT STRING { 00,
 * SEQUENCE { INTEGER n, INTEGER e } } }.
 * @param {Uint8Array} spki @returns {{n: bigint, e: bigint, len: number}} len is the modulus length in bytes
 */
export function rsaPublicKey(spki) {
  const der = new Uint8Array(spki);
  const outer = derElement(der, 0);
  const algorithm = derElement(der, outer.start);
  const bits = derElement(der, algorithm.end);
  if (outer.tag !== 0x30 || algorithm.tag !== 0x30 || bits.tag !== 0x03 || der[bits.start] !== 0) {
    throw new Error('not an RSA SubjectPublicKeyInfo');
  }
  const seq = derElement(der, bits.start + 1);
  const nEl = derElement(der, seq.start);
  const eEl = derElement(der, nEl.end);
  if (seq.tag !== 0x30 || nEl.tag !== 0x02 || eEl.tag !== 0x02) throw new Error('not an RSA public key');
  const n = toInt(der.subarray(nEl.start, nEl.end));
  return { n, e: toInt(der.subarray(eEl.start, eEl.end)), len: Math.ceil(n.toString(2).length / 8) };
}

async function mgf1(seed, len) {
  const out = [];
  for (let c = 0; out.length * H_LEN < len; c++) out.push(await sha384(concat(seed, toBytes(BigInt(c), 4))));
  return concat(...out).subarray(0, len);
}

/**
 * EMSA-PSS-ENCODE of RFC 8017 §9.1.1 with SHA-384, MGF1-SHA-384 and a 48-byte salt.
 * @param {Uint8Array} msg @param {number} emBits bit length of n minus 1 @param {Uint8Array} [salt] random unless given
 */
export async function emsaPssEncode(msg, emBits, salt = crypto.getRandomValues(new Uint8Array(SALT_LEN))) {
  const emLen = Math.ceil(emBits / 8);
  if (emLen < H_LEN + SALT_LEN + 2) throw new Error('key too small');
  const h = await sha384(concat(new Uint8Array(8), await sha384(msg), salt));
  const db = concat(new Uint8Array(emLen - SALT_LEN - H_LEN - 2), Uint8Array.of(1), salt);
  const mask = await mgf1(h, db.length);
  const masked = db.map((b, i) => b ^ mask[i]);
  masked[0] &= 0xff >> (8 * emLen - emBits);
  return concat(masked, h, Uint8Array.of(0xbc));
}

/** A uniformly random integer in [1, n) coprime with n. */
function randomUnit(n, len) {
  const top = n.toString(2).length % 8 || 8;
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(len));
    bytes[0] &= 0xff >> (8 - top);
    const r = toInt(bytes);
    if (r > 0n && r < n) {
      try { modInverse(r, n); return r; } catch { /* shares a factor with n: astronomically rare, draw again */ }
    }
  }
}

/**
 * Blind(pk, msg): the value the server signs without seeing msg, and the inverse that unblinds its answer.
 * @param {Uint8Array} spki the commune's tip key (DER) @param {Uint8Array} msg the token's random message
 * @param {{salt?: Uint8Array, r?: bigint}} [fixed] for test vectors only
 * @returns {Promise<{blinded: Uint8Array, inv: bigint}>}
 */
export async function blind(spki, msg, fixed = {}) {
  const { n, e, len } = rsaPublicKey(spki);
  const m = toInt(await emsaPssEncode(msg, n.toString(2).length - 1, fixed.salt));
  modInverse(m, n); // RFC 9474 §4.2 step 3: m must be coprime with n
  const r = fixed.r ?? randomUnit(n, len);
  const inv = modInverse(r, n);
  return { blinded: toBytes((m * modPow(r, e, n)) % n, len), inv };
}

/** RSASSA-PSS verification by WebCrypto (SHA-384, salt 48): true when sig is the key's signature of msg. */
export async function verify(spki, msg, sig) {
  const key = await subtle.importKey('spki', spki, PSS, false, ['verify']);
  return subtle.verify({ name: 'RSA-PSS', saltLength: SALT_LEN }, key, sig, msg);
}

/**
 * Finalize(pk, msg, blind_sig, inv): unblinds the server's answer and checks the signature before it is kept.
 * @returns {Promise<Uint8Array>} the token's signature; throws when it does not verify
 */
export async function finalize(spki, msg, blindSig, inv) {
  const { n, len } = rsaPublicKey(spki);
  if (blindSig.length !== len) throw new Error('bad blind signature length');
  const sig = toBytes((toInt(blindSig) * inv) % n, len);
  if (!(await verify(spki, msg, sig))) throw new Error('blind signature does not verify');
  return sig;
}
