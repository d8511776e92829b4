import { DAY_MS, zoneFormatter, zoneOffsetMs } from "../model/time.js";

/**
 * Sampling step when searching a zone's offset transitions: shorter than any DST period or
 * DST suspension since 1970 (the shortest, Morocco's Ramadan suspensions, last about 29 days).
 */
const STEP_MS = 21 * DAY_MS;

/** `…GMT+05:30` or `…GMT-00:44:30` (a zone's offset as ICU's `longOffset` writes it), or `…GMT`. */
const LONG_OFFSET = /GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The zone's offset at `utcMs`, like `zoneOffsetMs` but about five times faster: it formats the
 * hour and the offset alone (`longOffset`) and parses the offset, instead of calling
 * `formatToParts()` on a whole date. Building decades of sessions makes thousands of these
 * calls, so it matters.
 */
function offsetNow(timeZone: string, utcMs: number): number {
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    zoneFormatter(timeZone); // validates the zone, with zoneFormatter's error for a bad one
    f = new Intl.DateTimeFormat("en-US", { timeZone, hour: "numeric", timeZoneName: "longOffset" });
    offsetFormatters.set(timeZone, f);
  }
  const m = LONG_OFFSET.exec(f.format(utcMs));
  if (!m) return zoneOffsetMs(timeZone, utcMs);
  if (m[1] === undefined) return 0;
  const ms = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === "-" ? -ms : ms;
}

/**
 * A zone's UTC offsets over a span of time, kept as the instants where the offset changes
 * (DST switches), so converting between local and UTC time is a binary search over a few
 * hundred numbers instead of an `Intl` call. Outside the span it falls back to `Intl`.
 */
export class ZoneOffsets {
  private constructor(
    readonly timeZone: string,
    /** First and last instant (epoch ms) the transition table is exact for. */
    readonly fromMs: number,
    readonly toMs: number,
    /** Instants at which `offsets[k + 1]` takes over from `offsets[k]`. */
    private readonly transitions: Float64Array,
    private readonly offsets: Float64Array,
  ) {}

  private static readonly cache = new Map<string, ZoneOffsets>();

  /**
   * The offsets of `timeZone` covering at least [fromMs, toMs], cached per zone (a wider
   * request rebuilds the cached table over the union of both spans).
   */
  static for(timeZone: string, fromMs: number, toMs: number): ZoneOffsets {
    const cached = ZoneOffsets.cache.get(timeZone);
    if (cached && cached.fromMs <= fromMs && cached.toMs >= toMs) return cached;
    const from = cached ? Math.min(cached.fromMs, fromMs) : fromMs;
    const to = cached ? Math.max(cached.toMs, toMs) : toMs;
    const built = ZoneOffsets.build(timeZone, from, to);
    ZoneOffsets.cache.set(timeZone, built);
    return built;
  }

  /** Forgets every cached table (for benchmarks that measure a cold build). */
  static clearCache(): void {
    ZoneOffsets.cache.clear();
  }

  private static build(timeZone: string, fromMs: number, toMs: number): ZoneOffsets {
    const transitions: number[] = [];
    const offsets: number[] = [offsetNow(timeZone, fromMs)];
    if (timeZone !== "UTC") {
      let prevAt = fromMs;
      let prevOffset = offsets[0];
      for (let at = fromMs + STEP_MS; prevAt < toMs; at += STEP_MS) {
        const sampleAt = Math.min(at, toMs);
        const sampled = offsetNow(timeZone, sampleAt);
        // More than one switch may hide in one step: find each, left to right.
        while (sampled !== prevOffset) {
          const switchAt =
            sameSwitchAYearOn(timeZone, transitions, prevAt, sampleAt, prevOffset) ??
            firstChange(timeZone, prevAt, sampleAt, prevOffset);
          prevOffset = offsetNow(timeZone, switchAt);
          prevAt = switchAt;
          transitions.push(switchAt);
          offsets.push(prevOffset);
        }
        prevAt = sampleAt;
      }
    }
    return new ZoneOffsets(
      timeZone,
      fromMs,
      toMs,
      Float64Array.from(transitions),
      Float64Array.from(offsets),
    );
  }

