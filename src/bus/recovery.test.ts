import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { sessionWindow } from "../engine/index.js";
import { generateBars } from "../ingest/index.js";
import { openRepository, type Repository } from "../store/index.js";
import { startBin } from "../testing/bin.js";
import { hasPostgres, skipWithout, TEST_PG_URL } from "../testing/deps.js";
import { type BusConnection, connectBus } from "./connection.js";
import { BusPublisher } from "./publisher.js";
import { streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";
import { GENERATED, hasNatsServer, resultLines, singleProcessLines, TestNats } from "./test-support.js";

const XNYS = getCalendar("XNYS");
const { from: FROM, to: TO, config: CONFIG } = GENERATED;
const PREFIX = "twcrash";
const SHARDS = 3;
/** The shard killed and started again. */
const VICTIM = 2;

/** A shard as a child process (`tickwright serve --bus`), its stderr kept. */
interface ShardProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<void>;
}

/**
 * A shard as a child process; the victim batches its results per window (`--bus-batch`), the
 * others publish one result per message, so the kill and rebuild are tested on batches.
 */
function startShard(config: string, url: string, k: number): ShardProcess {
  const child = startBin([
    "serve",
    "--config",
    config,
    "--bus",
    url,
    "--shard",
    `${k}/${SHARDS}`,
    "--bus-prefix",
    PREFIX,
    "--port",
    "0",
    ...(k === VICTIM ? ["--bus-batch"] : []),
  ]);
  let err = "";
  child.stderr?.on("data", (d) => {
    err += String(d);
  });
  child.stdout?.resume();
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return { child, stderr: () => err, exited };
}

