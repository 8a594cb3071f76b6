// What the phone fetches to keep offline: the commune's announcement files, and the rules the server owns
// (revalidated with its ETag at most once a day: a 304 costs one small round trip).
import { request, ApiError } from '../lib/api.js';
import * as store from './store.js';
import { useRules } from '../lib/rules.js';

const RULES_MAX_AGE_MS = 24 * 3600e3;

/** Downloads the files of the announcements the phone holds, the ones it does not have yet. */
export async function fetchFiles(token) {
  const have = new Set(await store.fileKeys());
  for (const a of await store.allAnnouncements()) {
    for (const f of a.files || []) {
      const key = `${a.id}/${f.id}`;
      if (have.has(key)) continue;
      let blob;
      try {
        const res = await request(`/api/v1/announcements/${a.id}/files/${f.id}`, { token, raw: true, timeout: 120000 });
        blob = await res.blob();
      } catch (e) {
        // Gone (withdrawn), or one file the server cannot give now: it must not hold back the rest, nor push every
        // sync into backoff; the next sync tries it again. No answer at all, or a revoked phone, stops here.
        if (e instanceof ApiError && e.status !== 401 && e.status !== 0) continue;
        throw e;
      }
      await store.saveFile({ key, blob, name: f.name, type: f.content_type });
    }
  }
}

/** Fetches the officers' spoken replies announced in the feed (ciphertext: the key is in the household's reply). */
export async function fetchVoices(token) {
  for (const id of await store.wantedVoices()) {
    if (!(await store.file(`voice/${id}`))) {
      let blob;
      try {
        blob = await (await request(`/api/v1/voice-replies/${id}`, { token, raw: true, timeout: 120000 })).blob();
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) { await store.gotVoice(id); continue; } // gone: stop asking
        if (e instanceof ApiError && e.status !== 401 && e.status !== 0) continue;
        throw e;
      }
      await store.saveFile({ key: `voice/${id}`, blob, name: '', type: 'application/octet-stream' });
    }
    await store.gotVoice(id);
  }
}

/**
 * Fetches the rules when the kept copy is older than maxAge ms (0: now) or predates the enum names (labels),
 * so a phone updated since shows the server's words from its next sync, and makes them the ones in force.
 */
export async function refreshRules(maxAge = RULES_MAX_AGE_MS) {
  const kept = await store.getMeta('rules');
  if (kept?.rules.labels && Date.now() - kept.checkedAt < maxAge) return;
  const headers = kept ? { 'If-None-Match': `"${kept.rules.version}"` } : {};
  const rules = (await request('/api/v1/rules', { headers })) || kept.rules; // null: 304, still the same
  await store.setMeta('rules', { rules, checkedAt: Date.now() });
  useRules(rules);
}
