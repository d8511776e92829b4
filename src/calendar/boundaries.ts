import type { Clock, TimerHandle } from "../clock/clock.js";
import type { Calendar, MarketState, Session } from "./types.js";

/** The session boundaries a `BoundaryManager` emits. */
export type BoundaryKind = "preOpen" | "open" | "breakStart" | "breakEnd" | "close" | "postClose" | "roll";

/** One boundary of one session: `at` is its true time, even when it is emitted late. */
export interface BoundaryEvent {
  readonly type: BoundaryKind;
  readonly at: number;
  readonly session: Session;
  /** The calendar's name. */
  readonly calendar: string;
}

/** Receives boundaries in order; an async listener is awaited before the next one. */
export type BoundaryListener = (event: BoundaryEvent) => void | Promise<void>;

/** Options of a `BoundaryManager`. */
export interface BoundaryOptions {
  /** Emit preOpen and postClose as well as open and close (default true). */
  extended?: boolean;
  /** Emit a `roll` right after each `close`, at the same time (default false). */
  autoRoll?: boolean;
  /** Emit `breakStart` and `breakEnd` of sessions that have a break (default true). */
  breaks?: boolean;
}

/** What a `BoundaryManager` is doing, for health reports. */
export interface BoundaryStatus {
  readonly calendar: string;
  readonly running: boolean;
  readonly extended: boolean;
  readonly autoRoll: boolean;
  /** The market state at the clock's now. */
  readonly state: MarketState;
  /** Boundaries emitted since construction. */
  readonly emitted: number;
  readonly last?: BoundaryEvent;
  readonly next?: BoundaryEvent;
}

/**
 * Emits the session boundaries of one calendar on a `Clock`: a simulated clock in a backtest,
 * the wall clock live. It keeps a single clock timer, at the next boundary. When the timer
 * fires, possibly late (after a live pause or when a simulated clock jumped), every boundary
 * due by then is emitted once, in order, each with its true time; then the next is scheduled.
 *
 * Order within a session: preOpen, open, breakStart, breakEnd, close, roll, postClose (roll
 * only with `autoRoll`; preOpen and postClose only with `extended`; the break's two only for
 * a session with a break, unless `breaks` is false). Boundaries at equal times keep that order, and a
 * session's boundaries all come before the next session's. A market without extended hours
 * still gets preOpen and postClose, at the open and the close.
 */
export class BoundaryManager {
  readonly extended: boolean;
  readonly autoRoll: boolean;
  private readonly kinds: BoundaryKind[];
  private readonly listeners: BoundaryListener[] = [];
  private pending: BoundaryEvent | undefined;
  private last: BoundaryEvent | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  private emitted = 0;

  constructor(
    private readonly clock: Clock,
    readonly calendar: Calendar,
    options: BoundaryOptions = {},
  ) {
    this.extended = options.extended ?? true;
    this.autoRoll = options.autoRoll ?? false;
    this.kinds = [
      ...(this.extended ? (["preOpen"] as const) : []),
      "open",
      ...(options.breaks === false ? [] : (["breakStart", "breakEnd"] as const)),
      "close",
      ...(this.autoRoll ? (["roll"] as const) : []),
      ...(this.extended ? (["postClose"] as const) : []),
    ];
  }

  /** Adds a listener; returns a function that removes it. */
  on(listener: BoundaryListener): () => void {
    this.listeners.push(listener);
    return () => this.off(listener);
  }

  /** Removes a listener. */
  off(listener: BoundaryListener): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /**
   * Starts emitting. Boundaries at or after `fromTime` that the clock has already passed are
   * emitted first (awaited), with their true times. Without `fromTime` it catches up from the
   * start of the session in progress (its preOpen, or its open when not `extended`), so a
   * manager started mid-session still tells its listeners the session began; between
   * sessions it starts at now. Starting a running manager does nothing.
   */
  async start(fromTime?: number): Promise<void> {
    if (this.running) return;
    this.running = true;
    const now = this.clock.now();
    const from =
      fromTime ?? this.calendar.sessionAt(now, this.extended)?.[this.extended ? "preOpen" : "open"] ?? now;
    this.pending = boundaryAtOrAfter(this.calendar, this.kinds, from);
    await this.fire();
  }

