import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { detectGaps } from "../gaps/index.js";
import { barsToColumns } from "../model/bar.js";
import { openRepository, type Repository } from "../store/index.js";
import { sessionBars } from "../testing/bars.js";
import { buildServer } from "./app.js";
import { MAX_QUALITY_CELLS } from "./quality.js";
import { BusyError, ReadLimiter } from "./read-limit.js";

const xnys = getCalendar("XNYS");
/** 41 symbols x the 252 sessions of 2024 = 10,332 cells: past the cap. */
const SYMBOLS = Array.from({ length: 41 }, (_, i) => `T${i}`);
const DAYS = xnys.sessions("2024-03-11", "2024-03-15");

// In memory the server's reads are streamed on the main thread; from a file they run on the
// store's worker thread: the answers must be the same.
describe.each([
  ["in memory", false],
  ["in a DuckDB file", true],
])("API limits over generated bars %s", (_, inFile) => {
  let repo: Repository;
  let engine: Engine;
  let app: FastifyInstance;
  let dir: string | undefined;

  beforeAll(async () => {
    dir = inFile ? mkdtempSync(join(tmpdir(), "tw-limits-")) : undefined;
    repo = await openRepository(dir ? join(dir, "limits.duckdb") : ":memory:");
    expect(repo.readCodedBars !== undefined).toBe(inFile);
    for (const [d, session] of DAYS.entries()) {
      // T0 misses minutes 10..14 and 200 of every session; the others are complete.
      const bars = SYMBOLS.flatMap((symbol) =>
        sessionBars(
          xnys,
          session,
          symbol,
          symbol === "T0" ? { skip: new Set([10, 11, 12, 13, 14, 200 + d]) } : {},
        ),
      );
      await repo.writeBars("1m", barsToColumns(bars));
    }
    engine = await createEngine(
      { symbols: ["T0", "T1"], from: "2024-03-18", to: "2024-03-18" },
      { repository: repo, calendar: xnys },
    );
    app = buildServer({ engine, defaultMetrics: false });
  });

  afterAll(async () => {
    await app?.close();
    await engine?.close();
    await repo?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (url: string) => {
    const r = await app.inject({ method: "GET", url });
    return { status: r.statusCode, body: r.json(), headers: r.headers };
  };

  it("audits quality per symbol and session from the stored minutes, as detectGaps counts them", async () => {
    const r = await get("/api/quality?symbols=T0,T1&from=2024-03-11&to=2024-03-15");
    expect(r.status).toBe(200);
    expect(r.body.dates).toEqual(DAYS.map((s) => s.date));
    // 384 of 390 minutes: 98.46%, two gaps (10..14 and one more) each session.
    expect(r.body.quality).toEqual([DAYS.map(() => 98.46), DAYS.map(() => 100)]);
    expect(r.body.gaps).toEqual([DAYS.map(() => 2), DAYS.map(() => 0)]);
    const minutes = sessionBars(xnys, DAYS[0], "T0", { skip: new Set([10, 11, 12, 13, 14, 200]) }).map(
      (b) => b.time,
    );
    const reference = detectGaps(
      minutes,
      minutes.length,
      xnys.expectedMinutes(DAYS[0]),
      Number.POSITIVE_INFINITY,
    );
    expect(Math.round(reference.quality * 100) / 100).toBe(98.46);
    expect(reference.gaps.length).toBe(2);
  });

  it("gives the same quality from a cold read of the asked symbols and from the sessions kept whole, and serves each symbol's stored minutes", async () => {
    const url = "/api/quality?symbols=T2,T0&from=2024-03-11&to=2024-03-15";
    const cold = await get(url);
    for (const session of DAYS) {
      const r = await get(`/api/bars?symbol=T0&interval=1m&from=${session.date}&to=${session.date}`);
      const d = DAYS.indexOf(session);
      const stored = sessionBars(xnys, session, "T0", { skip: new Set([10, 11, 12, 13, 14, 200 + d]) });
      expect(r.body.bars.map((b: { time: number; close: number }) => [b.time, b.close])).toEqual(
        stored.map((b) => [b.time, b.close]),
      );
    }
    // The cells kept from the cold read answer again; sessions now kept whole answer new symbols.
    expect((await get(url)).body).toEqual(cold.body);
    expect(cold.body.quality).toEqual([DAYS.map(() => 100), DAYS.map(() => 98.46)]);
    const warm = await get("/api/quality?symbols=T3,T0&from=2024-03-11&to=2024-03-15");
    expect(warm.body.quality).toEqual(cold.body.quality);
    expect(warm.body.gaps).toEqual([DAYS.map(() => 0), DAYS.map(() => 2)]);
  });

  it("refuses unknown symbols in /api/quality and /api/events, naming them", async () => {
    const q = await get("/api/quality?symbols=T0,NOPE,ZZZ&from=2024-03-11&to=2024-03-15");
    expect(q.status).toBe(400);
    expect(q.body).toEqual({ error: "unknown symbols: NOPE, ZZZ (nothing stored)", field: "symbols" });
    const e = await get("/api/events?symbols=T0,T5");
    expect(e.status).toBe(400);
    expect(e.body).toEqual({ error: "unknown symbol: T5 (not active in the session)", field: "symbols" });
  });

  it("refuses a quality request past the cells cap with a clear 400", async () => {
    const r = await get(`/api/quality?symbols=${SYMBOLS.join(",")}&from=2024-01-01&to=2024-12-31`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: `41 symbols x 252 sessions is 10332 cells; at most ${MAX_QUALITY_CELLS} per request (ask fewer symbols or a shorter range)`,
      field: "symbols",
    });
  });

  it("refuses a stored-range request of more than 20,000 bars", async () => {
    // 252 sessions x 390 minutes, less 180 on each of the three early closes (Jul 3, Nov 29, Dec 24).
    const r = await get("/api/bars?symbol=T0&interval=1m&from=2024-01-01&to=2024-12-31");
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(
      "2024-01-01..2024-12-31 at 1m is up to 97740 bars; at most 20000 per request (narrow the range or take a longer interval)",
    );
    expect((await get("/api/bars?symbol=T0&interval=5m&from=2024-01-01&to=2024-12-31")).status).toBe(200);
  });

  it("serves the same stored bars again from memory, and marks every JSON answer nosniff", async () => {
    const url = "/api/bars?symbol=T0&interval=1m&from=2024-03-12&to=2024-03-13";
    const first = await get(url);
    expect(first.body.bars.length).toBe(2 * 384);
    expect(first.headers["x-content-type-options"]).toBe("nosniff");
    expect((await get(url)).body).toEqual(first.body);
    for (const route of ["/health", "/api/symbols", "/api/quality", "/api/nope"]) {
      expect((await get(route)).headers["x-content-type-options"]).toBe("nosniff");
    }
  });
});

describe("ReadLimiter", () => {
  it("runs at most `concurrency` reads at once, queues `queue` more and refuses the rest", async () => {
    const limiter = new ReadLimiter(1, 1);
    let release!: () => void;
    const first = limiter.run(() => new Promise<string>((r) => (release = () => r("first"))));
    const second = limiter.run(async () => "second");
    expect(limiter.load).toEqual({ active: 1, waiting: 1 });
    await expect(limiter.run(async () => "third")).rejects.toThrow(BusyError);
    release();
    expect(await Promise.all([first, second])).toEqual(["first", "second"]);
    expect(limiter.load).toEqual({ active: 0, waiting: 0 });
  });
});
