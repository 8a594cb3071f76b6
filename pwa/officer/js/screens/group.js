// One group: its households (add, rename, deactivate; PIN state, household and reset codes, unlock), its
// phones (revoke), a fresh enrolment code and the sheet of household codes printed with it (ADR 0005).
import { api } from '../api.js';
import { t } from '../../../lib/i18n.js';
import { when } from '../../../lib/time.js';
import { attempt, h, heading, mount } from '../ui.js';
import { oneFieldForm } from './groups.js';

/** Screen: the group with id. */
export async function groupScreen({ id, go }) {
  const group = await api(`/groups/${encodeURIComponent(id)}`);
  const keys = new Map((await api(`/groups/${group.id}/household-keys`)).map((k) => [k.household_id, k]));
  const reload = () => go(`#/group/${group.id}`);
  const codeBox = h('div', { class: 'code-box', 'aria-live': 'polite' });
  return h('section', { class: 'group' },
    h('a', { href: '#/groups', class: 'back' }, t('back')),
    heading(`${group.code} — ${group.name}`),
    h('p', { class: 'muted' }, group.village.name),
    groupRename(group, reload),
    h('h3', {}, t('households')),
    h('ul', { class: 'plain households' }, group.households.map((hh) => householdRow(hh, keys.get(hh.id), reload, codeBox))),
    oneFieldForm(t('addHousehold'), 'name', (name) => api(`/groups/${group.id}/households`, { method: 'POST', json: { name } }), reload),
    h('h3', {}, t('phones')),
    h('ul', { class: 'plain devices' }, group.devices.map((d) => h('li', { class: d.revoked_at ? 'revoked' : '' },
      `#${d.id} ${d.label || ''} — ${t('lastSeen')}: ${d.last_seen_at ? when(d.last_seen_at) : t('never')} `,
      d.revoked_at ? h('span', { class: 'badge' }, `${t('revoked')} ${when(d.revoked_at)}`)
        : h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!window.confirm(t('revokeAsk'))) return;
          if (await attempt(() => api(`/devices/${d.id}/revoke`, { method: 'POST' }), t('revoked'))) reload();
        } }, t('revoke'))))),
    h('button', { type: 'button', class: 'primary', onclick: async () => {
      const issued = await attempt(() => api(`/groups/${group.id}/enrolment-codes`, { method: 'POST' }));
      if (issued) showCode(codeBox, issued);
    } }, t('enrolCode')),
    h('button', { type: 'button', onclick: async () => {
      const sheet = await attempt(() => api(`/groups/${group.id}/household-codes`, { method: 'POST' }));
      if (sheet) showSheet(codeBox, group, sheet);
    } }, t('householdCodes')),
    codeBox);
}

/** The code large enough to read out over the phone or to print, with its expiry. */
function showCode(box, issued) {
  mount(box, h('p', {}, `${t('enrolCodeFor')} ${issued.group.code} — ${issued.group.name}`),
    h('p', { class: 'enrol-code', lang: 'en' }, issued.code),
    h('p', { class: 'muted' }, `${t('validUntil')} ${when(issued.expires_at)}`),
    h('button', { type: 'button', onclick: () => window.print() }, t('print')));
  box.querySelector('.enrol-code').focus?.();
}

/** One line per household without a PIN: its name and its one-time code, to print and hand out. */
function showSheet(box, group, sheet) {
  if (!sheet.length) return mount(box, h('p', {}, t('noHouseholdCodes')));
  mount(box, h('h3', {}, `${t('householdCodesFor')} ${group.code}`),
    h('p', { class: 'muted' }, t('householdCodesHint')),
    h('table', { class: 'household-codes' }, h('tbody', {}, sheet.map((row) => h('tr', {},
      h('th', { scope: 'row' }, row.household.name), h('td', { class: 'household-code', lang: 'en' }, row.code))))),
    h('p', { class: 'muted' }, `${t('validUntil')} ${when(sheet[0].expires_at)}`),
    h('button', { type: 'button', onclick: () => window.print() }, t('print')));
}

/** The household's PIN state, and what the head can do about it: a code, a reset code, an unlock. */
function pinControls(household, key, reload, box) {
  if (!household.active || !key) return [];
  const issue = (purpose) => attempt(() => api(`/households/${household.id}/codes`, { method: 'POST', json: { purpose } }));
  const show = (issued) => issued && mount(box, h('p', {}, `${issued.household.name}:`),
    h('p', { class: 'enrol-code', lang: 'en' }, issued.code),
    h('p', { class: 'muted' }, `${t('validUntil')} ${when(issued.expires_at)}`),
    h('button', { type: 'button', onclick: () => window.print() }, t('print')));
  const state = key.locked ? t('pinLocked', { n: key.failed_today || '' }) : t(key.claimed ? 'pinSet' : 'pinNotSet');
  return [
    h('span', { class: key.locked ? 'badge danger' : 'badge' }, state),
    key.locked ? h('button', { type: 'button', onclick: async () => {
      if (await attempt(() => api(`/households/${household.id}/unlock`, { method: 'POST' }), t('unlocked'))) reload();
    } }, t('unlockHousehold')) : null,
    key.claimed ? h('button', { type: 'button', onclick: async () => {
      if (window.confirm(t('resetCodeAsk'))) show(await issue('reset'));
    } }, t('resetCode')) : h('button', { type: 'button', onclick: async () => show(await issue('claim')) }, t('householdCode')),
  ];
}

function groupRename(group, reload) {
  const name = h('input', { name: 'name', value: group.name, required: true, maxLength: 120, 'aria-label': t('rename') });
  return h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    if (await attempt(() => api(`/groups/${group.id}`, { method: 'PATCH', json: { name: name.value } }), t('saved'))) reload();
  } }, name, h('button', { type: 'submit' }, t('rename')));
}

function householdRow(household, key, reload, box) {
  const name = h('input', { name: 'name', value: household.name, required: true, maxLength: 120, 'aria-label': `${t('rename')} ${household.name}` });
  const patch = (json) => attempt(() => api(`/households/${household.id}`, { method: 'PATCH', json }), t('saved'));
  return h('li', { class: household.active ? '' : 'inactive' }, h('form', { class: 'inline', onsubmit: async (e) => {
    e.preventDefault();
    if (await patch({ name: name.value })) reload();
  } }, name, h('button', { type: 'submit' }, t('rename')),
  h('button', { type: 'button', onclick: async () => { if (await patch({ active: !household.active })) reload(); } },
    household.active ? t('deactivate') : t('activate')),
  household.active ? null : h('span', { class: 'badge' }, t('inactive')),
  ...pinControls(household, key, reload, box)));
}
