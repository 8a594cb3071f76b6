// Which of the phone's records are this household's (issue 11, ADR 0005). No record names its household: a report
// record's `owner` (household id, moment of writing) is sealed to the household's box key, which only an online
// unlock opens, and the record keeps the day alone; items name their report. (A household with no box key yet is
// still named by its records until it claims one: household-keys.js.)
import * as store from './store.js';
import { decrypt, open, seal } from './crypto.js';

/** The day of an ISO time, as records keep it (the moment is in the sealed owner). */
export const dayOnly = (iso) => `${iso.slice(0, 10)}T00:00:00.000Z`;

/** A report record's owner fields: the household id and the moment of writing sealed to the household's box key
 *  `publicKey`, and the day alone in clear. */
export const sealedOwner = async (publicKey, householdId, createdAt) =>
  ({ owner: await seal(publicKey, { householdId, createdAt }), createdAt: dayOnly(createdAt) });

/** The household's box key, if it has one (a household that never claimed its keys has none). */
export const boxKey = async (householdId) => (await store.household(householdId))?.keys?.publicKey;

/** Who a new report record is: its sealed owner and the day; a household with no box key yet is named (see top). */
export async function ownership(householdId, createdAt) {
  const publicKey = await boxKey(householdId);
  return publicKey ? sealedOwner(publicKey, householdId, createdAt) : { householdId, createdAt };
}

// What each household queued while this page has been open, in memory only (never on disk, so no copy of the phone
// holds it): a household that locks and unlocks again offline still finds it, to see it waiting or send it by SMS.
const queuedHere = new Map();

/**
 * Ids of the reports (named and tips) the unlocked household owns: read once per session after an online unlock
 * (one ECDH a report on the phone), plus those it queued while this page has been open. Unlocked offline (no
 * reading key) it knows only the latter.
 * @returns {Promise<Set<string>>}
 */
export async function owned(session, householdId) {
  if (!session) return new Set();
  session.owned ??= new Set();
  session.times ??= new Map();
  if (session.privateKey) session.ownersRead ??= readOwners(session, householdId);
  await session.ownersRead;
  for (const r of await store.keylessRecords(householdId)) session.owned.add(r.id);
  for (const [id, createdAt] of queuedHere.get(householdId) || []) {
    session.owned.add(id);
    session.times.set(id, createdAt);
  }
  return session.owned;
}

async function readOwners(session, householdId) {
  const records = await store.ownedRecords();
  const owners = await Promise.all(records.map((r) => open(session, r.owner).catch(() => null)));
  records.forEach((r, i) => {
    if (owners[i]?.householdId !== householdId) return;
    session.owned.add(r.id);
    if (owners[i].createdAt) session.times.set(r.id, owners[i].createdAt);
  });
}

/** Adds a report the session's household just queued (its owner box is sealed: the session need not open it). */
export function addOwned(session, householdId, id, createdAt) {
  if (!session) return;
  if (!queuedHere.has(householdId)) queuedHere.set(householdId, new Map());
  queuedHere.get(householdId).set(id, createdAt);
  (session.owned ??= new Set()).add(id);
  (session.times ??= new Map()).set(id, createdAt);
}

/** When report record `r` was written: the moment is known to its household's session only (the record keeps the
 *  day). */
export const writtenAt = (session, r) => session?.times?.get(r.id) || r.createdAt;

/** @returns {Promise<object[]>} the household's reports, named and tips, newest first */
export async function householdReports(session, householdId) {
  const ids = await owned(session, householdId);
  const records = (await Promise.all([...ids].map((id) => store.report(id)))).filter(Boolean);
  return records.map((r) => ({ ...r, createdAt: writtenAt(session, r) }))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** The household's draft, if it has one: the one its records key opens (drafts are kept under it alone, so only an
 *  online unlock has one). @returns {Promise<object|null>} */
export async function householdDraft(session) {
  if (!session?.key) return null;
  for (const d of await store.drafts()) {
    if (await decrypt(session.key, d.sealed).then(() => true, () => false)) return d;
  }
  return null;
}

/** Whether report record `r` is the household's. */
export const owns = async (session, householdId, r) => !!r && (await owned(session, householdId)).has(r.id);
