import type { Engine } from "../engine/engine.js";
import type { Health } from "../engine/health.js";

export type { ComponentHealth, Health, HealthStatus } from "../engine/health.js";

/** The engine's health report, as `/health` serves it (503 when `status` is down). */
export function readHealth(engine: Engine): Health {
  return engine.health();
}
