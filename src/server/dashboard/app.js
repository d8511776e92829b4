// The tickwright dashboard: symbols table, a candlestick chart updated live from
// /api/events with missing minutes shaded and filled ones marked, the gaps table, a quality
// heatmap over the replayed range and health per component. Everything shown is set with
// textContent (never innerHTML), so nothing a symbol or event carries can become markup.

const LWC = window.LightweightCharts;
const CHART_BARS = 500;
const MINUTE_MS = 60_000;
/** BarFlag.Filled: a bar filled in from a bar source after its gap was found. */
const FILLED = 1;
const INTERVAL_MINUTES = { "1m": 1, "5m": 5, "15m": 15, "30m": 30, "60m": 60, "1d": 1440 };
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
  /** Gaps of the chart's symbol, as /api/gaps last gave them. */
  gaps: [],
  /** Bars on the chart (time ms -> bar), for markers of filled bars. */
  bars: new Map(),
  /** Session shown in the table (its date), whose heatmap column the table's figures replace. */
  tableSession: null,
  tableCells: new Map(),
};

/** Percent of expected minutes present, to two decimals, as the server rounds it; null when none expected. */
function quality(present, expected) {
  return expected > 0 ? Math.round((present / expected) * 10_000) / 100 : null;
}
/** The text a quality figure shows as, in the table and the heatmap alike. */
function qualityText(q) {
  return q === null || q === undefined ? "-" : `${q.toFixed(q === 100 ? 0 : 1)}%`;
}

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
// Missing minutes: full-height translucent columns on a scale of their own.
const missingSeries = chart.addSeries(LWC.HistogramSeries, {
  priceScaleId: "missing",
  color: "rgba(220, 38, 38, 0.18)",
  lastValueVisible: false,
  priceLineVisible: false,
  base: 0,
});
missingSeries.priceScale().applyOptions({ scaleMargins: { top: 0, bottom: 0 }, visible: false });
const markers = LWC.createSeriesMarkers(candleSeries, []);

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
  const filled = (b.flags & FILLED) !== 0;
  if (filled || state.bars.has(b.time)) {
    state.bars.set(b.time, b);
    drawGaps();
  }
  markChart();
}

/** Start of the chart bucket holding minute `t` (session-anchored for intraday, as the engine builds them). */
function bucketOf(t, gap) {
  const minutes = INTERVAL_MINUTES[state.interval] ?? 1;
  if (minutes >= 1440) {
    let best = null;
    for (const time of state.bars.keys()) if (time <= t && (best === null || time > best)) best = time;
    return best ?? gap.sessionOpen;
  }
  const size = minutes * MINUTE_MS;
  return gap.sessionOpen + Math.floor((t - gap.sessionOpen) / size) * size;
}

/**
 * Shades the buckets holding missing minutes (open, retrying or abandoned gaps) and marks
 * the bars holding filled ones. data-shaded and data-filled count the minutes drawn.
 */
function drawGaps() {
  const first = state.bars.size > 0 ? Math.min(...state.bars.keys()) : Number.POSITIVE_INFINITY;
  const shaded = new Map();
  let shadedMinutes = 0;
  let filledMinutes = 0;
  const filledBuckets = new Set();
  for (const g of state.gaps) {
    for (let t = g.start; t < g.end; t += MINUTE_MS) {
      const bucket = bucketOf(t, g);
      if (bucket < first || t + MINUTE_MS > state.clock) continue;
      if (g.state === "filled") {
        filledMinutes++;
        filledBuckets.add(bucket);
      } else {
        shadedMinutes++;
        shaded.set(bucket, { time: bucket / 1000, value: 1 });
      }
    }
  }
  for (const [time, b] of state.bars) if ((b.flags & FILLED) !== 0) filledBuckets.add(time);
  missingSeries.setData([...shaded.values()].sort((a, b) => a.time - b.time));
  markers.setMarkers(
    [...filledBuckets]
      .filter((t) => state.bars.has(t))
      .sort((a, b) => a - b)
      .map((t) => ({
        time: t / 1000,
        position: "belowBar",
        shape: "circle",
        color: "#2563eb",
        text: "filled",
      })),
  );
  const node = el("chart");
  node.dataset.shaded = String(shadedMinutes);
  node.dataset.filled = String(filledMinutes);
}

