import type { BoundaryManager } from "../calendar/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import { allocBarColumns } from "../model/bar.js";
import type { SessionLoader } from "./feeds.js";
import type { SessionCycle } from "./session-cycle.js";
import type { SymbolState } from "./symbol-state.js";

/**
 * A market of its own in a replay of several: the symbols on one calendar other than the
 * engine's, with their planned sessions, session cycle, boundaries and store loaders.
 */
export interface Market {
  readonly calendar: Calendar;
  readonly symbols: string[];
  /** The calendar's sessions in the run's [from, to]. */
  readonly sessions: Session[];
  /** The symbols' states, in the order of `symbols`. */
  states: SymbolState[];
  cycle: SessionCycle;
  boundaries: BoundaryManager;
  loaders: Record<"bar" | "quote" | "tick", SessionLoader>;
}

/**
 * Groups symbols by the calendar they name (`calendarOf`: symbol -> calendar name), leaving out
 * those on `primary` (by name, or resolving to the same calendar): one group per other
 * calendar, in the order their first symbol appears.
 */
export function groupByCalendar(
  primary: Calendar,
  symbols: readonly string[],
  calendarOf: ReadonlyMap<string, string>,
  resolve: (name: string) => Calendar,
): { calendar: Calendar; symbols: string[] }[] {
  const groups: { calendar: Calendar; symbols: string[] }[] = [];
  for (const symbol of symbols) {
    const name = calendarOf.get(symbol);
    if (name === undefined) continue;
    const calendar = resolve(name);
    if (calendar === primary || calendar.name === primary.name) continue;
    let g = groups.find((x) => x.calendar === calendar);
    if (!g) groups.push((g = { calendar, symbols: [] }));
    g.symbols.push(symbol);
  }
  return groups;
}

/** The first planned session start (of any market) after `now`, or `fallback` when earlier or none. */
export function earliestStart(
  plans: readonly (readonly Session[])[],
  now: number,
  fallback: number,
  start: (s: Session) => number,
): number {
  let best = fallback;
  for (const sessions of plans) {
    const next = sessions.find((s) => start(s) > now);
    if (next && start(next) < best) best = start(next);
  }
  return best;
}

/**
 * Session loaders of one market's symbols that read nothing while the market has none (a store
 * read with no symbols would read every symbol's rows).
 */
export function marketLoaders(
  symbols: () => readonly string[],
  loaders: Record<"bar" | "quote" | "tick", SessionLoader>,
): Record<"bar" | "quote" | "tick", SessionLoader> {
  const none = {
    bar: { kind: "bar" as const, bars: allocBarColumns(0), ids: new Int32Array(0) },
    quote: { kind: "quote" as const, quotes: [] },
    tick: { kind: "tick" as const, ticks: [] },
  };
  const guard =
    (kind: "bar" | "quote" | "tick"): SessionLoader =>
    (session) =>
      symbols().length === 0 ? Promise.resolve(none[kind]) : loaders[kind](session);
  return { bar: guard("bar"), quote: guard("quote"), tick: guard("tick") };
}
