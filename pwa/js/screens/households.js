// Household picker: the shared phone's front door. Shows names only, nothing a household wrote.
import { t } from '../i18n.js';
import { h, button } from '../ui.js';
import { STORES, getAll, getMeta, tx } from '../db.js';

// A revoked phone (lost, then found?) must enrol again; households and their PINs stay.
const reEnrol = (app) => tx([STORES.META], 'readwrite', (s) => {
  ['token', 'cursor', 'revoked'].forEach((k) => s.meta.delete(k));
}).then(() => app.go('#/'));

export const live = true;

/** Renders the list of the group's households and the commune's announcements entry. */
export async function render(app) {
  const group = await getMeta('group');
  const list = (await getAll(STORES.HOUSEHOLDS)).filter((x) => !x.removed);
  const unread = (await getAll(STORES.NEWS)).filter((a) => !a.read).length;
  const revoked = await getMeta('revoked');
  return h('section', {},
    revoked ? h('div', { class: 'card warn', role: 'alert' }, h('p', {}, t('app.revoked')),
      button('🔑', t('enrol.again'), () => reEnrol(app), 'primary')) : null,
    h('h2', {}, t('pick.title')),
    h('p', { class: 'muted' }, group ? `${group.name} · ${group.commune?.name || ''}` : ''),
    h('ul', { class: 'list' }, list.map((x) => h('li', {},
      h('button', { type: 'button', class: 'row', onclick: () => app.go('#/pin/' + x.id) },
        h('span', { class: 'ico', 'aria-hidden': 'true' }, '🏠'),
        h('span', { class: 'grow' }, x.name),
        h('small', {}, x.keys ? t('pick.locked') : t('pick.new')))))),
    button('📢', t('news.title') + (unread ? ` (${t('news.unread', { n: unread })})` : ''),
      () => app.go('#/news'), 'wide'));
}
