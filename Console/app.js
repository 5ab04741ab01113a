// The web console: four views over the service's REST API (relative URLs on this port).
import { api, APIError, download, getKey, onAuthError, setKey, stream } from './api.js';
import { coverageStrip, formatNumber, LineChart } from './charts.js';

const $ = (selector, root = document) => root.querySelector(selector);
const make = (tag, text, className) => {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
};
const row = (...cells) => {
  const tr = document.createElement('tr');
  for (const cell of cells) tr.append(cell instanceof Node ? cell : make('td', cell));
  return tr;
};

// ---------------------------------------------------------------- messages and the key

const message = $('#message');
function showMessage(text, kind = 'error') {
  message.textContent = text;
  message.className = kind;
  message.hidden = false;
}
function clearMessage() { message.hidden = true; message.textContent = ''; }

/** Errors become a message; a 401 is said plainly (the key is the usual cause). */
function report(error) {
  if (error instanceof APIError && error.status === 401) return; // the auth listener said it
  showMessage(error instanceof APIError ? error.message : String(error));
}

onAuthError((error) => {
  const missing = !getKey();
  showMessage(
    missing
      ? 'An API key is needed: enter the key that serve printed ("API key for this run: …") or one of FEATURE_SERVICE_API_KEYS.'
      : `The API key was refused (${error.message}). Enter the key that serve printed or one of FEATURE_SERVICE_API_KEYS.`,
    'error auth',
  );
  $('#key-status').textContent = missing ? 'no key' : 'key refused';
  $('#key-input').classList.add('invalid');
  live.stop();
});

async function useKey(key) {
  setKey(key);
  $('#key-input').value = '';
  $('#key-input').classList.remove('invalid');
  $('#key-status').textContent = 'checking…';
  try {
    await api('/features/symbols');
    $('#key-status').textContent = 'key accepted (kept for this tab only)';
    clearMessage();
    await showView(currentView(), true);
  } catch (error) {
    report(error);
  }
}

$('#key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('#key-input').value.trim();
  if (key) useKey(key);
});
$('#key-forget').addEventListener('click', () => {
  setKey('');
  live.stop();
  $('#key-status').textContent = 'no key';
  showMessage('Key forgotten. Enter a key to continue.', 'info');
});

// ---------------------------------------------------------------- shared data

let symbolsCache = null;
async function symbols() {
  symbolsCache = (await api('/features/symbols')).symbols;
  return symbolsCache;
}
function fillSelect(select, values, preferred) {
  const keep = select.value || preferred;
  select.replaceChildren(
    ...values.map((value) => {
      const option = make('option', value);
      option.value = value;
      return option;
    }),
  );
  if (values.includes(keep)) select.value = keep;
}
const isoSeconds = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------- Live

const DEFAULT_CHARTED = ['mid_price', 'spread_abs', 'ofi_3s', 'volume_3s'];
const live = {
  source: null,
  symbol: null,
  charts: new Map(),
  features: [],
  stop() {
    if (this.source) this.source.close();
    this.source = null;
    $('#live-status').textContent = 'not connected';
  },
};

function charted() {
  return [...document.querySelectorAll('#live-features input:checked')].map((input) => input.value);
}

function rebuildCharts() {
  const container = $('#live-charts');
  const wanted = charted();
  for (const [name, chart] of live.charts) if (!wanted.includes(name)) { chart.container.remove(); live.charts.delete(name); }
  for (const name of wanted) {
    if (live.charts.has(name)) continue;
    const box = make('div');
    box.dataset.feature = name;
    container.append(box);
    live.charts.set(name, new LineChart(box, name));
  }
  sessionStorage.setItem('feature-service.charted', JSON.stringify(wanted));
}

