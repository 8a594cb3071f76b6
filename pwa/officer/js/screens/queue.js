// The queue: filters (kept in the URL so that Back and reload keep them), the list, paging and CSV export.
import { isOpen, reveal } from '../commune-key.js';
import { fold } from '../../../lib/fold.js';
import { api, query } from '../api.js';
import { label, t } from '../../../lib/i18n.js';
import { rules } from '../../../lib/rules.js';
import { when } from '../../../lib/time.js';
import { attempt, dayInput, field, formValues, h, heading, mount, pager, select } from '../ui.js';
import { onLive } from '../live.js';

const FILTERS = ['q', 'status', 'kind', 'category', 'village_id', 'urgency', 'assignee', 'date_from', 'date_to', 'sort'];
const isVoice = (a) => a.content_type.startsWith('audio/');
const clock = (ms) => { const s = Math.round((ms || 0) / 1000); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`; };
const PER_PAGE = 25;
// Sealed tips are searched in this page after opening them (the server cannot read them): the newest ones matching
// the other filters, so many pages of so many at most.
const SEALED_PAGES = 3;
const SEALED_PER_PAGE = 200;

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
  const [result, sealedFound] = await Promise.all([api('/reports' + query({ ...filters, page, per_page: PER_PAGE })),
    filters.q && page === 1 ? searchSealed(filters) : null]);
  await Promise.all(result.items.map(reveal));
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
    field(t('from'), dayInput('date_from', filters.date_from)),
    field(t('to'), dayInput('date_to', filters.date_to)),
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
  const total = h('span', { class: 'muted', role: 'status' }, t('total', { n: result.total }));
  const list = h('div', { class: 'report-list' }, listOf(result.items));
  const reload = () => go(location.hash);
  // Live (issue 15): new reports, follow-ups and receipts re-read this page of the list in place; the filters,
  // the scroll position and anything typed stay as they are.
  const section = h('section', { class: 'queue' },
    heading(t('queue')),
    h('p', { class: 'shortcuts muted', id: 'shortcuts' }, t('shortcuts')),
    // Open on wide screens, and on a phone whenever a filter is in force, so that it shows what is applied.
    h('details', { class: 'filter-box', open: wide() || FILTERS.some((key) => key !== 'sort' && filters[key]) },
      h('summary', {}, t('filters')), form),
    h('p', { class: 'summary-line' }, total, ' ',
      h('a', { class: 'button', href: '/api/v1/officer/stats/export.csv' + query({ ...filters, page: undefined }), download: '' }, t('exportCsv'))),
    sealedFound,
    result.items.length ? bulkBar(officers, reload) : null,
    list,
    pager(page, pages, apply));
  let busy = null;
  const refresh = async () => {
    const fresh = await api('/reports' + query({ ...filters, page, per_page: PER_PAGE }));
    await Promise.all(fresh.items.map(reveal));
    if (!section.isConnected) return;
    const y = window.scrollY;
    const kept = keepPlace(list);
    total.textContent = t('total', { n: fresh.total });
    mount(list, listOf(fresh.items));
    kept();
    window.scrollTo(0, y);
  };
  let shown = false;
  onLive(() => {
    if (!section.isConnected) return !shown; // not shown yet: wait; shown and gone: the officer left the queue
    shown = true;
    busy = (busy || Promise.resolve()).then(refresh).catch(() => {}); // one after the other, never two at once
    return true;
  });
  return section;
}

/**
 * The sealed tips whose opened words hold the search (issue 11), as their own list above the server's results;
 * with the key locked, a line that says how to search them too.
 */
async function searchSealed(filters) {
  if (!isOpen()) return h('p', { class: 'muted sealed-search' }, t('sealedSearchLocked'));
  const wanted = fold(filters.q);
  const found = [];
  let scanned = 0;
  for (let page = 1; page <= SEALED_PAGES; page++) {
    const batch = await api('/reports' + query({ ...filters, q: undefined, sealed: 'true', page,
      per_page: SEALED_PER_PAGE }));
    await Promise.all(batch.items.map(reveal));
    scanned += batch.items.length;
    found.push(...batch.items.filter((r) => !r.locked && fold(`${r.body} ${r.location || ''}`).includes(wanted)));
    if (page * SEALED_PER_PAGE >= batch.total) break;
  }
  if (!scanned) return null;
  return h('section', { class: 'sealed-search' },
    h('h3', {}, t('sealedFound', { n: found.length, scanned })), found.length ? listOf(found) : null);
}

function listOf(items) {
  return items.length ? h('ul', { class: 'reports', 'aria-describedby': 'shortcuts' }, items.map(item))
    : h('p', {}, t('empty'));
}

function wide() { return window.matchMedia('(min-width: 800px)').matches; }

/** Acts on the ticked reports at once (POST /reports/bulk: all or none, each audited). */
function bulkBar(officers, reload) {
  const count = h('span', { class: 'muted', role: 'status', id: 'picked' }, t('picked', { n: 0 }));
  const action = select('bulk_action', [['acknowledge', t('bulkAcknowledge')], ['assign', t('assign')], ['status', t('changeStatus')]]);
  const assignee = select('bulk_officer', [['', t('nobody')], ...officers.map((o) => [o.id, o.display_name])]);
  const status = select('bulk_status', rules().statuses.filter((s) => s !== 'new').map((s) => [s, label('status', s)]));
  const reason = h('input', { name: 'bulk_reason', maxLength: rules().limits.status_reason, placeholder: t('reason') });
  const extra = h('span', { class: 'bulk-extra' });
  const show = () => {
    extra.replaceChildren(...(action.value === 'assign' ? [assignee] : action.value === 'status' ? [status, reason] : []));
  };
  action.addEventListener('change', show);
  show();
  const form = h('form', { class: 'bulk', 'aria-label': t('bulk'), onsubmit: async (e) => {
    e.preventDefault();
    const ids = [...document.querySelectorAll('.reports input.pick:checked')].map((box) => box.value);
    if (!ids.length) return;
    const json = { report_ids: ids, action: action.value };
    if (action.value === 'assign') json.officer_id = assignee.value ? Number(assignee.value) : null;
    if (action.value === 'status') Object.assign(json, { status: status.value, reason: reason.value.trim() });
    if (await attempt(() => api('/reports/bulk', { method: 'POST', json }), t('bulkDone', { n: ids.length }))) reload();
  } }, count, h('label', { class: 'sr-only', for: 'bulk-action' }, t('action')), Object.assign(action, { id: 'bulk-action' }), extra,
  h('button', { type: 'submit' }, t('apply')));
  form.addEventListener('count', (e) => { count.textContent = t('picked', { n: e.detail }); });
  return form;
}

/**
 * What the officer has marked in the list (ticks, the j/k current report, focus on it), to put back once a live
 * refresh has drawn the list again: a report arriving must not untick what the officer picked for a bulk action.
 */
function keepPlace(list) {
  const ticked = new Set([...list.querySelectorAll('input.pick:checked')].map((box) => box.value));
  const current = list.querySelector('li.report.current')?.dataset.id;
  const focused = list.contains(document.activeElement);
  return () => {
    for (const box of list.querySelectorAll('input.pick')) box.checked = ticked.has(box.value);
    const li = current && [...list.querySelectorAll('li.report')].find((each) => each.dataset.id === current);
    if (li) {
      li.classList.add('current');
      if (focused) li.querySelector('.report-link').focus({ preventScroll: true });
    }
    picked();
  };
}

/** Ticking a report updates the bulk bar's count. */
function picked() {
  const n = document.querySelectorAll('.reports input.pick:checked').length;
  document.querySelector('form.bulk')?.dispatchEvent(new window.CustomEvent('count', { detail: n }));
}

function item(report) {
  const flags = [
    report.urgency === 'urgent' ? h('span', { class: 'badge urgent' }, label('urgency', 'urgent')) : null,
    report.overdue ? h('span', { class: 'badge overdue' }, t('overdue')) : null,
    report.anonymous ? h('span', { class: 'badge' }, t('anonymous')) : null,
    report.sealed ? h('span', { class: 'badge' }, t('sealedBadge')) : null,
  ];
  const who = report.anonymous ? [] : [report.group?.name, report.household?.name].filter(Boolean);
  const pictures = report.attachments.filter((a) => !isVoice(a));
  const missing = pictures.filter((a) => !a.complete).length;
  const voice = report.attachments.find(isVoice);
  return h('li', { class: `report ${report.urgency === 'urgent' ? 'is-urgent' : ''} ${report.overdue ? 'is-overdue' : ''}`,
    dataset: { id: report.id } },
    h('input', { type: 'checkbox', class: 'pick', value: report.id, 'aria-label': t('pick', { code: report.tracking_code }),
      onchange: picked }),
    h('a', { href: `#/report/${report.id}`, class: 'report-link' },
      h('span', { class: 'line1' }, h('strong', {}, label('kind', report.kind)),
        report.category ? ` · ${label('category', report.category)}` : '', ' ', flags,
        h('span', { class: `status s-${report.status}` }, label('status', report.status))),
      h('span', { class: 'line2' }, report.locked ? t('sealedLocked')
        : report.body.length > 140 ? report.body.slice(0, 140) + '…' : report.body),
      h('span', { class: 'line3 muted' }, [report.village.name, ...who].join(' · '), ' — ', when(report.received_at),
        ' — ', h('span', { class: 'code' }, report.tracking_code),
        report.assigned_officer ? ` — ${report.assigned_officer.display_name}` : '',
        pictures.length ? ` — 📷 ${pictures.length}${missing ? ` (${missing}…)` : ''}` : '',
        voice ? h('span', { class: 'voice-tag' }, ` — ${t('voiceN', { t: voice.complete ? clock(voice.duration_ms) : '…' })}`) : '')));
}
