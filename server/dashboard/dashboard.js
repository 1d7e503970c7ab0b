// The dashboard's entry point: polls /api/v1/stats about once a second and
// redraws the device strip and the cards. While the server is unreachable it
// keeps the last picture (dimmed), says so, and retries with backoff, so a
// restarting server comes back on its own.
//
// State for tests sits on <html>: data-connection (connecting | connected |
// disconnected), data-polls (documents drawn), data-js-error (if any).

import { Card } from './cards.js';
import { DeviceStrip } from './devices.js';
import { renderIdle } from './idle.js';
import * as fmt from './format.js';
import * as st from './stats.js';

const POLL_MS = 1000;
const FETCH_TIMEOUT_MS = 3000;
const MAX_RETRY_MS = 5000;
const WINDOWS = [60, 120, 300];

const root = document.documentElement;
const $ = (selector) => document.querySelector(selector);

window.addEventListener('error', (e) => {
  root.dataset.jsError = e.message;
});
window.addEventListener('unhandledrejection', (e) => {
  root.dataset.jsError = String(e.reason);
});

const params = new URLSearchParams(location.search);
const state = {
  windowSeconds: WINDOWS.includes(Number(params.get('window'))) ? Number(params.get('window')) : 120,
  activeOnly: false,
  polls: 0,
  failures: 0,
  disconnectedSince: null,
  lastStats: null,
  lastUptime: null,
  restartedAt: null,
  timer: null,
};
const cards = new Map();
const strip = new DeviceStrip($('#devices'));

function stored(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;  // storage can be off (privacy settings, file://)
  }
}
function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Not worth telling anyone: the choice just lasts until reload.
  }
}

// --- Controls ------------------------------------------------------------------

function initControls() {
  const preferred = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  root.dataset.theme = params.get('theme') ?? stored('tinyserve.theme') ?? preferred;
  $('#theme').addEventListener('click', () => {
    root.dataset.theme = root.dataset.theme === 'dark' ? 'light' : 'dark';
    store('tinyserve.theme', root.dataset.theme);
  });

  for (const button of document.querySelectorAll('[data-window]')) {
    button.setAttribute('aria-pressed', String(Number(button.dataset.window) === state.windowSeconds));
    button.addEventListener('click', () => {
      state.windowSeconds = Number(button.dataset.window);
      for (const b of document.querySelectorAll('[data-window]')) b.setAttribute('aria-pressed', String(b === button));
      pollNow();
    });
  }

  const activeOnly = $('#active-only');
  activeOnly.checked = stored('tinyserve.activeOnly') === '1';
  state.activeOnly = activeOnly.checked;
  activeOnly.addEventListener('change', () => {
    state.activeOnly = activeOnly.checked;
    store('tinyserve.activeOnly', state.activeOnly ? '1' : '0');
    if (state.lastStats) render(state.lastStats);
  });

  // Charts are drawn at the width of their box: redraw when it changes.
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => state.lastStats && render(state.lastStats), 150);
  });
}

// --- Connection --------------------------------------------------------------

function setConnection(connection, detail = '') {
  root.dataset.connection = connection;
  const conn = $('#conn');
  conn.dataset.state = connection;
  conn.querySelector('.conn-text').textContent =
    connection === 'connected' ? 'live' : connection === 'connecting' ? 'connecting…' : detail;
}

function schedule(delayMs) {
  clearTimeout(state.timer);
  state.timer = setTimeout(poll, Math.max(0, delayMs));
}

function pollNow() {
  schedule(0);
}

