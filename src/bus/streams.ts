import { JetStreamApiError, type JetStreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { nanos } from "@nats-io/transport-node";
import type { BusSubjects } from "./subjects.js";

/** How long each stream keeps messages, and its duplicate window (ms). */
export interface StreamRetention {
  /** Raw input (default 2 days: a crashed shard rebuilds its session from here). */
  rawMaxAgeMs?: number;
  /** Results (default 1 day). */
  outMaxAgeMs?: number;
  /** Dead letters (default 7 days). */
  deadLetterMaxAgeMs?: number;
  /** Sharded backtest runs (default 1 day). */
  runMaxAgeMs?: number;
  /**
   * Window in which a message id seen before is dropped as a duplicate (default 1 hour): a
   * shard down longer than this may publish a few results twice when it comes back.
   */
  duplicateWindowMs?: number;
  /** File (default) or memory storage. */
  storage?: "file" | "memory";
}

const HOUR_MS = 3_600_000;
const DEFAULTS: Required<StreamRetention> = {
  rawMaxAgeMs: 48 * HOUR_MS,
  outMaxAgeMs: 24 * HOUR_MS,
  deadLetterMaxAgeMs: 7 * 24 * HOUR_MS,
  runMaxAgeMs: 24 * HOUR_MS,
  duplicateWindowMs: HOUR_MS,
  storage: "file",
};

/** The streams of one deployment, by role. */
export interface StreamNames {
  raw: string;
  out: string;
  deadLetter: string;
  runs: string;
  state: string;
}

/** Stream names from a subject prefix: `tickwright` -> `TICKWRIGHT_IN`, `TICKWRIGHT_OUT`, ... */
export function streamNames(subjects: BusSubjects): StreamNames {
  const base = subjects.prefix.toUpperCase().replace(/[.-]/g, "_");
  return {
    raw: `${base}_IN`,
    out: `${base}_OUT`,
    deadLetter: `${base}_DLQ`,
    runs: `${base}_RUNS`,
    state: `${base}_STATE`,
  };
}

/**
 * Creates the deployment's streams when they do not exist (first use); existing streams are
 * left as configured (an operator may have changed their retention on purpose).
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  subjects: BusSubjects,
  retention: StreamRetention = {},
): Promise<StreamNames> {
  const r = { ...DEFAULTS, ...retention };
  const names = streamNames(subjects);
  const storage = r.storage === "memory" ? StorageType.Memory : StorageType.File;
  const window = (maxAge: number) => nanos(Math.min(r.duplicateWindowMs, maxAge));
  const specs = [
    { name: names.raw, subjects: [subjects.allRaw], maxAge: r.rawMaxAgeMs },
    { name: names.out, subjects: [subjects.allOut], maxAge: r.outMaxAgeMs },
    { name: names.deadLetter, subjects: [subjects.allDeadLetters], maxAge: r.deadLetterMaxAgeMs },
    { name: names.runs, subjects: [subjects.allRuns], maxAge: r.runMaxAgeMs },
  ];
  for (const s of specs) {
    await addIfMissing(jsm, s.name, {
      subjects: s.subjects,
      retention: RetentionPolicy.Limits,
      storage,
      max_age: nanos(s.maxAge),
      duplicate_window: window(s.maxAge),
    });
  }
  await addIfMissing(jsm, names.state, {
    subjects: [subjects.allState],
    retention: RetentionPolicy.Limits,
    storage,
    max_msgs_per_subject: 1,
  });
  return names;
}

async function addIfMissing(
  jsm: JetStreamManager,
  name: string,
  config: Omit<Parameters<JetStreamManager["streams"]["add"]>[0], "name">,
): Promise<void> {
  try {
    await jsm.streams.info(name);
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await jsm.streams.add({ ...config, name });
  } catch (err) {
    // Another process created it in between: the server then says "already in use" (10058),
    // or, while that creation is still settling, "subjects overlap" (10065). Either way the
    // stream is there now; if it is not, the error stands.
    if (!(err instanceof JetStreamApiError)) throw err;
    try {
      await jsm.streams.info(name);
    } catch {
      throw err;
    }
  }
}

/** True for JetStream's "stream not found" / "consumer not found" / "no message found". */
export function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && (err.code === 10059 || err.code === 10014 || err.code === 10037);
}
