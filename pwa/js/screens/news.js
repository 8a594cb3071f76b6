// Announcements and forms from the commune: public, readable before any household is unlocked,
// and offline once synced (the sync engine keeps the files as blobs).
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { when } from '../../lib/time.js';
import { button, ICON, listenButton } from '../ui.js';
import * as store from '../store.js';
import * as outbox from '../outbox.js';

export const live = true;

const back = (app, to) => button('back', t('nav.back'), () => app.go(to || (app.session ? '#/home' : '#/')));

async function detail(app, a) {
  if (!a.read) {
    await store.markAnnouncementRead(a);
    await outbox.queueReceipt('announcement', a.id);
    app.kick();
  }
  const files = await Promise.all((a.files || []).map(async (f) => {
    const rec = await store.file(`${a.id}/${f.id}`);
    if (!rec) return h('li', {}, ICON('file'), ` ${f.name} — ${t('news.notYet')}`);
    if (String(f.content_type).startsWith('audio/')) { // the announcement's voice version (issue 16)
      return h('li', {}, h('audio', { controls: true, preload: 'metadata', class: 'news-voice',
        src: URL.createObjectURL(new Blob([rec.blob], { type: f.content_type })) }));
    }
    return h('li', {}, h('a', { class: 'btn', href: URL.createObjectURL(rec.blob), download: f.name },
      h('span', { class: 'ico', 'aria-hidden': 'true' }, ICON('file')), `${f.name} (${Math.ceil(f.size / 1024)} KB)`));
  }));
  return h('article', { class: 'card' }, h('h2', {}, a.title), h('p', { class: 'muted' }, when(a.published_at)),
    h('p', { class: 'body' }, a.body), listenButton(`${a.title}. ${a.body}`), files.length ? h('ul', { class: 'files' }, files) : null, back(app, '#/news'));
}

/** Renders the list of announcements, or one of them when `id` is given. */
export async function render(app, id) {
  const all = await store.announcements();
  const one = id && all.find((a) => String(a.id) === id);
  if (one) return detail(app, one);
  return h('section', {}, h('h2', {}, t('news.title')),
    all.length ? h('ul', { class: 'list' }, all.map((a) => h('li', {},
      h('button', { type: 'button', class: 'row' + (a.read ? '' : ' unread'), onclick: () => app.go('#/news/' + a.id) },
        h('span', { class: 'ico', 'aria-hidden': 'true' }, ICON(a.files?.length ? 'file' : 'news')),
        h('span', { class: 'grow' }, h('b', {}, a.title), h('small', {}, when(a.published_at))),
        a.read ? null : h('span', { class: 'badge new' }, t('news.new')))))) : h('p', { class: 'muted' }, t('news.empty')),
    back(app));
}
