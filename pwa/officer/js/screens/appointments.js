// Appointment slots (issue 15): open office hours as slots, close days (holidays), the procedures and the papers
// to bring; the next two weeks' slots with who booked them. Phones get the open ones at their next sync.
import { api, query } from '../api.js';
import { t } from '../../../lib/i18n.js';
import { dayText, hourOf, localDay } from '../../../lib/days.js';
import { toLocalInput } from '../../../lib/time.js';
import { attempt, dayInput, field, formValues, h, heading, select, timeInput } from '../ui.js';

const DAYS_SHOWN = 14;

/** Screen: the commune's slots, holidays and procedures. */
export async function appointmentsScreen({ go }) {
  const first = localDay(0);
  const last = localDay(DAYS_SHOWN - 1);
  const [{ slots, holidays, procedures }, officers] = await Promise.all([
    api('/appointments' + query({ first_day: first, last_day: last })), api('/officers').catch(() => [])]);
  const reload = () => go('#/appointments');
  return h('section', { class: 'appointments' }, heading(t('appointments')),
    h('div', { class: 'columns' },
      h('div', {}, h('h3', {}, t('slotsNext', { n: DAYS_SHOWN })), slotTable(slots, reload)),
      h('div', { class: 'side' }, openForm(officers, reload), holidayBox(holidays, reload))),
    procedureBox(procedures, reload));
}

function slotTable(slots, reload) {
  if (!slots.length) return h('p', { class: 'muted' }, t('noSlots'));
  return h('table', { class: 'grid slots' },
    h('thead', {}, h('tr', {}, [t('day'), t('hour'), t('booked'), t('onDuty'), ''].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, slots.map((s) => h('tr', { class: s.closed ? 'closed' : s.booked >= s.capacity ? 'full' : '' },
      h('td', {}, dayText(toLocalInput(s.starts_at))),
      h('td', {}, `${hourOf(s.starts_at)}–${hourOf(s.ends_at)}`),
      h('td', {}, `${s.booked}/${s.capacity}`, s.bookings.length ? h('br') : null,
        s.bookings.map((b) => [h('a', { href: `#/report/${b.report_id}`, class: 'code' }, b.tracking_code), ' '])),
      h('td', {}, s.officer_name || t('none')),
      h('td', {}, h('button', { type: 'button', onclick: async () => {
        if (await attempt(() => api(`/appointments/slots/${s.id}`, { method: 'PATCH', json: { closed: !s.closed } }), t('saved'))) reload();
      } }, s.closed ? t('reopen') : t('close')))))));
}

function openForm(officers, reload) {
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const v = formValues(form);
    const periods = [[v.am_start, v.am_end], [v.pm_start, v.pm_end]].filter(([a, b]) => a && b)
      .map(([start, end]) => ({ start, end }));
    const json = { first_day: v.first_day, last_day: v.last_day, periods, minutes: Number(v.minutes),
      capacity: Number(v.capacity), officer_id: v.officer_id ? Number(v.officer_id) : null,
      weekdays: [...form.querySelectorAll('input[name=weekday]:checked')].map((box) => Number(box.value)) };
    if (await attempt(() => api('/appointments/slots', { method: 'POST', json }), t('saved'))) reload();
  } }, h('h3', {}, t('openSlots')),
  h('div', { class: 'day-time' }, field(t('from'), dayInput('first_day', localDay(1), { required: true })),
    field(t('to'), dayInput('last_day', localDay(14), { required: true }))),
  h('fieldset', { class: 'weekdays' }, h('legend', {}, t('weekdays')),
    [1, 2, 3, 4, 5, 6, 0].map((d) => h('label', {}, h('input', { type: 'checkbox', name: 'weekday', value: String((d + 6) % 7),
      checked: d >= 1 && d <= 5 }), ' ', t('wd' + d)))),
  h('div', { class: 'day-time' }, field(t('morning'), timeInput('am_start', '07:30')), field('–', timeInput('am_end', '11:00'))),
  h('div', { class: 'day-time' }, field(t('afternoon'), timeInput('pm_start', '13:30')), field('–', timeInput('pm_end', '16:30'))),
  h('div', { class: 'day-time' },
    field(t('slotMinutes'), h('input', { name: 'minutes', type: 'number', min: 5, max: 480, value: '30', required: true })),
    field(t('capacity'), h('input', { name: 'capacity', type: 'number', min: 1, max: 500, value: '2', required: true }))),
  field(t('onDuty'), select('officer_id', [['', t('none')], ...officers.map((o) => [o.id, o.display_name])], '')),
  h('button', { type: 'submit', class: 'primary' }, t('openSlots')));
  return form;
}

function holidayBox(holidays, reload) {
  const form = h('form', { class: 'day-time', onsubmit: async (e) => {
    e.preventDefault();
    const v = formValues(form);
    if (await attempt(() => api('/appointments/holidays', { method: 'POST', json: { day: v.day, name: v.name } }), t('saved'))) reload();
  } }, field(t('day'), dayInput('day', '', { required: true })), field(t('name'), h('input', { name: 'name', maxLength: 200 })),
  h('button', { type: 'submit' }, t('addHoliday')));
  return h('div', { class: 'card' }, h('h3', {}, t('holidays')),
    h('ul', { class: 'plain' }, holidays.map((d) => h('li', {}, `${dayText(d.day)} ${d.name}`, ' ',
      h('button', { type: 'button', class: 'link', onclick: async () => {
        if (await attempt(() => api(`/appointments/holidays/${d.id}`, { method: 'DELETE' }), t('saved'))) reload();
      } }, t('remove'))))), form);
}

function procedureBox(procedures, reload) {
  const edit = (p) => {
    const form = h('form', { class: 'card procedure', onsubmit: async (e) => {
      e.preventDefault();
      const json = { name: form.elements.name.value, papers: form.elements.papers.value };
      const path = p ? `/appointments/procedures/${p.id}` : '/appointments/procedures';
      if (await attempt(() => api(path, { method: p ? 'PATCH' : 'POST', json }), t('saved'))) reload();
    } }, field(t('procedure'), h('input', { name: 'name', required: true, maxLength: 200, value: p?.name })),
    field(t('papers'), h('textarea', { name: 'papers', rows: 4, value: p?.papers || '' }), t('papersHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: p ? null : 'primary' }, p ? t('save') : t('addProcedure')),
      p ? h('button', { type: 'button', onclick: async () => {
        if (await attempt(() => api(`/appointments/procedures/${p.id}`, { method: 'PATCH', json: { active: !p.active } }), t('saved'))) reload();
      } }, p.active ? t('deactivate') : t('activate')) : null));
    return form;
  };
  return h('section', { class: 'procedures' }, h('h3', {}, t('procedures')), h('div', { class: 'cards' }, procedures.map(edit), edit(null)));
}
