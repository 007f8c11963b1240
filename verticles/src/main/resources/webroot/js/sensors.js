// The sensor dashboard: devices with their last readings and open alerts, a live chart per kind of the
// chosen device (history from the 1-minute aggregates, then every reading as it is stored), and the
// alert feed of every device. Text from devices is rendered with textContent, never as HTML.
import { Hubbub, HubbubError } from '/js/hubbub.js';

const STATE_TEXT = { connecting: 'Connecting…', open: 'Connected', reconnecting: 'Reconnecting…', closed: 'Offline' };
/** Each time range (minutes) charts the aggregates of one window: the minutes' up to an hour, the hours' beyond. */
const WINDOWS = { 15: '1m', 60: '1m', 1440: '1h', 10080: '1h' };
const WINDOW_SECONDS = { '1m': 60, '1h': 3600 };
/** How often a chart of hourly aggregates reads them again (a live reading changes its hour's average). */
const HOURS_REFRESH_MS = 60000;
const MAX_POINTS = 2000;
const THRESHOLD_COLOR = '#cf222e';
const ALERTS_SHOWN = 200;

const $ = id => document.getElementById(id);
let hub = null;
let token = null;
const devices = new Map(); // id → {info, status, item, subscription}
let selected = null;       // {id, minutes, window, charts: Map(kind → {plot, xs, ys, figure})}: a new object at every choice
let minutes = WINDOWS[localStorage.getItem('hubbub.range')] ? Number(localStorage.getItem('hubbub.range')) : 60;
let hoursRefresh = null;

async function api(method, path, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new HubbubError(response.status, json.error ? json.error.message : response.statusText);
  return json;
}

async function signIn() {
  $('login-error').textContent = '';
  try {
    const session = await api('POST', '/api/sessions', { username: $('username').value.trim(), password: $('password').value });
    sessionStorage.setItem('hubbub.session', JSON.stringify({ token: session.token, username: session.username }));
    $('password').value = '';
    await start();
  } catch (error) {
    $('login-error').textContent = error.message;
  }
}

async function start() {
  const saved = JSON.parse(sessionStorage.getItem('hubbub.session') || 'null');
  if (!saved) return;
  token = saved.token;
  let list;
  try {
    list = await api('GET', '/api/devices');
  } catch (error) {
    if (error.code === 401) { sessionStorage.removeItem('hubbub.session'); return; }
    throw error;
  }
  $('login').hidden = true;
  $('dashboard').hidden = false;
  $('me').hidden = false;
  $('me').textContent = saved.username;
  $('logout').hidden = false;
  hub = new Hubbub({ token, onState: state => {
    $('connection').dataset.state = state;
    $('connection').textContent = STATE_TEXT[state] || state;
  } });
  await hub.connect();
  for (const info of list.devices) await addDevice(info);
  $('no-devices').hidden = devices.size > 0;
  if (devices.size > 0) select(list.devices[0].deviceId);
  setInterval(refreshDevices, 5000); // devices registered later
}

async function refreshDevices() {
  const list = await api('GET', '/api/devices').catch(() => null);
  if (!list) return;
  for (const info of list.devices) if (!devices.has(info.deviceId)) await addDevice(info);
  $('no-devices').hidden = devices.size > 0;
}

