import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tuples } from "../testing/bars.js";
import { hasPostgres, hasSharedData, LEAN_ROOT, skipWithout, TEST_PG_URL } from "../testing/deps.js";
import { openRepository } from "./index.js";
import { PostgresRepository } from "./postgres.js";
import type { Repository } from "./types.js";

const ready = hasSharedData() && (await hasPostgres());

/** The real LEAN sample data ingested into both stores reads back identically from each. */
describe.skipIf(skipWithout("../shared/data and PostgreSQL", ready))(
  "LEAN data in PostgreSQL and DuckDB",
  () => {
    const schema = `tw_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    let duck: Repository;
    let postgres: PostgresRepository;

    beforeAll(async () => {
      const { ingest } = await import("../ingest/index.js");
      duck = await openRepository(":memory:");
      postgres = await PostgresRepository.open(TEST_PG_URL, { schema });
      const duckSummary = await ingest([LEAN_ROOT], { format: "lean", repository: duck });
      const pgSummary = await ingest([LEAN_ROOT], { format: "lean", repository: postgres });
      expect(pgSummary).toEqual(duckSummary);
    }, 300_000);

    afterAll(async () => {
      await duck?.close();
      await postgres?.close();
      const admin = new pg.Client({ connectionString: TEST_PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it("stores the same coverage: six sessions of SPY minutes, the daily file", async () => {
      const coverage = await postgres.coverage();
      expect(coverage).toEqual(await duck.coverage());
      expect(coverage).toEqual([
        {
          symbol: "SPY",
          interval: "1d",
          first: Date.parse("1998-01-02T14:30:00Z"),
          last: Date.parse("2021-03-31T13:30:00Z"),
          count: 5849,
        },
        {
          symbol: "SPY",
          interval: "1m",
          first: Date.parse("2013-10-04T08:06:00Z"),
          last: Date.parse("2013-10-11T23:59:00Z"),
          count: 4839,
        },
      ]);
    });

    it("reads SPY's 2013-10-04..10 minutes bar for bar, 828 of them on 2013-10-07", async () => {
      const query = {
        symbols: ["SPY"],
        interval: "1m",
        from: Date.UTC(2013, 9, 4),
        to: Date.UTC(2013, 9, 11),
      };
      const fromPg = await postgres.readBars(query);
      expect(tuples(fromPg)).toEqual(tuples(await duck.readBars(query)));
      const day = await postgres.readBars({ ...query, from: Date.UTC(2013, 9, 7), to: Date.UTC(2013, 9, 8) });
      expect(day.length).toBe(828);
    });

    it("reads the daily bars, quote bars and ticks identically", async () => {
      const daily = { symbols: ["SPY"], interval: "1d", from: 0, to: Date.UTC(2030, 0, 1) };
      expect(tuples(await postgres.readBars(daily))).toEqual(tuples(await duck.readBars(daily)));
      const day = { symbols: ["SPY"], from: Date.UTC(2013, 9, 7), to: Date.UTC(2013, 9, 8) };
      expect(await postgres.readQuotes(day)).toEqual(await duck.readQuotes(day));
      const ticks = await postgres.readTicks(day);
      expect(ticks.length).toBeGreaterThan(200_000);
      expect(ticks).toEqual(await duck.readTicks(day));
    });
  },
);
