export { AckedPublisher, type AckedPublisherOptions } from "./acked-publisher.js";
export {
  type DecodedBatch,
  decodeBinaryBatch,
  encodeBinaryBatch,
  isBinaryBatch,
  type RejectedRow,
} from "./binary-batch.js";
export { BusFeed, type BusFeedHost, type RejectedLine } from "./bus-feed.js";
export {
  batchLines,
  decodeBatchLine,
  decodeRaw,
  encodeControl,
  encodeRawBar,
  encodeRawBatch,
  payloadText,
  type RawMessage,
} from "./codec.js";
export { type CollectOptions, type CollectResult, collectRun } from "./collector.js";
export { type BusConnection, connectBus } from "./connection.js";
export { shardRegistry } from "./metrics.js";
export { ownedSymbols, parseShard, type ShardSpec, shardOf } from "./ownership.js";
export { eventPayload, parseResult, parseResultLine, resultBatchLines, resultLine } from "./payload.js";
export {
  BusPublisher,
  type BusPublisherOptions,
  publishLive,
  publishReplay,
  type ReplayPublishOptions,
} from "./publisher.js";
export { QualityTracker } from "./quality.js";
export { type ConsumerPosition, type RawDelivery, RawSource, type RawSourceOptions } from "./raw-source.js";
export { compareKeys, isShared, type OrderKey, RunOrder } from "./run-order.js";
export { type RunEnd, RunPublisher } from "./run-publisher.js";
export { type ServedShard, serveShard } from "./serve.js";
export { Shard, type ShardCounters, type ShardOptions } from "./shard.js";
export { ensureStreams, type StreamNames, type StreamRetention, streamNames } from "./streams.js";
export { BusSubjects, type QualityReport, type RawKind, resultId, symbolToken } from "./subjects.js";
export {
  type BusResult,
  resultOrder,
  type SubscribeOptions,
  type Subscription,
  subscribe,
} from "./subscriber.js";