async function addDevice(info) {
  const id = info.deviceId;
  const status = await api('GET', '/api/sensors/' + encodeURIComponent(id)).catch(() => ({ last: {}, openAlerts: [] }));
  const item = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-current', 'false');
  button.addEventListener('click', () => select(id));
  item.append(button);
  $('devices').append(item);
  const device = { info, status, button, open: status.openAlerts.length,
    alerting: new Set(status.openAlerts.map(alert => alert.kind)) }; // the kinds with an open alert
  devices.set(id, device);
  renderDevice(device);
  // every reading of the device, live: its last values, and the chart when it is the chosen one; from the last one
  // its status holds (readings are folded into it a moment after they are stored), at most the last 1000 back
  const { lastSeq } = await hub.read('sensor.' + id, 1, 1);
  const after = Math.max(status.appliedSeq ?? lastSeq, lastSeq - 1000);
  device.subscription = hub.subscribe('sensor.' + id, { afterSeq: after }, event => onReading(id, event));
  const alerts = await hub.read('alerts.' + id, 1, 1);
  device.alertsSeenInStatus = alerts.lastSeq; // those are counted in status.openAlerts already
  hub.subscribe('alerts.' + id, { afterSeq: Math.max(0, alerts.lastSeq - 20) }, event => onAlert(id, event));
}

function renderDevice(device) {
  const name = document.createElement('span');
  name.className = 'name';
  name.textContent = device.info.name || device.info.deviceId;
  const last = document.createElement('span');
  last.className = 'last';
  last.textContent = Object.entries(device.status.last || {})
    .map(([kind, r]) => `${kind} ${format(r.value)}${r.unit ? ' ' + r.unit : ''}`).join(' · ') || 'no readings yet';
  const parts = [name, last];
  if (device.open > 0) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = device.open + (device.open === 1 ? ' alert' : ' alerts');
    parts.unshift(badge);
  }
  device.button.replaceChildren(...parts);
}

function onReading(id, event) {
  if (event.type !== 'READING') return;
  const device = devices.get(id);
  const data = event.data;
  const previous = device.status.last[data.kind];
  // as times, not strings: an ISO time at a whole second has no fraction ("…:06Z"), and as text it sorts after
  // "…:06.040Z"
  if (!previous || Date.parse(data.at) >= Date.parse(previous.at)) {
    device.status.last[data.kind] = data;
    renderDevice(device);
  }
  if (selected && selected.id === id && selected.window === '1m') plotPoint(data); // hours are read again instead
}

function onAlert(id, event) {
  const device = devices.get(id);
  if (event.seq > device.alertsSeenInStatus) {
    if (event.type === 'ALERT') { device.open++; device.alerting.add(event.data.kind); }
    if (event.type === 'RESOLVED') { device.open = Math.max(0, device.open - 1); device.alerting.delete(event.data.kind); }
    renderDevice(device);
  }
  const item = document.createElement('li');
  item.dataset.type = event.type;
  const d = event.data;
  item.textContent = `${event.type} ${id}: ${d.kind} ${d.condition}` +
    (event.type === 'ALERT' ? ` for ${d.forSeconds} s` : '') + ` (${format(d.value)}) at ${new Date(d.at).toLocaleTimeString()}`;
  $('alerts').prepend(item);
  while ($('alerts').children.length > ALERTS_SHOWN) $('alerts').lastChild.remove();
}

/** The kinds of a device in the order they are shown: those with an open alert first, then by name. */
function kindsOf(device) {
  const alerting = device.alerting;
  return Object.keys(device.status.last || {}).sort((a, b) => (alerting.has(b) - alerting.has(a)) || a.localeCompare(b));
}

async function select(id) {
  devices.forEach((d, key) => d.button.setAttribute('aria-current', String(key === id)));
  const device = devices.get(id);
  $('device-title').textContent = device.info.name || id;
  $('charts').replaceChildren();
  // this choice's own object: a load of an earlier choice (of this device too) that answers late draws nothing
  const choice = { id, minutes, window: WINDOWS[minutes], charts: new Map() };
  selected = choice;
  clearInterval(hoursRefresh);
  const kinds = kindsOf(device);
  kinds.forEach(kind => chartFor(choice, kind, device.status.last[kind].unit)); // in order, at once, one per kind
  await Promise.all(kinds.map(kind => loadHistory(choice, kind)));
  if (choice.window === '1h' && selected === choice) {
    hoursRefresh = setInterval(() => kindsOf(device).forEach(kind => loadHistory(choice, kind)), HOURS_REFRESH_MS);
  }
}

