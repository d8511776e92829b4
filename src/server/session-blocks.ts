import { LRUCache } from "lru-cache";
import type { MinuteBars } from "../aggregate/index.js";
import type { Session } from "../calendar/types.js";
import type { Repository } from "../store/types.js";
import { groupByCode, pauser, readCoded } from "./coded-read.js";
import type { ReadLimiter } from "./read-limit.js";

/** One session's stored one-minute bars of every symbol (pre-market to after-hours), by symbol. */
export interface SessionBlock {
  session: Session;
  /** The rows of each symbol: [start, end) into the columns, in time order. */
  ranges: Map<string, { start: number; end: number }>;
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  flags: Uint8Array;
}

/** Bytes a block holds per row (six float64 columns and the flags). */
const ROW_BYTES = 49;
const CHUNK_ROWS = 2048;

/** One symbol's one-minute bars as columns, as `deriveBars` and `detectGaps` take them. */
export interface SymbolMinutes extends MinuteBars {
  readonly symbol: string;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  readonly flags: Uint8Array;
}

/** A symbol's bars in a block (views, no copy). */
export function symbolBars(block: SessionBlock, symbol: string): SymbolMinutes {
  const r = block.ranges.get(symbol) ?? { start: 0, end: 0 };
  const view = (c: Float64Array) => c.subarray(r.start, r.end);
  return {
    length: r.end - r.start,
    time: view(block.time),
    open: view(block.open),
    high: view(block.high),
    low: view(block.low),
    close: view(block.close),
    volume: view(block.volume),
    flags: block.flags.subarray(r.start, r.end),
    symbol,
  };
}

/**
 * Whole sessions of stored one-minute bars kept in memory for the API: point reads of one
 * symbol cost a scan of the session in the store (tens of ms in DuckDB), so the first request
 * touching a session reads it once for every symbol (one read through the limiter: off the
 * main thread where the store can, else streamed; placed chunk by chunk with yields to the
 * event loop), and later ones slice it. Kept
 * `ttlMs` (another process may write the store), at most `maxBytes` of them, least recently
 * used first; concurrent requests for the same session share one read.
 */
export class SessionBlocks {
  private readonly blocks: LRUCache<string, SessionBlock>;
  private readonly loading = new Map<string, Promise<SessionBlock>>();

  constructor(
    private readonly repository: Repository,
    /** The symbols a block holds: every symbol the store holds. */
    private readonly storedSymbols: () => Promise<Iterable<string>>,
    private readonly limiter: ReadLimiter,
    ttlMs: number,
    readonly maxBytes = 256 << 20,
  ) {
    this.blocks = new LRUCache({ ttl: ttlMs, maxSize: maxBytes });
  }

  /** The block of a session when kept, without reading. */
  kept(date: string): SessionBlock | undefined {
    return this.blocks.get(date);
  }

  /** The block of a session, read when not kept. */
  async get(session: Session): Promise<SessionBlock> {
    const key = session.date;
    const kept = this.blocks.get(key);
    if (kept) return kept;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.limiter.run(() => this.read(session)).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async read(session: Session): Promise<SessionBlock> {
    const symbols = [...(await this.storedSymbols())];
    const query = { symbols, interval: "1m", from: session.preOpen, to: session.postClose };
    const chunks = await readCoded(this.repository, query, CHUNK_ROWS);
    // Each symbol's rows placed at its next slot: rows come in (time, symbol) order, so each
    // symbol's stay in time order.
    const { start, count, rows } = groupByCode(chunks, symbols.length);
    const ranges = new Map<string, { start: number; end: number }>();
    symbols.forEach((symbol, k) => {
      if (count[k] > 0) ranges.set(symbol, { start: start[k], end: start[k] + count[k] });
    });
    const at = start.slice();
    const block: SessionBlock = {
      session,
      ranges,
      time: new Float64Array(rows),
      open: new Float64Array(rows),
      high: new Float64Array(rows),
      low: new Float64Array(rows),
      close: new Float64Array(rows),
      volume: new Float64Array(rows),
      flags: new Uint8Array(rows),
    };
    const pause = pauser();
    for (const c of chunks) {
      for (let from = 0; from < c.length; from += CHUNK_ROWS) {
        const end = Math.min(c.length, from + CHUNK_ROWS);
        for (let i = from; i < end; i++) {
          const k = at[c.code[i]]++;
          block.time[k] = c.time[i];
          block.open[k] = c.open[i];
          block.high[k] = c.high[i];
          block.low[k] = c.low[i];
          block.close[k] = c.close[i];
          block.volume[k] = c.volume[i];
          block.flags[k] = c.flags[i];
        }
        await pause();
      }
    }
    this.blocks.set(session.date, block, { size: Math.max(1, rows * ROW_BYTES + ranges.size * 64) });
    return block;
  }
}
