// Byte helpers for the tip protocol (docs/adr/0004-anonymous-tips.md): base64url without padding, hex.

/** @param {ArrayBuffer|Uint8Array} bytes @returns {string} base64url, no padding */
export function toB64u(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {string} text base64url (padding optional) @returns {Uint8Array} */
export function fromB64u(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** @param {ArrayBuffer|Uint8Array} bytes @returns {string} lowercase hex */
export const toHex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** @param {string} hex @returns {Uint8Array} */
export const fromHex = (hex) => Uint8Array.from(hex.match(/../g) || [], (x) => parseInt(x, 16));
