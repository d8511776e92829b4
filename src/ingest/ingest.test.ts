import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { type Bar, columnsToBars } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { openRepository } from "../store/index.js";
import type { CodedBarColumns, Repository } from "../store/types.js";
import { hasSharedData, LEAN_ROOT, skipWithout } from "../testing/deps.js";
import { ingest } from "./ingest.js";
import { rejectsCsv } from "./rejects.js";
import type { IngestOptions } from "./types.js";
import { makeZip } from "./zip.fixture.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tw-ingest-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const repos: Repository[] = [];
async function memory(): Promise<Repository> {
  const r = await openRepository(":memory:");
  repos.push(r);
  return r;
}
afterEach(async () => {
  for (const r of repos.splice(0)) await r.close();
});

function write(name: string, text: string | Buffer, dir = tempDir()): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function stored(repo: Repository, symbols: string[] = [], interval = "1m"): Promise<Bar[]> {
  return columnsToBars(await repo.readBars({ symbols, interval, from: 0, to: 8e15 }));
}

const at = (iso: string) => Date.parse(iso);

describe("ingest csv", () => {
  it("finds columns by name in any case and order and stores the bars exactly", async () => {
    const repo = await memory();
    const file = write(
      "spy.csv",
      "Volume,CLOSE,Timestamp,Open,High,low,VWAP,Trades\n" +
        "3197,167.27,2013-10-07T08:00:00Z,167.41,167.41,167.25,167.3,12\n" +
        "1150,167.25,2013-10-07T08:01:00Z,167.25,167.25,167.25,,\n",
    );
    const summary = await ingest([file], { format: "csv", symbol: "SPY", repository: repo });
    expect(summary).toEqual({
      files: 1,
      filesRead: 1,
      failed: [],
      rowsRead: 2,
      rowsStored: 2,
      actions: 0,
      rejected: 0,
      byReason: {},
      byKind: { minute: { read: 2, stored: 2, rejected: 0 } },
      rejects: [],
      skipped: [],
    });
    expect(await stored(repo)).toEqual([
      {
        symbol: "SPY",
        time: at("2013-10-07T08:00:00Z"),
        open: 167.41,
        high: 167.41,
        low: 167.25,
        close: 167.27,
        volume: 3197,
        trades: 12,
        vwap: 167.3,
      },
      {
        symbol: "SPY",
        time: at("2013-10-07T08:01:00Z"),
        open: 167.25,
        high: 167.25,
        low: 167.25,
        close: 167.25,
        volume: 1150,
      },
    ]);
  });

  it("rejects every bad row with its reason and physical line, and stores the good ones", async () => {
    const repo = await memory();
    const lines = [
      "time,symbol,open,high,low,close,volume,trades", // 1
      "2024-03-08T14:30:00Z,SPY,10,11,9,10.5,100,", // 2 ok
      "2024-03-08T14:31:00Z,SPY,abc,11,9,10.5,100,", // 3
      "2024-03-08T14:32:00Z,SPY,10,11,9,NaN,100,", // 4
      "2024-03-08T14:33:00Z,SPY,-10,11,9,10.5,100,", // 5
      "2024-03-08T14:34:00Z,SPY,10,11,9,10.5,-1,", // 6
      "2024-03-08T14:35:00Z,SPY,10,8,9,8.5,100,", // 7
      "2024-03-08T14:36:00Z,SPY,10,10.2,9,10.5,100,", // 8
      "2024-03-08T14:37:00Z,SPY,10,11,10.2,10.5,100,", // 9
      "2024-03-08T14:30:00Z,SPY,10,11,9,10.5,100,", // 10 duplicate of line 2
      "not-a-time,SPY,10,11,9,10.5,100,", // 11
      "", // 12 blank: skipped, still counted as a line
      "2024-03-08T14:38:00Z,SPY,10,11", // 13
      "2024-03-08T14:39:00Z,,10,11,9,10.5,100,", // 14
      "2024-03-08T14:40:00Z,SPY,10,11,9,10.5,,", // 15
      "2024-03-08T14:41:00Z,SPY,10,11,9,10.5,100,x", // 16
      "2024-03-08T14:42:00Z,QQQ,10,11,9,10.5,100,7", // 17 ok
    ];
    const file = write("bad.csv", `${lines.join("\n")}\n`);
    const summary = await ingest([file], { format: "csv", repository: repo });
    const expected: [number, string][] = [
      [3, "open is not a number"],
      [4, "close is not a number"],
      [5, "negative price"],
      [6, "negative volume"],
      [7, "high below low"],
      [8, "high below open/close"],
      [9, "low above open/close"],
      [10, "duplicate symbol and time"],
      [11, "unparseable time"],
      [13, "4 fields, expected 8"],
      [14, "missing symbol"],
      [15, "volume is not a number"],
      [16, "trades is not a number"],
    ];
    expect(summary.rejects).toEqual(
      expected.map(([line, reason]) => ({ file, line, reason, raw: lines[line - 1] })),
    );
    expect(summary.rowsRead).toBe(15);
    expect(summary.rowsStored).toBe(2);
    expect(summary.rejected).toBe(13);
    expect(summary.byReason).toEqual(Object.fromEntries(expected.map(([, r]) => [r, 1])));
    expect((await stored(repo)).map((b) => `${b.symbol}@${new Date(b.time).toISOString()}`)).toEqual([
      "SPY@2024-03-08T14:30:00.000Z",
      "QQQ@2024-03-08T14:42:00.000Z",
    ]);
  });

  it("parses on this thread, with the same rows stored and rejected, when the calendar is not a session table", async () => {
    const lines = ["time,symbol,open,high,low,close,volume"];
    // 600 minutes of three symbols from 09:30 New York, every seventh row high below low
    for (let i = 0; i < 1800; i++) {
      const t = at("2024-03-08T14:30:00Z") + Math.floor(i / 3) * 60_000;
      lines.push(
        `${new Date(t).toISOString()},${["spy", "QQQ", "IBM"][i % 3]},1,2,${i % 7 === 0 ? 3 : 0.5},1.5,${i}`,
      );
    }
    lines.push("2024-03-09T14:30:00Z,SPY,1,2,0.5,1.5,1", "2024-03-08T14:30:00Z,SPY,1,2,0.5,1.5,1,9");
    const file = write("cal.csv", `${lines.join("\n")}\n`);
    const xnys = getCalendar("XNYS");
    // XNYS's sessions, but not a TableCalendar: nothing the parsing thread can be handed
    const own = new Proxy(xnys, { getPrototypeOf: () => Object.prototype });
    const results = [];
    for (const calendar of [xnys, own]) {
      const repo = await memory();
      const summary = await ingest([file], { format: "csv", repository: repo, calendar, batchRows: 1000 });
      results.push({
        summary: { ...summary, rejects: summary.rejects.map((r) => [r.line, r.reason]) },
        bars: await stored(repo),
      });
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0].summary).toMatchObject({ rowsRead: 1802, rowsStored: 1542, rejected: 260 });
    expect(results[0].summary.byReason).toEqual({
      "high below low": 258,
      "time in no session of the calendar (not even extended hours)": 1,
      "8 fields, expected 7": 1,
    });
  });

  it("writes batches of the store's own size when not told one", async () => {
    // 600 minutes of three symbols from 09:30 New York
    const lines = ["time,symbol,open,high,low,close,volume"];
    for (let i = 0; i < 1800; i++) {
      const t = at("2024-03-08T14:30:00Z") + Math.floor(i / 3) * 60_000;
      lines.push(`${new Date(t).toISOString()},${["SPY", "QQQ", "IBM"][i % 3]},1,2,0.5,1.5,${i}`);
    }
    const file = write("sized.csv", `${lines.join("\n")}\n`);
    const sizesWritten = async (writeBatchRows: number | undefined) => {
      const inner = await memory();
      const sizes: number[] = [];
      const repo: Repository = Object.assign(Object.create(inner) as Repository, {
        writeBatchRows,
        writeCodedBars: (interval: string, bars: CodedBarColumns, names: readonly string[]) => {
          sizes.push(bars.length);
          return inner.writeCodedBars!(interval, bars, names);
        },
      });
      const summary = await ingest([file], { format: "csv", repository: repo });
      expect(summary.rowsStored).toBe(1800);
      expect(await stored(inner)).toHaveLength(1800);
      return sizes;
    };
    // the first batch a quarter of the others; a batch ends with a whole minute (3 rows)
    expect(await sizesWritten(600)).toEqual([147, 597, 597, 459]);
    expect(await sizesWritten(undefined)).toEqual([1800]);
  });

  it("writes rejects as CSV: file,line,reason,raw with quoting", () => {
    expect(
      rejectsCsv([
        { file: "a.csv", line: 3, reason: "open is not a number", raw: "2024-03-08T14:31:00Z,SPY,abc" },
        { file: "b.csv", line: 9, reason: "unparseable time", raw: '"x",1' },
      ]),
    ).toBe(
      'file,line,reason,raw\na.csv,3,open is not a number,"2024-03-08T14:31:00Z,SPY,abc"\nb.csv,9,unparseable time,"""x"",1"\n',
    );
  });

  it("counts a reason as often as it occurs, across files", async () => {
    const repo = await memory();
    const dir = tempDir();
    write("a.csv", "time,open,high,low,close,volume\n1699999980,1,1,1,1,-5\n1700000040,1,1,1,1,-5\n", dir);
    write("b.csv", "time,open,high,low,close,volume\n1699999980,1,1,1,1,1\n", dir);
    const summary = await ingest([dir], { format: "csv", symbol: "X", repository: repo });
    expect(summary.files).toBe(2);
    expect(summary.byReason).toEqual({ "negative volume": 2 });
    expect(summary.rejects.map((r) => `${r.file.endsWith("a.csv")}:${r.line}`)).toEqual(["true:2", "true:3"]);
    expect(summary.rowsStored).toBe(1);
  });

  it("reads epoch seconds, ms, us and ns, detected or told", async () => {
    const repo = await memory();
    const t = at("2013-10-07T13:30:00Z");
    const dir = tempDir();
    const times = [
      `${t / 1000}`,
      `${t + 60_000}`,
      `${(t + 120_000) * 1000}`,
      `${BigInt(t + 180_000) * 1_000_000n}`,
    ];
    for (const [k, x] of times.entries())
      write(`epoch${k}.csv`, `date,open,high,low,close,volume\n${x},1,1,1,1,1\n`, dir);
    await ingest([dir], { format: "csv", symbol: "E", repository: repo });
    expect((await stored(repo)).map((b) => b.time - t)).toEqual([0, 60_000, 120_000, 180_000]);
    const repo2 = await memory();
    const ms = write("ms.csv", `time,open,high,low,close,volume\n${t},1,1,1,1,1\n${t / 1000},1,1,1,1,1\n`);
    const told = await ingest([ms], { format: "csv", symbol: "E", timeFormat: "s", repository: repo2 });
    expect(told.rejects.map((r) => [r.line, r.reason])).toEqual([[2, "time outside 1970-2100"]]);
    expect((await stored(repo2))[0].time).toBe(t);
  });

  it("reads naive local times with --tz, and rejects them without, naming the line and --tz", async () => {
    const repo = await memory();
    const file = write("local.csv", "datetime,open,high,low,close,volume\n2013-10-07 09:30:00,1,1,1,1,1\n");
    await ingest([file], { format: "csv", symbol: "L", tz: "America/New_York", repository: repo });
    expect((await stored(repo))[0].time).toBe(at("2013-10-07T13:30:00Z"));
    const summary = await ingest([file], { format: "csv", symbol: "L", repository: repo });
    expect(summary.rejects.map((r) => [r.line, r.reason])).toEqual([
      [2, "time has no UTC offset; pass --tz ZONE for local times (e.g. --tz America/New_York, or --tz UTC)"],
    ]);
  });

  it("needs --symbol when the file has no symbol column, and says so", async () => {
    const repo = await memory();
    const file = write("nosym.csv", "time,open,high,low,close,volume\n1699999980,1,1,1,1,1\n");
    expect((await ingest([file], { format: "csv", repository: repo })).failed).toEqual([
      { file, reason: "no symbol column (symbol|ticker); pass --symbol SYMBOL for the whole file" },
    ]);
  });

  it("names a missing required column and the header it read", async () => {
    const repo = await memory();
    const file = write("nohigh.csv", "time,open,low,close,volume\n");
    expect((await ingest([file], { format: "csv", symbol: "X", repository: repo })).failed).toEqual([
      { file, reason: "no high column (looked for high); the header has: time,open,low,close,volume" },
    ]);
  });

  it("handles a BOM, CRLF line ends, quoted fields, no final newline and tabs", async () => {
    const repo = await memory();
    const crlf = write(
      "crlf.csv",
      '\ufeff"symbol","time","open","high","low","close","volume"\r\n"SPY","2024-03-08T14:30:00Z","10","11","9","10.5","100"\r\nSPY,2024-03-08T14:31:00Z,10,11,9,10.5,100',
    );
    const tabs = write(
      "tabs.tsv.csv",
      "symbol\ttime\topen\thigh\tlow\tclose\tvolume\nQQQ\t2024-03-08T14:30:00Z\t1\t2\t0.5\t1.5\t7\n",
    );
    const summary = await ingest([crlf, tabs], { format: "csv", repository: repo });
    expect(summary.rejected).toBe(0);
    expect((await stored(repo)).map((b) => [b.symbol, b.open, b.volume])).toEqual([
      ["QQQ", 1, 7],
      ["SPY", 10, 100],
      ["SPY", 10, 100],
    ]);
  });

  it("reads a file larger than one read chunk in several batches, equal to a row-by-row reference", async () => {
    const repo = await memory();
    const rows: string[] = ["time,symbol,open,high,low,close,volume"];
    const expected: Bar[] = [];
    const t0 = at("2020-01-02T14:30:00Z");
    for (let i = 0; i < 120_000; i++) {
      const symbol = `S${i % 7}`;
      const time = t0 + Math.floor(i / 7) * 60_000;
      const open = 100 + (i % 97) / 100;
      const bar = { symbol, time, open, high: open + 0.5, low: open - 0.5, close: open + 0.25, volume: i };
      rows.push(
        `${new Date(time).toISOString()},${symbol},${bar.open},${bar.high},${bar.low},${bar.close},${bar.volume}`,
      );
      expected.push(bar);
    }
    const file = write("big.csv", `${rows.join("\n")}\n`);
    const progress: number[] = [];
    const summary = await ingest([file], {
      format: "csv",
      repository: repo,
      batchRows: 25_000,
      calendar: getCalendar("24/7"),
      onProgress: (p) => progress.push(p.bytesDone),
    });
    expect(summary.rowsStored).toBe(120_000);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress[progress.length - 1]).toBe(Buffer.byteLength(`${rows.join("\n")}\n`));
    expected.sort((a, b) => a.time - b.time || (a.symbol < b.symbol ? -1 : 1));
    expect(await stored(repo)).toEqual(expected);
  });

  it("re-ingesting the same file changes nothing", async () => {
    const repo = await memory();
    const file = write(
      "re.csv",
      "time,symbol,open,high,low,close,volume\n1699999980,A,1,2,0.5,1.5,10\n1700000040,A,1,2,0.5,1.5,11\n",
    );
    await ingest([file], { format: "csv", repository: repo });
    const first = await stored(repo);
    const again = await ingest([file], { format: "csv", repository: repo });
    expect(again.rowsStored).toBe(2);
    expect(await stored(repo)).toEqual(first);
  });

  it("stores bars at the interval it is given", async () => {
    const repo = await memory();
    const file = write("d.csv", "date,symbol,open,high,low,close,volume\n2024-03-08,A,1,2,0.5,1.5,10\n");
    await ingest([file], { format: "csv", interval: "1d", repository: repo });
    expect(await repo.symbols("1d")).toEqual(["A"]);
    // a date alone is the session's open, as LEAN stamps its daily bars
    expect((await stored(repo, ["A"], "1d"))[0].time).toBe(at("2024-03-08T14:30:00Z"));
  });

  it("reports a missing file alone and reads the others; refuses an unknown format and a bad time zone", async () => {
    const repo = await memory();
    const dir = tempDir();
    const good = write("g.csv", "time,open,high,low,close,volume\n1699999980,1,1,1,1,1\n", dir);
    const missing = join(dir, "missing.csv");
    const summary = await ingest([good, missing], { format: "csv", symbol: "X", repository: repo });
    expect(summary.failed).toEqual([{ file: missing, reason: "cannot read: no such file or directory" }]);
    expect([summary.files, summary.filesRead, summary.rowsStored]).toEqual([2, 1, 1]);
    expect(await repo.symbols()).toEqual(["X"]);
    await expect(
      ingest([good], { format: "xls" as IngestOptions["format"], repository: repo }),
    ).rejects.toThrow(
      new InvalidArgumentError('unknown format "xls": expected one of csv, parquet, lean, polygon, actions'),
    );
    await expect(
      ingest([good], { format: "csv", symbol: "X", tz: "Nowhere/City", repository: repo }),
    ).rejects.toThrow(/unknown time zone "Nowhere\/City"/);
  });

  it.skipIf(process.getuid?.() === 0)("refuses an unreadable file", async () => {
    const repo = await memory();
    const file = write("locked.csv", "time,open,high,low,close,volume\n");
    chmodSync(file, 0);
    expect((await ingest([file], { format: "csv", symbol: "X", repository: repo })).failed).toEqual([
      { file, reason: "cannot read: permission denied" },
    ]);
  });
});

