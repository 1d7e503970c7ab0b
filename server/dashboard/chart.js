// A small SVG charting module: time-series line charts (axes with nice ticks,
// linear or log, time on x, gaps where a value is null, hover readout), horizontal bar
// charts and bare sparklines. Charts are redrawn whole on every update: a few
// hundred points each, so a string of SVG is cheaper than diffing nodes.
//
// Every chart is <svg class="chart" data-metric=... data-points=N data-max=M>
// plus the caller's data-* attributes, and every line a
// <path class="line" data-metric=... data-points=N>, so a test reading the DOM
// can tell what was drawn without looking at pixels.

import { clock } from './format.js';

const MARGIN = { top: 8, right: 10, bottom: 18, left: 46 };

// --- Scales and ticks --------------------------------------------------------

// The "nice" step (1, 2, 2.5 or 5 times a power of ten) nearest above `rough`.
// Integer axes (counts, queue depth) skip 2.5 and never go below 1.
export function niceStep(rough, integer = false) {
  if (!(rough > 0)) return 1;
  const base = 10 ** Math.floor(Math.log10(rough));
  const f = rough / base;
  const factors = integer && base < 10 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = factors.find((m) => f <= m + 1e-9) * base;
  return integer ? Math.max(1, Math.round(step)) : step;
}

// Ticks over [min, max], about `count` intervals, the domain widened to whole
// steps so the top gridline bounds the data.
export function niceTicks(min, max, count = 4, integer = false) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1];
  if (max - min < 1e-12) {
    const pad = Math.abs(max) * 0.1 || 1;
    [min, max] = [min >= 0 && min - pad < 0 ? 0 : min - pad, max + pad];
  }
  const step = niceStep((max - min) / count, integer);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  // Rounded to the step's own precision, so labels read 0.3 and not 0.30000000000000004.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toFixed(decimals)));
  return { min: lo, max: hi, step, ticks };
}

// Ticks for a log axis over [lo, hi] (both > 0). The domain snaps out to
// the 1-2-5 values around the data, so no decade is left empty; the ticks are
// 1-2-5 when that fits `maxCount`, else powers of ten (every other one, ...).
export function logTicks(lo, hi, maxCount = 5) {
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  const e1 = Math.max(e0 + 1, Math.ceil(Math.log10(hi) - 1e-9));
  const values = (mults, every) => {
    const all = [];
    for (let e = e0; e <= e1; e += every) for (const m of mults) all.push(Number((m * 10 ** e).toPrecision(6)));
    return all;
  };
  const fine = values([1, 2, 5], 1);
  const min = fine.filter((v) => v <= lo * (1 + 1e-9)).at(-1) ?? fine[0];
  let max = fine.find((v) => v >= hi * (1 - 1e-9)) ?? fine.at(-1);
  if (max <= min) max = fine.find((v) => v > min);
  for (const [mults, every] of [[[1, 2, 5], 1], [[1], 1], [[1], 2], [[1], 3]]) {
    const ticks = values(mults, every).filter((v) => v >= min && v <= max);
    if (ticks.length >= 2 && ticks.length <= maxCount) return { min, max, ticks };
  }
  return { min, max, ticks: [min, max] };
}

const TIME_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);

// Wall-clock ticks on whole multiples of a step (every 10 s, 30 s, 1 min ...).
export function timeTicks(t0, t1, maxCount) {
  const span = t1 - t0;
  const step = TIME_STEPS_MS.find((s) => span / s <= maxCount) ?? TIME_STEPS_MS.at(-1);
  const ticks = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) ticks.push(t);
  return { step, ticks };
}

