import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { barsToColumns } from "../model/bar.js";
import { openRepository } from "../store/index.js";
import { finished, runBin, startBin } from "../testing/bin.js";
import { run } from "../testing/cli.js";
import { liveOptions, serveConfig, summaryLine } from "./serve.js";

describe("tickwright serve options", () => {
  it("paces at 60x real time unless told otherwise, and takes every stored symbol by default", () => {
    const config = serveConfig({ db: "x.duckdb" }, {});
    expect(config.speed).toBe(60);
    expect(config.allSymbols).toBe(true);
    expect(serveConfig({ db: "x.duckdb", speed: "max", symbols: "SPY, AAPL" }, {})).toMatchObject({
      speed: "max",
      symbols: ["SPY", "AAPL"],
      allSymbols: false,
    });
    expect(serveConfig({ db: "x.duckdb" }, { TICKWRIGHT_SPEED: "600" }).speed).toBe(600);
  });

  it("refuses a bad port, speed or date with exit 2, naming the flag", async () => {
    for (const [args, message] of [
      [["--port", "65536"], 'bad --port "65536": an integer 0..65535'],
      [["--speed", "0"], 'bad --speed "0": max or a positive number'],
      [["--from", "2024-02-30"], "--from"],
    ] as const) {
      const r = await run("serve", "--db", "missing.duckdb", ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it("checks the live feed's choices before anything is opened", () => {
    expect(liveOptions({})).toBeUndefined();
    expect(liveOptions({ live: true })).toEqual({ feed: "alpaca", alpacaFeed: "iex" });
    expect(() => liveOptions({ live: true, feed: "nope" })).toThrow('bad --feed "nope": alpaca or replay');
    expect(() => liveOptions({ live: true, feed: "replay", speed: "60" })).toThrow(
      "plays stored bars at wall-clock pace",
    );
  });

  it("sums a stopped replay up in one line", () => {
    const line = summaryLine({
      sessions: 1,
      symbols: 2,
      barsIn: 1234,
      barsOut: {},
      quotesIn: 0,
      ticksIn: 0,
      gapsFound: 3,
      gapsFilled: 1,
      gapsAbandoned: 2,
      quality: {},
      wallMs: 1,
      barsPerSecond: 1,
      stopped: true,
    });
    expect(line).toBe(
      "stopped after 1 session of 2 symbols: 1,234 one-minute bars in; gaps 3 found, 1 filled, 2 abandoned",
    );
  });
});

/** A market open three minutes a day (10:00-10:03 UTC, weekdays), so a paced replay soon waits between sessions. */
const SHORT_CALENDAR = {
  name: "SHORT",
  timeZone: "UTC",
  from: "2024-01-01",
  to: "2024-12-31",
  weekly: Object.fromEntries(
    ["mon", "tue", "wed", "thu", "fri"].map((d) => [d, { open: "10:00", close: "10:03" }]),
  ),
};

describe("tickwright serve stopped by a signal", () => {
  let dir: string;
  let db: string;
  let calendar: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tickwright-serve-signal-"));
    db = join(dir, "short.duckdb");
    calendar = join(dir, "short.json");
    writeFileSync(calendar, JSON.stringify(SHORT_CALENDAR));
    const repo = await openRepository(db);
    const bars = ["2024-03-11", "2024-03-12", "2024-03-13"].flatMap((date) =>
      [0, 1, 2].map((k) => {
        const time = Date.parse(`${date}T10:0${k}:00Z`);
        return { symbol: "AAA", time, open: 10 + k, high: 11 + k, low: 9 + k, close: 10.5 + k, volume: 100 };
      }),
    );
    await repo.writeBars("1m", barsToColumns(bars));
    await repo.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts `serve`, resolves with its URL once it prints it. */
  async function serve(args: string[]) {
    const child = startBin(["serve", "--db", db, "--calendar", calendar, "--port", "0", ...args]);
    const result = finished(child);
    const url = await new Promise<string>((resolve, reject) => {
      let text = "";
      child.stderr!.on("data", (d) => {
        text += String(d);
        const m = /serving (http:\/\/\S+)/.exec(text);
        if (m) resolve(m[1]);
      });
      void result.then((r) => reject(new Error(`serve ended before serving: ${r.stderr}`)));
    });
    return { child, result, url };
  }

  async function health(
    url: string,
  ): Promise<{ components: { engine: { details: Record<string, unknown> } } }> {
    return (await fetch(`${url}/health`)).json() as never;
  }

  it("at --speed 60, ends within a second of SIGTERM while waiting for the next bar, with its summary, exit 0", async () => {
    const { child, result, url } = await serve(["--speed", "60"]);
    // Under way: the first bar is in and the replay waits for the next one (a second at 60x).
    const waiting = (d: Record<string, unknown>) => d.state === "running" && Number(d.barsIn) >= 1;
    while (!waiting((await health(url)).components.engine.details)) await setTimeout(20);
    const t0 = performance.now();
    child.kill("SIGTERM");
    const r = await result;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/tickwright: stopped after \d sessions? of 1 symbol: \d one-minute bars? in/);
  });

  it("with --pace-closed, says 'between sessions, next open at ...' while it waits, and SIGINT ends it within a second", async () => {
    const { child, result, url } = await serve(["--speed", "600", "--pace-closed"]);
    let note: unknown;
    while (note === undefined) {
      note = (await health(url)).components.engine.details.note;
      if (note === undefined) await setTimeout(20);
    }
    expect(note).toBe("between sessions, next open at 2024-03-12T10:00:00.000Z");
    const symbols = (await (await fetch(`${url}/api/symbols`)).json()) as { note: string; session: string };
    expect(symbols).toMatchObject({ note, session: "2024-03-11" });
    const t0 = performance.now();
    child.kill("SIGINT");
    const r = await result;
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("tickwright: stopped after 1 session of 1 symbol: 3 one-minute bars in");
  });

  it("skips the closed time between sessions by default, and stopped in the second of three sessions says it replayed 2", async () => {
    // At 60x a session here is 3 s of wall time; the night after it (about 24 h) would be a
    // 24-minute wait, so reaching the second session at all means the night was skipped.
    const { child, result, url } = await serve(["--speed", "60"]);
    const seen = new Set<string>();
    let session = "";
    while (session !== "2024-03-12") {
      const s = (await (await fetch(`${url}/api/symbols`)).json()) as {
        note: string | null;
        session: string;
      };
      if (s.note !== null) seen.add(s.note);
      session = s.session;
      await setTimeout(20);
    }
    child.kill("SIGTERM");
    const r = await result;
    expect([...seen]).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/tickwright: stopped after 2 sessions of 1 symbol: [3-5] one-minute bars in/);
  });

  it("keeps serving quietly when the reader of its log lines is gone (serve | head -1), and SIGTERM still ends it, exit 0", async () => {
    const { child, result, url } = await serve(["--speed", "max"]);
    child.stdout!.destroy();
    for (let i = 0; i < 20; i++) expect((await fetch(`${url}/health`)).status).toBe(200);
    child.kill("SIGTERM");
    const r = await result;
    expect(r.code).toBe(0);
    expect(r.stderr.split("\n").filter((l) => l && !l.startsWith("tickwright: "))).toEqual([]);
  });

  it("holds its DuckDB file: bars, gaps and replay of it meanwhile say which process has it, one line, exit 1", async () => {
    const { child, result } = await serve(["--speed", "60"]);
    const held = `tickwright: the database ${db} is in use by another process (PID ${child.pid}): DuckDB lets one process open a file for writing; stop that process, or use PostgreSQL for several processes\n`;
    const day = ["--from", "2024-03-11", "--db", db, "--calendar", calendar];
    for (const args of [
      ["bars", "AAA", ...day],
      ["gaps", "AAA", ...day],
      ["replay", "--all", ...day, "--to", "2024-03-11"],
    ]) {
      const r = await runBin(args);
      expect([r.code, r.stdout, r.stderr], args[0]).toEqual([1, "", held]);
    }
    child.kill("SIGTERM");
    expect((await result).code).toBe(0);
  });

  it("logs the replay stopped and the shutdown on SIGTERM, not 'still serving'", async () => {
    const { child, result } = await serve(["--speed", "60"]);
    child.kill("SIGTERM");
    const r = await result;
    const messages = r.stdout
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { msg: string }).msg)
      .filter((msg) => msg.startsWith("replay "));
    expect([r.code, messages]).toEqual([0, ["replay stopped; shutting down"]]);
  });

  it("/api/bars says what is wrong with n, in its own words, and takes a symbol in any case as the command line does", async () => {
    const { child, result, url } = await serve(["--speed", "60"]);
    const answer = async (query: string) => {
      const r = await fetch(`${url}/api/bars?${query}`);
      return [r.status, (await r.json()) as { symbol: string; bars: unknown[] }] as const;
    };
    expect(await answer("symbol=AAA&n=abc")).toEqual([400, { error: "n: not a whole number", field: "n" }]);
    expect(await answer("symbol=AAA&n=2.5")).toEqual([400, { error: "n: not a whole number", field: "n" }]);
    expect(await answer("symbol=AAA&n=2&n=3")).toEqual([400, { error: "n: given twice", field: "n" }]);
    expect(await answer("symbol=AAA&n=0")).toEqual([400, { error: "n: at least 1", field: "n" }]);
    expect(await answer("symbol=AAA&n=10001")).toEqual([400, { error: "n: at most 10000", field: "n" }]);
    expect(await answer("n=5")).toEqual([400, { error: "symbol: required", field: "symbol" }]);
    expect(await answer("symbol=AAA&from=2024-03-11&to=2024-03-11&extended=yes")).toEqual([
      400,
      { error: "extended: true or false (or 1 or 0)", field: "extended" },
    ]);
    const [status, body] = await answer("symbol=aaa&from=2024-03-11&to=2024-03-11");
    expect([status, body.symbol, body.bars.length]).toEqual([200, "AAA", 3]);
    child.kill("SIGTERM");
    expect((await result).code).toBe(0);
  });

  it("warns about symbols with nothing stored", async () => {
    const { child, result } = await serve(["--speed", "max", "--symbols", "AAA,NOPE"]);
    child.kill("SIGTERM");
    const r = await result;
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "tickwright: nothing stored for NOPE: no bars will come for it (every minute a gap)",
    );
  });
});
