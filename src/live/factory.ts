import { InvalidArgumentError } from "../model/errors.js";
import { DAY_MS, parseInstant } from "../model/time.js";
import { AlpacaFeed, type AlpacaFeedOptions } from "./alpaca.js";
import { ReplayAsLiveFeed, type ReplayAsLiveOptions } from "./replay-as-live.js";
import type { LiveFeed } from "./types.js";

/** The Alpaca stream, as `AlpacaFeedOptions`. */
export type AlpacaFeedConfig = { provider: "alpaca" } & AlpacaFeedOptions;

/**
 * Stored bars played as live. `from`/`to` are epoch ms ([from, to)) or text: an ISO-8601
 * instant, or a `YYYY-MM-DD` UTC day (`to` as a day is inclusive: the replay ends after it).
 */
export type ReplayFeedConfig = { provider: "replay"; from: number | string; to: number | string } & Omit<
  ReplayAsLiveOptions,
  "from" | "to"
>;

/** Which live feed to build. */
export type LiveFeedConfig = AlpacaFeedConfig | ReplayFeedConfig;

/** Builds a live feed from its configuration (a provider adapter or a replay-as-live player). */
export function createLiveFeed(config: LiveFeedConfig): LiveFeed {
  if (config.provider === "alpaca") {
    const { provider: _, ...options } = config;
    return new AlpacaFeed(options);
  }
  if (config.provider === "replay") {
    const { provider: _, from, to, ...options } = config;
    return new ReplayAsLiveFeed({
      ...options,
      from: instant(from, "from", false),
      to: instant(to, "to", true),
    });
  }
  throw new InvalidArgumentError(
    `unknown live feed provider "${(config as { provider: unknown }).provider}" (alpaca, replay)`,
  );
}

function instant(value: number | string, what: string, endOfDay: boolean): number {
  if (typeof value === "number") return value;
  const ms = parseInstant(value, what);
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(value) ? ms + DAY_MS : ms;
}
