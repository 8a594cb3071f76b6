// The household's PIN (docs/adr/0005-household-keys.md). First PIN: the household code printed by the commune,
// then the PIN, sent to the server (claim). Unlock: the PIN is checked online and wrong tries are counted there;
// with no signal the PIN opens the writing key only. Forgotten PIN: a reset code from the commune and a new PIN.
// A household from before (a PIN checked on the phone only) still opens as it did until it enters its code.
import { h } from '../../lib/dom.js';
import { t } from '../../lib/i18n.js';
import * as store from '../store.js';
import { unlock as unlockLegacy } from '../crypto.js';
// The key schedule loads when a PIN is entered, not with the shell's first load (precached all the same).
const keys = () => import('../household-keys.js');
import { openSealed } from '../apply.js';

/** Wait after n wrong PINs of a legacy household: none for the first 2, then 30 s doubling, at most an hour. */
export const delayFor = (n) => (n < 3 ? 0 : Math.min(3600e3, 30e3 * 2 ** (n - 3)));

const pinInput = (id, label) => [
  h('label', { for: id }, label),
  h('input', { id, type: 'password', inputmode: 'numeric', pattern: '[0-9]{4,6}', minlength: '4',
    maxlength: '6', autocomplete: 'off', required: true }),
];

const codeInput = (label) => [
  h('label', { for: 'hcode' }, label),
  h('input', { id: 'hcode', type: 'text', autocomplete: 'off', autocapitalize: 'characters', required: true }),
];

/** The Vietnamese words for a claim or unlock failure. */
export function failure(e) {
  const code = e?.code;
  if (code === 'pin_wrong') return t('pin.wrongLeft', { n: e.remaining ?? 0 });
  if (code === 'pin_wrong_offline') return t('pin.wrong');
  if (code === 'household_locked') return t('pin.locked');
  if (code === 'household_code_wrong') return t('pin.codeWrong');
  if (code === 'household_code_used' || code === 'household_code_expired') return t('pin.codeUsed');
  if (code === 'household_claimed') return t('pin.claimed');
  if (code === 'household_not_found') return t('pin.notFound');
  if (e?.status === 429) return t('enrol.slow');
  if (e?.status === 0) return t('pin.needLink');
  return t('pin.failed');
}

/**
 * Renders household `id`'s PIN form. mode: none (unlock, or claim when it has no key yet), "claim" (a legacy
 * household enters its household code) or "reset" (forgotten PIN).
 */
export async function render(app, id, mode) {
  const hh = await store.household(Number(id));
  if (!hh) return app.go('#/');
  const legacy = !!hh.keys && !hh.keys.v;
  if (!hh.keys) mode = 'claim';
  if (mode === 'claim' || mode === 'reset') return claimForm(app, hh, mode, legacy);
  return legacy ? legacyForm(app, hh) : unlockForm(app, hh);
}

function shell(hh, help, fields, submitLabel, extra = []) {
  const msg = h('p', { class: 'msg', role: 'alert' });
  const btn = h('button', { class: 'btn primary', type: 'submit' }, submitLabel);
  const form = h('form', { class: 'card' }, h('h2', {}, hh.name), ...help.map((x) => h('p', {}, x)), ...fields,
    btn, msg, ...extra);
  return { form, msg, btn };
}

const back = (app) => h('button', { type: 'button', class: 'btn', onclick: () => app.go('#/') }, t('nav.back'));

function claimForm(app, hh, mode, legacy) {
  const reset = mode === 'reset';
  const help = reset ? [t('pin.resetHelp'), t('pin.resetWarn')] : [t(legacy ? 'pin.claimLegacy' : 'pin.claimHelp')];
  const { form, msg, btn } = shell(hh, help, [...codeInput(t(reset ? 'pin.resetCode' : 'pin.code')),
    ...pinInput('pin', t('pin.label')), ...pinInput('pin2', t('pin.again'))], t('pin.create'), [back(app)]);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const code = form.querySelector('#hcode').value;
    const pin = form.querySelector('#pin').value;
    if (!code.trim()) return (msg.textContent = t('pin.needCode'));
    if (!/^\d{4,6}$/.test(pin)) return (msg.textContent = t('pin.format'));
    if (pin !== form.querySelector('#pin2').value) return (msg.textContent = t('pin.mismatch'));
    btn.disabled = true;
    msg.textContent = t('pin.checking');
    // A legacy household unlocked with its old PIN brings its records along (re-encrypted to the new keys).
    const old = legacy && app.household?.id === hh.id ? app.session : null;
    try {
      const session = await (await keys()).claim(hh.id, code, pin, old);
      await openSealed(hh.id, session).catch((x) => console.warn('sealed entries', x));
      return app.unlock(await store.household(hh.id), session);
    } catch (x) {
      msg.textContent = failure(x);
      btn.disabled = false;
    }
  });
  return form;
}

function unlockForm(app, hh) {
  const forgot = h('button', { type: 'button', class: 'btn', onclick: () => app.go(`#/pin/${hh.id}/reset`) },
    t('pin.forgot'));
  const { form, msg, btn } = shell(hh, [t('pin.help')], pinInput('pin', t('pin.label')), t('pin.open'),
    [forgot, back(app)]);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const pin = form.querySelector('#pin').value;
    if (!/^\d{4,6}$/.test(pin)) return (msg.textContent = t('pin.format'));
    btn.disabled = true;
    msg.textContent = t('pin.checking');
    try {
      const session = await (await keys()).unlock(hh, pin);
      if (session.online) await openSealed(hh.id, session).catch((x) => console.warn('sealed entries', x));
      return app.unlock(hh, session);
    } catch (x) {
      if (x?.code === 'household_unclaimed') return app.go(`#/pin/${hh.id}/claim`); // keys reset on the server
      form.querySelector('#pin').value = '';
      msg.textContent = failure(x);
      btn.disabled = x?.code === 'household_locked';
    }
  });
  return form;
}

/** A household that set its PIN before household codes: checked on the phone, slowed down after wrong tries. */
function legacyForm(app, hh) {
  const { form, msg, btn } = shell(hh, [t('pin.help')], pinInput('pin', t('pin.label')), t('pin.open'),
    [back(app)]);
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
    const fresh = await store.household(hh.id);
    if ((fresh.lockedUntil || 0) > Date.now()) return tick();
    const session = await unlockLegacy(fresh.keys, pin);
    if (session) {
      await store.updateHousehold(hh.id, (x) => ({ ...x, failures: 0, lockedUntil: 0 }));
      return app.unlock(fresh, { ...session, legacy: true });
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
