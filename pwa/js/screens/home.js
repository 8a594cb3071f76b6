// The unlocked household's home: write, its reports with their outbox state, send now, purge.
import { h } from '../../lib/dom.js';
import { label, t } from '../../lib/i18n.js';
import { clock, when } from '../../lib/time.js';
import { button, badge, ICON, ICONS, kb, tipItem } from '../ui.js';
import * as store from '../store.js';
import { open } from '../crypto.js';
import { householdDraft, householdReports, owned } from '../mine.js';

export const live = true;

async function purge(app, householdId) {
  if (!confirm(t('home.purgeAsk'))) return;
  // Keeps what the household needs to follow up: code and status.
  await store.purgeHousehold(await owned(app.session, householdId));
  app.refresh();
}

/** A queued recording, with its size: what the outbox still has to send (issue 16). */
function queuedVoice(item) {
  const att = (item?.attachments || []).find((a) => String(a.content_type).startsWith('audio/') && !a.done);
  return att ? h('small', { class: 'voice-size' }, ICON('mic'), ' ', kb(att.size - (att.received || 0))) : null;
}

function row(app, r, content, item) {
  const kind = content?.kind;
  return h('li', {},
    h('button', { type: 'button', class: 'row', onclick: () => app.go('#/report/' + r.id) },
      h('span', { class: 'ico', 'aria-hidden': 'true' }, ICONS[kind || 'mail']),
      h('span', { class: 'grow' },
        h('b', {}, kind ? label('kind', kind) : t('home.purged')),
        h('small', { class: 'snippet' }, content ? content.body.slice(0, 80) ||
          t('report.voice', { t: clock(content.voice_ms) }) : ''),
        queuedVoice(item),
        h('small', { class: 'code' }, r.trackingCode ? t('home.code', { code: r.trackingCode }) : when(r.createdAt))),
      badge(r, item),
      r.unseen ? h('span', { class: 'dot', role: 'img', 'aria-label': t('home.new') }) : null));
}

/** Renders the household's home screen. */
export async function render(app) {
  // Pinned for this render: "Đổi hộ" may lock the phone while it awaits the database.
  const { session, household } = app;
  if (!session) return null;
  const hid = household.id;
  const reports = await householdReports(session, hid); // its earlier ones only after an online unlock (mine.js)
  const items = new Map((await store.outboxItems()).map((i) => [i.id, i]));
  const mine = new Set(reports.map((r) => r.id));
  // Queued items and tips name no household: this household's are those of its own reports.
  (await store.tips()).filter((x) => mine.has(x.id) && tipItem(x)).forEach((x) => items.set(x.id, tipItem(x)));
  const draft = await householdDraft(session);
  // Offline unlock (ADR 0005): the PIN opened the writing key only; reading waits for one online unlock.
  const reading = !!session.privateKey;
  const contents = await Promise.all(reports.map((r) => (reading && r.sealed
    ? open(session, r.sealed).catch(() => null) : null)));
  const waiting = [...items.values()].filter((i) => (i.tip ? i.state !== 'uploading' : mine.has(store.reportOf(i))))
    .length;
  const again = () => app.go('#/pin/' + hid);
  // Reports by SMS (issue 17): unlocked offline, the report screen is out of reach, so the home offers SMS for
  // every queued report; unlocked online, only for an urgent one that has waited with no data.
  const queuedReports = [...items.values()].filter((i) => i.state !== 'attention'
    && (i.tip ? i.state === 'waiting' : i.type === 'report' && mine.has(i.id)));
  const offers = queuedReports.length ? await import('./sms-offer.js').then(({ smsOffer }) => Promise.all(
    queuedReports.map((i) => smsOffer(app, i.id, { onlyPressing: reading,
      title: t('home.queuedAt', { at: when(i.createdAt || reports.find((r) => r.id === i.id)?.createdAt) }) })))) : [];
  return h('section', {},
    session.legacy ? h('div', { class: 'card warn', role: 'status' }, h('p', {}, t('home.needCode')),
      button('key', t('home.enterCode'), () => app.go(`#/pin/${hid}/claim`), 'primary')) : null,
    reading ? null : h('div', { class: 'card warn', role: 'status' }, h('p', {}, t('home.needLink')),
      button('unlock', t('home.unlockAgain'), again)),
    offers.filter(Boolean),
    h('div', { class: 'grid2' },
      button('write', t('home.write'), () => app.go('#/new'), 'primary'),
      draft ? button('draft', t('home.draft'), () => app.go('#/write/draft')) : null,
      button('send', t('home.sendNow') + (waiting ? ` (${waiting})` : ''), () => app.kick(true)),
      button('retry', t('home.update'), () => app.update(), 'update'),
      button('news', t('news.title'), () => app.go('#/news'))),
    h('h2', {}, t('home.mine')),
    reports.length && reading
      ? h('ul', { class: 'list' }, reports.map((r, i) => row(app, r, contents[i], items.get(r.id))))
      : !reading ? null
      : h('p', { class: 'muted' }, t('home.empty')),
    reports.some((r) => r.trackingCode && !r.purged)
      ? button('trash', t('home.purge'), () => purge(app, hid), 'wide quiet') : null);
}
