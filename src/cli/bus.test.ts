import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasNatsServer, TestNats } from "../bus/test-support.js";
import { runBin, SPAWNS_TIMEOUT } from "../testing/bin.js";
import { skipWithout } from "../testing/deps.js";

describe.skipIf(skipWithout("nats-server", hasNatsServer()))(
  "tickwright bus, as a user runs it",
  {
    timeout: SPAWNS_TIMEOUT,
  },
  () => {
    let nats: TestNats;
    const dir = mkdtempSync(join(tmpdir(), "tw-bus-cli-"));
    beforeAll(async () => {
      nats = await TestNats.start();
    });
    afterAll(async () => {
      await nats?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("bus collect timing out is a runtime failure: one line, exit 1", async () => {
      const args = ["bus", "collect", "--nats", nats.url, "--run", "nobody", "--shards", "2"];
      const r = await runBin([...args, "--out", join(dir, "x.jsonl"), "--timeout", "1"]);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        1,
        "",
        "tickwright: run nobody: shards 1, 2 of 2 did not finish in time\n",
      ]);
    });
  },
);
