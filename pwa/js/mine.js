// Which of the phone's records are this household's (issue 11). A named report's record carries its household id,
// as the server does; an anonymous tip's record names no household: its `owner` is the household id and the moment
// the tip was written, sealed to the household's box key (tips.js), which only an online unlock opens; the record
// itself keeps the day alone. So a copy of the phone, or the neighbour who holds it, cannot tell whose a tip is, nor
// match its writing to a household's unlock; the household finds its tips once per app session, after its online
// unlock.
import * as store from './store.js';
import { open } from './crypto.js';

/**
 * Ids of the tips the unlocked household owns: read once per session after an online unlock (one ECDH a tip on the
 * phone), plus those it queued in this session. Unlocked offline (no reading key) it knows only the latter.
 * @returns {Promise<Set<string>>}
 */
export async function ownedTips(session, householdId) {
  if (!session) return new Set();
  session.ownedTips ??= new Set();
  session.tipTimes ??= new Map();
  if (session.privateKey) session.ownersRead ??= readOwners(session, householdId);
  await session.ownersRead;
  return session.ownedTips;
}

async function readOwners(session, householdId) {
  const records = await store.tipRecords();
  const owners = await Promise.all(records.map((r) => open(session, r.owner).catch(() => null)));
  records.forEach((r, i) => {
    if (owners[i]?.householdId !== householdId) return;
    session.ownedTips.add(r.id);
    if (owners[i].createdAt) session.tipTimes.set(r.id, owners[i].createdAt);
  });
}

/** Adds a tip the session's household just queued (its owner box is sealed: the session need not open it). */
export function addOwnedTip(session, id, createdAt) {
  if (!session) return;
  (session.ownedTips ??= new Set()).add(id);
  (session.tipTimes ??= new Map()).set(id, createdAt);
}

/** When report record `r` was written: a tip's moment is known to its household's session only (the record
 *  keeps the day). */
export const writtenAt = (session, r) => session?.tipTimes?.get(r.id) || r.createdAt;

/** @returns {Promise<object[]>} the household's reports, newest first: its named ones and the tips it owns */
export async function householdReports(session, householdId) {
  const [named, tips] = await Promise.all([store.householdReports(householdId), ownedTips(session, householdId)]);
  const owned = (await Promise.all([...tips].map((id) => store.report(id)))).filter(Boolean)
    .map((r) => ({ ...r, createdAt: writtenAt(session, r) }));
  return [...named, ...owned].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

/** Whether report record `r` is the household's. */
export const owns = async (session, householdId, r) => !!r
  && (r.householdId === householdId || (await ownedTips(session, householdId)).has(r.id));
