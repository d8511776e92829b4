import type { Engine } from "../engine/engine.js";

/** One component's health: its status and what it is based on. */
export interface ComponentHealth {
  status: "ok" | "degraded" | "down";
  details: Record<string, unknown>;
}

/** The engine's health as `/health` serves it: the worst component decides `status`. */
export interface Health {
  status: "ok" | "degraded" | "down";
  /** Clock time (epoch ms) the report was made. */
  at: number;
  components: Record<string, ComponentHealth>;
}

type WithHealth = Engine & { health?: () => Health };

/**
 * The engine's health report. Uses `engine.health()`; an engine without it (older builds)
 * gets a minimal report from its session status and prefetch records.
 */
export function readHealth(engine: Engine): Health {
  const own = (engine as WithHealth).health;
  if (typeof own === "function") return own.call(engine);
  const status = engine.session.status();
  return {
    status: "ok",
    at: engine.clock.now(),
    components: {
      engine: { status: "ok", details: { symbols: status.symbols } },
      session: { status: "ok", details: { ...status } },
      prefetch: { status: "ok", details: { records: engine.prefetchStatus() } },
    },
  };
}
