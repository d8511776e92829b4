import { InvalidArgumentError } from "../model/errors.js";
import { type DateString, formatDay, MINUTE_MS, parseDate } from "../model/time.js";
import type { Calendar, MarketState, Session } from "./types.js";

/** Flag bits of a session in a table. */
export const EARLY_CLOSE = 1;
export const LATE_OPEN = 2;

/** The columns of a session table: one entry per session, ordered by time. */
export interface SessionColumns {
  /** Label of each session, days since the epoch. */
  readonly day: Int32Array;
  readonly preOpen: Float64Array;
  readonly open: Float64Array;
  readonly close: Float64Array;
  readonly postClose: Float64Array;
  /** Break of each session, [breakStart, breakEnd); NaN in both where a session has none. */
  readonly breakStart: Float64Array;
  readonly breakEnd: Float64Array;
  /** `EARLY_CLOSE` | `LATE_OPEN` bits. */
  readonly flags: Uint8Array;
}

/**
 * Collects sessions in time order into growable typed arrays, then checks them (each session
 * well-formed, its break inside it, none overlapping the next, labels increasing) and hands
 * out the columns.
 */
export class SessionTableBuilder {
  private n = 0;
  private day: Int32Array;
  private preOpen: Float64Array;
  private open: Float64Array;
  private close: Float64Array;
  private postClose: Float64Array;
  private breakStart: Float64Array;
  private breakEnd: Float64Array;
  private flags: Uint8Array;

  /** @param capacity sessions to make room for at first (it grows past them as needed) */
  constructor(capacity = 1024) {
    const n = Math.max(16, Math.ceil(capacity));
    this.day = new Int32Array(n);
    this.preOpen = new Float64Array(n);
    this.open = new Float64Array(n);
    this.close = new Float64Array(n);
    this.postClose = new Float64Array(n);
    this.breakStart = new Float64Array(n);
    this.breakEnd = new Float64Array(n);
    this.flags = new Uint8Array(n);
  }

  /** Appends one session (times epoch ms UTC; a session without a break leaves both NaN). */
  push(
    day: number,
    preOpen: number,
    open: number,
    close: number,
    postClose: number,
    flags = 0,
    breakStart = Number.NaN,
    breakEnd = Number.NaN,
  ): void {
    if (this.n === this.day.length) this.grow();
    const i = this.n++;
    this.day[i] = day;
    this.preOpen[i] = preOpen;
    this.open[i] = open;
    this.close[i] = close;
    this.postClose[i] = postClose;
    this.breakStart[i] = breakStart;
    this.breakEnd[i] = breakEnd;
    this.flags[i] = flags;
  }

  /** The checked columns, trimmed to the sessions pushed (views of the builder's arrays). */
  build(calendarName: string): SessionColumns {
    const n = this.n;
    const { day, preOpen, open, close, postClose, breakStart, breakEnd } = this;
    for (let i = 0; i < n; i++) {
      const bad = !(preOpen[i] <= open[i]) || !(open[i] < close[i]) || !(close[i] <= postClose[i]);
      if (bad) {
        throw new InvalidArgumentError(
          `calendar ${calendarName}: session ${formatDay(day[i])} must have preOpen <= open < close <= postClose`,
        );
      }
      const bs = breakStart[i];
      const be = breakEnd[i];
      if (!(Number.isNaN(bs) && Number.isNaN(be)) && !(open[i] < bs && bs < be && be < close[i])) {
        throw new InvalidArgumentError(
          `calendar ${calendarName}: session ${formatDay(day[i])} must have open < breakStart < breakEnd < close`,
        );
      }
      if (i > 0 && !(day[i - 1] < day[i])) {
        throw new InvalidArgumentError(
          `calendar ${calendarName}: session ${formatDay(day[i])} is labelled no later than the session before it`,
        );
      }
      if (i > 0 && postClose[i - 1] > preOpen[i]) {
        throw new InvalidArgumentError(
          `calendar ${calendarName}: session ${formatDay(day[i - 1])} overlaps session ${formatDay(day[i])}`,
        );
      }
    }
    // Views, not copies: the builder is done with its arrays, and a build sized its capacity well.
    return {
      day: day.subarray(0, n),
      preOpen: preOpen.subarray(0, n),
      open: open.subarray(0, n),
      close: close.subarray(0, n),
      postClose: postClose.subarray(0, n),
      breakStart: breakStart.subarray(0, n),
      breakEnd: breakEnd.subarray(0, n),
      flags: this.flags.subarray(0, n),
    };
  }

