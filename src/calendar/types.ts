import type { DateString } from "../model/time.js";

/** Where an instant stands relative to a calendar's sessions ("break": inside a session's break). */
export type MarketState = "pre" | "open" | "break" | "post" | "closed";

/**
 * One trading session. Times are epoch ms UTC. `open`/`close` bound the regular session;
 * `preOpen`/`postClose` the extended one (equal to open/close where a market has none).
 * `date` labels the session (for a session crossing midnight, the later date). A session may
 * have a break (Tokyo's and Hong Kong's lunch, CME's daily maintenance): [breakStart, breakEnd)
 * lies inside [open, close) and trades nothing; both are absent when there is none.
 */
export interface Session {
  readonly date: DateString;
  readonly preOpen: number;
  readonly open: number;
  readonly close: number;
  readonly postClose: number;
  /** Closed earlier than the regular close (e.g. 13:00 New York). */
  readonly earlyClose: boolean;
  /** Opened later than the regular open. */
  readonly lateOpen: boolean;
  /** Start of the session's break (epoch ms UTC), if it has one. */
  readonly breakStart?: number;
  /** End of the break: trading resumes here. */
  readonly breakEnd?: number;
}

/**
 * The sessions of an exchange. Implementations precompute a table of sessions and answer by
 * binary search: every lookup is O(log n).
 */
export interface Calendar {
  /** Canonical name, e.g. `XNYS`. */
  readonly name: string;
  /** IANA time zone the rules are written in. */
  readonly timeZone: string;
  /** First and last session dates the table covers. */
  readonly firstDate: DateString;
  readonly lastDate: DateString;

  /** Sessions whose date lies in [from, to], inclusive, in order. */
  sessions(from: DateString, to: DateString): Session[];
  /** The session labelled `date`, or undefined when the market is closed that day. */
  sessionOn(date: DateString): Session | undefined;
  /**
   * The session containing instant `t`: within [open, close) or, with `extended`,
   * within [preOpen, postClose), its break included. Undefined between sessions.
   */
  sessionAt(t: number, extended?: boolean): Session | undefined;
  /** The first session whose (extended, if asked) start is > t. */
  nextSession(t: number, extended?: boolean): Session | undefined;
  /** The last session whose (extended, if asked) end is <= t. */
  previousSession(t: number, extended?: boolean): Session | undefined;
  /** True inside a regular session (or an extended one with `extended`), outside its break. */
  isOpen(t: number, extended?: boolean): boolean;
  /** Pre-market, open, in the break, after-hours, or closed at t. */
  state(t: number): MarketState;
  /** The next session open strictly after t (a break's end is not an open). */
  nextOpen(t: number): number | undefined;
  /** The next session close strictly after t (a break's start is not a close). */
  nextClose(t: number): number | undefined;
  /**
   * The start times of the one-minute bars a session should have (regular, or extended),
   * the break's minutes left out.
   */
  expectedMinutes(session: Session, extended?: boolean): Float64Array;
  /** How many one-minute bars a session should have (its break's minutes not counted). */
  minuteCount(session: Session, extended?: boolean): number;
}
