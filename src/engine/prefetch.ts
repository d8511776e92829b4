import type { Session } from "../calendar/types.js";
import type { SymbolHistory } from "./history.js";
import type { FeedBatch } from "./types.js";

/** Where a session's prefetch stands. */
export type PrefetchState = "idle" | "loading" | "ready" | "failed";

/** One session's prefetch, with clock and wall timings. */
export interface PrefetchRecord {
  date: string;
  state: PrefetchState;
  /** Clock time the load started. */
  startedAt: number;
  /** Wall milliseconds the load took (NaN while loading). */
  loadMs: number;
  /** Whether the data was taken at the session start (false: it fell back to loading then). */
  used: boolean;
  error?: string;
}

/** Everything loaded ahead for one session: feed batches by kind, and history to apply. */
export interface PreparedSession {
  batches: Map<string, FeedBatch>;
  history?: Map<string, SymbolHistory>;
}

/** Loads everything a session needs. */
export type SessionPreparer = (session: Session) => Promise<PreparedSession>;

/**
 * Loads the next session's data ahead of its start (a clock timer `windowMinutes` before), so
 * the open costs no database wait. A failure is recorded and reported, never fatal: the feed
 * then loads at the session start as if there had been no prefetch.
 */
export class Prefetcher {
  private readonly pending = new Map<string, Promise<PreparedSession | undefined>>();
  private readonly records = new Map<string, PrefetchRecord>();
  /** Sessions whose prefetch failed and whose data was loaded at the start instead. */
  fallbacks = 0;

  constructor(
    private readonly prepare: SessionPreparer,
    private readonly now: () => number,
    private readonly onFailure: (record: PrefetchRecord) => void = () => {},
  ) {}

  /** Starts loading a session (once). */
  start(session: Session): void {
    if (this.pending.has(session.date)) return;
    const record: PrefetchRecord = {
      date: session.date,
      state: "loading",
      startedAt: this.now(),
      loadMs: Number.NaN,
      used: false,
    };
    this.records.set(session.date, record);
    const t0 = performance.now();
    const promise = this.prepare(session).then(
      (data) => {
        record.state = "ready";
        record.loadMs = performance.now() - t0;
        return data;
      },
      (err: unknown) => {
        record.state = "failed";
        record.loadMs = performance.now() - t0;
        record.error = err instanceof Error ? err.message : String(err);
        this.onFailure(record);
        return undefined;
      },
    );
    this.pending.set(session.date, promise);
  }

  /** The prefetched batch of a kind for a session, or undefined when there is none (or it failed). */
  take(session: Session, kind: string): Promise<FeedBatch | undefined> | undefined {
    const p = this.pending.get(session.date);
    if (!p) return undefined;
    const record = this.records.get(session.date)!;
    return p.then((data) => {
      const batch = data?.batches.get(kind);
      if (batch) record.used = true;
      else if (record.state === "failed") this.fallbacks++;
      return batch;
    });
  }

  /** Waits for a session's prefetch and returns everything it loaded (undefined: none or failed). */
  async result(session: Session): Promise<PreparedSession | undefined> {
    return this.pending.get(session.date);
  }

  /** Drops prefetches of sessions after `date` (the symbol set changed; they must load again). */
  discardAfter(date: string): void {
    for (const d of [...this.pending.keys()]) {
      if (d > date) {
        this.pending.delete(d);
        this.records.delete(d);
      }
    }
  }

  /** Forgets sessions before `date` (keeps the records of the last few for health). */
  forget(date: string): void {
    for (const d of [...this.pending.keys()]) if (d < date) this.pending.delete(d);
    const dates = [...this.records.keys()].sort();
    for (const d of dates.slice(0, Math.max(0, dates.length - 5))) this.records.delete(d);
  }

  /** The latest records, oldest first. */
  status(): PrefetchRecord[] {
    return [...this.records.values()].map((r) => ({ ...r }));
  }
}
