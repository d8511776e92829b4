import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateBars } from "../ingest/index.js";
import { openRepository } from "../store/index.js";
import { run } from "../testing/cli.js";
import { hasSharedData, skipWithout } from "../testing/deps.js";
import { ingestLeanSample } from "../testing/lean.js";
import { hasNatsServer, TestNats } from "./test-support.js";

const DERIVED = "5m,15m,60m,1d";

describe.skipIf(
  skipWithout("nats-server", hasNatsServer()) || skipWithout("../shared/data", hasSharedData()),
)("sharded backtests collected from NATS JetStream", () => {
  let nats: TestNats;
  let dir: string;
  let spy: string;
  let generated: string;

  beforeAll(async () => {
    nats = await TestNats.start();
    dir = mkdtempSync(join(tmpdir(), "tw-collect-"));
    spy = join(dir, "spy.duckdb");
    await ingestLeanSample(spy);
    generated = join(dir, "gen.duckdb");
    const gen = await openRepository(generated);
    for (const g of generateBars({ symbols: 12, days: 2, start: "2024-01-02", seed: 3, missingRate: 0.01 }))
      await gen.writeBars("1m", g.bars);
    await gen.close();
  }, 120_000);
  afterAll(async () => {
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Replays as one process, then as `shards` shards collected; returns both files' text. */
  async function both(db: string, args: string[], name: string, shards: number): Promise<[string, string]> {
    const single = join(dir, `${name}-single.jsonl`);
    const r = await run("replay", "--db", db, ...args, "--out", single, "--json");
    expect(r.code, r.stderr).toBe(0);
    for (let k = 1; k <= shards; k++) {
      const s = await run(
        "replay",
        "--db",
        db,
        ...args,
        "--shard",
        `${k}/${shards}`,
        "--publish",
        nats.url,
        "--run",
        name,
        "--json",
      );
      expect(s.code, s.stderr).toBe(0);
    }
    const merged = join(dir, `${name}-merged.jsonl`);
    const c = await run(
      "bus",
      "collect",
      "--nats",
      nats.url,
      "--run",
      name,
      "--shards",
      String(shards),
      "--out",
      merged,
    );
    expect(c.code, c.stderr).toBe(0);
    return [readFileSync(single, "utf8"), readFileSync(merged, "utf8")];
  }

  for (const shards of [2, 3]) {
    it(`SPY over ${shards} shards, collected, is byte-identical to the single-process --out`, async () => {
      const [single, merged] = await both(
        spy,
        [
          "--symbols",
          "SPY",
          "--from",
          "2013-10-07",
          "--to",
          "2013-10-11",
          "--derived",
          DERIVED,
          "--extended",
        ],
        `spy${shards}`,
        shards,
      );
      expect(single.split("\n").length).toBeGreaterThan(5 * 800);
      expect(merged).toBe(single);
    }, 120_000);
  }

  it("twelve generated symbols with gaps over 3 shards, collected, are byte-identical", async () => {
    const [single, merged] = await both(
      generated,
      ["--all", "--from", "2024-01-02", "--to", "2024-01-03", "--derived", DERIVED],
      "gen3",
      3,
    );
    expect(single).toContain('"type":"gapAbandoned"');
    expect(merged).toBe(single);
  }, 120_000);

  it("refuses to publish a shard of a run that has finished", async () => {
    const args = ["--db", spy, "--symbols", "SPY", "--from", "2013-10-07", "--to", "2013-10-07"];
    const publish = ["--shard", "1/1", "--publish", nats.url, "--run", "again"];
    expect((await run("replay", ...args, ...publish, "--json")).code).toBe(0);
    const second = await run("replay", ...args, ...publish, "--json");
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("run again shard 1 has already finished");
  }, 60_000);
});
