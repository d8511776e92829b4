import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DeliverPolicy } from "@nats-io/jetstream";
import type { Calendar } from "../calendar/index.js";
import type { ConfigInput } from "../config/index.js";
import { createEngine, type EngineEvent, eventLine } from "../engine/index.js";
import { columnsToBars, type QuoteBar, type Tick } from "../model/bar.js";
import type { Repository } from "../store/index.js";
import { payloadText } from "./codec.js";
import { connectBus } from "./connection.js";
import { parseResultLine, resultBatchLines } from "./payload.js";
import { QualityTracker } from "./quality.js";
import { streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";

/** The generated sessions the shard tests replay: 20 symbols over these 3 XNYS sessions. */
export const GENERATED = {
  from: "2024-01-02",
  to: "2024-01-04",
  symbols: 20,
  /** The engine's options, the same for the shards and the single-process reference. */
  config: {
    from: "2024-01-02",
    to: "2024-01-04",
    derived: { intervals: ["5m", "15m", "60m", "1d"] },
    upkeep: { backoffSeconds: 30, maxRetries: 2 },
  },
};

/** The nats-server binary tests run (TICKWRIGHT_NATS_SERVER overrides). */
export const NATS_SERVER = process.env.TICKWRIGHT_NATS_SERVER ?? "/usr/sbin/nats-server";

/** True when a nats-server binary is there to start. */
export function hasNatsServer(): boolean {
  return existsSync(NATS_SERVER);
}

/**
 * A nats-server with JetStream of a test's own: a free port on 127.0.0.1 and its own storage
 * directory, so restarting it disturbs nobody else. `restart()` stops it (SIGTERM, or SIGKILL
 * with `hard`) and starts it again on the same port and storage (JetStream file storage).
 */
export class TestNats {
  private process: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "tw-nats-"));

  private constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** The server's process id while it runs (benchmarks read its CPU time). */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  static async start(): Promise<TestNats> {
    const n = new TestNats(await freePort());
    await n.spawn();
    return n;
  }

  async restart(hard = false): Promise<void> {
    await this.kill(hard ? "SIGKILL" : "SIGTERM");
    await this.spawn();
  }

  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async spawn(): Promise<void> {
    const child = spawn(NATS_SERVER, ["-a", "127.0.0.1", "-p", String(this.port), "-js", "-sd", this.dir], {
      stdio: "ignore",
    });
    this.process = child;
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode}`);
      if (await answers(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`nats-server did not answer on port ${this.port}`);
  }

  private async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/**
 * What one process makes of every stored one-minute bar of `symbols` under `config`: each
 * event's `--out` line and, at each roll, the quality reports a shard publishes. The reference
 * every sharded run is compared with.
 */
export async function singleProcessLines(
  repository: Repository,
  calendar: Calendar,
  symbols: string[],
  config: ConfigInput,
  extra: { quotes?: readonly QuoteBar[]; ticks?: readonly Tick[]; barsTo?: number } = {},
): Promise<string[]> {
  const engine = await createEngine(
    { ...config, symbols, prefetch: { enabled: false } },
    { repository, calendar, replayStore: false },
  );
  const all = columnsToBars(
    await repository.readBars({ symbols, interval: "1m", from: 0, to: extra.barsTo ?? Date.now() }),
  );
  for (const s of symbols)
    engine.feed(
      s,
      "bar",
      all.filter((b) => b.symbol === s),
    );
  for (const s of symbols) {
    const quotes = extra.quotes?.filter((q) => q.symbol === s) ?? [];
    const ticks = extra.ticks?.filter((t) => t.symbol === s) ?? [];
    if (quotes.length > 0) engine.feed(s, "quote", quotes);
    if (ticks.length > 0) engine.feed(s, "tick", ticks);
  }
  const quality = new QualityTracker(calendar, symbols);
  const lines: string[] = [];
  engine.onAny((e: EngineEvent) => {
    lines.push(eventLine(e));
    for (const q of quality.see(e) ?? []) lines.push(JSON.stringify(q));
  });
  await engine.run();
  return lines;
}

/** Every result the deployment's result stream holds, in stream order (batches opened), as lines. */
export async function resultLines(url: string, prefix: string): Promise<string[]> {
  const bus = await connectBus(url);
  try {
    const stream = streamNames(new BusSubjects(prefix)).out;
    const info = await bus.jsm.streams.info(stream);
    const lines: string[] = [];
    if (info.state.messages === 0) return lines;
    const c = await bus.js.consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    const messages = await c.consume();
    for await (const m of messages) {
      if (m.subject.includes(".out.progress.")) {
        if (m.seq >= info.state.last_seq) break;
        continue;
      }
      const texts = m.subject.includes(".out.batch.") ? resultBatchLines(m.data) : [payloadText(m.data)];
      for (const text of texts) {
        const { line, event } = parseResultLine(text);
        if ((event.type as string) === "progress") continue;
        lines.push(event.type === "quality" ? JSON.stringify(event) : line);
      }
      if (m.seq >= info.state.last_seq) break;
    }
    return lines;
  } finally {
    await bus.close();
  }
}
