// The SMS body of a queued report (issue 17, docs/adr/0006-sms-fallback.md): the twin of server/sms/codec.py,
// which documents the format. Same item, same key → the same characters (tests/browser/test_sms_pwa.py decodes
// what this writes with the Python codec). No network, no storage: a pure function of the item and the key.
import { WORDS } from './sms-words.js';
import { fromB64u } from './bytes.js';

export const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
  + '!"#%&\'()*+,-./:;<=>?_$'
  + '£¥èéùìòØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà';
const BASE = BigInt(ALPHABET.length);
const HEADER = 5;
const PART_CHARS = 160 - HEADER;
const MAX_PARTS = 20;
const MAC_BYTES = 8;
const KINDS = ['tip', 'complaint', 'question', 'appointment', 'help', 'lost_found'];
const CATEGORIES = ['drugs', 'theft', 'gambling', 'loan_shark', 'fraud', 'violence', 'racing', 'other'];
const CONTENT_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const VOWELS = ['aàáảãạ', 'ăằắẳẵặ', 'âầấẩẫậ', 'eèéẻẽẹ', 'êềếểễệ', 'iìíỉĩị', 'oòóỏõọ', 'ôồốổỗộ', 'ơờớởỡợ',
  'uùúủũụ', 'ưừứửữự', 'yỳýỷỹỵ'];
const LOWER = 'abcdefghijklmnopqrstuvwxyzđ' + VOWELS.map((v) => v.slice(1)).join('') + 'ăâêôơư';
const CHARS = LOWER + '0123456789 \n.,;:!?-/()"\'%+=&#@_…–“”';
const CHAR_INDEX = new Map([...CHARS].map((c, i) => [c, i]));
const UPPER = new Map([...LOWER].map((c) => [c.toUpperCase(), c]));
const WORD_INDEX = new Map(WORDS.map((w, i) => [w, i]));
const REQUIRED = ['type', 'id', 'household_id', 'kind', 'body', 'anonymous', 'created_at', 'attachments'];
const OPTIONAL = ['category', 'location', 'urgency', 'appointment_at', 'signature'];
const CREATED_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const APPOINTMENT_AT = /^(\d{4}-\d\d-\d\dT\d\d:\d\d):00([+-])(\d\d):(\d\d)$/;

class Unencodable extends Error {}

class Bits {
  constructor() { this.bits = []; }
  write(value, width) {
    const v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(width)) throw new Unencodable(`${value} in ${width} bits`);
    for (let k = width - 1; k >= 0; k--) this.bits.push(Number((v >> BigInt(k)) & 1n));
  }
  varint(value) {
    let v = BigInt(value);
    if (v < 0n) throw new Unencodable('negative');
    for (;;) {
      const group = v & 0x7fn;
      v >>= 7n;
      this.write(v ? 1 : 0, 1);
      this.write(group, 7);
      if (!v) return;
    }
  }
  bytes() {
    const out = new Uint8Array(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => { out[i >> 3] |= b << (7 - (i & 7)); });
    return out;
  }
}

const LETTERS = new Set([...LOWER, ...UPPER.keys()]);
const isLetter = (c) => LETTERS.has(c);

function wordCode(run) {
  if (WORD_INDEX.has(run)) return [false, WORD_INDEX.get(run)];
  const lower = run[0].toLowerCase() + run.slice(1);
  if (UPPER.has(run[0]) && run.slice(1) === run.slice(1).toLowerCase() && WORD_INDEX.has(lower)) {
    return [true, WORD_INDEX.get(lower)];
  }
  return null;
}

function word(bits, index) {
  if (index < 256) { bits.write(0, 1); bits.write(index, 8); } else { bits.write(0b110, 3); bits.write(index - 256, 9); }
}

function char(bits, ch) {
  if (CHAR_INDEX.has(ch)) { bits.write(0b10, 2); bits.write(CHAR_INDEX.get(ch), 7); } else if (UPPER.has(ch)) {
    bits.write(0b1110, 4);
    char(bits, UPPER.get(ch));
  } else {
    for (let k = 0; k < ch.length; k++) { bits.write(0b11110, 5); bits.write(ch.charCodeAt(k), 16); }
  }
}

