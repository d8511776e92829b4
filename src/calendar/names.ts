/**
 * The built-in calendars' names and aliases, apart from their rules so that listing them
 * (`calendar --help`) loads nothing else.
 */
export const BUILT_IN_CALENDARS: ReadonlyArray<{
  readonly name: string;
  readonly aliases: readonly string[];
}> = [
  { name: "XNYS", aliases: ["NYSE", "XNAS", "NASDAQ"] },
  { name: "24/7", aliases: ["ALWAYS"] },
  { name: "24/5", aliases: ["FX"] },
  { name: "24/5-UTC", aliases: [] },
  { name: "XTKS", aliases: ["TSE", "JPX"] },
  { name: "XHKG", aliases: ["HKEX", "SEHK"] },
  { name: "CMES", aliases: ["CME", "GLOBEX"] },
  { name: "XLON", aliases: ["LSE"] },
  { name: "XETR", aliases: ["XETRA", "FWB"] },
  { name: "XPAR", aliases: ["EPA"] },
  { name: "XAMS", aliases: ["AEX"] },
  { name: "XSWX", aliases: ["SIX"] },
  { name: "XASX", aliases: ["ASX"] },
  { name: "XTSE", aliases: ["TSX"] },
  { name: "XKRX", aliases: ["KRX"] },
];

/** The names `getCalendar` knows, each with its aliases, e.g. `XNYS (NYSE, XNAS, NASDAQ)`. */
export function calendarNames(): string[] {
  return BUILT_IN_CALENDARS.map((b) => (b.aliases.length ? `${b.name} (${b.aliases.join(", ")})` : b.name));
}
