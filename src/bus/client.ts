/**
 * The bus for package users, `import { subscribe } from "tickwright/bus"`: a strategy's
 * subscription to a service's results, the merge of a sharded run's results into one event
 * log, and the service's parts from code (a shard with its server, the publisher of raw bars,
 * the streams' retention). Kept apart from "tickwright" so that importing the engine does not
 * load the NATS client.
 */
export { type CollectOptions, type CollectResult, collectRun } from "./collector.js";
export { type BusConnection, connectBus } from "./connection.js";
export { parseShard, type ShardSpec } from "./ownership.js";
export {
  BusPublisher,
  type BusPublisherOptions,
  publishReplay,
  type ReplayPublishOptions,
} from "./publisher.js";
export type { RunEnd } from "./run-publisher.js";
export { type ServedShard, serveShard } from "./serve.js";
export { Shard, type ShardOptions } from "./shard.js";
export type { StreamRetention } from "./streams.js";
export type { QualityReport } from "./subjects.js";
export {
  type BusResult,
  resultOrder,
  type SubscribeOptions,
  type Subscription,
  subscribe,
} from "./subscriber.js";
