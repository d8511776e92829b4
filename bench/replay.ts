import { combine } from "tardis-dev";
import { createEngine } from "../src/engine/engine.js";
import { type GeneratedSession, generateBars } from "../src/ingest/generate.js";
import { openRepository } from "../src/store/index.js";
import type { Repository } from "../src/store/types.js";
import { type BenchGroup, type Figure, medianMicros } from "./harness.js";

const DERIVED = ["5m", "15m", "60m", "1d"];

async function storeOf(sessions: GeneratedSession[]): Promise<Repository> {
  const repo = await openRepository(":memory:");
  for (const s of sessions) await repo.writeBars("1m", s.bars);
  return repo;
}

/** Replays `symbols` x `days` generated sessions from an in-memory DuckDB; returns the summary. */
async function replay(
  repo: Repository,
  symbols: number,
  days: number,
  sessions: GeneratedSession[],
  opts: { upkeep?: boolean; listener?: boolean } = {},
) {
  const engine = await createEngine(
    {
      allSymbols: true,
      from: sessions[0].session.date,
      to: sessions[days - 1].session.date,
      derived: { intervals: DERIVED },
      history: { sessions: 5, dailyBars: 20 },
      upkeep: { enabled: opts.upkeep !== false, intervalSeconds: 60 },
      prefetch: { enabled: true, windowMinutes: 60 },
    },
    { repository: repo },
  );
  if (opts.listener !== false) engine.on("bar", () => {});
  const summary = await engine.run();
  if (summary.barsIn !== symbols * 390 * days) throw new Error(`replay delivered ${summary.barsIn} bars`);
  return { engine, summary };
}

/** tardis-dev's combine() merging one async iterator per symbol of the same bars. */
async function tardisCombine(
  sessions: GeneratedSession[],
  symbols: number,
): Promise<{ messages: number; ms: number }> {
  const perSymbol: { localTimestamp: Date; close: number }[][] = Array.from({ length: symbols }, () => []);
  const index = new Map<string, number>();
  for (const s of sessions) {
    const b = s.bars;
    for (let i = 0; i < b.length; i++) {
      let k = index.get(b.symbol[i]);
      if (k === undefined) index.set(b.symbol[i], (k = index.size));
      perSymbol[k].push({ localTimestamp: new Date(b.time[i] + 60_000), close: b.close[i] });
    }
  }
  async function* stream(rows: { localTimestamp: Date; close: number }[]) {
    for (const r of rows) yield r;
  }
  const t0 = performance.now();
  let messages = 0;
  for await (const _ of combine(...perSymbol.map(stream))) messages++;
  return { messages, ms: performance.now() - t0 };
}

const group: BenchGroup = {
  name: "replay",
  async run(): Promise<Figure[]> {
    const figures: Figure[] = [];
    const cases: [number, number][] = [
      [100, 20],
      [400, 20],
      [1600, 5],
    ];
    let perBar400 = 0;
    for (const [symbols, days] of cases) {
      const sessions = generateBars({ symbols, days, seed: 7 });
      const repo = await storeOf(sessions);
      await replay(repo, symbols, Math.min(days, 2), sessions);
      const { summary, engine } = await replay(repo, symbols, days, sessions);
      const name = symbols === 400 ? "replayBarsPerSecond" : `replay${symbols}BarsPerSecond`;
      figures.push({
        name,
        value: summary.barsPerSecond,
        unit: "bars/s",
        note: `${symbols} symbols x ${days} sessions from DuckDB, upkeep + ${DERIVED.join("/")}${symbols === 400 ? "; target >= 5,000,000" : ""}`,
      });
      if (symbols === 400) {
        perBar400 = summary.wallMs;
        const status = engine.session.status();
        figures.push({
          name: "memoryPerSymbolBytes",
          value: status.memoryPerSymbolBytes,
          unit: "bytes",
          note: "session + 5 trailing sessions + daily + derived (typed arrays); target < 200 KB",
        });
        const symbol = engine.session.symbols()[0];
        const micros = await medianMicros(() => engine.session.lastBars(symbol, 100, "5m"));
        figures.push({
          name: "lastBarsMicros",
          value: micros,
          unit: "us",
          note: 'lastBars(symbol, 100, "5m"); target < 2 us',
        });
        const busy = engine.upkeep!.status().busyMicros / 1000;
        figures.push({
          name: "upkeepSharePercent",
          value: (busy / summary.wallMs) * 100,
          unit: "%",
          note: `upkeep cycles' summed time (${busy.toFixed(0)} ms, 60 s cycles) over replay time; target < 2 %`,
        });
        const silent = await replay(repo, symbols, days, sessions, { listener: false });
        figures.push({
          name: "replayNoListenerBarsPerSecond",
          value: silent.summary.barsPerSecond,
          unit: "bars/s",
          note: "the same replay with no bar listener (no event objects)",
        });
        const peerSessions = sessions.slice(0, 2);
        const peer = await tardisCombine(peerSessions, symbols);
        const peerRate = (peer.messages / peer.ms) * 1000;
        figures.push({
          name: "tardisCombineMessagesPerSecond",
          value: peerRate,
          unit: "msgs/s",
          note: `tardis-dev combine() of ${symbols} per-symbol streams, merge only: tickwright replay is ${(summary.barsPerSecond / peerRate).toFixed(1)}x`,
        });
      }
      await repo.close();
    }
    figures.push({
      name: "replay400WallMillis",
      value: perBar400,
      unit: "ms",
      note: "wall time of the 400 x 20 replay",
    });
    return figures;
  },
};

export default group;
