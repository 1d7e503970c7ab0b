// Reading one /api/v1/stats document (docs/stats-api.md) into the columns and
// figures the views draw. Pure functions: no DOM here.

// A number, or null for null, missing or non-finite. JSON has no Infinity, so
// a server may send an exact SQNR as a string; it has no place on a y axis.
export function num(v) {
  if (typeof v === 'string' && v.trim() !== '') v = Number(v);
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function seriesKey(s) {
  return `${s.model}\u0000${s.version}\u0000${s.device}`;
}

// Model, then version, then device: one model's devices sit side by side.
export function sortedSeries(stats) {
  return [...(stats.series ?? [])].sort(
    (a, b) =>
      a.model.localeCompare(b.model) || (a.version ?? 0) - (b.version ?? 0) ||
      a.device.localeCompare(b.device));
}

// The buckets that have closed by `nowMs`. The one still filling would read
// as a sudden drop in request rate at the right edge of every chart.
export function closedPoints(series, nowMs) {
  return (series.points ?? []).filter((p) => p.t + 1000 <= nowMs);
}

// [[t, value|null]] for one field of the points.
export function column(points, field) {
  return points.map((p) => [p.t, num(p[field])]);
}

// [[t, 100 * numerator / denominator]], null where the denominator is 0.
export function percentColumn(points, numerator, denominator) {
  return points.map((p) => {
    const d = num(p[denominator]);
    const n = num(p[numerator]);
    return [p.t, d && n !== null ? (100 * n) / d : null];
  });
}

export function anyValue(points, field) {
  return points.some((p) => num(p[field]) !== null);
}

// Mean of the non-null values of the last `n` points; null when none.
export function recentMean(points, field, n) {
  const values = points.slice(-n).map((p) => num(p[field])).filter((v) => v !== null);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

export function recentSum(points, field, n) {
  return points.slice(-n).reduce((sum, p) => sum + (num(p[field]) ?? 0), 0);
}

// The newest non-null value within the last `n` points.
export function latest(points, field, n = Infinity) {
  const from = Number.isFinite(n) ? Math.max(0, points.length - n) : 0;
  for (let i = points.length - 1; i >= from; --i) {
    const v = num(points[i][field]);
    if (v !== null) return v;
  }
  return null;
}

export function sumField(points, field) {
  return points.reduce((sum, p) => sum + (num(p[field]) ?? 0), 0);
}

export function errorsByCode(series) {
  const codes = series.totals?.errors_by_code ?? {};
  return Object.entries(codes)
    .map(([code, count]) => ({ code, count: num(count) ?? 0 }))
    .filter((e) => e.count > 0);
}

export function totalErrors(series) {
  return errorsByCode(series).reduce((sum, e) => sum + e.count, 0);
}

// Requests per second summed over every series on each device, aligned on
// the bucket times: what the device status strip draws.
export function requestsByDevice(stats, nowMs) {
  const byDevice = new Map();
  for (const s of stats.series ?? []) {
    const sums = byDevice.get(s.device) ?? new Map();
    for (const p of closedPoints(s, nowMs)) sums.set(p.t, (sums.get(p.t) ?? 0) + (num(p.requests) ?? 0));
    byDevice.set(s.device, sums);
  }
  const result = new Map();
  for (const [device, sums] of byDevice) {
    result.set(device, [...sums.entries()].sort((a, b) => a[0] - b[0]));
  }
  return result;
}

// Whether any series has answered any request since the server started.
export function anyTraffic(stats) {
  return (stats.series ?? []).some((s) => (num(s.totals?.requests) ?? 0) > 0);
}

// Whether the series has any Compare pairs or shadow runs, in the window or
// in its totals.
export function hasCompareOrShadow(series) {
  const compare = series.totals?.compare;
  const compareRuns = compare ? (num(compare.exact) ?? 0) + (num(compare.differs) ?? 0) : 0;
  return compareRuns > 0 || series.totals?.shadow !== undefined ||
    (series.points ?? []).some((p) => (num(p.compare) ?? 0) > 0 || (num(p.shadow_sampled) ?? 0) > 0);
}
