import { monitorEventLoopDelay } from "node:perf_hooks";

/** A component's condition. */
export type HealthStatus = "ok" | "degraded" | "down";

/** One component's condition with what explains it. */
export interface ComponentHealth {
  status: HealthStatus;
  details: Record<string, unknown>;
}

/** The engine's condition per component; `status` is the worst of them. */
export interface Health {
  status: HealthStatus;
  /** Clock time of the report. */
  at: number;
  components: {
    engine: ComponentHealth;
    store: ComponentHealth;
    upkeep: ComponentHealth;
    prefetch: ComponentHealth;
    boundaries: ComponentHealth;
    session: ComponentHealth;
  };
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, down: 2 };

/** The worst of several statuses. */
export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), "ok");
}

/**
 * Recent durations of an operation (a ring of the last 1,024), for latency percentiles in
 * health reports. Recording is O(1) and allocation-free.
 */
export class LatencyRecorder {
  private readonly samples = new Float64Array(1024);
  private n = 0;
  count = 0;
  failures = 0;
  lastError: string | null = null;
  /** Whether the most recent call failed. */
  lastFailed = false;

  record(ms: number): void {
    this.samples[this.n++ & 1023] = ms;
    this.count++;
  }

  /** Times an async call, recording its duration and any failure (rethrown). */
  async time<T>(fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      const r = await fn();
      this.record(performance.now() - t0);
      this.lastFailed = false;
      return r;
    } catch (err) {
      this.failures++;
      this.lastFailed = true;
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  /** p50, p95 and p99 of the kept samples in ms (null when there are none). */
  percentiles(): { p50: number; p95: number; p99: number } | null {
    const k = Math.min(this.n, 1024);
    if (k === 0) return null;
    const sorted = Array.from(this.samples.subarray(0, k)).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(k - 1, Math.floor(q * k))];
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  }
}

let loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined;

/** Event-loop delay percentiles in ms since the first call (a process-wide monitor). */
export function eventLoopLag(): { p50: number; p99: number; max: number } {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  }
  const ms = (ns: number) => (Number.isFinite(ns) ? ns / 1e6 : 0);
  return { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
}