  private grow(): void {
    const size = this.day.length * 2;
    const widen = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.day = widen(this.day, (k) => new Int32Array(k));
    this.preOpen = widen(this.preOpen, (k) => new Float64Array(k));
    this.open = widen(this.open, (k) => new Float64Array(k));
    this.close = widen(this.close, (k) => new Float64Array(k));
    this.postClose = widen(this.postClose, (k) => new Float64Array(k));
    this.breakStart = widen(this.breakStart, (k) => new Float64Array(k));
    this.breakEnd = widen(this.breakEnd, (k) => new Float64Array(k));
    this.flags = widen(this.flags, (k) => new Uint8Array(k));
  }
}

/** First index i in [0, n) with a[i] > t (n when none): a binary search over a sorted column. */
function upperBound(a: Float64Array | Int32Array, t: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A calendar answered from a precomputed session table (typed-array columns of epoch ms) by
 * binary search: every lookup is O(log n) and allocation-free except the `Session` objects
 * made at the edge, which are cached per session so the same session is always the same
 * object. Every calendar in tickwright (XNYS, 24/7, 24/5, JSON-defined) is one of these.
 */
export class TableCalendar implements Calendar {
  readonly firstDate: DateString;
  readonly lastDate: DateString;
  /** Number of sessions in the table. */
  readonly length: number;
  private readonly firstDay: number;
  private readonly lastDay: number;
  private readonly objects: Array<Session | undefined>;

  /**
   * @param coverFrom first day (days since epoch) the rules were applied to
   * @param coverTo last day the rules were applied to; dates outside are refused
   */
  constructor(
    readonly name: string,
    readonly timeZone: string,
    readonly columns: SessionColumns,
    coverFrom: number,
    coverTo: number,
  ) {
    this.length = columns.day.length;
    this.firstDay = coverFrom;
    this.lastDay = coverTo;
    this.firstDate = formatDay(coverFrom);
    this.lastDate = formatDay(coverTo);
    this.objects = new Array(this.length);
  }

  sessions(from: DateString, to: DateString): Session[] {
    const a = this.coveredDay(from, "from");
    const b = this.coveredDay(to, "to");
    const out: Session[] = [];
    const day = this.columns.day;
    for (let i = upperBound(day, a - 1); i < this.length && day[i] <= b; i++) out.push(this.session(i));
    return out;
  }

  sessionOn(date: DateString): Session | undefined {
    const i = this.indexOn(this.coveredDay(date, "date"));
    return i < 0 ? undefined : this.session(i);
  }

  sessionAt(t: number, extended = false): Session | undefined {
    const i = this.indexAt(t, extended);
    return i < 0 ? undefined : this.session(i);
  }

  nextSession(t: number, extended = false): Session | undefined {
    const i = upperBound(extended ? this.columns.preOpen : this.columns.open, t);
    return i < this.length ? this.session(i) : undefined;
  }

  previousSession(t: number, extended = false): Session | undefined {
    const i = upperBound(extended ? this.columns.postClose : this.columns.close, t) - 1;
    return i >= 0 ? this.session(i) : undefined;
  }

  isOpen(t: number, extended = false): boolean {
    const i = this.indexAt(t, extended);
    // A NaN break (none) fails both comparisons.
    return i >= 0 && !(t >= this.columns.breakStart[i] && t < this.columns.breakEnd[i]);
  }

  state(t: number): MarketState {
    const c = this.columns;
    const i = upperBound(c.preOpen, t) - 1;
    if (i < 0 || t >= c.postClose[i]) return "closed";
    if (t < c.open[i]) return "pre";
    if (t >= c.close[i]) return "post";
    return t >= c.breakStart[i] && t < c.breakEnd[i] ? "break" : "open";
  }

  nextOpen(t: number): number | undefined {
    const i = upperBound(this.columns.open, t);
    return i < this.length ? this.columns.open[i] : undefined;
  }

  nextClose(t: number): number | undefined {
    const i = upperBound(this.columns.close, t);
    return i < this.length ? this.columns.close[i] : undefined;
  }

  expectedMinutes(session: Session, extended = false): Float64Array {
    const minutes = new Float64Array(this.minuteCount(session, extended));
    this.writeExpectedMinutes(session, minutes, extended);
    return minutes;
  }

  /**
   * Writes the expected one-minute bar starts of a session into `out` (from index 0) and
   * returns their count: `expectedMinutes` without the allocation, for hot paths that reuse
   * a buffer. `out` must hold `minuteCount(session, extended)` numbers.
   */
  writeExpectedMinutes(session: Session, out: Float64Array, extended = false): number {
    const start = extended ? session.preOpen : session.open;
    const end = extended ? session.postClose : session.close;
    const n = this.minuteCount(session, extended);
    if (out.length < n) {
      throw new InvalidArgumentError(
        `buffer of ${out.length} is too small for the ${n} minutes of ${session.date}`,
      );
    }
    if (session.breakStart === undefined || session.breakEnd === undefined) {
      for (let k = 0; k < n; k++) out[k] = start + k * MINUTE_MS;
      return n;
    }
    let k = 0;
    for (let t = start; t < session.breakStart; t += MINUTE_MS) out[k++] = t;
    for (let t = session.breakEnd; t < end; t += MINUTE_MS) out[k++] = t;
    return k;
  }

  minuteCount(session: Session, extended = false): number {
    const start = extended ? session.preOpen : session.open;
    const end = extended ? session.postClose : session.close;
    if (session.breakStart === undefined || session.breakEnd === undefined) {
      return Math.ceil((end - start) / MINUTE_MS);
    }
    return (
      Math.ceil((session.breakStart - start) / MINUTE_MS) + Math.ceil((end - session.breakEnd) / MINUTE_MS)
    );
  }

  /**
   * Index of the session containing t ([open, close), or [preOpen, postClose) with
   * `extended`), or -1. The allocation-free form of `sessionAt` for hot paths.
   */
  indexAt(t: number, extended = false): number {
    const c = this.columns;
    const i = upperBound(extended ? c.preOpen : c.open, t) - 1;
    return i >= 0 && t < (extended ? c.postClose : c.close)[i] ? i : -1;
  }

  /** Index of the session labelled `day` (days since epoch), or -1. */
  indexOn(day: number): number {
    const i = upperBound(this.columns.day, day) - 1;
    return i >= 0 && this.columns.day[i] === day ? i : -1;
  }

  /** The session at table index `i` (cached: the same object on every call). */
  session(i: number): Session {
    let s = this.objects[i];
    if (!s) {
      const c = this.columns;
      const session: Session = {
        date: formatDay(c.day[i]),
        preOpen: c.preOpen[i],
        open: c.open[i],
        close: c.close[i],
        postClose: c.postClose[i],
        earlyClose: (c.flags[i] & EARLY_CLOSE) !== 0,
        lateOpen: (c.flags[i] & LATE_OPEN) !== 0,
        ...(Number.isNaN(c.breakStart[i]) ? {} : { breakStart: c.breakStart[i], breakEnd: c.breakEnd[i] }),
      };
      s = Object.freeze(session);
      this.objects[i] = s;
    }
    return s;
  }

  private coveredDay(date: DateString, what: string): number {
    const day = parseDate(date, what);
    if (day < this.firstDay || day > this.lastDay) {
      throw new InvalidArgumentError(
        `${what} ${date} is outside calendar ${this.name}, which covers ${this.firstDate} to ${this.lastDate}`,
      );
    }
    return day;
  }
}