async function startLive() {
  const [list, registry] = await Promise.all([symbols(), api('/feature-registry')]);
  fillSelect($('#live-symbol'), list, 'BTCUSDT');
  const names = registry.features.map((f) => f.name);
  if (names.join() !== live.features.join()) {
    live.features = names;
    const saved = JSON.parse(sessionStorage.getItem('feature-service.charted') || 'null') || DEFAULT_CHARTED;
    $('#live-features').replaceChildren(
      ...names.map((name) => {
        const label = make('label');
        const box = make('input');
        box.type = 'checkbox';
        box.value = name;
        box.checked = saved.includes(name);
        label.append(box, document.createTextNode(' ' + name));
        return label;
      }),
    );
  }
  rebuildCharts();
  connect($('#live-symbol').value);
}

function connect(symbol) {
  live.stop();
  if (!symbol) { $('#live-status').textContent = 'no symbol yet'; return; }
  if (live.symbol !== symbol) {
    for (const chart of live.charts.values()) chart.container.remove();
    live.charts.clear();
    rebuildCharts();
  }
  live.symbol = symbol;
  const source = stream(symbol, 10);
  live.source = source;
  $('#live-status').textContent = 'connecting…';
  source.addEventListener('vector', (event) => { if (live.source === source) showVector(JSON.parse(event.data)); });
  source.addEventListener('book', (event) => { if (live.source === source) showBook(JSON.parse(event.data)); });
  source.addEventListener('error', async () => {
    if (live.source !== source) return;
    $('#live-status').textContent = 'stream interrupted: reconnecting…';
    // EventSource does not say why: ask the API the same question once to find out.
    try {
      await api('/features/book?symbol=' + encodeURIComponent(symbol) + '&levels=1');
    } catch (error) {
      if (error instanceof APIError && error.status === 401) return;
      source.close();
      $('#live-status').textContent = 'stream stopped';
      report(error);
    }
  });
}

function showVector(vector) {
  const t = Math.floor(vector.ts_ns / 1e6);
  $('#vector-time').textContent = isoSeconds(t) + (vector.stale ? ' (stale: no recent event)' : '');
  $('#live-status').textContent = 'live, updated ' + new Date(t).toISOString().slice(11, 19) + ' UTC';
  $('#live-status').dataset.lastTs = String(vector.ts_ns);
  for (const [name, chart] of live.charts) chart.push(t, vector.features[name]);
  const body = $('#vector-table tbody');
  if (body.children.length !== Object.keys(vector.features).length) {
    body.replaceChildren(
      ...Object.keys(vector.features).map((name) => {
        const tr = row(make('th', name), make('td'));
        tr.dataset.feature = name;
        return tr;
      }),
    );
  }
  for (const tr of body.children) {
    const value = vector.features[tr.dataset.feature];
    const cell = tr.children[1];
    cell.textContent = formatNumber(value);
    cell.dataset.value = value === null || value === undefined ? '' : String(value);
  }
}

function showBook(book) {
  $('#book-banner').hidden = book.in_sync;
  $('#book-banner').textContent = book.in_sync ? '' : `Book out of sync (${book.state.replaceAll('_', ' ')}): values are withheld until a snapshot`;
  for (const cell of document.querySelectorAll('#book-summary td[data-field]')) {
    const value = book[cell.dataset.field];
    cell.dataset.value = value === null || value === undefined ? '' : String(value);
    cell.textContent = typeof value === 'number' ? formatNumber(value) : value ?? '–';
  }
  const rows = [];
  const depth = Math.max(book.bids.length, book.asks.length);
  for (let i = 0; i < depth; i++) {
    const bid = book.bids[i];
    const ask = book.asks[i];
    const cells = [bid?.size, bid?.price, ask?.price, ask?.size].map((value, index) => {
      const td = make('td', value === undefined ? '' : formatNumber(value), index < 2 ? 'bid' : 'ask');
      td.dataset.value = value === undefined ? '' : String(value);
      return td;
    });
    rows.push(row(...cells));
  }
  $('#book-table tbody').replaceChildren(...rows);
  $('#book-table').dataset.tsNs = String(book.ts_ns);
  $('#book-table').classList.toggle('stale', !book.in_sync);
}

$('#live-symbol').addEventListener('change', () => connect($('#live-symbol').value));
$('#live-features').addEventListener('change', rebuildCharts);

