// The "Gửi bằng tin nhắn SMS" card of a queued report (issue 17): how many SMS it takes and what the SMS reveals,
// then one `sms:` link per part, prewritten for the commune's gateway number. Shown on request for any queued
// named report, and by itself for an urgent one that has waited URGENT_AFTER_MS with no data link.
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { button } from '../ui.js';
import * as sms from '../sms.js';
import * as sync from '../sync.js';

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
  const links = h('div', { class: 'sms-links', hidden: true },
    h('p', {}, t('sms.count', { n, vnd: (n * sms.PRICE_VND).toLocaleString('vi-VN') })),
    h('p', { class: 'muted' }, t('sms.reveals')),
    n > 1 ? h('p', { class: 'muted' }, t('sms.parts', { n })) : null,
    ...offer.links.map((href, i) => h('a', {
      class: 'btn primary', href,
      onclick: () => { sms.markSentBySms(id, n).then(() => app.refresh()); },
    }, h('span', { class: 'ico', 'aria-hidden': 'true' }, '✉️'),
    h('span', {}, n > 1 ? t('sms.openPart', { i: i + 1, n }) : t('sms.open')))));
  const toggle = button('mail', `${t('sms.offer')} (${t('sms.howMany', { n })})`, () => {
    links.hidden = false;
    toggle.hidden = true;
  }, pressing ? 'primary' : '');
  return h('div', { class: 'card' + (pressing ? ' warn' : ''), role: pressing ? 'alert' : 'region',
    'aria-label': t('sms.offer') },
  title ? h('h3', {}, title) : null,
  offer.item.sms ? h('p', {}, h('b', {}, t('state.sms'))) : null,
  pressing ? h('p', {}, t('sms.urgent')) : h('p', { class: 'muted' }, t('sms.help')),
  toggle, links);
}
