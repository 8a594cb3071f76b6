// The SMS body of a queued report (issue 17, docs/adr/0006-sms-fallback.md): the twin of server/sms/codec.py,
// which documents the format. Same item, same key → the same characters (tests/browser/test_sms_pwa.py decodes
// what this writes with the Python codec). No network, no storage: a pure function of the item and the key.
import { WORDS } from './sms-words.js';
import { fromB64u, toB64u } from './bytes.js';

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

const TIP_REQUIRED = ['id', 'village_id', 'category', 'urgency', 'attachments', 'mailbox'];
const TIP_OPTIONAL = ['body', 'location', 'sealed'];
const URGENCIES = [undefined, 'normal', 'urgent'];
const B64U = /^[A-Za-z0-9_-]*$/;

/** The item's defined keys (JSON.stringify drops undefined), all among required + optional, every required one. */
function checkKeys(item, required, optional) {
  const keys = Object.keys(item).filter((k) => item[k] !== undefined);
  if (keys.some((k) => !required.includes(k) && !optional.includes(k)) || required.some((k) => !keys.includes(k))) {
    throw new Unencodable('keys');
  }
}

function writeCategory(bits, item) {
  if (item.category === undefined) bits.write(0, 4);
  else if (item.category === null) bits.write(15, 4);
  else if (CATEGORIES.includes(item.category)) bits.write(1 + CATEGORIES.indexOf(item.category), 4);
  else throw new Unencodable('category');
}

function writeUrgency(bits, item) {
  if (!URGENCIES.includes(item.urgency)) throw new Unencodable('urgency');
  bits.write(URGENCIES.indexOf(item.urgency), 2);
}

function writeLocationFlag(bits, location) {
  if (location === undefined) bits.write(0, 2);
  else if (location === '') bits.write(1, 2);
  else if (typeof location === 'string') bits.write(2, 2);
  else throw new Unencodable('location');
}

// A photo sealed on the phone (issue 11) takes the content type code no type uses, then its type, then the version of
// the commune's key it is sealed to (a tip's), or 0 and the 6-byte id of the server's queue key (any other report's).
const SEALED_PHOTO = 3;
const QUEUE_KEY_ID_BYTES = 6;

function writeAttachments(bits, attachments) {
  if (!Array.isArray(attachments) || attachments.length > 3) throw new Unencodable('attachments');
  bits.write(attachments.length, 2);
  for (const a of attachments) {
    const keys = Object.keys(a).sort().join();
    const toServer = keys === 'content_type,id,key_id,sha256,size';
    const sealed = toServer || keys === 'content_type,id,key_version,sha256,size';
    if (keys !== 'content_type,id,sha256,size' && !sealed) throw new Unencodable('attachment keys');
    uuidBits(bits, a.id);
    if (!/^[0-9a-f]{64}$/.test(a.sha256) || !Number.isInteger(a.size) || a.size < 0 || a.size >= 2 ** 23
      || !CONTENT_TYPES.includes(a.content_type)
      || (sealed && !toServer && !(Number.isInteger(a.key_version) && a.key_version > 0 && a.key_version < 2 ** 31))) {
      throw new Unencodable('attachment');
    }
    const keyId = toServer ? b64uBytes(a.key_id) : null;
    if (toServer && keyId?.length !== QUEUE_KEY_ID_BYTES) throw new Unencodable('key_id');
    bits.write(BigInt('0x' + a.sha256), 256);
    bits.write(a.size, 23);
    if (toServer) {
      bits.write(SEALED_PHOTO, 2);
      bits.write(CONTENT_TYPES.indexOf(a.content_type), 2);
      bits.varint(0);
      bits.write(bigOf(keyId), 8 * QUEUE_KEY_ID_BYTES);
    } else if (sealed) {
      bits.write(SEALED_PHOTO, 2);
      bits.write(CONTENT_TYPES.indexOf(a.content_type), 2);
      bits.varint(a.key_version);
    } else {
      bits.write(CONTENT_TYPES.indexOf(a.content_type), 2);
    }
  }
}

/** The bytes of base64url spelt as Python's codec spells them (no padding, canonical), else null. */
function b64uBytes(text) {
  if (typeof text !== 'string' || !B64U.test(text) || text.length % 4 === 1) return null;
  const raw = fromB64u(text);
  return toB64u(raw) === text ? raw : null;
}

function writeWords(bits, item, mode) {
  if (typeof item.body !== 'string') throw new Unencodable('body');
  writeText(bits, item.body, mode);
  if (item.location) writeText(bits, item.location, mode);
}

function writeItem(bits, item, mode) {
  if (item.type === undefined && item.mailbox !== undefined) return writeTip(bits, item, mode);
  checkKeys(item, REQUIRED, OPTIONAL);
  if (item.type !== 'report' || !KINDS.includes(item.kind) || typeof item.anonymous !== 'boolean') {
    throw new Unencodable('not a report');
  }
  if (!Number.isInteger(item.household_id)) throw new Unencodable('household_id');
  bits.write(0, 2);
  bits.varint(item.household_id);
  bits.write(KINDS.indexOf(item.kind), 3);
  writeCategory(bits, item);
  bits.write(item.anonymous ? 1 : 0, 1);
  writeUrgency(bits, item);
  bits.write(ms(item.created_at), 44);
  writeLocationFlag(bits, item.location);
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
  writeAttachments(bits, item.attachments);
  if (item.signature !== undefined) {
    const raw = typeof item.signature === 'string' && /^[A-Za-z0-9_-]{86}$/.test(item.signature)
      ? fromB64u(item.signature) : null;
    if (!raw || raw.length !== 64) throw new Unencodable('signature');
    bits.write(1, 1);
    bits.write(bigOf(raw), 512);
  } else bits.write(0, 1);
  writeWords(bits, item, mode);
}

