import { TickwrightError } from "../model/errors.js";

/** A live feed could not connect, lost its stream for good, or received data it cannot read. */
export class LiveFeedError extends TickwrightError {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super("LIVE_FEED", message);
  }
}

/**
 * Alpaca stream error codes a client may retry after a backoff: 404 auth timeout, 406 connection
 * limit exceeded (the old connection is not gone yet), 407 slow client, 500 internal error. Every
 * other code (400 invalid syntax, 401 not authenticated, 402 auth failed, 403 already
 * authenticated, 405 symbol limit exceeded, 408 v2 not enabled, 409 insufficient subscription,
 * 410 invalid subscribe action) needs a change of credentials, plan or request.
 */
const RETRYABLE = new Set([404, 406, 407, 500]);

/** An error message (`{"T":"error","code":N,"msg":...}`) from the Alpaca market-data stream. */
export class AlpacaStreamError extends LiveFeedError {
  constructor(
    /** The provider's code (402 auth failed, 406 connection limit exceeded, ...). */
    readonly status: number,
    readonly reason: string,
  ) {
    super(`alpaca stream error ${status}: ${reason}`);
  }

  /** True when reconnecting later may succeed; false when the request or account must change. */
  get retryable(): boolean {
    return RETRYABLE.has(this.status);
  }
}

/** A failed request to Alpaca's REST market-data API (status 0: no HTTP answer). */
export class AlpacaRestError extends LiveFeedError {
  constructor(
    readonly status: number,
    message: string,
    cause?: unknown,
  ) {
    super(message, cause);
  }
}
