// A household's PIN on the server's terms (docs/adr/0005-household-keys.md): the first PIN (or a new one after a
// reset) needs the household code printed by the commune (claim); every unlock checks the PIN online, where wrong
// PINs are counted, and brings back the share without which nothing the household received can be read.
// Offline, the PIN opens the sign key alone: the household writes and queues, and reads once it is online.
import { request, ApiError } from '../lib/api.js';
import * as store from './store.js';
import { fromB64u, toB64u } from './bytes.js';
import { newKeys, openAll, openSign, pinValues, sealKeys } from './keys.js';
import { lockUp, open } from './crypto.js';

// The key material of a claim whose answer was lost, in memory only: a second tap with the same code repeats
// the same request (same request_id and keys), and the server answers with the same share.
const pending = new Map();

/**
 * Sets the household's PIN with a household code (claim) or a reset code. A legacy household unlocked with its
 * local PIN (`legacy` session) has its own records re-encrypted to the new keys. Throws ApiError.
 * @returns {Promise<object>} the open session
 */
export async function claim(householdId, code, pin, legacy = null) {
  const token = await store.getMeta('token');
  const tag = `${householdId}:${code.trim()}:${pin}`;
  const fresh = pending.get(tag) || { ...(await newKeys(pin)), request_id: crypto.randomUUID() };
  pending.set(tag, fresh);
  const res = await request(`/api/v1/households/${householdId}/claim`, { method: 'POST', token,
    json: { code: code.trim(), request_id: fresh.request_id, ...fresh.body } });
  pending.delete(tag);
  const { keys, session } = await sealKeys(fresh, fromB64u(res.share), res.key_id);
  if (legacy) await rewrap(householdId, legacy, session);
  await store.updateHousehold(householdId, (x) => ({ ...x, keys, failures: 0, lockedUntil: 0 }));
  return session;
}

/** Re-encrypts a legacy household's reports, timeline and draft from its local-PIN key to the new records key. */
async function rewrap(householdId, legacy, session) {
  const { reports, events, draft } = await store.householdRecords(householdId);
  const again = async (rec) => {
    try {
      return { ...rec, sealed: rec.sealed && await lockUp(session, await open(legacy, rec.sealed)) };
    } catch {
      return { ...rec, sealed: null };
    }
  };
  await store.replaceHouseholdRecords(householdId, {
    reports: await Promise.all(reports.map(again)),
    events: await Promise.all(events.map(again)),
    dropDraft: !!draft, // a draft's photos are under the old key: the draft goes, nothing queued does
  });
}

/**
 * Unlocks a claimed household: online, the server checks the PIN (and counts it) and releases the share;
 * with no answer at all, the PIN opens the sign key alone (writing, not reading).
 * @returns {Promise<object>} the session ({online: false} when only writing is possible)
 * @throws {ApiError} pin_wrong (with .remaining), household_locked, …; code pin_wrong offline too
 */
export async function unlock(household, pin) {
  const keys = household.keys;
  const { check, wrap } = await pinValues(pin, keys.salt, keys.iterations);
  let res;
  try {
    res = await request(`/api/v1/households/${household.id}/unlock`, { method: 'POST',
      token: await store.getMeta('token'), json: { pin_check: toB64u(check) } });
  } catch (e) {
    if (e.status !== 0) throw e;
    const writing = await openSign(keys, wrap);
    if (!writing) throw new ApiError(403, { code: 'pin_wrong_offline' });
    return { ...writing, online: false };
  }
  const session = { ...(await openAll(keys, wrap, fromB64u(res.share))), online: true };
  await store.updateHousehold(household.id, (x) => ({ ...x, failures: 0, lockedUntil: 0 }));
  return session;
}
