import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { generateBars } from "../src/ingest/generate.js";
import { ingest } from "../src/ingest/ingest.js";
import { isoUtc } from "../src/model/time.js";
import { openRepository } from "../src/store/index.js";
import type { BenchGroup, Figure } from "./harness.js";
import { runMeasured, writeLongRowCsv } from "./ingest-memory.js";

/** Rows of the benchmark CSV. */
const ROWS = 1_000_000;
/** Runs of each side. */
const RUNS = 3;

/** Writes ROWS generated 1m bars (100 symbols, 26 XNYS sessions, cut at ROWS) as CSV with ISO-8601 times. */
async function writeCsv(path: string): Promise<number> {
  const sessions = generateBars({ symbols: 100, days: 26, seed: 1 });
  const stream = createWriteStream(path);
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => stream.write(text, (err) => (err ? reject(err) : resolve())));
  await write("time,symbol,open,high,low,close,volume\n");
  let n = 0;
  for (const { bars } of sessions) {
    const lines: string[] = [];
    for (let i = 0; i < bars.length && n < ROWS; i++, n++) {
      lines.push(
        `${isoUtc(bars.time[i])},${bars.symbol[i]},${bars.open[i]},${bars.high[i]},${bars.low[i]},${bars.close[i]},${bars.volume[i]}\n`,
      );
    }
    await write(lines.join(""));
  }
  await new Promise<void>((resolve, reject) =>
    stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
  return n;
}

/** CPU seconds (user + system) of the whole process, every thread counted. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Wall seconds of one run of `fn`, after a full GC when `--expose-gc` is on; `cpu` gets its CPU seconds. */
async function seconds(fn: () => Promise<unknown>, cpu?: (s: number) => void): Promise<number> {
  (globalThis as { gc?: () => void }).gc?.();
  const c0 = cpuSeconds();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  cpu?.(cpuSeconds() - c0);
  return wall;
}

/**
 * Ingest of a 1M-row one-minute-bar CSV into a DuckDB file through the same `ingest()` the
 * CLI runs (parse and validate in the CSV thread, one insert transaction per batch on the
 * main thread), against DuckDB's own `read_csv` + INSERT of the same file into the same table;
 * and a streamed read of all rows back into columns. Each is timed until the data is
 * committed (the checkpoint on close is not counted, for either); the two take turns, three
 * runs each into a fresh file, and the fastest of each counts, as the machine is shared.
 */
const group: BenchGroup = {
  name: "ingest",
  async run(): Promise<Figure[]> {
    const dir = mkdtempSync(join(tmpdir(), "tw-bench-ingest-"));
    try {
      const csv = join(dir, "bars.csv");
      const rows = await writeCsv(csv);
      const mb = statSync(csv).size / 1e6;

      // the two sides take turns, three runs each, each into a fresh database file, so that
      // both see the same minutes of this shared machine; the fastest run of each counts
      let ingestSeconds = Number.POSITIVE_INFINITY;
      let ingestCpu = Number.POSITIVE_INFINITY;
      let readSeconds = Number.POSITIVE_INFINITY;
      let duckSeconds = Number.POSITIVE_INFINITY;
      let duckCpu = Number.POSITIVE_INFINITY;
      for (let run = 0; run < RUNS; run++) {
        const repo = await openRepository(join(dir, `ingest-${run}.duckdb`));
        let stored = 0;
        const s = await seconds(
          async () => {
            stored = (await ingest([csv], { format: "csv", repository: repo })).rowsStored;
          },
          (c) => {
            ingestCpu = Math.min(ingestCpu, c);
          },
        );
        if (stored !== rows) throw new Error(`ingest stored ${stored} of ${rows} rows`);
        ingestSeconds = Math.min(ingestSeconds, s);
        let read = 0;
        const r = await seconds(async () => {
          for await (const chunk of repo.streamBars({ symbols: [], interval: "1m", from: 0, to: 8e15 })) {
            read += chunk.length;
          }
        });
        if (read !== rows) throw new Error(`streamBars read ${read} of ${rows} rows`);
        readSeconds = Math.min(readSeconds, r);
        await repo.close();

        const db = await DuckDBInstance.create(join(dir, `duckdb-${run}.duckdb`));
        const con = await db.connect();
        await con.run(`CREATE TABLE bars (symbol VARCHAR NOT NULL, interval VARCHAR NOT NULL, time BIGINT NOT NULL,
          open DOUBLE NOT NULL, high DOUBLE NOT NULL, low DOUBLE NOT NULL, close DOUBLE NOT NULL, volume DOUBLE NOT NULL,
          trades DOUBLE, vwap DOUBLE, flags SMALLINT NOT NULL DEFAULT 0)`);
        const d = await seconds(
          () =>
            con.run(
              `INSERT INTO bars SELECT symbol, '1m', epoch_ms(time), open, high, low, close, volume, NULL, NULL, 0
             FROM read_csv($1, header = true, columns = {'time': 'TIMESTAMPTZ', 'symbol': 'VARCHAR', 'open': 'DOUBLE',
               'high': 'DOUBLE', 'low': 'DOUBLE', 'close': 'DOUBLE', 'volume': 'DOUBLE'})`,
              [csv],
            ),
          (c) => {
            duckCpu = Math.min(duckCpu, c);
          },
        );
        duckSeconds = Math.min(duckSeconds, d);
        con.closeSync();
        db.closeSync();
      }

      // peak RSS of the CLI ingesting a 750 MB CSV of 5 MB lines (each rejected) among good rows
      const big = join(dir, "long-lines.csv");
      const made = await writeLongRowCsv(big, 150, 5_000_000, 1000);
      const measured = await runMeasured(["ingest", big, "--format", "csv", "--db", join(dir, "big.duckdb")]);
      if (measured.code !== 0) throw new Error(`ingest of the long-line CSV failed: ${measured.stderr}`);
      if (!measured.stdout.includes(`${made.good.toLocaleString("en-US")} stored, 150 rejected`)) {
        throw new Error(`ingest of the long-line CSV stored other counts: ${measured.stdout}`);
      }

      const perSecond = (s: number) => rows / s;
      const ratio = duckSeconds / ingestSeconds;
      return [
        {
          name: "ingestRowsPerSecond",
          value: perSecond(ingestSeconds),
          unit: "rows/s",
          note: `target >= 1,000,000 and >= 0.8x read_csv: ${ratio.toFixed(2)}x in this run (CPU, all threads: ${ingestCpu.toFixed(2)} s against ${duckCpu.toFixed(2)} s, ${(duckCpu / ingestCpu).toFixed(2)}x); ${rows.toLocaleString("en-US")} rows, ${mb.toFixed(0)} MB CSV -> DuckDB file`,
        },
        {
          name: "duckdbReadCsvRowsPerSecond",
          value: perSecond(duckSeconds),
          unit: "rows/s",
          note: "peer: DuckDB read_csv + INSERT of the same file, same table",
        },
        {
          name: "ingestLargeFilePeakRssMB",
          value: measured.peakRssBytes / (1 << 20),
          unit: "MB",
          note: `target < 500; tickwright ingest of a ${(made.bytes / 1e6).toFixed(0)} MB CSV with 5 MB lines (150 rejected, ${made.good.toLocaleString("en-US")} stored)`,
        },
        {
          name: "readBarsRowsPerSecond",
          value: perSecond(readSeconds),
          unit: "rows/s",
          note: "streamBars of every row, ordered by (time, symbol)",
        },
      ];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default group;
