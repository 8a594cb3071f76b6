// Officer accounts for the head (their commune) or an admin (every commune, and new communes).
import { api, query } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { rules } from '../../../lib/rules.js';
import { attempt, field, h, heading, select } from '../ui.js';

/** Screen: accounts, and for an admin the communes. */
export async function officersScreen({ officer: me, go }) {
  const isAdmin = me.role === 'admin';
  const [officers, communes] = await Promise.all([api('/officers' + query({ include_inactive: true })),
      isAdmin ? api('/communes') : Promise.resolve([])]);
  const reload = () => go('#/officers');
  const roles = rules().roles.filter((r) => isAdmin || r !== 'admin');
  const communeName = (id) => communes.find((c) => c.id === id)?.name || me.commune_name || '';
  return h('section', {}, heading(t('officers')),
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, [t('username'), t('displayName'), t('role'), isAdmin ? t('communes') : null, t('active'), '']
        .filter((c) => c !== null).map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, officers.map((o) => h('tr', { class: o.active ? '' : 'inactive' },
        h('td', {}, o.username), h('td', {}, o.display_name), h('td', {}, label('role', o.role)),
        isAdmin ? h('td', {}, communeName(o.commune_id)) : null,
        h('td', {}, o.active ? '✓' : t('inactive')),
        h('td', {}, o.id === me.id || (o.role === 'admin' && !isAdmin) ? '' : [
          h('button', { type: 'button', onclick: async () => {
            if (await attempt(() => api(`/officers/${o.id}`, { method: 'PATCH', json: { active: !o.active } }), t('saved'))) reload();
          } }, o.active ? t('deactivate') : t('activate')), ' ',
          h('button', { type: 'button', onclick: async () => {
            const password = window.prompt(`${t('resetPassword')} — ${o.display_name} (${t('passwordRule')})`);
            if (password) await attempt(() => api(`/officers/${o.id}/password`, { method: 'POST', json: { new_password: password } }), t('saved'));
          } }, t('resetPassword')), ' ',
          h('button', { type: 'button', onclick: async () => {
            if (window.confirm(`${t('signOutEverywhere')} — ${o.display_name}?`)) {
              await attempt(() => api(`/officers/${o.id}/logout`, { method: 'POST' }), t('signedOutEverywhere'));
            }
          } }, t('signOutEverywhere'))]))))),
    newOfficerForm(roles, communes, isAdmin, reload),
    isAdmin ? communesPart(communes, reload) : null);
}

function newOfficerForm(roles, communes, isAdmin, reload) {
  const username = h('input', { name: 'username', required: true, pattern: '[A-Za-z0-9._\\-]{3,64}', autocomplete: 'off' });
  const name = h('input', { name: 'display_name', required: true, maxLength: 120 });
  const password = h('input', { name: 'password', type: 'password', required: true, minLength: 8, autocomplete: 'new-password' });
  const role = select('role', roles.map((r) => [r, label('role', r)]));
  const commune = isAdmin ? select('commune_id', communes.map((c) => [c.id, c.name])) : null;
  return h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const json = { username: username.value, display_name: name.value, password: password.value, role: role.value };
    if (commune && role.value !== 'admin') json.commune_id = Number(commune.value);
    if (await attempt(() => api('/officers', { method: 'POST', json }), t('saved'))) reload();
  } }, h('h3', {}, t('newOfficer')), field(t('username'), username), field(t('displayName'), name),
  field(t('password'), password, t('passwordRule')), field(t('role'), role), commune ? field(t('communes'), commune) : null,
  h('button', { type: 'submit', class: 'primary' }, t('newOfficer')));
}

function communesPart(communes, reload) {
  const code = h('input', { name: 'code', required: true, pattern: '[A-Za-z0-9_\\-]{2,32}' });
  const name = h('input', { name: 'name', required: true, maxLength: 120 });
  const villages = h('input', { name: 'villages', placeholder: 'Thôn 1, Thôn 2' });
  return h('section', {}, h('h3', {}, t('communes')),
    h('ul', { class: 'plain' }, communes.map((c) => h('li', {}, `${c.code} — ${c.name} (${c.villages.map((v) => v.name).join(', ')})`))),
    h('form', { class: 'card', onsubmit: async (e) => {
      e.preventDefault();
      const json = { code: code.value, name: name.value, village_names: villages.value.split(',').map((v) => v.trim()).filter(Boolean) };
      if (await attempt(() => api('/communes', { method: 'POST', json }), t('saved'))) reload();
    } }, h('h4', {}, t('newCommune')), field(t('code'), code), field(t('name'), name), field(t('villages'), villages),
    h('button', { type: 'submit' }, t('newCommune'))));
}