function linear(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

// --- SVG helpers ---------------------------------------------------------------

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function dataAttributes(attrs) {
  return Object.entries(attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
}

const px = (v) => Math.round(v * 10) / 10;

// The line through non-null points. A run of nulls longer than `spanMs`
// breaks it, so a long idle stretch never reads as a value, while a sparse
// series (one request every few seconds) still reads as a line. `step` draws
// sample-and-hold (queue depth).
function linePath(points, x, y, step, spanMs) {
  let d = '';
  let lastT = null;
  for (const [t, v] of points) {
    if (v === null) continue;
    const X = px(x(t));
    const Y = px(y(v));
    if (lastT === null || t - lastT > spanMs) d += `M${X},${Y}`;
    else if (step) d += `H${X}V${Y}`;
    else d += `L${X},${Y}`;
    lastT = t;
  }
  return d;
}

// Points with no defined neighbour within `spanMs`: no line shows them, so
// they get a dot.
function lonePoints(points, spanMs) {
  const defined = points.filter((p) => p[1] !== null);
  return defined.filter((p, i) => {
    const before = defined[i - 1];
    const after = defined[i + 1];
    return (!before || p[0] - before[0] > spanMs) && (!after || after[0] - p[0] > spanMs);
  });
}

// The filled region under each run of non-null points.
function areaPath(points, x, y, baseY) {
  let d = '';
  let run = [];
  const flush = () => {
    if (run.length > 1) {
      d += `M${px(x(run[0][0]))},${px(baseY)}`;
      for (const [t, v] of run) d += `L${px(x(t))},${px(y(v))}`;
      d += `L${px(x(run.at(-1)[0]))},${px(baseY)}Z`;
    }
    run = [];
  };
  for (const p of points) {
    if (p[1] === null) flush();
    else run.push(p);
  }
  flush();
  return d;
}

function widthOf(host, fallback) {
  const w = host.clientWidth;
  return w > 40 ? w : fallback;
}

// --- Line chart -------------------------------------------------------------------

// spec: {
//   attrs: {model, version, device, metric, ...}  -> data-* on the <svg>
//   t0, t1: the time domain (unix ms)
//   series: [{metric, label, color: 'c1'..'c5'|'err', points: [[t, v|null]],
//             area?, dash?, step?, spanMs? (longest gap bridged, default 10 s)}]
//   yFormat(v, digits) -> label; yMin0 (default true); yLog; integer;
//   minSpan (smallest y range shown); height
//   empty: message drawn over the plot when no series has a value
//   overlay: message drawn over the plot even with values (e.g. all zeros)
// }
export function lineChart(host, spec) {
  const width = widthOf(host, 320);
  const height = spec.height ?? 120;
  const m = spec.bare ? { top: 3, right: 3, bottom: 3, left: 3 } : MARGIN;
  const plotW = Math.max(10, width - m.left - m.right);
  const plotH = Math.max(10, height - m.top - m.bottom);

  // A log axis shows only positive values; the others become gaps.
  const log = Boolean(spec.yLog);
  const series = log
    ? spec.series.map((s) => ({ ...s, points: s.points.map(([t, v]) => [t, v !== null && v > 0 ? v : null]) }))
    : spec.series;
  const values = series.flatMap((s) => s.points.map((p) => p[1]).filter((v) => v !== null));
  const hasData = values.length > 0;
  const yMin0 = spec.yMin0 ?? true;
  let lo = hasData ? Math.min(...values) : 0;
  let hi = hasData ? Math.max(...values) : 1;
  if (yMin0) lo = Math.min(0, lo);
  if (yMin0 && hi <= 0) hi = 1;
  // A near-constant series (SQNR) would have its noise blown up to full height.
  if (spec.minSpan && hi - lo < spec.minSpan) {
    const mid = (hi + lo) / 2;
    [lo, hi] = [mid - spec.minSpan / 2, mid + spec.minSpan / 2];
  }
  const maxTicks = Math.max(2, Math.min(4, Math.floor(plotH / 28)));
  const x = linear(spec.t0, spec.t1, m.left, m.left + plotW);
  let yTicks;
  let y;
  if (log && hasData) {
    yTicks = logTicks(Math.min(...values), Math.max(...values), maxTicks + 1);
    const toY = linear(Math.log10(yTicks.min), Math.log10(yTicks.max), m.top + plotH, m.top);
    y = (v) => toY(Math.log10(v));
  } else {
    yTicks = niceTicks(lo, hi, maxTicks, spec.integer);
    y = linear(yTicks.min, yTicks.max, m.top + plotH, m.top);
  }
  // Enough significant digits that neighbouring ticks never read the same
  // (41.2 / 41.4, not 41 / 41); the formatter is passed the count.
  const span = Math.max(...yTicks.ticks.map(Math.abs));
  const step = yTicks.step ?? yTicks.min;
  const digits = Math.max(3, Math.ceil(Math.log10(span / step) + 1e-9) + 1);
  const yFormat = (v) => (spec.yFormat ?? String)(v, digits);

  const parts = [];
  if (!spec.bare) {
    // Without data the y labels would only be made up: gridlines alone.
    for (const v of yTicks.ticks) {
      const Y = px(y(v));
      parts.push(`<line class="grid" x1="${m.left}" x2="${m.left + plotW}" y1="${Y}" y2="${Y}"/>`);
      if (hasData) {
        parts.push(
          `<text class="tick y" x="${m.left - 6}" y="${Y}" dy="0.32em" text-anchor="end">${escapeHtml(yFormat(v))}</text>`);
      }
    }
    const tt = timeTicks(spec.t0, spec.t1, Math.max(2, Math.floor(plotW / 64)));
    for (const t of tt.ticks) {
      const X = px(x(t));
      parts.push(`<line class="tick-mark" x1="${X}" x2="${X}" y1="${m.top + plotH}" y2="${m.top + plotH + 3}"/>`);
      parts.push(
        `<text class="tick x" x="${X}" y="${height - 4}" text-anchor="middle">${clock(t, tt.step < 60000)}</text>`);
    }
    parts.push(`<line class="axis" x1="${m.left}" x2="${m.left + plotW}" y1="${m.top + plotH}" y2="${m.top + plotH}"/>`);
  }

  let maxPoints = 0;
  let max = null;
  for (const s of series) {
    const color = s.color ?? 'c1';
    const points = s.points.filter((p) => p[0] >= spec.t0 && p[0] <= spec.t1);
    const defined = points.filter((p) => p[1] !== null);
    maxPoints = Math.max(maxPoints, defined.length);
    for (const p of defined) max = max === null ? p[1] : Math.max(max, p[1]);
    if (s.area && defined.length > 1) {
      parts.push(`<path class="area ${color}" d="${areaPath(points, x, y, m.top + plotH)}"/>`);
    }
    const spanMs = s.spanMs ?? 10000;
    parts.push(
      `<path class="line ${color}${s.dash ? ' dash' : ''}" data-metric="${escapeHtml(s.metric)}" ` +
        `data-points="${defined.length}" d="${linePath(points, x, y, s.step, spanMs)}"/>`);
    const dots = lonePoints(points, spanMs);
    // The newest value gets a dot too: it is the one people look for.
    const last = defined.at(-1);
    if (last && !spec.bare && !dots.includes(last)) dots.push(last);
    for (const [t, v] of dots) {
      parts.push(`<circle class="dot ${color}" cx="${px(x(t))}" cy="${px(y(v))}" r="2.3"/>`);
    }
  }
  const message = hasData ? spec.overlay : spec.empty;
  if (message) {
    parts.push(
      `<text class="empty" x="${m.left + plotW / 2}" y="${m.top + plotH / 2}" dy="0.32em" text-anchor="middle">${escapeHtml(message)}</text>`);
  }
  parts.push('<g class="hover" visibility="hidden"><line class="crosshair"/></g>');

  const attrs = { ...spec.attrs, points: maxPoints, max: max ?? undefined };
  host.innerHTML =
    `<svg class="chart${spec.bare ? ' spark' : ''}" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(spec.label ?? attrs.metric ?? '')}"` +
    `${dataAttributes(attrs)}>${parts.join('')}</svg>`;

  host._chart = { spec: { ...spec, series }, x, y, m, plotW, plotH, yFormat };
  if (!spec.bare) attachHover(host);
}

// --- Hover readout ----------------------------------------------------------------

let tooltip = null;
function tooltipElement() {
  if (!tooltip) {
    tooltip = document.createElement('div');
    tooltip.className = 'tooltip';
    tooltip.hidden = true;
    document.body.appendChild(tooltip);
  }
  return tooltip;
}

// Shows the values at the time nearest the pointer. Redrawing a chart keeps
// the readout where the pointer is.
function showHover(host, clientX, clientY) {
  const c = host._chart;
  const svg = host.querySelector('svg');
  if (!c || !svg) return;
  const rect = svg.getBoundingClientRect();
  const X = clientX - rect.left;
  if (X < c.m.left || X > c.m.left + c.plotW) return hideHover(host);
  const t = c.spec.t0 + ((X - c.m.left) / c.plotW) * (c.spec.t1 - c.spec.t0);
  const times = c.spec.series[0]?.points.map((p) => p[0]) ?? [];
  if (times.length === 0) return hideHover(host);
  const nearest = times.reduce((a, b) => (Math.abs(b - t) < Math.abs(a - t) ? b : a));
  const NX = px(c.x(nearest));

  const group = svg.querySelector('g.hover');
  const line = group.querySelector('line');
  line.setAttribute('x1', NX);
  line.setAttribute('x2', NX);
  line.setAttribute('y1', c.m.top);
  line.setAttribute('y2', c.m.top + c.plotH);
  group.querySelectorAll('circle').forEach((e) => e.remove());
  const rows = [];
  for (const s of c.spec.series) {
    const p = s.points.find((q) => q[0] === nearest);
    const v = p ? p[1] : null;
    if (v !== null) {
      const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      dot.setAttribute('class', `dot ${s.color ?? 'c1'}`);
      dot.setAttribute('cx', NX);
      dot.setAttribute('cy', px(c.y(v)));
      dot.setAttribute('r', 3);
      group.appendChild(dot);
    }
    rows.push(
      `<div><i class="swatch ${s.color ?? 'c1'}"></i>${escapeHtml(s.label ?? s.metric)}` +
        `<b>${v === null ? '—' : escapeHtml(c.yFormat(v))}</b></div>`);
  }
  group.setAttribute('visibility', 'visible');

  const tip = tooltipElement();
  tip.innerHTML = `<div class="time">${clock(nearest)}</div>${rows.join('')}`;
  tip.hidden = false;
  const left = Math.min(clientX + 14, window.innerWidth - tip.offsetWidth - 8);
  tip.style.left = `${Math.max(8, left)}px`;
  tip.style.top = `${Math.max(8, clientY - tip.offsetHeight - 10)}px`;
}

function hideHover(host) {
  host.querySelector('svg g.hover')?.setAttribute('visibility', 'hidden');
  if (tooltip) tooltip.hidden = true;
}

function attachHover(host) {
  if (host._hoverAttached) {
    if (host._pointer) showHover(host, host._pointer.x, host._pointer.y);
    return;
  }
  host._hoverAttached = true;
  host.addEventListener('pointermove', (e) => {
    host._pointer = { x: e.clientX, y: e.clientY };
    showHover(host, e.clientX, e.clientY);
  });
  host.addEventListener('pointerleave', () => {
    host._pointer = null;
    hideHover(host);
  });
}

// --- Bar chart ----------------------------------------------------------------------

// Horizontal bars, one per item, longest first: for categorical totals such
// as errors by status code. Each label sits above its bar, so long names
// (RESOURCE_EXHAUSTED) leave the bar the whole width.
// spec: {attrs, items: [{label, value, color}], format(v), empty, height}.
export function barChart(host, spec) {
  const width = widthOf(host, 320);
  const items = [...spec.items].sort((a, b) => b.value - a.value);
  const rowH = 26;
  const height = Math.max(spec.height ?? 110, items.length * rowH + 6);
  const top = Math.max(...items.map((i) => i.value), 1);
  const format = spec.format ?? String;
  const barW = width - 4;

  const parts = [];
  items.forEach((item, i) => {
    const Y = 4 + i * rowH;
    const w = Math.max(3, (item.value / top) * barW);
    parts.push(
      `<g class="bar" data-label="${escapeHtml(item.label)}" data-value="${item.value}">` +
        `<text class="bar-label" x="0" y="${Y + 9}">${escapeHtml(item.label)}</text>` +
        `<text class="bar-value" x="${width}" y="${Y + 9}" text-anchor="end">${escapeHtml(format(item.value))}</text>` +
        `<rect class="track" x="0" y="${Y + 13}" width="${barW}" height="6" rx="3"/>` +
        `<rect class="${item.color ?? 'c1'}" x="0" y="${Y + 13}" width="${px(w)}" height="6" rx="3"/></g>`);
  });
  if (items.length === 0 && spec.empty) {
    parts.push(
      `<text class="empty" x="${width / 2}" y="${height / 2}" dy="0.32em" text-anchor="middle">${escapeHtml(spec.empty)}</text>`);
  }
  const attrs = { ...spec.attrs, points: items.length, max: items.length ? top : undefined };
  host.innerHTML =
    `<svg class="chart bars" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img"` +
    ` aria-label="${escapeHtml(spec.label ?? attrs.metric ?? '')}"${dataAttributes(attrs)}>${parts.join('')}</svg>`;
}
