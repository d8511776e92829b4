import { loadConfig } from "../config/load.js";
import { createEngine } from "../engine/engine.js";
import { JsonlWriter } from "../engine/jsonl.js";
import type { RunSummary } from "../engine/types.js";
import { InvalidArgumentError } from "../model/errors.js";
import { parseDate } from "../model/time.js";
import { publishShardReplay, shardReplayFlags } from "./bus.js";
import { ExitError, list, note, out } from "./io.js";
import type { ReplayOptions } from "./replay.js";

/** Runs a replay as the CLI asked; returns the exit code. */
export async function replayCommand(opts: ReplayOptions): Promise<number> {
  parseDate(opts.from!, "--from");
  parseDate(opts.to!, "--to");
  if (opts.from! > opts.to!) throw new InvalidArgumentError(`--from ${opts.from} is after --to ${opts.to}`);
  const symbols = list(opts.symbols);
  if (!opts.all && symbols.length === 0) throw new ExitError("give --symbols A,B or --all", 2);
  const flags: Record<string, unknown> = {
    from: opts.from,
    to: opts.to,
    db: opts.db,
    calendar: opts.calendar,
    extended: opts.extended,
    allSymbols: opts.all,
  };
  if (symbols.length > 0) flags.symbols = symbols;
  if (opts.derived !== undefined) flags.derived = { intervals: list(opts.derived) };
  if (opts.speed !== undefined) {
    const n = Number(opts.speed);
    if (opts.speed !== "max" && !(n > 0))
      throw new InvalidArgumentError(`bad --speed "${opts.speed}": max or a positive number`);
    flags.speed = opts.speed === "max" ? "max" : n;
  }
  const sharded = await shardReplayFlags(opts, flags, symbols);
  const config = loadConfig({ file: opts.config, flags });
  const engine = await createEngine(config);
  try {
    const stored = new Set(await engine.repository.symbols("1m"));
    const absent = engine.session.symbols().filter((symbol) => !stored.has(symbol));
    if (absent.length > 0)
      note(`tickwright: no stored 1m bars for ${absent.join(", ")} (their sessions will show as gaps)`);
    const sessions = engine.plannedSessions().length;
    if (sessions === 0)
      note(`tickwright: no ${engine.calendar.name} sessions between ${opts.from} and ${opts.to}`);
    const writer = opts.out ? new JsonlWriter(opts.out) : undefined;
    if (writer) engine.onAny((e) => writer.write(e));
    const bar =
      opts.progress !== false && process.stderr.isTTY && !opts.json ? await progressBar(sessions) : undefined;
    if (bar) engine.on("roll", () => bar.increment());
    const published = sharded ? await publishShardReplay(opts, sharded, engine) : undefined;
    let summary: RunSummary;
    try {
      summary = await engine.run();
      await published?.finish(summary);
    } finally {
      bar?.stop();
      await writer?.close();
      await published?.close();
    }
    if (opts.json) out(JSON.stringify({ from: opts.from, to: opts.to, ...summary }));
    else printSummary(summary, opts, engine.rejections().byReason);
    return 0;
  } finally {
    await engine.close();
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

function printSummary(s: RunSummary, opts: ReplayOptions, rejected: Record<string, number>): void {
  out(
    `replayed ${s.sessions} sessions of ${s.symbols} symbols (${opts.from} .. ${opts.to}) in ${(s.wallMs / 1000).toFixed(2)} s`,
  );
  out(`bars in:   ${fmt(s.barsIn)} one-minute bars, ${fmt(s.barsPerSecond)} bars/s`);
  const outs = Object.entries(s.barsOut)
    .filter(([k]) => k !== "1m")
    .map(([k, v]) => `${k} ${fmt(v)}`);
  out(`bars out:  ${outs.length > 0 ? outs.join(", ") : "none derived"}`);
  out(`gaps:      ${s.gapsFound} found, ${s.gapsFilled} filled, ${s.gapsAbandoned} abandoned`);
  const reasons = Object.entries(rejected);
  if (reasons.length > 0) out(`rejected:  ${reasons.map(([r, n]) => `${r} ${n}`).join(", ")}`);
  const q = Object.entries(s.quality);
  const shown = q.slice(0, 10).map(([sym, v]) => `${sym} ${v.toFixed(1)}%`);
  out(`quality:   ${shown.join(", ")}${q.length > 10 ? `, ... (${q.length} symbols)` : ""}`);
}
