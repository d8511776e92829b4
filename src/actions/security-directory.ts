import { codeBars } from "../store/index.js";
import type { CorporateAction, RangeQuery, Repository } from "../store/types.js";
import { planBars, planRows, type TickerPlan, tickerPlan } from "./security-bars.js";
import { type SecurityHistory, securityHistories } from "./tickers.js";

/** The reads a replay makes of stored data. */
export type StoredData = Pick<Repository, "readBars" | "readQuotes" | "readTicks" | "readCodedBars">;

/**
 * Securities known by their current tickers: each one's history (tickers per date range,
 * splits and dividends), read from the store once per symbol, in bulk, and kept; and reads
 * of stored data by current ticker across renames, so a renamed security is one continuous
 * symbol. When none of the symbols read was ever renamed, reads pass straight through.
 */
export class SecurityDirectory {
  private readonly histories = new Map<string, SecurityHistory>();
  private readonly asked = new Set<string>();
  private loading: Promise<void> = Promise.resolve();
  /** Loaded symbols with at least one rename. */
  private renamed = 0;

  constructor(
    private readonly repository: Pick<Repository, "readActions">,
    private readonly timeZone: string,
  ) {}

  /** Reads the histories of the symbols not read yet (one read per step back through renames). */
  async load(symbols: readonly string[]): Promise<void> {
    const missing = [...new Set(symbols)].filter((s) => !this.asked.has(s));
    if (missing.length > 0) {
      for (const s of missing) this.asked.add(s);
      this.loading = this.loading.then(async () => {
        for (const [symbol, h] of await securityHistories(this.repository, missing)) {
          this.histories.set(symbol, h);
          if (h.renames.length > 0) this.renamed++;
        }
      });
    }
    if (this.histories.size < this.asked.size) await this.loading;
  }

  /** A loaded symbol's history; undefined before `load`. */
  history(symbol: string): SecurityHistory | undefined {
    return this.histories.get(symbol);
  }

  /** A loaded symbol's renames with an ex-date in (after, upTo]. */
  renamesIn(symbol: string, after: string, upTo: string): CorporateAction[] {
    return (this.histories.get(symbol)?.renames ?? []).filter((a) => a.date > after && a.date <= upTo);
  }

  /**
   * `inner`'s reads by current ticker: a symbol's rows dated before a rename are those stored
   * under the ticker it had then, named by the symbol; rows come back ordered by (time, symbol).
   */
  reader(inner: StoredData): StoredData {
    return {
      readBars: async (q) => {
        const plan = await this.plan(q);
        return plan
          ? planBars(await inner.readBars({ ...q, symbols: plan.tickers }), plan)
          : inner.readBars(q);
      },
      readQuotes: async (q) => {
        const plan = await this.plan(q);
        return plan
          ? planRows(await inner.readQuotes({ ...q, symbols: plan.tickers }), plan)
          : inner.readQuotes(q);
      },
      readTicks: async (q) => {
        const plan = await this.plan(q);
        return plan
          ? planRows(await inner.readTicks({ ...q, symbols: plan.tickers }), plan)
          : inner.readTicks(q);
      },
      readCodedBars: inner.readCodedBars
        ? async (q, codes, fields, placed) => {
            const plan = await this.plan(q);
            if (!plan) return inner.readCodedBars!(q, codes, fields, placed);
            const bars = planBars(await inner.readBars({ ...q, symbols: plan.tickers }), plan);
            return codeBars(bars, q.symbols, codes);
          }
        : undefined,
    };
  }

  /** The tickers a read of these symbols and times needs; null for a plain read. */
  private async plan(q: RangeQuery): Promise<TickerPlan | null> {
    if (q.symbols.length === 0) return null;
    await this.load(q.symbols);
    if (this.renamed === 0) return null;
    return tickerPlan(q.symbols, (s) => this.histories.get(s)?.spans, q.from, q.to, this.timeZone);
  }
}
