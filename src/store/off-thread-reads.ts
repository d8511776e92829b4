import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { StoreError } from "../model/errors.js";
import { letGoOf } from "../model/series.js";
import {
  type CodedBarsReply,
  type CodedBarsRequest,
  codedColumnList,
  type RecycleMessage,
} from "./coded-bars.js";
import type { CodedBarColumns } from "./types.js";

/** The worker's module: beside this one once built; from the TypeScript sources (tests), the built copy. */
function workerUrl(): URL | undefined {
  const here = new URL("./duckdb-read-worker.js", import.meta.url);
  if (existsSync(here)) return here;
  const built = new URL(here.href.replace("/src/store/", "/dist/src/store/"));
  return existsSync(built) ? built : undefined;
}

interface Pending {
  resolve(reply: CodedBarsReply | { closed: true }): void;
  reject(err: Error): void;
}

/**
 * Range reads of a DuckDB file on a worker thread: the worker opens the file READ_ONLY, runs
 * the query and copies the result into typed arrays, which it hands over as transferable
 * buffers, so the main thread never decodes a row and the read overlaps what the main
 * thread does meanwhile. The process's own read-write instance keeps writing: `hold()`
 * closes the worker's instance before each write and keeps reads waiting until the write is
 * done (a read-only instance must not be open while the file changes under it); the next
 * read opens it again and sees the write.
 */
export class OffThreadBarReader {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Set while a write holds the reader: reads wait for it. */
  private held: Promise<void> | undefined;
  private open = false;

  private constructor(
    private readonly path: string,
    private readonly url: URL,
  ) {}

  /** A reader of a database file, or undefined when the worker's module is not there. */
  static of(path: string): OffThreadBarReader | undefined {
    const url = workerUrl();
    return url ? new OffThreadBarReader(path, url) : undefined;
  }

  /** Reads bars; `codes[k]` (default k) is put in `code` for rows of `symbols[k]`. */
  async read(query: Omit<CodedBarsRequest, "type" | "id">): Promise<CodedBarColumns> {
    while (this.held) await this.held;
    this.open = true;
    const reply = (await this.request({ ...query, type: "read", id: this.nextId++ })) as CodedBarsReply;
    if (reply.placed) reply.placed.release = (buffer) => this.recyclePlaced(buffer);
    return reply;
  }

  /** Hands the buffer of a read's placed rows back to the worker, once nothing views it. */
  private recyclePlaced(buffer: ArrayBuffer): void {
    const msg: RecycleMessage = { type: "recycle", buffers: [buffer], placed: true };
    this.worker?.postMessage(msg, msg.buffers);
  }

  /**
   * Hands columns a read returned back to the worker, which reads the next rows into them;
   * they are detached here (unusable). Columns whose buffers are shared, already detached or
   * not one per column are left alone.
   */
  recycle(columns: CodedBarColumns): void {
    // the batch is delivered: it no longer holds its placed rows (the series over them may),
    // and no row of it will land again (its rows' places are not needed)
    const placed = columns.placed;
    if (placed) {
      placed.row = new Int32Array(0);
      letGoOf(placed);
    }
    const worker = this.worker;
    if (!worker) return;
    const buffers = codedColumnList(columns).map((c) => c.buffer);
    const rows = buffers[9].byteLength;
    const whole = buffers.every(
      (b, k) => b instanceof ArrayBuffer && b.byteLength === rows * (k === 9 ? 1 : k === 0 ? 4 : 8),
    );
    if (!whole || new Set(buffers).size !== buffers.length) return;
    const msg: RecycleMessage = { type: "recycle", buffers: buffers as ArrayBuffer[] };
    worker.postMessage(msg, msg.buffers);
  }

  /**
   * Waits for the reads in flight, closes the worker's database instance, and keeps new
   * reads waiting until the returned function is called (after a write).
   */
  async hold(): Promise<() => void> {
    while (this.held) await this.held;
    let release!: () => void;
    this.held = new Promise<void>((r) => (release = r));
    try {
      await Promise.allSettled([...this.pending.keys()].map((id) => this.settled(id)));
      if (this.open && this.worker) await this.request({ type: "close", id: this.nextId++ });
      this.open = false;
    } catch {
      this.stopWorker();
    }
    return () => {
      this.held = undefined;
      release();
    };
  }

  /** Closes the worker's instance and ends the worker. */
  async close(): Promise<void> {
    const release = await this.hold();
    this.stopWorker();
    release();
  }

  private settled(id: number): Promise<void> {
    return new Promise((resolve) => {
      const p = this.pending.get(id);
      if (!p) return resolve();
      this.pending.set(id, {
        resolve: (r) => {
          p.resolve(r);
          resolve();
        },
        reject: (e) => {
          p.reject(e);
          resolve();
        },
      });
    });
  }

  private request(
    msg: CodedBarsRequest | { type: "close"; id: number },
  ): Promise<CodedBarsReply | { closed: true }> {
    const worker = this.start();
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      worker.ref();
      worker.postMessage(msg);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.url, { workerData: this.path });
    worker.unref();
    worker.on("message", (msg: (CodedBarsReply | { closed: true } | { error: string }) & { id: number }) => {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if (!p) return;
      if ("error" in msg) p.reject(new StoreError(`reading bars off the main thread failed: ${msg.error}`));
      else p.resolve(msg);
    });
    worker.on("error", (err) => this.failAll(err));
    worker.on("exit", () => {
      if (this.worker === worker) this.worker = undefined;
      this.open = false;
      this.failAll(new Error("the read worker exited"));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all)
      p.reject(new StoreError(`reading bars off the main thread failed: ${err.message}`, err));
  }

  private stopWorker(): void {
    const w = this.worker;
    this.worker = undefined;
    this.open = false;
    if (w) void w.terminate();
  }
}
