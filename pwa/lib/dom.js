// DOM helpers for both front ends: elements are built, never parsed from strings (no injection from report
// text; the CSP forbids inline scripts and styles anyway).

const SVG = 'http://www.w3.org/2000/svg';

/**
 * Creates an element ('svg:rect' an SVG one). Props: on* functions are listeners, `dataset` fills data-*, `value`
 * is a property (so a textarea shows it), the rest attributes (true: present; null, undefined, false: absent).
 * Children: nodes, strings, numbers, nested arrays; null, undefined and false are skipped. @returns {HTMLElement}
 */
export function h(tag, props = {}, ...kids) {
  const el = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  return mount(el, ...kids);
}

/** Appends the children (same rules as h) to el, after emptying it. @returns {HTMLElement} el */
export function mount(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

/** A short message in the page's #toast live region (screen readers announce it). */
export function toast(text, isError = false) {
  const box = document.getElementById('toast');
  box.textContent = text;
  box.classList.toggle('error', isError);
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 5000);
}