describe("ingest polygon", () => {
  const header = "ticker,volume,open,close,high,low,window_start,transactions";
  const body = [
    "AAPL,4930,200.29,200.5,200.63,200.29,1744792500000000000,129", // 2
    "AAPL,1815,200.39,200.34,200.39,200.26,1744792560000000000,57", // 3
    "TSLA,-5,250,251,252,249,1744792500000000000,10", // 4 negative volume
    "TSLA,100,250,251,252,249,1744792500000000000,10", // 5
  ];

  for (const gz of [false, true]) {
    it(`reads minute aggregates from .csv${gz ? ".gz" : ""} with trades, times from ns`, async () => {
      const repo = await memory();
      const text = `${header}\n${body.join("\n")}\n`;
      const file = write(gz ? "2025-04-16.csv.gz" : "2025-04-16.csv", gz ? gzipSync(text) : text);
      const summary = await ingest([file], { format: "polygon", repository: repo });
      expect(summary.rowsRead).toBe(4);
      expect(summary.rejects).toEqual([{ file, line: 4, reason: "negative volume", raw: body[2] }]);
      expect(await stored(repo)).toEqual([
        {
          symbol: "AAPL",
          time: 1744792500000,
          open: 200.29,
          high: 200.63,
          low: 200.29,
          close: 200.5,
          volume: 4930,
          trades: 129,
        },
        {
          symbol: "TSLA",
          time: 1744792500000,
          open: 250,
          high: 252,
          low: 249,
          close: 251,
          volume: 100,
          trades: 10,
        },
        {
          symbol: "AAPL",
          time: 1744792560000,
          open: 200.39,
          high: 200.39,
          low: 200.26,
          close: 200.34,
          volume: 1815,
          trades: 57,
        },
      ]);
    });
  }

  it("refuses a .gz file that is not gzip", async () => {
    const repo = await memory();
    const file = write("broken.csv.gz", "not gzip");
    expect((await ingest([file], { format: "polygon", repository: repo })).failed).toEqual([
      { file, reason: "not a valid gzip file" },
    ]);
  });
});

