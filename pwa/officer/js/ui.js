// Console pieces built on the shared DOM helpers: error text, forms and headings.
import { h, toast } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import { dayText, parseDayText } from '../../lib/days.js';

export { h, mount, toast } from '../../lib/dom.js'; // for the screens

/** The text to show for an API error. */
export function errorText(error) {
  if (error?.code === 'network') return t('network');
  if (error?.code === 'rate_limited') return t('tooMany');
  if (error?.code === 'account_locked') return t('accountLocked');
  const fields = Object.entries(error?.fields || {}).map(([k, v]) => `${k}: ${[].concat(v).join(' ')}`);
  return [error?.message || t('failed'), ...fields].join(' — ');
}

/** Runs an action and reports failure in the toast; returns its result or undefined. */
export async function attempt(action, success) {
  try {
    const result = await action();
    if (success) toast(success);
    return result;
  } catch (error) {
    toast(errorText(error), true);
    return undefined;
  }
}

let fieldCount = 0;
/** A labelled control: <label for=…> + the control (ids are generated). */
export function field(text, control, hint) {
  control.id = control.id || `f${++fieldCount}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, text), control,
    hint ? h('small', { class: 'muted' }, hint) : null);
}

/** A <select> of [value, text] pairs; the first pair may be the "all" choice. */
export function select(name, pairs, selected) {
  return h('select', { name }, pairs.map(([value, text]) =>
    h('option', { value: String(value), selected: String(value) === String(selected ?? '') }, text)));
}

/**
 * A day typed as dd/mm/yyyy whatever the browser's locale (a native date input shows mm/dd/yyyy in an en-US
 * browser: issue 15); `value` and what formValues gives are ISO days.
 */
export function dayInput(name, isoDay, props = {}) {
  return h('input', { name, type: 'text', inputmode: 'numeric', placeholder: 'dd/mm/yyyy', autocomplete: 'off',
    pattern: '\\d{1,2}/\\d{1,2}/\\d{4}', size: 10, value: dayText(isoDay), dataset: { day: '' }, ...props });
}

/** A time of day typed as hh:mm (24 h), whatever the browser's locale. */
export function timeInput(name, value, props = {}) {
  return h('input', { name, type: 'text', inputmode: 'numeric', placeholder: 'hh:mm', pattern: '\\d{1,2}:\\d{2}',
    size: 5, autocomplete: 'off', value: value || '', ...props });
}

/** Form values as an object (FormData, with checkboxes as booleans and dd/mm/yyyy days as ISO days). */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.dataset.day !== undefined) values[el.name] = parseDayText(el.value) || '';
    else values[el.name] = el.type === 'checkbox' ? el.checked : el.value.trim();
  }
  return values;
}

/** A heading that takes focus after navigation, so keyboard and screen-reader users land on the new screen. */
export function heading(text) {
  return h('h2', { tabindex: '-1', class: 'screen-title' }, text);
}

/** A duration in seconds, in words ("3 giờ"). */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return t('none');
  if (seconds < 3600) return t('minutes', { n: Math.max(1, Math.round(seconds / 60)) });
  if (seconds < 48 * 3600) return t('hours', { n: Math.round(seconds / 360) / 10 });
  return t('days', { n: Math.round(seconds / 8640) / 10 });
}

/** Previous page, "Page p/n", next page. */
export const pager = (page, pages, goPage) => h('nav', { class: 'pager', 'aria-label': t('page', { p: page, n: pages }) },
  h('button', { type: 'button', disabled: page <= 1, onclick: () => goPage(page - 1) }, t('prev')),
  h('span', {}, t('page', { p: page, n: pages })),
  h('button', { type: 'button', disabled: page >= pages, onclick: () => goPage(page + 1) }, t('next')));
