import { BarFlag } from "../model/bar.js";
import type { BarSeries } from "../model/series.js";

/**
 * Derived-bar quality of one interval's series over rows [from, to): source bars held over
 * source bars expected, as a percentage (100 when nothing is expected). Bars flagged
 * Partial are left out: a forming bar is not missing anything yet.
 */
export function derivedQuality(series: BarSeries, from = 0, to = series.length): number {
  let held = 0;
  let expected = 0;
  for (let i = Math.max(0, from); i < Math.min(to, series.length); i++) {
    if (series.flags[i] & BarFlag.Partial) continue;
    held += series.count[i];
    expected += series.expected[i];
  }
  return expected === 0 ? 100 : (held / expected) * 100;
}
