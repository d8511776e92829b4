import type { Engine } from "../engine/engine.js";
import type { DateString } from "../model/time.js";
import type { GapLog } from "./gap-log.js";
import type { QualityCell } from "./quality.js";

/** The most sessions whose figures are kept. */
const MAX_SESSIONS = 1000;

/**
 * The quality of each symbol in each session the engine played, as its own figures had it
 * (`engine.session.metrics`: present and expected regular-session minutes, filled minutes
 * counting as present): taken at the session's close and again whenever upkeep resolves a gap
 * before the roll. The current session is read live. So the dashboard's table, its heatmap
 * and `/api/quality` show the same numbers, and the heatmap covers the whole replayed range.
 */
export class SessionRecord {
  private readonly sessions = new Map<DateString, Map<string, { present: number; expected: number }>>();
  private last: DateString | undefined;
  private readonly off: () => void;

  constructor(
    private readonly engine: Engine,
    private readonly gapLog: GapLog,
  ) {
    this.off = engine.onAny((e) => {
      if (e.type === "close") this.takeAll(e.date);
      else if ((e.type === "gapFilled" || e.type === "gapAbandoned") && engine.session.session) {
        const date = engine.session.session.date;
        if (this.sessions.has(date)) this.take(date, e.symbol);
      }
    });
  }

  /** Stops listening. */
  close(): void {
    this.off();
  }

  /** The last session played to its close, if any. */
  get lastSession(): DateString | undefined {
    return this.last;
  }

  /** A symbol's figures in a session: live for the current one, as recorded for played ones. */
  cell(symbol: string, date: DateString): QualityCell | undefined {
    const current = this.engine.session.session;
    if (current?.date === date && this.engine.session.has(symbol) && !this.sessions.has(date)) {
      const m = this.engine.session.metrics(symbol);
      return { present: m.present, expected: m.expected, gaps: this.gapLog.count(symbol, date) };
    }
    const kept = this.sessions.get(date)?.get(symbol);
    return kept && { ...kept, gaps: this.gapLog.count(symbol, date) };
  }

  private takeAll(date: DateString): void {
    if (!this.sessions.has(date)) {
      this.sessions.set(date, new Map());
      if (this.sessions.size > MAX_SESSIONS)
        this.sessions.delete(this.sessions.keys().next().value as string);
    }
    for (const symbol of this.engine.session.symbols()) this.take(date, symbol);
    this.last = date;
  }

  private take(date: DateString, symbol: string): void {
    const m = this.engine.session.metrics(symbol);
    this.sessions.get(date)!.set(symbol, { present: m.present, expected: m.expected });
  }
}
