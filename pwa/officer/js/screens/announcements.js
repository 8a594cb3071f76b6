// Announcements: the list, and the form that saves a new draft for the whole commune or some villages.
import { api } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { rules } from '../../../lib/rules.js';
import { parseDayText } from '../../../lib/days.js';
import { fromLocalInput, toLocalInput, when } from '../../../lib/time.js';
import { attempt, dayInput, field, h, heading } from '../ui.js';

/** Screen: the commune's announcements and a form for a new one. */
export async function announcementsScreen({ go }) {
  const [list, villages] = await Promise.all([api('/announcements'), api('/villages')]);
  return h('section', {}, heading(t('announcements')),
    h('details', { class: 'compose-box' }, h('summary', {}, t('newAnnouncement')),
      announcementForm(villages, null, (created) => go(`#/announcement/${created.id}`))),
    h('ul', { class: 'announcements' }, list.map((a) => h('li', { class: `ann state-${a.state}` },
      h('a', { href: `#/announcement/${a.id}` }, h('strong', {}, a.title)), ' ',
      h('span', { class: 'badge' }, label('state', a.state)), ' ',
      h('span', { class: 'muted' }, a.villages.length ? a.villages.map((v) => v.name).join(', ') : t('wholeCommune'),
        ' — ', when(a.published_at || a.created_at), a.files.length ? ` — 📎 ${a.files.length}` : '',
        a.state !== 'draft' ? ` — ${t('readBy', { n: a.read_by_groups })}` : '')))));
}

/** Checkboxes for the target villages; none ticked means the whole commune. */
function villageChoices(villages, chosen = []) {
  return h('fieldset', { class: 'villages' }, h('legend', {}, t('targets')), h('small', { class: 'muted' }, t('targetsHint')),
    villages.map((v) => h('label', {}, h('input', { type: 'checkbox', name: 'village', value: String(v.id),
      checked: chosen.includes(v.id) }), ' ', v.name)));
}

/** The form of a new announcement (item null: saved as a draft) or of a draft being edited. */
export function announcementForm(villages, item, onSaved) {
  const { limits } = rules();
  const title = h('input', { name: 'title', required: true, maxLength: limits.announcement_title, value: item?.title });
  const body = h('textarea', { name: 'body', rows: item ? 6 : 5, required: true, maxLength: limits.announcement_body,
    value: item?.body });
  const expires = dayInput('expires_at', item?.expires_at ? toLocalInput(item.expires_at).slice(0, 10) : '');
  const form = h('form', { class: item ? 'card' : 'card compose', onsubmit: async (e) => {
    e.preventDefault();
    const json = { title: title.value, body: body.value,
      village_ids: [...form.querySelectorAll('input[name=village]:checked')].map((box) => Number(box.value)),
      expires_at: parseDayText(expires.value) ? fromLocalInput(`${parseDayText(expires.value)}T23:59`) : null }; // the end of that day, locally
    const saved = await attempt(() => api(item ? `/announcements/${item.id}` : '/announcements',
      { method: item ? 'PATCH' : 'POST', json }), t('saved'));
    if (saved) onSaved(saved);
  } }, field(t('title'), title), field(t('body'), body), villageChoices(villages, item?.villages.map((v) => v.id)),
  field(t('expires'), expires), h('button', { type: 'submit', class: item ? null : 'primary' }, item ? t('save') : t('createDraft')));
  return form;
}
