import { type AdjustMode, adjustBars, FactorTimeline, type SecurityDirectory } from "../actions/index.js";
import type { Session } from "../calendar/types.js";
import type { CorporateAction } from "../store/types.js";
import type { SessionData } from "./session-data.js";
import type { SymbolState } from "./symbol-state.js";
import type { CorporateActionEvent, RenameEvent } from "./types.js";

/**
 * The corporate actions of a replay, at session starts. A `rename` event announces each
 * ticker change taking effect at a session (the replay reads a renamed symbol's older bars
 * under its older tickers, see `SecurityDirectory`). With `adjust: "split"` or `"adjusted"`,
 * point-in-time adjustment: bars are delivered as they traded; what the engine holds of a
 * symbol's past (trailing sessions, daily bars, derived bars) is adjusted as of the clock:
 * history loaded at a session start for the actions with an ex-date on or before that
 * session, and at each later session start for the actions taking effect then, each
 * announced by a `corporateAction` event before the session's first bar. No bar held ever
 * reflects an action later than the clock. Actions before the first session are not announced.
 */
export class ReplayAdjuster {
  /** Per symbol, the splits (and, adjusted, dividends) the mode applies. */
  private readonly applied = new Map<string, CorporateAction[]>();
  /** Per symbol, the session date up to which its actions are applied to what is held. */
  private readonly appliedTo = new Map<string, string>();
  /** The session started before, whose later actions are announced. */
  private lastStart: string | undefined;

  constructor(
    private readonly mode: AdjustMode,
    private readonly directory: SecurityDirectory,
    private readonly timeZone: string,
  ) {}

  /**
   * At a session start (after history was applied): rescales what each symbol holds for the
   * actions now in effect and returns the events of those taking effect at this session,
   * renames first. `fresh` names the symbols whose history was just loaded (raw, as stored).
   */
  async startSession(
    session: Session,
    data: SessionData,
    fresh: ReadonlySet<string>,
    at: number,
  ): Promise<(RenameEvent | CorporateActionEvent)[]> {
    const symbols = data.symbols();
    await this.directory.load(symbols);
    const previous = this.lastStart;
    this.lastStart = session.date;
    const renames: RenameEvent[] = [];
    const events: CorporateActionEvent[] = [];
    for (const symbol of symbols) {
      if (previous !== undefined) {
        for (const a of this.directory.renamesIn(symbol, previous, session.date))
          renames.push({
            type: "rename",
            at,
            symbol,
            date: a.date,
            ticker: a.symbol,
            previous: a.previous!,
          });
      }
      const own = this.actionsOf(symbol);
      if (own.length === 0) continue;
      this.catchUp(data, symbol, own, session, fresh.has(symbol) ? undefined : this.appliedTo.get(symbol));
      if (previous === undefined) continue;
      for (const a of own) {
        if (a.date <= previous || a.date > session.date) continue;
        const kind = a.kind as "split" | "dividend";
        events.push({
          type: "corporateAction",
          at,
          symbol,
          date: a.date,
          kind,
          value: a.value,
          factor: a.factor,
        });
      }
    }
    return [...renames, ...events];
  }

  /** Adjusts the history just loaded for symbols activated during `session`, as of it. */
  async adjustLoaded(symbols: readonly string[], session: Session, data: SessionData): Promise<void> {
    if (this.mode === "raw") return;
    await this.directory.load(symbols);
    for (const symbol of symbols) this.catchUp(data, symbol, this.actionsOf(symbol), session, undefined);
  }

  /** Applies a symbol's actions dated in (since, session date] to what it holds. */
  private catchUp(
    data: SessionData,
    symbol: string,
    own: readonly CorporateAction[],
    session: Session,
    since: string | undefined,
  ): void {
    const state = data.find(symbol);
    if (!state) return;
    const due = own.filter((a) => a.date <= session.date && (since === undefined || a.date > since));
    this.appliedTo.set(symbol, session.date);
    if (due.length === 0) return;
    rescale(state, FactorTimeline.of(due, { mode: this.mode }, this.timeZone));
    data.invalidate(symbol);
  }

  /** The splits (and, adjusted, dividends) of a loaded symbol; none in raw mode. */
  private actionsOf(symbol: string): CorporateAction[] {
    if (this.mode === "raw") return [];
    let own = this.applied.get(symbol);
    if (!own) {
      const all = this.directory.history(symbol)?.actions ?? [];
      own = all.filter((a) => a.kind === "split" || (a.kind === "dividend" && this.mode === "adjusted"));
      this.applied.set(symbol, own);
    }
    return own;
  }
}

/** Adjusts everything a symbol holds by a timeline, in place (the on-demand derived bars are rebuilt when read). */
function rescale(state: SymbolState, timeline: FactorTimeline): void {
  for (const h of state.history) adjustBars(h.bars, timeline);
  adjustBars(state.daily, timeline);
  adjustBars(state.bars, timeline);
  for (const series of state.derived) adjustBars(series, timeline);
  state.onDemand.clear();
}
