// A household's PIN on the server's terms (ADR 0005): a household or reset code sets it (claim); unlock checks
// it online (counted) for the share that opens the reading keys; offline, it opens the sign key alone.
import { request, ApiError } from '../lib/api.js';
import * as store from './store.js';
import { fromB64u, toB64u } from './bytes.js';
import { newKeys, openAll, openSign, pinValues, sealKeys, signItem } from './keys.js';
import { decrypt, deviceKey, encrypt, lockUp, open } from './crypto.js';
import { householdDraft, owned, sealedOwner, writtenAt } from './mine.js';
import { sealOwners } from './migrate.js';
import { forServer } from './outbox.js';
import { partsFor } from './sms.js';

// A claim whose answer was lost: the same tap again repeats it (same request_id and keys), in memory only.
const pending = new Map();

/** Sets the PIN with a household or reset code; a `legacy` session's records move to the new keys. */
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
  await sealOwners(); // queued items of an older version name their report, not the household
  const mine = await owned(legacy, householdId);
  const [{ reports, events }, draft] = await Promise.all([store.householdRecords(mine), householdDraft(legacy)]);
  const relock = async (rec) => {
    try {
      return { ...rec, sealed: rec.sealed && await lockUp(session, await open(legacy, rec.sealed)) };
    } catch {
      return { ...rec, sealed: null };
    }
  };
  // Every record's owner is sealed to the new box key: it no longer names the household (mine.js).
  const withOwner = async (rec) => ({ ...await relock(rec),
    ...await sealedOwner(session.publicKey, householdId, writtenAt(legacy, rec)) });
  // Its queue stays and is signed now: the server refuses an unsigned item of a household with keys.
  const key = await deviceKey();
  for (const item of await store.outboxItems()) {
    if (!mine.has(store.reportOf(item)) || !item.payload || item.state === 'sending') continue;
    const payload = await decrypt(key, item.payload);
    if (payload.sealed) continue; // signed and sealed when it was queued
    const signed = await signItem(session, payload);
    const sealed = await forServer(signed, true);
    const smsParts = item.type === 'report' && sealed !== signed ? await partsFor(signed).catch(() => null) : null;
    await store.updateItem(item.id, { payload: await encrypt(key, sealed), smsParts,
      urgent: signed.urgency === 'urgent' });
  }
  await store.replaceHouseholdRecords({
    reports: await Promise.all(reports.map(withOwner)),
    events: await Promise.all(events.map(relock)),
    dropDraft: draft?.id, // a draft's photos are under the old key: the draft goes, nothing queued does
  });
}

/** The session: online (reading), or with no answer the sign key only. Throws ApiError (pin_wrong, …). */
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
