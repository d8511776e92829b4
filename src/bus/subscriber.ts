import { DeliverPolicy } from "@nats-io/jetstream";
import type { EngineEvent } from "../engine/index.js";
import { InvalidArgumentError } from "../model/errors.js";
import { connectBus } from "./connection.js";
import { parseResult } from "./payload.js";
import { streamNames } from "./streams.js";
import { BusSubjects, type QualityReport, symbolToken } from "./subjects.js";

/** What a strategy subscribes to. */
export interface SubscribeOptions {
  /** NATS URL(s), comma-separated. */
  nats: string;
  prefix?: string;
  /** Symbols to follow (empty or absent: every symbol). */
  symbols?: readonly string[];
  /** Bar intervals to take (default every interval, `1m` included). */
  intervals?: readonly string[];
  /** Also gap events, quality reports and boundaries (default true). */
  gaps?: boolean;
  quality?: boolean;
  boundaries?: boolean;
  /** `new` (default): results published from now on; `all`: everything the stream still holds. */
  deliver?: "new" | "all";
}

/** A result as a subscriber gets it: the engine's event (or a quality report) and its `--out` line. */
export interface BusResult {
  event: EngineEvent | QualityReport;
  line: string;
  subject: string;
}

/** An async iterator of results; `close()` ends it. */
export interface Subscription extends AsyncIterableIterator<BusResult> {
  close(): Promise<void>;
}

/**
 * Subscribes to the results on the bus: bars of the chosen intervals of the chosen symbols
 * (and their gap events, quality reports, the boundaries), the same events `engine.on`
 * delivers, as an async iterator in the stream's order, which is each shard's clock order.
 * Reads with an ordered JetStream consumer (nothing to clean up; a broker restart is waited
 * out).
 */
export async function subscribe(o: SubscribeOptions): Promise<Subscription> {
  const subjects = new BusSubjects(o.prefix);
  const symbols = new Set((o.symbols ?? []).map(symbolToken));
  const intervals = new Set(o.intervals ?? []);
  for (const iv of intervals)
    if (!/^\d+[mhd]$/.test(iv)) throw new InvalidArgumentError(`bad interval "${iv}" (1m, 5m, 1h, 1d, ...)`);
  const head = `${subjects.prefix}.out.`;
  const wants = (subject: string): boolean => {
    const parts = subject.slice(head.length).split(".");
    if (parts[0] === "boundary") return o.boundaries !== false;
    if (parts[0] === "bar")
      return (
        (intervals.size === 0 || intervals.has(parts[1])) && (symbols.size === 0 || symbols.has(parts[2]))
      );
    if (parts[0] === "gap" && o.gaps === false) return false;
    if (parts[0] === "quality" && o.quality === false) return false;
    return symbols.size === 0 || symbols.has(parts[1]);
  };
  const bus = await connectBus(o.nats, "tickwright-subscriber");
  try {
    const c = await bus.js.consumers.get(streamNames(subjects).out, {
      filter_subjects: subjects.allOut,
      deliver_policy: o.deliver === "all" ? DeliverPolicy.All : DeliverPolicy.New,
    });
    const messages = await c.consume({ max_messages: 1000 });
    const it = messages[Symbol.asyncIterator]();
    const sub: Subscription = {
      async next(): Promise<IteratorResult<BusResult>> {
        for (;;) {
          const r = await it.next();
          if (r.done) return { value: undefined, done: true };
          if (!wants(r.value.subject)) continue;
          const { line, event } = parseResult(r.value.data);
          return { value: { line, event, subject: r.value.subject }, done: false };
        }
      },
      async return(): Promise<IteratorResult<BusResult>> {
        await sub.close();
        return { value: undefined, done: true };
      },
      async close(): Promise<void> {
        await messages.close();
        await bus.close();
      },
      [Symbol.asyncIterator]() {
        return sub;
      },
    };
    return sub;
  } catch (err) {
    await bus.close();
    throw err;
  }
}
