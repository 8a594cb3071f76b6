// Applies the change feed to the phone: status changes and replies go to the household they are for
// (sealed to its public key: it may be locked), announcements and the group's profile are public.
import * as store from './store.js';
import { seal } from './crypto.js';

/** @param {object[]} changes the `changes` of a sync answer, in feed order */
export async function applyChanges(changes) {
  for (const c of changes) {
    if (c.type === 'report_status' || c.type === 'message') await applyReportChange(c);
    else if (c.type === 'announcement') await store.saveAnnouncement(c);
    else if (c.type === 'announcement_withdrawn') await store.withdrawAnnouncement(c.id);
    else if (c.type === 'group') await store.applyGroup(c.group);
  }
}

async function applyReportChange(c) {
  // The report_id -> household_id map is the reports store: it tells whom a change is for.
  const report = await store.report(c.report_id);
  const keys = report && (await store.household(report.householdId))?.keys;
  if (!keys) return;
  const isStatus = c.type === 'report_status';
  const at = isStatus ? c.changed_at : c.created_at;
  const sealed = await seal(keys.publicKey, isStatus
    ? { type: 'status', status: c.status, reason: c.reason || null, appointment_at: c.appointment_at || null }
    : { type: 'reply', body: c.body, messageId: c.id });
  const id = isStatus ? `st:${c.report_id}:${at}:${c.status}` : 'msg:' + c.id;
  await store.recordReply({ id, reportId: report.id, householdId: report.householdId, at, sealed },
    isStatus ? c.status : null);
}
