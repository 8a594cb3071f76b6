// Applies the change feed to the phone: status changes and replies go to the household they are for
// (sealed to its public key: it may be locked), announcements and the group's profile are public.
// A feed entry sealed to a household (ADR 0005: payload {household_id, sealed}) stays sealed in its inbox until
// that household unlocks online; openSealed then opens it with the box key and applies it like a clear one.
import * as store from './store.js';
import { decrypt, deviceKey, open, seal } from './crypto.js';
import { HOUSEHOLD, mailboxKey, openEntry } from './seal.js';
import { owned } from './mine.js';

const DEFAULT_OPEN = ['new', 'acknowledged', 'in_progress'];

let seq = 0;

/** The sealed part of a change, if it has one: {household_id, sealed} as its payload or in the change itself. */
const sealedPart = (c) => (c.payload?.sealed ? c.payload : c.sealed ? c : null);

/** @param {object[]} changes the `changes` of a sync answer, in feed order */
export async function applyChanges(changes) {
  for (const c of changes) {
    const s = sealedPart(c);
    // An officer's spoken reply (issue 16): its id is beside the sealed entry, so the engine fetches the
    // (encrypted) recording while every household is locked; its key is inside, for the household alone.
    const voiceId = c.voice_id || c.payload?.voice_id || c.voice?.id;
    if (voiceId) await store.wantVoice(voiceId);
    if (s) {
      const { payload: _, sealed: __, household_id: ___, ...rest } = c;
      // The sealed text's start (ephemeral key, nonce) names the entry: feed pages may overlap.
      await store.keepSealed({ key: s.sealed.slice(0, 110), householdId: s.household_id, seq: Date.now() * 1e3 + (seq++ % 1e3),
        change: rest, sealed: s.sealed });
    } else await applyChange(c);
  }
}

/** Applies one change; `householdId`: the household a sealed entry was for (records do not name it). */
async function applyChange(c, householdId = null) {
  if (c.type === 'appointment_slots') await store.saveAppointments(c); // issue 15: the commune's open slots
  else if (/^(report_status|message|appointment_)/.test(c.type)) await applyReportChange(c, householdId);
  else if (c.type === 'announcement') await store.saveAnnouncement(c);
  else if (c.type === 'announcement_withdrawn') await store.withdrawAnnouncement(c.id);
  else if (c.type === 'group') await store.applyGroup(c.group);
}

/**
 * Opens the household's sealed feed entries with its box key (an online session) and applies them.
 * Entries sealed to a retired key (before a PIN reset) cannot be opened: they go.
 * @returns {Promise<number>} how many were applied
 */
export async function openSealed(householdId, session) {
  if (!session?.privateKey) return 0;
  const entries = await store.sealedFor(householdId);
  let n = await openTipMail(householdId, session);
  for (const e of entries) {
    let clear = null;
    try {
      clear = await openEntry(session.privateKey, e.sealed, HOUSEHOLD);
    } catch { /* sealed to an older key: lost with the PIN reset, as the app warned */ }
    if (clear) {
      await applyChange({ ...e.change, ...clear, type: clear.type || e.change.type }, householdId);
      n++;
    }
  }
  await store.dropSealed(entries.map((e) => e.key));
  return n;
}

/**
 * Opens the kept mailbox entries of the household's tips (the mailbox's private key is in the household's own copy
 * of each tip) and files them in its timeline like the feed's; a closing status stops the tip's polling in 30 days.
 * @returns {Promise<number>} how many were applied
 */
async function openTipMail(householdId, session) {
  let n = 0;
  const open = (await store.getMeta('rules'))?.rules?.open_statuses || DEFAULT_OPEN;
  for (const id of await owned(session, householdId)) {
    if (!(await store.report(id))?.tip) continue;
    const entries = await store.tipEntries(id);
    const jwk = entries.length && await mailboxJwk(session, id);
    if (!jwk) continue;
    const privateKey = await mailboxKey(jwk);
    let closedAt;
    for (const e of entries) {
      let v;
      try { v = await openEntry(privateKey, e.sealed); } catch { console.warn('tips: unreadable entry'); continue; }
      if (v.type === 'message') {
        await applyReportChange({ type: 'message', report_id: id, id: v.id, body: v.body, created_at: v.at }, householdId);
      } else if (v.type === 'status') {
        await applyReportChange({ type: 'report_status', report_id: id, status: v.status, reason: v.reason,
          changed_at: v.at }, householdId);
        closedAt = open.includes(v.status) ? null : Date.now();
      }
      n++;
    }
    if (closedAt !== undefined) await store.updateTip(id, (x) => ({ ...x, closedAt }));
    await store.dropSealed(entries.map((e) => e.key));
  }
  return n;
}

/** A tip's mailbox private key (JWK): in the household's copy; a tip of an older version kept it in the queue. */
async function mailboxJwk(session, tipId) {
  const r = await store.report(tipId);
  const mine = r?.sealed && await open(session, r.sealed).catch(() => null);
  if (mine?.mailbox?.jwk) return mine.mailbox.jwk;
  const tip = await store.tip(tipId);
  return tip?.keys ? (await decrypt(await deviceKey(), tip.keys)).jwk : null;
}

/** Files a status change or reply for the report's household: the one its sealed entry was for, or the one an entry
 *  in clear names (a household with no box key yet, whose records name it too). */
async function applyReportChange(c, householdId = null) {
  const report = await store.report(c.report_id);
  const keys = report && (await store.household(householdId ?? c.household_id ?? report.householdId))?.keys;
  if (!keys) return;
  const isStatus = c.type === 'report_status';
  const appt = c.type.startsWith('appointment_'); // a proposal or a reminder (js/screens/slots.js shows them)
  const at = appt ? c.at : isStatus ? c.changed_at : c.created_at;
  const sealed = await seal(keys.publicKey, appt ? { ...c, type: c.type.slice(12) } : isStatus
    ? { type: 'status', status: c.status, reason: c.reason || null, appointment_at: c.appointment_at || null }
    : { type: 'reply', body: c.body, messageId: c.id, ...(c.voice ? { voice: c.voice } : {}) });
  const id = appt ? `${c.type}:${c.report_id}:${c.starts_at || at}` : isStatus ? `st:${c.report_id}:${at}:${c.status}` : 'msg:' + c.id;
  await store.recordReply({ id, reportId: report.id, at, sealed },
    isStatus ? c.status : null);
}
