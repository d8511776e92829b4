import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateBars } from "../ingest/generate.js";
import { PostgresRepository } from "../store/postgres.js";
import type { BarQuery, Repository } from "../store/types.js";
import { hasPostgres, skipWithout, TEST_PG_URL } from "../testing/deps.js";
import { createEngine } from "./engine.js";
import type { BarEvent } from "./types.js";

const available = await hasPostgres();
const SYMBOLS = 20;
const DAYS = 4;

describe.skipIf(skipWithout("PostgreSQL", available))(
  "replay from PostgreSQL with connections killed",
  () => {
    const schema = `tw_replay_${process.pid}_${Date.now() % 100_000}`;
    const app = `tw-replay-${schema}`;
    const sessions = generateBars({ symbols: SYMBOLS, days: DAYS, seed: 3 });
    let admin: pg.Client;

    beforeAll(async () => {
      admin = new pg.Client({ connectionString: TEST_PG_URL });
      await admin.connect();
      const repo = await PostgresRepository.open(`${TEST_PG_URL}?schema=${schema}`);
      for (const s of sessions) await repo.writeBars("1m", s.bars);
      await repo.close();
    });
    afterAll(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    });

    it("delivers every bar exactly once while the engine's connections are terminated every session", async () => {
      const retries: number[] = [];
      const repo = await PostgresRepository.open(`${TEST_PG_URL}?schema=${schema}`, {
        applicationName: app,
        chunkRows: 500,
        retry: { attempts: 8, baseDelayMs: 20, onRetry: (_e, attempt) => retries.push(attempt) },
      });
      try {
        // One kill that must land mid-read: the third session's read (500-row chunks, many
        // round trips) is terminated as soon as its transaction is seen open on the server.
        const third = sessions[2].session;
        let killedMidRead = false;
        const store: Repository = Object.create(repo, {
          readBars: {
            value: async (q: BarQuery) => {
              const reading = repo.readBars(q);
              if (!killedMidRead && q.interval === "1m" && q.from === third.open) {
                for (let i = 0; i < 500 && !killedMidRead; i++) {
                  const r = await admin.query(
                    `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
                     WHERE application_name = $1 AND state IN ('active', 'idle in transaction')`,
                    [app],
                  );
                  killedMidRead = r.rows.some((row) => row.killed === true);
                }
              }
              return reading;
            },
          },
        });
        const engine = await createEngine(
          {
            allSymbols: true,
            from: sessions[0].session.date,
            to: sessions[DAYS - 1].session.date,
            derived: { intervals: ["5m"] },
          },
          { repository: store },
        );
        let kills = 0;
        for (const { session } of sessions) {
          for (const at of [session.open, session.open + 60_000, session.open + 3_600_000]) {
            engine.clock.at(at, async () => {
              const r = await admin.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
                [app],
              );
              kills += r.rowCount ?? 0;
            });
          }
        }
        const seen = new Set<string>();
        let duplicates = 0;
        engine.on("bar", (b: BarEvent) => {
          if (b.interval !== "1m") return;
          const key = `${b.symbol}@${b.time}`;
          if (seen.has(key)) duplicates++;
          seen.add(key);
        });
        const summary = await engine.run();
        expect(killedMidRead).toBe(true);
        expect(kills).toBeGreaterThan(0);
        expect(retries.length).toBeGreaterThan(0);
        expect(duplicates).toBe(0);
        expect(summary.barsIn).toBe(SYMBOLS * 390 * DAYS);
        expect(seen.size).toBe(SYMBOLS * 390 * DAYS);
        expect(summary.barsOut["5m"]).toBe(SYMBOLS * 78 * DAYS);
        expect(summary.gapsFound).toBe(0);
        expect(Object.values(summary.quality).every((q) => q === 100)).toBe(true);
        expect(engine.health().components.store.status).toBe("ok");
      } finally {
        await repo.close();
      }
    });
  },
);
