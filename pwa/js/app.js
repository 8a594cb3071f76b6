// Controller: wires the screens, the store, the sync engine and the service worker.
// Holds the unlocked household's session (keys in memory only) and locks it when idle.
import { h, toast } from '../lib/dom.js';
import { setup, t, lang, setLang } from '../lib/i18n.js';
import { go, parseHash } from '../lib/router.js';
import { useRules } from '../lib/rules.js';
import { when } from '../lib/time.js';
import * as strings from './strings.js';
import { getMeta, outboxItems, reportOf } from './store.js';
import { owned } from './mine.js';
import * as sync from './sync.js';
import { openSealed } from './apply.js';
import * as bridge from './sw-bridge.js';
import * as enrol from './screens/enrol.js';
import * as households from './screens/households.js';
import * as pin from './screens/pin.js';
import * as home from './screens/home.js';
import * as kinds from './screens/kinds.js';
// Writing and reading a report load when first opened (issue 16: the recorder kept the first load in budget);
// the worker precaches them with the shell, so they open offline too.
const lazy = (load, live = false) => {
  let mod = null;
  return { live, render: async (...args) => (mod ??= await load()).render(...args) };
};
const compose = lazy(() => import('./screens/compose.js'));
const report = lazy(() => import('./screens/report.js'), true);
import * as news from './screens/news.js';

const IDLE_MS = 3 * 60e3;
const ROUTES = { '': households, pin, home, new: kinds, write: compose, report, news };
const PRIVATE = new Set([home, kinds, compose, report]);
const $ = (id) => document.getElementById(id);

let lastActive = Date.now();
let renderSeq = 0;
let dirty = false;

const app = {
  session: null,
  household: null,
  /** Navigates (hash routing keeps every screen inside the one cached shell). */
  go: (hash) => go(hash, app.refresh),
  unlock(household, session) {
    app.household = household;
    app.session = session;
    lastActive = Date.now();
    app.go('#/home');
  },
  lock(message) {
    app.session = null;
    app.household = null;
    app.go('#/');
    if (message) app.toast(message);
  },
  /** Runs the sync engine now; if that fails, Background Sync wakes the worker when a link returns. */
  kick(manual = false) {
    sync.syncNow(manual ? 'button' : 'queued').then((ok) => ok || bridge.requestBackgroundSync());
  },
  /** "Cập nhật" (issue 15): fetch what the commune answered now; not the send button, though queued items go too
   *  (one round trip does both). */
  update() {
    return sync.syncNow('update');
  },
  toast,
  refresh: () => render(),
};

async function render(soft = false) {
  // A sync notice must not wipe what the user is typing.
  if (soft && (dirty || !ROUTES[parseHash().name]?.live)) return;
  const seq = ++renderSeq;
  const hash = location.hash;
  const { name, args } = parseHash();
  let screen = ROUTES[name] || households;
  useRules((await getMeta('rules'))?.rules); // kept by enrolment and the sync engine (maybe in the worker)
  if (!(await getMeta('token'))) screen = enrol;
  else if (PRIVATE.has(screen) && !app.session) return app.go('#/');
  else if (screen === households && app.session) app.lock();
  const el = await screen.render(app, ...args);
  // Typing may have started while this soft render awaited the database: keep what is being typed.
  if (seq !== renderSeq || !el || (soft && dirty)) return;
  dirty = false;
  const main = $('main');
  const scroll = soft ? window.scrollY : 0;
  if (location.hash === hash) keepTyped(main, el);
  main.replaceChildren(el);
  window.scrollTo(0, scroll);
  if (!soft) main.focus({ preventScroll: true });
  await chrome();
}

/** The same screen drawn again (a sync, the tip engine) keeps the text typed into its text areas meanwhile: the new
 *  one was made before the typing, and replacing it must not wipe what a household is writing. */
function keepTyped(from, to) {
  for (const old of from.querySelectorAll('textarea[id]')) {
    const next = [...to.querySelectorAll('textarea[id]')].find((t) => t.id === old.id);
    if (next && old.value && !next.value) next.value = old.value;
  }
}

