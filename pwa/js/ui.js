// Small DOM helpers shared by the screens (no framework; CSP forbids inline styles and scripts).
import { t, lang } from './i18n.js';

/**
 * Creates an element. Props starting with "on" become listeners; `class` sets className;
 * booleans set or omit an attribute; everything else is an attribute.
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  el.append(...kids.flat(9).filter((c) => c != null && c !== false));
  return el;
}

/** A button with an icon (hidden from screen readers) and a text label. */
export const button = (icon, label, onclick, cls = '') =>
  h('button', { type: 'button', class: 'btn ' + cls, onclick },
    icon ? h('span', { class: 'ico', 'aria-hidden': 'true' }, icon) : null, h('span', {}, label));

export const KINDS = {
  tip: '🛡️', complaint: '📝', question: '📄', appointment: '📅', help: '🆘', lost_found: '🔎',
};
export const CATEGORIES = ['drugs', 'theft', 'gambling', 'loan_shark', 'fraud', 'violence', 'racing', 'other'];

/**
 * Where a report stands for the household: waiting, sending, attention, answered or sent.
 * @param {object} report reports-store record
 * @param {object} [item] its outbox item, if still queued
 */
export function stateOf(report, item) {
  if (item) {
    if (item.state === 'attention') return 'attention';
    if (item.state === 'sending' || item.state === 'uploading') return 'sending';
    return 'waiting';
  }
  if (report.replies || (report.status && report.status !== 'new')) return 'answered';
  return 'sent';
}

/** Upload progress of a queued report, 0-100, or null when it has no photo. */
export function progress(item) {
  const atts = item?.attachments || [];
  if (!atts.length) return null;
  const total = atts.reduce((n, a) => n + a.size, 0);
  return Math.floor((100 * atts.reduce((n, a) => n + (a.done ? a.size : a.received), 0)) / total);
}

/** Formats a timestamp (ISO string or ms) for the current language. */
export function when(value) {
  if (!value) return '';
  return new Date(value).toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB',
    { hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' });
}

/** A status pill for a state from stateOf. */
export const badge = (state, extra = '') =>
  h('span', { class: 'badge ' + state }, t('state.' + state) + extra);
