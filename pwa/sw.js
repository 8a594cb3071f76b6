// Service worker: listeners only; strategies are the named functions below them.
// The shell is precached under a versioned cache name; activate deletes the other versions.
// VERSION is a hash of the shell: after editing any shell file, run `python scripts/stamp_sw.py`.
// /api/ is never cached here: the outbox in IndexedDB is the only store of what is sent.
import { syncNow, setNotifier, useModules } from './js/sync.js';
import * as tips from './js/tips.js';
import * as sms from './js/sms.js';

useModules({ tips, sms }); // sync.js import()s them in the page; a service worker may not

const VERSION = '45f85d2845e7';
const PREFIX = 'binh-an-shell-';
const CACHE = PREFIX + VERSION;
const SHELL = [
  './', 'manifest.webmanifest', 'css/app.css', 'css/slots.css',
  'js/app.js', 'js/apply.js', 'js/blind.js', 'js/bytes.js', 'js/crypto.js', 'js/downloads.js', 'js/enrolment.js', 'js/household-keys.js', 'js/keys.js',
  'js/migrate.js', 'js/mine.js', 'js/outbox.js', 'js/photos.js', 'js/push.js', 'js/seal.js', 'js/seal-to.js', 'js/sms.js', 'js/sms-codec.js', 'js/sms-words.js',
  'js/store.js', 'js/strings.js', 'js/strings-en.js', 'js/strings-slots.js', 'js/sw-bridge.js', 'js/sync.js', 'js/tips.js',
  'js/ui.js', 'js/uploads.js', 'js/icons.js', 'js/voice.js',
  'js/screens/compose.js', 'js/screens/enrol.js', 'js/screens/home.js', 'js/screens/households.js',
  'js/screens/kinds.js', 'js/screens/news.js', 'js/screens/pin.js', 'js/screens/report.js', 'js/screens/slots.js',
  'js/screens/sms-offer.js',
  'lib/api.js', 'lib/days.js', 'lib/dom.js', 'lib/fold.js', 'lib/i18n.js', 'lib/router.js', 'lib/rules.js', 'lib/time.js',
  'icons/icon-192.png', 'icons/icon-512.png', 'icons/maskable-512.png',
].map((p) => new URL(p, self.location).href);

self.addEventListener('install', (event) => event.waitUntil(precache()));
self.addEventListener('activate', (event) => event.waitUntil(dropOldCaches().then(() => self.clients.claim())));
self.addEventListener('fetch', (event) => {
  const response = route(event.request, event.clientId);
  if (response) event.respondWith(response);
});
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') self.skipWaiting();
  if (event.data?.type === 'GET_VERSION') event.ports[0]?.postMessage(VERSION);
});
// Background Sync: run the same engine as the page; a failure lets the browser retry later.
self.addEventListener('sync', (event) => {
  if (event.tag === 'outbox') {
    event.waitUntil(syncNow('background').then((ok) => { if (!ok) throw new Error('sync failed'); }));
  }
});

// Web Push (issue 15): the commune answered. Only that is said; the answer comes through the sync (pulled now),
// sealed to its household until it unlocks.
// The day before an appointment (kind "reminder") it says only that; which household's and when stays sealed too.
const PUSHED = {
  reply: { title: 'Công an xã đã trả lời', tag: 'binhan-reply' },
  reminder: { title: 'Nhắc lịch hẹn ngày mai', tag: 'binhan-reminder' },
};
self.addEventListener('push', (event) => {
  const { title, tag } = PUSHED[pushKind(event)] || PUSHED.reply;
  event.waitUntil(Promise.all([
    self.registration.showNotification(title, { tag, icon: 'icons/icon-192.png' }),
    syncNow('push').catch(() => false),
  ]));
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: 'window' });
    const app = open.find((c) => !NETWORK_ONLY.test(pathOf(c.url)));
    return app ? app.focus() : self.clients.openWindow(SCOPE.href);
  })());
});

setNotifier(async (msg) => {
  for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage({ ...msg, from: 'sw' });
});

function pushKind(event) {
  try { return event.data?.json()?.kind || 'reply'; } catch { return 'reply'; }
}

async function precache() {
  const cache = await caches.open(CACHE);
  // 'no-cache': revalidate every file (the server's ETag is a hash of its bytes), so a stale HTTP cache
  // entry cannot end up in the new version, yet what the page just loaded comes back as a cheap 304.
  await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'no-cache' })));
}

async function dropOldCaches() {
  const names = await caches.keys();
  await Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n)));
}

const SCOPE = new URL('./', self.location);
const NETWORK_ONLY = /^\/(api|officer)(\/|$)/; // the API and the officer console
const pathOf = (url) => new URL(url).pathname.slice(SCOPE.pathname.length - 1);

/** @returns {Promise<Response>|null} null lets the request go to the network untouched. */
function route(request, clientId) {
  if (request.method !== 'GET' || new URL(request.url).origin !== SCOPE.origin) return null;
  if (NETWORK_ONLY.test(pathOf(request.url))) return null;
  if (request.mode === 'navigate') return shellFirst(SCOPE.href);
  return cacheFirst(request, clientId);
}

async function shellFirst(indexUrl) {
  const cache = await caches.open(CACHE);
  return (await cache.match(indexUrl)) || fetch(indexUrl);
}

async function cacheFirst(request, clientId) {
  // The console uses lib/ too: it gets the copy that matches its own modules, which come from the network.
  const client = clientId && await self.clients.get(clientId);
  if (client && NETWORK_ONLY.test(pathOf(client.url))) return fetch(request);
  const cache = await caches.open(CACHE);
  return (await cache.match(request, { ignoreSearch: true })) || fetch(request);
}