// Letters are single UTF-16 units, so a run is found unit by unit as in Python code point by code point.
function runEnd(text, start) {
  let end = start;
  while (end < text.length && isLetter(text[end])) end++;
  return end;
}

function writeText(bits, text, mode) {
  if (mode === 'U') {
    bits.varint(text.length);
    for (let k = 0; k < text.length; k++) bits.write(text.charCodeAt(k), 16);
    return;
  }
  let pos = 0;
  let afterWord = false;
  while (pos < text.length) {
    const ch = text[pos];
    if (isLetter(ch)) {
      const end = runEnd(text, pos);
      const code = wordCode(text.slice(pos, end));
      if (code) {
        if (code[0]) bits.write(0b1110, 4);
        word(bits, code[1]);
        afterWord = true;
      } else {
        for (const letter of text.slice(pos, end)) char(bits, letter);
        afterWord = false;
      }
      pos = end;
      continue;
    }
    if (ch === ' ' && afterWord && pos + 1 < text.length && isLetter(text[pos + 1])
      && wordCode(text.slice(pos + 1, runEnd(text, pos + 1)))) {
      pos += 1; // implied between two dictionary words
      continue;
    }
    // A surrogate pair goes as its two units (Python sees one code point and writes the same two).
    char(bits, ch);
    afterWord = false;
    pos += 1;
  }
  bits.write(0b11111, 5);
}

function ms(moment) {
  if (typeof moment !== 'string' || !CREATED_AT.test(moment)) throw new Unencodable('created_at');
  const value = Date.parse(moment);
  if (new Date(value).toISOString() !== moment) throw new Unencodable('created_at');
  return value;
}

function uuidBits(bits, value) {
  if (typeof value !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value)) {
    throw new Unencodable('uuid');
  }
  bits.write(BigInt('0x' + value.replace(/-/g, '')), 128);
}

const bigOf = (bytes) => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);

function writeItem(bits, item, mode) {
  const keys = Object.keys(item).filter((k) => item[k] !== undefined); // JSON.stringify drops undefined
  if (keys.some((k) => !REQUIRED.includes(k) && !OPTIONAL.includes(k)) || REQUIRED.some((k) => !keys.includes(k))) {
    throw new Unencodable('keys');
  }
  if (item.type !== 'report' || !KINDS.includes(item.kind) || typeof item.anonymous !== 'boolean') {
    throw new Unencodable('not a report');
  }
  if (!Number.isInteger(item.household_id)) throw new Unencodable('household_id');
  bits.write(0, 2);
  bits.varint(item.household_id);
  bits.write(KINDS.indexOf(item.kind), 3);
  if (item.category === undefined) bits.write(0, 4);
  else if (item.category === null) bits.write(15, 4);
  else if (CATEGORIES.includes(item.category)) bits.write(1 + CATEGORIES.indexOf(item.category), 4);
  else throw new Unencodable('category');
  bits.write(item.anonymous ? 1 : 0, 1);
  const urgencies = [undefined, 'normal', 'urgent'];
  if (!urgencies.includes(item.urgency)) throw new Unencodable('urgency');
  bits.write(urgencies.indexOf(item.urgency), 2);
  bits.write(ms(item.created_at), 44);
  const location = item.location;
  if (location === undefined) bits.write(0, 2);
  else if (location === '') bits.write(1, 2);
  else if (typeof location === 'string') bits.write(2, 2);
  else throw new Unencodable('location');
  if (item.appointment_at === undefined) bits.write(0, 2);
  else if (item.appointment_at === null) bits.write(1, 2);
  else {
    const m = APPOINTMENT_AT.exec(String(item.appointment_at));
    const wall = m && Date.parse(m[1] + ':00Z');
    if (!m || Number.isNaN(wall) || new Date(wall).toISOString().slice(0, 16) !== m[1]) {
      throw new Unencodable('appointment_at');
    }
    const offset = (Number(m[3]) * 60 + Number(m[4])) * (m[2] === '-' ? -1 : 1);
    bits.write(2, 2);
    bits.write(wall / 60e3, 32);
    bits.write(offset + 1024, 11);
  }
  const attachments = item.attachments;
  if (!Array.isArray(attachments) || attachments.length > 3) throw new Unencodable('attachments');
  bits.write(attachments.length, 2);
  for (const a of attachments) {
    if (Object.keys(a).sort().join() !== 'content_type,id,sha256,size') throw new Unencodable('attachment keys');
    uuidBits(bits, a.id);
    if (!/^[0-9a-f]{64}$/.test(a.sha256) || !Number.isInteger(a.size) || !CONTENT_TYPES.includes(a.content_type)) {
      throw new Unencodable('attachment');
    }
    bits.write(BigInt('0x' + a.sha256), 256);
    bits.write(a.size, 23);
    bits.write(CONTENT_TYPES.indexOf(a.content_type), 2);
  }
  if (item.signature !== undefined) {
    const raw = typeof item.signature === 'string' && /^[A-Za-z0-9_-]{86}$/.test(item.signature)
      ? fromB64u(item.signature) : null;
    if (!raw || raw.length !== 64) throw new Unencodable('signature');
    bits.write(1, 1);
    bits.write(bigOf(raw), 512);
  } else bits.write(0, 1);
  if (typeof item.body !== 'string') throw new Unencodable('body');
  writeText(bits, item.body, mode);
  if (location) writeText(bits, location, mode);
}

