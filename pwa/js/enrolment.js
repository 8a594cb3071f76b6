// Enrolment: the group's one-time code in, the device token, the group and the rules kept (the one step
// that needs a link; everything after works offline).
import { request } from '../lib/api.js';
import * as store from './store.js';
import { deviceKey } from './crypto.js';
import { refreshRules } from './downloads.js';
import { syncNow } from './sync.js';
import { subscribe as subscribePush } from './push.js';

/**
 * The enrolment body, with a request id kept per code: if the answer to an enrolment is lost on a bad
 * link, tapping "Enrol" again with the same code repeats the same request and the server re-issues the
 * token instead of answering "code already used".
 * @param {string} code
 */
async function enrolRequest(code) {
  const kept = await store.getMeta('enrolRequest');
  if (kept?.code === code) return kept;
  const fresh = { code, request_id: crypto.randomUUID() };
  await store.setMeta('enrolRequest', fresh);
  return fresh;
}

/**
 * Enrols this phone with its group's one-time code (as typed: the server ignores dashes, spaces and case); keeps
 * the device token, the group and its households, the first cursor and the rules. Throws ApiError.
 */
export async function enrol(code) {
  const res = await request('/api/v1/enrol', { method: 'POST', json: await enrolRequest(code.trim()) });
  await deviceKey();
  await store.saveEnrolment(res.device_token, res.cursor);
  await store.applyGroup(res.group);
  await refreshRules(0).catch(() => {}); // lost on a bad link: the next sync fetches them
  syncNow('enrolled');
  subscribePush(res.device_token); // the phone is told when the commune answers (no content)
}
