import { currentTickers, parseAdjustMode, securityHistories, spansWithin } from "../actions/index.js";
import { getCalendar } from "../calendar/index.js";
import { symbolCalendars, symbolNames } from "../config/index.js";
import type { Config } from "../config/schema.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { JsonlWriter } from "../engine/jsonl.js";
import type { RunSummary } from "../engine/types.js";
import { InputError, InvalidArgumentError } from "../model/errors.js";
import { openFillSource } from "../upkeep/index.js";
import { type ReplayShardOptions, replayShard } from "./bus.js";
import { note, out, plural } from "./io.js";
import {
  checkedOutPath,
  checkedRange,
  commandConfig,
  openExistingStore,
  type ReplayFlagOptions,
  replayFlags,
} from "./options.js";
import { symbolsWithBars } from "./symbols-in-range.js";

/** Options of `tickwright replay`, as commander hands them over. */
export interface ReplayOptions extends ReplayFlagOptions, ReplayShardOptions {
  out?: string;
  json?: boolean;
  progress?: boolean;
  /** `--adjust raw|split|adjusted` (config key `adjust`). */
  adjust?: string;
}

/**
 * Runs a replay as the CLI asked; returns the exit code. SIGINT or SIGTERM stops the engine
 * (a paced wait ends at once) and the summary of what was replayed is still printed, exit 0.
 */
export async function replayCommand(opts: ReplayOptions): Promise<number> {
  const flags = replayFlags(opts);
  if (opts.adjust !== undefined) flags.adjust = parseAdjustMode(opts.adjust);
  const config = await commandConfig(opts.config, flags);
  if (config.from === undefined || config.to === undefined)
    throw new InvalidArgumentError(missingDates(config));
  const { from, to } = checkedRange(config.from, config.to);
  if (!config.allSymbols && config.symbols.length === 0) {
    throw new InvalidArgumentError(
      "give --symbols A,B or --all (or symbols or allSymbols in --config, or TICKWRIGHT_SYMBOLS or TICKWRIGHT_ALL_SYMBOLS)",
    );
  }
  // `--out -` writes the events to stdout; the summary then goes to stderr.
  const toStdout = opts.out === "-";
  const outPath = opts.out === undefined || toStdout ? undefined : checkedOutPath(opts.out, "--out");
  const say = toStdout ? note : out;
  const shard = await replayShard(opts);
  const calendar = getCalendar(config.calendar);
  const stop = new StopOnSignal();
  const repository = await openExistingStore(config.db);
  try {
    const sessions = calendar.sessions(from, to);
    const symbols = await replayedSymbols(config, repository, sessions, calendar.timeZone);
    if (symbols === undefined) return 0;
    const played = marketSessions(config, calendar.name, symbols);
    const planned = [...played.values()].reduce((a, b) => a + b, 0);
    // Symbols on other markets: the sessions of each (the engine counts its own calendar's).
    const onOthers = played.size > 1 || !played.has(calendar.name) ? sessionsPhrase(played) : undefined;
    if (planned === 0) note(`tickwright: no ${[...played.keys()].join(" or ")} sessions in ${from}..${to}`);
    const owned = shard ? shard.owned(symbols) : symbols;
    const fill = await openFillSource(config.upkeep.source);
    const engine = await createEngine(
      // The owned symbols by name, each keeping its market's calendar.
      {
        ...config,
        allSymbols: false,
        symbols: owned,
        calendars: Object.fromEntries(symbolCalendars(config)),
      },
      { repository, calendar, ...(fill.barSource ? { barSource: fill.barSource } : {}) },
    ).catch(async (err: unknown) => {
      await fill.close();
      throw err;
    });
    try {
      const published = shard ? await shard.publish(engine, symbols) : undefined;
      const summary = await runEngine(engine, stop, toStdout ? process.stdout : outPath, opts, {
        sessions: sessions.length,
        played: onOthers ?? plural(sessions.length, "session"),
        speed: config.speed,
      }).catch(async (err: unknown) => {
        await published?.close();
        throw err;
      });
      await published?.finish(summary);
      if (opts.json) say(JSON.stringify({ from, to, ...summary }));
      else
        printSummary(say, summary, { from, to, sessions: planned, onOthers }, engine.rejections().byReason);
      return 0;
    } finally {
      await engine.close();
      await fill.close();
    }
  } finally {
    stop.dispose();
    await repository.close();
  }
}

