import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { allocBarColumns, type BarColumns } from "../model/bar.js";
import { InvalidArgumentError, StoreError } from "../model/errors.js";
import { tuples } from "../testing/bars.js";
import { hasPostgres, skipWithout, TEST_PG_URL } from "../testing/deps.js";
import { type PostgresOptions, PostgresRepository } from "./postgres.js";
import { backoffMs, isRetryable, withRetry } from "./postgres-retry.js";
import { quoteSchema } from "./postgres-schema.js";

const MIN = 60_000;
const T0 = Date.UTC(2013, 9, 7, 13, 30);

/** `n` one-minute bars per symbol from T0 + offset minutes, values a function of (symbol, minute). */
function bars(symbols: readonly string[], n: number, offset = 0): BarColumns {
  const c = allocBarColumns(symbols.length * n);
  let i = 0;
  for (let k = offset; k < offset + n; k++) {
    for (let s = 0; s < symbols.length; s++, i++) {
      const p = 100 + s * 10 + k / 64;
      c.symbol[i] = symbols[s];
      c.time[i] = T0 + k * MIN;
      c.open[i] = p;
      c.high[i] = p + 0.5;
      c.low[i] = p - 0.5;
      c.close[i] = p + 0.25;
      c.volume[i] = 1000 + k;
      c.trades[i] = k % 3 === 0 ? Number.NaN : k;
    }
  }
  c.length = i;
  return c;
}

function sortedTuples(c: BarColumns): unknown[][] {
  return tuples(c).sort(
    (a, b) =>
      (a[1] as number) - (b[1] as number) ||
      ((a[0] as string) < (b[0] as string) ? -1 : (a[0] as string) > (b[0] as string) ? 1 : 0),
  );
}

