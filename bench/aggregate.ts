import { DuckDBInstance } from "@duckdb/node-api";
import { batchCandles } from "candlestick-convert";
import { resampleOhlcv } from "ohlc-resample";
import { DerivedBarBuilder, deriveBars } from "../src/aggregate/index.js";
import { getCalendar } from "../src/calendar/index.js";
import { detectGaps } from "../src/gaps/index.js";
import { BarSeries } from "../src/model/series.js";
import { MINUTE_MS } from "../src/model/time.js";
import { type BenchGroup, type Figure, medianMicros, medianMicrosAsync } from "./harness.js";

type Row = [number, number, number, number, number, number];

/** One full XNYS session of deterministic one-minute bars (2013-10-07, 390 bars). */
function session390() {
  const xnys = getCalendar("XNYS");
  const session = xnys.sessionOn("2013-10-07")!;
  const bars = new BarSeries("SPY", "1m", 390);
  let price = 167.43;
  let seed = 7;
  for (let t = session.open; t < session.close; t += MINUTE_MS) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const open = price;
    const close = Math.round((price + ((seed % 21) - 10) / 100) * 100) / 100;
    const high = Math.round((Math.max(open, close) + (seed % 7) / 100) * 100) / 100;
    const low = Math.round((Math.min(open, close) - (seed % 5) / 100) * 100) / 100;
    bars.push(t, open, high, low, close, 100_000 + (seed % 50_000));
    price = close;
  }
  return { xnys, session, bars };
}

function rowsOf(s: BarSeries): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < s.length; i++)
    out.push([s.time[i], s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]]);
  return out;
}

function assertSame(what: string, got: Row[], want: Row[]): void {
  const a = JSON.stringify(got);
  const b = JSON.stringify(want);
  if (a !== b)
    throw new Error(`${what}: output differs from deriveBars\n${a.slice(0, 300)}\n${b.slice(0, 300)}`);
}

/** "name 8.2x slower" (or faster): a peer's time against ours. */
function slower(name: string, peer: number, ours: number): string {
  const r = peer / ours;
  const fmt = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));
  return r >= 1 ? `${name} ${fmt(r)}x slower` : `${name} ${fmt(1 / r)}x faster`;
}

/**
 * Gap detection and derived bars on one 390-bar session, with ohlc-resample,
 * candlestick-convert and a DuckDB `time_bucket` query on the same input in the same run;
 * every peer's output is checked equal to ours before it is timed.
 */
async function run(): Promise<Figure[]> {
  const { xnys, session, bars } = session390();

  // Gap detection: the session with a few gaps (7 minutes in 3 ranges).
  const missing = new Set([12, 13, 14, 200, 201, 388, 389]);
  const present = new Float64Array(390 - missing.size);
  for (let i = 0, k = 0; i < 390; i++) if (!missing.has(i)) present[k++] = bars.time[i];
  const expected = xnys.expectedMinutes(session);
  const report = detectGaps(present, present.length, expected, session.close);
  if (report.gaps.length !== 3 || report.present !== 383)
    throw new Error("gap detection found the wrong gaps");
  const gapDetect = await medianMicros(
    () => detectGaps(present, present.length, expected, session.close),
    200,
  );

  // Derived bars 390 -> 78 five-minute bars.
  const ours = deriveBars(bars, "5m", xnys);
  if (ours.length !== 78) throw new Error(`deriveBars made ${ours.length} bars, not 78`);
  const want = rowsOf(ours);
  const derive = await medianMicros(() => deriveBars(bars, "5m", xnys), 200);
  const into = new BarSeries("SPY", "5m", 128);
  const deriveInto = await medianMicros(() => deriveBars(bars, "5m", xnys, { into }), 200);

  const builder = new DerivedBarBuilder("SPY", "5m", xnys, { capacity: 128 });
  const incremental = () => {
    builder.reset();
    const { time, open, high, low, close, volume } = bars;
    for (let i = 0; i < bars.length; i++) builder.add(time[i], open[i], high[i], low[i], close[i], volume[i]);
    builder.flushUpTo(session.close);
    return builder.series.length;
  };
  incremental();
  assertSame("DerivedBarBuilder", rowsOf(builder.series), want);
  const deriveIncremental = await medianMicros(incremental, 200);

  const input = rowsOf(bars);
  assertSame("ohlc-resample", resampleOhlcv(input, { baseTimeframe: 60, newTimeframe: 300 }) as Row[], want);
  const ohlcResample = await medianMicros(
    () => resampleOhlcv(input, { baseTimeframe: 60, newTimeframe: 300 }),
    200,
  );

  assertSame("candlestick-convert", batchCandles(input, 60, 300) as Row[], want);
  const candlestick = await medianMicros(() => batchCandles(input, 60, 300), 200);

  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run(
    "create table bars (ts timestamp, open double, high double, low double, close double, volume double)",
  );
  await con.run(
    `insert into bars values ${input.map((r) => `(epoch_ms(${r[0]}::bigint), ${r.slice(1).join(", ")})`).join(", ")}`,
  );
  const sql = `select epoch_ms(time_bucket(interval 5 minute, ts, timestamp '2013-10-07 13:30:00')) as t,
      arg_min(open, ts), max(high), min(low), arg_max(close, ts), sum(volume)
    from bars group by t order by t`;
  const duckRows = async () => (await con.runAndReadAll(sql)).getRows().map((r) => r.map(Number) as Row);
  assertSame("DuckDB time_bucket", await duckRows(), want);
  const duck = await medianMicrosAsync(duckRows, 300);
  con.closeSync();

  const peers = (ours: number) =>
    [
      slower("ohlc-resample", ohlcResample, ours),
      slower("candlestick-convert", candlestick, ours),
      slower("DuckDB time_bucket", duck, ours),
    ].join(", ");
  return [
    {
      name: "gapDetect390Micros",
      value: gapDetect,
      unit: "us",
      note: "target < 20 us; 390-bar session, 3 gaps",
    },
    {
      name: "derive390to78Micros",
      value: derive,
      unit: "us",
      note: `target < 20 us; new output series each call; ${peers(derive)}`,
    },
    {
      name: "derive390to78IntoMicros",
      value: deriveInto,
      unit: "us",
      note: `into a reused series (no column allocation); ${peers(deriveInto)}`,
    },
    {
      name: "deriveIncremental390Micros",
      value: deriveIncremental,
      unit: "us",
      note: "390 add() calls + flush",
    },
    {
      name: "ohlcResample390Micros",
      value: ohlcResample,
      unit: "us",
      note: "peer: ohlc-resample resampleOhlcv",
    },
    {
      name: "candlestickConvert390Micros",
      value: candlestick,
      unit: "us",
      note: "peer: candlestick-convert batchCandles",
    },
    {
      name: "duckdbTimeBucket390Micros",
      value: duck,
      unit: "us",
      note: "peer: in-memory DuckDB time_bucket query",
    },
  ];
}

const group: BenchGroup = { name: "aggregate", run };
export default group;
