// Small DOM helpers: build elements without innerHTML (no injection from report text), forms and messages.
import { t } from './i18n.js';

/**
 * Creates an element. attrs: properties (class → className; on* → listeners; dataset, aria-*, for) .
 * @param {string} tag
 * @param {object} [attrs]
 * @param {...(Node|string|null|false|Array)} children
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && !tag.startsWith('svg:') && !key.includes('-')) el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the content of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let toastTimer = 0;
/** A short message in the live region (screen readers announce it). */
export function toast(message, isError = false) {
  const box = document.getElementById('toast');
  box.textContent = message;
  box.classList.toggle('error', isError);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

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

/** Form values as an object (FormData, with checkboxes as booleans). */
export function formValues(form) {
  const values = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    values[el.name] = el.type === 'checkbox' ? el.checked : el.value.trim();
  }
  return values;
}

/** A heading that takes focus after navigation, so keyboard and screen-reader users land on the new screen. */
export function heading(text) {
  return h('h2', { tabindex: '-1', class: 'screen-title' }, text);
}
