// Set a PIN on first use, unlock afterwards. The PIN is checked on the phone (WebCrypto: a wrong
// PIN fails to unwrap the household's private key). Repeated wrong PINs slow down; the wait is
// stored with the household so a reload does not reset it.
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import * as store from '../store.js';
import { setupPin, unlock } from '../crypto.js';

/** Wait after n wrong PINs: none for the first 2, then 30 s doubling, at most an hour. */
export const delayFor = (n) => (n < 3 ? 0 : Math.min(3600e3, 30e3 * 2 ** (n - 3)));

const pinInput = (id, label) => [
  h('label', { for: id }, label),
  h('input', { id, type: 'password', inputmode: 'numeric', pattern: '[0-9]{4,6}', minlength: '4',
    maxlength: '6', autocomplete: 'off', required: true }),
];

/** Renders the PIN form for household `id`. */
export async function render(app, id) {
  const hh = await store.household(Number(id));
  if (!hh) return app.go('#/');
  const setup = !hh.keys;
  const msg = h('p', { class: 'msg', role: 'alert' });
  const btn = h('button', { class: 'btn primary', type: 'submit' }, setup ? t('pin.create') : t('pin.open'));
  const form = h('form', { class: 'card' },
    h('h2', {}, hh.name),
    h('p', {}, setup ? t('pin.setupHelp') : t('pin.help')),
    pinInput('pin', t('pin.label')),
    setup ? pinInput('pin2', t('pin.again')) : null,
    btn, msg,
    h('button', { type: 'button', class: 'btn', onclick: () => app.go('#/') }, t('nav.back')));
  const tick = () => {
    const wait = (hh.lockedUntil || 0) - Date.now();
    btn.disabled = wait > 0;
    if (wait > 0) {
      msg.textContent = t('pin.wait', { s: Math.ceil(wait / 1000) });
      setTimeout(() => form.isConnected && tick(), 1000);
    }
  };
  tick();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const pin = form.querySelector('#pin').value;
    if (!/^\d{4,6}$/.test(pin)) return (msg.textContent = t('pin.format'));
    btn.disabled = true;
    msg.textContent = t('pin.checking');
    if (setup) {
      if (pin !== form.querySelector('#pin2').value) {
        btn.disabled = false;
        return (msg.textContent = t('pin.mismatch'));
      }
      const { keys, session } = await setupPin(pin);
      await store.updateHousehold(hh.id, (x) => ({ ...x, keys, failures: 0, lockedUntil: 0 }));
      return app.unlock({ ...hh, keys }, session);
    }
    const fresh = await store.household(hh.id);
    if ((fresh.lockedUntil || 0) > Date.now()) return tick();
    const session = await unlock(fresh.keys, pin);
    if (session) {
      await store.updateHousehold(hh.id, (x) => ({ ...x, failures: 0, lockedUntil: 0 }));
      return app.unlock(fresh, session);
    }
    const failures = (fresh.failures || 0) + 1;
    hh.lockedUntil = Date.now() + delayFor(failures);
    await store.updateHousehold(hh.id, (x) => ({ ...x, failures, lockedUntil: hh.lockedUntil }));
    form.querySelector('#pin').value = '';
    msg.textContent = t('pin.wrong');
    btn.disabled = false;
    if (delayFor(failures)) tick();
  });
  return form;
}