// ---------------------------------------------------------------- Data quality

async function startQuality() {
  fillSelect($('#q-symbol'), await symbols(), 'BTCUSDT');
  const now = Date.now();
  if (!$('#q-to').value) $('#q-to').value = isoSeconds(now);
  if (!$('#q-from').value) $('#q-from').value = isoSeconds(now - 3600 * 1000);
}

$('#q-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const query = new URLSearchParams({ symbol: $('#q-symbol').value, from: $('#q-from').value.trim(), to: $('#q-to').value.trim(), minutes: 'true' });
  try {
    const answer = await api('/data-quality/report?' + query);
    clearMessage();
    showQuality(answer);
  } catch (error) {
    report(error);
  }
});

const percent = (x) => (x * 100).toFixed(2) + ' %';
/** An API time (nanosecond fraction) to the second, for display. */
const shortTime = (text) => text.replace(/\.\d+Z$/, 'Z');
function showQuality(report) {
  $('#q-result').hidden = false;
  coverageStrip($('#q-strip'), { from: report.from, to: report.to, minutes: report.minutes || [], missing: report.missing_periods.listed });
  const summary = [
    ['Range', `${shortTime(report.from)} – ${shortTime(report.to)}`],
    ['Events', report.total_events],
    ['Minutes with data', report.minutes_with_data],
    ['Coverage (any event)', percent(report.coverage.any)],
    ['Coverage (order book)', percent(report.coverage.orderbook)],
    ['Coverage (trades)', percent(report.coverage.trade)],
    ['Missing rate', percent(report.missing_rate)],
    ['Sequence gaps', report.sequence_gaps],
    ['Resyncs', report.resyncs],
  ];
  $('#q-summary').replaceChildren(...summary.map(([k, v]) => row(make('th', k), make('td', String(v)))));
  const latency = $('#q-latency');
  const header = row(...['', 'count', 'min', 'p50', 'p99', 'max', 'mean'].map((h) => make('th', h)));
  const line = (name, l) => row(make('th', name), ...[l.count, l.min, l.p50, l.p99, l.max, l.mean].map((v) => make('td', formatNumber(v))));
  latency.replaceChildren(
    header,
    line('exchange → service', report.latency_skew_ms.exchange_to_service),
    line('gateway → service', report.latency_skew_ms.gateway_to_service),
  );
  const missing = report.missing_periods;
  $('#q-missing').replaceChildren(
    ...(missing.listed.length
      ? missing.listed.map((p) => make('li', `${shortTime(p.from)} – ${shortTime(p.to)} (${p.seconds} s)`))
      : [make('li', 'none', 'muted')]),
  );
  if (missing.count > missing.listed.length) $('#q-missing').append(make('li', `… ${missing.count - missing.listed.length} more`, 'muted'));
  const counts = [['Desyncs', report.desync_events.total], ...Object.entries(report.desync_events.by_reason).map(([k, v]) => ['  ' + k, v]),
    ['Anomalies', report.anomalies.total], ...Object.entries(report.anomalies.by_kind).map(([k, v]) => ['  ' + k, v])];
  $('#q-counts').replaceChildren(...counts.map(([k, v]) => row(make('th', k), make('td', String(v)))));
}

// ---------------------------------------------------------------- Datasets

let datasetTimer = null;
const splitOrder = ['train', 'validation', 'test'];

async function startDatasets() {
  if (!$('#ds-train').value) {
    // A default of the last ten minutes up to a minute ago, split 60/20/20.
    const end = Math.floor(Date.now() / 1000) * 1000 - 60000;
    const at = (minutes) => isoSeconds(end - minutes * 60000);
    $('#ds-train').value = `${at(10)}, ${at(4)}`;
    $('#ds-validation').value = `${at(4)}, ${at(2)}`;
    $('#ds-test').value = `${at(2)}, ${at(0)}`;
  }
  if (!$('#ds-config').dataset.edited) fillConfig();
  await refreshDatasets();
  clearInterval(datasetTimer);
  datasetTimer = setInterval(() => { if (currentView() === 'datasets') refreshDatasets().catch(report); }, 1000);
}

