// Number and time formatting for labels and readouts: short enough to fit an
// axis, precise enough to compare at a glance.

const DASH = '—';

// Up to `digits` significant digits, without trailing zeros ("1.5", "120").
function trim(value, digits) {
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return Number(value.toFixed(Math.min(decimals, 6))).toString();
}

// A count or rate: 950, 1.2k, 3.4M.
export function number(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  const abs = Math.abs(Number(value.toPrecision(digits)));
  if (abs >= 1e6) return trim(value / 1e6, digits) + 'M';
  if (abs >= 1e4) return trim(value / 1e3, digits) + 'k';
  return trim(value, digits);
}

// Microseconds as µs, ms or s, whichever reads best.
export function micros(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  // Units chosen after rounding: 999.96 µs reads "1 ms", not "1000 µs".
  const abs = Math.abs(Number(value.toPrecision(digits)));
  if (abs >= 1e6) return trim(value / 1e6, digits) + ' s';
  if (abs >= 1e3) return trim(value / 1e3, digits) + ' ms';
  return trim(value, digits) + ' µs';
}

export function percent(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return trim(value, digits) + '%';
}

export function decibels(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return trim(value, 3) + ' dB';
}

// Uptime: "42s", "8m 03s", "5h 12m", "3d 4h".
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return DASH;
  const s = Math.floor(seconds);
  const pad = (n) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`;
}

// Wall-clock time of a unix-ms instant, local time: "14:03:20".
export function clock(unixMs, withSeconds = true) {
  const d = new Date(unixMs);
  const pad = (n) => String(n).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

export { DASH };