/** The chosen range's aggregates of one kind, each bucket's average drawn at the bucket's middle. */
async function loadHistory(choice, kind) {
  const to = new Date();
  const from = new Date(to.getTime() - choice.minutes * 60000);
  const query = `kind=${encodeURIComponent(kind)}&window=${choice.window}&from=${from.toISOString()}&to=${to.toISOString()}`;
  const history = await api('GET', `/api/sensors/${encodeURIComponent(choice.id)}/aggregates?${query}`).catch(() => ({ buckets: [] }));
  if (selected === choice) {
    const entry = chartFor(choice, kind, devices.get(choice.id).status.last[kind]?.unit);
    const middle = WINDOW_SECONDS[choice.window] / 2;
    // a minute still going on is drawn at the time it was read, not in the future (live readings follow it);
    // hours are read again each minute, so theirs stay at their middle to be replaced in place
    const latest = choice.window === '1m' ? Date.now() / 1000 : Infinity;
    history.buckets.forEach(b => setPoint(entry, Math.min(Date.parse(b.start) / 1000 + middle, latest), b.avg));
  }
}

/** The alert rules of a kind, as lines across its chart: [{value, label}]. */
function thresholdsOf(id, kind) {
  return (devices.get(id).status.rules || []).filter(rule => rule.kind === kind).map(rule => rule.above !== undefined
    ? { value: rule.above, label: `alert above ${format(rule.above)}` } : { value: rule.below, label: `alert below ${format(rule.below)}` });
}

/** The chart of a kind for this choice of device: made once, whatever arrives first (history or a live reading). */
function chartFor(choice, kind, unit) {
  const existing = choice.charts.get(kind);
  if (existing) {
    return existing;
  }
  const figure = document.createElement('figure');
  figure.className = 'chart';
  figure.dataset.kind = kind;
  const caption = document.createElement('figcaption');
  const title = document.createElement('span');
  title.className = 'title';
  title.textContent = unit ? `${kind} (${unit})` : kind;
  caption.append(title);
  const thresholds = thresholdsOf(choice.id, kind);
  for (const line of thresholds) {
    const note = document.createElement('span');
    note.className = 'threshold';
    note.textContent = line.label + (unit ? ' ' + unit : '');
    caption.append(note);
  }
  // the value under the cursor, else the latest (uPlot's own legend read "--" while the cursor was elsewhere)
  const reading = document.createElement('span');
  reading.className = 'reading';
  caption.append(reading);
  figure.append(caption);
  $('charts').append(figure);
  const xs = [];
  const ys = [];
  const width = Math.max(240, figure.clientWidth - 18); // inside the card's padding and border
  const plot = new uPlot({ width, height: 220, series: [{}, { label: kind, stroke: '#1f6feb', width: 2, spanGaps: true }],
    axes: [{ label: 'time' }, { label: unit ? `${kind} (${unit})` : kind }], legend: { show: false },
    scales: { x: { time: true }, y: { range: (u, min, max) => valueRange(min, max, thresholds) } },
    hooks: {
      setScale: [(u, key) => { if (key === 'x') figure.dataset.span = String(Math.round(u.scales.x.max - u.scales.x.min)); }],
      draw: [u => drawThresholds(u, thresholds, figure)],
      setCursor: [u => showReading(u, reading, unit)],
    } },
    [xs, ys], figure);
  const entry = { plot, xs, ys, figure, minutes: choice.minutes, reading, unit };
  figure.dataset.points = '0';
  showWindow(entry);
  choice.charts.set(kind, entry);
  return entry;
}

/** The caption's value: the point under the cursor, or the latest one. */
function showReading(u, element, unit) {
  const xs = u.data[0];
  const i = u.cursor.idx ?? xs.length - 1;
  if (i < 0 || i >= xs.length || u.data[1][i] == null) {
    element.textContent = '';
    return;
  }
  const when = new Date(xs[i] * 1000).toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  element.textContent = `${format(u.data[1][i])}${unit ? ' ' + unit : ''} · ${when}` + (u.cursor.idx == null ? ' (latest)' : '');
}

