// Household picker: the shared phone's front door. Shows names only, nothing a household wrote.
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { button, ICON } from '../ui.js';
import * as store from '../store.js';

// A revoked phone (lost, then found?) must enrol again; households and their PINs stay.
const reEnrol = (app) => store.forgetEnrolment().then(() => app.go('#/'));

export const live = true;

/** Renders the list of the group's households and the commune's announcements entry. */
export async function render(app) {
  const group = await store.getMeta('group');
  const list = await store.households();
  const unread = (await store.allAnnouncements()).filter((a) => !a.read).length;
  const revoked = await store.getMeta('revoked');
  return h('section', {},
    revoked ? h('div', { class: 'card warn', role: 'alert' }, h('p', {}, t('app.revoked')),
      button('key', t('enrol.again'), () => reEnrol(app), 'primary')) : null,
    h('h2', {}, t('pick.title')),
    h('p', { class: 'muted' }, group ? `${group.name} · ${group.commune?.name || ''}` : ''),
    h('ul', { class: 'list' }, list.map((x) => h('li', {},
      h('button', { type: 'button', class: 'row', onclick: () => app.go('#/pin/' + x.id) },
        h('span', { class: 'ico', 'aria-hidden': 'true' }, ICON('home')),
        h('span', { class: 'grow' }, x.name),
        h('small', {}, x.keys ? [ICON('lock'), ' ', t('pick.locked')] : t('pick.new')))))),
    button('news', t('news.title') + (unread ? ` (${t('news.unread', { n: unread })})` : ''),
      () => app.go('#/news'), 'wide'));
}