async function fetchStats() {
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  try {
    const response = await fetch(`/api/v1/stats?window=${state.windowSeconds}`, {
      cache: 'no-store',
      signal: controller.signal,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await response.json();
  } finally {
    clearTimeout(timeout);
  }
}

async function poll() {
  const started = performance.now();
  let stats;
  try {
    stats = await fetchStats();
  } catch (e) {
    state.failures += 1;
    state.disconnectedSince ??= Date.now();
    const why = e.name === 'AbortError' ? 'no answer' : e.message;
    setConnection('disconnected',
      `disconnected since ${fmt.clock(state.disconnectedSince)} (${why}) · retrying`);
    schedule(Math.min(MAX_RETRY_MS, POLL_MS * 2 ** (state.failures - 1)));
    return;
  }
  state.failures = 0;
  state.disconnectedSince = null;
  setConnection('connected');
  // A drawing bug must not look like a lost connection, nor stop the polling.
  try {
    render(stats);
  } catch (e) {
    root.dataset.jsError = String(e?.stack ?? e);
  }
  schedule(POLL_MS - (performance.now() - started));
}

// --- Drawing -------------------------------------------------------------------

function renderHeader(stats) {
  const uptime = st.num(stats.uptime_seconds);
  // Uptime going backwards means a new server process: say so for a while.
  if (state.lastUptime !== null && uptime !== null && uptime + 2 < state.lastUptime) {
    state.restartedAt = Date.now();
  }
  state.lastUptime = uptime;
  const restarted = state.restartedAt !== null && Date.now() - state.restartedAt < 15000;
  $('#uptime').textContent = `${restarted ? 'restarted · ' : ''}up ${fmt.duration(uptime)}`;
  $('#updated').textContent = `updated ${fmt.clock(stats.now_unix_ms)}`;
}

function renderBanner(stats) {
  const banner = $('#banner');
  if ((stats.series ?? []).length === 0) {
    banner.textContent = 'No models loaded. Put a model in the repository or load one with tinyserve-cli load.';
    banner.hidden = false;
  } else if (!st.anyTraffic(stats)) {
    banner.innerHTML =
      'No traffic yet. Charts fill in as requests arrive, e.g. ' +
      '<code>tinyserve-cli classify --model &lt;name&gt; --input &lt;file&gt; --repeat 100</code>';
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

// Series with traffic since start get a card; the others a chip in the
// "no traffic yet" list.
function renderCards(stats) {
  const container = $('#cards');
  const devices = new Map((stats.devices ?? []).map((d) => [d.name, d]));
  const seen = new Set();
  const unused = [];
  let shown = 0;
  for (const series of st.sortedSeries(stats)) {
    const points = st.closedPoints(series, stats.now_unix_ms);
    const windowRequests = st.sumField(points, 'requests');
    if ((st.num(series.totals?.requests) ?? 0) === 0 && windowRequests === 0) {
      unused.push(series);
      continue;
    }
    const key = st.seriesKey(series);
    seen.add(key);
    let card = cards.get(key);
    if (!card) {
      card = new Card(series);
      cards.set(key, card);
    }
    container.appendChild(card.el);  // re-appending keeps the sorted order
    card.el.hidden = state.activeOnly && windowRequests === 0;
    if (card.el.hidden) continue;
    card.update(series, devices.get(series.device), stats);
    shown += 1;
  }
  for (const [key, card] of cards) {
    if (!seen.has(key)) {
      card.el.remove();
      cards.delete(key);
    }
  }
  renderIdle($('#idle'), unused, devices);
  $('#idle-section').hidden = unused.length === 0;

  const all = stats.series ?? [];
  const models = new Set(all.map((s) => s.model)).size;
  const hiddenCount = cards.size - shown;
  $('#counts').textContent =
    `${models} model${models === 1 ? '' : 's'} · ${all.length} model × device · ` +
    `${cards.size} with traffic` + (hiddenCount > 0 ? ` (${hiddenCount} quiet, hidden)` : '');
}

function render(stats) {
  state.lastStats = stats;
  const t1 = stats.now_unix_ms;
  const t0 = t1 - (stats.window_seconds ?? state.windowSeconds) * 1000;
  renderHeader(stats);
  renderBanner(stats);
  strip.update(stats.devices ?? [], st.requestsByDevice(stats, t1), t0, t1);
  renderCards(stats);
  state.polls += 1;
  root.dataset.polls = String(state.polls);
}

initControls();
setConnection('connecting');
poll();
