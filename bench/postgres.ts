import pg from "pg";
import { allocBarColumns, type BarColumns } from "../src/model/bar.js";
import { openRepository } from "../src/store/index.js";
import { PostgresRepository } from "../src/store/postgres.js";
import type { Repository } from "../src/store/types.js";
import { hasPostgres, TEST_PG_URL } from "../src/testing/deps.js";
import { type BenchGroup, type Figure, wallMs } from "./harness.js";

const SYMBOLS = 100;
const MINUTES = 10_000;
const SYMBOLS_PER_BATCH = 10;
const T0 = Date.UTC(2024, 0, 2, 14, 30);

/**
 * 1,000,000 one-minute bars (100 symbols x 10,000 minutes, a deterministic random walk) in
 * ten batches of 100,000, each batch ten symbols' whole ranges, as a per-file ingest writes them.
 */
function batches(): BarColumns[] {
  const out: BarColumns[] = [];
  let seed = 42;
  for (let first = 0; first < SYMBOLS; first += SYMBOLS_PER_BATCH) {
    const c = allocBarColumns(SYMBOLS_PER_BATCH * MINUTES);
    let i = 0;
    for (let s = first; s < first + SYMBOLS_PER_BATCH; s++) {
      const symbol = `SYM${String(s).padStart(3, "0")}`;
      let price = 50 + s;
      for (let m = 0; m < MINUTES; m++, i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const open = price;
        const close = Math.round((price + ((seed % 21) - 10) / 100) * 100) / 100;
        c.symbol[i] = symbol;
        c.time[i] = T0 + m * 60_000;
        c.open[i] = open;
        c.high[i] = Math.max(open, close) + (seed % 7) / 100;
        c.low[i] = Math.min(open, close) - (seed % 5) / 100;
        c.close[i] = close;
        c.volume[i] = 1000 + (seed % 50_000);
        price = close;
      }
    }
    c.length = i;
    out.push(c);
  }
  return out;
}

async function ingest(repo: Repository, data: BarColumns[]): Promise<number> {
  let rows = 0;
  const ms = await wallMs(async () => {
    for (const batch of data) rows += await repo.writeBars("1m", batch);
  });
  return rows / (ms / 1000);
}

async function streamAll(repo: Repository): Promise<number> {
  let rows = 0;
  const ms = await wallMs(async () => {
    for await (const chunk of repo.streamBars({ symbols: [], interval: "1m", from: 0, to: T0 * 2 })) {
      rows += chunk.length;
    }
  });
  if (rows !== SYMBOLS * MINUTES) throw new Error(`read ${rows} rows, expected ${SYMBOLS * MINUTES}`);
  return rows / (ms / 1000);
}

/**
 * Ingest of 1,000,000 one-minute bars into PostgreSQL (binary COPY into staging, then one
 * INSERT per batch) beside the same rows into embedded DuckDB (`:memory:`), a streamed read
 * back of all of them, and a re-write of one batch (the ON CONFLICT upsert path). Uses a
 * throwaway schema, dropped afterwards; skipped when PostgreSQL does not answer.
 */
const group: BenchGroup = {
  name: "postgres",
  async run(): Promise<Figure[]> {
    if (!(await hasPostgres())) {
      process.stderr.write(`postgres: skipped, PostgreSQL is not answering at ${TEST_PG_URL}\n`);
      return [];
    }
    const data = batches();
    const figures: Figure[] = [];
    const schema = `tw_bench_${process.pid}`;
    const repo = await PostgresRepository.open(TEST_PG_URL, { schema });
    try {
      const pgIngest = await ingest(repo, data);
      const duck = await openRepository(":memory:");
      let duckIngest: number;
      try {
        duckIngest = await ingest(duck, data);
      } finally {
        await duck.close();
      }
      figures.push(
        {
          name: "pgIngestRowsPerSecond",
          value: pgIngest,
          unit: "rows/s",
          note: `1M 1m bars, 10 batches; ${repo.storage.hypertables ? "hypertable" : "plain table"}`,
        },
        {
          name: "duckdbIngestRowsPerSecond",
          value: duckIngest,
          unit: "rows/s",
          note: `same rows into :memory:; PostgreSQL is ${(duckIngest / pgIngest).toFixed(1)}x slower`,
        },
        {
          name: "pgReadRowsPerSecond",
          value: await streamAll(repo),
          unit: "rows/s",
          note: "streamBars, 1M rows",
        },
        {
          name: "pgUpsertRowsPerSecond",
          value: await ingest(repo, [data[0]]),
          unit: "rows/s",
          note: "re-writing 100k stored bars (ON CONFLICT DO UPDATE)",
        },
      );
    } finally {
      await repo.close();
      const admin = new pg.Client({ connectionString: TEST_PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
    return figures;
  },
};

export default group;
