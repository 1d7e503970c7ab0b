// The device status strip: one tile per device with its state (UP, DOWN,
// RECOVERING) and why it is not UP, its queue's fill, and a sparkline of the
// requests it served.

import { escapeHtml, lineChart } from './chart.js';
import * as fmt from './format.js';

function tile(device) {
  const el = document.createElement('div');
  el.className = 'device-tile';
  el.innerHTML =
    `<div class="dt-head"><i class="status-dot"></i><span class="dt-name">${escapeHtml(device.name)}</span>` +
    `<span class="dt-kind"></span><span class="dt-state"></span></div>` +
    `<div class="dt-reason"></div>` +
    `<div class="dt-queue"><div class="meter"><div class="meter-fill"></div></div><span class="dt-queue-text"></span></div>` +
    `<div class="dt-traffic"><div class="dt-spark"></div><span class="dt-rate"></span></div>`;
  return el;
}

export class DeviceStrip {
  constructor(container) {
    this.container = container;
    this.tiles = new Map();
  }

  // devices: the document's device list; traffic: device -> [[t, requests]].
  update(devices, traffic, t0, t1) {
    const seen = new Set();
    for (const d of devices) {
      seen.add(d.name);
      let el = this.tiles.get(d.name);
      if (!el) {
        el = tile(d);
        this.tiles.set(d.name, el);
      }
      this.container.appendChild(el);  // keeps the server's order
      const state = d.state ?? 'UNKNOWN';
      const depth = Number(d.queue_depth ?? 0);
      const capacity = Number(d.queue_capacity ?? 0);
      const reason = d.state_reason ?? '';
      Object.assign(el.dataset, {
        device: d.name, state, stateReason: reason, queueDepth: depth, queueCapacity: capacity,
      });
      el.title = [reason ? `${state}: ${reason}` : '', (d.capabilities ?? []).join(', ')]
        .filter(Boolean).join('\n');
      el.querySelector('.dt-reason').textContent = reason;
      el.querySelector('.dt-kind').textContent = d.kind ?? '';
      el.querySelector('.dt-state').textContent = state;
      const fill = capacity > 0 ? Math.min(1, depth / capacity) : 0;
      const meter = el.querySelector('.meter-fill');
      meter.style.width = `${(fill * 100).toFixed(1)}%`;
      meter.dataset.level = fill >= 0.9 ? 'full' : fill >= 0.5 ? 'high' : 'ok';
      el.querySelector('.dt-queue-text').textContent =
        `queue ${fmt.number(depth)} / ${capacity > 0 ? fmt.number(capacity) : '—'}`;

      const points = traffic.get(d.name) ?? [];
      const recent = points.slice(-5);
      const rate = recent.length ? recent.reduce((s, p) => s + p[1], 0) / recent.length : 0;
      el.querySelector('.dt-rate').textContent = `${fmt.number(rate)} req/s`;
      lineChart(el.querySelector('.dt-spark'), {
        attrs: { device: d.name, metric: 'device_request_rate' },
        label: `requests per second on ${d.name}`,
        bare: true,
        height: 28,
        t0, t1,
        series: [{ metric: 'requests', color: 'c1', area: true, points }],
      });
    }
    for (const [name, el] of this.tiles) {
      if (!seen.has(name)) {
        el.remove();
        this.tiles.delete(name);
      }
    }
  }
}