describe("ingest parquet", () => {
  async function parquet(path: string, select: string): Promise<void> {
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    await con.run(`COPY (${select}) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`);
    con.closeSync();
    db.closeSync();
  }

  it("reads bars with a TIMESTAMPTZ column and a ticker column, rejecting by row number", async () => {
    const repo = await memory();
    const file = join(tempDir(), "bars.parquet");
    await parquet(
      file,
      `SELECT * FROM (VALUES
        ('SPY', TIMESTAMPTZ '2013-10-07 13:30:00+00', 167.43, 167.5, 167.4, 167.45, 1000::BIGINT),
        ('SPY', TIMESTAMPTZ '2013-10-07 13:31:00+00', 167.45, 167.3, 167.4, 167.45, 10::BIGINT),
        ('SPY', TIMESTAMPTZ '2013-10-07 13:30:00+00', 167.43, 167.5, 167.4, 167.45, 1000::BIGINT),
        ('QQQ', NULL, 1, 1, 1, 1, 1::BIGINT)
      ) t(Ticker, Timestamp, Open, High, Low, Close, Volume)`,
    );
    const summary = await ingest([file], { format: "parquet", repository: repo });
    expect(summary.rowsRead).toBe(4);
    expect(summary.rejects.map((r) => [r.line, r.reason])).toEqual([
      [2, "high below low"],
      [3, "duplicate symbol and time"],
      [4, "unparseable time"],
    ]);
    expect(summary.rejects[0].raw).toBe("1381152660000,167.45,167.3,167.4,167.45,10,,,SPY");
    expect(await stored(repo)).toEqual([
      {
        symbol: "SPY",
        time: at("2013-10-07T13:30:00Z"),
        open: 167.43,
        high: 167.5,
        low: 167.4,
        close: 167.45,
        volume: 1000,
      },
    ]);
  });

  it("reads epoch ns numbers and text times like CSV, with --symbol", async () => {
    const repo = await memory();
    const dir = tempDir();
    const ns = join(dir, "ns.parquet");
    const text = join(dir, "text.parquet");
    await parquet(
      ns,
      "SELECT 1381152600000000000::BIGINT AS window_start, 1.0 AS open, 2.0 AS high, 0.5 AS low, 1.5 AS close, 10 AS volume",
    );
    await parquet(
      text,
      "SELECT '2013-10-07T13:31:00Z' AS time, 1.0 AS open, 2.0 AS high, 0.5 AS low, 1.5 AS close, 10 AS volume",
    );
    await ingest([ns, text], { format: "parquet", symbol: "X", repository: repo });
    expect((await stored(repo)).map((b) => b.time)).toEqual([
      at("2013-10-07T13:30:00Z"),
      at("2013-10-07T13:31:00Z"),
    ]);
  });

  it("reads naive TIMESTAMPs in --tz and refuses them without", async () => {
    const repo = await memory();
    const file = join(tempDir(), "naive.parquet");
    await parquet(
      file,
      "SELECT TIMESTAMP '2013-10-07 09:30:00' AS datetime, 1.0 AS open, 2.0 AS high, 0.5 AS low, 1.5 AS close, 10 AS volume",
    );
    expect((await ingest([file], { format: "parquet", symbol: "X", repository: repo })).failed).toEqual([
      { file, reason: `column "datetime" is a TIMESTAMP without time zone; pass --tz ZONE (e.g. --tz UTC)` },
    ]);
    await ingest([file], { format: "parquet", symbol: "X", tz: "America/New_York", repository: repo });
    expect((await stored(repo))[0].time).toBe(at("2013-10-07T13:30:00Z"));
  });

  it("refuses a file that is not Parquet", async () => {
    const repo = await memory();
    const file = write("fake.parquet", "time,open\n");
    const [failure] = (await ingest([file], { format: "parquet", symbol: "X", repository: repo })).failed;
    expect(failure.file).toBe(file);
    expect(failure.reason).toMatch(/^not a readable Parquet file/);
  });
});