/** The value axis: the points' range and every threshold in it, with a little room. */
function valueRange(min, max, thresholds) {
  const values = [min, max, ...thresholds.map(line => line.value)].filter(Number.isFinite);
  if (values.length === 0) return [0, 1];
  const low = Math.min(...values);
  const high = Math.max(...values);
  const pad = (high - low) * 0.1 || Math.abs(high) * 0.1 || 1;
  return [low - pad, high + pad];
}

/** Each alert threshold as a dashed red line across the plot (its canvas rows kept on the figure, for tests). */
function drawThresholds(u, thresholds, figure) {
  const ctx = u.ctx;
  const rows = [];
  for (const line of thresholds) {
    const y = Math.round(u.valToPos(line.value, 'y', true));
    rows.push(y);
    ctx.save();
    ctx.strokeStyle = THRESHOLD_COLOR;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.setLineDash([8 * devicePixelRatio, 5 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.restore();
  }
  figure.dataset.thresholds = JSON.stringify(rows);
}

/** Adds a point in time order (readings may arrive out of order); a point already there (history and live) once. */
function addPoint(entry, x, y) {
  insertPoint(entry, x, y, false);
}

/** Adds a point, or sets the one at x (a bucket read again). */
function setPoint(entry, x, y) {
  insertPoint(entry, x, y, true);
}

function insertPoint(entry, x, y, replace) {
  let i = entry.xs.length;
  while (i > 0 && entry.xs[i - 1] > x) i--;
  if (i > 0 && entry.xs[i - 1] === x) {
    if (!replace || entry.ys[i - 1] === y) return;
    entry.ys[i - 1] = y;
  } else {
    entry.xs.splice(i, 0, x);
    entry.ys.splice(i, 0, y);
    if (entry.xs.length > MAX_POINTS) { entry.xs.shift(); entry.ys.shift(); }
  }
  entry.plot.setData([entry.xs, entry.ys]);
  showWindow(entry);
  showReading(entry.plot, entry.reading, entry.unit);
  entry.figure.dataset.points = String(entry.xs.length);
}

/**
 * The time axis spans the range chosen (or more if the points reach further), whatever few points there are:
 * uPlot's own range around a single point spanned years.
 */
function showWindow(entry) {
  const now = Date.now() / 1000;
  const min = Math.min(entry.xs.length ? entry.xs[0] : now, now - entry.minutes * 60);
  const max = Math.max(entry.xs.length ? entry.xs[entry.xs.length - 1] : now, now);
  entry.plot.setScale('x', { min, max });
}

function plotPoint(data) {
  addPoint(chartFor(selected, data.kind, data.unit), Date.parse(data.at) / 1000, data.value);
}

async function logOut() {
  sessionStorage.removeItem('hubbub.session');
  await api('DELETE', '/api/sessions/current').catch(() => {});
  if (hub) hub.close();
  location.reload();
}

function format(value) {
  return Number.isInteger(value) ? String(value) : Number(value).toFixed(2);
}

// charts follow their cards' width (a phone turned, a window resized)
window.addEventListener('resize', () => {
  if (selected) selected.charts.forEach(entry => entry.plot.setSize({ width: Math.max(240, entry.figure.clientWidth - 18), height: 220 }));
});
$('login-form').addEventListener('submit', event => { event.preventDefault(); signIn(); });
$('logout').addEventListener('click', logOut);
$('range').value = String(minutes);
$('range').addEventListener('change', () => {
  minutes = Number($('range').value);
  localStorage.setItem('hubbub.range', String(minutes));
  if (selected) select(selected.id);
});
start().catch(error => console.error('hubbub: could not start', error));
