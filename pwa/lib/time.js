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

/** "m:ss" for a duration in ms (a recording's length). */
export const clock = (ms) => {
  const s = Math.round((ms || 0) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
