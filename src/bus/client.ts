/**
 * The bus for package users, `import { subscribe } from "tickwright/bus"`: a strategy's
 * subscription to a service's results, and the merge of a sharded run's results into one
 * event log. Kept apart from "tickwright" so that importing the engine does not load the
 * NATS client.
 */
export { type CollectOptions, type CollectResult, collectRun } from "./collector.js";
export type { RunEnd } from "./run-publisher.js";
export type { QualityReport } from "./subjects.js";
export {
  type BusResult,
  resultOrder,
  type SubscribeOptions,
  type Subscription,
  subscribe,
} from "./subscriber.js";
