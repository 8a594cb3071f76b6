// Pieces the household screens share (no framework; CSP forbids inline styles and scripts).
import { h } from '../lib/dom.js';
import { t } from '../lib/i18n.js';
import { rules } from '../lib/rules.js';
import { hasIcon, icon } from './icons.js';

/** "12 KB" for a size in bytes. */
export const kb = (n) => `${Math.max(1, Math.round((n || 0) / 1024))} KB`;

/** The browser's Vietnamese speech voice, if any (voices load late: 'voiceschanged'). */
const viVoice = () => speechSynthesis.getVoices().find((v) => v.lang?.toLowerCase().startsWith('vi')) || null;

function speak(text) {
  const u = new SpeechSynthesisUtterance(text);
  u.voice = viVoice();
  u.lang = u.voice?.lang || 'vi-VN';
  u.rate = 0.9;
  speechSynthesis.cancel();
  speechSynthesis.speak(u);
}

export { icon as ICON };

/** A button with a drawn icon (icons.js, hidden from screen readers) and a text label. */
export const button = (name, label, onclick, cls = '') =>
  h('button', { type: 'button', class: 'btn ' + cls, onclick },
    name ? h('span', { class: 'ico', 'aria-hidden': 'true' }, icon(name)) : null, h('span', {}, label));

/**
 * "Nghe": reads `text` aloud with the browser's speech synthesis in Vietnamese (issue 16). Hidden where the phone
 * has no Vietnamese voice; shown when one appears (voices load after the page).
 */
export function listenButton(text) {
  if (!text || typeof speechSynthesis === 'undefined') return null;
  const el = button('listen', t('report.listen'), () => speak(text), 'listen quiet');
  el.hidden = !viVoice();
  if (el.hidden) speechSynthesis.addEventListener('voiceschanged', () => { el.hidden = !viVoice(); }, { once: true });
  return el;
}

/** The report kinds the phone has drawn icons for; which kinds exist, and their order, is the server's. */
const KNOWN_KINDS = ['tip', 'complaint', 'question', 'appointment', 'help', 'lost_found'];

/** The drawn icon of a report kind or category (the envelope for one the phone does not know yet). */
export const ICONS = new Proxy({}, { get: (_, name) => icon(hasIcon(name) ? name : 'mail') });

/** The report kinds, from the rules (before a phone ever fetched them: the kinds it has icons for). */
export const kinds = () => rules()?.kinds ?? KNOWN_KINDS;

/** A limit the server enforces (rules.limits), or undefined while the rules are unknown. */
export const limit = (name) => rules()?.limits?.[name];

/**
 * Where a report stands for the household: waiting, sending, attention, answered or sent.
 * @param {object} report reports-store record
 * @param {object} [item] its outbox item, if still queued
 */
export function stateOf(report, item) {
  if (item) {
    if (item.state === 'attention') return 'attention';
    if (item.sms) return 'sms'; // sent by SMS (issue 17): the data sync still sends it and gets "duplicate"
    if (item.tip && item.state === 'waiting') return 'alone'; // an anonymous tip waits for its own moment
    if (item.state === 'sending' || item.state === 'uploading') return 'sending';
    return 'waiting';
  }
  if (report.replies || (report.status && report.status !== 'new')) return 'answered';
  return 'sent';
}

/**
 * A tip-queue record as the screens see a queued item ({state, attachments, error, payload, tip}), or null once
 * the server holds the tip and its photos.
 */
export function tipItem(tip) {
  if (!tip || (tip.trackingCode && tip.state === 'sent')) return null;
  return { id: tip.id, tip: true, state: tip.state, attachments: tip.attachments, error: tip.error, payload: tip.box,
    sms: tip.sms, createdAt: tip.queuedAt ? new Date(tip.queuedAt).toISOString() : null };
}

/** Upload progress of a queued report, 0-100, or null when it has no photo. */
function progress(item) {
  const atts = item?.attachments || [];
  if (!atts.length) return null;
  const total = atts.reduce((n, a) => n + a.size, 0);
  return Math.floor((100 * atts.reduce((n, a) => n + (a.done ? a.size : a.received), 0)) / total);
}

/** The status pill of a report (stateOf), with the upload progress while it is sending. */
export function badge(report, item) {
  const state = stateOf(report, item);
  const pct = state === 'sending' ? progress(item) : null;
  return h('span', { class: 'badge ' + state }, t('state.' + state) + (pct != null ? ` ${pct}%` : ''));
}