/**
 * The symbols with no stored one-minute bar (under any of their tickers) between the first and
 * the last of their market's sessions in `from..to`, read from the stored spans alone. Symbols
 * whose market has no session in the range are not counted (that has its own note).
 */
async function withoutBarsIn(
  config: Config,
  repository: Awaited<ReturnType<typeof openExistingStore>>,
  symbols: readonly string[],
): Promise<string[]> {
  const coverage = (await repository.coverage()).filter((c) => c.interval === "1m");
  const histories = await securityHistories(repository, [...symbols]);
  const markets = symbolCalendars(config);
  return symbols.filter((symbol) => {
    const sessions = getCalendar(markets.get(symbol) ?? config.calendar).sessions(config.from!, config.to!);
    if (sessions.length === 0) return false;
    const start = config.extended ? sessions[0].preOpen : sessions[0].open;
    const end = config.extended
      ? sessions[sessions.length - 1].postClose
      : sessions[sessions.length - 1].close;
    const tickers = new Set(
      spansWithin(histories.get(symbol)!, config.from!, config.to!).map((s) => s.ticker),
    );
    return !coverage.some((c) => tickers.has(c.symbol) && c.first < end && c.last >= start);
  });
}

/**
 * The sessions in `from..to` of each calendar the symbols are on (the engine's calendar when
 * there is no symbol), by calendar name.
 */
function marketSessions(config: Config, primary: string, symbols: readonly string[]): Map<string, number> {
  const markets = symbolCalendars(config);
  const names = new Set(symbols.map((s) => getCalendar(markets.get(s) ?? config.calendar).name));
  if (names.size === 0) names.add(primary);
  const out = new Map<string, number>();
  for (const name of [...names].sort((a, b) =>
    a === primary ? -1 : b === primary ? 1 : a.localeCompare(b),
  )) {
    out.set(name, getCalendar(name).sessions(config.from!, config.to!).length);
  }
  return out;
}

/** `2 XNYS sessions and 3 XTKS sessions`. */
function sessionsPhrase(played: Map<string, number>): string {
  return [...played].map(([name, n]) => plural(n, `${name} session`)).join(" and ");
}

/** What to give when `from`, `to` or both are missing, naming only what is missing. */
function missingDates(config: Config): string {
  if (config.from !== undefined) return "give --to DATE (or to in --config, or TICKWRIGHT_TO)";
  if (config.to !== undefined) return "give --from DATE (or from in --config, or TICKWRIGHT_FROM)";
  return "give --from DATE and --to DATE (or from and to in --config, or TICKWRIGHT_FROM and TICKWRIGHT_TO)";
}

/**
 * The symbols to replay: with `allSymbols`, the securities with bars in the sessions, by current
 * ticker (undefined, after a note, when none has); otherwise the configured ones, noting those
 * with nothing stored under any of their tickers of the dates (an InputError when none has).
 */
async function replayedSymbols(
  config: Config,
  repository: Awaited<ReturnType<typeof openExistingStore>>,
  sessions: Parameters<typeof symbolsWithBars>[1],
  timeZone: string,
): Promise<string[] | undefined> {
  if (config.allSymbols) {
    // A symbol the `calendars` map puts on another market is looked for in that market's sessions.
    const markets = symbolCalendars(config);
    const tickers = await symbolsWithBars(repository, sessions, config.extended, (s) => !markets.has(s));
    let played = sessions.length;
    for (const name of new Set(markets.values())) {
      const other = getCalendar(name).sessions(config.from!, config.to!);
      const on = (s: string) => markets.get(s) === name;
      played += other.length;
      tickers.push(...(await symbolsWithBars(repository, other, config.extended, on)));
    }
    const symbols = await currentTickers(repository, tickers, timeZone, config.from, config.to);
    if (symbols.length === 0 && played > 0) {
      note(`tickwright: no symbol has one-minute bars in ${config.from}..${config.to} in ${config.db}`);
      return undefined;
    }
    return symbols;
  }
  const stored = new Set(await repository.symbols("1m"));
  const names = symbolNames(config);
  const histories = await securityHistories(repository, names);
  const absent = names.filter(
    (symbol) =>
      !spansWithin(histories.get(symbol)!, config.from!, config.to!).some((span) => stored.has(span.ticker)),
  );
  if (absent.length === names.length) {
    throw new InputError(
      `unknown symbol${absent.length === 1 ? "" : "s"} ${absent.join(", ")}: no one-minute bars stored in ${config.db}`,
    );
  }
  if (absent.length > 0) {
    note(`tickwright: no stored 1m bars for ${absent.join(", ")} (their sessions will show as gaps)`);
  }
  const idle = await withoutBarsIn(
    config,
    repository,
    names.filter((symbol) => !absent.includes(symbol)),
  );
  if (idle.length > 0)
    note(`tickwright: no bars stored for ${idle.join(", ")} in ${config.from}..${config.to}`);
  return names;
}

