export { type BarJson, buildServer, MAX_RANGE_BARS, MAX_SPAN_DAYS, type ServerOptions } from "./app.js";
export { bearerToken, isLoopback, tokenMatches } from "./auth.js";
export { chartsLibraryPath, dashboardDir, loadDashboard } from "./dashboard.js";
export {
  type ComponentHealth,
  type Health,
  type HealthStatus,
  LAG_DEGRADED_MS,
  readHealth,
  type ServerHealth,
} from "./health.js";
export { type RunningServer, type StartOptions, startServer } from "./listen.js";
export { EngineMetrics, type EngineMetricsOptions, METRIC_PREFIX } from "./metrics.js";
export { BadRequestError } from "./params.js";
export { MAX_QUALITY_CELLS, type QualityGrid } from "./quality.js";
export { type BroadcasterOptions, EventBroadcaster, type EventFilter } from "./sse.js";
