// The signed-in officer's own password change (other sessions end; this one stays).
import { api } from '../api.js';
import { t } from '../../../lib/i18n.js';
import { errorText, field, h, heading, toast } from '../ui.js';

/** Screen: change password. */
export function accountScreen({ officer }) {
  const current = h('input', { name: 'current_password', type: 'password', required: true, autocomplete: 'current-password' });
  const next = h('input', { name: 'new_password', type: 'password', required: true, minLength: 8, autocomplete: 'new-password' });
  const message = h('p', { role: 'status' });
  return h('section', {}, heading(t('account')),
    h('p', {}, `${officer.display_name} (${officer.username})${officer.commune_name ? ' — ' + officer.commune_name : ''}`),
    h('form', { class: 'card narrow', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('/me/password', { method: 'POST', json: { current_password: current.value, new_password: next.value } });
        message.textContent = t('passwordChanged');
        toast(t('passwordChanged'));
        e.target.reset();
      } catch (error) {
        message.textContent = error.code === 'wrong_password' ? t('wrongPassword') : errorText(error);
      }
    } }, h('h3', {}, t('changePassword')), field(t('currentPassword'), current), field(t('newPassword'), next, t('passwordRule')),
    message, h('button', { type: 'submit', class: 'primary' }, t('changePassword'))),
    h('div', { class: 'card narrow' }, h('h3', {}, t('signOutEverywhere')), h('p', {}, t('signOutEverywhereHelp')),
      h('button', { type: 'button', onclick: async () => {
        if (!window.confirm(t('signOutEverywhere') + '?')) return;
        try { await api('/logout-everywhere', { method: 'POST' }); } catch { /* signed out either way */ }
        location.reload();
      } }, t('signOutEverywhere'))));
}
