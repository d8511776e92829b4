import type { Calendar, Session } from "../calendar/types.js";
import { type Interval, parseInterval } from "../model/interval.js";
import { MINUTE_MS, zoneOffsetMs } from "../model/time.js";

/**
 * Where intraday buckets start: `session` (default) counts from the start of each session
 * segment (09:30, 10:30, ... for 60m on XNYS; again from a break's end); `clock` aligns them to multiples of the
 * interval in the calendar's local time (10:00, 11:00, ...), clipped to the segment.
 */
export type Anchor = "session" | "clock";

/** How an interval's buckets are laid over a session. */
export interface BucketOptions {
  anchor?: Anchor;
  /**
   * Include pre-market and after-hours minutes. Buckets never mix segments: pre-market
   * [preOpen, open), regular [open, close) and after-hours [close, postClose) are each
   * bucketed on their own, so the regular-session bars are the same either way. Daily bars
   * are always the regular session.
   */
  extended?: boolean;
}

/** One bucket of a session: [start, end) and the one-minute bars the calendar expects in it. */
export interface Bucket {
  start: number;
  end: number;
  expected: number;
}

/** Accepts an interval by name or parsed. */
export function toInterval(interval: Interval | string): Interval {
  return typeof interval === "string" ? parseInterval(interval) : interval;
}

/**
 * The buckets of one interval over one session, as columns (`starts`, `ends`, `expected`),
 * in time order. A segment's minutes are contiguous, so each intraday bucket expects
 * (end - start) / 1 minute bars. A session's break splits its regular segment in two:
 * a bucket that would cross the break ends at the break's start, and the buckets after it
 * are anchored at the break's end (09:00-10:00, 10:00-11:00, 11:00-11:30, then 12:30-13:30
 * for 60m on XTKS), as exchange_calendars' `trading_index` does with `force_break_close`.
 * A daily bucket is [open, close), both parts of a broken session, so it expects the
 * calendar's regular `minuteCount` (the break not counted). `layout()` reuses the buffers,
 * so a builder re-plans at each session without allocating once warm.
 */
export class IntervalPlan {
  readonly interval: Interval;
  readonly anchor: Anchor;
  readonly extended: boolean;
  /** The session laid out last, if any. */
  session: Session | undefined;
  /**
   * That session's break, [breakStart, breakEnd) (NaN when none): minutes there belong to
   * no bucket, not even the daily one that spans them.
   */
  breakStart = Number.NaN;
  breakEnd = Number.NaN;
  length = 0;
  starts: Float64Array;
  ends: Float64Array;
  expected: Uint16Array;

  constructor(
    interval: Interval | string,
    readonly timeZone: string,
    opts: BucketOptions = {},
  ) {
    this.interval = toInterval(interval);
    this.anchor = opts.anchor ?? "session";
    this.extended = opts.extended ?? false;
    const cap = Math.ceil(1440 / this.interval.minutes) + 4;
    this.starts = new Float64Array(cap);
    this.ends = new Float64Array(cap);
    this.expected = new Uint16Array(cap);
  }

  /** Lays the buckets over `session` (replacing the previous layout). */
  layout(session: Session): this {
    this.session = session;
    this.length = 0;
    const { breakStart, breakEnd } = session;
    this.breakStart = breakStart ?? Number.NaN;
    this.breakEnd = breakEnd ?? Number.NaN;
    if (this.interval.daily) {
      const breakMinutes = breakStart === undefined ? 0 : ((breakEnd as number) - breakStart) / MINUTE_MS;
      this.push(session.open, session.close, (session.close - session.open) / MINUTE_MS - breakMinutes);
      return this;
    }
    if (this.extended) this.segment(session.preOpen, session.open);
    if (breakStart === undefined) {
      this.segment(session.open, session.close);
    } else {
      this.segment(session.open, breakStart);
      this.segment(breakEnd as number, session.close);
    }
    if (this.extended) this.segment(session.close, session.postClose);
    return this;
  }

  /** Index of the bucket holding instant `t`, or -1 when `t` lies outside every bucket. */
  indexOf(t: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.length && this.starts[lo] <= t ? lo : -1;
  }

  /** Bucket `i` as an object (API edge). */
  bucket(i: number): Bucket {
    return { start: this.starts[i], end: this.ends[i], expected: this.expected[i] };
  }

  /** All buckets as objects (API edge). */
  buckets(): Bucket[] {
    const out: Bucket[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.bucket(i));
    return out;
  }

  private segment(from: number, to: number): void {
    if (to <= from) return;
    const size = this.interval.ms;
    if (this.anchor === "session") {
      for (let s = from; s < to; s += size) this.push(s, Math.min(s + size, to));
      return;
    }
    const tz = this.timeZone;
    const offFrom = zoneOffsetMs(tz, from);
    const steady = offFrom === zoneOffsetMs(tz, to - 1);
    for (let s = from; s < to; ) {
      const off = steady ? offFrom : zoneOffsetMs(tz, s);
      const end = Math.min((Math.floor((s + off) / size) + 1) * size - off, to);
      this.push(s, end);
      s = end;
    }
  }

  private push(start: number, end: number, expected = (end - start) / MINUTE_MS): void {
    const i = this.length;
    if (i === this.starts.length) this.grow(i * 2);
    this.starts[i] = start;
    this.ends[i] = end;
    this.expected[i] = expected;
    this.length = i + 1;
  }

  private grow(cap: number): void {
    const starts = new Float64Array(cap);
    const ends = new Float64Array(cap);
    const expected = new Uint16Array(cap);
    starts.set(this.starts);
    ends.set(this.ends);
    expected.set(this.expected);
    this.starts = starts;
    this.ends = ends;
    this.expected = expected;
  }
}

/** The buckets of `interval` over `session` (a fresh plan; see IntervalPlan). */
export function planSession(
  session: Session,
  interval: Interval | string,
  calendar: Calendar,
  opts: BucketOptions = {},
): IntervalPlan {
  return new IntervalPlan(interval, calendar.timeZone, opts).layout(session);
}

/**
 * The bucket of `interval` holding instant `t`, or undefined when `t` is outside every
 * session (or outside the regular session, unless `extended`).
 */
export function bucketOf(
  t: number,
  interval: Interval | string,
  calendar: Calendar,
  opts: BucketOptions = {},
): Bucket | undefined {
  const session = calendar.sessionAt(t, true);
  if (!session) return undefined;
  const plan = planSession(session, interval, calendar, opts);
  const i = plan.indexOf(t);
  return i < 0 ? undefined : plan.bucket(i);
}
