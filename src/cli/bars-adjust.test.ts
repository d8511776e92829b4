import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine } from "../engine/engine.js";
import { makeZip } from "../ingest/zip.fixture.js";
import { buildServer } from "../server/app.js";
import { openRepository } from "../store/index.js";
import { run } from "../testing/cli.js";
import { hasPostgres, hasSharedData, LEAN_ROOT, skipWithout, TEST_PG_URL } from "../testing/deps.js";

const ready = hasSharedData() && (await hasPostgres());

/** The adjustments asked for, as CLI options and as HTTP parameters. */
interface Variant {
  cli: string[];
  http: string;
}

/** Raw, split and adjusted, each as of every action and as of a date. */
function variants(splitAsOf: string, adjustedAsOf: string): Variant[] {
  return [
    { cli: [], http: "" },
    { cli: ["--adjust", "split"], http: "&adjust=split" },
    { cli: ["--adjust", "split", "--as-of", splitAsOf], http: `&adjust=split&asOf=${splitAsOf}` },
    { cli: ["--adjust", "adjusted"], http: "&adjust=adjusted" },
    { cli: ["--adjust", "adjusted", "--as-of", adjustedAsOf], http: `&adjust=adjusted&asOf=${adjustedAsOf}` },
  ];
}

/** A symbol's bars read over session dates [from, to] in every variant. */
interface Case {
  symbol: string;
  from: string;
  to: string;
  variants: Variant[];
}

const SPY: Case = {
  symbol: "SPY",
  from: "2013-10-07",
  to: "2013-10-10",
  variants: variants("2013-10-08", "2013-10-09"),
};
/** TWX traded as AOL up to 2003-10-15 (the real map file); as of 2009-01-01 its 2009 reverse split is unknown. */
const TWX: Case = {
  symbol: "TWX",
  from: "2003-10-14",
  to: "2003-10-17",
  variants: variants("2009-01-01", "2009-01-01"),
};
const CASES = [SPY, TWX];
const INTERVALS = ["1m", "5m", "1d"];
const RANGE = ["--from", SPY.from, "--to", SPY.to];

/** Made-up LEAN minute prices (1/10000 $) of a ticker's minute `i`: open, high, low, close, volume. */
function leanMinute(ticker: string, i: number): number[] {
  const open = (ticker === "aol" ? 150_000 : 155_000) + (i % 13) * 100;
  return [open, open + 300, open - 200, open + 100, 1000 + i];
}

/**
 * A LEAN tree with made-up minutes of AOL on 2003-10-14 and 15 and of TWX on 16 and 17 (AOL's
 * alone with `aolOnly`), beside the real map file and factor file of TWX.
 */
function twxTree(root: string, aolOnly = false): string {
  const usa = join(root, "equity/usa");
  for (const [ticker, days] of [
    ["aol", ["20031014", "20031015"]],
    ...(aolOnly ? [] : ([["twx", ["20031016", "20031017"]]] as const)),
  ] as const) {
    mkdirSync(join(usa, "minute", ticker), { recursive: true });
    for (const day of days) {
      const rows = Array.from({ length: 390 }, (_, i) =>
        [34_200_000 + i * 60_000, ...leanMinute(ticker, i)].join(","),
      );
      const data = Buffer.from(`${rows.join("\n")}\n`);
      writeFileSync(
        join(usa, "minute", ticker, `${day}_trade.zip`),
        makeZip([{ name: `${day}_${ticker}_minute_trade.csv`, data }]),
      );
    }
  }
  for (const sub of ["map_files", "factor_files"]) {
    mkdirSync(join(usa, sub));
    copyFileSync(join(LEAN_ROOT, "equity/usa", sub, "twx.csv"), join(usa, sub, "twx.csv"));
  }
  return root;
}

/**
 * The cumulative factors of a date from a LEAN factor file read here (price times split, and
 * split): those of the first row dated on or after it.
 */
function leanFactors(file: string): (date: string) => { price: number; split: number } {
  const rows = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(","))
    .map((f) => ({
      date: `${f[0].slice(0, 4)}-${f[0].slice(4, 6)}-${f[0].slice(6, 8)}`,
      price: Number(f[1]),
      split: Number(f[2]),
    }));
  return (date) => {
    const r = rows.find((row) => row.date >= date)!;
    return { price: r.price * r.split, split: r.split };
  };
}

/** CSV rows of `bars` output by time: [close, volume]. */
function closes(csv: string): Map<string, [number, number]> {
  const rows = csv.trim().split("\n").slice(1);
  return new Map(rows.map((r) => r.split(",")).map((f) => [f[0], [Number(f[4]), Number(f[5])]]));
}

