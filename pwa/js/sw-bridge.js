// The page's side of the service worker (Squoosh style): register, tell the page when a new
// version is waiting, and on the user's "reload" ask it to skip waiting, then reload once when
// it takes control. Also relays the worker's sync notices and asks for Background Sync.

let reloading = false;

/**
 * Registers /sw.js (a module worker: it runs the same sync engine for Background Sync).
 * @param {{onUpdate: (apply: () => void) => void, onMessage: (data: any) => void,
 *          onControl: () => void}} hooks
 * @returns {Promise<ServiceWorkerRegistration|null>}
 */
export async function register({ onUpdate, onMessage, onControl }) {
  if (!('serviceWorker' in navigator)) return null;
  const sw = navigator.serviceWorker;
  sw.addEventListener('message', (e) => onMessage(e.data));
  sw.addEventListener('controllerchange', () => {
    // Only after the user asked: the first install also fires controllerchange (clients.claim).
    if (!reloading) return onControl();
    reloading = false;
    location.reload();
  });
  const reg = await sw.register(new URL('../sw.js', import.meta.url), { type: 'module', scope: '../' });
  const ask = (worker) => onUpdate(() => {
    reloading = true;
    worker.postMessage({ type: 'SKIP_WAITING' });
  });
  if (reg.waiting && sw.controller) ask(reg.waiting);
  reg.addEventListener('updatefound', () => {
    const worker = reg.installing;
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'installed' && sw.controller) ask(worker);
    });
  });
  return reg;
}

/** @returns {Promise<string>} the version of the worker controlling this page, or ''. */
export function version() {
  const ctl = navigator.serviceWorker?.controller;
  if (!ctl) return Promise.resolve('');
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = (e) => resolve(e.data);
    ctl.postMessage({ type: 'GET_VERSION' }, [ch.port2]);
    setTimeout(() => resolve(''), 2000);
  });
}

/** Asks the browser to wake the worker's sync engine when a link returns (where supported). */
export async function requestBackgroundSync() {
  try {
    const reg = await navigator.serviceWorker?.ready;
    await reg?.sync?.register('outbox');
  } catch { /* not supported or not allowed: the page's own triggers still run */ }
}