  /** Stops: cancels the timer; nothing more is emitted until `start` is called again. */
  stop(): void {
    this.running = false;
    if (this.timer) this.clock.cancel(this.timer);
    this.timer = undefined;
  }

  /** The next boundary to be emitted (not yet due, or due and not yet emitted). */
  next(): BoundaryEvent | undefined {
    return this.pending;
  }

  /** Running state, the market state now, and the last and next boundaries. */
  status(): BoundaryStatus {
    return {
      calendar: this.calendar.name,
      running: this.running,
      extended: this.extended,
      autoRoll: this.autoRoll,
      state: this.calendar.state(this.clock.now()),
      emitted: this.emitted,
      last: this.last,
      next: this.pending,
    };
  }

  /** Emits every boundary due by the clock's now, then schedules the timer for the next. */
  private async fire(): Promise<void> {
    this.timer = undefined;
    try {
      while (this.running && this.pending && this.pending.at <= this.clock.now()) {
        const event = this.pending;
        this.pending = this.successor(event);
        this.last = event;
        this.emitted++;
        for (const listener of [...this.listeners]) await listener(event);
      }
    } finally {
      if (this.running && this.pending && !this.timer) {
        this.timer = this.clock.at(this.pending.at, () => this.fire());
      }
    }
  }

  /** The first boundary of `session` at or after kind index `from` that the session has. */
  private event(session: Session, from: number): BoundaryEvent | undefined {
    for (let k = from; k < this.kinds.length; k++) {
      const type = this.kinds[k];
      const at = timeOf(session, type);
      if (at !== undefined) return { type, at, session, calendar: this.calendar.name };
    }
    return undefined;
  }

  /** The boundary after `event` in emission order. */
  private successor(event: BoundaryEvent): BoundaryEvent | undefined {
    const same = this.event(event.session, this.kinds.indexOf(event.type) + 1);
    if (same) return same;
    const following = this.calendar.nextSession(event.session.preOpen, true);
    return following ? this.event(following, 0) : undefined;
  }
}

/** The first boundary of `kinds` (in their emission order) whose time is >= t. */
function boundaryAtOrAfter(
  calendar: Calendar,
  kinds: readonly BoundaryKind[],
  t: number,
): BoundaryEvent | undefined {
  // A session ending exactly at t (24/7: yesterday's close is today's open) still has boundaries at t.
  const ended = calendar.previousSession(t, true);
  let session =
    ended && ended.postClose === t ? ended : (calendar.sessionAt(t, true) ?? calendar.nextSession(t, true));
  while (session) {
    for (const type of kinds) {
      const at = timeOf(session, type);
      if (at !== undefined && at >= t) return { type, at, session, calendar: calendar.name };
    }
    session = calendar.nextSession(session.preOpen, true);
  }
  return undefined;
}

/**
 * The first session boundary strictly after instant t: preOpen, open, breakStart, breakEnd,
 * close or postClose (no preOpen and postClose when `extended` is false). For "what happens
 * next" questions.
 */
export function nextBoundary(calendar: Calendar, t: number, extended = true): BoundaryEvent | undefined {
  return boundaryAtOrAfter(
    calendar,
    extended
      ? ["preOpen", "open", "breakStart", "breakEnd", "close", "postClose"]
      : ["open", "breakStart", "breakEnd", "close"],
    t + 1,
  );
}

/** When `session` has boundary `kind`; undefined for a break it does not have. */
function timeOf(session: Session, kind: BoundaryKind): number | undefined {
  switch (kind) {
    case "preOpen":
      return session.preOpen;
    case "open":
      return session.open;
    case "breakStart":
      return session.breakStart;
    case "breakEnd":
      return session.breakEnd;
    case "close":
    case "roll":
      return session.close;
    case "postClose":
      return session.postClose;
  }
}
