// One announcement: edit the draft, attach forms (PDF or images), publish, expire or withdraw.
import { api } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { when } from '../../../lib/time.js';
import { attempt, field, h, heading } from '../ui.js';
import { announcementForm } from './announcements.js';

/** Screen: the announcement with id. */
export async function announcementScreen({ id, go }) {
  const [item, villages] = await Promise.all([api(`/announcements/${encodeURIComponent(id)}`), api('/villages')]);
  const reload = () => go(`#/announcement/${item.id}`);
  const act = (verb) => async () => {
    if (await attempt(() => api(`/announcements/${item.id}/${verb}`, { method: 'POST' }), t('saved'))) reload();
  };
  return h('section', { class: 'announcement' },
    h('a', { href: '#/announcements', class: 'back' }, t('back')),
    heading(item.title),
    h('p', {}, h('span', { class: 'badge' }, label('state', item.state)), ' ',
      item.villages.length ? item.villages.map((v) => v.name).join(', ') : t('wholeCommune'),
      item.published_at ? ` — ${when(item.published_at)}` : '',
      item.expires_at ? ` — ${t('expires')}: ${when(item.expires_at)}` : '',
      item.state !== 'draft' ? ` — ${t('readBy', { n: item.read_by_groups })}` : ''),
    item.state === 'draft' ? announcementForm(villages, item, reload) : h('p', { class: 'body' }, item.body),
    files(item, reload),
    h('div', { class: 'actions' },
      item.state === 'draft' ? h('button', { type: 'button', class: 'primary', onclick: act('publish') }, t('publish')) : null,
      item.state === 'published' ? h('button', { type: 'button', onclick: act('expire') }, t('expireNow')) : null,
      item.state !== 'withdrawn' ? h('button', { type: 'button', class: 'danger', onclick: act('withdraw') }, t('withdraw')) : null));
}

function files(item, reload) {
  const input = h('input', { type: 'file', name: 'file', accept: 'application/pdf,image/jpeg,image/png,image/webp,audio/webm,audio/ogg' });
  const upload = item.state === 'draft' ? h('form', { class: 'upload', onsubmit: async (e) => {
    e.preventDefault();
    const file = input.files[0];
    if (!file) return;
    const done = await attempt(() => api(`/announcements/${item.id}/files?name=${encodeURIComponent(file.name)}`, {
      method: 'POST', body: file, type: file.type || 'application/octet-stream' }), t('saved'));
    if (done) reload();
  } }, field(t('files'), input), h('button', { type: 'submit' }, t('addFile'))) : null;
  return h('section', { class: 'files' }, h('h3', {}, t('files')),
    h('ul', {}, item.files.map((f) => h('li', {},
      h('a', { href: `/api/v1/officer/attachments/${f.id}`, target: '_blank', rel: 'noopener' }, f.name || f.id),
      ` (${Math.ceil(f.size / 1024)} KB) `,
      item.state === 'draft' ? h('button', { type: 'button', class: 'link', onclick: async () => {
        if (await attempt(() => api(`/announcements/${item.id}/files/${f.id}`, { method: 'DELETE' }))) reload();
      } }, t('remove')) : null))), upload);
}
