// Sign-in form: username and password; the server rate-limits attempts per address.
import { api } from '../api.js';
import { t } from '../../../lib/i18n.js';
import { errorText, field, h, heading } from '../ui.js';

/** @param {{onSignedIn: (session: object) => void}} opts */
export function loginScreen({ onSignedIn }) {
  const error = h('p', { class: 'error', role: 'alert' });
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card narrow', onsubmit: submit },
    heading(t('signIn')), field(t('username'), username), field(t('password'), password), error,
    h('button', { type: 'submit', class: 'primary' }, t('signIn')));

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    try {
      onSignedIn(await api('/login', { method: 'POST', json: { username: username.value.trim(), password: password.value } }));
    } catch (e) {
      error.textContent = e.code === 'invalid_credentials' ? t('wrongLogin') : errorText(e);
      password.select();
    }
  }
  queueMicrotask(() => username.focus());
  return form;
}
