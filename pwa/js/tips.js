// The anonymous tip engine (ADR 0004), run by the sync engine, never by screens. After each successful
// authenticated sync it tops up the blind-signed tokens and gives each waiting tip its moment: a random delay after
// that sync. At that moment the tip goes alone, without the device token, cookie, household id or phone clock;
// then its photos (authorised by the mailbox secret) and, one request per tip in random order, its mailbox.
// Nothing is lost: a tip leaves the queue only on the server's "created"/"duplicate", and a retry after a lost
// answer reuses the tip's token, so the server answers "duplicate".
import { request, ApiError } from '../lib/api.js';
import * as store from './store.js';
import { decrypt, decryptBytes, deviceKey, encrypt } from './crypto.js';
import { blind, finalize } from './blind.js';
import { fromB64u, toB64u } from './bytes.js';
import { newMailbox } from './seal.js';
import { sendChunks } from './uploads.js';
import { tipDelay } from './outbox.js';
import { sealOwners } from './migrate.js';

// Every phone asks for the same number of tokens once a day, whether or not it sent a tip: a refill that followed
// spending would tell the server which phone had just sent one (docs/threat-model.md). Only an empty stock (a
// retired key, or more tips in a day than the refill) asks again the same day.
const REFILL = 3;
const STOCK_MAX = 6;
const CLOSED_POLL_MS = 30 * 24 * 3600e3;

let notify = () => {};
let ruleZone = '';
let timer = 0;

/** Sets the function told when a tip's state changed (the sync engine's notifier). */
export function setTipNotifier(fn) { notify = fn; }

const rulesOf = async () => (await store.getMeta('rules'))?.rules || {};
const pollMs = async () => 1e3 * ((await rulesOf()).tips?.mailbox_poll_seconds || 3600);

/**
 * Brings the records of older versions to this one: anonymous reports queued in the outbox move to the tip queue,
 * without household_id (once); records and items that name their household get a sealed owner instead (issue 11).
 */
export async function migrateLegacy() {
  if (!(await store.getMeta('tipsMigrated'))) await moveLegacyTips();
  await sealOwners();
}

/** Anonymous reports of a version before the tip queue: sync items with household_id, moved to the tip queue. */
async function moveLegacyTips() {
  const legacy = (await store.outboxItems()).filter((i) => i.type === 'report' && i.payload);
  const key = await deviceKey();
  for (const item of legacy) {
    const p = await decrypt(key, item.payload);
    if (!p.anonymous) continue;
    const mailbox = await newMailbox();
    const group = await store.getMeta('group');
    const tip = { id: p.id, village_id: group?.village?.id, category: p.category || 'other', urgency: p.urgency,
      body: p.body, location: p.location || '', attachments: p.attachments, mailbox: mailbox.announce };
    // The household's copy of such a report has no mailbox keys: the queue keeps its private key (apply.js).
    await store.moveToTips(item.id, { id: p.id, state: 'waiting', queuedAt: Date.parse(item.createdAt) || Date.now(),
      delayMs: await tipDelay(p.urgency === 'urgent'), dueAt: null, box: await encrypt(key, tip),
      keys: await encrypt(key, { secret: mailbox.secret, jwk: mailbox.jwk }),
      attachments: item.attachments || [], token: null, pending: [], trackingCode: null, since: null, pollAt: 0,
      closedAt: null });
  }
  await store.setMeta('tipsMigrated', true);
}

/**
 * Called by the sync engine after a successful authenticated sync (`token`: the device token; `pushed`: it sent
 * named items): tokens, then the moment of each waiting tip, this sync + its delay, counted only from a sync
 * that pushed nothing officers can see (otherwise the tip's time would point back at that push); the sends
 * themselves happen later, on a timer.
 */
