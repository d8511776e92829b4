import type { FactorTimeline } from "./factors.js";

/** Bars as columns sorted by time, adjusted in place (`vwap` when there is one). */
export interface AdjustableBars {
  length: number;
  time: ArrayLike<number>;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  vwap?: Float64Array;
}

/**
 * Multiplies the prices of bars (sorted by time) by their date's cumulative price factor and
 * divides their volumes by the cumulative split factor, in place. One pass, the factor index
 * moving forward with time.
 */
export function adjustBars(bars: AdjustableBars, timeline: FactorTimeline): void {
  if (timeline.identity) return;
  const { starts, price, split } = timeline;
  const k = starts.length;
  const { time, open, high, low, close, volume, vwap } = bars;
  let j = 0;
  for (let i = 0; i < bars.length; i++) {
    const t = time[i];
    while (j < k && t >= starts[j]) j++;
    if (j === k) break;
    const p = price[j];
    open[i] *= p;
    high[i] *= p;
    low[i] *= p;
    close[i] *= p;
    if (vwap) vwap[i] *= p;
    volume[i] /= split[j];
  }
}
