import type { Calendar } from "../calendar/types.js";
import type { Engine } from "../engine/engine.js";
import type { GapEvent } from "../engine/types.js";
import type { DateString } from "../model/time.js";
import type { TrackedGap } from "../upkeep/index.js";

/** One gap of one symbol (a run of missing one-minute bars), with the session it lies in. */
export interface GapRecord extends Omit<TrackedGap, "resolvedAt" | "lastError"> {
  /** The session the gap lies in. */
  session: DateString;
  /** That session's regular open, epoch ms (where its intraday buckets are anchored). */
  sessionOpen: number;
  /** Clock time it was filled or given up. */
  resolvedAt: number | null;
}

/** The most gaps kept; past it the oldest are forgotten. */
export const MAX_GAPS_KEPT = 50_000;

/**
 * Every gap the engine reported, over the whole run: upkeep forgets resolved gaps when a new
 * session starts, so the server keeps their record from the gap events (found, filled,
 * abandoned), and takes the state and retries of gaps still being worked on from upkeep
 * itself (a gap between attempts is `retrying`, which no event announces).
 */
export class GapLog {
  private readonly bySymbol = new Map<string, GapRecord[]>();
  private size = 0;
  private readonly order: GapRecord[] = [];
  private readonly off: () => void;

  constructor(
    private readonly engine: Engine,
    private readonly calendar: Calendar,
  ) {
    this.off = engine.onAny((e) => {
      if (e.type === "gap" || e.type === "gapFilled" || e.type === "gapAbandoned") this.note(e);
    });
  }

  /** Stops listening. */
  close(): void {
    this.off();
  }

  /** Gaps of a symbol (or all), oldest first, with their current state. */
  gaps(symbol?: string): GapRecord[] {
    const symbols = symbol === undefined ? [...this.bySymbol.keys()].sort() : [symbol];
    const out: GapRecord[] = [];
    for (const s of symbols) {
      const list = this.bySymbol.get(s);
      if (!list) continue;
      const live = new Map((this.engine.upkeep?.gapsOf(s) ?? []).map((g) => [g.start, g]));
      for (const g of list) {
        const u = live.get(g.start);
        out.push(
          u
            ? {
                ...g,
                end: u.end,
                count: u.count,
                state: u.state,
                retries: u.retries,
                resolvedAt: u.resolvedAt ?? g.resolvedAt,
              }
            : { ...g },
        );
      }
    }
    return out;
  }

  /** How many gaps of a symbol lie in a session. */
  count(symbol: string, session: DateString): number {
    let n = 0;
    for (const g of this.bySymbol.get(symbol) ?? []) if (g.session === session) n++;
    return n;
  }

  private note(e: GapEvent): void {
    let list = this.bySymbol.get(e.symbol);
    if (!list) this.bySymbol.set(e.symbol, (list = []));
    if (e.type === "gap") {
      // Minutes continuing a gap upkeep still holds join it (the event names only the new minutes).
      const host = this.engine.upkeep?.gapsOf(e.symbol).find((g) => g.start < e.start && e.start < g.end);
      const joined = host && list.find((r) => r.start === host.start);
      if (host && joined) {
        joined.end = host.end;
        joined.count = host.count;
        return;
      }
      const session = this.calendar.sessionAt(e.start, true);
      const record: GapRecord = {
        symbol: e.symbol,
        session: session?.date ?? "",
        sessionOpen: session?.open ?? e.start,
        start: e.start,
        end: e.end,
        count: e.count,
        state: "open",
        retries: 0,
        foundAt: e.at,
        resolvedAt: null,
      };
      list.push(record);
      this.order.push(record);
      if (++this.size > MAX_GAPS_KEPT) this.forgetOldest();
      return;
    }
    const g = list.find((r) => r.start === e.start);
    if (!g) return;
    g.end = e.end;
    g.count = e.count;
    g.retries = e.retries;
    g.state = e.type === "gapFilled" ? "filled" : "abandoned";
    g.resolvedAt = e.at;
  }

  private forgetOldest(): void {
    const oldest = this.order.shift()!;
    const list = this.bySymbol.get(oldest.symbol)!;
    list.splice(list.indexOf(oldest), 1);
    if (list.length === 0) this.bySymbol.delete(oldest.symbol);
    this.size--;
  }
}