/**
 * SPY's LEAN minutes and daily bars with the dividends of its factor file, plus a made-up
 * 2:1 split with ex-date 2013-10-09 from an actions CSV, in DuckDB and in PostgreSQL: the
 * adjusted bars are the same bytes from both, through the CLI and through the HTTP API.
 */
describe.skipIf(skipWithout("../shared/data and PostgreSQL", ready))("bars --adjust from both stores", () => {
  const schema = `tw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const pgUrl = `${TEST_PG_URL}?schema=${schema}`;
  // Made in beforeAll: a skipped suite still runs its body, but no hook.
  let dir = "";
  let duckFile = "";
  /** The TWX tree, built in beforeAll: nothing of ../shared is read while the suite is collected. */
  let tree = "";
  const cli = new Map<string, string>();
  const http = new Map<string, string>();
  /** `replay --out` files of TWX by store and adjustment. */
  const replays = new Map<string, string>();
  /** `bars` CSV output from DuckDB. */
  const csv = (symbol: string, interval: string, http: string) =>
    cli.get(`${duckFile}|${symbol}|${interval}|${http}`)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tw-adjust-"));
    duckFile = join(dir, "market.duckdb");
    tree = twxTree(join(dir, "lean"));
    const actions = join(dir, "actions.csv");
    writeFileSync(actions, "symbol,date,kind,value\nSPY,2013-10-09,split,2\n");
    const usa = join(LEAN_ROOT, "equity/usa");
    for (const db of [duckFile, pgUrl]) {
      const lean = await run(
        "ingest",
        join(usa, "minute/spy"),
        join(usa, "daily/spy.zip"),
        "--format",
        "lean",
        "--db",
        db,
        "--rejects",
        join(dir, "rejects.csv"),
      );
      expect(lean.code, lean.stderr).toBe(0);
      expect(lean.stdout).toMatch(/stored \d+ corporate actions/);
      const split = await run("ingest", actions, "--format", "actions", "--db", db);
      expect([split.code, split.stdout]).toEqual([0, expect.stringContaining("1 stored, 0 rejected")]);
      const twx = await run("ingest", tree, "--format", "lean", "--db", db);
      expect(twx.code, twx.stderr).toBe(0);
      expect(twx.stdout).toContain("1,560 rows read, 1,560 stored, 0 rejected");
      // 63 changes of factor between TWX's 64 factor rows, and the rename AOL->TWX of its map file.
      expect(twx.stdout).toContain("stored 64 corporate actions");

      for (const c of CASES) {
        for (const interval of INTERVALS) {
          for (const v of c.variants) {
            const range = ["--from", c.from, "--to", c.to];
            const r = await run("bars", c.symbol, "--interval", interval, ...range, ...v.cli, "--db", db);
            expect(r.code, r.stderr).toBe(0);
            cli.set(`${db}|${c.symbol}|${interval}|${v.http}`, r.stdout);
          }
        }
      }
      for (const adjust of ["raw", "adjusted"]) {
        const out = join(dir, "replay.jsonl");
        const range = ["--from", TWX.from, "--to", TWX.to, "--adjust", adjust];
        const r = await run("replay", "--symbols", "TWX", ...range, "--json", "--out", out, "--db", db);
        expect(r.code, r.stderr).toBe(0);
        replays.set(`${db}|${adjust}`, readFileSync(out, "utf8"));
        const all = await run("replay", "--all", ...range, "--json", "--out", out, "--db", db);
        expect(all.code, all.stderr).toBe(0);
        replays.set(`${db}|${adjust}|all`, readFileSync(out, "utf8"));
      }
      const repository = await openRepository(db);
      const engine = await createEngine(
        { symbols: ["SPY"], from: "2013-10-07", to: "2013-10-08" },
        { repository, calendar: getCalendar("XNYS") },
      );
      const app = buildServer({ engine, defaultMetrics: false });
      try {
        for (const c of CASES) {
          for (const interval of INTERVALS) {
            for (const v of c.variants) {
              const url = `/api/bars?symbol=${c.symbol}&interval=${interval}&from=${c.from}&to=${c.to}${v.http}`;
              const r = await app.inject({ method: "GET", url });
              expect(r.statusCode, r.body).toBe(200);
              http.set(`${db}|${c.symbol}|${interval}|${v.http}`, r.body);
            }
          }
        }
      } finally {
        await app.close();
        await engine.close();
        await repository.close();
      }
    }
  }, 300_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  });

  it("prints the same bytes from DuckDB and PostgreSQL, through the CLI and the HTTP API", () => {
    for (const c of CASES) {
      for (const interval of INTERVALS) {
        for (const v of c.variants) {
          const key = `${c.symbol}|${interval}|${v.http}`;
          expect(cli.get(`${pgUrl}|${key}`), key).toBe(cli.get(`${duckFile}|${key}`));
          expect(http.get(`${pgUrl}|${key}`), key).toBe(http.get(`${duckFile}|${key}`));
          const body = JSON.parse(http.get(`${duckFile}|${key}`)!);
          expect(body.bars.length, key).toBe(closes(cli.get(`${duckFile}|${key}`)!).size);
          const first = body.bars[0];
          const [close] = closes(cli.get(`${duckFile}|${key}`)!)
            .values()
            .next().value!;
          expect(first.close, key).toBe(close);
        }
      }
    }
  });

  it("halves prices and doubles volumes before the split's ex-date, and leaves them alone as of the day before", () => {
    for (const interval of INTERVALS) {
      const raw = closes(csv("SPY", interval, ""));
      const split = closes(csv("SPY", interval, "&adjust=split"));
      const asOfBefore = csv("SPY", interval, "&adjust=split&asOf=2013-10-08");
      expect(asOfBefore).toBe(csv("SPY", interval, ""));
      expect([...split.keys()]).toEqual([...raw.keys()]);
      expect(raw.size).toBeGreaterThan(interval === "1d" ? 3 : 300);
      for (const [time, [close, volume]] of raw) {
        const beforeSplit = time < "2013-10-09";
        expect(split.get(time), time).toEqual(beforeSplit ? [close * 0.5, volume * 2] : [close, volume]);
      }
    }
  });

  it("also multiplies by SPY's dividend factor 0.8646266 when adjusted, and not as of 2013-10-09 (no dividend since 09-20)", () => {
    for (const interval of INTERVALS) {
      const raw = closes(csv("SPY", interval, ""));
      const adjusted = closes(csv("SPY", interval, "&adjust=adjusted"));
      const asOf = csv("SPY", interval, "&adjust=adjusted&asOf=2013-10-09");
      expect(asOf).toBe(csv("SPY", interval, "&adjust=split"));
      for (const [time, [close, volume]] of raw) {
        const f = (time < "2013-10-09" ? 0.5 : 1) * 0.8646266;
        const [c, v] = adjusted.get(time)!;
        expect(c / (close * f), time).toBeCloseTo(1, 12);
        expect(v).toBe(time < "2013-10-09" ? volume * 2 : volume);
      }
    }
  });

  it("reads TWX's minutes before 2003-10-16 from AOL's (the real map file), adjusted by TWX's real factor file", () => {
    const minutes = closes(csv("TWX", "1m", ""));
    expect(minutes.size).toBe(4 * 390);
    const open = (date: string) =>
      new Date(getCalendar("XNYS").sessionOn(date)!.open).toISOString().replace(".000Z", "Z");
    for (const date of ["2003-10-14", "2003-10-15", "2003-10-16", "2003-10-17"]) {
      const ticker = date < "2003-10-16" ? "aol" : "twx";
      const [, , , close, volume] = leanMinute(ticker, 0);
      expect(minutes.get(open(date)), date).toEqual([close / 10_000, volume]);
    }
    const factors = leanFactors(join(tree, "equity/usa/factor_files/twx.csv"));
    for (const interval of INTERVALS) {
      const raw = closes(csv("TWX", interval, ""));
      expect(raw.size, interval).toBe(interval === "1m" ? 1560 : interval === "5m" ? 312 : 4);
      // As of 2009-01-01: TWX's dividends of 2005-2008, not its 2009 reverse split.
      expect(csv("TWX", interval, "&adjust=split&asOf=2009-01-01")).toBe(csv("TWX", interval, ""));
      const asOf = factors("2009-01-01");
      for (const [variant, factorsOn] of [
        ["&adjust=split", (d: string) => ({ price: factors(d).split, split: factors(d).split })],
        ["&adjust=adjusted", factors],
        [
          "&adjust=adjusted&asOf=2009-01-01",
          (d: string) => ({ price: factors(d).price / asOf.price, split: 1 }),
        ],
      ] as const) {
        const adjusted = closes(csv("TWX", interval, variant));
        expect([...adjusted.keys()], variant).toEqual([...raw.keys()]);
        for (const [time, [close, volume]] of raw) {
          const f = factorsOn(time.slice(0, 10));
          const [c, v] = adjusted.get(time)!;
          expect(Math.abs(c - close * f.price), `${interval} ${variant} ${time}`).toBeLessThan(0.005);
          expect(v / (volume / f.split), `${interval} ${variant} ${time}`).toBeCloseTo(1, 9);
        }
      }
    }
  });

  it("replays TWX as one symbol across its rename, a rename event before 2003-10-16's first bar, the same bytes from both stores", () => {
    for (const adjust of ["raw", "adjusted"]) {
      const jsonl = replays.get(`${duckFile}|${adjust}`)!;
      expect(replays.get(`${pgUrl}|${adjust}`), adjust).toBe(jsonl);
      const lines = jsonl
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      const minutes = lines.filter((l) => l.type === "bar" && l.interval === "1m");
      expect(minutes.map((l) => l.symbol)).toEqual(Array(1560).fill("TWX"));
      expect(minutes.map((l) => l.close)).toEqual([...closes(csv("TWX", "1m", "")).values()].map(([c]) => c));
      const at = lines.findIndex((l) => l.type === "rename");
      const { at: _at, ...rename } = lines[at];
      expect(rename).toEqual({
        type: "rename",
        symbol: "TWX",
        date: "2003-10-16",
        ticker: "TWX",
        previous: "AOL",
      });
      expect(lines.slice(0, at).filter((l) => l.type === "bar" && l.interval === "1m")).toHaveLength(780);
      expect(lines.filter((l) => l.type === "rename" || l.type === "corporateAction")).toHaveLength(1);
    }
  });

  it("replays AOL's minutes as TWX alone with --all, not AOL as a symbol of its own: the events of --symbols TWX", () => {
    for (const adjust of ["raw", "adjusted"]) {
      for (const db of [duckFile, pgUrl]) {
        expect(replays.get(`${db}|${adjust}|all`), `${db} ${adjust}`).toBe(replays.get(`${db}|${adjust}`));
      }
    }
  });

  it("replays TWX from AOL's minutes when none is stored under TWX, with --symbols TWX and with --all", async () => {
    const aolDb = join(dir, "aol.duckdb");
    const ingest = await run(
      "ingest",
      twxTree(join(dir, "aol-lean"), true),
      "--format",
      "lean",
      "--db",
      aolDb,
    );
    expect([ingest.code, ingest.stdout], ingest.stderr).toEqual([
      0,
      expect.stringContaining("780 stored, 0 rejected"),
    ]);
    const range = ["--from", "2003-10-14", "--to", "2003-10-15", "--json"];
    const replay = async (db: string, ...what: string[]) => {
      const out = join(dir, "aol.jsonl");
      const r = await run("replay", ...what, ...range, "--out", out, "--db", db);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ symbols: 1, barsIn: 780 });
      return readFileSync(out, "utf8");
    };
    const whole = await replay(duckFile, "--symbols", "TWX");
    const minutes = whole
      .split("\n")
      .filter((l) => l.includes('"type":"bar"') && l.includes('"interval":"1m"'));
    expect(minutes).toHaveLength(780);
    expect(minutes.every((l) => l.includes('"symbol":"TWX"'))).toBe(true);
    expect(await replay(aolDb, "--symbols", "TWX")).toBe(whole);
    expect(await replay(aolDb, "--all")).toBe(whole);
  });

  it("refuses a bad --adjust, --as-of without an adjustment, and adjust with n", async () => {
    const bad = await run("bars", "SPY", ...RANGE, "--adjust", "dividends", "--db", duckFile);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'tickwright: bad --adjust "dividends": expected one of raw, split, adjusted\n',
    ]);
    const asOf = await run("bars", "SPY", ...RANGE, "--as-of", "2013-10-08", "--db", duckFile);
    expect([asOf.code, asOf.stderr]).toEqual([2, "tickwright: --as-of needs --adjust split or adjusted\n"]);
    const repository = await openRepository(duckFile);
    const engine = await createEngine(
      { symbols: ["SPY"], from: "2013-10-07", to: "2013-10-08" },
      { repository, calendar: getCalendar("XNYS") },
    );
    const app = buildServer({ engine, defaultMetrics: false });
    try {
      const get = async (q: string) => {
        const r = await app.inject({ method: "GET", url: `/api/bars?symbol=SPY&${q}` });
        return [r.statusCode, r.json().field];
      };
      expect(await get("from=2013-10-07&to=2013-10-07&adjust=dividends")).toEqual([400, "adjust"]);
      expect(await get("from=2013-10-07&to=2013-10-07&adjust=split&asOf=2013-02-30")).toEqual([400, "asOf"]);
      expect(await get("from=2013-10-07&to=2013-10-07&asOf=2013-10-08")).toEqual([400, "asOf"]);
      expect(await get("n=5&adjust=split")).toEqual([400, "adjust"]);
    } finally {
      await app.close();
      await engine.close();
      await repository.close();
    }
  });
});