describe("COPY text and retry rules", () => {
  it("accepts only lower-case identifiers as schema names", () => {
    expect(quoteSchema("tw_test_1")).toBe('"tw_test_1"');
    for (const bad of ["Public", "1abc", "a-b", 'x"; drop table bars; --', "", "a".repeat(64)]) {
      expect(() => quoteSchema(bad)).toThrow(InvalidArgumentError);
    }
  });

  it("classifies lost connections as retryable and statement errors as not", () => {
    const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
    expect(isRetryable(coded("terminating connection due to administrator command", "57P01"))).toBe(true);
    expect(isRetryable(coded("the database system is starting up", "57P03"))).toBe(true);
    expect(isRetryable(coded("connection failure", "08006"))).toBe(true);
    expect(isRetryable(coded("terminating connection due to idle-in-transaction timeout", "25P03"))).toBe(
      true,
    );
    expect(isRetryable(coded("canceling statement due to statement timeout", "57014"))).toBe(false);
    expect(isRetryable(coded("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"))).toBe(true);
    expect(isRetryable(coded("read ECONNRESET", "ECONNRESET"))).toBe(true);
    expect(isRetryable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isRetryable(new Error("Client has encountered a connection error and is not queryable"))).toBe(
      true,
    );
    expect(isRetryable(coded('null value in column "symbol" violates not-null constraint', "23502"))).toBe(
      false,
    );
    expect(isRetryable(coded('relation "bars" does not exist', "42P01"))).toBe(false);
    expect(isRetryable(new Error("something else"))).toBe(false);
    expect(isRetryable("Connection terminated")).toBe(false);
  });

  it("backs off exponentially from the base delay up to the cap", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((r) => backoffMs(r, 100, 5000))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000,
    ]);
  });

  it("retries a lost connection, then throws a StoreError with the cause after the last attempt", async () => {
    const lost = Object.assign(new Error("Connection terminated unexpectedly"), { code: "57P01" });
    const delays: number[] = [];
    let calls = 0;
    const failing = withRetry(
      "readBars",
      { attempts: 4, baseDelayMs: 1, onRetry: (_e, _a, d) => delays.push(d) },
      async () => {
        calls++;
        throw lost;
      },
    );
    const err = await failing.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toBe(
      "readBars failed after 4 attempt(s): Connection terminated unexpectedly (57P01)",
    );
    expect((err as StoreError).cause).toBe(lost);
    expect(calls).toBe(4);
    expect(delays).toEqual([1, 2, 4]);
  });

  it("succeeds on a later attempt and does not retry a statement error", async () => {
    let calls = 0;
    const value = await withRetry("symbols", { attempts: 3, baseDelayMs: 1 }, async () => {
      if (++calls < 3) throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
      return 42;
    });
    expect([value, calls]).toEqual([42, 3]);
    calls = 0;
    const bad = Object.assign(new Error("syntax error"), { code: "42601" });
    const err = await withRetry("x", { attempts: 5, baseDelayMs: 1 }, async () => {
      calls++;
      throw bad;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).cause).toBe(bad);
    expect(calls).toBe(1);
  });

  it("refuses a URL that is not postgres://", async () => {
    await expect(PostgresRepository.open("market.duckdb")).rejects.toThrow(InvalidArgumentError);
  });

  it("fails with a StoreError naming the attempts when nothing listens", async () => {
    const err = await PostgresRepository.open("postgres://postgres@127.0.0.1:1/test", {
      retry: { attempts: 2, baseDelayMs: 1 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(
      /^init failed after 2 attempt\(s\): connect ECONNREFUSED 127\.0\.0\.1:1/,
    );
    expect(((err as StoreError).cause as { code: string }).code).toBe("ECONNREFUSED");
  });
});

const pgAvailable = await hasPostgres();

describe.skipIf(skipWithout("PostgreSQL", pgAvailable))("PostgreSQL store", () => {
  let admin: pg.Client;
  const schemas: string[] = [];
  const repos: PostgresRepository[] = [];
  let appNo = 0;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
  });
  afterEach(async () => {
    for (const repo of repos.splice(0)) await repo.close();
  });
  afterAll(async () => {
    for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${quoteSchema(s)} CASCADE`);
    await admin.end();
  });

  function freshSchema(): string {
    const s = `tw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    schemas.push(s);
    return s;
  }

  /** A repository on a fresh schema with its own application_name, so a test can kill its connections. */
  async function openFresh(opts: PostgresOptions = {}): Promise<{ repo: PostgresRepository; app: string }> {
    const app = `tw_test_${process.pid}_${appNo++}`;
    const repo = await PostgresRepository.open(TEST_PG_URL, {
      schema: freshSchema(),
      applicationName: app,
      ...opts,
    });
    repos.push(repo);
    return { repo, app };
  }

  /** Terminates every backend of `app`, as a DBA or a failing server would. Returns how many. */
  async function terminate(app: string): Promise<number> {
    const res = await admin.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
      [app],
    );
    return res.rowCount ?? 0;
  }

  /** Waits (polling the server, not the clock) until a backend of `app` is blocked on a lock. */
  async function blockedOnLock(app: string): Promise<void> {
    for (;;) {
      const res = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
        [app],
      );
      if (res.rows[0].n > 0) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it("takes the schema from ?schema= in the URL and creates it on first use", async () => {
    const schema = freshSchema();
    const repo = await PostgresRepository.open(`${TEST_PG_URL}?schema=${schema}`);
    repos.push(repo);
    expect(repo.schema).toBe(schema);
    const tables = await admin.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
      [schema],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(["actions", "bars", "quotes", "ticks"]);
  });

  it("initializes one schema from many processes at once without a race, and says whether hypertables were used", async () => {
    const schema = freshSchema();
    const opened = await Promise.all(
      [1, 2, 3, 4].map(() => PostgresRepository.open(TEST_PG_URL, { schema, poolMax: 1 })),
    );
    repos.push(...opened);
    const timescale = await admin.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
    for (const repo of opened) {
      expect(repo.storage.hypertables).toBe(timescale.rows.length > 0);
      if (timescale.rows.length === 0) {
        expect(repo.storage.note).toBe("plain tables: TimescaleDB is not available on this server");
      }
    }
    await opened[0].init();
    expect(await opened[3].symbols()).toEqual([]);
  });

  it("leaves pg's global BIGINT parser alone", async () => {
    const { repo } = await openFresh();
    await repo.writeBars("1m", bars(["SPY"], 1));
    expect((await repo.coverage())[0].count).toBe(1);
    expect(pg.types.getTypeParser(20, "text")("9007199254740993")).toBe("9007199254740993");
  });

  it("keeps the last of repeated keys inside one batch", async () => {
    const { repo } = await openFresh();
    const batch = bars(["SPY"], 3);
    batch.close[1] = 1;
    const repeated = allocBarColumns(4);
    for (const [to, from] of [
      [0, 0],
      [1, 1],
      [2, 2],
      [3, 1],
    ] as const) {
      repeated.symbol[to] = batch.symbol[from];
      repeated.time[to] = batch.time[from];
      repeated.open[to] = batch.open[from];
      repeated.high[to] = batch.high[from];
      repeated.low[to] = batch.low[from];
      repeated.close[to] = to === 3 ? 2 : batch.close[from];
      repeated.volume[to] = batch.volume[from];
    }
    repeated.length = 4;
    expect(await repo.writeBars("1m", repeated)).toBe(3);
    const back = await repo.readBars({ symbols: ["SPY"], interval: "1m", from: T0, to: T0 + 3 * MIN });
    expect(Array.from(back.close)).toEqual([batch.close[0], 2, batch.close[2]]);
  });

  it("round-trips -0, infinities, NaN prices, subnormals and symbols needing escapes", async () => {
    const { repo } = await openFresh();
    const c = allocBarColumns(3);
    const values = [
      ["a\tb\\c\nd", -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 5e-324, 0, -0],
      ["SPY", Number.MAX_VALUE, Number.MIN_VALUE, 0.1 + 0.2, 1 / 3, 123456789.12345679, 2 ** 53, 1e-300],
      ["é ü 株", 1, 2, 3, 4, 5, Number.NaN, Number.NaN],
    ] as const;
    values.forEach(([symbol, o, h, l, cl, v, t, w], i) => {
      c.symbol[i] = symbol;
      c.time[i] = T0;
      c.open[i] = o;
      c.high[i] = h;
      c.low[i] = l;
      c.close[i] = cl;
      c.volume[i] = v;
      c.trades[i] = t;
      c.vwap[i] = w;
      c.flags[i] = 255;
    });
    c.length = 3;
    await repo.writeBars("1m", c);
    const back = await repo.readBars({
      symbols: values.map((v) => v[0]),
      interval: "1m",
      from: T0,
      to: T0 + 1,
    });
    expect(tuples(back)).toEqual(sortedTuples(c));
    expect(Object.is(back.open[1], -0)).toBe(true);
    expect(Object.is(back.vwap[1], -0)).toBe(true);
  });

  it("refuses a bar time that is not an integer, naming the row, and stores nothing of the batch", async () => {
    const { repo } = await openFresh();
    const batch = bars(["SPY"], 3);
    batch.time[2] += 0.5;
    const err = await repo.writeBars("1m", batch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(
      `bar row 2: time ${T0 + 2 * MIN + 0.5} is not an integer epoch-ms value`,
    );
    expect(await repo.coverage()).toEqual([]);
    expect(await repo.writeBars("1m", bars(["SPY"], 3))).toBe(3);
  });

  it("writes a batch larger than one COPY chunk and reads it back in chunks", async () => {
    const { repo } = await openFresh({ chunkRows: 7_000 });
    const written = bars(["AAPL", "MSFT", "SPY"], 10_000);
    expect(await repo.writeBars("1m", written)).toBe(30_000);
    const sizes: number[] = [];
    for await (const chunk of repo.streamBars({
      symbols: ["SPY", "AAPL", "MSFT"],
      interval: "1m",
      from: 0,
      to: 2 * T0,
    })) {
      sizes.push(chunk.length);
    }
    expect(sizes).toEqual([7000, 7000, 7000, 7000, 2000]);
    const back = await repo.readBars({
      symbols: ["SPY", "AAPL", "MSFT"],
      interval: "1m",
      from: 0,
      to: 2 * T0,
    });
    expect(tuples(back)).toEqual(tuples(written));
  });

  it("ends the transaction and frees the connection when a stream is left early", async () => {
    const { repo, app } = await openFresh({ poolMax: 1 });
    await repo.writeBars("1m", bars(["SPY"], 100));
    for await (const chunk of repo.streamBars(
      { symbols: ["SPY"], interval: "1m", from: 0, to: 2 * T0 },
      10,
    )) {
      expect(chunk.length).toBe(10);
      break;
    }
    const states = await admin.query("SELECT state FROM pg_stat_activity WHERE application_name = $1", [app]);
    expect(states.rows.map((r) => r.state)).toEqual(["idle"]);
    expect((await repo.readBars({ symbols: ["SPY"], interval: "1m", from: 0, to: 2 * T0 })).length).toBe(100);
  });

  it("resumes a streaming read after its connection is killed: every row once, in order", async () => {
    const retries: unknown[] = [];
    const { repo, app } = await openFresh({
      retry: { attempts: 3, baseDelayMs: 1, onRetry: (e) => retries.push(e) },
    });
    const written = bars(["AAPL", "SPY"], 500);
    await repo.writeBars("1m", written);
    const query = { symbols: ["SPY", "AAPL"], interval: "1m", from: 0, to: 2 * T0 };
    const seen: BarColumns[] = [];
    let killed = 0;
    for await (const chunk of repo.streamBars(query, 100)) {
      seen.push(chunk);
      if (seen.length === 3) killed = await terminate(app);
    }
    expect(killed).toBe(1);
    expect(retries.length).toBe(1);
    // The kill shows as the server's 57P01 when it lands during the FETCH, or as a client
    // that is no longer queryable when it landed between two FETCHes.
    expect((retries[0] as { code?: string }).code ?? (retries[0] as Error).message).toMatch(
      /^(57P01|Connection terminated unexpectedly|Client has encountered a connection error and is not queryable)$/,
    );
    expect(seen.map((c) => c.length)).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100]);
    expect(seen.flatMap(tuples)).toEqual(tuples(written));
  });

  it("fails a read with a StoreError carrying the cause once the attempts are spent", async () => {
    const { repo, app } = await openFresh({ retry: { attempts: 1 } });
    await repo.writeBars("1m", bars(["SPY"], 50));
    const read = async () => {
      for await (const _ of repo.streamBars({ symbols: ["SPY"], interval: "1m", from: 0, to: 2 * T0 }, 10)) {
        await terminate(app);
      }
    };
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).toMatch(/^streamBars failed after 1 attempt\(s\): /);
    expect(isRetryable((err as StoreError).cause)).toBe(true);
  });

  it("retries a write whose connection is killed mid-transaction, and the batch lands whole", async () => {
    const retries: unknown[] = [];
    const { repo, app } = await openFresh({
      retry: { attempts: 3, baseDelayMs: 1, onRetry: (e) => retries.push(e) },
    });
    const locker = new pg.Client({ connectionString: TEST_PG_URL });
    await locker.connect();
    try {
      // Hold the table so the write stops inside its transaction (COPY done, upsert waiting).
      await locker.query("BEGIN");
      await locker.query(`LOCK TABLE ${quoteSchema(repo.schema)}.bars IN SHARE MODE`);
      const batch = bars(["AAPL", "SPY"], 2_000);
      const writing = repo.writeBars("1m", batch);
      await blockedOnLock(app);
      expect(await terminate(app)).toBe(1);
      await locker.query("COMMIT");
      expect(await writing).toBe(4_000);
      expect(retries.length).toBe(1);
      const back = await repo.readBars({ symbols: ["AAPL", "SPY"], interval: "1m", from: 0, to: 2 * T0 });
      expect(tuples(back)).toEqual(tuples(batch));
    } finally {
      await locker.end();
    }
  });

  it("leaves whole batches only when an ingest loses its connection, and a rerun completes it", async () => {
    const { repo, app } = await openFresh({ retry: { attempts: 1 } });
    const batches = [0, 1, 2, 3, 4].map((b) => bars(["AAPL", "MSFT", "SPY"], 400, b * 400));
    const locker = new pg.Client({ connectionString: TEST_PG_URL });
    await locker.connect();
    try {
      await repo.writeBars("1m", batches[0]);
      await repo.writeBars("1m", batches[1]);
      await locker.query("BEGIN");
      await locker.query(`LOCK TABLE ${quoteSchema(repo.schema)}.bars IN SHARE MODE`);
      // Catch at once: the write fails while the test is still awaiting the kill.
      const third = repo.writeBars("1m", batches[2]).catch((e: unknown) => e);
      await blockedOnLock(app);
      await terminate(app);
      const err = await third;
      await locker.query("COMMIT");
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).message).toMatch(/^writeBars failed after 1 attempt\(s\): /);
      expect(((err as StoreError).cause as { code?: string }).code).toBe("57P01");
    } finally {
      await locker.end();
    }
    const query = { symbols: ["AAPL", "MSFT", "SPY"], interval: "1m", from: 0, to: 2 * T0 };
    const partial = await repo.readBars(query);
    expect(tuples(partial)).toEqual([...tuples(batches[0]), ...tuples(batches[1])]);
    for (const batch of batches) await repo.writeBars("1m", batch);
    const complete = await repo.readBars(query);
    expect(complete.length).toBe(6_000);
    expect(tuples(complete)).toEqual(batches.flatMap(tuples));
  });

  it("keeps writing across killed idle connections between batches", async () => {
    const retries: unknown[] = [];
    const { repo, app } = await openFresh({
      poolMax: 2,
      retry: { attempts: 4, baseDelayMs: 1, onRetry: (e) => retries.push(e) },
    });
    const batches = [0, 1, 2, 3].map((b) => bars(["SPY"], 250, b * 250));
    for (const batch of batches) {
      await repo.writeBars("1m", batch);
      await terminate(app);
    }
    const back = await repo.readBars({ symbols: ["SPY"], interval: "1m", from: 0, to: 2 * T0 });
    expect(tuples(back)).toEqual(batches.flatMap(tuples));
    expect(await repo.coverage("SPY")).toEqual([
      { symbol: "SPY", interval: "1m", first: T0, last: T0 + 999 * MIN, count: 1000 },
    ]);
  });

  // Restarting the server disturbs every other test using it, so this runs only when asked:
  // .ci/run asks after the main suite, alone.
  const restartAllowed = process.env.TICKWRIGHT_PG_RESTART_TEST === "1";
  it.skipIf(!restartAllowed)("resumes a streaming read across a restart of the whole server", async () => {
    const { repo } = await openFresh({ retry: { attempts: 12, baseDelayMs: 100, maxDelayMs: 2000 } });
    const written = bars(["AAPL", "SPY"], 1_000);
    await repo.writeBars("1m", written);
    const seen: BarColumns[] = [];
    const cluster = readdirSync("/etc/postgresql")[0];
    for await (const chunk of repo.streamBars(
      { symbols: ["SPY", "AAPL"], interval: "1m", from: 0, to: 2 * T0 },
      300,
    )) {
      seen.push(chunk);
      if (seen.length === 2) {
        await admin.end().catch(() => {});
        execFileSync("pg_ctlcluster", [
          "--skip-systemctl-redirect",
          cluster,
          "main",
          "restart",
          "-m",
          "fast",
        ]);
      }
    }
    // The admin connection died with the server: a new one for the schema drop in afterAll.
    admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    expect(seen.flatMap(tuples)).toEqual(tuples(written));
  });
});
