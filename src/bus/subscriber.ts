import { DeliverPolicy } from "@nats-io/jetstream";
import type { EngineEvent } from "../engine/index.js";
import { InvalidArgumentError } from "../model/errors.js";
import { MinHeap } from "../model/heap.js";
import { connectBus } from "./connection.js";
import { parseResult, parseResultLine, resultBatchLines } from "./payload.js";
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

const decoder = new TextDecoder();

/** An async iterator of results; `close()` ends it. */
export interface Subscription extends AsyncIterableIterator<BusResult> {
  close(): Promise<void>;
}

/** Rank of each result type at one clock time (see `resultOrder`). */
const TYPE_RANK: Record<string, number> = {
  bar: 0,
  quote: 1,
  tick: 2,
  gap: 3,
  gapFilled: 4,
  gapAbandoned: 5,
  corporateAction: 6,
  quality: 7,
  preOpen: 8,
  open: 9,
  breakStart: 10,
  breakEnd: 11,
  close: 12,
  postClose: 13,
  roll: 14,
};

/**
 * The order `subscribe` delivers results in, the same whatever the number of shards: by clock
 * time `at`; at one time by type (bars, quote bars, ticks, gap, gapFilled, gapAbandoned,
 * corporate actions, quality reports, then the boundaries in calendar order); then by symbol
 * byte-wise; then a bar's interval (shortest first) and start time, a gap event's start; events
 * equal in all of these (ticks of one symbol at one millisecond) keep their shard's order.
 * Negative when `a` comes first.
 */
export function resultOrder(a: EngineEvent | QualityReport, b: EngineEvent | QualityReport): number {
  if (a.at !== b.at) return a.at - b.at;
  const ra = TYPE_RANK[a.type] ?? 99;
  const rb = TYPE_RANK[b.type] ?? 99;
  if (ra !== rb) return ra - rb;
  const sa = "symbol" in a ? a.symbol : "";
  const sb = "symbol" in b ? b.symbol : "";
  if (sa !== sb) return sa < sb ? -1 : 1;
  if (a.type === "bar" && b.type === "bar") {
    const ia = intervalMinutes(a.interval);
    const ib = intervalMinutes(b.interval);
    return ia - ib || a.time - b.time;
  }
  if ("start" in a && "start" in b) return a.start - b.start;
  return 0;
}

function intervalMinutes(interval: string): number {
  const n = Number.parseInt(interval, 10);
  const unit = interval.slice(String(n).length);
  return n * (unit === "d" ? 1440 : unit === "h" ? 60 : 1);
}

/** A shard's progress message (or the last line of its batch of results). */
interface Progress {
  shard: number;
  shards: number;
  at: number;
  done?: boolean;
}

/** A result waiting in the merge, with its place in the stream for ties. */
interface Pending {
  result: BusResult;
  seq: number;
  /** The line's place in a batch of results (0 for a message of one result). */
  line: number;
}

/**
 * Subscribes to the results on the bus: bars of the chosen intervals of the chosen symbols
 * (and their quote bars, ticks, gap events, quality reports, the boundaries), the same events
 * `engine.on` delivers, as an async iterator merged across the shards in time order (see
 * `resultOrder`), from shards publishing one result per message or batches of them (each
 * result of a batch is filtered as if on its own subject). Each shard publishes its progress (the time before which it will publish
 * nothing more); a result is handed out once every shard has passed its time, so it waits at
 * most as long as the slowest shard. Reads with an ordered JetStream consumer (nothing to clean
 * up; a broker restart is waited out).
 */
export async function subscribe(o: SubscribeOptions): Promise<Subscription> {
  const subjects = new BusSubjects(o.prefix);
  const symbols = new Set((o.symbols ?? []).map(symbolToken));
  const intervals = new Set(o.intervals ?? []);
  for (const iv of intervals)
    if (!/^\d+[mhd]$/.test(iv)) throw new InvalidArgumentError(`bad interval "${iv}" (1m, 5m, 1h, 1d, ...)`);
  const head = `${subjects.prefix}.out.`;
  const batchHead = `${head}batch.`;
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
    const pending = new MinHeap<Pending>(
      (a, b) => (resultOrder(a.result.event, b.result.event) || a.seq - b.seq || a.line - b.line) < 0,
    );
    /** Each shard's progress (Infinity once its feed ended); the shard count from their messages. */
    const progress = new Map<number, number>();
    let shards = Number.POSITIVE_INFINITY;
    const advance = (p: Progress) => {
      shards = p.shards;
      progress.set(p.shard, p.done ? Number.POSITIVE_INFINITY : p.at);
    };
    const low = (): number => {
      if (progress.size < shards) return Number.NEGATIVE_INFINITY;
      let m = Number.POSITIVE_INFINITY;
      for (const at of progress.values()) m = Math.min(m, at);
      return m;
    };
    const sub: Subscription = {
      async next(): Promise<IteratorResult<BusResult>> {
        for (;;) {
          const top = pending.peek();
          if (top && top.result.event.at < low()) {
            pending.pop();
            return { value: top.result, done: false };
          }
          const r = await it.next();
          if (r.done) return { value: undefined, done: true };
          const m = r.value;
          if (m.subject.startsWith(`${head}progress.`)) {
            advance(JSON.parse(decoder.decode(m.data)) as Progress);
            continue;
          }
          if (m.subject.startsWith(batchHead)) {
            for (const [k, text] of resultBatchLines(m.data).entries()) {
              const { line, event } = parseResultLine(text);
              if ((event.type as string) === "progress") {
                advance(event as unknown as Progress);
                continue;
              }
              const subject =
                event.type === "quality" ? subjects.quality(event.symbol) : subjects.resultSubject(event);
              if (wants(subject)) pending.push({ result: { line, event, subject }, seq: m.seq, line: k });
            }
            continue;
          }
          if (!wants(m.subject)) continue;
          const { line, event } = parseResult(m.data);
          pending.push({ result: { line, event, subject: m.subject }, seq: m.seq, line: 0 });
        }
      },
      async return(): Promise<IteratorResult<BusResult>> {
        await sub.close();
        return { value: undefined, done: true };
      },
      async close(): Promise<void> {
        // Not awaited: close() settles only once the iterator is read to its end.
        void messages.close();
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
