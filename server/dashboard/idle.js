// The series that have not had a request since the server started, as one
// compact list (a chip per model version, its devices inside) instead of
// cards of empty charts. A series moves to a card with its first request.

import { escapeHtml } from './chart.js';

// series: the unused ones, sorted; devices: name -> device from the document.
export function renderIdle(container, series, devices) {
  const groups = new Map();
  for (const s of series) {
    const key = `${s.model}\u0000${s.version}`;
    if (!groups.has(key)) groups.set(key, { model: s.model, version: s.version, devices: [] });
    groups.get(key).devices.push(s.device);
  }
  container.innerHTML = [...groups.values()]
    .map(
      (g) =>
        `<div class="idle-model" data-model="${escapeHtml(g.model)}" data-version="${escapeHtml(g.version)}">` +
        `<span class="model">${escapeHtml(g.model)}</span><span class="version">v${escapeHtml(g.version)}</span>` +
        g.devices
          .map((d) => {
            const state = devices.get(d)?.state ?? 'UNKNOWN';
            return `<span class="device-tag idle-series" data-model="${escapeHtml(g.model)}" ` +
              `data-version="${escapeHtml(g.version)}" data-device="${escapeHtml(d)}" data-state="${escapeHtml(state)}">` +
              `<i class="status-dot"></i>${escapeHtml(d)}</span>`;
          })
          .join('') +
        `</div>`)
    .join('');
}