export async function afterSync(token, pushed = false) {
  ruleZone = (await rulesOf()).time_zone;
  try {
    await refillTokens(token);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e; // no tokens this time: the tips wait for the next sync
  }
  await withLock(async () => {
    const now = Date.now();
    for (const t of await store.tips()) {
      // A tip whose moment passed unsent (no link, no token, a server error) gets a new one after this sync; one
      // left "sending" (the page closed mid-request: under the lock nothing else is sending) goes again, with the
      // token it holds.
      if (t.state === 'sending') {
        await store.updateTip(t.id, (x) => ({ ...x, state: 'waiting', dueAt: now }));
      } else if (t.state === 'waiting' && !t.dueAt && !pushed) {
        await store.updateTip(t.id, (x) => ({ ...x, dueAt: Math.max(x.queuedAt || 0, now) + x.delayMs }));
      } else if (t.state === 'waiting' && t.dueAt <= now) {
        // Its moment passed with the app closed: it goes in this session after a short random wait (a new long
        // delay would outlast most sessions, and the tip might never go), unless the quiet hour forbids it.
        const soon = now + await tipDelay(true);
        await store.updateTip(t.id, (x) => ({ ...x, dueAt: soon }));
      }
    }
  });
  await schedule();
}

/** Runs fn alone among the tip engines of the page and the service worker. */
const withLock = (fn) => (self.navigator.locks ? navigator.locks.request('binh-an-tips', fn) : fn());

/** Tops up the token stock under the commune's current key when it is low (ADR 0004). */
async function refillTokens(token) {
  const pendingReq = await store.getMeta('tokenRequest');
  const today = localDay();
  const stock = await store.tokens();
  if (!pendingReq && stock.length && (await store.getMeta('tokenDay')) === today) return;
  const key = pendingReq?.key || await request('/api/v1/tips/key', { token });
  await store.setMeta('tipKey', key);
  // Tokens of an older key were retired with it (a phone of the commune was revoked).
  await store.dropTokens((t) => t.key_id !== key.key_id);
  let ask = pendingReq;
  if (!ask) {
    const count = Math.min(REFILL, key.remaining ?? REFILL);
    await store.setMeta('tokenDay', today);
    if (count <= 0) return;
    const spki = fromB64u(key.public_key);
    const items = [];
    for (let i = 0; i < count; i++) {
      const message = crypto.getRandomValues(new Uint8Array(32));
      const { blinded, inv } = await blind(spki, message);
      items.push({ message: toB64u(message), blinded: toB64u(blinded), inv: inv.toString(16) });
    }
    // Kept before asking: a lost answer is asked again with the same request_id and counts once.
    ask = { request_id: crypto.randomUUID(), key, items };
    await store.setMeta('tokenRequest', ask);
  }
  let res;
  try {
    res = await request('/api/v1/tips/tokens', { method: 'POST', token, json: { request_id: ask.request_id,
      key_id: ask.key.key_id, blinded: ask.items.map((i) => i.blinded) } });
  } catch (e) {
    // A changed key or an exhausted day: this request will never be answered; ask afresh at a later sync.
    if (e instanceof ApiError && (e.code === 'tip_key_changed' || !e.retryable || e.status === 429)) {
      await store.setMeta('tokenRequest', null);
    }
    throw e;
  }
  const spki = fromB64u(ask.key.public_key);
  const kept = [];
  for (const [i, item] of ask.items.entries()) {
    const sig = res.blind_signatures?.[i];
    try {
      const message = fromB64u(item.message);
      const signature = await finalize(spki, message, fromB64u(sig), BigInt('0x' + item.inv));
      kept.push({ message: item.message, signature: toB64u(signature), key_id: ask.key.key_id, at: Date.now() });
    } catch (e) {
      console.warn('tips: a token that does not verify was dropped', e.message);
    }
  }
  await store.addTokens(kept);
  // The oldest beyond STOCK_MAX go: a stock that only grows would tell a phone that never spends.
  const all = (await store.tokens()).sort((a, b) => (b.at || 0) - (a.at || 0));
  const extra = new Set(all.slice(STOCK_MAX).map((t) => t.message));
  if (extra.size) await store.dropTokens((t) => extra.has(t.message));
}

