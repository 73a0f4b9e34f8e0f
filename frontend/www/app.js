/*  The live page: the stock table pushed over the WebSocket at /ws (frontend_live.c),
    the cluster's state, a trade form (one Idempotency-Key per order) and an order lookup.
    Text from the server goes into the page with textContent only, never innerHTML.  */
'use strict';

const $ = id => document.getElementById(id);
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 4000;
const ORDER_TRIES = 3;              // a 503 means "outcome unknown": the same key is safe

const page = {
  stocks: new Map(),                // name -> {name, price, quantity, volume}
  pending: null,                    // changes seen while a snapshot is on its way
  socket: null,
  reconnectMs: RECONNECT_MIN_MS,
  busUp: null,                      // from the cluster state; null: not told yet
  catalogUp: null,
  snapshotError: null,
  ordering: false,
};

// ---------------------------------------------------------------------------
// Stocks

// A change is newer when its volume is higher: every trade adds to it.
function applyStock(stock, changed) {
  const known = page.stocks.get(stock.name);
  if (known && known.volume > stock.volume) return;
  page.stocks.set(stock.name, stock);
  if (changed) changed.add(stock.name);
}

function renderStocks(changed) {
  const body = document.createElement('tbody');
  body.id = 'stocks';
  const names = [...page.stocks.keys()].sort();
  for (const name of names) {
    const s = page.stocks.get(name);
    const row = body.insertRow();
    row.dataset.name = name;
    if (changed && changed.has(name)) row.className = 'changed';
    for (const [cls, text] of [['name', name], ['price', s.price.toFixed(2)],
                               ['quantity', String(s.quantity)], ['volume', String(s.volume)]]) {
      const td = row.insertCell();
      td.className = cls;
      td.textContent = text;
    }
  }
  $('stocks').replaceWith(body);
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  renderPicker(names);
}

// The stock picker lists exactly the stocks the catalog has, so a name cannot be mistyped.
function renderPicker(names) {
  const picker = $('stock');
  const current = picker.value;
  const have = [...picker.options].map(o => o.value);
  if (have.length === names.length && have.every((n, i) => n === names[i])) return;
  picker.replaceChildren(...names.map(n => new Option(n, n, false, n === current)));
}

function onSnapshot(message) {
  if (message.error) {
    page.snapshotError = message.error;
    page.pending = null;
    renderBanner();
    return;
  }
  page.snapshotError = null;
  page.stocks = new Map();
  for (const s of message.stocks) applyStock(s);
  // A change pushed after the catalog answered the snapshot, but before it arrived
  for (const s of page.pending || []) applyStock(s);
  page.pending = null;
  renderStocks();
  renderBanner();
}

function onStock(message) {
  const stock = {name: message.name, price: message.price,
                 quantity: message.quantity, volume: message.volume};
  if (page.pending) page.pending.push(stock);
  const changed = new Set();
  applyStock(stock, changed);
  renderStocks(changed);
}

// ---------------------------------------------------------------------------
// Cluster state and the page's own state

function setState(element, up) {
  element.textContent = up === null ? '?' : up ? 'up' : 'down';
  element.className = up === null ? 'unknown' : up ? 'up' : 'down';
}

function onCluster(message) {
  setState($('bus'), message.bus);
  setState($('catalog'), message.bus ? message.catalog : null);
  page.busUp = message.bus;
  page.catalogUp = message.bus ? message.catalog : null;
  document.body.dataset.catalog = page.catalogUp === null ? 'unknown' : page.catalogUp ? 'up' : 'down';
  const replicas = message.replicas.map(r => {
    const span = document.createElement('span');
    const leads = r.id === message.leader;
    span.className = 'replica ' + (r.up ? 'up' : 'down') + (leads ? ' leader' : '');
    span.textContent = String(r.id);
    span.title = 'replica ' + r.id + (r.up ? ' up' : ' down') + (leads ? ', leader' : '');
    span.dataset.id = String(r.id);
    span.dataset.up = String(r.up);
    return span;
  });
  $('replicas').replaceChildren(...replicas);
  $('leader').textContent = message.leader === null ? 'none' : 'replica ' + message.leader;
  $('epoch').textContent = message.epoch === null ? ''
    : 'epoch ' + message.epoch + ' (term ' + Math.floor(message.epoch / 16) + ')';
  renderBanner();
}

