// One translation API for both front ends: Vietnamese first (with its tones), English as a switch.
// Each front end registers its own dictionaries and where it keeps the choice (they share an origin).
// t('key', {n: 2}) fills {n}. label('status', 'new') names an API enum value in the server's one vocabulary
// (rules.labels), so the phone and the console say the same; screen-only values (sorts, states) are t('state.x').
import { rules } from './rules.js';

let dicts = { vi: {}, en: {} };
let storageKey = 'lang';
let current = 'vi';

/** Registers the front end's dictionaries ({vi, en}) and the localStorage key of its language choice. */
export function setup(strings, key) {
  dicts = strings;
  storageKey = key;
  current = (self.localStorage && localStorage.getItem(key)) === 'en' ? 'en' : 'vi';
}

/** @returns {'vi'|'en'} */
export const lang = () => current;

/** Switches the language and remembers it on this device. */
export function setLang(l) {
  current = l === 'en' ? 'en' : 'vi';
  localStorage.setItem(storageKey, current);
  document.documentElement.lang = current;
}

/** Translates a key, falling back to Vietnamese, then to the key itself. */
export function t(key, params = {}) {
  const s = dicts[current][key] ?? dicts.vi[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => params[k] ?? '');
}

/**
 * The name of an enum value (kind, category, status, urgency, role: from the rules; sort, state: from the
 * front end's dictionary). Before the rules were ever fetched, or for a value newer than them, the value itself.
 */
export function label(kind, value) {
  const names = rules()?.labels;
  const named = names?.[current]?.[kind]?.[value] ?? names?.vi?.[kind]?.[value];
  if (named) return named;
  const key = `${kind}.${value}`;
  return key in dicts.vi ? t(key) : value;
}