/** The commune's calendar day (rules.time_zone), e.g. "2026-12-02": the server counts token quotas by it. */
function localDay() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: ruleZone || undefined }).format(new Date());
}

/** Sets the one timer for the next due tip, upload or mailbox poll. */
async function schedule() {
  clearTimeout(timer);
  const times = [];
  for (const t of await store.tips()) {
    if (t.state === 'waiting' && t.dueAt) times.push(t.dueAt);
    if (t.state === 'uploading') times.push(t.retryAt || 0);
    if (t.trackingCode && pollable(t)) times.push(t.pollAt || 0);
  }
  if (!times.length) return;
  const wait = Math.max(1e3, Math.min(...times) - Date.now());
  timer = setTimeout(() => runTips().catch((e) => console.warn('tips', e)), Math.min(wait, 2 ** 31 - 1));
}

/**
 * Until when a tip may not leave: within quiet_seconds of this phone's last push of named items, which officers
 * see to the second. Without it the tip's hour would hold that phone's named activity (docs/threat-model.md).
 */
async function quietEnd() {
  return ((await store.getMeta('lastNamedPush')) || 0) + await quietMs();
}

const quietMs = async () => 1e3 * ((await rulesOf()).tips?.quiet_seconds ?? 3600);

/**
 * Until when named items that are not urgent stay queued: quiet_seconds after this phone last sent a tip, so
 * that officers see nothing of the phone in the tip's hour (the sync engine still pulls meanwhile).
 */
export async function namedHoldUntil() {
  return ((await store.getMeta('lastTipSent')) || 0) + await quietMs();
}

const pollable = (t) => !t.gone && (!t.closedAt || Date.now() - t.closedAt < CLOSED_POLL_MS);

/** Does what is due now: send tips, upload their photos, poll mailboxes; one tip at a time, one request each. */
export function runTips() {
  const go = async () => {
    const now = Date.now();
    const all = await store.tips();
    const quietUntil = await quietEnd();
    for (const t of all) {
      if (t.state !== 'waiting' || !t.dueAt || t.dueAt > now) continue;
      if (now < quietUntil) await store.updateTip(t.id, (x) => ({ ...x, dueAt: quietUntil })); // not beside named items
      else await sendTip(t);
    }
    for (const t of await store.tips()) if (t.state === 'uploading' && (t.retryAt || 0) <= now) await uploadTip(t);
    const due = (await store.tips()).filter((t) => t.trackingCode && pollable(t) && (t.pollAt || 0) <= now);
    for (const t of shuffle(due)) if (!(await pollMailbox(t))) break; // no link: the rest wait too
  };
  return withLock(go).finally(schedule);
}

function shuffle(list) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

const TOKEN_CODES = ['tip_token_spent', 'tip_token_invalid', 'tip_token_retired'];

/** Sends one due tip alone: a token from the stock, no device token, no cookie (api.js omits credentials). */
async function sendTip(t) {
  const tip = await decrypt(await deviceKey(), t.box);
  const keyId = (await store.getMeta('tipKey'))?.key_id;
  for (let tries = 0; tries < 4; tries++) {
    const token = await store.takeToken(t.id, keyId);
    if (!token) break; // none in stock: the next sync fetches some, and gives the tip a new moment
    await store.updateTip(t.id, (x) => ({ ...x, state: 'sending' }));
    await store.setMeta('lastTipSent', Date.now()); // named items now keep out of the quiet hour (sync.js)
    notify({ type: 'state' });
    try {
      const res = await request('/api/v1/tips', { method: 'POST', json: { token: { key_id: token.key_id,
        message: token.message, signature: token.signature }, tip } });
      await store.tipSent(t.id, res.tracking_code, Date.now() + await jitteredPoll());
      notify({ type: 'state' });
      return;
    } catch (e) {
      if (TOKEN_CODES.includes(e.code)) {
        // Spent (on another tip), invalid or retired: this token is gone; a retired key's others with it.
        await store.updateTip(t.id, (x) => ({ ...x, token: null }));
        if (e.code === 'tip_token_retired') await store.dropTokens((x) => x.key_id === token.key_id);
        continue;
      }
      if (e instanceof ApiError && !e.retryable) {
        await store.updateTip(t.id, (x) => ({ ...x, state: 'attention', error: { code: e.code, message: e.message,
          fields: e.fields } }));
        notify({ type: 'state' });
        return;
      }
      break; // no answer, 5xx, 409, 429: the same tip with the same token goes again after the next sync
    }
  }
  await store.updateTip(t.id, (x) => ({ ...x, state: 'waiting', dueAt: null }));
  notify({ type: 'state' });
}

