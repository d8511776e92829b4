/**
 * A small strategy on tickwright: a five-minute moving-average crossover that trades only on
 * clean data. It shows the three things a strategy uses:
 *  - events: `engine.on("bar")` for each completed bar, `"close"` at the session close,
 *    `"gap"` when upkeep finds missing minutes;
 *  - `engine.session.lastBars(symbol, n, interval)`: the last n completed bars, reaching into
 *    earlier sessions when today has fewer;
 *  - `engine.session.metrics(symbol)`: bar quality and open gaps of the session so far.
 *
 * Run after `npm run build`:
 *   node dist/examples/strategy.js                       # generated data in memory
 *   node dist/examples/strategy.js --db market.duckdb --symbols SPY --from 2013-10-07 --to 2013-10-11
 */
import { pathToFileURL } from "node:url";
import {
  allocBarColumns,
  type Calendar,
  createEngine,
  getCalendar,
  openRepository,
  type Repository,
} from "tickwright";

/** Fast and slow moving-average lengths, in five-minute bars. */
const FAST = 5;
const SLOW = 20;
/** Trade a symbol only while this share of its expected minutes is present. */
const MIN_QUALITY = 99;

/** What a run did, per symbol and in all. */
export interface StrategyResult {
  sessions: number;
  /** Five-minute bars seen. */
  bars: number;
  /** Round trips (buy then sell). */
  trades: number;
  /** Signals ignored because the symbol's data was not clean enough. */
  skippedForQuality: number;
  /** Gaps upkeep reported. */
  gaps: number;
  /** Realized profit per symbol, one share per trade, in price units (rounded to cents). */
  pnl: Record<string, number>;
}

/** Options of runStrategy. */
export interface StrategyOptions {
  /** An open repository to replay (the generated one, or a real store). */
  repository: Repository;
  calendar?: Calendar;
  symbols: string[];
  from: string;
  to: string;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const cents = (x: number) => Math.round(x * 100) / 100;

/** Replays the stored bars through the strategy; deterministic. */
export async function runStrategy(opts: StrategyOptions): Promise<StrategyResult> {
  const engine = await createEngine(
    { symbols: opts.symbols, from: opts.from, to: opts.to, derived: { intervals: ["5m"] } },
    { repository: opts.repository, calendar: opts.calendar ?? getCalendar("XNYS") },
  );
  const entry = new Map<string, number>();
  const pnl: Record<string, number> = Object.fromEntries(opts.symbols.map((s) => [s, 0]));
  let bars = 0;
  let trades = 0;
  let skippedForQuality = 0;
  let gaps = 0;

  engine.on("bar", (bar) => {
    if (bar.interval !== "5m") return;
    bars++;
    const history = engine.session.lastBars(bar.symbol, SLOW, "5m");
    if (history.length < SLOW) return;
    const closes = history.map((b) => b.close);
    const long = mean(closes.slice(-FAST)) > mean(closes);
    const holding = entry.has(bar.symbol);
    if (long === holding) return;
    const m = engine.session.metrics(bar.symbol);
    if (m.barQuality < MIN_QUALITY || m.gaps.open > 0) {
      skippedForQuality++;
      return;
    }
    if (long) {
      entry.set(bar.symbol, bar.close);
    } else {
      pnl[bar.symbol] += bar.close - entry.get(bar.symbol)!;
      entry.delete(bar.symbol);
      trades++;
    }
  });

  // Flat at every close: sell what is held at the last one-minute close.
  engine.on("close", () => {
    for (const [symbol, price] of entry) {
      const last = engine.session.latest(symbol).bar;
      if (last) pnl[symbol] += last.close - price;
      trades++;
    }
    entry.clear();
  });

  engine.on("gap", () => {
    gaps++;
  });

  const summary = await engine.run();
  await engine.close();
  for (const s of Object.keys(pnl)) pnl[s] = cents(pnl[s]);
  return { sessions: summary.sessions, bars, trades, skippedForQuality, gaps, pnl };
}

/**
 * Stores a deterministic random walk of one-minute bars for `symbols` over the XNYS sessions
 * dated [from, to] (regular hours), leaving out the minutes listed in `skip` (`SYMBOL@date#index`).
 */
export async function storeWalk(
  repository: Repository,
  symbols: string[],
  from: string,
  to: string,
  skip: ReadonlySet<string> = new Set(),
): Promise<void> {
  const xnys = getCalendar("XNYS");
  for (const [k, symbol] of symbols.entries()) {
    let seed = 7919 * (k + 1);
    let price = 50 + 25 * k;
    for (const session of xnys.sessions(from, to)) {
      const minutes = xnys.expectedMinutes(session);
      const c = allocBarColumns(minutes.length);
      let row = 0;
      minutes.forEach((t, i) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        const open = price;
        const close = Math.max(1, cents(open + ((seed % 41) - 20) / 100));
        price = close;
        if (skip.has(`${symbol}@${session.date}#${i}`)) return;
        c.symbol[row] = symbol;
        c.time[row] = t;
        c.open[row] = open;
        c.high[row] = cents(Math.max(open, close) + (seed % 9) / 100);
        c.low[row] = cents(Math.min(open, close) - (seed % 7) / 100);
        c.close[row] = close;
        c.volume[row] = 100 + (seed % 5000);
        row++;
      });
      c.length = row;
      await repository.writeBars("1m", c);
    }
  }
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const db = arg("--db");
  const repository = await openRepository(db ?? ":memory:", { create: false });
  let symbols = (arg("--symbols") ?? "").split(",").filter(Boolean);
  let from = arg("--from") ?? "2024-03-04";
  const to = arg("--to") ?? "2024-03-08";
  if (!db) {
    symbols = ["AAA", "BBB", "CCC"];
    await storeWalk(repository, symbols, "2024-02-26", to);
    from = "2024-03-04";
  } else if (symbols.length === 0) {
    symbols = await repository.symbols("1m");
  }
  try {
    const r = await runStrategy({ repository, symbols, from, to });
    process.stdout.write(
      `${r.sessions} sessions, ${r.bars} five-minute bars, ${r.trades} trades, ${r.skippedForQuality} signals skipped for quality, ${r.gaps} gaps\n`,
    );
    for (const [symbol, p] of Object.entries(r.pnl))
      process.stdout.write(`  ${symbol.padEnd(8)} ${p.toFixed(2)}\n`);
  } finally {
    await repository.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
