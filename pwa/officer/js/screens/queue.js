// The queue: filters (kept in the URL so that Back and reload keep them), the list, paging and CSV export.
import { api, query } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { rules } from '../../../lib/rules.js';
import { when } from '../../../lib/time.js';
import { field, formValues, h, heading, pager, select } from '../ui.js';

const FILTERS = ['q', 'status', 'kind', 'category', 'village_id', 'urgency', 'assignee', 'date_from', 'date_to', 'sort'];
const isVoice = (a) => a.content_type.startsWith('audio/');
const clock = (ms) => { const s = Math.round((ms || 0) / 1000); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`; };
const PER_PAGE = 25;

const choices = (kind, values) => values.map((v) => [v, label(kind, v)]);

function paramsToFilters(params) {
  const filters = {};
  for (const key of [...FILTERS, 'open', 'unanswered', 'has_voice', 'page']) if (params.get(key)) filters[key] = params.get(key);
  if (!params.toString()) filters.open = 'true';  // what an officer wants first: what is still open
  return filters;
}

/** Screen: the commune's reports. */
export async function queueScreen({ params, go }) {
  const filters = paramsToFilters(params);
  const page = Number(filters.page || 1);
  const [villages, officers] = await Promise.all([api('/villages').catch(() => []), api('/officers').catch(() => [])]);
  const result = await api('/reports' + query({ ...filters, page, per_page: PER_PAGE }));
  const all = ['', t('all')];
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); } },
    field(t('search'), h('input', { name: 'q', type: 'search', value: filters.q || '', placeholder: t('searchHint') })),
    field(t('status'), select('status', [all, ...choices('status', rules().statuses)], filters.status)),
    field(t('kind'), select('kind', [all, ...choices('kind', rules().kinds)], filters.kind)),
    field(t('category'), select('category', [all, ...choices('category', rules().categories)], filters.category)),
    field(t('village'), select('village_id', [all, ...villages.map((v) => [v.id, v.name])], filters.village_id)),
    field(t('urgency'), select('urgency', [all, ...choices('urgency', rules().urgencies.toReversed())], filters.urgency)),
    field(t('assignee'), select('assignee', [all, ['me', t('mine')], ['none', t('nobody')],
      ...officers.map((o) => [o.id, o.display_name])], filters.assignee)),
    field(t('from'), h('input', { name: 'date_from', type: 'date', value: filters.date_from || '' })),
    field(t('to'), h('input', { name: 'date_to', type: 'date', value: filters.date_to || '' })),
    field(t('sort'), select('sort', choices('sort', rules().sorts), filters.sort || 'newest')),
    h('div', { class: 'checks' },
      h('label', {}, h('input', { type: 'checkbox', name: 'open', checked: filters.open === 'true' }), ' ', t('onlyOpen')),
      h('label', {}, h('input', { type: 'checkbox', name: 'unanswered', checked: filters.unanswered === 'true' }), ' ',
        t('onlyUnanswered')),
      h('label', {}, h('input', { type: 'checkbox', name: 'has_voice', checked: filters.has_voice === 'true' }), ' ',
        t('hasVoice'))),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary' }, t('filter')),
      h('button', { type: 'button', onclick: () => go('#/queue?sort=newest') }, t('reset'))));

  function apply(newPage = 1) {
    const values_ = formValues(form);
    const next = {};
    for (const [key, value] of Object.entries(values_)) if (value !== '' && value !== false) next[key] = value === true ? 'true' : value;
    if (!next.sort) next.sort = 'newest';
    if (newPage > 1) next.page = newPage;
    go('#/queue' + query(next));
  }

  const pages = Math.max(1, Math.ceil(result.total / PER_PAGE));
  return h('section', { class: 'queue' },
    heading(t('queue')),
    // Open on wide screens, and on a phone whenever a filter is in force, so that it shows what is applied.
    h('details', { class: 'filter-box', open: wide() || FILTERS.some((key) => key !== 'sort' && filters[key]) },
      h('summary', {}, t('filters')), form),
    h('p', { class: 'summary-line' }, h('span', { class: 'muted', role: 'status' }, t('total', { n: result.total })), ' ',
      h('a', { class: 'button', href: '/api/v1/officer/stats/export.csv' + query({ ...filters, page: undefined }), download: '' }, t('exportCsv'))),
    result.items.length ? h('ul', { class: 'reports' }, result.items.map(item)) : h('p', {}, t('empty')),
    pager(page, pages, apply));
}

function wide() { return window.matchMedia('(min-width: 800px)').matches; }

function item(report) {
  const flags = [
    report.urgency === 'urgent' ? h('span', { class: 'badge urgent' }, label('urgency', 'urgent')) : null,
    report.overdue ? h('span', { class: 'badge overdue' }, t('overdue')) : null,
    report.anonymous ? h('span', { class: 'badge' }, t('anonymous')) : null,
  ];
  const who = report.anonymous ? [] : [report.group?.name, report.household?.name].filter(Boolean);
  const pictures = report.attachments.filter((a) => !isVoice(a));
  const missing = pictures.filter((a) => !a.complete).length;
  const voice = report.attachments.find(isVoice);
  return h('li', { class: `report ${report.urgency === 'urgent' ? 'is-urgent' : ''} ${report.overdue ? 'is-overdue' : ''}` },
    h('a', { href: `#/report/${report.id}`, class: 'report-link' },
      h('span', { class: 'line1' }, h('strong', {}, label('kind', report.kind)),
        report.category ? ` · ${label('category', report.category)}` : '', ' ', flags,
        h('span', { class: `status s-${report.status}` }, label('status', report.status))),
      h('span', { class: 'line2' }, report.body.length > 140 ? report.body.slice(0, 140) + '…' : report.body),
      h('span', { class: 'line3 muted' }, [report.village.name, ...who].join(' · '), ' — ', when(report.received_at),
        ' — ', report.tracking_code,
        report.assigned_officer ? ` — ${report.assigned_officer.display_name}` : '',
        pictures.length ? ` — 📷 ${pictures.length}${missing ? ` (${missing}…)` : ''}` : '',
        voice ? h('span', { class: 'voice-tag' }, ` — ${t('voiceN', { t: voice.complete ? clock(voice.duration_ms) : '…' })}`) : '')));
}