const jitteredPoll = async () => (await pollMs()) * (0.5 + Math.random());

/** Uploads a sent tip's photos through /api/v1/tips/attachments/<id>, authorised by its mailbox secret. */
async function uploadTip(t) {
  const key = await deviceKey();
  const { secret } = await decrypt(key, t.keys);
  const rec = { ...t, attachments: t.attachments.map((a) => ({ ...a })) };
  try {
    for (const att of rec.attachments) {
      if (att.done) continue;
      const blob = await store.photo(att.id);
      const bytes = new Uint8Array(await decryptBytes(key, blob.data));
      await sendChunks(`/api/v1/tips/attachments/${att.id}`, { headers: { 'Tip-Mailbox': secret } }, att, bytes,
        () => store.updateTip(t.id, (x) => ({ ...x, attachments: rec.attachments })));
      await store.saveTipUpload({ ...(await store.tip(t.id)), attachments: rec.attachments }, att.id);
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const fails = (t.uploadFailures || 0) + 1;
    await store.updateTip(t.id, (x) => ({ ...x, uploadFailures: fails,
      retryAt: Date.now() + Math.min(30 * 60e3, 10e3 * 2 ** fails),
      error: e.retryable ? null : { code: e.code, message: e.message } }));
    return;
  }
  await store.updateTip(t.id, (x) => ({ ...x, state: 'sent', uploadFailures: 0, error: null }));
  notify({ type: 'state' });
}

/**
 * Polls one tip's mailbox in a request of its own: sends its queued follow-ups and keeps what the officers wrote as
 * it came, sealed to the tip's mailbox key, whose private half only the household's own copy of the tip holds
 * (apply.js opens it when the household unlocks online). @returns {Promise<boolean>} false on no answer
 */
async function pollMailbox(t) {
  const key = await deviceKey();
  const { secret } = await decrypt(key, t.keys);
  const pending = (t.pending || []).slice(0, 50); // the server takes 50 a request; the rest go at the next poll
  const items = await Promise.all(pending.map((p) => decrypt(key, p.box)));
  let res;
  try {
    res = await request('/api/v1/tips/mailbox', { method: 'POST', json: { secret, since: t.since ?? null, items } });
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const gone = e.code === 'mailbox_not_found';
    await store.updateTip(t.id, (x) => ({ ...x, gone, pollAt: Date.now() + (e.retryAfter * 1e3 || 60e3) }));
    return e.status !== 0;
  }
  // Results come in item order: each answered follow-up leaves the queue (a rejected one too: it would never pass).
  const answered = new Set(pending.filter((_, i) => res.results?.[i]).map((p) => p.id));
  await store.keepTipEntries(t.id, res.entries || []);
  const next = Date.now() + await jitteredPoll();
  await store.updateTip(t.id, (x) => {
    const left = (x.pending || []).filter((p) => !answered.has(p.id));
    return { ...x, pending: left, since: res.since ?? x.since, pollAt: Math.min(next, ...left.map((p) => p.dueAt)) };
  });
  notify({ type: 'state', tipMail: !!res.entries?.length });
  return true;
}
