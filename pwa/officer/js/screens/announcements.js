// Announcements: the list, and the form that saves a new draft for the whole commune or some villages.
import { api } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { rules } from '../../../lib/rules.js';
import { fromLocalInput, when } from '../../../lib/time.js';
import { attempt, errorText, field, h, heading } from '../ui.js';

/** Screen: the commune's announcements and a form for a new one. */
export async function announcementsScreen({ go }) {
  let list;
  let villages;
  try {
    [list, villages] = await Promise.all([api('/announcements'), api('/villages')]);
  } catch (e) {
    return h('p', { class: 'error' }, errorText(e));
  }
  return h('section', {}, heading(t('announcements')), composeForm(villages, go),
    h('ul', { class: 'announcements' }, list.map((a) => h('li', { class: `ann state-${a.state}` },
      h('a', { href: `#/announcement/${a.id}` }, h('strong', {}, a.title)), ' ',
      h('span', { class: 'badge' }, label('state', a.state)), ' ',
      h('span', { class: 'muted' }, a.villages.length ? a.villages.map((v) => v.name).join(', ') : t('wholeCommune'),
        ' — ', when(a.published_at || a.created_at), a.files.length ? ` — 📎 ${a.files.length}` : '',
        a.state !== 'draft' ? ` — ${t('readBy', { n: a.read_by_groups })}` : '')))));
}

/** Checkboxes for the target villages; none ticked means the whole commune. */
export function villageChoices(villages, chosen = []) {
  return h('fieldset', { class: 'villages' }, h('legend', {}, t('targets')), h('small', { class: 'muted' }, t('targetsHint')),
    villages.map((v) => h('label', {}, h('input', { type: 'checkbox', name: 'village', value: String(v.id),
      checked: chosen.includes(v.id) }), ' ', v.name)));
}

export function chosenVillages(form) {
  return [...form.querySelectorAll('input[name=village]:checked')].map((box) => Number(box.value));
}

/** An expiry typed as a day: the end of that day in the commune. */
export function expiryIso(day) { return day ? fromLocalInput(`${day}T23:59`) : null; }

function composeForm(villages, go) {
  const title = h('input', { name: 'title', required: true, maxLength: rules().limits.announcement_title });
  const body = h('textarea', { name: 'body', rows: 5, required: true, maxLength: rules().limits.announcement_body });
  const expires = h('input', { name: 'expires_at', type: 'date' });
  const form = h('form', { class: 'card compose', onsubmit: async (e) => {
    e.preventDefault();
    const created = await attempt(() => api('/announcements', { method: 'POST', json: {
      title: title.value, body: body.value, village_ids: chosenVillages(form), expires_at: expiryIso(expires.value) } }), t('saved'));
    if (created) go(`#/announcement/${created.id}`);
  } }, field(t('title'), title), field(t('body'), body),
  villageChoices(villages), field(t('expires'), expires), h('button', { type: 'submit', class: 'primary' }, t('createDraft')));
  return h('details', { class: 'compose-box' }, h('summary', {}, t('newAnnouncement')), form);
}