/** An anonymous tip (item type 1): the object the tip queue sends to /api/v1/tips, without its token. */
function writeTip(bits, item, mode) {
  checkKeys(item, TIP_REQUIRED, TIP_OPTIONAL);
  if (!Number.isInteger(item.village_id)) throw new Unencodable('village_id');
  bits.write(1, 2);
  bits.varint(item.village_id);
  writeCategory(bits, item);
  writeUrgency(bits, item);
  writeAttachments(bits, item.attachments);
  const { mailbox } = item;
  if (!mailbox || Object.keys(mailbox).sort().join() !== 'public_key,verifier'
    || !/^[0-9a-f]{64}$/.test(mailbox.verifier)) throw new Unencodable('mailbox');
  const point = b64uBytes(mailbox.public_key);
  if (!point || point.length !== 65 || point[0] !== 4) throw new Unencodable('mailbox public key');
  bits.write(BigInt('0x' + mailbox.verifier), 256);
  bits.write(bigOf(point.slice(1)), 512);
  if (item.sealed === undefined) {
    bits.write(0, 1);
    writeLocationFlag(bits, item.location);
    return writeWords(bits, item, mode);
  }
  const { sealed } = item;
  const box = sealed && b64uBytes(sealed.box);
  if (item.body !== undefined || item.location !== undefined || !box || !box.length
    || Object.keys(sealed).sort().join() !== 'box,key_version' || !Number.isInteger(sealed.key_version)) {
    throw new Unencodable('sealed');
  }
  bits.write(1, 1);
  bits.varint(sealed.key_version);
  bits.varint(box.length);
  bits.write(bigOf(box), 8 * box.length);
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

function toDigits(payload, version) {
  let n = bigOf(concat(new Uint8Array([version]), payload));
  const digits = [];
  while (n) { digits.push(ALPHABET[Number(n % BASE)]); n /= BASE; }
  return digits.reverse().join('');
}

async function encodeMode(item, deviceId, keyBytes, mode, chain) {
  const bits = new Bits();
  writeItem(bits, item, mode);
  const plain = bits.bytes();
  const id = Uint8Array.from(item.id.replace(/-/g, '').match(/../g), (x) => parseInt(x, 16));
  if (id.length !== 16) throw new Unencodable('id');
  const key = await hmacKey(keyBytes);
  const stream = await keystream(key, id, plain.length);
  const secret = plain.map((b, i) => b ^ stream[i]);
  const version = chain ? 2 : 1;
  const position = chain ? concat(varintBytes(chain.epoch), varintBytes(chain.step)) : new Uint8Array(0);
  const signed = concat(varintBytes(deviceId), position, id, secret);
  const macKey = await hmacKey(await hmac(key, enc.encode('binhan sms mac')));
  const header = concat(enc.encode(mode), chain ? new Uint8Array([version]) : new Uint8Array(0));
  const mac = (await hmac(macKey, concat(header, signed))).slice(0, MAC_BYTES);
  const digits = toDigits(concat(signed, mac), version);
  const chunks = digits.match(new RegExp(`[^]{1,${PART_CHARS}}`, 'gu')) || [];
  if (chunks.length > MAX_PARTS) throw new Unencodable('too long');
  const n = (id[0] * 256 + id[1]) % (ALPHABET.length ** 2);
  const ident = ALPHABET[Math.floor(n / ALPHABET.length)] + ALPHABET[n % ALPHABET.length];
  return chunks.map((c, i) => mode + ALPHABET[chunks.length] + ALPHABET[i] + ident + c);
}

/**
 * The SMS parts of a queued report item (the object the outbox pushes) or of a queued anonymous tip (the object
 * the tip queue sends, without its token), in the mode with fewer parts.
 * @param {object} item @param {number} deviceId @param {Uint8Array} keyBytes the chain's key for this message
 * @param {{epoch: number, step: number}|null} chain where the key is in its chain (version 2); null: version 1
 * @returns {Promise<string[]|null>} null when the item cannot go by SMS exactly (too long, unusual fields)
 */
export async function encode(item, deviceId, keyBytes, chain = null) {
  const options = [];
  for (const mode of ['D', 'U']) {
    try { options.push(await encodeMode(item, deviceId, keyBytes, mode, chain)); } catch (e) {
      if (!(e instanceof Unencodable)) throw e;
    }
  }
  if (!options.length) return null;
  const size = (parts) => parts.length * 1e6 + parts.join('').length;
  return options.sort((a, b) => size(a) - size(b))[0];
}

/** The chain's next key (server/sms/codec.py next_key): the phone keeps it and forgets the one it used. */
export const nextKey = async (keyBytes) => hmac(await hmacKey(keyBytes), enc.encode('binhan sms next'));
