import type { Bar } from "../model/bar.js";
import { InvalidArgumentError } from "../model/errors.js";
import { isoUtc } from "../model/time.js";
import { ALPACA_DATA_URL, alpacaBar } from "./alpaca-protocol.js";
import { AlpacaRestError, LiveFeedError } from "./errors.js";

/** How to reach Alpaca's REST market-data API. */
export interface AlpacaRestOptions {
  key: string;
  secret: string;
  /** REST host (default `https://data.alpaca.markets`). */
  dataUrl?: string;
  /** `iex` or `sip`; omitted: the account's default. */
  feed?: string;
  /** Corporate-action adjustment (default `raw`, as the stream sends). */
  adjustment?: "raw" | "split" | "dividend" | "all";
  /** Bars per page (default 10 000, the provider's maximum). */
  pageLimit?: number;
  /** Time allowed per page request (default 30 s). */
  timeoutMs?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

interface BarsPage {
  bars?: Record<string, unknown>[] | null;
  next_page_token?: string | null;
}

/**
 * One symbol's one-minute bars whose start lies in [from, to) (epoch ms), from
 * `GET {dataUrl}/v2/stocks/{symbol}/bars`, following `next_page_token` to the last page.
 * Sorted by time. A failed request throws AlpacaRestError naming the symbol, status and the
 * provider's message (the caller, e.g. upkeep, retries).
 */
export async function fetchAlpacaBars(
  symbol: string,
  from: number,
  to: number,
  opts: AlpacaRestOptions,
): Promise<Bar[]> {
  if (!(from < to))
    throw new InvalidArgumentError(`alpaca bars: from ${isoUtc(from)} is not before to ${isoUtc(to)}`);
  const doFetch = opts.fetch ?? fetch;
  const base = `${(opts.dataUrl ?? ALPACA_DATA_URL).replace(/\/+$/, "")}/v2/stocks/${encodeURIComponent(symbol)}/bars`;
  const out: Bar[] = [];
  let token: string | undefined;
  do {
    const params = new URLSearchParams({
      timeframe: "1Min",
      start: isoUtc(from),
      end: isoUtc(to),
      limit: String(opts.pageLimit ?? 10_000),
      adjustment: opts.adjustment ?? "raw",
    });
    if (opts.feed) params.set("feed", opts.feed);
    if (token) params.set("page_token", token);
    const page = await getPage(doFetch, `${base}?${params}`, symbol, opts);
    for (const raw of page.bars ?? []) {
      const bar = alpacaBar(raw, symbol);
      if (bar.time >= from && bar.time < to) out.push(bar);
    }
    token = page.next_page_token ?? undefined;
  } while (token);
  for (let i = 1; i < out.length; i++) {
    if (out[i].time < out[i - 1].time) {
      out.sort((a, b) => a.time - b.time);
      break;
    }
  }
  return out;
}

async function getPage(
  doFetch: typeof fetch,
  url: string,
  symbol: string,
  opts: AlpacaRestOptions,
): Promise<BarsPage> {
  let res: Response;
  try {
    res = await doFetch(url, {
      headers: {
        "APCA-API-KEY-ID": opts.key,
        "APCA-API-SECRET-KEY": opts.secret,
        accept: "application/json",
      },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new AlpacaRestError(0, `alpaca bars ${symbol}: request failed: ${why}`, err);
  }
  const text = await res.text();
  if (!res.ok) {
    let why = text.slice(0, 200);
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === "string") why = body.message;
    } catch {
      // not JSON: keep the text
    }
    throw new AlpacaRestError(res.status, `alpaca bars ${symbol}: HTTP ${res.status}: ${why}`);
  }
  let page: unknown;
  try {
    page = JSON.parse(text);
  } catch (err) {
    throw new LiveFeedError(`alpaca bars ${symbol}: response is not JSON`, err);
  }
  if (
    page === null ||
    typeof page !== "object" ||
    ("bars" in page && page.bars !== null && !Array.isArray(page.bars))
  ) {
    throw new LiveFeedError(`alpaca bars ${symbol}: response has no "bars" array`);
  }
  return page as BarsPage;
}

/**
 * A bar source for gap filling backed by Alpaca's REST bars endpoint: the minutes a lost
 * connection missed, as the provider recorded them.
 */
export class AlpacaBarSource {
  readonly name = "alpaca";

  constructor(private readonly opts: AlpacaRestOptions) {
    if (!opts.key || !opts.secret)
      throw new InvalidArgumentError("alpaca bar source needs a key and a secret");
  }

  /** One-minute bars of `symbol` starting in [from, to), sorted by time. */
  fetchBars(symbol: string, from: number, to: number): Promise<Bar[]> {
    return fetchAlpacaBars(symbol, from, to, this.opts);
  }
}
