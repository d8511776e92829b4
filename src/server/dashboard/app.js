// The tickwright dashboard: symbols table, a candlestick chart updated live from
// /api/events, and a quality heatmap. Everything shown is set with textContent (never
// innerHTML), so nothing a symbol or event carries can become markup.

const LWC = window.LightweightCharts;
const CHART_BARS = 500;
const el = (id) => document.getElementById(id);

const state = {
  symbol: "",
  interval: "5m",
  timeZone: "UTC",
  source: null,
  lastTime: 0,
  candles: 0,
  loading: false,
  pending: [],
  clock: 0,
};

/** A cell or element with text content. */
function make(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

async function getJson(path) {
  const res = await fetch(path, { credentials: "same-origin" });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

// ---- time formatting in the exchange's zone ----

const formats = {};
function setTimeZone(zone) {
  if (zone === state.timeZone && formats.full) return;
  state.timeZone = zone;
  const f = (opts) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, hourCycle: "h23", ...opts });
  formats.full = f({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  formats.time = f({ hour: "2-digit", minute: "2-digit" });
  formats.day = f({ month: "short", day: "numeric" });
  formats.month = f({ year: "numeric", month: "short" });
  formats.year = f({ year: "numeric" });
}
setTimeZone("UTC");
function formatTime(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "-";
  return formats.full.format(new Date(ms)).replace(",", "");
}
/** Time-axis labels in the exchange's zone (lightweight-charts tick mark types 0..4). */
function tickMark(seconds, type) {
  const d = new Date(seconds * 1000);
  if (type === 0) return formats.year.format(d);
  if (type === 1) return formats.month.format(d);
  if (type === 2) return formats.day.format(d);
  return formats.time.format(d);
}

// ---- chart ----

const chart = LWC.createChart(el("chart"), {
  autoSize: true,
  layout: { background: { color: "#ffffff" }, textColor: "#1d2430" },
  grid: { vertLines: { color: "#f1f3f5" }, horzLines: { color: "#f1f3f5" } },
  timeScale: { timeVisible: true, secondsVisible: false, tickMarkFormatter: tickMark },
  localization: { timeFormatter: (t) => formatTime(t * 1000) },
});
const candleSeries = chart.addSeries(LWC.CandlestickSeries, {
  upColor: "#16a34a",
  downColor: "#dc2626",
  borderVisible: false,
  wickUpColor: "#16a34a",
  wickDownColor: "#dc2626",
});
candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
const volumeSeries = chart.addSeries(LWC.HistogramSeries, {
  priceFormat: { type: "volume" },
  priceScaleId: "volume",
});
volumeSeries.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });

function candle(b) {
  return { time: b.time / 1000, open: b.open, high: b.high, low: b.low, close: b.close };
}
function volumeBar(b) {
  return { time: b.time / 1000, value: b.volume, color: b.close >= b.open ? "#86efac" : "#fca5a5" };
}
function markChart() {
  const node = el("chart");
  node.dataset.candles = String(state.candles);
  node.dataset.lastTime = state.lastTime ? String(state.lastTime) : "";
}

/** Adds or replaces the newest candle from a live bar event. */
function applyBar(b) {
  if (b.time < state.lastTime) return;
  if (b.time > state.lastTime) state.candles++;
  state.lastTime = b.time;
  candleSeries.update(candle(b));
  volumeSeries.update(volumeBar(b));
  markChart();
}

async function loadChart() {
  const { symbol, interval } = state;
  if (!symbol) return;
  state.loading = true;
  state.pending = [];
  openEvents();
  const q = new URLSearchParams({ symbol, interval, n: String(CHART_BARS) });
  try {
    const data = await getJson(`/api/bars?${q}`);
    if (symbol !== state.symbol || interval !== state.interval) return;
    candleSeries.setData(data.bars.map(candle));
    volumeSeries.setData(data.bars.map(volumeBar));
    state.candles = data.bars.length;
    state.lastTime = data.bars.length > 0 ? data.bars[data.bars.length - 1].time : 0;
    el("chart-note").textContent = `${symbol} ${interval}: ${data.bars.length} bars from the session`;
  } catch (err) {
    el("chart-note").textContent = String(err.message);
  } finally {
    state.loading = false;
  }
  for (const b of state.pending) applyBar(b);
  state.pending = [];
  markChart();
  if (state.candles < 120) chart.timeScale().fitContent();
  else chart.timeScale().scrollToRealTime();
}

// ---- live events ----

