// Photos are shrunk on the phone before they are queued: ~1280 px on the long side, JPEG around
// 150 KB. Canvas output carries no EXIF (no GPS, no phone model), so the server keeps it as is.
import { sha256Hex } from './crypto.js';

export const MAX_SIDE = 1280;
export const TARGET_BYTES = 150 * 1024;

const toBlob = (canvas, q) => new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', q));

/**
 * Shrinks one picked image.
 * @param {Blob} file
 * @returns {Promise<{bytes: ArrayBuffer, size: number, sha256: string, content_type: string}>}
 */
export async function shrink(file) {
  // createImageBitmap applies the EXIF orientation, so portrait photos stay upright.
  const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
  const scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bmp.width * scale));
  canvas.height = Math.max(1, Math.round(bmp.height * scale));
  canvas.getContext('2d').drawImage(bmp, 0, 0, canvas.width, canvas.height);
  bmp.close();
  let q = 0.8;
  let blob = await toBlob(canvas, q);
  while (blob.size > TARGET_BYTES && q > 0.4) {
    q -= 0.1;
    blob = await toBlob(canvas, q);
  }
  const bytes = await blob.arrayBuffer();
  return { bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes), content_type: 'image/jpeg' };
}
