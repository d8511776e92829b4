import { InvalidArgumentError } from "../model/errors.js";
import { type DateString, parseDate, zonedToUtc } from "../model/time.js";
import type { CorporateAction } from "../store/types.js";

/**
 * How prices are normalized, as LEAN names the modes: `raw` as traded, `split` adjusted for
 * splits, `adjusted` for splits and dividends.
 */
export type AdjustMode = (typeof ADJUST_MODES)[number];

export const ADJUST_MODES = ["raw", "split", "adjusted"] as const;

/** Parses an adjustment mode, refusing anything else by name (`what` names the option). */
export function parseAdjustMode(text: string, what = "--adjust"): AdjustMode {
  if ((ADJUST_MODES as readonly string[]).includes(text)) return text as AdjustMode;
  throw new InvalidArgumentError(`bad ${what} "${text}": expected one of ${ADJUST_MODES.join(", ")}`);
}

/** An adjustment: the mode, and the date it is as of (the actions known then; default every action). */
export interface Adjustment {
  mode: AdjustMode;
  asOf?: DateString;
}

/**
 * The cumulative factors of one security over time, for one adjustment. The actions in
 * effect are those the mode adjusts for (splits; or splits and dividends) with an ex-date on
 * or before `asOf`. Prices dated before the i-th ex-date and on or after the one before are
 * multiplied by `price[i]`, the product of the factors of the i-th and every later action;
 * volumes are divided by `split[i]`, the same product over splits only. Dates after the last
 * ex-date have factors 1.
 */
export class FactorTimeline {
  /** Ex-dates of the actions in effect, ascending, one entry per date. */
  readonly dates: DateString[];
  /** The start of each ex-date (local midnight in the calendar's zone), epoch ms UTC. */
  readonly starts: Float64Array;
  /** Cumulative price multipliers, one more than `dates` (the last is 1). */
  readonly price: Float64Array;
  /** Cumulative split factors (volume divisors), as `price`. */
  readonly split: Float64Array;

  private constructor(dates: DateString[], starts: Float64Array, price: Float64Array, split: Float64Array) {
    this.dates = dates;
    this.starts = starts;
    this.price = price;
    this.split = split;
  }

  /** The timeline of a security's actions (renames and other symbols' actions are ignored by kind only). */
  static of(actions: readonly CorporateAction[], adjustment: Adjustment, timeZone: string): FactorTimeline {
    const { mode, asOf } = adjustment;
    const byDate = new Map<DateString, { price: number; split: number }>();
    if (mode !== "raw") {
      for (const a of actions) {
        if (asOf !== undefined && a.date > asOf) continue;
        const isSplit = a.kind === "split";
        if (!isSplit && !(a.kind === "dividend" && mode === "adjusted")) continue;
        const f = byDate.get(a.date) ?? { price: 1, split: 1 };
        f.price *= a.factor;
        if (isSplit) f.split *= a.factor;
        byDate.set(a.date, f);
      }
    }
    const dates = [...byDate.keys()].sort();
    const k = dates.length;
    const starts = new Float64Array(k);
    const price = new Float64Array(k + 1);
    const split = new Float64Array(k + 1);
    price[k] = 1;
    split[k] = 1;
    for (let i = k - 1; i >= 0; i--) {
      const f = byDate.get(dates[i])!;
      starts[i] = zonedToUtc(timeZone, parseDate(dates[i]), 0);
      price[i] = f.price * price[i + 1];
      split[i] = f.split * split[i + 1];
    }
    return new FactorTimeline(dates, starts, price, split);
  }

  /** True when nothing is adjusted (raw mode, or no action in effect). */
  get identity(): boolean {
    return this.dates.length === 0;
  }

  /** The index of the factors of prices dated `date`: the first ex-date after it. */
  private indexOn(date: DateString): number {
    let i = 0;
    while (i < this.dates.length && this.dates[i] <= date) i++;
    return i;
  }

  /** The price multiplier of a date. */
  priceFactorOn(date: DateString): number {
    return this.price[this.indexOn(date)];
  }

  /** The split factor (volume divisor) of a date. */
  splitFactorOn(date: DateString): number {
    return this.split[this.indexOn(date)];
  }
}