function openEvents() {
  if (state.source) state.source.close();
  const q = new URLSearchParams({ symbols: state.symbol, intervals: state.interval });
  const source = new EventSource(`/api/events?${q}`);
  state.source = source;
  source.onopen = () => {
    el("stream").textContent = "live";
  };
  source.onerror = () => {
    el("stream").textContent = "reconnecting";
  };
  source.onmessage = (msg) => {
    const e = JSON.parse(msg.data);
    if (e.at > state.clock) showClock(e.at);
    if (e.type === "bar") {
      if (e.symbol !== state.symbol || e.interval !== state.interval) return;
      if (state.loading) state.pending.push(e);
      else applyBar(e);
    }
    soon(refreshSymbols);
  };
}

// ---- symbols table ----

/** The engine clock as last seen (from events as they come, and from /api/symbols). */
function showClock(ms) {
  state.clock = ms;
  el("clock").textContent = formatTime(ms);
}

const scheduled = new Set();
/** Runs `fn` at most once per 500 ms however many events ask for it. */
function soon(fn) {
  if (scheduled.has(fn)) return;
  scheduled.add(fn);
  setTimeout(() => {
    scheduled.delete(fn);
    fn();
  }, 500);
}

function pct(v) {
  return v === null || v === undefined ? "-" : `${Number(v).toFixed(1)}%`;
}

async function refreshSymbols() {
  let data;
  try {
    data = await getJson("/api/symbols");
  } catch (err) {
    el("health").textContent = String(err.message);
    return;
  }
  setTimeZone(data.timeZone || "UTC");
  el("calendar").textContent = data.calendar;
  if (data.now > state.clock) showClock(data.now);
  el("market").textContent = data.market;
  el("session").textContent = data.session ?? "none";
  const select = el("symbol");
  const known = new Set([...select.options].map((o) => o.value));
  for (const s of data.symbols) {
    if (!known.has(s.symbol)) select.append(new Option(s.symbol, s.symbol));
  }
  const body = el("symbols").tBodies[0];
  const rows = data.symbols.map((s) => {
    const tr = document.createElement("tr");
    if (s.symbol === state.symbol) tr.className = "selected";
    tr.append(
      make("td", s.symbol),
      make("td", s.state),
      make("td", pct(s.barQuality), s.barQuality < 100 ? "bad" : ""),
      make("td", s.gaps.open, s.gaps.open > 0 ? "bad" : ""),
      make("td", s.gaps.filled),
      make("td", s.last ? formatTime(s.last.time) : "-"),
      make("td", s.last ? s.last.close.toFixed(2) : "-"),
      make("td", Math.round(s.volume).toLocaleString("en-US")),
    );
    tr.addEventListener("click", () => choose(s.symbol));
    return tr;
  });
  body.replaceChildren(...rows);
  if (!state.symbol && data.symbols.length > 0) choose(data.symbols[0].symbol);
}

async function refreshHealth() {
  try {
    const res = await fetch("/health", { credentials: "same-origin" });
    const h = await res.json();
    el("health").textContent = h.status;
    el("health").className = h.status === "ok" ? "" : "bad";
  } catch (err) {
    el("health").textContent = String(err.message);
  }
}

// ---- quality heatmap ----

function heatColor(q) {
  if (q === null) return "#f3f4f6";
  const hue = Math.max(0, Math.min(120, (q - 90) * 12));
  return `hsl(${hue}, 70%, 78%)`;
}

async function refreshHeatmap() {
  let data;
  try {
    data = await getJson("/api/quality");
  } catch {
    return;
  }
  const table = el("heatmap");
  const head = document.createElement("tr");
  head.append(make("th", "symbol"), ...data.dates.map((d) => make("th", d.slice(5))));
  table.tHead.replaceChildren(head);
  const rows = data.symbols.map((symbol, i) => {
    const tr = document.createElement("tr");
    tr.append(make("td", symbol));
    data.dates.forEach((date, j) => {
      const q = data.quality[i][j];
      const td = make("td", q === null ? "·" : q.toFixed(q === 100 ? 0 : 1));
      td.style.backgroundColor = heatColor(q);
      td.title = `${symbol} ${date}: ${q === null ? "not reached" : `${q}%, ${data.gaps[i][j]} gaps`}`;
      tr.append(td);
    });
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
}

// ---- wiring ----

function choose(symbol) {
  if (symbol === state.symbol) return;
  state.symbol = symbol;
  el("symbol").value = symbol;
  for (const tr of el("symbols").tBodies[0].rows) {
    tr.className = tr.cells[0].textContent === symbol ? "selected" : "";
  }
  loadChart();
}

el("symbol").addEventListener("change", (e) => choose(e.target.value));
el("interval").addEventListener("change", (e) => {
  state.interval = e.target.value;
  loadChart();
});
state.interval = el("interval").value;

refreshSymbols();
refreshHealth();
refreshHeatmap();
setInterval(refreshSymbols, 2000);
setInterval(refreshHealth, 5000);
setInterval(refreshHeatmap, 10000);
