// Photo uploads: after the server accepted a report, its photos go up in chunks, resumably, at the offset
// the server holds (docs/api-contract.md); each finished photo's bytes leave the phone.
import { request, ApiError } from '../lib/api.js';
import * as store from './store.js';
import { decryptBytes, deviceKey } from './crypto.js';

const CHUNK = 256 * 1024;
// A recording goes in 32 KB chunks (issue 16): at 16 kbit/s a 2-minute one is ~240 KB, and a link cut on 2G
// (50 kbit/s up) then costs at most ~5 s of upload again, not the whole recording.
const VOICE_CHUNK = 32 * 1024;

/** Uploads the photos of the reports in "uploading"; one the server refuses needs attention, the others go on. */
export async function uploadPhotos(token, notify) {
  const key = await deviceKey();
  for (const item of await store.outboxItems()) {
    if (item.state !== 'uploading') continue;
    try {
      for (const att of item.attachments) {
        if (att.done) continue;
        const rec = await store.photo(att.id);
        await uploadOne(token, item, att, new Uint8Array(await decryptBytes(key, rec.data)), notify);
      }
    } catch (e) {
      if (e instanceof ApiError && !e.retryable && e.status !== 401) continue; // marked "needs attention"; go on
      throw e;
    }
    await store.removeItem(item.id);
    notify({ type: 'state' });
  }
}

async function uploadOne(token, item, att, bytes, notify) {
  try {
    await sendChunks(`/api/v1/attachments/${att.id}`, { token }, att, bytes, async () => {
      await store.updateItem(item.id, { attachments: item.attachments, error: null });
      notify({ type: 'progress', id: item.id });
    });
  } catch (e) {
    const error = { code: e.code, message: e.message };
    if (e instanceof ApiError && !e.retryable) await store.updateItem(item.id, { state: 'attention', error });
    if (e.code === 'quota_exceeded') await store.updateItem(item.id, { error }); // the report screen says why
    throw e;
  }
  await store.saveUpload({ ...item, attachments: item.attachments }, att.id);
}

/**
 * Sends one photo's bytes to `url` in chunks, resuming at the offset the server holds; `auth` is {token} (the
 * device) or {headers} (a tip's Tip-Mailbox); saved() is awaited after each chunk (att.received moved). Marks
 * att done when the server holds it all; throws the ApiError that stopped it.
 */
export async function sendChunks(url, auth, att, bytes, saved) {
  const { token, headers = {} } = auth;
  // A first try starts at 0 without asking (one round trip less on 2G); after a cut, ask what arrived.
  // If the server already holds bytes, it answers offset_mismatch and we ask then.
  let st = att.received ? await request(url, { token, headers }) : { received: 0, complete: false };
  let restarts = 0;
  const chunk = String(att.content_type || '').startsWith('audio/') ? VOICE_CHUNK : CHUNK;
  while (!st.complete) {
    const offset = st.received;
    try {
      st = await request(`${url}?offset=${offset}`, { method: 'PATCH', token, timeout: 60000,
        body: bytes.subarray(offset, offset + chunk),
        headers: { ...headers, 'Content-Type': 'application/octet-stream' } });
    } catch (e) {
      if (e.code === 'offset_mismatch' && e.retryable && restarts++ < 5) {
        st = await request(url, { token, headers }); // the server holds a different count: resume from it
        continue;
      }
      if (e.code === 'checksum_mismatch' && !e.retryable && restarts++ < 2) {
        st = { received: 0, complete: false }; // the server dropped what it held
        continue;
      }
      throw e;
    }
    att.received = st.received;
    await saved();
  }
  att.done = true;
  att.received = att.size;
}
