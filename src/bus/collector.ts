import { createWriteStream } from "node:fs";
import { DeliverPolicy } from "@nats-io/jetstream";
import type { EngineEvent } from "../engine/index.js";
import { InvalidArgumentError, TickwrightError } from "../model/errors.js";
import { connectBus } from "./connection.js";
import { compareKeys, isShared, type OrderKey, RunOrder } from "./run-order.js";
import type { RunEnd } from "./run-publisher.js";
import { streamNames } from "./streams.js";
import { BusSubjects } from "./subjects.js";

/** What `collectRun` merges. */
export interface CollectOptions {
  nats: string;
  prefix?: string;
  run: string;
  shards: number;
  /** The merged `--out` file. */
  out: string;
  /** How long to wait for every shard to finish (default 10 minutes). */
  timeoutMs?: number;
}

/** What a collect did. */
export interface CollectResult {
  events: number;
  ends: RunEnd[];
}

const decoder = new TextDecoder();

interface Head {
  line: string;
  event: EngineEvent;
  key: OrderKey;
}

/**
 * Waits for the N shards of a run to finish (each one's `end` message), then reads their events
 * (one ordered consumer per shard, a bounded buffer each) and merges them in the engine's own
 * order (see `RunOrder`), boundaries once, into one `--out` file: byte-identical to one
 * process's replay of the same symbols, dates and options.
 */
export async function collectRun(o: CollectOptions): Promise<CollectResult> {
  if (!(Number.isInteger(o.shards) && o.shards >= 1))
    throw new InvalidArgumentError(`bad --shards ${o.shards}: a whole number >= 1`);
  const subjects = new BusSubjects(o.prefix);
  const stream = streamNames(subjects).runs;
  const bus = await connectBus(o.nats, `tickwright-collect-${o.run}`);
  const file = createWriteStream(o.out);
  try {
    const ends = await waitForEnds(bus, stream, subjects, o);
    const symbols = ends[0].symbols;
    const readers = await Promise.all(
      ends.map(async (end) => {
        const order = new RunOrder(symbols);
        const c = await bus.js.consumers.get(stream, {
          filter_subjects: subjects.run(o.run, end.shard, "event"),
          deliver_policy: DeliverPolicy.All,
        });
        const messages = end.events > 0 ? await c.consume({ max_messages: 1000 }) : undefined;
        const it = messages?.[Symbol.asyncIterator]();
        let seq = 0;
        return {
          async next(): Promise<Head | undefined> {
            while (it && seq < end.events) {
              const r = await it.next();
              if (r.done) break;
              const s = Number(r.value.headers?.get("Tw-Seq") ?? seq + 1);
              if (s <= seq) continue;
              seq = s;
              const line = decoder.decode(r.value.data);
              const event = JSON.parse(line) as EngineEvent;
              if (seq >= end.events) void messages?.close();
              return { line, event, key: order.key(event) };
            }
            return undefined;
          },
        };
      }),
    );
    const heads = await Promise.all(readers.map((r) => r.next()));
    let events = 0;
    let buffer: string[] = [];
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best < 0 || compareKeys(h.key, heads[best]!.key) < 0)) best = i;
      }
      if (best < 0) break;
      const h = heads[best]!;
      buffer.push(h.line);
      events++;
      if (isShared(h.event)) {
        for (let i = 0; i < heads.length; i++)
          if (i !== best && heads[i]?.line === h.line) heads[i] = await readers[i].next();
      }
      heads[best] = await readers[best].next();
      if (buffer.length >= 4096) {
        if (!file.write(`${buffer.join("\n")}\n`))
          await new Promise<void>((r) => file.once("drain", () => r()));
        buffer = [];
      }
    }
    if (buffer.length > 0) file.write(`${buffer.join("\n")}\n`);
    return { events, ends };
  } finally {
    await new Promise<void>((resolve, reject) =>
      file.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
    await bus.close();
  }
}

async function waitForEnds(
  bus: Awaited<ReturnType<typeof connectBus>>,
  stream: string,
  subjects: BusSubjects,
  o: CollectOptions,
): Promise<RunEnd[]> {
  const deadline = Date.now() + (o.timeoutMs ?? 600_000);
  const ends: (RunEnd | undefined)[] = new Array(o.shards).fill(undefined);
  for (;;) {
    for (let k = 1; k <= o.shards; k++) {
      if (ends[k - 1]) continue;
      const m = await bus.jsm.streams
        .getMessage(stream, { last_by_subj: subjects.run(o.run, k, "end") })
        .catch(() => null);
      if (!m) continue;
      const end = JSON.parse(decoder.decode(m.data)) as RunEnd;
      if (end.shards !== o.shards)
        throw new InvalidArgumentError(
          `run ${o.run} shard ${k} ran as one of ${end.shards} shards, not ${o.shards}`,
        );
      ends[k - 1] = end;
    }
    const missing = ends.flatMap((e, i) => (e ? [] : [i + 1]));
    if (missing.length === 0) return ends as RunEnd[];
    if (Date.now() > deadline)
      throw new TickwrightError(
        "TIMEOUT",
        `run ${o.run}: shards ${missing.join(", ")} of ${o.shards} did not finish in time`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
