// One report: its status timeline, officer replies, confirmed appointment, follow-up messages.
import { h } from '../../lib/dom.js';
import { label, t } from '../../lib/i18n.js';
import { when } from '../../lib/time.js';
import { clock, openReply } from '../voice.js';
import { button, badge, listenButton, stateOf, ICON, ICONS, limit, tipItem } from '../ui.js';
import * as store from '../store.js';
import { open } from '../crypto.js';
import * as outbox from '../outbox.js';
import { owns, writtenAt } from '../mine.js';

export const live = true;

/** The officer's spoken reply, opened with the key its sealed reply carries; null while not fetched yet. */
async function replyAudio(v) {
  if (!v?.voice) return null;
  const rec = await store.file(`voice/${v.voice.id}`);
  if (!rec) return h('p', { class: 'muted' }, t('report.voiceLater'));
  try {
    const blob = await openReply(rec.blob, v.voice);
    return h('audio', { controls: true, preload: 'metadata', class: 'reply-voice', src: URL.createObjectURL(blob) });
  } catch { return null; }
}

function entry(e, pending, newAppt, extra, heard) {
  const v = e.value;
  if (extra?.slots.TYPES.includes(v.type)) return extra.slots.entry(e, pending, e === extra.last, extra.pick);
  if (v.type === 'status') {
    return h('li', { class: 'ev status' }, h('time', {}, when(e.at)),
      h('b', {}, label('status', v.status)),
      newAppt ? h('p', { class: 'appt' }, ICON('appointment'), ' ', t('report.appt', { at: when(v.appointment_at) })) : null,
      v.reason ? h('p', {}, v.reason) : null);
  }
  const officer = v.type === 'reply';
  return h('li', { class: 'ev ' + (officer ? 'reply' : 'mine') }, h('time', {}, when(e.at)),
    h('b', {}, officer ? (v.voice ? t('report.voiceReply') : t('report.officer')) : t('report.you')),
    v.body ? h('p', {}, v.body) : null, heard || null, officer ? listenButton(v.body) : null,
    pending ? h('small', {}, t('state.' + pending)) : null);
}

/** The household's recording while it waits on the phone (it leaves the phone once the server holds it). */
async function ownRecording(item, session) {
  const att = (item?.attachments || []).find((a) => String(a.content_type).startsWith('audio/') && !a.done);
  const bytes = att ? await outbox.photoBytes(att.id, session) : null;
  return bytes ? h('audio', { controls: true, preload: 'metadata', class: 'own-voice',
    src: URL.createObjectURL(new Blob([bytes], { type: att.content_type })) }) : null;
}

async function markRead(events, tip, session) {
  const unread = events.filter((e) => e.value.type === 'reply' && !e.read);
  for (const e of unread) {
    // A tip's receipts go through its mailbox: a receipt in /sync would tie the tip to this phone.
    if (tip) await outbox.queueTipReceipt(tip.id, e.value.messageId);
    else await outbox.queueReceipt('message', e.value.messageId, session);
  }
  if (!unread.length) return false;
  await store.markRead(unread);
  return true;
}

