// Hand-written SVG charts (no library): horizontal bars and stacked columns over time.
// Presentation attributes (fill, x, y…) are allowed by the CSP; inline style="" is not, so none is used.
import { t } from '../../lib/i18n.js';
import { h } from './ui.js';

export const STATUS_COLOURS = {
  new: '#1565c0', acknowledged: '#6a1b9a', in_progress: '#ef6c00', resolved: '#2e7d32', rejected: '#757575', referred: '#00838f',
};

/**
 * Horizontal bars, one per item, labelled and valued, with a text table for screen readers.
 * @param {string} title
 * @param {{label: string, value: number}[]} items
 */
export function barChart(title, items) {
  const rowHeight = 26;
  const labelWidth = 150;
  const width = 480;
  const max = Math.max(1, ...items.map((i) => i.value));
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${items.length * rowHeight + 4}`, role: 'img', 'aria-label': title, class: 'chart' },
    items.map((item, n) => {
      const y = n * rowHeight + 2;
      const barWidth = ((width - labelWidth - 50) * item.value) / max;
      return h('svg:g', {},
        h('svg:text', { x: labelWidth - 6, y: y + 17, 'text-anchor': 'end', 'font-size': 13 }, item.label),
        h('svg:rect', { x: labelWidth, y: y + 4, width: Math.max(barWidth, item.value ? 2 : 0), height: rowHeight - 8, fill: item.colour || '#0b5d3b', rx: 2 }),
        h('svg:text', { x: labelWidth + barWidth + 6, y: y + 17, 'font-size': 13 }, String(item.value)));
    }));
  return figure(title, svg, items.map((i) => [i.label, i.value]));
}

/**
 * Stacked columns over time (one column per period, stacked by status).
 * @param {string} title
 * @param {{period: string, total: number, by_status: Object<string, number>}[]} periods
 * @param {(status: string) => string} statusLabel
 */
export function timeChart(title, periods, statusLabel) {
  const height = 180;
  const left = 30;
  const width = Math.max(320, left + periods.length * 18 + 10);
  const max = Math.max(1, ...periods.map((p) => p.total));
  const column = (width - left - 10) / Math.max(1, periods.length);
  const scale = (height - 30) / max;
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'chart' },
    h('svg:line', { x1: left, y1: height - 20, x2: width - 5, y2: height - 20, stroke: '#999' }),
    h('svg:text', { x: left - 4, y: 14, 'text-anchor': 'end', 'font-size': 11 }, String(max)),
    periods.map((p, n) => {
      let y = height - 20;
      const x = left + n * column + 2;
      const parts = Object.keys(STATUS_COLOURS).filter((s) => p.by_status[s]).map((s) => {
        const barHeight = p.by_status[s] * scale;
        y -= barHeight;
        return h('svg:rect', { x, y, width: Math.max(2, column - 4), height: barHeight, fill: STATUS_COLOURS[s] },
          h('svg:title', {}, `${p.period}: ${statusLabel(s)} ${p.by_status[s]}`));
      });
      const showLabel = periods.length <= 12 || n % Math.ceil(periods.length / 8) === 0;
      return h('svg:g', {}, parts, showLabel
        ? h('svg:text', { x: x + column / 2 - 2, y: height - 6, 'text-anchor': 'middle', 'font-size': 10 }, p.period.slice(5)) : null);
    }));
  const legend = h('ul', { class: 'legend' }, Object.entries(STATUS_COLOURS).map(([s, colour]) =>
    h('li', {}, h('svg:svg', { width: 12, height: 12, 'aria-hidden': 'true' }, h('svg:rect', { width: 12, height: 12, fill: colour })), ' ', statusLabel(s))));
  return figure(title, [svg, legend], periods.map((p) => [p.period, p.total]));
}

function figure(title, chart, rows) {
  return h('figure', { class: 'chart-box' }, h('figcaption', {}, title), chart,
    h('details', { class: 'chart-data' }, h('summary', {}, t('chartData')),
      h('table', {}, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, String(v))))))));
}