async function chrome() {
  $('title').textContent = app.household ? app.household.name : t('app.title');
  $('switch').hidden = !app.session;
  $('switch').lastChild.textContent = t('app.switch');
  $('lang').textContent = t('app.lang');
  $('lang').setAttribute('aria-label', t('app.langName'));
  await status();
}

async function status() {
  const [last, revoked, items] = [await sync.lastSync(), await getMeta('revoked'), await outboxItems()];
  const parts = [];
  if (revoked) parts.push(t('app.revoked'));
  if (!navigator.onLine) parts.push(t('app.offline'));
  if (sync.state.syncing) parts.push(t('app.syncing'));
  else parts.push(last ? t('app.lastSync', { at: when(last) }) : t('app.never'));
  // Each household sees its own queue only; the household list shows none (issue 11).
  const hid = app.household?.id;
  const mine = hid == null ? new Set() : await owned(app.session, hid);
  const waiting = items.filter((i) => i.state !== 'attention' && mine.has(reportOf(i))).length;
  if (waiting) parts.push(t('app.queued', { n: waiting }));
  $('status').textContent = parts.join(' · ');
  const v = await bridge.version();
  $('foot').textContent = v ? t('app.version', { v }) : '';
}

function showUpdate(apply) {
  const bar = $('update');
  bar.replaceChildren(h('span', {}, t('app.update')), ' — ',
    h('button', { type: 'button', class: 'btn primary', id: 'reload', onclick: apply }, t('app.reload')));
  bar.hidden = false;
}

/** Pull-to-refresh: dragging the top of the page down by 80 px runs "Cập nhật". */
function pullToRefresh() {
  let startY = null;
  addEventListener('touchstart', (e) => { startY = self.scrollY === 0 ? e.touches[0].clientY : null; }, { passive: true });
  addEventListener('touchend', (e) => {
    if (startY !== null && e.changedTouches[0].clientY - startY > 80 && app.session) app.update();
    startY = null;
  }, { passive: true });
}

function idleWatch() {
  const touch = () => { lastActive = Date.now(); };
  ['pointerdown', 'keydown', 'input', 'scroll'].forEach((e) => addEventListener(e, touch, { passive: true }));
  const check = () => {
    if (app.session && Date.now() - lastActive > IDLE_MS) app.lock(t('app.locked'));
  };
  setInterval(check, 15e3);
  document.addEventListener('visibilitychange', () => {
    check();
    // Back on screen (phone taken out of a pocket): pull replies without waiting for the timer.
    if (document.visibilityState === 'visible') sync.syncNow('visible');
  });
}

/** English words, loaded when they are first needed (js/strings.js says why); if they cannot be, the app speaks
 *  Vietnamese (t() falls back to it) rather than not starting. */
const english = () => import('./strings-en.js').then(({ en }) => { Object.assign(strings.en, en); })
  .catch((e) => console.warn('English words', e));

async function init() {
  setup(strings, 'lang');
  document.documentElement.lang = lang();
  if (lang() === 'en') await english();
  $('lang').addEventListener('click', async () => {
    if (lang() === 'vi') await english();
    setLang(lang() === 'vi' ? 'en' : 'vi');
    render();
  });
  $('switch').addEventListener('click', () => app.lock());
  $('main').addEventListener('input', () => { dirty = true; });
  addEventListener('hashchange', () => render());
  addEventListener('online', () => status());
  addEventListener('offline', () => status());
  // Entries sealed to the open household (ADR 0005) that a sync just brought: open them while it is unlocked.
  const openNew = (m) => ((m?.type === 'synced' || m?.tipMail) && app.session?.privateKey
    ? openSealed(app.household.id, app.session).catch((e) => console.warn('sealed entries', e)) : null);
  sync.setNotifier((m) => Promise.resolve(openNew(m)).then(() => render(true)).then(status));
  idleWatch();
  pullToRefresh();
  render();
  bridge.register({
    onUpdate: showUpdate,
    onMessage: (m) => m?.from === 'sw' && Promise.resolve(openNew(m)).then(() => render(true)).then(status),
    onControl: () => status(),
  }).then(() => status()).catch((e) => console.warn('service worker', e));
  navigator.storage?.persist?.().catch(() => {});
  sync.start();
}

init();