async function loadChart() {
  const { symbol, interval } = state;
  if (!symbol) return;
  state.loading = true;
  state.pending = [];
  openEvents();
  const q = new URLSearchParams({ symbol, interval, n: String(CHART_BARS) });
  try {
    const [data, gaps] = await Promise.all([
      getJson(`/api/bars?${q}`),
      getJson(`/api/gaps?${new URLSearchParams({ symbol })}`),
    ]);
    if (symbol !== state.symbol || interval !== state.interval) return;
    candleSeries.setData(data.bars.map(candle));
    volumeSeries.setData(data.bars.map(volumeBar));
    state.bars = new Map(data.bars.map((b) => [b.time, b]));
    state.gaps = gaps.gaps;
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
  drawGaps();
  markChart();
  // A new symbol or interval: show all of it, whatever was zoomed before.
  chart.timeScale().fitContent();
  el("chart").dataset.fitted = `${symbol} ${interval}`;
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
    } else if (e.type === "gap" || e.type === "gapFilled" || e.type === "gapAbandoned") {
      soon(refreshGaps);
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
  el("note").textContent = data.note ?? "";
  const select = el("symbol");
  const known = new Set([...select.options].map((o) => o.value));
  for (const s of data.symbols) {
    if (!known.has(s.symbol)) select.append(new Option(s.symbol, s.symbol));
  }
  const body = el("symbols").tBodies[0];
  state.tableSession = data.session;
  state.tableCells = new Map();
  const rows = data.symbols.map((s) => {
    const tr = document.createElement("tr");
    if (s.symbol === state.symbol) tr.className = "selected";
    const q = quality(s.present, s.expected);
    state.tableCells.set(s.symbol, { quality: q, gaps: null });
    const qCell = make("td", qualityText(q), q !== null && q < 100 ? "bad" : "");
    qCell.dataset.quality = q === null ? "" : String(q);
    tr.append(
      make("td", s.symbol),
      make("td", s.state),
      qCell,
      make("td", s.gaps.open, s.gaps.open > 0 ? "bad" : ""),
      make("td", s.gaps.filled),
      make("td", s.gaps.abandoned, s.gaps.abandoned > 0 ? "bad" : ""),
      make("td", s.last ? formatTime(s.last.time) : "-"),
      make("td", s.last ? s.last.close.toFixed(2) : "-"),
      make("td", Math.round(s.volume).toLocaleString("en-US")),
    );
    tr.addEventListener("click", () => choose(s.symbol));
    return tr;
  });
  body.replaceChildren(...rows);
  patchHeatmap();
  if (!state.symbol && data.symbols.length > 0) choose(data.symbols[0].symbol);
}

/** What each component's line says beside its status. */
const COMPONENTS = [
  [
    "store",
    (d) => `${d.kind}, ${d.reads} reads, ${d.failures} failed${d.lastError ? `: ${d.lastError}` : ""}`,
  ],
  [
    "feed",
    (d) =>
      d.kind === "live"
        ? `live, ${d.state ?? "?"}${d.detail ? ` (${d.detail})` : ""}`
        : `store replay, ${d.state}`,
  ],
  [
    "upkeep",
    (d) =>
      d.enabled === false
        ? "off"
        : `${d.openGaps} open gaps, ${d.gapsFilled} filled, ${d.gapsAbandoned} abandoned${d.lastError ? `; ${d.lastError}` : ""}`,
  ],
  [
    "prefetch",
    (d) => {
      const last = d.sessions?.[d.sessions.length - 1];
      return d.enabled === false ? "off" : last ? `${last.date} ${last.state}` : "nothing yet";
    },
  ],
  ["boundaries", (d) => (d.next ? `next ${d.next.type} ${formatTime(d.next.at)}` : "none ahead")],
  ["eventLoop", (d) => `lag p99 ${Number(d.lagMs?.p99 ?? 0).toFixed(1)} ms`],
];

async function refreshHealth() {
  let h;
  try {
    const res = await fetch("/health", { credentials: "same-origin" });
    h = await res.json();
  } catch (err) {
    el("health").textContent = String(err.message);
    return;
  }
  el("health").textContent = h.status;
  el("health").className = h.status === "ok" ? "" : "bad";
  const note = h.components?.engine?.details?.note;
  if (note !== undefined) el("note").textContent = note;
  const items = COMPONENTS.map(([name, describe]) => {
    const c = h.components?.[name];
    const li = document.createElement("li");
    li.dataset.component = name;
    li.dataset.status = c ? c.status : "unknown";
    li.append(
      make("span", name === "eventLoop" ? "event loop" : name),
      make("span", c ? c.status : "-", "status"),
    );
    li.append(make("span", c ? describe(c.details) : "", "note"));
    return li;
  });
  el("components").replaceChildren(...items);
}

// ---- gaps table ----

async function refreshGaps() {
  let data;
  try {
    data = await getJson("/api/gaps");
  } catch {
    return;
  }
  const rows = data.gaps.map((g) => {
    const tr = document.createElement("tr");
    const stateCell = make("td", g.state);
    stateCell.dataset.state = g.state;
    tr.dataset.symbol = g.symbol;
    tr.dataset.session = g.session;
    tr.append(
      make("td", g.symbol),
      make("td", g.session),
      make("td", formatTime(g.start)),
      make("td", formatTime(g.end)),
      make("td", g.count),
      stateCell,
      make("td", g.retries),
    );
    return tr;
  });
  el("gaps").tBodies[0].replaceChildren(...rows);
  const mine = data.gaps.filter((g) => g.symbol === state.symbol);
  if (mine.length !== state.gaps.length || mine.some((g, i) => g.state !== state.gaps[i]?.state)) {
    state.gaps = mine;
    drawGaps();
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
      const td = document.createElement("td");
      td.dataset.symbol = symbol;
      td.dataset.date = date;
      setHeatCell(td, data.quality[i][j], data.gaps[i][j]);
      tr.append(td);
    });
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
  patchHeatmap();
}

