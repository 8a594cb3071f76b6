// The unlocked household's home: write, its reports with their outbox state, send now, purge.
import { t } from '../i18n.js';
import { h, button, badge, stateOf, progress, KINDS, when } from '../ui.js';
import { STORES, getAll, get, tx } from '../db.js';
import { open } from '../crypto.js';
import * as outbox from '../outbox.js';

export const live = true;

async function purge(app, reports, queued) {
  if (!confirm(t('home.purgeAsk'))) return;
  const done = reports.filter((r) => r.trackingCode && !queued.has(r.id));
  const events = (await Promise.all(done.map((r) => getAll(STORES.EVENTS, 'report', r.id)))).flat();
  // Keep only what the household needs to follow up: tracking code and status.
  await tx([STORES.REPORTS, STORES.EVENTS], 'readwrite', (s) => {
    done.forEach((r) => s.reports.put({ ...r, sealed: null, purged: true }));
    events.forEach((e) => s.events.delete(e.id));
  });
  app.refresh();
}

function row(app, r, content, item) {
  const state = stateOf(r, item);
  const pct = state === 'sending' ? progress(item) : null;
  const kind = content?.kind;
  return h('li', {},
    h('button', { type: 'button', class: 'row', onclick: () => app.go('#/report/' + r.id) },
      h('span', { class: 'ico', 'aria-hidden': 'true' }, KINDS[kind] || '✉️'),
      h('span', { class: 'grow' },
        h('b', {}, kind ? t('kind.' + kind) : t('home.purged')),
        h('small', { class: 'snippet' }, content ? content.body.slice(0, 80) : ''),
        h('small', {}, r.trackingCode ? t('home.code', { code: r.trackingCode }) : when(r.createdAt))),
      badge(state, pct != null ? ` ${pct}%` : ''),
      r.unseen ? h('span', { class: 'dot', role: 'img', 'aria-label': t('home.new') }) : null));
}

/** Renders the household's home screen. */
export async function render(app) {
  // Pinned for this render: "Đổi hộ" may lock the phone while it awaits the database.
  const { session, household } = app;
  if (!session) return null;
  const hid = household.id;
  const reports = (await getAll(STORES.REPORTS, 'household', hid))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const items = new Map((await outbox.items()).map((i) => [i.id, i]));
  const draft = await get(STORES.DRAFTS, hid);
  const contents = await Promise.all(reports.map((r) => (r.sealed ? open(session, r.sealed) : null)));
  const waiting = [...items.values()].filter((i) => i.householdId === hid).length;
  return h('section', {},
    h('div', { class: 'grid2' },
      button('✍️', t('home.write'), () => app.go('#/new'), 'primary'),
      draft ? button('🗒️', t('home.draft'), () => app.go('#/write/draft')) : null,
      button('📤', t('home.sendNow') + (waiting ? ` (${waiting})` : ''), () => app.kick(true)),
      button('📢', t('news.title'), () => app.go('#/news'))),
    h('h2', {}, t('home.mine')),
    reports.length
      ? h('ul', { class: 'list' }, reports.map((r, i) => row(app, r, contents[i], items.get(r.id))))
      : h('p', { class: 'muted' }, t('home.empty')),
    reports.some((r) => r.trackingCode && !r.purged)
      ? button('🧹', t('home.purge'), () => purge(app, reports, items), 'wide quiet') : null);
}
