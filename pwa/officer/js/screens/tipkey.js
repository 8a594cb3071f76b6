// The commune's reading key for tips: the head makes it (and a new version later); every officer opens it with the
// officers' passphrase to read the tips phones sealed to it (issue 11).
import * as communeKey from '../commune-key.js';
import { t } from '../../../lib/i18n.js';
import { errorText, field, h, heading, toast } from '../ui.js';

const passwordInput = (name) => h('input', { name, type: 'password', required: true,
  minLength: communeKey.MIN_PASSPHRASE, autocomplete: 'off' });

/** Screen: the key's state, the form to open it, and for the head the form to make a (new) version. */
export async function tipKeyScreen({ officer, go }) {
  const { keys, recovery_public_key: recovery } = await communeKey.keys();
  const reload = () => go('#/tipkey');
  const current = keys[0];
  return h('section', {}, heading(t('tipKey')),
    h('p', {}, current ? t('tipKey.state', { v: current.version }) : t('tipKey.none')),
    h('p', { class: 'muted' }, t('tipKey.help')),
    communeKey.isOpen() ? openCard(reload) : current ? unlockForm(reload) : null,
    officer.role === 'head' ? createForm(Boolean(current), recovery, reload) : null);
}

function openCard(reload) {
  return h('div', { class: 'card narrow' }, h('p', { role: 'status' }, t('tipKey.open')),
    h('button', { type: 'button', onclick: () => { communeKey.lock(); reload(); } }, t('tipKey.lock')));
}

function unlockForm(reload) {
  const passphrase = passwordInput('passphrase');
  const message = h('p', { role: 'status' });
  return h('form', { class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    message.textContent = t('tipKey.opening');
    try {
      if (await communeKey.unlock(passphrase.value)) { toast(t('tipKey.open')); reload(); return; }
      message.textContent = t('tipKey.wrong');
    } catch (error) { message.textContent = errorText(error); }
  } }, h('h3', {}, t('tipKey.unlock')), field(t('tipKey.passphrase'), passphrase), message,
  h('button', { type: 'submit', class: 'primary' }, t('tipKey.unlock')));
}

function createForm(rotate, recovery, reload) {
  const passphrase = passwordInput('new_passphrase');
  const again = passwordInput('new_passphrase_again');
  const message = h('p', { role: 'status' });
  if (!recovery) return h('p', { class: 'card narrow' }, t('tipKey.noRecovery'));
  return h('form', { class: 'card narrow', onsubmit: async (e) => {
    e.preventDefault();
    if (passphrase.value !== again.value) { message.textContent = t('tipKey.mismatch'); return; }
    message.textContent = t('tipKey.making');
    try {
      const version = await communeKey.create(passphrase.value);
      toast(t('tipKey.made', { v: version }));
      reload();
    } catch (error) { message.textContent = errorText(error); }
  } }, h('h3', {}, rotate ? t('tipKey.rotate') : t('tipKey.create')),
  h('p', { class: 'muted' }, rotate ? t('tipKey.rotateHelp') : t('tipKey.createHelp')),
  field(t('tipKey.passphrase'), passphrase, t('tipKey.rule', { n: communeKey.MIN_PASSPHRASE })),
  field(t('tipKey.again'), again), message,
  h('button', { type: 'submit', class: 'primary' }, rotate ? t('tipKey.rotate') : t('tipKey.create')));
}
