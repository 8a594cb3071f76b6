// Days and hours on the commune's clock (rules.time_zone) for the screens that need them beyond lib/time.js: the
// console (days typed and shown dd/mm/yyyy whatever the browser's locale: issue 15) and the phone's appointment
// slots (loaded with them, not with the shell).
import { lang } from './i18n.js';
import { rules } from './rules.js';
import { toLocalInput } from './time.js';

const zone = () => rules()?.time_zone || undefined;

/** The day of a timestamp with its weekday: 'Thứ Năm, 04/12/2026'. */
export function dayOf(value) {
  return new Date(value).toLocaleDateString(lang() === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: zone(),
    weekday: 'long', day: '2-digit', month: '2-digit', year: 'numeric' });
}

/** The hour of a timestamp: '07:30'. */
export function hourOf(value) {
  return new Date(value).toLocaleTimeString('en-GB', { timeZone: zone(), hour: '2-digit', minute: '2-digit' });
}

/** An ISO day ('2030-05-06') as dd/mm/yyyy. */
export function dayText(isoDay) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(isoDay || '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

/** A typed day ('6/5/2030', '06/05/2030', '06-05-2030') as an ISO day, '' when empty, null when not a day. */
export function parseDayText(text) {
  const value = (text || '').trim();
  if (!value) return '';
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(value);
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The commune's today as an ISO day, plus `days`. */
export const localDay = (days = 0) => toLocalInput(new Date(Date.now() + days * 864e5).toISOString()).slice(0, 10);
