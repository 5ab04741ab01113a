// Charts drawn as SVG by the page itself: a time-series line chart and a per-minute coverage strip.
const NS = 'http://www.w3.org/2000/svg';

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.append(node);
  return node;
}

/** A number for a label: short, but keeping small values readable. */
export function formatNumber(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const size = Math.abs(value);
  if (size !== 0 && (size >= 1e7 || size < 1e-4)) return value.toExponential(3);
  return Number(value.toPrecision(7)).toString();
}

/** Milliseconds of an ISO 8601 time as the API writes it (nanosecond fractions: cut to ms for Date.parse). */
export function parseTime(text) { return Date.parse(text.replace(/(\.\d{3})\d*Z$/, '$1Z')); }

function timeLabel(ms) { return new Date(ms).toISOString().slice(11, 19); }

/**
 * A line chart of one series that keeps its last `capacity` points. `push(t, v)` adds a point
 * (t in ms since the epoch, v a number or null: a gap) and redraws. The container's
 * data-last-ts / data-last-value / data-points say what is drawn (for people and tests).
 */
export class LineChart {
  constructor(container, title, capacity = 300) {
    this.container = container;
    this.capacity = capacity;
    this.points = [];
    container.classList.add('chart');
    const heading = document.createElement('div');
    heading.className = 'chart-title';
    this.titleText = document.createElement('span');
    this.titleText.textContent = title;
    this.valueText = document.createElement('span');
    this.valueText.className = 'chart-value';
    heading.append(this.titleText, this.valueText);
    container.append(heading);
    this.svg = el('svg', { viewBox: '0 0 400 140', preserveAspectRatio: 'none', role: 'img', 'aria-label': title }, container);
  }

  push(t, v) {
    this.points.push({ t, v: Number.isFinite(v) ? v : null });
    if (this.points.length > this.capacity) this.points.splice(0, this.points.length - this.capacity);
    this.draw();
  }

  draw() {
    const svg = this.svg;
    svg.replaceChildren();
    const [width, height, left, bottom, top] = [400, 140, 58, 16, 6];
    const values = this.points.filter((p) => p.v !== null).map((p) => p.v);
    const last = this.points[this.points.length - 1];
    this.container.dataset.points = String(this.points.length);
    this.container.dataset.lastTs = last ? String(last.t) : '';
    this.container.dataset.lastValue = last && last.v !== null ? String(last.v) : '';
    this.valueText.textContent = last ? formatNumber(last.v) : '';
    el('rect', { x: left, y: top, width: width - left - 2, height: height - top - bottom, class: 'plot' }, svg);
    if (this.points.length === 0) return;
    let low = values.length ? Math.min(...values) : 0;
    let high = values.length ? Math.max(...values) : 1;
    if (low === high) { const pad = Math.abs(low) * 1e-6 || 1; low -= pad; high += pad; }
    const t0 = this.points[0].t;
    const t1 = Math.max(last.t, t0 + 1000);
    const x = (t) => left + ((t - t0) / (t1 - t0)) * (width - left - 4);
    const y = (v) => top + (1 - (v - low) / (high - low)) * (height - top - bottom);
    let path = '';
    let pen = false;
    for (const p of this.points) {
      if (p.v === null) { pen = false; continue; }
      path += (pen ? 'L' : 'M') + x(p.t).toFixed(1) + ' ' + y(p.v).toFixed(1);
      pen = true;
    }
    if (path) el('path', { d: path, class: 'line' }, svg);
    if (last.v !== null) el('circle', { cx: x(last.t), cy: y(last.v), r: 2.5, class: 'last' }, svg);
    const label = (text, attributes) => { el('text', attributes, svg).textContent = text; };
    label(formatNumber(high), { x: left - 3, y: top + 8, class: 'axis', 'text-anchor': 'end' });
    label(formatNumber(low), { x: left - 3, y: height - bottom, class: 'axis', 'text-anchor': 'end' });
    label(timeLabel(t0), { x: left, y: height - 3, class: 'axis' });
    label(timeLabel(last.t), { x: width - 4, y: height - 3, class: 'axis', 'text-anchor': 'end' });
  }
}

/**
 * The coverage strip of a data-quality report: one cell per minute of [from, to) shaded by the
 * fraction of its seconds with data, missing periods underlined, desyncs and anomalies marked.
 */
export function coverageStrip(container, { from, to, minutes, missing }) {
  container.replaceChildren();
  const start = parseTime(from);
  const end = parseTime(to);
  const count = Math.max(1, Math.ceil((end - start) / 60000));
  const width = Math.max(600, Math.min(count * 4, 2880));
  const [height, cellTop, cellHeight] = [64, 14, 30];
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': 'coverage per minute' }, container);
  const cell = width / count;
  const byMinute = new Map(minutes.map((m) => [Math.floor((parseTime(m.start) - start) / 60000), m]));
  for (let i = 0; i < count; i++) {
    const m = byMinute.get(i);
    const coverage = m ? m.coverage : 0;
    const shade = coverage >= 0.999 ? 'full' : coverage > 0 ? 'part' : 'none';
    const rect = el('rect', { x: i * cell, y: cellTop, width: Math.max(cell - 0.5, 0.5), height: cellHeight, class: 'cell ' + shade }, svg);
    const title = el('title', {}, rect);
    const when = new Date(start + i * 60000).toISOString().slice(0, 16) + 'Z';
    title.textContent = m
      ? `${when}: ${(coverage * 100).toFixed(0)}% covered, ${m.events} events, ${m.desyncs} desyncs, ${m.anomalies} anomalies`
      : `${when}: no data`;
    if (m && m.desyncs > 0) el('text', { x: i * cell + cell / 2, y: 11, class: 'mark desync', 'text-anchor': 'middle' }, svg).textContent = '▼';
    if (m && m.anomalies > 0) el('text', { x: i * cell + cell / 2, y: 60, class: 'mark anomaly', 'text-anchor': 'middle' }, svg).textContent = '◆';
  }
  for (const period of missing) {
    const a = (parseTime(period.from) - start) / 60000;
    const b = (parseTime(period.to) - start) / 60000;
    el('rect', { x: a * cell, y: cellTop + cellHeight + 2, width: Math.max((b - a) * cell, 1), height: 4, class: 'gap' }, svg);
  }
  container.dataset.minutes = String(count);
  container.dataset.minutesWithData = String(minutes.length);
}
