// Reports by SMS when there is no data link (issue 17, docs/adr/0006-sms-fallback.md): the phone's SMS key chain
// and its commune's gateway number (fetched by the sync engine, kept for days without data), and the SMS parts of a
// queued report. The item stays in the outbox: the data sync sends it later as usual and the server answers
// "duplicate" if the SMS arrived. Each message takes the chain's next key, which is then replaced by the one after
// (issue 11): a copy of the phone holds no key that opens an SMS the phone wrote before.
import { request } from '../lib/api.js';
import * as store from './store.js';
import { decrypt, deviceKey } from './crypto.js';
import { fromB64u, toB64u } from './bytes.js';

const CONFIG_MAX_AGE_MS = 24 * 3600e3;
/** An urgent report offers SMS by itself after waiting this long with no data link. */
export const URGENT_AFTER_MS = 2 * 60e3;
/** The price assumed per SMS (VND), for the estimate the phone shows (benchmarks/sms_parts.py). */
export const PRICE_VND = 300;

/** Called by the sync engine once a day (every sync while there is no gateway): the SMS key and the number. */
export async function refreshConfig(token) {
  const kept = await store.getMeta('sms');
  // No gateway yet: ask at every sync, so a number the commune sets reaches the phone before the data goes.
  // A key of the first build (no epoch) is the device key itself: it is replaced by a chain at once.
  if (kept?.number && kept.epoch != null && Date.now() - kept.checkedAt < CONFIG_MAX_AGE_MS) return;
  const config = await request('/api/v1/sms/config', { token });
  await store.setMeta('sms', { ...config, step: 0, checkedAt: Date.now() }); // a new chain: the old one's key goes
}

let turn = Promise.resolve();

/**
 * The chain's key for one message, replaced in storage by the next one before it is used (two messages never share
 * a step: the calls take turns). @returns {Promise<{deviceId: number, key: Uint8Array, chain: object}|null>}
 */
function takeKey() {
  const taken = turn.then(async () => {
    const config = await store.getMeta('sms');
    if (!config?.key || config.epoch == null) return null;
    const { nextKey } = await import('./sms-codec.js');
    const [key, step] = [fromB64u(config.key), config.step || 0];
    await store.setMeta('sms', { ...config, key: toB64u(await nextKey(key)), step: step + 1 });
    return { deviceId: config.device_id, key, chain: { epoch: config.epoch, step } };
  });
  turn = taken.catch(() => null);
  return taken;
}

/**
 * The SMS parts of an item under the chain's next key, which the phone then forgets: the outbox calls it at
 * queue time, while the item is still in clear (it keeps the item sealed to the server after: outbox.js).
 * @returns {Promise<string[]|null>} null: no SMS key yet, or the item cannot go by SMS exactly
 */
export async function partsFor(payload) {
  const taken = await takeKey();
  if (!taken) return null;
  // The codec and its dictionary load only here: not with the shell's first load (its 60 KB budget).
  const { encode } = await import('./sms-codec.js');
  return encode(payload, taken.deviceId, taken.key, taken.chain);
}

/** The parts of a queued report or tip and whether it is urgent: written once, then kept with it. */
async function partsOf(found) {
  const { smsParts, urgent } = found.item;
  if (smsParts && urgent != null) return { parts: smsParts, urgent };
  const payload = await decrypt(await deviceKey(), found.box);
  if (payload.sealed) return { parts: null }; // sealed at queue time with no SMS key on the phone: data only
  const written = { parts: smsParts || await partsFor(payload), urgent: payload.urgency === 'urgent' };
  if (!written.parts) return written;
  const kept = { smsParts: written.parts, urgent: written.urgent };
  if (found.tip) await store.updateTip(found.item.id, (x) => ({ ...x, ...kept }));
  else await store.updateItem(found.item.id, kept);
  return written;
}

// When this page queued each tip: the tip queue keeps no such time (issue 11). An urgent tip queued before this page
// was loaded counts as having waited: with no data, it asks to go by SMS at once.
const queuedHere = new Map();
/** The outbox tells the moment it queued tip `id` (kept in memory only). */
export const noteQueued = (id) => { queuedHere.set(id, Date.now()); };

/** The queued item or tip `id` as it would leave by data, or null when it cannot go by SMS any more. */
async function queued(id) {
  const [item, tip] = await Promise.all([store.outboxItem(id), store.tip(id)]);
  if (item?.payload && item.type === 'report' && item.state !== 'attention') {
    return { item, box: item.payload, at: Date.parse(item.createdAt), tip: false };
  }
  // An anonymous tip the server has not stored yet (issue 17): its token never travels by SMS.
  if (tip?.box && !tip.trackingCode && tip.state !== 'attention') return { item: tip, box: tip.box, at: tip.queuedAt ?? queuedHere.get(id) ?? 0, tip: true };
  return null;
}

/**
 * What sending a queued report or anonymous tip by SMS takes: its parts, one `sms:` link each, whether it is urgent
 * and whether it is a tip (the screen then asks first: the SMS shows the phone's number); null when it cannot go by
 * SMS (no gateway number, nothing of it still queued, too long).
 * @param {string} id the outbox item's or tip's id
 */
export async function offer(id) {
  const [config, found] = await Promise.all([store.getMeta('sms'), queued(id)]);
  if (!config?.number || !found) return null;
  const { parts, urgent } = await partsOf(found);
  if (!parts) return null;
  const number = config.number.replace(/[^+\d]/g, '');
  return {
    item: found.item, parts, number, urgent, tip: found.tip,
    links: parts.map((p) => `sms:${number}?body=${encodeURIComponent(p)}`),
    waited: Date.now() - found.at,
  };
}

/** Marks the item or tip "sent by SMS, waiting for confirmation" (it stays queued for the data sync). */
export async function markSentBySms(id, parts) {
  const sms = { at: Date.now(), parts };
  if (await store.tip(id)) await store.updateTip(id, (x) => ({ ...x, sms }));
  else await store.updateItem(id, { sms });
}
