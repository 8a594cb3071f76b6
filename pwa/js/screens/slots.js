// Appointment slots on the phone (issue 15), loaded only when an appointment is written or read (not with the
// shell): the procedure with the papers to bring and the commune's open slots, offered offline; a proposal to
// pick again when the slot filled meanwhile; the reminder the day before.
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { dayOf, hourOf } from '../../lib/days.js';
import { fromLocalInput, toLocalInput, when } from '../../lib/time.js';
import * as strings from '../strings.js';
import * as words from '../strings-slots.js';
import * as store from '../store.js';
import { deviceKey, encrypt, lockUp } from '../crypto.js';
import { forServer } from '../outbox.js';

Object.assign(strings.vi, words.vi); // the shell's dictionaries, which lib/i18n.js reads
Object.assign(strings.en, words.en);
if (!document.querySelector('link[href="css/slots.css"]')) {
  document.head.append(h('link', { rel: 'stylesheet', href: 'css/slots.css' }));
}

const field = (id, label, input) => h('div', { class: 'field' }, h('label', { for: id }, label), input);

/** A slot as the household reads it: 'Thứ Năm, 04/12/2026 07:30'. */
const slotText = (at) => `${dayOf(at)} ${hourOf(at)}`;

/** The open slots (not past) of the commune's last snapshot, grouped by their local day. */
function slotDays(appts) {
  const days = new Map();
  for (const slot of appts?.slots || []) {
    if (Date.parse(slot.starts_at) <= Date.now()) continue;
    const day = dayOf(slot.starts_at);
    days.set(day, [...(days.get(day) || []), slot]);
  }
  return days;
}

/** The form's inputs: procedure, papers and slots; a free time when the commune has opened no slots. */
export function appointmentInputs(f, appts) {
  const days = slotDays(appts);
  if (!days.size) {
    return [field('when', t('new.when'), h('input', { id: 'when', type: 'datetime-local', value: toLocalInput(f.appointment_at) })),
      h('p', { class: 'muted' }, t('appt.noSlots'))];
  }
  const procedures = appts.procedures || [];
  const papers = h('ul', { class: 'papers', id: 'papers', 'aria-live': 'polite' });
  const bring = h('p', { class: 'muted' }, t('appt.bring'));
  const showPapers = (id) => {
    const p = procedures.find((x) => String(x.id) === String(id));
    papers.replaceChildren(...(p?.papers || []).map((x) => h('li', {}, x)));
    bring.hidden = !p?.papers?.length;
  };
  const select = h('select', { id: 'procedure', onchange: () => showPapers(select.value) },
    h('option', { value: '' }, t('appt.otherProcedure')),
    procedures.map((p) => h('option', { value: String(p.id), selected: f.procedure_id === p.id }, p.name)));
  showPapers(select.value);
  return [field('procedure', t('appt.procedure'), select), bring, papers,
    h('fieldset', { class: 'slots' }, h('legend', {}, t('appt.pick')),
      [...days].map(([day, slots]) => h('div', { class: 'slot-day' }, h('p', { class: 'day' }, day),
        h('div', { class: 'chips' }, slots.map((slot) => h('label', { class: 'chip' },
          h('input', { type: 'radio', name: 'slot', value: String(slot.id), 'data-at': slot.starts_at,
            checked: f.slot_id === slot.id }),
          h('span', {}, hourOf(slot.starts_at))))))))];
}

/** The slot picked (its time is the requested one) and the procedure, or the free time typed without slots. */
export function appointmentFields(form) {
  const slot = form.querySelector('[name=slot]:checked');
  const procedure = Number(form.querySelector('#procedure')?.value) || undefined;
  if (!slot) return { appointment_at: fromLocalInput(form.querySelector('#when')?.value.trim()), procedure_id: procedure };
  return { appointment_at: slot.dataset.at, slot_id: Number(slot.value), procedure_id: procedure };
}

export const TYPES = ['proposal', 'reminder', 'pick'];

/** The latest word on the appointment: a proposal stays open unless a pick or a confirmation came after it. */
export const lastWord = (events) => events.filter((e) => ['proposal', 'pick'].includes(e.value.type) || e.value.appointment_at).pop();

/** A timeline entry for a proposal (its free slots as buttons while it is the latest word), a reminder or a pick. */
export function entry(e, pending, active, pick) {
  const v = e.value;
  if (v.type === 'proposal') {
    return h('li', { class: 'ev reply proposal' }, h('time', {}, when(e.at)), h('b', {}, t('appt.full')),
      !v.slots.length ? h('p', {}, t('appt.noneFree'))
        : active ? h('div', { class: 'picks' }, h('p', {}, t('appt.pickAgain')), v.slots.map((slot) =>
          h('button', { type: 'button', class: 'btn', onclick: () => pick(slot) }, slotText(slot.starts_at))))
          : h('p', { class: 'muted' }, v.slots.map((slot) => slotText(slot.starts_at)).join(' · ')));
  }
  if (v.type === 'reminder') {
    return h('li', { class: 'ev reply reminder' }, h('time', {}, when(e.at)),
      h('b', {}, t('appt.reminder', { at: slotText(v.starts_at) })), v.procedure ? h('p', {}, v.procedure) : null,
      v.papers?.length ? [h('p', {}, t('appt.bring')), h('ul', { class: 'papers' }, v.papers.map((x) => h('li', {}, x)))] : null);
  }
  return h('li', { class: 'ev mine' }, h('time', {}, when(e.at)), h('b', {}, t('appt.picked', { at: slotText(v.starts_at) })),
    pending ? h('small', {}, t('state.' + pending)) : null);
}

/**
 * Queues the household's new pick of a slot for its appointment (after the one it asked for filled), signed like its
 * other items (ADR 0005) and sealed to the server like them (outbox.js); the household's copy shows "waiting" until the server confirms.
 * @param {{id: number, starts_at: string}} slot
 */
export async function queueBooking(session, householdId, reportId, slot) {
  const id = crypto.randomUUID();
  const at = new Date().toISOString();
  let item = { type: 'booking', id, report_id: reportId, slot_id: slot.id, created_at: at };
  if (session?.sign) item = await (await import('../keys.js')).signItem(session, item);
  const [box, mine] = await Promise.all([encrypt(await deviceKey(), await forServer(item, !!session?.sign)), lockUp(session, { type: 'pick', starts_at: slot.starts_at })]);
  await store.queue({ id, type: 'booking', reportId, state: 'waiting', createdAt: at, payload: box },
    { event: { id: 'out:' + id, reportId, at, sealed: mine, outboxId: id } });
}
