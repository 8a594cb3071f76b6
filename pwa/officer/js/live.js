// The live console (issue 15): one self.EventSource per console on /api/v1/officer/live/stream; events name ids only,
// screens re-read what they show through the ordinary API (onLive). When the stream is refused (503: the server
// holds all the streams it may) or drops, the console polls /live/events every few seconds and tries the stream
// again later. Urgent alerts: a banner outside the screens (so a half-written reply is never re-rendered), a
// desktop notification with a sound once per alert, and a Web Push subscription for when the console is closed.
import { api } from './api.js';
import { t } from '../../lib/i18n.js';
import { h, mount } from './ui.js';

const POLL_MS = 3000;
const STREAM_RETRY_MS = 30000;
const listeners = new Set();
let source = null;
let lastId = null;
let pollTimer = 0;
let retryTimer = 0;
let alertsTimer = 0;
let running = false;
let goTo = () => {};
const notified = new Set(JSON.parse(self.sessionStorage.getItem('binhan.alerts.notified') || '[]'));

/** Calls handler(payload) for every live change ({reports, messages, receipts, changed, alerts, reset}) until
 *  it returns false or unsubscribe() is called. @returns {() => void} unsubscribe */
export function onLive(handler) {
  listeners.add(handler);
  return () => listeners.delete(handler);
}

function emit(payload) {
  for (const handler of [...listeners]) {
    if (handler(payload) === false) listeners.delete(handler);
  }
  if (payload.reset || payload.alerts || payload.escalated || payload.reports || payload.tips) refreshAlerts();
}

/** Starts listening (after sign-in); `go` navigates to a report. */
export async function start(go) {
  if (running) return;
  running = true;
  goTo = go;
  // Where the commune's events stand, and whether this server streams at all (a sync worker does not: poll).
  const position = await api('/live/events').catch(() => null);
  if (!running) return;
  lastId = position?.last_id ?? null;
  if (position && !position.stream) {
    document.body.dataset.live = 'polling';
    pollTimer = setTimeout(poll, POLL_MS);
  } else {
    openStream();
  }
  refreshAlerts();
  alertsTimer = self.setInterval(renderAlerts, 30000); // waiting times move on; also a clock for escalation
  renderPushButton();
}

/** Stops everything (sign-out). */
export function stop() {
  running = false;
  lastId = null;
  source?.close();
  source = null;
  clearTimeout(pollTimer);
  clearTimeout(retryTimer);
  self.clearInterval(alertsTimer);
  mount(document.getElementById('alerts'));
}

function openStream() {
  if (!running) return;
  if (!self.EventSource) { document.body.dataset.live = 'polling'; poll(); return; }
  const url = '/api/v1/officer/live/stream' + (lastId ? `?last_event_id=${lastId}` : '');
  source = new self.EventSource(url, { withCredentials: true });
  document.body.dataset.live = 'connecting';
  const take = (e) => {
    lastId = Number(e.lastEventId) || lastId;
    document.body.dataset.live = 'stream';
    clearTimeout(pollTimer);
    return e.data ? JSON.parse(e.data) : {};
  };
  source.addEventListener('hello', (e) => take(e));
  source.addEventListener('change', (e) => emit(take(e)));
  source.addEventListener('reset', (e) => { take(e); emit({ reset: true }); });
  source.onerror = () => {
    // CONNECTING: the browser reconnects by itself (with Last-Event-ID) after the server ended the stream.
    // CLOSED: refused (503) or not an event stream: poll, and try the stream again later.
    if (source.readyState === self.EventSource.CLOSED) {
      source = null;
      document.body.dataset.live = 'polling';
      poll();
      clearTimeout(retryTimer);
      retryTimer = setTimeout(openStream, STREAM_RETRY_MS);
    } else {
      document.body.dataset.live = 'reconnecting';
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, POLL_MS); // the stream is down meanwhile: do not wait for it
    }
  };
}

async function poll() {
  clearTimeout(pollTimer);
  if (!running || document.body.dataset.live === 'stream') return;
  try {
    const answer = await api('/live/events' + (lastId === null ? '' : `?after=${lastId}`));
    if (answer.reset) emit({ reset: true });
    for (const event of answer.events) emit(event.payload);
    lastId = answer.last_id;
  } catch { /* offline: try again */ }
  if (running && document.body.dataset.live !== 'stream') pollTimer = setTimeout(poll, POLL_MS);
}

// --- urgent alerts ------------------------------------------------------------------------------------------

let alerts = { pending: [], recent: [], now: null, at: 0 };

async function refreshAlerts() {
  try {
    const answer = await api('/alerts');
    alerts = { ...answer, at: Date.now() };
  } catch { return; }
  for (const alert of alerts.pending) {
    const key = `${alert.report_id}:${alert.escalated ? 'e' : 'n'}`;
    if (notified.has(key)) continue;
    notified.add(key);
    notify(alert);
  }
  self.sessionStorage.setItem('binhan.alerts.notified', JSON.stringify([...notified].slice(-200)));
  renderAlerts();
}

