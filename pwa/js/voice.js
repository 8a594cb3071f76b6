// Voice recordings (issue 16): Opus at a speech bitrate, mono, at most the server's voice_seconds. Chromium records
// Opus in WebM, Firefox in Ogg: both are what the server accepts; a browser that records only another codec (AAC
// in MP4) or nothing at all is told apart so the screen can say so. The recording is queued like a photo (an
// attachment with its SHA-256), sealed in IndexedDB, and sent with the resumable upload.
// The officer console records its spoken replies with this module too: it imports nothing of the phone's storage.
import { fromB64u, toHex } from './bytes.js';

export { clock } from '../lib/time.js';

const sha256Hex = async (bytes) => toHex(await crypto.subtle.digest('SHA-256', bytes));

export const BITS_PER_SECOND = 16000;
export const MAX_SECONDS = 120;
const TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus'];

/** The MediaRecorder type to record with, '' when the browser records none the server accepts, null when it
 *  cannot record at all. */
export function recordType() {
  if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) return null;
  return TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || '';
}

/** True for an attachment that is a recording. */
export const isVoice = (att) => String(att?.content_type || '').startsWith('audio/');

/**
 * Starts recording from the microphone.
 * @param {{onLevel?: (level: number) => void, onTick?: (ms: number) => void, maxSeconds?: number}} hooks
 *   onLevel gets 0..1 about 10 times a second, onTick the elapsed time; recording stops by itself at maxSeconds.
 * @returns {Promise<{stop: () => Promise<object>, cancel: () => void}>} stop() resolves to the recording
 *   {bytes, size, sha256, content_type, duration_ms}
 */
export async function start(hooks = {}) {
  const type = recordType();
  if (!type) throw Object.assign(new Error('cannot record'), { code: type === null ? 'no_recorder' : 'no_codec' });
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true } });
  const recorder = new MediaRecorder(stream, { mimeType: type, audioBitsPerSecond: BITS_PER_SECOND });
  const chunks = [];
  recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
  const began = Date.now();
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const limitMs = 1000 * (hooks.maxSeconds || MAX_SECONDS);
  let stopping = null;
  const timer = setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const v of samples) peak = Math.max(peak, Math.abs(v - 128));
    hooks.onLevel?.(Math.min(1, peak / 100));
    const ms = Date.now() - began;
    hooks.onTick?.(Math.min(ms, limitMs));
    if (ms >= limitMs) stop();
  }, 100);
  const release = () => {
    clearInterval(timer);
    stream.getTracks().forEach((track) => track.stop());
    ctx.close().catch(() => {});
  };
  function stop() {
    stopping ??= new Promise((resolve, reject) => {
      recorder.onstop = async () => {
        release();
        const blob = new Blob(chunks, { type: recorder.mimeType || type });
        const bytes = await blob.arrayBuffer();
        if (!bytes.byteLength) return reject(Object.assign(new Error('empty'), { code: 'empty' }));
        resolve({ bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes),
          content_type: (recorder.mimeType || type).split(';')[0],
          duration_ms: Math.round(Math.min(Date.now() - began, limitMs)) });
      };
      recorder.stop();
    });
    return stopping;
  }
  recorder.start(1000);
  return { stop, cancel: () => { if (recorder.state !== 'inactive') recorder.stop(); release(); } };
}

/**
 * The bytes of an officer's spoken reply as fetched (nonce ‖ AES-GCM), opened with the key of the sealed reply.
 * @param {Blob} blob @param {{key: string, content_type: string}} voice @returns {Promise<Blob>}
 */
export async function openReply(blob, voice) {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  const key = await crypto.subtle.importKey('raw', fromB64u(voice.key), 'AES-GCM', false, ['decrypt']);
  const clear = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, 12) }, key, bytes.subarray(12));
  return new Blob([clear], { type: voice.content_type });
}