function configFromFields() {
  const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
  const period = (text) => list(text);
  return {
    symbol: $('#ds-symbol').value.trim(),
    sample_every: $('#ds-sample').value.trim(),
    targets: { types: list($('#ds-types').value), horizons: list($('#ds-horizons').value) },
    splits: {
      strategy: 'explicit',
      embargo: $('#ds-embargo').value.trim(),
      periods: Object.fromEntries(splitOrder.map((name) => [name, period($('#ds-' + name).value)])),
    },
  };
}
function fillConfig() { $('#ds-config').value = JSON.stringify(configFromFields(), null, 2); }

for (const input of document.querySelectorAll('#ds-form .field input')) {
  input.addEventListener('input', () => { delete $('#ds-config').dataset.edited; fillConfig(); });
}
$('#ds-config').addEventListener('input', () => { $('#ds-config').dataset.edited = 'yes'; });

function clearProblems() {
  for (const node of document.querySelectorAll('#ds-form .field-error')) node.remove();
  for (const node of document.querySelectorAll('#ds-form .field.has-error')) node.classList.remove('has-error');
  $('#ds-errors').replaceChildren();
}

/** Shows each problem next to the field its path names (the longest matching field path), the rest below the form. */
function showProblems(problems) {
  const fields = [...document.querySelectorAll('#ds-form .field[data-path]')].filter((f) => f.dataset.path);
  for (const problem of problems) {
    const path = problem.path || '';
    const field = fields
      .filter((f) => path === f.dataset.path || path.startsWith(f.dataset.path + '.') || path.startsWith(f.dataset.path + '['))
      .sort((a, b) => b.dataset.path.length - a.dataset.path.length)[0];
    const text = (path ? path + ': ' : '') + problem.message;
    if (field) {
      field.classList.add('has-error');
      field.append(make('div', text, 'field-error'));
    } else {
      $('#ds-errors').append(make('li', text));
    }
  }
}

$('#ds-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  clearProblems();
  $('#ds-result').textContent = 'submitting…';
  try {
    const job = await api('/dataset/build', { method: 'POST', body: $('#ds-config').value, contentType: 'application/json' });
    $('#ds-result').textContent = `started ${job.dataset_id}`;
    $('#ds-result').dataset.datasetId = job.dataset_id;
    clearMessage();
    await refreshDatasets();
  } catch (error) {
    $('#ds-result').textContent = 'rejected';
    if (error instanceof APIError && error.status !== 401) {
      if (error.problems.length) showProblems(error.problems);
      else $('#ds-errors').append(make('li', error.message));
    } else {
      report(error);
    }
  }
});

