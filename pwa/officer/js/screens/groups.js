// The head's view of the commune: villages (add, rename) and household groups (list, add).
import { api } from '../api.js';
import { t } from '../../../lib/i18n.js';
import { when } from '../../../lib/time.js';
import { attempt, field, h, heading, select } from '../ui.js';

/** Screen: villages and groups of the commune. */
export async function groupsScreen({ go }) {
  const [villages, groups] = await Promise.all([api('/villages'), api('/groups')]);
  const reload = () => go('#/groups');
  return h('section', {}, heading(t('groups')),
    h('h3', {}, t('villages')),
    h('ul', { class: 'plain' }, villages.map((v) => h('li', {}, renameForm(v, reload)))),
    oneFieldForm(t('newVillage'), 'name', async (name) => api('/villages', { method: 'POST', json: { name } }), reload),
    h('h3', {}, t('groupList')),
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, [t('code'), t('name'), t('village'), t('households'), t('phones'), t('lastSeen')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, groups.map((g) => h('tr', {},
        h('td', {}, h('a', { href: `#/group/${g.id}` }, g.code)), h('td', {}, g.name), h('td', {}, g.village.name),
        h('td', {}, String(g.household_count)), h('td', {}, String(g.device_count)),
        h('td', {}, g.last_seen_at ? when(g.last_seen_at) : t('never')))))),
    newGroupForm(villages, go));
}

function renameForm(village, reload) {
  const name = h('input', { name: 'name', value: village.name, required: true, maxLength: 120, 'aria-label': `${t('rename')} ${village.name}` });
  return h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    if (await attempt(() => api(`/villages/${village.id}`, { method: 'PATCH', json: { name: name.value } }), t('saved'))) reload();
  } }, name, h('button', { type: 'submit' }, t('rename')));
}

/** A one-input form (label, name) whose submit calls action(value), then reload. */
export function oneFieldForm(text, name, action, reload) {
  const input = h('input', { name, required: true, maxLength: 120 });
  return h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    if (await attempt(() => action(input.value), t('saved'))) reload();
  } }, field(text, input), h('button', { type: 'submit' }, text));
}

function newGroupForm(villages, go) {
  const village = select('village_id', villages.map((v) => [v.id, v.name]));
  const code = h('input', { name: 'code', required: true, pattern: '[A-Za-z0-9_\\-]{2,32}', maxLength: 32 });
  const name = h('input', { name: 'name', required: true, maxLength: 120 });
  return h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const group = await attempt(() => api('/groups', { method: 'POST', json: { village_id: Number(village.value), code: code.value, name: name.value } }), t('saved'));
    if (group) go(`#/group/${group.id}`);
  } }, h('h3', {}, t('newGroup')), field(t('village'), village), field(t('code'), code), field(t('name'), name),
  h('button', { type: 'submit', class: 'primary' }, t('newGroup')));
}