/** Renders report `id` of the unlocked household. */
export async function render(app, id) {
  // Pinned for this render: "Đổi hộ" may lock the phone while it awaits the database.
  const { session, household } = app;
  if (!session) return null;
  if (!session.privateKey) return app.go('#/home'); // unlocked offline: reading needs one online unlock
  const r = await store.report(id);
  if (!(await owns(session, household.id, r))) return app.go('#/home');
  const queued = new Map((await store.outboxItems()).map((i) => [i.id, i]));
  const tip = await store.tip(id);
  (tip?.pending || []).forEach((p) => queued.set(p.id, { state: 'waiting' })); // follow-ups for its mailbox
  const item = tip ? tipItem(tip) : queued.get(id);
  // Sealed to keys retired by a PIN reset: unreadable, as the app warned.
  const content = r.sealed ? await open(session, r.sealed).catch(() => null) : null;
  // A tip's follow-up keeps the moment it was written inside its seal; its event, the day (issue 11).
  const events = (await Promise.all((await store.timeline(id))
    .map(async (e) => ({ ...e, value: await open(session, e.sealed).catch(() => null) })))).filter((e) => e.value)
    .map((e) => (e.value.written_at ? { ...e, at: e.value.written_at } : e)).sort((a, b) => String(a.at).localeCompare(String(b.at)));
  if ((await markRead(events, tip, session)) | r.unseen) {
    await store.markReportSeen(id);
    app.kick();
  }
  const appt = events.filter((e) => e.value.appointment_at).pop();
  // Issue 15: proposals, reminders and picks of slots are drawn by slots.js, loaded only when there are some.
  const slots = events.some((e) => ['proposal', 'reminder', 'pick'].includes(e.value.type)) ? await import('./slots.js') : null;
  const extra = slots && { slots, last: slots.lastWord(events), pick: async (slot) => {
    await slots.queueBooking(session, household.id, id, slot);
    app.kick();
    app.refresh();
  } };
  const heard = await Promise.all(events.map((e) => replyAudio(e.value)));
  // A sync drawing this screen again keeps what is being typed here (app.js keepTyped); a lock forgets it.
  const body = h('textarea', { id: 'followup', rows: '3', maxlength: limit('message_body'), autocomplete: 'off' });
  // Loaded on demand (issue 17): only a report or tip still queued can go by SMS.
  const bySms = item ? await (await import('./sms-offer.js')).smsOffer(app, id) : null;
  return h('section', {},
    h('h2', {}, h('span', { 'aria-hidden': 'true' }, ICONS[content?.kind], ' '),
      content ? label('kind', content.kind) : t('home.purged')),
    h('p', {}, badge(r, item), ' ',
      r.trackingCode ? h('span', { class: 'code' }, t('home.code', { code: r.trackingCode })) : t('report.noCode')),
    item?.state === 'attention' ? h('div', { class: 'card warn', role: 'alert' },
      h('p', {}, t('report.problem'), ' ', item.error?.message || item.error?.code || ''),
      item.error?.fields ? h('ul', {}, Object.entries(item.error.fields).map(([k, v]) => h('li', {}, `${k}: ${[].concat(v).join(' ')}`))) : null,
      item.payload
        ? button('write', t('report.fix'), () => app.go('#/write/fix/' + id), 'primary')
        : button('retry', t('report.retry'), async () => { await store.updateItem(id, { state: 'uploading', error: null }); app.kick(true); }),
      button('trash', t('report.drop'), async () => {
        if (!confirm(t('report.dropAsk'))) return;
        await store.dropReport(id);
        app.go('#/home');
      })) : null,
    item?.state !== 'attention' && item?.error?.code === 'quota_exceeded'
      ? h('p', { class: 'card warn', role: 'status' }, t('report.quota')) : null,
    tip ? h('p', { class: 'card', role: 'note' }, t('report.alone')) : null,
    bySms,
    appt ? h('p', { class: 'card appt' }, ICON('appointment'), ' ', t('report.appt', { at: when(appt.value.appointment_at) })) : null,
    content ? h('div', { class: 'card' },
      content.category ? h('p', {}, h('b', {}, label('category', content.category))) : null,
      h('p', { class: 'body' }, content.body),
      content.location ? h('p', {}, ICON('place'), ' ', content.location) : null,
      h('p', { class: 'muted' }, [when(writtenAt(session, r)), content.urgency === 'urgent' ? label('urgency', 'urgent') : '',
        content.anonymous ? t('report.anon') : '', content.photos ? t('report.photos', { n: content.photos }) : '',
        content.voice_ms ? t('report.voice', { t: clock(content.voice_ms) }) : '']
        .filter(Boolean).join(' · ')), await ownRecording(item, session)) : h('p', { class: 'muted' }, t('report.purgedHelp')),
    h('h3', {}, t('report.timeline')),
    h('ol', { class: 'timeline' }, events.map((e, i) => entry(e,
      e.outboxId && queued.get(e.outboxId) && stateOf({}, queued.get(e.outboxId)),
      e.value.appointment_at && e.value.appointment_at !== events.slice(0, i).map((x) => x.value.appointment_at).filter(Boolean).pop(),
      extra, heard[i]))),
    r.sealed && item?.state !== 'attention' ? h('form', { class: 'card', autocomplete: 'off', onsubmit: async (e) => {
      e.preventDefault();
      const text = body.value.trim();
      if (!text) return;
      await (tip ? outbox.queueTipMessage : outbox.queueMessage)(session, household.id, id, text,
        content?.kind === 'tip');
      body.value = ''; // sent: the screen drawn next must not keep it (app.js keepTyped)
      app.kick();
      app.refresh();
    } }, h('label', { for: 'followup' }, t('report.more')), body,
    h('button', { type: 'submit', class: 'btn primary' }, t('report.sendMore'))) : null,
    button('back', t('nav.back'), () => app.go('#/home')));
}
