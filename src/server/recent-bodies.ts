/** Completed bars as the route has them: how many, and each one's time (a `BarView` is one). */
export interface TimedBars {
  readonly length: number;
  time(i: number): number;
}

interface Entry {
  generation: number;
  length: number;
  first: number;
  last: number;
  body: string;
}

/**
 * Serialized `/api/bars?n` answers, reused while the bars they hold are unchanged: completed
 * bars never change except when upkeep fills (or synthesizes) missing minutes, so an answer
 * is still good when the same bars' first and last times and count match and no fill
 * touched the symbol since (`touch`). Formatting numbers is most of that route's cost;
 * pollers asking for the same window between two bars get it for the price of a lookup.
 * Bounded: the oldest answer goes when `max` are kept.
 */
export class RecentBodies {
  private readonly bodies = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();

  constructor(private readonly max = 1024) {}

  /** Marks a symbol's completed bars as changed in place (a gap filled or synthesized). */
  touch(symbol: string): void {
    this.generations.set(symbol, (this.generations.get(symbol) ?? 0) + 1);
  }

  /** The answer for these bars: the kept one when still good, else `build()` (and kept). */
  body(symbol: string, interval: string, n: number, bars: TimedBars, build: () => string): string {
    const key = `${symbol}\t${interval}\t${n}`;
    const generation = this.generations.get(symbol) ?? 0;
    const length = bars.length;
    const first = length > 0 ? bars.time(0) : Number.NaN;
    const last = length > 0 ? bars.time(length - 1) : Number.NaN;
    const hit = this.bodies.get(key);
    if (
      hit &&
      hit.generation === generation &&
      hit.length === length &&
      (length === 0 || (hit.first === first && hit.last === last))
    ) {
      return hit.body;
    }
    const body = build();
    this.bodies.delete(key);
    if (this.bodies.size >= this.max) this.bodies.delete(this.bodies.keys().next().value as string);
    this.bodies.set(key, { generation, length, first, last, body });
    return body;
  }
}
