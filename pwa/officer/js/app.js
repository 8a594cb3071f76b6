// Controller: sign-in state, the navigation, the language switch and the hash router that mounts one screen.
import { request } from '../../lib/api.js';
import { lang, setLang, setup, t } from '../../lib/i18n.js';
import { go as navigate, parseHash } from '../../lib/router.js';
import { useRules } from '../../lib/rules.js';
import { api, onUnauthorized, setCsrf } from './api.js';
import * as strings from './strings.js';
import { errorText, h, mount } from './ui.js';
import * as live from './live.js';
import { loginScreen } from './screens/login.js';
import { queueScreen } from './screens/queue.js';
import { reportScreen } from './screens/report.js';
import { announcementsScreen } from './screens/announcements.js';
import { announcementScreen } from './screens/announcement.js';
import { groupsScreen } from './screens/groups.js';
import { groupScreen } from './screens/group.js';
import { officersScreen } from './screens/officers.js';
import { statsScreen } from './screens/stats.js';
import { auditScreen } from './screens/audit.js';
import { accountScreen } from './screens/account.js';
import { tipKeyScreen } from './screens/tipkey.js';
import { smsScreen } from './screens/sms.js';
import { appointmentsScreen } from './screens/appointments.js';
import { install as installShortcuts } from './shortcuts.js';

const MANAGERS = ['head', 'admin'];
// route name → [screen, roles allowed (empty: everyone), nav label key or null, the list a detail belongs to]
const ROUTES = {
  queue: [queueScreen, [], 'queue'],
  report: [reportScreen, [], null, 'queue'],
  announcements: [announcementsScreen, [], 'announcements'],
  appointments: [appointmentsScreen, [], 'appointments'],
  announcement: [announcementScreen, [], null, 'announcements'],
  groups: [groupsScreen, MANAGERS, 'groups'],
  group: [groupScreen, MANAGERS, null, 'groups'],
  officers: [officersScreen, MANAGERS, 'officers'],
  stats: [statsScreen, [], 'stats'],
  audit: [auditScreen, MANAGERS, 'audit'],
  tipkey: [tipKeyScreen, [], 'tipKey'],
  sms: [smsScreen, [], 'sms'],
  account: [accountScreen, [], 'account'],
};

const state = { officer: null };
const main = () => document.getElementById('main');

/** The parsed location hash: #/report/abc?x=1 → {name: 'report', id: 'abc', params}. */
export function currentRoute() {
  const { name, args: [id = ''], params } = parseHash();
  return { name: ROUTES[name] ? name : 'queue', id, params };
}

/** Navigates inside the console. */
export const go = (hash) => navigate(hash, render);

function allowed(name) {
  const roles = ROUTES[name][1];
  return !roles.length || roles.includes(state.officer?.role);
}

function renderNav() {
  const nav = document.getElementById('nav');
  if (!state.officer) { nav.hidden = true; return; }
  nav.hidden = false;
  const active = currentRoute().name;
  mount(nav, h('ul', {}, Object.entries(ROUTES).filter(([name, r]) => r[2] && allowed(name)).map(([name, r]) =>
    h('li', {}, h('a', { href: `#/${name}`, 'aria-current': active === name ? 'page' : null }, t(r[2]))))));
  mount(document.getElementById('who'), state.officer.display_name, ' ',
    h('button', { type: 'button', class: 'link', onclick: signOut }, t('signOut')));
}

let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  document.title = t('app');
  document.getElementById('brand').textContent = t('app');
  const langButton = document.getElementById('lang');
  langButton.textContent = t('language');
  langButton.setAttribute('aria-label', t('langLabel'));
  document.getElementById('skip').textContent = t('skip');
  renderNav();
  if (!state.officer) {
    mount(main(), loginScreen({ onSignedIn }));
    return;
  }
  const route = currentRoute();
  const name = allowed(route.name) ? route.name : 'queue';
  const [screen, , , parent] = ROUTES[name];
  // A screen that cannot load what it shows throws: the error is the screen (with the way back from a detail).
  const view = await Promise.resolve(route).then((r) => screen({ ...r, officer: state.officer, go }))
    .catch((e) => h('section', {}, parent ? h('a', { href: `#/${parent}` }, t('back')) : null,
      h('p', { class: 'error' }, errorText(e))));
  // Navigated meanwhile (to another screen, or the same one with other filters): the later render wins.
  if (seq !== renderSeq) return;
  mount(main(), view);
  main().querySelector('.screen-title')?.focus();
}

/** Signed in (or still signed in at start): the session, and the rules the server owns for the screens. */
async function onSignedIn(session) {
  try {
    useRules(await request('/api/v1/rules'));
  } catch { /* the screens cannot work offline anyway: the next sign-in fetches them */ }
  state.officer = session.officer;
  setCsrf(session.csrf_token);
  render();
  live.start(go);
}

async function signOut() {
  try { await api('/logout', { method: 'POST' }); } catch { /* already signed out */ }
  state.officer = null;
  live.stop();
  setCsrf('');
  location.hash = '#/queue';
  render();
}

async function start() {
  setup(strings, 'binhan.console.lang');
  setLang(lang());
  document.getElementById('lang').addEventListener('click', () => {
    setLang(lang() === 'vi' ? 'en' : 'vi');
    render();
  });
  onUnauthorized(() => { if (state.officer) { state.officer = null; live.stop(); render(); } });
  window.addEventListener('hashchange', render);
  installShortcuts(go);
  const session = await api('/me').catch(() => null);
  if (session) await onSignedIn(session);
  else render();
}

start();