function waited(alert) {
  if (!alert.raised_at) return '';
  const serverNow = Date.parse(alerts.now) + (Date.now() - alerts.at);
  const minutes = Math.max(0, Math.floor((serverNow - Date.parse(alert.raised_at)) / 60000));
  return t('alertWaiting', { n: minutes });
}

function ackTime(seconds) {
  return seconds < 60 ? t('seconds', { n: seconds }) : t('minutes', { n: Math.round(seconds / 60) });
}

function renderAlerts() {
  const box = document.getElementById('alerts');
  if (!box || !running) return;
  const pending = alerts.pending.map((a) => h('li', { class: `alert ${a.escalated ? 'escalated' : ''}`, dataset: { report: a.report_id } },
    h('strong', {}, t('alertNew')), ' ', h('span', { class: 'code' }, a.tracking_code), ' — ', waited(a),
    a.escalated ? [' — ', h('span', { class: 'badge urgent' }, t('alertEscalated'))] : null, ' ',
    h('button', { type: 'button', onclick: () => goTo(`#/report/${a.report_id}`) }, t('openReport')), ' ',
    h('button', { type: 'button', class: 'primary', onclick: () => acknowledge(a) }, t('alertAck'))));
  const recent = alerts.recent.slice(0, 3).map((a) => h('li', { class: 'alert done' },
    t('alertAcked', { code: a.tracking_code, time: ackTime(a.ack_seconds ?? 0) })));
  mount(box, pending.length || recent.length ? h('ul', { 'aria-label': t('alerts') }, pending, recent) : null);
}

async function acknowledge(alert) {
  try {
    await api(`/alerts/${alert.report_id}/ack`, { method: 'POST' });
  } catch { /* shown again at the next refresh */ }
  refreshAlerts();
}

function notify(alert) {
  const title = alert.escalated ? t('alertEscalated') : t('alertNew');
  if (self.Notification && self.Notification.permission === 'granted') {
    try {
      const shown = new self.Notification(title, { body: alert.tracking_code, tag: alert.report_id, requireInteraction: true });
      shown.onclick = () => { self.focus(); goTo(`#/report/${alert.report_id}`); };
    } catch { /* some browsers allow notifications from a service worker only: the push covers them */ }
  }
  beep();
}

function beep() {
  try {
    const audio = new self.AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.2, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.8);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.8);
    tone.onended = () => audio.close();
  } catch { /* no sound device */ }
}

// --- notifications and Web Push ------------------------------------------------------------------------------

// On duty is this browser's choice (an officer may be on duty at the office's computer, not on the home one): it is
// kept here and sent with the subscription each time the console opens.
const DUTY_KEY = 'binhan-on-duty';
const onDuty = () => localStorage.getItem(DUTY_KEY) !== 'no';

function renderPushButton() {
  const slot = document.getElementById('push');
  if (!slot || !self.Notification) return;
  const granted = self.Notification.permission === 'granted';
  if (!granted) {
    mount(slot, h('button', { type: 'button', class: 'chip', onclick: enableAlerts }, t('alertsEnable')));
    return;
  }
  const duty = onDuty();
  mount(slot, h('button', { type: 'button', class: duty ? 'chip on' : 'chip', 'aria-pressed': String(duty),
    title: duty ? t('alertsGoOff') : t('alertsGoOn'), onclick: toggleDuty },
  duty ? t('alertsOnDuty') : t('alertsOffDuty')));
  subscribePush().catch(() => {});
}

async function enableAlerts() {
  if (self.Notification.permission !== 'granted' && await self.Notification.requestPermission() !== 'granted') return;
  localStorage.removeItem(DUTY_KEY); // turning alerts on means being on duty
  renderPushButton();
}

function toggleDuty() {
  localStorage.setItem(DUTY_KEY, onDuty() ? 'no' : 'yes');
  renderPushButton();
}

/** The console's service worker shows pushes while no console is open (officer/sw.js). One PUT at a time, in the
 * order the officer chose: a slow earlier one (the page's first) never lands after the latest choice. */
let putting = Promise.resolve();
function subscribePush() {
  putting = putting.catch(() => {}).then(putSubscription);
  return putting;
}

async function putSubscription() {
  if (!('serviceWorker' in navigator) || !self.PushManager) return;
  const registration = await navigator.serviceWorker.register('/officer/sw.js', { scope: '/officer/' });
  const { public_key: key } = await api('/push/key');
  const subscription = await registration.pushManager.getSubscription()
    || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await api('/push/subscription', { method: 'PUT', json: { ...subscription.toJSON(), on_duty: onDuty() } });
}
