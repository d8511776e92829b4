import type { SessionBar } from "../model/bar.js";
import type { BarSeries } from "../model/series.js";

/**
 * Completed bars of one symbol and interval as a view over the engine's series, oldest first,
 * possibly spanning sessions: no copy and no object per bar. Read columns with `time(i)`,
 * `close(i)`, ...; `view[i]`, `at(i)`, iteration, `map` and `filter` make objects on demand;
 * `toArray()` copies all into objects. A view reads the live series: it is valid until the
 * engine's next event (a later bar or a roll may reuse the buffers); keep `toArray()`.
 */
export class BarView implements Iterable<SessionBar> {
  readonly [index: number]: SessionBar;
  /** Number of bars in the view. */
  readonly length: number;
  private readonly parts: readonly BarSeries[];
  /** First row of each part in the view. */
  private readonly from: readonly number[];
  /** View index where each part starts. */
  private readonly offset: readonly number[];

  private constructor(parts: readonly BarSeries[], from: readonly number[], to: readonly number[]) {
    this.parts = parts;
    this.from = from;
    const offset = new Array<number>(parts.length);
    let n = 0;
    for (let k = 0; k < parts.length; k++) {
      offset[k] = n;
      n += to[k] - from[k];
    }
    this.offset = offset;
    this.length = n;
  }

  /**
   * A view over rows [from[k], to[k]) of each series, in order (a Proxy, so `view[i]` works;
   * everything else is read straight from the view).
   */
  static of(parts: readonly BarSeries[], from: readonly number[], to: readonly number[]): BarView {
    return new Proxy(new BarView(parts, from, to), INDEXED);
  }

  time(i: number): number {
    const k = this.part(i);
    return this.parts[k].time[this.row(k, i)];
  }
  open(i: number): number {
    const k = this.part(i);
    return this.parts[k].open[this.row(k, i)];
  }
  high(i: number): number {
    const k = this.part(i);
    return this.parts[k].high[this.row(k, i)];
  }
  low(i: number): number {
    const k = this.part(i);
    return this.parts[k].low[this.row(k, i)];
  }
  close(i: number): number {
    const k = this.part(i);
    return this.parts[k].close[this.row(k, i)];
  }
  volume(i: number): number {
    const k = this.part(i);
    return this.parts[k].volume[this.row(k, i)];
  }
  flags(i: number): number {
    const k = this.part(i);
    return this.parts[k].flags[this.row(k, i)];
  }

  /** Bar `i` as an object (negative: from the end), or undefined out of range. */
  at(i: number): SessionBar | undefined {
    const j = i < 0 ? this.length + i : i;
    if (!(j >= 0 && j < this.length)) return undefined;
    const k = this.part(j);
    return this.parts[k].at(this.row(k, j));
  }

  /** Every bar as an object: safe to keep. */
  toArray(): SessionBar[] {
    const out = new Array<SessionBar>(this.length);
    let i = 0;
    for (let k = 0; k < this.parts.length; k++) {
      const p = this.parts[k];
      const end = this.from[k] + ((this.offset[k + 1] ?? this.length) - this.offset[k]);
      for (let r = this.from[k]; r < end; r++) out[i++] = p.at(r);
    }
    return out;
  }

  map<T>(fn: (bar: SessionBar, i: number) => T): T[] {
    return this.toArray().map(fn);
  }

  filter(fn: (bar: SessionBar, i: number) => boolean): SessionBar[] {
    return this.toArray().filter(fn);
  }

  *[Symbol.iterator](): Iterator<SessionBar> {
    for (let i = 0; i < this.length; i++) yield this.at(i)!;
  }

  /** The part holding view index i (few parts: a short walk from the newest). */
  private part(i: number): number {
    let k = this.parts.length - 1;
    while (k > 0 && this.offset[k] > i) k--;
    return k;
  }

  private row(k: number, i: number): number {
    return this.from[k] + (i - this.offset[k]);
  }
}

/** Methods bound to their view, made on first use through the proxy (once per view and method). */
const BOUND = new WeakMap<BarView, Map<string | symbol, unknown>>();

/** `view[i]` reads bar i; every other property is the view's own (methods run on the view itself). */
const INDEXED: ProxyHandler<BarView> = {
  get(target, key) {
    if (typeof key === "string" && key.length > 0 && key.charCodeAt(0) >= 48 && key.charCodeAt(0) <= 57) {
      const i = Number(key);
      if (Number.isInteger(i)) return target.at(i);
    }
    const v = Reflect.get(target, key, target);
    if (typeof v !== "function") return v;
    let bound = BOUND.get(target);
    if (!bound) BOUND.set(target, (bound = new Map()));
    let f = bound.get(key);
    if (!f) bound.set(key, (f = v.bind(target)));
    return f;
  },
};