function eta(job) {
  if (job.status !== 'running' && job.status !== 'queued') return '';
  const seconds = job.progress.eta_seconds;
  if (seconds === null || seconds === undefined) return 'estimating…';
  return seconds < 90 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 60)} min`;
}

async function refreshDatasets() {
  const { datasets } = await api('/dataset/list');
  $('#ds-empty').hidden = datasets.length > 0;
  const rows = datasets.slice().reverse().map((job) => {
    const progress = make('progress');
    progress.max = 100;
    progress.value = job.progress.percent;
    const progressCell = make('td');
    progressCell.append(progress, make('span', ` ${job.progress.percent.toFixed(1)} %`, 'muted'));
    const names = Object.keys(job.splits_info).sort((a, b) => splitOrder.indexOf(a) - splitOrder.indexOf(b));
    const splits = names.map((name) => `${name} ${job.splits_info[name].rows}`).join(', ') || '–';
    const links = make('td');
    if (job.status === 'ready') {
      for (const name of [...names, 'all']) {
        const link = make('a', name, 'download');
        link.href = `/dataset/${encodeURIComponent(job.dataset_id)}/download?split=${encodeURIComponent(name)}`;
        link.dataset.split = name;
        const file = name === 'all' ? `${job.dataset_id}.tar` : `${job.dataset_id}-${name}.parquet`;
        link.addEventListener('click', (event) => {
          event.preventDefault();
          download(link.getAttribute('href'), file).catch(report);
        });
        links.append(link, document.createTextNode(' '));
      }
    }
    const status = make('td', job.status + (job.error ? ': ' + job.error : ''), 'status ' + job.status);
    const tr = row(make('td', job.dataset_id, 'mono'), job.symbol, status, progressCell, make('td', eta(job), 'eta'), make('td', splits, 'splits'), links);
    tr.dataset.id = job.dataset_id;
    tr.dataset.status = job.status;
    return tr;
  });
  $('#ds-table tbody').replaceChildren(...rows);
}

// ---------------------------------------------------------------- Registry

async function startRegistry() {
  const registry = await api('/feature-registry');
  $('#reg-active').replaceChildren(
    row(make('th', 'Version'), make('td', registry.version)),
    row(make('th', 'Content hash'), make('td', registry.content_hash, 'mono hash')),
    row(make('th', 'Quiet limit'), make('td', registry.quiet_limit)),
    row(make('th', 'Features'), make('td', String(registry.features.length))),
  );
  $('#reg-features tbody').replaceChildren(
    ...registry.features.map((f) => row(make('td', f.name, 'mono'), f.kind, f.window ?? '', f.levels ?? '', f.sources.join(', '))),
  );
  try {
    const { versions } = await api('/feature-registry/versions');
    $('#reg-history tbody').replaceChildren(
      ...versions.map((v) => {
        const tr = row(v.version + (v.in_force ? ' (in force)' : ''), make('td', v.content_hash.slice(0, 16) + '…', 'mono'), String(v.feature_count), String(v.activations), v.last_activated_at);
        if (v.in_force) tr.className = 'current';
        return tr;
      }),
    );
  } catch (error) {
    if (error.status === 401) throw error;
    $('#reg-history tbody').replaceChildren(row(make('td', error.message, 'muted')));
  }
}

$('#reg-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('#reg-text').value;
  $('#reg-problems').replaceChildren();
  $('#reg-result').className = 'muted';
  if (!text.trim()) { $('#reg-result').textContent = 'paste a registry first'; return; }
  $('#reg-result').textContent = 'validating…';
  try {
    await api('/feature-registry/validate', { method: 'POST', body: text, contentType: 'application/yaml' });
    $('#reg-result').textContent = 'valid: no problems';
    $('#reg-result').className = 'ok';
  } catch (error) {
    if (!(error instanceof APIError) || error.status === 401) { report(error); $('#reg-result').textContent = ''; return; }
    $('#reg-result').textContent = error.problems.length ? `${error.problems.length} problem(s)` : error.message;
    $('#reg-result').className = 'bad';
    $('#reg-problems').replaceChildren(
      ...error.problems.map((p) => {
        const li = make('li');
        li.className = 'problem';
        li.append(make('code', p.path || '(document)'), document.createTextNode(' ' + p.message));
        return li;
      }),
    );
  }
});

// ---------------------------------------------------------------- views

const views = { live: startLive, quality: startQuality, datasets: startDatasets, registry: startRegistry };
function currentView() {
  const name = location.hash.replace('#', '');
  return name in views ? name : 'live';
}

async function showView(name, force = false) {
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== 'view-' + name;
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', link.dataset.tab === name);
  if (name !== 'live') live.stop();
  if (name !== 'datasets') clearInterval(datasetTimer);
  if (!getKey()) {
    showMessage('Enter the API key (printed by serve as "API key for this run: …", or one of FEATURE_SERVICE_API_KEYS).', 'info');
    $('#key-status').textContent = 'no key';
    return;
  }
  if (!force && name === 'live' && live.source) return;
  try {
    await views[name]();
  } catch (error) {
    report(error);
  }
}

window.addEventListener('hashchange', () => showView(currentView()));
if (getKey()) $('#key-status').textContent = 'key set for this tab';
showView(currentView());