function renderBanner() {
  const banner = $('banner');
  let text = '';
  if (document.body.dataset.connection === 'unreachable')
    text = 'Frontend unreachable: the table below is stale. Reconnecting…';
  else if (page.busUp === false)
    text = 'Bus unreachable: the frontend hears nothing from the bus, so orders and lookups fail until it is back.';
  else if (page.catalogUp === false || page.snapshotError)
    text = 'Catalog down: prices and quantities may be stale, and orders will fail until it is back.';
  banner.textContent = text;
  banner.hidden = text === '';
  $('place').disabled = page.ordering || document.body.dataset.connection !== 'live';
}

function setConnection(state, text) {
  document.body.dataset.connection = state;
  $('connection').textContent = text;
  renderBanner();
}

// ---------------------------------------------------------------------------
// The WebSocket

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const socket = new WebSocket(scheme + location.host + '/ws');
  page.socket = socket;
  page.pending = [];                // the server sends a snapshot on connect
  socket.onopen = () => {
    page.reconnectMs = RECONNECT_MIN_MS;
    setConnection('live', 'live');
  };
  socket.onmessage = event => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type === 'snapshot') onSnapshot(message);
    else if (message.type === 'stock') onStock(message);
    else if (message.type === 'cluster') onCluster(message);
    else if (message.type === 'resync') {
      page.pending = [];
      socket.send('snapshot');
    }
  };
  socket.onclose = () => {
    if (page.socket !== socket) return;
    page.socket = null;
    setConnection('unreachable', 'frontend unreachable');
    setTimeout(connect, page.reconnectMs);
    page.reconnectMs = Math.min(page.reconnectMs * 2, RECONNECT_MAX_MS);
  };
}

// ---------------------------------------------------------------------------
// Orders

// A key per order (not per try): a retry after a lost reply cannot trade twice.
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map(b => b.toString(16).padStart(2, '0')).join('');
}

function show(output, good, text) {
  output.textContent = text;
  output.className = good ? 'good' : 'bad';
}

async function placeOrder(order) {
  const key = newKey();
  let last = 'no answer';
  for (let attempt = 1; attempt <= ORDER_TRIES; attempt++) {
    try {
      const response = await fetch('/orders', {method: 'POST',
        headers: {'Content-Type': 'application/json', 'Idempotency-Key': key},
        body: JSON.stringify(order)});
      const body = await response.json();
      if (response.ok) return {ok: true, text: 'Order ' + body.data.transaction_number + ': '
                                     + order.type + ' ' + order.quantity + ' ' + order.name};
      last = 'Refused (' + body.error.code + '): ' + body.error.message;
      if (response.status !== 503) break;
    } catch (e) {
      last = 'Failed: ' + e.message;
    }
  }
  return {ok: false, text: last};
}

// The second click of a double-click (detail 2) is not a second order: ignored, as is any
// click while an order is in flight (the button is disabled then too).
$('place').addEventListener('click', event => {
  if (event.detail > 1 || page.ordering) event.preventDefault();
});

$('order').addEventListener('submit', async event => {
  event.preventDefault();
  if (page.ordering) return;
  // Disabled before anything awaits: a double-click cannot send a second order
  page.ordering = true;
  $('place').disabled = true;
  const order = {name: $('stock').value, quantity: Number($('quantity').value), type: $('type').value};
  show($('result'), true, 'Placing…');
  try {
    const outcome = await placeOrder(order);
    show($('result'), outcome.ok, outcome.text);
  } finally {
    page.ordering = false;
    renderBanner();
  }
});

$('lookup').addEventListener('submit', async event => {
  event.preventDefault();
  const number = $('number').value;
  try {
    const response = await fetch('/orders/' + encodeURIComponent(number), {cache: 'no-store'});
    const body = await response.json();
    if (response.ok) {
      const o = body.data;
      show($('found'), true, 'Order ' + o.number + ': ' + o.type + ' ' + o.quantity + ' ' + o.name);
    } else {
      show($('found'), false, 'Order ' + number + ': ' + body.error.message);
    }
  } catch (e) {
    show($('found'), false, 'Failed: ' + e.message);
  }
});

connect();
