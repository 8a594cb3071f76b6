// Records of older versions brought to this one (issue 11): run by the sync engine before it sends (tips.js), and
// before a legacy household's records move to its new keys (household-keys.js). Not in the shell's first load.
import * as store from './store.js';
import { boxKey, sealedOwner } from './mine.js';

/** Records and items of an older version named their household in clear: each record gets its sealed owner, each
 *  item its report instead (those of a household with no box key wait for it). */
export async function sealOwners() {
  for (const r of await store.namedRecords()) {
    const publicKey = await boxKey(r.householdId);
    if (publicKey) await store.sealOwner(r.id, await sealedOwner(publicKey, r.householdId, r.createdAt));
  }
  await store.unnameItems();
}
