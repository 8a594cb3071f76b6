// One translation API for both front ends: Vietnamese first (with its tones), English as a switch.
// Each front end registers its own dictionaries and where it keeps the choice (they share an origin).
// t('key', {n: 2}) fills {n}; label('status', 'new') is t('status.new'), or the value itself if unnamed.

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

/** The label of an API enum value (status, kind, category…); an unnamed new value shows as it is. */
export function label(kind, value) {
  const key = `${kind}.${value}`;
  return key in dicts.vi ? t(key) : value;
}
