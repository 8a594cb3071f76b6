// The console's service worker: only Web Push (issue 15). An urgent alert while no console is open becomes a
// notification ("Có tin khẩn mới" and the tracking code: the push carries no report text); a click opens it.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { /* not ours */ }
  event.waitUntil(self.registration.showNotification(data.title || 'Có tin khẩn mới', {
    body: data.code || '', tag: data.report_id || 'binhan-alert', requireInteraction: true,
    data: { url: data.report_id ? `/officer/#/report/${data.report_id}` : '/officer/' },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = event.notification.data?.url || '/officer/';
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    const console_ = open.find((c) => new URL(c.url).pathname.startsWith('/officer'));
    if (console_) { await console_.focus(); return console_.navigate(url); }
    return self.clients.openWindow(url);
  })());
});