describe("ingest lean (hand-made)", () => {
  function leanRoot(): string {
    const root = tempDir();
    const minute = join(root, "equity", "usa", "minute", "abc");
    mkdirSync(minute, { recursive: true });
    const rows = [
      "34200000,1000000,1010000,990000,1005000,500", // 09:30 NY
      "34260000,1000000,990000,995000,1005000,500", // high below low
      "34320000,1000000,1010000,990000,1005000", // missing fields
      "34200000,1000000,1010000,990000,1005000,500", // duplicate
      "99999999999,1000000,1010000,990000,1005000,500", // bad time
      "34380000,1000000,1010000,990000,1005000,700",
    ];
    writeFileSync(
      join(minute, "20240308_trade.zip"),
      makeZip([{ name: "20240308_abc_minute_trade.csv", data: Buffer.from(`${rows.join("\r\n")}\r\n`) }]),
    );
    const second = join(root, "equity", "usa", "second", "abc");
    mkdirSync(second, { recursive: true });
    writeFileSync(join(second, "20240308_trade.zip"), makeZip([{ name: "x.csv", data: Buffer.from("") }]));
    return root;
  }

  it("reads minute zips from a data root, upper-cases the symbol, rejects by line, skips what it does not read", async () => {
    const repo = await memory();
    const root = leanRoot();
    const summary = await ingest([root], { format: "lean", repository: repo });
    const file = join(root, "equity", "usa", "minute", "abc", "20240308_trade.zip");
    expect(summary.rejects.map((r) => [r.file, r.line, r.reason])).toEqual([
      [file, 2, "high below low"],
      [file, 3, "5 fields, expected 6"],
      [file, 4, "duplicate symbol and time"],
      [file, 5, "unparseable time"],
    ]);
    expect(summary.skipped).toEqual([join(root, "equity", "usa", "second", "abc", "20240308_trade.zip")]);
    expect(await stored(repo)).toEqual([
      {
        symbol: "ABC",
        time: at("2024-03-08T14:30:00Z"),
        open: 100,
        high: 101,
        low: 99,
        close: 100.5,
        volume: 500,
      },
      {
        symbol: "ABC",
        time: at("2024-03-08T14:33:00Z"),
        open: 100,
        high: 101,
        low: 99,
        close: 100.5,
        volume: 700,
      },
    ]);
  });

  it("refuses a zip given by name that is not in the LEAN layout", async () => {
    const repo = await memory();
    const file = write("random.zip", makeZip([{ name: "a.csv", data: Buffer.from("1,2\n") }]));
    const [failure] = (await ingest([file], { format: "lean", repository: repo })).failed;
    expect(failure.reason).toMatch(/^not a LEAN equity data file/);
  });
});

