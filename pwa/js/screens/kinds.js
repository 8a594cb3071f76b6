// Step 1 of writing: the six kinds, big buttons with icons, the server's name of each and a hint of what it covers.
import { h } from '../../lib/dom.js';
import { label, t } from '../../lib/i18n.js';
import { ICONS, kinds } from '../ui.js';

/** Renders the kind picker. */
export async function render(app) {
  return h('section', {},
    h('h2', {}, t('new.title')),
    h('div', { class: 'kinds' }, kinds().map((kind) =>
      h('button', { type: 'button', class: 'kind', onclick: () => app.go('#/write/' + kind) },
        h('span', { class: 'ico big', 'aria-hidden': 'true' }, ICONS[kind]),
        h('b', {}, label('kind', kind)), h('small', {}, t('kindHelp.' + kind))))),
    h('button', { type: 'button', class: 'btn', onclick: () => app.go('#/home') }, t('nav.back')));
}
