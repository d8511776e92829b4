import type { Session } from "../calendar/types.js";
import type { Repository } from "../store/types.js";

/**
 * The symbols with at least one stored one-minute bar inside the sessions (regular hours, or
 * extended ones with `extended`), sorted. Symbols whose stored span misses the sessions are
 * left out unread; the rest are looked for session by session, all at once, until found.
 * `among` limits the symbols looked at (those on the sessions' calendar).
 */
export async function symbolsWithBars(
  repository: Repository,
  sessions: readonly Session[],
  extended: boolean,
  among: (symbol: string) => boolean = () => true,
): Promise<string[]> {
  if (sessions.length === 0) return [];
  const start = (s: Session) => (extended ? s.preOpen : s.open);
  const end = (s: Session) => (extended ? s.postClose : s.close);
  const first = start(sessions[0]);
  const last = end(sessions[sessions.length - 1]);
  let pending = (await repository.coverage())
    .filter((c) => c.interval === "1m" && c.first < last && c.last >= first && among(c.symbol))
    .map((c) => c.symbol);
  const found: string[] = [];
  for (const s of sessions) {
    if (pending.length === 0) break;
    const bars = await repository.readBars({ symbols: pending, interval: "1m", from: start(s), to: end(s) });
    const here = new Set<string>();
    for (let i = 0; i < bars.length; i++) here.add(bars.symbol[i]);
    found.push(...here);
    pending = pending.filter((symbol) => !here.has(symbol));
  }
  return found.sort();
}