/** Waits until `done()` holds, checking every 100 ms for at most `ms`; fails naming `what`. */
async function until(
  what: string,
  done: () => boolean | Promise<boolean>,
  ms = 90_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The `bus` part of a shard's /health. */
async function busHealth(s: ShardProcess): Promise<Record<string, unknown> & { consumer: object }> {
  const url = /serving (http\S+)/.exec(s.stderr())?.[1];
  const body = (await (await fetch(`${url}/health`)).json()) as {
    components: { bus: { details: Record<string, unknown> & { consumer: object } } };
  };
  return body.components.bus.details;
}

/** The stream sequence up to which a shard's durable consumer has acked (0 before it exists). */
async function ackFloor(bus: BusConnection, k: number): Promise<number> {
  const stream = streamNames(new BusSubjects(PREFIX)).raw;
  const info = await bus.jsm.consumers.info(stream, `shard-${k}-of-${SHARDS}`).catch(() => undefined);
  return info?.ack_floor.stream_seq ?? 0;
}

describe.skipIf(
  skipWithout("nats-server", hasNatsServer()) || skipWithout("PostgreSQL", await hasPostgres()),
)("shards surviving a SIGKILL and a broker restart", () => {
  const schema = `tw_bus_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const pgUrl = `${TEST_PG_URL}?schema=${schema}`;
  let nats: TestNats;
  let dir: string;
  let repository: Repository;
  let symbols: string[];
  let reference: string[];
  const shards: ShardProcess[] = [];

  beforeAll(async () => {
    nats = await TestNats.start();
    dir = mkdtempSync(join(tmpdir(), "tw-crash-"));
    repository = await openRepository(pgUrl);
    for (const g of generateBars({
      symbols: GENERATED.symbols,
      days: 3,
      start: FROM,
      seed: 11,
      missingRate: 0.003,
    }))
      await repository.writeBars("1m", g.bars);
    symbols = await repository.symbols("1m");
    reference = await singleProcessLines(repository, XNYS, symbols, CONFIG);
  }, 120_000);
  afterAll(async () => {
    for (const s of shards) s.child.kill("SIGKILL");
    await Promise.all(shards.map((s) => s.exited));
    await repository?.close();
    await nats?.stop();
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  });

  it("three shard processes, one killed with SIGKILL mid-session and started again, the broker restarted once: each result exactly once, no bar lost", async () => {
    const config = join(dir, "shard.json");
    writeFileSync(config, JSON.stringify({ ...CONFIG, db: pgUrl, symbols }));
    for (let k = 1; k <= SHARDS; k++) shards.push(startShard(config, nats.url, k));
    await until("the shards to serve", () => shards.every((s) => s.stderr().includes("serving http")));
    // Shard 2 stops reading until session 1 and a third of session 2 are published, so that
    // it is killed with a backlog: deliveries buffered, applied and not yet acked.
    shards[VICTIM - 1].child.kill("SIGSTOP");

    const bus = await connectBus(nats.url, "crash-test-publisher");
    const publisher = await BusPublisher.open(bus, { prefix: PREFIX });
    const sessions = XNYS.sessions(FROM, TO);
    const minutes = sessions.map((s) => XNYS.expectedMinutes(s, false));
    const bars = await repository.readBars({ symbols, interval: "1m", from: 0, to: Date.now() });
    let row = 0;
    /** Publishes every stored bar starting before `t`, a watermark after each minute. */
    const publishUntil = async (t: number) => {
      while (row < bars.length && bars.time[row] < t) row = await publisher.minute(bars, row);
    };
    const mid = (s: number, fraction: number) => minutes[s][Math.floor(minutes[s].length * fraction)];

    // Session 1 and two thirds of session 2; shard 2 killed once it has acked into session 2,
    // with most of the backlog still to ack (a minute's bars are one message: a shard works
    // through a third of a session in well under the 100 ms between two looks, so it looks
    // every 5 ms, at a backlog twice that).
    const rawStream = streamNames(new BusSubjects(PREFIX)).raw;
    await publishUntil(sessionWindow(sessions[1], false).start);
    await publisher.flush();
    const endOfFirst = (await bus.jsm.streams.info(rawStream)).state.last_seq;
    await publishUntil(mid(1, 2 / 3));
    shards[VICTIM - 1].child.kill("SIGCONT");
    await until(
      "shard 2 to ack into session 2",
      async () => (await ackFloor(bus, VICTIM)) > endOfFirst,
      90_000,
      5,
    );
    shards[VICTIM - 1].child.kill("SIGKILL");
    await shards[VICTIM - 1].exited;
    const killedAt = await ackFloor(bus, VICTIM);
    await publisher.flush();
    expect(killedAt).toBeLessThan((await bus.jsm.streams.info(rawStream)).state.last_seq);

    // More of session 2 while it is down, then the broker restarted (file storage kept).
    await publishUntil(mid(1, 5 / 6));
    await publisher.flush();
    await nats.restart();

    // Shard 2 again, and the rest.
    shards[VICTIM - 1] = startShard(config, nats.url, VICTIM);
    await publishUntil(Number.POSITIVE_INFINITY);
    const last = sessions[sessions.length - 1];
    await publisher.clock(sessionWindow(last, true).end);
    await publisher.end(sessionWindow(last, true).end);
    await until(
      "every shard to finish the feed",
      () => shards.every((s) => s.stderr().includes("the feed ended")),
      180_000,
    ).catch(async (err) => {
      for (const sh of shards) {
        console.error(sh.stderr(), JSON.stringify(await busHealth(sh).catch(() => null)));
      }
      throw err;
    });
    await bus.close();

    // Health reads the consumer's position every 2 s: every shard comes to have acked it all.
    const caughtUp = (h: { consumer: object }) =>
      JSON.stringify(h.consumer).includes('"lag":0,"pending":0,"ackPending":0');
    let health = await Promise.all(shards.map(busHealth));
    await until("every shard's health to show no lag", async () => {
      health = await Promise.all(shards.map(busHealth));
      return health.every(caughtUp);
    });
    // The restarted shard rebuilt its session up to where it had acked before the kill and
    // published nothing of it again; the others lived through the broker restart.
    expect(health[VICTIM - 1].rebuiltThrough).toBe(killedAt);
    expect(health[VICTIM - 1].resultsSuppressed).toBeGreaterThan(0);
    for (const [i, h] of health.entries()) {
      if (i !== VICTIM - 1) expect(h.disconnects).toBe(1);
    }
    const got = await resultLines(nats.url, PREFIX);
    expect(got.length).toBe(reference.length);
    expect([...got].sort()).toEqual([...reference].sort());
    expect(reference.filter((l) => l.includes('"type":"gap"')).length).toBeGreaterThan(0);
  }, 300_000);
});
