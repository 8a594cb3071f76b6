// Stats of the commune: by kind, tip category, village and status over time; answer time; backlog by age.
import { api, query } from '../api.js';
import { barChart, STATUS_COLOURS, timeChart } from '../charts.js';
import { label, t } from '../../../lib/i18n.js';
import { dayInput, duration, field, formValues, h, heading } from '../ui.js';

/** Screen: figures for a period (default: the last 30 days). */
export async function statsScreen({ params, go }) {
  const asked = Object.fromEntries(['date_from', 'date_to'].filter((k) => params.get(k)).map((k) => [k, params.get(k)]));
  const stats = await api('/stats' + query(asked));
  const form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); go('#/stats' + query(formValues(form))); } },
    field(t('from'), dayInput('date_from', stats.date_from)),
    field(t('to'), dayInput('date_to', stats.date_to)),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('filter'))));
  const fr = stats.first_response;
  return h('section', { class: 'stats' }, heading(t('stats')), form,
    h('div', { class: 'kpis' },
      h('p', { class: 'kpi' }, h('span', { class: 'big' }, String(stats.total)), t('total', { n: stats.total })),
      h('p', { class: 'kpi' }, h('span', { class: 'big', dataset: { test: 'median' } }, duration(fr.median_seconds)),
        `${t('medianAnswer')} — ${fr.answered} ${t('answered')}, ${fr.unanswered} ${t('unanswered')}`)),
    h('div', { class: 'charts' },
      timeChart(t('overTime'), stats.over_time, (s) => label('status', s)),
      barChart(t('byStatus'), stats.by_status.map((c) => ({ label: label('status', c.key), value: c.count, colour: STATUS_COLOURS[c.key] }))),
      barChart(t('byKind'), stats.by_kind.map((c) => ({ label: label('kind', c.key), value: c.count }))),
      barChart(t('byCategory'), stats.by_category.map((c) => ({ label: label('category', c.key), value: c.count }))),
      barChart(t('byVillage'), stats.by_village.map((c) => ({ label: c.label, value: c.count }))),
      barChart(t('openByAge'), stats.open_by_age.map((c) => ({ label: t('ageBucket.' + c.key), value: c.count, colour: '#ef6c00' })))),
    ackTable(stats.urgent_ack || []));
}

/** Time to acknowledge urgent reports, per month (issue 15). */
function ackTable(months) {
  if (!months.length) return null;
  return h('section', { class: 'ack' }, h('h3', {}, t('ackTitle')),
    h('table', { class: 'ack-table' },
      h('thead', {}, h('tr', {}, [t('ackMonth'), t('ackCount'), t('ackMedian'), t('ackEscalated')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, months.map((m) => h('tr', {},
        h('th', { scope: 'row' }, m.month.split('-').reverse().join('/')), h('td', {}, String(m.alerts)),
        h('td', {}, duration(m.median_seconds)), h('td', {}, String(m.escalated)))))));
}