describe.skipIf(skipWithout("../shared/data", hasSharedData()))("ingest lean (../shared/data)", () => {
  it("reads the whole sample: minute trade and quote bars, ticks and daily bars; rejects the quote bar at 20:00", async () => {
    const repo = await memory();
    const summary = await ingest([LEAN_ROOT], { format: "lean", repository: repo });
    expect(summary.files).toBe(9);
    expect(summary.byKind).toEqual({
      daily: { read: 5849, stored: 5849, rejected: 0 },
      minute: { read: 4839, stored: 4839, rejected: 0 },
      quote: { read: 908, stored: 907, rejected: 1 },
      tick: { read: 250_601, stored: 250_601, rejected: 0 },
    });
    // the quote file's last bar starts at 20:00 New York, when the extended session has ended
    expect(summary.rejects).toEqual([
      {
        file: `${LEAN_ROOT}/equity/usa/minute/spy/20131007_quote.zip`,
        line: 908,
        reason: "time in no session of the calendar (not even extended hours)",
        raw: "72000000,1672700,1672700,1672700,1672700,100,1673200,1673300,1673200,1673300,800",
      },
    ]);
    expect(summary.rowsStored).toBe(summary.rowsRead - 1);
    const day = { from: at("2013-10-07T00:00:00Z"), to: at("2013-10-08T00:00:00Z") };
    const minutes = await repo.readBars({ symbols: ["SPY"], interval: "1m", ...day });
    expect(minutes.length).toBe(828);
    const regular = await repo.readBars({
      symbols: ["SPY"],
      interval: "1m",
      from: at("2013-10-07T13:30:00Z"),
      to: at("2013-10-07T20:00:00Z"),
    });
    expect(regular.length).toBe(390);
    expect(regular.open[0]).toBe(167.43);
    expect(regular.volume.reduce((a, b) => a + b, 0)).toBe(81_489_219);
    // the first extended-hours bar: 04:00 New York, 1674100 / 10000 dollars
    expect(columnsToBars(minutes)[0]).toEqual({
      symbol: "SPY",
      time: at("2013-10-07T08:00:00Z"),
      open: 167.41,
      high: 167.41,
      low: 167.25,
      close: 167.27,
      volume: 3197,
    });
    const daily = columnsToBars(await repo.readBars({ symbols: ["SPY"], interval: "1d", ...day }));
    expect(daily).toEqual([
      {
        symbol: "SPY",
        time: at("2013-10-07T13:30:00Z"),
        open: 167.43,
        high: 168.45,
        low: 167.25,
        close: 167.42,
        volume: 81_489_219,
      },
    ]);
    // the last prints are stamped 20:00 New York, which is midnight UTC
    const evening = { from: day.from, to: at("2013-10-08T04:00:00Z") };
    const quotes = await repo.readQuotes({ symbols: ["SPY"], ...evening });
    expect(quotes.length).toBe(907);
    expect(quotes[0]).toEqual({
      symbol: "SPY",
      time: at("2013-10-07T08:00:00Z"),
      bidOpen: 167.27,
      bidHigh: 167.27,
      bidLow: 167.15,
      bidClose: 167.25,
      bidSize: 300,
      askOpen: 168,
      askHigh: 168,
      askLow: 167.26,
      askClose: 167.27,
      askSize: 20000,
    });
    const ticks = await repo.readTicks({ symbols: ["SPY"], ...evening });
    expect(ticks.length).toBe(250_601);
    expect(ticks[0]).toEqual({
      symbol: "SPY",
      time: at("2013-10-07T08:00:00.464Z"),
      price: 167.41,
      size: 100,
      exchange: "P",
      condition: "20002000",
      suspicious: false,
    });
    expect(summary.rowsStored).toBe(4839 + 5849 + 907 + 250_601);
  });

  it("re-ingesting the sample changes nothing", async () => {
    const repo = await memory();
    const file = `${LEAN_ROOT}/equity/usa/minute/spy/20131007_trade.zip`;
    await ingest([file], { format: "lean", repository: repo });
    const first = await stored(repo, ["SPY"]);
    await ingest([file], { format: "lean", repository: repo });
    expect(await stored(repo, ["SPY"])).toEqual(first);
    expect(first.length).toBe(828);
  });
});
