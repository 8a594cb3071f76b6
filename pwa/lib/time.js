// Times are shown and typed in the commune's time zone, which the server owns (rules.time_zone), whatever
// zone the phone or the officer's computer is set to.
import { lang } from './i18n.js';

let zone; // undefined until the rules are known: the device's zone

/** @param {string} [timeZone] IANA name, e.g. 'Asia/Ho_Chi_Minh' */
export function setZone(timeZone) { zone = timeZone || undefined; }

/** Formats a timestamp (ISO string or ms) for the current language, in the commune's zone. */
export function when(value) {
  if (!value) return '';
  return new Date(value).toLocaleString(lang() === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: zone,
    hour: '2-digit', minute: '2-digit', day: '2-digit', month: '2-digit', year: 'numeric' });
}

/** The day of a timestamp on the commune's clock, with its weekday: 'Thứ Năm, 04/12/2026'. */
export function dayOf(value) {
  return new Date(value).toLocaleDateString(lang() === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: zone,
    weekday: 'long', day: '2-digit', month: '2-digit', year: 'numeric' });
}

/** The hour of a timestamp on the commune's clock: '07:30'. */
export function hourOf(value) {
  return new Date(value).toLocaleTimeString('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit' });
}

/** Minutes the commune's clock is ahead of UTC at instant ms. */
function offset(ms) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(ms).map((x) => [x.type, Number(x.value)]));
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((wall - Math.floor(ms / 1000) * 1000) / 60e3);
}

/** An instant as a datetime-local value ('2030-05-06T08:30') on the commune's clock. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const ms = new Date(iso).getTime();
  return new Date(ms + offset(ms) * 60e3).toISOString().slice(0, 16);
}

/** A datetime-local value ('2030-05-06T08:30', or a day plus 'T23:59') on the commune's clock, as ISO with offset. */
export function fromLocalInput(value) {
  if (!value) return undefined;
  const guess = Date.parse(value.slice(0, 16) + 'Z');
  const min = offset(guess - offset(guess) * 60e3);
  const two = (n) => String(n).padStart(2, '0');
  return `${value.slice(0, 16)}:00${min < 0 ? '-' : '+'}${two(Math.floor(Math.abs(min) / 60))}:${two(Math.abs(min) % 60)}`;
}

/** An ISO day ('2030-05-06') as the console types and shows days, dd/mm/yyyy, whatever the browser's locale. */
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
export function localDay(days = 0) {
  const ms = Date.now() + days * 864e5;
  return new Date(ms + offset(ms) * 60e3).toISOString().slice(0, 10);
}