  /** Index into `offsets` of the last lookup: builders ask in time order, so it is usually right. */
  private hint = 0;

  /** The zone's offset from UTC in ms at instant `utcMs`. */
  offsetAt(utcMs: number): number {
    if (utcMs < this.fromMs || utcMs > this.toMs) return offsetNow(this.timeZone, utcMs);
    const tr = this.transitions;
    const k = this.hint;
    if ((k === 0 || tr[k - 1] <= utcMs) && (k === tr.length || utcMs < tr[k])) return this.offsets[k];
    let lo = 0;
    let hi = tr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (tr[mid] <= utcMs) lo = mid + 1;
      else hi = mid;
    }
    this.hint = lo;
    return this.offsets[lo];
  }

  /**
   * The UTC instant of local wall-clock time `msOfDay` on `day` (days since the epoch), with
   * the same rules as `zonedToUtc`: in a DST gap the later offset wins, in an overlap the
   * earlier instant.
   */
  toUtc(day: number, msOfDay: number): number {
    const local = day * DAY_MS + msOfDay;
    // Fast path: local and its UTC instant both lie in the offset span of the last lookup.
    const k = this.hint;
    const lo = k === 0 ? this.fromMs : Math.max(this.fromMs, this.transitions[k - 1]);
    const hi = k === this.transitions.length ? this.toMs + 1 : Math.min(this.toMs + 1, this.transitions[k]);
    const guess = local - this.offsets[k];
    if (local >= lo && local < hi && guess >= lo && guess < hi) return guess;
    const first = local - this.offsetAt(local);
    const second = local - this.offsetAt(first);
    if (first === second) return first;
    const third = local - this.offsetAt(second);
    return Math.min(second, third);
  }

  /** Number of offset changes in the table (for tests). */
  get transitionCount(): number {
    return this.transitions.length;
  }
}

const QUARTER_HOUR_MS = 900_000;

/**
 * Most zones switch on the same weekday rule every year ("second Sunday in March, 07:00 UTC"),
 * so a switch 52 or 53 weeks after one already found is tried first: two `Intl` calls confirm
 * it, instead of a bisection. Returns undefined when no such guess lies in (lo, hi] and holds.
 */
function sameSwitchAYearOn(
  timeZone: string,
  found: readonly number[],
  lo: number,
  hi: number,
  before: number,
): number | undefined {
  for (let i = found.length - 1; i >= 0 && found[i] >= lo - 380 * DAY_MS; i--) {
    for (const weeks of [52, 53]) {
      const guess = found[i] + weeks * 7 * DAY_MS;
      if (guess <= lo || guess > hi) continue;
      if (offsetNow(timeZone, guess - 1000) === before && offsetNow(timeZone, guess) !== before) return guess;
    }
  }
  return undefined;
}

/**
 * The first whole second in (lo, hi] whose offset differs from `before` (which holds at lo).
 * Switches happen on a quarter hour in every zone since the 1970s, so it bisects quarter
 * hours first and checks the second before; only an odd switch needs the bisection by second.
 */
function firstChange(timeZone: string, lo: number, hi: number, before: number): number {
  let qa = Math.floor(lo / QUARTER_HOUR_MS);
  let qb = Math.floor(hi / QUARTER_HOUR_MS);
  let from = lo;
  let to = hi;
  if (qb > qa && offsetNow(timeZone, qb * QUARTER_HOUR_MS) !== before) {
    while (qb - qa > 1) {
      const mid = Math.floor((qa + qb) / 2);
      if (offsetNow(timeZone, mid * QUARTER_HOUR_MS) === before) qa = mid;
      else qb = mid;
    }
    to = qb * QUARTER_HOUR_MS;
    if (offsetNow(timeZone, to - 1000) === before) return to;
    from = Math.max(lo, qa * QUARTER_HOUR_MS);
  } else if (qb > qa) {
    from = qb * QUARTER_HOUR_MS;
  }
  let sa = Math.floor(from / 1000);
  let sb = Math.ceil(to / 1000);
  while (sb - sa > 1) {
    const mid = Math.floor((sa + sb) / 2);
    if (offsetNow(timeZone, mid * 1000) === before) sa = mid;
    else sb = mid;
  }
  return sb * 1000;
}