const enc = new TextEncoder();
const hmacKey = (raw) => crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
const hmac = async (key, data) => new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
const concat = (...arrays) => {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) { out.set(a, at); at += a.length; }
  return out;
};

async function keystream(key, id, length) {
  const k = await hmacKey(await hmac(key, enc.encode('binhan sms enc')));
  const blocks = [];
  for (let i = 0; i <= length / 32; i++) blocks.push(await hmac(k, concat(id, new Uint8Array([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]))));
  return concat(...blocks).slice(0, length);
}

function varintBytes(value) {
  const out = [];
  let v = value;
  for (;;) {
    const group = v & 0x7f;
    v = Math.floor(v / 128);
    out.push(group | (v ? 0x80 : 0));
    if (!v) return new Uint8Array(out);
  }
}

function toDigits(payload) {
  let n = bigOf(concat(new Uint8Array([1]), payload));
  const digits = [];
  while (n) { digits.push(ALPHABET[Number(n % BASE)]); n /= BASE; }
  return digits.reverse().join('');
}

async function encodeMode(item, deviceId, keyBytes, mode) {
  const bits = new Bits();
  writeItem(bits, item, mode);
  const plain = bits.bytes();
  const id = Uint8Array.from(item.id.replace(/-/g, '').match(/../g), (x) => parseInt(x, 16));
  if (id.length !== 16) throw new Unencodable('id');
  const key = await hmacKey(keyBytes);
  const stream = await keystream(key, id, plain.length);
  const secret = plain.map((b, i) => b ^ stream[i]);
  const signed = concat(varintBytes(deviceId), id, secret);
  const macKey = await hmacKey(await hmac(key, enc.encode('binhan sms mac')));
  const mac = (await hmac(macKey, concat(enc.encode(mode), signed))).slice(0, MAC_BYTES);
  const digits = toDigits(concat(signed, mac));
  const chunks = digits.match(new RegExp(`[^]{1,${PART_CHARS}}`, 'gu')) || [];
  if (chunks.length > MAX_PARTS) throw new Unencodable('too long');
  const n = (id[0] * 256 + id[1]) % (ALPHABET.length ** 2);
  const ident = ALPHABET[Math.floor(n / ALPHABET.length)] + ALPHABET[n % ALPHABET.length];
  return chunks.map((c, i) => mode + ALPHABET[chunks.length] + ALPHABET[i] + ident + c);
}

/**
 * The SMS parts of a queued report item (the object the outbox pushes), in the mode with fewer parts.
 * @param {object} item @param {number} deviceId @param {Uint8Array} keyBytes the device's SMS key
 * @returns {Promise<string[]|null>} null when the item cannot go by SMS exactly (too long, unusual fields)
 */
export async function encode(item, deviceId, keyBytes) {
  const options = [];
  for (const mode of ['D', 'U']) {
    try { options.push(await encodeMode(item, deviceId, keyBytes, mode)); } catch (e) {
      if (!(e instanceof Unencodable)) throw e;
    }
  }
  if (!options.length) return null;
  const size = (parts) => parts.length * 1e6 + parts.join('').length;
  return options.sort((a, b) => size(a) - size(b))[0];
}