async function runEngine(
  engine: Engine,
  stop: StopOnSignal,
  outPath: string | NodeJS.WriteStream | undefined,
  opts: ReplayOptions,
  plan: { sessions: number; played: string; speed: Config["speed"] },
): Promise<RunSummary> {
  const writer = outPath ? new JsonlWriter(outPath) : undefined;
  if (writer) engine.onAny((e) => writer.write(e));
  const bar =
    opts.progress !== false && process.stderr.isTTY && !opts.json
      ? await progressBar(plan.sessions)
      : undefined;
  if (bar) engine.on("roll", () => bar.increment());
  stop.onSignal(() => void engine.stop());
  if (plan.speed !== "max") {
    // Said once the replay is under way (its first event: the first session has started and
    // its data is read), so what follows is the paced replay itself.
    const off = engine.onAny(() => {
      off();
      note(
        `tickwright: replaying ${plan.played} at ${plan.speed}x real time; SIGINT or SIGTERM stops it with the summary`,
      );
    });
  }
  try {
    return await engine.run();
  } finally {
    bar?.stop();
    await writer?.close();
  }
}

/** SIGINT and SIGTERM call the stop handler (once it is set) instead of ending the process. */
class StopOnSignal {
  private handler: (() => void) | undefined;
  private signalled = false;
  private readonly listener = () => {
    this.signalled = true;
    this.handler?.();
  };

  constructor() {
    process.on("SIGINT", this.listener);
    process.on("SIGTERM", this.listener);
  }

  /** Sets what a signal does; runs it at once when a signal came before. */
  onSignal(handler: () => void): void {
    this.handler = handler;
    if (this.signalled) handler();
  }

  dispose(): void {
    process.off("SIGINT", this.listener);
    process.off("SIGTERM", this.listener);
  }
}

async function progressBar(total: number) {
  const { SingleBar, Presets } = await import("cli-progress");
  const bar = new SingleBar(
    { format: "replay [{bar}] {value}/{total} sessions | ETA {eta_formatted}", stream: process.stderr },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Quality figures printed on the summary line; the rest are counted. */
const SHOWN_QUALITY = 10;

function printSummary(
  out: (line: string) => void,
  s: RunSummary,
  range: { from: string; to: string; sessions: number; onOthers: string | undefined },
  rejected: Record<string, number>,
): void {
  const played = range.onOthers ?? plural(s.sessions, "session");
  const done = !s.stopped ? "replayed" : range.onOthers ? "stopped in" : "stopped after";
  out(
    `${done} ${played} of ${plural(s.symbols, "symbol")} (${range.from} .. ${range.to}) in ${(s.wallMs / 1000).toFixed(2)} s`,
  );
  out(`bars in:   ${plural(s.barsIn, "one-minute bar")}, ${fmt(s.barsPerSecond)} bars/s`);
  const outs = Object.entries(s.barsOut)
    .filter(([k]) => k !== "1m")
    .map(([k, v]) => `${k} ${fmt(v)}`);
  out(`bars out:  ${outs.length > 0 ? outs.join(", ") : "none derived"}`);
  out(`gaps:      ${plural(s.gapsFound, "gap")} found, ${s.gapsFilled} filled, ${s.gapsAbandoned} abandoned`);
  const reasons = Object.entries(rejected);
  if (reasons.length > 0) out(`rejected:  ${reasons.map(([r, n]) => `${r} ${n}`).join(", ")}`);
  if (range.sessions === 0) {
    out("quality:   no sessions in range");
    return;
  }
  const q = Object.entries(s.quality);
  const shown = q.slice(0, SHOWN_QUALITY).map(([sym, v]) => `${sym} ${v.toFixed(1)}%`);
  out(
    `quality:   ${shown.join(", ")}${q.length > SHOWN_QUALITY ? `, ... (${plural(q.length, "symbol")})` : ""}`,
  );
}
