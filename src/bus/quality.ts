import type { Calendar, Session } from "../calendar/index.js";
import type { EngineEvent } from "../engine/index.js";
import type { QualityReport } from "./subjects.js";

/**
 * Counts each symbol's regular-session minutes present over a session from the engine's
 * events (one-minute bars received, minutes filled by upkeep) and, at the session's roll,
 * reports present / expected per symbol: what `<p>.out.quality.<SYMBOL>` carries.
 */
export class QualityTracker {
  private readonly present = new Map<string, number>();
  private session: Session | undefined;

  constructor(
    private readonly calendar: Calendar,
    private readonly symbols: readonly string[],
  ) {}

  /** Takes one event; returns the reports due at a roll (one per symbol), else undefined. */
  see(e: EngineEvent): QualityReport[] | undefined {
    if (e.type === "open" || e.type === "preOpen") {
      this.session ??= this.calendar.sessions(e.date, e.date)[0];
      return;
    }
    if (e.type === "bar") {
      if (e.interval !== "1m" || !this.session) return;
      if (e.time >= this.session.open && e.time < this.session.close)
        this.present.set(e.symbol, (this.present.get(e.symbol) ?? 0) + 1);
      return;
    }
    if (e.type === "gapFilled") {
      this.present.set(e.symbol, (this.present.get(e.symbol) ?? 0) + e.count);
      return;
    }
    if (e.type !== "roll") return;
    const session = this.session ?? this.calendar.sessions(e.date, e.date)[0];
    this.session = undefined;
    if (!session) return;
    const expected = this.calendar.expectedMinutes(session, false).length;
    const reports = this.symbols.map((symbol): QualityReport => {
      const present = Math.min(this.present.get(symbol) ?? 0, expected);
      return {
        type: "quality",
        at: e.at,
        symbol,
        date: e.date,
        present,
        expected,
        barQuality: expected > 0 ? (present / expected) * 100 : 100,
      };
    });
    this.present.clear();
    return reports;
  }
}
