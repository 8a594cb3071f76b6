// Applies the change feed to the phone: status changes and replies go to the household they are for
// (sealed to its public key: it may be locked), announcements and the group's profile are public.
// A feed entry sealed to a household (ADR 0005: payload {household_id, sealed}) stays sealed in its inbox until
// that household unlocks online; openSealed then opens it with the box key and applies it like a clear one.
import * as store from './store.js';
import { seal } from './crypto.js';
import { HOUSEHOLD, openEntry } from './seal.js';

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

async function applyChange(c) {
  if (c.type === 'appointment_slots') await store.saveAppointments(c); // issue 15: the commune's open slots
  else if (/^(report_status|message|appointment_)/.test(c.type)) await applyReportChange(c);
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
  let n = 0;
  for (const e of entries) {
    let clear = null;
    try {
      clear = await openEntry(session.privateKey, e.sealed, HOUSEHOLD);
    } catch { /* sealed to an older key: lost with the PIN reset, as the app warned */ }
    if (clear) {
      await applyChange({ ...e.change, ...clear, type: clear.type || e.change.type });
      n++;
    }
  }
  await store.dropSealed(entries.map((e) => e.key));
  return n;
}

async function applyReportChange(c) {
  // The report_id -> household_id map is the reports store: it tells whom a change is for.
  const report = await store.report(c.report_id);
  const keys = report && (await store.household(report.householdId))?.keys;
  if (!keys) return;
  const isStatus = c.type === 'report_status';
  const appt = c.type.startsWith('appointment_'); // a proposal or a reminder (js/screens/slots.js shows them)
  const at = appt ? c.at : isStatus ? c.changed_at : c.created_at;
  const sealed = await seal(keys.publicKey, appt ? { ...c, type: c.type.slice(12) } : isStatus
    ? { type: 'status', status: c.status, reason: c.reason || null, appointment_at: c.appointment_at || null }
    : { type: 'reply', body: c.body, messageId: c.id, ...(c.voice ? { voice: c.voice } : {}) });
  const id = appt ? `${c.type}:${c.report_id}:${c.starts_at || at}` : isStatus ? `st:${c.report_id}:${at}:${c.status}` : 'msg:' + c.id;
  await store.recordReply({ id, reportId: report.id, householdId: report.householdId, at, sealed },
    isStatus ? c.status : null);
}
