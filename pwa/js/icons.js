// Drawn icons (issue 16): every report kind, tip category and main action, as 24×24 stroked SVG paths built in
// the page (no font, no emoji): a phone without a colour emoji font showed empty boxes where a person who cannot
// read looks. The paths are ours; stroke and size come from app.css (.i).
import { h } from '../lib/dom.js';

const PATHS = {
  // report kinds
  tip: 'M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z M9 12l2 2 4-4',
  complaint: 'M4 5h16v11H9l-5 4z M8 9h8 M8 12h5',
  question: 'M6 3h9l4 4v14H6z M15 3v4h4 M10 11a2.5 2.5 0 1 1 3 2.4V15 M12.5 18h.01',
  appointment: 'M4 6h16v14H4z M4 10h16 M8 3v5 M16 3v5 M8 14h3v3H8z',
  help: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8z M5.6 5.6l3.6 3.6 M14.8 14.8l3.6 3.6 M18.4 5.6l-3.6 3.6 M9.2 14.8l-3.6 3.6',
  lost_found: 'M10 4a6 6 0 1 0 0 12a6 6 0 1 0 0-12z M14.5 14.5L20 20',
  // tip categories
  drugs: 'M10.5 20.5l10-10a4.95 4.95 0 1 0-7-7l-10 10a4.95 4.95 0 1 0 7 7z M8.5 8.5l7 7',
  theft: 'M6 8h12l-1 12H7z M9 8V6a3 3 0 0 1 6 0v2 M10 13l4 4 M14 13l-4 4',
  gambling: 'M4 4h16v16H4z M8.5 8.5h.01 M15.5 15.5h.01 M12 12h.01 M15.5 8.5h.01 M8.5 15.5h.01',
  loan_shark: 'M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18z M15 9.5c-.5-1-1.6-1.5-3-1.5-1.7 0-3 .8-3 2s1.3 1.7 3 2 3 .8 3 2-1.3 2-3 2c-1.4 0-2.5-.5-3-1.5 M12 6v2 M12 16v2',
  fraud: 'M12 3L2 20h20z M12 9v5 M12 17h.01',
  violence: 'M13 2L4 14h7l-1 8 9-12h-7z',
  racing: 'M5 14a3 3 0 1 0 0 6a3 3 0 1 0 0-6z M19 14a3 3 0 1 0 0 6a3 3 0 1 0 0-6z M5 17l4-6h6l4 6 M13 7h3l3 7',
  other: 'M5 12h.01 M12 12h.01 M19 12h.01',
  // actions
  write: 'M4 20h4L19 9l-4-4L4 16z M14 6l4 4',
  draft: 'M5 3h14v18H5z M9 8h6 M9 12h6 M9 16h4',
  send: 'M3 11l18-8-8 18-2-8z M11 13l10-10',
  news: 'M3 10v4h4l8 5V5L7 10z M18 9a4 4 0 0 1 0 6',
  back: 'M15 5l-7 7 7 7',
  photo: 'M4 7h4l2-3h4l2 3h4v12H4z M12 10a3.5 3.5 0 1 0 0 7a3.5 3.5 0 1 0 0-7z',
  mic: 'M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z M5 11a7 7 0 0 0 14 0 M12 18v3 M9 21h6',
  stop: 'M6 6h12v12H6z',
  listen: 'M4 9v6h4l5 4V5L8 9z M16 9a4 4 0 0 1 0 6 M19 6a8 8 0 0 1 0 12',
  key: 'M7.5 11a4.5 4.5 0 1 0 0 9a4.5 4.5 0 1 0 0-9z M11 13l9-9 M17 7l3 3',
  unlock: 'M5 11h14v10H5z M8 11V7a4 4 0 0 1 7.5-2',
  lock: 'M5 11h14v10H5z M8 11V7a4 4 0 0 1 8 0v4',
  trash: 'M4 7h16 M9 7V4h6v3 M6 7l1 13h10l1-13',
  retry: 'M20 12a8 8 0 1 1-2.3-5.7 M20 4v5h-5',
  place: 'M12 21s-7-6.5-7-12a7 7 0 0 1 14 0c0 5.5-7 12-7 12z M12 6.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 1 0 0-5z',
  file: 'M6 3h9l4 4v14H6z M15 3v4h4',
  home: 'M3 11l9-8 9 8 M5 10v10h14V10 M10 20v-6h4v6',
  mail: 'M3 5h18v14H3z M3 5l9 8 9-8',
  close: 'M6 6l12 12 M18 6L6 18',
};

/** Whether an icon of this name exists. */
export const hasIcon = (name) => Object.hasOwn(PATHS, name);

/** The icon `name` (the envelope for an unknown one), hidden from screen readers: its label says the same. */
export const icon = (name, cls = '') => h('svg:svg', { viewBox: '0 0 24 24', class: ('i ' + cls).trim(),
  'aria-hidden': 'true', focusable: 'false' }, h('svg:path', { d: PATHS[name] || PATHS.mail }));
