import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AlpacaBarSource, fetchAlpacaBars } from "./alpaca-rest.js";
import { AlpacaRestError } from "./errors.js";

const T0 = Date.UTC(2024, 2, 8, 14, 30);
const M = 60_000;

interface Seen {
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A local REST server: answers each request with `respond(query)` as JSON (status, body). */
async function restServer(respond: (seen: Seen) => { status?: number; body: unknown }) {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const s = { path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers };
    seen.push(s);
    const { status = 200, body } = respond(s);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const raw = (minute: number, c: number) => ({
  t: new Date(T0 + minute * M).toISOString().replace(".000Z", "Z"),
  o: c - 0.5,
  h: c + 1,
  l: c - 1,
  c,
  v: 1000 + minute,
  n: 10 + minute,
  vw: c - 0.25,
});

describe("fetchAlpacaBars", () => {
  it("follows next_page_token across pages with the key headers and exact query", async () => {
    const pages: Record<string, { bars: unknown[]; next_page_token: string | null }> = {
      "": { bars: [raw(0, 100), raw(1, 101)], next_page_token: "p2" },
      p2: { bars: [raw(2, 102), raw(3, 103)], next_page_token: "p3" },
      p3: { bars: [raw(4, 104)], next_page_token: null },
    };
    const { url, seen } = await restServer((s) => ({
      body: { ...pages[s.query.page_token ?? ""], symbol: "AAPL" },
    }));
    const bars = await fetchAlpacaBars("AAPL", T0, T0 + 5 * M, {
      key: "kid",
      secret: "sec",
      dataUrl: `${url}/`,
      feed: "iex",
      pageLimit: 2,
    });
    expect(bars.map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume, b.trades, b.vwap])).toEqual(
      [0, 1, 2, 3, 4].map((m) => [
        T0 + m * M,
        99.5 + m,
        101 + m,
        99 + m,
        100 + m,
        1000 + m,
        10 + m,
        99.75 + m,
      ]),
    );
    expect(bars.every((b) => b.symbol === "AAPL")).toBe(true);
    expect(seen.map((s) => s.path)).toEqual(Array(3).fill("/v2/stocks/AAPL/bars"));
    expect(seen.map((s) => s.query)).toEqual(
      ["", "p2", "p3"].map((token) => ({
        timeframe: "1Min",
        start: "2024-03-08T14:30:00Z",
        end: "2024-03-08T14:35:00Z",
        limit: "2",
        adjustment: "raw",
        feed: "iex",
        ...(token ? { page_token: token } : {}),
      })),
    );
    expect(
      seen.every((s) => s.headers["apca-api-key-id"] === "kid" && s.headers["apca-api-secret-key"] === "sec"),
    ).toBe(true);
  });

  it("keeps only bars starting in [from, to) and sorts them by time", async () => {
    const { url } = await restServer(() => ({
      body: { bars: [raw(3, 3), raw(1, 1), raw(5, 5), raw(0, 0), raw(2, 2)], next_page_token: null },
    }));
    const bars = await fetchAlpacaBars("SPY", T0 + M, T0 + 5 * M, { key: "k", secret: "s", dataUrl: url });
    expect(bars.map((b) => b.close)).toEqual([1, 2, 3]);
  });

  it("returns no bars for a null bars field", async () => {
    const { url } = await restServer(() => ({ body: { bars: null, symbol: "SPY", next_page_token: null } }));
    expect(await fetchAlpacaBars("SPY", T0, T0 + M, { key: "k", secret: "s", dataUrl: url })).toEqual([]);
  });

  it("throws AlpacaRestError with the status and the provider's message", async () => {
    const { url } = await restServer(() => ({ status: 403, body: { message: "forbidden." } }));
    const err = await fetchAlpacaBars("SPY", T0, T0 + M, { key: "k", secret: "s", dataUrl: url }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AlpacaRestError);
    expect((err as AlpacaRestError).status).toBe(403);
    expect((err as Error).message).toBe("alpaca bars SPY: HTTP 403: forbidden.");
  });

  it("names a malformed bar's field and a response without bars", async () => {
    const bad = await restServer(() => ({ body: { bars: [{ ...raw(0, 1), h: null }] } }));
    await expect(
      fetchAlpacaBars("SPY", T0, T0 + M, { key: "k", secret: "s", dataUrl: bad.url }),
    ).rejects.toThrow('alpaca bar SPY: field "h" must be a finite number, got null');
    const odd = await restServer(() => ({ body: { bars: "none" } }));
    await expect(
      fetchAlpacaBars("SPY", T0, T0 + M, { key: "k", secret: "s", dataUrl: odd.url }),
    ).rejects.toThrow('alpaca bars SPY: response has no "bars" array');
  });

  it("reports an unreachable host as status 0 and an empty range as a bad argument", async () => {
    const { url } = await restServer(() => ({ body: {} }));
    await new Promise((r) => servers.pop()!.close(r));
    const err = await fetchAlpacaBars("SPY", T0, T0 + M, { key: "k", secret: "s", dataUrl: url }).catch(
      (e: unknown) => e,
    );
    expect((err as AlpacaRestError).status).toBe(0);
    expect((err as Error).message).toMatch(/^alpaca bars SPY: request failed: /);
    await expect(fetchAlpacaBars("SPY", T0, T0, { key: "k", secret: "s", dataUrl: url })).rejects.toThrow(
      "alpaca bars: from 2024-03-08T14:30:00Z is not before to 2024-03-08T14:30:00Z",
    );
  });
});

describe("AlpacaBarSource", () => {
  it("fetches a symbol's minutes for gap filling", async () => {
    const { url, seen } = await restServer(() => ({
      body: { bars: [raw(6, 106), raw(7, 107)], next_page_token: null },
    }));
    const source = new AlpacaBarSource({ key: "k", secret: "s", dataUrl: url });
    const bars = await source.fetchBars("BRK.B", T0 + 6 * M, T0 + 8 * M);
    expect(bars.map((b) => [b.symbol, b.time, b.close])).toEqual([
      ["BRK.B", T0 + 6 * M, 106],
      ["BRK.B", T0 + 7 * M, 107],
    ]);
    expect(seen[0].path).toBe("/v2/stocks/BRK.B/bars");
    expect(source.name).toBe("alpaca");
  });
});
