import type { BoundaryManager } from "../calendar/index.js";
import type { Calendar, Session } from "../calendar/types.js";
import type { Clock } from "../clock/clock.js";
import type { Config } from "../config/schema.js";
import type { Repository } from "../store/types.js";
import type { Upkeep } from "../upkeep/index.js";
import type { BarPath, Rejection } from "./bar-path.js";
import { sessionWindow } from "./feeds.js";
import { type ComponentHealth, eventLoopLag, type Health, type LatencyRecorder, worst } from "./health.js";
import type { SessionCycle } from "./session-cycle.js";
import type { SessionData } from "./session-data.js";
import type { SymbolState } from "./symbol-state.js";
import type { RunSummary } from "./types.js";

/** Running totals, cheap to read at any time (for metrics). */
export interface EngineCounters {
  barsIn: number;
  barsOut: Record<string, number>;
  quotesIn: number;
  ticksIn: number;
  gapsFound: number;
  gapsFilled: number;
  gapsAbandoned: number;
  rejected: number;
}

/** The engine's run state. */
export type RunState = "idle" | "running" | "paused" | "stopped" | "done" | "live";

/** What the stats read. */
export interface StatsParts {
  config: Config;
  calendar: Calendar;
  clock: Clock;
  repository: Repository;
  reads: LatencyRecorder;
  session: SessionData;
  bars: BarPath;
  cycle: SessionCycle;
  upkeep: Upkeep<SymbolState> | undefined;
  boundaries: BoundaryManager;
  sessions: readonly Session[];
  /** The run state, the first fatal error, and the live connection, as they are now. */
  run(): {
    state: RunState;
    error: unknown;
    connection?: { state: "connected" | "disconnected"; at: number; detail?: string };
  };
}

/** Stats: health, counters, rejections and the run summary, all read from the parts. */
export class EngineStats {
  constructor(private readonly p: StatsParts) {}

  counters(): EngineCounters {
    const { bars, upkeep } = this.p;
    const gaps = upkeep?.status();
    const barsOut: Record<string, number> = { "1m": bars.barsIn };
    for (let m = 2; m <= 1440; m++)
      if (bars.barsOut[m] > 0) barsOut[m === 1440 ? "1d" : `${m}m`] = bars.barsOut[m];
    let rejected = 0;
    for (const n of bars.rejected.values()) rejected += n;
    return {
      barsIn: bars.barsIn,
      barsOut,
      quotesIn: bars.quotesIn,
      ticksIn: bars.ticksIn,
      gapsFound: gaps?.gapsFound ?? 0,
      gapsFilled: gaps?.gapsFilled ?? 0,
      gapsAbandoned: gaps?.gapsAbandoned ?? 0,
      rejected,
    };
  }

  rejections(): { byReason: Record<string, number>; kept: Rejection[] } {
    return { byReason: Object.fromEntries(this.p.bars.rejected), kept: [...this.p.bars.kept] };
  }

  health(): Health {
    const { config, clock, reads, repository, upkeep, cycle, boundaries, session, bars } = this.p;
    const now = clock.now();
    const run = this.p.run();
    const failed = run.error !== undefined;
    const between = this.betweenSessions(run.state);
    const engine: ComponentHealth = {
      status: failed ? "down" : "ok",
      details: {
        mode: config.mode,
        state: run.state,
        clock: now,
        barsIn: bars.barsIn,
        rejected: Object.fromEntries(bars.rejected),
        eventLoopLagMs: eventLoopLag(),
        ...(failed ? { error: String((run.error as Error)?.message ?? run.error) } : {}),
        ...(run.connection ? { connection: run.connection } : {}),
        ...(between ? { note: between } : {}),
      },
    };
    const store: ComponentHealth = {
      status: reads.failures > 0 && reads.lastError !== null && reads.count === 0 ? "down" : "ok",
      details: {
        kind: repository.kind,
        reads: reads.count,
        failures: reads.failures,
        lastError: reads.lastError,
        readLatencyMs: reads.percentiles(),
      },
    };
    const u = upkeep?.status();
    const upkeepHealth: ComponentHealth = u
      ? { status: u.degraded ? "degraded" : "ok", details: { ...u } }
      : { status: "ok", details: { enabled: false } };
    const records = cycle.prefetcher.status();
    const lastPrefetch = records[records.length - 1];
    const prefetch: ComponentHealth = {
      status: lastPrefetch?.state === "failed" ? "degraded" : "ok",
      details: {
        enabled: config.prefetch.enabled,
        fallbacks: cycle.prefetcher.fallbacks,
        sessions: records,
      },
    };
    const b = boundaries.status();
    const boundaryHealth: ComponentHealth = {
      status: "ok",
      details: {
        calendar: b.calendar,
        state: b.state,
        last: b.last && brief(b.last),
        next: b.next && brief(b.next),
      },
    };
    const st = session.status();
    const limit = config.limits.memoryPerSymbolMB * 1024 * 1024;
    const quality: Record<string, number> = {};
    for (const symbol of session.symbols()) quality[symbol] = session.metrics(symbol).barQuality;
    const sessionHealth: ComponentHealth = {
      status: st.memoryPerSymbolBytes > limit ? "degraded" : "ok",
      details: { ...st, quality },
    };
    const components = {
      engine,
      store,
      upkeep: upkeepHealth,
      prefetch,
      boundaries: boundaryHealth,
      session: sessionHealth,
    };
    return { status: worst(Object.values(components).map((c) => c.status)), at: now, components };
  }

  summary(wallMs: number): RunSummary {
    const { session, cycle } = this.p;
    const stopped = this.p.run().state === "stopped";
    const quality: Record<string, number> = {};
    for (const symbol of session.symbols()) {
      const acc = cycle.qualityTotals.get(symbol);
      quality[symbol] = acc && acc.expected > 0 ? (acc.present / acc.expected) * 100 : 100;
    }
    const c = this.counters();
    return {
      sessions: stopped ? cycle.started : this.p.sessions.length,
      symbols: session.symbols().length,
      barsIn: c.barsIn,
      barsOut: c.barsOut,
      quotesIn: c.quotesIn,
      ticksIn: c.ticksIn,
      gapsFound: c.gapsFound,
      gapsFilled: c.gapsFilled,
      gapsAbandoned: c.gapsAbandoned,
      quality,
      wallMs,
      barsPerSecond: wallMs > 0 ? (c.barsIn / wallMs) * 1000 : 0,
      stopped,
    };
  }

  /**
   * "between sessions, next open at ..." while a run waits for its next session, else undefined.
   * A backtest waits only when it paces closed time (`paceClosed`); otherwise it moves on to the
   * next session at once, and the moment it spends reading that session is no wait for the open.
   */
  private betweenSessions(state: RunState): string | undefined {
    const { config, clock, calendar } = this.p;
    if (config.mode !== "live" && !config.paceClosed) return undefined;
    if (this.p.session.session || (state !== "running" && state !== "paused" && state !== "live"))
      return undefined;
    const now = clock.now();
    const next =
      config.mode === "live"
        ? calendar.nextSession(now, true)
        : this.p.sessions.find((s) => sessionWindow(s, config.extended).start >= now);
    return next ? `between sessions, next open at ${new Date(next.open).toISOString()}` : undefined;
  }
}

function brief(e: { type: string; at: number; session: Session }): {
  type: string;
  at: number;
  date: string;
} {
  return { type: e.type, at: e.at, date: e.session.date };
}
