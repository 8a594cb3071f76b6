// The "Gửi bằng tin nhắn SMS" card of a queued report (issue 17): how many SMS it takes and what the SMS reveals,
// then one `sms:` link per part, prewritten for the commune's gateway number. Shown on request for any queued
// report, and by itself for an urgent one that has waited URGENT_AFTER_MS with no data link. An anonymous tip's
// links come only after the household has read, and confirmed, that the SMS shows which phone sent it.
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { button } from '../ui.js';
import * as sms from '../sms.js';
import * as sync from '../sync.js';

/** What each card has shown ('warning' or 'links') in the household's session: a card drawn again (a sync, the tip
 *  engine) stays as the household left it while it sends the SMS one by one; a new unlock starts folded. */
const opened = new WeakMap();
const shownIn = (session) => {
  if (!opened.has(session)) opened.set(session, new Map());
  return opened.get(session);
};

/**
 * The card for outbox item `id`, or null when it cannot go by SMS (or, with onlyPressing, when it does not press).
 * @param {object} app @param {string} id @param {{onlyPressing?: boolean, title?: string}} [opts]
 */
export async function smsOffer(app, id, { onlyPressing = false, title = '' } = {}) {
  const offer = await sms.offer(id).catch(() => null);
  if (!offer) return null;
  const n = offer.parts.length;
  const noData = !navigator.onLine || !!sync.state.error;
  const pressing = offer.urgent && noData && offer.waited >= sms.URGENT_AFTER_MS;
  if (onlyPressing && !pressing) return null;
  const shown = shownIn(app.session || app);
  const links = h('div', { class: 'sms-links', hidden: shown.get(id) !== 'links' },
    h('p', {}, t('sms.count', { n, vnd: (n * sms.PRICE_VND).toLocaleString('vi-VN') })),
    h('p', { class: 'muted' }, t('sms.reveals')),
    n > 1 ? h('p', { class: 'muted' }, t('sms.parts', { n })) : null,
    ...offer.links.map((href, i) => h('a', {
      class: 'btn primary', href,
      onclick: () => { sms.markSentBySms(id, n).then(() => app.refresh()); },
    }, h('span', { class: 'ico', 'aria-hidden': 'true' }, '✉️'),
    h('span', {}, n > 1 ? t('sms.openPart', { i: i + 1, n }) : t('sms.open')))));
  const show = (what) => {
    shown.set(id, what);
    links.hidden = what !== 'links';
    if (warning) warning.hidden = what !== 'warning';
    toggle.hidden = true;
  };
  const warning = offer.tip ? h('div', { class: 'sms-tip', role: 'alert', hidden: shown.get(id) !== 'warning' },
    h('p', {}, t('sms.tipWarn')), button('mail', t('sms.tipConfirm'), () => show('links'), 'primary')) : null;
  const toggle = button('mail', `${t('sms.offer')} (${t('sms.howMany', { n })})`,
    () => show(offer.tip ? 'warning' : 'links'), pressing ? 'primary' : '');
  toggle.hidden = shown.has(id);
  return h('div', { class: 'card' + (pressing ? ' warn' : ''), role: pressing ? 'alert' : 'region',
    'aria-label': t('sms.offer') },
  title ? h('h3', {}, title) : null,
  offer.item.sms ? h('p', {}, h('b', {}, t('state.sms'))) : null,
  pressing ? h('p', {}, t('sms.urgent')) : h('p', { class: 'muted' }, t('sms.help')),
  toggle, warning, links);
}
