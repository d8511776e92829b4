export { AlpacaFeed, type AlpacaFeedOptions, type AlpacaFeedState, type AlpacaFeedStats } from "./alpaca.js";
export {
  ALPACA_DATA_URL,
  ALPACA_STREAM_URL,
  type AlpacaChannel,
  alpacaBar,
  alpacaQuote,
  alpacaTrade,
  parseRfc3339,
} from "./alpaca-protocol.js";
export { AlpacaBarSource, type AlpacaRestOptions, fetchAlpacaBars } from "./alpaca-rest.js";
export { type Backoff, type BackoffOptions, backoffDelay, resolveBackoff } from "./backoff.js";
export { AlpacaRestError, AlpacaStreamError, LiveFeedError } from "./errors.js";
export {
  type AlpacaFeedConfig,
  createLiveFeed,
  type LiveFeedConfig,
  type ReplayFeedConfig,
} from "./factory.js";
export { ReplayAsLiveFeed, type ReplayAsLiveOptions, type ReplayResult } from "./replay-as-live.js";
export type { LiveFeed, LiveSink } from "./types.js";
