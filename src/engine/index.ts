export { type Speed, StreamCoordinator, type StreamSink } from "./coordinator.js";
export { createEngine, Engine, type EngineParts, type Rejection } from "./engine.js";
export { EventHub, eventIterator } from "./events.js";
export { ListFeed, RepositoryFeed, sessionWindow } from "./feeds.js";
export { loadHistory, type SymbolHistory, sessionsBefore } from "./history.js";
export { eventLine, JsonlWriter } from "./jsonl.js";
export { Prefetcher, type PrefetchRecord, type PrefetchState } from "./prefetch.js";
export { type GapCounts, SessionData, type SessionSlice, type SymbolMetrics } from "./session-data.js";
export type * from "./types.js";
