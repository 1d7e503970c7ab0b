// One card per model version × device (the small multiples): a title with the
// device's state, headline figures, and a panel per metric, all on the same
// time axis so cards compare at a glance.

import { barChart, escapeHtml, lineChart } from './chart.js';
import * as fmt from './format.js';
import * as st from './stats.js';

// Each panel: a title, its legend, what it reads off the series, and how to
// draw it. `when` hides a panel whose metric the device does not report.
const PANELS = [
  {
    id: 'request_rate',
    title: 'Requests / s',
    legend: [['requests', 'c1'], ['errors', 'err']],
    draw: (plot, c) =>
      lineChart(plot, {
        ...c.chart('request_rate'),
        integer: true,
        yFormat: fmt.number,
        // Errors first, so at zero the requests line covers them.
        series: [
          { metric: 'errors', label: 'errors/s', color: 'err', points: st.column(c.points, 'errors') },
          { metric: 'requests', label: 'requests/s', color: 'c1', area: true, points: st.column(c.points, 'requests') },
        ],
        overlay: c.idle ? 'no traffic yet' : null,
      }),
    readout: (c) => `${fmt.number(st.recentMean(c.points, 'requests', 5))} req/s`,
  },
  {
    id: 'latency_us',
    title: 'Latency',
    legend: [['p50', 'c1'], ['p99', 'c2'], ['device p50', 'c3']],
    draw: (plot, c) =>
      lineChart(plot, {
        ...c.chart('latency_us'),
        // Log scale: a p99 spike 100x the median must not flatten the median.
        yLog: true,
        yFormat: (v, digits) => fmt.micros(v, Math.min(digits, 3)),
        series: [
          { metric: 'latency_p50_us', label: 'p50', color: 'c1', points: st.column(c.points, 'latency_p50_us') },
          { metric: 'latency_p99_us', label: 'p99', color: 'c2', points: st.column(c.points, 'latency_p99_us') },
          { metric: 'device_p50_us', label: 'device p50', color: 'c3', dash: true, points: st.column(c.points, 'device_p50_us') },
        ],
        empty: c.idle ? 'no traffic yet' : 'no requests in this window',
      }),
    readout: (c) => `p99 ${fmt.micros(st.latest(c.points, 'latency_p99_us', 10))}`,
  },
  {
    id: 'queue_depth',
    title: 'Queue depth',
    legend: [],
    draw: (plot, c) =>
      lineChart(plot, {
        ...c.chart('queue_depth'),
        integer: true,
        yFormat: fmt.number,
        series: [{ metric: 'queue_depth', label: 'queued', color: 'c5', step: true, area: true, points: st.column(c.points, 'queue_depth') }],
        empty: 'no samples',
      }),
    readout: (c) => {
      const cap = c.device?.queue_capacity;
      return `${fmt.number(st.latest(c.points, 'queue_depth'))}${cap ? ` / ${fmt.number(cap)}` : ''}`;
    },
  },
  {
    id: 'errors_by_code',
    title: 'Errors by code',
    legend: [],
    draw: (plot, c) =>
      barChart(plot, {
        attrs: { ...c.attrs, metric: 'errors_by_code' },
        label: 'errors by status code since start',
        items: st.errorsByCode(c.series).map((e) => ({ label: e.code, value: e.count, color: 'err' })),
        format: fmt.number,
        empty: c.idle ? 'no traffic yet' : 'no errors',
        height: 110,
      }),
    readout: (c) => `${fmt.number(st.totalErrors(c.series))} since start`,
  },
  {
    id: 'input_sqnr_db',
    title: 'Input SQNR',
    legend: [],
    draw: (plot, c) =>
      lineChart(plot, {
        ...c.chart('input_sqnr_db'),
        yMin0: false,
        minSpan: 2,
        yFormat: (v, digits) => `${fmt.number(v, digits)} dB`,
        series: [{ metric: 'input_sqnr_db', label: 'SQNR', color: 'c4', points: st.column(c.points, 'input_sqnr_db') }],
        empty: 'no float input',
      }),
    // NaN/Inf inputs have no SQNR: their count (refused or quantized) is shown beside it.
    readout: (c) => {
      const sqnr = fmt.decibels(st.latest(c.points, 'input_sqnr_db'));
      const nonFinite = st.sumField(c.points, 'input_non_finite');
      return nonFinite > 0 ? `${sqnr} · ${fmt.number(nonFinite)} NaN/Inf` : sqnr;
    },
  },
  {
    id: 'saturation',
    title: 'Output saturation',
    legend: [['at rails', 'c5'], ['device events', 'c2']],
    draw: (plot, c) =>
      lineChart(plot, {
        ...c.chart('saturation'),
        integer: true,
        yFormat: fmt.number,
        series: [
          { metric: 'outputs_at_rails', label: 'outputs at rails', color: 'c5', points: st.column(c.points, 'outputs_at_rails') },
          { metric: 'saturation_events', label: 'saturation events', color: 'c2', points: st.column(c.points, 'saturation_events') },
        ],
        empty: 'no samples',
      }),
    readout: (c) => `${fmt.number(st.sumField(c.points, 'outputs_at_rails'))} at rails`,
  },
  {
    id: 'mismatch_rate',
    title: 'Compare / shadow mismatch',
    legend: [['compare', 'c2'], ['shadow', 'c3']],
    when: (c) => c.comparesKnown,
    draw: (plot, c) =>
      lineChart(plot, {
        ...c.chart('mismatch_rate'),
        yFormat: (v, digits) => fmt.percent(v, digits),
        series: [
          { metric: 'compare_mismatch_rate', label: 'compare', color: 'c2', points: st.percentColumn(c.points, 'compare_mismatches', 'compare') },
          { metric: 'shadow_mismatch_rate', label: 'shadow', color: 'c3', points: st.percentColumn(c.points, 'shadow_mismatches', 'shadow_sampled') },
        ],
        empty: 'no compare or shadow runs',
      }),
    readout: (c) => mismatchReadout(c.series),
  },
  {
    id: 'estimated_chip_us',
    title: 'On-chip estimate',
    legend: [['chip (cycles)', 'c4'], ['device p50', 'c3']],
    when: (c) => c.chipKnown,
    draw: (plot, c) =>
      lineChart(plot, {
        ...c.chart('estimated_chip_us'),
        yFormat: (v, digits) => fmt.micros(v, Math.min(digits, 3)),
        series: [
          { metric: 'estimated_chip_us', label: 'chip estimate', color: 'c4', points: st.column(c.points, 'estimated_chip_us') },
          { metric: 'device_p50_us', label: 'device p50', color: 'c3', dash: true, points: st.column(c.points, 'device_p50_us') },
        ],
        empty: 'no requests in this window',
      }),
    readout: (c) => fmt.micros(st.latest(c.points, 'estimated_chip_us')),
  },
];