function setHeatCell(td, q, gaps) {
  td.textContent = q === null ? "·" : qualityText(q).replace("%", "");
  td.dataset.quality = q === null ? "" : String(q);
  td.dataset.gaps = String(gaps);
  td.style.backgroundColor = heatColor(q);
  td.title = `${td.dataset.symbol} ${td.dataset.date}: ${q === null ? "not reached" : `${q}%, ${gaps} gaps`}`;
}

/** The table's session column of the heatmap shows the table's own figures (the same numbers, the same moment). */
function patchHeatmap() {
  if (!state.tableSession) return;
  for (const td of el("heatmap").querySelectorAll("td[data-date]")) {
    if (td.dataset.date !== state.tableSession) continue;
    const cell = state.tableCells.get(td.dataset.symbol);
    if (cell) setHeatCell(td, cell.quality, Number(td.dataset.gaps));
  }
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

// /api/symbols names the exchange's time zone, in which every other part shows its times, so
// it is asked first: health, gaps and heatmap shown before it would give their times in UTC.
refreshSymbols().finally(() => {
  refreshHealth();
  refreshHeatmap();
  refreshGaps();
});
setInterval(refreshSymbols, 2000);
setInterval(refreshHealth, 5000);
setInterval(refreshHeatmap, 10000);
setInterval(refreshGaps, 5000);
