import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
