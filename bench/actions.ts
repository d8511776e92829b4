import { planBars, tickerPlan } from "../src/actions/security-bars.js";
import { getCalendar } from "../src/calendar/index.js";
import { generateBars } from "../src/ingest/generate.js";
import { allocBarColumns } from "../src/model/bar.js";
import { pickColumns } from "../src/model/columns.js";
import { type BenchGroup, type Figure, medianMicros } from "./harness.js";

const COLUMNS = ["time", "open", "high", "low", "close", "volume", "trades", "vwap", "flags"] as const;

/**
 * A replay's read of one session of 400 symbols (156,000 one-minute rows) across a rename: one
 * symbol stored under its old ticker ZZOLD, so each minute's rows come back out of symbol order
 * and are put back; beside a plain copy of the same columns (`pickColumns` of every row: the floor of any remap).
 */
const group: BenchGroup = {
  name: "actions",
  async run(): Promise<Figure[]> {
    const xnys = getCalendar("XNYS");
    const session = xnys.sessionOn("2024-01-02")!;
    const bars = generateBars({ symbols: 400, days: 1, seed: 3 })[0].bars;
    // As the store returns SYM001's rows stored as ZZOLD: ordered by (time, ticker).
    const order = Array.from({ length: bars.length }, (_, i) => i);
    const ticker = (i: number) => (bars.symbol[i] === "SYM001" ? "ZZOLD" : bars.symbol[i]);
    order.sort((a, b) => bars.time[a] - bars.time[b] || (ticker(a) < ticker(b) ? -1 : 1));
    const read = allocBarColumns(bars.length);
    order.forEach((i, n) => {
      read.symbol[n] = ticker(i);
      for (const c of COLUMNS) read[c][n] = bars[c][i];
    });
    read.length = bars.length;
    const symbols = [...new Set(bars.symbol)];
    const renamed = [
      { ticker: "ZZOLD", from: "0000-00-00", to: "2024-01-02" },
      { ticker: "SYM001", from: "2024-01-03", to: "9999-99-99" },
    ];
    const spans = (s: string) => (s === "SYM001" ? renamed : undefined);
    const remap = () =>
      planBars(read, tickerPlan(symbols, spans, session.open, session.close, xnys.timeZone)!);
    const all = Array.from({ length: read.length }, (_, i) => i);
    const floor = await medianMicros(() => pickColumns(read, all));
    const across = await medianMicros(remap);
    return [
      {
        name: "actions.renamedSessionRead",
        value: across / 1000,
        unit: "ms",
        note: `156,000 rows, 1 of 400 renamed; column copy ${(floor / 1000).toFixed(1)} ms: ${(across / floor).toFixed(2)}x`,
      },
    ];
  },
};

export default group;
