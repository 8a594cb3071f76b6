// Web Push for the group's phone (issue 15): subscribed at enrolment, per group (one phone, one subscription).
// The server only ever says "Công an xã đã trả lời": the answer itself comes through the sync feed, sealed to
// the household (ADR 0005). Best effort: a browser without a push service (or a refused permission) simply
// keeps today's fetch on opening, on coming back to the foreground and on reconnecting.
import { request } from '../lib/api.js';

/**
 * Asks for permission (call it from a tap), subscribes the service worker and tells the server.
 * @param {string} token the device token
 * @returns {Promise<boolean>} true when the phone will be told
 */
export async function subscribe(token) {
  try {
    if (!('serviceWorker' in navigator) || !self.PushManager || !self.Notification) return false;
    if (self.Notification.permission === 'default') await self.Notification.requestPermission();
    if (self.Notification.permission !== 'granted') return false;
    const registration = await navigator.serviceWorker.ready;
    const { public_key: key } = await request('/api/v1/push/key', { token });
    const subscription = await registration.pushManager.getSubscription()
      || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await request('/api/v1/push/subscription', { method: 'PUT', token, json: subscription.toJSON() });
    return true;
  } catch (e) {
    console.warn('push', e.name || e.code || e);
    return false;
  }
}
