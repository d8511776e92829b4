import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { getCalendar } from "../calendar/index.js";
import { createEngine, type Engine } from "../engine/engine.js";
import { eventLine } from "../engine/jsonl.js";
import type { EngineEvent } from "../engine/types.js";
import { openRepository, type Repository } from "../store/index.js";
import { sessionBars } from "../testing/bars.js";
import { startServer } from "./listen.js";
import { EventBroadcaster } from "./sse.js";

const xnys = getCalendar("XNYS");
const session = xnys.sessionOn("2024-03-12")!;
const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function fedEngine(symbols: string[]): Promise<Engine> {
  const repo: Repository = await openRepository(":memory:");
  cleanup.push(() => repo.close());
  const engine = await createEngine(
    { symbols: [], derived: { intervals: ["5m", "15m"] }, upkeep: { enabled: false } },
    { repository: repo, calendar: xnys },
  );
  for (const s of symbols) engine.feed(s, "bar", sessionBars(xnys, session, s));
  return engine;
}

/** Reads `data:` lines of an event stream until `until` says stop. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  until: (lines: string[]) => boolean,
): Promise<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const lines: string[] = [];
  let text = "";
  while (!until(lines)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    let end = text.indexOf("\n\n");
    while (end >= 0) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      if (frame.startsWith("data: ")) lines.push(frame.slice(6));
      end = text.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return lines;
}

/** A response that records what is written and reports as much queued as `queued` says. */
class FakeResponse {
  written: string[] = [];
  queued = 0;
  destroyed = false;
  ended = false;
  private closeListeners: (() => void)[] = [];
  writeHead(): this {
    return this;
  }
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
  get writableLength(): number {
    return this.queued;
  }
  on(event: string, fn: () => void): this {
    if (event === "close") this.closeListeners.push(fn);
    return this;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
    for (const fn of this.closeListeners) fn();
  }
}

describe("/api/events", () => {
  it("streams each matching event as `data: <eventLine>` in engine order, boundaries to everyone", async () => {
    const engine = await fedEngine(["AAA", "BBB"]);
    const server = await startServer({ engine, port: 0, defaultMetrics: false });
    cleanup.push(() => server.close());
    const expected: string[] = [];
    const res = await fetch(`${server.url}/api/events?symbols=AAA&intervals=15m`);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    engine.onAny((e: EngineEvent) => {
      if (e.type === "quote" || e.type === "tick") return;
      if (e.type === "bar" && (e.symbol !== "AAA" || e.interval !== "15m")) return;
      expected.push(eventLine(e));
    });
    await engine.run();
    const lines = await readEvents(res.body!, (l) => l.length >= expected.length);
    expect(lines).toEqual(expected);
    expect(expected.filter((l) => l.startsWith('{"type":"bar"')).length).toBe(26);
    expect(expected.some((l) => l.startsWith('{"type":"open"'))).toBe(true);
  });

  it("drops a client that falls behind and keeps feeding the others, never holding up the replay", async () => {
    const engine = await fedEngine(["AAA"]);
    const dropped: number[] = [];
    const broadcaster = new EventBroadcaster(engine, {
      maxBufferedBytes: 4096,
      onDrop: () => dropped.push(1),
    });
    const slow = new FakeResponse();
    const fast = new FakeResponse();
    broadcaster.add(slow as unknown as ServerResponse);
    broadcaster.add(fast as unknown as ServerResponse);
    let bars = 0;
    engine.on("bar", () => {
      if (++bars === 100) slow.queued = 5000;
    });
    const summary = await engine.run();
    expect(summary.barsIn).toBe(390);
    expect(slow.destroyed).toBe(true);
    expect(dropped).toEqual([1]);
    expect(broadcaster.size).toBe(1);
    const fastBars = fast.written.filter((t) => t.startsWith('data: {"type":"bar"')).length;
    expect(fastBars).toBe(390 + 78 + 26);
    expect(slow.written.length).toBeLessThan(fast.written.length);
    broadcaster.close();
    expect(fast.ended).toBe(true);
    expect(broadcaster.size).toBe(0);
  });

  it("rejects bad filters with 400 before streaming", async () => {
    const engine = await fedEngine(["AAA"]);
    const server = await startServer({ engine, port: 0, defaultMetrics: false });
    cleanup.push(() => server.close());
    const res = await fetch(`${server.url}/api/events?symbols=${encodeURIComponent("A A")}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { field: string }).field).toBe("symbols");
  });
});
