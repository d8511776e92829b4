import type { Engine } from "../engine/engine.js";
import { type ComponentHealth, type Health, worst } from "../engine/health.js";

export type { ComponentHealth, Health, HealthStatus } from "../engine/health.js";

/** Event-loop lag (p99, ms) past which the server reports its event loop degraded. */
export const LAG_DEGRADED_MS = 100;

/**
 * The server's health report: the engine's components, plus `feed` (where bars come from:
 * the replay's store feeds or the live connection) and `eventLoop` (this process's event-loop
 * lag), each with its own status; `status` is the worst.
 */
export interface ServerHealth extends Health {
  components: Health["components"] & { feed: ComponentHealth; eventLoop: ComponentHealth };
}

/** The engine's health report with the feed and event loop as components, as `/health` serves it. */
export function readHealth(engine: Engine): ServerHealth {
  const h = engine.health();
  const details = h.components.engine.details as {
    mode?: string;
    state?: string;
    connection?: { state: string; at: number; detail?: string };
    eventLoopLagMs?: { p50: number; p99: number; max: number };
  };
  const connection = details.connection;
  const feed: ComponentHealth = connection
    ? {
        status: connection.state === "connected" ? "ok" : "degraded",
        details: { kind: "live", ...connection },
      }
    : {
        status: h.components.engine.status === "down" ? "down" : "ok",
        details: { kind: details.mode === "live" ? "live" : "store", state: details.state ?? null },
      };
  const lag = details.eventLoopLagMs ?? { p50: 0, p99: 0, max: 0 };
  const eventLoop: ComponentHealth = {
    status: lag.p99 > LAG_DEGRADED_MS ? "degraded" : "ok",
    details: { lagMs: lag, degradedPastMs: LAG_DEGRADED_MS },
  };
  const components = { ...h.components, feed, eventLoop };
  return { ...h, status: worst(Object.values(components).map((c) => c.status)), components };
}

/**
 * The health report kept while nothing it reads changed: the same clock time, bars in and
 * engine state, for at most `maxAgeMs` wall ms. A report walks every symbol, so a health
 * check polled many times a second costs one walk per change, not one per request.
 */
export class HealthCache {
  private kept: { at: number; key: string; health: ServerHealth; body: string } | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly maxAgeMs = 500,
  ) {}

  /** The report and its JSON text. */
  read(): { health: ServerHealth; body: string } {
    const e = this.engine;
    const c = e.counters();
    const key = `${e.clock.now()}\t${c.barsIn}\t${e.isPaused}\t${c.gapsFound}\t${c.gapsFilled}\t${c.gapsAbandoned}`;
    const now = Date.now();
    const k = this.kept;
    if (k && k.key === key && now - k.at <= this.maxAgeMs) return k;
    const health = readHealth(e);
    this.kept = { at: now, key, health, body: JSON.stringify(health) };
    return this.kept;
  }
}
