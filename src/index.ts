/**
 * tickwright's public API. Each component's own index is its public face; this re-exports
 * what a strategy or a service built on tickwright uses.
 */
export * from "./aggregate/index.js";
export type { BoundaryEvent as CalendarBoundaryEvent } from "./calendar/index.js";
export * from "./calendar/index.js";
export * from "./clock/index.js";
export * from "./config/index.js";
export type { BoundaryEvent, Rejection } from "./engine/index.js";
export * from "./engine/index.js";
export * from "./gaps/index.js";
export type { Rejection as IngestRejection } from "./ingest/index.js";
export * from "./ingest/index.js";
export * from "./live/index.js";
export * from "./model/index.js";
export * from "./server/index.js";
export * from "./store/index.js";
export * from "./upkeep/index.js";