// Totals since start: "2/12 differ · shadow 7/100".
function mismatchReadout(series) {
  const parts = [];
  const compare = series.totals?.compare;
  if (compare) {
    const runs = (st.num(compare.exact) ?? 0) + (st.num(compare.differs) ?? 0);
    if (runs > 0) parts.push(`${fmt.number(st.num(compare.differs) ?? 0)}/${fmt.number(runs)} differ`);
  }
  const shadow = series.totals?.shadow;
  if (shadow && (st.num(shadow.sampled) ?? 0) > 0) {
    parts.push(`shadow ${shadow.device ?? ''} ${fmt.number(st.num(shadow.mismatched) ?? 0)}/${fmt.number(st.num(shadow.sampled))}`);
  }
  return parts.join(' · ');
}

function kpi(name, label) {
  return `<div class="kpi" data-kpi="${name}"><span class="kpi-value">—</span><span class="kpi-label">${label}</span></div>`;
}

export class Card {
  constructor(series) {
    // Panels for what only some devices or configurations report.
    this.chipKnown = false;
    this.comparesKnown = false;
    this.el = document.createElement('section');
    this.el.className = 'card';
    this.el.innerHTML =
      `<header class="card-head">` +
      `<div class="card-title"><span class="model">${escapeHtml(series.model)}</span>` +
      `<span class="version">v${escapeHtml(series.version)}</span>` +
      `<span class="device-tag"><i class="status-dot"></i>${escapeHtml(series.device)}</span></div>` +
      `<span class="badge"></span></header>` +
      `<div class="kpis">${kpi('rate', 'req/s')}${kpi('p50', 'p50')}${kpi('p99', 'p99')}` +
      `${kpi('errors', 'errors')}${kpi('queue', 'queued')}</div>` +
      `<div class="panels">${PANELS.map(
        (p) =>
          `<figure class="panel" data-panel="${p.id}"><figcaption><span class="panel-title">${p.title}</span>` +
          `<span class="readout"></span></figcaption>` +
          `<div class="legend">${p.legend.map(([l, color]) => `<span><i class="swatch ${color}"></i>${l}</span>`).join('')}</div>` +
          `<div class="plot"></div></figure>`).join('')}</div>`;
    this.panels = new Map([...this.el.querySelectorAll('.panel')].map((e) => [e.dataset.panel, e]));
  }

