// The audit log for the head: who viewed or changed what, filtered by action or target, paged.
import { api, query } from '../api.js';
import { t } from '../../../lib/i18n.js';
import { when } from '../../../lib/time.js';
import { field, formValues, h, heading, pager } from '../ui.js';

const PER_PAGE = 50;

/** Screen: the commune's audit log. */
export async function auditScreen({ params, go }) {
  const filters = Object.fromEntries(['action', 'target_type', 'target_id'].filter((k) => params.get(k)).map((k) => [k, params.get(k)]));
  const page = Number(params.get('page') || 1);
  const result = await api('/audit' + query({ ...filters, page, per_page: PER_PAGE }));
  const form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); go('#/audit' + query(formValues(form))); } },
    field(t('action'), h('input', { name: 'action', value: filters.action || '', placeholder: 'report.viewed' })),
    field(t('target'), h('input', { name: 'target_type', value: filters.target_type || '', placeholder: 'report' })),
    field('ID', h('input', { name: 'target_id', value: filters.target_id || '' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('filter'))));
  const pages = Math.max(1, Math.ceil(result.total / PER_PAGE));
  const goPage = (p) => go('#/audit' + query({ ...filters, page: p }));
  return h('section', {}, heading(t('audit')), form,
    h('p', { class: 'summary-line' }, h('span', { class: 'muted' }, t('auditTotal', { n: result.total })), ' ',
      h('a', { class: 'button', href: '/api/v1/officer/audit/export.csv' + query(filters), download: '' }, t('exportCsv'))),
    h('table', { class: 'grid audit' },
      h('thead', {}, h('tr', {}, [t('when'), t('who'), t('action'), t('target'), t('details')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, result.items.map((e) => h('tr', {},
        h('td', {}, when(e.at)), h('td', {}, e.officer_name || (e.device_id ? `📱 #${e.device_id}` : t('none'))),
        h('td', {}, e.action),
        h('td', {}, e.target_type === 'report' && e.target_id
          ? h('a', { href: `#/report/${e.target_id}` }, `${e.target_type} ${e.target_id.slice(0, 8)}`)
          : `${e.target_type} ${e.target_id}`),
        h('td', { class: 'details' }, Object.keys(e.details || {}).length ? JSON.stringify(e.details) : ''))))),
    pager(page, pages, goPage));
}
