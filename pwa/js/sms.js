// Reports by SMS when there is no data link (issue 17, docs/adr/0006-sms-fallback.md): the phone's SMS key and
// its commune's gateway number (fetched by the sync engine, kept for days without data), and the SMS parts of a
// queued report. The item stays in the outbox: the data sync sends it later as usual and the server answers
// "duplicate" if the SMS arrived.
import { request } from '../lib/api.js';
import * as store from './store.js';
import { decrypt, deviceKey } from './crypto.js';
import { fromB64u } from './bytes.js';

const CONFIG_MAX_AGE_MS = 24 * 3600e3;
/** An urgent report offers SMS by itself after waiting this long with no data link. */
export const URGENT_AFTER_MS = 2 * 60e3;
/** The price assumed per SMS (VND), for the estimate the phone shows (benchmarks/sms_parts.py). */
export const PRICE_VND = 300;

/** Called by the sync engine once a day (every sync while there is no gateway): the SMS key and the number. */
export async function refreshConfig(token) {
  const kept = await store.getMeta('sms');
  // No gateway yet: ask at every sync, so a number the commune sets reaches the phone before the data goes.
  if (kept?.number && Date.now() - kept.checkedAt < CONFIG_MAX_AGE_MS) return;
  const config = await request('/api/v1/sms/config', { token });
  await store.setMeta('sms', { ...config, checkedAt: Date.now() });
}

/**
 * What sending a queued report by SMS takes: its parts, one `sms:` link each, and whether it is urgent; null when
 * it cannot go by SMS (no gateway number, not a named report still queued, too long).
 * @param {string} id the outbox item's id
 */
export async function offer(id) {
  const [config, item] = await Promise.all([store.getMeta('sms'), store.outboxItem(id)]);
  if (!config?.number || !item?.payload || item.type !== 'report' || item.state === 'attention') return null;
  const payload = await decrypt(await deviceKey(), item.payload);
  // The codec and its dictionary load only here: not with the shell's first load (its 60 KB budget).
  const { encode } = await import('./sms-codec.js');
  const parts = await encode(payload, config.device_id, fromB64u(config.key));
  if (!parts) return null;
  const number = config.number.replace(/[^+\d]/g, '');
  return {
    item, parts, number, urgent: payload.urgency === 'urgent',
    links: parts.map((p) => `sms:${number}?body=${encodeURIComponent(p)}`),
    waited: Date.now() - Date.parse(item.createdAt),
  };
}

/** Marks the item "sent by SMS, waiting for confirmation" (it stays queued for the data sync). */
export const markSentBySms = (id, parts) => store.updateItem(id, { sms: { at: Date.now(), parts } });