  // Redraws the card from its series of the latest document.
  update(series, device, stats) {
    const points = st.closedPoints(series, stats.now_unix_ms);
    const windowMs = (stats.window_seconds ?? 120) * 1000;
    const totalRequests = st.num(series.totals?.requests) ?? 0;
    const windowRequests = st.sumField(points, 'requests');
    // Once a series has reported a chip estimate or compare/shadow runs, its
    // panel stays, so the layout does not jump when they leave the window.
    this.chipKnown ||= st.anyValue(points, 'estimated_chip_us');
    this.comparesKnown ||= st.hasCompareOrShadow(series);
    const attrs = { model: series.model, version: series.version, device: series.device };
    const c = {
      series, points, device, attrs,
      idle: totalRequests === 0,
      chipKnown: this.chipKnown,
      comparesKnown: this.comparesKnown,
      chart: (metric) => ({
        attrs: { ...attrs, metric },
        label: `${metric} of ${series.model} v${series.version} on ${series.device}`,
        t0: stats.now_unix_ms - windowMs,
        t1: stats.now_unix_ms,
        height: 110,
      }),
    };

    const el = this.el;
    Object.assign(el.dataset, { ...attrs, requests: totalRequests, windowRequests });
    el.classList.toggle('idle', c.idle);
    el.classList.toggle('quiet', !c.idle && windowRequests === 0);
    const state = device?.state ?? 'UNKNOWN';
    const tag = el.querySelector('.device-tag');
    tag.dataset.state = state;
    tag.title = `${series.device}: ${state}${device?.state_reason ? ` (${device.state_reason})` : ''}`;
    const badge = el.querySelector('.badge');
    badge.textContent = c.idle ? 'no traffic yet' : windowRequests === 0 ? 'idle' : 'live';
    badge.dataset.kind = c.idle || windowRequests === 0 ? 'idle' : 'live';

    const errors = st.totalErrors(series);
    this.setKpi('rate', fmt.number(st.recentMean(points, 'requests', 5)));
    this.setKpi('p50', fmt.micros(st.latest(points, 'latency_p50_us', 10)));
    this.setKpi('p99', fmt.micros(st.latest(points, 'latency_p99_us', 10)));
    this.setKpi('errors', fmt.number(errors), errors > 0 ? 'bad' : '');
    this.setKpi('queue', fmt.number(st.latest(points, 'queue_depth')));

    for (const panel of PANELS) {
      const figure = this.panels.get(panel.id);
      const shown = panel.when ? panel.when(c) : true;
      figure.hidden = !shown;
      if (!shown) continue;
      panel.draw(figure.querySelector('.plot'), c);
      figure.querySelector('.readout').textContent = panel.readout(c);
    }
  }

  setKpi(name, text, tone = '') {
    const kpiEl = this.el.querySelector(`.kpi[data-kpi="${name}"]`);
    kpiEl.querySelector('.kpi-value').textContent = text;
    kpiEl.dataset.tone = tone;
  }
}
